"""The camera-vendor OUI class: which MAC prefixes belong to camera makers.

Prefixes are never typed in by hand here. The maintained source is the IEEE registry as the
Wireshark ``manuf`` file carries it, which scapy ships and loads as ``conf.manufdb``; the
signatures only say which *registered organisations* are camera makers, with ``mac.vendor``
fingerprints such as ``^Hangzhou Hikvision Digital Technology``. This module runs those
fingerprints over every MA-L (24-bit) assignment in the database to derive the class, so a new
Hikvision block the IEEE assigns arrives with the next scapy release, and a fingerprint whose
pattern names no registered organisation shows up in tests instead of silently matching nothing.

Organisations that also make phones, TVs or alarm panels (Sony, Panasonic, Honeywell, Bosch,
TP-Link ...) are deliberately not in the class: a MAC alone cannot say which of their products a
host is (field notes: "MAC vendor alone misses white-label cameras" and misleads on big makers).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from scanner.match.engine import SignatureSet
from scanner.match.matchers import Matcher, MatchKind, combine
from scanner.match.schema import GENERIC, Condition, Fingerprint
from scanner.models import DeviceType

__all__ = [
    "camera_oui_class",
    "mac_vendor_fingerprints",
    "manufacturer_database",
    "normalise_oui",
]

_OUI = re.compile(r"[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2}")
_HEX = re.compile(r"[0-9A-Fa-f]{6}")


def normalise_oui(text: str) -> str | None:
    """``AA:BB:CC`` for a MAC address or OUI written with ``:``, ``-``, ``.`` or nothing."""
    digits = "".join(ch for ch in text[:64] if ch not in ":-. ")
    if len(digits) < 6 or not _HEX.fullmatch(digits[:6]):
        return None
    head = digits[:6].upper()
    return f"{head[0:2]}:{head[2:4]}:{head[4:6]}"


@functools.lru_cache(maxsize=1)
def manufacturer_database() -> Mapping[str, str]:
    """OUI (``AA:BB:CC``) -> registered organisation, for every MA-L assignment scapy knows.

    Empty when scapy or its database is missing: the class is then empty too, and nothing that
    relies on it claims a vendor it cannot check.
    """
    try:
        from scapy.config import conf  # noqa: PLC0415 - scapy is slow to import; only on demand
    except ImportError:  # pragma: no cover - scapy is a dependency
        return {}
    entries = getattr(conf.manufdb, "d", None)
    if not isinstance(entries, dict):  # pragma: no cover - scapy without its manuf file
        return {}
    out: dict[str, str] = {}
    for key, value in entries.items():
        # MA-M and MA-S blocks (keys such as "70:B3:D5:C4:B0/36") subdivide a prefix among many
        # small organisations: a 24-bit prefix says nothing about them, so they are skipped.
        if not isinstance(key, str) or not _OUI.fullmatch(key):
            continue
        if isinstance(value, tuple) and len(value) == 2:
            short, long = value
            name = long or short
            if isinstance(name, str) and name:
                out[key] = name
    return out


def mac_vendor_fingerprints(sigset: SignatureSet) -> list[Fingerprint]:
    """Camera and recorder fingerprints that name a maker from ``mac.vendor`` alone."""
    return [
        fp
        for fp in sigset.fingerprints
        if fp.vendor != GENERIC
        and fp.device_type in (DeviceType.CAMERA, DeviceType.RECORDER)
        and not fp.ports
        and fp.matchers
        and all(m.field == "mac.vendor" for m in fp.matchers)
    ]


def camera_oui_class(
    sigset: SignatureSet, organisations: Mapping[str, str] | None = None
) -> dict[str, str]:
    """OUI -> vendor id for every assignment whose organisation a camera maker's ``mac.vendor``
    fingerprint names. ``organisations`` defaults to scapy's manufacturer database."""
    registry = manufacturer_database() if organisations is None else organisations
    fingerprints = mac_vendor_fingerprints(sigset)
    by_name: dict[str, list[str]] = {}
    for oui, name in registry.items():
        by_name.setdefault(name, []).append(oui)
    # One combined search drops the tens of thousands of organisations no pattern can match
    # before each fingerprint is asked (negative matchers cannot make a match on their own).
    positive = [
        m.pattern.pattern if m.kind is MatchKind.REGEX and m.pattern else re.escape(m.value)
        for fp in fingerprints
        for m in fp.matchers
        if not m.negative
    ]
    if not positive:
        return {}
    try:
        # IGNORECASE only widens the filter (word matchers ignore case); the exact test follows.
        prefilter = re.compile("|".join(f"(?:{p})" for p in positive), re.IGNORECASE)
    except re.error:  # e.g. a user pattern with a global "(?i)" that cannot be nested
        candidates = by_name
    else:
        candidates = {name: ouis for name, ouis in by_name.items() if prefilter.search(name)}
    out: dict[str, str] = {}
    for fp in sorted(fingerprints, key=lambda f: f.weight):  # the strongest is written last
        for name, ouis in candidates.items():
            if _names(fp, name):
                for oui in ouis:
                    out[oui] = fp.vendor
    return dict(sorted(out.items()))


def _hit(matcher: Matcher, text: str) -> bool:
    if matcher.kind is MatchKind.EQUALS:
        return text == matcher.value
    return matcher.pattern is not None and matcher.pattern.search(text) is not None


def _names(fp: Fingerprint, organisation: str) -> bool:
    """``evaluate`` for a fingerprint whose matchers all read ``mac.vendor``, without building
    evidence for each of the registry's tens of thousands of organisations."""
    found = combine(
        fp.matchers,
        require_all=fp.condition is Condition.AND,
        find=lambda m: True if _hit(m, organisation) else None,
    )
    return found is not None
