"""Finding the login surface behind an open home page: the pure link reader and the search."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.models import AuthScheme, ProbeStatus, Protocol, ServiceResult
from scanner.probe.http_surface import (
    GENERIC_PATHS,
    MAX_REQUESTS,
    find_login_surface,
    login_surfaces,
    page_paths,
    script_paths,
)
from tests.probe.servers import HttpReply, HttpServer, Request

FAST = Timeouts(connect=1.0, banner=0.2, read=1.0, probe=5.0)
CTX = ProbeContext(timeouts=FAST, limits=Limits())
H = "127.0.0.1"


def test_links_frames_scripts_forms_and_refresh_on_the_same_origin() -> None:
    html = """<html><head><meta http-equiv="refresh" content="0; URL='/web/index.html'">
    <script src="js/app.js?v=5.2"></script>
    <script>var page = "/admin/setup.asp"; var img = '/logo.png';</script></head>
    <frameset><frame src="main.html"><iframe src="//evil.example/x"></iframe></frameset>
    <a href="http://elsewhere.example/cgi-bin/">off-site</a><a href="#top">top</a>
    <a href="javascript:void(0)">js</a><form action="/cgi-bin/login.cgi"></form></html>"""
    pages, scripts = page_paths(html, "/doc/index.html")
    assert pages == ["/web/index.html", "/doc/main.html", "/cgi-bin/login.cgi", "/admin/setup.asp"]
    assert scripts == ["/doc/js/app.js?v=5.2"]


def test_script_paths_keep_pages_and_directories_only() -> None:
    text = "go('/view/live.html'); x='/img/a.png'; y=\"/config/\"; z='/api'"
    assert script_paths(text) == ["/view/live.html", "/config/"]


@given(st.text(max_size=600), st.sampled_from(["/", "/a/b.html", "/x/"]))
def test_page_paths_never_raises_and_stays_local(html: str, base: str) -> None:
    pages, scripts = page_paths(html, base)
    for path in [*pages, *scripts]:
        assert path.startswith("/")
        assert len(path) <= 256
        assert not any(ch in path for ch in "\r\n ")


def _site(protected: dict[str, str], pages: dict[str, bytes]) -> HttpServer:
    def handler(request: Request) -> HttpReply:
        path = request.target
        for prefix, scheme in protected.items():
            if path.startswith(prefix):
                challenge = (
                    'Digest realm="cam", nonce="abc", qop="auth"'
                    if scheme == "digest"
                    else 'Basic realm="cam"'
                )
                return HttpReply(401, [("WWW-Authenticate", challenge)], reason="Unauthorized")
        if path in pages:
            return HttpReply(200, [("Content-Type", "text/html")], pages[path])
        return HttpReply(404, reason="Not Found")

    return HttpServer(handler)


@pytest.mark.asyncio
async def test_a_script_of_the_home_page_leads_to_the_login() -> None:
    pages = {"/js/app.js": b"location.href = '/settings/index.html';"}
    async with _site({"/settings/": "digest"}, pages) as server:
        search = await find_login_surface(
            CTX, H, server.port, tls=False, home_body='<script src="/js/app.js"></script>',
            home_path="/", vendor_paths=(),
        )  # fmt: skip
    assert search.surface is not None
    assert (search.surface.path, search.surface.scheme) == ("/settings/index.html", "digest")
    assert search.requested == ("/js/app.js", "/settings/index.html")


@pytest.mark.asyncio
async def test_vendor_endpoints_before_the_generic_list_and_a_hard_cap() -> None:
    async with _site({"/ISAPI/": "basic"}, {}) as server:
        found = await find_login_surface(
            CTX, H, server.port, tls=False, home_body="", home_path="/",
            vendor_paths=["/ISAPI/System/deviceInfo"],
        )  # fmt: skip
    assert found.surface is not None
    assert found.surface.found_by.startswith("the vendor's")
    assert found.requested == ("/ISAPI/System/deviceInfo",)
    links = "".join(f'<a href="/p{i}.html">x</a>' for i in range(50))
    async with _site({}, {}) as server:
        nothing = await find_login_surface(
            CTX, H, server.port, tls=False, home_body=links, home_path="/",
            vendor_paths=[f"/v{i}.cgi" for i in range(50)],
        )  # fmt: skip
        asked = len(server.requests)
    assert nothing.surface is None
    assert asked == len(nothing.requested) <= MAX_REQUESTS


@pytest.mark.asyncio
async def test_notes_say_which_path_asked_and_skip_pages_that_already_ask() -> None:
    async with _site({"/view/": "basic"}, {}) as server:
        open_home = ServiceResult(
            port=server.port, protocol=Protocol.HTTP, status=ProbeStatus.OK,
            auth=AuthScheme.NONE, fields={"http.body": "<p>no links</p>", "http.path": "/"},
        )  # fmt: skip
        asks = ServiceResult(
            port=server.port + 1, protocol=Protocol.HTTP, status=ProbeStatus.OK,
            auth=AuthScheme.BASIC,
        )  # fmt: skip
        found, notes = await login_surfaces(CTX, H, [open_home, asks], ())
    assert found == {server.port: "/view/"}
    assert notes == [
        f"http/{server.port}: /view/ asked for a password (Basic, realm 'cam'), found through "
        f"the generic list of protected paths ({GENERIC_PATHS.index('/view/') + 1} paths "
        "requested); the home page itself is open"
    ]
