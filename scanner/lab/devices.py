"""The emulated devices: what each one is, what it says on the wire, and what a scan should find.

The eight default kinds are written down in docs/architecture.md ("The built-in lab"); every
header, title, realm and banner below is the one that section promises, so the scanner's seed
signatures and this lab meet on the documented contract, not on shared code.
"""

from __future__ import annotations

import ipaddress
import itertools
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scanner.lab.auth import AuthKind, AuthPolicy, DigestOptions, Lockout
from scanner.lab.httpd import HttpConfig, HttpRoute, redirect
from scanner.lab.onvifd import OnvifConfig
from scanner.lab.rtspd import RtspConfig, RtspRoute
from scanner.lab.silent import SilentConfig
from scanner.lab.telnetd import TelnetConfig
from scanner.lab.vendord import Cs2Answer, DhipAnswer, SadpAnswer, SofiaAnswer, VendorAnswer
from scanner.models import DeviceType, Protocol

LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")

ServiceConfig = RtspConfig | HttpConfig | TelnetConfig | SilentConfig
_CONFIG_PROTOCOL: dict[type, Protocol] = {
    RtspConfig: Protocol.RTSP,
    HttpConfig: Protocol.HTTP,
    TelnetConfig: Protocol.TELNET,
    SilentConfig: Protocol.TCP,
}


@dataclass(frozen=True)
class ServiceSpec:
    """One listening service of a device: its standard port, protocol and behaviour."""

    port: int
    protocol: Protocol
    config: ServiceConfig

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port out of range: {self.port}")
        wanted = _CONFIG_PROTOCOL.get(type(self.config))
        if wanted is not self.protocol:
            raise ValueError(
                f"port {self.port}: {type(self.config).__name__} is not {self.protocol}"
            )

    @property
    def needs_login(self) -> bool:
        config = self.config
        if isinstance(config, TelnetConfig):
            return True
        if isinstance(config, HttpConfig) and config.onvif is not None:
            return True  # the ONVIF service logs in with the HTTP (or ONVIF) credentials
        if isinstance(config, RtspConfig | HttpConfig):
            return config.auth is not None
        return False


@dataclass(frozen=True)
class MdnsAnnouncement:
    """One DNS-SD service instance the device announces (RFC 6763): type, name, port, TXT."""

    service_type: str  # "_hap._tcp"
    instance: str  # "Circle View Camera"
    port: int
    txt: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SsdpIdentity:
    """What the device's UPnP description says (UPnP Device Architecture 1.1 s2.3)."""

    uuid: str
    manufacturer: str
    model_name: str
    model_number: str = ""
    friendly_name: str = ""
    serial: str = ""
    firmware: str = ""  # vendors put it in a non-standard element; the lab uses firmwareVersion
    device_type: str = "urn:schemas-upnp-org:device:Basic:1"
    server: str = "Linux/3.0 UPnP/1.0 IPCamera/1.0"  # SERVER header of answers and NOTIFYs
    description_port: int = 49152  # the HTTP port serving /description.xml


@dataclass(frozen=True)
class OnvifIdentity:
    """What the device says in WS-Discovery (ONVIF Core s7.3): endpoint, Types, Scopes."""

    uuid: str
    scopes: tuple[str, ...]
    types: tuple[str, ...] = ("dn:NetworkVideoTransmitter", "tds:Device")


@dataclass(frozen=True)
class DiscoveryIdentity:
    """Optional LAN identity, used only by the namespace lab (``scanner.lab.netns``): the loopback
    lab has no MACs and sends no multicast."""

    mac: str | None = None
    hostname: str | None = None  # mDNS host name, without ".local"
    mdns: tuple[MdnsAnnouncement, ...] = ()
    ssdp: SsdpIdentity | None = None
    onvif: OnvifIdentity | None = None


