"""A small RTSP/1.0 server (RFC 2326) for emulated cameras: enough to be scanned and sampled.

OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER and SET_PARAMETER are answered;
RTP is sent only over the RTSP connection: a few packets after PLAY when SETUP asked for
interleaved TCP transport. Each connection serves a bounded number of requests (RTSP
connections are persistent, section 1.4) and ends on the idle deadline of its ``LabStream``.
"""

from __future__ import annotations

import re
import secrets
import struct
from dataclasses import dataclass

from scanner.digits import ascii_decimal
from scanner.lab.auth import Authenticator, AuthPolicy, AuthResult, request_path
from scanner.lab.sdp import build_sdp
from scanner.lab.wire import (
    LabProtocolError,
    LabStream,
    Request,
    content_length,
    http_date,
    parse_request_head,
    render_response,
)

MAX_REQUESTS_PER_CONNECTION = 200
MAX_SESSIONS_PER_CONNECTION = 16
SESSION_TIMEOUT = 60  # seconds, announced in the Session header (section 12.37)
TRACK_CONTROL = "trackID=1"  # the a=control of the one video track in our SDP

# Section 7.1.1: status codes and their reason phrases.
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    453: "Not Enough Bandwidth",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    461: "Unsupported Transport",
    501: "Not Implemented",
    505: "RTSP Version not supported",
}
# Section 10: the methods RTSP defines; anything else is unknown to us (501, not 405).
RTSP_METHODS = frozenset(
    {
        "OPTIONS",
        "DESCRIBE",
        "ANNOUNCE",
        "SETUP",
        "PLAY",
        "PAUSE",
        "TEARDOWN",
        "GET_PARAMETER",
        "SET_PARAMETER",
        "REDIRECT",
        "RECORD",
    }
)
_HANDLED = frozenset(
    {"OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"}
)
DEFAULT_PUBLIC = ("OPTIONS", "DESCRIBE", "SETUP", "TEARDOWN", "PLAY", "PAUSE", "GET_PARAMETER")


@dataclass(frozen=True, slots=True)
class RtspRoute:
    """A stream path. Without ``?`` it matches any query; with one, only that exact query."""

    path: str
    auth: bool = True  # needs credentials when the service has an auth policy

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"RTSP route must start with '/': {self.path!r}")


@dataclass(frozen=True, slots=True)
class RtspConfig:
    server: str | None  # Server header; None sends none (Hikvision)
    routes: tuple[RtspRoute, ...]
    public: tuple[str, ...] = DEFAULT_PUBLIC
    auth: AuthPolicy | None = None
    # Ask for credentials before saying whether a path exists (what Dahua and Axis do), so a
    # scanner cannot enumerate routes without logging in.
    challenge_unknown_routes: bool = True
    accepts_any_route: bool = False  # cheap cameras answer 200 to every path
    auth_options: bool = False  # OPTIONS needs credentials too
    session_name: str = "Media Presentation"
    width: int = 1920
    height: int = 1080


def find_route(config: RtspConfig, path: str) -> RtspRoute | None:
    """The route a request path (with query) names, if any."""
    base, _, _query = path.partition("?")
    for route in config.routes:
        if "?" in route.path:
            if route.path == path:
                return route
        elif route.path == base or route.path == base.rstrip("/"):
            return route
    if config.accepts_any_route:
        return RtspRoute("/" + base.lstrip("/"), auth=True)
    return None


def _strip_track(path: str) -> str:
    """``/x/trackID=1`` -> ``/x``: SETUP names the track relative to Content-Base (C.1.1)."""
    head, sep, last = path.rpartition("/")
    if sep and last == TRACK_CONTROL:
        return head or "/"
    return path


RTP_PACKETS_AFTER_PLAY = 3
_SESSION = re.compile(rb"\r\nSession: *([A-Za-z0-9$\-_.+]+)")
_INTERLEAVED = re.compile(r"interleaved=([0-9]{1,3})", re.IGNORECASE)


def _session_of(reply: bytes) -> str | None:
    found = _SESSION.search(reply)
    return found.group(1).decode() if found else None


def _interleaved_channel(transport: str) -> int | None:
    if "/TCP" not in transport.upper():
        return None
    found = _INTERLEAVED.search(transport)
    return int(found.group(1)) if found and int(found.group(1)) < 256 else None


