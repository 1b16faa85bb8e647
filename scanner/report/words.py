"""The words every human-readable format uses, so the terminal, HTML and markdown agree."""

from __future__ import annotations

import re

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
    "discovery_words",
    "mac_words",
    "plural",
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
    "This scan only sees devices on the network it ran from. It cannot see a camera on "
    "another Wi-Fi network (for example a separate or guest network), a camera that uses "
    "mobile data (4G/5G), or a camera that only records to a memory card (SD card) and is not "
    "connected to any network. If you worry about a hidden camera, also look for one in person."
)


def plural(count: int, word: str) -> str:
    """``1 camera``, ``2 cameras``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


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
