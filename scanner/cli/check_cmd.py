"""``camsweep check ADDRESS``: a new camera before you trust it (docs/user-guide.md).

Its own defaults, because an owner checking one device wants thoroughness, not speed: all
65,535 TCP ports (not the camera set), the owner profile's every safe check, the whole
factory-password list for the identified vendor within a lockout-safe pace (up to 20 failed
logins, 2 s apart, stopping at the first lockout sign), stream confirmation (SETUP/PLAY to the
first video packet), a 30-minute host deadline; and a verdict: safe to trust / fix these first
/ do not use.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from scanner.cli.common import UsageError, say
from scanner.cli.outputs import emit, exit_code, prepare_outputs
from scanner.cli.scan_cmd import load_sigs, run_scan
from scanner.cli.scan_config import build_scan_config, nmap_options
from scanner.config import ScanConfig
from scanner.match import SignatureSet
from scanner.targets import TargetSet, resolve_targets

ALL_TCP_PORTS = tuple(range(1, 65536))


def add_vendor_discovery(config: ScanConfig, args: argparse.Namespace) -> ScanConfig:
    """``check`` asks the device's own discovery protocols (Hikvision SADP, Dahua DHDiscover,
    Xiongmai 34569, CS2/PPPP, Ubiquiti 10001 ...; docs/discovery.md) unless told not to with
    --no-vendor-discovery: unicast to the one address, multicast only on its LAN. This is the
    one place that sets what ``check`` adds to the discovery a scan does."""
    if config.vendor is None or args.no_vendor_discovery:
        return config
    return replace(config, vendor=replace(config.vendor, enabled=True))


def check_config(args: argparse.Namespace, targets: TargetSet, sigs: SignatureSet) -> ScanConfig:
    config = build_scan_config(args, targets, sigs, profile="owner", default_ports=ALL_TCP_PORTS)
    return add_vendor_discovery(replace(config, confirm_streams=True), args)


def cmd_check(args: argparse.Namespace) -> int:
    prepare_outputs(args)
    sigs = load_sigs(args)
    targets = resolve_targets(
        [args.address], allow_public=args.allow_public, allow_large=args.allow_large
    )
    if len(targets) != 1:
        raise UsageError(
            f"check takes one address, not {args.address!r} ({len(targets)} addresses): "
            "use 'camsweep scan' for a range"
        )
    address = next(iter(targets))
    config = check_config(args, targets, sigs)
    if not args.quiet:
        logins = (
            "no passwords"
            if not config.check_credentials
            else f"factory passwords (up to {config.limits.credential_attempts} failed logins, "
            f"{config.timeouts.credential_pause:g} s apart)"
        )
        say(
            f"camsweep check: {address}: {len(config.ports):,} TCP ports, every safe check, "
            f"{logins}, stream confirmation; this can take a few minutes (Ctrl-C stops and "
            "still reports)",
        )
    config = replace(config, nmap=nmap_options(args, None, ()))
    report = run_scan(config, sigs, targets, args)
    emit(report, args, check_address=address)
    return exit_code(report, args)
