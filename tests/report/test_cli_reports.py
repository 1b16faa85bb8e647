"""The CLI side of reports: several formats per run, report convert, baselines, inventories,
exit codes and atomic writes."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from scanner import cli
from scanner.report.json_report import render_json
from scanner.report.output import write_atomically
from tests.report.fixtures import INVENTORY_YAML, baseline_report, golden_report


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "scan.json"
    buf = io.StringIO()
    render_json(golden_report(), buf)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def saved_baseline(tmp_path: Path) -> Path:
    path = tmp_path / "previous.json"
    buf = io.StringIO()
    render_json(baseline_report(), buf)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_bytes(INVENTORY_YAML)
    return path


def test_convert_to_every_format_with_output_dir(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    formats = ["json", "sarif", "junit", "html", "markdown", "csv", "text"]
    argv = ["report", "convert", str(saved), "--output-dir", str(out)]
    for fmt in formats:
        argv += ["--format", fmt]
    code, stdout, err = run(argv, capsys)
    assert code == cli.EXIT_OK, err
    assert stdout == ""
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"camsweep-report{ext}"
        for ext in (".json", ".sarif", ".xml", ".html", ".md", ".csv", ".txt")
    )
    assert err.count("report written to") == len(formats)
    # The JSON came back the same: convert is a faithful round trip.
    assert json.loads((out / "camsweep-report.json").read_text()) == json.loads(saved.read_text())
    SafeET.parse(out / "camsweep-report.xml")


def test_formats_pair_with_outputs_in_order_or_follow_the_extension(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.out", tmp_path / "b.out"
    argv = ["report", "convert", str(saved), "--format", "sarif", "-o", str(a)]
    code, _, err = run([*argv, "--format", "csv", "-o", str(b), "-q"], capsys)
    assert code == cli.EXIT_OK, err
    assert err == ""  # -q: no status lines
    assert json.loads(a.read_text())["version"] == "2.1.0"
    assert b.read_text().startswith("ip,mac,")
    guessed = tmp_path / "r.sarif"
    page = tmp_path / "r.htm"
    code, _, err = run(
        ["report", "convert", str(saved), "-o", str(guessed), "-o", str(page)], capsys
    )
    assert code == cli.EXIT_OK, err
    assert json.loads(guessed.read_text())["version"] == "2.1.0"
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_dash_is_standard_output_and_text_there_has_no_colour(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        [
            "report",
            "convert",
            str(saved),
            "--format",
            "markdown",
            "-o",
            "-",
            "--format",
            "json",
            "-o",
            str(tmp_path / "x.json"),
        ],
        capsys,
    )
    assert code == cli.EXIT_OK
    assert out.startswith("# camsweep report")
    code, out, _ = run(["report", "convert", str(saved)], capsys)
    assert code == cli.EXIT_OK
    assert "Devices found: 7" in out
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "json", "--format", "csv"], "several --format need -o FILE for each"),
        (["--format", "json", "-o", "a.json", "-o", "b.json"], "1 --format but 2 -o"),
        (["-o", "a.json", "--output-dir", "."], "not both"),
        (["--output-dir", "."], "--output-dir needs at least one --format"),
        (["--output-dir", "scan.json", "--format", "csv"], "is a file, not a folder"),
        (
            ["-o", "same.json", "--format", "json", "-o", "same.json", "--format", "csv"],
            "same file",
        ),
        (["-o", "-", "-o", "-"], "only one report can go to standard output"),
        # Relative to the test's own folder (the test runs in it): absent, and below the
        # saved report, a regular file.
        (["-o", "missing/r.html"], "folder missing does not exist"),
        (["-o", "scan.json/r.html"], "scan.json is a file, not a folder"),
        (["-o", "r.pdf"], "cannot write .pdf files"),
        (["--format", "pdf"], "invalid choice"),
        (["--fail-on-new"], "--fail-on-new needs --baseline"),
        (["--fail-on-unexpected"], "--fail-on-unexpected needs --inventory"),
        (["--baseline", "/nonexistent.json"], "cannot read --baseline"),
        (["--inventory", "/nonexistent.yaml"], "cannot read inventory"),
    ],
)
def test_output_usage_errors_exit_2_in_one_line(
    extra: list[str],
    message: str,
    saved: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["report", "convert", str(saved), *extra], capsys)
    assert code == cli.EXIT_USAGE
    assert message in one_line_error(err)
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.json"]  # nothing written


def test_bad_input_reports_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": "1.0"}')
    code, _, err = run(["report", "convert", str(broken), "--format", "html"], capsys)
    assert code == cli.EXIT_USAGE
    assert "not a camsweep report" in one_line_error(err)
    code, _, err = run(["report", "convert", str(tmp_path / "nope.json")], capsys)
    assert code == cli.EXIT_USAGE
    assert "cannot read" in one_line_error(err)
    # A bad baseline is refused the same way, before anything else happens.
    code, _, err = run(["report", "convert", str(broken), "--baseline", str(broken)], capsys)
    assert code == cli.EXIT_USAGE
    assert f"--baseline {broken}: not a camsweep report" in one_line_error(err)


def test_inventory_errors_name_the_file_and_line(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("accepted:\n  - finding: telnet-open\n    reason: r\n    expires: 31/12/2027\n")
    code, _, err = run(["report", "convert", str(saved), "--inventory", str(bad)], capsys)
    assert code == cli.EXIT_USAGE
    assert f"{bad}:4: expires '31/12/2027' is not a date written YYYY-MM-DD" in one_line_error(err)


def test_gates_and_their_exit_codes(
    saved: Path,
    saved_baseline: Path,
    inventory: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["report", "convert", str(saved), "-o", str(tmp_path / "r.sarif")]
    assert run(base, capsys)[0] == cli.EXIT_OK
    code, _, err = run([*base, "--baseline", str(saved_baseline), "--fail-on-new"], capsys)
    assert code == cli.EXIT_FINDINGS
    assert "failing (exit 1): new since the baseline: 3 devices" in err
    doc = json.loads((tmp_path / "r.sarif").read_text())
    assert {r.get("baselineState") for r in doc["runs"][0]["results"]} == {"new", "unchanged"}
    code, _, err = run([*base, "--baseline", str(saved), "--fail-on-new"], capsys)
    assert code == cli.EXIT_OK, err
    code, _, err = run([*base, "--inventory", str(inventory), "--fail-on-unexpected"], capsys)
    assert code == cli.EXIT_FINDINGS
    assert "4 devices not in the inventory" in err
    code, _, err = run([*base, "--fail-on", "critical", "-q"], capsys)
    assert code == cli.EXIT_FINDINGS
    assert err == ""  # quiet: the exit code says it


def test_review_goes_into_the_json_report(
    saved: Path,
    saved_baseline: Path,
    inventory: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "reviewed.json"
    argv = [
        "report",
        "convert",
        str(saved),
        "-o",
        str(target),
        "--baseline",
        str(saved_baseline),
        "--inventory",
        str(inventory),
    ]
    assert run(argv, capsys)[0] == cli.EXIT_OK
    doc = json.loads(target.read_text())
    assert doc["review"]["baseline"]["new"] == {"devices": 3, "services": 3, "findings": 3}
    statuses = {(f["ip"], f["id"]): f["status"] for f in doc["review"]["inventory"]["findings"]}
    assert statuses[("127.77.0.12", "telnet-open")] == "accepted"
    # A reviewed report is still a report: it converts again and can be a baseline.
    again = tmp_path / "again.md"
    assert run(["report", "convert", str(target), "-o", str(again)], capsys)[0] == cli.EXIT_OK
    assert run([*argv[:3], "--baseline", str(target), "-o", str(again)], capsys)[0] == 0


def test_one_failed_write_does_not_lose_the_others(
    saved: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = write_atomically

    def flaky(path: Path, text: str) -> None:
        if path.suffix == ".html":
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr("scanner.report.output.write_atomically", flaky)
    argv = [
        "report",
        "convert",
        str(saved),
        "-o",
        str(tmp_path / "r.html"),
        "-o",
        str(tmp_path / "r.json"),
    ]
    code, _, err = run(argv, capsys)
    assert code == cli.EXIT_FAILED
    assert "No space left on device" in err
    assert (tmp_path / "r.json").exists()
    assert "Traceback" not in err


def test_demo_writes_several_formats_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "demo",
        "--high-ports",
        "-q",
        "--no-credentials",
        "--output-dir",
        str(tmp_path),
        "--format",
        "sarif",
        "--format",
        "junit",
        "--fail-on",
        "critical",
    ]
    code, out, err = run(argv, capsys)
    assert code == cli.EXIT_FINDINGS, err  # the lab has a critical CVE match
    assert out == ""
    sarif = json.loads((tmp_path / "camsweep-report.sarif").read_text())
    rule_ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "hikvision-cve-2017-7921" in rule_ids
    junit = SafeET.parse(tmp_path / "camsweep-report.xml").getroot()
    assert junit is not None
    assert int(junit.get("failures") or 0) >= 1


# --- atomic writes ---------------------------------------------------------------------------


def test_write_atomically_replaces_whole_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    write_atomically(target, "first")
    assert target.read_text() == "first"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    target.chmod(0o640)
    write_atomically(target, "second\r\n")
    assert target.read_bytes() == b"second\r\n"  # no newline translation (CSV keeps CRLF)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_write_atomically_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "half \ud800 written")  # unencodable: fails mid-write
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
