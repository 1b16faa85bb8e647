"""The running lab on loopback, checked on the wire with raw asyncio clients written here.

Each test starts its own lab on a random 127.x.y.0/24 prefix (so parallel helpers and test runs
do not collide) with non-standard ports, and closes it in teardown.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import telnetlib3

from scanner.lab import (
    AuthPolicy,
    DeviceSpec,
    DigestOptions,
    HttpConfig,
    HttpRoute,
    Lockout,
    RtspConfig,
    RtspRoute,
    RunningLab,
    ServiceSpec,
    SilentConfig,
    TelnetConfig,
    default_devices,
    serve_forever,
    start_lab,
)
from scanner.models import DeviceType, Protocol

TIMEOUT = 3.0
IAC, WILL, WONT, DO, DONT, SB, SE = 255, 251, 252, 253, 254, 250, 240
ECHO, SGA, NAWS = 1, 3, 31


def random_prefix() -> str:
    return f"127.{random.randint(100, 250)}.{random.randint(0, 255)}"


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    running = await start_lab(default_devices(random_prefix()), standard_ports=False)
    try:
        yield running
    finally:
        await running.close()


def where(lab: RunningLab, key: str, port: int) -> tuple[str, int]:
    device = lab.device(key)
    return device.ip, device.port(port)


# -- a raw client ------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


class Raw:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buf = b""

    @classmethod
    async def open(cls, address: tuple[str, int]) -> Raw:
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection(*address)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def _more(self) -> bytes:
        async with asyncio.timeout(TIMEOUT):
            chunk = await self.reader.read(65536)
        self.buf += chunk
        return chunk

    async def until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not await self._more():
                raise AssertionError(f"closed before {marker!r}; got {self.buf!r}")
        end = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    async def rest(self) -> bytes:
        """Everything until the server closes (fails the test if it never does)."""
        while await self._more():
            pass
        out, self.buf = self.buf, b""
        return out

    async def quiet(self, seconds: float = 0.3) -> bytes:
        """What arrives within ``seconds`` (for servers that should say nothing)."""
        try:
            async with asyncio.timeout(seconds):
                while await self._more():
                    pass
        except TimeoutError:
            pass
        out, self.buf = self.buf, b""
        return out

    async def response(self, *, head_only: bool = False) -> Response:
        head = (await self.until(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")
        version, status, reason = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.lower(), value.strip()))
        length = int(next((v for k, v in headers if k == "content-length"), "0"))
        if head_only:
            length = 0
        while len(self.buf) < length:
            if not await self._more():
                break
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(int(status), reason, version, headers, body)

    async def close(self) -> None:
        self.writer.close()
        try:
            async with asyncio.timeout(TIMEOUT):
                await self.writer.wait_closed()
        except (TimeoutError, ConnectionError):
            pass


async def exchange(address: tuple[str, int], data: bytes, *, head_only: bool = False) -> Response:
    client = await Raw.open(address)
    try:
        await client.send(data)
        return await client.response(head_only=head_only)
    finally:
        await client.close()


def rtsp_request(method: str, url: str, cseq: int, *headers: str) -> bytes:
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def http_get(path: str, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: lab", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def challenge_params(value: str) -> dict[str, str]:
    """Just enough of RFC 7235 auth-param parsing for the lab's own challenges."""
    out = {}
    for part in value.split(" ", 1)[1].split(", "):
        name, _, raw = part.partition("=")
        out[name.lower()] = raw.strip('"')
    return out


def digest(
    challenge: str,
    *,
    user: str,
    password: str,
    method: str,
    uri: str,
    nc: int = 1,
    cnonce: str = "f2b7c93e",
) -> str:
    """Authorization: Digest computed from RFC 2617 section 3.2.2.1 (MD5, qop=auth or none)."""
    params = challenge_params(challenge)

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{user}:{params['realm']}:{password}")
    ha2 = md5(f"{method}:{uri}")
    base = (
        f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}"'
    )
    if "qop" in params:
        count = f"{nc:08x}"
        response = md5(f"{ha1}:{params['nonce']}:{count}:{cnonce}:auth:{ha2}")
        return f'{base}, qop=auth, nc={count}, cnonce="{cnonce}", response="{response}"'
    return f'{base}, response="{md5(ha1 + ":" + params["nonce"] + ":" + ha2)}"'


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def title(body: bytes) -> str:
    text = body.decode()
    return text.split("<title>", 1)[1].split("</title>", 1)[0]


