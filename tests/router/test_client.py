"""The IGD reader against the lab router (scanner/lab/igd.py), honest and misbehaving, on loopback.

Every case also checks the router's own log: camsweep sent only GETs and the read actions, and
the router counted no write attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from scanner.context import ProbeContext
from scanner.lab.igd import IgdRouter
from scanner.models import PortForward, RouterReading, RouterStatus
from scanner.router.client import read_igd

CTX = ProbeContext()

READS = {"GetGenericPortMappingEntry", "GetListOfPortMappings", "GetExternalIPAddress",
         "GetStatusInfo"}  # fmt: skip
FORWARDS = (
    PortForward(8554, "TCP", "198.18.0.12", 554, description="cam", lease_seconds=0),
    PortForward(8080, "TCP", "198.18.0.12", 80, lease_seconds=0),
    PortForward(9000, "UDP", "198.18.0.13", 9000, enabled=False, lease_seconds=3600),
)


@pytest_asyncio.fixture
async def router() -> AsyncIterator[IgdRouter]:
    lab = IgdRouter(FORWARDS)
    await lab.start("127.0.0.1", 0)
    try:
        yield lab
    finally:
        await lab.close()


async def read(router: IgdRouter, *, deadline: float = 20.0, cap: int = 256) -> RouterReading:
    return await read_igd(
        CTX, router.description_url, "127.0.0.1", timeout=2.0, deadline=deadline, max_forwards=cap
    )


def only_reads(router: IgdRouter) -> None:
    assert router.writes == []
    for method, path, action in router.log:
        assert method in ("GET", "POST")
        if method == "POST":
            assert action in READS, action
        else:
            assert path.endswith(".xml"), path


@pytest.mark.asyncio
@pytest.mark.parametrize("version", [1, 2])
async def test_honest_router(router: IgdRouter, version: int) -> None:
    router.version = version
    reading = await read(router)
    assert reading.status is RouterStatus.READ
    assert reading.forwards == tuple(sorted(FORWARDS, key=lambda f: f.external_port))
    assert reading.forwards_complete
    assert reading.external_ip == "198.19.0.1"
    assert reading.connection_status == "Connected"
    assert reading.services == ("WANIPConnection", "WANPPPConnection")
    assert "AddPortMapping" in reading.mapping_actions
    assert reading.notes == ()  # the disconnected PPP service's failures are not news
    only_reads(router)
    listed = [a for _, _, a in router.log if a == "GetListOfPortMappings"]
    assert bool(listed) == (version == 2)  # IGD:2 only, and only where the SCPD offers it


@pytest.mark.asyncio
async def test_router_that_faults_everything(router: IgdRouter) -> None:
    router.behaviour = "faults"
    reading = await read(router)
    assert reading.status is RouterStatus.FAILED
    assert "fault" in reading.reason
    assert not reading.forwards_complete
    assert any("refused to list its forwards" in n for n in reading.notes)
    only_reads(router)


@pytest.mark.asyncio
async def test_router_whose_index_loops(router: IgdRouter) -> None:
    router.behaviour = "index-loop"
    reading = await read(router)
    assert reading.status is RouterStatus.READ
    assert len(reading.forwards) == 1
    assert not reading.forwards_complete
    assert any("index loop" in n for n in reading.notes)
    generic = [a for _, _, a in router.log if a == "GetGenericPortMappingEntry"]
    assert len(generic) <= 4  # stopped at the first repeat on each service
    only_reads(router)


@pytest.mark.asyncio
async def test_router_that_lies_about_counts(router: IgdRouter) -> None:
    router.version = 2
    router.behaviour = "lying-count"  # asked for 256, sends 2000
    reading = await read(router)
    assert len(reading.forwards) == 256
    assert not reading.forwards_complete
    assert any("the router sent more" in n for n in reading.notes)
    only_reads(router)


@pytest.mark.asyncio
async def test_router_with_endless_forwards_is_capped(router: IgdRouter) -> None:
    router.behaviour = "endless"
    reading = await read(router, cap=300)
    assert len(reading.forwards) == 300
    assert not reading.forwards_complete
    assert any("more than 300 forwards" in n for n in reading.notes)
    generic = [a for _, _, a in router.log if a == "GetGenericPortMappingEntry"]
    assert len(generic) <= 302
    only_reads(router)


@pytest.mark.asyncio
async def test_deadline_keeps_what_was_read(router: IgdRouter) -> None:
    router.behaviour = "endless"
    reading = await read(router, deadline=0.3, cap=100_000)
    assert reading.status is RouterStatus.READ
    assert 0 < len(reading.forwards) < 100_000
    assert not reading.forwards_complete
    assert any("did not finish answering within 0.3s" in n for n in reading.notes)


@pytest.mark.asyncio
async def test_router_answering_garbage(router: IgdRouter) -> None:
    router.behaviour = "garbage"
    reading = await read(router)
    assert reading.status is RouterStatus.FAILED
    assert reading.reason == "it answered none of the read actions"
    only_reads(router)


@pytest.mark.asyncio
async def test_description_missing_or_unreachable(router: IgdRouter) -> None:
    reading = await read_igd(
        CTX, router.description_url.replace("rootDesc", "nothing"), "127.0.0.1",
        timeout=2.0, deadline=5.0,
    )  # fmt: skip
    assert reading.status is RouterStatus.FAILED
    assert "HTTP 404" in reading.reason
    await router.close()
    gone = await read_igd(CTX, router.description_url, "127.0.0.1", timeout=1.0, deadline=3.0)
    assert gone.status is RouterStatus.FAILED
    assert gone.reason.startswith("its description was not read")
