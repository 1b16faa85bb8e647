"""What vendor discovery answers mean for a host: evidence, identification and findings (pure).

An answer becomes a pseudo-service (protocol ``vendor-discovery``, transport udp, the protocol's
port, ``source`` = the protocol id) whose ``discovery.*`` fields the signatures match like any
probe's. What fingerprints leave open (make, model, firmware, kind of device) is filled from
it, each with a line in ``identified_by``; a firmware stated this way is the device's exact
build, so version-range findings on it are ``firm``. Finding texts come from
``signatures/discovery/findings.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner.discover.vendor.catalog import DiscoveryProtocol, FindingRule, VendorCatalog
from scanner.match.engine import SignatureSet
from scanner.models import (
    Confidence,
    DeviceType,
    Finding,
    Identification,
    ProbeStatus,
    Protocol,
    ServiceResult,
    Severity,
)

__all__ = ["discovery_findings", "identify_from_answers", "vendor_service"]

_MAX_TEXT = 100


def vendor_service(protocol: DiscoveryProtocol, evidence: dict[str, str]) -> ServiceResult:
    """The pseudo-service one answer becomes."""
    parts = [evidence.get(k) for k in ("discovery.model", "discovery.firmware")]
    summary = " ".join(p for p in parts if p) or None
    return ServiceResult(
        port=protocol.port,
        protocol=Protocol.VENDOR_DISCOVERY,
        status=ProbeStatus.OK,
        reason=f"{protocol.name} answer",
        transport="udp",
        product=protocol.name,
        banner=summary,
        fields=dict(evidence),
        source=protocol.id,
    )


def _answers(
    services: Sequence[ServiceResult], catalog: VendorCatalog
) -> list[tuple[DiscoveryProtocol, dict[str, str]]]:
    out = []
    for service in services:
        if service.protocol is not Protocol.VENDOR_DISCOVERY:
            continue
        protocol = catalog.protocol(service.source)
        if protocol is not None:
            out.append((protocol, dict(service.fields)))
    return out


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    folded = " ".join("".join(c if c.isprintable() else " " for c in text).split())[:_MAX_TEXT]
    return folded or None


def _make(
    protocol: DiscoveryProtocol, fields: dict[str, str], signatures: SignatureSet
) -> str | None:
    for spelling in (protocol.vendor, fields.get("discovery.manufacturer")):
        info = signatures.vendor(spelling) if spelling else None
        if info is not None:
            return info.name
    return None


def identify_from_answers(
    ident: Identification,
    services: Sequence[ServiceResult],
    signatures: SignatureSet,
    catalog: VendorCatalog,
) -> Identification:
    """Fill what fingerprints (and other discovery) left open from vendor discovery answers."""
    answers = _answers(services, catalog)
    if not answers:
        return ident
    vendor, model, firmware = ident.vendor, ident.model, ident.firmware
    device_type = ident.device_type
    lines = list(ident.identified_by)
    stated: set[str] = set()
    for protocol, fields in answers:
        claim_vendor = _make(protocol, fields, signatures)
        claim_model = _clean(fields.get("discovery.model"))
        claim_firmware = _clean(fields.get("discovery.firmware"))
        claim_type = protocol.device_class(fields)
        if claim_firmware:
            stated.add(claim_firmware)
        agrees = claim_vendor is None or vendor is None or claim_vendor == vendor
        used = []
        if vendor is None and claim_vendor is not None:
            vendor = claim_vendor
            used.append("make")
        if agrees and model is None and claim_model:
            model = claim_model
            used.append("model")
        if agrees and firmware is None and claim_firmware:
            firmware = claim_firmware
            used.append("firmware")
        if claim_type is not None and device_type is DeviceType.UNKNOWN:
            device_type = claim_type
            used.append("device type")
        said = "; ".join(
            f"{k.removeprefix('discovery.')} {fields[k]!r}"
            for k in ("discovery.model", "discovery.firmware", "discovery.device_class")
            if fields.get(k)
        )
        line = f"{protocol.name} answer (UDP {protocol.port}): {said or 'no model or firmware'}"
        if used:
            lines.append(f"{line} (decided the {', '.join(used)})")
        elif not agrees:
            lines.append(f"{line} (outweighed: identified as {vendor})")
    return replace(
        ident,
        vendor=vendor,
        model=model,
        firmware=firmware,
        device_type=device_type,
        identified_by=tuple(lines),
        firmware_exact=ident.firmware_exact or (firmware is not None and firmware in stated),
    )


def _applies(rule: FindingRule, protocol: DiscoveryProtocol, fields: dict[str, str]) -> str | None:
    """The value the rule fired on ('' when it needs none), or None when it does not apply."""
    if rule.changes_settings:
        return "" if protocol.changes_settings else None
    if rule.field is None:
        return None
    value = fields.get(rule.field)
    if value is None:
        return None
    if rule.equals is not None:
        return value if value == rule.equals else None
    return value if rule.present else None


def discovery_findings(
    ident: Identification, services: Sequence[ServiceResult], catalog: VendorCatalog
) -> list[Finding]:
    """The findings the answers themselves raise (never activated, P2P ID, settings change)."""
    findings: list[Finding] = []
    seen: set[str] = set()
    label = " ".join(p for p in (ident.vendor, ident.model) if p) or "this device"
    for protocol, fields in _answers(services, catalog):
        for rule in catalog.findings:
            value = _applies(rule, protocol, fields)
            if value is None or rule.id in seen:
                continue
            seen.add(rule.id)
            words = {
                "protocol": protocol.name,
                "port": str(protocol.port),
                "value": repr(value),
                "activation": protocol.activation,
                "changes": protocol.changes_settings,
                "device": label,
            }
            findings.append(
                Finding(
                    id=rule.id,
                    title=rule.title,
                    severity=Severity(rule.severity),
                    confidence=Confidence.CONFIRMED,
                    evidence=_fill(rule.evidence, words),
                    remediation=_fill(rule.remediation, words),
                    references=rule.references,
                )
            )
    return findings


def _fill(template: str, words: dict[str, str]) -> str:
    text = template
    for key, value in words.items():
        text = text.replace("{" + key + "}", value)
    return " ".join(text.split())
