"""Bytes on the wire for the lab's request/response servers (RTSP and HTTP share a grammar).

Parsing is pure (``parse_request_head``) and raises only ``LabProtocolError``; the async part is
``LabStream``, a buffered reader with a byte cap and an idle deadline on every read, so a client
that sends garbage, too much, or nothing at all costs the lab one closed connection and no more.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from email.utils import formatdate

from scanner.digits import ascii_decimal

MAX_HEADERS = 64
MAX_HEAD_BYTES = 8 * 1024
MAX_BODY_BYTES = 64 * 1024


class LabProtocolError(Exception):
    """The client sent something the lab cannot parse; the server answers 400 (or closes)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request head: RFC 7230 section 3 for HTTP, RFC 2326 section 6 for RTSP (same shape)."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), in arrival order

    def header(self, name: str) -> str | None:
        """First value of a header, matched case-insensitively (RFC 7230 section 3.2)."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]


def _is_token(text: str) -> bool:
    # RFC 7230 section 3.2.6 tchar: what a method or a header name may consist of.
    return bool(text) and all(c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~") for c in text)


def parse_request_head(data: bytes) -> Request:
    """Parse a request line and header fields (without the blank line that ends them).

    Bytes are decoded as Latin-1, which cannot fail, so hostile input ends in
    ``LabProtocolError`` and never in a ``UnicodeDecodeError``.
    """
    if len(data) > MAX_HEAD_BYTES:
        raise LabProtocolError("request head too large")
    text = data.decode("latin-1")
    # RFC 7230 section 3.5: a recipient MAY accept a bare LF as a line terminator.
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    # RFC 7230 section 3.5: ignore at least one empty line before the request line.
    while lines and lines[0] == "":
        lines.pop(0)
    if not lines:
        raise LabProtocolError("empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not all(parts):
        raise LabProtocolError("malformed request line")
    method, target, version = parts
    if not _is_token(method):
        raise LabProtocolError("malformed method")
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in target):
        raise LabProtocolError("malformed request target")
    if "/" not in version or not version.isascii():
        raise LabProtocolError("malformed protocol version")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            # RFC 7230 section 3.2.4: obs-fold in a request MUST be rejected with 400.
            raise LabProtocolError("obsolete line folding")
        name, sep, value = line.partition(":")
        if not sep or not _is_token(name):
            raise LabProtocolError("malformed header field")
        headers.append((name.lower(), value.strip(" \t")))
        if len(headers) > MAX_HEADERS:
            raise LabProtocolError("too many header fields")
    return Request(method, target, version, tuple(headers))


def content_length(request: Request) -> int:
    """Declared body length (0 when absent); RFC 7230 section 3.3.2, duplicates must agree."""
    values = request.header_all("content-length")
    if not values:
        return 0
    length = ascii_decimal(values[0]) if len(set(values)) == 1 else None
    if length is None:
        raise LabProtocolError("invalid Content-Length")
    return length


def http_date() -> str:
    """IMF-fixdate (RFC 7231 section 7.1.1.1), also what RTSP servers put in Date."""
    return formatdate(usegmt=True)


def render_response(
    version: str,
    status: int,
    reason: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    *,
    send_body: bool = True,
    empty_length: bool = True,
) -> bytes:
    """A status line, the given headers in order, then Content-Length and the body.

    Content-Length is always sent (RFC 2326 section 12.14 requires it for RTSP bodies; for HTTP
    it is how the client knows where our close-delimited body ends cleanly). HEAD answers carry
    the GET length without the body (RFC 7231 section 4.3.2). ``empty_length=False`` leaves it
    out of bodiless answers, as RTSP servers commonly do (section 12.14: absent means zero).
    """
    lines = [f"{version} {status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if body or (empty_length and status not in (204, 304)):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
    return head + body if send_body else head


class LabStream:
    """Buffered, capped, deadline-bound reads over one accepted connection."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        idle_timeout: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._buf = bytearray()
        self.idle_timeout = idle_timeout

    async def _fill(self, limit: int) -> bool:
        """Read one chunk into the buffer; False at end of stream or idle timeout."""
        try:
            async with asyncio.timeout(self.idle_timeout):
                chunk = await self._reader.read(min(16 * 1024, max(limit, 1)))
        except (TimeoutError, ConnectionError, OSError):
            return False
        if not chunk:
            return False
        self._buf += chunk
        return True

    async def read_head(self, max_bytes: int = MAX_HEAD_BYTES) -> bytes | None:
        """Bytes up to the blank line ending a request head, without it.

        ``None`` means the client went away or went quiet with nothing pending; a head larger
        than ``max_bytes`` raises ``LabProtocolError`` so the caller can answer 400 and close.
        """
        while True:
            # The earliest terminator wins, so pipelined requests from a bare-LF client are
            # not merged with a later CRLF one.
            ends = [
                (end, len(terminator))
                for terminator in (b"\r\n\r\n", b"\n\n")
                if (end := self._buf.find(terminator)) >= 0
            ]
            if ends:
                end, size = min(ends)
                head = bytes(self._buf[:end])
                del self._buf[: end + size]
                if len(head) > max_bytes:
                    raise LabProtocolError("request head too large")
                return head
            if len(self._buf) > max_bytes:
                raise LabProtocolError("request head too large")
            if not await self._fill(max_bytes + 4 - len(self._buf)):
                if self._buf.strip():
                    raise LabProtocolError("incomplete request head")
                return None

    async def read_body(self, length: int, max_bytes: int = MAX_BODY_BYTES) -> bytes:
        """Exactly ``length`` body bytes (RFC 7230 section 3.3.3), refusing more than the cap."""
        if length > max_bytes:
            raise LabProtocolError("request body too large")
        while len(self._buf) < length:
            if not await self._fill(length - len(self._buf)):
                raise LabProtocolError("incomplete request body")
        body = bytes(self._buf[:length])
        del self._buf[:length]
        return body

    async def read_some(self, max_bytes: int) -> bytes:
        """Whatever is buffered or arrives next (``b""`` at end of stream or idle timeout)."""
        if not self._buf and not await self._fill(max_bytes):
            return b""
        data = bytes(self._buf[:max_bytes])
        del self._buf[:max_bytes]
        return data

    async def send(self, data: bytes) -> bool:
        """Write and drain within the idle deadline; False when the client is gone or stuck."""
        try:
            self._writer.write(data)
            async with asyncio.timeout(self.idle_timeout):
                await self._writer.drain()
        except (TimeoutError, ConnectionError, OSError):
            return False
        return True

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            async with asyncio.timeout(1.0):
                await self._writer.wait_closed()
