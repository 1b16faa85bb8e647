"""How each hostile persona behaves on a connection (scanner/lab/hostile.py runs them): the
connection it talks on (``Peer``), the persona record, and one coroutine per protocol for each
way of being broken or built to hurt the client. Written from the protocol texts, not from
``scanner.probe``."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from scanner.lab.hostile_payloads import (
    ESCAPES,
    HTTP_GARBAGE,
    HTTPS_GARBAGE,
    RTSP_GARBAGE,
    TELNET_GARBAGE,
    billion_laughs,
    deep_nesting,
    external_dtd,
    external_entity,
    gzip_bomb,
    soap_envelope,
    xml_text,
)
from scanner.lab.wire import (
    LabProtocolError,
    LabStream,
    Request,
    content_length,
    parse_request_head,
    render_response,
)
from scanner.models import Protocol

# One port number per protocol across the lab, so a scanner can be told one port map. The
# numbers are above 1024 (no root needed) and outside signatures/ports.yaml, so the raw TCP
# port is sniffed rather than taken for a known protocol.
PREFERRED_PORTS: Mapping[Protocol, int] = {
    Protocol.HTTP: 18080,
    Protocol.HTTPS: 18443,
    Protocol.RTSP: 18554,
    Protocol.TELNET: 18023,
    Protocol.TCP: 18999,
}
_FLOOD_CHUNK = 64 * 1024
_MAX_REQUESTS = 32  # requests served on one kept-alive connection


# --- the connection a persona talks on -----------------------------------------------------


class LabView(TypingProtocol):
    """What a persona needs of the lab running it (scanner.lab.hostile.HostileLab)."""

    elsewhere: str  # the out-of-scope address personas name
    drip_interval: float

    def port(self, protocol: Protocol) -> int: ...

    def note_request(self, target: str) -> None: ...


@dataclass
class Peer:
    """One accepted connection, as a persona sees it."""

    stream: LabStream
    writer: asyncio.StreamWriter
    lab: LabView
    ip: str  # the persona's own address
    index: int  # how many connections this persona's service accepted before this one

    async def send(self, data: bytes) -> bool:
        """False once the client is gone (the persona then stops)."""
        return await self.stream.send(data)

    async def request(self) -> tuple[Request, bytes] | None:
        """The next request head and body, or None when the client left or sent garbage."""
        try:
            head = await self.stream.read_head()
            if head is None:
                return None
            request = parse_request_head(head)
            body = await self.stream.read_body(content_length(request))
        except LabProtocolError:
            return None
        self.lab.note_request(request.target)
        return request, body

    async def drain_silently(self) -> None:
        """Read and drop whatever the client sends, say nothing, until it leaves or idles out."""
        while await self.stream.read_some(16 * 1024):
            pass

    async def drip(self, data: bytes) -> None:
        """Send ``data`` one byte at a time, one per drip interval, then keep dripping spaces."""
        for byte in itertools.chain(data, itertools.repeat(0x20)):
            if not await self.send(bytes((byte,))):
                return
            await asyncio.sleep(self.lab.drip_interval)

    async def flood(self, head: bytes, chunk: bytes) -> None:
        """``head`` once, then ``chunk`` for ever (until the client leaves or the lifetime)."""
        if not await self.send(head):
            return
        while True:
            if not await self.send(chunk):
                return
            # drain() does not yield while the socket takes everything: without this, one
            # flood would starve every other persona of the lab's event loop.
            await asyncio.sleep(0)

    def reset(self) -> None:
        """Abort with a TCP RST: SO_LINGER with a zero timeout makes close() send RST
        (RFC 793 s3.5 "abort") instead of FIN."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    def elsewhere(self, protocol: Protocol, path: str = "/") -> str:
        """A URL on the out-of-scope address, on the port this lab uses for ``protocol``."""
        scheme = {Protocol.RTSP: "rtsp", Protocol.HTTPS: "https"}.get(protocol, "http")
        return f"{scheme}://{self.lab.elsewhere}:{self.lab.port(protocol)}{path}"


