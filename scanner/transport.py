"""The one transport seam: open, read with a byte cap and a deadline, close; and datagrams.

Everything camsweep says to a device goes through here. Streams: every protocol client (RTSP,
Telnet, banner grabs, and httpx through ``scanner.probe.web_backend``) talks through a
``Connector``. Datagrams: a unicast question and its answers (``DatagramSeam.query``), or one
multicast/broadcast search on an attached network (``DatagramSeam.search``), which a passive
scan never sends. Tests swap in ``ScriptedConnector`` / ``ScriptedDatagrams`` (lists of bytes
or exceptions) or point the real ``TcpConnector`` / ``UdpSeam`` at loopback servers and
namespaces. Failures are mapped here, at the seam, into the small ``TransportError`` tree that
probes turn into recorded attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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


class NotAllowed(TransportError):
    """The seam refused to send: a search off the attached networks, or any search while the
    scan is passive. A refusal of ours, recorded like any other failed attempt."""


class Connection(TypingProtocol):
    async def send(self, data: bytes) -> None: ...

    async def recv(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` at end of stream. No deadline of its own."""
        ...

    async def start_tls(self, server_hostname: str | None, *, timeout: float) -> Connection:
        """The same connection wrapped in TLS (HTTPS upgrades after connect, as httpcore does)."""
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


@contextlib.contextmanager
def _mapped(action: str, reset: str) -> Iterator[None]:
    """OS and TLS failures of ``action`` as the seam's errors (``reset``: the Reset message)."""
    try:
        yield
    except TimeoutError:
        raise  # an OSError too, but the caller's deadline: it names it itself
    except ConnectionRefusedError as exc:
        raise Refused("connection refused") from exc
    except (ConnectionResetError, BrokenPipeError) as exc:
        raise Reset(reset) from exc
    except ssl.SSLError as exc:  # an OSError too: caught first
        raise TlsFailed(f"TLS failed: {exc}") from exc
    except OSError as exc:
        raise TransportError(f"{action} failed: {exc}") from exc


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
        with _mapped("read", "connection reset by peer"):
            return await self._reader.read(max_bytes)

    async def start_tls(self, server_hostname: str | None, *, timeout: float) -> Connection:
        try:
            with _mapped("TLS handshake", "connection reset during the TLS handshake"):
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(
                        insecure_tls_context(), server_hostname=server_hostname or None
                    )
        except TimeoutError as exc:
            raise ConnectTimeout(f"no TLS handshake within {timeout:g}s") from exc
        return self

    def peer_certificate(self) -> bytes | None:
        """The TLS peer's certificate as DER (never verified), or None on plain TCP."""
        ssl_object = self._writer.get_extra_info("ssl_object")
        try:
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        except (ValueError, ssl.SSLError):
            return None
        return der if isinstance(der, bytes) else None

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)


class TcpConnector:
    """The real network: asyncio streams, optionally wrapped in TLS without verification."""

    async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> Connection:
        try:
            with _mapped("connect", "connection reset during connect"):
                async with asyncio.timeout(timeout):
                    reader, writer = await asyncio.open_connection(
                        host, port, ssl=insecure_tls_context() if tls else None, limit=64 * 1024
                    )
        except TimeoutError as exc:
            raise ConnectTimeout(f"no answer to connect within {timeout:g}s") from exc
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
        self.tls = False

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

    async def start_tls(
        self,
        server_hostname: str | None,  # noqa: ARG002  (a script speaks plaintext either way)
        *,
        timeout: float,  # noqa: ARG002
    ) -> Connection:
        self.tls = True
        return self

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
        tls: bool = False,
    ) -> Connection:
        queue = self._scripts.get((host, port))
        if not queue:
            raise Refused("connection refused")
        conn = ScriptedConnection(queue.pop(0))
        conn.tls = tls
        self.connections.append(conn)
        return conn


# --- datagrams ---------------------------------------------------------------------------------

MAX_DATAGRAM = 65_535  # the largest UDP payload
MAX_ANSWERS = 4096  # answers kept from one search: a hostile LAN cannot grow memory past it


@dataclass(frozen=True, slots=True)
class Datagram:
    """One answer: its bytes (cut at the caller's cap) and who sent it."""

    data: bytes
    ip: str
    port: int


