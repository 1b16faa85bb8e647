"""Findings of the default-credential checks: a proven login, or a login check that is broken.

The vendor's own words for setting a password come from signatures/exposure/rules.yaml
(``fixes.account``); the rest is generic.
"""

from __future__ import annotations

from scanner.credentials.checker import CheckStatus, CredentialCheck, mask
from scanner.match.exposure import vendor_fix
from scanner.models import Confidence, Finding, Identification, Protocol, Severity

__all__ = ["credential_findings"]

_GENERIC_ACCOUNT_FIX = (
    "Log in to the device's web interface or app, set a strong unique password for every account "
    "(admin/root), and delete or disable accounts you do not use."
)

_CREDENTIAL_SEVERITY = {
    Protocol.TELNET: Severity.CRITICAL,  # a root shell
    Protocol.HTTP: Severity.CRITICAL,  # the admin interface
    Protocol.HTTPS: Severity.CRITICAL,
    Protocol.RTSP: Severity.HIGH,  # the video
    Protocol.ONVIF: Severity.CRITICAL,  # configuration, users and video
}


def credential_findings(
    ident: Identification,
    protocol: Protocol,
    port: int,
    check: CredentialCheck,
    *,
    custom: frozenset[tuple[str, str]] = frozenset(),
) -> list[Finding]:
    """Findings of one credential check. ``custom``: pairs from the user's --creds list, which
    are reported as "a login from your list", not as a factory default."""
    name = "http" if protocol is Protocol.HTTPS else protocol.value
    fix = vendor_fix("account", ident.vendor, _GENERIC_ACCOUNT_FIX)
    if check.status is CheckStatus.FOUND and check.pair is not None:
        user, password = check.pair
        if check.pair in custom:
            kind, title = "listed", f"A login from your list works on {protocol.value.upper()}"
            why = "from the --creds list is accepted"
        else:
            kind, title = "default", f"Factory default login works on {protocol.value.upper()}"
            why = "is a published default: anyone on this network can use it"
        return [
            Finding(
                id=f"{kind}-credentials-{name}",
                title=f"{title} ({user})",
                severity=_CREDENTIAL_SEVERITY[protocol],
                confidence=Confidence.CONFIRMED,
                evidence=(
                    f"port {port}: {check.evidence}. The login {user} / {mask(password)} {why}"
                ),
                remediation=fix,
                port=port,
                secret=password,
            )
        ]
    if check.status is CheckStatus.ACCEPTS_ANY:
        return [
            Finding(
                id=f"accepts-any-credentials-{name}",
                title=f"{protocol.value.upper()} accepts any username and password",
                severity=_CREDENTIAL_SEVERITY[protocol],
                confidence=Confidence.CONFIRMED,
                evidence=f"port {port}: {check.evidence}",
                remediation=(
                    "The login check on this service is broken: any password works. Update the "
                    "firmware; until then block the port from untrusted networks."
                ),
                port=port,
            )
        ]
    return []
