"""Lab devices that answer their maker's discovery protocol, as the real devices do.

Each answer is built here the way the device writes it (the layouts docs/discovery.md cites),
independently of the scanner's parsers, and is sent only to a datagram that looks like that
protocol's search:

- Hikvision SADP (UDP 37020): an XML ``<Probe>`` with ``<Types>inquiry</Types>`` gets a
  ``<ProbeMatch>`` (model, serial, firmware, MAC, ``Activated``);
- Dahua DHDiscover (UDP 37810): a DHIP frame whose JSON asks ``DHDiscover.search`` gets a DHIP
  ``client.notifyDevInfo`` (model, serial, Version, ``Init``);
- Xiongmai (UDP 34569): a Sofia frame with message 1530 gets message 1531 (NetWork.NetCommon);
- CS2 / PPPP (UDP 32108): ``F1 30 00 00`` (MSG_LAN_SEARCH) gets MSG_PUNCH_PKT with the UID;
- Ubiquiti (UDP 10001): ``01 00 00 00`` gets a v1 TLV answer.

The loopback lab binds the device's own 127.x address (unicast only); the namespace lab binds
the device's LAN address and the wildcard, and joins the multicast groups, so broadcast and
multicast reach it for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

__all__ = [
    "Cs2Answer",
    "DhipAnswer",
    "SadpAnswer",
    "SofiaAnswer",
    "UbntAnswer",
    "VendorAnswer",
    "VendorResponder",
]

_MAX_QUERY = 4096


@dataclass(frozen=True)
class SadpAnswer:
    model: str
    serial: str
    firmware: str
    dsp: str
    mac: str  # aa-bb-cc-dd-ee-ff, as SADP writes it
    activated: bool
    port: int = 37020
    group: str | None = "239.255.255.250"

    def answer(self, query: bytes, ip: str) -> bytes | None:
        if b"<Probe>" not in query or b"inquiry" not in query:
            return None
        start = query.find(b"<Uuid>")
        end = query.find(b"</Uuid>")
        uuid = query[start + 6 : end].decode("ascii", "replace") if 0 <= start < end else ""
        activated = "true" if self.activated else "false"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<ProbeMatch>\n<Uuid>{uuid}</Uuid>\n<Types>inquiry</Types>\n"
            "<DeviceType>139267</DeviceType>\n"
            f"<DeviceDescription>{self.model}</DeviceDescription>\n"
            f"<DeviceSN>{self.serial}</DeviceSN>\n<CommandPort>8000</CommandPort>\n"
            f"<HttpPort>80</HttpPort>\n<MAC>{self.mac}</MAC>\n<IPv4Address>{ip}</IPv4Address>\n"
            f"<DHCP>false</DHCP>\n<SoftwareVersion>{self.firmware}</SoftwareVersion>\n"
            f"<DSPVersion>{self.dsp}</DSPVersion>\n<Activated>{activated}</Activated>\n"
            "<PasswordResetAbility>true</PasswordResetAbility>\n</ProbeMatch>\n"
        ).encode()


@dataclass(frozen=True)
class DhipAnswer:
    model: str
    serial: str
    firmware: str
    mac: str
    initialised: bool
    device_class: str = "IPC"
    port: int = 37810
    group: str | None = "239.255.255.251"

    def answer(self, query: bytes, ip: str) -> bytes | None:
        if query[4:8] != b"DHIP" or b"DHDiscover.search" not in query:
            return None
        info = {
            "DeviceClass": self.device_class,
            "DeviceType": self.model,
            "HttpPort": 80,
            "IPv4Address": {"DhcpEnable": False, "IPAddress": ip, "SubnetMask": "255.255.255.0"},
            "Init": 0x0A98 | (2 if self.initialised else 1),
            "MachineName": self.serial,
            "Manufacturer": "Private",
            "Port": 37777,
            "SerialNo": self.serial,
            "Vendor": "Dahua",
            "Version": self.firmware,
        }
        body = (
            json.dumps(
                {"mac": self.mac, "method": "client.notifyDevInfo", "params": {"deviceInfo": info}}
            ).encode()
            + b"\n\x00"
        )
        header = struct.pack("<I4sIIIIII", 0x20, b"DHIP", 0, 0, len(body), 0, len(body), 0)
        return header + body


@dataclass(frozen=True)
class SofiaAnswer:
    serial: str  # the XMEye cloud ID
    firmware: str
    mac: str
    port: int = 34569
    group: str | None = None

    def answer(self, query: bytes, ip: str) -> bytes | None:
        if len(query) < 20 or query[0] != 0xFF or struct.unpack_from("<H", query, 14)[0] != 1530:
            return None
        host = "0x" + bytes(int(p) for p in reversed(ip.split("."))).hex().upper()
        common = {
            "DeviceType": 1,
            "HostIP": host,
            "HostName": "LocalHost",
            "HttpPort": 80,
            "MAC": self.mac,
            "SN": self.serial,
            "TCPPort": 34567,
            "UDPPort": 34568,
            "Version": self.firmware,
        }
        body = json.dumps({"NetWork.NetCommon": common, "Ret": 100}).encode() + b"\x00"
        return struct.pack("<BBHIIHHI", 0xFF, 1, 0, 0, 0, 0, 1531, len(body)) + body


@dataclass(frozen=True)
class Cs2Answer:
    prefix: str
    serial: int
    check: str
    port: int = 32108
    group: str | None = None

    def answer(self, query: bytes, ip: str) -> bytes | None:  # noqa: ARG002  (no address in it)
        if query[:2] != b"\xf1\x30":
            return None
        body = self.prefix.encode().ljust(8, b"\0") + struct.pack(">I", self.serial)
        body += self.check.encode().ljust(8, b"\0")
        return struct.pack(">BBH", 0xF1, 0x41, len(body)) + body


@dataclass(frozen=True)
class UbntAnswer:
    platform: str
    firmware: str
    mac: str
    default: bool
    port: int = 10001
    group: str | None = None

    def answer(self, query: bytes, ip: str) -> bytes | None:
        if query[:4] != b"\x01\x00\x00\x00":
            return None
        mac = bytes.fromhex(self.mac.replace(":", ""))
        records = [
            (0x02, mac + bytes(int(p) for p in ip.split("."))),
            (0x01, mac),
            (0x0B, self.platform.encode()),
            (0x0C, self.platform.encode()),
            (0x17, struct.pack(">I", 1 if self.default else 0)),
            (0x03, self.firmware.encode()),
        ]
        body = b"".join(struct.pack(">BH", t, len(v)) + v for t, v in records)
        return struct.pack(">BBH", 1, 0, len(body)) + body


VendorAnswer = SadpAnswer | DhipAnswer | SofiaAnswer | Cs2Answer | UbntAnswer


class _Responder(asyncio.DatagramProtocol):
    def __init__(self, answers: Sequence[VendorAnswer], ip: str, *, to_group: bool) -> None:
        self.answers = answers
        self.ip = ip
        self.to_group = to_group  # answer a search to its multicast group, as SADP devices do
        self.transport: asyncio.DatagramTransport | None = None
        self.queries = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.DatagramTransport", transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if self.transport is None or len(data) > _MAX_QUERY:
            return
        for answer in self.answers:
            reply = answer.answer(data, self.ip)
            if reply is not None:
                self.queries += 1
                group = getattr(answer, "group", None) if self.to_group else None
                target = (group, answer.port) if group else addr
                with contextlib.suppress(OSError):
                    self.transport.sendto(reply, target)
                return

    def error_received(self, exc: Exception) -> None:
        pass


def _factory(protocol: _Responder) -> Callable[[], _Responder]:
    return lambda: protocol


class VendorResponder:
    """Answers the device's discovery protocols on ``ip`` (and, in a namespace, the LAN)."""

    def __init__(
        self,
        ip: str,
        answers: Sequence[VendorAnswer],
        *,
        lan: bool = False,
        group_replies: frozenset[int] = frozenset(),
    ) -> None:
        self.ip = ip
        self.answers = tuple(answers)
        self.lan = lan  # bind the wildcard and join groups: only inside a lab namespace
        self.group_replies = group_replies  # ports whose answers go to the multicast group
        self.ports: dict[int, int] = {}  # standard port -> bound port
        self._transports: list[asyncio.DatagramTransport] = []
        self._protocols: list[_Responder] = []

    @property
    def queries(self) -> int:
        return sum(p.queries for p in self._protocols)

    async def start(self, *, fallback: bool = True) -> None:
        loop = asyncio.get_running_loop()
        for port in sorted({a.port for a in self.answers}):
            mine = [a for a in self.answers if a.port == port]
            sock = self._socket(port, mine, fallback=fallback)
            protocol = _Responder(mine, self.ip, to_group=self.lan and port in self.group_replies)
            transport, _ = await loop.create_datagram_endpoint(_factory(protocol), sock=sock)
            self._transports.append(transport)
            self._protocols.append(protocol)
            self.ports[port] = int(sock.getsockname()[1])

    def _socket(
        self, port: int, answers: Sequence[VendorAnswer], *, fallback: bool
    ) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            if self.lan:
                # The wildcard receives unicast, subnet broadcast and the joined groups.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("0.0.0.0", port))  # noqa: S104  (inside the device's namespace)
                for group in {a.group for a in answers if a.group}:
                    membership = socket.inet_aton(group) + socket.inet_aton(self.ip)
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
                # Group replies leave through the lab LAN and do not come back to us.
                sock.setsockopt(
                    socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(self.ip)
                )
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            else:
                try:
                    sock.bind((self.ip, port))
                except OSError:
                    if not fallback:
                        raise
                    sock.bind((self.ip, 0))  # taken (another lab): the lab says which port
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    async def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()
