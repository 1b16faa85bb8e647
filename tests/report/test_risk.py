from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.models import Confidence, DeviceType, Finding, Host, Risk, RiskLevel, Severity
from scanner.report.risk import (
    level_for_score,
    level_for_severity,
    risk_rank,
    score_host,
    summarize,
)
from tests.report.test_samples import finding, host

findings_st = st.builds(
    Finding,
    id=st.sampled_from(["a", "b", "c", "telnet-open"]),
    title=st.just("t"),
    severity=st.sampled_from(Severity),
    confidence=st.sampled_from(Confidence),
    evidence=st.just("e"),
    remediation=st.just("r"),
)
finding_lists = st.lists(findings_st, max_size=12)
device_types = st.sampled_from(DeviceType)


@pytest.mark.parametrize(
    ("severity", "low", "high", "level"),
    [
        (Severity.CRITICAL, 9.0, 10.0, RiskLevel.CRITICAL),
        (Severity.HIGH, 7.0, 8.9, RiskLevel.HIGH),
        (Severity.MEDIUM, 4.0, 6.9, RiskLevel.MEDIUM),
        (Severity.LOW, 1.0, 3.9, RiskLevel.LOW),
        (Severity.INFO, 0.0, 0.0, RiskLevel.NONE),
    ],
)
@pytest.mark.parametrize("confidence", list(Confidence))
def test_single_finding_lands_in_its_band(
    severity: Severity, low: float, high: float, level: RiskLevel, confidence: Confidence
) -> None:
    risk = score_host([finding("x", severity, confidence)], DeviceType.CAMERA)
    assert low <= risk.score <= high
    assert risk.level is level


def test_exact_values_follow_the_documented_formula() -> None:
    crit_confirmed = finding("a", Severity.CRITICAL, Confidence.CONFIRMED)
    crit_inferred = finding("b", Severity.CRITICAL, Confidence.INFERRED)
    high_firm = finding("c", Severity.HIGH, Confidence.FIRM)
    low_inferred = finding("d", Severity.LOW, Confidence.INFERRED)
    # 9.0 floor + 0 (inferred) + 0 (other device)
    assert score_host([crit_inferred], DeviceType.OTHER) == Risk(9.0, RiskLevel.CRITICAL)
    # 9.0 + 0.5 confirmed + 0.2 camera
    assert score_host([crit_confirmed], DeviceType.CAMERA) == Risk(9.7, RiskLevel.CRITICAL)
    # 7.0 + 0.3 firm + 0.2 recorder + extra low inferred (1 + 0) * 0.1
    assert score_host([high_firm, low_inferred], DeviceType.RECORDER) == Risk(7.6, RiskLevel.HIGH)
    # worst is the confirmed critical (lead 0.5); the inferred one adds (4 + 0) * 0.1
    assert score_host([crit_inferred, crit_confirmed], DeviceType.UNKNOWN).score == 9.9


def test_confirmed_weighs_more_than_firm_more_than_inferred() -> None:
    scores = [
        score_host([finding("x", Severity.HIGH, c)], DeviceType.OTHER).score
        for c in (Confidence.CONFIRMED, Confidence.FIRM, Confidence.INFERRED)
    ]
    assert scores[0] > scores[1] > scores[2]
    extra = [
        score_host(
            [finding("w", Severity.MEDIUM), finding("x", Severity.LOW, c)], DeviceType.OTHER
        ).score
        for c in (Confidence.CONFIRMED, Confidence.INFERRED)
    ]
    assert extra[0] > extra[1]


def test_camera_scores_above_other_device_with_the_same_problem() -> None:
    problem = [finding("x", Severity.MEDIUM)]
    camera = score_host(problem, DeviceType.CAMERA)
    assert camera.score > score_host(problem, DeviceType.OTHER).score


def test_no_findings_or_only_info_is_zero() -> None:
    assert score_host([], DeviceType.CAMERA) == Risk(0.0, RiskLevel.NONE)
    infos = [finding(str(i), Severity.INFO) for i in range(5)]
    assert score_host(infos, DeviceType.CAMERA) == Risk(0.0, RiskLevel.NONE)


