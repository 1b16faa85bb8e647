from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.models import ProbeStatus, Protocol
from scanner.probe.banner import SNIFF_REQUEST, printable, probe_banner, sniff, sniff_protocol
from scanner.transport import Reset, ScriptedConnector, TcpConnector
from tests.probe.servers import LoopbackServer

FAST = Timeouts(connect=1.0, banner=0.2, read=0.3, probe=2.0)
LIMITS = Limits()
H = "127.0.0.1"


# --- pure --------------------------------------------------------------------------------------


def test_printable() -> None:
    assert printable(b"\x00\x01SSH-2.0-dropbear\r\n\x7f") == "SSH-2.0-dropbear"
    assert printable(b"a\tb\r\nc\rd\x1b[0m") == "a\tb\nc\nd[0m"
    assert printable(b"\xff\xfe\xc2\x85ok") == "ok"  # invalid UTF-8 and C1 controls dropped
    assert printable(b"\x00\x00") == ""


@pytest.mark.parametrize(
    ("greeting", "reply", "expected"),
    [
        (b"\xff\xfb\x01\xff\xfb\x03", None, Protocol.TELNET),
        (b"\r\nLocalHost login: ", None, Protocol.TELNET),
        (b"User Name: ", None, Protocol.TELNET),
        (b"SSH-2.0-OpenSSH_8.9\r\n", None, None),
        (b"\xff\x00", None, None),  # 0xFF without a Telnet verb after it
        (b"", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n", Protocol.RTSP),
        (b"", b"HTTP/1.1 400 Bad Request\r\n\r\n", Protocol.HTTP),
        (b"", b"\r\nHTTP/1.0 505 Version\r\n", Protocol.HTTP),
        (b"", b"\x15\x03\x01\x00\x02\x02\x46", Protocol.HTTPS),
        (b"", b"\x16\x03\x03\x00\x40", Protocol.HTTPS),
        (b"", b"\x15", Protocol.HTTPS),
        (b"", b"\x15\x99garbage", None),
        (b"", b"\x00\x01\x02", None),
        (b"", b"", None),
        (b"", None, None),
    ],
)
def test_sniff_protocol(greeting: bytes, reply: bytes | None, expected: Protocol | None) -> None:
    assert sniff_protocol(greeting, reply) is expected


@given(st.binary(max_size=600), st.one_of(st.none(), st.binary(max_size=100)))
def test_sniff_protocol_never_raises(greeting: bytes, reply: bytes | None) -> None:
    assert sniff_protocol(greeting, reply) in (None, *Protocol)


@given(st.binary(max_size=600))
def test_printable_never_raises(data: bytes) -> None:
    text = printable(data)
    assert all(ch in "\t\n" or ch.isprintable() for ch in text)


# --- probe_banner --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_banner_scripted() -> None:
    connector = ScriptedConnector(
        {
            (H, 1): [[b"\x00\x01220 cam FTP ready\r\n", b"second line\r\n", b""]],
            (H, 2): [[b""]],  # silent: vendor ports wait for the client
            (H, 3): [[]],  # accepts and closes
            (H, 4): [[Reset("reset by peer")]],
            (H, 5): [[bytes(range(256))]],
        }
    )
    got = await probe_banner(ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 1)
    assert got.status is ProbeStatus.OK
    assert got.protocol is Protocol.TCP
    assert got.banner == "220 cam FTP ready"
    assert got.fields["tcp.banner"] == "220 cam FTP ready\nsecond line"
    assert got.fields["tcp.banner_hex"].startswith("0001323230")
    silent = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 2
    )
    assert silent.status is ProbeStatus.OK
    assert silent.banner is None
    assert silent.fields == {}
    closed = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 3
    )
    assert closed.status is ProbeStatus.OK
    assert closed.banner is None
    reset = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 4
    )
    assert reset.status is ProbeStatus.RESET
    binary = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 5
    )
    assert binary.fields["tcp.banner_hex"] == bytes(range(64)).hex()
    refused = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 6
    )
    assert refused.status is ProbeStatus.REFUSED
    assert all(c.closed for c in connector.connections)


@pytest.mark.asyncio
async def test_ftp_greeting_keeps_its_spacing_on_any_port() -> None:
    # nmap-service-probes line 1015, Canon VB-C10/VB-C10R: "220", two spaces, "(Ver. ...";
    # recorded as ftp.banner whatever the port (a scan of port 18021 reads it the same)
    canon = b"220  (Ver. 3.0) Jan 15 2003 ready.\r\n"
    connector = ScriptedConnector({(H, 18021): [[canon, b""]]})
    got = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 18021
    )
    assert got.fields["ftp.banner"] == "220  (Ver. 3.0) Jan 15 2003 ready."


@pytest.mark.asyncio
async def test_banner_is_capped() -> None:
    connector = ScriptedConnector({(H, 1): [[b"A" * 10_000]]})
    got = await probe_banner(
        ProbeContext(connector=connector, timeouts=FAST, limits=Limits(max_banner_bytes=100)), H, 1
    )
    assert got.fields["tcp.banner"] == "A" * 100


# --- sniff ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sniff_scripted() -> None:
    connector = ScriptedConnector(
        {
            (H, 1): [[b"\xff\xfd\x18", b""]],
            (H, 2): [[b"", b"RTSP/1.0 200 OK\r\n"]],
        }
    )
    assert (
        await sniff(ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 1)
        is Protocol.TELNET
    )
    assert connector.connections[0].sent == []  # a greeting needs no probe
    # An empty step blocks the scripted peer until the deadline: silent, then it answers.
    assert (
        await sniff(ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 2) is None
    )
    assert (
        await sniff(ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 3) is None
    )  # refused


class _SilentThenAnswer(LoopbackServer):
    def __init__(self, answer: bytes | None) -> None:
        super().__init__()
        self.answer = answer
        self.received: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.received.append(await reader.readuntil(b"\r\n\r\n"))
        if self.answer is None:
            await reader.read()
            return
        writer.write(self.answer)
        await writer.drain()
        await reader.read()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS\r\n\r\n", Protocol.RTSP),
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", Protocol.HTTP),
        (b"\x15\x03\x01\x00\x02\x02\x46", Protocol.HTTPS),
        (b"\x00\x00\x00\x10binary", None),
        (None, None),  # never answers
    ],
)
async def test_sniff_loopback(answer: bytes | None, expected: Protocol | None) -> None:
    async with _SilentThenAnswer(answer) as server:
        got = await sniff(
            ProbeContext(connector=TcpConnector(), timeouts=FAST, limits=LIMITS), H, server.port
        )
    assert got is expected
    assert server.received == [SNIFF_REQUEST]
