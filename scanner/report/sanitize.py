"""Make untrusted device text safe to show on a terminal.

Banners, titles, realms and model names come straight from devices on the network. A hostile
device can put terminal escape sequences in them (``ESC [2J`` clears the screen, ``ESC ] 52``
writes the clipboard on many terminals, ``ESC ] 8`` plants hyperlinks) or Unicode bidirectional
overrides that reorder what the reader sees (the "Trojan Source" trick, CVE-2021-42574). Every
such code point is replaced by a *visible* placeholder, so the owner sees that the device sent
something odd instead of having it acted on or silently dropped.
"""

from __future__ import annotations

__all__ = ["ELLIPSIS", "clean_text", "placeholder"]

ELLIPSIS = "\u2026"

# Bidirectional formatting characters (Unicode UAX #9, section 2): embeddings, overrides and
# isolates, plus the implicit marks. Any of them can make text render in a different order than
# it is stored, which is enough to disguise a hostname or a banner.
_BIDI = frozenset(
    {
        0x061C,  # ARABIC LETTER MARK
        0x200E,  # LEFT-TO-RIGHT MARK
        0x200F,  # RIGHT-TO-LEFT MARK
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
    }
)

# U+2028/U+2029 start a new line in some terminals and viewers although they are not C0/C1.
_LINE_BREAKS = frozenset({0x2028, 0x2029})

_DEL = 0x7F


def placeholder(char: str) -> str | None:
    """The visible stand-in for one unsafe character, or None when the character is safe.

    C0 controls (ECMA-48 section 5.2, incl. ESC) and DEL become their Unicode Control Pictures
    (U+2400 block, e.g. ESC -> "\u241b"), which read naturally and take one column. C1 controls
    (ECMA-48 section 5.3: 0x80-0x9F, incl. the 8-bit CSI 0x9B and OSC 0x9D that some terminals
    honour like ESC [ and ESC ]), bidi formatting characters, line/paragraph separators and lone
    surrogates have no pictures, so they are spelled as "<U+XXXX>".
    """
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == _DEL:
        return "\u2421"
    if (
        0x80 <= code <= 0x9F
        or code in _BIDI
        or code in _LINE_BREAKS
        or 0xD800 <= code <= 0xDFFF  # lone surrogate: cannot even be encoded as UTF-8
    ):
        return f"<U+{code:04X}>"
    return None


def clean_text(s: str, max_len: int) -> str:
    """Return ``s`` with every unsafe character replaced and at most ``max_len`` characters long.

    Unsafe characters are those of :func:`placeholder`. When the cleaned text would be longer
    than ``max_len``, it is cut at a whole placeholder (never half of one) and ends in "\u2026".
    ``max_len`` below 1 yields "". Never raises for any ``str``; a non-positive ``max_len`` is
    not an error, just an empty budget.
    """
    if max_len < 1:
        return ""
    # Every input character yields at least one output character, so looking at more than
    # max_len + 1 input characters can never change the result: this bounds the work on huge
    # hostile strings to the size of the output.
    head = s[: max_len + 1]
    pieces: list[str] = []
    length = 0
    for char in head:
        piece = placeholder(char) or char
        if length + len(piece) > max_len:
            return _truncate(pieces, length, max_len)
        pieces.append(piece)
        length += len(piece)
    if len(s) > len(head):
        # Input was longer than we looked at, so the output is cut here as well.
        return _truncate(pieces, length, max_len)
    return "".join(pieces)


def _truncate(pieces: list[str], length: int, max_len: int) -> str:
    """Drop whole pieces until an ellipsis fits within ``max_len``."""
    while pieces and length + len(ELLIPSIS) > max_len:
        length -= len(pieces.pop())
    return "".join(pieces) + ELLIPSIS
