"""TelnetLogin over the transport seam: connection reuse, reconnects and stage deadlines."""

from __future__ import annotations

import asyncio

import pytest

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.credentials.checker import CheckStatus, Outcome, check_credentials
from scanner.credentials.telnet_session import TelnetLogin, TelnetStages
from scanner.models import Protocol, ServiceResult
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


LOGIN = b"\r\nlogin: "
PASSWORD = b"admin\r\nPassword: "


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("turns", "then_close", "expected"),
    [
        # Password echoed back by a device that ignores echo suppression, then a shell.
        ([LOGIN, PASSWORD, b"s3cret!\r\n# "], False, Outcome.ACCEPTED),
        # Silent after the password: no verdict.
        ([LOGIN, PASSWORD], False, Outcome.UNCLEAR),
        # Closed after the password: no verdict either.
        ([LOGIN, PASSWORD], True, Outcome.UNCLEAR),
        # No prompt at all.
        ([b"hello\r\n"], False, Outcome.UNCLEAR),
        # A shell without any login.
        ([b"# "], False, Outcome.ACCEPTED),
        # Refusal words without a new prompt.
        ([LOGIN, PASSWORD, b"\r\nAccess denied\r\n"], False, Outcome.REFUSED),
        # A shell after a "Last failed login" line is still a success.
        ([LOGIN, PASSWORD, b"\r\nLast failed login: x\r\n$ "], False, Outcome.ACCEPTED),
        # No user asked: password straight away, then a new password prompt.
        ([b"Password: ", b"\r\nPassword: "], False, Outcome.REFUSED),
        # A shell right after the user name.
        ([LOGIN, b"admin\r\n# "], False, Outcome.ACCEPTED),
        # Lockout announced before any prompt.
        ([b"Too many connections, try again later\r\n"], False, Outcome.LOCKED),
        # Lockout announced after the password.
        ([LOGIN, PASSWORD, b"\r\nToo many failures: account locked for 300 s\r\n"], False,
         Outcome.LOCKED),
    ],
)  # fmt: skip
async def test_login_verdicts(turns: list[bytes], then_close: bool, expected: Outcome) -> None:
    async with TurnServer(turns, then_close=then_close) as server:
        login = TelnetLogin(CTX, server.host, server.port, PROBE)
        result = await login(("admin", "s3cret!"))
        await login.aclose()
    assert result.outcome is expected, result
    assert "s3cret!" not in login.transcript  # an echoed password is masked
    assert result.detail


@pytest.mark.asyncio
async def test_login_sends_credentials_as_lines_and_refuses_line_breaks() -> None:
    async with TurnServer([LOGIN, PASSWORD, b"\r\n# "]) as server:
        login = TelnetLogin(CTX, server.host, server.port, PROBE)
        await login(("admin", "s3cret!"))
        broken = await login(("a\r\nb", "c"))
        await login.aclose()
    assert server.lines == [b"admin", b"s3cret!"]
    assert broken.outcome is Outcome.UNCLEAR
    assert server.connections == 1  # nothing was opened for an unsendable pair


@pytest.mark.asyncio
async def test_options_renegotiated_mid_login_are_answered_and_refused() -> None:
    # Like inetutils telnetd: WILL ECHO at the start, then mid-login the server turns echo off
    # and on again and asks for the terminal type (which we refuse: WONT TTYPE).
    iac, will, wont, do, echo, ttype = 255, 251, 252, 253, 1, 24
    greeting = bytes((iac, will, echo)) + LOGIN
    renegotiate = bytes((iac, wont, echo, iac, will, echo, iac, do, ttype))
    async with TurnServer([greeting, b"admin\r\n" + renegotiate + b"Password: ", b"\r\n# "]) as s:
        login = TelnetLogin(CTX, s.host, s.port, PROBE)
        result = await login(("admin", "s3cret!"))
        await login.aclose()
    assert result.outcome is Outcome.ACCEPTED, result
    assert s.lines == [b"admin", b"s3cret!"]  # our answers never broke a line
