"""docs/signatures.md stays true: its YAML blocks lint and pass their examples, and it names
every evidence field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanner.match import run_examples
from scanner.match.loader import lint_text, load_text
from scanner.match.matchers import FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "signatures.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", TEXT, flags=re.DOTALL)


def test_the_doc_has_worked_examples_of_every_section() -> None:
    joined = "".join(BLOCKS)
    for section in (
        "vendors:",
        "fingerprints:",
        "vulnerabilities:",
        "credentials:",
        "ports:",
        "routes:",
        "cloud:",
        "check:",
    ):
        assert section in joined


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_block_lints_clean_and_its_examples_hold(index: int) -> None:
    name = f"{DOC.name}[yaml block {index + 1}]"
    assert lint_text(name, BLOCKS[index]) == []
    sigs = load_text(name, BLOCKS[index])
    assert [f for f in run_examples(sigs) if f.startswith(name)] == []


def test_the_doc_names_every_evidence_field() -> None:
    for field in sorted(FIELDS):
        assert f"`{field}`" in TEXT
