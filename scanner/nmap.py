"""nmap as a second opinion: ``--nmap`` enrichment and ``--from-nmap`` reports.

Two ways camsweep works with nmap (docs/nmap.md):

* ``--nmap``: for open ports camsweep could not identify, run nmap's service/version detection
  (``-sV``) on exactly those host:port pairs, inside the host's deadline, and merge what nmap says
  into the evidence as ``ServiceResult(source="nmap")`` with the ``nmap.*`` fields.
* ``--from-nmap FILE``: take the hosts, MACs, open ports and service data of a saved nmap XML
  report as the starting point, through the same scope guard as typed targets.

XML is untrusted input whoever wrote it. Every report (a file, or nmap's own stdout) is read with
a byte cap and parsed with defusedxml first, which refuses entity declarations (billion laughs)
and external references (XXE); only a document that passed is handed to python-nmap's parser.
python-nmap 0.7.1 drops ``devicetype``, ``ostype``, ``tunnel`` and ``method`` and keeps only the
last CPE of a service, so those few attributes are read from the already-defused tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import shutil
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
import nmap as python_nmap
from defusedxml import DefusedXmlException

from scanner.digits import ascii_decimal
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
from scanner.targets import TargetError, TargetSet, guard_scope, parse_target, resolve_targets

__all__ = [
    "DEFAULT_INTENSITY",
    "MAX_REPORT_BYTES",
    "NmapHost",
    "NmapOptions",
    "NmapReportError",
    "NmapRun",
    "NmapScan",
    "NmapService",
    "NmapStep",
    "NmapSupport",
    "annotate_nmap_decisions",
    "find_nmap",
    "imported_results",
    "nmap_command",
    "parse_nmap_xml",
    "plan_targets",
    "read_nmap_report",
    "run_nmap",
    "unidentified_ports",
]

MAX_REPORT_BYTES = 64 * 1024 * 1024  # a saved report; a /16 with -sV stays well below this
MAX_OUTPUT_BYTES = 8 * 1024 * 1024  # nmap's XML about one port of one host, scripts included
MAX_STDERR_BYTES = 16 * 1024
MAX_VALUE_CHARS = 512  # one nmap attribute carried as evidence
MAX_HOSTNAMES = 8
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
OS_ACCURACY = 85  # an nmap OS match below this accuracy is a guess too weak to be evidence

_MAC = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}")
# CPE 2.2 URI (nmap writes these, e.g. cpe:/h:axis:m1031-w_network_camera): no spaces, printable.
_CPE = re.compile(r"cpe:/[aho](?::[!-~]*)?")


class NmapReportError(TargetError):
    """An nmap report camsweep will not use, worded for the user in one line."""


# --- the parsed report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NmapService:
    """What nmap said about one TCP port (python-nmap's fields plus the ones it drops)."""

    port: int
    state: str
    name: str = ""
    product: str = ""
    version: str = ""
    extrainfo: str = ""
    devicetype: str = ""
    ostype: str = ""
    cpes: tuple[str, ...] = ()
    tunnel: str = ""  # "ssl" when nmap spoke to the service through TLS
    method: str = ""  # "probed": nmap saw the service answer; "table": a port-number guess
    conf: int = 0  # nmap's confidence, 0-10

    @property
    def probed(self) -> bool:
        return self.method == "probed"

    @property
    def learned_something(self) -> bool:
        """nmap's probes matched: more than a guess from the port number."""
        return self.probed and bool(self.name) and self.name != "unknown"

    def fields(self) -> dict[str, str]:
        """The ``nmap.*`` evidence fields (docs/architecture.md). A service name nmap only took
        from its port table is not evidence and is left out."""
        name = self.name if self.learned_something else ""
        if name and self.tunnel == "ssl":
            name = f"ssl/{name}"  # how nmap itself prints a service it reached over TLS
        values = {
            "nmap.service": name,
            "nmap.product": self.product,
            "nmap.version": self.version,
            "nmap.extrainfo": self.extrainfo,
            "nmap.devicetype": self.devicetype,
            "nmap.ostype": self.ostype,
            "nmap.cpe": " ".join(self.cpes),
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True, slots=True)
class NmapHost:
    ip: str
    state: str  # "up", "down" or "unknown"
    mac: str | None = None
    mac_vendor: str | None = None
    hostnames: tuple[str, ...] = ()
    services: tuple[NmapService, ...] = ()  # TCP ports, any state
    os_name: str | None = None  # nmap's best OS match, when it ran -O
    os_accuracy: int = 0
    os_type: str = ""  # the match's class type, e.g. "webcam"
    os_family: str = ""
    os_cpes: tuple[str, ...] = ()

    @property
    def open_ports(self) -> tuple[int, ...]:
        return tuple(sorted(s.port for s in self.services if s.state == "open"))

    def service(self, port: int) -> NmapService | None:
        return next((s for s in self.services if s.port == port), None)

    def host_fields(self) -> dict[str, str]:
        """Host-level evidence: the MAC's OUI and vendor, and a confident OS match."""
        values: dict[str, str] = {}
        if self.mac:
            values["mac.oui"] = self.mac[:8]
            if self.mac_vendor:
                values["mac.vendor"] = self.mac_vendor
        if self.os_name and self.os_accuracy >= OS_ACCURACY:
            if self.os_type:
                values["nmap.devicetype"] = self.os_type
            if self.os_family:
                values["nmap.ostype"] = self.os_family
            if self.os_cpes:
                values["nmap.cpe"] = " ".join(self.os_cpes)
        return values


@dataclass(frozen=True, slots=True)
class NmapScan:
    hosts: tuple[NmapHost, ...]
    skipped: tuple[str, ...] = ()  # why some hosts of the report cannot be used
    args: str = ""  # the command line nmap ran with, as the report says

    def host(self, ip: str) -> NmapHost | None:
        return next((h for h in self.hosts if h.ip == ip), None)


class _ReportReader(python_nmap.PortScanner):  # type: ignore[misc]  # python-nmap is untyped
    """python-nmap's XML parser without its constructor, which runs ``nmap -V`` to find the
    binary: reading a saved report needs no nmap installed."""

    def __init__(self) -> None:  # the parent's __init__ is exactly what we avoid
        self._scan_result: dict[str, Any] = {}
        self._nmap_last_output: bytes | str = ""


def _text(value: object) -> str:
    """An attribute nmap copied from the device: printable, one line, capped."""
    if not isinstance(value, str):
        return ""
    # nmap escapes what it copies, but a report file may have been written by anyone: control
    # characters (terminal escapes) are dropped here, and renderers escape the rest.
    kept = "".join(ch if ch.isprintable() else " " for ch in value[: MAX_VALUE_CHARS * 4])
    return " ".join(kept.split())[:MAX_VALUE_CHARS]


def _int(value: object, default: int = 0) -> int:
    number = ascii_decimal(value, max_digits=6) if isinstance(value, str) else None
    return default if number is None else number


def _cpes(element: Element) -> tuple[str, ...]:
    found: list[str] = []
    for cpe in element.findall("cpe"):
        text = (cpe.text or "").strip()
        if _CPE.fullmatch(text) and len(text) <= MAX_VALUE_CHARS and text not in found:
            found.append(text)
    return tuple(found[:16])


def _ipv4_of(host: Element) -> str | None:
    for address in host.findall("address"):
        if address.get("addrtype") == "ipv4":
            return address.get("addr")
    return None


@dataclass(frozen=True, slots=True)
class _Extra:
    devicetype: str
    ostype: str
    tunnel: str
    method: str
    cpes: tuple[str, ...]


def _extras(root: Element) -> tuple[dict[tuple[str, int], _Extra], dict[str, _Extra]]:
    """What python-nmap drops: per (ip, port) service attributes, and per ip the best OS class."""
    ports: dict[tuple[str, int], _Extra] = {}
    oses: dict[str, _Extra] = {}
    for host in root.findall("host"):
        ip = _ipv4_of(host)
        if ip is None:
            continue
        for port in host.findall("ports/port"):
            service = port.find("service")
            number = _int(port.get("portid"), -1)
            if port.get("protocol") != "tcp" or service is None or not 0 < number < 65536:
                continue
            ports[(ip, number)] = _Extra(
                devicetype=_text(service.get("devicetype")),
                ostype=_text(service.get("ostype")),
                tunnel=_text(service.get("tunnel")),
                method=_text(service.get("method")),
                cpes=_cpes(service),
            )
        # nmap lists OS matches best first (nmap.org/book/osdetect-output.html).
        osclass = host.find("os/osmatch/osclass")
        if osclass is not None:
            oses[ip] = _Extra(
                devicetype=_text(osclass.get("type")),
                ostype=_text(osclass.get("osfamily")),
                tunnel="",
                method="",
                cpes=_cpes(osclass),
            )
    return ports, oses


def _defused_root(data: bytes, source: str) -> Element:
    try:
        # DTDs stay allowed: nmap writes <!DOCTYPE nmaprun> itself. Entity declarations and
        # external references are what make XML dangerous, and nmap never writes those.
        root: Element = DefusedET.fromstring(data, forbid_dtd=False)
    except DefusedXmlException as exc:
        raise NmapReportError(
            f"{source}: refused: the XML declares entities or external references "
            f"({type(exc).__name__}), which nmap never writes"
        ) from None
    except ParseError as exc:
        raise NmapReportError(f"{source}: not well-formed XML ({exc})") from None
    except (ValueError, LookupError) as exc:  # an unknown or lying encoding declaration
        raise NmapReportError(f"{source}: cannot read the XML ({exc})") from None
    if root.tag != "nmaprun":
        raise NmapReportError(
            f"{source}: not an nmap XML report (its root element is <{_text(root.tag)[:40]}>, "
            "not <nmaprun>; write one with nmap -oX)"
        )
    return root


def _host_from(
    ip: str, info: Mapping[str, Any], extras: dict[tuple[str, int], _Extra], oses: dict[str, _Extra]
) -> NmapHost:
    addresses = info.get("addresses") or {}
    mac_text = addresses.get("mac") if isinstance(addresses, Mapping) else None
    mac = (
        mac_text.upper() if isinstance(mac_text, str) and _MAC.fullmatch(mac_text.upper()) else None
    )
    vendors = info.get("vendor") or {}
    vendor = _text(vendors.get(mac_text)) if mac and isinstance(vendors, Mapping) else ""
    names: list[str] = []
    for entry in info.get("hostnames") or ():
        name = _text(entry.get("name")) if isinstance(entry, Mapping) else ""
        if name and name not in names:
            names.append(name)
    status = info.get("status") or {}
    state = _text(status.get("state")) if isinstance(status, Mapping) else ""
    services: list[NmapService] = []
    tcp = info.get("tcp") or {}
    for port, svc in tcp.items() if isinstance(tcp, Mapping) else ():
        if not isinstance(port, int) or not 0 < port < 65536 or not isinstance(svc, Mapping):
            continue
        extra = extras.get((ip, port))
        services.append(
            NmapService(
                port=port,
                state=_text(svc.get("state")),
                name=_text(svc.get("name")),
                product=_text(svc.get("product")),
                version=_text(svc.get("version")),
                extrainfo=_text(svc.get("extrainfo")),
                devicetype=extra.devicetype if extra else "",
                ostype=extra.ostype if extra else "",
                cpes=extra.cpes if extra else (),
                tunnel=extra.tunnel if extra else "",
                method=extra.method if extra else "",
                conf=_int(svc.get("conf")),
            )
        )
    os_name: str | None = None
    accuracy = 0
    matches = info.get("osmatch") or ()
    if matches and isinstance(matches[0], Mapping):
        os_name = _text(matches[0].get("name")) or None
        accuracy = _int(matches[0].get("accuracy"))
    os_extra = oses.get(ip)
    return NmapHost(
        ip=ip,
        state=state or "unknown",
        mac=mac,
        mac_vendor=vendor or None,
        hostnames=tuple(names[:MAX_HOSTNAMES]),
        services=tuple(sorted(services, key=lambda s: s.port)),
        os_name=os_name,
        os_accuracy=accuracy,
        os_type=os_extra.devicetype if os_extra else "",
        os_family=os_extra.ostype if os_extra else "",
        os_cpes=os_extra.cpes if os_extra else (),
    )


def parse_nmap_xml(data: bytes, *, source: str) -> NmapScan:
    """An nmap XML report (``nmap -oX``) -> hosts, MACs, ports and service data.

    Raises :class:`NmapReportError` (one line) for anything but a well-formed, entity-free
    nmap report under :data:`MAX_REPORT_BYTES`; never another exception.
    """
    if len(data) > MAX_REPORT_BYTES:
        raise NmapReportError(f"{source}: larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB")
    if not data.strip():
        raise NmapReportError(f"{source}: the file is empty")
    root = _defused_root(data, source)
    try:
        # Safe now: the same bytes parsed above without declaring a single entity.
        result = _ReportReader().analyse_nmap_xml_scan(nmap_xml_output=data)
    except (python_nmap.PortScannerError, AttributeError, ValueError, TypeError, KeyError) as exc:
        # python-nmap reads runstats, state and portid without checking they exist.
        raise NmapReportError(
            f"{source}: not a complete nmap report: an element or attribute nmap always writes "
            f"is missing or wrong ({type(exc).__name__})"
        ) from None
    extras, oses = _extras(root)
    hosts: list[NmapHost] = []
    skipped: list[str] = []
    scanned = result.get("scan") if isinstance(result, Mapping) else None
    for key, info in scanned.items() if isinstance(scanned, Mapping) else ():
        try:
            ip = str(ipaddress.IPv4Address(key))
        except (ipaddress.AddressValueError, ValueError):
            skipped.append(f"{_text(key)[:60]}: not an IPv4 address (camsweep scans IPv4)")
            continue
        if isinstance(info, Mapping):
            hosts.append(_host_from(ip, info, extras, oses))
    args = result.get("nmap", {}).get("command_line") if isinstance(result, Mapping) else ""
    return NmapScan(tuple(hosts), tuple(skipped), _text(args))


def read_nmap_report(path: Path) -> NmapScan:
    """Read and parse a saved report, refusing what is too large before reading it whole."""
    source = str(path)
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise NmapReportError(
                f"{source}: larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB; split the nmap "
                "run or pass the part you need"
            )
        with path.open("rb") as handle:
            # Read one byte past the cap: a FIFO or device file has no honest size to stat.
            data = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise NmapReportError(f"cannot read nmap report {source}: {exc.strerror or exc}") from None
    return parse_nmap_xml(data, source=source)


# --- scope ------------------------------------------------------------------------------------


def _inside(targets: TargetSet, ip: str) -> bool:
    value = ipaddress.IPv4Address(ip)
    return any(r.first <= value <= r.last for r in targets.ranges)


def plan_targets(
    scan: NmapScan,
    specs: Sequence[str],
    *,
    allow_public: bool,
    allow_large: bool,
    source: str,
) -> tuple[TargetSet, NmapScan, tuple[str, ...]]:
    """The report's hosts that are up, through the scope guard typed targets go through.

    Targets typed beside ``--from-nmap`` narrow the report to them. Any remaining address the
    guard refuses (public without --allow-public, multicast, reserved ...) refuses the whole run
    with the guard's reason: nothing is scanned, as for a typed target.
    Returns the targets, the report cut down to them, and notes for the report.
    """
    notes = [f"{source}: skipped {line}" for line in scan.skipped]
    up = [h for h in scan.hosts if h.state != "down"]
    if len(up) < len(scan.hosts):
        notes.append(f"{source}: {len(scan.hosts) - len(up)} hosts nmap found down were skipped")
    if specs:
        scope = resolve_targets(specs, allow_public=allow_public, allow_large=allow_large)
        inside = [h for h in up if _inside(scope, h.ip)]
        if len(inside) < len(up):
            notes.append(
                f"{source}: {len(up) - len(inside)} hosts outside the targets given "
                "were not scanned"
            )
        up = inside
    refused: list[str] = []
    for host in up:
        try:
            guard_scope([parse_target(host.ip)], allow_public=allow_public, allow_large=True)
        except TargetError as exc:
            refused.append(str(exc))
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise NmapReportError(f"{source}: refused, nothing was scanned: {refused[0]}{more}")
    if not up:
        raise NmapReportError(f"{source}: names no host that is up to scan")
    targets = guard_scope(
        [parse_target(h.ip) for h in up], allow_public=allow_public, allow_large=allow_large
    )
    return targets, replace(scan, hosts=tuple(up)), tuple(notes)


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
        lines = (_text(line) for line in err.decode("utf-8", "replace").splitlines())
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
        if self.options.imported is None:
            return ()
        return (
            DiscoveryRun(
                "nmap",
                DiscoveryStatus.RAN,
                f"hosts, MACs and open ports imported from {self.options.source}",
                len(self.options.imported.hosts),
            ),
        )