@dataclass(frozen=True)
class DeviceSpec:
    key: str
    name: str
    ip: str
    vendor: str | None
    model: str | None
    firmware: str | None
    device_type: DeviceType
    description: str
    problems: tuple[str, ...]  # plain words, for `camsweep lab --list`
    expected_findings: tuple[str, ...]  # finding ids per docs/architecture.md
    credentials: dict[Protocol, tuple[str, str]]  # the real login of each service, for tests
    services: tuple[ServiceSpec, ...]
    lockout: Lockout | None = field(default=None)  # lock logins after N failures (all services)
    discovery: DiscoveryIdentity = field(default_factory=DiscoveryIdentity)
    # Answers to the maker's own UDP discovery protocols (scanner/lab/vendord.py).
    vendor_discovery: tuple[VendorAnswer, ...] = ()

    def __post_init__(self) -> None:
        if ipaddress.ip_address(self.ip) not in LOOPBACK:
            # The lab must never answer on, or lead a scanner to, anything but loopback.
            raise ValueError(f"lab device {self.key} must live on 127.0.0.0/8, not {self.ip}")
        ports = [s.port for s in self.services]
        if len(ports) != len(set(ports)):
            raise ValueError(f"lab device {self.key} declares a port twice")
        for service in self.services:
            if service.needs_login and service.protocol not in self.credentials:
                raise ValueError(f"lab device {self.key}: no credentials for {service.protocol}")

    def service(self, protocol: Protocol) -> ServiceSpec | None:
        return next((s for s in self.services if s.protocol is protocol), None)


@dataclass
class RunningDevice:
    """A device of a running lab: its spec and the port each standard port is served on."""

    spec: DeviceSpec
    ports: dict[int, int] = field(default_factory=dict)  # standard port -> bound port
    udp_ports: dict[int, int] = field(default_factory=dict)  # vendor discovery: standard -> bound

    @property
    def ip(self) -> str:
        return self.spec.ip

    def port(self, standard: int) -> int:
        """The bound port serving what the device offers on ``standard``."""
        return self.ports[standard]


def favicon(rgb: tuple[int, int, int]) -> bytes:
    """A 1x1 32-bit Windows icon of one colour: small, valid, and distinct per vendor."""
    red, green, blue = rgb
    pixel = bytes([blue, green, red, 0xFF])  # BGRA
    mask = bytes(4)  # the AND mask row, padded to 32 bits
    # BITMAPINFOHEADER with the height doubled for the XOR and AND halves, as ICO requires.
    info = struct.pack("<IiiHHIIiiII", 40, 1, 2, 1, 32, 0, len(pixel) + len(mask), 0, 0, 0, 0)
    image = info + pixel + mask
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 1, 1, 0, 0, 1, 32, len(image), 6 + 16)
    return header + entry + image


def _favicon_route(rgb: tuple[int, int, int]) -> HttpRoute:
    return HttpRoute("/favicon.ico", body=favicon(rgb), content_type="image/x-icon")


def _page(title: str, head: str = "", body: str = "") -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
        f"<title>{title}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    ).encode()


# -- hikvision-old -----------------------------------------------------------------------------

_HIK_VERSION = "V5.2.5build141201"
_HIK_DEVICE_INFO = b"""<?xml version="1.0" encoding="UTF-8"?>
<DeviceInfo version="1.0" xmlns="http://www.hikvision.com/ver10/XMLSchema">
<deviceName>IP CAMERA</deviceName>
<deviceID>88</deviceID>
<model>DS-2CD2032-I</model>
<serialNumber>DS-2CD2032-I20141201CCWR000000000</serialNumber>
<macAddress>c0:56:e3:00:00:0b</macAddress>
<firmwareVersion>V5.2.5</firmwareVersion>
<firmwareReleasedDate>build 141201</firmwareReleasedDate>
<deviceType>IPCamera</deviceType>
</DeviceInfo>
"""
_HIK_USER_CHECK = b"""<?xml version="1.0" encoding="UTF-8"?>
<userCheck><statusValue>200</statusValue><statusString>OK</statusString></userCheck>
"""


