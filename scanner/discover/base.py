"""What every LAN discoverer hands the coordinator, and the small pieces they share.

A discoverer reports *sightings*: an IPv4 address seen by one method, with what that method
learnt (a MAC, host names, a pseudo-service holding its evidence fields). The coordinator
(``scanner.discover.lan``) merges them into hosts. Device text is never interpreted here: it is
decoded with replacement, folded to one line and truncated, and the renderers make it safe to
show.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.models import ServiceResult

__all__ = ["Sighting", "device_text"]

_FIELD_CHARS = 512  # one evidence value from discovery


@dataclass(frozen=True, slots=True)
class Sighting:
    """One method saw ``ip`` (and maybe its MAC, names, evidence)."""

    ip: str
    method: str  # arp, neighbours, mdns, ssdp, ws-discovery, passive
    mac: str | None = None
    hostnames: tuple[str, ...] = ()
    service: ServiceResult | None = None
    note: str | None = None


def device_text(value: str | bytes | None, limit: int = _FIELD_CHARS) -> str:
    """Device text as one evidence value: UTF-8 with replacement, whitespace folded, capped."""
    if value is None:
        return ""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text[: limit * 4].split())[:limit]
