"""Passive mode: send nothing, listen, and report who announced themselves.

A raw packet socket (scapy's sniff) sees the frames the LAN delivers anyway: ARP (RFC 826) and
any IPv4 frame from an on-link address (MAC and IP of the sender), mDNS announcements and answers
(RFC 6762 s8.3), SSDP NOTIFY (UPnP DA 1.1 s1.1.2) and WS-Discovery Hello (ONVIF Core s7.3).
Unlike a multicast socket it joins no group, so not even an IGMP report leaves the machine.

Its limits are the LAN's: a switch only forwards multicast it floods (most home switches do; a
switch with IGMP snooping and no querier may not), and a device that stays quiet during the
window is not heard. Needs raw sockets (root or CAP_NET_RAW).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
from collections.abc import Callable
from typing import Any

from scanner.discover.base import Sighting
from scanner.discover.mdns import mdns_service, services_from_records
from scanner.discover.oui import is_multicast, normalize_mac
from scanner.discover.ssdp import SSDP_PORT, parse_ssdp, ssdp_service
from scanner.discover.wsdiscovery import WSD_PORT, parse_wsd, wsd_service

log = logging.getLogger(__name__)

__all__ = ["PassiveUnavailable", "classify", "listen"]

_MDNS_PORT = 5353
_MAX_SIGHTINGS = 16_384  # a flood cannot grow memory past this


class PassiveUnavailable(Exception):
    """Listening is not possible here; the message is the reason, for the report."""


def _mdns(payload: bytes, ip: str, mac: str | None) -> list[Sighting]:
    from zeroconf._protocol.incoming import DNSIncoming  # noqa: PLC0415

    try:
        message = DNSIncoming(payload)
    except Exception:  # zeroconf drops bad packets itself; be sure  # noqa: BLE001
        return []
    if not message.valid or not message.is_response():
        return [Sighting(ip, "passive", mac=mac)]  # a query still says the host is there
    out = []
    for instance in services_from_records(message.answers()):
        names = (instance.hostname,) if instance.hostname else ()
        out.append(
            Sighting(ip, "passive", mac=mac, hostnames=names, service=mdns_service(instance))
        )
    return out or [Sighting(ip, "passive", mac=mac)]


def _ssdp(payload: bytes, ip: str, mac: str | None) -> list[Sighting]:
    message = parse_ssdp(payload)
    if message is None or message.kind != "notify":
        return [Sighting(ip, "passive", mac=mac)]
    if (message.header("nts") or "").lower() == "ssdp:byebye":
        return [Sighting(ip, "passive", mac=mac, note="announced it is leaving (SSDP byebye)")]
    reason = "heard passively: the device description was not fetched (nothing is sent)"
    return [Sighting(ip, "passive", mac=mac, service=ssdp_service(message, reason=reason))]


def _wsd(payload: bytes, ip: str, mac: str | None) -> list[Sighting]:
    message = parse_wsd(payload)
    if message is None or message.kind not in ("hello", "probe-matches"):
        if message is not None and message.kind == "bye":
            return [
                Sighting(ip, "passive", mac=mac, note="announced it is leaving (WS-Discovery Bye)")
            ]
        return [Sighting(ip, "passive", mac=mac)]
    reason = "heard passively (WS-Discovery Hello)"
    return [
        Sighting(ip, "passive", mac=mac, service=wsd_service(match, reason=reason))
        for match in message.matches
    ] or [Sighting(ip, "passive", mac=mac)]


def classify(packet: Any, network: ipaddress.IPv4Network) -> list[Sighting]:
    """What one captured frame tells about its sender, if the sender is on ``network``."""
    from scapy.layers.inet import IP, UDP  # noqa: PLC0415
    from scapy.layers.l2 import ARP, Ether  # noqa: PLC0415

    if not hasattr(packet, "haslayer") or not packet.haslayer(Ether):
        return []
    mac = normalize_mac(str(packet[Ether].src))
    if mac is not None and is_multicast(mac):
        mac = None
    if packet.haslayer(ARP):
        arp = packet[ARP]
        ip, arp_mac = str(arp.psrc), normalize_mac(str(arp.hwsrc))
        # An ARP probe (RFC 5227 s2.1.1) has sender 0.0.0.0: it says nothing yet.
        if _on(ip, network):
            return [Sighting(ip, "passive", mac=arp_mac or mac)]
        return []
    if not packet.haslayer(IP):
        return []
    ip = str(packet[IP].src)
    if not _on(ip, network):
        return []  # a routed packet carries the router's MAC, not the sender's
    if packet.haslayer(UDP):
        udp = packet[UDP]
        payload = bytes(udp.payload)
        ports = {int(udp.sport), int(udp.dport)}
        if _MDNS_PORT in ports:
            return _mdns(payload, ip, mac)
        if int(udp.dport) == SSDP_PORT:
            return _ssdp(payload, ip, mac)
        if int(udp.dport) == WSD_PORT or int(udp.sport) == WSD_PORT:
            return _wsd(payload, ip, mac)
    return [Sighting(ip, "passive", mac=mac)]


def _on(ip: str, network: ipaddress.IPv4Network) -> bool:
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return address in network and address != network.network_address


def _listen_blocking(
    iface: str,
    network: ipaddress.IPv4Network,
    seconds: float,
    keep: Callable[[Sighting], bool],
    stop: threading.Event,
) -> list[Sighting]:
    try:
        # The layers must be loaded before sniffing: they register how scapy decodes frames.
        import scapy.layers.inet  # noqa: PLC0415
        import scapy.layers.l2  # noqa: F401, PLC0415
        from scapy.sendrecv import sniff  # noqa: PLC0415
    except ImportError as exc:
        raise PassiveUnavailable(f"scapy is not installed ({exc.name})") from None
    sightings: list[Sighting] = []

    def handle(packet: Any) -> None:
        if len(sightings) >= _MAX_SIGHTINGS:
            return
        try:
            found = classify(packet, network)
        except Exception:  # one odd frame must not end the listening
            log.debug("passive: frame not understood", exc_info=True)
            return
        sightings.extend(s for s in found if keep(s))

    try:
        sniff(
            iface=iface,
            prn=handle,
            store=False,
            timeout=seconds,
            stop_filter=lambda _packet: stop.is_set(),
        )
    except PermissionError:
        raise PassiveUnavailable("listening needs raw sockets: root or CAP_NET_RAW") from None
    except OSError as exc:
        raise PassiveUnavailable(f"cannot listen on {iface}: {exc.strerror or exc}") from None
    return sightings


async def listen(
    iface: str,
    network: ipaddress.IPv4Network,
    *,
    seconds: float,
    in_scope: Callable[[str], bool],
) -> list[Sighting]:
    """Capture on ``iface`` for ``seconds`` and return the sightings of in-scope senders."""
    stop = threading.Event()
    try:
        return await asyncio.to_thread(
            _listen_blocking, iface, network, seconds, lambda s: in_scope(s.ip), stop
        )
    finally:
        stop.set()
