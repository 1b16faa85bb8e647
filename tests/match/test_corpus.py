"""Identification measured on the real-world corpus (tests/corpus/), held to issue 5's aims."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.match import load_signatures
from scanner.match.oui import manufacturer_database
from tests.corpus import (
    CAMERA_FILES,
    CAMERAS,
    OTHER_FILES,
    OTHERS,
    CorpusError,
    leave_one_vendor_out,
    load_all,
    load_corpus,
    lovo_clueless,
    score,
)

SIGS = load_signatures()
CAMERA_DEVICES = load_corpus(CAMERAS)
OTHER_DEVICES = load_corpus(OTHERS)
SCORE = score(SIGS, CAMERA_DEVICES + OTHER_DEVICES)


def test_the_corpus_is_big_and_varied_enough() -> None:
    assert len(CAMERA_DEVICES) >= 100
    assert len(OTHER_DEVICES) >= 100
    vendors = {d.vendor for d in CAMERA_DEVICES if d.vendor}
    assert len(vendors) >= 40
    assert any(d.vendor is None for d in CAMERA_DEVICES)  # unbranded white labels too
    assert all(d.vendor is None for d in OTHER_DEVICES)
    # Every vendor the corpus names is one the signatures know (a typo would pass silently).
    assert all(SIGS.vendor(v) is not None for v in vendors)


def test_recall_vendor_accuracy_and_false_positives_meet_the_aims() -> None:
    misses = [r.device.id for r in SCORE.cameras if not r.called_camera]
    assert SCORE.recall >= 0.95, misses
    wrong = [(r.device.id, r.vendor_id) for r in SCORE.vendor_cases if not r.vendor_right]
    assert SCORE.vendor_accuracy >= 0.90, wrong
    false = [(r.device.id, r.ident.fingerprint_ids) for r in SCORE.others if r.called_camera]
    assert SCORE.false_positive_rate <= 0.01, false


def test_unbranded_cameras_are_not_given_a_maker() -> None:
    assert [r.device.id for r in SCORE.unbranded_named] == []


def test_corpus_mac_organisations_are_the_registered_ones() -> None:
    # The corpus must be faithful: a MAC's organisation is what the IEEE registry says.
    registry = manufacturer_database()
    for device in CAMERA_DEVICES + OTHER_DEVICES:
        oui = device.host.get("mac.oui")
        if oui is not None:
            assert registry.get(oui) == device.host.get("mac.vendor"), device.id


def test_the_score_can_fail() -> None:
    # An empty signature layer that claims every HTTP server is a camera ruins the FP rate.
    from scanner.match.loader import load_text  # noqa: PLC0415

    greedy = load_text(
        "greedy.yaml",
        "fingerprints:\n"
        "  - id: greedy\n    vendor: generic\n    device_type: camera\n    weight: 99\n"
        "    match: [{field: http.status, regex: '[0-9]'}]\n"
        "    examples:\n      - fields: {http.status: '200'}\n"
        "        expect: {vendor: generic, device_type: camera}\n",
    )
    assert score(greedy, OTHER_DEVICES).false_positive_rate > 0.3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("devices: [{id: a, expect: {vendor: x}}]", "no evidence"),
        ("devices: [{id: a, expect: {}, ports: [1]}]", "must say its vendor"),
        (
            "devices: [{id: a, expect: {vendor: x}, services: "
            "[{port: 80, protocol: http, fields: {http.titel: x}}]}]",
            "unknown evidence field",
        ),
        ("devices: [{id: a, expect: {vendor: x}, ports: [70000]}]", "bad port"),
        ("devices: [{id: a, expect: {vendor: x}, ports: [1]}, {id: a, ports: [2]}]", "duplicate"),
    ],
)
def test_malformed_corpus_entries_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / CAMERAS.name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_corpus(path)


def test_the_benchmark_prints_the_figures(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util  # noqa: PLC0415

    bench = Path(__file__).resolve().parents[2] / "benchmarks" / "identify_bench.py"
    spec = importlib.util.spec_from_file_location("identify_bench", bench)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # the printing is what is tested here: a slice of the corpus keeps it to a second (the
    # figures themselves are held by the floor tests below)
    cameras, others = load_all()
    monkeypatch.setattr(module, "load_all", lambda: (cameras[::10], others[::40]))
    # exit status 1 says an aim of issue 13 is missed (recall and LOVO on the whole corpus are,
    # see the benchmark's docstring); the figures are printed either way
    assert module.main(["--quiet", "--no-nmap-db"]) in (0, 1)
    out = capsys.readouterr().out
    for line in (
        "camera recall",
        "vendor accuracy",
        "false positives",
        "LOVO recall",
        "LOVO ceiling",
        "by source",
    ):
        assert line in out


# --- the whole corpus (issue 13): every file, every source -------------------------------------

ALL_CAMERAS, ALL_OTHERS = load_all()


def test_the_whole_corpus_is_large_varied_and_cited() -> None:
    # measured after the fourth public-records batch: 486 cameras from 164 brands, 143 of them
    # with an entry holding a string the device sends (the rest only a MAC organisation), 2812
    # others (known-empty entries left out); issue 13 asks for >= 150 brands
    assert len(ALL_CAMERAS) >= 480
    assert len({d.vendor for d in ALL_CAMERAS if d.vendor}) >= 162
    said = {
        d.vendor
        for d in ALL_CAMERAS
        if d.vendor
        and (any(s.fields for s in d.services) or any(not k.startswith("mac.") for k in d.host))
    }
    assert len(said) >= 141
    assert len(ALL_OTHERS) >= 2800
    new = [
        d
        for path in (*CAMERA_FILES, *OTHER_FILES)
        if path.name not in (CAMERAS.name, OTHERS.name)
        for d in load_corpus(path)
    ]
    assert len(new) >= 3000
    assert all(d.source for d in new)  # each says where its string was seen
    assert all(SIGS.vendor(d.vendor) is not None for d in ALL_CAMERAS if d.vendor)


def test_the_whole_corpus_holds_its_measured_floor() -> None:
    # Regression floor at the figures measured (the aims are higher: benchmarks/identify_bench.py
    # prints both); false positives meet the aim. Recall measured 0.922 with the fourth
    # public-records batch (0.925 before it: its Flock Safety pages say no camera word): floor 0.91.
    result = score(SIGS, ALL_CAMERAS + ALL_OTHERS)
    assert result.false_positive_rate <= 0.01
    assert result.recall >= 0.91
    hand = score(
        SIGS,
        [d for d in ALL_CAMERAS + ALL_OTHERS if not d.from_nmap and not d.from_public_records],
    )
    assert hand.recall >= 0.95
    assert hand.false_positive_rate <= 0.01
    # strings read from other scanners' public records (cameras-public*.yaml, others-public*.yaml):
    # floor at the figure measured with the fourth batch (97 cameras, recall 0.938; 0.956 on the
    # 90 before it: both Flock Safety entries are missed, a title and a package name with no
    # camera word); they name brands no fingerprint describes. False positives: 0 of 98 measured
    # (pubo3-avtech-room-alert, the one counted before, is no longer called a camera); bound
    # 0.011 so that one coming back still passes and a second one fails.
    public = score(SIGS, [d for d in ALL_CAMERAS + ALL_OTHERS if d.from_public_records])
    assert len(public.cameras) >= 95
    assert len(public.others) >= 95
    assert public.recall >= 0.92
    assert public.false_positive_rate <= 0.011


def test_leave_one_vendor_out_is_measured_without_the_vendor() -> None:
    hand = [d for d in ALL_CAMERAS if not d.from_nmap]
    lovo = leave_one_vendor_out(SIGS, hand)
    assert lovo.groups >= 115
    # with its own fingerprints gone, a vendor's cameras are found less often than with them:
    # the figure measures the generic classifier, not our lists. Measured 0.559 on 118 groups
    # with the fourth public-records batch (0.566 on 112 after the third): its new brands are
    # mostly known only by their own name, a corpus change, not a classifier regression:
    # floor 0.55.
    assert lovo.recall < score(SIGS, hand).recall
    assert lovo.recall >= 0.55


def test_the_lovo_ceiling_counts_only_misses_without_any_generic_clue() -> None:
    hand = [d for d in ALL_CAMERAS if not d.from_nmap]
    lovo = leave_one_vendor_out(SIGS, hand)
    clueless = lovo_clueless(SIGS, lovo)
    misses = {r.device.id for r in lovo.results if not r.called_camera}
    ids = {r.device.id for r in clueless}
    assert ids <= misses
    # "Techno Vision Security System" (a Server header) speaks of a security system, a clue
    # below the threshold alone (alarm panels are security systems too)
    assert "pub-techno-vision-server" in misses
    assert "pub-techno-vision-server" not in ids
    # a brand's own name is all an Avigilon title says: no clue once Avigilon is left out
    assert "pub-avigilon-title" in ids
