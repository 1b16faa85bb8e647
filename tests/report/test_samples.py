"""Hand-built reports shared by the report tests, and checks that the samples are what they claim.

The other report test modules import the builders from here; the tests below make sure the
samples keep covering what those tests rely on (every severity, a secret, a host with no
services, hostile device text, addresses that sort differently as text and as numbers).
"""

from __future__ import annotations

from scanner.models import (
    AuthScheme,
    Confidence,
    DeviceType,
    Finding,
    Host,
    Identification,
    ProbeStatus,
    Protocol,
    Report,
    ServiceResult,
    Severity,
)
from scanner.report.risk import score_host, summarize
from scanner.report.schema import SCHEMA_VERSION

PASSWORD = "admin-Sup3r-s3cret"  # long and unique so "not in output" checks mean something
TRACEBACK = "Traceback (most recent call last):\n  ValueError: probe-bug-marker"
HOSTILE_TITLE = "\x1b[2J\x1b]52;c;ZXZpbA==\x07[bold red]pwn[/bold red] :warning: \u202eevil"


def host(
    ip: str,
    findings: tuple[Finding, ...] = (),
    *,
    device_type: DeviceType = DeviceType.CAMERA,
    vendor: str | None = None,
    model: str | None = None,
    services: tuple[ServiceResult, ...] = (),
    mac: str | None = None,
    hostnames: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> Host:
    """A Host scored the way the pipeline scores it."""
    return Host(
        ip,
        mac=mac,
        hostnames=hostnames,
        identification=Identification(vendor=vendor, model=model, device_type=device_type),
        services=services,
        findings=findings,
        risk=score_host(findings, device_type),
        notes=notes,
    )


def finding(
    fid: str,
    severity: Severity,
    confidence: Confidence = Confidence.CONFIRMED,
    *,
    title: str | None = None,
    evidence: str | None = None,
    remediation: str | None = None,
    references: tuple[str, ...] = (),
    cves: tuple[str, ...] = (),
    port: int | None = None,
    secret: str | None = None,
) -> Finding:
    return Finding(
        fid,
        title=title if title is not None else f"title of {fid}",
        severity=severity,
        confidence=confidence,
        evidence=evidence if evidence is not None else f"evidence of {fid}",
        remediation=remediation if remediation is not None else f"remediation of {fid}",
        references=references,
        cves=cves,
        port=port,
        secret=secret,
    )


def report(hosts: tuple[Host, ...], *, show_secrets: bool = False, scanned: int = 256) -> Report:
    return Report(
        schema_version=SCHEMA_VERSION,
        tool_name="camsweep",
        tool_version="0.1.0",
        started_at="2026-11-20T10:00:00Z",
        finished_at="2026-11-20T10:00:12.5+00:00",
        targets=("127.77.0.0/24",),
        profile="owner",
        hosts=hosts,
        summary=summarize(hosts, scanned),
        notes=("lab run",),
        show_secrets=show_secrets,
    )


def sample_hosts() -> tuple[Host, ...]:
    """Out of order on purpose: numeric order is .9, .10, .11, .12, .15, .16."""
    dahua = host(
        "127.77.0.12",
        (
            finding("telnet-open", Severity.HIGH, port=23),
            finding(
                "default-credentials-rtsp",
                Severity.CRITICAL,
                title="The video stream still uses the factory password",
                evidence="Refused without credentials, accepted admin/<password>",
                remediation="Open the camera's web page and set a long, unique password.",
                references=("https://example.org/dahua-password",),
                port=554,
                secret=PASSWORD,
            ),
            finding("weak-tls", Severity.LOW, Confidence.INFERRED, port=443),
            finding("upnp-exposed", Severity.MEDIUM, Confidence.FIRM),
        ),
        vendor="Dahua",
        model="IPC-HDW4431C-A",
        mac="AA:BB:CC:00:11:22",
        hostnames=("dahua-cam.local",),
        services=(
            ServiceResult(
                554,
                Protocol.RTSP,
                auth=AuthScheme.DIGEST,
                product="Dahua Rtsp Server",
                fields={
                    "rtsp.server": "Dahua Rtsp Server",
                    "rtsp.auth": "digest",
                    "rtsp.realm": "Login to 4K01234PAZ00000",
                },
            ),
            ServiceResult(80, Protocol.HTTP, fields={"http.title": "WEB SERVICE"}),
        ),
    )
    hikvision = host(
        "127.77.0.11",
        (
            finding(
                "hikvision-cve-2017-7921",
                Severity.CRITICAL,
                Confidence.INFERRED,
                title=HOSTILE_TITLE,
                cves=("CVE-2017-7921",),
                port=80,
            ),
        ),
        vendor="Hikvision",
        model="DS-2CD2032-I",
        services=(
            ServiceResult(
                8000,
                Protocol.TCP,
                status=ProbeStatus.ERROR,
                reason="probe bug",
                debug=TRACEBACK,
            ),
        ),
    )
    axis = host(
        "127.77.0.15",
        (finding("rtsp-digest-only", Severity.INFO, title="The stream asks for a password"),),
        vendor="Axis",
        model="M3045-V",
        services=(ServiceResult(554, Protocol.RTSP, auth=AuthScheme.DIGEST),),
    )
    printer = host(
        "127.77.0.16",
        device_type=DeviceType.OTHER,
        vendor="HP",
        model="LaserJet Pro M404dn",
        services=(ServiceResult(80, Protocol.HTTP, redirect="/hp/device/start"),),
    )
    bare = host("127.77.0.9", device_type=DeviceType.UNKNOWN)  # answered, no open service
    recorder = host(
        "127.77.0.10",
        (finding("default-credentials-telnet", Severity.CRITICAL, port=23, secret="x"),),
        device_type=DeviceType.RECORDER,
        vendor="Xiongmai",
        services=(
            ServiceResult(23, Protocol.TELNET, login_prompt=True, banner="LocalHost login:"),
            ServiceResult(
                554,
                Protocol.RTSP,
                open_routes=("/live/ch0",),
                accepts_any_route=True,
                status=ProbeStatus.TIMEOUT,
                reason="no answer within 3 s",
            ),
        ),
    )
    return (dahua, hikvision, axis, printer, bare, recorder)


def sample_report(*, show_secrets: bool = False) -> Report:
    return report(sample_hosts(), show_secrets=show_secrets)


def test_sample_covers_every_severity_and_the_edge_cases() -> None:
    rep = sample_report()
    severities = {f.severity for h in rep.hosts for f in h.findings}
    assert severities == set(Severity)
    assert any(not h.services for h in rep.hosts)
    assert any(f.secret == PASSWORD for h in rep.hosts for f in h.findings)
    assert any(s.debug for h in rep.hosts for s in h.services)
    # Text order would put .10 before .9; numeric order must not.
    assert min(h.ip for h in rep.hosts) == "127.77.0.10"


def test_sample_summary_counts_what_the_hosts_hold() -> None:
    summary = sample_report().summary
    assert summary.hosts_scanned == 256
    assert summary.hosts_up == 6
    assert summary.cameras == 3
    assert summary.recorders == 1
    assert summary.findings_by_severity == {
        "critical": 3,
        "high": 1,
        "medium": 1,
        "low": 1,
        "info": 1,
    }
    assert summary.highest_risk == "critical"
