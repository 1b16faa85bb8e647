"""The kernel's IPv4 neighbour (ARP) table: MACs learnt without raw sockets.

When camsweep cannot send ARP itself (no root, no CAP_NET_RAW), the TCP sweep still makes the
kernel resolve every on-link address it connects to (RFC 826): a live host answers, and its MAC
lands in the table even if every port is closed. Reading the table after the sweep therefore
finds the same hosts an ARP sweep would, for the addresses that were swept.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from scanner.digits import ascii_hex
from scanner.discover.oui import normalize_mac

__all__ = ["Neighbour", "parse_proc_net_arp", "read_neighbours"]

PROC_NET_ARP = Path("/proc/net/arp")
_MAX_TABLE_BYTES = 4 * 1024 * 1024
_ATF_COM = 0x02  # linux/if_arp.h: the entry is complete (resolved)


@dataclass(frozen=True, slots=True)
class Neighbour:
    ip: str
    mac: str
    device: str


def parse_proc_net_arp(text: str) -> dict[str, Neighbour]:
    """IP -> resolved neighbour, from the text of ``/proc/net/arp``.

    Columns: IP address, HW type, Flags, HW address, Mask, Device. Incomplete entries (flags
    without ATF_COM, or an all-zero address: an address that did not answer) are left out, as are
    lines that do not parse.
    """
    table: dict[str, Neighbour] = {}
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 6:
            continue
        ip, flags, hw, device = cols[0], cols[2], cols[3], cols[5]
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            continue
        # The kernel writes flags as "0x%x" (net/ipv4/arp.c, arp_format_neigh_entry).
        flag_bits = ascii_hex(flags.removeprefix("0x"), max_digits=8)
        if flag_bits is None:
            continue
        complete = flag_bits & _ATF_COM
        mac = normalize_mac(hw)
        if not complete or mac is None:
            continue
        table[str(address)] = Neighbour(str(address), mac, device)
    return table


def read_neighbours(path: Path = PROC_NET_ARP) -> dict[str, Neighbour]:
    """The current table of this network namespace; empty when it cannot be read."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_TABLE_BYTES)
    except OSError:
        return {}
    return parse_proc_net_arp(data.decode("ascii", "replace"))