# -- RTSP --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_hikvision_rtsp_options_and_digest_challenge(lab: RunningLab) -> None:
    address = where(lab, "hikvision-old", 554)
    url = f"rtsp://{address[0]}:{address[1]}/Streaming/Channels/101"
    client = await Raw.open(address)
    try:
        await client.send(rtsp_request("OPTIONS", url, 1))
        options = await client.response()
        # RTSP connections are persistent (RFC 2326 section 1.4): DESCRIBE on the same one.
        await client.send(rtsp_request("DESCRIBE", url, 2, "Accept: application/sdp"))
        describe = await client.response()
    finally:
        await client.close()
    assert (options.version, options.status, options.header("cseq")) == ("RTSP/1.0", 200, "1")
    assert options.header("server") is None
    assert options.header("public") == (
        "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"
    )
    assert (describe.status, describe.header("cseq")) == (401, "2")
    first, second = describe.header_all("www-authenticate")
    assert first.startswith('Digest realm="IP Camera(C12345)", nonce="')
    assert second == 'Basic realm="IP Camera(C12345)"'


@pytest.mark.asyncio
async def test_hikvision_rtsp_accepts_only_its_real_password(lab: RunningLab) -> None:
    address = where(lab, "hikvision-old", 554)
    user, password = lab.device("hikvision-old").spec.credentials[Protocol.RTSP]
    url = f"rtsp://{address[0]}:{address[1]}/Streaming/Channels/101"
    client = await Raw.open(address)
    try:
        await client.send(rtsp_request("DESCRIBE", url, 1))
        challenge = (await client.response()).header_all("www-authenticate")[0]
        for cseq, (pw, status) in enumerate([("12345", 401), (password, 200)], start=2):
            auth = digest(challenge, user=user, password=pw, method="DESCRIBE", uri=url)
            await client.send(rtsp_request("DESCRIBE", url, cseq, f"Authorization: {auth}"))
            assert (await client.response()).status == status
        await client.send(
            rtsp_request("DESCRIBE", url, 9, f"Authorization: {basic(user, password)}")
        )
        reply = await client.response()
    finally:
        await client.close()
    assert reply.status == 200
    assert reply.header("content-type") == "application/sdp"


@pytest.mark.asyncio
async def test_dahua_rtsp_default_login_on_its_route(lab: RunningLab) -> None:
    address = where(lab, "dahua-default", 554)
    host = f"rtsp://{address[0]}:{address[1]}"
    route = f"{host}/cam/realmonitor?channel=1&subtype=0"
    options = await exchange(address, rtsp_request("OPTIONS", host + "/", 1))
    assert options.header("server") == "Dahua Rtsp Server"
    for url in (route, f"{host}/no/such/path"):
        # Credentials first, whatever the path: routes cannot be enumerated without a login.
        reply = await exchange(address, rtsp_request("DESCRIBE", url, 2))
        assert reply.status == 401
        (challenge,) = reply.header_all("www-authenticate")
        assert challenge.startswith('Digest realm="Login to 4K01234PAZ00000", nonce="')
        assert "qop" not in challenge
    client = await Raw.open(address)
    try:
        await client.send(rtsp_request("DESCRIBE", route, 3))
        challenge = (await client.response()).header("www-authenticate") or ""
        auth = digest(challenge, user="admin", password="admin", method="DESCRIBE", uri=route)
        await client.send(rtsp_request("DESCRIBE", route, 4, f"Authorization: {auth}"))
        ok = await client.response()
        other = f"{host}/Streaming/Channels/101"
        auth = digest(challenge, user="admin", password="admin", method="DESCRIBE", uri=other)
        await client.send(rtsp_request("DESCRIBE", other, 5, f"Authorization: {auth}"))
        missing = await client.response()
    finally:
        await client.close()
    assert (ok.status, ok.header("cseq")) == (200, "4")
    assert ok.header("content-type") == "application/sdp"
    assert ok.header("content-length") == str(len(ok.body))
    assert ok.header("content-base") == route + "/"
    sdp = ok.body.decode()
    assert "m=video 0 RTP/AVP 96" in sdp
    assert "a=rtpmap:96 H264/90000" in sdp
    assert "a=control:trackID=1" in sdp
    assert (missing.status, missing.header("cseq")) == (404, "5")


