from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.models import AuthScheme, ProbeStatus, Protocol
from scanner.probe.auth import AuthError
from scanner.probe.rtsp import (
    RtspParseError,
    build_request,
    parse_response,
    probe_rtsp,
    response_complete,
    rtsp_describe,
    rtsp_request,
    rtsp_url,
)
from scanner.transport import (
    ReadTimeout,
    Refused,
    Reset,
    ScriptedConnector,
    TcpConnector,
)
from tests.probe.servers import SDP, Request, RtspServer, basic_ok, digest_ok, rtsp_reply

FAST = Timeouts(connect=1.0, banner=0.2, read=0.3, probe=3.0)
LIMITS = Limits()
H, P = "127.0.0.1", 554


# --- pure: build ------------------------------------------------------------------------------


def test_build_request() -> None:
    data = build_request("DESCRIBE", "rtsp://1.2.3.4:554/x", 7, [("Accept", "application/sdp")])
    assert data == (
        b"DESCRIBE rtsp://1.2.3.4:554/x RTSP/1.0\r\nCSeq: 7\r\nAccept: application/sdp\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("DES CRIBE", "rtsp://h/", []),
        ("DESCRIBE", "rtsp://h/a b", []),
        ("DESCRIBE", "rtsp://h/\r\nX: y", []),
        ("DESCRIBE", "", []),
        ("DESCRIBE", "rtsp://h/", [("Bad Name", "v")]),
        ("DESCRIBE", "rtsp://h/", [("X", "a\r\nInjected: 1")]),
    ],
)
def test_build_request_rejects_framing_breakers(
    method: str, url: str, headers: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValueError, match=r"invalid|line break"):
        build_request(method, url, 1, headers)


def test_rtsp_url_normalises_routes() -> None:
    assert rtsp_url("10.0.0.1", 554, "live/ch0") == "rtsp://10.0.0.1:554/live/ch0"
    assert (
        rtsp_url("10.0.0.1", 554, "/cam/realmonitor?channel=1&subtype=0")
        == "rtsp://10.0.0.1:554/cam/realmonitor?channel=1&subtype=0"
    )
    assert rtsp_url("10.0.0.1", 8554, "/a b\r\n") == "rtsp://10.0.0.1:8554/a%20b"
    # A full URL in a route keeps its path only: never another host in our request.
    assert rtsp_url("10.0.0.1", 554, "rtsp://evil.example:99/x") == "rtsp://10.0.0.1:554/x"
    assert rtsp_url("::1", 554, "/") == "rtsp://[::1]:554/"


# --- pure: parse ------------------------------------------------------------------------------

OK_SDP = (
    b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://10.1.1.1/live/\r\n"
    b"Content-Type: application/sdp\r\nContent-Length: "
    + str(len(SDP)).encode()
    + b"\r\n\r\n"
    + SDP
)


def test_parse_ok_with_body_and_case_insensitive_headers() -> None:
    r = parse_response(OK_SDP)
    assert (r.version, r.status, r.reason) == ("1.0", 200, "OK")
    assert r.get("content-base") == "rtsp://10.1.1.1/live/"
    assert r.get("CONTENT-TYPE") == "application/sdp"
    assert r.content_type == "application/sdp"
    assert r.body == SDP
    assert not r.truncated
    assert r.get("missing") is None
    assert r.get("missing", "d") == "d"


def test_parse_keeps_order_and_repeats() -> None:
    r = parse_response(
        b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n"
        b'WWW-Authenticate: Digest realm="a", nonce="1"\r\n'
        b'WWW-Authenticate: Basic realm="a"\r\n\r\n'
    )
    assert r.status == 401
    assert r.get_all("www-authenticate") == ['Digest realm="a", nonce="1"', 'Basic realm="a"']
    assert [k for k, _ in r.headers] == ["CSeq", "WWW-Authenticate", "WWW-Authenticate"]


