"""The discovery catalogue: a user's YAML protocol, and one clear line for every bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import cli
from scanner.discover.vendor.catalog import CatalogError, load_catalog, parse_catalog_text

USER_PROTOCOL = """
discovery_protocols:
  - id: acme-search
    name: ACME camera search
    port: 40001
    broadcast: true
    query_text: '<?xml version="1.0"?><Probe><Uuid>{uuid}</Uuid></Probe>'
    framing: xml
    require: {_root: '^AcmeMatch$'}
    fields:
      Model: discovery.model
      Firmware: discovery.firmware
      Ready: discovery.activated
    values:
      discovery.activated: {'yes': 'true', 'no': 'false'}
    device_type: camera
    sources: ['an example protocol written for this test']
"""


def test_a_user_adds_a_protocol_in_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "sigs" / "discovery"
    folder.mkdir(parents=True)
    (folder / "acme.yaml").write_text(USER_PROTOCOL)
    catalog = load_catalog((tmp_path / "sigs",))
    acme = catalog.protocol("acme-search")
    assert acme is not None
    assert catalog.protocol("sadp") is not None  # the shipped ones stay
    assert b"<Uuid>" in acme.query()
    assert b"{uuid}" not in acme.query()
    evidence = acme.read(
        b"<AcmeMatch><Model>X1</Model><Firmware>1.2</Firmware><Ready>no</Ready></AcmeMatch>"
    )
    assert evidence == {
        "discovery.protocol": "acme-search",
        "discovery.model": "X1",
        "discovery.firmware": "1.2",
        "discovery.activated": "false",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("discovery_protocols: [", "YAML error"),
        ("discovery_protocols:\n  - id: x\n", "is a required property"),
        (USER_PROTOCOL.replace("discovery.model", "discovery.modle"), "is not one of"),
        (USER_PROTOCOL.replace("'^AcmeMatch$'", "'(a+)+$'"), "nested quantifier"),
        (USER_PROTOCOL.replace("framing: xml", "framing: json"), "is not one of"),
        (USER_PROTOCOL.replace("broadcast: true", "multicast: 10.0.0.1"), "not a multicast group"),
        ("fingerprints: []", "Additional properties are not allowed"),
    ],
)
def test_bad_files_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message) as info:
        parse_catalog_text("bad.yaml", text)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_the_cli_says_it_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "sigs" / "discovery"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("discovery_protocols:\n  - id: x\n")
    code = cli.main(["scan", "127.0.0.1", "--signatures", str(tmp_path / "sigs"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.EXIT_USAGE
    assert len(err) == 1
    assert "broken.yaml" in err[0]
