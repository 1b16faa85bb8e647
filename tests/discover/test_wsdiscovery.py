"""WS-Discovery: the Probe builder, the ProbeMatches/Hello/Bye parser and ONVIF scope reading."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given
from hypothesis import strategies as st

from scanner.discover.wsdiscovery import (
    WsdMatch,
    build_probe,
    is_video_transmitter,
    onvif_fields,
    parse_scopes,
    parse_wsd,
)

# A ProbeMatches as Hikvision cameras answer (ONVIF Core s7.3; WS-Discovery 2005/04).
PROBE_MATCHES = b"""<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsadis="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<env:Header>
<wsadis:MessageID>urn:uuid:11223344-5566-7788-99aa-c056e3a8c7b1</wsadis:MessageID>
<wsadis:RelatesTo>urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a</wsadis:RelatesTo>
<wsadis:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsadis:To>
<wsadis:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsadis:Action>
</env:Header>
<env:Body>
<d:ProbeMatches>
<d:ProbeMatch>
<wsadis:EndpointReference>
<wsadis:Address>urn:uuid:4de6a180-c0b0-11e3-8000-c056e3a8c7b1</wsadis:Address>
</wsadis:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming
 onvif://www.onvif.org/MAC/c0:56:e3:a8:c7:b1 onvif://www.onvif.org/hardware/DS-2CD2142FWD-I
 onvif://www.onvif.org/name/HIKVISION%20DS-2CD2142FWD-I onvif://www.onvif.org/location/city/hangzhou
 onvif://www.onvif.org/location/country/china</d:Scopes>
<d:XAddrs>http://192.0.2.64/onvif/device_service http://[fe80::c256:e3ff:fea8:c7b1]/onvif/device_service</d:XAddrs>
<d:MetadataVersion>10</d:MetadataVersion>
</d:ProbeMatch>
</d:ProbeMatches>
</env:Body>
</env:Envelope>
"""

HELLO_11 = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://www.w3.org/2005/08/addressing"
 xmlns:d="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01">
<s:Header><a:MessageID>urn:uuid:1</a:MessageID></s:Header>
<s:Body><d:Hello>
<a:EndpointReference><a:Address>urn:uuid:cam-1</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/name/AXIS%20M1065-L onvif://www.onvif.org/hardware/M1065-L</d:Scopes>
<d:XAddrs>http://192.0.2.70/onvif/device_service</d:XAddrs>
<d:MetadataVersion>1</d:MetadataVersion>
</d:Hello></s:Body></s:Envelope>"""


