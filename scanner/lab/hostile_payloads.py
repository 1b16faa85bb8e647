"""What hostile devices send, as pure data: XML bombs and external entities, a gzip bomb,
SSDP and WS-Discovery answers that point elsewhere, garbage answers per protocol, and the text
full of terminal escapes a hostile device puts in every field (scanner/lab/hostile.py serves
them; the parser property tests use them too)."""

from __future__ import annotations

import functools
import gzip

# Text a hostile device puts in every field it controls. Each piece attacks one reader:
# ECMA-48 CSI (clear screen, colours) and its 8-bit form 0x9B, OSC 52 (write the clipboard),
# OSC 8 (a hyperlink), a bell, rich markup and emoji codes, a bidi override (CVE-2021-42574),
# an HTML script, a spreadsheet formula (CSV injection) and markdown link/table syntax.
# HOSTILE-MARK lets a test find where the text landed.
ESCAPES = (
    "HOSTILE-MARK \x1b[2J\x1b[31mred\x1b[0m \x1b]52;c;cm0gLXJmIH4=\x07 "
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x9b31m \x07 "
    "[bold red]markup[/bold red] :skull: \u202egnp.exe\u202c "
    '<script>alert(1)</script> =HYPERLINK("http://evil.example") '
    "[click](http://evil.example) | cell |"
)


# --- payloads a hostile device sends (pure) ------------------------------------------------


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity expansion bomb: ``levels`` entities of ten references each, 10**levels
    copies of "lol" once expanded (about 3 GB at 9 levels)."""
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
        + "\n".join(lines)
        + f"\n]>\n<lolz>&lol{levels - 1};</lolz>\n"
    ).encode()


def external_entity(url: str) -> bytes:
    """XXE: an external entity (a local file or a URL) that a careless parser would fetch."""
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE root [<!ENTITY xxe SYSTEM "{url}">]>\n'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        "<root><device><manufacturer>&xxe;</manufacturer></device></root>"
        "</s:Body></s:Envelope>\n"
    ).encode()


def external_dtd(url: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE root SYSTEM "{url}">\n<root><device/></root>\n'
    ).encode()


def deep_nesting(depth: int = 30_000) -> bytes:
    return b"<?xml version='1.0'?>" + b"<a>" * depth + b"</a>" * depth


@functools.cache
def gzip_bomb(size: int = 16 * 1024 * 1024) -> bytes:
    """``size`` zero bytes gzip-compressed (about a thousandth of that on the wire)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


def ssdp_response(location: str, *, server: str = ESCAPES, st: str = "upnp:rootdevice") -> bytes:
    """An SSDP M-SEARCH answer (UPnP DA 1.1 s1.3.3) naming ``location`` for its description."""
    lines = [
        "HTTP/1.1 200 OK",
        "CACHE-CONTROL: max-age=1800",
        "EXT:",
        f"LOCATION: {location}",
        f"SERVER: {server}",
        f"ST: {st}",
        f"USN: uuid:hostile-0000::{st}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace")


def wsd_probe_matches(xaddrs: str, *, relates_to: str = "", scopes: str = "") -> bytes:
    """A WS-Discovery ProbeMatches (ONVIF Core s7.3) whose XAddrs point wherever asked."""
    scopes = scopes or (
        "onvif://www.onvif.org/type/video_encoder "
        "onvif://www.onvif.org/hardware/%1B%5B2J%1B%5D52%3Bc%3BX%07HOSTILE-MARK "
        "onvif://www.onvif.org/name/%E2%80%AEgnp.exe"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        f"<s:Header><a:RelatesTo>{relates_to}</a:RelatesTo></s:Header>"
        "<s:Body><d:ProbeMatches><d:ProbeMatch>"
        "<a:EndpointReference><a:Address>urn:uuid:hostile</a:Address></a:EndpointReference>"
        "<d:Types>dn:NetworkVideoTransmitter</d:Types>"
        f"<d:Scopes>{scopes}</d:Scopes><d:XAddrs>{xaddrs}</d:XAddrs>"
        "<d:MetadataVersion>1</d:MetadataVersion>"
        "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
    ).encode()


def soap_envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
        'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
        'xmlns:tt="http://www.onvif.org/ver10/schema">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- garbage ---------------------------------------------------------------------------------

HTTP_GARBAGE: tuple[bytes, ...] = (
    b"HTTP/1.1 999999999999999999999 OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nbody",
    b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 4096 + b"\r\n\r\nbody",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nxx\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nxx",
    b"\xff\xfe\x00\x80\x81 not http at all \xc3\x28\r\n\r\n",
    b"HTTP/1.1 200 \xff\xfe\xc3\x28\r\nServer: \xc3\x28\xa0\xa1\xed\xa0\x80\r\n"
    b"Content-Type: text/html; charset=x-no-such-codec\r\nContent-Length: 40\r\n\r\n"
    b"<title>\xff\xfe\xfd\xfc\x00\x01\x1b[2J</title>\xc3\x28\xf0\x28\x8c\x28\xff",
    b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="' + b'\\"' * 2000 + b"\r\n"
    b"WWW-Authenticate: Basic realm=\r\nWWW-Authenticate: ,,,,\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: \x00\x1b]52;c;eA==\x07\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n Folded: value\r\n\tMore: folding\r\nContent-Length: 0\r\n\r\n",
)

RTSP_GARBAGE: tuple[bytes, ...] = (
    bytes(range(256)) * 4,
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: " + b"9" * 100_000 + b"\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 1e3\r\n\r\n",
    b"RTSP/1.0 20 OK\r\n\r\n",
    b"RTSP/1.0 200 \xff\xfe\r\nCSeq: 1\r\nServer: \xc3\x28\xed\xa0\x80\x1b[2J\r\n"
    b"Public: OPTIONS, \xff\xfe\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"\r\n" * 50_000,
    b'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm="'
    + b'\\"' * 5000
    + b"\r\nWWW-Authenticate: Digest nonce=,,,=,realm\r\n\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 100\r\n\r\n"
    b"v=0\r\n",
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n" + b"X-Many: 1\r\n" * 5000 + b"\r\n",
    b"RTSP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
)

TELNET_GARBAGE: tuple[bytes, ...] = (
    b"\xff\xfa\x18" + b"never ends" * 100,  # IAC SB without IAC SE
    b"\xc3\x28\xa0\xa1\xff\xff\xff\xff\x1b[2J\x1b]52;c;eA==\x07\x9b31m\r\nlogin: ",
    b"\xff" * 10_000,
    b"\x00" * 5_000 + b"\r\x00\r\x00\r" + b"\xff\xf1" * 1000,
)

HTTPS_GARBAGE: tuple[bytes, ...] = (
    b"\x16\x03\x01\xff\xff" + b"\x00" * 64,  # a TLS record announcing 64 KiB, then too little
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",  # plain text to a ClientHello
    b"\x15\x03\x03\x00\x02\x02\x28",  # a fatal alert (handshake_failure)
)
