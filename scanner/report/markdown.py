"""The markdown report: short enough for a ticket or a chat message, complete enough to act on.

GitHub-flavoured markdown (tables, headings, lists). Device text is first cleaned of control
and bidi characters (:func:`clean_text`), then every character markdown or inline HTML could
act on is backslash-escaped (CommonMark 0.31 section 2.4: any ASCII punctuation may be
escaped), and line breaks are folded, so a banner like ``<img src=x onerror=...>``, ``[click](
http://evil)`` or ``| fake | cell |`` shows as the text it is and cannot add markup, links or
table cells. Only reference URLs that are plain ``http(s)`` addresses become links.
"""

from __future__ import annotations

import re
from typing import TextIO

from scanner.models import Confidence, Finding, Host, Report, RiskLevel, Severity
from scanner.report.actions import do_this_first, how_sure, nothing_found_line, verdict
from scanner.report.baseline import Change
from scanner.report.exposure import exposure_markdown
from scanner.report.inventory import DeviceStatus, FindingStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.risk import outside_targets
from scanner.report.sanitize import clean_text
from scanner.report.words import (
    BLIND_SPOTS,
    CONFIDENCE_SHORT,
    DEVICE_WORDS,
    acceptance_words,
    change_words,
    device_status_words,
    discovery_words,
    host_facts,
    plural,
)

__all__ = ["md", "render_markdown"]

_SHORT = 80
_LINE = 600
# The ASCII punctuation that can open or close markup inside a line: emphasis (* _ ~), code
# spans (`), links and images ([ ]: without them "(" and "!" mean nothing), raw HTML and
# autolinks (< >), entities (&), table cells (|), closing heading sequences (#), and the
# backslash itself. Line-start markers (-, +, 1.) need no escape: device text never starts a
# line here. Fewer escapes keep the text readable where a chat shows markdown source.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_SAFE_URL = re.compile(r"^https?://[^\s<>()\[\]`\\]+$")


def md(value: str, limit: int = _LINE) -> str:
    """Device (or any untrusted) text as inert markdown on one line."""
    cleaned = clean_text(" ".join(value.split()), limit)
    return _SPECIAL.sub(r"\\\1", cleaned)


def _link(url: str) -> str:
    if _SAFE_URL.match(url) and len(url) <= _LINE:
        return f"<{url}>"
    return md(url)


def _finding_lines(
    host: Host, finding: Finding, report: Report, review: Review | None
) -> list[str]:
    head = f"- **{finding.severity.value.upper()}** {md(finding.title)}"
    if finding.port is not None:
        head += f" (port {finding.port})"
    head += f", {CONFIDENCE_SHORT[finding.confidence]}"
    marks: list[str] = []
    if review is not None:
        change = review.finding_change(host.ip, finding)
        if change is Change.NEW:
            marks.append("**NEW**")
        check = review.finding_check(host.ip, finding)
        if check is not None and (
            check.status is not FindingStatus.UNACCEPTED or finding.severity is not Severity.INFO
        ):
            marks.append(f"_{md(acceptance_words(check))}_")
    if marks:
        head += " " + " ".join(marks)
    lines = [head]
    if finding.confidence is not Confidence.CONFIRMED:
        lines.append(f"  - How sure: {md(how_sure(finding))}")
    if finding.evidence:
        lines.append(f"  - What we saw: {md(finding.evidence)}")
    if finding.secret is not None:
        secret = finding.secret if report.show_secrets else f"{SECRET_MASK} (--show-secrets)"
        lines.append(f"  - Working password: {md(secret, _SHORT)}")
    if finding.remediation:
        lines.append(f"  - **Fix:** {md(finding.remediation)}")
    if finding.cves:
        lines.append(f"  - CVE: {md(', '.join(finding.cves))}")
    lines.extend(f"  - More: {_link(r)}" for r in finding.references[:10])
    lines.append(f"  - Id: {md(finding.id, _SHORT)}")
    return lines


