"""ARP sweep with scapy: every live on-link IPv4 host answers ARP, open ports or not (RFC 826).

Needs raw sockets (root or CAP_NET_RAW). Without them ``ArpUnavailable`` says why, once, and the
coordinator falls back to the kernel neighbour table after the TCP sweep
(``scanner.discover.neighbours``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from scanner.discover.base import Sighting
from scanner.discover.oui import normalize_mac

log = logging.getLogger(__name__)

__all__ = ["MAX_ARP_TARGETS", "ArpUnavailable", "arp_sweep"]

MAX_ARP_TARGETS = 4096  # one request each; the largest scan allowed without --allow-large
INTER = 0.001  # seconds between requests: 4096 requests take about 4 s, gentle on any switch
# On a LAN an ARP answer takes well under a millisecond to a few; waiting longer finds nothing.
MAX_WAIT = 1.0
ETH_P_ARP = 0x0806  # linux/if_ether.h


class ArpUnavailable(Exception):
    """ARP cannot be sent here; the message is the reason, worded for the report."""


def _sweep_blocking(
    iface: str, ips: Sequence[str], timeout: float, heard: Callable[[str], None] | None = None
) -> dict[str, str]:
    try:
        from scapy.layers.l2 import ARP, Ether  # noqa: PLC0415
        from scapy.sendrecv import srp  # noqa: PLC0415
    except ImportError as exc:
        raise ArpUnavailable(f"scapy is not installed ({exc.name})") from None
    requests = [Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=ip) for ip in ips]
    wanted = set(ips)

    def each_packet(packet: Any) -> bool:  # scapy's packets are untyped
        # Tell the scan about every answer as it arrives, so that host is swept at once rather
        # than after the whole sweep; srp's stop_filter sees each received packet.
        arp = packet.getlayer(ARP)
        if heard is not None and arp is not None and arp.op == 2 and str(arp.psrc) in wanted:
            heard(str(arp.psrc))
        return False

    try:
        # retry=1: unanswered requests go out once more (a lost frame must not hide a host).
        answered, _ = srp(
            requests,
            iface=iface,
            timeout=timeout,
            inter=INTER,
            retry=1,
            verbose=0,
            stop_filter=each_packet,
            # Receive ARP frames only (the packet socket is bound to ETH_P_ARP): the scan's TCP
            # traffic runs at the same time and must not be dissected by scapy in Python.
            type=ETH_P_ARP,
        )
    except PermissionError:
        raise ArpUnavailable("raw sockets need root or CAP_NET_RAW") from None
    except OSError as exc:
        raise ArpUnavailable(f"cannot send ARP on {iface}: {exc.strerror or exc}") from None
    found: dict[str, str] = {}
    for _sent, received in answered:
        arp = received.getlayer(ARP)
        if arp is None:
            continue
        ip, mac = str(arp.psrc), normalize_mac(str(arp.hwsrc))
        if ip in wanted and mac is not None:
            found.setdefault(ip, mac)
    return found


async def arp_sweep(
    iface: str,
    ips: Sequence[str],
    *,
    timeout: float,
    heard: Callable[[str], None] | None = None,
) -> list[Sighting]:
    """ARP-request each address in ``ips`` on ``iface``, then once more the silent ones; answers
    within ``timeout`` (at most ``MAX_WAIT``) after each round count. Runs scapy in a worker
    thread so the scan's event loop keeps going. ``heard(ip)`` is called (in the loop) for each
    answer as it arrives."""
    if not ips:
        return []
    wait = min(timeout, MAX_WAIT)
    loop = asyncio.get_running_loop()
    relay: Callable[[str], None] | None = None
    if heard is not None:
        on_answer = heard

        def relay(ip: str) -> None:  # called from scapy's thread
            loop.call_soon_threadsafe(on_answer, ip)

    found = await asyncio.to_thread(
        _sweep_blocking, iface, list(ips[:MAX_ARP_TARGETS]), wait, relay
    )
    return [Sighting(ip, "arp", mac=mac) for ip, mac in found.items()]
