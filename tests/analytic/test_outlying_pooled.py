"""Two identical units that overflow into each other are one pooled Erlang loss system.

Units A and B have ``c`` beds each, turn arrivals away when full, and place a patient in
the other unit at once when their own is full (no stay factor). An arrival is then turned
away exactly when all ``2c`` beds are taken, so the share turned away is Erlang B(2c, a_A + a_B)
whatever the stay distribution (insensitivity), and the mean number of occupied beds is the
carried load (a_A + a_B)(1 - B). Repatriation moves a patient between the two units with the
rest of its stay, so it changes neither. Without outlying each unit is its own loss system
(B(c, a) each), which the test tells apart.
"""

from __future__ import annotations

import pytest

from hospital_twin.experiment.runner import run_scenario
from tests.helpers import assert_close_to_reps, erlang_b, per_rep, scenario, seed, stay

BEDS = 6
PER_DAY = 3.0
MEAN_H = 48.0
LOAD = PER_DAY / 24 * MEAN_H  # 6 Erlang offered to each unit


def _pair(outlying: bool, repatriate: str = "after_waiting"):
    units = {"A": {"beds": BEDS, "when_full": "reject"}, "B": {"beds": BEDS, "when_full": "reject"}}
    if outlying:
        units["A"]["outlying"] = {"hosts": ["B"], "repatriate": repatriate}
        units["B"]["outlying"] = {"hosts": ["A"], "repatriate": repatriate}
    return scenario(
        units=units,
        arrivals=[{"name": "a", "unit": "A", "per_day": PER_DAY}, {"name": "b", "unit": "B", "per_day": PER_DAY}],
        length_of_stay={"A": stay("lognormal", MEAN_H, 1.2), "B": stay("lognormal", MEAN_H, 1.2)},
        horizon_days=400,
        warmup_days=20,
        replications=20,
        seed=seed(131),
    )


@pytest.fixture(scope="module", params=["never", "after_waiting"])
def pooled(request):
    return request.param, run_scenario(_pair(True, request.param), keep_census=False, keep_log=False)


def test_mutual_overflow_blocking_is_erlang_b_of_the_pool(pooled):
    """With mutual outlying the share turned away is Erlang B(2c, total load), not B(c, a)."""
    mode, r = pooled
    b = erlang_b(2 * BEDS, 2 * LOAD)
    assert abs(b - erlang_b(BEDS, LOAD)) > 0.06  # 0.199 pooled vs 0.265 apart: the test has teeth
    assert_close_to_reps(per_rep(r, "rejected_share", "ALL"), b, floor=0.004, what=f"pooled blocking ({mode})")
    assert per_rep(r, "outlier_admissions", "ALL").min() > 0


def test_mutual_overflow_occupancy_is_the_carried_load(pooled):
    """The pool's mean occupied beds equal the carried load (a_A + a_B)(1 - B(2c, a_A + a_B))."""
    mode, r = pooled
    carried = 2 * LOAD * (1 - erlang_b(2 * BEDS, 2 * LOAD))
    assert_close_to_reps(per_rep(r, "occupancy_mean", "ALL"), carried, floor=0.03, what=f"pooled occupancy ({mode})")


def test_without_outlying_each_unit_is_its_own_loss_system():
    """The same pair without outlying blocks at B(c, a), so the pooled result above comes from outlying."""
    r = run_scenario(_pair(False).model_copy(update={"replications": 10}), keep_census=False, keep_log=False)
    assert_close_to_reps(per_rep(r, "rejected_share", "ALL"), erlang_b(BEDS, LOAD), floor=0.005, what="apart")
