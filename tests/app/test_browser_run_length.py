"""In a real browser: the Run page's default run is the scenario's own (the baseline's year after its warm-up, not
28 days), and the quick look says its figures are biased and by how much; Compare has the same defaults.

Uses the server and helpers of ``test_browser.py`` (Playwright in Debian's chromium); screenshots go to a temporary
folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import math
import re

import tests.app.test_browser as tb
from hospital_twin.scenario import load_scenario

pytestmark = tb.pytestmark
server = tb.server


def _settings(page) -> list[str]:
    if not page.get_by_role("spinbutton", name="Days measured").is_visible():
        page.get_by_text("Run length and replications").click()
    return [
        page.get_by_role("spinbutton", name=n).input_value() for n in ("Days measured", "Warm-up days", "Replications")
    ]


def test_browser_default_run_is_the_scenarios_own_and_the_quick_look_says_it_is_biased(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    s = load_scenario(tb.APP.parent / "scenarios" / "baseline.yaml")
    full = [str(math.ceil(s.horizon_days)), str(math.ceil(s.warmup_days)), str(max(s.replications, 5))]
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)

        tb._go(page, "Run")
        assert _settings(page) == full
        expect(page.get_by_text("The scenario's own run", exact=False)).to_be_visible()
        expect(page.get_by_text("Defaults are short", exact=False)).to_have_count(0)
        expect(page.get_by_text("these figures are biased", exact=False)).to_have_count(0)
        tb._shot(page, tmp_path, "41-run-default-length")

        page.get_by_role("button", name=re.compile(r"^Quick look \(28 days, biased\)")).click()
        tb._idle(page)
        expect(page.get_by_text("to simulate 28 days after", exact=False)).to_be_visible()
        assert _settings(page)[0] == "28"
        warning = page.locator('[data-testid="stAlert"]', has_text="these figures are biased")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("Measured on the baseline")
        expect(warning).to_contain_text(re.compile(r"hospital stay, mean [\d.]+ days against [\d.]+ days"))
        tb._shot(page, tmp_path, "42-run-quick-look")

        page.get_by_role("button", name=re.compile(r"^Back to the full run")).click()
        tb._idle(page)
        expect(page.get_by_text(f"to simulate {full[0]} days after", exact=False)).to_be_visible()
        assert _settings(page) == full

        tb._go(page, "Compare")
        assert _settings(page) == full
        expect(page.get_by_text("The scenario's own run", exact=False)).to_be_visible()
        browser.close()
