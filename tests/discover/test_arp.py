"""The ARP sweep's frames against scapy's own encoding, and the lazy per-link address set.

No packet is sent here: frames are built and parsed in memory. The real sweep runs in the
namespace tests (tests/discover/test_large_netns.py).
"""

from __future__ import annotations

import ipaddress
import socket

from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.l2 import ARP, Ether

from scanner.discover.arp import arp_reply, arp_request, sweep_seconds
from scanner.discover.links import Link, LinkTargets
from scanner.targets import expand_specs, routed_count

MAC = bytes.fromhex("020000000002")


def test_the_request_is_byte_for_byte_what_scapy_builds() -> None:
    ours = arp_request(MAC, socket.inet_aton("198.18.0.2"), socket.inet_aton("198.18.128.77"))
    theirs = bytes(
        Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:02")
        / ARP(op=1, hwsrc="02:00:00:00:00:02", psrc="198.18.0.2", pdst="198.18.128.77")
    )
    assert ours == theirs


def test_a_reply_built_by_scapy_is_read_and_requests_are_not() -> None:
    reply = bytes(
        Ether(dst="02:00:00:00:00:02", src="44:19:b6:00:00:11")
        / ARP(op=2, hwsrc="44:19:b6:00:00:11", psrc="198.18.0.10", pdst="198.18.0.2")
        / (b"\x00" * 18)  # Ethernet padding to 60 bytes, as on the wire
    )
    assert arp_reply(reply) == ("198.18.0.10", "44:19:B6:00:00:11")
    request = bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, pdst="198.18.0.10"))
    assert arp_reply(request) is None
    zero = bytes(Ether() / ARP(op=2, hwsrc="00:00:00:00:00:00", psrc="198.18.0.10"))
    assert arp_reply(zero) is None  # not a host's address


@given(st.binary(max_size=128))
def test_any_bytes_give_an_answer_or_none(frame: bytes) -> None:
    answer = arp_reply(frame)
    if answer is not None:
        ipaddress.IPv4Address(answer[0])
        assert len(answer[1]) == 17


def test_a_slash_16_sweep_takes_about_46_seconds_at_the_default_rate() -> None:
    assert 45 < sweep_seconds(65533, 3000) < 46


LINK = Link("eth0", "198.18.0.2", ipaddress.IPv4Network("198.18.0.0/16"))


def test_link_targets_are_lazy_exact_and_leave_out_our_own_address() -> None:
    targets = LinkTargets(LINK, expand_specs(["198.18.0.0/16"]))
    assert len(targets) == 65533  # 65534 hosts less our own
    assert "198.18.0.2" not in targets
    assert "198.18.255.254" in targets
    assert "198.18.255.255" not in targets
    assert "198.19.0.1" not in targets
    first = next(iter(targets))
    assert first == "198.18.0.1"
    # overlapping ranges count once; ranges off the link are left out
    mixed = LinkTargets(LINK, expand_specs(["198.18.0.1-20", "198.18.0.10-30", "10.0.0.0/24"]))
    assert list(mixed) == [f"198.18.0.{i}" for i in range(1, 31) if i != 2]
    assert len(mixed) == 29


@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 600)), min_size=1, max_size=4))
def test_link_targets_match_a_plain_set(spans: list[tuple[int, int]]) -> None:
    base = int(ipaddress.IPv4Address("198.18.0.0"))
    specs = [
        f"{ipaddress.IPv4Address(base + min(a, b))}-{ipaddress.IPv4Address(base + max(a, b))}"
        for a, b in spans
    ]
    link = Link("eth0", "198.18.1.0", ipaddress.IPv4Network("198.18.0.0/23"))
    expected = {
        value
        for a, b in spans
        for value in range(min(a, b), max(a, b) + 1)
        if 1 <= value <= 510 and value != 256
    }
    targets = LinkTargets(link, expand_specs(specs))
    assert [int(ipaddress.IPv4Address(ip)) - base for ip in targets] == sorted(expected)
    assert len(targets) == len(expected)


def test_only_addresses_off_the_attached_networks_cost_tcp() -> None:
    net = ipaddress.IPv4Network("198.18.0.0/16")
    assert routed_count(expand_specs(["198.18.0.0/16"]), [net]) == 0
    assert routed_count(expand_specs(["198.18.0.0/15"]), [net]) == 131070 - 65535
    assert routed_count(expand_specs(["10.0.0.0/20"]), [net]) == 4094
    assert routed_count(expand_specs(["10.0.0.0/20"])) == 4094
