"""Frozen data shared by every stage: discover -> probe -> match -> credentials -> report.

Everything here is plain data (frozen dataclasses and StrEnums) so that renderers and tests can
build reports without touching the network, and JSON falls straight out of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: info=0 .. critical=4."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Confidence(StrEnum):
    CONFIRMED = "confirmed"  # seen on the wire
    FIRM = "firm"  # strong fingerprint
    INFERRED = "inferred"  # from a version string


class Basis(StrEnum):
    """What a finding rests on, for the report's "How sure" (docs/report.md)."""

    OBSERVED = "observed"  # seen on the wire: a login worked, a stream played
    FIRMWARE = "firmware"  # a firmware version the device reported is in an affected range
    MODEL = "model"  # the model name the device reported is listed
    BANNER = "banner"  # a product banner or page matched a fingerprint; no version read
    PORT = "port"  # an open port number alone


class DeviceType(StrEnum):
    CAMERA = "camera"
    RECORDER = "recorder"  # NVR / DVR
    OTHER = "other"
    UNKNOWN = "unknown"


class AuthScheme(StrEnum):
    NONE = "none"
    BASIC = "basic"
    DIGEST = "digest"
    UNKNOWN = "unknown"


class Protocol(StrEnum):
    RTSP = "rtsp"
    HTTP = "http"
    HTTPS = "https"
    TELNET = "telnet"
    TCP = "tcp"  # open port whose protocol we only banner-grabbed
    # Evidence from discovery and device APIs, recorded as services of their own so the
    # signatures match on them like on any probe's fields.
    ONVIF = "onvif"
    MDNS = "mdns"
    SSDP = "ssdp"
    WSDISCOVERY = "ws-discovery"
    # A vendor's own discovery protocol (SADP, DHDiscover ...): ServiceResult.source names which.
    VENDOR_DISCOVERY = "vendor-discovery"


# What a TCP port can speak: the protocols with a probe of their own (ports.yaml, --ports).
PORT_PROTOCOLS = (Protocol.RTSP, Protocol.HTTP, Protocol.HTTPS, Protocol.TELNET, Protocol.TCP)


class ProbeStatus(StrEnum):
    OK = "ok"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    RESET = "reset"
    MALFORMED = "malformed"
    ERROR = "error"  # a bug in a probe: kept with its traceback for --debug


