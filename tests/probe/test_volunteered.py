"""The fields devices volunteer beside their main answer (scanner/probe/volunteered.py).

Greetings are real ones: the Axis FTP greeting signatures/nmap.yaml cites, a multi-line
greeting shaped like nmap-service-probes line 1057 (WebGate eDVR), Debian's dropbear SSH
banner; the certificate subject is rapid7/recog's x509_subjects.xml example for a Hikvision DVR."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.probe.volunteered import (
    certificate_fields,
    greeting_fields,
    html_fields,
    sdp_fields,
)
from tests.probe import certs


def test_ftp_and_ssh_greetings_are_recognised_and_others_are_not() -> None:
    axis = "220 AXIS M1031-W Network Camera 5.20 (Jan 20 2011) ready.\r\n"
    assert greeting_fields(axis) == {
        "ftp.banner": "220 AXIS M1031-W Network Camera 5.20 (Jan 20 2011) ready."
    }
    webgate = "220-eDVR FTP Server v1.0\r\n220-Welcome to DS1\r\n220 You will be disconnected\r\n"
    assert greeting_fields(webgate)["ftp.banner"].startswith("220-eDVR FTP Server v1.0 220-Welcome")
    assert greeting_fields("SSH-2.0-dropbear_2014.63\r\n") == {
        "ssh.banner": "SSH-2.0-dropbear_2014.63"
    }
    # nmap-service-probes line 1015 (Canon VB-C10) and 1093 (Panasonic WJ-HD220): two spaces
    # after the code, as sent; the fingerprints and nmap's lines need them
    canon = "220  (Ver. 3.0) Jan 15 2003 ready.\r\n"
    assert greeting_fields(canon) == {"ftp.banner": "220  (Ver. 3.0) Jan 15 2003 ready."}
    wj = "220  (WJ-HD220 FTP Server version 1.10 Ready)\r\n"
    assert greeting_fields(wj) == {"ftp.banner": "220  (WJ-HD220 FTP Server version 1.10 Ready)"}
    assert greeting_fields("SSH-2.0-X\tY\r\n") == {"ssh.banner": "SSH-2.0-X Y"}
    assert greeting_fields("LocalHost login: ") == {}
    assert greeting_fields("2200 not ftp") == {}


def test_meta_names_and_the_login_form() -> None:
    page = (
        '<html><head><META NAME="Generator" CONTENT="NVR Web 3.0">'
        "<meta name='author' content='ACME'><meta name=robots content=noindex>"
        '</head><body><form id="f1" action="/search"><input name="q"></form>'
        '<FORM action="/cgi-bin/login.cgi" method=post><input name="user">'
        '<input type="password" name="pwd"><input type="hidden" name="token"></FORM>'
    )
    fields = html_fields(page)
    assert fields["http.meta.generator"] == "NVR Web 3.0"
    assert fields["http.meta.author"] == "ACME"
    assert "http.meta.robots" not in fields
    # the form that asks for a password wins over the first one; hidden inputs are left out
    assert fields["http.form"] == "action=/cgi-bin/login.cgi; inputs: user(text), pwd(password)"


def test_unclosed_forms_end_at_the_next_form_and_hostile_pages_stay_cheap() -> None:
    page = '<form action="/a"><input name="x"><form action="/b"><input type="password" name="p">'
    assert html_fields(page)["http.form"] == "action=/b; inputs: p(password)"
    started = time.perf_counter()
    html_fields("<form" * 30000 + "<form a=" * 10000)
    assert time.perf_counter() - started < 1.0


def test_sdp_session_name_and_information_but_not_track_information() -> None:
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=Media Presentation\r\ni=Door\r\n"
        "m=video 0 RTP/AVP 96\r\ni=track1\r\n"
    )
    assert sdp_fields(sdp) == {"rtsp.sdp_session": "Media Presentation", "rtsp.sdp_info": "Door"}
    assert sdp_fields("v=0\r\ns=-\r\nm=audio 0 RTP/AVP 0\r\ni=x\r\n") == {}


def test_certificate_subject_and_issuer(tmp_path: Path) -> None:
    der, _ = certs.self_signed(
        tmp_path,
        ("COUNTRY_NAME", "CN"),
        ("STATE_OR_PROVINCE_NAME", "ZheJiang"),
        ("LOCALITY_NAME", "HangZhou"),
        ("ORGANIZATION_NAME", "HIKVISION"),
        ("ORGANIZATIONAL_UNIT_NAME", "DVRNVR"),
        ("COMMON_NAME", "www.hikvision.com"),
    )
    expected = "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"
    assert certificate_fields(der) == {"tls.subject": expected, "tls.issuer": expected}
    assert certificate_fields(b"\x30\x03garbage") == {}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_parsers_never_raise_and_values_are_one_bounded_line(text: str) -> None:
    for fields in (greeting_fields(text), html_fields(text), sdp_fields(text)):
        for value in fields.values():
            assert "\n" not in value
            assert "\r" not in value
            assert len(value) <= 512
    certificate_fields(text.encode("utf-8", "replace"))
