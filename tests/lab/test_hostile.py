"""Hostile and broken devices (scanner/lab/hostile.py): camsweep stays bounded and never becomes
the weak spot.

The suite test scans every persona with the real command line in a subprocess and checks the
issue's promises: the scan ends within its deadline, the JSON is a valid report, the terminal
report holds no escape byte, the out-of-scope address sees no connection, and the peak RSS of
the scanning process stays under ``MAX_SCAN_RSS_MIB``. The other tests pin each promise to the
probe or renderer that keeps it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import pytest_asyncio

from scanner import cli
from scanner.config import Limits, ScanConfig, Timeouts
from scanner.context import ProbeContext
from scanner.credentials.custom import parse_creds
from scanner.discover.ssdp import _describe, parse_ssdp  # _describe: what ssdp_search runs
from scanner.discover.wsdiscovery import onvif_fields, parse_wsd
from scanner.lab import default_devices, start_lab
from scanner.lab.hostile import (
    ELSEWHERE,
    ESCAPES,
    HTTP_GARBAGE,
    HTTPS_GARBAGE,
    RTSP_GARBAGE,
    TELNET_GARBAGE,
    HostileLab,
    Peer,
    Persona,
    billion_laughs,
    default_personas,
    external_entity,
    rotating,
    ssdp_response,
    start_hostile,
    wsd_probe_matches,
)
from scanner.match import SignatureSet
from scanner.models import (
    Confidence,
    DeviceType,
    Finding,
    Host,
    Identification,
    ProbeStatus,
    Protocol,
    Report,
    Risk,
    RiskLevel,
    ServiceResult,
    Severity,
    Summary,
)
from scanner.pipeline import scan
from scanner.probe.banner import probe_banner
from scanner.probe.http import probe_http
from scanner.probe.onvif import MALFORMED_SOAP, is_malformed_soap, probe_onvif
from scanner.probe.rtsp import probe_rtsp
from scanner.probe.rtsp_stream import StreamState, confirm_stream, same_server
from scanner.probe.telnet import probe_telnet
from scanner.report.formats import FORMATS, RenderOptions, render_to_string
from scanner.report.json_report import read_json, report_to_dict
from scanner.transport import TcpConnector

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "127.66.7"  # the suite's personas; ELSEWHERE (127.66.1.1) is outside every target
# Peak resident memory of the scanning process. An idle `camsweep scan` (interpreter, rich,
# httpx, scapy, the signatures) is about 55 MiB; the byte caps let one device cost at most a few
# hundred KiB per connection, so several devices flooding at once must stay far below this.
MAX_SCAN_RSS_MIB = 160
SCAN_TIMEOUT = 20.0  # --scan-timeout of the suite scan
START_UP = 10.0  # seconds allowed on top for the interpreter to start and write the report
FAST = Timeouts(connect=1.0, banner=0.5, read=1.0, probe=4.0, host=8.0, credential_pause=0.01)
LIMITS = Limits()

# What must never reach a terminal: C0 controls but the line feed, DEL, C1 controls (8-bit CSI
# and OSC included), bidi formatting characters and the Unicode line separators.
_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


@pytest_asyncio.fixture
async def hostile() -> AsyncIterator[HostileLab]:
    async with await start_hostile(prefix=PREFIX, drip_interval=0.5) as lab:
        yield lab


# --- the suite ---------------------------------------------------------------------------------


@dataclass
class Measured:
    code: int
    seconds: float
    max_rss_mib: float
    stderr: str


# Linux keeps a process's peak RSS across execve, and a child forked (or vforked) from this
# pytest process starts with pytest's size: a child's rusage would report pytest, not the scan.
# A small wrapper process runs the scan as its own child and reports that child's wait4 rusage:
# forked from the wrapper (a bare interpreter, about 10 MiB), the scan's figure is its own.
_WRAPPER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
child.returncode = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(child.returncode)
"""