def _first_steps(report: Report) -> list[str]:
    """The verdict and the numbered "Do this first" list, as in the terminal and HTML."""
    lines = [f"**Verdict:** {md(verdict(report).text)}", ""]
    if report.interrupted:
        lines += ["**Interrupted (Ctrl-C):** only what was found before the stop.", ""]
    steps = do_this_first(report.hosts)
    if steps:
        lines += ["## Do this first", ""]
        lines += [f"{n}. {md(step.text)}" for n, step in enumerate(steps, start=1)]
        lines.append("")
    return lines


def _services(host: Host, review: Review | None) -> str:
    labels: list[str] = []
    for service in sorted_services(host.services):
        label = f"{service.protocol.value}/{service.port}"
        if service.transport != "tcp":
            label += f"/{md(service.transport, 8)}"
        if (
            review is not None
            and review.service_change(host.ip, service.port, service.transport) is Change.NEW
        ):
            label += " (new)"
        if label not in labels:
            labels.append(label)
    return ", ".join(labels) or "none"


def _risk(host: Host) -> str:
    if host.risk.level is RiskLevel.NONE:
        return "none"
    return f"{host.risk.level.value.upper()} {host.risk.score:.1f}"


def _host_section(host: Host, report: Report, review: Review | None) -> list[str]:
    ident = host.identification
    name = " ".join(v for v in (ident.vendor, ident.model) if v) or "unidentified device"
    heading = f"### {md(host.ip, _SHORT)}: {md(name, _SHORT)} ({DEVICE_WORDS[ident.device_type]})"
    lines = [heading, ""]
    facts: list[str] = [f"Risk: **{_risk(host)}**"]
    facts.extend(f"{label} {md(text, _SHORT)}" for label, text in host_facts(host))
    facts.append(f"open services: {_services(host, review)}")
    if review is not None:
        change = change_words(review.device_change(host.ip), "device")
        if change:
            facts.append(f"**{change}**")
        status = device_status_words(review.device_status(host.ip))
        if status:
            facts.append(f"**{status}**")
    lines.append(" · ".join(facts))
    lines.append("")
    findings = sorted_findings(host.findings)
    if findings:
        for finding in findings:
            lines.extend(_finding_lines(host, finding, report, review))
    else:
        lines.append("No problems found.")
    if review is not None:
        lines.extend(
            f"- ~~{md(fixed.title)}~~ fixed since the baseline (id {md(fixed.id)})"
            for fixed in review.fixed_findings(host.ip)
        )
    lines.extend(f"- Note: {md(note)}" for note in host.notes)
    lines.append("")
    return lines


def _review_lines(review: Review) -> list[str]:
    lines: list[str] = []
    if review.baseline is not None:
        diff = review.baseline
        new, gone = diff.count(Change.NEW), diff.count(Change.ABSENT)
        lines.append(f"## Changes since the scan of {md(diff.baseline_started_at, _SHORT)}")
        lines.append("")
        lines.append(
            f"New: {plural(new['devices'], 'device')}, {plural(new['services'], 'open service')}, "
            f"{plural(new['findings'], 'finding')}. Fixed or gone: "
            f"{plural(gone['devices'], 'device')}, {plural(gone['services'], 'service')}, "
            f"{plural(gone['findings'], 'finding')}."
        )
        lines.append("")
        for device in diff.devices:
            if device.state is Change.ABSENT:
                lines.append(
                    f"- Gone: {md(device.ip, _SHORT)} ({md(device.label, _SHORT)}) "
                    "did not answer this time"
                )
            elif device.state is Change.NEW:
                lines.append(f"- New device: {md(device.ip, _SHORT)} ({md(device.label, _SHORT)})")
            elif device.previous_ip:
                lines.append(
                    f"- Moved: {md(device.label, _SHORT)} from {md(device.previous_ip, _SHORT)} "
                    f"to {md(device.ip, _SHORT)}"
                )
        lines.append("")
    if review.inventory is not None:
        check = review.inventory
        lines.append(f"## Inventory (as of {check.checked_on.isoformat()})")
        lines.append("")
        lines.append(
            f"{plural(check.count(DeviceStatus.EXPECTED), 'expected device')} answered, "
            f"{plural(check.count(DeviceStatus.UNEXPECTED), 'unexpected device')}, "
            f"{check.count(DeviceStatus.MISSING)} missing; "
            f"{plural(check.count(FindingStatus.ACCEPTED), 'accepted finding')}, "
            f"{check.count(FindingStatus.EXPIRED)} with an expired acceptance."
        )
        lines.append("")
        for entry in check.devices:
            who = md(entry.name or entry.ip or entry.mac or "?", _SHORT)
            if entry.status is DeviceStatus.UNEXPECTED:
                lines.append(f"- Unexpected: {who} ({md(entry.label, _SHORT)})")
            elif entry.status is DeviceStatus.MISSING:
                lines.append(f"- Missing: {who} (inventory line {entry.line})")
        lines.extend(
            f"- Unused acceptance of {md(acceptance.finding, _SHORT)} "
            f"(inventory line {acceptance.line}): nothing matched it"
            for acceptance in check.unused
        )
        lines.append("")
    return lines


