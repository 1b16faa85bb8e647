"""How long fuzzing must run to find a class of bug, from an empty corpus and from the kept one.

Issue #19: the '²' class (``str.isdigit()`` true for non-ASCII digits that ``int()`` refuses)
sat in scanner/lab/wire.py and scanner/probe/rtsp.py while CI's short fuzz run passed. This
script runs ``python -m fuzz`` (today's harness, copied in) against a source tree that still has
such a bug (a checkout from before the fix, --tree) until the first crash whose report names
``int()``, or --max-seconds, and prints the time to that crash per trial: from the seeds alone
("empty") and from the corpus kept in fuzz/corpus ("kept"), per target or for every target in
one process (--together, what CI runs). Start-up (instrumenting camsweep) is measured with a
one-input run and subtracted.

    git archive <commit-before-the-fix> | tar -x -C /tmp/prefix
    python benchmarks/fuzz_depth.py --tree /tmp/prefix lab_request rtsp --trials 3
    python benchmarks/fuzz_depth.py --tree /tmp/prefix --together --trials 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _fuzz(tree: Path, args: list[str], limit: float) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "fuzz", *args],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=limit + 120,
            check=False,
        )
        out = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        out = ""
    return time.perf_counter() - started, out


_CLASSIFY = """
import sys
from pathlib import Path
from fuzz.targets import TARGETS, run_one
for path in map(Path, sys.argv[2:]):
    data = path.read_bytes()
    if sys.argv[1] == "all":
        target, data = list(TARGETS.values())[data[0] % len(TARGETS)], data[1:]
    else:
        target = TARGETS[sys.argv[1]]
    try:
        run_one(target, data)
    except ValueError as exc:
        if "invalid literal for int()" in str(exc):
            print("int()")
"""


def _int_crash(tree: Path, target: str, artifacts: Path) -> bool:
    """Whether a crash libFuzzer kept is the issue's class: int() refusing what isdigit() took.
    (libFuzzer stops at its first crash, so another class found first ends the trial too.)"""
    crashes = [str(p) for p in artifacts.glob("*crash-*")] if artifacts.is_dir() else []
    if not crashes:
        return False
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", _CLASSIFY, target, *crashes],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return "int()" in out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*")
    parser.add_argument("--tree", type=Path, required=True, help="source tree with the bug")
    parser.add_argument("--together", action="store_true", help="every target in one process")
    parser.add_argument("--corpus", type=Path, default=REPO / "fuzz" / "corpus")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--only", choices=("empty", "kept"), help="one of the two starts")
    args = parser.parse_args()
    # Today's runner (corpus handling, dictionary) over the old parsers and the old tree's own
    # target list (today's fuzz/targets.py imports modules the old tree may not have). No saved
    # crash inputs: they would find the class at once, which measures replay, not search.
    for name in ("__main__.py", "lookalikes.dict"):
        shutil.copyfile(REPO / "fuzz" / name, args.tree / "fuzz" / name)
    shutil.rmtree(args.tree / "fuzz" / "crashes", ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="camsweep-fuzz-depth-"))
    runs = [["--together"]] if args.together else [[t] for t in args.targets]
    try:
        for run in runs:
            label_run = " ".join(run)
            startup, _ = _fuzz(args.tree, [*run, "--runs", "1", "--corpus", str(work / "s")], 120)
            shutil.rmtree(work / "s", ignore_errors=True)
            print(f"{label_run}: start-up {startup:.1f} s")
            starts = (("empty", None), ("kept", args.corpus))
            for label, kept in (s for s in starts if args.only in (None, s[0])):
                found: list[float] = []
                for trial in range(args.trials):
                    tag = f"{run[0].lstrip('-')}-{label}-{trial}"
                    corpus = work / f"corpus-{tag}"
                    if kept is not None:
                        shutil.copytree(kept, corpus)
                    artifacts = work / f"artifacts-{tag}"
                    wall, _ = _fuzz(
                        args.tree,
                        [
                            *run,
                            "--seconds",
                            str(args.max_seconds),
                            "--corpus",
                            str(corpus),
                            "--artifacts",
                            str(artifacts),
                        ],
                        args.max_seconds,
                    )
                    seconds = max(0.0, wall - startup)
                    hit = _int_crash(args.tree, "all" if args.together else run[0], artifacts)
                    found.append(seconds if hit else float("inf"))
                    other = not hit and any(artifacts.glob("*crash-*"))
                    shown = (
                        f"{seconds:.1f} s"
                        if hit
                        else f"none (another crash after {seconds:.1f} s)"
                        if other
                        else f"none in {args.max_seconds:g} s"
                    )
                    print(f"  {label:<5} trial {trial + 1}: int() crash after {shown}", flush=True)
                finite = [s for s in found if s != float("inf")]
                if finite:
                    print(
                        f"  {label:<5} found in {len(finite)}/{len(found)} trials; "
                        f"median {statistics.median(finite):.1f} s, worst {max(finite):.1f} s"
                    )
                else:
                    print(f"  {label:<5} never found within {args.max_seconds:g} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
