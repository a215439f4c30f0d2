"""The in-loop time-at-occupancy accumulators agree with occupancy rebuilt from the stays."""

from __future__ import annotations

import numpy as np

from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.conftest import tiny

F = {n: i for i, n in enumerate(STAY_FIELDS)}


def _hours_at_level(starts, ends, lo, hi) -> np.ndarray:
    """Hours spent at each occupancy level over [lo, hi), from interval endpoints."""
    ends = np.where(np.isnan(ends), np.inf, ends)
    t = np.concatenate([starts, ends, [lo, hi]])
    t = np.unique(np.clip(t, lo, hi))
    mids = (t[:-1] + t[1:]) / 2
    level = ((starts[None, :] <= mids[:, None]) & (ends[None, :] > mids[:, None])).sum(axis=1)
    return np.bincount(level, weights=np.diff(t))


def test_levels_match_stays_per_unit_and_hospital():
    """Hours at each level (after warm-up) equal those rebuilt from stay start and end times."""
    scn = Scenario.model_validate(
        tiny(
            horizon_days=40,
            warmup_days=5,
            units={"ICU": {"beds": 4}, "WARD": {"beds": 9, "turnaround_hours": 1.5}},
            arrivals=[{"name": "a", "unit": "ICU", "per_day": 2.2}],
            routes={"ICU": {"WARD": 0.8, "exit": 0.2}},
            length_of_stay={
                "ICU": {"distribution": "lognormal", "mean_hours": 40, "cv": 1.0},
                "WARD": {"distribution": "gamma", "mean_hours": 90, "cv": 0.8},
            },
        )
    )
    out = simulate(scn)
    S = out.stays
    lo, hi = out.warmup_h, out.end_h
    for ui in range(len(out.unit_names)):
        m = S[:, F["unit"]] == ui
        ref = _hours_at_level(S[m, F["start"]], S[m, F["end"]], lo, hi)
        got = out.level_hours[ui][: len(ref)]
        assert np.allclose(got, ref, atol=1e-6), out.unit_names[ui]
        assert out.level_hours[ui][len(ref) :].sum() < 1e-9
    ref = _hours_at_level(S[:, F["start"]], S[:, F["end"]], lo, hi)
    assert np.allclose(out.hospital_level_hours[: len(ref)], ref, atol=1e-6)
    assert abs(out.hospital_level_hours.sum() - (hi - lo)) < 1e-6
