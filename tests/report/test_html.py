"""The HTML report: self-contained, escaped, and rendered by a real browser as the JSON says."""

from __future__ import annotations

import dataclasses
import html
import io
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scanner.report.html import CSP, render_html
from scanner.report.json_report import SECRET_MASK, report_to_dict
from scanner.report.review import Review
from tests.report.fixtures import SCRIPT_TITLE, golden_report, golden_review
from tests.report.test_samples import PASSWORD

PWNED = "pwned-by-device"


def page(review: Review | None = None, *, show_secrets: bool = False) -> str:
    rep = golden_report()
    if show_secrets:
        rep = dataclasses.replace(rep, show_secrets=True)
    buf = io.StringIO()
    render_html(rep, buf, review=review)
    return buf.getvalue()


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.tags


def test_no_script_no_handler_no_external_asset() -> None:
    tags = elements(page(golden_review()))
    names = [t for t, _ in tags]
    assert "script" not in names
    assert "img" not in names  # the device's <img onerror=...> stayed text
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs
        if tag == "link":
            pytest.fail(f"external stylesheet or icon: {attrs}")
        if tag == "a":
            href = attrs["href"] or ""
            # In-page anchors, and reference links that go to http(s) only.
            assert href.startswith(("#", "https://", "http://")), href


def test_device_text_is_shown_literally() -> None:
    html = page()
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in html
    assert "\x1b" not in html
    assert "\u202e" not in html
    assert "&lt;U+202E&gt;evil" in html


def test_content_security_policy_forbids_scripts_and_pins_the_style() -> None:
    html = page()
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html
    assert "default-src 'none'" in CSP
    assert "script-src" not in CSP  # default-src 'none' covers it: no script may run
    assert "'unsafe-inline'" not in CSP


def test_secrets_masked_unless_shown() -> None:
    assert PASSWORD not in page()
    assert SECRET_MASK in page()
    assert PASSWORD in page(show_secrets=True)


def test_review_marks_are_on_the_cards() -> None:
    html = page(golden_review())
    assert 'data-fixed-id="http-default-page"' in html
    assert "accepted until 2027-06-30: the test rig drives this camera over Telnet" in html
    assert "acceptance expired on 2026-10-31" in html
    assert "Missing: spare nvr (inventory line 8)" in html
    assert "Moved: Axis M3045-V from 127.77.0.14 to 127.77.0.15" in html


# --- in a real browser ------------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _isolated(argv: list[str]) -> list[str]:
    """Run the browser in a network namespace of its own: it cannot send a packet anywhere.

    As root a plain ``unshare --net`` does it; otherwise a user namespace maps us to root in
    it first. The page is a file:// URL and needs no network at all.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is needed to keep the browser off the network")
    prefix = (
        [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--net"]
    )
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
    if probe.returncode != 0:
        pytest.skip("cannot create a network namespace here to isolate the browser")
    return [*prefix, *argv]


def dump_dom(browser: str, path: Path, profile: str, *flags: str, timeout: float = 45) -> str:
    """The DOM headless Chromium built from ``path``, off the network (``_isolated``)."""
    argv = _isolated(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            # Give a script that might run a chance to change the page before the dump.
            "--virtual-time-budget=2000",
            *flags,
            "--dump-dom",
            path.as_uri(),
        ]
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def browser() -> str:
    found = _chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run must install it (apt chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium) - CI runs this test")
    return found


def test_a_real_browser_renders_what_the_json_says(browser: str) -> None:
    rep = golden_report()
    review = golden_review()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        buf = io.StringIO()
        render_html(rep, buf, review=review)
        # A device that tries to change the page when a script runs; a working escape leaves
        # it inert, and the CSP would block it even if the escape failed.
        path.write_text(buf.getvalue(), encoding="utf-8")
        dom = dump_dom(browser, path, str(Path(tmp) / "profile"))
    tags = elements(dom)
    doc = report_to_dict(rep)
    cards = [attrs for tag, attrs in tags if tag == "section" and "data-ip" in attrs]
    assert [c["data-ip"] for c in cards] == [h["ip"] for h in doc["hosts"]]
    assert [c["data-risk"] for c in cards] == [h["risk"]["level"] for h in doc["hosts"]]
    shown = [
        (attrs["data-finding-id"], attrs["data-severity"])
        for tag, attrs in tags
        if tag == "article"
    ]
    expected = [(f["id"], f["severity"]) for h in doc["hosts"] for f in h["findings"]]
    assert shown == expected
    # Fixes and evidence read as the JSON has them (multi-line evidence included).
    fixes = [
        html.unescape(m) for m in re.findall(r'<div class="prose">(.*?)</div>', dom, re.DOTALL)
    ]
    evidence = [html.unescape(m) for m in re.findall(r"<pre>(.*?)</pre>", dom, re.DOTALL)]
    assert fixes == [f["remediation"] for h in doc["hosts"] for f in h["findings"]]
    assert evidence[0] == doc["hosts"][1]["findings"][0]["evidence"]
    assert "| fake | cell |\n[x](http://e)" in evidence[-1]
    summary = next(attrs for tag, attrs in tags if tag == "ul" and attrs.get("id") == "summary")
    assert summary["data-hosts-up"] == str(doc["summary"]["hosts_up"])
    # The injected markup is text in the rendered DOM, and nothing it tried happened.
    assert "<title>camsweep report: 127.77.0.0/24</title>" in dom
    assert "pwned</title>" not in dom
    assert '&lt;script&gt;document.title="pwned"&lt;/script&gt;' in dom
    assert not any(tag in ("script", "img") for tag, _ in tags)
    assert SCRIPT_TITLE not in dom


def test_the_browser_check_would_notice_a_script_that_ran(browser: str) -> None:
    # The same check on a page that does run a script (no CSP, raw markup): the DOM changes,
    # so the assertions above are able to fail.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bad.html"
        path.write_text(
            "<!DOCTYPE html><html><head><title>t</title></head><body>"
            f"<script>document.title='{PWNED}'</script></body></html>",
            encoding="utf-8",
        )
        dom = dump_dom(browser, path, str(Path(tmp) / "profile"))
    assert f"<title>{PWNED}</title>" in dom
