"""The shipped signatures are found where pip puts them, not only in a source checkout.

Installed, ``signatures/`` becomes ``scanner/signatures`` with no ``__init__.py`` (a namespace
package); a reader that joined two path parts on its MultiplexedPath failed there, and only a
fresh ``pip install . && camsweep demo`` showed it. This builds that layout in a folder and runs
every reader of shipped data from it, in a fresh interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from scanner.match.shipped import shipped_dir

REPO = Path(__file__).resolve().parents[2]

READ_ALL = """
from scanner.discover.vendor.catalog import load_catalog
from scanner.match import load_signatures
from scanner.match.exposure import exposure_rules
from scanner.match.identify_data import classifier_data
from scanner.match.shipped import shipped_dir
sigs = load_signatures()
assert sigs.fingerprints and sigs.cloud, "no shipped signatures"
assert load_catalog().protocols, "no discovery protocols"
assert classifier_data() is not None
assert exposure_rules().fixes, "no exposure rules"
print(shipped_dir())
"""


def test_every_reader_finds_the_installed_layout(tmp_path: Path) -> None:
    site = tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "scanner", site / "scanner", ignore=skip)
    shutil.copytree(REPO / "signatures", site / "scanner" / "signatures")
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", READ_ALL],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(site / "scanner" / "signatures")


def test_a_source_checkout_reads_the_folder_beside_the_package() -> None:
    assert (shipped_dir() / "fingerprints.yaml").is_file()
