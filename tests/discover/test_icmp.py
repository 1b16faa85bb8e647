"""ICMP echo for the liveness pass: our request against scapy's encoding, a reply scapy built,
and one real echo answered by the kernel on loopback (the only place a test may ping)."""

from __future__ import annotations

import os

import pytest
from scapy.layers.inet import ICMP, IP

from scanner.discover.icmp import Pinger, echo_reply, echo_request


def test_the_request_is_what_scapy_builds() -> None:
    ours = echo_request(0x1234, 7, b"camsweep")
    assert ours == bytes(ICMP(type=8, id=0x1234, seq=7) / b"camsweep")


def test_replies_are_read_and_everything_else_is_not() -> None:
    reply = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / ICMP(type=0, id=0x4321, seq=1) / b"x")
    assert echo_reply(reply) == 0x4321
    options = bytes(IP(options=b"\x01\x01\x01\x00") / ICMP(type=0, id=9))  # a longer IP header
    assert echo_reply(options) == 9
    assert echo_reply(bytes(IP() / ICMP(type=3, code=1))) is None  # unreachable
    assert echo_reply(b"") is None
    assert echo_reply(b"\x45" + b"\x00" * 22) is None  # cut short


@pytest.mark.skipif(os.geteuid() != 0, reason="raw ICMP sockets need root or CAP_NET_RAW")
@pytest.mark.asyncio
async def test_the_kernel_answers_an_echo_on_loopback() -> None:
    pinger = Pinger.open()
    assert pinger is not None
    try:
        assert await pinger.ping("127.0.0.1", 1.0)
    finally:
        pinger.close()