def _run_measured(argv: list[str], stdout: Path, stderr: Path, timeout: float) -> Measured:
    """Run a command and return its exit code, time and peak RSS; kill it (its whole process
    group) at ``timeout``: a scan that hangs fails the test instead of hanging it."""
    rss_file = stdout.with_suffix(".rss")
    started = time.monotonic()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(rss_file), *argv],
            stdout=out,
            stderr=err,
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
    rss_kib = int(rss_file.read_text()) if rss_file.exists() else 0
    return Measured(
        code=code,
        seconds=time.monotonic() - started,
        max_rss_mib=rss_kib / 1024,  # Linux: kilobytes
        stderr=stderr.read_text("utf-8", "replace"),
    )


def _scan_argv(lab: HostileLab, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scanner",
        "scan",
        *lab.targets(),
        "--ports",
        lab.ports_argument(),
        "--connect-timeout",
        "1",
        "--read-timeout",
        "1.5",
        "--host-timeout",
        "10",
        "--scan-timeout",
        str(SCAN_TIMEOUT),
        "--confirm-streams",
        "--no-progress",
        *extra,
    ]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_hostile_suite_is_scanned_safely(hostile: HostileLab, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    text_path = tmp_path / "report.txt"
    limit = SCAN_TIMEOUT + START_UP
    as_json, as_text = await asyncio.gather(
        asyncio.to_thread(
            _run_measured,
            _scan_argv(hostile, "--format", "json", "-o", str(report_path), "-q"),
            tmp_path / "json.out",
            tmp_path / "json.err",
            limit + 30,
        ),
        asyncio.to_thread(
            _run_measured,
            _scan_argv(hostile, "--debug", "--verbose"),
            text_path,
            tmp_path / "text.err",
            limit + 30,
        ),
    )
    for run in (as_json, as_text):
        assert run.code == 0, run.stderr
        assert "Traceback" not in run.stderr, run.stderr
        # Finished within its deadline: the scan's own, plus the interpreter's start-up.
        assert run.seconds < limit, run.seconds
        assert 20 < run.max_rss_mib < MAX_SCAN_RSS_MIB, run.max_rss_mib  # 20: it was measured

    # Scope: nothing connected to the address every persona points at, and no request named it.
    assert sum(hostile.out_of_scope.values()) == 0, hostile.out_of_scope
    assert hostile.named_elsewhere == []

    # Valid JSON that is a valid report (read_json checks the schema).
    with report_path.open(encoding="utf-8") as handle:
        report = read_json(handle)
    hosts = {host.ip: host for host in report.hosts}
    assert set(hosts) == set(hostile.targets())
    assert not any(note.startswith("the scan was stopped") for note in report.notes)
    services = {
        (key.persona.key, svc.protocol, svc.port): svc
        for key in hostile.personas
        for svc in hosts[key.ip].services
    }
    # No probe crashed: every garbage answer is a recorded attempt, not a probe bug.
    assert all(svc.status is not ProbeStatus.ERROR for svc in services.values()), [
        (k, s.reason) for k, s in services.items() if s.status is ProbeStatus.ERROR
    ]
    http, rtsp = hostile.port(Protocol.HTTP), hostile.port(Protocol.RTSP)
    assert services[("silent-accept", Protocol.HTTP, http)].status is ProbeStatus.TIMEOUT
    assert services[("reset-mid-response", Protocol.RTSP, rtsp)].status is ProbeStatus.RESET
    assert services[("huge-headers", Protocol.HTTP, http)].status is ProbeStatus.MALFORMED
    assert services[("garbage", Protocol.RTSP, rtsp)].status is ProbeStatus.MALFORMED
    bomb = services[("xml-bomb", Protocol.ONVIF, http)]
    assert bomb.status is ProbeStatus.MALFORMED
    assert bomb.reason.startswith(MALFORMED_SOAP)
    lure = hosts[hostile.ip_of("out-of-scope")]
    assert any(ELSEWHERE in (svc.redirect or "") for svc in lure.services)
    assert any(ELSEWHERE in svc.fields.get("onvif.xaddrs", "") for svc in lure.services)
    assert "rtsp-unauthenticated-stream" in {f.id for f in lure.findings}
    # The device text did reach the report (the JSON keeps it as it came, escaped for JSON).
    raw = report_path.read_text(encoding="utf-8")
    assert "\\u001b[2J" in raw
    assert "\x1b" not in raw

    # The terminal report: device text is there, escape bytes are not, markup stays literal.
    text = text_path.read_text(encoding="utf-8")
    assert "HOSTILE-MARK" in text
    assert _UNSAFE.search(text) is None, _UNSAFE.findall(text)[:10]
    assert "[bold red]markup" in text

    # Every other format, from the same report.
    _check_formats(report)


# --- renderers ---------------------------------------------------------------------------------


def _hostile_report() -> Report:
    """A report whose every device-controlled string is hostile."""
    evil = ESCAPES + "\u2028next line\ud800"
    service = ServiceResult(
        port=80,
        protocol=Protocol.HTTP,
        status=ProbeStatus.MALFORMED,
        reason=evil,
        banner=evil,
        product=evil,
        fields={
            "http.title": evil,
            "http.server": "=cmd|' /C calc'!A0",
            f"http.header.{evil}": evil,
        },
        redirect="javascript:alert(1)",
        debug=evil,
    )
    finding = Finding(
        id="telnet-open",
        title=evil,
        severity=Severity.HIGH,
        confidence=Confidence.CONFIRMED,
        evidence='=HYPERLINK("http://evil.example","x") ' + evil,
        remediation=evil,
        references=("javascript:alert(1)", 'http://evil.example/"><script>alert(2)</script>'),
        port=80,
        secret="Hunter2-never-shown",
    )
    host = Host(
        ip="192.0.2.10",
        mac="aa:bb:cc:dd:ee:ff",
        hostnames=('=HYPERLINK("http://evil.example")', evil),
        mac_vendor="+cmd",
        discovered_by=("tcp",),
        identification=Identification(
            vendor="@SUM(1+1)",
            model="-2+3 " + evil,
            firmware=evil,
            device_type=DeviceType.CAMERA,
            identified_by=(evil,),
        ),
        services=(service,),
        findings=(finding,),
        risk=Risk(8.0, RiskLevel.HIGH),
        notes=(evil,),
    )
    return Report(
        schema_version="1.0",
        tool_name="camsweep",
        tool_version="0.1.0",
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        targets=("192.0.2.10",),
        profile="owner",
        hosts=(host,),
        summary=Summary(1, 1, 1, 0, {"high": 1}, RiskLevel.HIGH),
        notes=(evil,),
    )


def _check_formats(report: Report) -> None:
    rendered = {
        name: render_to_string(report, name, RenderOptions(show_debug=True, verbose=True))
        for name in FORMATS
    }
    for name, out in rendered.items():
        # Every format ends up on a terminal sooner or later (cat, less, a CI log): none may carry
        # a raw control character.
        unsafe = _UNSAFE
        assert unsafe.search(out.replace("\r\n", "\n").replace("\t", " ")) is None, (
            name,
            unsafe.findall(out)[:10],
        )
    page = rendered["html"]
    assert "<script>alert" not in page
    assert 'href="javascript' not in page.lower()
    assert '"><script>' not in page
    md = rendered["markdown"]
    assert "<script>" not in md
    assert "[click](http://evil.example)" not in md
    for row in csv.reader(io.StringIO(rendered["csv"])):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    for name in ("sarif", "json"):
        json.loads(rendered[name])


def test_every_format_neutralises_hostile_device_text() -> None:
    report = _hostile_report()
    _check_formats(report)
    rendered = {
        name: render_to_string(report, name, RenderOptions(show_debug=True, verbose=True))
        for name in FORMATS
    }
    assert "HOSTILE-MARK" in rendered["text"]  # the text is shown, only neutralised
    assert "[bold red]markup[/bold red]" in rendered["text"]
    for name, out in rendered.items():
        assert "Hunter2-never-shown" not in out, name


def test_json_escapes_c1_and_bidi_characters() -> None:
    report = _hostile_report()
    out = render_to_string(report, "json", RenderOptions())
    assert _UNSAFE.search(out) is None
    # Escaped, not dropped: the data reads back unchanged.
    assert json.loads(out) == json.loads(json.dumps(report_to_dict(report)))


# --- probes against single personas ------------------------------------------------------------


@pytest.mark.asyncio
async def test_every_malformed_answer_is_recorded_never_raised() -> None:
    """Each garbage answer, on its own device, through the probe that reads that protocol."""
    cases: list[tuple[Protocol, bytes]] = [
        *((Protocol.HTTP, g) for g in HTTP_GARBAGE),
        *((Protocol.RTSP, g) for g in RTSP_GARBAGE),
        *((Protocol.TELNET, g) for g in TELNET_GARBAGE),
        *((Protocol.HTTPS, g) for g in HTTPS_GARBAGE),
    ]
    personas = [
        Persona(
            f"case-{i}",
            "one malformed answer",
            "a recorded attempt",
            {protocol: rotating((answer,), read_first=protocol is not Protocol.TELNET)},
        )
        for i, (protocol, answer) in enumerate(cases)
    ]
    async with await start_hostile(personas, prefix="127.66.8") as lab:
        connector = TcpConnector()

        async def probe(ip: str, protocol: Protocol) -> ServiceResult:
            port = lab.port(protocol)
            if protocol is Protocol.RTSP:
                return await probe_rtsp(
                    ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
                    ip,
                    port,
                    routes=["/a"],
                )
            if protocol is Protocol.TELNET:
                return await probe_telnet(
                    ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), ip, port
                )
            tls = protocol is Protocol.HTTPS
            return await probe_http(ProbeContext(timeouts=FAST, limits=LIMITS), ip, port, tls=tls)

        started = time.monotonic()
        results = await asyncio.gather(
            *(probe(r.ip, proto) for r, (proto, _) in zip(lab.personas, cases, strict=True))
        )
        elapsed = time.monotonic() - started
    assert elapsed < FAST.probe + 2
    for (protocol, answer), result in zip(cases, results, strict=True):
        assert result.status is not ProbeStatus.ERROR, (protocol, answer[:60], result.reason)
        if result.status is not ProbeStatus.OK:
            assert result.reason, (protocol, answer[:60])
    by_case = dict(zip([a for _, a in cases], results, strict=True))
    assert by_case[RTSP_GARBAGE[1]].status is ProbeStatus.MALFORMED  # Content-Length: -5
    assert by_case[RTSP_GARBAGE[2]].status is ProbeStatus.MALFORMED  # 100,000 digits
    assert by_case[HTTP_GARBAGE[1]].status is ProbeStatus.MALFORMED  # Content-Length: -1
    assert by_case[HTTPS_GARBAGE[1]].status is ProbeStatus.MALFORMED  # plain text to TLS


