"""The tolerant firmware version parser: known formats, ranges, and properties on junk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.match.versions import Version, VersionError, VersionRange, parse_version


@pytest.mark.parametrize(
    ("text", "release", "build"),
    [
        ("V5.2.5 build 141201", (5, 2, 5), 141201),
        ("V5.2.5build141201", (5, 2, 5), 141201),
        ("5.2.0 b140721", (5, 2, 0), 140721),
        ("5.4.0", (5, 4, 0), None),
        ("2.800.0000000.26.R", (2, 800, 0, 26), None),
        ("V2.800.0000000.26.R, Build Date: 2021-06-10", (2, 800, 0, 26), 20210610),
        ("10.12.220", (10, 12, 220), None),
        ("v3.0.0.136_20121102", (3, 0, 0, 136), 20121102),
        ("FW 002.2201A", (2, 2201), None),
        ("firmware 7", (7,), None),
        ("MikroTik v6.49.7 (stable)", (6, 49, 7), None),
    ],
)
def test_known_formats(text: str, release: tuple[int, ...], build: int | None) -> None:
    version = parse_version(text)
    assert version.release == release
    assert version.build == build
    assert str(version) == text.strip()


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("5.9", "5.10"),
        ("5.4.0", "5.4.41"),
        ("V5.4.0", "V5.4.0 build 160530"),
        ("V5.4.0 build 160530", "V5.4.1 build 100101"),
        ("V5.2.5 build 141201", "V5.2.5 build 141202"),
        ("1.05.05", "1.06.01"),
        ("v3.0.0.136_20121102", "v3.0.0.148_21012101"),
        ("9.80", "10.12.220"),
    ],
)
def test_ordering_is_numeric_not_textual(low: str, high: str) -> None:
    assert parse_version(low) < parse_version(high)
    assert parse_version(high) > parse_version(low)
    assert not parse_version(high) <= parse_version(low)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("5.4", "5.4.0"),
        ("5.4.0.0", "V5.4"),
        ("2.800.0000000.26.R", "2.800.0.26.T"),
        ("V5.2.5build141201", "V5.2.5 build 141201"),
    ],
)
def test_equivalent_versions(a: str, b: str) -> None:
    assert parse_version(a) == parse_version(b)
    assert hash(parse_version(a)) == hash(parse_version(b))


@pytest.mark.parametrize("junk", ["", "   ", "abc", "build", "V.", "12345678901234", "١٢٣.٤"])
def test_junk_raises_only_version_error(junk: str) -> None:
    with pytest.raises(VersionError):
        parse_version(junk)


def test_non_string_raises_version_error() -> None:
    with pytest.raises(VersionError):
        parse_version(b"5.4.0")  # type: ignore[arg-type]


def test_only_the_start_of_long_text_is_read() -> None:
    with pytest.raises(VersionError):
        parse_version("x" * 300 + "5.4.0")
    assert parse_version("5.4.0 " + "9" * 100_000).release == (5, 4, 0)


def _range(low: str | None, high: str | None, *, inclusive: bool) -> VersionRange:
    return VersionRange(
        parse_version(low) if low else None,
        parse_version(high) if high else None,
        upper_inclusive=inclusive,
    )


@pytest.mark.parametrize(
    ("version", "inside"),
    [
        ("V5.2.5 build 141201", True),
        ("V5.2.0 build 140721", True),
        ("5.2.0", True),
        ("V5.4.0 build 160530", True),  # a bound without a build covers all builds
        ("V5.4.0 build 999999", True),
        ("V5.4.1 build 160101", False),
        ("V5.1.9 build 141201", False),
        ("10.12.220", False),
    ],
)
def test_inclusive_range_without_builds(version: str, inside: bool) -> None:
    assert _range("5.2.0", "5.4.0", inclusive=True).contains(parse_version(version)) is inside


def test_fixed_is_exclusive_and_builds_count_when_the_bound_has_one() -> None:
    span = _range("V5.3.1 build 150410", "V5.4.4 build 161125", inclusive=False)
    assert span.contains(parse_version("V5.3.1 build 150410"))
    assert not span.contains(parse_version("V5.3.1 build 150409"))
    assert span.contains(parse_version("V5.4.4 build 161124"))
    assert not span.contains(parse_version("V5.4.4 build 161125"))
    # No build at a bound's own release: which side of the bound it lies is unknown, so no claim.
    assert not span.contains(parse_version("5.4.4"))
    assert not span.contains(parse_version("5.3.1"))
    assert span.contains(parse_version("5.4.0"))


def test_open_ranges_and_descriptions() -> None:
    assert _range(None, "1.06.01", inclusive=False).contains(parse_version("0.1"))
    assert _range("2.0", None, inclusive=True).contains(parse_version("99.0"))
    assert _range("5.2.0", "5.4.0", inclusive=True).describe() == "5.2.0 <= version <= 5.4.0"
    assert _range(None, "1.06.01", inclusive=False).describe() == "version < 1.06.01 (fixed)"


# --- properties ------------------------------------------------------------------------------

version_like = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda prefix, parts, build, suffix: (
            prefix + ".".join(str(p) for p in parts) + build + suffix
        ),
        st.sampled_from(["", "V", "v", "firmware "]),
        st.lists(st.integers(0, 10**6), min_size=1, max_size=5),
        st.sampled_from(["", " build 141201", "build160530", "_20121102", " b140721"]),
        st.sampled_from(["", ".R", ".T", " (stable)", "A"]),
    ),
)


def _parse(text: str) -> Version | None:
    try:
        return parse_version(text)
    except VersionError:
        return None


@given(st.text(max_size=300))
def test_never_raises_anything_but_version_error(text: str) -> None:
    _parse(text)


@given(st.binary(max_size=200))
def test_decoded_device_bytes_never_raise(data: bytes) -> None:
    _parse(data.decode("utf-8", errors="replace"))


@given(version_like, version_like)
def test_ordering_is_total(a: str, b: str) -> None:
    va, vb = _parse(a), _parse(b)
    if va is None or vb is None:
        return
    assert va <= vb or vb <= va
    assert (va == vb) == (va <= vb and vb <= va)
    assert (va < vb) == (not vb <= va)
    if va == vb:
        assert hash(va) == hash(vb)


@given(version_like, version_like, version_like)
def test_ordering_is_transitive(a: str, b: str, c: str) -> None:
    versions = [v for v in (_parse(a), _parse(b), _parse(c)) if v is not None]
    if len(versions) < 3:
        return
    x, y, z = sorted(versions)
    assert x <= y <= z
    assert x <= z


@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=6),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=6),
)
def test_release_order_matches_numeric_tuples(a: list[int], b: list[int]) -> None:
    def trimmed(parts: list[int]) -> tuple[int, ...]:
        while len(parts) > 1 and parts[-1] == 0:
            parts = parts[:-1]
        return tuple(parts)

    va = parse_version(".".join(map(str, a)))
    vb = parse_version(".".join(map(str, b)))
    assert (va < vb) == (trimmed(a) < trimmed(b))
    assert (va == vb) == (trimmed(a) == trimmed(b))
