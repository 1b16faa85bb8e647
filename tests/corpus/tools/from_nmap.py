"""Rebuild corpus entries from nmap's public record (nmap-service-probes), one per match line.

Each typed match line of nmap's file records what a real device sent (nmap's authors wrote the
line from a submitted fingerprint). This tool turns the line's regex back into one answer and
records that answer the way camsweep's own probes do, by handing it to the probes' own record
functions (scanner/probe/http.py, rtsp.py, telnet.py, banner.py): nothing is re-implemented here,
so the evidence is what a scan of that device would hold (docs/architecture.md).

The rule for turning a regex into text (tests/corpus/README.md says it in prose):

* every literal character is kept, in every header, the status line and the body;
* an alternation takes its first branch; an optional part is left out; a repeat is taken the
  fewest times the regex allows;
* a character class gives one representative of the class: digits give ``1``, word characters
  and letters a letter, a negated class an ``x`` (or another character it allows); a lone
  ``.`` gives ``.`` (an unescaped dot is nearly always the literal one the author meant);
* a capture group that the line's product template shows held a model or a version (``$N``
  in ``p//``, ``i//`` or ``v//``; a version when in ``v//`` or after a version word such as
  ``V``, ``ver``, ``firmware`` or a ``/`` just before it) keeps a plausible filler of the
  group's own class: ``100`` for a model, ``1.0`` for a version, or the class's representative
  repeated within the bounds the regex sets when it allows neither. No model number is
  invented;
* the line must match the text it gave (else the shortest filler is tried, else the line is
  left out);
* a wildcard (``.*``) that is a whole header line is one header the probes do not record
  (``Connection: close``): left empty, it would end the headers there;
* a status code left open (``\\d\\d\\d``), or taken with the rest of the status line by a
  wildcard (``HTTP/1\\.[01] .*\\r\\n``), is 302 when the line states a Location, 401 when it
  states a WWW-Authenticate challenge, else 200;
* header lines end at the first blank line or at the first line that is no ``Name: value``
  header: there a wildcard of nmap's (``Date: .*\\n``, DOTALL) swallowed the rest of the
  headers and the text after it is the body the device sent. A reason phrase that runs on into
  a ``Name: value`` header or into page text (a word with ``<``, ``=``, ``{``, ``;``, ``:``
  or quotes) ends there, the rest being headers or body; a status line that is none (a
  wildcard swallowed it too) is read as ``200`` with the text after the protocol name as the
  body;
* what the evidence vocabulary cannot hold (a header name a class filler made, such as
  ``-onnection``) is left out.

Entries say which line they come from. Lines whose answer is binary, or for a protocol camsweep
does not probe, are left out.

    python tests/corpus/tools/from_nmap.py --kind camera > tests/corpus/cameras-nmap.yaml.new
    python tests/corpus/tools/from_nmap.py --kind other  > tests/corpus/others-nmap.yaml.new

This is a one-off import: the YAML it wrote is committed (with the header comment kept), and the
benchmark never re-runs it.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from re import _constants as C  # type: ignore[attr-defined]  # noqa: N812
    from re import _parser as P  # type: ignore[attr-defined]  # noqa: N812

import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from scanner.match.matchers import is_known_field  # noqa: E402
from scanner.match.nmapdb import parse_probes  # noqa: E402
from scanner.probe.banner import printable  # noqa: E402
from scanner.probe.http import _REDIRECT_CODES, HttpResponse, _build_result  # noqa: E402
from scanner.probe.http import _Evidence as HttpEvidence  # noqa: E402
from scanner.probe.rtsp import RtspResponse  # noqa: E402
from scanner.probe.rtsp import _Evidence as RtspEvidence  # noqa: E402
from scanner.probe.telnet import clean_text  # noqa: E402
from scanner.probe.volunteered import greeting_fields  # noqa: E402

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


# --- regex -> text ------------------------------------------------------------------------------

_REPEATS = tuple(
    op
    for op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None))
    if op is not None
)
# Fillers of a capture group that held a model or a version (first one the class allows).
_FILLERS = {"model": ("100", "A100", "a100", "AAA", "aaa"), "version": ("1.0", "10", "1")}
_WANTED_RUN = 3


def _in_category(cat: object, ch: str) -> bool:
    name = str(cat)
    if "DIGIT" in name:
        hit = ch.isdigit()
    elif "SPACE" in name:
        hit = ch.isspace()
    elif "WORD" in name:
        hit = ch.isalnum() or ch == "_"
    else:
        hit = ch not in "\r\n"
    return not hit if "NOT" in name else hit


def _accepts(op: object, arg: object, ch: str) -> bool:
    """Whether one single-character item of a parsed regex matches ``ch``."""
    if op is C.LITERAL:
        return ch == chr(arg)  # type: ignore[arg-type]
    if op is C.NOT_LITERAL:
        return ch != chr(arg)  # type: ignore[arg-type]
    if op is C.ANY:
        return ch != "\n"
    if op is C.CATEGORY:
        return _in_category(arg, ch)
    if op is C.IN:
        items: list[tuple[object, object]] = arg  # type: ignore[assignment]
        negate = any(o is C.NEGATE for o, _ in items)
        hit = False
        for o, a in items:
            if o is C.LITERAL:
                hit = hit or ch == chr(a)  # type: ignore[arg-type]
            elif o is C.RANGE:
                low, high = int(a[0]), int(a[1])  # type: ignore[index]
                hit = hit or low <= ord(ch) <= high
            elif o is C.CATEGORY:
                hit = hit or _in_category(a, ch)
        return hit != negate
    return False


def _one_char(op: object, arg: object) -> str:
    """The representative of a single-character item: digits give 1, words a letter."""
    if op is C.LITERAL:
        return chr(arg)  # type: ignore[arg-type]
    if op is C.IN:
        items: list[tuple[object, object]] = arg  # type: ignore[assignment]
        if not any(o is C.NEGATE for o, _ in items):
            for o, a in items:
                if o is C.LITERAL:
                    return chr(a)  # type: ignore[arg-type]
                if o is C.RANGE:
                    low, high = int(a[0]), int(a[1])  # type: ignore[index]
                    for ch in "1aA":
                        if low <= ord(ch) <= high:
                            return ch
                    return chr(low)
                if o is C.CATEGORY:
                    return _category(a)
    if op is C.CATEGORY:
        return _category(arg)
    if op is C.ANY:
        # a lone unescaped dot is nearly always a literal one the line's author meant
        # ("Location: /control/userimage.html", line 8941)
        return "."
    for ch in "xa1 z":
        if _accepts(op, arg, ch):
            return ch
    return "z"


def _category(cat: object) -> str:
    name = str(cat)
    if "NOT" in name:
        return " " if "SPACE" not in name else "x"
    if "DIGIT" in name:
        return "1"
    if "SPACE" in name:
        return " "
    return "a"


def _single(sub: object) -> tuple[object, object] | None:
    items = list(sub)  # type: ignore[call-overload]
    if len(items) == 1 and items[0][0] in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.CATEGORY):
        return items[0]  # type: ignore[no-any-return]
    return None


def _run(role: str, item: tuple[object, object], low: int, high: int) -> str:
    """A plausible filler of a model or version group's repeated class, within its bounds."""
    op, arg = item
    for filler in _FILLERS[role]:
        if low <= len(filler) <= high and all(_accepts(op, arg, ch) for ch in filler):
            return filler
    return _one_char(op, arg) * max(low, min(high, _WANTED_RUN))


