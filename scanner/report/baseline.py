"""What changed since an earlier scan: new and gone devices, opened and closed services, new and
fixed findings.

A device is the same device when its MAC address is the same (a DHCP lease may have moved it to
another address); without a MAC on both sides, when its address is the same, unless the two
scans saw different MACs there (another device took the address). A service is one open port
(port and transport); a finding is its id on its port. All of this is a pure function of two
reports, so ``camsweep report convert --baseline`` gives the same answer as the scan did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from scanner.discover.oui import normalize_mac
from scanner.models import Finding, Host, Report, Severity
from scanner.report.order import ip_sort_key, sorted_findings, sorted_hosts

__all__ = [
    "BaselineDiff",
    "Change",
    "DeviceChange",
    "FindingChange",
    "ServiceChange",
    "compare",
    "device_label",
    "normalize_mac",
]


class Change(StrEnum):
    """SARIF's own words (SARIF 2.1.0 section 3.27.24, ``baselineState``)."""

    NEW = "new"
    UNCHANGED = "unchanged"
    ABSENT = (
        "absent"  # in the baseline, not any more: a fixed finding, a closed port, a gone device
    )


@dataclass(frozen=True, slots=True)
class DeviceChange:
    ip: str  # the current address; the last known one for a device that is gone
    state: Change
    mac: str | None = None
    previous_ip: str | None = None  # set when the device moved to another address
    label: str = ""


@dataclass(frozen=True, slots=True)
class ServiceChange:
    ip: str
    port: int
    transport: str
    protocol: str
    state: Change


@dataclass(frozen=True, slots=True)
class FindingChange:
    ip: str
    id: str
    port: int | None
    severity: Severity
    title: str
    state: Change


@dataclass(frozen=True, slots=True)
class BaselineDiff:
    """Every device, service and finding of both scans with its state, in report order."""

    baseline_started_at: str
    devices: tuple[DeviceChange, ...]
    services: tuple[ServiceChange, ...]
    findings: tuple[FindingChange, ...]

    # Lookups by (address, ...) for the renderers, built once: a report of a large network
    # would otherwise cost a scan of every change per finding shown.
    _index: dict[tuple[object, ...], Change] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        index: dict[tuple[object, ...], Change] = {}
        # Gone devices, closed ports and fixed findings are not looked up: they are not in the
        # current report. A gone device may share its address with a new one.
        for d in self.devices:
            if d.state is not Change.ABSENT:
                index[("device", d.ip)] = d.state
        for s in self.services:
            if s.state is not Change.ABSENT:
                index[("service", s.ip, s.port, s.transport)] = s.state
        for f in self.findings:
            if f.state is not Change.ABSENT:
                index[("finding", f.ip, f.id, f.port)] = f.state
        object.__setattr__(self, "_index", index)

    def device_state(self, ip: str) -> Change | None:
        return self._index.get(("device", ip))

    def service_state(self, ip: str, port: int, transport: str) -> Change | None:
        return self._index.get(("service", ip, port, transport))

    def finding_state(self, ip: str, finding: Finding) -> Change | None:
        return self._index.get(("finding", ip, finding.id, finding.port))

    def count(self, state: Change) -> dict[str, int]:
        """How many devices, services and findings are in ``state``."""
        return {
            "devices": sum(d.state is state for d in self.devices),
            "services": sum(s.state is state for s in self.services),
            "findings": sum(f.state is state for f in self.findings),
        }


def device_label(host: Host) -> str:
    ident = host.identification
    name = " ".join(v for v in (ident.vendor, ident.model) if v)
    return name or "unidentified device"


def _match_hosts(previous: Report, current: Report) -> list[tuple[Host | None, Host | None]]:
    """Pair each current host with the earlier scan's view of the same device, if any."""
    prev_hosts = sorted_hosts(previous.hosts)
    by_mac: dict[str, Host] = {}
    by_ip: dict[str, Host] = {}
    for host in prev_hosts:
        mac = normalize_mac(host.mac)
        if mac is not None:
            by_mac.setdefault(mac, host)
        by_ip.setdefault(host.ip, host)
    used: set[int] = set()
    pairs: list[tuple[Host | None, Host | None]] = []
    for host in sorted_hosts(current.hosts):
        mac = normalize_mac(host.mac)
        match = by_mac.get(mac) if mac is not None else None
        if match is None:
            candidate = by_ip.get(host.ip)
            candidate_mac = None if candidate is None else normalize_mac(candidate.mac)
            # Same address but two different MACs: another device took the address.
            if candidate is not None and not (mac and candidate_mac and mac != candidate_mac):
                match = candidate
        if match is not None and id(match) in used:
            match = None
        if match is not None:
            used.add(id(match))
        pairs.append((match, host))
    pairs.extend((host, None) for host in prev_hosts if id(host) not in used)
    return pairs


def _finding_key(finding: Finding) -> tuple[str, int | None]:
    return (finding.id, finding.port)


def compare(previous: Report, current: Report) -> BaselineDiff:
    """The changes from ``previous`` (the baseline) to ``current``."""
    devices: list[DeviceChange] = []
    services: list[ServiceChange] = []
    findings: list[FindingChange] = []
    for before, after in _match_hosts(previous, current):
        if after is None:
            assert before is not None  # _match_hosts never pairs None with None
            ip, state = before.ip, Change.ABSENT
            devices.append(DeviceChange(ip, state, before.mac, None, device_label(before)))
        else:
            ip = after.ip
            state = Change.NEW if before is None else Change.UNCHANGED
            moved = before.ip if before is not None and before.ip != after.ip else None
            devices.append(
                DeviceChange(
                    ip,
                    state,
                    after.mac or (before.mac if before else None),
                    moved,
                    device_label(after),
                )
            )
        old_services = {(s.port, s.transport): s for s in (before.services if before else ())}
        new_services = {(s.port, s.transport): s for s in (after.services if after else ())}
        for port_key in sorted(old_services.keys() | new_services.keys()):
            service = new_services.get(port_key) or old_services[port_key]
            if port_key not in old_services:
                service_state = Change.NEW
            elif port_key not in new_services:
                service_state = Change.ABSENT
            else:
                service_state = Change.UNCHANGED
            services.append(
                ServiceChange(ip, port_key[0], port_key[1], service.protocol.value, service_state)
            )
        old_findings = {_finding_key(f): f for f in (before.findings if before else ())}
        new_findings = {_finding_key(f): f for f in (after.findings if after else ())}
        for finding in sorted_findings(
            [*new_findings.values(), *(f for k, f in old_findings.items() if k not in new_findings)]
        ):
            key = _finding_key(finding)
            if key not in old_findings:
                finding_state = Change.NEW
            elif key not in new_findings:
                finding_state = Change.ABSENT
            else:
                finding_state = Change.UNCHANGED
            findings.append(
                FindingChange(
                    ip, finding.id, finding.port, finding.severity, finding.title, finding_state
                )
            )
    devices.sort(key=lambda d: (ip_sort_key(d.ip), d.state is Change.ABSENT))
    order = {d.ip: i for i, d in enumerate(devices)}
    services.sort(key=lambda s: (order[s.ip], s.port, s.transport))
    findings.sort(key=lambda f: order[f.ip])  # stable: keeps worst-first within a device
    return BaselineDiff(previous.started_at, tuple(devices), tuple(services), tuple(findings))
