"""Queues that lose and reorder people (issue 13 point 3): ED patients who leave without being seen,
bed-queue priority that rises with the wait, cancelled electives rebooked.

Hand-built traces (elective lists give exact arrival times, fixed stays), conservation laws on random
runs, common random numbers, and located errors for bad values. The Erlang-A check of patience is in
``tests/analytic/test_erlang_a.py``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from hospital_twin.results import adt_log, rep_kpis, unmet_requests
from hospital_twin.scenario import ScenarioError, load_scenario
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import seed

F = {n: i for i, n in enumerate(STAY_FIELDS)}
START = "2025-01-06T00:00:00"  # Monday midnight


def fixed(h: float) -> dict:
    return {"distribution": "fixed", "value_hours": h}


def kpi(out, metric: str, unit: str) -> float:
    k = rep_kpis(out)
    return float(k[(k.metric == metric) & (k.unit == unit)]["value"].iloc[0])


# --------------------------------------------------------------------------- ED patience
def ed_scenario(patience: dict | None, *, cubicles: int = 8, days: float = 20, warmup: float = 0.0) -> Scenario:
    arrival = {"name": "walk_in", "unit": "ED", "per_day": 130}
    if patience is not None:
        arrival["patience"] = patience
    return Scenario.model_validate(
        {
            "name": "ed",
            "start": START,
            "horizon_days": days,
            "warmup_days": warmup,
            "seed": seed(31),
            "units": {
                "ED": {
                    "beds": cubicles,
                    "kind": "ed",
                    "ed": {"clinicians": 2, "assessment": {"distribution": "exponential", "mean_hours": 0.4}},
                },
                "WARD": {"beds": 40},
            },
            "arrivals": [arrival],
            "routes": {"ED": {"WARD": 0.2, "exit": 0.8}},
            "length_of_stay": {
                "ED": {"distribution": "exponential", "mean_hours": 1.5},
                "WARD": {"distribution": "exponential", "mean_hours": 30},
            },
        }
    )


def test_patience_nobody_reaches_changes_nothing():
    """Patience drawn from its own stream: a patience longer than any wait leaves every stay as without it."""
    a = simulate(ed_scenario(None))
    b = simulate(ed_scenario(fixed(10_000)))
    assert len(b.left_unseen) == 0
    np.testing.assert_array_equal(a.stays, b.stays)
    np.testing.assert_array_equal(a.waiting_at_end, b.waiting_at_end)


def test_ed_conservation_arrivals_equal_seen_left_and_waiting():
    """Every ED arrival is seen, left without being seen (from a cubicle or its queue), or still waiting."""
    out = simulate(ed_scenario({"distribution": "exponential", "mean_hours": 1.0}, cubicles=5))
    ed = out.unit_names.index("ED")
    S = out.stays[out.stays[:, F["unit"]] == ed]
    seen = ~np.isnan(S[:, F["seen_at"]])
    left_cubicle = S[:, F["dest"]] == -3
    waiting_in_cubicle = ~seen & np.isnan(S[:, F["end"]])
    waiting_for_cubicle = int((out.waiting_at_end[:, 1] == ed).sum())
    left_queue = int((out.left_unseen[:, 1] == ed).sum())
    arrivals = int((out.arrivals[:, 1] == ed).sum())
    assert left_cubicle.sum() > 50 and left_queue > 50  # both ways of leaving happen here
    assert not (seen & left_cubicle).any()
    assert arrivals == seen.sum() + left_cubicle.sum() + left_queue + waiting_in_cubicle.sum() + waiting_for_cubicle
    # the KPIs say the same: arrivals = admitted + rejected + cancelled + still waiting + left from the queue
    assert kpi(out, "left_without_being_seen", "ED") == left_cubicle.sum() + left_queue
    assert kpi(out, "arrivals", "ED") == arrivals
    assert kpi(out, "left_without_being_seen_share", "ED") == pytest.approx(
        (left_cubicle.sum() + left_queue) / arrivals
    )
    # the log ends a left patient's ED row when it left; requests.* lists those who never had a cubicle
    log = adt_log(out)
    gone = log[log.discharge_destination == "left_without_being_seen"]
    assert len(gone) == left_cubicle.sum() and gone.end.notna().all() and gone.seen_at.isna().all()
    assert (unmet_requests(out).outcome == "left_without_being_seen").sum() == left_queue


def test_more_patience_never_raises_the_share_who_leave_unseen():
    """Under common random numbers, doubling every patient's patience lowers the share who leave unseen."""
    shares = []
    for mean_h in (0.5, 1.0, 2.0, 4.0):
        scn = ed_scenario({"distribution": "exponential", "mean_hours": mean_h}, days=15, warmup=1)
        shares.append([kpi(simulate(scn, rep), "left_without_being_seen_share", "ED") for rep in range(4)])
    shares = np.array(shares)
    assert (np.diff(shares.mean(axis=1)) < 0).all(), shares
    assert (np.diff(shares, axis=0) <= 0).all(), shares  # and replication by replication


