"""MAC addresses, OUI owners and the kernel neighbour table."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.discover.neighbours import Neighbour, parse_proc_net_arp, read_neighbours
from scanner.discover.oui import (
    is_locally_administered,
    is_multicast,
    mac_vendor,
    normalize_mac,
    oui,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("44:19:b6:00:00:11", "44:19:B6:00:00:11"),
        ("44-19-B6-00-00-11", "44:19:B6:00:00:11"),
        ("4419b6000011", "44:19:B6:00:00:11"),
        ("4419.b600.0011", "44:19:B6:00:00:11"),
        (" 44:19:b6:00:00:11\n", "44:19:B6:00:00:11"),
        ("00:00:00:00:00:00", None),  # an unresolved neighbour
        ("ff:ff:ff:ff:ff:ff", None),
        ("44:19:b6:00:00", None),
        ("44:19-b6:00:00:11", None),  # mixed separators
        ("gg:19:b6:00:00:11", None),
        ("", None),
    ],
)
def test_normalize_mac(text: str, expected: str | None) -> None:
    assert normalize_mac(text) == expected


def test_oui_and_address_bits() -> None:
    assert oui("44:19:B6:00:00:11") == "44:19:B6"
    assert is_locally_administered("02:00:00:00:00:01")
    assert not is_locally_administered("44:19:B6:00:00:11")
    assert is_multicast("01:00:5E:00:00:FB")


def test_vendor_comes_from_the_ieee_registry() -> None:
    assert mac_vendor("44:19:B6:00:00:11") == "Hangzhou Hikvision Digital Technology Co.,Ltd."
    assert mac_vendor("00:40:8C:00:00:15") == "Axis Communications AB"
    # Randomised and group addresses have no owner, whatever their digits say.
    assert mac_vendor("46:19:B6:00:00:11") is None
    assert mac_vendor("01:00:5E:00:00:FB") is None


ARP_TABLE = """\
IP address       HW type     Flags       HW address            Mask     Device
198.18.0.11      0x1         0x2         44:19:b6:00:00:11     *        eth0
198.18.0.99      0x1         0x0         00:00:00:00:00:00     *        eth0
198.18.0.12      0x1         0x6         3c:ef:8c:00:00:12     *        eth0
not-an-ip        0x1         0x2         3c:ef:8c:00:00:13     *        eth0
198.18.0.14      0x1         zz          3c:ef:8c:00:00:14     *        eth0
198.18.0.15      0x1         0x2
"""


def test_neighbour_table_keeps_complete_entries_only() -> None:
    assert parse_proc_net_arp(ARP_TABLE) == {
        "198.18.0.11": Neighbour("198.18.0.11", "44:19:B6:00:00:11", "eth0"),
        "198.18.0.12": Neighbour("198.18.0.12", "3C:EF:8C:00:00:12", "eth0"),
    }
    assert parse_proc_net_arp("") == {}


def test_unreadable_table_is_empty(tmp_path: Path) -> None:
    assert read_neighbours(tmp_path / "missing") == {}
    table = tmp_path / "arp"
    table.write_text(ARP_TABLE)
    assert set(read_neighbours(table)) == {"198.18.0.11", "198.18.0.12"}
