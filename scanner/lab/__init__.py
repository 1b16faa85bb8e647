"""The built-in emulated camera lab: loopback-only devices for `camsweep demo`, `camsweep lab`,
the end-to-end tests and benchmarks.

It is written from the protocol specifications, independently of ``scanner.probe`` and
``scanner.match``, so the lab never shares a misreading with the scanner it tests.
"""

from scanner.lab.auth import AuthKind, AuthPolicy, DigestOptions, Lockout
from scanner.lab.devices import (
    KINDS,
    DeviceSpec,
    RunningDevice,
    ServiceSpec,
    default_devices,
    describe,
    scaled_devices,
)
from scanner.lab.httpd import HttpConfig, HttpRoute, redirect
from scanner.lab.rtspd import RtspConfig, RtspRoute
from scanner.lab.runner import RunningLab, serve_forever, start_lab
from scanner.lab.silent import SilentConfig
from scanner.lab.telnetd import TelnetConfig

__all__ = [
    "KINDS",
    "AuthKind",
    "AuthPolicy",
    "DeviceSpec",
    "DigestOptions",
    "HttpConfig",
    "HttpRoute",
    "Lockout",
    "RtspConfig",
    "RtspRoute",
    "RunningDevice",
    "RunningLab",
    "ServiceSpec",
    "SilentConfig",
    "TelnetConfig",
    "default_devices",
    "describe",
    "redirect",
    "scaled_devices",
    "serve_forever",
    "start_lab",
]