# --------------------------------------------------------------------------- priority rising with the wait
def aging_trace(hours: float) -> list[tuple[str, float, float]]:
    """One bed, held 0-10 h; class B (priority 2) asks at 1 h, class A (priority 0) at 7 h."""
    scn = Scenario.model_validate(
        {
            "name": "aging",
            "start": START,
            "horizon_days": 2,
            "seed": 1,
            "units": {"W": {"beds": 1}},
            "electives": [
                {
                    "name": n,
                    "unit": "W",
                    "per_weekday": [1, 0, 0, 0, 0, 0, 0],
                    "hour": h,
                    "patient_class": c,
                    "cancel_after_hours": 48,
                }
                for n, h, c in (("x", 0, "X"), ("b", 1, "B"), ("a", 7, "A"))
            ],
            "length_of_stay": {"W": fixed(10)},
            "patient_classes": {
                "X": {},
                "A": {"priority": 0},
                "B": {"priority": 2, "priority_after": {"hours": hours, "priority": 0}},
            },
        }
    )
    out = simulate(scn)
    return sorted(
        (out.class_names[int(s[F["pclass"]])], float(s[F["ready_at"]]), float(s[F["start"]])) for s in out.stays
    )


def test_priority_after_moves_a_long_waiter_ahead():
    """B has waited 5 h by 6 h: from then it ranks with A (priority 0), and asked first, so it goes first at 10 h."""
    assert aging_trace(5) == [("A", 7, 20), ("B", 1, 10), ("X", 0, 0)]


def test_priority_after_not_yet_reached_keeps_the_order():
    """B would need 12 h of waiting (13 h) to rank with A: at 10 h A goes first."""
    assert aging_trace(12) == [("A", 7, 10), ("B", 1, 20), ("X", 0, 0)]


# --------------------------------------------------------------------------- rebooking
def rebook_scenario(block_h: float, max_rebookings: int = 2) -> Scenario:
    """One bed held from 0 h for ``block_h``; an elective asks Monday 8:00, cancelled after 4 h, rebooked 2 days on."""
    return Scenario.model_validate(
        {
            "name": "rebook",
            "start": START,
            "horizon_days": 6,
            "seed": 1,
            "units": {"W": {"beds": 1}},
            "electives": [
                {
                    "name": "blocker",
                    "unit": "W",
                    "per_weekday": [1, 0, 0, 0, 0, 0, 0],
                    "hour": 0,
                    "patient_class": "L",
                    "cancel_after_hours": 1,
                },
                {
                    "name": "list",
                    "unit": "W",
                    "per_weekday": [1, 0, 0, 0, 0, 0, 0],
                    "hour": 8,
                    "cancel_after_hours": 4,
                    "rebook_after_days": 2,
                    "max_rebookings": max_rebookings,
                },
            ],
            "patient_classes": {"L": {"length_of_stay": {"W": fixed(block_h)}}, "elective": {}},
            "length_of_stay": {"W": fixed(10)},
        }
    )


def test_rebooking_trace_until_cancelled_for_good():
    """Cancelled at 12 h, asks again Wednesday 8:00 (56 h), cancelled 60 h, Friday 104 h, cancelled for good 108 h."""
    out = simulate(rebook_scenario(200))
    assert out.cancellations[:, 2:4].tolist() == [[8, 12], [56, 60], [104, 108]]
    assert out.rebookings[:, 2:5].tolist() == [[8, 12, 56], [56, 60, 104]]
    assert len(set(out.cancellations[:, 0])) == 1  # one patient, three requests
    assert kpi(out, "cancelled", "W") == 3
    assert kpi(out, "elective_rebooked", "W") == 2
    assert kpi(out, "elective_cancelled_final", "ALL") == 1
    assert kpi(out, "elective_rebook_pending", "W") == 0  # the last new date (104 h) is inside the run
    req = unmet_requests(out)
    assert req.outcome.tolist() == ["rebooked", "rebooked", "cancelled"]
    assert req.patient_id.nunique() == 1


def test_rebooked_patient_is_admitted_when_a_bed_is_free():
    """The bed frees at 50 h: the patient rebooked for 56 h gets it at once, as the same patient."""
    out = simulate(rebook_scenario(50))
    stays = sorted((float(s[F["ready_at"]]), float(s[F["start"]]), int(s[F["patient"]])) for s in out.stays)
    cancelled_pid = int(out.cancellations[0, 0])
    assert stays[1] == (56.0, 56.0, cancelled_pid)
    assert kpi(out, "elective_cancelled_final", "W") == 0


