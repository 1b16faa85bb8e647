"""The LAN discovery coordinator and its place in the scan, with scripted discoverers.

No packet leaves the machine here: the discoverers are fakes, the TCP connector is scripted, and
the interface tables are injected (the real ones are only used in the namespace lab).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Mapping, Sequence

import pytest

from scanner.config import DiscoveryOptions, ScanConfig
from scanner.discover.arp import ArpUnavailable
from scanner.discover.base import Sighting
from scanner.discover.lan import (
    LanDiscovery,
    Link,
    Methods,
    plan_links,
)
from scanner.discover.neighbours import Neighbour
from scanner.enrich import LanEnricher
from scanner.match import SignatureSet
from scanner.models import DiscoveryStatus, Protocol, ServiceResult
from scanner.pipeline import scan
from scanner.targets import TargetRange, expand_specs
from scanner.transport import Connection, ScriptedConnector

LAN = {"lo": ["127.0.0.1/8"], "eth0": ["192.0.2.2/24"], "eth1": ["169.254.3.4/16"]}


def ranges(*specs: str) -> list[TargetRange]:
    return expand_specs(list(specs))


def wsd_service(hardware: str) -> ServiceResult:
    return ServiceResult(
        3702,
        Protocol.WSDISCOVERY,
        transport="udp",
        fields={
            "onvif.hardware": hardware,
            "onvif.name": "AXIS " + hardware,
            "onvif.types": "dn:NetworkVideoTransmitter",
        },
    )


class Fakes:
    """Discoverers that return scripted sightings and record what they were asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.arp_asked: list[str] = []
        self.arp_result: list[Sighting] | Exception = []
        self.wsd_result: list[Sighting] | Exception = []
        self.mdns_result: list[Sighting] | Exception = []
        self.ssdp_result: list[Sighting] | Exception = []
        self.passive_result: list[Sighting] | Exception = []
        self.table: dict[str, Neighbour] = {}

    async def _give(self, name: str, result: list[Sighting] | Exception) -> list[Sighting]:
        self.calls.append(name)
        await asyncio.sleep(0)
        if isinstance(result, Exception):
            raise result
        return result

    def methods(self) -> Methods:
        async def arp(link: Link, ips: Sequence[str], timeout: float) -> list[Sighting]:
            self.arp_asked.extend(ips)
            return await self._give("arp", self.arp_result)

        async def mdns(
            link: Link, t: float, scope: Callable[[str], bool], types: Sequence[str]
        ) -> list[Sighting]:
            return await self._give("mdns", self.mdns_result)

        async def ssdp(link: Link, t: float, scope: Callable[[str], bool]) -> list[Sighting]:
            return await self._give("ssdp", self.ssdp_result)

        async def wsd(link: Link, t: float, scope: Callable[[str], bool]) -> list[Sighting]:
            return await self._give("ws-discovery", self.wsd_result)

        async def passive(link: Link, t: float, scope: Callable[[str], bool]) -> list[Sighting]:
            return await self._give("passive", self.passive_result)

        def neighbours() -> Mapping[str, Neighbour]:
            self.calls.append("neighbours")
            return self.table

        return Methods(arp, mdns, ssdp, wsd, passive, neighbours)


def lan(fakes: Fakes, *specs: str, options: DiscoveryOptions | None = None) -> LanDiscovery:
    return LanDiscovery(
        options or DiscoveryOptions(timeout=0.2),
        ranges(*specs),
        interfaces=LAN,
        methods=fakes.methods(),
    )


# --- where LAN discovery may run ---------------------------------------------------------------


def test_links_are_attached_networks_holding_targets() -> None:
    links, reason = plan_links(LAN, ranges("192.0.2.10-20"))
    assert links == [Link("eth0", "192.0.2.2", ipaddress.IPv4Network("192.0.2.0/24"))]
    assert reason == ""


def test_loopback_and_routed_targets_get_no_link_and_a_reason() -> None:
    links, reason = plan_links(LAN, ranges("127.77.0.11", "127.77.0.12"))
    assert links == []
    assert "targets are on loopback" in reason
    links, reason = plan_links(LAN, ranges("198.51.100.0/24"))
    assert links == []
    assert "no target is on a network this machine is attached to" in reason
    assert "192.0.2.0/24" in reason  # says what it is attached to
    assert "169.254" not in reason  # link-local is never a LAN to sweep


