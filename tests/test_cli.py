"""The command line: every exit code and error message, output formats, the no-target path."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import jsonschema
import pytest

from scanner import cli
from scanner.cli import scan_cmd
from scanner.config import ScanConfig
from scanner.match import SignatureSet
from scanner.models import Report
from scanner.pipeline import ScanObserver
from scanner.report.risk import summarize

REPO = Path(__file__).parent.parent
SCHEMA = json.loads((REPO / "docs" / "report-schema.json").read_text())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("camsweep: ")
    return lines[0]


def test_demo_writes_a_valid_json_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    code, out, err = run(["demo", "--high-ports", "--format", "json", "-o", str(target)], capsys)
    assert code == cli.EXIT_OK, err
    document = json.loads(target.read_text())
    jsonschema.validate(document, SCHEMA)
    assert len(document["hosts"]) == 9  # eight lab devices and the lab's router (127.77.0.1)
    assert "report written to" in err
    assert out == ""
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "report.json"]
    assert leftovers == []  # the atomic write left no temp file


def test_demo_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--high-ports", "-q"], capsys)
    assert code == cli.EXIT_OK
    assert "\x1b" not in out  # captured output is not a terminal: plain text
    for word in ("Hikvision", "Dahua", "Xiongmai", "Axis", "Fix"):
        assert word in out, word


def test_fail_on_sets_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["demo", "--high-ports", "-q", "--format", "json", "-o", str(tmp_path / "r.json")]
    assert run([*argv, "--fail-on", "high"], capsys)[0] == cli.EXIT_FINDINGS
    assert run(argv, capsys)[0] == cli.EXIT_OK


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "8.8.8.8"], "public address range"),
        (["scan", "camera.local"], "not an IPv4 address, CIDR or range"),
        (["scan", "10.0.0.0/16"], "--allow-large"),
        (["scan", "--ports", "99999", "127.0.0.1"], "outside 1-65535"),
        (["scan", "--ports", "554:rtmp", "127.0.0.1"], "unknown protocol 'rtmp'"),
        (["scan", "--fail-on", "bogus", "127.0.0.1"], "unknown severity 'bogus'"),
        (["scan", "--connect-timeout", "-1", "127.0.0.1"], "seconds must be in"),
        (["scan", "--concurrency", "0", "127.0.0.1"], "must be 1-4096"),
        # Under the test's own folder: absent (never created), and below a regular file.
        (
            ["scan", "127.0.0.1", "-o", "{tmp}/missing/r.json"],
            "folder {tmp}/missing does not exist",
        ),
        (["scan", "127.0.0.1", "-o", "{tmp}/file/r.json"], "{tmp}/file is a file, not a folder"),
        (["scan", "@/nonexistent-file"], "cannot read target file"),
        (["scan", "127.0.0.1", "--creds", "/nonexistent-creds"], "cannot read /nonexistent-creds"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("a regular file, not a folder\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    message = message.replace("{tmp}", str(tmp_path))
    code, _, err = run(argv, capsys)
    assert code == cli.EXIT_USAGE
    assert message in one_line_error(err)


def test_signature_errors_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("fingerprints:\n  - id: x\n    vendor: NoSuchVendor\n    nonsense: 1\n")
    code, out, _ = run(["signatures", "lint", str(bad)], capsys)
    assert code == cli.EXIT_USAGE
    assert f"{bad}:" in out
    # A scan with a broken user signature folder stops before scanning, with the same lines.
    code, _, err = run(["scan", "127.0.0.1", "--signatures", str(tmp_path)], capsys)
    assert code == cli.EXIT_USAGE
    assert f"{bad}:" in err
    assert "Traceback" not in err


def test_shipped_signatures_lint_test_list_and_stats(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["signatures", "lint"], capsys)[0] == cli.EXIT_OK
    code, out, _ = run(["signatures", "test"], capsys)
    assert code == cli.EXIT_OK, out
    code, out, _ = run(["signatures", "list"], capsys)
    assert code == cli.EXIT_OK
    assert "hikvision" in out.lower()
    code, out, _ = run(["signatures", "stats"], capsys)
    assert code == cli.EXIT_OK
    assert "fingerprints" in out


def test_scan_failure_exits_3_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(*args: object, **kwargs: object) -> Report:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scan_cmd, "scan", broken)
    code, _, err = run(["scan", "127.0.0.1"], capsys)
    assert code == cli.EXIT_FAILED
    assert "scan failed: RuntimeError: disk on fire" in one_line_error(err)
    code, _, err = run(["scan", "127.0.0.1", "--debug"], capsys)
    assert code == cli.EXIT_FAILED
    assert "Traceback" in err


def test_no_target_scans_the_attached_subnet_with_the_guest_profile(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real default-route path must never run here: inject the interface table and capture
    # the scan instead of sending anything.
    monkeypatch.setattr(scan_cmd, "read_default_interface", lambda: "eth9")
    monkeypatch.setattr(scan_cmd, "read_interfaces", lambda: {"eth9": ["192.0.2.10/28"]})
    seen: dict[str, object] = {}

    async def fake_scan(
        config: ScanConfig,
        signatures: SignatureSet,
        targets: Iterable[str],
        total: int,
        *,
        observer: ScanObserver | None = None,
        **options: object,
    ) -> Report:
        seen["config"] = config
        seen["targets"] = list(targets)
        return Report(
            schema_version="1.0",
            tool_name="camsweep",
            tool_version="0",
            started_at="2026-01-01T00:00:00Z",
            finished_at="2026-01-01T00:00:01Z",
            targets=config.target_specs,
            profile=config.profile,
            hosts=(),
            summary=summarize([], total),
        )

    monkeypatch.setattr(scan_cmd, "scan", fake_scan)
    code, out, err = run(["scan"], capsys)
    assert code == cli.EXIT_NOTHING_FOUND  # nothing answered: never a silent success
    config = seen["config"]
    assert isinstance(config, ScanConfig)
    assert config.profile == "guest"
    assert not config.check_credentials
    assert seen["targets"] == [f"192.0.2.{i}" for i in range(1, 15)]
    assert "scanning 192.0.2.0/28" in err
    assert "192.0.2.0/28" in out


def test_no_target_without_default_route_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(scan_cmd, "read_default_interface", lambda: None)
    monkeypatch.setattr(scan_cmd, "read_interfaces", dict)
    code, _, err = run(["scan"], capsys)
    assert code == cli.EXIT_USAGE
    assert "no default route" in one_line_error(err)


def test_lab_list_describes_every_device(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lab", "--list"], capsys)
    assert code == cli.EXIT_OK
    for key in ("hikvision-old", "dahua-default", "xiongmai-dvr", "open-rtsp", "axis-hardened"):
        assert key in out


def test_lab_runs_in_the_foreground_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lab", "--high-ports", "--seconds", "0.3"], capsys)
    assert code == cli.EXIT_OK
    assert "127.77.0.11" in out
    assert "camsweep scan" in out


def test_module_entry_point_pipes_plain_text() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "demo", "--high-ports"],
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b" not in proc.stdout
    assert b"Hikvision" in proc.stdout
