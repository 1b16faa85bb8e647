"""Telnet probe over the transport seam, with a small pure IAC state machine.

Logins (the pairs, their stages and verdicts) live in scanner/credentials/telnet_session.py and
telnet_dialog.py; this module reads greetings and is the Telnet option parser they share.

Why not telnetlib3's client: its client agrees to NAWS, TTYPE, NEW_ENVIRON, CHARSET and more on
purpose (it is a terminal), so a device would receive our terminal type and environment; its
connect phase waits on its own timers (``connect_minwait``/``connect_maxwait``), logs through its
own loggers, and it opens its own sockets, bypassing the transport seam that tests script and that
bounds every read by bytes and time. What a scanner needs is much smaller: strip commands out of
the byte stream and refuse every option but the two a login prompt needs. That is ``IacParser``.

Negotiation policy (RFC 854 s"The TELNET Command Structure", RFC 1143 for loop avoidance):

* ``WILL ECHO`` (RFC 857) and ``WILL SGA`` (RFC 858) are accepted with ``DO``: the server echoing
  and suppressing go-ahead is how every login prompt works;
* ``DO SGA`` is accepted with ``WILL SGA``;
* everything else is refused (``WILL x`` -> ``DONT x``, ``DO x`` -> ``WONT x``), including
  ``DO ECHO``: a client that echoes the server's output back would feed it its own text;
* ``WONT``/``DONT`` are acknowledged only when they change an option we had enabled, and each
  request is answered at most once, so a device repeating itself cannot start a storm;
* subnegotiations (``IAC SB ... IAC SE``) are discarded; ``IAC IAC`` is a literal 0xFF byte.
"""

from __future__ import annotations

import asyncio
import enum
import re
import traceback

from scanner.context import ProbeContext
from scanner.models import ProbeStatus, Protocol, ServiceResult
from scanner.transport import Connection, TransportError

__all__ = [
    "IacParser",
    "PromptKind",
    "clean_text",
    "probe_telnet",
    "prompt_kind",
    "strip_iac",
]

# RFC 854 command codes and RFC 857/858 option codes.
IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
OPT_ECHO, OPT_SGA = 1, 3

# After a prompt appears, wait this long for more text before believing it: "Last login:" can
# arrive split right after its colon and look like a login prompt.
_SETTLE = 0.1
# The device often waits for our negotiation answers before it prints the prompt; half the
# banner time again, at most this much, covers that round trip on top of timeouts.banner.
_MAX_GRACE = 0.5
# Raw bytes (commands included) read per text byte allowed: a negotiation storm with no text
# still ends once this budget is spent, whatever the deadline.
_RAW_FACTOR = 4
_RECV_CHUNK = 4096
_FIELD_CHARS = 1024


class _State(enum.Enum):
    DATA = enum.auto()
    IAC = enum.auto()
    VERB = enum.auto()
    SB = enum.auto()
    SB_IAC = enum.auto()


