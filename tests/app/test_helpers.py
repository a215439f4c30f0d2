"""The app's helpers: levers, safe uploads (pure functions, no Streamlit)."""

from __future__ import annotations

import pandas as pd
import pytest
import state

from hospital_twin.scenario import ScenarioError, load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def pair():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    more = load_scenario(SCENARIOS / "whatif" / "more_icu_beds.yaml")
    return base, more


def test_levers_round_trip_unchanged(pair):
    """Applying the levers as they stand changes nothing."""
    base, _ = pair
    data = state.scenario_dict(base)
    assert state.apply_levers(data, state.levers_of(base)) == data


def test_levers_volume_surge_window_and_escalation(pair):
    """Each lever lands in the field the package validates."""
    import datetime as dt

    base, _ = pair
    lv = state.levers_of(base)
    lv.volume_pct = 110
    lv.surge_factor, lv.surge_from, lv.surge_to = 1.2, dt.date(2025, 2, 3), dt.date(2025, 2, 17)
    lv.discharge_window = (8, 20)
    lv.escalation["MED"] = 6
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    assert scn.arrivals[0].per_day == pytest.approx(base.arrivals[0].per_day * 1.1)
    assert scn.arrivals[0].multipliers[-1].factor == 1.2
    assert scn.discharge.window_hours == (8, 20)
    assert scn.units["MED"].escalation.beds == 6


def test_levers_ed_patience_sets_and_removes_every_ed_stream_patience(pair):
    """The LWBS lever gives every stream arriving at an ED an exponential patience, and 0 takes it away."""
    base, _ = pair
    lv = state.levers_of(base)
    assert lv.patience_h == 0.0
    lv.patience_h = 3.0
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    ed = [a for a in scn.arrivals if scn.units[a.unit].ed is not None]
    assert ed and all(a.patience.to_distribution().mean_h == 3.0 for a in ed)
    assert all(a.patience is None for a in scn.arrivals if scn.units[a.unit].ed is None)
    back = state.levers_of(scn)
    assert back.patience_h == 3.0
    back.patience_h = 0.0
    again, _ = state.validate_data(state.apply_levers(state.scenario_dict(scn), back))
    assert all(a.patience is None for a in again.arrivals)


def test_lever_of_maps_issue_fields_to_widgets():
    from hospital_twin.scenario import Issue

    assert state.lever_of(Issue("f", 3, "units.ICU.beds", "x")) == ("beds", "ICU")
    assert state.lever_of(Issue("f", 3, "arrivals[2].multipliers[0]", "x"))[0] == "surge"
    assert state.lever_of(Issue("f", 3, "discharge", "x"))[0] == "discharge"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\..\\evil.yaml", "evil.yaml"),
        (".hidden\x07.yaml", "hidden.yaml"),
        ("", "upload"),
    ],
)
def test_display_name_strips_folders_and_control_characters(name, shown):
    assert state.display_name(name) == shown


def test_yaml_alias_bomb_refused_quickly():
    """A billion-laughs document is refused before anything expands it."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, k in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        levels.append(f"{k}: &{k} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(ScenarioError, match="YAML bomb"):
        state.scenario_from_text("\n".join(levels) + "\nname: x\n", "bomb.yaml")


def test_shipped_anchors_are_not_a_bomb():
    """The baseline's own anchors (&ed_hod) pass the check."""
    from hospital_twin.scenario.safe_yaml import compose

    assert compose((SCENARIOS / "baseline.yaml").read_text(), "baseline.yaml") is not None


def test_extends_outside_scenarios_refused():
    with pytest.raises(ScenarioError, match="not a shipped scenario"):
        state.scenario_from_text("extends: ../../pyproject.toml\nname: x\n", "x.yaml")


# --------------------------------------------------------------------------- issue 13 levers
@pytest.mark.parametrize("name", ["baseline.yaml", "whatif/no_outlying.yaml", "whatif/discharge_lounge.yaml"])
def test_levers_untouched_leave_outlying_lounge_and_day_rules_as_the_scenario_has_them(name):
    """Loading a scenario and applying its own levers changes nothing (a scenario's own caps and lounges survive)."""
    scn = load_scenario(SCENARIOS / name)
    data = state.scenario_dict(scn)
    assert state.apply_levers(data, state.levers_of(scn)) == data


