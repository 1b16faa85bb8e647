"""ONVIF WS-Discovery: Probe for NetworkVideoTransmitter, parse ProbeMatches, Hello and Bye.

Pure parts: ``build_probe``, ``parse_wsd``, ``parse_scopes`` and ``onvif_fields``; ``wsd_probe``
is the thin async shell.

ONVIF Core Specification s7.3 ("Device discovery") has cameras answer a WS-Discovery Probe
(WS-Discovery, April 2005, over SOAP-over-UDP on 239.255.255.250:3702) whose Types include
``dn:NetworkVideoTransmitter``, and announce themselves with Hello on joining the network. Each
match carries the device's endpoint address, its Types, its service addresses (XAddrs) and its
Scopes: ``onvif://www.onvif.org/hardware/<model>``, ``/name/<name>``, ``/location/<where>``
(ONVIF Core s7.3.2.2). The scopes are where a camera states its make and model without any
login; nothing else in the field reads them, we do.

Elements are matched by local name, so both the 2005 draft namespace ONVIF uses and the
OASIS 1.1 one parse. XML is read with defusedxml (no entities, no DTDs, no external references).
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from scanner.discover.base import Sighting, device_text
from scanner.models import Protocol, ServiceResult
from scanner.safexml import XmlError, read_xml
from scanner.transport import MAX_DATAGRAM, DatagramSeam, Search

__all__ = [
    "WSD_ADDR",
    "WSD_PORT",
    "WsdMatch",
    "WsdMessage",
    "build_probe",
    "is_video_transmitter",
    "onvif_fields",
    "parse_scopes",
    "parse_wsd",
    "wsd_probe",
]

WSD_ADDR = "239.255.255.250"
WSD_PORT = 3702
# SOAP-over-UDP multicast stays on the local link: a TTL of 1 keeps the probe on the subnet.
WSD_TTL = 1
_MAX_MESSAGE = 64 * 1024
_MAX_MATCHES = 16  # ProbeMatch elements read from one datagram
_MAX_TOKENS = 64  # scopes, types or addresses read from one match
_LIST_CHARS = 2048

_NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
_NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
_NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
_NS_DN = "http://www.onvif.org/ver10/network/wsdl"
_ACTION_PROBE = f"{_NS_WSD}/Probe"
_TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
_ANONYMOUS = f"{_NS_WSA}/role/anonymous"
_ONVIF_SCOPE = "onvif://www.onvif.org/"


@dataclass(frozen=True, slots=True)
class WsdMatch:
    """One endpoint in a ProbeMatches, Hello or Bye."""

    address: str  # EndpointReference/Address, usually urn:uuid:...
    types: tuple[str, ...]
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]
    metadata_version: str


@dataclass(frozen=True, slots=True)
class WsdMessage:
    """``kind``: probe, probe-matches, hello, bye (the Body's first element)."""

    kind: str
    message_id: str
    relates_to: str
    matches: tuple[WsdMatch, ...]


def build_probe(message_id: str | None = None) -> tuple[str, bytes]:
    """(message id, SOAP envelope) of a Probe for ONVIF video transmitters."""
    mid = message_id or f"urn:uuid:{uuid.uuid4()}"
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{_NS_SOAP}" xmlns:a="{_NS_WSA}" xmlns:d="{_NS_WSD}"'
        f' xmlns:dn="{_NS_DN}">'
        "<s:Header>"
        f'<a:Action s:mustUnderstand="1">{_ACTION_PROBE}</a:Action>'
        f"<a:MessageID>{mid}</a:MessageID>"
        f"<a:ReplyTo><a:Address>{_ANONYMOUS}</a:Address></a:ReplyTo>"
        f'<a:To s:mustUnderstand="1">{_TO_DISCOVERY}</a:To>'
        "</s:Header>"
        "<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>"
        "</s:Envelope>"
    )
    return mid, envelope.encode("utf-8")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(parent: Element, name: str) -> Element | None:
    return next((c for c in parent if _local(c.tag) == name), None)


def _text(parent: Element | None, name: str, limit: int = 256) -> str:
    node = _child(parent, name) if parent is not None else None
    return device_text(node.text if node is not None else None, limit)


def _tokens(parent: Element, name: str) -> tuple[str, ...]:
    node = _child(parent, name)
    if node is None or not node.text:
        return ()
    return tuple(device_text(t, 512) for t in node.text[: _LIST_CHARS * 4].split()[:_MAX_TOKENS])


def _match(node: Element) -> WsdMatch:
    return WsdMatch(
        address=_text(_child(node, "EndpointReference"), "Address"),
        types=_tokens(node, "Types"),
        scopes=_tokens(node, "Scopes"),
        xaddrs=_tokens(node, "XAddrs"),
        metadata_version=_text(node, "MetadataVersion", 32),
    )


_KINDS = {"Probe": "probe", "ProbeMatches": "probe-matches", "Hello": "hello", "Bye": "bye"}


