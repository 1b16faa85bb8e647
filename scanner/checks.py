"""Exposure findings that need no signature: what the probes saw on the wire is itself the problem.

Vendor-specific words for the fix come from ``_VENDOR_HINTS`` where we know the vendor's menus;
everything else gets a concrete generic fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.credentials.checker import CheckStatus, CredentialCheck, mask
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

_SHELL_PROMPT_ENDINGS = ("#", "$", ">")

_TELNET_FIX = {
    "Xiongmai": (
        "Xiongmai-based recorders keep Telnet on in many firmware builds and the web interface "
        "cannot turn it off. Install the newest firmware from the brand on your device's label, "
        "block port 23 (and 9527, 9530) on your router, and replace the recorder if no update "
        "closes Telnet."
    ),
}
_GENERIC_TELNET_FIX = (
    "Turn Telnet off in the device's network or security settings (it sends passwords in clear "
    "text and gives a shell). If the device offers no such switch, update its firmware, block "
    "port 23 on your router, and consider replacing it."
)

_ACCOUNT_FIX = {
    "Hikvision": "In the web interface open Configuration > System > User Management and set a "
    "strong admin password; then update the firmware from Hikvision's download portal.",
    "Dahua": "In the web interface open Setting > System > Account and give admin (and any other "
    "account) a strong, unique password; disable unused accounts such as 888888 and 666666.",
    "Axis": "In the web interface open System > Users and set a strong password for root and "
    "every other account.",
    "Xiongmai": "In the recorder's menu or the XMEye/NETSurveillance web interface open "
    "System > Account and set an admin password; Telnet root passwords are fixed in firmware, "
    "so also block port 23 and update or replace the device.",
}
_GENERIC_ACCOUNT_FIX = (
    "Log in to the device's web interface or app, set a strong unique password for every account "
    "(admin/root), and delete or disable accounts you do not use."
)

_STREAM_FIX = (
    "Turn on RTSP authentication (often under Network > RTSP or Video > Stream settings) so the "
    "video needs a password, or turn RTSP off if no recorder or app uses it; block port 554 "
    "from networks you do not trust."
)


def _device_word(ident: Identification) -> str:
    if ident.device_type is DeviceType.RECORDER:
        return "recorder"
    if ident.device_type is DeviceType.CAMERA:
        return "camera"
    return "device"


def _label(ident: Identification) -> str:
    parts = [p for p in (ident.vendor, ident.model) if p]
    return " ".join(parts) if parts else f"this {_device_word(ident)}"


# Vendor control ports: what their exposure means, in plain words. 9530 (Xiongmai's Telnet
# unlock) is a signature of its own (xiongmai-telnet-unlock-9530).
_VENDOR_PORTS: dict[int, tuple[Severity, str, str]] = {
    34567: (
        Severity.MEDIUM,
        "Xiongmai DVRIP control port (XMEye app, CMS) is reachable",
        "It carries logins, live video and configuration for the XMEye app and CMS software, "
        "and answers to the undocumented accounts and blank admin passwords Xiongmai firmware "
        "ships with.",
    ),
    9527: (
        Severity.HIGH,
        "Xiongmai debug console port 9527 is reachable",
        "It is a maintenance console that gives a shell to whoever logs in, with the same "
        "fixed root passwords as Telnet.",
    ),
    37777: (
        Severity.LOW,
        "Dahua private SDK port 37777 is reachable",
        "Dahua's apps (SmartPSS, DMSS, DSS) log in and stream video over it; it is a second "
        "login surface beside the web page, with its own history of flaws.",
    ),
    8000: (
        Severity.LOW,
        "Hikvision SDK port 8000 is reachable",
        "Hikvision's iVMS and SDK clients log in and stream video over it; it is a second "
        "login surface beside the web page.",
    ),
}
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
    for port in sorted(set(open_ports) & set(_VENDOR_PORTS)):
        severity, title, meaning = _VENDOR_PORTS[port]
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
                    remediation=_TELNET_FIX.get(ident.vendor or "", _GENERIC_TELNET_FIX),
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


_ONVIF_FIX = {
    "Hikvision": "Open Configuration > Network > Advanced Settings > Integration Protocol, keep "
    "ONVIF authentication on, give the ONVIF user a strong password, and turn ONVIF off if no "
    "recorder or app uses it.",
}
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
    fix = _ONVIF_FIX.get(ident.vendor or "", _GENERIC_ONVIF_FIX)
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


_CREDENTIAL_SEVERITY = {
    Protocol.TELNET: Severity.CRITICAL,  # a root shell
    Protocol.HTTP: Severity.CRITICAL,  # the admin interface
    Protocol.HTTPS: Severity.CRITICAL,
    Protocol.RTSP: Severity.HIGH,  # the video
    Protocol.ONVIF: Severity.CRITICAL,  # configuration, users and video
}


def credential_findings(
    ident: Identification,
    protocol: Protocol,
    port: int,
    check: CredentialCheck,
    *,
    custom: frozenset[tuple[str, str]] = frozenset(),
) -> list[Finding]:
    """Findings of one credential check. ``custom``: pairs from the user's --creds list, which
    are reported as "a login from your list", not as a factory default."""
    name = "http" if protocol is Protocol.HTTPS else protocol.value
    fix = _ACCOUNT_FIX.get(ident.vendor or "", _GENERIC_ACCOUNT_FIX)
    if check.status is CheckStatus.FOUND and check.pair is not None:
        user, password = check.pair
        if check.pair in custom:
            kind, title = "listed", f"A login from your list works on {protocol.value.upper()}"
            why = "from the --creds list is accepted"
        else:
            kind, title = "default", f"Factory default login works on {protocol.value.upper()}"
            why = "is a published default: anyone on this network can use it"
        return [
            Finding(
                id=f"{kind}-credentials-{name}",
                title=f"{title} ({user})",
                severity=_CREDENTIAL_SEVERITY[protocol],
                confidence=Confidence.CONFIRMED,
                evidence=(
                    f"port {port}: {check.evidence}. The login {user} / {mask(password)} {why}"
                ),
                remediation=fix,
                port=port,
                secret=password,
            )
        ]
    if check.status is CheckStatus.ACCEPTS_ANY:
        return [
            Finding(
                id=f"accepts-any-credentials-{name}",
                title=f"{protocol.value.upper()} accepts any username and password",
                severity=_CREDENTIAL_SEVERITY[protocol],
                confidence=Confidence.CONFIRMED,
                evidence=f"port {port}: {check.evidence}",
                remediation=(
                    "The login check on this service is broken: any password works. Update the "
                    "firmware; until then block the port from untrusted networks."
                ),
                port=port,
            )
        ]
    return []
