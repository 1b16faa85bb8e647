"""Telnet default-password attempts over the transport seam, driving ``LoginDialog``.

One ``TelnetLogin`` is the checker's ``attempt`` for one Telnet service. It keeps the connection
open between pairs while the device re-prompts (shadow ``login`` allows 5 tries a connection,
BusyBox 3), and opens a new one when the device closed after a failure or left us in a state we
cannot go on from. ``aclose()`` ends it.

Each stage has its own deadline (``TelnetStages``), because the stages wait for different things:

* ``greeting``: option negotiation and the first prompt (``timeouts.read``);
* ``password_prompt``: the echo of the user name and ``Password:`` (``timeouts.read``);
* ``verdict``: after the password, a wrong pair is answered only after the login program's fail
  delay: PAM's ``pam_faildelay`` (Debian's /etc/pam.d/login asks 3 s) randomised by libpam to
  between 0.5x and 1.5x, the mean of three draws so rarely near either end (measured 2.0-3.9 s
  on Debian 12), BusyBox's fixed 3 s. The stage
  allows ``FAIL_DELAY_ALLOWANCE`` for it plus ``timeouts.read`` for the network: a slow refusal
  is a refusal, not an unreachable device;
* ``reprompt``: once the refusal words arrived, the new prompt follows at once (or the device
  closes): ``timeouts.banner``.

Every stage's wait is recorded (``stage_log``) so a report can say how long each one took.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from scanner.config import Timeouts
from scanner.context import ProbeContext
from scanner.credentials.checker import AttemptResult, Outcome, Pair
from scanner.credentials.telnet_dialog import DialogState, LoginDialog, Verdict, VerdictKind
from scanner.models import ServiceResult
from scanner.probe.telnet import IacParser, PromptKind, prompt_kind
from scanner.transport import Connection, TransportError

__all__ = ["FAIL_DELAY_ALLOWANCE", "StageWait", "TelnetLogin", "TelnetStages"]

# libpam randomises the longest requested delay to base * (0.5 .. 1.5), the mean of three
# pseudo-random draws (_pam_compute_delay in libpam/pam_delay.c); 3 s is what both Debian's PAM
# login and BusyBox use, so 4.5 s is the longest real refusal; rounded up.
FAIL_DELAY_ALLOWANCE = 4.6
# After a prompt appears, wait this long for more text before believing it ("Last login:" can
# arrive split right after its colon and look like a login prompt).
_SETTLE = 0.1
_SHORT_SETTLE = 0.03
_RECV = 4096
_RAW_FACTOR = 4  # raw bytes (commands included) read per text byte allowed


@dataclass(frozen=True, slots=True)
class TelnetStages:
    """Per-stage deadlines of a Telnet login, in seconds."""

    connect: float
    greeting: float
    password_prompt: float
    verdict: float
    reprompt: float

    @classmethod
    def from_timeouts(cls, t: Timeouts) -> TelnetStages:
        return cls(
            connect=t.connect,
            greeting=t.read,
            password_prompt=t.read,
            verdict=FAIL_DELAY_ALLOWANCE + t.read,
            reprompt=t.banner,
        )


@dataclass(frozen=True, slots=True)
class StageWait:
    stage: str  # greeting / password_prompt / verdict
    seconds: float
    ended: str  # "prompt", "closed", "deadline", "cap"


class _Conn:
    """One connection: the seam, the IAC parser and the dialog, read stage by stage."""

    def __init__(self, conn: Connection, max_text: int) -> None:
        self.conn = conn
        self.parser = IacParser()
        self.dialog = LoginDialog(max_text=max_text)
        self.raw_budget = max_text * _RAW_FACTOR
        self.closed = False

    async def send(self, data: bytes, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self.conn.send(data)

    async def read_stage(self, limit: float, reprompt: float, settle: float = _SETTLE) -> str:
        """Read until a prompt settles, the stream ends, the stage's deadline passes or a byte
        budget is spent. Negotiation is answered as it arrives (also mid-login)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        shrunk = False
        while True:
            if self.dialog.full or self.raw_budget <= 0:
                return "cap"
            settling = self.dialog.prompt_pending()
            if self.dialog.refusal_seen() and not shrunk:
                # The fail delay is over: the new prompt (or the close) follows at once.
                deadline, shrunk = min(deadline, loop.time() + reprompt), True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "prompt" if settling else "deadline"
            try:
                async with asyncio.timeout(min(remaining, settle) if settling else remaining):
                    chunk = await self.conn.recv(_RECV)
            except TimeoutError:
                if settling:
                    return "prompt"
                continue
            if not chunk:
                self.closed = True
                return "closed"
            self.raw_budget -= len(chunk)
            text, replies = self.parser.feed(chunk)
            if replies:
                await self.send(replies, max(deadline - loop.time(), 0.05))
            self.dialog.feed(text)


_OUTCOMES = {
    VerdictKind.SUCCESS: Outcome.ACCEPTED,
    VerdictKind.FAILURE: Outcome.REFUSED,
    VerdictKind.LOCKED: Outcome.LOCKED,
    VerdictKind.NONE: Outcome.UNCLEAR,
}


