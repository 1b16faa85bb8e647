"""scanner/digits.py: the one reader of numbers from devices, files and the command line, and a
check that no parser goes around it with ``str.isdigit()`` (issue #19)."""

from __future__ import annotations

import argparse
import io
import itertools
import re
import tokenize
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.cli.parser import _positive, _scan_seconds, _whole
from scanner.digits import ascii_decimal, ascii_hex
from scanner.discover.neighbours import parse_proc_net_arp
from scanner.lab.wire import LabProtocolError, content_length, parse_request_head
from scanner.probe.rtsp import RtspParseError, parse_response
from scanner.targets import TargetError, parse_ports, parse_target
from tests.fuzz.test_parsers import LOOKALIKE_DIGITS

SCANNER = Path(__file__).resolve().parents[1] / "scanner"


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("7", 7), ("0554", 554), ("123456789", 123456789), (b"42", 42)],
)
def test_plain_ascii_decimals_are_read(text: str | bytes, value: int) -> None:
    assert ascii_decimal(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1",
        "1 ",
        "+1",
        "-1",
        "1_000",
        "1.0",
        "0x10",
        "1234567890",  # ten digits: past the default bound
        "\u00b2",
        "\u0663",
        "\uff11",
        "1\u00b2",
        b"\xb2",
        b"\xc2\xb2",
        b"1\x00",
    ],
)
def test_anything_but_bounded_ascii_digits_is_refused(text: str | bytes) -> None:
    assert ascii_decimal(text) is None


def test_bounds_are_inclusive() -> None:
    assert ascii_decimal("65535", max_digits=5, low=1, high=65535) == 65535
    assert ascii_decimal("65536", max_digits=5, low=1, high=65535) is None
    assert ascii_decimal("0", low=1) is None
    assert ascii_decimal("9" * 18, max_digits=18) == 10**18 - 1


def test_hex_takes_ascii_hex_digits_only() -> None:
    assert ascii_hex("00fF") == 255
    assert ascii_hex(b"2") == 2
    for text in ("0x2", "", "+2", "g", "\u0663", "\uff11", "1" * 17):
        assert ascii_hex(text) is None


@given(st.text(max_size=12) | st.text(alphabet="0123456789" + "".join(LOOKALIKE_DIGITS)))
def test_a_value_is_returned_exactly_for_ascii_digit_strings(text: str) -> None:
    value = ascii_decimal(text)
    if re.fullmatch(r"[0-9]{1,9}", text, re.ASCII):
        assert value == int(text)
    else:
        assert value is None


@given(st.binary(max_size=12))
def test_bytes_are_read_like_their_ascii_text(data: bytes) -> None:
    expected = int(data) if re.fullmatch(rb"[0-9]{1,9}", data) else None
    assert ascii_decimal(data) == expected


# --- every reader refuses a number written with other digits -----------------------------------


@pytest.mark.parametrize("digit", LOOKALIKE_DIGITS)
def test_readers_refuse_lookalike_digits(digit: str) -> None:
    with pytest.raises(TargetError):
        parse_ports(f"8{digit}")  # int() would read '٣' as 3: port 83
    with pytest.raises(TargetError):
        parse_target(f"198.18.0.1-{digit}")
    raw = digit.encode("utf-8")
    with pytest.raises(RtspParseError):
        parse_response(b"RTSP/1.0 200 OK\r\nContent-Length: " + raw + b"\r\n\r\nabc")
    with pytest.raises(RtspParseError):
        parse_response(b"RTSP/1.0 2" + raw + b"0 OK\r\n\r\n")  # the status code too
    with pytest.raises(LabProtocolError):
        content_length(parse_request_head(b"GET / HTTP/1.1\r\nContent-Length: " + raw))
    table = f"IP address HW type Flags HW address Mask Device\n1.2.3.4 0x1 0x{digit} x * e\n"
    assert parse_proc_net_arp(table) == {}
    with pytest.raises(argparse.ArgumentTypeError):
        _whole(1, 65535)(f"8{digit}")  # --concurrency and the other whole-number flags
    with pytest.raises(argparse.ArgumentTypeError):
        _positive(f"1{digit}")  # the per-phase timeouts: float() would read '٣' as 3
    with pytest.raises(argparse.ArgumentTypeError):
        _scan_seconds(f"{digit}0")


def test_seconds_flags_take_ascii_decimals_only() -> None:
    assert _positive(" 2.5 ") == 2.5
    assert _scan_seconds("0") is None
    assert _scan_seconds("90") == 90.0
    for text in ("inf", "nan", "1_0", "-1", "1e3", "", ".", "+1"):
        with pytest.raises(argparse.ArgumentTypeError):
            _positive(text)


def test_ports_still_take_spaces_around_a_range() -> None:
    assert parse_ports("80, 8000 - 8002") == ((80, 8000, 8001, 8002), {})


# --- no parser goes around the helper ----------------------------------------------------------

# Calls that say yes to '²', '٣' or a full-width one (str.isdigit, isnumeric, isdecimal), and
# \d in a string (a str regular expression matches Unicode digits with it unless re.ASCII).
# Comments are not code. Each file allowed here must not use them on input from a device, a
# file or the command line, and says why.
_CALLS = frozenset({"isdigit", "isnumeric", "isdecimal"})
ALLOWED: dict[str, str] = {
    # JSON Schema patterns are ECMA-262 regular expressions (JSON Schema 2020-12 s6.4), where \d
    # is ASCII only; the report owner's file (issue #16), listed here rather than edited.
    "report/schema.py": "JSON Schema (ECMA-262) patterns",
    # A docstring names a signature pattern as an example; no code.
    "match/matchers.py": "a docstring example of a signature pattern",
}


def _suspects(source: str) -> list[tuple[int, str]]:
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    found: list[tuple[int, str]] = []
    for before, token in itertools.pairwise(tokens):
        call = token.type == tokenize.NAME and token.string in _CALLS and before.string == "."
        if call or (token.type == tokenize.STRING and "\\d" in token.string):
            found.append((token.start[0], token.line.strip()))
    return found


def test_no_parser_reads_numbers_with_isdigit_or_unicode_digit_classes() -> None:
    found: list[str] = []
    for path in sorted(SCANNER.rglob("*.py")):
        rel = path.relative_to(SCANNER).as_posix()
        if rel not in ALLOWED:
            found += [f"scanner/{rel}:{n}: {line}" for n, line in _suspects(path.read_text())]
    assert not found, "read numbers with scanner.digits.ascii_decimal:\n" + "\n".join(found)


def test_the_check_sees_what_it_looks_for() -> None:
    code = 'x = v.isdigit()  # .isnumeric() in a comment\ny = re.compile(r"(\\d+)")\n'
    assert [n for n, _ in _suspects(code)] == [1, 2]


def test_the_allow_list_names_files_that_still_need_it() -> None:
    for rel in ALLOWED:
        assert _suspects((SCANNER / rel).read_text()), f"{rel} no longer needs its entry"