class IacParser:
    """Incremental RFC 854 stream parser: ``feed(bytes) -> (text, replies)``.

    Keeps state across calls, so a command split over two reads is still recognised."""

    def __init__(self) -> None:
        self._state = _State.DATA
        self._verb = 0
        self._remote: set[int] = set()  # options the server uses with our consent (we sent DO)
        self._local: set[int] = set()  # options we agreed to use (we sent WILL)
        self._answered: set[tuple[int, int]] = set()
        self.negotiated = False  # any option command seen

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        text = bytearray()
        replies = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            i += 1
            state = self._state
            if state is _State.DATA:
                if byte == IAC:
                    self._state = _State.IAC
                else:
                    text.append(byte)
            elif state is _State.IAC:
                self._on_command(byte, text)
            elif state is _State.VERB:
                self._state = _State.DATA
                replies += self._on_option(self._verb, byte)
            elif state is _State.SB:
                if byte == IAC:
                    self._state = _State.SB_IAC
            elif byte == SE:
                self._state = _State.DATA
            elif byte == IAC:
                # IAC IAC inside a subnegotiation is an escaped data byte (RFC 854).
                self._state = _State.SB
            else:
                # An IAC SB without IAC SE: read the byte as a new command rather than swallow
                # the rest of the stream as subnegotiation.
                self._on_command(byte, text)
        return bytes(text), bytes(replies)

    def _on_command(self, byte: int, text: bytearray) -> None:
        if byte == IAC:
            text.append(IAC)  # IAC IAC: a literal 0xFF data byte
            self._state = _State.DATA
        elif byte in (WILL, WONT, DO, DONT):
            self._verb = byte
            self._state = _State.VERB
        elif byte == SB:
            self._state = _State.SB
        else:
            # NOP, GA, DM, BRK, AYT ... carry nothing a banner grab needs.
            self._state = _State.DATA

    def _once(self, verb: int, option: int, reply: bytes) -> bytes:
        if (verb, option) in self._answered:
            return b""
        self._answered.add((verb, option))
        return reply

    def _on_option(self, verb: int, option: int) -> bytes:
        self.negotiated = True
        if verb == WILL:
            if option in (OPT_ECHO, OPT_SGA):
                if option in self._remote:
                    return b""  # already on: RFC 854 forbids acknowledging a mode in use
                self._remote.add(option)
                self._answered.discard((WONT, option))
                return bytes((IAC, DO, option))
            return self._once(verb, option, bytes((IAC, DONT, option)))
        if verb == DO:
            if option == OPT_SGA:
                if option in self._local:
                    return b""
                self._local.add(option)
                self._answered.discard((DONT, option))
                return bytes((IAC, WILL, option))
            return self._once(verb, option, bytes((IAC, WONT, option)))
        if verb == WONT:
            if option in self._remote:
                self._remote.discard(option)
                return bytes((IAC, DONT, option))
            return b""
        # DONT
        if option in self._local:
            self._local.discard(option)
            return bytes((IAC, WONT, option))
        return b""


def strip_iac(data: bytes) -> tuple[bytes, bytes]:
    """One-shot ``IacParser().feed(data)``: (text without commands, our negotiation replies)."""
    return IacParser().feed(data)


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BANNER_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def banner_text(raw: bytes) -> str:
    """The greeting as the device sent it, for ``telnet.banner``: UTF-8 with replacement,
    terminal escapes and control characters removed, but its line breaks kept as sent (CR LF,
    bare CR; the NUL of RFC 854's CR NUL dropped): they are part of what the device says, and
    what fingerprints and nmap's match lines are written against (``username: \\r\\n``).
    Leading blank space and trailing line breaks are left out; a prompt's trailing space stays."""
    text = _ANSI.sub("", raw.decode("utf-8", "replace"))
    return _BANNER_CONTROL.sub("", text).lstrip().rstrip("\r\n")


def clean_text(raw: bytes) -> str:
    """Device text as readable lines: UTF-8 with replacement, terminal escapes and control
    characters removed, CR LF / CR NUL / bare CR (RFC 854 NVT line endings) turned into LF."""
    text = raw.decode("utf-8", "replace")
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r\x00", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


class PromptKind(enum.StrEnum):
    LOGIN = "login"
    PASSWORD = "password"  # noqa: S105 - the name of a prompt kind, not a secret
    SHELL = "shell"


_LOGIN_PROMPT = re.compile(r"(?:login|username|user\s*name|user)\s*:\s*$", re.IGNORECASE)
_PASSWORD_PROMPT = re.compile(r"pass(?:word|wd)?\s*:\s*$", re.IGNORECASE)
_SHELL_PROMPT = re.compile(r"[#$>]\s*$")


def prompt_kind(line: str) -> PromptKind | None:
    """What a prompt line offers: a login, a password or a shell prompt (``#``, ``$``, ``>``
    at its end), else None."""
    stripped = line.strip()
    if not stripped or len(stripped) > 200:
        return None
    if _PASSWORD_PROMPT.search(stripped):
        return PromptKind.PASSWORD
    if _LOGIN_PROMPT.search(stripped):
        return PromptKind.LOGIN
    if _SHELL_PROMPT.search(stripped):
        return PromptKind.SHELL
    return None


def _pending_prompt(text: str) -> PromptKind | None:
    """A prompt is the unterminated last line: a device waiting for input prints no newline."""
    if text.endswith("\n"):
        return None
    return prompt_kind(text.rsplit("\n", 1)[-1])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


