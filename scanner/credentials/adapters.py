"""Protocol adapters for the credential checker: one ``Attempt`` per protocol.

Each adapter sends the same request each time, with or without a pair, and maps the answer to an
``Outcome``. Lockout signals follow what devices really send: 403 after a run of 401s (Hikvision,
Dahua), 423/429, a device text saying "locked", or the connection going away mid-sequence.
"""

from __future__ import annotations

import httpx

from scanner.context import ProbeContext
from scanner.credentials.checker import Attempt, AttemptResult, Outcome, Pair
from scanner.credentials.telnet_session import TelnetLogin
from scanner.models import ServiceResult
from scanner.probe.auth import AuthError, parse_www_authenticate, strongest
from scanner.probe.http import http_fetch
from scanner.probe.onvif import (
    DEVICE_PATH,
    OnvifError,
    get_device_information,
    soap_call,
    username_token,
)
from scanner.probe.rtsp import RtspParseError, rtsp_describe
from scanner.transport import TransportError

_LOCK_WORDS = ("locked", "lock out", "lockout", "too many", "blocked")


def _status_outcome(status: int, pair: Pair | None, body: str = "") -> AttemptResult:
    if 200 <= status < 300:
        return AttemptResult(Outcome.ACCEPTED, f"{status}")
    if status == 401:
        if any(word in body.lower() for word in _LOCK_WORDS):
            return AttemptResult(Outcome.LOCKED, f"{status} with a lockout message")
        return AttemptResult(Outcome.REFUSED, f"{status}")
    if status in (423, 429) or (status == 403 and pair is not None):
        return AttemptResult(Outcome.LOCKED, f"{status}: the device may be locking the account")
    if status == 404 and pair is not None:
        # The same route was refused with 401 before: a 404 now means the login passed and
        # only then was the path looked up.
        return AttemptResult(Outcome.ACCEPTED, "404 after authentication")
    return AttemptResult(Outcome.UNCLEAR, f"{status}")


def rtsp_attempt(ctx: ProbeContext, host: str, port: int, route: str) -> Attempt:
    async def attempt(pair: Pair | None) -> AttemptResult:
        try:
            response = await rtsp_describe(ctx, host, port, route, credentials=pair)
        except TransportError as exc:
            return AttemptResult(Outcome.UNREACHABLE, str(exc))
        except RtspParseError as exc:
            return AttemptResult(Outcome.UNCLEAR, f"malformed answer: {exc}")
        except AuthError as exc:
            # A pair that cannot be sent (CR/LF, ':' in a Basic user name) is not a refusal.
            return AttemptResult(Outcome.UNCLEAR, f"pair cannot be sent: {exc}")
        return _status_outcome(response.status, pair)

    return attempt


def http_attempt(
    ctx: ProbeContext,
    host: str,
    port: int,
    path: str,
    *,
    tls: bool,
    scheme: str | None = None,
) -> Attempt:
    """Basic or Digest on one path. ``scheme=None``: learn it from the challenge the request
    without credentials gets (the checker always sends that one first)."""
    chosen = scheme

    async def attempt(pair: Pair | None) -> AttemptResult:
        nonlocal chosen
        auth: httpx.Auth | None = None
        if pair is not None:
            auth = httpx.DigestAuth(*pair) if chosen == "digest" else httpx.BasicAuth(*pair)
        try:
            response = await http_fetch(ctx, host, port, path, tls=tls, auth=auth)
        except (httpx.HTTPError, TransportError) as exc:
            return AttemptResult(Outcome.UNREACHABLE, f"{type(exc).__name__}: {exc}"[:200])
        if pair is None and chosen is None and response.status == 401:
            best = strongest(parse_www_authenticate(response.get_all("WWW-Authenticate")))
            if best is None:
                return AttemptResult(Outcome.UNCLEAR, "401 with no challenge we can answer")
            chosen = best.scheme.value
        body = response.body[:2048].decode("utf-8", "replace")
        result = _status_outcome(response.status, pair, body)
        if pair is None:  # name the request once, in the first step of the evidence
            return AttemptResult(result.outcome, f"GET {path} answered {result.detail}")
        return result

    return attempt


def onvif_attempt(ctx: ProbeContext, host: str, port: int, *, tls: bool) -> Attempt:
    """GetDeviceInformation with a WS-Security UsernameToken (PasswordDigest)."""

    async def attempt(pair: Pair | None) -> AttemptResult:
        token = username_token(*pair) if pair is not None else None
        try:
            status, answer = await soap_call(
                ctx,
                host,
                port,
                DEVICE_PATH,
                get_device_information(token),
                tls=tls,
            )
        except TransportError as exc:
            return AttemptResult(Outcome.UNREACHABLE, str(exc))
        except OnvifError as exc:
            return AttemptResult(Outcome.UNCLEAR, f"malformed answer: {exc}")
        if answer.not_authorized or status == 401:
            reason = (answer.fault_reason or "").lower()
            if any(word in reason for word in _LOCK_WORDS):
                return AttemptResult(Outcome.LOCKED, f"fault: {answer.fault_reason}")
            return AttemptResult(Outcome.REFUSED, "NotAuthorized")
        if answer.is_fault:
            return AttemptResult(Outcome.UNCLEAR, f"fault {answer.fault_code}")
        return AttemptResult(Outcome.ACCEPTED, "device information returned")

    return attempt


def telnet_attempt(
    ctx: ProbeContext,
    host: str,
    port: int,
    probe: ServiceResult,
) -> TelnetLogin:
    """Telnet logins that keep the connection while the device re-prompts; the checker closes
    it (``aclose``) when the check ends."""
    return TelnetLogin(ctx, host, port, probe)