@pytest.mark.asyncio
async def test_loopback_targets_run_nothing_and_every_method_says_why() -> None:
    fakes = Fakes()
    discovery = lan(fakes, "127.77.0.0/24")
    await discovery.run()
    assert fakes.calls == []
    assert await discovery.host("127.77.0.11") is None
    assert fakes.calls == []  # not even the neighbour table
    runs = discovery.runs()
    assert [r.method for r in runs] == ["arp", "neighbours", "mdns", "ssdp", "ws-discovery"]
    assert all(r.status is DiscoveryStatus.SKIPPED for r in runs)
    assert all("loopback" in r.reason for r in runs)
    assert discovery.notes() == ()


# --- merging ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_methods_merge_into_hosts_by_ip_and_mac() -> None:
    fakes = Fakes()
    fakes.arp_result = [
        Sighting("192.0.2.11", "arp", mac="44:19:B6:00:00:11"),
        Sighting("192.0.2.13", "arp", mac="02:00:00:00:00:13"),
        Sighting("192.0.2.14", "arp", mac="02:00:00:00:00:13"),  # same MAC, two addresses
    ]
    fakes.wsd_result = [
        Sighting("192.0.2.13", "ws-discovery", service=wsd_service("M1065-L")),
        Sighting("192.0.2.13", "ws-discovery", service=wsd_service("M1065-L")),  # repeated
        Sighting("198.51.100.7", "ws-discovery", service=wsd_service("X")),  # not a target
    ]
    fakes.mdns_result = [
        Sighting("192.0.2.11", "mdns", mac="44:19:B6:00:00:99", hostnames=("cam.local",)),
    ]
    discovery = lan(fakes, "192.0.2.0/24")
    await discovery.run()
    assert set(fakes.calls) == {"arp", "mdns", "ssdp", "ws-discovery"}
    assert "192.0.2.2" not in fakes.arp_asked  # never ARP ourselves
    assert len(fakes.arp_asked) == 253

    heard = discovery.heard()
    assert set(heard) == {"192.0.2.11", "192.0.2.13", "192.0.2.14"}
    hik = heard["192.0.2.11"]
    assert hik.mac == "44:19:B6:00:00:11"
    assert hik.methods == ["arp", "mdns"]
    assert hik.mac_vendor == "Hangzhou Hikvision Digital Technology Co.,Ltd."
    assert hik.hostnames == ["cam.local"]
    assert any("two devices answer for it" in note for note in hik.notes)
    assert hik.host_fields() == {
        "mac.oui": "44:19:B6",
        "mac.vendor": "Hangzhou Hikvision Digital Technology Co.,Ltd.",
    }
    cam = heard["192.0.2.13"]
    assert len(cam.services) == 1  # the repeated answer is one service
    assert cam.mac_vendor is None  # locally administered
    assert any("same MAC as 192.0.2.14" in note for note in cam.notes)

    runs = {r.method: r for r in discovery.runs()}
    assert runs["arp"].status is DiscoveryStatus.RAN
    assert runs["arp"].hosts == 3
    assert runs["ws-discovery"].hosts == 1


@pytest.mark.asyncio
async def test_arp_silence_means_absent_but_only_when_arp_ran() -> None:
    fakes = Fakes()
    fakes.arp_result = [Sighting("192.0.2.11", "arp", mac="44:19:B6:00:00:11")]
    discovery = lan(fakes, "192.0.2.10-12", "198.51.100.1")
    task = asyncio.create_task(discovery.run())
    assert not await discovery.absent("192.0.2.11")
    assert await discovery.absent("192.0.2.12")
    assert not await discovery.absent("198.51.100.1")  # not on the LAN: ARP cannot tell
    await task

    off = lan(Fakes(), "192.0.2.10-12", options=DiscoveryOptions(arp=False, timeout=0.2))
    await off.run()
    assert not await off.absent("192.0.2.12")
    assert {r.method: r for r in off.runs()}["arp"].reason == "switched off (--no-arp)"