def test_parse_tolerates_bare_lf_folding_leading_blank_lines_and_junk_lines() -> None:
    r = parse_response(
        b"\r\n\nRTSP/1.0 200 OK\nCSeq: 1\nPublic: OPTIONS,\n DESCRIBE\nnot a header\n\n"
    )
    assert r.status == 200
    assert r.get("Public") == "OPTIONS, DESCRIBE"
    assert len(r.headers) == 2


def test_parse_no_content_length_means_empty_body() -> None:
    # RFC 2326 s12.14: absent Content-Length means zero.
    r = parse_response(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\ntrailing junk")
    assert r.body == b""


def test_parse_short_body_is_truncated_not_an_error() -> None:
    r = parse_response(b"RTSP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    assert r.body == b"abc"
    assert r.truncated


def test_parse_caps_body() -> None:
    r = parse_response(
        b"RTSP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100, max_body_bytes=10
    )
    assert r.body == b"x" * 10
    assert r.truncated


def test_parse_invalid_utf8_is_replaced() -> None:
    r = parse_response(b"RTSP/1.0 200 \xff\xfeOK\r\nServer: caf\xe9\r\n\r\n")
    assert r.get("Server") == "caf\ufffd"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no end of headers"),
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n", "no end of headers"),  # missing final CRLF
        (b"garbage\r\n\r\n", "not an RTSP status line"),
        (b"RTSP/1.0 abc OK\r\n\r\n", "not an RTSP status line"),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "not an RTSP status line"),
        (b"HTTP/1.1 400 Bad Request\r\n", "not RTSP"),
        (b"\x15\x03\x01\x00\x02\x02\x46", "TLS"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: -5\r\n\r\n", "invalid Content-Length"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: 1e3\r\n\r\n", "invalid Content-Length"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: " + b"9" * 40 + b"\r\n\r\n", "invalid Content"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting"),
    ],
)
def test_parse_rejects_garbage(data: bytes, message: str) -> None:
    with pytest.raises(RtspParseError, match=message):
        parse_response(data)


def test_parse_rejects_huge_header_block_and_header_count() -> None:
    huge = b"RTSP/1.0 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n"
    with pytest.raises(RtspParseError, match="exceeds"):
        parse_response(huge)
    many = b"RTSP/1.0 200 OK\r\n" + b"X: 1\r\n" * 500 + b"\r\n"
    with pytest.raises(RtspParseError, match="header lines"):
        parse_response(many)


def test_response_complete() -> None:
    assert not response_complete(b"")
    assert not response_complete(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n")
    assert response_complete(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")
    assert not response_complete(b"RTSP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nabc")
    assert response_complete(b"RTSP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nabcde")
    # Unreadable lengths end the read: parse_response reports them.
    assert response_complete(b"RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n")
    # A body announced past our cap is complete once the cap is reached.
    big = b"RTSP/1.0 200 OK\r\nContent-Length: 999999999\r\n\r\n"
    assert not response_complete(big + b"x" * 10, max_body_bytes=100)
    assert response_complete(big + b"x" * 100, max_body_bytes=100)
    # Headers that never end stop the read once past the header cap.
    assert response_complete(b"RTSP/1.0 200 OK\r\nX: " + b"a" * 70_000)


@given(st.binary(max_size=2000))
def test_parse_response_only_raises_its_own_error(data: bytes) -> None:
    try:
        r = parse_response(data)
    except RtspParseError:
        return
    assert 100 <= r.status <= 999


@given(st.binary(max_size=2000))
def test_response_complete_never_raises(data: bytes) -> None:
    assert response_complete(data) in (True, False)


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
            st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=50),
        ),
        max_size=8,
    ),
    st.binary(max_size=200),
)
def test_roundtrip_of_well_formed_responses(headers: list[tuple[str, str]], body: bytes) -> None:
    wire = rtsp_reply("1", 200, "OK", [(k, v.strip()) for k, v in headers], body)
    r = parse_response(wire)
    assert r.status == 200
    assert r.body == body
    for name, value in headers:
        assert value.strip() in r.get_all(name)


