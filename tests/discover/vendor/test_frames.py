"""The vendor discovery framings and catalogue against answers published by others.

Every fixture's source is in tests/discover/vendor/fixtures.py. The Dahua 5050 answer is the
one exception: no capture of it was found in the public record, so it is built here from the
layout UniversalScanner's Dahua1.cs documents (and says so).
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.discover.vendor import frames
from scanner.discover.vendor.catalog import load_catalog
from scanner.discover.vendor.frames import FRAMINGS, FrameError
from tests.discover.vendor import fixtures as fx


def _read(pid: str, data: bytes) -> dict[str, str] | None:
    protocol = load_catalog().protocol(pid)
    assert protocol is not None
    return protocol.read(data)


# --- SADP ------------------------------------------------------------------------------------


def test_sadp_universalscanner_selftest() -> None:
    evidence = _read("sadp", fx.SADP_UNIVERSALSCANNER)
    assert evidence is not None
    assert evidence["discovery.model"] == "Virtual"
    assert evidence["discovery.serial"] == "Virtual-123456789"
    assert evidence["discovery.firmware"] == "V1.0build 200101"
    assert evidence["discovery.mac"] == "00-11-22-33-44-55"
    assert evidence["discovery.activated"] == "true"


def test_sadp_real_camera_answer() -> None:
    evidence = _read("sadp", fx.SADP_DS2CD2385)
    assert evidence is not None
    assert evidence["discovery.model"] == "DS-2CD2385G1-I"
    assert evidence["discovery.firmware"] == "V5.6.2build 190701"
    assert evidence["discovery.hardware"] == "V7.3 build 190626"
    assert evidence["discovery.activated"] == "true"
    protocol = load_catalog().protocol("sadp")
    assert protocol is not None
    assert protocol.device_class(evidence) == "camera"


def test_sadp_never_activated() -> None:
    # The same real answer with the one field a factory-fresh camera has different.
    data = fx.SADP_DS2CD2385.replace(b"<Activated>true<", b"<Activated>false<")
    evidence = _read("sadp", data)
    assert evidence is not None
    assert evidence["discovery.activated"] == "false"


def test_sadp_refuses_other_xml_and_its_own_probe() -> None:
    protocol = load_catalog().protocol("sadp")
    assert protocol is not None
    assert protocol.read(protocol.query()) is None  # our own multicast, looped back
    assert protocol.read(b"<root><a>1</a></root>") is None
    assert protocol.read(b'<!DOCTYPE x [<!ENTITY a "b">]><ProbeMatch>&a;</ProbeMatch>') is None


# --- DHDiscover --------------------------------------------------------------------------------


def test_dhip_amplification_writeup_answer() -> None:
    evidence = _read("dhdiscover", fx.DHIP_AMPLIFICATION)
    assert evidence is not None
    assert evidence["discovery.model"] == "IPC-HDW5421S"
    assert evidence["discovery.serial"] == "1F006E4PAX00075"
    assert evidence["discovery.firmware"] == "2.400.0.8"
    assert evidence["discovery.mac"] == "4c:11:bf:c2:0b:9d"
    assert evidence["discovery.device_class"] == "IPC"
    assert "discovery.activated" not in evidence  # old firmware: no Init field at all


def test_dhip_init_bits_from_real_answers() -> None:
    # Init 2714 (IPC-HDW1431T1-S4) and 1162 (Lorex W461ASC): low bits 2 = initialised.
    for data in (fx.DHIP_HDW1431, fx.DHIP_LOREX):
        evidence = _read("dhdiscover", data)
        assert evidence is not None
        assert evidence["discovery.activated"] == "true"
    evidence = _read("dhdiscover", fx.DHIP_HDW1431)
    assert evidence is not None
    assert evidence["discovery.firmware"] == "2.800.0000000.13.R"
    not_init = fx.DHIP_HDW1431.replace(b'"Init":2714', b'"Init":2713')
    evidence = _read("dhdiscover", not_init)
    assert evidence is not None
    assert evidence["discovery.activated"] == "false"


def test_dhip_query_is_configtool_sized_and_not_an_answer() -> None:
    protocol = load_catalog().protocol("dhdiscover")
    assert protocol is not None
    query = protocol.query()
    assert query[4:8] == b"DHIP"
    assert struct.unpack_from("<I", query, 16)[0] == 0x49
    assert protocol.read(query) is None  # DHDiscover.search is not client.notifyDevInfo


# --- Xiongmai ----------------------------------------------------------------------------------


def test_sofia_answers() -> None:
    evidence = _read("xiongmai-search", fx.SOFIA_CRYSTAL)
    assert evidence is not None
    assert evidence["discovery.p2p_id"] == "41e6853ada5e9323"
    assert evidence["discovery.mac"] == "00:12:31:08:bb:97"
    assert "discovery.firmware" not in evidence
    evidence = _read("xiongmai-search", fx.SOFIA_BESDER)
    assert evidence is not None
    assert evidence["discovery.firmware"] == "V5.00.R02.00030747.10010.349f17.0000000"
    assert evidence["discovery.build_date"] == "2020-11-24 16:47:14"


def test_sofia_query_is_the_published_one() -> None:
    protocol = load_catalog().protocol("xiongmai-search")
    assert protocol is not None
    assert protocol.query() == fx.SOFIA_QUERY
    assert frames.wrap_sofia(b"") == fx.SOFIA_QUERY
    assert protocol.read(fx.SOFIA_QUERY) is None


# --- CS2 / PPPP --------------------------------------------------------------------------------


def test_pppp_punch_packet() -> None:
    evidence = _read("cs2-lan-search", fx.PPPP_CAM_REVERSE)
    assert evidence == {
        "discovery.protocol": "cs2-lan-search",
        "discovery.p2p_id": "BATD-156362-WONJM",
    }
    protocol = load_catalog().protocol("cs2-lan-search")
    assert protocol is not None
    assert protocol.read(protocol.query()) is None


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("f1300000"),  # a LAN search, not an answer
        bytes.fromhex("f1410014") + b"\x00" * 20,  # empty prefix
        bytes.fromhex("f1410014") + b"BA D\x00\x00\x00\x00" + b"\x00" * 12,
        fx.PPPP_CAM_REVERSE[:20],  # cut short
    ],
)
def test_pppp_refuses(data: bytes) -> None:
    with pytest.raises(FrameError):
        frames.parse_pppp(data)


# --- Ubiquiti ----------------------------------------------------------------------------------


def test_ubiquiti_g3_flex() -> None:
    evidence = _read("ubiquiti", fx.UBNT_G3_FLEX)
    assert evidence is not None
    assert evidence["discovery.model"] == "UVC G3 Flex"
    assert evidence["discovery.firmware"] == "UVC.S2L.v4.75.62.67.e71c6e5.250411.1421"
    assert evidence["discovery.activated"] == "false"  # 0x17 MGMT_IS_DEFAULT = 1: unadopted
    assert evidence["discovery.ip"] == "192.168.1.222"
    protocol = load_catalog().protocol("ubiquiti")
    assert protocol is not None
    assert protocol.device_class(evidence) == "camera"


def test_ubiquiti_length_must_agree() -> None:
    with pytest.raises(FrameError):
        frames.parse_ubnt(fx.UBNT_G3_FLEX[:-1])
    with pytest.raises(FrameError):
        frames.parse_ubnt(bytes.fromhex("01000000"))  # the probe itself: no records


# --- Dahua 5050 (built from the documented layout: no public capture found) -------------------


def _dahua5050(mac: bytes, model: bytes, section3: bytes) -> bytes:
    head = bytearray(120)
    struct.pack_into("<HH", head, 0, 0x00B3, len(mac) + len(model))
    struct.pack_into("<H", head, 20, len(section3))
    head[40:47] = b"IPC-HDW"
    head[56:60] = bytes([192, 168, 1, 108])
    return bytes(head) + mac + model + section3


def test_dahua5050_layout() -> None:
    data = _dahua5050(b"3c:ef:8c:00:00:12", b"IPC-HDW4431C-A", b"SerialNo:4K01234PAZ00000\r\n")
    evidence = _read("dahua-5050", data)
    assert evidence is not None
    assert evidence["discovery.model"] == "IPC-HDW4431C-A"
    assert evidence["discovery.serial"] == "4K01234PAZ00000"
    assert evidence["discovery.ip"] == "192.168.1.108"
    protocol = load_catalog().protocol("dahua-5050")
    assert protocol is not None
    assert protocol.read(protocol.query()) is None


# --- properties: each parser raises only its own error type ----------------------------------

_PREFIXES = [b"", b"\xff\x01", b"\xf1\x41\x00\x14", b"\x01\x00", b"\x02\x06", b"\xb3\x00",
             b" \x00\x00\x00DHIP", b"<ProbeMatch>"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(FRAMINGS)),
    prefix=st.sampled_from(_PREFIXES),
    body=st.binary(max_size=400),
)
def test_parsers_raise_only_frame_error(name: str, prefix: bytes, body: bytes) -> None:
    parse = FRAMINGS[name][0]
    try:
        fields = parse(prefix + body)
    except FrameError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


@settings(max_examples=200, deadline=None)
@given(
    fixture=st.sampled_from(
        [fx.SADP_DS2CD2385, fx.DHIP_HDW1431, fx.SOFIA_BESDER, fx.PPPP_CAM_REVERSE, fx.UBNT_G3_FLEX]
    ),
    cut=st.integers(min_value=0, max_value=2000),
    flip=st.integers(min_value=0, max_value=2000),
    byte=st.integers(min_value=0, max_value=255),
)
def test_mutated_real_answers(fixture: bytes, cut: int, flip: int, byte: int) -> None:
    data = bytearray(fixture[: max(1, cut % (len(fixture) + 1))])
    data[flip % len(data)] = byte
    for protocol in load_catalog().protocols:
        evidence = protocol.read(bytes(data))  # None or evidence, never an exception
        assert evidence is None or evidence["discovery.protocol"] == protocol.id


def test_caps() -> None:
    with pytest.raises(FrameError):
        frames.parse_xml(b"<a>" + b"x" * frames.MAX_ANSWER + b"</a>")
    many = "".join(f"<T{i}>v</T{i}>" for i in range(500))
    assert len(frames.parse_xml(f"<ProbeMatch>{many}</ProbeMatch>".encode())) <= 128


# --- Bosch and Vivotek ------------------------------------------------------------------------


def test_bosch_universalscanner_selftest() -> None:
    evidence = _read("bosch", fx.BOSCH_XML_UNIVERSALSCANNER)
    assert evidence is not None
    assert evidence["discovery.model"] == "Virtual (XML)"
    assert evidence["discovery.serial"] == "12345678:12345678"
    assert evidence["discovery.mac"] == "00-11-22-33-44-55"
    protocol = load_catalog().protocol("bosch")
    assert protocol is not None
    assert protocol.reply_port == 1758
    assert not protocol.unicast
    assert protocol.read(protocol.query()) is None


def test_vivotek_layout() -> None:
    # No published Vivotek answer in text form was found: built from the layout Vivotek.cs
    # documents (session byte, magic, type-size-value records, 0x04 carrying no value).
    data = (
        bytes.fromhex("014a5d8f1c")
        + b"\x02\x06"
        + bytes.fromhex("0002d1000018")
        + b"\x03\x04"
        + bytes([198, 18, 0, 19])
        + b"\x04\x01"
        + b"\x09\x08IB8369A\x00"
    )
    evidence = _read("vivotek", data)
    assert evidence is not None
    assert evidence["discovery.model"] == "IB8369A"
    assert evidence["discovery.mac"] == "00:02:d1:00:00:18"
    protocol = load_catalog().protocol("vivotek")
    assert protocol is not None
    assert protocol.read(protocol.query()) is None
