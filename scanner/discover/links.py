"""Attached networks: which hold targets (where LAN discovery may run), the targets on each,
generated lazily, and what a user is told before sweeping a large one (docs/discovery.md)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from scanner.config import DiscoveryOptions
from scanner.discover.arp import can_send_arp, sweep_seconds
from scanner.targets import LARGE_SCAN, TargetRange

__all__ = ["Link", "LinkTargets", "large_network_lines", "plan_links"]


@dataclass(frozen=True, slots=True)
class Link:
    """An attached network that holds targets: where LAN discovery may run."""

    iface: str
    ip: str  # our own address on it
    network: ipaddress.IPv4Network


def plan_links(
    interfaces: Mapping[str, Sequence[str]], ranges: Sequence[TargetRange]
) -> tuple[list[Link], str]:
    """The attached networks holding targets, or none and the reason LAN discovery is skipped.

    ``interfaces`` maps interface names to CIDR addresses (``scanner.targets.read_interfaces``).
    """
    if ranges and all(r.first.is_loopback and r.last.is_loopback for r in ranges):
        return [], (
            "targets are on loopback: ARP, mDNS, SSDP and WS-Discovery only run on the LAN of "
            "the targets"
        )
    links: list[Link] = []
    attached: list[str] = []
    for name, addresses in sorted(interfaces.items()):
        for cidr in addresses:
            try:
                iface = ipaddress.IPv4Interface(cidr)
            except ValueError:
                continue
            if iface.ip.is_loopback or iface.ip.is_link_local or iface.network.prefixlen >= 31:
                continue
            attached.append(str(iface.network))
            net = iface.network
            if any(
                int(r.first) <= int(net.broadcast_address)
                and int(r.last) >= int(net.network_address)
                for r in ranges
            ):
                links.append(Link(name, str(iface.ip), net))
    if links:
        return links, ""
    where = ", ".join(attached) or "none"
    return [], (
        f"no target is on a network this machine is attached to (attached: {where}); "
        "LAN discovery cannot reach routed networks"
    )


class LinkTargets(Collection[str]):
    """The targets on one link (not its network, broadcast or our own address), generated lazily
    and as often as asked: a /16 is two integers and a few spans, never a list of addresses."""

    def __init__(self, link: Link, ranges: Sequence[TargetRange]) -> None:
        net = link.network
        low, high = int(net.network_address) + 1, int(net.broadcast_address) - 1
        self._own = int(ipaddress.IPv4Address(link.ip))
        spans = sorted(
            (max(low, int(r.first)), min(high, int(r.last)))
            for r in ranges
            if max(low, int(r.first)) <= min(high, int(r.last))
        )
        merged: list[tuple[int, int]] = []
        for first, last in spans:
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        self._spans = tuple(merged)
        own_inside = any(first <= self._own <= last for first, last in merged)
        self._len = sum(last - first + 1 for first, last in merged) - own_inside

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        for first, last in self._spans:
            for value in range(first, last + 1):
                if value != self._own:
                    yield str(ipaddress.IPv4Address(value))

    def __contains__(self, ip: object) -> bool:
        try:
            value = int(ipaddress.IPv4Address(str(ip)))
        except ValueError:
            return False
        return value != self._own and any(f <= value <= last for f, last in self._spans)


def large_network_lines(
    links: Sequence[Link],
    ranges: Sequence[TargetRange],
    options: DiscoveryOptions,
    raw_sockets: Callable[[str], str | None] = can_send_arp,
) -> list[str]:
    """What the user is told before a scan of a large attached network: how many addresses ARP
    asks and how long it takes, or, without raw sockets, that it cannot be swept quickly and
    what stands in (docs/discovery.md, "Large networks")."""
    lines: list[str] = []
    for link in links:
        count = len(LinkTargets(link, ranges))
        if count <= LARGE_SCAN or options.passive is not None:
            continue
        where = f"{link.network} on {link.iface}"
        problem = raw_sockets(link.iface) if options.arp else "ARP is switched off (--no-arp)"
        if problem is None:
            seconds = sweep_seconds(count, options.arp_rate)
            lines.append(
                f"ARP will ask {count} addresses of {where} at {options.arp_rate:g}/s (the "
                f"silent ones twice): about {seconds:.0f}s; hosts are probed as they answer"
            )
        else:
            lines.append(
                f"{where} has {count} addresses and cannot be swept quickly: {problem}. Run as "
                "root or give Python CAP_NET_RAW for an ARP sweep; meanwhile only hosts that "
                "mDNS, SSDP, WS-Discovery or the kernel neighbour table name are scanned"
            )
    return lines
