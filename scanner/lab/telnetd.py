"""A Telnet login server (RFC 854/855) in the manner of a BusyBox telnetd on a DVR.

It opens with the negotiation such devices send (IAC WILL ECHO, IAC WILL SGA, IAC DO NAWS),
answers the client's own requests by the rules of RFC 854 ("Telnet Option Negotiation": refuse
what we do not support, never acknowledge what is already in force, so no loop can start),
swallows subnegotiations, then runs login -> password -> shell with a few harmless commands.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from scanner.lab.auth import Authenticator, AuthResult
from scanner.lab.wire import LabStream

# RFC 854 command codes.
IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
AYT = 246
# Option codes: ECHO (RFC 857), SUPPRESS-GO-AHEAD (RFC 858), NAWS (RFC 1073).
ECHO, SGA, NAWS = 1, 3, 31

OPENING = bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS])
MAX_LINE = 256
MAX_LINE_BYTES = 4096  # data bytes a single line may take, edits and junk included
MAX_LINES = 64  # lines a whole session may send, login and shell together
MAX_SUBNEG = 64
_CHUNK = 1024


class TelnetParser:
    """Separates data from commands in a Telnet byte stream; keeps state across chunks.

    ``feed`` never raises: every byte sequence is either data, a command we handle or one we
    ignore. Replies (negotiation answers) are returned for the caller to send.
    """

    def __init__(self) -> None:
        self._state = "data"
        self._verb = 0
        self._subneg = bytearray()
        # Options we offered in OPENING and await an answer for (RFC 854: an answer to our
        # own request is an acknowledgement and gets no reply).
        self._pending_local = {ECHO, SGA}
        self._pending_remote = {NAWS}
        self.local: set[int] = set()  # our side's options in force (ECHO, SGA)
        self.remote: set[int] = set()  # the client's options in force (NAWS)
        self.window: tuple[int, int] | None = None

    @property
    def echoing(self) -> bool:
        return ECHO in self.local

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        text = bytearray()
        replies = bytearray()
        for byte in data:
            state = self._state
            if state == "data":
                if byte == IAC:
                    self._state = "iac"
                else:
                    text.append(byte)
            elif state == "iac":
                self._state = "data"
                if byte == IAC:
                    text.append(IAC)  # RFC 854: IAC IAC is a data byte 255
                elif byte in (WILL, WONT, DO, DONT):
                    self._verb = byte
                    self._state = "option"
                elif byte == SB:
                    self._subneg.clear()
                    self._state = "sb"
                elif byte == AYT:
                    replies += b"\r\n[Yes]\r\n"  # RFC 854 "Are You There": visible proof
                # Other commands (NOP, DM, BRK, IP, AO, EC, EL, GA, stray SE) carry no data.
            elif state == "option":
                self._state = "data"
                replies += self._negotiate(self._verb, byte)
            elif state == "sb":
                if byte == IAC:
                    self._state = "sb_iac"
                elif len(self._subneg) < MAX_SUBNEG:
                    self._subneg.append(byte)
            elif byte == SE:  # state "sb_iac" from here on
                self._state = "data"
                self._subnegotiation(bytes(self._subneg))
            else:
                # IAC IAC inside a subnegotiation is a literal 255 (RFC 855); anything else is
                # a broken sequence we keep swallowing until IAC SE.
                if byte == IAC and len(self._subneg) < MAX_SUBNEG:
                    self._subneg.append(IAC)
                self._state = "sb"
        return bytes(text), bytes(replies)

    def _negotiate(self, verb: int, option: int) -> bytes:
        if verb in (DO, DONT):
            return self._negotiate_side(
                verb == DO,
                option,
                active=self.local,
                pending=self._pending_local,
                supported={ECHO, SGA},
                yes=WILL,
                no=WONT,
            )
        return self._negotiate_side(
            verb == WILL,
            option,
            active=self.remote,
            pending=self._pending_remote,
            supported={NAWS},
            yes=DO,
            no=DONT,
        )

    @staticmethod
    def _negotiate_side(
        enable: bool,
        option: int,
        *,
        active: set[int],
        pending: set[int],
        supported: set[int],
        yes: int,
        no: int,
    ) -> bytes:
        was_pending = option in pending
        pending.discard(option)
        if enable:
            if option not in supported:
                return bytes([IAC, no, option])  # refuse what we do not implement
            if option in active:
                return b""  # already in force: no reply, or we would loop (RFC 854)
            active.add(option)
            return b"" if was_pending else bytes([IAC, yes, option])
        if option not in active:
            return b""  # a refusal of our offer, or of something never on: nothing to say
        active.discard(option)
        return b"" if was_pending else bytes([IAC, no, option])

    def _subnegotiation(self, data: bytes) -> None:
        # RFC 1073: IAC SB NAWS <width16> <height16> IAC SE.
        if len(data) == 5 and data[0] == NAWS:
            self.window = (int.from_bytes(data[1:3], "big"), int.from_bytes(data[3:5], "big"))


@dataclass(frozen=True, slots=True)
class TelnetConfig:
    greeting: str = "\r\n"  # text before the first login prompt
    login_prompt: str = "LocalHost login: "
    password_prompt: str = "Password: "  # noqa: S105 -- prompt text, not a secret
    failure_text: str = "Login incorrect"
    shell_banner: str = (
        "\r\n\r\nBusyBox v1.20.2 (2016-03-14 10:25:49 CST) built-in shell (ash)\r\n"
        "Enter 'help' for a list of built-in commands.\r\n\r\n"
    )
    shell_prompt: str = "# "
    uname: str = "Linux LocalHost 3.10.0 #1 SMP Mon Mar 14 10:27:11 CST 2016 armv7l GNU/Linux"
    max_attempts: int = 3  # login(1) hangs up after three failures
    failure_delay: float = 0.0  # seconds to wait before "Login incorrect"


class _LineReader:
    """Turns Telnet data into lines: CR LF, CR NUL or a bare LF end a line (RFC 854 NVT)."""

    def __init__(self, stream: LabStream, parser: TelnetParser) -> None:
        self._stream = stream
        self._parser = parser
        self._pending = bytearray()
        self._after_cr = False
        self.lines_read = 0

    async def line(self) -> str | None:
        """The next line, or None when the client is gone, idle, or over the line budget."""
        if self.lines_read >= MAX_LINES:
            return None
        current = bytearray()
        consumed = 0
        while True:
            while self._pending:
                byte = self._pending.pop(0)
                consumed += 1
                if consumed > MAX_LINE_BYTES:
                    return None  # a "line" that never ends is not a login: hang up
                if self._after_cr:
                    self._after_cr = False
                    if byte in (0, 10):
                        continue
                if byte in (13, 10):
                    self._after_cr = byte == 13
                    self.lines_read += 1
                    return current.decode("utf-8", errors="replace")
                if byte in (8, 127):  # backspace / delete edit the line, as a tty would
                    if current:
                        current.pop()
                elif byte >= 32 and len(current) < MAX_LINE:
                    current.append(byte)
            chunk = await self._stream.read_some(_CHUNK)
            if not chunk:
                return None
            text, replies = self._parser.feed(chunk)
            if replies and not await self._stream.send(replies):
                return None
            self._pending += text


class TelnetServer:
    def __init__(self, config: TelnetConfig, *, authenticator: Authenticator) -> None:
        self.config = config
        self._auth = authenticator

    async def serve(self, stream: LabStream) -> None:
        config = self.config
        parser = TelnetParser()
        lines = _LineReader(stream, parser)
        opening = OPENING + (config.greeting + config.login_prompt).encode()
        if not await stream.send(opening):
            return
        failures = 0
        while failures < config.max_attempts:
            user = await lines.line()
            if user is None:
                return
            if parser.echoing:
                # We said WILL ECHO and the client agreed: typing shows only through us.
                await stream.send(user.encode() + b"\r\n")
            if not user.strip():
                if not await stream.send(config.login_prompt.encode()):
                    return
                continue
            if not await stream.send(config.password_prompt.encode()):
                return
            password = await lines.line()
            if password is None:
                return
            result = self._auth.check_password(user.strip(), password)
            if result is AuthResult.OK:
                await self._shell(stream, lines)
                return
            failures += 1
            if config.failure_delay > 0:
                await asyncio.sleep(config.failure_delay)
            again = config.login_prompt if failures < config.max_attempts else ""
            if not await stream.send(f"\r\n{config.failure_text}\r\n{again}".encode()):
                return

    async def _shell(self, stream: LabStream, lines: _LineReader) -> None:
        config = self.config
        if not await stream.send((config.shell_banner + config.shell_prompt).encode()):
            return
        while True:
            line = await lines.line()
            if line is None:
                return
            command = line.strip()
            if command in ("exit", "logout"):
                await stream.send(b"\r\n")
                return
            output = self._run(command)
            if not await stream.send((output + config.shell_prompt).encode()):
                return

    def _run(self, command: str) -> str:
        """Canned answers only: nothing typed here ever reaches a real shell."""
        name, _, args = command.partition(" ")
        if not name:
            return ""
        if name == "id":
            return "uid=0(root) gid=0(root)\r\n"
        if command == "uname -a":
            return self.config.uname + "\r\n"
        if name == "uname":
            return "Linux\r\n"
        if name == "echo":
            return args + "\r\n"
        if name == "pwd":
            return "/\r\n"
        if name == "help":
            return "Built-in commands:\r\n\techo exit help id logout pwd uname\r\n"
        return f"-sh: {name}: not found\r\n"
