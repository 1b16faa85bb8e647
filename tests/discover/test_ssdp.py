"""SSDP: the pure M-SEARCH builder, message and description parsers, and the same-host rule."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from scanner.context import ProbeContext
from scanner.discover.ssdp import _describe as describe
from scanner.discover.ssdp import (
    build_msearch,
    description_url,
    fetch_description,
    parse_description,
    parse_ssdp,
    ssdp_fields,
)

# A search answer as Hikvision cameras send it (UPnP DA 1.1 s1.3.3).
HIKVISION_ANSWER = (
    b"HTTP/1.1 200 OK\r\n"
    b"CACHE-CONTROL: max-age = 7200\r\n"
    b"EXT:\r\n"
    b"LOCATION: http://192.0.2.64:49152/rootDesc.xml\r\n"
    b"SERVER: Linux/3.0, UPnP/1.0, Portable SDK for UPnP devices/1.6.18\r\n"
    b"ST: upnp:rootdevice\r\n"
    b"USN: uuid:4de6a180-c0b0-11e3-8000-c056e3a8c7b1::upnp:rootdevice\r\n"
    b"\r\n"
)

DESCRIPTION = b"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
<friendlyName>DS-2CD2142FWD-I - C12345678</friendlyName>
<manufacturer>Hikvision</manufacturer>
<manufacturerURL>http://www.hikvision.com</manufacturerURL>
<modelDescription>Network Camera</modelDescription>
<modelName>DS-2CD2142FWD-I</modelName>
<modelNumber>DS-2CD2142FWD-I</modelNumber>
<serialNumber>C12345678</serialNumber>
<UDN>uuid:4de6a180-c0b0-11e3-8000-c056e3a8c7b1</UDN>
<firmwareVersion>V5.4.5</firmwareVersion>
<serviceList/>
</device>
</root>
"""


def test_msearch_is_what_uda_asks_for() -> None:
    text = build_msearch("ssdp:all", 2).decode("ascii")
    lines = text.split("\r\n")
    assert lines[0] == "M-SEARCH * HTTP/1.1"
    assert "HOST: 239.255.255.250:1900" in lines
    assert 'MAN: "ssdp:discover"' in lines  # quoted, UDA s1.3.2
    assert "MX: 2" in lines
    assert "ST: ssdp:all" in lines
    assert text.endswith("\r\n\r\n")
    assert "MX: 5" in build_msearch(mx=60).decode()  # clamped to UDA's 1..5
    assert "MX: 1" in build_msearch(mx=0).decode()


def test_search_answer_parses_to_fields() -> None:
    message = parse_ssdp(HIKVISION_ANSWER)
    assert message is not None
    assert message.kind == "response"
    assert message.header("LOCATION") == "http://192.0.2.64:49152/rootDesc.xml"
    assert ssdp_fields(message) == {
        "ssdp.server": "Linux/3.0, UPnP/1.0, Portable SDK for UPnP devices/1.6.18",
        "ssdp.st": "upnp:rootdevice",
        "ssdp.usn": "uuid:4de6a180-c0b0-11e3-8000-c056e3a8c7b1::upnp:rootdevice",
    }


def test_notify_target_is_nt_and_sloppy_framing_is_accepted() -> None:
    notify = (
        b"NOTIFY * HTTP/1.1\n"  # bare LF, as some devices send
        b"host: 239.255.255.250:1900\n"
        b"nt: urn:schemas-upnp-org:device:Basic:1\n"
        b"NTS: ssdp:alive\n"
        b"NT: second value ignored\n"
        b"garbage line without colon\n"
        b"USN: uuid:x::urn:schemas-upnp-org:device:Basic:1"
    )
    message = parse_ssdp(notify)
    assert message is not None
    assert message.kind == "notify"
    assert message.target == "urn:schemas-upnp-org:device:Basic:1"  # the first NT wins
    assert message.header("nts") == "ssdp:alive"
    assert message.header("usn") == "uuid:x::urn:schemas-upnp-org:device:Basic:1"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"HTTP/1.1 404 Not Found\r\nST: x\r\n\r\n",  # only 200 answers a search
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"NOTIFY * HTTP/1.1" + b"X" * 9000,  # larger than any SSDP message
    ],
)
def test_non_ssdp_datagrams_are_none(data: bytes) -> None:
    assert parse_ssdp(data) is None


def test_header_values_are_capped_and_on_one_line() -> None:
    message = parse_ssdp(b"HTTP/1.1 200 OK\r\nSERVER: " + b"A \t" * 1000 + b"\r\n\r\n")
    assert message is not None
    server = ssdp_fields(message)["ssdp.server"]
    assert len(server) <= 512
    assert "\t" not in server


@given(st.binary(max_size=2048))
def test_parse_ssdp_never_raises(data: bytes) -> None:
    message = parse_ssdp(data)
    if message is not None:
        assert message.kind in ("response", "notify", "search")
        assert all(name == name.lower() for name in message.headers)


@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True),
        st.from_regex(r"[ -~]{0,40}", fullmatch=True),
        max_size=8,
    )
)
def test_headers_round_trip(headers: dict[str, str]) -> None:
    data = "NOTIFY * HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    message = parse_ssdp(data.encode())
    assert message is not None
    expected: dict[str, str] = {}
    for name, value in headers.items():
        expected.setdefault(name.lower(), value.strip())
    assert message.headers == expected


