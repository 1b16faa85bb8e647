"""Every active check in the signatures, proven in the lab (issue 4, "done means"): it fires on
the vulnerable variant without repeating what leaked, stays quiet on the fixed one, is never sent
under the guest profile, and is not fooled by a camera that answers 200 to every path.

The devices are in scanner/lab/vulnerable.py; each one records the requests it gets, so "the
check was (not) sent" is read off the device, not inferred from the report.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from scanner.config import Profile, ScanConfig, Timeouts
from scanner.lab import DeviceSpec, RunningLab, start_lab
from scanner.lab.httpd import RequestLog
from scanner.lab.vulnerable import ACTIVE_CHECKS, ActiveCheckLab, answers_everything
from scanner.match import SignatureSet
from scanner.match.schema import Vulnerability
from scanner.models import Confidence, Host
from scanner.pipeline import scan

PREFIX = "127.77.44"
TIMEOUTS = Timeouts(credential_pause=0.01)


def vulnerability(sigs: SignatureSet, check_id: str) -> Vulnerability:
    return next(v for v in sigs.vulnerabilities if v.id == check_id)


def address(case: ActiveCheckLab, variant: int) -> str:
    return f"{PREFIX}.{10 * ACTIVE_CHECKS.index(case) + 10 + variant}"


async def scan_device(
    spec: DeviceSpec, sigs: SignatureSet, profile: str = "owner"
) -> tuple[Host, float]:
    """Start a lab with just this device, scan it, stop the lab; the host and the scan time."""
    async with await start_lab([spec], standard_ports=False) as lab:
        host, took = await _scan(lab, spec, sigs, profile)
        await _connections_end(lab)
    return host, took


async def _scan(
    lab: RunningLab, spec: DeviceSpec, sigs: SignatureSet, profile: str
) -> tuple[Host, float]:
    dev = lab.device(spec.key)
    config = ScanConfig(
        targets=(),
        target_specs=(dev.ip,),
        ports=tuple(dev.ports.values()),
        port_protocols=lab.port_protocols(),
        timeouts=TIMEOUTS,
        profile=Profile(profile),
        check_credentials=profile != "guest",
    )
    started = time.monotonic()
    report = await scan(config, sigs, [dev.ip], 1)
    took = time.monotonic() - started
    assert len(report.hosts) == 1
    return report.hosts[0], took


async def _connections_end(lab: RunningLab) -> None:
    """The scanner hung up on everything, streams included, within a second."""
    for _ in range(50):
        if lab.open_connections == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{lab.open_connections} connection(s) still open after the scan")


def sent(log: RequestLog, path: str) -> list[str]:
    return [r.target for r in log.requests if r.target.partition("?")[0] == path]


def params() -> list[object]:
    return [pytest.param(case, id=case.check_id) for case in ACTIVE_CHECKS]


def test_every_signature_check_has_a_lab_device(signatures: SignatureSet) -> None:
    with_checks = {v.id: v.check for v in signatures.vulnerabilities if v.check is not None}
    assert set(with_checks) == {case.check_id for case in ACTIVE_CHECKS}
    for case in ACTIVE_CHECKS:
        check = with_checks[case.check_id]
        assert check is not None
        assert check.path.partition("?")[0] == case.path


@pytest.mark.asyncio
@pytest.mark.parametrize("case", params())
async def test_check_confirms_the_flaw_on_the_vulnerable_device(
    case: ActiveCheckLab, signatures: SignatureSet
) -> None:
    log = RequestLog()
    spec = case.build("vulnerable", address(case, 0), fixed=False, log=log)
    host, _ = await scan_device(spec, signatures)
    hits = [f for f in host.findings if f.id == case.check_id]
    assert len(hits) == 1, [f.id for f in host.findings]
    assert hits[0].confidence is Confidence.CONFIRMED, hits[0].evidence
    secret = case.secret(spec)
    assert secret not in hits[0].evidence
    assert secret not in repr(host)  # nor in any note, service field or other finding
    # One read-only request, carrying the headers the signature asks for.
    check = vulnerability(signatures, case.check_id).check
    assert check is not None
    requests = [r for r in log.requests if r.target == check.path]
    assert len(requests) == 1
    assert requests[0].method == check.method
    for name, value in check.headers:
        assert requests[0].header(name) == value


@pytest.mark.asyncio
@pytest.mark.parametrize("case", params())
async def test_check_stays_quiet_on_the_fixed_device(
    case: ActiveCheckLab, signatures: SignatureSet
) -> None:
    log = RequestLog()
    spec = case.build("fixed", address(case, 1), fixed=True, log=log)
    host, _ = await scan_device(spec, signatures)
    # Quiet because the answer was clean, not because the check never ran.
    assert len(sent(log, case.path)) == 1
    assert case.check_id not in {f.id for f in host.findings}
    assert not any(
        f.confidence is Confidence.CONFIRMED and f.id == case.check_id for f in host.findings
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("case", params())
async def test_guest_profile_never_sends_the_check(
    case: ActiveCheckLab, signatures: SignatureSet
) -> None:
    log = RequestLog()
    spec = case.build("guest", address(case, 2), fixed=False, log=log)
    host, _ = await scan_device(spec, signatures, profile="guest")
    assert log.requests, "the device saw no request at all: the log or the scan is broken"
    assert sent(log, case.path) == []
    assert any("were not run" in note and "guest" in note for note in host.notes)
    assert not any(
        f.id == case.check_id and f.confidence is Confidence.CONFIRMED for f in host.findings
    )


@pytest.mark.asyncio
async def test_endless_audio_stream_never_stalls_the_scan(signatures: SignatureSet) -> None:
    case = next(c for c in ACTIVE_CHECKS if c.check_id == "amcrest-cve-2019-3948")
    log = RequestLog()
    spec = case.build("stream", address(case, 3), fixed=False, log=log)
    host, took = await scan_device(spec, signatures)  # also asserts the stream was hung up on
    assert took < TIMEOUTS.probe + 2
    assert len(sent(log, "/videotalk")) == 1
    confirmed = any(
        f.id == case.check_id and f.confidence is Confidence.CONFIRMED for f in host.findings
    )
    # Whatever the check concluded is in the report, not lost.
    assert confirmed or any(case.check_id in note for note in host.notes), host.notes


@pytest.mark.asyncio
@pytest.mark.parametrize("case", params())
async def test_a_camera_answering_every_path_gets_no_confirmed_finding(
    case: ActiveCheckLab, signatures: SignatureSet
) -> None:
    log = RequestLog()
    spec = answers_everything(case.check_id, "decoy", address(case, 4), log=log)
    host, _ = await scan_device(spec, signatures)
    # The decoy passes for the check's vendor, so the check really was put to the test.
    info = signatures.vendor(host.identification.vendor)
    assert info is not None
    assert info.id == vulnerability(signatures, case.check_id).vendor
    assert len(sent(log, case.path)) == 1
    confirmed = [
        f for f in host.findings if f.confidence is Confidence.CONFIRMED and f.id == case.check_id
    ]
    assert confirmed == []
