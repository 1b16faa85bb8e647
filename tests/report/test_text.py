from __future__ import annotations

import dataclasses
import io
import re

import pytest

from scanner.models import Confidence, DeviceType, Report, Severity
from scanner.report.json_report import SECRET_MASK
from scanner.report.text import MIN_WIDTH, render_text
from tests.report.test_samples import (
    PASSWORD,
    finding,
    host,
    report,
    sample_report,
)

# Only SGR sequences (colour and weight) may appear, and only when colour is on.
SGR = re.compile(r"\x1b\[[0-9;]*m")


def render(
    rep: Report,
    *,
    color: bool = False,
    width: int = 100,
    show_debug: bool = False,
    verbose: bool = False,
) -> str:
    buf = io.StringIO()
    render_text(rep, buf, color=color, width=width, show_debug=show_debug, verbose=verbose)
    return buf.getvalue()


def plain_lines(text: str) -> list[str]:
    return SGR.sub("", text).split("\n")


def test_header_names_targets_profile_time_and_counts() -> None:
    text = render(sample_report())
    assert "camsweep 0.1.0" in text
    assert "Scanned:       127.77.0.0/24 with the owner profile" in text
    # Local time with its offset (the report tests run in UTC+02:00, tests/report/conftest.py).
    assert "Time:          2026-11-20 12:00:00 to 12:00:12 (UTC+02:00)" in text
    assert (
        "Devices found: 6 of 256 addresses scanned: 3 cameras, 1 video recorder (NVR/DVR)" in text
    )


def test_table_has_one_row_per_host_in_numeric_order() -> None:
    lines = plain_lines(render(sample_report()))
    header = next(i for i, line in enumerate(lines) if line.startswith("Address"))
    for column in ("Device", "Open services", "Risk"):
        assert column in lines[header]
    rows = [line.split()[0] for line in lines[header + 2 : header + 8]]
    assert rows == [
        "127.77.0.9",
        "127.77.0.10",
        "127.77.0.11",
        "127.77.0.12",
        "127.77.0.15",
        "127.77.0.16",
    ]
    dahua = lines[header + 5]
    assert "Dahua" in dahua
    assert "IPC-HDW4431C-A" in dahua
    assert "http/80 rtsp/554" in dahua
    assert "CRITICAL 10.0" in dahua
    printer = lines[header + 7]
    assert "HP LaserJet Pro M404dn" in printer
    assert printer.rstrip().endswith("none")


def test_each_finding_has_severity_title_confidence_evidence_fix_and_references() -> None:
    text = render(sample_report(), verbose=True)
    dahua = text[text.index("\n127.77.0.12 CRITICAL 10.0: Dahua") :]
    dahua = dahua[: dahua.index("127.77.0.15")]
    assert "CRITICAL The video stream still uses the factory password (port 554)" in dahua
    assert "How sure: confirmed: we saw it happen" in dahua
    assert "What we saw: Refused without credentials" in dahua
    assert "Fix: Open the camera's web page and set a long, unique password." in dahua
    assert "More: https://example.org/dahua-password" in dahua
    # Worst first: critical, high, medium, low.
    positions = [dahua.index(label) for label in ("CRITICAL ", "HIGH  ", "MEDIUM ", "LOW  ")]
    assert positions == sorted(positions)
    hik = text[text.index("\n127.77.0.11 CRITICAL 9.2: Hikvision") :]
    assert "CVE: CVE-2017-7921" in hik
    assert "How sure: possible: guessed from what the device announces" in hik


def test_default_report_keeps_ids_evidence_and_links_for_verbose() -> None:
    text = render(sample_report())
    for jargon in ("Id: ", "What we saw:", "More: https://", "CVE: "):
        assert jargon not in text, jargon
    assert "How to fix each problem, what each device said, CVEs and links: --verbose." in text


def test_clean_hosts_are_shown_as_clean_with_their_info_notes() -> None:
    text = render(sample_report(), verbose=True)
    assert "127.77.0.15 no problems: Axis M3045-V camera" in text
    assert "For your information:\n  - The stream asks for a password" in text
    assert "127.77.0.16 no problems: HP LaserJet Pro M404dn other device" in text
    assert "127.77.0.9 no problems: unidentified device" in text
    # Without --verbose a device with nothing to say is its table row ("none") alone.
    assert "127.77.0.16 no problems" not in render(sample_report())


def test_closing_lines_name_the_blind_spots_and_count_by_severity() -> None:
    flat = " ".join(render(sample_report()).split())
    assert "another Wi-Fi network" in flat
    assert "mobile data" in flat
    assert "SD card" in flat
    assert (
        "Summary: 6 problems (3 critical, 1 high, 1 medium, 1 low), "
        "1 note for your information." in flat
    )
    assert "Note: lab run" in flat


def test_empty_report() -> None:
    text = render(report((), scanned=16))
    assert "Verdict: No device answered on 127.77.0.0/24: check the address range" in text
    assert "no problems found" not in text  # nothing answered is not "no problems"
    assert "Summary: nothing answered, so nothing was checked." in text