class TelnetLogin:
    """The checker's attempt callable for one Telnet service (see the module docstring)."""

    def __init__(self, ctx: ProbeContext, host: str, port: int, probe: ServiceResult) -> None:
        self.connector = ctx.connector
        self.host, self.port, self.probe = host, port, probe
        self.stages = TelnetStages.from_timeouts(ctx.timeouts)
        # At least this long between two passwords sent (the checker's pause, applied here so
        # that a refusal's own fail delay counts towards it: pass the checker pause=0).
        self.gap = ctx.timeouts.credential_pause
        self._last_password = float("-inf")
        self.max_text = ctx.limits.max_banner_bytes * 4
        self.stage_log: list[StageWait] = []
        self.connections = 0
        self._conn: _Conn | None = None
        self.transcript = ""  # the last connection's text, passwords masked

    async def __call__(self, pair: Pair | None) -> AttemptResult:
        if pair is None:
            return self._baseline()
        user, password = pair
        if any(ch in value for value in pair for ch in "\r\n\x00"):
            return AttemptResult(Outcome.UNCLEAR, "the pair contains a line break")
        try:
            return await self._try(user, password)
        except TransportError as exc:
            await self.aclose()
            return AttemptResult(Outcome.UNREACHABLE, f"{exc.status}: {exc}")
        except TimeoutError:
            await self.aclose()
            return AttemptResult(Outcome.UNREACHABLE, "the device stopped taking input")

    def _baseline(self) -> AttemptResult:
        # The probe already connected without credentials: what did it get?
        prompt = self.probe.fields.get("telnet.prompt", "")
        if prompt_kind(prompt) is PromptKind.SHELL:
            return AttemptResult(Outcome.ACCEPTED, f"a shell prompt {prompt.strip()!r}")
        if self.probe.login_prompt:
            return AttemptResult(Outcome.REFUSED, f"a login prompt {prompt.strip()!r}")
        return AttemptResult(Outcome.UNCLEAR, "no login prompt")

    async def _connect(self) -> _Conn:
        await self.aclose()
        conn = await self.connector.open(self.host, self.port, timeout=self.stages.connect)
        self.connections += 1
        self._conn = _Conn(conn, self.max_text)
        await self._stage(self._conn, "greeting", self.stages.greeting)
        return self._conn

    async def _stage(self, c: _Conn, name: str, limit: float, settle: float = _SETTLE) -> str:
        started = time.monotonic()
        ended = await c.read_stage(limit, self.stages.reprompt, settle)
        self.stage_log.append(StageWait(name, time.monotonic() - started, ended))
        return ended

    async def _try(self, user: str, password: str) -> AttemptResult:
        c = self._conn
        if c is None or c.closed or not c.dialog.can_take(user):
            c = await self._connect()
            _, verdict = c.dialog.settle(closed=c.closed)
            if verdict is not None:  # no prompt, a lockout notice, or a shell for nobody
                return await self._finish(c, verdict, first=True)
        reused = c.dialog.pairs_tried > 0
        await asyncio.sleep(max(0.0, self.gap - (time.monotonic() - self._last_password)))
        await c.send(c.dialog.begin(user, password), self.stages.password_prompt)
        if c.dialog.state is DialogState.USER_SENT:
            # "Password:" cannot be mistaken for anything else: a short settle is enough.
            await self._stage(c, "password_prompt", self.stages.password_prompt, _SHORT_SETTLE)
            line, verdict = c.dialog.settle(closed=c.closed)
            if verdict is not None:
                return await self._finish(c, verdict, first=not reused)
            await c.send(line, self.stages.password_prompt)
        self._last_password = time.monotonic()
        ended = await self._stage(c, "verdict", self.stages.verdict)
        _, verdict = c.dialog.settle(closed=c.closed)
        assert verdict is not None  # PASSWORD_SENT always decides
        if verdict.kind is VerdictKind.NONE and ended == "deadline":
            verdict = Verdict(
                VerdictKind.NONE,
                f"no answer within {self.stages.verdict:g}s after the password "
                f"(the fail-delay allowance is {FAIL_DELAY_ALLOWANCE:g}s)",
            )
        return await self._finish(c, verdict, first=not reused)

    async def _finish(self, c: _Conn, verdict: Verdict, *, first: bool) -> AttemptResult:
        waited = self.stage_log[-1].seconds if self.stage_log else 0.0
        where = "" if first else " (same connection)"
        detail = f"{verdict.detail} after {waited:.1f}s{where}"
        if c.dialog.state in (DialogState.AT_LOGIN, DialogState.AT_PASSWORD):
            detail += "; the device prompted again"
        self.transcript = c.dialog.transcript()[-4096:]
        if c.dialog.state not in (DialogState.AT_LOGIN, DialogState.AT_PASSWORD):
            await self.aclose()
        return AttemptResult(_OUTCOMES[verdict.kind], detail)

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(OSError, TransportError):
                await conn.conn.close()
