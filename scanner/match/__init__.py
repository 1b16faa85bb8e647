"""What a device is and what is wrong with it: signatures validated into typed objects.

The YAML format is documented in docs/signatures.md; the public API other stages call is
re-exported here.
"""

from scanner.match.engine import SignatureSet, run_examples
from scanner.match.errors import LintError, SignatureError
from scanner.match.loader import lint_paths, load_signatures
from scanner.match.schema import CredentialPair, PortInfo
from scanner.match.versions import Version, VersionError, VersionRange, parse_version

__all__ = [
    "CredentialPair",
    "LintError",
    "PortInfo",
    "SignatureError",
    "SignatureSet",
    "Version",
    "VersionError",
    "VersionRange",
    "lint_paths",
    "load_signatures",
    "parse_version",
    "run_examples",
]
