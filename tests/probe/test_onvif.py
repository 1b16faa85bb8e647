"""ONVIF: envelope builders, the WS-Security digest, the answer parser, and the probe against
the lab's independent ONVIF service on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.lab import DeviceSpec, HttpConfig, HttpRoute, RunningLab, ServiceSpec, start_lab
from scanner.lab.onvifd import OnvifConfig
from scanner.models import AuthScheme, DeviceType, ProbeStatus, Protocol
from scanner.probe.onvif import (
    OnvifError,
    device_information,
    get_device_information,
    parse_answer,
    password_digest,
    probe_onvif,
    same_origin_path,
    soap_call,
    username_token,
)

TIMEOUTS = Timeouts(read=2.0, probe=5.0)
LIMITS = Limits()


def test_password_digest_matches_the_onvif_programmers_guide_example() -> None:
    # ONVIF Application Programmer's Guide, section 6.1.1.3 (user authentication example).
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    digest = password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword")
    assert digest == "tuOSpGlFlIXsozq4HFNeeGeFLEI="


def test_envelope_carries_the_token_and_never_the_password() -> None:
    token = username_token("admin", "s3cret", nonce=b"\x01" * 16, created="2026-01-01T00:00:00Z")
    body = get_device_information(token).decode()
    assert "<wsse:Username>admin</wsse:Username>" in body
    assert token.password_digest in body
    assert "s3cret" not in body
    assert "PasswordDigest" in body


def test_user_names_are_escaped() -> None:
    token = username_token("a<b>&c", "x")
    assert "a&lt;b&gt;&amp;c" in get_device_information(token).decode()


FAULT = b"""<?xml version="1.0"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>
<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value>
</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text>
</env:Reason></env:Fault></env:Body></env:Envelope>"""

INFO = b"""<?xml version="1.0"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>
<tds:GetDeviceInformationResponse><tds:Manufacturer>HIKVISION</tds:Manufacturer>
<tds:Model>DS-2CD2143G0-I</tds:Model><tds:FirmwareVersion>V5.5.82 build 190909</tds:FirmwareVersion>
<tds:SerialNumber>DS-2CD2143G0-I20190101AAWRD12345678</tds:SerialNumber>
<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse></s:Body></s:Envelope>"""


def test_parse_fault_and_device_information() -> None:
    fault = parse_answer(FAULT)
    assert fault.is_fault
    assert fault.not_authorized
    assert fault.fault_code == "ter:NotAuthorized"
    info = device_information(parse_answer(INFO))
    assert info == {
        "onvif.manufacturer": "HIKVISION",
        "onvif.model": "DS-2CD2143G0-I",
        "onvif.firmware": "V5.5.82 build 190909",
        "onvif.serial": "DS-2CD2143G0-I20190101AAWRD12345678",
        "onvif.hardware_id": "88",
    }
    assert device_information(fault) == {}


BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&lol2;</s:Body></s:Envelope>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&xxe;</s:Body></s:Envelope>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html>nope", "not XML"),
        (b"<a/>", "not a SOAP 1.2 envelope"),
        (BOMB, "not XML"),
        (XXE, "not XML"),
        (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>', "without a Body"),
        (
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>',
            "Body is empty",
        ),
    ],
)
def test_bad_answers_raise_onvif_error(data: bytes, message: str) -> None:
    with pytest.raises(OnvifError, match=message):
        parse_answer(data)


@given(st.binary(max_size=512))
def test_parse_answer_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(OnvifError):
        parse_answer(data)


@pytest.mark.parametrize(
    ("xaddr", "expected"),
    [
        ("http://127.0.0.1:80/onvif/media_service", "/onvif/media_service"),
        ("http://203.0.113.9/onvif/Media http://[::1]/x", "/onvif/Media"),
        ("not a url", "/onvif/device_service"),
        (None, "/onvif/device_service"),
    ],
)
def test_service_addresses_give_only_a_path(xaddr: str | None, expected: str) -> None:
    assert same_origin_path(xaddr, "/onvif/device_service") == expected


def onvif_device(
    key: str, ip: str, *, open_access: bool, advertised: str | None = None
) -> DeviceSpec:
    onvif = OnvifConfig(
        manufacturer="HIKVISION",
        model="DS-2CD2143G0-I",
        firmware="V5.5.82 build 190909",
        serial="DS-2CD2143G0-I20190101AAWRD12345678",
        hardware_id="88",
        open_access=open_access,
        advertised_host=advertised,
    )
    http = HttpConfig(
        server="App-webs/", routes=(HttpRoute("/", body=b"<title>x</title>"),), onvif=onvif
    )
    return DeviceSpec(
        key=key,
        name=key,
        ip=ip,
        vendor="Hikvision",
        model="DS-2CD2143G0-I",
        firmware="V5.5.82 build 190909",
        device_type=DeviceType.CAMERA,
        description="ONVIF test camera",
        problems=(),
        expected_findings=(),
        credentials={Protocol.HTTP: ("admin", "Cam-Pass-2026")},
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


OUTSIDE = "127.66.6.6"  # where a hostile device points its XAddrs: nothing may connect there


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    devices = (
        onvif_device("open", "127.77.7.1", open_access=True),
        onvif_device("closed", "127.77.7.2", open_access=False),
        onvif_device("liar", "127.77.7.3", open_access=True, advertised=OUTSIDE),
    )
    async with await start_lab(devices, standard_ports=False) as running:
        yield running


@pytest.mark.asyncio
async def test_open_device_tells_anyone_what_it_is_and_where_its_video_is(lab: RunningLab) -> None:
    dev = lab.device("open")
    result = await probe_onvif(ProbeContext(timeouts=TIMEOUTS, limits=LIMITS), dev.ip, dev.port(80))
    assert result.status is ProbeStatus.OK, result.reason
    assert result.protocol is Protocol.ONVIF
    assert result.auth is AuthScheme.NONE
    assert result.fields["onvif.manufacturer"] == "HIKVISION"
    assert result.fields["onvif.model"] == "DS-2CD2143G0-I"
    assert result.fields["onvif.firmware"] == "V5.5.82 build 190909"
    assert result.fields["onvif.stream_uri"].endswith("/Streaming/Channels/101")
    assert "snapshot" in result.fields["onvif.snapshot_uri"]


@pytest.mark.asyncio
async def test_protected_device_says_nothing_without_a_login(lab: RunningLab) -> None:
    dev = lab.device("closed")
    result = await probe_onvif(ProbeContext(timeouts=TIMEOUTS, limits=LIMITS), dev.ip, dev.port(80))
    assert result.status is ProbeStatus.OK
    assert result.auth is AuthScheme.UNKNOWN
    assert not any(key.startswith("onvif.m") for key in result.fields)
    good = username_token("admin", "Cam-Pass-2026")
    status, answer = await soap_call(
        ProbeContext(timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(80),
        "/onvif/device_service",
        get_device_information(good),
        tls=False,
    )
    assert status == 200
    assert device_information(answer)["onvif.model"] == "DS-2CD2143G0-I"
    bad = username_token("admin", "wrong")
    status, answer = await soap_call(
        ProbeContext(timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(80),
        "/onvif/device_service",
        get_device_information(bad),
        tls=False,
    )
    assert status == 400
    assert answer.not_authorized


@pytest.mark.asyncio
async def test_xaddrs_pointing_elsewhere_are_recorded_not_followed(lab: RunningLab) -> None:
    dev = lab.device("liar")
    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    outside = await asyncio.start_server(count, OUTSIDE, dev.port(80))
    try:
        result = await probe_onvif(
            ProbeContext(timeouts=TIMEOUTS, limits=LIMITS), dev.ip, dev.port(80)
        )
    finally:
        outside.close()
        await outside.wait_closed()
    assert result.status is ProbeStatus.OK
    assert OUTSIDE in result.fields["onvif.xaddrs"]
    assert "onvif.stream_uri" in result.fields  # media calls went to the probed host
    assert connections == 0


@pytest.mark.asyncio
async def test_a_plain_web_server_is_not_onvif(lab: RunningLab) -> None:
    server = await asyncio.start_server(_http_404, "127.77.7.9", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await probe_onvif(
            ProbeContext(timeouts=TIMEOUTS, limits=LIMITS), "127.77.7.9", port
        )
    finally:
        server.close()
        await server.wait_closed()
    assert result.status is ProbeStatus.MALFORMED
    assert not result.fields


async def _http_404(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
    )
    await writer.drain()
    writer.close()
