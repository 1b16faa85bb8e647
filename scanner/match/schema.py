"""Typed, validated signature objects: what the YAML files turn into after loading.

Everything is frozen; regexes are compiled once by the loader. ``source`` fields keep the file and
line each object came from, so example failures and lint messages can point at them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum

from scanner.match.matchers import Matcher
from scanner.match.versions import VersionRange
from scanner.models import Confidence, DeviceType, Protocol, Severity

__all__ = [
    "GENERIC",
    "AffectedRange",
    "Check",
    "CheckedRecord",
    "CloudService",
    "Condition",
    "CounterExample",
    "CredentialEntry",
    "CredentialPair",
    "CredentialProtocol",
    "CvssScore",
    "Extractor",
    "Fingerprint",
    "FingerprintExample",
    "ModelRule",
    "PortInfo",
    "RecordKind",
    "RouteTable",
    "Safety",
    "ScoreSource",
    "Source",
    "VendorInfo",
    "VendorRoutes",
    "VulnExample",
    "Vulnerability",
    "spelling_key",
]


def spelling_key(text: str) -> str:
    """Vendor spellings compare without case or punctuation: "D-Link" == "dlink"."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# The reserved vendor word for signatures that belong to no vendor (a generic camera class, the
# generic credential list). It can never be a vendor id.
GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Condition(StrEnum):
    AND = "and"
    OR = "or"


class Safety(StrEnum):
    """What evaluating an entry sends to the device."""

    PASSIVE = "passive"  # nothing: matched on evidence already collected
    SAFE = "safe"  # one read-only request
    INTRUSIVE = "intrusive"  # writes, executes or logs in: lab profile only


class CredentialProtocol(StrEnum):
    RTSP = "rtsp"
    HTTP = "http"
    TELNET = "telnet"
    ONVIF = "onvif"


@dataclass(frozen=True, slots=True)
class VendorInfo:
    id: str  # the one spelling signatures use, e.g. "hikvision"
    name: str  # the display name reports show, e.g. "Hikvision"
    aliases: tuple[str, ...] = ()
    source: Source = Source("", 0)
    # The maker whose firmware this brand sells under its own badge (LTS and Ezviz: hikvision;
    # Amcrest and Lorex: dahua). The family's vulnerabilities, credentials and routes apply to
    # the brand too, and the brand's own evidence wins over the family's in identification.
    family: str | None = None


@dataclass(frozen=True, slots=True)
class Extractor:
    """A regex applied to one field after its fingerprint matched, to pull out model/firmware."""

    field: str
    value: str
    pattern: re.Pattern[str] = dataclasses.field(compare=False, repr=False)
    line: int = 0


@dataclass(frozen=True, slots=True)
class FingerprintExample:
    """Evidence a fingerprint must match, and what the whole set must then identify."""

    fields: tuple[tuple[str, str], ...]
    ports: tuple[int, ...]
    vendor: str  # vendor id or GENERIC
    device_type: DeviceType
    model: str | None
    firmware: str | None
    line: int


