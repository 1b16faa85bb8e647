"""Every report format by name: its file extension and its pure renderer.

The CLI asks :func:`render_to_string` for each requested format and writes the strings with
:func:`~scanner.report.output.write_atomically`; nothing here touches a file or the terminal.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from scanner.models import Report, Severity
from scanner.report.csv_report import render_csv
from scanner.report.html import render_html
from scanner.report.json_report import render_json
from scanner.report.junit import render_junit
from scanner.report.markdown import render_markdown
from scanner.report.review import Review
from scanner.report.sarif import render_sarif
from scanner.report.text import render_text

__all__ = [
    "FORMATS",
    "Format",
    "RenderOptions",
    "default_filename",
    "format_for_path",
    "render",
    "render_to_string",
]


@dataclass(frozen=True, slots=True)
class RenderOptions:
    review: Review | None = None
    fail_on: Severity | None = None  # JUnit's failure threshold
    color: bool = False  # text only
    show_debug: bool = False  # text only
    width: int = 100  # text only


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    extension: str  # for --output-dir and for guessing the format of -o FILE
    description: str
    renderer: Callable[[Report, TextIO, RenderOptions], None]


def _text(report: Report, out: TextIO, o: RenderOptions) -> None:
    render_text(report, out, color=o.color, width=o.width, show_debug=o.show_debug, review=o.review)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", ".txt", "the terminal report", _text),
        Format(
            "json",
            ".json",
            "the JSON report (docs/report-schema.json)",
            lambda r, out, o: render_json(r, out, review=o.review),
        ),
        Format(
            "sarif",
            ".sarif",
            "SARIF 2.1.0 for code scanning",
            lambda r, out, o: render_sarif(r, out, review=o.review),
        ),
        Format(
            "junit",
            ".xml",
            "JUnit XML for CI test views",
            lambda r, out, o: render_junit(r, out, fail_on=o.fail_on, review=o.review),
        ),
        Format(
            "html",
            ".html",
            "one self-contained web page",
            lambda r, out, o: render_html(r, out, review=o.review),
        ),
        Format(
            "markdown",
            ".md",
            "markdown for a ticket or a chat",
            lambda r, out, o: render_markdown(r, out, review=o.review),
        ),
        Format(
            "csv",
            ".csv",
            "CSV: devices and findings, one row each",
            lambda r, out, o: render_csv(r, out, review=o.review),
        ),
    )
}
# Extensions people use besides the canonical one, for guessing -o FILE's format.
_ALIASES = {".htm": "html", ".markdown": "markdown", ".sarif.json": "sarif", ".text": "text"}


def render(report: Report, fmt: str, out: TextIO, options: RenderOptions) -> None:
    FORMATS[fmt].renderer(report, out, options)


def render_to_string(report: Report, fmt: str, options: RenderOptions) -> str:
    buffer = io.StringIO()
    render(report, fmt, buffer, options)
    return buffer.getvalue()


def format_for_path(path: Path) -> str | None:
    """The format a file name asks for (``r.sarif`` -> sarif), or None when it does not say."""
    name = path.name.lower()
    for suffix, fmt in _ALIASES.items():
        if name.endswith(suffix):
            return fmt
    for entry in FORMATS.values():
        if name.endswith(entry.extension):
            return entry.name
    return None


def default_filename(fmt: str, stem: str = "camsweep-report") -> str:
    return stem + FORMATS[fmt].extension
