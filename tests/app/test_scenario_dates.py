"""AppTest: the Scenario page checks dated levers against the run settings, and says each problem once."""

from __future__ import annotations

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
    app.text_input(key="lv_surge_from").input("1 Jan 2025").run()
    app.text_input(key="lv_surge_to").input("1 Feb 2025").run()
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
    app.text_input(key="lv_surge_from").input("3 Feb 2025").run()
    app.text_input(key="lv_surge_to").input("17 Feb 2025").run()
    warnings = [w for w in _texts(app.warning) if w.startswith("Your surge")]
    assert len(warnings) == 1 and "starts after the run ends on 20 Jan 2025" in warnings[0], _texts(app.warning)


def test_reversed_surge_dates_are_one_error_in_words_and_the_last_valid_scenario_is_kept(app):
    """Until before from: one error naming the dates (not one per arrival stream, no YAML path in it)."""
    _scenario_page(app)
    app.slider(key="lv_surge").set_value(1.2).run()
    kept = app.session_state["scn_edited"]
    app.text_input(key="lv_surge_from").input("20 Feb 2025").run()
    app.text_input(key="lv_surge_to").input("10 Feb 2025").run()
    no_exception(app)
    errors = _texts(app.error)
    surge = [e for e in errors if "swap" in e]
    assert surge == ["Your surge ends (10 Feb 2025) before it starts (20 Feb 2025): swap the two dates."], errors
    assert not any("multipliers" in e or "line " in e for e in errors), errors
    assert app.session_state["scn_edited"] == kept


def test_a_date_not_a_date_is_one_error_in_words(app):
    """'31 Feb 2025' is refused next to the lever, with the forms a date may take; no surge is applied."""
    _scenario_page(app)
    app.slider(key="lv_surge").set_value(1.2).run()
    app.text_input(key="lv_surge_to").input("31 Feb 2025").run()
    errors = _texts(app.error)
    assert any(e.startswith("'31 Feb 2025' (surge until) is not a date: write a date like 3 Feb 2025") for e in errors)


def test_a_lever_sent_as_the_user_leaves_reaches_the_scenario_the_run_page_uses(app):
    """A date that reaches the session with the Run page's run (typed, then Run clicked) is applied first."""
    _scenario_page(app)
    app.slider(key="lv_surge").set_value(1.2).run()
    assert "2025-03-01" not in app.session_state["scn_edited"]
    app.session_state["lv_surge_to"] = "1 Mar 2025"  # as the browser sends it with the click on Run
    app.switch_page("app_pages/run.py").run()
    no_exception(app)
    assert "to: '2025-03-01'" in app.session_state["scn_edited"]
    assert app.title[0].value == "Run"


def test_run_and_compare_warn_about_dates_their_settings_do_not_measure(app):
    """The winter surge under a 28-day warm-up and 28 days measured: its January 2025 months are in the warm-up."""
    app.switch_page("app_pages/compare.py").run()
    app.multiselect(key="cmp_whatifs").set_value(["What-if: Winter surge (upper-quartile NHS winter, Dec-Feb)"]).run()
    app.number_input(key="cmp_rs_horizon").set_value(28).run()
    app.number_input(key="cmp_rs_warmup").set_value(28).run()
    no_exception(app)
    warnings = _texts(app.warning)
    assert any(
        w.startswith("What-if: Winter surge") and "'January bed demand'" in w and "will not be measured" in w
        for w in warnings
    ), warnings


def test_leaving_the_scenario_page_waiting_for_an_upload_does_not_send_the_user_back(app):
    """'My own YAML file' with nothing uploaded yet, then Run: the Run page opens (nothing is pending)."""
    _scenario_page(app)
    app.radio(key="lv_source").set_value("My own YAML file").run()
    app.switch_page("app_pages/run.py").run()
    no_exception(app)
    assert app.title[0].value == "Run"
