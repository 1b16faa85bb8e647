"""What every probe is handed: the seam, the timeouts, the limits, and an HTTP client over the seam.

httpx does the HTTP work (RFC 9112 framing, chunked bodies, Basic/Digest round trips), but its
sockets are ours: ``SeamBackend`` is an httpcore network backend whose streams are
``scanner.transport`` connections, so an HTTP request opens, reads and closes exactly like an
RTSP one, and a scripted connector answers HTTP as easily as RTSP. httpcore's own errors are
mapped here into the seam's ``TransportError`` tree (the seam's own errors pass through as
they are), so callers handle one family of errors for every protocol.
"""

from __future__ import annotations

import asyncio
import ssl
import typing
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

import httpcore
import httpx

from scanner.config import Limits, Timeouts
from scanner.models import ProbeStatus
from scanner.transport import (
    Connection,
    Connector,
    DatagramSeam,
    ReadTimeout,
    Reset,
    TcpConnector,
    TransportError,
    UdpSeam,
)

__all__ = ["USER_AGENT", "HttpProtocolError", "ProbeContext", "SeamBackend", "SeamTransport"]

USER_AGENT = "camsweep/0.1"


class HttpProtocolError(TransportError):
    """The peer answered, but not with HTTP we can read (garbage status line, broken framing)."""

    status = ProbeStatus.MALFORMED


def _map_httpcore(exc: httpcore.ProtocolError | httpcore.TimeoutException) -> TransportError:
    if isinstance(exc, httpcore.TimeoutException):
        return ReadTimeout(f"no complete answer: {type(exc).__name__}")
    if isinstance(exc, httpcore.RemoteProtocolError):
        if "disconnected" in str(exc).lower():
            # h11 reports a peer that closed before any status line this way: nothing
            # malformed was said, the connection just went away.
            return Reset("closed without an answer")
        return HttpProtocolError(f"not HTTP: {exc}")
    return TransportError(f"{type(exc).__name__}: {exc}")


_HTTPCORE_ERRORS = (httpcore.ProtocolError, httpcore.TimeoutException)
# get_extra_info key of the seam's streams: the TLS peer certificate as DER, or None.
PEER_CERTIFICATE = "camsweep.peer_certificate"


class _SeamStream(httpcore.AsyncNetworkStream):
    def __init__(self, conn: Connection, connect_timeout: float) -> None:
        self._conn = conn
        self._connect_timeout = connect_timeout

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._conn.recv(max_bytes)
        except TimeoutError as exc:
            raise ReadTimeout(f"no complete answer within {timeout or 0:g}s") from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._conn.send(buffer)
        except TimeoutError as exc:
            raise TransportError(f"could not send within {timeout or 0:g}s") from exc

    async def aclose(self) -> None:
        await self._conn.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,  # noqa: ARG002  (the seam holds the one TLS policy)
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        conn = await self._conn.start_tls(
            server_hostname, timeout=timeout if timeout is not None else self._connect_timeout
        )
        return _SeamStream(conn, self._connect_timeout)

    def get_extra_info(self, info: str) -> typing.Any:
        # No ALPN object (so HTTP/1.1) and no "is_readable" probe of a pooled socket; the one
        # extra we answer is the TLS peer certificate, evidence for identification (issue 13).
        if info == PEER_CERTIFICATE:
            peer = getattr(self._conn, "peer_certificate", None)
            return peer() if callable(peer) else None
        return None


class SeamBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend over a ``Connector``: TCP only, no Unix sockets."""

    def __init__(self, connector: Connector, connect_timeout: float) -> None:
        self._connector = connector
        self._connect_timeout = connect_timeout

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,  # noqa: ARG002
        socket_options: Iterable[typing.Any] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        limit = timeout if timeout is not None else self._connect_timeout
        conn = await self._connector.open(host, port, timeout=limit)
        return _SeamStream(conn, limit)

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002
        timeout: float | None = None,  # noqa: ARG002
        socket_options: Iterable[typing.Any] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        raise TransportError("no Unix sockets through the seam")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: typing.AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except _HTTPCORE_ERRORS as exc:
            raise _map_httpcore(exc) from exc

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


class SeamTransport(httpx.AsyncBaseTransport):
    """httpx's transport for probes: one httpcore connection pool over the seam."""

    def __init__(self, connector: Connector, timeouts: Timeouts) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            max_connections=1,
            max_keepalive_connections=1,
            network_backend=SeamBackend(connector, timeouts.connect),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TransportError("a probe request body must be async")
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            resp = await self._pool.handle_async_request(core)
        except _HTTPCORE_ERRORS as exc:
            raise _map_httpcore(exc) from exc
        if not isinstance(
            resp.stream, typing.AsyncIterable
        ):  # pragma: no cover - httpcore's async pool
            raise TransportError("httpcore returned a synchronous body")
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_Body(resp.stream),
            extensions=resp.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


@dataclass(frozen=True, slots=True)
class ProbeContext:
    """Everything a probe needs besides its target: the stream and datagram seams, per-phase
    deadlines (seconds) and byte caps. Frozen: one per scan, shared by every probe."""

    connector: Connector = field(default_factory=TcpConnector)
    datagrams: DatagramSeam = field(default_factory=UdpSeam)
    timeouts: Timeouts = field(default_factory=Timeouts)
    limits: Limits = field(default_factory=Limits)

    def http_client(
        self, *, timeout: float | None = None, user_agent: str = USER_AGENT
    ) -> httpx.AsyncClient:
        """A client over the seam: no proxies, no redirects, one connection. Close it (``async
        with``). ``timeout`` replaces the per-operation read deadline (``timeouts.read``)."""
        return httpx.AsyncClient(
            transport=SeamTransport(self.connector, self.timeouts),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(
                self.timeouts.read if timeout is None else timeout, connect=self.timeouts.connect
            ),
            headers={"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": "identity"},
        )
