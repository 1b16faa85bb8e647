"""UPnP Internet Gateway Device, read only: the pure parts (no I/O).

What a router says about its forwards is read with four SOAP actions and nothing else:
``GetGenericPortMappingEntry`` and ``GetListOfPortMappings`` (the forwards),
``GetExternalIPAddress`` and ``GetStatusInfo`` (where the forwards lead from). The only way to
build a request is :func:`build_soap_request`, which takes a :class:`ReadAction` and checks
every argument name against that action's read-only argument list: ``AddPortMapping``,
``AddAnyPortMapping``, ``DeletePortMapping`` and friends cannot be expressed, so camsweep cannot
change a router even by mistake.

References: UPnP Device Architecture 1.1 (UDA) s2.3 (device description: ``URLBase``,
``deviceList``, ``serviceList/service/{serviceType, controlURL, SCPDURL}``), s2.5 (service
description: ``actionList/action/name``), s3.1 (SOAP control: ``SOAPACTION`` header, the
``<u:ActionResponse>`` body, ``UPnPError`` faults); WANIPConnection:1 s2.4 (error 713
``SpecifiedArrayIndexInvalid`` ends the index walk, 714 ``NoSuchEntryInArray``);
WANIPConnection:2 s2.5.20 (``GetListOfPortMappings`` and its ``PortMappingList`` XML);
RFC 6886 s3.2 (NAT-PMP external address request: two bytes, changes nothing) and RFC 6887 s9
(a PCP server answers a version-0 request with UNSUPP_VERSION).
"""

from __future__ import annotations

import ipaddress
import re
import struct
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element, tostring
from xml.sax.saxutils import escape

from scanner.digits import ascii_decimal
from scanner.discover.base import device_text
from scanner.models import PortForward
from scanner.safexml import XmlError, read_xml

__all__ = [
    "IGD_SEARCH_TARGETS",
    "MAX_LISTING",
    "MAX_XML",
    "IgdDescription",
    "ReadAction",
    "SoapFault",
    "WanService",
    "build_natpmp_request",
    "build_soap_request",
    "forward_from_fields",
    "parse_igd_description",
    "parse_natpmp",
    "parse_port_listing",
    "parse_scpd",
    "parse_soap_response",
]

MAX_XML = 64 * 1024  # a description, SCPD or SOAP answer: a few KiB; more is not one
MAX_LISTING = 1024 * 1024  # a GetListOfPortMappings answer: ~300 bytes a forward
_MAX_SERVICES = 16  # WAN connection services kept from one description
_MAX_DEVICE_DEPTH = 6  # root -> WANDevice -> WANConnectionDevice is 3 deep
_MAX_ACTIONS = 256
_MAX_LISTED = 1024  # entries parsed from one GetListOfPortMappings answer

# Both IGD versions; a v2 router also answers a v1 search (UPnP IGD:2 s1).
IGD_SEARCH_TARGETS = (
    "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
    "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
)
_WAN_SERVICE = re.compile(r"^urn:schemas-upnp-org:service:WAN(IP|PPP)Connection:([1-9])$")
_DEVICE_PROTECTION = "urn:schemas-upnp-org:service:DeviceProtection:"
_SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
# Actions that change a router's mappings (WANIPConnection:1 s2.4, :2 s2.5): read from the
# router's SCPD to say what it offers; never built into a request.
MAPPING_WRITE_ACTIONS = (
    "AddPortMapping",
    "AddAnyPortMapping",
    "DeletePortMapping",
    "DeletePortMappingRange",
)


class ReadAction(StrEnum):
    """The only SOAP actions camsweep sends to a router: all four change nothing."""

    GET_GENERIC_PORT_MAPPING_ENTRY = "GetGenericPortMappingEntry"
    GET_LIST_OF_PORT_MAPPINGS = "GetListOfPortMappings"
    GET_EXTERNAL_IP_ADDRESS = "GetExternalIPAddress"
    GET_STATUS_INFO = "GetStatusInfo"


