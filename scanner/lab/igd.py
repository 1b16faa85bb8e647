"""A lab home router: a UPnP IGD that answers the read actions, honestly or not, on loopback.

For the demo (``camsweep demo`` reads its forwards) and for the tests of routers that misbehave:
``faults`` answers every action with a SOAP fault, ``index-loop`` returns the same entry for every
index and never ends the list, ``lying-count`` sends far more entries than GetListOfPortMappings
asked for, ``endless`` lists distinct entries for ever (the reader's cap must stop it), ``garbage``
answers SOAP with bytes that are not XML. Every request is logged; write actions
(AddPortMapping and friends) are refused with UPnP error 606 and counted in ``writes``, so a
test can prove none was ever sent.

Wire format as miniupnpd 2.3 serves it (description at ``/rootDesc.xml``, control at
``/ctl/IPConn``): UDA 1.1 s2.3 and s3.1, WANIPConnection:1 s2.4, WANIPConnection:2 s2.5.20.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from scanner.digits import ascii_decimal
from scanner.lab.runner import RunningLab
from scanner.lab.wire import (
    LabProtocolError,
    LabStream,
    content_length,
    parse_request_head,
    render_response,
)
from scanner.models import PortForward

__all__ = [
    "DEMO_ROUTER_IP",
    "IgdRouter",
    "RouterBehaviour",
    "demo_forwards",
    "router_description",
    "start_demo_router",
]

_IDLE = 5.0
_MAX_REQUESTS_PER_CONNECTION = 2000
_LOOP_LIMIT = 100_000  # "endless" stops somewhere, so the lab itself stays bounded
_SOAP_ACTION = re.compile(r'"?urn:schemas-upnp-org:service:(WAN(?:IP|PPP)Connection):[0-9]#(\w+)"?')
_READS = {
    "GetGenericPortMappingEntry",
    "GetListOfPortMappings",
    "GetExternalIPAddress",
    "GetStatusInfo",
    "GetSpecificPortMappingEntry",
    "GetConnectionTypeInfo",
    "GetNATRSIPStatus",
}

RouterBehaviour = str  # normal, faults, index-loop, lying-count, endless, garbage


def router_description(version: int = 1, *, ppp: bool = True) -> bytes:
    """An IGD description shaped like miniupnpd's rootDesc.xml."""
    ppp_device = (
        "<device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>"
        "<serviceList><service>"
        "<serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType>"
        "<serviceId>urn:upnp-org:serviceId:WANPPPConn1</serviceId>"
        "<controlURL>/ctl/PPPConn</controlURL><eventSubURL>/evt/PPPConn</eventSubURL>"
        "<SCPDURL>/WANPPPCn.xml</SCPDURL></service></serviceList></device>"
        if ppp
        else ""
    )
    return (
        '<?xml version="1.0"?>\r\n<root xmlns="urn:schemas-upnp-org:device-1-0">'
        "<specVersion><major>1</major><minor>1</minor></specVersion><device>"
        f"<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:{version}</deviceType>"
        "<friendlyName>Lab Router</friendlyName><manufacturer>camsweep lab</manufacturer>"
        "<modelName>Lab IGD</modelName><modelNumber>1</modelNumber>"
        "<UDN>uuid:2f3c6a10-0000-4000-8000-000000000001</UDN><deviceList><device>"
        f"<deviceType>urn:schemas-upnp-org:device:WANDevice:{version}</deviceType><deviceList>"
        "<device>"
        f"<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:{version}</deviceType>"
        "<serviceList><service>"
        f"<serviceType>urn:schemas-upnp-org:service:WANIPConnection:{version}</serviceType>"
        "<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>"
        "<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL>"
        "<SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList></device>"
        f"{ppp_device}</deviceList></device></deviceList></device></root>\r\n"
    ).encode()


