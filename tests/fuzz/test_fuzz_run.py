"""The coverage-guided runner (``python -m fuzz``): a short bounded run of every target, and proof
that the harness reports a crash rather than passing over it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.__main__ import CORPUS
from fuzz.targets import TARGETS

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
        timeout=140,
        check=False,
    )


# CI's fuzzing budget: every target in one process, starting from the corpora kept in the
# repository. The measurement behind the figure (benchmarks/fuzz_depth.py, issue #19) is in
# docs/fuzzing.md.
CI_FUZZ_SECONDS = "30"


@needs_atheris
@pytest.mark.slow
@pytest.mark.timeout(150)
def test_a_short_run_of_every_target_from_the_kept_corpora_is_clean(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)  # the run adds to a copy: the suite never edits the tree
    before = sum(1 for _ in corpus.rglob("*"))
    run = _fuzz(
        "--together",
        "--seconds",
        CI_FUZZ_SECONDS,
        "--corpus",
        str(corpus),
        artifacts=tmp_path / "artifacts",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 0 failed" in run.stdout
    assert not (tmp_path / "artifacts").exists()  # nothing crashed, nothing kept
    # What the one process learned went back to the per-target folders, none elsewhere.
    assert sum(1 for _ in corpus.rglob("*")) >= before
    assert {p.name for p in corpus.iterdir()} <= set(TARGETS)


def test_the_corpora_are_kept_for_every_target() -> None:
    assert {p.name for p in CORPUS.iterdir() if p.is_dir()} == set(TARGETS)
    for name in TARGETS:
        assert any((CORPUS / name).iterdir()), f"fuzz/corpus/{name} is empty"


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
