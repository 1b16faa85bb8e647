"""``main``: parse argv, run one command, turn every failure into one line and an exit code."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence

from scanner.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from scanner.cli.parser import build_parser

# 128 + SIGPIPE, what a shell reports for `yes | head -1`: the reader closed the pipe early.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


def _command(spec: str) -> Callable[..., int]:
    """``"scanner.cli.scan_cmd:cmd_scan"`` -> the function; imported only now."""
    module, _, name = spec.partition(":")
    func: Callable[..., int] = getattr(importlib.import_module(module), name)
    return func


def _user_error(exc: Exception) -> list[str] | None:
    """The one-line messages of an error the user can fix (exit 2), else None."""
    if isinstance(exc, UsageError):
        return [f"error: {exc}"]
    # These modules are loaded by the command that raised; importing them here costs nothing.
    from scanner.credentials.custom import CredentialFileError  # noqa: PLC0415
    from scanner.match import SignatureError  # noqa: PLC0415
    from scanner.targets import TargetError  # noqa: PLC0415

    if isinstance(exc, (TargetError, CredentialFileError)):
        return [f"error: {exc}"]
    if isinstance(exc, SignatureError):
        return [f"signature error: {error}" for error in exc.errors]
    return None


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush stays quiet
    (Python docs, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        code: int = _command(args.func)(args)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("camsweep: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # one line, traceback only with --debug  # noqa: BLE001
        messages = _user_error(exc)
        if messages is not None:
            for message in messages:
                print(f"camsweep: {message}", file=sys.stderr)
            return EXIT_USAGE
        if debug:
            traceback.print_exc()
        print(f"camsweep: scan failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return code if code is not None else EXIT_OK
