"""SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for code-scanning dashboards.

One run; one rule per finding id (``tool.driver.rules``), one result per finding on a device.
A network scan has no source files, so each result's location is the service it was found on
(``rtsp://198.18.0.11:554``) or the device (``camsweep-host://198.18.0.11``), with
``region.startLine`` 1 because GitHub code scanning requires a region. ``partialFingerprints``
carry a hash of rule id, address and port, so the same problem on the same device is recognised
as the same alert from one run to the next (SARIF section 3.27.17; GitHub matches alerts on it).

Severity maps to SARIF ``level`` (critical and high: error; medium: warning; low and info: note)
and to GitHub's ``security-severity`` rule property (a CVSS-like number: critical 9.5, high 8.0,
medium 5.5, low 3.0). With a baseline, each result carries ``baselineState`` (section 3.27.24:
new or unchanged); fixed findings are counted in the run's properties rather than emitted as
results, because dashboards that ignore ``baselineState`` would open alerts for them. Findings
the inventory accepted carry an external ``suppression`` with the team's reason (section 3.35),
which GitHub shows as dismissed.

Device text is cleaned of control and bidi characters (:func:`clean_text`) in ``text`` fields,
and escaped for markdown in ``markdown`` fields, because viewers print the former to terminals
and render the latter.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from typing import Any, TextIO

from scanner.models import (
    DiscoveryStatus,
    Finding,
    Host,
    ProbeStatus,
    Report,
    ServiceResult,
    Severity,
)
from scanner.report.baseline import Change, device_label
from scanner.report.exposure import exposure_to_dict
from scanner.report.inventory import FindingStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.markdown import md
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.sanitize import clean_text
from scanner.report.words import CONFIDENCE_WORDS, DEVICE_WORDS, change_words

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "fingerprint", "render_sarif", "result_uri"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "camsweepFinding/v1"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub reads rules' "security-severity" as a CVSS-like score: > 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low. Info findings get none, so GitHub does not count them as
# security problems.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
_PRECISION = {"confirmed": "very-high", "firm": "high", "inferred": "medium"}
_TEXT = 2000  # device text per message: enough for a banner, bounded for a hostile one
_SHORT = 200


def _t(value: str, limit: int = _TEXT) -> str:
    return clean_text(value, limit)


def _block(value: str, limit: int = _TEXT) -> str:
    """Multi-line text cleaned line by line: our own line breaks survive."""
    return "\n".join(clean_text(line, limit) for line in value.splitlines()[:40])


def fingerprint(rule_id: str, ip: str, port: int | None) -> str:
    """Stable across runs: rule id, device address and port, nothing that varies per scan.

    Titles, evidence and scores are left out on purpose: a firmware banner or a risk score that
    changes must not turn one long-standing alert into a new one.
    """
    key = "\x00".join((rule_id, ip, "" if port is None else str(port)))
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]


def _authority(ip: str) -> str:
    try:
        version = ipaddress.ip_address(ip).version
    except ValueError:
        # Not an address (a hand-made report): percent-encode so the URI stays a URI.
        return "".join(c if c.isalnum() or c in ".-" else f"%{ord(c):02X}" for c in ip[:100])
    return f"[{ip}]" if version == 6 else ip


def result_uri(host: Host, port: int | None) -> str:
    """Where a finding lives: the service URL on its port, or the device itself."""
    authority = _authority(host.ip)
    if port is None:
        return f"camsweep-host://{authority}"
    protocol = next((s.protocol.value for s in host.services if s.port == port), "tcp")
    return f"{protocol}://{authority}:{port}"


def _utc(stamp: str) -> str | None:
    """SARIF wants UTC times (section 3.9); None when the report's stamp cannot be read."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rules(report: Report) -> list[tuple[str, list[Finding]]]:
    by_id: dict[str, list[Finding]] = {}
    for host in sorted_hosts(report.hosts):
        for finding in sorted_findings(host.findings):
            by_id.setdefault(finding.id, []).append(finding)
    return sorted(by_id.items())


