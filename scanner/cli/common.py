"""Exit codes and the one-line usage error every command shares."""

from __future__ import annotations

import shutil
import sys
import textwrap

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
EXIT_NOTHING_FOUND = 4  # no device answered (or, with --passive, none was heard)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

PROFILES = ("guest", "owner", "lab")


class UsageError(Exception):
    """Bad flags, targets or files: one line to the user, exit 2."""


def say(text: str) -> None:
    """A status line on standard error, wrapped to the terminal (COLUMNS is honoured) with
    continuation lines indented. Errors are not said this way: they stay one line."""
    width = max(40, shutil.get_terminal_size(fallback=(80, 24)).columns)
    print(
        textwrap.fill(
            text, width, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
        ),
        file=sys.stderr,
        flush=True,
    )
