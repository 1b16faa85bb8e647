"""The vulnerabilities section of signature files: ranges, active checks, examples, sources."""

from __future__ import annotations

import re
from datetime import date

import yaml

from scanner.match.parse_common import (
    _CVE,
    _HEADER_NAME,
    _ID,
    _METHOD,
    _READ_ONLY_METHODS,
    _ROUTE,
    MIN_REMEDIATION,
    ParserBase,
    _Reader,
)
from scanner.match.schema import (
    GENERIC,
    AffectedRange,
    Check,
    CheckedRecord,
    Condition,
    CvssScore,
    ModelRule,
    RecordKind,
    Safety,
    ScoreSource,
    Vulnerability,
    VulnExample,
)
from scanner.match.versions import Ordering, Version, VersionError, VersionRange, parse_version
from scanner.match.yamlnodes import keys_of as _keys
from scanner.match.yamlnodes import line_of as _line
from scanner.match.yamlnodes import show_node as _show
from scanner.models import Confidence, Protocol, Severity

__all__ = ["VulnSection", "headline_score"]

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SOURCE_RANK = {ScoreSource.NVD: 0, ScoreSource.CNA: 1, ScoreSource.CISA: 2}


def headline_score(scores: list[CvssScore]) -> float | None:
    """The score a finding shows: per CVE, NVD's own over the CNA's over CISA's (newest CVSS
    version first); across the entry's CVEs, the highest."""
    best: dict[str | None, CvssScore] = {}
    for score in scores:
        held = best.get(score.cve)
        rank = (_SOURCE_RANK[score.source], -float(score.version))
        if held is None or rank < (_SOURCE_RANK[held.source], -float(held.version)):
            best[score.cve] = score
    return max((s.score for s in best.values()), default=None)