@pytest.mark.asyncio
async def test_no_raw_sockets_falls_back_to_the_neighbour_table() -> None:
    fakes = Fakes()
    fakes.arp_result = ArpUnavailable("raw sockets need root or CAP_NET_RAW")
    fakes.table = {"192.0.2.15": Neighbour("192.0.2.15", "00:40:8C:00:00:15", "eth0")}
    discovery = lan(fakes, "192.0.2.0/24")
    await discovery.run()
    assert not await discovery.absent("192.0.2.15")  # ARP failed: every address is swept
    host = await discovery.host("192.0.2.15")
    assert host is not None
    assert host.methods == ["neighbours"]
    assert host.mac_vendor == "Axis Communications AB"
    assert await discovery.host("192.0.2.16") is None
    runs = {r.method: r for r in discovery.runs()}
    assert runs["arp"].status is DiscoveryStatus.FAILED
    assert runs["arp"].reason == (
        "raw sockets need root or CAP_NET_RAW; "
        "fell back to the kernel neighbour table after the TCP sweep"
    )
    assert runs["neighbours"].status is DiscoveryStatus.RAN
    assert runs["neighbours"].hosts == 1


@pytest.mark.asyncio
async def test_a_failing_or_hanging_method_is_a_line_not_a_crash() -> None:
    fakes = Fakes()
    fakes.mdns_result = OSError(19, "No such device")
    fakes.ssdp_result = RuntimeError("bug")
    fakes.wsd_result = [Sighting("192.0.2.13", "ws-discovery", service=wsd_service("M1065-L"))]
    discovery = lan(fakes, "192.0.2.0/24")
    await discovery.run()
    runs = {r.method: r for r in discovery.runs()}
    assert runs["mdns"].status is DiscoveryStatus.FAILED
    assert "No such device" in runs["mdns"].reason
    assert runs["ssdp"].reason == "internal error: RuntimeError"
    assert runs["ws-discovery"].status is DiscoveryStatus.RAN  # the others still count

    class Hanging(Fakes):
        async def _give(self, name: str, result: list[Sighting] | Exception) -> list[Sighting]:
            if name == "mdns":
                await asyncio.sleep(3600)
            return await super()._give(name, result)

    hanging = LanDiscovery(
        DiscoveryOptions(timeout=0.01, arp=False, ssdp=False, wsd=False),
        ranges("192.0.2.0/24"),
        interfaces=LAN,
        methods=Hanging().methods(),
    )
    hanging._deadline = lambda name: 0.05  # type: ignore[method-assign]
    await asyncio.wait_for(hanging.run(), 2.0)
    assert "did not finish within" in {r.method: r for r in hanging.runs()}["mdns"].reason


@pytest.mark.asyncio
async def test_passive_mode_only_listens() -> None:
    fakes = Fakes()
    fakes.passive_result = [Sighting("192.0.2.11", "passive", mac="44:19:B6:00:00:11")]
    discovery = lan(fakes, "192.0.2.0/24", options=DiscoveryOptions(passive=0.1))
    await discovery.run()
    assert fakes.calls == ["passive"]
    assert await discovery.host("192.0.2.11") is not None
    assert await discovery.host("192.0.2.12") is None
    assert "neighbours" not in fakes.calls
    runs = {r.method: r for r in discovery.runs()}
    assert runs["passive"].status is DiscoveryStatus.RAN
    assert all(
        runs[m].reason == "passive mode: nothing is sent"
        for m in ("arp", "neighbours", "mdns", "ssdp", "ws-discovery")
    )


# --- in the scan -------------------------------------------------------------------------------


class CountingConnector(ScriptedConnector):
    """Every port refused; remembers every address it was asked to connect to."""

    def __init__(self) -> None:
        super().__init__({})
        self.asked: list[str] = []

    async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> Connection:
        self.asked.append(host)
        return await super().open(host, port, timeout=timeout, tls=tls)


def config(targets: Sequence[str]) -> ScanConfig:
    return ScanConfig(targets=(), target_specs=tuple(targets), ports=(80, 554))


