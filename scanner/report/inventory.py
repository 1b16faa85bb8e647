"""A lab's inventory: the devices it expects and the findings its team has accepted.

The file is YAML (an example is in docs/ci.md)::

    devices:                      # what the lab expects to answer
      - name: door camera         # optional label, usable as `device:` below
        ip: 198.18.0.11           # ip, mac, or both
        mac: "00:11:22:33:44:55"
    accepted:                     # findings the team has decided to live with, for a while
      - finding: telnet-open      # finding id (required)
        device: door camera       # ip, mac or a device name above (optional: any device)
        port: 23                  # optional: only on this port
        reason: the test rig drives the DVR over Telnet   # required
        expires: 2027-03-31       # required: accepted up to and including this day

It is read strictly: an unknown key, a bad address, a date that is not ``YYYY-MM-DD`` or a
missing reason is an error naming the file and line, before any packet is sent. YAML is only
*composed* (``yaml.compose`` with the safe loader: no object is ever constructed), anchors and
aliases are refused (they let a few lines expand into millions of nodes), and a duplicate key is
an error rather than silently winning.

Checking a report against it is a pure function. Expiry is judged on the day the scan started
(UTC), so re-rendering an old report gives the answer it gave then.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import yaml

from scanner.digits import ascii_decimal
from scanner.discover.oui import normalize_mac
from scanner.match.errors import LintError
from scanner.match.yamlnodes import NULL_TAG, NodeReader, compose_yaml, line_of
from scanner.models import Finding, Host, Report, Severity
from scanner.report.baseline import device_label
from scanner.report.order import sorted_findings, sorted_hosts
from scanner.report.sanitize import clean_text

__all__ = [
    "MAX_INVENTORY_BYTES",
    "Acceptance",
    "DeviceCheck",
    "DeviceStatus",
    "ExpectedDevice",
    "FindingCheck",
    "FindingStatus",
    "Inventory",
    "InventoryCheck",
    "InventoryError",
    "check_inventory",
    "load_inventory",
    "parse_inventory",
    "scan_day",
]

MAX_INVENTORY_BYTES = 1024 * 1024
_MAX_NODES = 100_000
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
_FINDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_TOP_KEYS = ("version", "devices", "accepted")
_DEVICE_KEYS = ("name", "ip", "mac")
_ACCEPT_KEYS = ("finding", "device", "port", "reason", "expires")


class InventoryError(ValueError):
    """The inventory file is not valid: ``file:line: what`` (one line)."""


@dataclass(frozen=True, slots=True)
class ExpectedDevice:
    name: str | None
    ip: str | None
    mac: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Acceptance:
    finding: str
    device: str | None
    port: int | None
    reason: str
    expires: date
    line: int


@dataclass(frozen=True, slots=True)
class Inventory:
    source: str
    devices: tuple[ExpectedDevice, ...] = ()
    accepted: tuple[Acceptance, ...] = ()


# --- reading ------------------------------------------------------------------------------------


class _Reader:
    """Inventory checks on top of the shared node reader: the first problem stops the read."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[LintError] = []
        self.nodes = NodeReader(source, self.errors)

    def fail(self, where: yaml.Node | int, message: str) -> InventoryError:
        line = where if isinstance(where, int) else line_of(where)
        return InventoryError(f"{self.source}:{line}: {message}")

    def stop(self) -> InventoryError:
        first = self.errors[0]
        value = f" ({clean_text(first.value, 60)})" if first.value else ""
        return InventoryError(f"{first.file}:{max(first.line, 1)}: {first.message}{value}")

    def mapping(self, node: yaml.Node, what: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
        fields = self.nodes.mapping(node, what, optional=keys)
        if fields is None or self.errors:
            raise self.stop()
        return fields

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            return []  # "devices:" with nothing under it
        items = self.nodes.seq(node, what)
        if items is None:
            raise self.stop()
        return items

    def text(self, node: yaml.Node, what: str) -> str:
        value = self.nodes.string(node, what)
        if value is None:
            raise self.stop()
        return value.strip()

    def ip(self, node: yaml.Node) -> str:
        value = self.text(node, "ip")
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise self.fail(node, f"ip {_show(value)} is not an IPv4 or IPv6 address") from None

    def mac(self, node: yaml.Node) -> str:
        value = self.text(node, "mac")
        if not _MAC.match(value):
            raise self.fail(node, f"mac {_show(value)} is not a MAC address like 00:11:22:33:44:55")
        return normalize_mac(value) or value

    def port(self, node: yaml.Node) -> int:
        value = self.text(node, "port")
        port = ascii_decimal(value, max_digits=5, low=1, high=65535)
        if port is None:
            raise self.fail(node, f"port {_show(value)} is not a port number 1-65535")
        return port

    def day(self, node: yaml.Node) -> date:
        value = self.text(node, "expires")
        if not _DATE.match(value):
            raise self.fail(node, f"expires {_show(value)} is not a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(node, f"expires {_show(value)} is not a real date") from None


def _show(value: str) -> str:
    return repr(clean_text(value, 60))


def load_inventory(path: Path) -> Inventory:
    """Read and validate an inventory file; :class:`InventoryError` for anything wrong."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INVENTORY_BYTES + 1)
    except OSError as exc:
        raise InventoryError(f"cannot read inventory {path}: {exc.strerror or exc}") from None
    return parse_inventory(data, str(path))


def parse_inventory(data: bytes, source: str) -> Inventory:
    reader = _Reader(source)
    root = compose_yaml(reader.nodes, data, max_bytes=MAX_INVENTORY_BYTES, max_nodes=_MAX_NODES)
    if root is None:
        raise reader.stop()
    top = reader.mapping(root, "the inventory", _TOP_KEYS)
    if "version" in top and reader.text(top["version"], "version") != "1":
        raise reader.fail(top["version"], "version must be 1 (the only inventory format so far)")
    devices = tuple(_device(node, reader) for node in _items(top, "devices", reader))
    _check_unique(devices, reader)
    names = {d.name for d in devices if d.name is not None}
    accepted = tuple(_acceptance(node, reader, names) for node in _items(top, "accepted", reader))
    return Inventory(source, devices, accepted)


def _items(top: dict[str, yaml.Node], key: str, reader: _Reader) -> list[yaml.Node]:
    return reader.sequence(top[key], key) if key in top else []


def _device(node: yaml.Node, reader: _Reader) -> ExpectedDevice:
    fields = reader.mapping(node, "a device", _DEVICE_KEYS)
    if "ip" not in fields and "mac" not in fields:
        raise reader.fail(node, "a device needs an ip or a mac (or both)")
    return ExpectedDevice(
        name=reader.text(fields["name"], "name") if "name" in fields else None,
        ip=reader.ip(fields["ip"]) if "ip" in fields else None,
        mac=reader.mac(fields["mac"]) if "mac" in fields else None,
        line=line_of(node),
    )


def _check_unique(devices: tuple[ExpectedDevice, ...], reader: _Reader) -> None:
    seen: dict[str, int] = {}
    for device in devices:
        for kind, value in (("ip", device.ip), ("mac", device.mac), ("name", device.name)):
            if value is None:
                continue
            key = f"{kind}={value}"
            if key in seen:
                raise reader.fail(
                    device.line, f"{kind} {_show(value)} is already listed on line {seen[key]}"
                )
            seen[key] = device.line


def _acceptance(node: yaml.Node, reader: _Reader, names: set[str]) -> Acceptance:
    fields = reader.mapping(node, "an accepted finding", _ACCEPT_KEYS)
    for required in ("finding", "reason", "expires"):
        if required not in fields:
            raise reader.fail(node, f"an accepted finding needs {required}:")
    finding = reader.text(fields["finding"], "finding")
    if not _FINDING_ID.match(finding):
        raise reader.fail(fields["finding"], f"finding {_show(finding)} is not a finding id")
    device: str | None = None
    if "device" in fields:
        device = _device_ref(fields["device"], reader, names)
    return Acceptance(
        finding=finding,
        device=device,
        port=reader.port(fields["port"]) if "port" in fields else None,
        reason=reader.text(fields["reason"], "reason"),
        expires=reader.day(fields["expires"]),
        line=line_of(node),
    )


def _device_ref(node: yaml.Node, reader: _Reader, names: set[str]) -> str:
    value = reader.text(node, "device")
    if value in names:
        return value
    if _MAC.match(value):
        return normalize_mac(value) or value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise reader.fail(
            node, f"device {_show(value)} is not an ip, a mac or the name of a listed device"
        ) from None


# --- checking a report -------------------------------------------------------------------------


class DeviceStatus(StrEnum):
    EXPECTED = "expected"
    UNEXPECTED = "unexpected"  # answered, but the inventory does not list it
    MISSING = "missing"  # listed, but did not answer


class FindingStatus(StrEnum):
    ACCEPTED = "accepted"
    EXPIRED = "expired"  # was accepted, but the acceptance ran out before the scan
    UNACCEPTED = "unaccepted"


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    status: DeviceStatus
    ip: str | None  # the device's address (for a missing device: the listed one, if any)
    mac: str | None = None
    name: str | None = None  # the inventory's name for it
    label: str = ""  # what the scan identified it as
    line: int | None = None  # inventory line of the entry


@dataclass(frozen=True, slots=True)
class FindingCheck:
    ip: str
    id: str
    port: int | None
    severity: Severity
    status: FindingStatus
    reason: str | None = None
    expires: date | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class InventoryCheck:
    source: str
    checked_on: date
    devices: tuple[DeviceCheck, ...]
    findings: tuple[FindingCheck, ...]
    unused: tuple[Acceptance, ...]  # acceptances that matched nothing: candidates to remove
    _index: dict[tuple[object, ...], object] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        index: dict[tuple[object, ...], object] = {}
        for d in self.devices:
            if d.status is not DeviceStatus.MISSING and d.ip is not None:
                index[("device", d.ip)] = d
        for f in self.findings:
            index[("finding", f.ip, f.id, f.port)] = f
        object.__setattr__(self, "_index", index)

    def device(self, ip: str) -> DeviceCheck | None:
        found = self._index.get(("device", ip))
        return found if isinstance(found, DeviceCheck) else None

    def finding(self, ip: str, finding: Finding) -> FindingCheck | None:
        found = self._index.get(("finding", ip, finding.id, finding.port))
        return found if isinstance(found, FindingCheck) else None

    def count(self, status: DeviceStatus | FindingStatus) -> int:
        if isinstance(status, DeviceStatus):
            return sum(d.status is status for d in self.devices)
        return sum(f.status is status for f in self.findings)


def scan_day(report: Report) -> date:
    """The UTC day the scan started; today (UTC) if the report's timestamp cannot be read."""
    try:
        started = datetime.fromisoformat(report.started_at)  # 3.11+ reads "Z" too
    except ValueError:
        return datetime.now(UTC).date()
    if started.tzinfo is not None:
        started = started.astimezone(UTC)
    return started.date()


def _entry_for(host: Host, inventory: Inventory) -> ExpectedDevice | None:
    mac = normalize_mac(host.mac)
    for entry in inventory.devices:
        if entry.mac is not None and mac is not None:
            if entry.mac == mac:
                return entry
            continue  # both MACs known and different: not this entry, whatever the address
        if entry.ip is not None and entry.ip == host.ip:
            return entry
    return None


def _refers_to(ref: str | None, host: Host, entry: ExpectedDevice | None) -> bool:
    if ref is None:
        return True
    return ref in (host.ip, normalize_mac(host.mac)) or (entry is not None and ref == entry.name)


def check_inventory(inventory: Inventory, report: Report, on: date | None = None) -> InventoryCheck:
    """Compare ``report`` with ``inventory`` as of day ``on`` (default: the scan's day)."""
    day = scan_day(report) if on is None else on
    devices: list[DeviceCheck] = []
    findings: list[FindingCheck] = []
    seen_entries: set[int] = set()
    used: set[int] = set()
    for host in sorted_hosts(report.hosts):
        entry = _entry_for(host, inventory)
        if entry is not None:
            seen_entries.add(id(entry))
        devices.append(
            DeviceCheck(
                DeviceStatus.UNEXPECTED if entry is None else DeviceStatus.EXPECTED,
                host.ip,
                host.mac,
                None if entry is None else entry.name,
                device_label(host),
                None if entry is None else entry.line,
            )
        )
        for finding in sorted_findings(host.findings):
            matches = [
                a
                for a in inventory.accepted
                if a.finding == finding.id
                and (a.port is None or a.port == finding.port)
                and _refers_to(a.device, host, entry)
            ]
            used.update(id(a) for a in matches)
            if not matches:
                findings.append(
                    FindingCheck(
                        host.ip,
                        finding.id,
                        finding.port,
                        finding.severity,
                        FindingStatus.UNACCEPTED,
                    )
                )
                continue
            # The acceptance that lasts longest decides: a renewed entry beats an old one.
            best = max(matches, key=lambda a: (a.expires, -a.line))
            status = FindingStatus.ACCEPTED if day <= best.expires else FindingStatus.EXPIRED
            findings.append(
                FindingCheck(
                    host.ip,
                    finding.id,
                    finding.port,
                    finding.severity,
                    status,
                    best.reason,
                    best.expires,
                    best.line,
                )
            )
    devices.extend(
        DeviceCheck(DeviceStatus.MISSING, entry.ip, entry.mac, entry.name, "", entry.line)
        for entry in inventory.devices
        if id(entry) not in seen_entries
    )
    unused = tuple(a for a in inventory.accepted if id(a) not in used)
    return InventoryCheck(inventory.source, day, tuple(devices), tuple(findings), unused)
