from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.report.sanitize import ELLIPSIS, clean_text, placeholder


def _is_unsafe(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"}
        or code in {0x061C, 0x200E, 0x200F}
        or 0x202A <= code <= 0x202E
        or 0x2066 <= code <= 0x2069
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2Jcleared", "\u241b[2Jcleared"),  # ESC: clear screen
        ("\x1b]52;c;ZXZpbA==\x07", "\u241b]52;c;ZXZpbA==\u2407"),  # OSC 52 clipboard write
        ("\x9b31m", "<U+009B>31m"),  # 8-bit CSI
        ("\x9d8;;http://x\x9c", "<U+009D>8;;http://x<U+009C>"),  # 8-bit OSC 8 hyperlink
        ("a\x00b\x7fc", "a\u2400b\u2421c"),  # NUL, DEL
        ("line\r\nnext\tx", "line\u240d\u240anext\u2409x"),
        ("user\u202eexe.txt", "user<U+202E>exe.txt"),  # RLO (Trojan Source)
        ("\u2066x\u2069\u200f", "<U+2066>x<U+2069><U+200F>"),
        ("a\u2028b", "a<U+2028>b"),
        ("\ud800", "<U+D800>"),
    ],
)
def test_unsafe_characters_get_visible_placeholders(raw: str, shown: str) -> None:
    assert clean_text(raw, 200) == shown


@pytest.mark.parametrize(
    "text", ["Hikvision DS-2CD2032-I", "caméra 日本語 🎥", "[bold red]x[/]", ":warning:", ""]
)
def test_safe_text_is_unchanged(text: str) -> None:
    assert clean_text(text, 200) == text
    assert all(placeholder(c) is None for c in text)


def test_truncation_keeps_within_max_len_and_marks_the_cut() -> None:
    assert clean_text("abcdef", 6) == "abcdef"
    assert clean_text("abcdefg", 6) == "abcde" + ELLIPSIS
    assert clean_text("abc", 1) == ELLIPSIS
    assert clean_text("abc", 0) == ""
    assert clean_text("abc", -5) == ""


def test_truncation_never_splits_a_placeholder() -> None:
    # "ab" + "<U+009B>" is 10 characters; with 9 allowed the whole placeholder must go.
    assert clean_text("ab\x9bcd", 9) == "ab" + ELLIPSIS


def test_huge_input_is_cut_cheaply() -> None:
    out = clean_text("\x1b" * 10_000_000, 50)
    assert len(out) == 50
    assert out.endswith(ELLIPSIS)


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_output_is_bounded_and_free_of_unsafe_characters(text: str, max_len: int) -> None:
    out = clean_text(text, max_len)
    assert len(out) <= max_len
    assert not any(_is_unsafe(c) for c in out)
    out.encode("utf-8")  # always encodable: no lone surrogates


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf"))))
def test_text_without_controls_survives_when_it_fits(text: str) -> None:
    assert clean_text(text, len(text) + 1) == text
