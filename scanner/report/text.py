"""The terminal report: what was found, how bad it is and what to do, in plain words.

Everything a device said is untrusted. It goes through :func:`clean_text` (escape sequences and
control characters become visible placeholders) and into rich ``Text`` objects, never into
markup strings, so a banner such as ``[bold red]`` or ``:warning:`` is shown literally and
cannot restyle or rewrite the report. With ``color=False`` rich is given no colour system at all,
so the output holds no escape bytes whatever the environment (FORCE_COLOR, a tty) says.

The report opens with what a person needs first (a verdict and a short numbered list of
actions) and keeps the rest compact: matcher internals, ids, evidence and links appear only with
``verbose``; a fix or note repeated on several findings is printed once (docs/report.md).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.models import (
    Basis,
    Confidence,
    DeviceType,
    Finding,
    Host,
    Report,
    RiskLevel,
    ServiceResult,
    Severity,
)
from scanner.report.actions import check_verdict, do_this_first, how_sure, verdict
from scanner.report.baseline import Change
from scanner.report.exposure import print_exposure
from scanner.report.inventory import DeviceStatus, FindingStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.risk import counted_severity, is_guess, outside_targets
from scanner.report.sanitize import clean_text
from scanner.report.words import (
    BLIND_SPOTS,
    CONFIDENCE_SHORT,
    DEVICE_WORDS,
    acceptance_words,
    change_words,
    device_status_words,
    discovery_lines,
    host_facts,
    local_span,
    probable_words,
    repeated_lines,
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
_VERDICT_STYLE = {
    "act": "bold red",
    "fix": "bold yellow",
    "clear": "bold green",
    "empty": "bold yellow",
    "interrupted-empty": "bold yellow",
}
_DEVICE_WORDS = DEVICE_WORDS
# Steps shown in "Do this first"; the rest are counted, and all are in the details.
_MAX_STEPS = 5
# A note about one service ("rtsp/554: 3 pairs tried ...") is a probe's log: --verbose only.
_SERVICE_NOTE = re.compile(r"^[a-z][a-z-]*/[0-9]+(/[a-z]+)?: ")
# Width of the severity column in the details ("CRITICAL" and one space).
_SEV_WIDTH = 9


def render_text(
    report: Report,
    out: TextIO,
    *,
    color: bool,
    width: int = 100,
    show_debug: bool = False,
    review: Review | None = None,
    verbose: bool = False,
    check_address: str | None = None,
) -> None:
    """Write the human-readable report to ``out``.

    Order: header, verdict, "Do this first" (one numbered line per action, grouped across
    devices), the review sections, the device table, then each device's problems with how sure
    we are and the fix, and the closing (how devices were found, blind spots, summary).

    ``color`` switches ANSI styling on (standard 16 colours) or off entirely. ``width`` is the
    line width (at least :data:`MIN_WIDTH`); no line is longer, and a wrapped line continues
    under its own text, not at the margin. ``verbose`` adds what the device said, CVE numbers,
    links, finding ids, identification evidence and discovery methods. ``show_debug`` adds each
    probe's status and, for probe bugs, the kept traceback. ``review`` (a baseline and/or
    inventory check) marks new, fixed and accepted findings and adds a section for each.
    ``check_address`` (``camsweep check``) gives the verdict safe to trust / fix these first /
    do not use for that one device.
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
    _print_verdict(console, report, check_address)
    if report.exposure is not None:
        print_exposure(console, report.exposure, verbose=verbose)  # what the internet reaches
    if review is not None:
        _print_review(console, review)
    if hosts:
        console.print(_host_table(hosts))
    fixes: dict[str, str] = {}
    for host in hosts:
        if not _has_details(host, verbose=verbose or show_debug or review is not None):
            continue  # nothing to say beyond its table row ("none")
        console.print()
        _print_host(
            console,
            host,
            show_secrets=report.show_secrets,
            show_debug=show_debug,
            review=review,
            verbose=verbose,
            fixes=fixes,
        )
    console.print()
    _print_closing(console, report, verbose=verbose)
    out.write("\n".join(line.rstrip(" ") for line in buffer.getvalue().split("\n")))


def _hanging(label: Text | str, value: Text | str, *, indent: int = 0) -> Table:
    """``label value``: a wrapped value continues under itself, not at the margin."""
    grid = Table.grid(padding=(0, 1), pad_edge=False)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(label, value)
    if not indent:
        return grid
    outer = Table.grid(pad_edge=False)
    outer.add_column(width=indent, no_wrap=True)
    outer.add_column(overflow="fold")
    outer.add_row("", grid)
    return outer


