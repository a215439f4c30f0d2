"""The analytic references in tests/helpers.py, checked against closed forms and known values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import erlang_b, erlang_c, mmc_mean_wait, mt_inf_periodic_mean


def _erlang_b_direct(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.4), (10, 8.0), (20, 15.0), (30, 35.0)])
def test_reference_erlang_b_recursion_equals_direct_sum(c, a):
    """The stable Erlang B recursion equals (a^c/c!) / sum_k a^k/k!."""
    assert erlang_b(c, a) == pytest.approx(_erlang_b_direct(c, a), rel=1e-12)


def test_reference_erlang_b_large_systems_stay_finite():
    """The recursion works where factorials overflow (c = 2000) and gives B(1, a) = a / (1 + a)."""
    assert 0 < erlang_b(2000, 1900.0) < 0.05
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    assert erlang_b(10, 8.0) == pytest.approx(0.12166, abs=1e-5)  # tabulated


def test_reference_erlang_c_closed_forms():
    """Erlang C: M/M/1 waits with probability rho; M/M/2 with 2 rho^2 / (1 + rho); Wq of M/M/1 is rho / (mu - lambda)."""
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    rho = 0.7
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))
    lam, mu = 0.7, 1.0
    assert mmc_mean_wait(1, lam, mu) == pytest.approx(lam / mu / (mu - lam))
    with pytest.raises(ValueError):
        erlang_c(3, 3.0)


def test_reference_mt_inf_constant_rate_is_offered_load():
    """With a constant rate the periodic M_t/M/inf mean is lambda / mu at every hour."""
    m = mt_inf_periodic_mean(np.full(24, 3.0), 0.2)
    np.testing.assert_allclose(m, 15.0, rtol=1e-12)
