"""Make, model and class from discovery evidence, behind the fingerprints."""

from __future__ import annotations

import pytest

from scanner.match import SignatureSet
from scanner.match.identity import enrich_identification, known_vendor
from scanner.models import DeviceType, Identification, Protocol, ServiceResult


def wsd(**fields: str) -> ServiceResult:
    return ServiceResult(3702, Protocol.WSDISCOVERY, transport="udp", fields=fields)


def ssdp(**fields: str) -> ServiceResult:
    return ServiceResult(1900, Protocol.SSDP, transport="udp", fields=fields)


def mdns(**fields: str) -> ServiceResult:
    return ServiceResult(5353, Protocol.MDNS, transport="udp", fields=fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hangzhou Hikvision Digital Technology Co.,Ltd.", "Hikvision"),
        ("Zhejiang Dahua Technology Co., Ltd.", "Dahua"),
        ("Axis Communications AB", "Axis"),
        ("HIKVISION", "Hikvision"),
        ("Totally Unknown Widgets Inc.", None),
        ("", None),
        (None, None),
    ],
)
def test_known_vendor(signatures: SignatureSet, text: str | None, expected: str | None) -> None:
    assert known_vendor(text, signatures) == expected


def test_scopes_alone_name_make_model_and_camera(signatures: SignatureSet) -> None:
    services = [
        wsd(
            **{
                "onvif.name": "AXIS M1065-L",
                "onvif.hardware": "M1065-L",
                "onvif.types": "dn:NetworkVideoTransmitter tds:Device",
            }
        )
    ]
    ident = enrich_identification(Identification(), services, signatures)
    assert (ident.vendor, ident.model, ident.device_type) == ("Axis", "M1065-L", DeviceType.CAMERA)
    (line,) = ident.identified_by
    assert "onvif.hardware = 'M1065-L'" in line
    assert "decided the make, model, device type" in line


def test_hardware_may_carry_the_make_and_unknown_names_are_not_makes(
    signatures: SignatureSet,
) -> None:
    ident = enrich_identification(
        Identification(), [wsd(**{"onvif.hardware": "HIKVISION DS-2CD2142FWD-I"})], signatures
    )
    assert (ident.vendor, ident.model) == ("Hikvision", "DS-2CD2142FWD-I")
    # A name the owner typed ("Front door") is not a make.
    ident = enrich_identification(
        Identification(), [wsd(**{"onvif.name": "Front door", "onvif.hardware": "X1"})], signatures
    )
    assert (ident.vendor, ident.model) == (None, "X1")


def test_fingerprints_win_and_disagreement_is_shown(signatures: SignatureSet) -> None:
    fingerprinted = Identification(
        vendor="Dahua",
        model="IPC-HDW4431C-A",
        device_type=DeviceType.CAMERA,
        identified_by=("fingerprint dahua-rtsp-server: ...",),
    )
    services = [ssdp(**{"ssdp.manufacturer": "Hikvision", "ssdp.model_name": "DS-2CD"})]
    ident = enrich_identification(fingerprinted, services, signatures)
    assert (ident.vendor, ident.model) == ("Dahua", "IPC-HDW4431C-A")
    assert ident.identified_by[0] == "fingerprint dahua-rtsp-server: ..."
    assert "outweighed: identified as Dahua" in ident.identified_by[1]


def test_discovery_fills_only_the_gaps_of_the_same_make(signatures: SignatureSet) -> None:
    services = [
        ssdp(
            **{
                "ssdp.manufacturer": "Hikvision",
                "ssdp.model_name": "DS-2CD2032-I",
                "ssdp.firmware": "V5.2.5 build 141201",
            }
        )
    ]
    ident = enrich_identification(Identification(vendor="Hikvision"), services, signatures)
    assert (ident.model, ident.firmware) == ("DS-2CD2032-I", "V5.2.5 build 141201")
    assert "decided the model, firmware" in ident.identified_by[-1]


def test_unknown_upnp_manufacturer_is_still_the_make(signatures: SignatureSet) -> None:
    ident = enrich_identification(
        Identification(),
        [ssdp(**{"ssdp.manufacturer": "Wyzecam Labs", "ssdp.model_number": "V3"})],
        signatures,
    )
    assert (ident.vendor, ident.model) == ("Wyzecam Labs", "V3")


def test_homekit_camera_category_and_txt_model(signatures: SignatureSet) -> None:
    services = [
        mdns(
            **{
                "mdns.service_type": "_hap._tcp",
                "mdns.txt.md": "Circle View",
                "mdns.txt.ci": "17",
                "mdns.txt.fw": "2.1",
            }
        )
    ]
    ident = enrich_identification(Identification(), services, signatures)
    assert (ident.model, ident.firmware, ident.device_type) == (
        "Circle View",
        "2.1",
        DeviceType.CAMERA,
    )
    # A HomeKit light bulb (category 5) is not a camera.
    services = [mdns(**{"mdns.service_type": "_hap._tcp", "mdns.txt.ci": "5"})]
    assert enrich_identification(Identification(), services, signatures) == Identification()


def test_mac_vendor_gives_only_the_make_and_says_its_limit(signatures: SignatureSet) -> None:
    ident = enrich_identification(
        Identification(),
        [],
        signatures,
        mac_oui="00:40:8C",
        mac_vendor="Axis Communications AB",
    )
    assert (ident.vendor, ident.model, ident.device_type) == ("Axis", None, DeviceType.UNKNOWN)
    assert "white-label" in ident.identified_by[0]
    unknown = enrich_identification(Identification(), [], signatures, mac_vendor="Intel Corporate")
    assert unknown == Identification()


def test_device_text_is_cleaned_before_it_becomes_a_model(signatures: SignatureSet) -> None:
    ident = enrich_identification(
        Identification(), [wsd(**{"onvif.hardware": "X1\x1b[2J\n" + "y" * 500})], signatures
    )
    assert ident.model is not None
    assert "\x1b" not in ident.model
    assert "\n" not in ident.model
    assert len(ident.model) <= 100
