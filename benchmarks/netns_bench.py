"""Scan time on a namespace LAN of N emulated devices (default 150), against nmap, in one run.

Builds a lab with ``scanner.lab.netns.NetnsLab``'s building blocks: a bridge namespace, a
scanner namespace (198.18.0.2/24) and one namespace per device (198.18.0.10 and up, its own MAC,
so it answers ARP like a real host). One server process (started with ``ip netns exec`` in the
first device namespace) binds every device's real listeners inside its own namespace (``setns``
while creating the sockets) and serves them with the lab's device handlers: N namespaces do not
cost N Python processes. Every device's Telnet waits ``--login-delay`` seconds before "Login
incorrect", like BusyBox's login.

Then, from the scanner namespace (``ip netns exec``), on the whole /24 and the camera ports:

* ``camsweep scan --profile guest`` (LAN discovery on: ARP, mDNS, SSDP, WS-Discovery);
* ``nmap -sT`` on the same ports, and ``nmap -sn`` (host discovery only);
* ``camsweep scan --profile owner`` (default logins), against the devices' own login delays:
  a device makes the scan wait at most ``--max-login-failures`` x the delay.

Each is run ``--rounds`` times, alternating; the median is printed with the ratios. camsweep's
time is the process's wall time (what a user waits); its start-up (Python, signatures) is
measured on its own and printed too. Root only; every namespace has a unique prefix
(``csb<pid>-``) and is deleted in a ``finally``; nothing leaves 198.18.0.0/24.

    python benchmarks/netns_bench.py                 # 150 devices, 2 rounds
    python benchmarks/netns_bench.py --devices 200 --rounds 3

Aims (issue #11): guest <= 2 x nmap -sT; owner <= the login delays + 20 %.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import dataclasses
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.lab.devices import DeviceSpec, scaled_devices  # noqa: E402
from scanner.lab.netns import NETWORK, NetnsDevice, NetnsLab, netns_unavailable  # noqa: E402
from scanner.lab.telnetd import TelnetConfig  # noqa: E402

CLONE_NEWNET = 0x40000000
FIRST_DEVICE = 10
_READY_TIMEOUT = 120.0


# --- the devices ------------------------------------------------------------------------------


def bench_devices(n: int, login_delay: float) -> tuple[NetnsDevice, ...]:
    """N devices cycling through the lab's kinds, at 198.18.0.10 and up, each with its own MAC."""
    if not 0 < n <= 240:
        raise SystemExit("--devices must be 1..240 (one /24)")
    out = []
    for index, base in enumerate(scaled_devices(n)):
        services = tuple(
            dataclasses.replace(s, config=dataclasses.replace(s.config, failure_delay=login_delay))
            if isinstance(s.config, TelnetConfig)
            else s
            for s in base.services
        )
        octet = FIRST_DEVICE + index
        mac = f"02:00:5e:12:01:{octet:02x}"
        discovery = dataclasses.replace(base.discovery, mac=mac)
        spec = dataclasses.replace(base, services=services, discovery=discovery)
        out.append(NetnsDevice(spec.key, f"198.18.0.{octet}", spec, expect=""))
    return tuple(out)


class BenchLab(NetnsLab):
    """NetnsLab's namespaces and links; one server process for all devices."""

    def __init__(self, devices: tuple[NetnsDevice, ...], login_delay: float) -> None:
        super().__init__(devices, prefix=f"csb{os.getpid() % 100000}-")
        self.login_delay = login_delay

    def _start_devices(self) -> None:
        plan = [
            {"ns": self.device_ns(d.key), "ip": d.ip, "index": i}
            for i, d in enumerate(self.devices)
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(plan, handle)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        argv = self.exec_argv(
            self.device_ns(self.devices[0].key),
            [sys.executable, __file__, "serve", handle.name, "--devices", str(len(self.devices)),
             "--login-delay", f"{self.login_delay:g}"],
        )  # fmt: skip
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            start_new_session=True,
        )  # fmt: skip
        self._procs.append(proc)
        self.ready["all"] = self._wait_ready("all", proc, time.monotonic() + _READY_TIMEOUT)
        Path(handle.name).unlink()


# --- the server process (runs inside the lab) -----------------------------------------------