def render_markdown(report: Report, out: TextIO, *, review: Review | None = None) -> None:
    """Write the report as GitHub-flavoured markdown."""
    summary = report.summary
    outside = outside_targets(report)  # the router and its forwards, beside the targets
    hosts = sorted_hosts(report.hosts)
    counts = summary.findings_by_severity
    lines = [
        f"# {md(report.tool_name, _SHORT)} report",
        "",
        f"Scanned {md(', '.join(report.targets) or '(none)')} with the "
        f"{md(report.profile, _SHORT)} profile, {md(report.started_at, _SHORT)} to "
        f"{md(report.finished_at, _SHORT)} ({md(report.tool_name, _SHORT)} "
        f"{md(report.tool_version, _SHORT)}).",
        "",
        f"**{plural(summary.hosts_up - outside, 'device')}** answered of "
        f"{summary.hosts_scanned - outside} addresses"
        + (
            f" (and {outside} outside them: the router, or a device it forwards to)"
            if outside
            else ""
        )
        + f": {plural(summary.cameras, 'camera')}, "
        f"{plural(summary.recorders, 'video recorder')}. "
        f"Highest risk: **{summary.highest_risk.value.upper()}**.",
        "",
        "| Severity | Findings |",
        "|---|---:|",
        *(f"| {s.value} | {counts.get(s.value, 0)} |" for s in Severity),
        "",
        *_first_steps(report),
    ]
    if report.exposure is not None:  # first: what the internet can reach
        lines.extend(exposure_markdown(report.exposure, md))
    if review is not None:
        lines.extend(_review_lines(review))
    lines.append("## Devices")
    lines.append("")
    if hosts:
        lines.append("| Address | Vendor | Model | Type | Open services | Risk |")
        lines.append("|---|---|---|---|---|---|")
        for host in hosts:
            ident = host.identification
            lines.append(
                f"| {md(host.ip, _SHORT)} | {md(ident.vendor or '-', _SHORT)} | "
                f"{md(ident.model or '-', _SHORT)} | {DEVICE_WORDS[ident.device_type]} | "
                f"{_services(host, review)} | {_risk(host)} |"
            )
        lines.append("")
        for host in hosts:
            lines.extend(_host_section(host, report, review))
    else:
        lines.append(f"{md(nothing_found_line(report))}.")
        lines.append("")
    if report.discovery:
        lines.append("## How devices were found")
        lines.append("")
        lines.extend(f"- {md(discovery_words(run))}" for run in report.discovery)
        lines.append("")
    lines.append("## What a network scan cannot see")
    lines.append("")
    lines.append(BLIND_SPOTS)
    lines.extend(f"\nNote: {md(note)}" for note in report.notes)
    out.write("\n".join(lines).rstrip("\n") + "\n")
