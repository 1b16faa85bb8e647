"""Devices that accept anything get one accurate finding each, never false ones (issue 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from scanner.config import ScanConfig, Timeouts
from scanner.lab import (
    AuthKind,
    AuthPolicy,
    DeviceSpec,
    HttpConfig,
    HttpRoute,
    RtspConfig,
    RtspRoute,
    RunningLab,
    ServiceSpec,
    start_lab,
)
from scanner.match import load_signatures
from scanner.models import DeviceType, Host, Protocol
from scanner.pipeline import scan


def spec(key: str, ip: str, service: ServiceSpec) -> DeviceSpec:
    return DeviceSpec(
        key=key,
        name=key,
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="accepts anything",
        problems=(),
        expected_findings=(),
        credentials={service.protocol: ("admin", "Not-A-Default-9")},
        services=(service,),
    )


ANY_ROUTE = ServiceSpec(
    554,
    Protocol.RTSP,
    RtspConfig(
        server="Rtsp Server/2.0",
        routes=(RtspRoute("/live/ch0", auth=False),),
        accepts_any_route=True,
    ),
)
ANY_PASSWORD = ServiceSpec(
    80,
    Protocol.HTTP,
    HttpConfig(
        server="Boa/0.94.14rc21",
        auth=AuthPolicy(realm="IPCamera Login", schemes=(AuthKind.BASIC,), accept_any=True),
        routes=(HttpRoute("/", body=b"<title>IPCamera</title>", auth=True),),
    ),
)


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    devices = (
        spec("any-route", "127.77.3.1", ANY_ROUTE),
        spec("any-password", "127.77.3.2", ANY_PASSWORD),
    )
    async with await start_lab(devices, standard_ports=False) as running:
        yield running


async def scan_one(lab: RunningLab, key: str) -> Host:
    dev = lab.device(key)
    config = ScanConfig(
        targets=(),
        target_specs=(dev.ip,),
        ports=tuple(dev.ports.values()),
        port_protocols=lab.port_protocols(),
        timeouts=Timeouts(credential_pause=0.01),
    )
    report = await scan(config, load_signatures(), [dev.ip], 1)
    return report.hosts[0]


@pytest.mark.asyncio
async def test_rtsp_that_answers_any_route_is_one_finding(lab: RunningLab) -> None:
    host = await scan_one(lab, "any-route")
    ids = [f.id for f in host.findings]
    assert ids.count("rtsp-accepts-any-route") == 1
    assert "rtsp-unauthenticated-stream" not in ids


@pytest.mark.asyncio
async def test_http_that_accepts_any_password_is_not_a_default_password(lab: RunningLab) -> None:
    host = await scan_one(lab, "any-password")
    ids = [f.id for f in host.findings]
    assert ids.count("accepts-any-credentials-http") == 1
    assert not any(i.startswith("default-credentials") for i in ids)


VENDOR_ROUTE_ONLY = (
    ServiceSpec(
        80,
        Protocol.HTTP,
        HttpConfig(server="App-webs/", routes=(HttpRoute("/", body=b"<title>x</title>"),)),
    ),
    ServiceSpec(
        554,
        Protocol.RTSP,
        RtspConfig(server=None, routes=(RtspRoute("/h264/ch1/sub/av_stream", auth=False),)),
    ),
)


@pytest.mark.asyncio
async def test_the_identified_vendors_own_routes_are_tried_after_the_generic_ones() -> None:
    device = DeviceSpec(
        key="hik-sub-only",
        name="hik",
        ip="127.77.3.3",
        vendor="Hikvision",
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="serves only a Hikvision sub-stream route, without a password",
        problems=(),
        expected_findings=(),
        credentials={},
        services=VENDOR_ROUTE_ONLY,
    )
    async with await start_lab((device,), standard_ports=False) as running:
        host = await scan_one(running, "hik-sub-only")
    assert host.identification.vendor == "Hikvision"
    finding = next(f for f in host.findings if f.id == "rtsp-unauthenticated-stream")
    assert "/h264/ch1/sub/av_stream" in finding.evidence
