"""The default run length (``experiment.runlength``) and the measured bias of a quick look (``reporting.quick_look``).

The fast tests check the pure functions against hand-computed values and scipy's Welch interval; the slow one runs
the baseline and checks that the app's default settings give figures a longer warm-up does not move (within their
95% intervals), and that the old default (28 days) fails that check: the check can fail.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hospital_twin.experiment.runlength import (
    MIN_REPLICATIONS,
    QUICK_LOOK_DAYS,
    default_run_length,
    quick_look,
)
from hospital_twin.experiment.warmup import longest_mean_spell_h
from hospital_twin.reporting.quick_look import bias_sentences, main_measures, window_bias
from hospital_twin.scenario import load_scenario
from tests.conftest import make

BASELINE = "scenarios/baseline.yaml"


# --------------------------------------------------------------------------- defaults
def test_the_default_run_is_the_one_the_scenario_asks_for():
    """Horizon, warm-up and replications come from the file (rounded up to whole days)."""
    s = make(horizon_days=200.5, warmup_days=20, replications=12)
    d = default_run_length(s)
    assert (d.horizon_days, d.warmup_days, d.replications) == (201, 20, 12)


def test_the_default_run_has_enough_replications_for_an_interval():
    """A scenario asking for 1 replication (a log's replay) gets 5, so every figure has a 95% interval."""
    assert default_run_length(make(replications=1)).replications == MIN_REPLICATIONS


def test_an_auto_warm_up_defaults_to_whole_weeks_of_four_mean_spells_at_least_28_days():
    """A 48 h stay: 4 spells = 8 days -> the 28-day floor; a 400 h stay: 4 x 400 h = 66.7 days -> 70 (10 weeks)."""
    short = make(warmup_days="auto")
    assert default_run_length(short).warmup_days == 28
    long = make(
        warmup_days="auto",
        length_of_stay={"WARD": {"distribution": "lognormal", "mean_hours": 400, "cv": 0.8}},
    )
    assert 4 * longest_mean_spell_h(long) / 24 == pytest.approx(66.67, abs=0.01)
    assert default_run_length(long).warmup_days == 70


def test_a_quick_look_measures_28_days_after_the_default_warm_up():
    s = make(horizon_days=364, warmup_days=35, replications=10)
    q = quick_look(s)
    assert (q.horizon_days, q.warmup_days, q.replications) == (QUICK_LOOK_DAYS, 35, 5)
    assert quick_look(make(horizon_days=7)).horizon_days == 7  # never longer than the full run


# --------------------------------------------------------------------------- bias
def _frame(values, measure="stay_mean_h", unit="ALL") -> pd.DataFrame:
    return pd.DataFrame({"rep": range(len(values)), "measure": measure, "unit": unit, "value": values})


def test_window_bias_is_welchs_interval_of_the_difference():
    """Difference and interval equal scipy's Welch t-test interval; a shift of 10 h is beyond it."""
    rng = np.random.default_rng(7)
    short, ref = rng.normal(90, 2, 10), rng.normal(100, 1, 8)
    t = window_bias(_frame(short), _frame(ref))
    row = t.iloc[0]
    ci = stats.ttest_ind(short, ref, equal_var=False).confidence_interval(0.95)
    assert row["difference"] == pytest.approx(short.mean() - ref.mean())
    assert (row["difference_low"], row["difference_high"]) == pytest.approx((ci.low, ci.high))
    assert row["relative"] == pytest.approx((short.mean() - ref.mean()) / ref.mean())
    assert bool(row["beyond"]) and (row["n_short"], row["n_reference"]) == (10, 8)


def test_window_bias_is_not_beyond_for_the_same_distribution():
    rng = np.random.default_rng(3)
    t = window_bias(_frame(rng.normal(100, 2, 10)), _frame(rng.normal(100, 2, 10)))
    assert not bool(t.iloc[0]["beyond"])
    assert bias_sentences(t) == []


def test_bias_sentences_say_the_gap_in_the_managers_units():
    """Stays in days, shares in points, trolley waits a day."""
    stay = window_bias(_frame([84.0, 86.0, 88.0]), _frame([108.0, 110.0, 112.0]))
    four = window_bias(
        _frame([0.70, 0.71, 0.72], "ed_within_4h", "ED"), _frame([0.60, 0.61, 0.62], "ed_within_4h", "ED")
    )
    assert bias_sentences(stay) == ["hospital stay, mean 3.6 days against 4.6 days (1.0 days lower, -22%)"]
    assert bias_sentences(four) == ["ED: left the ED within 4 hours 71.0% against 61.0% (10.0 points higher, +16%)"]


def test_main_measures_turn_counts_into_rates_a_day_and_breaches_into_the_4_hour_share():
    """364 trolley waits over 364 days = 1 a day; a 4-hour breach share of 0.3 = 70% within 4 hours."""
    s = load_scenario(BASELINE).model_copy(update={"horizon_days": 364.0})
    ga = [u for u, spec in s.units.items() if spec.ed is None and u != "ICU"]
    rows = [("los_mean_h", "ALL", 100.0), ("wait_for_bed_mean_h", "ALL", 3.0)]
    rows += [("ed_dta_12h_waits", "ED", 364.0), ("ed_4h_breach_share", "ED", 0.3)]
    rows += [("occupancy_mean", u, 0.5 * s.units[u].beds) for u in ga]
    kpis = pd.DataFrame([{"rep": 0, "metric": m, "unit": u, "value": v} for m, u, v in rows])
    got = main_measures(kpis, None, s).set_index(["measure", "unit"])["value"]
    assert got[("trolley_waits_12h_per_day", "ED")] == pytest.approx(1.0)
    assert got[("ed_within_4h", "ED")] == pytest.approx(0.7)
    assert got[("stay_mean_h", "ALL")] == 100.0
    assert got[("ga_occupancy_midnight", "ALL")] == pytest.approx(0.5)  # no census: the 24-hour average


# --------------------------------------------------------------------------- the baseline, end to end
def _measures(scenario, horizon_days: int, warmup_days: int, replications: int, seed: int) -> pd.DataFrame:
    from hospital_twin.experiment.runner import run_scenario

    s = scenario.model_copy(update={"horizon_days": float(horizon_days), "warmup_days": float(warmup_days)})
    r = run_scenario(s, replications=replications, seed=seed, workers=2, keep_log=False)
    return main_measures(r.kpis, r.census, r.scenario)


MAIN = {"stay_mean_h", "ed_within_4h", "trolley_waits_12h_per_day", "ga_occupancy_midnight"}


@pytest.mark.slow
def test_the_apps_default_run_of_the_baseline_is_not_biased_by_its_length():
    """The app's defaults (the scenario's year after its warm-up) against a year after 3 x that warm-up (independent
    seed): mean stay, 4-hour share, trolley waits and G&A occupancy agree within their 95% intervals. The old default
    (28 days after 28 days) run the same way is beyond them on the mean stay: the check can fail. Five replications
    each (the defaults' length and warm-up decide the bias, their replications only the width): about a minute of
    CPU."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    import state

    s = load_scenario(BASELINE)
    d = state.default_run_settings(s)
    assert (d["horizon_days"], d["warmup_days"]) == (math.ceil(s.horizon_days), math.ceil(s.warmup_days))
    reference = _measures(s, d["horizon_days"], 3 * d["warmup_days"], 5, s.seed + 1)
    default = _measures(s, d["horizon_days"], d["warmup_days"], 5, s.seed)  # length and warm-up decide the bias
    t = window_bias(default, reference)
    t = t[t["measure"].isin(MAIN)]
    assert set(t["measure"]) == MAIN
    assert not t["beyond"].any(), t[t["beyond"]][["words", "short_mean", "reference_mean", "difference"]]
    old = window_bias(_measures(s, 28, 28, 5, s.seed), reference)
    assert old.set_index("measure").loc["stay_mean_h", "beyond"], old