def hikvision_old(key: str, ip: str) -> DeviceSpec:
    scripts = "".join(
        f'<script type="text/javascript" src="../script/{name}.js?version={_HIK_VERSION}">'
        "</script>\n"
        for name in ("jquery/jquery-1.7.2.min", "common", "login")
    )
    login_page = _page(
        "Hikvision Web Login",
        f'<link rel="stylesheet" type="text/css" href="../css/ui.css?version={_HIK_VERSION}" />\n'
        + scripts,
        '<div id="login"><input id="username" type="text" />'
        '<input id="password" type="password" /></div>\n',
    )
    xml = "application/xml"
    http = HttpConfig(
        server="App-webs/",
        auth=AuthPolicy(realm="DS-2CD2032-I", schemes=(AuthKind.BASIC,)),
        routes=(
            redirect("/", "/doc/page/login.asp"),
            HttpRoute("/doc/page/login.asp", body=login_page),
            HttpRoute(
                "/ISAPI/System/deviceInfo", body=_HIK_DEVICE_INFO, content_type=xml, auth=True
            ),
            # The pre-ISAPI path that CVE-2017-7921 opens with a fixed ?auth= value.
            HttpRoute(
                "/System/deviceInfo",
                body=_HIK_DEVICE_INFO,
                content_type=xml,
                auth=True,
                bypass_query="auth=YWRtaW46MTEK",
            ),
            # Where Hikvision clients check a login: 200 with this XML only when authorised.
            HttpRoute(
                "/ISAPI/Security/userCheck", body=_HIK_USER_CHECK, content_type=xml, auth=True
            ),
            HttpRoute(
                "/PSIA/Custom/SelfExt/userCheck", body=_HIK_USER_CHECK, content_type=xml, auth=True
            ),
            _favicon_route((0xD7, 0x00, 0x0F)),
        ),
    )
    rtsp = RtspConfig(
        server=None,
        public=(
            "OPTIONS",
            "DESCRIBE",
            "PLAY",
            "PAUSE",
            "SETUP",
            "TEARDOWN",
            "SET_PARAMETER",
            "GET_PARAMETER",
        ),
        auth=AuthPolicy(
            realm="IP Camera(C12345)",
            # Old Hikvision firmware offers Digest first, then Basic, with no qop.
            schemes=(AuthKind.DIGEST, AuthKind.BASIC),
            digest=DigestOptions(qop=False, announce_algorithm=False, stale_false=True),
        ),
        routes=tuple(
            RtspRoute(p)
            for p in (
                "/Streaming/Channels/101",
                "/Streaming/Channels/102",
                "/h264/ch1/main/av_stream",
                "/h264/ch1/sub/av_stream",
            )
        ),
    )
    # The lab's own fixed, strong login (loopback only), so tests can prove a real login works.
    password = "Hv7#qLm2!Rz9"  # noqa: S105
    return DeviceSpec(
        key=key,
        name="Hikvision DS-2CD2032-I",
        ip=ip,
        vendor="Hikvision",
        model="DS-2CD2032-I",
        firmware="V5.2.5 build 141201",
        device_type=DeviceType.CAMERA,
        description="Hikvision bullet camera on 2014 firmware, strong password set",
        problems=(
            "firmware V5.2.5 build 141201 is in the CVE-2017-7921 range (authentication bypass)",
        ),
        expected_findings=("hikvision-cve-2017-7921",),
        credentials={Protocol.HTTP: ("admin", password), Protocol.RTSP: ("admin", password)},
        services=(
            ServiceSpec(80, Protocol.HTTP, http),
            ServiceSpec(554, Protocol.RTSP, rtsp),
            ServiceSpec(8000, Protocol.TCP, SilentConfig("Hikvision SDK")),
        ),
    )


# -- dahua-default -----------------------------------------------------------------------------


