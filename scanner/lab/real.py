"""The real-daemon lab: Debian's own servers in network namespaces, each host in its own.

Where ``scanner.lab.netns`` runs camsweep's emulated cameras, this runs software someone else
wrote, so the scanner meets real ``login``/PAM fail delays, real Digest implementations and a real
mDNS responder. Every host is a namespace on the lab bridge (198.18.0.0/24, RFC 2544) whose
daemons run under ``unshare --mount --uts``: /etc/passwd, /etc/shadow, /etc/pam.d/login,
/etc/avahi/services, /run and /var/log are replaced *inside that mount namespace only*
(private propagation), so the host's accounts, PAM, avahi and logs are never touched.

* ``dvr-inetutils`` .21: inetutils telnetd + shadow ``login`` + PAM (3 s fail delay) and a
  silent 34567 (Xiongmai's DVRIP port): root/xc3511 (Mirai list);
* ``dvr-busybox`` .22: BusyBox telnetd + BusyBox ``login``: root/vizxv (Mirai list);
* ``web-lighttpd`` .23: lighttpd, open ``/``, Digest on ``/view/``, Basic on ``/admin/``:
  admin/admin;
* ``web-nginx`` .24: nginx, open ``/`` with a frame, Basic on ``/cgi-bin/``: admin/12345;
* ``cam-rtsp`` .25: GStreamer RTSP server, Digest on 554 and Basic on 8554 (admin/admin), and
  avahi-daemon announcing ``_rtsp._tcp`` and ``_http._tcp``;
* ``clean`` .26: nginx, open ``/``, Basic on ``/admin/`` with a strong password: nothing;
* ``lockout`` .27: inetutils telnetd + ``login`` + PAM ``pam_faillock deny=4`` and a strong
  password: a scan must leave root unlocked.

Root only. ``RealLab.close`` ends every process (by group and by namespace) and deletes every
namespace and temporary directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.lab.devices import DiscoveryIdentity
from scanner.lab.netns import NetnsDevice, NetnsError, NetnsLab, _quiet, netns_unavailable

__all__ = [
    "FAILLOCK_DENY",
    "PAM_FAIL_DELAY",
    "RealHost",
    "RealLab",
    "real_hosts",
    "real_lab_unavailable",
    "refusal_waits",
]

SYSTEM_PYTHON = "/usr/bin/python3"
_TELNETD = "/usr/sbin/telnetd"  # Debian's, with python3-gi (the project's may lack gi)
PAM_FAIL_DELAY = 3.0  # seconds, what Debian's /etc/pam.d/login asks of pam_faildelay
FAILLOCK_DENY = 4  # the lockout host locks root after this many failures in a row
_READY_TIMEOUT = 20.0
_LAB_DIR = Path(__file__).resolve().parent
_BINARIES = {
    "inetutils telnetd (inetutils-telnetd)": "/usr/sbin/telnetd",
    "login (login)": "/bin/login",
    "busybox with telnetd (busybox-static)": "/usr/bin/busybox",
    "lighttpd (lighttpd)": "/usr/sbin/lighttpd",
    "nginx (nginx-light)": "/usr/sbin/nginx",
    "avahi-daemon (avahi-daemon)": "/usr/sbin/avahi-daemon",
    "unshare (util-linux)": "/usr/bin/unshare",
    "openssl (openssl)": "/usr/bin/openssl",
    "Debian python3 (python3-gi)": SYSTEM_PYTHON,
}


def real_lab_unavailable() -> str | None:
    """Why the real-daemon lab cannot run here, or None."""
    reason = netns_unavailable()
    if reason is not None:
        return reason
    for what, path in _BINARIES.items():
        if not Path(path).exists():
            return f"{what} is not installed ({path})"
    bb = subprocess.run(
        ["/usr/bin/busybox", "--list"], capture_output=True, text=True, check=False, timeout=10
    )
    if "telnetd" not in bb.stdout.split():
        return "this busybox has no telnetd applet (install busybox-static)"
    gi = subprocess.run(  # noqa: S603  (fixed argv)
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    if gi.returncode != 0:
        return "GStreamer's RTSP server bindings are missing (gir1.2-gst-rtsp-server-1.0)"
    return None


@dataclass(frozen=True)
class RealHost:
    key: str
    ip: str
    mac: str
    hostname: str
    # Writes the host's files into its directory and returns the shell lines that start its
    # daemons (each backgrounded); the lab adds the mounts before and ``wait`` after.
    setup: Callable[[RealHost, Path], list[str]]
    ports: tuple[int, ...]  # what must accept connections before the host counts as ready
    expect: str


# --- files -------------------------------------------------------------------------------------


def _openssl_passwd(scheme: str, password: str) -> str:
    """A password hash by ``openssl passwd -<scheme>`` (6: SHA-512 crypt, apr1: htpasswd)."""
    out = subprocess.run(  # noqa: S603  (fixed argv)
        ["/usr/bin/openssl", "passwd", f"-{scheme}", "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return out.stdout.strip()


def _accounts(d: Path, root_password: str) -> list[str]:
    """A namespace-only passwd/shadow/group with root (and nobody), and their bind mounts."""
    (d / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    hashed = _openssl_passwd("6", root_password)
    (d / "shadow").write_text(f"root:{hashed}:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n")
    (d / "shadow").chmod(0o600)
    (d / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    return [_bind(d / name, f"/etc/{name}") for name in ("passwd", "shadow", "group")]


def _bind(source: Path, target: str) -> str:
    return f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}"


def _pam_login(d: Path, *, faillock: bool) -> list[str]:
    """/etc/pam.d/login as Debian ships it where it matters (pam_faildelay 3 s, pam_unix), plus
    pam_faillock (its tally in the host's own directory) on the lockout host."""
    delay = int(PAM_FAIL_DELAY * 1_000_000)
    tally = d / "faillock"
    tally.mkdir()
    lock = f"dir={tally} deny={FAILLOCK_DENY} unlock_time=600"
    auth = (
        [
            f"auth required pam_faillock.so preauth {lock}",
            "auth [success=1 default=bad] pam_unix.so nullok",
            f"auth [default=die] pam_faillock.so authfail {lock}",
            f"auth sufficient pam_faillock.so authsucc {lock}",
            "auth required pam_deny.so",
            f"account required pam_faillock.so {lock}",
        ]
        if faillock
        else ["auth required pam_unix.so nullok"]
    )
    lines = [
        f"auth optional pam_faildelay.so delay={delay}",
        *auth,
        "account required pam_unix.so",
        "session required pam_unix.so",
    ]
    (d / "pam-login").write_text("\n".join(lines) + "\n")
    (d / "motd").write_text("Welcome to the camsweep real-daemon lab.\n")
    return [_bind(d / "pam-login", "/etc/pam.d/login"), _bind(d / "motd", "/etc/motd")]


def _lab_python(module: str, *args: str) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", module, *args))


def _inetutils(host: RealHost, d: Path, password: str, *, faillock: bool) -> list[str]:
    lines = [*_accounts(d, password), *_pam_login(d, faillock=faillock)]
    lines.append(
        _lab_python("scanner.lab.inetd", "--bind", host.ip, "--port", "23", "--", _TELNETD) + " &"
    )
    return lines


def _dvr_inetutils(host: RealHost, d: Path) -> list[str]:
    lines = _inetutils(host, d, "xc3511", faillock=False)
    silent = _lab_python("scanner.lab.inetd", "--bind", host.ip, "--port", "34567", "--silent")
    lines.append(silent + " &")
    return lines


def _lockout(host: RealHost, d: Path) -> list[str]:
    return _inetutils(host, d, "Lab-Strong-Passw0rd-7c1e", faillock=True)


def _dvr_busybox(host: RealHost, d: Path) -> list[str]:
    lines = _accounts(d, "vizxv")
    (d / "bin").mkdir()
    # BusyBox picks the applet by argv[0]: a link named "login" is BusyBox's own login.
    (d / "bin" / "login").symlink_to("/usr/bin/busybox")
    login = shlex.quote(str(d / "bin" / "login"))
    lines.append(f"/usr/bin/busybox telnetd -F -p 23 -b {host.ip} -l {login} &")
    return lines


_HOME = """<!DOCTYPE html>
<html><head><title>IP Camera</title><script src="/js/app.js"></script></head>
<body><h1>IP Camera</h1><a href="/view/index.html">Live view</a></body></html>
"""


def _htdigest(user: str, realm: str, password: str) -> str:
    digest = hashlib.md5(f"{user}:{realm}:{password}".encode(), usedforsecurity=False)
    return f"{user}:{realm}:{digest.hexdigest()}\n"


def _lighttpd(host: RealHost, d: Path) -> list[str]:
    www = d / "www"
    for sub in ("view", "admin", "js"):
        (www / sub).mkdir(parents=True)
    (www / "index.html").write_text(_HOME)
    (www / "js" / "app.js").write_text("var settings = '/admin/settings.html';\n")
    (www / "view" / "index.html").write_text("<html><title>Live</title></html>\n")
    (www / "admin" / "settings.html").write_text("<html><title>Settings</title></html>\n")
    (d / "htdigest").write_text(_htdigest("admin", "IPCAM", "admin"))
    require = '"realm" => "IPCAM", "require" => "valid-user"'
    (d / "lighttpd.conf").write_text(
        f"""server.document-root = "{www}"
server.bind = "{host.ip}"
server.port = 80
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/error.log"
server.modules = ("mod_auth", "mod_authn_file")
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".js" => "application/javascript")
auth.backend = "htdigest"
auth.backend.htdigest.userfile = "{d}/htdigest"
auth.require = (
  "/view/" => ("method" => "digest", {require}),
  "/admin/" => ("method" => "basic", {require}),
)
"""
    )
    return [f"/usr/sbin/lighttpd -D -f {shlex.quote(str(d / 'lighttpd.conf'))} &"]


def _htpasswd(user: str, password: str) -> str:
    return f"{user}:{_openssl_passwd('apr1', password)}\n"


def _nginx(host: RealHost, d: Path, *, protected: str, password: str, home: str) -> list[str]:
    www = d / "www"
    (www / protected.strip("/")).mkdir(parents=True)
    (www / "index.html").write_text(home)
    (www / protected.strip("/") / "index.html").write_text("<html><title>Setup</title></html>\n")
    (d / "htpasswd").write_text(_htpasswd("admin", password))
    temp = " ".join(
        f"{name}_temp_path {d}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (d / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  {temp}
  server {{
    listen {host.ip}:80;
    root {www};
    location {protected} {{
      auth_basic "Device Setup";
      auth_basic_user_file {d}/htpasswd;
      try_files $uri $uri/index.html =404;
    }}
  }}
}}
"""
    )
    return [f"/usr/sbin/nginx -c {shlex.quote(str(d / 'nginx.conf'))} &"]


def _web_nginx(host: RealHost, d: Path) -> list[str]:
    home = (
        "<html><head><title>NVR</title></head><frameset cols='100%'>"
        "<frame src='/cgi-bin/main.html'></frameset></html>\n"
    )
    return _nginx(host, d, protected="/cgi-bin/", password="12345", home=home)  # noqa: S106


def _clean(host: RealHost, d: Path) -> list[str]:
    home = "<html><head><title>Welcome</title></head><body><a href='/admin/'>Admin</a></body>\n"
    strong = "Lab-Strong-Passw0rd-91aa"
    return _nginx(host, d, protected="/admin/", password=strong, home=home)


def _cam_rtsp(host: RealHost, d: Path) -> list[str]:
    services = d / "avahi-services"
    services.mkdir()
    for kind, port in (("_rtsp._tcp", 554), ("_http._tcp", 80)):
        (services / f"{kind.strip('_').split('.')[0]}.service").write_text(
            f"""<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group><name>Lab Camera {kind}</name>