def _header(report: Report) -> Table:
    summary = report.summary
    title = Text()
    title.append(clean_text(f"{report.tool_name} {report.tool_version}", _SHORT), style="bold")
    title.append(": cameras on your network and how exposed they are")
    grid = Table.grid(padding=(0, 1), pad_edge=False)
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    targets = ", ".join(report.targets) or "(none)"
    # the router the scan read and the devices it forwards to may lie outside the targets:
    # they are reported, but "9 of 9 addresses" for a range of 8 would not add up
    outside = outside_targets(report)
    beyond = f", and {_count(outside, 'device')} outside them" if outside else ""
    grid.add_row(
        "Scanned:",
        f"{clean_text(targets, _LINE)} with the {clean_text(report.profile, _SHORT)} profile"
        + beyond,
    )
    grid.add_row("Time:", clean_text(local_span(report.started_at, report.finished_at), _LINE))
    found = (
        f"{summary.hosts_up - outside} of "
        f"{_count(summary.hosts_scanned - outside, 'address', 'addresses')} "
        f"scanned: {_count(summary.cameras, 'camera')}"
    )
    if summary.recorders:
        found += f", {_count(summary.recorders, 'video recorder')} (NVR/DVR)"
    grid.add_row("Devices found:", found)
    outer = Table.grid(pad_edge=False)
    outer.add_column(overflow="fold")
    outer.add_row(title)
    outer.add_row(grid)
    return outer


def _print_verdict(console: Console, report: Report, check_address: str | None) -> None:
    found = verdict(report) if check_address is None else check_verdict(report, check_address)
    console.print(
        _hanging(Text("Verdict:", style="bold"), Text(found.text, style=_VERDICT_STYLE[found.kind]))
    )
    if report.interrupted:
        console.print(
            Text(
                "Interrupted (Ctrl-C): this report holds only what was found before the stop.",
                style="bold yellow",
            )
        )
    steps = do_this_first(report.hosts)
    if steps:
        console.print()
        console.print(Text("Do this first", style="bold"))
        for number, step in enumerate(steps[:_MAX_STEPS], start=1):
            console.print(
                _hanging(
                    Text(f"{number:>2}.", style=_SEVERITY_STYLE[step.severity]),
                    Text(clean_text(step.text, _LINE)),
                )
            )
        if len(steps) > _MAX_STEPS:
            rest = len(steps) - _MAX_STEPS
            console.print(Text(f"    and {_count(rest, 'more step')}: see the details below"))
    console.print()


def _host_table(hosts: list[Host]) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
        padding=(0, 1, 0, 0),
    )
    table.add_column(Text("Address"), overflow="fold", no_wrap=True)
    table.add_column(Text("Device"), overflow="fold")
    table.add_column(Text("Open services"), overflow="fold")
    table.add_column(Text("Risk"), no_wrap=True)
    for host in hosts:
        table.add_row(
            Text(clean_text(host.ip, _SHORT)),
            Text(_device_label(host, kind=False)),
            Text(_services_summary(host.services)),
            _risk_text(host),
        )
    return table


def _device_label(host: Host, *, kind: bool = True) -> str:
    """``Dahua IPC-HDW4431C-A camera``; ``unidentified camera``; ``unknown device``; without
    ``kind`` (the table, which fits more that way) a named device is just its name."""
    ident = host.identification
    name = " ".join(clean_text(v, _SHORT) for v in (ident.vendor, ident.model) if v)
    type_word = (
        _DEVICE_WORDS[ident.device_type] if ident.device_type is not DeviceType.UNKNOWN else ""
    )
    if name:
        return f"{name} {type_word}".rstrip() if kind else name
    return f"unidentified {type_word or 'device'}"


def _services_summary(services: Iterable[ServiceResult]) -> str:
    seen: list[str] = []
    for service in sorted_services(services):
        label = f"{service.protocol.value}/{service.port}"
        if service.transport != "tcp":  # a discovery answer: its transport says enough
            label = f"{clean_text(service.transport, 8)}/{service.port}"
        if label not in seen:
            seen.append(label)
    return " ".join(seen) or "none"


def _risk_text(host: Host) -> Text:
    level = host.risk.level
    if level is RiskLevel.NONE:
        return Text("none", style=_RISK_STYLE[level])
    return Text(f"{level.value.upper()} {host.risk.score:.1f}", style=_RISK_STYLE[level])


def _host_title(host: Host, *, verbose: bool) -> Text:
    title = Text()
    title.append(_device_label(host))
    for label, text in host_facts(host):
        if label == "found by" and not verbose:
            continue  # how it was found is jargon unless asked for
        title.append(f", {label} {clean_text(text, 2 * _SHORT)}")
    return title


