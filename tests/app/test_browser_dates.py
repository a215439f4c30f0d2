"""In a real browser: dates on the Scenario page (issue 15, finding 4).

A surge that the run never measures is said, in words, next to the lever; reversed surge dates are one error in
words, not one YAML path per arrival stream; a date typed and applied with Enter reaches the scenario. Uses the
helpers of ``test_browser.py`` (Playwright in Debian's chromium), one server for the module; screenshots go to a
temporary folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import pytest

import tests.app.test_browser as tb

pytestmark = tb.pytestmark


@pytest.fixture(scope="module")
def dpage(tmp_path_factory):
    """One server and one browser page for the module, at the Scenario page with the shipped baseline."""
    from playwright.sync_api import expect, sync_playwright

    tmp = tmp_path_factory.mktemp("dates")
    serve = tb.server.__wrapped__(tmp)  # the server of test_browser.py, started once for this module
    url = next(serve)
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 2200})
        pg.set_default_timeout(30_000)
        pg.goto(url)
        expect(pg.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)
        yield pg
        browser.close()
    next(serve, None)


def _scenario(page, pick: str = "Baseline 450-bed English acute trust", *, surge: bool = True):
    """The Scenario page with ``pick`` chosen and (``surge``) a surge of x1.20 set, the dates left as they are."""
    from playwright.sync_api import expect

    tb._go(page, "Scenario")
    box = page.get_by_role("combobox", name="Scenario")
    if pick not in box.input_value():
        box.click()
        page.keyboard.type(pick[:24])
        page.get_by_role("option", name=pick).first.click()
        tb._idle(page)
    if not surge:
        return
    slider = page.get_by_role("slider", name="Surge: arrivals multiplied by")
    slider.focus()
    slider.press("Home")  # x1.00, whatever an earlier test left
    tb._idle(page)
    for _ in range(12):  # a key pressed while the page reruns may be lost: step until x1.20
        now = slider.get_attribute("aria-valuetext")
        if now == "x1.20":
            break
        slider.press("ArrowRight" if now < "x1.20" else "ArrowLeft")
        tb._idle(page)
    expect(slider).to_have_attribute("aria-valuetext", "x1.20")


def _type_date(page, label: str, day: str, *, then: str = "Enter") -> None:
    """Type a date (``2025-02-24``) into the field ``label`` as a person would, then press ``then``.

    A text field takes the whole date; a date picker of segments (the app before this change) takes year, month
    and day in turn."""
    box = page.get_by_role("textbox", name=label)
    if box.count():
        box.click()
        box.press("Control+a")
        page.keyboard.type(day)
    else:
        page.get_by_role("spinbutton", name=f"year, {label}").click()
        page.keyboard.type(day.replace("-", ""))
    page.keyboard.press(then)


def test_browser_a_surge_in_the_warm_up_or_after_the_end_is_said_in_words(dpage, tmp_path):
    """The winter surge what-if under the default run (its own year, measured 3 Feb 2025 - 2 Feb 2026): its January
    2025 months lie in the warm-up, its February 2026 runs past the end, its December 2025 is measured, and the page
    says so next to the surge lever."""
    page = dpage
    from playwright.sync_api import expect

    _scenario(page, "What-if: Winter surge (upper-quartile NHS winter, Dec-Feb)", surge=False)
    january = "'January bed demand' x1.07) (1 Jan 2025 until 1 Feb 2025) ends before measurement starts on 3 Feb 2025"
    expect(page.get_by_text(january).first).to_be_visible()
    expect(page.get_by_text("it will not be measured").first).to_be_visible()
    february = "'February bed demand' x1.05) (1 Feb 2026 until 1 Mar 2026) runs past the end of the run on 2 Feb 2026"
    expect(page.get_by_text(february).first).to_be_visible()
    expect(page.get_by_text("(1 Dec 2025 until 1 Jan 2026) starts after the run ends")).to_have_count(0)
    tb._shot(page, tmp_path, "21-scenario-dates-warm-up")


def test_browser_reversed_surge_dates_are_one_error_in_words(dpage, tmp_path):
    """From 20 Feb until 10 Feb: one error saying to swap the dates; no YAML path, not once per arrival stream."""
    page = dpage
    from playwright.sync_api import expect

    _scenario(page)
    _type_date(page, "Surge from", "2025-02-20", then="Tab")
    tb._idle(page)
    _type_date(page, "Surge until (not included)", "2025-02-10", then="Tab")
    tb._idle(page)
    page.wait_for_timeout(1000)
    tb._idle(page)
    alerts = page.locator('[data-testid="stAlert"]')
    texts = [a.inner_text() for a in alerts.all()]
    swaps = [t for t in texts if "swap" in t]
    tb._shot(page, tmp_path, "22-scenario-dates-reversed")
    assert len(swaps) == 1, texts
    assert "ends (10 Feb 2025) before it starts (20 Feb 2025)" in swaps[0]
    assert not any("multipliers" in t or "line " in t for t in texts), texts
    expect(page.get_by_text("The scenario has problems").first).to_be_visible()


def test_browser_a_typed_date_applied_with_enter_reaches_the_scenario(dpage, tmp_path):
    """A date typed and confirmed with Enter is the one the scenario uses ('What you changed' shows it), and it
    is still there after going to Run and back."""
    page = dpage
    from playwright.sync_api import expect

    _scenario(page)
    _type_date(page, "Surge from", "2025-02-03")
    tb._idle(page)
    _type_date(page, "Surge until (not included)", "2025-02-24")
    changed = page.locator('[data-testid="stExpander"]').filter(has_text="What you changed")
    expect(changed.get_by_text("24 Feb 2025").first).to_be_visible(timeout=15_000)
    tb._go(page, "Run")
    tb._go(page, "Scenario")
    expect(changed.get_by_text("24 Feb 2025").first).to_be_visible(timeout=15_000)
    tb._shot(page, tmp_path, "23-scenario-dates-typed")
