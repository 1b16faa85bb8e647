"""The shipped knowledge: coverage aims of issue 5, OEM families, build-date ranges."""

from __future__ import annotations

import pytest

from scanner.match import VersionRange, load_signatures, parse_version
from scanner.models import DeviceType, Identification, Protocol, ServiceResult

SIGS = load_signatures()

# The families issue 5 names, as users meet them.
NAMED_FAMILIES = (
    "hikvision",
    "ezviz",
    "hiwatch",
    "lts",
    "dahua",
    "amcrest",
    "lorex",
    "imou",
    "xiongmai",
    "hisilicon",
    "wificam",
    "tbk",
    "foscam",
    "reolink",
    "axis",
    "hanwha",
    "uniview",
    "vivotek",
    "bosch",
    "sony",
    "ipro",
    "mobotix",
    "avigilon",
    "pelco",
    "geovision",
    "acti",
    "arecont",
    "milesight",
    "tiandy",
    "dlink",
    "tplink",
    "trendnet",
    "ubiquiti",
    "grandstream",
    "nuuo",
    "avtech",
    "wyze",
    "eufy",
    "yi",
    "tuya",
    "swann",
    "nightowl",
    "annke",
    "zmodo",
    "vstarcam",
    "provision",
    "honeywell",
)

# Every flaw in the field notes' table (shared/docs/field-notes.md).
FIELD_NOTE_CVES = (
    "CVE-2017-7921",
    "CVE-2017-7923",
    "CVE-2021-36260",
    "CVE-2021-33044",
    "CVE-2021-33045",
    "CVE-2018-17915",
    "CVE-2018-17917",
    "CVE-2018-17919",
    "CVE-2017-16725",
    "CVE-2017-7577",
    "CVE-2017-8225",
    "CVE-2018-9995",
    "CVE-2020-25078",
    "CVE-2024-7029",
    "CVE-2018-10658",
    "CVE-2018-10659",
    "CVE-2018-10660",
    "CVE-2018-10661",
    "CVE-2018-10662",
    "CVE-2018-10663",
    "CVE-2018-10664",
    "CVE-2018-6830",
    "CVE-2018-6831",
    "CVE-2018-6832",
    "CVE-2019-3948",
    "CVE-2021-4045",
    "CVE-2021-32934",
    "CVE-2021-40406",
)


def test_coverage_aims() -> None:
    stats = SIGS.stats()
    assert stats["camera_brands"] >= 40
    assert stats["fingerprints"] >= 150
    assert stats["credential_brands"] >= 40
    assert stats["route_brands"] >= 25
    camera_vendors = {
        fp.vendor
        for fp in SIGS.fingerprints
        if fp.device_type in (DeviceType.CAMERA, DeviceType.RECORDER)
    }
    assert set(NAMED_FAMILIES) <= camera_vendors, set(NAMED_FAMILIES) - camera_vendors
    credential_vendors = {entry.vendor for entry in SIGS.credentials}
    assert len(credential_vendors - {"generic"}) >= 40


def test_every_field_note_flaw_has_one_entry_with_one_vendor() -> None:
    owners: dict[str, list[str]] = {}
    for vuln in SIGS.vulnerabilities:
        for cve in vuln.cves:
            owners.setdefault(cve, []).append(vuln.id)
        assert vuln.references
        assert vuln.id.startswith(vuln.vendor + "-")
    assert set(FIELD_NOTE_CVES) <= set(owners), set(FIELD_NOTE_CVES) - set(owners)
    assert all(len(ids) == 1 for ids in owners.values())


def test_entries_that_send_requests_say_how_safe_they_are() -> None:
    for vuln in SIGS.vulnerabilities:
        if vuln.check is not None:
            assert vuln.safety.value in ("safe", "intrusive"), vuln.id
        else:
            assert vuln.safety.value == "passive", vuln.id


def test_unverified_entries_say_so_in_their_findings() -> None:
    ident = Identification(vendor="Hikvision", firmware="V5.5.0 build 170725")
    (finding,) = [f for f in SIGS.vulnerability_findings(ident) if f.id.endswith("36260")]
    assert "Unverified signature" in finding.evidence
    assert "build < 210625" in finding.evidence


