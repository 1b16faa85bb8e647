"""Organisation names as registries and manufacturer fields spell them, read down to a brand.

The IEEE registry (a MAC's organisation), ONVIF's Manufacturer and UPnP's manufacturer carry
places and legal forms ("Hangzhou Hikvision Digital Technology Co.,Ltd.", "Messoa Technologies
Inc.", "INSTAR Deutschland GmbH") that the signatures' aliases leave out. ``maker_spellings``
gives the spellings to look up, most specific first: the whole text, the text without up to
three legal suffixes, then each word of it.
"""

from __future__ import annotations

import re

__all__ = ["maker_spellings"]

_LEGAL_SUFFIX = re.compile(
    r"[\s,.]+(?:co\.?,?\s*ltd|ltd|limited|inc|incorporated|corp|corporation|gmbh|ag|ab|as|"
    r"llc|plc|s\.?a|s\.?r\.?l|b\.?v|k\.?k|co)\.?$",
    re.IGNORECASE,
)
_MAX_SUFFIXES = 3
_MAX_WORDS = 12


def maker_spellings(text: str) -> list[str]:
    """The spellings of an organisation name to look a vendor up by, most specific first."""
    text = text.strip()
    if not text:
        return []
    spellings = [text]
    stripped = text
    for _ in range(_MAX_SUFFIXES):
        shorter = _LEGAL_SUFFIX.sub("", stripped).strip(" ,.")
        if shorter == stripped or not shorter:
            break
        stripped = shorter
        spellings.append(stripped)
    words = [w for w in re.split(r"[\s,/()]+", stripped) if len(w) >= 2]
    spellings.extend(words[:_MAX_WORDS])
    return spellings
