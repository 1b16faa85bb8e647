"""The namespace lab: one real scan of a LAN of network namespaces, and a passive listen.

Root only (it builds namespaces); skipped with the reason otherwise. Everything runs inside
namespaces this module creates on 198.18.0.0/24 (RFC 2544's benchmarking range): the devices in
theirs, camsweep in the scanner's via ``ip netns exec``. One module-scoped lab serves every test
and is torn down (processes by group, namespaces by name) even when a test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.lab.netns import NETWORK, SCANNER_MAC, NetnsLab, netns_unavailable

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(netns_unavailable() is not None, reason=f"{netns_unavailable()}"),
]

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "report-schema.json").read_text())
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

# Captures every frame on the scanner's interface until a line arrives on stdin (or a cap), then
# prints them as JSON. The devices announce every half second, so the stop is seen promptly.
SNIFFER = """
import json, sys, threading
from scapy.layers.l2 import Ether
from scapy.sendrecv import sniff
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
frames = sniff(
    iface="eth0",
    timeout=float(sys.argv[1]),
    stop_filter=lambda _frame: stop.is_set(),
    started_callback=lambda: print("sniffing", flush=True),
)
print(json.dumps([[f[Ether].src, f.summary()] for f in frames if f.haslayer(Ether)]))
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[NetnsLab]:
    with NetnsLab(prefix=f"cst{os.getpid() % 100000}-", announce_interval=0.5) as running:
        yield running


