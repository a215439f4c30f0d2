"""Dated roster entries (``staffing.roster``) override the weekly nurse pattern on exactly their shift.

Hand-built traces: elective patients arrive at exact clock times and stay a fixed time,
so the hours above the ratio and the admissions held back by the staffed-bed cap can be
worked out by hand. Times are hours since Monday 2025-01-06 00:00.
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.results import rep_kpis
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS

F = {n: i for i, n in enumerate(STAY_FIELDS)}
SHIFTS = {"day": {"start": "08:00", "end": "20:00"}, "night": {"start": "20:00", "end": "08:00"}}


def scenario(policy: str, per_weekday: list[int], hour: float, stay_h: float, roster: list[dict]) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "roster-trace",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 4,
            "seed": 3,
            "units": {"A": {"beds": 6}},
            "electives": [
                {"name": "list", "unit": "A", "per_weekday": per_weekday, "hour": hour, "cancel_after_hours": 48}
            ],
            "length_of_stay": {"A": {"distribution": "fixed", "value_hours": stay_h}},
            "shifts": SHIFTS,
            "staffing": {
                "policy": policy,
                "units": {"A": {"patients_per_nurse": 4, "nurses": {"day": 1, "night": 1}}},
                "roster": roster,
            },
        }
    )


def breach_h(scn: Scenario) -> float:
    k = rep_kpis(simulate(scn)).set_index(["metric", "unit"])["value"]
    return float(k[("ratio_breach_hours", "A")])


def starts(scn: Scenario) -> list[tuple[float, float]]:
    out = simulate(scn)
    return sorted((round(float(s[F["start"]]), 6), round(float(s[F["end"]]), 6)) for s in out.stays)


def test_roster_night_without_nurse_breaches_only_on_its_date():
    """A Monday patient present 18:00-22:00: Monday's night at 0 nurses gives 2 breach hours; Tuesday's gives none."""
    assert breach_h(scenario("count_breaches", [1, 0, 0, 0, 0, 0, 0], 18, 4, [])) == 0
    monday = [{"date": "2025-01-06", "shift": "night", "unit": "A", "nurses": 0}]
    tuesday = [{"date": "2025-01-07", "shift": "night", "unit": "A", "nurses": 0}]
    assert breach_h(scenario("count_breaches", [1, 0, 0, 0, 0, 0, 0], 18, 4, monday)) == pytest.approx(2)
    assert breach_h(scenario("count_breaches", [1, 0, 0, 0, 0, 0, 0], 18, 4, tuesday)) == 0


def test_roster_night_shift_belongs_to_the_date_it_starts():
    """At Monday 02:00 the night shift on duty began on Sunday: Sunday's entry applies, Monday's does not."""
    sunday = [{"date": "2025-01-05", "shift": "night", "unit": "A", "nurses": 0}]
    monday = [{"date": "2025-01-06", "shift": "night", "unit": "A", "nurses": 0}]
    assert breach_h(scenario("count_breaches", [1, 0, 0, 0, 0, 0, 0], 2, 4, sunday)) == pytest.approx(4)
    assert breach_h(scenario("count_breaches", [1, 0, 0, 0, 0, 0, 0], 2, 4, monday)) == 0


def test_roster_caps_staffed_beds_on_the_rostered_date_only():
    """cap_admissions: Monday night unstaffed, Monday's 22:00 patient waits for Tuesday 08:00; Tuesday's is admitted at once."""
    roster = [{"date": "2025-01-06", "shift": "night", "unit": "A", "nurses": 0}]
    assert starts(scenario("cap_admissions", [1, 1, 0, 0, 0, 0, 0], 22, 4, [])) == [(22, 26), (46, 50)]
    assert starts(scenario("cap_admissions", [1, 1, 0, 0, 0, 0, 0], 22, 4, roster)) == [(32, 36), (46, 50)]


def test_roster_more_nurses_than_pattern_raises_the_staffed_level():
    """Five patients from Monday 09:00 with 1 nurse x 4 breach for the whole 10 h stay; 2 rostered nurses remove it."""
    base = scenario("count_breaches", [5, 0, 0, 0, 0, 0, 0], 9, 10, [])
    assert breach_h(base) == pytest.approx(10)
    two = [{"date": "2025-01-06", "shift": "day", "unit": "A", "nurses": 2}]
    assert breach_h(scenario("count_breaches", [5, 0, 0, 0, 0, 0, 0], 9, 10, two)) == 0
    out = simulate(scenario("count_breaches", [5, 0, 0, 0, 0, 0, 0], 9, 10, two))
    levels = {round(float(t), 3): float(v) for t, _u, v in out.staffed_log}
    assert levels[8.0] == 8.0 and levels[20.0] == 4.0 and levels[32.0] == 4.0
    assert np.isfinite(out.breach_hours).all()
