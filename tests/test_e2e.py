"""End to end: scan the built-in lab and check every planted problem, and only those, is found."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import pytest_asyncio

from scanner.config import ScanConfig, Timeouts, VendorOptions
from scanner.lab import RunningLab, default_devices, start_lab
from scanner.match import SignatureSet
from scanner.models import DeviceType, Host, Protocol, Report, Severity
from scanner.pipeline import scan
from scanner.report.json_report import render_json
from scanner.report.text import render_text
from scanner.targets import resolve_targets

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "report-schema.json").read_text())
PREFIX = "127.77.9"


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    async with await start_lab(default_devices(PREFIX)) as running:
        yield running


def lab_config(lab: RunningLab, **changes: object) -> ScanConfig:
    config = ScanConfig(
        targets=(),
        target_specs=tuple(lab.targets()),
        ports=tuple(lab.ports()),
        port_protocols=lab.port_protocols(),
        timeouts=Timeouts(credential_pause=0.05),
        # The lab answers the vendor discovery protocols by unicast (loopback: no multicast).
        vendor=VendorOptions(timeout=1.0, ports=lab.vendor_ports()),
        scope=resolve_targets(lab.targets()).ranges,
    )
    return replace(config, **changes)  # type: ignore[arg-type]


async def scan_lab(lab: RunningLab, signatures: SignatureSet, **changes: object) -> Report:
    config = lab_config(lab, **changes)
    targets = lab.targets()
    return await scan(config, signatures, targets, len(targets))


def by_ip(report: Report) -> dict[str, Host]:
    return {host.ip: host for host in report.hosts}


@pytest.mark.asyncio
async def test_every_planted_problem_is_found_and_clean_devices_stay_clean(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    report = await scan_lab(lab, signatures)
    hosts = by_ip(report)
    assert set(hosts) == set(lab.targets())
    for device in lab.devices:
        spec = device.spec
        host = hosts[spec.ip]
        ident = host.identification
        assert ident.device_type is spec.device_type, (spec.key, ident)
        if spec.vendor is not None:
            assert ident.vendor == spec.vendor, (spec.key, ident)
        # A model is reported only when the device shows it to the probes (the printer does;
        # the cameras show theirs only to logged-in users or over ONVIF); never a wrong one.
        if ident.model is not None:
            assert ident.model == spec.model, (spec.key, ident)
        if ident.firmware is not None:
            assert spec.firmware is not None, spec.key
            assert ident.firmware.replace(" ", "") == spec.firmware.replace(" ", ""), spec.key
        ids = {f.id for f in host.findings}
        assert set(spec.expected_findings) <= ids, (spec.key, ids)
        serious = {f.id for f in host.findings if f.severity.rank >= Severity.LOW.rank}
        if not spec.expected_findings:
            assert serious == set(), (spec.key, serious)
        # No false default-password claims: only where the lab planted one.
        claimed = {i for i in ids if i.startswith(("default-credentials", "accepts-any"))}
        assert claimed <= set(spec.expected_findings), (spec.key, claimed)
        assert ident.identified_by, spec.key
    printer = next(d for d in lab.devices if d.spec.device_type is DeviceType.OTHER)
    assert hosts[printer.spec.ip].identification.device_type is DeviceType.OTHER
    assert hosts[printer.spec.ip].identification.model == printer.spec.model
    # The vulnerable firmware is read off the wire: that is what the version finding rests on.
    hikvision = lab.device("hikvision-old")
    assert hosts[hikvision.ip].identification.firmware is not None


@pytest.mark.asyncio
async def test_default_password_is_proven_and_masked(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    report = await scan_lab(lab, signatures)
    dahua = lab.device("dahua-default")
    host = by_ip(report)[dahua.ip]
    finding = next(f for f in host.findings if f.id == "default-credentials-rtsp")
    assert finding.secret == dahua.spec.credentials[finding_protocol(finding.id)][1]
    assert "refused" in finding.evidence
    out = io.StringIO()
    render_json(report, out)
    document = json.loads(out.getvalue())
    jsonschema.validate(document, SCHEMA)
    found = [
        f
        for h in document["hosts"]
        for f in h["findings"]
        if f["id"].startswith("default-credentials")
    ]
    assert found
    assert all(f["secret"] == "********" for f in found)
    text = io.StringIO()
    render_text(report, text, color=False)
    assert "\x1b" not in text.getvalue()
    assert "Dahua" in text.getvalue()


def finding_protocol(finding_id: str) -> Protocol:
    return Protocol(finding_id.rsplit("-", 1)[1])


@pytest.mark.asyncio
async def test_secrets_shown_only_when_asked(lab: RunningLab, signatures: SignatureSet) -> None:
    report = await scan_lab(lab, signatures, show_secrets=True)
    out = io.StringIO()
    render_json(report, out)
    secrets = {
        f["secret"]
        for h in json.loads(out.getvalue())["hosts"]
        for f in h["findings"]
        if f["secret"] is not None
    }
    expected = {
        d.spec.credentials[finding_protocol(fid)][1]
        for d in lab.devices
        for fid in d.spec.expected_findings
        if fid.startswith("default-credentials")
    }
    assert secrets == expected


@pytest.mark.asyncio
async def test_guest_profile_sends_no_credentials(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    report = await scan_lab(lab, signatures, profile="guest", check_credentials=False)
    ids = {f.id for h in report.hosts for f in h.findings}
    assert not any(i.startswith(("default-credentials", "accepts-any")) for i in ids)
    # Passive findings are still there.
    assert "telnet-open" in ids
    assert "rtsp-unauthenticated-stream" in ids
    assert any("no login attempts" in note for note in report.notes)


@pytest.mark.asyncio
async def test_confirm_streams_proves_video_flows(
    lab: RunningLab, signatures: SignatureSet
) -> None:
    report = await scan_lab(lab, signatures, confirm_streams=True)
    host = by_ip(report)[lab.device("open-rtsp").ip]
    finding = next(f for f in host.findings if f.id == "rtsp-unauthenticated-stream")
    assert "video packets arrived after PLAY on /live/ch0" in finding.evidence