def test_description_fields() -> None:
    assert parse_description(DESCRIPTION) == {
        "ssdp.device_type": "urn:schemas-upnp-org:device:Basic:1",
        "ssdp.friendly_name": "DS-2CD2142FWD-I - C12345678",
        "ssdp.manufacturer": "Hikvision",
        "ssdp.model_name": "DS-2CD2142FWD-I",
        "ssdp.model_number": "DS-2CD2142FWD-I",
        "ssdp.model_description": "Network Camera",
        "ssdp.serial": "C12345678",
        "ssdp.firmware": "V5.4.5",
    }


def test_description_without_namespace_and_with_markup_in_text() -> None:
    xml = (
        "<root><device><manufacturer>ACME &amp; Sons\u202e</manufacturer>".encode()
        + b"<modelName><![CDATA[<b>X1</b>]]></modelName></device></root>"
    )
    fields = parse_description(xml)
    # Kept as the device's text (the renderers make it safe); never interpreted as markup.
    assert fields["ssdp.manufacturer"] == "ACME & Sons\u202e"
    assert fields["ssdp.model_name"] == "<b>X1</b>"


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"not xml at all", "not a usable XML description"),
        (b"<root><device><manufacturer>cut off", "not a usable XML description"),
        (b"<html><body>login</body></html>", "not a UPnP description"),
        (b"<root><specVersion/></root>", "without a device element"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<root><device><manufacturer>&b;</manufacturer></device></root>",
            "not a usable XML description",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<root><device><manufacturer>&x;</manufacturer></device></root>",
            "not a usable XML description",
        ),
        (b"<root>" + b" " * (70 * 1024) + b"</root>", "larger than"),
    ],
)
def test_bad_descriptions_are_refused_with_a_reason(xml: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_description(xml)


@given(st.binary(max_size=1024))
def test_parse_description_raises_only_value_error(data: bytes) -> None:
    try:
        fields = parse_description(data)
    except ValueError:
        return
    assert all(name.startswith("ssdp.") for name in fields)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://192.0.2.64:49152/rootDesc.xml", "http://192.0.2.64:49152/rootDesc.xml"),
        ("http://192.0.2.64/desc.xml?x=1", "http://192.0.2.64:80/desc.xml?x=1"),
        ("http://192.0.2.99:49152/rootDesc.xml", None),  # another host: never followed
        ("http://camera.local/rootDesc.xml", None),  # a name: DNS could lead anywhere
        ("https://192.0.2.64/desc.xml", None),
        ("file:///etc/passwd", None),
        ("http://192.0.2.64:99999/x", None),  # not a port
        ("", None),
        (None, None),
    ],
)
def test_description_is_fetched_from_the_answering_host_only(
    location: str | None, expected: str | None
) -> None:
    assert description_url(location, "192.0.2.64") == expected


# --- the fetch, against a loopback HTTP server ------------------------------------------------


@pytest_asyncio.fixture
async def http_server() -> AsyncIterator[tuple[str, int, dict[str, bytes]]]:
    answers: dict[str, bytes] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ")[1].decode()
            writer.write(answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield "127.0.0.1", port, answers


def _ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.asyncio
async def test_description_is_read_into_the_pseudo_service(
    http_server: tuple[str, int, dict[str, bytes]],
) -> None:
    host, port, answers = http_server
    answers["/rootDesc.xml"] = _ok(DESCRIPTION)
    answer = HIKVISION_ANSWER.replace(b"192.0.2.64:49152", f"{host}:{port}".encode())
    message = parse_ssdp(answer)
    assert message is not None
    service = await describe(ProbeContext(), message, host, 2.0)
    assert service.port == 1900
    assert service.transport == "udp"
    assert service.fields["ssdp.model_name"] == "DS-2CD2142FWD-I"
    assert service.fields["ssdp.usn"].startswith("uuid:4de6a180")


@pytest.mark.asyncio
async def test_broken_or_huge_descriptions_become_a_reason(
    http_server: tuple[str, int, dict[str, bytes]],
) -> None:
    host, port, answers = http_server
    answers["/big.xml"] = _ok(b"<root>" + b"x" * (100 * 1024) + b"</root>")
    answers["/bad.xml"] = _ok(b"<root><device>")
    for path, reason in (
        ("/big.xml", "larger than"),
        ("/bad.xml", "not a usable XML"),
        ("/missing.xml", "answered 404"),
    ):
        message = parse_ssdp(
            b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nLOCATION: http://%s:%d%s\r\n\r\n"
            % (host.encode(), port, path.encode())
        )
        assert message is not None
        service = await describe(ProbeContext(), message, host, 2.0)
        assert reason in service.reason
        assert service.fields == {"ssdp.st": "upnp:rootdevice"}  # what the answer said stays
    elsewhere = parse_ssdp(b"HTTP/1.1 200 OK\r\nLOCATION: http://192.0.2.1/x.xml\r\n\r\n")
    assert elsewhere is not None
    assert "not on this host" in (await describe(ProbeContext(), elsewhere, host, 2.0)).reason


@pytest.mark.asyncio
async def test_fetch_has_one_overall_deadline() -> None:
    finished = asyncio.Event()

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(100):
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client gave up: that is the point
        finally:
            writer.close()
            finished.set()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await fetch_description(ProbeContext(), f"http://127.0.0.1:{port}/d.xml", timeout=0.5)
        assert loop.time() - started < 2.0
        await asyncio.wait_for(finished.wait(), 5.0)
