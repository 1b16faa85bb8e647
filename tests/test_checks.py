"""Exposure findings from what the probes saw, without a network."""

from __future__ import annotations

from scanner.checks import exposure_findings, vendor_port_findings
from scanner.models import (
    AuthScheme,
    DeviceType,
    Identification,
    Protocol,
    ServiceResult,
    Severity,
)

CAMERA = Identification(vendor="Hikvision", device_type=DeviceType.CAMERA)


def ids(services: list[ServiceResult], ident: Identification = CAMERA) -> dict[str, Severity]:
    return {f.id: f.severity for f in exposure_findings(ident, services)}


def test_open_onvif_leaks_identity_and_stream_addresses() -> None:
    svc = ServiceResult(
        port=80,
        protocol=Protocol.ONVIF,
        auth=AuthScheme.NONE,
        fields={
            "onvif.manufacturer": "HIKVISION",
            "onvif.model": "DS-2CD2143G0-I",
            "onvif.stream_uri": "rtsp://127.0.0.1:554/Streaming/Channels/101",
        },
    )
    found = exposure_findings(CAMERA, [svc])
    assert {f.id: f.severity for f in found} == {
        "onvif-unauthenticated-info": Severity.LOW,
        "onvif-unauthenticated-media": Severity.MEDIUM,
    }
    assert "DS-2CD2143G0-I" in found[0].evidence
    assert "Integration Protocol" in found[0].remediation  # Hikvision's own menu


def test_protected_onvif_is_not_a_finding() -> None:
    svc = ServiceResult(port=80, protocol=Protocol.ONVIF, auth=AuthScheme.UNKNOWN)
    assert ids([svc]) == {}


def test_telnet_on_a_camera_is_high_and_a_shell_without_login_critical() -> None:
    login = ServiceResult(
        port=23,
        protocol=Protocol.TELNET,
        login_prompt=True,
        fields={"telnet.prompt": "LocalHost login:"},
    )
    shell = ServiceResult(
        port=23, protocol=Protocol.TELNET, login_prompt=True, fields={"telnet.prompt": "~ #"}
    )
    assert ids([login]) == {"telnet-open": Severity.HIGH}
    assert ids([shell]) == {"telnet-open": Severity.CRITICAL}
    unknown = Identification()
    assert ids([login], unknown) == {"telnet-open": Severity.MEDIUM}
    printer = Identification(vendor="HP", device_type=DeviceType.OTHER)
    assert ids([login], printer) == {}


def test_rtsp_open_routes_and_accept_anything_are_told_apart() -> None:
    open_routes = ServiceResult(port=554, protocol=Protocol.RTSP, open_routes=("/live/ch0",))
    anything = ServiceResult(
        port=554, protocol=Protocol.RTSP, open_routes=("/live/ch0",), accepts_any_route=True
    )
    assert ids([open_routes]) == {"rtsp-unauthenticated-stream": Severity.HIGH}
    assert ids([anything]) == {"rtsp-accepts-any-route": Severity.MEDIUM}


def test_vendor_control_ports_on_cameras_say_what_their_exposure_means() -> None:
    xm = Identification(vendor="Xiongmai", device_type=DeviceType.RECORDER)
    found = {f.id: f for f in vendor_port_findings(xm, [80, 34567, 9527, 23])}
    assert set(found) == {"vendor-port-34567", "vendor-port-9527"}
    assert found["vendor-port-9527"].severity is Severity.HIGH
    assert "port-forward" in found["vendor-port-34567"].remediation
    printer = Identification(vendor="HP", device_type=DeviceType.OTHER)
    assert vendor_port_findings(printer, [8000]) == []


def test_a_silent_port_mapped_to_telnet_is_not_reported_as_telnet() -> None:
    silent = ServiceResult(port=23, protocol=Protocol.TELNET, reason="no text before the deadline")
    assert ids([silent]) == {}
