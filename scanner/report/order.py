"""The one ordering every renderer uses, so JSON and terminal output list things alike.

Scans finish hosts and probes in whatever order the network answers; sorting here is what makes
two runs against the same devices produce byte-identical reports.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from scanner.models import Finding, Host, ServiceResult

__all__ = ["ip_sort_key", "sorted_findings", "sorted_hosts", "sorted_services"]


def ip_sort_key(ip: str) -> tuple[int, int, str]:
    """Numeric order (IPv4 before IPv6); anything unparseable sorts last, by its text.

    Sorting addresses as strings would put 10.0.0.10 before 10.0.0.9, which is not what a
    person reading a report of their network expects.
    """
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (99, 0, ip)
    return (addr.version, int(addr), "")


def sorted_hosts(hosts: Iterable[Host]) -> list[Host]:
    return sorted(hosts, key=lambda h: ip_sort_key(h.ip))


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Flaws CISA knows are exploited first (what attackers use), then worst severity, then id;
    port and title only break ties between equal ids."""
    return sorted(
        findings,
        key=lambda f: (
            f.known_exploited is None,
            -f.severity.rank,
            f.id,
            -1 if f.port is None else f.port,
            f.title,
        ),
    )


def sorted_services(services: Iterable[ServiceResult]) -> list[ServiceResult]:
    return sorted(services, key=lambda s: (s.port, s.transport, s.protocol.value))
