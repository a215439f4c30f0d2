"""Verdicts in a board's words and honest headline figures (issue 15, findings 1 and 2).

``reporting.verdicts``: board measures first with both central estimates and the interval, the arithmetic of a change
in beds after them, gridlocked replications never averaged in silently, one table for the words and the forest plot.
``reporting.honest``: who was still waiting and who never got a bed, calm-looking figures of a stuck run, the median
and range where replications disagree.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hospital_twin.experiment.comparison import COMPARISON_COLUMNS, paired_differences
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.reporting.charts import verdict_forest_chart
from hospital_twin.reporting.honest import (
    ed_reason,
    never_bedded_breakdown,
    replication_spread,
    stuck_warning,
    unserved,
)
from hospital_twin.reporting.verdicts import change_phrase, gridlock_lines, verdict_table
from hospital_twin.scenario import Scenario, load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def pair():
    return load_scenario(SCENARIOS / "baseline.yaml"), load_scenario(SCENARIOS / "whatif" / "more_icu_beds.yaml")


def _comparison(rows, base: Scenario, var: Scenario, n: int = 5, gridlocked=(0, 0)) -> pd.DataFrame:
    """Rows ``(metric, unit, baseline_mean, scenario_mean, low, high)``; the mean difference is var - base."""
    out = []
    for metric, unit, b, v, lo, hi in rows:
        out.append(
            {
                "metric": metric,
                "unit": unit,
                "scenario": var.name,
                "baseline": base.name,
                "scenario_mean": v,
                "baseline_mean": b,
                "diff_mean": v - b,
                "diff_ci_low": lo,
                "diff_ci_high": hi,
                "significant": lo > 0 or hi < 0,
                "n_reps": n,
                "confidence": 0.95,
                "scenario_gridlocked_reps": gridlocked[0],
                "baseline_gridlocked_reps": gridlocked[1],
                "diff_mean_without_gridlocked": v - b,
                "gridlock_driven": False,
            }
        )
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS)


def test_verdict_board_measure_first_with_both_figures_and_interval(pair):
    """Four more ICU beds: ICU patients who waited for a bed 23% -> 1% is said, with the interval, before the
    arithmetic fall in ICU occupancy, although the comparison lists the occupancy first."""
    base, more = pair
    c = _comparison(
        [("utilisation", "ICU", 0.73, 0.565, -0.18, -0.15), ("waited_share", "ICU", 0.23, 0.01, -0.30, -0.14)],
        base,
        more,
    )
    t = verdict_table(c, [base, more])
    assert list(t["group"]) == ["board", "beds"]
    first = t.iloc[0]
    assert first["status"] == "clear" and first["better"] is True
    assert first["sentence"] == (
        "4 more ICU beds and 3 more ICU nurses a shift cut the share of ICU patients who waited"
        " for a bed from 23.0% to 1.0%, by 22.0 percentage "
        "points (95% interval 14.0 to 30.0 percentage points): better."
    )
    assert t.iloc[1]["sentence"].startswith(
        "4 more ICU beds and 3 more ICU nurses a shift cut bed occupancy in ICU from 73.0% to 56.5%"
    )
    assert t.iloc[1]["better"] is None  # arithmetic: neither better nor worse


def test_verdict_four_hour_performance_is_the_share_within_four_hours(pair):
    """The 4-hour standard counts patients leaving within 4 hours: a rise in the share over 4 hours is a fall in
    performance, worse."""
    base, more = pair
    c = _comparison([("ed_4h_breach_share", "ED", 0.207, 0.432, 0.15, 0.30)], base, more)
    [s] = verdict_table(c, [base, more])["sentence"]
    assert s.startswith(
        "4 more ICU beds and 3 more ICU nurses a shift cut the share of ED patients leaving within 4 hours from 79.3% to 56.8%"
    )
    assert s.endswith("(95% interval 15.0 to 30.0 percentage points): worse.")


def test_verdict_interval_spanning_zero_gives_both_figures_and_is_not_clear(pair):
    base, more = pair
    c = _comparison([("cancelled", "ALL", 13.8, 9.2, -10.3, 1.1)], base, more)
    [r] = verdict_table(c, [base, more]).to_dict("records")
    assert r["status"] == "unclear" and r["better"] is None
    assert r["sentence"] == (
        "4 more ICU beds and 3 more ICU nurses a shift made no clear difference to elective operations"
        " cancelled for want of a bed: 13.8 in the "
        "baseline, 9.2 with it (95% interval of the difference -10.3 to 1.1, includes 0)."
    )


def test_verdict_trolley_waits_per_day(pair):
    """Trolley waits are counted over the measured days and said per day."""
    base, more = pair
    days = base.horizon_days
    c = _comparison([("ed_dta_12h_waits", "ED", 2 * days, days, -1.5 * days, -0.5 * days)], base, more)
    [s] = verdict_table(c, [base, more])["sentence"]
    assert "from 2.0 a day to 1.0 a day, by 1.0 a day (95% interval 0.5 to 1.5 a day): better." in s


def test_verdict_gridlock_driven_difference_is_never_called_clear(pair):
    """One what-if replication gridlocked: the difference it drives is not clear, and the sentence gives the
    difference without it; the page's first line counts the gridlocked replications on each side."""
    base, more = pair
    c = _comparison([("ed_12h_breach_share", "ED", 0.025, 0.253, 0.05, 0.40)], base, more, gridlocked=(1, 0))
    c["diff_mean_without_gridlocked"], c["gridlock_driven"] = 0.011, True
    [r] = verdict_table(c, [base, more]).to_dict("records")
    assert r["status"] == "gridlock"
    assert "went from 2.5% to 25.3%, but this is not a clear answer" in r["sentence"]
    assert "1 in the what-if, 0 in the baseline; without them the mean difference is +1.1 pp" in r["sentence"]
    [line] = gridlock_lines(c, [base, more])
    assert line.startswith(
        "4 more ICU beds and 3 more ICU nurses a shift: 1 of 5 replications gridlocked with it, 0 of 5 in the baseline"
    )
    assert (
        gridlock_lines(_comparison([("ed_12h_breach_share", "ED", 0.1, 0.1, -0.1, 0.1)], base, more), [base, more])
        == []
    )