def _rule(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    worst = max(findings, key=lambda f: f.severity.rank)
    first = findings[0]
    cves = sorted({c for f in findings for c in f.cves})
    references = [r for r in first.references if r.startswith(("https://", "http://"))]
    help_lines = [f"**Fix:** {md(first.remediation)}" if first.remediation else ""]
    help_lines.extend(f"- <{r}>" for r in references if " " not in r and ">" not in r)
    if cves:
        help_lines.append(f"CVE: {md(', '.join(cves))}")
    tags = ["security", "camera"]
    tags.extend(cves)
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.replace(".", "-").split("-")),
        "shortDescription": {"text": _t(first.title, _SHORT)},
        "fullDescription": {
            "text": _t(first.title + (f" ({', '.join(cves)})" if cves else ""), _TEXT)
        },
        "help": {
            "text": _block(f"Fix: {first.remediation}") if first.remediation else _t(first.title),
            "markdown": "\n\n".join(line for line in help_lines if line) or md(first.title),
        },
        "defaultConfiguration": {"level": _LEVEL[worst.severity]},
        "properties": {
            "tags": tags,
            "precision": _PRECISION[first.confidence.value],
            "problem.severity": {"error": "error", "warning": "warning"}.get(
                _LEVEL[worst.severity], "recommendation"
            ),
        },
    }
    if references:
        rule["helpUri"] = references[0]
    if worst.severity in _SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = _SECURITY_SEVERITY[worst.severity]
    return rule


def _message(host: Host, finding: Finding, show_secrets: bool) -> str:
    where = host.ip if finding.port is None else f"{host.ip} port {finding.port}"
    parts = [f"{finding.title} on {where} ({device_label(host)})."]
    parts.append(f"How sure: {CONFIDENCE_WORDS[finding.confidence]}.")
    if finding.evidence:
        parts.append(f"What we saw: {finding.evidence}")
    if finding.secret is not None:
        parts.append(f"Working password: {finding.secret if show_secrets else SECRET_MASK}")
    if finding.remediation:
        parts.append(f"Fix: {finding.remediation}")
    return _block("\n".join(parts))


def _result(
    host: Host,
    finding: Finding,
    rule_index: int,
    report: Report,
    review: Review | None,
) -> dict[str, Any]:
    ident = host.identification
    uri = result_uri(host, finding.port)
    logical = host.ip if finding.port is None else f"{host.ip}:{finding.port}"
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "ip": _t(host.ip, _SHORT),
        "port": finding.port,
        "device": _t(device_label(host), _SHORT),
        "deviceType": DEVICE_WORDS[ident.device_type],
        "risk": {"score": round(host.risk.score, 1), "level": host.risk.level.value},
    }
    if host.mac:
        properties["mac"] = _t(host.mac, _SHORT)
    if host.mac_vendor:
        properties["macVendor"] = _t(host.mac_vendor, _SHORT)
    if ident.firmware:
        properties["firmware"] = _t(ident.firmware, _SHORT)
    if finding.cves:
        properties["cves"] = [_t(c, _SHORT) for c in finding.cves]
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(host, finding, report.show_secrets)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {"name": _t(logical, _SHORT), "kind": "resource"},
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding.id, host.ip, finding.port)},
        "properties": properties,
    }
    if review is not None:
        change = review.finding_change(host.ip, finding)
        if change is not None:
            result["baselineState"] = change.value
        check = review.finding_check(host.ip, finding)
        if check is not None:
            properties["inventory"] = check.status.value
            if check.status is FindingStatus.ACCEPTED:
                result["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": _t(
                            f"{check.reason} (accepted until {check.expires})", _TEXT
                        ),
                    }
                ]
            elif check.status is FindingStatus.EXPIRED:
                properties["acceptanceExpired"] = str(check.expires)
    return result


