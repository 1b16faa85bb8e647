"""The command line: argv, the three front doors, exit codes. The only package that prints.

``scan`` (a home or hotel network), ``check ADDRESS`` (a new camera before trusting it) and the
CI options of both (``--fail-on``, SARIF, JUnit); ``demo``, ``lab``, ``signatures`` and
``report convert`` besides. Exit codes (docs/user-guide.md#exit-codes): 0 the scan completed;
1 a gate was crossed (--fail-on, --fail-on-new, --fail-on-unexpected); 2 usage, target,
signature, inventory or report-file error (one line, no traceback); 3 the scan itself failed
or a report could not be written; 4 nothing answered (no device on the targets); 130
interrupted (Ctrl-C), after writing every requested report with what was found.

Start-up is kept short (``--version`` and ``--help`` well under 0.3 s): this package imports
argparse and the models only; each command imports what it needs when it runs
(benchmarks/startup_bench.py measures it).
"""

from scanner.cli.app import main
from scanner.cli.common import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from scanner.cli.parser import build_parser

__all__ = [
    "EXIT_FAILED",
    "EXIT_FINDINGS",
    "EXIT_INTERRUPTED",
    "EXIT_NOTHING_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
]
