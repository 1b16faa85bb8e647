"""A report on standard output arrives whole or the run fails, whatever the reader's pace.

The fault (scanner/cli/outputs.py, write_fully): ``camsweep check ... --format json | slow
reader`` got about 64 KB of JSON with exit 0. Under PYTHONUNBUFFERED, TextIOWrapper ignores a
raw write's short count (CPython issue #85393); a pipe write comes back short when it is
interrupted while the pipe is full, or at once when the descriptor is non-blocking.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scanner import cli
from scanner.cli import outputs
from scanner.report.json_report import render_json
from tests.report.fixtures import golden_report

REPO = Path(__file__).parent.parent.parent


def _large_report_file(tmp_path: Path) -> tuple[Path, bytes]:
    """A saved report of several pipe-fulls (the full-range check's was about 450 KB)."""
    report = golden_report()
    notes = tuple(f"note {i}: " + "x" * 90 for i in range(4000))
    buf = io.StringIO()
    render_json(dataclasses.replace(report, notes=notes), buf)
    path = tmp_path / "big.json"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path, buf.getvalue().encode()


def _read_slowly(fd: int, pause: float, sink: list[bytes]) -> None:
    time.sleep(pause)  # the writer fills the pipe and waits (or, non-blocking, gets EAGAIN)
    with os.fdopen(fd, "rb") as reader:
        while chunk := reader.read(4096):
            sink.append(chunk)
            time.sleep(0.0005)  # and then it keeps up only slowly


def _convert_to_json(saved: Path) -> list[str]:
    """``camsweep report convert SAVED -q --format json``: the whole report on stdout."""
    return [
        sys.executable,
        "-m",
        "scanner",
        "report",
        "convert",
        str(saved),
        "-q",
        "--format",
        "json",
    ]


def _convert_through_pipe(saved: Path, *, nonblocking: bool) -> tuple[int, bytes, str]:
    read_end, write_end = os.pipe()
    if nonblocking:
        # O_NONBLOCK lives on the pipe's open file description, which camsweep inherits: as
        # when a parent or a sibling sharing the pipe set it.
        os.set_blocking(write_end, False)
    received: list[bytes] = []
    reader = threading.Thread(target=_read_slowly, args=(read_end, 1.0, received))
    reader.start()
    try:
        proc = subprocess.run(
            _convert_to_json(saved),
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
        reader.join(timeout=60)
    assert not reader.is_alive()
    return proc.returncode, b"".join(received), proc.stderr.decode()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("nonblocking", [False, True], ids=["blocking", "nonblocking"])
def test_a_large_report_reaches_a_slow_reader_whole(tmp_path: Path, nonblocking: bool) -> None:
    saved, expected = _large_report_file(tmp_path)
    assert len(expected) > 4 * 65536
    code, out, err = _convert_through_pipe(saved, nonblocking=nonblocking)
    assert code == cli.EXIT_OK, err
    assert len(out) == len(expected)
    assert json.loads(out) == json.loads(expected)


def test_short_writes_are_written_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blocking pipe write interrupted while the pipe is full returns a short count (what
    happened after the uvloop scan): every byte still goes out, in order."""
    real_write = os.write
    calls: list[int] = []

    def short_write(fd: int, data: bytes | memoryview) -> int:
        calls.append(len(data))
        return real_write(fd, bytes(data)[:1000])

    read_end, write_end = os.pipe()
    payload = bytes(range(256)) * 40  # 10 KB: fits the pipe, so no reader is needed
    monkeypatch.setattr(os, "write", short_write)
    try:
        outputs.write_fully(write_end, payload)
    finally:
        monkeypatch.undo()
        os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.read() == payload
    assert len(calls) == 11


def test_a_closed_reader_is_a_broken_pipe_not_a_silent_success() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        with pytest.raises(BrokenPipeError):
            outputs.write_fully(write_end, b"x" * 100_000)
    finally:
        os.close(write_end)


def test_stdout_that_fails_is_a_one_line_error_and_exit_3(tmp_path: Path) -> None:
    """A report that cannot be written is never exit 0: /dev/full refuses every byte."""
    saved, _ = _large_report_file(tmp_path)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            _convert_to_json(saved),
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    err = proc.stderr.decode()
    assert proc.returncode == cli.EXIT_FAILED, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "standard output" in lines[0]
    assert "No space left on device" in lines[0]