def _print_host(
    console: Console,
    host: Host,
    *,
    show_secrets: bool,
    show_debug: bool,
    review: Review | None = None,
    verbose: bool = False,
    fixes: dict[str, str] | None = None,
) -> None:
    findings = sorted_findings(host.findings)
    problems = [f for f in findings if f.severity is not Severity.INFO]
    infos = [f for f in findings if f.severity is Severity.INFO]
    title = _host_title(host, verbose=verbose)
    if review is not None:
        for mark in (
            change_words(review.device_change(host.ip), "device"),
            device_status_words(review.device_status(host.ip)),
        ):
            if mark:
                title.append(f" [{mark}]", style="bold yellow")
    # "10.0.0.5 HIGH 8.6: Dahua IPC-HDW4431C-A camera, firmware ...": address and risk first.
    address = Text(clean_text(host.ip, _SHORT), style="bold")
    if problems:
        lead = _risk_text(host)
        lead.append(":")
        lead.append_text(Text(" ").append_text(title))
        console.print(_hanging(address, lead))
        grid = Table.grid(padding=(0, 0), pad_edge=False)
        grid.add_column(no_wrap=True, width=_SEV_WIDTH)
        grid.add_column(overflow="fold")
        guesses = [] if verbose or review is not None else _grouped_guesses(problems)
        for finding in problems:
            if finding in guesses:
                if finding is guesses[0]:
                    severity = max((counted_severity(f) for f in guesses), key=lambda v: v.rank)
                    grid.add_row(
                        Text(severity.value.upper(), style=_SEVERITY_STYLE[severity]),
                        _guesses_text(guesses),
                    )
                continue
            grid.add_row(
                Text(finding.severity.value.upper(), style=_SEVERITY_STYLE[finding.severity]),
                _finding_text(
                    finding,
                    show_secrets=show_secrets,
                    marks=_marks(host, finding, review),
                    verbose=verbose,
                    fix_seen=_seen_fix(fixes, finding, host.ip, shown=_shows_fix(finding, verbose)),
                ),
            )
        console.print(grid)
    else:
        lead = Text("no problems:", style=_RISK_STYLE[RiskLevel.NONE])
        lead.append_text(Text(" ").append_text(title))
        console.print(_hanging(address, lead))
    if verbose and host.identification.identified_by:
        console.print(
            _hanging(
                "  Identified by:", _block("\n".join(host.identification.identified_by)), indent=0
            )
        )
    if infos:
        console.print(Text("  For your information:", style="bold"))
        for finding in infos:
            console.print(_hanging("  -", clean_text(finding.title, _LINE)))
    if review is not None:
        for fixed in review.fixed_findings(host.ip):
            console.print(
                Text(
                    f"  Fixed since the baseline: {clean_text(fixed.title, _LINE)} "
                    f"({clean_text(fixed.id, _SHORT)})",
                    style="green",
                )
            )
    for note in repeated_lines(_visible_notes(host, verbose)):
        # A note already printed for another device is one short line here.
        first = None if fixes is None else fixes.setdefault(f"note:{note}", host.ip)
        said = note if first in (None, host.ip) else f"the same note as for {first} above"
        console.print(_hanging("  Note:", clean_text(said, _LINE)))
    if show_debug:
        _print_debug(console, host)


def _grouped_guesses(problems: list[Finding]) -> list[Finding]:
    """Two or more flaws guessed from the same banner or model name are one entry by default:
    they share what they rest on and the first step (look for a firmware update)."""
    guesses = [f for f in problems if is_guess(f) and f.basis in (Basis.BANNER, Basis.MODEL)]
    return guesses if len(guesses) > 1 else []


def _guesses_text(guesses: list[Finding]) -> Text:
    source = "banner" if guesses[0].basis is Basis.BANNER else "model name"
    text = Text()
    text.append(f"{len(guesses)} flaws known for this product", style="bold")
    capped = any(counted_severity(f) is not f.severity for f in guesses)
    text.append(f", possible ({source} only{', counted as high' if capped else ''}): ")
    text.append("; ".join(clean_text(f.title, _SHORT) for f in guesses))
    text.append("\nFix: ", style="bold")
    text.append("look for a firmware update from the maker")
    return text


def _has_details(host: Host, *, verbose: bool) -> bool:
    """A device gets a section for a problem, a note, or a guess about what it is (the
    generic classifier's "probable camera: ..." and its clues)."""
    return (
        verbose
        or any(f.severity is not Severity.INFO for f in host.findings)
        or bool(_visible_notes(host, verbose))
        or probable_words(host.identification.identified_by) is not None
    )


def _visible_notes(host: Host, verbose: bool) -> list[str]:
    """A host's notes, without the per-service probe logs unless ``verbose``."""
    return [n for n in host.notes if verbose or not _SERVICE_NOTE.match(n)]


