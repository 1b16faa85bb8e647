"""What a person reads first (issue #16, "What the user hit" 1-4): width, length and jargon,
no false reassurance, an honest "How sure", and no CRITICAL from a guess."""

from __future__ import annotations

import dataclasses
import io

import pytest

from scanner.models import (
    Basis,
    Confidence,
    DeviceType,
    DiscoveryRun,
    DiscoveryStatus,
    Finding,
    Report,
    RiskLevel,
    Severity,
)
from scanner.report.actions import do_this_first, how_sure
from scanner.report.risk import score_host
from scanner.report.text import render_text
from tests.report.fixtures import golden_report
from tests.report.test_samples import finding, host, report, sample_report


def render(rep: Report, width: int = 100, *, verbose: bool = False) -> str:
    buf = io.StringIO()
    render_text(rep, buf, color=False, width=width, verbose=verbose)
    return buf.getvalue()


# --- 1. width ---------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_no_line_is_wider_than_asked(width: int) -> None:
    for rep in (sample_report(), golden_report()):
        for verbose in (False, True):
            lines = render(rep, width, verbose=verbose).split("\n")
            assert max(len(line) for line in lines) <= width, (width, verbose)


def test_a_wide_terminal_is_used() -> None:
    wide = render(golden_report(), 200).split("\n")
    narrow = render(golden_report(), 80).split("\n")
    assert max(len(line) for line in wide) > 100
    assert len(wide) < len(narrow)


def test_wrapped_lines_continue_under_their_text_not_at_the_margin() -> None:
    rep = report(
        (
            host(
                "10.0.0.5",
                (
                    finding(
                        "long",
                        Severity.CRITICAL,
                        Confidence.CONFIRMED,
                        title="A long problem title " * 6,
                        remediation="Do this and then that. " * 8,
                        port=80,
                    ),
                ),
            ),
        ),
        scanned=1,
    )
    lines = render(rep, 60, verbose=True).split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("CRITICAL A long"))
    block = lines[start + 1 : start + 6]
    assert all(line.startswith(" " * 9) and line.strip() for line in block), block
    lines = render(sample_report(), 40).split("\n")
    summary = next(i for i, line in enumerate(lines) if line.startswith("Summary:"))
    assert lines[summary + 1].startswith(" " * 9)  # "Summary: ..." wraps under its text


# --- 2. length and jargon ---------------------------------------------------------------------


def test_the_report_opens_with_a_verdict_and_numbered_steps_grouped_across_devices() -> None:
    text = render(sample_report())
    lines = text.split("\n")
    verdict = next(i for i, line in enumerate(lines) if line.startswith("Verdict:"))
    steps = lines.index("Do this first")
    table = next(i for i, line in enumerate(lines) if line.startswith("Address"))
    assert verdict < steps < table
    assert lines[steps + 1] == (
        " 1. Change the factory password of 2 devices: 127.77.0.10, 127.77.0.12"
    )
    assert " 2. Update the firmware of 127.77.0.11 (Hikvision)" in lines


def test_steps_group_the_same_action_and_one_firmware_update_per_device() -> None:
    hosts = (
        host(
            "10.0.0.1",
            (
                finding("default-credentials-rtsp", Severity.HIGH, Confidence.CONFIRMED),
                finding("vuln-a", Severity.HIGH, Confidence.INFERRED, cves=("CVE-2017-7921",)),
                finding("vuln-b", Severity.MEDIUM, Confidence.INFERRED, cves=("CVE-2017-7923",)),
            ),
            device_type=DeviceType.CAMERA,
            vendor="Hikvision",
        ),
        host(
            "10.0.0.2",
            (finding("default-credentials-http", Severity.HIGH, Confidence.CONFIRMED),),
            device_type=DeviceType.CAMERA,
            vendor="Hikvision",
        ),
    )
    texts = [a.text for a in do_this_first(hosts)]
    assert texts == [
        "Change the factory password of 2 cameras: 10.0.0.1, 10.0.0.2",
        "Update the firmware of 10.0.0.1 (Hikvision)",
    ]


def test_matcher_internals_and_ids_only_with_verbose() -> None:
    rep = sample_report()
    ids = [f.id for h in rep.hosts for f in h.findings if f.severity is not Severity.INFO]
    plain, verbose = render(rep), render(rep, verbose=True)
    for jargon in ("Id: ", "found by", "What we saw:", "fingerprint "):
        assert jargon not in plain, jargon
    for fid in ids:
        assert f"Id: {fid}" in verbose


def test_a_fix_shared_by_findings_is_printed_once() -> None:
    fix = "Keep this port off the internet: remove any port-forward for it on your router."
    rep = report(
        (
            host(
                "10.0.0.1",
                tuple(
                    finding(f"p{i}", Severity.MEDIUM, Confidence.FIRM, remediation=fix, port=i)
                    for i in (1, 2, 3)
                ),
            ),
            host("10.0.0.2", (finding("p4", Severity.MEDIUM, remediation=fix, port=4),)),
        ),
        scanned=2,
    )
    flat = " ".join(render(rep, verbose=True).split())
    assert flat.count("remove any port-forward") == 1
    assert flat.count("Fix: the same as above") == 2
    assert "Fix: the same as for 10.0.0.1 above" in flat


