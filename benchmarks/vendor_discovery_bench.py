"""What vendor discovery costs a scan: the same scan with it and with --no-vendor-discovery.

The aim (issue 15): the vendor protocols add at most one discovery window (--discovery-timeout,
3 s by default), overlapped with the TCP sweep and the other discovery methods. Two labs:

- the loopback lab (``camsweep demo``'s devices): unicast only, no window at all, so the cost is
  the per-host unicast wait (at most 1 s, beside the port probes);
- the namespace lab (root only: 198.18.0.0/24 in network namespaces this script creates and
  removes), with multicast, broadcast and unicast for real.

Each scan runs ``--runs`` times (default 3) and the median is printed with the ratio.

    python benchmarks/vendor_discovery_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.lab.netns import NETWORK, NetnsLab, netns_unavailable  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
WINDOW = 3.0


def _timed(argv: Sequence[str]) -> float:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=120, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 1, 2, 3, 4):
        raise SystemExit(f"scan failed: {proc.stderr.strip()[-300:]}")
    return elapsed


def _compare(name: str, base: Sequence[str], runs: int) -> bool:
    with_vendor = statistics.median(_timed(base) for _ in range(runs))
    without = statistics.median(_timed([*base, "--no-vendor-discovery"]) for _ in range(runs))
    extra = with_vendor - without
    ok = extra <= WINDOW
    print(
        f"{name:<22} with {with_vendor:6.2f}s  without {without:6.2f}s  "
        f"added {extra:+5.2f}s  ratio {with_vendor / without:4.2f}  "
        f"{'within' if ok else 'OVER'} one {WINDOW:g}s window"
    )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    scanner = [sys.executable, "-m", "scanner"]
    ok = _compare("loopback demo lab", [*scanner, "demo", "-q", "--format", "json"], args.runs)
    reason = netns_unavailable()
    if reason is not None:
        print(f"namespace lab: skipped ({reason})")
        return 0 if ok else 1
    with NetnsLab(prefix=f"csb{os.getpid() % 100000}-") as lab:
        argv = lab.exec_argv(
            lab.scanner_ns, [*scanner, "scan", NETWORK, "-q", "--format", "json", "-o", os.devnull]
        )
        ok = _compare("namespace lab (/24)", argv, args.runs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
