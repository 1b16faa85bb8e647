"""nmap as a second opinion: ``--nmap`` runs nmap's service/version detection (docs/nmap.md).

For open ports camsweep could not identify, nmap ``-sV`` runs on exactly those host:port pairs,
inside the host's deadline, and what it says is merged into the evidence as
``ServiceResult(source="nmap")`` with the ``nmap.*`` fields. Its XML output is read by
scanner/discover/nmap_xml.py, the same reader as ``--from-nmap`` reports; python-nmap parses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import shutil
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial

from scanner.discover.nmap_xml import (
    MAX_OUTPUT_BYTES,
    NmapHost,
    NmapReportError,
    NmapScan,
    NmapService,
    attribute_text,
    parse_nmap_xml,
)
from scanner.match.engine import SignatureSet
from scanner.models import (
    DiscoveryRun,
    DiscoveryStatus,
    Host,
    Identification,
    ProbeStatus,
    Protocol,
    ServiceResult,
)

__all__ = [
    "DEFAULT_INTENSITY",
    "NmapOptions",
    "NmapRun",
    "NmapStep",
    "NmapSupport",
    "annotate_nmap_decisions",
    "find_nmap",
    "imported_results",
    "nmap_command",
    "run_nmap",
    "unidentified_ports",
]

MAX_STDERR_BYTES = 16 * 1024
MAX_PORTS_PER_RUN = 64  # ports of one host handed to nmap; more are noted, not scanned
MAX_NOTE_PORTS = 8  # ports listed by number in one note
DEFAULT_INTENSITY = 2  # nmap's --version-light: the probes most likely to work, rarity <= 2
DEFAULT_PROCESSES = 8  # nmap processes at once across the scan
# nmap may take this share of what is left of the host's deadline, so matching and the
# credential checks after it still have time. We kill it at the end of that budget; nmap's own
# --host-timeout ends GRACE seconds earlier, but nmap checks it only between service probes
# (a silent port holds one probe for 6 s), so our kill is what ends a slow run.
BUDGET_SHARE = 0.75
MIN_BUDGET = 2.0
GRACE = 1.0


# --- which ports nmap should look at --------------------------------------------------------


def unidentified_ports(
    services: Sequence[ServiceResult],
    open_ports: Collection[int],
    ident: Identification,
    *,
    explained: Collection[int] = (),
) -> tuple[int, ...]:
    """The open ports camsweep could not identify, the only ones ``--nmap`` hands to nmap.

    With no vendor for the host, every open port is worth asking nmap about. Otherwise a port is
    unidentified when camsweep only banner-grabbed it (protocol tcp, no product) or its probe
    failed, unless a matching fingerprint already counts it (``ports:``, e.g. Hikvision 8000).
    A port nmap has already described (``--from-nmap``) is never asked about again.
    """
    described = {s.port for s in services if s.source == "nmap"}
    own: dict[int, list[ServiceResult]] = {}
    for service in services:
        if service.source != "nmap" and service.transport == "tcp":
            own.setdefault(service.port, []).append(service)
    chosen: list[int] = []
    for port in sorted(set(open_ports)):
        if port in described:
            continue
        if ident.vendor is None:
            chosen.append(port)
            continue
        if port in explained:
            continue
        results = own.get(port, [])
        known = any(
            s.status is ProbeStatus.OK and (s.protocol is not Protocol.TCP or s.product)
            for s in results
        )
        if not known:
            chosen.append(port)
    return tuple(chosen)


# --- evidence --------------------------------------------------------------------------------


def _service_result(svc: NmapService, reason: str) -> ServiceResult:
    product = " ".join(p for p in (svc.product, svc.version) if p) or None
    return ServiceResult(
        port=svc.port,
        # Evidence only: camsweep's own probe of the port decides the protocol and every check,
        # so nmap's word never becomes a confirmed finding or a login attempt.
        protocol=Protocol.TCP,
        status=ProbeStatus.OK,
        reason=reason,
        tls=svc.tunnel == "ssl",
        product=product,
        fields=svc.fields(),
        source="nmap",
    )


def imported_results(
    host: NmapHost, open_ports: Collection[int], *, source: str
) -> list[ServiceResult]:
    """The report's service data for the ports that are still open now, as nmap evidence."""
    results: list[ServiceResult] = []
    for svc in host.services:
        if svc.state != "open" or svc.port not in open_ports or not svc.fields():
            continue
        how = "service detection" if svc.probed else "port table"
        results.append(_service_result(svc, f"from nmap report {source} ({how})"))
    return results