def in_scanner_ns(lab: NetnsLab, argv: list[str]) -> str:
    """Run ``argv`` inside the scanner's namespace; its standard output (it must succeed)."""
    proc = subprocess.run(
        lab.exec_argv(lab.scanner_ns, argv),
        capture_output=True,
        text=True,
        timeout=50,
        env=ENV,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def run_scan(lab: NetnsLab, out: Path, *extra: str, targets: str = NETWORK) -> dict[str, Any]:
    argv = [sys.executable, "-m", "scanner", "scan", targets, "--format", "json", "-o", str(out)]
    in_scanner_ns(lab, [*argv, "-q", *extra])
    report: dict[str, Any] = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    return report


def hosts_by_ip(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {host["ip"]: host for host in report["hosts"]}


def runs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["method"]: run for run in report["discovery"]}


def test_passive_mode_reports_announcements_and_sends_nothing(
    lab: NetnsLab, tmp_path: Path
) -> None:
    # First in the module: the scanner namespace has sent nothing yet that could still echo.
    sniffer = subprocess.Popen(
        lab.exec_argv(lab.scanner_ns, [sys.executable, "-c", SNIFFER, "30"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,
    )
    try:
        assert sniffer.stdout is not None
        assert sniffer.stdout.readline().strip() == "sniffing"
        report = run_scan(lab, tmp_path / "passive.json", "--passive", "2.5")
        # The scan has exited: whatever it sent is in the capture by now.
        out, err = sniffer.communicate("stop\n", timeout=20)
    finally:
        if sniffer.poll() is None:
            sniffer.kill()
            sniffer.wait(timeout=5)
    frames = json.loads(out.strip().splitlines()[-1])
    device_macs = {d.mac.lower() for d in lab.devices}
    heard_from = {src.lower() for src, _ in frames}
    # The capture worked: the devices' announcements are in it ...
    assert heard_from & device_macs, (frames, err)
    # ... and not one frame came from the scanner.
    sent = [summary for src, summary in frames if src.lower() == SCANNER_MAC]
    assert sent == []

    hosts = hosts_by_ip(report)
    by_run = runs(report)
    assert by_run["passive"]["status"] == "ran"
    for method in ("tcp", "arp", "mdns", "ssdp", "ws-discovery", "sadp", "cs2-lan-search"):
        assert by_run[method]["status"] == "skipped", by_run[method]
    assert by_run["sadp"]["reason"] == "passive mode: nothing is sent"
    # Every announcing device is reported from what it said, with its MAC; the one that says
    # nothing is not (passive mode cannot see it: that is the point).
    assert set(hosts) == {"198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"}
    for ip, host in hosts.items():
        assert host["discovered_by"] == ["passive"], ip
        assert host["mac"] is not None
        assert all(s["transport"] == "udp" for s in host["services"])
    assert hosts["198.18.0.11"]["mac"] == "44:19:B6:00:00:11"
    assert "Hikvision" in hosts["198.18.0.11"]["mac_vendor"]
    assert hosts["198.18.0.13"]["mac"] == "02:00:00:0D:00:13"
    ssdp = next(s for s in hosts["198.18.0.11"]["services"] if s["protocol"] == "ssdp")
    assert ssdp["fields"]["ssdp.server"] == "Linux/3.0 UPnP/1.0 Hikvision/1.0"
    assert hosts["198.18.0.13"]["model"] == "M1065-L"
    assert hosts["198.18.0.14"]["hostnames"] == ["circle-view-0014.local"]


def test_one_scan_finds_every_device_with_mac_vendor_and_evidence(
    lab: NetnsLab, tmp_path: Path
) -> None:
    report = run_scan(lab, tmp_path / "scan.json")
    hosts = hosts_by_ip(report)
    assert set(hosts) == {d.ip for d in lab.devices}
    for device in lab.devices:
        host = hosts[device.ip]
        assert host["mac"] == device.mac.upper()
        assert "arp" in host["discovered_by"]
        if not device.mac.startswith("02:"):
            assert host["mac_vendor"], device.key

    by_run = runs(report)
    for method in ("tcp", "arp", "mdns", "ssdp", "ws-discovery", "neighbours"):
        assert by_run[method]["status"] == "ran", by_run[method]
    assert by_run["arp"]["hosts"] == len(lab.devices)

    # Cameras with open ports: probes plus discovery evidence, merged into one host.
    hik = hosts["198.18.0.11"]
    assert hik["discovered_by"][0] == "tcp"
    assert "ssdp" in hik["discovered_by"]
    assert hik["vendor"] == "Hikvision"
    assert hik["device_type"] == "camera"
    ssdp = next(s for s in hik["services"] if s["protocol"] == "ssdp")
    assert ssdp["port"] == 1900
    assert ssdp["transport"] == "udp"
    assert ssdp["fields"]["ssdp.manufacturer"] == "Hikvision"
    assert ssdp["fields"]["ssdp.model_name"] == "DS-2CD2032-I"
    assert ssdp["fields"]["ssdp.serial"] == "DS-2CD2032-I20141201CCWR000000000"
    assert {s["port"] for s in hik["services"] if s["transport"] == "tcp"} >= {80, 554}
    dahua = hosts["198.18.0.12"]
    assert dahua["vendor"] == "Dahua"
    assert "ws-discovery" in dahua["discovered_by"]

    # An ONVIF camera with no open TCP port and a MAC that names no maker: make and model come
    # only from its WS-Discovery Scopes.
    onvif = hosts["198.18.0.13"]
    assert set(onvif["discovered_by"]) == {"ws-discovery", "arp"}
    assert onvif["mac_vendor"] is None
    assert (onvif["vendor"], onvif["model"], onvif["device_type"]) == ("Axis", "M1065-L", "camera")
    assert onvif["identified_by"]
    for line in onvif["identified_by"]:
        assert "onvif." in line, line
        assert "mac." not in line, line
    wsd = next(s for s in onvif["services"] if s["protocol"] == "ws-discovery")
    assert wsd["port"] == 3702
    assert wsd["fields"]["onvif.hardware"] == "M1065-L"
    assert wsd["fields"]["onvif.name"] == "AXIS M1065-L"
    assert wsd["fields"]["onvif.location"] == "country/sweden"
    assert "dn:NetworkVideoTransmitter" in wsd["fields"]["onvif.types"]

    # A device that answers only mDNS.
    mdns = hosts["198.18.0.14"]
    assert set(mdns["discovered_by"]) == {"mdns", "arp"}
    assert mdns["hostnames"] == ["circle-view-0014.local"]
    assert mdns["model"] == "Circle View"
    assert any("mdns.txt.md" in line for line in mdns["identified_by"]), mdns["identified_by"]
    svc = next(s for s in mdns["services"] if s["protocol"] == "mdns")
    assert svc["fields"]["mdns.service_type"] == "_hap._tcp"
    assert svc["fields"]["mdns.txt.ci"] == "17"
    assert mdns["mac_vendor"].startswith("Espressif")

    # A device with every port closed and nothing to announce: ARP alone finds it.
    quiet = hosts["198.18.0.15"]
    assert quiet["discovered_by"] == ["arp"]
    assert quiet["services"] == []
    assert quiet["mac_vendor"] == "Axis Communications AB"
    assert quiet["vendor"] == "Axis"  # a hint from the OUI, and only the make


def test_switched_off_methods_say_so_and_find_less(lab: NetnsLab, tmp_path: Path) -> None:
    report = run_scan(
        lab,
        tmp_path / "off.json",
        "--no-arp",
        "--no-mdns",
        "--no-ssdp",
        "--no-wsd",
        "--no-vendor-discovery",
        "--connect-timeout",
        "0.5",
        "--ports",
        "80,554",
        targets="198.18.0.8-23",
    )
    by_run = runs(report)
    for method, flag in (
        ("arp", "--no-arp"),
        ("mdns", "--no-mdns"),
        ("ssdp", "--no-ssdp"),
        ("ws-discovery", "--no-wsd"),
        ("sadp", "--no-vendor-discovery"),
        ("cs2-lan-search", "--no-vendor-discovery"),
    ):
        assert by_run[method]["status"] == "skipped"
        assert flag in by_run[method]["reason"]
    hosts = hosts_by_ip(report)
    # Without ARP the kernel's neighbour table (filled by the TCP sweep) still gives every live
    # host's MAC, even the silent ones; nothing said over mDNS/SSDP/WS-Discovery is there.
    assert set(hosts) == {d.ip for d in lab.devices}
    assert hosts["198.18.0.15"]["discovered_by"] == ["neighbours"]
    assert hosts["198.18.0.11"]["mac"] == "44:19:B6:00:00:11"
    assert all(s["transport"] == "tcp" for h in hosts.values() for s in h["services"])


def test_lab_command_builds_and_removes_its_namespaces() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "lab", "--netns", "--seconds", "0.5"],
        capture_output=True,
        text=True,
        timeout=50,
        env=ENV,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "198.18.0.13" in proc.stdout
    assert "onvif-cam" in proc.stdout
    command = next(line for line in proc.stdout.splitlines() if "ip netns exec" in line)
    scanner_ns = command.split("ip netns exec ")[1].split()[0]
    prefix = scanner_ns.removesuffix("scan")
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert not [line for line in left.stdout.splitlines() if line.startswith(prefix)]


# Vendor discovery with unicast switched off: what comes back can only have come from the one
# multicast (SADP, DHDiscover) or broadcast (CS2, Xiongmai, Ubiquiti) query per protocol.
WIDE_ONLY = """
import asyncio, json
from scanner.discover.vendor.catalog import load_catalog
from scanner.config import VendorOptions
from scanner.discover.vendor.search import VendorDiscovery
from scanner.targets import resolve_targets

async def main():
    vendor = VendorDiscovery(
        load_catalog(), VendorOptions(timeout=2.0), resolve_targets(["198.18.0.0/24"]).ranges
    )
    await vendor.run()
    found = {}
    for ip in vendor.heard():
        found[ip] = {s.source: s.fields for s in await vendor.query(ip, answered=False)}
    print(json.dumps(found))

asyncio.run(main())
"""


def test_vendor_multicast_and_broadcast_cross_the_lan(lab: NetnsLab) -> None:
    out = in_scanner_ns(lab, [sys.executable, "-c", WIDE_ONLY])
    found = json.loads(out.strip().splitlines()[-1])
    # Multicast: SADP to 239.255.255.250:37020 (hik-inactive answers to the group itself, so the
    # scanner's group listener is what hears it), DHDiscover to 239.255.255.251:37810.
    assert found["198.18.0.16"]["sadp"]["discovery.activated"] == "false"
    assert found["198.18.0.17"]["dhdiscover"]["discovery.model"] == "IPC-HFW1230S"
    assert found["198.18.0.12"]["dhdiscover"]["discovery.firmware"] == "2.622.0000000.31.R"
    # Broadcast: the CS2 LAN search to 198.18.0.255:32108.
    assert found["198.18.0.18"]["cs2-lan-search"]["discovery.p2p_id"] == "LABCAM-123456-LABXY"
    # Nobody else answered anything.
    assert set(found) == {"198.18.0.12", "198.18.0.16", "198.18.0.17", "198.18.0.18"}


def test_filtered_cameras_are_named_by_their_discovery_answer(
    lab: NetnsLab, tmp_path: Path
) -> None:
    # The guest profile runs vendor discovery: it only reads.
    report = run_scan(
        lab, tmp_path / "vendor.json", "--profile", "guest", "--no-discovery-protocol", "ubiquiti"
    )
    hosts = hosts_by_ip(report)
    by_run = runs(report)
    for method in ("sadp", "dhdiscover", "cs2-lan-search", "xiongmai-search"):
        assert by_run[method]["status"] == "ran", by_run[method]
    assert by_run["ubiquiti"]["status"] == "skipped"
    assert "--no-discovery-protocol ubiquiti" in by_run["ubiquiti"]["reason"]
    assert by_run["sadp"]["hosts"] == 1
    assert by_run["dhdiscover"]["hosts"] == 2
    assert by_run["cs2-lan-search"]["hosts"] == 1

    # Every TCP port dropped by nftables in its namespace: only the SADP answer names it.
    inactive = hosts["198.18.0.16"]
    assert [s for s in inactive["services"] if s["transport"] == "tcp"] == []
    assert "tcp" not in inactive["discovered_by"]
    assert "sadp" in inactive["discovered_by"]
    assert (inactive["vendor"], inactive["model"], inactive["firmware"]) == (
        "Hikvision",
        "DS-2CD2143G2-I",
        "V5.7.3build 220112",
    )
    assert inactive["device_type"] == "camera"
    sadp = next(s for s in inactive["services"] if s["protocol"] == "vendor-discovery")
    assert (sadp["source"], sadp["port"], sadp["transport"]) == ("sadp", 37020, "udp")
    assert any("SADP answer" in line for line in inactive["identified_by"])
    never = next(f for f in inactive["findings"] if f["id"] == "camera-not-activated")
    assert never["severity"] == "critical"
    assert inactive["risk"]["level"] == "critical"

    # No TCP listener at all, activated: identified, and not reported as never activated.
    quiet = hosts["198.18.0.17"]
    assert (quiet["vendor"], quiet["model"], quiet["firmware"]) == (
        "Dahua",
        "IPC-HFW1230S",
        "2.420.0000000.10.R",
    )
    assert "camera-not-activated" not in {f["id"] for f in quiet["findings"]}
    dahua = hosts["198.18.0.12"]
    assert "dhdiscover" in dahua["discovered_by"]
    assert "camera-not-activated" not in {f["id"] for f in dahua["findings"]}

    p2p = hosts["198.18.0.18"]
    finding = next(f for f in p2p["findings"] if f["id"] == "p2p-cloud-id-exposed")
    assert "LABCAM-123456-LABXY" in finding["evidence"]
