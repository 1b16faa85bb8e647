"""The closed set of matchers (``word``, ``regex``, ``equals``) and the evidence field vocabulary.

Modelled on nuclei's matchers: a few kinds, compiled once at load time, no expression language
(docs/signatures.md). Regexes are checked statically before use because they run on untrusted
device text: a pattern that can backtrack catastrophically would let one hostile banner stall a
scan.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

__all__ = [
    "EXTRACT_GROUPS",
    "FIELDS",
    "Found",
    "MatchKind",
    "Matcher",
    "combine",
    "compile_regex",
    "is_known_field",
    "nested_quantifier",
]

# The evidence vocabulary of docs/architecture.md ("The evidence vocabulary"): a closed set, so a
# typo in a signature (``http.titel``) is an error instead of a fingerprint that never matches.
FIELDS: frozenset[str] = frozenset(
    {
        "rtsp.server",
        "rtsp.public",
        "rtsp.realm",
        "rtsp.auth",
        "rtsp.sdp",
        "http.status",
        "http.server",
        "http.title",
        "http.realm",
        "http.auth",
        "http.body",
        "http.location",
        "http.favicon_md5",
        "telnet.banner",
        "telnet.prompt",
        # What devices volunteer elsewhere (issue 13): greetings of FTP (21) and SSH (22), the
        # certificate of a TLS port, the SDP session name and information, login-form markers.
        "ftp.banner",
        "ssh.banner",
        "tls.subject",
        "tls.issuer",
        "rtsp.sdp_session",
        "rtsp.sdp_info",
        "http.form",
        "tcp.banner",
        "tcp.banner_hex",
        # Discovery and device APIs (docs/architecture.md lists what sets each).
        "mac.oui",
        "mac.vendor",
        "mdns.service_type",
        "mdns.instance",
        "mdns.hostname",
        "ssdp.server",
        "ssdp.st",
        "ssdp.usn",
        "ssdp.device_type",
        "ssdp.friendly_name",
        "ssdp.manufacturer",
        "ssdp.model_name",
        "ssdp.model_number",
        "ssdp.model_description",
        "ssdp.serial",
        "ssdp.firmware",
        "onvif.scopes",
        "onvif.hardware",
        "onvif.name",
        "onvif.location",
        "onvif.types",
        "onvif.xaddrs",
        "onvif.manufacturer",
        "onvif.model",
        "onvif.firmware",
        "onvif.serial",
        "onvif.hardware_id",
        "nmap.service",
        "nmap.product",
        "nmap.version",
        "nmap.extrainfo",
        "nmap.devicetype",
        "nmap.ostype",
        "nmap.cpe",
        # A vendor's own discovery protocol (SADP, DHDiscover, ...; docs/discovery.md); the
        # service's source names the protocol.
        "discovery.protocol",
        "discovery.model",
        "discovery.firmware",
        "discovery.build_date",
        "discovery.serial",
        "discovery.mac",
        "discovery.hardware",
        "discovery.device_class",
        "discovery.manufacturer",
        "discovery.name",
        "discovery.activated",
        "discovery.p2p_id",
        "discovery.ip",
    }
)
# Any other response header, its name in lower case (RFC 9110 section 5.1: names are
# case-insensitive tokens, so the probes fold them); and any mDNS TXT key (RFC 6763 s6.4: keys
# are case-insensitive printable ASCII, folded to lower case by the discoverer).
_HEADER_FIELD = re.compile(
    r"(?:(?:rtsp|http)\.header\.[a-z0-9][a-z0-9!#$%&'*+.^_`|~-]{0,63})"
    r"|(?:mdns\.txt\.[a-z0-9][a-z0-9_.-]{0,63})"
    r"|(?:http\.meta\.(?:generator|author|description|application-name|keywords))"
)

# Named groups a regex may use to extract values; ``build`` is appended to ``firmware`` as
# "<firmware> build <build>" (Hikvision writes the two apart or run together).
EXTRACT_GROUPS: frozenset[str] = frozenset({"model", "firmware", "build"})

_MAX_PATTERN = 1000
# A value longer than this cannot be a banner we care about; matching is bounded by it.
MAX_VALUE_CHARS = 64 * 1024


def is_known_field(name: str) -> bool:
    return name in FIELDS or _HEADER_FIELD.fullmatch(name) is not None


class MatchKind(StrEnum):
    WORD = "word"  # case-insensitive substring
    REGEX = "regex"  # Python re, search semantics, compiled once
    EQUALS = "equals"  # the whole value, exactly


# --- the static regex check ----------------------------------------------------------------------

# [0-9], not \d: re reads only ASCII digits as a repeat count.
_UNBOUNDED_BRACE = re.compile(r"\{\s*[0-9]*\s*,\s*\}")
_BRACE = re.compile(r"\{\s*([0-9]*)\s*(?:,\s*([0-9]*)\s*)?\}")


def _skip_class(pattern: str, i: int) -> int:
    """Index just past the character class that starts at ``pattern[i] == '['``."""
    n = len(pattern)
    i += 1
    if i < n and pattern[i] == "^":
        i += 1
    if i < n and pattern[i] == "]":  # a leading ']' is a literal (re docs, "[]")
        i += 1
    while i < n and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _quantifier_at(pattern: str, i: int) -> tuple[str, int]:
    """('unbounded' | 'repeat' | 'optional' | '', index after it) for the quantifier at ``i``.

    'repeat' is a bounded count above one, such as ``{2,5}``.
    """
    if i >= len(pattern):
        return "", i
    c = pattern[i]
    if c in "*+":
        return "unbounded", i + 1
    if c == "?":
        return "optional", i + 1
    if c == "{":
        brace = _BRACE.match(pattern, i)
        if brace is None:
            return "", i  # a literal '{', as re treats it
        if _UNBOUNDED_BRACE.fullmatch(brace.group(0)):
            return "unbounded", brace.end()
        upper = brace.group(2) if brace.group(2) is not None else brace.group(1)
        kind = "repeat" if upper and int(upper) > 1 else "optional"
        return kind, brace.end()
    return "", i


def _class_can_match(cls: str, ch: str) -> bool:
    """Whether the class text between ``[`` and ``]`` may match ``ch`` (conservative)."""
    if cls.startswith("^"):
        return True
    i, n = 0, len(cls)
    while i < n:
        if cls[i] == "\\":
            esc = cls[i + 1 : i + 2]
            if esc in ("S", "W", "D") or (esc == "w" and ch == "_") or esc == ch:
                return True
            i += 2
            continue
        if i + 2 < n and cls[i + 1] == "-" and cls[i + 2] != "\\":
            if cls[i] <= ch <= cls[i + 2]:
                return True
            i += 3
            continue
        if cls[i] == ch:
            return True
        i += 1
    return False


def _can_match(rest: str, ch: str) -> bool:
    """Whether any part of the pattern text ``rest`` may match the character ``ch``."""
    i, n = 0, len(rest)
    while i < n:
        c = rest[i]
        if c == "\\":
            esc = rest[i + 1 : i + 2]
            if esc in ("S", "W", "D") or (esc == "w" and ch == "_") or esc == ch:
                return True
            i += 2
        elif c == "[":
            end = _skip_class(rest, i)
            if _class_can_match(rest[i + 1 : end - 1], ch):
                return True
            i = end
        elif c in (".", ch):
            return True
        else:
            i += 1
    return False


def _separator_led(body: str) -> bool:
    """True when a repeated group cannot overlap itself: it starts with a punctuation literal
    that nothing else in the group can match, as in ``(?:\\.\\d+)+`` or ``(?:-[A-Z0-9]+)*``.
    Each repetition must then begin at a fresh separator, so there is one way to split the text.
    """
    if body.startswith("?:"):
        body = body[2:]
    elif body.startswith("?P<"):
        body = body[body.find(">") + 1 :]
    elif body.startswith("?"):
        return False  # lookarounds, flags, conditionals: not worth reasoning about
    if not body:
        return False
    if body[0] == "\\" and len(body) > 1 and not body[1].isalnum():
        sep, rest = body[1], body[2:]
    elif not body[0].isalnum() and body[0] not in "\\.[(^$|?*+{ \t":
        sep, rest = body[0], body[1:]
    else:
        return False
    if _quantifier_at(rest, 0)[0] or "|" in rest:
        return False  # the separator itself is optional or repeated, or a branch may skip it
    return not _can_match(rest, sep)


def nested_quantifier(pattern: str) -> bool:
    """A simple static check for catastrophic backtracking: a group repeated by ``*``, ``+`` or
    ``{n,m}`` that itself contains ``*``, ``+`` or ``{n,}``, as in ``(a+)+`` or ``(\\w+\\s?)*``,
    unless the group is led by a separator nothing else in it matches (see ``_separator_led``).
    Alternations with overlapping branches (``(a|a)*``) are not detected.
    """
    n = len(pattern)
    # One frame per open group: (start index, contains an unbounded quantifier).
    stack: list[tuple[int, bool]] = [(0, False)]
    i = 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            kind, i = _quantifier_at(pattern, i)
            if kind == "unbounded":
                stack[-1] = (stack[-1][0], True)
            continue
        if c == "[":
            i = _skip_class(pattern, i)
            kind, i = _quantifier_at(pattern, i)
            if kind == "unbounded":
                stack[-1] = (stack[-1][0], True)
            continue
        if c == "(":
            stack.append((i + 1, False))
            i += 1
            continue
        if c == ")" and len(stack) > 1:
            start, inner = stack.pop()
            body = pattern[start:i]
            kind, i = _quantifier_at(pattern, i + 1)
            if inner and kind in ("unbounded", "repeat") and not _separator_led(body):
                return True
            if inner or kind == "unbounded":
                stack[-1] = (stack[-1][0], True)
            continue
        kind, after = _quantifier_at(pattern, i + 1) if c not in "*+?{" else ("", i + 1)
        if kind == "unbounded":
            stack[-1] = (stack[-1][0], True)
        i = after if kind else i + 1
    return False


def compile_regex(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or a message saying why it is refused."""
    if not pattern:
        return "regex is empty"
    if len(pattern) > _MAX_PATTERN:
        return f"regex is longer than {_MAX_PATTERN} characters"
    if nested_quantifier(pattern):
        return "regex has a nested quantifier that can backtrack catastrophically"
    try:
        with warnings.catch_warnings():
            # re warns (FutureWarning) about patterns whose meaning a later Python will change,
            # such as "[[": refuse them instead of printing a warning at every load.
            warnings.simplefilter("error")
            compiled = re.compile(pattern)
    except Warning as exc:
        return f"regex is ambiguous: {exc}"
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        return f"regex does not compile: {exc}"
    if compiled.search("") is not None:
        return "regex matches the empty string, so it matches everything"
    unknown = sorted(set(compiled.groupindex) - EXTRACT_GROUPS)
    if unknown:
        return f"unknown named group {unknown[0]!r}: use model, firmware or build"
    if "build" in compiled.groupindex and "firmware" not in compiled.groupindex:
        return "named group 'build' needs a 'firmware' group beside it"
    return compiled


