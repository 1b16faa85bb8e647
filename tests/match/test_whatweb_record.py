"""Facts carried over from WhatWeb's camera plugins (issue 13, item 5).

``signatures/fingerprints-whatweb.yaml`` and the brands it appended to
``signatures/vendors_brands.yaml``: each fingerprint names the plugin file it was read from, none
fires on a device that is not a camera, and the strings the plugins quote are identified as the
plugins say (plugin file cited per case)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scanner.match import load_signatures
from scanner.models import DeviceType, Protocol, ServiceResult
from tests.corpus import fired_on_others, load_all

SIGS = load_signatures()
SIGNATURES = Path(__file__).resolve().parents[2] / "signatures"
WHATWEB = yaml.safe_load((SIGNATURES / "fingerprints-whatweb.yaml").read_text(encoding="utf-8"))
WHATWEB_IDS = frozenset(fp["id"] for fp in WHATWEB["fingerprints"])
SOURCE = re.compile(r"Source: urbanadventurer/WhatWeb plugins/[\w.-]+\.rb\.?$")
NEW_BRANDS = ("intellinet", "orite", "bluenet", "vpon", "biromsoft", "visiongs")


@pytest.mark.parametrize("fp", WHATWEB["fingerprints"], ids=lambda fp: fp["id"])
def test_every_whatweb_fingerprint_names_its_plugin(fp: dict[str, object]) -> None:
    assert SOURCE.search(" ".join(str(fp.get("description", "")).split())), fp["id"]
    assert fp["device_type"] in ("camera", "recorder")
    assert fp.get("counter_examples"), fp["id"]


def test_no_whatweb_fingerprint_fires_on_a_device_that_is_not_a_camera() -> None:
    assert len(load_all()[1]) > 500
    assert fired_on_others(SIGS, WHATWEB_IDS) == []


def _vendor_id(name: str | None) -> str | None:
    vendor = SIGS.vendor(name)
    return vendor.id if vendor else None


def _http(**fields: str) -> ServiceResult:
    return ServiceResult(80, Protocol.HTTP, fields=fields)


@pytest.mark.parametrize(
    ("fields", "vendor", "kind"),
    [
        # plugins/intellinet-ip-camera.rb
        (
            {"http.title": "INTELLINET NETWORK SOLUTIONS: Network IP Camera Homepage"},
            "intellinet",
            DeviceType.CAMERA,
        ),
        # plugins/orite-301-camera.rb
        ({"http.title": "Orite IC301"}, "orite", DeviceType.CAMERA),
        # plugins/bluenet-video-server.rb
        ({"http.title": "BlueNet Video Viewer Version 1.06b"}, "bluenet", DeviceType.CAMERA),
        # plugins/vpon.rb
        ({"http.server": "VPON Server/1.0"}, "vpon", DeviceType.CAMERA),
        # plugins/biromsoft-webcam.rb, plugins/visiongs-webcam.rb
        ({"http.title": "Biromsoft WebCam"}, "biromsoft", DeviceType.CAMERA),
        ({"http.body": "<!-- VisionGS Still Code Begin -->"}, "visiongs", DeviceType.CAMERA),
        # plugins/my-webcamxp-server.rb: a webcam server, not an unknown device
        ({"http.title": "my webcamXP server!"}, "moonware", DeviceType.CAMERA),
        # plugins/chance-i-divis-dvr.rb: the DVR is a recorder
        (
            {"http.server": "Techno Vision Security System Ver. 2.0"},
            "techno-vision",
            DeviceType.RECORDER,
        ),
        # plugins/AVTech-video-web-server.rb
        ({"http.server": "AV787 Video Web Server"}, "avtech", DeviceType.CAMERA),
        # plugins/ACTi-Web-Configurator.rb
        (
            {"http.title": "Web Configurator - Version A1D-220-V3.12.12-AC v1.0"},
            "acti",
            DeviceType.CAMERA,
        ),
        # plugins/canon-network-camera.rb, plugins/sony-network-camera.rb
        ({"http.title": "LiveApplet"}, "canon", DeviceType.CAMERA),
        ({"http.title": "Server Push Viewer"}, "sony", DeviceType.CAMERA),
        # plugins/webeye-network-camera.rb
        ({"http.title": "WebEye User Login"}, "webgate", DeviceType.CAMERA),
        # plugins/ownserver.rb: version glued to the name
        ({"http.server": "OwnServer1.2"}, "anteco", DeviceType.RECORDER),
    ],
)
def test_plugin_strings_are_identified_as_the_plugins_say(
    fields: dict[str, str], vendor: str, kind: DeviceType
) -> None:
    got = SIGS.identify([_http(**fields)], [80], nmap_db=False)
    assert _vendor_id(got.vendor) == vendor
    assert got.device_type is kind


@pytest.mark.parametrize(
    "fields",
    [
        # Intellinet's routers carry the brand but not the camera home page
        {"http.title": "INTELLINET Wireless 150N Router"},
        # the bare words the brand entries avoid
        {"http.title": "BlueNet"},
        {"http.server": "Vpon"},
    ],
)
def test_brand_words_alone_do_not_make_a_camera(fields: dict[str, str]) -> None:
    got = SIGS.identify([_http(**fields)], [80], nmap_db=False)
    assert not set(got.fingerprint_ids) & WHATWEB_IDS
    assert got.device_type is not DeviceType.CAMERA


def test_new_brands_cite_the_plugin_they_were_read_from() -> None:
    brands = yaml.safe_load((SIGNATURES / "vendors_brands.yaml").read_text(encoding="utf-8"))
    entries = {v["id"]: v for v in brands["vendors"]}
    for brand in NEW_BRANDS:
        refs = entries[brand]["references"]
        assert any("urbanadventurer/WhatWeb/blob/master/plugins/" in r for r in refs), brand