def test_levers_outlying_on_writes_hosts_cap_and_wait_and_off_removes_them():
    """Outliers on the baseline without them (no_outlying.yaml): the medical wards outlie to the other wards, capped
    per host; off removes it all."""
    base = load_scenario(SCENARIOS / "whatif" / "no_outlying.yaml")
    lv = state.levers_of(base)
    assert not lv.outlying.on and lv.outlying.homes == ["MED", "ELD"]  # the wards only medical classes reach
    lv.outlying.on, lv.outlying.max_per_host, lv.outlying.after_hours = True, 3, 2.0
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    assert scn.units["MED"].outlying.hosts == ["ELD", "SURG"] and scn.units["ELD"].outlying.hosts == ["MED", "SURG"]
    assert scn.units["MED"].outlying.after_hours == 2.0
    assert {u: s.max_outliers for u, s in scn.units.items() if s.max_outliers is not None} == {
        "MED": 3,
        "ELD": 3,
        "SURG": 3,
    }
    assert scn.units["ICU"].outlying is None and scn.units["SURG"].outlying is None
    off = state.levers_of(scn)
    assert off.outlying.on
    off.outlying.on = False
    again, issues = state.validate_data(state.apply_levers(state.scenario_dict(scn), off))
    assert not issues
    assert all(s.outlying is None and s.max_outliers is None for s in again.units.values())


def test_levers_outlying_keeps_a_scenarios_own_caps_and_host_order_until_they_move():
    """Changing only the wait keeps the baseline's per-host caps (MED 6, SURG 12, ICU 0) and each home's host order."""
    scn = load_scenario(SCENARIOS / "baseline.yaml")
    lv = state.levers_of(scn)
    lv.outlying.after_hours = 1.0
    out, issues = state.validate_data(state.apply_levers(state.scenario_dict(scn), lv))
    assert not issues
    assert out.units["ELD"].outlying.hosts == ["MED", "SURG"] and out.units["ELD"].outlying.stay_factor == 1.1
    assert out.units["MED"].outlying.after_hours == 1.0
    assert (out.units["MED"].max_outliers, out.units["SURG"].max_outliers, out.units["ICU"].max_outliers) == (6, 12, 0)


def test_levers_discharge_days_peers_profile_reproduces_the_peers_weekday_shares(pair):
    """The peers' preset gives weights whose discharges fall Mon 12.4% .. Sun 8.7% (the sitrep's shares)."""
    from hospital_twin.scenario.load import discharge_shares_by_weekday

    base, _ = pair
    lv = state.levers_of(base)
    lv.discharge_days = tuple(state.peer_day_weights())
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    assert "weekend_rate" not in state.scenario_dict(scn)["discharge"]  # day_of_week replaces it
    assert scn.discharge.hourly_profile == base.discharge.hourly_profile  # the hour rule is kept
    shares = discharge_shares_by_weekday(scn.discharge)
    assert shares == pytest.approx(state.PEER_DISCHARGE_SHARES, abs=0.001)
    lv.discharge_days = (1.0,) * 7
    seven, _ = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert seven.discharge.day_of_week == [1.0] * 7 and min(seven.discharge.day_pass()) == 1.0


def test_levers_lounge_on_writes_one_lounge_and_off_removes_it(pair):
    """A 10-place lounge 09:00-19:00 for MED and ELD, 3 h on average; off leaves no discharge_lounges key."""
    base, _ = pair
    lv = state.levers_of(base)
    assert not lv.lounge.on and lv.lounge.units == ["MED", "ELD", "SURG"]
    lv.lounge.on, lv.lounge.places, lv.lounge.hours, lv.lounge.time_h = True, 10, (9, 19), 3.0
    lv.lounge.units = ["MED", "ELD"]
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    [(name, lounge)] = scn.discharge_lounges.items()
    assert (name, lounge.places, lounge.hours, lounge.units) == ("LOUNGE", 10, (9, 19), ["MED", "ELD"])
    assert lounge.time_there.to_distribution().mean_h == pytest.approx(3.0)
    off = state.levers_of(scn)
    off.lounge.on = False
    data = state.apply_levers(state.scenario_dict(scn), off)
    assert "discharge_lounges" not in data and not state.validate_data(data)[1]


