"""The command line: argv, profiles, exit codes. The only module that prints.

Exit codes (docs/ci.md): 0 the scan completed; 1 a gate was crossed (a finding at or above
--fail-on that the inventory does not accept, --fail-on-new, --fail-on-unexpected); 2 usage,
target, signature, inventory or report-file error (one line, no traceback); 3 the scan itself
failed or a report could not be written; 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, TextIO, TypeVar

from scanner import __version__
from scanner.config import (
    DiscoveryOptions,
    Limits,
    Profile,
    ScanConfig,
    Timeouts,
    VendorOptions,
)
from scanner.credentials.custom import CredentialFileError, read_creds
from scanner.digits import ascii_decimal
from scanner.discover.mdns import signature_service_types
from scanner.discover.nmap_xml import NmapScan, plan_targets, read_nmap_report
from scanner.discover.vendor.catalog import CatalogError, load_catalog
from scanner.lab import RunningLab, default_devices, describe, start_lab
from scanner.lab.hostile import describe_personas, start_hostile
from scanner.lab.igd import start_demo_router
from scanner.lab.netns import NetnsError, run_netns_lab
from scanner.match import SignatureError, SignatureSet, lint_paths, load_signatures, run_examples
from scanner.match.oui import camera_oui_class
from scanner.models import Host, Report, Severity
from scanner.pipeline import ScanObserver, ScanProgress, scan, with_profile_defaults
from scanner.probe.nmap import NmapOptions, find_nmap
from scanner.report.formats import FORMATS as REPORT_FORMATS
from scanner.report.formats import (
    RenderOptions,
    default_filename,
    format_for_path,
    render_to_string,
)
from scanner.report.inventory import Inventory, InventoryError, load_inventory
from scanner.report.json_report import ReportFormatError, read_json
from scanner.report.output import write_atomically
from scanner.report.review import gate, make_review
from scanner.router.options import add_router_options, router_options
from scanner.targets import (
    TargetError,
    TargetSet,
    attached_network,
    parse_ports,
    read_default_interface,
    read_interfaces,
    resolve_targets,
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

FORMATS = tuple(REPORT_FORMATS)
PROFILES = ("guest", "owner", "lab")


_T = TypeVar("_T")


def run_async(main: Coroutine[object, object, _T]) -> _T:
    """Run the scan on uvloop when it is installed: scanning many hosts is mostly event-loop
    work, and uvloop's loop does it in about half the CPU time of asyncio's."""
    try:
        import uvloop  # noqa: PLC0415  (optional speed-up)
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


class UsageError(Exception):
    """Bad flags, targets or files: one line to the user, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- output -----------------------------------------------------------------------------------


def _wants_color(stream: TextIO) -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off; TERM=dumb cannot show it.
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def _check_output_path(path: Path | None) -> None:
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise UsageError(f"-o {path} is a directory")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {path}: folder {parent} is not writable")