<service><type>{kind}</type><port>{port}</port><txt-record>model=LabCam-1</txt-record></service>
</service-group>
"""
        )
    (d / "avahi.conf").write_text(
        f"""[server]
host-name={host.hostname}
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
"""
    )
    gst = shlex.quote(str(_LAB_DIR / "gst_rtspd.py"))
    return [
        _bind(services, "/etc/avahi/services"),
        f"{SYSTEM_PYTHON} {gst} {host.ip} 554 /live/ch0 digest admin admin &",
        f"{SYSTEM_PYTHON} {gst} {host.ip} 8554 /live/ch0 basic admin admin &",
        f"/usr/sbin/avahi-daemon --no-drop-root --no-chroot --no-rlimits -f {d}/avahi.conf &",
    ]


def real_hosts() -> tuple[RealHost, ...]:
    return (
        RealHost("dvr-inetutils", "198.18.0.21", "02:00:5e:12:00:21", "dvr", _dvr_inetutils,
                 (23, 34567), "Telnet through inetutils + login + PAM: root/xc3511"),
        RealHost("dvr-busybox", "198.18.0.22", "02:00:5e:12:00:22", "hi3518", _dvr_busybox,
                 (23,), "Telnet through BusyBox telnetd + login: root/vizxv"),
        RealHost("web-lighttpd", "198.18.0.23", "02:00:5e:12:00:23", "ipcam", _lighttpd,
                 (80,), "open home page; Digest admin/admin on /view/"),
        RealHost("web-nginx", "198.18.0.24", "02:00:5e:12:00:24", "nvr", _web_nginx,
                 (80,), "open home page with a frame; Basic admin/12345 on /cgi-bin/"),
        RealHost("cam-rtsp", "198.18.0.25", "02:00:5e:12:00:25", "labcam", _cam_rtsp,
                 (554, 8554), "RTSP Digest admin/admin (554), Basic admin/admin (8554); mDNS"),
        RealHost("clean", "198.18.0.26", "02:00:5e:12:00:26", "clean", _clean,
                 (80,), "nothing planted: must stay quiet"),
        RealHost("lockout", "198.18.0.27", "02:00:5e:12:00:27", "vault", _lockout,
                 (23,), f"pam_faillock deny={FAILLOCK_DENY}: must not be locked after a scan"),
    )  # fmt: skip


_REFUSAL_WAIT = re.compile(r"refused \('[^']*'\)(?:, [a-z ]+)? after ([0-9]+\.[0-9]+)s")


def refusal_waits(report: Mapping[str, Any]) -> dict[str, list[float]]:
    """Per host of a JSON report: how long each refused login waited for its answer (the
    login program's fail delay), read from the credential notes' answers."""
    waits: dict[str, list[float]] = {}
    for host in report.get("hosts", []):
        found: list[float] = []
        for note in host.get("notes", []):
            if "tried with credentials" in note:
                found.extend(float(x) for x in _REFUSAL_WAIT.findall(note))
        waits[host["ip"]] = found
    return waits


class RealLab(NetnsLab):
    """``NetnsLab``'s namespaces and bridge, with real daemons instead of emulated devices."""

    def __init__(self, hosts: Sequence[RealHost] | None = None, *, prefix: str | None = None):
        self.hosts = tuple(hosts if hosts is not None else real_hosts())
        devices = [
            NetnsDevice(
                h.key,
                h.ip,
                dataclasses.replace(
                    _quiet(h.key, "127.0.0.1", h.expect), discovery=DiscoveryIdentity(mac=h.mac)
                ),
                h.expect,
            )
            for h in self.hosts
        ]
        super().__init__(devices, prefix=prefix)
        self._dirs: list[Path] = []
        self.dirs: dict[str, Path] = {}

    def start(self) -> RealLab:
        reason = real_lab_unavailable()
        if reason is not None:
            raise NetnsError(reason)
        super().start()
        return self

    def __enter__(self) -> RealLab:
        return self.start()

    def _start_devices(self) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": root}
        for host in self.hosts:
            d = Path(tempfile.mkdtemp(prefix=f"camsweep-real-{host.key}-"))
            self._dirs.append(d)
            self.dirs[host.key] = d
            lines = [
                "set -e",
                # A private /run and /var/log: login's utmp/wtmp/lastlog, avahi's pid file and
                # the daemons' logs stay in this mount namespace.
                "mount -t tmpfs -o mode=0755 camsweep-run /run",
                "mount -t tmpfs -o mode=0755 camsweep-log /var/log",
                f"hostname {shlex.quote(host.hostname)}",
                *host.setup(host, d),
                "wait",
            ]
            (d / "start.sh").write_text("\n".join(lines) + "\n")
            errors = (d / "stderr").open("wb")
            proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell string from input)
                self.exec_argv(
                    self.device_ns(host.key),
                    ["unshare", "--mount", "--uts", "--fork", "sh", str(d / "start.sh")],
                ),
                stdin=subprocess.DEVNULL,
                stdout=errors,
                stderr=errors,
                text=True,
                env=env,
                start_new_session=True,
            )
            errors.close()
            self._procs.append(proc)
        deadline = time.monotonic() + _READY_TIMEOUT
        for host, proc in zip(self.hosts, self._procs, strict=True):
            self._wait_ports(host, proc, deadline)

    def _wait_ports(self, host: RealHost, proc: subprocess.Popen[str], deadline: float) -> None:
        probe = (
            "import socket,sys,time\n"
            "end=time.monotonic()+float(sys.argv[2])\n"
            "for p in sys.argv[3:]:\n"
            "    while True:\n"
            "        try:\n"
            "            socket.create_connection((sys.argv[1], int(p)), 0.5).close(); break\n"
            "        except OSError:\n"
            "            if time.monotonic() > end: sys.exit(f'port {p} never opened')\n"
            "            time.sleep(0.1)\n"
        )
        remaining = max(deadline - time.monotonic(), 1.0)
        check = subprocess.run(  # noqa: S603  (fixed argv)
            self.exec_argv(
                self.device_ns(host.key),
                [sys.executable, "-c", probe, host.ip, f"{remaining:.1f}", *map(str, host.ports)],
            ),
            capture_output=True,
            text=True,
            check=False,
            timeout=remaining + 10,
        )
        if check.returncode != 0:
            log = (self.dirs[host.key] / "stderr").read_text(errors="replace").strip()
            tail = log.splitlines()[-1] if log else f"exit code {proc.poll()}"
            raise NetnsError(f"real lab host {host.key}: {check.stderr.strip()}: {tail}")

    def in_host(self, key: str, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run a command in a host's network namespace (not its mount namespace)."""
        return subprocess.run(  # noqa: S603  (the caller's fixed argv)
            self.exec_argv(self.device_ns(key), list(argv)),
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )

    def close(self) -> None:
        # The daemons never read stdin: end them now rather than after NetnsLab's grace wait.
        for proc in self._procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        super().close()
        for d in self._dirs:
            with contextlib.suppress(OSError):
                shutil.rmtree(d)
        self._dirs.clear()