def test_verdict_forest_fills_exactly_the_points_the_words_call_clear(pair):
    base, more = pair
    c = _comparison(
        [
            ("waited_share", "ICU", 0.23, 0.01, -0.30, -0.14),
            ("cancelled", "ALL", 13.8, 9.2, -10.3, 1.1),
            ("utilisation", "ICU", 0.73, 0.565, -0.18, -0.15),
            ("ed_12h_breach_share", "ED", 0.1, 0.1, 0.0, 0.0),  # identical in every replication: not drawn
        ],
        base,
        more,
    )
    t = verdict_table(c, [base, more])
    spec = verdict_forest_chart(t).to_dict()
    drawn = [row for rows in spec["datasets"].values() for row in rows if "clear" in row]
    clear_words = sorted(t.loc[t["status"] == "clear", "label"])
    assert sorted(row["label"] for row in drawn if row["clear"]) == clear_words
    assert sorted(row["label"] for row in drawn) == sorted(t.loc[t["status"] != "same", "label"])
    assert "datum.clear" in json.dumps(spec)


def test_change_phrase_names_the_scenario_when_more_than_beds_change(pair):
    base, more = pair
    surge = load_scenario(SCENARIOS / "whatif" / "winter_surge.yaml")
    assert change_phrase(base, surge) == f"“{surge.name}”"


def test_change_phrase_credits_the_nurses_that_came_with_the_beds(pair):
    """more_icu_beds adds 4 ICU beds and 3 ICU nurses a shift (9 -> 12 day and night): both are named."""
    base, more = pair
    assert base.staffing.units["ICU"].nurses == {"day": 9, "night": 9}
    assert more.staffing.units["ICU"].nurses == {"day": 12, "night": 12}
    assert change_phrase(base, more) == "4 more ICU beds and 3 more ICU nurses a shift"


def test_change_phrase_names_the_scenario_when_staffing_changes_otherwise(pair):
    """Beds up with a changed ratio (or nurses cut on every unit: too many changes to list): the scenario's name."""
    base, more = pair
    units = dict(more.staffing.units)
    units["ICU"] = units["ICU"].model_copy(update={"patients_per_nurse": 2.0})
    ratio = more.model_copy(update={"name": "ratio", "staffing": more.staffing.model_copy(update={"units": units})})
    assert change_phrase(base, ratio) == "“ratio”"
    cut = {
        u: s.model_copy(update={"nurses": {k: n + 1 for k, n in s.nurses.items()}})
        for u, s in more.staffing.units.items()
    }
    many = more.model_copy(update={"name": "cut", "staffing": more.staffing.model_copy(update={"units": cut})})
    assert len(cut) > 3 and change_phrase(base, many) == "“cut”"


# --------------------------------------------------------------------------- replications that disagree
def _kpis(name: str, metric: str, values, gridlocked) -> pd.DataFrame:
    rows = [(name, r, metric, "ED", v) for r, v in enumerate(values)]
    rows += [(name, r, "gridlocked", "ALL", float(g)) for r, g in enumerate(gridlocked)]
    return pd.DataFrame(rows, columns=["scenario", "rep", "metric", "unit", "value"])


def test_spread_when_some_replications_gridlocked():
    """Winter surge: 4-hour breaches 0.2 in four replications and 1.0 in the gridlocked fifth: median and range."""
    k = _kpis("w", "ed_4h_breach_share", [0.2, 0.21, 0.19, 0.2, 1.0], [0, 0, 0, 0, 1])
    s = replication_spread(k, "w", "ed_4h_breach_share", "ED")
    assert (s.median, s.low, s.high, s.n, s.gridlocked) == (0.2, 0.19, 1.0, 5, 1)


def test_spread_none_when_replications_agree():
    k = _kpis("w", "ed_4h_breach_share", [0.2, 0.25, 0.19, 0.22], [0, 0, 0, 0])
    assert replication_spread(k, "w", "ed_4h_breach_share", "ED") is None
    all_locked = _kpis("w", "ed_4h_breach_share", [0.9, 0.95], [1, 1])
    assert replication_spread(all_locked, "w", "ed_4h_breach_share", "ED") is None