@pytest.mark.asyncio
async def test_hosts_seen_only_by_discovery_are_reported_with_their_evidence(
    signatures: SignatureSet,
) -> None:
    fakes = Fakes()
    fakes.arp_result = [
        Sighting("192.0.2.13", "arp", mac="02:00:00:00:00:13"),
        Sighting("192.0.2.15", "arp", mac="00:40:8C:00:00:15"),
    ]
    fakes.wsd_result = [Sighting("192.0.2.13", "ws-discovery", service=wsd_service("M1065-L"))]
    discovery = lan(fakes, "192.0.2.10-16")
    connector = CountingConnector()
    targets = [f"192.0.2.{i}" for i in range(10, 17)]
    report = await scan(
        config(["192.0.2.10-16"]),
        signatures,
        targets,
        len(targets),
        connector=connector,
        enrichers=[LanEnricher(discovery)],
    )
    # Only the two addresses that answered ARP got a TCP sweep.
    assert sorted(set(connector.asked)) == ["192.0.2.13", "192.0.2.15"]
    hosts = {h.ip: h for h in report.hosts}
    assert set(hosts) == {"192.0.2.13", "192.0.2.15"}
    onvif = hosts["192.0.2.13"]
    assert onvif.discovered_by == ("arp", "ws-discovery")
    assert onvif.mac == "02:00:00:00:00:13"
    assert (onvif.identification.vendor, onvif.identification.model) == ("Axis", "M1065-L")
    assert onvif.services[0].protocol is Protocol.WSDISCOVERY
    quiet = hosts["192.0.2.15"]
    assert quiet.discovered_by == ("arp",)
    assert quiet.mac_vendor == "Axis Communications AB"
    methods = [r.method for r in report.discovery]
    assert methods[:6] == ["tcp", "arp", "neighbours", "mdns", "ssdp", "ws-discovery"]
    assert report.discovery[0].hosts == 0  # no host had an open port


@pytest.mark.asyncio
async def test_passive_scan_opens_no_connection(signatures: SignatureSet) -> None:
    fakes = Fakes()
    fakes.passive_result = [
        Sighting("192.0.2.13", "passive", mac="02:00:00:00:00:13", service=wsd_service("P1")),
    ]
    connector = CountingConnector()
    discovery = lan(fakes, "192.0.2.10-16", options=DiscoveryOptions(passive=0.1))
    targets = [f"192.0.2.{i}" for i in range(10, 17)]
    report = await scan(
        config(["192.0.2.10-16"]),
        signatures,
        targets,
        len(targets),
        connector=connector,
        enrichers=[LanEnricher(discovery)],
    )
    assert connector.asked == []
    assert [h.ip for h in report.hosts] == ["192.0.2.13"]
    assert report.hosts[0].discovered_by == ("passive",)
    assert report.hosts[0].identification.model == "P1"
    tcp = report.discovery[0]
    assert (tcp.method, tcp.status) == ("tcp", DiscoveryStatus.SKIPPED)


@pytest.mark.asyncio
async def test_loopback_scan_reports_discovery_skipped(signatures: SignatureSet) -> None:
    connector = CountingConnector()
    discovery = LanDiscovery(DiscoveryOptions(), ranges("127.0.0.1"), interfaces=LAN)
    report = await scan(
        config(["127.0.0.1"]),
        signatures,
        ["127.0.0.1"],
        1,
        connector=connector,
        enrichers=[LanEnricher(discovery)],
    )
    assert connector.asked == ["127.0.0.1", "127.0.0.1"]  # the TCP sweep still runs
    assert report.hosts == ()
    lan_runs = [r for r in report.discovery if r.method != "tcp"]
    assert lan_runs
    assert all(r.status is DiscoveryStatus.SKIPPED for r in lan_runs)


def test_lab_netns_without_root_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner import cli  # noqa: PLC0415

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert cli.main(["lab", "--netns", "--seconds", "0.1"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["camsweep: error: lab --netns: building network namespaces needs root"]


def test_passive_with_nmap_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from scanner import cli  # noqa: PLC0415

    assert cli.main(["scan", "127.0.0.1", "--passive", "1", "--nmap"]) == cli.EXIT_USAGE
    assert "--passive sends nothing" in capsys.readouterr().err
