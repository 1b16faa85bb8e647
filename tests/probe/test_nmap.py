"""--nmap: which ports nmap is asked about, how its answer becomes evidence, and its deadlines.

The real-nmap tests run nmap against loopback banner services (127.88.x) that camsweep's own
probes cannot identify; the process-control tests use small shell scripts in place of nmap, so
hangs, crashes and hostile output are tested without any network at all.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import json
import os
import time
from pathlib import Path

import jsonschema
import pytest

from scanner import cli
from scanner.config import ScanConfig, Timeouts
from scanner.discover.nmap_xml import NmapService
from scanner.enrich import NmapEnricher
from scanner.lab import default_devices, start_lab
from scanner.lab.banner import AXIS_FTP, DROPBEAR_SSH, BannerConfig, start_banner
from scanner.match import SignatureSet
from scanner.models import DeviceType, Identification, ProbeStatus, Protocol, Report, ServiceResult
from scanner.pipeline import scan
from scanner.probe.nmap import (
    NmapOptions,
    NmapSupport,
    annotate_nmap_decisions,
    find_nmap,
    nmap_command,
    run_nmap,
    unidentified_ports,
)
from scanner.report.json_report import render_json

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report-schema.json").read_text())
NMAP = find_nmap()
needs_nmap = pytest.mark.skipif(NMAP is None, reason="nmap is not installed (apt-get install nmap)")


def config_for(ip: str, ports: tuple[int, ...], **timeouts: float) -> ScanConfig:
    return ScanConfig(
        targets=(),
        target_specs=(ip,),
        ports=ports,
        timeouts=Timeouts(**timeouts),
        check_credentials=False,
    )


def nmap_support(signatures: SignatureSet, binary: str | None) -> NmapSupport:
    return NmapSupport(NmapOptions(enrich=True, binary=binary), signatures)


# --- pure: which ports, which words ------------------------------------------------------------


def svc(port: int, protocol: Protocol = Protocol.TCP, **kw: object) -> ServiceResult:
    return ServiceResult(port=port, protocol=protocol, **kw)  # type: ignore[arg-type]


def test_an_unidentified_host_hands_nmap_every_open_port() -> None:
    services = [svc(80, Protocol.HTTP), svc(554, Protocol.RTSP), svc(2121, banner="220 hi")]
    ports = unidentified_ports(services, {80, 554, 2121}, Identification())
    assert ports == (80, 554, 2121)


def test_an_identified_host_hands_nmap_only_what_camsweep_could_not_name() -> None:
    ident = Identification(vendor="Hikvision", device_type=DeviceType.CAMERA)
    services = [
        svc(80, Protocol.HTTP),
        svc(554, Protocol.RTSP),
        svc(2121, banner="220 hi"),  # banner-grabbed only
        svc(8000),  # silent, but a matching fingerprint counts it
        svc(9000, product="Known thing"),  # a probe named the product
        svc(9100, Protocol.HTTP, status=ProbeStatus.TIMEOUT),  # the probe failed
        svc(9200, source="nmap", fields={"nmap.product": "x"}),  # nmap already described it
    ]
    open_ports = {80, 554, 2121, 8000, 9000, 9100, 9200, 9300}  # 9300: no result at all
    ports = unidentified_ports(services, open_ports, ident, explained={8000})
    assert ports == (2121, 9100, 9300)


def test_identified_by_says_when_nmap_decided() -> None:
    own = Identification(fingerprint_ids=("generic-rtsp-service",), identified_by=("fp a",))
    full = Identification(
        vendor="Axis",
        model="M1031-W",
        device_type=DeviceType.CAMERA,
        fingerprint_ids=("generic-rtsp-service", "nmap-axis-camera-service"),
        identified_by=("fp a", "fp b"),
    )
    decided = annotate_nmap_decisions(full, own)
    assert decided.identified_by == (
        "nmap decided the vendor, model, device type: nmap-axis-camera-service matched only "
        "with nmap's evidence",
        "fp a",
        "fp b",
    )
    same = replace_ids(full, ("x",))
    agreed = annotate_nmap_decisions(replace_ids(full, ("x", "y")), same)
    assert agreed.identified_by[0] == "nmap agrees: y also matched on nmap's evidence"
    assert annotate_nmap_decisions(own, own) == own


def replace_ids(ident: Identification, ids: tuple[str, ...]) -> Identification:
    return Identification(
        vendor=ident.vendor,
        model=ident.model,
        device_type=ident.device_type,
        fingerprint_ids=ids,
        identified_by=ident.identified_by,
    )


def test_nmap_service_fields_leave_out_port_table_guesses() -> None:
    guess = NmapService(port=554, state="open", name="rtsp", method="table", conf=3)
    assert guess.fields() == {}
    tls = NmapService(port=443, state="open", name="http", tunnel="ssl", method="probed")
    assert tls.fields() == {"nmap.service": "ssl/http"}


def test_the_nmap_command_is_bounded_and_sends_no_discovery() -> None:
    argv = nmap_command("/usr/bin/nmap", "127.88.0.1", [554, 80, 80], intensity=2, host_timeout=7.5)
    assert argv == [
        "/usr/bin/nmap",
        "-oX",
        "-",
        "-sT",
        "-sV",
        "--version-intensity",
        "2",
        "-Pn",
        "-n",
        "--max-retries",
        "1",
        "--host-timeout",
        "7500ms",
        "-p",
        "80,554",
        "127.88.0.1",
    ]
    with pytest.raises(ipaddress.AddressValueError):  # never reaches nmap's argv
        nmap_command("nmap", "127.0.0.1 -oN /tmp/x", [80], intensity=2, host_timeout=1)


# --- process control, with scripts standing in for nmap ---------------------------------------


def fake_nmap(tmp_path: Path, body: str) -> tuple[str, Path]:
    pidfile = tmp_path / "nmap.pid"
    script = tmp_path / "nmap"
    script.write_text(f'#!/bin/sh\necho $$ > "{pidfile}"\n{body}\n')
    script.chmod(0o755)
    return str(script), pidfile


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.asyncio
async def test_a_hanging_nmap_is_killed_on_our_deadline(tmp_path: Path) -> None:
    binary, pidfile = fake_nmap(tmp_path, "exec sleep 30")
    started = time.monotonic()
    run = await run_nmap(binary, "127.88.7.1", [1], intensity=0, budget=0.5)
    assert time.monotonic() - started < 3.0
    assert run.status is ProbeStatus.TIMEOUT
    assert run.reason == "nmap did not finish within 0.5s"
    assert gone(int(pidfile.read_text()))


@pytest.mark.asyncio
async def test_cancelling_the_host_kills_nmap(tmp_path: Path) -> None:
    binary, pidfile = fake_nmap(tmp_path, "exec sleep 30")
    task = asyncio.create_task(run_nmap(binary, "127.88.7.1", [1], intensity=0, budget=30))
    for _ in range(100):  # up to 5 s for the script to start
        if pidfile.exists() and pidfile.read_text().strip():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gone(int(pidfile.read_text()))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ('echo "Failed to open device lo" >&2; exit 1', ProbeStatus.ERROR, "exited with 1: Failed"),
        ("echo '<not xml'", ProbeStatus.MALFORMED, "not well-formed XML"),
        (
            'echo \'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "x">]><nmaprun>&a;</nmaprun>\'',
            ProbeStatus.MALFORMED,
            "refused",
        ),
        ("head -c 9000000 /dev/zero", ProbeStatus.MALFORMED, "more XML than camsweep reads"),
        ("exit 0", ProbeStatus.MALFORMED, "the file is empty"),
    ],
    ids=["crash", "garbage", "entities", "flood", "silent"],
)
async def test_a_misbehaving_nmap_becomes_an_attempt_with_a_reason(
    tmp_path: Path, body: str, status: ProbeStatus, reason: str
) -> None:
    binary, _ = fake_nmap(tmp_path, body)
    run = await run_nmap(binary, "127.88.7.1", [1], intensity=0, budget=5)
    assert run.status is status
    assert reason in run.reason
    assert run.host is None


@pytest.mark.asyncio
async def test_an_nmap_that_cannot_start_is_an_attempt_too(tmp_path: Path) -> None:
    run = await run_nmap(str(tmp_path / "no-such-nmap"), "127.88.7.1", [1], intensity=0, budget=5)
    assert run.status is ProbeStatus.ERROR
    assert run.reason.startswith("could not start nmap")


@pytest.mark.asyncio
async def test_nmap_stays_inside_the_host_deadline(
    tmp_path: Path, signatures: SignatureSet
) -> None:
    binary, pidfile = fake_nmap(tmp_path, "exec sleep 30")
    ip = "127.88.7.2"
    async with await start_banner(ip, AXIS_FTP) as service:
        config = config_for(ip, (service.port,), host=4.0, banner=0.3, connect=0.5)
        started = time.monotonic()
        report = await scan(
            config,
            signatures,
            [ip],
            1,
            enrichers=[NmapEnricher(nmap_support(signatures, binary), signatures)],
        )
        took = time.monotonic() - started
    assert took < 5.0
    (host,) = report.hosts
    # Our own kill, inside the host's deadline: the host itself finished in time.
    assert [n for n in host.notes if "did not finish" in n] == [
        n
        for n in host.notes
        if n.startswith("nmap -sV (intensity 2) on port") and ": timeout: " in n
    ], host.notes
    assert len(host.notes) == 1
    assert all(s.source == "camsweep" for s in host.services)  # what camsweep found is kept
    assert gone(int(pidfile.read_text()))


# --- without nmap ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_without_nmap_the_scan_goes_on(signatures: SignatureSet) -> None:
    ip = "127.88.7.3"
    binary = find_nmap(lambda name: None)
    assert binary is None
    async with await start_banner(ip, AXIS_FTP) as service:
        config = config_for(ip, (service.port,), banner=0.3)
        report = await scan(
            config,
            signatures,
            [ip],
            1,
            enrichers=[NmapEnricher(nmap_support(signatures, binary), signatures)],
        )
    (host,) = report.hosts
    assert [s.source for s in host.services] == ["camsweep"]
    assert "--nmap: nmap was not found on PATH; the scan ran without it" in report.notes


def test_cli_says_in_one_line_that_nmap_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "report.json"
    code = cli.main(
        [
            "scan",
            "127.88.7.9",
            "--ports",
            "9",
            "--nmap",
            "--connect-timeout",
            "0.5",
            "--format",
            "json",
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_NOTHING_FOUND  # port 9 is closed: nothing answered
    nmap_lines = [line for line in err.splitlines() if "nmap" in line]
    assert nmap_lines == [
        "camsweep: --nmap: nmap is not installed (not on PATH); scanning without it"
    ]
    assert (
        "--nmap: nmap was not found on PATH; the scan ran without it"
        in json.loads(out.read_text())["notes"]
    )


# --- with the real nmap ------------------------------------------------------------------------


def json_of(report: Report) -> dict[str, object]:
    buffer = io.StringIO()
    render_json(report, buffer)
    data: dict[str, object] = json.loads(buffer.getvalue())
    jsonschema.validate(data, SCHEMA)
    return data


async def scan_banner(
    signatures: SignatureSet, ip: str, banner: BannerConfig, nmap: NmapSupport | None
) -> Report:
    async with await start_banner(ip, banner) as service:
        config = config_for(ip, (service.port,), banner=0.5, host=30.0)
        enrichers = [NmapEnricher(nmap, signatures)] if nmap is not None else []
        return await scan(config, signatures, [ip], 1, enrichers=enrichers)


@pytest.mark.nmap
@needs_nmap
@pytest.mark.asyncio
async def test_nmap_agrees_with_what_camsweep_reads_in_the_greeting(
    signatures: SignatureSet,
) -> None:
    ip = "127.88.8.1"
    alone = await scan_banner(signatures, ip, AXIS_FTP, None)
    # Since issue 13 camsweep reads the model number in the FTP greeting itself (vendor from
    # text, docs/identification.md); nmap -sV then agrees and its evidence is recorded beside.
    expected = ("Axis", "M1031-W", DeviceType.CAMERA)
    mine = alone.hosts[0].identification
    assert (mine.vendor, mine.model, mine.device_type) == expected

    report = await scan_banner(signatures, ip, AXIS_FTP, nmap_support(signatures, NMAP))
    (host,) = report.hosts
    ident = host.identification
    assert (ident.vendor, ident.model, ident.device_type) == expected
    assert ident.identified_by[0].startswith("nmap agrees")
    by_source = {s.source: s for s in host.services}
    assert set(by_source) == {"camsweep", "nmap"}
    nmap_evidence = by_source["nmap"]
    assert nmap_evidence.port == by_source["camsweep"].port
    assert nmap_evidence.fields["nmap.service"] == "ftp"
    assert nmap_evidence.fields["nmap.product"] == "Axis M1031-W Network Camera ftpd"
    assert nmap_evidence.fields["nmap.version"] == "5.20"
    assert nmap_evidence.fields["nmap.devicetype"] == "webcam"
    assert nmap_evidence.fields["nmap.cpe"] == "cpe:/h:axis:m1031-w_network_camera"
    assert any(n.startswith("nmap -sV (intensity 2) on port") for n in host.notes)

    data = json_of(report)
    services = data["hosts"][0]["services"]  # type: ignore[index]
    assert sorted(s["source"] for s in services) == ["camsweep", "nmap"]


@pytest.mark.nmap
@needs_nmap
@pytest.mark.asyncio
async def test_nmap_is_asked_only_about_ports_camsweep_could_not_identify(
    signatures: SignatureSet,
) -> None:
    (axis,) = [d for d in default_devices("127.88.9") if d.key == "axis-hardened"]
    async with (
        await start_lab([axis], standard_ports=False) as lab,
        await start_banner(axis.ip, DROPBEAR_SSH) as ssh,
    ):
        ports = (*lab.ports(), ssh.port)
        config = ScanConfig(
            targets=(),
            target_specs=(axis.ip,),
            ports=ports,
            port_protocols=lab.port_protocols(),
            timeouts=Timeouts(banner=0.5, host=30.0),
            check_credentials=False,
        )
        report = await scan(
            config,
            signatures,
            [axis.ip],
            1,
            enrichers=[NmapEnricher(nmap_support(signatures, NMAP), signatures)],
        )
    (host,) = report.hosts
    assert host.identification.vendor == "Axis"  # camsweep's own probes named it
    assert not host.identification.identified_by[0].startswith("nmap decided")
    from_nmap = [s for s in host.services if s.source == "nmap"]
    assert [s.port for s in from_nmap] == [ssh.port]  # HTTP and RTSP were not handed over
    assert from_nmap[0].fields["nmap.product"] == "Dropbear sshd"
    assert from_nmap[0].fields["nmap.ostype"] == "Linux"
    (note,) = [n for n in host.notes if n.startswith("nmap -sV")]
    assert note.startswith(f"nmap -sV (intensity 2) on port {ssh.port}: identified port")


@pytest.mark.asyncio
async def test_nmap_is_not_started_when_the_deadline_is_nearly_spent(
    tmp_path: Path, signatures: SignatureSet
) -> None:
    binary, pidfile = fake_nmap(tmp_path, "exec sleep 30")
    step = await nmap_support(signatures, binary).after_probes(
        "127.88.7.4",
        (svc(2121, banner="220 hi"),),
        {2121},
        Identification(),
        deadline=time.monotonic() + 1.0,
    )
    assert step.services == ()
    assert step.notes[0].startswith("nmap -sV skipped on port 2121: too little of the host's")
    assert not pidfile.exists()


@pytest.mark.nmap
@needs_nmap
@pytest.mark.asyncio
async def test_what_nmap_identified_is_kept_when_a_silent_port_runs_out_of_time(
    signatures: SignatureSet,
) -> None:
    ip = "127.88.8.3"
    silent = BannerConfig(greeting=b"", label="a vendor port that waits for its login packet")
    async with (
        await start_banner(ip, AXIS_FTP) as ftp,
        await start_banner(ip, silent, idle_timeout=30.0) as quiet,
    ):
        config = config_for(ip, (ftp.port, quiet.port), host=6.0, banner=0.3, read=0.5)
        started = time.monotonic()
        report = await scan(
            config,
            signatures,
            [ip],
            1,
            enrichers=[NmapEnricher(nmap_support(signatures, NMAP), signatures)],
        )
        took = time.monotonic() - started
    assert took < 6.5
    (host,) = report.hosts
    assert host.identification.vendor == "Axis"
    assert [s.port for s in host.services if s.source == "nmap"] == [ftp.port]
    (note,) = [n for n in host.notes if n.startswith("nmap -sV")]
    assert f"identified port {ftp.port} as 'Axis M1031-W Network Camera ftpd 5.20'" in note
    assert f"port {quiet.port}: timeout: nmap did not finish" in note
