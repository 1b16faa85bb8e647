"""Find where a web server asks for a password before judging it "no login".

Cameras often serve an open home page (a viewer shell, a language picker, a redirect) while the
pages behind it want Basic or Digest. The probe already followed ``/``'s same-host redirects;
this looks further, in a bounded number of GETs without credentials, stopping at the first 401
that carries a challenge we can answer:

1. the app's own pages: links, frames, iframes, forms and scripts of the home page (and paths
   quoted inside at most ``MAX_SCRIPTS`` same-host scripts it loads);
2. the identified vendors' known protected endpoints (``http_protected`` in
   signatures/routes.yaml, each with its public source);
3. a short generic list (``GENERIC_PATHS``: the directories camera and DVR firmware put their
   viewers and settings under).

Only paths on the scanned host and port are requested; absolute URLs elsewhere are ignored.
``page_paths`` is pure (and property-tested); ``find_login_surface`` is the thin I/O shell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from scanner.context import ProbeContext
from scanner.models import AuthScheme, ProbeStatus, Protocol, ServiceResult
from scanner.probe.auth import parse_www_authenticate, strongest
from scanner.probe.http import HttpResponse, http_fetch
from scanner.transport import TransportError

__all__ = [
    "GENERIC_PATHS",
    "MAX_REQUESTS",
    "LoginSurface",
    "SurfaceSearch",
    "find_login_surface",
    "login_surfaces",
    "page_paths",
    "script_paths",
]

# Where camera/DVR firmware commonly keeps its protected pages (viewer, settings, CGI).
GENERIC_PATHS = ("/cgi-bin/", "/admin/", "/setup/", "/view/", "/config/", "/settings/", "/live/")
MAX_PAGE_PATHS = 8  # paths taken from the home page (and its scripts)
MAX_SCRIPTS = 2  # same-host scripts read for quoted paths
MAX_REQUESTS = 20  # every GET this module sends to one web port, scripts included
_MAX_PATH = 256

_ATTRS = {"a": "href", "frame": "src", "iframe": "src", "script": "src", "form": "action"}
_QUOTED_PATH = re.compile(
    r"""["'](/[A-Za-z0-9_\-./%]{1,200}(?:\?[A-Za-z0-9_\-.=&%]{0,100})?)["']"""
)
_PAGE_SUFFIX = re.compile(
    r"(?:/|\.s?html?|\.asp|\.php|\.cgi|\.fcgi|\.jsp|\.lua)(?:\?.*)?$", re.IGNORECASE
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (tag, url)
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _ATTRS.get(tag)
        values = dict(attrs)
        if wanted and values.get(wanted):
            self.found.append((tag, values[wanted] or ""))
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            content = values.get("content") or ""
            _, _, url = content.partition("=")
            if url.strip():
                self.found.append(("meta", url.strip(" '\"")))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline.append(data)


def _local(url: str, base: str) -> str | None:
    """The path (and query) of ``url`` when it stays on the scanned origin, else None."""
    url = url.strip()
    if not url or url.startswith(("#", "javascript:", "mailto:", "data:")):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None  # another origin (or the same one spelled out): never followed
    joined = urlsplit(urljoin(base, url))
    path = joined.path or "/"
    if joined.query:
        path += "?" + joined.query
    if len(path) > _MAX_PATH or any(ch in path for ch in "\r\n\x00 "):
        return None
    return path


def script_paths(text: str) -> list[str]:
    """Quoted absolute paths in script text that look like pages or directories."""
    out: list[str] = []
    for match in _QUOTED_PATH.finditer(text[:65536]):
        path = match.group(1)
        if _PAGE_SUFFIX.search(path):
            out.append(path)
    return list(dict.fromkeys(out))


def page_paths(html: str, base: str = "/") -> tuple[list[str], list[str]]:
    """(page paths, script paths) the home page points at on its own origin, in page order.

    Pure: never raises on any input; every path starts with "/" and is at most 256 chars."""
    parser = _Links()
    try:
        parser.feed(html[:262144])
        parser.close()
    except (ValueError, AssertionError):  # malformed markup: keep what was read
        pass
    pages: list[str] = []
    scripts: list[str] = []
    for tag, url in parser.found:
        path = _local(url, base)
        if path is None:
            continue
        (scripts if tag == "script" else pages).append(path)
    for text in parser.inline:
        pages.extend(script_paths(text))
    pages = [p for p in dict.fromkeys(pages) if p != base]
    return pages, list(dict.fromkeys(scripts))


@dataclass(frozen=True, slots=True)
class LoginSurface:
    path: str  # the path that answered 401
    scheme: str  # "basic" or "digest"
    realm: str | None
    found_by: str  # "the home page", "a script of the home page", "vendor endpoint", "generic"


@dataclass(frozen=True, slots=True)
class SurfaceSearch:
    surface: LoginSurface | None
    requested: tuple[str, ...]  # every path asked, in order


async def find_login_surface(
    ctx: ProbeContext,
    host: str,
    port: int,
    *,
    tls: bool,
    home_body: str,
    home_path: str,
    vendor_paths: Sequence[str],
) -> SurfaceSearch:
    """GET, without credentials, the paths above until one answers 401 with a challenge."""
    requested: list[str] = []

    async def get(path: str) -> HttpResponse | None:
        if len(requested) >= MAX_REQUESTS or path in requested:
            return None
        requested.append(path)
        try:
            return await http_fetch(ctx, host, port, path, tls=tls)
        except TransportError:
            return None

    def challenge(response: HttpResponse | None, path: str, how: str) -> LoginSurface | None:
        if response is None or response.status != 401:
            return None
        best = strongest(parse_www_authenticate(response.get_all("WWW-Authenticate")))
        if best is None:
            return None
        return LoginSurface(path, best.scheme.value, best.realm, how)

    pages, scripts = page_paths(home_body, home_path or "/")
    for script in scripts[:MAX_SCRIPTS]:
        answer = await get(script)
        if answer is not None and answer.status == 200:
            pages.extend(script_paths(answer.body.decode("utf-8", "replace")))
    plan = [(p, "a link, frame or script of the home page") for p in pages[:MAX_PAGE_PATHS]]
    plan += [(p, "the vendor's protected endpoint (signatures/routes.yaml)") for p in vendor_paths]
    plan += [(p, "the generic list of protected paths") for p in GENERIC_PATHS]
    for path, how in plan:
        if len(requested) >= MAX_REQUESTS:
            break
        if path in requested:
            continue
        found = challenge(await get(path), path, how)
        if found is not None:
            return SurfaceSearch(found, tuple(requested))
    return SurfaceSearch(None, tuple(requested))


async def login_surfaces(
    ctx: ProbeContext,
    host: str,
    services: Sequence[ServiceResult],
    vendor_paths: Sequence[str],
) -> tuple[dict[int, str], list[str]]:
    """For every web port whose home page asked for nothing: the path that answered 401 (per
    port), and one note per port saying which path asked and how it was found."""
    found: dict[int, str] = {}
    notes: list[str] = []
    for svc in services:
        web = svc.protocol in (Protocol.HTTP, Protocol.HTTPS)
        if not web or svc.status is not ProbeStatus.OK:
            continue
        if svc.auth in (AuthScheme.BASIC, AuthScheme.DIGEST):
            continue  # the home page itself asks
        search = await find_login_surface(
            ctx,
            host,
            svc.port,
            tls=svc.protocol is Protocol.HTTPS,
            home_body=svc.fields.get("http.body", ""),
            home_path=svc.fields.get("http.path", "/"),
            vendor_paths=vendor_paths,
        )
        where = f"{svc.protocol.value}/{svc.port}"
        if search.surface is None:
            notes.append(
                f"{where}: no page asked for a password ({len(search.requested)} paths "
                "requested without credentials)"
            )
            continue
        surface = search.surface
        found[svc.port] = surface.path
        realm = f", realm {surface.realm!r}" if surface.realm else ""
        notes.append(
            f"{where}: {surface.path} asked for a password ({surface.scheme.title()}{realm}), "
            f"found through {surface.found_by} ({len(search.requested)} paths requested); "
            "the home page itself is open"
        )
    return found, notes
