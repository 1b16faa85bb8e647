"""Sending the vendor discovery queries and collecting the answers, within one window.

``VendorDiscovery.run`` starts with the scan: on every attached network that holds targets it
sends each protocol's query once to its multicast group or the network's broadcast address (and
once more shortly after, as UDP may drop a datagram) through the datagram seam
(``scanner.transport.DatagramSeam.search``), which refuses anything off the attached networks
and everything in passive mode. As the scan learns that an in-scope host answered anything (an
open port, ARP, a LAN discovery answer), ``query(ip)`` asks it each protocol by unicast
(``DatagramSeam.query``): that reaches devices the multicast missed, routed targets and the
loopback lab. Only answers from in-scope addresses are kept.

The whole phase is one window (``--discovery-timeout``, 3 s by default) beside the TCP sweep
and the other discovery methods; a host first known after the window waits at most
``unicast_wait`` for its unicast answers. Everything that reads bytes is pure (``frames.py``,
``catalog.py``); this module only sends and files.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace

from scanner.config import VendorOptions
from scanner.discover.lan import Link, plan_links
from scanner.discover.vendor.catalog import DiscoveryProtocol, VendorCatalog
from scanner.discover.vendor.evidence import (
    discovery_findings,
    identify_from_answers,
    vendor_service,
)
from scanner.discover.vendor.frames import MAX_ANSWER
from scanner.match.engine import SignatureSet
from scanner.models import (
    DiscoveryRun,
    DiscoveryStatus,
    Finding,
    Host,
    Identification,
    Protocol,
    ServiceResult,
)
from scanner.targets import TargetRange
from scanner.transport import Datagram, DatagramSeam, Search, TransportError, UdpSeam

log = logging.getLogger(__name__)

__all__ = ["VendorDiscovery", "VendorOptions"]

_REPEAT_AFTER = 0.5
_MAX_DATAGRAMS = 4096  # answers kept from one scan: a hostile LAN cannot grow memory past it


def _group_socket(iface_ip: str, group: str, port: int) -> socket.socket:
    """Receives what is sent to ``group:port`` on the interface holding ``iface_ip``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((group, port))  # only this group's datagrams, not every packet to the port
        membership = socket.inet_aton(group) + socket.inet_aton(iface_ip)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _GroupFiler(asyncio.DatagramProtocol):
    def __init__(self, owner: VendorDiscovery) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        ip, port = addr[0], addr[1]
        if isinstance(ip, str) and isinstance(port, int):
            self.owner._file([Datagram(data[:MAX_ANSWER], ip, port)])  # in scope only

    def error_received(self, exc: Exception) -> None:
        pass


