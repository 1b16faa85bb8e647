"""Every input that once crashed a fuzz target (fuzz/crashes/) is a regression test, and every
input of the kept corpora (fuzz/corpus/) still runs clean: ``python -m fuzz --replay`` in the
suite, with no atheris needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.__main__ import CORPUS, CRASHES, EXIT_CRASH, EXIT_OK, EXIT_USAGE, main, saved_inputs
from fuzz.targets import TARGETS, Target, run_one

_CRASHES = list(saved_inputs(CRASHES))


def test_the_issue_19_crash_inputs_are_kept() -> None:
    names = {(target, path.name) for target, path in _CRASHES}
    assert ("lab_request", "issue-19-latin1-superscript-two") in names
    assert ("rtsp", "issue-19-utf8-superscript-two") in names


@pytest.mark.parametrize(("target", "path"), _CRASHES, ids=[f"{t}/{p.name}" for t, p in _CRASHES])
def test_a_saved_crash_input_runs_clean(target: str, path: Path) -> None:
    run_one(TARGETS[target], path.read_bytes())


def test_replay_runs_every_saved_crash_and_corpus_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--replay"]) == EXIT_OK
    out = capsys.readouterr().out
    count = len(_CRASHES) + len(list(saved_inputs(CORPUS)))
    assert f"replayed {count} saved inputs, 0 failed" in out
    assert count > len(_CRASHES)  # the corpora are in the repository, not only the crashes


def test_replay_reports_an_input_that_still_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fragile(data: bytes) -> None:
        int(data.decode("utf-8"))  # the issue's bug: int() on what isdigit() let through

    monkeypatch.setitem(TARGETS, "fragile", Target("fragile", fragile, (), (), "a bug"))
    corpus = tmp_path / "corpus"
    (corpus / "fragile").mkdir(parents=True)
    (corpus / "fragile" / "fine").write_bytes(b"12")
    assert main(["--replay", "--corpus", str(corpus)]) == EXIT_OK
    (corpus / "fragile" / "superscript").write_bytes("\u00b2".encode())
    assert main(["--replay", "--corpus", str(corpus)]) == EXIT_CRASH
    out = capsys.readouterr().out
    assert "FAIL  fragile" in out
    assert "superscript: ValueError(" in out
    assert "1 failed" in out


def test_replay_refuses_a_folder_for_no_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "no-such-target").mkdir()
    assert main(["--replay", "--corpus", str(tmp_path)]) == EXIT_USAGE
    assert "unknown target(s): no-such-target" in capsys.readouterr().err
