"""AppTest: what beds cost (issue 15, money): the Run page's cost block (a year's bed cost by kind, rates and their
file, your own costs file) and the Compare page's cost of a what-if beside what it buys."""

from __future__ import annotations

import re

import pytest

from tests.app.conftest import no_exception, short_run_settings, wait_for_jobs

COSTS = b"""currency: GBP
price_year: 2025/26
bed_day_gbp: 1000
escalation_bed_day_gbp: 1200
nurse_hour_gbp: {default: 25}
bank_nurse_hour_gbp: 28
agency_nurse_hour_gbp: 45
"""


@pytest.mark.slow
def test_run_page_shows_a_years_bed_cost_by_kind_with_its_rates(app):
    """A short baseline run: cards of a year's bed cost (all beds, G&A, escalation, critical care) in pounds with
    95% intervals, and the rates named with their file, scenarios/costs.yaml."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=7, warmup=7, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    cards = {m.label: m.value for m in app.metric}
    for label in (
        "Bed cost a year, all beds",
        "G&A beds a year",
        "Escalation beds a year",
        "Critical care beds a year",
    ):
        assert re.fullmatch(r"£[\d.,]+[mk]?", cards[label]), (label, cards.get(label))
    text = " ".join(c.value for c in app.caption)
    assert "Rates from scenarios/costs.yaml (2025/26 prices): G&A bed-day £450" in text
    assert "scaled to 365 days" in text
    assert any(e.label.startswith("Unit costs: scenarios/costs.yaml") for e in app.expander)


def test_a_costs_file_without_a_critical_care_rate_leaves_critical_care_unpriced():
    """With a costs file that has no critical care rate, the critical care card says 'not priced' rather than a
    figure, the page names the file and the total card is 'priced beds' (pure helper on a stored result)."""
    import sys

    from tests.app.conftest import APP

    sys.path.insert(0, str(APP))
    import ui

    from hospital_twin.experiment.runner import run_scenario
    from hospital_twin.scenario.costs import CostRates
    from hospital_twin.scenario.io import load_scenario
    from tests.conftest import SCENARIOS

    s = load_scenario(SCENARIOS / "baseline.yaml").model_copy(update={"horizon_days": 2.0, "warmup_days": 1.0})
    result = run_scenario(s, replications=2, seed=1, keep_census=True, keep_log=False)
    rates = CostRates(
        bed_day_gbp=1000,
        escalation_bed_day_gbp=1200,
        nurse_hour_gbp={"default": 25},
        bank_nurse_hour_gbp=28,
        agency_nurse_hour_gbp=45,
    )
    cards = {c[0]: c for c in ui.bed_cost_cards(result, rates, "mine.yaml (uploaded)")}
    assert cards["Critical care beds a year"][1] == "not priced"
    assert "mine.yaml (uploaded) has no rate" in cards["Critical care beds a year"][3]
    assert "at £1,000 a bed-day (mine.yaml (uploaded))" in cards["G&A beds a year"][3]

    # the total leaves critical care out, so it is not called 'all beds'
    assert "Bed cost a year, all beds" not in cards
    assert "critical care not priced: left out" in cards["Bed cost a year, priced beds"][3]


@pytest.mark.slow
def test_compare_page_says_what_escalation_beds_cost_and_buy(app):
    """Baseline against the escalation beds what-if: a sentence with the escalation beds' cost a year, its interval,
    the rate, the cost of all beds, and what it buys."""
    app.switch_page("app_pages/compare.py").run()
    pick = [k for k in app.multiselect(key="cmp_whatifs").options if "Escalation beds on medical wards" in k]
    app.multiselect(key="cmp_whatifs").set_value(pick).run()
    short_run_settings(app, prefix="cmp_rs_", horizon=14, warmup=7, reps=3)
    app.button(key="cmp_run_btn").click().run()
    wait_for_jobs(app, timeout_s=240)
    no_exception(app)
    assert any(h.value == "What it costs and what it buys" for h in app.subheader)
    sentence = next(m.value for m in app.markdown if "escalation beds open on average" in m.value)
    assert re.search(r"more escalation beds open on average, at £510 a bed-day, cost (about £|no clear)", sentence)
    assert re.search(r"95% interval -?£[\d.,]+[mk]? to -?£", sentence), sentence
    assert "all beds (occupied G&A, escalation and critical care) cost" in sentence
    assert "It buys" in sentence
    assert any("scenarios/costs.yaml" in c.value for c in app.caption)
