"""The lab HTTP server's cookie-conditioned routes, endless bodies and request log, on the wire.

Each test starts its own lab on a random 127.x.y.0/24 address with non-standard ports and closes
it in teardown; the raw client here is written from RFC 7230, not from the scanner's probes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from scanner.lab import DeviceSpec, HttpConfig, HttpRoute, RunningLab, ServiceSpec, start_lab
from scanner.lab.httpd import EndlessBody, HttpServer, RequestLog, cookie_pairs
from scanner.lab.vulnerable import dhav_audio_frame
from scanner.lab.wire import parse_request_head
from scanner.models import DeviceType, Protocol

TIMEOUT = 3.0
FRAME = dhav_audio_frame(b"\xd5" * 320)


def _spec(ip: str, config: HttpConfig) -> DeviceSpec:
    return DeviceSpec(
        key="web",
        name="test camera",
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="routes under test",
        problems=(),
        expected_findings=(),
        credentials={},
        services=(ServiceSpec(80, Protocol.HTTP, config),),
    )


Web = tuple[RunningLab, str, RequestLog]


@pytest_asyncio.fixture
async def web() -> AsyncIterator[Web]:
    log = RequestLog(cap=5)
    config = HttpConfig(
        server="test",
        routes=(
            HttpRoute("/data.rsp", body=b'{"secret":1}', cookie=("uid", "admin")),
            HttpRoute("/data.rsp", body=b'{"result":-1}'),
            HttpRoute(
                "/feed",
                content_type="Audio/DHAV",
                endless=EndlessBody(FRAME, interval=0.02, max_frames=10),
            ),
            HttpRoute("/fast", content_type="Audio/DHAV", endless=EndlessBody(FRAME, 0.0, 200)),
        ),
        log=log,
    )
    ip = f"127.{random.randint(100, 250)}.{random.randint(0, 255)}.9"
    running = await start_lab([_spec(ip, config)], standard_ports=False)
    try:
        yield running, f"http://{ip}:{running.device('web').port(80)}", log
    finally:
        await running.close()


def test_cookie_pairs_follow_rfc_6265_cookie_header() -> None:
    assert cookie_pairs(["uid=admin"]) == [("uid", "admin")]
    assert cookie_pairs(["lang=en; uid=admin", "x=1"]) == [
        ("lang", "en"),
        ("uid", "admin"),
        ("x", "1"),
    ]
    assert cookie_pairs(["  uid = admin ;; =orphan; novalue"]) == [("uid", "admin")]
    assert cookie_pairs([]) == []


def test_cookie_route_applies_only_with_its_pair() -> None:
    route = HttpRoute("/d", cookie=("uid", "admin"))

    def request(*headers: str) -> bool:
        head = "GET /d HTTP/1.1\r\nHost: x\r\n" + "".join(f"{h}\r\n" for h in headers)
        return route.admits(parse_request_head(head.rstrip("\r\n").encode()))

    assert request("Cookie: uid=admin")
    assert request("Cookie: lang=en; uid=admin")
    assert not request()
    assert not request("Cookie: uid=guest")
    assert not request("Cookie: uid=administrator")
    assert not request("X-Cookie: uid=admin")
    assert HttpRoute("/d").admits(parse_request_head(b"GET /d HTTP/1.1\r\nHost: x"))


@pytest.mark.asyncio
async def test_cookie_route_falls_through_without_the_cookie(web: Web) -> None:
    _, base, log = web
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        leaked = await client.get(f"{base}/data.rsp?opt=user", headers={"Cookie": "uid=admin"})
        refused = await client.get(f"{base}/data.rsp?opt=user")
        wrong = await client.get(f"{base}/data.rsp", headers={"Cookie": "uid=guest"})
    assert (leaked.status_code, leaked.content) == (200, b'{"secret":1}')
    assert (refused.status_code, refused.content) == (200, b'{"result":-1}')
    assert wrong.content == b'{"result":-1}'
    assert [r.header("cookie") for r in log.requests] == ["uid=admin", None, "uid=guest"]


@pytest.mark.asyncio
async def test_request_log_records_every_request_and_stays_capped(
    web: Web,
) -> None:
    _, base, log = web
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        await client.get(f"{base}/data.rsp?opt=user", headers={"Cookie": "uid=admin"})
        assert log.paths() == ["/data.rsp"]
        assert log.requests[0].target == "/data.rsp?opt=user"
        assert log.requests[0].header("cookie") == "uid=admin"
        for index in range(6):
            await client.get(f"{base}/missing/{index}")
    # The cap keeps the newest five.
    assert log.paths() == [f"/missing/{index}" for index in range(1, 6)]


@pytest.mark.asyncio
async def test_endless_body_streams_paced_frames_without_content_length(
    web: Web,
) -> None:
    lab, base, _ = web
    host, port = base.removeprefix("http://").rsplit(":", 1)
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"GET /feed HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        started = time.monotonic()
        data = await reader.read()  # until the server closes: after max_frames (10)
        elapsed = time.monotonic() - started
        writer.close()
        await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    names = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
    # RFC 7230 s3.3.3 rule 7: no length, the body ends when the server closes.
    assert "content-length" not in names
    assert names["content-type"] == "Audio/DHAV"
    assert names["connection"] == "close"
    assert body == FRAME * 10
    assert elapsed >= 9 * 0.02 * 0.8  # paced, not dumped at once
    assert body.startswith(b"DHAV")
    assert body[: len(FRAME)].endswith(b"dhav" + len(FRAME).to_bytes(4, "little"))
    for _ in range(50):  # the connection task ends with the stream
        if lab.open_connections == 0:
            break
        await asyncio.sleep(0.02)
    assert lab.open_connections == 0


@pytest.mark.asyncio
async def test_endless_body_stops_when_the_client_leaves(web: Web) -> None:
    lab, base, _ = web
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        async with client.stream("GET", f"{base}/fast") as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "Audio/DHAV"
            got = b""
            async for chunk in response.aiter_raw():
                got += chunk
                if len(got) >= 3 * len(FRAME):
                    break
        head = await client.head(f"{base}/feed")
    assert got.startswith(FRAME * 3)
    assert head.status_code == 200
    assert head.content == b""
    assert "content-length" not in head.headers
    for _ in range(100):  # the lab notices the hang-up and ends the connection's task
        if lab.open_connections == 0:
            break
        await asyncio.sleep(0.02)
    assert lab.open_connections == 0


def test_head_of_an_endless_route_carries_no_stream() -> None:
    server = HttpServer(
        HttpConfig(server=None, routes=(HttpRoute("/f", endless=EndlessBody(b"x", 0.0, 3)),)),
        authenticator=None,
    )
    for method, streams in (("GET", True), ("HEAD", False)):
        reply, endless = server._answer(
            parse_request_head(f"{method} /f HTTP/1.1\r\nHost: x".encode())
        )
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
        assert reply.endswith(b"\r\n\r\n")
        assert b"Content-Length" not in reply
        assert (endless is not None) is streams


@pytest.mark.parametrize(
    ("frame", "interval", "max_frames"),
    [(b"", 0.1, 1), (b"x", -1.0, 1), (b"x", 11.0, 1), (b"x", 0.1, 0), (b"x", 0.1, 2_000_000)],
)
def test_endless_body_is_validated(frame: bytes, interval: float, max_frames: int) -> None:
    with pytest.raises(ValueError, match=r"frame|interval|max_frames"):
        EndlessBody(frame, interval, max_frames)
