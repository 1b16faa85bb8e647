"""ONVIF device and media services: what a camera tells anyone who asks.

ONVIF is SOAP 1.2 over HTTP POST (ONVIF Core Specification s5.1). Pure functions build the
envelopes (with an optional WS-Security UsernameToken, PasswordDigest profile: OASIS WSS
UsernameToken Profile 1.0 s3.1) and parse the answers with defusedxml (entity expansion and
external entities refused); ``probe_onvif`` is the thin async shell over ``http_fetch``.

The probe asks, without credentials: GetDeviceInformation (make, model, firmware, serial),
GetCapabilities (the media service address), then GetProfiles, GetStreamUri and GetSnapshotUri
for the first profile. The Core spec puts GetDeviceInformation and the media calls behind
authentication (access classes READ_SYSTEM and READ_MEDIA); a device that answers them to
anyone is telling strangers what it is and where its video is. Service addresses the device
names (XAddrs) are recorded; only their path is used, always on the probed host and port.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

import httpx

from scanner.context import ProbeContext
from scanner.models import AuthScheme, ProbeStatus, Protocol, ServiceResult
from scanner.probe.http import http_fetch
from scanner.safexml import XmlError, read_xml
from scanner.transport import TransportError

DEVICE_PATH = "/onvif/device_service"

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
_WSS = "http://docs.oasis-open.org/wss/2004/01/"
_DIGEST_TYPE = _WSS + "oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
_BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
_MAX_TEXT = 256


class OnvifError(Exception):
    """An answer that is not a usable SOAP envelope."""


class OnvifMalformed(OnvifError):
    """An answer labelled XML that is not a usable envelope (an entity bomb, an external entity,
    broken XML): the port speaks SOAP, and what it said is a malformed response to report."""


# probe_onvif's reason starts with this when every answer was a malformed SOAP response.
MALFORMED_SOAP = "malformed SOAP answer"


@dataclass(frozen=True, slots=True)
class UsernameToken:
    username: str
    password_digest: str
    nonce: str  # base64
    created: str  # xsd:dateTime, UTC


def _xml_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)): WSS UsernameToken Profile 1.0 s3.1."""
    raw = nonce + created.encode("utf-8") + password.encode("utf-8")
    return base64.b64encode(hashlib.sha1(raw, usedforsecurity=False).digest()).decode("ascii")


def username_token(
    username: str, password: str, *, nonce: bytes | None = None, created: str | None = None
) -> UsernameToken:
    nonce = nonce if nonce is not None else secrets.token_bytes(16)
    created = created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return UsernameToken(
        username=username,
        password_digest=password_digest(nonce, created, password),
        nonce=base64.b64encode(nonce).decode("ascii"),
        created=created,
    )


def _security_header(token: UsernameToken) -> str:
    return (
        f'<wsse:Security s:mustUnderstand="1" xmlns:wsse="{NS["wsse"]}" xmlns:wsu="{NS["wsu"]}">'
        "<wsse:UsernameToken>"
        f"<wsse:Username>{_xml_text(token.username)}</wsse:Username>"
        f'<wsse:Password Type="{_DIGEST_TYPE}">{token.password_digest}</wsse:Password>'
        f'<wsse:Nonce EncodingType="{_BASE64_BINARY}">{token.nonce}</wsse:Nonce>'
        f"<wsu:Created>{token.created}</wsu:Created>"
        "</wsse:UsernameToken></wsse:Security>"
    )


def envelope(body: str, token: UsernameToken | None = None) -> bytes:
    """A SOAP 1.2 envelope around ``body`` (already XML), with WS-Security when ``token``."""
    header = f"<s:Header>{_security_header(token)}</s:Header>" if token else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:tds="{NS["tds"]}" xmlns:trt="{NS["trt"]}" '
        f'xmlns:tt="{NS["tt"]}">{header}<s:Body>{body}</s:Body></s:Envelope>'
    ).encode()


def get_device_information(token: UsernameToken | None = None) -> bytes:
    return envelope("<tds:GetDeviceInformation/>", token)


def get_capabilities(token: UsernameToken | None = None) -> bytes:
    return envelope(
        "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>", token
    )


def get_profiles(token: UsernameToken | None = None) -> bytes:
    return envelope("<trt:GetProfiles/>", token)


def get_stream_uri(profile: str, token: UsernameToken | None = None) -> bytes:
    return envelope(
        "<trt:GetStreamUri><trt:StreamSetup>"
        "<tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol>"
        "</tt:Transport></trt:StreamSetup>"
        f"<trt:ProfileToken>{_xml_text(profile)}</trt:ProfileToken></trt:GetStreamUri>",
        token,
    )


def get_snapshot_uri(profile: str, token: UsernameToken | None = None) -> bytes:
    return envelope(
        f"<trt:GetSnapshotUri><trt:ProfileToken>{_xml_text(profile)}</trt:ProfileToken>"
        "</trt:GetSnapshotUri>",
        token,
    )


