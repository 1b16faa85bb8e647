"""`camsweep demo`: the lab's home router forwards two camera ports, and the report says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner import cli


@pytest.mark.slow
def test_demo_has_a_router_with_forwards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.json"
    code = cli.main(["demo", "--high-ports", "-q", "--format", "json", "-o", str(out)])
    capsys.readouterr()
    assert code in (0, 1)
    report = json.loads(out.read_text())
    exposure = report["exposure"]
    (router,) = exposure["routers"]
    assert router["address"] == "127.77.0.1"
    assert router["status"] == "read"
    forwards = {p["forward"]["external_port"]: p for p in exposure["paths"] if p["forward"]}
    # The Dahua camera's RTSP (default password) and the Xiongmai recorder's DVRIP port.
    assert forwards[554]["host"] == "127.77.0.12"
    assert "default-credentials-rtsp" in forwards[554]["finding_ids"]
    assert forwards[554]["severity"] == "critical"
    assert forwards[34567]["host"] == "127.77.0.13"
    # High on the standard port (a vendor SDK port); with --high-ports the lab binds another
    # port, where it is only "a camera's own service": medium.
    assert forwards[34567]["severity"] in ("high", "medium")
    # A documentation address is no public one: firm, not confirmed; the caveat says why.
    assert all(p["confidence"] == "firm" for p in forwards.values())
    hosts = {h["ip"]: h for h in report["hosts"]}
    assert [f["id"] for f in hosts["127.77.0.1"]["findings"]] == ["upnp-igd-open"]
    assert any(f["id"] == "internet-port-forward" for f in hosts["127.77.0.12"]["findings"])
    # With --no-router there is no section at all.
    out2 = tmp_path / "plain.json"
    cli.main(["demo", "--high-ports", "-q", "--no-router", "--format", "json", "-o", str(out2)])
    capsys.readouterr()
    plain = json.loads(out2.read_text())
    assert "exposure" not in plain
    assert "127.77.0.1" not in {h["ip"] for h in plain["hosts"]}
