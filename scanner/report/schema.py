"""The JSON Schema (draft 2020-12) of camsweep's JSON report, generated from the models.

The enums are read from scanner.models, so the schema cannot drift from the code; the copy in
docs/report-schema.json is this document written by :func:`write_schema`, and a test fails when
the two differ (the habit nuclei follows for its template schema).
"""

from __future__ import annotations

import copy
import json
from enum import StrEnum
from functools import cache
from typing import Any, TextIO

from scanner.models import (
    AuthScheme,
    Basis,
    Confidence,
    DeviceType,
    DiscoveryStatus,
    ExposureKind,
    ProbeStatus,
    Protocol,
    RiskLevel,
    RouterStatus,
    Severity,
)

__all__ = ["SCHEMA_ID", "SCHEMA_VERSION", "report_schema", "report_validator", "write_schema"]

# The report format version the renderers write. Readers accept any 1.x: minor versions only
# add optional things; a change that breaks readers bumps the major.
SCHEMA_VERSION = "1.1"
SCHEMA_ID = "urn:camsweep:report-schema:1"


def _enum(values: type[StrEnum]) -> dict[str, Any]:
    return {"type": "string", "enum": [member.value for member in values]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null besides ``schema`` (keeps the enum list intact for readers)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """A strict object: every property listed is required and nothing else is allowed."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


_STR = {"type": "string"}
_STRINGS = {"type": "array", "items": _STR}
_PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
_COUNT = {"type": "integer", "minimum": 0}

_SERVICE = _object(
    {
        "port": _PORT,
        "transport": {"type": "string", "enum": ["tcp", "udp"]},
        "protocol": _enum(Protocol),
        "product": _nullable(_STR),
        "banner": _nullable(_STR),
        "auth": _nullable(_enum(AuthScheme)),
        "status": _enum(ProbeStatus),
        "reason": _STR,
        "tls": {"type": "boolean"},
        "fields": {
            "type": "object",
            # Evidence field names are "<namespace>.<name>" (docs/architecture.md, the evidence
            # vocabulary); values are the device's own text.
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_]*\.[^\s]+$"},
            "additionalProperties": _STR,
        },
        "open_routes": _STRINGS,
        "accepts_any_route": {"type": "boolean"},
        "login_prompt": {"type": "boolean"},
        "redirect": _nullable(_STR),
        # Who gathered the evidence: camsweep's own probe, nmap, or (for a vendor-discovery
        # service) the id of the vendor discovery protocol that answered (docs/discovery.md).
        "source": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
    }
)

_FINDING = _object(
    {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"},
        "title": {"type": "string", "minLength": 1},
        "severity": _enum(Severity),
        "confidence": _enum(Confidence),
        "evidence": _STR,
        "remediation": _STR,
        "references": _STRINGS,
        # CVE ids per the CVE numbering format: four-digit year, four or more digits.
        "cves": {"type": "array", "items": {"type": "string", "pattern": r"^CVE-\d{4}-\d{4,}$"}},
        "port": _nullable(_PORT),
        "secret": _nullable(_STR),
    }
)
# Optional (1.1): what the finding rests on, and whether its signature is unverified.
_FINDING["properties"]["basis"] = _nullable(_enum(Basis))
_FINDING["properties"]["unverified"] = {"type": "boolean"}

_HOST = _object(
    {
        "ip": {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
        "mac": _nullable({"type": "string", "pattern": r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$"}),
        "mac_vendor": _nullable(_STR),
        "hostnames": _STRINGS,
        "discovered_by": _STRINGS,
        "vendor": _nullable(_STR),
        "model": _nullable(_STR),
        "firmware": _nullable(_STR),
        "device_type": _enum(DeviceType),
        "identified_by": _STRINGS,
        "services": {"type": "array", "items": {"$ref": "#/$defs/service"}},
        "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
        "risk": _object(
            {
                "score": {"type": "number", "minimum": 0, "maximum": 10},
                "level": _enum(RiskLevel),
            }
        ),
        "notes": _STRINGS,
    }
)

_SUMMARY = _object(
    {
        "hosts_scanned": _COUNT,
        "hosts_up": _COUNT,
        "cameras": _COUNT,
        "recorders": _COUNT,
        "findings_by_severity": _object({severity.value: _COUNT for severity in Severity}),
        "highest_risk": _enum(RiskLevel),
    }
)

_DATE = {"type": "string", "format": "date"}
_LINE = _nullable({"type": "integer", "minimum": 1})


def _states(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


_CHANGE = _states("new", "unchanged", "absent")
_COUNTS = _object({"devices": _COUNT, "services": _COUNT, "findings": _COUNT})

# Present only when the scan or `report convert` was given --baseline and/or --inventory.
_REVIEW = _object(
    {
        "baseline": _nullable(
            _object(
                {
                    "started_at": _STR,
                    "new": _COUNTS,
                    "absent": _COUNTS,
                    "devices": {
                        "type": "array",
                        "items": _object(
                            {
                                "ip": _STR,
                                "state": _CHANGE,
                                "mac": _nullable(_STR),
                                "previous_ip": _nullable(_STR),
                                "label": _STR,
                            }
                        ),
                    },
                    "services": {
                        "type": "array",
                        "items": _object(
                            {
                                "ip": _STR,
                                "port": _PORT,
                                "transport": _STR,
                                "protocol": _STR,
                                "state": _CHANGE,
                            }
                        ),
                    },
                    "findings": {
                        "type": "array",
                        "items": _object(
                            {
                                "ip": _STR,
                                "id": _STR,
                                "port": _nullable(_PORT),
                                "severity": _enum(Severity),
                                "title": _STR,
                                "state": _CHANGE,
                            }
                        ),
                    },
                }
            )
        ),
        "inventory": _nullable(
            _object(
                {
                    "source": _STR,
                    "checked_on": _DATE,
                    "devices": {
                        "type": "array",
                        "items": _object(
                            {
                                "status": _states("expected", "unexpected", "missing"),
                                "ip": _nullable(_STR),
                                "mac": _nullable(_STR),
                                "name": _nullable(_STR),
                                "label": _STR,
                                "line": _LINE,
                            }
                        ),
                    },
                    "findings": {
                        "type": "array",
                        "items": _object(
                            {
                                "ip": _STR,
                                "id": _STR,
                                "port": _nullable(_PORT),
                                "severity": _enum(Severity),
                                "status": _states("accepted", "expired", "unaccepted"),
                                "reason": _nullable(_STR),
                                "expires": _nullable(_DATE),
                                "line": _LINE,
                            }
                        ),
                    },
                    "unused": {
                        "type": "array",
                        "items": _object(
                            {
                                "finding": _STR,
                                "device": _nullable(_STR),
                                "port": _nullable(_PORT),
                                "reason": _STR,
                                "expires": _DATE,
                                "line": _LINE,
                            }
                        ),
                    },
                }
            )
        ),
    }
)

_REPORT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "camsweep report",
    "description": "What a camsweep scan found: hosts, their services, findings and risk.",
    **_object(
        {
            "schema_version": {"type": "string", "pattern": r"^1\.\d+$"},
            "tool": _object({"name": {"type": "string", "minLength": 1}, "version": _STR}),
            "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": "string", "format": "date-time"},
            "targets": _STRINGS,
            "profile": {"type": "string", "minLength": 1},
            "hosts": {"type": "array", "items": {"$ref": "#/$defs/host"}},
            "summary": {"$ref": "#/$defs/summary"},
            "notes": _STRINGS,
            "discovery": {
                "type": "array",
                "items": _object(
                    {
                        "method": {"type": "string", "minLength": 1},
                        "status": _enum(DiscoveryStatus),
                        "reason": _STR,
                        "hosts": _COUNT,
                    }
                ),
            },
        }
    ),
    "$defs": {"host": _HOST, "service": _SERVICE, "finding": _FINDING, "summary": _SUMMARY},
}
# Optional (not in "required"): minor additions, so 1.0 readers and documents stay valid.
_REPORT["properties"]["review"] = _REVIEW
_REPORT["properties"]["blind_spots"] = {
    "type": "string",
    "description": "What a LAN scan cannot see, in plain words.",
}
_REPORT["properties"]["interrupted"] = {
    "type": "boolean",
    "description": "The scan was stopped (Ctrl-C) before it finished; it holds what was found.",
}

# Optional too: the Internet exposure section (router forwards, cloud paths; scanner/router/).
_FORWARD = _object(
    {
        "external_port": _PORT,
        "protocol": {"type": "string", "enum": ["TCP", "UDP"]},
        "internal_client": {"type": "string", "format": "ipv4"},
        "internal_port": _PORT,
        "enabled": {"type": "boolean"},
        "description": _STR,
        "remote_host": _STR,
        "lease_seconds": _nullable(_COUNT),
    }
)
_REPORT["properties"]["exposure"] = {
    "description": "Internet exposure: the router's forwards and cloud paths, first in every "
    "format; absent when the router stage did not run (--no-router).",
    **_object(
        {
            "blind": {"type": "boolean", "description": "no router's forwards could be read"},
            "paths": {
                "type": "array",
                "items": _object(
                    {
                        "kind": _enum(ExposureKind),
                        "host": _STR,
                        "port": _nullable(_PORT),
                        "path": _STR,
                        "severity": _enum(Severity),
                        "confidence": _enum(Confidence),
                        "router": _STR,
                        "forward": _nullable(_FORWARD),
                        "service": _STR,
                        "weaknesses": _STRINGS,
                        "finding_ids": _STRINGS,
                        "caveat": _STR,
                    }
                ),
            },
            "routers": {
                "type": "array",
                "items": _object(
                    {
                        "address": _STR,
                        "status": _enum(RouterStatus),
                        "reason": _STR,
                        "description_url": _STR,
                        "model": _STR,
                        "services": _STRINGS,
                        "external_ip": _STR,
                        "connection_status": _STR,
                        "forwards": {"type": "array", "items": _FORWARD},
                        "forwards_complete": {"type": "boolean"},
                        "nat_pmp": _STR,
                        "mapping_actions": _STRINGS,
                        "device_protection": {"type": "boolean"},
                        "notes": _STRINGS,
                    }
                ),
            },
            "notes": _STRINGS,
        }
    ),
}


def report_schema() -> dict[str, Any]:
    """A fresh copy of the schema (callers may mutate it)."""
    return copy.deepcopy(_REPORT)


@cache
def report_validator() -> Any:
    """The compiled validator (a jsonschema ``Draft202012Validator``), asserting formats
    (date-time, ipv4/ipv6) as well as structure. jsonschema is imported on first use: with its
    format checkers it costs most of a second, which ``camsweep --version`` must not pay."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

    Draft202012Validator.check_schema(_REPORT)
    return Draft202012Validator(_REPORT, format_checker=Draft202012Validator.FORMAT_CHECKER)


def write_schema(out: TextIO) -> None:
    """Write the schema as it is kept in docs/report-schema.json (2-space indent, newline)."""
    json.dump(_REPORT, out, indent=2, ensure_ascii=False)
    out.write("\n")
