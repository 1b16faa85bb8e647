"""The seam itself: datagrams (real loopback UDP and the scripted double obey the same rules) and
httpx riding on a stream connector."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing

import pytest

from scanner.config import Timeouts
from scanner.context import ProbeContext
from scanner.models import ProbeStatus, Protocol
from scanner.probe.http import http_fetch, probe_http
from scanner.transport import (
    NotAllowed,
    Refused,
    ScriptedConnector,
    ScriptedDatagrams,
    Search,
    UdpSeam,
)

LAN = ipaddress.IPv4Network("198.18.0.0/24")


class _Echo(asyncio.DatagramProtocol):
    """Answers every datagram twice: once with its own bytes, once with 100 bytes of 'x'."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if data == b"silent":
            return
        self.transport.sendto(data, addr)
        self.transport.sendto(b"x" * 100, addr)


@pytest.mark.asyncio
async def test_udp_query_gets_the_hosts_answers_capped() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        seam = UdpSeam()
        one = await seam.query("127.0.0.1", port, b"hello", timeout=2.0, max_bytes=64)
        assert [d.data for d in one] == [b"hello"]  # stops at the first answer by default
        two = await seam.query("127.0.0.1", port, b"hi", timeout=0.5, max_bytes=10, answers=5)
        assert [d.data for d in two] == [b"hi", b"x" * 10]  # each answer cut at the cap
        started = loop.time()
        assert await seam.query("127.0.0.1", port, b"silent", timeout=0.3, max_bytes=64) == []
        assert 0.25 <= loop.time() - started < 2.0  # the deadline, not a hang
    finally:
        transport.close()


class _AnswerFromElsewhere(asyncio.DatagramProtocol):
    """Receives on one address and answers from another (127.0.0.2): not the queried host."""

    def __init__(self, other: socket.socket) -> None:
        self.other = other

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.other.sendto(b"not from the host you asked", addr)


@pytest.mark.asyncio
async def test_udp_query_ignores_answers_from_other_addresses() -> None:
    loop = asyncio.get_running_loop()
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.2", 0))
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _AnswerFromElsewhere(other), local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    try:
        got = await UdpSeam().query("127.0.0.1", port, b"q", timeout=0.4, max_bytes=64)
        assert got == []
    finally:
        transport.close()
        other.close()


@pytest.mark.asyncio
async def test_searches_are_refused_when_passive_or_off_the_attached_networks() -> None:
    group = Search("198.18.0.5", ("239.255.255.250", 1900), (b"M-SEARCH",), duration=0.1)
    seams: list[UdpSeam | ScriptedDatagrams] = [UdpSeam([LAN], passive=True)]
    seams.append(ScriptedDatagrams(attached=[LAN], passive=True))
    for seam in seams:
        with pytest.raises(NotAllowed, match="passive"):
            await seam.search(group, in_scope=lambda _ip: True, max_bytes=100)
    elsewhere = Search("192.0.2.5", ("239.255.255.250", 1900), (b"M-SEARCH",), duration=0.1)
    unicast = Search("198.18.0.5", ("198.18.0.9", 1900), (b"M-SEARCH",), duration=0.1)
    other_broadcast = Search("198.18.0.5", ("198.18.1.255", 1900), (b"x",), duration=0.1)
    for seam in (UdpSeam([LAN]), ScriptedDatagrams(attached=[LAN])):
        for bad in (elsewhere, unicast, other_broadcast):
            with pytest.raises(NotAllowed):
                await seam.search(bad, in_scope=lambda _ip: True, max_bytes=100)
    # The scripted double records nothing it refused.
    scripted = ScriptedDatagrams(attached=[LAN], passive=True)
    with pytest.raises(NotAllowed):
        await scripted.search(group, in_scope=lambda _ip: True, max_bytes=100)
    assert scripted.sent == []


@pytest.mark.asyncio
async def test_scripted_search_keeps_in_scope_answers_only() -> None:
    seam = ScriptedDatagrams(
        {("198.18.0.255", 10001): [("198.18.0.7", b"ubnt" * 50), ("203.0.113.9", b"stranger")]},
        attached=[LAN],
    )
    search = Search("198.18.0.1", ("198.18.0.255", 10001), (b"\x01\x00\x00\x00",), duration=1)
    got = await seam.search(
        search, in_scope=lambda ip: ipaddress.IPv4Address(ip) in LAN, max_bytes=16
    )
    assert [(d.ip, len(d.data)) for d in got] == [("198.18.0.7", 16)]
    assert seam.sent == [(("198.18.0.255", 10001), b"\x01\x00\x00\x00")]


HTTP_OK = (
    b"HTTP/1.1 200 OK\r\nServer: uc-httpd 1.0.0\r\nContent-Type: text/html\r\n"
    b"Content-Length: 45\r\n\r\n<html><title>NETSurveillance WEB</title></html>"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.asyncio
@pytest.mark.parametrize("tls", [False, True])
async def test_httpx_speaks_through_the_scripted_seam(tls: bool) -> None:
    # One keep-alive connection carries both requests, as with a real device.
    connector = ScriptedConnector({("198.18.0.7", 80): [[HTTP_OK, NOT_FOUND]]})
    result = await probe_http(ProbeContext(connector=connector), "198.18.0.7", 80, tls=tls)
    assert result.status is ProbeStatus.OK
    assert result.protocol is (Protocol.HTTPS if tls else Protocol.HTTP)
    assert result.fields["http.title"] == "NETSurveillance WEB"
    assert result.fields["http.server"] == "uc-httpd 1.0.0"
    (conn,) = connector.connections
    assert conn.sent[0].startswith(b"GET / HTTP/1.1\r\n")
    assert conn.sent[1].startswith(b"GET /favicon.ico HTTP/1.1\r\n")
    assert conn.tls is tls  # HTTPS upgraded the seam's connection, as httpcore asks
    assert conn.closed


@pytest.mark.asyncio
async def test_http_failures_come_back_in_the_seams_error_tree() -> None:
    ctx = ProbeContext(connector=ScriptedConnector({}), timeouts=Timeouts(read=0.3))
    with pytest.raises(Refused):
        await http_fetch(ctx, "198.18.0.7", 80, "/", tls=False)
    garbage = ScriptedConnector({("198.18.0.7", 80): [[b"SSH-2.0-dropbear\r\n\r\n"]]})
    result = await probe_http(ProbeContext(connector=garbage), "198.18.0.7", 80, tls=False)
    assert result.status is ProbeStatus.MALFORMED
    silent = ScriptedConnector({("198.18.0.7", 80): [[b""]]})
    quick = ProbeContext(connector=silent, timeouts=Timeouts(read=0.2, probe=2.0))
    result = await probe_http(quick, "198.18.0.7", 80, tls=False)
    assert result.status is ProbeStatus.TIMEOUT
