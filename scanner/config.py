"""One frozen configuration for a scan: targets, ports, timeouts (seconds), concurrency, profile,
and the options of the enrichers (LAN discovery, nmap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.models import CustomPair, Protocol

if TYPE_CHECKING:
    from scanner.probe.nmap import NmapOptions
    from scanner.router.config import RouterOptions
    from scanner.targets import TargetRange


class Profile(StrEnum):
    """Who is scanning, and so what the scan may do to the devices it finds."""

    GUEST = "guest"  # somebody else's network: look, never log in, no active checks
    OWNER = "owner"  # your own devices: default logins, read-only active checks
    LAB = "lab"  # a test bench: intrusive active checks too

    @property
    def logs_in(self) -> bool:
        """Whether default credentials are tried."""
        return self is not Profile.GUEST

    @property
    def active_checks(self) -> frozenset[str]:
        """The signature check safety classes (``match.schema.Safety`` values) allowed."""
        if self is Profile.GUEST:
            return frozenset()
        if self is Profile.OWNER:
            return frozenset({"safe"})
        return frozenset({"safe", "intrusive"})


@dataclass(frozen=True, slots=True)
class DiscoveryOptions:
    """Which LAN methods run, and for how long (seconds)."""

    arp: bool = True
    mdns: bool = True
    ssdp: bool = True
    wsd: bool = True
    neighbours: bool = True  # read the kernel's table after each host's TCP sweep (sends nothing)
    timeout: float = 3.0  # how long each active method listens for answers
    passive: float | None = None  # listen this long and send nothing at all (no TCP sweep either)
    service_types: tuple[str, ...] = ()  # extra mDNS types to browse (signature hints)


@dataclass(frozen=True, slots=True)
class VendorOptions:
    """The vendor discovery protocols (SADP, DHDiscover, ...; docs/discovery.md)."""

    enabled: bool = True  # --no-vendor-discovery
    skip: tuple[str, ...] = ()  # --no-discovery-protocol ID (repeatable)
    timeout: float = 3.0  # the discovery window, shared with the other methods
    unicast_wait: float = 1.0  # how long a unicast question waits for its answer
    passive: bool = False  # --passive: nothing is sent
    # (address, standard port) -> port: where a lab responder could not bind its standard port.
    ports: Mapping[tuple[str, int], int] = field(default_factory=dict)
    extra_dirs: tuple[Path, ...] = ()  # --signatures folders: their discovery/ files


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-phase deadlines, all in seconds."""

    connect: float = 1.5  # TCP connect during the port sweep
    banner: float = 1.0  # waiting for a server greeting (Telnet, vendor ports)
    read: float = 3.0  # one request/response exchange of a probe
    probe: float = 10.0  # everything a probe does on one port
    host: float = 60.0  # everything done to one host
    scan: float | None = None  # the whole scan (--scan-timeout); None: no deadline
    credential_pause: float = 0.2  # pause between two login attempts on one service


@dataclass(frozen=True, slots=True)
class Limits:
    """Byte caps and concurrency bounds."""

    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 256 * 1024
    max_banner_bytes: int = 4 * 1024
    connections: int = 256  # concurrent sockets in the whole scan
    hosts: int = 256  # hosts probed at once
    per_host: int = 6  # concurrent connections to one host
    # Failed logins per device, shared by all its services: lockouts count per device.
    credential_attempts: int = 3


@dataclass(frozen=True, slots=True)
class ScanConfig:
    targets: tuple[str, ...]  # expanded IPv4 addresses, in scan order
    target_specs: tuple[str, ...]  # what the user typed, for the report
    ports: tuple[int, ...]
    # Which protocol a port speaks when the port number alone does not say (lab high ports,
    # --ports 10554:rtsp). Other ports use the defaults in signatures/ports.yaml, then sniffing.
    port_protocols: dict[int, Protocol] = field(default_factory=dict)
    timeouts: Timeouts = Timeouts()
    limits: Limits = Limits()
    profile: Profile = Profile.OWNER
    check_credentials: bool = True
    show_secrets: bool = False
    debug: bool = False
    # --confirm-streams: SETUP/PLAY each open RTSP route and wait for the first RTP packet.
    confirm_streams: bool = False
    # --creds FILE: tried before the signatures' pairs, within the same budget.
    custom_credentials: tuple[CustomPair, ...] = ()
    # The enrichers' options: None switches one off. LAN discovery works on ``scope`` (the
    # parsed target ranges); nmap on the ports still unidentified after the probes.
    discovery: DiscoveryOptions | None = None
    # Vendor discovery (SADP, DHDiscover ...): unicast to hosts that answered, multicast and
    # broadcast on the targets' LAN (``scope``); None switches it off entirely.
    vendor: VendorOptions | None = None
    scope: tuple[TargetRange, ...] = ()
    nmap: NmapOptions | None = None
    # The router stage (scanner/router/): its forwards, read only; None: --no-router.
    router: RouterOptions | None = None

    def __post_init__(self) -> None:
        # Accept the profile's name (argv, tests); keep the enum.
        object.__setattr__(self, "profile", Profile(self.profile))

    @property
    def passive(self) -> bool:
        """--passive: listen only; nothing is sent to any device."""
        return self.discovery is not None and self.discovery.passive is not None

    @property
    def logs_in(self) -> bool:
        return self.check_credentials and self.profile.logs_in