@pytest.mark.asyncio
async def test_axis_rtsp_digest_qop_nc_and_replay(lab: RunningLab) -> None:
    address = where(lab, "axis-hardened", 554)
    user, password = lab.device("axis-hardened").spec.credentials[Protocol.RTSP]
    url = f"rtsp://{address[0]}:{address[1]}/axis-media/media.amp?videocodec=h264"
    client = await Raw.open(address)
    try:
        await client.send(rtsp_request("OPTIONS", url, 1))
        assert (await client.response()).header("server") == "GStreamer RTSP server"
        await client.send(rtsp_request("DESCRIBE", url, 2))
        first = await client.response()
        challenge = first.header("www-authenticate") or ""
        assert challenge.startswith('Digest realm="AXIS_ACCC8E123456", qop="auth", nonce="')
        results = []
        for cseq, (pw, nc) in enumerate(
            [("pass", 1), (password, 2), (password, 2), (password, 3)], start=3
        ):
            auth = digest(challenge, user=user, password=pw, method="DESCRIBE", uri=url, nc=nc)
            await client.send(rtsp_request("DESCRIBE", url, cseq, f"Authorization: {auth}"))
            results.append((await client.response()).status)
        # The digest uri must name this request's resource (RFC 7616 section 3.4.6).
        wrong_uri = digest(
            challenge, user=user, password=password, method="DESCRIBE", uri="/other", nc=4
        )
        await client.send(rtsp_request("DESCRIBE", url, 9, f"Authorization: {wrong_uri}"))
        results.append((await client.response()).status)
    finally:
        await client.close()
    # Wrong password, right one, replayed nc, next nc, wrong uri.
    assert results == [401, 200, 401, 200, 401]


@pytest.mark.asyncio
async def test_open_rtsp_streams_without_credentials_and_plays(lab: RunningLab) -> None:
    address = where(lab, "open-rtsp", 554)
    host = f"rtsp://{address[0]}:{address[1]}"
    client = await Raw.open(address)
    try:
        await client.send(rtsp_request("OPTIONS", host, 1))
        assert (await client.response()).header("server") == "Rtsp Server/2.0"
        statuses = {}
        for cseq, path in enumerate(["/live/ch0", "/live/ch1", "/random-7f3a"], start=2):
            await client.send(rtsp_request("DESCRIBE", host + path, cseq))
            statuses[path] = (await client.response()).status
        track = f"{host}/live/ch0/trackID=1"
        transport = "Transport: RTP/AVP;unicast;client_port=50000-50001"
        await client.send(rtsp_request("SETUP", track, 10, transport))
        setup = await client.response()
        session = (setup.header("session") or "").split(";")[0]
        await client.send(rtsp_request("PLAY", host + "/live/ch0/", 11, f"Session: {session}"))
        play = await client.response()
        await client.send(rtsp_request("TEARDOWN", host + "/live/ch0/", 12, f"Session: {session}"))
        teardown = await client.response()
        await client.send(rtsp_request("PLAY", host + "/live/ch0/", 13, f"Session: {session}"))
        after = await client.response()
    finally:
        await client.close()
    assert statuses == {"/live/ch0": 200, "/live/ch1": 200, "/random-7f3a": 404}
    assert setup.status == 200
    assert session
    assert "server_port=" in (setup.header("transport") or "")
    assert (setup.header("session") or "").endswith(";timeout=60")
    assert play.status == 200
    assert (play.header("rtp-info") or "").startswith(f"url={host}/live/ch0/trackID=1;seq=")
    assert teardown.status == 200
    assert after.status == 454


@pytest.mark.asyncio
async def test_rtsp_method_and_syntax_errors(lab: RunningLab) -> None:
    address = where(lab, "axis-hardened", 554)
    url = f"rtsp://{address[0]}:{address[1]}/axis-media/media.amp"
    client = await Raw.open(address)
    try:
        statuses = []
        for data in (
            rtsp_request("FROBNICATE", url, 1),  # not an RTSP method: 501
            rtsp_request("RECORD", url, 2),  # offered in Public, never valid here: 455
            rtsp_request("REDIRECT", url, 3),  # RTSP method this server does not offer: 405
            b"DESCRIBE " + url.encode() + b" RTSP/1.0\r\nAccept: application/sdp\r\n\r\n",
            rtsp_request("SETUP", url, 4, "Transport: RAW/RAW/UDP"),
        ):
            await client.send(data)
            statuses.append((await client.response()).status)
        # Still serving on the same connection after all of that.
        await client.send(rtsp_request("OPTIONS", url, 5))
        options = await client.response()
    finally:
        await client.close()
    assert statuses == [501, 455, 405, 400, 401]
    assert (options.status, options.header("cseq")) == (200, "5")


