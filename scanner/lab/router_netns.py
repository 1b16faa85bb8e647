"""A real home router for the namespace lab: Debian's miniupnpd, the LAN's default gateway.

Layout, added to a :class:`~scanner.lab.netns.NetnsLab` (everything stays in its namespaces):

    <prefix>rt   the router: eth0 198.18.0.1/24 on the lab bridge (the scanner's default
                 gateway), and a WAN veth pair wan0 198.19.0.1/24 <-> wan1 inside the same
                 namespace, so "the internet" is a cable that ends in the router itself.

miniupnpd 2.3 (nftables backend) refuses AddPortMapping while its WAN address is private or
reserved, which every lab address is, but at start it lists the DNAT rules it finds in its own
chain (table ``inet filter``, chain ``prerouting_miniupnpd``, named explicitly in the config
written here). So the camera's forwards are written there with ``nft`` before miniupnpd starts;
it then serves them over UPnP IGD exactly as if a camera had asked. The rule carries ``ip
protocol``: without it miniupnpd 2.3.1 reads the forward as UDP.

``Sniffer`` records everything that reaches the router's LAN side (scapy, inside the router's
namespace) so a test can prove what camsweep sent it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from scanner.lab.netns import NetnsError, NetnsLab, _run
from scanner.models import PortForward

__all__ = ["LAN_IP", "WAN_IP", "MiniupnpdRouter", "Sniffer", "miniupnpd_unavailable"]

LAN_IP = "198.18.0.1"
WAN_IP = "198.19.0.1"
WAN_PEER = "198.19.0.2"
ROUTER_MAC = "02:00:5e:12:00:01"
HTTP_PORT = 5000
_START_TIMEOUT = 15.0
_UUID = "2f3c6a10-0000-4000-8000-0000000000aa"

_NFT_TABLE = """table inet filter {
    chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
    chain miniupnpd { }
    chain prerouting { type nat hook prerouting priority -100; policy accept;
        jump prerouting_miniupnpd; }
    chain postrouting { type nat hook postrouting priority 100; policy accept;
        jump postrouting_miniupnpd; }
    chain prerouting_miniupnpd { }
    chain postrouting_miniupnpd { }
}
"""


def miniupnpd_unavailable() -> str | None:
    """Why the real-router lab cannot run here, or None."""
    for binary in ("miniupnpd", "nft"):
        if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
            return f"{binary} is not installed (apt-get install miniupnpd nftables)"
    return None


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def nft_rules(forwards: Sequence[PortForward]) -> str:
    """The DNAT rules miniupnpd will list as its forwards (one per forward, WAN side)."""
    lines = [_NFT_TABLE]
    for f in forwards:
        proto = f.protocol.lower()
        lines.append(
            f"add rule inet filter prerouting_miniupnpd iif wan0 ip protocol {proto} "
            f"{proto} dport {f.external_port} dnat ip to {f.internal_client}:{f.internal_port}"
        )
    return "\n".join(lines) + "\n"


def miniupnpd_config(http_port: int = HTTP_PORT) -> str:
    return "\n".join(
        [
            "ext_ifname=wan0",
            "listening_ip=eth0",
            f"http_port={http_port}",
            "enable_natpmp=yes",
            "enable_upnp=yes",
            "secure_mode=yes",
            "system_uptime=yes",
            "notify_interval=60",
            "clean_ruleset_interval=0",
            f"uuid={_UUID}",
            "upnp_table_name=filter",
            "upnp_nat_table_name=filter",
            "upnp_forward_chain=miniupnpd",
            "upnp_nat_chain=prerouting_miniupnpd",
            "upnp_nat_postrouting_chain=postrouting_miniupnpd",
            "allow 1024-65535 198.18.0.0/24 1-65535",
            "deny 0-65535 0.0.0.0/0 0-65535",
            "",
        ]
    )


class MiniupnpdRouter:
    """``start()`` builds the router namespace and runs miniupnpd; ``stop()`` ends miniupnpd.

    The namespace belongs to the lab: ``NetnsLab.close()`` deletes it (and ends anything left
    in it), so a failed test leaves nothing behind.
    """

    def __init__(self, lab: NetnsLab, forwards: Sequence[PortForward]) -> None:
        self.lab = lab
        self.forwards = tuple(forwards)
        self.namespace = f"{lab.prefix}rt"
        self._dir = tempfile.TemporaryDirectory(prefix="camsweep-miniupnpd-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._built = False

    @property
    def description_url(self) -> str:
        return f"http://{LAN_IP}:{HTTP_PORT}/rootDesc.xml"

    @property
    def log(self) -> str:
        path = Path(self._dir.name) / "miniupnpd.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _build(self) -> None:
        ns = self.namespace
        ip = shutil.which("ip") or "/usr/sbin/ip"
        self.lab._add_namespace(ns)
        self.lab._attach(len(self.lab.devices) + 1, ns, ROUTER_MAC, LAN_IP)
        _run([ip, "-n", ns, "link", "add", "wan0", "type", "veth", "peer", "name", "wan1"])
        _run([ip, "-n", ns, "addr", "add", f"{WAN_IP}/24", "dev", "wan0"])
        for link in ("wan0", "wan1"):
            _run([ip, "-n", ns, "link", "set", link, "up"])
        _run([ip, "-n", ns, "route", "add", "default", "via", WAN_PEER, "dev", "wan0"])
        _run([ip, "-n", self.lab.scanner_ns, "route", "add", "default", "via", LAN_IP])
        rules = Path(self._dir.name) / "rules.nft"
        rules.write_text(nft_rules(self.forwards), encoding="ascii")
        _run(self.lab.exec_argv(ns, [_binary("nft"), "-f", str(rules)]))
        self._built = True

    def start(self) -> MiniupnpdRouter:
        reason = miniupnpd_unavailable()
        if reason is not None:
            raise NetnsError(reason)
        if not self._built:
            self._build()
        config = Path(self._dir.name) / "miniupnpd.conf"
        config.write_text(miniupnpd_config(), encoding="ascii")
        log = (Path(self._dir.name) / "miniupnpd.log").open("wb")
        argv = self.lab.exec_argv(self.namespace, [_binary("miniupnpd"), "-f", str(config), "-d"])
        self._proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if "HTTP listening on port" in self.log:
                return self
            if self._proc.poll() is not None:
                raise NetnsError(f"miniupnpd exited at start: {self.log.strip()[-300:]}")
            time.sleep(0.1)
        raise NetnsError("miniupnpd did not start listening in time")

    def stop(self) -> None:
        """End miniupnpd (its process group); the namespace and its rules stay."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=3.0)
                return

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


