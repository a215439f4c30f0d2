"""``t_half_width`` takes the t quantile from scipy.special (no scipy.stats import): the same numbers (issue 16)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from hospital_twin.results import t_half_width


def test_t_half_width_is_the_student_t_interval_bit_for_bit():
    """For 1..400 values and the usual confidences, the half-width is t.ppf(0.5 + c/2, n-1) sd / sqrt(n), exactly."""
    n = np.arange(1, 401)
    sd = np.linspace(0.1, 50.0, n.size)
    for confidence in (0.8, 0.9, 0.95, 0.99):
        expected = np.where(
            n > 1, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1)), np.nan
        )
        got = t_half_width(sd, n, confidence)
        assert np.isnan(got[0]) and np.array_equal(got[1:], expected[1:])