@pytest.mark.asyncio
async def test_streams_without_end_cost_a_bounded_read(hostile: HostileLab) -> None:
    ip = hostile.ip_of("endless-stream")
    connector = TcpConnector()
    started = time.monotonic()
    http, rtsp, telnet, raw = await asyncio.gather(
        probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), ip, hostile.port(Protocol.HTTP), tls=False
        ),
        probe_rtsp(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            ip,
            hostile.port(Protocol.RTSP),
            routes=[],
        ),
        probe_telnet(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            ip,
            hostile.port(Protocol.TELNET),
        ),
        probe_banner(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            ip,
            hostile.port(Protocol.TCP),
        ),
    )
    assert time.monotonic() - started < FAST.probe + 1
    assert len(http.fields.get("http.body", "")) <= 64 * 1024
    assert len(rtsp.fields.get("rtsp.sdp", "")) <= 4 * 1024
    assert len(telnet.fields["telnet.banner"]) <= LIMITS.max_banner_bytes
    assert len(raw.fields["tcp.banner_hex"]) == 128  # the first 64 bytes, in hex


@pytest.mark.asyncio
async def test_a_dripping_or_silent_device_ends_at_the_deadline(hostile: HostileLab) -> None:
    connector = TcpConnector()
    started = time.monotonic()
    results = await asyncio.gather(
        *(
            probe_rtsp(
                ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
                hostile.ip_of(key),
                hostile.port(Protocol.RTSP),
                routes=[],
            )
            for key in ("slow-drip", "silent-accept")
        ),
        *(
            probe_http(
                ProbeContext(timeouts=FAST, limits=LIMITS),
                hostile.ip_of(key),
                hostile.port(Protocol.HTTP),
                tls=False,
            )
            for key in ("slow-drip", "silent-accept")
        ),
    )
    assert time.monotonic() - started < FAST.read * 2 + 1
    assert all(r.status is ProbeStatus.TIMEOUT for r in results), [r.reason for r in results]


