"""Active vulnerability checks: the ``check`` block of a vulnerability signature, run for real.

A check is one request (its ``safety`` says how gentle): the engine runs it only when the
profile allows that safety class (guest: none; owner: ``safe``; lab: ``safe`` and ``intrusive``),
only for the vendor the device was identified as (or for generic entries), and only against the
host being scanned. The answer is matched like any evidence. A match is a ``confirmed`` finding;
a clean answer refutes a version-only (``inferred``) finding of the same entry, which vendors'
silent backports make common. What a check reads may be a secret (a leaked password list): the
evidence names what matched, never the body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from scanner.config import Profile
from scanner.context import ProbeContext
from scanner.match import SignatureSet
from scanner.match.matchers import combine
from scanner.match.schema import Check, Condition, Vulnerability
from scanner.models import Confidence, Finding, Identification, Protocol, ServiceResult
from scanner.probe.http import HttpResponse, decode_html, http_fetch
from scanner.transport import TransportError

_GENERIC = "generic"
_CHECK_BODY_BYTES = 16 * 1024
_MAX_BODY_FIELD = 64 * 1024


@dataclass
class CheckOutcome:
    findings: list[Finding] = field(default_factory=list)
    refuted: set[str] = field(default_factory=set)  # vulnerability ids a clean answer disproved
    notes: list[str] = field(default_factory=list)


def _response_fields(response: HttpResponse) -> dict[str, str]:
    fields = {
        "http.status": str(response.status),
        "http.body": decode_html(response.body[:_MAX_BODY_FIELD], response.get("Content-Type")),
    }
    for name, value in response.headers:
        fields.setdefault(f"http.header.{name.lower()}", value)
    if server := response.get("Server"):
        fields["http.server"] = server
    return fields


def check_matches(check: Check, fields: dict[str, str]) -> list[str] | None:
    """What matched (for the evidence), or None when the check's condition fails."""
    hits = combine(
        check.matchers,
        require_all=check.condition is Condition.AND,
        find=lambda matcher: matcher.find(fields.get(matcher.field, "")),
    )
    if hits is None or not check.matchers:
        return None
    return [f"{m.field} {m.kind.value} {m.value!r}" for m, _ in hits]


def _applies(vuln: Vulnerability, lineage: Sequence[str], ident: Identification) -> bool:
    """The entry is for this device's vendor (or its OEM maker, whose firmware it runs), for its
    model when the entry names models and the model is known, and for one of the fingerprints
    the entry requires."""
    if vuln.vendor != _GENERIC and vuln.vendor not in lineage:
        return False
    if vuln.models and ident.model and not any(r.matches(ident.model) for r in vuln.models):
        return False
    return not vuln.fingerprints or any(f in ident.fingerprint_ids for f in vuln.fingerprints)


def _ports_for(check: Check, services: Sequence[ServiceResult]) -> list[ServiceResult]:
    web = (Protocol.HTTP, Protocol.HTTPS)
    wanted = web if check.protocol in web else (check.protocol,)
    return [s for s in services if s.protocol in wanted and s.status == "ok"]


async def run_active_checks(
    ctx: ProbeContext,
    signatures: SignatureSet,
    ident: Identification,
    services: Sequence[ServiceResult],
    *,
    host: str,
    profile: str,
) -> CheckOutcome:
    """Run every check the profile and the identification allow. Never raises."""
    outcome = CheckOutcome()
    allowed = Profile(profile).active_checks
    info = signatures.vendor(ident.vendor) if ident.vendor else None
    lineage = [v for v in (info.id, info.family) if v] if info is not None else []
    # A check matches on the head of the answer; some answers never end (an audio stream).
    limits = replace(ctx.limits, max_body_bytes=min(ctx.limits.max_body_bytes, _CHECK_BODY_BYTES))
    check_ctx = replace(ctx, limits=limits)
    held_back = 0
    for vuln in signatures.vulnerabilities:
        check = vuln.check
        if check is None or not _applies(vuln, lineage, ident):
            continue
        if vuln.safety not in allowed:
            held_back += 1
            continue
        targets = _ports_for(check, services)
        if check.protocol not in (Protocol.HTTP, Protocol.HTTPS) or not targets:
            continue
        clean = 0
        for svc in targets:
            result = await _run_http(check_ctx, check, vuln, svc, host=host)
            if isinstance(result, Finding):
                outcome.findings.append(result)
                break
            if result is None:
                clean += 1
            else:
                outcome.notes.append(result)
        else:
            if clean == len(targets):
                outcome.refuted.add(vuln.id)
    if held_back:
        outcome.notes.append(
            f"active checks for this device were not run ({held_back}): the {profile} profile "
            "does not allow them (safe checks need owner or lab, intrusive ones --profile lab)"
        )
    return outcome


async def _run_http(
    ctx: ProbeContext,
    check: Check,
    vuln: Vulnerability,
    svc: ServiceResult,
    *,
    host: str,
) -> Finding | str | None:
    """A confirmed Finding, None for a clean answer, or a note when the check could not run."""
    try:
        async with asyncio.timeout(ctx.timeouts.probe):
            response = await http_fetch(
                ctx,
                host,
                svc.port,
                check.path,
                tls=svc.protocol is Protocol.HTTPS,
                method=check.method,
                headers=dict(check.headers) or None,
            )
    except (TransportError, TimeoutError) as exc:
        return f"check {vuln.id} on port {svc.port} could not run: {exc or 'timeout'}"
    matched = check_matches(check, _response_fields(response))
    if matched is None:
        return None
    return Finding(
        id=vuln.id,
        title=vuln.title,
        severity=vuln.severity,
        confidence=Confidence.CONFIRMED,
        evidence=(
            f"{check.method} {check.path} on port {svc.port} answered {response.status} and "
            f"matched {'; '.join(matched)}: the flaw is present (what the answer contained is "
            "not shown: it may hold passwords)"
        ),
        remediation=vuln.remediation,
        references=vuln.references,
        cves=vuln.cves,
        port=svc.port,
    )
