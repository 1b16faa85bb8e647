"""Start-up: ``--version`` and ``--help`` import nothing heavy (issue #16 item 7).

The time itself is measured by benchmarks/startup_bench.py (a benchmark, not a timed test);
this checks the cause: which modules a command loads, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent.parent
# The URL grammar jsonschema's format checker loads cost 0.9 s on its own (issue #16).
HEAVY = ("jsonschema", "rfc3987_syntax", "httpx", "scapy", "rich", "yaml", "zeroconf", "nmap")

_PROBE = """
import json, sys
from scanner.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return {name.split(".")[0] for name in loaded}


@pytest.mark.parametrize(
    "argv", [("--version",), ("--help",), ("scan", "--help"), ("check", "--help")]
)
def test_version_and_help_import_nothing_heavy(argv: tuple[str, ...]) -> None:
    loaded = _modules(*argv)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_a_scan_module_is_loaded_only_by_the_command_that_needs_it() -> None:
    loaded = _modules("signatures", "stats")
    assert "yaml" in loaded  # the command did run
    assert "jsonschema" not in loaded  # only reading a JSON report needs it
