"""Ctrl-C loses nothing (issue #16 item 5): a real subprocess, a real SIGINT, the loopback lab.

The scanned device accepts connections and never answers (scanner/lab/hostile.py
"silent-accept"), so without the interrupt the scan would sit in its 30 s read deadlines.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from scanner.lab.hostile import default_personas, start_hostile

REPO = Path(__file__).parent.parent.parent
# A /24 of our own inside 127.0.0.0/8, away from the other suites' labs.
PREFIX = f"127.65.{os.getpid() % 200 + 20}"


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_ctrl_c_writes_every_report_marked_interrupted_and_exits_130(tmp_path: Path) -> None:
    silent = [p for p in default_personas() if p.key == "silent-accept"]
    async with await start_hostile(silent, prefix=PREFIX, watch_elsewhere=False) as lab:
        json_path, html_path = tmp_path / "r.json", tmp_path / "r.html"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "scanner",
            "scan",
            *lab.targets(),
            "--ports",
            lab.ports_argument(),
            "--read-timeout",
            "30",
            "--host-timeout",
            "120",
            "--no-progress",
            "-o",
            str(json_path),
            "-o",
            str(html_path),
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(3.0)  # started, swept, and waiting on the silent device
        assert proc.returncode is None, "the scan ended before it could be interrupted"
        started = asyncio.get_running_loop().time()
        proc.send_signal(signal.SIGINT)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), timeout=30)
        stopped_in = asyncio.get_running_loop().time() - started
    err = err_bytes.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "stopping" in err
    assert stopped_in < 10, stopped_in  # polite, not after the 30 s read deadlines
    document = json.loads(json_path.read_text())
    assert document["interrupted"] is True
    assert [h["ip"] for h in document["hosts"]] == lab.targets()  # what was found is kept
    host = document["hosts"][0]
    assert host["services"], host
    assert any("interrupted (Ctrl-C)" in note for note in host["notes"]), host["notes"]
    page = html_path.read_text()
    assert 'id="interrupted"' in page
    # Written atomically: nothing but the two reports in the folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json"]  # noqa: ASYNC240