def test_verdict_gives_median_and_range_of_a_side_whose_replications_disagree(pair):
    base, more = pair
    c = _comparison([("ed_12h_breach_share", "ED", 0.025, 0.2, -0.1, 0.45)], base, more)
    k = pd.concat(
        [
            _kpis(more.name, "ed_12h_breach_share", [0.02, 0.03, 0.02, 0.03, 0.9], [0, 0, 0, 0, 1]),
            _kpis(base.name, "ed_12h_breach_share", [0.02, 0.03, 0.02, 0.03, 0.025], [0, 0, 0, 0, 0]),
        ]
    )
    [s] = verdict_table(c, [base, more], k)["sentence"]
    assert s.endswith("Replications disagree strongly: the what-if's 5: median 3.0%, from 2.0% to 90.0%.")


# --------------------------------------------------------------------------- who was left
@pytest.fixture(scope="module")
def amu_without_beds():
    """The baseline with AMU at 0 beds, a week after a week's warm-up, 2 replications."""
    base = load_scenario(SCENARIOS / "baseline.yaml")
    data = base.model_dump(mode="json")
    data["units"]["AMU"]["beds"] = 0
    data["horizon_days"], data["warmup_days"] = 7, 7
    s = Scenario.model_validate(data)
    return s, run_scenario(s, replications=2, seed=3)


def test_unserved_counts_add_up_to_the_requests_without_a_bed(amu_without_beds):
    """Conservation: never got a bed = arrivals - admitted = still waiting + turned away + cancelled, per run."""
    s, res = amu_without_beds
    u = unserved(res.kpis, s)
    sm = res.summary.set_index(["metric", "unit"])["mean"]
    assert u.still_waiting == pytest.approx(sm[("still_waiting", "ALL")])
    assert u.never_bedded == pytest.approx(sm[("arrivals", "ALL")] - sm[("admitted", "ALL")])
    assert u.never_bedded == pytest.approx(u.still_waiting + u.rejected + u.cancelled)
    assert u.still_waiting > 0.05 * u.requests and u.stuck
    assert u.ed_never_seen["ED"][0] > 0


def test_stuck_run_warns_and_ed_says_why_trolley_waits_are_empty(amu_without_beds):
    s, res = amu_without_beds
    words = stuck_warning(unserved(res.kpis, s))
    assert words.startswith("Not a calm hospital: ") and "still waiting for a bed at the end" in words
    assert "2 of 2 replications gridlocked" in words
    why = ed_reason(res.summary, s, "ED")
    assert why.startswith("no patient reached a decision to admit in the measured days: ")


def test_working_hospital_is_not_stuck(pair):
    """A normal run leaves well under 5% still waiting and no gridlock: no warning, no ED reason."""
    base, _ = pair
    data = base.model_dump(mode="json")
    data["horizon_days"], data["warmup_days"] = 7, 14
    s = Scenario.model_validate(data)
    res = run_scenario(s, replications=2, seed=3)
    assert stuck_warning(unserved(res.kpis, s)) == ""
    assert ed_reason(res.summary, s, "ED") is None


def test_paired_differences_feed_the_verdicts(pair):
    """The table reads paired_differences' own columns (gridlock ones included) without a KeyError."""
    base, more = pair
    k = pd.concat(
        [
            _kpis(base.name, "ed_4h_breach_share", [0.2, 0.25, 0.3], [0, 0, 0]),
            _kpis(more.name, "ed_4h_breach_share", [0.1, 0.15, 0.2], [0, 0, 1]),
        ]
    )
    t = verdict_table(paired_differences(k, base.name), [base, more], k)
    assert list(t["status"]) == ["gridlock"]


def test_never_bedded_breakdown_leaves_out_cancellations_without_electives():
    """A single ward without electives: 'Never got a bed' lists who waited and who was turned away, no 'nan
    operations cancelled' (the run has no cancelled measure); with electives the cancellations are listed."""
    ward = load_scenario(SCENARIOS / "examples" / "single_ward.yaml")
    assert not ward.electives
    rows = [(ward.name, 0, m, "ALL", v) for m, v in [("arrivals", 100), ("admitted", 90), ("still_waiting", 6)]]
    rows += [(ward.name, 0, "rejected", "ALL", 4)]
    kpis = pd.DataFrame(rows, columns=["scenario", "rep", "metric", "unit", "value"])
    u = unserved(kpis, ward)
    assert never_bedded_breakdown(u) == "6 still waiting, 4 turned away"
    base = load_scenario(SCENARIOS / "baseline.yaml")
    assert base.electives
    k = kpis.assign(scenario=base.name)
    k = pd.concat([k, pd.DataFrame([(base.name, 0, "cancelled", "ALL", 0.0)], columns=k.columns)])
    assert never_bedded_breakdown(unserved(k, base)) == "6 still waiting, 4 turned away, 0 operations cancelled"