def test_secret_masked_unless_asked() -> None:
    masked = render(sample_report())
    assert PASSWORD not in masked
    assert f"Working password: {SECRET_MASK}" in masked
    shown = render(sample_report(show_secrets=True))
    assert f"Working password: {PASSWORD}" in shown


def test_debug_details_only_on_request() -> None:
    assert "probe-bug-marker" not in render(sample_report())
    text = render(sample_report(), show_debug=True)
    assert "tcp/8000: error (probe bug)" in text
    assert "ValueError: probe-bug-marker" in text
    assert "rtsp/554: timeout (no answer within 3 s)" in text


def test_hostile_device_text_is_shown_literally_and_defused() -> None:
    text = render(sample_report(), color=False)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\u202e" not in text
    assert "\u241b[2J" in text  # the clear-screen attempt, made visible
    assert "\u241b]52;c;ZXZpbA==\u2407" in text  # the clipboard write, made visible
    assert "[bold red]pwn[/bold red]" in text  # markup shown, not applied
    assert ":warning:" in text  # no emoji substitution
    assert "<U+202E>evil" in text


def _hostile_everywhere() -> Report:
    evil = "\x1b[31m\x1b]8;;http://evil\x1b\\\x9b2J\x00[red]x[/red]"
    target = host(
        "10.0.0.1",
        (
            finding(
                evil,
                Severity.HIGH,
                title=evil,
                evidence=f"{evil}\n{evil}",
                remediation=evil,
                references=(evil,),
                secret=evil,
            ),
            finding("i", Severity.INFO, title=evil),
        ),
        vendor=evil,
        model=evil,
        hostnames=(evil,),
        notes=(evil,),
    )
    rep = report((target,), show_secrets=True)
    return Report(
        schema_version=rep.schema_version,
        tool_name=evil,
        tool_version=evil,
        started_at=evil,
        finished_at=evil,
        targets=(evil,),
        profile=evil,
        hosts=rep.hosts,
        summary=rep.summary,
        notes=(evil,),
        show_secrets=True,
    )


@pytest.mark.parametrize("color", [False, True])
def test_no_device_escape_sequence_survives_anywhere(color: bool) -> None:
    text = render(_hostile_everywhere(), color=color, show_debug=True)
    leftover = SGR.sub("", text)
    assert "\x1b" not in leftover
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", leftover)
    assert "[red]x[/red]" in leftover


def test_color_on_emits_styles_so_the_plain_test_can_fail() -> None:
    text = render(sample_report(), color=True)
    assert SGR.search(text)
    assert "\x1b[1;31m" in text or "\x1b[31m" in text  # critical in red


@pytest.mark.parametrize(
    "env",
    [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}, {"COLUMNS": "20", "TERM": "xterm-256color"}],
)
def test_color_off_has_no_escape_bytes_whatever_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    text = render(sample_report(), color=False, show_debug=True)
    assert "\x1b" not in text
    assert "\x9b" not in text
    assert max(len(line) for line in text.split("\n")) <= 100


@pytest.mark.parametrize("width", [10, 60, 100, 160])
def test_lines_fit_the_width_and_have_no_trailing_spaces(width: int) -> None:
    text = render(sample_report(), width=width, show_debug=True)
    limit = max(MIN_WIDTH, width)
    for line in text.split("\n"):
        assert len(line) <= limit
        assert line == line.rstrip(" ")


def test_recorder_and_confidence_wording() -> None:
    rep = report(
        (
            host(
                "127.77.0.2",
                (finding("upnp", Severity.MEDIUM, Confidence.FIRM),),
                device_type=DeviceType.RECORDER,
                vendor="Xiongmai",
            ),
        ),
        scanned=1,
    )
    text = render(rep)
    assert "1 of 1 address scanned: 0 cameras, 1 video recorder (NVR/DVR)" in text
    assert "127.77.0.2 MEDIUM 4.5: Xiongmai video recorder" in text
    assert "(port" not in text or ", likely" in text
    assert "How sure: likely: the device clearly matches" in render(rep, verbose=True)


def test_hosts_outside_the_targets_are_counted_apart() -> None:
    # the router the scan read lies outside the scanned range: "2 of 2 addresses" for a
    # range of one would not add up
    rep = report(
        (
            host("127.77.0.2", (), device_type=DeviceType.CAMERA, vendor="Axis"),
            host("127.77.1.1", (), device_type=DeviceType.OTHER),
        ),
        scanned=2,
    )
    rep = dataclasses.replace(rep, targets=("127.77.0.2",))
    text = render(rep)
    assert "127.77.0.2 with the owner profile, and 1 device outside them" in text
    assert "1 of 1 address scanned: 1 camera" in text
    # a target file is never opened by the renderer: the count is left whole
    text = render(dataclasses.replace(rep, targets=("@/nonexistent/targets.txt",)))
    assert "2 of 2 addresses scanned: 1 camera" in text
