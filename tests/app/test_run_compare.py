"""AppTest: the Run page (background run, KPI cards, charts, zip, cache, cancel) and the Compare page."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.app.conftest import charted_tabs, charts, no_exception, short_run_settings, wait_for_jobs


@pytest.mark.slow
def test_run_page_shows_kpis_with_intervals_and_four_charts(app):
    """A short baseline run in the worker shows KPI cards with 95% intervals, the charts and a results zip."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app)
    app.button(key="run_btn").click().run()
    assert app.get("progress"), "the run should go to the background with a progress bar"
    wait_for_jobs(app)
    no_exception(app)
    cards = {m.label: m.value for m in app.metric}
    assert cards["G&A occupancy at midnight"].endswith("%")
    occupancy = float(cards["G&A occupancy at midnight"].rstrip("%"))
    assert 40 < occupancy < 100
    assert "ED: left within 4 hours" in cards
    assert any(c.value.startswith("95% interval") for c in app.caption)
    import state

    from hospital_twin.scenario import load_scenario

    shipped = load_scenario(state.baseline_path())
    pathways = bool(shipped.discharge_pathways)  # then NCTR by pathway too
    levels = bool(shipped.escalation_levels)  # then the time at each escalation level too (issue 14's baseline)
    assert len(charted_tabs(app)) == 4 + pathways + levels  # census by hour of week, heat map, waits, ED 4-hour
    data = app.session_state["run_args"]
    import jobs

    key = jobs.job_key("run", *data, "")
    with zipfile.ZipFile(io.BytesIO((jobs.cached_path(key).parent / "results.zip").read_bytes())) as z:
        names = {n.split("/", 1)[1] for n in z.namelist()}
    assert {"summary.csv", "kpis.csv", "census.csv", "adt_log.csv", "run.json", "scenario.yaml"} <= names


@pytest.mark.slow
def test_run_page_same_settings_come_from_the_cache(app):
    """Pressing Run again with the same scenario, seed and replications starts no new worker."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=3, warmup=3, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    first = app.session_state["jobs"]["run"]
    app.button(key="run_btn").click().run()
    assert app.session_state["jobs"]["run"] is first
    assert not app.get("progress")
    assert app.metric


def test_run_page_cancel_stops_the_worker(app):
    """Cancel ends the worker process and says so; no results are shown."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=200, warmup=7, reps=4)
    app.button(key="run_btn").click().run()
    job = app.session_state["jobs"]["run"]
    assert app.get("progress")
    app.button(key="cancel_run_btn").click().run()
    job.proc.wait(timeout=10)
    app.run()
    no_exception(app)
    assert any("Cancelled" in i.value for i in app.info)
    assert not app.metric