class RiskLevel(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ServiceResult:
    """What one probe learned from one open port: an *attempt*, never an exception.

    ``fields`` is the flat evidence vocabulary the signatures match on (``rtsp.server``,
    ``http.title``, ``telnet.banner`` ...; see docs/signatures.md). Values are the device's own
    text, untrusted, already decoded and truncated by the probe.
    """

    port: int
    protocol: Protocol
    status: ProbeStatus = ProbeStatus.OK
    reason: str = ""
    transport: str = "tcp"
    tls: bool = False
    banner: str | None = None
    product: str | None = None
    auth: AuthScheme | None = None
    fields: dict[str, str] = field(default_factory=dict)
    # RTSP: routes that answered DESCRIBE 200 with an SDP and no credentials.
    open_routes: tuple[str, ...] = ()
    # RTSP: the server also answered 200 to a random route (accepts anything).
    accepts_any_route: bool = False
    # Telnet: a login or shell prompt was offered.
    login_prompt: bool = False
    # HTTP: Location of a redirect, recorded and never followed to another host.
    redirect: str | None = None
    debug: str | None = None  # traceback of a probe bug, shown with --debug only
    # Who gathered this evidence: camsweep's own probe, or nmap (--nmap, --from-nmap).
    source: str = "camsweep"


@dataclass(frozen=True, slots=True)
class Identification:
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None
    device_type: DeviceType = DeviceType.UNKNOWN
    # Human-readable evidence behind each identified value, e.g.
    # "fingerprint hikvision-rtsp-server: rtsp.server on 554 = 'Hikvision ...'"
    identified_by: tuple[str, ...] = ()
    fingerprint_ids: tuple[str, ...] = ()
    # The firmware is the device's own statement of its exact build in a vendor discovery
    # answer (not a banner or page): version-range findings on it are `firm`, not `inferred`.
    firmware_exact: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    title: str
    severity: Severity
    confidence: Confidence
    evidence: str
    remediation: str
    references: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()
    port: int | None = None
    # A secret the finding proves (a working password); masked in reports unless --show-secrets.
    secret: str | None = None
    # What the finding rests on (None: not said; the confidence speaks alone).
    basis: Basis | None = None
    # The signature behind it has not been checked against the vendor's advisory.
    unverified: bool = False
    # Date CISA added the flaw to its Known Exploited Vulnerabilities list (None: not listed).
    known_exploited: str | None = None


@dataclass(frozen=True, slots=True)
class Risk:
    score: float
    level: RiskLevel


class DiscoveryStatus(StrEnum):
    RAN = "ran"
    SKIPPED = "skipped"  # switched off, or not meaningful for these targets
    FAILED = "failed"  # could not run here (no privileges, no interface ...)


@dataclass(frozen=True, slots=True)
class DiscoveryRun:
    """What one discovery method did during the scan, for the report's honesty section."""

    method: str  # tcp, arp, neighbours, mdns, ssdp, ws-discovery, passive, nmap
    status: DiscoveryStatus
    reason: str = ""
    hosts: int = 0  # hosts this method saw


@dataclass(frozen=True, slots=True)
class CustomPair:
    """A username/password pair from the user's --creds list (scanner/credentials/custom.py)."""

    username: str
    password: str
    protocols: frozenset[str]  # empty: every protocol

    def applies_to(self, protocol: str) -> bool:
        return not self.protocols or protocol in self.protocols


@dataclass(frozen=True, slots=True)
class Host:
    ip: str
    mac: str | None = None
    hostnames: tuple[str, ...] = ()
    mac_vendor: str | None = None  # organisation owning the MAC's OUI
    discovered_by: tuple[str, ...] = ()  # discovery methods that saw this host
    identification: Identification = Identification()
    services: tuple[ServiceResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    risk: Risk = Risk(0.0, RiskLevel.NONE)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Summary:
    hosts_scanned: int
    hosts_up: int
    cameras: int
    recorders: int
    findings_by_severity: dict[str, int]
    highest_risk: RiskLevel


@dataclass(frozen=True, slots=True)
class Report:
    schema_version: str
    tool_name: str
    tool_version: str
    started_at: str  # ISO 8601, UTC
    finished_at: str
    targets: tuple[str, ...]
    profile: str
    hosts: tuple[Host, ...]
    summary: Summary
    notes: tuple[str, ...] = ()
    show_secrets: bool = False
    discovery: tuple[DiscoveryRun, ...] = ()
    # Stopped by the user (Ctrl-C) before it finished: the report holds what was found.
    interrupted: bool = False
    exposure: InternetExposure | None = None  # None: the router stage did not run (older reports)


# --- Internet exposure: the router's forwards and cloud paths (scanner/router/, issue #17) -----


class RouterStatus(StrEnum):
    READ = "read"  # the router answered UPnP IGD: its forwards were listed
    NO_UPNP = "no-upnp"  # a gateway was there but answered no UPnP: a blind spot
    FAILED = "failed"  # it answered, but its answers could not be used (faults, garbage)
    SKIPPED = "skipped"  # --no-router, passive mode, or no gateway in scope


@dataclass(frozen=True, slots=True)
class PortForward:
    """One port mapping as the router listed it (GetGenericPortMappingEntry and friends)."""

    external_port: int
    protocol: str  # TCP or UDP, as the router spelled it (upper-cased)
    internal_client: str
    internal_port: int
    enabled: bool = True
    description: str = ""
    remote_host: str = ""  # empty: any address on the internet may connect
    lease_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class RouterReading:
    """What camsweep read (never wrote) from one gateway."""

    address: str
    status: RouterStatus
    reason: str = ""
    description_url: str = ""
    model: str = ""  # manufacturer, model and server header, for the report
    services: tuple[str, ...] = ()  # WANIPConnection / WANPPPConnection service types read
    external_ip: str = ""
    connection_status: str = ""
    forwards: tuple[PortForward, ...] = ()
    forwards_complete: bool = True  # False when a cap, a loop or a fault cut the listing short
    nat_pmp: str = ""  # what UDP 5351 answered (NAT-PMP / PCP), empty when nothing did
    mapping_actions: tuple[str, ...] = ()  # write actions the router offers (read from its SCPD)
    device_protection: bool = False  # IGD:2 DeviceProtection offered: requests may need a login
    notes: tuple[str, ...] = ()


class ExposureKind(StrEnum):
    FORWARD = "port-forward"  # the router forwards an internet port to the device
    CLOUD = "cloud"  # the device keeps a P2P cloud path open: no forward needed


@dataclass(frozen=True, slots=True)
class ExposurePath:
    """One way in from the internet, in words: internet -> router -> device:port -> weakness."""

    kind: ExposureKind
    host: str  # the device's address
    path: str  # the whole path in one line of words
    severity: Severity
    confidence: Confidence
    port: int | None = None  # the device's port the path ends at
    router: str = ""  # the gateway's address (forwards)
    forward: PortForward | None = None
    service: str = ""  # cloud service name (CS2/PPPP, Kalay ...) or what answers on the port
    weaknesses: tuple[str, ...] = ()  # what is weak at the end of the path, in words
    finding_ids: tuple[str, ...] = ()  # the device's findings the path makes reachable
    caveat: str = ""  # why the path may not reach the internet after all


@dataclass(frozen=True, slots=True)
class InternetExposure:
    """The report's first section: what is reachable from outside, and how sure that is."""

    routers: tuple[RouterReading, ...] = ()
    paths: tuple[ExposurePath, ...] = ()
    notes: tuple[str, ...] = ()
    blind: bool = False  # no router's forwards could be read: absence of paths proves nothing