def _scpd(v2: bool) -> bytes:
    names = [
        "SetConnectionType", "GetConnectionTypeInfo", "RequestConnection", "ForceTermination",
        "GetStatusInfo", "GetNATRSIPStatus", "GetGenericPortMappingEntry",
        "GetSpecificPortMappingEntry", "AddPortMapping", "DeletePortMapping",
        "GetExternalIPAddress",
    ]  # fmt: skip
    if v2:
        names += ["AddAnyPortMapping", "DeletePortMappingRange", "GetListOfPortMappings"]
    actions = "".join(f"<action><name>{n}</name></action>" for n in names)
    return (
        '<?xml version="1.0"?>\r\n<scpd xmlns="urn:schemas-upnp-org:service-1-0">'
        f"<specVersion><major>1</major><minor>0</minor></specVersion><actionList>{actions}"
        "</actionList><serviceStateTable/></scpd>\r\n"
    ).encode()


def _envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f"{inner}</s:Body></s:Envelope>\r\n"
    ).encode()


def _fault(code: int, text: str) -> bytes:
    return _envelope(
        "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
        '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">'
        f"<errorCode>{code}</errorCode><errorDescription>{text}</errorDescription>"
        "</UPnPError></detail></s:Fault>"
    )


def _entry_fields(f: PortForward) -> dict[str, str]:
    return {
        "NewRemoteHost": f.remote_host,
        "NewExternalPort": str(f.external_port),
        "NewProtocol": f.protocol,
        "NewInternalPort": str(f.internal_port),
        "NewInternalClient": f.internal_client,
        "NewEnabled": "1" if f.enabled else "0",
        "NewPortMappingDescription": f.description,
        "NewLeaseDuration": str(f.lease_seconds or 0),
    }


def _arg(body: bytes, name: str) -> str:
    match = re.search(rf"<{name}>([^<]{{0,32}})</{name}>".encode(), body)
    return match.group(1).decode("ascii", "replace") if match else ""


