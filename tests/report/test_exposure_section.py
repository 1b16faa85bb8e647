"""The Internet exposure section: first in every format, faithful in JSON, inert when hostile."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import jsonschema
import pytest

from scanner.models import (
    Confidence,
    ExposureKind,
    ExposurePath,
    InternetExposure,
    PortForward,
    Report,
    RouterReading,
    RouterStatus,
    Severity,
)
from scanner.report import render_to_string, report_from_dict, report_schema, report_to_dict
from scanner.report.formats import RenderOptions
from tests.report.fixtures import SCRIPT_TITLE, golden_report

HOSTILE = SCRIPT_TITLE + " [bold red]x[/] \x1b[31mred | cell | *bold*"
FORWARD = PortForward(8080, "TCP", "192.168.1.13", 80, description=HOSTILE)


def exposure(*, blind: bool = False) -> InternetExposure:
    return InternetExposure(
        routers=(
            RouterReading(
                address="192.168.1.1",
                status=RouterStatus.READ,
                description_url="http://192.168.1.1:5000/rootDesc.xml",
                model=HOSTILE,
                services=("WANIPConnection",),
                external_ip="100.64.0.9",
                connection_status="Connected",
                forwards=(FORWARD,),
                nat_pmp="NAT-PMP answers (result 3: network failure)",
                mapping_actions=("AddPortMapping",),
                notes=(HOSTILE,),
            ),
        ),
        paths=(
            ExposurePath(
                kind=ExposureKind.FORWARD,
                host="192.168.1.13",
                path="internet -> router 192.168.1.1 port 8080/TCP -> 192.168.1.13:80 -> "
                + HOSTILE,
                severity=Severity.CRITICAL,
                confidence=Confidence.INFERRED,
                port=80,
                router="192.168.1.1",
                forward=FORWARD,
                service="HTTP",
                weaknesses=(HOSTILE,),
                finding_ids=("default-credentials-http",),
                caveat="carrier-grade NAT",
            ),
            ExposurePath(
                kind=ExposureKind.CLOUD,
                host="192.168.1.20",
                path="internet -> XMEye P2P cloud relay (no forward needed) -> 192.168.1.20",
                severity=Severity.HIGH,
                confidence=Confidence.INFERRED,
                service="XMEye P2P cloud",
            ),
        ),
        notes=("a note",),
        blind=blind,
    )


@pytest.fixture
def report() -> Report:
    return replace(golden_report(), exposure=exposure())


def render(report: Report, fmt: str) -> str:
    return render_to_string(report, fmt, RenderOptions())


def test_text_section_comes_first_and_is_inert(report: Report) -> None:
    text = render(report, "text")
    # Each path's whole "how sure" is --verbose detail in the text report (issue #16).
    assert "inferred: carrier-grade NAT" in render_to_string(
        report, "text", RenderOptions(verbose=True)
    )
    assert text.index("Internet exposure") < text.index("Address")
    assert "2 ways in from the internet, 2 of them high or critical." in text
    assert "CRITICAL" in text
    assert "\x1b" not in text
    assert "[bold red]x[/]" in text  # shown literally, never as markup


def test_json_round_trip_and_schema(report: Report) -> None:
    document = report_to_dict(report)
    jsonschema.validate(document, report_schema())
    assert list(document)[:2] == ["schema_version", "exposure"]
    again = report_from_dict(json.loads(json.dumps(document)))
    assert again.exposure == report.exposure


def test_json_without_the_stage_has_no_section() -> None:
    document = report_to_dict(golden_report())
    assert "exposure" not in document
    assert report_from_dict(document).exposure is None


def test_html_section_first_and_escaped(report: Report) -> None:
    page = render(report, "html")
    assert page.index('<section id="exposure">') < page.index("<h2>Devices</h2>")
    section = page[page.index('<section id="exposure">') : page.index("</section>")]
    assert "<script>" not in section
    assert "&lt;script&gt;" in section


def test_markdown_section_first_and_escaped(report: Report) -> None:
    text = render(report, "markdown")
    assert text.index("## Internet exposure") < text.index("## Devices")
    section = text[text.index("## Internet exposure") : text.index("## Devices")]
    assert "<script>" not in section
    assert "\\| cell \\|" in section


def test_junit_first_suite(report: Report) -> None:
    root = ET.fromstring(render(report, "junit"))
    first = root.findall("testsuite")[0]
    assert first.get("name") == "internet exposure"
    assert first.get("tests") == "2"
    assert first.get("failures") == "2"  # both at or above the default threshold (low)
    blind = replace(report, exposure=exposure(blind=True))
    suite = ET.fromstring(render(blind, "junit")).findall("testsuite")[0]
    assert suite.get("skipped") == "1"


def test_sarif_run_properties(report: Report) -> None:
    sarif = json.loads(render(report, "sarif"))
    properties = sarif["runs"][0]["properties"]
    assert next(iter(properties)) == "internetExposure"
    assert properties["internetExposure"]["paths"][0]["severity"] == "critical"


def test_blind_spot_is_said_in_words() -> None:
    blind = replace(
        golden_report(),
        exposure=InternetExposure(
            routers=(RouterReading("192.168.1.1", RouterStatus.NO_UPNP, reason="no answer"),),
            notes=("camsweep could not see the router's forwards",),
            blind=True,
        ),
    )
    for fmt in ("text", "markdown", "html"):
        out = " ".join(render(blind, fmt).split())  # the terminal wraps lines
        assert "No way in from the internet was found." in out
        assert "blind spot, not a sign" in out
        assert "forwards not read: no answer" in out
