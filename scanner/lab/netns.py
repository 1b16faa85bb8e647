"""The namespace lab: a small LAN of Linux network namespaces with emulated cameras on it.

Layout (all inside namespaces this module creates; nothing is added to the root namespace):

    <prefix>br    a bridge (br0, multicast snooping off so SSDP/WS-Discovery multicast floods)
    <prefix>scan  the scanner, 198.18.0.2/24, eth0 -> bridge
    <prefix><n>   one namespace per device, 198.18.0.x/24 with its own MAC, eth0 -> bridge

198.18.0.0/15 is the benchmarking range (RFC 2544 / RFC 6890): never routed, so the lab can
never be confused with a real network. Each device namespace runs ``python -m
scanner.lab.netns device KEY``: the device's loopback lab services (``start_lab``, unchanged:
the lab only ever binds loopback) behind a small TCP forwarder from its 198.18 address, plus its
mDNS, SSDP and WS-Discovery responders. IPv6 is off in every lab namespace so a passive test sees
only what the lab itself sends.

Root only (namespaces need CAP_SYS_ADMIN). ``NetnsLab.close`` ends every process the lab
started (by process group) and deletes every namespace, also after a failure halfway.
``camsweep lab --netns`` builds it for people to scan by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.lab.devices import (
    DeviceSpec,
    DiscoveryIdentity,
    MdnsAnnouncement,
    OnvifIdentity,
    SsdpIdentity,
    dahua_default,
    hikvision_new,
    hikvision_old,
    p2p_cam,
)
from scanner.lab.responders import MdnsResponder, SsdpResponder, WsdResponder
from scanner.lab.runner import start_lab
from scanner.lab.vendord import DhipAnswer, SadpAnswer, VendorResponder
from scanner.models import DeviceType

__all__ = [
    "NETWORK",
    "SCANNER_IP",
    "NetnsDevice",
    "NetnsError",
    "NetnsLab",
    "netns_devices",
    "netns_unavailable",
]

NETWORK = "198.18.0.0/24"
PREFIXLEN = 24
SCANNER_IP = "198.18.0.2"
SCANNER_MAC = "02:00:5e:12:00:02"  # locally administered: the scanner claims no vendor
_IP = "/usr/sbin/ip"
_COMMAND_TIMEOUT = 10.0
_READY_TIMEOUT = 30.0
_FORWARD_IDLE = 30.0
_FORWARD_LIFETIME = 120.0
_MAX_FORWARDED = 256
_DEFAULT_LIFETIME = 3600.0  # a device process never outlives this, whatever its parent does


class NetnsError(Exception):
    """The namespace lab could not be built here; the message says why, in one line."""


@dataclass(frozen=True)
class NetnsDevice:
    """One device of the namespace lab: its LAN address and what it runs."""

    key: str
    ip: str  # 198.18.0.x
    spec: DeviceSpec  # its services on loopback inside its own namespace, and its LAN identity
    expect: str  # what a scan must show, in words (for `camsweep lab --netns`)
    # Drop every inbound TCP packet in the device's namespace (nftables): its ports look
    # filtered, as behind a firewall, and only its UDP discovery answer can name it.
    filter_tcp: bool = False
    # UDP discovery ports whose answers the device sends to the multicast group, not back to
    # the asker (as Hikvision SADP devices may); the scanner must listen on the group.
    group_replies: frozenset[int] = frozenset()

    @property
    def mac(self) -> str:
        return self.spec.discovery.mac or "02:00:00:00:00:00"


def _quiet(key: str, ip: str, name: str) -> DeviceSpec:
    return DeviceSpec(
        key=key,
        name=name,
        ip=ip,
        vendor=None,
        model=None,
        firmware=None,
        device_type=DeviceType.UNKNOWN,
        description="",
        problems=(),
        expected_findings=(),
        credentials={},
        services=(),
    )


def netns_devices() -> tuple[NetnsDevice, ...]:
    """The built-in namespace lab: what each device is and how a scan must see it."""
    hik = dataclasses.replace(
        hikvision_old("hikvision-old", "127.77.0.11"),
        discovery=DiscoveryIdentity(
            mac="44:19:b6:00:00:11",  # an OUI registered to Hangzhou Hikvision
            ssdp=SsdpIdentity(
                uuid="7c1c3b2a-0000-4000-8000-4419b6000011",
                manufacturer="Hikvision",
                model_name="DS-2CD2032-I",
                model_number="DS-2CD2032-I",
                friendly_name="IP CAMERA",
                serial="DS-2CD2032-I20141201CCWR000000000",
                firmware="V5.2.5 build 141201",
                server="Linux/3.0 UPnP/1.0 Hikvision/1.0",
            ),
        ),
    )
    dahua = dataclasses.replace(
        dahua_default("dahua-default", "127.77.0.12"),
        discovery=DiscoveryIdentity(
            mac="3c:ef:8c:00:00:12",  # Zhejiang Dahua
            onvif=OnvifIdentity(
                uuid="5a2e8d10-0000-4000-8000-3cef8c000012",
                scopes=(
                    "onvif://www.onvif.org/type/video_encoder",
                    "onvif://www.onvif.org/Profile/Streaming",
                    "onvif://www.onvif.org/hardware/IPC-HDW4431C-A",
                    "onvif://www.onvif.org/name/Dahua",
                ),
            ),
        ),
    )
    onvif_cam = dataclasses.replace(
        _quiet("onvif-cam", "127.77.0.13", "Axis M1065-L (WS-Discovery only)"),
        discovery=DiscoveryIdentity(
            # Locally administered: the MAC names no maker, so make and model can come only
            # from what the camera says in WS-Discovery.
            mac="02:00:00:0d:00:13",
            onvif=OnvifIdentity(
                uuid="0b6f0c5e-0000-4000-8000-accc8e000013",
                scopes=(
                    "onvif://www.onvif.org/type/NetworkVideoTransmitter",
                    "onvif://www.onvif.org/hardware/M1065-L",
                    "onvif://www.onvif.org/name/AXIS%20M1065-L",
                    "onvif://www.onvif.org/location/country/sweden",
                ),
            ),
        ),
    )
    mdns_cam = dataclasses.replace(
        _quiet("mdns-cam", "127.77.0.14", "HomeKit camera (mDNS only)"),
        discovery=DiscoveryIdentity(
            mac="24:0a:c4:00:00:14",  # Espressif: a Wi-Fi chip vendor, not the camera's brand
            hostname="circle-view-0014",
            mdns=(
                MdnsAnnouncement(
                    "_hap._tcp",
                    "Circle View Camera 0014",
                    8080,
                    (("c#", "2"), ("ci", "17"), ("id", "24:0A:C4:00:00:14"), ("md", "Circle View")),
                ),
            ),
        ),
    )
    quiet_cam = dataclasses.replace(
        _quiet("quiet-cam", "127.77.0.15", "camera with every port closed (ARP only)"),
        discovery=DiscoveryIdentity(mac="00:40:8c:00:00:15"),  # Axis Communications
    )
    hik_new = dataclasses.replace(
        hikvision_new("hik-inactive", "127.77.0.16"),
        discovery=DiscoveryIdentity(mac="44:19:b6:00:00:16"),
        vendor_discovery=(
            SadpAnswer(
                model="DS-2CD2143G2-I",
                serial="DS-2CD2143G2-I20220301AAWRJ00000016",
                firmware="V5.7.3build 220112",
                dsp="V7.3 build 220112",
                mac="44-19-b6-00-00-16",
                activated=False,
            ),
        ),
    )
    dahua_quiet = dataclasses.replace(
        _quiet("dahua-quiet", "127.77.0.17", "Dahua camera with no TCP listener"),
        vendor="Dahua",
        model="IPC-HFW1230S",
        firmware="2.420.0000000.10.R",
        device_type=DeviceType.CAMERA,
        discovery=DiscoveryIdentity(mac="3c:ef:8c:00:00:17"),
        vendor_discovery=(
            DhipAnswer(
                model="IPC-HFW1230S",
                serial="3G01234PAZ00017",
                firmware="2.420.0000000.10.R",
                mac="3c:ef:8c:00:00:17",
                initialised=True,
            ),
        ),
    )
    p2p = dataclasses.replace(
        p2p_cam("p2p-cam", "127.77.0.18"),
        discovery=DiscoveryIdentity(mac="02:00:00:0d:00:18"),
    )
    return (
        NetnsDevice("hikvision-old", "198.18.0.11", hik, "HTTP/RTSP camera, SSDP description"),
        NetnsDevice("dahua-default", "198.18.0.12", dahua, "HTTP/RTSP camera, WS-Discovery"),
        NetnsDevice("onvif-cam", "198.18.0.13", onvif_cam, "no TCP port: make/model from Scopes"),
        NetnsDevice("mdns-cam", "198.18.0.14", mdns_cam, "no TCP port: answers only mDNS"),
        NetnsDevice("quiet-cam", "198.18.0.15", quiet_cam, "no TCP port, no announcement: ARP"),
        NetnsDevice(
            "hik-inactive",
            "198.18.0.16",
            hik_new,
            "TCP filtered; never activated: model and firmware from SADP (answers to the group)",
            filter_tcp=True,
            group_replies=frozenset({37020}),
        ),
        NetnsDevice(
            "dahua-quiet",
            "198.18.0.17",
            dahua_quiet,
            "no TCP listener: model and old firmware from DHDiscover (multicast)",
        ),
        NetnsDevice("p2p-cam", "198.18.0.18", p2p, "CS2 P2P UID from the LAN search (broadcast)"),
    )


def netns_unavailable() -> str | None:
    """Why the namespace lab cannot be built here, or None when it can."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "building network namespaces needs root"
    if shutil.which("ip") is None and not Path(_IP).exists():
        return "the ip command (iproute2) is not installed"
    return None


