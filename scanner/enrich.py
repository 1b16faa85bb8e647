"""Enrichers: what adds to a scan beside the probes, run by the pipeline as one list.

LAN discovery (ARP, neighbours, mDNS, SSDP, WS-Discovery, --passive) and nmap (--nmap,
--from-nmap) used to be ``if lan`` / ``if nmap`` branches through the pipeline. Each is now an
``Enricher`` built from its options in ``ScanConfig``; the pipeline calls every enricher at the
same points of every host and never asks which one it is. A new one is its class here and one
line in ``build_enrichers``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from functools import partial
from typing import Protocol as TypingProtocol
from typing import runtime_checkable

from scanner.config import ScanConfig
from scanner.context import ProbeContext
from scanner.discover.lan import LanDiscovery, LanHost
from scanner.discover.vendor.catalog import load_catalog
from scanner.discover.vendor.search import VendorDiscovery
from scanner.match.engine import SignatureSet
from scanner.models import (
    DiscoveryRun,
    Finding,
    Host,
    Identification,
    InternetExposure,
    Protocol,
    ServiceResult,
)
from scanner.probe.nmap import NmapSupport
from scanner.registry import HostJob, HostProbe, LanSearch, PortProbe
from scanner.router.stage import router_enricher
from scanner.transport import UdpSeam
from scanner.work import HostWork

__all__ = [
    "Enricher",
    "LanEnricher",
    "NmapEnricher",
    "ScanFinisher",
    "VendorEnricher",
    "build_enrichers",
]


@runtime_checkable
class ScanFinisher(TypingProtocol):
    """An enricher that also works on all the scan's hosts at its end (the router stage)."""

    async def finish_scan(
        self, hosts: list[Host], scan_more: Callable[[str, tuple[int, ...]], Awaitable[Host | None]]
    ) -> tuple[list[Host], InternetExposure | None]:
        """The hosts with what it added, and the report's Internet exposure section."""
        ...


@runtime_checkable
class Claimer(TypingProtocol):
    """An enricher that decides which of some addresses hold a host (LAN discovery: ARP on an
    attached network) and hands those over itself; the scan does not sweep the rest."""

    def claims(self, ip: str) -> bool:
        """True when this enricher hands ``ip`` over itself if a host is there."""
        ...

    def subscribe(self, found: Callable[[str], None], progress: Callable[[], None]) -> None:
        """Before ``listen``: where to hand claimed hosts over, and whom to tell of progress."""
        ...

    def covered(self) -> int:
        """Claimed addresses dealt with so far (for progress)."""
        ...


class Enricher(TypingProtocol):
    @property
    def passive(self) -> bool:
        """True when this enricher promised that nothing is sent (--passive)."""
        ...

    async def listen(self) -> None:
        """Scan-long work that starts with the scan (discovery listeners); returns when done."""
        ...

    def ports_for(self, ip: str, ports: tuple[int, ...]) -> tuple[int, ...]:
        """The ports to sweep on ``ip``."""
        ...

    async def absent(self, ip: str) -> bool:
        """True when ``ip`` is known to hold no host (no sweep then)."""
        ...

    async def seen(self, work: HostWork) -> None:
        """Add what this enricher learnt of the host (waits for its listening window)."""
        ...

    async def after_probes(self, work: HostWork, deadline: float) -> None:
        """More evidence after the probes, before the checks, by ``deadline`` (monotonic)."""
        ...

    def finish_host(self, host: Host, work: HostWork) -> Host: ...

    def runs(self) -> tuple[DiscoveryRun, ...]: ...

    def notes(self) -> tuple[str, ...]: ...


class LanEnricher:
    """ARP, neighbour table, mDNS, SSDP, WS-Discovery and passive listening (docs/discovery.md)."""

    def __init__(self, lan: LanDiscovery) -> None:
        self.lan = lan

    @property
    def passive(self) -> bool:
        return self.lan.passive

    async def listen(self) -> None:
        await self.lan.run()

    def ports_for(self, ip: str, ports: tuple[int, ...]) -> tuple[int, ...]:  # noqa: ARG002
        return ports

    def claims(self, ip: str) -> bool:
        return self.lan.claims(ip)

    def subscribe(self, found: Callable[[str], None], progress: Callable[[], None]) -> None:
        self.lan.subscribe(found, progress)

    def covered(self) -> int:
        return self.lan.covered()

    async def absent(self, ip: str) -> bool:
        # On the LAN, an address that did not answer ARP holds no host: no TCP sweep for it.
        return await self.lan.absent(ip)

    async def seen(self, work: HostWork) -> None:
        work.lan = await self.lan.host(work.ip)  # after the sweep: the neighbour table is filled
        if work.lan is not None:
            work.services.extend(work.lan.services)

    async def after_probes(self, work: HostWork, deadline: float) -> None:
        pass

    def finish_host(self, host: Host, work: HostWork) -> Host:
        return self.lan.finish_host(host, work.lan, swept=bool(work.open_ports))

    def runs(self) -> tuple[DiscoveryRun, ...]:
        return self.lan.runs()

    def notes(self) -> tuple[str, ...]:
        return self.lan.notes()


