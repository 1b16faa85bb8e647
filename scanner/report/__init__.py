"""Risk scoring and pure report renderers: ``(Report, TextIO) -> None``; only the CLI prints.

Names are imported on first use (PEP 562): ``import scanner.report.risk`` must not load every
renderer, jsonschema and its URL grammar, which is most of camsweep's start-up time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.report.formats import FORMATS, RenderOptions, render, render_to_string
    from scanner.report.json_report import (
        SECRET_MASK,
        ReportFormatError,
        read_json,
        render_json,
        report_from_dict,
        report_to_dict,
    )
    from scanner.report.output import write_atomically
    from scanner.report.review import Review, gate, make_review
    from scanner.report.risk import level_for_score, score_host, summarize
    from scanner.report.sanitize import clean_text
    from scanner.report.schema import SCHEMA_VERSION, report_schema
    from scanner.report.text import render_text

_WHERE = {
    "FORMATS": "formats",
    "RenderOptions": "formats",
    "render": "formats",
    "render_to_string": "formats",
    "SECRET_MASK": "json_report",
    "ReportFormatError": "json_report",
    "read_json": "json_report",
    "render_json": "json_report",
    "report_from_dict": "json_report",
    "report_to_dict": "json_report",
    "write_atomically": "output",
    "Review": "review",
    "gate": "review",
    "make_review": "review",
    "level_for_score": "risk",
    "score_host": "risk",
    "summarize": "risk",
    "clean_text": "sanitize",
    "SCHEMA_VERSION": "schema",
    "report_schema": "schema",
    "render_text": "text",
}

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "SECRET_MASK",
    "RenderOptions",
    "ReportFormatError",
    "Review",
    "clean_text",
    "gate",
    "level_for_score",
    "make_review",
    "read_json",
    "render",
    "render_json",
    "render_text",
    "render_to_string",
    "report_from_dict",
    "report_schema",
    "report_to_dict",
    "score_host",
    "summarize",
    "write_atomically",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'scanner.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"scanner.report.{module}"), name)
