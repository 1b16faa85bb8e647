"""The "Internet exposure" section, first in every format: what is reachable from outside.

One pure view (:func:`exposure_view`: the words) and one small function per format, so each
renderer adds the section with a single call. Everything shown came from a router or a device:
the renderers clean and escape it as they do all device text.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.models import (
    Confidence,
    ExposureKind,
    ExposurePath,
    InternetExposure,
    PortForward,
    RouterReading,
    RouterStatus,
    Severity,
)
from scanner.report.sanitize import clean_text
from scanner.report.words import plural

__all__ = [
    "TITLE",
    "ExposureView",
    "exposure_from_dict",
    "exposure_html",
    "exposure_junit_suite",
    "exposure_markdown",
    "exposure_to_dict",
    "exposure_view",
    "print_exposure",
]

TITLE = "Internet exposure"
_LINE = 600


@dataclass(frozen=True, slots=True)
class ExposureLine:
    severity: Severity
    path: str
    how_sure: str  # confidence and caveat, in words


@dataclass(frozen=True, slots=True)
class ExposureView:
    headline: str
    paths: tuple[ExposureLine, ...]
    routers: tuple[str, ...]
    notes: tuple[str, ...]


def _how_sure(path: ExposurePath) -> str:
    if path.caveat:
        return f"{path.confidence.value}: {path.caveat}"
    if path.kind is ExposureKind.CLOUD:
        return f"{path.confidence.value}: the device's own answers name the service"
    return f"{path.confidence.value}: read from the router, whose internet address is public"


def router_words(reading: RouterReading) -> str:
    """One line per router: what it is, what was read, what it holds."""
    name = f"router {reading.address}" + (f" ({reading.model})" if reading.model else "")
    if reading.status is not RouterStatus.READ:
        text = f"{name}: forwards not read: {reading.reason}"
    else:
        parts = [f"UPnP IGD read ({', '.join(reading.services) or 'no WAN service'})"]
        if reading.external_ip:
            parts.append(f"internet address {reading.external_ip}")
        if reading.connection_status:
            parts.append(f"connection {reading.connection_status}")
        count = plural(len(reading.forwards), "forward")
        parts.append(count + ("" if reading.forwards_complete else " (listing incomplete)"))
        text = f"{name}: " + ", ".join(parts)
    if reading.nat_pmp:
        text += f"; UDP 5351: {reading.nat_pmp}"
    return text


def exposure_view(exposure: InternetExposure) -> ExposureView:
    paths = tuple(ExposureLine(p.severity, p.path, _how_sure(p)) for p in exposure.paths)
    serious = [p for p in exposure.paths if p.severity.rank >= Severity.HIGH.rank]
    if exposure.paths:
        headline = (
            f"{plural(len(exposure.paths), 'way')} in from the internet"
            + (f", {len(serious)} of them high or critical" if serious else "")
            + "."
        )
    else:
        headline = "No way in from the internet was found."
    if exposure.blind:
        headline += (
            " camsweep could not see the router's forwards: that is a blind spot, not a sign "
            "that nothing is exposed."
        )
    return ExposureView(
        headline=headline,
        paths=paths,
        routers=tuple(router_words(r) for r in exposure.routers),
        notes=exposure.notes,
    )


# --- text (rich) -----------------------------------------------------------------------------


_TEXT_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


_SHORT_SURE = 20  # "firm", "inferred": the first word of a path's "how sure"


def print_exposure(console: Console, exposure: InternetExposure, *, verbose: bool = True) -> None:
    """The section on the terminal, as rich Text (never markup: device text stays literal).
    Without ``verbose`` each path's "how sure" is its first word (the text report's default)."""
    view = exposure_view(exposure)
    console.print(Text(TITLE, style="bold"))
    console.print(Text(clean_text(view.headline, _LINE)))
    if view.paths:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, min_width=8)
        grid.add_column(overflow="fold")
        for item in view.paths:
            body = Text(clean_text(item.path, _LINE))
            if verbose:
                body.append("\n" + clean_text(item.how_sure, _LINE), style="dim")
            else:
                body.append(", " + clean_text(item.how_sure.split(":", 1)[0], _SHORT_SURE))
            grid.add_row(
                Text(item.severity.value.upper(), style=_TEXT_STYLE[item.severity.value]), body
            )
        console.print(grid)
    # Which routers were read is detail; a router that could not be read is a blind spot.
    unread = any(r.status is not RouterStatus.READ for r in exposure.routers)
    for line in view.routers if verbose or exposure.blind or unread else ():
        console.print(Text(clean_text(line, _LINE)))
    for note in view.notes:
        console.print(Text(f"Note: {clean_text(note, _LINE)}", style="dim"))
    console.print()


# --- markdown --------------------------------------------------------------------------------


def exposure_markdown(exposure: InternetExposure, md: Any) -> list[str]:
    """Markdown lines; ``md`` is the renderer's escaping function for untrusted text."""
    view = exposure_view(exposure)
    lines = [f"## {TITLE}", "", md(view.headline), ""]
    for item in view.paths:
        lines.append(f"- **{item.severity.value.upper()}** {md(item.path)}  ")
        lines.append(f"  {md(item.how_sure)}")
    if view.paths:
        lines.append("")
    lines.extend(f"- {md(r)}" for r in view.routers)
    lines.extend(f"- Note: {md(n)}" for n in view.notes)
    lines.append("")
    return lines


# --- HTML ------------------------------------------------------------------------------------


def _e(value: str) -> str:
    return html.escape(clean_text(value, _LINE), quote=True)


