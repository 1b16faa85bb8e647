"""The binary framings of vendor discovery answers, as pure functions: bytes in, flat fields out.

What YAML cannot say (a length in a binary header, a TLV walk, a fixed C structure) lives here;
what each field *means* lives in ``signatures/discovery/protocols.yaml``. Every parser takes one
datagram and returns a flat ``{name: text}`` map (nested JSON keys joined with dots), or raises
:class:`FrameError` and nothing else: a hostile or foreign datagram is a clear "not this
protocol", never a traceback. Values are device text: decoded with replacement, folded, capped.

The layouts are written from public descriptions, cited beside each parser and in
docs/discovery.md; no code was copied from them.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Mapping

from scanner.discover.base import device_text
from scanner.safexml import XmlError, read_xml

__all__ = [
    "FRAMINGS",
    "MAX_ANSWER",
    "FrameError",
    "parse_dahua5050",
    "parse_dhip",
    "parse_pppp",
    "parse_sofia",
    "parse_ubnt",
    "parse_vivotek",
    "parse_xml",
    "wrap_dhip",
    "wrap_sofia",
]

MAX_ANSWER = 16 * 1024  # the largest answer read; SADP and DHIP answers are about 1 KiB
_MAX_FIELDS = 128
_MAX_DEPTH = 4
_VALUE_CHARS = 256

Fields = dict[str, str]


class FrameError(ValueError):
    """The datagram is not an answer in this framing (the message says why, in one line)."""


def _check_size(data: bytes, minimum: int) -> None:
    if len(data) < minimum:
        raise FrameError(f"{len(data)} bytes, shorter than the {minimum}-byte minimum")
    if len(data) > MAX_ANSWER:
        raise FrameError(f"{len(data)} bytes, more than the {MAX_ANSWER}-byte cap")


def _put(fields: Fields, key: str, value: str) -> None:
    if len(fields) < _MAX_FIELDS and key not in fields:
        text = device_text(value, _VALUE_CHARS)
        if text:
            fields[key] = text


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --- XML (Hikvision SADP) -------------------------------------------------------------------


def parse_xml(data: bytes) -> Fields:
    """An XML answer: every child element of the root as ``Tag`` -> text (one level deeper as
    ``Parent.Tag``), plus ``_root``.

    SADP answers are one ``<ProbeMatch>`` with flat children (``DeviceDescription``,
    ``DeviceSN``, ``SoftwareVersion``, ``Activated`` ...); Bosch's are ``<root><device>...``.
    Read with defusedxml: no entities, no DTD, no external references.
    """
    _check_size(data, 8)
    try:
        root = read_xml(data)
    except XmlError as exc:
        raise FrameError(f"not XML ({exc})") from None
    fields: Fields = {"_root": _local(root.tag)}
    for child in root:
        name = _local(child.tag)
        if not name:
            continue
        if len(child):
            # One level down (Bosch: <root><device><friendlyName/>...), as "device.friendlyName".
            for grandchild in child:
                inner = _local(grandchild.tag)
                if inner and grandchild.text:
                    _put(fields, f"{name}.{inner}", grandchild.text)
        elif child.text:
            _put(fields, name, child.text)
    return fields


# --- JSON in a binary header (Dahua DHIP, Xiongmai "Sofia") -----------------------------------


def _flatten(value: object, prefix: str, fields: Fields, depth: int) -> None:
    if depth > _MAX_DEPTH or len(fields) >= _MAX_FIELDS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            _flatten(item, name, fields, depth + 1)
    elif isinstance(value, bool):
        _put(fields, prefix, "true" if value else "false")
    elif isinstance(value, int | float | str):
        _put(fields, prefix, str(value))
    # lists and nulls carry nothing the catalogue reads


def _json_fields(body: bytes, into: Fields) -> Fields:
    text = body.rstrip(b"\x00\r\n\t ").decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FrameError(f"the body is not JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise FrameError("the JSON body is not an object")
    _flatten(document, "", into, 0)
    return into


_DHIP_HEADER = 32
_DHIP_MAGIC = b"DHIP"


def wrap_dhip(payload: bytes) -> bytes:
    """A DHIP frame: header size 0x20 and ``DHIP`` (little-endian words), the body length at
    offsets 16 and 24 (UniversalScanner Dahua2.cs, the Rapid7 Lorex write-up), then the body."""
    size = len(payload)
    return struct.pack("<I4sIIIIII", 0x20, _DHIP_MAGIC, 0, 0, size, 0, size, 0) + payload


def parse_dhip(data: bytes) -> Fields:
    """A Dahua DHDiscover answer: the 32-byte DHIP header, then JSON (``client.notifyDevInfo``
    with ``params.deviceInfo.*``). The body length comes from the header, capped at what
    arrived; trailing newlines and NULs that devices add are dropped."""
    _check_size(data, _DHIP_HEADER + 2)
    if data[4:8] != _DHIP_MAGIC:
        raise FrameError("no DHIP magic at offset 4")
    (length,) = struct.unpack_from("<I", data, 16)
    body = data[_DHIP_HEADER : _DHIP_HEADER + min(length, len(data) - _DHIP_HEADER)]
    return _json_fields(body, {})


_SOFIA_HEADER = 20
_SOFIA_HEAD = 0xFF


def wrap_sofia(payload: bytes, message: int = 1530) -> bytes:
    """A Xiongmai "Sofia" frame: head 0xFF, version, session and sequence words, message id
    (little-endian u16 at offset 14) and body length (u32 at 16); python-dvr, sofiactl."""
    return struct.pack("<BBHIIHHI", _SOFIA_HEAD, 0, 0, 0, 0, 0, message, len(payload)) + payload


def parse_sofia(data: bytes) -> Fields:
    """A Xiongmai NETSurveillance answer on UDP 34569: the 20-byte header (message 1531 answers
    the 1530 search) and a JSON body with ``NetWork.NetCommon.*``. ``_message`` holds the id."""
    _check_size(data, _SOFIA_HEADER + 2)
    if data[0] != _SOFIA_HEAD:
        raise FrameError("no 0xFF head byte")
    message, length = struct.unpack_from("<HI", data, 14)
    body = data[_SOFIA_HEADER : _SOFIA_HEADER + min(length, len(data) - _SOFIA_HEADER)]
    return _json_fields(body, {"_message": str(message)})


# --- CS2 Network / PPPP LAN search ------------------------------------------------------------

_PPPP_MAGIC = 0xF1
_PPPP_UID_TYPES = {0x41: "punch", 0x42: "p2p-ready"}  # MSG_PUNCH_PKT, MSG_P2P_RDY


def _ascii_field(raw: bytes, what: str) -> str:
    text = raw.split(b"\x00", 1)[0]
    if not text or not text.isalnum() or not text.isascii():
        raise FrameError(f"the UID {what} is not ASCII letters and digits")
    return text.decode("ascii")


def parse_pppp(data: bytes) -> Fields:
    """A CS2 P2P answer to MSG_LAN_SEARCH: ``F1 41 <u16 BE size>`` then the device UID as an
    8-byte prefix, a big-endian u32 serial and an 8-byte check code (P. Marrapese's pppp.fdesc
    and lansearch.py). The UID is written ``PREFIX-NNNNNN-CHECK``, as the vendors' apps show it.
    """
    _check_size(data, 4)
    if data[0] != _PPPP_MAGIC:
        raise FrameError("no 0xF1 magic")
    kind = _PPPP_UID_TYPES.get(data[1])
    if kind is None:
        raise FrameError(f"message type 0x{data[1]:02x} carries no UID")
    (size,) = struct.unpack_from(">H", data, 2)
    if size < 16 or len(data) < 4 + size:
        raise FrameError(f"a {size}-byte body is too short for a UID or runs past the datagram")
    prefix = _ascii_field(data[4:12], "prefix")
    (serial,) = struct.unpack_from(">I", data, 12)
    check = _ascii_field(data[16 : 4 + min(size, 20)], "check code")
    return {
        "type": kind,
        "prefix": prefix,
        "serial": str(serial),
        "check_code": check,
        "uid": f"{prefix}-{serial:06d}-{check}",
    }


# --- Ubiquiti discovery TLV -------------------------------------------------------------------

_UBNT_TAGS = {
    0x03: "firmware",
    0x0B: "hostname",
    0x0C: "platform",
    0x0D: "essid",
    0x14: "model",
    0x15: "model",
    0x16: "version",
}
_UBNT_V2_COMMANDS = frozenset({0x06, 0x09, 0x0B})


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw[:6])


def parse_ubnt(data: bytes) -> Fields:
    """A Ubiquiti discovery answer: version (1, command 0; or 2, commands 6/9/11), a big-endian
    u16 length of the rest, then type(u8) length(u16 BE) value records (nmap's
    ubiquiti-discovery.nse, Wireshark's UBDP dissector). 0x01 MAC, 0x02 MAC + IPv4, 0x03 full
    firmware, 0x0B host name, 0x0C platform, 0x14/0x15 model, 0x16 version, 0x17 "is default"."""
    _check_size(data, 4)
    version, command, length = struct.unpack_from(">BBH", data, 0)
    if version == 1:
        if command != 0:
            raise FrameError(f"v1 command {command} is not an answer")
    elif version == 2:
        if command not in _UBNT_V2_COMMANDS:
            raise FrameError(f"v2 command {command} is not an answer")
    else:
        raise FrameError(f"protocol version {version} is not 1 or 2")
    if length != len(data) - 4:
        raise FrameError(f"length {length} does not match the {len(data) - 4} bytes that follow")
    if length == 0:
        raise FrameError("no records: a query, not an answer")
    fields: Fields = {"protocol_version": str(version)}
    pos = 4
    while pos + 3 <= len(data):
        tag, size = struct.unpack_from(">BH", data, pos)
        pos += 3
        if pos + size > len(data):
            raise FrameError(f"record 0x{tag:02x} runs past the end")
        value = data[pos : pos + size]
        pos += size
        if tag in (0x01, 0x02) and size >= 6:
            _put(fields, "mac", _mac(value))
            if tag == 0x02 and size >= 10:
                _put(fields, "ip", ".".join(str(b) for b in value[6:10]))
        elif tag == 0x17 and size:
            fields.setdefault("is_default", "true" if int.from_bytes(value, "big") else "false")
        elif tag in _UBNT_TAGS:
            _put(fields, _UBNT_TAGS[tag], value.decode("utf-8", "replace"))
    if pos != len(data):
        raise FrameError("trailing bytes after the last record")
    return fields


# --- Dahua's older search answer on UDP 5050 --------------------------------------------------

_DH1_HEADER = 120
_DH1_ANSWER = 0x00B3


def _ipv4(raw: bytes) -> str:
    return ".".join(str(b) for b in raw[:4])


def parse_dahua5050(data: bytes) -> Fields:
    """Dahua's first search protocol (UDP 5050), as UniversalScanner's Dahua1.cs lays it out: a
    120-byte structure (u16 LE magic 0x00B3 for an answer, section-2 length at 2, section-3
    length at 20, a 16-byte device type at 40, the IPv4 address, mask and gateway at 56, 60, 64
    in network order), then section 2 (the MAC as 17 characters, then maybe the model) and
    section 3 (``Key:Value`` lines such as ``SerialNo``)."""
    _check_size(data, _DH1_HEADER)
    magic, section2 = struct.unpack_from("<HH", data, 0)
    if magic != _DH1_ANSWER:
        raise FrameError(f"magic 0x{magic:04x} is not a search answer")
    (section3,) = struct.unpack_from("<H", data, 20)
    if _DH1_HEADER + section2 + section3 > len(data):
        raise FrameError("sections run past the datagram")
    fields: Fields = {}
    _put(fields, "device_type", data[40:56].split(b"\x00", 1)[0].decode("utf-8", "replace"))
    _put(fields, "ip", _ipv4(data[56:60]))
    second = data[_DH1_HEADER : _DH1_HEADER + section2]
    _put(fields, "mac", second[:17].decode("ascii", "replace"))
    if len(second) > 17:
        _put(fields, "model", second[17:].split(b"\x00", 1)[0].decode("utf-8", "replace"))
    third = data[_DH1_HEADER + section2 : _DH1_HEADER + section2 + section3]
    for line in third.decode("utf-8", "replace").splitlines()[:_MAX_FIELDS]:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            _put(fields, key.strip(), value)
    return fields


# --- Vivotek (UDP 10000) ----------------------------------------------------------------------

_VIVOTEK_MAGIC = b"\x4a\x5d\x8f\x1c"
_VIVOTEK_TAGS = {0x01: "long_name", 0x09: "short_name"}


def parse_vivotek(data: bytes) -> Fields:
    """A Vivotek search answer (UniversalScanner's Vivotek.cs): a session byte and the magic
    4A 5D 8F 1C, then type(u8) size(u8) value records: 0x01 long name, 0x02 MAC, 0x03 IPv4,
    0x09 short name (the model); type 0x04 has no value (its size byte is the value)."""
    _check_size(data, 5)
    if data[1:5] != _VIVOTEK_MAGIC:
        raise FrameError("no Vivotek magic at offset 1")
    fields: Fields = {}
    pos = 5
    while pos + 2 <= len(data):
        tag, size = data[pos], data[pos + 1]
        pos += 2
        if tag == 0x00:
            raise FrameError("record type 0 (invalid)")
        if tag == 0x04:
            continue
        if pos + size > len(data):
            raise FrameError(f"record 0x{tag:02x} runs past the end")
        value = data[pos : pos + size]
        pos += size
        if tag == 0x02 and size >= 6:
            _put(fields, "mac", _mac(value))
        elif tag == 0x03 and size >= 4:
            _put(fields, "ip", _ipv4(value))
        elif tag in _VIVOTEK_TAGS:
            _put(fields, _VIVOTEK_TAGS[tag], value.split(b"\x00", 1)[0].decode("utf-8", "replace"))
    if not fields:
        raise FrameError("no records: a query, not an answer")
    return fields


def wrap_none(payload: bytes) -> bytes:
    return payload


# The framings a catalogue entry may name: parser and, for a text query, its envelope.
FRAMINGS: Mapping[str, tuple[Callable[[bytes], Fields], Callable[[bytes], bytes]]] = {
    "xml": (parse_xml, wrap_none),
    "dhip": (parse_dhip, wrap_dhip),
    "sofia": (parse_sofia, wrap_sofia),
    "pppp": (parse_pppp, wrap_none),
    "ubnt-tlv": (parse_ubnt, wrap_none),
    "dahua-5050": (parse_dahua5050, wrap_none),
    "vivotek": (parse_vivotek, wrap_none),
}
