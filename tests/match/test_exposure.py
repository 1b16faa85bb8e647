"""Exposure findings from what the probes saw, without a network."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from scanner.match import load_signatures
from scanner.match.errors import SignatureError
from scanner.match.exposure import (
    exposure_findings,
    exposure_rules,
    parse_exposure_rules,
    vendor_fix,
    vendor_port_findings,
)
from scanner.models import (
    AuthScheme,
    DeviceType,
    Identification,
    Protocol,
    ServiceResult,
    Severity,
)

SCANNER = Path(__file__).resolve().parents[2] / "scanner"
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


# --- the vendor knowledge is data -----------------------------------------------------------------


def _code_strings(path: Path) -> list[str]:
    """String literals of a module, its docstring left out (prose may name an example)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    strings = [t.string for t in tokens if t.type == tokenize.STRING]
    return strings[1:]


@pytest.mark.parametrize(
    "module",
    ["match/exposure.py", "credentials/findings.py", "discover/mdns.py"],
)
def test_no_vendor_is_named_in_code(module: str) -> None:
    names = {v.name for v in load_signatures().vendors} | {"xmeye", "_axis-video"}
    strings = " ".join(_code_strings(SCANNER / module))
    named = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", strings, re.IGNORECASE)]
    assert not named


def test_the_shipped_rules_cover_the_vendor_ports_and_fixes() -> None:
    rules = exposure_rules()
    assert set(rules.vendor_ports) == {34567, 9527, 37777, 8000}
    assert rules.vendor_ports[9527][0] is Severity.HIGH
    assert vendor_fix("telnet", "Xiongmai", "generic").startswith("Xiongmai-based recorders")
    assert vendor_fix("account", "Hikvision", "generic").startswith("In the web interface")
    assert vendor_fix("account", None, "generic") == "generic"
    assert vendor_fix("onvif", "Unknown Brand", "generic") == "generic"
    # Every vendor the rules name is one the signatures know, spelt as reports print it.
    known = {v.name for v in load_signatures().vendors}
    assert {vendor for fixes in rules.fixes.values() for vendor in fixes} <= known


_PORT_ENTRY = b"fixes: {}\nvendor_ports: [{port: PORT, severity: SEV, title: t, meaning: m}]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"fixes: {}\n", "exactly the sections"),
        (b"fixes: {ftp: {}}\nvendor_ports: []\n", "fixes: kinds are"),
        (
            b"fixes: {}\nvendor_ports: [{port: 70000, severity: low, title: t, meaning: m}]\n",
            "1-65535",
        ),
        (
            b"fixes: {}\nvendor_ports: [{port: 1, severity: dire, title: t, meaning: m}]\n",
            "severity",
        ),
        (b"fixes: {}\nvendor_ports: [{port: 1, severity: low, title: t}]\n", "exactly port"),
        (b"fixes: {telnet: {X: ''}}\nvendor_ports: []\n", "non-empty text"),
        (b"fixes: [\n", "not valid YAML"),
    ],
)
def test_a_broken_rules_file_is_one_signature_error(text: bytes, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        parse_exposure_rules(text, "rules.yaml")
