"""Risk scoring and pure report renderers: ``(Report, TextIO) -> None``; only the CLI prints."""

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
