"""The HTML report: one self-contained page to keep, mail or attach to a ticket.

No scripts, no external assets (fonts, images, stylesheets): the page opens offline and tells
nobody that it was opened. Device text is cleaned of control and bidi characters
(:func:`clean_text`) and then HTML-escaped (``html.escape`` with quotes, so it is safe in text
and in attribute values alike). As a second wall, a Content-Security-Policy meta tag allows
nothing but the page's own stylesheet (pinned by its SHA-256 hash) and links: even if an escape
were ever missed, an injected ``<script>`` or ``onerror=`` handler would not run (CSP Level 3,
``default-src 'none'``). Reference links open only for ``http(s)`` URLs and carry
``rel="noopener noreferrer"``.

Every device card and finding carries ``data-`` attributes (address, finding id, severity) so
tests and scripts can read the page without parsing its wording.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import TextIO

from scanner.models import Finding, Host, Report, RiskLevel, Severity
from scanner.report.actions import (
    check_verdict,
    do_this_first,
    how_sure,
    nothing_found_line,
    verdict,
)
from scanner.report.baseline import Change
from scanner.report.exposure import exposure_html
from scanner.report.inventory import DeviceStatus, FindingStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.risk import outside_targets
from scanner.report.sanitize import clean_text
from scanner.report.words import (
    BLIND_SPOTS,
    DEVICE_WORDS,
    acceptance_words,
    change_words,
    device_status_words,
    discovery_words,
    host_facts,
    local_time,
    plural,
)

__all__ = ["CSP", "STYLE", "render_html"]

_SHORT = 120
_LINE = 2000
_MAX_LINES = 40
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$")

STYLE = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a;
  --card: #f6f8fa; --line: #d0d7de; --on-badge: #ffffff; --critical: #a0002a;
  --high: #b93c06; --medium: #7d5800; --low: #0550ae; --info: #57606a; --none: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --card: #161b22; --line: #30363d; --on-badge: #0d1117; --critical: #ff9bbd;
  --high: #ffa657; --medium: #e3b341; --low: #79c0ff; --info: #9198a1; --none: #56d364; } }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 1.5rem;
  overflow-wrap: break-word; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { margin-top: 2rem; }
.meta { color: var(--muted); margin: 0; }
.verdict { font-size: 1.15rem; font-weight: 700; margin: 1rem 0 .5rem; }
.verdict.act { color: var(--critical); } .verdict.fix { color: var(--medium); }
.verdict.clear { color: var(--none); }
.steps li { margin: .2rem 0; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; padding: 0; }
.counts li { list-style: none; border: 1px solid var(--line); border-radius: 6px;
  padding: .3rem .7rem; background: var(--card); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
.device { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem;
  margin: 1.2rem 0; background: var(--card); break-inside: avoid; }
.device h3 { margin: 0 0 .3rem; }
.facts { color: var(--muted); margin: 0 0 .6rem; }
.finding { border-left: 4px solid var(--info); padding: .4rem .8rem; margin: .7rem 0;
  background: var(--bg); border-radius: 0 6px 6px 0; }
.finding h4 { margin: 0; }
.sev { font-weight: 700; text-transform: uppercase; font-size: .8rem; padding: .1rem .4rem;
  border-radius: 4px; color: var(--on-badge); background: var(--info); white-space: nowrap;
  display: inline-block; }
.sev.critical { background: var(--critical); outline: 2px solid var(--critical);
  outline-offset: 1px; }
.critical { border-color: var(--critical); } .high { border-color: var(--high); }
.sev.high { background: var(--high); }
.medium { border-color: var(--medium); } .sev.medium { background: var(--medium); }
.low { border-color: var(--low); } .sev.low { background: var(--low); }
.sev.none { background: var(--none); }
.mark { font-size: .8rem; font-weight: 600; border: 1px solid currentColor;
  border-radius: 4px; padding: 0 .35rem; margin-left: .3rem; }
.mark.new { color: var(--high); } .mark.accepted { color: var(--none); }
.mark.expired, .mark.unexpected { color: var(--medium); } .mark.fixed { color: var(--none); }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem .8rem;
  margin: .4rem 0; }
dt { font-weight: 600; } dd { margin: 0; min-width: 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; font-size: .9rem; }
.prose { white-space: pre-wrap; }
code, a { overflow-wrap: break-word; }
.ok { color: var(--none); font-weight: 600; }
footer { color: var(--muted); margin-top: 2rem; font-size: .9rem; }
@media (max-width: 640px) {
  body { padding: .8rem; }
  table.devices thead { display: none; }
  table.devices, table.devices tbody, table.devices tr, table.devices td { display: block;
    width: 100%; }
  table.devices tr { border: 1px solid var(--line); border-radius: 8px; margin: .6rem 0;
    padding: .4rem .6rem; background: var(--card); }
  table.devices td { border: 0; padding: .15rem 0; display: flex; gap: .6rem; }
  table.devices td::before { content: attr(data-label); color: var(--muted);
    flex: 0 0 6.5rem; }
  dl { grid-template-columns: minmax(0, 1fr); gap: 0; } dd { margin-bottom: .3rem; }
}
@media print { body { max-width: none; } .device { break-inside: avoid; } }
""".strip()

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
CSP = f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'none'"


