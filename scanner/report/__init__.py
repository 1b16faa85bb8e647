"""Risk scoring and pure report renderers: ``(Report, TextIO) -> None``; only the CLI prints."""

from scanner.report.json_report import (
    SECRET_MASK,
    ReportFormatError,
    read_json,
    render_json,
    report_from_dict,
    report_to_dict,
)
from scanner.report.risk import level_for_score, score_host, summarize
from scanner.report.sanitize import clean_text
from scanner.report.schema import SCHEMA_VERSION, report_schema
from scanner.report.text import render_text

__all__ = [
    "SCHEMA_VERSION",
    "SECRET_MASK",
    "ReportFormatError",
    "clean_text",
    "level_for_score",
    "read_json",
    "render_json",
    "render_text",
    "report_from_dict",
    "report_schema",
    "report_to_dict",
    "score_host",
    "summarize",
]
