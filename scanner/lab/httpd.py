"""A small HTTP/1.1 server (RFC 7230-7235) for the web interfaces of emulated devices.

One request per connection, answered with ``Connection: close`` (RFC 7230 section 6.1), which
every client must accept; GET and HEAD only, since the lab serves pages and never changes state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass

from scanner.lab.auth import Authenticator, AuthPolicy, AuthResult, request_path
from scanner.lab.onvifd import CONTENT_TYPE as SOAP_CONTENT_TYPE
from scanner.lab.onvifd import OnvifConfig, OnvifResponder
from scanner.lab.wire import (
    LabProtocolError,
    LabStream,
    Request,
    content_length,
    http_date,
    parse_request_head,
    render_response,
)

# RFC 7231 section 6.1 reason phrases for the codes the lab uses.
REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}
_BODY_DRAIN_CAP = 64 * 1024


@dataclass(frozen=True, slots=True)
class EndlessBody:
    """A body that never ends by itself: a live audio or video feed.

    After the head (no Content-Length: the body ends when the server closes, RFC 7230 section
    3.3.3 rule 7) ``frame`` is sent every ``interval`` seconds, at the pace of a real feed,
    until the client goes away or ``max_frames`` were sent, so the lab's loop stays bounded.
    """

    frame: bytes
    interval: float
    max_frames: int = 1500

    def __post_init__(self) -> None:
        if not self.frame:
            raise ValueError("an endless body needs a non-empty frame")
        if not 0 <= self.interval <= 10:
            raise ValueError(f"frame interval must be 0..10 s, not {self.interval}")
        if not 0 < self.max_frames <= 1_000_000:
            raise ValueError(f"max_frames must be 1..1000000, not {self.max_frames}")


class RequestLog:
    """What an HTTP service was asked (method, target, headers), oldest first and capped, so a
    test can prove that a request was, or was not, sent to a device."""

    def __init__(self, cap: int = 1000) -> None:
        self._entries: deque[Request] = deque(maxlen=cap)

    def record(self, request: Request) -> None:
        self._entries.append(request)

    @property
    def requests(self) -> list[Request]:
        return list(self._entries)

    def paths(self) -> list[str]:
        """The path (without query) of every request, in order."""
        return [request_path(r.target).partition("?")[0] for r in self._entries]

    def clear(self) -> None:
        self._entries.clear()


def cookie_pairs(headers: list[str]) -> list[tuple[str, str]]:
    """The name=value pairs of Cookie header fields (RFC 6265 section 5.4: "; "-separated;
    lenient about spaces, as servers are)."""
    pairs = []
    for header in headers:
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name:
                pairs.append((name.strip(), value.strip()))
    return pairs


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """What one path answers. A path ending in ``*`` is a prefix (``/axis-cgi/*``)."""

    path: str
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html"
    headers: tuple[tuple[str, str], ...] = ()
    auth: bool = False  # behind the service's auth policy
    # A query string that skips auth: emulates the CVE-2017-7921 "?auth=" backdoor of old
    # Hikvision firmware, served only on loopback by the lab.
    bypass_query: str | None = None
    # The route applies only to requests whose Cookie carries this exact name=value pair;
    # others fall through to the next matching route. Emulates firmware that trusts a cookie
    # as a login (CVE-2018-9995: TBK recorders and "Cookie: uid=admin").
    cookie: tuple[str, str] | None = None
    # Stream this after the head instead of ``body`` (an audio feed such as /videotalk).
    endless: EndlessBody | None = None

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"HTTP route must start with '/': {self.path!r}")
        if self.status not in REASONS:
            raise ValueError(f"unsupported HTTP status {self.status}")

    def matches(self, path: str) -> bool:
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def admits(self, request: Request) -> bool:
        """Whether the request meets the route's cookie condition (always, without one)."""
        return self.cookie is None or self.cookie in cookie_pairs(request.header_all("cookie"))


def redirect(path: str, location: str, status: int = 302) -> HttpRoute:
    """A route answering with a redirect (RFC 7231 section 6.4) and a tiny HTML body."""
    body = f'<html><body><a href="{location}">{REASONS[status]}</a></body></html>'.encode()
    return HttpRoute(path, status=status, body=body, headers=(("Location", location),))


@dataclass(frozen=True, slots=True)
class HttpConfig:
    server: str | None  # Server header; None sends none (Dahua)
    routes: tuple[HttpRoute, ...]
    auth: AuthPolicy | None = None
    headers: tuple[tuple[str, str], ...] = ()  # sent on every response
    # An ONVIF device/media service answering POST /onvif/* on this same port, as cameras do.
    onvif: OnvifConfig | None = None
    # Every parsed request is recorded here when set (tests: "was this check sent?").
    log: RequestLog | None = None


def _error_page(status: int) -> bytes:
    reason = REASONS[status]
    return (
        f"<!DOCTYPE html><html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{reason}</h1></body></html>"
    ).encode()


class HttpServer:
    def __init__(
        self,
        config: HttpConfig,
        *,
        authenticator: Authenticator | None,
        onvif: OnvifResponder | None = None,
    ) -> None:
        if authenticator is None and any(r.auth for r in config.routes):
            raise ValueError("an HTTP service with protected routes needs an authenticator")
        self.config = config
        self._auth = authenticator
        self._onvif = onvif

    async def serve(self, stream: LabStream) -> None:
        try:
            head = await stream.read_head()
            if head is None:
                return
            request = parse_request_head(head)
        except LabProtocolError:
            await stream.send(self._response(400, "HTTP/1.1"))
            return
        if self.config.log is not None:
            self.config.log.record(request)
        if (
            self._onvif is not None
            and request.method == "POST"
            and (request_path(request.target).startswith("/onvif/"))
        ):
            await stream.send(await self._soap(stream, request))
            return
        reply, endless = self._answer(request)
        if request.method not in ("GET", "HEAD"):
            # Read what the client declared before closing, so our answer is not lost to a
            # reset (RFC 7230 section 6.6: close only after reading the request).
            try:
                length = content_length(request)
            except LabProtocolError:
                reply = self._response(400)
            else:
                if length > _BODY_DRAIN_CAP:
                    reply = self._response(413)
                else:
                    # A body that never arrives in full still gets our 405 when it stops.
                    with contextlib.suppress(LabProtocolError):
                        await stream.read_body(length, _BODY_DRAIN_CAP)
        if await stream.send(reply) and endless is not None:
            await self._pour(stream, endless)

    @staticmethod
    async def _pour(stream: LabStream, endless: EndlessBody) -> None:
        # Bounded by max_frames here, by the send's idle deadline when the client stops reading,
        # and by the runner's connection lifetime.
        for index in range(endless.max_frames):
            if index and endless.interval:
                await asyncio.sleep(endless.interval)
            if not await stream.send(endless.frame):
                return

    async def _soap(self, stream: LabStream, request: Request) -> bytes:
        assert self._onvif is not None
        try:
            length = content_length(request)
            if length > _BODY_DRAIN_CAP:
                return self._response(413)
            body = await stream.read_body(length, _BODY_DRAIN_CAP)
        except LabProtocolError:
            return self._response(400)
        status, payload = self._onvif.respond(body)
        return self._response(status, body=payload, content_type=SOAP_CONTENT_TYPE)

    def _response(
        self,
        status: int,
        version: str = "HTTP/1.1",
        *,
        body: bytes | None = None,
        content_type: str | None = "text/html",
        headers: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
        send_body: bool = True,
        empty_length: bool = True,
    ) -> bytes:
        out: list[tuple[str, str]] = [("Date", http_date())]
        if self.config.server is not None:
            out.append(("Server", self.config.server))
        out.extend(self.config.headers)
        out.extend(headers)
        payload = _error_page(status) if body is None else body
        if content_type is not None and payload:
            out.append(("Content-Type", content_type))
        out.append(("Connection", "close"))
        return render_response(
            "HTTP/1.1" if version == "HTTP/1.1" else "HTTP/1.0",
            status,
            REASONS[status],
            out,
            payload,
            send_body=send_body,
            empty_length=empty_length,
        )

    def respond(self, request: Request) -> bytes:
        """The answer's bytes; for a route with an endless body, only its head."""
        return self._answer(request)[0]

    def _answer(self, request: Request) -> tuple[bytes, EndlessBody | None]:
        """The answer, and the endless body to stream after it (GET on such a route only)."""
        version = request.version
        if not version.startswith("HTTP/"):
            return self._response(400), None
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            return self._response(505), None  # RFC 7231 section 6.6.6
        if version == "HTTP/1.1" and request.header("host") is None:
            return self._response(400), None  # RFC 7230 section 5.4: Host is required in 1.1
        if request.header("transfer-encoding") is not None:
            # RFC 7230 section 3.3.1: we implement no transfer coding, so say so.
            return self._response(501, version), None
        if request.method not in ("GET", "HEAD"):
            # RFC 7231 section 6.5.5: 405 lists what is allowed.
            return self._response(405, version, headers=[("Allow", "GET, HEAD")]), None
        send_body = request.method == "GET"
        target = request.target
        if not (target.startswith("/") or target.lower().startswith("http://")):
            return self._response(400, version, send_body=send_body), None
        path_query = request_path(target)
        path, _, query = path_query.partition("?")
        route = next((r for r in self.config.routes if r.matches(path) and r.admits(request)), None)
        if route is None:
            return self._response(404, version, send_body=send_body), None
        if route.auth and not (route.bypass_query is not None and route.bypass_query == query):
            denied = self._gate(request, version, send_body)
            if denied is not None:
                return denied, None
        if route.endless is not None:
            # The type is said up front even though the body is still to come.
            typed = (("Content-Type", route.content_type),) if route.content_type else ()
            head = self._response(
                route.status,
                version,
                body=b"",
                content_type=None,
                headers=(*route.headers, *typed),
                send_body=send_body,
                empty_length=False,  # the body ends when we close (RFC 7230 s3.3.3 rule 7)
            )
            return head, route.endless if send_body else None
        reply = self._response(
            route.status,
            version,
            body=route.body,
            content_type=route.content_type,
            headers=route.headers,
            send_body=send_body,
        )
        return reply, None

    def _gate(self, request: Request, version: str, send_body: bool) -> bytes | None:
        assert self._auth is not None  # checked in __init__ for routes with auth
        result = self._auth.check(request.method, request.target, request.header("authorization"))
        if result is AuthResult.OK:
            return None
        if result is AuthResult.MALFORMED:
            return self._response(400, version, send_body=send_body)
        if result is AuthResult.LOCKED:
            return self._response(403, version, send_body=send_body)
        stale = result is AuthResult.STALE
        challenges = [("WWW-Authenticate", c) for c in self._auth.challenges(stale=stale)]
        return self._response(401, version, headers=challenges, send_body=send_body)