def _e(value: str, limit: int = _SHORT) -> str:
    """Untrusted text, cleaned and escaped for HTML text and quoted attribute values."""
    return html.escape(clean_text(value, limit), quote=True)


def _pre(value: str, kind: str = "pre") -> str:
    """Multi-line text: device evidence in a monospace block, our prose (fixes) in a div."""
    lines = value.splitlines() or [""]
    kept = [clean_text(line, _LINE) for line in lines[:_MAX_LINES]]
    if len(lines) > _MAX_LINES:
        kept.append(f"(and {len(lines) - _MAX_LINES} more lines)")
    text = html.escape("\n".join(kept), quote=True)
    return f"<pre>{text}</pre>" if kind == "pre" else f'<div class="prose">{text}</div>'


def _link(url: str) -> str:
    if _SAFE_URL.match(url) and len(url) <= _LINE:
        safe = html.escape(url, quote=True)
        return f'<a href="{safe}" rel="noopener noreferrer">{safe}</a>'
    return _e(url, _LINE)


def _anchor(ip: str) -> str:
    return "host-" + re.sub(r"[^A-Za-z0-9]", "-", ip)[:80]


def _risk(host: Host) -> str:
    level = host.risk.level
    if level is RiskLevel.NONE:
        return '<span class="sev none">none</span>'
    return f'<span class="sev {level.value}">{level.value} {host.risk.score:.1f}</span>'


def _mark(kind: str, text: str) -> str:
    return f'<span class="mark {kind}">{_e(text, _LINE)}</span>' if text else ""


def _finding(host: Host, finding: Finding, report: Report, review: Review | None) -> str:
    sev = finding.severity.value
    marks = ""
    if review is not None:
        if review.finding_change(host.ip, finding) is Change.NEW:
            marks += _mark("new", "new")
        check = review.finding_check(host.ip, finding)
        if check is not None and check.status is FindingStatus.ACCEPTED:
            marks += _mark("accepted", acceptance_words(check))
        elif check is not None and check.status is FindingStatus.EXPIRED:
            marks += _mark("expired", acceptance_words(check))
        elif check is not None and finding.severity is not Severity.INFO:
            marks += _mark("unexpected", "not accepted")
    port = "" if finding.port is None else f" (port {finding.port})"
    rows = [("How sure", _e(how_sure(finding)))]
    if finding.evidence:
        rows.append(("What we saw", _pre(finding.evidence)))
    if finding.secret is not None:
        secret = (
            finding.secret if report.show_secrets else f"{SECRET_MASK} (shown with --show-secrets)"
        )
        rows.append(("Working password", _e(secret)))
    if finding.remediation:
        rows.append(("Fix", _pre(finding.remediation, "prose")))
    if finding.cves:
        rows.append(("CVE", _e(", ".join(finding.cves), _LINE)))
    if finding.references:
        rows.append(("More", "<br>".join(_link(r) for r in finding.references[:10])))
    rows.append(("Id", f"<code>{_e(finding.id)}</code>"))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return (
        f'<article class="finding {sev}" data-finding-id="{_e(finding.id)}" data-severity="{sev}">'
        f'<h4><span class="sev {sev}">{sev}</span> <span class="title">{_e(finding.title, _LINE)}'
        f"</span>{port}{marks}</h4><dl>{body}</dl></article>"
    )


