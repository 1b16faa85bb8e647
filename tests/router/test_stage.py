"""The router stage end to end on loopback: finding the gateway, reading it, scanning forwards.

A small SSDP + NAT-PMP responder and the lab router (scanner/lab/igd.py) stand in for a home
router on a loopback address of this test's own (127.88.x.1); the stage's unicast search and
read go there and nowhere else (no interface is given, so nothing is multicast).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from functools import partial
from typing import cast

import pytest
import pytest_asyncio

from scanner.lab.igd import IgdRouter
from scanner.models import (
    Host,
    Identification,
    PortForward,
    Protocol,
    RouterStatus,
    ServiceResult,
)
from scanner.router.stage import RouterOptions, RouterStage, default_gateways
from scanner.targets import resolve_targets

ADDRESS = f"127.88.{os.getpid() % 250}.1"
CAM = f"127.88.{os.getpid() % 250}.13"

ROUTE = (
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
    "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
    "wlan0\t00000000\t00000000\t0001\t0\t0\t600\t00000000\t0\t0\t0\n"
)


def test_default_gateways_from_the_routing_table() -> None:
    assert default_gateways(ROUTE) == [("eth0", "192.168.1.1")]
    assert default_gateways("") == []
    assert default_gateways("header\neth0 00000000 zz 3 0 0 0 00000000\n") == []


def test_gateways_only_on_attached_networks_holding_targets() -> None:
    targets = resolve_targets(["192.168.1.0/24"])
    stage = RouterStage(
        RouterOptions(), targets.ranges, swept_ports=(80,),
        interfaces={"eth0": ["192.168.1.7/24"]}, routes=ROUTE,
    )  # fmt: skip
    assert [g.address for g in stage._route_gateways()] == ["192.168.1.1"]
    elsewhere = RouterStage(
        RouterOptions(), resolve_targets(["10.0.0.0/24"]).ranges, swept_ports=(80,),
        interfaces={"eth0": ["192.168.1.7/24"]}, routes=ROUTE,
    )  # fmt: skip
    assert elsewhere._route_gateways() == []


class _Responder(asyncio.DatagramProtocol):
    """Answers an IGD M-SEARCH with the lab router's LOCATION, and NAT-PMP's question."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.heard: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport is no asyncio.DatagramTransport subclass: duck-typed.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.heard.append(data)
        assert self.transport is not None
        if data.startswith(b"M-SEARCH") and b"InternetGatewayDevice:1" in data:
            self.transport.sendto(
                b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
                b"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                b"USN: uuid:x::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                b"SERVER: Linux UPnP/1.1 labigd/1.0\r\n"
                b"LOCATION: " + self.location.encode() + b"\r\n\r\n",
                addr,
            )
        elif data == b"\x00\x00":
            self.transport.sendto(b"\x00\x80\x00\x00\x00\x00\x00\x10\xcb\x00\x71\x07", addr)


def _same(responder: _Responder) -> _Responder:
    return responder


@pytest_asyncio.fixture
async def home() -> AsyncIterator[tuple[IgdRouter, _Responder]]:
    forwards = (
        PortForward(8554, "TCP", CAM, 554),
        PortForward(9090, "TCP", CAM, 9090),  # a port the sweep did not cover
        PortForward(2323, "TCP", "127.99.0.5", 23),  # outside the targets: never scanned
    )
    router = await IgdRouter(forwards, external_ip="100.64.7.1").start(ADDRESS, 0)
    loop = asyncio.get_running_loop()
    transports = []
    responders = []
    try:
        for port in (1900, 5351):
            responder = _Responder(router.description_url)
            transport, _ = await loop.create_datagram_endpoint(
                partial(_same, responder), local_addr=(ADDRESS, port)
            )
            transports.append(transport)
            responders.append(responder)
        yield router, responders[0]
    finally:
        for transport in transports:
            transport.close()
        await router.close()


def _stage(**options: object) -> RouterStage:
    targets = resolve_targets([f"{CAM[: CAM.rindex('.')]}.0/24"])
    return RouterStage(
        RouterOptions(gateways=(ADDRESS,), timeout=0.6, **options),  # type: ignore[arg-type]
        targets.ranges,
        swept_ports=(554, 80),
        interfaces={},
        routes="",
    )


@pytest.mark.asyncio
async def test_search_read_and_scan_the_forwards(home: tuple[IgdRouter, _Responder]) -> None:
    router, responder = home
    scanned: list[tuple[str, tuple[int, ...]]] = []

    async def scan_more(ip: str, ports: tuple[int, ...]) -> Host | None:
        scanned.append((ip, ports))
        return Host(ip=ip, services=(ServiceResult(9090, Protocol.HTTP),))

    cam = Host(
        ip=CAM,
        identification=Identification(vendor="Dahua"),
        services=(ServiceResult(554, Protocol.RTSP),),
    )
    hosts, exposure = await _stage().enrich([cam], scan_more)
    assert exposure is not None
    (reading,) = exposure.routers
    assert reading.status is RouterStatus.READ
    assert reading.model.endswith("(Linux UPnP/1.1 labigd/1.0)")  # SERVER of the SSDP answer
    assert reading.nat_pmp == "NAT-PMP answers (external address 203.0.113.7)"
    assert any(d.startswith(b"M-SEARCH * HTTP/1.1") for d in responder.heard)
    # Only the in-scope forward the sweep missed is scanned; the out-of-scope one never is.
    assert scanned == [(CAM, (9090,))]
    after = next(h for h in hosts if h.ip == CAM)
    assert {s.port for s in after.services} == {554, 9090}
    assert after.identification.vendor == "Dahua"  # the first scan's identification stays
    assert any("scanned too" in n for n in exposure.notes)
    # A CGNAT address: every path says it may not reach the internet.
    assert all("carrier-grade NAT" in p.caveat for p in exposure.paths)
    outside = next(p for p in exposure.paths if p.host == "127.99.0.5")
    assert "outside the targets" in outside.path
    assert router.writes == []


