"""discover -> probe -> match -> credentials -> report, streamed: no phase waits for another.

Scanning is waiting, so everything that waits runs at once, bounded by one semaphore per resource:
``sockets`` (all connections of the scan), a fixed pool of host workers pulling from the target
iterator (memory stays flat however many targets), and ``per_host`` connections to any one device.
Discovery listeners open when the scan starts; each address is swept as soon as nothing says it
is empty (ARP answers release it at once), and a host with an open port is probed straight away
while the listening window is still open; what the listeners heard joins it before it is
identified. The scan ends when the last host is done and the window has elapsed. Every host has
a deadline; what a host did before its deadline is kept.

The pipeline knows no protocol and no discovery method: probes are looked up in the registry
(``scanner.registry``) and LAN discovery and nmap are enrichers (``scanner.enrich``)
built from the options in ``ScanConfig``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol as TypingProtocol

from scanner import __version__
from scanner.config import ScanConfig
from scanner.context import ProbeContext
from scanner.discover.tcp import sweep_host
from scanner.enrich import Enricher, ScanFinisher, build_enrichers
from scanner.feed import HostFeed, Liveness
from scanner.logins import check_host_credentials
from scanner.match.engine import SignatureSet
from scanner.match.exposure import exposure_findings, vendor_port_findings
from scanner.match.generic import warm_up
from scanner.models import (
    DiscoveryRun,
    DiscoveryStatus,
    Host,
    ProbeStatus,
    Protocol,
    Report,
    ServiceResult,
)
from scanner.probe.active import run_active_checks
from scanner.probing import HostProber
from scanner.registry import ProbeRegistry, default_registry
from scanner.report.risk import summarize
from scanner.stopping import Stopper
from scanner.targets import format_ports
from scanner.transport import Connector, DatagramSeam, TcpConnector, UdpSeam
from scanner.work import HostWork

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.1"

# Seconds past the scan deadline before the scan is cut hard: every host already ends at the
# deadline by itself, so this is only for a stage that overran it.
_SCAN_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """Hosts ``found`` (an open port or a discovery method saw them), ``probed`` (done) and
    ``pending`` (found, still in progress), of ``addresses`` addresses (``swept`` so far)."""

    addresses: int
    swept: int
    found: int
    probed: int

    @property
    def pending(self) -> int:
        return self.found - self.probed


class ScanObserver(TypingProtocol):
    """Progress goes through an observer, so the terminal is just one subscriber."""

    def scan_started(self, total_hosts: int) -> None: ...

    def progress(self, state: ScanProgress) -> None: ...

    def host_finished(self, ip: str, host: Host | None) -> None: ...


class _NullObserver:
    def scan_started(self, total_hosts: int) -> None:
        pass

    def progress(self, state: ScanProgress) -> None:
        pass

    def host_finished(self, ip: str, host: Host | None) -> None:
        pass


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Scanner:
    def __init__(
        self,
        config: ScanConfig,
        signatures: SignatureSet,
        *,
        connector: Connector | None = None,
        datagrams: DatagramSeam | None = None,
        observer: ScanObserver | None = None,
        registry: ProbeRegistry | None = None,
        enrichers: Sequence[Enricher] | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.config = config
        self.signatures = signatures
        self.registry = registry or default_registry()
        self.observer: ScanObserver = observer or _NullObserver()
        # What every probe is handed: the seam (httpx rides on it too), deadlines, byte caps.
        self.ctx = ProbeContext(
            connector=connector or TcpConnector(),
            datagrams=datagrams or UdpSeam(),
            timeouts=config.timeouts,
            limits=config.limits,
        )
        self.enrichers = (
            list(enrichers)
            if enrichers is not None
            else build_enrichers(config, signatures, self.ctx, self.registry.lan_searches)
        )
        # --passive: nothing at all is sent (the options say so, or an injected enricher).
        self.passive = config.passive or any(e.passive for e in self.enrichers)
        # An enricher may bring probes of its own (vendor discovery's per-host question).
        for entry in (p for e in self.enrichers for p in getattr(e, "probes", ())):
            self.registry = self.registry.copy().register(entry)
        self._port_protocols = {**signatures.port_protocols(), **config.port_protocols}
        self._sockets = asyncio.Semaphore(config.limits.connections)
        self.prober = HostProber(
            self.ctx,
            signatures,
            config,
            self.registry,
            port_protocols=self._port_protocols,
            sockets=self._sockets,
        )
        self._deadline: float | None = None  # the scan's (loop time), set when run() starts
        self._started_hosts = 0
        self.stopper = Stopper(stop, grace=_SCAN_GRACE)  # Ctrl-C: scanner/stopping.py
        self._total = 0
        self._swept = self._found = self._probed = 0
        self._feed: HostFeed | None = None  # set when run() starts
        self.liveness = Liveness(config, self.ctx.connector, self._sockets, connector is None)

    # --- the scan ------------------------------------------------------------------------------

    async def run(self, targets: Iterable[str], total: int) -> Report:
        started = _now()
        cfg = self.config
        self._total = total
        self.observer.scan_started(total)
        hosts: list[Host] = []
        workers = max(1, min(cfg.limits.hosts, total))
        if cfg.timeouts.scan is not None:
            self._deadline = asyncio.get_running_loop().time() + cfg.timeouts.scan
        feed = self._feed = HostFeed(targets, self.enrichers, workers, lambda: self._deadline)
        stop_notes: list[str] = []
        try:
            # The hosts end at the deadline by themselves (scan_host); this outer stop, a little
            # later, only catches a stage that ignored it, so the report still gets written.
            hard_stop = None if self._deadline is None else self._deadline + _SCAN_GRACE
            with self.liveness:
                async with asyncio.timeout_at(hard_stop) as outer, asyncio.TaskGroup() as group:
                    self.stopper.begin(outer, lambda now: setattr(self, "_deadline", now))
                    feed.start(group, self.enrichers, self._tell)
                    for _ in range(workers):
                        group.create_task(self._worker(feed, hosts))
        except TimeoutError:
            stop_notes.append(self.stopper.hard_stop_note(cfg.timeouts.scan))
        finally:
            self.stopper.end()
        left = total - (self._started_hosts - feed.handed + feed.covered())
        if feed.past_deadline() and left > 0:
            stop_notes.append(self.stopper.unscanned_note(cfg.timeouts.scan, left, total))
        stop_notes.extend(filter(None, [self.liveness.note()]))
        exposure = None
        for finisher in [e for e in self.enrichers if isinstance(e, ScanFinisher)]:
            before = len(hosts)  # the router stage: forwards tied to what the hosts showed
            hosts, exposure = await finisher.finish_scan(hosts, self.scan_ports)
            total += len(hosts) - before  # the router, forwarded hosts outside the targets
        hosts.sort(key=lambda h: tuple(int(part) for part in h.ip.split(".")))
        tcp = (
            DiscoveryRun("tcp", DiscoveryStatus.SKIPPED, "passive mode: nothing is sent")
            if self.passive
            else DiscoveryRun(
                "tcp",
                DiscoveryStatus.RAN,
                f"connect sweep of {len(cfg.ports)} ports",
                sum(1 for h in hosts if "tcp" in h.discovered_by),
            )
        )
        notes = ["discovery: TCP connect sweep of " + format_ports(cfg.ports)]
        if not cfg.logs_in:
            notes.append(f"profile {cfg.profile}: no login attempts were made")
        return Report(
            schema_version=SCHEMA_VERSION,
            tool_name="camsweep",
            tool_version=__version__,
            started_at=started,
            finished_at=_now(),
            targets=cfg.target_specs,
            profile=cfg.profile,
            hosts=tuple(hosts),
            summary=summarize(hosts, total),
            notes=(*notes, *(n for e in self.enrichers for n in e.notes()), *stop_notes),
            show_secrets=cfg.show_secrets,
            discovery=(tcp, *(r for e in self.enrichers for r in e.runs())),
            interrupted=self.stopper.interrupted,
            exposure=exposure,
        )

    async def _worker(self, feed: HostFeed, hosts: list[Host]) -> None:
        # The addresses no enricher claimed, then the hosts discovery hands over; none after
        # the scan deadline (later targets are counted, not started).
        async for ip, handed in feed:
            self._started_hosts += 1
            host = await self.scan_host(ip, handed=handed)
            if host is not None:
                hosts.append(host)
                self._probed += 1
            self._swept += host is None and not handed
            self._tell()
            self.observer.host_finished(ip, host)

    def _tell(self) -> None:
        swept = self._swept + (self._feed.covered() if self._feed is not None else 0)
        self.observer.progress(ScanProgress(self._total, swept, self._found, self._probed))

    def _known(self, handed: bool = False) -> None:
        """The host exists (an open port, or discovery saw it): probing starts now."""
        self._found += 1
        self._swept += not handed
        self._tell()

    async def scan_ports(self, ip: str, ports: tuple[int, ...]) -> Host | None:
        """Scan one host on these ports only (forwarded ports the sweep did not cover)."""
        again = Scanner(
            replace(self.config, ports=ports),
            self.signatures,
            connector=self.ctx.connector,
            datagrams=self.ctx.datagrams,
            registry=self.registry,
            enrichers=(),
        )
        return await again.scan_host(ip)

    async def scan_host(self, ip: str, *, handed: bool = False) -> Host | None:
        cfg = self.config
        work = HostWork(ip)
        loop = asyncio.get_running_loop()
        host_deadline = loop.time() + cfg.timeouts.host
        # The scan deadline shortens the host's own: what it found until then is kept.
        cut_by_scan = self._deadline is not None and self._deadline < host_deadline
        try:
            async with asyncio.timeout_at(self._deadline if cut_by_scan else host_deadline) as cut:
                with self.stopper.track(cut):
                    await self._scan_host(work, handed=handed)
        except TimeoutError:
            work.notes.append(self.stopper.host_note(cfg.timeouts, by_scan=cut_by_scan))
            # An open port whose probe the deadline cut still belongs in the report.
            probed = {s.port for s in work.services if s.transport == "tcp"}
            work.services.extend(
                ServiceResult(
                    port=port,
                    protocol=self._port_protocols.get(port, Protocol.TCP),
                    status=ProbeStatus.TIMEOUT,
                    reason="open; its probe had not finished at the deadline",
                )
                for port in work.open_ports
                if port not in probed
            )
        except Exception as exc:  # a bug must not end the whole scan
            log.debug("host %s failed", ip, exc_info=True)
            work.notes.append(f"internal error while scanning this host: {type(exc).__name__}")
        return self._host(work) if work.seen else None

    def _host(self, work: HostWork) -> Host:
        host = work.to_host(self.signatures)
        for enricher in self.enrichers:
            host = enricher.finish_host(host, work)
        return host

    async def _scan_host(self, work: HostWork, *, handed: bool = False) -> None:
        cfg = self.config
        if self.passive:
            # Passive mode sends nothing: what was heard is identified, nothing is probed.
            for enricher in self.enrichers:
                await enricher.seen(work)
            if work.lan is not None:
                work.ident = work.identify(self.signatures)
            return
        if not any([await e.absent(work.ip) for e in self.enrichers]) and (
            handed or await self.liveness.alive(work.ip)
        ):
            ports = cfg.ports
            for enricher in self.enrichers:
                ports = enricher.ports_for(work.ip, ports)
            sweep = await sweep_host(
                self.ctx.connector,
                work.ip,
                ports,
                timeout=cfg.timeouts.connect,
                sockets=self._sockets,
            )
            work.open_ports = sweep.open_ports
        per_host = asyncio.Semaphore(cfg.limits.per_host)
        if work.open_ports:
            # Known now: probe at once, while the listeners finish their window.
            self._known(handed)
            async with asyncio.TaskGroup() as group:
                group.create_task(self.prober.probe_host(work, per_host))
                for enricher in self.enrichers:
                    group.create_task(enricher.seen(work))
        else:
            for enricher in self.enrichers:
                await enricher.seen(work)  # only discovery can tell: wait for what it heard
            if not work.seen:
                return
            self._known(handed)
            await self.prober.probe_host(work, per_host)
        work.ident = work.identify(self.signatures)
        # asyncio's loop time is time.monotonic(): one clock for both deadlines.
        deadline = work.started + cfg.timeouts.host
        if self._deadline is not None:
            deadline = min(deadline, self._deadline)
        for enricher in self.enrichers:
            await enricher.after_probes(work, deadline)
        await self.prober.refine(work, per_host)
        work.findings.extend(exposure_findings(work.ident, work.services))
        work.findings.extend(vendor_port_findings(work.ident, work.open_ports))
        work.findings.extend(self.registry.findings(work.ident, work.services, work.host_results))
        active = await run_active_checks(
            self.ctx,
            self.signatures,
            work.ident,
            work.services,
            host=work.ip,
            profile=cfg.profile,
        )
        work.findings.extend(active.findings)
        work.refuted |= active.refuted
        work.notes.extend(active.notes)
        if cfg.logs_in:
            await check_host_credentials(
                work,
                ctx=self.ctx,
                config=cfg,
                signatures=self.signatures,
                registry=self.registry,
            )


async def scan(
    config: ScanConfig,
    signatures: SignatureSet,
    targets: Iterable[str],
    total: int,
    *,
    connector: Connector | None = None,
    datagrams: DatagramSeam | None = None,
    observer: ScanObserver | None = None,
    registry: ProbeRegistry | None = None,
    enrichers: Sequence[Enricher] | None = None,
    stop: asyncio.Event | None = None,
) -> Report:
    """Scan ``targets`` (``total`` of them, for progress) with ``config``. ``connector`` and
    ``datagrams`` replace the network (tests), ``registry`` the probes, ``enrichers`` the ones
    ``config`` asks for; ``stop`` (Ctrl-C) ends it early with what it found."""
    warm_up(signatures)  # nmap's database loads while the sweep runs, not in a host's deadline
    scanner = Scanner(
        config,
        signatures,
        connector=connector,
        datagrams=datagrams,
        observer=observer,
        registry=registry,
        enrichers=enrichers,
        stop=stop,
    )
    return await scanner.run(targets, total)


def with_profile_defaults(config: ScanConfig) -> ScanConfig:
    """Turn credential checks off for profiles that never log in."""
    return config if config.profile.logs_in else replace(config, check_credentials=False)


__all__ = ["ScanObserver", "ScanProgress", "Scanner", "scan", "with_profile_defaults"]
