"""The app's helpers: verdict wording, levers, safe uploads (pure functions, no Streamlit)."""

from __future__ import annotations

import charts
import pandas as pd
import pytest
import state

from hospital_twin.scenario import ScenarioError, load_scenario
from tests.conftest import SCENARIOS


def _comparison(rows):
    cols = [
        "metric",
        "unit",
        "scenario",
        "baseline",
        "scenario_mean",
        "baseline_mean",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "significant",
        "n_reps",
        "confidence",
    ]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


@pytest.fixture(scope="module")
def pair():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    more = load_scenario(SCENARIOS / "whatif" / "more_icu_beds.yaml")
    return base, more


def test_verdict_clear_cut_in_words(pair):
    """A negative interval reads as a cut with the interval as positive magnitudes, smaller first."""
    base, more = pair
    c = _comparison([("ed_boarding_mean_h", "ED", more.name, base.name, 2.3, 3.5, -1.2, -1.6, -0.8, True, 10, 0.95)])
    [(sentence, clear)] = charts.verdicts(c, [base, more])
    assert sentence == "4 more ICU beds cut the mean ED boarding time by 1.20 h (0.80 to 1.60 h)."
    assert clear


def test_verdict_interval_spanning_zero_is_no_clear_difference(pair):
    """An interval that includes 0 never reads as an effect."""
    base, more = pair
    c = _comparison([("wait_for_bed_mean_h", "ALL", more.name, base.name, 1.0, 1.1, -0.1, -0.3, 0.1, False, 10, 0.95)])
    [(sentence, clear)] = charts.verdicts(c, [base, more])
    assert sentence.startswith("4 more ICU beds made no clear difference to the mean wait for a bed")
    assert "includes 0" in sentence
    assert not clear


def test_verdict_shares_in_percentage_points_and_raised(pair):
    """Shares are worded in percentage points; a positive interval reads as raised."""
    base, more = pair
    c = _comparison([("utilisation", "ALL", more.name, base.name, 0.9, 0.88, 0.02, 0.01, 0.03, True, 10, 0.95)])
    [(sentence, _)] = charts.verdicts(c, [base, more])
    assert sentence == "4 more ICU beds raised bed occupancy by 2.0 percentage points (1.0 to 3.0 percentage points)."


def test_verdict_speaks_of_the_unit_whose_beds_changed(pair):
    """A what-if that changes a unit's beds also gets verdicts on that unit's occupancy."""
    base, more = pair
    c = _comparison(
        [
            ("utilisation", "ALL", more.name, base.name, 0.777, 0.785, -0.0067, -0.0068, -0.0066, True, 3, 0.95),
            ("utilisation", "ICU", more.name, base.name, 0.60, 0.73, -0.13, -0.18, -0.08, True, 3, 0.95),
            ("utilisation", "MED", more.name, base.name, 0.80, 0.81, -0.01, -0.02, -0.005, True, 3, 0.95),
        ]
    )
    sentences = [s for s, _ in charts.verdicts(c, [base, more])]
    assert sentences == [
        "4 more ICU beds cut bed occupancy by 0.67 percentage points (0.66 to 0.68 percentage points).",
        "4 more ICU beds cut bed occupancy in ICU by 13.0 percentage points (8.0 to 18.0 percentage points).",
    ]


def test_change_phrase_names_the_scenario_when_more_than_beds_change(pair):
    base, _ = pair
    surge = load_scenario(SCENARIOS / "whatif" / "winter_surge.yaml")
    assert charts.change_phrase(base, surge) == f"“{surge.name}”"


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


def test_verdict_identical_runs_say_no_difference(pair):
    """When every paired replication is identical the verdict says so, without an interval."""
    base, more = pair
    c = _comparison([("ed_4h_breach_share", "ED", more.name, base.name, 0.2, 0.2, 0.0, 0.0, 0.0, False, 10, 0.95)])
    [(sentence, clear)] = charts.verdicts(c, [base, more])
    assert sentence == (
        "4 more ICU beds made no difference to the share of ED patients staying over 4 hours in any replication."
    )
    assert not clear


def test_verdict_narrow_interval_gets_enough_decimals(pair):
    base, more = pair
    c = _comparison(
        [("utilisation", "ALL", more.name, base.name, 0.9, 0.907, -0.007, -0.0072, -0.0068, True, 10, 0.95)]
    )
    [(sentence, _)] = charts.verdicts(c, [base, more])
    assert "(0.68 to 0.72 percentage points)" in sentence
