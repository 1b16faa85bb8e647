"""The small things a new user hit (issue #16 item 7), each through the real command line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner import cli
from scanner.models import Severity
from scanner.report.json_report import render_json
from tests.report.fixtures import golden_report

REPO = Path(__file__).parent.parent.parent


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def camsweep(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "scan.json"
    with path.open("w", encoding="utf-8") as handle:
        render_json(golden_report(), handle)
    return path


@pytest.mark.parametrize("spelling", ["HIGH", "High", "high", " high "])
def test_fail_on_takes_the_severity_as_the_report_prints_it(spelling: str) -> None:
    args = cli.build_parser().parse_args(["scan", "127.0.0.1", "--fail-on", spelling])
    assert args.fail_on is Severity.HIGH


def test_fail_on_names_the_choices_not_a_class(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["scan", "127.0.0.1", "--fail-on", "severe"], capsys)
    assert code == cli.EXIT_USAGE
    assert "use one of critical, high, medium, low, info" in err
    assert "Severity" not in err


def test_help_shows_defaults_profiles_and_examples() -> None:
    top = camsweep("--help").stdout
    assert "camsweep check" in top  # the front doors, by example
    assert "camsweep demo" in top
    assert "exit codes:" in top
    scan_help = " ".join(camsweep("scan", "--help").stdout.split())
    assert "(default: 1.5)" in scan_help  # --connect-timeout
    assert "(default: 256)" in scan_help  # --concurrency
    assert "lab: owner plus intrusive checks" in scan_help
    assert "the default with targets" in scan_help  # owner is the default with targets
    assert "the default without targets" in scan_help
    assert "examples:" in scan_help


def test_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "signatures", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert code in (0, 141), (code, err)
    assert "Traceback" not in err
    assert "scan failed" not in err
    assert "BrokenPipe" not in err


def test_an_unknown_output_extension_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], saved: Path
) -> None:
    code, _, err = run(["report", "convert", str(saved), "-o", str(tmp_path / "r.pdf")], capsys)
    assert code == cli.EXIT_USAGE
    assert "cannot write .pdf files" in err
    assert not (tmp_path / "r.pdf").exists()


def test_output_dir_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], saved: Path
) -> None:
    folder = tmp_path / "out" / "ci"
    code, _, err = run(
        ["report", "convert", str(saved), "--format", "sarif", "--output-dir", str(folder)],
        capsys,
    )
    assert code == cli.EXIT_OK, err
    assert (folder / "camsweep-report.sarif").is_file()


def test_a_bad_line_in_a_target_file_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("# cameras\n127.0.0.1\ncamera.local\n")
    code, _, err = run(["scan", f"@{targets}"], capsys)
    assert code == cli.EXIT_USAGE
    assert f"{targets}:3:" in err
    assert "camera.local" in err


def test_the_masked_password_says_how_to_see_it(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["report", "convert", str(saved), "--width", "100"], capsys)
    assert code == cli.EXIT_OK
    assert "Working password: ******** (shown with --show-secrets)" in out


def test_status_line_counts_with_plurals_and_the_report_s_word(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = json.loads(saved.read_text())
    one["hosts"] = [h for h in one["hosts"] if h["device_type"] == "recorder"]
    one["summary"].update(hosts_up=1, cameras=0, recorders=1)
    counts = dict.fromkeys(one["summary"]["findings_by_severity"], 0)
    for f in one["hosts"][0]["findings"]:
        counts[f["severity"]] += 1
    one["summary"]["findings_by_severity"] = counts
    small = tmp_path / "one.json"
    small.write_text(json.dumps(one))
    code, _, err = run(["report", "convert", str(small), "-o", str(tmp_path / "r.txt")], capsys)
    assert code == cli.EXIT_OK, err
    err = " ".join(err.split())  # status lines wrap to the terminal
    assert "(1 device, 0 cameras, 1 video recorder, 1 problem)" in err
    assert "findings" not in err
    assert "(s)" not in err
    text = (tmp_path / "r.txt").read_text()
    assert "1 problem (1 critical)" in text  # the same word as the status line


def test_the_demo_says_it_was_a_demo_and_what_to_run_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["demo", "--high-ports", "--no-progress", "-o", str(tmp_path / "d.json")], capsys
    )
    assert code == cli.EXIT_OK, err
    err = " ".join(err.split())  # status lines wrap to the terminal
    assert "that was a demo against emulated devices" in err
    assert "camsweep scan" in err
    assert "camsweep check ADDRESS" in err


def test_a_busy_lab_port_is_reported_not_silently_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Hold the Hikvision SDK port (8000, a vendor port whose finding depends on its number).
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(20):  # another suite's lab may hold it for a moment on a shared machine
        try:
            holder.bind(("127.77.0.11", 8000))
            break
        except OSError:
            time.sleep(0.5)
    else:
        holder.close()
        pytest.skip("127.77.0.11:8000 stayed taken by another lab run")
    holder.listen(1)
    try:
        report = tmp_path / "d.json"
        code, _, err = run(["demo", "--high-ports", "--no-progress", "-o", str(report)], capsys)
    finally:
        holder.close()
    assert code == cli.EXIT_OK, err
    err = " ".join(err.split())  # status lines wrap to the terminal
    assert "ports busy, so the lab moved" in err
    assert "127.77.0.11 port 8000 (now " in err
    notes = json.loads(report.read_text())["notes"]
    assert any("127.77.0.11 port 8000" in note for note in notes)
