"""ICMP echo for the liveness pass of a large routed range (RFC 792), where raw sockets exist.

One raw ICMP socket serves the whole scan inside its event loop: ``ping(ip, timeout)`` sends one
echo request with this scan's identifier and waits for the matching reply from that address.
Waiters are bounded by the callers (the scan's host workers), so memory does not grow with the
range. Without raw sockets ``Pinger.open`` returns None and the liveness pass uses TCP alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct

__all__ = ["Pinger", "echo_reply", "echo_request"]

_ECHO_REQUEST, _ECHO_REPLY = 8, 0
_MAX_READS = 1024


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes = b"camsweep") -> bytes:
    """An ICMP echo request (type 8) with its checksum."""
    head = struct.pack("!BBHHH", _ECHO_REQUEST, 0, 0, ident, seq)
    checksum = _checksum(head + payload)
    return struct.pack("!BBHHH", _ECHO_REQUEST, 0, checksum, ident, seq) + payload


def echo_reply(packet: bytes) -> int | None:
    """The identifier of an echo reply as a raw IPv4 socket delivers it (IP header first), or
    None for anything else."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    start = (packet[0] & 0x0F) * 4
    if len(packet) < start + 8 or packet[start] != _ECHO_REPLY:
        return None
    ident: int = struct.unpack_from("!H", packet, start + 4)[0]
    return ident


class Pinger:
    """``pinger = Pinger.open()`` (None without raw sockets); ``await pinger.ping(ip, t)``."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._ident = os.getpid() & 0xFFFF
        self._seq = 0
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)

    @classmethod
    def open(cls) -> Pinger | None:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        except OSError:
            return None
        sock.setblocking(False)
        return cls(sock)

    def _readable(self) -> None:
        for _ in range(_MAX_READS):
            try:
                packet, (source, _port) = self._sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if echo_reply(packet) != self._ident:
                continue
            waiter = self._waiting.get(source)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def ping(self, ip: str, timeout: float) -> bool:
        """True when ``ip`` answered one echo request within ``timeout`` seconds."""
        if ip in self._waiting:  # one question per address at a time
            return False
        self._seq = (self._seq + 1) & 0xFFFF
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiting[ip] = waiter
        try:
            self._sock.sendto(echo_request(self._ident, self._seq), (ip, 0))
            await asyncio.wait_for(waiter, timeout)
        except (OSError, TimeoutError):
            return False
        finally:
            del self._waiting[ip]
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
