"""Passive mode: what one captured frame says about its sender (frames built with scapy)."""

from __future__ import annotations

import ipaddress

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from scanner.discover.passive import classify
from scanner.discover.wsdiscovery import build_probe
from scanner.models import Protocol
from tests.discover.test_mdns import announcement
from tests.discover.test_wsdiscovery import HELLO_11

NET = ipaddress.IPv4Network("198.18.0.0/24")
CAM = "44:19:b6:00:00:11"


def udp(src: str, dport: int, payload: bytes, sport: int | None = None) -> Ether:
    frame: Ether = (
        Ether(src=CAM, dst="01:00:5e:7f:ff:fa")
        / IP(src=src, dst="239.255.255.250")
        / UDP(sport=sport or dport, dport=dport)
        / Raw(payload)
    )
    return Ether(bytes(frame))  # as captured: decoded from the wire bytes


def test_arp_gives_ip_and_mac() -> None:
    frame = Ether(
        bytes(Ether(src=CAM) / ARP(op=1, hwsrc=CAM, psrc="198.18.0.11", pdst="198.18.0.1"))
    )
    (seen,) = classify(frame, NET)
    assert (seen.ip, seen.mac, seen.method) == ("198.18.0.11", "44:19:B6:00:00:11", "passive")
    # An ARP probe (RFC 5227) has no sender address yet; off-network senders are not ours.
    probe = Ether(bytes(Ether(src=CAM) / ARP(op=1, hwsrc=CAM, psrc="0.0.0.0", pdst="198.18.0.9")))
    assert classify(probe, NET) == []
    other = Ether(bytes(Ether(src=CAM) / ARP(op=1, hwsrc=CAM, psrc="10.0.0.1", pdst="10.0.0.2")))
    assert classify(other, NET) == []


def test_ssdp_notify_becomes_evidence_without_a_fetch() -> None:
    notify = (
        b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n"
        b"NTS: ssdp:alive\r\nLOCATION: http://198.18.0.11:49152/d.xml\r\n"
        b"SERVER: Linux/3.0 UPnP/1.0 Hikvision/1.0\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n"
    )
    (seen,) = classify(udp("198.18.0.11", 1900, notify), NET)
    assert seen.service is not None
    assert seen.service.protocol is Protocol.SSDP
    assert seen.service.fields["ssdp.server"] == "Linux/3.0 UPnP/1.0 Hikvision/1.0"
    assert "not fetched" in seen.service.reason
    bye = notify.replace(b"ssdp:alive", b"ssdp:byebye")
    (left,) = classify(udp("198.18.0.11", 1900, bye), NET)
    assert left.service is None
    assert left.note is not None
    assert "leaving" in left.note


def test_ws_discovery_hello_and_mdns_announcement() -> None:
    (hello,) = classify(udp("198.18.0.13", 3702, HELLO_11), NET)
    assert hello.service is not None
    assert hello.service.fields["onvif.hardware"] == "M1065-L"
    (mdns,) = classify(udp("198.18.0.14", 5353, announcement()), NET)
    assert mdns.hostnames == ("cv-1.local",)
    assert mdns.service is not None
    assert mdns.service.fields["mdns.txt.ci"] == "17"


@pytest.mark.parametrize(
    ("dport", "payload"),
    [
        (5353, b"\x00\x01garbage"),
        (1900, b"\xff" * 40),
        (3702, b"<Envelope>"),
        (3702, build_probe()[1]),  # another client's probe: its sender exists, nothing more
        (40000, b"anything"),
    ],
)
def test_unusable_payloads_still_show_the_sender(dport: int, payload: bytes) -> None:
    (seen,) = classify(udp("198.18.0.20", dport, payload), NET)
    assert (seen.ip, seen.mac, seen.service) == ("198.18.0.20", "44:19:B6:00:00:11", None)


def test_frames_from_off_the_network_or_without_ethernet_say_nothing() -> None:
    assert classify(udp("203.0.113.5", 1900, b"x"), NET) == []  # routed: the router's MAC
    assert classify(Raw(b"not a frame"), NET) == []
    assert classify(object(), NET) == []
