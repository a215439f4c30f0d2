"""The discharge pathways in the app: levers on the Scenario page, NCTR beside the peers' figure on the Run page."""

from __future__ import annotations

from pathlib import Path

import pytest
import state

from hospital_twin.scenario import Issue, load_scenario
from tests.app.conftest import charted_tabs, charts, no_exception, short_run_settings, wait_for_jobs

PATHWAYS = Path(__file__).resolve().parents[1] / "data" / "pathways_hospital.yaml"


def test_pathway_levers_untouched_leave_the_scenario_as_it_is():
    """Loading a scenario with pathways and applying its own levers changes nothing."""
    scn = load_scenario(PATHWAYS)
    data = state.scenario_dict(scn)
    lv = state.levers_of(scn)
    assert {n: p.kind for n, p in lv.pathways.items()} == {
        "P1": "daily",
        "P2": "pool",
        "P3": "daily",
        "other": "unlimited",
    }
    assert state.apply_levers(data, lv) == data


def test_pathway_levers_write_starts_places_shares_and_discharge_to_assess():
    """P1 at 4 starts a day, P3's Mon-Fri pattern scaled to 1 a day on average, P2 with 9 places at half its share,
    P1 assessed at home: the scenario validates with exactly those numbers, the other shares unchanged."""
    scn = load_scenario(PATHWAYS)
    lv = state.levers_of(scn)
    assert lv.pathways["P3"].starts_per_day == pytest.approx(4 / 7, abs=1e-4)  # 0.8 on five weekdays
    lv.pathways["P1"].starts_per_day = 4.0
    lv.pathways["P1"].community = True
    lv.pathways["P3"].starts_per_day = 1.0
    lv.pathways["P2"].places = 9
    lv.pathways["P2"].share_pct = 50.0
    out, issues = state.validate_data(state.apply_levers(state.scenario_dict(scn), lv))
    assert not issues
    p = out.discharge_pathways
    assert p["P1"].starts_per_day == 4.0 and p["P1"].assessment_in == "community"
    assert p["P3"].starts_by_weekday == pytest.approx([1.4] * 5 + [0, 0])
    assert p["P2"].places == 9 and p["P2"].stay == scn.discharge_pathways["P2"].stay
    assert out.pathway_shares == {"MED": {"P1": 0.15, "P2": 0.04, "P3": 0.04, "other": 0.03}}
    assert out.patient_classes["surgical"].pathway_shares == {"SURG": {"P1": 0.10}}


def test_pathway_share_lever_keeps_a_row_with_p0_adding_up_to_one():
    """Doubling P1 where a row gives P0 explicitly: P0 takes up the change, so the row still sums to 1."""
    scn = load_scenario(PATHWAYS)
    data = state.scenario_dict(scn)
    data["pathway_shares"]["MED"]["P0"] = 0.70
    scn, issues = state.validate_data(data)
    assert not issues
    lv = state.levers_of(scn)
    lv.pathways["P1"].share_pct = 200.0
    out, issues = state.validate_data(state.apply_levers(state.scenario_dict(scn), lv))
    assert not issues
    assert out.pathway_shares["MED"]["P1"] == pytest.approx(0.30)
    assert out.pathway_shares["MED"]["P0"] == pytest.approx(0.55)
    assert out.patient_classes["surgical"].pathway_shares["SURG"]["P1"] == pytest.approx(0.20)


def test_pathway_issues_are_shown_next_to_the_pathway_levers():
    """A problem under discharge_pathways or any pathway_shares belongs to the pathway lever, not the discharge one."""
    for field in ("discharge_pathways.P2.places", "pathway_shares.MED", "patient_classes.surgical.pathway_shares.SURG"):
        assert state.lever_of(Issue("f", 3, field, "x"))[0] == "pathways", field


def test_scenario_page_pathway_levers_change_the_scenario_and_say_why_when_wrong(app):
    """With pathways the page shows one lever per pathway; more P2 places reach the scenario the Run page uses, and
    five times the shares of P1 and P2 (0.75 + 0.40 + 0.07 of MED's patients) is reported next to the pathway levers."""
    app.switch_page("app_pages/scenario.py").run()
    app.radio(key="lv_source").set_value("My own YAML file").run()
    app.file_uploader(key="scn_upload").set_value(("pathways.yaml", PATHWAYS.read_bytes(), "application/x-yaml"))
    app.run()
    no_exception(app)
    assert app.number_input(key="lv_pw_P2_places").value == 6
    assert app.number_input(key="lv_pw_P1_starts").value == 2.5
    app.number_input(key="lv_pw_P2_places").set_value(9).run()
    no_exception(app)
    assert load_scenario_text_places(app.session_state["scn_edited"]) == 9
    app.number_input(key="lv_pw_P1_share").set_value(500.0).run()  # 0.75 + 0.08 + 0.07: still valid
    kept = app.session_state["scn_edited"]
    app.number_input(key="lv_pw_P2_share").set_value(500.0).run()
    errors = [e.value for e in app.error]
    assert any("pathway shares" in e.lower() and "more than 1" in e for e in errors), errors
    assert any("shown next to the levers" in e for e in errors)
    assert app.session_state["scn_edited"] == kept


def load_scenario_text_places(text: str) -> int:
    from hospital_twin.scenario import load_scenario_text

    return load_scenario_text(text, name="edited").discharge_pathways["P2"].places


@pytest.mark.slow
def test_run_page_shows_nctr_per_bed_beside_the_peers_and_the_pathway_chart(app):
    """A short run of the pathway scenario shows patients fit to leave still in a bed with the peers' 0.26 per bed,
    in words and as cards (no metric names), the delay by pathway in days, and the chart of NCTR by pathway."""
    app.switch_page("app_pages/scenario.py").run()
    app.radio(key="lv_source").set_value("My own YAML file").run()
    app.file_uploader(key="scn_upload").set_value(("pathways.yaml", PATHWAYS.read_bytes(), "application/x-yaml"))
    app.run()
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=14, warmup=7, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    cards = {m.label: m.value for m in app.metric}
    count = cards["Fit to leave, in a bed"]
    assert float(count) > 0
    assert any(c.value.startswith("0.") and "per bed (peers 0.26)" in c.value for c in app.caption)
    sentence = [m.value for m in app.markdown if m.value.startswith("Patients medically fit to leave still in a bed:")]
    assert sentence and sentence[0].endswith("peers 0.26).") and f": {count} (" in sentence[0]
    assert cards["Wait for P1"].endswith(" days") and cards["Wait for P3"].endswith(" days")
    assert cards["P2 places in use"].endswith(" of 6")
    assert any(c.value.startswith("home with support; 1 in 10 wait over ") for c in app.caption)
    words = " ".join([*cards, *cards.values(), *(c.value for c in app.caption), *(m.value for m in app.markdown)])
    assert "nctr" not in words and "pathway_" not in words
    specs = [c.proto.spec for c in charts(app)]  # census by hour of week, heat map, waits (no ED), NCTR by pathway
    assert len(charted_tabs(app)) == 4 and sum('"nctr_mean"' in spec for spec in specs) == 1