class VendorDiscovery:
    """One scan's vendor discovery: ``run`` (the window) and ``query`` per host."""

    def __init__(
        self,
        catalog: VendorCatalog,
        options: VendorOptions,
        ranges: Sequence[TargetRange],
        *,
        interfaces: Mapping[str, Sequence[str]] | None = None,
        datagrams: DatagramSeam | None = None,
    ) -> None:
        self.options = options
        self.all_protocols = catalog.protocols
        self.catalog = catalog.select(options.skip)
        self._spans = [(int(r.first), int(r.last)) for r in ranges]
        if interfaces is None and datagrams is None:
            from scanner.targets import read_interfaces  # noqa: PLC0415

            interfaces = read_interfaces()
        # A scripted seam (tests) stands for the network: it says which networks are attached.
        interfaces = interfaces or {}
        self.links, self._no_links = plan_links(interfaces, ranges)
        # Searches may leave only on the attached networks holding targets, never when passive.
        self._real_network = datagrams is None
        self.datagrams = datagrams or UdpSeam(
            [link.network for link in self.links], passive=options.passive
        )
        self._inbox: dict[str, list[Datagram]] = {}
        self._count = 0
        self._window = asyncio.Event()
        self._queried: set[str] = set()
        self._returned: set[str] = set()  # hosts whose answers the scan already has
        self._answers: dict[str, set[str]] = {}
        self._errors: list[str] = []

    def _in_scope(self, ip: str) -> bool:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        return any(first <= value <= last for first, last in self._spans)

    @property
    def active(self) -> bool:
        return self.options.enabled and not self.options.passive and bool(self.catalog.protocols)

    def _file(self, datagrams: Sequence[Datagram]) -> None:
        for datagram in datagrams:
            if self._count >= _MAX_DATAGRAMS or not self._in_scope(datagram.ip):
                continue
            self._count += 1
            self._inbox.setdefault(datagram.ip, []).append(datagram)

    # --- the window -------------------------------------------------------------------------

    async def run(self) -> None:
        """Multicast/broadcast every protocol on each attached network; never raises."""
        try:
            if self.active and self.links:
                searches = [
                    self._search(link, protocol, destination)
                    for link in self.links
                    for protocol in self.catalog.protocols
                    for destination in self._destinations(link, protocol)
                ]
                async with self._group_listeners():
                    window = asyncio.sleep(self.options.timeout)
                    await asyncio.gather(window, *searches)
        finally:
            self._window.set()

    @contextlib.asynccontextmanager
    async def _group_listeners(self) -> AsyncIterator[None]:
        """During the window, listen on each protocol's multicast group and port on each link.

        Hikvision and Dahua devices may answer a search to the group rather than to the asking
        socket (UniversalScanner listens on 239.255.255.250:37020 and 239.255.255.251:37810
        for that reason). Only with the real network (a scripted seam stands for it in tests),
        never in passive mode (joining a group sends an IGMP report), only on attached links.
        """
        transports: list[asyncio.DatagramTransport] = []
        if self._real_network:
            loop = asyncio.get_running_loop()
            groups = {(p.multicast, p.port) for p in self.catalog.protocols if p.multicast}
            for link in self.links:
                for group, port in sorted(groups):
                    try:
                        sock = _group_socket(link.ip, group, port)
                        transport, _ = await loop.create_datagram_endpoint(
                            lambda: _GroupFiler(self), sock=sock
                        )
                    except OSError as exc:
                        self._errors.append(f"listen {group}:{port} on {link.iface}: {exc}")
                        continue
                    transports.append(transport)
        try:
            yield
        finally:
            for listener in transports:
                listener.close()

    @staticmethod
    def _destinations(link: Link, protocol: DiscoveryProtocol) -> list[str]:
        out = [protocol.multicast] if protocol.multicast else []
        if protocol.broadcast:
            out.append(str(link.network.broadcast_address))
        return out

    async def _search(self, link: Link, protocol: DiscoveryProtocol, destination: str) -> None:
        search = Search(
            iface_ip=link.ip,
            destination=(destination, protocol.port),
            messages=(protocol.query(),),
            duration=self.options.timeout,
            repeat_after=min(_REPEAT_AFTER, self.options.timeout / 3),
            source_port=protocol.reply_port or 0,
        )
        try:
            found = await self.datagrams.search(
                search, in_scope=self._in_scope, max_bytes=MAX_ANSWER
            )
        except (TransportError, OSError) as exc:
            self._errors.append(f"{protocol.id} on {link.iface}: {exc}")
            return
        except Exception as exc:  # discovery never ends the scan
            log.debug("vendor search failed", exc_info=True)
            self._errors.append(f"{protocol.id}: internal error {type(exc).__name__}")
            return
        self._file(found)

    # --- per host ---------------------------------------------------------------------------

    async def query(self, ip: str, *, answered: bool) -> list[ServiceResult]:
        """Ask ``ip`` by unicast (when it answered anything), then return all its answers."""
        if not self.active or not self._in_scope(ip):
            return []
        if answered and ip not in self._queried:
            self._queried.add(ip)
            unicast = [p for p in self.catalog.protocols if p.unicast]
            await asyncio.gather(*(self._ask(ip, p) for p in unicast))
        with contextlib.suppress(TimeoutError):
            # The multicast answers of this host arrive within the window.
            async with asyncio.timeout(self.options.timeout + 1.0):
                await self._window.wait()
        return self._services(ip)

    async def _ask(self, ip: str, protocol: DiscoveryProtocol) -> None:
        port = self.options.ports.get((ip, protocol.port), protocol.port)
        try:
            found = await self.datagrams.query(
                ip,
                port,
                protocol.query(),
                timeout=self.options.unicast_wait,
                max_bytes=MAX_ANSWER,
            )
        except (TransportError, OSError) as exc:
            log.debug("unicast %s to %s failed: %s", protocol.id, ip, exc)
            return
        self._file(found)

    def _services(self, ip: str) -> list[ServiceResult]:
        found: dict[str, ServiceResult] = {}
        for datagram in self._inbox.get(ip, []):
            for protocol in _by_port_first(self.catalog.protocols, datagram.port):
                if protocol.id in found:
                    continue
                evidence = protocol.read(datagram.data)
                if evidence is not None:
                    found[protocol.id] = vendor_service(protocol, evidence)
                    break
        for pid in found:
            self._answers.setdefault(pid, set()).add(ip)
        self._returned.add(ip)
        return list(found.values())

    # --- what the scan asks (one call per pipeline step) -----------------------------------

    def identify(
        self, ident: Identification, services: Sequence[ServiceResult], signatures: SignatureSet
    ) -> Identification:
        return identify_from_answers(ident, services, signatures, self.catalog)

    def findings(self, ident: Identification, services: Sequence[ServiceResult]) -> list[Finding]:
        return discovery_findings(ident, services, self.catalog)

    @staticmethod
    def finish_host(host: Host) -> Host:
        """The host's ``discovered_by`` names the vendor protocols that answered."""
        ids = tuple(s.source for s in host.services if s.protocol is Protocol.VENDOR_DISCOVERY)
        if not ids:
            return host
        methods = tuple(dict.fromkeys((*host.discovered_by, *ids)))
        if not any(s.transport == "tcp" for s in host.services):
            methods = tuple(m for m in methods if m != "tcp")
        return replace(host, discovered_by=methods)

    async def ask_live_host(self, ip: str) -> list[ServiceResult]:
        """The per-host question (a host probe in the registry, scanner/enrich.py): a live host
        is asked by unicast; a host already answered for is not asked twice."""
        if ip in self._returned:
            return []
        return await self.query(ip, answered=True)

    def heard(self) -> list[str]:
        """In-scope addresses that answered a search (they are reported even with no TCP)."""
        return sorted(self._inbox, key=lambda a: int(ipaddress.IPv4Address(a)))

    # --- the report -------------------------------------------------------------------------

    def runs(self) -> tuple[DiscoveryRun, ...]:
        """One line per vendor protocol: ran (with hosts that answered), skipped or failed."""
        opts = self.options
        kept = {p.id for p in self.catalog.protocols}
        out: list[DiscoveryRun] = []
        for protocol in self.all_protocols:
            name = protocol.id
            if opts.passive:
                status, reason = DiscoveryStatus.SKIPPED, "passive mode: nothing is sent"
            elif not opts.enabled:
                status, reason = DiscoveryStatus.SKIPPED, "switched off (--no-vendor-discovery)"
            elif name not in kept:
                status = DiscoveryStatus.SKIPPED
                reason = f"switched off (--no-discovery-protocol {name})"
            else:
                status, reason = DiscoveryStatus.RAN, self._how(protocol)
                errors = [e for e in self._errors if e.startswith(f"{name} ")]
                if errors and not self._answers.get(name):
                    status, reason = DiscoveryStatus.FAILED, "; ".join(errors)[:300]
            out.append(DiscoveryRun(name, status, reason, len(self._answers.get(name, ()))))
        return tuple(out)

    def _how(self, protocol: DiscoveryProtocol) -> str:
        parts = []
        where = ", ".join(f"{link.iface} ({link.network})" for link in self.links)
        if where and protocol.multicast:
            parts.append(f"multicast to {protocol.multicast}:{protocol.port} on {where}")
        if where and protocol.broadcast:
            parts.append(f"broadcast to UDP {protocol.port} on {where}")
        if protocol.unicast:
            parts.append(f"unicast to UDP {protocol.port} of each host that answered")
        window = f" ({self.options.timeout:g}s window)" if where else ""
        return f"{protocol.name}: " + "; ".join(parts) + window


def _by_port_first(protocols: Sequence[DiscoveryProtocol], port: int) -> list[DiscoveryProtocol]:
    """The protocol answering from its own port first, then the others (framings are strict)."""
    return sorted(protocols, key=lambda p: p.port != port)