class VulnSection(ParserBase):
    """Parses vulnerability entries (and the version ranges and checks inside them)."""

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
            ("introduced", "min", "fixed", "max", "build_before", "models", "ordering", "note"),
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
        ordering = self.ordering(r, m["ordering"]) if "ordering" in m else None
        if "note" in m:
            r.string(m.get("note"), "note")
        if ordering is not None:
            if "build_before" in m:
                r.error(m["build_before"], "an ordered range compares positions, not builds", "")
            for bound, key in ((lower, low_key), (upper, high_key)):
                if bound is not None and ordering.position(bound) is None:
                    r.error(m[key], f"{key} must be one of the ordering's releases", bound.text)
        if low_key not in m and high_key not in m and "build_before" not in m:
            r.error(node, "a range needs a lower or an upper bound", _keys(m))
        if len(r.errors) > n0:
            return None
        if ordering is not None and lower is not None and upper is not None:
            low_at, high_at = ordering.position(lower) or 0, ordering.position(upper) or 0
            empty = low_at > high_at or (low_at == high_at and high_key == "fixed")
        else:
            empty = (
                lower is not None
                and upper is not None
                and (lower > upper or (lower == upper and high_key == "fixed"))
            )
        if empty and lower is not None and upper is not None:
            r.error(
                node,
                "range is empty: the lower bound is not below the upper bound",
                f"{lower.text} .. {upper.text}",
            )
            return None
        span = VersionRange(
            lower,
            upper,
            upper_inclusive=high_key == "max",
            build_before=build_before,
            ordering=ordering,
        )
        return AffectedRange(span, tuple(models), _line(node))

    def ordering(self, r: _Reader, node: yaml.Node) -> Ordering | None:
        """A vendor's release order, oldest first: distinct versions, at least two."""
        nodes = r.seq(node, "ordering")
        if nodes is None:
            return None
        releases: list[Version] = []
        for item in nodes:
            version = self.version(r, item, "ordering release")
            if version is None:
                return None
            if any(version.compare_to_bound(seen) == 0 for seen in releases):
                r.error(item, "release listed twice in the ordering", version.text)
                return None
            releases.append(version)
        if len(releases) < 2:
            r.error(node, "an ordering lists at least two releases, oldest first", _show(node))
            return None
        return Ordering(tuple(releases))

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
                "checked",
                "kev",
                "note",
                "detectable",
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
        scores = self.scores(r, m["cvss"], cves) if "cvss" in m else []
        checked = r.items(m.get("checked"), "checked", lambda n: self.checked(r, n))
        kev = self.day(r, m["kev"], "kev") if "kev" in m else None
        note = r.string(m.get("note"), "note") if "note" in m else ""
        detectable = r.boolean(m.get("detectable"), "detectable") if "detectable" in m else True
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
            or note is None
            or detectable is None
        ):
            return None
        if not self.sources_agree(r, node, m, cves, checked, unverified=unverified, note=note):
            return None
        if not detectable and (affected or fps):
            r.error(
                m["detectable"],
                "detectable: false means nothing seen remotely matches: drop affected/fingerprints",
                vid,
            )
            return None
        if detectable and not affected and not fps:
            r.error(
                node,
                "a vulnerability needs affected version ranges or fingerprints (or detectable: "
                "false with a note saying why the version cannot be seen)",
                vid,
            )
            return None
        if not detectable and not note:
            r.error(m["detectable"], "say in note why the affected version cannot be seen", vid)
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
            cvss=headline_score(scores),
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
            scores=tuple(scores),
            checked=tuple(checked),
            known_exploited=kev,
            note=note.strip(),
            detectable=detectable,
        )

    def day(self, r: _Reader, node: yaml.Node, what: str) -> str | None:
        text = r.string(node, what)
        if text is None:
            return None
        try:
            date.fromisoformat(text)
        except ValueError:
            text = ""
        if not _DAY.fullmatch(text):
            r.error(
                node, f"{what} must be a date written YYYY-MM-DD", str(getattr(node, "value", ""))
            )
            return None
        return text

    def checked(self, r: _Reader, node: yaml.Node) -> CheckedRecord | None:
        n0 = len(r.errors)
        m = r.mapping(node, "checked record", ("record", "id", "date"))
        if m is None:
            return None
        kind = r.choice(m.get("record"), "record", [k.value for k in RecordKind])
        ident = r.string(m.get("id"), "id")
        when = self.day(r, m["date"], "date") if "date" in m else None
        if len(r.errors) > n0 or kind is None or ident is None or when is None:
            return None
        if kind in (RecordKind.NVD.value, RecordKind.CISA_KEV.value) and not _CVE.fullmatch(ident):
            r.error(m["id"], f"a {kind} record is named by its CVE id", ident)
            return None
        return CheckedRecord(RecordKind(kind), ident, when)

    def scores(self, r: _Reader, node: yaml.Node, cves: list[str]) -> list[CvssScore]:
        """``cvss``: one mapping, or a list of them, each saying whose score it is."""
        items = [node] if isinstance(node, yaml.MappingNode) else (r.seq(node, "cvss") or [])
        out: list[CvssScore] = []
        for item in items:
            n0 = len(r.errors)
            m = r.mapping(item, "cvss score", ("score", "source", "version"), ("cve",))
            if m is None:
                continue
            score = r.number(m.get("score"), "score", 0.0, 10.0)
            source = r.choice(m.get("source"), "source", [s.value for s in ScoreSource])
            version = r.choice(m.get("version"), "version", ["2.0", "3.0", "3.1", "4.0"])
            cve = r.string(m.get("cve"), "cve") if "cve" in m else None
            if cve is None and len(cves) == 1:
                cve = cves[0]
            if cve is None and len(cves) > 1:
                r.error(item, "the entry lists several CVEs: say which one this score is", "cve")
            elif cve is not None and cve not in cves:
                r.error(m.get("cve", item), "score for a CVE the entry does not list", cve)
            if len(r.errors) > n0 or score is None or source is None or version is None:
                continue
            out.append(CvssScore(score, ScoreSource(source), version, cve))
        return out

    def sources_agree(
        self,
        r: _Reader,
        node: yaml.Node,
        m: dict[str, yaml.Node],
        cves: list[str],
        checked: list[CheckedRecord],
        *,
        unverified: bool,
        note: str,
    ) -> bool:
        """Every fact names its record: CVEs their NVD record, unverified entries a note."""
        if unverified and not note:
            r.error(m["unverified"], "unverified needs a note saying what could not be found", "")
            return False
        if not checked:
            r.error(node, "name the record(s) the entry was checked against under checked:", "")
            return False
        if unverified:
            return True
        seen = {c.id for c in checked if c.kind is RecordKind.NVD}
        missing = [cve for cve in cves if cve not in seen]
        if missing:
            r.error(
                m["checked"],
                "every CVE needs its NVD record under checked (or unverified with a note)",
                ", ".join(missing),
            )
            return False
        return True