def test_credentials_cover_the_mirai_list_and_name_their_source() -> None:
    telnet = SIGS.credentials_for(None, "telnet")
    assert len(telnet) >= 55
    assert all(pair.reference or pair.note for pair in telnet)


# --- OEM families -------------------------------------------------------------------------------

LTS_CAMERA = [
    ServiceResult(
        80,
        Protocol.HTTP,
        fields={"http.server": "App-webs/", "http.location": "/doc/page/login.asp"},
    ),
    ServiceResult(
        80,
        Protocol.ONVIF,
        fields={"onvif.manufacturer": "LTS", "onvif.model": "CMIP3042W-28M"},
    ),
]


def test_an_oem_badge_wins_over_its_familys_banner() -> None:
    ident = SIGS.identify(LTS_CAMERA, [80])
    assert ident.vendor == "LTS"
    assert ident.model == "CMIP3042W-28M"
    assert "LTS sells Hikvision firmware (OEM family)" in ident.identified_by
    # The family's fingerprints support the identification instead of being "outweighed".
    assert "hikvision-webs-server" in ident.fingerprint_ids
    assert not any("outweighed" in line for line in ident.identified_by)


def test_without_the_badge_the_family_is_named() -> None:
    ident = SIGS.identify(LTS_CAMERA[:1], [80])
    assert ident.vendor == "Hikvision"


def test_an_oem_brand_inherits_its_familys_flaws_credentials_and_routes() -> None:
    lts = Identification(vendor="LTS", model="CMIP3042W-28M", firmware="V5.2.5 build 141201")
    assert "hikvision-cve-2017-7921" in {f.id for f in SIGS.vulnerability_findings(lts)}
    pairs = [(p.username, p.password) for p in SIGS.credentials_for("LTS", "http")]
    assert pairs[0] == ("admin", "12345")
    amcrest = [(p.username, p.password) for p in SIGS.credentials_for("Amcrest", "rtsp")]
    assert amcrest[0] == ("admin", "admin")  # Amcrest's own pair first, then Dahua's
    assert ("888888", "888888") in amcrest
    assert SIGS.routes_for("Amcrest")[0] == "/cam/realmonitor?channel=1&subtype=0"
    # A brand's own flaw does not spread to its family.
    dahua = Identification(vendor="Dahua", model="IP2M-841B", firmware="V2.520.AC00.18.R")
    assert "amcrest-cve-2019-3948" not in {f.id for f in SIGS.vulnerability_findings(dahua)}


# --- build-date ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("firmware", "inside"),
    [
        ("V5.5.0 build 170725", True),
        ("V5.4.0 build 160530", True),
        ("V5.5.800 build 210628", False),
        ("V5.3.0 build 150513", False),  # below the release bound
        ("V5.5.0", False),  # no build: unknown
    ],
)
def test_build_before(firmware: str, inside: bool) -> None:
    span = VersionRange(parse_version("5.4.0"), None, False, build_before=210625)
    assert span.contains(parse_version(firmware)) is inside
    assert span.describe() == "5.4.0 <= version with build < 210625"


def test_the_alias_table_holds_two_hundred_surveillance_brands() -> None:
    # issue 13, item 3: at least 200 surveillance brands and OEM badges whose name is evidence
    from scanner.match.generic import surveillance_brands  # noqa: PLC0415

    brands = surveillance_brands(SIGS)
    assert len(brands) >= 200
    # both alias tables count: a badge from vendors_brands.yaml and one from vendors_aliases.yaml
    assert {"lorex", "hilook", "bluecherry"} <= brands
    # a maker that also sells routers and printers is never camera evidence by name alone
    assert "tplink" not in brands


def test_classifier_brand_lists_name_known_vendors() -> None:
    # a misspelt id in camera_makers or mixed_brands would silently do nothing
    from scanner.match.identify_data import classifier_data  # noqa: PLC0415

    data = classifier_data()
    known = {v.id for v in SIGS.vendors}
    assert data.camera_makers <= known, sorted(data.camera_makers - known)
    assert data.camera_makers.isdisjoint(data.mixed_brands)
