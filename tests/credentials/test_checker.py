from __future__ import annotations

from collections.abc import Callable

import pytest

from scanner.credentials.checker import (
    AttemptResult,
    CheckStatus,
    Outcome,
    Pair,
    check_credentials,
    mask,
    random_pair,
)


class FakeDevice:
    """A login that accepts ``good`` (or anything), locks after ``lock_after`` failures."""

    def __init__(
        self,
        good: Pair | None = ("admin", "admin"),
        *,
        open_without: bool = False,
        accept_any: bool = False,
        lock_after: int | None = None,
        answer: Callable[[Pair | None], AttemptResult] | None = None,
    ) -> None:
        self.good = good
        self.open_without = open_without
        self.accept_any = accept_any
        self.lock_after = lock_after
        self.answer = answer
        self.seen: list[Pair | None] = []
        self.failures = 0

    async def __call__(self, pair: Pair | None) -> AttemptResult:
        self.seen.append(pair)
        if self.answer is not None:
            return self.answer(pair)
        if self.lock_after is not None and self.failures >= self.lock_after:
            return AttemptResult(Outcome.LOCKED, "403 locked")
        if pair is None:
            return AttemptResult(
                Outcome.ACCEPTED if self.open_without else Outcome.REFUSED, "no creds"
            )
        if self.accept_any or pair == self.good:
            return AttemptResult(Outcome.ACCEPTED, "200")
        self.failures += 1
        return AttemptResult(Outcome.REFUSED, "401")


CANDIDATES = [("admin", "12345"), ("admin", "admin"), ("root", "pass"), ("admin", "")]


@pytest.mark.asyncio
async def test_found_is_proven_by_a_refused_baseline_and_a_refused_random_pair() -> None:
    device = FakeDevice()
    check = await check_credentials(device, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.FOUND
    assert check.pair == ("admin", "admin")
    assert device.seen[0] is None
    assert device.seen[1:3] == CANDIDATES[:2]
    control = device.seen[3]
    assert control is not None
    assert control not in CANDIDATES
    assert check.attempts == 3
    assert "admin" in check.evidence
    assert "with a random wrong pair: refused (401)" in check.evidence


@pytest.mark.asyncio
async def test_password_never_appears_in_evidence() -> None:
    device = FakeDevice(good=("admin", "s3cretpw"))
    check = await check_credentials(device, [("admin", "s3cretpw")], budget=3, pause=0)
    assert check.status is CheckStatus.FOUND
    assert "s3cretpw" not in check.evidence


@pytest.mark.asyncio
async def test_accepts_any_is_not_reported_as_a_default_password() -> None:
    device = FakeDevice(accept_any=True)
    check = await check_credentials(device, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.ACCEPTS_ANY
    assert check.pair is None


@pytest.mark.asyncio
async def test_no_credentials_needed() -> None:
    device = FakeDevice(open_without=True)
    check = await check_credentials(device, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.NOT_REQUIRED
    assert device.seen == [None]


@pytest.mark.asyncio
async def test_budget_bounds_the_failed_attempts() -> None:
    device = FakeDevice(good=("nobody", "never"))
    check = await check_credentials(device, CANDIDATES, budget=2, pause=0)
    assert check.status is CheckStatus.NOT_FOUND
    assert device.failures == 2
    assert check.attempts == 2


@pytest.mark.asyncio
async def test_a_device_that_locks_after_three_failures_is_never_locked_by_the_default_budget() -> (
    None
):
    device = FakeDevice(good=("nobody", "never"), lock_after=4)
    check = await check_credentials(device, CANDIDATES * 3, budget=3, pause=0)
    assert check.status is CheckStatus.NOT_FOUND
    assert device.failures == 3


@pytest.mark.asyncio
async def test_lockout_answer_stops_the_check() -> None:
    device = FakeDevice(good=("nobody", "never"), lock_after=1)
    check = await check_credentials(device, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.LOCKED_OUT
    assert len(device.seen) == 3  # baseline, one failure, the locked answer; nothing after


@pytest.mark.asyncio
async def test_device_going_away_stops_the_check() -> None:
    answers = iter(
        [
            AttemptResult(Outcome.REFUSED, "401"),
            AttemptResult(Outcome.UNREACHABLE, "connection refused"),
        ]
    )
    device = FakeDevice(answer=lambda pair: next(answers))
    check = await check_credentials(device, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.INCONCLUSIVE
    assert "stopped" in check.evidence
    assert len(device.seen) == 2


@pytest.mark.asyncio
async def test_baseline_that_is_neither_yes_nor_no_sends_no_credentials() -> None:
    device = FakeDevice(answer=lambda pair: AttemptResult(Outcome.UNCLEAR, "500"))
    check = await check_credentials(device, CANDIDATES, budget=3, pause=0)
    assert check.status is CheckStatus.INCONCLUSIVE
    assert device.seen == [None]


def test_random_pairs_differ_and_mask_hides_length() -> None:
    assert random_pair() != random_pair()
    assert mask("a") == mask("a-much-longer-password") == "********"
    assert mask("") == "(blank)"
