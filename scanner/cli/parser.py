"""argv: every command, its options, their defaults and examples.

Imports nothing heavy: ``--help`` and ``--version`` are answered from here alone. A command is
named by ``"module:function"`` and imported only when it runs (scanner.cli.app).
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from scanner import __version__
from scanner.cli.common import PROFILES, UsageError
from scanner.digits import ascii_decimal
from scanner.models import Severity
from scanner.report.formats import FORMATS as REPORT_FORMATS
from scanner.router.options import add_router_options

FORMATS = tuple(REPORT_FORMATS)
SEVERITIES = ", ".join(s.value for s in Severity)

_TOP_EXAMPLES = """\
three front doors:
  camsweep scan                  the network you are on, guest profile: no password is tried
  camsweep scan 192.168.1.0/24   named targets, owner profile: factory passwords, lockout-safe
  camsweep check 192.168.1.64    a new camera before you trust it: all ports, every safe check
  camsweep scan 10.0.0.0/24 --fail-on high -o camsweep.sarif     in CI (exit 1 at high)

try it safely first: camsweep demo    (emulated cameras on 127.77.0.x, nothing else is touched)
exit codes: 0 done, 1 --fail-on crossed, 2 usage error, 3 scan failed, 4 nothing answered,
130 interrupted (the reports are still written)
"""

_SCAN_EXAMPLES = """\
examples:
  camsweep scan                                  the attached network, guest profile
  camsweep scan 192.168.1.0/24                   owner profile (named targets)
  camsweep scan 192.168.1.10-40 @more.txt --profile guest
  camsweep scan 10.0.0.0/24 -o report.html -o report.json
  camsweep scan 10.0.0.0/24 --fail-on high --format sarif -o camsweep.sarif
"""

_CHECK_EXAMPLES = """\
examples:
  camsweep check 192.168.1.64                    every port, every safe check, full passwords
  camsweep check 192.168.1.64 -o camera.html     and keep the report
  camsweep check 192.168.1.64 --ports 1-10000    a quicker sweep
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples as written and shows each option's default when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or "default" in text
            or default in (None, False, argparse.SUPPRESS)
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


# --- value types ------------------------------------------------------------------------------


# float() reads '٣' as 3.0 and takes 'inf', 'nan' and '1_0' (issue #19): seconds are ASCII only.
_SECONDS = re.compile(r"-?(?:[0-9]{1,9}(?:\.[0-9]{1,6})?|\.[0-9]{1,6})")


def _seconds(text: str) -> float:
    if not _SECONDS.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return float(text)


def _positive(text: str) -> float:
    value = _seconds(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"seconds must be in (0, 3600]: {text!r}")
    return value


def _scan_seconds(text: str) -> float | None:
    """--scan-timeout: seconds in (0, 86400], or 0 for no scan-wide deadline (None)."""
    value = _seconds(text)
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


def severity(text: str) -> Severity:
    """--fail-on: a severity in any case (the report prints them in capitals)."""
    try:
        return Severity(text.strip().lower())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown severity {text!r}: use one of {SEVERITIES}"
        ) from None


_width = _whole(40, 1000)


# --- option groups ----------------------------------------------------------------------------


def _add_report_options(p: argparse.ArgumentParser) -> None:
    """Formats, files and CI gates: shared by scan, check, demo and report convert."""
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
        "the extension picks it: .txt .json .sarif .xml .html .md .csv)",
    )
    p.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write camsweep-report.<ext> per --format into DIR (created if missing)",
    )
    p.add_argument(
        "--fail-on",
        type=severity,
        metavar="SEVERITY",
        help=f"exit 1 on a finding at or above: {SEVERITIES}, in any case "
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
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="text report: add what each device said, CVE numbers, links and finding ids",
    )
    p.add_argument(
        "--width",
        type=_width,
        metavar="N",
        help="text report width in columns (default: the terminal's, or COLUMNS; 100 in files)",
    )
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


