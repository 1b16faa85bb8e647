"""Any text a device can send goes through every format without breaking it or acting."""

from __future__ import annotations

import csv
import io
import json
import re

import defusedxml.ElementTree as SafeET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.models import Severity
from scanner.report.formats import FORMATS, RenderOptions, render_to_string
from scanner.report.inventory import parse_inventory
from scanner.report.review import make_review
from tests.report.test_samples import finding, host, report

# Everything Python strings can hold except lone surrogates, which no device decode produces
# (probes decode with replacement) - plus the markup and formula starts attackers reach for.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from(list("<>&\"'`|[]()*_#=+-@!\\\t\r\n\x1b\x00\u202e\ufffe")),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, evidence=TEXT, vendor=TEXT, hostname=TEXT)
def test_every_format_survives_hostile_device_text(
    title: str, evidence: str, vendor: str, hostname: str
) -> None:
    rep = report(
        (
            host(
                "10.9.8.7",
                (
                    finding(
                        "x-check",
                        Severity.HIGH,
                        title=title or "t",
                        evidence=evidence,
                        remediation=evidence,
                        port=80,
                    ),
                ),
                vendor=vendor,
                model=vendor,
                hostnames=(hostname,),
            ),
        )
    )
    review = make_review(rep, baseline=rep, inventory=parse_inventory(b"devices: []\n", "i"))
    out = {
        fmt: render_to_string(rep, fmt, RenderOptions(review=review, fail_on=Severity.LOW))
        for fmt in FORMATS
    }
    for fmt in ("text", "sarif", "html", "markdown", "junit", "csv"):
        assert "\x1b" not in out[fmt], fmt
        assert "\u202e" not in out[fmt], fmt
    json.loads(out["json"])
    json.loads(out["sarif"])
    junit = SafeET.fromstring(out["junit"].encode("utf-8"))
    assert junit.get("failures") == "2"  # the finding and the unexpected device
    # HTML: the only tags are our own.
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", out["html"]))
    assert tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "ol",
        "time",
        "ul",
        "li",
        "span",
        "main",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
        "section",
        "article",
        "dl",
        "dt",
        "dd",
        "pre",
        "div",
        "code",
        "footer",
        "br",
    }
    assert re.findall(r"(?<!\\)<(?!https?://)", out["markdown"]) == []
    rows = list(csv.reader(io.StringIO(out["csv"], newline="")))
    assert [row[0] for row in rows[1:]] == ["10.9.8.7"]
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not cell.startswith("-") or cell == "-", cell
