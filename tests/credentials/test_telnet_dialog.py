"""The pure Telnet login dialog, fed transcripts of real login programs.

The transcripts are the bytes recorded (this session, by a raw client on loopback inside a
network namespace) from Debian 12's inetutils-telnetd 2:2.4-2+deb12u3 handing over to shadow
``login`` with PAM (pam_faildelay 3 s), and from busybox-static 1:1.35.0-4+deb12u1 ``telnetd
-l login`` (BusyBox's own login). Telnet commands are already stripped (``IacParser``).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.credentials.telnet_dialog import (
    DialogState,
    LoginDialog,
    Verdict,
    VerdictKind,
    classify_after_password,
    is_lockout,
)

# inetutils telnetd + shadow login: greeting, a refusal (after 3.3 s), a success with a MOTD.
INETUTILS_GREETING = b"\r\nLinux 6.18.44-fc-v1300 (dvr) (pts/0)\r\n\r\ndvr login: "
INETUTILS_REFUSAL = b"\r\n\r\nLogin incorrect\r\ndvr login: "
INETUTILS_SUCCESS = (
    b"\r\nLinux dvr 6.18.44-fc-v1300 #1 SMP PREEMPT_DYNAMIC @0 x86_64\r\n"
    b"\r\nThe programs included with the Debian GNU/Linux system are free software;\r\n"
    b"permitted by applicable law.\r\n# "
)
INETUTILS_LAST_TRY = b"\r\nMaximum number of tries exceeded (3)\r\n"
# BusyBox 1.35 telnetd + login: greeting (issue file with bare CRs), refusal after 3.0 s.
BUSYBOX_GREETING = b"\r\r\nDebian GNU/Linux 12\r\n\rhi3518 login: "
BUSYBOX_REFUSAL = b"\r\nLogin incorrect\r\nhi3518 login: "
BUSYBOX_LAST = b"\r\nLogin incorrect\r\n"


def run(
    dialog: LoginDialog, chunks: list[bytes], *, closed: bool = False
) -> tuple[bytes, Verdict | None]:
    for chunk in chunks:
        dialog.feed(chunk)
    return dialog.settle(closed=closed)


@pytest.mark.parametrize(
    ("greeting", "refusal"),
    [(INETUTILS_GREETING, INETUTILS_REFUSAL), (BUSYBOX_GREETING, BUSYBOX_REFUSAL)],
)
def test_refusal_then_success_on_one_connection(greeting: bytes, refusal: bytes) -> None:
    dialog = LoginDialog()
    assert run(dialog, [greeting]) == (b"", None)
    assert dialog.state is DialogState.AT_LOGIN
    assert dialog.begin("root", "wrong") == b"root\r\n"
    line, verdict = run(dialog, [b"root\r\n", b"Password: "])  # the echo, then the prompt
    assert (line, verdict) == (b"wrong\r\n", None)
    _, verdict = run(dialog, [b"\r\n", refusal])
    assert verdict is not None
    assert verdict.kind is VerdictKind.FAILURE
    assert "Login incorrect" in verdict.detail
    assert dialog.state is DialogState.AT_LOGIN  # re-prompted: the next pair goes here
    dialog.begin("root", "xc3511")
    run(dialog, [b"root\r\nPassword: "])
    _, verdict = run(dialog, [INETUTILS_SUCCESS])
    assert verdict is not None
    assert verdict.kind is VerdictKind.SUCCESS
    assert "xc3511" not in dialog.transcript()


def test_busybox_closes_after_its_third_refusal() -> None:
    verdict, state = classify_after_password(BUSYBOX_LAST.decode(), closed=True)
    assert verdict.kind is VerdictKind.FAILURE
    assert state is DialogState.CLOSED


def test_shadow_retry_limit_is_a_refusal_not_a_lockout() -> None:
    verdict, state = classify_after_password(INETUTILS_LAST_TRY.decode(), closed=True)
    assert verdict.kind is VerdictKind.FAILURE
    assert state is DialogState.CLOSED


def test_a_host_name_with_lock_words_is_not_a_lockout() -> None:
    dialog = LoginDialog()
    run(dialog, [b"\r\nblocked-cam login: "])
    assert dialog.state is DialogState.AT_LOGIN
    assert not is_lockout("locked login: ")
    assert is_lockout("Account locked due to 4 failed logins\r\nlogin: ")


@pytest.mark.parametrize(
    ("after", "kind", "state"),
    [
        ("\nLogin failed\nlogin: ", VerdictKind.FAILURE, DialogState.AT_LOGIN),
        ("\nAccess denied\nPassword: ", VerdictKind.FAILURE, DialogState.AT_PASSWORD),
        ("\nLast failed login: Sun\nThere were 2 failed login attempts\n$ ", VerdictKind.SUCCESS,
         DialogState.SHELL),
        ("\nThe account is locked due to 4 failed logins.\n", VerdictKind.LOCKED,
         DialogState.CLOSED),
        ("\n", VerdictKind.NONE, DialogState.CLOSED),
    ],
)  # fmt: skip
def test_wordings(after: str, kind: VerdictKind, state: DialogState) -> None:
    verdict, new_state = classify_after_password(after, closed=False)
    assert (verdict.kind, new_state) == (kind, state)


def test_a_password_only_prompt_takes_only_passwords() -> None:
    dialog = LoginDialog()
    run(dialog, [b"Password: "])
    assert dialog.can_take("anyone")
    assert dialog.begin("admin", "x") == b"x\r\n"  # no user name is ever sent
    run(dialog, [b"\r\nPassword: "])
    assert dialog.state is DialogState.AT_PASSWORD
    assert dialog.can_take("root")


def test_a_re_asked_password_keeps_the_user() -> None:
    dialog = LoginDialog()
    run(dialog, [b"login: "])
    dialog.begin("admin", "x")
    run(dialog, [b"admin\r\nPassword: "])
    _, verdict = run(dialog, [b"\r\nWrong password\r\nPassword: "])
    assert verdict is not None
    assert verdict.kind is VerdictKind.FAILURE
    assert dialog.can_take("admin")
    assert not dialog.can_take("root")


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_any_chunking_gives_the_same_verdicts(cuts: list[int]) -> None:
    transcript = [INETUTILS_GREETING, b"root\r\nPassword: ", b"\r\n" + INETUTILS_REFUSAL]
    expected = [None, None, VerdictKind.FAILURE]
    dialog = LoginDialog()
    for step, (data, want) in enumerate(zip(transcript, expected, strict=True)):
        if step == 1:
            dialog.begin("root", "wrong")
        for chunk in _split(data, cuts):
            dialog.feed(chunk)
        _, verdict = dialog.settle(closed=False)
        assert (verdict.kind if verdict else None) is want


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_garbage_never_passes_for_a_login(data: bytes, closed: bool) -> None:
    dialog = LoginDialog()
    dialog.feed(INETUTILS_GREETING)
    dialog.settle(closed=False)
    dialog.begin("root", "pw")
    dialog.feed(b"root\r\nPassword: ")
    dialog.settle(closed=False)
    dialog.feed(data)
    _, verdict = dialog.settle(closed=closed)
    assert verdict is not None
    text = dialog.stage_text() if verdict.kind is not VerdictKind.SUCCESS else ""
    if verdict.kind is VerdictKind.SUCCESS:
        # Only a pending shell prompt counts as a login.
        assert dialog.state is DialogState.SHELL
    else:
        assert isinstance(text, str)
