"""The shipped vulnerabilities agree with the NVD records they cite.

``tests/match/nvd/CVE-*.json`` are copies of NVD records (the fields named in each file's
``_source``), taken from a public mirror of NVD's JSON feed. This test reads them and the raw
YAML (not the loader's view of it) and checks what a hand could get wrong: a CVE without a
record, a score NVD, the CNA or CISA never gave, a KEV date CISA never set, a range bound that
no record names. Updating an entry means updating its record copy from the source, not the test.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.match.versions import parse_version

ROOT = Path(__file__).resolve().parents[2]
RECORDS = Path(__file__).resolve().parent / "nvd"
SHIPPED = ROOT / "signatures" / "vulnerabilities.yaml"

# Who gave a score, from the record's "source" (NVD itself, CISA's ICS-CERT or its ADP, the CNA).
_NVD = "nvd@nist.gov"
_CISA = ("ics-cert@hq.dhs.gov", "134c704f-9b21-4f2e-91b3-4a467353bcc0")
_METRIC_KEYS = {
    "cvssMetricV2": "2.0",
    "cvssMetricV30": "3.0",
    "cvssMetricV31": "3.1",
    "cvssMetricV40": "4.0",
}


def _source_kind(source: str) -> str:
    if source == _NVD:
        return "nvd"
    return "cisa" if source in _CISA else "cna"


@cache
def _record(cve: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDS / f"{cve}.json").read_text(encoding="utf-8"))
    return data


def _entries() -> list[dict[str, Any]]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["vulnerabilities"]
    return entries


ENTRIES = _entries()


def _cves(entry: dict[str, Any]) -> list[str]:
    return [str(c) for c in entry.get("cves", [])]


def _nvd_checked(entry: dict[str, Any]) -> list[str]:
    return [str(c["id"]) for c in entry.get("checked", []) if c.get("record") == "nvd"]


def _scores(record: dict[str, Any]) -> set[tuple[str, str, float]]:
    out = set()
    for key, version in _METRIC_KEYS.items():
        for metric in record.get("metrics", {}).get(key, []):
            data = metric["cvssData"]
            assert data["version"] == version, (record["id"], key)
            out.add((_source_kind(metric["source"]), version, float(data["baseScore"])))
    return out


_BOUND_KEYS = (
    "versionEndExcluding",
    "versionEndIncluding",
    "versionStartIncluding",
    "versionStartExcluding",
)


def _cpe_versions(record: dict[str, Any]) -> list[str]:
    """Every version a vulnerable CPE match names: its bounds, or the version in the CPE."""
    out: list[str] = []
    for config in record.get("configurations", []):
        for node in config.get("nodes", []):
            for match in node.get("cpeMatch", []):
                if not match.get("vulnerable"):
                    continue
                out.extend(str(match[key]) for key in _BOUND_KEYS if key in match)
                parts = match["criteria"].split(":")
                version, update = parts[5], parts[6]
                if version not in ("*", "-"):
                    out.append(version)
                    if update not in ("*", "-"):
                        out.append(f"{version} build {update}")
    return out


def _description(record: dict[str, Any]) -> str:
    return " ".join(d["value"] for d in record["descriptions"] if d["lang"] == "en")


def _same_version(a: str, b: str) -> bool:
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None:
        return False
    # A bound without a build covers every build of its release (docs/signatures.md).
    return va.release == vb.release and (va.build is None or va.build == vb.build)


def _all_versions(record: dict[str, Any]) -> bool:
    """The record marks a product vulnerable in every version (a CPE "*" without bounds)."""
    for config in record.get("configurations", []):
        for node in config.get("nodes", []):
            for match in node.get("cpeMatch", []):
                bounded = any(k.startswith("version") for k in match)
                if (
                    match.get("vulnerable")
                    and match["criteria"].split(":")[5] == "*"
                    and not bounded
                ):
                    return True
    return False


_VERSION_IN_TEXT = r"[Vv]?[0-9]+(?:\.[0-9A-Za-z]+)+(?:[ _](?:build|b)? ?[0-9]{6,8})?"


def _named_by(bound: str, records: list[dict[str, Any]]) -> bool:
    """A bound is given by a record: a CPE version or bound, or a version its text names."""
    for record in records:
        if any(_same_version(bound, v) for v in _cpe_versions(record)):
            return True
        text = _description(record)
        if bound.lower() in text.lower():
            return True
        # Descriptions write "5.2.0 build 140721", "2.420.AC00.18.R", "before 1.06.01" ...
        found = re.findall(_VERSION_IN_TEXT, text)
        if any(_same_version(bound, version) for version in found):
            return True
    return False


def test_every_cited_cve_has_its_record_and_every_record_a_citation() -> None:
    cited: set[str] = set()
    for entry in ENTRIES:
        cited.update(_cves(entry))
        cited.update(_nvd_checked(entry))
    copies = {p.stem for p in RECORDS.glob("CVE-*.json")}
    assert cited - copies == set(), "CVEs without a copied NVD record"
    assert copies - cited == set(), "record copies no entry cites"


def test_record_copies_are_what_they_claim() -> None:
    for path in sorted(RECORDS.glob("CVE-*.json")):
        record = _record(path.stem)
        assert record["id"] == path.stem
        source = record["_source"]
        assert source["mirror"]
        assert source["path"].endswith(f"{path.stem}.json")
        assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
        assert _description(record), path.name


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_entry_agrees_with_its_records(entry: dict[str, Any]) -> None:
    cves = _cves(entry)
    unverified = bool(entry.get("unverified"))
    if not unverified:
        assert set(cves) <= set(_nvd_checked(entry)), "every CVE names its NVD record"
    # Scores: each one NVD, the CNA or CISA gave for that CVE, in that CVSS version.
    raw = entry.get("cvss", [])
    for item in [raw] if isinstance(raw, dict) else raw:
        cve = item.get("cve") or (cves[0] if len(cves) == 1 else None)
        assert cve in cves, item
        given = (item["source"], str(item["version"]), float(item["score"]))
        assert given in _scores(_record(cve)), f"{cve}: {given} not in {_scores(_record(cve))}"
    # KEV: the earliest day CISA added one of the CVEs, present exactly when one was added.
    added = [str(_record(c)["cisaExploitAdd"]) for c in cves if "cisaExploitAdd" in _record(c)]
    if added:
        assert str(entry.get("kev")) == min(added)
    else:
        assert "kev" not in entry
    if unverified:
        assert entry.get("note"), "unverified needs a note"
        return
    records = [_record(c) for c in dict.fromkeys([*cves, *_nvd_checked(entry)])]
    for index, span in enumerate(entry.get("affected", [])):
        for key in ("min", "introduced", "max", "fixed"):
            if key in span:
                bound = str(span[key])
                if key in ("min", "introduced") and any(_all_versions(r) for r in records):
                    release = parse_version(bound)
                    assert release is not None, bound
                    assert release.release <= (0, 0, 1), bound
                    continue  # every version: the lowest possible bound
                assert _named_by(bound, records), f"affected[{index}].{key} = {bound!r}"


def test_scores_and_kev_are_from_the_records_not_typed_twice() -> None:
    # The same hand cannot fool the check by editing one side: a score that no record holds,
    # or a KEV date on an entry whose records have none, is caught above; here the copies must
    # hold at least one metric each and the KEV fields together.
    for path in sorted(RECORDS.glob("CVE-*.json")):
        record = _record(path.stem)
        assert _scores(record), path.name
        assert ("cisaExploitAdd" in record) == ("cisaVulnerabilityName" in record), path.name
