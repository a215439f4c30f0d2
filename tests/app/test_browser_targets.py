"""In a real browser (issue 15, targets): the Run page judges ambulance handovers and planned operations cancelled on
the day against the NHS targets, red / amber / green, and the Targets expander changes them.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots go to a temporary
folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import re

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
server = tb.server

RAG = r"^(Green|Amber|Red): "


def test_browser_run_page_judges_handovers_and_cancellations(server, tmp_path):
    """One short baseline run: the handover card (over 45 minutes, target none, the mean handover in minutes) and
    the cancellations card (target 1% or less), each with its verdict and a tooltip in words; a target of 100% set
    in the expander turns the handover card green."""
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
        metrics = page.locator('[data-testid="stMetric"]')
        expect(metrics.first).to_be_visible(timeout=120_000)

        def card(label: str):
            return page.locator('[data-testid="stVerticalBlock"]').filter(has=page.get_by_text(label, exact=True)).last

        handover = card("ED: ambulance handovers over 45 minutes")
        expect(handover.get_by_text(re.compile(r"mean handover \d+(\.\d)? minutes"))).to_be_visible()
        expect(
            handover.get_by_text(re.compile(RAG + r"(none, as targeted|.*against the target of none)"))
        ).to_be_visible()
        cancelled = card("Planned operations cancelled on the day")
        expect(cancelled.get_by_text(re.compile(RAG + r".*target 1% or less"))).to_be_visible()
        handover.locator('[data-testid="stTooltipIcon"]').hover()
        expect(page.get_by_text(re.compile(r"arriving by ambulance.*45 minutes.*Higher is worse")).last).to_be_visible()
        page.mouse.move(0, 0)
        tb._shot(page, tmp_path, "41-run-handover-cancellations")

        page.get_by_text("Targets (red / amber / green on the cards)").click()
        box = page.get_by_role("spinbutton", name=re.compile(r"^Ambulance handovers over 45 minutes"))
        box.fill("100")
        box.press("Enter")
        tb._idle(page)
        expect(
            card("ED: ambulance handovers over 45 minutes").get_by_text("Green: meets the target 100% or less")
        ).to_be_visible()
        browser.close()
