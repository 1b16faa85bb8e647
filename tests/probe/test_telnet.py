from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.config import Limits, Timeouts
from scanner.context import ProbeContext
from scanner.models import ProbeStatus, Protocol
from scanner.probe.telnet import (
    IacParser,
    PromptKind,
    clean_text,
    probe_telnet,
    prompt_kind,
    strip_iac,
)
from scanner.transport import Reset, ScriptedConnector
from tests.probe.servers import DO, DONT, IAC, SB, SE, WILL, WONT, TelnetServer

ECHO, SGA, TTYPE, NAWS = 1, 3, 24, 31
FAST = Timeouts(connect=1.0, banner=0.2, read=0.4, probe=3.0)
LIMITS = Limits()
H, P = "127.0.0.1", 23


def cmd(verb: int, option: int) -> bytes:
    return bytes((IAC, verb, option))


# --- IAC state machine -----------------------------------------------------------------------


def test_xiongmai_negotiation() -> None:
    data = cmd(WILL, ECHO) + cmd(WILL, SGA) + cmd(DO, NAWS) + b"\r\nLocalHost login: "
    text, replies = strip_iac(data)
    assert text == b"\r\nLocalHost login: "
    assert replies == cmd(DO, ECHO) + cmd(DO, SGA) + cmd(WONT, NAWS)


def test_refuses_everything_but_echo_and_sga() -> None:
    _, replies = strip_iac(
        cmd(DO, TTYPE) + cmd(WILL, TTYPE) + cmd(DO, ECHO) + cmd(DO, SGA) + cmd(WILL, 200)
    )
    assert replies == (
        cmd(WONT, TTYPE) + cmd(DONT, TTYPE) + cmd(WONT, ECHO) + cmd(WILL, SGA) + cmd(DONT, 200)
    )


def test_iac_iac_is_a_data_byte_and_other_commands_vanish() -> None:
    text, replies = strip_iac(b"a" + bytes((IAC, IAC)) + b"b" + bytes((IAC, 241, IAC, 249)) + b"c")
    assert text == b"a\xffbc"
    assert replies == b""


def test_subnegotiation_is_discarded() -> None:
    data = b"x" + bytes((IAC, SB, TTYPE, 1, IAC, IAC, 7, IAC, SE)) + b"y"
    assert strip_iac(data) == (b"xy", b"")


def test_unterminated_subnegotiation_recovers_at_next_command() -> None:
    data = bytes((IAC, SB, TTYPE, 1)) + cmd(WILL, ECHO) + b"login: "
    text, replies = strip_iac(data)
    assert replies == cmd(DO, ECHO)
    assert text == b"login: "


def test_commands_split_across_reads() -> None:
    parser = IacParser()
    assert parser.feed(bytes((IAC,))) == (b"", b"")
    assert parser.feed(bytes((WILL,))) == (b"", b"")
    assert parser.feed(bytes((ECHO,)) + b"hi") == (b"hi", cmd(DO, ECHO))
    assert parser.negotiated


def test_no_loops_repeats_answered_once_and_state_changes_acknowledged() -> None:
    parser = IacParser()
    assert parser.feed(cmd(WILL, ECHO) * 3)[1] == cmd(DO, ECHO)  # already on: no re-ack
    assert parser.feed(cmd(DO, NAWS) * 3)[1] == cmd(WONT, NAWS)
    assert parser.feed(cmd(WONT, ECHO))[1] == cmd(DONT, ECHO)  # it was on: acknowledge
    assert parser.feed(cmd(WONT, ECHO))[1] == b""  # already off: silence (RFC 854)
    assert parser.feed(cmd(WILL, ECHO))[1] == cmd(DO, ECHO)  # a new request after the change
    assert parser.feed(cmd(DONT, SGA))[1] == b""  # never agreed: nothing to acknowledge
    assert parser.feed(cmd(DO, SGA))[1] == cmd(WILL, SGA)
    assert parser.feed(cmd(DONT, SGA))[1] == cmd(WONT, SGA)


def test_negotiation_storm_is_bounded() -> None:
    storm = b"".join(cmd(verb, opt) for _ in range(20) for opt in range(256) for verb in (DO, WILL))
    text, replies = strip_iac(storm)
    assert text == b""
    assert len(replies) <= 2 * 256 * 3


@given(st.binary(max_size=500))
def test_strip_iac_never_raises_and_plain_text_passes(data: bytes) -> None:
    text, replies = strip_iac(data)
    assert len(text) <= len(data)
    if IAC not in data:
        assert (text, replies) == (data, b"")
    for i in range(0, len(replies), 3):
        assert replies[i] == IAC
        assert replies[i + 1] in (DO, DONT, WILL, WONT)


@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=6))
def test_chunked_feeding_equals_one_shot(data: bytes, cuts: list[int]) -> None:
    parser = IacParser()
    text, replies = b"", b""
    last = 0
    for cut in [*sorted({min(c, len(data)) for c in cuts}), len(data)]:
        t, r = parser.feed(data[last:cut])
        text, replies, last = text + t, replies + r, cut
    assert (text, replies) == strip_iac(data)


# --- text helpers ----------------------------------------------------------------------------


def test_clean_text() -> None:
    assert clean_text(b"\x1b[1;32mWelcome\x1b[0m\r\nlogin: ") == "Welcome\nlogin: "
    assert clean_text(b"a\r\x00b\rc\x07\x00d") == "a\nb\ncd"
    assert clean_text(b"caf\xe9") == "caf\ufffd"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("LocalHost login: ", PromptKind.LOGIN),
        ("Username:", PromptKind.LOGIN),
        ("User Name :", PromptKind.LOGIN),
        ("Password: ", PromptKind.PASSWORD),
        ("# ", PromptKind.SHELL),
        ("root@cam:~$ ", PromptKind.SHELL),
        ("msh>", PromptKind.SHELL),
        ("Welcome to the camera", None),
        ("", None),
        ("x" * 300 + "#", None),
    ],
)
def test_prompt_kind(line: str, kind: PromptKind | None) -> None:
    assert prompt_kind(line) is kind


