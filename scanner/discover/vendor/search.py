"""Sending the vendor discovery queries and collecting the answers, within one window.

``VendorDiscovery.run`` opens the sockets at the start of the scan and, on every attached
network that holds targets, sends each protocol's query once to its multicast group or the
subnet's broadcast address (and once more after a short pause, as UDP may drop a datagram). As
the scan learns that an in-scope host answered anything (an open port, ARP, a multicast
answer), ``query(ip)`` sends it each protocol's query by unicast, which also reaches devices
the multicast missed and loopback labs; the answers come back to the same sockets. Only answers
from in-scope addresses are kept. The whole phase is one window (``--discovery-timeout``, 3 s
by default) running beside the TCP sweep; a host first known after the window closes waits at
most ``unicast_wait`` more for its unicast answers.

The socket handling is a small seam (``DatagramChannel``) so it can move onto a shared datagram
transport later without touching the protocols; everything that reads bytes is pure
(``frames.py``, ``catalog.py``). Nothing here runs in passive mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from scanner.discover.lan import Link, plan_links
from scanner.discover.vendor.catalog import DiscoveryProtocol, VendorCatalog
from scanner.discover.vendor.evidence import vendor_service
from scanner.models import DiscoveryRun, DiscoveryStatus, ServiceResult
from scanner.targets import TargetRange

log = logging.getLogger(__name__)

__all__ = ["DatagramChannel", "VendorDiscovery", "VendorOptions"]

_MAX_DATAGRAMS = 4096  # answers kept from one scan: a hostile LAN cannot grow memory past it
_MAX_DATAGRAM = 65_535
_REPEAT_AFTER = 0.5
_MULTICAST_TTL = 1  # discovery stays on the local link


@dataclass(frozen=True, slots=True)
class VendorOptions:
    """Which vendor protocols run and for how long (seconds)."""

    enabled: bool = True  # --no-vendor-discovery
    skip: tuple[str, ...] = ()  # --no-discovery-protocol ID (repeatable)
    timeout: float = 3.0  # the discovery window, shared with the other methods
    unicast_wait: float = 1.0  # a host queried after the window waits this long at most
    passive: bool = False  # --passive: nothing is sent


@dataclass
class _Inbox:
    by_ip: dict[str, list[tuple[bytes, int]]] = field(default_factory=dict)
    count: int = 0


class DatagramChannel(asyncio.DatagramProtocol):
    """One UDP socket: sends, and files every in-scope datagram by source address."""

    def __init__(self, inbox: _Inbox, in_scope: Callable[[str], bool]) -> None:
        self.inbox = inbox
        self.in_scope = in_scope
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.DatagramTransport", transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        ip, port = addr[0], addr[1]
        if not isinstance(ip, str) or not isinstance(port, int) or not self.in_scope(ip):
            return  # an answer from outside the targets is never reported
        if self.inbox.count >= _MAX_DATAGRAMS:
            return
        self.inbox.count += 1
        self.inbox.by_ip.setdefault(ip, []).append((data[:_MAX_DATAGRAM], port))

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP "port unreachable" for one host must not end the search

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(OSError):
                self.transport.sendto(data, addr)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _link_socket(link: Link) -> socket.socket:
    """Sends broadcast and multicast out of ``link`` only; answers come back to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(link.ip))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, _MULTICAST_TTL)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.bind((link.ip, 0))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _group_socket(link: Link, group: str, port: int) -> socket.socket:
    """Listens on ``group:port`` on ``link``: some devices answer to the group, not to us."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((group, port))
        membership = socket.inet_aton(group) + socket.inet_aton(link.ip)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _unicast_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.bind(("0.0.0.0", 0))  # noqa: S104  (unicast replies to off-link and loopback hosts)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class VendorDiscovery:
    """One scan's vendor discovery: ``run`` (the window), ``query`` per host, ``close``."""

    def __init__(
        self,
        catalog: VendorCatalog,
        options: VendorOptions,
        ranges: Sequence[TargetRange],
        *,
        interfaces: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.options = options
        self.all_protocols = catalog.protocols
        self.catalog = catalog.select(options.skip)
        spans = [(int(r.first), int(r.last)) for r in ranges]
        self._spans = spans
        if interfaces is None:
            from scanner.targets import read_interfaces  # noqa: PLC0415

            interfaces = read_interfaces()
        self.links, self._no_links = plan_links(interfaces, ranges)
        self._inbox = _Inbox()
        self._link_channels: list[tuple[Link, DatagramChannel]] = []  # senders, one per link
        self._listeners: list[DatagramChannel] = []  # multicast group listeners
        self._unicast: DatagramChannel | None = None
        self._opened = asyncio.Event()
        self._window_end: float | None = None
        self._queried: set[str] = set()
        self._answers: dict[str, set[str]] = {}
        self._errors: list[str] = []
        self._closed = False

    def _in_scope(self, ip: str) -> bool:
        return _within(ip, self._spans)

    @property
    def active(self) -> bool:
        return self.options.enabled and not self.options.passive and bool(self.catalog.protocols)

    # --- the window -------------------------------------------------------------------------

    async def run(self) -> None:
        """Open the sockets, multicast/broadcast on each attached network, wait the window."""
        try:
            if not self.active:
                return
            await self._open()
            self._window_end = time.monotonic() + self.options.timeout
            self._opened.set()
            self._send_wide()
            await asyncio.sleep(min(_REPEAT_AFTER, self.options.timeout / 3))
            self._send_wide()
            remaining = self._window_end - time.monotonic()
            if remaining > 0:
                await asyncio.sleep(remaining)
        except Exception as exc:  # discovery never ends the scan
            log.debug("vendor discovery failed", exc_info=True)
            self._errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._opened.set()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()

        def channel() -> DatagramChannel:
            return DatagramChannel(self._inbox, self._in_scope)

        try:
            _, unicast = await loop.create_datagram_endpoint(channel, sock=_unicast_socket())
            self._unicast = unicast
        except OSError as exc:
            self._errors.append(f"no UDP socket: {exc.strerror or exc}")
        for link in self.links:
            try:
                _, chan = await loop.create_datagram_endpoint(channel, sock=_link_socket(link))
                self._link_channels.append((link, chan))
            except OSError as exc:
                self._errors.append(f"cannot use {link.iface}: {exc.strerror or exc}")
                continue
            for group, port in {(p.multicast, p.port) for p in self.catalog.protocols}:
                if group is None:
                    continue
                try:
                    sock = _group_socket(link, group, port)
                    _, listener = await loop.create_datagram_endpoint(channel, sock=sock)
                    self._listeners.append(listener)
                except OSError as exc:
                    self._errors.append(f"cannot listen on {group}:{port}: {exc.strerror or exc}")

    def _send_wide(self) -> None:
        for link, chan in self._link_channels:
            broadcast = str(link.network.broadcast_address)
            for protocol in self.catalog.protocols:
                if protocol.multicast:
                    chan.send(protocol.query(), (protocol.multicast, protocol.port))
                if protocol.broadcast:
                    chan.send(protocol.query(), (broadcast, protocol.port))

    # --- per host ---------------------------------------------------------------------------

    def _channel_for(self, ip: str) -> DatagramChannel | None:
        address = ipaddress.IPv4Address(ip)
        for link, chan in self._link_channels:
            if address in link.network:
                return chan
        return self._unicast

    async def query(self, ip: str, *, answered: bool) -> list[ServiceResult]:
        """Ask ``ip`` by unicast (when it answered anything) and return its answers."""
        if not self.active or not self._in_scope(ip):
            return []
        await self._opened.wait()
        wait_until = self._window_end or time.monotonic()
        if answered and ip not in self._queried:
            self._queried.add(ip)
            chan = self._channel_for(ip)
            unicast = [p for p in self.catalog.protocols if p.unicast]
            if chan is not None and unicast:
                for protocol in unicast:
                    chan.send(protocol.query(), (ip, protocol.port))
                wait_until = max(wait_until, time.monotonic() + self.options.unicast_wait)
                await self._until(wait_until, ip, len(unicast))
        remaining = wait_until - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        return self._services(ip)

    async def _until(self, deadline: float, ip: str, expected: int) -> None:
        """Wait for ``ip``'s answers: until every protocol answered, or the deadline."""
        while time.monotonic() < deadline:
            if len(self._read(ip)) >= expected:
                return
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _read(self, ip: str) -> dict[str, ServiceResult]:
        found: dict[str, ServiceResult] = {}
        for data, port in self._inbox.by_ip.get(ip, []):
            for protocol in _by_port_first(self.catalog.protocols, port):
                if protocol.id in found:
                    continue
                evidence = protocol.read(data)
                if evidence is not None:
                    found[protocol.id] = vendor_service(protocol, evidence)
                    break
        return found

    def _services(self, ip: str) -> list[ServiceResult]:
        found = self._read(ip)
        for pid in found:
            self._answers.setdefault(pid, set()).add(ip)
        return list(found.values())

    def heard(self) -> list[str]:
        """In-scope addresses that sent anything to the discovery sockets."""
        return sorted(self._inbox.by_ip, key=lambda a: int(ipaddress.IPv4Address(a)))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for _, chan in self._link_channels:
            chan.close()
        for listener in self._listeners:
            listener.close()
        if self._unicast is not None:
            self._unicast.close()

    # --- the report -------------------------------------------------------------------------

    def runs(self) -> tuple[DiscoveryRun, ...]:
        """One line per vendor protocol: ran (with hosts that answered), skipped or failed."""
        opts = self.options
        out: list[DiscoveryRun] = []
        kept = {p.id for p in self.catalog.protocols}
        for protocol in self.all_protocols:
            name = protocol.id
            if opts.passive:
                out.append(
                    DiscoveryRun(name, DiscoveryStatus.SKIPPED, "passive mode: nothing is sent")
                )
            elif not opts.enabled:
                out.append(
                    DiscoveryRun(
                        name, DiscoveryStatus.SKIPPED, "switched off (--no-vendor-discovery)"
                    )
                )
            elif name not in kept:
                out.append(
                    DiscoveryRun(
                        name,
                        DiscoveryStatus.SKIPPED,
                        f"switched off (--no-discovery-protocol {name})",
                    )
                )
            elif self._errors and self._unicast is None and not self._link_channels:
                out.append(DiscoveryRun(name, DiscoveryStatus.FAILED, "; ".join(self._errors)))
            else:
                out.append(
                    DiscoveryRun(
                        name,
                        DiscoveryStatus.RAN,
                        self._how(protocol),
                        len(self._answers.get(name, ())),
                    )
                )
        return tuple(out)

    def _how(self, protocol: DiscoveryProtocol) -> str:
        wide = []
        if self.links:
            where = ", ".join(f"{link.iface} ({link.network})" for link in self.links)
            if protocol.multicast:
                wide.append(f"multicast to {protocol.multicast}:{protocol.port} on {where}")
            if protocol.broadcast:
                wide.append(f"broadcast to UDP {protocol.port} on {where}")
        unicast = (
            f"unicast to UDP {protocol.port} of each host that answered" if protocol.unicast else ""
        )
        parts = [p for p in (*wide, unicast) if p]
        return f"{protocol.name}: " + "; ".join(parts) + f", {self.options.timeout:g}s window"


def _by_port_first(protocols: Sequence[DiscoveryProtocol], port: int) -> list[DiscoveryProtocol]:
    """The protocol answering from its own port first, then the others (framings are strict)."""
    return sorted(protocols, key=lambda p: p.port != port)


def _within(ip: str, spans: Sequence[tuple[int, int]]) -> bool:
    try:
        value = int(ipaddress.IPv4Address(ip))
    except ValueError:
        return False
    return any(first <= value <= last for first, last in spans)