def test_probe_asks_for_network_video_transmitters() -> None:
    message_id, data = build_probe("urn:uuid:abc")
    assert message_id == "urn:uuid:abc"
    root = fromstring(data)
    ns = {
        "s": "http://www.w3.org/2003/05/soap-envelope",
        "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
        "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    }
    assert root.findtext("s:Header/a:MessageID", namespaces=ns) == "urn:uuid:abc"
    action = root.findtext("s:Header/a:Action", namespaces=ns)
    assert action is not None
    assert action.endswith("/discovery/Probe")
    assert root.findtext("s:Header/a:To", namespaces=ns) == (
        "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
    )
    assert root.findtext("s:Body/d:Probe/d:Types", namespaces=ns) == "dn:NetworkVideoTransmitter"
    # Our own parser reads our own probe back as a probe.
    parsed = parse_wsd(data)
    assert parsed is not None
    assert parsed.kind == "probe"
    assert build_probe()[0] != build_probe()[0]  # a fresh id per probe


def test_probe_matches_parse() -> None:
    message = parse_wsd(PROBE_MATCHES)
    assert message is not None
    assert message.kind == "probe-matches"
    assert message.relates_to == "urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a"
    (match,) = message.matches
    assert match.address == "urn:uuid:4de6a180-c0b0-11e3-8000-c056e3a8c7b1"
    assert match.types == ("dn:NetworkVideoTransmitter", "tds:Device")
    assert len(match.scopes) == 7
    assert match.xaddrs[0] == "http://192.0.2.64/onvif/device_service"
    assert match.metadata_version == "10"
    assert is_video_transmitter(match.types)


def test_scopes_give_make_model_and_place() -> None:
    message = parse_wsd(PROBE_MATCHES)
    assert message is not None
    fields = onvif_fields(message.matches[0])
    assert fields["onvif.hardware"] == "DS-2CD2142FWD-I"
    assert fields["onvif.name"] == "HIKVISION DS-2CD2142FWD-I"  # percent-decoded
    assert fields["onvif.location"] == "city/hangzhou, country/china"
    assert fields["onvif.types"] == "dn:NetworkVideoTransmitter tds:Device"
    assert fields["onvif.scopes"].startswith("onvif://www.onvif.org/type/video_encoder ")
    assert fields["onvif.xaddrs"].split()[0] == "http://192.0.2.64/onvif/device_service"


def test_hello_of_the_oasis_namespace_parses_too() -> None:
    message = parse_wsd(HELLO_11)
    assert message is not None
    assert message.kind == "hello"
    fields = onvif_fields(message.matches[0])
    assert (fields["onvif.name"], fields["onvif.hardware"]) == ("AXIS M1065-L", "M1065-L")


def test_bye_carries_only_the_endpoint() -> None:
    bye = (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        b'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        b'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Body><d:Bye>'
        b"<a:EndpointReference><a:Address>urn:uuid:x</a:Address></a:EndpointReference>"
        b"</d:Bye></s:Body></s:Envelope>"
    )
    message = parse_wsd(bye)
    assert message is not None
    assert message.kind == "bye"
    assert message.matches[0].address == "urn:uuid:x"
    assert onvif_fields(message.matches[0]) == {}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage \x00\xff",
        b"<Envelope><Body/></Envelope>",  # empty body
        b"<Envelope><Body><Resolve/></Body></Envelope>",  # not an action we read
        b"<html><Body><Hello/></Body></html>",  # not a SOAP envelope
        b"<Envelope><Body><Hello>",  # cut off
        (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Envelope><Body><Hello><Scopes>&x;</Scopes></Hello></Body></Envelope>"
        ),
        (
            b'<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<Envelope><Body><Hello><Scopes>&b;</Scopes></Hello></Body></Envelope>"
        ),
        b"<Envelope>" + b" " * (70 * 1024) + b"</Envelope>",
    ],
)
def test_malformed_or_hostile_datagrams_are_none(data: bytes) -> None:
    assert parse_wsd(data) is None


def test_a_match_with_nothing_in_it_still_parses() -> None:
    message = parse_wsd(
        b"<Envelope><Body><ProbeMatches><ProbeMatch/></ProbeMatches></Body></Envelope>"
    )
    assert message is not None
    assert message.matches == (WsdMatch("", (), (), (), ""),)


def test_scope_parsing_rules() -> None:
    parsed = parse_scopes(
        (
            "ONVIF://WWW.ONVIF.ORG/Hardware/X%2FY",  # scheme and host are case-insensitive
            "onvif://www.onvif.org/name/%E6%B5%B7%E5%BA%B7",  # UTF-8 percent-encoding
            "onvif://www.onvif.org/name/second",
            "onvif://www.onvif.org/name/",  # empty value: ignored
            "onvif://www.onvif.org/location/%ZZbad",  # a broken escape stays as written
            "http://example.com/hardware/not-onvif",
        )
    )
    assert parsed == {
        "hardware": ["X/Y"],
        "name": ["海康", "second"],
        "location": ["%ZZbad"],
    }


@given(st.binary(max_size=2048))
def test_parse_wsd_never_raises(data: bytes) -> None:
    message = parse_wsd(data)
    if message is not None:
        assert message.kind in ("probe", "probe-matches", "hello", "bye")


@given(st.lists(st.text(max_size=80), max_size=10))
def test_scopes_of_any_text_give_one_line_values(scopes: list[str]) -> None:
    prefixed = tuple("onvif://www.onvif.org/" + s for s in scopes)
    for values in parse_scopes(prefixed).values():
        for value in values:
            assert value
            assert "\n" not in value
            assert len(value) <= 256
    fields = onvif_fields(WsdMatch("urn:x", ("dn:NetworkVideoTransmitter",), prefixed, (), "1"))
    assert all(isinstance(v, str) for v in fields.values())
