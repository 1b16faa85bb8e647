"""Candidate order from every vendor the evidence names, and the Telnet botnet budget."""

from __future__ import annotations

import dataclasses

import pytest

from scanner.credentials.order import (
    BOTNET_TELNET_BUDGET,
    MAC_WEIGHT,
    candidate_pairs,
    telnet_budget,
    vendor_claims,
)
from scanner.match.engine import SignatureSet
from scanner.match.loader import load_signatures
from scanner.match.schema import CredentialEntry, CredentialPair, CredentialProtocol, Source
from scanner.models import DeviceType, Identification


@pytest.fixture(scope="module")
def sigs() -> SignatureSet:
    return load_signatures()


def test_an_oem_board_merges_both_makers_lists(sigs: SignatureSet) -> None:
    # A badge the signatures place in Dahua's family (Amcrest), on a board whose MAC is
    # registered to Hikvision: both makers' pairs, the identified one's first.
    ident = Identification(vendor="amcrest", device_type=DeviceType.CAMERA)
    claims = vendor_claims(sigs, ident, {"mac.vendor": "Hangzhou Hikvision Digital Technology"})
    named = {c.vendor: c for c in claims}
    assert {"amcrest", "dahua", "hikvision"} <= set(named)
    assert named["hikvision"].weight == MAC_WEIGHT
    assert named["dahua"].why == "OEM family of amcrest"
    listed = candidate_pairs(sigs, claims, "rtsp")
    pairs = list(listed.pairs)
    assert pairs.index(("admin", "admin")) < pairs.index(("admin", "12345"))  # amcrest/dahua
    assert ("admin", "12345") in pairs  # hikvision's, from the MAC
    assert ("888888", "888888") in pairs  # dahua's own list, from the family
    generic_tail = pairs[-3:]
    assert all(p in pairs for p in generic_tail)


def _entry(vendor: str, *passwords: str) -> CredentialEntry:
    pairs = tuple(CredentialPair("root", p, note="test") for p in passwords)
    return CredentialEntry(vendor, CredentialProtocol.TELNET, pairs, Source("test", 0))


def test_a_pair_two_vendors_ship_comes_first(sigs: SignatureSet) -> None:
    # Synthetic lists, so the test does not follow the data file's edits.
    local = dataclasses.replace(
        sigs,
        credentials=(
            _entry("xiongmai", "a", "b", "c", "d", "shared"),
            _entry("hisilicon", "h", "shared", "i"),
            _entry("generic", "g", "a"),
        ),
    )
    xm = vendor_claims(local, Identification(vendor="xiongmai"), {})
    hs = vendor_claims(local, Identification(vendor="hisilicon"), {})
    alone = candidate_pairs(local, xm, "telnet").pairs
    assert [p for _, p in alone] == ["a", "b", "c", "d", "shared", "g"]
    merged = candidate_pairs(local, [*xm, *hs], "telnet").pairs
    # "shared": 50/5 + 50/2 = 35 beats "b" (50/2 = 25); each list keeps its own order.
    assert [p for _, p in merged] == ["a", "h", "shared", "b", "c", "i", "d", "g"]


def test_custom_pairs_lead_and_nothing_repeats(sigs: SignatureSet) -> None:
    claims = vendor_claims(sigs, Identification(vendor="hikvision"), {})
    listed = candidate_pairs(sigs, claims, "http", [("me", "mine"), ("admin", "12345")])
    assert listed.pairs[:2] == (("me", "mine"), ("admin", "12345"))
    assert len(set(listed.pairs)) == len(listed.pairs)
    assert listed.custom == 2


def test_no_evidence_means_the_generic_list(sigs: SignatureSet) -> None:
    claims = vendor_claims(sigs, Identification(), {"mac.vendor": "Acme Widget Works Ltd"})
    assert claims == []
    listed = candidate_pairs(sigs, claims, "telnet")
    assert listed.pairs[0] == ("root", "xc3511")  # the Mirai list, in its own order


def test_telnet_budget_is_the_botnets_on_cameras_only(sigs: SignatureSet) -> None:
    cam = Identification(vendor="xiongmai", device_type=DeviceType.RECORDER)
    listed = candidate_pairs(sigs, vendor_claims(sigs, cam, {}), "telnet")
    assert telnet_budget(3, cam, listed)[0] == BOTNET_TELNET_BUDGET == 10
    plain = candidate_pairs(sigs, [], "telnet")
    assert telnet_budget(3, Identification(), plain)[0] == 3
    # A user who raised the budget keeps it.
    assert telnet_budget(20, cam, listed)[0] == 20
