"""An emergency department whose patients leave when their wait for a clinician exceeds an exponential
patience is the Erlang-A queue M/M/c+M (clinicians are the servers; cubicles never run out here).

Expected values come from :func:`tests.helpers.erlang_a` (the birth-death chain), itself checked against
two closed forms: Erlang C as patience grows without bound, and M/M/inf when patience and service rates
are equal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import assert_close_to_reps, erlang_a, erlang_c, mmc_mean_wait, scenario, seed

F = {n: i for i, n in enumerate(STAY_FIELDS)}
C, LAM, MU, THETA = 3, 6.0, 2.0, 1.0  # per hour: offered load 3 Erlang on 3 clinicians, patience mean 1 h
REPS = 16


def test_erlang_a_helper_matches_closed_forms():
    """With almost no abandonment Erlang-A is Erlang C; with theta = mu the number in system is Poisson(a)."""
    near_c = erlang_a(3, 4.0, 2.0, 1e-9)
    assert near_c["p_wait"] == pytest.approx(erlang_c(3, 2.0), rel=1e-6)
    assert near_c["mean_wait"] == pytest.approx(mmc_mean_wait(3, 4.0, 2.0), rel=1e-6)
    inf = erlang_a(4, 6.0, 2.0, 2.0)
    assert inf["p_wait"] == pytest.approx(stats.poisson.sf(3, 3.0), rel=1e-9)
    assert inf["mean_queue"] == pytest.approx(sum((k - 4) * stats.poisson.pmf(k, 3.0) for k in range(5, 200)))


@pytest.fixture(scope="module")
def ed_reps():
    """Per replication: (left_without_being_seen share, share who waited, mean wait to clinician or leaving, h)."""
    s = scenario(
        units={
            "ED": {
                "beds": 400,
                "kind": "ed",
                "ed": {"clinicians": C, "assessment": {"distribution": "exponential", "mean_hours": 1 / MU}},
            }
        },
        arrivals=[
            {
                "name": "walk_in",
                "unit": "ED",
                "per_day": LAM * 24,
                "patience": {"distribution": "exponential", "mean_hours": 1 / THETA},
            }
        ],
        length_of_stay={"ED": {"distribution": "fixed", "value_hours": 0.0}},
        horizon_days=40,
        warmup_days=2,
        replications=REPS,
        seed=seed(1303),
    )
    rows = []
    for rep in range(REPS):
        S = simulate(s, rep).stays
        S = S[S[:, F["ready_at"]] >= s.warmup_h]
        seen, left = ~np.isnan(S[:, F["seen_at"]]), S[:, F["dest"]] == -3
        done = seen | left
        wait = np.where(seen, S[:, F["seen_at"]], S[:, F["end"]])[done] - S[done, F["ready_at"]]
        rows.append((left.sum() / len(S), (wait > 1e-9).mean(), wait.mean()))
    return np.array(rows)


def test_erlang_a_share_left_without_being_seen(ed_reps):
    """The share of arrivals who leave unseen equals Erlang-A's probability of abandoning."""
    expected = erlang_a(C, LAM, MU, THETA)["p_abandon"]
    assert_close_to_reps(ed_reps[:, 0], expected, floor=0.004, what="P(abandon)")


def test_erlang_a_share_who_wait(ed_reps):
    """The share of arrivals who find every clinician busy equals Erlang-A's probability of waiting."""
    expected = erlang_a(C, LAM, MU, THETA)["p_wait"]
    assert_close_to_reps(ed_reps[:, 1], expected, floor=0.006, what="P(wait)")


def test_erlang_a_mean_wait(ed_reps):
    """The mean wait for a clinician (or until leaving unseen), zeros included, equals Erlang-A's E[W]."""
    expected = erlang_a(C, LAM, MU, THETA)["mean_wait"]
    assert math.isclose(expected, erlang_a(C, LAM, MU, THETA)["p_abandon"] / THETA)
    assert_close_to_reps(ed_reps[:, 2], expected, floor=0.004, what="E[W] (h)")
