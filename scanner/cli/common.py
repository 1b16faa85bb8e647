"""Exit codes and the one-line usage error every command shares."""

from __future__ import annotations

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
EXIT_NOTHING_FOUND = 4  # no device answered (or, with --passive, none was heard)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

PROFILES = ("guest", "owner", "lab")


class UsageError(Exception):
    """Bad flags, targets or files: one line to the user, exit 2."""
