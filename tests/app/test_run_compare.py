"""AppTest: the Run page (background run, KPI cards, charts, zip, cache, cancel) and the Compare page."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.app.conftest import charts, no_exception, short_run_settings, wait_for_jobs


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
    assert cards["Inpatient bed occupancy"].endswith("%")
    occupancy = float(cards["Inpatient bed occupancy"].rstrip("%"))
    assert 40 < occupancy < 100
    assert "ED: left within 4 hours" in cards
    assert any(c.value.startswith("95% interval") for c in app.caption)
    assert len(charts(app)) == 4  # census by hour of week, heat map, waits, ED 4-hour
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
    assert any(s.startswith("- 4 more ICU beds cut bed occupancy in ICU by ") for s in sentences), sentences
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