@pytest.mark.asyncio
async def test_http_request_on_rtsp_port_gets_505_and_close(lab: RunningLab) -> None:
    client = await Raw.open(where(lab, "open-rtsp", 554))
    try:
        await client.send(http_get("/"))
        reply = await client.response()
        assert await client.rest() == b""
    finally:
        await client.close()
    assert (reply.version, reply.status) == ("RTSP/1.0", 505)


@pytest.mark.asyncio
async def test_sha256_digest_challenge_for_a_custom_device() -> None:
    options = DigestOptions(algorithms=("SHA-256", "MD5"))
    rtsp = RtspConfig(
        server="Test",
        routes=(RtspRoute("/s"),),
        auth=AuthPolicy(realm="r", digest=options),
    )
    device = DeviceSpec(
        key="sha",
        name="sha",
        ip=f"{random_prefix()}.5",
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="",
        problems=(),
        expected_findings=(),
        credentials={Protocol.RTSP: ("u", "p")},
        services=(ServiceSpec(554, Protocol.RTSP, rtsp),),
    )
    async with await start_lab([device], standard_ports=False) as running:
        address = where(running, "sha", 554)
        url = f"rtsp://{address[0]}:{address[1]}/s"
        client = await Raw.open(address)
        try:
            await client.send(rtsp_request("DESCRIBE", url, 1))
            sha, md5 = (await client.response()).header_all("www-authenticate")
            assert "algorithm=SHA-256" in sha
            assert "algorithm=MD5" in md5
            params = challenge_params(sha)

            def h(text: str) -> str:
                return hashlib.sha256(text.encode()).hexdigest()

            # RFC 7616 section 3.4.1 with SHA-256.
            ha1, ha2 = h("u:r:p"), h(f"DESCRIBE:{url}")
            response = h(f"{ha1}:{params['nonce']}:00000001:c1:auth:{ha2}")
            auth = (
                f'Digest username="u", realm="r", nonce="{params["nonce"]}", uri="{url}", '
                f'algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c1", response="{response}"'
            )
            await client.send(rtsp_request("DESCRIBE", url, 2, f"Authorization: {auth}"))
            assert (await client.response()).status == 200
        finally:
            await client.close()


# -- HTTP --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_hikvision_http(lab: RunningLab) -> None:
    address = where(lab, "hikvision-old", 80)
    root = await exchange(address, http_get("/"))
    assert (root.status, root.header("location")) == (302, "/doc/page/login.asp")
    assert root.header("server") == "App-webs/"
    login = await exchange(address, http_get("/doc/page/login.asp"))
    assert login.status == 200
    assert title(login.body) == "Hikvision Web Login"
    assert b"?version=V5.2.5build141201" in login.body
    info = await exchange(address, http_get("/ISAPI/System/deviceInfo"))
    assert info.status == 401
    assert info.header("www-authenticate") == 'Basic realm="DS-2CD2032-I"'
    user, password = lab.device("hikvision-old").spec.credentials[Protocol.HTTP]
    authed = await exchange(
        address, http_get("/ISAPI/System/deviceInfo", f"Authorization: {basic(user, password)}")
    )
    assert authed.status == 200
    assert b"<firmwareVersion>V5.2.5</firmwareVersion>" in authed.body
    default = await exchange(
        address, http_get("/ISAPI/System/deviceInfo", f"Authorization: {basic('admin', '12345')}")
    )
    assert default.status == 401
    check = await exchange(
        address, http_get("/ISAPI/Security/userCheck", f"Authorization: {basic(user, password)}")
    )
    assert (check.status, b"<statusValue>200</statusValue>" in check.body) == (200, True)
    # CVE-2017-7921: the magic ?auth= query opens the old path without any login.
    assert (await exchange(address, http_get("/System/deviceInfo"))).status == 401
    bypass = await exchange(address, http_get("/System/deviceInfo?auth=YWRtaW46MTEK"))
    assert bypass.status == 200
    assert b"<model>DS-2CD2032-I</model>" in bypass.body


