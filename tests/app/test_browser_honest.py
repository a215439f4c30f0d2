"""In a real browser (issue 15, findings 1 and 2): a collapse never reads as good news, verdicts lead with the board's
measures.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots go to a temporary
folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import re

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server


def _card(page, label: str):
    """The card (the block around the metric) whose metric has this label."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return metric.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")


def test_browser_amu_without_beds_shows_the_collapse_not_a_calm_hospital(server, tmp_path):
    """AMU at 0 beds: the cards say who is still waiting and who never got a bed, the calm-looking occupancy carries
    a warning, the ED's trolley-wait cards stay and say why they measure nothing, and the gridlock is counted in
    replications."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        tb._go(page, "Scenario")
        beds = page.get_by_role("spinbutton", name="AMU beds")
        beds.fill("0")
        beds.press("Enter")
        tb._idle(page)
        expect(beds).to_have_value("0")

        tb._go(page, "Run")
        tb._short_run(page, days="14", warmup="7", reps="2")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("G&A occupancy at midnight", exact=True).first).to_be_visible(timeout=120_000)

        expect(page.get_by_text("2 of 2 replications gridlocked").first).to_be_visible()
        # the occupancy looks calm (few beds can be reached): the card says it is not
        expect(_card(page, "G&A occupancy at midnight").get_by_text("Not a calm hospital")).to_be_visible()
        # who was left: still waiting at the end, never got a bed, ED patients never seen
        waiting = _card(page, "Still waiting for a bed at the end").locator('[data-testid="stMetricValue"]')
        assert float(waiting.inner_text().replace(",", "")) > 50, waiting.inner_text()
        expect(_card(page, "Never got a bed")).to_be_visible()
        expect(_card(page, "ED: still waiting to be seen at the end")).to_be_visible()
        # the ED's 4-hour card and its trolley-wait cards stay, and no reassuring "0.0 a day"
        expect(_card(page, "ED: left within 4 hours")).to_be_visible()
        trolley = _card(page, "ED: trolley waits over 12 h")
        expect(trolley).to_be_visible()
        expect(trolley.get_by_text("No patient reached a decision to admit")).to_be_visible()
        assert "0.0 a day" not in trolley.inner_text()
        tb._shot(page, tmp_path, "21-run-amu-0-beds")
        browser.close()


def test_browser_compare_verdicts_lead_with_the_board_measures(server, tmp_path):
    """Four more ICU beds: the words say what happened to ICU patients waiting for a bed, with both figures and the
    interval, before the arithmetic fall in ICU occupancy; the forest plot draws the same verdicts."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        tb._go(page, "Compare")
        tb._short_run(page, days="28", warmup="14", reps="3")
        page.get_by_role("button", name="Compare 2 scenarios").click()
        expect(page.get_by_role("heading", name="In plain words")).to_be_visible(timeout=180_000)

        expect(page.get_by_text("What a board asks about")).to_be_visible()
        icu = page.get_by_text(re.compile(r"the share of ICU patients who waited for a bed\W.*\d%.*\d%"))
        expect(icu.first).to_be_visible()
        assert re.search(r"interval", icu.first.inner_text()), icu.first.inner_text()
        board = page.get_by_text("the share of ED patients leaving within 4 hours").first
        beds = page.get_by_text("bed occupancy in ICU").first
        expect(beds).to_be_visible()
        # the board's measures come first, the arithmetic consequence of more beds after them
        assert board.bounding_box()["y"] < beds.bounding_box()["y"]
        expect(page.get_by_text("Follows from the change in beds")).to_be_visible()
        expect(page.locator(".vega-embed").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        tb._shot(page, tmp_path, "22-compare-board-verdicts")
        browser.close()