def test_lever_of_maps_outlying_and_lounge_issues_to_their_widgets():
    """A problem under units.X.outlying or discharge_lounges is shown next to those levers, not under discharge."""
    from hospital_twin.scenario import Issue

    assert state.lever_of(Issue("f", 3, "units.MED.outlying.hosts[0]", "x")) == ("outlying", "MED")
    assert state.lever_of(Issue("f", 3, "units.SURG.max_outliers", "x")) == ("outlying", "SURG")
    assert state.lever_of(Issue("f", 3, "discharge_lounges.LOUNGE.places", "x"))[0] == "lounge"


def test_gridlock_alarm_counts_the_runs_that_gridlocked(pair):
    """'2 of 5 replications gridlocked' from gridlocked_share 0.4 over 5 replications; nothing when none gridlocked."""
    import ui

    base, _ = pair
    row = {"scenario": base.name, "metric": "gridlocked_share", "unit": "ALL", "sd": 0.5, "ci_low": 0, "ci_high": 1}
    assert (
        ui.gridlock_alarm(pd.DataFrame([{**row, "mean": 0.4, "n_reps": 5}]), base) == "2 of 5 replications gridlocked"
    )
    assert ui.gridlock_alarm(pd.DataFrame([{**row, "mean": 0.0, "n_reps": 5}]), base) is None


# --------------------------------------------------------------------------- escalation levels (OPEL)
@pytest.mark.parametrize("name", ["baseline.yaml", "whatif/opel_actions.yaml"])
def test_levers_opel_untouched_reads_the_scenarios_levels_and_keeps_the_yaml_byte_identical(name):
    """The escalation lever starts from the scenario's own levels (off without them); untouched, the YAML is
    byte-identical."""
    scn = load_scenario(SCENARIOS / name)
    lv = state.levers_of(scn)
    assert lv.opel.mode == ("edit" if scn.escalation_levels else "off")
    data = state.scenario_dict(scn)
    assert state.to_yaml(state.apply_levers(data, lv)) == state.to_yaml(data)


def test_levers_opel_card_preset_writes_the_shipped_card_as_a_valid_scenario(pair):
    """The OPEL card on the baseline writes opel_actions.yaml's three levels, its outliers from OPEL 3 included (the
    baseline outlies); on a scenario without outlying, outliers from OPEL 3 only with the Outliers lever on (then for
    the wards it sets)."""
    base, _ = pair
    lv = state.levers_of(base)
    lv.opel = state.opel_card(base)
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    card = load_scenario(SCENARIOS / "whatif" / "opel_actions.yaml").escalation_levels["GA"]
    assert [lvl.actions for lvl in scn.escalation_levels["GA"].levels] == [lvl.actions for lvl in card.levels]
    base = load_scenario(SCENARIOS / "whatif" / "no_outlying.yaml")
    lv = state.levers_of(base)
    lv.opel = state.opel_card(base)
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    card = load_scenario(SCENARIOS / "whatif" / "opel_actions.yaml").escalation_levels["GA"]
    [(group, spec)] = scn.escalation_levels.items()
    assert group == "GA" and spec.units == card.units and spec.hold_hours == card.hold_hours == 12
    for mine, theirs in zip(spec.levels, card.levels, strict=True):
        assert (mine.level, mine.enter_at, mine.leave_below, mine.boarders_at, mine.boarders_below) == (
            theirs.level,
            theirs.enter_at,
            theirs.leave_below,
            theirs.boarders_at,
            theirs.boarders_below,
        )
        got = mine.actions.model_dump(exclude={"allow_outlying"})
        assert got == theirs.actions.model_dump(exclude={"allow_outlying"})
        assert mine.actions.allow_outlying == []  # no outlying rule to allow
    lv.outlying.on = True
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    assert [lvl.actions.allow_outlying for lvl in scn.escalation_levels["GA"].levels] == [[], ["MED", "ELD"], []]