# --- probe_telnet, scripted -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_probe_scripted_negotiation_answered_and_prompt_found() -> None:
    greeting = cmd(WILL, ECHO) + cmd(WILL, SGA) + cmd(DO, NAWS)
    connector = ScriptedConnector(
        {(H, P): [[greeting, b"\r\nDVR Telnet\r\n", b"LocalHost login: ", b""]]}
    )
    result = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P
    )
    assert result.status is ProbeStatus.OK
    assert result.protocol is Protocol.TELNET
    assert result.login_prompt
    assert result.fields["telnet.prompt"] == "LocalHost login:"
    # the banner keeps the device's line breaks and the prompt's trailing space
    assert result.fields["telnet.banner"] == "DVR Telnet\r\nLocalHost login: "
    assert result.banner == "DVR Telnet"
    assert connector.connections[0].sent == [cmd(DO, ECHO) + cmd(DO, SGA) + cmd(WONT, NAWS)]
    assert connector.connections[0].closed


@pytest.mark.asyncio
async def test_probe_banner_keeps_line_breaks_as_sent_for_fingerprints_and_nmap() -> None:
    # nmap-service-probes lines 4605 (Mango DSP AVS Raven-M video server) and 4674 (Sanyo
    # VCC-HD2300): a form feed, CR LF line ends, CR CR LF; their match lines and the
    # fingerprints written from them hold these bytes
    mango = b"\x0c\r\nusername: \r\npassword: \r\nUsername and password are invalid. Try again.. "
    connector = ScriptedConnector(
        {
            (H, 1): [[mango + b"\r\n\r\nusername: ", b""]],
            (H, 2): [[b"Username: \r\r\nUsername: \r\r\n\x1b[0mUsername: ", b""]],
        }
    )
    ctx = ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS)
    first = await probe_telnet(ctx, H, 1)
    assert first.fields["telnet.banner"] == (
        "username: \r\npassword: \r\nUsername and password are invalid. Try again.. "
        "\r\n\r\nusername: "
    )
    assert first.fields["telnet.prompt"] == "username:"
    second = await probe_telnet(ctx, H, 2)
    assert second.fields["telnet.banner"] == "Username: \r\r\nUsername: \r\r\nUsername: "
    assert second.login_prompt


@pytest.mark.asyncio
async def test_probe_scripted_shell_banner_silence_and_errors() -> None:
    connector = ScriptedConnector(
        {
            (H, 1): [[b"\r\nBusyBox v1.20\r\n# ", b""]],
            (H, 2): [[b""]],
            (H, 3): [[b"Welcome to X\r\n"]],  # then closes, no prompt
            (H, 4): [[Reset("reset by peer")]],
            (H, 5): [[cmd(DO, TTYPE), b""]],
        }
    )
    shell = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 1
    )
    assert shell.login_prompt
    assert shell.fields["telnet.prompt"] == "#"
    silent = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 2
    )
    assert silent.status is ProbeStatus.OK
    assert silent.fields == {}
    assert silent.banner is None
    assert "no text" in silent.reason
    banner_only = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 3
    )
    assert banner_only.banner == "Welcome to X"
    assert not banner_only.login_prompt
    reset = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 4
    )
    assert reset.status is ProbeStatus.RESET
    negotiation_only = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 5
    )
    assert "negotiation only" in negotiation_only.reason
    refused = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, 6
    )
    assert refused.status is ProbeStatus.REFUSED


@pytest.mark.asyncio
async def test_probe_bounded_under_endless_storm() -> None:
    storm = [cmd(DO, n % 256) for n in range(100_000)]
    connector = ScriptedConnector({(H, P): [storm]})
    start = time.perf_counter()
    result = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=Limits(max_banner_bytes=512)), H, P
    )
    assert time.perf_counter() - start < 2.0
    assert result.status is ProbeStatus.OK
    sent = b"".join(connector.connections[0].sent)
    assert len(sent) <= 256 * 3


@pytest.mark.asyncio
async def test_probe_settles_on_split_last_login_line() -> None:
    # "Last login:" arrives cut after the colon; the rest follows within the settle time.
    connector = ScriptedConnector(
        {(H, P): [[b"Last login:", b" Mon Jan 1\r\n", b"cam login: ", b""]]}
    )
    result = await probe_telnet(
        ProbeContext(connector=connector, timeouts=FAST, limits=LIMITS), H, P
    )
    assert result.fields["telnet.prompt"] == "cam login:"


# --- loopback --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_loopback_probe_negotiates_like_a_login_client() -> None:
    # Logins themselves: tests/credentials/test_telnet_session.py.
    async with TelnetServer(host="127.0.0.13") as server:
        probe = await probe_telnet(
            ProbeContext(timeouts=FAST, limits=LIMITS), server.host, server.port
        )
        assert probe.status is ProbeStatus.OK
        assert probe.login_prompt
        assert probe.fields["telnet.prompt"] == "LocalHost login:"
        assert (DO, ECHO) in server.client_commands
        assert (DO, SGA) in server.client_commands
        assert (WONT, NAWS) in server.client_commands


@pytest.mark.asyncio
async def test_tcp_connector_is_default() -> None:
    async with TelnetServer() as server:
        port = server.port
    result = await probe_telnet(ProbeContext(timeouts=FAST, limits=LIMITS), H, port)
    assert result.status is ProbeStatus.REFUSED
