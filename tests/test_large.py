"""Large networks (docs/discovery.md, "Large networks"): a /16 with scripted discoverers and a
recording connector, and a routed range's two-stage sweep.

No packet leaves the machine: the discoverers are fakes, the interface tables and the raw-socket
check are injected, and the connector only records. The real /16 runs in
tests/discover/test_large_netns.py.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace

import pytest

from scanner.config import DiscoveryOptions, ScanConfig, Timeouts
from scanner.discover.base import Sighting
from scanner.discover.lan import LanDiscovery, Methods
from scanner.discover.links import Link, large_network_lines, plan_links
from scanner.discover.neighbours import Neighbour
from scanner.enrich import LanEnricher
from scanner.match import SignatureSet, load_signatures
from scanner.models import DiscoveryStatus, Host, Report
from scanner.pipeline import ScanProgress, scan
from scanner.targets import LIVENESS_PORTS, TargetError, TargetSet, expand_specs, resolve_targets
from scanner.transport import Connection, ConnectTimeout, Refused, ScriptedConnection

WIDE = {"lo": ["127.0.0.1/8"], "eth0": ["198.18.0.2/16"]}
DEVICES = ("198.18.0.10", "198.18.128.77", "198.18.255.250")
CAMERA = "198.18.128.77"


class Recording:
    """Records every connect; ``open`` ports accept, ``alive`` hosts refuse, others time out."""

    def __init__(self, open_ports: Mapping[str, Collection[int]], alive: Collection[str]) -> None:
        self.open_ports = open_ports
        self.alive = set(alive) | set(open_ports)
        self.attempts: list[tuple[str, int]] = []
        self.at: dict[str, float] = {}

    async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> Connection:
        self.attempts.append((host, port))
        self.at.setdefault(host, asyncio.get_running_loop().time())
        if port in self.open_ports.get(host, ()):
            return ScriptedConnection([b""])
        if host in self.alive:
            raise Refused("connection refused")
        raise ConnectTimeout(f"no answer within {timeout:g}s")


class Recorder:
    def __init__(self) -> None:
        self.states: list[ScanProgress] = []
        self.finished: dict[str, float] = {}

    def scan_started(self, total_hosts: int) -> None:
        pass

    def progress(self, state: ScanProgress) -> None:
        self.states.append(state)

    def host_finished(self, ip: str, host: Host | None) -> None:
        if host is not None:
            self.finished[ip] = asyncio.get_running_loop().time()


ARP_TIME = 1.5  # the fake sweep's length; the camera answers at once


def wide_lan(
    *,
    raw: str | None = None,
    arp_asked: list[int] | None = None,
    neighbours: Mapping[str, Neighbour] | None = None,
    options: DiscoveryOptions | None = None,
) -> LanDiscovery:
    box: list[LanDiscovery] = []

    async def arp(link: Link, ips: Collection[str], timeout: float) -> list[Sighting]:
        if arp_asked is not None:
            arp_asked.append(len(ips))
        box[0].heard_by_arp(CAMERA, "44:19:B6:00:00:77")  # answers as soon as it is asked
        await asyncio.sleep(ARP_TIME)
        return [Sighting(ip, "arp", mac=f"02:00:00:00:00:{i:02x}") for i, ip in enumerate(DEVICES)]

    async def quiet(link: Link, t: float, scope: Callable[[str], bool]) -> list[Sighting]:
        return []

    async def mdns(
        link: Link, t: float, scope: Callable[[str], bool], types: Sequence[str]
    ) -> list[Sighting]:
        await asyncio.sleep(0.1)
        return [Sighting("198.18.77.7", "mdns", hostnames=("cam.local",))]

    discovery = LanDiscovery(
        options or DiscoveryOptions(timeout=0.2, ssdp=False, wsd=False),
        expand_specs(["198.18.0.0/16"]),
        interfaces=WIDE,
        methods=Methods(arp, mdns, quiet, quiet, quiet, lambda: dict(neighbours or {})),
        raw_sockets=lambda _iface: raw,
    )
    box.append(discovery)
    return discovery


@pytest.fixture(scope="module")
def signatures() -> SignatureSet:
    return load_signatures()


def config(
    liveness: tuple[int, ...] = (), specs: tuple[str, ...] = ("198.18.0.0/16",)
) -> ScanConfig:
    return ScanConfig(
        targets=(),
        target_specs=specs,
        ports=(80, 554, 8000),
        timeouts=Timeouts(read=0.3, connect=0.2, liveness=0.1),
        liveness=liveness,
    )


async def scan_wide(
    signatures: SignatureSet,
    discovery: LanDiscovery,
    connector: Recording,
    recorder: Recorder | None = None,
) -> Report:
    targets = TargetSet(tuple(expand_specs(["198.18.0.0/16"])))
    enrichers = [LanEnricher(discovery)]
    return await scan(
        config(), signatures, targets, len(targets), connector=connector, observer=recorder,
        enrichers=enrichers,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_on_a_slash_16_only_what_discovery_found_gets_tcp_and_it_streams(
    signatures: SignatureSet,
) -> None:
    connector = Recording({CAMERA: (80,)}, alive=DEVICES)
    recorder = Recorder()
    asked: list[int] = []
    started = asyncio.get_running_loop().time()
    report = await scan_wide(signatures, wide_lan(arp_asked=asked), connector, recorder)
    assert asked == [65533]  # every address but our own, in one lazy collection
    # TCP only to the hosts ARP or mDNS named: three devices (the mDNS-only name did not
    # answer ARP, so it is reported from discovery and not swept)
    assert {host for host, _ in connector.attempts} == set(DEVICES)
    assert {h.ip for h in report.hosts} == {*DEVICES, "198.18.77.7"}
    camera = next(h for h in report.hosts if h.ip == CAMERA)
    assert camera.mac == "44:19:B6:00:00:77"
    assert "arp" in camera.discovered_by
    # streamed: the camera was swept at once and finished before the ARP sweep ended
    assert connector.at[CAMERA] - started < 0.5
    assert recorder.finished[CAMERA] - started < ARP_TIME
    assert recorder.states[-1].swept == 65534  # ARP's addresses (and our own) count as swept
    arp = {r.method: r for r in report.discovery}["arp"]
    assert arp.status is DiscoveryStatus.RAN
    assert "65533 targets" in arp.reason
    assert not any("deadline" in note for note in report.notes)


@pytest.mark.asyncio
async def test_without_raw_sockets_a_slash_16_falls_back_and_says_so(
    signatures: SignatureSet,
) -> None:
    neighbours = {
        "198.18.0.10": Neighbour("198.18.0.10", "02:00:00:00:00:10", "eth0"),
        "10.9.9.9": Neighbour("10.9.9.9", "02:00:00:00:00:99", "eth1"),  # not a target
    }
    asked: list[int] = []
    discovery = wide_lan(
        raw="raw sockets need root or CAP_NET_RAW", neighbours=neighbours, arp_asked=asked
    )
    assert discovery.claims("198.18.200.1")  # nobody sweeps the /16 address by address
    connector = Recording({CAMERA: (80,)}, alive=DEVICES)
    report = await scan_wide(signatures, discovery, connector)
    assert asked == []
    # only the hosts the listeners and the neighbour table named are swept
    assert {host for host, _ in connector.attempts} == {"198.18.0.10", "198.18.77.7"}
    runs = {r.method: r for r in report.discovery}
    assert runs["arp"].status is DiscoveryStatus.FAILED
    reason = runs["arp"].reason
    assert "CAP_NET_RAW" in reason
    assert "cannot be swept quickly" in reason
    assert "setcap" in reason
    assert "neighbour table" in reason
    assert runs["neighbours"].hosts == 1
    lines = large_network_lines(
        discovery.links,
        expand_specs(["198.18.0.0/16"]),
        DiscoveryOptions(),
        raw_sockets=lambda _iface: "raw sockets need root or CAP_NET_RAW",
    )
    assert len(lines) == 1
    assert "cannot be swept quickly" in lines[0]
    assert "CAP_NET_RAW" in lines[0]


def test_with_raw_sockets_the_user_is_told_the_count_and_the_time() -> None:
    links, _ = plan_links(WIDE, expand_specs(["198.18.0.0/16"]))
    lines = large_network_lines(
        links, expand_specs(["198.18.0.0/16"]), DiscoveryOptions(), raw_sockets=lambda _i: None
    )
    assert lines == [
        "ARP will ask 65533 addresses of 198.18.0.0/16 on eth0 at 3000/s (the silent ones "
        "twice): about 46s; hosts are probed as they answer"
    ]
    small, _ = plan_links(WIDE, expand_specs(["198.18.0.0/24"]))
    assert large_network_lines(small, expand_specs(["198.18.0.0/24"]), DiscoveryOptions()) == []


def test_attached_addresses_need_no_allow_large_routed_ones_do() -> None:
    attached = [ipaddress.IPv4Network("198.18.0.0/16")]
    assert len(resolve_targets(["198.18.0.0/16"], attached=attached)) == 65534
    with pytest.raises(TargetError, match=r"65534 addresses not on an attached network"):
        resolve_targets(["198.18.0.0/16"])
    with pytest.raises(TargetError, match="--allow-large"):
        resolve_targets(["198.18.0.0/16", "10.0.0.0/19"], attached=attached)


@pytest.mark.asyncio
async def test_a_large_routed_range_gets_a_liveness_pass_then_the_full_sweep(
    signatures: SignatureSet,
) -> None:
    targets = TargetSet(tuple(expand_specs(["10.0.0.0/22"])))
    alive = ("10.0.0.10", "10.0.2.77")
    connector = Recording({"10.0.2.77": (8000,)}, alive=alive)
    report = await scan(
        config(liveness=LIVENESS_PORTS, specs=("10.0.0.0/22",)),
        signatures,
        targets,
        len(targets),
        connector=connector,
        enrichers=[],
    )
    by_host: dict[str, set[int]] = {}
    for host, port in connector.attempts:
        by_host.setdefault(host, set()).add(port)
    assert len(by_host) == 1022  # every address had its liveness pass ...
    assert by_host["10.0.0.99"] == set(LIVENESS_PORTS)  # ... a silent one nothing more
    for ip in alive:  # a refusal on 80/554 proves a host: then every port
        assert by_host[ip] == {80, 554, 8000}
    assert [h.ip for h in report.hosts] == ["10.0.2.77"]
    note = next(n for n in report.notes if n.startswith("two-stage sweep"))
    assert "1020 addresses of 10.0.0.0/22" in note
    assert "80, 554" in note


@pytest.mark.asyncio
async def test_the_scan_deadline_stops_the_arp_sweep_and_keeps_what_was_found(
    signatures: SignatureSet,
) -> None:
    targets = TargetSet(tuple(expand_specs(["198.18.0.0/16"])))
    short = replace(config(), timeouts=Timeouts(read=0.3, connect=0.2, scan=0.8))
    started = asyncio.get_running_loop().time()
    report = await scan(
        short,
        signatures,
        targets,
        len(targets),
        connector=Recording({CAMERA: (80,)}, alive=DEVICES),
        enrichers=[LanEnricher(wide_lan())],
    )
    assert asyncio.get_running_loop().time() - started < ARP_TIME  # not the whole sweep
    assert CAMERA in {h.ip for h in report.hosts}  # answered at once: probed and kept
    arp = {r.method: r for r in report.discovery}["arp"]
    assert arp.status is DiscoveryStatus.FAILED
    assert arp.reason == "stopped at the scan deadline"
    assert arp.hosts == 1
    # the addresses ARP had not finished with are counted as not scanned
    note = next(n for n in report.notes if "reached its 0.8s deadline" in n)
    assert int(note.split(": ")[1].split(" of ")[0]) > 60000


@pytest.mark.parametrize("rate", ["0", "-5", "100001", "fast"])
def test_a_bad_arp_rate_is_one_line_and_exit_2(
    rate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner.cli import main  # noqa: PLC0415

    # Refused while parsing the arguments: nothing is scanned.
    assert main(["scan", "127.0.0.1", "--arp-rate", rate]) == 2
    err = capsys.readouterr().err
    assert "--arp-rate" in err
    assert "Traceback" not in err
