"""The command line: argv, profiles, exit codes. The only module that prints.

Exit codes: 0 the scan completed; 1 a finding at or above --fail-on; 2 usage, target or signature
error (one line, no traceback); 3 the scan itself failed; 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, TextIO

from scanner import __version__
from scanner.config import Limits, ScanConfig, Timeouts
from scanner.credentials.custom import CredentialFileError, read_creds
from scanner.lab import RunningLab, default_devices, describe, start_lab
from scanner.match import SignatureError, SignatureSet, lint_paths, load_signatures, run_examples
from scanner.models import Host, Report, Severity
from scanner.pipeline import ScanObserver, scan, with_profile_defaults
from scanner.report.json_report import render_json
from scanner.report.text import render_text
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

FORMATS = ("text", "json")
PROFILES = ("guest", "owner", "lab")


class UsageError(Exception):
    """Bad flags, targets or files: one line to the user, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- output -----------------------------------------------------------------------------------


def _wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _render(report: Report, fmt: str, out: TextIO, *, color: bool, debug: bool) -> None:
    if fmt == "json":
        render_json(report, out)
    else:
        render_text(report, out, color=color, show_debug=debug)


def write_atomically(path: Path, text: str) -> None:
    """Temp file beside the target, then rename: a crash never leaves half a report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path())
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


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


def _emit(report: Report, args: argparse.Namespace) -> None:
    if args.output is not None:
        buffer = io.StringIO()
        _render(report, args.format, buffer, color=False, debug=args.debug)
        write_atomically(args.output, buffer.getvalue())
        if not args.quiet:
            s = report.summary
            print(
                f"camsweep: report written to {args.output} ({s.hosts_up} hosts with open ports, "
                f"{s.cameras} cameras, {s.recorders} recorders, "
                f"{sum(s.findings_by_severity.values())} findings)",
                file=sys.stderr,
            )
        return
    _render(report, args.format, sys.stdout, color=_wants_color(sys.stdout), debug=args.debug)


def _exit_code(report: Report, fail_on: Severity | None) -> int:
    if fail_on is None:
        return EXIT_OK
    for host in report.hosts:
        if any(f.severity.rank >= fail_on.rank for f in host.findings):
            return EXIT_FINDINGS
    return EXIT_OK


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
            TextColumn("{task.fields[found]} devices found"),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._task = self._progress.add_task("scan", total=None, found=0)
        self._found = 0

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def scan_started(self, total_hosts: int) -> None:
        self._progress.update(self._task, total=total_hosts)

    def host_finished(self, ip: str, host: Host | None) -> None:  # noqa: ARG002
        if host is not None:
            self._found += 1
        self._progress.update(self._task, advance=1, found=self._found)


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
        confirm_streams=args.confirm_streams,
    )
    return with_profile_defaults(config)


def _run_scan(
    config: ScanConfig, sigs: SignatureSet, targets: TargetSet, args: argparse.Namespace
) -> Report:
    with _observer(args) as observer:
        return asyncio.run(scan(config, sigs, targets, len(targets), observer=observer))


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
    _check_output_path(args.output)
    sigs = _signatures(args)
    auto = not args.targets
    if auto:
        targets = _auto_targets(args)
    else:
        targets = resolve_targets(
            args.targets, allow_public=args.allow_public, allow_large=args.allow_large
        )
    config = _scan_config(args, targets, sigs, auto=auto)
    report = _run_scan(config, sigs, targets, args)
    _emit(report, args)
    return _exit_code(report, args.fail_on)


async def _scan_lab(
    args: argparse.Namespace, sigs: SignatureSet, observer: ScanObserver | None
) -> Report:
    async with await start_lab(standard_ports=None if not args.high_ports else False) as lab:
        targets = resolve_targets(lab.targets())
        config = replace(
            _scan_config(args, targets, sigs, auto=False),
            ports=tuple(lab.ports()),
            port_protocols=lab.port_protocols(),
        )
        return await scan(config, sigs, targets, len(targets), observer=observer)


def cmd_demo(args: argparse.Namespace) -> int:
    _check_output_path(args.output)
    sigs = _signatures(args)
    args.ports = None
    if not args.quiet:
        print(
            "camsweep demo: starting the emulated camera lab on 127.77.0.x and scanning it "
            "(nothing but loopback is touched)",
            file=sys.stderr,
        )
    with _observer(args) as observer:
        report = asyncio.run(_scan_lab(args, sigs, observer))
    _emit(report, args)
    return _exit_code(report, args.fail_on)


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


def cmd_lab(args: argparse.Namespace) -> int:
    if args.list:
        for line in describe(default_devices()):
            print(line)
        return EXIT_OK
    asyncio.run(_serve_lab(args, _print_lab))
    return EXIT_OK


def cmd_signatures(args: argparse.Namespace) -> int:
    if args.action == "lint":
        paths = [Path(p) for p in args.paths]
        errors = lint_paths(paths) if paths else lint_paths([])
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
        for key, value in sigs.stats().items():
            print(f"{key:<24} {value}")
        return EXIT_OK
    # list
    print(f"fingerprints ({len(sigs.fingerprints)}):")
    for fp in sigs.fingerprints:
        print(f"  {fp.id:<36} {fp.vendor:<16} {fp.device_type}")
    print(f"vulnerabilities ({len(sigs.vulnerabilities)}):")
    for vuln in sigs.vulnerabilities:
        cves = ", ".join(vuln.cves) or "-"
        print(f"  {vuln.id:<36} {vuln.severity:<9} {cves}")
    print(f"credential sets ({len(sigs.credentials)}):")
    for cred in sigs.credentials:
        print(f"  {cred.vendor:<16} {cred.protocol:<7} {len(cred.pairs)} pairs")
    return EXIT_OK


# --- argv -------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"seconds must be in (0, 3600]: {text!r}")
    return value


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}-{high}: {text!r}")
        return value

    return parse


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="text", help="report format")
    p.add_argument("-o", "--output", type=Path, help="write the report to this file")
    p.add_argument(
        "--fail-on",
        type=Severity,
        choices=list(Severity),
        metavar="SEVERITY",
        help="exit 1 on a finding at or above: critical, high, medium, low or info",
    )
    p.add_argument("--show-secrets", action="store_true", help="show found passwords unmasked")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or status lines")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show tracebacks of probe bugs")
    p.add_argument(
        "--signatures",
        action="append",
        metavar="DIR",
        help="extra signature folder (repeatable); extends or overrides the shipped set",
    )


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=PROFILES, help="guest: no logins; owner: default logins")
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
