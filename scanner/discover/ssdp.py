"""SSDP / UPnP discovery: M-SEARCH, parse the answers and NOTIFYs, fetch each device description.

Pure parts (no I/O): ``build_msearch``, ``parse_ssdp``, ``ssdp_fields``, ``parse_description``
and ``description_url``. ``ssdp_search`` is the thin async shell.

References are to the UPnP Device Architecture 1.1 (UDA): s1.1.2 (NOTIFY ssdp:alive), s1.3.2
(M-SEARCH request: HOST, MAN, MX, ST, TTL 2 by default), s1.3.3 (search response: LOCATION,
SERVER, ST, USN) and s2.3 (device description: root/device/{deviceType, friendlyName,
manufacturer, modelName, modelNumber, modelDescription, serialNumber}). The description is only
fetched from the host that answered: a LOCATION pointing anywhere else is recorded, never
followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import httpx

from scanner.context import ProbeContext
from scanner.discover.base import Sighting, device_text
from scanner.models import ProbeStatus, Protocol, ServiceResult
from scanner.safexml import XmlError, read_xml
from scanner.transport import MAX_DATAGRAM, Search, TransportError

log = logging.getLogger(__name__)

__all__ = [
    "SSDP_ADDR",
    "SSDP_PORT",
    "SsdpMessage",
    "build_msearch",
    "description_url",
    "parse_description",
    "parse_ssdp",
    "ssdp_fields",
    "ssdp_search",
]

SSDP_ADDR = "239.255.255.250"
SSDP_PORT = 1900
SSDP_TTL = 2  # UDA s1.3.2: "TTL ... SHOULD default to 2"
_MAX_MESSAGE = 8 * 1024  # an SSDP message is a few hundred bytes; more is not one
_MAX_HEADERS = 64
_MAX_DESCRIPTION = 64 * 1024
_MAX_DESCRIPTIONS = 64  # descriptions fetched per search
_USER_AGENT = "camsweep/0.1 UPnP/1.1"

# Description elements -> evidence fields (UDA s2.3). Firmware has no standard element; these
# are the names vendors use for it.
_DESCRIPTION_FIELDS = {
    "deviceType": "ssdp.device_type",
    "friendlyName": "ssdp.friendly_name",
    "manufacturer": "ssdp.manufacturer",
    "modelName": "ssdp.model_name",
    "modelNumber": "ssdp.model_number",
    "modelDescription": "ssdp.model_description",
    "serialNumber": "ssdp.serial",
}
_FIRMWARE_ELEMENTS = ("firmwareVersion", "softwareVersion", "fwVersion", "swVersion", "firmware")


@dataclass(frozen=True, slots=True)
class SsdpMessage:
    """One SSDP datagram: ``kind`` is ``response``, ``notify`` or ``search``."""

    kind: str
    headers: dict[str, str]  # names folded to lower case; the first of a repeated name wins

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def target(self) -> str | None:
        """ST of a response or search, NT of a NOTIFY."""
        return self.header("nt") if self.kind == "notify" else self.header("st")


def build_msearch(st: str = "ssdp:all", mx: int = 1) -> bytes:
    """A multicast M-SEARCH (UDA s1.3.2); ``mx`` is how long devices may wait to answer."""
    mx = max(1, min(mx, 5))  # UDA: 1..5 seconds
    lines = [
        "M-SEARCH * HTTP/1.1",
        f"HOST: {SSDP_ADDR}:{SSDP_PORT}",
        'MAN: "ssdp:discover"',
        f"MX: {mx}",
        f"ST: {st}",
        f"USER-AGENT: {_USER_AGENT}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def parse_ssdp(data: bytes) -> SsdpMessage | None:
    """Parse one SSDP datagram; None for anything that is not an SSDP message.

    Lenient where devices are sloppy (bare LF line ends, odd header case, no final blank line),
    strict about the start line, which is what tells an SSDP message from other UDP noise.
    """
    if not data or len(data) > _MAX_MESSAGE:
        return None
    text = data.decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines[0].strip().upper()
    if start.startswith("HTTP/1.") and start[9:12] == "200":
        kind = "response"
    elif start.startswith("NOTIFY * HTTP/1."):
        kind = "notify"
    elif start.startswith("M-SEARCH * HTTP/1."):
        kind = "search"
    else:
        return None
    headers: dict[str, str] = {}
    for line in lines[1 : 1 + _MAX_HEADERS]:
        if not line.strip():
            break
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep or not name or any(ch.isspace() for ch in name):
            continue
        headers.setdefault(name, value.strip())
    return SsdpMessage(kind, headers)


def ssdp_fields(message: SsdpMessage) -> dict[str, str]:
    """The evidence fields of one answer or NOTIFY (docs/architecture.md)."""
    fields: dict[str, str] = {}
    for name, value in (
        ("ssdp.server", message.header("server")),
        ("ssdp.st", message.target),
        ("ssdp.usn", message.header("usn")),
    ):
        text = device_text(value)
        if text:
            fields[name] = text
    return fields


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(parent: Element, name: str) -> Element | None:
    return next((c for c in parent if _local(c.tag) == name), None)


def parse_description(xml: bytes) -> dict[str, str]:
    """Evidence fields from a UPnP device description (UDA s2.3), root device only.

    defusedxml refuses entity expansion, external references and DTDs, so a hostile description
    cannot blow up memory or read files. Elements are matched by local name because devices get
    the namespace wrong as often as right. Raises ValueError when the document is not XML or not
    a description.
    """
    if len(xml) > _MAX_DESCRIPTION:
        raise ValueError(f"description larger than {_MAX_DESCRIPTION} bytes")
    try:
        root = read_xml(xml)
    except XmlError as exc:
        raise ValueError(f"not a usable XML description ({exc})") from None
    if _local(root.tag) != "root":
        raise ValueError(f"not a UPnP description (root element {device_text(_local(root.tag))!r})")
    device = _child(root, "device")
    if device is None:
        raise ValueError("UPnP description without a device element")
    fields: dict[str, str] = {}
    for element, field in _DESCRIPTION_FIELDS.items():
        node = _child(device, element)
        text = device_text(node.text if node is not None else None)
        if text:
            fields[field] = text
    for element in _FIRMWARE_ELEMENTS:
        node = _child(device, element)
        text = device_text(node.text if node is not None else None)
        if text:
            fields["ssdp.firmware"] = text
            break
    return fields


def description_url(location: str | None, ip: str) -> str | None:
    """The LOCATION to fetch when it is plain http on the answering host itself, else None."""
    if not location:
        return None
    try:
        url = urllib.parse.urlsplit(location.strip())
        host = url.hostname
        port = url.port
    except ValueError:
        return None
    if url.scheme != "http" or host is None:
        return None
    try:
        same = ipaddress.IPv4Address(host) == ipaddress.IPv4Address(ip)
    except ValueError:
        return None  # a name would need DNS, which could lead anywhere
    if not same:
        return None
    path = url.path or "/"
    query = f"?{url.query}" if url.query else ""
    return f"http://{ip}:{port or 80}{path}{query}"


async def fetch_description(ctx: ProbeContext, url: str, *, timeout: float) -> bytes:
    """GET the description with a byte cap and one overall deadline; no redirects, no proxies."""
    async with (
        asyncio.timeout(timeout),
        ctx.http_client(timeout=timeout, user_agent=_USER_AGENT) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise ValueError(f"description fetch answered {response.status_code}")
        body = bytearray()
        async for chunk in response.aiter_raw():
            body.extend(chunk)
            if len(body) > _MAX_DESCRIPTION:
                raise ValueError(f"description larger than {_MAX_DESCRIPTION} bytes")
        return bytes(body)


def ssdp_service(
    message: SsdpMessage, description: dict[str, str] | None = None, reason: str = ""
) -> ServiceResult:
    fields = ssdp_fields(message)
    if description:
        fields.update(description)
    location = device_text(message.header("location"), 1024)
    return ServiceResult(
        port=SSDP_PORT,
        protocol=Protocol.SSDP,
        transport="udp",
        fields=fields,
        reason=reason,
        status=ProbeStatus.OK,
        banner=location or None,
    )


async def _describe(
    ctx: ProbeContext, message: SsdpMessage, ip: str, timeout: float
) -> ServiceResult:
    url = description_url(message.header("location"), ip)
    if url is None:
        location = message.header("location")
        reason = "no LOCATION" if not location else "LOCATION is not on this host: not followed"
        return ssdp_service(message, reason=reason)
    try:
        description = parse_description(await fetch_description(ctx, url, timeout=timeout))
    except (httpx.HTTPError, TransportError, OSError, TimeoutError, ValueError) as exc:
        text = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
        return ssdp_service(message, reason=f"device description not read: {device_text(text)}")
    return ssdp_service(message, description)


async def ssdp_search(
    ctx: ProbeContext, iface_ip: str, *, timeout: float, in_scope: Callable[[str], bool]
) -> list[Sighting]:
    """M-SEARCH ssdp:all on one interface, then read each answering device's description.

    Answers are collected for ``timeout`` seconds (MX is set below it so devices answer in
    time); descriptions are fetched concurrently within another ``timeout``.
    """
    mx = max(1, int(timeout) - 1)
    search = Search(
        iface_ip,
        (SSDP_ADDR, SSDP_PORT),
        (build_msearch("ssdp:all", mx),),
        duration=timeout,
        repeat_after=min(0.5, timeout / 3),
        ttl=SSDP_TTL,
    )
    datagrams = await ctx.datagrams.search(search, in_scope=in_scope, max_bytes=MAX_DATAGRAM)
    # One description per host and location: a device answers once per service and device type.
    firsts: dict[tuple[str, str], SsdpMessage] = {}
    for datagram in datagrams:
        if not in_scope(datagram.ip):
            continue
        message = parse_ssdp(datagram.data)
        if message is None or message.kind != "response":
            continue
        key = (datagram.ip, message.header("location") or "")
        firsts.setdefault(key, message)
    jobs = list(firsts.items())[:_MAX_DESCRIPTIONS]
    services = await asyncio.gather(*(_describe(ctx, msg, ip, timeout) for (ip, _), msg in jobs))
    return [
        Sighting(ip=ip, method="ssdp", service=service)
        for ((ip, _), _msg), service in zip(jobs, services, strict=True)
    ]
