"""The pure UPnP IGD parts: the read-only request builder, and parsers fed real and hostile bytes.

Fixtures ``fixtures/miniupnpd-2.3.1-*.xml`` are the bytes Debian's miniupnpd 2.3.1 (nftables
backend) served in the namespace lab of test_miniupnpd_netns.py: its description, its
WANIPConnection:2 service description, and its answers to each read action (captured with
scanner/lab/router_netns.py; the forwards were 8080->198.18.0.12:80 and 8554->:554, TCP).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.router.igd import (
    MAPPING_WRITE_ACTIONS,
    ReadAction,
    SoapFault,
    build_natpmp_request,
    build_soap_request,
    forward_from_fields,
    parse_igd_description,
    parse_natpmp,
    parse_port_listing,
    parse_scpd,
    parse_soap_response,
    same_host_url,
)

FIXTURES = Path(__file__).parent / "fixtures"
URL = "http://198.18.0.1:5000/rootDesc.xml"
WANIP2 = "urn:schemas-upnp-org:service:WANIPConnection:2"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"miniupnpd-2.3.1-{name}.xml").read_bytes()


# --- the request builder: reads only ---------------------------------------------------------


@pytest.mark.parametrize(
    "action", [*MAPPING_WRITE_ACTIONS, "SetConnectionType", "ForceTermination"]
)
def test_no_write_action_can_be_built(action: str) -> None:
    with pytest.raises(ValueError, match="is not a valid ReadAction"):
        build_soap_request(action, WANIP2, {})  # type: ignore[arg-type]


def test_every_read_action_builds_a_soap_call() -> None:
    headers, body = build_soap_request(
        ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY, WANIP2, {"NewPortMappingIndex": 3}
    )
    assert headers["SOAPAction"] == f'"{WANIP2}#GetGenericPortMappingEntry"'
    assert b"<NewPortMappingIndex>3</NewPortMappingIndex>" in body
    assert b'<u:GetGenericPortMappingEntry xmlns:u="' + WANIP2.encode() in body
    for action in (ReadAction.GET_EXTERNAL_IP_ADDRESS, ReadAction.GET_STATUS_INFO):
        _, body = build_soap_request(action, WANIP2)
        assert f"<u:{action.value} ".encode() in body


@pytest.mark.parametrize(
    ("action", "arguments", "message"),
    [
        # The arguments of AddPortMapping cannot ride along on a read action.
        (ReadAction.GET_STATUS_INFO, {"NewInternalClient": "1.2.3.4"}, "takes no argument"),
        (ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY, {}, "needs NewPortMappingIndex"),
        (ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY, {"NewPortMappingIndex": "1</x>"}, "plain"),
        (ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY, {"NewPortMappingIndex": "1 2"}, "plain"),
    ],
)
def test_request_arguments_are_allow_listed(
    action: ReadAction, arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_soap_request(action, WANIP2, arguments)


@pytest.mark.parametrize(
    "service",
    [
        "urn:schemas-upnp-org:service:Layer3Forwarding:1",
        'urn:schemas-upnp-org:service:WANIPConnection:1"><x',
        "urn:schemas-upnp-org:service:WANIPConnection:10",
    ],
)
def test_service_type_must_be_a_wan_connection(service: str) -> None:
    with pytest.raises(ValueError, match="not a WAN connection service"):
        build_soap_request(ReadAction.GET_STATUS_INFO, service)


# --- miniupnpd's real answers ----------------------------------------------------------------


def test_miniupnpd_description() -> None:
    desc = parse_igd_description(fixture("rootDesc"), URL)
    assert desc.device_type == "urn:schemas-upnp-org:device:InternetGatewayDevice:2"
    assert desc.manufacturer == "Debian"
    (service,) = desc.services
    assert service.service_type == WANIP2
    assert service.control_url == "http://198.18.0.1:5000/ctl/IPConn"
    assert service.scpd_url == "http://198.18.0.1:5000/WANIPCn.xml"
    assert service.version == 2
    assert desc.device_protection  # miniupnpd 2.3 lists DeviceProtection:1


def test_miniupnpd_service_description_offers_mapping_writes() -> None:
    actions = parse_scpd(fixture("WANIPCn"))
    assert {"AddPortMapping", "AddAnyPortMapping", "DeletePortMapping"} <= actions
    assert {a.value for a in ReadAction} <= actions


def test_miniupnpd_answers() -> None:
    entry = parse_soap_response(fixture("entry0"), ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY)
    forward = forward_from_fields(entry)
    assert forward is not None
    assert (forward.external_port, forward.protocol) in ((8080, "TCP"), (8554, "TCP"))
    assert forward.internal_client == "198.18.0.12"
    with pytest.raises(SoapFault) as fault:
        parse_soap_response(fixture("entry9"), ReadAction.GET_GENERIC_PORT_MAPPING_ENTRY)
    assert fault.value.code == 713
    ext = parse_soap_response(fixture("external-ip"), ReadAction.GET_EXTERNAL_IP_ADDRESS)
    assert ext == {"NewExternalIPAddress": ""}  # a reserved WAN address is not given out
    status = parse_soap_response(fixture("status"), ReadAction.GET_STATUS_INFO)
    assert status["NewConnectionStatus"] == "Connected"
    listing = parse_soap_response(fixture("list-tcp"), ReadAction.GET_LIST_OF_PORT_MAPPINGS)
    forwards = parse_port_listing(listing["NewPortListing"])
    assert {(f.external_port, f.internal_port) for f in forwards} == {(8080, 80), (8554, 554)}


def test_answer_to_another_action_is_refused() -> None:
    with pytest.raises(ValueError, match="GetStatusInfoResponse"):
        parse_soap_response(fixture("external-ip"), ReadAction.GET_STATUS_INFO)


# --- where a description may send us ----------------------------------------------------------


def test_control_urls_off_the_router_are_not_followed() -> None:
    xml = (
        b'<root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://203.0.113.9/</URLBase>'
        b"<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
        b"<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1"
        b"</serviceType><controlURL>http://203.0.113.9:80/ctl</controlURL></service><service>"
        b"<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>"
        b"<controlURL>/ctl/ip</controlURL><SCPDURL>https://198.18.0.1/x.xml</SCPDURL></service>"
        b"</serviceList></device></root>"
    )
    desc = parse_igd_description(xml, URL)
    (service,) = desc.services
    # URLBase pointing elsewhere is ignored: relative URLs resolve against the description.
    assert service.control_url == "http://198.18.0.1:5000/ctl/ip"
    assert service.scpd_url == ""  # https or another port: not followed
    assert desc.refused_urls == ("http://203.0.113.9:80/ctl",)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/a.xml", "http://198.18.0.1:5000/a.xml"),
        ("b.xml", "http://198.18.0.1:5000/b.xml"),
        ("http://198.18.0.1:5000/c#frag", "http://198.18.0.1:5000/c"),
        ("http://198.18.0.1/c", None),  # another port
        ("http://198.18.0.2:5000/c", None),
        ("file:///etc/passwd", None),
        ("http://[::1", None),
    ],
)
def test_same_host_url(reference: str, expected: str | None) -> None:
    assert same_host_url(reference, URL) == expected


def test_hostile_xml_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><root>&b;</root>'
    )
    for parse in (lambda b: parse_igd_description(b, URL), parse_scpd):
        with pytest.raises(ValueError, match="not usable XML"):
            parse(bomb)
    with pytest.raises(ValueError, match="larger than"):
        parse_scpd(b"<scpd>" + b" " * 70_000 + b"</scpd>")


def test_deep_device_trees_are_bounded() -> None:
    inner = (
        b"<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1"
        b"</serviceType><controlURL>/deep</controlURL></service></serviceList>"
    )
    xml = inner
    for _ in range(20):
        xml = b"<device>" + xml + b"</device>"
        xml = b"<deviceList>" + xml + b"</deviceList>"
    doc = b"<root><device>" + xml + b"</device></root>"
    assert parse_igd_description(doc, URL).services == ()  # deeper than a real IGD: ignored


# --- forwards --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"NewExternalPort": "0"},
        {"NewExternalPort": "65536"},
        {"NewInternalPort": "-1"},
        {"NewProtocol": "ICMP"},
        {"NewInternalClient": "camera.local"},
        {"NewInternalClient": "198.18.0.999"},
        {"NewExternalPort": "\u00b2"},  # a superscript two: isdigit() says yes, int() no
        {"NewInternalPort": "\u0663"},  # an Arabic-Indic three: int() would take it
    ],
)
def test_unusable_entries_are_no_forwards(changes: dict[str, str]) -> None:
    fields = {
        "NewExternalPort": "8080",
        "NewProtocol": "tcp",
        "NewInternalPort": "80",
        "NewInternalClient": "198.18.0.12",
    }
    assert forward_from_fields(fields) is not None
    assert forward_from_fields({**fields, **changes}) is None


def test_forward_fields() -> None:
    forward = forward_from_fields(
        {
            "NewExternalPort": " 8080 ",
            "NewProtocol": "udp",
            "NewInternalPort": "80",
            "NewInternalClient": "198.18.0.12",
            "NewEnabled": "0",
            "NewPortMappingDescription": "Camera\x1b[31m app",
            "NewRemoteHost": "198.51.100.7",
            "NewLeaseDuration": "3600",
        }
    )
    assert forward is not None
    assert forward.protocol == "UDP"
    assert not forward.enabled
    assert forward.remote_host == "198.51.100.7"
    assert forward.lease_seconds == 3600


# --- NAT-PMP / PCP ---------------------------------------------------------------------------


def test_natpmp() -> None:
    assert build_natpmp_request() == b"\x00\x00"  # RFC 6886 s3.2: a question, nothing else
    ok = b"\x00\x80\x00\x00\x00\x00\x10\x00\xc6\x13\x00\x01"
    assert parse_natpmp(ok) == "NAT-PMP answers (external address 198.19.0.1)"
    # miniupnpd with a reserved WAN address answers "network failure" (captured in the lab).
    assert "network failure" in (parse_natpmp(b"\x00\x80\x00\x03\x00\x00\x10\x00") or "")
    assert parse_natpmp(b"\x00\x80\x00\x01\x00\x00\x00\x00") == (
        "PCP answers (it refused the NAT-PMP version)"
    )
    assert parse_natpmp(b"\x02\x80\x00\x01" + b"\x00" * 20) == "PCP answers"
    assert parse_natpmp(b"HTTP/1.1 200 OK\r\n") is None
    assert parse_natpmp(b"\x00") is None


# --- properties: hostile bytes end in ValueError / SoapFault, never anything else -------------


@given(st.binary(max_size=2048))
def test_parsers_never_raise_anything_else(data: bytes) -> None:
    for parse in (
        lambda b: parse_igd_description(b, URL),
        parse_scpd,
        lambda b: parse_soap_response(b, ReadAction.GET_STATUS_INFO),
        lambda b: parse_port_listing(b.decode("utf-8", "replace")),
    ):
        with contextlib.suppress(ValueError, SoapFault):
            parse(data)
    parse_natpmp(data)


@given(
    st.dictionaries(
        st.sampled_from(
            ["NewExternalPort", "NewInternalPort", "NewProtocol", "NewInternalClient",
             "NewEnabled", "NewLeaseDuration", "NewRemoteHost"]
        ),
        st.text(max_size=40),
    )
)  # fmt: skip
def test_forward_from_any_fields(fields: dict[str, str]) -> None:
    forward = forward_from_fields(fields)
    if forward is not None:
        assert 0 < forward.external_port < 65536
        assert 0 < forward.internal_port < 65536
        assert forward.protocol in ("TCP", "UDP")
