"""Metamorphic properties of outlying on the baseline, under common random numbers (short runs).

Allowing outlying never raises ED boarding, and neither does a higher outlier cap: the
paired difference (with minus without, same seed, same patients) is not positive beyond
two standard errors, and outlying does happen (the comparison has teeth).
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.experiment.runner import run_scenario
from hospital_twin.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.helpers import per_rep, seed

pytestmark = pytest.mark.slow


def _short(path):
    s = load_scenario(path)
    return s.model_copy(update={"horizon_days": 56.0, "warmup_days": 14.0, "replications": 4, "seed": seed(2025)})


def _boarding(s) -> tuple[np.ndarray, object]:
    r = run_scenario(s, keep_census=False, keep_log=False)
    return per_rep(r, "ed_boarding_mean_h", "ED"), r


def _not_higher(new: np.ndarray, old: np.ndarray) -> None:
    d = new - old
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() <= 2 * se, (new, old)


def test_allowing_outlying_never_raises_ed_boarding():
    """The baseline (with outlying) against the no-outlying what-if: ED boarding (mean hours) does not rise."""
    without, _ = _boarding(_short(SCENARIOS / "whatif" / "no_outlying.yaml"))
    with_outlying, r = _boarding(_short(SCENARIOS / "baseline.yaml"))
    assert per_rep(r, "outlier_admissions", "ALL").min() > 0
    _not_higher(with_outlying, without)


def test_a_higher_outlier_cap_never_raises_ed_boarding():
    """SURG hosting at most 2 outliers against at most 12: the larger cap does not raise ED boarding."""
    s = _short(SCENARIOS / "baseline.yaml")
    units = dict(s.units)
    units["SURG"] = units["SURG"].model_copy(update={"max_outliers": 2})
    low, r_low = _boarding(s.model_copy(update={"units": units}))
    high, r_high = _boarding(s)
    assert (
        per_rep(r_high, "outliers_hosted_mean", "SURG").mean() > per_rep(r_low, "outliers_hosted_mean", "SURG").mean()
    )
    _not_higher(high, low)
