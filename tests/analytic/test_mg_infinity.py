"""A unit that is never full is M/G/infinity: the census is Poisson with mean lambda E[S].

In steady state the number of patients present has a Poisson distribution with mean
``lambda E[S]`` whatever the stay distribution, so both the time-average and the
variance of the hourly census equal ``lambda E[S]``.
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.experiment.runner import run_scenario
from tests.helpers import assert_close_to_reps, seed, single_unit, stay

PER_DAY = 48.0
MEAN_H = 10.0
LOAD = PER_DAY / 24 * MEAN_H  # 20 patients on average
WARMUP_DAYS = 5

STAYS = {
    "gamma_cv2": stay("gamma", MEAN_H, 2.0),
    "lognormal_cv0.5": stay("lognormal", MEAN_H, 0.5),
}


@pytest.fixture(scope="module", params=list(STAYS))
def census_stats(request):
    s = single_unit(
        beds=10_000,
        when_full="queue",
        per_day=PER_DAY,
        los=STAYS[request.param],
        horizon_days=150,
        warmup_days=WARMUP_DAYS,
        replications=20,
        seed=seed(303),
    )
    r = run_scenario(s, keep_log=False)
    c = r.census[(r.census["unit"] == "WARD") & (r.census["time_h"] >= s.warmup_h)]
    g = c.groupby("rep")["occupied"]
    assert g.size().min() == s.horizon_days * 24 + 1
    return request.param, r, g.mean().to_numpy(), g.var(ddof=1).to_numpy()


def test_mg_inf_census_mean_is_offered_load(census_stats):
    """The mean hourly census of a never-full unit equals lambda E[S], for any stay distribution."""
    name, r, means, _ = census_stats
    assert_close_to_reps(means, LOAD, floor=0.05, what=f"census mean ({name})")
    assert (r.kpis.query("metric == 'waited_share'")["value"] == 0).all()  # never full indeed


def test_mg_inf_census_variance_equals_mean(census_stats):
    """The variance of the hourly census of a never-full unit equals its mean lambda E[S] (Poisson)."""
    name, _, _, variances = census_stats
    assert_close_to_reps(variances, LOAD, floor=0.2, what=f"census variance ({name})")
    # a deterministic or a binomial-thinned census would be far off: the check has teeth
    assert np.mean(variances) > 0.8 * LOAD
