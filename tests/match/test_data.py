"""Credentials, routes, ports and stats as the other stages consume them; user layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.match import SignatureError, load_signatures
from scanner.match.schema import CredentialProtocol
from scanner.models import Protocol

SIGS = load_signatures()


def _pairs(vendor: str | None, protocol: str) -> list[tuple[str, str]]:
    return [(p.username, p.password) for p in SIGS.credentials_for(vendor, protocol)]


def test_vendor_pairs_come_first_then_generic_without_duplicates() -> None:
    dahua = _pairs("Dahua", "rtsp")
    assert dahua[:3] == [("admin", "admin"), ("888888", "888888"), ("666666", "666666")]
    assert ("admin", "12345") in dahua[3:]
    assert len(dahua) == len(set(dahua))
    assert dahua.count(("admin", "admin")) == 1
    assert _pairs("Hikvision", "http")[0] == ("admin", "12345")
    assert _pairs("Axis", "rtsp")[0] == ("root", "pass")
    assert _pairs("Foscam", "http")[0] == ("admin", "")
    assert _pairs("Reolink", "rtsp")[0] == ("admin", "")


def test_xiongmai_telnet_starts_with_the_mirai_pairs() -> None:
    assert _pairs("Xiongmai", "telnet")[:2] == [("root", "xc3511"), ("root", "xmhdipc")]
    # vizxv and 7ujMko0admin are Dahua's (DefaultCreds files them under Dahua), not Xiongmai's.
    xiongmai_own = [
        (p.username, p.password)
        for e in SIGS.credentials
        if e.vendor == "xiongmai"
        for p in e.pairs
    ]
    assert ("root", "vizxv") not in xiongmai_own
    assert ("root", "7ujMko0admin") not in xiongmai_own
    assert _pairs("Dahua", "telnet")[:2] == [("root", "vizxv"), ("root", "7ujMko0admin")]
    assert _pairs("XMEye", "telnet") == _pairs("xiongmai", "telnet")  # aliases resolve
    assert ("admin", "") in _pairs("Xiongmai", "http")


def test_unknown_or_missing_vendor_gets_generic_and_https_uses_http() -> None:
    generic = _pairs(None, "rtsp")
    assert generic[0] == ("admin", "admin")
    assert _pairs("Nonexistent Corp", "rtsp") == generic
    assert _pairs("Dahua", "https") == _pairs("Dahua", "http")
    assert _pairs("Dahua", "HTTP") == _pairs("Dahua", "http")
    assert _pairs("Dahua", "gopher") == []
    assert _pairs(None, "telnet")[0] == ("root", "xc3511")


def test_issue_14_credential_fixes() -> None:
    bosch = _pairs("Bosch", "http")
    assert bosch[:3] == [("service", "service"), ("user", "user"), ("live", "live")]
    assert not any(user == "admin" for user, _ in bosch[:3])
    http = CredentialProtocol.HTTP
    (tplink,) = [
        p for e in SIGS.credentials if e.vendor == "tplink" and e.protocol is http for p in e.pairs
    ]
    assert tplink.line is not None
    assert "NC" in tplink.line
    assert "Tapo" in tplink.line
    telnet = _pairs(None, "telnet")
    assert ("admin", "4321") in telnet  # the Mirai entry its comment mislabels as admin/1234
    assert ("mother", "fucker") not in telnet
    (hik,) = [
        p
        for e in SIGS.credentials
        if e.vendor == "hikvision" and e.protocol is http
        for p in e.pairs
    ]
    assert hik.line is not None
    assert "activation" in hik.line
    dahua = [p for e in SIGS.credentials if e.vendor == "dahua" for p in e.pairs]
    assert all(p.reference for p in dahua)
    assert any(p.line and "2017" in p.line for p in dahua)


def test_every_shipped_pair_cites_where_it_is_published() -> None:
    for entry in SIGS.credentials:
        assert entry.protocol in set(CredentialProtocol)
        for pair in entry.pairs:
            assert pair.reference, (entry.vendor, pair.username, pair.password)


def test_routes() -> None:
    generic = SIGS.routes_for(None)
    assert len(generic) <= 12
    for route in (
        "/live/ch0",
        "/live/ch1",
        "/h264",
        "/live.sdp",
        "/stream1",
        "/11",
        "/cam/realmonitor?channel=1&subtype=0",
        "/Streaming/Channels/101",
        "/axis-media/media.amp",
    ):
        assert route in generic
    dahua = SIGS.routes_for("Dahua")
    assert dahua[:2] == [
        "/cam/realmonitor?channel=1&subtype=0",
        "/cam/realmonitor?channel=1&subtype=1",
    ]
    assert len(dahua) == len(set(dahua))
    assert SIGS.routes_for("Hikvision")[0] == "/Streaming/Channels/101"
    assert SIGS.routes_for("unknown vendor") == generic


def test_ports() -> None:
    required = {
        23: "telnet",
        80: "http",
        81: "http",
        88: "http",
        443: "https",
        554: "rtsp",
        8000: "tcp",
        8080: "http",
        8443: "https",
        8554: "rtsp",
        8899: "http",
        9527: "tcp",
        9530: "tcp",
        34567: "tcp",
        37777: "tcp",
    }
    assert set(required) <= set(SIGS.default_ports())
    assert list(SIGS.default_ports()) == sorted(SIGS.default_ports())
    protocols = SIGS.port_protocols()
    for port, proto in required.items():
        assert protocols[port] is Protocol(proto)
    assert all(p.name and p.description for p in SIGS.ports)


def test_stats() -> None:
    stats = SIGS.stats()
    assert stats["fingerprints"] == len(SIGS.fingerprints)
    assert stats["vulnerabilities"] == len(SIGS.vulnerabilities)
    assert stats["ports"] == len(SIGS.ports) >= 15
    assert stats["cves"] >= 3
    assert all(isinstance(v, int) for v in stats.values())


def test_vendor_lookup_spellings() -> None:
    vendor = SIGS.vendor("d-link")
    assert vendor is not None
    assert vendor.id == "dlink"
    assert SIGS.vendor("Hangzhou Hikvision Digital Technology") == SIGS.vendor("hikvision")
    assert SIGS.vendor("generic") is None
    assert SIGS.vendor(None) is None


USER = """
vendors:
  - {id: acme, name: ACME Vision}