def parse_wsd(data: bytes) -> WsdMessage | None:
    """Parse one WS-Discovery datagram; None for anything that is not a usable one."""
    if not data or len(data) > _MAX_MESSAGE:
        return None
    try:
        root = read_xml(data)
    except XmlError:
        return None
    if _local(root.tag) != "Envelope":
        return None
    header = _child(root, "Header")
    body = _child(root, "Body")
    if body is None or len(body) == 0:
        return None
    first = body[0]
    kind = _KINDS.get(_local(first.tag))
    if kind is None:
        return None
    if kind == "probe-matches":
        nodes = [n for n in first if _local(n.tag) == "ProbeMatch"][:_MAX_MATCHES]
    elif kind == "probe":
        nodes = []
    else:
        nodes = [first]
    return WsdMessage(
        kind=kind,
        message_id=_text(header, "MessageID"),
        relates_to=_text(header, "RelatesTo"),
        matches=tuple(_match(n) for n in nodes),
    )


def is_video_transmitter(types: tuple[str, ...]) -> bool:
    """Types name ONVIF's NetworkVideoTransmitter (the device class of cameras and encoders)."""
    return any(t.rsplit(":", 1)[-1] == "NetworkVideoTransmitter" for t in types)


def parse_scopes(scopes: tuple[str, ...]) -> dict[str, list[str]]:
    """ONVIF scopes by category (``hardware``, ``name``, ``location``, ``type`` ...), decoded.

    ``onvif://www.onvif.org/location/country/china`` gives ``{"location": ["country/china"]}``;
    values are percent-decoded (RFC 3986 s2.1) because devices write ``AXIS%20M1065-L``.
    Scopes outside the onvif:// tree are ignored here (they stay in ``onvif.scopes``).
    """
    out: dict[str, list[str]] = {}
    for scope in scopes:
        if scope[: len(_ONVIF_SCOPE)].lower() != _ONVIF_SCOPE:
            continue
        category, _, value = scope[len(_ONVIF_SCOPE) :].partition("/")
        category = category.strip().lower()
        decoded = device_text(urllib.parse.unquote(value, errors="replace"), 256)
        if category and decoded:
            out.setdefault(category, []).append(decoded)
    return out


def onvif_fields(match: WsdMatch) -> dict[str, str]:
    """The evidence fields of one match (docs/architecture.md, ``onvif.*``)."""
    fields: dict[str, str] = {}
    for name, values in (
        ("onvif.scopes", match.scopes),
        ("onvif.types", match.types),
        ("onvif.xaddrs", match.xaddrs),
    ):
        text = device_text(" ".join(values), _LIST_CHARS)
        if text:
            fields[name] = text
    parsed = parse_scopes(match.scopes)
    for category in ("hardware", "name"):
        if parsed.get(category):
            fields[f"onvif.{category}"] = parsed[category][0]
    if parsed.get("location"):
        fields["onvif.location"] = device_text(", ".join(parsed["location"]), 512)
    return fields


def wsd_service(match: WsdMatch, reason: str = "") -> ServiceResult:
    return ServiceResult(
        port=WSD_PORT,
        protocol=Protocol.WSDISCOVERY,
        transport="udp",
        fields=onvif_fields(match),
        reason=reason,
        banner=match.address or None,
    )


async def wsd_probe(
    seam: DatagramSeam, iface_ip: str, *, timeout: float, in_scope: Callable[[str], bool]
) -> list[Sighting]:
    """Probe for NetworkVideoTransmitters on one interface; ProbeMatches within ``timeout``.

    Only ProbeMatches that relate to our probe count (WS-Addressing RelatesTo), so a stray
    message from another client's probe is not mistaken for an answer to ours.
    """
    message_id, probe = build_probe()
    search = Search(
        iface_ip,
        (WSD_ADDR, WSD_PORT),
        (probe,),
        duration=timeout,
        # SOAP-over-UDP 1.1 Appendix I: MULTICAST_UDP_REPEAT 1 after UDP_MIN_DELAY..MAX_DELAY.
        repeat_after=min(0.25, timeout / 4),
        ttl=WSD_TTL,
    )
    datagrams = await seam.search(search, in_scope=in_scope, max_bytes=MAX_DATAGRAM)
    sightings: list[Sighting] = []
    seen: set[tuple[str, str]] = set()
    for datagram in datagrams:
        if not in_scope(datagram.ip):
            continue
        message = parse_wsd(datagram.data)
        if message is None or message.kind != "probe-matches":
            continue
        if message.relates_to and message.relates_to != message_id:
            continue
        for match in message.matches:
            key = (datagram.ip, match.address)
            if key in seen:
                continue  # the repeated probe brings the same answer twice
            seen.add(key)
            sightings.append(Sighting(datagram.ip, "ws-discovery", service=wsd_service(match)))
    return sightings
