"""Tiny scripted loopback servers for the probe tests (RTSP, HTTP, Telnet).

Each is an async context manager bound to a 127/8 address on an ephemeral port; leaving the
block closes the listener, every open client socket and every handler task. The Digest check
here is written independently of scanner.probe.auth (straight from RFC 2617 s3.2.2), so a
shared mistake cannot make a test pass.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

_MAX_REQUEST = 64 * 1024


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


class LoopbackServer:
    """Base: accept connections on ``host``:ephemeral, run ``handle`` per connection."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._on_client, self.host, 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        await asyncio.wait_for(self._server.wait_closed(), 2)


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """One RTSP/HTTP request (header block + Content-Length body), None at end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    length = int(headers.get("content-length", "0") or 0)
    if length:
        body = await reader.readexactly(min(length, _MAX_REQUEST))
    return Request(method, target, headers, body)


# --- Digest / Basic checks (independent of scanner.probe.auth) --------------------------------


def _digest_params(header: str) -> dict[str, str]:
    return {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)
    }


def digest_ok(
    header: str | None,
    *,
    method: str,
    realm: str,
    nonce: str,
    user: str,
    password: str,
    algorithm: str = "MD5",
) -> bool:
    if not header or not header.startswith("Digest "):
        return False
    p = _digest_params(header[len("Digest ") :])

    def h(text: str) -> str:
        if algorithm.upper().startswith("SHA-256"):
            return hashlib.sha256(text.encode()).hexdigest()
        return hashlib.md5(text.encode()).hexdigest()

    if p.get("username") != user or p.get("realm") != realm or p.get("nonce") != nonce:
        return False
    ha1 = h(f"{user}:{realm}:{password}")
    if algorithm.lower().endswith("-sess"):
        ha1 = h(f"{ha1}:{nonce}:{p.get('cnonce', '')}")
    ha2 = h(f"{method}:{p.get('uri', '')}")
    if "qop" in p:
        expected = h(f"{ha1}:{nonce}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")
    else:
        expected = h(f"{ha1}:{nonce}:{ha2}")
    return p.get("response") == expected


def basic_ok(header: str | None, *, user: str, password: str) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[len("Basic ") :]).decode()
    except ValueError:
        return False
    return decoded == f"{user}:{password}"


# --- RTSP ------------------------------------------------------------------------------------

RtspHandler = Callable[[Request], bytes | None]


def rtsp_reply(
    cseq: str,
    status: int,
    reason: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> bytes:
    lines = [f"RTSP/1.0 {status} {reason}", f"CSeq: {cseq}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class RtspServer(LoopbackServer):
    """Answers each request with ``handler(request)``; None closes the connection."""

    def __init__(self, handler: RtspHandler, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.handler = handler
        self.requests: list[Request] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(20):
            request = await read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            answer = self.handler(request)
            if answer is None:
                return
            writer.write(answer)
            await writer.drain()


SDP = (
    b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Stream\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    b"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
)


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class HttpReply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    reason: str = "OK"


HttpHandler = Callable[[Request], HttpReply | Awaitable[HttpReply]]


class HttpServer(LoopbackServer):
    """HTTP/1.1 with keep-alive; ``handler(request)`` returns the reply (or awaits one)."""

    def __init__(
        self, handler: HttpHandler, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(host, tls=tls)
        self.handler = handler
        self.requests: list[Request] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(50):
            request = await read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            result = self.handler(request)
            reply = await result if isinstance(result, Awaitable) else result
            head = [f"HTTP/1.1 {reply.status} {reply.reason}"]
            head += [f"{k}: {v}" for k, v in reply.headers]
            head.append(f"Content-Length: {len(reply.body)}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body)
            await writer.drain()

    @property
    def paths(self) -> list[str]:
        return [r.target for r in self.requests]


# --- Telnet ----------------------------------------------------------------------------------

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


class TelnetServer(LoopbackServer):
    """A Xiongmai-like login: negotiation, ``login:``, ``Password:``, then a shell or a refusal.

    ``negotiation`` is sent first; every IAC command the client sends is kept in
    ``client_commands`` (verb, option) so tests can check our answers."""

    def __init__(
        self,
        *,
        user: str = "root",
        password: str = "xc3511",
        negotiation: bytes = bytes((IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 31)),
        greeting: bytes = b"\r\nLocalHost login: ",
        shell: bytes = b"\r\n\r\nBusyBox v1.20.2 built-in shell (ash)\r\n# ",
        refusal: bytes = b"\r\nLogin incorrect\r\n\r\nLocalHost login: ",
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(host)
        self.user = user
        self.password = password
        self.negotiation = negotiation
        self.greeting = greeting
        self.shell = shell
        self.refusal = refusal
        self.client_commands: list[tuple[int, int]] = []
        self.lines: list[bytes] = []

    async def _read_line(self, reader: asyncio.StreamReader) -> bytes | None:
        out = bytearray()
        while len(out) < 1024:
            byte = await reader.read(1)
            if not byte:
                return None
            if byte[0] == IAC:
                verb = (await reader.readexactly(1))[0]
                if verb in (WILL, WONT, DO, DONT):
                    self.client_commands.append((verb, (await reader.readexactly(1))[0]))
                continue
            if byte in (b"\n", b"\x00"):
                continue
            if byte == b"\r":
                return bytes(out)
            out += byte
        return bytes(out)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(self.negotiation + self.greeting)
        await writer.drain()
        for _ in range(3):
            user = await self._read_line(reader)
            if user is None:
                return
            self.lines.append(user)
            writer.write(user + b"\r\nPassword: ")  # echo, as a WILL ECHO server does
            await writer.drain()
            password = await self._read_line(reader)
            if password is None:
                return
            self.lines.append(password)
            if user.decode() == self.user and password.decode() == self.password:
                writer.write(self.shell)
                await writer.drain()
                await reader.read(1024)  # stay until the client hangs up
                return
            writer.write(self.refusal)
            await writer.drain()


class TurnServer(LoopbackServer):
    """Plays ``turns`` in order: the first at connect, each next one after a line from the
    client. Then, with ``then_close``, reads one more line and hangs up; else waits for the
    client to leave. ``lines`` keeps what the client sent (IAC commands stripped)."""

    def __init__(self, turns: Sequence[bytes], *, then_close: bool = False) -> None:
        super().__init__()
        self.turns = list(turns)
        self.then_close = then_close
        self.lines: list[bytes] = []

    async def _line(self, reader: asyncio.StreamReader) -> bytes | None:
        raw = await reader.readuntil(b"\n")
        line = re.sub(rb"\xff[\xfb-\xfe].", b"", raw, flags=re.DOTALL).rstrip(b"\r\n")
        self.lines.append(line)
        return line

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(self.turns[0])
        await writer.drain()
        for turn in self.turns[1:]:
            await self._line(reader)
            writer.write(turn)
            await writer.drain()
        if self.then_close:
            await self._line(reader)
            return
        await reader.read()  # until the client hangs up
