"""Facts carried over from projectdiscovery/nuclei-templates (issue 13, item 5).

``signatures/fingerprints-nuclei.yaml``: each fingerprint names the template it was read from,
none fires on a device that is not a camera or recorder, and the strings the templates match on
are identified as the templates say (template path cited per case)."""

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
NUCLEI = yaml.safe_load((SIGNATURES / "fingerprints-nuclei.yaml").read_text(encoding="utf-8"))
NUCLEI_IDS = frozenset(fp["id"] for fp in NUCLEI["fingerprints"])
SOURCE = re.compile(r"Source: projectdiscovery/nuclei-templates http/[\w/.-]+\.yaml")


def _vendor_id(name: str | None) -> str | None:
    vendor = SIGS.vendor(name)
    return vendor.id if vendor else None


def _identify(**fields: str) -> tuple[str | None, DeviceType, tuple[str, ...]]:
    got = SIGS.identify([ServiceResult(80, Protocol.HTTP, fields=fields)], [80], nmap_db=False)
    return _vendor_id(got.vendor), got.device_type, tuple(got.fingerprint_ids)


@pytest.mark.parametrize("fp", NUCLEI["fingerprints"], ids=lambda fp: fp["id"])
def test_every_nuclei_fingerprint_names_its_template(fp: dict[str, object]) -> None:
    assert SOURCE.search(" ".join(str(fp.get("description", "")).split())), fp["id"]
    assert fp["device_type"] in ("camera", "recorder")


def test_the_nuclei_fingerprints_are_loaded() -> None:
    loaded = {fp.id for fp in SIGS.fingerprints}
    assert loaded >= NUCLEI_IDS


def test_no_nuclei_fingerprint_fires_on_a_device_that_is_not_a_camera() -> None:
    assert len(load_all()[1]) > 500
    assert fired_on_others(SIGS, NUCLEI_IDS) == []


@pytest.mark.parametrize(
    ("fields", "vendor", "kind", "fingerprint"),
    [
        # http/iot/nuuo-network-login.yaml
        (
            {"http.title": "NUUO Network Video Recorder Login"},
            "nuuo",
            DeviceType.RECORDER,
            "nuuo-nvr-login-title",
        ),
        # http/exposed-panels/blue-iris-login.yaml
        (
            {"http.title": "Blue Iris Login"},
            "blueiris",
            DeviceType.RECORDER,
            "blueiris-login-title",
        ),
        # http/exposed-panels/avigilon-panel.yaml, both languages
        (
            {"http.title": "Login - Avigilon Control Center Gateway"},
            "avigilon",
            DeviceType.RECORDER,
            "avigilon-acc-gateway-title",
        ),
        (
            {"http.title": "Iniciar sesión - Puerta de enlace de Avigilon Control Center"},
            "avigilon",
            DeviceType.RECORDER,
            "avigilon-acc-gateway-title",
        ),
        # http/exposed-panels/securityspy-detect.yaml
        (
            {"http.title": "SecuritySpy"},
            "ben-software",
            DeviceType.RECORDER,
            "ben-software-securityspy-title",
        ),
        # http/iot/webcamxp-5.yaml and http/iot/xp-webcam.yaml
        ({"http.title": "webcamXP 5"}, "moonware", DeviceType.CAMERA, "moonware-webcamxp5-title"),
        (
            {"http.body": "webcams and ip cameras server for windows"},
            "moonware",
            DeviceType.CAMERA,
            "moonware-webcamxp-tagline-body",
        ),
        # http/exposed-panels/acti-panel.yaml
        (
            {"http.title": "Web Configurator", "http.body": "ACTi"},
            "acti",
            DeviceType.CAMERA,
            "acti-web-configurator",
        ),
        # http/exposed-panels/avtech-avn801-camera-panel.yaml
        (
            {
                "http.body": "IP Surveillance for Your Life avtech "
                '<a href="/cgi-bin/guest/Login.cgi?rnd=1">'
            },
            "avtech",
            DeviceType.CAMERA,
            "avtech-avn801-login-body",
        ),
        # http/iot/mobotix-guest-camera.yaml
        ({"http.body": "MOBOTIX"}, "mobotix", DeviceType.CAMERA, "mobotix-guest-page-body"),
        # http/exposed-panels/lorex-panel.yaml: the Dahua title alone is Dahua, with "lorex" Lorex
        (
            {"http.title": "WEB SERVICE", "http.body": "lorex"},
            "lorex",
            DeviceType.CAMERA,
            "lorex-web-service-body",
        ),
        ({"http.body": "/LOREX_webplugin"}, "lorex", DeviceType.CAMERA, "lorex-webplugin-body"),
        ({"http.body": "lorex_msg"}, "lorex", DeviceType.CAMERA, "lorex-webplugin-body"),
        # http/exposed-panels/amcrest-login.yaml
        (
            {"http.body": "Amcrest Technologies LDAPUser"},
            "amcrest",
            DeviceType.CAMERA,
            "amcrest-ldap-login-body",
        ),
        # http/technologies/hikvision-detect.yaml
        (
            {"http.body": "Hikvision Digital Technology"},
            "hikvision",
            DeviceType.CAMERA,
            "hikvision-copyright-body",
        ),
        # http/default-logins/brickcom-camera-default-login.yaml
        (
            {"http.body": "Brickcom Corporation wledctl.cgi"},
            "brickcom",
            DeviceType.CAMERA,
            "brickcom-corporation-body",
        ),
    ],
)
def test_template_strings_are_identified_as_the_templates_say(
    fields: dict[str, str], vendor: str, kind: DeviceType, fingerprint: str
) -> None:
    got_vendor, got_kind, ids = _identify(**fields)
    assert got_vendor == vendor
    assert got_kind is kind
    assert fingerprint in ids


def test_blue_iris_version_is_read_from_the_login_page() -> None:
    got = SIGS.identify(
        [
            ServiceResult(
                80,
                Protocol.HTTP,
                fields={
                    "http.title": "Blue Iris Login",
                    "http.body": 'var bi_version = "5.7.3.1";',
                },
            )
        ],
        [80],
        nmap_db=False,
    )
    assert got.firmware == "5.7.3.1"


def test_dahua_web_service_without_lorex_stays_dahua() -> None:
    # http/exposed-panels/dahua-web-panel.yaml: the same title on Dahua's own firmware
    vendor, kind, ids = _identify(**{"http.title": "WEB SERVICE", "http.body": "<div></div>"})
    assert vendor == "dahua"
    assert kind is DeviceType.CAMERA
    assert not set(ids) & NUCLEI_IDS


@pytest.mark.parametrize(
    "fields",
    [
        # generic strings the templates also match on, which name no maker
        {"http.title": "XVR LOGIN"},  # http/exposed-panels/xvr-login.yaml
        {"http.title": "Network Camera"},  # http/iot/network-camera-detect.yaml
        {"http.title": "Web Configurator"},  # acti-panel.yaml without ACTi in the page
        {"http.body": "Active Directory"},  # no word "ACTi"
    ],
)
def test_generic_template_strings_name_no_maker_from_this_file(fields: dict[str, str]) -> None:
    _, _, ids = _identify(**fields)
    assert not set(ids) & NUCLEI_IDS