def _ip_binary() -> str:
    return shutil.which("ip") or _IP


def _run(argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(  # noqa: S603  (fixed argv, no shell)
        list(argv), capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False
    )
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise NetnsError(f"{' '.join(argv)}: {detail[-1] if detail else proc.returncode}")
    return proc


class NetnsLab:
    """Build with ``start()`` (or ``with NetnsLab() as lab``), tear down with ``close()``."""

    def __init__(
        self,
        devices: Sequence[NetnsDevice] | None = None,
        *,
        prefix: str | None = None,
        announce_interval: float = 1.0,
        lifetime: float = _DEFAULT_LIFETIME,
    ) -> None:
        self.devices = tuple(devices if devices is not None else netns_devices())
        # Unique per process, so two labs (or two test runs) never share a namespace name.
        self.prefix = prefix or f"cs{os.getpid() % 100000}-"
        self.announce_interval = announce_interval
        self.lifetime = lifetime
        self.bridge_ns = f"{self.prefix}br"
        self.scanner_ns = f"{self.prefix}scan"
        self._namespaces: list[str] = []
        self._procs: list[subprocess.Popen[str]] = []
        self._errors: list[tempfile._TemporaryFileWrapper[bytes]] = []
        self.ready: dict[str, dict[str, object]] = {}

    def device_ns(self, key: str) -> str:
        index = next(i for i, d in enumerate(self.devices) if d.key == key)
        return f"{self.prefix}d{index}"

    def exec_argv(self, namespace: str, argv: Sequence[str]) -> list[str]:
        """``ip netns exec NAMESPACE argv...``: run a command inside a lab namespace."""
        return [_ip_binary(), "netns", "exec", namespace, *argv]

    # --- building -------------------------------------------------------------------------

    def __enter__(self) -> NetnsLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> NetnsLab:
        reason = netns_unavailable()
        if reason is not None:
            raise NetnsError(reason)
        try:
            self._build()
            self._start_devices()
        except BaseException:
            self.close()
            raise
        return self

    def _add_namespace(self, name: str) -> None:
        ip = _ip_binary()
        _run([ip, "netns", "add", name])
        self._namespaces.append(name)
        # Before any interface exists: no IPv6 at all (no DAD, MLD or router solicitations),
        # so the LAN carries only what the lab and the scanner send.
        # (/proc/sys/net belongs to the network namespace of the process that writes it.)
        for key in ("all", "default"):
            path = f"/proc/sys/net/ipv6/conf/{key}/disable_ipv6"
            _run(self.exec_argv(name, ["sh", "-c", f"echo 1 > {path}"]))
        _run([ip, "-n", name, "link", "set", "lo", "up"])

    def _attach(self, index: int, namespace: str, mac: str, address: str) -> None:
        ip = _ip_binary()
        port = f"p{index}"
        _run(
            [ip, "-n", self.bridge_ns, "link", "add", port, "type", "veth", "peer", "name",
             "eth0", "netns", namespace]
        )  # fmt: skip
        _run([ip, "-n", self.bridge_ns, "link", "set", port, "master", "br0", "up"])
        _run([ip, "-n", namespace, "link", "set", "eth0", "address", mac])
        _run([ip, "-n", namespace, "addr", "add", f"{address}/{PREFIXLEN}", "dev", "eth0"])
        _run([ip, "-n", namespace, "link", "set", "eth0", "up"])

    def _build(self) -> None:
        ip = _ip_binary()
        self._add_namespace(self.bridge_ns)
        # Snooping off: with no IGMP querier on the lab LAN the bridge must flood multicast.
        _run(
            [ip, "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge",
             "mcast_snooping", "0", "stp_state", "0"]
        )  # fmt: skip
        _run([ip, "-n", self.bridge_ns, "link", "set", "br0", "up"])
        self._add_namespace(self.scanner_ns)
        self._attach(0, self.scanner_ns, SCANNER_MAC, SCANNER_IP)
        for index, device in enumerate(self.devices, start=1):
            namespace = self.device_ns(device.key)
            self._add_namespace(namespace)
            self._attach(index, namespace, device.mac, device.ip)
            if device.filter_tcp:
                self._drop_tcp(namespace)

    def _drop_tcp(self, namespace: str) -> None:
        """nftables in the device's namespace: every inbound TCP segment is dropped, so a
        connect() from the scanner times out (filtered), as behind a firewall."""
        nft = shutil.which("nft")
        if nft is None:
            raise NetnsError("nftables (nft) is not installed: cannot filter a device's TCP")
        for rule in (
            ["add", "table", "inet", "camsweep"],
            ["add", "chain", "inet", "camsweep", "input",
             "{ type filter hook input priority 0 ; policy accept ; }"],
            ["add", "rule", "inet", "camsweep", "input", "meta", "l4proto", "tcp", "drop"],
        ):  # fmt: skip
            _run(self.exec_argv(namespace, [nft, *rule]))

    def _start_devices(self) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else "")
        for device in self.devices:
            argv = self.exec_argv(
                self.device_ns(device.key),
                [
                    sys.executable, "-m", "scanner.lab.netns", "device", device.key,
                    "--announce", f"{self.announce_interval:g}",
                    "--lifetime", f"{self.lifetime:g}",
                ],
            )  # fmt: skip
            errors = tempfile.NamedTemporaryFile(prefix="camsweep-netns-")  # noqa: SIM115
            self._errors.append(errors)
            proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=env,
                start_new_session=True,  # its own process group: close() ends all of it
            )
            self._procs.append(proc)
        deadline = time.monotonic() + _READY_TIMEOUT
        for device, proc, errors in zip(self.devices, self._procs, self._errors, strict=True):
            try:
                self.ready[device.key] = self._wait_ready(device.key, proc, deadline)
            except NetnsError as exc:
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines()
                raise NetnsError(f"{exc}: {lines[-1] if lines else 'no error output'}") from None

    @staticmethod
    def _wait_ready(key: str, proc: subprocess.Popen[str], deadline: float) -> dict[str, object]:
        assert proc.stdout is not None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NetnsError(f"lab device {key} did not start within {_READY_TIMEOUT:g}s")
            readable, _, _ = select.select([proc.stdout], [], [], remaining)
            if not readable:
                continue
            line = proc.stdout.readline()
            if not line:
                raise NetnsError(f"lab device {key} exited while starting (code {proc.poll()})")
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and message.get("ready") == key:
                    return message

    # --- teardown -------------------------------------------------------------------------

    def close(self) -> None:
        """End every process the lab started and delete every namespace; never raises."""
        for proc in self._procs:
            with contextlib.suppress(OSError, ValueError):
                if proc.stdin is not None:
                    proc.stdin.close()  # the device's cue to say goodbye and exit
        for proc in self._procs:
            _stop(proc)
            with contextlib.suppress(OSError, ValueError):
                if proc.stdout is not None:
                    proc.stdout.close()
        self._procs.clear()
        for errors in self._errors:
            with contextlib.suppress(OSError):
                errors.close()
        self._errors.clear()
        ip = _ip_binary()
        for namespace in reversed(self._namespaces):
            # Anything still running in a lab namespace was started in it by us or our caller
            # (a scanner run): end it by pid before the namespace goes.
            with contextlib.suppress(Exception):
                pids = _run([ip, "netns", "pids", namespace], check=False).stdout.split()
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                        os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(Exception):
                _run([ip, "netns", "del", namespace], check=False)
        self._namespaces.clear()


