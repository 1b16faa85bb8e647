"""Risk score of one host and the summary of a whole scan.

The score is meant to be explained to an ordinary person in one sentence: "the worst problem
decides the level; more problems, and problems we saw happen rather than guessed from a version
number, push the score up within that level". The arithmetic is done in integer tenths so that
the same findings in any order give exactly the same score (no float summation drift).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from scanner.models import (
    Basis,
    Confidence,
    DeviceType,
    Finding,
    Host,
    Report,
    Risk,
    RiskLevel,
    Severity,
    Summary,
)
from scanner.targets import TargetError, parse_target

__all__ = [
    "EXTRA_CAP",
    "counted_severity",
    "is_guess",
    "level_for_score",
    "level_for_severity",
    "outside_targets",
    "risk_rank",
    "score_host",
    "summarize",
]

# Where each worst severity starts and the highest score it can reach, in tenths. The ceiling of
# each band sits just below the next band's floor, so the level always equals the worst
# finding's severity: many medium findings never add up to "high".
_FLOOR = {
    Severity.CRITICAL: 90,
    Severity.HIGH: 70,
    Severity.MEDIUM: 40,
    Severity.LOW: 10,
    Severity.INFO: 0,
}
_CEILING = {
    Severity.CRITICAL: 100,
    Severity.HIGH: 89,
    Severity.MEDIUM: 69,
    Severity.LOW: 39,
    Severity.INFO: 0,
}
# The worst finding's bonus by confidence: a problem seen on the wire (a password that worked,
# a stream that played) is worse news than one inferred from a version string, which vendors
# often patch without changing (field notes: ssh-audit, Axis advisory ACV-128401).
_LEAD_BONUS = {Confidence.CONFIRMED: 5, Confidence.FIRM: 3, Confidence.INFERRED: 0}
# Each further finding adds severity rank (low=1 .. critical=4) plus this, in tenths.
_EXTRA_CONFIDENCE = {Confidence.CONFIRMED: 2, Confidence.FIRM: 1, Confidence.INFERRED: 0}
# All further findings together add at most this many tenths: ten low findings are not a
# reason to panic, and the band ceiling caps it again anyway.
EXTRA_CAP = 15
# A camera or recorder with a problem exposes video of people's homes: a small nudge up.
_DEVICE_BONUS = {
    DeviceType.CAMERA: 2,
    DeviceType.RECORDER: 2,
    DeviceType.OTHER: 0,
    DeviceType.UNKNOWN: 0,
}

_LEVEL_FOR_SEVERITY = {
    Severity.CRITICAL: RiskLevel.CRITICAL,
    Severity.HIGH: RiskLevel.HIGH,
    Severity.MEDIUM: RiskLevel.MEDIUM,
    Severity.LOW: RiskLevel.LOW,
    Severity.INFO: RiskLevel.NONE,
}
_LEVEL_RANK = {
    RiskLevel.NONE: 0,
    RiskLevel.LOW: 1,
    RiskLevel.MEDIUM: 2,
    RiskLevel.HIGH: 3,
    RiskLevel.CRITICAL: 4,
}


# A guess that rests on less than a firmware version: the banner, the model name, the port.
_GUESS_BASES = (Basis.BANNER, Basis.MODEL, Basis.PORT)


def is_guess(finding: Finding) -> bool:
    """True for a finding nobody saw happen that rests on a weak basis: an unverified
    signature, or a fingerprint, model or port match without any firmware version read."""
    if finding.confidence is Confidence.CONFIRMED:
        return False
    return finding.unverified or (
        finding.confidence is Confidence.INFERRED and finding.basis in _GUESS_BASES
    )


def counted_severity(finding: Finding) -> Severity:
    """The severity a finding counts with in the risk score: a guess never makes a device
    critical (issue #16: an entry the report itself calls unverified must not read as 10.0)."""
    if finding.severity is Severity.CRITICAL and is_guess(finding):
        return Severity.HIGH
    return finding.severity


def level_for_score(score: float) -> RiskLevel:
    """critical >= 9, high >= 7, medium >= 4, low > 0, else none."""
    if score >= 9:
        return RiskLevel.CRITICAL
    if score >= 7:
        return RiskLevel.HIGH
    if score >= 4:
        return RiskLevel.MEDIUM
    if score > 0:
        return RiskLevel.LOW
    return RiskLevel.NONE


def level_for_severity(severity: Severity) -> RiskLevel:
    """The risk level a single finding of this severity implies (info -> none)."""
    return _LEVEL_FOR_SEVERITY[severity]


def risk_rank(level: RiskLevel) -> int:
    """Higher is worse: none=0 .. critical=4."""
    return _LEVEL_RANK[level]


def score_host(findings: Sequence[Finding], device_type: DeviceType) -> Risk:
    """Score one host from its findings: 0.0 to 10.0, one decimal, and the matching level.

    Formula (W = the worst finding: highest severity, then highest confidence)::

        score = min(ceiling(W.severity),
                    floor(W.severity) + lead(W.confidence) + device
                    + min(1.5, sum(extra(f) for every other finding f)))

    * floor / ceiling: critical 9.0 / 10.0, high 7.0 / 8.9, medium 4.0 / 6.9, low 1.0 / 3.9,
      info 0 / 0 (info findings never raise the score).
    * lead: confirmed +0.5, firm +0.3, inferred +0.0.
    * device: +0.2 when the host is a camera or recorder and W is above info.
    * extra(f): 0.1 x (severity rank: low 1 .. critical 4, plus confirmed 2 / firm 1 /
      inferred 0); 0 for info.
    * a critical finding that is a guess (:func:`is_guess`) counts as high.

    Properties the tests hold it to: the level is always that of the worst severity (so the
    worst finding bounds the level both ways), and adding a finding never lowers the score.
    """
    significant = [(counted_severity(f), f) for f in findings if f.severity is not Severity.INFO]
    if not significant:
        return Risk(0.0, RiskLevel.NONE)
    worst_severity, worst = max(
        significant, key=lambda pair: (pair[0].rank, _LEAD_BONUS[pair[1].confidence])
    )
    extras = sum(
        severity.rank + _EXTRA_CONFIDENCE[f.confidence]
        for severity, f in significant
        if f is not worst
    )
    tenths = (
        _FLOOR[worst_severity]
        + _LEAD_BONUS[worst.confidence]
        + _DEVICE_BONUS[device_type]
        + min(EXTRA_CAP, extras)
    )
    tenths = min(_CEILING[worst_severity], tenths)
    return Risk(tenths / 10, _LEVEL_FOR_SEVERITY[worst_severity])


def summarize(hosts: Iterable[Host], hosts_scanned: int) -> Summary:
    """Count what the scan found across all hosts.

    ``hosts`` are the hosts that answered (each already scored); ``hosts_scanned`` is how many
    addresses were tried. ``findings_by_severity`` always has all five severities, worst first,
    so readers never have to treat a missing key as zero. ``highest_risk`` is the worst host
    risk level. Raises ValueError when ``hosts_scanned`` is negative or smaller than the number
    of hosts up, which can only be a bug in the caller.
    """
    host_list = list(hosts)
    if hosts_scanned < len(host_list):
        raise ValueError(
            f"hosts_scanned={hosts_scanned} is smaller than the {len(host_list)} hosts up"
        )
    by_severity = {severity.value: 0 for severity in Severity}
    for host in host_list:
        for finding in host.findings:
            by_severity[finding.severity.value] += 1
    highest = max((host.risk.level for host in host_list), key=risk_rank, default=RiskLevel.NONE)
    return Summary(
        hosts_scanned=hosts_scanned,
        hosts_up=len(host_list),
        cameras=sum(h.identification.device_type is DeviceType.CAMERA for h in host_list),
        recorders=sum(h.identification.device_type is DeviceType.RECORDER for h in host_list),
        findings_by_severity=by_severity,
        highest_risk=highest,
    )


def outside_targets(report: Report) -> int:
    """How many reported hosts lie outside the scanned ranges (0 when the ranges cannot be
    read back from the report alone: a target file, a report from another tool). A report
    renderer never opens the files a report names."""
    try:
        ranges = [parse_target(spec) for spec in report.targets if not spec.startswith("@")]
    except TargetError:
        return 0
    if len(ranges) != len(report.targets):
        return 0
    spans = [(int(r.first), int(r.last)) for r in ranges]
    outside = 0
    for host in report.hosts:
        try:
            value = int(ipaddress.IPv4Address(host.ip))
        except ValueError:
            continue
        if spans and not any(low <= value <= high for low, high in spans):
            outside += 1
    return min(outside, report.summary.hosts_up)