def _plan_outputs(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    """Pair each requested format with its file (None: standard output); docs/report.md.

    ``--format F -o FILE`` pairs by position (repeat both for several reports); ``-o FILE``
    alone takes the format from the extension (``.sarif``, ``.html`` ...; text otherwise);
    ``--output-dir DIR`` names the files ``camsweep-report.<ext>``; ``-o -`` is stdout.
    """
    formats: list[str] = list(args.format or [])
    outputs: list[str] = list(args.output or [])
    if args.output_dir is not None:
        if outputs:
            raise UsageError("use -o FILE or --output-dir DIR, not both")
        if not formats:
            raise UsageError("--output-dir needs at least one --format")
        if not args.output_dir.is_dir():
            raise UsageError(f"--output-dir {args.output_dir} is not an existing folder")
        plan: list[tuple[str, Path | None]] = [
            (fmt, args.output_dir / default_filename(fmt)) for fmt in dict.fromkeys(formats)
        ]
    elif outputs:
        if formats and len(formats) != len(outputs):
            raise UsageError(
                f"{len(formats)} --format but {len(outputs)} -o: give one -o per --format "
                "(in the same order) or use --output-dir"
            )
        plan = []
        for i, name in enumerate(outputs):
            path = None if name == "-" else Path(name)
            guessed = None if path is None else format_for_path(path)
            plan.append((formats[i] if formats else guessed or "text", path))
    else:
        if len(formats) > 1:
            raise UsageError("several --format need -o FILE for each, or --output-dir DIR")
        plan = [(formats[0] if formats else "text", None)]
    files = [path for _, path in plan if path is not None]
    if len(files) != len({p.resolve() for p in files}):
        raise UsageError("two reports would be written to the same file")
    if len(plan) - len(files) > 1:
        raise UsageError("only one report can go to standard output (-o -)")
    for path in files:
        _check_output_path(path)
    return plan


def _read_review_inputs(args: argparse.Namespace) -> tuple[Report | None, Inventory | None]:
    """--baseline and --inventory are read before the scan: a typo costs a second, not a scan."""
    if args.fail_on_new and args.baseline is None:
        raise UsageError("--fail-on-new needs --baseline FILE (a JSON report of an earlier scan)")
    if args.fail_on_unexpected and args.inventory is None:
        raise UsageError("--fail-on-unexpected needs --inventory FILE")
    baseline = None
    if args.baseline is not None:
        try:
            with args.baseline.open(encoding="utf-8") as handle:
                baseline = read_json(handle)
        except OSError as exc:
            raise UsageError(f"cannot read --baseline {args.baseline}: {exc.strerror}") from None
        except ReportFormatError as exc:
            raise UsageError(f"--baseline {args.baseline}: {exc}") from None
    inventory = None
    if args.inventory is not None:
        try:
            inventory = load_inventory(args.inventory)
        except InventoryError as exc:
            raise UsageError(f"inventory: {exc}") from None
    return baseline, inventory


def _prepare_outputs(args: argparse.Namespace) -> None:
    args.plan = _plan_outputs(args)
    args.baseline_report, args.inventory_data = _read_review_inputs(args)


def _emit(report: Report, args: argparse.Namespace) -> None:
    """Render every requested format, then write each file atomically (docs/report.md)."""
    args.review = make_review(report, baseline=args.baseline_report, inventory=args.inventory_data)
    failed: list[str] = []
    for fmt, path in args.plan:
        options = RenderOptions(
            review=args.review,
            fail_on=args.fail_on,
            color=path is None and fmt == "text" and _wants_color(sys.stdout),
            show_debug=args.debug,
        )
        text = render_to_string(report, fmt, options)
        if path is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            continue
        try:
            write_atomically(path, text)
        except OSError as exc:
            # The other reports are still written: one full disk must not lose them all.
            failed.append(f"{path}: {exc.strerror or exc}")
            continue
        if not args.quiet:
            s = report.summary
            print(
                f"camsweep: {fmt} report written to {path} ({s.hosts_up} hosts with open "
                f"ports, {s.cameras} cameras, {s.recorders} recorders, "
                f"{sum(s.findings_by_severity.values())} findings)",
                file=sys.stderr,
            )
    if failed:
        raise OSError(f"could not write {len(failed)} report(s): {'; '.join(failed)}")


def _exit_code(report: Report, args: argparse.Namespace) -> int:
    reasons = gate(
        report,
        getattr(args, "review", None),
        fail_on=args.fail_on,
        fail_on_new=args.fail_on_new,
        fail_on_unexpected=args.fail_on_unexpected,
    )
    if not reasons:
        return EXIT_OK
    if not args.quiet:
        print(f"camsweep: failing (exit 1): {'; '.join(reasons)}", file=sys.stderr)
    return EXIT_FINDINGS


# --- progress ---------------------------------------------------------------------------------


class _RichProgress:
    """A progress bar on stderr, advanced by the pipeline's observer calls."""

    def __init__(self) -> None:
        from rich.console import Console  # noqa: PLC0415  (only on a terminal)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

        self._progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[state]}"),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._task = self._progress.add_task("scan", total=None, state="")

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def scan_started(self, total_hosts: int) -> None:
        self._progress.update(self._task, total=total_hosts)

    def progress(self, state: ScanProgress) -> None:
        text = f"{state.found} found, {state.probed} probed, {state.pending} pending"
        self._progress.update(self._task, state=text)

    def host_finished(self, ip: str, host: Host | None) -> None:  # noqa: ARG002
        self._progress.update(self._task, advance=1)


