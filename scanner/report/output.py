"""Writing a finished report to disk: whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Temp file beside the target, then rename: a crash never leaves half a report.

    ``os.replace`` is atomic on POSIX when both names are on one file system, which holds
    because the temp file is made in the target's own folder. Readers (a CI upload step, a
    browser) see the old file or the new one, never a mixture. The data is flushed to disk
    before the rename so that a power cut cannot leave an empty file under the new name.
    """
    parent = path.parent if str(path.parent) else Path()
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    try:
        # mkstemp makes the file 0600; a report replaces a file the user may share (an HTML
        # page on a web server, a SARIF upload), so it gets the mode that file had, or the
        # mode an ordinary new file would get under the current umask.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        pass
    # Reading the umask means setting it; the CLI is single-threaded when it writes reports.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
