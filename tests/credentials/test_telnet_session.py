"""TelnetLogin over the transport seam: connection reuse, reconnects and stage deadlines."""

from __future__ import annotations

import asyncio

import pytest

from scanner.config import Limits, Timeouts
from scanner.credentials.checker import CheckStatus, Outcome, check_credentials
from scanner.credentials.telnet_session import TelnetLogin, TelnetStages
from scanner.models import Protocol, ServiceResult
from scanner.probe.context import ProbeContext
from scanner.transport import ScriptedConnector
from tests.probe.servers import LoopbackServer, TurnServer

FAST = Timeouts(connect=1.0, banner=0.3, read=0.5, probe=5.0)
CTX = ProbeContext(timeouts=FAST, limits=Limits())
PROBE = ServiceResult(
    port=23, protocol=Protocol.TELNET, fields={"telnet.prompt": "dvr login:"}, login_prompt=True
)


class SlowLogin(LoopbackServer):
    """A shadow-login-like server: a fail delay before "Login incorrect", a new prompt, and
    ``tries`` tries per connection (then it closes, as login does)."""

    def __init__(self, delay: float, password: str = "xc3511", tries: int = 3) -> None:
        super().__init__()
        self.delay, self.password, self.tries = delay, password, tries

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\r\ndvr login: ")
        for attempt in range(self.tries):
            user = (await reader.readline()).strip()
            writer.write(user + b"\r\nPassword: ")
            password = (await reader.readline()).strip()
            if password.decode() == self.password:
                writer.write(b"\r\nWelcome\r\n# ")
                await reader.read(10)
                return
            await asyncio.sleep(self.delay)
            last = attempt == self.tries - 1
            writer.write(b"\r\nLogin incorrect\r\n" + (b"" if last else b"dvr login: "))
            await writer.drain()


@pytest.mark.asyncio
async def test_a_fail_delay_longer_than_a_read_timeout_is_a_refusal() -> None:
    # The delay (0.9 s) is longer than timeouts.read (0.5 s): the verdict stage allows it.
    async with SlowLogin(delay=0.9, tries=2) as server:
        login = TelnetLogin(CTX, "127.0.0.1", server.port, PROBE)
        pairs = [("root", "a"), ("admin", "b"), ("root", "xc3511")]
        check = await check_credentials(login, pairs, budget=5, pause=0.0)
        await login.aclose()
    assert check.status is CheckStatus.FOUND
    assert check.pair == ("root", "xc3511")
    # Two tries per connection: a, b on the first; the good pair on a second; the random
    # control on a third (a shell is no use for another pair).
    assert server.connections == 3
    verdicts = [w for w in login.stage_log if w.stage == "verdict"]
    assert [round(w.seconds) for w in verdicts[:2]] == [1, 1]


def test_stage_deadlines_allow_the_fail_delay() -> None:
    stages = TelnetStages.from_timeouts(Timeouts())
    assert stages.verdict >= 3.75 + Timeouts().read  # libpam: 3 s x 1.25 at most
    assert stages.greeting == Timeouts().read


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("turns", "outcome"),
    [
        ([b"\r\nlogin: ", b"root\r\nPassword: ", b"\r\nLogin incorrect\r\n"], Outcome.REFUSED),
        ([b"\r\nlogin: ", b"root\r\nPassword: ", b"\r\n# "], Outcome.ACCEPTED),
        ([b"\r\nlogin: ", b"root\r\nPassword: "], Outcome.UNCLEAR),
        ([b"Too many users, try again later\r\n"], Outcome.LOCKED),
    ],
)
async def test_turn_outcomes(turns: list[bytes], outcome: Outcome) -> None:
    async with TurnServer(turns) as server:
        login = TelnetLogin(CTX, "127.0.0.1", server.port, PROBE)
        result = await login(("root", "pw"))
        await login.aclose()
    assert result.outcome is outcome, result


@pytest.mark.asyncio
async def test_unreachable_is_not_a_refusal() -> None:
    login = TelnetLogin(
        ProbeContext(connector=ScriptedConnector({}), timeouts=FAST), "h", 23, PROBE
    )
    assert (await login(("root", "pw"))).outcome is Outcome.UNREACHABLE
