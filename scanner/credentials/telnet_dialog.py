"""The Telnet login conversation as a pure state machine: text in, lines to send and verdicts out.

No socket, no clock: ``scanner.credentials.telnet_session`` drives it over the transport seam
and owns the deadlines. What it has to survive is what real ``login`` programs do (transcripts
from Debian's inetutils telnetd + shadow ``login`` + PAM and BusyBox 1.35 ``telnetd``/``login``,
recorded in tests/credentials/test_telnet_dialog.py):

* the user name is echoed back (``root\\r\\n``) before ``Password:``;
* a wrong user still gets ``Password:`` (PAM and BusyBox never say which half was wrong);
* a wrong pair is answered only after the fail delay (PAM ``pam_faildelay`` 3 s +-50 %, BusyBox
  a fixed 3 s), with ``Login incorrect`` then a new ``login:`` prompt on the same connection
  (shadow ``login`` allows LOGIN_RETRIES=5 tries, BusyBox 3, then both close);
* a success may print a kernel line, a message of the day and ``Last login`` before the prompt;
* some devices re-ask only the password after a failure (``Password:`` again).

Option negotiation (including mid-login renegotiation) is handled below this layer by
``scanner.probe.telnet.IacParser``, which refuses every terminal question but ECHO and SGA.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from scanner.probe.telnet import PromptKind, clean_text, prompt_kind

__all__ = [
    "DialogState",
    "LoginDialog",
    "Verdict",
    "VerdictKind",
    "classify_after_password",
    "is_lockout",
    "is_refusal",
]

# Lockout words come first: "Account locked due to 4 failed logins" is a lockout, not a refusal.
_LOCKED = re.compile(
    r"locked|lock(?:ed)? out|too many|try again later|temporarily (?:disabled|blocked)|blocked",
    re.IGNORECASE,
)
# Refusal wordings seen in the field: shadow/BusyBox "Login incorrect", util-linux "Login
# incorrect", Dropbear-style "Access denied", HiSilicon/XMEye "Login failed", "Invalid
# password", "Authentication failed", "Permission denied", "bad password".
_REFUSED = re.compile(
    r"incorrect|fail|denied|invalid|wrong|bad password|not authori[sz]ed|unknown user"
    r"|authentication error"
    # shadow login's per-connection retry limit: this try was refused, then the line closed
    r"|maximum number of tries|tries exceeded",
    re.IGNORECASE,
)


def is_lockout(text: str) -> bool:
    """Lockout words in what the device *said*: the pending prompt line is left out, since it
    is often just the host name (a DVR called "blocked-cam" is not locked)."""
    said = text if text.endswith("\n") else text.rsplit("\n", 1)[0] if "\n" in text else ""
    return _LOCKED.search(said) is not None


def is_refusal(text: str) -> bool:
    return _REFUSED.search(text) is not None


class VerdictKind(enum.StrEnum):
    SUCCESS = "success"  # a shell prompt
    FAILURE = "failure"  # a refusal or a new credentials prompt
    LOCKED = "locked"  # the device said so
    NONE = "none"  # no verdict: silent, closed or unreadable


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    detail: str


class DialogState(enum.StrEnum):
    GREETING = "greeting"  # connected, waiting for the first prompt
    AT_LOGIN = "at-login"  # a login prompt is waiting for a user name
    AT_PASSWORD = "at-password"  # noqa: S105 - a state name: a password prompt is waiting
    USER_SENT = "user-sent"  # waiting for the password prompt (the echo comes first)
    PASSWORD_SENT = "password-sent"  # noqa: S105 - waiting for the verdict (the fail delay)
    SHELL = "shell"  # logged in (or never asked): the connection is no use for another pair
    CLOSED = "closed"  # the device closed or said something we cannot go on from


def _pending(text: str) -> PromptKind | None:
    """The unterminated last line, as a prompt kind: a device waiting for input prints no LF."""
    if not text or text.endswith("\n"):
        return None
    return prompt_kind(text.rsplit("\n", 1)[-1])


def classify_after_password(text: str, *, closed: bool) -> tuple[Verdict, DialogState]:
    """What the device said after the password, and where that leaves the connection.

    A shell prompt wins over every word before it ("Last failed login: ..." then ``# ``); then
    lockout words; then a new prompt or refusal words. ``closed``: the device ended the stream."""
    kind = _pending(text)
    if kind is PromptKind.SHELL:
        return Verdict(VerdictKind.SUCCESS, "a shell prompt after the password"), DialogState.SHELL
    if is_lockout(text):
        return Verdict(VerdictKind.LOCKED, "the device reports a lockout"), DialogState.CLOSED
    if kind is PromptKind.LOGIN and not closed:
        return Verdict(VerdictKind.FAILURE, _refusal_words(text)), DialogState.AT_LOGIN
    if kind is PromptKind.PASSWORD and not closed:
        return Verdict(VerdictKind.FAILURE, _refusal_words(text)), DialogState.AT_PASSWORD
    if is_refusal(text):
        how = "then closed" if closed else "without a new prompt"
        return Verdict(VerdictKind.FAILURE, f"{_refusal_words(text)}, {how}"), DialogState.CLOSED
    if closed:
        return (
            Verdict(VerdictKind.NONE, "connection closed after the password without a verdict"),
            DialogState.CLOSED,
        )
    silent = Verdict(VerdictKind.NONE, "no recognisable answer after the password")
    return silent, DialogState.CLOSED


def _refusal_words(text: str) -> str:
    for line in text.split("\n"):
        if is_refusal(line):
            return f"refused ({line.strip()[:60]!r})"
    return "asked for credentials again"


@dataclass(slots=True)
class LoginDialog:
    """One Telnet connection's login conversation.

    ``text`` is fed as it arrives (already free of Telnet commands). The driver asks
    ``prompt_pending()`` to know when to stop reading (after a short settle), then calls
    ``settle(closed=...)`` which returns what to send and/or a verdict for the pair in flight.
    ``begin(user, password)`` starts a pair when the dialog is at a prompt."""

    max_text: int = 16 * 1024
    state: DialogState = DialogState.GREETING
    raw: bytearray = field(default_factory=bytearray)
    mark: int = 0  # start of the text the current stage reads
    user: str | None = None  # the user name sent on this connection's current try
    password: str | None = None
    pairs_tried: int = 0  # pairs sent on this connection

    def feed(self, text: bytes) -> None:
        room = self.max_text - len(self.raw)
        if room > 0:
            self.raw += text[:room]

    @property
    def full(self) -> bool:
        return len(self.raw) >= self.max_text

    def stage_text(self) -> str:
        return clean_text(bytes(self.raw[self.mark :]))

    def transcript(self) -> str:
        """Everything the device printed on this connection, passwords masked."""
        text = clean_text(bytes(self.raw))
        if self.password:
            text = text.replace(self.password, "*" * 8)
        return text

    def prompt_pending(self) -> bool:
        """True when the current stage's text ends in something that waits for input."""
        return _pending(self.stage_text()) is not None

    def refusal_seen(self) -> bool:
        """After the password: refusal words arrived (the fail delay is over); the new prompt
        follows at once or the device closes."""
        return self.state is DialogState.PASSWORD_SENT and is_refusal(self.stage_text())

    def can_take(self, user: str) -> bool:
        """Whether a pair with this user can be sent on this connection now."""
        if self.state is DialogState.AT_LOGIN:
            return True
        # A password-only prompt: on a fresh connection any user goes (the device asks for no
        # name); after a failure it re-asks for the same user only.
        return self.state is DialogState.AT_PASSWORD and (self.user is None or self.user == user)

    def begin(self, user: str, password: str) -> bytes:
        """The line to send for this pair (user name, or password at a password-only prompt)."""
        if not self.can_take(user):
            raise ValueError(f"cannot start a pair in state {self.state}")
        self.pairs_tried += 1
        self.password = password
        self.mark = len(self.raw)
        if self.state is DialogState.AT_LOGIN:
            self.user = user
            self.state = DialogState.USER_SENT
            return encode_line(user)
        self.state = DialogState.PASSWORD_SENT
        return encode_line(password)

    def settle(self, *, closed: bool) -> tuple[bytes, Verdict | None]:
        """The stage's text is complete (a prompt settled, the stream ended, or the stage's
        deadline passed): decide. Returns (bytes to send, verdict for the pair in flight)."""
        text = self.stage_text()
        kind = _pending(text)
        if self.state is DialogState.GREETING:
            return b"", self._greeting(text, kind, closed=closed)
        if self.state is DialogState.USER_SENT:
            return self._after_user(text, kind, closed=closed)
        if self.state is DialogState.PASSWORD_SENT:
            verdict, self.state = classify_after_password(text, closed=closed)
            self.mark = len(self.raw)
            return b"", verdict
        return b"", None

    def _greeting(self, text: str, kind: PromptKind | None, *, closed: bool) -> Verdict | None:
        if is_lockout(text):
            self.state = DialogState.CLOSED
            return Verdict(VerdictKind.LOCKED, "the device reports a lockout before any login")
        if kind is PromptKind.SHELL and not closed:
            self.state = DialogState.SHELL
            return Verdict(VerdictKind.SUCCESS, "a shell was offered without any credentials")
        if kind is PromptKind.LOGIN and not closed:
            self.state = DialogState.AT_LOGIN
            self.mark = len(self.raw)
            return None
        if kind is PromptKind.PASSWORD and not closed:
            self.state = DialogState.AT_PASSWORD
            self.mark = len(self.raw)
            return None
        self.state = DialogState.CLOSED
        why = "closed" if closed else "no prompt"
        return Verdict(VerdictKind.NONE, f"no login prompt ({why})")

    def _after_user(
        self, text: str, kind: PromptKind | None, *, closed: bool
    ) -> tuple[bytes, Verdict | None]:
        if kind is PromptKind.PASSWORD and not closed:
            self.state = DialogState.PASSWORD_SENT
            self.mark = len(self.raw)
            return encode_line(self.password or ""), None
        if kind is PromptKind.SHELL and not closed:
            self.state = DialogState.SHELL
            return b"", Verdict(VerdictKind.SUCCESS, "a shell prompt after the user name")
        # No password prompt: a refusal of the user name itself, a lockout, or silence.
        verdict, self.state = classify_after_password(text, closed=closed)
        self.mark = len(self.raw)
        return b"", verdict


def encode_line(value: str) -> bytes:
    # RFC 854: NVT end of line is CR LF. UTF-8 never produces 0xFF, so no IAC doubling.
    return value.encode("utf-8") + b"\r\n"