# --- scripted shells ---------------------------------------------------------------------------


def _conn_script(*steps: bytes | BaseException) -> list[bytes | BaseException]:
    return list(steps)


@pytest.mark.asyncio
async def test_rtsp_request_over_script_sends_well_formed_request() -> None:
    connector = ScriptedConnector(
        {(H, P): [_conn_script(b"RTSP/1.0 200 OK\r\n", b"CSeq: 1\r\n\r\n")]}
    )
    r = await rtsp_request(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
        H,
        P,
        "OPTIONS",
        rtsp_url(H, P),
    )
    assert r.status == 200
    sent = connector.connections[0].sent[0]
    assert sent.startswith(b"OPTIONS rtsp://127.0.0.1:554/ RTSP/1.0\r\nCSeq: 1\r\n")
    assert b"User-Agent: camsweep" in sent
    assert sent.endswith(b"\r\n\r\n")
    assert connector.connections[0].closed


@pytest.mark.asyncio
async def test_rtsp_request_timeout_reset_refused_and_silent_close() -> None:
    connector = ScriptedConnector(
        {
            (H, P): [
                _conn_script(b""),  # the peer never answers
                _conn_script(b"RTSP/1.0 200", ConnectionResetError()),
                _conn_script(Reset("reset")),
                _conn_script(),  # closes at once
            ]
        }
    )
    url = rtsp_url(H, P)
    with pytest.raises(ReadTimeout):
        await rtsp_request(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, "OPTIONS", url
        )
    with pytest.raises(ConnectionResetError):
        # The scripted connection raises what it is given; TcpConnector maps real resets.
        await rtsp_request(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, "OPTIONS", url
        )
    with pytest.raises(Reset):
        await rtsp_request(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, "OPTIONS", url
        )
    with pytest.raises(RtspParseError, match="without an answer"):
        await rtsp_request(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, "OPTIONS", url
        )
    with pytest.raises(Refused):
        await rtsp_request(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, "OPTIONS", url
        )
    assert all(c.closed for c in connector.connections)


def _options(server: str | None = "Rtsp Server/2.0") -> bytes:
    headers = [("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")]
    if server:
        headers.insert(0, ("Server", server))
    return rtsp_reply("1", 200, "OK", headers)


def _sdp_reply(route: str = "/") -> bytes:
    return rtsp_reply(
        "1",
        200,
        "OK",
        [("Content-Type", "application/sdp"), ("Content-Base", f"rtsp://10.9.9.9{route}")],
        SDP,
    )


NOT_FOUND = rtsp_reply("1", 404, "Not Found")
DIGEST_401 = rtsp_reply(
    "1", 401, "Unauthorized", [("WWW-Authenticate", 'Digest realm="IP Camera(C12345)", nonce="n"')]
)


@pytest.mark.asyncio
async def test_probe_rtsp_scripted_open_routes_lists_all() -> None:
    connector = ScriptedConnector(
        {
            (H, P): [
                [_options()],
                [NOT_FOUND],  # random control route
                [NOT_FOUND],  # "/"
                [_sdp_reply("/live/ch0")],
                [NOT_FOUND],
                [_sdp_reply("/live/ch1")],
            ]
        }
    )
    result = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
        H,
        P,
        routes=["/live/ch0", "/nope", "/live/ch1"],
    )
    assert result.status is ProbeStatus.OK
    assert result.protocol is Protocol.RTSP
    assert result.open_routes == ("/live/ch0", "/live/ch1")
    assert not result.accepts_any_route
    assert result.auth is AuthScheme.NONE
    assert result.fields["rtsp.auth"] == "none"
    assert result.fields["rtsp.server"] == "Rtsp Server/2.0"
    assert result.banner == "Rtsp Server/2.0"
    assert result.fields["rtsp.public"].startswith("OPTIONS, DESCRIBE")
    assert result.fields["rtsp.sdp"] == SDP.decode()
    assert result.fields["rtsp.header.content-base"] == "rtsp://10.9.9.9/live/ch0"
    sent = [c.sent[0].split(b"\r\n", 1)[0] for c in connector.connections]
    assert sent[0] == b"OPTIONS rtsp://127.0.0.1:554/ RTSP/1.0"
    assert re.fullmatch(
        rb"DESCRIBE rtsp://127\.0\.0\.1:554/camsweep-[0-9a-f]{16} RTSP/1\.0", sent[1]
    )
    assert sent[2] == b"DESCRIBE rtsp://127.0.0.1:554/ RTSP/1.0"
    assert all(b"Accept: application/sdp" in c.sent[0] for c in connector.connections[1:])