def dahua_default(key: str, ip: str) -> DeviceSpec:
    page = _page(
        "WEB SERVICE",
        '<script type="text/javascript" src="/jsBase/lib/jquery.js"></script>\n'
        '<script type="text/javascript" src="/jsCore/rpcCore.js"></script>\n',
        '<div id="login_wrapper"></div>\n',
    )
    # ONVIF with its login check switched off (a setting on Dahua cameras): it tells anyone the
    # model, firmware and stream addresses.
    onvif = OnvifConfig(
        manufacturer="Dahua",
        model="IPC-HDW4431C-A",
        firmware="2.622.0000000.31.R",
        serial="4K01234PAZ00000",
        hardware_id="1.00",
        open_access=True,
        stream_path="/cam/realmonitor?channel=1&subtype=0",
        snapshot_path="/onvifsnapshot/media_service/snapshot?channel=1&subtype=0",
    )
    http = HttpConfig(
        server=None,
        routes=(HttpRoute("/", body=page), _favicon_route((0xE6, 0x21, 0x2A))),
        onvif=onvif,
    )
    rtsp = RtspConfig(
        server="Dahua Rtsp Server",
        public=(
            "OPTIONS",
            "DESCRIBE",
            "ANNOUNCE",
            "SETUP",
            "PLAY",
            "PAUSE",
            "TEARDOWN",
            "GET_PARAMETER",
            "SET_PARAMETER",
        ),
        auth=AuthPolicy(
            realm="Login to 4K01234PAZ00000",
            digest=DigestOptions(qop=False, announce_algorithm=False),
        ),
        routes=(
            RtspRoute("/cam/realmonitor?channel=1&subtype=0"),
            RtspRoute("/cam/realmonitor?channel=1&subtype=1"),
        ),
        session_name="Media Server",
    )
    return DeviceSpec(
        key=key,
        name="Dahua IPC-HDW4431C-A",
        ip=ip,
        vendor="Dahua",
        model="IPC-HDW4431C-A",
        firmware="2.622.0000000.31.R",
        device_type=DeviceType.CAMERA,
        description="Dahua dome camera still on its factory login, ONVIF login check off",
        problems=(
            "RTSP still accepts the factory login admin/admin",
            "ONVIF answers anyone: model, firmware and the stream addresses",
        ),
        expected_findings=(
            "default-credentials-rtsp",
            "onvif-unauthenticated-info",
            "onvif-unauthenticated-media",
        ),
        credentials={Protocol.RTSP: ("admin", "admin"), Protocol.HTTP: ("admin", "admin")},
        services=(
            ServiceSpec(80, Protocol.HTTP, http),
            ServiceSpec(554, Protocol.RTSP, rtsp),
            ServiceSpec(37777, Protocol.TCP, SilentConfig("Dahua private protocol")),
        ),
        # Dahua ConfigTool's search (UDP 37810) gets model, serial and the exact 2017 build.
        vendor_discovery=(
            DhipAnswer(
                model="IPC-HDW4431C-A",
                serial="4K01234PAZ00000",
                firmware="2.622.0000000.31.R",
                mac="3c:ef:8c:00:00:12",
                initialised=True,
            ),
        ),
    )


# -- xiongmai-dvr ------------------------------------------------------------------------------


def xiongmai_dvr(key: str, ip: str) -> DeviceSpec:
    page = _page(
        "NETSurveillance WEB",
        '<script type="text/javascript" src="js/jquery.js"></script>\n',
        '<object id="ocx" classid="CLSID:0A6A0D71-3A6C-4A8A-9E5F-1B6C0A1D3C2F"></object>\n',
    )
    http = HttpConfig(
        server="uc-httpd 1.0.0",
        routes=(HttpRoute("/", body=page), _favicon_route((0x1E, 0x5A, 0xA8))),
    )
    return DeviceSpec(
        key=key,
        name="Xiongmai XMEye DVR",
        ip=ip,
        vendor="Xiongmai",
        model="XMEye DVR",
        firmware="V4.02.R11.34500140.10001.130100.00000",  # told only by its search answer
        device_type=DeviceType.RECORDER,
        description="Xiongmai (XMEye) OEM video recorder with its Telnet console left open",
        problems=(
            "Telnet is open",
            "Telnet accepts the Mirai-era factory login root/xc3511",
            "its search answer gives away the XMEye cloud ID",
        ),
        expected_findings=(
            "telnet-open",
            "default-credentials-telnet",
            "p2p-cloud-id-exposed",
            "discovery-changes-settings",
        ),
        credentials={Protocol.TELNET: ("root", "xc3511")},
        services=(
            ServiceSpec(23, Protocol.TELNET, TelnetConfig()),
            ServiceSpec(80, Protocol.HTTP, http),
            ServiceSpec(34567, Protocol.TCP, SilentConfig("DVRIP")),
        ),
        # The NETSurveillance search (UDP 34569): firmware, MAC and the XMEye cloud ID.
        vendor_discovery=(
            SofiaAnswer(
                serial="0a1b2c3d4e5f6071",
                firmware="V4.02.R11.34500140.10001.130100.00000",
                mac="00:12:31:00:00:13",
            ),
        ),
    )


# -- open-rtsp ---------------------------------------------------------------------------------


