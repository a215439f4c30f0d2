"""In a real browser (issue 15, targets and months): Compare shows each scenario against the NHS targets and month
by month, side by side, with red / amber / green in colour and in words.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots go to a temporary
folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import re

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server

RAG = re.compile(r"(green|amber|red)")
COLOURS = {"rgb(211, 249, 216)", "rgb(255, 232, 204)", "rgb(255, 227, 227)"}
"""The cell backgrounds of green, amber and red (``ui.RAG_BACKGROUND``)."""


def test_browser_compare_shows_the_targets_side_by_side_month_by_month(server, tmp_path):
    """Baseline against four more ICU beds, 7 days measured from 31 Jan: both scenarios' 4-hour, 12-hour and G&A
    midnight figures against the targets, then January and February, each cell coloured and worded."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        tb._go(page, "Compare")
        expect(page.get_by_text("Targets (red / amber / green in the tables against the targets)")).to_be_visible()
        tb._short_run(page, days="7", warmup="25", reps="2")
        page.get_by_role("button", name="Compare 2 scenarios").click()
        expect(page.get_by_role("heading", name="Against the NHS targets")).to_be_visible(timeout=180_000)

        tables = page.locator('[data-testid="stTable"]')
        expect(tables).to_have_count(2)
        headline, months = tables.nth(0), tables.nth(1)
        header = headline.locator("th").all_inner_texts()
        assert "Baseline 450-bed English acute trust" in " ".join(header), header
        assert any(h.startswith("More critical-care beds") for h in header), header
        for measure in ("ED: within 4 hours", "ED: over 12 hours in the ED", "G&A occupancy at midnight"):
            expect(headline.get_by_text(measure, exact=True)).to_be_visible()
        expect(headline.get_by_text("78% or more")).to_be_visible()
        expect(headline.get_by_text("92% or less")).to_be_visible()
        expect(page.get_by_text("Month by month against the targets")).to_be_visible()
        expect(months.get_by_text("Jan 2025").first).to_be_visible()
        expect(months.get_by_text("Feb 2025").first).to_be_visible()

        # every figure says its red / amber / green in words, on a cell of that colour
        for table, rows in ((headline, 3), (months, 6)):
            cells = table.locator("td").filter(has_text=re.compile(r"^\d+\.\d%"))  # the figures, not the targets
            assert cells.count() >= 2 * rows, cells.all_inner_texts()  # NHS_TARGETS may hold more than three
            for i in range(cells.count()):
                cell = cells.nth(i)
                text = cell.inner_text()
                assert RAG.search(text), text
                colour = cell.evaluate("e => getComputedStyle(e).backgroundColor")
                assert colour in COLOURS, (text, colour)
        tb._shot(page, tmp_path, "41-compare-targets-months")
        browser.close()
