"""``--confirm-streams``: prove that an open RTSP route really serves video.

DESCRIBE, SETUP with RTP interleaved on the RTSP connection (RFC 2326 s10.12: no UDP ports to
open, works through NAT and on loopback), PLAY, then wait for the first ``$``-framed packet
and check that it is RTP version 2 (RFC 3550 s5.1). TEARDOWN follows, so the camera frees the
session at once. Everything runs on one connection over the transport seam, under one deadline,
with every read capped; nothing is decoded or kept of the video itself.
"""

from __future__ import annotations

import asyncio
import re
import struct
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum

from scanner.context import ProbeContext
from scanner.digits import ascii_decimal
from scanner.probe.rtsp import (
    USER_AGENT,
    RtspParseError,
    RtspResponse,
    build_request,
    parse_response,
    rtsp_url,
)
from scanner.transport import Connection, TransportError

_MAX_FRAME = 64 * 1024
_CONTROL = re.compile(r"^a=control:(\S+)\s*$", re.MULTILINE)


class StreamState(StrEnum):
    VIDEO = "video"  # an RTP packet arrived after PLAY
    NO_MEDIA = "no-media"  # the session was set up but nothing came
    REFUSED = "refused"  # SETUP or PLAY was refused (status in the detail)
    FAILED = "failed"  # the connection or the answers broke


@dataclass(frozen=True, slots=True)
class StreamCheck:
    state: StreamState
    detail: str


def split_response(buf: bytes) -> tuple[bytes, bytes] | None:
    """(one complete RTSP response, what follows it) or None while incomplete."""
    for terminator in (b"\r\n\r\n", b"\n\n"):
        end = buf.find(terminator)
        if end < 0:
            continue
        head = buf[:end]
        length = 0
        for line in head.split(b"\n")[1:]:
            name, sep, value = line.partition(b":")
            declared = ascii_decimal(value.strip(), max_digits=18)
            if sep and name.strip().lower() == b"content-length" and declared is not None:
                length = declared
        body_end = end + len(terminator) + length
        if len(buf) < body_end:
            return None
        return buf[:body_end], buf[body_end:]
    return None


def interleaved_frame(buf: bytes) -> tuple[int, bytes, bytes] | None:
    """(channel, packet, rest) for a complete ``$`` frame at the start of ``buf``."""
    if len(buf) < 4 or buf[0:1] != b"$":
        return None
    channel = buf[1]
    (length,) = struct.unpack("!H", buf[2:4])
    if len(buf) < 4 + length:
        return None
    return channel, buf[4 : 4 + length], buf[4 + length :]


