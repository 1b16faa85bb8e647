from __future__ import annotations

import dataclasses
import io
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.models import Protocol, Report, ServiceResult, Severity
from scanner.report.json_report import (
    MAX_REPORT_BYTES,
    SECRET_MASK,
    ReportFormatError,
    read_json,
    render_json,
    report_from_dict,
    report_to_dict,
)
from tests.report.test_samples import (
    PASSWORD,
    TRACEBACK,
    finding,
    host,
    report,
    sample_hosts,
    sample_report,
)


def rendered(rep: Report) -> str:
    buf = io.StringIO()
    render_json(rep, buf)
    return buf.getvalue()


def test_top_level_and_nested_key_order() -> None:
    doc = report_to_dict(sample_report())
    assert list(doc) == [
        "schema_version",
        "tool",
        "started_at",
        "finished_at",
        "targets",
        "profile",
        "hosts",
        "summary",
        "notes",
        "discovery",
        "blind_spots",
        "interrupted",
    ]
    assert doc["tool"] == {"name": "camsweep", "version": "0.1.0"}
    dahua = next(h for h in doc["hosts"] if h["ip"] == "127.77.0.12")
    assert list(dahua) == [
        "ip",
        "mac",
        "mac_vendor",
        "hostnames",
        "discovered_by",
        "vendor",
        "model",
        "firmware",
        "device_type",
        "identified_by",
        "services",
        "findings",
        "risk",
        "notes",
    ]
    assert list(dahua["services"][0]) == [
        "port",
        "transport",
        "protocol",
        "product",
        "banner",
        "auth",
        "status",
        "reason",
        "tls",
        "fields",
        "open_routes",
        "accepts_any_route",
        "login_prompt",
        "redirect",
        "source",
    ]
    assert list(dahua["findings"][0]) == [
        "id",
        "title",
        "severity",
        "confidence",
        "evidence",
        "remediation",
        "references",
        "cves",
        "port",
        "secret",
        "basis",
        "unverified",
    ]


def test_content_of_one_host() -> None:
    doc = report_to_dict(sample_report())
    dahua = next(h for h in doc["hosts"] if h["ip"] == "127.77.0.12")
    assert dahua["mac"] == "AA:BB:CC:00:11:22"
    assert dahua["hostnames"] == ["dahua-cam.local"]
    assert (dahua["vendor"], dahua["model"], dahua["firmware"]) == (
        "Dahua",
        "IPC-HDW4431C-A",
        None,
    )
    assert dahua["device_type"] == "camera"
    rtsp = next(s for s in dahua["services"] if s["port"] == 554)
    assert rtsp["protocol"] == "rtsp"
    assert rtsp["auth"] == "digest"
    assert rtsp["status"] == "ok"
    # Evidence fields sorted by name, whatever order the probe inserted them in.
    assert list(rtsp["fields"]) == ["rtsp.auth", "rtsp.realm", "rtsp.server"]
    assert dahua["risk"] == {"score": 10.0, "level": "critical"}
    bare = next(h for h in doc["hosts"] if h["ip"] == "127.77.0.9")
    assert bare["services"] == []
    assert bare["findings"] == []
    assert bare["mac"] is None
    assert doc["summary"] == {
        "hosts_scanned": 256,
        "hosts_up": 6,
        "cameras": 3,
        "recorders": 1,
        "findings_by_severity": {"critical": 3, "high": 1, "medium": 1, "low": 1, "info": 1},
        "highest_risk": "critical",
    }


def test_hosts_sorted_numerically_services_by_port_findings_worst_first() -> None:
    doc = report_to_dict(sample_report())
    assert [h["ip"] for h in doc["hosts"]] == [
        "127.77.0.9",
        "127.77.0.10",
        "127.77.0.11",
        "127.77.0.12",
        "127.77.0.15",
        "127.77.0.16",
    ]
    dahua = doc["hosts"][3]
    assert [s["port"] for s in dahua["services"]] == [80, 554]
    assert [(f["severity"], f["id"]) for f in dahua["findings"]] == [
        ("critical", "default-credentials-rtsp"),
        ("high", "telnet-open"),
        ("medium", "upnp-exposed"),
        ("low", "weak-tls"),
    ]


