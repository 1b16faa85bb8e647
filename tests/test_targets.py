from __future__ import annotations

import contextlib
import ipaddress
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.models import Protocol
from scanner.targets import (
    LARGE_SCAN,
    TargetError,
    attached_network,
    default_interface,
    expand_specs,
    parse_ports,
    parse_target,
    resolve_targets,
)


def addresses(spec: str) -> list[str]:
    return list(parse_target(spec))


def test_single_address() -> None:
    assert addresses("127.0.0.5") == ["127.0.0.5"]


def test_cidr_excludes_network_and_broadcast() -> None:
    got = addresses("198.18.0.0/30")
    assert got == ["198.18.0.1", "198.18.0.2"]


def test_cidr_31_and_32_keep_every_address() -> None:
    assert addresses("198.18.0.0/31") == ["198.18.0.0", "198.18.0.1"]
    assert addresses("198.18.0.7/32") == ["198.18.0.7"]


def test_cidr_with_host_bits_is_accepted_as_its_network() -> None:
    assert len(parse_target("192.168.1.77/24")) == 254


def test_last_octet_range() -> None:
    assert addresses("127.0.0.1-3") == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]


def test_full_range() -> None:
    assert addresses("127.0.0.254-127.0.1.1") == [
        "127.0.0.254",
        "127.0.0.255",
        "127.0.1.0",
        "127.0.1.1",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty target"),
        ("camera.local", "not an IPv4 address, CIDR or range: 'camera.local'"),
        ("10.0.0.300", "not an IPv4 address"),
        ("10.0.0.0/33", "bad netmask"),
        ("10.0.0.9-3", "ends before it starts"),
        ("10.0.0.1-300", "bad range end '300'"),
        ("10.0.0.1-x", "bad range end 'x'"),
        ("::1", "not an IPv4 address"),
    ],
)
def test_bad_targets_have_one_line_messages(spec: str, message: str) -> None:
    with pytest.raises(TargetError, match=None) as info:
        parse_target(spec)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_target_file(tmp_path: Path) -> None:
    file = tmp_path / "targets.txt"
    file.write_text("# lab\n127.0.0.1\n\n127.0.0.2-3, 127.0.0.9 # trailing comment\n")
    ranges = expand_specs([f"@{file}"])
    assert [a for r in ranges for a in r] == ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.9"]


def test_target_file_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot read target file"):
        expand_specs([f"@{tmp_path / 'missing.txt'}"])
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(TargetError, match="names no targets"):
        expand_specs([f"@{empty}"])
    nested = tmp_path / "nested.txt"
    nested.write_text(f"@{empty}\n")
    with pytest.raises(TargetError, match="includes another file"):
        expand_specs([f"@{nested}"])
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TargetError, match="not UTF-8"):
        expand_specs([f"@{binary}"])


def test_scope_guard_refuses_public_addresses() -> None:
    with pytest.raises(TargetError, match=r"public address range.*--allow-public"):
        resolve_targets(["8.8.8.8"])
    assert list(resolve_targets(["8.8.8.8"], allow_public=True)) == ["8.8.8.8"]


def test_scope_guard_refuses_a_range_that_crosses_into_public_space() -> None:
    with pytest.raises(TargetError, match="public"):
        resolve_targets(["10.255.255.250-11.0.0.2"])


