"""Hostile and broken devices: the lab personas a scanner must survive.

A scanner talks to the least trustworthy machines on a network. Each persona here is one way a
device can be broken or built to hurt the client talking to it: it accepts and never answers,
drips one byte a second, streams without end, resets half-way, answers garbage, floods Telnet
option negotiation, hides terminal escape sequences in every text it sends, answers XML with
entity bombs and external entities, or names addresses outside the scan (HTTP redirects,
ONVIF XAddrs, RTSP Content-Base, SSDP LOCATION) hoping the scanner goes there.

``start_hostile()`` serves every persona on its own loopback address (``127.66.0.10`` ...),
one port number per protocol across the whole hostile lab, and can watch the out-of-scope
address the personas point at (``127.66.1.1``): any connection there is a scope violation, and
``HostileLab.out_of_scope`` counts them. ``camsweep lab --hostile`` runs it for users; the
hostile-suite test scans it and checks time, memory, output and scope.

Like the rest of the lab this is written from the protocol texts, not from ``scanner.probe``:
a persona is what a device may send, whatever the scanner expects. Every connection is owned
by the lab, capped in lifetime, and ended by ``close()``; a persona stops streaming as soon as
the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import ipaddress
import itertools
import logging
import socket
import struct
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scanner.lab.devices import LOOPBACK
from scanner.lab.runner import shut_down
from scanner.lab.wire import (
    LabProtocolError,
    LabStream,
    Request,
    content_length,
    parse_request_head,
    render_response,
)
from scanner.models import Protocol

__all__ = [
    "ELSEWHERE",
    "ESCAPES",
    "HOSTILE_PREFIX",
    "HTTPS_GARBAGE",
    "HTTP_GARBAGE",
    "PREFERRED_PORTS",
    "RTSP_GARBAGE",
    "TELNET_GARBAGE",
    "Behaviour",
    "HostileLab",
    "Peer",
    "Persona",
    "billion_laughs",
    "default_personas",
    "describe_personas",
    "external_entity",
    "gzip_bomb",
    "rotating",
    "ssdp_response",
    "start_hostile",
    "wsd_probe_matches",
]

log = logging.getLogger(__name__)

HOSTILE_PREFIX = "127.66.0"  # personas at .10, .11, ...
ELSEWHERE = "127.66.1.1"  # the out-of-scope address the personas try to lure a scanner to
_FIRST_HOST = 10
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
DEFAULT_LIFETIME = 60.0  # seconds any one connection may last
DEFAULT_IDLE = 30.0  # seconds a persona waits for a client that says nothing
DEFAULT_DRIP = 1.0  # seconds between two bytes of a drip
MAX_CONNECTIONS = 2048  # open at once across the hostile lab; more are closed at accept
_FLOOD_CHUNK = 64 * 1024
_BIND_TRIES = 16
_MAX_REQUESTS = 32  # requests served on one kept-alive connection

# Text a hostile device puts in every field it controls. Each piece attacks one reader:
# ECMA-48 CSI (clear screen, colours) and its 8-bit form 0x9B, OSC 52 (write the clipboard),
# OSC 8 (a hyperlink), a bell, rich markup and emoji codes, a bidi override (CVE-2021-42574),
# an HTML script, a spreadsheet formula (CSV injection) and markdown link/table syntax.
# HOSTILE-MARK lets a test find where the text landed.
ESCAPES = (
    "HOSTILE-MARK \x1b[2J\x1b[31mred\x1b[0m \x1b]52;c;cm0gLXJmIH4=\x07 "
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x9b31m \x07 "
    "[bold red]markup[/bold red] :skull: \u202egnp.exe\u202c "
    '<script>alert(1)</script> =HYPERLINK("http://evil.example") '
    "[click](http://evil.example) | cell |"
)


# --- payloads a hostile device sends (pure) ------------------------------------------------


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity expansion bomb: ``levels`` entities of ten references each, 10**levels
    copies of "lol" once expanded (about 3 GB at 9 levels)."""
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
        + "\n".join(lines)
        + f"\n]>\n<lolz>&lol{levels - 1};</lolz>\n"
    ).encode()


def external_entity(url: str) -> bytes:
    """XXE: an external entity (a local file or a URL) that a careless parser would fetch."""
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE root [<!ENTITY xxe SYSTEM "{url}">]>\n'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        "<root><device><manufacturer>&xxe;</manufacturer></device></root>"
        "</s:Body></s:Envelope>\n"
    ).encode()


def _external_dtd(url: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE root SYSTEM "{url}">\n<root><device/></root>\n'
    ).encode()


def _deep_nesting(depth: int = 30_000) -> bytes:
    return b"<?xml version='1.0'?>" + b"<a>" * depth + b"</a>" * depth


