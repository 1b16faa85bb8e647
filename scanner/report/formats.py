"""Every report format by name: its file extension and its pure renderer.

The CLI asks :func:`render_to_string` for each requested format and writes the strings with
:func:`~scanner.report.output.write_atomically`; nothing here touches a file or the terminal.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scanner.models import Report, Severity

if TYPE_CHECKING:
    from scanner.report.review import Review

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
    verbose: bool = False  # text only: evidence, CVEs, links, ids
    check_address: str | None = None  # `camsweep check`: the verdict for this one device


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    extension: str  # for --output-dir and for guessing the format of -o FILE
    description: str
    renderer: Callable[[Report, TextIO, RenderOptions], None]


# Each renderer is imported when its format is asked for: `camsweep --help` and `--version`
# must not load seven renderers (and jsonschema) to print a few lines.


def _text(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.text import render_text  # noqa: PLC0415

    render_text(
        report,
        out,
        color=o.color,
        width=o.width,
        show_debug=o.show_debug,
        review=o.review,
        verbose=o.verbose,
        check_address=o.check_address,
    )


def _json(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.json_report import render_json  # noqa: PLC0415

    render_json(report, out, review=o.review)


def _sarif(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.sarif import render_sarif  # noqa: PLC0415

    render_sarif(report, out, review=o.review)


def _junit(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.junit import render_junit  # noqa: PLC0415

    render_junit(report, out, fail_on=o.fail_on, review=o.review)


def _html(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.html import render_html  # noqa: PLC0415

    render_html(report, out, review=o.review, check_address=o.check_address)


def _markdown(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.markdown import render_markdown  # noqa: PLC0415

    render_markdown(report, out, review=o.review)


def _csv(report: Report, out: TextIO, o: RenderOptions) -> None:
    from scanner.report.csv_report import render_csv  # noqa: PLC0415

    render_csv(report, out, review=o.review)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", ".txt", "the terminal report", _text),
        Format("json", ".json", "the JSON report (docs/report-schema.json)", _json),
        Format("sarif", ".sarif", "SARIF 2.1.0 for code scanning", _sarif),
        Format("junit", ".xml", "JUnit XML for CI test views", _junit),
        Format("html", ".html", "one self-contained web page", _html),
        Format("markdown", ".md", "markdown for a ticket or a chat", _markdown),
        Format("csv", ".csv", "CSV: devices and findings, one row each", _csv),
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