@pytest.mark.parametrize(
    "spec",
    ["127.0.0.1", "10.1.2.3", "172.16.0.0/24", "192.168.1.0/24", "198.18.0.0/24", "169.254.1.1"],
)
def test_scope_guard_allows_private_loopback_and_test_ranges(spec: str) -> None:
    assert len(resolve_targets([spec])) >= 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("224.0.0.251", "not a host address"),
        ("0.0.0.0", "not a host address"),
        ("255.255.255.255", "not a host address"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_scope_guard_refuses_non_host_addresses(spec: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        resolve_targets([spec], allow_public=True)


def test_large_scans_need_a_flag() -> None:
    with pytest.raises(TargetError, match=r"more than 4096.*--allow-large"):
        resolve_targets(["10.0.0.0/19"])
    assert len(resolve_targets(["10.0.0.0/19"], allow_large=True)) == 8190
    # exactly the limit is fine
    assert len(resolve_targets([f"10.0.0.0-10.0.{(LARGE_SCAN - 1) // 256}.255"])) == LARGE_SCAN


def test_overlapping_targets_are_scanned_once() -> None:
    targets = resolve_targets(["127.0.0.1-10", "127.0.0.5-12", "127.0.0.3"])
    got = list(targets)
    assert got == [f"127.0.0.{i}" for i in range(1, 13)]
    assert len(targets) == 12
    assert targets.specs == ("127.0.0.1-10", "127.0.0.5-12", "127.0.0.3")


def test_expansion_is_lazy() -> None:
    # A /8 would be 16M strings if expanded eagerly; iterating the first few must be instant.
    targets = resolve_targets(["10.0.0.0/8"], allow_large=True)
    it = iter(targets)
    assert [next(it) for _ in range(3)] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_cidr_count_matches_ipaddress(value: int, prefix: int) -> None:
    net = ipaddress.IPv4Network((value, prefix), strict=False)
    r = parse_target(str(net))
    expected = net.num_addresses if prefix >= 31 else net.num_addresses - 2
    assert len(r) == expected


@given(st.text(max_size=40))
def test_parse_target_raises_only_target_error(text: str) -> None:
    with contextlib.suppress(TargetError):
        parse_target(text)


def test_ports() -> None:
    ports, protocols = parse_ports("23, 80,8000-8002,10554:rtsp,80")
    assert ports == (23, 80, 8000, 8001, 8002, 10554)
    assert protocols == {10554: Protocol.RTSP}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "names no port"),
        ("0", "outside 1-65535"),
        ("70000", "outside 1-65535"),
        ("80-20", "outside 1-65535"),
        ("http", "bad port 'http'"),
        ("554:rtmp", "unknown protocol 'rtmp'"),
        ("554:mdns", "unknown protocol 'mdns'"),
        ("1-65535", "more than 4096 ports"),
    ],
)
def test_bad_ports(spec: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        parse_ports(spec)


ROUTES = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
"""


def test_default_interface_picks_lowest_metric_default_route() -> None:
    assert default_interface(ROUTES) == "eth0"
    assert default_interface(ROUTES.splitlines()[0]) is None
    assert default_interface("garbage\nnot a table\n") is None


def test_attached_network_from_an_injected_interface_table() -> None:
    table = {"lo": ["127.0.0.1/8"], "eth0": ["169.254.3.3/16", "192.168.0.23/24"]}
    assert str(attached_network(table, "eth0")) == "192.168.0.0/24"


@pytest.mark.parametrize(
    ("table", "iface", "message"),
    [
        ({}, None, "no default route"),
        ({"eth0": []}, "eth0", "has no IPv4 address"),
        ({"lo": ["127.0.0.1/8"]}, "lo", "no usable IPv4 address"),
    ],
)
def test_attached_network_errors(
    table: dict[str, list[str]], iface: str | None, message: str
) -> None:
    with pytest.raises(TargetError, match=message):
        attached_network(table, iface)


def test_ports_are_written_as_ranges() -> None:
    from scanner.targets import format_ports  # noqa: PLC0415

    assert format_ports([554, 80, 21, 22, 23, 80]) == "21-23, 80, 554"
    assert format_ports(range(1, 65536)) == "1-65535"
    assert format_ports([]) == ""


@given(st.sets(st.integers(min_value=1, max_value=65535), min_size=1, max_size=300))
def test_written_ports_read_back_the_same(ports: set[int]) -> None:
    from scanner.targets import format_ports  # noqa: PLC0415

    read, _ = parse_ports(format_ports(sorted(ports)))
    assert sorted(read) == sorted(ports)