@pytest.mark.asyncio
async def test_gateway_that_answers_nothing_is_a_blind_spot(
    home: tuple[IgdRouter, _Responder],
) -> None:
    async def scan_more(ip: str, ports: tuple[int, ...]) -> Host | None:
        raise AssertionError("nothing to scan")

    silent = f"127.88.{os.getpid() % 250}.2"  # nothing listens there
    stage = RouterStage(
        RouterOptions(gateways=(silent,), timeout=0.4),
        resolve_targets([silent]).ranges,
        swept_ports=(80,),
        interfaces={},
        routes="",
    )
    hosts, exposure = await stage.enrich([], scan_more)
    assert exposure is not None
    assert exposure.blind
    (reading,) = exposure.routers
    assert reading.status is RouterStatus.NO_UPNP
    assert "could not see the router's forwards" in exposure.notes[0]
    assert hosts == []


@pytest.mark.asyncio
async def test_no_router_and_passive_send_nothing(home: tuple[IgdRouter, _Responder]) -> None:
    router, responder = home

    async def scan_more(ip: str, ports: tuple[int, ...]) -> Host | None:
        raise AssertionError("nothing to scan")

    _, exposure = await _stage(enabled=False).enrich([], scan_more)
    assert exposure is None  # --no-router: no section at all
    _, passive = await _stage(passive=True).enrich([], scan_more)
    assert passive is not None
    assert passive.routers == ()
    assert "passive mode" in passive.notes[0]
    assert responder.heard == []
    assert router.log == []


@pytest.mark.asyncio
async def test_no_gateway_anywhere_says_so() -> None:
    async def scan_more(ip: str, ports: tuple[int, ...]) -> Host | None:
        return None

    stage = RouterStage(
        RouterOptions(), resolve_targets(["127.77.0.11"]).ranges, swept_ports=(80,),
        interfaces={}, routes="",
    )  # fmt: skip
    _, exposure = await stage.enrich([], scan_more)
    assert exposure is not None
    assert exposure.blind
    assert any("name one with --gateway" in n for n in exposure.notes)


@pytest.mark.asyncio
async def test_what_the_search_sends_through_the_datagram_seam() -> None:
    """Scripted seam: exactly the IGD searches and NAT-PMP's question, nowhere else."""
    import ipaddress  # noqa: PLC0415

    from scanner.transport import ScriptedDatagrams  # noqa: PLC0415

    answer = (
        b"HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
        b"LOCATION: http://203.0.113.50:5000/rootDesc.xml\r\n\r\n"  # off the router: not followed
    )
    seam = ScriptedDatagrams(
        {
            ("239.255.255.250", 1900): [("192.168.1.2", answer), ("10.9.9.9", answer)],
            ("192.168.1.1", 5351): [b"\x00\x80\x00\x03\x00\x00\x00\x10"],
        },
        attached=[ipaddress.IPv4Network("192.168.1.0/24")],
    )
    stage = RouterStage(
        RouterOptions(timeout=0.2),
        resolve_targets(["192.168.1.0/24"]).ranges,
        swept_ports=(80,),
        interfaces={"eth0": ["192.168.1.7/24"]},
        routes=ROUTE,
        datagrams=seam,
    )

    async def scan_more(ip: str, ports: tuple[int, ...]) -> Host | None:
        return None

    hosts, exposure = await stage.enrich([], scan_more)
    assert exposure is not None
    destinations = sorted({d for d, _ in seam.sent})
    assert destinations == [
        ("192.168.1.1", 1900),
        ("192.168.1.1", 5351),
        ("239.255.255.250", 1900),
    ]
    for (_host, port), data in seam.sent:
        if port == 1900:
            assert data.startswith(b"M-SEARCH * HTTP/1.1\r\n")
            assert b"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:" in data
        else:
            assert data == b"\x00\x00"
    readings = {r.address: r for r in exposure.routers}
    # The gateway: no UPnP answer (a blind spot), but NAT-PMP answered: a router finding.
    assert readings["192.168.1.1"].status is RouterStatus.NO_UPNP
    assert "network failure" in readings["192.168.1.1"].nat_pmp
    # A second IGD on the LAN answered the multicast search; one off the LAN did not count.
    assert readings["192.168.1.2"].status is RouterStatus.NO_UPNP
    assert "LOCATION is not plain http on its own address" in readings["192.168.1.2"].reason
    assert "10.9.9.9" not in readings
    assert exposure.blind
    assert [f.id for h in hosts for f in h.findings] == ["upnp-igd-open"]
