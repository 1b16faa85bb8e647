"""Large networks (issue #18): camsweep on a /16 beside arp-scan and nmap -sn, and on a routed /20
beside nmap -sn, in one run, inside namespaces this script creates (scanner/lab/widenet.py).

* attached: a scanner at 198.18.0.2/16 and devices at 198.18.0.10, 198.18.128.77 (Python's
  http.server on port 80) and 198.18.255.250. ``camsweep scan`` with no target (what a hotel
  guest types; ARP at its default rate), ``arp-scan`` at the same rate (one request every
  1/rate s, two attempts per address, as camsweep) and ``nmap -sn`` (ARP ping), each bounded by
  ``--limit`` seconds. camsweep's peak RSS is read from the kernel (``ru_maxrss`` of the child).
* routed: the scanner at 198.19.0.2/24 behind a router namespace forwarding to 198.18.0.0/20
  (devices at .0.10, .8.77 with http.server, .15.250): ``camsweep scan 198.18.0.0/20
  --allow-large`` (the two-stage sweep) beside ``nmap -sn``.

Root only. Every namespace has a unique prefix (``csL<pid>-``) and is deleted in a ``finally``;
nothing leaves 198.18.0.0/15. arp-scan is needed for its column only (``apt-get install
arp-scan``); the tests do not need it.

    python benchmarks/large_bench.py
    python benchmarks/large_bench.py --limit 120 --skip-routed
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.config import ARP_RATE  # noqa: E402
from scanner.lab.netns import netns_unavailable  # noqa: E402
from scanner.lab.widenet import ATTACHED_DEVICES, ROUTED_DEVICES, WideLan  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
_IP = re.compile(r"^(198\.18\.\d+\.\d+)\s", re.MULTILINE)
_LIVE = re.compile(r"(\d+) answered and were swept")
_NMAP_UP = re.compile(r"Nmap scan report for (198\.18\.\d+\.\d+)")


@dataclass
class Result:
    name: str
    seconds: float
    found: set[str]
    finished: bool
    rss_mb: float | None = None

    def line(self, expected: tuple[str, ...], base: float | None) -> str:
        hits = len(self.found & set(expected))
        state = f"{self.seconds:7.1f} s" if self.finished else f"> {self.seconds:5.0f} s (cut)"
        ratio = f"  x{self.seconds / base:4.2f} of camsweep" if base and self.finished else ""
        rss = f"  peak RSS {self.rss_mb:.0f} MB" if self.rss_mb is not None else ""
        return f"  {self.name:<50} {state}  found {hits}/{len(expected)}{ratio}{rss}"


def run(lan: WideLan, name: str, argv: list[str], limit: float) -> tuple[str, float, bool]:
    started = time.monotonic()
    try:
        proc = subprocess.run(
            lan.exec_argv(lan.scanner_ns, argv),
            capture_output=True,
            text=True,
            timeout=limit,
            env=ENV,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return out, time.monotonic() - started, False
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and "Traceback" in proc.stderr):
        print(f"  {name}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc.stdout + proc.stderr, time.monotonic() - started, True


def camsweep(lan: WideLan, name: str, args: list[str], limit: float) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        argv = [sys.executable, "-m", "scanner", "scan", *args, "--format", "json"]
        argv += ["-o", str(out)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        _, seconds, finished = run(lan, name, argv, limit)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        found: set[str] = set()
        live = ""
        if finished and not out.exists():
            print(f"  {name}: no report written (see the exit line above)")
        if finished and out.exists():
            report = json.loads(out.read_text())
            found = {host["ip"] for host in report["hosts"]}
            for note in report["notes"]:
                if match := _LIVE.search(note):
                    live = f" ({match.group(1)} live by the liveness pass)"
        # ru_maxrss of the children is the largest so far: camsweep runs first, so it is ours.
        rss = after / 1024 if after > before or before == 0 else None
        return Result(name + live, seconds, found, finished, rss)


def nmap_sn(lan: WideLan, network: str, limit: float) -> Result:
    if shutil.which("nmap") is None:
        return Result("nmap -sn (not installed)", 0.0, set(), False)
    out, seconds, finished = run(lan, "nmap", ["nmap", "-sn", "-n", network], limit)
    return Result("nmap -sn", seconds, set(_NMAP_UP.findall(out)), finished)


def arp_scan(lan: WideLan, network: str, rate: float, limit: float) -> Result:
    binary = shutil.which("arp-scan")
    if binary is None:
        return Result("arp-scan (not installed)", 0.0, set(), False)
    interval = f"{round(1_000_000 / rate)}u"  # microseconds between requests
    argv = [binary, "-I", "eth0", f"--interval={interval}", "--retry=2", "-q", network]
    out, seconds, finished = run(lan, "arp-scan", argv, limit)
    return Result(
        f"arp-scan --interval={interval} --retry=2", seconds, set(_IP.findall(out)), finished
    )


def attached(limit: float, rate: float) -> None:
    print(f"/16 attached (65,533 addresses), ARP at {rate:g}/s:")
    with WideLan(prefix=f"csL{os.getpid() % 100000}-", http=[ATTACHED_DEVICES[1]]) as lan:
        ours = camsweep(lan, "camsweep scan (no target)", ["--arp-rate", f"{rate:g}"], limit)
        results = [
            ours,
            arp_scan(lan, "198.18.0.0/16", rate, limit),
            nmap_sn(lan, "198.18.0.0/16", limit),
        ]
    base = ours.seconds if ours.finished else None
    for result in results:
        print(result.line(ATTACHED_DEVICES, base))


def routed(limit: float) -> None:
    print("/20 routed (4,094 addresses behind a router namespace):")
    with WideLan(
        prefix=f"csR{os.getpid() % 100000}-", routed=True, http=[ROUTED_DEVICES[1]]
    ) as lan:
        ours = camsweep(
            lan, "camsweep scan /20 --allow-large", ["198.18.0.0/20", "--allow-large"], limit
        )
        theirs = nmap_sn(lan, "198.18.0.0/20", limit)
    base = ours.seconds if ours.finished else None
    for result in (ours, theirs):
        print(result.line(ROUTED_DEVICES, base))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=float, default=240.0, help="seconds per tool (cut after)")
    parser.add_argument("--rate", type=float, default=ARP_RATE, help="ARP requests per second")
    parser.add_argument("--skip-routed", action="store_true")
    parser.add_argument("--skip-attached", action="store_true")
    args = parser.parse_args()
    reason = netns_unavailable()
    if reason is not None:
        print(f"large_bench: {reason}", file=sys.stderr)
        return 2
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}")
    if not args.skip_attached:
        attached(args.limit, args.rate)
    if not args.skip_routed:
        routed(args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
