"""--confirm-streams: the stream client, pure framing helpers, and the lab's RTP."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.lab import RunningLab, default_devices, start_lab
from scanner.probe.rtsp_stream import (
    StreamState,
    confirm_stream,
    control_url,
    interleaved_frame,
    is_rtp,
    split_response,
)
from scanner.transport import ScriptedConnector, TcpConnector

T = Timeouts(read=1.0, probe=5.0)
L = Limits()


def test_split_response_waits_for_the_declared_body() -> None:
    head = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 4\r\n\r\n"
    assert split_response(head + b"ab") is None
    assert split_response(head + b"abcd$\x00") == (head + b"abcd", b"$\x00")


def test_interleaved_frames_and_rtp() -> None:
    rtp = struct.pack("!BBHII", 0x80, 96, 1, 2, 3) + b"x"
    frame = b"$\x00" + struct.pack("!H", len(rtp)) + rtp
    assert interleaved_frame(frame[:5]) is None
    assert interleaved_frame(frame + b"rest") == (0, rtp, b"rest")
    assert is_rtp(rtp)
    assert not is_rtp(b"\x00" * 12)
    assert not is_rtp(b"\x80")


@given(st.binary(max_size=300))
def test_framing_helpers_never_raise(data: bytes) -> None:
    split_response(data)
    interleaved_frame(data)
    is_rtp(data)


@pytest.mark.parametrize(
    ("sdp", "expected"),
    [
        ("v=0\r\nm=video 0 RTP/AVP 96\r\na=control:trackID=1\r\n", "rtsp://h:554/x/trackID=1"),
        ("v=0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=control:*\r\n", "rtsp://h:554/x"),
        ("v=0\r\nm=video 0 RTP/AVP 96\r\na=control:rtsp://h:554/t\r\n", "rtsp://h:554/t"),
        ("garbage", "rtsp://h:554/x"),
    ],
)
def test_control_url(sdp: str, expected: str) -> None:
    assert control_url(sdp, "rtsp://h:554/x/") == expected


@pytest_asyncio.fixture
async def lab() -> AsyncIterator[RunningLab]:
    async with await start_lab(default_devices("127.77.5"), standard_ports=False) as running:
        yield running


@pytest.mark.asyncio
async def test_open_camera_really_sends_video(lab: RunningLab) -> None:
    dev = lab.device("open-rtsp")
    check = await confirm_stream(
        ProbeContext(connector=TcpConnector(), timeouts=T, limits=L),
        dev.ip,
        dev.port(554),
        "/live/ch0",
    )
    assert check.state is StreamState.VIDEO, check.detail


@pytest.mark.asyncio
async def test_protected_and_missing_streams_are_refused(lab: RunningLab) -> None:
    dahua = lab.device("dahua-default")
    check = await confirm_stream(
        ProbeContext(connector=TcpConnector(), timeouts=T, limits=L),
        dahua.ip,
        dahua.port(554),
        "/cam/realmonitor?channel=1&subtype=0",
    )
    assert check.state is StreamState.REFUSED
    assert "401" in check.detail


@pytest.mark.asyncio
async def test_a_server_that_describes_but_never_sends_video() -> None:
    sdp = b"v=0\r\nm=video 0 RTP/AVP 96\r\na=control:trackID=1\r\n"
    answers = [
        b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: "
        + str(len(sdp)).encode()
        + b"\r\n\r\n"
        + sdp,
        b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nSession: 12345678\r\n\r\n",
        b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 12345678\r\n\r\n",
        b"",  # then silence
    ]
    connector = ScriptedConnector({("198.51.100.7", 554): [answers]})
    check = await confirm_stream(
        ProbeContext(connector=connector, timeouts=Timeouts(read=0.2, probe=2.0), limits=L),
        "198.51.100.7",
        554,
        "/live",
    )
    assert check.state is StreamState.NO_MEDIA
    sent = b"".join(connector.connections[0].sent)
    assert b"SETUP rtsp://198.51.100.7:554/live/trackID=1 RTSP/1.0" in sent
    assert b"interleaved=0-1" in sent
    assert connector.connections[0].closed
