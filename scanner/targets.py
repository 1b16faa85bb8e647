"""Targets: parse what the user typed, guard the scope, expand lazily, find the attached subnet.

Everything here is pure (strings and tables in, typed values out) except ``read_interfaces`` and
``read_default_interface``, the two small readers of the host's own tables, which the CLI calls only
when no target is given. Tests inject the tables instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.digits import ascii_decimal
from scanner.models import PORT_PROTOCOLS, Protocol

LARGE_SCAN = 4096  # addresses that cost a TCP sweep each; more needs --allow-large
# The first stage of a large routed range's two-stage sweep: the ports most cameras and
# recorders answer on (their web interface and RTSP); a refusal proves a host as well as an accept.
LIVENESS_PORTS = (80, 554)
# Routed addresses from which the two-stage sweep is used: a /22 and up. Below, a full sweep of
# every camera port costs seconds, and finds devices that ignore 80 and 554 (a Telnet-only DVR).
TWO_STAGE_FROM = 1024
MAX_TARGET_FILE_BYTES = 4 * 1024 * 1024
MAX_PORTS = 4096
# Protocols a TCP port can be told to speak: those with a probe of their own.
_PORT_PROTOCOLS = {p.value: p for p in PORT_PROTOCOLS}

IPv4 = ipaddress.IPv4Address


class TargetError(ValueError):
    """A target, port list or scope problem, worded for the user in one line."""


@dataclass(frozen=True, slots=True)
class TargetRange:
    """An inclusive range of IPv4 addresses and the text it came from."""

    first: IPv4
    last: IPv4
    spec: str

    def __len__(self) -> int:
        return int(self.last) - int(self.first) + 1

    def __iter__(self) -> Iterator[str]:
        for value in range(int(self.first), int(self.last) + 1):
            yield str(IPv4(value))


@dataclass(frozen=True, slots=True)
class TargetSet:
    """The ranges to scan, de-duplicated lazily: memory stays flat however large the scan."""

    ranges: tuple[TargetRange, ...]

    def __len__(self) -> int:
        return sum(len(r) for r in _merge(self.ranges))

    def __iter__(self) -> Iterator[str]:
        for merged in _merge(self.ranges):
            yield from merged

    @property
    def specs(self) -> tuple[str, ...]:
        return tuple(r.spec for r in self.ranges)


def _merge(ranges: Sequence[TargetRange]) -> list[TargetRange]:
    """Sort and merge overlapping or adjacent ranges so no address is scanned twice."""
    merged: list[TargetRange] = []
    for r in sorted(ranges, key=lambda r: (int(r.first), int(r.last))):
        if merged and int(r.first) <= int(merged[-1].last) + 1:
            last = max(merged[-1].last, r.last)
            merged[-1] = TargetRange(merged[-1].first, last, merged[-1].spec)
        else:
            merged.append(r)
    return merged


def parse_target(spec: str) -> TargetRange:
    """One IPv4 address, CIDR (``198.18.0.0/24``) or range (``a.b.c.d-e``, ``a.b.c.d-a.b.c.e``)."""
    text = spec.strip()
    if not text:
        raise TargetError("empty target")
    try:
        if "/" in text:
            net = ipaddress.IPv4Network(text, strict=False)
            if net.prefixlen >= 31:
                return TargetRange(net.network_address, net.broadcast_address, text)
            # The network and broadcast addresses of a subnet are not hosts.
            return TargetRange(net.network_address + 1, net.broadcast_address - 1, text)
        if "-" in text:
            start_text, end_text = (part.strip() for part in text.split("-", 1))
            first = IPv4(start_text)
            if "." in end_text:
                last = IPv4(end_text)
            else:
                end = ascii_decimal(end_text, max_digits=3, high=255)
                if end is None:
                    raise TargetError(f"bad range end {end_text!r} in target {spec!r}")
                last = IPv4(int(first) & 0xFFFFFF00 | end)
            if int(last) < int(first):
                raise TargetError(f"range {spec!r} ends before it starts")
            return TargetRange(first, last, text)
        address = IPv4(text)
    except ipaddress.AddressValueError as exc:
        raise TargetError(f"not an IPv4 address, CIDR or range: {spec!r}") from exc
    except ipaddress.NetmaskValueError as exc:
        raise TargetError(f"bad netmask in target {spec!r}") from exc
    except ValueError as exc:
        if isinstance(exc, TargetError):
            raise
        raise TargetError(f"not an IPv4 address, CIDR or range: {spec!r}") from exc
    return TargetRange(address, address, text)


def read_target_file(path: str) -> list[str]:
    """Targets from a file: one per line (or separated by spaces/commas); ``#`` starts a comment.

    Each entry is ``"<target>\\0<line number>"`` so that an error can name the line."""
    try:
        file = Path(path)
        if file.stat().st_size > MAX_TARGET_FILE_BYTES:
            raise TargetError(f"target file {path} is larger than 4 MiB")
        content = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TargetError(f"target file {path} is not UTF-8 text") from exc
    except OSError as exc:
        raise TargetError(f"cannot read target file {path}: {exc.strerror or exc}") from exc
    specs: list[str] = []
    for number, raw_line in enumerate(content.splitlines(), start=1):
        line = raw_line.split("#", 1)[0]
        specs.extend(f"{part}\0{number}" for part in line.replace(",", " ").split() if part)
    if not specs:
        raise TargetError(f"target file {path} names no targets")
    return specs


def expand_specs(specs: Sequence[str]) -> list[TargetRange]:
    """Parse every spec, reading ``@file`` specs (not recursively)."""
    ranges: list[TargetRange] = []
    for spec in specs:
        if spec.startswith("@"):
            path = spec[1:]
            for entry in read_target_file(path):
                inner, _, number = entry.partition("\0")
                if inner.startswith("@"):
                    raise TargetError(f"{path}:{number}: includes another file: {inner!r}")
                try:
                    ranges.append(parse_target(inner))
                except TargetError as exc:  # say where: the file and the line
                    raise TargetError(f"{path}:{number}: {exc}") from None
        else:
            ranges.append(parse_target(spec))
    return ranges


def _scope_problem(r: TargetRange) -> str | None:
    """Why a range may never be scanned, or None. Checks the range's ends and any block inside."""
    for value in (r.first, r.last):
        if value.is_multicast or value.is_unspecified or int(value) == 0xFFFFFFFF:
            return f"{r.spec} includes {value}, which is not a host address"
        if value.is_reserved:
            return f"{r.spec} includes reserved address {value}"
    return None


