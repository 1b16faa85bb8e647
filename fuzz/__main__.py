"""``python -m fuzz``: coverage-guided fuzzing of every parser in fuzz/targets.py with atheris.

    python -m fuzz --list                     the targets
    python -m fuzz                            every target, 60 s each (libFuzzer's own loop)
    python -m fuzz rtsp onvif --seconds 600   some targets, longer
    python -m fuzz --together --seconds 30    every target in one process (what CI does)
    python -m fuzz --replay                   every saved crash and corpus input, no atheris
    python -m fuzz --replay FILE TARGET       one input through one target

The corpora live in the repository, fuzz/corpus/<target>/ (``--corpus`` for another folder):
each run starts where the last one stopped, and a run's new inputs are written back there
(commit them; CI's run works on a copy). ``--together`` feeds every target's corpus into one
process and sorts what it learns back into the per-target folders. fuzz/crashes/<target>/
holds every input that once crashed a target; ``--replay`` runs them and the corpora through
their targets in this process, as tests/fuzz/test_replay.py does in the suite.

Each target runs in its own process (libFuzzer owns the process it runs in), with camsweep's
modules instrumented for coverage, a per-input timeout (a hang is a finding too) and an RSS
limit (so is a memory blow-up). A crash leaves the input that caused it in ``--artifacts``
(default ``fuzz/artifacts``): add it to fuzz/crashes/<target>/ once fixed.
Exit codes: 0 every target ran clean; 1 a target crashed, hung or blew its memory limit;
2 usage (unknown target, atheris not installed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import importlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_OK, EXIT_CRASH, EXIT_USAGE = 0, 1, 2
HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CRASHES = HERE / "crashes"
# Non-ASCII digits and the headers numbers follow: libFuzzer inserts these whole, so a two-byte
# UTF-8 '²' in a Content-Length takes it seconds instead of hours (issue #19).
DICTIONARY = HERE / "lookalikes.dict"
_PER_INPUT_TIMEOUT = 10  # seconds one input may take before libFuzzer calls it a hang
_RSS_LIMIT_MB = 2048
_MAX_LEN = 16 * 1024
_SLACK = 60.0  # seconds a worker may take beyond its fuzzing budget (start-up, seeds)
_SELFTEST = "selftest"  # a target that must crash: proves the harness reports crashes
# Every target in one process, chosen by the first byte of each input: one start-up (the
# instrumentation of camsweep takes seconds) for a short run of them all, as CI does.
_ALL = "all"
_CRASH_SEED = b"camsweep fuzz selftest: crash here"


@dataclass(frozen=True, slots=True)
class Outcome:
    target: str
    ok: bool
    detail: str


def _worker(name: str, libfuzzer_args: Sequence[str]) -> int:
    """Run one target under libFuzzer in this process (``--worker``)."""
    try:
        atheris = importlib.import_module("atheris")
    except ImportError:
        print("fuzz: atheris is not installed (pip install atheris)", file=sys.stderr)
        return EXIT_USAGE
    if name == _SELFTEST:

        def test_one(data: bytes) -> None:
            if data.startswith(_CRASH_SEED):
                raise RuntimeError("the selftest target crashes on purpose")

        atheris.Setup([sys.argv[0], *libfuzzer_args], test_one)
        atheris.Fuzz()
        return EXIT_OK  # pragma: no cover - libFuzzer exits the process itself

    # Instrument camsweep (and nothing else: the standard library and dependencies would slow
    # every input down without telling libFuzzer anything about our branches).
    with atheris.instrument_imports(include=["scanner", "fuzz"]):
        from fuzz.targets import TARGETS, run_one  # noqa: PLC0415

    if name == _ALL:
        every = list(TARGETS.values())

        def test_one(data: bytes) -> None:
            if data:
                run_one(every[data[0] % len(every)], data[1:])

    else:
        target = TARGETS[name]

        def test_one(data: bytes) -> None:
            run_one(target, data)

    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one)
    atheris.Fuzz()
    return EXIT_OK  # pragma: no cover - libFuzzer exits the process itself


def _seeds(name: str) -> tuple[bytes, ...]:
    if name == _SELFTEST:
        return (b"harmless", _CRASH_SEED)
    from fuzz.targets import TARGETS  # noqa: PLC0415 - the parent needs no instrumentation

    if name == _ALL:
        return tuple(
            bytes((index,)) + seed
            for index, target in enumerate(TARGETS.values())
            for seed in target.seeds
        )
    return TARGETS[name].seeds


def _inputs(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(p for p in folder.iterdir() if p.is_file())


def _keep(folder: Path, data: bytes) -> None:
    """Add one input to a corpus folder under its content's name (libFuzzer's own naming)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / hashlib.sha1(data, usedforsecurity=False).hexdigest()
    if not path.exists():
        path.write_bytes(data)


