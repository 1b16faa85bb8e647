"""The coverage-guided runner (``python -m fuzz``): a short bounded run of every target, and proof
that the harness reports a crash rather than passing over it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
needs_atheris = pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None, reason="atheris is not installed"
)


def _fuzz(*args: str, artifacts: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzz", *args, "--artifacts", str(artifacts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_atheris
@pytest.mark.slow
def test_a_short_bounded_run_of_every_target_is_clean(tmp_path: Path) -> None:
    run = _fuzz("--together", "--runs", "1500", artifacts=tmp_path / "artifacts")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 0 failed" in run.stdout
    assert not (tmp_path / "artifacts").exists()  # nothing crashed, nothing kept


@needs_atheris
def test_a_crash_is_reported_with_its_input(tmp_path: Path) -> None:
    run = _fuzz("--selftest", artifacts=tmp_path / "artifacts")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "0 passed, 1 failed" in run.stdout
    crashes = list((tmp_path / "artifacts").glob("selftest-crash-*"))
    assert len(crashes) == 1
    assert crashes[0].read_bytes().startswith(b"camsweep fuzz selftest")


def test_the_runner_lists_targets_and_refuses_unknown_ones(tmp_path: Path) -> None:
    listed = _fuzz("--list", artifacts=tmp_path)
    assert listed.returncode == 0
    assert "rtsp " in listed.stdout
    assert "nmap_xml" in listed.stdout
    unknown = _fuzz("no-such-parser", "--runs", "1", artifacts=tmp_path)
    assert unknown.returncode == 2
    assert "unknown target(s): no-such-parser" in unknown.stderr
