"""Ctrl-C for a running scan: stop politely and keep what was found.

The CLI sets an ``asyncio.Event`` on the first SIGINT (scanner/cli/running.py). A
:class:`Stopper` watches it: the scan's deadline becomes "now", every host deadline in force is
moved to now (so each host ends with what it has answered, exactly as at --scan-timeout), the
scan-wide hard stop gets its usual grace, and ``interrupted`` tells the report to say so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.config import Timeouts

__all__ = ["Stopper"]


class Stopper:
    def __init__(self, stop: asyncio.Event | None, *, grace: float) -> None:
        self._stop = stop
        self._grace = grace
        self._timeouts: set[asyncio.Timeout] = set()
        self._outer: asyncio.Timeout | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.interrupted = False

    def begin(self, scan_wide: asyncio.Timeout, set_deadline: Callable[[float], None]) -> None:
        """The scan started: watch ``stop``; ``scan_wide`` is the scan's own hard stop (on
        Ctrl-C it fires after the grace, not at once); ``set_deadline(now)`` is called on stop."""
        self._outer = scan_wide
        self._timeouts.add(scan_wide)
        if self._stop is not None:
            self._watcher = asyncio.create_task(self._watch(set_deadline))

    def end(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    @contextlib.contextmanager
    def track(self, timeout: asyncio.Timeout) -> Iterator[None]:
        """A host's deadline, cut to "now" on Ctrl-C while it is in force."""
        self._timeouts.add(timeout)
        try:
            yield
        finally:
            self._timeouts.discard(timeout)

    # --- the report's words for a stop -----------------------------------------------------

    def host_note(self, timeouts: Timeouts, *, by_scan: bool) -> str:
        """Why a host ended early: Ctrl-C, the scan's deadline, or its own."""
        if self.interrupted:
            why = "the scan was interrupted (Ctrl-C) while this host was being scanned"
        elif by_scan:
            why = (
                f"the scan reached its {timeouts.scan:g}s deadline while this host was being "
                "scanned"
            )
        else:
            why = f"the host did not finish within {timeouts.host:g}s"
        return f"{why}; results are what it answered before that"

    def hard_stop_note(self, scan_timeout: float | None) -> str:
        why = "Ctrl-C" if self.interrupted else f"its {scan_timeout:g}s deadline"
        return (
            f"the scan was stopped {self._grace:g}s after {why}; hosts still in progress then "
            "are missing from this report"
        )

    def unscanned_note(self, scan_timeout: float | None, missing: int, total: int) -> str:
        why = (
            "was interrupted (Ctrl-C)"
            if self.interrupted
            else f"reached its {scan_timeout:g}s deadline"
        )
        return f"the scan {why}: {missing} of {total} addresses were not scanned"

    async def _watch(self, set_deadline: Callable[[float], None]) -> None:
        assert self._stop is not None
        await self._stop.wait()
        self.interrupted = True
        now = asyncio.get_running_loop().time()
        set_deadline(now)
        for timeout in list(self._timeouts):
            when = now + (self._grace if timeout is self._outer else 0.0)
            current = timeout.when()
            if current is None or current > when:
                timeout.reschedule(when)