def test_many_lesser_findings_never_reach_the_next_level() -> None:
    many_low = [finding(str(i), Severity.LOW) for i in range(50)]
    # 1.0 + 0.5 confirmed + 0.2 camera + 1.5 capped extras: the cap, not the ceiling, binds.
    assert score_host(many_low, DeviceType.CAMERA) == Risk(3.2, RiskLevel.LOW)
    many_high = [finding(str(i), Severity.HIGH) for i in range(50)]
    # 7.0 + 0.5 + 0.2 + 1.5 = 9.2 would be critical: the band ceiling holds it at 8.9.
    assert score_host(many_high, DeviceType.CAMERA) == Risk(8.9, RiskLevel.HIGH)


def test_further_findings_add_at_most_the_cap() -> None:
    base = score_host([finding("w", Severity.MEDIUM, Confidence.INFERRED)], DeviceType.OTHER)
    many = [finding("w", Severity.MEDIUM, Confidence.INFERRED)]
    many += [finding(str(i), Severity.MEDIUM, Confidence.INFERRED) for i in range(20)]
    assert score_host(many, DeviceType.OTHER).score == pytest.approx(base.score + 1.5)


@given(finding_lists, findings_st, device_types)
def test_adding_a_finding_never_lowers_the_score(
    findings: list[Finding], extra: Finding, device_type: DeviceType
) -> None:
    before = score_host(findings, device_type)
    after = score_host([*findings, extra], device_type)
    assert after.score >= before.score
    assert risk_rank(after.level) >= risk_rank(before.level)


@given(finding_lists, device_types)
def test_worst_severity_decides_the_level(findings: list[Finding], device_type: DeviceType) -> None:
    risk = score_host(findings, device_type)
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=Severity.INFO)
    assert risk.level is level_for_severity(worst)
    assert level_for_score(risk.score) is risk.level
    assert 0.0 <= risk.score <= 10.0
    assert risk.score == round(risk.score, 1)


@given(finding_lists, device_types, st.randoms(use_true_random=False))
def test_order_of_findings_does_not_matter(
    findings: list[Finding], device_type: DeviceType, rnd: random.Random
) -> None:
    shuffled = list(findings)
    rnd.shuffle(shuffled)
    assert score_host(shuffled, device_type) == score_host(findings, device_type)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (10.0, RiskLevel.CRITICAL),
        (9.0, RiskLevel.CRITICAL),
        (8.9, RiskLevel.HIGH),
        (7.0, RiskLevel.HIGH),
        (6.9, RiskLevel.MEDIUM),
        (4.0, RiskLevel.MEDIUM),
        (3.9, RiskLevel.LOW),
        (0.1, RiskLevel.LOW),
        (0.0, RiskLevel.NONE),
    ],
)
def test_level_for_score_thresholds(score: float, level: RiskLevel) -> None:
    assert level_for_score(score) is level


def test_summarize_counts_types_severities_and_highest_risk() -> None:
    hosts = [
        host("10.0.0.1", (finding("a", Severity.HIGH), finding("b", Severity.INFO))),
        host("10.0.0.2", (finding("c", Severity.LOW),), device_type=DeviceType.RECORDER),
        host("10.0.0.3", device_type=DeviceType.OTHER),
    ]
    summary = summarize(hosts, 10)
    assert (summary.hosts_scanned, summary.hosts_up) == (10, 3)
    assert (summary.cameras, summary.recorders) == (1, 1)
    assert summary.findings_by_severity == {
        "critical": 0,
        "high": 1,
        "medium": 0,
        "low": 1,
        "info": 1,
    }
    assert list(summary.findings_by_severity) == [s.value for s in Severity]
    assert summary.highest_risk is RiskLevel.HIGH


def test_summarize_of_nothing() -> None:
    summary = summarize([], 0)
    assert summary.hosts_up == 0
    assert summary.highest_risk is RiskLevel.NONE
    assert set(summary.findings_by_severity.values()) == {0}


def test_summarize_rejects_more_hosts_up_than_scanned() -> None:
    with pytest.raises(ValueError, match="smaller than"):
        summarize([Host("10.0.0.1"), Host("10.0.0.2")], 1)
