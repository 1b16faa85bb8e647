"""Active checks: fire on the vulnerable lab variant, stay quiet on the fixed one, and obey the
profile's safety classes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from scanner.config import Profile, ScanConfig, Timeouts
from scanner.lab import DeviceSpec, HttpConfig, RunningLab, start_lab
from scanner.lab.devices import hikvision_old
from scanner.match import SignatureSet, load_signatures
from scanner.models import Confidence, Host
from scanner.pipeline import scan

CVE = "hikvision-cve-2017-7921"


def fixed_variant(spec: DeviceSpec) -> DeviceSpec:
    """The same camera and firmware string with the bypass closed (a vendor backport)."""
    services = []
    for service in spec.services:
        config = service.config
        if isinstance(config, HttpConfig):
            routes = tuple(dataclasses.replace(r, bypass_query=None) for r in config.routes)
            config = dataclasses.replace(config, routes=routes)
        services.append(dataclasses.replace(service, config=config))
    return dataclasses.replace(spec, services=tuple(services), expected_findings=())


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    vulnerable = hikvision_old("vulnerable", "127.77.6.1")
    fixed = fixed_variant(hikvision_old("fixed", "127.77.6.2"))
    async with await start_lab((vulnerable, fixed), standard_ports=False) as running:
        yield running


async def scan_one(lab: RunningLab, key: str, sigs: SignatureSet, profile: str = "owner") -> Host:
    dev = lab.device(key)
    config = ScanConfig(
        targets=(),
        target_specs=(dev.ip,),
        ports=tuple(dev.ports.values()),
        port_protocols=lab.port_protocols(),
        timeouts=Timeouts(credential_pause=0.01),
        profile=Profile(profile),
        check_credentials=profile != "guest",
    )
    report = await scan(config, sigs, [dev.ip], 1)
    assert len(report.hosts) == 1
    return report.hosts[0]


@pytest.mark.asyncio
async def test_check_confirms_the_bypass_on_the_vulnerable_camera(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    host = await scan_one(lab, "vulnerable", signatures)
    finding = next(f for f in host.findings if f.id == CVE)
    assert finding.confidence is Confidence.CONFIRMED
    assert "?auth=YWRtaW46MTEK" in finding.evidence
    assert "<deviceInfo" not in finding.evidence  # the answer's content is never echoed
    assert [f.id for f in host.findings].count(CVE) == 1


@pytest.mark.asyncio
async def test_check_refutes_the_version_guess_on_the_fixed_camera(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    host = await scan_one(lab, "fixed", signatures)
    assert CVE not in {f.id for f in host.findings}
    assert any(CVE in note and "absent" in note for note in host.notes)


@pytest.mark.asyncio
async def test_guest_profile_sends_no_check_and_keeps_the_inference(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    host = await scan_one(lab, "vulnerable", signatures, profile="guest")
    finding = next(f for f in host.findings if f.id == CVE)
    assert finding.confidence is Confidence.INFERRED
    assert any("were not run" in note for note in host.notes)


INTRUSIVE = """
vulnerabilities:
  - id: hikvision-test-intrusive
    title: A test-only intrusive check
    vendor: hikvision
    severity: high
    references: [https://example.invalid/advisory]
    remediation: Nothing to fix; this entry exists for the test.
    safety: intrusive
    checked: [{record: research, id: camsweep-test, date: 2026-01-01}]
    affected:
      - {introduced: 5.0.0, fixed: 5.5.0}
    check:
      protocol: http
      path: /ISAPI/Security/userCheck
      match:
        - field: http.status
          equals: '401'
    examples:
      - {model: DS-2CD2032-I, firmware: V5.2.5 build 141201, affected: true}
"""


@pytest.mark.asyncio
async def test_intrusive_checks_run_only_in_the_lab_profile(
    lab: RunningLab, tmp_path: Path
) -> None:
    (tmp_path / "intrusive.yaml").write_text(INTRUSIVE)
    sigs = load_signatures([tmp_path])
    owner = await scan_one(lab, "vulnerable", sigs, profile="owner")
    # The version match is passive and still reported; the request was not sent.
    by_id = {f.id: f for f in owner.findings}
    assert by_id["hikvision-test-intrusive"].confidence is Confidence.INFERRED
    assert any("--profile lab" in note for note in owner.notes)
    lab_host = await scan_one(lab, "vulnerable", sigs, profile="lab")
    by_id = {f.id: f for f in lab_host.findings}
    assert by_id["hikvision-test-intrusive"].confidence is Confidence.CONFIRMED
