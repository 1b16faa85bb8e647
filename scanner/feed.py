"""Where the scan's host workers take their next address, and the liveness pass of a large
routed range (docs/discovery.md, "Large networks").

``HostFeed``: first the target iterator, less the addresses an enricher claims (LAN discovery on
an attached network, where ARP decides who exists), then the hosts the enrichers hand over as they
find them, until every enricher has stopped listening. Memory and tasks do not grow with the
range: the iterator is lazy and the queue holds only hosts found.

``Liveness``: the first stage of a two-stage sweep: a connect to a few common ports with a short
timeout (an accept or a refusal proves a host), plus an ICMP echo where raw sockets exist; only
an address that answered gets the whole port set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from scanner.config import ScanConfig
from scanner.discover.icmp import Pinger
from scanner.discover.tcp import sweep_host
from scanner.enrich import Claimer, Enricher
from scanner.transport import Connector

__all__ = ["HostFeed", "Liveness"]


class HostFeed:
    def __init__(
        self,
        targets: Iterable[str],
        enrichers: Sequence[Enricher],
        workers: int,
        deadline: Callable[[], float | None],  # the scan's; Ctrl-C brings it forward
    ) -> None:
        self._targets = iter(targets)
        self._enrichers = tuple(e for e in enrichers if isinstance(e, Claimer))
        self._workers = workers
        self._deadline = deadline
        # None tells a worker that no more hosts will be handed over.
        self._handed: asyncio.Queue[str | None] = asyncio.Queue()
        self._listening = 0
        self.claimed = 0  # addresses skipped because an enricher claimed them
        self.handed = 0  # hosts handed over and taken by a worker

    def start(
        self, group: asyncio.TaskGroup, enrichers: Sequence[Enricher], progress: Callable[[], None]
    ) -> None:
        """Subscribe to the claiming enrichers and start every listener in ``group``."""
        for claimer in self._enrichers:
            claimer.subscribe(self._handed.put_nowait, progress)
        self._listening = len(enrichers)
        for enricher in enrichers:
            group.create_task(self._listen(enricher))  # at once with the TCP sweep
        if not enrichers:
            self._no_more()

    def covered(self) -> int:
        """Claimed addresses the enrichers have dealt with so far."""
        return sum(e.covered() for e in self._enrichers)

    async def _listen(self, enricher: Enricher) -> None:
        try:
            # Discovery stops at the scan deadline too (a slow ARP sweep of a large network).
            async with asyncio.timeout_at(self._deadline()):
                await enricher.listen()
        except TimeoutError:
            pass
        finally:
            self._listening -= 1
            if self._listening == 0:
                self._no_more()

    def _no_more(self) -> None:
        for _ in range(self._workers):
            self._handed.put_nowait(None)

    def __aiter__(self) -> HostFeed:
        return self

    async def __anext__(self) -> tuple[str, bool]:
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
        return item

    def past_deadline(self) -> bool:
        loop = asyncio.get_running_loop()
        deadline = self._deadline()
        return deadline is not None and loop.time() >= deadline

    async def next(self) -> tuple[str, bool] | None:
        """The next address and whether an enricher handed it over; None when all is done or
        the scan deadline passed. Single-threaded loop: workers cannot race on the iterator."""
        if self.past_deadline():
            return None
        for ip in self._targets:
            if any(e.claims(ip) for e in self._enrichers):
                self.claimed += 1
                if self.claimed % 512 == 0:
                    await asyncio.sleep(0)  # a /16 of claimed addresses must not stall the loop
                continue
            return ip, False
        try:
            async with asyncio.timeout_at(self._deadline()):
                found = await self._handed.get()
        except TimeoutError:
            return None
        if found is None or self.past_deadline():
            return None
        self.handed += 1
        return found, True


async def _false() -> bool:
    return False


class Liveness:
    def __init__(
        self,
        config: ScanConfig,
        connector: Connector,
        sockets: asyncio.Semaphore,
        may_ping: bool,
    ) -> None:
        self._config = config
        self._connector = connector
        self._sockets = sockets
        self._may_ping = may_ping  # never with a scripted connector: nothing may be sent
        self._pinger: Pinger | None = None
        self.live = self.dead = 0

    def __enter__(self) -> Liveness:
        if self._config.liveness and self._may_ping:
            self._pinger = Pinger.open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pinger is not None:
            self._pinger.close()

    async def alive(self, ip: str) -> bool:
        """True when the address answered the liveness pass, or when there is none."""
        ports = self._config.liveness
        if not ports:
            return True
        timeout = self._config.timeouts.liveness
        sweep, pinged = await asyncio.gather(
            sweep_host(self._connector, ip, ports, timeout=timeout, sockets=self._sockets),
            self._pinger.ping(ip, timeout) if self._pinger is not None else _false(),
        )
        if sweep.answered or pinged:
            self.live += 1
            return True
        self.dead += 1
        return False

    def note(self) -> str | None:
        """The report's line on the addresses not swept fully, and why."""
        cfg = self._config
        if not cfg.liveness or not self.dead:
            return None
        asked = ", ".join(map(str, cfg.liveness))
        asked += " or an ICMP echo" if self._pinger is not None else ""
        return (
            f"two-stage sweep of a large routed range: {self.dead} addresses of "
            f"{', '.join(cfg.target_specs)} (every one not listed as a host) did not answer "
            f"a connect to {asked} within {cfg.timeouts.liveness:g}s and were not swept on "
            "the other camera ports; a device that ignores those ports is missed there. "
            f"{self.live} answered and were swept on every camera port (those with none "
            "open are not listed)"
        )
