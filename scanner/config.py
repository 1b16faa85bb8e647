"""One frozen configuration for a scan: targets, ports, timeouts (seconds), concurrency, profile."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.models import CustomPair, Protocol


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-phase deadlines, all in seconds."""

    connect: float = 1.5  # TCP connect during the port sweep
    banner: float = 1.0  # waiting for a server greeting (Telnet, vendor ports)
    read: float = 3.0  # one request/response exchange of a probe
    probe: float = 10.0  # everything a probe does on one port
    host: float = 60.0  # everything done to one host
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
    profile: str = "owner"
    check_credentials: bool = True
    show_secrets: bool = False
    debug: bool = False
    # --confirm-streams: SETUP/PLAY each open RTSP route and wait for the first RTP packet.
    confirm_streams: bool = False
    # --creds FILE: tried before the signatures' pairs, within the same budget.
    custom_credentials: tuple[CustomPair, ...] = ()