@pytest.mark.asyncio
async def test_xml_bombs_and_external_entities_are_refused_not_fetched(
    hostile: HostileLab,
) -> None:
    ip = hostile.ip_of("xml-bomb")
    results = [
        await probe_onvif(
            ProbeContext(timeouts=FAST, limits=LIMITS), ip, hostile.port(Protocol.HTTP)
        )
        for _ in range(2)  # the persona rotates through five bombs, three calls per probe
    ]
    for result in results:
        assert result.status is ProbeStatus.MALFORMED
        assert is_malformed_soap(result), result.reason
        assert not result.fields
    reasons = " ".join(r.reason for r in results)
    assert "DTDForbidden" in reasons
    # The external entity and the external DTD name the out-of-scope address: not fetched.
    assert sum(hostile.out_of_scope.values()) == 0


@pytest.mark.asyncio
async def test_ssdp_location_elsewhere_is_recorded_and_a_bomb_description_refused(
    hostile: HostileLab,
) -> None:
    ip = hostile.ip_of("xml-bomb")
    port = hostile.port(Protocol.HTTP)
    away = parse_ssdp(ssdp_response(f"http://{ELSEWHERE}:{port}/description.xml"))
    trick = parse_ssdp(ssdp_response(f"http://{ip}:{port}@{ELSEWHERE}:{port}/description.xml"))
    bomb = parse_ssdp(ssdp_response(f"http://{ip}:{port}/description.xml"))
    assert away is not None
    assert trick is not None
    assert bomb is not None
    for message in (away, trick):
        service = await _describe(ProbeContext(), message, ip, 2.0)
        assert "not on this host" in service.reason
        assert ELSEWHERE in (service.banner or "")
    refused = [await _describe(ProbeContext(), bomb, ip, 2.0) for _ in range(3)]
    assert all("device description not read" in s.reason for s in refused)
    assert not any(k.startswith("ssdp.model") for s in refused for k in s.fields)
    assert sum(hostile.out_of_scope.values()) == 0


