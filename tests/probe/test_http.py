from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.models import AuthScheme, ProbeStatus, Protocol
from scanner.probe.http import (
    HttpProtocolError,
    decode_html,
    extract_title,
    favicon_md5,
    http_fetch,
    probe_http,
)
from scanner.transport import ReadTimeout, Refused, Reset, TransportError
from tests.probe import certs
from tests.probe.servers import HttpReply, HttpServer, LoopbackServer, Request, digest_ok

FAST = Timeouts(connect=1.0, banner=0.2, read=1.0, probe=5.0)
LIMITS = Limits()
H = "127.0.0.1"
OFF_HOST = "127.0.0.2"


# --- pure --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<html><head><title>IPCAM</title></head></html>", "text/html", "IPCAM"),
        (b"<TITLE lang='en'>\n  WEB \t SERVICE\r\n</TITLE>", None, "WEB SERVICE"),
        (b"<title>Tom &amp; Jerry&#39;s &lt;cam&gt;</title>", None, "Tom & Jerry's <cam>"),
        (b"<title>no closing tag<body>x", None, "no closing tag"),
        (b"<title>runs to the end", None, "runs to the end"),
        (b"<titlebar>not it</titlebar><title>it</title>", None, "it"),
        (b"<title></title>", None, None),
        (b"<title>   </title>", None, None),
        (b"<html>no title</html>", None, None),
        (b"<title", None, None),
        (b"", None, None),
        (b"<title>caf\xe9</title>", "text/html; charset=ISO-8859-1", "café"),
        (b"<title>caf\xe9</title>", "text/html", "caf\ufffd"),  # invalid UTF-8 replaced
        (
            b'<meta charset="gbk"><title>\xc9\xe3\xcf\xf1\xbb\xfa</title>',
            "text/html",
            "摄像机",
        ),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            b"<title>\x93quoted\x94</title>",
            None,
            "\u201cquoted\u201d",
        ),
        (b"<title>x</title>", "text/html; charset=rot13", "x"),  # not a text codec: UTF-8
        (b"<title>x</title>", "text/html; charset=nonexistent-cs", "x"),
        (b"<title>a\x00b\x1bc</title>", None, "a b c"),
    ],
)
def test_extract_title(body: bytes, content_type: str | None, expected: str | None) -> None:
    assert extract_title(body, content_type) == expected


def test_extract_title_utf16_bom_and_cap() -> None:
    body = "\ufeff<title>Camera</title>".encode("utf-16-le")
    assert extract_title(body, None) == "Camera"
    long = extract_title(b"<title>" + b"A" * 10_000 + b"</title>", None)
    assert long is not None
    assert len(long) == 256


def test_extract_title_is_fast_on_hostile_input() -> None:
    hostile = b"<title " * 40_000 + b"<title" * 10_000
    start = time.perf_counter()
    assert extract_title(hostile, None) is None
    assert time.perf_counter() - start < 1.0


def test_decode_html_meta_only_in_first_kilobyte() -> None:
    body = b" " * 2000 + b'<meta charset="koi8-r">\xc1'
    assert decode_html(body, None).endswith("\ufffd")


@given(st.binary(max_size=3000), st.one_of(st.none(), st.text(max_size=80)))
def test_extract_title_never_raises(body: bytes, content_type: str | None) -> None:
    title = extract_title(body, content_type)
    assert title is None or (0 < len(title) <= 256 and title == title.strip())


def test_favicon_md5() -> None:
    assert favicon_md5(b"") == "d41d8cd98f00b204e9800998ecf8427e"
    assert favicon_md5(b"\x00\x01") == hashlib.md5(b"\x00\x01").hexdigest()


# --- http_fetch over loopback --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_fetch_basic_response_and_no_redirect_following() -> None:
    def handler(req: Request) -> HttpReply:
        if req.target == "/":
            return HttpReply(302, [("Location", "/next"), ("Server", "App-webs/")], b"moved")
        return HttpReply(200, [], b"next")

    async with HttpServer(handler) as server:
        r = await http_fetch(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, "/", tls=False
        )
    assert r.status == 302
    assert r.get("location") == "/next"
    assert r.get("SERVER") == "App-webs/"
    assert r.body == b"moved"
    assert not r.truncated
    assert r.url == f"http://127.0.0.1:{server.port}/"
    assert server.paths == ["/"]
    ua = server.requests[0].headers["user-agent"]
    assert ua.startswith("camsweep/")
    assert server.requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.asyncio
