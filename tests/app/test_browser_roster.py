"""In a real browser: a manager reads on the Staffing & roster page whether the roster is over-staffed, by how many
WTE and at what cost (issue 15, finding 7).

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots at 1400 and 800 px
go to a temporary folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import re

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def test_browser_roster_says_over_staffed_by_how_many_wte_at_what_cost(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        # Levels for one week from two replications, then the example staff's ICU roster
        tb._go(page, "Staffing & roster")
        for label, value in (("Weeks", "1"), ("Replications", "2")):
            box = page.get_by_role("spinbutton", name=label)
            box.fill(value)
            box.press("Enter")
            tb._idle(page)
        page.get_by_role("button", name="Derive staffing levels").click()
        expect(page.get_by_role("heading", name="2. Roster")).to_be_visible(timeout=180_000)
        box = page.get_by_role("spinbutton", name="Solver time limit (s)")
        box.fill("5")
        box.press("Enter")
        tb._idle(page)
        page.get_by_role("button", name="Build the roster").click()
        expect(page.get_by_role("heading", name="Is this roster over-staffed?")).to_be_visible(timeout=180_000)

        # Is it over-staffed? by how many WTE? at what cost? what to do?
        verdict = page.get_by_text(re.compile(r"(^|\. )Over-staffed: [\d,]+ shifts above the target, [\d.]+ WTE more"))
        expect(verdict).to_be_visible()
        expect(page.locator('[data-testid="stMetricLabel"]', has_text="Cost of the surplus")).to_be_visible()
        tb._idle(page)
        labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        cards = {k.strip(): v.strip() for k, v in zip(labels, values, strict=True)}
        assert _number(cards["Shifts above target"]) > 0, cards
        assert _number(cards["Surplus WTE"]) > 0, cards
        needed, rostered = (float(x) for x in cards["WTE needed / rostered"].split("/"))
        assert rostered > needed > 0, cards
        cost = next(v for k, v in cards.items() if k.startswith("Cost of the surplus"))
        assert cost.startswith("£") and _number(cost) > 0, cards
        expect(
            page.get_by_text(re.compile(r"WTE more than needed on ICU .*reduce contracted hours")).first
        ).to_be_visible()
        expect(page.get_by_text(re.compile(r"1 WTE = 37.5 paid hours a week")).first).to_be_visible()
        tb._shot(page, tmp_path, "21-roster-overstaffed-1400")
        page.set_viewport_size({"width": 800, "height": 2400})
        page.wait_for_timeout(1500)
        tb._shot(page, tmp_path, "22-roster-overstaffed-800")
        browser.close()
