"""HTTP(S) probe: pure title/favicon helpers and httpx-based shells.

httpx does the protocol work (RFC 9112 framing, chunked bodies, Basic/Digest answers for the
credential checker). We keep control of what httpx would otherwise decide for us:

* no environment proxies (``trust_env=False``) and no automatic redirects: a probe connects
  only to the ``host:port`` it was given, and follows a redirect itself only when the
  ``Location`` stays on that same origin (RFC 9110 s10.2.2, resolved per RFC 3986 s5);
* ``Accept-Encoding: identity`` and raw body reads, so a compressed body can never expand past
  ``limits.max_body_bytes`` in memory;
* certificates are not verified: cameras ship self-signed ones; we identify, we do not trust;
* every request is bounded as a whole by ``timeouts.read`` (httpx's own timeouts are per
  socket operation, so a device dripping one byte a second would otherwise never end).

httpx failures are mapped into the transport seam's ``TransportError`` tree, so callers handle
one family of errors for RTSP, Telnet and HTTP alike.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import html
import re
import traceback
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import httpx

from scanner.context import PEER_CERTIFICATE, HttpProtocolError, ProbeContext
from scanner.models import AuthScheme, ProbeStatus, Protocol, ServiceResult
from scanner.probe.auth import Challenge, parse_www_authenticate
from scanner.probe.headers import HeaderLookup
from scanner.probe.volunteered import certificate_fields, html_fields
from scanner.transport import ReadTimeout, TransportError

__all__ = [
    "HttpProtocolError",
    "HttpResponse",
    "decode_html",
    "extract_title",
    "favicon_md5",
    "http_fetch",
    "probe_http",
]

_MAX_REDIRECTS = 3
_BODY_FIELD_BYTES = 64 * 1024
_TITLE_CHARS = 256
_TITLE_SCAN_CHARS = 256 * 1024
_FIELD_VALUE_CHARS = 1024
_LOCATION_CHARS = 1024
_MAX_HEADER_FIELDS = 32
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Mapped to their own field, or noise that changes per request and identifies nothing.
_UNRECORDED = frozenset(
    {
        "server",
        "location",
        "date",
        "expires",
        "last-modified",
        "age",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
    }
)


@dataclass(frozen=True, slots=True)
class HttpResponse(HeaderLookup):
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # True when the body was cut at limits.max_body_bytes.
    truncated: bool
    # The URL this response answers (redirects are never followed by http_fetch).
    url: str
    http_version: str = "HTTP/1.1"
    # DER of the TLS peer certificate (https only): its subject and issuer are evidence.
    peer_cert: bytes | None = None


# --- pure helpers ----------------------------------------------------------------------------

# HTML Living Standard "prescan a byte stream": a charset declaration counts only in the first
# 1024 bytes. The bounded quantifier keeps the regex linear on hostile input.
_PRESCAN_BYTES = 1024
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE
)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE)
_TITLE_OPEN = re.compile(r"<title(?=[\s>/])", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _sniff_charset(body: bytes, content_type: str | None) -> str:
    # Precedence per the HTML encoding sniffing algorithm: BOM, transport layer, then <meta>.
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return name
    if content_type:
        declared = _CT_CHARSET.search(content_type[:512])
        if declared:
            return declared.group(1)
    meta = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    if meta:
        return meta.group(1).decode("ascii")
    return "utf-8"


def decode_html(body: bytes, content_type: str | None) -> str:
    """Body text in its declared or sniffed charset; undecodable bytes become U+FFFD, and an
    unknown or non-text codec name (a device saying charset=rot13) falls back to UTF-8."""
    charset = _sniff_charset(body, content_type)
    try:
        return body.decode(charset, "replace")
    except (LookupError, ValueError):
        return body.decode("utf-8", "replace")


def extract_title(body: bytes, content_type: str | None) -> str | None:
    """Text of the first ``<title>``: entities unescaped, whitespace folded, capped. Tolerates
    broken HTML (a missing ``</title>`` ends the title at the next tag). Never raises."""
    text = decode_html(body, content_type)[:_TITLE_SCAN_CHARS]
    opening = _TITLE_OPEN.search(text)
    if opening is None:
        return None
    gt = text.find(">", opening.end())
    if gt < 0:
        return None
    closing = _TITLE_CLOSE.search(text, gt + 1)
    end = closing.start() if closing else text.find("<", gt + 1)
    if end < 0:
        end = len(text)
    raw = text[gt + 1 : end][: _TITLE_CHARS * 8]
    title = " ".join(_CONTROL.sub(" ", html.unescape(raw)).split())[:_TITLE_CHARS]
    return title or None


def favicon_md5(data: bytes) -> str:
    """Hex MD5 of a favicon: the hash Shodan and others index device favicons by. An
    identifier, not a security control."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _set_cookie_names(values: list[str]) -> str:
    # Cookie values can be session secrets; only the names identify a product (RFC 6265 s4.1).
    names = [v.split(";", 1)[0].split("=", 1)[0].strip() for v in values]
    return ", ".join(n for n in names if n)


