"""``--creds FILE``: the user's own credential list, tried before the signatures' pairs.

One pair a line, ``username:password`` (the password may be empty, and may itself contain
``:``); an optional protocol list in front limits a line, ``rtsp,onvif username:password``.
``#`` starts a comment line; blank lines are skipped. Errors name the file and line.
"""

from __future__ import annotations

from pathlib import Path

# The pair is shared data (config.py carries the list), so it lives in models; it is re-exported
# here for the code that reads --creds files.
from scanner.models import CustomPair

__all__ = ["CredentialFileError", "CustomPair", "parse_creds", "read_creds"]

MAX_FILE_BYTES = 1024 * 1024
MAX_PAIRS = 10_000
PROTOCOLS = frozenset({"rtsp", "http", "telnet", "onvif"})


class CredentialFileError(ValueError):
    """A problem with a --creds file, worded as ``file:line: what``."""


def parse_creds(text: str, source: str = "<creds>") -> tuple[CustomPair, ...]:
    pairs: list[CustomPair] = []
    seen: set[tuple[str, str, frozenset[str]]] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        protocols: frozenset[str] = frozenset()
        head, sep, rest = line.partition(" ")
        if sep and ":" not in head:
            names = frozenset(p.strip().lower() for p in head.split(",") if p.strip())
            unknown = sorted(names - PROTOCOLS)
            if unknown:
                raise CredentialFileError(
                    f"{source}:{number}: unknown protocol {unknown[0]!r} "
                    f"(one of {', '.join(sorted(PROTOCOLS))})"
                )
            protocols, line = names, rest.strip()
        username, sep, password = line.partition(":")
        if not sep:
            raise CredentialFileError(f"{source}:{number}: expected username:password")
        if not username:
            raise CredentialFileError(f"{source}:{number}: empty username")
        if any(ch in "\r\n\x00" for ch in username + password):
            raise CredentialFileError(f"{source}:{number}: control character in the pair")
        key = (username, password, protocols)
        if key not in seen:
            seen.add(key)
            pairs.append(CustomPair(username, password, protocols))
        if len(pairs) > MAX_PAIRS:
            raise CredentialFileError(f"{source}: more than {MAX_PAIRS} pairs")
    if not pairs:
        raise CredentialFileError(f"{source}: no username:password pairs")
    return tuple(pairs)


def read_creds(path: Path) -> tuple[CustomPair, ...]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CredentialFileError(f"{path}: larger than 1 MiB")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CredentialFileError(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise CredentialFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_creds(text, str(path))
