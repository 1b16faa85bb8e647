"""Pure parts of the lab: request heads, the Telnet option machine, SDP/H.264 SPS, favicons."""

from __future__ import annotations

import base64
import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.lab.devices import favicon
from scanner.lab.sdp import _escape, build_sdp, h264_sps
from scanner.lab.telnetd import (
    DO,
    DONT,
    ECHO,
    IAC,
    NAWS,
    OPENING,
    SB,
    SE,
    SGA,
    WILL,
    WONT,
    TelnetParser,
)
from scanner.lab.wire import LabProtocolError, content_length, parse_request_head

# -- request heads -----------------------------------------------------------------------------


def test_parse_request_head() -> None:
    request = parse_request_head(
        b"DESCRIBE rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 2\r\nAccept:application/sdp\r\n"
        b"X-Dup: a\r\nx-dup: b"
    )
    assert (request.method, request.target, request.version) == (
        "DESCRIBE",
        "rtsp://127.0.0.1/x",
        "RTSP/1.0",
    )
    assert request.header("cseq") == "2"
    assert request.header("ACCEPT") == "application/sdp"
    assert request.header_all("x-dup") == ["a", "b"]
    assert request.header("missing") is None


def test_bare_lf_and_leading_blank_lines_are_accepted() -> None:
    # RFC 7230 section 3.5 allows both leniencies.
    request = parse_request_head(b"\r\nGET / HTTP/1.1\nHost: x")
    assert request.header("host") == "x"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GET /",
        b"GET  / HTTP/1.1",
        b"G(T / HTTP/1.1",
        b"GET / HTTP/1.1\r\n folded: x",
        b"GET / HTTP/1.1\r\nno colon",
        b"GET / HTTP/1.1\r\nbad name: x",
        b"GET /\x00 HTTP/1.1",
        b"GET / HTTP11",
        b"GET / HTTP/1.1\r\n" + b"a: b\r\n" * 100,
        b"GET / HTTP/1.1\r\n" + b"a" * 9000,
    ],
)
def test_malformed_heads_raise_lab_error(data: bytes) -> None:
    with pytest.raises(LabProtocolError):
        parse_request_head(data)


@pytest.mark.parametrize("value", ["x", "-1", "1, 2", "9999999999"])
def test_invalid_content_length(value: str) -> None:
    request = parse_request_head(f"PUT / HTTP/1.1\r\nContent-Length: {value}".encode())
    with pytest.raises(LabProtocolError):
        content_length(request)


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_parse_request_head_raises_only_its_error(data: bytes) -> None:
    with contextlib.suppress(LabProtocolError):
        parse_request_head(data)


# -- Telnet option negotiation ------------------------------------------------------------------


def test_opening_is_will_echo_will_sga_do_naws() -> None:
    assert bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS]) == OPENING


def test_acknowledgements_of_our_offers_get_no_reply() -> None:
    parser = TelnetParser()
    text, replies = parser.feed(bytes([IAC, DO, ECHO, IAC, DO, SGA, IAC, WILL, NAWS]) + b"root")
    assert text == b"root"
    assert replies == b""  # RFC 854: answering an acknowledgement would start a loop
    assert parser.echoing
    # Repeating a request for what is already in force changes nothing and is not answered.
    assert parser.feed(bytes([IAC, DO, ECHO, IAC, WILL, NAWS]))[1] == b""


def test_unsupported_options_are_refused() -> None:
    parser = TelnetParser()
    _, replies = parser.feed(bytes([IAC, DO, 24, IAC, WILL, 24, IAC, DO, 39]))
    assert replies == bytes([IAC, WONT, 24, IAC, DONT, 24, IAC, WONT, 39])


def test_client_refusing_echo_and_turning_it_off() -> None:
    parser = TelnetParser()
    assert parser.feed(bytes([IAC, DONT, ECHO]))[1] == b""  # refusal of our offer: no reply
    assert not parser.echoing
    parser.feed(bytes([IAC, DO, ECHO]))  # asked for again after refusing: we agree
    assert parser.echoing
    assert parser.feed(bytes([IAC, DONT, ECHO]))[1] == bytes([IAC, WONT, ECHO])
    assert not parser.echoing


def test_subnegotiation_is_swallowed_and_naws_read() -> None:
    parser = TelnetParser()
    data = bytes([IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE]) + b"ab" + bytes([IAC, IAC]) + b"c"
    text, _ = parser.feed(data)
    assert text == b"ab\xffc"
    assert parser.window == (80, 24)