class NmapEnricher:
    """--nmap (nmap -sV on ports still unidentified) and --from-nmap evidence (docs/nmap.md)."""

    def __init__(self, nmap: NmapSupport, signatures: SignatureSet) -> None:
        self.nmap = nmap
        self.signatures = signatures
        self.passive = False

    async def listen(self) -> None:
        pass

    def ports_for(self, ip: str, ports: tuple[int, ...]) -> tuple[int, ...]:
        return self.nmap.ports_for(ip, ports)

    async def absent(self, ip: str) -> bool:  # noqa: ARG002
        return False

    async def seen(self, work: HostWork) -> None:
        pass

    async def after_probes(self, work: HostWork, deadline: float) -> None:
        # Before the checks and logins, so they act on the identification nmap helped make.
        step = await self.nmap.after_probes(
            work.ip,
            tuple(work.services),
            work.open_ports,
            work.ident,
            deadline=deadline,
            identify=(
                partial(_identify_on_lan, self.signatures, work.lan)
                if work.lan is not None
                else None
            ),
        )
        work.services.extend(step.services)
        work.notes.extend(step.notes)
        work.ident = step.ident

    def finish_host(self, host: Host, work: HostWork) -> Host:  # noqa: ARG002
        return self.nmap.finish_host(host)

    def runs(self) -> tuple[DiscoveryRun, ...]:
        return self.nmap.discovery_runs()

    def notes(self) -> tuple[str, ...]:
        return self.nmap.notes()


class VendorEnricher:
    """Vendor discovery protocols (SADP, DHDiscover, Xiongmai, CS2, Ubiquiti ...).

    Its multicast/broadcast window starts with the scan (``listen``); each live host is asked by
    unicast through the host probe it registers (``probes``), beside the port probes; a host
    that only answered the multicast is still reported (``seen``). Its findings are registered
    on its services' protocol, so the pipeline finds them like any other."""

    def __init__(self, vendor: VendorDiscovery, signatures: SignatureSet) -> None:
        self.vendor = vendor
        self.signatures = signatures
        self.passive = vendor.options.passive
        self.probes = self._probes()

    def _probes(self) -> tuple[HostProbe, PortProbe]:
        """Its lines in the probe registry: the per-host unicast question, beside the port
        probes, and the findings of every vendor-discovery service, however it was found."""

        async def ask(job: HostJob) -> Sequence[ServiceResult]:
            return await self.vendor.ask_live_host(job.ip)

        def findings(ident: Identification, service: ServiceResult) -> Sequence[Finding]:
            return self.vendor.findings(ident, [service])

        return (
            HostProbe("vendor-discovery", ask),
            PortProbe((Protocol.VENDOR_DISCOVERY,), findings=findings),
        )

    async def listen(self) -> None:
        await self.vendor.run()

    def ports_for(self, ip: str, ports: tuple[int, ...]) -> tuple[int, ...]:  # noqa: ARG002
        return ports

    async def absent(self, ip: str) -> bool:  # noqa: ARG002
        return False

    async def seen(self, work: HostWork) -> None:
        if not work.seen:
            # Nothing answered, unless the device answered a vendor discovery multicast.
            work.services.extend(await self.vendor.query(work.ip, answered=False))

    async def after_probes(self, work: HostWork, deadline: float) -> None:  # noqa: ARG002
        work.ident = self.vendor.identify(work.ident, work.services, self.signatures)

    def finish_host(self, host: Host, work: HostWork) -> Host:  # noqa: ARG002
        return self.vendor.finish_host(host)

    def runs(self) -> tuple[DiscoveryRun, ...]:
        return self.vendor.runs()

    def notes(self) -> tuple[str, ...]:
        return ()


def _identify_on_lan(
    signatures: SignatureSet,
    lan_host: LanHost,
    services: Sequence[ServiceResult],
    open_ports: Collection[int],
) -> Identification:
    return LanDiscovery.identify(signatures, lan_host, services, open_ports)


def build_enrichers(
    config: ScanConfig,
    signatures: SignatureSet,
    ctx: ProbeContext,
    searches: Sequence[LanSearch] = (),
) -> list[Enricher]:
    """The enrichers the options ask for, in the order their notes and report lines appear.
    ``searches``: the registry's LAN searches, run by LAN discovery."""
    enrichers: list[Enricher] = []
    if config.discovery is not None:
        lan = LanDiscovery(config.discovery, config.scope, context=ctx, searches=searches)
        enrichers.append(LanEnricher(lan))
    if config.nmap is not None:
        enrichers.append(NmapEnricher(NmapSupport(config.nmap, signatures), signatures))
    if config.vendor is not None:
        options = replace(config.vendor, passive=config.passive)
        catalog = load_catalog(options.extra_dirs)
        # Tests hand the scan a scripted seam; the real one is rebuilt on the targets' LAN.
        seam = None if isinstance(ctx.datagrams, UdpSeam) else ctx.datagrams
        vendor = VendorDiscovery(catalog, options, config.scope, datagrams=seam)
        enrichers.append(VendorEnricher(vendor, signatures))
    if config.router is not None:
        enrichers.append(router_enricher(config, ctx, signatures.cloud, signatures.vendor))
    return enrichers
