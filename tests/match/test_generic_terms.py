"""The generic classifier's evidence categories, one test per term: a string a real device sent
(source cited) that must count, and a false friend that must not make a camera.

Leave-one-vendor-out (benchmarks/identify_bench.py) measures whether these generalise; these
tests pin down what each term means, so a later edit that widens or breaks one is seen here."""

from __future__ import annotations

import pytest

from scanner.match import load_signatures
from scanner.match.engine import Evidence
from scanner.match.generic import classify
from scanner.match.identify_data import classifier_data
from scanner.models import DeviceType, Protocol, ServiceResult
from tests.corpus import without

# The makers whose strings these tests use are left out, as leave-one-vendor-out does: what is
# tested is the generic evidence, not the brand tables.
SIGS = without(
    load_signatures(),
    frozenset({"arecont", "dahua", "techno-vision", "trendnet", "avigilon", "mobotix", "bosch"}),
)
DATA = classifier_data()
TERMS = {t.id: t for t in DATA.terms}
CAMERAS = (DeviceType.CAMERA, DeviceType.RECORDER)


def http(fields: dict[str, str], port: int = 80) -> ServiceResult:
    return ServiceResult(port, Protocol.HTTP, fields={"http.status": "200", **fields})


def rtsp(fields: dict[str, str], port: int = 554) -> ServiceResult:
    return ServiceResult(port, Protocol.RTSP, fields=fields)


def verdict(*services: ServiceResult):  # type: ignore[no-untyped-def]
    ev = Evidence.from_services(list(services), sorted({s.port for s in services}))
    return classify(SIGS, ev)


def clue_ids(*services: ServiceResult) -> set[str]:
    return {c.id for c in verdict(*services).clues}


def fires(term: str, text: str) -> bool:
    return TERMS[term].pattern.search(text) is not None


# --- terms: a real string counts, a false friend does not -----------------------------------


@pytest.mark.parametrize(
    ("term", "real", "false_friend"),
    [
        # RTSP Server of Avigilon cameras (nmap-service-probes line 12148; rapid7/recog example)
        ("onvif", "AvigilonOnvifNvt/2.6.0.130", "Olive Toast WebDAVServer"),
        # DVSS Herculese DVR Server header (nmap-service-probes line 7983) / a router's telnet
        # greeting "NetDVRDVS:" (line 4670, UTT Hiper 2610) and words that merely contain nvs
        ("video-device-abbrev", "DVSS-HttpServer/1.0", "Canvas NetDVRDVS: envsrv"),
        # Mobotix redirect (nmap-service-probes line 8941) / a page's favicon link (line 10129)
        ("image-endpoint", "/control/userimage.html", '<link rel="icon" type="image/icon">'),
        # Axis VAPIX: the MJPEG answer's Content-Type (AXIS 250S manual, section 5.2.7)
        ("image-endpoint", "multipart/x-mixed-replace;boundary=myboundary", "image/x-icon"),
        # Bosch DINION telnet greeting (nmap-service-probes line 4867) / BulletProof ftpd (842)
        ("camera-form", "Welcome to IP bullet 5000 HD 4.10 from 1", "220-BulletProof FTP Server"),
        # Techno Vision Server header (Tenable plugin 33523) / Blue Coat's (nmap line 7010)
        (
            "security-system",
            "Techno Vision Security System Ver. 2.0",
            "BlueCoat-Security-Appliance",
        ),
        # Dahua RTSP Server header (nmap-service-probes line 11363) / Apple's AirTunes (14407)
        ("rtsp-server-name", "Dahua Rtsp Server", "AirTunes/670.6.2"),
        # TRENDnet realm (corpus trendnet-tv-ip551wi) / a charset and a standard's name
        ("model-shape", "TV-IP551WI", "text/html; charset=ISO-8859-1 SHA-256"),
        # Hikvision DVR manual permission names (DS-7216HGHI-E2 operation manual, s13.5) /
        # Altiris's agent greeting "remote monitoring" (nmap-service-probes line 77)
        ("dvr-ui-words", "Remote Playback", "Connected to Altiris remote monitoring"),
        # StarDot NetCam XL title (WhatWeb plugin StarDot-NetCam) / "Livebox" (Orange router)
        ("camera-noun", "NetCamXL Live Image", "netcampus portal"),
        ("live-view", "Express6 Live Image", "Livebox"),
        # a streaming box says "live stream": the weaker term, not "live view"
        ("live-video", "Live Stream", "Live Viewer Count"),
        # a Turkish installer's guide title (SECURITURK, "Ağ Kamera Sistemi") / "Kamerad"
        ("camera-word", "Ag Kamerasi", "Kameradschaft"),
        # a Portuguese DVR quick-start guide ("Gravador de Vídeo Digital") / a voice recorder
        ("recorder-noun", "Gravador de Vídeo Digital", "Gravador de voz"),
        # EyezOn EnvisaLink (nmap-service-probes line 572, d/security-misc): an alarm
        # communicator, the false friend of "security system"
        ("alarm-panel", "EyezOn EnvisaLink 4", "Network Fixed Dome Camera"),
    ],
)
def test_each_term_fires_on_real_strings_and_not_on_its_false_friend(
    term: str, real: str, false_friend: str
) -> None:
    assert fires(term, real), (term, real)
    assert not fires(term, false_friend), (term, false_friend)


# --- what each new category decides on its own and with support -----------------------------


def test_onvif_in_a_server_token_makes_a_camera() -> None:
    # nmap-service-probes line 12033: HTTP Server "AvigilonOnvifNvt/<version>"
    got = verdict(http({"http.server": "AvigilonOnvifNvt/2.6.0.130"}))
    assert got.device_type in CAMERAS
    assert {"onvif", "video-device-abbrev"} <= {c.id for c in got.clues}


