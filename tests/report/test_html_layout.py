"""The HTML report on a phone and on a wide screen: layout measured by the browser itself.

Issue #16: on a 360 px phone the table broke words ("CRI / TICA / L"), CRITICAL and HIGH looked
alike, and times were UTC. Headless Chromium renders the golden report at three widths; a
measuring script (added to a test copy of the page, whose CSP otherwise forbids scripts) records
what the browser's layout API says: the page's scrollWidth against its clientWidth, every block
element whose content overflows it, every ordinary word that the layout split over two lines
(Range.getClientRects; a break after a hyphen is a normal line-break opportunity, not a broken
word), and whether the device table became cards.
"""

from __future__ import annotations

import colorsys
import html
import io
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from scanner.report.actions import do_this_first
from scanner.report.html import STYLE, render_html
from tests.report.fixtures import golden_report, golden_review
from tests.report.test_html import _chromium, dump_dom

WIDTHS = (360, 800, 1400)
# Words longer than this may break by design (a 64 KiB hostile title, a long URL).
_LONGEST_WORD = 20

# The page is shown in an iframe exactly WIDTH px wide (headless Chromium will not make a
# window narrower than 500 px); srcdoc keeps it same-origin, so this script can measure it.
_MEASURE = """
<script>
const frame = document.getElementById('page');
frame.addEventListener('load', () => {
  const win = frame.contentWindow, doc = frame.contentDocument, root = doc.documentElement;
  const overflow = [];
  for (const el of doc.querySelectorAll('body *')) {
    const style = win.getComputedStyle(el);
    if (el.clientWidth === 0 || style.display.startsWith('inline')) continue;
    if (el.closest('pre')) continue;
    const scroller = el.closest('.table-wrap');
    if (scroller && scroller !== el) continue;
    if (style.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1)
      overflow.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  const broken = [];
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('pre, style')) continue;
    const re = /[^\\s\\-\\u2010]+/g;  // a hyphen is a line-break opportunity (CSS Text 3)
    let m;
    while ((m = re.exec(node.data)) !== null) {
      if (m[0].length > LONGEST) continue;
      const range = doc.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
  const row = doc.querySelector('table.devices tbody tr');
  document.body.setAttribute('data-layout', JSON.stringify({
    inner: win.innerWidth, scroll: root.scrollWidth, client: root.clientWidth,
    overflow, broken, row: row ? win.getComputedStyle(row).display : null,
  }));
});
</script>
"""


def _measure(browser: str, page: str, width: int, tmp: Path) -> dict[str, Any]:
    wrapper = (
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe id="page" style="width:{width}px;height:900px;border:0" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
        + _MEASURE.replace("LONGEST", str(_LONGEST_WORD))
        + "</body></html>"
    )
    path = tmp / f"report-{width}.html"
    path.write_text(wrapper, encoding="utf-8")
    dom = dump_dom(
        browser,
        path,
        str(tmp / f"profile-{width}"),
        "--hide-scrollbars",
        f"--window-size={width + 200},1000",
        "--virtual-time-budget=3000",
        timeout=60,
    )
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, "the measuring script did not run"
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.fixture(scope="module")
def browser() -> str:
    found = _chromium()
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium) - CI runs this test")
    return found


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_page_fits_a_phone_and_a_wide_screen_without_breaking_words(browser: str) -> None:
    buf = io.StringIO()
    render_html(golden_report(), buf, review=golden_review())
    with tempfile.TemporaryDirectory() as tmp:
        results = {w: _measure(browser, buf.getvalue(), w, Path(tmp)) for w in WIDTHS}
    for width, got in results.items():
        assert got["inner"] == width, got  # the viewport really is that wide
        assert got["scroll"] <= got["client"], (width, got)  # no sideways scrolling
        assert got["overflow"] == [], (width, got["overflow"])
        assert got["broken"] == [], (width, got["broken"])
    assert results[360]["row"] == "block"  # cards on a phone
    assert results[1400]["row"] == "table-row"  # a table on a wide screen


# --- colours ----------------------------------------------------------------------------------


def _palette(dark: bool) -> dict[str, str]:
    light_part, dark_part = STYLE.split("@media (prefers-color-scheme: dark)", 1)
    part = dark_part.split("} }", 1)[0] if dark else light_part
    return dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", part))


def _luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_published_values() -> None:
    # WCAG's own end points and a well-known pair (#777 on white is 4.48:1).
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_severity_colours_pass_wcag_aa_and_are_distinct(dark: bool) -> None:
    colours = _palette(dark)
    levels = ("critical", "high", "medium", "low", "info", "none")
    for level in levels:
        # Badge text on its colour, and the colour used as text on the page and on a card.
        assert contrast(colours["on-badge"], colours[level]) >= 4.5, level
        assert contrast(colours[level], colours["bg"]) >= 4.5, level
        assert contrast(colours[level], colours["card"]) >= 4.5, level
    assert contrast(colours["fg"], colours["bg"]) >= 4.5
    assert contrast(colours["muted"], colours["card"]) >= 4.5
    # CRITICAL and HIGH differ in hue by a clear step (and CRITICAL carries an outline too).
    hues = [
        colorsys.rgb_to_hls(*(int(colours[lv][i : i + 2], 16) / 255 for i in (1, 3, 5)))[0]
        for lv in ("critical", "high")
    ]
    distance = abs(hues[0] - hues[1]) * 360
    assert min(distance, 360 - distance) >= 30, hues
    assert len({colours[lv] for lv in levels}) == len(levels)
    assert ".sev.critical { background: var(--critical); outline" in STYLE


def test_times_are_local_with_their_offset() -> None:
    buf = io.StringIO()
    render_html(golden_report(), buf)
    page = buf.getvalue()
    # tests/report/conftest.py pins the zone to UTC+02:00; the report says 10:00:00Z.
    assert '<time datetime="2026-11-20T10:00:00Z">2026-11-20 12:00:00 +02:00</time>' in page


def test_the_page_opens_with_the_verdict_and_the_same_steps_as_the_terminal() -> None:
    buf = io.StringIO()
    report = golden_report()
    render_html(report, buf)
    page = buf.getvalue()
    assert '<p class="verdict act" id="verdict">Act now:' in page
    listed = page[page.index('id="steps"') : page.index("</ol>")]
    steps = re.findall(r'<li data-severity="[a-z]+">(.*?)</li>', listed)
    assert [html.unescape(s) for s in steps] == [a.text for a in do_this_first(report.hosts)]
    assert page.index('id="verdict"') < page.index('id="steps"') < page.index("<table")
