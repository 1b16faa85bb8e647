"""camsweep against a real router: Debian's miniupnpd 2.3 in a namespace, the LAN's gateway.

The lab: the Dahua camera of the namespace lab (198.18.0.12; RTSP admin/admin, web, SDK port)
behind miniupnpd (198.18.0.1), which forwards two internet ports to it (written into its
nftables chain before it starts; scanner/lab/router_netns.py says why). camsweep runs in the
scanner's namespace with the router as its default gateway. Checked:

- the report ties both forwards to the camera's findings, raises its risk and lists the
  router's own UPnP finding; upnpc (miniupnpc, an independent client) lists the same forwards;
- a capture inside the router's namespace shows camsweep sent it only SSDP searches, NAT-PMP's
  read-only question, GETs of descriptions and the four read actions: nothing that writes;
- with miniupnpd stopped, the report says the router's forwards could not be read.

Root only; skipped with the reason otherwise (or when miniupnpd/nft are not installed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.lab.netns import NetnsLab, netns_devices, netns_unavailable
from scanner.lab.router_netns import LAN_IP, MiniupnpdRouter, Sniffer, miniupnpd_unavailable
from scanner.models import Confidence, DeviceType, Finding, Severity
from scanner.report.risk import score_host

_SKIP = netns_unavailable() or miniupnpd_unavailable()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(_SKIP is not None, reason=f"{_SKIP}"),
    pytest.mark.timeout(240),
]

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "report-schema.json").read_text())
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
CAMERA = "198.18.0.12"
FORWARDS = {(8554, 554), (8080, 80)}  # (internet port, camera port), TCP
READ_ACTIONS = {
    "GetGenericPortMappingEntry",
    "GetListOfPortMappings",
    "GetExternalIPAddress",
    "GetStatusInfo",
}


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[NetnsLab, MiniupnpdRouter]]:
    from scanner.models import PortForward  # noqa: PLC0415

    dahua = next(d for d in netns_devices() if d.key == "dahua-default")
    with NetnsLab([dahua], prefix=f"csu{os.getpid() % 100000}-", announce_interval=1.0) as net:
        router = MiniupnpdRouter(
            net,
            [PortForward(ext, "TCP", CAMERA, port) for ext, port in sorted(FORWARDS)],
        )
        try:
            yield net, router.start()
        finally:
            router.close()


def scan(net: NetnsLab, out: Path, *extra: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "scanner", "scan", CAMERA, "--format", "json", "-o", str(out)]
    proc = subprocess.run(
        net.exec_argv(net.scanner_ns, [*argv, "-q", "--profile", "owner", *extra]),
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    return report


def _host(report: dict[str, Any], ip: str) -> dict[str, Any]:
    return next(h for h in report["hosts"] if h["ip"] == ip)


def _payloads(pcap: Path) -> list[tuple[str, int, bytes]]:
    """(transport, destination port, payload) of every packet sent to the router.

    That is everything addressed to it, and the SSDP multicast it answers; the LAN discovery's
    other multicast (WS-Discovery, mDNS) reaches its interface too but is not sent to it.
    """
    from scapy.layers.inet import IP, TCP, UDP  # noqa: PLC0415
    from scapy.utils import rdpcap  # noqa: PLC0415

    out = []
    for packet in rdpcap(str(pcap)):
        if not packet.haslayer(IP):
            continue
        to_router = packet[IP].dst == LAN_IP
        ssdp = (
            packet[IP].dst == "239.255.255.250"
            and packet.haslayer(UDP)
            and (packet[UDP].dport == 1900)
        )
        if not (to_router or ssdp):
            continue
        if packet.haslayer(TCP):
            out.append(("tcp", int(packet[TCP].dport), bytes(packet[TCP].payload)))
        elif packet.haslayer(UDP):
            out.append(("udp", int(packet[UDP].dport), bytes(packet[UDP].payload)))
    return out


def test_forwards_tied_to_the_camera_and_nothing_written(
    lab: tuple[NetnsLab, MiniupnpdRouter], tmp_path: Path
) -> None:
    net, router = lab
    sniffer = Sniffer(net, router.namespace, tmp_path / "router.pcap")
    try:
        report = scan(net, tmp_path / "scan.json")
    finally:
        pcap = sniffer.stop()

    exposure = report["exposure"]
    assert exposure["blind"] is False
    (reading,) = exposure["routers"]
    assert reading["address"] == LAN_IP
    assert reading["status"] == "read"
    assert "MiniUPnPd/2.3" in reading["model"]
    assert {(f["external_port"], f["internal_port"]) for f in reading["forwards"]} == FORWARDS
    assert "AddPortMapping" in reading["mapping_actions"]
    assert reading["nat_pmp"].startswith("NAT-PMP answers")

    # Both forwards end at the camera, each tied to what is weak there.
    forwarded = [p for p in exposure["paths"] if p["kind"] == "port-forward"]
    paths = {p["forward"]["external_port"]: p for p in forwarded}
    assert set(paths) == {8554, 8080}
    rtsp = paths[8554]
    assert rtsp["host"] == CAMERA
    assert rtsp["port"] == 554
    assert "default-credentials-rtsp" in rtsp["finding_ids"]
    assert rtsp["severity"] == "critical"
    # miniupnpd has no public address to give (the lab's WAN is a reserved range): the path
    # must say it may not reach the internet, not claim it does.
    assert rtsp["confidence"] == Confidence.FIRM.value
    assert rtsp["caveat"]
    web = paths[8080]
    assert web["port"] == 80
    assert "onvif-unauthenticated-media" in web["finding_ids"]
    assert f"-> {CAMERA}:554" in rtsp["path"]
    assert "router 198.18.0.1 port 8554/TCP" in rtsp["path"]

    camera = _host(report, CAMERA)
    forwards = [f for f in camera["findings"] if f["id"] == "internet-port-forward"]
    assert {f["port"] for f in forwards} == {554, 80}
    assert max(f["severity"] for f in forwards if f["port"] == 554) == "critical"
    # The camera's risk is raised by the forward: without the internet findings it scores less.
    others = [
        Finding(f["id"], f["title"], Severity(f["severity"]), Confidence(f["confidence"]), "", "")
        for f in camera["findings"]
        if f["id"] != "internet-port-forward"
    ]
    assert camera["risk"]["score"] > score_host(others, DeviceType.CAMERA).score

    gateway = _host(report, LAN_IP)
    (upnp,) = [f for f in gateway["findings"] if f["id"] == "upnp-igd-open"]
    assert upnp["severity"] == "medium"
    assert "AddPortMapping" in upnp["evidence"]

    # An independent client reads the same forwards from the same router.
    upnpc = shutil.which("upnpc")
    if upnpc is not None:
        listed = subprocess.run(
            net.exec_argv(net.scanner_ns, [upnpc, "-u", router.description_url, "-l"]),
            capture_output=True, text=True, timeout=30, check=False,
        ).stdout  # fmt: skip
        rows = re.findall(r"^\s*\d+\s+TCP\s+(\d+)->([\d.]+):(\d+)", listed, re.MULTILINE)
        assert {(int(e), int(p)) for e, ip, p in rows if ip == CAMERA} == FORWARDS

    # What reached the router: SSDP searches, NAT-PMP's question, description GETs, read actions.
    sent = _payloads(pcap)
    assert sent, "the capture saw nothing: the check would prove nothing"
    actions: set[str] = set()
    for transport, port, payload in sent:
        if not payload:
            continue  # handshakes, ACKs, FINs
        if transport == "udp" and port == 1900:
            assert payload.startswith(b"M-SEARCH * HTTP/1.1\r\n")
        elif transport == "udp" and port == 5351:
            assert payload == b"\x00\x00"  # NAT-PMP: what is your external address?
        elif transport == "tcp" and port == 5000:
            head = payload.split(b"\r\n", 1)[0]
            if head.startswith(b"GET "):
                assert head.split()[1].endswith(b".xml"), head
            elif head.startswith(b"POST "):
                found = re.search(rb'SOAPAction: "[^"#]+#(\w+)"', payload, re.IGNORECASE)
                assert found is not None, payload[:200]
                actions.add(found.group(1).decode())
            else:
                assert b"<s:Envelope" in payload or payload.startswith(b"<"), head  # a body
        else:
            raise AssertionError(f"unexpected packet to the router: {transport}/{port}")
    assert actions
    assert actions <= READ_ACTIONS, actions
    assert {"GetGenericPortMappingEntry", "GetExternalIPAddress"} <= actions


def test_router_without_upnp_is_a_blind_spot(
    lab: tuple[NetnsLab, MiniupnpdRouter], tmp_path: Path
) -> None:
    net, router = lab
    router.stop()
    try:
        report = scan(net, tmp_path / "scan.json", "--no-credentials")
    finally:
        router.start()
    exposure = report["exposure"]
    assert exposure["blind"] is True
    assert not [p for p in exposure["paths"] if p["kind"] == "port-forward"]
    (reading,) = exposure["routers"]
    assert reading["address"] == LAN_IP
    assert reading["status"] == "no-upnp"
    assert any("could not see the router's forwards" in n for n in exposure["notes"])
    camera = _host(report, CAMERA)
    assert not [f for f in camera["findings"] if f["id"] == "internet-port-forward"]