@contextlib.contextmanager
def _observer(args: argparse.Namespace) -> Iterator[ScanObserver | None]:
    if args.quiet or args.no_progress or not sys.stderr.isatty():
        yield None
        return
    with _RichProgress() as progress:
        yield progress


# --- commands ---------------------------------------------------------------------------------


def _signatures(args: argparse.Namespace) -> SignatureSet:
    return load_signatures([Path(p) for p in args.signatures or ()])


def _scan_config(
    args: argparse.Namespace, targets: TargetSet, sigs: SignatureSet, *, auto: bool
) -> ScanConfig:
    if args.ports:
        ports, port_protocols = parse_ports(args.ports)
    else:
        ports, port_protocols = sigs.default_ports(), {}
    profile = args.profile or ("guest" if auto else "owner")
    timeouts = Timeouts(
        connect=args.connect_timeout,
        read=args.read_timeout,
        host=args.host_timeout,
        scan=args.scan_timeout,
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
        confirm_streams=args.confirm_streams,
        discovery=_discovery_options(args, sigs),
        vendor=_vendor_options(args),
        scope=targets.ranges,
        router=router_options(args),
    )
    return with_profile_defaults(config)


def _run_scan(
    config: ScanConfig, sigs: SignatureSet, targets: TargetSet, args: argparse.Namespace
) -> Report:
    with _observer(args) as observer:
        return run_async(scan(config, sigs, targets, len(targets), observer=observer))


def _discovery_options(args: argparse.Namespace, sigs: SignatureSet) -> DiscoveryOptions:
    """ARP, mDNS, SSDP, WS-Discovery, --passive (docs/discovery.md): only on the targets' LAN."""
    if args.passive is not None and getattr(args, "nmap", False):
        raise UsageError("--passive sends nothing, so it cannot be combined with --nmap")
    return DiscoveryOptions(
        arp=not args.no_arp,
        mdns=not args.no_mdns,
        ssdp=not args.no_ssdp,
        wsd=not args.no_wsd,
        timeout=args.discovery_timeout,
        passive=args.passive,
        service_types=signature_service_types(sigs.fingerprints),
    )


def _vendor_options(args: argparse.Namespace) -> VendorOptions:
    """SADP, DHDiscover, ... (docs/discovery.md): unicast to hosts that answered, multicast and
    broadcast only on the targets' LAN, nothing with --passive. Bad catalogue files or an
    unknown protocol id are usage errors, before anything is sent."""
    extra = tuple(Path(p) for p in args.signatures or ())
    skip = tuple(args.no_discovery_protocol or ())
    try:
        load_catalog(extra).select(skip)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    return VendorOptions(
        enabled=not args.no_vendor_discovery,
        skip=skip,
        timeout=args.discovery_timeout,
        passive=args.passive is not None,
        extra_dirs=extra,
    )


def _nmap_options(
    args: argparse.Namespace, imported: NmapScan | None, notes: tuple[str, ...]
) -> NmapOptions | None:
    """--nmap and --from-nmap (docs/nmap.md); a missing nmap binary costs one line, not the scan."""
    if not args.nmap and imported is None:
        return None
    binary = find_nmap() if args.nmap else None
    if args.nmap and binary is None:
        print(
            "camsweep: --nmap: nmap is not installed (not on PATH); scanning without it",
            file=sys.stderr,
        )
    return NmapOptions(
        enrich=args.nmap,
        binary=binary,
        intensity=args.nmap_intensity,
        imported=imported,
        source=args.from_nmap.name if args.from_nmap else "",
        import_notes=notes,
    )