def test_repeated_notes_and_discovery_reasons_are_one_line_each() -> None:
    reason = "targets are on loopback: ARP, mDNS, SSDP and WS-Discovery only run on the LAN"
    note = "default passwords not tried on http/80: the budget was used up"
    rep = dataclasses.replace(
        report((host("10.0.0.1", (), notes=(note, note, note)),), scanned=1),
        discovery=(
            DiscoveryRun("tcp", DiscoveryStatus.RAN, "connect sweep", 1),
            *(DiscoveryRun(m, DiscoveryStatus.SKIPPED, reason) for m in ("arp", "mdns", "ssdp")),
        ),
    )
    flat = " ".join(render(rep).split())
    assert flat.count("budget was used up") == 1
    assert "budget was used up (3 times)" in flat
    assert flat.count("only run on the LAN") == 1
    assert "arp, mdns, ssdp: skipped (targets are on loopback" in flat


def test_a_note_repeated_on_several_devices_is_printed_once() -> None:
    note = "default passwords not tried on http/80: the budget of 3 failed logins was used up"
    rep = report(
        tuple(
            host(ip, (finding("p", Severity.HIGH),), notes=(note,))
            for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
        ),
        scanned=3,
    )
    flat = " ".join(render(rep).split())
    assert flat.count("budget of 3 failed logins") == 1
    assert flat.count("Note: the same note as for 10.0.0.1 above") == 2


def test_a_service_s_probe_log_is_a_verbose_note() -> None:
    log = "rtsp/554: 3 pairs tried with credentials (the random control pair included)"
    rep = report((host("10.0.0.1", (finding("p", Severity.HIGH),), notes=(log,)),), scanned=1)
    assert "3 pairs tried" not in render(rep)
    assert "3 pairs tried" in render(rep, verbose=True)


# --- 3. false reassurance ---------------------------------------------------------------------


def test_nothing_answered_is_said_plainly() -> None:
    rep = dataclasses.replace(report((), scanned=5), targets=("127.88.0.1-5",))
    text = render(rep)
    flat = " ".join(text.split())
    assert "No device answered on 127.88.0.1-5: check the address range" in flat
    assert "no problems found" not in text
    assert "Highest risk" not in text


def test_a_passive_scan_that_heard_nothing_says_so() -> None:
    rep = dataclasses.replace(
        report((), scanned=254),
        discovery=(
            DiscoveryRun("tcp", DiscoveryStatus.SKIPPED, "passive mode: nothing is sent"),
            DiscoveryRun(
                "passive", DiscoveryStatus.RAN, "listened on eth0 for 2s; nothing was sent"
            ),
        ),
    )
    flat = " ".join(render(rep).split())
    assert "Nothing heard in 2 s" in flat
    assert "no problems found" not in flat


# --- 4. How sure, and no CRITICAL from a guess ------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "says", "never"),
    [
        (Basis.FIRMWARE, "firmware version it reported", "banner"),
        (Basis.BANNER, "product banner only; no firmware version was read", "reported"),
        (Basis.MODEL, "model name only", "banner"),
        (Basis.PORT, "port number alone", "firmware"),
    ],
)
def test_how_sure_says_what_the_guess_rests_on(basis: Basis, says: str, never: str) -> None:
    guess = Finding("v", "t", Severity.HIGH, Confidence.INFERRED, "", "", basis=basis)
    words = how_sure(guess)
    assert says in words
    assert never not in words


def test_a_guess_never_makes_a_device_critical() -> None:
    unverified = Finding(
        "xiongmai-cve-2017-16725",
        "t",
        Severity.CRITICAL,
        Confidence.INFERRED,
        "",
        "",
        basis=Basis.BANNER,
        unverified=True,
    )
    risk = score_host([unverified], DeviceType.RECORDER)
    assert risk.level is RiskLevel.HIGH
    assert risk.score < 9
    assert "counted as high until confirmed" in how_sure(unverified)
    # A firmware-range match may still be critical, and so may anything seen happening.
    by_version = dataclasses.replace(unverified, basis=Basis.FIRMWARE, unverified=False)
    assert score_host([by_version], DeviceType.RECORDER).level is RiskLevel.CRITICAL
    seen = dataclasses.replace(unverified, confidence=Confidence.CONFIRMED)
    assert score_host([seen], DeviceType.RECORDER).level is RiskLevel.CRITICAL


def test_the_telnet_step_names_the_port_telnet_was_found_on() -> None:
    def telnet_on(port: int | None) -> str:
        hosts = (
            host(
                "10.0.0.3",
                (finding("telnet-open", Severity.HIGH, port=port),),
                device_type=DeviceType.CAMERA,
            ),
        )
        return do_this_first(hosts)[0].text

    assert telnet_on(10023) == "Turn off or block Telnet (port 10023) on 10.0.0.3 (camera)"
    assert telnet_on(23) == "Turn off or block Telnet (port 23) on 10.0.0.3 (camera)"
    assert telnet_on(None) == "Turn off or block Telnet (port 23) on 10.0.0.3 (camera)"
