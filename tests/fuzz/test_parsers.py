"""Property tests of every pure parser (fuzz/targets.py): arbitrary bytes raise nothing but the
parser's own error, and the hostile inputs of the issue (entity bombs, external entities,
compression loops, negative and huge lengths, invalid UTF-8) each end in that error or a
harmless result, quickly."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.targets import TARGETS, Target, run_one
from scanner.discover.mdns import services_from_records
from scanner.discover.ssdp import parse_description
from scanner.discover.wsdiscovery import parse_wsd
from scanner.lab.hostile import billion_laughs, external_entity
from scanner.nmap import NmapReportError, parse_nmap_xml
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
_INPUTS = st.one_of(
    st.binary(max_size=2048),
    st.lists(st.sampled_from(_FRAGMENTS) | st.binary(max_size=16), max_size=24).map(b"".join),
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
        b"RTSP/1.0 200 OK\r\nContent-Length: " + b"9" * 100_000 + b"\r\n\r\n",
        b"RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"\xff\xfe\xfd" * 1000,
    ],
    ids=["negative", "huge", "conflicting", "binary"],
)
def test_bad_rtsp_lengths_and_garbage_are_parse_errors(answer: bytes) -> None:
    with pytest.raises(RtspParseError):
        parse_response(answer)
