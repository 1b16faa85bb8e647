"""Golden files: every format rendered from one fixed report, compared byte for byte.

A renderer change shows up here as a diff of the file that changed, which a reviewer can read.
After an intended change, regenerate them and review the diff before committing:

    CAMSWEEP_UPDATE_GOLDEN=1 python -m pytest tests/report/test_golden.py

Two sets are kept: the plain report, and the same report seen against a baseline and an
inventory (``*-review.*``), so both paths through each renderer are pinned.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.models import Severity
from scanner.report.formats import FORMATS, RenderOptions, render_to_string
from tests.report.fixtures import golden_report, golden_review

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CAMSWEEP_UPDATE_GOLDEN") == "1"


def _render(fmt: str, *, with_review: bool) -> str:
    options = RenderOptions(
        review=golden_review() if with_review else None,
        fail_on=Severity.HIGH,
        width=100,
    )
    return render_to_string(golden_report(), fmt, options)


@pytest.mark.parametrize("with_review", [False, True], ids=["plain", "review"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_format_matches_its_golden_file(fmt: str, with_review: bool) -> None:
    name = f"report{'-review' if with_review else ''}{FORMATS[fmt].extension}"
    path = GOLDEN / name
    rendered = _render(fmt, with_review=with_review)
    if UPDATE:
        path.write_bytes(rendered.encode("utf-8"))
    assert path.exists(), f"{path} is missing: regenerate (see this module's docstring)"
    expected = path.read_bytes().decode("utf-8")
    assert rendered == expected, (
        f"{fmt} output differs from {path}; if the change is intended, regenerate with "
        "CAMSWEEP_UPDATE_GOLDEN=1 python -m pytest tests/report/test_golden.py"
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_rendering_is_deterministic_and_pure(fmt: str) -> None:
    # Pure functions of the report: same input, same bytes, and the input is untouched.
    report = golden_report()
    before = repr(report)
    first = render_to_string(report, fmt, RenderOptions(review=golden_review()))
    second = render_to_string(report, fmt, RenderOptions(review=golden_review()))
    assert first == second
    assert repr(report) == before


def test_every_golden_file_belongs_to_a_format() -> None:
    names = {f"report{suffix}{f.extension}" for f in FORMATS.values() for suffix in ("", "-review")}
    assert {p.name for p in GOLDEN.iterdir()} == names
