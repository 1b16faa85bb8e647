"""Issue 13 end to end: ``camsweep scan`` against loopback devices no fingerprint describes.

Each device listens on its own 127.88.13.x address and says one thing a real device said:
nmap-service-probes line 10034 (a CP Plus DVR's title), the Axis FTP greeting that
signatures/nmap.yaml cites, a Dropbear SSH greeting (Debian's dropbear package), an RTSP stream
whose SDP names itself, and a self-signed TLS certificate naming a Hikvision model (made by the
test, the way cameras make theirs at first boot). The JSON report must say what identified each
device (``identified_by``), and the text report the probable device type and why."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner import cli
from tests.probe import certs
from tests.probe.servers import (
    HttpReply,
    HttpServer,
    LoopbackServer,
    Request,
    RtspServer,
    TurnServer,
    rtsp_reply,
)

NET = "127.88.13"
SDP = (
    b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=IP Camera Live Stream\r\ni=Front door\r\n"
    b"c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
)


def _rtsp(request: Request) -> bytes | None:
    cseq = request.headers.get("cseq", "1")
    if request.method == "OPTIONS":
        return rtsp_reply(cseq, 200, "OK", [("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")])
    if request.method == "DESCRIBE":
        return rtsp_reply(cseq, 200, "OK", [("Content-Type", "application/sdp")], SDP)
    return rtsp_reply(cseq, 405, "Method Not Allowed")


def _servers(tls: ssl.SSLContext) -> list[LoopbackServer]:
    dvr = HttpServer(
        lambda r: HttpReply(
            200,
            [("Content-Type", "text/html")],
            b"<!DOCTYPE html><html><head><title>CPPLUS DVR \xe2\x80\x93Web View</title>"
            b'<meta name="description" content="DVR web client"></head><body>'
            b'<form action="/login.cgi"><input name="user"><input type="password" name="pass">'
            b"</form></body></html>",
        ),
        f"{NET}.1",
    )
    ftp = TurnServer([b"220 AXIS M1031-W Network Camera 5.20 (Jan 20 2011) ready.\r\n"])
    ftp.host = f"{NET}.2"
    ssh = TurnServer([b"SSH-2.0-dropbear_2014.63\r\n"])
    ssh.host = f"{NET}.3"
    https = HttpServer(lambda r: HttpReply(200, [], b"<html>login</html>"), f"{NET}.4", tls=tls)
    rtsp = RtspServer(_rtsp, f"{NET}.5")
    return [dvr, ftp, ssh, https, rtsp]


@pytest.fixture
def devices(tmp_path: Path) -> Iterator[list[LoopbackServer]]:
    servers = _servers(certs.self_signed(tmp_path, ("COMMON_NAME", "DS-2CD2032-I"))[1])
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Future[None] | None = None

    async def serve() -> None:
        nonlocal stop
        stop = loop.create_future()
        for server in servers:
            await server.__aenter__()
        ready.set()
        await stop
        for server in servers:
            await server.__aexit__(None, None, None)

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield servers
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)
        loop.close()


@pytest.mark.timeout(120)
def test_scan_identifies_unknown_devices_and_says_why(
    devices: list[LoopbackServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dvr, ftp, ssh, https, rtsp = devices
    ports = f"{dvr.port}:http,{ftp.port}:tcp,{ssh.port}:tcp,{https.port}:https,{rtsp.port}:rtsp"
    out = tmp_path / "report.json"
    targets = [f"{NET}.{i}" for i in range(1, 6)]
    argv = ["scan", *targets, "--ports", ports, "--profile", "guest", "--no-arp", "--no-mdns"]
    argv += ["--no-ssdp", "--no-wsd", "--format", "json", "-o", str(out), "--format", "text"]
    argv += ["-o", str(tmp_path / "report.txt")]
    code = cli.main(argv)
    capsys.readouterr()
    assert code in (cli.EXIT_OK, cli.EXIT_FINDINGS)
    hosts = {h["ip"]: h for h in json.loads(out.read_text())["hosts"]}

    def ident(n: int) -> dict[str, object]:
        return hosts[f"{NET}.{n}"]  # type: ignore[no-any-return]

    def fields(n: int) -> dict[str, str]:
        merged: dict[str, str] = {}
        for service in hosts[f"{NET}.{n}"]["services"]:
            merged.update(service.get("fields", {}))
        return merged

    recorder = ident(1)
    assert recorder["device_type"] == "recorder"
    assert any(str(x).startswith("probable recorder") for x in recorder["identified_by"])  # type: ignore[attr-defined]
    assert fields(1)["http.meta.description"] == "DVR web client"
    assert fields(1)["http.form"].startswith("action=/login.cgi")

    axis = ident(2)
    assert axis["vendor"] == "Axis"
    assert axis["device_type"] == "camera"
    assert "AXIS M1031-W" in fields(2)["ftp.banner"]

    assert fields(3)["ssh.banner"] == "SSH-2.0-dropbear_2014.63"
    assert ident(3)["device_type"] != "camera"

    hik = ident(4)
    assert fields(4)["tls.subject"] == "CN=DS-2CD2032-I"
    assert hik["vendor"] == "Hikvision"
    assert hik["device_type"] == "camera"
    assert any("TLS certificate subject" in str(x) for x in hik["identified_by"])  # type: ignore[attr-defined]

    stream = ident(5)
    assert fields(5)["rtsp.sdp_session"] == "IP Camera Live Stream"
    assert fields(5)["rtsp.sdp_info"] == "Front door"
    assert stream["device_type"] == "camera"

    text = (tmp_path / "report.txt").read_text()
    assert "probable recorder:" in text
    assert "title on port" in text
