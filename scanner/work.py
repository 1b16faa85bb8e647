"""What one host has yielded so far (``HostWork``), and the report's ``Host`` made from it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from scanner.discover.lan import LanDiscovery, LanHost
from scanner.match.engine import SignatureSet
from scanner.models import Finding, Host, Identification, ServiceResult
from scanner.registry import HostProbe
from scanner.report.risk import score_host

__all__ = ["HostWork"]


@dataclass
class HostWork:
    """What one host has yielded so far; survives the host's deadline."""

    ip: str
    open_ports: tuple[int, ...] = ()
    services: list[ServiceResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ident: Identification = field(default_factory=Identification)
    refuted: set[str] = field(default_factory=set)  # inferred findings an active check disproved
    started: float = field(default_factory=time.monotonic)  # the host's deadline counts from here
    lan: LanHost | None = None  # what ARP, mDNS, SSDP, WS-Discovery (or listening) saw of it
    host_results: list[tuple[HostProbe, ServiceResult]] = field(default_factory=list)

    @property
    def seen(self) -> bool:
        """Something answered: an open port, a discovery method saw the address, or it left
        evidence (a vendor discovery answer to a multicast)."""
        return bool(self.open_ports) or self.lan is not None or bool(self.services)

    def identify(self, signatures: SignatureSet) -> Identification:
        """Fingerprints over all evidence so far (with what discovery learnt of the host)."""
        if self.lan is not None:
            return LanDiscovery.identify(signatures, self.lan, self.services, self.open_ports)
        return signatures.identify(self.services, self.open_ports)

    def to_host(self, signatures: SignatureSet) -> Host:
        """The report's host: the findings so far plus those the identification implies (unless
        an active check confirmed or refuted them), deduplicated, with the risk."""
        inferred = []
        seen = {f.id for f in self.findings}
        for finding in signatures.vulnerability_findings(self.ident):
            if finding.id in seen:
                continue  # an active check confirmed it: the inferred copy adds nothing
            if finding.id in self.refuted:
                self.notes.append(
                    f"{finding.id}: what the device announces suggested it, but the active "
                    "check found the flaw absent (vendors fix flaws without changing banners)"
                )
            else:
                inferred.append(finding)
        findings = _dedupe(self.findings + inferred)
        return Host(
            ip=self.ip,
            discovered_by=("tcp",),
            identification=self.ident,
            services=tuple(sorted(self.services, key=lambda s: s.port)),
            findings=tuple(findings),
            risk=score_host(findings, self.ident.device_type),
            notes=tuple(self.notes),
        )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int | None]] = set()
    unique: list[Finding] = []
    for finding in findings:
        key = (finding.id, finding.port)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