class _End(enum.Enum):
    PROMPT = enum.auto()
    EOF = enum.auto()
    TIMEOUT = enum.auto()
    CAP = enum.auto()


class _Session:
    """One Telnet conversation: reads answer negotiation as they arrive (devices often wait for
    the answers before printing a prompt), every read bounded by a deadline and byte budgets."""

    def __init__(self, conn: Connection, *, max_text: int) -> None:
        self.conn = conn
        self.parser = IacParser()
        self.raw = bytearray()
        self.max_text = max_text
        self._raw_budget = max_text * _RAW_FACTOR
        self._raw_seen = 0

    def text(self, since: int = 0) -> str:
        return clean_text(bytes(self.raw[since:]))

    async def send(self, data: bytes, deadline: float) -> None:
        remaining = max(deadline - asyncio.get_running_loop().time(), 0.01)
        async with asyncio.timeout(remaining):
            await self.conn.send(data)

    async def read(self, deadline: float, *, since: int = 0) -> _End:
        """Read until a prompt is pending in the text after ``since`` (and has settled), EOF,
        the deadline, or a byte budget."""
        loop = asyncio.get_running_loop()
        settling = False
        while len(self.raw) < self.max_text and self._raw_seen < self._raw_budget:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return _End.PROMPT if settling else _End.TIMEOUT
            wait = min(remaining, _SETTLE) if settling else remaining
            try:
                async with asyncio.timeout(wait):
                    chunk = await self.conn.recv(_RECV_CHUNK)
            except TimeoutError:
                if settling:
                    return _End.PROMPT
                return _End.TIMEOUT
            if not chunk:
                return _End.EOF
            self._raw_seen += len(chunk)
            text, replies = self.parser.feed(chunk)
            if replies:
                await self.send(replies, deadline)
            self.raw += text[: self.max_text - len(self.raw)]
            settling = _pending_prompt(self.text(since)) is not None
        return _End.CAP


# --- probe -----------------------------------------------------------------------------------


def _failed(port: int, status: ProbeStatus, reason: str, debug: str | None = None) -> ServiceResult:
    return ServiceResult(
        port=port, protocol=Protocol.TELNET, status=status, reason=reason, debug=debug
    )


async def probe_telnet(ctx: ProbeContext, host: str, port: int) -> ServiceResult:
    """Read the greeting up to its first prompt. Never raises."""
    conn_factory = ctx.connector
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            conn = await conn_factory.open(host, port, timeout=ctx.timeouts.connect)
            try:
                session = _Session(conn, max_text=ctx.limits.max_banner_bytes)
                loop = asyncio.get_running_loop()
                grace = min(_MAX_GRACE, ctx.timeouts.banner / 2)
                end = await session.read(loop.time() + ctx.timeouts.banner + grace)
            finally:
                await conn.close()
    except TimeoutError:
        return _failed(port, ProbeStatus.TIMEOUT, f"no answer within {ctx.timeouts.probe:g}s")
    except TransportError as exc:
        return _failed(port, exc.status, str(exc))
    except Exception as exc:  # noqa: BLE001 - a probe bug must not end the scan (style habit 4)
        return _failed(
            port,
            ProbeStatus.ERROR,
            f"probe bug: {type(exc).__name__}: {exc}",
            traceback.format_exc(),
        )

    text = session.text()
    lines = _lines(text)
    fields: dict[str, str] = {}
    if not lines:
        why = "closed without a greeting" if end is _End.EOF else "no text before the deadline"
        if session.parser.negotiated:
            why += " (option negotiation only)"
        return ServiceResult(port=port, protocol=Protocol.TELNET, reason=why)
    fields["telnet.banner"] = banner_text(bytes(session.raw))[: ctx.limits.max_banner_bytes]
    prompt = lines[-1][:_FIELD_CHARS]
    fields["telnet.prompt"] = prompt
    return ServiceResult(
        port=port,
        protocol=Protocol.TELNET,
        banner=lines[0][:_FIELD_CHARS],
        fields=fields,
        login_prompt=prompt_kind(prompt) is not None,
        reason="" if end is _End.PROMPT else f"no prompt ({end.name.lower()})",
    )