@pytest.mark.asyncio
async def test_probe_rtsp_accepts_any_route_reports_no_open_routes() -> None:
    connector = ScriptedConnector({(H, P): [[_options()], [_sdp_reply()]]})
    result = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, routes=["/live/ch0"]
    )
    assert result.accepts_any_route
    assert result.open_routes == ()
    assert result.auth is AuthScheme.NONE
    assert len(connector.connections) == 2  # no route walk after the control route


@pytest.mark.asyncio
async def test_probe_rtsp_401_on_control_route_stops_early() -> None:
    connector = ScriptedConnector({(H, P): [[_options(server=None)], [DIGEST_401]]})
    result = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, routes=["/a", "/b"]
    )
    assert result.auth is AuthScheme.DIGEST
    assert result.fields["rtsp.auth"] == "digest"
    assert result.fields["rtsp.realm"] == "IP Camera(C12345)"
    assert "rtsp.server" not in result.fields
    assert result.banner is None
    assert result.open_routes == ()
    assert len(connector.connections) == 2
    assert "needs credentials" in result.reason


@pytest.mark.asyncio
async def test_probe_rtsp_failures_become_statuses() -> None:
    connector = ScriptedConnector(
        {
            (H, 1): [[b""]],
            (H, 2): [[b"HTTP/1.1 400 Bad Request\r\nServer: x\r\n\r\n"]],
            (H, 3): [[ConnectionResetError("boom")]],
            (H, 4): [[Reset("reset by peer")]],
        }
    )
    timeout = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 1, routes=[]
    )
    assert timeout.status is ProbeStatus.TIMEOUT
    malformed = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 2, routes=[]
    )
    assert malformed.status is ProbeStatus.MALFORMED
    assert "HTTP/1.1 400" in malformed.reason
    bug = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 3, routes=[]
    )
    # A raw exception escaping the seam is a bug somewhere: recorded with its traceback.
    assert bug.status is ProbeStatus.ERROR
    assert bug.debug is not None
    assert "ConnectionResetError" in bug.debug
    reset = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 4, routes=[]
    )
    assert reset.status is ProbeStatus.RESET
    refused = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 5, routes=[]
    )
    assert refused.status is ProbeStatus.REFUSED


@pytest.mark.asyncio
async def test_probe_rtsp_keeps_evidence_when_later_steps_fail() -> None:
    connector = ScriptedConnector(
        {(H, P): [[_options()], [NOT_FOUND], [NOT_FOUND], [b"garbage\r\n\r\n"]]}
    )
    result = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P, routes=["/x", "/y"]
    )
    assert result.status is ProbeStatus.OK
    assert result.fields["rtsp.server"] == "Rtsp Server/2.0"
    assert "DESCRIBE /x" in result.reason
    assert len(connector.connections) == 4  # stopped: /y never asked


