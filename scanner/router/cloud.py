"""Cloud paths: P2P services that make a camera reachable from the internet without any forward.

The camera keeps an outbound session to its maker's relay; anyone who knows (or guesses) its
cloud ID and password can then reach it through that relay, whatever the router forwards. From the
LAN camsweep cannot see the session itself: it lists a cloud path when the device's own evidence
names the service (firm), or when the device's make ships it switched on (inferred, and said so).

Which services, what names them and which makes ship them on is data, each rule with its public
source: the ``cloud`` section of the signatures (signatures/cloud.yaml, docs/signatures.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scanner.match.loader import load_signatures
from scanner.match.schema import CloudService, VendorInfo
from scanner.models import Confidence, Host

__all__ = ["CloudMatch", "VendorLookup", "cloud_services_of", "shipped_cloud_services"]

# A signature set's vendor lookup (SignatureSet.vendor): an id, display name or alias -> vendor.
VendorLookup = Callable[[str], VendorInfo | None]


def shipped_cloud_services() -> tuple[CloudService, ...]:
    """The shipped signatures' cloud services (parsed once per process by the loader)."""
    return load_signatures().cloud


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


def _vendor_id(host: Host, vendors: VendorLookup | None) -> str | None:
    """The id of the host's make: its identification holds the vendor's display name
    ("P2P WIFICAM (GoAhead white label)"), ``default_on`` holds ids ("wificam")."""
    name = host.identification.vendor
    if not name:
        return None
    info = (vendors or load_signatures().vendor)(name)
    return info.id if info is not None else None


def cloud_services_of(
    host: Host, rules: Sequence[CloudService] | None = None, vendors: VendorLookup | None = None
) -> list[CloudMatch]:
    """The cloud paths the host's evidence shows (firm) or its make implies (inferred).

    ``rules``: the signature set's cloud services; ``vendors``: the same set's vendor lookup
    (a name to its id); the shipped ones when None.
    """
    found: list[CloudMatch] = []
    make = _vendor_id(host, vendors)
    for rule in shipped_cloud_services() if rules is None else rules:
        pattern = rule.pattern
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
        elif make is not None and make in rule.default_on:
            found.append(
                CloudMatch(
                    rule,
                    Confidence.INFERRED,
                    f"{host.identification.vendor} devices ship with it switched on; camsweep "
                    "cannot see from the LAN whether it still is",
                )
            )
    return found
