"""What a person should read first: the verdict, the numbered "Do this first" list, "How sure".

Shared by the terminal, HTML and markdown reports so they say the same thing in the same words.
Pure functions of the report: no I/O, no terminal, no time zone.

The "Do this first" list has one line per *action*, not per finding: the same kind of problem on
several devices ("Change the password of 2 cameras") is one step, and every flaw of one device
that a firmware update addresses is one step ("Update the firmware of 127.0.0.11 (Hikvision)").
Steps are ordered by the worst risk they remove (a guess counts as high at most, see
:func:`scanner.report.risk.counted_severity`), then by how many devices they help.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from scanner.models import Basis, Confidence, DeviceType, Finding, Host, Report, Severity
from scanner.report.order import sorted_hosts
from scanner.report.risk import counted_severity, is_guess
from scanner.report.words import CONFIDENCE_SHORT, plural

__all__ = [
    "Action",
    "Verdict",
    "check_verdict",
    "do_this_first",
    "how_sure",
    "nothing_found_line",
    "verdict",
]

_BASIS_WORDS = {
    Basis.OBSERVED: "we saw it happen",
    Basis.FIRMWARE: "from the firmware version it reported, which a fix may not change",
    Basis.MODEL: "from the model name only; no firmware version was read",
    Basis.BANNER: "from the product banner only; no firmware version was read",
    Basis.PORT: "from the port number alone",
}
_DEFAULT_BASIS = {
    Confidence.CONFIRMED: "we saw it happen",
    Confidence.FIRM: "the device clearly matches",
    Confidence.INFERRED: "guessed from what the device announces",
}


def how_sure(finding: Finding) -> str:
    """ "How sure" in plain words: the confidence and what it rests on (firmware read, product
    banner, port number), and whether the risk counts it lower than its listed severity."""
    lead = CONFIDENCE_SHORT[finding.confidence]
    if finding.confidence is Confidence.CONFIRMED:
        basis = _BASIS_WORDS[Basis.OBSERVED]
    elif finding.basis is not None:
        basis = _BASIS_WORDS[finding.basis]
    else:
        basis = _DEFAULT_BASIS[finding.confidence]
    text = f"{lead}: {basis}"
    if finding.unverified:
        text += "; the signature is not yet checked against the advisory"
    if counted_severity(finding) is not finding.severity:
        text += f" (counted as {counted_severity(finding).value} until confirmed)"
    return text


# --- the verdict -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """One sentence that opens every human-readable report; ``kind`` drives its colour."""

    kind: str  # "act", "fix", "clear", "empty", "interrupted-empty"
    text: str


_PASSIVE_SECONDS = re.compile(r"for ([0-9]+(?:\.[0-9]+)?)s")


def _passive_seconds(report: Report) -> str | None:
    """The listening time of a --passive scan, or None when the scan sent packets."""
    if not any(r.method == "tcp" and "passive" in r.reason for r in report.discovery):
        return None
    for run in report.discovery:
        if run.method == "passive":
            match = _PASSIVE_SECONDS.search(run.reason)
            if match:
                return match.group(1)
    return "the listening time"


def nothing_found_line(report: Report) -> str:
    """The honest line for a scan where nothing answered (never "no problems found")."""
    seconds = _passive_seconds(report)
    where = ", ".join(report.targets) or "the addresses given"
    if seconds is not None:
        unit = "" if seconds == "the listening time" else " s"
        return (
            f"Nothing heard in {seconds}{unit} on {where}: no device announced itself. "
            "Listen longer, or scan actively to ask each address"
        )
    return (
        f"No device answered on {where}: check the address range, and that this computer is on "
        "that network"
    )


def _risk_counts(hosts: Sequence[Host]) -> str:
    """``2 devices at critical risk, 1 high, 3 medium``."""
    parts: list[str] = []
    for level in ("critical", "high", "medium", "low"):
        count = sum(1 for h in hosts if h.risk.level.value == level)
        if count:
            parts.append(
                f"{plural(count, 'device')} at {level} risk" if not parts else f"{count} {level}"
            )
    return ", ".join(parts)


def verdict(report: Report) -> Verdict:
    """The first line a person reads: is there something to do, and how urgent."""
    hosts = report.hosts
    if not hosts:
        kind = "interrupted-empty" if report.interrupted else "empty"
        return Verdict(kind, nothing_found_line(report))
    counts = _risk_counts(hosts)
    devices = plural(len(hosts), "device")
    worst = report.summary.highest_risk.value
    if worst in ("critical", "high"):
        return Verdict("act", f"Act now: {counts}.")
    if worst in ("medium", "low"):
        return Verdict("fix", f"Fix when you can: {counts}.")
    return Verdict(
        "clear",
        f"No problems found on {devices} (a scan shows known problems only, not that a "
        "device is safe).",
    )


def check_verdict(report: Report, address: str) -> Verdict:
    """``camsweep check``: safe to trust / fix these first / do not use (docs/user-guide.md).

    *Do not use*: a problem seen happen that lets anyone in or watch (a working factory
    password, video without a password, a login that accepts anything), or any device risk
    that counts as critical. *Fix these first*: any other problem. *Safe to trust*: none found.
    """
    host = next((h for h in report.hosts if h.ip == address), None)
    if host is None:
        return Verdict("empty", nothing_found_line(report))
    problems = [f for f in host.findings if f.severity is not Severity.INFO]
    seen_open = any(
        f.confidence is Confidence.CONFIRMED and f.severity.rank >= Severity.HIGH.rank
        for f in problems
    )
    if seen_open or host.risk.level.value == "critical":
        return Verdict("act", f"Do not use {address} until the problems below are fixed.")
    if problems:
        return Verdict("fix", f"Fix these first: {plural(len(problems), 'problem')} on {address}.")
    return Verdict(
        "clear",
        f"Safe to trust, as far as a network check can tell: no problem found on {address}.",
    )


# --- Do this first -----------------------------------------------------------------------------


@dataclass(slots=True)
class Action:
    """One step of "Do this first": the words, and the findings and devices it covers."""

    key: str
    severity: Severity  # the worst counted severity among its findings
    confirmed: bool
    hosts: list[Host] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    title: str = ""

    def add(self, host: Host, finding: Finding) -> None:
        if all(h.ip != host.ip for h in self.hosts):
            self.hosts.append(host)
        if finding.port is not None and finding.port not in self.ports:
            self.ports.append(finding.port)
        severity = counted_severity(finding)
        if severity.rank > self.severity.rank:
            self.severity = severity
        self.confirmed = self.confirmed or finding.confidence is Confidence.CONFIRMED

    @property
    def text(self) -> str:
        return _ACTION_WORDS.get(self.key.split(":", 1)[0], _other_words)(self)


def _device_name(host: Host) -> str:
    ident = host.identification
    name = ident.vendor or {
        DeviceType.CAMERA: "camera",
        DeviceType.RECORDER: "recorder",
    }.get(ident.device_type, "device")
    return f"{host.ip} ({name})"


def _noun(hosts: Sequence[Host]) -> str:
    kinds = {h.identification.device_type for h in hosts}
    if kinds == {DeviceType.CAMERA}:
        return plural(len(hosts), "camera")
    if kinds == {DeviceType.RECORDER}:
        return plural(len(hosts), "video recorder")
    return plural(len(hosts), "device")


def _who(hosts: Sequence[Host]) -> str:
    """``127.0.0.11 (Hikvision)`` for one device, else ``2 cameras: 127.0.0.12, 127.0.0.13``."""
    if len(hosts) == 1:
        return _device_name(hosts[0])
    return f"{_noun(hosts)}: {', '.join(h.ip for h in hosts)}"


def _port_words(ports: Sequence[int], usual: int) -> str:
    """``port 23``, or the ports the findings were seen on when the device moved it."""
    seen = sorted(ports) or [usual]
    return f"{'port' if len(seen) == 1 else 'ports'} {', '.join(map(str, seen))}"


def _other_words(action: Action) -> str:
    return f"{action.title}: {_who(action.hosts)}"


_ACTION_WORDS = {
    "password": lambda a: f"Change the factory password of {_who(a.hosts)}",
    "any-login": lambda a: f"Update or replace {_who(a.hosts)}: any password opens it",
    "stream": lambda a: f"Put a password on the video (RTSP) of {_who(a.hosts)}",
    "onvif": lambda a: f"Turn on ONVIF authentication on {_who(a.hosts)}",
    "telnet": lambda a: f"Turn off or block Telnet ({_port_words(a.ports, 23)}) on {_who(a.hosts)}",
    "activate": lambda a: f"Set an admin password on {_who(a.hosts)} now (never activated)",
    "forward": lambda a: f"Remove the router's port-forward to {_who(a.hosts)}",
    "upnp": lambda a: f"Turn UPnP off on the router {_who(a.hosts)}",
    "p2p": lambda a: f"Turn off the P2P cloud of {_who(a.hosts)} unless you use it",
    "discovery": lambda a: f"Keep other devices away from the setup protocol of {_who(a.hosts)}",
    "firmware": lambda a: f"Update the firmware of {_who(a.hosts)}",
    "check-firmware": lambda a: f"Look for a firmware update for {_who(a.hosts)}",
    "ports": lambda a: (
        f"Keep {'port' if len(a.ports) == 1 else 'ports'} "
        f"{', '.join(map(str, sorted(a.ports)))} off the internet "
        "(no port-forwards, UPnP off on the router)"
    ),
}


# Findings of other stages whose step has words of its own (ids as the checks name them).
_ACTION_IDS = {
    "camera-not-activated": "activate",
    "internet-port-forward": "forward",
    "upnp-igd-open": "upnp",
    "p2p-cloud-id-exposed": "p2p",
    "discovery-changes-settings": "discovery",
}


def _action_key(host: Host, finding: Finding) -> str:
    fid = finding.id
    if fid.startswith(("default-credentials-", "listed-credentials-")):
        return "password"
    if fid.startswith("accepts-any-credentials-"):
        return "any-login"
    if fid.startswith("rtsp-"):
        return "stream"
    if fid.startswith("onvif-unauthenticated"):
        return "onvif"
    if fid == "telnet-open":
        return "telnet"
    if fid in _ACTION_IDS:
        return _ACTION_IDS[fid]
    if fid.startswith("vendor-port-"):
        return "ports"
    if finding.cves or finding.basis in (Basis.FIRMWARE, Basis.BANNER, Basis.MODEL):
        # One step per device: every flaw one update addresses. A guess asks to look first.
        return f"{'check-firmware' if is_guess(finding) else 'firmware'}:{host.ip}"
    return f"other:{finding.title}"


def do_this_first(hosts: Iterable[Host]) -> list[Action]:
    """The numbered steps, worst first; informational findings never make a step."""
    actions: dict[str, Action] = {}
    for host in sorted_hosts(hosts):
        for finding in host.findings:
            if finding.severity is Severity.INFO:
                continue
            key = _action_key(host, finding)
            action = actions.setdefault(
                key, Action(key, Severity.INFO, confirmed=False, title=finding.title)
            )
            action.add(host, finding)
    # A device whose firmware is to be updated needs no separate "look for an update" step.
    updated = {k.split(":", 1)[1] for k in actions if k.startswith("firmware:")}
    for ip in updated:
        actions.pop(f"check-firmware:{ip}", None)
    return sorted(
        actions.values(),
        key=lambda a: (-a.severity.rank, not a.confirmed, -len(a.hosts), a.text),
    )
