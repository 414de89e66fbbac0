"""report.html in headless Chromium: it renders offline, every figure loads, no console
error, no network request, no script from a data file runs; a screenshot is saved."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.portfolio.report.chromium import find_or_install_chromium, visit
from tests.run_fixtures import HOSTILE

#: Set to a file path to keep the screenshot (docs/report.png is made this way).
SCREENSHOT_VARIABLE = "AISFOLIO_REPORT_SCREENSHOT"


@pytest.fixture(scope="module")
def chromium() -> str:
    executable, reason = find_or_install_chromium()
    if executable is None:
        pytest.skip(f"headless Chromium test skipped: {reason}")
    return executable


def test_the_report_renders_offline_with_every_plot(chromium, run_folder, tmp_path):
    page = run_folder / "report.html"
    seen = visit(chromium, page)

    assert seen.title == "aisfolio report"
    for heading in ("Performance", "Weights and turnover", "Forecasts and signals", "Risk"):
        assert heading in seen.text
    assert len(seen.images) >= 8
    for image in seen.images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert image["scheme"] == "data", image
    # The only request is the page itself (figures are data: URIs, nothing is fetched).
    fetched = [url for url in seen.requests if not url.startswith("data:")]
    assert fetched == [page.resolve().as_uri()], seen.requests
    assert seen.console_errors == []
    # The hostile asset name shows as text and runs nothing.
    assert seen.dialogs == []
    assert HOSTILE in seen.text

    screenshot = tmp_path / "report.png"
    screenshot.write_bytes(seen.screenshot)
    assert seen.screenshot.startswith(b"\x89PNG") and screenshot.stat().st_size > 50_000
    keep = os.environ.get(SCREENSHOT_VARIABLE)
    if keep:
        shutil.copyfile(screenshot, Path(keep))


#: Layout probes: the page's width against the window's, and every table box that hides
#: rows or columns behind a scroll bar (its caption, or the table's first header cell).
LAYOUT = {
    "page": "[document.documentElement.scrollWidth, window.innerWidth]",
    "hidden": """Array.from(document.querySelectorAll('table')).map(t => {
        const box = t.parentElement;
        const cut = box.scrollHeight > box.clientHeight + 1
            || box.scrollWidth > box.clientWidth + 1;
        const caption = box.previousElementSibling ? box.previousElementSibling.innerText : '';
        return cut ? caption : null; }).filter(c => c !== null)""",
    "rows": "document.querySelectorAll('tbody tr').length",
}


def test_the_full_run_report_shows_every_stage_whole_at_1200_px(chromium, full_run_folder):
    seen = visit(chromium, full_run_folder / "report.html", width=1200, probes=LAYOUT)

    for heading in (
        "Tearsheet: ",
        "Key metrics",
        "Worst drawdowns",
        "Monthly returns",
        "Meta-learner",
        "Combiners and allocations",
        "Online combiners",
        "Allocations: decisions and solver outcomes",
        "Allocations: net exposure per asset at the last decision",
    ):
        assert heading in seen.text, heading
    plots = {image["plot"] for image in seen.images}
    assert {"monthly", "yearly", "distribution", "rolling", "blend_weights"} <= plots
    for image in seen.images:
        assert image["complete"] and image["width"] > 0, image
    scroll_width, window_width = seen.probes["page"]
    assert scroll_width <= window_width, "the page overflows horizontally at 1200 px"
    assert seen.probes["hidden"] == [], "tables cut by a scroll box"
    assert seen.probes["rows"] > 100
    assert seen.console_errors == [] and seen.dialogs == []


def test_the_harness_sees_requests_errors_dialogs_and_broken_images(chromium, tmp_path):
    # The checks above can fail: a page that fetches, logs an error and runs a script.
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        '<img src="http://127.0.0.1:9/missing.png" data-plot="remote">'
        "<script>console.error('boom'); alert(1)</script></body></html>"
    )
    seen = visit(chromium, bad)
    assert any(url.startswith("http://127.0.0.1:9/") for url in seen.requests)
    assert any("boom" in error for error in seen.console_errors)
    assert seen.dialogs == ["1"]
    assert seen.images[0]["width"] == 0


def test_the_layout_probes_see_overflow_and_cut_tables(chromium, tmp_path):
    # The layout checks above can fail: a page wider than the window, a table in a box.
    rows = "".join(f"<tr><td>{i}</td></tr>" for i in range(50))
    bad = tmp_path / "wide.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><div style='width:1500px'>wide</div>"
        "<h3>cut</h3><div style='max-height:100px;overflow:auto'><table><tbody>"
        f"{rows}</tbody></table></div></body></html>"
    )
    seen = visit(chromium, bad, width=1200, probes=LAYOUT)
    scroll_width, window_width = seen.probes["page"]
    assert scroll_width > window_width
    assert seen.probes["hidden"] == ["cut"]
