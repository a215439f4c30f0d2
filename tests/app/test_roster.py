"""AppTest: the Staffing & roster page, from simulated demand to a downloadable roster."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import charts, no_exception, wait_for_jobs

STAFF = Path(__file__).resolve().parent / "data" / "icu_staff.csv"


@pytest.mark.slow
def test_roster_page_levels_then_roster_with_downloads(app):
    """Levels from a short simulation, then a one-week ICU roster with CSV, Excel and iCalendar downloads."""
    app.switch_page("app_pages/roster.py").run()
    no_exception(app)
    app.number_input(key="ro_weeks").set_value(1).run()
    app.number_input(key="ro_reps").set_value(2).run()
    app.button(key="ro_levels_btn").click().run()
    wait_for_jobs(app, timeout_s=180)
    no_exception(app)
    levels = app.dataframe[0].value
    assert {"unit", "shift", "Mon", "Sun"} <= set(levels.columns)
    assert "ICU" in set(levels["unit"])
    opts = app.radio(key="ro_staff_src").options
    app.radio(key="ro_staff_src").set_value(opts[-1]).run()  # upload
    bad = STAFF.read_text().replace("ICU03,Nurse 3,band5,RN,ICU,false,37.5", "ICU03,Nurse 3,band5,RN,ICU,false,lots")
    app.file_uploader(key="ro_staff_upload").set_value(("staff.csv", bad.encode(), "text/csv")).run()
    no_exception(app)
    assert any("problem" in e.value for e in app.error)
    assert any("line 4" in m.value and "contract_hours_per_week" in m.value for m in app.markdown)
    app.file_uploader(key="ro_staff_upload").set_value(("icu_staff.csv", STAFF.read_bytes(), "text/csv")).run()
    no_exception(app)
    app.multiselect(key="ro_units").set_value(["ICU"]).run()
    app.number_input(key="ro_limit").set_value(5).run()
    app.button(key="ro_build_btn").click().run()
    wait_for_jobs(app, timeout_s=180)
    no_exception(app)
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["Shifts rostered"].replace(",", "")) > 0
    # over-staffing is said in words, with WTE and the cost of the surplus (scenarios/costs.yaml)
    assert {"Shifts above target", "WTE needed / rostered", "Surplus WTE"} <= set(metrics)
    assert any(k.startswith("Cost of the surplus") and v.startswith("£") for k, v in metrics.items())
    assert any("staffed" in m.value for m in [*app.error, *app.warning, *app.success])
    # a roster short of staff is never shown green: the shortage leads, in a red box
    assert not any("short of the target" in m.value for m in app.success)
    assert all(m.value.startswith("Short-staffed:") for m in app.error if "short of the target" in m.value)
    labels = {b.label for b in app.get("download_button")}
    assert {"Download roster (CSV)", "Download roster (Excel)", "Download calendars (.ics, zip)"} <= labels
    grid = next(d.value for d in app.dataframe if "staff_id" in d.value.columns)
    assert {"staff_id", "name"} <= set(grid.columns) and len(grid) >= 1
    assert charts(app), "cover against requirement"


@pytest.mark.slow
def test_roster_page_shows_a_short_roster_in_red_leading_with_the_shortage(app):
    """Two ICU nurses for a week of ICU levels: people short on most shifts; the verdict box is red and starts
    with the shortage, never the green 'not over-staffed' box."""
    app.switch_page("app_pages/roster.py").run()
    app.number_input(key="ro_weeks").set_value(1).run()
    app.number_input(key="ro_reps").set_value(2).run()
    app.button(key="ro_levels_btn").click().run()
    wait_for_jobs(app, timeout_s=180)
    app.radio(key="ro_staff_src").set_value(app.radio(key="ro_staff_src").options[-1]).run()  # upload
    two = "\n".join(STAFF.read_text().splitlines()[:3]) + "\n"
    app.file_uploader(key="ro_staff_upload").set_value(("two.csv", two.encode(), "text/csv")).run()
    app.multiselect(key="ro_units").set_value(["ICU"]).run()
    app.number_input(key="ro_limit").set_value(5).run()
    app.button(key="ro_build_btn").click().run()
    wait_for_jobs(app, timeout_s=180)
    no_exception(app)
    assert not any("staffed" in m.value for m in app.success), [m.value for m in app.success]
    assert any(m.value.startswith("Short-staffed: ") for m in app.error), [m.value for m in app.error]


def test_roster_page_starts_with_step_one(app):
    """Before any levels exist the page explains the first step instead of failing."""
    app.switch_page("app_pages/roster.py").run()
    no_exception(app)
    assert app.button(key="ro_levels_btn")
    assert any("Derive staffing levels" in i.value for i in app.info)
