"""Read one gateway's forwards over UPnP IGD: description, SCPDs, then the four read actions.

A thin async shell around :mod:`scanner.router.igd`. Everything is bounded: every answer is
read with a byte cap, every request has a timeout, the whole read has a deadline (what was read
before it is kept), the index walk stops at ``max_forwards``, at the first entry the router
repeats (an index loop) and at the first fault, and only the first few WAN services are asked.
Only GETs of the description and SCPDs and POSTs built by ``build_soap_request`` leave here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import httpx

from scanner.context import ProbeContext
from scanner.discover.base import device_text
from scanner.models import PortForward, RouterReading, RouterStatus
from scanner.router.config import MAX_FORWARDS
from scanner.router.igd import (
    MAPPING_WRITE_ACTIONS,
    MAX_LISTING,
    MAX_XML,
    IgdDescription,
    ReadAction,
    SoapFault,
    WanService,
    build_soap_request,
    forward_from_fields,
    parse_igd_description,
    parse_port_listing,
    parse_scpd,
    parse_soap_response,
)
from scanner.transport import TransportError

log = logging.getLogger(__name__)

__all__ = ["MAX_FORWARDS", "read_igd"]

_MAX_WAN_SERVICES = 4  # WAN connection services asked per router
_MAX_UNUSABLE = 8  # entries that are not forwards (bad port, bad address) before giving up
_END_OF_LIST = (713, 714)  # SpecifiedArrayIndexInvalid, NoSuchEntryInArray
_USER_AGENT = "camsweep/0.1 UPnP/1.1"

_Key = tuple[str, int, str]


def _key(forward: PortForward) -> _Key:
    return (forward.remote_host, forward.external_port, forward.protocol)


@dataclass
class _Progress:
    """What has been read so far: kept when the deadline cuts the read short."""

    address: str
    url: str
    server: str
    description: IgdDescription | None = None
    services: list[str] = field(default_factory=list)
    external_ip: str = ""
    status: str = ""
    forwards: dict[_Key, PortForward] = field(default_factory=dict)
    complete: bool = True
    answered_soap: bool = False  # some read action got a real (non-fault) answer
    faults: list[str] = field(default_factory=list)  # every fault, for a router that only faults
    missing: dict[str, str] = field(default_factory=dict)  # status/address errors, said if unknown
    write_actions: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 16:
            self.notes.append(text)

    def reading(self, status: RouterStatus, reason: str = "") -> RouterReading:
        d = self.description
        model = " ".join(x for x in ((d.manufacturer, d.model) if d else ()) if x)
        if self.server:
            model = f"{model} ({self.server})" if model else self.server
        return RouterReading(
            address=self.address,
            status=status,
            reason=reason,
            description_url=self.url,
            model=device_text(model, 160),
            services=tuple(self.services),
            external_ip=self.external_ip,
            connection_status=self.status,
            forwards=tuple(
                sorted(self.forwards.values(), key=lambda f: (f.external_port, f.protocol))
            ),
            forwards_complete=self.complete,
            mapping_actions=tuple(a for a in MAPPING_WRITE_ACTIONS if a in self.write_actions),
            device_protection=bool(d and d.device_protection),
            notes=tuple(self.notes),
        )


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    limit: int = MAX_XML,
) -> tuple[int, bytes]:
    method = "GET" if body is None else "POST"
    async with client.stream(method, url, content=body, headers=headers) as response:
        data = bytearray()
        async for chunk in response.aiter_raw():
            data.extend(chunk)
            if len(data) > limit:
                raise ValueError(f"answer larger than {limit} bytes")
        return response.status_code, bytes(data)


async def _call(
    client: httpx.AsyncClient,
    service: WanService,
    action: ReadAction,
    arguments: dict[str, str | int] | None = None,
) -> dict[str, str]:
    headers, body = build_soap_request(action, service.service_type, arguments)
    limit = MAX_LISTING if action is ReadAction.GET_LIST_OF_PORT_MAPPINGS else MAX_XML
    status, data = await _fetch(
        client, service.control_url, body=body, headers=headers, limit=limit
    )
    if status not in (200, 500):  # UDA s3.1.4: a fault comes with 500
        raise ValueError(f"{action.value} answered HTTP {status}")
    return parse_soap_response(data, action)


def _error(exc: Exception) -> str:
    if isinstance(exc, SoapFault | ValueError):
        return device_text(str(exc), 200)
    return type(exc).__name__


async def _walk_entries(
    client: httpx.AsyncClient, service: WanService, p: _Progress, cap: int
) -> None:
    """GetGenericPortMappingEntry from index 0 until the router says the list ended."""
    unusable = 0
    walked: set[_Key] = set()  # this walk's entries: one seen twice means the index loops
    for index in range(cap + 1):
        if len(p.forwards) >= cap:
            p.complete = False
            p.note(f"the router lists more than {cap} forwards; the first {cap} are shown")
            return
        try:
            fields = await _call(
                client, service, ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY,
                {"NewPortMappingIndex": index},
            )  # fmt: skip
        except SoapFault as fault:
            if fault.code in _END_OF_LIST:
                p.answered_soap = True  # the standard end of the list: an answer
                return
            p.faults.append(str(fault))
            if index == 0:
                p.complete = False
                p.note(f"{service.short_name}: the router refused to list its forwards ({fault})")
            else:
                p.note(
                    f"{service.short_name}: the list ended at index {index} with {fault} "
                    "instead of error 713"
                )
            return
        except (httpx.HTTPError, TransportError, OSError, ValueError) as exc:
            p.complete = False
            p.note(f"{service.short_name}: listing stopped at index {index}: {_error(exc)}")
            return
        p.answered_soap = True
        forward = forward_from_fields(fields)
        if forward is None:
            unusable += 1
            if unusable > _MAX_UNUSABLE:
                p.complete = False
                p.note(f"{service.short_name}: entries that are not forwards; listing stopped")
                return
            continue
        key = _key(forward)
        if key in walked:
            p.complete = False
            p.note(
                f"{service.short_name}: the router repeated the forward of external port "
                f"{forward.external_port} at index {index} (an index loop); listing stopped"
            )
            return
        walked.add(key)
        p.forwards.setdefault(key, forward)


async def _list_v2(client: httpx.AsyncClient, service: WanService, p: _Progress, cap: int) -> None:
    """IGD:2 GetListOfPortMappings over the whole port range, TCP then UDP."""
    for protocol in ("TCP", "UDP"):
        try:
            fields = await _call(
                client,
                service,
                ReadAction.GET_LIST_OF_PORT_MAPPINGS,
                {
                    "NewStartPort": 0,
                    "NewEndPort": 65535,
                    "NewProtocol": protocol,
                    "NewManage": 1,  # every device's forwards, not only camsweep's (none)
                    "NewNumberOfPorts": cap,
                },
            )
        except SoapFault as fault:
            if fault.code in (*_END_OF_LIST, 730):  # 730: PortMappingNotFound, an empty list
                p.answered_soap = True
            else:
                p.faults.append(str(fault))
                p.note(f"{service.short_name}: GetListOfPortMappings {protocol}: {fault}")
            continue
        except (httpx.HTTPError, TransportError, OSError, ValueError) as exc:
            p.note(f"{service.short_name}: GetListOfPortMappings {protocol}: {_error(exc)}")
            continue
        p.answered_soap = True
        try:
            listed = parse_port_listing(fields.get("NewPortListing", ""))
        except ValueError as exc:
            p.note(f"{service.short_name}: GetListOfPortMappings {protocol}: {_error(exc)}")
            continue
        if len(listed) > cap:
            p.complete = False
            p.note(
                f"{service.short_name}: asked for at most {cap} {protocol} forwards, the router "
                f"sent more; the first {cap} are kept"
            )
        for forward in listed[:cap]:
            if len(p.forwards) >= cap:
                p.complete = False
                break
            p.forwards.setdefault(_key(forward), forward)


async def _read_service(
    client: httpx.AsyncClient, service: WanService, p: _Progress, cap: int
) -> None:
    actions: frozenset[str] | None = None
    if service.scpd_url:
        try:
            status, data = await _fetch(client, service.scpd_url)
            if status == 200:
                actions = parse_scpd(data)
                p.write_actions.update(a for a in MAPPING_WRITE_ACTIONS if a in actions)
        except (httpx.HTTPError, TransportError, OSError, ValueError) as exc:
            p.note(f"{service.short_name}: service description not read ({_error(exc)})")
    p.services.append(service.short_name)
    connected = False
    try:
        info = await _call(client, service, ReadAction.GET_STATUS_INFO)
        p.answered_soap = True
        status_text = info.get("NewConnectionStatus", "")
        connected = status_text.lower() == "connected"
        if status_text and (connected or not p.status):
            p.status = status_text
    except (SoapFault, ValueError, httpx.HTTPError, TransportError, OSError) as exc:
        p.missing.setdefault("GetStatusInfo", f"{service.short_name}: {_error(exc)}")
    try:
        ext = await _call(client, service, ReadAction.GET_EXTERNAL_IP_ADDRESS)
        p.answered_soap = True
        address = device_text(ext.get("NewExternalIPAddress", ""), 64)
        if address and (connected or not p.external_ip):
            p.external_ip = address
    except (SoapFault, ValueError, httpx.HTTPError, TransportError, OSError) as exc:
        p.missing.setdefault("GetExternalIPAddress", f"{service.short_name}: {_error(exc)}")
    offers_list = (
        "GetListOfPortMappings" in actions if actions is not None else service.version >= 2
    )
    if offers_list:
        await _list_v2(client, service, p, cap)
    await _walk_entries(client, service, p, cap)


async def read_igd(
    ctx: ProbeContext,
    url: str,
    address: str,
    *,
    server: str = "",
    timeout: float,
    deadline: float,
    max_forwards: int = MAX_FORWARDS,
) -> RouterReading:
    """Read the gateway whose description is at ``url`` (over ``ctx``'s seam); never raises.

    ``timeout`` bounds each request, ``deadline`` the whole read (seconds).
    """
    p = _Progress(address, url, device_text(server, 120))
    try:
        async with (
            asyncio.timeout(deadline),
            ctx.http_client(timeout=timeout, user_agent=_USER_AGENT) as client,
        ):
            status, data = await _fetch(client, url)
            if status != 200:
                return p.reading(RouterStatus.FAILED, f"its description answered HTTP {status}")
            p.description = parse_igd_description(data, url)
            for refused in p.description.refused_urls:
                p.note(f"a control URL points off the router and was not followed: {refused}")
            if not p.description.services:
                return p.reading(
                    RouterStatus.NO_UPNP,
                    "its UPnP description offers no WANIPConnection or WANPPPConnection service",
                )
            for service in p.description.services[:_MAX_WAN_SERVICES]:
                await _read_service(client, service, p, max_forwards)
    except TimeoutError:
        p.complete = False
        p.note(f"the router did not finish answering within {deadline:g}s; shown is what it "
               "answered before that")  # fmt: skip
    except (httpx.HTTPError, TransportError, OSError, ValueError) as exc:
        if p.description is None:
            return p.reading(RouterStatus.FAILED, f"its description was not read: {_error(exc)}")
        p.complete = False
        p.note(f"reading stopped: {_error(exc)}")
    except Exception as exc:  # a bug must not end the scan
        log.debug("router read failed", exc_info=True)
        p.complete = False
        p.note(f"internal error while reading the router: {type(exc).__name__}")
    if not p.external_ip and "GetExternalIPAddress" in p.missing:
        p.note(
            f"external address unknown: GetExternalIPAddress: {p.missing['GetExternalIPAddress']}"
        )
    if not p.status and "GetStatusInfo" in p.missing:
        p.note(f"connection status unknown: GetStatusInfo: {p.missing['GetStatusInfo']}")
    if not p.answered_soap:
        if p.faults:
            return p.reading(
                RouterStatus.FAILED, f"it answered every read action with a fault ({p.faults[0]})"
            )
        return p.reading(RouterStatus.FAILED, "it answered none of the read actions")
    return p.reading(RouterStatus.READ)