def annotate_nmap_decisions(full: Identification, own: Identification) -> Identification:
    """``full`` (all evidence) with a first identified_by line when nmap's evidence decided
    something camsweep's own (``own``) did not."""
    new = [fid for fid in full.fingerprint_ids if fid not in own.fingerprint_ids]
    if not new:
        return full
    changed = [
        label
        for label, with_nmap, without in (
            ("vendor", full.vendor, own.vendor),
            ("model", full.model, own.model),
            ("firmware", full.firmware, own.firmware),
            ("device type", full.device_type, own.device_type),
        )
        if with_nmap != without
    ]
    ids = ", ".join(new)
    if changed:
        line = f"nmap decided the {', '.join(changed)}: {ids} matched only with nmap's evidence"
    else:
        line = f"nmap agrees: {ids} also matched on nmap's evidence"
    return replace(full, identified_by=(line, *full.identified_by))


# --- running nmap ----------------------------------------------------------------------------


def find_nmap(lookup: Callable[[str], str | None] = shutil.which) -> str | None:
    """The nmap binary on PATH, or None. ``lookup`` is injectable for tests."""
    return lookup("nmap")


def nmap_command(
    binary: str, ip: str, ports: Sequence[int], *, intensity: int, host_timeout: float
) -> list[str]:
    """The argv of one service-detection run; no shell, the address is a parsed IPv4."""
    address = str(ipaddress.IPv4Address(ip))
    return [
        binary,
        "-oX",
        "-",  # XML on stdout
        "-sT",  # connect scan: no raw sockets, the same SYN/ACK camsweep's sweep already sent
        "-sV",
        "--version-intensity",
        str(intensity),
        "-Pn",  # the host is known to be up: no ping, no ARP/ICMP host discovery
        "-n",  # no DNS
        "--max-retries",
        "1",
        "--host-timeout",
        f"{max(1, int(host_timeout * 1000))}ms",
        "-p",
        ",".join(str(p) for p in sorted(set(ports))),
        address,
    ]


@dataclass(frozen=True, slots=True)
class NmapRun:
    """One nmap process: an attempt with a status and a reason, never an exception."""

    status: ProbeStatus
    reason: str
    seconds: float
    host: NmapHost | None = None


async def _drain(stream: asyncio.StreamReader | None, cap: int) -> tuple[bytes, bool]:
    """Read to end of stream, keeping at most ``cap`` bytes (reading on, so nmap never blocks
    on a full pipe). The caller's deadline bounds the time."""
    if stream is None:
        return b"", False
    kept = bytearray()
    overflow = False
    while chunk := await stream.read(64 * 1024):
        if len(kept) + len(chunk) > cap:
            overflow = True
            kept += chunk[: max(0, cap - len(kept))]
        else:
            kept += chunk
    return bytes(kept), overflow


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5.0):
            await process.wait()


async def run_nmap(
    binary: str, ip: str, ports: Sequence[int], *, intensity: int, budget: float
) -> NmapRun:
    """Run nmap -sV on ``ip``:``ports`` for at most ``budget`` seconds, then kill it; nmap's own
    --host-timeout ends ``GRACE`` seconds before that. Cancellation (the host's deadline) kills
    it too."""
    started = time.monotonic()
    host_timeout = max(budget - GRACE, budget / 2)
    argv = nmap_command(binary, ip, ports, intensity=intensity, host_timeout=host_timeout)

    def took() -> float:
        return time.monotonic() - started

    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        return NmapRun(ProbeStatus.ERROR, f"could not start nmap: {exc.strerror or exc}", took())
    try:
        async with asyncio.timeout(budget):
            (out, too_much), (err, _) = await asyncio.gather(
                _drain(process.stdout, MAX_OUTPUT_BYTES), _drain(process.stderr, MAX_STDERR_BYTES)
            )
            code = await process.wait()
    except TimeoutError:
        return NmapRun(ProbeStatus.TIMEOUT, f"nmap did not finish within {budget:.1f}s", took())
    finally:
        await _stop(process)
    if too_much:
        return NmapRun(ProbeStatus.MALFORMED, "nmap wrote more XML than camsweep reads", took())
    if code != 0:
        lines = (attribute_text(line) for line in err.decode("utf-8", "replace").splitlines())
        first = next((line for line in lines if line), "no message")
        return NmapRun(ProbeStatus.ERROR, f"nmap exited with {code}: {first[:200]}", took())
    try:
        scan = parse_nmap_xml(out, source="nmap output")
    except NmapReportError as exc:
        return NmapRun(ProbeStatus.MALFORMED, str(exc), took())
    host = scan.host(str(ipaddress.IPv4Address(ip)))
    if host is None or not host.services:
        # nmap drops a host whose --host-timeout expired from its port table.
        return NmapRun(ProbeStatus.TIMEOUT, "nmap gave up on the host before it finished", took())
    return NmapRun(ProbeStatus.OK, "", took(), host)


