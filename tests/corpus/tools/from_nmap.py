"""Rebuild corpus entries from nmap's public record (nmap-service-probes), one per match line.

Each typed match line of nmap's file records what a real device sent (nmap's authors wrote the
line from a submitted fingerprint). This tool turns the line's regex back into one answer: its
literal text as written, the shortest filler for its variable parts (a class gives one
representative character, an optional part is left out), checks that the line matches that
answer, then records the answer as camsweep's probes would (docs/architecture.md). Entries say
which line they come from. Lines whose answer is binary, or for a protocol camsweep does not
probe, are left out.

    python tests/corpus/tools/from_nmap.py > /tmp/out.yaml   # prints both lists, see --help

This is a one-off import: the YAML it wrote is committed, and the benchmark never re-runs it.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from re import _constants as C  # type: ignore[attr-defined]  # noqa: N812
    from re import _parser as P  # type: ignore[attr-defined]  # noqa: N812

import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from scanner.match.nmapdb import parse_probes  # noqa: E402

# Every probe whose answer is one camsweep's probes also receive in kind: a greeting, an HTTP or
# an RTSP response (nmap's HTTPOptions, FourOhFourRequest ... answers are HTTP responses too).
PROBES = (
    "NULL",
    "GetRequest",
    "RTSPRequest",
    "HTTPOptions",
    "FourOhFourRequest",
    "GenericLines",
    "Help",
    "RTSPRequest",
    "SIPOptions",
    "LANDesk-RC",
    "X11Probe",
)
SERVICE_PORTS = {"http": 80, "rtsp": 554, "ftp": 21, "ssh": 22, "telnet": 23, "upnp": 1900}
CAMERA_TYPES = {"webcam"}
OTHER_TYPES = {
    "printer",
    "print server",
    "router",
    "broadband router",
    "WAP",
    "switch",
    "storage-misc",
    "media device",
    "VoIP phone",
    "VoIP adapter",
    "firewall",
    "power-device",
    "game console",
    "PBX",
    "phone",
    "bridge",
    "terminal server",
    "load balancer",
    "remote management",
    "proxy server",
    "telecom-misc",
}


def _gen(parsed: object) -> str:
    out: list[str] = []
    for op, arg in parsed:  # type: ignore[attr-defined]
        if op is C.LITERAL:
            out.append(chr(arg))
        elif op is C.NOT_LITERAL:
            out.append("x" if chr(arg) != "x" else "y")
        elif op is C.ANY:
            out.append("x")
        elif op is C.IN:
            out.append(_class(arg))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            out.append(_gen(sub) * low)
        elif op is C.SUBPATTERN:
            out.append(_gen(arg[-1]))
        elif op is C.BRANCH:
            out.append(_gen(arg[1][0]))
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        elif op is C.CATEGORY:
            out.append(_category(arg))
        elif op is C.GROUPREF:
            out.append("")
        else:
            raise ValueError(op)
    return "".join(out)


def _category(cat: object) -> str:
    name = str(cat)
    if "DIGIT" in name and "NOT" not in name:
        return "1"
    if "SPACE" in name and "NOT" not in name:
        return " "
    if "WORD" in name and "NOT" not in name:
        return "a"
    return "x" if "SPACE" in name else " "


def _class(items: list[tuple[object, object]]) -> str:
    negate = any(op is C.NEGATE for op, _ in items)
    if negate:
        banned = {chr(a) for op, a in items if op is C.LITERAL and isinstance(a, int)}
        for ch in "xa1 ":
            if ch not in banned:
                return ch
        return "z"
    for op, arg in items:
        if op is C.LITERAL:
            return chr(arg)  # type: ignore[arg-type]
        if op is C.RANGE:
            return chr(arg[0])  # type: ignore[index]
        if op is C.CATEGORY:
            return _category(arg)
    return "x"


def sample(pattern: re.Pattern[str]) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            text = _gen(P.parse(pattern.pattern, pattern.flags))
        except (ValueError, TypeError, re.error):
            return None
    return text if pattern.search(text) else None


_IAC = re.compile("\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)


def _printable(text: str) -> bool:
    return sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.9 * max(len(text), 1)


def _utf8(text: str) -> str:
    return text.encode("latin-1").decode("utf-8", "replace")


_SKIPPED = {
    "http": ("content-length", "date", "connection", "cseq"),
    "rtsp": ("cseq", "date", "content-length", "expires"),
}
_OWN_FIELD = {
    "http": {"location": "http.location"},
    "rtsp": {"public": "rtsp.public", "allow": "rtsp.public"},
}


def _header_fields(proto: str, lines: list[str]) -> dict[str, str]:
    """Evidence fields of one answer's header lines, as camsweep's probe records them."""
    fields: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep or (proto == "rtsp" and not value) or name in _SKIPPED[proto]:
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", name):
            continue
        if name == "server":
            fields[f"{proto}.server"] = value
        elif name in _OWN_FIELD[proto]:
            fields[_OWN_FIELD[proto][name]] = value
        elif name == "www-authenticate":
            fields[f"{proto}.auth"] = "digest" if value.lower().startswith("digest") else "basic"
            found = re.search(r'realm="?([^"]*)"?', value, re.IGNORECASE)
            if found:
                fields[f"{proto}.realm"] = found.group(1)
        else:
            fields.setdefault(f"{proto}.header.{name}", value)
    return fields


_GENERIC = re.compile(r"(?i)^[\s:#>$]*(?:\(none\)\s*)?(?:login|username|user|password)?[\s:#>$]*$")


def fields_for(service: str, raw: str) -> tuple[int, str, dict[str, str]] | None:
    raw = _utf8(_IAC.sub("", raw))
    if _GENERIC.match(raw):
        return None  # nothing a device-specific method could use
    if raw.startswith("HTTP/"):
        head, _, body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        fields = {"http.status": parts[1] if len(parts) > 1 else "200"}
        fields.update(_header_fields("http", lines[1:]))
        title = re.search(r"<title>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
        if title:
            fields["http.title"] = " ".join(title.group(1).split())
        if body.strip():
            fields["http.body"] = body[:500]
        port = 80 if service in ("http", "upnp") else SERVICE_PORTS.get(service, 80)
        return port, "http", fields
    if raw.startswith("RTSP/"):
        fields = _header_fields("rtsp", raw.split("\r\n")[1:])
        return (554, "rtsp", fields) if fields else None
    text = raw
    if not text.strip() or not _printable(text):
        return None
    if service == "ftp":
        return 21, "tcp", {"ftp.banner": text.strip()}
    if service == "ssh":
        return 22, "tcp", {"ssh.banner": text.strip()}
    if service == "telnet":
        stripped = text.strip("\r\n")
        prompt = stripped.replace("\r", "").split("\n")[-1]
        return 23, "telnet", {"telnet.banner": stripped, "telnet.prompt": prompt}
    return None


# Who a person would name for each nmap product (first match wins): written by reading nmap's
# product text (p// and i//), independently of camsweep's alias table. "other" moves a line
# nmap files under webcam to the other devices (video conferencing is a false friend), "drop"
# leaves out cameras that are no network surveillance devices (action and still cameras,
# machine vision, motion capture).
LABELS: tuple[tuple[str, str | None], ...] = (
    (r"video conferenc|teleconferenc|Polycom|Tandberg|LifeSize|PCS-1", "other"),
    (r"Topfield|Humax|PVR", "other"),
    (
        r"GoPro|Pentax|Olympus|Cognex|Qualisys|Casi-Rusco|Google Video|MenuetOS|IP Webcam|Polaroid"
        r"|VBrick|Wowwee",
        "drop",
    ),
    (r"American Dynamics", "american-dynamics"),
    (r"Aimetis", "aimetis"),
    (r"Pixord", "pixord"),
    (r"ReeCam", "reecam"),
    (r"MicroDigital", "microdigital"),
    (r"iCatch", "icatch"),
    (r"Hosafe", "hosafe"),
    (r"Dorgem", "dorgem"),
    (r"LogiLink", "logilink"),
    (r"Mango DSP", "mango-dsp"),
    (r"Climax", "climax"),
    (r"Ateas", "ateas"),
    (r"Lorex", "lorex"),
    (r"Geutebr", "geutebruck"),
    (r"DigiSprite", "dedicated-micros"),
    (r"Cross DVR", "hisilicon"),
    (r"A\+V Link", "avlink"),
    (r"ACTi", "acti"),
    (r"Dedicated Micros", "dedicated-micros"),
    (r"AXIS|Axis", "axis"),
    (r"CP Plus", "cpplus"),
    (r"Panasonic", "ipro"),
    (r"Active [Ww]eb[Cc]am", "pysoftware"),
    (r"AirLive", "airlive"),
    (r"Airlink|AirLink", "airlink101"),
    (r"Amcrest", "amcrest"),
    (r"Arecont", "arecont"),
    (r"AverMedia", "avermedia"),
    (r"Avigilon", "avigilon"),
    (r"Aviosys", "aviosys"),
    (r"Avtech", "avtech"),
    (r"Belkin", "belkin"),
    (r"Blue Iris", "blueiris"),
    (r"Bosch|Dinion|VideoJet", "bosch"),
    (r"D-Link|DCS", "dlink"),
    (r"Canon", "canon"),
    (r"Cisco|Linksys WVC", "cisco"),
    (r"Convision", "convision"),
    (r"DB Power", "dbpower"),
    (r"DVR Systems|DVR 2400", "dvr-systems"),
    (r"Herculese", "herculese"),
    (r"DVTel", "dvtel"),
    (r"Dahua", "dahua"),
    (r"DoorBird", "doorbird"),
    (r"Ever[Ff]ocus", "everfocus"),
    (r"EvoCam", "evological"),
    (r"GM Streaming", "gm-streaming"),
    (r"Geo[Vv]ision", "geovision"),
    (r"IQinVision|IQeye", "iqinvision"),
    (r"Hi3518|HiLinux", None),
    (r"Hikvision", "hikvision"),
    (r"Hipcam", "vstarcam"),
    (r"Huacam", "huacam"),
    (r"IP Webcam", None),
    (r"IVC", "ivc"),
    (r"March Networks", "march-networks"),
    (r"Atis", None),
    (r"Intelbras", "intelbras"),
    (r"Intelligent Security", "iss"),
    (r"Interlogix", "interlogix"),
    (r"LevelOne", "levelone"),
    (r"Maygion", "maygion"),
    (r"Milestone", "milestone"),
    (r"Mobotix", "mobotix"),
    (r"Motion", "motion-project"),
    (r"NUUO", "nuuo"),
    (r"NetComm", "netcomm"),
    (r"Netwave", "netwave"),
    (r"NightOwl", "nightowl"),
    (r"Optelecom", "optelecom-nkf"),
    (r"PY Software", "pysoftware"),
    (r"Panasonic", "ipro"),
    (r"Planet", "planet"),
    (r"QualityView", "quality-view"),
    (r"Samsung", "hanwha"),
    (r"Sanyo", "sanyo"),
    (r"SecuritySpy", "ben-software"),
    (r"Sentry360", "sentry360"),
    (r"Sony", "sony"),
    (r"Speco", "speco"),
    (r"TRENDnet|TrendNet", "trendnet"),
    (r"Techno Vision", "techno-vision"),
    (r"Veo Observer|Grandtec|Wowwee|IP-Video", None),
    (r"Vivotek", "vivotek"),
    (r"WebGate", "webgate"),
    (r"Y-cam", "y-cam"),
    (r"Yawcam", "yawcam"),
    (r"Zmodo", "zmodo"),
    (r"webcam 7", "moonware"),
    (r"dvr1614n|go1984", None),
    (r"iCan", "icansystem"),
)


def label_for(product: str) -> str | None:
    for pattern, vendor in LABELS:
        if re.search(pattern, product):
            return vendor
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", default="/usr/share/nmap/nmap-service-probes")
    parser.add_argument("--kind", choices=("camera", "other"), required=True)
    args = parser.parse_args()
    text = Path(args.probes).read_bytes().decode("latin-1")
    lines, _ = parse_probes(text, PROBES)
    devices = []
    seen: set[str] = set()
    for line in lines:
        text = f"{line.product}; {line.info}"
        camera = line.camera and label_for(text) not in ("other", "drop")
        moved = line.camera and label_for(text) == "other"
        if label_for(text) == "drop":
            continue
        if args.kind == "camera" and not camera:
            continue
        if (
            args.kind == "other"
            and not moved
            and (line.camera or line.devicetype not in OTHER_TYPES)
        ):
            continue
        if line.service not in SERVICE_PORTS:
            continue
        pattern = line.compiled()
        raw = sample(pattern) if pattern is not None else None
        if raw is None:
            continue
        got = fields_for(line.service, raw)
        if got is None:
            continue
        port, protocol, fields = got
        key = repr(sorted(fields.items()))
        if key in seen:
            continue
        seen.add(key)
        product = re.sub(r"\$\d", "", line.product).strip()
        info = re.sub(r"\$\d", "", line.info).strip()
        if info:
            product = f"{product}; {info}"
        devices.append(
            {
                "id": f"nmap-{line.line}",
                "note": f"nmap-service-probes line {line.line}: {product} ({line.devicetype})",
                "source": f"nmap/nmap nmap-service-probes (line {line.line})",
                "expect": {"vendor": label_for(text)} if args.kind == "camera" else {},
                "services": [{"port": port, "protocol": protocol, "fields": fields}],
            }
        )
    yaml.safe_dump({"devices": devices}, sys.stdout, allow_unicode=True, sort_keys=False, width=200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
