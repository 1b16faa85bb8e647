"""Case-insensitive lookup over an ordered list of header pairs, shared by RTSP and HTTP answers.

RTSP (RFC 2326 s4.2) and HTTP (RFC 9110 s5.1) field names are case-insensitive and a field may
repeat (several WWW-Authenticate challenges), so answers keep every pair in order.
"""

from __future__ import annotations


class HeaderLookup:
    """Mixin for a frozen dataclass with ``headers: tuple[tuple[str, str], ...]``."""

    __slots__ = ()
    headers: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]
