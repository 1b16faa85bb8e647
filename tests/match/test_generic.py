"""The generic classifier, vendor from text, and nmap's database as a second opinion.

Strings are real ones: nmap-service-probes match lines (line numbers cited), rapid7/recog's
examples (file cited) and the project's own lab devices (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.match import SignatureError, load_signatures
from scanner.match.engine import Evidence
from scanner.match.generic import classify, tables_for
from scanner.match.identify_data import classifier_data, load_classifier
from scanner.match.nmapdb import NmapDB, answers_from_fields, default_db, parse_probes
from scanner.models import DeviceType, Protocol, ServiceResult

SIGS = load_signatures()


def ident(*services: ServiceResult, ports: tuple[int, ...] = (), nmap: bool = False):  # type: ignore[no-untyped-def]
    open_ports = sorted({s.port for s in services} | set(ports))
    return SIGS.identify(list(services), open_ports, nmap_db=nmap)


def http(**fields: str) -> ServiceResult:
    return ServiceResult(80, Protocol.HTTP, fields={"http.status": "200", **fields})


def test_a_recorder_no_fingerprint_knows_is_a_probable_recorder_with_its_clues() -> None:
    # nmap-service-probes line 10034 (CP Plus DVR): <title>CPPLUS DVR \u2013Web View</title>
    got = ident(http(**{"http.title": "CPPLUS DVR \u2013Web View"}))
    assert got.device_type is DeviceType.RECORDER
    assert got.fingerprint_ids == ()
    line = next(x for x in got.identified_by if x.startswith("probable recorder"))
    assert "title on port 80 says 'DVR'" in line
    assert "generic classifier" in line
    # the brand run together ("CPPLUS" for CP PLUS) still names its maker
    vendor = SIGS.vendor(got.vendor)
    assert vendor is not None
    assert vendor.id == "cpplus"


def test_words_in_other_languages_count() -> None:
    for title in ("Netzwerkkamera Live", "Caméra IP", "Cámara de red", "Telecamera", "网络摄像机"):
        got = ident(http(**{"http.title": title}))
        assert got.device_type is DeviceType.CAMERA, title


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        # false friends: each carries a camera-ish word and is not a camera
        ({"http.title": "Synology Surveillance Station", "http.server": "nginx"}, "NAS app"),
        ({"http.title": "Plex Media Server"}, "media server"),
        ({"http.title": "TiVo DVR"}, "TV recorder"),
        ({"http.title": "Polycom RealPresence Group 500 - Camera"}, "conferencing"),
        ({"http.title": "HP LaserJet MFP M426fdw", "http.body": "Scan to Email"}, "printer"),
    ],
)
def test_false_friends_are_not_cameras(fields: dict[str, str], why: str) -> None:
    got = ident(http(**fields))
    assert got.device_type not in (DeviceType.CAMERA, DeviceType.RECORDER), why


def test_page_words_alone_do_not_make_a_camera() -> None:
    # A 3-D printer host (OctoPrint) shows its webcam on its page: corpus others.yaml
    got = ident(http(**{"http.title": "OctoPrint", "http.body": '<img id="webcam_image">'}))
    assert got.device_type is not DeviceType.CAMERA


def test_rtsp_alone_is_not_a_camera_but_rtsp_with_video_and_login_is() -> None:
    bare = ServiceResult(554, Protocol.RTSP, fields={"rtsp.public": "OPTIONS, DESCRIBE, PLAY"})
    assert ident(bare).device_type is DeviceType.UNKNOWN
    video = ServiceResult(
        554,
        Protocol.RTSP,
        fields={
            "rtsp.public": "OPTIONS, DESCRIBE, PLAY",
            "rtsp.sdp": "v=0\r\ns=Media Presentation\r\nm=video 0 RTP/AVP 96\r\n",
        },
    )
    assert ident(video).device_type is DeviceType.CAMERA
    # a media server answering DESCRIBE with video is still a media server
    wowza = ServiceResult(
        554, Protocol.RTSP, fields={**video.fields, "rtsp.server": "Wowza Streaming Engine 4.7.7"}
    )
    assert ident(wowza).device_type is not DeviceType.CAMERA


def test_vendor_from_a_model_number_in_an_ftp_greeting() -> None:
    # Axis FTP greeting (signatures/nmap.yaml example, nmap-service-probes line 687)
    ftp = ServiceResult(
        21,
        Protocol.TCP,
        fields={"ftp.banner": "220 AXIS M1031-W Network Camera 5.20 (Jan 20 2011) ready."},
    )
    got = ident(ftp)
    assert got.device_type is DeviceType.CAMERA
    assert got.vendor == "Axis"


def test_an_oem_badge_named_beside_its_makers_model_wins() -> None:
    # LTS sells Hikvision firmware (vendors.yaml family): its UPnP manufacturer and a DS-2CD
    # model in the realm
    upnp = ServiceResult(0, Protocol.SSDP, fields={"ssdp.manufacturer": "LTS"})
    got = ident(http(**{"http.realm": "DS-2CD2142FWD-I"}), upnp)
    assert got.vendor == "LTS"
    assert got.device_type is DeviceType.CAMERA


def test_ambiguous_and_short_names_do_not_name_a_vendor_from_free_text() -> None:
    # "Ubuntu 16.04.4 LTS" (rapid7/recog xml/telnet_banners.xml) is no LTS camera
    telnet = ServiceResult(
        23,
        Protocol.TELNET,
        fields={"telnet.banner": "Ubuntu 16.04.4 LTS\r\nserver login:", "telnet.prompt": "login:"},
    )
    assert ident(telnet).vendor is None


def test_a_fingerprints_answer_is_never_overridden() -> None:
    # the lab printer's own banner (docs/architecture.md) with a camera word in its realm: the
    # printer fingerprint has decided, the classifier does not overrule it
    server = (
        "HP HTTP Server; HP LaserJet Pro M404dn - W1A52A; Serial Number: PHBXX00000; "
        "Built:Mon Jan 10, 2022 FW 002.2201A"
    )
    got = ident(
        http(
            **{
                "http.server": server,
                "http.title": "HP LaserJet Pro M404dn",
                "http.realm": "IP Camera",
            }
        )
    )
    assert got.device_type is DeviceType.OTHER
    assert not any(line.startswith("probable") for line in got.identified_by)


def test_explanations_name_field_port_and_weight() -> None:
    sigs = SIGS
    ev = Evidence.from_services([http(**{"http.realm": "DVR", "http.title": "Live View"})], [80])
    verdict = classify(sigs, ev)
    line = verdict.line(classifier_data().threshold)
    assert line is not None
    assert "realm on port 80 names 'DVR' (+55)" in line
    assert "title on port 80 says 'Live View' (+50)" in line


def test_classifier_data_refuses_bad_files() -> None:
    good = (classifier_data_text("classifier.yaml"), classifier_data_text("models.yaml"))
    load_classifier(*good)
    with pytest.raises(SignatureError, match="nested quantifier"):
        load_classifier(good[0].replace("'\\b(?:routers?|", "'(a+)+\\b(?:routers?|"), good[1])
    with pytest.raises(SignatureError, match="false friends weigh"):
        load_classifier(good[0].replace("weight: -90", "weight: 90", 1), good[1])
    with pytest.raises(SignatureError, match="https"):
        load_classifier(
            good[0], good[1].replace("source: 'https://www.hikvision.com", "source: 'ftp://x", 1)
        )


def classifier_data_text(name: str) -> str:
    from pathlib import Path  # noqa: PLC0415

    return (Path(__file__).resolve().parents[2] / "signatures" / "identify" / name).read_text()


def test_every_model_shape_names_a_known_vendor() -> None:
    known = {v.id for v in SIGS.vendors}
    assert {m.vendor for m in classifier_data().models} <= known
    assert len(tables_for(SIGS).models) == len(classifier_data().models)


def test_the_brand_table_is_big_and_sourced() -> None:
    from pathlib import Path  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    doc = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "signatures" / "vendors_brands.yaml").read_text()
    )
    brands = doc["vendors"]
    assert len(brands) >= 200
    assert all(b.get("references") for b in brands)
    assert sum(1 for b in brands if b.get("family")) >= 70  # OEM badges name their maker


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["http.title", "http.realm", "http.body", "telnet.banner", "ftp.banner", "rtsp.sdp"]
        ),
        st.text(max_size=300),
    )
)
def test_the_classifier_never_raises_on_any_text(fields: dict[str, str]) -> None:
    ev = Evidence.from_services([ServiceResult(80, Protocol.HTTP, fields=fields)], [80])
    verdict = classify(SIGS, ev)
    assert verdict.device_type in DeviceType


# --- nmap's database -------------------------------------------------------------------------

PROBES = (
    "Probe TCP NULL q||\n"
    "match ftp m|^220 Welcome to (DCS-\\w+) FTP Server\\r\\n$| p/D-Link $1 webcam ftpd/ d/webcam/\n"
    "match http m|^HTTP/1\\.[01] 200 OK\\r\\nServer: Motion/([\\d.]+)\\r\\n| "
    "p/Motion Camera httpd/ v/$1/ d/webcam/\n"
    "match foo m|(?<=x)(?P=bad)| p/Broken/ d/printer/\n"
    "match bar m|^(a+)+$| p/Backtracker/ d/printer/\n"
    "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
    "match http m|^HTTP/1\\.1 200 OK\\r\\n.*<title>HP LaserJet|s "
    "p/HP LaserJet http config/ d/printer/\n"
)


def test_nmap_lines_that_python_cannot_run_are_counted_and_skipped() -> None:
    lines, skipped = parse_probes(PROBES)
    assert [line.service for line in lines] == ["ftp", "http", "http"]
    assert skipped == 2


def test_nmap_lines_match_the_answers_camsweep_already_holds() -> None:
    db = NmapDB.from_text(PROBES)
    answers = answers_from_fields(
        [
            (21, {"ftp.banner": "220 Welcome to DCS-932L FTP Server"}),
            (80, {"http.status": "200", "http.title": "HP LaserJet Pro"}),
        ]
    )
    hits = db.match(answers)
    assert [(h.product, h.camera, h.port) for h in hits] == [
        ("D-Link DCS-932L webcam ftpd", True, 21),
        ("HP LaserJet http config", False, 80),
    ]
    # GetRequest answers fall back on the NULL probe's lines, as nmap does
    motion = db.match(
        answers_from_fields([(80, {"http.status": "200", "http.server": "Motion/3.2.12"})])
    )
    assert [h.line.line for h in motion] == [3]


@pytest.mark.skipif(
    default_db() is None, reason="nmap-service-probes not installed (.ci/run installs nmap)"
)
def test_the_installed_nmap_database_is_a_marked_second_opinion() -> None:
    db = default_db()
    assert db is not None
    assert len(db.lines) > 1000
    # nmap-service-probes line 1225: BusyBox ftpd of a D-Link DCS-932L (d/webcam); no camsweep
    # fingerprint knows it (line 1060's "Welcome to DCS-..." has one now: dlink-dcs-ftp)
    ftp = ServiceResult(21, Protocol.TCP, fields={"ftp.banner": "220 Operation successful"})
    got = SIGS.identify([ftp], [21])
    assert got.device_type is DeviceType.CAMERA
    assert any("source=nmap-db" in line for line in got.identified_by)
    without = SIGS.identify([ftp], [21], nmap_db=False)
    assert not any("source=nmap-db" in line for line in without.identified_by)


def test_the_parsed_database_is_cached_as_json_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.match import nmapdb  # noqa: PLC0415

    probes = tmp_path / "nmap-service-probes"
    probes.write_text(PROBES, encoding="latin-1")
    monkeypatch.setenv("CAMSWEEP_NMAP_PROBES", str(probes))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    nmapdb._load_default.cache_clear()
    try:
        first = nmapdb.default_db()
        cached = list((tmp_path / "cache" / "camsweep").glob("*.json"))
        assert len(cached) == 1
        nmapdb._load_default.cache_clear()
        second = nmapdb.default_db()
        assert first is not None
        assert second is not None
        assert second is not first
        assert second.lines == first.lines
        assert second.skipped == first.skipped
        # a damaged cache is ignored, not trusted
        cached[0].write_text('{"lines": [["x"]]}', encoding="utf-8")
        nmapdb._load_default.cache_clear()
        third = nmapdb.default_db()
        assert third is not None
        assert third.lines == first.lines
    finally:
        monkeypatch.undo()
        nmapdb._load_default.cache_clear()