def _shows_fix(finding: Finding, verbose: bool) -> bool:  # noqa: ARG001
    """Fix texts are printed with --verbose; the default report's fix is its step."""
    return verbose


def _seen_fix(
    fixes: dict[str, str] | None, finding: Finding, ip: str, *, shown: bool = True
) -> str | None:
    """Where this fix was already printed ("above" on the same device), else None (and remember
    it): one fix text repeated on several findings is printed once."""
    if fixes is None or not finding.remediation:
        return None
    first = fixes.get(finding.remediation)
    if first is None:
        if shown:
            fixes[finding.remediation] = ip
        return None
    return "above" if first == ip else f"for {first} above"


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


def _finding_text(
    finding: Finding,
    *,
    show_secrets: bool,
    marks: list[str] | None = None,
    verbose: bool = False,
    fix_seen: str | None = None,
) -> Text:
    """One problem. Without ``verbose``: its title, port and how sure in one (wrapped) line,
    plus the working password when there is one; the fix is the "Do this first" step and its
    whole text, the evidence, CVEs, links and id come with ``verbose``."""
    text = Text()
    text.append(clean_text(finding.title, _LINE), style="bold")
    if finding.port is not None:
        text.append(f" (port {finding.port})")
    for mark in marks or ():
        text.append(f" [{mark}]", style="bold yellow")
    if not verbose:
        text.append(f", {_short_sure(finding)}")
    else:
        text.append(f"\nHow sure: {how_sure(finding)}")
    if verbose and finding.evidence:
        text.append("\nWhat we saw: ")
        text.append(_block(finding.evidence))
    if finding.secret is not None:
        text.append("\nWorking password: ")
        if show_secrets:
            text.append(clean_text(finding.secret, _SHORT))
        else:
            text.append(f"{SECRET_MASK} (shown with --show-secrets)")
    if verbose and finding.remediation:
        text.append("\nFix: ", style="bold")
        text.append(_block(finding.remediation) if fix_seen is None else f"the same as {fix_seen}")
    if verbose:
        if finding.cves:
            text.append(f"\nCVE: {clean_text(', '.join(finding.cves), _LINE)}")
        for reference in finding.references[:_MAX_LINES]:
            text.append(f"\nMore: {clean_text(reference, _LINE)}")
        text.append(f"\nId: {clean_text(finding.id, _SHORT)}", style="dim")
    return text


def _short_sure(finding: Finding) -> str:
    """``confirmed``, ``likely``, ``possible (banner only)``; the whole "How sure" is --verbose."""
    word = CONFIDENCE_SHORT[finding.confidence]
    if finding.confidence is not Confidence.CONFIRMED and finding.basis in _BASIS_SHORT:
        word += f" ({_BASIS_SHORT[finding.basis]})"
    if counted_severity(finding) is not finding.severity:
        word += f", counted as {counted_severity(finding).value}"
    return word


_BASIS_SHORT = {
    Basis.FIRMWARE: "firmware version",
    Basis.MODEL: "model name only",
    Basis.BANNER: "banner only",
    Basis.PORT: "port number",
}


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


def _print_closing(console: Console, report: Report, *, verbose: bool) -> None:
    if report.discovery:
        console.print(Text("How devices were found", style="bold"))
        for line in discovery_lines(report.discovery, verbose=verbose):
            console.print(_hanging(" ", clean_text(line, _LINE)))
        console.print()
    console.print(Text("What a network scan cannot see", style="bold"))
    console.print(Text(BLIND_SPOTS))
    notes = [n for n in report.notes if verbose or not n.startswith("discovery: ")]
    for note in repeated_lines(notes):
        console.print(_hanging("Note:", clean_text(note, _LINE)))
    console.print()
    counts = report.summary.findings_by_severity
    problems = [s for s in Severity if s is not Severity.INFO]
    total = sum(counts.get(s.value, 0) for s in problems)
    infos = counts.get(Severity.INFO.value, 0)
    summary = Text()
    if not report.hosts:
        summary.append("nothing answered, so nothing was checked")
    elif total == 0:
        summary.append("no problems found")
    else:
        breakdown = ", ".join(
            f"{counts.get(s.value, 0)} {s.value}" for s in problems if counts.get(s.value, 0)
        )
        summary.append(f"{_count(total, 'problem')} ({breakdown})")
    if infos:
        summary.append(f", {_count(infos, 'note')} for your information")
    summary.append(".")
    if report.interrupted:
        summary.append(" The scan was interrupted: devices may be missing.")
    console.print(_hanging(Text("Summary:", style="bold"), summary))
    if not verbose and report.hosts:
        console.print(
            Text("How to fix each problem, what each device said, CVEs and links: --verbose.")
        )
