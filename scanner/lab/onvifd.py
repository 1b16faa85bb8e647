"""An ONVIF device and media service for emulated cameras (SOAP 1.2 over HTTP POST).

Written from the ONVIF Core and Media specifications and the OASIS WSS UsernameToken Profile
1.0, independently of ``scanner.probe.onvif``. It answers GetSystemDateAndTime to anyone (the
Core spec's PRE_AUTH class, so clients can fix clock skew before logging in), and
GetDeviceInformation, GetCapabilities, GetProfiles, GetStreamUri and GetSnapshotUri either to
anyone (a camera that leaks what it is and where its video is) or only with a valid
UsernameToken PasswordDigest. A wrong or missing token gets HTTP 400 with a SOAP Fault whose
subcode is ter:NotAuthorized (ONVIF Core s5.11.2.1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from scanner.lab.auth import LoginGuard

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TT = "http://www.onvif.org/ver10/schema"
TER = "http://www.onvif.org/ver10/error"

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
_PRE_AUTH = frozenset({"GetSystemDateAndTime"})


@dataclass(frozen=True, slots=True)
class OnvifConfig:
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str
    # True: GetDeviceInformation and the media calls answer without a login (the flaw).
    open_access: bool = False
    profile_token: str = "Profile_1"  # noqa: S105 (a media profile name, not a secret)
    stream_path: str = "/Streaming/Channels/101"
    snapshot_path: str = "/onvif-http/snapshot?Profile_1"
    # The address the device names for itself in XAddrs and URIs; None uses the one it listens
    # on. A hostile device names another address: scanners must not follow it.
    advertised_host: str | None = None


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{SOAP}" xmlns:tds="{TDS}" xmlns:trt="{TRT}" xmlns:tt="{TT}" '
        f'xmlns:ter="{TER}"><env:Body>{body}</env:Body></env:Envelope>'
    ).encode()


def fault(subcode: str, reason: str) -> bytes:
    return _envelope(
        "<env:Fault><env:Code><env:Value>env:Sender</env:Value>"
        f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason></env:Fault>'
    )


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def expected_digest(nonce_b64: str, created: str, password: str) -> str | None:
    """Base64(SHA-1(nonce + created + password)), WSS UsernameToken Profile 1.0 s3.1."""
    try:
        nonce = base64.b64decode(nonce_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    raw = nonce + created.encode() + password.encode()
    return base64.b64encode(hashlib.sha1(raw, usedforsecurity=False).digest()).decode()


class OnvifResponder:
    """Answers one SOAP request body. Pure apart from the shared login guard."""

    def __init__(
        self,
        config: OnvifConfig,
        *,
        host: str,
        port: int,
        login: tuple[str, str],
        guard: LoginGuard,
    ) -> None:
        self.config = config
        self._base = f"{config.advertised_host or host}:{port}"
        self._rtsp = f"{config.advertised_host or host}:554"
        self._login = login
        self._guard = guard

    def respond(self, body: bytes) -> tuple[int, bytes]:
        try:
            root = fromstring(body, forbid_dtd=True)
        except (ParseError, DefusedXmlException, ValueError, LookupError, RecursionError):
            return 400, fault("ter:WellFormed", "not well-formed XML")
        if root.tag != f"{{{SOAP}}}Envelope":
            return 400, fault("ter:WellFormed", "not a SOAP 1.2 envelope")
        soap_body = root.find(f"{{{SOAP}}}Body")
        call = next(iter(soap_body), None) if soap_body is not None else None
        if call is None:
            return 400, fault("ter:WellFormed", "empty SOAP body")
        name = _local(call.tag)
        handler = getattr(self, f"_do_{name}", None)
        if handler is None:
            return 400, fault("ter:ActionNotSupported", f"{_text(name)} is not supported")
        if name not in _PRE_AUTH and not self.config.open_access and not self._authorized(root):
            return 400, fault("ter:NotAuthorized", "Sender not Authorized")
        result: bytes = handler(call)
        return 200, result

    def _authorized(self, root: Element) -> bool:
        if self._guard.locked():
            return False
        token = root.find(f"{{{SOAP}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        if token is None:
            return False
        user = token.findtext(f"{{{WSSE}}}Username") or ""
        digest = token.findtext(f"{{{WSSE}}}Password") or ""
        nonce = token.findtext(f"{{{WSSE}}}Nonce") or ""
        created = token.findtext(f"{{{WSU}}}Created") or ""
        wanted = expected_digest(nonce, created, self._login[1])
        ok = (
            user == self._login[0]
            and wanted is not None
            and hmac.compare_digest(wanted, digest.strip())
        )
        self._guard.record(ok)
        return ok

    # --- calls ----------------------------------------------------------------------------

    def _do_GetSystemDateAndTime(self, _call: Element) -> bytes:  # noqa: N802 (SOAP names)
        now = datetime.now(UTC)
        return _envelope(
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
            "<tt:UTCDateTime>"
            f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
            f"<tt:Second>{now.second}</tt:Second></tt:Time>"
            f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
            f"<tt:Day>{now.day}</tt:Day></tt:Date>"
            "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def _do_GetDeviceInformation(self, _call: Element) -> bytes:  # noqa: N802
        c = self.config
        return _envelope(
            "<tds:GetDeviceInformationResponse>"
            f"<tds:Manufacturer>{_text(c.manufacturer)}</tds:Manufacturer>"
            f"<tds:Model>{_text(c.model)}</tds:Model>"
            f"<tds:FirmwareVersion>{_text(c.firmware)}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{_text(c.serial)}</tds:SerialNumber>"
            f"<tds:HardwareId>{_text(c.hardware_id)}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    def _do_GetCapabilities(self, _call: Element) -> bytes:  # noqa: N802
        return _envelope(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>http://{self._base}/onvif/device_service</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>http://{self._base}/onvif/media_service</tt:XAddr></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    def _do_GetProfiles(self, _call: Element) -> bytes:  # noqa: N802
        token = _text(self.config.profile_token)
        return _envelope(
            f'<trt:GetProfilesResponse><trt:Profiles token="{token}" fixed="true">'
            "<tt:Name>mainStream</tt:Name></trt:Profiles></trt:GetProfilesResponse>"
        )

    def _profile_ok(self, call: Element) -> bool:
        return any(
            _local(el.tag) == "ProfileToken" and (el.text or "") == self.config.profile_token
            for el in call.iter()
        )

    def _do_GetStreamUri(self, call: Element) -> bytes:  # noqa: N802
        if not self._profile_ok(call):
            return fault("ter:NoProfile", "no such profile")
        return _envelope(
            "<trt:GetStreamUriResponse><trt:MediaUri>"
            f"<tt:Uri>rtsp://{self._rtsp}{_text(self.config.stream_path)}</tt:Uri>"
            "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
            "</trt:MediaUri></trt:GetStreamUriResponse>"
        )

    def _do_GetSnapshotUri(self, call: Element) -> bytes:  # noqa: N802
        if not self._profile_ok(call):
            return fault("ter:NoProfile", "no such profile")
        return _envelope(
            "<trt:GetSnapshotUriResponse><trt:MediaUri>"
            f"<tt:Uri>http://{self._base}{_text(self.config.snapshot_path)}</tt:Uri>"
            "</trt:MediaUri></trt:GetSnapshotUriResponse>"
        )
