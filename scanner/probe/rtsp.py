"""RTSP probe: a pure request builder and response parser, and thin async shells over the seam.

RTSP/1.0 (RFC 2326) borrows HTTP/1.1's message syntax (s6, s7): a status line, header lines up to
an empty line, then ``Content-Length`` bytes of body, zero when the header is absent (s12.14).
Each exchange opens its own connection to exactly ``host:port``; URLs the device sends back
(``Content-Base``) are recorded as evidence and never connected to.
"""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
import traceback
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from scanner.context import ProbeContext
from scanner.digits import ascii_decimal
from scanner.models import AuthScheme, ProbeStatus, Protocol, ServiceResult
from scanner.probe.auth import (
    Challenge,
    basic_authorization,
    digest_authorization,
    parse_www_authenticate,
    strongest,
)
from scanner.probe.headers import HeaderLookup
from scanner.probe.volunteered import sdp_fields
from scanner.transport import ReadTimeout, TransportError, read_until

__all__ = [
    "RtspError",
    "RtspParseError",
    "RtspResponse",
    "build_request",
    "parse_response",
    "probe_rtsp",
    "response_complete",
    "rtsp_describe",
    "rtsp_request",
    "rtsp_url",
]

USER_AGENT = "camsweep/0.1"
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_MAX_HEADERS = 100
DEFAULT_MAX_BODY_BYTES = 256 * 1024
# Content-Length beyond 18 digits cannot be a real RTSP body; refusing it early keeps int()
# away from megabyte-long digit strings.
_MAX_CL_DIGITS = 18
_SDP_FIELD_BYTES = 4 * 1024
_FIELD_VALUE_CHARS = 1024
_MAX_HEADER_FIELDS = 32
# Headers already mapped to their own field, or that change with every answer and identify
# nothing: left out of rtsp.header.<name>.
_UNRECORDED = frozenset(
    {"cseq", "content-length", "date", "expires", "last-modified", "server", "public"}
)

# [0-9], not \d: in a str pattern \d also matches '٢' and other scripts' digits.
_STATUS_LINE = re.compile(r"RTSP/([0-9])\.([0-9])[ \t]+([0-9]{3})(?:[ \t]+(.*))?")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class RtspError(Exception):
    """Base of this module's own errors."""


class RtspParseError(RtspError):
    """The bytes are not an RTSP response we can read."""


@dataclass(frozen=True, slots=True)
class RtspResponse(HeaderLookup):
    version: str
    status: int
    reason: str
    # In wire order, names as sent; look them up with get()/get_all() (case-insensitive,
    # RFC 2326 s4.2 via RFC 2616 s4.2).
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # True when the body is shorter than Content-Length (cap hit or the peer closed early).
    truncated: bool = False

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower case ('' when absent)."""
        return (self.get("Content-Type") or "").split(";", 1)[0].strip().lower()


# --- pure functions --------------------------------------------------------------------------


def rtsp_url(host: str, port: int, route: str = "/") -> str:
    """``rtsp://host:port/route``. A full URL in ``route`` keeps only its path and query: we
    never send a request naming a host other than the one we connect to."""
    path = route.strip()
    if "://" in path:
        after = path.split("://", 1)[1]
        slash = after.find("/")
        path = after[slash:] if slash >= 0 else "/"
    if not path.startswith("/"):
        path = "/" + path
    # Spaces, controls and non-ASCII in user-supplied routes would break the request line
    # (RFC 2326 s6.1); percent-encode them as RFC 3986 s2.1 says.
    path = urllib.parse.quote(path, safe="!#$%&'()*+,-./:;=?@[]^_`{|}~")
    netloc = f"[{host}]" if ":" in host else host
    return f"rtsp://{netloc}:{port}{path}"


def build_request(
    method: str, url: str, cseq: int, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """One RTSP/1.0 request (RFC 2326 s6). Raises ``ValueError`` for a method, URL or header
    that would break the message framing (whitespace in the URL, CR/LF in a value)."""
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"invalid RTSP method {method!r}")
    if not url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ValueError(f"invalid RTSP URL {url!r}")
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {int(cseq)}"]
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"invalid header name {name!r}")
        if any(ch in value for ch in "\r\n\x00"):
            raise ValueError(f"header {name} has a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _header_end(data: bytes) -> tuple[int, int] | None:
    """(end of header block, start of body). RFC 2616 s19.3 tolerance: a bare LF line ending
    is accepted as well as CRLF, because cheap RTSP stacks send it."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    candidates = [(pos, pos + 4) for pos in (crlf,) if pos >= 0]
    candidates += [(pos, pos + 2) for pos in (lf,) if pos >= 0]
    if not candidates:
        return None
    return min(candidates)


