"""Hostile and broken devices: the lab personas a scanner must survive.

A scanner talks to the least trustworthy machines on a network. Each persona here is one way a
device can be broken or built to hurt the client talking to it: it accepts and never answers,
drips one byte a second, streams without end, resets half-way, answers garbage, floods Telnet
option negotiation, hides terminal escape sequences in every text it sends, answers XML with
entity bombs and external entities, or names addresses outside the scan (HTTP redirects,
ONVIF XAddrs, RTSP Content-Base, SSDP LOCATION) hoping the scanner goes there.

``start_hostile()`` serves every persona on its own loopback address (``127.66.0.10`` ...),
one port number per protocol across the whole hostile lab, and can watch the out-of-scope
address the personas point at (``127.66.1.1``): any connection there is a scope violation, and
``HostileLab.out_of_scope`` counts them. ``camsweep lab --hostile`` runs it for users; the
hostile-suite test scans it and checks time, memory, output and scope.

Like the rest of the lab this is written from the protocol texts, not from ``scanner.probe``:
a persona is what a device may send, whatever the scanner expects. Every connection is owned
by the lab, capped in lifetime, and ended by ``close()``; a persona stops streaming as soon as
the client goes away.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from scanner.lab.devices import LOOPBACK
from scanner.lab.hostile_payloads import (
    ESCAPES,
    HTTP_GARBAGE,
    HTTPS_GARBAGE,
    RTSP_GARBAGE,
    TELNET_GARBAGE,
    billion_laughs,
    external_entity,
    gzip_bomb,
    ssdp_response,
    wsd_probe_matches,
)
from scanner.lab.personas import (
    PREFERRED_PORTS,
    Behaviour,
    Peer,
    Persona,
    default_personas,
    rotating,
)
from scanner.lab.runner import shut_down
from scanner.lab.wire import (
    LabStream,
)
from scanner.models import Protocol

__all__ = [
    "ELSEWHERE",
    "ESCAPES",
    "HOSTILE_PREFIX",
    "HTTPS_GARBAGE",
    "HTTP_GARBAGE",
    "PREFERRED_PORTS",
    "RTSP_GARBAGE",
    "TELNET_GARBAGE",
    "Behaviour",
    "HostileLab",
    "Peer",
    "Persona",
    "billion_laughs",
    "default_personas",
    "describe_personas",
    "external_entity",
    "gzip_bomb",
    "rotating",
    "ssdp_response",
    "start_hostile",
    "wsd_probe_matches",
]

log = logging.getLogger(__name__)

HOSTILE_PREFIX = "127.66.0"  # personas at .10, .11, ...
ELSEWHERE = "127.66.1.1"  # the out-of-scope address the personas try to lure a scanner to
_FIRST_HOST = 10
DEFAULT_LIFETIME = 60.0  # seconds any one connection may last
DEFAULT_IDLE = 30.0  # seconds a persona waits for a client that says nothing
DEFAULT_DRIP = 1.0  # seconds between two bytes of a drip
MAX_CONNECTIONS = 2048  # open at once across the hostile lab; more are closed at accept
_BIND_TRIES = 16

# --- running the lab -------------------------------------------------------------------------


@dataclass
class RunningPersona:
    persona: Persona
    ip: str


@dataclass
class HostileLab:
    """The running hostile lab. ``async with await start_hostile() as lab`` or ``close()``."""

    personas: tuple[RunningPersona, ...] = ()
    elsewhere: str = ELSEWHERE
    drip_interval: float = DEFAULT_DRIP
    ports_by_protocol: dict[Protocol, int] = field(default_factory=dict)
    # Connections the out-of-scope watcher accepted, per port: must stay empty.
    out_of_scope: Counter[int] = field(default_factory=Counter)
    # Request targets, seen by any persona, that name the out-of-scope address.
    named_elsewhere: list[str] = field(default_factory=list)
    lifetime: float = DEFAULT_LIFETIME
    idle: float = DEFAULT_IDLE
    _servers: list[asyncio.Server] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _accepted: Counter[tuple[str, Protocol]] = field(default_factory=Counter)
    _closed: bool = False

    # -- what a scanner needs to know ---------------------------------------------------------

    def targets(self) -> list[str]:
        return [p.ip for p in self.personas]

    def ports(self) -> list[int]:
        return sorted(self.ports_by_protocol.values())

    def port(self, protocol: Protocol) -> int:
        return self.ports_by_protocol[protocol]

    def port_protocols(self) -> dict[int, Protocol]:
        """Announced ports only: the raw TCP port is left for the scanner to sniff."""
        return {
            port: protocol
            for protocol, port in sorted(self.ports_by_protocol.items())
            if protocol is not Protocol.TCP
        }

    def ports_argument(self) -> str:
        """``--ports`` for ``camsweep scan``: ``18080:http,...,18999`` (the raw port bare)."""
        parts = [
            str(port) if protocol is Protocol.TCP else f"{port}:{protocol.value}"
            for protocol, port in sorted(self.ports_by_protocol.items(), key=lambda kv: kv[1])
        ]
        return ",".join(parts)

    def ip_of(self, key: str) -> str:
        for running in self.personas:
            if running.persona.key == key:
                return running.ip
        raise KeyError(key)

    def note_request(self, target: str) -> None:
        if self.elsewhere in target and len(self.named_elsewhere) < 100:
            self.named_elsewhere.append(target[:200])

    @property
    def open_connections(self) -> int:
        return len(self._tasks)

    # -- lifecycle ----------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        servers, self._servers = self._servers, []
        await shut_down(servers, self._tasks)

    async def __aenter__(self) -> HostileLab:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None], writer: asyncio.StreamWriter) -> None:
        if self._closed or len(self._tasks) >= MAX_CONNECTIONS:
            writer.close()
            return
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(_owned(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _persona_callback(
        self, ip: str, protocol: Protocol, behaviour: Behaviour
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            index = self._accepted[(ip, protocol)]
            self._accepted[(ip, protocol)] += 1
            stream = LabStream(reader, writer, idle_timeout=self.idle)
            peer = Peer(stream, writer, self, ip, index)
            self._spawn(self._run(behaviour, peer), writer)

        return on_connect

    def _watch_callback(
        self, port: int
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.out_of_scope[port] += 1
            log.warning("out-of-scope connection to %s:%d", self.elsewhere, port)
            writer.close()

        return on_connect

    async def _run(self, behaviour: Behaviour, peer: Peer) -> None:
        try:
            async with asyncio.timeout(self.lifetime):
                await behaviour(peer)
        except TimeoutError:
            pass  # the lifetime cap ends even an endless stream
        except (ConnectionError, OSError):
            pass  # the client went away mid-write
        finally:
            await peer.stream.close()


async def _owned(coro: Awaitable[None]) -> None:
    try:
        await coro
    except Exception:  # one connection must never take the lab down; keep the trace
        log.warning("hostile persona failed", exc_info=True)


def _listen(ip: str, port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        return None
    return sock


def _bind_all(ips: Sequence[str], preferred: int) -> tuple[int, list[socket.socket]]:
    """Bind one port number on every address in ``ips``: ``preferred`` first, else a number the
    kernel picks for the first address, tried on the others; a few rounds at most."""
    candidates: list[int] = [preferred] + [0] * _BIND_TRIES
    for candidate in candidates:
        socks: list[socket.socket] = []
        first = _listen(ips[0], candidate)
        if first is None:
            continue
        port = int(first.getsockname()[1])
        socks.append(first)
        for ip in ips[1:]:
            sock = _listen(ip, port)
            if sock is None:
                break
            socks.append(sock)
        if len(socks) == len(ips):
            return port, socks
        for sock in socks:
            sock.close()
    raise OSError(f"hostile lab: no port number free on all of {', '.join(ips)}")


async def start_hostile(
    personas: Sequence[Persona] | None = None,
    *,
    prefix: str = HOSTILE_PREFIX,
    elsewhere: str = ELSEWHERE,
    watch_elsewhere: bool = True,
    drip_interval: float = DEFAULT_DRIP,
    lifetime: float = DEFAULT_LIFETIME,
    idle: float = DEFAULT_IDLE,
) -> HostileLab:
    """Serve ``personas`` (default: all) at ``<prefix>.10`` onwards, and, with
    ``watch_elsewhere``, a listener on ``elsewhere`` at every port the lab uses that counts the
    connections a scanner must never make. Loopback only; on failure nothing is left open."""
    chosen = tuple(default_personas() if personas is None else personas)
    keys = [p.key for p in chosen]
    if len(keys) != len(set(keys)):
        raise ValueError("hostile personas must have distinct keys")
    ips = []
    for offset in range(len(chosen)):
        ip = f"{prefix}.{_FIRST_HOST + offset}"
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError as exc:
            raise ValueError(
                f"hostile prefix must be three octets like 127.66.0: {prefix!r}"
            ) from exc
        if address not in LOOPBACK:
            raise ValueError(f"hostile personas must live on 127.0.0.0/8, not {ip}")
        ips.append(ip)
    other = ipaddress.IPv4Address(elsewhere)
    if other not in LOOPBACK or elsewhere in ips:
        raise ValueError(f"the out-of-scope address must be loopback and no persona's: {elsewhere}")
    lab = HostileLab(
        personas=tuple(RunningPersona(p, ip) for p, ip in zip(chosen, ips, strict=True)),
        elsewhere=elsewhere,
        drip_interval=drip_interval,
        lifetime=lifetime,
        idle=idle,
    )
    try:
        for protocol, preferred in PREFERRED_PORTS.items():
            serving = [
                (p, ip) for p, ip in zip(chosen, ips, strict=True) if protocol in p.behaviours
            ]
            if not serving:
                continue
            bind_ips = [ip for _, ip in serving] + ([elsewhere] if watch_elsewhere else [])
            port, socks = _bind_all(bind_ips, preferred)
            lab.ports_by_protocol[protocol] = port
            for sock, ip in zip(socks, bind_ips, strict=True):
                if ip == elsewhere:
                    callback = lab._watch_callback(port)
                else:
                    persona = next(p for p, pip in serving if pip == ip)
                    callback = lab._persona_callback(ip, protocol, persona.behaviours[protocol])
                try:
                    server = await asyncio.start_server(callback, sock=sock, limit=64 * 1024)
                except BaseException:
                    for rest in socks:
                        rest.close()
                    raise
                lab._servers.append(server)
        if watch_elsewhere:
            # The standard ports too, where they can be bound (root): a URL without a port
            # means 80 or 554.
            for port in (80, 443, 554, 23):
                if port in lab.ports_by_protocol.values():
                    continue
                watcher = _listen(elsewhere, port)
                if watcher is not None:
                    server = await asyncio.start_server(lab._watch_callback(port), sock=watcher)
                    lab._servers.append(server)
    except BaseException:
        await lab.close()
        raise
    return lab


def describe_personas(personas: Sequence[Persona] | None = None) -> list[str]:
    """One line per persona for ``camsweep lab --hostile --list``."""
    chosen = default_personas() if personas is None else personas
    return [f"{p.key:<20} {p.summary} | expect: {p.expect}" for p in chosen]
