"""Tolerant parsing of camera firmware version strings into comparable values.

Camera firmware strings are not semantic versions: Hikvision writes ``V5.2.5 build 141201`` (or
``V5.2.5build141201`` in page URLs), Dahua ``2.800.0000000.26.R``, Axis ``10.12.220``, Reolink
``v3.0.0.136_20121102``. Comparing them as strings gets ``5.10`` < ``5.9`` wrong, so every
comparison goes through :class:`Version`: the dotted release numbers (trailing zeros dropped, so
``5.4`` == ``5.4.0``) then the build number when there is one. Letters after the numbers
(``.R``, ``.T``) name a build flavour rather than an order, so they are kept in the text and
ignored by comparisons: two versions that differ only there are *equivalent* (the ordering is a
total preorder on strings, a total order on :class:`Version` keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Ordering", "Version", "VersionError", "VersionRange", "parse_version"]

# Device text is untrusted and may be long: only the start can hold the version we want, and the
# cap keeps the regex work bounded.
_MAX_TEXT = 256
_MAX_COMPONENTS = 12

# Up to 9 digits per number keeps int() cheap and far from Python's int-string limit; an ASCII
# class keeps other scripts' digits (which int() would accept) out.
_DOTTED = re.compile(
    rf"(?<![0-9])([0-9]{{1,9}}(?:\.[0-9]{{1,9}}){{1,{_MAX_COMPONENTS - 1}}})(?![0-9])"
)
_BARE = re.compile(r"(?<![0-9.])([0-9]{1,9})(?![0-9])")
# Build markers seen in the wild, tried in this order after the release numbers:
# Hikvision "build 141201" / "build141201" / "b140721", Reolink "_20121102",
# Dahua "Build Date: 2021-06-10" (turned into 20210610).
_BUILD_WORD = re.compile(r"build\s*[:.]?\s*([0-9]{1,9})(?![0-9])", re.IGNORECASE)
_BUILD_DATE = re.compile(r"build\s*date\s*:?\s*([0-9]{4})-([0-9]{2})-([0-9]{2})", re.IGNORECASE)
_BUILD_B = re.compile(r"(?<![0-9A-Za-z])b([0-9]{6,8})(?![0-9])")
_BUILD_UNDERSCORE = re.compile(r"_([0-9]{6,8})(?![0-9])")
# Dahua's own release names end in a build date: "2.800.0000000.29.R.210630" (YYMMDD) as NVD
# quotes them, "2.800.0000000.8.R.20241111" (YYYYMMDD) in newer notices. Read as YYYYMMDD, like
# the "Build Date: 2021-06-30" the device's web page shows.
_BUILD_RELEASE_TAG = re.compile(r"^[.A-Za-z0-9]*?\.[A-Za-z]\.([0-9]{6}|[0-9]{8})(?![0-9])")


class VersionError(ValueError):
    """The text holds no version number this parser understands."""


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    # 5.4 and 5.4.0 are the same release; dropping trailing zeros makes tuple order agree.
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


@dataclass(frozen=True, slots=True, eq=False)
class Version:
    """A parsed firmware version. Compare with ``<``/``==``; ``text`` keeps what was written."""

    text: str
    release: tuple[int, ...]
    build: int | None = None

    @property
    def key(self) -> tuple[tuple[int, ...], int]:
        # A missing build sorts before any build of the same release: "5.4.0" <= "5.4.0 build 1".
        return (_trim(self.release), -1 if self.build is None else self.build)

    def compare_to_bound(self, bound: Version) -> int:
        """-1, 0 or 1 comparing ``self`` with a range bound at the bound's own precision.

        A bound written without a build (``5.4.0``) covers every build of that release, so
        ``V5.4.0 build 160530`` is *equal* to the bound ``5.4.0``, not above it.
        """
        if bound.build is None:
            mine, theirs = _trim(self.release), _trim(bound.release)
            return (mine > theirs) - (mine < theirs)
        return (self.key > bound.key) - (self.key < bound.key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __le__(self, other: Version) -> bool:
        return self.key <= other.key

    def __gt__(self, other: Version) -> bool:
        return self.key > other.key

    def __ge__(self, other: Version) -> bool:
        return self.key >= other.key

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version:
    """Parse a firmware string; raise :class:`VersionError` (and nothing else) if it has none.

    The release is the first dotted number run (``5.2.5``); failing that, the first bare number.
    A build number is then looked for after it.
    """
    if not isinstance(text, str):
        raise VersionError(f"not a version string: {type(text).__name__}")
    head = text[:_MAX_TEXT]
    found = _DOTTED.search(head) or _BARE.search(head)
    if found is None:
        raise VersionError(f"no version number in {head[:60]!r}")
    release = tuple(int(part) for part in found.group(1).split("."))
    tail = head[found.end() :]
    build: int | None = None
    if date := _BUILD_DATE.search(tail):
        build = int(date.group(1) + date.group(2) + date.group(3))
    else:
        for pattern in (_BUILD_WORD, _BUILD_B, _BUILD_UNDERSCORE):
            if marker := pattern.search(tail):
                build = int(marker.group(1))
                break
        else:
            if tagged := _BUILD_RELEASE_TAG.match(tail):
                digits = tagged.group(1)
                build = int(digits if len(digits) == 8 else "20" + digits)
    return Version(text=head.strip(), release=release, build=build)


@dataclass(frozen=True, slots=True)
class Ordering:
    """A vendor's own release order where the numbers mislead, oldest first.

    Amcrest's IP2M-841 went from V2.520.AC00.18.R (2019, affected by CVE-2019-3948) to
    V2.420.AC00.18.R (the 2020 fix): a lower number, a newer build. A range with an ordering
    compares positions in this list; a version that is not in it is unknown (no match), never
    guessed from its digits.
    """

    releases: tuple[Version, ...]

    def position(self, version: Version) -> int | None:
        for index, release in enumerate(self.releases):
            if version.compare_to_bound(release) == 0:
                return index
        return None


@dataclass(frozen=True, slots=True)
class VersionRange:
    """Affected versions: ``lower`` inclusive (``min``/``introduced``); ``upper`` inclusive
    (``max``) or exclusive (``fixed``). Either side may be open, not both, unless
    ``build_before`` bounds the build number on its own.

    ``build_before`` serves advisories that name a build *date* rather than a release: Hikvision's
    HSRC-202109-01 (CVE-2021-36260) fixed every product line in builds dated 2106xx whatever
    their release number, so only the build can say. A version without a build is then unknown
    and does not match.
    """

    lower: Version | None
    upper: Version | None
    upper_inclusive: bool
    build_before: int | None = None
    ordering: Ordering | None = None

    def contains(self, version: Version) -> bool:
        if self.ordering is not None:
            return self._contains_ordered(self.ordering, version)
        upper = self.upper
        if (
            upper is not None
            and upper.build is not None
            and version.build is None
            and _trim(version.release) == _trim(upper.release)
        ):
            # The fix is a later build of this very release and the device did not say which
            # build it runs: unknown, not vulnerable.
            return False
        if self.build_before is not None and (
            version.build is None or version.build >= self.build_before
        ):
            return False
        if self.lower is not None and version.compare_to_bound(self.lower) < 0:
            return False
        if self.upper is not None:
            cmp = version.compare_to_bound(self.upper)
            if cmp > 0 or (cmp == 0 and not self.upper_inclusive):
                return False
        return True

    def _contains_ordered(self, ordering: Ordering, version: Version) -> bool:
        where = ordering.position(version)
        if where is None:
            return False
        if self.lower is not None and where < (ordering.position(self.lower) or 0):
            return False
        if self.upper is not None:
            top = ordering.position(self.upper)
            if top is None or where > top or (where == top and not self.upper_inclusive):
                return False
        return True

    def describe(self) -> str:
        parts: list[str] = []
        if self.lower is not None:
            parts.append(f"{self.lower.text} <=")
        parts.append("version")
        if self.upper is not None:
            parts.append(f"{'<=' if self.upper_inclusive else '<'} {self.upper.text}")
            if not self.upper_inclusive:
                parts.append("(fixed)")
        if self.build_before is not None:
            parts.append(f"with build < {self.build_before}")
        if self.ordering is not None:
            parts.append("in the vendor's release order")
        return " ".join(parts)
