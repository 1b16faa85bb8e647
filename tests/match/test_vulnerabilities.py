"""vulnerability_findings(): version ranges, model rules, fingerprint entries, evidence text."""

from __future__ import annotations

import pytest

from scanner.match import load_signatures
from scanner.match.loader import load_text
from scanner.models import Confidence, Identification, Severity

SIGS = load_signatures()


def _ids(ident: Identification) -> list[str]:
    return [f.id for f in SIGS.vulnerability_findings(ident)]


def test_lab_hikvision_firmware_is_in_the_cve_2017_7921_range() -> None:
    ident = Identification(vendor="Hikvision", model="DS-2CD2032-I", firmware="V5.2.5 build 141201")
    findings = {f.id: f for f in SIGS.vulnerability_findings(ident)}
    finding = findings["hikvision-cve-2017-7921"]
    assert finding.severity is Severity.CRITICAL
    assert finding.confidence is Confidence.INFERRED
    assert finding.cves == ("CVE-2017-7921",)
    assert "https://www.cisa.gov/news-events/ics-advisories/icsa-17-124-01" in finding.references
    assert finding.evidence.startswith(
        "firmware 'V5.2.5 build 141201' is in the affected range "
        "V5.2.0 build 140721 <= version <= V5.4.0 build 160530"
    )
    assert "not tested" in finding.evidence
    assert "5.4.41" in finding.remediation
    assert finding.port is None


@pytest.mark.parametrize(
    ("firmware", "affected"),
    [
        ("V5.2.0 build 140721", True),
        ("V5.3.0 build 150513", True),
        ("V5.4.0 build 160530", True),
        # No build at a bound's own release: which side of the bound is unknown, so no claim.
        ("V5.4.0", False),
        ("5.2", False),
        ("V5.1.9 build 140101", False),
        ("V5.4.41 build 170312", False),
        ("V5.4.5 build 170124", False),
        ("V5.5.0 build 170725", False),
        ("no version here", False),
    ],
)
def test_cve_2017_7921_boundaries(firmware: str, affected: bool) -> None:
    ident = Identification(vendor="hikvision", model="DS-2CD2032-I", firmware=firmware)
    assert ("hikvision-cve-2017-7921" in _ids(ident)) is affected


def test_model_specific_range_needs_the_model() -> None:
    fwd = Identification(
        vendor="Hikvision", model="DS-2CD2142FWD-IWS", firmware="V5.4.4 build 161125"
    )
    assert "hikvision-cve-2017-7921" in _ids(fwd)
    (finding,) = [f for f in SIGS.vulnerability_findings(fwd) if f.id.endswith("7921")]
    assert "for models /^DS-2CD2[0-9]{2}2FWD/" in finding.evidence
    other = Identification(vendor="Hikvision", model="DS-2CD2032-I", firmware="V5.4.4 build 161125")
    assert "hikvision-cve-2017-7921" not in _ids(other)
    unknown_model = Identification(vendor="Hikvision", firmware="V5.4.4 build 161125")
    assert "hikvision-cve-2017-7921" not in _ids(unknown_model)


def test_axis_current_firmware_matches_nothing() -> None:
    assert _ids(Identification(vendor="Axis", model="M3045-V", firmware="10.12.220")) == []
    # The same version under any vendor must not fall into a Hikvision 5.x range either.
    assert _ids(Identification(vendor="Hikvision", firmware="10.12.220")) == []


def test_vendor_must_match_and_missing_firmware_gives_no_version_finding() -> None:
    assert _ids(Identification(vendor="Dahua", firmware="V5.2.5 build 141201")) == []
    assert _ids(Identification(vendor=None, firmware="V5.2.5 build 141201")) == []
    assert _ids(Identification(vendor="Hikvision", model="DS-2CD2032-I")) == []


def test_fingerprint_based_entry_for_uc_httpd_1_0_0() -> None:
    ident = Identification(
        vendor="Xiongmai",
        fingerprint_ids=("xiongmai-netsurveillance-title", "xiongmai-uc-httpd-1-0-0"),
    )
    findings = {f.id: f for f in SIGS.vulnerability_findings(ident)}
    assert findings["xiongmai-cve-2017-7577"].evidence.startswith(
        "fingerprint xiongmai-uc-httpd-1-0-0 matched."
    )
    assert findings["xiongmai-cve-2017-7577"].cves == ("CVE-2017-7577",)
    newer = Identification(vendor="Xiongmai", fingerprint_ids=("xiongmai-uc-httpd",))
    assert "xiongmai-cve-2017-7577" not in _ids(newer)


def test_unverified_entries_say_so() -> None:
    ident = Identification(vendor="Hikvision", firmware="V5.5.0 build 170725")
    (finding,) = [f for f in SIGS.vulnerability_findings(ident) if f.id.endswith("36260")]
    assert "Unverified signature" in finding.evidence
    xm = Identification(vendor="Xiongmai", fingerprint_ids=("xiongmai-dvrip-port",))
    (cloud,) = [f for f in SIGS.vulnerability_findings(xm) if f.id == "xiongmai-xmeye-cloud"]
    assert "Unverified" not in cloud.evidence  # checked against the NVD records since
    verified = Identification(vendor="Hikvision", firmware="V5.2.5 build 141201")
    assert all("Unverified" not in f.evidence for f in SIGS.vulnerability_findings(verified))


def test_fixed_is_exclusive_max_is_inclusive() -> None:
    def affected(model: str, firmware: str) -> bool:
        ident = Identification(vendor="D-Link", model=model, firmware=firmware)
        return "dlink-cve-2020-25078" in _ids(ident)

    # NVD's configuration: DCS-2530L up to and including 1.05.05, DCS-2670L up to 2.02.
    assert affected("DCS-2530L", "1.05.05")
    assert not affected("DCS-2530L", "1.06.01")
    assert affected("DCS-2670L", "2.02")
    assert not affected("DCS-2670L", "2.02.1")
    assert affected("dcs-2670l", "2.01")  # exact model names compare without case


USER_ENTRY = """
vulnerabilities:
  - id: generic-example-banner
    title: Example generic flaw
    vendor: generic
    severity: medium
    references: [https://example.com/advisory]
    remediation: Replace the device; the maker publishes no fixed firmware.
    safety: passive
    confidence: firm
    fingerprints: [generic-camera-title]
    checked: [{record: vendor, id: EXAMPLE-2026-01, date: 2026-01-01}]
  - id: hikvision-cve-2017-7921
    title: Overridden by a user layer
    vendor: hikvision
    severity: low
    references: [https://example.com/advisory]
    remediation: Install Hikvision firmware 5.4.41 or later for your model.
    safety: passive
    affected: [{introduced: 1.0, fixed: 2.0}]
    checked: [{record: nvd, id: CVE-2017-7921, date: 2026-01-01}]
"""


def test_generic_entries_and_user_overrides() -> None:
    sigs = load_text("user.yaml", USER_ENTRY)
    ident = Identification(fingerprint_ids=("generic-camera-title",))
    (finding,) = sigs.vulnerability_findings(ident)
    assert finding.id == "generic-example-banner"
    assert finding.confidence is Confidence.FIRM
    assert "Inferred" not in finding.evidence
    # The user layer replaced the shipped entry by id, in place.
    old = Identification(vendor="Hikvision", firmware="V5.2.5 build 141201")
    assert "hikvision-cve-2017-7921" not in [f.id for f in sigs.vulnerability_findings(old)]
    ids = [v.id for v in sigs.vulnerabilities]
    assert ids.index("hikvision-cve-2017-7921") == 0
