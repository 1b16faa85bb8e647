"""The cloud section of signature files: P2P services that need no port-forward."""

from __future__ import annotations

import re

import yaml

from scanner.match.parse_common import _ID, ParserBase, _Reader
from scanner.match.schema import GENERIC, CloudService

__all__ = ["CloudSection"]

# An evidence field name's beginning ("cs2.", "dahua.p2p"): lower-case, dotted.
_PREFIX = re.compile(r"[a-z0-9]+(?:[._][a-z0-9]+)*\.?")


class CloudSection(ParserBase):
    """Parses cloud services: what names one in the evidence, which makes ship it on."""

    def _cloud_pattern(
        self, r: _Reader, node: yaml.Node | None, examples: list[str], counters: list[str]
    ) -> re.Pattern[str] | None:
        """The ``text`` regex, case-insensitive, shown to work by the entry's own examples."""
        vetted = r.regex(node, "text")
        if vetted is None or node is None:
            return None
        pattern = re.compile(vetted.pattern, re.IGNORECASE)
        for example in examples:
            if pattern.search(example) is None:
                r.error(node, "text does not find this example (fix one or the other)", example)
                return None
        for counter in counters:
            if pattern.search(counter) is not None:
                r.error(node, "text finds this counter-example", counter)
                return None
        return pattern

    def cloud(self, r: _Reader, node: yaml.Node) -> CloudService | None:
        n0 = len(r.errors)
        m = r.mapping(
            node,
            "cloud service",
            ("id", "name", "text", "meaning", "references", "examples"),
            ("field_prefixes", "default_on", "counter_examples", "note"),
        )
        if m is None:
            return None
        cid = r.string(m.get("id"), "id")
        if cid is not None and not _ID.fullmatch(cid):
            r.error(m["id"], "id must be lower-case letters, digits, '-' and '.'", cid)
        name = r.string(m.get("name"), "name")
        prefixes = r.strings(m.get("field_prefixes"), "field_prefixes")
        for item, prefix in zip(
            r.seq(m.get("field_prefixes"), "field_prefixes") or () if "field_prefixes" in m else (),
            prefixes,
            strict=False,
        ):
            if not _PREFIX.fullmatch(prefix):
                r.error(item, "a field prefix is lower-case letters and digits, dotted", prefix)
        default_on = r.items(m.get("default_on"), "default_on", lambda n: self.vendor_ref(r, n))
        if GENERIC in default_on:
            r.error(m["default_on"], "default_on names vendors, not generic", GENERIC)
        examples = r.strings(m.get("examples"), "examples")
        counters = r.strings(m.get("counter_examples"), "counter_examples")
        meaning = r.string(m.get("meaning"), "meaning")
        references = r.items(m.get("references"), "references", lambda n: r.url(n, "reference"))
        if "note" in m:
            r.string(m.get("note"), "note")
        if len(r.errors) > n0 or cid is None or name is None or meaning is None:
            return None
        if not examples:
            r.error(m["examples"], "a cloud service needs at least one example its text finds", cid)
            return None
        if not references:
            r.error(m["references"], "a cloud service needs at least one public reference", cid)
            return None
        pattern = self._cloud_pattern(r, m.get("text"), examples, counters)
        if pattern is None or not self._unique(r, m["id"], "cloud service id", cid):
            return None
        return CloudService(
            id=cid,
            name=name,
            field_prefixes=tuple(prefixes),
            text=pattern.pattern,
            pattern=pattern,
            default_on=tuple(default_on),
            meaning=meaning,
            references=tuple(references),
            source=r.source(node),
        )
