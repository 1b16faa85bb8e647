"""Device definitions against docs/architecture.md, scaling, listing, and the lab's isolation."""

from __future__ import annotations

import ast
import asyncio
import ipaddress
import random
import time
from pathlib import Path

import pytest

from scanner.lab import (
    KINDS,
    HttpConfig,
    RtspConfig,
    SilentConfig,
    TelnetConfig,
    default_devices,
    describe,
    scaled_devices,
    start_lab,
)
from scanner.models import DeviceType, Protocol

LAB_DIR = Path(__file__).resolve().parents[2] / "scanner" / "lab"

# The table of docs/architecture.md, "The built-in lab".
DOCUMENTED = {
    "hikvision-old": (11, {80: Protocol.HTTP, 554: Protocol.RTSP, 8000: Protocol.TCP},
                      ("hikvision-cve-2017-7921",), DeviceType.CAMERA),
    "dahua-default": (12, {80: Protocol.HTTP, 554: Protocol.RTSP, 37777: Protocol.TCP},
                      ("default-credentials-rtsp", "onvif-unauthenticated-info",
                       "onvif-unauthenticated-media"), DeviceType.CAMERA),
    "xiongmai-dvr": (13, {23: Protocol.TELNET, 80: Protocol.HTTP, 34567: Protocol.TCP},
                     ("telnet-open", "default-credentials-telnet", "p2p-cloud-id-exposed",
                      "discovery-changes-settings"), DeviceType.RECORDER),
    "open-rtsp": (14, {554: Protocol.RTSP, 80: Protocol.HTTP},
                  ("rtsp-unauthenticated-stream",), DeviceType.CAMERA),
    "axis-hardened": (15, {80: Protocol.HTTP, 554: Protocol.RTSP}, (), DeviceType.CAMERA),
    "printer": (16, {80: Protocol.HTTP}, (), DeviceType.OTHER),
    "hikvision-new": (17, {8000: Protocol.TCP}, ("camera-not-activated",), DeviceType.CAMERA),
    "p2p-cam": (18, {81: Protocol.HTTP}, ("p2p-cloud-id-exposed",), DeviceType.CAMERA),
}  # fmt: skip

# Which vendor discovery protocol (by UDP port) each device answers (docs/architecture.md).
DOCUMENTED_UDP = {"dahua-default": {37810}, "xiongmai-dvr": {34569}, "hikvision-new": {37020},
                  "p2p-cam": {32108}}  # fmt: skip


def test_default_devices_match_the_documented_table() -> None:
    devices = default_devices()
    assert [d.key for d in devices] == list(DOCUMENTED)
    for device in devices:
        host, services, findings, kind = DOCUMENTED[device.key]
        assert device.ip == f"127.77.0.{host}"
        assert {s.port: s.protocol for s in device.services} == services
        assert device.expected_findings == findings
        assert device.device_type is kind
        assert device.description
        assert bool(device.problems) == bool(findings)
        assert {a.port for a in device.vendor_discovery} == DOCUMENTED_UDP.get(device.key, set())


def test_documented_wire_facts() -> None:
    by_key = {d.key: d for d in default_devices()}

    def rtsp(key: str) -> RtspConfig:
        service = by_key[key].service(Protocol.RTSP)
        assert service is not None
        assert isinstance(service.config, RtspConfig)
        return service.config

    def http(key: str) -> HttpConfig:
        service = by_key[key].service(Protocol.HTTP)
        assert service is not None
        assert isinstance(service.config, HttpConfig)
        return service.config

    assert http("hikvision-old").server == "App-webs/"
    assert rtsp("hikvision-old").server is None
    assert rtsp("dahua-default").server == "Dahua Rtsp Server"
    assert http("dahua-default").server is None
    assert http("xiongmai-dvr").server == "uc-httpd 1.0.0"
    assert rtsp("open-rtsp").server == "Rtsp Server/2.0"
    assert http("open-rtsp").server == "thttpd/2.25b"
    assert http("axis-hardened").server == "Apache"
    assert rtsp("axis-hardened").server == "GStreamer RTSP server"
    assert (http("printer").server or "").startswith("HP HTTP Server; HP LaserJet Pro M404dn")
    assert by_key["dahua-default"].credentials == {
        Protocol.RTSP: ("admin", "admin"),
        Protocol.HTTP: ("admin", "admin"),
    }
    assert by_key["xiongmai-dvr"].credentials == {Protocol.TELNET: ("root", "xc3511")}
    # "Strong password": none of the factory pairs the scanner will try.
    for key in ("hikvision-old", "axis-hardened"):
        for _, password in by_key[key].credentials.values():
            assert len(password) >= 12
            assert password not in {"12345", "admin", "pass", "root", "888888", "666666"}
    silent = [s for d in by_key.values() for s in d.services if s.protocol is Protocol.TCP]
    assert all(isinstance(s.config, SilentConfig) for s in silent)
    telnet = by_key["xiongmai-dvr"].service(Protocol.TELNET)
    assert telnet is not None
    assert isinstance(telnet.config, TelnetConfig)
    assert telnet.config.login_prompt == "LocalHost login: "