@pytest.mark.parametrize(
    ("key", "server", "page_title"),
    [
        ("dahua-default", None, "WEB SERVICE"),
        ("xiongmai-dvr", "uc-httpd 1.0.0", "NETSurveillance WEB"),
        ("open-rtsp", "thttpd/2.25b", "IPCAM"),
        (
            "printer",
            "HP HTTP Server; HP LaserJet Pro M404dn - W1A52A; Serial Number: PHBXX00000; "
            "Built:Mon Jan 10, 2022 FW 002.2201A",
            "HP LaserJet Pro M404dn",
        ),
    ],
)
@pytest.mark.asyncio
async def test_http_front_pages(
    lab: RunningLab, key: str, server: str | None, page_title: str
) -> None:
    reply = await exchange(where(lab, key, 80), http_get("/"))
    assert reply.status == 200
    assert reply.header("server") == server
    assert reply.header("content-type") == "text/html"
    assert reply.header("connection") == "close"
    assert title(reply.body) == page_title


@pytest.mark.asyncio
async def test_axis_http_redirect_and_digest(lab: RunningLab) -> None:
    address = where(lab, "axis-hardened", 80)
    root = await exchange(address, http_get("/"))
    assert (root.status, root.header("location"), root.header("server")) == (
        302,
        "/index.html",
        "Apache",
    )
    index = await exchange(address, http_get("/index.html"))
    assert (index.status, title(index.body)) == (200, "AXIS")
    path = "/axis-cgi/param.cgi?action=list"
    denied = await exchange(address, http_get(path))
    assert denied.status == 401
    challenge = denied.header("www-authenticate") or ""
    assert challenge.startswith('Digest realm="AXIS_ACCC8E123456", qop="auth", nonce="')
    user, password = lab.device("axis-hardened").spec.credentials[Protocol.HTTP]
    auth = digest(challenge, user=user, password=password, method="GET", uri=path)
    ok = await exchange(address, http_get(path, f"Authorization: {auth}"))
    assert ok.status == 200
    default = digest(challenge, user="root", password="pass", method="GET", uri=path, nc=2)
    assert (await exchange(address, http_get(path, f"Authorization: {default}"))).status == 401


@pytest.mark.asyncio
async def test_httpx_interoperates_redirects_and_digest(lab: RunningLab) -> None:
    # A second, independent client: httpx's redirect handling and its RFC 7616 Digest.
    ip, port = where(lab, "axis-hardened", 80)
    user, password = lab.device("axis-hardened").spec.credentials[Protocol.HTTP]
    async with httpx.AsyncClient(base_url=f"http://{ip}:{port}", timeout=TIMEOUT) as client:
        page = await client.get("/", follow_redirects=True)
        good = await client.get(
            "/axis-cgi/basicdeviceinfo.cgi", auth=httpx.DigestAuth(user, password)
        )
        bad = await client.get("/axis-cgi/basicdeviceinfo.cgi", auth=httpx.DigestAuth(user, "x"))
    assert (page.status_code, str(page.url).endswith("/index.html")) == (200, True)
    assert "<title>AXIS</title>" in page.text
    assert good.status_code == 200
    assert bad.status_code == 401


@pytest.mark.asyncio
async def test_favicons_head_and_http_errors(lab: RunningLab) -> None:
    hashes = set()
    for device in lab.devices:
        if 80 not in device.ports:
            continue
        icon = await exchange((device.ip, device.port(80)), http_get("/favicon.ico"))
        assert (icon.status, icon.header("content-type")) == (200, "image/x-icon")
        assert icon.body[:4] == b"\x00\x00\x01\x00"
        hashes.add(hashlib.md5(icon.body).hexdigest())
    assert len(hashes) == 6  # one icon per vendor: favicon hashes tell them apart
    address = where(lab, "printer", 80)
    get = await exchange(address, http_get("/"))
    head_client = await Raw.open(address)
    try:
        await head_client.send(http_get("/", method="HEAD"))
        head = await head_client.response(head_only=True)
        assert await head_client.rest() == b""  # RFC 7231 section 4.3.2: no body on HEAD
    finally:
        await head_client.close()
    assert head.status == 200
    assert head.header("content-length") == str(len(get.body))
    post = await exchange(
        address,
        b"POST / HTTP/1.1\r\nHost: lab\r\nContent-Length: 3\r\n\r\nabc",
    )
    assert (post.status, post.header("allow")) == (405, "GET, HEAD")
    assert (await exchange(address, http_get("/nope"))).status == 404
    no_host = await exchange(address, b"GET / HTTP/1.1\r\n\r\n")
    assert no_host.status == 400
    assert (await exchange(address, b"GET / HTTP/1.0\r\n\r\n")).version == "HTTP/1.0"
    assert (await exchange(address, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")).status == 505


# -- Telnet ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_telnet_negotiation_then_login_prompt(lab: RunningLab) -> None:
    client = await Raw.open(where(lab, "xiongmai-dvr", 23))
    try:
        greeting = await client.until(b"login: ")
    finally:
        await client.close()
    assert greeting == (
        bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS]) + b"\r\nLocalHost login: "
    )