@dataclass(frozen=True, slots=True)
class Search:
    """One multicast or broadcast search on an attached network.

    ``iface_ip`` is our own address on that network: the search leaves through it only.
    ``destination`` is the group (239.255.255.250) or the network's broadcast address. The
    messages are sent once more after ``repeat_after`` seconds when given (UDP may drop one;
    SOAP-over-UDP 1.1 and UPnP both ask for a repeat)."""

    iface_ip: str
    destination: tuple[str, int]
    messages: tuple[bytes, ...]
    duration: float
    repeat_after: float | None = None
    ttl: int = 1
    source_port: int = 0  # 0: any; some vendor tools answer only to their own port


class DatagramSeam(TypingProtocol):
    async def query(
        self, host: str, port: int, data: bytes, *, timeout: float, max_bytes: int, answers: int = 1
    ) -> list[Datagram]:
        """Send ``data`` to ``host:port``; what ``host`` answered within ``timeout`` seconds (up
        to ``answers`` datagrams, each cut at ``max_bytes``). Other senders are ignored."""
        ...

    async def search(
        self, search: Search, *, in_scope: Callable[[str], bool], max_bytes: int
    ) -> list[Datagram]:
        """Send ``search`` on its attached network and collect in-scope answers for its
        duration. Raises ``NotAllowed`` for a passive scan or a network that is not attached."""
        ...


