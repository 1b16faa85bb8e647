"""mDNS / DNS-SD discovery with zeroconf: enumerate service types, browse, resolve instances.

RFC 6763 s9: a query for ``_services._dns-sd._udp.local`` lists every service type on the link;
each type is browsed for instances (PTR), each instance resolved (SRV: host name and port; TXT:
key=value pairs, s6; A: its IPv4 address). Camera-relevant types are browsed from the start too,
for responders that do not answer the meta-query, plus whatever the caller adds (signature
hints).

Pure parts: ``parse_txt``, ``split_instance``, ``mdns_fields`` and ``services_from_records``
(used by passive listening on raw packets); ``mdns_browse`` is the zeroconf shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from scanner.discover.base import Sighting, device_text
from scanner.models import Protocol, ServiceResult

log = logging.getLogger(__name__)

__all__ = [
    "CAMERA_SERVICE_TYPES",
    "MdnsInstance",
    "mdns_browse",
    "mdns_fields",
    "mdns_service",
    "parse_txt",
    "services_from_records",
    "signature_service_types",
    "split_instance",
]

MDNS_PORT = 5353
META_QUERY = "_services._dns-sd._udp.local."
# Protocol-level types any camera may announce: RTSP streams, web UIs, HomeKit accessories
# (HomeKit cameras are category 17) and ONVIF. A vendor's own type (Axis' _axis-video._tcp) is
# vendor knowledge: it comes from the signatures that match on it (signature_service_types).
CAMERA_SERVICE_TYPES = (
    "_rtsp._tcp.local.",
    "_http._tcp.local.",
    "_hap._tcp.local.",
    "_onvif._tcp.local.",
)
_MAX_TYPES = 64
_MAX_INSTANCES = 256
_MAX_TXT_KEYS = 32
_TXT_VALUE_CHARS = 256
_TXT_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")  # what a field name may carry
_SERVICE_TYPE = re.compile(r"^_[A-Za-z0-9-]{1,63}\._(?:tcp|udp)\.local\.$")


@dataclass(frozen=True, slots=True)
class MdnsInstance:
    """One resolved (or announced) DNS-SD service instance."""

    service_type: str  # "_axis-video._tcp" (no domain)
    instance: str  # "AXIS M3045-V - ACCC8E123456"
    hostname: str  # "axis-accc8e123456.local" (no trailing dot), or ""
    port: int | None
    txt: dict[str, str] = field(default_factory=dict)
    addresses: tuple[str, ...] = ()


def parse_txt(rdata: bytes) -> dict[str, str]:
    """TXT rdata -> {key: value} (RFC 6763 s6): length-prefixed strings of ``key=value``.

    Keys are case-insensitive printable ASCII (s6.4), folded to lower case; the first occurrence
    of a key wins (s6.4); a key without ``=`` is a boolean attribute and gets the value "".
    Keys that cannot be an evidence field name (``c#``) are skipped; values are decoded as UTF-8
    with replacement and capped. A length byte running past the end stops the parse.
    """
    out: dict[str, str] = {}
    i = 0
    while i < len(rdata) and len(out) < _MAX_TXT_KEYS:
        length = rdata[i]
        chunk = rdata[i + 1 : i + 1 + length]
        if len(chunk) < length:
            break
        i += 1 + length
        raw_key, sep, raw_value = chunk.partition(b"=")
        key = raw_key.decode("ascii", "replace").strip().lower()
        if not key or _TXT_KEY.fullmatch(key) is None or key in out:
            continue
        out[key] = device_text(raw_value, _TXT_VALUE_CHARS) if sep else ""
    return out


def split_instance(name: str, service_type: str) -> str:
    """``Front door._rtsp._tcp.local.`` -> ``Front door``: the instance part (RFC 6763 s4.1)."""
    suffix = "." + service_type
    return name[: -len(suffix)] if name.endswith(suffix) else name.removesuffix(".")


def _short_type(service_type: str) -> str:
    return service_type.removesuffix(".").removesuffix(".local")


def mdns_fields(instance: MdnsInstance) -> dict[str, str]:
    fields: dict[str, str] = {"mdns.service_type": device_text(instance.service_type, 128)}
    if instance.instance:
        fields["mdns.instance"] = device_text(instance.instance, 256)
    if instance.hostname:
        fields["mdns.hostname"] = device_text(instance.hostname, 256)
    for key, value in instance.txt.items():
        fields[f"mdns.txt.{key}"] = value
    return fields


def mdns_service(instance: MdnsInstance) -> ServiceResult:
    """The pseudo-service holding one instance's evidence (one per instance, so each service
    type stays a value of its own under ``mdns.service_type``)."""
    banner = f"{instance.service_type} on port {instance.port}" if instance.port else None
    return ServiceResult(
        port=MDNS_PORT,
        protocol=Protocol.MDNS,
        transport="udp",
        fields=mdns_fields(instance),
        banner=banner,
    )


def _ipv4(packed: bytes) -> str | None:
    if len(packed) != 4:
        return None
    return str(ipaddress.IPv4Address(packed))


def services_from_records(records: Iterable[object]) -> list[MdnsInstance]:
    """Instances described by one mDNS message's records (for passive listening).

    PTR ``<type> -> <instance>`` names an instance, SRV gives its host and port, TXT its
    attributes, A records the host's addresses. Records of other kinds are ignored.
    """
    from zeroconf._dns import DNSAddress, DNSPointer, DNSService, DNSText  # noqa: PLC0415

    types: dict[str, str] = {}  # instance name -> service type
    servers: dict[str, tuple[str, int]] = {}
    texts: dict[str, bytes] = {}
    addresses: dict[str, list[str]] = {}
    for record in records:
        if isinstance(record, DNSPointer):
            if record.name.lower() == META_QUERY:
                continue
            types.setdefault(record.alias, record.name)
        elif isinstance(record, DNSService):
            servers.setdefault(record.name, (record.server, record.port))
        elif isinstance(record, DNSText):
            texts.setdefault(record.name, record.text)
        elif isinstance(record, DNSAddress):
            ip = _ipv4(record.address)
            if ip is not None:
                addresses.setdefault(record.name.lower(), []).append(ip)
    names = list(dict.fromkeys([*types, *servers, *texts]))
    out: list[MdnsInstance] = []
    for name in names[:_MAX_INSTANCES]:
        service_type = types.get(name) or _type_of(name)
        if service_type is None:
            continue
        server, port = servers.get(name, ("", None))
        out.append(
            MdnsInstance(
                service_type=_short_type(service_type),
                instance=device_text(split_instance(name, service_type), 256),
                hostname=device_text(server.removesuffix("."), 256),
                port=port,
                txt=parse_txt(texts.get(name, b"")),
                addresses=tuple(addresses.get(server.lower(), ())),
            )
        )
    return out


def _type_of(name: str) -> str | None:
    """The service type at the end of an instance name (``x._rtsp._tcp.local.``), if any."""
    labels = name.split(".")
    if len(labels) < 4:
        return None
    candidate = ".".join(labels[-4:])
    return candidate if _SERVICE_TYPE.match(candidate) else None


def signature_service_types(fingerprints: Iterable[object]) -> tuple[str, ...]:
    """The DNS-SD types the signatures match on (``mdns.service_type`` equals/word matchers):
    discovery browses them too, so the knowledge of which types matter stays in the signatures
    (a responder that does not answer the meta-query still answers a query for its own type)."""
    found: list[str] = []
    for fingerprint in fingerprints:
        for matcher in getattr(fingerprint, "matchers", ()):
            if getattr(matcher, "field", None) != "mdns.service_type":
                continue
            if getattr(matcher, "negative", False) or getattr(matcher, "kind", None) == "regex":
                continue
            value = getattr(matcher, "value", "")
            if isinstance(value, str) and _normal_types([value]):
                found.append(value.strip())
    return tuple(dict.fromkeys(found))


# --- the zeroconf shell -------------------------------------------------------------------------


async def _resolve(zc: object, service_type: str, name: str, timeout: float) -> MdnsInstance | None:
    from zeroconf import IPVersion  # noqa: PLC0415
    from zeroconf.asyncio import AsyncServiceInfo  # noqa: PLC0415

    info = AsyncServiceInfo(service_type, name)
    if not await info.async_request(zc, timeout * 1000):  # type: ignore[arg-type]
        return None
    return MdnsInstance(
        service_type=_short_type(service_type),
        instance=device_text(split_instance(name, service_type), 256),
        hostname=device_text((info.server or "").removesuffix("."), 256),
        port=info.port,
        txt=parse_txt(info.text or b""),
        addresses=tuple(info.parsed_addresses(IPVersion.V4Only)),
    )


async def mdns_browse(
    iface_ip: str,
    *,
    timeout: float,
    in_scope: Callable[[str], bool],
    extra_types: Sequence[str] = (),
) -> list[Sighting]:
    """Enumerate and resolve DNS-SD services on the interface holding ``iface_ip``.

    The first half of ``timeout`` browses (the meta-query and the camera types; types learnt
    from the meta-query are browsed as they arrive), the second half resolves instances.
    """
    from zeroconf import IPVersion, ServiceStateChange  # noqa: PLC0415
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf  # noqa: PLC0415

    wanted = list(dict.fromkeys([*CAMERA_SERVICE_TYPES, *_normal_types(extra_types)]))
    found: dict[tuple[str, str], None] = {}
    browsers: list[AsyncServiceBrowser] = []
    azc = AsyncZeroconf(interfaces=[iface_ip], ip_version=IPVersion.V4Only)
    try:
        browsing = set(wanted)

        def on_change(
            zeroconf: object, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            del zeroconf
            if state_change is ServiceStateChange.Removed:
                return
            if service_type == META_QUERY:
                if (
                    name not in browsing
                    and len(browsing) < _MAX_TYPES
                    and _SERVICE_TYPE.match(name)
                ):
                    browsing.add(name)
                    browsers.append(AsyncServiceBrowser(azc.zeroconf, name, handlers=[on_change]))
            elif len(found) < _MAX_INSTANCES:
                found.setdefault((service_type, name), None)

        browsers.append(
            AsyncServiceBrowser(azc.zeroconf, [META_QUERY, *wanted], handlers=[on_change])
        )
        await asyncio.sleep(timeout / 2)
        results = await asyncio.gather(
            *(_resolve(azc.zeroconf, t, n, timeout / 2) for t, n in found),
            return_exceptions=True,
        )
    finally:
        for browser in browsers:
            with contextlib.suppress(Exception):
                await browser.async_cancel()
        await azc.async_close()
    sightings: list[Sighting] = []
    for result in results:
        if isinstance(result, BaseException):
            log.debug("mDNS resolve failed: %r", result)
            continue
        if result is None:
            continue
        for ip in result.addresses:
            if in_scope(ip):
                names = (result.hostname,) if result.hostname else ()
                sightings.append(
                    Sighting(ip, "mdns", hostnames=names, service=mdns_service(result))
                )
    return sightings


def _normal_types(types: Sequence[str]) -> list[str]:
    """Signature hints may write ``_rtsp._tcp`` or ``_rtsp._tcp.local.``: make them FQDNs."""
    out = []
    for text in types:
        name = text.strip()
        if not name.endswith(".local."):
            name = name.removesuffix(".").removesuffix(".local") + ".local."
        if _SERVICE_TYPE.match(name):
            out.append(name)
    return out
