"""Every example and counter-example embedded in the shipped signatures, as one test each."""

from __future__ import annotations

import pytest

from scanner.match import load_signatures, run_examples
from scanner.match.engine import ExampleCase, check_example, example_cases
from scanner.match.loader import load_text

SIGS = load_signatures()
CASES = example_cases(SIGS)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_embedded_example(case: ExampleCase) -> None:
    assert check_example(SIGS, case) is None


def test_every_fingerprint_and_vulnerability_is_exercised() -> None:
    owners = {case.owner.id for case in CASES}
    assert {fp.id for fp in SIGS.fingerprints} <= owners
    assert {v.id for v in SIGS.vulnerabilities} <= owners
    assert any(case.id.endswith("counter-1") for case in CASES)


BROKEN = """
fingerprints:
  - id: lying-example
    vendor: dahua
    device_type: camera
    weight: 99
    match:
      - {field: http.server, word: boa}
    examples:
      - fields: {http.server: Boa/0.94.14rc21}
        expect: {vendor: hikvision, device_type: recorder, model: X1}
      - fields: {http.server: lighttpd}
        expect: {vendor: dahua, device_type: camera}
    counter_examples:
      - fields: {http.server: boa}
vulnerabilities:
  - id: dahua-wrong-example
    title: t
    vendor: dahua
    severity: low
    references: [https://example.com/a]
    remediation: update the firmware from the Dahua support site
    safety: passive
    affected: [{max: 2.800.0000000.26.R}]
    examples:
      - {firmware: 2.900.0, affected: true}
    checked: [{record: vendor, id: DHCC-EXAMPLE, date: 2026-01-01}]
"""


def test_failing_examples_are_reported_with_file_line_and_difference() -> None:
    sigs = load_text("mine.yaml", BROKEN)
    failures = [f for f in run_examples(sigs) if f.startswith("mine.yaml")]
    assert failures == [
        "mine.yaml:10: lying-example/example-1: vendor expected 'hikvision', got 'dahua'; "
        "device_type expected 'recorder', got 'camera'; model expected 'X1', got None",
        "mine.yaml:12: lying-example/example-2: fingerprint lying-example does not match its "
        "example",
        "mine.yaml:15: lying-example/counter-1: matched, but must not: http.server = 'boa'",
        "mine.yaml:26: dahua-wrong-example/example-1: expected affected (firmware '2.900.0', "
        "model None), but the entry did not match",
    ]
