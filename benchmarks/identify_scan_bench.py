"""Identification at scan speed: ``camsweep scan`` over 600+ loopback devices, one real string each.

A child process serves corpus devices (tests/corpus/: cameras, recorders and the other devices,
each with the strings it was seen sending) on their own loopback addresses 127.91.x.y: an HTTP
server answering with the recorded status, Server header, realm, redirect and page; an RTSP
server with the recorded Server, Public methods, realm or SDP; or a port that greets with the
recorded FTP, SSH, Telnet or TCP banner. camsweep then scans all of them, the way a user would
(``camsweep scan @targets --ports ... --profile guest``), in a second child process.

Prints the wall time (aim: under 30 s), hosts per second, the scanner's peak RSS, and how the
devices were identified (cameras found, other devices called cameras). Everything stays on
127.0.0.0/8; every server stops when the benchmark ends (the child is killed on any error).

    python benchmarks/identify_scan_bench.py            # 650 devices
    python benchmarks/identify_scan_bench.py --devices 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from scan_bench import _run_measured as _measured  # noqa: E402  (one way to time a child)
from scan_bench import serving  # noqa: E402  (one way to run the lab child)

AIM_SECONDS = 30.0
PORTS = {"http": 18080, "rtsp": 18554, "ftp": 18021, "ssh": 18022, "telnet": 18023}
SCAN_PORTS = "18080:http,18554:rtsp,18021:tcp,18022:tcp,18023:telnet"
_MAX_HEAD = 16384
_IDLE = 10.0
# headers that frame the body: the benchmark's server writes its own
_FRAMING = ("content-length", "transfer-encoding", "content-encoding", "connection")


def _address(i: int) -> str:
    return f"127.91.{i // 250}.{i % 250 + 1}"


def _kind(fields: dict[str, str]) -> str | None:
    if any(k.startswith("http.") for k in fields):
        return "http"
    if any(k.startswith("rtsp.") for k in fields):
        return "rtsp"
    for kind in ("ftp", "ssh", "telnet"):
        if f"{kind}.banner" in fields:
            return kind
    return None


def select(n: int) -> list[dict[str, object]]:
    """Corpus devices with one servable service: every camera first, then other devices."""
    from tests.corpus import load_all  # noqa: PLC0415

    cameras, others = load_all()
    chosen: list[dict[str, object]] = []
    for device in [*cameras, *others]:
        services = [s for s in device.services if _kind(s.fields)]
        if len(services) != 1 or len(chosen) >= n:
            continue
        fields = services[0].fields
        chosen.append(
            {"id": device.id, "camera": device.camera, "kind": _kind(fields), "fields": fields}
        )
    return chosen


# --- the device side (child process) ---------------------------------------------------------


def _http_answer(fields: dict[str, str]) -> bytes:
    status = fields.get("http.status", "200")
    if not status.isdigit() or not 100 <= int(status) <= 599:
        status = "200"
    head = [f"HTTP/1.1 {status} X"]
    if "http.server" in fields:
        head.append(f"Server: {fields['http.server']}")
    if "http.realm" in fields:
        scheme = "Digest" if fields.get("http.auth") == "digest" else "Basic"
        extra = ', nonce="0a1b2c", qop="auth"' if scheme == "Digest" else ""
        head.append(f'WWW-Authenticate: {scheme} realm="{fields["http.realm"]}"{extra}')
    if "http.location" in fields and status.startswith("3"):
        head.append(f"Location: {fields['http.location'].split(' -> ')[0]}")
    for name, value in fields.items():
        if name.startswith("http.header.") and name[12:] not in _FRAMING:
            head.append(f"{name[12:]}: {value}")
    body = fields.get("http.body") or (
        f"<html><head><title>{fields['http.title']}</title></head></html>"
        if "http.title" in fields
        else ""
    )
    raw = body.encode("utf-8", "replace")
    head.append(f"Content-Length: {len(raw)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "replace") + raw


def _rtsp_answer(fields: dict[str, str], method: str, cseq: str) -> bytes:
    head = [f"CSeq: {cseq}"]
    if "rtsp.server" in fields:
        head.append(f"Server: {fields['rtsp.server']}")
    body = b""
    if method == "OPTIONS":
        status = "200 OK"
        head.append(f"Public: {fields.get('rtsp.public', 'OPTIONS, DESCRIBE, SETUP, PLAY')}")
    elif method == "DESCRIBE" and "rtsp.realm" in fields:
        status = "401 Unauthorized"
        scheme = "Basic" if fields.get("rtsp.auth") == "basic" else "Digest"
        extra = ', nonce="0a1b2c"' if scheme == "Digest" else ""
        head.append(f'WWW-Authenticate: {scheme} realm="{fields["rtsp.realm"]}"{extra}')
    elif method == "DESCRIBE" and "rtsp.sdp" in fields:
        status = "200 OK"
        body = fields["rtsp.sdp"].encode("utf-8", "replace")
        head += ["Content-Type: application/sdp", f"Content-Length: {len(body)}"]
    else:
        status = "404 Not Found"
    return (f"RTSP/1.0 {status}\r\n" + "\r\n".join(head) + "\r\n\r\n").encode() + body


async def _requests(reader: asyncio.StreamReader) -> list[str]:
    """Request heads as they come, until the client leaves or idles (bounded)."""
    data = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _IDLE)
    return [data[:_MAX_HEAD].decode("latin-1")]


def _handler(device: dict[str, object]):  # type: ignore[no-untyped-def]
    fields: dict[str, str] = device["fields"]  # type: ignore[assignment]
    kind = device["kind"]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if kind in ("ftp", "ssh", "telnet"):
                greeting = fields[f"{kind}.banner"]
                writer.write(greeting.encode("utf-8", "replace") + b"\r\n")
                await writer.drain()
                await asyncio.wait_for(reader.read(4096), _IDLE)
                return
            for _ in range(8):
                head = (await _requests(reader))[0]
                first = head.split("\r\n", 1)[0].split(" ")
                if kind == "http":
                    path = first[1] if len(first) > 1 else "/"
                    answer = (
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                        if path.startswith("/favicon")
                        else _http_answer(fields)
                    )
                else:
                    cseq = next(
                        (
                            line.split(":", 1)[1].strip()
                            for line in head.split("\r\n")
                            if line.lower().startswith("cseq:")
                        ),
                        "1",
                    )
                    answer = _rtsp_answer(fields, first[0], cseq)
                writer.write(answer)
                await writer.drain()
        except (
            TimeoutError,
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()

    return handle


def serve(n: int) -> None:
    """Child: serve n corpus devices, print their layout as JSON, serve until stdin closes."""
    devices = select(n)

    async def main() -> None:
        servers = []
        for i, device in enumerate(devices):
            port = PORTS[str(device["kind"])]
            servers.append(await asyncio.start_server(_handler(device), _address(i), port))
        layout = [
            {"ip": _address(i), "id": d["id"], "camera": d["camera"], "kind": d["kind"]}
            for i, d in enumerate(devices)
        ]
        print(json.dumps(layout), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for server in servers:
            server.close()

    asyncio.run(main())


# --- the benchmark ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--devices", type=int, default=650)
    parser.add_argument("--report", type=Path, help="also keep the JSON report here")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    with serving(__file__, args.devices) as layout, tempfile.TemporaryDirectory() as tmp:
        targets = Path(tmp) / "targets.txt"
        targets.write_text("\n".join(d["ip"] for d in layout) + "\n")
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "scanner", "scan", f"@{targets}", "--ports", SCAN_PORTS]
        cmd += ["--profile", "guest", "--format", "json", "-o", str(report), "--quiet"]
        wall, rss_kib, code = _measured(cmd, timeout=300)
        hosts = (
            {h["ip"]: h for h in json.loads(report.read_text())["hosts"]} if report.exists() else {}
        )
        if args.report is not None and report.exists():
            args.report.write_text(json.dumps({"layout": layout, "report": hosts}))
    cams = [d for d in layout if d["camera"]]
    others = [d for d in layout if not d["camera"]]

    def called(d: dict[str, object]) -> bool:
        host = hosts.get(str(d["ip"]))
        return bool(host) and host["device_type"] in ("camera", "recorder")  # type: ignore[index]

    found = sum(called(d) for d in cams)
    false = sum(called(d) for d in others)
    kinds: dict[str, int] = {}
    for d in layout:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    row = {
        "devices": len(layout),
        "services": kinds,
        "hosts_in_report": len(hosts),
        "seconds": round(wall, 2),
        "aim_seconds": AIM_SECONDS,
        "hosts_per_s": round(len(layout) / wall, 1),
        "peak_rss_mb": round(rss_kib / 1024, 1),
        "cameras_served": len(cams),
        "cameras_found": found,
        "others_served": len(others),
        "others_called_cameras": false,
        "exit": code,
    }
    print(json.dumps(row))
    ok = wall < AIM_SECONDS and len(hosts) == len(layout)
    verdict = "ok" if ok else "MISSED"
    print(f"{verdict}: {len(layout)} devices in {wall:.1f} s (aim < {AIM_SECONDS:g} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
