"""Vulnerable and fixed variants of the devices behind the signatures' active checks.

Each builder makes one device as its advisory describes it on the wire, once with the flaw
(``fixed=False``) and once without (``fixed=True``), so a test can prove a check fires on the
first and stays quiet on the second. A decoy per check answers every path with the same page,
to prove a check needs the flaw's own answer and not merely a 200. The Server headers, realms
and titles are the devices' own (as the advisories and the shipped fingerprints record them);
the leaked secrets are lab-only strings, so a test can assert that no output repeats them.

Written, like the rest of the lab, without importing the scanner's probes or matchers.
"""

from __future__ import annotations

import dataclasses
import struct
import typing
from dataclasses import dataclass

from scanner.lab.auth import AuthKind, AuthPolicy
from scanner.lab.devices import DeviceSpec, ServiceSpec, favicon, hikvision_old
from scanner.lab.httpd import EndlessBody, HttpConfig, HttpRoute, RequestLog
from scanner.lab.onvifd import OnvifConfig
from scanner.models import DeviceType, Protocol

__all__ = [
    "ACTIVE_CHECKS",
    "ActiveCheckLab",
    "amcrest_ip2m_841",
    "answers_everything",
    "dhav_audio_frame",
    "dlink_dcs_2530l",
    "hikvision_ds_2cd2032",
    "tbk_dvr4104",
    "wificam_goahead",
]


def _html(title: str, body: str, head: str = "") -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
        f"<title>{title}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    ).encode()


def _icon(rgb: tuple[int, int, int]) -> HttpRoute:
    return HttpRoute("/favicon.ico", body=favicon(rgb), content_type="image/x-icon")


# -- Hikvision DS-2CD2032-I: CVE-2017-7921 ---------------------------------------------------

_HIK_SERIAL = "DS-2CD2032-I20141201CCWR000000000"


def hikvision_ds_2cd2032(
    key: str, ip: str, *, fixed: bool = False, log: RequestLog | None = None
) -> DeviceSpec:
    """The lab's ``hikvision-old`` camera (scanner.lab.devices), whose ``?auth=YWRtaW46MTEK``
    backdoor reads /System/deviceInfo without a login (CVE-2017-7921). The fixed variant keeps
    the same firmware string with the backdoor closed, as a vendor backport would."""
    spec = hikvision_old(key, ip)
    services = []
    for service in spec.services:
        config = service.config
        if isinstance(config, HttpConfig):
            routes = tuple(
                dataclasses.replace(r, bypass_query=None) if fixed else r for r in config.routes
            )
            config = dataclasses.replace(config, routes=routes, log=log)
        services.append(dataclasses.replace(service, config=config))
    return dataclasses.replace(
        spec,
        services=tuple(services),
        problems=() if fixed else spec.problems,
        expected_findings=() if fixed else spec.expected_findings,
    )


# -- D-Link DCS-2530L: CVE-2020-25078 ---------------------------------------------------------

_DLINK_MODEL = "DCS-2530L"


