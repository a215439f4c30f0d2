"""Exact event traces on tiny hand-built scenarios (deterministic arrivals and stays).

Elective lists give arrivals at exact clock times and fixed stays remove randomness,
so every start and end can be computed by hand. Times are hours since Monday 00:00.
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.results import adt_log, rep_kpis
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS

F = {n: i for i, n in enumerate(STAY_FIELDS)}


def fixed(h: float) -> dict:
    return {"distribution": "fixed", "value_hours": h}


def scenario(
    units: dict, los: dict, *, n: int = 2, hour: float = 8, routes=None, cancel=48.0, days=5, **extra
) -> Scenario:
    first = next(iter(units))
    data = {
        "name": "trace",
        "start": "2025-01-06T00:00:00",
        "horizon_days": days,
        "seed": 3,
        "units": units,
        "electives": [
            {
                "name": "list",
                "unit": first,
                "per_weekday": [n, 0, 0, 0, 0, 0, 0],
                "hour": hour,
                "cancel_after_hours": cancel,
            }
        ],
        "length_of_stay": {u: fixed(h) for u, h in los.items()},
        "routes": routes or {},
    }
    data.update(extra)
    return Scenario.model_validate(data)


def trace(scn: Scenario) -> list[tuple]:
    """(patient, unit, ready_at, start, end) per stay, in order of start."""
    out = simulate(scn)
    rows = []
    for s in out.stays:
        end = None if np.isnan(s[F["end"]]) else round(float(s[F["end"]]), 6)
        rows.append(
            (
                int(s[F["patient"]]),
                out.unit_names[int(s[F["unit"]])],
                round(float(s[F["ready_at"]]), 6),
                round(float(s[F["start"]]), 6),
                end,
            )
        )
    return sorted(rows, key=lambda r: (r[3], r[0]))


def test_trace_single_bed_queue_is_first_come_first_served():
    """Two patients for one bed: the second waits until the first leaves."""
    scn = scenario({"A": {"beds": 1}}, {"A": 10})
    assert trace(scn) == [(0, "A", 8, 8, 18), (1, "A", 8, 18, 28)]


def test_trace_turnaround_delays_next_admission():
    """A bed being cleaned for 2 h is not given to the waiting patient."""
    scn = scenario({"A": {"beds": 1, "turnaround_hours": 2}}, {"A": 10})
    assert trace(scn) == [(0, "A", 8, 8, 18), (1, "A", 8, 20, 30)]


def test_trace_elective_cancelled_after_patience():
    """An elective who finds no bed within cancel_after_hours is cancelled, not admitted."""
    scn = scenario({"A": {"beds": 1}}, {"A": 10}, cancel=5)
    out = simulate(scn)
    assert trace(scn) == [(0, "A", 8, 8, 18)]
    assert out.cancellations[:, :4].tolist() == [[1, 0, 8, 13]]
    assert out.source_names[int(out.cancellations[0, 5])] == scn.electives[0].source


def test_trace_reject_turns_the_second_patient_away():
    """when_full: reject turns an arrival away at once."""
    scn = scenario({"A": {"beds": 1, "when_full": "reject"}}, {"A": 10})
    out = simulate(scn)
    assert trace(scn) == [(0, "A", 8, 8, 18)]
    assert out.rejections[:, :3].tolist() == [[1, 0, 8]]


def test_trace_blocking_keeps_the_bed_until_the_next_unit_has_one():
    """A patient whose next unit is full stays in its current bed; the wait is blocked bed time."""
    scn = scenario({"A": {"beds": 1}, "B": {"beds": 1}}, {"A": 10, "B": 20}, routes={"A": {"B": 1.0}})
    assert trace(scn) == [
        (0, "A", 8, 8, 18),
        (0, "B", 18, 18, 38),
        (1, "A", 8, 18, 38),  # ready to move at 28, B frees at 38
        (1, "B", 28, 38, 58),
    ]
    k = rep_kpis(simulate(scn)).set_index(["metric", "unit"])["value"]
    assert k[("blocked_bed_hours", "A")] == pytest.approx(10)
    assert k[("wait_for_bed_mean_h", "B")] == pytest.approx(5)  # (0 + 10) / 2


def test_trace_discharge_window_holds_patient_overnight():
    """A stay ending at 18:00 outside an 08-16 window leaves at 08:00 the next day."""
    scn = scenario({"A": {"beds": 2}}, {"A": 10}, n=1, discharge={"window_hours": [8, 16]})
    assert trace(scn) == [(0, "A", 8, 8, 32)]
    k = rep_kpis(simulate(scn)).set_index(["metric", "unit"])["value"]
    assert k[("discharge_delay_bed_hours", "A")] == pytest.approx(14)


def test_trace_no_weekend_discharges_wait_for_monday():
    """With weekend_rate 0, a patient ready on Saturday leaves on Monday when the window opens."""
    scn = scenario(
        {"A": {"beds": 2}}, {"A": 5 * 24}, n=1, days=10, discharge={"window_hours": [8, 20], "weekend_rate": 0.0}
    )
    # ready Saturday 08:00 (t = 128); Monday 08:00 is t = 176
    assert trace(scn)[0] == (0, "A", 8, 8, 176)


def test_trace_escalation_bed_opens_under_pressure():
    """With the only base bed taken, pressure opens an escalation bed for the second patient."""
    scn = scenario({"A": {"beds": 1, "escalation": {"beds": 1, "open_at": 1.0, "close_below": 0.5}}}, {"A": 10})
    assert trace(scn) == [(0, "A", 8, 8, 18), (1, "A", 8, 8, 18)]


def test_trace_capacity_cut_never_evicts():
    """Cutting 2 beds to 1 while both are taken lets both patients finish their stays."""
    scn = scenario(
        {"A": {"beds": 2, "capacity_changes": [{"at": "2025-01-06T10:00:00", "beds": 1}]}},
        {"A": 10},
        n=2,
        electives=[
            {"name": "l1", "unit": "A", "per_weekday": [2, 0, 0, 0, 0, 0, 0], "hour": 8, "cancel_after_hours": 48},
            {"name": "l2", "unit": "A", "per_weekday": [1, 0, 0, 0, 0, 0, 0], "hour": 12, "cancel_after_hours": 48},
        ],
    )
    rows = trace(scn)
    assert rows[:2] == [(0, "A", 8, 8, 18), (1, "A", 8, 8, 18)]
    # the third patient (12:00) gets the single bed left only when both have gone
    assert rows[2][2:] == (12, 18, 28)


def test_trace_ed_clinician_queue():
    """One ED clinician: the second patient is seen when the first assessment ends."""
    scn = scenario(
        {"ED": {"beds": 5, "kind": "ed", "ed": {"clinicians": 1, "assessment": fixed(1)}}},
        {"ED": 0.5},
    )
    out = simulate(scn)
    assert trace(scn) == [(0, "ED", 8, 8, 9.5), (1, "ED", 8, 8, 10.5)]
    assert sorted(out.stays[:, F["seen_at"]].tolist()) == [8, 9]


def test_trace_ed_boarding_until_ward_bed():
    """A patient with a decision to admit boards in the ED until the ward has a bed."""
    scn = scenario(
        {"ED": {"beds": 5, "kind": "ed", "ed": {"clinicians": 2, "assessment": fixed(1)}}, "W": {"beds": 1}},
        {"ED": 1, "W": 30},
        routes={"ED": {"W": 1.0}},
    )
    rows = trace(scn)
    assert rows == [(0, "ED", 8, 8, 10), (1, "ED", 8, 8, 40), (0, "W", 10, 10, 40), (1, "W", 10, 40, 70)]
    k = rep_kpis(simulate(scn)).set_index(["metric", "unit"])["value"]
    assert k[("ed_boarding_mean_h", "ED")] == pytest.approx(15)
    assert k[("ed_4h_breach_share", "ED")] == pytest.approx(0.5)
    assert k[("ed_dta_12h_waits", "ED")] == 1


def test_trace_ed_dta_over_4h_share_counts_boarders_by_their_wait_from_the_decision():
    """Same trace: boarding 0 h and 30 h from the decision, so one of the two decisions to admit waited over 4 h."""
    scn = scenario(
        {"ED": {"beds": 5, "kind": "ed", "ed": {"clinicians": 2, "assessment": fixed(1)}}, "W": {"beds": 1}},
        {"ED": 1, "W": 30},
        routes={"ED": {"W": 1.0}},
    )
    k = rep_kpis(simulate(scn)).set_index(["metric", "unit"])["value"]
    assert k[("ed_dta_4h_share", "ED")] == pytest.approx(0.5)


def test_trace_staffing_cap_holds_admissions_at_night():
    """cap_admissions: with no nurse at night, a patient arriving at 22:00 waits for the 08:00 shift."""
    scn = scenario(
        {"A": {"beds": 3}},
        {"A": 4},
        n=1,
        hour=22,
        shifts={"day": {"start": "08:00", "end": "20:00"}, "night": {"start": "20:00", "end": "08:00"}},
        staffing={
            "policy": "cap_admissions",
            "units": {"A": {"patients_per_nurse": 4, "nurses": {"day": 1, "night": 0}}},
        },
    )
    assert trace(scn) == [(0, "A", 22, 32, 36)]


def test_trace_ratio_breach_hours_counted():
    """count_breaches: a patient present while no nurse is on duty is counted as a breach hour."""
    scn = scenario(
        {"A": {"beds": 3}},
        {"A": 4},
        n=1,
        hour=18,
        shifts={"day": {"start": "08:00", "end": "20:00"}, "night": {"start": "20:00", "end": "08:00"}},
        staffing={
            "policy": "count_breaches",
            "units": {"A": {"patients_per_nurse": 4, "nurses": {"day": 1, "night": 0}}},
        },
    )
    assert trace(scn) == [(0, "A", 18, 18, 22)]
    k = rep_kpis(simulate(scn)).set_index(["metric", "unit"])["value"]
    assert k[("ratio_breach_hours", "A")] == pytest.approx(2)


def test_trace_adt_log_matches_the_contract_schema():
    """The simulated log has the ADT columns, ISO timestamps and the pathway in time order."""
    scn = scenario({"A": {"beds": 1}, "B": {"beds": 1}}, {"A": 10, "B": 20}, routes={"A": {"B": 1.0}})
    log = adt_log(simulate(scn))
    assert list(log.columns[:9]) == [
        "patient_id",
        "unit",
        "start",
        "end",
        "encounter_id",
        "patient_class",
        "arrival_source",
        "discharge_destination",
        "ready_at",
    ]
    p1 = log[log["patient_id"] == "0-1"]
    assert p1["unit"].tolist() == ["A", "B"]
    assert str(p1["start"].iloc[1]) == "2025-01-07 14:00:00"  # t = 38 h
    assert p1["arrival_source"].tolist() == ["elective", "A"]
    assert p1["discharge_destination"].tolist()[-1] == "home"