def _together_corpus(corpus_root: Path, into: Path) -> None:
    """One corpus for the ``all`` target: every target's inputs (and the inputs that once
    crashed it) behind its index byte."""
    from fuzz.targets import TARGETS  # noqa: PLC0415

    for index, name in enumerate(TARGETS):
        for folder in (corpus_root / name, CRASHES / name):
            for path in _inputs(folder):
                _keep(into, bytes((index,)) + path.read_bytes())


def _sort_back(together: Path, corpus_root: Path) -> None:
    """What the ``all`` run holds goes back to the corpus of the target its first byte chose
    (what came from there is already there under the same name)."""
    from fuzz.targets import TARGETS  # noqa: PLC0415

    names = list(TARGETS)
    for path in _inputs(together):
        data = path.read_bytes()
        if data:
            _keep(corpus_root / names[data[0] % len(names)], data[1:])


def _run_target(
    name: str,
    *,
    corpus_root: Path,
    artifacts: Path,
    seconds: float | None,
    runs: int | None,
    log_dir: Path,
) -> Outcome:
    if name == _ALL:
        corpus = log_dir / "together-corpus"
        _together_corpus(corpus_root, corpus)
    else:
        corpus = corpus_root / name
    for seed in _seeds(name):
        _keep(corpus, seed)
    artifacts.mkdir(parents=True, exist_ok=True)
    # The inputs that once crashed this target seed every run (read-only: libFuzzer writes new
    # inputs to the first folder only), so a regression is found at once, not by luck.
    crashes = [str(CRASHES / name)] if name != _ALL and (CRASHES / name).is_dir() else []
    args = [
        str(corpus),
        *crashes,
        f"-timeout={_PER_INPUT_TIMEOUT}",
        f"-rss_limit_mb={_RSS_LIMIT_MB}",
        f"-max_len={_MAX_LEN}",
        f"-dict={DICTIONARY}",
        f"-artifact_prefix={artifacts}/{name}-",
        "-print_final_stats=1",
    ]
    budget = float(seconds) if seconds is not None else 0.0
    if runs is not None:
        args.append(f"-runs={runs}")
    if seconds is not None:
        args.append(f"-max_total_time={max(1, int(seconds))}")
    command = [sys.executable, "-m", "fuzz", "--worker", name, "--", *args]
    log = log_dir / f"{name}.log"
    wall = budget + _SLACK if seconds is not None else 30 * _SLACK
    with log.open("wb") as out:
        try:
            proc = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed args
                command, stdout=out, stderr=subprocess.STDOUT, timeout=wall, check=False
            )
        except subprocess.TimeoutExpired:
            kept = artifacts / f"{name}.log"
            shutil.copyfile(log, kept)
            return Outcome(name, ok=False, detail=f"did not finish within {wall:g}s (see {kept})")
        finally:
            if name == _ALL:
                _sort_back(corpus, corpus_root)
    if proc.returncode == 0:
        return Outcome(name, ok=True, detail=_stats(log))
    crashes = sorted(str(p) for p in artifacts.glob(f"{name}-*") if p.suffix != ".log")
    kept = artifacts / f"{name}.log"  # the work folder goes away; the log of a failure stays
    shutil.copyfile(log, kept)
    tail = kept.read_text("utf-8", "replace").strip().splitlines()[-12:]
    detail = f"exit {proc.returncode}; input: {', '.join(crashes) or 'none kept'}; log: {kept}"
    return Outcome(name, ok=False, detail=detail + "\n    " + "\n    ".join(tail))


def _stats(log: Path) -> str:
    for line in reversed(log.read_text("utf-8", "replace").splitlines()):
        if line.startswith("stat::number_of_executed_units:"):
            return f"{line.split(':')[-1].strip()} inputs"
    return "clean"


def _replay(path: Path, name: str) -> int:
    from fuzz.targets import TARGETS, run_one  # noqa: PLC0415

    if name not in TARGETS:
        print(f"fuzz: unknown target {name!r}", file=sys.stderr)
        return EXIT_USAGE
    run_one(TARGETS[name], path.read_bytes())  # raises with a traceback if it still crashes
    print(f"fuzz: {path} runs clean through {name}")
    return EXIT_OK


