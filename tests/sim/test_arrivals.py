"""Arrival streams: thinning follows the weekly profile, multipliers, class mix, elective lists."""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from tests.conftest import tiny


def _arrival_times(scn: Scenario, reps: int = 1) -> np.ndarray:
    return np.concatenate([simulate(scn, rep).arrivals[:, 2] for rep in range(reps)])


def _big(**arrival) -> Scenario:
    stream = {"name": "adm", "unit": "WARD", "per_day": 48.0, **arrival}
    return Scenario.model_validate(
        tiny(
            horizon_days=140,
            units={"WARD": {"beds": 10_000}},
            arrivals=[stream],
            length_of_stay={"WARD": {"distribution": "fixed", "value_hours": 1}},
        )
    )


def test_arrivals_poisson_count_matches_rate():
    """A constant stream of 48/day gives 48 x 140 arrivals within 4 Poisson standard deviations."""
    n = len(_arrival_times(_big()))
    expected = 48 * 140
    assert abs(n - expected) < 4 * np.sqrt(expected)


def test_arrivals_hour_of_day_profile_is_followed():
    """Thinning reproduces the hour-of-day weights: each hour's share within 4 binomial SDs."""
    weights = np.array(
        [
            0.5,
            0.4,
            0.4,
            0.4,
            0.5,
            0.6,
            0.8,
            1.0,
            1.3,
            1.5,
            1.6,
            1.6,
            1.5,
            1.4,
            1.3,
            1.3,
            1.2,
            1.2,
            1.1,
            1.0,
            0.9,
            0.8,
            0.7,
            0.6,
        ]
    )
    t = _arrival_times(_big(hour_of_day=weights.tolist()))
    share = np.bincount((t % 24).astype(int), minlength=24) / len(t)
    p = weights / weights.sum()
    assert np.all(np.abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(t)))


def test_arrivals_day_of_week_profile_is_followed():
    """Monday's weight 2 against 1 elsewhere: Monday holds 2/8 of arrivals."""
    t = _arrival_times(_big(day_of_week=[2, 1, 1, 1, 1, 1, 1]))
    monday = np.mean(((t // 24) % 7) == 0)
    assert abs(monday - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(t))


def test_arrivals_dated_multipliers_surge_and_closure():
    """A x2 surge doubles the rate in its period; factor 0 closes the stream."""
    t = _arrival_times(
        _big(
            multipliers=[
                {"from": "2025-02-03", "to": "2025-02-17", "factor": 2.0},
                {"from": "2025-03-03", "to": "2025-03-10", "factor": 0.0},
            ]
        )
    )
    day = t // 24
    surge = np.sum((day >= 28) & (day < 42))  # 2025-02-03 is day 28
    closed = np.sum((day >= 56) & (day < 63))
    assert abs(surge - 2 * 48 * 14) < 4 * np.sqrt(2 * 48 * 14)
    assert closed == 0


def test_arrivals_class_mix_shares():
    """A stream with class_mix assigns classes in those shares."""
    scn = Scenario.model_validate(
        tiny(
            horizon_days=100,
            units={"WARD": {"beds": 1000}},
            arrivals=[{"name": "adm", "unit": "WARD", "per_day": 40, "class_mix": {"medical": 0.7, "surgical": 0.3}}],
        )
    )
    out = simulate(scn)
    cls = out.arrivals[:, 3].astype(int)
    share = np.mean(np.array(out.class_names)[cls] == "medical")
    assert abs(share - 0.7) < 4 * np.sqrt(0.21 / len(cls))


def test_arrivals_elective_list_counts_per_weekday():
    """An elective list books exactly its count each weekday at its hour."""
    scn = Scenario.model_validate(
        tiny(
            horizon_days=14,
            arrivals=[],
            units={"WARD": {"beds": 1000}},
            electives=[{"name": "list", "unit": "WARD", "per_weekday": [3, 2, 0, 0, 1, 0, 0], "hour": 7.5}],
        )
    )
    t = simulate(scn).arrivals[:, 2]
    assert sorted(t.tolist()) == sorted(
        [d * 24 + 7.5 for w in (0, 7) for d, n in ((w, 3), (w + 1, 2), (w + 4, 1)) for _ in range(n)]
    )


def test_arrivals_fractional_elective_counts_average_out():
    """2.5 per Monday books 2 or 3, averaging 2.5."""
    scn = Scenario.model_validate(
        tiny(
            horizon_days=7 * 200,
            arrivals=[],
            units={"WARD": {"beds": 1000}},
            electives=[{"name": "list", "unit": "WARD", "per_weekday": [2.5, 0, 0, 0, 0, 0, 0]}],
        )
    )
    t = simulate(scn).arrivals[:, 2]
    counts = np.bincount((t // 168).astype(int))
    assert set(counts.tolist()) <= {2, 3}
    assert counts.mean() == pytest.approx(2.5, abs=4 * 0.5 / np.sqrt(200))


def test_arrivals_adding_a_stream_leaves_others_unchanged():
    """Streams are keyed by name: adding one does not move another's arrivals (common random numbers)."""
    one = _big()
    data = one.model_dump(by_alias=True)
    data["arrivals"].append({"name": "extra", "unit": "WARD", "per_day": 5.0})
    two = Scenario.model_validate(data)
    a = simulate(one).arrivals
    b = simulate(two).arrivals
    assert set(a[:, 2].tolist()) <= set(b[:, 2].tolist())
