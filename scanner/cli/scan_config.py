"""argv -> ScanConfig, in one place (scan, check and demo all build their config here).

Kept apart on purpose: the ScanConfig is growing (profile, deadline, discovery and nmap options
move into it, issue #11), and this is the one function that maps flags onto it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from scanner.config import Limits, ScanConfig, Timeouts
from scanner.credentials.custom import read_creds
from scanner.match import SignatureSet
from scanner.pipeline import with_profile_defaults
from scanner.targets import TargetSet, parse_ports


def build_scan_config(
    args: argparse.Namespace,
    targets: TargetSet,
    sigs: SignatureSet,
    *,
    profile: str,
    default_ports: tuple[int, ...] | None = None,
) -> ScanConfig:
    """The scan's configuration from the parsed flags.

    ``profile``: already chosen by the command (guest without targets, owner with them, or
    --profile). ``default_ports``: the command's own port set when --ports is not given
    (``check``: 1-65535); otherwise the camera port set of the signatures.
    """
    if args.ports:
        ports, port_protocols = parse_ports(args.ports)
    else:
        ports, port_protocols = default_ports or sigs.default_ports(), {}
    timeouts = Timeouts(
        connect=args.connect_timeout,
        read=args.read_timeout,
        host=args.host_timeout,
        credential_pause=args.login_pause,
    )
    limits = Limits(connections=args.concurrency, credential_attempts=args.max_login_failures)
    config = ScanConfig(
        targets=(),
        target_specs=targets.specs,
        ports=ports,
        port_protocols=port_protocols,
        timeouts=timeouts,
        limits=limits,
        profile=profile,
        check_credentials=not args.no_credentials,
        show_secrets=args.show_secrets,
        debug=args.debug,
        custom_credentials=read_creds(args.creds) if args.creds else (),
        confirm_streams=getattr(args, "confirm_streams", False),
    )
    return with_profile_defaults(config)


def with_target_specs(config: ScanConfig, specs: tuple[str, ...]) -> ScanConfig:
    """What the report names as scanned (e.g. ``--from-nmap FILE`` or the demo's range)."""
    return replace(config, target_specs=specs)
