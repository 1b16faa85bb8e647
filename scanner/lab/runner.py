"""Start, track and stop a lab: one loopback address per device, one asyncio server per service.

Port rule (docs/architecture.md): the standard port when it can be bound (root), else
``10000 + port`` below 1024 and the port itself above, else an ephemeral port; and one bound
port number speaks one protocol across the whole lab, so a scanner can be told a single
port -> protocol map. Every accepted connection runs as a task the lab owns, under an idle
deadline and a lifetime cap, and ``close()`` cancels them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence

from scanner.lab.auth import Authenticator, AuthPolicy, LoginGuard
from scanner.lab.devices import LOOPBACK, DeviceSpec, RunningDevice, ServiceSpec, default_devices
from scanner.lab.httpd import HttpConfig, HttpServer
from scanner.lab.onvifd import OnvifResponder
from scanner.lab.rtspd import RtspConfig, RtspServer
from scanner.lab.silent import SilentConfig, SilentServer
from scanner.lab.telnetd import TelnetConfig, TelnetServer
from scanner.lab.vendord import VendorResponder
from scanner.lab.wire import LabStream
from scanner.models import Protocol

if sys.platform != "win32":
    import resource

log = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT = 10.0  # seconds a connection may stay silent
DEFAULT_CONNECTION_LIFETIME = 120.0  # seconds any one connection may last
MAX_OPEN_CONNECTIONS = 8192  # across the lab; more are closed at accept
STREAM_LIMIT = 64 * 1024  # asyncio reader buffer cap per connection
_LISTEN_BACKLOG = 128
_EPHEMERAL_TRIES = 32
_BIG_LAB_SERVICES = 256  # above this many sockets, lift the open-files soft limit

Handler = Callable[[LabStream], Awaitable[None]]


async def shut_down(servers: Sequence[asyncio.Server], tasks: set[asyncio.Task[None]]) -> None:
    """Stop listening, cancel every connection task, and wait (bounded) until all are gone."""
    for server in servers:
        server.close()
    pending = list(tasks)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5.0)
    for server in servers:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await server.wait_closed()


class RunningLab:
    """The live lab. Use ``async with await start_lab(...) as lab`` or call ``close()``."""

    def __init__(self, *, idle_timeout: float, connection_lifetime: float) -> None:
        self.devices: tuple[RunningDevice, ...] = ()
        self._idle_timeout = idle_timeout
        self._lifetime = connection_lifetime
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._protocols: dict[int, Protocol] = {}
        self._responders: list[VendorResponder] = []
        self._closed = False

    # -- what the scanner needs to know --------------------------------------------------------

    def targets(self) -> list[str]:
        return [device.ip for device in self.devices]

    def ports(self) -> list[int]:
        return sorted({port for device in self.devices for port in device.ports.values()})

    def port_protocols(self) -> dict[int, Protocol]:
        return dict(sorted(self._protocols.items()))

    def device(self, key: str) -> RunningDevice:
        for device in self.devices:
            if device.spec.key == key:
                return device
        raise KeyError(key)

    def vendor_ports(self) -> dict[tuple[str, int], int]:
        """(address, standard UDP port) -> bound port, where a discovery responder could not
        have its standard port (another lab holds it); the scanner sends there instead."""
        return {
            (device.ip, standard): bound
            for device in self.devices
            for standard, bound in device.udp_ports.items()
            if standard != bound
        }

    @property
    def open_connections(self) -> int:
        return len(self._tasks)

    # -- lifecycle -----------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop listening, end every open connection, and wait (bounded) until they are gone."""
        self._closed = True
        servers, self._servers = self._servers, []
        responders, self._responders = self._responders, []
        for responder in responders:
            await responder.close()
        await shut_down(servers, self._tasks)

    async def __aenter__(self) -> RunningLab:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals -----------------------------------------------------------------------------

    def _accept(
        self, handler: Handler
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        # A plain callback, not a coroutine: asyncio would otherwise own the task and report
        # our own cancellation at close() as an error; this way the lab holds every task.
        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._closed or len(self._tasks) >= MAX_OPEN_CONNECTIONS:
                writer.close()
                return
            task = asyncio.get_running_loop().create_task(self._run(handler, reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return on_connect

    async def _run(
        self, handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        stream = LabStream(reader, writer, idle_timeout=self._idle_timeout)
        try:
            async with asyncio.timeout(self._lifetime):
                await handler(stream)
        except TimeoutError:
            pass  # the lifetime cap: a client that drips bytes forever still gets hung up on
        except Exception:  # one connection must never take the lab down; keep the trace
            log.warning("lab connection handler failed", exc_info=True)
        finally:
            await stream.close()


def _candidates(port: int, try_standard: bool) -> list[int]:
    out = [port] if try_standard or port >= 1024 else []
    fallback = 10000 + port if port < 1024 else port
    if fallback not in out:
        out.append(fallback)
    return out


def _listen(ip: str, port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # SO_REUSEADDR lets a restarted lab reuse ports still in TIME_WAIT; on Linux it never
        # lets two listeners share one address and port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(_LISTEN_BACKLOG)  # listen now, so a concurrent binder loses here, not later
        sock.setblocking(False)
    except OSError:
        sock.close()
        return None
    return sock


def _bind(
    ip: str, service: ServiceSpec, protocols: dict[int, Protocol], standard: bool
) -> socket.socket:
    for port in _candidates(service.port, standard):
        if protocols.get(port, service.protocol) is not service.protocol:
            continue  # this number already speaks another protocol elsewhere in the lab
        sock = _listen(ip, port)
        if sock is not None:
            return sock
    for _ in range(_EPHEMERAL_TRIES):
        sock = _listen(ip, 0)
        if sock is None:
            break
        if protocols.get(sock.getsockname()[1], service.protocol) is service.protocol:
            return sock
        sock.close()
    raise OSError(f"lab: no port left to bind {service.protocol} for {ip} (port {service.port})")


def _raise_open_files_limit() -> None:
    """Lift the soft RLIMIT_NOFILE to the hard one: a big lab holds thousands of sockets."""
    if sys.platform == "win32":
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        log.debug("could not raise RLIMIT_NOFILE", exc_info=True)


def _handler(spec: DeviceSpec, service: ServiceSpec, port: int, guard: LoginGuard) -> Handler:
    config = service.config

    def authenticator(policy: AuthPolicy | None) -> Authenticator | None:
        if policy is None:
            return None
        user, password = spec.credentials[service.protocol]
        return Authenticator(policy, user, password, guard=guard)

    if isinstance(config, RtspConfig):
        rtsp = RtspServer(
            config, address=spec.ip, port=port, authenticator=authenticator(config.auth)
        )
        return rtsp.serve
    if isinstance(config, HttpConfig):
        onvif = None
        if config.onvif is not None:
            onvif_login = spec.credentials.get(Protocol.ONVIF) or spec.credentials[Protocol.HTTP]
            onvif = OnvifResponder(
                config.onvif, host=spec.ip, port=port, login=onvif_login, guard=guard
            )
        return HttpServer(config, authenticator=authenticator(config.auth), onvif=onvif).serve
    if isinstance(config, TelnetConfig):
        user, password = spec.credentials[Protocol.TELNET]
        login = Authenticator(AuthPolicy(realm="login"), user, password, guard=guard)
        return TelnetServer(config, authenticator=login).serve
    if isinstance(config, SilentConfig):
        return SilentServer(config).serve
    raise TypeError(f"unknown service config {type(config).__name__}")


async def start_lab(
    devices: Sequence[DeviceSpec] | None = None,
    *,
    standard_ports: bool | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    connection_lifetime: float = DEFAULT_CONNECTION_LIFETIME,
    vendor_discovery: bool = True,
) -> RunningLab:
    """Bind and start every device; on any failure, close what was started and re-raise.

    ``standard_ports``: None or True try the standard port first (it binds as root);
    False goes straight to the fallback (``10000 + port`` below 1024). ``vendor_discovery``
    False leaves the UDP discovery responders out (the namespace lab runs its own on the LAN).
    """
    specs = default_devices() if devices is None else tuple(devices)
    for label, values in (("address", [d.ip for d in specs]), ("key", [d.key for d in specs])):
        if len(values) != len(set(values)):
            raise ValueError(f"lab devices must have distinct {label}es")
    for spec in specs:
        # DeviceSpec checks this too; repeated here because binding is where it would hurt.
        if ipaddress.ip_address(spec.ip) not in LOOPBACK:
            raise ValueError(f"lab device {spec.key} is not on loopback: {spec.ip}")
    if sum(len(d.services) for d in specs) > _BIG_LAB_SERVICES:
        _raise_open_files_limit()
    try_standard = standard_ports is not False
    lab = RunningLab(idle_timeout=idle_timeout, connection_lifetime=connection_lifetime)
    running: list[RunningDevice] = []
    try:
        for spec in specs:
            guard = LoginGuard(spec.lockout)
            device = RunningDevice(spec)
            for service in spec.services:
                sock = _bind(spec.ip, service, lab._protocols, try_standard)
                port = int(sock.getsockname()[1])
                try:
                    server = await asyncio.start_server(
                        lab._accept(_handler(spec, service, port, guard)),
                        sock=sock,
                        limit=STREAM_LIMIT,
                    )
                except BaseException:
                    sock.close()
                    raise
                lab._servers.append(server)
                lab._protocols[port] = service.protocol
                device.ports[service.port] = port
            if vendor_discovery and spec.vendor_discovery:
                responder = VendorResponder(spec.ip, spec.vendor_discovery)
                lab._responders.append(responder)
                await responder.start()
                device.udp_ports.update(responder.ports)
            running.append(device)
            lab.devices = tuple(running)
    except BaseException:
        await lab.close()
        raise
    return lab


async def serve_forever(lab: RunningLab) -> None:
    """Keep the lab serving until this task is cancelled (Ctrl-C in `camsweep lab`), then close."""
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        await lab.close()