def exposure_html(exposure: InternetExposure) -> str:
    view = exposure_view(exposure)
    parts = [f'<section id="exposure"><h2>{TITLE}</h2><p>{_e(view.headline)}</p>']
    if view.paths:
        parts.append("<ul>")
        parts.extend(
            f'<li><span class="sev {i.severity.value}">{i.severity.value}</span> '
            f'{_e(i.path)}<br><span class="meta">{_e(i.how_sure)}</span></li>'
            for i in view.paths
        )
        parts.append("</ul>")
    rest = [*view.routers, *(f"Note: {n}" for n in view.notes)]
    if rest:
        parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in rest) + "</ul>")
    parts.append("</section>")
    return "".join(parts)


# --- JUnit -----------------------------------------------------------------------------------


def exposure_junit_suite(
    root: ET.Element, exposure: InternetExposure, threshold: Severity, text: Any
) -> tuple[int, int, int]:
    """A first testsuite: one case per path (failing at ``threshold``), one for the blind spot.

    Returns (tests, failures, skipped); ``text`` is the renderer's one-line cleaner.
    """
    suite = ET.SubElement(root, "testsuite", name="internet exposure")
    tests = failures = skipped = 0
    for path in exposure.paths:
        port = f":{path.port}" if path.port else ""
        case = ET.SubElement(
            suite,
            "testcase",
            classname="camsweep.internet-exposure",
            name=text(f"{path.kind.value} {path.host}{port}"),
        )
        tests += 1
        if path.severity.rank >= threshold.rank:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=text(path.path), type=path.severity.value
            )
            failure.text = text(_how_sure(path))
    if exposure.blind:
        case = ET.SubElement(
            suite, "testcase", classname="camsweep.internet-exposure", name="router forwards"
        )
        ET.SubElement(case, "skipped", message=text(exposure_view(exposure).headline))
        tests, skipped = tests + 1, skipped + 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return tests, failures, skipped


# --- JSON ------------------------------------------------------------------------------------


def _forward_to_dict(f: PortForward) -> dict[str, Any]:
    return {
        "external_port": f.external_port,
        "protocol": f.protocol,
        "internal_client": f.internal_client,
        "internal_port": f.internal_port,
        "enabled": f.enabled,
        "description": f.description,
        "remote_host": f.remote_host,
        "lease_seconds": f.lease_seconds,
    }


def _forward_from_dict(d: Mapping[str, Any]) -> PortForward:
    return PortForward(
        external_port=int(d["external_port"]),
        protocol=d["protocol"],
        internal_client=d["internal_client"],
        internal_port=int(d["internal_port"]),
        enabled=d["enabled"],
        description=d["description"],
        remote_host=d["remote_host"],
        lease_seconds=d["lease_seconds"],
    )


def exposure_to_dict(exposure: InternetExposure, s: Any = str) -> dict[str, Any]:
    """JSON-ready data in a fixed key order; ``s`` cleans strings (the JSON renderer's)."""
    return {
        "blind": exposure.blind,
        "paths": [
            {
                "kind": p.kind.value,
                "host": s(p.host),
                "port": p.port,
                "path": s(p.path),
                "severity": p.severity.value,
                "confidence": p.confidence.value,
                "router": s(p.router),
                "forward": None if p.forward is None else _forward_to_dict(p.forward),
                "service": s(p.service),
                "weaknesses": [s(w) for w in p.weaknesses],
                "finding_ids": [s(i) for i in p.finding_ids],
                "caveat": s(p.caveat),
            }
            for p in exposure.paths
        ],
        "routers": [
            {
                "address": s(r.address),
                "status": r.status.value,
                "reason": s(r.reason),
                "description_url": s(r.description_url),
                "model": s(r.model),
                "services": [s(x) for x in r.services],
                "external_ip": s(r.external_ip),
                "connection_status": s(r.connection_status),
                "forwards": [_forward_to_dict(f) for f in r.forwards],
                "forwards_complete": r.forwards_complete,
                "nat_pmp": s(r.nat_pmp),
                "mapping_actions": [s(x) for x in r.mapping_actions],
                "device_protection": r.device_protection,
                "notes": [s(n) for n in r.notes],
            }
            for r in exposure.routers
        ],
        "notes": [s(n) for n in exposure.notes],
    }


def exposure_from_dict(d: Mapping[str, Any]) -> InternetExposure:
    """Back from a schema-valid document (the reader validated it first)."""
    return InternetExposure(
        blind=d["blind"],
        paths=tuple(
            ExposurePath(
                kind=ExposureKind(p["kind"]),
                host=p["host"],
                port=p["port"],
                path=p["path"],
                severity=Severity(p["severity"]),
                confidence=Confidence(p["confidence"]),
                router=p["router"],
                forward=None if p["forward"] is None else _forward_from_dict(p["forward"]),
                service=p["service"],
                weaknesses=tuple(p["weaknesses"]),
                finding_ids=tuple(p["finding_ids"]),
                caveat=p["caveat"],
            )
            for p in d["paths"]
        ),
        routers=tuple(
            RouterReading(
                address=r["address"],
                status=RouterStatus(r["status"]),
                reason=r["reason"],
                description_url=r["description_url"],
                model=r["model"],
                services=tuple(r["services"]),
                external_ip=r["external_ip"],
                connection_status=r["connection_status"],
                forwards=tuple(_forward_from_dict(f) for f in r["forwards"]),
                forwards_complete=r["forwards_complete"],
                nat_pmp=r["nat_pmp"],
                mapping_actions=tuple(r["mapping_actions"]),
                device_protection=r["device_protection"],
                notes=tuple(r["notes"]),
            )
            for r in d["routers"]
        ),
        notes=tuple(d["notes"]),
    )
