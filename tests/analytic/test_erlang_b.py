"""A unit that turns patients away when full is an Erlang loss system (M/G/c/c).

For Poisson arrivals at rate lambda, c beds and stays of mean E[S], the share of
arrivals turned away is Erlang B, ``B(c, a)`` with ``a = lambda E[S]``, whatever the
stay distribution (insensitivity), and the mean number of occupied beds is
``a (1 - B)`` (the carried load).
"""

from __future__ import annotations

import pytest

from hospital_twin.experiment.runner import run_scenario
from hospital_twin.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.helpers import (
    assert_close_to_reps,
    erlang_b,
    per_rep,
    seed,
    single_unit,
    stay,
    summary_row,
)

BEDS = 10
PER_DAY = 4.0
MEAN_H = 48.0
LOAD = PER_DAY / 24 * MEAN_H  # 8 Erlang

STAYS = {
    "lognormal_cv0.8": stay("lognormal", MEAN_H, 0.8),
    "gamma_cv1.5": stay("gamma", MEAN_H, 1.5),
    "weibull_cv0.5": stay("weibull", MEAN_H, 0.5),
}


@pytest.fixture(scope="module", params=list(STAYS))
def loss_run(request):
    s = single_unit(
        beds=BEDS,
        when_full="reject",
        per_day=PER_DAY,
        los=STAYS[request.param],
        horizon_days=1000,
        warmup_days=20,
        replications=40,
        seed=seed(101),
    )
    return request.param, run_scenario(s, keep_census=False, keep_log=False)


def test_erlang_b_rejected_share_matches_for_any_stay_distribution(loss_run):
    """The rejected share of a reject unit equals Erlang B(c, a), for lognormal, gamma and Weibull stays."""
    name, r = loss_run
    b = erlang_b(BEDS, LOAD)
    assert 0.10 < b < 0.14  # B(10, 8) = 0.1217: far enough from 0 that the check has teeth
    assert_close_to_reps(per_rep(r, "rejected_share", "WARD"), b, floor=0.002, what=f"rejected_share ({name})")


def test_erlang_b_occupancy_is_carried_load(loss_run):
    """The mean occupancy of a reject unit equals the carried load a (1 - B), for any stay distribution."""
    name, r = loss_run
    carried = LOAD * (1 - erlang_b(BEDS, LOAD))
    assert_close_to_reps(per_rep(r, "occupancy_mean", "WARD"), carried, floor=0.02, what=f"occupancy_mean ({name})")


def test_erlang_b_single_ward_example_within_reported_ci():
    """scenarios/examples/single_ward.yaml, run as written, reports CIs that contain Erlang B and a (1 - B)."""
    s = load_scenario(SCENARIOS / "examples" / "single_ward.yaml")
    assert s.units["WARD"].when_full == "reject"
    (arrival,) = s.arrivals
    c = s.units["WARD"].beds
    a = arrival.per_day / 24 * s.length_of_stay["WARD"].to_distribution().mean_h
    b = erlang_b(c, a)
    r = run_scenario(s, keep_census=False, keep_log=False)  # the scenario's own replications and seed
    share = summary_row(r, "rejected_share", "WARD")
    assert share["n_reps"] == s.replications
    assert share["ci_low"] <= b <= share["ci_high"], (b, share.to_dict())
    occ = summary_row(r, "occupancy_mean", "WARD")
    assert occ["ci_low"] <= a * (1 - b) <= occ["ci_high"], (a * (1 - b), occ.to_dict())
