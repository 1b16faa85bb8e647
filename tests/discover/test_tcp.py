from __future__ import annotations

import asyncio
import socket

import pytest

from scanner.discover.tcp import sweep_host
from scanner.transport import ConnectTimeout, ScriptedConnector, TcpConnector


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_sweep_finds_open_ports_on_loopback() -> None:
    host = "127.55.0.1"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    servers = [await asyncio.start_server(handle, host, 0) for _ in range(2)]
    try:
        open_ports = sorted(s.sockets[0].getsockname()[1] for s in servers)
        closed = _free_port(host)
        result = await sweep_host(
            TcpConnector(),
            host,
            [closed, *open_ports],
            timeout=1.0,
            sockets=asyncio.Semaphore(4),
        )
    finally:
        for s in servers:
            s.close()
            await s.wait_closed()
    assert result.open_ports == tuple(open_ports)
    assert result.answered


@pytest.mark.asyncio
async def test_refusals_prove_the_host_is_up_but_timeouts_do_not() -> None:
    refused = await sweep_host(
        ScriptedConnector({}), "198.51.100.1", [80], timeout=0.1, sockets=asyncio.Semaphore(1)
    )
    assert refused.open_ports == ()
    assert refused.answered

    class Silent:
        async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> object:
            raise ConnectTimeout("silent")

    silent = await sweep_host(
        Silent(),  # type: ignore[arg-type]
        "198.51.100.1",
        [80, 554],
        timeout=0.1,
        sockets=asyncio.Semaphore(1),
    )
    assert silent.open_ports == ()
    assert not silent.answered


@pytest.mark.asyncio
async def test_socket_semaphore_bounds_concurrency() -> None:
    active = 0
    peak = 0

    class Counting:
        async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> object:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1
            raise ConnectTimeout("x")

    await sweep_host(
        Counting(),  # type: ignore[arg-type]
        "198.51.100.1",
        list(range(1, 41)),
        timeout=0.1,
        sockets=asyncio.Semaphore(5),
    )
    assert peak == 5