def _ends_line(sub: object) -> bool:
    items = list(sub)  # type: ignore[call-overload]
    while items and items[-1][0] in (C.AT, C.ASSERT, C.ASSERT_NOT):
        items.pop()
    if items and items[-1][0] is C.SUBPATTERN:
        return _ends_line(items[-1][1][-1])
    return bool(items) and items[-1][0] is C.LITERAL and items[-1][1] == ord("\n")


_MESSAGE = re.compile(r"\^?(?:HTTP|RTSP)/")
_NEUTRAL_HEADER = "Connection: close"  # probes record no Connection header (scanner/probe/)


def _in_headers(text: str) -> bool:
    """At the start of a header line: after a line end, before any blank line."""
    return text.endswith("\n") and "\n\n" not in text and "\n\r\n" not in text


def _mark(group: int) -> str:
    return f"\ue000{chr(0xE100 + group)}"  # private-use characters no nmap line contains


@dataclass
class _Builder:
    """Turns a parsed regex into text; a model or version group becomes a mark, filled later."""

    roles: dict[int, str]
    message: bool = False  # an HTTP or RTSP answer (header lines matter)
    chosen: dict[int, str] = field(default_factory=dict)  # group -> its text
    role_of: dict[int, str] = field(default_factory=dict)  # group -> "model" | "version"

    def gen(self, parsed: object, role: str | None = None) -> str:
        out: list[str] = []
        items = list(parsed)  # type: ignore[call-overload]
        for index, (op, arg) in enumerate(items):
            if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.CATEGORY):
                out.append(_one_char(op, arg))
            elif op in _REPEATS:
                low, high, sub = arg
                item = _single(sub)
                nxt = items[index + 1] if index + 1 < len(items) else (None, None)
                if (
                    self.message
                    and low == 0
                    and item is not None
                    and nxt[0] is C.LITERAL
                    and nxt[1] in (ord("\r"), ord("\n"))
                    and _in_headers("".join(out))
                    and all(_accepts(*item, ch) for ch in _NEUTRAL_HEADER)
                ):
                    # a wildcard that is a whole header line: empty, it would end the headers
                    # early; a header the probe does not record keeps them going
                    out.append(_NEUTRAL_HEADER)
                elif role is not None and item is not None and high > low:
                    out.append(_run(role, item, low, high))
                elif low == 0 and high > 0 and _ends_line(sub) and not "".join(out).endswith("\n"):
                    # nmap's "any header lines" idiom right after a status line: once, so the
                    # line before it ends (a header never runs on in the status line)
                    out.append(self.gen(sub, role))
                else:
                    out.append(self.gen(sub, role) * low)
            elif op is C.SUBPATTERN:
                group = arg[0]
                if group in self.roles and role is None:
                    inner = self.roles[group]
                    if inner == "model" and _VERSION_BEFORE.search("".join(out)[-16:]):
                        inner = "version"  # the device wrote "V", "ver" or "/" before it
                    self.role_of[group] = inner
                    self.chosen[group] = self.gen(arg[-1], inner)
                    out.append(_mark(group))
                else:
                    out.append(self.gen(arg[-1], role))
            elif op is C.BRANCH:
                out.append(self.gen(arg[1][0], role))
            elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
                continue
            elif op is C.GROUPREF:
                out.append("")
            else:
                raise ValueError(op)
        return "".join(out)

    def fill(self, text: str, chosen: dict[int, str]) -> str:
        for group, value in chosen.items():
            text = text.replace(_mark(group), value)
        return text