async def test_fetch_body_cap() -> None:
    limits = Limits(max_body_bytes=1000)

    def handler(req: Request) -> HttpReply:
        size = int(req.target.strip("/"))
        return HttpReply(200, [], b"x" * size)

    async with HttpServer(handler) as server:
        big = await http_fetch(
            ProbeContext(timeouts=FAST, limits=limits), H, server.port, "/500000", tls=False
        )
        exact = await http_fetch(
            ProbeContext(timeouts=FAST, limits=limits), H, server.port, "/1000", tls=False
        )
    assert len(big.body) == 1000
    assert big.truncated
    assert len(exact.body) == 1000
    assert not exact.truncated


@pytest.mark.asyncio
async def test_fetch_with_basic_and_digest_auth() -> None:
    realm, nonce = "AXIS_ACCC8E123456", "0123abcd"

    def handler(req: Request) -> HttpReply:
        auth = req.headers.get("authorization")
        if req.target == "/basic":
            if auth == "Basic YWRtaW46MTIzNDU=":  # admin:12345
                return HttpReply(200, [], b"in")
            return HttpReply(401, [("WWW-Authenticate", 'Basic realm="DS-2CD2032-I"')])
        if digest_ok(auth, method="GET", realm=realm, nonce=nonce, user="root", password="pass"):
            return HttpReply(200, [], b"in")
        return HttpReply(
            401, [("WWW-Authenticate", f'Digest realm="{realm}", nonce="{nonce}", qop="auth"')]
        )

    async with HttpServer(handler) as server:
        port = server.port
        ok_basic = await http_fetch(
            ProbeContext(timeouts=FAST, limits=LIMITS),
            H,
            port,
            "/basic",
            tls=False,
            auth=httpx.BasicAuth("admin", "12345"),
        )
        bad_basic = await http_fetch(
            ProbeContext(timeouts=FAST, limits=LIMITS),
            H,
            port,
            "/basic",
            tls=False,
            auth=httpx.BasicAuth("admin", "nope"),
        )
        ok_digest = await http_fetch(
            ProbeContext(timeouts=FAST, limits=LIMITS),
            H,
            port,
            "/axis-cgi/x.cgi",
            tls=False,
            auth=httpx.DigestAuth("root", "pass"),
        )
        bad_digest = await http_fetch(
            ProbeContext(timeouts=FAST, limits=LIMITS),
            H,
            port,
            "/axis-cgi/x.cgi",
            tls=False,
            auth=httpx.DigestAuth("root", "wrong"),
        )
    assert (ok_basic.status, bad_basic.status) == (200, 401)
    assert (ok_digest.status, bad_digest.status) == (200, 401)


@pytest.mark.asyncio
async def test_fetch_errors_map_to_transport_errors() -> None:
    async with HttpServer(lambda req: HttpReply(200)) as server:
        port = server.port
    with pytest.raises(Refused):
        await http_fetch(ProbeContext(timeouts=FAST, limits=LIMITS), H, port, "/", tls=False)


class _RawServer(LoopbackServer):
    """Reads the request head, then sends ``reply`` (bytes) or drips/keeps silent."""

    def __init__(self, reply: bytes | None, *, drip: bool = False) -> None:
        super().__init__()
        self.reply = reply
        self.drip = drip

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if self.reply is None:
            await asyncio.sleep(30)  # silent: the client's deadline must end this
            return
        if self.drip:
            for byte in self.reply:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.1)
            return
        writer.write(self.reply)
        await writer.drain()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("reply", "drip", "error", "status"),
    [
        (None, False, ReadTimeout, ProbeStatus.TIMEOUT),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100,
            True,
            ReadTimeout,
            ProbeStatus.TIMEOUT,
        ),
        (b"SSH-2.0-OpenSSH_8.9\r\n\r\n", False, HttpProtocolError, ProbeStatus.MALFORMED),
        (b"", False, Reset, ProbeStatus.RESET),
    ],
)
async def test_fetch_timeouts_garbage_and_silent_close(
    reply: bytes | None, drip: bool, error: type[TransportError], status: ProbeStatus
) -> None:
    timeouts = Timeouts(connect=1.0, banner=0.2, read=0.3, probe=2.0)
    async with _RawServer(reply, drip=drip) as server:
        start = time.perf_counter()
        with pytest.raises(error) as info:
            await http_fetch(
                ProbeContext(timeouts=timeouts, limits=LIMITS), H, server.port, "/", tls=False
            )
        assert time.perf_counter() - start < 1.0  # the whole request is bounded by read
        assert info.value.status is status
        result = await probe_http(
            ProbeContext(timeouts=timeouts, limits=LIMITS), H, server.port, tls=False
        )
    assert result.status is status