def test_onvif_named_only_in_a_hubs_page_is_no_camera() -> None:
    # Home Assistant lists an "ONVIF" integration on its pages: the hub is not a camera
    got = verdict(http({"http.title": "Home Assistant", "http.body": "Integrations: ONVIF"}))
    assert got.device_type not in CAMERAS


def test_a_redirect_to_a_camera_picture_page_makes_a_camera() -> None:
    # nmap-service-probes line 7833 (Mobotix): 302 to /cgi-bin/guestimage.html
    got = verdict(http({"http.status": "302", "http.location": "/cgi-bin/guestimage.html"}))
    assert got.device_type is DeviceType.CAMERA


def test_an_mjpeg_answer_to_get_slash_makes_a_camera() -> None:
    # mjpg-streamer / VAPIX answer a stream request with multipart/x-mixed-replace
    ct = "multipart/x-mixed-replace;boundary=myboundary"
    assert verdict(http({"http.header.content-type": ct})).device_type is DeviceType.CAMERA
    # a picture alone is not a camera: any web server answers image/jpeg for a photo
    plain = verdict(http({"http.header.content-type": "image/jpeg"}))
    assert plain.device_type not in CAMERAS


def test_a_printers_page_embedding_its_webcam_stream_stays_no_camera() -> None:
    # OctoPrint (corpus others.yaml printer-with-webcam-word): the stream URL sits in the page
    body = '<img id="webcam_image" src="/webcam/?action=stream"> snapshot.jpg'
    assert verdict(http({"http.title": "OctoPrint", "http.body": body})).device_type not in CAMERAS


@pytest.mark.parametrize(
    "fields",
    [
        # each a weak or abbreviated clue: below the threshold on its own
        {"http.server": "Techno Vision Security System Ver. 2.0"},  # 35
        {"http.title": "NVS"},  # 40 (A+V Link NVS page, nmap-service-probes line 9061)
        {"http.realm": "TV-IP551WI", "http.auth": "basic"},  # 15
        {"http.realm": "TL-WR841N", "http.auth": "basic"},  # a router's realm, same shape
    ],
)
def test_weak_support_alone_is_not_a_camera(fields: dict[str, str]) -> None:
    assert verdict(http(fields)).device_type not in CAMERAS


def test_weak_support_with_rtsp_is_a_camera() -> None:
    stream = rtsp({"rtsp.public": "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY"})
    got = verdict(http({"http.server": "Techno Vision Security System Ver. 2.0"}), stream)
    assert got.device_type is DeviceType.CAMERA


def test_a_named_rtsp_stack_alone_stays_below_the_threshold() -> None:
    # "RTSP is over-trusted" (issue 13): RTSP and its server's name are one witness
    got = verdict(rtsp({"rtsp.server": "Dahua Rtsp Server"}))
    assert got.device_type is DeviceType.UNKNOWN
    assert got.score < DATA.threshold


def test_the_security_system_of_an_alarm_panel_is_no_camera() -> None:
    got = verdict(http({"http.title": "EnvisaLink Security System", "http.server": "lighttpd"}))
    assert got.device_type not in CAMERAS


def test_a_known_model_number_is_not_counted_twice_as_a_bare_shape() -> None:
    ids = clue_ids(http({"http.realm": "DS-2CD2142FWD-I"}))
    assert "model-number" in ids
    assert "model-shape" not in ids


# --- structure: one login on HTTP and RTSP; receive-only RTSP ----------------------------------


def test_one_login_on_http_and_rtsp_makes_a_camera() -> None:
    # Arecont Vision cameras ask for the realm "Arecont Vision" on both (nmap-service-probes
    # lines 12000 and 12132)
    web = ServiceResult(
        80,
        Protocol.HTTP,
        fields={"http.status": "401", "http.realm": "Arecont Vision", "http.auth": "basic"},
    )
    stream = rtsp({"rtsp.realm": "arecont vision", "rtsp.auth": "basic"})
    got = verdict(web, stream)
    assert "shared-login" in {c.id for c in got.clues}
    assert got.device_type is DeviceType.CAMERA
    # different realms are two programs, not one device-wide login
    other = rtsp({"rtsp.realm": "Streaming Server", "rtsp.auth": "digest"})
    assert "shared-login" not in clue_ids(web, other)
    assert verdict(web, other).device_type not in CAMERAS


def test_a_receive_only_rtsp_server_gives_no_stream_clue() -> None:
    # Apple AirTunes (nmap-service-probes line 12108): ANNOUNCE/RECORD, no DESCRIBE
    airplay = rtsp(
        {
            "rtsp.server": "AirTunes/670.6.2",
            "rtsp.public": "ANNOUNCE, SETUP, RECORD, PAUSE, FLUSH, TEARDOWN, OPTIONS, "
            "GET_PARAMETER, SET_PARAMETER, POST, GET",
        },
        7000,
    )
    assert "rtsp-describe" not in clue_ids(airplay)
    # a server that names itself without a Public list still counts as one that serves
    assert "rtsp-describe" in clue_ids(rtsp({"rtsp.server": "Rtsp Server/2.0"}))


def test_live_view_in_a_title_is_enough_and_live_stream_is_not() -> None:
    # StarDot's NetCam title (WhatWeb plugin StarDot-NetCam): the page is the camera's picture
    assert verdict(http({"http.title": "Express6 Live Image"})).device_type in CAMERAS
    # a streaming encoder's "Live Stream" page: support only
    assert verdict(http({"http.title": "Live Stream"})).device_type not in CAMERAS
