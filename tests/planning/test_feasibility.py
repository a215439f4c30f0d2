"""The sequential feasibility check: planned looks, one-sided t-bounds, and the three verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hospital_twin.planning.feasibility import candidate_verdict, check_target, looks
from hospital_twin.planning.target import Target


def _t(op: str, bound: float, confidence: float = 0.95) -> Target:
    return Target(text="x", metric="waited_share", unit="W", op=op, bound=bound, confidence=confidence)


def test_feasibility_looks_double_up_to_the_cap():
    """Looks at n0, 2 n0, ... and the cap last; a first look needs 2 replications."""
    assert looks(5, 40) == (5, 10, 20, 40)
    assert looks(4, 30) == (4, 8, 16, 30)
    assert looks(3, 3) == (3,)
    with pytest.raises(ValueError):
        looks(1, 10)


def test_feasibility_bound_is_one_sided_t_at_the_bonferroni_level():
    """The upper bound is mean + t(1 - a/L, n - 1) sd / sqrt(n): a over L looks, one-sided."""
    v = np.array([0.10, 0.14, 0.12, 0.18, 0.11])
    chk = check_target(v, _t("<=", 0.2), n_looks=4)
    t = stats.t.ppf(1 - 0.05 / 4, 4)
    assert chk.high == pytest.approx(v.mean() + t * v.std(ddof=1) / np.sqrt(5))
    assert chk.verdict == "meets"


@pytest.mark.parametrize(
    ("values", "op", "bound", "verdict"),
    [
        ([0.30, 0.31, 0.29, 0.30], "<=", 0.2, "misses"),
        ([0.19, 0.22, 0.18, 0.21], "<=", 0.2, "undecided"),
        ([0.90, 0.91, 0.89, 0.90], ">=", 0.78, "meets"),
        ([0.70, 0.71, 0.69, 0.70], ">=", 0.78, "misses"),
        ([0.0, 0.0, 0.0], "==", 0.0, "meets"),
        ([0.0, 1.0, 0.0], "==", 0.0, "misses"),
    ],
)
def test_feasibility_verdicts(values, op, bound, verdict):
    """Meets when the interval clears the bound, misses when it clears it the other way, else undecided."""
    assert check_target(np.array(values), _t(op, bound)).verdict == verdict


def test_feasibility_candidate_needs_every_target():
    """Feasible only when every target meets; one miss is infeasible; otherwise undecided."""
    meets = check_target(np.array([0.1, 0.1, 0.1]), _t("<=", 0.2))
    misses = check_target(np.array([0.3, 0.3, 0.3]), _t("<=", 0.2))
    open_ = check_target(np.array([0.19, 0.22, 0.18]), _t("<=", 0.2))
    assert candidate_verdict([meets, meets]) == "feasible"
    assert candidate_verdict([meets, open_]) == "undecided"
    assert candidate_verdict([open_, misses]) == "infeasible"
