"""nmap's service fingerprints as a second opinion on answers camsweep already holds.

nmap ships ``nmap-service-probes``: for each probe it sends, a list of ``match`` lines (a Perl
regex over the raw answer, then the product ``p//``, device type ``d//`` ...). camsweep never
sends nmap's probes for this; it rebuilds the answer its own probes already received for the same
question (the NULL probe is "what the port said first", GetRequest is ``GET /``, RTSPRequest is
RTSP ``OPTIONS``) and runs the match lines of that probe over it.

The file is read lazily, once per process, and only when present (``.ci/run`` installs nmap;
elsewhere the second opinion is simply absent). Lines whose regex Python cannot compile (Perl-only
syntax) are counted and skipped, never fatal. Each line gets a cheap literal pre-filter so a host
costs a few substring searches, not thousands of regex runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner.match.matchers import nested_quantifier

__all__ = [
    "CAMERA_DEVICE_TYPES",
    "NmapDB",
    "NmapHit",
    "NmapLine",
    "answers_from_fields",
    "default_db",
    "parse_probes",
]

DEFAULT_PATHS = (
    "/usr/share/nmap/nmap-service-probes",
    "/usr/local/share/nmap/nmap-service-probes",
    "/opt/homebrew/share/nmap/nmap-service-probes",
)
# The probes whose answers camsweep already holds.
USED_PROBES = ("NULL", "GetRequest", "RTSPRequest")
# nmap's d// values that mean a camera or recorder (nmap files DVRs under webcam and
# security-misc); the rest of the typed lines are evidence that the port is something else.
CAMERA_DEVICE_TYPES = frozenset({"webcam"})
_CAMERA_WORDS = re.compile(
    r"\b(?:ip ?cam(?:era)?|web ?cam|network camera|camera|dvr|nvr|xvr|video server|"
    r"video encoder|surveillance|cctv|digital sprite|edvr)\b",
    re.IGNORECASE,
)
# nmap files DVRs under "media device" too, beside TV recorders: those words tell them apart.
_TV_WORDS = re.compile(
    r"\b(?:tivo|set[ -]?top|receiver|satellite|dvb|tv|television|media ?center|mediaportal|"
    r"dreambox|enigma|slingbox|hdhomerun|pvrt?|topfield|humax)\b",
    re.IGNORECASE,
)
_WORDY_TYPES = ("", "security-misc", "specialized", "media device")
_MAX_TEXT = 8192  # nmap reads a few KiB of an answer; so do we
_GRAM = 4


@dataclass(frozen=True, slots=True)
class NmapLine:
    probe: str
    service: str
    source: str  # the regex as nmap wrote it, compiled on first use (compiled())
    flags: int
    literal: str  # lower-case text every match must contain ('' = no pre-filter)
    product: str
    devicetype: str
    line: int
    soft: bool
    info: str = ""  # i//: nmap's extra information (often the device behind a generic server)

    @property
    def camera(self) -> bool:
        """Whether this line names a camera or recorder (d/webcam/ or camera words)."""
        return _camera_product(self.devicetype, f"{self.product} {self.info}")

    def compiled(self) -> re.Pattern[str] | None:
        """The compiled regex, or None when Python cannot compile it (then never run)."""
        key = (self.source, self.flags)
        if key not in _COMPILED:
            _COMPILED[key] = _compile(self.source, self.flags)
        return _COMPILED[key]


# Compiling all of nmap's regexes takes about a second; a scan needs the few whose literal
# pre-filter an answer passes, so each is compiled on first use and kept.
_COMPILED: dict[tuple[str, int], re.Pattern[str] | None] = {}


def _compile(source: str, flags: int) -> re.Pattern[str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(source, flags)
    except (re.error, OverflowError, RecursionError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class NmapHit:
    line: NmapLine
    product: str  # p// with $1.. substituted
    port: int | None

    @property
    def camera(self) -> bool:
        return self.line.camera or _camera_product(self.line.devicetype, self.product)


def _camera_product(devicetype: str, product: str) -> bool:
    """d/webcam/, or camera words in the product of an untyped, security or media device line
    (nmap files DVRs as media devices) that names no TV equipment."""
    if devicetype in CAMERA_DEVICE_TYPES:
        return not _TV_WORDS.search(product)
    return (
        devicetype in _WORDY_TYPES
        and bool(_CAMERA_WORDS.search(product))
        and not _TV_WORDS.search(product)
    )


_FIELD = re.compile(r"\s*(cpe:|[pvihod])([/|])(.*?)\2a?")


def _version_info(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        found = _FIELD.match(text, pos)
        if found is None:
            break
        out.setdefault(found.group(1), found.group(3))
        pos = found.end()
    return out


# nmap's idiom for "any header lines": a line class that cannot match the terminator it is
# repeated with, so it has one way to split the text and is safe to run.
_HEADER_LINES = re.compile(r"\(\?:\[\^\\r\\n\][+*]\\r\\n(?:\(\?!\\r\\n\))?\)\*\??")
_ESCAPES = {"r": "\r", "n": "\n", "t": "\t", "0": "\0"}


def _literal(pattern: str) -> str:
    """The longest run of plain text every match must contain, lower-cased; '' when unsure.

    A small scan rather than a regex parser: runs stop at any metacharacter, a character
    followed by a quantifier is not required, and a pattern with alternation at any depth gives
    no pre-filter (a branch may avoid the run)."""
    if "|" in pattern.replace("\\|", ""):
        return ""
    best = ""
    run: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        step = 1
        char: str | None = None
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            step = 2
            if nxt in _ESCAPES:
                char = _ESCAPES[nxt]
            elif not nxt.isalnum():
                char = nxt
        elif c not in "()[]{}*+?.^$":
            char = c
        if i + step < n and pattern[i + step] in "?*{":
            char = None  # optional or repeated: not required
        if char is None:
            if len(run) > len(best):
                best = "".join(run)
            run = []
            if c == "[":
                close = pattern.find("]", i + 2)
                step = (close - i + 1) if close > 0 else step
        else:
            run.append(char)
        i += step
    if len(run) > len(best):
        best = "".join(run)
    # A literal only filters when it is long enough to be rarer than the regex run it saves.
    return best.lower() if len(best) >= 4 else ""


def parse_probes(
    text: str, probes: Sequence[str] = USED_PROBES, *, compile_all: bool = True
) -> tuple[list[NmapLine], int]:
    """The match lines of ``probes`` in an nmap-service-probes text, and how many of them are
    skipped: malformed, able to backtrack catastrophically, or (with ``compile_all``) not
    compilable by Python. Without ``compile_all`` regexes compile on first use instead."""
    lines: list[NmapLine] = []
    skipped = 0
    probe = ""
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith("Probe "):
            parts = raw.split(None, 3)
            probe = parts[2] if len(parts) > 2 else ""
            continue
        if probe not in probes or not raw.startswith(("match ", "softmatch ")):
            continue
        soft = raw.startswith("softmatch ")
        rest = raw.split(None, 1)[1]
        service, _, rest = rest.partition(" ")
        if len(rest) < 3 or rest[0] != "m":
            skipped += 1
            continue
        delim = rest[1]
        end = rest.find(delim, 2)
        if end < 0:
            skipped += 1
            continue
        body = rest[2:end]
        tail = rest[end + 1 :]
        opts, _, info = tail.partition(" ")
        flags = (re.DOTALL if "s" in opts else 0) | (re.IGNORECASE if "i" in opts else 0)
        if nested_quantifier(_HEADER_LINES.sub("X", body)):
            skipped += 1  # could backtrack for minutes on a hostile answer: not run here
            continue
        fields = _version_info(info)
        line = NmapLine(
            probe,
            service,
            body,
            flags,
            _literal(body),
            fields.get("p", ""),
            fields.get("d", ""),
            number,
            soft,
            fields.get("i", ""),
        )
        if compile_all and line.compiled() is None:
            skipped += 1
            continue
        lines.append(line)
    return lines, skipped


def _substitute(template: str, found: re.Match[str]) -> str:
    def group(m: re.Match[str]) -> str:
        try:
            return found.group(int(m.group(1))) or ""
        except (IndexError, ValueError):
            return ""

    text = re.sub(r"\$([0-9])", group, template)
    text = re.sub(r"\$[A-Za-z]+\([^)]*\)", "", text)  # $P(), $SUBST(): helpers we do not run
    return " ".join(text.split())


def _prefilter_keys(lines: Sequence[NmapLine]) -> dict[int, str]:
    """Each literal's rarest 4-character piece: an answer that lacks it cannot match, and a set
    of the answer's pieces answers that in one lookup per line."""
    counts: dict[str, int] = {}
    for line in lines:
        for gram in {line.literal[i : i + _GRAM] for i in range(len(line.literal) - 3)}:
            counts[gram] = counts.get(gram, 0) + 1
    return {
        line.line: min(
            (line.literal[i : i + _GRAM] for i in range(len(line.literal) - 3)),
            key=lambda g: counts[g],
        )
        for line in lines
        if line.literal
    }


