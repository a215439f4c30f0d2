"""AppTest: the Scenario page checks dated levers against the run settings, and says each problem once."""

from __future__ import annotations

import datetime as dt

from tests.app.conftest import no_exception


def _scenario_page(app):
    app.switch_page("app_pages/scenario.py").run()
    no_exception(app)
    return app


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_a_january_surge_inside_the_warm_up_is_warned_about_next_to_the_lever(app):
    """1 Jan - 1 Feb with the default run (measured from 3 Feb): a warning in words, the scenario still ready."""
    _scenario_page(app)
    app.slider(key="lv_surge").set_value(1.2).run()
    app.date_input(key="lv_surge_from").set_value(dt.date(2025, 1, 1)).run()
    app.date_input(key="lv_surge_to").set_value(dt.date(2025, 2, 1)).run()
    no_exception(app)
    warnings = [w for w in _texts(app.warning) if w.startswith("Your surge")]
    assert len(warnings) == 1, _texts(app.warning)
    assert "ends before measurement starts on 3 Feb 2025: it will not be measured" in warnings[0]
    assert any("Ready" in s for s in _texts(app.success))


def test_the_window_follows_the_run_settings(app):
    """Measuring 7 days after a 7-day warm-up (13 to 20 Jan) puts a 3 Feb surge after the end."""
    app.switch_page("app_pages/run.py").run()
    app.number_input(key="rs_horizon").set_value(7).run()
    app.number_input(key="rs_warmup").set_value(7).run()
    _scenario_page(app)
    app.slider(key="lv_surge").set_value(1.2).run()
    app.date_input(key="lv_surge_from").set_value(dt.date(2025, 2, 3)).run()
    app.date_input(key="lv_surge_to").set_value(dt.date(2025, 2, 17)).run()
    warnings = [w for w in _texts(app.warning) if w.startswith("Your surge")]
    assert len(warnings) == 1 and "starts after the run ends on 20 Jan 2025" in warnings[0], _texts(app.warning)


def test_reversed_surge_dates_are_one_error_in_words_and_the_last_valid_scenario_is_kept(app):
    """Until before from: one error naming the dates (not one per arrival stream, no YAML path in it)."""
    _scenario_page(app)
    app.slider(key="lv_surge").set_value(1.2).run()
    kept = app.session_state["scn_edited"]
    app.date_input(key="lv_surge_from").set_value(dt.date(2025, 2, 20)).run()
    app.date_input(key="lv_surge_to").set_value(dt.date(2025, 2, 10)).run()
    no_exception(app)
    errors = _texts(app.error)
    surge = [e for e in errors if "swap" in e]
    assert surge == ["Your surge ends (10 Feb 2025) before it starts (20 Feb 2025): swap the two dates."], errors
    assert not any("multipliers" in e or "line " in e for e in errors), errors
    assert app.session_state["scn_edited"] == kept
