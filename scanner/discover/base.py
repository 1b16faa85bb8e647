"""What every LAN discoverer hands the coordinator, and the small pieces they share.

A discoverer reports *sightings*: an IPv4 address seen by one method, with what that method
learnt (a MAC, host names, a pseudo-service holding its evidence fields). The coordinator
(``scanner.discover.lan``) merges them into hosts. Device text is never interpreted here: it is
decoded with replacement, folded to one line and truncated, and the renderers make it safe to
show.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.models import ServiceResult

__all__ = [
    "MAX_DATAGRAM",
    "Datagram",
    "Sighting",
    "collect_datagrams",
    "device_text",
    "multicast_socket",
]

MAX_DATAGRAM = 65_535  # the largest UDP payload
_FIELD_CHARS = 512  # one evidence value from discovery
_MAX_DATAGRAMS = 4096  # answers kept from one search: a hostile LAN cannot grow memory past it


@dataclass(frozen=True, slots=True)
class Sighting:
    """One method saw ``ip`` (and maybe its MAC, names, evidence)."""

    ip: str
    method: str  # arp, neighbours, mdns, ssdp, ws-discovery, passive
    mac: str | None = None
    hostnames: tuple[str, ...] = ()
    service: ServiceResult | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Datagram:
    data: bytes
    ip: str
    port: int


def device_text(value: str | bytes | None, limit: int = _FIELD_CHARS) -> str:
    """Device text as one evidence value: UTF-8 with replacement, whitespace folded, capped."""
    if value is None:
        return ""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text[: limit * 4].split())[:limit]


def multicast_socket(iface_ip: str, *, ttl: int) -> socket.socket:
    """A UDP socket that sends multicast out of the interface holding ``iface_ip`` only.

    Bound to that address, so unicast answers (SSDP, WS-Discovery ProbeMatches) come back to it
    and nothing leaves through another interface; our own multicast is not looped back to us.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface_ip))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.bind((iface_ip, 0))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, limit: int) -> None:
        self.datagrams: list[Datagram] = []
        self.limit = limit

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if len(self.datagrams) >= self.limit:
            return
        ip, port = addr[0], addr[1]
        if isinstance(ip, str) and isinstance(port, int):
            self.datagrams.append(Datagram(data, ip, port))

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for one answer must not end the search


async def collect_datagrams(
    sock: socket.socket,
    messages: Sequence[tuple[bytes, tuple[str, int]]],
    *,
    duration: float,
    repeat_after: float | None = None,
    limit: int = _MAX_DATAGRAMS,
) -> list[Datagram]:
    """Send ``messages``, listen on ``sock`` for ``duration`` seconds, return what came back.

    UDP may drop a datagram, so the messages are sent once more after ``repeat_after`` seconds
    when given (SOAP-over-UDP 1.1 and UPnP both ask for a repeat). The socket is closed at the
    end whatever happens.
    """
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(lambda: _Collector(limit), sock=sock)
    try:
        deadline = time.monotonic() + duration
        for data, addr in messages:
            transport.sendto(data, addr)
        if repeat_after is not None and repeat_after < duration:
            await asyncio.sleep(repeat_after)
            for data, addr in messages:
                transport.sendto(data, addr)
        remaining = deadline - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        return list(protocol.datagrams)
    finally:
        with contextlib.suppress(OSError):
            transport.close()
