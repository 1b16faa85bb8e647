"""Load, validate and merge signature files into a compiled :class:`SignatureSet`.

YAML is composed into nodes (``yaml.compose`` with ``SafeLoader``: no object construction, and every
node keeps its line) and walked by hand into the frozen objects of ``schema.py``. Each problem
becomes a :class:`LintError` ``file:line: message (value)``; the walk never raises on bad input.

Layers: the shipped set (``scanner.signatures``) first, then each user directory in order. A later
layer overrides an earlier one by id (fingerprints, vulnerabilities, vendors, route tables by
vendor, ports by number); its credential pairs and generic routes go *before* the earlier ones, so
what an owner adds is tried first within the attempt budget.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import yaml

from scanner.match.engine import SignatureSet
from scanner.match.errors import LintError, SignatureError
from scanner.match.matchers import FIELDS, Matcher, MatchKind, compile_regex, is_known_field
from scanner.match.schema import (
    GENERIC,
    AffectedRange,
    Check,
    Condition,
    CounterExample,
    CredentialEntry,
    CredentialPair,
    CredentialProtocol,
    Extractor,
    Fingerprint,
    FingerprintExample,
    ModelRule,
    PortInfo,
    RouteTable,
    Safety,
    Source,
    VendorInfo,
    VendorRoutes,
    Vulnerability,
    VulnExample,
    spelling_key,
)
from scanner.match.versions import Version, VersionError, VersionRange, parse_version
from scanner.models import PORT_PROTOCOLS, Confidence, DeviceType, Protocol, Severity

__all__ = ["lint_paths", "load_signatures"]

T = TypeVar("T")

# Bounds on what a signature file may cost to read, whoever wrote it.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 32
MAX_GENERIC_ROUTES = 12  # every generic route is one DESCRIBE per RTSP port: keep it a budget
MAX_TEXT = 2000
MIN_REMEDIATION = 30  # "update firmware" is not a fix an owner can act on

SECTIONS = ("vendors", "fingerprints", "vulnerabilities", "credentials", "ports", "routes")

_ID = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,7}")
# RTSP request-URI path (RFC 2326 section 3.2): printable ASCII, no spaces, rooted.
_ROUTE = re.compile(r"/[!-~]{0,255}")
_METHOD = re.compile(r"[A-Z][A-Z_-]{0,19}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")  # RFC 9110 section 5.1 token
# Methods that only read (RFC 9110 section 9.2.1 "safe"; RFC 2326 section 10 for DESCRIBE).
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DESCRIBE"})
# "unknown": the fingerprint names a vendor but says nothing of the kind of device (a Wi-Fi
# chip maker's MAC prefix is in plugs and cameras alike).
_FINGERPRINT_TYPES = (DeviceType.CAMERA, DeviceType.RECORDER, DeviceType.OTHER, DeviceType.UNKNOWN)

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_SCALAR_TAGS = frozenset(
    {_STR_TAG, _INT_TAG, _FLOAT_TAG, _BOOL_TAG, _NULL_TAG, "tag:yaml.org,2002:timestamp"}
)
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


# --- the node reader ----------------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _show(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        text = str(node.value)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return "a list"


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f", did you mean {close[0]!r}?" if close else ""


class _Reader:
    """Typed access to the nodes of one file; every problem is recorded, nothing raises."""

    def __init__(self, file: str, errors: list[LintError]) -> None:
        self.file = file
        self.errors = errors

    def error(self, where: yaml.Node | int, message: str, value: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.errors.append(LintError(self.file, line, message, value))

    def source(self, node: yaml.Node) -> Source:
        return Source(self.file, _line(node))

    def mapping(
        self,
        node: yaml.Node | None,
        where: str,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> dict[str, yaml.Node] | None:
        if node is None:
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where} must be a mapping", _show(node))
            return None
        allowed = (*required, *optional)
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                self.error(key_node, f"keys in {where} must be strings", _show(key_node))
                continue
            key = str(key_node.value)
            if key in out:
                self.error(key_node, f"duplicate key in {where}", key)
            elif key not in allowed:
                self.error(key_node, f"unknown key in {where}{_suggest(key, allowed)}", key)
            else:
                out[key] = value_node
        for key in required:
            if key not in out:
                self.error(node, f"missing required key in {where}", key)
        # Returned even when keys are missing, so the keys that are there get checked too; the
        # caller sees the missing-key errors in its error count.
        return out

    def seq(self, node: yaml.Node | None, what: str) -> list[yaml.Node] | None:
        if node is None:
            return None
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list", _show(node))
            return None
        return list(node.value)

    def string(self, node: yaml.Node | None, what: str, *, empty: bool = False) -> str | None:
        if node is None:
            return None
        # Plain scalars are taken as written, so `password: 12345` or `max: 5.4` stay the text
        # the author typed instead of becoming numbers (YAML 1.1 would make them int/float).
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _SCALAR_TAGS:
            self.error(node, f"{what} must be a string", _show(node))
            return None
        if node.tag == _NULL_TAG and node.style is None:
            self.error(node, f'{what} must be a string, not empty (write "" for none)', "null")
            return None
        text = str(node.value)
        if not empty and not text.strip():
            self.error(node, f"{what} must not be empty", repr(text))
            return None
        if len(text) > MAX_TEXT:
            self.error(node, f"{what} is longer than {MAX_TEXT} characters", _show(node))
            return None
        return text

    def integer(self, node: yaml.Node | None, what: str, low: int, high: int) -> int | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT_TAG:
            self.error(node, f"{what} must be an integer", _show(node))
            return None
        text = str(node.value)
        if not re.fullmatch(r"[0-9]{1,9}", text):
            self.error(node, f"{what} must be a plain decimal integer", text)
            return None
        number = int(text)
        if not low <= number <= high:
            self.error(node, f"{what} must be between {low} and {high}", text)
            return None
        return number

    def number(self, node: yaml.Node | None, what: str, low: float, high: float) -> float | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_INT_TAG, _FLOAT_TAG):
            self.error(node, f"{what} must be a number", _show(node))
            return None
        text = str(node.value)
        if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{1,3})?", text):
            self.error(node, f"{what} must be a plain decimal number", text)
            return None
        value = float(text)
        if not low <= value <= high:
            self.error(node, f"{what} must be between {low:g} and {high:g}", text)
            return None
        return value

    def boolean(self, node: yaml.Node | None, what: str) -> bool | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL_TAG:
            self.error(node, f"{what} must be true or false", _show(node))
            return None
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def choice(self, node: yaml.Node | None, what: str, choices: Sequence[str]) -> str | None:
        text = self.string(node, what)
        if text is None or node is None:
            return None
        if text not in choices:
            self.error(node, f"{what} must be one of {', '.join(choices)}", text)
            return None
        return text

    def items(
        self, node: yaml.Node | None, what: str, parse: Callable[[yaml.Node], T | None]
    ) -> list[T]:
        if node is None:
            return []
        nodes = self.seq(node, what)
        out: list[T] = []
        for item in nodes or ():
            parsed = parse(item)
            if parsed is not None:
                out.append(parsed)
        return out

    def strings(self, node: yaml.Node | None, what: str) -> list[str]:
        return self.items(node, what, lambda n: self.string(n, f"each entry of {what}"))

    def url(self, node: yaml.Node | None, what: str) -> str | None:
        text = self.string(node, what)
        if text is None or node is None:
            return None
        parts = urlsplit(text)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(ch.isspace() for ch in text)
        ):
            self.error(node, f"{what} must be an http(s) URL", text)
            return None
        return text

    def regex(self, node: yaml.Node | None, what: str) -> re.Pattern[str] | None:
        text = self.string(node, what)
        if text is None or node is None:
            return None
        compiled = compile_regex(text)
        if isinstance(compiled, str):
            self.error(node, compiled, text)
            return None
        return compiled


# --- composing files ----------------------------------------------------------------------------


@dataclass
class _File:
    reader: _Reader
    sections: dict[str, yaml.Node]


def _check_tree(root: yaml.Node, reader: _Reader) -> bool:
    """Refuse aliases, unknown tags and huge or deep trees before the typed walk.

    The composer hands back the *same* node object for every alias of an anchor, so a node seen
    twice is an alias; refusing them keeps the walk linear ("billion laughs" stays small).
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    ok = True
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            reader.error(node, "anchors and aliases are not supported", _show(node))
            return False
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            reader.error(node, f"file has more than {MAX_NODES} YAML nodes", "")
            return False
        if depth > MAX_DEPTH:
            reader.error(node, f"nesting is deeper than {MAX_DEPTH} levels", _show(node))
            return False
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                reader.error(node, "unsupported YAML tag", str(node.tag))
                ok = False
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                reader.error(node, "unsupported YAML tag", str(node.tag))
                ok = False
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                reader.error(node, "unsupported YAML tag", str(node.tag))
                ok = False
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
    return ok