class Sniffer:
    """Record every packet reaching the router's LAN interface (scapy, in its namespace)."""

    def __init__(self, lab: NetnsLab, namespace: str, pcap: Path) -> None:
        self.pcap = pcap
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else "")
        argv = lab.exec_argv(
            namespace,
            [sys.executable, "-m", "scanner.lab.router_netns", "sniff", "eth0", str(pcap)],
        )
        self._proc = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert self._proc.stdout is not None
        ready = self._proc.stdout.readline()  # "sniffing" once scapy listens
        if "sniffing" not in ready:
            raise NetnsError("the sniffer did not start")

    def stop(self) -> Path:
        """Stop and write the capture; returns its path."""
        proc = self._proc
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=15.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=3.0)
        with contextlib.suppress(OSError, ValueError):
            if proc.stdout is not None:
                proc.stdout.close()
        return self.pcap


def _sniff(iface: str, out: str, lifetime: float = 600.0) -> None:
    from scapy.all import wrpcap  # noqa: PLC0415  (heavy; only in the sniffer process)
    from scapy.sendrecv import AsyncSniffer  # noqa: PLC0415

    sniffer = AsyncSniffer(iface=iface, store=True, filter=None)
    sniffer.start()
    time.sleep(0.5)
    print("sniffing", flush=True)
    deadline = time.monotonic() + lifetime
    import select  # noqa: PLC0415

    while time.monotonic() < deadline:
        readable, _, _ = select.select([sys.stdin], [], [], 1.0)
        if readable and not sys.stdin.read(1):
            break
    packets = sniffer.stop()
    wrpcap(out, packets or [])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.lab.router_netns")
    sub = parser.add_subparsers(dest="command", required=True)
    p_sniff = sub.add_parser("sniff", help="capture on IFACE until stdin closes (in a namespace)")
    p_sniff.add_argument("iface")
    p_sniff.add_argument("out")
    args = parser.parse_args(argv)
    _sniff(args.iface, args.out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
