"""Broken signature files: each rule reports exactly `file:line: message (value)`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.match import LintError, SignatureError, lint_paths, load_signatures
from scanner.match.loader import _parse_layer, lint_text

# A valid fingerprint body that cases below break one piece at a time.
GOOD_FP = """\
fingerprints:
  - id: acme-web
    vendor: dahua
    device_type: camera
    match:
      - {field: http.server, word: acme}
    examples:
      - fields: {http.server: acme}
        expect: {vendor: dahua, device_type: camera}
"""

GOOD_VULN = """\
vulnerabilities:
  - id: dahua-example
    title: Example
    vendor: dahua
    severity: low
    references: [https://example.com/advisory]
    remediation: Install firmware 2.800 or later from the Dahua support site.
    safety: passive
    affected: [{max: 2.0}]
    checked: [{record: vendor, id: DAHUA-EXAMPLE-01, date: 2026-01-01}]
"""

# A valid cloud service (signatures/cloud.yaml's shape) for the cloud-section cases.
GOOD_CLOUD = """\
cloud:
  - id: acme-p2p
    name: ACME P2P
    field_prefixes: [acmep2p.]
    text: '\\bACME ?P2P\\b'
    default_on: [dahua]
    meaning: the camera keeps a session to ACME's relay
    references: [https://example.com/acme-p2p]
    examples: [ACME P2P, ACMEP2P]
"""

CASES: dict[str, tuple[str, list[str]]] = {
    "yaml-syntax": (
        "fingerprints:\n  - id: x\n   vendor: y\n",
        [
            "3: YAML syntax error: expected <block end>, but found '<block mapping start>' "
            "(vendor: y)"
        ],
    ),
    "empty-file": ("", ["1: file is empty (0 bytes)"]),
    "not-a-mapping": ("- a\n- b\n", ["1: a signature file must be a mapping (a list)"]),
    "unknown-section": (
        "fingerprint: []\n",
        ["1: unknown key in a signature file, did you mean 'fingerprints'? (fingerprint)"],
    ),
    "unknown-key": (
        GOOD_FP.replace("    vendor: dahua\n", "    vendor: dahua\n    vender: dahua\n"),
        ["4: unknown key in fingerprint, did you mean 'vendor'? (vender)"],
    ),
    "duplicate-key": (
        GOOD_FP.replace("    device_type: camera\n", "    device_type: camera\n" * 2),
        ["5: duplicate key in fingerprint (device_type)"],
    ),
    "missing-key-and-wrong-types": (
        "fingerprints:\n"
        "  - id: acme-web\n"
        "    vendor: dahua\n"
        "    device_type: toaster\n"
        "    weight: high\n"
        "    match:\n"
        "      - {field: http.server, word: [acme], negative: maybe}\n",
        [
            "2: missing required key in fingerprint (examples)",
            "4: device_type must be one of camera, recorder, other, unknown (toaster)",
            "5: weight must be an integer (high)",
            "7: word must be a string (a list)",
            "7: negative must be true or false (maybe)",
        ],
    ),
    "weight-out-of-range": (
        GOOD_FP.replace("    device_type: camera\n", "    device_type: camera\n    weight: 101\n"),
        ["5: weight must be between 1 and 100 (101)"],
    ),
    "vendor-alias-spelling": (
        GOOD_FP.replace("    vendor: dahua\n", "    vendor: Hikvision\n"),
        ["3: unknown vendor spelling, write 'hikvision' (Hikvision)"],
    ),
    "vendor-unknown": (
        GOOD_FP.replace("expect: {vendor: dahua", "expect: {vendor: dahau"),
        ["9: unknown vendor: add it to vendors.yaml, did you mean 'dahua'? (dahau)"],
    ),
    "unknown-field": (
        GOOD_FP.replace("{field: http.server, word: acme}", "{field: http.titel, word: acme}"),
        ["6: unknown evidence field, did you mean 'http.title'? (http.titel)"],
    ),
    "header-field-must-be-lower-case": (
        GOOD_FP.replace("field: http.server,", "field: http.header.X-Powered-By,"),
        ["6: unknown evidence field (http.header.X-Powered-By)"],
    ),
    "duplicate-id": (
        GOOD_FP + GOOD_FP.split("\n", 1)[1],
        ["10: duplicate fingerprint id, first defined at {file}:2 (acme-web)"],
    ),
    "regex-does-not-compile": (
        GOOD_FP.replace("word: acme}", "regex: '(acme'}"),
        ["6: regex does not compile: missing ), unterminated subpattern at position 0 ((acme)"],
    ),
    "regex-matches-empty": (
        GOOD_FP.replace("word: acme}", "regex: 'x*'}"),
        ["6: regex matches the empty string, so it matches everything (x*)"],
    ),
    "regex-catastrophic": (
        GOOD_FP.replace("word: acme}", "regex: '^(\\w+\\s?)*$'}"),
        ["6: regex has a nested quantifier that can backtrack catastrophically (^(\\w+\\s?)*$)"],
    ),
    "regex-unknown-group": (
        GOOD_FP.replace("word: acme}", "regex: 'acme (?P<serial>[0-9]+)'}"),
        ["6: unknown named group 'serial': use model, firmware or build (acme (?P<serial>[0-9]+))"],
    ),
    "matcher-two-kinds": (
        GOOD_FP.replace("word: acme}", "word: acme, equals: acme}"),
        ["6: a matcher needs exactly one of word, regex, equals (word, equals)"],
    ),
    "negative-under-or": (
        GOOD_FP.replace(
            "      - {field: http.server, word: acme}\n",
            "      - {field: http.server, word: acme}\n"
            "      - {field: http.title, word: router, negative: true}\n",
        ).replace("    match:\n", "    condition: or\n    match:\n"),
        ["8: negative matchers need condition: and (http.title not word 'router')"],
    ),
    "only-negative-matchers": (
        GOOD_FP.replace("word: acme}", "word: acme, negative: true}"),
        ["2: a fingerprint needs a positive matcher or a ports requirement (acme-web)"],
    ),
    "no-examples": (
        GOOD_FP.split("    examples:", maxsplit=1)[0] + "    examples: []\n",
        ["7: a fingerprint needs at least one example (acme-web)"],
    ),
    "example-without-evidence": (
        GOOD_FP.replace("      - fields: {http.server: acme}\n        expect", "      - expect"),
        ["8: an example needs fields or ports (expect)"],
    ),
    "extract-without-group": (
        GOOD_FP.replace(
            "    examples:",
            "    extract:\n      - {field: http.body, regex: 'v[0-9]'}\n    examples:",
        ),
        ["8: an extract regex needs a named group model or firmware (v[0-9])"],
    ),
    "port-out-of-range": (
        GOOD_FP.replace("    examples:", "    ports: [37777, 70000]\n    examples:"),
        ["7: port must be between 1 and 65535 (70000)"],
    ),
    "vuln-id-and-fields": (
        GOOD_VULN.replace("id: dahua-example", "id: cve-2017-0001")
        .replace("severity: low", "severity: severe")
        .replace(
            "    references:",
            "    cves: [CVE-17-1, CVE-2017-0001, CVE-2017-0001]\n"
            "    cvss: {score: 11, source: nvd, version: '3.1', cve: CVE-2017-0001}\n"
            "    references:",
        )
        .replace("https://example.com/advisory", "ftp://example.com/advisory")
        .replace("Install firmware 2.800 or later from the Dahua support site.", "update"),
        [
            "2: vulnerability id must start with its vendor: 'dahua-...' (cve-2017-0001)",
            "5: severity must be one of critical, high, medium, low, info (severe)",
            "6: CVE id must look like CVE-2017-7921 (CVE-17-1)",
            "6: duplicate CVE id (CVE-2017-0001)",
            "7: score must be between 0 and 10 (11)",
            "8: reference must be an http(s) URL (ftp://example.com/advisory)",
            "9: remediation must be concrete: which firmware fixes it, where to get it, what to "
            "turn off until then (at least 30 characters) (update)",
        ],
    ),
    "vuln-no-reference": (
        GOOD_VULN.replace("[https://example.com/advisory]", "[]"),
        ["6: a vulnerability needs at least one reference ([])"],
    ),
    "version-does-not-parse": (
        GOOD_VULN.replace("{max: 2.0}", "{max: latest}"),
        ["9: max is not a version this parser understands (latest)"],
    ),
    "range-rules": (
        GOOD_VULN.replace(
            "    affected: [{max: 2.0}]\n",
            "    affected:\n"
            "      - {min: 5.4.0, max: 5.2.0}\n"
            "      - {min: 2.0, fixed: 2.0}\n"
            "      - {introduced: 1.0, min: 1.0, fixed: 2.0}\n"
            "      - {note: nothing}\n",
        ),
        [
            "10: range is empty: the lower bound is not below the upper bound (5.4.0 .. 5.2.0)",
            "11: range is empty: the lower bound is not below the upper bound (2.0 .. 2.0)",
            "12: use either introduced or min, not both (introduced, min)",
            "13: a range needs a lower or an upper bound (note)",
        ],
    ),
    "vuln-needs-something-to-match": (
        GOOD_VULN.replace("    affected: [{max: 2.0}]\n", ""),
        [
            "2: a vulnerability needs affected version ranges or fingerprints (or detectable: "
            "false with a note saying why the version cannot be seen) (dahua-example)"
        ],
    ),
    "unknown-fingerprint-reference": (
        GOOD_VULN.replace("    affected:", "    fingerprints: [dahua-nope]\n    affected:"),
        ["9: unknown fingerprint id (dahua-nope)"],
    ),
    "confirmed-is-reserved": (
        GOOD_VULN.replace(
            "    affected: [{max: 2.0}]\n",
            "    confidence: confirmed\n    fingerprints: [dahua-rtsp-server]\n",
        ),
        ["9: confirmed is reserved for findings proven on the wire (confirmed)"],
    ),
    "version-ranges-are-inferred": (
        GOOD_VULN.replace("    affected:", "    confidence: firm\n    affected:"),
        ["9: a version-range match can only yield inferred confidence (firm)"],
    ),
    "no-check-means-passive": (
        GOOD_VULN.replace("safety: passive", "safety: safe"),
        ["8: an entry without a check sends nothing: safety must be passive (safe)"],
    ),
    "check-means-not-passive": (
        GOOD_VULN + "    check:\n      protocol: http\n      path: /x\n"
        "      match: [{field: http.status, equals: '200'}]\n",
        ["8: an entry with a check sends a request: safety must be safe or intrusive (passive)"],
    ),
    "writing-check-means-intrusive": (
        GOOD_VULN.replace("safety: passive", "safety: safe")
        + "    check:\n      protocol: http\n      method: PUT\n      path: /SDK/webLanguage\n"
        "      match: [{field: http.status, equals: '200'}]\n",
        ["8: a PUT check may change the device: safety must be intrusive (safe)"],
    ),
    "check-fields-belong-to-its-protocol": (
        GOOD_VULN.replace("safety: passive", "safety: safe")
        + "    check:\n      protocol: http\n      path: /x\n"
        "      match: [{field: rtsp.server, word: x}]\n",
        ["14: a http check can only match http.* fields (rtsp.server)"],
    ),
    "generic-vuln-needs-fingerprints": (
        GOOD_VULN.replace("id: dahua-example", "id: generic-example").replace(
            "vendor: dahua", "vendor: generic"
        ),
        ["2: a generic vulnerability needs fingerprints: versions need a vendor (generic-example)"],
    ),
    "credentials": (
        "credentials:\n"
        "  - vendor: dahua\n"
        "    protocol: ftp\n"
        "    pairs:\n"
        "      - {username: admin, password: admin}\n"
        "      - {username: admin, password: admin, note: widely reported}\n"
        "      - {username: admin, password: admin, note: widely reported}\n"
        "      - {username: admin, password:, note: widely reported}\n"
        "  - vendor: generic\n"
        "    protocol: telnet\n"
        "    protocols: [telnet]\n"
        "    pairs: []\n",
        [
            "3: protocol must be one of rtsp, http, telnet, onvif (ftp)",
            "5: a credential pair needs a reference or a note (e.g. 'widely reported') "
            "(admin/admin)",
            "7: duplicate credential pair (admin/admin)",
            '8: password must be a string, not empty (write "" for none) (null)',
            "9: a credential set needs exactly one of protocol, protocols (protocol, protocols)",
        ],
    ),
    "ports": (
        "ports:\n"
        "  - {port: 0, protocol: rtsp, name: a, description: b}\n"
        "  - {port: 554, protocol: rtp, name: a, description: b}\n"
        "  - {port: 554, protocol: rtsp, name: a, description: b}\n"
        "  - {port: 554, protocol: rtsp, name: a, description: b}\n",
        [
            "2: port must be between 1 and 65535 (0)",
            "3: protocol must be one of rtsp, http, https, telnet, tcp (rtp)",
            "5: duplicate port, first defined at {file}:4 (554)",
        ],
    ),
    "routes": (
        "routes:\n"
        "  generic: [/1, /2, /3, /4, /5, /6, /7, /8, /9, /10, /11, /12, /13]\n"
        "  vendors:\n"
        "    - {vendor: dahua, main: [live, /a b]}\n"
        "    - {vendor: generic, main: [/x]}\n",
        [
            "2: the generic route list is capped at 12 routes (each costs a request per RTSP "
            "port) (13)",
            "4: a route must start with '/' and be printable ASCII without spaces (live)",
            "4: a route must start with '/' and be printable ASCII without spaces (/a b)",
            "5: generic routes go in the generic list (generic)",
        ],
    ),
    "vendors": (
        "vendors:\n"
        "  - {id: ACME, name: Acme}\n"
        "  - {id: generic, name: Generic}\n"
        "  - {id: acme2, name: Hikvision}\n"
        "  - {id: acme3, name: Acme3, aliases: ['--']}\n",
        [
            "2: vendor id must be lower-case letters, digits and '-', and not 'generic' (ACME)",
            "3: vendor id must be lower-case letters, digits and '-', and not 'generic' (generic)",
            "4: vendor spelling already belongs to 'hikvision' (Hikvision)",
            "5: a vendor spelling needs letters or digits (--)",
        ],
    ),
    "unreachable-matcher": (
        GOOD_FP.replace(
            "    match:\n      - {field: http.server, word: acme}\n",
            "    condition: or\n    match:\n      - {field: http.server, word: acme}\n"
            "      - {field: http.title, regex: '^ACME$Camera'}\n",
        ),
        [
            "8: matcher is reached by no example: add one it matches (an unreachable or "
            "untested pattern is refused) (http.title regex '^ACME$Camera')"
        ],
    ),
    "untested-negative-matcher": (
        GOOD_FP.replace(
            "      - {field: http.server, word: acme}\n",
            "      - {field: http.server, word: acme}\n"
            "      - {field: http.title, equals: Router, negative: true}\n",
        ),
        [
            "7: matcher is reached by no counter-example: add one it matches (an unreachable "
            "or untested pattern is refused) (http.title not equals 'Router')"
        ],
    ),
    "unreachable-extract": (
        GOOD_FP.replace(
            "    examples:",
            "    extract:\n      - {field: http.body, regex: 'v(?P<firmware>[0-9]+)'}\n"
            "    examples:",
        ),
        [
            "8: extract regex is reached by no example: add one it extracts from "
            "(v(?P<firmware>[0-9]+))"
        ],
    ),
    "cve-claimed-twice": (
        GOOD_VULN.replace("    references:", "    cves: [CVE-2017-7921]\n    references:").replace(
            "date: 2026-01-01}]",
            "date: 2026-01-01}, {record: nvd, id: CVE-2017-7921, date: 2026-01-01}]",
        ),
        [
            "6: CVE id already belongs to hikvision-cve-2017-7921 "
            "({shipped}:{line_7921}): one entry per CVE (CVE-2017-7921)"
        ],
    ),
    "range-build-before": (
        GOOD_VULN.replace("{max: 2.0}", "{build_before: soon}"),
        ["9: build_before must be an integer (soon)"],
    ),
    "vendor-family": (
        "vendors:\n"
        "  - {id: acme, name: ACME, family: qqqq}\n"
        "  - {id: acme2, name: ACME2, family: acme2}\n"
        "  - {id: acme3, name: ACME3, family: lts}\n",
        [
            "2: family must be a vendor id defined before this one (qqqq)",
            "3: a vendor cannot be its own family (acme2)",
            "4: family 'lts' belongs to 'hikvision': name that one (lts)",
        ],
    ),
    "anchors-and-aliases": (
        "vendors:\n  - &v {id: acme, name: ACME}\n  - *v\n",
        [
            "2: anchors and aliases are not supported (&v)",
            "3: anchors and aliases are not supported (*v)",
        ],
    ),
    "cloud-unknown-key": (
        GOOD_CLOUD.replace("    meaning:", "    meanig: x\n    meaning:"),
        ["7: unknown key in cloud service, did you mean 'meaning'? (meanig)"],
    ),
    "cloud-missing-references": (
        GOOD_CLOUD.replace("    references: [https://example.com/acme-p2p]\n", ""),
        ["2: missing required key in cloud service (references)"],
    ),
    "cloud-empty-references": (
        GOOD_CLOUD.replace("[https://example.com/acme-p2p]", "[]"),
        ["8: a cloud service needs at least one public reference (acme-p2p)"],
    ),
    "cloud-example-not-found": (
        GOOD_CLOUD.replace("[ACME P2P, ACMEP2P]", "[ACME P2P, ACME-P2P]"),
        ["5: text does not find this example (fix one or the other) (ACME-P2P)"],
    ),
    "cloud-counter-example-found": (
        GOOD_CLOUD + "    counter_examples: [acme p2p]\n",
        ["5: text finds this counter-example (acme p2p)"],
    ),
    "cloud-unknown-vendor": (
        GOOD_CLOUD.replace("[dahua]", "[dahau]"),
        ["6: unknown vendor: add it to vendors.yaml, did you mean 'dahua'? (dahau)"],
    ),
    "cloud-bad-regex": (
        GOOD_CLOUD.replace("'\\bACME ?P2P\\b'", "'(a+)+'"),
        ["5: regex has a nested quantifier that can backtrack catastrophically ((a+)+)"],
    ),
    "cloud-bad-prefix": (
        GOOD_CLOUD.replace("[acmep2p.]", "[Acme P2P]"),
        ["4: a field prefix is lower-case letters and digits, dotted (Acme P2P)"],
    ),
    "cloud-duplicate-id": (
        GOOD_CLOUD + GOOD_CLOUD.removeprefix("cloud:\n"),
        ["10: duplicate cloud service id, first defined at {file}:2 (acme-p2p)"],
    ),
    "python-tag": (
        "vendors:\n  - !!python/object:os.system {id: acme, name: ACME}\n",
        ["2: unsupported YAML tag (tag:yaml.org,2002:python/object:os.system)"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_reports_file_line_message_and_value(name: str, tmp_path: Path) -> None:
    text, expected = CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    got = [str(error) for error in lint_paths([path])]
    shipped = Path(__file__).resolve().parents[2] / "signatures" / "vulnerabilities.yaml"
    assert got == [
        f"{path}:{line.format(file=path, shipped=shipped, line_7921=_line_of_7921(shipped))}"
        for line in expected
    ]


def test_lint_error_format() -> None:
    error = LintError("a.yaml", 3, "unknown key in fingerprint", "vender")
    assert str(error) == "a.yaml:3: unknown key in fingerprint (vender)"


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"vendors:\n  - {id: a\xff, name: b}\n")
    assert [str(e) for e in lint_paths([path])] == [f"{path}:2: file is not valid UTF-8 (ff2c206e)"]


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert [str(e) for e in lint_paths([missing])] == [
        f"{missing}:0: no such file or directory ({missing})"
    ]
    assert [str(e) for e in lint_paths([tmp_path])] == [
        f"{tmp_path}:0: no .yaml files in this directory ({tmp_path})"
    ]


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    (error,) = lint_paths([path])
    assert error.line == 0
    assert error.message == "file is larger than 2097152 bytes"


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    for depth in (40, 1500):
        text = "vendors: " + "[" * depth + "]" * depth + "\n"
        errors = lint_text("deep.yaml", text)
        assert errors
        assert all(isinstance(e, LintError) for e in errors)
        assert "nesting" in errors[0].message


def test_errors_across_files_of_a_directory_resolve_references(tmp_path: Path) -> None:
    # Vulnerabilities may refer to fingerprints and vendors defined in another file of the layer.
    (tmp_path / "a_vulns.yaml").write_text(
        GOOD_VULN.replace("vendor: dahua", "vendor: acme")
        .replace("id: dahua-example", "id: acme-example")
        .replace("    affected: [{max: 2.0}]\n", "    fingerprints: [acme-web]\n"),
        encoding="utf-8",
    )
    (tmp_path / "b_fps.yaml").write_text(
        GOOD_FP.replace("dahua", "acme") + "vendors:\n  - {id: acme, name: ACME}\n",
        encoding="utf-8",
    )
    assert lint_paths([tmp_path]) == []
    sigs = load_signatures([tmp_path])
    assert sigs.vendor("ACME") is not None
    assert "acme-example" in {v.id for v in sigs.vulnerabilities}


def test_duplicate_id_across_files_of_one_layer(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD_FP, encoding="utf-8")
    (tmp_path / "two.yaml").write_text(GOOD_FP, encoding="utf-8")
    assert [str(e) for e in lint_paths([tmp_path])] == [
        f"{tmp_path / 'two.yaml'}:2: duplicate fingerprint id, first defined at "
        f"{tmp_path / 'one.yaml'}:2 (acme-web)"
    ]


def _line_of_7921(shipped: Path) -> int:
    lines = shipped.read_text(encoding="utf-8").splitlines()
    return lines.index("- id: hikvision-cve-2017-7921") + 1


def test_the_shipped_set_lints_clean() -> None:
    assert lint_paths([]) == []
    shipped = Path(__file__).resolve().parents[2] / "signatures"
    assert lint_paths([shipped]) == []


def test_a_shipped_credential_pair_needs_a_reference() -> None:
    doc = (
        "credentials:\n"
        "  - vendor: generic\n"
        "    protocol: rtsp\n"
        "    pairs:\n"
        "      - {username: admin, password: admin, note: widely reported}\n"
        "      - {username: root, password: pass, reference: https://example.com/manual}\n"
    )
    # The shipped set is parsed with no layer under it.
    layer, errors = _parse_layer([("credentials.yaml", doc.encode("utf-8"))], None)
    assert [str(e) for e in errors] == [
        "credentials.yaml:5: a shipped credential pair needs a reference: the manual, advisory or "
        "public list that publishes it (admin/admin)"
    ]
    assert not layer.credentials  # a set with an error is not loaded, as for every rule
    # A user's layer may give a note instead: an installer's own setting has no public source.
    assert lint_text("mine.yaml", doc) == []


def test_load_signatures_raises_signature_error_with_every_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(CASES["routes"][0], encoding="utf-8")
    with pytest.raises(SignatureError) as info:
        load_signatures([tmp_path])
    assert [e.line for e in info.value.errors] == [2, 4, 4, 5]
    assert "4 signature error(s)" in str(info.value)


# --- fuzzing: any YAML, any text, never anything but LintErrors ------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=20),
    st.sampled_from(
        [
            "dahua",
            "http.title",
            "camera",
            "^x",
            "(a+)+",
            "5.4.0",
            "CVE-2017-7921",
            "https://example.com/",
            "and",
            "passive",
            "rtsp",
            "generic",
        ]
    ),
)
keys = st.sampled_from(
    [
        "id",
        "vendor",
        "device_type",
        "match",
        "field",
        "word",
        "regex",
        "equals",
        "examples",
        "fields",
        "expect",
        "ports",
        "affected",
        "min",
        "max",
        "fixed",
        "pairs",
        "username",
        "password",
        "protocol",
        "vendors",
        "fingerprints",
        "vulnerabilities",
        "credentials",
        "routes",
        "generic",
        "main",
        "weight",
        "check",
        "models",
        "x",
    ]
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=30,
)
sections = st.dictionaries(
    st.sampled_from(
        ["vendors", "fingerprints", "vulnerabilities", "credentials", "ports", "routes"]
    ),
    st.lists(trees, max_size=3) | trees,
    max_size=3,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections)
def test_random_documents_only_ever_give_lint_errors(doc: object) -> None:
    text = yaml.safe_dump(doc)
    errors = lint_text("fuzz.yaml", text)
    assert all(isinstance(e, LintError) and e.file == "fuzz.yaml" for e in errors)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_random_text_only_ever_gives_lint_errors(text: str) -> None:
    errors = lint_text("fuzz.yaml", text)
    assert all(isinstance(e, LintError) for e in errors)


def test_cloud_services_load_and_a_later_layer_overrides_by_id(tmp_path: Path) -> None:
    shipped = load_signatures().cloud
    assert {c.id for c in shipped} >= {"cs2-pppp", "throughtek-kalay", "xmeye"}
    assert all(c.references and c.source.line > 0 for c in shipped)
    mine = tmp_path / "mine.yaml"
    mine.write_text(GOOD_CLOUD + GOOD_CLOUD.removeprefix("cloud:\n").replace("acme-p2p", "xmeye"))
    merged = load_signatures([tmp_path]).cloud
    assert [c.id for c in merged] == [*(c.id for c in shipped), "acme-p2p"]
    (xmeye,) = [c for c in merged if c.id == "xmeye"]
    assert xmeye.name == "ACME P2P"  # replaced in place
    assert xmeye.source.file == str(mine)
    assert xmeye.pattern.search("acme p2p") is not None  # case-insensitive, as the doc says