def _stop(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=3.0)
        return
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
            return


# --- inside a device namespace ----------------------------------------------------------------


class _Forwarder:
    """Relays TCP from the device's LAN address to its loopback lab service, bounded."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.tasks: set[asyncio.Task[None]] = set()

    def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self.tasks) >= _MAX_FORWARDED:
            writer.close()
            return
        task = asyncio.get_running_loop().create_task(self._relay(reader, writer))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(_FORWARD_LIFETIME):
                up_reader, upstream = await asyncio.open_connection(*self.target)
                await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (OSError, TimeoutError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            async with asyncio.timeout(_FORWARD_IDLE):
                data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, TimeoutError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()


async def serve_device(device: NetnsDevice, *, announce: float, lifetime: float) -> None:
    """Run one device inside its namespace until stdin closes, SIGTERM, or ``lifetime``."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.call_later(lifetime, stop.set)

    def on_stdin() -> None:
        # The parent holds our stdin: end of file means it closed the lab (or died).
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()

    with contextlib.suppress(OSError, ValueError):
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    spec = device.spec
    identity = spec.discovery
    servers: list[asyncio.Server] = []
    forwarders: list[_Forwarder] = []
    responders: list[SsdpResponder | WsdResponder | MdnsResponder] = []
    vendor: VendorResponder | None = None
    async with await start_lab([spec], standard_ports=True, vendor_discovery=False) as lab:
        try:
            ports = lab.devices[0].ports
            for standard, bound in ports.items():
                forwarder = _Forwarder((spec.ip, bound))
                servers.append(await asyncio.start_server(forwarder.accept, device.ip, standard))
                forwarders.append(forwarder)
            if identity.ssdp is not None:
                responders.append(
                    SsdpResponder(device.ip, identity.ssdp, announce_interval=announce)
                )
            if identity.onvif is not None:
                responders.append(
                    WsdResponder(device.ip, identity.onvif, announce_interval=announce)
                )
            if identity.mdns:
                name = identity.hostname or device.key
                responders.append(
                    MdnsResponder(device.ip, name, identity.mdns, announce_interval=announce)
                )
            for responder in responders:
                await responder.start()
            if spec.vendor_discovery:
                # The maker's discovery protocols on the LAN: unicast, broadcast, multicast.
                vendor = VendorResponder(
                    device.ip, spec.vendor_discovery, lan=True, group_replies=device.group_replies
                )
                await vendor.start(fallback=False)
            print(json.dumps({"ready": device.key, "ports": sorted(ports)}), flush=True)
            await stop.wait()
        finally:
            for responder in responders:
                with contextlib.suppress(Exception):
                    await responder.close()
            if vendor is not None:
                await vendor.close()
            for server in servers:
                server.close()
            for forwarder in forwarders:
                for task in list(forwarder.tasks):
                    task.cancel()


