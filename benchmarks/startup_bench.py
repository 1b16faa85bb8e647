"""How long camsweep takes to start: ``--version``, ``--help`` and ``scan --help``.

Runs each command ``--runs`` times in a fresh interpreter and prints the median and the best
wall-clock time against the 0.3 s aim of issue #16, then the slowest imports of ``--version``
(``python -X importtime``), so a regression names its cause. Nothing touches the network.

    python benchmarks/startup_bench.py
    python benchmarks/startup_bench.py --runs 20

Exit status 1 when a median misses the aim.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AIM_SECONDS = 0.3
COMMANDS = (("--version",), ("--help",), ("scan", "--help"), ("check", "--help"))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def time_command(argv: tuple[str, ...], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scanner", *argv],
            capture_output=True,
            cwd=REPO,
            env=_env(),
            check=True,
            timeout=60,
        )
        times.append(time.perf_counter() - start)
    return times


def slowest_imports(argv: tuple[str, ...], count: int) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scanner", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(),
        check=True,
        timeout=60,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    baseline = statistics.median(time_command_python(args.runs))  # the interpreter alone, for scale
    print(f"python -c pass: median {baseline:.3f} s (the interpreter alone)")
    missed = False
    for argv in COMMANDS:
        times = time_command(argv, args.runs)
        median = statistics.median(times)
        missed |= median > AIM_SECONDS
        print(
            f"camsweep {' '.join(argv):<14} median {median:.3f} s, best {min(times):.3f} s, "
            f"{median / AIM_SECONDS:.2f} of the {AIM_SECONDS} s aim, "
            f"{median - baseline:.3f} s above the bare interpreter"
        )
    print("slowest imports of --version (cumulative microseconds):")
    for micros, name in slowest_imports(("--version",), 8):
        print(f"  {micros:>8} {name}")
    return 1 if missed else 0


def time_command_python(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=60)
        times.append(time.perf_counter() - start)
    return times


if __name__ == "__main__":
    sys.exit(main())
