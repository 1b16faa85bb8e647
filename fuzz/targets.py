"""One fuzz target per pure parser: arbitrary bytes in, and nothing out but the parser's own error.

Every parser that reads what a device, a file or the user sends is listed in ``TARGETS``. A
target feeds the bytes to the parser (and to the helpers that consume its result) and lets only
the error types the parser documents pass: any other exception is a bug, because it would
escape a probe as a crash instead of becoming a recorded "malformed response". Some targets
also check an invariant that must hold for every input (the sanitiser's output holds no control
character; the Telnet parser never turns an IAC command into text).

The same registry drives the hypothesis property tests (tests/fuzz/test_parsers.py) and the
coverage-guided runs (``python -m fuzz``), so a parser added here is covered by both.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from scanner.credentials.custom import CredentialFileError, parse_creds
from scanner.discover.mdns import parse_txt, services_from_records
from scanner.discover.neighbours import parse_proc_net_arp
from scanner.discover.nmap_xml import NmapReportError, parse_nmap_xml
from scanner.discover.oui import normalize_mac
from scanner.discover.ssdp import description_url, parse_description, parse_ssdp, ssdp_fields
from scanner.discover.vendor.catalog import load_catalog
from scanner.discover.vendor.frames import FRAMINGS, FrameError
from scanner.discover.wsdiscovery import onvif_fields, parse_scopes, parse_wsd
from scanner.lab.wire import LabProtocolError, content_length, parse_request_head
from scanner.match.versions import VersionError, parse_version
from scanner.probe.auth import parse_www_authenticate, strongest
from scanner.probe.banner import printable, sniff_protocol
from scanner.probe.http import decode_html, extract_title
from scanner.probe.onvif import (
    OnvifError,
    device_information,
    first_profile,
    media_uri,
    media_xaddr,
    parse_answer,
    same_origin_path,
)
from scanner.probe.rtsp import RtspParseError, parse_response, response_complete
from scanner.probe.rtsp_stream import (
    control_url,
    interleaved_frame,
    is_rtp,
    same_server,
    split_response,
)
from scanner.probe.telnet import IacParser, clean_text, prompt_kind
from scanner.report.inventory import InventoryError, parse_inventory
from scanner.report.json_report import ReportFormatError, read_json
from scanner.report.sanitize import clean_text as sanitize
from scanner.report.sanitize import placeholder
from scanner.targets import TargetError, parse_ports, parse_target

__all__ = ["TARGETS", "Target", "run_one"]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    # The errors the parser documents; anything else escaping ``run`` is a bug.
    allowed: tuple[type[BaseException], ...]
    seeds: tuple[bytes, ...]
    description: str


def run_one(target: Target, data: bytes) -> None:
    """Feed ``data`` to ``target``, swallowing only its documented errors."""
    with contextlib.suppress(*target.allowed):
        target.run(data)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _halves(data: bytes) -> tuple[bytes, bytes]:
    """Two inputs from one: split at the first NUL (or empty second part)."""
    first, _, second = data.partition(b"\0")
    return first, second


# --- probes ------------------------------------------------------------------------------------


def _rtsp(data: bytes) -> None:
    response_complete(data, max_body_bytes=1024)
    response = parse_response(data, max_header_bytes=8192, max_body_bytes=4096)
    assert len(response.body) <= 4096
    response.get("WWW-Authenticate")
    strongest(parse_www_authenticate(response.get_all("WWW-Authenticate")))


def _rtsp_stream(data: bytes) -> None:
    split_response(data)
    frame = interleaved_frame(data)
    if frame is not None:
        is_rtp(frame[1])
    first, second = _halves(data)
    control = control_url(_text(first), _text(second) or "rtsp://192.0.2.1:554/x")
    same_server(control, "192.0.2.1", 554)
    same_server(_text(data), "192.0.2.1", 554)


def _http_title(data: bytes) -> None:
    content_type, body = _halves(data)
    ct = content_type.decode("latin-1")
    decode_html(body, ct)
    title = extract_title(body, ct)
    if title is not None:
        assert len(title) <= 256
        assert not any(ord(c) < 0x20 for c in title)


def _www_authenticate(data: bytes) -> None:
    challenges = parse_www_authenticate(_text(data).split("\n"))
    strongest(challenges)


def _telnet(data: bytes) -> None:
    parser = IacParser()
    text = bytearray()
    replies = bytearray()
    # Fed in three pieces: a command split across reads must be handled like a whole one.
    third = max(1, len(data) // 3)
    for piece in (data[:third], data[third : 2 * third], data[2 * third :]):
        got, answer = parser.feed(piece)
        text += got
        replies += answer
    # Every reply is one 3-byte IAC command answering one 3-byte command: never amplified.
    assert len(replies) % 3 == 0
    assert len(replies) <= len(data)
    cleaned = clean_text(bytes(text))
    assert "\x1b" not in cleaned
    for line in cleaned.split("\n")[-3:]:
        prompt_kind(line)


def _banner(data: bytes) -> None:
    text = printable(data)
    assert not any(ord(c) < 0x20 and c not in "\t\n" for c in text)
    first, second = _halves(data)
    sniff_protocol(first, second or None)


def _onvif(data: bytes) -> None:
    same_origin_path(_text(data[:2048]), "/onvif/device_service")
    answer = parse_answer(data)
    device_information(answer)
    media_xaddr(answer)
    first_profile(answer)
    media_uri(answer)


# --- discovery -----------------------------------------------------------------------------------


def _ssdp(data: bytes) -> None:
    message = parse_ssdp(data)
    if message is not None:
        ssdp_fields(message)
        description_url(message.header("location"), "192.0.2.7")
    description_url(_text(data[:2048]), "192.0.2.7")


def _upnp_description(data: bytes) -> None:
    parse_description(data)


def _wsdiscovery(data: bytes) -> None:
    message = parse_wsd(data)
    if message is not None:
        for match in message.matches:
            onvif_fields(match)
    parse_scopes(tuple(_text(data[:4096]).split()))


def _mdns(data: bytes) -> None:
    from zeroconf._protocol.incoming import DNSIncoming  # noqa: PLC0415 - zeroconf's own parser

    parse_txt(data)
    # RFC 6762/1035 packets, compression loops included: zeroconf marks a bad packet invalid
    # rather than raising (scanner.discover.passive still guards the call).
    message = DNSIncoming(data)
    if message.valid:
        services_from_records(message.answers())


def _neighbours(data: bytes) -> None:
    parse_proc_net_arp(_text(data))
    normalize_mac(_text(data[:64]))


def _nmap_xml(data: bytes) -> None:
    parse_nmap_xml(data, source="fuzz.xml")


# --- files and flags the user hands in ----------------------------------------------------------


def _targets(data: bytes) -> None:
    text = _text(data[:256])
    parse_target(text)


def _ports(data: bytes) -> None:
    parse_ports(_text(data[:512]))


def _creds(data: bytes) -> None:
    parse_creds(_text(data), "fuzz.txt")


def _inventory(data: bytes) -> None:
    parse_inventory(data, "fuzz.yaml")


def _json_report(data: bytes) -> None:
    read_json(io.StringIO(_text(data)))


def _version(data: bytes) -> None:
    parse_version(_text(data[:256]))


def _lab_request(data: bytes) -> None:
    content_length(parse_request_head(data))


def _sanitize(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    limit = data[0] if data else 0
    out = sanitize(text, limit)
    assert len(out) <= max(limit, 0)
    assert all(placeholder(c) is None for c in out)


_XML_SEED = (
    b'<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    b"<s:Body><x/></s:Body></s:Envelope>"
)


def _vendor_discovery(data: bytes) -> None:
    # Every framing raises only FrameError; the catalogue reads never raise at all.
    for parse, _wrap in FRAMINGS.values():
        with contextlib.suppress(FrameError):
            for key, value in parse(data).items():
                assert isinstance(key, str)
                assert isinstance(value, str)
    for protocol in load_catalog().protocols:
        evidence = protocol.read(data)
        assert evidence is None or evidence["discovery.protocol"] == protocol.id


_BOMB_SEED = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
)

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "rtsp",
            _rtsp,
            (RtspParseError,),
            (
                b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 4\r\n\r\nv=0\n",
                b"RTSP/1.0 401 Unauthorized\r\n"
                b'WWW-Authenticate: Digest realm="r", nonce="n"\r\n\r\n',
                b"RTSP/1.0 200 OK\nContent-Length: -1\n\n",
            ),
            "RTSP responses (RFC 2326 s7) and the WWW-Authenticate challenges in them",
        ),
        Target(
            "rtsp_stream",
            _rtsp_stream,
            (),
            (b"$\x00\x00\x0c\x80\x60\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01", b"a=control:*\0"),
            "interleaved RTP frames, SDP control URLs, the same-server check (--confirm-streams)",
        ),
        Target(
            "http_title",
            _http_title,
            (),
            (b"text/html; charset=utf-8\0<html><title>Cam &amp; co</title>",),
            "HTML charset sniffing and <title> extraction",
        ),
        Target(
            "www_authenticate",
            _www_authenticate,
            (),
            (b'Digest realm="a", nonce="b", qop="auth,auth-int"\nBasic realm=x',),
            "WWW-Authenticate challenges (RFC 7235 s4.1, RFC 7616, RFC 7617)",
        ),
        Target(
            "telnet",
            _telnet,
            (),
            (b"\xff\xfb\x01\xff\xfd\x1f\xff\xfa\x18\x01\xff\xf0login: ",),
            "Telnet IAC negotiation (RFC 854) and prompt detection",
        ),
        Target(
            "banner",
            _banner,
            (),
            (b"SSH-2.0-x\r\n", b"\0RTSP/1.0 200 OK"),
            "banner text and protocol sniffing",
        ),
        Target(
            "onvif",
            _onvif,
            (OnvifError,),
            (_XML_SEED, _BOMB_SEED),
            "ONVIF SOAP answers (defusedxml) and XAddrs",
        ),
        Target(
            "ssdp",
            _ssdp,
            (),
            (
                b"HTTP/1.1 200 OK\r\nLOCATION: http://192.0.2.7:80/d.xml\r\n"
                b"ST: upnp:rootdevice\r\n\r\n",
            ),
            "SSDP answers and NOTIFYs (UPnP DA 1.1 s1), LOCATION scope check",
        ),
        Target(
            "upnp_description",
            _upnp_description,
            (ValueError,),
            (b"<root><device><modelName>x</modelName></device></root>", _BOMB_SEED),
            "UPnP device descriptions (UPnP DA 1.1 s2.3)",
        ),
        Target(
            "wsdiscovery",
            _wsdiscovery,
            (),
            (_XML_SEED, _BOMB_SEED),
            "WS-Discovery ProbeMatches, Hello, Bye and ONVIF scopes",
        ),
        Target(
            "mdns",
            _mdns,
            (),
            (b"\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c\x00\x0c\x00\x01",),
            "mDNS packets (RFC 6762) incl. compression loops, DNS-SD TXT records (RFC 6763 s6)",
        ),
        Target(
            "neighbours",
            _neighbours,
            (),
            (
                b"IP address HW type Flags HW address Mask Device\n"
                b"1.2.3.4 0x1 0x2 aa:bb:cc:dd:ee:ff * e\n",
            ),
            "/proc/net/arp and MAC addresses",
        ),
        Target(
            "nmap_xml",
            _nmap_xml,
            (NmapReportError,),
            (
                b'<?xml version="1.0"?><nmaprun scanner="nmap"><runstats/></nmaprun>',
                _BOMB_SEED,
                # Numbers where nmap writes them: port ids, confidence, OS accuracy, times
                # (issue #19's strategies swap these digits for look-alikes).
                b'<?xml version="1.0"?><nmaprun scanner="nmap" start="1795800617" '
                b'version="7.93"><scaninfo type="syn" protocol="tcp" numservices="1" '
                b'services="554"/><host><status state="up"/><address addr="198.18.0.7" '
                b'addrtype="ipv4"/><ports><port protocol="tcp" portid="554"><state '
                b'state="open"/><service name="rtsp" conf="10"/></port></ports><os><osmatch '
                b'name="Linux" accuracy="96"/></os></host><runstats><finished '
                b'time="1795800700" elapsed="83.1"/><hosts up="1" down="0" total="1"/>'
                b"</runstats></nmaprun>",
            ),
            "nmap XML reports (--from-nmap)",
        ),
        Target(
            "targets",
            _targets,
            (TargetError,),
            (b"192.0.2.0/24", b"198.18.0.1-20"),
            "scan targets (IPv4, CIDR, ranges)",
        ),
        Target("ports", _ports, (TargetError,), (b"23,80,8000-8010,10554:rtsp",), "--ports"),
        Target(
            "creds",
            _creds,
            (CredentialFileError,),
            (b"admin:admin\nroot:xc3511 telnet\n",),
            "--creds files",
        ),
        Target(
            "inventory",
            _inventory,
            (InventoryError,),
            (
                b"version: 1\ndevices:\n  - ip: 192.0.2.1\n",
                b"devices:\n  - name: door\n    ip: 198.18.0.11\n    mac: '00:11:22:33:44:55'\n"
                b"accepted:\n  - finding: telnet-open\n    device: door\n    port: 23\n"
                b"    reason: rig\n    expires: 2027-03-31\n",
            ),
            "--inventory files (YAML)",
        ),
        Target(
            "json_report",
            _json_report,
            (ReportFormatError,),
            (b'{"schema_version": "1.0"}',),
            "JSON reports read back (--baseline, report convert)",
        ),
        Target(
            "version", _version, (VersionError,), (b"V5.2.5 build 141201",), "firmware versions"
        ),
        Target(
            "lab_request",
            _lab_request,
            (LabProtocolError,),
            (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3",),
            "request heads the built-in lab reads (RFC 7230 s3)",
        ),
        Target(
            "vendor_discovery",
            _vendor_discovery,
            (),
            (
                b'<?xml version="1.0"?><ProbeMatch><Activated>false</Activated></ProbeMatch>',
                b" \x00\x00\x00DHIP" + bytes(8) + b"\x02\x00\x00\x00" + bytes(12) + b"{}",
                bytes.fromhex("ff01000000000000000000000000fb050200000000007b7d"),
                bytes.fromhex("f14100144241544400000000000262ca574f4e4a4d000000"),
                bytes.fromhex("01000009") + bytes.fromhex("0b0006") + b"UVC G3",
                bytes.fromhex("014a5d8f1c0908494238333639410000"),
            ),
            "vendor discovery answers (SADP, DHIP, Sofia, PPPP, Ubiquiti, Dahua 5050, Vivotek)",
        ),
        Target(
            "sanitize",
            _sanitize,
            (),
            (b"\x20\x1b[2J\xc2\x9b\xe2\x80\xae",),
            "the terminal sanitiser: no control character survives, length capped",
        ),
    )
}
