"""The credential adapters and the whole check against lab devices on loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from scanner.config import Limits, ScanConfig, Timeouts
from scanner.context import ProbeContext
from scanner.credentials.adapters import (
    http_attempt,
    onvif_attempt,
    rtsp_attempt,
    telnet_attempt,
)
from scanner.credentials.checker import CheckStatus, Outcome, check_credentials
from scanner.credentials.custom import parse_creds
from scanner.lab import (
    AuthKind,
    AuthPolicy,
    DeviceSpec,
    HttpConfig,
    HttpRoute,
    Lockout,
    RtspConfig,
    RtspRoute,
    RunningLab,
    ServiceSpec,
    TelnetConfig,
    start_lab,
)
from scanner.lab.devices import hikvision_old
from scanner.lab.onvifd import OnvifConfig
from scanner.match import load_signatures
from scanner.models import DeviceType, ProbeStatus, Protocol, ServiceResult
from scanner.pipeline import scan
from scanner.transport import TcpConnector

TIMEOUTS = Timeouts(credential_pause=0.01)
LIMITS = Limits()


def device(
    key: str,
    ip: str,
    services: tuple[ServiceSpec, ...],
    login: tuple[str, str],
    lockout: Lockout | None = None,
) -> DeviceSpec:
    return DeviceSpec(
        key=key,
        name=key,
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="test device",
        problems=(),
        expected_findings=(),
        credentials={s.protocol: login for s in services},
        services=services,
        lockout=lockout,
    )


def http_service(kind: AuthKind) -> ServiceSpec:
    config = HttpConfig(
        server="test",
        auth=AuthPolicy(realm="cam", schemes=(kind,)),
        routes=(HttpRoute("/", body=b"<title>cam</title>", auth=True),),
    )
    return ServiceSpec(80, Protocol.HTTP, config)


RTSP = ServiceSpec(
    554,
    Protocol.RTSP,
    RtspConfig(server="test", auth=AuthPolicy(realm="cam"), routes=(RtspRoute("/live/ch0"),)),
)
TELNET = ServiceSpec(23, Protocol.TELNET, TelnetConfig())
ONVIF = OnvifConfig(manufacturer="Acme", model="C1", firmware="1.0", serial="1", hardware_id="1")


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    devices = (
        device("basic", "127.77.8.1", (http_service(AuthKind.BASIC),), ("admin", "admin")),
        device("digest", "127.77.8.2", (http_service(AuthKind.DIGEST),), ("admin", "")),
        device("rtsp", "127.77.8.3", (RTSP,), ("admin", "12345")),
        device("telnet", "127.77.8.4", (TELNET,), ("root", "xc3511")),
        device(
            "onvif",
            "127.77.8.6",
            (
                ServiceSpec(
                    80,
                    Protocol.HTTP,
                    HttpConfig(server="test", routes=(HttpRoute("/"),), onvif=ONVIF),
                ),
            ),
            ("admin", "admin"),
        ),
        device(
            "locking",
            "127.77.8.5",
            (RTSP, http_service(AuthKind.DIGEST)),
            ("admin", "Str0ng-and-unique"),
            lockout=Lockout(max_failures=4, seconds=60),
        ),
    )
    async with await start_lab(devices, standard_ports=False) as running:
        yield running


CANDIDATES = [("admin", "12345"), ("admin", "admin"), ("admin", "")]


@pytest.mark.asyncio
@pytest.mark.parametrize(("key", "expected"), [("basic", "admin"), ("digest", "")])
async def test_http_basic_and_digest_defaults_are_found(
    lab: RunningLab, key: str, expected: str
) -> None:
    dev = lab.device(key)
    scheme = dev.spec.services[0].config.auth.schemes[0].value  # type: ignore[union-attr]
    attempt = http_attempt(
        ProbeContext(timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(80),
        "/",
        tls=False,
        scheme=scheme,
    )
    assert (await attempt(None)).outcome is Outcome.REFUSED
    check = await check_credentials(attempt, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.FOUND
    assert check.pair == ("admin", expected)


@pytest.mark.asyncio
async def test_rtsp_digest_default_is_found(lab: RunningLab) -> None:
    dev = lab.device("rtsp")
    attempt = rtsp_attempt(
        ProbeContext(connector=TcpConnector(), timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(554),
        "/live/ch0",
    )
    check = await check_credentials(attempt, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.FOUND
    assert check.pair == ("admin", "12345")


@pytest.mark.asyncio
async def test_telnet_login_default_is_found(lab: RunningLab) -> None:
    dev = lab.device("telnet")
    probe = ServiceResult(
        port=dev.port(23),
        protocol=Protocol.TELNET,
        status=ProbeStatus.OK,
        login_prompt=True,
        fields={"telnet.prompt": "LocalHost login:"},
    )
    attempt = telnet_attempt(
        ProbeContext(connector=TcpConnector(), timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(23),
        probe,
    )
    check = await check_credentials(
        attempt, [("root", "vizxv"), ("root", "xc3511")], budget=3, pause=0
    )
    assert check.status is CheckStatus.FOUND
    assert check.pair == ("root", "xc3511")


@pytest.mark.asyncio
async def test_a_device_that_locks_after_four_failures_is_not_locked_by_a_default_scan(
    lab: RunningLab,
) -> None:
    dev = lab.device("locking")
    config = ScanConfig(
        targets=(),
        target_specs=(dev.ip,),
        ports=tuple(dev.ports.values()),
        port_protocols=lab.port_protocols(),
        timeouts=TIMEOUTS,
    )
    report = await scan(config, load_signatures(), [dev.ip], 1)
    assert report.hosts
    assert not [f for f in report.hosts[0].findings if f.id.startswith("default-credentials")]
    # The owner's real password still works: the scan did not lock the device.
    attempt = rtsp_attempt(
        ProbeContext(connector=TcpConnector(), timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(554),
        "/live/ch0",
    )
    result = await attempt(("admin", "Str0ng-and-unique"))
    assert result.outcome is Outcome.ACCEPTED, result.detail


@pytest.mark.asyncio
async def test_lockout_answers_stop_the_check(lab: RunningLab) -> None:
    dev = lab.device("locking")
    attempt = rtsp_attempt(
        ProbeContext(connector=TcpConnector(), timeouts=TIMEOUTS, limits=LIMITS),
        dev.ip,
        dev.port(554),
        "/live/ch0",
    )
    wrong = [("admin", f"wrong{i}") for i in range(10)]
    check = await check_credentials(attempt, wrong, budget=10, pause=0)
    # Four failures lock the device; the fifth answer says so and the check stops there.
    assert check.status in (CheckStatus.LOCKED_OUT, CheckStatus.INCONCLUSIVE)
    assert check.attempts == 5


@pytest.mark.asyncio
async def test_onvif_ws_security_default_is_found(lab: RunningLab) -> None:
    dev = lab.device("onvif")
    attempt = onvif_attempt(
        ProbeContext(timeouts=TIMEOUTS, limits=LIMITS), dev.ip, dev.port(80), tls=False
    )
    assert (await attempt(None)).outcome is Outcome.REFUSED
    check = await check_credentials(attempt, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.FOUND
    assert check.pair == ("admin", "admin")


@pytest.mark.asyncio
async def test_scan_reports_the_onvif_default_login(lab: RunningLab) -> None:
    dev = lab.device("onvif")
    config = ScanConfig(
        targets=(),
        target_specs=(dev.ip,),
        ports=tuple(dev.ports.values()),
        port_protocols=lab.port_protocols(),
        timeouts=TIMEOUTS,
    )
    report = await scan(config, load_signatures(), [dev.ip], 1)
    services = {s.protocol for s in report.hosts[0].services}
    assert Protocol.ONVIF in services
    ids = {f.id for f in report.hosts[0].findings}
    assert "default-credentials-onvif" in ids
    assert "onvif-unauthenticated-info" not in ids


@pytest.mark.asyncio
async def test_a_pair_from_the_users_list_is_tried_first_and_named_as_such(
    lab: RunningLab,
) -> None:
    dev = lab.device("locking")
    config = ScanConfig(
        targets=(),
        target_specs=(dev.ip,),
        ports=tuple(dev.ports.values()),
        port_protocols=lab.port_protocols(),
        timeouts=TIMEOUTS,
        custom_credentials=parse_creds("rtsp admin:Str0ng-and-unique\n"),
    )
    report = await scan(config, load_signatures(), [dev.ip], 1)
    by_id = {f.id: f for f in report.hosts[0].findings}
    assert "listed-credentials-rtsp" in by_id
    assert by_id["listed-credentials-rtsp"].secret == "Str0ng-and-unique"
    assert not any(i.startswith("default-credentials") for i in by_id)


@pytest.mark.asyncio
async def test_hikvision_web_login_is_checked_on_its_isapi_endpoint() -> None:
    # Hikvision's home page is a script-driven form (200 without a login); the password is
    # checked on /ISAPI/Security/userCheck with Basic, which signatures/routes.yaml names.
    spec = dataclasses.replace(
        hikvision_old("hik-default", "127.77.8.20"),
        credentials={Protocol.HTTP: ("admin", "12345"), Protocol.RTSP: ("admin", "12345")},
    )
    async with await start_lab((spec,), standard_ports=False) as running:
        dev = running.device("hik-default")
        config = ScanConfig(
            targets=(),
            target_specs=(dev.ip,),
            ports=tuple(dev.ports.values()),
            port_protocols=running.port_protocols(),
            timeouts=TIMEOUTS,
        )
        report = await scan(config, load_signatures(), [dev.ip], 1)
    by_id = {f.id: f for f in report.hosts[0].findings}
    assert by_id["default-credentials-http"].secret == "12345"
    assert (
        "GET /ISAPI/Security/userCheck answered 401" in by_id["default-credentials-http"].evidence
    )
    assert "default-credentials-rtsp" in by_id
