"""TCP connect sweep: which camera ports are open on one host.

A connect sweep needs no privileges and sends nothing but SYNs (and a FIN after each accept), so it
is the discovery every profile may run. ARP, mDNS, SSDP and WS-Discovery add hosts that answer
none of these ports; they plug in beside this module as further discoverers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.transport import Connector, Refused, TransportError


@dataclass(frozen=True, slots=True)
class PortSweep:
    ip: str
    open_ports: tuple[int, ...]
    # Any answer at all (an accept or a refusal) proves the host is up; timeouts prove nothing.
    answered: bool


async def _try_port(
    connector: Connector, ip: str, port: int, timeout: float, sockets: asyncio.Semaphore
) -> tuple[int, bool | None]:
    """(port, True) when open, (port, False) when refused, (port, None) when silent."""
    async with sockets:
        try:
            conn = await connector.open(ip, port, timeout=timeout)
        except Refused:
            return port, False
        except TransportError:
            return port, None
        await conn.close()
        return port, True


async def sweep_host(
    connector: Connector,
    ip: str,
    ports: Sequence[int],
    *,
    timeout: float,
    sockets: asyncio.Semaphore,
) -> PortSweep:
    """Connect to every port of one host at once, bounded by the scan-wide socket semaphore."""
    results = await asyncio.gather(*(_try_port(connector, ip, p, timeout, sockets) for p in ports))
    open_ports = tuple(sorted(port for port, state in results if state))
    answered = any(state is not None for _, state in results)
    return PortSweep(ip, open_ports, answered)
