"""AppTest: the home page and the Scenario page (levers, validation next to the field, uploads)."""

from __future__ import annotations

import pytest

from tests.app.conftest import no_exception

BASELINE_DAYS = [0.68, 0.841, 0.907, 0.955, 1.0, 0.78, 0.45]
"""The shipped baseline's discharge day_of_week (issue 14)."""

BROKEN = b"""name: Broken
start: 2025-01-06T00:00:00
horizon_days: 10
units:
  WARD: {beds: -3}
arrivals:
  - {name: a, unit: WARD, per_day: 2}
length_of_stay:
  WARD: {distribution: lognormal, mean_hours: 48, cv: 0.8}
"""

BOMB = b"""name: bomb
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def test_home_page_links_every_page(app):
    """The home page renders without error and links the six working pages."""
    no_exception(app)
    assert app.title[0].value == "Hospital twin"
    links = {link.proto.label for link in app.get("page_link")}
    assert links == {"Scenario", "Run", "Compare", "Calibrate", "Staffing & roster", "Forecast"}


def test_scenario_page_shipped_baseline_is_ready(app):
    """The shipped baseline loads, its bed levers show the scenario's numbers and it can be downloaded."""
    app.switch_page("app_pages/scenario.py").run()
    no_exception(app)
    assert app.number_input(key="lv_beds_ICU").value == 13
    assert any("Ready" in s.value for s in app.success)
    assert app.get("download_button")


def test_scenario_page_lever_changes_the_scenario(app):
    """Four more ICU beds show up in 'What you changed' and in the session's scenario."""
    app.switch_page("app_pages/scenario.py").run()
    app.number_input(key="lv_beds_ICU").set_value(17).run()
    no_exception(app)
    assert "ICU: {beds: 17" in app.session_state["scn_edited"] or "beds: 17" in app.session_state["scn_edited"]
    assert any("13 → **17**" in m.value for m in app.markdown)


def test_scenario_page_invalid_lever_shown_next_to_field(app):
    """An empty discharge window is reported in words next to the discharge lever; the last valid scenario is kept."""
    app.switch_page("app_pages/scenario.py").run()
    app.checkbox(key="lv_window_on").check().run()
    app.slider(key="lv_window").set_range(10, 11).run()
    no_exception(app)
    # the baseline's discharge profile has weight in 10:00-11:00, so this is valid
    assert not app.error
    kept = app.session_state["scn_edited"]
    app.slider(key="lv_window").set_range(5, 5).run()
    errors = [e.value for e in app.error]
    assert any("discharge" in e.lower() and "window_hours must be [open, close]" in e for e in errors), errors
    assert app.session_state["scn_edited"] == kept
    assert any("shown next to the levers" in e for e in errors)


def _upload(app, name: str, data: bytes):
    app.switch_page("app_pages/scenario.py").run()
    app.radio(key="lv_source").set_value("My own YAML file").run()
    app.file_uploader(key="scn_upload").set_value((name, data, "application/x-yaml")).run()
    no_exception(app)
    return [e.value for e in app.error]


def test_scenario_upload_broken_yaml_names_line_and_field(app):
    """A scenario with negative beds is refused with the line, the field and the reason."""
    errors = _upload(app, "broken.yaml", BROKEN)
    assert any("not a usable scenario" in e for e in errors)
    text = " ".join(m.value for m in app.markdown)
    assert "line 5" in text and "beds" in text


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("bomb.yaml", BOMB, "YAML bomb"),
        ("photo.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("big.yaml", b"name: x\n" + b"#" * (600 * 1024), "at most 512 KB"),
        ("latin.yaml", "name: Caf\xe9\n".encode("latin-1"), "not UTF-8"),
        ("../../etc/passwd.yaml", b"extends: ../../../../etc/passwd\nname: x\n", "not a shipped scenario"),
        ("deep.yaml", b"name: x\nz: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested"),
    ],
)
def test_scenario_upload_malicious_gets_a_clear_message(app, name, data, words):
    """Bombs, binaries, huge files, wrong encodings, path tricks and deep nesting get a message, never a traceback."""
    errors = _upload(app, name, data)
    text = " ".join(errors + [m.value for m in app.markdown])
    assert words in text, text
    assert "../../etc/passwd.yaml" not in text  # an uploaded name is shown without its folders


def test_scenario_upload_whatif_extending_baseline(app):
    """An uploaded what-if may extend a shipped scenario."""
    errors = _upload(app, "mine.yaml", b"extends: baseline.yaml\nname: Mine\nunits:\n  ICU: {beds: 20}\n")
    assert not errors
    assert any("Using mine.yaml" in s.value for s in app.success)
    assert app.number_input(key="lv_beds_ICU").value == 20


def _edited(app) -> dict:
    import yaml

    return yaml.safe_load(app.session_state["scn_edited"])


