"""identify() on the evidence the lab devices emit (docs/architecture.md) and on mixed hosts."""

from __future__ import annotations

import time

import pytest

from scanner.match import load_signatures
from scanner.models import AuthScheme, DeviceType, Identification, ProbeStatus, Protocol
from scanner.models import ServiceResult as S

SIGS = load_signatures()

HIKVISION_OLD = (
    [
        S(
            80,
            Protocol.HTTP,
            auth=AuthScheme.BASIC,
            fields={
                "http.status": "200",
                "http.server": "App-webs/",
                "http.location": "/doc/page/login.asp",
                "http.title": "Hikvision Web Login",
                "http.body": "<html><head><title>Hikvision Web Login</title>"
                '<script src="../script/login.js?version=V5.2.5build141201"></script>',
                "http.realm": "DS-2CD2032-I",
                "http.auth": "basic",
            },
        ),
        S(
            554,
            Protocol.RTSP,
            auth=AuthScheme.DIGEST,
            fields={
                "rtsp.public": "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, "
                "GET_PARAMETER",
                "rtsp.realm": "IP Camera(C12345)",
                "rtsp.auth": "digest",
            },
        ),
        S(8000, Protocol.TCP),
    ],
    [80, 554, 8000],
)
DAHUA_DEFAULT = (
    [
        S(
            554,
            Protocol.RTSP,
            fields={
                "rtsp.server": "Dahua Rtsp Server",
                "rtsp.public": "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY",
                "rtsp.realm": "Login to 4K01234PAZ00000",
                "rtsp.auth": "digest",
            },
        ),
        S(80, Protocol.HTTP, fields={"http.status": "200", "http.title": "WEB SERVICE"}),
        S(37777, Protocol.TCP),
    ],
    [80, 554, 37777],
)
XIONGMAI_DVR = (
    [
        S(
            23,
            Protocol.TELNET,
            login_prompt=True,
            fields={
                "telnet.banner": "\r\nLocalHost login: ",
                "telnet.prompt": "LocalHost login:",
            },
        ),
        S(
            80,
            Protocol.HTTP,
            fields={
                "http.status": "200",
                "http.server": "uc-httpd 1.0.0",
                "http.title": "NETSurveillance WEB",
            },
        ),
        S(34567, Protocol.TCP, status=ProbeStatus.TIMEOUT, reason="silent"),
    ],
    [23, 80, 34567],
)
OPEN_RTSP = (
    [
        S(
            554,
            Protocol.RTSP,
            auth=AuthScheme.NONE,
            open_routes=("/live/ch0", "/live/ch1"),
            fields={
                "rtsp.server": "Rtsp Server/2.0",
                "rtsp.public": "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY",
                "rtsp.auth": "none",
                "rtsp.sdp": "v=0\r\no=- 1 1 IN IP4 127.77.0.14\r\ns=live\r\nt=0 0\r\n"
                "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
            },
        ),
        S(
            80,
            Protocol.HTTP,
            fields={
                "http.status": "200",
                "http.server": "thttpd/2.25b",
                "http.title": "IPCAM",
            },
        ),
    ],
    [80, 554],
)
AXIS_HARDENED = (
    [
        S(
            80,
            Protocol.HTTP,
            fields={
                "http.status": "200",
                "http.server": "Apache",
                "http.title": "AXIS",
                "http.realm": "AXIS_ACCC8E123456",
                "http.auth": "digest",
            },
        ),
        S(
            554,
            Protocol.RTSP,
            fields={
                "rtsp.server": "GStreamer RTSP server",
                "rtsp.realm": "AXIS_ACCC8E123456",
                "rtsp.auth": "digest",
            },
        ),
    ],
    [80, 554],
)
PRINTER = (
    [
        S(
            80,
            Protocol.HTTP,
            fields={
                "http.status": "200",
                "http.server": "HP HTTP Server; HP LaserJet Pro M404dn - W1A52A; Serial Number: "
                "PHBXX00000; Built:Mon Jan 10, 2022 FW 002.2201A",
                "http.title": "HP LaserJet Pro M404dn",
            },
        ),
    ],
    [80],
)

LAB = {
    "hikvision-old": (
        HIKVISION_OLD,
        "Hikvision",
        "DS-2CD2032-I",
        "V5.2.5 build 141201",
        DeviceType.CAMERA,
    ),
    "dahua-default": (DAHUA_DEFAULT, "Dahua", None, None, DeviceType.CAMERA),
    "xiongmai-dvr": (XIONGMAI_DVR, "Xiongmai", None, None, DeviceType.RECORDER),
    "open-rtsp": (OPEN_RTSP, None, None, None, DeviceType.CAMERA),
    "axis-hardened": (AXIS_HARDENED, "Axis", None, None, DeviceType.CAMERA),
    "printer": (PRINTER, "HP", "LaserJet Pro M404dn", "002.2201A", DeviceType.OTHER),
}