# --- httpx plumbing --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _borrowed(
    ctx: ProbeContext, client: httpx.AsyncClient | None
) -> AsyncIterator[httpx.AsyncClient]:
    if client is not None:
        yield client
        return
    async with ctx.http_client() as own:
        yield own


def _origin(host: str, port: int, tls: bool) -> str:
    netloc = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{netloc}:{port}"


def _path_only(path: str) -> str:
    # A full URL here keeps only its path: http_fetch never names another host.
    if "://" in path:
        after = path.split("://", 1)[1]
        slash = after.find("/")
        path = after[slash:] if slash >= 0 else "/"
    return path if path.startswith("/") else "/" + path


def _peer_certificate(resp: httpx.Response) -> bytes | None:
    """The server's certificate as DER, read from the connection httpx used (never verified:
    cameras ship self-signed certificates, and their names are what we want)."""
    try:
        stream = resp.extensions.get("network_stream")
        der = stream.get_extra_info(PEER_CERTIFICATE) if stream is not None else None
    except Exception:  # noqa: BLE001 - evidence only; the answer itself is what matters
        return None
    return der if isinstance(der, bytes) else None


async def _answer(resp: httpx.Response, max_body: int, tls: bool) -> HttpResponse:
    body = bytearray()
    truncated = False
    async for chunk in resp.aiter_raw():
        body += chunk
        # Reading one byte past the cap is how we know something was cut, rather
        # than guessing from a body that happens to end exactly at the cap.
        if len(body) > max_body:
            del body[max_body:]
            truncated = True
            break
    answer_headers = tuple(
        (k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in resp.headers.raw
    )
    return HttpResponse(
        status=resp.status_code,
        reason=resp.reason_phrase,
        headers=answer_headers,
        body=bytes(body),
        truncated=truncated,
        url=str(resp.url),
        http_version=resp.http_version,
        peer_cert=_peer_certificate(resp) if tls else None,
    )


async def _unfollowable_redirect(
    ctx: ProbeContext,
    url: str,
    method: str,
    *,
    tls: bool,
    content: bytes | None,
    headers: Mapping[str, str] | None,
) -> HttpResponse | None:
    """The answer whose ``Location`` httpx cannot parse (a control character in it: Huacam's
    ``Location: http://\\x07/index.html``, nmap-service-probes): httpx builds the redirect
    request even when it does not follow it and raises, losing the Server header and page.
    Asked once more on a client of our own that keeps the answer before httpx gives up."""
    kept: list[HttpResponse] = []

    async def keep(resp: httpx.Response) -> None:
        kept.append(await _answer(resp, ctx.limits.max_body_bytes, tls))

    try:
        async with asyncio.timeout(ctx.timeouts.read), ctx.http_client() as own:
            own.event_hooks["response"] = [keep]
            await own.request(method, url, content=content, headers=headers)
    except (TimeoutError, httpx.HTTPError, TransportError):
        pass
    return kept[0] if kept else None


async def http_fetch(
    ctx: ProbeContext,
    host: str,
    port: int,
    path: str,
    *,
    tls: bool,
    auth: httpx.Auth | None = None,
    method: str = "GET",
    client: httpx.AsyncClient | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """One request to ``host:port``, redirects not followed, body capped at
    ``limits.max_body_bytes``, the whole exchange (httpx auth round-trips included) bounded by
    ``timeouts.read``. Raises ``TransportError`` (``HttpProtocolError`` for garbage) only."""
    url = _origin(host, port, tls) + _path_only(path)
    timeouts, limits = ctx.timeouts, ctx.limits
    try:
        async with (
            asyncio.timeout(timeouts.read),
            _borrowed(ctx, client) as http,
            http.stream(method, url, auth=auth, content=content, headers=headers) as resp,
        ):
            return await _answer(resp, limits.max_body_bytes, tls)
    except TimeoutError as exc:
        raise ReadTimeout(f"no complete answer within {timeouts.read:g}s") from exc
    except httpx.InvalidURL as exc:
        raise TransportError(f"invalid URL {url!r}: {exc}") from exc
    except httpx.RemoteProtocolError as exc:
        if auth is None and "location header" in str(exc).lower():
            kept = await _unfollowable_redirect(
                ctx, url, method, tls=tls, content=content, headers=headers
            )
            if kept is not None:
                return kept
        raise HttpProtocolError(f"{type(exc).__name__}: {exc}") from exc
    except httpx.HTTPError as exc:
        # The seam maps the transport's failures; what is left is httpx's own (a body it
        # could not decode, a redirect or auth flow it gave up on).
        raise HttpProtocolError(f"{type(exc).__name__}: {exc}") from exc


def _same_origin_path(current: str, location: str, host: str, port: int, tls: bool) -> str | None:
    """Path+query of ``location`` resolved against ``current`` (RFC 3986 s5.2) when it stays
    on our scheme, host and port; None otherwise (never followed)."""
    try:
        target = httpx.URL(current).join(location.strip())
    except (httpx.InvalidURL, ValueError):
        return None
    if target.scheme != ("https" if tls else "http"):
        return None
    if target.host.lower() != host.lower():
        return None
    if (target.port or (443 if tls else 80)) != port:
        return None
    return target.raw_path.decode("ascii", "replace") or "/"


@dataclass
class _Evidence:
    responses: list[HttpResponse] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    final: HttpResponse | None = None
    favicon: str | None = None
    notes: list[str] = field(default_factory=list)


def _auth(ev: _Evidence) -> tuple[AuthScheme | None, str | None]:
    challenges: list[Challenge] = []
    saw_401 = False
    for resp in ev.responses:
        if resp.status == 401:
            saw_401 = True
            challenges.extend(parse_www_authenticate(resp.get_all("WWW-Authenticate")))
    realm = next((ch.realm for ch in challenges if ch.realm is not None), None)
    if saw_401:
        schemes = {ch.scheme for ch in challenges}
        for scheme in (AuthScheme.DIGEST, AuthScheme.BASIC):
            if scheme in schemes:
                return scheme, realm
        return AuthScheme.UNKNOWN, realm
    if ev.final is not None and 200 <= ev.final.status < 300:
        return AuthScheme.NONE, None
    return None, None


def _build_result(port: int, tls: bool, ev: _Evidence, final: HttpResponse) -> ServiceResult:
    fields: dict[str, str] = {
        "http.status": str(final.status),
        # Where the final answer came from: the credential checker logs in on this same path.
        "http.path": _path_only(final.url),
    }
    # The final answer speaks first; redirects before it fill in what it left out.
    ordered = [final, *[r for r in reversed(ev.responses) if r is not final]]
    server = next((s for r in ordered if (s := r.get("Server"))), None)
    if server:
        fields["http.server"] = server[:_FIELD_VALUE_CHARS]
    content_type = final.get("Content-Type")
    title = extract_title(final.body, content_type)
    if title:
        fields["http.title"] = title
    if final.body:
        fields["http.body"] = decode_html(final.body[:_BODY_FIELD_BYTES], content_type)
        fields.update(html_fields(fields["http.body"]))  # <meta> and login-form markers
    cert = next((r.peer_cert for r in ordered if r.peer_cert), None)
    if cert:
        fields.update(certificate_fields(cert))
    auth, realm = _auth(ev)
    if auth is not None:
        fields["http.auth"] = str(auth)
    if realm is not None:
        fields["http.realm"] = realm[:_FIELD_VALUE_CHARS]
    redirect = " -> ".join(loc[:_LOCATION_CHARS] for loc in ev.locations) or None
    if redirect:
        fields["http.location"] = redirect
    if ev.favicon:
        fields["http.favicon_md5"] = ev.favicon
    recorded = 0
    for resp in ordered:
        names = {k.lower() for k, _ in resp.headers}
        for name in sorted(names - _UNRECORDED):
            key = f"http.header.{name}"
            if key in fields or recorded >= _MAX_HEADER_FIELDS:
                continue
            values = resp.get_all(name)
            value = _set_cookie_names(values) if name == "set-cookie" else ", ".join(values)
            if value:
                fields[key] = value[:_FIELD_VALUE_CHARS]
                recorded += 1
    return ServiceResult(
        port=port,
        protocol=Protocol.HTTPS if tls else Protocol.HTTP,
        status=ProbeStatus.OK,
        reason="; ".join(ev.notes),
        tls=tls,
        banner=server or title,
        product=server or title,
        auth=auth,
        fields=fields,
        redirect=redirect,
    )


async def _run_probe(
    ctx: ProbeContext,
    client: httpx.AsyncClient,
    host: str,
    port: int,
    *,
    tls: bool,
    ev: _Evidence,
) -> None:
    async def fetch(path: str) -> HttpResponse:
        return await http_fetch(ctx, host, port, path, tls=tls, client=client)

    path = "/"
    visited = {path}
    resp = await fetch(path)
    ev.responses.append(resp)
    ev.final = resp
    for hops in range(_MAX_REDIRECTS + 1):
        location = resp.get("Location")
        if resp.status not in _REDIRECT_CODES or not location:
            break
        ev.locations.append(location)
        if hops == _MAX_REDIRECTS:
            ev.notes.append(f"more than {_MAX_REDIRECTS} redirects: not followed further")
            break
        target = _same_origin_path(resp.url, location, host, port, tls)
        if target is None:
            ev.notes.append("redirect to another origin recorded, not followed")
            break
        if target in visited:
            ev.notes.append("redirect loop")
            break
        visited.add(target)
        try:
            resp = await fetch(target)
        except TransportError as exc:
            ev.notes.append(f"GET {target[:200]}: {exc}")
            break
        ev.responses.append(resp)
        ev.final = resp
    try:
        icon = await fetch("/favicon.ico")
    except TransportError as exc:
        ev.notes.append(f"GET /favicon.ico: {exc}")
        return
    ev.responses.append(icon)
    if icon.status == 200 and icon.body:
        ev.favicon = favicon_md5(icon.body)


async def probe_http(ctx: ProbeContext, host: str, port: int, *, tls: bool) -> ServiceResult:
    """GET / (same-origin redirects followed, at most 3), then /favicon.ico. Never raises."""
    protocol = Protocol.HTTPS if tls else Protocol.HTTP
    ev = _Evidence()
    try:
        async with asyncio.timeout(ctx.timeouts.probe), ctx.http_client() as client:
            await _run_probe(ctx, client, host, port, tls=tls, ev=ev)
    except TimeoutError:
        if ev.final is None:
            return _failed(port, protocol, tls, ProbeStatus.TIMEOUT, "probe deadline reached")
        ev.notes.append(f"probe stopped at its {ctx.timeouts.probe:g}s deadline")
    except TransportError as exc:
        if ev.final is None:
            return _failed(port, protocol, tls, exc.status, str(exc))
        ev.notes.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - a probe bug must not end the scan (style habit 4)
        return ServiceResult(
            port=port,
            protocol=protocol,
            status=ProbeStatus.ERROR,
            reason=f"probe bug: {type(exc).__name__}: {exc}"[:300],
            tls=tls,
            debug=traceback.format_exc(),
        )
    if ev.final is None:  # unreachable: every path without a response returned above
        return _failed(port, protocol, tls, ProbeStatus.ERROR, "no response recorded")
    return _build_result(port, tls, ev, ev.final)


def _failed(
    port: int, protocol: Protocol, tls: bool, status: ProbeStatus, reason: str
) -> ServiceResult:
    return ServiceResult(port=port, protocol=protocol, status=status, reason=reason, tls=tls)
