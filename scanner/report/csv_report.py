"""The CSV report: one row per finding, and one row for each device without findings.

Every row carries its device's columns, so a spreadsheet can filter and pivot by device or by
finding without joining two files. RFC 4180 quoting (the csv module, CRLF line ends).

Formula injection (OWASP "CSV Injection"): a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets, and
device text (a camera's name, a banner) is attacker-controlled. Such cells get a leading ``'``,
which those programs show as text. Numbers we write ourselves (port, score) are left alone.
Control and bidi characters are shown as placeholders (:func:`clean_text`); line breaks inside
evidence stay, inside a quoted cell.
"""

from __future__ import annotations

import csv
from typing import TextIO

from scanner.models import Finding, Host, Report
from scanner.report.baseline import Change
from scanner.report.inventory import DeviceStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.sanitize import clean_text

__all__ = ["COLUMNS", "render_csv", "safe_cell"]

COLUMNS = (
    "ip",
    "mac",
    "mac_vendor",
    "hostnames",
    "vendor",
    "model",
    "firmware",
    "device_type",
    "open_services",
    "discovered_by",
    "risk_score",
    "risk_level",
    "device_change",
    "inventory_device",
    "finding_id",
    "severity",
    "confidence",
    "title",
    "port",
    "cves",
    "evidence",
    "remediation",
    "references",
    "secret",
    "finding_change",
    "inventory_finding",
    "accepted_reason",
    "accepted_until",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CELL = 4000  # long enough for evidence, short of the 32767-character cell limit of Excel


def safe_cell(value: str) -> str:
    """Cleaned text that a spreadsheet will not run as a formula."""
    lines = [clean_text(line, _CELL) for line in value.splitlines()[:50]] if value else [""]
    cleaned = "\n".join(lines)
    # Placeholders never start with a formula character, but the device's text might.
    if cleaned.startswith(_FORMULA_START):
        return "'" + cleaned
    return cleaned


def _device_cells(host: Host, review: Review | None) -> list[str]:
    ident = host.identification
    services = " ".join(
        dict.fromkeys(f"{s.protocol.value}/{s.port}" for s in sorted_services(host.services))
    )
    change = "" if review is None else (review.device_change(host.ip) or "")
    status = "" if review is None else (review.device_status(host.ip) or "")
    return [
        safe_cell(host.ip),
        safe_cell(host.mac or ""),
        safe_cell(host.mac_vendor or ""),
        safe_cell(" ".join(host.hostnames)),
        safe_cell(ident.vendor or ""),
        safe_cell(ident.model or ""),
        safe_cell(ident.firmware or ""),
        ident.device_type.value,
        services,
        safe_cell(" ".join(host.discovered_by)),
        f"{host.risk.score:.1f}",
        host.risk.level.value,
        str(change),
        str(status),
    ]


def _finding_cells(
    host: Host, finding: Finding, report: Report, review: Review | None
) -> list[str]:
    secret = ""
    if finding.secret is not None:
        secret = finding.secret if report.show_secrets else SECRET_MASK
    change = "" if review is None else (review.finding_change(host.ip, finding) or "")
    check = None if review is None else review.finding_check(host.ip, finding)
    return [
        safe_cell(finding.id),
        finding.severity.value,
        finding.confidence.value,
        safe_cell(finding.title),
        "" if finding.port is None else str(finding.port),
        safe_cell(" ".join(finding.cves)),
        safe_cell(finding.evidence),
        safe_cell(finding.remediation),
        safe_cell(" ".join(finding.references)),
        safe_cell(secret),
        str(change),
        "" if check is None else check.status.value,
        "" if check is None or check.reason is None else safe_cell(check.reason),
        "" if check is None or check.expires is None else check.expires.isoformat(),
    ]


def render_csv(report: Report, out: TextIO, *, review: Review | None = None) -> None:
    """Write the header row, then the rows in report order (hosts by address, worst first).

    With a baseline, findings fixed since then follow their device's rows with
    ``finding_change`` = ``absent``.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    empty = [""] * (len(COLUMNS) - 14)
    for host in sorted_hosts(report.hosts):
        device = _device_cells(host, review)
        findings = sorted_findings(host.findings)
        for finding in findings:
            writer.writerow(device + _finding_cells(host, finding, report, review))
        fixed = () if review is None else review.fixed_findings(host.ip)
        for change in fixed:
            writer.writerow(
                [
                    *device,
                    safe_cell(change.id),
                    change.severity.value,
                    "",
                    safe_cell(change.title),
                    "" if change.port is None else str(change.port),
                    *([""] * 5),
                    Change.ABSENT.value,
                    "",
                    "",
                    "",
                ]
            )
        if not findings and not fixed:
            writer.writerow(device + empty)
    # Devices only the baseline or the inventory knows: gone, or listed but silent.
    blank_device = [""] * 12
    if review is not None and review.baseline is not None:
        for gone in review.baseline.devices:
            if gone.state is Change.ABSENT:
                cells = [safe_cell(gone.ip), safe_cell(gone.mac or ""), *blank_device]
                cells[12] = Change.ABSENT.value
                writer.writerow(cells + empty)
    if review is not None and review.inventory is not None:
        for missing in review.inventory.devices:
            if missing.status is DeviceStatus.MISSING:
                cells = [safe_cell(missing.ip or ""), safe_cell(missing.mac or ""), *blank_device]
                cells[13] = DeviceStatus.MISSING.value
                writer.writerow(cells + empty)
