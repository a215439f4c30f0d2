"""The sequential feasibility check of one candidate against its targets, with a fixed confidence.

After each *look* (a planned number of replications: ``n0, 2 n0, 4 n0, ...`` up to the cap) every
target gets a one-sided t-bound on its mean: for ``measure <= bound`` the upper bound
``mean + t(1 - a/L, n - 1) sd / sqrt(n)``, for ``>=`` the lower one, where ``a`` is one minus the
target's confidence and ``L`` the number of looks planned (Bonferroni over the looks, so that
looking several times does not spend more than ``a``). The target *meets* its bound when the
bound on the mean clears it, *misses* it when the opposite bound clears it the other way, and
is *undecided* while the interval straddles it; only an undecided candidate gets more
replications. A candidate is feasible when every target meets, infeasible as soon as one
misses, and undecided at the cap otherwise (the plan never accepts it: not shown feasible).
``==`` is a count, not an estimate: every replication must equal the bound.

Method: feasibility determination for stochastic constraints (Szechtman and Yücesan 2008;
Batur and Kim 2010), here with Bonferroni over looks instead of their indifference-zone
continuation region; see docs/capacity_planning.md for the guarantee and its limits. Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hospital_twin import results
from hospital_twin.planning.target import Target

__all__ = ["MEETS", "MISSES", "UNDECIDED", "TargetCheck", "candidate_verdict", "check_target", "looks"]

MEETS, MISSES, UNDECIDED = "meets", "misses", "undecided"


def looks(n0: int, n_max: int) -> tuple[int, ...]:
    """Replication counts at which the check looks: ``n0``, doubling, the last one ``n_max``."""
    if n0 < 2:
        raise ValueError("the first look needs at least 2 replications (a standard deviation)")
    if n_max < n0:
        raise ValueError(f"the cap on replications ({n_max}) is below the first look ({n0})")
    out = [n0]
    while out[-1] < n_max:
        out.append(min(2 * out[-1], n_max))
    return tuple(out)


@dataclass(frozen=True)
class TargetCheck:
    """One target at one look: the mean, the one-sided bounds of the look's interval, the verdict."""

    estimate: float
    low: float
    high: float
    n: int
    verdict: str

    def words(self, target: Target) -> str:
        """``0.812 (0.801..0.823) meets >= 0.78``."""
        return f"{self.estimate:.4g} ({self.low:.4g}..{self.high:.4g}) {self.verdict} {target.op} {target.bound:g}"


def check_target(values: np.ndarray, target: Target, n_looks: int = 1) -> TargetCheck:
    """The verdict on ``target`` from per-replication ``values`` at one of ``n_looks`` planned looks."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return TargetCheck(math.nan, math.nan, math.nan, 0, UNDECIDED)
    mean = float(v.mean())
    if target.op == "==":
        ok = bool(np.all(np.isclose(v, target.bound, rtol=0, atol=1e-12)))
        return TargetCheck(mean, float(v.min()), float(v.max()), n, MEETS if ok else MISSES)
    if n < 2:
        return TargetCheck(mean, -math.inf, math.inf, n, UNDECIDED)
    alpha = (1.0 - target.confidence) / max(1, n_looks)
    # one-sided at 1 - alpha is the two-sided interval at 1 - 2 alpha (the package's one t-interval)
    half = float(results.t_half_width(np.array([v.std(ddof=1)]), np.array([n]), 1.0 - 2.0 * alpha)[0])
    low, high = mean - half, mean + half
    if target.op == "<=":
        verdict = MEETS if high <= target.bound else MISSES if low > target.bound else UNDECIDED
    else:
        verdict = MEETS if low >= target.bound else MISSES if high < target.bound else UNDECIDED
    return TargetCheck(mean, low, high, n, verdict)


def candidate_verdict(checks: list[TargetCheck]) -> str:
    """``feasible`` when every target meets, ``infeasible`` when one misses, else ``undecided``."""
    if any(c.verdict == MISSES for c in checks):
        return "infeasible"
    if all(c.verdict == MEETS for c in checks):
        return "feasible"
    return UNDECIDED
