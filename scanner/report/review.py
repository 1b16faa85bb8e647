"""A report seen against what the team already knows: a baseline scan and a lab inventory.

The :class:`Review` travels beside the :class:`~scanner.models.Report` into every renderer (new
and fixed marks, accepted findings, unexpected devices) and into :func:`gate`, which says
whether CI should fail. Both are pure functions of their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scanner.models import Finding, Report, Severity
from scanner.report.baseline import BaselineDiff, Change, FindingChange, compare
from scanner.report.inventory import (
    DeviceStatus,
    FindingCheck,
    FindingStatus,
    Inventory,
    InventoryCheck,
    check_inventory,
)

__all__ = ["Review", "gate", "make_review", "review_to_dict"]


@dataclass(frozen=True, slots=True)
class Review:
    baseline: BaselineDiff | None = None
    inventory: InventoryCheck | None = None
    _fixed: dict[str, tuple[FindingChange, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        fixed: dict[str, list[FindingChange]] = {}
        if self.baseline is not None:
            for change in self.baseline.findings:
                if change.state is Change.ABSENT:
                    fixed.setdefault(change.ip, []).append(change)
        object.__setattr__(self, "_fixed", {ip: tuple(v) for ip, v in fixed.items()})

    def finding_change(self, ip: str, finding: Finding) -> Change | None:
        return None if self.baseline is None else self.baseline.finding_state(ip, finding)

    def finding_check(self, ip: str, finding: Finding) -> FindingCheck | None:
        return None if self.inventory is None else self.inventory.finding(ip, finding)

    def is_accepted(self, ip: str, finding: Finding) -> bool:
        check = self.finding_check(ip, finding)
        return check is not None and check.status is FindingStatus.ACCEPTED

    def device_change(self, ip: str) -> Change | None:
        return None if self.baseline is None else self.baseline.device_state(ip)

    def device_status(self, ip: str) -> DeviceStatus | None:
        if self.inventory is None:
            return None
        check = self.inventory.device(ip)
        return None if check is None else check.status

    def service_change(self, ip: str, port: int, transport: str) -> Change | None:
        if self.baseline is None:
            return None
        return self.baseline.service_state(ip, port, transport)

    def fixed_findings(self, ip: str) -> tuple[FindingChange, ...]:
        """Findings the baseline had at this address that the scan no longer saw."""
        return self._fixed.get(ip, ())


def make_review(
    report: Report,
    *,
    baseline: Report | None = None,
    inventory: Inventory | None = None,
    on: date | None = None,
) -> Review | None:
    """None when there is nothing to compare with, so renderers print exactly what they did."""
    if baseline is None and inventory is None:
        return None
    return Review(
        baseline=None if baseline is None else compare(baseline, report),
        inventory=None if inventory is None else check_inventory(inventory, report, on),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def gate(
    report: Report,
    review: Review | None,
    *,
    fail_on: Severity | None,
    fail_on_new: bool = False,
    fail_on_unexpected: bool = False,
) -> list[str]:
    """Why CI should fail (exit 1), one line per reason; empty when it should pass.

    * ``fail_on``: a finding at or above this severity that the inventory has not accepted
      (an expired acceptance counts as not accepted);
    * ``fail_on_new``: anything new since the baseline that the inventory does not cover: a
      device it does not list, a newly open service, a finding it has not accepted;
    * ``fail_on_unexpected``: a device that answered but is not in the inventory.
    """
    reasons: list[str] = []
    if fail_on is not None:
        failing = [
            (host.ip, f)
            for host in report.hosts
            for f in host.findings
            if f.severity.rank >= fail_on.rank
            and not (review is not None and review.is_accepted(host.ip, f))
        ]
        if failing:
            reasons.append(f"{_plural(len(failing), 'problem')} at or above {fail_on.value}")
    if fail_on_new and review is not None and review.baseline is not None:
        new_devices = [
            d.ip
            for d in review.baseline.devices
            if d.state is Change.NEW and review.device_status(d.ip) is not DeviceStatus.EXPECTED
        ]
        new_services = [s for s in review.baseline.services if s.state is Change.NEW]
        new_findings = 0
        for host in report.hosts:
            for f in host.findings:
                if review.finding_change(host.ip, f) is Change.NEW and not review.is_accepted(
                    host.ip, f
                ):
                    new_findings += 1
        if new_devices or new_services or new_findings:
            reasons.append(
                "new since the baseline: "
                f"{_plural(len(new_devices), 'device')}, "
                f"{_plural(len(new_services), 'open service')}, "
                f"{_plural(new_findings, 'finding')}"
            )
    if fail_on_unexpected and review is not None and review.inventory is not None:
        unexpected = review.inventory.count(DeviceStatus.UNEXPECTED)
        if unexpected:
            reasons.append(f"{_plural(unexpected, 'device')} not in the inventory")
    return reasons


# --- the review in the JSON report --------------------------------------------------------------


def _s(value: str | None) -> str | None:
    # JSON carries device text as sent, but lone surrogates cannot be written as UTF-8.
    return None if value is None else value.encode("utf-8", "replace").decode("utf-8")


def review_to_dict(review: Review) -> dict[str, Any]:
    """The ``review`` section of the JSON report (see docs/report.md)."""
    baseline: dict[str, Any] | None = None
    if review.baseline is not None:
        diff = review.baseline
        baseline = {
            "started_at": _s(diff.baseline_started_at),
            "new": diff.count(Change.NEW),
            "absent": diff.count(Change.ABSENT),
            "devices": [
                {
                    "ip": _s(d.ip),
                    "state": d.state.value,
                    "mac": _s(d.mac),
                    "previous_ip": _s(d.previous_ip),
                    "label": _s(d.label),
                }
                for d in diff.devices
            ],
            "services": [
                {
                    "ip": _s(s.ip),
                    "port": s.port,
                    "transport": _s(s.transport),
                    "protocol": _s(s.protocol),
                    "state": s.state.value,
                }
                for s in diff.services
            ],
            "findings": [
                {
                    "ip": _s(f.ip),
                    "id": _s(f.id),
                    "port": f.port,
                    "severity": f.severity.value,
                    "title": _s(f.title),
                    "state": f.state.value,
                }
                for f in diff.findings
            ],
        }
    inventory: dict[str, Any] | None = None
    if review.inventory is not None:
        check = review.inventory
        inventory = {
            "source": _s(check.source),
            "checked_on": check.checked_on.isoformat(),
            "devices": [
                {
                    "status": d.status.value,
                    "ip": _s(d.ip),
                    "mac": _s(d.mac),
                    "name": _s(d.name),
                    "label": _s(d.label),
                    "line": d.line,
                }
                for d in check.devices
            ],
            "findings": [
                {
                    "ip": _s(f.ip),
                    "id": _s(f.id),
                    "port": f.port,
                    "severity": f.severity.value,
                    "status": f.status.value,
                    "reason": _s(f.reason),
                    "expires": None if f.expires is None else f.expires.isoformat(),
                    "line": f.line,
                }
                for f in check.findings
            ],
            "unused": [
                {
                    "finding": _s(a.finding),
                    "device": _s(a.device),
                    "port": a.port,
                    "reason": _s(a.reason),
                    "expires": a.expires.isoformat(),
                    "line": a.line,
                }
                for a in check.unused
            ],
        }
    return {"baseline": baseline, "inventory": inventory}
