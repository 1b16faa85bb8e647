"""Emulated LAN discovery responders for the namespace lab: SSDP (+ description), WS-Discovery,
mDNS.

They run only inside a network namespace the lab built (``scanner.lab.netns``), on the device's
198.18.0.x address, never in the root namespace. Written from the specifications, independently
of ``scanner.discover`` (as the rest of the lab is independent of the probes), so the scanner
and the lab cannot share a misreading:

* SSDP: UPnP Device Architecture 1.1 (UDA) s1.1.2 NOTIFY ssdp:alive / ssdp:byebye, s1.3.2-1.3.3
  M-SEARCH and its unicast answer, s2.3 the device description served over HTTP;
* WS-Discovery (April 2005, as ONVIF Core s7.3 uses it): ProbeMatches to a matching Probe,
  Hello when joining, Bye when leaving;
* mDNS/DNS-SD: zeroconf's responder (RFC 6762 probing and announcing, RFC 6763 records,
  including the ``_services._dns-sd._udp`` enumeration).

Besides answering, every responder re-announces itself every ``announce_interval`` seconds
(real devices do so at joins and on cache expiry; the lab does it often so a short passive
listening window hears it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
import uuid
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from scanner.lab.devices import MdnsAnnouncement, OnvifIdentity, SsdpIdentity
from scanner.lab.httpd import HttpConfig, HttpRoute, HttpServer
from scanner.lab.wire import LabStream

log = logging.getLogger(__name__)

__all__ = ["MdnsResponder", "SsdpResponder", "WsdResponder", "ssdp_description"]

MULTICAST_GROUP = "239.255.255.250"  # SSDP and WS-Discovery share it (UDA s1.1.2; WS-D s2.4)
SSDP_PORT = 1900
WSD_PORT = 3702
_MAX_REPLY_DELAY = 0.2  # seconds; UDA allows up to MX, the lab answers fast to keep tests short
_MAX_REQUEST = 64 * 1024
_IDLE = 5.0


def _group_socket(iface_ip: str, port: int, ttl: int) -> socket.socket:
    """Bound to the multicast port, member of the group on the device's interface only."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("", port))
        membership = struct.pack(
            "4s4s", socket.inet_aton(MULTICAST_GROUP), socket.inet_aton(iface_ip)
        )
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface_ip))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, owner: _UdpResponder) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        ip, port = addr[0], addr[1]
        if isinstance(ip, str) and isinstance(port, int) and len(data) <= _MAX_REQUEST:
            self.owner.received(data, (ip, port))

    def error_received(self, exc: Exception) -> None:
        pass


class _UdpResponder:
    """A multicast responder with an announcer task; ``close`` says goodbye and stops."""

    port = 0
    ttl = 1

    def __init__(self, iface_ip: str, *, announce_interval: float) -> None:
        self.iface_ip = iface_ip
        self.announce_interval = announce_interval
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        sock = _group_socket(self.iface_ip, self.port, self.ttl)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), sock=sock)
        self._transport = transport
        self._spawn(self._announcer())

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, addr)

    def announcements(self) -> list[bytes]:
        return []

    def goodbyes(self) -> list[bytes]:
        return []

    async def _announcer(self) -> None:
        while True:
            for message in self.announcements():
                self.send(message, (MULTICAST_GROUP, self.port))
            await asyncio.sleep(self.announce_interval)

    def reply_later(self, messages: list[bytes], addr: tuple[str, int]) -> None:
        async def later() -> None:
            await asyncio.sleep(random.uniform(0, _MAX_REPLY_DELAY))  # noqa: S311  (not crypto)
            for message in messages:
                self.send(message, addr)

        self._spawn(later())

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        for message in self.goodbyes():
            self.send(message, (MULTICAST_GROUP, self.port))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        if self._transport is not None:
            self._transport.close()


# --- SSDP -----------------------------------------------------------------------------------------


def ssdp_description(identity: SsdpIdentity) -> bytes:
    """The device description document (UDA s2.3), values XML-escaped."""
    rows = [
        ("deviceType", identity.device_type),
        ("friendlyName", identity.friendly_name or identity.model_name),
        ("manufacturer", identity.manufacturer),
        ("modelName", identity.model_name),
        ("modelNumber", identity.model_number),
        ("serialNumber", identity.serial),
        ("firmwareVersion", identity.firmware),
        ("UDN", f"uuid:{identity.uuid}"),
    ]
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in rows if value)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<root xmlns="urn:schemas-upnp-org:device-1-0">'
        "<specVersion><major>1</major><minor>0</minor></specVersion>"
        f"<device>{body}</device></root>\n"
    ).encode()


