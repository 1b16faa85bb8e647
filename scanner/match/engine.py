"""The compiled signature set and what the pipeline asks of it.

``identify`` turns probe evidence into an :class:`~scanner.models.Identification`;
``vulnerability_findings`` turns that into version/fingerprint findings; ``credentials_for``,
``routes_for``, ``default_ports`` and ``port_protocols`` hand the data files to the other stages.
Nothing here touches the network or raises on device input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from scanner.match.matchers import MAX_VALUE_CHARS, Matcher, combine
from scanner.match.schema import (
    GENERIC,
    CloudService,
    Condition,
    CounterExample,
    CredentialEntry,
    CredentialPair,
    Fingerprint,
    FingerprintExample,
    PortInfo,
    RouteTable,
    VendorInfo,
    Vulnerability,
    VulnExample,
    spelling_key,
)
from scanner.match.versions import Version, VersionError, parse_version
from scanner.models import (
    Basis,
    Confidence,
    DeviceType,
    Finding,
    Identification,
    Protocol,
    ServiceResult,
)

__all__ = [
    "Evidence",
    "ExampleCase",
    "FingerprintHit",
    "SignatureSet",
    "check_example",
    "evaluate",
    "example_cases",
    "run_examples",
]

_MAX_EXTRACTED = 100  # a model or firmware string longer than this is not one
_MAX_SHOWN = 80  # evidence quotes in identified_by lines
_MAX_VALUES_PER_FIELD = 32  # a host with more ports than this says nothing new per field


def _clean(text: str) -> str | None:
    """Device text made safe to carry as a model/firmware value: printable, one line, short."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text[: _MAX_EXTRACTED * 4])
    folded = " ".join(printable.split())[:_MAX_EXTRACTED].strip()
    return folded or None


def _quote(text: str) -> str:
    shown = text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
    return repr(shown)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Field values across one host's services, with the port each came from."""

    values: Mapping[str, tuple[tuple[int | None, str], ...]]
    open_ports: frozenset[int]

    @classmethod
    def from_services(
        cls,
        services: Sequence[ServiceResult],
        open_ports: Collection[int],
        host_fields: Mapping[str, str] | None = None,
    ) -> Evidence:
        values: dict[str, list[tuple[int | None, str]]] = {}
        # Host-level evidence (the MAC's vendor) belongs to no port.
        for name, value in (host_fields or {}).items():
            values[name] = [(None, value[:MAX_VALUE_CHARS])]
        ports = {p for p in open_ports if isinstance(p, int)}
        for service in services:
            # Fields count whatever the probe status: a Telnet banner read before a timeout is
            # still what the device said.
            ports.add(service.port)
            for name, value in service.fields.items():
                if not isinstance(name, str) or not isinstance(value, str):
                    continue
                bucket = values.setdefault(name, [])
                if len(bucket) < _MAX_VALUES_PER_FIELD:
                    bucket.append((service.port, value[:MAX_VALUE_CHARS]))
        return cls({k: tuple(v) for k, v in values.items()}, frozenset(ports))

    @classmethod
    def from_example(cls, fields: Sequence[tuple[str, str]], ports: Sequence[int]) -> Evidence:
        return cls({name: ((None, value),) for name, value in fields}, frozenset(ports))


@dataclass(frozen=True, slots=True)
class FingerprintHit:
    fingerprint: Fingerprint
    evidence: tuple[str, ...]  # "rtsp.server on port 554 = 'Dahua Rtsp Server'"
    model: str | None
    firmware: str | None


def _where(name: str, port: int | None) -> str:
    return f"{name} on port {port}" if port is not None else name


def _extracted(groups: Mapping[str, str]) -> tuple[str | None, str | None]:
    model = _clean(groups["model"]) if "model" in groups else None
    firmware = _clean(groups["firmware"]) if "firmware" in groups else None
    if firmware is not None and "build" in groups:
        # Hikvision page URLs run the two together ("V5.2.5build141201"); the device's own
        # About page writes "V5.2.5 build 141201", which is what people search for.
        firmware = _clean(f"{firmware} build {groups['build']}")
    return model, firmware


