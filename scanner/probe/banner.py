"""Banner grab and protocol sniffing for ports whose protocol the pipeline does not know.

``probe_banner`` records whatever a port says first. ``sniff`` decides which probe to run next:
a greeting with Telnet commands or a login prompt is Telnet; a silent port gets one harmless
``OPTIONS * RTSP/1.0`` (RFC 2326 s10.1), which an RTSP server answers with ``RTSP/1.0``, most
HTTP servers with an ``HTTP/1.x`` error, and a TLS server with a TLS record (RFC 8446 s5.1:
content type 21 alert or 22 handshake, then legacy version major byte 3).
"""

from __future__ import annotations

import asyncio
import re
import traceback

from scanner.context import ProbeContext
from scanner.models import ProbeStatus, Protocol, ServiceResult
from scanner.probe.volunteered import greeting_fields
from scanner.transport import TransportError, read_for, read_until

__all__ = ["SNIFF_REQUEST", "printable", "probe_banner", "sniff", "sniff_protocol"]

SNIFF_REQUEST = b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"
_HEX_BYTES = 64
_LINE_CHARS = 1024
_IAC = 0xFF
_TELNET_VERBS = frozenset({0xFB, 0xFC, 0xFD, 0xFE, 0xFA})  # WILL WONT DO DONT SB (RFC 854)
_LOGIN_WORDS = re.compile(rb"(?:login|username|user name|password)\s*:", re.IGNORECASE)


def printable(data: bytes) -> str:
    """Printable text of raw bytes: UTF-8 with undecodable bytes and control characters dropped
    (tabs and newlines kept; CR LF folded to LF), surrounding whitespace stripped."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    # str.isprintable() drops every Unicode control, format, unassigned and separator
    # character, not only ASCII ones; U+FFFD marks bytes that were not text at all.
    kept = (ch for ch in text if ch in "\t\n" or (ch.isprintable() and ch != "\ufffd"))
    return "".join(kept).strip()


def _looks_like_telnet(greeting: bytes) -> bool:
    for i in range(min(len(greeting), 512) - 1):
        if greeting[i] == _IAC and greeting[i + 1] in _TELNET_VERBS:
            return True
    return bool(_LOGIN_WORDS.search(greeting[:4096]))


def sniff_protocol(greeting: bytes, reply_to_probe: bytes | None) -> Protocol | None:
    """Which protocol a port speaks, from what it said first and what it answered to
    ``SNIFF_REQUEST`` (None when not asked). None when unsure. Never raises."""
    if greeting and _looks_like_telnet(greeting):
        return Protocol.TELNET
    reply = (reply_to_probe or b"").lstrip(b"\r\n")
    if reply.startswith(b"RTSP/1."):
        return Protocol.RTSP
    if reply.startswith(b"HTTP/1."):
        return Protocol.HTTP
    if reply[:1] in (b"\x15", b"\x16") and (len(reply) < 2 or reply[1] == 0x03):
        return Protocol.HTTPS
    return None


async def probe_banner(ctx: ProbeContext, host: str, port: int) -> ServiceResult:
    """Whatever the port says first within ``ctx.timeouts.banner``. A silent port is OK with no
    banner (vendor control ports wait for the client). Never raises."""
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            conn = await ctx.connector.open(host, port, timeout=ctx.timeouts.connect)
            try:
                data = await read_for(
                    conn, max_bytes=ctx.limits.max_banner_bytes, timeout=ctx.timeouts.banner
                )
            finally:
                await conn.close()
    except TimeoutError:
        return _result(port, ProbeStatus.TIMEOUT, f"no answer within {ctx.timeouts.probe:g}s")
    except TransportError as exc:
        return _result(port, exc.status, str(exc))
    except Exception as exc:  # noqa: BLE001 - a probe bug must not end the scan (style habit 4)
        return ServiceResult(
            port=port,
            protocol=Protocol.TCP,
            status=ProbeStatus.ERROR,
            reason=f"probe bug: {type(exc).__name__}: {exc}",
            debug=traceback.format_exc(),
        )
    if not data:
        return _result(port, ProbeStatus.OK, f"silent for {ctx.timeouts.banner:g}s")
    text = printable(data)
    fields = {"tcp.banner_hex": data[:_HEX_BYTES].hex()}
    first_line: str | None = None
    if text:
        fields["tcp.banner"] = text
        fields.update(greeting_fields(text))  # FTP and SSH greetings name DVRs and NVRs
        first_line = next(line.strip() for line in text.split("\n") if line.strip())[:_LINE_CHARS]
    return ServiceResult(port=port, protocol=Protocol.TCP, banner=first_line, fields=fields)


def _enough_to_classify(buf: bytes) -> bool:
    # "RTSP/1." and "HTTP/1." need 7 bytes; a TLS alert is one 7-byte record and the server
    # may keep the socket open after it, so do not wait for more.
    return len(buf) >= 8 or buf[:1] in (b"\x15", b"\x16")


def _result(port: int, status: ProbeStatus, reason: str) -> ServiceResult:
    return ServiceResult(port=port, protocol=Protocol.TCP, status=status, reason=reason)


async def sniff(ctx: ProbeContext, host: str, port: int) -> Protocol | None:
    """Listen for a greeting, else send ``SNIFF_REQUEST`` once, and classify. None when the
    port cannot be reached or says nothing we recognise. Never raises."""
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            conn = await ctx.connector.open(host, port, timeout=ctx.timeouts.connect)
            try:
                greeting = await read_for(
                    conn, max_bytes=ctx.limits.max_banner_bytes, timeout=ctx.timeouts.banner
                )
                if greeting:
                    return sniff_protocol(greeting, None)
                await conn.send(SNIFF_REQUEST)
                reply, _ = await read_until(
                    conn, _enough_to_classify, max_bytes=1024, timeout=ctx.timeouts.read
                )
            finally:
                await conn.close()
    except (TimeoutError, TransportError):
        return None
    except Exception:  # noqa: BLE001 - sniffing is a hint; a bug must not end the scan
        return None
    return sniff_protocol(b"", reply)