@pytest.mark.asyncio
async def test_probe_rtsp_whole_probe_deadline() -> None:
    slow = Timeouts(connect=1.0, banner=0.2, read=0.5, probe=0.3)
    connector = ScriptedConnector({(H, P): [[_options()], [b""]]})
    result = await probe_rtsp(
        ProbeContext(connector=connector, timeouts=slow, limits=LIMITS), H, P, routes=[]
    )
    # OPTIONS answered, then the deadline: evidence kept, the cut recorded.
    assert result.status is ProbeStatus.OK
    assert result.fields["rtsp.server"] == "Rtsp Server/2.0"
    assert "deadline" in result.reason


@pytest.mark.asyncio
async def test_rtsp_describe_200_without_credentials_is_returned_as_is() -> None:
    connector = ScriptedConnector({(H, P): [[_sdp_reply()]]})
    r = await rtsp_describe(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
        H,
        P,
        "/x",
        credentials=("a", "b"),
    )
    assert r.status == 200
    assert len(connector.connections) == 1


@pytest.mark.asyncio
async def test_rtsp_describe_rejects_credential_with_line_break() -> None:
    connector = ScriptedConnector({(H, P): [[DIGEST_401]]})
    with pytest.raises(AuthError):
        await rtsp_describe(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            P,
            "/x",
            credentials=("a\r\nb", "c"),
        )


# --- loopback servers --------------------------------------------------------------------------

CAM_ROUTE = "/cam/realmonitor?channel=1&subtype=0"


def dahua_like(realm: str, nonce: str) -> tuple[list[str], RtspServer]:
    """Digest everywhere; admin/admin opens CAM_ROUTE only. Records Authorization results."""
    verdicts: list[str] = []

    def handler(req: Request) -> bytes:
        cseq = req.headers.get("cseq", "0")
        if req.method == "OPTIONS":
            return rtsp_reply(cseq, 200, "OK", [("Server", "Dahua Rtsp Server")])
        auth = req.headers.get("authorization")
        if not digest_ok(
            auth, method=req.method, realm=realm, nonce=nonce, user="admin", password="admin"
        ):
            verdicts.append("refused" if auth else "none")
            return rtsp_reply(
                cseq,
                401,
                "Unauthorized",
                [("WWW-Authenticate", f'Digest realm="{realm}", nonce="{nonce}"')],
            )
        verdicts.append("accepted")
        if req.target.endswith(CAM_ROUTE):
            return rtsp_reply(cseq, 200, "OK", [("Content-Type", "application/sdp")], SDP)
        return rtsp_reply(cseq, 404, "Not Found")

    return verdicts, RtspServer(handler)


@pytest.mark.asyncio
async def test_loopback_digest_describe_and_probe() -> None:
    verdicts, server = dahua_like("Login to 4K01234PAZ00000", "abc123")
    async with server:
        connector = TcpConnector()
        good = await rtsp_describe(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            CAM_ROUTE,
            credentials=("admin", "admin"),
        )
        assert good.status == 200
        assert good.body == SDP
        bad = await rtsp_describe(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            CAM_ROUTE,
            credentials=("admin", "wrong"),
        )
        assert bad.status == 401
        assert verdicts == ["none", "accepted", "none", "refused"]
        # Digest uri is the full Request-URI, and a fresh cnonce per answer.
        answers = [
            r.headers["authorization"] for r in server.requests if "authorization" in r.headers
        ]
        assert all(f'uri="rtsp://127.0.0.1:{server.port}{CAM_ROUTE}"' in a for a in answers)
        # The challenge had no qop: the RFC 2069 form, which carries no cnonce.
        assert answers
        assert not any("cnonce=" in a for a in answers)

        result = await probe_rtsp(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            routes=[CAM_ROUTE],
        )
        assert result.status is ProbeStatus.OK
        assert result.auth is AuthScheme.DIGEST
        assert result.fields["rtsp.realm"] == "Login to 4K01234PAZ00000"
        assert result.fields["rtsp.server"] == "Dahua Rtsp Server"
        assert result.open_routes == ()