# --- probe_http ----------------------------------------------------------------------------------

HIK_PAGE = (
    b"<!DOCTYPE html><html><head><title>Hikvision Web Login</title>"
    b'<script src="../script/login.js?version=V5.2.5build141201"></script></head></html>'
)


def hikvision_like(req: Request) -> HttpReply:
    if req.target == "/":
        return HttpReply(302, [("Server", "App-webs/"), ("Location", "/doc/page/login.asp")])
    if req.target == "/doc/page/login.asp":
        return HttpReply(
            200,
            [
                ("Server", "App-webs/"),
                ("Content-Type", "text/html"),
                ("Set-Cookie", "language=en; path=/"),
                ("Set-Cookie", "WebSession=secret-value; HttpOnly"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ],
            HIK_PAGE,
        )
    if req.target == "/favicon.ico":
        return HttpReply(200, [("Content-Type", "image/x-icon")], b"\x00\x00\x01\x00icon")
    return HttpReply(404, [], b"")


@pytest.mark.asyncio
async def test_probe_follows_same_host_redirect() -> None:
    async with HttpServer(hikvision_like) as server:
        result = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=False
        )
    assert result.status is ProbeStatus.OK
    assert result.protocol is Protocol.HTTP
    assert not result.tls
    f = result.fields
    assert f["http.status"] == "200"
    assert f["http.server"] == "App-webs/"
    assert f["http.title"] == "Hikvision Web Login"
    assert "version=V5.2.5build141201" in f["http.body"]
    assert f["http.location"] == "/doc/page/login.asp"
    assert result.redirect == "/doc/page/login.asp"
    assert f["http.favicon_md5"] == hashlib.md5(b"\x00\x00\x01\x00icon").hexdigest()
    assert f["http.auth"] == "none"
    assert result.auth is AuthScheme.NONE
    assert f["http.header.set-cookie"] == "language, WebSession"  # names only, no values
    assert "secret-value" not in str(f)
    assert f["http.header.x-frame-options"] == "SAMEORIGIN"
    assert "http.header.date" not in f
    assert result.banner == result.product == "App-webs/"
    assert server.paths == ["/", "/doc/page/login.asp", "/favicon.ico"]


@pytest.mark.asyncio
async def test_probe_does_not_follow_off_host_redirect() -> None:
    async with HttpServer(
        lambda req: HttpReply(200, [], b"<title>elsewhere</title>"), host=OFF_HOST
    ) as elsewhere:
        target = f"http://{OFF_HOST}:{elsewhere.port}/login"
        async with HttpServer(
            lambda req: (
                HttpReply(302, [("Location", target)]) if req.target == "/" else HttpReply(404)
            )
        ) as server:
            result = await probe_http(
                ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=False
            )
        assert elsewhere.connections == 0
    assert result.status is ProbeStatus.OK
    assert result.fields["http.status"] == "302"
    assert result.redirect == target
    assert result.fields["http.location"] == target
    assert "not followed" in result.reason
    assert "http.title" not in result.fields


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{other}/",  # same host, another port
        "https://127.0.0.1:{port}/",  # same host and port, another scheme
        "//127.0.0.2:{other}/",  # scheme-relative to another host
        "http://localhost:{port}/",  # another name for the host is still another origin
    ],
)
async def test_probe_other_origins_are_not_followed(location: str) -> None:
    async with HttpServer(lambda req: HttpReply(200), host=OFF_HOST) as other:
        async with HttpServer(
            lambda req: HttpReply(301, [("Location", location.format(port=port, other=other.port))])
        ) as server:
            port = server.port
            result = await probe_http(
                ProbeContext(timeouts=FAST, limits=LIMITS), H, port, tls=False
            )
        assert other.connections == 0
    assert server.paths == ["/", "/favicon.ico"]
    assert result.fields["http.status"] == "301"


@pytest.mark.asyncio
async def test_probe_redirect_chain_is_capped_and_loops_stop() -> None:
    def chain(req: Request) -> HttpReply:
        if req.target == "/favicon.ico":
            return HttpReply(404)
        n = 0 if req.target == "/" else int(req.target.strip("/"))
        return HttpReply(302, [("Location", f"/{n + 1}")])

    async with HttpServer(chain) as server:
        result = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=False
        )
    assert server.paths == ["/", "/1", "/2", "/3", "/favicon.ico"]
    assert result.redirect == "/1 -> /2 -> /3 -> /4"
    assert "more than 3 redirects" in result.reason

    async with HttpServer(
        lambda req: HttpReply(302, [("Location", "/a" if req.target == "/" else "/")])
    ) as looping:
        looped = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, looping.port, tls=False
        )
    assert looping.paths == ["/", "/a", "/favicon.ico"]
    assert "loop" in looped.reason


