"""In a real browser (issue 15, finding 9): the NHS's words and counts on the home page, the sidebar and the Run page.

Stays in days, no American "boarding", tooltips in words (no metric ids), the 4-hour chart against the current 78%
standard, G&A occupancy at midnight as the headline with red / amber / green against its target, and the same bed
count on the home page and in the sidebar. Uses the server and helpers of ``test_browser.py`` (Playwright in
Debian's chromium); screenshots go to a temporary folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import re

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server

METRIC_ID = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\bunit ALL\b")
"""A metric id as the files spell it (``ed_boarding_mean_h``) or the files' unit ``ALL``."""


def test_browser_run_page_speaks_the_nhs_words(server, tmp_path):
    """One short baseline run: every claim of finding 9, checked on the pages a manager reads."""
    import state
    from playwright.sync_api import expect, sync_playwright

    from hospital_twin.reporting.nhs import bed_summary
    from hospital_twin.scenario import load_scenario

    beds = bed_summary(load_scenario(state.baseline_path()))  # "450 G&A beds + 13 critical care, ED 90 spaces"
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        # the home page and the sidebar give the same beds, G&A and critical care apart, the ED in spaces
        main = page.locator('[data-testid="stMain"]')
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(main.get_by_text(beds)).to_be_visible()
        expect(sidebar.get_by_text(beds)).to_be_visible()
        assert not re.search(r"\d+-bed", main.inner_text()), "the home page names a bed count of its own"

        tb._go(page, "Run")
        tb._short_run(page, days="14", warmup="14", reps="2")
        page.get_by_role("button", name="Run the simulation").click()
        metrics = page.locator('[data-testid="stMetric"]')
        expect(metrics.first).to_be_visible(timeout=120_000)

        # the headline: G&A occupancy at midnight, judged against its 92% target, with the 24-hour average
        first = metrics.first
        expect(first.locator('[data-testid="stMetricLabel"]')).to_have_text("G&A occupancy at midnight")
        headline = first.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
        expect(headline.get_by_text(re.compile(r"24-hour average \d"))).to_be_visible()
        expect(headline.get_by_text(re.compile(r"^(Green|Amber|Red): .*target 92% or less"))).to_be_visible()
        ed = page.locator('[data-testid="stVerticalBlock"]').filter(has=page.get_by_text("ED: left within 4 hours"))
        expect(ed.get_by_text(re.compile(r"target 78% or more")).last).to_be_visible()
        expect(page.get_by_text("ED: over 12 hours in the ED")).to_be_visible()

        # the targets month by month
        expect(page.get_by_text("Month by month against the targets")).to_be_visible()

        # a stay in days, decision-to-admit waits and trolley waits, never "boarding"
        stay = metrics.filter(has=page.get_by_text("Hospital stay, mean")).locator('[data-testid="stMetricValue"]')
        assert re.fullmatch(r"\d+\.\d days", stay.inner_text()), stay.inner_text()
        expect(page.get_by_text("ED: decision-to-admit wait")).to_be_visible()
        expect(page.get_by_text("ED: trolley waits over 12 h", exact=True)).to_be_visible()
        assert "boarding" not in (page.locator("body").text_content() or "").lower()

        # every card's tooltip is words with the direction, never a metric id
        icons = metrics.locator('[data-testid="stTooltipIcon"]')
        n = icons.count()
        assert n >= 10, n
        for i in range(n):
            icons.nth(i).hover()
            tip = page.locator('[data-testid="stTooltipContent"]').last
            expect(tip).to_be_visible()
            text = tip.inner_text()
            assert not METRIC_ID.search(text), f"a metric id in a tooltip: {text!r}"
            page.mouse.move(0, 0)
            expect(page.locator('[data-testid="stTooltipContent"]')).to_have_count(0)
        first.locator('[data-testid="stTooltipIcon"]').hover()
        expect(page.get_by_text(re.compile(r"at midnight.*Higher is worse")).last).to_be_visible()
        page.mouse.move(0, 0)

        # the 4-hour chart is drawn against the current 78% standard
        page.get_by_role("tab", name="ED 4-hour performance").click()
        expect(page.get_by_text("dashed line: the 78% standard", exact=False)).to_be_visible()
        assert "95% standard" not in (page.locator("body").text_content() or "")
        tb._shot(page, tmp_path, "31-run-nhs-words")
        browser.close()
