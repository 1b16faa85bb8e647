"""Markdown, CSV and JUnit: untrusted text stays inert, and the content matches the report."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import pytest

from scanner.models import Report, Severity
from scanner.report.csv_report import COLUMNS, render_csv, safe_cell
from scanner.report.json_report import SECRET_MASK
from scanner.report.junit import render_junit
from scanner.report.markdown import md, render_markdown
from scanner.report.review import Review
from tests.report.fixtures import FORMULA_MODEL, golden_report, golden_review
from tests.report.test_samples import PASSWORD, finding, host, report

# --- markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[click](http://evil)", r"\[click\](http://evil)"),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
        ("| a | b |", r"\| a \| b \|"),
        ("**bold** _it_ `code` ~~s~~", r"\*\*bold\*\* \_it\_ \`code\` \~\~s\~\~"),
        ("&amp; # \\", r"\&amp; \# \\"),
        ("line one\nline two", "line one line two"),
        ("\x1b[2J", "\u241b\\[2J"),
        ("Hikvision DS-2CD2032-I (v5.2.5)", "Hikvision DS-2CD2032-I (v5.2.5)"),
    ],
)
def test_md_makes_device_text_inert(raw: str, shown: str) -> None:
    assert md(raw) == shown


def markdown(review: Review | None = None) -> str:
    buf = io.StringIO()
    render_markdown(golden_report(), buf, review=review)
    return buf.getvalue()


def test_markdown_has_every_device_row_and_no_raw_markup() -> None:
    text = markdown(golden_review())
    table = [line for line in text.splitlines() if line.startswith("| 127.")]
    assert [row.split(" | ")[0] for row in table] == [
        f"| {h}"
        for h in (
            "127.77.0.9",
            "127.77.0.10",
            "127.77.0.11",
            "127.77.0.12",
            "127.77.0.15",
            "127.77.0.16",
            "127.77.0.30",
        )
    ]
    # Every table row has exactly the 6 columns: device text added no cell.
    for row in table:
        assert row.replace("\\|", "").count("|") == 7
    # No "<" opens a tag: each is escaped, except our own autolinks to references.
    assert re.findall(r"(?<!\\)<(?!https?://)", text) == []
    assert "\\<script\\>" in text
    assert PASSWORD not in text
    assert "**NEW**" in text
    assert "_accepted until 2027-06-30: the test rig drives this camera over Telnet_" in text
    assert "~~title of http-default-page~~ fixed since the baseline" in text
    assert "- mdns: failed (no multicast route)" in text


# --- CSV ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r", "\n="])
def test_formula_starts_are_neutralised(lead: str) -> None:
    cell = safe_cell(lead + "cmd|' /C calc'!A0")
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell.endswith("cmd|' /C calc'!A0")


def test_plain_cells_are_untouched() -> None:
    assert safe_cell("Hikvision") == "Hikvision"
    assert safe_cell("") == ""
    assert safe_cell("a\nb") == "a\nb"  # evidence keeps its lines, inside a quoted cell


def rows(review: Review | None = None, *, show_secrets: bool = False) -> list[dict[str, str]]:
    rep = golden_report()
    if show_secrets:
        rep = dataclasses.replace(rep, show_secrets=True)
    buf = io.StringIO(newline="")
    render_csv(rep, buf, review=review)
    buf.seek(0)
    reader = csv.DictReader(buf)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_csv_has_a_row_per_finding_and_per_quiet_device() -> None:
    data = rows()
    rep = golden_report()
    expected = sum(max(1, len(h.findings)) for h in rep.hosts)
    assert len(data) == expected
    assert {r["ip"] for r in data} == {h.ip for h in rep.hosts}
    dahua = [r for r in data if r["ip"] == "127.77.0.12"]
    assert [r["finding_id"] for r in dahua] == [
        "default-credentials-rtsp",
        "telnet-open",
        "upnp-exposed",
        "weak-tls",
    ]
    assert dahua[0]["mac_vendor"] == "Zhejiang Dahua Technology"
    assert dahua[0]["discovered_by"] == "arp tcp"
    assert dahua[0]["secret"] == SECRET_MASK
    assert PASSWORD in {r["secret"] for r in rows(show_secrets=True)}


def test_csv_device_text_cannot_become_a_formula() -> None:
    evil = next(r for r in rows() if r["ip"] == "127.77.0.30")
    assert evil["model"] == "'" + FORMULA_MODEL
    assert evil["vendor"] == "'@evil"
    assert evil["hostnames"].startswith("'-cmd")
    assert "\n| fake | cell |" in evil["evidence"]
    for row in rows(golden_review()):
        for column, value in row.items():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (column, value)
            assert not value.startswith("-") or value == "-", (column, value)


def test_csv_review_columns() -> None:
    data = rows(golden_review())
    fixed = [r for r in data if r["finding_change"] == "absent"]
    assert {(r["ip"], r["finding_id"]) for r in fixed} == {("127.77.0.12", "http-default-page")}
    accepted = next(
        r for r in data if r["finding_id"] == "telnet-open" and r["ip"] == "127.77.0.12"
    )
    assert (accepted["inventory_finding"], accepted["accepted_until"]) == ("accepted", "2027-06-30")
    assert next(r for r in data if r["ip"] == "127.77.0.40")["device_change"] == "absent"
    assert next(r for r in data if r["ip"] == "127.77.0.20")["inventory_device"] == "missing"


# --- JUnit ----------------------------------------------------------------------------------------


def junit(
    fail_on: Severity | None = None, review: Review | None = None, rep: Report | None = None
) -> Element:
    buf = io.StringIO()
    render_junit(rep or golden_report(), buf, fail_on=fail_on, review=review)
    return SafeET.fromstring(buf.getvalue().encode("utf-8"))


def _failed(root: Element) -> set[str]:
    return {
        f"{case.get('classname')}:{case.get('name')}"
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }


def test_junit_counts_add_up_and_threshold_decides_failures() -> None:
    root = junit(Severity.HIGH)
    suites = root.findall("testsuite")
    assert len(suites) == len(golden_report().hosts)
    cases = list(root.iter("testcase"))
    assert root.get("tests") == str(len(cases))
    assert root.get("failures") == str(len(_failed(root)))
    assert root.get("errors") == "1"
    assert root.get("time") == "12.500"
    high = _failed(root)
    assert "camsweep.127_77_0_12:telnet-open port 23" in high
    assert "camsweep.127_77_0_12:weak-tls port 443" not in high
    low = _failed(junit(Severity.LOW))
    assert "camsweep.127_77_0_12:weak-tls port 443" in low
    assert _failed(junit()) == low  # without --fail-on, anything above info fails
    for suite in suites:
        assert suite.get("tests") == str(len(suite.findall("testcase")))


def test_junit_accepted_findings_pass_and_unexpected_devices_fail() -> None:
    failed = _failed(junit(Severity.LOW, golden_review()))
    assert "camsweep.127_77_0_12:telnet-open port 23" not in failed
    assert "camsweep.127_77_0_12:upnp-exposed" in failed  # acceptance expired
    assert "camsweep.127_77_0_9:inventory" in failed
    assert "camsweep.127_77_0_12:inventory" not in failed
    root = junit(Severity.LOW, golden_review())
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == ["expected spare nvr"]


def test_junit_is_well_formed_whatever_the_device_sent() -> None:
    nasty = "\x00\x1b[31m\ufffe\uffff\ud800 <b>&amp;</b> ]]> \"'"
    rep = report(
        (
            host(
                "10.0.0.7",
                (finding("x", Severity.HIGH, title=nasty, evidence=nasty),),
                vendor=nasty,
            ),
        )
    )
    root = junit(Severity.HIGH, rep=rep)
    failure = next(root.iter("failure"))
    message = failure.get("message") or ""
    assert "<b>&amp;</b> ]]>" in message
    assert "<U+FFFE><U+FFFF><U+D800>" in message
    assert "\x1b" not in (failure.text or "")