def evaluate(fp: Fingerprint, ev: Evidence) -> FingerprintHit | None:
    """Whether ``fp`` matches the host, with the evidence lines and extracted values."""
    if any(port not in ev.open_ports for port in fp.ports):
        return None
    lines: list[str] = []
    model: str | None = None
    firmware: str | None = None
    hits = combine(
        fp.matchers,
        require_all=fp.condition is Condition.AND,
        find=lambda matcher: _first_hit(matcher, ev),
    )
    if hits is None:
        return None
    for matcher, (port, value, text, groups) in hits:
        shown = f"= {_quote(value)}" if text == value else f"contains {_quote(text)}"
        lines.append(f"{_where(matcher.field, port)} {shown}")
        got_model, got_firmware = _extracted(groups)
        model = model or got_model
        firmware = firmware or got_firmware
    lines.extend(f"port {port} open" for port in fp.ports)
    for extractor in fp.extract:
        if model is not None and firmware is not None:
            break
        for port, value in ev.values.get(extractor.field, ()):
            found = extractor.pattern.search(value[:MAX_VALUE_CHARS])
            if found is None:
                continue
            got_model, got_firmware = _extracted({k: v for k, v in found.groupdict().items() if v})
            if got_model and model is None:
                model = got_model
                lines.append(f"model {model!r} from {_where(extractor.field, port)}")
            if got_firmware and firmware is None:
                firmware = got_firmware
                lines.append(f"firmware {firmware!r} from {_where(extractor.field, port)}")
            break
    return FingerprintHit(fp, tuple(lines), model, firmware)


def _first_hit(
    matcher: Matcher, ev: Evidence
) -> tuple[int | None, str, str, dict[str, str]] | None:
    for port, value in ev.values.get(matcher.field, ()):
        found = matcher.find(value)
        if found is not None:
            return port, value, found.text, found.groups
    return None


@dataclass(frozen=True, slots=True)
class _Outcome:
    ident: Identification
    vendor_id: str | None
    hits: tuple[FingerprintHit, ...]


class Refiner(TypingProtocol):
    """Completes an identification from the same evidence (scanner.match.generic.refine)."""

    def __call__(
        self,
        sigs: SignatureSet,
        ev: Evidence,
        ident: Identification,
        vendor_id: str | None,
        *,
        use_nmap: bool = True,
    ) -> Identification: ...