def _setns(path: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def serve(plan_file: str, n: int, login_delay: float) -> None:
    from scanner.lab.auth import LoginGuard  # noqa: PLC0415
    from scanner.lab.runner import DEFAULT_IDLE_TIMEOUT, STREAM_LIMIT, _handler  # noqa: PLC0415
    from scanner.lab.wire import LabStream  # noqa: PLC0415

    plan = json.loads(Path(plan_file).read_text())
    devices = bench_devices(n, login_delay)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    bound: list[tuple[socket.socket, DeviceSpec, object]] = []
    try:
        for entry, device in zip(plan, devices, strict=True):
            # A socket stays in the namespace it was created in: enter, bind, come back.
            _setns(f"/run/netns/{entry['ns']}")
            guard = LoginGuard(device.spec.lockout)
            for service in device.spec.services:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((device.ip, service.port))
                sock.listen(128)
                sock.setblocking(False)
                handler = _handler(device.spec, service, service.port, guard)
                bound.append((sock, device.spec, handler))
    finally:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.setns(home, CLONE_NEWNET)
        os.close(home)

    async def main() -> None:
        tasks: set[asyncio.Task[None]] = set()

        def accept(handler: object) -> object:
            async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                stream = LabStream(reader, writer, idle_timeout=DEFAULT_IDLE_TIMEOUT)
                try:
                    async with asyncio.timeout(60):
                        await handler(stream)  # type: ignore[operator]
                except Exception:  # noqa: BLE001  (one connection never ends the lab)
                    pass
                finally:
                    await stream.close()

            def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                task = asyncio.get_running_loop().create_task(run(reader, writer))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            return on_connect

        servers = [
            await asyncio.start_server(accept(h), sock=s, limit=STREAM_LIMIT)  # type: ignore[arg-type]
            for s, _, h in bound
        ]
        print(json.dumps({"ready": "all", "sockets": len(servers)}), flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the bench closes our stdin
        for server in servers:
            server.close()

    asyncio.run(main())


# --- measuring ----------------------------------------------------------------------------------


def timed(
    argv: list[str], timeout: float = 300.0
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return time.perf_counter() - start, done


def camera_ports() -> list[int]:
    from scanner.match import load_signatures  # noqa: PLC0415

    return list(load_signatures().default_ports())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    serve_p = sub.add_parser("serve")
    serve_p.add_argument("plan")
    serve_p.add_argument("--devices", type=int, required=True)
    serve_p.add_argument("--login-delay", type=float, required=True)
    parser.add_argument("--devices", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--login-delay", type=float, default=1.0)
    parser.add_argument(
        "--compare",
        type=Path,
        help="another camsweep checkout (e.g. a `git archive` of an older commit): its guest "
        "scan is timed in the same run",
    )
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.plan, args.devices, args.login_delay)
        return 0
    reason = netns_unavailable()
    if reason is not None or shutil.which("nmap") is None:
        print(f"netns_bench: cannot run here: {reason or 'nmap is not installed'}")
        return 2
    ports = camera_ports()
    port_list = ",".join(map(str, ports))
    devices = bench_devices(args.devices, args.login_delay)
    lab = BenchLab(devices, args.login_delay)
    built = time.perf_counter()
    try:
        lab.start()
        print(
            f"lab: {len(devices)} devices in {NETWORK} (namespace prefix {lab.prefix}), "
            f"built in {time.perf_counter() - built:.1f}s; camera ports {port_list}"
        )
        inside = lab.exec_argv
        scan_ns = lab.scanner_ns
        env_py = [sys.executable]
        with tempfile.TemporaryDirectory() as tmp:
            report = str(Path(tmp) / "r.json")

            def camsweep(profile: str, *extra: str, repo: Path = REPO) -> list[str]:
                return inside(
                    scan_ns,
                    ["env", f"PYTHONPATH={repo}", *env_py, "-m", "scanner", "scan", NETWORK,
                     "--profile", profile, "--no-progress", "--format", "json", "-o", report,
                     *extra],
                )  # fmt: skip

            commands = {
                "camsweep guest": camsweep("guest"),
                "guest, 1s window": camsweep("guest", "--discovery-timeout", "1"),
                "nmap -sT": inside(scan_ns, ["nmap", "-sT", "-n", "-p", port_list, NETWORK]),
                "nmap -sn": inside(scan_ns, ["nmap", "-sn", "-n", NETWORK]),
                "camsweep owner": camsweep("owner"),
                "camsweep start-up": inside(
                    scan_ns,
                    [
                        "env",
                        f"PYTHONPATH={REPO}",
                        *env_py,
                        "-c",
                        "from scanner import cli; from scanner.match import load_signatures; "
                        "load_signatures()",
                    ],
                ),
            }
            if args.compare is not None:
                commands["guest, --compare"] = camsweep("guest", repo=args.compare.resolve())
            times: dict[str, list[float]] = {name: [] for name in commands}
            found: dict[str, str] = {}
            for _ in range(args.rounds):
                for name, argv in commands.items():
                    took, done = timed(argv)
                    times[name].append(took)
                    if name.startswith(("camsweep g", "guest", "camsweep o")):
                        if done.returncode not in (0, 1, 2, 3, 4, 5):
                            print(f"{name} failed: {done.stderr.strip()[-300:]}")
                        with contextlib.suppress(OSError, ValueError, KeyError):
                            summary = json.loads(Path(report).read_text())["summary"]
                            found[name] = (
                                f"{summary['hosts_up']} hosts, {summary['cameras']} cameras, "
                                f"{summary['recorders']} recorders, "
                                f"{sum(summary['findings_by_severity'].values())} findings"
                            )
                    elif name == "nmap -sT":
                        found[name] = next(
                            (ln for ln in done.stdout.splitlines() if "IP addresses" in ln), ""
                        )
    finally:
        lab.close()
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nmedian of {args.rounds} rounds (wall seconds, process start included):")
    for name, value in median.items():
        runs = ", ".join(f"{v:.2f}" for v in times[name])
        print(f"  {name:<18} {value:6.2f}s   [{runs}]  {found.get(name, '')}")
    guest, st, sn = median["camsweep guest"], median["nmap -sT"], median["nmap -sn"]
    startup = median["camsweep start-up"]
    print("\nratios:")
    print(f"  guest / nmap -sT          {guest / st:5.2f}   (aim <= 2)")
    print(f"  guest / nmap -sn          {guest / sn:5.2f}")
    print(f"  (guest - start-up) / -sT  {(guest - startup) / st:5.2f}   (the scan alone)")
    if "guest, --compare" in median:
        before = median["guest, --compare"]
        print(f"  --compare guest / -sT     {before / st:5.2f}   (this checkout: {guest / st:.2f})")
    short = median["guest, 1s window"]
    print(f"  guest 1s window / -sT     {short / st:5.2f}   (listening 1 s instead of 3 s)")
    floor = 3 * args.login_delay  # --max-login-failures (3) failed logins, one after another
    owner = median["camsweep owner"]
    print(
        f"  owner / login delays      {owner / floor:5.2f}   (aim <= 1.2; a device's "
        f"{floor:g}s = 3 failed logins x {args.login_delay:g}s, the devices in parallel)"
    )
    print(f"  (owner - start-up) / delays {(owner - startup) / floor:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
