"""Which default pairs to try on a device, in what order, and how many: from all the evidence.

A device can name more than one maker: an OEM board shows one vendor's MAC and another maker's
firmware, a badge on the web page and a family behind it. Every vendor the evidence names
contributes its pair list, weighted by how strongly the evidence names it:

* the identified vendor (the fingerprint that won): its strongest fingerprint's weight;
* every other vendor whose fingerprints matched: that fingerprint's weight;
* the MAC's registered organisation, when the signatures know it: ``MAC_WEIGHT`` (a board or
  Wi-Fi module maker is often not the firmware maker, so it counts less than a fingerprint);
* each of those vendors' OEM family (the maker of the firmware the badge sells): its member's
  weight times ``FAMILY_FACTOR``.

A pair scores the sum over the vendors listing it of ``weight / (1 + its position in that
vendor's list)``: a pair two vendors both ship comes first; each list's own order (most likely
first) is kept. The generic lists follow, in file order. The user's ``--creds`` pairs go before
all of them. The lockout-safe budget (``--max-login-failures``) then takes the head of the list.

Telnet on a device that shows no lockout behaviour may go further: Mirai, the botnet that spread
through camera and DVR Telnet logins, gives up on a host after 10 tries
(``if (++(conn->tries) == 10)`` in mirai/bot/scanner.c, published source:
https://github.com/jgamblin/Mirai-Source-Code/blob/master/mirai/bot/scanner.c). Devices it
infected locked nothing after 10 failures, so a camera or recorder whose Telnet login answers
refusals without lockout words gets ``BOTNET_TELNET_BUDGET`` tries: the same number an attacker
gets, no more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scanner.credentials.checker import CredentialCheck
from scanner.match.engine import SignatureSet
from scanner.match.identity import known_vendor
from scanner.match.schema import GENERIC
from scanner.models import DeviceType, Identification, Protocol

__all__ = [
    "BOTNET_TELNET_BUDGET",
    "FAMILY_FACTOR",
    "MAC_WEIGHT",
    "CandidateList",
    "VendorClaim",
    "candidate_pairs",
    "credential_note",
    "telnet_budget",
    "vendor_claims",
]

MAC_WEIGHT = 30
FAMILY_FACTOR = 0.8
BOTNET_TELNET_BUDGET = 10
_IDENTIFIED_FLOOR = 50  # the identified vendor weighs at least this, whatever named it

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class VendorClaim:
    vendor: str  # vendor id
    weight: float
    why: str  # "identified", "fingerprint <id>", "MAC <organisation>", "OEM family of <id>"


@dataclass(frozen=True, slots=True)
class CandidateList:
    pairs: tuple[Pair, ...]
    vendors: tuple[VendorClaim, ...]  # the vendors whose lists were merged, strongest first
    custom: int  # how many of the pairs come from --creds (they lead)


def vendor_claims(
    signatures: SignatureSet, ident: Identification, host_fields: Mapping[str, str]
) -> list[VendorClaim]:
    """Every vendor the evidence names, strongest first, families included (one claim each)."""
    best: dict[str, VendorClaim] = {}

    def claim(vendor_id: str | None, weight: float, why: str) -> None:
        info = signatures.vendor(vendor_id)
        if info is None or weight <= 0:
            return
        if info.id not in best or best[info.id].weight < weight:
            best[info.id] = VendorClaim(info.id, weight, why)

    weights = {fp.id: fp for fp in signatures.fingerprints}
    for fp_id in ident.fingerprint_ids:
        fp = weights.get(fp_id)
        if fp is not None and fp.vendor != GENERIC:
            claim(fp.vendor, fp.weight, f"fingerprint {fp_id}")
    if ident.vendor:
        top = max((c.weight for c in best.values()), default=0.0)
        claim(ident.vendor, max(top, _IDENTIFIED_FLOOR), "identified")
    mac_name = known_vendor(host_fields.get("mac.vendor"), signatures)
    if mac_name:
        claim(mac_name, MAC_WEIGHT, f"MAC {host_fields.get('mac.vendor')}")
    for member in list(best.values()):
        info = signatures.vendor(member.vendor)
        if info is not None and info.family:
            claim(info.family, member.weight * FAMILY_FACTOR, f"OEM family of {member.vendor}")
    return sorted(best.values(), key=lambda c: -c.weight)


def _lists(signatures: SignatureSet, vendor: str, protocol: str) -> list[Pair]:
    pairs: list[Pair] = []
    for entry in signatures.credentials:
        if entry.vendor == vendor and entry.protocol.value == protocol:
            pairs.extend((p.username, p.password) for p in entry.pairs)
    return list(dict.fromkeys(pairs))


def candidate_pairs(
    signatures: SignatureSet,
    claims: Sequence[VendorClaim],
    protocol: str,
    custom: Iterable[Pair] = (),
) -> CandidateList:
    """The user's pairs, then the evidenced vendors' pairs by score, then the generic list."""
    proto = "http" if protocol == "https" else protocol
    scores: dict[Pair, float] = {}
    first_seen: dict[Pair, int] = {}
    used: list[VendorClaim] = []
    for claim in claims:
        pairs = _lists(signatures, claim.vendor, proto)
        if pairs:
            used.append(claim)
        for rank, pair in enumerate(pairs):
            scores[pair] = scores.get(pair, 0.0) + claim.weight / (1 + rank)
            first_seen.setdefault(pair, len(first_seen))
    ranked = sorted(scores, key=lambda p: (-scores[p], first_seen[p]))
    mine = list(dict.fromkeys(custom))
    ordered = list(dict.fromkeys([*mine, *ranked, *_lists(signatures, GENERIC, proto)]))
    return CandidateList(tuple(ordered), tuple(used), len(mine))


def telnet_budget(base: int, ident: Identification, candidates: CandidateList) -> tuple[int, str]:
    """The Telnet budget and why: the botnet's 10 tries on a camera or recorder (by its type, or
    a vendor with Telnet defaults named by the evidence), else the device budget."""
    iot = ident.device_type in (DeviceType.CAMERA, DeviceType.RECORDER) or bool(candidates.vendors)
    if iot and base < BOTNET_TELNET_BUDGET:
        return (
            BOTNET_TELNET_BUDGET,
            f"{BOTNET_TELNET_BUDGET} (a camera/recorder Telnet login: the tries Mirai makes; "
            "stops at the first lockout sign)",
        )
    return base, f"{base} (the per-device budget of failed logins)"


def credential_note(
    protocol: Protocol, port: int, check: CredentialCheck, listed: CandidateList, *, budget_why: str
) -> str:
    """One line for the host's notes: how many pairs were tried, out of how many, and why."""
    tried = check.attempts
    plural = "pair" if tried == 1 else "pairs"
    vendors = ", ".join(f"{c.vendor} ({c.why})" for c in listed.vendors) or "none named"
    return (
        f"{protocol.value}/{port}: {tried} {plural} tried with credentials (the random control "
        f"pair included) of {len(listed.pairs)} candidates; budget {budget_why}; vendor lists "
        f"merged: {vendors}; result: {check.status}; answers: {check.evidence}"
    )
