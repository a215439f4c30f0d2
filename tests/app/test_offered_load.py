"""AppTest: the offered load and its overload warnings on the Scenario page, and beside the occupancy after a run."""

from __future__ import annotations

import pytest

from tests.app.conftest import no_exception, short_run_settings, wait_for_jobs


def _load_frame(app):
    frames = [d.value for d in app.dataframe if "offered load" in d.value.columns]
    assert frames, "no offered-load table on the page"
    return frames[0]


def test_scenario_page_shows_offered_load_and_warns_on_overload(app):
    """The baseline's offered load per unit appears without a warning for the AMU (its wards are flagged by under 2
    beds, which the OPEL card carries: tests/scenario/test_load.py); cutting the AMU to 32 beds warns by how much."""
    app.switch_page("app_pages/scenario.py").run()
    no_exception(app)
    frame = _load_frame(app).set_index("unit")
    assert frame.loc["AMU", "offered load"] == "45.9"
    assert frame.loc["AMU", "Erlang"] == "wait 28.8%"
    assert not [w for w in app.warning if w.value.startswith("AMU")]
    app.number_input(key="lv_beds_AMU").set_value(32).run()
    no_exception(app)
    assert any("AMU: overloaded by 13.9 beds (load 45.9 for 32 beds)" in w.value for w in app.warning)


@pytest.mark.slow
def test_run_page_shows_offered_load_beside_simulated_occupancy(app):
    """After a run, the Offered load tab has the simulated occupancy column and the points to note are shown."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app, horizon=3, warmup=3, reps=2)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    frame = _load_frame(app)
    assert {"simulated", "offered load", "Erlang"} <= set(frame.columns)
    assert any("Points to note" in i.value for i in app.info)


def test_scenario_page_shows_the_discharge_pathways_load_and_its_overload(app):
    """A scenario with discharge pathways: a table of them under the unit table, and the overloaded P3 warned."""
    from tests.cli.test_cli_load import PATHWAYS

    app.session_state["scn_upload_text"] = PATHWAYS
    app.session_state["scn_upload_name"] = "pathways.yaml"
    app.switch_page("app_pages/scenario.py").run()
    app.radio(key="lv_source").set_value("My own YAML file").run()
    no_exception(app)
    frames = [d.value for d in app.dataframe if "NCTR beds" in d.value.columns]
    assert frames, "no pathway table on the page"
    frame = frames[0].set_index("pathway")
    assert frame.loc["P2 (community beds)", "use"] == "81%"
    assert frame.loc["P3 (care home)", "wait h"] == "∞"
    assert any("P3 is overloaded: 0.9 ready patients a day" in w.value for w in app.warning)
