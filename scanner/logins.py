"""The default-credential stage of one host: which services get a login attempt (the probe
registry says how), in which order, under the device's one budget of failed logins."""

from __future__ import annotations

from scanner.checks import credential_findings
from scanner.config import ScanConfig
from scanner.credentials.checker import Attempt, CheckStatus, check_credentials
from scanner.enrich import HostWork
from scanner.match.engine import SignatureSet
from scanner.models import ProbeStatus, Protocol, ServiceResult
from scanner.probe.context import ProbeContext
from scanner.probe.registry import PortJob, ProbeRegistry

__all__ = ["check_host_credentials"]


async def check_host_credentials(
    work: HostWork,
    *,
    ctx: ProbeContext,
    config: ScanConfig,
    signatures: SignatureSet,
    registry: ProbeRegistry,
) -> None:
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
        shipped = [
            (pair.username, pair.password)
            for pair in signatures.credentials_for(work.ident.vendor, name)
        ]
        candidates = list(dict.fromkeys(custom + shipped))
        check = await check_credentials(
            attempt,
            candidates,
            budget=remaining,
            pause=config.timeouts.credential_pause,
        )
        remaining -= check.attempts
        work.findings.extend(
            credential_findings(work.ident, protocol, svc.port, check, custom=frozenset(custom))
        )
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