def _notifications(report: Report) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    for run in report.discovery:
        if run.status is DiscoveryStatus.RAN:
            continue
        level = "warning" if run.status is DiscoveryStatus.FAILED else "note"
        text = f"discovery method {run.method} {run.status.value}"
        if run.reason:
            text += f": {run.reason}"
        notes.append({"level": level, "message": {"text": _t(text)}})
    notes.extend(
        _probe_error(host, service)
        for host in sorted_hosts(report.hosts)
        for service in sorted_services(host.services)
        if service.status is ProbeStatus.ERROR
    )
    notes.extend({"level": "note", "message": {"text": _t(note)}} for note in report.notes)
    return notes


def _probe_error(host: Host, service: ServiceResult) -> dict[str, Any]:
    text = f"probe {service.protocol.value}/{service.port} on {host.ip} failed: {service.reason}"
    return {
        "level": "error",
        "message": {"text": _t(text)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": result_uri(host, service.port)},
                    "region": {"startLine": 1},
                }
            }
        ],
    }


def _exposure_property(report: Report) -> dict[str, Any]:
    if report.exposure is None:
        return {}
    return {"internetExposure": exposure_to_dict(report.exposure, _t)}


def _run_properties(report: Report, review: Review | None) -> dict[str, Any]:
    summary = report.summary
    properties: dict[str, Any] = {
        **_exposure_property(report),  # first: what the internet can reach
        "targets": [_t(t, _SHORT) for t in report.targets],
        "profile": _t(report.profile, _SHORT),
        "summary": {
            "hostsScanned": summary.hosts_scanned,
            "hostsUp": summary.hosts_up,
            "cameras": summary.cameras,
            "recorders": summary.recorders,
            "findingsBySeverity": {
                s.value: summary.findings_by_severity.get(s.value, 0) for s in Severity
            },
            "highestRisk": summary.highest_risk.value,
        },
        "discovery": [
            {
                "method": _t(r.method, _SHORT),
                "status": r.status.value,
                "reason": _t(r.reason),
                "hosts": r.hosts,
            }
            for r in report.discovery
        ],
    }
    if review is not None and review.baseline is not None:
        diff = review.baseline
        properties["baseline"] = {
            "startedAt": _t(diff.baseline_started_at, _SHORT),
            "new": diff.count(Change.NEW),
            "fixed": diff.count(Change.ABSENT),
            "fixedFindings": [
                {
                    "ruleId": f.id,
                    "ip": _t(f.ip, _SHORT),
                    "port": f.port,
                    "title": _t(f.title, _SHORT),
                    "note": change_words(f.state),
                }
                for f in diff.findings
                if f.state is Change.ABSENT
            ],
        }
    if review is not None and review.inventory is not None:
        check = review.inventory
        properties["inventory"] = {
            "checkedOn": check.checked_on.isoformat(),
            "devices": [
                {
                    "status": d.status.value,
                    "ip": None if d.ip is None else _t(d.ip, _SHORT),
                    "mac": None if d.mac is None else _t(d.mac, _SHORT),
                    "name": None if d.name is None else _t(d.name, _SHORT),
                }
                for d in check.devices
                if d.status.value != "expected"
            ],
        }
    return properties


def render_sarif(report: Report, out: TextIO, *, review: Review | None = None) -> None:
    """Write one SARIF 2.1.0 log (UTF-8 JSON, 2-space indent, trailing newline)."""
    rules = _rules(report)
    index = {rule_id: i for i, (rule_id, _) in enumerate(rules)}
    results = [
        _result(host, finding, index[finding.id], report, review)
        for host in sorted_hosts(report.hosts)
        for finding in sorted_findings(host.findings)
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    for key, stamp in (("startTimeUtc", report.started_at), ("endTimeUtc", report.finished_at)):
        utc = _utc(stamp)
        if utc is not None:
            invocation[key] = utc
    notifications = _notifications(report)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": _t(report.tool_name, _SHORT),
                        "version": _t(report.tool_version, _SHORT),
                        "rules": [_rule(rule_id, findings) for rule_id, findings in rules],
                    }
                },
                "invocations": [invocation],
                "results": results,
                "columnKind": "unicodeCodePoints",
                "properties": _run_properties(report, review),
            }
        ],
    }
    json.dump(log, out, indent=2, ensure_ascii=False, allow_nan=False)
    out.write("\n")
