"""``lab``, ``signatures`` and ``report convert``: the tools around a scan."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from scanner.cli.common import EXIT_OK, EXIT_USAGE, UsageError
from scanner.cli.outputs import emit, exit_code, prepare_outputs
from scanner.cli.running import run_async
from scanner.lab import RunningLab, default_devices, describe, start_lab
from scanner.lab.hostile import describe_personas, start_hostile
from scanner.lab.netns import NetnsError, run_netns_lab
from scanner.match import lint_paths, load_signatures, run_examples
from scanner.match.oui import camera_oui_class
from scanner.report.json_report import ReportFormatError, read_json
from scanner.report.words import plural


def _print_lab(lab: RunningLab) -> None:
    print("camsweep lab: emulated devices on loopback (Ctrl-C stops them)")
    for device in lab.devices:
        ports = ", ".join(
            f"{spec.protocol.value}/{device.ports[spec.port]}" for spec in device.spec.services
        )
        print(f"  {device.spec.ip:<15} {device.spec.key:<15} {ports}")
    print(
        f"scan it with: camsweep scan {' '.join(lab.targets())} "
        f"--ports {','.join(f'{p}:{proto.value}' for p, proto in lab.port_protocols().items())}"
    )
    sys.stdout.flush()


async def _serve_lab(args: argparse.Namespace, ready: Callable[[RunningLab], None]) -> None:
    async with await start_lab(standard_ports=None if not args.high_ports else False) as lab:
        ready(lab)
        stop = asyncio.Event()
        seconds = args.seconds
        if seconds is not None:
            asyncio.get_running_loop().call_later(seconds, stop.set)
        await stop.wait()


async def _serve_hostile(args: argparse.Namespace) -> None:
    async with await start_hostile() as lab:
        print("camsweep lab --hostile: hostile and broken devices on loopback (Ctrl-C stops them)")
        for running in lab.personas:
            print(f"  {running.ip:<15} {running.persona.key:<20} {running.persona.summary}")
        print(f"watched out-of-scope address (a scanner must never connect): {lab.elsewhere}")
        targets = " ".join(lab.targets())
        print(f"scan it with: camsweep scan {targets} --ports {lab.ports_argument()}")
        sys.stdout.flush()
        try:
            stop = asyncio.Event()
            if args.seconds is not None:
                asyncio.get_running_loop().call_later(args.seconds, stop.set)
            await stop.wait()
        finally:
            count = sum(lab.out_of_scope.values())
            print(
                f"camsweep lab --hostile: {plural(count, 'connection')} to {lab.elsewhere}",
                flush=True,
            )


def _hostile_lab(args: argparse.Namespace) -> int:
    """``lab --hostile``: scanner.lab.hostile's personas, for testing a scanner's robustness."""
    if args.list:
        for line in describe_personas():
            print(line)
        return EXIT_OK
    run_async(_serve_hostile(args))
    return EXIT_OK


def cmd_lab(args: argparse.Namespace) -> int:
    if args.hostile:
        return _hostile_lab(args)
    if args.netns:
        try:
            run_netns_lab(args.seconds, print)
        except NetnsError as exc:
            raise UsageError(f"lab --netns: {exc}") from None
        return EXIT_OK
    if args.list:
        for line in describe(default_devices()):
            print(line)
        return EXIT_OK
    run_async(_serve_lab(args, _print_lab))
    return EXIT_OK


def cmd_signatures(args: argparse.Namespace) -> int:
    if args.action == "lint":
        paths = [Path(p) for p in args.paths]
        errors = lint_paths(paths)  # no path: the shipped set
        for error in errors:
            print(error)
        if errors:
            print(f"camsweep: {plural(len(errors), 'signature error')}", file=sys.stderr)
            return EXIT_USAGE
        print("signatures OK")
        return EXIT_OK
    extra = [Path(p) for p in getattr(args, "paths", ())]
    sigs = load_signatures([*extra, *(Path(p) for p in args.signatures or ())])
    if args.action == "test":
        failures = run_examples(sigs)
        for failure in failures:
            print(failure)
        if failures:
            print(f"camsweep: {plural(len(failures), 'example')} failed", file=sys.stderr)
            return EXIT_USAGE
        print(f"all examples pass ({len(sigs.fingerprints)} fingerprints)")
        return EXIT_OK
    if args.action == "stats":
        # The OUI class is derived from scapy's copy of the IEEE registry (scanner/match/oui.py).
        # surveillance_brands: the alias table the generic classifier names vendors from
        # (brands and badges whose name is camera evidence), not only fingerprinted makers.
        from scanner.match.generic import surveillance_brands  # noqa: PLC0415 (start-up time)

        counts = {
            **sigs.stats(),
            "surveillance_brands": len(surveillance_brands(sigs)),
            "camera_oui_prefixes": len(camera_oui_class(sigs)),
        }
        for key, value in counts.items():
            print(f"{key:<28} {value}")
        return EXIT_OK
    # list
    print(f"fingerprints ({len(sigs.fingerprints)}):")
    for fp in sigs.fingerprints:
        print(f"  {fp.id:<36} {fp.vendor:<16} {fp.device_type}")
    print(f"vulnerabilities ({len(sigs.vulnerabilities)}):")
    for vuln in sigs.vulnerabilities:
        cves = ", ".join(vuln.cves) or "-"
        flag = "  (unverified)" if vuln.unverified else ""
        print(f"  {vuln.id:<36} {vuln.severity:<9} {cves}{flag}")
    print(f"credential sets ({len(sigs.credentials)}):")
    for cred in sigs.credentials:
        print(f"  {cred.vendor:<16} {cred.protocol:<7} {len(cred.pairs)} pairs")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``report convert``: the same renderers, review and exit codes as a scan (docs/report.md)."""
    prepare_outputs(args)
    try:
        with args.report.open(encoding="utf-8") as handle:
            report = read_json(handle, show_secrets=args.show_secrets)
    except OSError as exc:
        raise UsageError(f"cannot read {args.report}: {exc.strerror or exc}") from None
    except ReportFormatError as exc:
        raise UsageError(f"{args.report}: {exc}") from None
    emit(report, args)
    return exit_code(report, args, live=False)