@dataclass
class IgdRouter:
    """Serve with ``await router.start(ip, port)``; stop with ``await router.close()``."""

    forwards: Sequence[PortForward] = ()
    behaviour: RouterBehaviour = "normal"
    version: int = 1
    external_ip: str = "198.19.0.1"
    log: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, SOAP action
    writes: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    address: tuple[str, int] = ("", 0)

    @property
    def description_url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}/rootDesc.xml"

    async def start(self, ip: str = "127.0.0.1", port: int = 0) -> IgdRouter:
        self._server = await asyncio.start_server(self._accept, ip, port)
        sock = self._server.sockets[0].getsockname()
        self.address = (str(sock[0]), int(sock[1]))
        return self

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = LabStream(reader, writer, idle_timeout=_IDLE)
        try:
            for _ in range(_MAX_REQUESTS_PER_CONNECTION):
                head = await stream.read_head()
                if head is None:
                    return
                request = parse_request_head(head)
                body = await stream.read_body(content_length(request))
                status, content = self.answer(
                    request.method, request.target, request.header("soapaction") or "", body
                )
                writer.write(
                    render_response(
                        "HTTP/1.1",
                        status,
                        "OK" if status == 200 else "Error",
                        [
                            ("Content-Type", 'text/xml; charset="utf-8"'),
                            ("Server", "Lab/1.0 UPnP/1.1 labigd/1.0"),
                        ],
                        content,
                    )
                )
                await writer.drain()
        except (LabProtocolError, ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()

    def answer(self, method: str, path: str, soap_action: str, body: bytes) -> tuple[int, bytes]:
        """One HTTP answer: (status, body)."""
        match = _SOAP_ACTION.fullmatch(soap_action.strip()) if soap_action else None
        action = match.group(2) if match else ""
        self.log.append((method, path, action))
        if method == "GET":
            if path == "/rootDesc.xml":
                return 200, router_description(self.version)
            if path in ("/WANIPCn.xml", "/WANPPPCn.xml"):
                return 200, _scpd(self.version >= 2)
            return 404, b""
        if method != "POST" or path not in ("/ctl/IPConn", "/ctl/PPPConn") or match is None:
            return 404, b""
        service = match.group(1)
        if action not in _READS:
            self.writes.append(action)
            return 500, _fault(606, "Action not authorized")
        if self.behaviour == "faults":
            return 500, _fault(501, "Action Failed")
        if self.behaviour == "garbage":
            return 200, b"\x00\xffnot xml at all <<<"
        return self._read(service, action, body)

    def _respond(self, service: str, action: str, fields: dict[str, str]) -> tuple[int, bytes]:
        args = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
        urn = f"urn:schemas-upnp-org:service:{service}:{self.version}"
        return 200, _envelope(f'<u:{action}Response xmlns:u="{urn}">{args}</u:{action}Response>')

    def _entry(self, index: int) -> PortForward | None:
        if self.behaviour == "index-loop":
            return self.forwards[0] if self.forwards else None
        if self.behaviour == "endless" and index < _LOOP_LIMIT:
            return PortForward(20000 + index % 40000, "TCP", "198.18.0.99", 80, description="x")
        return self.forwards[index] if 0 <= index < len(self.forwards) else None

    def _read(self, service: str, action: str, body: bytes) -> tuple[int, bytes]:
        if service == "WANPPPConnection" and action != "GetStatusInfo":
            return 500, _fault(714, "NoSuchEntryInArray") if "Mapping" in action else _fault(
                501, "Action Failed"
            )
        if action == "GetStatusInfo":
            status = "Connected" if service == "WANIPConnection" else "Disconnected"
            return self._respond(
                service,
                action,
                {"NewConnectionStatus": status, "NewLastConnectionError": "ERROR_NONE",
                 "NewUptime": "3600"},
            )  # fmt: skip
        if action == "GetExternalIPAddress":
            return self._respond(service, action, {"NewExternalIPAddress": self.external_ip})
        if action == "GetGenericPortMappingEntry":
            index_text = _arg(body, "NewPortMappingIndex")
            index = ascii_decimal(index_text)
            entry = self._entry(index) if index is not None else None
            if entry is None:
                return 500, _fault(713, "SpecifiedArrayIndexInvalid")
            return self._respond(service, action, _entry_fields(entry))
        if action == "GetListOfPortMappings":
            protocol = _arg(body, "NewProtocol").upper()
            entries = [f for f in self.forwards if f.protocol == protocol]
            if self.behaviour == "lying-count":
                entries = [PortForward(30000 + i, protocol, "198.18.0.98", 80) for i in range(2000)]
            if not entries:
                return 500, _fault(730, "PortMappingNotFound")
            rows = "".join(
                "<p:PortMappingEntry>"
                + "".join(f"<p:{k}>{escape(v)}</p:{k}>" for k, v in _entry_fields(f).items())
                + "</p:PortMappingEntry>"
                for f in entries
            )
            listing = (
                '<?xml version="1.0" encoding="UTF-8"?><p:PortMappingList '
                'xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection">'
                f"{rows}</p:PortMappingList>"
            )
            return self._respond(service, action, {"NewPortListing": listing})
        return 500, _fault(401, "Invalid Action")


DEMO_ROUTER_IP = "127.77.0.1"
DEMO_EXTERNAL_IP = "203.0.113.7"  # TEST-NET-3 (RFC 5737): a documentation address, never routed


def demo_forwards(lab: RunningLab) -> tuple[PortForward, ...]:
    """The demo router's forwards: what a camera's app would have asked for over UPnP."""
    forwards = []
    for key, standard, external, label in (
        ("dahua-default", 554, 554, "Dahua RTSP"),
        ("xiongmai-dvr", 34567, 34567, "NetSurveillance"),
    ):
        with contextlib.suppress(KeyError, StopIteration):
            device = lab.device(key)
            forwards.append(
                PortForward(external, "TCP", device.ip, device.port(standard), description=label)
            )
    return tuple(forwards)


async def start_demo_router(lab: RunningLab) -> IgdRouter:
    """The demo lab's home router on 127.77.0.1 (any free port), forwarding two camera ports."""
    router = IgdRouter(demo_forwards(lab), external_ip=DEMO_EXTERNAL_IP)
    return await router.start(DEMO_ROUTER_IP, 0)