def test_byte_by_byte_equals_whole() -> None:
    data = bytes([IAC, DO, 24, IAC, SB, 24, 1, IAC, IAC, IAC, SE]) + b"root\r\n"
    whole = TelnetParser().feed(data)
    parser = TelnetParser()
    parts = [parser.feed(bytes([b])) for b in data]
    assert b"".join(p[0] for p in parts) == whole[0] == b"root\r\n"
    assert b"".join(p[1] for p in parts) == whole[1]


def test_are_you_there_gets_a_visible_answer() -> None:
    assert TelnetParser().feed(bytes([IAC, 246]))[1] == b"\r\n[Yes]\r\n"


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_parser_never_raises_and_replies_are_bounded(chunks: list[bytes]) -> None:
    parser = TelnetParser()
    for chunk in chunks:
        text, replies = parser.feed(chunk)
        assert len(text) <= len(chunk)
        # At most one 3-byte answer per 3-byte command, or an AYT answer per 2 bytes.
        assert len(replies) <= 5 * len(chunk)


# -- SDP and the H.264 SPS ----------------------------------------------------------------------


class BitReader:
    """An independent Exp-Golomb reader (ITU-T H.264 section 9.1) to check our SPS."""

    def __init__(self, data: bytes) -> None:
        # Undo emulation prevention (section 7.4.1) first.
        raw = bytearray()
        zeros = 0
        for byte in data:
            if zeros >= 2 and byte == 3:
                zeros = 0
                continue
            raw.append(byte)
            zeros = zeros + 1 if byte == 0 else 0
        self.bits = "".join(f"{b:08b}" for b in raw)
        self.pos = 0

    def u(self, n: int) -> int:
        value = int(self.bits[self.pos : self.pos + n], 2)
        self.pos += n
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bits[self.pos] == "0":
            zeros += 1
            self.pos += 1
        return self.u(zeros + 1) - 1


def decode_size(sps: bytes) -> tuple[int, int]:
    assert sps[0] & 0x1F == 7
    reader = BitReader(sps[4:])
    assert reader.ue() == 0  # sps id
    reader.ue()  # log2_max_frame_num_minus4
    assert reader.ue() == 2  # pic_order_cnt_type
    reader.ue()  # max_num_ref_frames
    reader.u(1)
    width = (reader.ue() + 1) * 16
    height = (reader.ue() + 1) * 16
    assert reader.u(1) == 1  # frame_mbs_only
    reader.u(1)
    if reader.u(1):
        left, right, top, bottom = (reader.ue() for _ in range(4))
        width -= 2 * (left + right)
        height -= 2 * (top + bottom)
    assert reader.u(1) == 0  # no VUI
    assert reader.u(1) == 1  # rbsp stop bit
    return width, height


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (640, 480), (704, 576), (2, 2)])
def test_sps_encodes_the_frame_size(size: tuple[int, int]) -> None:
    assert decode_size(h264_sps(*size)) == size


def test_sps_rejects_odd_sizes() -> None:
    with pytest.raises(ValueError, match="even"):
        h264_sps(641, 480)


def test_emulation_prevention() -> None:
    assert _escape(b"\x00\x00\x01\x00\x00\x00") == b"\x00\x00\x03\x01\x00\x00\x03\x00"
    assert _escape(b"\x00\x00\x04") == b"\x00\x00\x04"


def test_sdp_has_h264_track_and_controls() -> None:
    sdp = build_sdp(address="127.77.0.14", session_name="IPCAM", width=1280, height=720)
    lines = sdp.decode().split("\r\n")
    assert lines[0] == "v=0"
    assert lines[-1] == ""  # CRLF after the last line too (RFC 4566 section 5)
    assert "m=video 0 RTP/AVP 96" in lines
    assert "a=rtpmap:96 H264/90000" in lines
    assert "a=control:*" in lines
    assert "a=control:trackID=1" in lines
    assert lines.index("a=control:*") < lines.index("m=video 0 RTP/AVP 96")
    fmtp = next(line for line in lines if line.startswith("a=fmtp:96 "))
    sprop = fmtp.split("sprop-parameter-sets=")[1]
    sps = base64.b64decode(sprop.split(",")[0])
    assert decode_size(sps) == (1280, 720)
    assert f"profile-level-id={sps[1:4].hex().upper()}" in fmtp


# -- favicon -----------------------------------------------------------------------------------


def test_favicon_is_a_valid_one_pixel_icon() -> None:
    icon = favicon((1, 2, 3))
    reserved, kind, count = struct.unpack_from("<HHH", icon)
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _, _, planes, bpp, size, offset = struct.unpack_from("<BBBBHHII", icon, 6)
    assert (width, height, planes, bpp) == (1, 1, 1, 32)
    assert offset + size == len(icon)
    assert icon[offset + 40 : offset + 44] == bytes([3, 2, 1, 0xFF])
    assert favicon((1, 2, 3)) != favicon((3, 2, 1))
