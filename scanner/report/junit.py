"""JUnit XML for CI test views (GitLab, Jenkins, Azure DevOps, GitHub test reporters).

One ``testsuite`` per device; in it one ``testcase`` per finding id and port, failing when the
finding is at or above the threshold (``--fail-on``; without it, anything above info), unless
the inventory accepted it. A device with no finding has one passing case, ``no findings``; a
device the inventory does not list gets a failing ``inventory`` case; a probe that crashed is an
``error`` case. Expected devices that did not answer are skipped cases in a last suite,
``inventory``. Case names hold no changing data (scores, versions), so CI can follow a case's
history from run to run; what changed goes into ``system-out``.

The layout is the one Jenkins and GitLab read (the de-facto "JUnit XML" of Ant's
XMLJUnitResultFormatter). Device text is cleaned of characters XML 1.0 cannot carry (section
2.2: C0 controls, U+FFFE, U+FFFF, lone surrogates) and of terminal escapes; ElementTree escapes
markup characters.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import TextIO

from scanner.models import Finding, Host, ProbeStatus, Report, Severity
from scanner.report.baseline import Change, device_label
from scanner.report.exposure import exposure_junit_suite
from scanner.report.inventory import DeviceStatus, FindingStatus
from scanner.report.json_report import SECRET_MASK
from scanner.report.order import sorted_findings, sorted_hosts, sorted_services
from scanner.report.review import Review
from scanner.report.sanitize import clean_text
from scanner.report.words import CONFIDENCE_WORDS, acceptance_words

__all__ = ["DEFAULT_THRESHOLD", "render_junit"]

DEFAULT_THRESHOLD = Severity.LOW
_SHORT = 200
_LINE = 1000
_NONCHARACTERS = str.maketrans({0xFFFE: "<U+FFFE>", 0xFFFF: "<U+FFFF>"})


def _t(value: str, limit: int = _SHORT) -> str:
    """One line of text XML 1.0 can hold."""
    return clean_text(value, limit).translate(_NONCHARACTERS)


def _block(value: str) -> str:
    return "\n".join(_t(line, _LINE) for line in value.splitlines()[:40])


def _seconds(report: Report) -> str:
    try:
        start = datetime.fromisoformat(report.started_at)
        end = datetime.fromisoformat(report.finished_at)
        seconds = max(0.0, (end - start).total_seconds())
    except (ValueError, TypeError):  # unreadable, or one naive and one aware stamp
        return "0"
    return f"{seconds:.3f}"


def _classname(host: Host) -> str:
    # Test viewers split class names on dots into packages; an address is kept whole.
    return "camsweep." + _t(host.ip).replace(".", "_").replace(":", "_")


def _finding_case(
    suite: ET.Element,
    host: Host,
    finding: Finding,
    *,
    threshold: Severity,
    report: Report,
    review: Review | None,
) -> tuple[int, int]:
    name = finding.id if finding.port is None else f"{finding.id} port {finding.port}"
    case = ET.SubElement(suite, "testcase", classname=_classname(host), name=_t(name))
    detail = [
        f"Severity: {finding.severity.value}",
        f"How sure: {CONFIDENCE_WORDS[finding.confidence]}",
    ]
    if finding.evidence:
        detail.append(f"What we saw: {finding.evidence}")
    if finding.secret is not None:
        detail.append(f"Working password: {finding.secret if report.show_secrets else SECRET_MASK}")
    if finding.remediation:
        detail.append(f"Fix: {finding.remediation}")
    if finding.cves:
        detail.append(f"CVE: {', '.join(finding.cves)}")
    detail.extend(f"More: {r}" for r in finding.references)
    notes: list[str] = []
    accepted = False
    if review is not None:
        if review.finding_change(host.ip, finding) is Change.NEW:
            notes.append("New since the baseline.")
        check = review.finding_check(host.ip, finding)
        if check is not None and check.status is not FindingStatus.UNACCEPTED:
            notes.append(acceptance_words(check).capitalize() + ".")
            accepted = check.status is FindingStatus.ACCEPTED
    if finding.severity.rank >= threshold.rank and not accepted:
        failure = ET.SubElement(
            case, "failure", message=_t(finding.title), type=finding.severity.value
        )
        failure.text = _block("\n".join(detail + notes))
        return 1, 1
    out = ET.SubElement(case, "system-out")
    why = "accepted in the inventory" if accepted else f"below the {threshold.value} threshold"
    out.text = _block("\n".join([f"{finding.title} ({why})", *detail, *notes]))
    return 1, 0


def _host_suite(
    root: ET.Element, host: Host, threshold: Severity, report: Report, review: Review | None
) -> tuple[int, int, int]:
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_t(f"{host.ip} {device_label(host)}"),
        hostname=_t(host.ip),
        timestamp=_t(report.started_at),
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("device_type", host.identification.device_type.value),
        ("risk", f"{host.risk.level.value} {host.risk.score:.1f}"),
        ("mac", host.mac or ""),
        ("mac_vendor", host.mac_vendor or ""),
        ("firmware", host.identification.firmware or ""),
        ("discovered_by", " ".join(host.discovered_by)),
    ):
        if value:
            ET.SubElement(props, "property", name=key, value=_t(value))
    tests = failures = errors = 0
    if review is not None and review.device_status(host.ip) is DeviceStatus.UNEXPECTED:
        case = ET.SubElement(suite, "testcase", classname=_classname(host), name="inventory")
        failure = ET.SubElement(
            case, "failure", message="device is not in the inventory", type="unexpected-device"
        )
        failure.text = _block(f"{host.ip} ({device_label(host)}) answered but is not listed.")
        tests, failures = tests + 1, failures + 1
    findings = sorted_findings(host.findings)
    for finding in findings:
        ran, failed = _finding_case(
            suite, host, finding, threshold=threshold, report=report, review=review
        )
        tests, failures = tests + ran, failures + failed
    if not findings:
        case = ET.SubElement(suite, "testcase", classname=_classname(host), name="no findings")
        tests += 1
        if review is not None and review.fixed_findings(host.ip):
            fixed = ", ".join(f.id for f in review.fixed_findings(host.ip))
            ET.SubElement(case, "system-out").text = _t(f"Fixed since the baseline: {fixed}", _LINE)
    for service in sorted_services(host.services):
        if service.status is not ProbeStatus.ERROR:
            continue
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_classname(host),
            name=_t(f"probe {service.protocol.value}/{service.port}"),
        )
        ET.SubElement(case, "error", message=_t(service.reason or "probe failed"), type="probe")
        tests, errors = tests + 1, errors + 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return tests, failures, errors


def render_junit(
    report: Report,
    out: TextIO,
    *,
    fail_on: Severity | None = None,
    review: Review | None = None,
) -> None:
    """Write JUnit XML; findings at or above ``fail_on`` (default low) are failures."""
    threshold = fail_on or DEFAULT_THRESHOLD
    root = ET.Element("testsuites", name=_t(f"{report.tool_name} {report.tool_version}"))
    tests = failures = errors = skipped = 0
    if report.exposure is not None:  # first: what the internet can reach
        tests, failures, skipped = exposure_junit_suite(root, report.exposure, threshold, _t)
    for host in sorted_hosts(report.hosts):
        t, f, e = _host_suite(root, host, threshold, report, review)
        tests, failures, errors = tests + t, failures + f, errors + e
    if review is not None and review.inventory is not None:
        missing = [d for d in review.inventory.devices if d.status is DeviceStatus.MISSING]
        if missing:
            suite = ET.SubElement(
                root, "testsuite", name="inventory", timestamp=_t(report.started_at)
            )
            for device in missing:
                who = device.name or device.ip or device.mac or "?"
                case = ET.SubElement(
                    suite, "testcase", classname="camsweep.inventory", name=_t(f"expected {who}")
                )
                ET.SubElement(
                    case,
                    "skipped",
                    message=_t(f"listed on inventory line {device.line}, did not answer"),
                )
            suite.set("tests", str(len(missing)))
            suite.set("failures", "0")
            suite.set("errors", "0")
            suite.set("skipped", str(len(missing)))
            tests, skipped = tests + len(missing), skipped + len(missing)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    root.set("time", _seconds(report))
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
