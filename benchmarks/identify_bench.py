"""How well the signatures identify real-world devices: the corpus in tests/corpus/.

Prints camera recall (cameras and recorders reported as one), vendor accuracy (of those, the
share whose vendor is the one a person would name), the false-positive rate (routers, printers,
NAS, TVs ... reported as a camera or recorder) and the time per identification, then lists every
miss so a signature author knows where to look. Nothing touches the network.

    python benchmarks/identify_bench.py
    python benchmarks/identify_bench.py --signatures my-signatures/   # with extra folders

Aims of issue 5: recall >= 0.95, vendor accuracy >= 0.9, false positives <= 0.01
(tests/match/test_corpus.py holds the suite to them). Exit status 1 when an aim is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.match import SignatureError, load_signatures  # noqa: E402
from tests.corpus import CAMERAS, OTHERS, CorpusError, Result, load_corpus, score  # noqa: E402

AIM_RECALL = 0.95
AIM_VENDOR = 0.90
AIM_FALSE_POSITIVES = 0.01


def _line(result: Result) -> str:
    ident = result.ident
    got = f"{result.vendor_id or '-'} / {ident.device_type.value}"
    used = ", ".join(ident.fingerprint_ids[:3]) or "no fingerprint"
    return f"  {result.device.id:<40} want {result.device.vendor or '-':<16} got {got:<24} ({used})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", action="append", default=[], metavar="DIR")
    args = parser.parse_args(argv)
    try:
        sigs = load_signatures([Path(p) for p in args.signatures])
        devices = load_corpus(CAMERAS) + load_corpus(OTHERS)
    except SignatureError as exc:
        for error in exc.errors:
            print(f"signature error: {error}", file=sys.stderr)
        return 2
    except CorpusError as exc:
        print(f"corpus error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = score(sigs, devices)
    elapsed = time.perf_counter() - started
    cameras, others = result.cameras, result.others
    print(f"corpus: {len(cameras)} cameras/recorders, {len(others)} other devices")
    print(f"signatures: {len(sigs.fingerprints)} fingerprints, {len(sigs.vendors)} vendors")
    rows = (
        ("camera recall", result.recall, f">= {AIM_RECALL}", result.recall >= AIM_RECALL),
        (
            "vendor accuracy",
            result.vendor_accuracy,
            f">= {AIM_VENDOR}",
            result.vendor_accuracy >= AIM_VENDOR,
        ),
        (
            "false positives",
            result.false_positive_rate,
            f"<= {AIM_FALSE_POSITIVES}",
            result.false_positive_rate <= AIM_FALSE_POSITIVES,
        ),
    )
    for name, value, aim, ok in rows:
        print(f"{name:<18} {value:6.3f}   aim {aim:<8} {'ok' if ok else 'MISSED'}")
    print(f"{'time':<18} {elapsed / max(len(devices), 1) * 1000:6.3f} ms per device")
    misses = [r for r in cameras if not r.called_camera]
    wrong = [r for r in result.vendor_cases if not r.vendor_right]
    false = [r for r in others if r.called_camera]
    named = result.unbranded_named
    for title, group in (
        ("cameras not reported as cameras", misses),
        ("cameras with the wrong vendor", wrong),
        ("unbranded cameras given a vendor", named),
        ("other devices reported as cameras", false),
    ):
        if group:
            print(f"{title}:")
            for r in group:
                print(_line(r))
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