def _auto_targets(args: argparse.Namespace) -> TargetSet:
    iface = read_default_interface()
    network = attached_network(read_interfaces(), iface)
    if not args.quiet:
        print(
            f"camsweep: no target given; scanning {network} (the network of {iface}) "
            "with the guest profile: no passwords are tried",
            file=sys.stderr,
        )
    return resolve_targets(
        [str(network)], allow_public=args.allow_public, allow_large=args.allow_large
    )


def cmd_scan(args: argparse.Namespace) -> int:
    _prepare_outputs(args)
    sigs = _signatures(args)
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
        targets = resolve_targets(
            args.targets, allow_public=args.allow_public, allow_large=args.allow_large
        )
    config = _scan_config(args, targets, sigs, auto=auto)
    if args.from_nmap is not None:
        config = replace(config, target_specs=(*args.targets, f"--from-nmap {args.from_nmap}"))
    config = replace(config, nmap=_nmap_options(args, imported, import_notes))
    report = _run_scan(config, sigs, targets, args)
    _emit(report, args)
    return _exit_code(report, args)


async def _scan_lab(
    args: argparse.Namespace, sigs: SignatureSet, observer: ScanObserver | None
) -> Report:
    async with await start_lab(standard_ports=None if not args.high_ports else False) as lab:
        igd = await start_demo_router(lab)  # the lab's home router, forwarding two cameras
        targets = resolve_targets(lab.targets())
        config = _scan_config(args, targets, sigs, auto=False)
        config = replace(
            config,
            ports=tuple(lab.ports()),
            port_protocols=lab.port_protocols(),
            # Where a lab discovery responder could not have its standard UDP port.
            vendor=replace(config.vendor, ports=lab.vendor_ports()) if config.vendor else None,
            router=router_options(args, gateways=[igd.description_url]),
        )
        try:
            return await scan(config, sigs, targets, len(targets), observer=observer)
        finally:
            await igd.close()


def cmd_demo(args: argparse.Namespace) -> int:
    _prepare_outputs(args)
    sigs = _signatures(args)
    args.ports = None
    if not args.quiet:
        print(
            "camsweep demo: starting the emulated camera lab on 127.77.0.x and scanning it "
            "(nothing but loopback is touched)",
            file=sys.stderr,
        )
    with _observer(args) as observer:
        report = run_async(_scan_lab(args, sigs, observer))
    _emit(report, args)
    return _exit_code(report, args)


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
            print(f"camsweep lab --hostile: {count} connection(s) to {lab.elsewhere}", flush=True)


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
            print(f"camsweep: {len(errors)} signature error(s)", file=sys.stderr)
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
            print(f"camsweep: {len(failures)} example(s) failed", file=sys.stderr)
            return EXIT_USAGE
        print(f"all examples pass ({len(sigs.fingerprints)} fingerprints)")
        return EXIT_OK
    if args.action == "stats":
        # The OUI class is derived from scapy's copy of the IEEE registry (scanner/match/oui.py).
        counts = {**sigs.stats(), "camera_oui_prefixes": len(camera_oui_class(sigs))}
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
    _prepare_outputs(args)
    try:
        with args.report.open(encoding="utf-8") as handle:
            report = read_json(handle, show_secrets=args.show_secrets)
    except OSError as exc:
        raise UsageError(f"cannot read {args.report}: {exc.strerror or exc}") from None
    except ReportFormatError as exc:
        raise UsageError(f"{args.report}: {exc}") from None
    _emit(report, args)
    return _exit_code(report, args)


# --- argv -------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"seconds must be in (0, 3600]: {text!r}")
    return value


