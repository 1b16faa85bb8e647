"""Bounded ASCII numbers: the one way camsweep reads a number a device, a file or a user wrote.

``str.isdigit()`` is true for '²', '٣' and the full-width one (U+FF11); ``int()`` refuses the
first and reads the others as 3 and 1, and it also takes a sign, '_' separators and surrounding
whitespace. None of that is a number in RFC 2326, RFC 7230, nmap's XML or a --ports list,
where a number is ``1*DIGIT`` with DIGIT = %x30-39 (RFC 5234 appendix B.1). Every parser reads
numbers through :func:`ascii_decimal` (or :func:`ascii_hex`), which accept exactly that, up to
a digit count that keeps ``int()`` cheap (Python refuses strings past 4300 digits with a
ValueError of its own), and answer None for anything else, so each caller raises its own error.
"""

from __future__ import annotations

__all__ = ["ascii_decimal", "ascii_hex"]

_DECIMAL = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def _bounded(
    text: str | bytes, alphabet: frozenset[str], *, base: int, max_digits: int, low: int, high: int
) -> int | None:
    if isinstance(text, bytes):
        # Latin-1 maps each byte to one character, so a non-ASCII byte can never pass.
        text = text.decode("latin-1")
    if not 0 < len(text) <= max_digits or not all(c in alphabet for c in text):
        return None
    value = int(text, base)
    return value if low <= value <= high else None


def ascii_decimal(
    text: str | bytes, *, max_digits: int = 9, low: int = 0, high: int | None = None
) -> int | None:
    """The value of ``text`` when it is 1 to ``max_digits`` ASCII digits 0-9 and nothing else
    (no sign, space or separator) and lies in ``[low, high]``; None otherwise."""
    limit = 10**max_digits if high is None else high
    return _bounded(text, _DECIMAL, base=10, max_digits=max_digits, low=low, high=limit)


def ascii_hex(text: str | bytes, *, max_digits: int = 16) -> int | None:
    """The value of ``text`` when it is 1 to ``max_digits`` ASCII hex digits and nothing else
    (no ``0x`` prefix, sign, space or separator); None otherwise."""
    return _bounded(text, _HEX, base=16, max_digits=max_digits, low=0, high=16**max_digits)