def rtp_frame(channel: int, seq: int) -> bytes:
    """One interleaved RTP packet (RFC 3550 s5.1 header, payload type 96 as in the SDP) carrying
    a small H.264 NAL unit (a filler NAL, type 12), framed as RFC 2326 s10.12 says."""
    header = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq * 3600, 0x0CA45EE7)
    payload = bytes([0x0C]) + b"\xff" * 16
    packet = header + payload
    return b"$" + bytes([channel]) + struct.pack("!H", len(packet)) + packet


class RtspServer:
    """Per-service state (auth nonces, lockout via the authenticator); one per bound port."""

    def __init__(
        self,
        config: RtspConfig,
        *,
        address: str,
        port: int,
        authenticator: Authenticator | None,
    ) -> None:
        if config.auth is not None and authenticator is None:
            raise ValueError("an RTSP service with an auth policy needs an authenticator")
        self.config = config
        self.address = address
        self.port = port
        self._auth = authenticator
        self._sdp_session = secrets.randbelow(2**31)

    async def serve(self, stream: LabStream) -> None:
        sessions: dict[str, str] = {}
        interleaved: dict[str, int] = {}  # session -> RTP channel, for RTP over the RTSP link
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            try:
                head = await stream.read_head()
                if head is None:
                    return
                request = parse_request_head(head)
                await stream.read_body(content_length(request))
            except LabProtocolError:
                # Section 11.3 / 7.1.1: garbage gets a 400, then we stop reading this client.
                await stream.send(self._response(400, None))
                return
            reply, keep_open = self.respond(request, sessions)
            if not await stream.send(reply) or not keep_open:
                return
            if not reply.startswith(b"RTSP/1.0 200"):
                continue
            session = _session_of(reply)
            if request.method == "SETUP" and session:
                channel = _interleaved_channel(request.header("transport") or "")
                if channel is not None:
                    interleaved[session] = channel
            elif request.method == "PLAY" and session in interleaved:
                # RFC 2326 s10.12: RTP rides the RTSP connection in $-framed chunks.
                for seq in range(RTP_PACKETS_AFTER_PLAY):
                    if not await stream.send(rtp_frame(interleaved[session], seq)):
                        return

    # -- responses -----------------------------------------------------------------------------

    def _response(
        self,
        status: int,
        cseq: str | None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> bytes:
        out: list[tuple[str, str]] = []
        if cseq is not None:
            out.append(("CSeq", cseq))  # section 12.17: echoed in every response
        if self.config.server is not None:
            out.append(("Server", self.config.server))
        out.append(("Date", http_date()))
        out.extend(headers or [])
        return render_response("RTSP/1.0", status, REASONS[status], out, body, empty_length=False)

    def respond(self, request: Request, sessions: dict[str, str]) -> tuple[bytes, bool]:
        """The answer to one parsed request, and whether to keep reading this connection."""
        cseq = request.header("cseq")
        valid_cseq = cseq is not None and ascii_decimal(cseq, max_digits=10) is not None
        if request.version != "RTSP/1.0":
            # Section 7.1.1 code 505; an HTTP client on the RTSP port lands here too.
            return self._response(505, cseq if valid_cseq else None), False
        if cseq is None or not valid_cseq:
            # Section 12.17: CSeq MUST be present in every request.
            return self._response(400, None), True
        method = request.method
        if method not in RTSP_METHODS:
            return self._response(501, cseq), True
        if method not in self.config.public:
            # Section 10 and 12.4: a known method this server does not offer.
            allow = ", ".join(self.config.public)
            return self._response(405, cseq, [("Allow", allow)]), True
        if method not in _HANDLED:
            return self._response(455, cseq), True
        target = request.target
        if target == "*":
            if method != "OPTIONS":
                return self._response(400, cseq), True
            return self._options(request, cseq), True
        if not target.startswith(("rtsp://", "rtsps://", "/")):
            return self._response(400, cseq), True
        if method == "OPTIONS":
            return self._options(request, cseq), True
        if method == "DESCRIBE":
            return self._describe(request, cseq), True
        if method == "SETUP":
            return self._setup(request, cseq, sessions), True
        return self._in_session(request, cseq, sessions), True

    def _absolute(self, target: str) -> str:
        if target.startswith("/"):
            return f"rtsp://{self.address}:{self.port}{target}"
        return target

    def _gate(self, request: Request, cseq: str, route: RtspRoute | None) -> bytes | None:
        """An error response when the request needs credentials it does not carry, else None."""
        if self._auth is None:
            return None
        if route is not None and not route.auth:
            return None
        if route is None and not self.config.challenge_unknown_routes:
            return None
        result = self._auth.check(request.method, request.target, request.header("authorization"))
        if result is AuthResult.OK:
            return None
        if result is AuthResult.MALFORMED:
            return self._response(400, cseq)
        if result is AuthResult.LOCKED:
            return self._response(403, cseq)
        stale = result is AuthResult.STALE
        challenges = [("WWW-Authenticate", c) for c in self._auth.challenges(stale=stale)]
        return self._response(401, cseq, challenges)

    def _options(self, request: Request, cseq: str) -> bytes:
        if self.config.auth_options:
            denied = self._gate(request, cseq, None)
            if denied is not None:
                return denied
        return self._response(200, cseq, [("Public", ", ".join(self.config.public))])

    def _describe(self, request: Request, cseq: str) -> bytes:
        route = find_route(self.config, request_path(request.target))
        denied = self._gate(request, cseq, route)
        if denied is not None:
            return denied
        if route is None:
            return self._response(404, cseq)
        base = self._absolute(request.target)
        body = build_sdp(
            address=self.address,
            session_name=self.config.session_name,
            width=self.config.width,
            height=self.config.height,
            session_id=self._sdp_session,
        )
        headers = [
            # Section 12.11 / C.1.1: relative a=control URLs resolve against Content-Base.
            ("Content-Base", base if base.endswith("/") else base + "/"),
            ("Content-Type", "application/sdp"),
        ]
        return self._response(200, cseq, headers, body)

    def _setup(self, request: Request, cseq: str, sessions: dict[str, str]) -> bytes:
        path = _strip_track(request_path(request.target))
        route = find_route(self.config, path)
        denied = self._gate(request, cseq, route)
        if denied is not None:
            return denied
        if route is None:
            return self._response(404, cseq)
        transport = request.header("transport")
        if transport is None or "RTP/AVP" not in transport.upper():
            # Section 12.39: SETUP must say how to carry RTP; we speak only RTP/AVP[/TCP].
            return self._response(461, cseq)
        session = (request.header("session") or "").split(";")[0].strip()
        if session:
            if session not in sessions:
                return self._response(454, cseq)
        else:
            if len(sessions) >= MAX_SESSIONS_PER_CONNECTION:
                return self._response(453, cseq)
            session = secrets.token_hex(8).upper()
            sessions[session] = path
        reply_transport = transport.split(",")[0].strip()
        if "/TCP" not in reply_transport.upper() and "client_port=" in reply_transport:
            reply_transport += ";server_port=6970-6971"
        reply_transport += f";ssrc={secrets.token_hex(4).upper()}"
        headers = [
            ("Session", f"{session};timeout={SESSION_TIMEOUT}"),
            ("Transport", reply_transport),
        ]
        return self._response(200, cseq, headers)

    def _in_session(self, request: Request, cseq: str, sessions: dict[str, str]) -> bytes:
        session = (request.header("session") or "").split(";")[0].strip()
        if not session:
            if request.method == "GET_PARAMETER":
                return self._response(200, cseq)  # a keep-alive ping outside any session
            return self._response(454, cseq)
        path = sessions.get(session)
        if path is None:
            return self._response(454, cseq)
        if request.method in ("PLAY", "PAUSE"):
            denied = self._gate(request, cseq, find_route(self.config, path))
            if denied is not None:
                return denied
        headers = [("Session", session)]
        if request.method == "PLAY":
            url = self._absolute(request.target).rstrip("/")
            seq, rtptime = secrets.randbelow(65536), secrets.randbelow(2**32)
            headers += [
                ("Range", "npt=0.000-"),
                # Section 12.33: where the RTP stream of each track starts.
                ("RTP-Info", f"url={url}/{TRACK_CONTROL};seq={seq};rtptime={rtptime}"),
            ]
        elif request.method == "TEARDOWN":
            del sessions[session]
            headers = []
        return self._response(200, cseq, headers)
