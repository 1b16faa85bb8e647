"""ScanConfig: one frozen set of options; the profile carries what it allows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scanner.config import DiscoveryOptions, Profile, ScanConfig
from scanner.context import ProbeContext
from scanner.enrich import LanEnricher, NmapEnricher, build_enrichers
from scanner.match import load_signatures
from scanner.match.schema import Safety
from scanner.pipeline import with_profile_defaults
from scanner.probe.nmap import NmapOptions
from scanner.targets import expand_specs


def test_each_profile_says_what_it_allows() -> None:
    assert not Profile.GUEST.logs_in
    assert Profile.OWNER.logs_in
    assert Profile.LAB.logs_in
    assert Profile.GUEST.active_checks == frozenset()
    assert Profile.OWNER.active_checks == {Safety.SAFE}
    assert Profile.LAB.active_checks == {Safety.SAFE, Safety.INTRUSIVE}
    # Every safety class a signature can name is known to the profiles' vocabulary.
    assert set(Profile.LAB.active_checks) | {Safety.PASSIVE} == set(Safety)


def test_config_takes_a_profile_name_and_keeps_the_enum() -> None:
    config = ScanConfig(targets=(), target_specs=(), ports=(80,))
    guest = replace(config, profile="guest")  # type: ignore[arg-type]
    assert guest.profile is Profile.GUEST
    assert not with_profile_defaults(guest).logs_in
    assert with_profile_defaults(config).logs_in
    with pytest.raises(ValueError, match="root"):
        replace(config, profile="root")  # type: ignore[arg-type]


def test_enrichers_come_from_the_options() -> None:
    signatures = load_signatures()
    bare = ScanConfig(targets=(), target_specs=(), ports=(80,))
    assert build_enrichers(bare, signatures, ProbeContext()) == []
    full = replace(
        bare,
        discovery=DiscoveryOptions(passive=1.0),
        scope=tuple(expand_specs(["127.0.0.1"])),
        nmap=NmapOptions(enrich=True),
    )
    assert full.passive
    kinds = [type(e) for e in build_enrichers(full, signatures, ProbeContext())]
    assert kinds == [LanEnricher, NmapEnricher]
