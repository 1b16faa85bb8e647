"""Organisation names read down to a brand (scanner/match/orgname.py), and the classifier using
them for a MAC's registered organisation. Organisation names as the IEEE MA-L registry spells
them (https://standards-oui.ieee.org/oui/oui.txt, scapy's copy)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scanner.match import load_signatures
from scanner.match.orgname import maker_spellings
from scanner.models import DeviceType

SIGS = load_signatures([])


def test_legal_forms_and_places_are_read_down_to_the_brand() -> None:
    assert maker_spellings("Messoa Technologies Inc.")[:2] == [
        "Messoa Technologies Inc.",
        "Messoa Technologies",
    ]
    spellings = maker_spellings("Hangzhou Hikvision Digital Technology Co.,Ltd.")
    assert "Hangzhou Hikvision Digital Technology" in spellings
    assert "Hikvision" in spellings
    assert maker_spellings("  ") == []


@given(st.text(max_size=300))
def test_spellings_are_bounded_and_start_with_the_text(text: str) -> None:
    spellings = maker_spellings(text)
    assert len(spellings) <= 1 + 3 + 12
    if text.strip():
        assert spellings[0] == text.strip()


def test_a_mac_organisation_with_its_legal_form_names_a_surveillance_brand() -> None:
    # Messoa's and INSTAR's registry entries: the alias table knows the brands, not the forms
    for org, vendor in (
        ("Messoa Technologies Inc.", "messoa"),
        ("INSTAR Deutschland GmbH", "instar"),
    ):
        ident = SIGS.identify([], [], {"mac.oui": "18:4E:94", "mac.vendor": org})
        assert ident.device_type is DeviceType.CAMERA, ident.identified_by
        info = SIGS.vendor(ident.vendor)
        assert info is not None
        assert info.id == vendor


def test_a_mixed_brand_organisation_is_no_camera_by_name() -> None:
    # Sony sells TVs and phones: its registry name alone says nothing about a camera
    ident = SIGS.identify([], [], {"mac.oui": "00:1D:BA", "mac.vendor": "Sony Corporation"})
    assert ident.device_type is not DeviceType.CAMERA
