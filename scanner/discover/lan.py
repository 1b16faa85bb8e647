"""The LAN discovery coordinator: which methods may run, running them at once, merging hosts.

Broadcast and multicast discovery only make sense on the LAN of the targets: ARP, mDNS, SSDP and
WS-Discovery run only on an attached, non-loopback IPv4 network of this network namespace that
holds targets, and only out of that interface. Loopback targets (``camsweep demo``, tests) and
routed targets get every LAN method marked skipped with the reason, so nothing is multicast for
them. Every method has a deadline, can be switched off, and a failure becomes a line in the
report, never an exception.

Hosts are keyed by IPv4 address (what the report lists) and merged by MAC: one MAC answering for
several addresses is noted on each of them. Only in-scope addresses are kept: a device that
answers a multicast query from outside the targets is not reported.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from scanner.config import DiscoveryOptions
from scanner.context import ProbeContext
from scanner.discover.arp import (
    ArpUnavailable,
    arp_sweep,
    can_send_arp,
    sweep_seconds,
)
from scanner.discover.base import Sighting
from scanner.discover.links import Link, LinkTargets, plan_links
from scanner.discover.mdns import mdns_browse
from scanner.discover.neighbours import Neighbour, read_neighbours
from scanner.discover.oui import mac_vendor, oui
from scanner.discover.passive import PassiveUnavailable, listen
from scanner.discover.ssdp import ssdp_search
from scanner.discover.wsdiscovery import wsd_probe
from scanner.match.engine import SignatureSet
from scanner.match.identity import enrich_identification
from scanner.models import DiscoveryRun, DiscoveryStatus, Host, Identification, ServiceResult
from scanner.targets import LARGE_SCAN, TargetRange
from scanner.transport import DatagramSeam, TransportError, UdpSeam

if TYPE_CHECKING:
    from scanner.registry import LanSearch

log = logging.getLogger(__name__)

__all__ = [
    "LanDiscovery",
    "LanHost",
    "Link",
    "Methods",
    "plan_links",
]

_MAX_SERVICES_PER_HOST = 64
_MAX_HOSTNAMES = 8
_MAX_NOTES = 8


@dataclass
class LanHost:
    """What LAN discovery learnt about one address (mutable while discovery runs)."""

    ip: str
    mac: str | None = None
    mac_vendor: str | None = None
    methods: list[str] = field(default_factory=list)
    hostnames: list[str] = field(default_factory=list)
    services: list[ServiceResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def host_fields(self) -> dict[str, str]:
        """Host-level evidence for identification: the MAC's OUI and its owner."""
        fields: dict[str, str] = {}
        if self.mac:
            fields["mac.oui"] = oui(self.mac)
        if self.mac_vendor:
            fields["mac.vendor"] = self.mac_vendor
        return fields

    def _note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < _MAX_NOTES:
            self.notes.append(text)


Discoverer = Callable[[Link, float], Awaitable[list[Sighting]]]


@dataclass(frozen=True)
class Methods:
    """The discoverers, injectable so the coordinator is tested without a network."""

    arp: Callable[[Link, Collection[str], float], Awaitable[list[Sighting]]]
    mdns: Callable[[Link, float, Callable[[str], bool], Sequence[str]], Awaitable[list[Sighting]]]
    ssdp: Callable[[Link, float, Callable[[str], bool]], Awaitable[list[Sighting]]]
    wsd: Callable[[Link, float, Callable[[str], bool]], Awaitable[list[Sighting]]]
    passive: Callable[[Link, float, Callable[[str], bool]], Awaitable[list[Sighting]]]
    neighbours: Callable[[], Mapping[str, Neighbour]]


