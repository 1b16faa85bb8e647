"""Cloud paths: P2P services that make a camera reachable from the internet without any forward.

The camera keeps an outbound session to its maker's relay; anyone who knows (or guesses) its
cloud ID and password can then reach it through that relay, whatever the router forwards. From the
LAN camsweep cannot see the session itself: it lists a cloud path when the device's own evidence
names the service (firm), or when the device's make ships it switched on (inferred, and said so).

Each rule names the public record its claim rests on. (These rules would belong in signatures/
once the signature loader takes a section for them; kept here meanwhile, with their sources.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.models import Confidence, Host

__all__ = ["CLOUD_SERVICES", "CloudMatch", "CloudService", "cloud_services_of"]


@dataclass(frozen=True, slots=True)
class CloudService:
    name: str
    # Evidence naming the service: a field whose name starts with one of these, or any value
    # matching ``text`` (case-insensitive).
    field_prefixes: tuple[str, ...]
    text: str
    # Makes that ship it switched on: a cloud path is listed (inferred) from the make alone.
    default_on: tuple[str, ...]
    meaning: str
    references: tuple[str, ...]


CLOUD_SERVICES: tuple[CloudService, ...] = (
    CloudService(
        name="CS2 Network P2P (PPPP)",
        field_prefixes=("cs2.", "pppp."),
        text=r"\bPPPP\b|CS2[ -]?Network|\biLnkP2P\b",
        default_on=("wificam",),
        meaning="the camera registers with CS2 P2P relays on UDP 32100; its UID is its address",
        references=(
            "https://nvd.nist.gov/vuln/detail/CVE-2020-9525",
            "https://nvd.nist.gov/vuln/detail/CVE-2020-9526",
            # P2P "cloud" on by default on WIFICAM clones (Pierre Kim, 2017-03-08)
            "https://pierrekim.github.io/blog/2017-03-08-camera-goahead-0day.html",
        ),
    ),
    CloudService(
        name="ThroughTek Kalay (TUTK)",
        field_prefixes=("kalay.", "tutk."),
        text=r"ThroughTek|\bTUTK\b|\bKalay\b|\bIOTC(?:APIs)?\b",
        default_on=(),
        meaning="the camera keeps a Kalay session open; its UID is enough to find it",
        references=(
            "https://nvd.nist.gov/vuln/detail/CVE-2021-28372",
            "https://www.cisa.gov/news-events/ics-advisories/icsa-21-229-01",
        ),
    ),
    CloudService(
        name="XMEye P2P cloud",
        field_prefixes=("xmeye.",),
        text=r"\bXMEye\b|\bCloudEnable\b",
        default_on=("xiongmai",),
        meaning="Xiongmai devices register with the XMEye cloud, on by default; cloud IDs are "
        "derived from the MAC address and guessable",
        references=(
            # SEC Consult's XMEye research (Oct 2018), as reported: "Enabled by default".
            "https://www.theregister.com/2018/10/09/xiongmai_cctv_fail/",
        ),
    ),
    CloudService(
        name="Hik-Connect / EZVIZ cloud",
        field_prefixes=("ezviz.", "hikconnect."),
        text=r"Hik-?Connect|\bEZVIZ\b|ezvizlife",
        default_on=("ezviz",),
        meaning="the camera keeps a session to Hikvision's cloud, reachable by its serial and "
        "verification code",
        references=("https://www.ezviz.com/",),
    ),
    CloudService(
        name="Dahua P2P (Easy4ip / IMOU)",
        field_prefixes=("dahua.p2p",),
        text=r"easy4ip|\bDahua P2P\b|imoulife",
        default_on=("imou",),
        meaning="the camera keeps a session to Dahua's P2P relay, reachable by its serial",
        references=("https://www.imoulife.com/",),
    ),
)

_MAX_TEXT = 4096  # of each evidence value searched


@dataclass(frozen=True, slots=True)
class CloudMatch:
    service: CloudService
    confidence: Confidence
    evidence: str  # what the listing rests on, in words


def _values(host: Host) -> Iterable[tuple[str, str]]:
    for service in host.services:
        yield from service.fields.items()
        if service.banner:
            yield "banner", service.banner


def cloud_services_of(host: Host) -> list[CloudMatch]:
    """The cloud paths the host's evidence shows (firm) or its make implies (inferred)."""
    found: list[CloudMatch] = []
    vendor = (host.identification.vendor or "").lower()
    for rule in CLOUD_SERVICES:
        pattern = re.compile(rule.text, re.IGNORECASE)
        evidence = ""
        for name, value in _values(host):
            if name.startswith(rule.field_prefixes):
                evidence = f"the device answered with {name}"
                break
            if pattern.search(value[:_MAX_TEXT]):
                evidence = f"{name} names it"
                break
        if evidence:
            found.append(CloudMatch(rule, Confidence.FIRM, evidence))
        elif vendor and any(vendor == make or vendor.startswith(make) for make in rule.default_on):
            found.append(
                CloudMatch(
                    rule,
                    Confidence.INFERRED,
                    f"{host.identification.vendor} devices ship with it switched on; camsweep "
                    "cannot see from the LAN whether it still is",
                )
            )
    return found