@dataclass(frozen=True, slots=True)
class CounterExample:
    """Evidence the fingerprint must NOT match."""

    fields: tuple[tuple[str, str], ...]
    ports: tuple[int, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Fingerprint:
    id: str
    vendor: str  # vendor id or GENERIC
    device_type: DeviceType
    weight: int  # 1..100: how strongly a match names the vendor
    condition: Condition
    matchers: tuple[Matcher, ...]
    ports: tuple[int, ...]  # all must be open
    extract: tuple[Extractor, ...]
    examples: tuple[FingerprintExample, ...]
    counter_examples: tuple[CounterExample, ...]
    description: str
    source: Source


@dataclass(frozen=True, slots=True)
class ModelRule:
    """A model name, exact (case-insensitive) or a regex (search)."""

    text: str
    pattern: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)

    def matches(self, model: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(model) is not None
        return model.casefold() == self.text.casefold()

    def describe(self) -> str:
        return f"/{self.text}/" if self.pattern is not None else self.text


@dataclass(frozen=True, slots=True)
class AffectedRange:
    range: VersionRange
    models: tuple[ModelRule, ...]  # empty: any model
    line: int


@dataclass(frozen=True, slots=True)
class Check:
    """An active check, reserved: validated now, run by a later version (docs/signatures.md)."""

    protocol: Protocol
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    matchers: tuple[Matcher, ...]
    condition: Condition
    line: int


@dataclass(frozen=True, slots=True)
class VulnExample:
    firmware: str | None
    model: str | None
    fingerprints: tuple[str, ...]
    affected: bool
    line: int


class ScoreSource(StrEnum):
    """Who computed a CVSS score, as NVD records say (``source`` of each metric)."""

    NVD = "nvd"  # nvd@nist.gov, the "Primary" metric
    CNA = "cna"  # the CVE Numbering Authority that published the record (Talos, Tenable ...)
    CISA = "cisa"  # CISA: the ICS advisory team (ics-cert@hq.dhs.gov) or its ADP enrichment


class RecordKind(StrEnum):
    """Kinds of public record an entry is checked against."""

    NVD = "nvd"  # an NVD CVE record (id: the CVE id)
    CISA_KEV = "cisa-kev"  # CISA's Known Exploited Vulnerabilities catalogue (id: the CVE id)
    CISA_ADVISORY = "cisa-advisory"  # an ICS advisory (id: ICSA-17-124-01)
    VENDOR = "vendor"  # a vendor's own notice (id: its number or title)
    RESEARCH = "research"  # a researcher's write-up (id: a short title)


@dataclass(frozen=True, slots=True)
class CvssScore:
    score: float
    source: ScoreSource
    version: str  # "3.1", "3.0", "4.0", "2.0"
    cve: str | None = None  # which of the entry's CVEs (required when it lists several)


@dataclass(frozen=True, slots=True)
class CheckedRecord:
    """The public record an entry's facts were checked against, and when."""

    kind: RecordKind
    id: str
    date: str  # YYYY-MM-DD


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    title: str
    vendor: str  # vendor id or GENERIC
    severity: Severity
    cves: tuple[str, ...]
    cvss: float | None
    references: tuple[str, ...]
    remediation: str
    safety: Safety
    confidence: Confidence
    unverified: bool
    models: tuple[ModelRule, ...]
    affected: tuple[AffectedRange, ...]
    fingerprints: tuple[str, ...]  # any one of these fingerprint ids must have matched
    check: Check | None
    examples: tuple[VulnExample, ...]
    description: str
    source: Source
    scores: tuple[CvssScore, ...] = ()
    checked: tuple[CheckedRecord, ...] = ()
    # Date CISA added the entry's (earliest) CVE to its Known Exploited Vulnerabilities list.
    known_exploited: str | None = None
    note: str = ""  # what could not be checked (required with unverified) or other caveats
    # False: the affected version cannot be seen from the network (it needs a login, or the flaw
    # is in a cloud service), so the entry never matches on its own; it is kept for reference.
    detectable: bool = True


@dataclass(frozen=True, slots=True)
class CredentialPair:
    username: str
    password: str
    reference: str | None = None  # URL of a manual, advisory or source listing the pair
    note: str | None = None  # e.g. "widely reported", "firmware before 5.3.0"
    # The model line or firmware period the pair belongs to, where the maker changed its defaults
    # over time (Hikvision before activation, Dahua before 2017): "firmware before V5.3.0".
    line: str | None = None


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    vendor: str  # vendor id or GENERIC
    protocol: CredentialProtocol
    pairs: tuple[CredentialPair, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class PortInfo:
    port: int
    protocol: Protocol
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class VendorRoutes:
    vendor: str
    main: tuple[str, ...]
    sub: tuple[str, ...]
    source: Source
    # Web paths that answer 401 and take Basic/Digest credentials even when the home page is a
    # script-driven login form (Hikvision's ISAPI userCheck): where HTTP logins are checked.
    http_login: tuple[str, ...] = ()
    # Pages and CGIs of the vendor's web server that answer 401 (Basic/Digest) while the home
    # page is open: where a login surface is looked for before concluding "no login".
    http_protected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteTable:
    generic: tuple[str, ...] = ()
    vendors: tuple[VendorRoutes, ...] = ()


@dataclass(frozen=True, slots=True)
class CloudService:
    """A P2P cloud service that makes a device reachable without a port-forward (``cloud``)."""

    id: str
    name: str
    # Evidence naming the service: a field whose name starts with one of these, or any value
    # ``pattern`` finds (case-insensitive).
    field_prefixes: tuple[str, ...]
    text: str
    pattern: re.Pattern[str]
    # Vendor ids whose devices ship it switched on: listed (inferred) from the make alone.
    default_on: tuple[str, ...]
    meaning: str
    references: tuple[str, ...]
    source: Source = Source("", 0)