def open_rtsp(key: str, ip: str) -> DeviceSpec:
    http = HttpConfig(
        server="thttpd/2.25b",
        routes=(
            HttpRoute("/", body=_page("IPCAM", body="<p>Live view needs the plug-in.</p>\n")),
            _favicon_route((0x40, 0x40, 0x40)),
        ),
    )
    rtsp = RtspConfig(
        server="Rtsp Server/2.0",
        public=(
            "OPTIONS",
            "DESCRIBE",
            "SETUP",
            "TEARDOWN",
            "PLAY",
            "PAUSE",
            "GET_PARAMETER",
            "SET_PARAMETER",
        ),
        routes=(RtspRoute("/live/ch0", auth=False), RtspRoute("/live/ch1", auth=False)),
        session_name="H.264 Video",
        width=1280,
        height=720,
    )
    return DeviceSpec(
        key=key,
        name="Unbranded IP camera",
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="white-label camera that streams to anyone who asks",
        problems=("the video stream plays without any password",),
        expected_findings=("rtsp-unauthenticated-stream",),
        credentials={},
        services=(
            ServiceSpec(554, Protocol.RTSP, rtsp),
            ServiceSpec(80, Protocol.HTTP, http),
        ),
    )


# -- axis-hardened -----------------------------------------------------------------------------


def axis_hardened(key: str, ip: str) -> DeviceSpec:
    realm = "AXIS_ACCC8E123456"
    http = HttpConfig(
        server="Apache",
        auth=AuthPolicy(realm=realm),
        routes=(
            redirect("/", "/index.html"),
            HttpRoute(
                "/index.html",
                body=_page(
                    "AXIS", '<script src="/js/app.js"></script>\n', '<div id="root"></div>\n'
                ),
            ),
            HttpRoute(
                "/axis-cgi/*",
                body=b"root.Brand.Brand=AXIS\r\n",
                content_type="text/plain",
                auth=True,
            ),
            _favicon_route((0xFF, 0xCC, 0x33)),
        ),
        headers=(("X-Frame-Options", "SAMEORIGIN"), ("X-Content-Type-Options", "nosniff")),
    )
    rtsp = RtspConfig(
        server="GStreamer RTSP server",
        public=(
            "OPTIONS",
            "DESCRIBE",
            "ANNOUNCE",
            "GET_PARAMETER",
            "PAUSE",
            "PLAY",
            "RECORD",
            "SETUP",
            "SET_PARAMETER",
            "TEARDOWN",
        ),
        auth=AuthPolicy(realm=realm),
        routes=(RtspRoute("/axis-media/media.amp"),),
        session_name="Session streamed with GStreamer",
    )
    password = "Ax-5tR0ng;Pw!"  # noqa: S105 -- lab-only strong login, as for hikvision-old
    return DeviceSpec(
        key=key,
        name="Axis M3045-V",
        ip=ip,
        vendor="Axis",
        model="M3045-V",
        firmware="10.12.220",
        device_type=DeviceType.CAMERA,
        description="Axis dome camera on current firmware with a strong password",
        problems=(),
        expected_findings=(),
        credentials={Protocol.HTTP: ("root", password), Protocol.RTSP: ("root", password)},
        services=(
            ServiceSpec(80, Protocol.HTTP, http),
            ServiceSpec(554, Protocol.RTSP, rtsp),
        ),
    )


# -- printer -----------------------------------------------------------------------------------


