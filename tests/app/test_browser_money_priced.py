"""In a real browser: a costs file without a critical care rate (issue 15, money review). Run's total card is the
'priced beds' one and says critical care is left out, never 'all beds' with critical care silently free.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium).
"""

from __future__ import annotations

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server

NO_CC_COSTS = b"""currency: GBP
bed_day_gbp: 1000
escalation_bed_day_gbp: 1200
nurse_hour_gbp: {default: 26}
bank_nurse_hour_gbp: 29
agency_nurse_hour_gbp: 46
"""


def test_browser_unpriced_critical_care_makes_the_total_priced_beds(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)
        tb._go(page, "Run")
        tb._short_run(page, days="7", warmup="7", reps="2")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("Cost of beds")).to_be_visible(timeout=120_000)
        page.get_by_text("Unit costs: scenarios/costs.yaml").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "no-icu-rate.yaml", "mimeType": "application/x-yaml", "buffer": NO_CC_COSTS}]
        )
        expect(page.get_by_text("critical care not priced", exact=False).first).to_be_visible()
        cards = page.locator('[data-testid="stMetric"]')
        expect(cards.filter(has_text="Bed cost a year, priced beds").first).to_be_visible()
        assert cards.filter(has_text="Bed cost a year, all beds").count() == 0
        page.get_by_text("Cost of beds").scroll_into_view_if_needed()
        tb._shot(page, tmp_path, "44-run-priced-beds")
        browser.close()
