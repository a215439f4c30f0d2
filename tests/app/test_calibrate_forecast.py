"""AppTest: the Calibrate page (shipped samples, bad uploads) and the Forecast page."""

from __future__ import annotations

import pytest

from tests.app.conftest import charts, no_exception, short_run_settings, wait_for_jobs


@pytest.mark.slow
def test_calibrate_shipped_sample_fits_and_offers_the_scenario(app):
    """The MIMIC-IV extract is read, fitted in the worker, and its scenario offered for download."""
    app.switch_page("app_pages/calibrate.py").run()
    app.selectbox(key="cal_sample").set_value(
        next(o for o in app.selectbox(key="cal_sample").options if o.startswith("MIMIC"))
    ).run()
    app.button(key="cal_run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Rows read"] == "31"
    assert (
        int(metrics["Used"]) + int(metrics["Rejected"]) + int(metrics["Ignored (no unit change)"].replace(",", ""))
        == 31
    )
    assert any(w.value.startswith("Dates are SHIFTED") for w in app.warning)
    assert app.dataframe
    labels = [b.label for b in app.get("download_button")]
    assert "Download the calibrated scenario (YAML)" in labels
    result = app.session_state["cal_args"]
    import ui

    yaml_text = ui.load_result("calibrate", *result)["yaml"]
    import state

    scn = state.scenario_from_text(yaml_text, "calibrated.yaml")  # the fitted scenario validates
    assert scn.units


@pytest.mark.slow
def test_calibrate_use_as_current_scenario(app):
    """'Use it as the current scenario' (offered for the default sample, a year whose fits are good) makes the other
    pages work on the fitted scenario."""
    app.switch_page("app_pages/calibrate.py").run()
    assert app.selectbox(key="cal_sample").value.startswith("A year of a small district hospital")
    app.button(key="cal_run_btn").click().run()
    wait_for_jobs(app)
    app.button(key="cal_use_btn").click().run()
    no_exception(app)
    app.switch_page("app_pages/scenario.py").run()
    no_exception(app)
    assert any("calibrated.yaml" in s.value for s in app.success)


def test_calibrate_upload_binary_and_bad_columns(app):
    """A binary file and a CSV without the ADT columns get messages in words."""
    app.switch_page("app_pages/calibrate.py").run()
    app.radio(key="cal_source").set_value("Upload my ADT log").run()
    app.file_uploader(key="cal_log_upload").set_value(("log.csv", b"\x00\x01\x02binary", "text/csv")).run()
    no_exception(app)
    assert any("binary file" in e.value for e in app.error)
    app.file_uploader(key="cal_log_upload").set_value(("log.csv", b"a,b\n1,2\n", "text/csv")).run()
    app.button(key="cal_run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    assert any(e.value.startswith("log.csv: missing required column(s) patient_id") for e in app.error), [
        e.value for e in app.error
    ]


@pytest.mark.slow
def test_calibrate_upload_rows_not_used_are_numbered_as_the_file_counts_them(app):
    """A row not used is listed with its row in the user's file (header = row 1) and why, in words; a log of two
    patients is graded poor and not offered as the scenario."""
    log = (
        b"patient_id,unit,start,end\n"
        b"1,WARD,2025-01-01T08:00:00,2025-01-03T10:00:00\n"
        b"2,WARD,yesterday,2025-01-04T10:00:00\n"
        b"3,WARD,2025-01-02T09:00:00,2025-01-05T12:00:00\n"
    )
    app.switch_page("app_pages/calibrate.py").run()
    app.radio(key="cal_source").set_value("Upload my ADT log").run()
    app.file_uploader(key="cal_log_upload").set_value(("ward.csv", log, "text/csv")).run()
    app.button(key="cal_run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    rejects = next(d.value for d in app.dataframe if {"row", "why"} <= set(d.value.columns))
    assert rejects["row"].tolist() == [3]
    assert rejects["why"].iloc[0].startswith("start is not a date and time (start=yesterday)")
    assert any(e.value.startswith("Fit quality: poor") for e in app.error)
    assert "cal_use_btn" not in [b.key for b in app.button]


@pytest.mark.slow
def test_forecast_from_last_run_fan_chart_and_p_full(app):
    """A census taken from the last run's log gives a 72-hour fan chart and the chance each unit is full."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=5, warmup=7, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    app.switch_page("app_pages/forecast.py").run()
    no_exception(app)
    app.number_input(key="fc_reps").set_value(20).run()
    app.button(key="fc_run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    assert charts(app)
    table = app.dataframe[0].value
    assert {"unit", "beds", "chance full at some hour"} <= set(table.columns)
    assert table["chance full at some hour"].between(0, 1).all()
    assert "in 72 h (90% range)" in table.columns


def test_forecast_bad_snapshot_names_the_line(app):
    """A snapshot naming an unknown unit is refused with its line number."""
    app.switch_page("app_pages/forecast.py").run()
    app.radio(key="fc_source").set_value("Upload a snapshot (CSV)").run()
    snap = b"patient_id,unit,unit_start\np1,MED,2025-01-05T10:00:00\np2,NOWHERE,2025-01-05T11:00:00\n"
    app.file_uploader(key="fc_snap_upload").set_value(("snap.csv", snap, "text/csv")).run()
    no_exception(app)
    assert any("cannot be used" in e.value for e in app.error)
    text = " ".join(m.value for m in app.markdown)
    assert "line 3" in text and "NOWHERE" in text


def test_forecast_snapshot_from_an_uploaded_adt_log(app):
    """An uploaded event log gives the census at the chosen time, ready to forecast."""
    from hospital_twin import load_scenario, run_scenario
    from tests.conftest import SCENARIOS

    s = load_scenario(SCENARIOS / "baseline.yaml").with_warmup(3)
    log = run_scenario(s.model_copy(update={"horizon_days": 3.0}), replications=1).adt_log
    data = log.drop(columns=["rep"]).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S").encode()
    app.switch_page("app_pages/forecast.py").run()
    app.radio(key="fc_source").set_value("From an ADT log (upload)").run()
    app.file_uploader(key="fc_log_upload").set_value(("adt_log.csv", data, "text/csv")).run()
    no_exception(app)
    assert not app.error, [e.value for e in app.error]
    assert any(c.value.startswith("Snapshot at") and "patients in beds" in c.value for c in app.caption)
    assert app.button(key="fc_run_btn")