@functools.cache
def gzip_bomb(size: int = 16 * 1024 * 1024) -> bytes:
    """``size`` zero bytes gzip-compressed (about a thousandth of that on the wire)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


def ssdp_response(location: str, *, server: str = ESCAPES, st: str = "upnp:rootdevice") -> bytes:
    """An SSDP M-SEARCH answer (UPnP DA 1.1 s1.3.3) naming ``location`` for its description."""
    lines = [
        "HTTP/1.1 200 OK",
        "CACHE-CONTROL: max-age=1800",
        "EXT:",
        f"LOCATION: {location}",
        f"SERVER: {server}",
        f"ST: {st}",
        f"USN: uuid:hostile-0000::{st}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace")


def wsd_probe_matches(xaddrs: str, *, relates_to: str = "", scopes: str = "") -> bytes:
    """A WS-Discovery ProbeMatches (ONVIF Core s7.3) whose XAddrs point wherever asked."""
    scopes = scopes or (
        "onvif://www.onvif.org/type/video_encoder "
        "onvif://www.onvif.org/hardware/%1B%5B2J%1B%5D52%3Bc%3BX%07HOSTILE-MARK "
        "onvif://www.onvif.org/name/%E2%80%AEgnp.exe"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        f"<s:Header><a:RelatesTo>{relates_to}</a:RelatesTo></s:Header>"
        "<s:Body><d:ProbeMatches><d:ProbeMatch>"
        "<a:EndpointReference><a:Address>urn:uuid:hostile</a:Address></a:EndpointReference>"
        "<d:Types>dn:NetworkVideoTransmitter</d:Types>"
        f"<d:Scopes>{scopes}</d:Scopes><d:XAddrs>{xaddrs}</d:XAddrs>"
        "<d:MetadataVersion>1</d:MetadataVersion>"
        "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
    ).encode()


def _soap(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
        'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
        'xmlns:tt="http://www.onvif.org/ver10/schema">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the connection a persona talks on -----------------------------------------------------


@dataclass
class Peer:
    """One accepted connection, as a persona sees it."""

    stream: LabStream
    writer: asyncio.StreamWriter
    lab: HostileLab
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


# --- garbage ---------------------------------------------------------------------------------

HTTP_GARBAGE: tuple[bytes, ...] = (
    b"HTTP/1.1 999999999999999999999 OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nbody",
    b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 4096 + b"\r\n\r\nbody",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nxx\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nxx",
    b"\xff\xfe\x00\x80\x81 not http at all \xc3\x28\r\n\r\n",
    b"HTTP/1.1 200 \xff\xfe\xc3\x28\r\nServer: \xc3\x28\xa0\xa1\xed\xa0\x80\r\n"
    b"Content-Type: text/html; charset=x-no-such-codec\r\nContent-Length: 40\r\n\r\n"
    b"<title>\xff\xfe\xfd\xfc\x00\x01\x1b[2J</title>\xc3\x28\xf0\x28\x8c\x28\xff",
    b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="' + b'\\"' * 2000 + b"\r\n"
    b"WWW-Authenticate: Basic realm=\r\nWWW-Authenticate: ,,,,\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: \x00\x1b]52;c;eA==\x07\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n Folded: value\r\n\tMore: folding\r\nContent-Length: 0\r\n\r\n",
)

RTSP_GARBAGE: tuple[bytes, ...] = (
    bytes(range(256)) * 4,
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: " + b"9" * 100_000 + b"\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 1e3\r\n\r\n",
    b"RTSP/1.0 20 OK\r\n\r\n",
    b"RTSP/1.0 200 \xff\xfe\r\nCSeq: 1\r\nServer: \xc3\x28\xed\xa0\x80\x1b[2J\r\n"
    b"Public: OPTIONS, \xff\xfe\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"\r\n" * 50_000,
    b'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm="'
    + b'\\"' * 5000
    + b"\r\nWWW-Authenticate: Digest nonce=,,,=,realm\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 100\r\n\r\n"
    b"v=0\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n" + b"X-Many: 1\r\n" * 5000 + b"\r\n",
    b"RTSP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
)

TELNET_GARBAGE: tuple[bytes, ...] = (
    b"\xff\xfa\x18" + b"never ends" * 100,  # IAC SB without IAC SE
    b"\xc3\x28\xa0\xa1\xff\xff\xff\xff\x1b[2J\x1b]52;c;eA==\x07\x9b31m\r\nlogin: ",
    b"\xff" * 10_000,
    b"\x00" * 5_000 + b"\r\x00\r\x00\r" + b"\xff\xf1" * 1000,
)

HTTPS_GARBAGE: tuple[bytes, ...] = (
    b"\x16\x03\x01\xff\xff" + b"\x00" * 64,  # a TLS record announcing 64 KiB, then too little
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",  # plain text to a ClientHello
    b"\x15\x03\x03\x00\x02\x02\x28",  # a fatal alert (handshake_failure)
)


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
_XML_ESCAPES = _xml_text("".join(c for c in ESCAPES if c >= " " or c in "\t\n"))


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
            answer = _soap(info)
            headers.append((b"Content-Type", b"application/soap+xml"))
        elif request.method == "POST":
            answer = _soap(
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
            _external_dtd(peer.elsewhere(Protocol.HTTP, "/evil.dtd")),
            _deep_nesting(),
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
        return _soap(
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>Lure</tds:Manufacturer>"
            "<tds:Model>OutOfScope</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
            "<tds:SerialNumber>0</tds:SerialNumber><tds:HardwareId>0</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )
    if b"GetCapabilities" in body:
        return _soap(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{there_http}</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>{there_http}</tt:XAddr></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )
    if b"GetProfiles" in body:
        return _soap(
            '<trt:GetProfilesResponse><trt:Profiles token="p1"/></trt:GetProfilesResponse>'
        )
    if b"GetStreamUri" in body or b"GetSnapshotUri" in body:
        kind = "GetStreamUriResponse" if b"GetStreamUri" in body else "GetSnapshotUriResponse"
        return _soap(
            f"<trt:{kind}><trt:MediaUri><tt:Uri>{there_rtsp}</tt:Uri></trt:MediaUri></trt:{kind}>"
        )
    return _soap("<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault>")


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


# --- running the lab -------------------------------------------------------------------------


@dataclass
class RunningPersona:
    persona: Persona
    ip: str


@dataclass
class HostileLab:
    """The running hostile lab. ``async with await start_hostile() as lab`` or ``close()``."""

    personas: tuple[RunningPersona, ...] = ()
    elsewhere: str = ELSEWHERE
    drip_interval: float = DEFAULT_DRIP
    ports_by_protocol: dict[Protocol, int] = field(default_factory=dict)
    # Connections the out-of-scope watcher accepted, per port: must stay empty.
    out_of_scope: Counter[int] = field(default_factory=Counter)
    # Request targets, seen by any persona, that name the out-of-scope address.
    named_elsewhere: list[str] = field(default_factory=list)
    lifetime: float = DEFAULT_LIFETIME
    idle: float = DEFAULT_IDLE
    _servers: list[asyncio.Server] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _accepted: Counter[tuple[str, Protocol]] = field(default_factory=Counter)
    _closed: bool = False

    # -- what a scanner needs to know ---------------------------------------------------------

    def targets(self) -> list[str]:
        return [p.ip for p in self.personas]

    def ports(self) -> list[int]:
        return sorted(self.ports_by_protocol.values())

    def port(self, protocol: Protocol) -> int:
        return self.ports_by_protocol[protocol]

    def port_protocols(self) -> dict[int, Protocol]:
        """Announced ports only: the raw TCP port is left for the scanner to sniff."""
        return {
            port: protocol
            for protocol, port in sorted(self.ports_by_protocol.items())
            if protocol is not Protocol.TCP
        }

    def ports_argument(self) -> str:
        """``--ports`` for ``camsweep scan``: ``18080:http,...,18999`` (the raw port bare)."""
        parts = [
            str(port) if protocol is Protocol.TCP else f"{port}:{protocol.value}"
            for protocol, port in sorted(self.ports_by_protocol.items(), key=lambda kv: kv[1])
        ]
        return ",".join(parts)

    def ip_of(self, key: str) -> str:
        for running in self.personas:
            if running.persona.key == key:
                return running.ip
        raise KeyError(key)

    def note_request(self, target: str) -> None:
        if self.elsewhere in target and len(self.named_elsewhere) < 100:
            self.named_elsewhere.append(target[:200])

    @property
    def open_connections(self) -> int:
        return len(self._tasks)

    # -- lifecycle ----------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        servers, self._servers = self._servers, []
        await shut_down(servers, self._tasks)

    async def __aenter__(self) -> HostileLab:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None], writer: asyncio.StreamWriter) -> None:
        if self._closed or len(self._tasks) >= MAX_CONNECTIONS:
            writer.close()
            return
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(_owned(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _persona_callback(
        self, ip: str, protocol: Protocol, behaviour: Behaviour
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            index = self._accepted[(ip, protocol)]
            self._accepted[(ip, protocol)] += 1
            stream = LabStream(reader, writer, idle_timeout=self.idle)
            peer = Peer(stream, writer, self, ip, index)
            self._spawn(self._run(behaviour, peer), writer)

        return on_connect

    def _watch_callback(
        self, port: int
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.out_of_scope[port] += 1
            log.warning("out-of-scope connection to %s:%d", self.elsewhere, port)
            writer.close()

        return on_connect

    async def _run(self, behaviour: Behaviour, peer: Peer) -> None:
        try:
            async with asyncio.timeout(self.lifetime):
                await behaviour(peer)
        except TimeoutError:
            pass  # the lifetime cap ends even an endless stream
        except (ConnectionError, OSError):
            pass  # the client went away mid-write
        finally:
            await peer.stream.close()


async def _owned(coro: Awaitable[None]) -> None:
    try:
        await coro
    except Exception:  # one connection must never take the lab down; keep the trace
        log.warning("hostile persona failed", exc_info=True)


def _listen(ip: str, port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        return None
    return sock


def _bind_all(ips: Sequence[str], preferred: int) -> tuple[int, list[socket.socket]]:
    """Bind one port number on every address in ``ips``: ``preferred`` first, else a number the
    kernel picks for the first address, tried on the others; a few rounds at most."""
    candidates: list[int] = [preferred] + [0] * _BIND_TRIES
    for candidate in candidates:
        socks: list[socket.socket] = []
        first = _listen(ips[0], candidate)
        if first is None:
            continue
        port = int(first.getsockname()[1])
        socks.append(first)
        for ip in ips[1:]:
            sock = _listen(ip, port)
            if sock is None:
                break
            socks.append(sock)
        if len(socks) == len(ips):
            return port, socks
        for sock in socks:
            sock.close()
    raise OSError(f"hostile lab: no port number free on all of {', '.join(ips)}")


async def start_hostile(
    personas: Sequence[Persona] | None = None,
    *,
    prefix: str = HOSTILE_PREFIX,
    elsewhere: str = ELSEWHERE,
    watch_elsewhere: bool = True,
    drip_interval: float = DEFAULT_DRIP,
    lifetime: float = DEFAULT_LIFETIME,
    idle: float = DEFAULT_IDLE,
) -> HostileLab:
    """Serve ``personas`` (default: all) at ``<prefix>.10`` onwards, and, with
    ``watch_elsewhere``, a listener on ``elsewhere`` at every port the lab uses that counts the
    connections a scanner must never make. Loopback only; on failure nothing is left open."""
    chosen = tuple(default_personas() if personas is None else personas)
    keys = [p.key for p in chosen]
    if len(keys) != len(set(keys)):
        raise ValueError("hostile personas must have distinct keys")
    ips = []
    for offset in range(len(chosen)):
        ip = f"{prefix}.{_FIRST_HOST + offset}"
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError as exc:
            raise ValueError(
                f"hostile prefix must be three octets like 127.66.0: {prefix!r}"
            ) from exc
        if address not in LOOPBACK:
            raise ValueError(f"hostile personas must live on 127.0.0.0/8, not {ip}")
        ips.append(ip)
    other = ipaddress.IPv4Address(elsewhere)
    if other not in LOOPBACK or elsewhere in ips:
        raise ValueError(f"the out-of-scope address must be loopback and no persona's: {elsewhere}")
    lab = HostileLab(
        personas=tuple(RunningPersona(p, ip) for p, ip in zip(chosen, ips, strict=True)),
        elsewhere=elsewhere,
        drip_interval=drip_interval,
        lifetime=lifetime,
        idle=idle,
    )
    try:
        for protocol, preferred in PREFERRED_PORTS.items():
            serving = [
                (p, ip) for p, ip in zip(chosen, ips, strict=True) if protocol in p.behaviours
            ]
            if not serving:
                continue
            bind_ips = [ip for _, ip in serving] + ([elsewhere] if watch_elsewhere else [])
            port, socks = _bind_all(bind_ips, preferred)
            lab.ports_by_protocol[protocol] = port
            for sock, ip in zip(socks, bind_ips, strict=True):
                if ip == elsewhere:
                    callback = lab._watch_callback(port)
                else:
                    persona = next(p for p, pip in serving if pip == ip)
                    callback = lab._persona_callback(ip, protocol, persona.behaviours[protocol])
                try:
                    server = await asyncio.start_server(callback, sock=sock, limit=64 * 1024)
                except BaseException:
                    for rest in socks:
                        rest.close()
                    raise
                lab._servers.append(server)
        if watch_elsewhere:
            # The standard ports too, where they can be bound (root): a URL without a port
            # means 80 or 554.
            for port in (80, 443, 554, 23):
                if port in lab.ports_by_protocol.values():
                    continue
                watcher = _listen(elsewhere, port)
                if watcher is not None:
                    server = await asyncio.start_server(lab._watch_callback(port), sock=watcher)
                    lab._servers.append(server)
    except BaseException:
        await lab.close()
        raise
    return lab


def describe_personas(personas: Sequence[Persona] | None = None) -> list[str]:
    """One line per persona for ``camsweep lab --hostile --list``."""
    chosen = default_personas() if personas is None else personas
    return [f"{p.key:<20} {p.summary} | expect: {p.expect}" for p in chosen]