@dataclass(frozen=True, slots=True)
class Found:
    """The text a matcher matched and the values its named groups captured."""

    text: str
    groups: dict[str, str]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One test on one evidence field. ``negative`` is applied by the caller (engine)."""

    field: str
    kind: MatchKind
    value: str
    negative: bool = False
    pattern: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)
    line: int = 0

    def __post_init__(self) -> None:
        if self.kind is MatchKind.WORD and self.pattern is None:
            # A compiled, escaped, case-insensitive search gives the matched span for evidence.
            word = re.compile(re.escape(self.value), re.IGNORECASE)
            object.__setattr__(self, "pattern", word)

    def find(self, text: str) -> Found | None:
        """What matched in ``text`` (and the named groups), or None."""
        text = text[:MAX_VALUE_CHARS]
        if self.kind is MatchKind.EQUALS:
            return Found(text, {}) if text == self.value else None
        if self.pattern is None:  # pragma: no cover - words compile above, regexes at load
            return None
        found = self.pattern.search(text)
        if found is None:
            return None
        groups = {k: v for k, v in found.groupdict().items() if v}
        return Found(found.group(0), groups)

    def describe(self) -> str:
        neg = "not " if self.negative else ""
        return f"{self.field} {neg}{self.kind.value} {self.value!r}"


_Hit = TypeVar("_Hit")


def combine(
    matchers: Sequence[Matcher], *, require_all: bool, find: Callable[[Matcher], _Hit | None]
) -> list[tuple[Matcher, _Hit]] | None:
    """The one way a signature's matchers combine (its ``condition``), for fingerprints, OUI
    names and active checks alike: every matcher is asked through ``find``; a ``negative`` one
    passes when it finds nothing; ``require_all`` (``and``) needs every one to pass, otherwise
    (``or``) one is enough, and no matchers at all pass. Returns what the positive matchers
    found, in order, when the condition holds; None when it does not."""
    passed: list[bool] = []
    hits: list[tuple[Matcher, _Hit]] = []
    for matcher in matchers:
        hit = find(matcher)
        if matcher.negative:
            passed.append(hit is None)
            continue
        passed.append(hit is not None)
        if hit is not None:
            hits.append((matcher, hit))
    if matchers and not (all(passed) if require_all else any(passed)):
        return None
    return hits