def dlink_dcs_2530l(
    key: str, ip: str, *, fixed: bool = False, log: RequestLog | None = None
) -> DeviceSpec:
    """D-Link DCS-2530L. Its web server (``dcs-lig-httpd``) puts the whole UI behind Basic auth
    with the model as the realm. Before the 1.06.01 hotfix, ``/config/getuser?index=0`` skipped
    that and answered the admin's name and password as ``key=value`` lines (CVE-2020-25078);
    the hotfix asks for the login there too."""
    password = "Dl-2530L!lab7Q"  # noqa: S105 -- lab-only strong login, what the leak would show
    user_list = f"name=admin\npass={password}\npriv=1\n".encode()
    routes = (
        HttpRoute(
            "/",
            body=_html(_DLINK_MODEL, '<div id="live"></div>\n'),
            auth=True,
        ),
        # Fixed: the hotfix gates getuser like every other /config/ CGI. Vulnerable: no gate.
        HttpRoute("/config/getuser", body=user_list, content_type="text/plain", auth=fixed),
        HttpRoute("/config/*", body=b"", content_type="text/plain", auth=True),
        _icon((0x00, 0x7F, 0xA3)),
    )
    http = HttpConfig(
        server="dcs-lig-httpd",
        auth=AuthPolicy(realm=_DLINK_MODEL, schemes=(AuthKind.BASIC,)),
        routes=routes,
        log=log,
    )
    firmware = "1.06.01" if fixed else "1.05.05"
    return DeviceSpec(
        key=key,
        name=f"D-Link {_DLINK_MODEL}",
        ip=ip,
        vendor="D-Link",
        model=_DLINK_MODEL,
        firmware=firmware,
        device_type=DeviceType.CAMERA,
        description=f"D-Link Wi-Fi camera on firmware {firmware}",
        problems=() if fixed else ("/config/getuser?index=0 tells anyone the admin password",),
        expected_findings=() if fixed else ("dlink-cve-2020-25078",),
        credentials={Protocol.HTTP: ("admin", password)},
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


# -- P2P WIFICAM (GoAhead): CVE-2017-8225 -----------------------------------------------------


def _system_ini(password: str) -> bytes:
    """A stand-in for the camera's binary settings dump: fixed-width, NUL-padded fields, as
    ``strings system.ini`` in Pierre Kim's advisory shows them (the admin user and its password
    in clear among the camera's other settings)."""
    fields = ("IPCAM", "admin", password, "", "", "", "", "192.168.1.120", "8.8.8.8")
    return b"\x00" * 8 + b"".join(value.encode().ljust(32, b"\x00") for value in fields)


def wificam_goahead(
    key: str, ip: str, *, fixed: bool = False, log: RequestLog | None = None
) -> DeviceSpec:
    """A "Wireless IP Camera (P2P) WIFICAM": GoAhead-Webs asking for Basic credentials in the
    realm "GoAhead". Its GoAhead build serves ``/system.ini`` (which holds the admin password in
    clear) to a request whose query carries empty ``loginuse`` and ``loginpas`` (CVE-2017-8225);
    the fixed build asks for the login there as everywhere else."""
    password = "Wc-8225!lab3Z"  # noqa: S105 -- lab-only; the leak would show it
    routes = (
        HttpRoute("/", body=_html("IPCAM", '<div id="player"></div>\n'), auth=True),
        HttpRoute(
            "/system.ini",
            body=_system_ini(password),
            content_type="text/plain",
            auth=True,
            bypass_query=None if fixed else "loginuse&loginpas",
        ),
    )
    http = HttpConfig(
        server="GoAhead-Webs",
        auth=AuthPolicy(realm="GoAhead", schemes=(AuthKind.BASIC,)),
        routes=routes,
        log=log,
    )
    return DeviceSpec(
        key=key,
        name="P2P WIFICAM (GoAhead)",
        ip=ip,
        vendor="WIFICAM",
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="white-label GoAhead Wi-Fi camera" + (" with the fix" if fixed else ""),
        problems=() if fixed else ("/system.ini?loginuse&loginpas leaks the admin password",),
        expected_findings=() if fixed else ("wificam-cve-2017-8225",),
        credentials={Protocol.HTTP: ("admin", password)},
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


# -- TBK DVR4104: CVE-2018-9995 ---------------------------------------------------------------


def _tbk_login_page() -> bytes:
    return _html(
        "DVR Login",
        '<form name="loginForm" method="post" action="/login.rsp">\n'
        '<input type="text" name="username" />\n<input type="password" name="userpwd" />\n'
        '<input type="submit" value="Login" />\n</form>\n',
    )


def tbk_dvr4104(
    key: str, ip: str, *, fixed: bool = False, log: RequestLog | None = None
) -> DeviceSpec:
    """A TBK DVR4104 (the firmware its Novo, CeNova, Q-See, Night Owl ... rebrands run): a
    "DVR Login" form posting to /login.rsp, data from /device.rsp. Vulnerable firmware takes a
    ``Cookie: uid=admin`` as a login and answers ``/device.rsp?opt=user&cmd=list`` with every
    user and password as JSON (CVE-2018-9995). Without a session the lab answers what a refused
    web client gets here, a 200 whose JSON says the request failed: the harder case for a check,
    which must not take a 200 alone for a leak. The fixed variant trusts no cookie."""
    password = "Tbk-9995!lab4K"  # noqa: S105 -- lab-only; the leak would show it
    viewer = "Tbk-viewer!2Lm"  # a second account: the leak lists every user
    users = (
        '{"result":0,"list":['
        f'{{"uid":"admin","pwd":"{password}","role":2,"enmac":0,"mac":"00:00:00:00:00:00",'
        '"playback":4294967295,"view":4294967295,"rview":4294967295,"ptz":4294967295,'
        '"backup":4294967295,"opt":4294967295},'
        f'{{"uid":"viewer","pwd":"{viewer}","role":1,"enmac":0,"mac":"00:00:00:00:00:00",'
        '"playback":0,"view":15,"rview":0,"ptz":0,"backup":0,"opt":0}]}'
    ).encode()
    refused = b'{"result":-1}'
    leak: tuple[HttpRoute, ...] = (
        ()
        if fixed
        else (
            HttpRoute(
                "/device.rsp", body=users, content_type="text/plain", cookie=("uid", "admin")
            ),
        )
    )
    routes = (
        HttpRoute("/", body=_tbk_login_page()),
        *leak,
        HttpRoute("/device.rsp", body=refused, content_type="text/plain"),
        HttpRoute("/login.rsp", body=refused, content_type="text/plain"),
        _icon((0x20, 0x20, 0x60)),
    )
    http = HttpConfig(server=None, routes=routes, log=log)
    return DeviceSpec(
        key=key,
        name="TBK DVR4104",
        ip=ip,
        vendor="TBK Vision",
        model="DVR4104",
        firmware=None,
        device_type=DeviceType.RECORDER,
        description="TBK 4-channel recorder" + (" on patched firmware" if fixed else ""),
        problems=() if fixed else ('"Cookie: uid=admin" lists every user and password',),
        expected_findings=() if fixed else ("tbk-cve-2018-9995",),
        credentials={Protocol.HTTP: ("admin", password)},
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


# -- Amcrest IP2M-841: CVE-2019-3948 ----------------------------------------------------------

_AMCREST_SERIAL = "AMC0158F3C27E9A41"
# 40 ms of G.711 A-law silence (8 kHz, one byte per sample; 0xD5 is A-law's zero level).
_AUDIO_MS = 40
_ALAW_SILENCE = b"\xd5" * (8 * _AUDIO_MS)


def dhav_audio_frame(payload: bytes, number: int = 0) -> bytes:
    """One audio frame in Dahua's DHAV container as ffmpeg's dhav demuxer reads it: a 24-byte
    header ("DHAV", frame type 0xF0 = audio, channel, sub-frame, frame number, total length,
    time, a zero-length extension, a header checksum), the payload, then the "dhav" trailer
    with the total length again."""
    total = 24 + len(payload) + 8
    head = b"DHAV" + struct.pack("<BBBBIIIHBB", 0xF0, 0, 0, 0, number, total, 0, 0, 0, 0)
    head = head[:-1] + bytes([sum(head[:23]) & 0xFF])
    return head + payload + b"dhav" + struct.pack("<I", total)


def amcrest_ip2m_841(
    key: str, ip: str, *, fixed: bool = False, log: RequestLog | None = None
) -> DeviceSpec:
    """Amcrest IP2M-841B (Dahua firmware): the Dahua "WEB SERVICE" page without a Server
    header, Digest realm "Login to <serial>", and ONVIF on the web port. On the affected
    firmware ``GET /videotalk`` answers 200 and then streams the microphone's audio, DHAV-framed
    at its real pace, to anyone (CVE-2019-3948); fixed firmware asks for the login.

    The lab camera answers ONVIF GetDeviceInformation without a login: on loopback (no MAC, no
    multicast) that is the evidence that names it an Amcrest rather than a Dahua."""
    password = "Am-3948!lab8P"  # noqa: S105 -- lab-only strong login
    firmware = "V2.420.AC00.18.R" if fixed else "V2.520.AC00.18.R"
    page = _html(
        "WEB SERVICE",
        '<div id="login_wrapper"></div>\n',
        '<script type="text/javascript" src="/jsBase/lib/jquery.js"></script>\n'
        '<script type="text/javascript" src="/jsCore/rpcCore.js"></script>\n',
    )
    # The fixed firmware gates /videotalk; the stream itself is the same.
    audio = EndlessBody(dhav_audio_frame(_ALAW_SILENCE), interval=_AUDIO_MS / 1000)
    routes = (
        HttpRoute("/", body=page),
        HttpRoute("/videotalk", content_type="Audio/DHAV", auth=fixed, endless=audio),
        HttpRoute("/cgi-bin/*", body=b"Error\r\n", content_type="text/plain", auth=True),
        _icon((0x1F, 0x5F, 0xAF)),
    )
    http = HttpConfig(
        server=None,
        auth=AuthPolicy(realm=f"Login to {_AMCREST_SERIAL}", schemes=(AuthKind.DIGEST,)),
        routes=routes,
        onvif=OnvifConfig(
            manufacturer="Amcrest",
            model="IP2M-841B",
            firmware=firmware,
            serial=_AMCREST_SERIAL,
            hardware_id="1.00",
            open_access=True,
            stream_path="/cam/realmonitor?channel=1&subtype=0",
            snapshot_path="/onvif/snapshot",
        ),
        log=log,
    )
    return DeviceSpec(
        key=key,
        name="Amcrest IP2M-841B",
        ip=ip,
        vendor="Amcrest",
        model="IP2M-841B",
        firmware=firmware,
        device_type=DeviceType.CAMERA,
        description=f"Amcrest pan-tilt camera on firmware {firmware}",
        problems=() if fixed else ("/videotalk streams the microphone to anyone",),
        expected_findings=() if fixed else ("amcrest-cve-2019-3948",),
        credentials={Protocol.HTTP: ("admin", password)},
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


# -- decoys: the same page to every path ------------------------------------------------------

# A login page of the common kind: the user name pre-filled with "admin" and a script that sends
# "user=...&pass=..."; pages like it are everywhere on cheap cameras, and a camera that serves
# its login page for every unknown path serves these words on every path.
_LOGIN_FORM = (
    '<form id="login" onsubmit="return doLogin();">\n'
    '<input type="text" id="user" value="admin" />\n'
    '<input type="password" id="pwd" />\n<input type="submit" value="Login" />\n</form>\n'
    '<script type="text/javascript">\nfunction doLogin() {\n'
    '  var q = "user=" + encodeURIComponent(user.value) + "&pass=" +'
    " encodeURIComponent(pwd.value);\n"
    '  location.href = "/login.cgi?" + q;\n  return false;\n}\n</script>\n'
)


def answers_everything(
    check_id: str, key: str, ip: str, *, log: RequestLog | None = None
) -> DeviceSpec:
    """A camera identified as the vendor of ``check_id`` whose web server answers every GET
    path with one 200 login page. The WIFICAM keeps its Basic challenge on ``/`` because its
    realm is the only thing that identifies it; every other path gets the page."""
    page_for: dict[str, tuple[str | None, str, str]] = {
        # check id -> (Server header, title, extra head markup)
        "dlink-cve-2020-25078": ("dcs-lig-httpd", _DLINK_MODEL, ""),
        "wificam-cve-2017-8225": ("GoAhead-Webs", "IPCAM", ""),
        "tbk-cve-2018-9995": (None, "DVR Login", ""),
        "amcrest-cve-2019-3948": (None, "WEB SERVICE", ""),
        "hikvision-cve-2017-7921": (
            "App-webs/",
            "Hikvision Web Login",
            '<script src="../script/login.js?version=V5.2.5build141201"></script>\n',
        ),
    }
    if check_id not in page_for:
        raise ValueError(f"no decoy for {check_id!r}; known: {', '.join(sorted(page_for))}")
    server, title, head = page_for[check_id]
    body = _LOGIN_FORM
    if check_id == "tbk-cve-2018-9995":
        body += '<form name="loginForm" method="post" action="/login.rsp"></form>\n'
    page = _html(title, body, head)
    routes: tuple[HttpRoute, ...] = (HttpRoute("/*", body=page),)
    auth = None
    onvif = None
    credentials: dict[Protocol, tuple[str, str]] = {}
    if check_id == "wificam-cve-2017-8225":
        routes = (HttpRoute("/", body=page, auth=True), *routes)
        auth = AuthPolicy(realm="GoAhead", schemes=(AuthKind.BASIC,))
        credentials[Protocol.HTTP] = ("admin", "Decoy-lab!9x")
    if check_id == "amcrest-cve-2019-3948":
        onvif = OnvifConfig(
            manufacturer="Amcrest",
            model="IP2M-841B",
            firmware="V2.520.AC00.18.R",
            serial=_AMCREST_SERIAL,
            hardware_id="1.00",
            open_access=True,
        )
        credentials[Protocol.HTTP] = ("admin", "Decoy-lab!9x")
    http = HttpConfig(server=server, routes=routes, auth=auth, onvif=onvif, log=log)
    return DeviceSpec(
        key=key,
        name=f"{title} (answers every path)",
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.CAMERA,
        description="camera whose web server answers every path with its login page",
        problems=(),
        expected_findings=(),
        credentials=credentials,
        services=(ServiceSpec(80, Protocol.HTTP, http),),
    )


# -- the table the tests walk -----------------------------------------------------------------


class Builder(typing.Protocol):
    def __call__(
        self, key: str, ip: str, *, fixed: bool = False, log: RequestLog | None = None
    ) -> DeviceSpec: ...


@dataclass(frozen=True)
class ActiveCheckLab:
    """One signature's active check and the lab device that proves it."""

    check_id: str  # the vulnerability id in signatures/vulnerabilities.yaml
    path: str  # the path (without query) its one request asks for
    build: Builder  # (key, ip, *, fixed, log) -> DeviceSpec
    leaked: str | None = None  # what the flaw reveals, when it is not the admin password

    def secret(self, spec: DeviceSpec) -> str:
        """What the vulnerable device gives away, which no output may repeat."""
        return self.leaked or spec.credentials[Protocol.HTTP][1]


ACTIVE_CHECKS: tuple[ActiveCheckLab, ...] = (
    ActiveCheckLab(
        "hikvision-cve-2017-7921", "/System/deviceInfo", hikvision_ds_2cd2032, _HIK_SERIAL
    ),
    ActiveCheckLab("dlink-cve-2020-25078", "/config/getuser", dlink_dcs_2530l),
    ActiveCheckLab("wificam-cve-2017-8225", "/system.ini", wificam_goahead),
    ActiveCheckLab("tbk-cve-2018-9995", "/device.rsp", tbk_dvr4104),
    ActiveCheckLab("amcrest-cve-2019-3948", "/videotalk", amcrest_ip2m_841),
)
