"""Blocking: a patient ready to move on keeps its bed until the next unit has one.

ICU -> WARD with a small queueing WARD: ICU patients whose stay has ended wait in their
ICU bed, so ``blocked_bed_hours`` of the ICU is positive and equals the bed-hours
between ``ready_to_leave`` and ``end`` of its transfers in the ADT log (clipped to the
observation window; an open blocked stay runs to the end of the run). With a huge
WARD nobody is ever blocked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hospital_twin.experiment.runner import run_scenario
from tests.helpers import per_rep, scenario, seed, stay


def _tandem(ward_beds: int):
    return scenario(
        units={"ICU": {"beds": 6, "when_full": "queue"}, "WARD": {"beds": ward_beds, "when_full": "queue"}},
        arrivals=[{"name": "emergencies", "unit": "ICU", "per_day": 2.0}],
        routes={"ICU": {"WARD": 0.7, "exit": 0.3}},
        length_of_stay={"ICU": stay("exponential", 36), "WARD": stay("lognormal", 72, 0.8)},
        horizon_days=90,
        warmup_days=7,
        replications=4,
        seed=seed(909),
    )


def _hours(ts: pd.Series, start) -> np.ndarray:
    return ((ts - pd.Timestamp(start)) / pd.Timedelta(hours=1)).to_numpy(dtype=float, na_value=np.nan)


def _blocked_from_adt(adt: pd.DataFrame, scenario, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: sum over transfers out of ``unit`` of (end - ready_to_leave) in the window, and the row count."""
    lo, hi = scenario.warmup_h, scenario.end_h
    adt = adt.sort_values(["rep", "patient_id", "start"], kind="stable")
    moved_on = adt.groupby(["rep", "patient_id"])["unit"].shift(-1).notna()  # a later stay follows
    ready = _hours(adt["ready_to_leave"], scenario.start)
    end = _hours(adt["end"], scenario.start)
    still_blocked = ~np.isnan(ready) & np.isnan(end)  # no discharge rule here: ready and in bed = blocked
    refused = adt["discharge_destination"].eq("transferred_out").fillna(False).to_numpy(dtype=bool)
    in_unit = (adt["unit"] == unit).to_numpy(dtype=bool)
    transfer = in_unit & (moved_on.to_numpy(dtype=bool) | still_blocked | refused)
    end = np.where(np.isnan(end), hi, end)
    held = np.clip(np.minimum(end, hi) - np.maximum(ready, lo), 0, None)
    reps = adt["rep"].to_numpy()
    n_rep = scenario.replications
    sums = np.array([held[transfer & (reps == r)].sum() for r in range(n_rep)])
    rows = np.array([(transfer & (reps == r)).sum() for r in range(n_rep)])
    return sums, rows


@pytest.fixture(scope="module")
def small_ward():
    s = _tandem(ward_beds=6)
    return s, run_scenario(s, keep_census=False)


def test_blocking_small_downstream_unit_blocks_upstream_beds(small_ward):
    """With a small WARD downstream, the ICU has blocked bed-hours in every replication (and the WARD none)."""
    s, r = small_ward
    blocked = per_rep(r, "blocked_bed_hours", "ICU")
    assert (blocked > 24).all(), blocked
    assert (per_rep(r, "blocked_bed_hours", "WARD") == 0).all()  # the WARD only sends patients home
    assert (per_rep(r, "blocked_bed_hours", "ALL") == blocked).all()


def test_blocking_bed_hours_equal_adt_ready_to_end(small_ward):
    """The ICU's blocked_bed_hours equal the sum over its transfers of (end - ready_to_leave) from the ADT log."""
    s, r = small_ward
    from_log, rows = _blocked_from_adt(r.adt_log, s, "ICU")
    # the ADT log keeps times to the second: allow one second per transfer
    kpi = per_rep(r, "blocked_bed_hours", "ICU")
    assert (np.abs(kpi - from_log) <= rows / 3600).all(), (kpi, from_log, rows)
    assert (rows > 50).all()


def test_blocking_huge_downstream_unit_blocks_nothing():
    """With a WARD that is never full, no ICU bed is ever blocked: blocked_bed_hours is 0 and the log agrees."""
    s = _tandem(ward_beds=1000)
    r = run_scenario(s, keep_census=False)
    assert (per_rep(r, "blocked_bed_hours", "ICU") == 0).all()
    assert (per_rep(r, "blocked_bed_hours", "ALL") == 0).all()
    from_log, rows = _blocked_from_adt(r.adt_log, s, "ICU")
    assert (rows > 50).all()
    assert (from_log <= rows / 3600).all()