def _is_public(r: TargetRange) -> bool:
    # A range is public if any address in it is globally routable. Checking both ends and every
    # private/loopback boundary inside would be exact; ranges crossing such a boundary are rare, so
    # we check the ends and the collapsed networks.
    for net in ipaddress.summarize_address_range(r.first, r.last):
        if net.is_global or not (net.is_private or net.is_loopback or net.is_link_local):
            return True
    return False


def routed_count(
    ranges: Sequence[TargetRange], attached: Sequence[ipaddress.IPv4Network] = ()
) -> int:
    """How many target addresses lie outside ``attached`` networks: on an attached network LAN
    discovery (ARP) decides who exists, so only these cost a TCP sweep each."""
    total = 0
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in attached)
    for r in _merge(ranges):
        first, last = int(r.first), int(r.last)
        inside = 0
        covered_to = first - 1
        for net_low, net_high in spans:
            low, high = max(net_low, covered_to + 1), min(net_high, last)
            if low <= high:
                inside += high - low + 1
                covered_to = high
        total += last - first + 1 - inside
    return total


def guard_scope(
    ranges: Sequence[TargetRange],
    *,
    allow_public: bool,
    allow_large: bool,
    attached: Sequence[ipaddress.IPv4Network] = (),
) -> TargetSet:
    """The scope guard: refuse non-host addresses, public ones without --allow-public, and more
    than LARGE_SCAN addresses that cost a TCP sweep (outside the ``attached`` networks, where
    ARP decides) without --allow-large."""
    if not ranges:
        raise TargetError("no targets given")
    for r in ranges:
        problem = _scope_problem(r)
        if problem:
            raise TargetError(problem)
        if not allow_public and _is_public(r):
            raise TargetError(
                f"{r.spec} is a public address range; camsweep scans only networks you own. "
                "If you are allowed to scan it, add --allow-public"
            )
    targets = TargetSet(tuple(ranges))
    count = routed_count(targets.ranges, attached)
    if count > LARGE_SCAN and not allow_large:
        raise TargetError(
            f"{count} addresses not on an attached network is more than {LARGE_SCAN} (each "
            "costs a TCP sweep); narrow the targets or add --allow-large"
        )
    return targets