def _real_methods(
    ctx: ProbeContext,
    rate: float,
    heard: Callable[[str, str], None],
    progress: Callable[[int], None],
) -> Methods:
    return Methods(
        arp=lambda link, ips, t: arp_sweep(
            link.iface, link.ip, ips, timeout=t, rate=rate, heard=heard, progress=progress
        ),
        mdns=lambda link, t, scope, types: mdns_browse(
            link.ip, timeout=t, in_scope=scope, extra_types=types
        ),
        ssdp=lambda link, t, scope: ssdp_search(ctx, link.ip, timeout=t, in_scope=scope),
        wsd=lambda link, t, scope: wsd_probe(ctx.datagrams, link.ip, timeout=t, in_scope=scope),
        passive=lambda link, t, scope: listen(link.iface, link.network, seconds=t, in_scope=scope),
        neighbours=read_neighbours,
    )


def _in_ranges(ranges: Sequence[TargetRange]) -> Callable[[str], bool]:
    spans = [(int(r.first), int(r.last)) for r in ranges]

    def in_scope(ip: str) -> bool:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        return any(first <= value <= last for first, last in spans)

    return in_scope


@dataclass
class _Outcome:
    status: DiscoveryStatus
    reason: str
    ips: set[str] = field(default_factory=set)


class LanDiscovery:
    """Runs the LAN methods once (``run``); hosts ask for what was learnt (``host``)."""

    def __init__(
        self,
        options: DiscoveryOptions,
        ranges: Sequence[TargetRange],
        *,
        interfaces: Mapping[str, Sequence[str]] | None = None,
        methods: Methods | None = None,
        context: ProbeContext | None = None,
        searches: Sequence[LanSearch] = (),
        datagrams: DatagramSeam | None = None,
        raw_sockets: Callable[[str], str | None] | None = None,
    ) -> None:
        """``raw_sockets(iface)``: None when ARP can be sent there, else why not (injected by
        tests; by default a raw packet socket is opened and closed, or the fakes are trusted
        when ``methods`` are injected)."""
        self.options = options
        self._ranges = tuple(ranges)
        self._in_scope = _in_ranges(self._ranges)
        if interfaces is None:
            from scanner.targets import read_interfaces  # noqa: PLC0415

            interfaces = read_interfaces()
        self.links, self._skip_reason = plan_links(interfaces, self._ranges)
        # Searches may leave only on the attached networks that hold targets, and never
        # in passive mode: the datagram seam enforces both.
        seam = datagrams or UdpSeam([link.network for link in self.links], passive=self.passive)
        self.context = replace(context or ProbeContext(), datagrams=seam)
        self._searches = tuple(searches)  # registered vendor searches (scanner.registry)
        self._hosts: dict[str, LanHost] = {}
        self._outcomes: dict[str, _Outcome] = {}
        self._neighbour_hits: set[str] = set()
        self._done = asyncio.Event()
        self._arp_done = asyncio.Event()
        self._arp_asked: list[Collection[str]] = []
        self._arp_answered: set[str] = set()
        self._arp_ok = False
        # Addresses whose sweep waits for ARP: woken by their answer or by the end of ARP.
        self._arp_waiters: dict[str, asyncio.Event] = {}
        self._table: Mapping[str, Neighbour] | None = None
        self._table_at = 0.0
        self._notes: list[str] = []
        self._methods = methods or _real_methods(
            self.context, options.arp_rate, self.heard_by_arp, self._arp_progress
        )
        self._by_mac: dict[str, list[str]] = {}
        self._listened = asyncio.Event()  # every method but ARP has had its window
        # Streaming (docs/discovery.md, "Large networks"): on a claimed link the scan sweeps no
        # address by itself; discovery hands over each host it finds, once.
        self._targets = {link: LinkTargets(link, self._ranges) for link in self.links}
        check = raw_sockets or (can_send_arp if methods is None else (lambda _iface: None))
        self._raw_problem = {
            link: (check(link.iface) if options.arp and not self.passive else None)
            for link in self.links
        }
        self._claimed = [link for link in self.links if self._claims_link(link)]
        self._handed: set[str] = set()
        self._on_found: Callable[[str], None] | None = None
        self._on_progress: Callable[[], None] | None = None
        self._arp_sent = 0
        self._stopped = False  # cut by the scan's deadline

    # --- which addresses discovery hands over ---------------------------------------------

    def large(self, link: Link) -> bool:
        return len(self._targets[link]) > LARGE_SCAN

    def _claims_link(self, link: Link) -> bool:
        """Discovery decides who exists on ``link``: ARP will ask every address, or the link is
        too large to sweep by TCP (then the listeners and the neighbour table stand in), or
        nothing may be sent at all (--passive)."""
        if self.passive or self.large(link):
            return True
        return self.options.arp and self._raw_problem[link] is None

    def claims(self, ip: str) -> bool:
        """True when discovery hands ``ip`` over (``subscribe``) if a host is there, so the
        scan does not sweep it by itself."""
        try:
            value = ipaddress.IPv4Address(ip)
        except ValueError:
            return False
        return any(value in link.network for link in self._claimed)

    def subscribe(self, found: Callable[[str], None], progress: Callable[[], None]) -> None:
        """``found(ip)`` once per claimed address that holds a host, as soon as it is known;
        ``progress()`` as the ARP sweep advances."""
        self._on_found = found
        self._on_progress = progress

    def covered(self) -> int:
        """Claimed addresses dealt with so far (for progress): ARP's share of its two rounds,
        or all of them once discovery is over."""
        # Our own address is a target too, though nobody asks it.
        total = sum(len(self._targets[n]) + self._in_scope(n.ip) for n in self._claimed)
        if self._done.is_set() and not self._stopped:
            return total
        arp_links = [link for link in self._claimed if self._raw_problem[link] is None]
        asked = sum(len(self._targets[link]) for link in arp_links)
        if not asked or not self.options.arp or self.passive:
            return 0
        # Two rounds: the first asks everybody, the second the silent (nearly all on a large
        # network): count each request as half an address.
        return min(asked, self._arp_sent // 2)

    def arp_seconds(self) -> float:
        """How long the ARP sweep of the claimed links will take at the configured rate."""
        asked = sum(
            len(self._targets[link]) for link in self._claimed if self._raw_problem[link] is None
        )
        return sweep_seconds(asked, self.options.arp_rate) if asked else 0.0

    def _hand_over(self, ip: str) -> None:
        if ip in self._handed or not self.claims(ip) or self._on_found is None:
            return
        self._handed.add(ip)
        self._on_found(ip)

    def _arp_progress(self, sent: int) -> None:
        self._arp_sent = sent
        if self._on_progress is not None:
            self._on_progress()

    @property
    def passive(self) -> bool:
        return self.options.passive is not None

    # --- running --------------------------------------------------------------------------

    async def run(self) -> None:
        """Run every enabled method on every link, concurrently; never raises."""
        try:
            if self.links:
                await self._run_methods()
        except asyncio.CancelledError:  # the scan's deadline: say so rather than "did not run"
            self._stopped = True
            for name in ("arp", "mdns", "ssdp", "ws-discovery", "passive"):
                heard = set(self._arp_answered) if name == "arp" else set()
                self._outcomes.setdefault(
                    name, _Outcome(DiscoveryStatus.FAILED, "stopped at the scan deadline", heard)
                )
            raise
        finally:
            self._end_arp()
            self._listened.set()
            self._fallback()
            self._done.set()

    async def _run_methods(self) -> None:
        opts = self.options
        jobs: dict[str, Callable[[], Awaitable[list[Sighting]]]] = {}
        t = opts.timeout
        scope = self._in_scope
        m = self._methods
        if self.passive or not opts.arp:
            self._end_arp()
        if self.passive:
            seconds = float(opts.passive or 0)
            jobs["passive"] = lambda: self._each_link(lambda link: m.passive(link, seconds, scope))
        else:
            if opts.arp:
                jobs["arp"] = self._arp
            if opts.mdns:
                types = opts.service_types
                jobs["mdns"] = lambda: self._each_link(lambda link: m.mdns(link, t, scope, types))
            if opts.ssdp:
                jobs["ssdp"] = lambda: self._each_link(lambda link: m.ssdp(link, t, scope))
            if opts.wsd:
                jobs["ws-discovery"] = lambda: self._each_link(lambda link: m.wsd(link, t, scope))
            for search in self._searches:
                jobs[search.name] = partial(self._each_link, partial(self._search, search))
        arp = jobs.pop("arp", None)
        async with asyncio.TaskGroup() as group:
            if arp is not None:
                group.create_task(self._guarded("arp", arp))
            group.create_task(self._listen(jobs))

    async def _listen(self, jobs: Mapping[str, Callable[[], Awaitable[list[Sighting]]]]) -> None:
        """Every method but ARP, at once; their window's end lets hosts finish before the ARP
        sweep of a large network does."""
        try:
            await asyncio.gather(*(self._guarded(name, job) for name, job in jobs.items()))
        finally:
            self._listened.set()

    async def _each_link(self, call: Callable[[Link], Awaitable[list[Sighting]]]) -> list[Sighting]:
        results = await asyncio.gather(*(call(link) for link in self.links))
        return [s for batch in results for s in batch]

    async def _search(self, search: LanSearch, link: Link) -> list[Sighting]:
        return await search.run(self.context, link.ip, self.options.timeout, self._in_scope)

    async def _arp(self) -> list[Sighting]:
        out: list[Sighting] = []
        try:
            for link in self.links:
                problem = self._raw_problem[link]
                if problem is not None:
                    raise ArpUnavailable(problem)
                ips = self._targets[link]
                found = await self._methods.arp(link, ips, self.options.timeout)
                self._arp_asked.append(ips)
                for sighting in found:
                    self.heard_by_arp(sighting.ip, sighting.mac)
                out.extend(found)
            self._arp_ok = True
        finally:
            self._end_arp()
        return out

    def _fallback(self) -> None:
        """After discovery: a claimed link ARP did not cover still gets its hosts handed over.
        A small one: every address (the TCP sweep then fills the neighbour table); a large one:
        what the kernel's neighbour table holds (the listeners' hosts are handed over already)."""
        if self._arp_ok or self.passive:
            return
        for link in self._claimed:
            if not self.large(link):
                for ip in self._targets[link]:
                    self._hand_over(ip)
                continue
            if not self.options.neighbours:
                continue
            try:
                table = self._methods.neighbours()
            except Exception:
                log.debug("neighbour table not readable", exc_info=True)
                continue
            for ip, entry in table.items():
                sighting = Sighting(ip, "neighbours", mac=entry.mac)
                if ip in self._targets[link] and self._add(sighting):
                    self._neighbour_hits.add(ip)

    def _deadline(self, name: str) -> float:
        opts = self.options
        if name == "passive":
            return float(opts.passive or 0) + 5.0
        if name == "arp":
            # Two rounds at the configured rate, each followed by a wait for answers.
            return self.arp_seconds() * 1.5 + 5.0
        # mDNS browses then resolves within the timeout; SSDP then reads descriptions.
        return 2 * opts.timeout + 2.0

    async def _guarded(self, name: str, job: Callable[[], Awaitable[list[Sighting]]]) -> None:
        where = ", ".join(f"{link.iface} ({link.network})" for link in self.links)
        try:
            async with asyncio.timeout(self._deadline(name)):
                sightings = await job()
        except ArpUnavailable as exc:
            self._outcomes[name] = _Outcome(DiscoveryStatus.FAILED, f"{exc}{self._fell_back()}")
            return
        except PassiveUnavailable as exc:
            self._outcomes[name] = _Outcome(DiscoveryStatus.FAILED, str(exc))
            return
        except TimeoutError:
            self._outcomes[name] = _Outcome(
                DiscoveryStatus.FAILED, f"did not finish within {self._deadline(name):g}s"
            )
            return
        except OSError as exc:
            self._outcomes[name] = _Outcome(
                DiscoveryStatus.FAILED, f"cannot use {where}: {exc.strerror or exc}"
            )
            return
        except TransportError as exc:  # the datagram seam: a socket it could not open, a refusal
            self._outcomes[name] = _Outcome(DiscoveryStatus.FAILED, f"cannot use {where}: {exc}")
            return
        except Exception as exc:  # a discoverer bug must not end the scan
            log.debug("discovery method %s failed", name, exc_info=True)
            self._outcomes[name] = _Outcome(
                DiscoveryStatus.FAILED, f"internal error: {type(exc).__name__}"
            )
            return
        ips: set[str] = set()
        for sighting in sightings:
            if self._add(sighting):
                ips.add(sighting.ip)
        self._outcomes[name] = _Outcome(DiscoveryStatus.RAN, self._ran_reason(name, where), ips)

    def _fell_back(self) -> str:
        large = [link for link in self._claimed if self.large(link)]
        if large:
            nets = ", ".join(f"{n.network} ({len(self._targets[n])} addresses)" for n in large)
            return (
                f"; {nets} cannot be swept quickly without ARP: run camsweep as root or give it "
                "CAP_NET_RAW (sudo setcap cap_net_raw+eip on the Python binary) for an ARP "
                "sweep; fell back to mDNS, SSDP and WS-Discovery answers and the kernel "
                "neighbour table, and only the hosts they named were swept"
            )
        if self.options.neighbours:
            return "; fell back to the kernel neighbour table after the TCP sweep"
        return ""

    def _ran_reason(self, name: str, where: str) -> str:
        t = self.options.timeout
        asked = sum(len(self._targets[link]) for link in self.links)
        rate = self.options.arp_rate
        return {
            "arp": f"ARP requests to the {asked} targets on {where} at {rate:g}/s "
            "(silent ones asked twice)",
            "mdns": f"DNS-SD service enumeration and resolution on {where}, {t:g}s",
            "ssdp": f"M-SEARCH ssdp:all on {where}, {t:g}s, then each device description",
            "ws-discovery": f"ONVIF Probe for NetworkVideoTransmitter on {where}, {t:g}s",
            "passive": (
                f"listened on {where} for {float(self.options.passive or 0):g}s; nothing was sent"
            ),
        }.get(name) or next(
            (f"{s.describe or s.name + ' search'} on {where}, {t:g}s" for s in self._searches
             if s.name == name),
            where,
        )  # fmt: skip

    # --- merging --------------------------------------------------------------------------

    def _add(self, sighting: Sighting) -> bool:
        if not self._in_scope(sighting.ip):
            return False
        host = self._hosts.get(sighting.ip)
        if host is None:
            host = self._hosts[sighting.ip] = LanHost(sighting.ip)
        if sighting.method not in host.methods:
            host.methods.append(sighting.method)
        if sighting.mac is not None:
            if host.mac is None:
                host.mac = sighting.mac
                host.mac_vendor = mac_vendor(sighting.mac)
                self._same_mac(host)
            elif host.mac != sighting.mac:
                host._note(
                    f"{sighting.method} saw MAC {sighting.mac} for this address, besides "
                    f"{host.mac}: two devices answer for it (a proxy, a duplicate address, "
                    "or spoofing)"
                )
        for name in sighting.hostnames:
            if name and name not in host.hostnames and len(host.hostnames) < _MAX_HOSTNAMES:
                host.hostnames.append(name)
        service = sighting.service
        if service is not None and len(host.services) < _MAX_SERVICES_PER_HOST:
            key = (service.protocol, tuple(sorted(service.fields.items())))
            if all(key != (s.protocol, tuple(sorted(s.fields.items()))) for s in host.services):
                host.services.append(service)
        if sighting.note:
            host._note(sighting.note)
        self._hand_over(sighting.ip)
        return True

    def _same_mac(self, host: LanHost) -> None:
        """Merge by MAC as hosts arrive: every address sharing one notes the others (hosts
        finish while discovery goes on, so this cannot wait for its end)."""
        assert host.mac is not None
        ips = self._by_mac.setdefault(host.mac, [])
        ips.append(host.ip)
        if len(ips) < 2:
            return
        for ip in ips:
            others = ", ".join(i for i in ips if i != ip)
            note = f"same MAC as {others}: one device with several addresses, or a router "
            note += "answering for them"
            target = self._hosts[ip]
            target.notes[:] = [n for n in target.notes if not n.startswith("same MAC as ")]
            target._note(note)

    # --- what the scan asks -------------------------------------------------------------------

    def _on_link(self, ip: str) -> bool:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            return False
        return any(address in link.network for link in self.links)

    def heard_by_arp(self, ip: str, mac: str | None = None) -> None:
        """``ip`` answered ARP: its sweep may start now, before the ARP sweep ends. The real ARP
        sweep calls this for each answer as it arrives."""
        if not self._in_scope(ip):
            return
        self._arp_answered.add(ip)
        self._add(Sighting(ip, "arp", mac=mac))
        waiter = self._arp_waiters.pop(ip, None)
        if waiter is not None:
            waiter.set()

    def _end_arp(self) -> None:
        self._arp_done.set()
        for waiter in self._arp_waiters.values():
            waiter.set()
        self._arp_waiters.clear()

    async def absent(self, ip: str) -> bool:
        """ARP asked ``ip`` (twice) and nobody answered: no host is there, skip its TCP sweep.

        Every IPv4 host on a LAN must answer ARP to talk at all (RFC 826), so this is as sure
        as a sweep that times out, and much faster (nmap's ARP ping works the same way). Waits
        for ``ip``'s answer or the end of the ARP sweep; False whenever ARP did not run or did
        not cover ``ip``.
        """
        if not self._arp_done.is_set() and ip not in self._arp_answered:
            await self._arp_waiters.setdefault(ip, asyncio.Event()).wait()
        if ip in self._arp_answered:
            return False
        return self._arp_ok and any(ip in asked for asked in self._arp_asked)

    async def host(self, ip: str) -> LanHost | None:
        """What discovery knows about ``ip``; waits for the methods (they are time-bounded).

        Call after the address's TCP sweep: the kernel neighbour table then holds its MAC if it
        is on-link and alive, even when every port is closed.
        """
        asked = asyncio.get_running_loop().time()  # this address's sweep is over by now
        # The listeners' window, and ARP's answer for this address (or the end of ARP): a host
        # ARP found early need not wait for a large network's sweep to end.
        await self._listened.wait()
        if ip not in self._arp_answered and not self._arp_done.is_set():
            await self._arp_waiters.setdefault(ip, asyncio.Event()).wait()
        host = self._hosts.get(ip)
        if self.passive or not self.options.neighbours or not self._on_link(ip):
            return host
        if host is not None and host.mac is not None:
            return host
        try:
            entry = self._neighbour_table(asked).get(ip)
        except Exception:
            log.debug("neighbour table not readable", exc_info=True)
            entry = None
        if entry is None or not self._add(Sighting(ip, "neighbours", mac=entry.mac)):
            return host
        self._neighbour_hits.add(ip)
        return self._hosts[ip]

    def _neighbour_table(self, since: float) -> Mapping[str, Neighbour]:
        """The kernel's table, read again only when the copy is older than ``since``: hosts
        asking at once share one read (a /24 would otherwise parse it a hundred times)."""
        if self._table is None or self._table_at < since:
            self._table_at = asyncio.get_running_loop().time()
            self._table = self._methods.neighbours()
        return self._table

    @staticmethod
    def identify(
        signatures: SignatureSet,
        lan_host: LanHost,
        services: Sequence[ServiceResult],
        open_ports: Collection[int],
    ) -> Identification:
        """Fingerprints over the probes' and discovery's evidence (with the MAC as host-level
        evidence), then the gaps filled from what the device says about itself."""
        ident = signatures.identify(services, open_ports, lan_host.host_fields())
        return enrich_identification(
            ident,
            services,
            signatures,
            mac_oui=oui(lan_host.mac) if lan_host.mac else None,
            mac_vendor=lan_host.mac_vendor,
        )

    @staticmethod
    def finish_host(host: Host, lan_host: LanHost | None, *, swept: bool) -> Host:
        """The report's host with its MAC, vendor, names, methods and discovery notes."""
        if lan_host is None:
            return host
        methods = (("tcp",) if swept else ()) + tuple(lan_host.methods)
        return replace(
            host,
            mac=lan_host.mac or host.mac,
            mac_vendor=lan_host.mac_vendor or host.mac_vendor,
            hostnames=tuple(dict.fromkeys((*host.hostnames, *lan_host.hostnames))),
            discovered_by=methods,
            notes=(*host.notes, *lan_host.notes),
        )

    def heard(self) -> dict[str, LanHost]:
        """Every in-scope host discovery saw (passive mode reports exactly these)."""
        return dict(self._hosts)

    def runs(self) -> tuple[DiscoveryRun, ...]:
        """One line per LAN method for the report: ran, skipped or failed, and why."""
        opts = self.options
        runs: list[DiscoveryRun] = []
        names = ["arp", "neighbours", "mdns", "ssdp", "ws-discovery"]
        names += [s.name for s in self._searches]
        if self.passive:
            names.append("passive")
        switches = {"arp": opts.arp, "neighbours": opts.neighbours, "mdns": opts.mdns}
        switches |= {"ssdp": opts.ssdp, "ws-discovery": opts.wsd}
        switches |= {s.name: True for s in self._searches}
        flags = {"arp": "--no-arp", "mdns": "--no-mdns", "ssdp": "--no-ssdp"}
        flags |= {"ws-discovery": "--no-wsd", "neighbours": "(neighbours off)"}
        for name in names:
            if not self.links:
                runs.append(DiscoveryRun(name, DiscoveryStatus.SKIPPED, self._skip_reason))
            elif self.passive and name != "passive":
                runs.append(
                    DiscoveryRun(name, DiscoveryStatus.SKIPPED, "passive mode: nothing is sent")
                )
            elif name != "passive" and not switches[name]:
                runs.append(
                    DiscoveryRun(name, DiscoveryStatus.SKIPPED, f"switched off ({flags[name]})")
                )
            elif name == "neighbours":
                runs.append(
                    DiscoveryRun(
                        name,
                        DiscoveryStatus.RAN,
                        self._neighbours_reason(),
                        len(self._neighbour_hits),
                    )
                )
            else:
                outcome = self._outcomes.get(name)
                if outcome is None:
                    runs.append(DiscoveryRun(name, DiscoveryStatus.FAILED, "did not run"))
                else:
                    runs.append(
                        DiscoveryRun(name, outcome.status, outcome.reason, len(outcome.ips))
                    )
        return tuple(runs)

    def _neighbours_reason(self) -> str:
        if not self._arp_ok and any(self.large(link) for link in self._claimed):
            return (
                "kernel neighbour table read after the listeners, for the hosts of a large "
                "network ARP could not sweep, and after each host's TCP sweep (sends nothing)"
            )
        return "kernel neighbour table read after each host's TCP sweep (sends nothing)"

    def notes(self) -> tuple[str, ...]:
        """Scan-wide remarks (an ARP sweep capped below the number of targets)."""
        return tuple(self._notes)