fingerprints:
  - id: dahua-web-service-title
    vendor: acme
    device_type: recorder
    weight: 70
    match: [{field: http.title, equals: WEB SERVICE}]
    examples:
      - fields: {http.title: WEB SERVICE}
        expect: {vendor: acme, device_type: recorder}
credentials:
  - vendor: dahua
    protocol: rtsp
    pairs: [{username: owner, password: mine, note: the installer's setting}]
ports:
  - {port: 554, protocol: rtsp, name: rtsp, description: overridden}
  - {port: 10554, protocol: rtsp, name: rtsp-lab, description: lab RTSP without root}
routes:
  generic: [/mine]
  vendors:
    - {vendor: dahua, main: [/dahua/mine]}
"""


def test_user_layer_extends_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(USER, encoding="utf-8")
    sigs = load_signatures([tmp_path])
    fp = next(f for f in sigs.fingerprints if f.id == "dahua-web-service-title")
    assert fp.vendor == "acme"
    assert len(sigs.fingerprints) == len(SIGS.fingerprints)  # replaced, not added
    assert sigs.credentials_for("Dahua", "rtsp")[0].username == "owner"
    assert sigs.credentials_for("Dahua", "rtsp")[1].username == "admin"
    assert sigs.port_protocols()[10554] is Protocol.RTSP
    assert next(p for p in sigs.ports if p.port == 554).description == "overridden"
    assert sigs.routes_for(None)[0] == "/mine"
    assert sigs.routes_for("Dahua")[0] == "/dahua/mine"
    assert sigs.routes_for("Dahua")[1] == "/mine"
    # The shipped set is untouched by loading a user layer.
    assert load_signatures().routes_for(None)[0] == "/live/ch0"


def test_missing_user_directory_is_a_signature_error(tmp_path: Path) -> None:
    with pytest.raises(SignatureError) as info:
        load_signatures([tmp_path / "missing"])
    (error,) = info.value.errors
    assert error.message == "no such file or directory"