# --- `camsweep lab --netns` -------------------------------------------------------------------


def run_netns_lab(seconds: float | None, say: Callable[[str], None]) -> None:
    """Build the lab, tell the user how to scan it, keep it up until Ctrl-C or ``seconds``."""

    def stop(*_: object) -> None:
        raise SystemExit(0)  # unwinds through NetnsLab.close(): no namespace is left behind

    signal.signal(signal.SIGTERM, stop)
    with NetnsLab() as lab:
        say(f"camsweep lab --netns: emulated LAN {NETWORK} in network namespaces (Ctrl-C stops)")
        for device in lab.devices:
            say(f"  {device.ip:<13} {device.mac}  {device.key:<14} {device.expect}")
        say(
            "scan it from the scanner namespace with:\n"
            f"  ip netns exec {lab.scanner_ns} {sys.executable} -m scanner scan {NETWORK}"
        )
        try:
            if seconds is None:
                while True:
                    time.sleep(3600)
            else:
                time.sleep(seconds)
        except KeyboardInterrupt:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.lab.netns")
    sub = parser.add_subparsers(dest="command", required=True)
    p_dev = sub.add_parser("device", help="run one lab device (inside its namespace)")
    p_dev.add_argument("key")
    p_dev.add_argument("--announce", type=float, default=1.0)
    p_dev.add_argument("--lifetime", type=float, default=_DEFAULT_LIFETIME)
    args = parser.parse_args(argv)
    devices = {d.key: d for d in netns_devices()}
    device = devices.get(args.key)
    if device is None:
        print(f"unknown lab device {args.key!r}", file=sys.stderr)
        return 2
    asyncio.run(serve_device(device, announce=args.announce, lifetime=args.lifetime))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
