"""In a real browser at 1400, 1024 and 800 px: Run, Compare, Staffing & roster, Forecast and Calibrate fit their width.

No chart (a vega-embed canvas or svg) is wider than the column it sits in, and no KPI value or label, button label
or what-if chip is cut ("85..." or "Run this sce..."): an element whose text overflows its box (scrollWidth >
clientWidth) or shows an ellipsis fails. One server for the module, short runs; screenshots of the five pages
at 1400 and 800 px go to /tmp/app-shots/ (layout-<page>-<width>.png).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
WIDTHS = (1400, 1024, 800)
PAGES = ("Run", "Compare", "Staffing & roster", "Forecast", "Calibrate")

# Everything on the page that does not fit its width, as short descriptions (empty when the page fits).
MISFITS_JS = """
() => {
  const out = [];
  const cut = (el) => {
    // wider than its box, whether hidden behind an ellipsis or spilling out of the card
    return el.scrollWidth > el.clientWidth + 1;
  };
  for (const chart of document.querySelectorAll('.vega-embed')) {
    if (!chart.offsetParent) continue;  // in a tab not shown
    const box = chart.closest('[data-testid="stElementContainer"]') || chart.parentElement;
    const limit = box.getBoundingClientRect();
    for (const g of chart.querySelectorAll(':scope > canvas, :scope > svg')) {
      const r = g.getBoundingClientRect();
      if (r.width > limit.width + 1 || r.right > limit.right + 1)
        out.push(`chart ${Math.round(r.width)} px wide in a column of ${Math.round(limit.width)} px`);
    }
  }
  for (const t of document.querySelectorAll('[data-testid="stTable"]')) {  // a table of words wraps, never scrolls
    if (!t.offsetParent) continue;
    const box = (t.closest('[data-testid="stElementContainer"]') || t.parentElement).getBoundingClientRect();
    let wide = t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > box.right + 1;
    for (const inner of t.querySelectorAll('table')) wide = wide || inner.getBoundingClientRect().right > box.right + 1;
    if (wide) out.push(`table "${t.textContent.trim().slice(0, 40)}" wider than its column`);
  }
  const texts = [
    ['KPI value', '[data-testid="stMetricValue"], [data-testid="stMetricValue"] *'],
    ['KPI label', '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *'],
    ['button', 'button[data-testid^="stBaseButton"], button[data-testid^="stBaseButton"] *'],
    ['chip', '[data-testid="stMultiSelectTagsContainer"], [data-testid="stMultiSelectTagsContainer"] *'],
  ];
  for (const [what, sel] of texts) {
    for (const el of document.querySelectorAll(sel)) {
      if (!el.offsetParent || !el.textContent.trim()) continue;
      if (cut(el)) out.push(`${what} "${el.textContent.trim().slice(0, 40)}" cut: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free localhost port for the whole module; stopped (with its workers) afterwards."""
    tmp = tmp_path_factory.mktemp("layout")
    port = tb._free_port()
    log = open(tmp / "streamlit.log", "wb")
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    cmd += ["--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=tb.APP, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise RuntimeError("streamlit did not start:\n" + (tmp / "streamlit.log").read_text()[-3000:])
        time.sleep(0.3)
    yield url
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def _fill(page, values) -> None:
    for label, value in values:
        box = page.get_by_role("spinbutton", name=label)
        box.fill(value)
        box.press("Enter")
        tb._idle(page)


def _misfits(page, name: str) -> list[str]:
    """What does not fit on this page, every tab of the Run page's charts looked at in turn."""
    page.wait_for_timeout(1500)  # charts size themselves after the page settles
    found = [f"{name}: {m}" for m in page.evaluate(MISFITS_JS)]
    if name == "Run":
        tabs = page.get_by_role("tab")
        for i in range(tabs.count() - 2):  # the last two tabs are tables
            tabs.nth(i).click()
            page.wait_for_timeout(1200)
            found += [f"Run, tab {tabs.nth(i).inner_text()}: {m}" for m in page.evaluate(MISFITS_JS)]
        tabs.nth(0).click()
    return found


def test_browser_pages_fit_1400_1024_and_800_px(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        # One short run of each page's work, so that each shows its cards and charts
        tb._go(page, "Run")
        tb._short_run(page, days="14", warmup="7", reps="2")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("G&A occupancy at midnight", exact=True).first).to_be_visible(timeout=120_000)
        tb._go(page, "Compare")
        tb._short_run(page, days="7", warmup="7", reps="2")
        page.get_by_role("button", name="Compare 2 scenarios").click()
        expect(page.get_by_role("heading", name="In plain words")).to_be_visible(timeout=180_000)
        tb._go(page, "Staffing & roster")
        _fill(page, (("Weeks", "1"), ("Replications", "2")))
        page.get_by_role("button", name="Derive staffing levels").click()
        expect(page.get_by_role("heading", name="2. Roster")).to_be_visible(timeout=180_000)
        _fill(page, (("Solver time limit (s)", "5"),))
        page.get_by_role("button", name="Build the roster").click()
        expect(page.get_by_role("button", name="Download roster (CSV)")).to_be_visible(timeout=180_000)
        tb._go(page, "Forecast")
        _fill(page, (("Hours ahead", "24"), ("Replications", "10")))
        page.get_by_role("button", name="Forecast", exact=True).click()
        expect(page.get_by_text("Download forecast.csv")).to_be_visible(timeout=120_000)
        tb._go(page, "Calibrate")
        page.get_by_role("button", name="Fit the scenario").click()
        expect(page.get_by_text("Fit quality:").first).to_be_visible(timeout=120_000)

        misfits = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1600})
            for name in PAGES:
                tb._go(page, name)
                expect(page.locator(".vega-embed").first).to_be_visible(timeout=30_000)
                misfits += [f"{width} px, {m}" for m in _misfits(page, name)]
                if width in (1400, 800):  # the whole page: Streamlit scrolls inside the window, so a tall one
                    page.set_viewport_size({"width": width, "height": 6000})
                    page.wait_for_timeout(1500)
                    tb._shot(page, tmp_path, f"layout-{name.split()[0].lower()}-{width}")
                    page.set_viewport_size({"width": width, "height": 1600})
        browser.close()
    assert not misfits, "\n".join(misfits)