@dataclass(frozen=True, eq=False)
class NmapDB:
    """The typed match lines of the probes camsweep can answer, with a literal pre-filter."""

    lines: tuple[NmapLine, ...]
    skipped: int
    path: str = ""
    # each line's pre-filter key (computed when not given; the cache hands it over)
    keys: dict[int, str] | None = field(default=None, repr=False)
    _index: dict[str, tuple[NmapLine, ...]] = field(init=False, repr=False)
    _keys: dict[int, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[NmapLine]] = {p: [] for p in USED_PROBES}
        for line in self.lines:
            index.setdefault(line.probe, []).append(line)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})
        keys = self.keys if self.keys is not None else _prefilter_keys(self.lines)
        object.__setattr__(self, "_keys", keys)

    @classmethod
    def from_text(cls, text: str, path: str = "") -> NmapDB:
        lines, skipped = parse_probes(text, compile_all=False)
        # Only lines that say what kind of device answered are evidence about the device.
        typed = tuple(line for line in lines if line.devicetype or line.camera)
        return cls(typed, skipped, path)

    def uncompilable(self) -> int:
        """How many of the lines Python cannot compile (compiles them all: for reports)."""
        return sum(1 for line in self.lines if line.compiled() is None)

    def by_probe(self, probe: str) -> tuple[NmapLine, ...]:
        return self._index.get(probe, ())

    def match(self, answers: Iterable[tuple[str, int | None, str]]) -> list[NmapHit]:
        """Every line that matches one of ``answers`` ((probe, port, raw text)), at most one hit
        per (answer, service): the first line in file order, as nmap does."""
        hits: list[NmapHit] = []
        for probe, port, raw in answers:
            text = raw[:_MAX_TEXT]
            lowered = text.lower()
            grams = {lowered[i : i + _GRAM] for i in range(len(lowered) - 3)}
            # nmap falls back on the NULL probe's lines for every answer.
            candidates = self.by_probe(probe) + (self.by_probe("NULL") if probe != "NULL" else ())
            for line in candidates:
                if line.literal and (
                    self._keys[line.line] not in grams or line.literal not in lowered
                ):
                    continue
                pattern = line.compiled()
                if pattern is None:
                    continue
                anchored = line.source.startswith("^")
                found = pattern.match(text) if anchored else pattern.search(text)
                if found is None:
                    continue
                hits.append(NmapHit(line, _substitute(line.product, found), port))
                break
        return hits