def test_same_id_on_two_ports_is_ordered_by_port() -> None:
    rep = report(
        (
            host(
                "10.0.0.1",
                (
                    finding("telnet-open", Severity.HIGH, port=2323),
                    finding("telnet-open", Severity.HIGH, port=23),
                ),
            ),
        )
    )
    ports = [f["port"] for f in report_to_dict(rep)["hosts"][0]["findings"]]
    assert ports == [23, 2323]


def test_output_is_deterministic_whatever_the_input_order() -> None:
    hosts = sample_hosts()
    shuffled = tuple(
        dataclasses.replace(h, findings=h.findings[::-1], services=h.services[::-1])
        for h in reversed(hosts)
    )
    assert rendered(report(hosts)) == rendered(report(shuffled))


def test_secret_is_masked_with_a_fixed_width() -> None:
    text = rendered(sample_report())
    assert PASSWORD not in text
    doc = json.loads(text)
    secrets = [f["secret"] for h in doc["hosts"] for f in h["findings"] if f["secret"]]
    # Both a long and a one-character password come out as the same mask.
    assert secrets == [SECRET_MASK, SECRET_MASK]
    no_secret = [f for h in doc["hosts"] for f in h["findings"] if f["id"] == "telnet-open"]
    assert no_secret[0]["secret"] is None


def test_secret_is_shown_when_asked() -> None:
    doc = json.loads(rendered(sample_report(show_secrets=True)))
    secrets = {f["id"]: f["secret"] for h in doc["hosts"] for f in h["findings"] if f["secret"]}
    assert secrets == {"default-credentials-rtsp": PASSWORD, "default-credentials-telnet": "x"}


def test_debug_traceback_never_reaches_json() -> None:
    text = rendered(sample_report())
    assert "probe-bug-marker" not in text
    assert "Traceback" not in text
    assert "debug" not in json.loads(text)["hosts"][2]["services"][0]
    assert TRACEBACK  # the sample really carries one (see test_samples)


def test_valid_utf8_json_with_text_kept_as_is() -> None:
    rep = report(
        (
            host(
                "10.0.0.1",
                (finding("x", Severity.LOW, title="caméra 日本 \x1b[2J", evidence="bad \ud800"),),
            ),
        )
    )
    text = rendered(rep)
    raw = text.encode("utf-8")  # would raise on a lone surrogate
    assert "caméra 日本".encode() in raw
    assert b"\x1b" not in raw  # JSON escapes control characters (RFC 8259 section 7)
    doc = json.loads(raw.decode("utf-8"))
    found = doc["hosts"][0]["findings"][0]
    assert found["title"] == "caméra 日本 \x1b[2J"  # data is kept; only the terminal cleans it
    assert found["evidence"] == "bad \ufffd"
    assert text.endswith("}\n")


def test_non_finite_score_is_refused_not_written() -> None:
    rep = sample_report()
    broken_host = dataclasses.replace(
        rep.hosts[0], risk=dataclasses.replace(rep.hosts[0].risk, score=math.nan)
    )
    with pytest.raises(ValueError, match="not JSON compliant"):
        render_json(dataclasses.replace(rep, hosts=(broken_host,)), io.StringIO())


@pytest.mark.parametrize("show", [False, True])
def test_round_trip(show: bool) -> None:
    doc = report_to_dict(sample_report(show_secrets=show))
    back = report_from_dict(json.loads(json.dumps(doc)), show_secrets=show)
    assert report_to_dict(back) == doc
    assert back.show_secrets is show


def test_round_trip_keeps_the_models() -> None:
    rep = sample_report(show_secrets=True)
    back = report_from_dict(report_to_dict(rep), show_secrets=True)
    original = {h.ip: h for h in rep.hosts}
    for got in back.hosts:
        want = original[got.ip]
        assert set(got.findings) == set(want.findings)
        # debug is never written, so it is the one thing that cannot come back.
        expected = sorted((dataclasses.replace(s, debug=None) for s in want.services), key=repr)
        assert sorted(got.services, key=repr) == expected
        assert got.identification.vendor == want.identification.vendor
        assert got.risk == want.risk
    assert back.summary == rep.summary


def test_masked_secret_stays_masked_after_conversion() -> None:
    back = report_from_dict(report_to_dict(sample_report()), show_secrets=True)
    secrets = {f.secret for h in back.hosts for f in h.findings if f.secret}
    assert secrets == {SECRET_MASK}


