"""A hotel-sized LAN: a scanner on 198.18.0.0/16 with devices at its first, middle and last
octets, inside network namespaces this module creates (scanner/lab/widenet.py).

``camsweep scan`` with no target at all runs only inside the scanner namespace (``ip netns
exec``), where the default route and the only interface are the lab's: never in the root
namespace. The middle device runs Python's http.server on port 80 (a web server camsweep did not
write). Root only; skipped with the reason otherwise. Each scan is the real ARP sweep of 65,533
addresses at the default rate (about 46 s), so the module is marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.lab.netns import netns_unavailable
from scanner.lab.widenet import ATTACHED_DEVICES, ROUTED_DEVICES, WideLan

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(netns_unavailable() is not None, reason=f"{netns_unavailable()}"),
]

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
CAMERA = "198.18.128.77"
BUDGET = 90.0  # seconds, the bound on 2 cores


@pytest.fixture(scope="module")
def lan() -> Iterator[WideLan]:
    with WideLan(prefix=f"csw{os.getpid() % 100000}-", http=[CAMERA]) as running:
        yield running


def scan_in_lab(lan: WideLan, out: Path, *args: str) -> tuple[dict[str, Any], str, float]:
    argv = [sys.executable, "-m", "scanner", "scan", *args, "--format", "json", "-o", str(out)]
    started = time.monotonic()
    proc = subprocess.run(
        lan.exec_argv(lan.scanner_ns, argv),
        capture_output=True,
        text=True,
        timeout=BUDGET + 30,
        env=ENV,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report, proc.stderr, elapsed


def check_found_all(report: dict[str, Any], elapsed: float) -> None:
    hosts = {host["ip"]: host for host in report["hosts"]}
    assert set(hosts) == set(ATTACHED_DEVICES)
    for ip in ATTACHED_DEVICES:
        assert "arp" in hosts[ip]["discovered_by"]
        assert hosts[ip]["mac"]
    assert [s["port"] for s in hosts[CAMERA]["services"] if s["transport"] == "tcp"] == [80]
    runs = {run["method"]: run for run in report["discovery"]}
    assert runs["arp"]["status"] == "ran"
    assert runs["arp"]["hosts"] == 3
    assert "65533 targets" in runs["arp"]["reason"]
    assert runs["tcp"]["hosts"] == 1  # TCP went only to hosts ARP found
    assert not any("deadline" in note for note in report["notes"])
    assert elapsed < BUDGET


@pytest.mark.timeout(BUDGET + 60)
def test_no_target_on_a_slash_16_just_works(lan: WideLan, tmp_path: Path) -> None:
    report, stderr, elapsed = scan_in_lab(lan, tmp_path / "auto.json")
    stderr = " ".join(stderr.split())  # status lines are wrapped to the terminal
    check_found_all(report, elapsed)
    assert "scanning 198.18.0.0/16 (the network of eth0)" in stderr
    assert "ARP will ask 65533 addresses of 198.18.0.0/16 on eth0 at 3000/s" in stderr
    assert report["profile"] == "guest"


@pytest.mark.timeout(BUDGET + 60)
def test_an_explicit_slash_16_with_allow_large(lan: WideLan, tmp_path: Path) -> None:
    report, stderr, elapsed = scan_in_lab(
        lan,
        tmp_path / "explicit.json",
        "198.18.0.0/16",
        "--allow-large",
        "--profile",
        "guest",
        # The default, polite rate is proven by the no-target test above; this lab is ours alone,
        # so a faster rate keeps the suite short without changing what is checked.
        "--arp-rate",
        "10000",
    )
    check_found_all(report, elapsed)
    assert "two-stage" not in stderr  # on-link: ARP decides, no liveness pass


@pytest.mark.timeout(120)
def test_a_routed_slash_20_is_swept_in_two_stages(tmp_path: Path) -> None:
    """Behind a router namespace: a liveness pass (80, 554 and an ICMP echo the devices'
    kernels answer) over all 4,094 addresses, the camera port set only on the live ones."""
    middle = ROUTED_DEVICES[1]
    with WideLan(prefix=f"csr{os.getpid() % 100000}-", routed=True, http=[middle]) as routed:
        report, stderr, elapsed = scan_in_lab(routed, tmp_path / "routed.json", routed.network)
    stderr = " ".join(stderr.split())
    assert "two-stage sweep" in stderr
    assert [host["ip"] for host in report["hosts"]] == [middle]
    runs = {run["method"]: run for run in report["discovery"]}
    assert runs["arp"]["status"] == "skipped"  # routed: no LAN discovery
    note = next(n for n in report["notes"] if n.startswith("two-stage sweep"))
    # the three devices and the router answered; every other address was not swept further
    assert "4090 addresses of 198.18.0.0/20" in note
    assert "80, 554 or an ICMP echo" in note
    assert "4 answered" in note
    assert elapsed < 60