Behaviour = Callable[[Peer], Awaitable[None]]


@dataclass(frozen=True)
class Persona:
    """A hostile device: what it does, what a scanner must do about it, and per protocol the
    coroutine that runs each accepted connection. ``Protocol.TCP`` is a port whose protocol
    the lab does not announce, so the scanner has to sniff it."""

    key: str
    summary: str
    expect: str
    behaviours: Mapping[Protocol, Behaviour]


def _http(
    status: int,
    reason: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    version: str = "HTTP/1.1",
) -> bytes:
    return render_response(version, status, reason, list(headers), body)


def _raw_headers(status_line: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> bytes:
    # Device text goes out as UTF-8 bytes: render_response encodes Latin-1 and would replace
    # the escapes with "?", which is not what a hostile device sends.
    lines = [status_line, *(name + b": " + value for name, value in headers)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _u(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _cseq(request: Request) -> tuple[str, str]:
    return ("CSeq", (request.header("cseq") or "1")[:16])


# --- silent-accept ---------------------------------------------------------------------------


async def _silent(peer: Peer) -> None:
    await peer.drain_silently()


# --- slow-drip -------------------------------------------------------------------------------


async def _drip_http(peer: Peer) -> None:
    if await peer.request() is not None:
        await peer.drip(b"HTTP/1.1 200 OK\r\nServer: drip\r\nContent-Length: 100\r\n\r\n<html>")


async def _drip_rtsp(peer: Peer) -> None:
    if await peer.request() is not None:
        await peer.drip(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: drip\r\n")


async def _drip_banner(peer: Peer) -> None:
    await peer.drip(b"\xff\xfb\x01\xff\xfb\x03Welcome to the slowest camera\r\nlogin")


# --- endless-stream --------------------------------------------------------------------------


async def _endless_http(peer: Peer) -> None:
    if await peer.request() is None:
        return
    head = (
        b"HTTP/1.1 200 OK\r\nServer: endless\r\nContent-Type: text/html\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    # RFC 9112 s7.1 chunks of 64 KiB, never the last chunk; the title never closes either.
    first = b"<html><head><title>" + b"A" * 1000
    chunk = b"%x\r\n%s\r\n" % (_FLOOD_CHUNK, b"A" * _FLOOD_CHUNK)
    await peer.flood(head + b"%x\r\n%s\r\n" % (len(first), first), chunk)


async def _endless_rtsp(peer: Peer) -> None:
    if await peer.request() is None:
        return
    head = (
        b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\n"
        b"Content-Length: 999999999999\r\n\r\n"
    )
    await peer.flood(head, b"a=x-filler:" + b"v" * (_FLOOD_CHUNK - 13) + b"\r\n")


async def _endless_telnet(peer: Peer) -> None:
    # Text without a line end or a prompt, for ever.
    await peer.flood(b"\xff\xfb\x01Welcome ", b"W" * _FLOOD_CHUNK)


async def _endless_raw(peer: Peer) -> None:
    await peer.flood(b"", bytes(range(256)) * (_FLOOD_CHUNK // 256))


# --- huge-headers ----------------------------------------------------------------------------


async def _huge_http(peer: Peer) -> None:
    if await peer.request() is None:
        return
    # 4 MiB of header fields, then a body: far past any sane header cap (RFC 9110 s5.4 lets a
    # client refuse a header section it finds too large).
    header = b"X-Filler: " + b"h" * 1000 + b"\r\n"
    head = b"HTTP/1.1 200 OK\r\nServer: huge\r\n"
    if not await peer.send(head):
        return
    for _ in range(4096):
        if not await peer.send(header):
            return
        await asyncio.sleep(0)  # fair to the other personas (see Peer.flood)
    await peer.send(b"Content-Length: 2\r\n\r\nok")


async def _huge_rtsp(peer: Peer) -> None:
    if await peer.request() is None:
        return
    await peer.send(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: " + b"S" * (1024 * 1024) + b"\r\n\r\n")


# --- reset-mid-response ----------------------------------------------------------------------


async def _reset_http(peer: Peer) -> None:
    if await peer.request() is not None:
        await peer.send(b"HTTP/1.1 200 OK\r\nServer: reset\r\nContent-Length: 5000\r\n\r\n<htm")
        await asyncio.sleep(0.05)
    peer.reset()


async def _reset_rtsp(peer: Peer) -> None:
    if await peer.request() is not None:
        await peer.send(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: reset\r\nConte")
        await asyncio.sleep(0.05)
    peer.reset()


async def _reset_telnet(peer: Peer) -> None:
    await peer.send(b"\xff\xfb\x01\xff\xfb\x03Logi")
    await asyncio.sleep(0.05)
    peer.reset()


async def _reset_at_once(peer: Peer) -> None:
    peer.reset()


def rotating(answers: Sequence[bytes], *, read_first: bool) -> Behaviour:
    """Each new connection gets the next malformed answer, then the connection is closed."""

    async def behave(peer: Peer) -> None:
        if read_first:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await peer.stream.read_some(16 * 1024)  # the request, whatever it is
        await peer.send(answers[peer.index % len(answers)])

    return behave


# --- telnet-storm ----------------------------------------------------------------------------


def _storm_chunk() -> bytes:
    # Every verb on every option (RFC 854: WILL 251, WONT 252, DO 253, DONT 254), plus a
    # subnegotiation per option: a client that answers each one naively echoes a storm back.
    out = bytearray()
    for option in range(256):
        for verb in (251, 253, 252, 254):
            out += bytes((255, verb, option))
        out += bytes((255, 250, option)) + b"xxxx" + bytes((255, 240))
    return bytes(out)


async def _storm(peer: Peer) -> None:
    await peer.flood(b"", _storm_chunk())


# --- escape-artist ---------------------------------------------------------------------------

_ESC = _u(ESCAPES)
# XML 1.0 (s2.2) cannot carry C0 controls, not even as character references: what a hostile
# SOAP answer can carry is the rest (C1, bidi, markup, HTML, formulas).
_XML_ESCAPES = xml_text("".join(c for c in ESCAPES if c >= " " or c in "\t\n"))


async def _escape_http(peer: Peer) -> None:
    # Claims to be a Hikvision (App-webs/ server, version in the page), so a fingerprint quotes
    # the hostile Server header in the identification and a firmware-range finding follows.
    page = (
        b"<html><head><title>" + _ESC + b"</title>"
        b'<script src="/login.js?version=V5.2.5build141201"></script></head>'
        b"<body>" + _ESC + b"</body></html>"
    )
    for _ in range(_MAX_REQUESTS):
        got = await peer.request()
        if got is None:
            return
        request, body = got
        headers = [
            (b"Server", b"App-webs/" + _ESC),
            (b"X-Device-Name", _ESC),
            (b"Set-Cookie", _ESC + b"=" + _ESC),
        ]
        if request.method == "POST" and b"GetDeviceInformation" in body:
            info = (
                f"<tds:GetDeviceInformationResponse>"
                f"<tds:Manufacturer>{_XML_ESCAPES}</tds:Manufacturer>"
                f"<tds:Model>{_XML_ESCAPES}</tds:Model>"
                f"<tds:FirmwareVersion>{_XML_ESCAPES}</tds:FirmwareVersion>"
                f"<tds:SerialNumber>{_XML_ESCAPES}</tds:SerialNumber>"
                f"<tds:HardwareId>{_XML_ESCAPES}</tds:HardwareId>"
                "</tds:GetDeviceInformationResponse>"
            )
            answer = soap_envelope(info)
            headers.append((b"Content-Type", b"application/soap+xml"))
        elif request.method == "POST":
            answer = soap_envelope(
                "<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code>"
                f"<s:Reason><s:Text>{_XML_ESCAPES}</s:Text></s:Reason></s:Fault>"
            )
        elif request.target.startswith("/ISAPI"):
            headers.append((b"WWW-Authenticate", b'Basic realm="' + _ESC + b'"'))
            status = b"HTTP/1.1 401 " + _ESC
            if not await peer.send(
                _raw_headers(status, [*headers, (b"Content-Length", b"0")], b"")
            ):
                return
            continue
        else:
            answer = page
            headers.append((b"Content-Type", b"text/html; charset=utf-8"))
        headers.append((b"Content-Length", str(len(answer)).encode()))
        if not await peer.send(_raw_headers(b"HTTP/1.1 200 OK", headers, answer)):
            return


async def _escape_rtsp(peer: Peer) -> None:
    got = await peer.request()
    if got is None:
        return
    request, _ = got
    headers = [(b"CSeq", _u(_cseq(request)[1])), (b"Server", _ESC), (b"X-Note", _ESC)]
    if request.method == "OPTIONS":
        headers.append((b"Public", b"OPTIONS, DESCRIBE, " + _ESC))
        await peer.send(_raw_headers(b"RTSP/1.0 200 OK", headers, b""))
        return
    headers.append((b"WWW-Authenticate", b'Digest realm="' + _ESC + b'", nonce="' + _ESC + b'"'))
    await peer.send(_raw_headers(b"RTSP/1.0 401 " + _ESC, headers, b""))


async def _escape_telnet(peer: Peer) -> None:
    # RFC 854 negotiation first, then a banner full of escapes and a login prompt.
    await peer.send(b"\xff\xfb\x01\xff\xfb\x03\r\n" + _ESC + b"\r\n" + _ESC + b" login: ")
    for _ in range(4):  # answer a login attempt like a device that refuses it
        data = await peer.stream.read_some(1024)
        if not data:
            return
        if b"\r" in data or b"\n" in data:
            await peer.send(b"\r\n" + _ESC + b"\r\nPassword: ")


async def _escape_raw(peer: Peer) -> None:
    await peer.send(_ESC + b"\r\n")
    await peer.drain_silently()


# --- xml-bomb --------------------------------------------------------------------------------


async def _bomb_http(peer: Peer) -> None:
    for _ in range(_MAX_REQUESTS):
        got = await peer.request()
        if got is None:
            return
        request, _ = got
        bombs = (
            billion_laughs(),
            external_entity("file:///etc/passwd"),
            external_entity(peer.elsewhere(Protocol.HTTP, "/xxe")),
            external_dtd(peer.elsewhere(Protocol.HTTP, "/evil.dtd")),
            deep_nesting(),
        )
        if request.target == "/favicon.ico":
            # RFC 9110 s8.4: a body a careless client would inflate to 16 MiB.
            headers = [("Content-Encoding", "gzip"), ("Content-Type", "image/x-icon")]
            answer = _http(200, "OK", headers, gzip_bomb())
        elif request.method == "POST" or request.target.startswith("/description"):
            body = bombs[peer.index % len(bombs)]
            answer = _http(200, "OK", [("Content-Type", "application/soap+xml")], body)
        else:
            page = b"<html><head><title>XML bomb camera</title></head></html>"
            answer = _http(200, "OK", [("Content-Type", "text/html")], page)
        if not await peer.send(answer):
            return


# --- out-of-scope ----------------------------------------------------------------------------


def _sdp(peer: Peer) -> bytes:
    # RFC 4566 session with control URLs (RFC 2326 C.1.1) that point at another host.
    there = peer.elsewhere(Protocol.RTSP)
    return (
        "v=0\r\n"
        f"o=- 0 0 IN IP4 {peer.ip}\r\n"
        "s=out of scope\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\n"
        f"a=control:{there}\r\n"
        "m=video 0 RTP/AVP 96\r\n"
        "a=rtpmap:96 H264/90000\r\n"
        f"a=control:{there}track1\r\n"
    ).encode()


async def _lure_http(peer: Peer) -> None:
    for _ in range(_MAX_REQUESTS):
        got = await peer.request()
        if got is None:
            return
        request, body = got
        here = f"{peer.ip}:{peer.lab.port(Protocol.HTTP)}"
        there = peer.elsewhere(Protocol.HTTP)
        if request.method == "POST":
            answer = _http(
                200, "OK", [("Content-Type", "application/soap+xml")], _lure_soap(peer, body)
            )
        elif request.target == "/":
            answer = _http(302, "Found", [("Location", "/next")])
        elif request.target == "/next":
            # userinfo that looks like our host, then the real (other) host: RFC 3986 s3.2.1.
            location = f"http://{here}@{peer.lab.elsewhere}:{peer.lab.port(Protocol.HTTP)}/"
            answer = _http(302, "Found", [("Location", location)])
        elif request.target == "/favicon.ico":
            answer = _http(301, "Moved", [("Location", "//" + there.split("://", 1)[1])])
        else:
            answer = _http(302, "Found", [("Location", there)])
        if not await peer.send(answer):
            return


def _lure_soap(peer: Peer, body: bytes) -> bytes:
    there_http = peer.elsewhere(Protocol.HTTP, "/onvif/media_service")
    there_rtsp = peer.elsewhere(Protocol.RTSP, "/stream")
    if b"GetDeviceInformation" in body:
        return soap_envelope(
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>Lure</tds:Manufacturer>"
            "<tds:Model>OutOfScope</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
            "<tds:SerialNumber>0</tds:SerialNumber><tds:HardwareId>0</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )
    if b"GetCapabilities" in body:
        return soap_envelope(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{there_http}</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>{there_http}</tt:XAddr></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )
    if b"GetProfiles" in body:
        return soap_envelope(
            '<trt:GetProfilesResponse><trt:Profiles token="p1"/></trt:GetProfilesResponse>'
        )
    if b"GetStreamUri" in body or b"GetSnapshotUri" in body:
        kind = "GetStreamUriResponse" if b"GetStreamUri" in body else "GetSnapshotUriResponse"
        return soap_envelope(
            f"<trt:{kind}><trt:MediaUri><tt:Uri>{there_rtsp}</tt:Uri></trt:MediaUri></trt:{kind}>"
        )
    return soap_envelope("<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault>")


async def _lure_rtsp(peer: Peer) -> None:
    session = "hostile1"
    for _ in range(_MAX_REQUESTS):
        got = await peer.request()
        if got is None:
            return
        request, _ = got
        cseq = _cseq(request)
        path = request.target.split("://", 1)[-1].partition("/")[2]
        base = [cseq, ("Server", "Lure RTSP")]
        if request.method == "OPTIONS":
            answer = render_response(
                "RTSP/1.0",
                200,
                "OK",
                [*base, ("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")],
            )
        elif request.method == "DESCRIBE" and path == "":
            sdp = _sdp(peer)
            content_base = (
                f"rtsp://{peer.ip}:{peer.lab.port(Protocol.RTSP)}@{peer.lab.elsewhere}:"
                f"{peer.lab.port(Protocol.RTSP)}/"
            )
            headers = [*base, ("Content-Base", content_base), ("Content-Type", "application/sdp")]
            answer = render_response("RTSP/1.0", 200, "OK", headers, sdp)
        elif request.method == "DESCRIBE" and path.startswith("camsweep-"):
            answer = render_response("RTSP/1.0", 404, "Not Found", base)
        elif request.method == "DESCRIBE":
            # A challenge first; the login that answers it gets a redirect to another server
            # (RFC 2326 s11.3.3), which must not take the credentials there.
            if request.header("authorization") is None:
                answer = render_response(
                    "RTSP/1.0",
                    401,
                    "Unauthorized",
                    [*base, ("WWW-Authenticate", 'Basic realm="lure"')],
                )
            else:
                answer = render_response(
                    "RTSP/1.0", 302, "Moved", [*base, ("Location", peer.elsewhere(Protocol.RTSP))]
                )
        elif request.method == "SETUP":
            answer = render_response(
                "RTSP/1.0",
                200,
                "OK",
                [*base, ("Session", session), ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
            )
        elif request.method == "PLAY":
            rtp = bytes((0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1)) + b"\x00" * 20
            answer = render_response("RTSP/1.0", 200, "OK", [*base, ("Session", session)])
            answer += b"$\x00" + struct.pack("!H", len(rtp)) + rtp
        else:
            answer = render_response("RTSP/1.0", 200, "OK", base)
        if not await peer.send(answer):
            return


# --- the personas ----------------------------------------------------------------------------


def default_personas() -> tuple[Persona, ...]:
    """Every hostile persona, in address order (``127.66.0.10`` onwards)."""
    return (
        Persona(
            "silent-accept",
            "accepts every connection and never says a word (HTTP, HTTPS, RTSP, Telnet, raw)",
            "each probe ends at its read deadline; the host at its own",
            dict.fromkeys(PREFERRED_PORTS, _silent),
        ),
        Persona(
            "slow-drip",
            "answers one byte a second, for ever",
            "reads end at their deadline, however many bytes trickle in",
            {
                Protocol.HTTP: _drip_http,
                Protocol.RTSP: _drip_rtsp,
                Protocol.TELNET: _drip_banner,
                Protocol.TCP: _drip_banner,
            },
        ),
        Persona(
            "endless-stream",
            "streams without end: a chunked HTTP body, an RTSP body of 10^12 bytes, text, bytes",
            "every read stops at its byte cap; memory stays flat",
            {
                Protocol.HTTP: _endless_http,
                Protocol.RTSP: _endless_rtsp,
                Protocol.TELNET: _endless_telnet,
                Protocol.TCP: _endless_raw,
            },
        ),
        Persona(
            "huge-headers",
            "4 MiB of HTTP header fields; a 1 MiB RTSP Server header",
            "header caps refuse them: a malformed-response note, nothing kept",
            {Protocol.HTTP: _huge_http, Protocol.RTSP: _huge_rtsp},
        ),
        Persona(
            "reset-mid-response",
            "sends half an answer, then a TCP reset",
            "recorded as a reset, never a crash",
            {
                Protocol.HTTP: _reset_http,
                Protocol.RTSP: _reset_rtsp,
                Protocol.TELNET: _reset_telnet,
                Protocol.TCP: _reset_at_once,
            },
        ),
        Persona(
            "garbage",
            "malformed answers, a new one per connection: bad status lines, negative and huge "
            "lengths, invalid UTF-8, broken chunking, broken TLS",
            "a recorded malformed-response note; never an exception out of a probe",
            {
                Protocol.HTTP: rotating(HTTP_GARBAGE, read_first=True),
                Protocol.HTTPS: rotating(HTTPS_GARBAGE, read_first=True),
                Protocol.RTSP: rotating(RTSP_GARBAGE, read_first=True),
                Protocol.TELNET: rotating(TELNET_GARBAGE, read_first=False),
                Protocol.TCP: rotating(RTSP_GARBAGE, read_first=False),
            },
        ),
        Persona(
            "telnet-storm",
            "floods Telnet option negotiation (every verb on every option) without end",
            "the negotiation budget ends the read; no reply storm",
            {Protocol.TELNET: _storm, Protocol.TCP: _storm},
        ),
        Persona(
            "escape-artist",
            "terminal escapes, bidi overrides, rich markup, HTML, formulas in every text field",
            "shown as visible placeholders or escaped text in every report format",
            {
                Protocol.HTTP: _escape_http,
                Protocol.RTSP: _escape_rtsp,
                Protocol.TELNET: _escape_telnet,
                Protocol.TCP: _escape_raw,
            },
        ),
        Persona(
            "xml-bomb",
            "ONVIF and UPnP description answers with entity bombs, external entities, "
            "an external DTD and 30,000 nested elements",
            "refused by the XML parser: a note, no expansion, no fetch",
            {Protocol.HTTP: _bomb_http},
        ),
        Persona(
            "out-of-scope",
            "redirects, ONVIF XAddrs, stream URIs, RTSP Content-Base and control URLs that all "
            "point at another address",
            "recorded, never followed: the out-of-scope address sees no connection",
            {Protocol.HTTP: _lure_http, Protocol.RTSP: _lure_rtsp},
        ),
    )
