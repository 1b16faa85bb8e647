"""discover -> probe -> match -> credentials -> report, overlapped across hosts and ports.

Scanning is waiting, so everything that waits runs at once, bounded by one semaphore per resource:
``sockets`` (all connections of the scan), a fixed pool of host workers pulling from the target
iterator (memory stays flat however many targets), and ``per_host`` connections to any one device.
Every host has a deadline; what a host did before its deadline is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Protocol as TypingProtocol

from scanner import __version__
from scanner.active import run_active_checks
from scanner.checks import credential_findings, exposure_findings, vendor_port_findings
from scanner.config import ScanConfig
from scanner.credentials.adapters import (
    http_attempt,
    onvif_attempt,
    rtsp_attempt,
    telnet_attempt,
)
from scanner.credentials.checker import Attempt, CheckStatus, check_credentials
from scanner.discover.lan import LanDiscovery, LanHost
from scanner.discover.tcp import sweep_host
from scanner.match.engine import SignatureSet
from scanner.models import (
    AuthScheme,
    DiscoveryRun,
    DiscoveryStatus,
    Finding,
    Host,
    Identification,
    ProbeStatus,
    Protocol,
    Report,
    ServiceResult,
)
from scanner.nmap import NmapSupport
from scanner.probe.banner import probe_banner, sniff
from scanner.probe.http import probe_http
from scanner.probe.onvif import is_malformed_soap, probe_onvif
from scanner.probe.rtsp import probe_rtsp
from scanner.probe.rtsp_stream import StreamState, confirm_stream
from scanner.probe.telnet import probe_telnet
from scanner.probe.transport import Connector, TcpConnector
from scanner.report.risk import score_host, summarize

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.1"

_MAX_CONFIRMED_ROUTES = 4
# Seconds past --scan-timeout before the scan is cut hard: every host already ends at the
# deadline by itself, so this is only for a stage that overran it.
_SCAN_GRACE = 5.0
_PROFILE_CREDENTIALS = {"guest": False, "owner": True, "lab": True}


class ScanObserver(TypingProtocol):
    """Progress goes through an observer, so the terminal is just one subscriber."""

    def scan_started(self, total_hosts: int) -> None: ...

    def host_finished(self, ip: str, host: Host | None) -> None: ...


class _NullObserver:
    def scan_started(self, total_hosts: int) -> None:
        pass

    def host_finished(self, ip: str, host: Host | None) -> None:
        pass


@dataclass
class _HostWork:
    """What one host has yielded so far; survives the host's deadline."""

    ip: str
    open_ports: tuple[int, ...] = ()
    services: list[ServiceResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ident: Identification = field(default_factory=Identification)
    refuted: set[str] = field(default_factory=set)  # inferred findings an active check disproved
    started: float = field(default_factory=time.monotonic)  # the host's deadline counts from here
    lan: LanHost | None = None  # what ARP, mDNS, SSDP, WS-Discovery (or listening) saw of it


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Scanner:
    def __init__(
        self,
        config: ScanConfig,
        signatures: SignatureSet,
        *,
        connector: Connector | None = None,
        observer: ScanObserver | None = None,
        nmap: NmapSupport | None = None,
        lan: LanDiscovery | None = None,
        scan_timeout: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.config = config
        self.signatures = signatures
        self.connector: Connector = connector or TcpConnector()
        self.observer: ScanObserver = observer or _NullObserver()
        self.nmap = nmap  # --nmap enrichment and --from-nmap evidence (scanner/nmap.py)
        self.lan = lan  # ARP, mDNS, SSDP, WS-Discovery, passive mode (scanner/discover/lan.py)
        self._port_protocols = {**signatures.port_protocols(), **config.port_protocols}
        self._sockets = asyncio.Semaphore(config.limits.connections)
        # --scan-timeout: the whole scan's deadline (loop time), set when run() starts. Hosts
        # started before it end at it with what they found; later targets are not started.
        # (A stand-in for a Timeouts.scan field, which config.py does not have yet.)
        self._scan_timeout = scan_timeout
        self._deadline: float | None = None
        self._started_hosts = 0
        # Ctrl-C (scanner/cli/running.py) sets ``stop``: the deadline becomes "now", every host
        # in progress ends with what it has, and the report says it was interrupted.
        self._stop = stop
        self._timeouts: set[asyncio.Timeout] = set()
        self._outer: asyncio.Timeout | None = None
        self.interrupted = False

    # --- the scan ------------------------------------------------------------------------------

    async def run(self, targets: Iterable[str], total: int) -> Report:
        started = _now()
        self.observer.scan_started(total)
        hosts: list[Host] = []
        iterator = iter(targets)
        workers = max(1, min(self.config.limits.hosts, total))
        loop = asyncio.get_running_loop()
        if self._scan_timeout is not None:
            self._deadline = loop.time() + self._scan_timeout
        stop_notes: list[str] = []
        watcher = None if self._stop is None else asyncio.create_task(self._watch_stop())
        try:
            # The hosts end at the deadline by themselves (scan_host); this outer stop, a little
            # later, only catches a stage that ignored it, so the report still gets written.
            hard_stop = None if self._deadline is None else self._deadline + _SCAN_GRACE
            async with asyncio.timeout_at(hard_stop) as outer, asyncio.TaskGroup() as group:
                self._outer = outer
                self._timeouts.add(outer)
                if self.lan is not None:
                    group.create_task(self.lan.run())  # at once with the TCP sweep
                for _ in range(workers):
                    group.create_task(self._worker(iterator, hosts))
        except TimeoutError:
            why = "Ctrl-C" if self.interrupted else f"its {self._scan_timeout:g}s deadline"
            stop_notes.append(
                f"the scan was stopped {_SCAN_GRACE:g}s after {why}; hosts still in progress "
                "then are missing from this report"
            )
        finally:
            if watcher is not None:
                watcher.cancel()
        if self._deadline is not None and self._started_hosts < total:
            why = (
                "was interrupted (Ctrl-C)"
                if self.interrupted
                else f"reached its {self._scan_timeout:g}s deadline"
            )
            stop_notes.append(
                f"the scan {why}: {total - self._started_hosts} of {total} addresses were "
                "not scanned"
            )
        hosts.sort(key=lambda h: tuple(int(part) for part in h.ip.split(".")))
        return Report(
            schema_version=SCHEMA_VERSION,
            tool_name="camsweep",
            tool_version=__version__,
            started_at=started,
            finished_at=_now(),
            targets=self.config.target_specs,
            profile=self.config.profile,
            hosts=tuple(hosts),
            summary=summarize(hosts, total),
            notes=(*self._report_notes(), *stop_notes),
            show_secrets=self.config.show_secrets,
            interrupted=self.interrupted,
            discovery=(
                DiscoveryRun(
                    "tcp",
                    DiscoveryStatus.RAN,
                    f"connect sweep of {len(self.config.ports)} ports",
                    sum(1 for h in hosts if "tcp" in h.discovered_by),
                )
                if self.lan is None or not self.lan.passive
                else DiscoveryRun("tcp", DiscoveryStatus.SKIPPED, "passive mode: nothing is sent"),
                *(self.lan.runs() if self.lan else ()),
                *(self.nmap.discovery_runs() if self.nmap else ()),
            ),
        )

    async def _watch_stop(self) -> None:
        assert self._stop is not None
        await self._stop.wait()
        loop = asyncio.get_running_loop()
        self.interrupted = True
        self._deadline = loop.time()
        for timeout in list(self._timeouts):
            # Hosts end now with what they have; the scan-wide stop gets the usual grace.
            grace = _SCAN_GRACE if timeout is self._outer else 0.0
            when = timeout.when()
            if when is None or when > self._deadline + grace:
                timeout.reschedule(self._deadline + grace)

    def _report_notes(self) -> tuple[str, ...]:
        notes = ["discovery: TCP connect sweep of " + ", ".join(map(str, self.config.ports))]
        if not self._credentials_enabled():
            notes.append(f"profile {self.config.profile}: no login attempts were made")
        if self.nmap is not None:
            notes.extend(self.nmap.notes())
        if self.lan is not None:
            notes.extend(self.lan.notes())
        return tuple(notes)

    async def _worker(self, targets: Iterator[str], hosts: list[Host]) -> None:
        # Single-threaded event loop: next() on the shared iterator cannot race.
        loop = asyncio.get_running_loop()
        for ip in targets:
            if self._deadline is not None and loop.time() >= self._deadline:
                return  # the scan deadline: later targets are counted, not started
            self._started_hosts += 1
            host = await self.scan_host(ip)
            if host is not None:
                hosts.append(host)
            self.observer.host_finished(ip, host)

    async def scan_host(self, ip: str) -> Host | None:
        work = _HostWork(ip)
        loop = asyncio.get_running_loop()
        host_deadline = loop.time() + self.config.timeouts.host
        # The scan deadline shortens the host's own: what it found until then is kept.
        cut_by_scan = self._deadline is not None and self._deadline < host_deadline
        try:
            async with asyncio.timeout_at(self._deadline if cut_by_scan else host_deadline) as cut:
                self._timeouts.add(cut)
                try:
                    await self._scan_host(work)
                finally:
                    self._timeouts.discard(cut)
        except TimeoutError:
            if self.interrupted:
                why = "the scan was interrupted (Ctrl-C) while this host was being scanned"
            elif cut_by_scan:
                why = (
                    f"the scan reached its {self._scan_timeout:g}s deadline while this host "
                    "was being scanned"
                )
            else:
                why = f"the host did not finish within {self.config.timeouts.host:g}s"
            work.notes.append(f"{why}; results are what it answered before that")
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
        if not work.open_ports and work.lan is None:
            return None
        inferred = []
        seen = {f.id for f in work.findings}
        for finding in self.signatures.vulnerability_findings(work.ident):
            if finding.id in seen:
                continue  # an active check confirmed it: the inferred copy adds nothing
            if finding.id in work.refuted:
                work.notes.append(
                    f"{finding.id}: what the device announces suggested it, but the active "
                    "check found the flaw absent (vendors fix flaws without changing banners)"
                )
            else:
                inferred.append(finding)
        findings = _dedupe(work.findings + inferred)
        host = Host(
            ip=ip,
            discovered_by=("tcp",),
            identification=work.ident,
            services=tuple(sorted(work.services, key=lambda s: s.port)),
            findings=tuple(findings),
            risk=score_host(findings, work.ident.device_type),
            notes=tuple(work.notes),
        )
        if self.lan is not None:
            host = self.lan.finish_host(host, work.lan, swept=bool(work.open_ports))
        return self.nmap.finish_host(host) if self.nmap else host

    async def _scan_host(self, work: _HostWork) -> None:
        cfg = self.config
        lan = self.lan
        if lan is not None and lan.passive:
            # Passive mode sends nothing: what was heard is identified, nothing is probed.
            work.lan = await lan.host(work.ip)
            if work.lan is not None:
                work.services.extend(work.lan.services)
                work.ident = lan.identify(self.signatures, work.lan, work.services, ())
            return
        # On the LAN, an address that did not answer ARP holds no host: no TCP sweep for it.
        if lan is None or not await lan.absent(work.ip):
            sweep = await sweep_host(
                self.connector,
                work.ip,
                self.nmap.ports_for(work.ip, cfg.ports) if self.nmap else cfg.ports,
                timeout=cfg.timeouts.connect,
                sockets=self._sockets,
            )
            work.open_ports = sweep.open_ports
        if lan is not None:
            work.lan = await lan.host(work.ip)  # after the sweep: the neighbour table is filled
            if work.lan is not None:
                work.services.extend(work.lan.services)
        if not work.open_ports and work.lan is None:
            return
        per_host = asyncio.Semaphore(cfg.limits.per_host)

        async def probe(port: int) -> None:
            async with per_host, self._sockets:
                result = await self._probe_port(work.ip, port)
            work.services.append(result)
            web = result.protocol in (Protocol.HTTP, Protocol.HTTPS)
            if web and result.status is ProbeStatus.OK:
                # Cameras serve ONVIF on their web port: one read-only SOAP call tells whether.
                async with per_host, self._sockets:
                    onvif = await probe_onvif(
                        work.ip,
                        port,
                        tls=result.tls,
                        timeouts=cfg.timeouts,
                        limits=cfg.limits,
                    )
                # Kept when it answered, or answered SOAP we refused (an XML bomb): a note.
                if onvif.status is ProbeStatus.OK or is_malformed_soap(onvif):
                    work.services.append(onvif)

        async with asyncio.TaskGroup() as group:
            for port in work.open_ports:
                group.create_task(probe(port))
        if lan is not None and work.lan is not None:
            work.ident = lan.identify(self.signatures, work.lan, work.services, work.open_ports)
        else:
            work.ident = self.signatures.identify(work.services, work.open_ports)
        if self.nmap is not None:
            # Before the checks and logins, so they act on the identification nmap helped make.
            # asyncio's loop time is time.monotonic(): one clock for both deadlines.
            deadline = work.started + cfg.timeouts.host
            step = await self.nmap.after_probes(
                work.ip,
                tuple(work.services),
                work.open_ports,
                work.ident,
                deadline=deadline if self._deadline is None else min(deadline, self._deadline),
                identify=(
                    partial(LanDiscovery.identify, self.signatures, work.lan)
                    if work.lan is not None
                    else None
                ),
            )
            work.services.extend(step.services)
            work.notes.extend(step.notes)
            work.ident = step.ident
        await self._vendor_routes(work, per_host)
        if cfg.confirm_streams:
            await self._confirm_streams(work, per_host)
        work.findings.extend(exposure_findings(work.ident, work.services))
        work.findings.extend(vendor_port_findings(work.ident, work.open_ports))
        active = await run_active_checks(
            self.signatures,
            work.ident,
            work.services,
            host=work.ip,
            profile=cfg.profile,
            timeouts=cfg.timeouts,
            limits=cfg.limits,
        )
        work.findings.extend(active.findings)
        work.refuted |= active.refuted
        work.notes.extend(active.notes)
        if self._credentials_enabled():
            await self._check_credentials(work)

    async def _vendor_routes(self, work: _HostWork, per_host: asyncio.Semaphore) -> None:
        """DESCRIBE the identified vendor's own stream routes that the generic pass did not try,
        on RTSP services that did not ask for a password, and merge what opens."""
        if work.ident.vendor is None:
            return
        tried = set(self.signatures.routes_for(None))
        extra = [r for r in self.signatures.routes_for(work.ident.vendor) if r not in tried]
        if not extra:
            return
        cfg = self.config
        for index, svc in enumerate(work.services):
            needs_login = svc.auth in (AuthScheme.BASIC, AuthScheme.DIGEST)
            if svc.protocol is not Protocol.RTSP or svc.status is not ProbeStatus.OK:
                continue
            if needs_login or svc.accepts_any_route:
                continue
            async with per_host, self._sockets:
                more = await probe_rtsp(
                    self.connector,
                    work.ip,
                    svc.port,
                    routes=extra,
                    timeouts=cfg.timeouts,
                    limits=cfg.limits,
                )
            if more.open_routes and not more.accepts_any_route:
                routes = tuple(dict.fromkeys(svc.open_routes + more.open_routes))
                work.services[index] = replace(svc, open_routes=routes)

    async def _confirm_streams(self, work: _HostWork, per_host: asyncio.Semaphore) -> None:
        """Record, per open RTSP route, whether video really flows (--confirm-streams)."""
        cfg = self.config
        for index, svc in enumerate(work.services):
            if svc.protocol is not Protocol.RTSP or not svc.open_routes:
                continue
            video: list[str] = []
            silent: list[str] = []
            for route in svc.open_routes[:_MAX_CONFIRMED_ROUTES]:
                async with per_host, self._sockets:
                    check = await confirm_stream(
                        self.connector,
                        work.ip,
                        svc.port,
                        route,
                        timeouts=cfg.timeouts,
                        limits=cfg.limits,
                    )
                (video if check.state is StreamState.VIDEO else silent).append(route)
            fields = dict(svc.fields)
            if video:
                fields["rtsp.video"] = ", ".join(video)
            if silent:
                fields["rtsp.no_video"] = ", ".join(silent)
            work.services[index] = replace(svc, fields=fields)

    def _credentials_enabled(self) -> bool:
        return self.config.check_credentials and _PROFILE_CREDENTIALS.get(
            self.config.profile, False
        )

    # --- probes --------------------------------------------------------------------------------

    async def _protocol_of(self, ip: str, port: int) -> Protocol | None:
        known = self._port_protocols.get(port)
        if known is not None:
            return known
        return await sniff(
            self.connector, ip, port, timeouts=self.config.timeouts, limits=self.config.limits
        )

    async def _probe_port(self, ip: str, port: int) -> ServiceResult:
        cfg = self.config
        protocol: Protocol | None = None
        try:
            async with asyncio.timeout(cfg.timeouts.probe):
                protocol = await self._protocol_of(ip, port)
                return await self._run_probe(ip, port, protocol)
        except TimeoutError:
            return ServiceResult(
                port=port,
                protocol=protocol or Protocol.TCP,
                status=ProbeStatus.TIMEOUT,
                reason=f"the probe did not finish within {cfg.timeouts.probe:g}s",
            )
        except Exception as exc:  # probes never crash the scan  # noqa: BLE001
            return ServiceResult(
                port=port,
                protocol=protocol or Protocol.TCP,
                status=ProbeStatus.ERROR,
                reason=f"internal error in the probe: {type(exc).__name__}",
                debug=traceback.format_exc(),
            )

    async def _run_probe(self, ip: str, port: int, protocol: Protocol | None) -> ServiceResult:
        cfg = self.config
        t, lim = cfg.timeouts, cfg.limits
        if protocol is Protocol.RTSP:
            routes = self.signatures.routes_for(None)
            return await probe_rtsp(self.connector, ip, port, routes=routes, timeouts=t, limits=lim)
        if protocol in (Protocol.HTTP, Protocol.HTTPS):
            return await probe_http(
                ip, port, tls=protocol is Protocol.HTTPS, timeouts=t, limits=lim
            )
        if protocol is Protocol.TELNET:
            return await probe_telnet(self.connector, ip, port, timeouts=t, limits=lim)
        return await probe_banner(self.connector, ip, port, timeouts=t, limits=lim)

    # --- default credentials -------------------------------------------------------------------

    async def _check_credentials(self, work: _HostWork) -> None:
        cfg = self.config
        jobs: list[tuple[ServiceResult, Protocol, Attempt]] = []
        for svc in work.services:
            attempt = self._attempt_for(work.ip, svc, work.ident)
            if attempt is not None:
                jobs.append((svc, svc.protocol, attempt))

        # Lockouts count failures per device, across services (Hikvision locks every login after
        # about five): one budget of failed logins is shared by all services of the host.
        remaining = cfg.limits.credential_attempts

        async def run(svc: ServiceResult, protocol: Protocol, attempt: Attempt) -> None:
            nonlocal remaining
            name = "http" if protocol is Protocol.HTTPS else protocol.value
            custom = [
                (pair.username, pair.password)
                for pair in cfg.custom_credentials
                if pair.applies_to(name)
            ]
            shipped = [
                (pair.username, pair.password)
                for pair in self.signatures.credentials_for(work.ident.vendor, name)
            ]
            candidates = list(dict.fromkeys(custom + shipped))
            check = await check_credentials(
                attempt,
                candidates,
                budget=remaining,
                pause=cfg.timeouts.credential_pause,
            )
            remaining -= check.attempts
            work.findings.extend(
                credential_findings(
                    work.ident, protocol, svc.port, check, custom=frozenset(custom)
                )
            )
            if check.status in (CheckStatus.LOCKED_OUT, CheckStatus.INCONCLUSIVE):
                work.notes.append(
                    f"{protocol.value}/{svc.port}: credential check stopped ({check.status}): "
                    f"{check.evidence}"
                )

        # One service at a time per host: several logins at once could trip a shared lockout.
        for index, (svc, protocol, attempt) in enumerate(jobs):
            if remaining <= 0:
                skipped = ", ".join(f"{p.value}/{s.port}" for s, p, _ in jobs[index:])
                work.notes.append(
                    f"default passwords not tried on {skipped}: the budget of "
                    f"{cfg.limits.credential_attempts} failed logins per device was used up "
                    "(raise it with --max-login-failures if the device does not lock accounts)"
                )
                break
            await run(svc, protocol, attempt)

    def _attempt_for(self, ip: str, svc: ServiceResult, ident: Identification) -> Attempt | None:
        cfg = self.config
        if svc.status is not ProbeStatus.OK:
            return None
        t, lim = cfg.timeouts, cfg.limits
        if svc.protocol is Protocol.RTSP and svc.auth in (AuthScheme.BASIC, AuthScheme.DIGEST):
            routes = self.signatures.routes_for(ident.vendor) or ["/"]
            return rtsp_attempt(self.connector, ip, svc.port, routes[0], timeouts=t, limits=lim)
        if svc.protocol in (Protocol.HTTP, Protocol.HTTPS):
            # The page that asked for a password, else (the home page is a script-driven form)
            # the vendor's own login endpoint; Basic or Digest is learnt from its challenge.
            if svc.auth in (AuthScheme.BASIC, AuthScheme.DIGEST):
                path = svc.fields.get("http.path", "/")
            else:
                login_paths = self.signatures.http_login_paths(ident.vendor)
                if not login_paths:
                    return None
                path = login_paths[0]
            tls = svc.protocol is Protocol.HTTPS
            return http_attempt(ip, svc.port, path, tls=tls, timeouts=t, limits=lim)
        if svc.protocol is Protocol.ONVIF and svc.auth is AuthScheme.UNKNOWN:
            return onvif_attempt(ip, svc.port, tls=svc.tls, timeouts=t, limits=lim)
        if svc.protocol is Protocol.TELNET and svc.login_prompt:
            return telnet_attempt(self.connector, ip, svc.port, svc, timeouts=t, limits=lim)
        return None


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int | None]] = set()
    unique: list[Finding] = []
    for finding in findings:
        key = (finding.id, finding.port)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


async def scan(
    config: ScanConfig,
    signatures: SignatureSet,
    targets: Iterable[str],
    total: int,
    *,
    connector: Connector | None = None,
    observer: ScanObserver | None = None,
    nmap: NmapSupport | None = None,
    lan: LanDiscovery | None = None,
    scan_timeout: float | None = None,
    stop: asyncio.Event | None = None,
) -> Report:
    scanner = Scanner(
        config,
        signatures,
        connector=connector,
        observer=observer,
        nmap=nmap,
        lan=lan,
        scan_timeout=scan_timeout,
        stop=stop,
    )
    return await scanner.run(targets, total)


def with_profile_defaults(config: ScanConfig) -> ScanConfig:
    """Turn credential checks off for profiles that never log in."""
    if not _PROFILE_CREDENTIALS.get(config.profile, False):
        return replace(config, check_credentials=False)
    return config


__all__ = ["ScanObserver", "Scanner", "scan", "with_profile_defaults"]