def _services(host: Host, review: Review | None) -> str:
    items: list[str] = []
    for service in sorted_services(host.services):
        label = f"{service.protocol.value}/{service.port}"
        if service.transport != "tcp":
            label += f"/{service.transport}"
        text = _e(label)
        if service.product:
            text += f" {_e(service.product)}"
        if service.status.value != "ok":
            reason = f": {_e(service.reason)}" if service.reason else ""
            text += f" ({_e(service.status.value)}{reason})"
        if (
            review is not None
            and review.service_change(host.ip, service.port, service.transport) is Change.NEW
        ):
            text += _mark("new", "new")
        items.append(f"<li>{text}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No open service.</p>"


def _device(host: Host, report: Report, review: Review | None) -> str:
    ident = host.identification
    name = " ".join(v for v in (ident.vendor, ident.model) if v) or "unidentified device"
    marks = ""
    if review is not None:
        marks += _mark("new", change_words(review.device_change(host.ip), "device"))
        marks += _mark("unexpected", device_status_words(review.device_status(host.ip)))
    facts = [DEVICE_WORDS[ident.device_type]]
    facts.extend(f"{label} {_e(text, _LINE)}" for label, text in host_facts(host))
    parts = [
        f'<section class="device" id="{_anchor(host.ip)}" data-ip="{_e(host.ip)}" '
        f'data-risk="{host.risk.level.value}">',
        f'<h3><span class="ip">{_e(host.ip)}</span> <span class="name">{_e(name)}</span> '
        f"{_risk(host)}{marks}</h3>",
        f'<p class="facts">{" · ".join(facts)}</p>',
    ]
    if ident.identified_by:
        why = "; ".join(ident.identified_by[:5])
        parts.append(f'<p class="facts">Identified by: {_e(why, _LINE)}</p>')
    parts.append(_services(host, review))
    findings = sorted_findings(host.findings)
    if findings:
        parts.extend(_finding(host, f, report, review) for f in findings)
    else:
        parts.append('<p class="ok">No problems found.</p>')
    if review is not None:
        parts.extend(
            f'<p class="fixed" data-fixed-id="{_e(fixed.id)}">{_mark("fixed", "fixed")} '
            f"{_e(fixed.title, _LINE)} (<code>{_e(fixed.id)}</code>) is gone since the "
            "baseline</p>"
            for fixed in review.fixed_findings(host.ip)
        )
    parts.extend(f'<p class="note">Note: {_e(note, _LINE)}</p>' for note in host.notes)
    parts.append("</section>")
    return "".join(parts)


def _table(hosts: list[Host]) -> str:
    rows = []
    for host in hosts:
        ident = host.identification
        services = " ".join(
            dict.fromkeys(f"{s.protocol.value}/{s.port}" for s in sorted_services(host.services))
        )
        rows.append(
            f'<tr><td data-label="Address"><a href="#{_anchor(host.ip)}">{_e(host.ip)}</a></td>'
            f'<td data-label="Vendor">{_e(ident.vendor or "-")}</td>'
            f'<td data-label="Model">{_e(ident.model or "-")}</td>'
            f'<td data-label="Type">{DEVICE_WORDS[ident.device_type]}</td>'
            f'<td data-label="Open services">{_e(services or "none", _LINE)}</td>'
            f'<td data-label="Risk">{_risk(host)}</td></tr>'
        )
    # Below 640 px the rows become cards (one labelled line per cell): see STYLE.
    return (
        '<div class="table-wrap"><table class="devices"><thead><tr><th>Address</th>'
        "<th>Vendor</th><th>Model</th><th>Type</th><th>Open services</th><th>Risk</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _review(review: Review) -> str:
    parts: list[str] = []
    if review.baseline is not None:
        diff = review.baseline
        new, gone = diff.count(Change.NEW), diff.count(Change.ABSENT)
        parts.append(
            f'<section id="baseline"><h2>Changes since the scan of '
            f"{_e(local_time(diff.baseline_started_at))}</h2>"
            f"<p>New: {plural(new['devices'], 'device')}, "
            f"{plural(new['services'], 'open service')}, {plural(new['findings'], 'finding')}. "
            f"Fixed or gone: {plural(gone['devices'], 'device')}, "
            f"{plural(gone['services'], 'service')}, {plural(gone['findings'], 'finding')}.</p>"
        )
        items = []
        for device in diff.devices:
            if device.state is Change.ABSENT:
                items.append(f"<li>Gone: {_e(device.ip)} ({_e(device.label)})</li>")
            elif device.state is Change.NEW:
                items.append(f"<li>New device: {_e(device.ip)} ({_e(device.label)})</li>")
            elif device.previous_ip:
                items.append(
                    f"<li>Moved: {_e(device.label)} from {_e(device.previous_ip)} to "
                    f"{_e(device.ip)}</li>"
                )
        if items:
            parts.append(f"<ul>{''.join(items)}</ul>")
        parts.append("</section>")
    if review.inventory is not None:
        check = review.inventory
        parts.append(
            f'<section id="inventory"><h2>Inventory (as of {check.checked_on.isoformat()})</h2>'
            f"<p>{plural(check.count(DeviceStatus.EXPECTED), 'expected device')} answered, "
            f"{plural(check.count(DeviceStatus.UNEXPECTED), 'unexpected device')}, "
            f"{check.count(DeviceStatus.MISSING)} missing; "
            f"{plural(check.count(FindingStatus.ACCEPTED), 'accepted finding')}, "
            f"{check.count(FindingStatus.EXPIRED)} with an expired acceptance.</p>"
        )
        items = []
        for entry in check.devices:
            who = _e(entry.name or entry.ip or entry.mac or "?")
            if entry.status is DeviceStatus.UNEXPECTED:
                items.append(f"<li>Unexpected: {who} ({_e(entry.label)})</li>")
            elif entry.status is DeviceStatus.MISSING:
                items.append(f"<li>Missing: {who} (inventory line {entry.line})</li>")
        items.extend(
            f"<li>Unused acceptance of <code>{_e(a.finding)}</code> (inventory line "
            f"{a.line}): nothing matched it</li>"
            for a in check.unused
        )
        if items:
            parts.append(f"<ul>{''.join(items)}</ul>")
        parts.append("</section>")
    return "".join(parts)


def _first_steps(report: Report, check_address: str | None) -> str:
    """The verdict and the numbered "Do this first" list, as in the terminal report."""
    found = verdict(report) if check_address is None else check_verdict(report, check_address)
    parts = [f'<p class="verdict {found.kind}" id="verdict">{_e(found.text, _LINE)}</p>']
    if report.interrupted:
        parts.append(
            '<p class="verdict fix" id="interrupted">Interrupted (Ctrl-C): this report holds '
            "only what was found before the stop.</p>"
        )
    steps = do_this_first(report.hosts)
    if steps:
        items = "".join(
            f'<li data-severity="{step.severity.value}">{_e(step.text, _LINE)}</li>'
            for step in steps
        )
        parts.append(f'<h2>Do this first</h2><ol class="steps" id="steps">{items}</ol>')
    return "".join(parts)


def render_html(
    report: Report,
    out: TextIO,
    *,
    review: Review | None = None,
    check_address: str | None = None,
) -> None:
    """Write the whole page: header, counts, device table, one card per device, closing."""
    summary = report.summary
    outside = outside_targets(report)  # the router and its forwards, beside the targets
    hosts = sorted_hosts(report.hosts)
    counts = summary.findings_by_severity
    title = f"{report.tool_name} report: {', '.join(report.targets) or '(no targets)'}"
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>"
    )
    body = [
        "<body><header>",
        f"<h1>{_e(report.tool_name)} report</h1>",
        f'<p class="meta">Scanned {_e(", ".join(report.targets) or "(none)", _LINE)} with the '
        f'{_e(report.profile)} profile, <time datetime="{_e(report.started_at)}">'
        f"{_e(local_time(report.started_at))}</time> to "
        f'<time datetime="{_e(report.finished_at)}">{_e(local_time(report.finished_at))}'
        f"</time> ({_e(report.tool_name)} {_e(report.tool_version)})</p>",
        _first_steps(report, check_address),
        f'<ul class="counts" id="summary" data-hosts-up="{summary.hosts_up}">'
        f"<li>{plural(summary.hosts_up - outside, 'device')} of "
        f"{summary.hosts_scanned - outside} addresses</li>"
        + (
            f"<li>{outside} outside them (the router, or a device it forwards to)</li>"
            if outside
            else ""
        )
        + f"<li>{plural(summary.cameras, 'camera')}</li>"
        f"<li>{plural(summary.recorders, 'video recorder')}</li>"
        f'<li>highest risk <span class="sev {summary.highest_risk.value}">'
        f"{summary.highest_risk.value}</span></li>",
        *(
            f'<li data-severity="{s.value}"><span class="sev {s.value}">{s.value}</span> '
            f"{counts.get(s.value, 0)}</li>"
            for s in Severity
        ),
        "</ul></header><main>",
    ]
    if report.exposure is not None:  # first: what the internet can reach
        body.append(exposure_html(report.exposure))
    if review is not None:
        body.append(_review(review))
    body.append("<h2>Devices</h2>")
    if hosts:
        body.append(_table(hosts))
        body.extend(_device(host, report, review) for host in hosts)
    else:
        body.append(f'<p id="nothing">{_e(nothing_found_line(report), _LINE)}.</p>')
    if report.discovery:
        items = "".join(f"<li>{_e(discovery_words(r), _LINE)}</li>" for r in report.discovery)
        body.append(f'<h2>How devices were found</h2><ul id="discovery">{items}</ul>')
    body.append(f"<h2>What a network scan cannot see</h2><p>{_e(BLIND_SPOTS, _LINE)}</p>")
    body.extend(f'<p class="note">Note: {_e(note, _LINE)}</p>' for note in report.notes)
    body.append(
        f"</main><footer>Made by {_e(report.tool_name)} {_e(report.tool_version)}. "
        "This page runs no scripts and loads nothing from the network.</footer></body></html>\n"
    )
    out.write(head + "\n" + "\n".join(body))
