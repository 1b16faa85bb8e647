"""The parts of the signature loader every section shares: limits, the layer being built,
the node reader with regexes, and the vendor and fingerprint sections (which the others refer to).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import yaml

from scanner.match.matchers import FIELDS, Matcher, MatchKind, compile_regex, is_known_field
from scanner.match.schema import (
    GENERIC,
    CloudService,
    Condition,
    CounterExample,
    CredentialEntry,
    Extractor,
    Fingerprint,
    FingerprintExample,
    PortInfo,
    Source,
    VendorInfo,
    VendorRoutes,
    Vulnerability,
    spelling_key,
)
from scanner.match.yamlnodes import (
    NodeReader,
)
from scanner.match.yamlnodes import (
    keys_of as _keys,
)
from scanner.match.yamlnodes import (
    line_of as _line,
)
from scanner.match.yamlnodes import (
    show_node as _show,
)
from scanner.match.yamlnodes import (
    suggest as _suggest,
)
from scanner.models import DeviceType

T = TypeVar("T")

# Bounds on what a signature file may cost to read, whoever wrote it.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_GENERIC_ROUTES = 12  # every generic route is one DESCRIBE per RTSP port: keep it a budget
MIN_REMEDIATION = 30  # "update firmware" is not a fix an owner can act on

SECTIONS = (
    "vendors",
    "fingerprints",
    "vulnerabilities",
    "credentials",
    "ports",
    "routes",
    "cloud",
)

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

__all__ = ["MAX_FILE_BYTES", "SECTIONS", "ParserBase"]


class _Reader(NodeReader):
    """The node reader, plus the regexes signature files carry (vetted by the matcher module)."""

    def regex(self, node: yaml.Node | None, what: str) -> re.Pattern[str] | None:
        text = self.string(node, what)
        if text is None or node is None:
            return None
        compiled = compile_regex(text)
        if isinstance(compiled, str):
            self.error(node, compiled, text)
            return None
        return compiled


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
    cloud: list[CloudService] = field(default_factory=list)


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


class ParserBase:
    """Walks the sections of one layer's files, with what earlier layers define in view."""

    def __init__(self, base: _Layer | None) -> None:
        # No base: this is the shipped set, which is held to stricter rules than a user's layer
        # (every credential pair cites where it is published).
        self.shipped = base is None
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
        m = r.mapping(
            node, "vendor", ("id", "name"), ("aliases", "family", "description", "references")
        )
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
        for ref in r.seq(m.get("references"), "references") or []:
            r.url(ref, "reference")  # where the brand, or its OEM family, was seen
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

    def _sample(
        self, r: _Reader, node: yaml.Node, what: str, required: tuple[str, ...]
    ) -> tuple[dict[str, yaml.Node], tuple[tuple[str, str], ...] | None, list[int]] | None:
        """The fields, ports and note an example and a counter-example share."""
        m = r.mapping(node, what, required, ("fields", "ports", "note"))
        if m is None:
            return None
        fields = self.evidence(r, m["fields"]) if "fields" in m else ()
        ports = self.ports(r, m.get("ports"))
        if "note" in m:
            r.string(m.get("note"), "note")
        return m, fields, ports

    def example(self, r: _Reader, node: yaml.Node) -> FingerprintExample | None:
        n0 = len(r.errors)
        sample = self._sample(r, node, "example", ("expect",))
        if sample is None:
            return None
        m, fields, ports = sample
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
        sample = self._sample(r, node, "counter-example", ())
        if sample is None:
            return None
        m, fields, ports = sample
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