def test_rebooking_conservation_booked_equals_done_cancelled_waiting_pending():
    """Per booked patient, on a busy ward: booked = admitted + rejected + cancelled for good + still waiting +
    pending a new date at the end, exactly."""
    scn = Scenario.model_validate(
        {
            "name": "busy",
            "start": START,
            "horizon_days": 60,
            "seed": seed(77),
            "units": {"W": {"beds": 12}},
            "arrivals": [{"name": "em", "unit": "W", "per_day": 3.4}],
            "electives": [
                {
                    "name": "list",
                    "unit": "W",
                    "per_weekday": [2, 2, 2, 2, 2, 0, 0],
                    "hour": 8,
                    "cancel_after_hours": 2,
                    "rebook_after_days": 7,
                    "max_rebookings": 2,
                }
            ],
            "length_of_stay": {"W": {"distribution": "exponential", "mean_hours": 72}},
        }
    )
    out = simulate(scn)
    el = out.class_names.index("elective")
    booked = out.arrivals[out.arrivals[:, 3] == el, 0].astype(int).tolist()
    admitted = set(out.stays[out.stays[:, F["pclass"]] == el, F["patient"]].astype(int).tolist())
    n_cancel = dict.fromkeys(booked, 0)
    for p in out.cancellations[:, 0].astype(int).tolist():
        n_cancel[p] += 1
    n_rebook = dict.fromkeys(booked, 0)
    for p in out.rebookings[:, 0].astype(int).tolist():
        n_rebook[p] += 1
    final = {p for p in booked if n_cancel[p] > n_rebook[p]}
    waiting = set(out.waiting_at_end[:, 0].astype(int).tolist())
    pending = set(out.rebookings[out.rebookings[:, 4] >= scn.end_h, 0].astype(int).tolist())
    rejected = set(out.rejections[:, 0].astype(int).tolist())
    assert len(out.rebookings) > 20 and final and pending  # every fate happens
    parts = [admitted, final, waiting, pending, rejected]
    assert sum(len(p) for p in parts) == len(booked) == len(set().union(*parts))
    assert set().union(*parts) == set(booked)
    assert all(n_rebook[p] <= 2 for p in booked)
    assert kpi(out, "elective_cancelled_final", "W") == len(final)
    assert kpi(out, "elective_rebook_pending", "W") == len(pending) == kpi(out, "elective_rebook_pending", "ALL")
    assert kpi(out, "elective_rebooked", "W") + len(final) == kpi(out, "cancelled", "W")


# --------------------------------------------------------------------------- bad values, located
BASE = """\
name: q
start: 2025-01-06T00:00:00
horizon_days: 10
units:
  ED: {beds: 10, kind: ed, ed: {clinicians: 2, assessment: {distribution: exponential, mean_hours: 0.5}}}
  WARD: {beds: 10}
arrivals:
  - name: walk_in
    unit: ED
    per_day: 50
electives:
  - name: list
    unit: WARD
    per_weekday: [2, 2, 2, 2, 2, 0, 0]
patient_classes:
  general: {priority: 1}
  elective: {}
routes:
  ED: {WARD: 0.2, exit: 0.8}
length_of_stay:
  ED: {distribution: exponential, mean_hours: 2}
  WARD: {distribution: exponential, mean_hours: 50}
"""


