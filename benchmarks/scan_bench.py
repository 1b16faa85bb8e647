"""Scan speed and memory on a loopback lab of N emulated devices (N = 10, 100, 1000).

For each N it starts the lab in one child process and camsweep in another (so the lab's own
sockets and memory are not counted), and prints wall time, the scanner's peak RSS and hosts per
second; with nmap installed it times ``nmap -sV`` on the same targets and ports and prints the
ratio. Everything stays on 127.0.0.0/8.

    python benchmarks/scan_bench.py              # N = 10, 100, 1000
    python benchmarks/scan_bench.py --sizes 10 100 --nmap-max 100

Targets of the foundation issue: the demo lab in under 5 s; 1000 devices in under 20 s with a
peak RSS under 200 MB; time growing no faster than linearly with N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def serve(n: int) -> None:
    """Child: start a lab of n devices, print its layout as JSON, serve until stdin closes."""
    sys.path.insert(0, str(REPO))
    from scanner.lab import scaled_devices, start_lab  # noqa: PLC0415

    async def main() -> None:
        async with await start_lab(scaled_devices(n)) as lab:
            layout = {
                "targets": lab.targets(),
                "ports": [f"{p}:{proto.value}" for p, proto in lab.port_protocols().items()],
            }
            print(json.dumps(layout), flush=True)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


def _run_measured(cmd: list[str], timeout: float) -> tuple[float, int, int]:
    """Run cmd; return (wall seconds, peak RSS in KiB, exit code) of that child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss, code


@contextlib.contextmanager
def serving(script: str, n: int) -> Iterator[Any]:
    """Run ``script --serve n`` as the lab child; yield the JSON layout it prints first; stop it
    (stdin closed, then killed after 30 s) whatever happens."""
    lab = subprocess.Popen(
        [sys.executable, script, "--serve", str(n)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert lab.stdout is not None
        yield json.loads(lab.stdout.readline())
    finally:
        if lab.stdin is not None:
            lab.stdin.close()
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait()


def bench(n: int, nmap_max: int) -> dict[str, float | int | str]:
    with serving(__file__, n) as layout, tempfile.TemporaryDirectory() as tmp:
        target_file = Path(tmp) / "targets.txt"
        target_file.write_text("\n".join(layout["targets"]) + "\n")
        ports = ",".join(layout["ports"])
        report_path = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-m",
            "scanner",
            "scan",
            f"@{target_file}",
            "--ports",
            ports,
            "--format",
            "json",
            "-o",
            str(report_path),
            "--quiet",
        ]
        wall, rss_kib, code = _run_measured(cmd, timeout=300)
        found = 0
        if report_path.exists():
            found = len(json.loads(report_path.read_text())["hosts"])
        row: dict[str, float | int | str] = {
            "devices": n,
            "found": found,
            "seconds": round(wall, 2),
            "peak_rss_mb": round(rss_kib / 1024, 1),
            "hosts_per_s": round(n / wall, 1),
            "exit": code,
        }
        nmap = shutil.which("nmap")
        if nmap and n <= nmap_max:
            plain_ports = ",".join(p.split(":")[0] for p in layout["ports"])
            nmap_cmd = [
                nmap,
                "-sV",
                "-Pn",
                "-n",
                "-T4",
                "-p",
                plain_ports,
                "-iL",
                str(target_file),
                "-oX",
                os.devnull,
            ]
            nmap_wall, _, _ = _run_measured(nmap_cmd, timeout=900)
            row["nmap_seconds"] = round(nmap_wall, 2)
            row["nmap_ratio"] = round(nmap_wall / wall, 1)
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument(
        "--nmap-max", type=int, default=100, help="largest N to also time with nmap -sV"
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:
        demo_cmd = [
            sys.executable,
            "-m",
            "scanner",
            "demo",
            "--quiet",
            "--format",
            "json",
            "-o",
            str(Path(tmp) / "demo.json"),
        ]
        wall, rss_kib, code = _run_measured(demo_cmd, timeout=120)
        print(
            json.dumps(
                {
                    "demo_seconds": round(wall, 2),
                    "peak_rss_mb": round(rss_kib / 1024, 1),
                    "exit": code,
                    "target_seconds": 5,
                }
            ),
            flush=True,
        )
    rows = []
    for n in args.sizes:
        row = bench(n, args.nmap_max)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = (float(last["seconds"]) / float(first["seconds"])) / (
            int(last["devices"]) / int(first["devices"])
        )
        print(
            f"time per device grew x{growth:.2f} from N={first['devices']} to "
            f"N={last['devices']} (<= 1.0 means no worse than linear)"
        )


if __name__ == "__main__":
    main()
