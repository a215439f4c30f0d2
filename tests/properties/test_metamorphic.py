"""Metamorphic relations under common random numbers (one seed, scenarios that differ in one knob).

Every patient carries its own uniforms (arrival times, stays, routes), so two scenarios
run with one seed see the same patients. Then, on a first-come-first-served queue,
each patient's wait is a non-increasing function of the number of beds and of every
stay length (Kiefer-Wolfowitz: the sorted vector of bed-free times is monotone in both),
so these hold replication by replication, not only on average:

* more beds never lengthen the mean wait, and never lengthen any patient's wait;
* shorter stays (same shape, smaller mean) never lengthen the mean wait;
* more beds on a unit that turns patients away admit more and reject fewer;
* a higher arrival rate never lowers the occupancy.

The last two are not sample-path theorems (a higher rate rescales the arrival times;
an extra admission to a loss system can displace a later one), so the scenarios are
chosen with steps large enough that the expected change is many standard deviations
of its replication-to-replication noise; they were checked under several seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.experiment.runner import run_scenario
from hospital_twin.sim.model import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import per_rep, seed, single_unit, stay

F = {name: i for i, name in enumerate(STAY_FIELDS)}
REPS = 8
BEDS = [10, 11, 12, 14]


def _queue_unit(beds=10, per_day=4.4, mean_hours=48.0):
    # a = 8.8 Erlang on 10 beds: long waits, which more beds shorten
    return single_unit(
        beds=beds,
        when_full="queue",
        per_day=per_day,
        los=stay("lognormal", mean_hours, 1.0),
        horizon_days=120,
        warmup_days=10,
        replications=REPS,
        seed=seed(808),
    )


def _loss_unit(beds=10, per_day=4.0):
    return single_unit(
        beds=beds,
        when_full="reject",
        per_day=per_day,
        los=stay("gamma", 48, 1.2),
        horizon_days=200,
        warmup_days=10,
        replications=REPS,
        seed=seed(809),
    )


def _non_increasing(rows: np.ndarray) -> bool:
    """Each column (replication) is non-increasing down the rows (scenarios)."""
    return bool((np.diff(rows, axis=0) <= 1e-9).all())


def test_metamorphic_more_beds_never_lengthen_mean_wait():
    """On a queueing unit, 10, 11, 12, 14 beds give a non-increasing mean wait in every replication."""
    waits = np.array(
        [
            per_rep(run_scenario(_queue_unit(beds=c), keep_census=False, keep_log=False), "wait_for_bed_mean_h", "WARD")
            for c in BEDS
        ]
    )
    assert waits[0].min() > 1.0  # there is a wait to shorten
    assert _non_increasing(waits), waits


def test_metamorphic_more_beds_never_lengthen_any_patients_wait():
    """Patient by patient (raw records, same seed): a wait with more beds is never longer (waits cut at the end)."""
    for rep in range(3):
        waits = []
        for c in BEDS:
            out = simulate(_queue_unit(beds=c), rep)
            n = len(out.arrivals)
            w = np.full(n, np.nan)
            pid = out.stays[:, F["patient"]].astype(int)
            w[pid] = out.stays[:, F["start"]] - out.stays[:, F["ready_at"]]
            still = out.waiting_at_end[:, 0].astype(int)
            w[still] = out.end_h - out.waiting_at_end[:, 2]  # censored at the end of the run
            assert not np.isnan(w).any()
            waits.append(w)
        lengths = {len(w) for w in waits}
        assert len(lengths) == 1  # the same patients arrive whatever the beds
        assert _non_increasing(np.array(waits))
        assert (waits[0] > waits[-1]).sum() > 100  # and many do wait less


def test_metamorphic_shorter_stays_never_lengthen_mean_wait():
    """On a queueing unit, mean stays of 48, 45, 42, 36 h give a non-increasing mean wait in every replication."""
    waits = np.array(
        [
            per_rep(
                run_scenario(_queue_unit(mean_hours=m), keep_census=False, keep_log=False),
                "wait_for_bed_mean_h",
                "WARD",
            )
            for m in (48, 45, 42, 36)
        ]
    )
    assert waits[0].min() > 1.0
    assert _non_increasing(waits), waits


def test_metamorphic_more_beds_admit_more_and_reject_fewer():
    """On a reject unit, 10, 11, 12, 14 beds give non-decreasing admissions and non-increasing rejections per replication."""
    runs = [run_scenario(_loss_unit(beds=c), keep_census=False, keep_log=False) for c in BEDS]
    admitted = np.array([per_rep(r, "admitted", "WARD") for r in runs])
    rejected = np.array([per_rep(r, "rejected", "WARD") for r in runs])
    arrivals = np.array([per_rep(r, "arrivals", "WARD") for r in runs])
    assert (arrivals == arrivals[0]).all()  # the same patients ask, whatever the beds
    assert rejected[0].min() > 50
    assert _non_increasing(-admitted), admitted
    assert _non_increasing(rejected), rejected


@pytest.mark.parametrize("when_full", ["queue", "reject"])
def test_metamorphic_higher_arrival_rate_never_lowers_occupancy(when_full):
    """A higher per_day (3.0, 3.4, 3.8, 4.2) never lowers a unit's mean occupancy, in every replication."""
    occ = []
    for per_day in (3.0, 3.4, 3.8, 4.2):
        if when_full == "queue":
            s = _queue_unit(per_day=per_day)
        else:
            s = _loss_unit(per_day=per_day)
        occ.append(per_rep(run_scenario(s, keep_census=False, keep_log=False), "occupancy_mean", "WARD"))
    assert _non_increasing(-np.array(occ)), np.array(occ)
