"""The vendor discovery catalogue: ``signatures/discovery/*.yaml`` read into frozen objects.

A protocol is data (port, how the query is sent, the query, its framing, which answer fields
become which evidence); only the framing is code (``frames.py``). Files are validated with a JSON
schema and every regex is checked like the signatures' (no catastrophic backtracking); a problem
is one line naming the file and the entry, raised as :class:`CatalogError`, never a traceback.
User files go in a ``discovery/`` folder of a ``--signatures`` directory and override shipped
entries by id.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from scanner.discover.vendor.frames import FRAMINGS, FrameError
from scanner.match.matchers import compile_regex
from scanner.match.shipped import shipped_dir
from scanner.models import DeviceType

__all__ = [
    "EVIDENCE",
    "CatalogError",
    "DiscoveryProtocol",
    "FindingRule",
    "VendorCatalog",
    "load_catalog",
]

# The evidence a vendor discovery answer can give (docs/architecture.md, the evidence vocabulary).
EVIDENCE = frozenset(
    {
        "discovery.protocol",
        "discovery.model",
        "discovery.firmware",
        "discovery.build_date",
        "discovery.serial",
        "discovery.mac",
        "discovery.hardware",
        "discovery.device_class",
        "discovery.manufacturer",
        "discovery.name",
        "discovery.activated",
        "discovery.p2p_id",
        "discovery.ip",
    }
)
_MAX_FILE = 256 * 1024
_MAX_QUERY = 1400  # one unfragmented datagram on any LAN

_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
_STRMAP = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 200}}
_PROTOCOL_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "port", "framing", "fields", "sources"],
    "properties": {
        "id": {"type": "string", "pattern": _ID, "maxLength": 40},
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "vendor": {"type": "string", "pattern": _ID},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "multicast": {"type": "string"},
        "broadcast": {"type": "boolean"},
        "unicast": {"type": "boolean"},
        "reply_port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "query_text": {"type": "string", "minLength": 1, "maxLength": _MAX_QUERY},
        "query_hex": {"type": "string", "pattern": "^(?:[0-9a-fA-F]{2})+$"},
        "framing": {"enum": sorted(FRAMINGS)},
        "require": _STRMAP,
        "fields": {"type": "object", "minProperties": 1, "additionalProperties": {"enum": []}},
        "values": {"type": "object", "additionalProperties": _STRMAP},
        "bitvalues": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["mask", "map"],
                "properties": {
                    "mask": {"type": "integer", "minimum": 1, "maximum": 0xFFFFFFFF},
                    "map": _STRMAP,
                },
            },
        },
        "classes": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["field", "regex", "type"],
                "properties": {
                    "field": {"type": "string"},
                    "regex": {"type": "string"},
                    "type": {"enum": ["camera", "recorder", "other"]},
                },
            },
        },
        "device_type": {"enum": ["camera", "recorder", "other"]},
        "activation": _TEXT,
        "changes_settings": _TEXT,
        "sources": {"type": "array", "minItems": 1, "items": _TEXT},
    },
    "oneOf": [{"required": ["query_text"]}, {"required": ["query_hex"]}],
}
_FINDING_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "when", "severity", "title", "evidence", "remediation"],
    "properties": {
        "id": {"type": "string", "pattern": _ID, "maxLength": 60},
        "when": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "field": {"type": "string"},
                "equals": {"type": "string"},
                "present": {"const": True},
                "protocol_changes_settings": {"const": True},
            },
        },
        "severity": {"enum": ["critical", "high", "medium", "low", "info"]},
        "title": _TEXT,
        "evidence": _TEXT,
        "remediation": _TEXT,
        "references": {"type": "array", "items": {"type": "string", "pattern": "^https?://"}},
    },
}
_FILE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "discovery_protocols": {"type": "array", "items": _PROTOCOL_SCHEMA},
        "discovery_findings": {"type": "array", "items": _FINDING_SCHEMA},
    },
}
_FILE_SCHEMA["properties"]["discovery_protocols"]["items"]["properties"]["fields"][  # type: ignore[index]
    "additionalProperties"
]["enum"] = sorted(EVIDENCE)


class CatalogError(Exception):
    """A discovery catalogue file is not usable; the message says where and why, one line each."""


@dataclass(frozen=True, slots=True)
class ClassRule:
    field: str
    regex: re.Pattern[str]
    device_type: DeviceType


@dataclass(frozen=True, slots=True)
class BitValue:
    mask: int
    mapping: Mapping[str, str]


@dataclass(frozen=True)
class DiscoveryProtocol:
    """One vendor discovery protocol, ready to send and to read answers."""

    id: str
    name: str
    port: int
    framing: str
    fields: Mapping[str, str]  # answer field -> evidence name
    sources: tuple[str, ...]
    vendor: str | None = None
    multicast: str | None = None
    broadcast: bool = False
    unicast: bool = True
    reply_port: int | None = None  # devices answer searches to this port of ours, not the sender's
    query_text: str | None = None
    query_bytes: bytes | None = None
    require: Mapping[str, re.Pattern[str]] = ()  # type: ignore[assignment]
    values: Mapping[str, Mapping[str, str]] = ()  # type: ignore[assignment]
    bitvalues: Mapping[str, BitValue] = ()  # type: ignore[assignment]
    classes: tuple[ClassRule, ...] = ()
    device_type: DeviceType | None = None
    activation: str = ""
    changes_settings: str = ""

    def query(self) -> bytes:
        """The datagram to send (a fresh UUID where the query has ``{uuid}``)."""
        if self.query_bytes is not None:
            return self.query_bytes
        text = (self.query_text or "").replace("{uuid}", str(uuid.uuid4()).upper())
        return FRAMINGS[self.framing][1](text.encode("utf-8"))

    def read(self, data: bytes) -> dict[str, str] | None:
        """The evidence of one answer, or None when it is not an answer of this protocol."""
        try:
            raw = FRAMINGS[self.framing][0](data)
        except FrameError:
            return None
        for name, pattern in dict(self.require).items():
            if pattern.search(raw.get(name, "")) is None:
                return None
        evidence: dict[str, str] = {"discovery.protocol": self.id}
        for answer_field, name in self.fields.items():
            value = raw.get(answer_field)
            if value is None:
                continue
            mapped = self._value(name, value)
            if mapped:
                evidence.setdefault(name, mapped)
        return evidence

    def _value(self, name: str, value: str) -> str | None:
        values = dict(self.values)
        if name in values:
            return values[name].get(value)
        bits = dict(self.bitvalues).get(name)
        if bits is not None:
            try:
                number = int(value, 0)
            except ValueError:
                return None
            return bits.mapping.get(str(number & bits.mask))
        return value

    def device_class(self, evidence: Mapping[str, str]) -> DeviceType | None:
        for rule in self.classes:
            if rule.regex.search(evidence.get(rule.field, "")):
                return rule.device_type
        return self.device_type


@dataclass(frozen=True, slots=True)
class FindingRule:
    id: str
    field: str | None
    equals: str | None
    present: bool
    changes_settings: bool
    severity: str
    title: str
    evidence: str
    remediation: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class VendorCatalog:
    protocols: tuple[DiscoveryProtocol, ...]
    findings: tuple[FindingRule, ...]

    def protocol(self, pid: str) -> DiscoveryProtocol | None:
        return next((p for p in self.protocols if p.id == pid), None)

    def select(self, skip: Sequence[str]) -> VendorCatalog:
        """The catalogue without the protocols in ``skip`` (ids; unknown ids raise)."""
        unknown = sorted(set(skip) - {p.id for p in self.protocols})
        if unknown:
            known = ", ".join(p.id for p in self.protocols)
            raise CatalogError(f"unknown discovery protocol {unknown[0]!r} (known: {known})")
        kept = tuple(p for p in self.protocols if p.id not in set(skip))
        return VendorCatalog(kept, self.findings)


def _regex(pattern: str, where: str) -> re.Pattern[str]:
    compiled = compile_regex(pattern)
    if isinstance(compiled, str):
        raise CatalogError(f"{where}: {compiled}: {pattern!r}")
    return compiled


def _protocol(entry: Mapping[str, Any], where: str) -> DiscoveryProtocol:
    where = f"{where}: protocol {entry['id']}"
    multicast = entry.get("multicast")
    if multicast is not None:
        try:
            group = ipaddress.IPv4Address(str(multicast))
        except ValueError:
            raise CatalogError(f"{where}: multicast {multicast!r} is not an IPv4 address") from None
        if not group.is_multicast:
            raise CatalogError(f"{where}: {multicast} is not a multicast group (224.0.0.0/4)")
    raw_classes = entry.get("classes", [])
    classes = tuple(
        ClassRule(c["field"], _regex(c["regex"], where), DeviceType(c["type"])) for c in raw_classes
    )
    require = {k: _regex(v, where) for k, v in dict(entry.get("require", {})).items()}
    bitvalues = {
        k: BitValue(int(v["mask"]), dict(v["map"]))
        for k, v in dict(entry.get("bitvalues", {})).items()
    }
    query_hex = entry.get("query_hex")
    device_type = entry.get("device_type")
    return DiscoveryProtocol(
        id=str(entry["id"]),
        name=str(entry["name"]),
        port=int(entry["port"]),
        framing=str(entry["framing"]),
        fields=dict(entry["fields"]),
        sources=tuple(entry["sources"]),
        vendor=str(entry["vendor"]) if "vendor" in entry else None,
        multicast=str(multicast) if multicast is not None else None,
        broadcast=bool(entry.get("broadcast", False)),
        unicast=bool(entry.get("unicast", True)),
        reply_port=int(entry["reply_port"]) if "reply_port" in entry else None,
        query_text=str(entry["query_text"]) if "query_text" in entry else None,
        query_bytes=bytes.fromhex(str(query_hex)) if query_hex is not None else None,
        require=require,
        values={k: dict(v) for k, v in dict(entry.get("values", {})).items()},
        bitvalues=bitvalues,
        classes=classes,
        device_type=DeviceType(str(device_type)) if device_type is not None else None,
        activation=" ".join(str(entry.get("activation", "")).split()),
        changes_settings=" ".join(str(entry.get("changes_settings", "")).split()),
    )


def _finding(entry: Mapping[str, Any]) -> FindingRule:
    when = dict(entry["when"])
    return FindingRule(
        id=str(entry["id"]),
        field=when.get("field"),
        equals=when.get("equals"),
        present=bool(when.get("present", False)),
        changes_settings=bool(when.get("protocol_changes_settings", False)),
        severity=str(entry["severity"]),
        title=" ".join(str(entry["title"]).split()),
        evidence=" ".join(str(entry["evidence"]).split()),
        remediation=" ".join(str(entry["remediation"]).split()),
        references=tuple(entry.get("references", ())),
    )


def parse_catalog_text(name: str, text: str) -> tuple[list[DiscoveryProtocol], list[FindingRule]]:
    """Protocols and finding rules of one document; raises :class:`CatalogError`."""
    if len(text) > _MAX_FILE:
        raise CatalogError(f"{name}: larger than {_MAX_FILE} bytes")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(f"{name}:{line} YAML error: {getattr(exc, 'problem', exc)}") from None
    if document is None:
        return [], []
    try:
        jsonschema.validate(document, _FILE_SCHEMA)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise CatalogError(f"{name}: {path}: {exc.message}") from None
    protocols = [_protocol(e, name) for e in document.get("discovery_protocols", [])]
    for protocol in protocols:
        try:
            protocol.query()
        except (ValueError, KeyError) as exc:
            raise CatalogError(f"{name}: protocol {protocol.id}: query: {exc}") from None
        if len(protocol.query()) > _MAX_QUERY:
            raise CatalogError(f"{name}: protocol {protocol.id}: query over {_MAX_QUERY} bytes")
        if not (protocol.multicast or protocol.broadcast or protocol.unicast):
            raise CatalogError(f"{name}: protocol {protocol.id}: sent neither way")
    findings = [_finding(e) for e in document.get("discovery_findings", [])]
    return protocols, findings


def _files(directory: Path) -> list[Path]:
    folder = directory / "discovery"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


@functools.lru_cache(maxsize=8)
def load_catalog(extra_dirs: tuple[Path, ...] = ()) -> VendorCatalog:
    """The shipped catalogue, then each user directory's ``discovery/`` files (by id)."""
    protocols: dict[str, DiscoveryProtocol] = {}
    findings: dict[str, FindingRule] = {}
    for directory in (shipped_dir(), *extra_dirs):
        for path in _files(Path(directory)):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CatalogError(f"{path}: cannot read: {exc}") from None
            found, rules = parse_catalog_text(str(path), text)
            protocols.update((p.id, p) for p in found)
            findings.update((f.id, f) for f in rules)
    return VendorCatalog(tuple(protocols.values()), tuple(findings.values()))