@pytest.mark.parametrize(
    ("replace", "by", "line", "field", "words"),
    [
        (
            "    unit: ED\n",
            "    unit: WARD\n    patience: {distribution: exponential, mean_hours: 2}\n",
            10,
            "arrivals[0].patience",
            "has no `ed:` block",
        ),
        (
            "    per_day: 50\n",
            "    per_day: 50\n    patience: {distribution: exponential, mean_hours: -2}\n",
            11,
            "arrivals[0].patience.mean_hours",
            "greater than 0",
        ),
        (
            "general: {priority: 1}",
            "general: {priority: 1, priority_after: {hours: 12, priority: 1}}",
            16,
            "patient_classes.general",
            "must be lower (better)",
        ),
        (
            "general: {priority: 1}",
            "general: {priority: 1, priority_after: {hours: 0, priority: 0}}",
            16,
            "patient_classes.general.priority_after.hours",
            "greater than 0",
        ),
        (
            "    per_weekday: [2, 2, 2, 2, 2, 0, 0]\n",
            "    per_weekday: [2, 2, 2, 2, 2, 0, 0]\n    rebook_after_days: 7\n",
            12,
            "electives[0]",
            "needs max_rebookings",
        ),
        (
            "    per_weekday: [2, 2, 2, 2, 2, 0, 0]\n",
            "    per_weekday: [2, 2, 2, 2, 2, 0, 0]\n    max_rebookings: 2\n",
            12,
            "electives[0]",
            "needs rebook_after_days",
        ),
        (
            "    per_weekday: [2, 2, 2, 2, 2, 0, 0]\n",
            "    per_weekday: [2, 2, 2, 2, 2, 0, 0]\n    rebook_after_days: 0\n    max_rebookings: 1\n",
            15,
            "electives[0].rebook_after_days",
            "greater than or equal to 1",
        ),
    ],
)
def test_bad_queue_values_name_file_line_and_field(tmp_path, replace, by, line, field, words):
    """Each bad value of the queue keys is reported with the file, the line and the field path."""
    assert replace in BASE
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(BASE.replace(replace, by, 1)), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    hit = [i for i in info.value.issues if i.field == field]
    assert hit, f"no issue for {field}: {info.value.issues}"
    assert hit[0].line == line and words in hit[0].message, hit[0]


def test_model_description_names_patience_aging_and_rebooking():
    """The report's STRESS-DES description says who leaves unseen and who is rebooked."""
    from hospital_twin.reporting.describe import describe_scenario

    ed = dict(describe_scenario(ed_scenario({"distribution": "exponential", "mean_hours": 2})))
    assert "leave without being seen" in ed["2. Logic: emergency department"]
    text = "\n".join(t for _h, t in describe_scenario(rebook_scenario(200)))
    assert "booked again 2 days after the day of the cancellation" in text


def test_ed_time_measures_count_every_attendance_including_those_who_left_unseen():
    """Every attendance counts in the ED time measures, recomputed from the raw records: a stay in a cubicle
    with its time in the department (a leaver from the cubicle: waited for a clinician until leaving, a
    censored time to clinician), a leaver from the cubicle queue with ``t_left - ready_at`` as both."""
    out = simulate(ed_scenario(fixed(1.0), cubicles=7, days=3))
    S, lu, hi = out.stays, out.left_unseen, out.end_h
    ed = out.unit_names.index("ED")
    S = S[S[:, F["unit"]] == ed]
    end = np.where(np.isnan(S[:, F["end"]]), hi, S[:, F["end"]])
    seen = np.where(np.isnan(S[:, F["seen_at"]]), end, S[:, F["seen_at"]])
    cubicle_left = (S[:, F["dest"]] == -3).sum()
    assert len(lu) > 20 and cubicle_left > 5  # both ways of leaving unseen happen
    t_in = np.concatenate([end - S[:, F["ready_at"]], lu[:, 3] - lu[:, 2]])
    to_clin = np.concatenate([seen - S[:, F["ready_at"]], lu[:, 3] - lu[:, 2]])
    still = out.waiting_at_end
    t_in = np.concatenate([t_in, hi - still[still[:, 1] == ed, 2]])
    to_clin = np.concatenate([to_clin, hi - still[still[:, 1] == ed, 2]])
    assert len(t_in) == kpi(out, "ed_attendances", "ED")
    assert kpi(out, "ed_time_in_dept_mean_h", "ED") == pytest.approx(t_in.mean(), rel=1e-12)
    assert kpi(out, "ed_4h_breach_share", "ED") == pytest.approx((t_in > 4).mean(), rel=1e-12)
    assert kpi(out, "ed_12h_breach_share", "ED") == pytest.approx((t_in > 12).mean(), rel=1e-12)
    assert kpi(out, "ed_time_to_clinician_mean_h", "ED") == pytest.approx(to_clin.mean(), rel=1e-12)


def test_a_new_date_after_the_end_of_the_run_is_pending():
    """The trace above cut at 4 days (96 h): cancelled at 12 and 60, the second new date (104 h) falls after
    the end: 2 rebooked, 1 of them pending, none cancelled for good; booked (1) = pending (1)."""
    data = rebook_scenario(200).model_dump(by_alias=True, exclude_none=True)
    data["horizon_days"] = 4
    out = simulate(Scenario.model_validate(data))
    assert out.rebookings[:, 2:5].tolist() == [[8, 12, 56], [56, 60, 104]]
    for unit in ("W", "ALL"):
        assert kpi(out, "elective_rebooked", unit) == 2
        assert kpi(out, "elective_rebook_pending", unit) == 1
        assert kpi(out, "elective_cancelled_final", unit) == 0
    assert kpi(out, "admitted", "W") == 1 and kpi(out, "still_waiting", "W") == 0  # the blocker only