def sample(pattern: re.Pattern[str], roles: dict[int, str] | None = None) -> str | None:
    """One text the regex matches: with ``roles`` ({group: "model" | "version"}) those groups
    keep a plausible filler (a whole filler the group matches, else one per repeated class),
    else (or when that text fails the regex) the shortest filler."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = P.parse(pattern.pattern, pattern.flags)
        except (ValueError, TypeError, re.error):
            return None
        for tried in (roles or {}, {}):
            builder = _Builder(tried, message=_MESSAGE.match(pattern.pattern) is not None)
            try:
                template = builder.gen(parsed)
            except (ValueError, TypeError):
                return None
            chosen = dict(builder.chosen)
            for group, role in builder.role_of.items():
                for filler in _FILLERS[role]:
                    found = pattern.search(builder.fill(template, {**chosen, group: filler}))
                    if found is not None and found.group(group) == filler:
                        chosen[group] = filler
                        break
            text = builder.fill(template, chosen)
            if pattern.search(text):
                return text
    return None


# an open status code (111), or none at all where a wildcard took the whole rest of the line
_WILD_STATUS = re.compile(r"^((?:HTTP|RTSP)/[0-9]\.[0-9] )(?:111(?=[ \r\n])|(?=\r\n))")
_LOCATION = re.compile(r"(?im)^location:")
_CHALLENGE = re.compile(r"(?im)^www-authenticate:")


def settle_status(pattern: re.Pattern[str], raw: str) -> str:
    """A status code nmap leaves open (``\\d\\d\\d`` gives 111, no real code) becomes 302
    when the answer states a Location, 401 when it states a challenge, else 200 -- when the
    line still matches."""
    if not _WILD_STATUS.match(raw):
        return raw
    code = "302" if _LOCATION.search(raw) else "401" if _CHALLENGE.search(raw) else "200"
    settled = _WILD_STATUS.sub(lambda m: m.group(1) + code, raw, count=1)
    return settled if pattern.search(settled) else raw


_TEMPLATE = re.compile(r"\s*(cpe:|[pvihod])([/|])(.*?)\2a?")
_VERSION_WORDS = re.compile(r"(?i)(?:firmware|version|ver\.?|fw|build|rev\.?|v)\s*:?\s*$")
# in the regex: a version word, or the slash of a product/version token (RFC 9110 s10.1.5)
_VERSION_BEFORE = re.compile(r"(?i)(?:(?:firmware|version|ver\.?|fw|build|rev\.?|\bv)\s*:?\s*|/)$")


def group_roles(templates: dict[str, str]) -> dict[int, str]:
    """Which capture groups held a model or a version: ``$N`` in the product (p//), version
    (v//) or extra-information (i//) template. A group in i// after a version word (firmware,
    ver, build ...) is a version; a host name (h//) or OS (o//) group is neither."""
    roles: dict[int, str] = {}
    for key in ("v", "i", "p"):
        for found in re.finditer(r"\$([1-9])", templates.get(key, "")):
            group = int(found.group(1))
            before = templates[key][: found.start()]
            version = key == "v" or (key == "i" and _VERSION_WORDS.search(before) is not None)
            roles.setdefault(group, "version" if version else "model")
    return roles


def line_templates(raw_line: str) -> dict[str, str]:
    """The p// v// i// h// o// d// templates of one raw match line of nmap-service-probes."""
    rest = raw_line.split(None, 2)[2] if len(raw_line.split(None, 2)) > 2 else ""
    if len(rest) < 3 or rest[0] != "m":
        return {}
    end = rest.find(rest[1], 2)
    tail = rest[end + 1 :] if end > 0 else ""
    info = tail.partition(" ")[2]
    out: dict[str, str] = {}
    pos = 0
    while pos < len(info):
        found = _TEMPLATE.match(info, pos)
        if found is None:
            break
        out.setdefault(found.group(1), found.group(3))
        pos = found.end()
    return out


# --- text -> evidence, by camsweep's own probes' record functions ------------------------------

_IAC = re.compile("\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)
_HEADER = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*:[ \t]*(.*)")
# a reason phrase is a few plain words (RFC 9112 s4); a word with markup, quotes, CSS or "=",
# or a header name, is where the wildcard's swallowed text resumes
_SWALLOWED = re.compile(
    r"((?:HTTP|RTSP)/[0-9]\.[0-9] -?[0-9]+ (?:[A-Za-z0-9'.,()-]+ )*?)"
    r"(?=[A-Za-z][A-Za-z0-9-]*: |\s*\S*[<=\"\\{};:])"
)
_HEADER_START = re.compile(r"[A-Za-z][A-Za-z0-9-]*: ")
_STATUS_LINE = re.compile(r"(?:HTTP|RTSP)/[0-9]\.[0-9] -?[0-9]+(?: .*)?")
_LINE = re.compile(r"([^\r\n]*)(\r?\n|$)")
# the fields a probe records for every answer whatever it says (and the path, which is "/" for
# nmap's GetRequest but another path for its other probes): they identify nothing
STATUS_ONLY = frozenset({"http.status", "http.auth", "rtsp.auth", "http.path"})


def _printable(text: str) -> bool:
    return sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.9 * max(len(text), 1)


def _message(raw: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body of an HTTP or RTSP answer, read leniently: the headers end
    at a blank line or at the first line that is no header (see the module docstring)."""
    lines = list(_LINE.finditer(raw))
    status = lines[0].group(1) if lines else ""
    swallowed = _SWALLOWED.match(status)
    if swallowed:
        # the reason phrase runs on into a header or into page text: a wildcard swallowed the
        # line end (and, before page text, the headers)
        cut = swallowed.end(1)
        joint = "\r\n" if _HEADER_START.match(raw, cut) else "\r\n\r\n"
        return _message(raw[:cut].rstrip() + joint + raw[cut:])
    if not _STATUS_LINE.fullmatch(status):
        # a wildcard swallowed the status line and the headers: what follows is the body
        proto, _, rest = raw.partition(" ")
        return f"{proto} 200 OK", [], rest.encode("latin-1", "replace")
    headers: list[tuple[str, str]] = []
    body_at = len(raw)
    for found in lines[1:]:
        if not found.group(1).strip():
            body_at = found.end()
            break
        header = _HEADER.fullmatch(found.group(1))
        if header is None:
            body_at = found.start()
            break
        headers.append((header.group(1), header.group(2).strip()))
        if not found.group(2):
            break
    return status, headers, raw[body_at:].encode("latin-1", "replace")


def _status(line: str) -> tuple[int, str]:
    parts = line.split(" ", 2)
    code = parts[1] if len(parts) > 1 else ""
    return (int(code) if code.lstrip("-").isdigit() else 200), (parts[2] if len(parts) > 2 else "")


def _http(raw: str, port: int) -> dict[str, str]:
    status_line, headers, body = _message(raw)
    code, reason = _status(status_line)
    response = HttpResponse(code, reason, tuple(headers), body, False, f"http://127.0.0.1:{port}/")
    ev = HttpEvidence(responses=[response], final=response)
    location = response.get("Location")
    if code in _REDIRECT_CODES and location:
        ev.locations.append(location)
    fields = dict(_build_result(port, False, ev, response).fields)
    fields.pop("http.path", None)
    return _known(fields)


def _known(fields: dict[str, str]) -> dict[str, str]:
    # a header name the evidence vocabulary cannot hold (a class filler made it "-onnection")
    return {name: value for name, value in fields.items() if is_known_field(name)}


def _rtsp(raw: str) -> dict[str, str]:
    status_line, headers, body = _message(raw)
    code, reason = _status(status_line)
    response = RtspResponse(status_line.split(" ", 1)[0], code, reason, tuple(headers), body)
    ev = RtspEvidence()
    ev.record(response)  # nmap's RTSPRequest is an OPTIONS, as the probe's first request
    public = response.get("Public")
    if public:
        ev.fields["rtsp.public"] = public
    return _known(dict(ev.result(554).fields))


_GENERIC = re.compile(r"(?i)^[\s:#>$]*(?:\(none\)\s*)?(?:login|username|user|password)?[\s:#>$]*$")


def fields_for(service: str, raw: str) -> tuple[int, str, dict[str, str]] | None:
    data = _IAC.sub("", raw).encode("latin-1", "replace")
    if _GENERIC.match(raw):
        return None  # nothing a device-specific method could use
    if raw.startswith("HTTP/"):
        return 80, "http", _http(raw, 80)
    if raw.startswith("RTSP/"):
        fields = _rtsp(raw)
        return (554, "rtsp", fields) if fields else None
    text = data.decode("utf-8", "replace")
    if not text.strip() or not _printable(text):
        return None
    if service in ("ftp", "ssh"):
        banner = printable(data)
        if not banner:
            return None
        port = SERVICE_PORTS[service]
        return port, "tcp", {"tcp.banner": banner, **greeting_fields(banner)}
    if service == "telnet":
        cleaned = clean_text(data)
        lines = [line.strip() for line in cleaned.split("\n") if line.strip()]
        if not lines:
            return None
        return 23, "telnet", {"telnet.banner": cleaned.strip(), "telnet.prompt": lines[-1]}
    return None


# Lines nmap files under another device type whose product another public record names a
# camera or recorder: the record that names the device wins over nmap's type field.
CAMERAS_BY_OTHER_RECORDS: tuple[tuple[str, str], ...] = (
    # nmap line 7827 "JVC V.Networks video httpd" (d/media device); Tenable plugin 33523
    # (Network Camera Web Server Detection) lists it as "JVC V.Networks Network Video Recorder"
    (r"JVC V\.Networks", "jvc"),
    # "Panasonic WJ-HD220 ftpd / http config" (lines 1093, 8380, d/media device): the WJ-HD220
    # is Panasonic's digital disk recorder for CCTV (the WJ-HD200 series manuals,
    # https://www.manualslib.com/products/Panasonic-Wj-Hd220-362183.html)
    (r"Panasonic WJ-HD", "ipro"),
    # "VCS AG VideoJet 1000 http config" (line 7981): the VideoJet 1000 is a network video
    # encoder, a line Bosch took over with VCS (Bosch's VideoJet product pages)
    (r"VideoJet", "bosch"),
    # "H264DVR rtspd" (line 11370, d/storage-misc): the record's own product name says DVR
    (r"H264DVR", ""),
    # "QNAP VioStor NVR" (d/storage-misc): QNAP's VioStor line are network video recorders,
    # not NAS boxes (https://www.qnap.com/en/product/series/viostor)
    (r"VioStor", "qnap"),
)


def named_camera_elsewhere(text: str) -> str | None:
    """The vendor of a line another public record names a camera or recorder, else None."""
    for pattern, vendor in CAMERAS_BY_OTHER_RECORDS:
        if re.search(pattern, text):
            return vendor  # "" when the record names no maker
    return None


def status_only(fields: dict[str, str]) -> bool:
    """An answer whose evidence is a status code and nothing the device said."""
    return set(fields) <= STATUS_ONLY


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


HEADERS = {
    "camera": (
        "# Cameras and recorders rebuilt from nmap-service-probes match lines by\n"
        "# tools/from_nmap.py (see its docstring and README.md): the literal text nmap recorded\n"
        "# from real devices, recorded as camsweep's probes record it; vendor named from the\n"
        "# line's product text. Regenerate only on purpose; scored without nmap-db.\n"
    ),
    "other": (
        "# Other devices (printers, routers, access points, NAS, media devices, phones,\n"
        "# conferencing ...) rebuilt from nmap-service-probes match lines by tools/from_nmap.py;\n"
        "# none may be called a camera.\n"
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", default="/usr/share/nmap/nmap-service-probes")
    parser.add_argument("--kind", choices=("camera", "other"), required=True)
    args = parser.parse_args()
    text = Path(args.probes).read_bytes().decode("latin-1")
    raw_lines = text.splitlines()
    lines, _ = parse_probes(text, PROBES)
    devices = []
    empty: list[str] = []
    seen: set[str] = set()
    for line in lines:
        text = f"{line.product}; {line.info}"
        elsewhere = named_camera_elsewhere(text)
        camera = (line.camera or elsewhere is not None) and label_for(text) not in (
            "other",
            "drop",
        )
        moved = line.camera and label_for(text) == "other"
        if label_for(text) == "drop":
            continue
        if args.kind == "camera" and not camera:
            continue
        if args.kind == "other" and not moved and (camera or line.devicetype not in OTHER_TYPES):
            continue
        if line.service not in SERVICE_PORTS:
            continue
        pattern = line.compiled()
        roles = group_roles(line_templates(raw_lines[line.line - 1]))
        raw = sample(pattern, roles) if pattern is not None else None
        if raw is None or pattern is None:
            continue
        raw = settle_status(pattern, raw)
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
        if status_only(fields):
            empty.append(f"nmap-{line.line}")
        devices.append(
            {
                "id": f"nmap-{line.line}",
                "note": f"nmap-service-probes line {line.line}: {product} ({line.devicetype})",
                "source": f"nmap/nmap nmap-service-probes (line {line.line})",
                "expect": {"vendor": label_for(text) or elsewhere or None}
                if args.kind == "camera"
                else {},
                "services": [{"port": port, "protocol": protocol, "fields": fields}],
            }
        )
    sys.stdout.write(HEADERS[args.kind])
    yaml.safe_dump({"devices": devices}, sys.stdout, allow_unicode=True, sort_keys=False, width=200)
    print(
        f"{len(devices)} entries, {len(empty)} of them status only (known-empty): "
        + " ".join(empty),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
