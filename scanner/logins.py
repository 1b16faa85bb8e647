"""The default-credential stage of one host: which services get a login attempt (the probe
registry says how), in which order, under the device's one budget of failed logins.

Before the attempts: web ports whose home page asked for nothing get the login-surface search
(scanner/probe/http_surface.py); the path that answered 401 becomes ``http.login_path``, where
the registry's HTTP login logs in. Candidates come from every vendor the evidence names
(scanner/credentials/order.py); Telnet on cameras and recorders gets the botnet-sized budget."""

from __future__ import annotations

from dataclasses import replace

from scanner.config import ScanConfig
from scanner.context import ProbeContext
from scanner.credentials.checker import Attempt, CheckStatus, check_credentials
from scanner.credentials.findings import credential_findings
from scanner.credentials.order import (
    candidate_pairs,
    credential_note,
    telnet_budget,
    vendor_claims,
)
from scanner.match.engine import SignatureSet
from scanner.models import ProbeStatus, Protocol, ServiceResult
from scanner.probe.http_surface import login_surfaces
from scanner.registry import PortJob, ProbeRegistry
from scanner.work import HostWork

__all__ = ["check_host_credentials"]


def _host_fields(work: HostWork) -> dict[str, str]:
    fields = work.lan.host_fields() if work.lan is not None else {}
    for svc in work.services:
        if "mac.vendor" in svc.fields:
            fields.setdefault("mac.vendor", svc.fields["mac.vendor"])
    return fields


async def check_host_credentials(
    work: HostWork,
    *,
    ctx: ProbeContext,
    config: ScanConfig,
    signatures: SignatureSet,
    registry: ProbeRegistry,
) -> None:
    claims = vendor_claims(signatures, work.ident, _host_fields(work))
    # Web ports whose home page asked for nothing: which page does ask? (http.login_path)
    surfaces, surface_notes = await login_surfaces(
        ctx, work.ip, work.services, signatures.http_protected_paths([c.vendor for c in claims])
    )
    work.notes.extend(surface_notes)
    work.services = [
        replace(svc, fields={**svc.fields, "http.login_path": surfaces[svc.port]})
        if svc.port in surfaces and svc.protocol in (Protocol.HTTP, Protocol.HTTPS)
        else svc
        for svc in work.services
    ]
    jobs: list[tuple[ServiceResult, Protocol, Attempt]] = []
    for svc in work.services:
        entry = registry.entry(svc.protocol)
        if svc.status is not ProbeStatus.OK or entry is None or entry.login is None:
            continue
        job = PortJob(ctx, signatures, config, work.ip, svc.port, svc.protocol)
        attempt = entry.login(job, svc, work.ident)
        if attempt is not None:
            jobs.append((svc, svc.protocol, attempt))

    # Lockouts count failures per device, across services (Hikvision locks every login after
    # about five): one budget of failed logins is shared by all services of the host.
    remaining = config.limits.credential_attempts

    async def run(svc: ServiceResult, protocol: Protocol, attempt: Attempt) -> None:
        nonlocal remaining
        name = "http" if protocol is Protocol.HTTPS else protocol.value
        custom = [
            (pair.username, pair.password)
            for pair in config.custom_credentials
            if pair.applies_to(name)
        ]
        listed = candidate_pairs(signatures, claims, name, custom)
        telnet = protocol is Protocol.TELNET
        budget, why = remaining, f"{remaining} (the per-device budget of failed logins)"
        if telnet:
            budget, why = telnet_budget(remaining, work.ident, listed)
        # Telnet spaces its own passwords (the pause counts from the last password sent, so a
        # login program's fail delay already covers it).
        pause = 0.0 if telnet else config.timeouts.credential_pause
        check = await check_credentials(attempt, listed.pairs, budget=budget, pause=pause)
        # Telnet's own botnet-sized budget does not spend the other services' share.
        remaining -= min(check.attempts, remaining) if telnet else check.attempts
        work.findings.extend(
            credential_findings(work.ident, protocol, svc.port, check, custom=frozenset(custom))
        )
        work.notes.append(credential_note(protocol, svc.port, check, listed, budget_why=why))
        if check.status in (CheckStatus.LOCKED_OUT, CheckStatus.INCONCLUSIVE):
            work.notes.append(
                f"{protocol.value}/{svc.port}: credential check stopped ({check.status}): "
                f"{check.evidence}"
            )

    # One service at a time per host: several logins at once could trip a shared lockout.
    for index, (svc, protocol, attempt) in enumerate(jobs):
        if remaining <= 0:
            skipped = ", ".join(f"{p.value}/{s.port}" for s, p, _ in jobs[index:])
            work.notes.append(
                f"default passwords not tried on {skipped}: the budget of "
                f"{config.limits.credential_attempts} failed logins per device was used up "
                "(raise it with --max-login-failures if the device does not lock accounts)"
            )
            break
        await run(svc, protocol, attempt)