class SsdpResponder(_UdpResponder):
    port = SSDP_PORT
    ttl = 2  # UDA s1.1.2

    def __init__(self, iface_ip: str, identity: SsdpIdentity, *, announce_interval: float) -> None:
        super().__init__(iface_ip, announce_interval=announce_interval)
        self.identity = identity
        self._http: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def location(self) -> str:
        return f"http://{self.iface_ip}:{self.identity.description_port}/description.xml"

    def _targets(self) -> list[tuple[str, str]]:
        """(ST/NT, USN) pairs for the root device (UDA s1.1.2: three per root device)."""
        udn = f"uuid:{self.identity.uuid}"
        return [
            ("upnp:rootdevice", f"{udn}::upnp:rootdevice"),
            (udn, udn),
            (self.identity.device_type, f"{udn}::{self.identity.device_type}"),
        ]

    def _message(self, start: str, lines: list[str]) -> bytes:
        return ("\r\n".join([start, *lines]) + "\r\n\r\n").encode()

    def announcements(self) -> list[bytes]:
        return [
            self._message(
                "NOTIFY * HTTP/1.1",
                [
                    f"HOST: {MULTICAST_GROUP}:{SSDP_PORT}",
                    "CACHE-CONTROL: max-age=1800",
                    f"LOCATION: {self.location}",
                    f"NT: {nt}",
                    "NTS: ssdp:alive",
                    f"SERVER: {self.identity.server}",
                    f"USN: {usn}",
                ],
            )
            for nt, usn in self._targets()
        ]

    def goodbyes(self) -> list[bytes]:
        return [
            self._message(
                "NOTIFY * HTTP/1.1",
                [
                    f"HOST: {MULTICAST_GROUP}:{SSDP_PORT}",
                    f"NT: {nt}",
                    "NTS: ssdp:byebye",
                    f"USN: {usn}",
                ],
            )
            for nt, usn in self._targets()
        ]

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        lines = data.decode("latin-1").split("\r\n")
        if not lines or lines[0].strip().upper() != "M-SEARCH * HTTP/1.1":
            return
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if headers.get("man", "").strip('"') != "ssdp:discover":
            return  # UDA s1.3.2: MAN is required and must be "ssdp:discover"
        st = headers.get("st", "")
        matches = [(target, usn) for target, usn in self._targets() if st in ("ssdp:all", target)]
        replies = [
            self._message(
                "HTTP/1.1 200 OK",
                [
                    "CACHE-CONTROL: max-age=1800",
                    "EXT:",
                    f"LOCATION: {self.location}",
                    f"SERVER: {self.identity.server}",
                    f"ST: {target}",
                    f"USN: {usn}",
                ],
            )
            for target, usn in matches
        ]
        if replies:
            self.reply_later(replies, addr)

    async def start(self) -> None:
        description = ssdp_description(self.identity)
        server = HttpServer(
            HttpConfig(
                server=self.identity.server,
                routes=(
                    HttpRoute(
                        "/description.xml",
                        body=description,
                        content_type='text/xml; charset="utf-8"',
                    ),
                ),
            ),
            authenticator=None,
        )

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            async def run() -> None:
                stream = LabStream(reader, writer, idle_timeout=_IDLE)
                try:
                    async with asyncio.timeout(_IDLE * 2):
                        await server.serve(stream)
                except TimeoutError:
                    pass
                finally:
                    await stream.close()

            task = asyncio.get_running_loop().create_task(run())
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

        self._http = await asyncio.start_server(
            on_connect, self.iface_ip, self.identity.description_port
        )
        try:
            await super().start()
        except BaseException:
            self._http.close()
            raise

    async def close(self) -> None:
        await super().close()
        if self._http is not None:
            self._http.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=2.0)


# --- WS-Discovery -------------------------------------------------------------------------------

_SOAP = "http://www.w3.org/2003/05/soap-envelope"
_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
_DN = "http://www.onvif.org/ver10/network/wsdl"
_TDS = "http://www.onvif.org/ver10/device/wsdl"


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find(parent: Element, *path: str) -> Element | None:
    node: Element | None = parent
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