def saved_inputs(*roots: Path) -> Iterator[tuple[str, Path]]:
    """(target, file) for every input kept under ``<root>/<target>/``."""
    from fuzz.targets import TARGETS  # noqa: PLC0415

    for root in roots:
        for name in TARGETS:
            for path in _inputs(root / name):
                yield name, path


def _replay_all(roots: Sequence[Path]) -> int:
    """Every saved crash and corpus input through its target; a failure is printed, not raised."""
    from fuzz.targets import TARGETS, run_one  # noqa: PLC0415

    unknown = sorted(
        folder.name
        for root in roots
        if root.is_dir()
        for folder in root.iterdir()
        if folder.is_dir() and folder.name not in TARGETS
    )
    if unknown:
        print(f"fuzz: inputs kept for unknown target(s): {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    count, failed = 0, 0
    for name, path in saved_inputs(*roots):
        count += 1
        try:
            run_one(TARGETS[name], path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - every failure is listed, then exit 1
            failed += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            print(f"FAIL  {name:<18} {path}: {exc!r} at {where.filename}:{where.lineno}")
    print(f"fuzz: replayed {count} saved inputs, {failed} failed")
    return EXIT_CRASH if failed else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="default: every target")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="time per target (default 60)")
    budget.add_argument("--runs", type=int, help="inputs per target (a bounded, CI-sized run)")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed at once")
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="corpus root kept between runs (fuzz/corpus)"
    )
    parser.add_argument("--artifacts", type=Path, default=Path("fuzz/artifacts"))
    parser.add_argument(
        "--replay",
        type=Path,
        nargs="?",
        const=Path(),
        metavar="FILE",
        help="run FILE through TARGET; alone: every saved crash and corpus input",
    )
    parser.add_argument("--selftest", action="store_true", help="check that crashes are caught")
    parser.add_argument(
        "--together",
        action="store_true",
        help="fuzz every target in one process (one start-up: quicker for short runs)",
    )
    parser.add_argument("--worker", metavar="TARGET", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"] and len(argv) >= 2:
        rest = argv[2:]
        return _worker(argv[1], rest[1:] if rest[:1] == ["--"] else rest)
    args = _parser().parse_args(argv)
    from fuzz.targets import TARGETS  # noqa: PLC0415

    if args.list:
        for target in TARGETS.values():
            print(f"{target.name:<18} {target.description}")
        return EXIT_OK
    if args.replay == Path() and not args.targets:
        return _replay_all([CRASHES, args.corpus])
    if args.replay is not None:
        if len(args.targets) != 1 or args.replay == Path():
            print("fuzz: --replay FILE takes exactly one TARGET", file=sys.stderr)
            return EXIT_USAGE
        return _replay(args.replay, args.targets[0])
    names = [_SELFTEST] if args.selftest else (args.targets or list(TARGETS))
    if args.together:
        names = [_ALL]
    unknown = [n for n in names if n not in TARGETS and n not in (_SELFTEST, _ALL)]
    if unknown:
        print(f"fuzz: unknown target(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
        return EXIT_USAGE
    if importlib.util.find_spec("atheris") is None:
        print("fuzz: atheris is not installed (pip install atheris)", file=sys.stderr)
        return EXIT_USAGE
    if args.runs is not None and args.runs < 1:
        print("fuzz: --runs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    seconds = None if args.runs is not None else (args.seconds or 60.0)
    work = Path(tempfile.mkdtemp(prefix="camsweep-fuzz-"))
    try:
        # The selftest's crash seed must not land in the kept corpora.
        corpus_root = work / "corpus" if args.selftest else args.corpus
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(
                    _run_target,
                    name,
                    corpus_root=corpus_root,
                    artifacts=args.artifacts,
                    seconds=seconds,
                    runs=args.runs,
                    log_dir=work,
                )
                for name in names
            ]
            outcomes = [f.result() for f in futures]
        for outcome in outcomes:
            print(f"{'ok   ' if outcome.ok else 'FAIL '} {outcome.target:<18} {outcome.detail}")
        failed = [o for o in outcomes if not o.ok]
        print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
        return EXIT_CRASH if failed else EXIT_OK
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            args.artifacts.rmdir()  # only when empty: nothing crashed


if __name__ == "__main__":
    sys.exit(main())
