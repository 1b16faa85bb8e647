"""argv -> ScanConfig, in one place (scan, check and demo all build their config here).

Kept apart on purpose: this is the one module that maps flags onto the ScanConfig (profile,
deadlines, LAN discovery and nmap options included, issue #11), so a change to the config is a
change here only.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from scanner.cli.common import UsageError, say
from scanner.config import (
    ARP_RATE,
    DiscoveryOptions,
    Limits,
    Profile,
    ScanConfig,
    Timeouts,
    VendorOptions,
)
from scanner.credentials.custom import read_creds
from scanner.discover.links import large_network_lines, plan_links
from scanner.discover.mdns import signature_service_types
from scanner.discover.nmap_xml import NmapScan
from scanner.discover.vendor.catalog import CatalogError, load_catalog
from scanner.match import SignatureSet
from scanner.pipeline import with_profile_defaults
from scanner.probe.nmap import NmapOptions, find_nmap
from scanner.router.options import router_options
from scanner.targets import (
    LIVENESS_PORTS,
    TWO_STAGE_FROM,
    TargetSet,
    parse_ports,
    read_interfaces,
    routed_count,
)


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
        scan=args.scan_timeout,
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
        profile=Profile(profile),
        check_credentials=not args.no_credentials,
        show_secrets=args.show_secrets,
        debug=args.debug,
        custom_credentials=read_creds(args.creds) if args.creds else (),
        confirm_streams=getattr(args, "confirm_streams", False),
        discovery=discovery_options(args, sigs),
        vendor=vendor_options(args),
        scope=targets.ranges,
        router=router_options(args),
    )
    return with_profile_defaults(_large_plan(config, targets, args))


def _large_plan(config: ScanConfig, targets: TargetSet, args: argparse.Namespace) -> ScanConfig:
    """A large scan (docs/discovery.md, "Large networks"): on an attached network ARP decides,
    and the user is told how long it takes; a large routed range gets the two-stage sweep."""
    if len(targets) < TWO_STAGE_FROM or config.discovery is None:
        return config
    links, _ = plan_links(read_interfaces(), targets.ranges)
    if not args.quiet:
        for line in large_network_lines(links, targets.ranges, config.discovery):
            say(f"camsweep: {line}")
    routed = routed_count(targets.ranges, [link.network for link in links])
    if routed < TWO_STAGE_FROM:
        return config
    if not args.quiet:
        say(
            f"camsweep: {routed} addresses are not on an attached network: a two-stage sweep "
            f"(a connect to {', '.join(map(str, LIVENESS_PORTS))} first, every camera port "
            "only where something answered)"
        )
    return replace(config, liveness=LIVENESS_PORTS)


def discovery_options(args: argparse.Namespace, sigs: SignatureSet) -> DiscoveryOptions:
    """ARP, mDNS, SSDP, WS-Discovery, --passive (docs/discovery.md): only on the targets' LAN."""
    passive = getattr(args, "passive", None)
    if passive is not None and getattr(args, "nmap", False):
        raise UsageError("--passive sends nothing, so it cannot be combined with --nmap")
    return DiscoveryOptions(
        arp=not args.no_arp,
        mdns=not args.no_mdns,
        ssdp=not args.no_ssdp,
        wsd=not args.no_wsd,
        timeout=args.discovery_timeout,
        arp_rate=getattr(args, "arp_rate", ARP_RATE),
        passive=passive,
        service_types=signature_service_types(sigs.fingerprints),
    )


def vendor_options(args: argparse.Namespace) -> VendorOptions:
    """SADP, DHDiscover, ... (docs/discovery.md): unicast to hosts that answered, multicast and
    broadcast only on the targets' LAN, nothing with --passive. Bad catalogue files or an
    unknown protocol id are usage errors, before anything is sent."""
    extra = tuple(Path(p) for p in args.signatures or ())
    skip = tuple(args.no_discovery_protocol or ())
    try:
        load_catalog(extra).select(skip)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    passive = getattr(args, "passive", None)
    return VendorOptions(
        enabled=not args.no_vendor_discovery,
        skip=skip,
        timeout=args.discovery_timeout,
        passive=passive is not None,
        extra_dirs=extra,
    )


def nmap_options(
    args: argparse.Namespace, imported: NmapScan | None, notes: tuple[str, ...]
) -> NmapOptions | None:
    """--nmap and --from-nmap (docs/nmap.md); a missing nmap binary costs one line, not the scan."""
    from_nmap = getattr(args, "from_nmap", None)
    if not args.nmap and imported is None:
        return None
    binary = find_nmap() if args.nmap else None
    if args.nmap and binary is None:
        say(
            "camsweep: --nmap: nmap is not installed (not on PATH); scanning without it",
        )
    return NmapOptions(
        enrich=args.nmap,
        binary=binary,
        intensity=args.nmap_intensity,
        imported=imported,
        source=from_nmap.name if from_nmap else "",
        import_notes=notes,
    )


def with_target_specs(config: ScanConfig, specs: tuple[str, ...]) -> ScanConfig:
    """What the report names as scanned (e.g. ``--from-nmap FILE`` or the demo's range)."""
    return replace(config, target_specs=specs)
