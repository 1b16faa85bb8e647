"""The one transport seam: open, read with a byte cap and a deadline, close.

Every hand-written protocol client (RTSP, banner grabs, DVRIP) talks through a ``Connector``.
Tests swap in ``ScriptedConnector`` (lists of bytes or exceptions) or point the real
``TcpConnector`` at loopback servers. Failures are mapped here, at the seam, into the small
``TransportError`` tree that probes turn into recorded attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import warnings
from collections.abc import Callable, Sequence
from typing import Protocol as TypingProtocol

from scanner.models import ProbeStatus


class TransportError(Exception):
    """Base of every failure the seam reports. ``status`` says how to record it."""

    status = ProbeStatus.ERROR


class ConnectTimeout(TransportError):
    status = ProbeStatus.TIMEOUT


class ReadTimeout(TransportError):
    status = ProbeStatus.TIMEOUT


class Refused(TransportError):
    status = ProbeStatus.REFUSED


class Reset(TransportError):
    status = ProbeStatus.RESET


class TlsFailed(TransportError):
    """The TLS handshake or a TLS record failed: the peer's answer could not be read (garbage,
    a fatal alert, a protocol we do not speak), which is not a bug of ours."""

    status = ProbeStatus.MALFORMED


class Connection(TypingProtocol):
    async def send(self, data: bytes) -> None: ...

    async def recv(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` at end of stream. No deadline of its own."""
        ...

    async def close(self) -> None: ...


class Connector(TypingProtocol):
    async def open(
        self, host: str, port: int, *, timeout: float, tls: bool = False
    ) -> Connection: ...


@functools.cache
def insecure_tls_context() -> ssl.SSLContext:
    """The one TLS policy of every probe (the seam and httpx alike), built once.

    Cameras ship self-signed certificates and old ones speak only TLS 1.0 with weak ciphers: we
    read their pages to identify them, we do not trust them. Python warns that TLS 1.0 is
    deprecated as a minimum; this is the one place that needs it, so the warning is silenced
    here only."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings(), contextlib.suppress(ValueError, ssl.SSLError):
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    with contextlib.suppress(ssl.SSLError):
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


class _StreamConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def send(self, data: bytes) -> None:
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise Reset(f"connection reset while sending: {exc}") from exc
        except OSError as exc:
            raise TransportError(f"send failed: {exc}") from exc

    async def recv(self, max_bytes: int) -> bytes:
        try:
            return await self._reader.read(max_bytes)
        except ConnectionResetError as exc:
            raise Reset("connection reset by peer") from exc
        except ssl.SSLError as exc:  # an OSError too: caught first
            raise TlsFailed(f"TLS failed: {exc}") from exc
        except OSError as exc:
            raise TransportError(f"read failed: {exc}") from exc

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)


class TcpConnector:
    """The real network: asyncio streams, optionally wrapped in TLS without verification."""

    async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> Connection:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=insecure_tls_context() if tls else None, limit=64 * 1024
                )
        except TimeoutError as exc:
            raise ConnectTimeout(f"no answer to connect within {timeout:g}s") from exc
        except ConnectionRefusedError as exc:
            raise Refused("connection refused") from exc
        except ConnectionResetError as exc:
            raise Reset("connection reset during connect") from exc
        except ssl.SSLError as exc:  # an OSError too: caught first
            raise TlsFailed(f"TLS failed: {exc}") from exc
        except OSError as exc:
            raise TransportError(f"connect failed: {exc}") from exc
        return _StreamConnection(reader, writer)


async def read_until(
    conn: Connection,
    done: Callable[[bytes], bool],
    *,
    max_bytes: int,
    timeout: float,
) -> tuple[bytes, bool]:
    """Read until ``done(buffer)``, end of stream, ``max_bytes`` or ``timeout`` seconds.

    Returns ``(data, truncated)``; ``truncated`` is true when the cap cut the read. Raises
    ``ReadTimeout`` only when the deadline passes with nothing usable (``done`` never true and
    the peer still open): a device that drips bytes forever still ends at the deadline.
    """
    buf = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(buf) < max_bytes:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise ReadTimeout(f"no complete answer within {timeout:g}s ({len(buf)} bytes)")
        try:
            async with asyncio.timeout(remaining):
                chunk = await conn.recv(min(65536, max_bytes - len(buf)))
        except TimeoutError as exc:
            raise ReadTimeout(f"no complete answer within {timeout:g}s ({len(buf)} bytes)") from exc
        if not chunk:
            return bytes(buf), False
        buf += chunk
        if done(bytes(buf)):
            return bytes(buf), False
    return bytes(buf[:max_bytes]), True


async def read_for(conn: Connection, *, max_bytes: int, timeout: float) -> bytes:
    """Whatever arrives within ``timeout`` seconds (a greeting), up to ``max_bytes``."""
    buf = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(buf) < max_bytes:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                chunk = await conn.recv(max_bytes - len(buf))
        except TimeoutError:
            break
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


Step = bytes | BaseException


class ScriptedConnection:
    """A connection that replays a script: each ``recv`` pops the next bytes or raises."""

    def __init__(self, script: Sequence[Step]) -> None:
        self._script = list(script)
        self.sent: list[bytes] = []
        self.closed = False

    async def send(self, data: bytes) -> None:
        self.sent.append(data)

    async def recv(self, max_bytes: int) -> bytes:
        if not self._script:
            return b""
        step = self._script[0]
        if isinstance(step, BaseException):
            self._script.pop(0)
            raise step
        if step == b"":
            # An empty step means "the peer says nothing": block until the caller's deadline.
            await asyncio.sleep(3600)
        chunk, rest = step[:max_bytes], step[max_bytes:]
        if rest:
            self._script[0] = rest
        else:
            self._script.pop(0)
        return chunk

    async def close(self) -> None:
        self.closed = True


class ScriptedConnector:
    """Maps ``(host, port)`` to a list of scripts, one per connection opened, in order."""

    def __init__(self, scripts: dict[tuple[str, int], list[Sequence[Step]]]) -> None:
        self._scripts = {key: list(value) for key, value in scripts.items()}
        self.connections: list[ScriptedConnection] = []

    async def open(
        self,
        host: str,
        port: int,
        *,
        timeout: float,  # noqa: ARG002  (a script has no deadline of its own)
        tls: bool = False,  # noqa: ARG002
    ) -> Connection:
        queue = self._scripts.get((host, port))
        if not queue:
            raise Refused("connection refused")
        conn = ScriptedConnection(queue.pop(0))
        self.connections.append(conn)
        return conn
