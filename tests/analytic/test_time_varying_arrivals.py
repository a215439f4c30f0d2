"""Sinusoidal arrivals into a never-full unit: the mean census follows Eick, Massey & Whitt.

For ``lambda(t) = lam (1 + A sin(w t))`` and exponential stays of rate ``mu`` the mean
number present in an M_t/M/inf system is (Eick, Massey & Whitt 1993)

    m(t) = (lam / mu) [1 + A (mu^2 / (mu^2 + w^2)) (sin w t - (w / mu) cos w t)],

a sinusoid whose amplitude is damped by ``mu / sqrt(mu^2 + w^2)`` and whose peak lags
the arrivals' by ``atan(w / mu) / w`` hours.

The scenario language gives the rate as 24 hour-of-day weights, constant within each
clock hour, ``w_h = 1 + A sin(2 pi h / 24)``. The reference is therefore computed for
that piecewise-constant rate exactly (convolution with the exponential survival
function, :func:`tests.helpers.mt_inf_periodic_mean`); it is checked against the EMW
formula, which it matches once the hold's half-hour delay and sinc(w/2) amplitude
factor are applied.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hospital_twin.experiment.runner import run_scenario
from tests.helpers import (
    assert_close_to_reps,
    emw_mean,
    first_harmonic,
    mt_inf_periodic_mean,
    seed,
    single_unit,
    stay,
)

PER_DAY = 240.0  # 10 an hour on average
AMP = 0.8
MEAN_H = 4.0  # exponential stays, mu = 0.25 / h
MU = 1 / MEAN_H
W = 2 * math.pi / 24
WEIGHTS = [1 + AMP * math.sin(W * h) for h in range(24)]  # mean exactly 1
RATE = np.array(WEIGHTS) / np.mean(WEIGHTS) * PER_DAY / 24
LAM = PER_DAY / 24
HOLD = math.sin(W / 2) / (W / 2)  # amplitude of the first harmonic of an hourly step function

EMW_DAMPING = MU / math.hypot(MU, W)  # 0.69
EMW_DELAY_H = math.atan(W / MU) / W  # 3.09 h


FINE = np.arange(0, 24, 0.001)  # a fine grid over one day, for the continuous curves


@pytest.fixture(scope="module")
def reference():
    """The exact mean census at whole clock hours 0..23 (where the census is sampled)."""
    return mt_inf_periodic_mean(RATE, MU)


# Midnight on a Monday, and 07:00 on a Wednesday: the clock hour of simulation hour t is
# (t + 7) % 24 in the second, which checks that arrival weights follow the clock.
STARTS = {"monday_00h": ("2025-01-06T00:00:00", 0), "wednesday_07h": ("2025-01-08T07:00:00", 7)}


@pytest.fixture(scope="module", params=list(STARTS))
def census_by_hour(request):
    """Mean census at each whole clock hour 0..23, one row per replication."""
    start, start_hour = STARTS[request.param]
    s = single_unit(
        beds=10_000,
        when_full="queue",
        per_day=PER_DAY,
        los=stay("exponential", MEAN_H),
        hour_of_day=WEIGHTS,
        horizon_days=40,
        warmup_days=2,
        replications=20,
        seed=seed(505),
        start=start,
    )
    r = run_scenario(s, keep_log=False)
    c = r.census[(r.census["time_h"] >= s.warmup_h) & (r.census["time_h"] < s.end_h)].copy()
    c["hour"] = ((c["time_h"] + start_hour) % 24).astype(int)
    table = c.pivot_table(index="rep", columns="hour", values="occupied", aggfunc="mean")
    assert list(table.columns) == list(range(24))
    return table.to_numpy()


def test_mt_inf_reference_first_harmonic_is_emw():
    """Self-check: the reference's first harmonic is EMW's, for the hourly rate's own first harmonic.

    The system is linear and time-invariant, so the first harmonic of the mean census is
    the EMW response to the first harmonic of the hourly step rate, which is the sine
    delayed by half an hour with amplitude ``A sinc(w/2)``.
    """
    rate_amp, rate_peak = first_harmonic(np.repeat(RATE, 1000))  # the step function on a fine grid
    assert rate_amp == pytest.approx(LAM * AMP * HOLD, rel=1e-6)
    assert rate_peak == pytest.approx(6.5, abs=1e-3)
    amp, peak = first_harmonic(mt_inf_periodic_mean(RATE, MU, FINE))
    assert amp == pytest.approx(LAM / MU * AMP * HOLD * EMW_DAMPING, rel=1e-6)
    assert peak - rate_peak == pytest.approx(EMW_DELAY_H, abs=1e-3)
    # and the curve itself is EMW's up to the step's higher harmonics (< 0.5 % of the mean)
    exact = mt_inf_periodic_mean(RATE, MU, FINE)
    np.testing.assert_allclose(exact, emw_mean(FINE - 0.5, LAM, AMP * HOLD, MU), atol=0.2)
    assert mt_inf_periodic_mean(RATE, MU, FINE).mean() == pytest.approx(LAM / MU, rel=1e-4)


def test_mt_inf_census_follows_reference_every_clock_hour(census_by_hour, reference):
    """At every clock hour the mean census equals the M_t/M/inf reference (4 SE: 24 comparisons)."""
    for h in range(24):
        assert_close_to_reps(census_by_hour[:, h], reference[h], k=4.0, floor=0.1, what=f"census at {h:02d}:00")


def test_mt_inf_census_amplitude_is_damped(census_by_hour, reference):
    """The census swings by EMW's damped amplitude (x mu/sqrt(mu^2+w^2) = 0.69), not the undamped lam A / mu."""
    undamped = LAM / MU * AMP * HOLD
    # sampled at whole hours, the step rate's higher harmonics alias into the first (+0.6 %)
    ref_amp, _ = first_harmonic(reference)
    assert ref_amp / undamped == pytest.approx(EMW_DAMPING, rel=0.01)
    amps, _ = first_harmonic(census_by_hour)
    assert_close_to_reps(amps / undamped, ref_amp / undamped, floor=0.003, what="amplitude / undamped amplitude")
    assert np.mean(amps) < 0.8 * undamped  # visibly damped


def test_mt_inf_census_peak_lags_arrival_peak(census_by_hour, reference):
    """The census peaks atan(w/mu)/w = 3.1 h after the arrival rate (6:30 for hourly steps), as EMW predict."""
    rate_peak = 6.5  # the sine's 6:00 plus the hourly hold's half hour (checked in the self-check)
    _, ref_peak = first_harmonic(reference)
    assert ref_peak - rate_peak == pytest.approx(EMW_DELAY_H, abs=0.05)  # aliasing moves it 0.02 h
    _, peaks = first_harmonic(census_by_hour)
    assert_close_to_reps(peaks - rate_peak, ref_peak - rate_peak, floor=0.03, what="peak delay (h)")
    assert np.mean(peaks - rate_peak) > 2.5  # visibly delayed