def _add_scan_options(p: argparse.ArgumentParser, *, check: bool = False) -> None:
    if not check:
        p.add_argument(
            "--profile",
            choices=PROFILES,
            help="guest: find and identify, never try a password (the default without "
            "targets); owner: also try factory passwords within a lockout-safe budget (the "
            "default with targets); lab: owner plus intrusive checks, for lab devices only",
        )
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
        help="seconds each discovery method waits for answers",
    )
    if not check:
        lan.add_argument(
            "--passive",
            type=_positive,
            metavar="SECONDS",
            help="send nothing at all: listen this long and report who announced themselves",
        )
    add_router_options(p)
    p.add_argument("--no-credentials", action="store_true", help="never try a password")
    if not check:
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
    p.add_argument(
        "--connect-timeout", type=_positive, default=1.5, metavar="S", help="TCP connect deadline"
    )
    p.add_argument(
        "--read-timeout", type=_positive, default=3.0, metavar="S", help="one request's deadline"
    )
    p.add_argument(
        "--host-timeout",
        type=_positive,
        default=1800.0 if check else 60.0,
        metavar="S",
        help="everything done to one device",
    )
    p.add_argument(
        "--scan-timeout",
        type=_scan_seconds,
        default=3600.0,
        metavar="S",
        help="deadline of the whole scan (0 for none); hosts still in progress then are "
        "reported with what they answered",
    )
    p.add_argument(
        "--concurrency",
        type=_whole(1, 4096),
        default=256,
        metavar="N",
        help="connections open at once",
    )
    p.add_argument(
        "--max-login-failures",
        type=_whole(0, 20),
        default=20 if check else 3,
        metavar="N",
        help="failed logins allowed per device, all services together",
    )
    p.add_argument(
        "--login-pause",
        type=_positive,
        default=2.0 if check else 0.2,
        metavar="S",
        help="seconds between two login attempts on one service (slower is lockout-safer)",
    )


def _add_target_options(p: argparse.ArgumentParser, *, ports_help: str) -> None:
    p.add_argument("--ports", help=ports_help)
    p.add_argument("--allow-public", action="store_true", help="allow public addresses")
    p.add_argument("--allow-large", action="store_true", help="allow > 4096 addresses")
    p.add_argument(
        "--nmap",
        action="store_true",
        help="ask nmap -sV about ports camsweep cannot identify (sends nmap's own probes)",
    )
    p.add_argument(
        "--nmap-intensity",
        type=_whole(0, 9),
        default=2,
        metavar="N",
        help="nmap --version-intensity for --nmap (0-9; 2 is fewer probes, faster)",
    )


# --- the parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="camsweep",
        description="Find the cameras on a network and show how exposed they are.",
        epilog=_TOP_EXAMPLES,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"camsweep {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(
        name: str, text: str, func: str, epilog: str | None = None
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=text,
            description=textwrap.fill(text, 90),  # the formatter keeps descriptions as given
            epilog=epilog,
            formatter_class=_HelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p_scan = command(
        "scan",
        "scan a network: the attached one with the guest profile, or the targets you name "
        "with the owner profile",
        "scanner.cli.scan_cmd:cmd_scan",
        _SCAN_EXAMPLES,
    )
    p_scan.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="IPv4 address, CIDR, range a.b.c.d-e or @file (one a line, # comments)",
    )
    _add_target_options(
        p_scan,
        ports_help="ports to sweep, e.g. 23,80,554,10554:rtsp "
        "(default: the camera port set, signatures/ports.yaml)",
    )
    p_scan.add_argument(
        "--from-nmap",
        type=Path,
        metavar="FILE",
        help="start from the hosts, MACs and open ports of an nmap XML report (nmap -oX)",
    )
    _add_output_options(p_scan)
    _add_scan_options(p_scan)

    p_check = command(
        "check",
        "check one new camera before you trust it: all 65,535 TCP ports, every safe check, "
        "the full factory-password list at a lockout-safe pace, stream confirmation, and a "
        "verdict (safe to trust / fix these first / do not use)",
        "scanner.cli.check_cmd:cmd_check",
        _CHECK_EXAMPLES,
    )
    p_check.add_argument("address", metavar="ADDRESS", help="the device's IPv4 address")
    _add_target_options(p_check, ports_help="ports to sweep instead of all of 1-65535")
    _add_output_options(p_check)
    _add_scan_options(p_check, check=True)

    p_demo = command(
        "demo",
        "start the emulated camera lab on loopback (127.77.0.x) and scan it",
        "scanner.cli.scan_cmd:cmd_demo",
    )
    p_demo.add_argument("--high-ports", action="store_true", help="never bind ports below 1024")
    _add_output_options(p_demo)
    _add_scan_options(p_demo)

    p_lab = command(
        "lab", "run the emulated camera lab in the foreground", "scanner.cli.tools_cmd:cmd_lab"
    )
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

    p_sig = command(
        "signatures",
        "lint, test, list or count the signatures",
        "scanner.cli.tools_cmd:cmd_signatures",
    )
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

    p_report = command("report", "work with saved reports", "scanner.cli.tools_cmd:cmd_report")
    report_sub = p_report.add_subparsers(dest="action", required=True, parser_class=_Parser)
    p_convert = report_sub.add_parser(
        "convert",
        help="render a saved JSON report again, in any format",
        formatter_class=_HelpFormatter,
    )
    p_convert.add_argument("report", type=Path, metavar="REPORT.json")
    _add_report_options(p_convert)
    return parser
