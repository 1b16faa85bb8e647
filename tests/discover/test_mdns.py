"""mDNS/DNS-SD: TXT parsing (RFC 6763 s6), instance names and records -> instances."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zeroconf import const
from zeroconf._dns import DNSAddress, DNSPointer, DNSService, DNSText
from zeroconf._protocol.incoming import DNSIncoming
from zeroconf._protocol.outgoing import DNSOutgoing

from scanner.discover.mdns import (
    CAMERA_SERVICE_TYPES,
    MdnsInstance,
    mdns_fields,
    mdns_service,
    parse_txt,
    services_from_records,
    signature_service_types,
    split_instance,
)
from scanner.models import Protocol


def txt(*strings: bytes) -> bytes:
    return b"".join(bytes([len(s)]) + s for s in strings)


def test_txt_pairs_booleans_and_first_key_wins() -> None:
    rdata = txt(b"Model=M3045-V", b"fw=10.12", b"model=ignored", b"secure", b"empty=", b"c#=2")
    assert parse_txt(rdata) == {"model": "M3045-V", "fw": "10.12", "secure": "", "empty": ""}


@pytest.mark.parametrize(
    ("rdata", "expected"),
    [
        (b"", {}),
        (b"\x00", {}),  # an empty string: RFC 6763 s6.1's "no attributes"
        (b"\x0amodel=X", {}),  # the length runs past the end: stop
        (txt(b"a=1") + b"\x05ab", {"a": "1"}),
        (txt(b"=novalue"), {}),  # s6.4: a key is at least one character
        (txt("md=Caméra\u202e".encode()), {"md": "Caméra\u202e"}),  # kept, made safe later
        (txt(b"fw=\xff\xfe"), {"fw": "\ufffd\ufffd"}),
        (txt(b"k\x00ey=1", b"bad key=2", b"ok.key_1=3"), {"ok.key_1": "3"}),
    ],
)
def test_txt_edge_cases(rdata: bytes, expected: dict[str, str]) -> None:
    assert parse_txt(rdata) == expected


@given(st.binary(max_size=1024))
def test_parse_txt_never_raises_and_keys_are_field_safe(rdata: bytes) -> None:
    for key, value in parse_txt(rdata).items():
        assert key == key.lower()
        assert key[0].isalnum()
        assert len(value) <= 256


def test_instance_name_is_split_from_its_type() -> None:
    assert split_instance("Front door._rtsp._tcp.local.", "_rtsp._tcp.local.") == "Front door"
    assert split_instance("odd-name.", "_rtsp._tcp.local.") == "odd-name"


def test_fields_and_pseudo_service() -> None:
    instance = MdnsInstance(
        "_axis-video._tcp",
        "AXIS M3045-V - ACCC8E123456",
        "axis-accc8e123456.local",
        80,
        {"macaddress": "ACCC8E123456"},
    )
    service = mdns_service(instance)
    assert service.protocol is Protocol.MDNS
    assert service.port == 5353
    assert service.transport == "udp"
    assert (
        service.fields
        == mdns_fields(instance)
        == {
            "mdns.service_type": "_axis-video._tcp",
            "mdns.instance": "AXIS M3045-V - ACCC8E123456",
            "mdns.hostname": "axis-accc8e123456.local",
            "mdns.txt.macaddress": "ACCC8E123456",
        }
    )


def announcement() -> bytes:
    """An mDNS announcement (RFC 6762 s8.3) as a responder sends it, built with zeroconf."""
    out = DNSOutgoing(const._FLAGS_QR_RESPONSE | const._FLAGS_AA)
    name = "Circle View._hap._tcp.local."
    ttl = 120
    out.add_answer_at_time(
        DNSPointer("_hap._tcp.local.", const._TYPE_PTR, const._CLASS_IN, ttl, name), 0
    )
    out.add_answer_at_time(
        DNSService(name, const._TYPE_SRV, const._CLASS_IN, ttl, 0, 0, 8080, "cv-1.local."), 0
    )
    out.add_answer_at_time(
        DNSText(name, const._TYPE_TXT, const._CLASS_IN, ttl, txt(b"md=Circle View", b"ci=17")), 0
    )
    out.add_answer_at_time(
        DNSAddress(
            "cv-1.local.", const._TYPE_A, const._CLASS_IN, ttl, socket.inet_aton("192.0.2.9")
        ),
        0,
    )
    (packet,) = out.packets()
    return packet


def test_records_of_an_announcement_become_one_instance() -> None:
    message = DNSIncoming(announcement())
    assert message.valid
    (instance,) = services_from_records(message.answers())
    assert instance == MdnsInstance(
        service_type="_hap._tcp",
        instance="Circle View",
        hostname="cv-1.local",
        port=8080,
        txt={"md": "Circle View", "ci": "17"},
        addresses=("192.0.2.9",),
    )


def test_records_that_name_no_service_give_nothing() -> None:
    meta = DNSPointer(
        "_services._dns-sd._udp.local.",
        const._TYPE_PTR,
        const._CLASS_IN,
        120,
        "_rtsp._tcp.local.",
    )
    stray = DNSText("not-a-service.local.", const._TYPE_TXT, const._CLASS_IN, 120, txt(b"a=b"))
    assert services_from_records([meta, stray, object()]) == []


def test_signatures_name_the_service_types_to_browse() -> None:
    from scanner.match import load_signatures  # noqa: PLC0415
    from scanner.match.matchers import Matcher, MatchKind  # noqa: PLC0415

    class Fp:
        def __init__(self, *matchers: Matcher) -> None:
            self.matchers = matchers

    fps = [
        Fp(Matcher("mdns.service_type", MatchKind.EQUALS, "_axis-video._tcp")),
        Fp(Matcher("mdns.service_type", MatchKind.WORD, "_hap._tcp")),
        Fp(Matcher("mdns.service_type", MatchKind.EQUALS, "_axis-video._tcp")),  # once
        Fp(Matcher("mdns.service_type", MatchKind.EQUALS, "_nvr._tcp", negative=True)),
        Fp(Matcher("mdns.service_type", MatchKind.EQUALS, "not a type")),
        Fp(Matcher("http.title", MatchKind.EQUALS, "_rtsp._tcp")),
    ]
    assert signature_service_types(fps) == ("_axis-video._tcp", "_hap._tcp")
    shipped = signature_service_types(load_signatures().fingerprints)
    assert all(t.startswith("_") for t in shipped)
    # Vendor types are browsed because a signature names them, not because code does.
    assert "_axis-video._tcp" in shipped
    assert not any("axis" in t for t in CAMERA_SERVICE_TYPES)
