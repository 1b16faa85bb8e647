"""Running a scan on the event loop: the progress bar, and Ctrl-C that stops politely.

The first Ctrl-C (SIGINT) does not kill camsweep: it sets the scan's stop event, every host in
progress ends with what it has answered so far (as at --scan-timeout), the report is marked
interrupted, and the CLI still writes every requested report before exiting 130. A second
Ctrl-C quits at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from scanner.cli.common import say

if TYPE_CHECKING:
    from scanner.models import Host
    from scanner.pipeline import ScanObserver, ScanProgress

_T = TypeVar("_T")


def run_async(main: Coroutine[Any, Any, _T]) -> _T:
    """Run on uvloop when it is installed: scanning many hosts is mostly event-loop work, and
    uvloop's loop does it in about half the CPU time of asyncio's."""
    try:
        import uvloop  # noqa: PLC0415  (optional speed-up)
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def stoppable(work: Callable[[asyncio.Event], Awaitable[_T]], *, quiet: bool = False) -> _T:
    """Run ``work(stop)``; the first SIGINT sets ``stop`` (and says so), the second raises
    KeyboardInterrupt as usual. Where signals cannot be caught here (not the main thread,
    Windows), Ctrl-C keeps its default meaning."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def first_interrupt() -> None:
        stop.set()
        with contextlib.suppress(RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)  # the next Ctrl-C is the default one
        if not quiet:
            print(file=sys.stderr)  # off the line the terminal echoed ^C on
            say(
                "camsweep: stopping (Ctrl-C again quits at once); writing the report with "
                "what was found so far"
            )

    try:
        loop.add_signal_handler(signal.SIGINT, first_interrupt)
        installed = True
    except (NotImplementedError, RuntimeError, ValueError):
        installed = False
    try:
        return await work(stop)
    finally:
        if installed:
            with contextlib.suppress(RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)


class _RichProgress:
    """A progress bar on stderr, advanced by the pipeline's observer calls."""

    def __init__(self) -> None:
        from rich.console import Console  # noqa: PLC0415  (only on a terminal)
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[state]}"),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._task = self._progress.add_task("scan", total=None, state="")

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def scan_started(self, total_hosts: int) -> None:
        self._progress.update(self._task, total=total_hosts)

    def progress(self, state: ScanProgress) -> None:
        text = f"{state.found} found, {state.probed} probed, {state.pending} pending"
        # Addresses swept (by TCP, or asked by ARP) or found: the estimate follows the sweep.
        done = min(state.addresses, state.swept + state.pending)
        self._progress.update(self._task, completed=done, state=text)

    def host_finished(self, ip: str, host: Host | None) -> None:
        pass


@contextlib.contextmanager
def observer(args: argparse.Namespace) -> Iterator[ScanObserver | None]:
    if args.quiet or args.no_progress or not sys.stderr.isatty():
        yield None
        return
    with _RichProgress() as progress:
        yield progress
