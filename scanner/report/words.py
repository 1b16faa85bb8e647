"""The words every human-readable format uses, so the terminal, HTML and markdown agree."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from scanner.models import Confidence, DeviceType, DiscoveryRun, DiscoveryStatus, Host
from scanner.report.baseline import Change
from scanner.report.inventory import DeviceStatus, FindingCheck, FindingStatus

__all__ = [
    "BLIND_SPOTS",
    "CONFIDENCE_SHORT",
    "CONFIDENCE_WORDS",
    "DEVICE_WORDS",
    "acceptance_words",
    "change_words",
    "device_status_words",
    "discovery_lines",
    "discovery_words",
    "first_sentence",
    "local_span",
    "local_time",
    "mac_words",
    "plural",
    "repeated_lines",
]

CONFIDENCE_WORDS = {
    Confidence.CONFIRMED: "confirmed: we saw this happen",
    Confidence.FIRM: "likely: the device clearly matches",
    Confidence.INFERRED: "possible: guessed from the firmware version, which may already be fixed",
}
CONFIDENCE_SHORT = {
    Confidence.CONFIRMED: "confirmed",
    Confidence.FIRM: "likely",
    Confidence.INFERRED: "possible",
}
DEVICE_WORDS = {
    DeviceType.CAMERA: "camera",
    DeviceType.RECORDER: "video recorder",
    DeviceType.OTHER: "other device",
    DeviceType.UNKNOWN: "unknown",
}
BLIND_SPOTS = (
    "A network scan cannot see a camera on another Wi-Fi network (such as a guest network), "
    "one on mobile data (4G/5G), or one that only records to a memory card (SD card). If you "
    "worry about a hidden camera, also look for one in person."
)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 camera``, ``2 cameras``; ``many`` for an irregular plural (``address``)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def first_sentence(text: str, budget: int = 0) -> str:
    """The first sentence of a fix (the step itself), and the ones after it while the whole
    stays within ``budget`` characters; the rest is shown with --verbose."""
    flat = " ".join(text.split())
    sentences: list[str] = []
    rest = flat
    while rest:
        cut = rest.find(". ")
        sentence, rest = (rest, "") if cut < 0 else (rest[: cut + 1], rest[cut + 2 :])
        if sentences and len(" ".join([*sentences, sentence])) > budget:
            break
        sentences.append(sentence)
    first = " ".join(sentences)
    if len(sentences) == 1 and rest and "; " in first:  # one long sentence: its first clause
        return first.split("; ", 1)[0]
    return first


def repeated_lines(lines: Iterable[str]) -> list[str]:
    """Each distinct line once, in first-seen order, with how often it repeated."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} ({n} times)" for line, n in counts.items()]


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.astimezone()


def local_time(value: str) -> str:
    """An RFC 3339 UTC time as local time with its offset: ``2026-12-06 19:40:12 +01:00``;
    the text unchanged when it is not a time with a zone."""
    moment = _parse_time(value)
    if moment is None:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S ") + moment.isoformat()[-6:]


def local_span(started: str, finished: str) -> str:
    """``2026-12-06 19:40:12 to 19:40:14 (UTC+01:00)`` in the reader's local time."""
    start, end = _parse_time(started), _parse_time(finished)
    if start is None or end is None:
        return f"{started} to {finished}"
    end_text = end.strftime("%H:%M:%S" if end.date() == start.date() else "%Y-%m-%d %H:%M:%S")
    return f"{start.strftime('%Y-%m-%d %H:%M:%S')} to {end_text} (UTC{start.isoformat()[-6:]})"


def change_words(change: Change | None, kind: str = "finding") -> str:
    """A short mark for a change since the baseline; "" when unchanged or no baseline."""
    if change is Change.NEW:
        return "new since the baseline"
    if change is Change.ABSENT:
        return {"finding": "fixed", "device": "gone", "service": "closed"}.get(kind, "gone")
    return ""


def device_status_words(status: DeviceStatus | None) -> str:
    if status is DeviceStatus.UNEXPECTED:
        return "not in the inventory"
    if status is DeviceStatus.MISSING:
        return "in the inventory, did not answer"
    return ""


