"""How well camsweep identifies real-world devices: every corpus file in tests/corpus/.

Prints, for the whole corpus and per source (hand-written and recog entries, strings read from
other scanners' public records, nmap-service-probes lines):

- camera recall: cameras and recorders reported as one;
- vendor accuracy: of those with a vendor a person would name, the share named right;
- false-positive rate: routers, printers, NAS, TVs, media servers, conferencing ... called a
  camera or recorder;
- leave-one-vendor-out recall: each vendor group (maker, OEM family and badges) is removed in turn
  (fingerprints, names, aliases, model shapes) and its cameras are scored with what is left and
  without nmap's database: the recall of the generic classifier on makers it has never seen.

Entries rebuilt from nmap's own match lines are always scored without nmap's database (it would
recognise its own lines). Then every miss is listed so a signature author knows where to look.
Nothing touches the network.

    python benchmarks/identify_bench.py
    python benchmarks/identify_bench.py --signatures my-signatures/   # with extra folders
    python benchmarks/identify_bench.py --no-nmap-db                  # the classifier alone

Aims (issue 13): recall >= 0.95, vendor accuracy >= 0.90, false positives <= 0.01,
leave-one-vendor-out recall >= 0.80. Exit status 1 when an aim is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scanner.match import SignatureError, load_signatures  # noqa: E402
from scanner.match.nmapdb import default_db  # noqa: E402
from tests.corpus import (  # noqa: E402
    CorpusError,
    Result,
    Score,
    known_empty,
    leave_one_vendor_out,
    load_all,
    lovo_clueless,
    score,
)

AIM_RECALL = 0.95
AIM_VENDOR = 0.90
AIM_FALSE_POSITIVES = 0.01
AIM_LOVO = 0.80


def _line(result: Result) -> str:
    ident = result.ident
    got = f"{result.vendor_id or '-'} / {ident.device_type.value}"
    used = ", ".join(ident.fingerprint_ids[:2]) or "no fingerprint"
    if ident.identified_by and ident.identified_by[-1].startswith("probable"):
        used += "; classifier"
    return f"  {result.device.id:<40} want {result.device.vendor or '-':<16} got {got:<26} ({used})"


def _figures(name: str, result: Score) -> None:
    cams, others = result.cameras, result.others
    print(
        f"  {name:<22} {len(cams):>5} cameras  recall {result.recall:6.3f}  vendor "
        f"{result.vendor_accuracy:6.3f}   {len(others):>5} others  false positives "
        f"{result.false_positive_rate:6.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", action="append", default=[], metavar="DIR")
    parser.add_argument("--no-nmap-db", action="store_true", help="leave nmap's database out")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of misses")
    args = parser.parse_args(argv)
    try:
        sigs = load_signatures([Path(p) for p in args.signatures])
        cameras, others = load_all()
    except SignatureError as exc:
        for error in exc.errors:
            print(f"signature error: {error}", file=sys.stderr)
        return 2
    except CorpusError as exc:
        print(f"corpus error: {exc}", file=sys.stderr)
        return 2
    use_nmap = not args.no_nmap_db
    db = default_db() if use_nmap else None
    started = time.perf_counter()
    result = score(sigs, cameras + others, nmap_db=use_nmap)
    elapsed = time.perf_counter() - started
    lovo_started = time.perf_counter()
    lovo = leave_one_vendor_out(sigs, cameras)
    lovo_elapsed = time.perf_counter() - lovo_started
    lovo_family = leave_one_vendor_out(sigs, cameras, family=True)
    brands = {d.vendor for d in cameras if d.vendor}
    print(
        f"corpus: {len(cameras)} cameras/recorders from {len(brands)} brands "
        f"({sum(d.vendor is None for d in cameras)} unbranded), {len(others)} other devices"
    )
    empty = known_empty()
    print(
        f"excluded: {len(empty)} known-empty entries (a status code and nothing the device said: "
        f"no string to identify; tests/corpus/README.md lists them): "
        + (" ".join(d.id for d in empty) or "none")
    )
    print(f"signatures: {len(sigs.fingerprints)} fingerprints, {len(sigs.vendors)} vendors")
    if db is not None:
        print(
            f"nmap-db: {db.path}: {len(db.lines)} typed match lines, "
            f"{db.uncompilable()} of them Python cannot compile and {db.skipped} malformed or "
            "able to backtrack catastrophically: skipped"
        )
    else:
        print("nmap-db: not used" + ("" if not use_nmap else " (nmap-service-probes not found)"))
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
        ("LOVO recall", lovo.recall, f">= {AIM_LOVO}", lovo.recall >= AIM_LOVO),
    )
    for name, value, aim, ok in rows:
        print(f"{name:<18} {value:6.3f}   aim {aim:<8} {'ok' if ok else 'MISSED'}")
    print(
        f"{'':<18} LOVO: {len(lovo.results)} branded cameras, {lovo.groups} vendor groups "
        f"left out in turn ({lovo_elapsed:.1f} s); with each maker's whole OEM family "
        f"left out: {lovo_family.recall:.3f}"
    )
    clueless = lovo_clueless(sigs, lovo)
    reachable = 1 - len(clueless) / len(lovo.results) if lovo.results else 0.0
    print(
        f"{'':<18} LOVO ceiling: {len(clueless)} of the {len(lovo.results)} carry no "
        f"vendor-independent camera clue at all (only a brand, a MAC organisation, a bare "
        f"status or method list): at most {reachable:.3f} without calling clue-less devices "
        "cameras"
    )
    print(f"{'time':<18} {elapsed / max(len(cameras) + len(others), 1) * 1000:6.3f} ms per device")
    print("by source:")
    sources = (
        ("hand-written and recog", lambda d: not d.from_nmap and not d.from_public_records),
        ("public records", lambda d: d.from_public_records),
        ("nmap-service-probes", lambda d: d.from_nmap),
    )
    for name, chosen in sources:
        _figures(name, Score(tuple(r for r in result.results if chosen(r.device))))
    for name, chosen in sources:
        part = [r for r in lovo.results if chosen(r.device)]
        recall = sum(r.called_camera for r in part) / len(part) if part else 0.0
        print(f"  {name:<22} LOVO recall {recall:6.3f} on {len(part)} branded cameras")
    if db is not None:
        # The same leave-one-vendor-out with nmap's database voting, as it does in a scan where
        # nmap is installed; entries rebuilt from nmap's lines are left out (it wrote them).
        with_db = leave_one_vendor_out(sigs, cameras, nmap_db=True)
        part = [r for r in with_db.results if not r.device.from_nmap]
        recall = sum(r.called_camera for r in part) / len(part) if part else 0.0
        print(
            f"  with nmap's database as second opinion: LOVO recall {recall:6.3f} on "
            f"{len(part)} branded cameras not rebuilt from nmap's lines"
        )
    if args.quiet:
        return 0 if all(ok for *_, ok in rows) else 1
    misses = [r for r in result.cameras if not r.called_camera]
    wrong = [r for r in result.vendor_cases if not r.vendor_right]
    false = [r for r in result.others if r.called_camera]
    lovo_misses = [r for r in lovo.results if not r.called_camera]
    for title, group in (
        ("cameras not reported as cameras", misses),
        ("cameras with the wrong vendor", wrong),
        ("unbranded cameras given a vendor", result.unbranded_named),
        ("other devices reported as cameras", false),
        ("cameras missed with their vendor left out (LOVO)", lovo_misses),
    ):
        if group:
            print(f"{title}: {len(group)}")
            for r in group:
                print(_line(r))
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