def _content_length(header_block: bytes) -> int | None:
    """Declared Content-Length from a raw header block, or None when absent or unreadable."""
    value: int | None = None
    for line in header_block.split(b"\n")[1:]:
        name, sep, raw = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            value = ascii_decimal(raw.strip(), max_digits=_MAX_CL_DIGITS)
            if value is None:
                return None
    return value


def response_complete(buf: bytes, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> bool:
    """For ``read_until``: true once the header block and its declared body have arrived, or
    once reading more is pointless (header too large, body past our cap). Never raises."""
    ends = _header_end(buf)
    if ends is None:
        return len(buf) > DEFAULT_MAX_HEADER_BYTES
    end, body_start = ends
    length = _content_length(buf[:end])
    if length is None:
        # Absent means zero (RFC 2326 s12.14); invalid is for parse_response to reject.
        return True
    return len(buf) - body_start >= min(length, max_body_bytes)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def parse_response(
    data: bytes,
    *,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_headers: int = DEFAULT_MAX_HEADERS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> RtspResponse:
    """Parse one response. Raises ``RtspParseError`` (only) on anything unreadable."""
    # RFC 2616 s4.1 robustness: ignore empty lines before the status line.
    start = 0
    while data.startswith(b"\r\n", start) or data.startswith(b"\n", start):
        start += 2 if data.startswith(b"\r\n", start) else 1
    data = data[start:]
    ends = _header_end(data)
    if ends is None:
        if data.startswith((b"HTTP/", b"\x15", b"\x16")):
            raise RtspParseError(f"not RTSP: {_describe_start(data)}")
        raise RtspParseError(f"no end of headers in {len(data)} bytes")
    end, body_start = ends
    if end > max_header_bytes:
        raise RtspParseError(f"header block of {end} bytes exceeds {max_header_bytes}")
    lines = _decode(data[:end]).replace("\r\n", "\n").split("\n")
    status_line = lines[0].rstrip("\r")
    match = _STATUS_LINE.fullmatch(status_line)
    if match is None:
        raise RtspParseError(f"not an RTSP status line: {_describe_start(data)}")
    major, minor, code, reason = match.groups()
    headers: list[tuple[str, str]] = []
    for raw_line in lines[1:]:
        line = raw_line.rstrip("\r")
        if line[:1] in (" ", "\t") and headers:
            # obs-fold (RFC 2616 s2.2 LWS): a continuation of the previous value.
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep or not _TOKEN.fullmatch(name.strip()):
            # A line that is not "name: value" carries nothing we can use; skip it rather than
            # lose the rest of an otherwise readable answer.
            continue
        headers.append((name.strip(), value.strip()))
        if len(headers) > max_headers:
            raise RtspParseError(f"more than {max_headers} header lines")
    lengths = {v for k, v in headers if k.lower() == "content-length"}
    if len(lengths) > 1:
        # RFC 7230 s3.3.2: differing Content-Length values make the framing unknowable.
        raise RtspParseError("conflicting Content-Length headers")
    length = 0
    if lengths:
        raw_len = lengths.pop()
        declared = ascii_decimal(raw_len, max_digits=_MAX_CL_DIGITS)
        if declared is None:
            raise RtspParseError(f"invalid Content-Length {raw_len[:40]!r}")
        length = declared
    available = data[body_start:]
    keep = min(length, max_body_bytes)
    body = available[:keep]
    return RtspResponse(
        version=f"{major}.{minor}",
        status=int(code),
        reason=(reason or "").strip(),
        headers=tuple(headers),
        body=body,
        truncated=len(body) < length,
    )


def _describe_start(data: bytes) -> str:
    head = data[:40]
    if head[:1] in (b"\x15", b"\x16"):
        return "a TLS record (the port speaks TLS)"
    first = head.split(b"\n", 1)[0]
    return repr(first.decode("ascii", "replace"))


# --- async shells ----------------------------------------------------------------------------


async def rtsp_request(
    ctx: ProbeContext,
    host: str,
    port: int,
    method: str,
    url: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
) -> RtspResponse:
    """One request/response on its own connection to ``host:port``.

    Raises ``TransportError`` (connect/read failures, deadline) or ``RtspParseError``."""
    all_headers = list(headers)
    if not any(name.lower() == "user-agent" for name, _ in all_headers):
        # RFC 2326 s12.41: identify ourselves, so device logs show who asked.
        all_headers.append(("User-Agent", USER_AGENT))
    request = build_request(method, url, 1, all_headers)
    conn = await ctx.connector.open(host, port, timeout=ctx.timeouts.connect)
    try:
        try:
            async with asyncio.timeout(ctx.timeouts.read):
                await conn.send(request)
        except TimeoutError as exc:
            raise ReadTimeout(f"could not send the request within {ctx.timeouts.read:g}s") from exc
        done = functools.partial(response_complete, max_body_bytes=ctx.limits.max_body_bytes)
        data, _ = await read_until(
            conn,
            done,
            max_bytes=ctx.limits.max_header_bytes + ctx.limits.max_body_bytes,
            timeout=ctx.timeouts.read,
        )
    finally:
        await conn.close()
    if not data:
        raise RtspParseError("connection closed without an answer")
    return parse_response(
        data, max_header_bytes=ctx.limits.max_header_bytes, max_body_bytes=ctx.limits.max_body_bytes
    )


async def rtsp_describe(
    ctx: ProbeContext,
    host: str,
    port: int,
    route: str,
    *,
    credentials: tuple[str, str] | None,
) -> RtspResponse:
    """DESCRIBE ``route``; on 401 with ``credentials``, answer the strongest challenge on a new
    request (Digest with a fresh cnonce, RFC 7616 s3.4, else Basic) and return that answer.

    Raises ``TransportError``, ``RtspParseError`` or ``AuthError`` (a credential with a line
    break in it)."""
    url = rtsp_url(host, port, route)
    accept = [("Accept", "application/sdp")]
    first = await rtsp_request(ctx, host, port, "DESCRIBE", url, headers=accept)
    if first.status != 401 or credentials is None:
        return first
    challenge = strongest(parse_www_authenticate(first.get_all("WWW-Authenticate")))
    if challenge is None:
        return first
    user, password = credentials
    if challenge.scheme is AuthScheme.DIGEST:
        authorization = digest_authorization(
            challenge,
            method="DESCRIBE",
            uri=url,  # RFC 2326 s14.3 examples: the Digest uri is the Request-URI as sent.
            user=user,
            password=password,
            cnonce=secrets.token_hex(16),
        )
    else:
        authorization = basic_authorization(user, password)
    return await rtsp_request(
        ctx,
        host,
        port,
        "DESCRIBE",
        url,
        headers=[*accept, ("Authorization", authorization)],
    )


@dataclass
class _Evidence:
    """What probe_rtsp has learned so far; kept outside the deadline so a probe cut short by
    ctx.timeouts.probe still reports it."""

    answered: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    challenges: list[Challenge] = field(default_factory=list)
    saw_401: bool = False
    open_routes: list[str] = field(default_factory=list)
    accepts_any_route: bool = False
    notes: list[str] = field(default_factory=list)

    def record(self, response: RtspResponse) -> None:
        self.answered = True
        server = response.get("Server")
        if server and "rtsp.server" not in self.fields:
            self.fields["rtsp.server"] = server[:_FIELD_VALUE_CHARS]
        recorded = sum(1 for key in self.fields if key.startswith("rtsp.header."))
        for name, value in response.headers:
            key = f"rtsp.header.{name.lower()}"
            if name.lower() in _UNRECORDED or key in self.fields:
                continue
            if recorded >= _MAX_HEADER_FIELDS:
                break
            self.fields[key] = value[:_FIELD_VALUE_CHARS]
            recorded += 1
        if response.status == 401:
            self.saw_401 = True
            found = parse_www_authenticate(response.get_all("WWW-Authenticate"))
            if found and "rtsp.realm" not in self.fields and found[0].realm is not None:
                self.fields["rtsp.realm"] = found[0].realm[:_FIELD_VALUE_CHARS]
            self.challenges.extend(found)

    def record_sdp(self, response: RtspResponse) -> None:
        if "rtsp.sdp" not in self.fields:
            self.fields["rtsp.sdp"] = _decode(response.body[:_SDP_FIELD_BYTES])
            self.fields.update(sdp_fields(self.fields["rtsp.sdp"]))  # s= and i= name devices

    def auth(self) -> AuthScheme | None:
        if self.saw_401:
            schemes = {ch.scheme for ch in self.challenges}
            if AuthScheme.DIGEST in schemes:
                return AuthScheme.DIGEST
            if AuthScheme.BASIC in schemes:
                return AuthScheme.BASIC
            return AuthScheme.UNKNOWN
        if self.open_routes or self.accepts_any_route:
            return AuthScheme.NONE
        return None

    def result(self, port: int) -> ServiceResult:
        fields = dict(self.fields)
        auth = self.auth()
        if auth is not None:
            fields["rtsp.auth"] = str(auth)
        return ServiceResult(
            port=port,
            protocol=Protocol.RTSP,
            status=ProbeStatus.OK,
            reason="; ".join(self.notes),
            banner=fields.get("rtsp.server"),
            auth=auth,
            fields=fields,
            open_routes=() if self.accepts_any_route else tuple(self.open_routes),
            accepts_any_route=self.accepts_any_route,
        )


def _is_stream(response: RtspResponse) -> bool:
    # A stream description is a 200 carrying SDP (RFC 2326 s10.2, RFC 4566); a 200 with an HTML
    # page or nothing is not a stream a viewer could open.
    return (
        response.status == 200
        and response.content_type == "application/sdp"
        and bool(response.body.strip())
    )


async def _run_probe(
    ctx: ProbeContext,
    host: str,
    port: int,
    *,
    routes: Sequence[str],
    ev: _Evidence,
) -> None:
    base = rtsp_url(host, port, "/")
    options = await rtsp_request(ctx, host, port, "OPTIONS", base)
    ev.record(options)
    public = options.get("Public")
    if public:
        ev.fields["rtsp.public"] = public[:_FIELD_VALUE_CHARS]

    async def describe(route: str) -> RtspResponse:
        response = await rtsp_describe(ctx, host, port, route, credentials=None)
        ev.record(response)
        return response

    # Baseline first (Cameradar's "dummy route"): a server that answers a random route with a
    # stream accepts anything, so its 200s say nothing about real routes.
    control = await describe(f"/camsweep-{secrets.token_hex(8)}")
    if control.status == 200:
        ev.accepts_any_route = True
        if _is_stream(control):
            ev.record_sdp(control)
        ev.notes.append("DESCRIBE of a random route answered 200: any route is accepted")
        return
    if control.status == 401:
        ev.notes.append("DESCRIBE of a random route answered 401: every route needs credentials")
        return

    seen: set[str] = set()
    for route in ["/", *routes]:
        url = rtsp_url(host, port, route)
        if url in seen:
            continue
        seen.add(url)
        try:
            response = await describe(route)
        except (TransportError, RtspParseError) as exc:
            # One route that resets or answers garbage ends the route walk: the device is
            # unlikely to do better on the next, and we must not hammer it.
            ev.notes.append(f"DESCRIBE {route}: {exc}")
            return
        if _is_stream(response):
            ev.open_routes.append(route)
            ev.record_sdp(response)


async def probe_rtsp(
    ctx: ProbeContext,
    host: str,
    port: int,
    *,
    routes: Sequence[str],
) -> ServiceResult:
    """OPTIONS, DESCRIBE a random control route, then ``/`` and every route in ``routes``.

    Never raises: transport failures, garbage and bugs become the result's status and reason.
    """
    ev = _Evidence()
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            await _run_probe(ctx, host, port, routes=routes, ev=ev)
    except TimeoutError:
        if not ev.answered:
            return _failed(port, ProbeStatus.TIMEOUT, f"no answer within {ctx.timeouts.probe:g}s")
        ev.notes.append(f"probe stopped at its {ctx.timeouts.probe:g}s deadline")
    except TransportError as exc:
        if not ev.answered:
            return _failed(port, exc.status, str(exc))
        ev.notes.append(str(exc))
    except RtspParseError as exc:
        if not ev.answered:
            return _failed(port, ProbeStatus.MALFORMED, str(exc))
        ev.notes.append(f"malformed answer: {exc}")
    except Exception as exc:  # noqa: BLE001 - a probe bug must not end the scan (style habit 4)
        return ServiceResult(
            port=port,
            protocol=Protocol.RTSP,
            status=ProbeStatus.ERROR,
            reason=f"probe bug: {type(exc).__name__}: {exc}",
            debug=traceback.format_exc(),
        )
    return ev.result(port)


def _failed(port: int, status: ProbeStatus, reason: str) -> ServiceResult:
    return ServiceResult(port=port, protocol=Protocol.RTSP, status=status, reason=reason)
