"""nmap XML reports read as evidence: ``--from-nmap FILE`` and the output of camsweep's own
``--nmap`` runs (docs/nmap.md).

A saved report's hosts, MACs, open ports and service data become the starting point of a scan,
through the same scope guard as typed targets (``plan_targets``).

XML is untrusted input whoever wrote it. Every report (a file, or nmap's own stdout) is read with
a byte cap and parsed with defusedxml first, which refuses entity declarations (billion laughs)
and external references (XXE); only a document that passed is handed to python-nmap's parser.
python-nmap 0.7.1 drops ``devicetype``, ``ostype``, ``tunnel`` and ``method`` and keeps only the
last CPE of a service, so those few attributes are read from the already-defused tree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
import nmap as python_nmap
from defusedxml import DefusedXmlException

from scanner.digits import ascii_decimal
from scanner.discover.oui import normalize_mac
from scanner.targets import TargetError, TargetSet, guard_scope, parse_target, resolve_targets

__all__ = [
    "MAX_OUTPUT_BYTES",
    "MAX_REPORT_BYTES",
    "MAX_VALUE_CHARS",
    "NmapHost",
    "NmapReportError",
    "NmapScan",
    "NmapService",
    "attribute_text",
    "parse_nmap_xml",
    "plan_targets",
    "read_nmap_report",
]

MAX_REPORT_BYTES = 64 * 1024 * 1024  # a saved report; a /16 with -sV stays well below this
MAX_OUTPUT_BYTES = 8 * 1024 * 1024  # nmap's XML about one port of one host, scripts included
MAX_VALUE_CHARS = 512  # one nmap attribute carried as evidence
MAX_HOSTNAMES = 8
OS_ACCURACY = 85  # an nmap OS match below this accuracy is a guess too weak to be evidence

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


def attribute_text(value: object) -> str:
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
                devicetype=attribute_text(service.get("devicetype")),
                ostype=attribute_text(service.get("ostype")),
                tunnel=attribute_text(service.get("tunnel")),
                method=attribute_text(service.get("method")),
                cpes=_cpes(service),
            )
        # nmap lists OS matches best first (nmap.org/book/osdetect-output.html).
        osclass = host.find("os/osmatch/osclass")
        if osclass is not None:
            oses[ip] = _Extra(
                devicetype=attribute_text(osclass.get("type")),
                ostype=attribute_text(osclass.get("osfamily")),
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
        tag = attribute_text(root.tag)[:40]
        raise NmapReportError(
            f"{source}: not an nmap XML report (its root element is <{tag}>, "
            "not <nmaprun>; write one with nmap -oX)"
        )
    return root


def _host_from(
    ip: str, info: Mapping[str, Any], extras: dict[tuple[str, int], _Extra], oses: dict[str, _Extra]
) -> NmapHost:
    addresses = info.get("addresses") or {}
    mac_text = addresses.get("mac") if isinstance(addresses, Mapping) else None
    mac = normalize_mac(mac_text) if isinstance(mac_text, str) else None
    vendors = info.get("vendor") or {}
    vendor = attribute_text(vendors.get(mac_text)) if mac and isinstance(vendors, Mapping) else ""
    names: list[str] = []
    for entry in info.get("hostnames") or ():
        name = attribute_text(entry.get("name")) if isinstance(entry, Mapping) else ""
        if name and name not in names:
            names.append(name)
    status = info.get("status") or {}
    state = attribute_text(status.get("state")) if isinstance(status, Mapping) else ""
    services: list[NmapService] = []
    tcp = info.get("tcp") or {}
    for port, svc in tcp.items() if isinstance(tcp, Mapping) else ():
        if not isinstance(port, int) or not 0 < port < 65536 or not isinstance(svc, Mapping):
            continue
        extra = extras.get((ip, port))
        services.append(
            NmapService(
                port=port,
                state=attribute_text(svc.get("state")),
                name=attribute_text(svc.get("name")),
                product=attribute_text(svc.get("product")),
                version=attribute_text(svc.get("version")),
                extrainfo=attribute_text(svc.get("extrainfo")),
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
        os_name = attribute_text(matches[0].get("name")) or None
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
            skipped.append(f"{attribute_text(key)[:60]}: not an IPv4 address (camsweep scans IPv4)")
            continue
        if isinstance(info, Mapping):
            hosts.append(_host_from(ip, info, extras, oses))
    args = result.get("nmap", {}).get("command_line") if isinstance(result, Mapping) else ""
    return NmapScan(tuple(hosts), tuple(skipped), attribute_text(args))


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
