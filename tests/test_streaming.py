"""The scan streams: a host is probed as soon as it is known, while discovery still listens, and
the scan ends when the last host is done and the window has elapsed, not at the sum of phases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

import pytest

from scanner.config import DiscoveryOptions, ScanConfig, Timeouts
from scanner.discover.base import Sighting
from scanner.discover.lan import LanDiscovery, Link, Methods
from scanner.discover.neighbours import Neighbour
from scanner.enrich import LanEnricher
from scanner.match import SignatureSet, load_signatures
from scanner.models import Host
from scanner.pipeline import ScanProgress, scan
from scanner.targets import expand_specs
from scanner.transport import Connection, ScriptedConnector

LAN = {"eth0": ["192.0.2.1/24"]}
CAMERA = "192.0.2.13"
ARP_TIME = 0.6  # the whole ARP sweep
WINDOW = 1.0  # mDNS listening
HTTP_OK = (
    b"HTTP/1.1 200 OK\r\nServer: Boa/0.94\r\nContent-Length: 32\r\n\r\n"
    b"<html><title>IPCAM</title></html>"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class TimedConnector(ScriptedConnector):
    def __init__(self) -> None:
        super().__init__({(CAMERA, 80): [[], [HTTP_OK, NOT_FOUND]]})
        self.opened: list[tuple[str, int, float]] = []

    async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> Connection:
        self.opened.append((host, port, asyncio.get_running_loop().time()))
        return await super().open(host, port, timeout=timeout, tls=tls)


class Recorder:
    def __init__(self) -> None:
        self.states: list[ScanProgress] = []

    def scan_started(self, total_hosts: int) -> None:
        pass

    def progress(self, state: ScanProgress) -> None:
        self.states.append(state)

    def host_finished(self, ip: str, host: Host | None) -> None:
        pass


def discovery() -> LanDiscovery:
    box: list[LanDiscovery] = []

    async def arp(link: Link, ips: Sequence[str], timeout: float) -> list[Sighting]:
        box[0].heard_by_arp(CAMERA)  # the camera answers at once; the sweep goes on
        await asyncio.sleep(ARP_TIME)
        return [Sighting(CAMERA, "arp", mac="02:00:00:00:00:13")]

    async def mdns(
        link: Link, t: float, scope: Callable[[str], bool], types: Sequence[str]
    ) -> list[Sighting]:
        await asyncio.sleep(WINDOW)
        return [Sighting(CAMERA, "mdns", hostnames=("cam13.local",))]

    async def nothing(link: Link, t: float, scope: Callable[[str], bool]) -> list[Sighting]:
        return []

    def neighbours() -> Mapping[str, Neighbour]:
        return {}

    lan = LanDiscovery(
        DiscoveryOptions(timeout=WINDOW, ssdp=False, wsd=False),
        expand_specs(["192.0.2.10-16"]),
        interfaces=LAN,
        methods=Methods(arp, mdns, nothing, nothing, nothing, neighbours),
    )
    box.append(lan)
    return lan


@pytest.fixture(scope="module")
def signatures() -> SignatureSet:
    return load_signatures()


@pytest.mark.asyncio
async def test_a_known_host_is_probed_while_discovery_still_listens(
    signatures: SignatureSet,
) -> None:
    targets = [f"192.0.2.{i}" for i in range(10, 17)]
    config = ScanConfig(
        targets=(), target_specs=("192.0.2.10-16",), ports=(80,), timeouts=Timeouts(read=0.5)
    )
    connector = TimedConnector()
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    started = loop.time()
    report = await scan(
        config,
        signatures,
        targets,
        len(targets),
        connector=connector,
        observer=recorder,
        enrichers=[LanEnricher(discovery())],
    )
    took = loop.time() - started
    camera = [t - started for host, port, t in connector.opened if host == CAMERA]
    # Swept and probed (the sweep, GET /, ONVIF's attempt) long before ARP or mDNS ended.
    assert len(camera) >= 2
    assert max(camera[:2]) < ARP_TIME / 2
    # Addresses ARP did not hear waited for ARP's end and were then skipped: never connected.
    assert {host for host, _, _ in connector.opened} == {CAMERA}
    # The scan took the window (plus a little), not window + sweep + probes.
    assert WINDOW <= took < WINDOW + 0.5
    (host,) = report.hosts
    assert host.ip == CAMERA
    assert "mdns" in host.discovered_by  # what the listeners heard joined the probed host
    assert "cam13.local" in host.hostnames
    assert host.identification.device_type is not None
    final = recorder.states[-1]
    assert (final.found, final.probed, final.pending) == (1, 1, 0)
    assert any(s.pending == 1 for s in recorder.states)  # found, still being probed