def test_default_devices_prefix_and_validation() -> None:
    assert [d.ip for d in default_devices("127.1.2")] == [f"127.1.2.{n}" for n in range(11, 19)]
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        default_devices("10.0.0")
    with pytest.raises(ValueError, match="three octets"):
        default_devices("127.1")


def test_scaled_devices_cycle_kinds_on_distinct_addresses() -> None:
    devices = scaled_devices(1000)
    assert len(devices) == 1000
    assert len({d.ip for d in devices}) == 1000
    assert len({d.key for d in devices}) == 1000
    network = ipaddress.ip_network("127.78.0.0/16")
    assert all(ipaddress.ip_address(d.ip) in network for d in devices)
    kinds = list(KINDS)
    for index, device in enumerate(devices[:12]):
        assert device.key.startswith(kinds[index % len(kinds)])
    assert scaled_devices(0) == ()


def test_scaled_devices_refuse_non_loopback_and_overflow() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        scaled_devices(3, "192.168.1.0/24")
    with pytest.raises(ValueError, match="room for 2"):
        scaled_devices(3, "127.9.9.0/30")


def test_describe_lists_every_device_with_ports_and_expectations() -> None:
    lines = describe(default_devices())
    assert len(lines) == 8
    assert lines[0].startswith("hikvision-old")
    assert "127.77.0.11" in lines[0]
    assert "80/http 554/rtsp 8000/tcp" in lines[0]
    assert "hikvision-cve-2017-7921" in lines[0]
    assert "problems: none" in lines[5]  # the printer


@pytest.mark.asyncio
async def test_describe_shows_bound_ports_of_a_running_lab() -> None:
    prefix = f"127.{random.randint(100, 250)}.{random.randint(0, 255)}"
    async with await start_lab(default_devices(prefix), standard_ports=False) as lab:
        lines = describe(lab.devices)
    assert "10080 (for 80)/http" in lines[0]
    assert "8000/tcp" in lines[0]


@pytest.mark.asyncio
async def test_small_scaled_lab_serves_every_device() -> None:
    network = f"127.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24"
    async with await start_lab(scaled_devices(12, network), standard_ports=False) as lab:
        assert lab.targets() == [d.spec.ip for d in lab.devices]
        for device in lab.devices:
            for port in device.ports.values():
                _, writer = await asyncio.open_connection(device.ip, port)
                writer.close()
                await writer.wait_closed()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_thousand_devices_start_and_stop_quickly() -> None:
    network = f"127.{random.randint(100, 250)}.0.0/16"
    devices = scaled_devices(1000, network)
    started = time.perf_counter()
    lab = await start_lab(devices, standard_ports=False)
    try:
        assert time.perf_counter() - started < 5.0
        assert len(lab.devices) == 1000
        assert len(set(lab.targets())) == 1000
        for device in random.Random(3).sample(lab.devices, 20):
            for port in device.ports.values():
                _, writer = await asyncio.open_connection(device.ip, port)
                writer.close()
                await writer.wait_closed()
    finally:
        stopping = time.perf_counter()
        await lab.close()
        assert time.perf_counter() - stopping < 5.0
    sample = lab.devices[-1]
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(sample.ip, next(iter(sample.ports.values())))


def test_lab_imports_no_scanner_client_code() -> None:
    # The lab is written from the specs, not from our probes: it must not share their bugs. It
    # may share the data model and the one reader of ASCII numbers (scanner/digits.py: no
    # protocol knowledge, tested on its own in tests/test_digits.py), as issue #19 asks.
    for path in LAB_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("scanner.") and not name.startswith("scanner.lab"):
                    assert name in {"scanner.models", "scanner.digits"}, f"{path.name}: {name}"
