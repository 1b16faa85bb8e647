"""docs/report-schema.json: in step with the code, strict, and matching what render_json writes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from scanner.models import (
    AuthScheme,
    Confidence,
    DeviceType,
    ProbeStatus,
    Protocol,
    Report,
    RiskLevel,
    Severity,
)
from scanner.report.json_report import render_json
from scanner.report.schema import report_schema, write_schema
from tests.report.test_samples import finding, host, report, sample_report

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"
REGENERATE = (
    "regenerate with: python -c 'import sys; from scanner.report.schema import write_schema; "
    "write_schema(sys.stdout)' > docs/report-schema.json"
)


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def rendered_doc(rep: Report) -> Any:
    buf = io.StringIO()
    render_json(rep, buf)
    return json.loads(buf.getvalue())


def test_docs_copy_matches_the_code() -> None:
    buf = io.StringIO()
    write_schema(buf)
    assert SCHEMA_PATH.read_text(encoding="utf-8") == buf.getvalue(), REGENERATE


def test_format_checks_are_really_asserted(validator: Any) -> None:
    # date-time needs an optional checker package; without it "format" silently passes and the
    # schema would accept any timestamp.
    doc = rendered_doc(sample_report())
    doc["finished_at"] = "last tuesday"
    assert not validator.is_valid(doc)


@pytest.mark.parametrize(
    "rep",
    [
        pytest.param(sample_report(), id="masked-secrets"),
        pytest.param(sample_report(show_secrets=True), id="shown-secrets"),
        pytest.param(report((), scanned=0), id="no-hosts"),
        pytest.param(report((host("10.0.0.1"),), scanned=1), id="host-without-services"),
        pytest.param(
            report(
                tuple(
                    host(f"10.0.0.{i + 1}", (finding(f"f-{s.value}", s, c),))
                    for i, (s, c) in enumerate((s, c) for s in Severity for c in Confidence)
                )
            ),
            id="every-severity-and-confidence",
        ),
        pytest.param(report((host("fe80::1"), host("10.0.0.1"))), id="ipv6"),
    ],
)
def test_rendered_reports_validate(validator: Any, rep: Report) -> None:
    errors = [e.message for e in validator.iter_errors(rendered_doc(rep))]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("hosts", 0, "risk", "score"), 10.5),
        (("hosts", 0, "risk", "level"), "extreme"),
        (("hosts", 3, "findings", 0, "confidence"), "certain"),
        (("hosts", 3, "findings", 0, "port"), 0),
        (("hosts", 3, "services", 0, "status"), "up"),
        (("hosts", 3, "services", 0, "fields", "Server"), "x"),  # not "<namespace>.<name>"
        (("hosts", 3, "services", 0, "fields", "rtsp.server"), 5),
        (("hosts", 3, "secret"), "x"),  # unknown key on a host
        (("tool", "name"), ""),
        (("summary", "highest_risk"), "none-at-all"),
    ],
)
def test_wrong_document_fails_validation(validator: Any, path: tuple[Any, ...], value: Any) -> None:
    doc = rendered_doc(sample_report())
    assert validator.is_valid(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not validator.is_valid(doc)


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def test_every_object_is_closed() -> None:
    objects = _objects(report_schema())
    assert len(objects) >= 8
    for obj in objects:
        # Either no extra keys at all, or (the evidence map) extra keys of one checked shape.
        assert obj["additionalProperties"] is False or obj["additionalProperties"] == {
            "type": "string"
        }


def _enums(node: Any) -> list[list[str]]:
    found = []
    if isinstance(node, dict):
        if "enum" in node:
            found.append(node["enum"])
        for value in node.values():
            found += _enums(value)
    elif isinstance(node, list):
        for value in node:
            found += _enums(value)
    return found


@pytest.mark.parametrize(
    "enum", [Severity, Confidence, DeviceType, AuthScheme, Protocol, ProbeStatus, RiskLevel]
)
def test_every_model_enum_is_in_the_schema(enum: Any) -> None:
    assert [m.value for m in enum] in _enums(report_schema())


def test_report_schema_returns_a_copy() -> None:
    schema = report_schema()
    schema["$defs"].clear()
    assert report_schema()["$defs"]
