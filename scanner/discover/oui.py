"""MAC addresses: normalise, take the OUI, name the organisation that owns it.

The organisation comes from scapy's copy of the IEEE registry (the Wireshark ``manuf`` list it
ships), so the table is maintained upstream and not by us. What an OUI can say is limited, and
the report says so: it names who made the network chip, which for many Wi-Fi cameras is a chip
vendor (Espressif, Realtek ...) rather than the camera's brand, and phones and some cameras use
randomised, locally administered addresses that have no owner at all (IEEE 802-2014 s8.4: the
U/L bit, 0x02 of the first octet).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = [
    "is_locally_administered",
    "is_multicast",
    "mac_vendor",
    "normalize_mac",
    "oui",
]

_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$")
_DOTTED = re.compile(r"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$")  # Cisco style
_MAX_VENDOR_CHARS = 128


def normalize_mac(text: str | None) -> str | None:
    """``AA:BB:CC:DD:EE:FF`` (upper case) from the usual spellings, or None when it is not one:
    the one MAC normaliser (discovery, nmap reports, baselines and inventories all use it).

    The all-zero and broadcast addresses are not host addresses (the kernel writes zeros for an
    unresolved neighbour) and give None too.
    """
    if not isinstance(text, str):
        return None
    raw = text.strip()
    if _MAC.fullmatch(raw) is None and _DOTTED.fullmatch(raw) is None:
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", raw).upper()
    if digits in ("000000000000", "FFFFFFFFFFFF"):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def oui(mac: str) -> str:
    """The first three octets, ``AA:BB:CC``, of a normalised MAC."""
    return mac[:8]


def is_locally_administered(mac: str) -> bool:
    """The U/L bit is set: a randomised or assigned address, owned by no organisation."""
    return bool(int(mac[:2], 16) & 0x02)


def is_multicast(mac: str) -> bool:
    """The I/G bit is set: a group address, never a host's own."""
    return bool(int(mac[:2], 16) & 0x01)


class _ManufDb(Protocol):
    def lookup(self, mac: str) -> tuple[str, str]: ...


@functools.cache
def _manufdb() -> _ManufDb | None:
    try:
        from scapy.config import conf  # noqa: PLC0415  (imported only when a MAC needs a name)

        db: _ManufDb | None = conf.manufdb
    except Exception:  # scapy missing or broken: vendors stay unknown
        log.debug("scapy's manufacturer database is not available", exc_info=True)
        return None
    return db


def mac_vendor(mac: str) -> str | None:
    """The organisation that owns the MAC's OUI (IEEE registry, via scapy), or None.

    Locally administered and group addresses have no owner; an unknown OUI gives None.
    """
    if is_locally_administered(mac) or is_multicast(mac):
        return None
    db = _manufdb()
    if db is None:
        return None
    try:
        _short, long_name = db.lookup(mac.lower())
    except Exception:
        log.debug("manufacturer lookup failed for %s", mac, exc_info=True)
        return None
    # scapy answers an unknown prefix with the address itself.
    if not long_name or normalize_mac(long_name) is not None:
        return None
    name = " ".join(long_name.split())[:_MAX_VENDOR_CHARS]
    return name or None
