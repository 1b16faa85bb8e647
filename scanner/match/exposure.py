"""Exposure findings that need no signature: what the probes saw on the wire is itself the problem.

Open Telnet, RTSP streams served without a password, RTSP servers that answer any route, ONVIF
that answers without a login, and open vendor control ports. Vendor knowledge (the vendor's own
menus for the fix, what each vendor port carries) is data in signatures/exposure/rules.yaml;
everything else gets a concrete generic fix written here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from scanner.match.errors import LintError, SignatureError
from scanner.match.shipped import shipped_dir
from scanner.models import (
    AuthScheme,
    Basis,
    Confidence,
    DeviceType,
    Finding,
    Identification,
    Protocol,
    ServiceResult,
    Severity,
)

__all__ = [
    "ExposureRules",
    "exposure_findings",
    "exposure_rules",
    "parse_exposure_rules",
    "vendor_fix",
    "vendor_port_findings",
]

_RULES_FILE = "rules.yaml"
_FIX_KINDS = ("telnet", "account", "onvif")

_SHELL_PROMPT_ENDINGS = ("#", "$", ">")
_GENERIC_TELNET_FIX = (
    "Turn Telnet off in the device's network or security settings (it sends passwords in clear "
    "text and gives a shell). If the device offers no such switch, update its firmware, block "
    "port 23 on your router, and consider replacing it."
)

_STREAM_FIX = (
    "Turn on RTSP authentication (often under Network > RTSP or Video > Stream settings) so the "
    "video needs a password, or turn RTSP off if no recorder or app uses it; block port 554 "
    "from networks you do not trust."
)


@dataclass(frozen=True, slots=True)
class ExposureRules:
    """signatures/exposure/rules.yaml: vendor words for each kind of fix, and vendor ports."""

    fixes: Mapping[str, Mapping[str, str]]  # kind -> vendor name -> fix
    vendor_ports: Mapping[int, tuple[Severity, str, str]]  # port -> severity, title, meaning


def _fail(source: str, message: str, value: object = "") -> SignatureError:
    return SignatureError([LintError(source, 0, message, str(value)[:80])])


def _text(value: object, source: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"{what} must be non-empty text", value)
    return " ".join(value.split())


def parse_exposure_rules(data: bytes, source: str) -> ExposureRules:
    """Validate the rules file into typed objects; raises :class:`SignatureError` only."""
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise _fail(source, "not valid YAML", exc) from None
    if not isinstance(doc, dict) or set(doc) != {"fixes", "vendor_ports"}:
        raise _fail(source, "expected exactly the sections fixes and vendor_ports")
    fixes_doc = doc["fixes"]
    if not isinstance(fixes_doc, dict) or not set(fixes_doc) <= set(_FIX_KINDS):
        raise _fail(source, f"fixes: kinds are {', '.join(_FIX_KINDS)}", fixes_doc)
    fixes: dict[str, dict[str, str]] = {}
    for kind, by_vendor in fixes_doc.items():
        if not isinstance(by_vendor, dict):
            raise _fail(source, f"fixes.{kind} must map a vendor name to its fix", by_vendor)
        fixes[kind] = {
            _text(vendor, source, f"fixes.{kind} vendor"): _text(fix, source, f"fixes.{kind}")
            for vendor, fix in by_vendor.items()
        }
    ports: dict[int, tuple[Severity, str, str]] = {}
    entries = doc["vendor_ports"]
    if not isinstance(entries, list):
        raise _fail(source, "vendor_ports must be a list", entries)
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"port", "severity", "title", "meaning"}:
            raise _fail(source, "a vendor port has exactly port, severity, title, meaning", entry)
        port = entry["port"]
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise _fail(source, "port must be 1-65535", port)
        if port in ports:
            raise _fail(source, "port listed twice", port)
        try:
            severity = Severity(entry["severity"])
        except ValueError:
            raise _fail(source, "unknown severity", entry["severity"]) from None
        ports[port] = (
            severity,
            _text(entry["title"], source, "title"),
            _text(entry["meaning"], source, "meaning"),
        )
    return ExposureRules(fixes, ports)


@functools.lru_cache(maxsize=1)
def exposure_rules() -> ExposureRules:
    """The shipped rules, read and validated once per process."""
    path = shipped_dir() / "exposure" / _RULES_FILE
    return parse_exposure_rules(path.read_bytes(), str(path))


def vendor_fix(kind: str, vendor: str | None, generic: str) -> str:
    """The vendor's own words for a ``kind`` of fix, or ``generic``."""
    return exposure_rules().fixes.get(kind, {}).get(vendor or "", generic)


def _device_word(ident: Identification) -> str:
    if ident.device_type is DeviceType.RECORDER:
        return "recorder"
    if ident.device_type is DeviceType.CAMERA:
        return "camera"
    return "device"


def _label(ident: Identification) -> str:
    parts = [p for p in (ident.vendor, ident.model) if p]
    return " ".join(parts) if parts else f"this {_device_word(ident)}"


# Vendor control ports: what their exposure means is in the rules file. 9530 (Xiongmai's Telnet
# unlock) is a signature of its own (xiongmai-telnet-unlock-9530).
_VENDOR_PORT_FIX = (
    "Keep this port off the internet: remove any port-forward for it on your router and turn "
    "off UPnP there, so the device cannot open it by itself. If you use the vendor's phone "
    "app only at home, also turn off the device's cloud (P2P) service."
)


