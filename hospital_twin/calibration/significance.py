"""The keep-this-effect rule every fitter follows, and the small statistics behind it.

Every "keep this effect" decision needs a test with p < ``alpha`` = 0.01 *and* an
effect size above a stated minimum, because with years of data tests find effects
too small to matter, and every kept effect makes the scenario longer.

Owns :data:`ALPHA`, :data:`MIN_CLASS_STAYS`, the G statistic, the total-variation
distance and relative profiles, shared by the arrival, route, discharge and stay fitters
(its own module so that none of them imports another). Pure numpy; imports nothing from
hospital_twin.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALPHA", "MIN_CLASS_STAYS"]

MIN_CLASS_STAYS = 200
"""A patient class gets its own stay or route in a unit only with at least this many stays there."""

ALPHA = 0.01
"""Significance level of every keep-or-drop test."""


def _g_test(observed: np.ndarray, expected: np.ndarray) -> float:
    """Likelihood-ratio (G) statistic 2 sum O ln(O/E) (0 ln 0 = 0)."""
    o = np.asarray(observed, float)
    e = np.asarray(expected, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(o > 0, o * np.log(o / e), 0.0)
    return float(2 * terms.sum())


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    return float(0.5 * np.abs(np.asarray(p, float) - np.asarray(q, float)).sum())


def _profile(weights: np.ndarray, digits: int = 3) -> list[float]:
    """Relative weights scaled to mean 1, rounded."""
    w = np.asarray(weights, float)
    m = w.mean()
    if m <= 0:
        return [1.0] * len(w)
    return [round(float(x), digits) for x in w / m]