@pytest.mark.slow
def test_compare_page_verdicts_and_forest_plot(app):
    """Baseline against four more ICU beds: plain-words verdicts from the paired differences and a forest plot."""
    app.switch_page("app_pages/compare.py").run()
    assert app.multiselect(key="cmp_whatifs").value  # a what-if is suggested
    short_run_settings(app, prefix="cmp_rs_", horizon=7, warmup=7, reps=3)
    app.button(key="cmp_run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    sentences = [m.value for m in app.markdown if m.value.startswith("- ")]
    assert sentences
    assert all("4 more ICU beds" in s for s in sentences), sentences
    # four more ICU beds under common random numbers: the ICU's share of occupied beds must fall
    assert any(
        "4 more ICU beds and 3 more ICU nurses a shift cut bed occupancy in ICU from " in s for s in sentences
    ), sentences
    assert charts(app), "the forest plot"
    assert app.dataframe


def test_compare_page_needs_a_whatif(app):
    """With no what-if picked the page asks for one instead of failing."""
    app.switch_page("app_pages/compare.py").run()
    app.multiselect(key="cmp_whatifs").set_value([]).run()
    no_exception(app)
    assert any("Pick at least one what-if" in i.value for i in app.info)


@pytest.mark.slow
def test_run_page_html_report_on_demand(app):
    """After a run, the HTML report is built in the background and offered for download."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=3, warmup=3, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    app.button(key="run_report_btn").click().run()
    wait_for_jobs(app, timeout_s=180)
    no_exception(app)
    labels = [b.label for b in app.get("download_button")]
    assert "Download the HTML report" in labels
    import jobs

    key = jobs.job_key("report", jobs.job_key("run", *app.session_state["run_args"], ""))
    html = jobs.load_cached(key)["html"]
    assert html.startswith("<!doctype html>") or html.lower().startswith("<!doctype html")
    assert "vega-spec" in html


PRESSURED = """\
name: Pressured little hospital
start: 2025-01-06T00:00:00
horizon_days: 7
warmup_days: 2
replications: 2
seed: 5
units:
  ED:
    beds: 10
    kind: ed
    ed:
      clinicians: 2
      assessment: {distribution: gamma, mean_minutes: 20, cv: 0.5}
  MED:
    beds: 6
    outlying: {hosts: [SURG], after_hours: 1}
  SURG: {beds: 6, max_outliers: 2}
arrivals:
  - name: walk_in
    unit: ED
    per_day: 40
    patience: {distribution: exponential, mean_hours: 2}
routes:
  ED: {exit: 0.7, MED: 0.3}
length_of_stay:
  ED: {distribution: lognormal, median_hours: 1.5, p90_hours: 4}
  MED: {distribution: lognormal, mean_days: 2, cv: 0.8}
  SURG: {distribution: lognormal, mean_days: 2, cv: 0.8}
discharge: {window_hours: [8, 20]}
discharge_lounges:
  LOUNGE: {places: 3, time_there: {distribution: lognormal, median_hours: 2, p90_hours: 4}, hours: [8, 20]}
"""


def test_run_page_cards_for_gridlock_outliers_lwbs_and_the_lounge(app):
    """A hospital offered twice its medical beds, with outlying, ED patience and a lounge: the Run page shows a
    red card for the gridlocked runs and cards for outliers, patients left unseen, the lounge and those still waiting."""
    app.session_state["scn_edited"] = PRESSURED
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=7, warmup=2, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    cards = {m.label: m.value for m in app.metric}
    for label in (
        "Still waiting for a bed at the end",
        "ED: left without being seen",
        "Admissions placed on another ward (outliers)",
        "Discharge lounge LOUNGE: patients",
        "Discharge lounge LOUNGE: places in use, average",
    ):
        assert label in cards, sorted(cards)
    assert cards["Admissions placed on another ward (outliers)"].endswith("%")
    assert cards["Discharge lounge LOUNGE: patients"].endswith("a day")
    alarms = [e.value for e in app.error]
    assert any(a.startswith("**2 of 2 replications gridlocked.**") for a in alarms), alarms
    assert not any("_share" in label or "_mean" in label for label in cards)  # no metric ids on the cards


ESCALATING = """\
name: Escalating little hospital
start: 2025-01-06T00:00:00
horizon_days: 7
warmup_days: 2
replications: 2
seed: 5
units:
  ED:
    beds: 10
    kind: ed
    ed:
      clinicians: 2
      assessment: {distribution: gamma, mean_minutes: 20, cv: 0.5}
  MED: {beds: 6}
  SURG: {beds: 6}
arrivals:
  - {name: walk_in, unit: ED, per_day: 20}
routes:
  ED: {exit: 0.8, MED: 0.2}
length_of_stay:
  ED: {distribution: lognormal, median_hours: 1.5, p90_hours: 4}
  MED: {distribution: lognormal, mean_days: 1.2, cv: 0.8}
  SURG: {distribution: lognormal, mean_days: 2, cv: 0.8}
electives:
  - {name: ops, unit: SURG, per_weekday: [3, 3, 3, 3, 3, 0, 0], hour: 9}
escalation_levels:
  GA:
    units: [MED, SURG]
    levels:
      - {level: 2, enter_at: 0.5, leave_below: 0.4, actions: {open_beds: {MED: 2}}}
      - {level: 3, enter_at: 0.8, leave_below: 0.7, actions: {ed_spaces: {ED: 3}, postpone_electives: 0.5}}
"""


def test_run_page_escalation_cards_and_level_chart(app):
    """A small hospital that reaches OPEL 3: cards for the time at OPEL 3 or 4, escalation beds, extra ED spaces and
    postponed electives, and a chart of the time at each level."""
    app.session_state["scn_edited"] = ESCALATING
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=7, warmup=2, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    cards = {m.label: m.value for m in app.metric}
    for label in (
        "Time at OPEL 3 or 4",
        "Escalation beds open on average",
        "Extra ED spaces open on average",
        "Electives postponed",
    ):
        assert label in cards, sorted(cards)
    share, days = cards["Time at OPEL 3 or 4"].rstrip(" days)").split("% (")
    assert 0 < float(share) <= 100 and float(days) == pytest.approx(float(share) / 100 * 7, abs=0.06)
    assert float(cards["Escalation beds open on average"]) <= 2  # MED opens at most 2
    assert cards["Electives postponed"].endswith("in 7 days")
    assert len(charted_tabs(app)) == 5  # the four of every run and the time at each escalation level
    assert not any("_" in label for label in cards)  # no metric ids on the cards
