from __future__ import annotations

from pathlib import Path

import pytest

from scanner.credentials.custom import CredentialFileError, parse_creds, read_creds


def test_pairs_protocols_comments_and_duplicates() -> None:
    pairs = parse_creds(
        "# my cameras\nadmin:admin\nadmin:\nroot:pa:ss\nrtsp,onvif viewer:view\nadmin:admin\n"
    )
    assert [(p.username, p.password) for p in pairs] == [
        ("admin", "admin"),
        ("admin", ""),
        ("root", "pa:ss"),
        ("viewer", "view"),
    ]
    assert pairs[0].applies_to("telnet")
    assert pairs[3].applies_to("rtsp")
    assert not pairs[3].applies_to("http")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nocolon\n", "<creds>:1: expected username:password"),
        ("# only a comment\n", "no username:password pairs"),
        ("ok:1\n:nouser\n", "<creds>:2: empty username"),
        ("ftp admin:admin\n", "<creds>:1: unknown protocol 'ftp'"),
        ("a:b\x00c\n", "control character"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(CredentialFileError) as info:
        parse_creds(text)
    assert message in str(info.value)


def test_read_creds_errors(tmp_path: Path) -> None:
    with pytest.raises(CredentialFileError, match="cannot read"):
        read_creds(tmp_path / "missing.txt")
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(CredentialFileError, match="not UTF-8"):
        read_creds(binary)
    good = tmp_path / "g.txt"
    good.write_text("admin:admin\n")
    assert len(read_creds(good)) == 1
