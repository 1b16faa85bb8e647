"""Services that speak first: an FTP, SSH or vendor greeting, then a fixed answer to every line.

camsweep's own probes identify RTSP, HTTP and Telnet; a port that only greets (an Axis camera's
FTP server, a DVR's SSH daemon) is evidence camsweep banner-grabs but may not recognise, and is
what ``--nmap`` hands to nmap. These lab services let tests build such devices on loopback.

A banner service runs beside a lab device on the same loopback address (``start_banner``), under
the same rules as the rest of the lab: loopback only, every connection a task the service owns,
an idle deadline, a cap on what it reads, and ``close()`` ends them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from dataclasses import dataclass

from scanner.lab.devices import LOOPBACK
from scanner.lab.wire import LabStream

__all__ = [
    "AXIS_FTP",
    "DROPBEAR_SSH",
    "BannerConfig",
    "BannerServer",
    "BannerService",
    "start_banner",
]

log = logging.getLogger(__name__)

MAX_LINES = 64  # lines answered per connection before the service hangs up
MAX_READ_BYTES = 64 * 1024  # read per connection before the service hangs up
DEFAULT_IDLE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class BannerConfig:
    greeting: bytes  # sent as soon as a client connects
    reply: bytes = b""  # sent once per line the client sends; empty: read and stay silent
    label: str = ""  # what the real service is, for test messages


# An Axis camera's FTP server greets with model and firmware (RFC 959 s4.2: reply 220 "Service
# ready"); nmap's service probes name it, camsweep's fingerprints do not look at FTP.
AXIS_FTP = BannerConfig(
    greeting=b"220 AXIS M1031-W Network Camera 5.20 (Jan 20 2011) ready.\r\n",
    reply=b"500 Unknown command.\r\n",  # RFC 959 s4.2: syntax error, command unrecognized
    label="Axis camera FTP",
)

# An SSH server sends its identification string first (RFC 4253 s4.2) and then waits for the
# client's; anything that is not one ends the connection on a real server.
DROPBEAR_SSH = BannerConfig(
    greeting=b"SSH-2.0-dropbear_2019.78\r\n",
    reply=b"",
    label="Dropbear SSH",
)


class BannerServer:
    def __init__(self, config: BannerConfig) -> None:
        self.config = config

    async def serve(self, stream: LabStream) -> None:
        if not await stream.send(self.config.greeting):
            return
        lines = 0
        read = 0
        while lines < MAX_LINES and read < MAX_READ_BYTES:
            chunk = await stream.read_some(4096)
            if not chunk:
                return
            read += len(chunk)
            if not self.config.reply:
                continue
            for _ in range(min(chunk.count(b"\n"), MAX_LINES - lines)):
                lines += 1
                if not await stream.send(self.config.reply):
                    return


class BannerService:
    """One listening banner service. ``async with await start_banner(...) as service``."""

    def __init__(self, ip: str, config: BannerConfig, idle_timeout: float) -> None:
        self.ip = ip
        self.port = 0
        self.config = config
        self.connections = 0
        self._idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, as in scanner.lab.runner: the service owns every connection task.
        if self._closed:
            writer.close()
            return
        self.connections += 1
        task = asyncio.get_running_loop().create_task(self._run(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = LabStream(reader, writer, idle_timeout=self._idle_timeout)
        try:
            async with asyncio.timeout(self._idle_timeout * 4):
                await BannerServer(self.config).serve(stream)
        except TimeoutError:
            pass
        except Exception:  # one connection must never take the service down; keep the trace
            log.warning("lab banner connection failed", exc_info=True)
        finally:
            await stream.close()

    async def close(self) -> None:
        self._closed = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        if server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await server.wait_closed()

    async def __aenter__(self) -> BannerService:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_banner(
    ip: str,
    config: BannerConfig,
    *,
    port: int = 0,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
) -> BannerService:
    """Listen on ``ip``:``port`` (0: an ephemeral port); ``ip`` must be on 127.0.0.0/8."""
    if ipaddress.ip_address(ip) not in LOOPBACK:
        raise ValueError(f"lab banner service must live on 127.0.0.0/8, not {ip}")
    service = BannerService(ip, config, idle_timeout)
    service._server = await asyncio.start_server(service._on_connect, ip, port)
    sockets = service._server.sockets
    service.port = int(sockets[0].getsockname()[1]) if sockets else port
    return service