def acceptance_words(check: FindingCheck | None) -> str:
    """How the inventory judges a finding; "" without an inventory."""
    if check is None:
        return ""
    if check.status is FindingStatus.ACCEPTED and check.expires is not None:
        return f"accepted until {check.expires.isoformat()}: {check.reason or ''}".rstrip(": ")
    if check.status is FindingStatus.EXPIRED and check.expires is not None:
        return f"acceptance expired on {check.expires.isoformat()}: {check.reason or ''}".rstrip(
            ": "
        )
    return "not accepted in the inventory"


def discovery_words(run: DiscoveryRun) -> str:
    """``arp: ran, 3 devices`` / ``mdns: skipped (switched off)``."""
    if run.status is DiscoveryStatus.RAN:
        text = f"{run.method}: ran, {plural(run.hosts, 'device')} seen"
    else:
        text = f"{run.method}: {run.status.value}"
    if run.reason:
        text += f" ({run.reason})"
    return text


def discovery_lines(runs: Sequence[DiscoveryRun], *, verbose: bool = False) -> list[str]:
    """How devices were found, without repeating itself: methods skipped or failed for the same
    reason share one line (``arp, mdns, ssdp: skipped (...)``); without ``verbose`` the methods
    that ran share one line too (``ran: tcp 8 devices, sadp 1, ubiquiti 0``), with ``verbose``
    each says what it did."""
    lines: list[str] = []
    ran: list[str] = []
    silent: list[str] = []  # ran and saw nothing
    groups: dict[tuple[DiscoveryStatus, str], list[str]] = {}
    for run in runs:
        if run.status is DiscoveryStatus.RAN and not verbose:
            if run.hosts or not ran:
                ran.append(f"{run.method} {plural(run.hosts, 'device') if not ran else run.hosts}")
            else:
                silent.append(run.method)
        elif run.status is DiscoveryStatus.RAN or (verbose and not run.reason):
            lines.append(discovery_words(run))
        else:
            groups.setdefault((run.status, run.reason), []).append(run.method)
    if ran:
        saw_nothing = f"; {len(silent)} more saw nothing" if silent else ""
        lines.append("ran: " + ", ".join(ran) + saw_nothing)
    for (status, reason), methods in groups.items():
        text = f"{', '.join(methods)}: {status.value}"
        lines.append(f"{text} ({reason})" if reason else text)
    return lines


_PROBABLE = re.compile(
    r"^(probable (?:camera|recorder|other)): (.*?)(?: \[generic classifier[^\]]*\])?$"
)
_WEIGHT = re.compile(r" \([+-][0-9]+\)")


def probable_words(identified_by: tuple[str, ...]) -> tuple[str, str] | None:
    """("probable camera:", "realm names 'DVR', title says 'Live View'") from the generic
    classifier's identified_by line (scanner/match/generic.py), without its weights."""
    for line in identified_by:
        found = _PROBABLE.match(line)
        if found:
            clues = [_WEIGHT.sub("", c).strip() for c in found.group(2).split("; ")]
            return f"{found.group(1)}:", ", ".join(c for c in clues if c)
    return None


def host_facts(host: Host) -> list[tuple[str, str]]:
    """(label, device text) pairs every format shows under a device, in one order; each
    renderer escapes the text for its own format."""
    facts: list[tuple[str, str]] = []
    probable = probable_words(host.identification.identified_by)
    if probable is not None:
        facts.append(probable)
    if host.identification.firmware:
        facts.append(("firmware", host.identification.firmware))
    if host.mac:
        facts.append(("MAC", mac_words(host)))
    if host.hostnames:
        facts.append(("also known as", ", ".join(host.hostnames)))
    if host.discovered_by:
        facts.append(("found by", ", ".join(host.discovered_by)))
    return facts


def mac_words(host: Host) -> str:
    """``00:11:22:33:44:55 (Vendor)``, or "" when the scan saw no MAC."""
    if not host.mac:
        return ""
    return f"{host.mac} ({host.mac_vendor})" if host.mac_vendor else host.mac