@pytest.mark.asyncio
async def test_loopback_digest_qop_auth_sha256() -> None:
    def handler(req: Request) -> bytes:
        cseq = req.headers.get("cseq", "0")
        ok = digest_ok(
            req.headers.get("authorization"),
            method=req.method,
            realm="AXIS_ACCC8E123456",
            nonce="n0nce",
            user="root",
            password="pass",
            algorithm="SHA-256",
        )
        if ok:
            return rtsp_reply(cseq, 200, "OK", [("Content-Type", "application/sdp")], SDP)
        return rtsp_reply(
            cseq,
            401,
            "Unauthorized",
            [
                (
                    "WWW-Authenticate",
                    'Digest realm="AXIS_ACCC8E123456", nonce="n0nce", '
                    'algorithm=SHA-256, qop="auth"',
                ),
                ("WWW-Authenticate", 'Basic realm="AXIS_ACCC8E123456"'),
            ],
        )

    async with RtspServer(handler) as server:
        r = await rtsp_describe(
            ProbeContext(connector=TcpConnector(), timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            "/axis-media/media.amp",
            credentials=("root", "pass"),
        )
        assert r.status == 200
        auth = server.requests[-1].headers["authorization"]
        assert auth.startswith("Digest ")  # Digest chosen over the Basic challenge
        assert "qop=auth" in auth
        assert "nc=00000001" in auth


@pytest.mark.asyncio
async def test_loopback_basic() -> None:
    def handler(req: Request) -> bytes:
        cseq = req.headers.get("cseq", "0")
        if basic_ok(req.headers.get("authorization"), user="admin", password="12345"):
            return rtsp_reply(cseq, 200, "OK", [("Content-Type", "application/sdp")], SDP)
        return rtsp_reply(cseq, 401, "Unauthorized", [("WWW-Authenticate", 'Basic realm="cam"')])

    async with RtspServer(handler) as server:
        connector = TcpConnector()
        ok = await rtsp_describe(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            "/h264",
            credentials=("admin", "12345"),
        )
        assert ok.status == 200
        no = await rtsp_describe(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            "/h264",
            credentials=None,
        )
        assert no.status == 401
        result = await probe_rtsp(
            ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS),
            H,
            server.port,
            routes=[],
        )
        assert result.auth is AuthScheme.BASIC
        assert result.fields["rtsp.realm"] == "cam"


@pytest.mark.asyncio
async def test_loopback_open_stream_on_other_loopback_address() -> None:
    def handler(req: Request) -> bytes:
        cseq = req.headers.get("cseq", "0")
        if req.method == "OPTIONS":
            return rtsp_reply(
                cseq, 200, "OK", [("Server", "Rtsp Server/2.0"), ("Public", "OPTIONS, DESCRIBE")]
            )
        if req.target.endswith(("/live/ch0", "/live/ch1")):
            return rtsp_reply(cseq, 200, "OK", [("Content-Type", "application/sdp")], SDP)
        return rtsp_reply(cseq, 404, "Not Found")

    host = "127.0.0.14"
    async with RtspServer(handler, host=host) as server:
        result = await probe_rtsp(
            ProbeContext(connector=TcpConnector(), timeouts=FAST, limits=LIMITS),
            host,
            server.port,
            routes=["/live/ch0", "/Streaming/Channels/101", "/live/ch1"],
        )
    assert result.status is ProbeStatus.OK
    assert result.open_routes == ("/live/ch0", "/live/ch1")
    assert result.auth is AuthScheme.NONE
    assert result.fields["rtsp.public"] == "OPTIONS, DESCRIBE"
    assert all(r.target.startswith(f"rtsp://{host}:{server.port}/") for r in server.requests)


@pytest.mark.asyncio
async def test_loopback_refused_port() -> None:
    async with RtspServer(lambda req: None) as server:
        port = server.port
    result = await probe_rtsp(
        ProbeContext(connector=TcpConnector(), timeouts=FAST, limits=LIMITS), H, port, routes=[]
    )
    assert result.status is ProbeStatus.REFUSED
