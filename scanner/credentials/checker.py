"""The lockout-safe, proven default-credential check, independent of any protocol.

A protocol adapter supplies one ``attempt`` callable: it sends the same request with no
credentials (``None``) or with a pair, and says what the device answered. This module decides what
to send, in what order, how often, and what the answers prove:

- the request must be refused without credentials first (else nothing is protected);
- at most ``budget`` candidate pairs are tried, with a pause between attempts, stopping at the
  first success and at the first sign of a lockout or of the device going away;
- a success counts only if a random wrong pair is then refused: a device that accepts anything is
  reported as such, never as having a default password.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    LOCKED = "locked"  # the device said the account or address is locked / blocked
    UNREACHABLE = "unreachable"  # refused the connection, reset, timed out
    UNCLEAR = "unclear"  # an answer that is neither a yes nor a no


@dataclass(frozen=True, slots=True)
class AttemptResult:
    outcome: Outcome
    detail: str  # what the device answered, in a few words ("401 Digest", "Login incorrect")


Pair = tuple[str, str]
Attempt = Callable[[Pair | None], Awaitable[AttemptResult]]


class CheckStatus(StrEnum):
    FOUND = "found"  # a candidate pair works, and a random pair does not
    ACCEPTS_ANY = "accepts-any"  # the candidate and a random pair both work
    NOT_REQUIRED = "not-required"  # the request succeeds with no credentials at all
    NOT_FOUND = "not-found"  # every candidate within the budget was refused
    LOCKED_OUT = "locked-out"  # the device signalled a lockout: we stopped
    INCONCLUSIVE = "inconclusive"  # the device went away or answered oddly: we stopped


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    status: CheckStatus
    pair: Pair | None
    attempts: int  # requests sent with credentials (candidates and the random control)
    evidence: str  # the chain of answers behind the status, with no secret in it


def random_pair() -> Pair:
    """A username and password no device ships with (128 random bits each)."""
    return (f"camsweep-{secrets.token_hex(8)}", secrets.token_urlsafe(16))


def mask(password: str) -> str:
    # Fixed width: a mask that keeps the length would still tell the reader something.
    return "********" if password else "(blank)"


def _say(result: AttemptResult) -> str:
    return f"{result.outcome.value} ({result.detail})"


async def check_credentials(
    attempt: Attempt,
    candidates: Sequence[Pair],
    *,
    budget: int,
    pause: float,
    control: Callable[[], Pair] = random_pair,
) -> CredentialCheck:
    """Run the check; an attempt that keeps a connection between pairs (Telnet) has an
    ``aclose`` coroutine, awaited here when the check ends, however it ends."""
    try:
        return await _check(attempt, candidates, budget=budget, pause=pause, control=control)
    finally:
        closer = getattr(attempt, "aclose", None)
        if closer is not None:
            await closer()


async def _check(
    attempt: Attempt,
    candidates: Sequence[Pair],
    *,
    budget: int,
    pause: float,
    control: Callable[[], Pair],
) -> CredentialCheck:
    baseline = await attempt(None)
    steps = [f"without credentials: {_say(baseline)}"]
    if baseline.outcome is Outcome.ACCEPTED:
        return CredentialCheck(CheckStatus.NOT_REQUIRED, None, 0, "; ".join(steps))
    if baseline.outcome is not Outcome.REFUSED:
        return CredentialCheck(CheckStatus.INCONCLUSIVE, None, 0, "; ".join(steps))

    sent = 0
    for pair in candidates[: max(0, budget)]:
        if sent:
            await asyncio.sleep(pause)
        result = await attempt(pair)
        sent += 1
        steps.append(f"with {pair[0]} / {mask(pair[1])}: {_say(result)}")
        if result.outcome is Outcome.REFUSED:
            continue
        if result.outcome is Outcome.LOCKED:
            return CredentialCheck(CheckStatus.LOCKED_OUT, None, sent, "; ".join(steps))
        if result.outcome is not Outcome.ACCEPTED:
            steps.append("stopped so as not to lock the account")
            return CredentialCheck(CheckStatus.INCONCLUSIVE, None, sent, "; ".join(steps))
        await asyncio.sleep(pause)
        wrong = await attempt(control())
        sent += 1
        steps.append(f"with a random wrong pair: {_say(wrong)}")
        if wrong.outcome is Outcome.REFUSED:
            return CredentialCheck(CheckStatus.FOUND, pair, sent, "; ".join(steps))
        if wrong.outcome is Outcome.ACCEPTED:
            return CredentialCheck(CheckStatus.ACCEPTS_ANY, None, sent, "; ".join(steps))
        return CredentialCheck(CheckStatus.INCONCLUSIVE, None, sent, "; ".join(steps))
    return CredentialCheck(CheckStatus.NOT_FOUND, None, sent, "; ".join(steps))