@dataclass(frozen=True, slots=True)
class SignatureSet:
    """Every signature, compiled. Built by ``scanner.match.loader.load_signatures``."""

    vendors: tuple[VendorInfo, ...]
    fingerprints: tuple[Fingerprint, ...]
    vulnerabilities: tuple[Vulnerability, ...]
    credentials: tuple[CredentialEntry, ...]
    ports: tuple[PortInfo, ...]
    routes: RouteTable
    cloud: tuple[CloudService, ...] = ()
    # What completes the fingerprints' answer for devices they leave undecided (the generic
    # classifier, scanner/match/generic.py). The loader hands it in, so this module needs no
    # import of the classifier, which reads this module's Evidence and SignatureSet.
    refine: Refiner | None = dataclasses.field(default=None, repr=False, compare=False)
    _spellings: dict[str, VendorInfo] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spellings: dict[str, VendorInfo] = {}
        for vendor in self.vendors:
            for spelling in (vendor.id, vendor.name, *vendor.aliases):
                spellings.setdefault(spelling_key(spelling), vendor)
        object.__setattr__(self, "_spellings", spellings)

    # vendors ------------------------------------------------------------------------------------

    def vendor(self, spelling: str | None) -> VendorInfo | None:
        """The vendor an id, display name or alias names (case and punctuation ignored)."""
        if not spelling or spelling == GENERIC:
            return None
        return self._spellings.get(spelling_key(spelling))

    # identification -----------------------------------------------------------------------------

    def identify(
        self,
        services: Sequence[ServiceResult],
        open_ports: Collection[int],
        host_fields: Mapping[str, str] | None = None,
        *,
        nmap_db: bool = True,
    ) -> Identification:
        """Combine fingerprint matches across the host's services into one identification.

        The vendor is the one whose strongest matching fingerprint weighs most (then the sum of
        its weights, then file order); model, firmware and device type come from that vendor's
        fingerprints, strongest first, then from generic ones. Devices the fingerprints leave
        undecided then go to the generic classifier (with nmap's database unless ``nmap_db`` is
        False).
        """
        ev = Evidence.from_services(services, open_ports, host_fields)
        outcome = self._identify(ev)
        if self.refine is None:
            return outcome.ident
        # Then what no fingerprint describes: the generic classifier, vendor from text and
        # nmap's database as a second opinion.
        return self.refine(self, ev, outcome.ident, outcome.vendor_id, use_nmap=nmap_db)

    def _identify(self, ev: Evidence) -> _Outcome:
        hits = [hit for fp in self.fingerprints if (hit := evaluate(fp, ev)) is not None]
        by_vendor: dict[str, list[FingerprintHit]] = {}
        for hit in hits:
            if hit.fingerprint.vendor != GENERIC:
                by_vendor.setdefault(hit.fingerprint.vendor, []).append(hit)
        order = {vid: i for i, vid in enumerate(by_vendor)}

        def rank(v: str) -> tuple[int, int, int]:
            return (
                max(h.fingerprint.weight for h in by_vendor[v]),
                sum(h.fingerprint.weight for h in by_vendor[v]),
                -order[v],
            )

        winner = max(by_vendor, key=rank, default=None)
        # A brand that sells the winner's firmware under its own badge (an OEM member of the
        # winner's family) is the more precise answer when its own evidence is there too: an
        # LTS camera shows Hikvision's web server *and* the LTS model, and its owner looks for
        # LTS firmware.
        members = [v for v in by_vendor if self._family(v) == winner]
        if winner is not None and members:
            winner = max(members, key=rank)
        family = self._family(winner) if winner else None
        supporting = family if family in by_vendor else None

        def strongest(group: list[FingerprintHit]) -> list[FingerprintHit]:
            return sorted(group, key=lambda h: -h.fingerprint.weight)  # stable: file order

        generic = strongest([h for h in hits if h.fingerprint.vendor == GENERIC])
        used = (
            (strongest(by_vendor[winner]) if winner else [])
            + (strongest(by_vendor[supporting]) if supporting else [])
            + generic
        )
        vendor = self.vendor(winner) if winner else None
        lines = [f"fingerprint {h.fingerprint.id}: {'; '.join(h.evidence)}" for h in used]
        if vendor is not None and supporting is not None:
            lines.append(f"{vendor.name} sells {self._display(supporting)} firmware (OEM family)")
        for vid, group in by_vendor.items():
            if vid in (winner, supporting):
                continue
            name = self._display(vid)
            lines.extend(
                f"fingerprint {h.fingerprint.id} (vendor {name}, outweighed): "
                f"{'; '.join(h.evidence)}"
                for h in group
            )
        ident = Identification(
            vendor=vendor.name if vendor else winner,
            model=next((h.model for h in used if h.model), None),
            firmware=next((h.firmware for h in used if h.firmware), None),
            # The strongest fingerprint that says what kind of device it is decides; vendor-only
            # hints (a Wi-Fi chip maker's MAC) leave that to the others.
            device_type=next(
                (
                    h.fingerprint.device_type
                    for h in used
                    if h.fingerprint.device_type is not DeviceType.UNKNOWN
                ),
                DeviceType.UNKNOWN,
            ),
            identified_by=tuple(lines),
            fingerprint_ids=tuple(h.fingerprint.id for h in used),
        )
        return _Outcome(ident, winner, tuple(hits))

    def _display(self, vendor_id: str) -> str:
        vendor = self.vendor(vendor_id)
        return vendor.name if vendor else vendor_id

    def _family(self, vendor_id: str | None) -> str | None:
        vendor = self.vendor(vendor_id)
        return vendor.family if vendor else None

    def _lineage(self, vendor: str | None) -> list[str]:
        """The vendor's id then its OEM family's: whose data applies to it, most specific first."""
        info = self.vendor(vendor)
        if info is None:
            return []
        return [info.id] + ([info.family] if info.family else [])

    # vulnerabilities ----------------------------------------------------------------------------

    def vulnerability_findings(self, ident: Identification) -> list[Finding]:
        """Findings for every vulnerability entry the identification falls under.

        Version matches say which version string and which range, and are ``inferred``: vendors
        backport fixes without changing version strings (field notes, ssh-audit's experience).
        """
        vendor = self.vendor(ident.vendor)
        version: Version | None = None
        if ident.firmware:
            try:
                version = parse_version(ident.firmware)
            except VersionError:
                version = None
        findings: list[Finding] = []
        for vuln in self.vulnerabilities:
            if not vuln.detectable:
                continue  # kept for reference: nothing the network shows can tell
            reasons = self._vuln_reasons(vuln, ident, vendor, version)
            if reasons is None:
                continue
            # A range match on the exact build the device itself states in its vendor
            # discovery answer is firm: the version is a fact, not read off a banner.
            firm = bool(vuln.affected) and ident.firmware_exact
            confidence = (
                Confidence.FIRM
                if firm and vuln.confidence is Confidence.INFERRED
                else vuln.confidence
            )
            findings.append(
                Finding(
                    id=vuln.id,
                    title=vuln.title,
                    severity=vuln.severity,
                    confidence=confidence,
                    evidence=self._vuln_evidence(vuln, reasons, firm=firm),
                    remediation=vuln.remediation,
                    references=vuln.references,
                    cves=vuln.cves,
                    basis=_vuln_basis(vuln),
                    unverified=vuln.unverified,
                    known_exploited=vuln.known_exploited,
                )
            )
        return findings

    @staticmethod
    def _vuln_reasons(
        vuln: Vulnerability,
        ident: Identification,
        vendor: VendorInfo | None,
        version: Version | None,
    ) -> list[str] | None:
        # An OEM brand carries its family's flaws: an LTS camera runs Hikvision firmware.
        if vuln.vendor != GENERIC and (
            vendor is None or vuln.vendor not in (vendor.id, vendor.family)
        ):
            return None
        reasons: list[str] = []
        if vuln.fingerprints:
            matched = [f for f in vuln.fingerprints if f in ident.fingerprint_ids]
            if not matched:
                return None
            reasons.append(f"fingerprint {matched[0]} matched")
        if vuln.models:
            if not ident.model or not any(rule.matches(ident.model) for rule in vuln.models):
                return None
            reasons.append(f"model {ident.model!r} is listed")
        if vuln.affected:
            if version is None:
                return None
            for span in vuln.affected:
                if span.models and not (
                    ident.model and any(rule.matches(ident.model) for rule in span.models)
                ):
                    continue
                if span.range.contains(version):
                    models = ""
                    if span.models:
                        listed = ", ".join(rule.describe() for rule in span.models)
                        models = f" for models {listed}"
                    reasons.append(
                        f"firmware {ident.firmware!r} is in the affected range "
                        f"{span.range.describe()}{models}"
                    )
                    break
            else:
                return None
        return reasons

    @staticmethod
    def _vuln_evidence(vuln: Vulnerability, reasons: list[str], *, firm: bool = False) -> str:
        text = "; ".join(reasons) + "."
        if firm:
            text += " The firmware is the device's own statement in its discovery answer."
        elif vuln.confidence is Confidence.INFERRED:
            text += (
                " Inferred from what the device announces, not tested: a vendor may ship a fix"
                " without changing that."
            )
        if vuln.known_exploited:
            text += (
                f" CISA lists it as exploited in the wild (Known Exploited Vulnerabilities, added"
                f" {vuln.known_exploited})."
            )
        if vuln.unverified:
            text += (
                " Unverified signature: its affected range or CVE mapping has not been checked"
                f" against the record ({vuln.note})."
            )
        return text

    # data for the other stages ------------------------------------------------------------------

    def credentials_for(self, vendor: str | None, protocol: str) -> list[CredentialPair]:
        """The vendor's default pairs for ``protocol`` first, then its OEM family's, then the
        generic ones; de-duplicated, in file order. ``https`` shares the ``http`` lists."""
        proto = protocol.strip().lower()
        proto = "http" if proto == "https" else proto
        order = [*self._lineage(vendor), GENERIC]
        out: dict[tuple[str, str], CredentialPair] = {}
        for vid in order:
            for entry in self.credentials:
                if entry.vendor != vid or entry.protocol.value != proto:
                    continue
                for pair in entry.pairs:
                    out.setdefault((pair.username, pair.password), pair)
        return list(out.values())

    def routes_for(self, vendor: str | None) -> list[str]:
        """The vendor's main then sub stream routes (then its OEM family's), then the generic
        list; de-duplicated."""
        routes: list[str] = []
        for vid in self._lineage(vendor):
            for table in self.routes.vendors:
                if table.vendor == vid:
                    routes.extend((*table.main, *table.sub))
        routes.extend(self.routes.generic)
        return list(dict.fromkeys(routes))

    def http_protected_paths(self, vendors: Sequence[str]) -> list[str]:
        """Protected pages of every named vendor's web server (and their OEM families')."""
        paths: list[str] = []
        for vendor in vendors:
            for vid in self._lineage(vendor):
                for table in self.routes.vendors:
                    if table.vendor == vid:
                        paths.extend((*table.http_login, *table.http_protected))
        return list(dict.fromkeys(paths))

    def http_login_paths(self, vendor: str | None) -> list[str]:
        """Where the vendor's web server takes Basic/Digest logins (its OEM family's too)."""
        paths: list[str] = []
        for vid in self._lineage(vendor):
            for table in self.routes.vendors:
                if table.vendor == vid:
                    paths.extend(table.http_login)
        return list(dict.fromkeys(paths))

    def default_ports(self) -> tuple[int, ...]:
        return tuple(sorted(p.port for p in self.ports))

    def port_protocols(self) -> dict[int, Protocol]:
        return {p.port: p.protocol for p in self.ports}

    def stats(self) -> dict[str, int]:
        routes = set(self.routes.generic)
        for table in self.routes.vendors:
            routes.update(table.main, table.sub)
        devices = (DeviceType.CAMERA, DeviceType.RECORDER)
        camera_fps = [f for f in self.fingerprints if f.device_type in devices]
        return {
            "vendors": len(self.vendors),
            "camera_brands": len({f.vendor for f in camera_fps if f.vendor != GENERIC}),
            "oem_brands": sum(1 for v in self.vendors if v.family),
            "fingerprints": len(self.fingerprints),
            "camera_fingerprints": len(camera_fps),
            "fingerprint_examples": sum(
                len(f.examples) + len(f.counter_examples) for f in self.fingerprints
            ),
            "vulnerabilities": len(self.vulnerabilities),
            "unverified_vulnerabilities": sum(1 for v in self.vulnerabilities if v.unverified),
            "cves": len({c for v in self.vulnerabilities for c in v.cves}),
            "known_exploited_cves": len(
                {c for v in self.vulnerabilities if v.known_exploited for c in v.cves}
            ),
            "vulnerability_brands": len(
                {v.vendor for v in self.vulnerabilities if v.vendor != GENERIC and v.cves}
            ),
            "credential_brands": len({e.vendor for e in self.credentials if e.vendor != GENERIC}),
            "credential_sets": len(self.credentials),
            "credential_pairs": len(
                {(e.vendor, p.username, p.password) for e in self.credentials for p in e.pairs}
            ),
            "ports": len(self.ports),
            "route_brands": len({t.vendor for t in self.routes.vendors}),
            "routes": len(routes),
        }