@pytest.mark.parametrize("device", sorted(LAB))
def test_lab_device_is_identified(device: str) -> None:
    (services, ports), vendor, model, firmware, dtype = LAB[device]
    ident = SIGS.identify(services, ports)
    assert (ident.vendor, ident.model, ident.firmware, ident.device_type) == (
        vendor,
        model,
        firmware,
        dtype,
    )
    assert ident.identified_by
    assert len(ident.identified_by) >= len(ident.fingerprint_ids)


def test_lab_high_ports_still_identify() -> None:
    # Without root the lab puts ports below 1024 at 10000 + port; evidence must still count.
    services = [
        S(10000 + s.port if s.port < 1024 else s.port, s.protocol, fields=dict(s.fields))
        for s in DAHUA_DEFAULT[0]
    ]
    ident = SIGS.identify(services, [s.port for s in services])
    assert ident.vendor == "Dahua"
    assert (
        "fingerprint dahua-rtsp-server: rtsp.server on port 10554 = 'Dahua Rtsp Server'"
        in ident.identified_by
    )


def test_identified_by_lines() -> None:
    ident = SIGS.identify(*DAHUA_DEFAULT)
    assert ident.identified_by[0] == (
        "fingerprint dahua-rtsp-server: rtsp.server on port 554 = 'Dahua Rtsp Server'"
    )
    assert "fingerprint dahua-private-port: port 37777 open" in ident.identified_by
    hik = SIGS.identify(*HIKVISION_OLD)
    assert (
        "fingerprint hikvision-webs-server: http.server on port 80 = 'App-webs/'; "
        "firmware 'V5.2.5 build 141201' from http.body on port 80"
    ) in hik.identified_by
    assert "hikvision-isapi-realm-camera" in hik.fingerprint_ids
    assert hik.fingerprint_ids[0] == "hikvision-isapi-realm-camera"  # strongest first


def test_printer_is_never_a_camera_even_beside_weak_camera_hints() -> None:
    services, ports = PRINTER
    ident = SIGS.identify(
        [*services, S(554, Protocol.RTSP, fields={"rtsp.public": "OPTIONS, DESCRIBE"})],
        [*ports, 554],
    )
    assert ident.vendor == "HP"
    assert ident.device_type is DeviceType.OTHER


def test_strongest_vendor_wins_and_losers_are_listed() -> None:
    services = [
        S(80, Protocol.HTTP, fields={"http.title": "WEB SERVICE"}),  # dahua, 70
        S(8080, Protocol.HTTP, fields={"http.realm": "DS-2CD2032-I"}),  # hikvision, 90
    ]
    ident = SIGS.identify(services, [80, 8080])
    assert ident.vendor == "Hikvision"
    assert ident.model == "DS-2CD2032-I"
    assert "dahua-web-service-title" not in ident.fingerprint_ids
    assert (
        "fingerprint dahua-web-service-title (vendor Dahua, outweighed): "
        "http.title on port 80 = 'WEB SERVICE'"
    ) in ident.identified_by


def test_recorder_model_decides_device_type() -> None:
    services = [
        S(80, Protocol.HTTP, fields={"http.server": "App-webs/", "http.realm": "DS-7608NI-K2"})
    ]
    ident = SIGS.identify(services, [80])
    assert (ident.vendor, ident.model, ident.device_type) == (
        "Hikvision",
        "DS-7608NI-K2",
        DeviceType.RECORDER,
    )


def test_ports_alone_need_every_listed_port() -> None:
    assert SIGS.identify([], [8000]) == Identification()
    assert SIGS.identify([], [554, 8000]).vendor == "Hikvision"
    assert SIGS.identify([], [34567]).device_type is DeviceType.RECORDER


def test_nothing_known_is_unknown() -> None:
    services = [S(80, Protocol.HTTP, fields={"http.server": "nginx", "http.title": "Welcome"})]
    assert SIGS.identify(services, [80]) == Identification()
    assert SIGS.identify([], []) == Identification()


def test_hostile_values_are_bounded_and_cleaned() -> None:
    body = "version=V5.2.5\x00\x1b[31m" + "a" * 200_000
    services = [
        S(
            80,
            Protocol.HTTP,
            fields={
                "http.server": "App-webs/",
                "http.realm": "DS-2CD2032-I",
                "http.body": body,
                "http.title": "(" * 50_000 + "Hikvision",
            },
        ),
        S(81, Protocol.HTTP, fields={"http.title": 42, "http.weird": "x"}),  # type: ignore[dict-item]
    ]
    started = time.monotonic()
    ident = SIGS.identify(services, [80, 81])
    assert time.monotonic() - started < 2.0
    assert ident.vendor == "Hikvision"
    assert ident.firmware is None  # "V5.2.5" without a build does not fit the URL pattern


def test_extracted_values_are_printable_one_line() -> None:
    services = [
        S(
            80,
            Protocol.HTTP,
            fields={
                "http.server": "HP HTTP Server; HP Laser\x07Jet   Pro\tM404dn - W1A52A; x",
            },
        )
    ]
    ident = SIGS.identify(services, [80])
    assert ident.model == "Laser Jet Pro M404dn"