@pytest.mark.asyncio
async def test_probe_auth_realm_and_headers() -> None:
    def handler(req: Request) -> HttpReply:
        return HttpReply(
            401,
            [
                ("WWW-Authenticate", 'Digest realm="AXIS_ACCC8E123456", nonce="x", qop="auth"'),
                ("WWW-Authenticate", 'Basic realm="AXIS_ACCC8E123456"'),
                ("X-Powered-By", "PHP/5.2"),
            ],
            b"",
            "Unauthorized",
        )

    async with HttpServer(handler) as server:
        result = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=False
        )
    assert result.auth is AuthScheme.DIGEST
    assert result.fields["http.auth"] == "digest"
    assert result.fields["http.realm"] == "AXIS_ACCC8E123456"
    assert result.fields["http.header.x-powered-by"] == "PHP/5.2"
    assert result.fields["http.header.www-authenticate"].startswith('Digest realm="AXIS')
    assert "http.server" not in result.fields
    assert "http.favicon_md5" not in result.fields
    assert result.banner is None


@pytest.mark.asyncio
async def test_probe_title_as_banner_without_server_and_body_field_cap() -> None:
    page = b"<html><title>WEB SERVICE</title>" + b"a" * 100_000 + b"</html>"
    async with HttpServer(lambda req: HttpReply(200, [("Content-Type", "text/html")], page)) as s:
        result = await probe_http(ProbeContext(timeouts=FAST, limits=LIMITS), H, s.port, tls=False)
    assert result.banner == "WEB SERVICE"
    assert result.product == "WEB SERVICE"
    assert len(result.fields["http.body"]) == 64 * 1024


@pytest.mark.asyncio
async def test_probe_http_refused() -> None:
    async with HttpServer(lambda req: HttpReply(200)) as server:
        port = server.port
    result = await probe_http(ProbeContext(timeouts=FAST, limits=LIMITS), H, port, tls=False)
    assert result.status is ProbeStatus.REFUSED


@pytest.mark.asyncio
async def test_probe_keeps_evidence_when_redirect_target_times_out() -> None:
    async def handler(req: Request) -> HttpReply:
        if req.target == "/slow":
            await asyncio.sleep(5)
        return HttpReply(302, [("Location", "/slow"), ("Server", "thttpd/2.25b")])

    timeouts = Timeouts(connect=1.0, banner=0.2, read=0.3, probe=3.0)
    async with HttpServer(handler) as server:
        result = await probe_http(
            ProbeContext(timeouts=timeouts, limits=LIMITS), H, server.port, tls=False
        )
    assert result.status is ProbeStatus.OK
    assert result.fields["http.server"] == "thttpd/2.25b"
    assert "GET /slow" in result.reason


# --- HTTPS ----------------------------------------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    return certs.self_signed(tmp_path, ("COMMON_NAME", "IPC"))[1]


@pytest.mark.asyncio
async def test_probe_https_with_self_signed_certificate(self_signed: ssl.SSLContext) -> None:
    async with HttpServer(
        lambda req: HttpReply(200, [("Server", "Apache")], b"<title>AXIS</title>"), tls=self_signed
    ) as server:
        result = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=True
        )
        plain = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=False
        )
    assert result.status is ProbeStatus.OK
    assert result.protocol is Protocol.HTTPS
    assert result.tls
    assert result.fields["http.title"] == "AXIS"
    assert result.fields["http.server"] == "Apache"
    # Plain HTTP to a TLS port does not pass for HTTP.
    assert plain.status is not ProbeStatus.OK


@pytest.mark.asyncio
async def test_probe_keeps_an_answer_whose_location_httpx_cannot_parse() -> None:
    # nmap-service-probes, Huacam Cyclops IP camera: "HTTP/1.0 302 Redirect", "Server:
    # GS-Webs", "Location: http://\x07/index.html" (a BEL for the host). httpx raises while
    # building the redirect it would not follow; the Server header must survive.
    async with HttpServer(
        lambda req: HttpReply(302, [("Server", "GS-Webs"), ("Location", "http://\x07/index.html")])
    ) as server:
        result = await probe_http(
            ProbeContext(timeouts=FAST, limits=LIMITS), H, server.port, tls=False
        )
    assert result.status is ProbeStatus.OK
    assert result.fields["http.server"] == "GS-Webs"
    assert result.fields["http.status"] == "302"
    assert result.fields["http.location"] == "http://\x07/index.html"
    assert "not followed" in result.reason