# --- the pipeline's side ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NmapOptions:
    enrich: bool = False  # --nmap
    binary: str | None = None  # the nmap found on PATH (None: not installed)
    intensity: int = DEFAULT_INTENSITY
    processes: int = DEFAULT_PROCESSES
    imported: NmapScan | None = None  # --from-nmap, already through plan_targets
    source: str = ""  # the report's file name, for notes
    import_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NmapStep:
    """What nmap added to one host: evidence, notes, and the identification with it."""

    services: tuple[ServiceResult, ...]
    notes: tuple[str, ...]
    ident: Identification


Identify = Callable[[Sequence[ServiceResult], Collection[int]], Identification]


def _identify(
    with_nmap: Identify,
    own: Identify,
    services: Sequence[ServiceResult],
    open_ports: Collection[int],
) -> Identification:
    """The host identified with everything, and marked where nmap's evidence decided."""
    without = own([s for s in services if s.source != "nmap"], open_ports)
    return annotate_nmap_decisions(with_nmap(services, open_ports), without)


def _port_list(ports: Sequence[int]) -> str:
    """``port 80`` / ``ports 80, 554 and 3 more``."""
    shown = ", ".join(str(p) for p in ports[:MAX_NOTE_PORTS])
    extra = len(ports) - MAX_NOTE_PORTS
    return (
        ("port " if len(ports) == 1 else "ports ")
        + shown
        + (f" and {extra} more" if extra > 0 else "")
    )


