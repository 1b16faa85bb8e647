"""The one error type the signature loader raises, and the lint record it carries.

Signature files are user input: a broken file must come back as ``file:line: message (value)``
lines a person can act on, never as a traceback (docs/signatures.md, "Validation").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LintError:
    """One problem in one signature file. ``line`` is 1-based; 0 means the file as a whole."""

    file: str
    line: int
    message: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message} ({self.value})"


class SignatureError(Exception):
    """The signature set could not be loaded; ``errors`` says where and why, in file order."""

    def __init__(self, errors: Sequence[LintError]) -> None:
        self.errors: list[LintError] = list(errors)
        shown = "; ".join(str(e) for e in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(f"{len(self.errors)} signature error(s): {shown}{more}")