@pytest.mark.asyncio
async def test_telnet_negotiating_client_logs_in_with_default_password(lab: RunningLab) -> None:
    client = await Raw.open(where(lab, "xiongmai-dvr", 23))
    try:
        await client.until(b"login: ")
        # Agree to everything offered, ask for TTYPE (which it must refuse), send a window size.
        await client.send(
            bytes([IAC, DO, ECHO, IAC, DO, SGA, IAC, WILL, NAWS, IAC, DO, 24])
            + bytes([IAC, SB, NAWS, 0, 132, 0, 43, IAC, SE])
            + b"root\r\n"
        )
        reply = await client.until(b"Password: ")
        await client.send(b"xc3511\r\n")
        shell = await client.until(b"# ")
        await client.send(b"id\r\n")
        output = await client.until(b"# ")
        await client.send(b"exit\r\n")
        assert await client.rest() == b"\r\n"
    finally:
        await client.close()
    # Only the refusal of TTYPE: acknowledgements of our own offers get no answer (RFC 854).
    assert reply == bytes([IAC, WONT, 24]) + b"root\r\nPassword: "
    assert b"BusyBox" in shell
    assert b"uid=0(root)" in output


@pytest.mark.asyncio
async def test_telnet_wrong_logins_then_hang_up(lab: RunningLab) -> None:
    client = await Raw.open(where(lab, "xiongmai-dvr", 23))
    try:
        await client.until(b"login: ")
        # A scripted client may send user and password in one go, before any prompt.
        await client.send(b"admin\r\nadmin\r\n")
        first = await client.until(b"login: ")
        await client.send(b"root\r\nvizxv\r\nroot\r\n7ujMko0admin\r\n")
        rest = await client.rest()
    finally:
        await client.close()
    assert first == b"Password: \r\nLogin incorrect\r\nLocalHost login: "
    assert rest.count(b"Login incorrect") == 2
    assert rest.endswith(b"Login incorrect\r\n")  # third failure: hung up, no new prompt


@pytest.mark.asyncio
async def test_telnetlib3_client_interoperates(lab: RunningLab) -> None:
    ip, port = where(lab, "xiongmai-dvr", 23)
    reader, writer = await telnetlib3.open_connection(
        ip, port, connect_minwait=0.05, connect_maxwait=0.5, encoding="utf8"
    )
    assert isinstance(reader, telnetlib3.TelnetReaderUnicode)
    assert isinstance(writer, telnetlib3.TelnetWriterUnicode)
    try:
        seen = ""
        async with asyncio.timeout(TIMEOUT):
            while "login: " not in seen:
                seen += await reader.read(1024)
            writer.write("root\r\n")
            while "Password: " not in seen:
                seen += await reader.read(1024)
            writer.write("xc3511\r\n")
            while not seen.endswith("# "):
                seen += await reader.read(1024)
    finally:
        writer.close()
    assert "BusyBox" in seen


# -- silent ports, robustness, lifecycle ---------------------------------------------------------


@pytest.mark.asyncio
async def test_silent_ports_say_nothing_and_close_when_idle() -> None:
    devices = default_devices(random_prefix())
    async with await start_lab(devices, standard_ports=False, idle_timeout=0.4) as running:
        for key, port in (
            ("hikvision-old", 8000),
            ("dahua-default", 37777),
            ("xiongmai-dvr", 34567),
        ):
            client = await Raw.open(where(running, key, port))
            try:
                assert await client.quiet(0.15) == b""
                await client.send(b"\xff\x00\x00\x00junk" * 100)
                # Read and discarded; then the idle deadline closes the connection.
                assert await client.rest() == b""
            finally:
                await client.close()
    assert running.port_protocols()[34567] is Protocol.TCP