def test_read_json_round_trip() -> None:
    text = rendered(sample_report())
    assert rendered(read_json(io.StringIO(text))) == text


def _valid_doc() -> dict[str, Any]:
    return report_to_dict(sample_report())


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.update(extra=1), "$"),
        (lambda d: d.pop("summary"), "$"),
        (lambda d: d["hosts"][3]["findings"][0].update(severity="urgent"), "severity"),
        (lambda d: d["hosts"][3]["risk"].update(score=11), "score"),
        (lambda d: d["hosts"][3]["risk"].update(score=-0.1), "score"),
        (lambda d: d["hosts"][3]["services"][0].update(port="80"), "port"),
        (lambda d: d["hosts"][3]["services"][0].update(port=70000), "port"),
        (lambda d: d["hosts"][3]["services"][0].update(debug="x"), "services"),
        (lambda d: d["hosts"][3].update(mac="not-a-mac"), "mac"),
        (lambda d: d["hosts"][3].update(ip="cam.local"), "ip"),
        (lambda d: d["hosts"][3].update(device_type="toaster"), "device_type"),
        (lambda d: d["hosts"][3]["services"][0].update(auth="ntlm"), "auth"),
        (lambda d: d["hosts"][3]["services"][0].update(tls="yes"), "tls"),
        (lambda d: d["hosts"][1]["findings"][0].update(cves=["2017-7921"]), "cves"),
        (lambda d: d.update(started_at="yesterday"), "started_at"),
        (lambda d: d.update(schema_version="2.0"), "schema_version"),
        (lambda d: d["summary"]["findings_by_severity"].pop("info"), "findings_by_severity"),
        (lambda d: d["summary"].update(hosts_up=True), "hosts_up"),
    ],
)
def test_wrong_documents_are_rejected(mutate: Any, where: str) -> None:
    doc = _valid_doc()
    mutate(doc)
    with pytest.raises(ReportFormatError, match="not a camsweep report") as info:
        report_from_dict(doc)
    assert where in str(info.value)


def test_nan_score_is_rejected_although_the_schema_cannot_see_it() -> None:
    doc = _valid_doc()
    doc["hosts"][0]["risk"]["score"] = math.nan
    with pytest.raises(ReportFormatError, match="score"):
        report_from_dict(doc)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        "null",
        '"report"',
        '{"schema_version": NaN}',
        "Infinity",
        "1" * 5000,  # longer than Python's int parsing limit
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser's recursion limit
        '{"a": "\x1b[2J"}',
    ],
)
def test_read_json_rejects_garbage_with_its_own_error(text: str) -> None:
    with pytest.raises(ReportFormatError) as info:
        read_json(io.StringIO(text))
    assert "\x1b" not in str(info.value)


def test_read_json_rejects_oversized_input() -> None:
    class Endless(io.StringIO):
        def read(self, size: int | None = -1, /) -> str:
            assert size is not None
            assert size > 0  # a bounded read, never "everything"
            return " " * size

    with pytest.raises(ReportFormatError, match="larger than"):
        read_json(Endless())
    assert MAX_REPORT_BYTES >= 1024 * 1024


def test_read_json_reports_undecodable_bytes() -> None:
    src = io.TextIOWrapper(io.BytesIO(b'{"a": "\xff\xfe"}'), encoding="utf-8")
    with pytest.raises(ReportFormatError, match="UTF-8"):
        read_json(src)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(json_values)
def test_arbitrary_json_raises_only_report_format_error(value: Any) -> None:
    with pytest.raises(ReportFormatError):
        report_from_dict(value)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


_DOC_PATHS = _paths(_valid_doc())


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.sampled_from(_DOC_PATHS), json_values)
def test_mutated_reports_load_or_fail_cleanly(path: tuple[Any, ...], value: Any) -> None:
    doc = _valid_doc()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        back = report_from_dict(doc)
    except ReportFormatError:
        return
    # Whatever was accepted must render again into a valid document.
    report_from_dict(report_to_dict(back))


def test_tcp_service_with_udp_transport_round_trips() -> None:
    service = ServiceResult(1900, Protocol.TCP, transport="udp")
    rep = report((dataclasses.replace(host("10.0.0.1"), services=(service,)),))
    assert report_from_dict(report_to_dict(rep)).hosts[0].services == (service,)
