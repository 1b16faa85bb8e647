"""Identification at scan speed: ``camsweep scan`` over 600+ loopback devices, one real string each.

A child process serves corpus devices (tests/corpus/: cameras, recorders and the other devices,
each with the strings it was seen sending) on their own loopback addresses 127.91.x.y: an HTTP
server answering with the recorded status, Server header, realm, redirect and page; an RTSP
server with the recorded Server, Public methods, realm or SDP; or a port that greets with the
recorded FTP, SSH, Telnet or TCP banner. camsweep then scans all of them, the way a user would
(``camsweep scan @targets --ports ... --profile guest``), in a second child process.

Each server sends what a device would for its entry: a final status (nmap-rebuilt entries
may say 111), the title inside the page, the redirect chain hop by hop, a realm asked for on
another path, RTSP headers and SDP, a TLS certificate with the recorded subject and issuer, a
Telnet prompt left waiting; nothing the entry does not hold.

Prints the wall time (aim: under 30 s), hosts per second, the scanner's peak RSS, and how the
devices were identified (cameras found, other devices called cameras). Then every served
device is scored statically as tests/corpus scores it (with nmap's database, as the scan
always uses it) and compared with the scan's device type and vendor: the disagreements are
listed with what each side said, and entries whose static verdict rests on evidence no
loopback server sends (MAC, UPnP, mDNS, ONVIF discovery, other ports) are counted apart, as
are corpus entries with no servable service or several. Everything stays on 127.0.0.0/8;
every server stops when the benchmark ends (the child is killed on any error).

    python benchmarks/identify_scan_bench.py            # 650 devices
    python benchmarks/identify_scan_bench.py --devices 1000
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import html
import json
import ssl
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from scan_bench import _run_measured as _measured  # noqa: E402  (one way to time a child)
from scan_bench import serving  # noqa: E402  (one way to run the lab child)

from scanner.match import SignatureSet, load_signatures  # noqa: E402
from scanner.models import Identification  # noqa: E402
from tests.corpus import CAMERA_TYPES, CorpusDevice, load_all  # noqa: E402

AIM_SECONDS = 30.0
PORTS = {
    "http": 18080,
    "https": 18443,
    "rtsp": 18554,
    "ftp": 18021,
    "ssh": 18022,
    "telnet": 18023,
}
SCAN_PORTS = "18080:http,18443:https,18554:rtsp,18021:tcp,18022:tcp,18023:telnet"
_MAX_HEAD = 16384
_IDLE = 10.0
# headers that frame the body: the benchmark's server writes its own
_FRAMING = ("content-length", "transfer-encoding", "content-encoding", "connection")
_SCHEMES = ("basic", "digest")


def _address(i: int) -> str:
    return f"127.91.{i // 250}.{i % 250 + 1}"


def _kind(fields: dict[str, str]) -> str | None:
    if any(k.startswith("tls.") for k in fields):
        return "https"
    if any(k.startswith("http.") for k in fields):
        return "http"
    if any(k.startswith("rtsp.") for k in fields):
        return "rtsp"
    for kind in ("ftp", "ssh", "telnet"):
        if f"{kind}.banner" in fields:
            return kind
    return None


def unserved() -> dict[str, int]:
    """Corpus entries no server here stands for, by why: no service a loopback server can send
    (MAC-only, UPnP, mDNS or ONVIF discovery, a bare port list), or several (one string each)."""
    cameras, others = load_all()
    out: dict[str, int] = {}
    for device in [*cameras, *others]:
        servable = sum(1 for s in device.services if _kind(s.fields))
        if servable != 1:
            why = "no servable service" if not servable else "several servable services"
            key = f"{why} ({'camera' if device.camera else 'other'})"
            out[key] = out.get(key, 0) + 1
    return out


def select(n: int) -> list[dict[str, object]]:
    """Corpus devices with one servable service: every camera first, then other devices."""
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


def _challenge(scheme: str, realm: str | None, extra: str) -> str:
    """A WWW-Authenticate value; without a recorded realm the challenge carries none (the
    entry only says which scheme asked): inventing one would add evidence."""
    params = ([f'realm="{realm}"'] if realm is not None else []) + ([extra] if extra else [])
    return f"WWW-Authenticate: {scheme}" + (" " + ", ".join(params) if params else "")


def _page(fields: dict[str, str]) -> str:
    """The body a device would send: the recorded page, with the recorded title (and <meta>
    names) put in when the recorded excerpt does not hold them."""
    body = fields.get("http.body", "")
    head = []
    if "http.title" in fields and "<title" not in body.lower():
        head.append(f"<title>{html.escape(fields['http.title'], quote=False)}</title>")
    for name, value in fields.items():
        meta = name.removeprefix("http.meta.")
        if meta != name and f'name="{meta}"' not in body.lower():
            head.append(f'<meta name="{meta}" content="{html.escape(value)}">')
    if not head:
        return body
    return f"<html><head>{''.join(head)}</head><body>{body}</body></html>"


def _locations(fields: dict[str, str]) -> list[str]:
    return [loc for loc in fields.get("http.location", "").split(" -> ") if loc]


def _path_of(location: str) -> str:
    return urlsplit(location).path or "/"


def _http_answer(fields: dict[str, str], path: str) -> bytes:
    """The answer to GET ``path``, so that camsweep's probe records what the entry holds.

    A recorded redirect chain (``a -> b``) is walked hop by hop from ``/``; its last target
    gives the final answer (``http.status`` is the final status). A realm recorded beside a
    final status other than 401 came from another path that asked for a login: here
    ``/favicon.ico``, which camsweep fetches too; else the favicon is not found (a favicon hash
    cannot be served: the icon's bytes are not recorded).
    """
    status = fields.get("http.status", "")
    locations = _locations(fields)
    challenged = "http.realm" in fields or fields.get("http.auth") in _SCHEMES
    # nmap-rebuilt entries may say 111 (any three digits): a device answers GET with a final
    # status, never an interim 1xx one
    if not status.isdigit() or not 200 <= int(status) <= 599:
        status = "302" if locations else "401" if challenged else "200"
    redirect = status if status.startswith("3") else "302"
    final = "200" if status.startswith("3") else status
    hops = ["/", *(_path_of(loc) for loc in locations[:-1])]
    head: list[str] = []
    if path.startswith("/favicon"):
        if not challenged or final == "401":
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        code = "401"
    elif locations and path in hops:
        code = redirect
        head.append(f"Location: {locations[hops.index(path)]}")
    else:
        code = final
    if code == "401" and challenged:
        scheme = "Digest" if fields.get("http.auth") == "digest" else "Basic"
        extra = 'nonce="0a1b2c", qop="auth"' if scheme == "Digest" else ""
        head.append(_challenge(scheme, fields.get("http.realm"), extra))
    if "http.server" in fields:
        head.append(f"Server: {fields['http.server']}")
    for name, value in fields.items():
        if name.startswith("http.header.") and name[12:] not in _FRAMING:
            head.append(f"{name[12:]}: {value}")
    raw = _page(fields).encode("utf-8", "replace")
    head.append(f"Content-Length: {len(raw)}")
    return (f"HTTP/1.1 {code} X\r\n" + "\r\n".join(head) + "\r\n\r\n").encode(
        "utf-8", "replace"
    ) + raw


def _rtsp_answer(fields: dict[str, str], method: str, cseq: str) -> bytes:
    head = [f"CSeq: {cseq}"]
    if "rtsp.server" in fields:
        head.append(f"Server: {fields['rtsp.server']}")
    for name, value in fields.items():
        if name.startswith("rtsp.header.") and name[12:] not in _FRAMING:
            head.append(f"{name[12:]}: {value}")
    body = b""
    if method == "OPTIONS":
        status = "200 OK"
        if "rtsp.public" in fields:  # no invented method list: it would be evidence
            head.append(f"Public: {fields['rtsp.public']}")
    elif method == "DESCRIBE" and ("rtsp.realm" in fields or fields.get("rtsp.auth") in _SCHEMES):
        status = "401 Unauthorized"
        scheme = "Basic" if fields.get("rtsp.auth") == "basic" else "Digest"
        extra = 'nonce="0a1b2c"' if scheme == "Digest" else ""
        head.append(_challenge(scheme, fields.get("rtsp.realm"), extra))
    elif method == "DESCRIBE" and _sdp(fields):
        status = "200 OK"
        body = _sdp(fields).encode("utf-8", "replace")
        head += ["Content-Type: application/sdp", f"Content-Length: {len(body)}"]
    else:
        status = "404 Not Found"
    return (f"RTSP/1.0 {status}\r\n" + "\r\n".join(head) + "\r\n\r\n").encode() + body


def _sdp(fields: dict[str, str]) -> str:
    """The recorded SDP, or one built around the recorded session name and information."""
    if "rtsp.sdp" in fields:
        return fields["rtsp.sdp"]
    if "rtsp.sdp_session" not in fields and "rtsp.sdp_info" not in fields:
        return ""
    lines = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", f"s={fields.get('rtsp.sdp_session', ' ')}"]
    if "rtsp.sdp_info" in fields:
        lines.append(f"i={fields['rtsp.sdp_info']}")
    lines += ["t=0 0", "m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000"]
    return "\r\n".join(lines) + "\r\n"


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
                if kind != "telnet" and not greeting.endswith("\n"):
                    greeting += "\r\n"  # FTP and SSH lines end with CR LF; a Telnet prompt waits
                writer.write(greeting.encode("utf-8", "replace"))
                await writer.drain()
                await asyncio.wait_for(reader.read(4096), _IDLE)
                return
            for _ in range(8):
                head = (await _requests(reader))[0]
                first = head.split("\r\n", 1)[0].split(" ")
                if kind in ("http", "https"):
                    path = first[1] if len(first) > 1 else "/"
                    answer = _http_answer(fields, urlsplit(path).path or "/")
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


def _name(text: str) -> x509.Name:
    try:
        return x509.Name.from_rfc4514_string(text)
    except ValueError:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text[:64] or "-")])


def _tls_context(
    fields: dict[str, str], key: ec.EllipticCurvePrivateKey, folder: Path
) -> ssl.SSLContext:
    """A server context whose certificate carries the recorded subject and issuer (cameras
    ship self-signed certificates naming their maker or model)."""
    subject = _name(fields.get("tls.subject") or fields.get("tls.issuer", "-"))
    issuer = _name(fields["tls.issuer"]) if "tls.issuer" in fields else subject
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = folder / f"{x509.random_serial_number()}.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    return context


def serve(n: int) -> None:
    """Child: serve n corpus devices, print their layout as JSON, serve until stdin closes."""
    devices = select(n)
    key = ec.generate_private_key(ec.SECP256R1())

    async def main(folder: Path) -> None:
        servers = []
        for i, device in enumerate(devices):
            port = PORTS[str(device["kind"])]
            context = (
                _tls_context(device["fields"], key, folder)  # type: ignore[arg-type]
                if device["kind"] == "https"
                else None
            )
            servers.append(
                await asyncio.start_server(_handler(device), _address(i), port, ssl=context)
            )
        layout = [
            {"ip": _address(i), "id": d["id"], "camera": d["camera"], "kind": d["kind"]}
            for i, d in enumerate(devices)
        ]
        print(json.dumps(layout), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for server in servers:
            server.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(Path(folder)))


# --- the benchmark ---------------------------------------------------------------------------


# what the benchmark's servers send, by kind of service (prefixes of evidence fields)
_SERVED = {
    "http": ("http.",),
    "https": ("http.", "tls."),
    "rtsp": ("rtsp.",),
    "ftp": ("ftp.banner",),
    "ssh": ("ssh.banner",),
    "telnet": ("telnet.",),
}
# what no server here can send: the icon's bytes are not recorded; a login path is found by
# the owner profile's search, not by this scan
_NOT_SERVED = ("http.favicon_md5", "http.login_path")


def _served_fields(kind: str, fields: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k.startswith(_SERVED[kind]) and k not in _NOT_SERVED}


def _left_out(device: CorpusDevice, kind: str) -> list[str]:
    """What the entry holds beyond what its server sends, by kind of evidence."""
    what: set[str] = set()
    served = next(s for s in device.services if _kind(s.fields) == kind)
    for svc in device.services:
        names = set(svc.fields) - set(_served_fields(kind, svc.fields) if svc is served else {})
        if svc is not served and _kind(svc.fields):
            what.add("a second service")
        what |= {n.split(".")[0] if n not in _NOT_SERVED else n for n in names}
    what |= {n.split(".")[0] for n in device.host}
    if set(device.open_ports) - {served.port}:
        what.add("other open ports")
    return sorted(what)


def _verdict(device_type: str, vendor: str | None, sigs: SignatureSet) -> tuple[str, str | None]:
    known = sigs.vendor(vendor) if vendor else None
    return device_type, (known.id if known else vendor)


def _said(verdict: tuple[str, str | None], lines: Sequence[str]) -> str:
    why = "; ".join(lines)
    return f"{verdict[0]}/{verdict[1] or '-'}" + (f" ({why[:150]})" if why else "")


def _static(sigs: SignatureSet, device: CorpusDevice) -> Identification:
    """tests/corpus's scoring of one entry, but with nmap's database for every entry: the
    scan always consults it (entries rebuilt from nmap's own lines included)."""
    open_ports = {svc.port for svc in device.services if svc.port} | set(device.open_ports)
    return sigs.identify(list(device.services), sorted(open_ports), device.host or None)


def compare(layout: list[dict[str, object]], hosts: dict[str, dict[str, object]]) -> int:
    """Every served device scored statically against the scan's verdict (device type and
    vendor); prints the disagreements and returns how many there are.

    An entry whose static verdict rests on evidence its server cannot send (a MAC, UPnP, mDNS
    or ONVIF discovery fields, a second service, other open ports, a favicon hash) is left out
    of the comparison and counted: its verdict changes when only the served service is
    scored."""
    sigs = load_signatures([])
    cameras, others = load_all()
    by_id = {d.id: d for d in [*cameras, *others]}
    camera_types = {t.value for t in CAMERA_TYPES}
    rows: list[tuple[str, str, str, str]] = []
    agree = 0
    excluded: dict[str, list[str]] = {}
    cams = [0, 0, 0]  # compared cameras, found statically, found by the scan
    for served in layout:
        device = by_id[str(served["id"])]
        kind = str(served["kind"])
        ident = _static(sigs, device)
        static = _verdict(ident.device_type.value, ident.vendor, sigs)
        left_out = _left_out(device, kind)
        if left_out:
            svc = next(s for s in device.services if _kind(s.fields) == kind)
            view = dataclasses.replace(
                device,
                services=(dataclasses.replace(svc, fields=_served_fields(kind, svc.fields)),),
                open_ports=(),
                host={},
            )
            alone = _static(sigs, view)
            if _verdict(alone.device_type.value, alone.vendor, sigs) != static:
                for what in left_out:
                    excluded.setdefault(what, []).append(device.id)
                excluded.setdefault("", []).append(device.id)
                continue
        host = hosts.get(str(served["ip"]))
        scan = (
            _verdict(str(host["device_type"]), host.get("vendor"), sigs)  # type: ignore[arg-type]
            if host
            else ("missing", None)
        )
        if device.camera:
            cams[0] += 1
            cams[1] += static[0] in camera_types
            cams[2] += scan[0] in camera_types
        if static == scan:
            agree += 1
            continue
        what = "type" if (static[0] in camera_types) != (scan[0] in camera_types) else "vendor"
        if what == "vendor" and static[1] == scan[1]:
            what = "class"
        scan_lines = list(host.get("identified_by") or []) if host else []  # type: ignore[call-overload]
        rows.append(
            (
                f"{device.id} [{kind}] {what}",
                _said(static, ident.identified_by),
                _said(scan, scan_lines),
                what,
            )
        )
    print(f"corpus entries not served: {json.dumps(unserved())}")
    if rows:
        print("static vs scan disagreements (type: camera or not; vendor; class: other/unknown):")
    for head, static_said, scan_said, _ in rows:
        print(f"  {head}\n    static: {static_said}\n    scan:   {scan_said}")
    counts: dict[str, int] = {}
    for *_, what in rows:
        counts[what] = counts.get(what, 0) + 1
    compared = len(layout) - len(excluded.get("", []))
    print(
        f"not comparable: {len(excluded.get('', []))} served entries whose static verdict rests "
        "on evidence no loopback server sends: "
        + ", ".join(f"{what} {len(ids)}" for what, ids in sorted(excluded.items()) if what)
    )
    print(
        f"static vs scan: {agree}/{compared} agree; disagreements: {len(rows)} {json.dumps(counts)}"
        f"; cameras compared {cams[0]}: found statically {cams[1]}, by the scan {cams[2]}"
    )
    return len(rows)


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
    compare(layout, hosts)
    ok = wall < AIM_SECONDS and len(hosts) == len(layout)
    verdict = "ok" if ok else "MISSED"
    print(f"{verdict}: {len(layout)} devices in {wall:.1f} s (aim < {AIM_SECONDS:g} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
