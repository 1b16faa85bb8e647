"""The lab's emulated SSDP and WS-Discovery responders, without a network: what they answer.

The scanner's parsers read what the responders write, so the two independent halves meet on
the wire format (the namespace lab then checks it over real sockets).
"""

from __future__ import annotations

import pytest

from scanner.discover.ssdp import build_msearch, parse_description, parse_ssdp
from scanner.discover.wsdiscovery import build_probe, onvif_fields, parse_wsd
from scanner.lab.devices import OnvifIdentity, SsdpIdentity
from scanner.lab.responders import SsdpResponder, WsdResponder, ssdp_description

SSDP = SsdpIdentity(
    uuid="u-1",
    manufacturer="Hikvision & Co <b>",
    model_name="DS-2CD2032-I",
    firmware="V5.2.5",
    description_port=49152,
)
ONVIF = OnvifIdentity(
    uuid="u-2",
    scopes=("onvif://www.onvif.org/hardware/M1065-L", "onvif://www.onvif.org/name/AXIS%20M1065-L"),
)


class Captured:
    def __init__(self) -> None:
        self.replies: list[tuple[list[bytes], tuple[str, int]]] = []

    def __call__(self, messages: list[bytes], addr: tuple[str, int]) -> None:
        self.replies.append((messages, addr))


def test_description_escapes_and_parses_back() -> None:
    fields = parse_description(ssdp_description(SSDP))
    assert fields["ssdp.manufacturer"] == "Hikvision & Co <b>"
    assert fields["ssdp.model_name"] == "DS-2CD2032-I"
    assert fields["ssdp.firmware"] == "V5.2.5"
    assert fields["ssdp.friendly_name"] == "DS-2CD2032-I"  # defaults to the model


@pytest.mark.parametrize(
    ("st", "answers"),
    [("ssdp:all", 3), ("upnp:rootdevice", 1), ("uuid:u-1", 1), ("urn:other:device:1", 0)],
)
def test_ssdp_answers_matching_searches(
    monkeypatch: pytest.MonkeyPatch, st: str, answers: int
) -> None:
    responder = SsdpResponder("198.18.0.11", SSDP, announce_interval=1.0)
    captured = Captured()
    monkeypatch.setattr(responder, "reply_later", captured)
    responder.received(build_msearch(st, 1), ("198.18.0.2", 40000))
    if not answers:
        assert captured.replies == []
        return
    ((messages, addr),) = captured.replies
    assert addr == ("198.18.0.2", 40000)
    assert len(messages) == answers
    for data in messages:
        message = parse_ssdp(data)
        assert message is not None
        assert message.kind == "response"
        assert message.header("location") == "http://198.18.0.11:49152/description.xml"


def test_ssdp_ignores_searches_without_man_and_other_datagrams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    responder = SsdpResponder("198.18.0.11", SSDP, announce_interval=1.0)
    captured = Captured()
    monkeypatch.setattr(responder, "reply_later", captured)
    responder.received(b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n", ("198.18.0.2", 1))
    responder.received(b"\xff\x00garbage", ("198.18.0.2", 1))
    assert captured.replies == []


def test_ssdp_announcements_are_notifies_the_scanner_reads() -> None:
    responder = SsdpResponder("198.18.0.11", SSDP, announce_interval=1.0)
    alive = [parse_ssdp(m) for m in responder.announcements()]
    assert all(m is not None and m.kind == "notify" for m in alive)
    assert {m.header("nts") for m in alive if m} == {"ssdp:alive"}
    assert {m.header("nts") for m in map(parse_ssdp, responder.goodbyes()) if m} == {"ssdp:byebye"}


def test_wsd_answers_our_probe_with_a_related_match(monkeypatch: pytest.MonkeyPatch) -> None:
    responder = WsdResponder("198.18.0.13", ONVIF, announce_interval=1.0)
    captured = Captured()
    monkeypatch.setattr(responder, "reply_later", captured)
    message_id, probe = build_probe()
    responder.received(probe, ("198.18.0.2", 40001))
    ((messages, addr),) = captured.replies
    assert addr == ("198.18.0.2", 40001)
    answer = parse_wsd(messages[0])
    assert answer is not None
    assert answer.kind == "probe-matches"
    assert answer.relates_to == message_id
    fields = onvif_fields(answer.matches[0])
    assert fields["onvif.name"] == "AXIS M1065-L"
    assert fields["onvif.xaddrs"] == "http://198.18.0.13/onvif/device_service"


def test_wsd_ignores_probes_for_other_types_and_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    responder = WsdResponder("198.18.0.13", ONVIF, announce_interval=1.0)
    captured = Captured()
    monkeypatch.setattr(responder, "reply_later", captured)
    _, probe = build_probe()
    responder.received(probe.replace(b"NetworkVideoTransmitter", b"Printer"), ("198.18.0.2", 1))
    responder.received(b"<not xml", ("198.18.0.2", 1))
    responder.received(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', ("198.18.0.2", 1))
    assert captured.replies == []
    hello = parse_wsd(responder.announcements()[0])
    bye = parse_wsd(responder.goodbyes()[0])
    assert hello is not None
    assert hello.kind == "hello"
    assert bye is not None
    assert bye.kind == "bye"