def resolve_targets(
    specs: Sequence[str],
    *,
    allow_public: bool = False,
    allow_large: bool = False,
    attached: Sequence[ipaddress.IPv4Network] = (),
) -> TargetSet:
    return guard_scope(
        expand_specs(specs), allow_public=allow_public, allow_large=allow_large, attached=attached
    )


# --- ports ---------------------------------------------------------------------------------------


def parse_ports(spec: str) -> tuple[tuple[int, ...], dict[int, Protocol]]:
    """``23,80,8000-8010,10554:rtsp`` -> ports in order, and the protocols named with ``:``."""
    ports: list[int] = []
    protocols: dict[int, Protocol] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        protocol: Protocol | None = None
        if ":" in item:
            item, proto_text = (part.strip() for part in item.split(":", 1))
            protocol = _PORT_PROTOCOLS.get(proto_text.lower())
            if protocol is None:
                names = ", ".join(_PORT_PROTOCOLS)
                raise TargetError(f"unknown protocol {proto_text!r} in --ports (one of {names})")
        low_text, _, high_text = (part.strip() for part in item.partition("-"))
        low = ascii_decimal(low_text)
        high = ascii_decimal(high_text) if high_text else low
        if low is None or high is None:
            raise TargetError(f"bad port {item!r} in --ports")
        if not (1 <= low <= high <= 65535):
            raise TargetError(f"port {item!r} is outside 1-65535")
        if high - low + 1 + len(ports) > MAX_PORTS:
            raise TargetError(f"more than {MAX_PORTS} ports in --ports")
        for port in range(low, high + 1):
            if port not in ports:
                ports.append(port)
            if protocol is not None:
                protocols[port] = protocol
    if not ports:
        raise TargetError("--ports names no port")
    return tuple(ports), protocols


def format_ports(ports: Sequence[int]) -> str:
    """The ports in ascending order with runs as ranges: ``21-23, 80, 554`` (``1-65535`` for a
    full sweep, not 65,535 numbers)."""
    spans: list[str] = []
    ordered = sorted(set(ports))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        spans.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(spans)


# --- the attached subnet (no target given) -------------------------------------------------


def default_interface(proc_net_route: str) -> str | None:
    """The interface of the IPv4 default route, from the text of /proc/net/route."""
    best: tuple[int, str] | None = None
    for line in proc_net_route.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 8:
            continue
        iface, destination, mask = cols[0], cols[1], cols[7]
        metric = ascii_decimal(cols[6])
        if metric is None:
            continue
        if destination == "00000000" and mask == "00000000" and (best is None or metric < best[0]):
            best = (metric, iface)
    return best[1] if best else None


def attached_network(
    interfaces: Mapping[str, Sequence[str]], iface: str | None
) -> ipaddress.IPv4Network:
    """The directly attached IPv4 subnet of ``iface``.

    ``interfaces`` maps an interface name to its addresses in CIDR form (``192.0.2.7/24``), as
    ``ip -4 addr`` shows them. Raises TargetError with a plain reason when there is none to scan.
    """
    if iface is None:
        raise TargetError("no default route: name the targets to scan (e.g. 192.168.1.0/24)")
    addresses = interfaces.get(iface)
    if not addresses:
        raise TargetError(f"interface {iface} has no IPv4 address: name the targets to scan")
    for cidr in addresses:
        iface_addr = ipaddress.IPv4Interface(cidr)
        if iface_addr.ip.is_loopback or iface_addr.ip.is_link_local:
            continue
        return iface_addr.network
    raise TargetError(f"interface {iface} has no usable IPv4 address: name the targets to scan")


def read_default_interface() -> str | None:
    """Read the kernel's routing table (Linux)."""
    try:
        return default_interface(Path("/proc/net/route").read_text(encoding="ascii"))
    except OSError:
        return None


def read_interfaces() -> dict[str, list[str]]:
    """Interface name -> IPv4 addresses in CIDR form, read with ``if_nameindex`` and ioctl."""
    import fcntl  # noqa: PLC0415  (Linux only, read only on the no-target path)
    import socket  # noqa: PLC0415
    import struct  # noqa: PLC0415

    siocgifaddr, siocgifnetmask = 0x8915, 0x891B
    result: dict[str, list[str]] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            packed = struct.pack("256s", name.encode()[:15])
            try:
                addr = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), siocgifaddr, packed)[20:24])
                mask = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), siocgifnetmask, packed)[20:24])
            except OSError:
                continue
            prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
            result.setdefault(name, []).append(f"{addr}/{prefix}")
    return result