def test_scenario_page_outlier_lever_writes_and_removes_outlying(app):
    """The baseline outlies, so the lever starts ticked; a new cap and wait rewrite outlying on the medical wards
    (keeping the baseline's stay factor) with the cap on their hosts; unticking removes both."""
    app.switch_page("app_pages/scenario.py").run()
    assert app.checkbox(key="lv_out_on").value
    app.number_input(key="lv_out_cap").set_value(4).run()
    app.number_input(key="lv_out_after").set_value(2.0).run()
    no_exception(app)
    assert not app.error
    units = _edited(app)["units"]
    assert units["MED"]["outlying"] == {"hosts": ["ELD", "SURG"], "after_hours": 2.0, "stay_factor": 1.1}
    assert units["ELD"]["outlying"]["hosts"] == ["MED", "SURG"]
    # ICU is no host: it keeps the baseline's own cap 0 (never takes outliers)
    assert [units[u].get("max_outliers") for u in ("MED", "ELD", "SURG", "ICU")] == [4, 4, 4, 0]
    app.checkbox(key="lv_out_on").uncheck().run()
    units = _edited(app)["units"]
    assert not any("outlying" in spec or "max_outliers" in spec for spec in units.values())


@pytest.mark.parametrize(
    ("preset", "weights"),
    [("seven", [1.0] * 7), ("peers", [0.7385, 0.8587, 0.9184, 0.959, 1.0, 0.861, 0.609])],
)
def test_scenario_page_weekday_discharge_presets(app, preset, weights):
    """Seven-day and the peers' profile write day_of_week in place of weekend_rate; 'as now' puts the scenario back."""
    app.switch_page("app_pages/scenario.py").run()
    app.selectbox(key="lv_days").set_value(preset).run()
    no_exception(app)
    discharge = _edited(app)["discharge"]
    assert discharge["day_of_week"] == weights and "weekend_rate" not in discharge
    app.selectbox(key="lv_days").set_value("now").run()
    discharge = _edited(app)["discharge"]
    # the baseline's own passes (issue 14: day_of_week, no weekend_rate)
    assert discharge["day_of_week"] == BASELINE_DAYS and "weekend_rate" not in discharge


def test_scenario_page_own_weekday_numbers(app):
    """Own numbers per weekday (%, here no discharges on Sundays) become the day_of_week weights."""
    app.switch_page("app_pages/scenario.py").run()
    app.selectbox(key="lv_days").set_value("own").run()
    app.number_input(key="lv_day_Sun").set_value(0).run()
    no_exception(app)
    # the other days keep the baseline's passes (in whole percent)
    assert _edited(app)["discharge"]["day_of_week"] == [0.68, 0.84, 0.91, 0.96, 1.0, 0.78, 0.0]


def test_scenario_page_lounge_lever_writes_and_removes_the_lounge(app):
    """A discharge lounge with 8 places appears in the scenario; unticking removes discharge_lounges."""
    app.switch_page("app_pages/scenario.py").run()
    app.checkbox(key="lv_lounge_on").check().run()
    app.number_input(key="lv_lounge_places").set_value(8).run()
    no_exception(app)
    assert not app.error
    lounge = _edited(app)["discharge_lounges"]["LOUNGE"]
    assert lounge["places"] == 8 and lounge["hours"] == [8, 20] and lounge["units"] == ["MED", "ELD", "SURG"]
    assert lounge["time_there"] == {"distribution": "lognormal", "mean_hours": 2.5, "cv": 0.6}
    app.checkbox(key="lv_lounge_on").uncheck().run()
    assert "discharge_lounges" not in _edited(app)


def test_scenario_page_describes_the_new_rules(app):
    """With outliers and a lounge switched on, 'The scenario in words' describes both."""
    app.switch_page("app_pages/scenario.py").run()
    app.checkbox(key="lv_out_on").check().run()
    app.checkbox(key="lv_lounge_on").check().run()
    text = " ".join(m.value for m in app.markdown)
    assert "2. Logic: outlying (patients placed on other units)" in text
    assert "Discharge lounge LOUNGE: 12 places" in text


def test_scenario_page_opel_lever_card_edit_and_off(app):
    """The OPEL card writes escalation_levels (outliers from OPEL 3 for the baseline's outlying wards) and says its
    levels in words; an edit that ends a level above where it
    starts is shown in words next to the lever; off removes escalation_levels."""
    app.switch_page("app_pages/scenario.py").run()
    app.selectbox(key="lv_opel").set_value("card").run()
    no_exception(app)
    assert not app.error
    levels = _edited(app)["escalation_levels"]["GA"]["levels"]
    assert [lv["level"] for lv in levels] == [2, 3, 4] and levels[1]["actions"]["open_beds"] == {"MED": 6, "ELD": 4}
    assert any(m.value.startswith("- **OPEL 2** from 92% of the beds") for m in app.markdown)
    # OPEL 3 allows outliers, and the baseline outlies: the card gates the baseline's outlying wards, no warning
    assert levels[1]["actions"]["allow_outlying"] == ["MED", "ELD"]
    assert not any("need 'Allow outliers' ticked" in w.value for w in app.warning)
    app.selectbox(key="lv_opel").set_value("edit").run()
    app.number_input(key="lv_opel_3_leave").set_value(100.0).run()  # above the 99% where OPEL 3 starts
    errors = [e.value for e in app.error]
    assert any(e.startswith("GA levels") and "leave_below must not exceed enter_at" in e for e in errors), errors
    assert any("escalation_levels › GA" in m.value for m in app.markdown)  # the YAML path, under Details
    assert any("shown next to the levers" in e for e in errors)
    assert any("OPEL 3 would end above where it starts" in w.value for w in app.warning)
    app.selectbox(key="lv_opel").set_value("off").run()
    assert not app.error and "escalation_levels" not in _edited(app)
