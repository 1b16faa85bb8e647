"""Property tests of every pure parser (fuzz/targets.py): arbitrary bytes raise nothing but the
parser's own error, and the hostile inputs of the issue (entity bombs, external entities,
compression loops, negative and huge lengths, invalid UTF-8) each end in that error or a
harmless result, quickly. Numbers are attacked on purpose (issue #19): every ASCII digit of a
target's seeds may become a digit of another script, a full-width or superscript digit, a
fraction or a Roman numeral, as UTF-8 or as one Latin-1 byte, and a sign, space or '_' may
join it; ``str.isdigit()`` accepts most of these and ``int()`` refuses or misreads them."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.targets import TARGETS, Target, run_one
from scanner.discover.mdns import services_from_records
from scanner.discover.nmap_xml import NmapReportError, parse_nmap_xml
from scanner.discover.ssdp import parse_description
from scanner.discover.wsdiscovery import parse_wsd
from scanner.lab.hostile import billion_laughs, external_entity
from scanner.probe.onvif import OnvifError, parse_answer
from scanner.probe.rtsp import RtspParseError, parse_response

# Bytes that look like what the parsers expect more often than uniform noise does.
_FRAGMENTS = [
    b"RTSP/1.0 200 OK\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"Content-Length: ",
    b"-1",
    b"99999999999999999999",
    b"\r\n\r\n",
    b"\xff\xfb\x01",
    b"\xff\xfa",
    b"<?xml version='1.0'?>",
    b"<!DOCTYPE a [<!ENTITY x 'y'>]>",
    b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body>",
    b"&x;",
    b"\xc3\x28",
    b"\x1b[2J",
    b"\xc0\x0c",
    b'WWW-Authenticate: Digest realm="',
]
# Characters that look like, or are to Python, decimal digits but are not ASCII 0-9.
LOOKALIKE_DIGITS = (
    "\u00b2",  # '²' superscript two: isdigit() True, int() refuses it (the crash)
    "\u00b9",  # '¹'
    "\u2079",  # superscript nine
    "\u2083",  # subscript three
    "\u0663",  # Arabic-Indic three: int() reads it as 3
    "\u06f3",  # extended Arabic-Indic three
    "\u0967",  # Devanagari one
    "\uff11",  # full-width one
    "\U0001d7d7",  # mathematical bold nine
    "\u00bd",  # '½': isnumeric() True
    "\u2163",  # Roman numeral four
    "\u3007",  # ideographic zero
    "\u066b",  # Arabic decimal separator: not a digit, looks like one's neighbour
    "\u07c1",  # NKo one
)
_LOOKALIKE_BYTES = (
    *(c.encode("utf-8") for c in LOOKALIKE_DIGITS),
    b"\xb2",  # '²' in Latin-1, as the lab request carried it
    b"\xb9",
    b"\xbd",
    b"+",
    b" ",
    b"_",
    b"-",
    b"0x",
)


@st.composite
def _with_lookalike_digits(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """A seed with some of its ASCII digits replaced by (or followed by) look-alikes."""
    seed = bytearray(draw(st.sampled_from(seeds)))
    digits = [i for i, b in enumerate(seed) if 0x30 <= b <= 0x39]
    if not digits:
        return bytes(seed) + draw(st.sampled_from(_LOOKALIKE_BYTES))
    chosen = draw(st.lists(st.sampled_from(digits), min_size=1, max_size=4, unique=True))
    keep = draw(st.booleans())  # insert beside the digit, or replace it
    for i in sorted(chosen, reverse=True):
        seed[i : i + 1] = (seed[i : i + 1] if keep else b"") + draw(
            st.sampled_from(_LOOKALIKE_BYTES)
        )
    return bytes(seed)


_INPUTS = st.one_of(
    st.binary(max_size=2048),
    st.lists(
        st.sampled_from(_FRAGMENTS) | st.sampled_from(_LOOKALIKE_BYTES) | st.binary(max_size=16),
        max_size=24,
    ).map(b"".join),
)


@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=_INPUTS)
def test_arbitrary_bytes_raise_only_the_parsers_own_error(target: Target, data: bytes) -> None:
    run_one(target, data)


@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_lookalike_digits_raise_only_the_parsers_own_error(
    target: Target, data: st.DataObject
) -> None:
    run_one(target, data.draw(_with_lookalike_digits(target.seeds)))


def test_lookalike_digits_are_digits_to_python_but_not_ascii() -> None:
    # The strategy attacks what it claims to: none is ASCII, nearly all pass isnumeric() (the
    # Arabic decimal separator only looks like punctuation in a number), most pass isdigit().
    assert not any(c.isascii() for c in LOOKALIKE_DIGITS)
    assert sum(c.isnumeric() for c in LOOKALIKE_DIGITS) == len(LOOKALIKE_DIGITS) - 1
    assert sum(c.isdigit() for c in LOOKALIKE_DIGITS) >= 10


@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
def test_seeds_are_accepted(target: Target) -> None:
    for seed in target.seeds:
        run_one(target, seed)


def test_every_discovery_and_probe_parser_is_a_target() -> None:
    # The issue names these; a parser dropped from the registry would silently lose its fuzzing.
    assert {
        "rtsp",
        "http_title",
        "www_authenticate",
        "telnet",
        "banner",
        "onvif",
        "ssdp",
        "upnp_description",
        "wsdiscovery",
        "mdns",
        "nmap_xml",
    } <= set(TARGETS)


def test_an_undocumented_error_is_not_swallowed() -> None:
    def boom(_data: bytes) -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run_one(Target("boom", boom, (ValueError,), (), "raises"), b"")


@pytest.mark.parametrize(
    ("parse", "error"),
    [
        (parse_answer, OnvifError),
        (parse_description, ValueError),
        (lambda data: parse_nmap_xml(data, source="x.xml"), NmapReportError),
    ],
    ids=["onvif", "upnp", "nmap"],
)
@pytest.mark.parametrize(
    "document",
    [
        billion_laughs(10),
        external_entity("file:///etc/passwd"),
        external_entity("http://127.66.1.1:9/x"),
        b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.66.1.1:9/d.dtd"><r/>',
        b"<?xml version='1.0'?>" + b"<a>" * 30_000 + b"</a>" * 30_000,
    ],
    ids=["billion-laughs", "xxe-file", "xxe-url", "external-dtd", "deep-nesting"],
)
def test_xml_attacks_end_in_the_parsers_error(
    parse: object, error: type[Exception], document: bytes
) -> None:
    started = time.monotonic()
    with pytest.raises(error):
        parse(document)  # type: ignore[operator]
    assert time.monotonic() - started < 2.0
    assert parse_wsd(document) is None


def test_an_mdns_compression_loop_is_dropped() -> None:
    from zeroconf._protocol.incoming import DNSIncoming  # noqa: PLC0415

    # One answer whose name is a pointer to itself (RFC 1035 s4.1.4): a naive reader loops.
    header = b"\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
    loop = header + b"\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x78\x00\x02\xc0\x0c"
    message = DNSIncoming(loop)
    assert services_from_records(message.answers()) == []


@pytest.mark.parametrize(
    "answer",
    [
        b"RTSP/1.0 200 OK\r\nContent-Length: -5\r\n\r\n",
        b"RTSP/1.0 200 OK\r\nCSeq: \xc2\xb2\r\nContent-Length: \xc2\xb2\r\n\r\n",  # issue 19
        b"RTSP/1.0 200 OK\r\nContent-Length: \xd9\xa3\r\n\r\nabc",  # Arabic-Indic 3
        b"RTSP/1.0 200 OK\r\nContent-Length: \xef\xbc\x91\r\n\r\nx",  # full-width 1
        b"RTSP/1.0 200 OK\r\nContent-Length: +1\r\n\r\nx",
        b"RTSP/1.0 200 OK\r\nContent-Length: 1_0\r\n\r\n0123456789",
        b"RTSP/1.0 200 OK\r\nContent-Length: " + b"9" * 100_000 + b"\r\n\r\n",
        b"RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"\xff\xfe\xfd" * 1000,
    ],
    ids=[
        "negative",
        "superscript",
        "arabic-indic",
        "full-width",
        "signed",
        "underscore",
        "huge",
        "conflicting",
        "binary",
    ],
)
def test_bad_rtsp_lengths_and_garbage_are_parse_errors(answer: bytes) -> None:
    with pytest.raises(RtspParseError):
        parse_response(answer)
