"""The router stage: find the gateways, read their forwards (read only), tie them to the scan.

Where it looks: the default gateway of each attached network holding targets (from the kernel's
routing table), any Internet Gateway Device answering an SSDP search for
``InternetGatewayDevice:1``/``:2`` on those networks (multicast, plus a unicast search of each
gateway, UDA 1.1 s1.3.2), and the gateways the user names (``--gateway``). Each gateway is also
asked NAT-PMP's external address question on UDP 5351 (RFC 6886 s3.2, which changes nothing).

It sends nothing in passive mode and nothing at all with ``--no-router``. It runs beside the host
scan (``read``) and finishes after it (``enrich``): forwards to in-scope addresses or ports the
scan did not sweep are scanned then, through the callback the pipeline gives.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.context import ProbeContext
from scanner.discover.base import device_text
from scanner.discover.lan import Link, plan_links
from scanner.discover.ssdp import SSDP_ADDR, SSDP_PORT, SSDP_TTL, build_msearch, parse_ssdp
from scanner.discover.ssdp import description_url as same_host_location
from scanner.match.schema import CloudService
from scanner.models import DiscoveryRun, Host, InternetExposure, RouterReading, RouterStatus
from scanner.report.risk import score_host
from scanner.router.client import read_igd
from scanner.router.cloud import VendorLookup
from scanner.router.config import RouterOptions
from scanner.router.exposure import build_exposure
from scanner.router.igd import IGD_SEARCH_TARGETS, build_natpmp_request, parse_natpmp
from scanner.targets import TargetRange
from scanner.transport import Datagram, DatagramSeam, Search, TransportError, UdpSeam

if TYPE_CHECKING:
    from scanner.config import ScanConfig
    from scanner.work import HostWork

log = logging.getLogger(__name__)

__all__ = [
    "RouterEnricher",
    "RouterOptions",
    "RouterStage",
    "default_gateways",
    "router_enricher",
]

NATPMP_PORT = 5351
_MAX_GATEWAYS = 8
_MAX_EXTRA_PORTS = 32  # forwarded ports scanned per host that the sweep did not cover
_MAX_EXTRA_HOSTS = 32
_MAX_ANSWER = 8 * 1024  # an SSDP answer is a few hundred bytes

ScanMore = Callable[[str, tuple[int, ...]], Awaitable[Host | None]]


@dataclass(frozen=True, slots=True)
class _Gateway:
    address: str
    location: str = ""  # its IGD description URL, once known
    server: str = ""
    how: str = ""  # default route, SSDP, --gateway
    problem: str = ""  # why an answer gave no usable description URL


def default_gateways(proc_net_route: str) -> list[tuple[str, str]]:
    """(interface, gateway) of each IPv4 default route in /proc/net/route text."""
    out: list[tuple[str, str]] = []
    for line in proc_net_route.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 8 or cols[1] != "00000000" or cols[7] != "00000000":
            continue
        try:
            gateway = socket.inet_ntoa(struct.pack("<I", int(cols[2], 16)))
        except (ValueError, struct.error):
            continue
        if gateway != "0.0.0.0" and (cols[0], gateway) not in out:  # noqa: S104 (not a bind)
            out.append((cols[0], gateway))
    return out


def _read_routes() -> str:
    try:
        return Path("/proc/net/route").read_text(encoding="ascii")
    except OSError:
        return ""


def _explicit(spec: str) -> _Gateway:
    """A --gateway value: an address, or the URL of its description."""
    if "://" in spec:
        host = urllib.parse.urlsplit(spec).hostname or ""
        return _Gateway(host, location=spec, how="--gateway")
    return _Gateway(spec, how="--gateway")


class RouterStage:
    """``await read()`` (beside the scan), then ``await enrich(hosts, scan_more)``."""

    def __init__(
        self,
        options: RouterOptions,
        ranges: Sequence[TargetRange],
        *,
        swept_ports: Sequence[int],
        interfaces: Mapping[str, Sequence[str]] | None = None,
        routes: str | None = None,
        datagrams: DatagramSeam | None = None,
        cloud: Sequence[CloudService] | None = None,
        vendors: VendorLookup | None = None,
    ) -> None:
        self.options = options
        self._cloud = None if cloud is None else tuple(cloud)
        self._vendors = vendors
        self._ranges = tuple(ranges)
        self._swept = tuple(swept_ports)
        if interfaces is None and options.enabled and not options.passive:
            from scanner.targets import read_interfaces  # noqa: PLC0415

            interfaces = read_interfaces()
        self.links, _ = plan_links(interfaces or {}, self._ranges)
        self._routes = routes
        self._datagrams = datagrams  # tests script it; else a seam limited to self.links
        self._ctx = ProbeContext()
        self._readings: list[RouterReading] | None = None
        self._notes: list[str] = []
        self._lock = asyncio.Lock()

    def _in_scope(self, ip: str) -> bool:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        return any(int(r.first) <= value <= int(r.last) for r in self._ranges)

    # --- finding the gateways ---------------------------------------------------------------

    def _route_gateways(self) -> list[_Gateway]:
        routes = self._routes if self._routes is not None else _read_routes()
        return [
            _Gateway(gateway, how=f"default gateway of {link.network}")
            for iface, gateway in default_gateways(routes)
            for link in self.links
            if link.iface == iface and ipaddress.IPv4Address(gateway) in link.network
        ]

    async def _multicast(self, link: Link) -> list[Datagram]:
        """SSDP search for an IGD on one attached network (UDA 1.1 s1.3.2)."""
        mx = max(1, int(self.options.timeout) - 1)
        search = Search(
            link.ip,
            (SSDP_ADDR, SSDP_PORT),
            tuple(build_msearch(st, mx) for st in IGD_SEARCH_TARGETS),
            duration=self.options.timeout,
            repeat_after=self.options.timeout / 3,
            ttl=SSDP_TTL,
        )
        return await self._ctx.datagrams.search(
            search, in_scope=lambda ip: ipaddress.IPv4Address(ip) in link.network,
            max_bytes=_MAX_ANSWER,
        )  # fmt: skip

    async def _unicast(self, address: str) -> list[Datagram]:
        """A unicast IGD search of the gateway (an IGD:2 answers an IGD:1 search too), and
        NAT-PMP's read-only question."""
        mx = max(1, int(self.options.timeout) - 1)
        timeout = self.options.timeout
        answers = await asyncio.gather(
            self._ctx.datagrams.query(
                address, SSDP_PORT, build_msearch(IGD_SEARCH_TARGETS[0], mx),
                timeout=timeout, max_bytes=_MAX_ANSWER, answers=4,
            ),
            self._ctx.datagrams.query(
                address, NATPMP_PORT, build_natpmp_request(), timeout=timeout, max_bytes=64
            ),
        )  # fmt: skip
        return [d for batch in answers for d in batch]

    async def _find(self) -> tuple[list[_Gateway], dict[str, str]]:
        opts = self.options
        gateways: dict[str, _Gateway] = {}
        for gw in [_explicit(g) for g in opts.gateways] + self._route_gateways():
            gateways.setdefault(gw.address, gw)
        jobs = [self._unicast(address) for address in gateways]
        if opts.search:
            jobs += [self._multicast(link) for link in self.links]
        batches = await asyncio.gather(*jobs, return_exceptions=True)
        natpmp: dict[str, str] = {}
        networks = [link.network for link in self.links]
        for batch in batches:
            if isinstance(batch, BaseException):
                reason = str(batch) if isinstance(batch, TransportError) else type(batch).__name__
                self._notes.append(f"the router search could not run: {device_text(reason)}")
                continue
            for datagram in batch:
                ours = datagram.ip in gateways or any(
                    ipaddress.IPv4Address(datagram.ip) in net for net in networks
                )
                if not ours:
                    continue
                if datagram.port == NATPMP_PORT:
                    said = parse_natpmp(datagram.data)
                    if said:
                        natpmp.setdefault(datagram.ip, said)
                    continue
                message = parse_ssdp(datagram.data)
                if message is None or message.kind != "response":
                    continue
                target = f"{message.target or ''} {message.header('usn') or ''}"
                if "InternetGatewayDevice" not in target:
                    continue
                location = same_host_location(message.header("location"), datagram.ip)
                known = gateways.get(datagram.ip, _Gateway(datagram.ip, how="SSDP answer"))
                if not location and not known.location:
                    known = replace(
                        known,
                        problem="it answered the UPnP search, but its LOCATION is not plain "
                        "http on its own address, so it was not followed",
                    )
                if location and not known.location:
                    known = replace(
                        known, location=location, server=device_text(message.header("server"))
                    )
                gateways[datagram.ip] = known
        return list(gateways.values())[:_MAX_GATEWAYS], natpmp

    # --- reading ----------------------------------------------------------------------------

    async def read(self, ctx: ProbeContext | None = None) -> None:
        """Find and read every gateway once; never raises (failures become readings).

        ``ctx`` is the scan's: its stream seam and deadlines. Searches leave only on the
        attached networks holding targets, and nothing at all in passive mode.
        """
        seam = self._datagrams or UdpSeam(
            [link.network for link in self.links], passive=self.options.passive
        )
        self._ctx = replace(ctx or self._ctx, datagrams=seam)
        async with self._lock:
            if self._readings is not None:
                return
            self._readings = []
            opts = self.options
            if not opts.enabled:
                return
            if opts.passive:
                self._notes.append("passive mode: the router was not asked for its forwards")
                return
            try:
                gateways, natpmp = await self._find()
                readings = await asyncio.gather(*(self._read_one(g) for g in gateways))
            except Exception as exc:  # a bug must not end the scan
                log.debug("router stage failed", exc_info=True)
                self._notes.append(f"internal error while reading the router: {type(exc).__name__}")
                return
            self._readings = [replace(r, nat_pmp=natpmp.get(r.address, "")) for r in readings]
            if not gateways:
                where = ", ".join(str(k.network) for k in self.links)
                self._notes.append(
                    "no router was found: "
                    + (
                        f"no default gateway on {where} and no Internet Gateway Device answered "
                        "the search"
                        if where
                        else "the targets are not on an attached network (name one with --gateway)"
                    )
                )

    async def _read_one(self, gw: _Gateway) -> RouterReading:
        if not gw.location:
            return RouterReading(
                address=gw.address,
                status=RouterStatus.NO_UPNP,
                reason=gw.problem
                or f"the {gw.how} answered no UPnP search, so its forwards could not be "
                "read (UPnP off, or it ignores searches)",
            )
        return await read_igd(
            self._ctx,
            gw.location,
            gw.address,
            server=gw.server,
            timeout=self.options.request_timeout,
            deadline=self.options.deadline,
            max_forwards=self.options.max_forwards,
        )

    # --- after the scan ---------------------------------------------------------------------

    async def enrich(
        self, hosts: Sequence[Host], scan_more: ScanMore, ctx: ProbeContext | None = None
    ) -> tuple[list[Host], InternetExposure | None]:
        """The hosts with exposure findings added, and the Internet exposure section.

        None when the stage is off (``--no-router``): the report then has no such section.
        """
        if not self.options.enabled:
            return list(hosts), None
        await self.read(ctx)
        readings = list(self._readings or [])
        hosts = await self._scan_forwarded(list(hosts), readings, scan_more)
        scanned = {(h.ip, p) for h in hosts for p in self._swept}
        scanned |= {(h.ip, s.port) for h in hosts for s in h.services}
        in_scope = {
            f.internal_client
            for r in readings
            for f in r.forwards
            if self._in_scope(f.internal_client)
        }
        return build_exposure(
            readings,
            hosts,
            scanned=scanned,
            in_scope=in_scope,
            notes=self._notes,
            cloud=self._cloud,
            vendors=self._vendors,
        )

    async def _scan_forwarded(
        self, hosts: list[Host], readings: Sequence[RouterReading], scan_more: ScanMore
    ) -> list[Host]:
        """Scan the forwarded ports the sweep did not cover, on in-scope addresses."""
        by_ip = {h.ip: h for h in hosts}
        wanted: dict[str, set[int]] = {}
        for reading in readings:
            for f in reading.forwards:
                if f.protocol != "TCP" or not f.enabled or not self._in_scope(f.internal_client):
                    continue
                if f.internal_port in self._swept:
                    continue  # swept with every host: closed if the host has no service there
                host = by_ip.get(f.internal_client)
                if host is not None and any(s.port == f.internal_port for s in host.services):
                    continue
                wanted.setdefault(f.internal_client, set()).add(f.internal_port)
        jobs = list(wanted.items())[:_MAX_EXTRA_HOSTS]
        for ip, ports in jobs:
            extra = tuple(sorted(ports))[:_MAX_EXTRA_PORTS]
            try:
                found = await scan_more(ip, extra)
            except Exception:  # a bug must not end the scan
                log.debug("scanning forwarded ports of %s failed", ip, exc_info=True)
                continue
            if found is not None:
                by_ip[ip] = _merge(by_ip.get(ip), found)
                if ip not in [h.ip for h in hosts]:
                    hosts.append(by_ip[ip])
            self._notes.append(
                f"{ip}: the router forwards port{'s' if len(extra) > 1 else ''} "
                f"{', '.join(map(str, extra))} there, which the sweep did not cover: scanned too"
            )
        return [by_ip[h.ip] for h in hosts]