@pytest.mark.asyncio
async def test_garbage_never_kills_a_server(
    lab: RunningLab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="scanner.lab")
    rng = random.Random(7)
    payloads = [
        b"\x00" * 100 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 20000 + b"\r\n\r\n",
        b"DESCRIBE rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n",
        b"\xff" * 5000,
        bytes([IAC, SB]) + b"x" * 5000,
        b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n" * 3,
        bytes(rng.randrange(256) for _ in range(3000)),
        b"\r\n" * 200,
    ]
    addresses = [(d.ip, port) for d in lab.devices for port in d.ports.values()]
    for address in addresses:
        for payload in payloads:
            client = await Raw.open(address)
            try:
                await client.send(payload)
                await client.quiet(0.02)
            except ConnectionError:
                pass  # a reset for garbage is an acceptable answer
            finally:
                await client.close()
    # Everyone still answers properly afterwards.
    assert (await exchange(where(lab, "printer", 80), http_get("/"))).status == 200
    rtsp = where(lab, "open-rtsp", 554)
    assert (await exchange(rtsp, rtsp_request("OPTIONS", "rtsp://x/", 1))).status == 200
    client = await Raw.open(where(lab, "xiongmai-dvr", 23))
    try:
        assert (await client.until(b"login: ")).endswith(b"LocalHost login: ")
    finally:
        await client.close()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.asyncio
async def test_oversized_head_gets_400(lab: RunningLab) -> None:
    reply = await exchange(
        where(lab, "printer", 80), b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n"
    )
    assert reply.status == 400
    reply = await exchange(where(lab, "open-rtsp", 554), b"OPTIONS rtsp://x/ RTSP/1.0\r\n\r\n")
    assert (reply.status, reply.header("cseq")) == (400, None)


@pytest.mark.asyncio
async def test_connection_lifetime_caps_a_dripping_client() -> None:
    devices = default_devices(random_prefix())
    async with await start_lab(
        devices, standard_ports=False, idle_timeout=5.0, connection_lifetime=0.5
    ) as running:
        client = await Raw.open(where(running, "open-rtsp", 554))
        try:
            for _ in range(20):
                await client.send(b"O")  # never completes a request, never idles
                await asyncio.sleep(0.05)
                if client.reader.at_eof():
                    break
            assert await client.rest() == b""
        except ConnectionError:
            pass
        finally:
            await client.close()


def can_bind(address: tuple[str, int]) -> bool:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # SO_REUSEADDR so that connections the lab closed (TIME_WAIT) do not count; on Linux a
    # live listener still makes this bind fail.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1)
    except OSError:
        return False
    finally:
        sock.close()
    return True


@pytest.mark.asyncio
async def test_close_ends_open_connections_and_releases_every_port() -> None:
    running = await start_lab(default_devices(random_prefix()), standard_ports=False)
    addresses = [(d.ip, port) for d in running.devices for port in d.ports.values()]
    assert not any(can_bind(a) for a in addresses)
    held = await Raw.open(where(running, "xiongmai-dvr", 23))
    await held.until(b"login: ")
    assert running.open_connections == 1
    await running.close()
    assert await held.rest() == b""  # the open session was ended by close()
    await held.close()
    assert running.open_connections == 0
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            await Raw.open(address)
        assert can_bind(address)
    await running.close()  # idempotent


@pytest.mark.asyncio
async def test_port_fallbacks_keep_one_protocol_per_port() -> None:
    prefix = random_prefix()
    devices = default_devices(prefix)
    # Something else already holds hikvision-old's fallback HTTP port.
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.bind((f"{prefix}.11", 10080))
    squatter.listen(1)
    rtsp_on_http_port = DeviceSpec(
        key="odd",
        name="odd",
        ip=f"{prefix}.30",
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="RTSP on a port number the lab already uses for HTTP",
        problems=(),
        expected_findings=(),
        credentials={},
        services=(ServiceSpec(10080, Protocol.RTSP, RtspConfig("x", (RtspRoute("/a", False),))),),
    )
    try:
        async with await start_lab([*devices, rtsp_on_http_port], standard_ports=False) as running:
            hik = running.device("hikvision-old")
            assert hik.port(80) not in (80, 10080)
            assert running.device("printer").port(80) == 10080
            odd = running.device("odd").port(10080)
            protocols = running.port_protocols()
            assert protocols[10080] is Protocol.HTTP
            assert protocols[hik.port(80)] is Protocol.HTTP
            assert protocols[odd] is Protocol.RTSP
            assert sorted(protocols) == running.ports()
            reply = await exchange((f"{prefix}.30", odd), rtsp_request("DESCRIBE", "rtsp://x/a", 1))
            assert reply.status == 200
    finally:
        squatter.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="standard ports below 1024 need root")
