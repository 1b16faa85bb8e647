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

from scanner.discover.base import Datagram, collect_datagrams, device_text, multicast_socket
from scanner.discover.lan import Link, plan_links
from scanner.discover.ssdp import SSDP_ADDR, SSDP_PORT, SSDP_TTL, build_msearch, parse_ssdp
from scanner.discover.ssdp import description_url as same_host_location
from scanner.models import Host, InternetExposure, RouterReading, RouterStatus
from scanner.report.risk import score_host
from scanner.router.client import MAX_FORWARDS, read_igd
from scanner.router.exposure import build_exposure
from scanner.router.igd import IGD_SEARCH_TARGETS, build_natpmp_request, parse_natpmp
from scanner.targets import TargetRange

log = logging.getLogger(__name__)

__all__ = ["RouterOptions", "RouterStage", "default_gateways"]

NATPMP_PORT = 5351
_MAX_GATEWAYS = 8
_MAX_EXTRA_PORTS = 32  # forwarded ports scanned per host that the sweep did not cover
_MAX_EXTRA_HOSTS = 32

ScanMore = Callable[[str, tuple[int, ...]], Awaitable[Host | None]]


@dataclass(frozen=True, slots=True)
class RouterOptions:
    enabled: bool = True  # --no-router turns it off
    passive: bool = False  # --passive: nothing is sent, so the router is not read
    gateways: tuple[str, ...] = ()  # --gateway: addresses, or description URLs (the lab)
    search: bool = True  # SSDP search on the attached networks
    timeout: float = 2.0  # listening for SSDP and NAT-PMP answers
    request_timeout: float = 3.0  # one HTTP request to the router
    deadline: float = 30.0  # the whole read of one router
    max_forwards: int = MAX_FORWARDS


@dataclass(frozen=True, slots=True)
class _Gateway:
    address: str
    location: str = ""  # its IGD description URL, once known
    server: str = ""
    how: str = ""  # default route, SSDP, --gateway


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
    ) -> None:
        self.options = options
        self._ranges = tuple(ranges)
        self._swept = tuple(swept_ports)
        if interfaces is None and options.enabled and not options.passive:
            from scanner.targets import read_interfaces  # noqa: PLC0415

            interfaces = read_interfaces()
        self.links, _ = plan_links(interfaces or {}, self._ranges)
        self._routes = routes
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

    async def _search(self, link: Link | None, unicast: Sequence[str]) -> list[Datagram]:
        """SSDP IGD search (multicast on ``link``, unicast to each gateway) and NAT-PMP."""
        messages: list[tuple[bytes, tuple[str, int]]] = []
        mx = max(1, int(self.options.timeout) - 1)
        if link is not None and self.options.search:
            messages += [
                (build_msearch(st, mx), (SSDP_ADDR, SSDP_PORT)) for st in IGD_SEARCH_TARGETS
            ]
        for address in unicast:
            messages += [(build_msearch(st, mx), (address, SSDP_PORT)) for st in IGD_SEARCH_TARGETS]
            messages.append((build_natpmp_request(), (address, NATPMP_PORT)))
        if not messages:
            return []
        if link is not None:
            sock = multicast_socket(link.ip, ttl=SSDP_TTL)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
            sock.setblocking(False)
        return await collect_datagrams(
            sock, messages, duration=self.options.timeout, repeat_after=self.options.timeout / 3
        )

    async def _find(self) -> tuple[list[_Gateway], dict[str, str]]:
        opts = self.options
        gateways: dict[str, _Gateway] = {}
        for gw in [_explicit(g) for g in opts.gateways] + self._route_gateways():
            gateways.setdefault(gw.address, gw)
        on_link: dict[Link | None, list[str]] = {}
        for address in gateways:
            link = next(
                (k for k in self.links if ipaddress.IPv4Address(address) in k.network), None
            )
            on_link.setdefault(link, []).append(address)
        for link in self.links:
            on_link.setdefault(link, [])
        batches = await asyncio.gather(
            *(self._search(link, addresses) for link, addresses in on_link.items()),
            return_exceptions=True,
        )
        natpmp: dict[str, str] = {}
        networks = [link.network for link in self.links]
        for batch in batches:
            if isinstance(batch, BaseException):
                self._notes.append(f"the router search could not run: {type(batch).__name__}")
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
                if location and not known.location:
                    known = replace(
                        known, location=location, server=device_text(message.header("server"))
                    )
                gateways[datagram.ip] = known
        return list(gateways.values())[:_MAX_GATEWAYS], natpmp

    # --- reading ----------------------------------------------------------------------------

    async def read(self) -> None:
        """Find and read every gateway once; never raises (failures become readings)."""
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
                reason=f"the {gw.how} answered no UPnP search, so its forwards could not be "
                "read (UPnP off, or it ignores searches)",
            )
        return await read_igd(
            gw.location,
            gw.address,
            server=gw.server,
            timeout=self.options.request_timeout,
            deadline=self.options.deadline,
            max_forwards=self.options.max_forwards,
        )

    # --- after the scan ---------------------------------------------------------------------

    async def enrich(
        self, hosts: Sequence[Host], scan_more: ScanMore
    ) -> tuple[list[Host], InternetExposure | None]:
        """The hosts with exposure findings added, and the Internet exposure section.

        None when the stage is off (``--no-router``): the report then has no such section.
        """
        if not self.options.enabled:
            return list(hosts), None
        await self.read()
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
            readings, hosts, scanned=scanned, in_scope=in_scope, notes=self._notes
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