def printer(key: str, ip: str) -> DeviceSpec:
    http = HttpConfig(
        server="HP HTTP Server; HP LaserJet Pro M404dn - W1A52A; Serial Number: PHBXX00000; "
        "Built:Mon Jan 10, 2022 FW 002.2201A",
        routes=(
            HttpRoute(
                "/", body=_page("HP LaserJet Pro M404dn", body="<h1>HP LaserJet Pro M404dn</h1>\n")
            ),
            _favicon_route((0x00, 0x96, 0xD6)),
        ),
    )
    return DeviceSpec(
        key=key,
        name="HP LaserJet Pro M404dn",
        ip=ip,
        vendor="HP",
        model="LaserJet Pro M404dn",
        firmware="002.2201A",
        device_type=DeviceType.OTHER,
        description="office printer: must never be reported as a camera",
        problems=(),
        expected_findings=(),
        credentials={},
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


# -- hikvision-new ----------------------------------------------------------------------------


def hikvision_new(key: str, ip: str) -> DeviceSpec:
    return DeviceSpec(
        key=key,
        name="Hikvision DS-2CD2143G2-I (never activated)",
        ip=ip,
        vendor="Hikvision",
        model="DS-2CD2143G2-I",
        firmware="V5.7.3build 220112",
        device_type=DeviceType.CAMERA,
        description="new Hikvision dome straight out of the box: no admin password set yet",
        problems=("never activated: whoever reaches it first chooses the admin password",),
        expected_findings=("camera-not-activated",),
        credentials={},
        services=(ServiceSpec(8000, Protocol.TCP, SilentConfig("Hikvision SDK")),),
        vendor_discovery=(
            SadpAnswer(
                model="DS-2CD2143G2-I",
                serial="DS-2CD2143G2-I20220301AAWRJ00000017",
                firmware="V5.7.3build 220112",
                dsp="V7.3 build 220112",
                mac="44-19-b6-00-00-17",
                activated=False,
            ),
        ),
    )


# -- p2p-cam ----------------------------------------------------------------------------------


def p2p_cam(key: str, ip: str) -> DeviceSpec:
    http = HttpConfig(
        server="GoAhead-Webs",
        routes=(HttpRoute("/", body=_page("IPCAM", body="<p>Use the app.</p>\n")),),
    )
    return DeviceSpec(
        key=key,
        name="P2P Wi-Fi camera (CS2 network)",
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="cheap Wi-Fi camera that phones home through a CS2 P2P cloud",
        problems=("answers the P2P LAN search with its cloud UID",),
        expected_findings=("p2p-cloud-id-exposed",),
        credentials={},
        services=(ServiceSpec(81, Protocol.HTTP, http),),
        vendor_discovery=(Cs2Answer(prefix="LABCAM", serial=123456, check="LABXY"),),
    )


KINDS: dict[str, Callable[[str, str], DeviceSpec]] = {
    "hikvision-old": hikvision_old,
    "dahua-default": dahua_default,
    "xiongmai-dvr": xiongmai_dvr,
    "open-rtsp": open_rtsp,
    "axis-hardened": axis_hardened,
    "printer": printer,
    "hikvision-new": hikvision_new,
    "p2p-cam": p2p_cam,
}


_FIRST_HOST = 11  # 127.77.0.11 .. .18, as docs/architecture.md lists them


def default_devices(prefix: str = "127.77.0") -> tuple[DeviceSpec, ...]:
    """The eight documented devices at ``<prefix>.11`` .. ``<prefix>.18``."""
    devices = []
    for offset, (kind, factory) in enumerate(KINDS.items()):
        ip = f"{prefix}.{_FIRST_HOST + offset}"
        try:
            ipaddress.IPv4Address(ip)
        except ValueError as exc:
            raise ValueError(f"lab prefix must be three octets like 127.77.0: {prefix!r}") from exc
        devices.append(factory(kind, ip))
    return tuple(devices)


def scaled_devices(n: int, network: str = "127.78.0.0/16") -> tuple[DeviceSpec, ...]:
    """``n`` devices cycling through the default kinds, one address each, for benchmarks."""
    net = ipaddress.ip_network(network)
    if not isinstance(net, ipaddress.IPv4Network) or not net.subnet_of(LOOPBACK):
        raise ValueError(f"lab network must lie inside 127.0.0.0/8: {network}")
    if n < 0 or n > net.num_addresses - 2:
        raise ValueError(f"{network} has room for {net.num_addresses - 2} devices, not {n}")
    pairs = zip(itertools.cycle(KINDS.items()), itertools.islice(net.hosts(), n), strict=False)
    return tuple(
        factory(f"{kind}-{index:04d}", str(address))
        for index, ((kind, factory), address) in enumerate(pairs)
    )


def describe(devices: Sequence[DeviceSpec | RunningDevice]) -> list[str]:
    """One line per device for ``camsweep lab --list``: where, what, which ports, what's wrong."""
    lines = []
    for item in devices:
        spec = item if isinstance(item, DeviceSpec) else item.spec
        bound = {} if isinstance(item, DeviceSpec) else item.ports
        ports = []
        for service in spec.services:
            actual = bound.get(service.port, service.port)
            shown = f"{actual}" if actual == service.port else f"{actual} (for {service.port})"
            ports.append(f"{shown}/{service.protocol}")
        problems = "; ".join(spec.problems) or "none"
        expect = ", ".join(spec.expected_findings) or "nothing above info"
        lines.append(
            f"{spec.key:<16} {spec.ip:<15} {spec.name} [{spec.device_type}] "
            f"ports {' '.join(ports)} | problems: {problems} | expect: {expect}"
        )
    return lines