@pytest.mark.asyncio
async def test_standard_ports_as_root() -> None:
    async with await start_lab(default_devices(random_prefix())) as running:
        assert running.ports() == [23, 80, 81, 554, 8000, 34567, 37777]
        assert running.port_protocols() == {
            23: Protocol.TELNET,
            80: Protocol.HTTP,
            81: Protocol.HTTP,
            554: Protocol.RTSP,
            8000: Protocol.TCP,
            34567: Protocol.TCP,
            37777: Protocol.TCP,
        }
        reply = await exchange((running.device("printer").ip, 80), http_get("/"))
        assert reply.status == 200


@pytest.mark.asyncio
async def test_lockout_after_failed_logins_spans_services() -> None:
    prefix = random_prefix()
    base = default_devices(prefix)[0]
    locked = DeviceSpec(**{**base.__dict__, "lockout": Lockout(max_failures=2, seconds=60)})
    user, password = locked.credentials[Protocol.HTTP]
    async with await start_lab([locked], standard_ports=False) as running:
        address = where(running, "hikvision-old", 80)
        path = "/ISAPI/System/deviceInfo"
        wrong = [await exchange(address, http_get(path, f"Authorization: {basic(user, 'x')}"))]
        # The second failure is on RTSP: the device counts failures across its services.
        rtsp = where(running, "hikvision-old", 554)
        wrong.append(
            await exchange(
                rtsp,
                rtsp_request(
                    "DESCRIBE",
                    "rtsp://x/Streaming/Channels/101",
                    1,
                    f"Authorization: {basic(user, 'y')}",
                ),
            )
        )
        right = await exchange(address, http_get(path, f"Authorization: {basic(user, password)}"))
    assert [r.status for r in wrong] == [401, 401]
    assert right.status == 403


@pytest.mark.asyncio
async def test_http_service_config_is_validated() -> None:
    with pytest.raises(ValueError, match="not rtsp"):
        ServiceSpec(80, Protocol.RTSP, HttpConfig(None, (HttpRoute("/"),)))
    with pytest.raises(ValueError, match="credentials"):
        DeviceSpec(
            key="k",
            name="n",
            ip="127.0.0.9",
            vendor=None,
            model=None,
            firmware=None,
            device_type=DeviceType.OTHER,
            description="",
            problems=(),
            expected_findings=(),
            credentials={},
            services=(ServiceSpec(23, Protocol.TELNET, TelnetConfig()),),
        )
    silent = ServiceSpec(9, Protocol.TCP, SilentConfig())
    spec = default_devices("127.0.9")[-1]
    twin = DeviceSpec(**{**spec.__dict__, "key": "x", "services": (silent,)})
    with pytest.raises(ValueError, match="distinct"):
        await start_lab([spec, twin])


@pytest.mark.asyncio
async def test_camera_that_accepts_any_route() -> None:
    rtsp = RtspConfig(
        server="cheap", routes=(RtspRoute("/live", auth=False),), accepts_any_route=True
    )
    device = DeviceSpec(
        key="any",
        name="any",
        ip=f"{random_prefix()}.7",
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="answers 200 to every path",
        problems=(),
        expected_findings=("rtsp-accepts-any-route",),
        credentials={},
        services=(ServiceSpec(554, Protocol.RTSP, rtsp),),
    )
    async with await start_lab([device], standard_ports=False) as running:
        address = where(running, "any", 554)
        for path in ("/live", "/a8f3c1d2e4", "/"):
            reply = await exchange(address, rtsp_request("DESCRIBE", f"rtsp://x{path}", 1))
            assert reply.status == 200, path


@pytest.mark.asyncio
async def test_serve_forever_closes_the_lab_when_cancelled() -> None:
    running = await start_lab(default_devices(random_prefix()), standard_ports=False)
    address = where(running, "printer", 80)
    task = asyncio.create_task(serve_forever(running))
    await asyncio.sleep(0.05)
    assert (await exchange(address, http_get("/"))).status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ConnectionRefusedError):
        await Raw.open(address)


@pytest.mark.asyncio
async def test_pipelined_rtsp_requests_with_mixed_line_endings(lab: RunningLab) -> None:
    client = await Raw.open(where(lab, "open-rtsp", 554))
    try:
        await client.send(
            b"OPTIONS rtsp://x/ RTSP/1.0\nCSeq: 1\n\n"
            + rtsp_request("DESCRIBE", "rtsp://x/live/ch1", 2)
        )
        first, second = await client.response(), await client.response()
    finally:
        await client.close()
    assert (first.status, first.header("cseq")) == (200, "1")
    assert (second.status, second.header("cseq")) == (200, "2")
    assert second.body.startswith(b"v=0\r\n")