def _find_file() -> Path | None:
    override = os.environ.get("CAMSWEEP_NMAP_PROBES")
    candidates = [override] if override else list(DEFAULT_PATHS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


_LOAD_LOCK = threading.Lock()


def default_db() -> NmapDB | None:
    """nmap's installed database, parsed on first use and cached; None when nmap is absent.
    Thread-safe: a warm-up thread and the first host share one load."""
    with _LOAD_LOCK:
        return _load_default()


@functools.lru_cache(maxsize=1)
def _load_default() -> NmapDB | None:
    path = _find_file()
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(data).hexdigest()[:16]
    cached = _read_cache(digest, str(path))
    if cached is not None:
        return cached
    db = NmapDB.from_text(data.decode("latin-1"), str(path))
    _write_cache(digest, db)
    return db


# Parsing the file takes about half a second; its parsed lines are kept as JSON (never pickle:
# the cache folder is only as trusted as the user's home) under the file's digest.
_CACHE_FORMAT = 2


def _cache_file(digest: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "camsweep" / f"nmap-service-probes-{_CACHE_FORMAT}-{digest}.json"


def _read_cache(digest: str, path: str) -> NmapDB | None:
    try:
        doc = json.loads(_cache_file(digest).read_text(encoding="utf-8"))
        lines = tuple(
            NmapLine(
                str(p),
                str(sv),
                str(src),
                int(fl),
                str(lit),
                str(pr),
                str(dt),
                int(n),
                bool(so),
                str(info),
            )
            for p, sv, src, fl, lit, pr, dt, n, so, info in doc["lines"]
        )
        keys = {int(k): str(v) for k, v in doc["keys"].items()}
        return NmapDB(lines, int(doc["skipped"]), path, keys)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, unreadable or from another version: parse the file instead


def _write_cache(digest: str, db: NmapDB) -> None:
    target = _cache_file(digest)
    doc = {
        "skipped": db.skipped,
        "keys": db._keys,
        "lines": [
            [
                x.probe,
                x.service,
                x.source,
                x.flags,
                x.literal,
                x.product,
                x.devicetype,
                x.line,
                x.soft,
                x.info,
            ]
            for x in db.lines
        ],
    }
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(doc), encoding="utf-8")
        partial.replace(target)
    except OSError:
        return  # a read-only home: parse again next time


def _latin(text: str) -> str:
    """Device text (decoded as UTF-8 by the probes) back to nmap's byte-per-char view."""
    return text.encode("utf-8", "replace").decode("latin-1")


def _http_answer(fields: Mapping[str, str]) -> str | None:
    status = fields.get("http.status")
    if not status and not fields.get("http.server"):
        return None
    head = [f"HTTP/1.1 {status or '200'} OK"]
    if "http.server" in fields:
        head.append(f"Server: {fields['http.server']}")
    if "http.realm" in fields:
        scheme = "Digest" if fields.get("http.auth") == "digest" else "Basic"
        head.append(f'WWW-Authenticate: {scheme} realm="{fields["http.realm"]}"')
    if "http.location" in fields:
        head.append(f"Location: {fields['http.location']}")
    for name, value in fields.items():
        if name.startswith("http.header."):
            head.append(f"{name[len('http.header.') :].title()}: {value}")
    body = fields.get("http.body", "")
    if not body and fields.get("http.title"):
        body = f"<html><head><title>{fields['http.title']}</title></head></html>"
    return "\r\n".join(head) + "\r\n\r\n" + body


def _rtsp_answer(fields: Mapping[str, str]) -> str | None:
    if not any(k.startswith("rtsp.") for k in fields):
        return None
    head = ["RTSP/1.0 200 OK", "CSeq: 1"]
    if "rtsp.server" in fields:
        head.append(f"Server: {fields['rtsp.server']}")
    if "rtsp.public" in fields:
        head.append(f"Public: {fields['rtsp.public']}")
    return "\r\n".join(head) + "\r\n\r\n"


_GREETINGS = ("ftp.banner", "ssh.banner", "telnet.banner", "tcp.banner")


def answers_from_fields(
    services: Iterable[tuple[int | None, Mapping[str, str]]],
) -> list[tuple[str, int | None, str]]:
    """(probe, port, raw answer) for nmap, rebuilt from the evidence camsweep's probes recorded."""
    out: list[tuple[str, int | None, str]] = []
    for port, fields in services:
        for name in _GREETINGS:
            if fields.get(name):
                text = fields[name]
                if name == "telnet.banner":
                    text = text.strip("\r\n")
                elif not text.endswith("\n"):
                    text += "\r\n"
                out.append(("NULL", port, _latin(text)))
                break
        http = _http_answer(fields)
        if http is not None:
            out.append(("GetRequest", port, _latin(http)))
        rtsp = _rtsp_answer(fields)
        if rtsp is not None:
            out.append(("RTSPRequest", port, _latin(rtsp)))
    return out