class WsdResponder(_UdpResponder):
    port = WSD_PORT
    ttl = 1

    def __init__(self, iface_ip: str, identity: OnvifIdentity, *, announce_interval: float) -> None:
        super().__init__(iface_ip, announce_interval=announce_interval)
        self.identity = identity
        self._sequence = 0

    @property
    def xaddrs(self) -> str:
        return f"http://{self.iface_ip}/onvif/device_service"

    def _envelope(self, action: str, body: str, relates_to: str | None = None) -> bytes:
        self._sequence += 1
        relates = f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>" if relates_to else ""
        to = _ANON if relates_to else "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<s:Envelope xmlns:s="{_SOAP}" xmlns:a="{_WSA}" xmlns:d="{_WSD}" '
            f'xmlns:dn="{_DN}" xmlns:tds="{_TDS}">'
            "<s:Header>"
            f"<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>{relates}"
            f"<a:To>{to}</a:To>"
            f"<a:Action>{_WSD}/{action}</a:Action>"
            f'<d:AppSequence InstanceId="1" MessageNumber="{self._sequence}"/>'
            f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
        ).encode()

    def _endpoint(self, *, with_addresses: bool = True) -> str:
        parts = [
            f"<a:EndpointReference><a:Address>urn:uuid:{self.identity.uuid}</a:Address>"
            "</a:EndpointReference>"
        ]
        if with_addresses:
            parts += [
                f"<d:Types>{escape(' '.join(self.identity.types))}</d:Types>",
                f"<d:Scopes>{escape(' '.join(self.identity.scopes))}</d:Scopes>",
                f"<d:XAddrs>{escape(self.xaddrs)}</d:XAddrs>",
                "<d:MetadataVersion>1</d:MetadataVersion>",
            ]
        return "".join(parts)

    def announcements(self) -> list[bytes]:
        return [self._envelope("Hello", f"<d:Hello>{self._endpoint()}</d:Hello>")]

    def goodbyes(self) -> list[bytes]:
        return [self._envelope("Bye", f"<d:Bye>{self._endpoint(with_addresses=False)}</d:Bye>")]

    def _wants_us(self, types_text: str) -> bool:
        """A Probe matches when every type it asks for is one of ours (WS-D s5.1), by local
        name (prefix mappings are not carried over)."""
        ours = {t.rsplit(":", 1)[-1] for t in self.identity.types}
        asked = {t.rsplit(":", 1)[-1] for t in types_text.split()}
        return asked <= ours

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            root = fromstring(data, forbid_dtd=True)
        except (ParseError, DefusedXmlException, ValueError, LookupError):
            return
        probe = _find(root, "Body", "Probe")
        if probe is None:
            return
        types = _find(probe, "Types")
        if not self._wants_us(types.text or "" if types is not None else ""):
            return
        message_id = _find(root, "Header", "MessageID")
        relates = (message_id.text or "").strip() if message_id is not None else ""
        body = f"<d:ProbeMatches><d:ProbeMatch>{self._endpoint()}</d:ProbeMatch></d:ProbeMatches>"
        self.reply_later([self._envelope("ProbeMatches", body, relates_to=relates)], addr)


_ANON = f"{_WSA}/role/anonymous"


# --- mDNS -----------------------------------------------------------------------------------------


class MdnsResponder:
    """zeroconf's responder on the device's interface, registering each announcement."""

    def __init__(
        self,
        iface_ip: str,
        hostname: str,
        announcements: tuple[MdnsAnnouncement, ...],
        *,
        announce_interval: float,
    ) -> None:
        self.iface_ip = iface_ip
        self.hostname = hostname
        self.announcements = announcements
        self.announce_interval = announce_interval
        self._zc: object | None = None
        self._infos: list[object] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from zeroconf import IPVersion  # noqa: PLC0415
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf  # noqa: PLC0415

        azc = AsyncZeroconf(interfaces=[self.iface_ip], ip_version=IPVersion.V4Only)
        self._zc = azc
        for item in self.announcements:
            service_type = f"{item.service_type}.local."
            info = AsyncServiceInfo(
                service_type,
                f"{item.instance}.{service_type}",
                port=item.port,
                properties=dict(item.txt),
                server=f"{self.hostname}.local.",
                addresses=[socket.inet_aton(self.iface_ip)],
            )
            await (await azc.async_register_service(info))
            self._infos.append(info)
        self._task = asyncio.get_running_loop().create_task(self._announcer())

    async def _announcer(self) -> None:
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf  # noqa: PLC0415

        azc = self._zc
        assert isinstance(azc, AsyncZeroconf)
        while True:
            await asyncio.sleep(self.announce_interval)
            for info in self._infos:
                assert isinstance(info, AsyncServiceInfo)
                # RFC 6762 s8.4: an update re-announces the records, unsolicited.
                await (await azc.async_update_service(info))

    async def close(self) -> None:
        from zeroconf.asyncio import AsyncZeroconf  # noqa: PLC0415

        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        azc = self._zc
        if isinstance(azc, AsyncZeroconf):
            with contextlib.suppress(Exception):
                async with asyncio.timeout(3.0):
                    await azc.async_unregister_all_services()
            await azc.async_close()