# Each action's input arguments, in the order the service description lists them.
_ARGUMENTS: dict[ReadAction, tuple[str, ...]] = {
    ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY: ("NewPortMappingIndex",),
    ReadAction.GET_LIST_OF_PORT_MAPPINGS: (
        "NewStartPort",
        "NewEndPort",
        "NewProtocol",
        "NewManage",
        "NewNumberOfPorts",
    ),
    ReadAction.GET_EXTERNAL_IP_ADDRESS: (),
    ReadAction.GET_STATUS_INFO: (),
}
_ARGUMENT_VALUE = re.compile(r"^[A-Za-z0-9]{0,8}$")  # integers, TCP/UDP, 0/1: nothing else


@dataclass(frozen=True, slots=True)
class WanService:
    """A WANIPConnection or WANPPPConnection service of the gateway."""

    service_type: str
    control_url: str  # absolute, on the description's own host
    scpd_url: str  # absolute, on the description's own host; empty when not given

    @property
    def version(self) -> int:
        match = _WAN_SERVICE.match(self.service_type)
        return int(match.group(2)) if match else 1

    @property
    def short_name(self) -> str:
        return self.service_type.rsplit(":", 2)[-2]


@dataclass(frozen=True, slots=True)
class IgdDescription:
    device_type: str
    manufacturer: str
    model: str
    friendly_name: str
    services: tuple[WanService, ...]
    device_protection: bool  # IGD:2 DeviceProtection: mapping requests may need a login
    refused_urls: tuple[str, ...] = ()  # control URLs pointing elsewhere: recorded, not followed


class SoapFault(Exception):
    """The router answered a SOAP fault (UDA s3.1.4): ``code`` is the UPnPError errorCode."""

    def __init__(self, code: int | None, description: str) -> None:
        super().__init__(f"UPnP error {code if code is not None else '?'}: {description}")
        self.code = code
        self.description = description


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(parent: Element, name: str) -> Element | None:
    return next((c for c in parent if _local(c.tag) == name), None)


def _text(parent: Element, name: str, limit: int = 256) -> str:
    node = _child(parent, name)
    return device_text(node.text if node is not None else None, limit)


def _parse_xml(data: bytes, what: str, limit: int = MAX_XML) -> Element:
    if len(data) > limit:
        raise ValueError(f"{what} larger than {limit} bytes")
    try:
        return read_xml(data)
    except XmlError as exc:
        raise ValueError(f"{what} is not usable XML ({exc})") from None


def same_host_url(reference: str, base: str) -> str | None:
    """``reference`` resolved against ``base`` when it stays on base's host and port, over http."""
    try:
        url = urllib.parse.urlsplit(urllib.parse.urljoin(base, reference.strip()))
        origin = urllib.parse.urlsplit(base)
        if url.scheme != "http" or url.hostname is None:
            return None
        if (url.hostname, url.port or 80) != (origin.hostname, origin.port or 80):
            return None
    except ValueError:
        return None
    return urllib.parse.urlunsplit(url._replace(fragment=""))


def parse_igd_description(xml: bytes, url: str) -> IgdDescription:
    """The gateway's WAN connection services from its description (UDA s2.3).

    Control and SCPD URLs are resolved against ``URLBase`` (UDA 1.0) or the description's URL
    and kept only when they stay on the description's host and port: a router cannot send
    camsweep elsewhere. Raises ValueError for anything that is not a device description.
    """
    root = _parse_xml(xml, "description")
    if _local(root.tag) != "root":
        raise ValueError("not a UPnP description")
    device = _child(root, "device")
    if device is None:
        raise ValueError("UPnP description without a device element")
    base = _text(root, "URLBase", 1024)
    base_url = url
    if base:
        resolved = same_host_url(base, url)
        base_url = resolved or url
    services: list[WanService] = []
    refused: list[str] = []
    protection = False
    stack: list[tuple[Element, int]] = [(device, 0)]
    while stack:
        node, depth = stack.pop()
        service_list = _child(node, "serviceList")
        for service in service_list if service_list is not None else ():
            if _local(service.tag) != "service":
                continue
            kind = _text(service, "serviceType")
            if kind.startswith(_DEVICE_PROTECTION):
                protection = True
            if not _WAN_SERVICE.match(kind) or len(services) >= _MAX_SERVICES:
                continue
            control = _text(service, "controlURL", 1024)
            control_url = same_host_url(control, base_url) if control else None
            if control_url is None:
                refused.append(control or "(none)")
                continue
            scpd = _text(service, "SCPDURL", 1024)
            scpd_url = (same_host_url(scpd, base_url) if scpd else None) or ""
            services.append(WanService(kind, control_url, scpd_url))
        device_list = _child(node, "deviceList")
        if device_list is not None and depth < _MAX_DEVICE_DEPTH:
            children = [d for d in device_list if _local(d.tag) == "device"]
            stack.extend((d, depth + 1) for d in reversed(children))  # document order
    return IgdDescription(
        device_type=_text(device, "deviceType"),
        manufacturer=_text(device, "manufacturer"),
        model=" ".join(x for x in (_text(device, "modelName"), _text(device, "modelNumber")) if x),
        friendly_name=_text(device, "friendlyName"),
        services=tuple(services),
        device_protection=protection,
        refused_urls=tuple(refused[:8]),
    )


