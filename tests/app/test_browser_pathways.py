"""In a real browser: a scenario with discharge pathways, its levers on the Scenario page, NCTR on the Run page.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots go to a temporary
folder and to /tmp/app-shots/.
"""

from __future__ import annotations

from pathlib import Path

import tests.app.test_browser as tb

PATHWAYS = Path(__file__).resolve().parents[1] / "data" / "pathways_hospital.yaml"
pytestmark = tb.pytestmark
server = tb.server


def test_browser_pathway_levers_and_nctr_beside_the_peers(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        # Upload the scenario with pathways: one lever per pathway; 9 places on P2 reach the scenario
        tb._go(page, "Scenario")
        page.get_by_text("My own YAML file").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "pathways.yaml", "mimeType": "application/x-yaml", "buffer": PATHWAYS.read_bytes()}]
        )
        expect(page.get_by_text("Discharge pathways: patients fit to leave").first).to_be_visible(timeout=30_000)
        places = page.get_by_role("spinbutton", name="Places (community or rehabilitation beds)")
        expect(places).to_have_value("6")
        places.fill("9")
        places.press("Enter")
        tb._idle(page)
        expect(page.get_by_text("places: 6 → **9**").or_(page.get_by_text("6 → 9")).first).to_be_visible()
        tb._shot(page, tmp_path, "11-scenario-pathways")

        # Run it: patients fit to leave still in a bed, per bed beside the peers, and the chart by pathway
        tb._go(page, "Run")
        tb._short_run(page, days="14", warmup="7", reps="2")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("Patients medically fit to leave still in a bed").first).to_be_visible(timeout=120_000)
        expect(page.get_by_text("peers 0.26").first).to_be_visible()
        expect(page.get_by_text("Wait for P1")).to_be_visible()
        tb._shot(page, tmp_path, "12-run-pathways")
        page.get_by_role("tab", name="Discharge pathways").click()
        page.wait_for_timeout(2500)
        expect(page.locator(".vega-embed").last).to_be_visible()
        tb._shot(page, tmp_path, "13-run-nctr-chart")
        browser.close()
