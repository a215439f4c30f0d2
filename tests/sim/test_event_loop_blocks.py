"""Variates drawn ahead in blocks by the event loop are the very numbers drawn one at a time.

The simulator draws cleaning times and ED assessments for a block of beds or patients in one
call (``sim/model.py``: ``_turnaround_block``, ``_dna_block``); results stay identical only if
a block holds exactly what the one-at-a-time draws gave (same uniforms in the same order, same
quantiles to the last bit).
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.distributions import Empirical, Exponential, Gamma, Lognormal, Weibull
from hospital_twin.sim.model import _BLOCK, _U_ASSESS, DNA_WIDTH, _dna_block, _turnaround_block, _Unit

DISTRIBUTIONS = [
    Gamma.from_mean_cv(1.5, 0.5),
    Gamma.from_mean_cv(0.5, 0.6),
    Lognormal.from_mean_cv(2.0, 0.8),
    Exponential(1.25),
    Weibull.from_mean_cv(3.0, 1.2),
    Empirical([0.0, 0.5, 1.0], [0.5, 1.0, 4.0]),
]


def _unit(**attrs) -> _Unit:
    u = _Unit(0, "U")
    for k, v in attrs.items():
        setattr(u, k, v)
    return u


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: type(d).__name__)
def test_turnaround_block_gives_the_numbers_drawn_one_freed_bed_at_a_time(dist):
    """Two blocks of cleaning times equal, bit for bit and in order, a quantile of one uniform per freed bed."""
    u = _unit(turnaround=dist, turn_u=np.random.default_rng(7))
    drawn = _turnaround_block(u)[::-1] + _turnaround_block(u)[::-1]
    one_by_one = np.random.default_rng(7)
    assert drawn == [dist.ppf(one_by_one.random()) for _ in range(2 * _BLOCK)]


def test_ed_dna_block_carries_the_scalar_assessment_quantile():
    """An ED stream's DNA rows are the stream's uniforms, and each carries its Gamma assessment to the last bit."""
    assess = Gamma.from_mean_cv(0.5, 0.6)
    rows = _dna_block(np.random.default_rng(3), _unit(is_ed=True, assess=assess))[::-1]
    expected = np.random.default_rng(3).random((_BLOCK, DNA_WIDTH)).tolist()
    assert [row[:DNA_WIDTH] for row in rows] == expected
    assert [row[DNA_WIDTH] for row in rows] == [assess.ppf(row[_U_ASSESS]) for row in expected]
    assert all(row[DNA_WIDTH + 1] is assess for row in rows)


def test_dna_block_of_a_ward_is_the_plain_uniforms():
    """A stream into a unit that is not an ED gets its rows of uniforms and nothing else."""
    rows = _dna_block(np.random.default_rng(5), _unit(is_ed=False, assess=None))[::-1]
    assert rows == np.random.default_rng(5).random((_BLOCK, DNA_WIDTH)).tolist()