def parse_scpd(xml: bytes) -> frozenset[str]:
    """The action names a service description lists (UDA s2.5)."""
    root = _parse_xml(xml, "service description")
    if _local(root.tag) != "scpd":
        raise ValueError("not a UPnP service description")
    actions = _child(root, "actionList")
    names: set[str] = set()
    for action in actions if actions is not None else ():
        if _local(action.tag) == "action" and len(names) < _MAX_ACTIONS:
            name = _text(action, "name", 64)
            if name:
                names.add(name)
    return frozenset(names)


def build_soap_request(
    action: ReadAction, service_type: str, arguments: Mapping[str, str | int] | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one read-only SOAP call (UDA s3.1.1).

    Raises ValueError for an action outside :class:`ReadAction`, an argument the action does
    not take, or a value that is not a short token: the request cannot carry anything else.
    """
    action = ReadAction(action)  # a plain string such as "AddPortMapping" raises ValueError
    if not _WAN_SERVICE.match(service_type):
        raise ValueError(f"not a WAN connection service type: {service_type[:80]!r}")
    given = dict(arguments or {})
    allowed = _ARGUMENTS[action]
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(f"{action.value} takes no argument {unknown[0]!r}")
    missing = [name for name in allowed if name not in given]
    if missing:
        raise ValueError(f"{action.value} needs {missing[0]}")
    parts = []
    for name in allowed:
        value = str(given[name])
        if not _ARGUMENT_VALUE.match(value):
            raise ValueError(f"{name}: not a plain value: {value[:20]!r}")
        parts.append(f"<{name}>{escape(value)}</{name}>")
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        f'<s:Envelope xmlns:s="{_SOAP_ENV}" s:encodingStyle="{_SOAP_ENCODING}">'
        f'<s:Body><u:{action.value} xmlns:u="{service_type}">{"".join(parts)}'
        f"</u:{action.value}></s:Body></s:Envelope>\r\n"
    )
    headers = {
        "Content-Type": 'text/xml; charset="utf-8"',
        "SOAPAction": f'"{service_type}#{action.value}"',
    }
    return headers, body.encode("utf-8")


def parse_soap_response(xml: bytes, action: ReadAction) -> dict[str, str]:
    """The output arguments of ``<u:ActionResponse>``, or raise :class:`SoapFault` / ValueError."""
    root = _parse_xml(xml, "SOAP answer", MAX_LISTING)
    body = _child(root, "Body") if _local(root.tag) == "Envelope" else None
    if body is None:
        raise ValueError("SOAP answer without an Envelope/Body")
    fault = _child(body, "Fault")
    if fault is not None:
        code: int | None = None
        description = _text(fault, "faultstring", 200)
        detail = _child(fault, "detail")
        error = _child(detail, "UPnPError") if detail is not None else None
        if error is not None:
            raw = _text(error, "errorCode", 8)
            code = _decimal(raw, 4)
            description = _text(error, "errorDescription", 200) or description
        raise SoapFault(code, description)
    response = _child(body, f"{action.value}Response")
    if response is None:
        raise ValueError(f"SOAP answer without {action.value}Response")
    out: dict[str, str] = {}
    for node in list(response)[:32]:
        name = _local(node.tag)
        if not name or name in out:
            continue
        if name == "NewPortListing":
            # An XML document of its own, sent escaped as the standard says; some routers send
            # it as child elements instead. Kept whole (the answer is capped above).
            inner = _child(node, "PortMappingList")
            listing = tostring(inner, encoding="unicode") if inner is not None else node.text
            out[name] = listing or ""
        else:
            out[name] = device_text(node.text, 256)
    return out


def _decimal(text: str, digits: int) -> int | None:
    """A plain ASCII decimal of at most ``digits`` digits; None for anything else (the one
    reader of numbers, scanner/digits.py: ``str.isdigit`` accepts superscripts such as "²")."""
    return ascii_decimal(text.strip(), max_digits=digits)


def _port(text: str) -> int | None:
    value = _decimal(text, 5)
    return value if value is not None and 0 < value < 65536 else None


def forward_from_fields(fields: Mapping[str, str]) -> PortForward | None:
    """A forward from one entry's arguments (WANIPConnection:1 s2.4.14), None when unusable."""
    external = _port(fields.get("NewExternalPort", ""))
    internal = _port(fields.get("NewInternalPort", ""))
    protocol = fields.get("NewProtocol", "").strip().upper()
    client = fields.get("NewInternalClient", "").strip()
    if external is None or internal is None or protocol not in ("TCP", "UDP"):
        return None
    try:
        client = str(ipaddress.IPv4Address(client))
    except ValueError:
        return None
    lease_text = fields.get("NewLeaseDuration", fields.get("NewLeaseTime", "")).strip()
    lease = _decimal(lease_text, 10)
    return PortForward(
        external_port=external,
        protocol=protocol,
        internal_client=client,
        internal_port=internal,
        enabled=fields.get("NewEnabled", "1").strip().lower() not in ("0", "false", "no"),
        # v1 entries say NewPortMappingDescription, v2 listings NewDescription.
        description=device_text(
            fields.get("NewPortMappingDescription", fields.get("NewDescription", "")), 120
        ),
        remote_host=device_text(fields.get("NewRemoteHost", ""), 64),
        lease_seconds=lease,
    )


def parse_port_listing(xml: str) -> list[PortForward]:
    """Forwards from an IGD:2 ``PortMappingList`` document (WANIPConnection:2 s2.5.20)."""
    root = _parse_xml(xml.encode("utf-8", "replace"), "port mapping list", MAX_LISTING)
    if _local(root.tag) != "PortMappingList":
        raise ValueError("not a PortMappingList")
    forwards: list[PortForward] = []
    for entry in list(root)[:_MAX_LISTED]:
        if _local(entry.tag) != "PortMappingEntry":
            continue
        fields = {_local(c.tag): (c.text or "") for c in entry}
        forward = forward_from_fields(fields)
        if forward is not None:
            forwards.append(forward)
    return forwards


# RFC 6886 s3.5 result codes.
_NATPMP_RESULTS = {
    2: "not authorized: mapping is switched off",
    3: "network failure: it has no usable external address",
    4: "out of resources",
    5: "unsupported opcode",
}


def build_natpmp_request() -> bytes:
    """NAT-PMP's external address request (RFC 6886 s3.2): version 0, opcode 0; changes nothing."""
    return b"\x00\x00"


def parse_natpmp(data: bytes) -> str | None:
    """What a UDP 5351 answer says, in words; None when it is neither NAT-PMP nor PCP."""
    if len(data) < 4 or len(data) > 1100:
        return None
    version, opcode = data[0], data[1]
    if version == 0 and opcode == 128:
        result = struct.unpack("!H", data[2:4])[0]
        if result == 0 and len(data) >= 12:
            external = str(ipaddress.IPv4Address(data[8:12]))
            return f"NAT-PMP answers (external address {external})"
        if result == 1:
            # RFC 6887 s9: a PCP-only server answers a NAT-PMP request with Unsupported Version.
            return "PCP answers (it refused the NAT-PMP version)"
        meaning = _NATPMP_RESULTS.get(result, "an unknown result")
        return f"NAT-PMP answers (result {result}: {meaning})"
    if version == 2 and opcode & 0x80:
        return "PCP answers"
    return None