# --- self-tests: the examples inside the signatures ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ExampleCase:
    """One embedded example, addressable by ``id`` (used as the pytest parameter id)."""

    id: str
    where: str  # file:line of the example
    owner: Fingerprint | Vulnerability
    example: FingerprintExample | CounterExample | VulnExample


def example_cases(sigset: SignatureSet) -> list[ExampleCase]:
    cases: list[ExampleCase] = []
    for fp in sigset.fingerprints:
        for i, ex in enumerate(fp.examples, 1):
            cases.append(ExampleCase(f"{fp.id}/example-{i}", f"{fp.source.file}:{ex.line}", fp, ex))
        for i, counter in enumerate(fp.counter_examples, 1):
            cases.append(
                ExampleCase(f"{fp.id}/counter-{i}", f"{fp.source.file}:{counter.line}", fp, counter)
            )
    for vuln in sigset.vulnerabilities:
        for i, vex in enumerate(vuln.examples, 1):
            cases.append(
                ExampleCase(f"{vuln.id}/example-{i}", f"{vuln.source.file}:{vex.line}", vuln, vex)
            )
    return cases


def check_example(sigset: SignatureSet, case: ExampleCase) -> str | None:
    """None if the example holds, else a ``file:line: ...`` message saying what differed."""
    owner, example = case.owner, case.example
    if isinstance(owner, Vulnerability):
        assert isinstance(example, VulnExample)
        return _check_vuln_example(sigset, case, owner, example)
    assert isinstance(owner, Fingerprint)
    if isinstance(example, CounterExample):
        ev = Evidence.from_example(example.fields, example.ports)
        hit = evaluate(owner, ev)
        if hit is not None:
            return f"{case.where}: {case.id}: matched, but must not: {'; '.join(hit.evidence)}"
        return None
    assert isinstance(example, FingerprintExample)
    ev = Evidence.from_example(example.fields, example.ports)
    if evaluate(owner, ev) is None:
        return f"{case.where}: {case.id}: fingerprint {owner.id} does not match its example"
    outcome = sigset._identify(ev)
    got = outcome.ident
    expected_vendor = None if example.vendor == GENERIC else example.vendor
    problems = [
        f"{name} expected {want!r}, got {have!r}"
        for name, want, have in (
            ("vendor", expected_vendor, outcome.vendor_id),
            ("device_type", example.device_type.value, got.device_type.value),
            ("model", example.model, got.model),
            ("firmware", example.firmware, got.firmware),
        )
        if want != have
    ]
    if problems:
        return f"{case.where}: {case.id}: {'; '.join(problems)}"
    return None


def _check_vuln_example(
    sigset: SignatureSet, case: ExampleCase, vuln: Vulnerability, example: VulnExample
) -> str | None:
    vendor = sigset.vendor(vuln.vendor)
    ident = Identification(
        vendor=vendor.name if vendor else None,
        model=example.model,
        firmware=example.firmware,
        fingerprint_ids=example.fingerprints,
    )
    found = any(f.id == vuln.id for f in sigset.vulnerability_findings(ident))
    if found != example.affected:
        said = "affected" if example.affected else "not affected"
        return (
            f"{case.where}: {case.id}: expected {said} (firmware {example.firmware!r}, "
            f"model {example.model!r}), but the entry {'did not match' if not found else 'matched'}"
        )
    return None


def run_examples(sigset: SignatureSet) -> list[str]:
    """Failures of every embedded example and counter-example (``camsweep signatures test``)."""
    return [msg for case in example_cases(sigset) if (msg := check_example(sigset, case))]


def _vuln_basis(vuln: Vulnerability) -> Basis:
    """What a signature-matched flaw rests on: the firmware range, the model, or the banner."""
    if vuln.affected:
        return Basis.FIRMWARE
    if vuln.models:
        return Basis.MODEL
    return Basis.BANNER
