"""The terminal report: what was found, how bad it is and what to do, in plain words.

Everything a device said is untrusted. It goes through :func:`clean_text` (escape sequences and
control characters become visible placeholders) and into rich ``Text`` objects, never into
markup strings, so a banner such as ``[bold red]`` or ``:warning:`` is shown literally and
cannot restyle or rewrite the report. With ``color=False`` rich is given no colour system at all,
so the output holds no escape bytes whatever the environment (FORCE_COLOR, a tty) says.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.models import (
    DeviceType,
    Finding,
    Host,
    Report,
    RiskLevel,
    ServiceResult,
    Severity,
)
from scanner.report.baseline import Change
from scanner.report.exposure import print_exposure
from scanner.report.inventory import DeviceStatus, FindingStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.sanitize import clean_text
from scanner.report.words import (
    BLIND_SPOTS,
    CONFIDENCE_WORDS,
    DEVICE_WORDS,
    acceptance_words,
    change_words,
    device_status_words,
    discovery_words,
    host_facts,
)
from scanner.report.words import plural as _count

__all__ = ["MIN_WIDTH", "render_text"]

# Narrower than this and the host table cannot fit even one word per column.
MIN_WIDTH = 40

# Length caps for device text on screen: enough to recognise the value, short enough that a
# hostile 64 KiB "title" cannot bury the rest of the report.
_SHORT = 60  # vendor, model, hostnames in the table and headings
_LINE = 400  # one line of evidence or remediation
_MAX_LINES = 20  # lines per evidence / remediation / debug block

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_RISK_STYLE = {
    RiskLevel.CRITICAL: "bold red",
    RiskLevel.HIGH: "red",
    RiskLevel.MEDIUM: "yellow",
    RiskLevel.LOW: "cyan",
    RiskLevel.NONE: "green",
}
_CONFIDENCE_WORDS = CONFIDENCE_WORDS
_DEVICE_WORDS = DEVICE_WORDS
_BLIND_SPOTS = BLIND_SPOTS


def render_text(
    report: Report,
    out: TextIO,
    *,
    color: bool,
    width: int = 100,
    show_debug: bool = False,
    review: Review | None = None,
) -> None:
    """Write the human-readable report to ``out``.

    ``color`` switches ANSI styling on (standard 16 colours) or off entirely. ``width`` is the
    line width (at least :data:`MIN_WIDTH`). ``show_debug`` adds each probe's status, reason
    and, for probe bugs, the kept traceback. ``review`` (a baseline and/or inventory check)
    marks new, fixed and accepted findings and adds a section for each.
    """
    # Rendered into a buffer first so that the padding rich adds to table cells can be trimmed
    # from line ends: plain-text reports get saved, mailed and diffed.
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        force_jupyter=False,
        force_interactive=False,
        no_color=not color,
        color_system="standard" if color else None,
        width=max(MIN_WIDTH, width),
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    hosts = sorted_hosts(report.hosts)
    console.print(_header(report))
    console.print()
    if report.exposure is not None:
        print_exposure(console, report.exposure)  # first: what the internet can reach
    if review is not None:
        _print_review(console, review)
    if hosts:
        console.print(_host_table(hosts))
    else:
        console.print(Text("No device answered on the addresses scanned."))
    for host in hosts:
        console.print()
        _print_host(
            console, host, show_secrets=report.show_secrets, show_debug=show_debug, review=review
        )
    console.print()
    _print_closing(console, report)
    out.write("\n".join(line.rstrip(" ") for line in buffer.getvalue().split("\n")))


def _header(report: Report) -> Text:
    summary = report.summary
    text = Text()
    text.append(clean_text(f"{report.tool_name} {report.tool_version}", _SHORT), style="bold")
    text.append(": cameras on your network and how exposed they are\n")
    targets = ", ".join(report.targets) or "(none)"
    _label(text, "Scanned", clean_text(targets, _LINE))
    _label(text, "Profile", clean_text(report.profile, _SHORT))
    _label(
        text,
        "Time",
        f"{clean_text(report.started_at, _SHORT)} to {clean_text(report.finished_at, _SHORT)}",
    )
    _label(
        text,
        "Devices found",
        f"{summary.hosts_up} (of {summary.hosts_scanned} addresses scanned)",
    )
    cameras = f"{summary.cameras} {_plural(summary.cameras, 'camera')}"
    if summary.recorders:
        recorders = _plural(summary.recorders, "video recorder")
        cameras += f", {summary.recorders} {recorders} (NVR/DVR)"
    _label(text, "Cameras found", cameras, newline=False)
    return text


def _label(text: Text, label: str, value: str, *, newline: bool = True) -> None:
    text.append(f"{label}: ", style="bold")
    text.append(value)
    if newline:
        text.append("\n")


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _host_table(hosts: list[Host]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for name in ("Address", "Vendor", "Model", "Type", "Open services", "Risk"):
        table.add_column(Text(name), overflow="fold")
    for host in hosts:
        ident = host.identification
        table.add_row(
            Text(clean_text(host.ip, _SHORT)),
            Text(clean_text(ident.vendor or "-", _SHORT)),
            Text(clean_text(ident.model or "-", _SHORT)),
            Text(_DEVICE_WORDS[ident.device_type]),
            Text(_services_summary(host.services)),
            _risk_text(host),
        )
    return table


def _services_summary(services: Iterable[ServiceResult]) -> str:
    seen: list[str] = []
    for service in sorted_services(services):
        label = f"{service.protocol.value}/{service.port}"
        if service.transport != "tcp":
            label += f"/{clean_text(service.transport, 8)}"
        if label not in seen:
            seen.append(label)
    return " ".join(seen) or "none"


def _risk_text(host: Host) -> Text:
    level = host.risk.level
    if level is RiskLevel.NONE:
        return Text("none", style=_RISK_STYLE[level])
    return Text(f"{level.value.upper()} {host.risk.score:.1f}", style=_RISK_STYLE[level])


def _host_title(host: Host) -> Text:
    ident = host.identification
    title = Text()
    title.append(clean_text(host.ip, _SHORT), style="bold")
    name = " ".join(v for v in (ident.vendor, ident.model) if v)
    if name:
        title.append(f"  {clean_text(name, 2 * _SHORT)}")
    else:
        title.append("  unidentified device")
    if ident.device_type is not DeviceType.UNKNOWN:
        title.append(f" ({_DEVICE_WORDS[ident.device_type]})")
    for label, text in host_facts(host):
        title.append(f", {label} {clean_text(text, 2 * _SHORT)}")
    return title


def _print_host(
    console: Console,
    host: Host,
    *,
    show_secrets: bool,
    show_debug: bool,
    review: Review | None = None,
) -> None:
    findings = sorted_findings(host.findings)
    problems = [f for f in findings if f.severity is not Severity.INFO]
    infos = [f for f in findings if f.severity is Severity.INFO]
    title = _host_title(host)
    if review is not None:
        for mark in (
            change_words(review.device_change(host.ip), "device"),
            device_status_words(review.device_status(host.ip)),
        ):
            if mark:
                title.append(f" [{mark}]", style="bold yellow")
    if problems:
        title.append("  risk: ")
        title.append_text(_risk_text(host))
        title.append(" of 10")
        console.print(title)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, min_width=8)
        grid.add_column(overflow="fold")
        for finding in problems:
            grid.add_row(
                Text(finding.severity.value.upper(), style=_SEVERITY_STYLE[finding.severity]),
                _finding_text(
                    finding, show_secrets=show_secrets, marks=_marks(host, finding, review)
                ),
            )
        console.print(grid)
    else:
        title.append(": ")
        title.append("no problems found", style=_RISK_STYLE[RiskLevel.NONE])
        console.print(title)
    if infos:
        console.print(Text("  For your information:", style="bold"))
        for finding in infos:
            console.print(Text(f"  - {clean_text(finding.title, _LINE)}"))
    if review is not None:
        for fixed in review.fixed_findings(host.ip):
            console.print(
                Text(
                    f"  Fixed since the baseline: {clean_text(fixed.title, _LINE)} "
                    f"({clean_text(fixed.id, _SHORT)})",
                    style="green",
                )
            )
    for note in host.notes:
        console.print(Text(f"  Note: {clean_text(note, _LINE)}"))
    if show_debug:
        _print_debug(console, host)


def _marks(host: Host, finding: Finding, review: Review | None) -> list[str]:
    if review is None:
        return []
    marks = []
    if review.finding_change(host.ip, finding) is Change.NEW:
        marks.append("NEW")
    check = review.finding_check(host.ip, finding)
    if check is not None and check.status is not FindingStatus.UNACCEPTED:
        marks.append(acceptance_words(check))
    return [clean_text(mark, _LINE) for mark in marks]


def _finding_text(finding: Finding, *, show_secrets: bool, marks: list[str] | None = None) -> Text:
    text = Text()
    text.append(clean_text(finding.title, _LINE), style="bold")
    if finding.port is not None:
        text.append(f" (port {finding.port})")
    for mark in marks or ():
        text.append(f" [{mark}]", style="bold yellow")
    text.append("\nHow sure: ")
    text.append(_CONFIDENCE_WORDS[finding.confidence])
    if finding.evidence:
        text.append("\nWhat we saw: ")
        text.append(_block(finding.evidence))
    if finding.secret is not None:
        text.append("\nWorking password: ")
        text.append(clean_text(finding.secret, _SHORT) if show_secrets else SECRET_MASK)
    if finding.remediation:
        text.append("\nFix: ", style="bold")
        text.append(_block(finding.remediation))
    if finding.cves:
        text.append(f"\nCVE: {clean_text(', '.join(finding.cves), _LINE)}")
    for reference in finding.references[:_MAX_LINES]:
        text.append(f"\nMore: {clean_text(reference, _LINE)}")
    text.append(f"\nId: {clean_text(finding.id, _SHORT)}", style="dim")
    return text


def _block(value: str) -> str:
    """Clean multi-line text line by line (our own line breaks survive, device ones do not)."""
    lines = value.splitlines() if value else [""]
    kept = [clean_text(line, _LINE) for line in lines[:_MAX_LINES]]
    if len(lines) > _MAX_LINES:
        kept.append(f"(and {len(lines) - _MAX_LINES} more lines)")
    return "\n".join(kept)


def _print_debug(console: Console, host: Host) -> None:
    services = sorted_services(host.services)
    if not services:
        return
    console.print(Text("  Probe details:", style="dim"))
    for service in services:
        line = f"  {service.protocol.value}/{service.port}: {service.status.value}"
        if service.reason:
            line += f" ({clean_text(service.reason, _LINE)})"
        console.print(Text(line, style="dim"))
        if service.debug:
            for debug_line in _block(service.debug).split("\n"):
                console.print(Text(f"    {debug_line}", style="dim"))


def _print_review(console: Console, review: Review) -> None:
    if review.baseline is not None:
        diff = review.baseline
        new, gone = diff.count(Change.NEW), diff.count(Change.ABSENT)
        console.print(
            Text(
                f"Changes since the scan of {clean_text(diff.baseline_started_at, _SHORT)}",
                style="bold",
            )
        )
        console.print(
            Text(
                f"New: {_count(new['devices'], 'device')}, "
                f"{_count(new['services'], 'open service')}, "
                f"{_count(new['findings'], 'finding')}. Fixed or gone: "
                f"{_count(gone['devices'], 'device')}, {_count(gone['services'], 'service')}, "
                f"{_count(gone['findings'], 'finding')}."
            )
        )
        for device in diff.devices:
            line = ""
            if device.state is Change.ABSENT:
                line = f"Gone: {device.ip} ({device.label})"
            elif device.state is Change.NEW:
                line = f"New device: {device.ip} ({device.label})"
            elif device.previous_ip:
                line = f"Moved: {device.label} from {device.previous_ip} to {device.ip}"
            if line:
                console.print(Text(f"  {clean_text(line, _LINE)}"))
        console.print()
    if review.inventory is not None:
        check = review.inventory
        console.print(Text(f"Inventory (as of {check.checked_on.isoformat()})", style="bold"))
        console.print(
            Text(
                f"{_count(check.count(DeviceStatus.EXPECTED), 'expected device')} answered, "
                f"{check.count(DeviceStatus.UNEXPECTED)} unexpected, "
                f"{check.count(DeviceStatus.MISSING)} missing; "
                f"{_count(check.count(FindingStatus.ACCEPTED), 'accepted finding')}, "
                f"{check.count(FindingStatus.EXPIRED)} with an expired acceptance."
            )
        )
        for entry in check.devices:
            who = entry.name or entry.ip or entry.mac or "?"
            if entry.status is DeviceStatus.UNEXPECTED:
                line = f"Unexpected: {who} ({entry.label})"
            elif entry.status is DeviceStatus.MISSING:
                line = f"Missing: {who} (inventory line {entry.line})"
            else:
                continue
            console.print(Text(f"  {clean_text(line, _LINE)}"))
        for acceptance in check.unused:
            console.print(
                Text(
                    f"  Unused acceptance of {clean_text(acceptance.finding, _SHORT)} "
                    f"(inventory line {acceptance.line}): nothing matched it"
                )
            )
        console.print()


def _print_closing(console: Console, report: Report) -> None:
    if report.discovery:
        console.print(Text("How devices were found", style="bold"))
        for run in report.discovery:
            console.print(Text(f"  {clean_text(discovery_words(run), _LINE)}"))
        console.print()
    console.print(Text("What a network scan cannot see", style="bold"))
    console.print(Text(_BLIND_SPOTS))
    for note in report.notes:
        console.print(Text(f"Note: {clean_text(note, _LINE)}"))
    console.print()
    counts = report.summary.findings_by_severity
    problems = [s for s in Severity if s is not Severity.INFO]
    total = sum(counts.get(s.value, 0) for s in problems)
    infos = counts.get(Severity.INFO.value, 0)
    summary = Text("Summary: ", style="bold")
    if total == 0:
        summary.append("no problems found")
    else:
        breakdown = ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in problems)
        summary.append(f"{total} {_plural(total, 'problem')} ({breakdown})")
    if infos:
        summary.append(f", {infos} {_plural(infos, 'note')} for your information")
    summary.append(". Highest risk: ")
    level = report.summary.highest_risk
    summary.append(level.value.upper(), style=_RISK_STYLE[level])
    summary.append(".")
    console.print(summary)