def test_ws_discovery_xaddrs_elsewhere_are_only_recorded() -> None:
    message = parse_wsd(wsd_probe_matches(f"http://{ELSEWHERE}/onvif/device_service"))
    assert message is not None
    fields = onvif_fields(message.matches[0])
    assert ELSEWHERE in fields["onvif.xaddrs"]
    # Kept as the device's text (renderers neutralise it), one line, capped.
    assert fields["onvif.hardware"].startswith("\x1b[2J")
    assert "HOSTILE-MARK" in fields["onvif.hardware"]
    assert parse_wsd(billion_laughs()) is None
    assert parse_wsd(external_entity("file:///etc/passwd")) is None


@pytest.mark.asyncio
async def test_confirm_stream_never_follows_content_base_or_control_urls_away(
    hostile: HostileLab,
) -> None:
    ip = hostile.ip_of("out-of-scope")
    check = await confirm_stream(
        ProbeContext(connector=TcpConnector(), timeouts=FAST, limits=LIMITS),
        ip,
        hostile.port(Protocol.RTSP),
        "/",
    )
    assert check.state is StreamState.VIDEO, check.detail
    assert hostile.named_elsewhere == []
    assert sum(hostile.out_of_scope.values()) == 0


def test_same_server_is_exact() -> None:
    assert same_server("rtsp://192.0.2.1:554/a", "192.0.2.1", 554)
    assert same_server("RTSP://192.0.2.1/a", "192.0.2.1", 554)
    assert not same_server("rtsp://192.0.2.1:5540/a", "192.0.2.1", 554)
    assert not same_server("rtsp://192.0.2.1:554@198.51.100.1:554/", "192.0.2.1", 554)
    assert not same_server("rtsp://192.0.2.10:554/", "192.0.2.1", 554)
    assert not same_server("rtsp://[::1:554/", "192.0.2.1", 554)
    assert not same_server("http://192.0.2.1:554/", "192.0.2.1", 554)


