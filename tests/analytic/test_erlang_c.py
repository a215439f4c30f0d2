"""A unit where patients queue for a bed, with Poisson arrivals and exponential stays, is M/M/c.

The probability that an arrival waits is Erlang C, ``C(c, a)``, and the mean wait in
the queue, zeros included, is ``Wq = C / (c mu - lambda)``.
"""

from __future__ import annotations

import pytest

from hospital_twin.experiment.runner import run_scenario
from tests.helpers import (
    assert_close_to_reps,
    erlang_c,
    mmc_mean_wait,
    per_rep,
    seed,
    single_unit,
    stay,
)

MEAN_H = 24.0
CASES = {  # beds, offered load a (Erlang): utilisation 0.7 and 0.75
    "c2_rho0.70": (2, 1.4),
    "c10_rho0.75": (10, 7.5),
}


@pytest.fixture(scope="module", params=list(CASES))
def queue_run(request):
    c, a = CASES[request.param]
    per_day = a / MEAN_H * 24
    s = single_unit(
        beds=c,
        when_full="queue",
        per_day=per_day,
        los=stay("exponential", MEAN_H),
        horizon_days=2000,
        warmup_days=20,
        replications=40,
        seed=seed(202),
    )
    return request.param, c, a, run_scenario(s, keep_census=False, keep_log=False)


def test_erlang_c_waited_share_matches(queue_run):
    """The share of admitted patients who waited for a bed equals Erlang C(c, a)."""
    name, c, a, r = queue_run
    p_wait = erlang_c(c, a)
    assert_close_to_reps(per_rep(r, "waited_share", "WARD"), p_wait, floor=0.003, what=f"waited_share ({name})")


def test_erlang_c_mean_wait_matches(queue_run):
    """The mean wait for a bed (zeros included) equals Wq = C / (c mu - lambda)."""
    name, c, a, r = queue_run
    mu = 1 / MEAN_H
    wq = mmc_mean_wait(c, a * mu, mu)
    assert wq > 2.0  # hours: a wait worth measuring
    assert_close_to_reps(per_rep(r, "wait_for_bed_mean_h", "WARD"), wq, floor=0.05, what=f"wait ({name})")
    # and nobody is turned away by a queueing unit
    assert (per_rep(r, "rejected", "WARD") == 0).all()