@dataclass(frozen=True, slots=True)
class SoapAnswer:
    """A parsed SOAP answer: the body's first element, or a fault."""

    body: Element | None
    fault_code: str | None = None  # e.g. "ter:NotAuthorized"
    fault_reason: str | None = None

    @property
    def is_fault(self) -> bool:
        return self.body is None

    @property
    def not_authorized(self) -> bool:
        text = f"{self.fault_code or ''} {self.fault_reason or ''}".lower()
        return "notauthorized" in text.replace(" ", "") or "not authorized" in text


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    folded = " ".join("".join(c for c in text if c.isprintable()).split())
    return folded[:_MAX_TEXT] or None


def parse_answer(data: bytes) -> SoapAnswer:
    """Parse a SOAP 1.2 envelope. Raises OnvifError for anything else (never other errors)."""
    if not data.strip():
        raise OnvifError("empty answer")
    try:
        root = read_xml(data)
    except XmlError as exc:
        raise OnvifError(f"not XML: {exc}") from exc
    if root.tag != f"{{{NS['s']}}}Envelope":
        raise OnvifError("not a SOAP 1.2 envelope")
    body = root.find("s:Body", NS)
    if body is None:
        raise OnvifError("SOAP envelope without a Body")
    fault = body.find("s:Fault", NS)
    if fault is not None:
        # SOAP 1.2 s5.4.6: the most specific Subcode value names the ONVIF error.
        codes = [el.text or "" for el in fault.iter(f"{{{NS['s']}}}Value")]
        reason = fault.find("s:Reason/s:Text", NS)
        code = _clean(codes[-1]) if codes else None
        return SoapAnswer(None, code, _clean(reason.text) if reason is not None else None)
    first = next(iter(body), None)
    if first is None:
        raise OnvifError("SOAP Body is empty")
    return SoapAnswer(first)


def _child_text(parent: Element, name: str) -> str | None:
    # ONVIF answers put fields in the service's namespace, but some firmware uses tt: or none;
    # match on the local name.
    for child in parent.iter():
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == name:
            return _clean(child.text)
    return None


_DEVICE_INFO = {
    "Manufacturer": "onvif.manufacturer",
    "Model": "onvif.model",
    "FirmwareVersion": "onvif.firmware",
    "SerialNumber": "onvif.serial",
    "HardwareId": "onvif.hardware_id",
}


def device_information(answer: SoapAnswer) -> dict[str, str]:
    """Evidence fields from a GetDeviceInformationResponse (empty when it is not one)."""
    if answer.body is None or not answer.body.tag.endswith("GetDeviceInformationResponse"):
        return {}
    fields = {}
    for name, key in _DEVICE_INFO.items():
        value = _child_text(answer.body, name)
        if value:
            fields[key] = value
    return fields


def media_xaddr(answer: SoapAnswer) -> str | None:
    """The Media service address from a GetCapabilitiesResponse."""
    if answer.body is None:
        return None
    for el in answer.body.iter():
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "Media":
            return _child_text(el, "XAddr")
    return None


def first_profile(answer: SoapAnswer) -> str | None:
    if answer.body is None:
        return None
    for el in answer.body.iter():
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "Profiles":
            token = el.get("token")
            return _clean(token)
    return None


def media_uri(answer: SoapAnswer) -> str | None:
    """The Uri of a GetStreamUriResponse or GetSnapshotUriResponse."""
    if answer.body is None:
        return None
    return _child_text(answer.body, "Uri")


def same_origin_path(xaddr: str | None, default: str) -> str:
    """The path of a service address. The host and port in it are never used: a device may
    name any address there, and we talk only to the host we were asked to scan."""
    if not xaddr:
        return default
    try:
        url = httpx.URL(xaddr.split()[0])
    except (httpx.InvalidURL, ValueError, IndexError):
        return default
    path = url.raw_path.decode("ascii", "replace")
    return path if path.startswith("/") else default


def is_malformed_soap(result: ServiceResult) -> bool:
    """True for a probe_onvif result whose port answered SOAP that could not be read: worth
    keeping in the report, unlike a web server that simply is not ONVIF."""
    return result.status is ProbeStatus.MALFORMED and result.reason.startswith(MALFORMED_SOAP)


@dataclass
class _Seen:
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    auth_required: bool = False
    answered: bool = False
    malformed: list[str] = field(default_factory=list)  # answers labelled XML we could not read


async def soap_call(
    ctx: ProbeContext,
    host: str,
    port: int,
    path: str,
    request: bytes,
    *,
    tls: bool,
    client: httpx.AsyncClient | None = None,
) -> tuple[int, SoapAnswer]:
    """POST one SOAP request. Raises TransportError or OnvifError."""
    response = await http_fetch(
        ctx,
        host,
        port,
        path,
        tls=tls,
        method="POST",
        content=request,
        headers={"Content-Type": CONTENT_TYPE},
        client=client,
    )
    if response.status == 401:
        return 401, SoapAnswer(None, "http:401", "HTTP authentication required")
    try:
        return response.status, parse_answer(response.body)
    except OnvifError as exc:
        if "xml" in (response.get("Content-Type") or "").lower():
            # A web server's HTML 404 is just "no ONVIF here"; a body the device labels XML
            # that cannot be read is a malformed response from a SOAP endpoint.
            raise OnvifMalformed(str(exc)) from exc
        raise


