"""A whole scan (sweep, RTSP, HTTP through httpx, ONVIF, Telnet, active checks, logins) driven
through the transport seam with no socket opened.

The seam is scripted by the lab's own device emulations, wired to the scanner through in-memory
pipes instead of loopback sockets: every byte the scanner sends reaches the same handler a
listening lab device would run, and every byte it reads comes from there. Opening a socket
anywhere in the scan (asyncio, httpx, a forgotten direct call) fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence

import pytest

from scanner.config import ScanConfig, Timeouts, VendorOptions
from scanner.discover.vendor.catalog import load_catalog
from scanner.lab import default_devices
from scanner.lab.auth import LoginGuard
from scanner.lab.runner import _handler
from scanner.lab.wire import LabStream
from scanner.match import SignatureSet, load_signatures
from scanner.pipeline import scan
from scanner.targets import resolve_targets
from scanner.transport import Connection, DatagramStep, Refused, ScriptedDatagrams

PREFIX = "127.77.31"
Handler = Callable[[LabStream], Awaitable[None]]


class _PipeWriter:
    """The server half's writer: what the device writes is fed to the client's reader."""

    def __init__(self, peer: asyncio.StreamReader) -> None:
        self._peer = peer
        self.closed = False

    def write(self, data: bytes) -> None:
        if not self.closed:
            self._peer.feed_data(data)

    async def drain(self) -> None:
        await asyncio.sleep(0)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._peer.feed_eof()

    async def wait_closed(self) -> None:
        return None


class _MemoryConnection:
    def __init__(self, to_device: asyncio.StreamReader, from_device: asyncio.StreamReader) -> None:
        self._to_device = to_device
        self._from_device = from_device
        self._closed = False

    async def send(self, data: bytes) -> None:
        if not self._closed:
            self._to_device.feed_data(data)
        await asyncio.sleep(0)

    async def recv(self, max_bytes: int) -> bytes:
        return await self._from_device.read(max_bytes)

    async def start_tls(self, server_hostname: str | None, *, timeout: float) -> Connection:
        raise AssertionError("the lab serves no TLS")

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._to_device.feed_eof()


class MemoryLab:
    """A connector whose peers are lab device handlers running in this event loop."""

    def __init__(self, handlers: dict[tuple[str, int], Handler]) -> None:
        self._handlers = handlers
        self._tasks: set[asyncio.Task[None]] = set()
        self.opened = 0

    async def open(self, host: str, port: int, *, timeout: float, tls: bool = False) -> Connection:
        handler = self._handlers.get((host, port))
        if handler is None:
            raise Refused("connection refused")
        self.opened += 1
        to_device, from_device = asyncio.StreamReader(), asyncio.StreamReader()
        writer = _PipeWriter(from_device)
        stream = LabStream(to_device, writer, idle_timeout=5.0)  # type: ignore[arg-type]
        task = asyncio.get_running_loop().create_task(self._serve(handler, stream))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return _MemoryConnection(to_device, from_device)

    @staticmethod
    async def _serve(handler: Handler, stream: LabStream) -> None:
        try:
            await handler(stream)
        finally:
            await stream.close()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def memory_lab() -> tuple[MemoryLab, list[str], dict[str, tuple[str, ...]]]:
    handlers: dict[tuple[str, int], Handler] = {}
    expected: dict[str, tuple[str, ...]] = {}
    for spec in default_devices(PREFIX):
        guard = LoginGuard(spec.lockout)
        for service in spec.services:
            handlers[(spec.ip, service.port)] = _handler(spec, service, service.port, guard)
        expected[spec.ip] = spec.expected_findings
    return MemoryLab(handlers), sorted(expected), expected


@contextlib.contextmanager
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts: list[str] = []

    def refuse(name: str) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            attempts.append(name)
            raise AssertionError(f"the scan opened a socket: {name}")

        return call

    loop = asyncio.get_running_loop()
    with monkeypatch.context() as patch:
        patch.setattr(socket, "socket", refuse("socket.socket"))
        patch.setattr(socket, "create_connection", refuse("socket.create_connection"))
        patch.setattr(loop, "create_connection", refuse("loop.create_connection"))
        patch.setattr(loop, "create_datagram_endpoint", refuse("loop.create_datagram_endpoint"))
        patch.setattr(loop, "sock_connect", refuse("loop.sock_connect"))
        yield attempts


@pytest.fixture(scope="module")
def signatures() -> SignatureSet:
    return load_signatures()


@pytest.mark.asyncio
async def test_a_whole_scan_runs_through_the_seam_without_a_socket(
    signatures: SignatureSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector, targets, expected = memory_lab()
    # The vendor discovery answers come through the datagram seam too, scripted from the lab's
    # own responders (scanner/lab/vendord.py) answering the catalogue's queries.
    catalog = load_catalog()
    answers: dict[tuple[str, int], Sequence[DatagramStep]] = {}
    for spec in default_devices(PREFIX):
        for answer in spec.vendor_discovery:
            query = next(p.query() for p in catalog.protocols if p.port == answer.port)
            reply = answer.answer(query, spec.ip)
            assert reply is not None
            answers[(spec.ip, answer.port)] = [reply]
    datagrams = ScriptedDatagrams(answers)
    config = ScanConfig(
        targets=tuple(targets),
        target_specs=tuple(targets),
        ports=(23, 80, 81, 554, 8000, 34567, 37777),
        timeouts=Timeouts(credential_pause=0.0),
        vendor=VendorOptions(timeout=0.2),
        scope=resolve_targets(targets).ranges,
    )
    try:
        with no_sockets(monkeypatch) as attempts:
            report = await scan(
                config, signatures, targets, len(targets), connector=connector, datagrams=datagrams
            )
    finally:
        await connector.close()
    assert attempts == []
    assert connector.opened > 50  # sweep, probes, follow-ups and logins all came this way
    hosts = {host.ip: host for host in report.hosts}
    assert sorted(hosts) == targets
    for ip, wanted in expected.items():
        ids = {finding.id for finding in hosts[ip].findings}
        assert set(wanted) <= ids, (ip, wanted, ids)
    web = [s for h in report.hosts for s in h.services if s.protocol == "http"]
    assert web
    assert all(s.status == "ok" for s in web)
    titles = {s.fields.get("http.title") for s in web}
    assert {"Hikvision Web Login", "NETSurveillance WEB", "HP LaserJet Pro M404dn"} <= titles
    telnet = [s for h in report.hosts for s in h.services if s.protocol == "telnet"]
    assert telnet
    assert telnet[0].login_prompt
    onvif = [s for h in report.hosts for s in h.services if s.protocol == "onvif"]
    assert onvif  # the follow-up after HTTP went through the seam too
    assert onvif[0].fields.get("onvif.manufacturer") == "Dahua"