def _compose(name: str, data: bytes, errors: list[LintError]) -> _File | None:
    reader = _Reader(name, errors)
    if len(data) > MAX_FILE_BYTES:
        reader.error(0, f"file is larger than {MAX_FILE_BYTES} bytes", str(len(data)))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reader.error(line, "file is not valid UTF-8", data[exc.start : exc.start + 4].hex())
        return None
    try:
        if _refuse_anchors(text, reader):
            return None
        root = _compose_tree(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        reader.error(line, f"YAML syntax error: {exc.problem or exc.context}", _near(text, line))
        return None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        position = int(getattr(exc, "position", 0) or 0)
        line = text[:position].count("\n") + 1
        reader.error(line, "YAML error: a character YAML does not allow", str(exc)[:80])
        return None
    except RecursionError:
        reader.error(0, "YAML nesting is too deep", "")
        return None
    if root is None:
        reader.error(1, "file is empty", f"{len(data)} bytes")
        return None
    if not _check_tree(root, reader):
        return None
    sections = reader.mapping(root, "a signature file", optional=SECTIONS)
    if sections is None:
        return None
    return _File(reader, sections)


# libyaml's composer is several times faster than the pure-Python one on the shipped set, which
# every command loads; the pure-Python one stays the reference for what an error says.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _compose_tree(text: str) -> yaml.Node | None:
    """The node tree of ``text``; on any YAML error, the pure-Python composer's error."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # re-read below, so messages and lines do not depend on libyaml being there
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _refuse_anchors(text: str, reader: _Reader) -> bool:
    """Report every anchor and alias where it is written; True if there was any.

    Aliases would let a few lines expand into a huge tree ("billion laughs"), and signature
    files are short enough to write out. The event scan only runs when the text could hold one.
    """
    if "&" not in text and "*" not in text:
        return False
    events: list[yaml.Event] = []
    if _FAST_LOADER is not None:
        try:
            events = list(yaml.parse(text, Loader=_FAST_LOADER))
        except yaml.YAMLError:
            events = []  # the pure-Python parse below raises the reference error
    if not events:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    found = False
    for event in events:
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            sigil = "*" if isinstance(event, yaml.AliasEvent) else "&"
            mark = event.start_mark
            line = int(mark.line) + 1 if mark is not None else 0
            reader.error(line, "anchors and aliases are not supported", f"{sigil}{anchor}")
            found = True
    return found


def _keys(m: dict[str, yaml.Node]) -> str:
    return ", ".join(m) or "{}"


def _near(text: str, line: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        snippet = lines[line - 1].strip()
        return snippet if len(snippet) <= 80 else snippet[:77] + "..."
    return ""


# --- the layer: what a set of files defines -----------------------------------------------------


@dataclass
class _Layer:
    vendors: list[VendorInfo] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    credentials: list[CredentialEntry] = field(default_factory=list)
    ports: list[PortInfo] = field(default_factory=list)
    generic_routes: list[str] = field(default_factory=list)
    vendor_routes: list[VendorRoutes] = field(default_factory=list)


def _reachable(
    r: _Reader,
    matchers: Sequence[Matcher],
    extract: Sequence[Extractor],
    examples: Sequence[FingerprintExample],
    counters: Sequence[CounterExample],
) -> bool:
    """Every matcher and extract regex must be shown to work by the fingerprint's own examples.

    A pattern that no example reaches is either unreachable (``^AXIS$ver``, a typo in a literal)
    or untested; both are refused, as recog refuses fingerprints whose examples do not exercise
    them. A positive matcher must match a value of some example, a negative one a value of some
    counter-example (the case it exists to exclude), an extract regex a value of some example.
    """
    ok = True
    for matcher in matchers:
        cases: Sequence[FingerprintExample | CounterExample] = (
            counters if matcher.negative else examples
        )
        if not any(
            name == matcher.field and matcher.find(value) is not None
            for case in cases
            for name, value in case.fields
        ):
            which = "counter-example" if matcher.negative else "example"
            r.error(
                matcher.line,
                f"matcher is reached by no {which}: add one it matches (an unreachable or "
                "untested pattern is refused)",
                matcher.describe(),
            )
            ok = False
    for extractor in extract:
        if not any(
            name == extractor.field and extractor.pattern.search(value) is not None
            for case in examples
            for name, value in case.fields
        ):
            r.error(
                extractor.line,
                "extract regex is reached by no example: add one it extracts from",
                extractor.value,
            )
            ok = False
    return ok


class _Parser:
    """Walks the sections of one layer's files, with what earlier layers define in view."""

    def __init__(self, base: _Layer | None) -> None:
        self.base = base or _Layer()
        self.layer = _Layer()
        self.vendor_ids: set[str] = {v.id for v in self.base.vendors}
        self.families: dict[str, str | None] = {v.id: v.family for v in self.base.vendors}
        self.spellings: dict[str, str] = {}  # spelling key -> vendor id (for suggestions)
        for vendor in self.base.vendors:
            self._remember_spellings(vendor)
        self.fingerprint_ids: set[str] = {f.id for f in self.base.fingerprints}
        # Each CVE id belongs to one entry (and so one vendor): the same CVE filed twice is how
        # scanners end up reporting a flaw under the wrong maker.
        self.cve_owner: dict[str, tuple[str, Source]] = {
            cve: (v.id, v.source) for v in self.base.vulnerabilities for cve in v.cves
        }
        self._first: dict[tuple[str, str], Source] = {}

    def _remember_spellings(self, vendor: VendorInfo) -> None:
        for spelling in (vendor.id, vendor.name, *vendor.aliases):
            self.spellings.setdefault(spelling_key(spelling), vendor.id)

    def _unique(self, r: _Reader, node: yaml.Node, kind: str, key: str) -> bool:
        """First definition of ``key`` in this layer? Duplicates across layers are overrides."""
        first = self._first.get((kind, key))
        if first is not None:
            r.error(node, f"duplicate {kind}, first defined at {first}", key)
            return False
        self._first[(kind, key)] = r.source(node)
        return True

    def vendor_ref(self, r: _Reader, node: yaml.Node | None, what: str = "vendor") -> str | None:
        text = r.string(node, what)
        if text is None or node is None:
            return None
        if text == GENERIC or text in self.vendor_ids:
            return text
        known = self.spellings.get(spelling_key(text))
        if known is not None:
            r.error(node, f"unknown {what} spelling, write {known!r}", text)
        else:
            hint = _suggest(text, sorted(self.vendor_ids))
            r.error(node, f"unknown {what}: add it to vendors.yaml{hint}", text)
        return None

    # vendors ------------------------------------------------------------------------------------

    def vendor(self, r: _Reader, node: yaml.Node) -> VendorInfo | None:
        n0 = len(r.errors)
        m = r.mapping(node, "vendor", ("id", "name"), ("aliases", "family", "description"))
        if m is None:
            return None
        vid = r.string(m.get("id"), "id")
        if vid is not None and (not _ID.fullmatch(vid) or vid == GENERIC):
            r.error(
                m["id"],
                "vendor id must be lower-case letters, digits and '-', and not 'generic'",
                vid,
            )
        name = r.string(m.get("name"), "name")
        aliases = r.strings(m.get("aliases"), "aliases")
        family = self.family_ref(r, m.get("family"), vid) if "family" in m else None
        if "description" in m:
            r.string(m.get("description"), "description")
        if len(r.errors) > n0 or vid is None or name is None:
            return None
        if not self._unique(r, m["id"], "vendor id", vid):
            return None
        vendor = VendorInfo(vid, name, tuple(aliases), r.source(node), family)
        for spelling in (name, *aliases):
            if not spelling_key(spelling):
                r.error(node, "a vendor spelling needs letters or digits", spelling)
                return None
            owner = self.spellings.get(spelling_key(spelling))
            if owner is not None and owner != vid:
                r.error(node, f"vendor spelling already belongs to {owner!r}", spelling)
                return None
        self.vendor_ids.add(vid)
        self.families[vid] = family
        self._remember_spellings(vendor)
        return vendor

    def family_ref(self, r: _Reader, node: yaml.Node | None, vid: str | None) -> str | None:
        """The OEM family a vendor belongs to: an earlier vendor id that has no family itself
        (one level, so data, credentials and routes never chase a chain or a cycle)."""
        family = r.string(node, "family")
        if family is None or node is None:
            return None
        if family == vid:
            r.error(node, "a vendor cannot be its own family", family)
        elif family not in self.vendor_ids:
            hint = _suggest(family, sorted(self.vendor_ids))
            r.error(node, f"family must be a vendor id defined before this one{hint}", family)
        elif self.families.get(family) is not None:
            r.error(
                node,
                f"family {family!r} belongs to {self.families[family]!r}: name that one",
                family,
            )
        else:
            return family
        return None

    # fingerprints -------------------------------------------------------------------------------

    def matcher(self, r: _Reader, node: yaml.Node, fields_prefix: str = "") -> Matcher | None:
        m = r.mapping(node, "matcher", ("field",), ("word", "regex", "equals", "negative"))
        if m is None:
            return None
        kinds = [k for k in ("word", "regex", "equals") if k in m]
        if len(kinds) != 1:
            r.error(
                node,
                "a matcher needs exactly one of word, regex, equals",
                ", ".join(kinds) or "none",
            )
            return None
        name = self.field_name(r, m.get("field"))
        if name is not None and fields_prefix and not name.startswith(fields_prefix):
            r.error(
                m["field"],
                f"a {fields_prefix[:-1]} check can only match {fields_prefix}* fields",
                name,
            )
            name = None
        kind = MatchKind(kinds[0])
        value = r.string(m[kind.value], kind.value)
        pattern = r.regex(m[kind.value], "regex") if kind is MatchKind.REGEX else None
        negative = r.boolean(m.get("negative"), "negative") if "negative" in m else False
        if name is None or value is None or negative is None:
            return None
        if kind is MatchKind.REGEX and pattern is None:
            return None
        return Matcher(name, kind, value, negative, pattern, _line(node))

    def field_name(self, r: _Reader, node: yaml.Node | None) -> str | None:
        name = r.string(node, "field")
        if name is None or node is None:
            return None
        if not is_known_field(name):
            r.error(node, f"unknown evidence field{_suggest(name, sorted(FIELDS))}", name)
            return None
        return name

    def ports(self, r: _Reader, node: yaml.Node | None) -> list[int]:
        out: list[int] = []
        items = r.seq(node, "ports") if node is not None else None
        for item in items or ():
            port = r.integer(item, "port", 1, 65535)
            if port is not None and port in out:
                r.error(item, "duplicate port", str(port))
            elif port is not None:
                out.append(port)
        return out

    def evidence(self, r: _Reader, node: yaml.Node) -> tuple[tuple[str, str], ...] | None:
        if not isinstance(node, yaml.MappingNode):
            r.error(node, "fields must be a mapping of field: value", _show(node))
            return None
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        ok = True
        for key_node, value_node in node.value:
            name = self.field_name(r, key_node)
            value = r.string(value_node, "a field value", empty=True)
            if name is not None and name in seen:
                r.error(key_node, "duplicate key in fields", name)
                ok = False
            elif name is None or value is None:
                ok = False
            else:
                seen.add(name)
                out.append((name, value))
        return tuple(out) if ok else None

    def example(self, r: _Reader, node: yaml.Node) -> FingerprintExample | None:
        n0 = len(r.errors)
        m = r.mapping(node, "example", ("expect",), ("fields", "ports", "note"))
        if m is None:
            return None
        fields = self.evidence(r, m["fields"]) if "fields" in m else ()
        ports = self.ports(r, m.get("ports"))
        if "note" in m:
            r.string(m.get("note"), "note")
        e = r.mapping(m.get("expect"), "expect", ("vendor", "device_type"), ("model", "firmware"))
        if e is None or fields is None or len(r.errors) > n0:
            return None
        if not fields and not ports:
            r.error(node, "an example needs fields or ports", _keys(m))
            return None
        vendor = self.vendor_ref(r, e.get("vendor"), "vendor")
        dtype = r.choice(e.get("device_type"), "device_type", [t.value for t in DeviceType])
        model = r.string(e.get("model"), "model") if "model" in e else None
        firmware = r.string(e.get("firmware"), "firmware") if "firmware" in e else None
        if vendor is None or dtype is None or len(r.errors) > n0:
            return None
        return FingerprintExample(
            fields, tuple(ports), vendor, DeviceType(dtype), model, firmware, _line(node)
        )

    def counter_example(self, r: _Reader, node: yaml.Node) -> CounterExample | None:
        n0 = len(r.errors)
        m = r.mapping(node, "counter-example", (), ("fields", "ports", "note"))
        if m is None:
            return None
        fields = self.evidence(r, m["fields"]) if "fields" in m else ()
        ports = self.ports(r, m.get("ports"))
        if "note" in m:
            r.string(m.get("note"), "note")
        if fields is None or len(r.errors) > n0:
            return None
        if not fields and not ports:
            r.error(node, "a counter-example needs fields or ports", _keys(m))
            return None
        return CounterExample(fields, tuple(ports), _line(node))

    def extractor(self, r: _Reader, node: yaml.Node) -> Extractor | None:
        m = r.mapping(node, "extract", ("field", "regex"))
        if m is None:
            return None
        name = self.field_name(r, m.get("field"))
        pattern = r.regex(m.get("regex"), "regex")
        if name is None or pattern is None:
            return None
        if not {"model", "firmware"} & set(pattern.groupindex):
            r.error(
                m["regex"],
                "an extract regex needs a named group model or firmware",
                pattern.pattern,
            )
            return None
        return Extractor(name, pattern.pattern, pattern, _line(node))

    def fingerprint(self, r: _Reader, node: yaml.Node) -> Fingerprint | None:
        n0 = len(r.errors)
        m = r.mapping(
            node,
            "fingerprint",
            ("id", "vendor", "device_type", "examples"),
            ("description", "weight", "condition", "match", "ports", "extract", "counter_examples"),
        )
        if m is None:
            return None
        fid = r.string(m.get("id"), "id")
        if fid is not None and not _ID.fullmatch(fid):
            r.error(m["id"], "id must be lower-case letters, digits, '-' and '.'", fid)
        vendor = self.vendor_ref(r, m.get("vendor"))
        dtype = r.choice(m.get("device_type"), "device_type", [t.value for t in _FINGERPRINT_TYPES])
        weight = r.integer(m.get("weight"), "weight", 1, 100) if "weight" in m else 50
        cond = (
            r.choice(m.get("condition"), "condition", [c.value for c in Condition])
            if "condition" in m
            else Condition.AND.value
        )
        matchers = r.items(m.get("match"), "match", lambda n: self.matcher(r, n))
        ports = self.ports(r, m.get("ports"))
        extract = r.items(m.get("extract"), "extract", lambda n: self.extractor(r, n))
        examples = r.items(m.get("examples"), "examples", lambda n: self.example(r, n))
        counters = r.items(
            m.get("counter_examples"), "counter_examples", lambda n: self.counter_example(r, n)
        )
        description = r.string(m.get("description"), "description") if "description" in m else ""
        if (
            len(r.errors) > n0
            or fid is None
            or vendor is None
            or dtype is None
            or weight is None
            or cond is None
            or description is None
        ):
            return None
        if not any(not x.negative for x in matchers) and not ports:
            r.error(node, "a fingerprint needs a positive matcher or a ports requirement", fid)
            return None
        if cond == Condition.OR.value:
            for matcher in matchers:
                if matcher.negative:
                    # Under "or", a negative matcher passes on any host that lacks the field,
                    # so the fingerprint would match nearly everything.
                    r.error(
                        matcher.line, "negative matchers need condition: and", matcher.describe()
                    )
                    return None
        if not examples:
            r.error(m["examples"], "a fingerprint needs at least one example", fid)
            return None
        if not _reachable(r, matchers, extract, examples, counters):
            return None
        if not self._unique(r, m["id"], "fingerprint id", fid):
            return None
        self.fingerprint_ids.add(fid)
        return Fingerprint(
            id=fid,
            vendor=vendor,
            device_type=DeviceType(dtype),
            weight=weight,
            condition=Condition(cond),
            matchers=tuple(matchers),
            ports=tuple(ports),
            extract=tuple(extract),
            examples=tuple(examples),
            counter_examples=tuple(counters),
            description=description,
            source=r.source(node),
        )

    # vulnerabilities ----------------------------------------------------------------------------

    def fingerprint_refs(self, r: _Reader, node: yaml.Node | None) -> list[str]:
        out: list[str] = []
        for item in r.seq(node, "fingerprints") or () if node is not None else ():
            fid = r.string(item, "fingerprint id")
            if fid is not None and fid not in self.fingerprint_ids:
                r.error(item, "unknown fingerprint id", fid)
            elif fid is not None:
                out.append(fid)
        return out

    def model_rule(self, r: _Reader, node: yaml.Node) -> ModelRule | None:
        if isinstance(node, yaml.MappingNode):
            m = r.mapping(node, "model rule", ("regex",))
            if m is None:
                return None
            pattern = r.regex(m.get("regex"), "regex")
            return ModelRule(pattern.pattern, pattern) if pattern is not None else None
        text = r.string(node, "model")
        return ModelRule(text) if text is not None else None

    def version(self, r: _Reader, node: yaml.Node, what: str) -> Version | None:
        text = r.string(node, what)
        if text is None:
            return None
        try:
            return parse_version(text)
        except VersionError:
            r.error(node, f"{what} is not a version this parser understands", text)
            return None

    def affected(self, r: _Reader, node: yaml.Node) -> AffectedRange | None:
        n0 = len(r.errors)
        m = r.mapping(
            node,
            "affected range",
            (),
            ("introduced", "min", "fixed", "max", "build_before", "models", "note"),
        )
        if m is None:
            return None
        if "introduced" in m and "min" in m:
            r.error(node, "use either introduced or min, not both", "introduced, min")
        if "fixed" in m and "max" in m:
            r.error(node, "use either fixed or max, not both", "fixed, max")
        low_key = "introduced" if "introduced" in m else "min"
        high_key = "fixed" if "fixed" in m else "max"
        lower = self.version(r, m[low_key], low_key) if low_key in m else None
        upper = self.version(r, m[high_key], high_key) if high_key in m else None
        build_before = (
            r.integer(m.get("build_before"), "build_before", 1, 999_999_999)
            if "build_before" in m
            else None
        )
        models = r.items(m.get("models"), "models", lambda n: self.model_rule(r, n))
        if "note" in m:
            r.string(m.get("note"), "note")
        if low_key not in m and high_key not in m and "build_before" not in m:
            r.error(node, "a range needs a lower or an upper bound", _keys(m))
        if len(r.errors) > n0:
            return None
        if (
            lower is not None
            and upper is not None
            and (lower > upper or (lower == upper and high_key == "fixed"))
        ):
            r.error(
                node,
                "range is empty: the lower bound is not below the upper bound",
                f"{lower.text} .. {upper.text}",
            )
            return None
        span = VersionRange(
            lower, upper, upper_inclusive=high_key == "max", build_before=build_before
        )
        return AffectedRange(span, tuple(models), _line(node))

    def check(self, r: _Reader, node: yaml.Node) -> Check | None:
        n0 = len(r.errors)
        m = r.mapping(
            node, "check", ("protocol", "path", "match"), ("method", "headers", "condition", "note")
        )
        if m is None:
            return None
        proto = r.choice(m.get("protocol"), "protocol", [p.value for p in Protocol])
        prefix = {"https": "http."}.get(proto or "", f"{proto}.")
        path = r.string(m.get("path"), "path")
        if path is not None and not _ROUTE.fullmatch(path):
            r.error(
                m["path"], "path must start with '/' and be printable ASCII without spaces", path
            )
        method = r.string(m.get("method"), "method") if "method" in m else "GET"
        if method is not None and not _METHOD.fullmatch(method):
            r.error(m["method"], "method must be an upper-case token such as GET", method)
        headers: list[tuple[str, str]] = []
        if "headers" in m:
            hm = m["headers"]
            if not isinstance(hm, yaml.MappingNode):
                r.error(hm, "headers must be a mapping", _show(hm))
            else:
                for key_node, value_node in hm.value:
                    key = r.string(key_node, "header name")
                    value = r.string(value_node, "header value", empty=True)
                    if key is not None and not _HEADER_NAME.fullmatch(key):
                        r.error(key_node, "header name must be an HTTP token", key)
                    elif key is not None and value is not None:
                        headers.append((key, value))
        cond = (
            r.choice(m.get("condition"), "condition", [c.value for c in Condition])
            if "condition" in m
            else Condition.AND.value
        )
        matchers = r.items(
            m.get("match"), "match", lambda n: self.matcher(r, n, prefix if proto else "")
        )
        if "note" in m:
            r.string(m.get("note"), "note")
        if len(r.errors) > n0 or proto is None or path is None or method is None or cond is None:
            return None
        if not any(not x.negative for x in matchers):
            r.error(m["match"], "a check needs a positive matcher", _show(m["match"]))
            return None
        return Check(
            Protocol(proto),
            method,
            path,
            tuple(headers),
            tuple(matchers),
            Condition(cond),
            _line(node),
        )

    def vuln_example(self, r: _Reader, node: yaml.Node) -> VulnExample | None:
        n0 = len(r.errors)
        m = r.mapping(node, "example", ("affected",), ("firmware", "model", "fingerprints", "note"))
        if m is None:
            return None
        firmware = r.string(m.get("firmware"), "firmware") if "firmware" in m else None
        model = r.string(m.get("model"), "model") if "model" in m else None
        fps = self.fingerprint_refs(r, m.get("fingerprints"))
        affected = r.boolean(m.get("affected"), "affected")
        if "note" in m:
            r.string(m.get("note"), "note")
        if len(r.errors) > n0 or affected is None:
            return None
        return VulnExample(firmware, model, tuple(fps), affected, _line(node))

    def vulnerability(self, r: _Reader, node: yaml.Node) -> Vulnerability | None:
        n0 = len(r.errors)
        m = r.mapping(
            node,
            "vulnerability",
            ("id", "title", "vendor", "severity", "remediation", "references", "safety"),
            (
                "description",
                "cves",
                "cvss",
                "confidence",
                "unverified",
                "models",
                "affected",
                "fingerprints",
                "check",
                "examples",
            ),
        )
        if m is None:
            return None
        vid = r.string(m.get("id"), "id")
        vendor = self.vendor_ref(r, m.get("vendor"))
        if vid is not None and not _ID.fullmatch(vid):
            r.error(m["id"], "id must be lower-case letters, digits, '-' and '.'", vid)
        elif vid is not None and vendor is not None and not vid.startswith(vendor + "-"):
            # The id names the vendor (architecture.md "Finding ids"), so a CVE filed under the
            # wrong vendor shows in review.
            r.error(m["id"], f"vulnerability id must start with its vendor: '{vendor}-...'", vid)
        title = r.string(m.get("title"), "title")
        severity = r.choice(m.get("severity"), "severity", [s.value for s in Severity])
        remediation = r.string(m.get("remediation"), "remediation")
        references = r.items(m.get("references"), "references", lambda n: r.url(n, "reference"))
        refs_node = m.get("references")
        if isinstance(refs_node, yaml.SequenceNode) and not refs_node.value:
            r.error(refs_node, "a vulnerability needs at least one reference", "[]")
        if remediation is not None and len(remediation.strip()) < MIN_REMEDIATION:
            r.error(
                m["remediation"],
                "remediation must be concrete: which firmware fixes it, where to get it, what to "
                f"turn off until then (at least {MIN_REMEDIATION} characters)",
                remediation,
            )
        safety = r.choice(m.get("safety"), "safety", [s.value for s in Safety])
        cves: list[str] = []
        for cve_node in r.seq(m.get("cves"), "cves") or () if "cves" in m else ():
            cve = r.string(cve_node, "CVE id")
            if cve is not None and not _CVE.fullmatch(cve):
                r.error(cve_node, "CVE id must look like CVE-2017-7921", cve)
            elif cve is not None and cve in cves:
                r.error(cve_node, "duplicate CVE id", cve)
            elif cve is not None:
                cves.append(cve)
        cvss = r.number(m.get("cvss"), "cvss", 0.0, 10.0) if "cvss" in m else None
        confidence = (
            r.choice(m.get("confidence"), "confidence", [c.value for c in Confidence])
            if "confidence" in m
            else Confidence.INFERRED.value
        )
        unverified = r.boolean(m.get("unverified"), "unverified") if "unverified" in m else False
        models = r.items(m.get("models"), "models", lambda n: self.model_rule(r, n))
        affected = r.items(m.get("affected"), "affected", lambda n: self.affected(r, n))
        fps = self.fingerprint_refs(r, m.get("fingerprints"))
        check = self.check(r, m["check"]) if "check" in m else None
        examples = r.items(m.get("examples"), "examples", lambda n: self.vuln_example(r, n))
        description = r.string(m.get("description"), "description") if "description" in m else ""
        if (
            len(r.errors) > n0
            or vid is None
            or vendor is None
            or title is None
            or severity is None
            or remediation is None
            or safety is None
            or confidence is None
            or unverified is None
            or description is None
        ):
            return None
        if not affected and not fps:
            r.error(node, "a vulnerability needs affected version ranges or fingerprints", vid)
            return None
        if vendor == GENERIC and not fps:
            r.error(node, "a generic vulnerability needs fingerprints: versions need a vendor", vid)
            return None
        if confidence == Confidence.CONFIRMED.value:
            r.error(
                m["confidence"], "confirmed is reserved for findings proven on the wire", confidence
            )
            return None
        if affected and confidence != Confidence.INFERRED.value:
            r.error(
                m["confidence"],
                "a version-range match can only yield inferred confidence",
                confidence,
            )
            return None
        if "check" in m and check is None:
            return None
        if check is None and safety != Safety.PASSIVE.value:
            r.error(
                m["safety"],
                "an entry without a check sends nothing: safety must be passive",
                safety,
            )
            return None
        if check is not None and safety == Safety.PASSIVE.value:
            r.error(
                m["safety"],
                "an entry with a check sends a request: safety must be safe or intrusive",
                safety,
            )
            return None
        if (
            check is not None
            and check.method not in _READ_ONLY_METHODS
            and safety != Safety.INTRUSIVE.value
        ):
            r.error(
                m["safety"],
                f"a {check.method} check may change the device: safety must be intrusive",
                safety,
            )
            return None
        if not self._unique(r, m["id"], "vulnerability id", vid):
            return None
        for cve_node in r.seq(m.get("cves"), "cves") or () if "cves" in m else ():
            owner = self.cve_owner.get(str(cve_node.value))
            if owner is not None and owner[0] != vid:
                r.error(
                    cve_node,
                    f"CVE id already belongs to {owner[0]} ({owner[1]}): one entry per CVE",
                    str(cve_node.value),
                )
                return None
        for cve in cves:
            self.cve_owner[cve] = (vid, r.source(node))
        return Vulnerability(
            id=vid,
            title=title,
            vendor=vendor,
            severity=Severity(severity),
            cves=tuple(cves),
            cvss=cvss,
            references=tuple(references),
            remediation=remediation.strip(),
            safety=Safety(safety),
            confidence=Confidence(confidence),
            unverified=unverified,
            models=tuple(models),
            affected=tuple(affected),
            fingerprints=tuple(fps),
            check=check,
            examples=tuple(examples),
            description=description,
            source=r.source(node),
        )

    # credentials, ports, routes -----------------------------------------------------------------

    def pair(self, r: _Reader, node: yaml.Node) -> CredentialPair | None:
        n0 = len(r.errors)
        m = r.mapping(node, "credential pair", ("username", "password"), ("reference", "note"))
        if m is None:
            return None
        user = r.string(m.get("username"), "username")
        password = r.string(m.get("password"), "password", empty=True)
        reference = r.url(m.get("reference"), "reference") if "reference" in m else None
        note = r.string(m.get("note"), "note") if "note" in m else None
        if len(r.errors) > n0 or user is None or password is None:
            return None
        if reference is None and note is None:
            r.error(
                node,
                "a credential pair needs a reference or a note (e.g. 'widely reported')",
                f"{user}/{password}",
            )
            return None
        return CredentialPair(user, password, reference, note)

    def credentials(self, r: _Reader, node: yaml.Node) -> list[CredentialEntry] | None:
        n0 = len(r.errors)
        m = r.mapping(
            node, "credential set", ("vendor", "pairs"), ("protocol", "protocols", "description")
        )
        if m is None:
            return None
        choices = [p.value for p in CredentialProtocol]
        if ("protocol" in m) == ("protocols" in m):
            given = ", ".join(k for k in ("protocol", "protocols") if k in m) or "neither"
            r.error(node, "a credential set needs exactly one of protocol, protocols", given)
            protocols: list[str] = []
        elif "protocol" in m:
            one = r.choice(m.get("protocol"), "protocol", choices)
            protocols = [one] if one is not None else []
        else:
            protocols = r.items(
                m.get("protocols"), "protocols", lambda n: r.choice(n, "protocol", choices)
            )
        vendor = self.vendor_ref(r, m.get("vendor"))
        pairs: list[CredentialPair] = []
        for pair_node in r.seq(m.get("pairs"), "pairs") or () if "pairs" in m else ():
            pair = self.pair(r, pair_node)
            if pair is None:
                continue
            if any((p.username, p.password) == (pair.username, pair.password) for p in pairs):
                r.error(pair_node, "duplicate credential pair", f"{pair.username}/{pair.password}")
            else:
                pairs.append(pair)
        if "description" in m:
            r.string(m.get("description"), "description")
        if len(r.errors) > n0 or vendor is None:
            return None
        if not pairs:
            r.error(m["pairs"], "a credential set needs at least one pair", "[]")
            return None
        src = r.source(node)
        return [
            CredentialEntry(vendor, CredentialProtocol(p), tuple(pairs), src)
            for p in dict.fromkeys(protocols)
        ]

    def port(self, r: _Reader, node: yaml.Node) -> PortInfo | None:
        n0 = len(r.errors)
        m = r.mapping(node, "port", ("port", "protocol", "name", "description"))
        if m is None:
            return None
        number = r.integer(m.get("port"), "port", 1, 65535)
        proto = r.choice(m.get("protocol"), "protocol", [p.value for p in PORT_PROTOCOLS])
        name = r.string(m.get("name"), "name")
        description = r.string(m.get("description"), "description")
        if (
            len(r.errors) > n0
            or number is None
            or proto is None
            or name is None
            or description is None
        ):
            return None
        if not self._unique(r, m["port"], "port", str(number)):
            return None
        return PortInfo(number, Protocol(proto), name, description)

    def route(self, r: _Reader, node: yaml.Node) -> str | None:
        text = r.string(node, "route")
        if text is not None and not _ROUTE.fullmatch(text):
            r.error(node, "a route must start with '/' and be printable ASCII without spaces", text)
            return None
        return text

    def route_list(self, r: _Reader, node: yaml.Node | None, what: str) -> list[str]:
        routes = r.items(node, what, lambda n: self.route(r, n))
        if len(set(routes)) != len(routes):
            dup = next(x for x in routes if routes.count(x) > 1)
            r.error(node if node is not None else 0, f"duplicate route in {what}", dup)
        return list(dict.fromkeys(routes))

    def vendor_routes(self, r: _Reader, node: yaml.Node) -> VendorRoutes | None:
        n0 = len(r.errors)
        m = r.mapping(
            node,
            "vendor routes",
            ("vendor", "main"),
            ("sub", "http_login", "http_protected", "reference", "note"),
        )
        if m is None:
            return None
        vendor = self.vendor_ref(r, m.get("vendor"))
        main = self.route_list(r, m.get("main"), "main")
        sub = self.route_list(r, m.get("sub"), "sub")
        http_login = self.route_list(r, m.get("http_login"), "http_login")
        http_protected = self.route_list(r, m.get("http_protected"), "http_protected")
        if "reference" in m:
            r.url(m.get("reference"), "reference")
        if "note" in m:
            r.string(m.get("note"), "note")
        if len(r.errors) > n0 or vendor is None:
            return None
        if vendor == GENERIC:
            r.error(m["vendor"], "generic routes go in the generic list", vendor)
            return None
        if not main:
            r.error(m["main"], "main needs at least one route", "[]")
            return None
        if not self._unique(r, m["vendor"], "route table for vendor", vendor):
            return None
        return VendorRoutes(
            vendor, tuple(main), tuple(sub), r.source(node), tuple(http_login),
            tuple(http_protected),
        )  # fmt: skip

    def routes(self, r: _Reader, node: yaml.Node) -> None:
        m = r.mapping(node, "routes", (), ("generic", "vendors"))
        if m is None:
            return
        generic = self.route_list(r, m.get("generic"), "generic")
        if len(generic) > MAX_GENERIC_ROUTES:
            r.error(
                m["generic"],
                f"the generic route list is capped at {MAX_GENERIC_ROUTES} "
                "routes (each costs a request per RTSP port)",
                str(len(generic)),
            )
        else:
            self.layer.generic_routes.extend(
                x for x in generic if x not in self.layer.generic_routes
            )
        self.layer.vendor_routes.extend(
            r.items(m.get("vendors"), "vendors", lambda n: self.vendor_routes(r, n))
        )

    # the walk -----------------------------------------------------------------------------------

    def walk(self, files: Sequence[_File]) -> _Layer:
        # Vendors first and fingerprints before vulnerabilities, across all files of the layer,
        # so references resolve whatever file order the author chose.
        for f in files:
            r, s = f.reader, f.sections
            self.layer.vendors.extend(r.items(s.get("vendors"), "vendors", partial(self.vendor, r)))
        for f in files:
            r, s = f.reader, f.sections
            self.layer.fingerprints.extend(
                r.items(s.get("fingerprints"), "fingerprints", partial(self.fingerprint, r))
            )
        for f in files:
            r, s = f.reader, f.sections
            self.layer.vulnerabilities.extend(
                r.items(s.get("vulnerabilities"), "vulnerabilities", partial(self.vulnerability, r))
            )
            credentials = r.items(s.get("credentials"), "credentials", partial(self.credentials, r))
            for entries in credentials:
                self.layer.credentials.extend(entries)
            self.layer.ports.extend(r.items(s.get("ports"), "ports", partial(self.port, r)))
            if "routes" in s:
                self.routes(r, s["routes"])
        return self.layer


def _parse_layer(
    files: Sequence[tuple[str, bytes]], base: _Layer | None
) -> tuple[_Layer, list[LintError]]:
    errors: list[LintError] = []
    composed = [f for name, data in files if (f := _compose(name, data, errors)) is not None]
    layer = _Parser(base).walk(composed)
    # The walk visits sections in dependency order; report in reading order instead.
    order = {name: i for i, (name, _) in enumerate(files)}
    errors.sort(key=lambda e: (order.get(e.file, len(order)), e.line))
    return layer, errors


def _override(base: Sequence[T], top: Sequence[T], key: Callable[[T], object]) -> list[T]:
    """``base`` with same-key items replaced in place by ``top``'s, then ``top``'s new ones."""
    replacements = {key(item): item for item in top}
    merged = [replacements.pop(key(item), item) for item in base]
    return merged + [item for item in top if key(item) in replacements]


def _merge(base: _Layer, top: _Layer) -> _Layer:
    return _Layer(
        vendors=_override(base.vendors, top.vendors, lambda v: v.id),
        fingerprints=_override(base.fingerprints, top.fingerprints, lambda f: f.id),
        vulnerabilities=_override(base.vulnerabilities, top.vulnerabilities, lambda v: v.id),
        credentials=[*top.credentials, *base.credentials],
        ports=_override(base.ports, top.ports, lambda p: p.port),
        generic_routes=list(dict.fromkeys([*top.generic_routes, *base.generic_routes])),
        vendor_routes=_override(base.vendor_routes, top.vendor_routes, lambda v: v.vendor),
    )


def _build(layer: _Layer) -> SignatureSet:
    return SignatureSet(
        vendors=tuple(layer.vendors),
        fingerprints=tuple(layer.fingerprints),
        vulnerabilities=tuple(layer.vulnerabilities),
        credentials=tuple(layer.credentials),
        ports=tuple(layer.ports),
        routes=RouteTable(tuple(layer.generic_routes), tuple(layer.vendor_routes)),
    )


# --- files on disk -------------------------------------------------------------------------------


def _read_files(path: Path) -> tuple[list[tuple[str, bytes]], list[LintError]]:
    """The .yaml/.yml files of ``path`` (a file, or a directory, not recursive), read."""
    try:
        if path.is_dir():
            candidates = sorted(
                p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
            )
            if not candidates:
                return [], [LintError(str(path), 0, "no .yaml files in this directory", str(path))]
        elif path.is_file():
            candidates = [path]
        else:
            return [], [LintError(str(path), 0, "no such file or directory", str(path))]
        out: list[tuple[str, bytes]] = []
        for candidate in candidates:
            if candidate.stat().st_size > MAX_FILE_BYTES:
                return [], [
                    LintError(
                        str(candidate),
                        0,
                        f"file is larger than {MAX_FILE_BYTES} bytes",
                        str(candidate.stat().st_size),
                    )
                ]
            out.append((str(candidate), candidate.read_bytes()))
    except OSError as exc:
        return [], [LintError(str(path), 0, f"cannot read: {exc.strerror or exc}", str(path))]
    return out, []


def _shipped_files() -> list[tuple[str, bytes]]:
    try:
        root = importlib.resources.files("scanner.signatures")
    except ModuleNotFoundError:
        # Running from a source checkout that was not pip-installed: signatures/ sits beside the
        # scanner package (pyproject maps it to scanner.signatures only on install).
        return _read_files(Path(__file__).resolve().parents[2] / "signatures")[0]
    entries = sorted(
        (e for e in root.iterdir() if e.name.endswith((".yaml", ".yml"))), key=lambda e: e.name
    )
    return [(str(e), e.read_bytes()) for e in entries]


@functools.lru_cache(maxsize=1)
def _shipped_layer() -> tuple[_Layer, tuple[LintError, ...]]:
    # Parsed once per process: the shipped files do not change under a running scan, and the
    # compiled objects are frozen, so every caller can share them.
    layer, errors = _parse_layer(_shipped_files(), None)
    return layer, tuple(errors)


def load_signatures(extra_dirs: Sequence[Path] = ()) -> SignatureSet:
    """The shipped signatures, extended or overridden by each of ``extra_dirs`` in order.

    Raises :class:`SignatureError` listing every problem found; nothing else.
    """
    layer, shipped_errors = _shipped_layer()
    errors = list(shipped_errors)
    for directory in extra_dirs:
        files, read_errors = _read_files(Path(directory))
        errors.extend(read_errors)
        top, layer_errors = _parse_layer(files, layer)
        errors.extend(layer_errors)
        layer = _merge(layer, top)
    if errors:
        raise SignatureError(errors)
    return _build(layer)


def lint_paths(paths: Sequence[Path]) -> list[LintError]:
    """Problems in the given files/directories, checked as one layer over the shipped set
    (so they may use its vendors and fingerprint ids). No paths: lint the shipped set."""
    shipped, shipped_errors = _shipped_layer()
    if not paths:
        return list(shipped_errors)
    files: list[tuple[str, bytes]] = []
    errors: list[LintError] = []
    for path in paths:
        found, read_errors = _read_files(Path(path))
        files.extend(found)
        errors.extend(read_errors)
    errors.extend(_parse_layer(files, shipped)[1])
    return errors


def lint_text(name: str, text: str) -> list[LintError]:
    """Lint one document held in memory (docs examples, editors) over the shipped set."""
    return _parse_layer([(name, text.encode("utf-8"))], _shipped_layer()[0])[1]


def load_text(name: str, text: str) -> SignatureSet:
    """The shipped set plus one in-memory document; raises :class:`SignatureError`."""
    layer, shipped_errors = _shipped_layer()
    top, errors = _parse_layer([(name, text.encode("utf-8"))], layer)
    if shipped_errors or errors:
        raise SignatureError([*shipped_errors, *errors])
    return _build(_merge(layer, top))
