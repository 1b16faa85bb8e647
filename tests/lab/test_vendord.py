"""The lab's discovery responders: they answer only their protocol's search, by unicast on
loopback, and move to another port (which the running lab reports) when theirs is taken."""

from __future__ import annotations

import asyncio
import socket

import pytest

from scanner.config import VendorOptions
from scanner.discover.vendor.catalog import load_catalog
from scanner.discover.vendor.search import VendorDiscovery
from scanner.lab import default_devices, start_lab
from scanner.targets import resolve_targets

PREFIX = "127.77.41"


@pytest.mark.asyncio
async def test_answers_only_its_search_and_survives_a_taken_port() -> None:
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind((f"{PREFIX}.17", 37020))  # the never-activated Hikvision's SADP port
    try:
        devices = [d for d in default_devices(PREFIX) if d.key in ("hikvision-new", "p2p-cam")]
        async with await start_lab(devices, standard_ports=False) as lab:
            moved = lab.vendor_ports()
            assert set(moved) == {(f"{PREFIX}.17", 37020)}
            targets = lab.targets()
            vendor = VendorDiscovery(
                load_catalog(),
                VendorOptions(timeout=0.1, unicast_wait=1.0, ports=moved),
                resolve_targets(targets).ranges,
                interfaces={},
            )
            await vendor.run()
            found = {ip: await vendor.query(ip, answered=True) for ip in targets}
            assert [s.source for s in found[f"{PREFIX}.17"]] == ["sadp"]
            assert found[f"{PREFIX}.17"][0].fields["discovery.activated"] == "false"
            assert [s.source for s in found[f"{PREFIX}.18"]] == ["cs2-lan-search"]
            # A datagram that is no search gets no answer.
            loop = asyncio.get_running_loop()
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.setblocking(False)
            try:
                probe.sendto(b"hello", (f"{PREFIX}.18", 32108))
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.3):
                        await loop.sock_recv(probe, 1024)
            finally:
                probe.close()
    finally:
        squatter.close()
