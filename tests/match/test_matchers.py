"""The static regex check, regex compilation rules, field vocabulary and matcher behaviour."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.match.matchers import Matcher, MatchKind, compile_regex, is_known_field
from scanner.match.matchers import nested_quantifier as nested


@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+",
        "(a*)*",
        "(\\w+\\s?)*",
        "(.*a)+",
        "([a-z]+){2,5}",
        "(x+x+)+y",
        "(a{1,}){2}",
        "(?:-[A-Z0-9-]+)*",
        "(?:_\\w+)+",
        "(?:-\\S+)+",
        "(?:-a|b+)+",
        "((a+))+",
    ],
)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    assert nested(pattern)
    assert compile_regex(pattern) == (
        "regex has a nested quantifier that can backtrack catastrophically"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "^uc-httpd[ /]1\\.0\\.0$",
        "\\d+(?:\\.\\d+){1,3}",
        "x(?:\\.[0-9]+)+",
        "x(?:-[A-Z0-9]+)*",
        "^(?P<model>(?:DS|iDS)-2[0-9A-Z]{2,}(?:-[0-9A-Z()/]+)*)$",
        "(a|b)+",
        "[(]+x",
        "\\(+x",
        "a{2,}b",
        "(?m)^m=video ",
    ],
)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert not nested(pattern)
    assert isinstance(compile_regex(pattern), re.Pattern)


def test_compile_messages() -> None:
    assert compile_regex("") == "regex is empty"
    assert compile_regex("a" * 1001) == "regex is longer than 1000 characters"
    assert compile_regex("^$") == "regex matches the empty string, so it matches everything"
    assert compile_regex("(?P<firmware>a)(?P<build>b)") is not None
    assert compile_regex("(?P<build>b)") == "named group 'build' needs a 'firmware' group beside it"
    assert compile_regex("[[a]") == "regex is ambiguous: Possible nested set at position 1"


@given(st.text(alphabet="ab()*+?{}[]\\|.,0123456789-^$", max_size=30))
def test_the_static_check_never_raises(pattern: str) -> None:
    nested(pattern)
    compile_regex(pattern)


def test_field_vocabulary() -> None:
    for name in (
        "rtsp.server",
        "http.title",
        "telnet.banner",
        "tcp.banner_hex",
        "http.header.x-powered-by",
        "rtsp.header.cseq",
    ):
        assert is_known_field(name)
    for name in ("http.titel", "http.header.", "http.header.X-Upper", "smtp.banner", ""):
        assert not is_known_field(name)


def test_matcher_kinds() -> None:
    word = Matcher("http.title", MatchKind.WORD, "Hikvision")
    found = word.find("welcome to HIKVISION web")
    assert found is not None
    assert found.text == "HIKVISION"
    assert word.find("nothing") is None
    equals = Matcher("http.title", MatchKind.EQUALS, "WEB SERVICE")
    assert equals.find("WEB SERVICE") is not None
    assert equals.find("web service") is None
    pattern = compile_regex("^DS-(?P<model>[0-9A-Z-]+)$")
    assert isinstance(pattern, re.Pattern)
    regex = Matcher("http.realm", MatchKind.REGEX, pattern.pattern, pattern=pattern)
    hit = regex.find("DS-2CD2032-I")
    assert hit is not None
    assert hit.groups == {"model": "2CD2032-I"}