def test_levers_opel_off_removes_escalation_levels():
    """Off on the OPEL what-if leaves no escalation_levels key, and the scenario stays valid."""
    scn = load_scenario(SCENARIOS / "whatif" / "opel_actions.yaml")
    lv = state.levers_of(scn)
    lv.opel.mode = "off"
    data = state.apply_levers(state.scenario_dict(scn), lv)
    assert "escalation_levels" not in data and not state.validate_data(data)[1]


def test_levers_opel_edit_changes_only_what_moved():
    """Editing OPEL 3's trigger to 95% and dropping OPEL 4's postponement keeps the rest of the card: the push's
    wards, outliers from OPEL 3, the boarders triggers."""
    scn = load_scenario(SCENARIOS / "whatif" / "opel_actions.yaml")
    lv = state.levers_of(scn)
    lv.opel.levels[1].enter_pct = 95.0
    lv.opel.levels[2].postpone_pct = 0.0
    out, issues = state.validate_data(state.apply_levers(state.scenario_dict(scn), lv))
    assert not issues
    old, new = scn.escalation_levels["GA"].levels, out.escalation_levels["GA"].levels
    assert new[1].enter_at == 0.95 and new[2].actions.postpone_electives == 0.0
    assert new[0] == old[0]
    assert new[1].actions == old[1].actions and new[1].boarders_at == old[1].boarders_at
    assert new[2].actions.ed_spaces == {"ED": 10}


def test_levers_opel_edit_from_nothing_writes_a_new_group(pair):
    """'My own levels' on the baseline with only OPEL 3 ticked writes one level with its escalation beds."""
    base, _ = pair
    base = base.model_copy(update={"escalation_levels": {}})  # from nothing: without the baseline's own card
    lv = state.levers_of(base)
    lv.opel.mode = "edit"
    lv.opel.levels[0].on = lv.opel.levels[2].on = False
    lv.opel.levels[1].open_beds = {"MED": 3}
    scn, issues = state.validate_data(state.apply_levers(state.scenario_dict(base), lv))
    assert not issues
    [level] = scn.escalation_levels["GA"].levels
    assert (level.level, level.enter_at, level.actions.open_beds) == (3, 0.96, {"MED": 3})


def test_lever_of_maps_escalation_level_issues_to_the_opel_lever():
    """A problem under escalation_levels is shown next to the OPEL lever, not the per-unit escalation beds."""
    from hospital_twin.scenario import Issue

    assert state.lever_of(Issue("f", 3, "escalation_levels.GA.levels[1].leave_below", "x"))[0] == "opel"
    assert state.lever_of(Issue("f", 3, "units.MED.escalation.beds", "x"))[0] == "escalation"


def test_opel_words_say_the_card_in_a_managers_words(pair):
    """The card reads as one sentence per level with its trigger, its end and its actions, without field names."""
    base, _ = pair
    words = state.opel_words(state.opel_card(base), ["MED", "ELD"])
    assert words[1] == (
        "**OPEL 3** from 96% of the beds occupied or waited for or 25 ED patients waiting for a bed; ends below "
        "93% and under 15 waiting. Escalation beds MED 6, ELD 4; outliers allowed (MED, ELD)."
    )
    assert "50% of planned admissions postponed" in words[2] and words[2].endswith(
        ". 10 extra spaces in ED; 50% of planned admissions postponed."
    )
    assert "_" not in " ".join(words)


def test_never_got_a_bed_card_of_a_scenario_without_electives_says_no_nan():
    """A single ward without electives (no cancelled measure): the 'Never got a bed' card lists who waited and who
    was turned away, never 'nan operations cancelled'."""
    import ui

    from hospital_twin.reporting.honest import unserved

    ward = load_scenario(SCENARIOS / "examples" / "single_ward.yaml")
    rows = [(ward.name, 0, m, "ALL", v) for m, v in [("arrivals", 100), ("admitted", 90), ("still_waiting", 6)]]
    kpis = pd.DataFrame(
        [*rows, (ward.name, 0, "rejected", "ALL", 4)], columns=["scenario", "rep", "metric", "unit", "value"]
    )
    card = next(c for c in ui.unserved_cards(unserved(kpis, ward)) if c[0] == "Never got a bed")
    assert "nan" not in card[2] and "cancelled" not in card[2] and "6 still waiting, 4 turned away" in card[2]