# --- scan deadline -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_scan_deadline_cuts_hosts_and_keeps_what_they_said(
    hostile: HostileLab, signatures: SignatureSet
) -> None:
    targets = [hostile.ip_of("silent-accept"), hostile.ip_of("slow-drip"), hostile.ip_of("garbage")]
    config = ScanConfig(
        targets=(),
        target_specs=tuple(targets),
        ports=tuple(hostile.ports()),
        port_protocols=hostile.port_protocols(),
        # One host at a time and a host deadline far beyond the scan's: only the scan deadline
        # can end this quickly.
        timeouts=Timeouts(connect=1.0, banner=0.5, read=30.0, probe=60.0, host=120.0, scan=1.5),
        limits=Limits(hosts=1),
        check_credentials=False,
    )
    started = time.monotonic()
    report = await scan(config, signatures, targets, len(targets))
    assert time.monotonic() - started < 1.5 + 1.0
    (host,) = report.hosts
    assert host.ip == targets[0]
    assert host.services  # what it answered before the deadline is kept
    assert any("deadline while this host was being scanned" in note for note in host.notes)
    assert any("2 of 3 addresses were not scanned" in note for note in report.notes)


def test_scan_timeout_flag(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["scan", "192.0.2.1", "--scan-timeout", "0"]).scan_timeout is None
    assert parser.parse_args(["scan", "192.0.2.1"]).scan_timeout == 3600.0
    assert cli.main(["scan", "192.0.2.1", "--scan-timeout", "-3"]) == cli.EXIT_USAGE
    assert cli.main(["scan", "192.0.2.1", "--scan-timeout", "nan"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 2  # one line each


# --- secrets -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_passwords_reach_no_output_or_log_unless_asked(
    signatures: SignatureSet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wrong-Pass-7f3a9c"  # a value that must never be printed
    async with await start_lab(default_devices("127.77.13")) as lab:
        hik = lab.device("hikvision-old")
        strong = hik.spec.credentials[Protocol.RTSP][1]
        config = ScanConfig(
            targets=(),
            target_specs=(hik.ip,),
            ports=tuple(lab.ports()),
            port_protocols=lab.port_protocols(),
            timeouts=Timeouts(credential_pause=0.01),
            custom_credentials=parse_creds(f"admin:{wrong}\nadmin:{strong}\n"),
            debug=True,
        )
        report = await scan(config, signatures, [hik.ip], 1)
        shown = await scan(replace(config, show_secrets=True), signatures, [hik.ip], 1)
    assert any(f.secret == strong for h in report.hosts for f in h.findings)  # it was found
    for name in FORMATS:
        out = render_to_string(report, name, RenderOptions(show_debug=True))
        assert strong not in out, name
        assert wrong not in out, name
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert strong not in logged
    assert wrong not in logged
    assert strong in render_to_string(shown, "json", RenderOptions())


# --- the CLI -----------------------------------------------------------------------------------


def test_lab_hostile_lists_and_serves(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lab", "--hostile", "--list"]) == cli.EXIT_OK
    listed = capsys.readouterr().out
    assert all(p.key in listed for p in default_personas())
    assert cli.main(["lab", "--hostile", "--seconds", "0.3"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "scan it with: camsweep scan 127.66.0.10" in out
    assert f"0 connections to {ELSEWHERE}" in out


@pytest.mark.asyncio
async def test_the_watcher_does_count_out_of_scope_connections(hostile: HostileLab) -> None:
    """The zero in the suite test means something: a connection there is counted."""
    port = hostile.port(Protocol.HTTP)
    _, writer = await asyncio.open_connection(ELSEWHERE, port)
    writer.close()
    for _ in range(50):
        if hostile.out_of_scope[port]:
            break
        await asyncio.sleep(0.01)
    assert hostile.out_of_scope[port] == 1


@pytest.mark.asyncio
async def test_personas_end_when_the_client_goes_away() -> None:
    async def endless(peer: Peer) -> None:
        await peer.flood(b"", b"x" * 65536)

    personas = [Persona("flood", "floods", "ends", {Protocol.TCP: endless})]
    async with await start_hostile(personas, prefix="127.66.9", watch_elsewhere=False) as lab:
        reader, writer = await asyncio.open_connection(lab.targets()[0], lab.port(Protocol.TCP))
        assert len(await reader.read(1000)) > 0
        writer.close()
        for _ in range(100):
            if lab.open_connections == 0:
                break
            await asyncio.sleep(0.02)
        assert lab.open_connections == 0
