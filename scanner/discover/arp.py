"""ARP sweep: every live on-link IPv4 host answers ARP, open ports or not (RFC 826).

The sweep is paced and streamed, so a /16 costs the same memory as a /24: addresses come from a
lazy, re-iterable collection (never a list of 65,536 packets), requests leave at ``rate`` per
second from one raw packet socket inside the event loop, every answer is handed to ``heard`` as
it arrives (the scan probes that host at once), and after a short wait the silent addresses are
asked once more (a lost frame must not hide a host). Only the frames are hand-built: 42 bytes
with a fixed layout, checked against scapy's own encoding in the tests.

Needs raw sockets (root or CAP_NET_RAW). Without them ``ArpUnavailable`` says why, once, and LAN
discovery falls back (docs/discovery.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import struct
from collections.abc import Callable, Collection
from dataclasses import dataclass

from scanner.config import ARP_RATE
from scanner.discover.base import Sighting
from scanner.discover.oui import normalize_mac

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_RATE",
    "MAX_WAIT",
    "ArpUnavailable",
    "arp_reply",
    "arp_request",
    "arp_sweep",
    "can_send_arp",
    "sweep_seconds",
]

DEFAULT_RATE = ARP_RATE  # requests per second; why this much: scanner/config.py
MAX_RATE = 100_000
# On a LAN an ARP answer takes well under a millisecond to a few; waiting longer finds nothing.
MAX_WAIT = 1.0
_TICK = 0.01  # seconds: requests are sent in small bursts, one every tick
_ETH_P_ARP = 0x0806
_PACKET_OUTGOING = 4
_PACKET_IGNORE_OUTGOING = 23  # linux/if_packet.h (Linux 4.20+)
_SOL_PACKET = 263  # linux/socket.h (socket.SOL_PACKET is missing from typeshed)
_MAX_READS = 4096  # frames read per wake-up, so a flood cannot starve the loop
_RCVBUF = 4 * 1024 * 1024


class ArpUnavailable(Exception):
    """ARP cannot be sent here; the message is the reason, worded for the report."""


def sweep_seconds(addresses: int, rate: float) -> float:
    """How long a sweep of ``addresses`` takes at ``rate``: every address asked, the silent ones
    (nearly all, on a large network) once more, each round followed by the wait for answers."""
    return 2 * addresses / rate + 2 * MAX_WAIT


def arp_request(src_mac: bytes, src_ip: bytes, target_ip: bytes) -> bytes:
    """A broadcast who-has ``target_ip`` from ``src_mac``/``src_ip`` (Ethernet II + RFC 826)."""
    return (
        b"\xff" * 6
        + src_mac
        + struct.pack("!HHHBBH", _ETH_P_ARP, 1, 0x0800, 6, 4, 1)
        + src_mac
        + src_ip
        + b"\x00" * 6
        + target_ip
    )


def arp_reply(frame: bytes) -> tuple[str, str] | None:
    """(sender IP, sender MAC) of an Ethernet ARP reply for IPv4, or None for anything else."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x06":
        return None
    htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", frame, 14)
    if (htype, ptype, hlen, plen, op) != (1, 0x0800, 6, 4, 2):
        return None
    mac = normalize_mac(frame[22:28].hex(":"))
    return None if mac is None else (socket.inet_ntoa(frame[28:32]), mac)


def can_send_arp(iface: str) -> str | None:
    """None when a raw packet socket opens on ``iface`` here, else why not (for the report)."""
    try:
        sock = _open(iface)
    except ArpUnavailable as exc:
        return str(exc)
    sock.close()
    return None


def _open(iface: str) -> socket.socket:
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ARP))
    except PermissionError:
        raise ArpUnavailable("raw sockets need root or CAP_NET_RAW") from None
    except (OSError, AttributeError) as exc:  # AF_PACKET is Linux only
        raise ArpUnavailable(f"no raw packet sockets here ({exc})") from None
    try:
        sock.bind((iface, _ETH_P_ARP))
    except OSError as exc:
        sock.close()
        raise ArpUnavailable(f"cannot send ARP on {iface}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
    with contextlib.suppress(OSError):
        sock.setsockopt(_SOL_PACKET, _PACKET_IGNORE_OUTGOING, 1)
    return sock


@dataclass
class _Sweep:
    sock: socket.socket
    wanted: Collection[str]
    heard: Callable[[str, str], None] | None
    found: dict[str, str]

    def readable(self) -> None:
        for _ in range(_MAX_READS):
            try:
                frame, address = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.debug("ARP socket read failed", exc_info=True)
                return
            if len(address) > 2 and address[2] == _PACKET_OUTGOING:
                continue  # our own request, on kernels without PACKET_IGNORE_OUTGOING
            answer = arp_reply(frame)
            if answer is None:
                continue
            ip, mac = answer
            if ip in self.found or ip not in self.wanted:
                continue
            self.found[ip] = mac
            if self.heard is not None:
                self.heard(ip, mac)


async def _send(sock: socket.socket, frame: bytes) -> None:
    for _ in range(200):  # a full send queue drains in microseconds; never wait forever
        try:
            sock.send(frame)
        except (BlockingIOError, InterruptedError):
            await asyncio.sleep(0.001)
        except OSError as exc:
            if exc.errno != errno.ENOBUFS:
                raise
            await asyncio.sleep(0.005)
        else:
            return


async def arp_sweep(
    iface: str,
    own_ip: str,
    ips: Collection[str],
    *,
    timeout: float,
    rate: float = DEFAULT_RATE,
    heard: Callable[[str, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Sighting]:
    """ARP-request each address of ``ips`` (iterated lazily, twice at most) on ``iface`` at
    ``rate`` per second, then once more the silent ones; answers within ``timeout`` (at most
    ``MAX_WAIT``) after each round count. ``heard(ip, mac)`` is called for each answer as it
    arrives; ``progress(n)`` with the number of requests sent so far."""
    if not ips:
        return []
    rate = max(1.0, min(float(rate), MAX_RATE))
    wait = min(timeout, MAX_WAIT)
    sock = _open(iface)
    loop = asyncio.get_running_loop()
    found: dict[str, str] = {}
    sweep = _Sweep(sock, ips, heard, found)
    try:
        own_mac = sock.getsockname()[4]
        template = arp_request(own_mac, socket.inet_aton(own_ip), b"\x00" * 4)
        head = template[:38]
        loop.add_reader(sock.fileno(), sweep.readable)
        burst = max(1, int(rate * _TICK))
        sent = 0
        start = loop.time()
        for round_ in range(2):
            for ip in ips:
                if round_ and ip in found:
                    continue
                await _send(sock, head + socket.inet_aton(ip))
                sent += 1
                if sent % burst == 0:
                    if progress is not None:
                        progress(sent)
                    delay = start + sent / rate - loop.time()
                    await asyncio.sleep(max(0.0, delay))
            await asyncio.sleep(wait)
        if progress is not None:
            progress(sent)
    except PermissionError:
        raise ArpUnavailable("raw sockets need root or CAP_NET_RAW") from None
    except OSError as exc:
        raise ArpUnavailable(f"cannot send ARP on {iface}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(Exception):
            loop.remove_reader(sock.fileno())
        sock.close()
    return [Sighting(ip, "arp", mac=mac) for ip, mac in found.items()]