class NmapSupport:
    """Everything the pipeline asks about nmap, for one scan."""

    def __init__(self, options: NmapOptions, signatures: SignatureSet) -> None:
        self.options = options
        self.signatures = signatures
        self._hosts = {h.ip: h for h in (options.imported.hosts if options.imported else ())}
        # The imported hosts that are in the report (they answered camsweep): the run's count.
        self._reported: set[str] = set()
        self._slots = asyncio.Semaphore(max(1, options.processes))
        self._fingerprint_ports = {fp.id: fp.ports for fp in signatures.fingerprints}

    @property
    def enriching(self) -> bool:
        return self.options.enrich and self.options.binary is not None

    def ports_for(self, ip: str, ports: Sequence[int]) -> tuple[int, ...]:
        """The ports to sweep on ``ip``: the scan's, plus those the report says are open (swept
        again, so a report gone stale never makes camsweep probe a closed port)."""
        host = self._hosts.get(ip)
        if host is None:
            return tuple(ports)
        return tuple(dict.fromkeys((*ports, *host.open_ports)))

    async def after_probes(
        self,
        ip: str,
        services: Sequence[ServiceResult],
        open_ports: Collection[int],
        ident: Identification,
        *,
        deadline: float,
        identify: Identify | None = None,
    ) -> NmapStep:
        """Add the report's evidence for ``ip``, then (``--nmap``) ask nmap about the ports still
        unidentified, finishing before ``deadline`` (``time.monotonic()``).

        ``identify(services, open_ports)`` is how the pipeline identifies this host (LAN
        discovery adds its MAC and claims); by default the signatures, with the report's
        host-level evidence (MAC, confident OS class) added.
        """
        imported = self._hosts.get(ip)
        extra_fields = imported.host_fields() if imported else {}
        if identify is None:
            # With the report's MAC and OS class for the full picture, without for camsweep's own.
            with_nmap: Identify = partial(self.signatures.identify, host_fields=extra_fields)
            own: Identify = self.signatures.identify
        else:
            with_nmap = own = identify
        added: list[ServiceResult] = []
        notes: list[str] = []
        if imported is not None:
            added.extend(imported_results(imported, open_ports, source=self.options.source))
            if imported.os_name:
                notes.append(
                    f"nmap's OS guess from {self.options.source}: {imported.os_name} "
                    f"({imported.os_accuracy}% accuracy)"
                )
        if added or extra_fields:
            ident = _identify(with_nmap, own, [*services, *added], open_ports)
        if self.enriching:
            explained = {
                port
                for fid in ident.fingerprint_ids
                for port in self._fingerprint_ports.get(fid, ())
            }
            ports = unidentified_ports([*services, *added], open_ports, ident, explained=explained)
            if ports:
                results, note = await self._enrich(ip, ports, deadline)
                added.extend(results)
                notes.append(note)
                if results:
                    ident = _identify(with_nmap, own, [*services, *added], open_ports)
        return NmapStep(tuple(added), tuple(notes), ident)

    async def _enrich(
        self, ip: str, ports: tuple[int, ...], deadline: float
    ) -> tuple[list[ServiceResult], str]:
        """One nmap process per port, all at once within the scan's process limit: a port that
        greets is identified in half a second and kept even when a silent port beside it runs
        out of time (nmap reports a host only when all its ports are done)."""
        asked, left_out = ports[:MAX_PORTS_PER_RUN], ports[MAX_PORTS_PER_RUN:]
        tail = f"; {len(left_out)} more ports were not handed to nmap" if left_out else ""
        runs = await asyncio.gather(*(self._run_one(ip, port, deadline) for port in asked))
        head = f"nmap -sV (intensity {self.options.intensity}) on {_port_list(asked)}"
        results: list[ServiceResult] = []
        said: list[str] = []
        blank: list[int] = []
        skipped: list[int] = []
        for port, run in zip(asked, runs, strict=True):
            if run is None:
                skipped.append(port)
                continue
            if run.status is not ProbeStatus.OK or run.host is None:
                said.append(f"port {port}: {run.status.value}: {run.reason}")
                continue
            svc = run.host.service(port)
            if svc is None or svc.state != "open" or not svc.learned_something:
                blank.append(port)
                continue
            results.append(
                _service_result(svc, f"nmap service detection, confidence {svc.conf}/10")
            )
            label = " ".join(p for p in (svc.product, svc.version) if p) or svc.name
            said.insert(len(results) - 1, f"identified port {port} as {label!r}")
        if len(skipped) == len(asked):
            return [], (
                f"nmap -sV skipped on {_port_list(asked)}: too little of the host's deadline "
                f"was left{tail}"
            )
        if blank:
            said.append(f"nothing on {_port_list(blank)}")
        if skipped:
            said.append(f"skipped {_port_list(skipped)}: too little of the host's deadline left")
        took = max(run.seconds for run in runs if run is not None)
        return results, f"{head}: {'; '.join(said)} ({took:.1f}s){tail}"

    async def _run_one(self, ip: str, port: int, deadline: float) -> NmapRun | None:
        """nmap on one port once a process slot is free; None when the deadline is too near."""
        binary = self.options.binary
        assert binary is not None  # enriching checked it
        async with self._slots:
            budget = (deadline - time.monotonic()) * BUDGET_SHARE
            if budget < MIN_BUDGET:
                return None
            return await run_nmap(
                binary, ip, [port], intensity=self.options.intensity, budget=budget
            )

    def finish_host(self, host: Host) -> Host:
        """Add what the report knows about the host itself: MAC, vendor, names, how found."""
        imported = self._hosts.get(host.ip)
        if imported is None:
            return host
        self._reported.add(host.ip)
        names = tuple(dict.fromkeys((*host.hostnames, *imported.hostnames)))
        found = (
            host.discovered_by if "nmap" in host.discovered_by else (*host.discovered_by, "nmap")
        )
        if host.mac is None:  # a MAC camsweep saw itself (ARP) wins over the report's
            host = replace(host, mac=imported.mac, mac_vendor=imported.mac_vendor)
        return replace(host, hostnames=names, discovered_by=found)

    def notes(self) -> tuple[str, ...]:
        out: list[str] = []
        if self.options.enrich and self.options.binary is None:
            out.append("--nmap: nmap was not found on PATH; the scan ran without it")
        elif self.options.enrich:
            out.append(
                "--nmap: ports camsweep could not identify were handed to nmap -sV "
                f"(intensity {self.options.intensity}); its probes reached those devices too"
            )
        if self.options.imported is not None:
            out.append(
                f"--from-nmap {self.options.source}: started from "
                f"{len(self.options.imported.hosts)} hosts of the nmap report"
            )
        out.extend(self.options.import_notes)
        return tuple(out)

    def discovery_runs(self) -> tuple[DiscoveryRun, ...]:
        """The import's line in "How devices were found". Like every method's, its count is
        the devices of this report it found: the report's hosts that nmap listed and that
        answered camsweep, not every host of the nmap report (one nmap saw up may be gone)."""
        if self.options.imported is None:
            return ()
        reason = f"hosts, MACs and open ports imported from {self.options.source}"
        silent = len(self._hosts) - len(self._reported)
        if silent:
            reason += f"; {silent} of its {len(self._hosts)} hosts did not answer camsweep"
        return (DiscoveryRun("nmap", DiscoveryStatus.RAN, reason, len(self._reported)),)