def _scan_seconds(text: str) -> float | None:
    """--scan-timeout: seconds in (0, 86400], or 0 for no scan-wide deadline (None)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value == 0:
        return None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"seconds must be 0 or in (0, 86400]: {text!r}")
    return value


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = ascii_decimal(text.strip())  # int() would read '٣' as 3 (issue #19)
        if value is None:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}-{high}: {text!r}")
        return value

    return parse


def _add_report_options(p: argparse.ArgumentParser) -> None:
    """Formats, files and CI gates: shared by scan, demo and report convert (docs/report.md)."""
    p.add_argument(
        "--format",
        action="append",
        choices=FORMATS,
        help="report format (repeatable, one -o each): " + ", ".join(FORMATS),
    )
    p.add_argument(
        "-o",
        "--output",
        action="append",
        metavar="FILE",
        help="write a report to FILE (repeatable; '-' is standard output; without --format "
        "the extension picks it: .json .sarif .xml .html .md .csv .txt)",
    )
    p.add_argument(
        "--output-dir", type=Path, metavar="DIR", help="write camsweep-report.<ext> per --format"
    )
    p.add_argument(
        "--fail-on",
        type=Severity,
        choices=list(Severity),
        metavar="SEVERITY",
        help="exit 1 on a finding at or above: critical, high, medium, low or info "
        "(findings the inventory accepts do not count)",
    )
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", help="JSON report of an earlier scan: mark changes"
    )
    p.add_argument(
        "--fail-on-new",
        action="store_true",
        help="exit 1 when a device, open service or finding is new since --baseline",
    )
    p.add_argument("--inventory", type=Path, metavar="FILE", help="lab inventory YAML (docs/ci.md)")
    p.add_argument(
        "--fail-on-unexpected",
        action="store_true",
        help="exit 1 when a device that is not in --inventory answers",
    )
    p.add_argument("--show-secrets", action="store_true", help="show found passwords unmasked")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or status lines")
    p.add_argument("--debug", action="store_true", help="show tracebacks of probe bugs")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    _add_report_options(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--signatures",
        action="append",
        metavar="DIR",
        help="extra signature folder (repeatable); extends or overrides the shipped set",
    )


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=PROFILES, help="guest: no logins; owner: default logins")
    lan = p.add_argument_group("LAN discovery (only when the targets are on an attached network)")
    lan.add_argument("--no-arp", action="store_true", help="no ARP sweep")
    lan.add_argument("--no-mdns", action="store_true", help="no mDNS / DNS-SD queries")
    lan.add_argument("--no-ssdp", action="store_true", help="no SSDP M-SEARCH")
    lan.add_argument("--no-wsd", action="store_true", help="no ONVIF WS-Discovery probe")
    lan.add_argument(
        "--no-vendor-discovery",
        action="store_true",
        help="no vendor discovery protocols (SADP, DHDiscover, Xiongmai, CS2 P2P, Ubiquiti ...)",
    )
    lan.add_argument(
        "--no-discovery-protocol",
        action="append",
        metavar="ID",
        help="leave out one vendor discovery protocol by id, e.g. sadp (repeatable)",
    )
    lan.add_argument(
        "--discovery-timeout",
        type=_positive,
        default=3.0,
        metavar="S",
        help="seconds each discovery method waits for answers (default 3)",
    )
    lan.add_argument(
        "--passive",
        type=_positive,
        metavar="SECONDS",
        help="send nothing at all: listen this long and report who announced themselves",
    )
    add_router_options(p)
    p.add_argument("--no-credentials", action="store_true", help="never try default passwords")
    p.add_argument(
        "--confirm-streams",
        action="store_true",
        help="SETUP/PLAY each open RTSP stream and wait for the first video packet",
    )
    p.add_argument(
        "--creds",
        type=Path,
        metavar="FILE",
        help="your own username:password list, tried first (within the login budget)",
    )
    p.add_argument("--connect-timeout", type=_positive, default=1.5, metavar="S")
    p.add_argument("--read-timeout", type=_positive, default=3.0, metavar="S")
    p.add_argument("--host-timeout", type=_positive, default=60.0, metavar="S")
    p.add_argument(
        "--scan-timeout",
        type=_scan_seconds,
        default=3600.0,
        metavar="S",
        help="deadline of the whole scan (default 3600, 0 for none); hosts still in progress "
        "then are reported with what they answered",
    )
    p.add_argument("--concurrency", type=_whole(1, 4096), default=256, help="sockets open at once")
    p.add_argument(
        "--max-login-failures",
        type=_whole(0, 20),
        default=3,
        metavar="N",
        help="failed logins allowed per device, all services together (default 3)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="camsweep",
        description="Find the cameras on a network and show how exposed they are.",
    )
    parser.add_argument("--version", action="version", version=f"camsweep {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p_scan = sub.add_parser("scan", help="scan targets (default: the attached network)")
    p_scan.add_argument(
        "targets", nargs="*", metavar="TARGET", help="IPv4, CIDR, a.b.c.d-e range or @file"
    )
    p_scan.add_argument("--ports", help="ports to sweep, e.g. 23,80,554,10554:rtsp")
    p_scan.add_argument("--allow-public", action="store_true", help="allow public addresses")
    p_scan.add_argument("--allow-large", action="store_true", help="allow > 4096 addresses")
    p_scan.add_argument(
        "--nmap",
        action="store_true",
        help="ask nmap -sV about ports camsweep cannot identify (sends nmap's own probes)",
    )
    p_scan.add_argument(
        "--nmap-intensity",
        type=_whole(0, 9),
        default=2,
        metavar="N",
        help="nmap --version-intensity for --nmap (0-9, default 2: fewer probes, faster)",
    )
    p_scan.add_argument(
        "--from-nmap",
        type=Path,
        metavar="FILE",
        help="start from the hosts, MACs and open ports of an nmap XML report (nmap -oX)",
    )
    _add_output_options(p_scan)
    _add_scan_options(p_scan)
    p_scan.set_defaults(func=cmd_scan)

    p_demo = sub.add_parser("demo", help="start the emulated lab on loopback and scan it")
    p_demo.add_argument("--high-ports", action="store_true", help="never bind ports below 1024")
    _add_output_options(p_demo)
    _add_scan_options(p_demo)
    p_demo.set_defaults(func=cmd_demo)

    p_lab = sub.add_parser("lab", help="run the emulated camera lab in the foreground")
    p_lab.add_argument("--list", action="store_true", help="describe the devices and exit")
    p_lab.add_argument("--high-ports", action="store_true", help="never bind ports below 1024")
    p_lab.add_argument("--seconds", type=_positive, help="stop after this many seconds")
    p_lab.add_argument(
        "--hostile",
        action="store_true",
        help="run hostile and broken devices (127.66.0.x) instead, to test a scanner against",
    )
    p_lab.add_argument(
        "--netns",
        action="store_true",
        help="build a LAN of network namespaces (198.18.0.0/24) with emulated cameras (root)",
    )
    p_lab.set_defaults(func=cmd_lab)

    p_sig = sub.add_parser("signatures", help="lint, test, list or count the signatures")
    sig_sub = p_sig.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for action, text in (
        ("lint", "validate signature files or folders (default: the shipped set)"),
        ("test", "run every embedded example through the matcher"),
        ("list", "show what is loaded"),
        ("stats", "count what is loaded"),
    ):
        p = sig_sub.add_parser(action, help=text)
        if action in ("lint", "test"):
            p.add_argument("paths", nargs="*", metavar="PATH")
        p.add_argument("--signatures", action="append", metavar="DIR", help="extra folder")
    p_sig.set_defaults(func=cmd_signatures)

    p_report = sub.add_parser("report", help="work with saved reports")
    report_sub = p_report.add_subparsers(dest="action", required=True, parser_class=_Parser)
    p_convert = report_sub.add_parser(
        "convert", help="render a saved JSON report again, in any format"
    )
    p_convert.add_argument("report", type=Path, metavar="REPORT.json")
    _add_report_options(p_convert)
    p_convert.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        code: int = args.func(args)
    except UsageError as exc:
        print(f"camsweep: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (TargetError, CredentialFileError) as exc:
        print(f"camsweep: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SignatureError as exc:
        for error in exc.errors:
            print(f"camsweep: signature error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("camsweep: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the scan itself failed: one line, traceback only with --debug  # noqa: BLE001
        if debug:
            traceback.print_exc()
        print(f"camsweep: scan failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
