"""Facts carried over from other scanners' public records (issue 13, item 5).

``signatures/fingerprints-public.yaml`` (fingerprints), ``signatures/vendors_aliases.yaml``
(brands and badges) and the model shapes added to ``signatures/identify/models.yaml``: each names
its source, none fires on a device that is not a camera, and the strings the records quote are
identified as the records say (nmap-service-probes line numbers and Tenable plugin 33523 entries
cited per case)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scanner.match import load_signatures
from scanner.match.identify_data import classifier_data
from scanner.models import DeviceType, Protocol, ServiceResult
from tests.corpus import fired_on_others, load_all

SIGS = load_signatures()
SIGNATURES = Path(__file__).resolve().parents[2] / "signatures"
PUBLIC = yaml.safe_load((SIGNATURES / "fingerprints-public.yaml").read_text(encoding="utf-8"))
ALIASES = yaml.safe_load((SIGNATURES / "vendors_aliases.yaml").read_text(encoding="utf-8"))
PUBLIC_IDS = frozenset(fp["id"] for fp in PUBLIC["fingerprints"])
SOURCE = re.compile(
    r"Sources?: .*(?:nmap/nmap nmap-service-probes line|Tenable plugin 33523|"
    r"urbanadventurer/WhatWeb|dootss/shodan-dorks|ZoneMinder/zoneminder|blakeblackshear/frigate|"
    r"Greenbone)",
    re.DOTALL,
)


@pytest.mark.parametrize("fp", PUBLIC["fingerprints"], ids=lambda fp: fp["id"])
def test_every_public_fingerprint_names_its_source(fp: dict[str, object]) -> None:
    assert SOURCE.search(" ".join(str(fp.get("description", "")).split())), fp["id"]
    assert fp["device_type"] in ("camera", "recorder")


def test_no_public_fingerprint_fires_on_a_device_that_is_not_a_camera() -> None:
    assert len(load_all()[1]) > 500
    assert fired_on_others(SIGS, PUBLIC_IDS) == []


def _vendor_id(name: str | None) -> str | None:
    vendor = SIGS.vendor(name)
    return vendor.id if vendor else None


def _svc(port: int, protocol: Protocol, **fields: str) -> ServiceResult:
    return ServiceResult(port, protocol, fields=fields)


@pytest.mark.parametrize(
    ("service", "vendor", "kind"),
    [
        # nmap-service-probes line 1038: Panasonic WV-NP1000 FTP greeting
        (
            _svc(21, Protocol.TCP, **{"ftp.banner": "220 PrNET FTP server (PrNET FTP 2.1) ready."}),
            "ipro",
            DeviceType.CAMERA,
        ),
        # line 4496: Bosch Dinion Telnet greeting
        (
            _svc(
                23,
                Protocol.TCP,
                **{"telnet.banner": "Welcome to Dinion-IP-NWC 10.1.1.2 from 10.1.1.9"},
            ),
            "bosch",
            DeviceType.CAMERA,
        ),
        # line 8860: Panasonic BB-HCM511A realm
        (
            _svc(80, Protocol.HTTP, **{"http.realm": "GeneralUser/Administrator"}),
            "ipro",
            DeviceType.CAMERA,
        ),
        # line 7983: DVSS Herculese DVR
        (
            _svc(80, Protocol.HTTP, **{"http.server": "DVSS-HttpServer/2.3"}),
            "herculese",
            DeviceType.RECORDER,
        ),
        # line 12156: Y-cam HomeMonitor HD Pro RTSP server
        (
            _svc(554, Protocol.RTSP, **{"rtsp.server": "HomeMonitor HD Pro"}),
            "y-cam",
            DeviceType.CAMERA,
        ),
        # Tenable 33523 entry "Sony SNC-Z20 webcam": NetZoom/1.02
        (_svc(80, Protocol.HTTP, **{"http.server": "NetZoom/1.02"}), "sony", DeviceType.CAMERA),
        # Tenable 33523 entry "Hikvision Digital Video Server"
        (
            _svc(
                80,
                Protocol.HTTP,
                **{
                    "http.server": "WindWeb/",
                    "http.title": "newocx",
                    "http.body": 'codebase="../codebase/NewHCNetActiveX.cab',
                },
            ),
            "hikvision",
            DeviceType.CAMERA,
        ),
    ],
)
def test_recorded_strings_are_identified_as_the_records_say(
    service: ServiceResult, vendor: str, kind: DeviceType
) -> None:
    got = SIGS.identify([service], [service.port], nmap_db=False)
    assert _vendor_id(got.vendor) == vendor
    assert got.device_type is kind


def test_gordian_on_http_alone_is_not_named_iqinvision() -> None:
    # nmap-service-probes lines 7083-7085: the same Server header on Lantronix serial servers
    got = SIGS.identify(
        [_svc(80, Protocol.HTTP, **{"http.server": "Gordian Embedded5.0"})], [80], nmap_db=False
    )
    assert _vendor_id(got.vendor) != "iqinvision"


@pytest.mark.parametrize(
    ("title", "vendor", "kind"),
    [
        ("Welcome to EDR1600--login", "everfocus", DeviceType.RECORDER),  # Tenable 33523
        ("SNC-Z20 HOME", "sony", DeviceType.CAMERA),  # Tenable 33523
        ("WJ-NT104 MAIN PAGE", "ipro", DeviceType.CAMERA),  # Tenable 33523
    ],
)
def test_model_numbers_from_the_record_name_maker_and_kind(
    title: str, vendor: str, kind: DeviceType
) -> None:
    got = SIGS.identify([_svc(80, Protocol.HTTP, **{"http.title": title})], [80], nmap_db=False)
    assert _vendor_id(got.vendor) == vendor
    assert got.device_type is kind


def test_added_model_shapes_cite_a_source() -> None:
    for shape in classifier_data().models:
        assert shape.source.startswith("https://"), shape


def test_every_alias_table_brand_cites_where_it_was_seen() -> None:
    ids = {v.id: v for v in SIGS.vendors}
    ambiguous = {n.lower() for n in classifier_data().ambiguous_names}
    for entry in ALIASES["vendors"]:
        assert entry["references"], entry["id"]
        assert all(str(r).startswith("https://") for r in entry["references"]), entry["id"]
        family = entry.get("family")
        if family:
            assert ids[family].family is None, entry["id"]
        assert entry["name"].lower() not in ambiguous, entry["id"]


def test_a_badge_names_its_maker() -> None:
    assert SIGS.vendor("hilook") is not None
    assert SIGS.vendor("hilook").family == "hikvision"  # type: ignore[union-attr]


# --- Round 2: RTSP method lists (issue 13, item 5) ---------------------------------------------

AXIS_LIST = "DESCRIBE, GET_PARAMETER, PAUSE, PLAY, SETUP, SET_PARAMETER, TEARDOWN"
GSTREAMER_LIST = "DESCRIBE, GET_PARAMETER, OPTIONS, PAUSE, PLAY, SETUP, SET_PARAMETER, TEARDOWN"
HIKVISION_LIST = "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"
LIVE555_LIST = "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER"
DIVAR_PAGE = "The requested URL '' was not found on the Divar."


@pytest.mark.parametrize(
    ("fields", "vendor"),
    [
        # nmap-service-probes line 12103 / 12116: Axis, alphabetical, no OPTIONS, no Server
        ({"rtsp.public": "DESCRIBE, GET_PARAMETER, PAUSE, PLAY, SETUP, TEARDOWN"}, "axis"),
        ({"rtsp.public": AXIS_LIST}, "axis"),
        # line 12122: Cisco WVC54GCA's PING method
        ({"rtsp.public": "OPTIONS,DESCRIBE,SETUP,PLAY,PING,PAUSE,TEARDOWN"}, "cisco"),
        # line 14560: Hikvision's order, no Server
        (
            {"rtsp.public": HIKVISION_LIST},
            "hikvision",
        ),
    ],
)
def test_rtsp_method_lists_from_the_record_name_the_camera(
    fields: dict[str, str], vendor: str
) -> None:
    got = SIGS.identify([_svc(554, Protocol.RTSP, **fields)], [554], nmap_db=False)
    assert _vendor_id(got.vendor) == vendor
    assert got.device_type is DeviceType.CAMERA


@pytest.mark.parametrize(
    "fields",
    [
        # GStreamer's rtsp-server (the Axis order, but OPTIONS listed and the server named)
        {
            "rtsp.public": GSTREAMER_LIST,
            "rtsp.server": "GStreamer RTSP server",
        },
        {
            "rtsp.public": AXIS_LIST,
            "rtsp.server": "GStreamer RTSP server",
        },
        # live555's lists (nmap lines 12133-12137 name NUUO, D-Link, Planet and live555 itself)
        {"rtsp.public": LIVE555_LIST},
        {"rtsp.header.allow": "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE"},
        # a list many small servers send (Vivotek's, line 12125, is one of them)
        {"rtsp.public": "OPTIONS, DESCRIBE, PLAY, SETUP, TEARDOWN"},
    ],
)
def test_common_rtsp_lists_name_no_maker(fields: dict[str, str]) -> None:
    got = SIGS.identify([_svc(554, Protocol.RTSP, **fields)], [554], nmap_db=False)
    assert not set(got.fingerprint_ids) & PUBLIC_IDS
    assert got.vendor is None


@pytest.mark.parametrize(
    ("service", "vendor", "kind"),
    [
        # line 7777: Canon WebView VB150
        (
            _svc(80, Protocol.HTTP, **{"http.server": "VB150", "http.title": "WebView Livescope"}),
            "canon",
            DeviceType.CAMERA,
        ),
        # line 11358 / 8737: the realm "server" left unquoted at its end
        (
            _svc(
                80,
                Protocol.HTTP,
                **{"http.realm": "server", "http.header.www-authenticate": 'Basic realm="server'},
            ),
            "avtech",
            DeviceType.RECORDER,
        ),
        # line 7442: Bosch DIVAR
        (
            _svc(80, Protocol.HTTP, **{"http.body": DIVAR_PAGE}),
            "bosch",
            DeviceType.RECORDER,
        ),
        # WhatWeb plugins/webguard.rb: NOVUS
        (_svc(80, Protocol.HTTP, **{"http.title": "WebGuard Login"}), "novus", DeviceType.RECORDER),
    ],
)
def test_round_two_pages_are_identified_as_the_records_say(
    service: ServiceResult, vendor: str, kind: DeviceType
) -> None:
    got = SIGS.identify([service], [service.port], nmap_db=False)
    assert _vendor_id(got.vendor) == vendor
    assert got.device_type is kind


def test_a_properly_quoted_server_realm_is_not_avtech() -> None:
    got = SIGS.identify(
        [
            _svc(
                80,
                Protocol.HTTP,
                **{"http.realm": "server", "http.header.www-authenticate": 'Basic realm="server"'},
            )
        ],
        [80],
        nmap_db=False,
    )
    assert _vendor_id(got.vendor) != "avtech"
