"""Which reports go where, writing them (atomically), and the exit code (docs/report.md)."""

from __future__ import annotations

import argparse
import io
import os
import select
import sys
from pathlib import Path
from typing import TextIO

from scanner.cli.common import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_FOUND,
    EXIT_OK,
    UsageError,
    say,
)
from scanner.models import Report
from scanner.report.formats import FORMATS, RenderOptions, default_filename, format_for_path
from scanner.report.words import plural

# Width of a text report written to a file (a terminal gets its own width).
FILE_WIDTH = 100


def wants_color(stream: TextIO) -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off; TERM=dumb cannot show it.
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def terminal_width(stream: TextIO) -> int:
    """rich's own detection: COLUMNS when set, else the terminal's size, else 80."""
    from rich.console import Console  # noqa: PLC0415  (only when a text report is printed)

    return Console(file=stream).width


def write_fully(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` or raise OSError: a short count is written on from where
    it stopped, and a non-blocking descriptor is waited on until the reader takes more.

    Needed because ``sys.stdout.write`` can lose the end of a report without a word. Under
    PYTHONUNBUFFERED (or ``python -u``) stdout is a TextIOWrapper straight over the raw file,
    and TextIOWrapper ignores the count a raw write returns (CPython issue #85393, open). A
    blocking pipe write comes back short when it is interrupted while the pipe is full: after a
    uvloop scan this happened in 3 of 12 full-range checks read by a slow reader (none on
    asyncio's loop, none without PYTHONUNBUFFERED), and the rest of the JSON was dropped with
    exit 0. A descriptor shared with a process that set O_NONBLOCK loses data the same way.
    """
    view = memoryview(data)
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    # Each turn writes at least one byte or waits for the reader; a reader that never reads
    # again holds camsweep as long as it would hold a blocking write (Ctrl-C still ends it).
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            written = None
        if written is None:
            # POLLERR (the reader left) falls through to the next write, which raises the
            # real error (BrokenPipeError); only a closed descriptor cannot be written at all.
            if any(event & select.POLLNVAL for _, event in poller.poll()):
                raise OSError("standard output was closed while the report was written")
            continue
        if written <= 0:
            raise OSError("standard output accepted nothing")
        view = view[written:]


def write_stdout(text: str) -> None:
    """The whole of ``text`` on standard output, or OSError (BrokenPipeError when the reader
    left): never a report cut short with exit 0 (see :func:`write_fully`)."""
    stream = sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        # Not a file (a test's StringIO, pytest's capture): its own write takes everything.
        stream.write(text)
        stream.flush()
        return
    stream.flush()  # whatever was printed before goes first
    write_fully(fd, text.encode(stream.encoding or "utf-8", stream.errors or "strict"))


def _check_output_path(path: Path | None) -> None:
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise UsageError(f"-o {path} is a directory")
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {path}: folder {parent} is not writable")


def _format_of(path: Path) -> str:
    """The format ``-o FILE`` names by its extension; a file without one gets text, and an
    extension camsweep cannot write (``.pdf``) is refused rather than silently filled with text."""
    guessed = format_for_path(path)
    if guessed is not None:
        return guessed
    if path.suffix:
        known = " ".join(dict.fromkeys(f.extension for f in FORMATS.values()))
        raise UsageError(
            f"-o {path}: camsweep cannot write {path.suffix} files; use one of {known} "
            "or name the format with --format"
        )
    return "text"


def _output_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise UsageError(f"--output-dir {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --output-dir {path}: {exc.strerror or exc}") from None
    return path


def plan_outputs(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    """Pair each requested format with its file (None: standard output); docs/report.md.

    ``--format F -o FILE`` pairs by position (repeat both for several reports); ``-o FILE``
    alone takes the format from the extension (``.sarif``, ``.html`` ...); ``--output-dir
    DIR`` names the files ``camsweep-report.<ext>`` (and creates DIR); ``-o -`` is stdout.
    """
    formats: list[str] = list(args.format or [])
    outputs: list[str] = list(args.output or [])
    if args.output_dir is not None:
        if outputs:
            raise UsageError("use -o FILE or --output-dir DIR, not both")
        if not formats:
            raise UsageError("--output-dir needs at least one --format")
        folder = _output_dir(args.output_dir)
        plan: list[tuple[str, Path | None]] = [
            (fmt, folder / default_filename(fmt)) for fmt in dict.fromkeys(formats)
        ]
    elif outputs:
        if formats and len(formats) != len(outputs):
            raise UsageError(
                f"{len(formats)} --format but {len(outputs)} -o: give one -o per --format "
                "(in the same order) or use --output-dir"
            )
        plan = []
        for i, name in enumerate(outputs):
            path = None if name == "-" else Path(name)
            if formats:
                plan.append((formats[i], path))
            else:
                plan.append(("text" if path is None else _format_of(path), path))
    else:
        if len(formats) > 1:
            raise UsageError("several --format need -o FILE for each, or --output-dir DIR")
        plan = [(formats[0] if formats else "text", None)]
    files = [path for _, path in plan if path is not None]
    if len(files) != len({p.resolve() for p in files}):
        raise UsageError("two reports would be written to the same file")
    if len(plan) - len(files) > 1:
        raise UsageError("only one report can go to standard output (-o -)")
    for path in files:
        _check_output_path(path)
    return plan


def _read_review_inputs(args: argparse.Namespace) -> tuple[Report | None, object | None]:
    """--baseline and --inventory are read before the scan: a typo costs a second, not a scan."""
    if args.fail_on_new and args.baseline is None:
        raise UsageError("--fail-on-new needs --baseline FILE (a JSON report of an earlier scan)")
    if args.fail_on_unexpected and args.inventory is None:
        raise UsageError("--fail-on-unexpected needs --inventory FILE")
    baseline = None
    if args.baseline is not None:
        from scanner.report.json_report import ReportFormatError, read_json  # noqa: PLC0415

        try:
            with args.baseline.open(encoding="utf-8") as handle:
                baseline = read_json(handle)
        except OSError as exc:
            raise UsageError(f"cannot read --baseline {args.baseline}: {exc.strerror}") from None
        except ReportFormatError as exc:
            raise UsageError(f"--baseline {args.baseline}: {exc}") from None
    inventory = None
    if args.inventory is not None:
        from scanner.report.inventory import InventoryError, load_inventory  # noqa: PLC0415

        try:
            inventory = load_inventory(args.inventory)
        except InventoryError as exc:
            raise UsageError(f"inventory: {exc}") from None
    return baseline, inventory


def prepare_outputs(args: argparse.Namespace) -> None:
    """Everything about the reports that can fail is checked before the scan starts."""
    args.plan = plan_outputs(args)
    args.baseline_report, args.inventory_data = _read_review_inputs(args)


def status_counts(report: Report) -> str:
    """``6 devices, 4 cameras, 1 video recorder, 14 problems``: the words the report uses."""
    s = report.summary
    problems = sum(n for sev, n in s.findings_by_severity.items() if sev != "info")
    return (
        f"{plural(s.hosts_up, 'device')}, {plural(s.cameras, 'camera')}, "
        f"{plural(s.recorders, 'video recorder')}, {plural(problems, 'problem')}"
    )


def emit(report: Report, args: argparse.Namespace, *, check_address: str | None = None) -> None:
    """Render every requested format, then write each file atomically (docs/report.md)."""
    from scanner.report.output import write_atomically  # noqa: PLC0415
    from scanner.report.review import make_review  # noqa: PLC0415

    args.review = make_review(report, baseline=args.baseline_report, inventory=args.inventory_data)
    failed: list[str] = []
    for fmt, path in args.plan:
        to_terminal = path is None and fmt == "text"
        width = args.width or (terminal_width(sys.stdout) if to_terminal else FILE_WIDTH)
        options = RenderOptions(
            review=args.review,
            fail_on=args.fail_on,
            color=to_terminal and wants_color(sys.stdout),
            show_debug=args.debug,
            width=width,
            verbose=args.verbose,
            check_address=check_address,
        )
        from scanner.report.formats import render_to_string  # noqa: PLC0415

        text = render_to_string(report, fmt, options)
        if path is None:
            try:
                write_stdout(text)
            except BrokenPipeError:
                raise  # the reader left: main's quiet exit 141, as for `| head`
            except OSError as exc:
                failed.append(f"standard output: {exc.strerror or exc}")
            continue
        try:
            write_atomically(path, text)
        except OSError as exc:
            # The other reports are still written: one full disk must not lose them all.
            failed.append(f"{path}: {exc.strerror or exc}")
            continue
        if not args.quiet:
            say(
                f"camsweep: {fmt} report written to {path} ({status_counts(report)})",
            )
    if failed:
        raise OSError(f"could not write {plural(len(failed), 'report')}: {'; '.join(failed)}")


def exit_code(report: Report, args: argparse.Namespace, *, live: bool = True) -> int:
    """130 when this scan was interrupted; 1 when a gate was crossed; 4 when nothing answered;
    else 0. ``live=False`` (``report convert``): a saved report's interruption is history."""
    from scanner.report.review import gate  # noqa: PLC0415

    if live and report.interrupted:
        return EXIT_INTERRUPTED
    reasons = gate(
        report,
        getattr(args, "review", None),
        fail_on=args.fail_on,
        fail_on_new=args.fail_on_new,
        fail_on_unexpected=args.fail_on_unexpected,
    )
    if reasons:
        if not args.quiet:
            say(f"camsweep: failing (exit 1): {'; '.join(reasons)}")
        return EXIT_FINDINGS
    if not report.hosts:
        if not args.quiet:
            from scanner.report.actions import nothing_found_line  # noqa: PLC0415

            say(f"camsweep: {nothing_found_line(report)} (exit 4)")
        return EXIT_NOTHING_FOUND
    return EXIT_OK