def _merge(old: Host | None, new: Host) -> Host:
    """The host as first scanned, with the services and findings of its forwarded ports added."""
    if old is None:
        return new
    ports = {s.port for s in old.services}
    services = (*old.services, *(s for s in new.services if s.port not in ports))
    seen = {(f.id, f.port) for f in old.findings}
    findings = (*old.findings, *(f for f in new.findings if (f.id, f.port) not in seen))
    ident = old.identification
    if ident.vendor is None and new.identification.vendor is not None:
        ident = new.identification
    return replace(
        old,
        services=tuple(sorted(services, key=lambda s: s.port)),
        findings=findings,
        identification=ident,
        risk=score_host(findings, ident.device_type),
        notes=(*old.notes, *(n for n in new.notes if n not in old.notes)),
    )


class RouterEnricher:
    """The stage as one of the pipeline's enrichers: it reads beside the scan (``listen``) and
    finishes with the whole scan's hosts (``finish_scan``); its per-host hooks do nothing."""

    passive = False  # it never asks the scan to send nothing; passive mode switches it off

    def __init__(self, stage: RouterStage, ctx: ProbeContext) -> None:
        self.stage = stage
        self.ctx = ctx

    async def listen(self) -> None:
        await self.stage.read(self.ctx)

    def ports_for(self, ip: str, ports: tuple[int, ...]) -> tuple[int, ...]:  # noqa: ARG002
        return ports

    async def absent(self, ip: str) -> bool:  # noqa: ARG002
        return False

    async def seen(self, work: HostWork) -> None:
        pass

    async def after_probes(self, work: HostWork, deadline: float) -> None:
        pass

    def finish_host(self, host: Host, work: HostWork) -> Host:  # noqa: ARG002
        return host

    def runs(self) -> tuple[DiscoveryRun, ...]:
        return ()

    def notes(self) -> tuple[str, ...]:
        return ()

    async def finish_scan(
        self, hosts: list[Host], scan_more: ScanMore
    ) -> tuple[list[Host], InternetExposure | None]:
        return await self.stage.enrich(hosts, scan_more, self.ctx)


def router_enricher(
    config: ScanConfig,
    ctx: ProbeContext,
    cloud: Sequence[CloudService] | None = None,
    vendors: VendorLookup | None = None,
) -> RouterEnricher:
    """The enricher ``ScanConfig.router`` asks for: on the scan's scope and swept ports, with
    the scan's signature set's cloud services and vendor lookup (the shipped ones when None)."""
    options = config.router or RouterOptions(enabled=False)
    if config.passive:
        options = replace(options, passive=True)
    stage = RouterStage(
        options, config.scope, swept_ports=config.ports, cloud=cloud, vendors=vendors
    )
    return RouterEnricher(stage, ctx)