def vendor_port_findings(ident: Identification, open_ports: Sequence[int]) -> list[Finding]:
    """Open vendor control ports on a camera or recorder: what each exposure means.

    The port number alone names the service here (these ports say nothing first), so the
    confidence is firm, not confirmed.
    """
    if ident.device_type not in (DeviceType.CAMERA, DeviceType.RECORDER):
        return []
    findings = []
    rules = exposure_rules().vendor_ports
    for port in sorted(set(open_ports) & set(rules)):
        severity, title, meaning = rules[port]
        findings.append(
            Finding(
                id=f"vendor-port-{port}",
                title=title,
                severity=severity,
                confidence=Confidence.FIRM,
                evidence=f"port {port} accepted a connection. {meaning}",
                remediation=_VENDOR_PORT_FIX,
                port=port,
                basis=Basis.PORT,
            )
        )
    return findings


def exposure_findings(ident: Identification, services: Sequence[ServiceResult]) -> list[Finding]:
    """Telnet open, RTSP streams served without a password, RTSP servers that answer anything."""
    findings: list[Finding] = []
    camera_like = ident.device_type in (DeviceType.CAMERA, DeviceType.RECORDER, DeviceType.UNKNOWN)
    for svc in services:
        # A port mapped to Telnet that never said anything is not proven to be Telnet.
        spoke = bool(svc.fields.get("telnet.banner")) or svc.login_prompt
        if svc.protocol is Protocol.TELNET and camera_like and svc.status == "ok" and spoke:
            prompt = svc.fields.get("telnet.prompt", "").rstrip()
            shell = bool(prompt) and prompt.endswith(_SHELL_PROMPT_ENDINGS) and svc.login_prompt
            severity = (
                Severity.HIGH if ident.device_type is not DeviceType.UNKNOWN else Severity.MEDIUM
            )
            findings.append(
                Finding(
                    id="telnet-open",
                    title=f"Telnet is open on {_label(ident)}",
                    severity=Severity.CRITICAL if shell else severity,
                    confidence=Confidence.CONFIRMED,
                    evidence=(
                        f"port {svc.port} answered as Telnet"
                        + (f" with the prompt {prompt!r}" if prompt else "")
                        + (": a shell with no login at all" if shell else "")
                    ),
                    remediation=vendor_fix("telnet", ident.vendor, _GENERIC_TELNET_FIX),
                    port=svc.port,
                )
            )
        if svc.protocol is Protocol.ONVIF and svc.status == "ok":
            findings.extend(_onvif_findings(ident, svc))
        if svc.protocol is not Protocol.RTSP:
            continue
        if svc.accepts_any_route:
            findings.append(
                Finding(
                    id="rtsp-accepts-any-route",
                    title="RTSP server answers any stream path without a password",
                    severity=Severity.MEDIUM,
                    confidence=Confidence.FIRM,
                    evidence=(
                        f"DESCRIBE of a random path on port {svc.port} returned 200 without "
                        "credentials, so individual stream paths cannot be told apart; check "
                        "the stream with a video player"
                    ),
                    remediation=_STREAM_FIX,
                    port=svc.port,
                )
            )
        elif svc.open_routes:
            routes = ", ".join(svc.open_routes)
            video = svc.fields.get("rtsp.video")
            silent = svc.fields.get("rtsp.no_video")
            proof = ""
            if video:
                proof += f"; video packets arrived after PLAY on {video}"
            if silent:
                proof += f"; no video arrived after PLAY on {silent}"
            findings.append(
                Finding(
                    id="rtsp-unauthenticated-stream",
                    title="Video stream is served without a password",
                    severity=Severity.HIGH,
                    confidence=Confidence.CONFIRMED,
                    evidence=(
                        f"DESCRIBE returned a stream description without credentials on port "
                        f"{svc.port} for: {routes} (a random path was refused){proof}"
                    ),
                    remediation=_STREAM_FIX,
                    port=svc.port,
                )
            )
    return findings


_GENERIC_ONVIF_FIX = (
    "Turn on ONVIF authentication in the camera's network or integration settings, give the "
    "ONVIF user a strong password, and turn ONVIF off if no recorder or app uses it; update the "
    "firmware if the setting is missing."
)
_ONVIF_INFO = (
    ("onvif.manufacturer", "maker"),
    ("onvif.model", "model"),
    ("onvif.firmware", "firmware"),
)


def _onvif_findings(ident: Identification, svc: ServiceResult) -> list[Finding]:
    """ONVIF Core puts GetDeviceInformation (READ_SYSTEM) and the media calls (READ_MEDIA)
    behind a login; a device that answers them to anyone is misconfigured or old."""
    if svc.auth is not AuthScheme.NONE:
        return []
    fix = vendor_fix("onvif", ident.vendor, _GENERIC_ONVIF_FIX)
    told = ", ".join(
        f"{label} {svc.fields[key]!r}" for key, label in _ONVIF_INFO if key in svc.fields
    )
    findings = [
        Finding(
            id="onvif-unauthenticated-info",
            title="ONVIF tells anyone what this device is",
            severity=Severity.LOW,
            confidence=Confidence.CONFIRMED,
            evidence=f"GetDeviceInformation on port {svc.port} answered without a login: {told}",
            remediation=fix,
            port=svc.port,
        )
    ]
    uri = svc.fields.get("onvif.stream_uri")
    if uri:
        findings.append(
            Finding(
                id="onvif-unauthenticated-media",
                title="ONVIF gives anyone the addresses of the video streams",
                severity=Severity.MEDIUM,
                confidence=Confidence.CONFIRMED,
                evidence=f"GetStreamUri on port {svc.port} answered without a login: {uri!r}",
                remediation=fix,
                port=svc.port,
            )
        )
    return findings
