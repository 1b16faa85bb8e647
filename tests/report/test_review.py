"""Baselines (new, unchanged, fixed), inventories (strict files; accepted, expired, unexpected,
missing) and the CI gate built on both."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from scanner.models import Report, Severity
from scanner.report.baseline import Change, compare
from scanner.report.inventory import (
    DeviceStatus,
    FindingStatus,
    InventoryCheck,
    InventoryError,
    check_inventory,
    load_inventory,
    parse_inventory,
    scan_day,
)
from scanner.report.review import gate, make_review
from tests.report.fixtures import (
    SCAN_DAY,
    baseline_report,
    golden_inventory,
    golden_report,
    golden_review,
)
from tests.report.test_samples import finding, host, report

# --- baseline -------------------------------------------------------------------------------------


def _states(items: object) -> dict[tuple[object, ...], str]:
    out: dict[tuple[object, ...], str] = {}
    for item in items:  # type: ignore[attr-defined]
        key = tuple(getattr(item, f) for f in ("ip", "id", "port") if hasattr(item, f))
        out[key] = item.state.value
    return out


def test_same_report_twice_is_all_unchanged() -> None:
    diff = compare(golden_report(), golden_report())
    assert diff.count(Change.NEW) == {"devices": 0, "services": 0, "findings": 0}
    assert diff.count(Change.ABSENT) == {"devices": 0, "services": 0, "findings": 0}
    assert diff.count(Change.UNCHANGED)["devices"] == len(golden_report().hosts)


def test_new_fixed_gone_and_moved() -> None:
    diff = compare(baseline_report(), golden_report())
    devices = {d.ip: d for d in diff.devices}
    assert devices["127.77.0.10"].state is Change.NEW
    assert devices["127.77.0.40"].state is Change.ABSENT
    # Same MAC at another address: the Axis moved, it is not new.
    assert devices["127.77.0.15"].state is Change.UNCHANGED
    assert devices["127.77.0.15"].previous_ip == "127.77.0.14"
    findings = _states(diff.findings)
    assert findings[("127.77.0.12", "weak-tls", 443)] == "new"
    assert findings[("127.77.0.12", "http-default-page", 80)] == "absent"
    assert findings[("127.77.0.12", "telnet-open", 23)] == "unchanged"
    assert findings[("127.77.0.40", "telnet-open", 23)] == "absent"
    services = {(s.ip, s.port): s.state for s in diff.services}
    assert services[("127.77.0.12", 80)] is Change.NEW
    assert services[("127.77.0.12", 554)] is Change.UNCHANGED


def test_another_mac_at_the_same_address_is_another_device() -> None:
    before = report((host("10.0.0.5", mac="00:11:22:33:44:55"),))
    after = report((host("10.0.0.5", mac="66:77:88:99:AA:BB"),))
    states = sorted(d.state.value for d in compare(before, after).devices)
    assert states == ["absent", "new"]
    # A MAC written differently is still the same MAC.
    same = report((host("10.0.0.5", mac="00-11-22-33-44-55"),))
    assert [d.state for d in compare(before, same).devices] == [Change.UNCHANGED]


def test_a_port_change_makes_a_new_finding() -> None:
    before = report((host("10.0.0.5", (finding("telnet-open", Severity.HIGH, port=23),)),))
    after = report((host("10.0.0.5", (finding("telnet-open", Severity.HIGH, port=2323),)),))
    assert sorted(f.state.value for f in compare(before, after).findings) == ["absent", "new"]


# --- inventory files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("devices:\n  - ip: 10.0.0.1\n    colour: red\n", 3, "unknown key in a device (colour)"),
        ("devices:\n  - name: x\n", 2, "needs an ip or a mac"),
        ("devices:\n  - ip: 10.0.0.300\n", 2, "not an IPv4 or IPv6 address"),
        ("devices:\n  - mac: 00:11:22\n", 2, "not a MAC address"),
        ("devices:\n  - ip: 10.0.0.1\n  - ip: 10.0.0.1\n", 3, "already listed on line 2"),
        (
            "accepted:\n  - finding: telnet-open\n    reason: lab\n    expires: 2027-02-30\n",
            4,
            "not a real date",
        ),
        (
            "accepted:\n  - finding: telnet-open\n    reason: lab\n    expires: next week\n",
            4,
            "not a date written YYYY-MM-DD",
        ),
        ("accepted:\n  - finding: telnet-open\n    expires: 2027-01-01\n", 2, "needs reason"),
        (
            "accepted:\n  - finding: telnet-open\n    reason: ''\n    expires: 2027-01-01\n",
            3,
            "reason must not be empty",
        ),
        (
            "accepted:\n  - finding: x\n    reason: r\n    expires: 2027-01-01\n    port: 0\n",
            5,
            "not a port number",
        ),
        (
            "accepted:\n  - finding: x\n    device: kitchen\n    reason: r\n"
            "    expires: 2027-01-01\n",
            3,
            "not an ip, a mac or the name of a listed device",
        ),
        ("devices:\n  - ip: 10.0.0.1\n    ip: 10.0.0.2\n", 3, "duplicate key in a device (ip)"),
        ("devices: &a\n  - ip: 10.0.0.1\naccepted: *a\n", 1, "anchors and aliases"),
        ("devices:\n  - !!python/object:os.system {}\n", 2, "unsupported YAML tag"),
        ("devices: [\n", 2, "YAML syntax error"),
        ("", 1, "file is empty"),
        ("- 1\n", 1, "must be a mapping"),
        ("version: 2\n", 1, "version must be 1"),
        ("hosts: []\n", 1, "unknown key in the inventory (hosts)"),
    ],
)
def test_bad_inventories_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text.encode(), "lab.yaml")
    error = str(caught.value)
    assert error.startswith(f"lab.yaml:{line}: "), error
    assert message in error
    assert "\n" not in error


def test_undecodable_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"^lab.yaml:2: file is not valid UTF-8 \(ff0a\)$"):
        parse_inventory(b"devices:\n  - ip: \xff\n", "lab.yaml")
    with pytest.raises(InventoryError, match="cannot read inventory"):
        load_inventory(tmp_path / "missing.yaml")


def test_a_good_inventory_reads_into_typed_entries(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_bytes(
        b"version: 1\ndevices:\n  - name: door\n    mac: aa-bb-cc-dd-ee-ff\n"
        b"accepted:\n  - finding: telnet-open\n    device: door\n    port: 23\n"
        b"    reason: rig\n    expires: '2027-01-31'\n"
    )
    inventory = load_inventory(path)
    assert inventory.devices[0].mac == "AA:BB:CC:DD:EE:FF"
    accepted = inventory.accepted[0]
    assert (accepted.device, accepted.port, accepted.expires) == ("door", 23, date(2027, 1, 31))
    assert accepted.line == 6


# --- inventory checks ------------------------------------------------------------------------


def test_accepted_expired_unaccepted_unexpected_missing_unused() -> None:
    check = check_inventory(golden_inventory(), golden_report(), SCAN_DAY)
    status = {(f.ip, f.id): f.status for f in check.findings}
    assert status[("127.77.0.12", "telnet-open")] is FindingStatus.ACCEPTED
    assert status[("127.77.0.12", "upnp-exposed")] is FindingStatus.EXPIRED
    assert status[("127.77.0.12", "default-credentials-rtsp")] is FindingStatus.UNACCEPTED
    devices = {(d.ip, d.status) for d in check.devices}
    assert ("127.77.0.16", DeviceStatus.UNEXPECTED) in devices
    assert ("127.77.0.15", DeviceStatus.EXPECTED) in devices  # by MAC and address
    assert ("127.77.0.20", DeviceStatus.MISSING) in devices
    assert [a.finding for a in check.unused] == ["ftp-open"]


def test_acceptance_lasts_through_its_expiry_day() -> None:
    expires = date(2027, 6, 30)
    on_the_day = check_inventory(golden_inventory(), golden_report(), expires)
    day_after = check_inventory(golden_inventory(), golden_report(), date(2027, 7, 1))

    def telnet(check: InventoryCheck) -> FindingStatus:
        return next(
            f.status for f in check.findings if f.id == "telnet-open" and f.ip == "127.77.0.12"
        )

    assert telnet(on_the_day) is FindingStatus.ACCEPTED
    assert telnet(day_after) is FindingStatus.EXPIRED


def test_an_impostor_at_an_expected_address_is_unexpected() -> None:
    inventory = parse_inventory(b"devices:\n  - ip: 10.0.0.5\n    mac: 00:11:22:33:44:55\n", "i")
    impostor = report((host("10.0.0.5", mac="66:77:88:99:AA:BB"),))
    check = check_inventory(inventory, impostor, SCAN_DAY)
    assert {d.status for d in check.devices} == {DeviceStatus.UNEXPECTED, DeviceStatus.MISSING}
    # Without a MAC from the scan (a routed TCP scan), the address decides.
    no_mac = report((host("10.0.0.5"),))
    statuses = [d.status for d in check_inventory(inventory, no_mac, SCAN_DAY).devices]
    assert statuses == [DeviceStatus.EXPECTED]


def test_expiry_is_judged_on_the_scan_day() -> None:
    assert scan_day(golden_report()) == date(2026, 11, 20)
    late = dataclasses.replace(golden_report(), started_at="2026-11-20T23:30:00-05:00")
    assert scan_day(late) == date(2026, 11, 21)  # in UTC


# --- the gate ------------------------------------------------------------------------------------


def _gate(rep: Report, **flags: object) -> list[str]:
    review = make_review(
        rep,
        baseline=baseline_report() if flags.pop("baseline", False) else None,
        inventory=golden_inventory() if flags.pop("inventory", False) else None,
        on=SCAN_DAY,
    )
    return gate(rep, review, **flags)  # type: ignore[arg-type]


def test_gate_fail_on_ignores_accepted_findings_but_not_expired_ones() -> None:
    only_dahua = dataclasses.replace(
        golden_report(),
        hosts=tuple(h for h in golden_report().hosts if h.ip == "127.77.0.12"),
    )
    high_only = dataclasses.replace(
        only_dahua,
        hosts=tuple(
            dataclasses.replace(h, findings=tuple(f for f in h.findings if f.id == "telnet-open"))
            for h in only_dahua.hosts
        ),
    )
    assert _gate(high_only, fail_on=Severity.HIGH) == ["1 problem at or above high"]
    assert _gate(high_only, fail_on=Severity.HIGH, inventory=True) == []
    assert _gate(only_dahua, fail_on=Severity.MEDIUM, inventory=True) == [
        "2 problems at or above medium"  # the critical one and the expired upnp acceptance
    ]
    assert _gate(only_dahua, fail_on=None) == []


def test_gate_fail_on_new() -> None:
    assert _gate(golden_report(), fail_on=None, fail_on_new=True, baseline=True) == [
        "new since the baseline: 3 devices, 3 open services, 3 findings"
    ]
    same = make_review(golden_report(), baseline=golden_report())
    assert gate(golden_report(), same, fail_on=None, fail_on_new=True) == []
    # Without --fail-on-new, news alone never fails.
    assert _gate(golden_report(), fail_on=None, baseline=True) == []


def test_gate_fail_on_unexpected() -> None:
    reasons = _gate(golden_report(), fail_on=None, fail_on_unexpected=True, inventory=True)
    assert reasons == ["4 devices not in the inventory"]


def test_golden_review_has_both_parts() -> None:
    review = golden_review()
    assert review.baseline is not None
    assert review.inventory is not None
    assert make_review(golden_report()) is None
