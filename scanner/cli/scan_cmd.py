"""``camsweep scan`` (a home or hotel network) and ``camsweep demo`` (the loopback lab)."""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import replace
from pathlib import Path

from scanner.cli.common import say
from scanner.cli.outputs import emit, exit_code, prepare_outputs
from scanner.cli.running import observer, run_async, stoppable
from scanner.cli.scan_config import build_scan_config, nmap_options, with_target_specs
from scanner.config import ScanConfig
from scanner.discover.links import plan_links
from scanner.discover.nmap_xml import NmapScan, plan_targets, read_nmap_report
from scanner.lab import RunningLab, start_lab
from scanner.lab.igd import start_demo_router
from scanner.match import SignatureSet, load_signatures
from scanner.models import Report
from scanner.pipeline import scan
from scanner.report.words import plural
from scanner.router.options import router_options
from scanner.targets import (
    TargetSet,
    attached_network,
    expand_specs,
    read_default_interface,
    read_interfaces,
    resolve_targets,
)


def load_sigs(args: argparse.Namespace) -> SignatureSet:
    return load_signatures([Path(p) for p in args.signatures or ()])


def run_scan(
    config: ScanConfig, sigs: SignatureSet, targets: TargetSet, args: argparse.Namespace
) -> Report:
    """The scan with a progress bar, stopped politely by Ctrl-C (scanner/cli/running.py)."""
    with observer(args) as progress:
        return run_async(
            stoppable(
                lambda stop: scan(
                    config, sigs, targets, len(targets), observer=progress, stop=stop
                ),
                quiet=args.quiet,
            )
        )


def _auto_targets(args: argparse.Namespace) -> TargetSet:
    iface = read_default_interface()
    network = attached_network(read_interfaces(), iface)
    if not args.quiet:
        say(
            f"camsweep: no target given; scanning {network} (the network of {iface}) "
            "with the guest profile: no passwords are tried",
        )
    # The attached network is swept by ARP (or, without raw sockets, not swept address by
    # address at all): its size costs no TCP, so no --allow-large.
    return resolve_targets(
        [str(network)],
        allow_public=args.allow_public,
        allow_large=args.allow_large,
        attached=[network],
    )


def cmd_scan(args: argparse.Namespace) -> int:
    prepare_outputs(args)
    sigs = load_sigs(args)
    auto = not args.targets and args.from_nmap is None
    imported: NmapScan | None = None
    import_notes: tuple[str, ...] = ()
    if auto:
        targets = _auto_targets(args)
    elif args.from_nmap is not None:
        targets, imported, import_notes = plan_targets(
            read_nmap_report(args.from_nmap),
            args.targets,
            allow_public=args.allow_public,
            allow_large=args.allow_large,
            source=args.from_nmap.name,
        )
    else:
        links, _ = plan_links(read_interfaces(), expand_specs(args.targets))
        targets = resolve_targets(
            args.targets,
            allow_public=args.allow_public,
            allow_large=args.allow_large,
            attached=[link.network for link in links],
        )
    profile = args.profile or ("guest" if auto else "owner")
    config = build_scan_config(args, targets, sigs, profile=profile)
    if args.from_nmap is not None:
        config = with_target_specs(config, (*args.targets, f"--from-nmap {args.from_nmap}"))
    config = replace(config, nmap=nmap_options(args, imported, import_notes))
    report = run_scan(config, sigs, targets, args)
    emit(report, args)
    return exit_code(report, args)


# --- demo -------------------------------------------------------------------------------------


def moved_ports(lab: RunningLab, *, standard: bool) -> list[str]:
    """Lab services that could bind neither their own port nor its usual fallback (10000 +
    port below 1024) because something else holds it: their results may differ from the
    documented demo (a vendor-port finding is tied to the port number)."""
    moved = []
    # As root the standard port binds unless something holds it; otherwise a port below 1024
    # moves to 10000 + port by design (docs/user-guide.md), which changes no result.
    root = standard and os.geteuid() == 0
    for device in lab.devices:
        for wanted, bound in device.ports.items():
            usual = {wanted} if root or wanted >= 1024 else {10000 + wanted}
            if bound not in usual:
                moved.append(f"{device.spec.ip} port {wanted} (now {bound})")
    return moved


def compact_targets(ips: list[str]) -> str:
    """``127.77.0.11-16`` for consecutive addresses of one /24, else the list."""
    parts = [ip.rsplit(".", 1) for ip in ips]
    lows = [int(last) for _, last in parts]
    if len({net for net, _ in parts}) == 1 and lows == list(range(lows[0], lows[0] + len(lows))):
        return f"{ips[0]}-{lows[-1]}" if len(ips) > 1 else ips[0]
    return ", ".join(ips)


async def _scan_lab(
    args: argparse.Namespace, sigs: SignatureSet, progress: object, stop: asyncio.Event
) -> Report:
    standard = None if not args.high_ports else False
    async with await start_lab(standard_ports=standard) as lab:
        igd = await start_demo_router(lab)  # the lab's home router, forwarding two cameras
        targets = resolve_targets(lab.targets())
        config = build_scan_config(args, targets, sigs, profile=args.profile or "owner")
        config = replace(
            with_target_specs(config, (compact_targets(lab.targets()),)),
            ports=tuple(lab.ports()),
            port_protocols=lab.port_protocols(),
            # Where a lab discovery responder could not have its standard UDP port.
            vendor=replace(config.vendor, ports=lab.vendor_ports()) if config.vendor else None,
            router=router_options(args, gateways=[igd.description_url]),
        )
        moved = moved_ports(lab, standard=standard is None)
        shown = ", ".join(moved[:3]) + (f" and {len(moved) - 3} more" if len(moved) > 3 else "")
        if moved and not args.quiet:
            say(
                f"camsweep demo: ports busy, so the lab moved {plural(len(moved), 'service')} "
                f"to other ports ({shown}); results tied to those port numbers may differ from "
                "the documented demo"
            )
        try:
            report = await scan(
                config,
                sigs,
                targets,
                len(targets),
                observer=progress,  # type: ignore[arg-type]
                stop=stop,
            )
        finally:
            await igd.close()
        if moved:
            note = f"demo lab ports were busy: {plural(len(moved), 'service')} moved ({shown})"
            report = replace(report, notes=(*report.notes, note))
        return report


def cmd_demo(args: argparse.Namespace) -> int:
    prepare_outputs(args)
    sigs = load_sigs(args)
    args.ports = None
    if not args.quiet:
        say(
            "camsweep demo: starting the emulated camera lab on 127.77.0.x and scanning it "
            "(nothing but loopback is touched)",
        )
    with observer(args) as progress:
        report = run_async(
            stoppable(lambda stop: _scan_lab(args, sigs, progress, stop), quiet=args.quiet)
        )
    emit(report, args)
    if not args.quiet:
        say(
            "camsweep demo: that was a demo against emulated devices on this computer. Next: "
            "'camsweep scan' for the network you are on, 'camsweep check ADDRESS' for a new "
            "camera, or add --verbose to see the details.",
        )
    return exit_code(report, args)