def same_server(url: str, host: str, port: int) -> bool:
    """True when ``url`` is ``rtsp://`` on exactly ``host:port``, without userinfo. A prefix test
    would take ``rtsp://host:5540/`` or ``rtsp://host:554@elsewhere/`` (RFC 3986 s3.2.1: the
    host follows the ``@``) for the same server. Never raises."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        return (
            parts.scheme.lower() == "rtsp"
            and "@" not in parts.netloc
            and (parts.hostname or "") == host.lower()
            and (parts.port or 554) == port  # RFC 2326 s3.2: 554 when the port is absent
        )
    except ValueError:
        return False


def is_rtp(packet: bytes) -> bool:
    """RFC 3550 s5.1: a 12-byte header at least, version 2."""
    return len(packet) >= 12 and packet[0] >> 6 == 2


def control_url(sdp: str, base: str) -> str:
    """The control URL of the first media section, resolved against Content-Base (C.1.1)."""
    media = sdp.split("\nm=", 1)
    section = media[1] if len(media) > 1 else sdp
    found = _CONTROL.search(section.replace("\r\n", "\n"))
    control = found.group(1) if found else "*"
    if control == "*":
        return base.rstrip("/")
    if control.startswith("rtsp://"):
        return control
    return base.rstrip("/") + "/" + control.lstrip("/")


class _Link:
    """One RTSP connection with its CSeq counter and a read buffer."""

    def __init__(self, conn: Connection, ctx: ProbeContext) -> None:
        self.conn = conn
        self.cseq = 0
        self.buf = b""
        self.cap = ctx.limits.max_header_bytes + ctx.limits.max_body_bytes

    async def fill(self) -> None:
        chunk = await self.conn.recv(65536)
        if not chunk:
            raise RtspParseError("the camera closed the connection")
        self.buf += chunk
        if len(self.buf) > self.cap + _MAX_FRAME:
            raise RtspParseError("answer larger than the read cap")

    async def request(self, method: str, url: str, headers: list[tuple[str, str]]) -> RtspResponse:
        self.cseq += 1
        await self.conn.send(
            build_request(method, url, self.cseq, [*headers, ("User-Agent", USER_AGENT)])
        )
        while True:
            # Skip RTP frames that arrive between answers (after PLAY, before TEARDOWN's answer).
            while (frame := interleaved_frame(self.buf)) is not None:
                self.buf = frame[2]
            split = split_response(self.buf) if not self.buf.startswith(b"$") else None
            if split is not None:
                self.buf = split[1]
                return parse_response(split[0])
            await self.fill()

    async def first_frame(self) -> tuple[int, bytes]:
        while True:
            frame = interleaved_frame(self.buf)
            if frame is not None:
                self.buf = frame[2]
                return frame[0], frame[1]
            if self.buf and not self.buf.startswith(b"$"):
                # An RTSP message from the server (e.g. an ANNOUNCE): skip it.
                split = split_response(self.buf)
                if split is not None:
                    self.buf = split[1]
                    continue
            await self.fill()


async def confirm_stream(
    ctx: ProbeContext,
    host: str,
    port: int,
    route: str,
) -> StreamCheck:
    """Never raises: every failure is a StreamCheck with a reason."""
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            conn = await ctx.connector.open(host, port, timeout=ctx.timeouts.connect)
            try:
                return await _confirm(ctx, _Link(conn, ctx), host, port, route)
            finally:
                await conn.close()
    except TimeoutError:
        return StreamCheck(StreamState.FAILED, f"no answer within {ctx.timeouts.probe:g}s")
    except (TransportError, RtspParseError, ValueError) as exc:
        return StreamCheck(StreamState.FAILED, str(exc)[:200])


async def _confirm(ctx: ProbeContext, link: _Link, host: str, port: int, route: str) -> StreamCheck:
    url = rtsp_url(host, port, route)
    described = await link.request("DESCRIBE", url, [("Accept", "application/sdp")])
    if described.status != 200:
        return StreamCheck(StreamState.REFUSED, f"DESCRIBE answered {described.status}")
    base = url
    content_base = described.get("Content-Base")
    if content_base and same_server(content_base, host, port):
        base = content_base  # only a base on the same host: we never follow another one
    track = control_url(described.body.decode("utf-8", "replace"), base)
    if not same_server(track, host, port):
        track = url  # a control URL naming another host is not followed
    setup = await link.request(
        "SETUP", track, [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")]
    )
    if setup.status != 200:
        return StreamCheck(StreamState.REFUSED, f"SETUP answered {setup.status}")
    session = (setup.get("Session") or "").split(";")[0].strip()
    if not session:
        return StreamCheck(StreamState.FAILED, "SETUP answered without a Session")
    play = await link.request("PLAY", url, [("Session", session), ("Range", "npt=0.000-")])
    if play.status != 200:
        return StreamCheck(StreamState.REFUSED, f"PLAY answered {play.status}")
    try:
        async with asyncio.timeout(ctx.timeouts.read):
            channel, packet = await link.first_frame()
    except TimeoutError:
        return StreamCheck(StreamState.NO_MEDIA, f"no media within {ctx.timeouts.read:g}s of PLAY")
    finally:
        try:
            async with asyncio.timeout(ctx.timeouts.read):
                await link.request("TEARDOWN", url, [("Session", session)])
        except (TimeoutError, TransportError, RtspParseError):
            pass  # the session times out on the camera anyway
    if not is_rtp(packet):
        return StreamCheck(StreamState.NO_MEDIA, f"channel {channel} carried something not RTP")
    return StreamCheck(StreamState.VIDEO, f"RTP packets arrived on channel {channel} after PLAY")