def multicast_socket(iface_ip: str, *, ttl: int, port: int = 0) -> socket.socket:
    """A UDP socket that sends multicast (and broadcast) out of the interface holding
    ``iface_ip`` only.

    Bound to that address, so unicast answers (SSDP, WS-Discovery ProbeMatches) come back to it
    and nothing leaves through another interface; our own multicast is not looped back to us.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface_ip))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind((iface_ip, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, accept: Callable[[str], bool], max_bytes: int, limit: int) -> None:
        self.datagrams: list[Datagram] = []
        self.accept = accept
        self.max_bytes = max_bytes
        self.limit = limit
        self.full = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if len(self.datagrams) >= self.limit:
            return
        ip, port = addr[0], addr[1]
        if isinstance(ip, str) and isinstance(port, int) and self.accept(ip):
            self.datagrams.append(Datagram(data[: self.max_bytes], ip, port))
            if len(self.datagrams) >= self.limit:
                self.full.set()

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for one answer must not end the search


async def _collect(
    sock: socket.socket,
    messages: Sequence[bytes],
    destination: tuple[str, int],
    *,
    accept: Callable[[str], bool],
    max_bytes: int,
    limit: int,
    duration: float,
    repeat_after: float | None = None,
) -> list[Datagram]:
    """Send ``messages`` from ``sock``, listen for ``duration`` seconds (or until ``limit``
    answers), return what came back. The socket is closed at the end whatever happens."""
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _Collector(accept, max_bytes, limit), sock=sock
        )
    except OSError as exc:
        sock.close()
        raise TransportError(f"UDP socket failed: {exc}") from exc
    try:
        deadline = time.monotonic() + duration
        try:
            for data in messages:
                transport.sendto(data, destination)
            if repeat_after is not None and repeat_after < duration:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(protocol.full.wait(), repeat_after)
                if not protocol.full.is_set():
                    for data in messages:
                        transport.sendto(data, destination)
        except OSError as exc:
            raise TransportError(f"send failed: {exc}") from exc
        remaining = deadline - time.monotonic()
        if remaining > 0 and not protocol.full.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(protocol.full.wait(), remaining)
        return list(protocol.datagrams)
    finally:
        with contextlib.suppress(OSError):
            transport.close()


class UdpSeam:
    """The real network for datagrams.

    ``attached``: the networks this machine is on that hold targets; a search may only leave
    on one of them (multicast and broadcast never cross a router, and must not be aimed at
    somebody else's LAN). ``passive``: the scan promised to send nothing, so every search is
    refused. Unicast queries go to a target the scope guard already admitted."""

    def __init__(
        self, attached: Sequence[ipaddress.IPv4Network] = (), *, passive: bool = False
    ) -> None:
        self.attached = tuple(attached)
        self.passive = passive

    def check_search(self, search: Search) -> None:
        if self.passive:
            raise NotAllowed("passive mode: nothing is sent")
        try:
            iface = ipaddress.IPv4Address(search.iface_ip)
            destination = ipaddress.IPv4Address(search.destination[0])
        except ValueError as exc:
            raise NotAllowed(f"not an IPv4 address: {exc}") from exc
        network = next((n for n in self.attached if iface in n), None)
        if network is None:
            raise NotAllowed(f"{iface} is not on an attached network that holds targets")
        if not (destination.is_multicast or destination == network.broadcast_address):
            raise NotAllowed(
                f"{destination} is neither a multicast group nor {network}'s broadcast"
            )

    async def search(
        self, search: Search, *, in_scope: Callable[[str], bool], max_bytes: int
    ) -> list[Datagram]:
        self.check_search(search)
        try:
            sock = multicast_socket(search.iface_ip, ttl=search.ttl, port=search.source_port)
        except OSError as exc:
            raise TransportError(exc.strerror or str(exc)) from exc
        return await _collect(
            sock,
            search.messages,
            search.destination,
            accept=in_scope,
            max_bytes=max_bytes,
            limit=MAX_ANSWERS,
            duration=search.duration,
            repeat_after=search.repeat_after,
        )

    async def query(
        self, host: str, port: int, data: bytes, *, timeout: float, max_bytes: int, answers: int = 1
    ) -> list[Datagram]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setblocking(False)
            sock.bind(("0.0.0.0", 0))  # noqa: S104  (the kernel picks the route to host)
        except OSError as exc:
            sock.close()
            raise TransportError(f"UDP socket failed: {exc}") from exc
        return await _collect(
            sock,
            [data],
            (host, port),
            accept=lambda ip: ip == host,
            max_bytes=max_bytes,
            limit=max(1, answers),
            duration=timeout,
        )


DatagramStep = bytes | tuple[str, bytes] | BaseException


class ScriptedDatagrams:
    """Datagram answers from a script, no socket.

    ``answers`` maps a destination ``(ip, port)`` (a host, a group or a broadcast address) to
    what comes back: bytes (from that host), ``(sender_ip, bytes)`` pairs (for searches), or an
    exception to raise. Every datagram sent is recorded in ``sent`` as ``(destination, data)``.
    The same refusals as ``UdpSeam`` apply, so tests see the real rules."""

    def __init__(
        self,
        answers: dict[tuple[str, int], Sequence[DatagramStep]] | None = None,
        *,
        attached: Sequence[ipaddress.IPv4Network] = (),
        passive: bool = False,
    ) -> None:
        self._answers = {key: list(value) for key, value in (answers or {}).items()}
        self._rules = UdpSeam(attached, passive=passive)
        self.sent: list[tuple[tuple[str, int], bytes]] = []

    def _replay(
        self, destination: tuple[str, int], default_ip: str, accept: Callable[[str], bool]
    ) -> list[Datagram]:
        out: list[Datagram] = []
        for step in self._answers.get(destination, []):
            if isinstance(step, BaseException):
                raise step
            ip, data = step if isinstance(step, tuple) else (default_ip, step)
            if accept(ip):
                out.append(Datagram(data, ip, destination[1]))
        return out

    async def search(
        self, search: Search, *, in_scope: Callable[[str], bool], max_bytes: int
    ) -> list[Datagram]:
        self._rules.check_search(search)
        self.sent.extend((search.destination, m) for m in search.messages)
        answers = self._replay(search.destination, search.destination[0], in_scope)
        return [Datagram(d.data[:max_bytes], d.ip, d.port) for d in answers[:MAX_ANSWERS]]

    async def query(
        self, host: str, port: int, data: bytes, *, timeout: float, max_bytes: int, answers: int = 1
    ) -> list[Datagram]:
        self.sent.append(((host, port), data))
        got = self._replay((host, port), host, lambda ip: ip == host)
        if not got:
            await asyncio.sleep(min(timeout, 0.01))  # silence: the deadline passes (shortened)
        return [Datagram(d.data[:max_bytes], d.ip, d.port) for d in got[: max(1, answers)]]
