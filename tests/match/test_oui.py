"""The camera-vendor OUI class, derived from scapy's manufacturer database at test time."""

from __future__ import annotations

import pytest

from scanner.match import load_signatures
from scanner.match.oui import (
    camera_oui_class,
    mac_vendor_fingerprints,
    manufacturer_database,
    normalise_oui,
)

SIGS = load_signatures()
REGISTRY = manufacturer_database()
CLASS = camera_oui_class(SIGS)


def test_the_registry_is_there() -> None:
    # scapy is a dependency; its manuf file carries tens of thousands of MA-L assignments.
    assert len(REGISTRY) > 20_000


def test_every_mac_vendor_example_is_a_registered_assignment() -> None:
    for fp in SIGS.fingerprints:
        for example in fp.examples:
            fields = dict(example.fields)
            if "mac.vendor" not in fields:
                continue
            assert fields["mac.vendor"] in set(REGISTRY.values()), fp.id
            if "mac.oui" in fields:
                assert REGISTRY[fields["mac.oui"]] == fields["mac.vendor"], fp.id


def test_every_camera_maker_pattern_names_a_registered_organisation() -> None:
    # A pattern that matches nothing in the registry is a typo or an invented name.
    fingerprints = mac_vendor_fingerprints(SIGS)
    assert len({fp.vendor for fp in fingerprints}) >= 30
    covered = set(CLASS.values())
    assert {fp.vendor for fp in fingerprints} <= covered


def test_the_class_is_derived_not_typed() -> None:
    assert len(CLASS) >= 150
    assert all(REGISTRY[oui] for oui in CLASS)
    hikvision = [oui for oui, vendor in CLASS.items() if vendor == "hikvision"]
    assert len(hikvision) >= 50  # Hikvision holds dozens of blocks; all of them come along
    assert CLASS.get("00:40:8C") == "axis"


@pytest.mark.parametrize(
    "organisation",
    [
        "Xiamen Milesight IoT Co., Ltd.",  # LoRaWAN sensors and gateways as well as cameras
        "Sony Interactive Entertainment Inc.",
        "Panasonic Automotive Systems Co.,Ltd",
        "Honeywell International Inc",
        "Samsung Electronics Co.,Ltd",
        "Tuya Smart Inc.",
        "Nest Labs Inc.",
    ],
)
def test_makers_of_other_things_are_not_in_the_class(organisation: str) -> None:
    prefixes = [oui for oui, name in REGISTRY.items() if name == organisation]
    assert prefixes, organisation  # the name is real
    assert not set(prefixes) & set(CLASS), organisation


def test_a_class_from_an_injected_registry() -> None:
    registry = {"AA:BB:CC": "Hangzhou Hikvision Digital Technology Co.,Ltd.", "AA:BB:CD": "Acme"}
    assert camera_oui_class(SIGS, registry) == {"AA:BB:CC": "hikvision"}
    assert camera_oui_class(SIGS, {}) == {}


@pytest.mark.parametrize(
    ("text", "oui"),
    [
        ("00:40:8c:12:34:56", "00:40:8C"),
        ("00-40-8C-12-34-56", "00:40:8C"),
        ("0040.8c12.3456", "00:40:8C"),
        ("00408C", "00:40:8C"),
        ("zz:40:8c", None),
        ("00:40", None),
        ("", None),
    ],
)
def test_normalise_oui(text: str, oui: str | None) -> None:
    assert normalise_oui(text) == oui
