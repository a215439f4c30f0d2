"""In a real browser: what beds cost (issue 15, money). Run shows a year's bed cost by kind with its rates and their
file, and takes the manager's own costs file; Compare says what 10 escalation beds cost a year and what they buy.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots go to a temporary
folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import re

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server

MY_COSTS = b"""currency: GBP
price_year: 2026/27
bed_day_gbp: 1000
escalation_bed_day_gbp: 1200
critical_care_bed_day_gbp: 3000
nurse_hour_gbp: {default: 26}
bank_nurse_hour_gbp: 29
agency_nurse_hour_gbp: 46
"""


def _card(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).first


def test_browser_run_and_compare_say_what_beds_cost(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        # Run: a year's bed cost by kind, in pounds, with the rates and the file they come from
        tb._go(page, "Run")
        tb._short_run(page, days="7", warmup="7", reps="2")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("Cost of beds")).to_be_visible(timeout=120_000)
        for label in ("Bed cost a year, all beds", "G&A beds a year", "Escalation beds a year"):
            value = _card(page, label).locator('[data-testid="stMetricValue"]').inner_text()
            assert re.fullmatch(r"£[\d.,]+[mk]?", value), (label, value)
        expect(page.get_by_text("Rates from scenarios/costs.yaml (2025/26 prices): G&A bed-day £450")).to_be_visible()
        page.get_by_text("Cost of beds").scroll_into_view_if_needed()
        tb._shot(page, tmp_path, "41-run-bed-cost")

        # the manager's own costs file: named, and its rates used
        page.get_by_text("Unit costs: scenarios/costs.yaml").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "our-trust-costs.yaml", "mimeType": "application/x-yaml", "buffer": MY_COSTS}]
        )
        expect(page.get_by_text("Rates from our-trust-costs.yaml (uploaded) (2026/27 prices)")).to_be_visible()
        expect(page.get_by_text("G&A bed-day £1,000", exact=False).first).to_be_visible()
        page.get_by_text("Cost of beds").scroll_into_view_if_needed()
        tb._shot(page, tmp_path, "42-run-own-costs")

        # Compare the baseline with 10 escalation beds: what they cost a year and what they buy, in words
        tb._go(page, "Compare")
        whatifs = page.get_by_role("combobox", name="What-ifs to compare with it")
        whatifs.click()
        whatifs.fill("Escalation beds on medical")
        whatifs.press("Enter")
        tb._idle(page)
        page.keyboard.press("Escape")
        tb._idle(page)
        expect(page.get_by_role("button", name=re.compile(r"Compare [3-9] scenarios"))).to_be_visible()
        tb._short_run(page, days="14", warmup="7", reps="2")
        page.get_by_role("button", name=re.compile(r"Compare \d scenarios")).click()
        expect(page.get_by_role("heading", name="What it costs and what it buys")).to_be_visible(timeout=240_000)
        sentence = page.get_by_text(re.compile(r"more escalation beds open on average, at £1,200 a bed-day, cost"))
        expect(sentence.first).to_be_visible()
        text = sentence.first.inner_text()
        assert re.search(r"interval -?£[\d.,]+[mk]? to -?£", text), text
        assert "all beds (occupied G&A, escalation and critical care) cost" in text, text
        assert "buys" in text, text
        sentence.first.scroll_into_view_if_needed()
        tb._shot(page, tmp_path, "43-compare-cost")
        browser.close()