async def _run(
    ctx: ProbeContext, host: str, port: int, path: str, *, tls: bool, seen: _Seen
) -> None:
    async with ctx.http_client() as client:
        await _ask(ctx, host, port, path, tls=tls, seen=seen, client=client)


async def _ask(
    ctx: ProbeContext,
    host: str,
    port: int,
    path: str,
    *,
    tls: bool,
    seen: _Seen,
    client: httpx.AsyncClient,
) -> None:
    async def call(p: str, request: bytes, what: str) -> SoapAnswer | None:
        try:
            _, answer = await soap_call(ctx, host, port, p, request, tls=tls, client=client)
        except OnvifMalformed as exc:
            seen.malformed.append(f"{what}: {exc}")
            seen.notes.append(f"{what}: malformed response: {exc}")
            return None
        except OnvifError as exc:
            seen.notes.append(f"{what}: {exc}")
            return None
        seen.answered = True
        if answer.not_authorized or answer.fault_code == "http:401":
            seen.auth_required = True
            return None
        if answer.is_fault:
            seen.notes.append(f"{what}: fault {answer.fault_code or ''}".strip())
            return None
        return answer

    info = await call(path, get_device_information(), "GetDeviceInformation")
    if info is not None:
        seen.fields.update(device_information(info))
    if not seen.answered and not seen.malformed:
        return  # no SOAP endpoint on this port: one request was enough to tell
    caps = await call(path, get_capabilities(), "GetCapabilities")
    media_path = path
    if caps is not None:
        xaddr = media_xaddr(caps)
        if xaddr:
            seen.fields["onvif.xaddrs"] = xaddr
            media_path = same_origin_path(xaddr, path)
    if info is None and seen.auth_required:
        return  # the media calls need the same login (READ_MEDIA): asking is pointless
    profiles = await call(media_path, get_profiles(), "GetProfiles")
    token = first_profile(profiles) if profiles is not None else None
    if token is None:
        return
    stream = await call(media_path, get_stream_uri(token), "GetStreamUri")
    if stream is not None and (uri := media_uri(stream)):
        seen.fields["onvif.stream_uri"] = uri
    snapshot = await call(media_path, get_snapshot_uri(token), "GetSnapshotUri")
    if snapshot is not None and (uri := media_uri(snapshot)):
        seen.fields["onvif.snapshot_uri"] = uri


async def probe_onvif(
    ctx: ProbeContext,
    host: str,
    port: int,
    *,
    tls: bool = False,
    path: str = DEVICE_PATH,
) -> ServiceResult:
    """Ask the ONVIF device service what it tells anyone. Never raises."""
    seen = _Seen()
    status, reason = ProbeStatus.OK, ""
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            await _run(ctx, host, port, path, tls=tls, seen=seen)
    except TimeoutError:
        status, reason = ProbeStatus.TIMEOUT, f"no complete answer within {ctx.timeouts.probe:g}s"
    except TransportError as exc:
        status, reason = exc.status, str(exc)
    except Exception as exc:  # noqa: BLE001 - a probe bug must not end the scan (style habit 4)
        return ServiceResult(
            port=port,
            protocol=Protocol.ONVIF,
            status=ProbeStatus.ERROR,
            reason=f"probe bug: {type(exc).__name__}",
            debug=traceback.format_exc(),
        )
    if status is ProbeStatus.OK and not seen.answered and seen.malformed:
        status = ProbeStatus.MALFORMED
        reason = f"{MALFORMED_SOAP}: " + "; ".join(seen.malformed)[:300]
    elif status is ProbeStatus.OK and not seen.answered:
        status, reason = ProbeStatus.MALFORMED, "; ".join(seen.notes) or "no SOAP answer"
    elif seen.notes and not reason:
        reason = "; ".join(seen.notes)[:300]
    fields = dict(seen.fields)
    open_info = any(k in fields for k in _DEVICE_INFO.values())
    # WS-Security has no member of AuthScheme: "unknown" says a login is required.
    auth: AuthScheme | None = None
    if open_info:
        auth = AuthScheme.NONE
    elif seen.auth_required:
        auth = AuthScheme.UNKNOWN
    return ServiceResult(
        port=port,
        protocol=Protocol.ONVIF,
        status=status,
        reason=reason,
        tls=tls,
        auth=auth,
        banner=" ".join(v for k, v in fields.items() if k in ("onvif.manufacturer", "onvif.model"))
        or None,
        product=fields.get("onvif.model"),
        fields=fields,
    )
