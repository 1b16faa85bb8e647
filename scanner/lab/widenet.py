"""A wide namespace LAN for the large-network tests and benchmarks: a /16 (or a routed /20).

Layout (all inside namespaces this module creates; nothing is added to the root namespace):

    attached:  <prefix>br  bridge br0; <prefix>scan 198.18.0.2/16; one namespace per device on
               the same /16 (e.g. 198.18.0.10, 198.18.128.77, 198.18.255.250)
    routed:    <prefix>br  bridges br0 (the devices' /20) and br1 (the scanner's /24);
               <prefix>rt  a router, 198.18.0.1/20 on br0 and 198.19.0.1/24 on br1, forwarding;
               <prefix>scan 198.19.0.2/24, default route via the router

Devices are bare namespaces (the kernel answers ARP and refuses closed ports, as any host does);
those named in ``http`` also run Python's own ``http.server`` on port 80, a web server camsweep
did not write. Root only; ``close()`` (inherited from ``NetnsLab``) ends every process and
deletes every namespace, also after a failure halfway.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from scanner.lab.netns import NetnsError, NetnsLab, _ip_binary, _run

__all__ = ["ATTACHED_DEVICES", "ROUTED_DEVICES", "WideLan"]

ATTACHED_DEVICES = ("198.18.0.10", "198.18.128.77", "198.18.255.250")  # first, middle, last
ROUTED_DEVICES = ("198.18.0.10", "198.18.8.77", "198.18.15.250")
_READY = 20.0


class WideLan(NetnsLab):
    """``with WideLan(prefix=...) as lan``: ``lan.exec_argv(lan.scanner_ns, argv)`` runs the
    scanner inside; ``routed=True`` puts a router between the scanner and the devices."""

    def __init__(
        self,
        hosts: Sequence[str] | None = None,
        *,
        prefix: str | None = None,
        routed: bool = False,
        http: Sequence[str] = (),
    ) -> None:
        super().__init__(devices=(), prefix=prefix)
        self.routed = routed
        self.hosts = tuple(hosts or (ROUTED_DEVICES if routed else ATTACHED_DEVICES))
        self.http = tuple(http)
        self.network = "198.18.0.0/20" if routed else "198.18.0.0/16"
        self.scanner_ip = "198.19.0.2" if routed else "198.18.0.2"
        self.router_ns = f"{self.prefix}rt"
        self._ports = 0
        self._web_roots: list[tempfile.TemporaryDirectory[str]] = []

    def __enter__(self) -> WideLan:
        self.start()
        return self

    def host_ns(self, ip: str) -> str:
        return f"{self.prefix}h{self.hosts.index(ip)}"

    def _veth(self, namespace: str, bridge: str, name: str, address: str) -> None:
        ip = _ip_binary()
        port = f"p{self._ports}"
        self._ports += 1
        _run(
            [ip, "-n", self.bridge_ns, "link", "add", port, "type", "veth", "peer", "name",
             name, "netns", namespace]
        )  # fmt: skip
        _run([ip, "-n", self.bridge_ns, "link", "set", port, "master", bridge, "up"])
        _run([ip, "-n", namespace, "addr", "add", address, "dev", name])
        _run([ip, "-n", namespace, "link", "set", name, "up"])

    def _build(self) -> None:
        ip = _ip_binary()
        self._add_namespace(self.bridge_ns)
        for bridge in ("br0", "br1") if self.routed else ("br0",):
            _run(
                [ip, "-n", self.bridge_ns, "link", "add", bridge, "type", "bridge",
                 "mcast_snooping", "0", "stp_state", "0"]
            )  # fmt: skip
            _run([ip, "-n", self.bridge_ns, "link", "set", bridge, "up"])
        self._add_namespace(self.scanner_ns)
        if self.routed:
            self._add_namespace(self.router_ns)
            self._veth(self.router_ns, "br0", "eth0", "198.18.0.1/20")
            self._veth(self.router_ns, "br1", "eth1", "198.19.0.1/24")
            # (/proc/sys/net belongs to the network namespace of the process that writes it.)
            forward = "echo 1 > /proc/sys/net/ipv4/ip_forward"
            _run(self.exec_argv(self.router_ns, ["sh", "-c", forward]))
            self._veth(self.scanner_ns, "br1", "eth0", f"{self.scanner_ip}/24")
            _run([ip, "-n", self.scanner_ns, "route", "add", "default", "via", "198.19.0.1"])
        else:
            self._veth(self.scanner_ns, "br0", "eth0", f"{self.scanner_ip}/16")
            # A default route on the LAN, as a hotel guest has: the no-target scan follows it.
            _run([ip, "-n", self.scanner_ns, "route", "add", "default", "via", "198.18.0.1"])
        prefixlen = 20 if self.routed else 16
        for address in self.hosts:
            namespace = self.host_ns(address)
            self._add_namespace(namespace)
            self._veth(namespace, "br0", "eth0", f"{address}/{prefixlen}")
            if self.routed:
                _run([ip, "-n", namespace, "route", "add", "default", "via", "198.18.0.1"])

    def _start_devices(self) -> None:
        for address in self.http:
            root = tempfile.TemporaryDirectory(prefix="camsweep-widenet-")
            self._web_roots.append(root)
            argv = self.exec_argv(
                self.host_ns(address),
                [sys.executable, "-m", "http.server", "80", "--bind", address,
                 "--directory", root.name],
            )  # fmt: skip
            self._procs.append(
                subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    start_new_session=True,
                )
            )
        for address in self.http:
            self._wait_listening(address)

    def _wait_listening(self, address: str) -> None:
        probe = (
            "import socket,sys\n"
            "s=socket.socket(); s.settimeout(0.5)\n"
            f"sys.exit(s.connect_ex(({address!r}, 80)))\n"
        )
        deadline = time.monotonic() + _READY
        while time.monotonic() < deadline:
            done = _run(
                self.exec_argv(self.host_ns(address), [sys.executable, "-c", probe]), check=False
            )
            if done.returncode == 0:
                return
            time.sleep(0.2)
        raise NetnsError(f"http.server on {address} did not start within {_READY:g}s")

    def close(self) -> None:
        super().close()
        for root in self._web_roots:
            root.cleanup()
        self._web_roots.clear()
