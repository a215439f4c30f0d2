"""Escalation levels: a hand-computed level path (hysteresis, minimum times), postponed electives, outlying
allowed from a level, ED boarders as a trigger, and the policy with unreachable thresholds changing nothing."""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin import results
from hospital_twin.scenario.io import load_scenario
from hospital_twin.scenario.schema import DischargePushSpec
from hospital_twin.sim.calendar import Calendar
from hospital_twin.sim.escalation_policy import _pushed_rule
from hospital_twin.sim.model import HospitalSim, simulate
from tests.helpers import scenario

FIXED = lambda h: {"distribution": "fixed", "mean_hours": h}  # noqa: E731


def _four_electives(policy: dict | None, **extra):
    """Unit A (4 beds). Monday 07:00: two patients staying 24 h; 08:00: two staying 48 h; no discharge rule."""
    data = dict(
        units={"A": {"beds": 4}},
        arrivals=[],
        electives=[
            {"name": "short", "unit": "A", "patient_class": "c24", "per_weekday": [2, 0, 0, 0, 0, 0, 0], "hour": 7},
            {"name": "long", "unit": "A", "patient_class": "c48", "per_weekday": [2, 0, 0, 0, 0, 0, 0], "hour": 8},
        ],
        patient_classes={"c24": {"length_of_stay": {"A": FIXED(24)}}, "c48": {"length_of_stay": {"A": FIXED(48)}}},
        length_of_stay={},
        horizon_days=4,
        warmup_days=0,
        **extra,
    )
    if policy is not None:
        data["escalation_levels"] = {"G": policy}
    return scenario(**data)


LEVELS = [
    {"level": 2, "enter_at": 0.75, "leave_below": 0.5},
    {"level": 3, "enter_at": 1.0, "leave_below": 0.75},
]


@pytest.mark.parametrize(
    ("hold_up", "expected"),
    [
        # pressure (occupied / 4): 0.5 at 7, 0.75 then 1.0 at 8, 0.5 at 31, 0 at 56.
        # Up at once (8: to 2, then to 3). At 31 level 3 is released (0.5 < 0.75) but has lasted only 23 h
        # of its 30: down to 2 at 8 + 30 = 38. At 56 level 2 is released (0 < 0.5) after 18 h: down at 68.
        (0.0, [(0, 1), (8, 2), (8, 3), (38, 2), (68, 1)]),
        # hold_hours_up 5: level 2 at 8 (1 has lasted 8 h), level 3 only at 13; down at 43 and 73.
        (5.0, [(0, 1), (8, 2), (13, 3), (43, 2), (73, 1)]),
    ],
)
def test_hand_trace_of_the_level_path(hold_up, expected):
    out = simulate(_four_electives({"levels": LEVELS, "hold_hours": 30, "hold_hours_up": hold_up}))
    np.testing.assert_allclose(out.escalation_path, [(t, 0, lv) for t, lv in expected])
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    times = [t for t, _ in expected] + [96]
    hours = [0.0] * 4
    for (t0, lv), t1 in zip(expected, times[1:], strict=True):
        hours[lv - 1] += t1 - t0
    assert [k[(f"hours_at_level_{i}", "G")] for i in range(1, 5)] == hours


def test_without_minimum_times_the_level_follows_the_pressure_with_hysteresis():
    """hold 0: down to 2 at 31 (0.5 < 0.75 but not < 0.5: level 2 holds), to 1 at 56."""
    out = simulate(_four_electives({"levels": LEVELS}))
    np.testing.assert_allclose(out.escalation_path[:, [0, 2]], [(0, 1), (8, 2), (8, 3), (31, 2), (56, 1)])


def test_a_level_postpones_the_electives_arriving_while_it_holds():
    """postpone_electives 1 at level 2: at 08:00 the third patient raises the pressure to 0.75 (level 2),
    so the fourth is postponed: cancelled on arrival, counted in cancelled and elective_postponed."""
    levels = [{"level": 2, "enter_at": 0.75, "leave_below": 0.5, "actions": {"postpone_electives": 1.0}}]
    out = simulate(_four_electives({"levels": levels}))
    np.testing.assert_allclose(out.postponed[:, :3], [[3, 0, 8]])
    np.testing.assert_allclose(out.cancellations[:, :4], [[3, 0, 8, 8]])
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("elective_postponed", "A")] == 1 and k[("elective_postponed", "ALL")] == 1
    assert k[("cancelled", "A")] == 1 and k[("admitted", "A")] == 3 and k[("arrivals", "A")] == 4
    assert k[("escalation_actions_postpone_electives", "G")] == 1


def test_open_beds_and_discharge_push_follow_the_level():
    """Level 2 opens 2 beds in A: the capacity log shows 4 -> 6 at 8 and back to 4 at 56 (the level ends);
    escalation_beds_open_mean = 2 x 48 / 96."""
    levels = [{"level": 2, "enter_at": 0.75, "leave_below": 0.5, "actions": {"open_beds": {"A": 2}}}]
    out = simulate(_four_electives({"levels": levels}))
    np.testing.assert_allclose(out.capacity_log, [[0, 0, 4, 0], [8, 0, 6, 2], [56, 0, 4, 0]])
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("escalation_beds_open_mean", "A")] == pytest.approx(1.0)
    assert k[("escalation_actions_open_beds", "G")] == 1


def test_a_discharge_push_lets_patients_leave_at_the_weekend():
    """Discharges only on weekdays (weekend_rate 0); a patient ready on Saturday waits for Monday, unless
    level 2 (pressure >= 0.25, one patient in one of 4 beds) pushes the weekend rate to 1."""
    base = {
        "units": {"A": {"beds": 4}},
        "arrivals": [],
        "electives": [
            {"name": "el", "unit": "A", "patient_class": "c", "per_weekday": [0, 0, 0, 0, 1, 0, 0], "hour": 8}
        ],
        "patient_classes": {"c": {"length_of_stay": {"A": FIXED(30)}}},  # Friday 08:00 + 30 h = Saturday 14:00
        "length_of_stay": {},
        "horizon_days": 8,
        "warmup_days": 0,
        "discharge": {"weekend_rate": 0.0},
    }
    plain = simulate(scenario(**base))
    assert plain.stays[0, 7] == 7 * 24  # Monday 00:00 of the second week
    push = {"weekend_rate": 1.0}
    levels = [{"level": 2, "enter_at": 0.25, "leave_below": 0.25, "actions": {"discharge_push": push}}]
    out = simulate(scenario(**base, escalation_levels={"G": {"levels": levels}}))
    assert out.stays[0, 7] == 4 * 24 + 8 + 30
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("escalation_actions_discharge_push", "G")] == 1


def _outlying_pair(policy: dict | None):
    """A (1 bed) may place outliers in B; two electives for A at 07:00 Monday stay 48 h."""
    return scenario(
        units={"A": {"beds": 1, "outlying": {"hosts": ["B"], "repatriate": "never"}}, "B": {"beds": 1}},
        arrivals=[],
        electives=[{"name": "el", "unit": "A", "patient_class": "general", "per_weekday": [2, 0, 0, 0, 0, 0, 0]}],
        length_of_stay={"A": FIXED(48)},
        horizon_days=4,
        warmup_days=0,
        **({"escalation_levels": {"G": policy}} if policy else {}),
    )


@pytest.mark.parametrize(("enter_at", "outliers"), [(2.0, 1), (3.0, 0)])
def test_outlying_only_from_the_level_that_allows_it(enter_at, outliers):
    """The second patient finds A full; pressure of A becomes 2 (1 in bed + 1 waiting). With level 2 at 2.0
    it is placed in B at once; at 3.0 the level is never reached and it waits (and is cancelled)."""
    levels = [{"level": 2, "enter_at": enter_at, "leave_below": 0.5, "actions": {"allow_outlying": ["A"]}}]
    out = simulate(_outlying_pair({"units": ["A"], "levels": levels}))
    assert len(out.outliers) == outliers
    if outliers:
        np.testing.assert_allclose(out.outliers[:, :5], [[1, 0, 1, 7, 7]])
    else:
        assert len(out.cancellations) == 1


def test_ed_boarders_trigger_a_level():
    """An ED sends every patient to A (1 bed) after 1 h: from the second patient on, patients board in the ED.
    With boarders_at 1 and enter_at unreachable, level 2 starts at the first boarder's decision to admit."""
    s = scenario(
        units={
            "ED": {
                "beds": 5,
                "kind": "ed",
                "ed": {"clinicians": 5, "assessment": {"distribution": "fixed", "value_hours": 0}},
            },
            "A": {"beds": 1},
        },
        arrivals=[],
        electives=[{"name": "el", "unit": "ED", "patient_class": "general", "per_weekday": [2, 0, 0, 0, 0, 0, 0]}],
        routes={"ED": {"A": 1.0}},
        length_of_stay={"ED": FIXED(1), "A": FIXED(48)},
        horizon_days=4,
        warmup_days=0,
        escalation_levels={
            "G": {"units": ["A"], "levels": [{"level": 2, "enter_at": 9, "leave_below": 9, "boarders_at": 1}]}
        },
    )
    out = simulate(s)
    # both arrive at 07:00, decide at 08:00: the first takes A's bed, the second boards (level 2 at 8);
    # at 56 the first leaves, the boarder goes up: boarders 0 and pressure 1 < 9, level 1 at 56
    np.testing.assert_allclose(out.escalation_path[:, [0, 2]], [(0, 1), (8, 2), (56, 1)])


def test_thresholds_never_reached_change_nothing():
    """The baseline (short run) with a hospital-wide policy whose levels are never reached: every KPI the
    baseline has is byte-identical; the group spends the whole window at level 1."""
    base = load_scenario("scenarios/baseline.yaml").with_warmup(7).model_copy(update={"horizon_days": 21})
    base = base.model_copy(update={"escalation_levels": {}})  # without the baseline's own OPEL card (issue 14)
    policy = {
        "levels": [
            {
                "level": 2,
                "enter_at": 50,
                "leave_below": 40,
                "boarders_at": 100000,
                "actions": {"open_beds": {"MED": 6}, "ed_spaces": {"ED": 10}, "postpone_electives": 0.5},
            }
        ]
    }
    data = base.model_dump(by_alias=True, exclude_unset=True)
    data["escalation_levels"] = {"ALL": policy}
    with_policy = type(base).model_validate(data)
    a = results.rep_kpis(simulate(base, 0), "x")
    b = results.rep_kpis(simulate(with_policy, 0), "x")
    merged = a.merge(b, on=["metric", "unit"], how="left", suffixes=("", "_p"))
    assert merged["value"].equals(merged["value_p"]), merged[merged["value"] != merged["value_p"]]
    k = b.set_index(["metric", "unit"])["value"]
    assert k[("hours_at_level_1", "ALL")] == 21 * 24 and k[("hours_at_level_2", "ALL")] == 0
    assert k[("escalation_actions_open_beds", "ALL")] == 0 and k[("elective_postponed", "ALL")] == 0


def test_a_minimum_time_ending_between_binary_fractions_changes_the_level_once():
    """Times not exact in binary (07:06, 08:18, stays 24.1 h and 48.7 h, hold 30.1 h): level 3 from 8.3 is
    released at 31.2 and steps down when its 30.1 h are over, at 38.4; level 2 is released at 57 and ends at
    38.4 + 30.1 = 68.5. The timer fires at t_level + hold rounded; it must count as the end of the minimum time,
    not schedule itself again (which looped forever at one instant)."""
    s = _four_electives({"levels": LEVELS, "hold_hours": 30.1})
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["electives"][0]["hour"], data["electives"][1]["hour"] = 7.1, 8.3
    data["patient_classes"] = {
        "c24": {"length_of_stay": {"A": FIXED(24.1)}},
        "c48": {"length_of_stay": {"A": FIXED(48.7)}},
    }
    sim = HospitalSim(type(s).model_validate(data), 0)
    policy = sim._pressure_check.__self__
    looks = []
    due = policy._recheck_due

    def counted(ev):
        looks.append(sim.env.now)
        assert len(looks) < 50, "the minimum-time timer keeps firing at one instant"
        due(ev)

    policy._recheck_due = counted
    out = sim.run()
    np.testing.assert_allclose(out.escalation_path[:, [0, 2]], [(0, 1), (8.3, 2), (8.3, 3), (38.4, 2), (68.5, 1)])


def test_a_postponed_elective_is_rebooked_when_its_list_rebooks():
    """As above, with the 08:00 list rebooking a day later (rebook_after_days 1): the postponed patient asks
    again on Tuesday 08:00 (hour 32), when the level is back to 1 (since 31), and is admitted then."""
    levels = [{"level": 2, "enter_at": 0.75, "leave_below": 0.5, "actions": {"postpone_electives": 1.0}}]
    s = _four_electives({"levels": levels})
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["electives"][1].update(rebook_after_days=1, max_rebookings=1)
    out = simulate(type(s).model_validate(data))
    np.testing.assert_allclose(out.rebookings[:, :5], [[3, 0, 8, 8, 32]])
    stays = out.stays[out.stays[:, 0] == 3]
    np.testing.assert_allclose(stays[:, [4, 5, 7]], [[32, 32, 80]])
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("elective_postponed", "A")] == 1 and k[("elective_rebooked", "A")] == 1


def _ed_to_one_bed(levels, **extra):
    """An ED sends every patient to A (1 bed) after 1 h; two patients arrive Monday 07:00 and stay 48 h in A."""
    return scenario(
        units={
            "ED": {
                "beds": 5,
                "kind": "ed",
                "ed": {"clinicians": 5, "assessment": {"distribution": "fixed", "value_hours": 0}},
            },
            "A": {"beds": 1},
        },
        arrivals=[],
        electives=[{"name": "el", "unit": "ED", "patient_class": "general", "per_weekday": [2, 0, 0, 0, 0, 0, 0]}],
        routes={"ED": {"A": 1.0}},
        length_of_stay={"ED": FIXED(1), "A": FIXED(48)},
        horizon_days=4,
        warmup_days=0,
        escalation_levels={"G": {"units": ["A"], "levels": levels}},
        **extra,
    )


def test_a_boarder_given_a_bed_by_the_level_it_raises_is_no_longer_counted():
    """At 08:00 the second decision to admit finds A full: as a boarder it raises level 2 (boarders_at 1),
    whose extra bed in A takes it at once. No-one boards any more, so at 56 (both leave A) level 2 ends."""
    levels = [{"level": 2, "enter_at": 9, "leave_below": 0.5, "boarders_at": 1, "actions": {"open_beds": {"A": 1}}}]
    sim = HospitalSim(_ed_to_one_bed(levels))
    out = sim.run()
    np.testing.assert_allclose(out.escalation_path[:, [0, 2]], [(0, 1), (8, 2), (56, 1)])
    np.testing.assert_allclose(out.stays[out.stays[:, 1] == 1][:, [5, 7]], [(8, 56), (8, 56)])
    assert sim._pressure_check.__self__.groups[0].boarders == 0


def test_a_discharge_push_never_lowers_a_weekend_days_pass():
    """With day_of_week (passes relative to the busiest day: Saturday 12.3 / 17.8 = 0.691, Sunday 0.489), a push
    with weekend_rate 0.6 raises Sunday to 0.6 and leaves Saturday at 0.691."""
    s = scenario(
        units={"W": {"beds": 5}},
        arrivals=[{"name": "a", "unit": "W", "per_day": 1}],
        length_of_stay={"W": FIXED(24)},
        discharge={"window_hours": [8, 20], "day_of_week": [12.4, 15.7, 16.5, 16.6, 17.8, 12.3, 8.7]},
    )
    rule = _pushed_rule(Calendar(s.start), s.discharge, DischargePushSpec(weekend_rate=0.6))
    assert rule.day_pass[:5] == pytest.approx([12.4 / 17.8, 15.7 / 17.8, 16.5 / 17.8, 16.6 / 17.8, 1.0])
    assert rule.day_pass[5:] == pytest.approx([12.3 / 17.8, 0.6])


def test_a_postponed_elective_is_rebooked_by_its_own_list_only():
    """Two lists for S with the same class and source: only 'hips' (empty) rebooks. The level (pressure >= 0.5)
    postpones the daycase list's second and third patients; they are cancelled for good, not rebooked by hips."""
    levels = [{"level": 2, "enter_at": 0.5, "leave_below": 0.5, "actions": {"postpone_electives": 1.0}}]
    el = {"unit": "S", "patient_class": "el"}
    s = scenario(
        units={"S": {"beds": 2}},
        arrivals=[],
        electives=[
            {"name": "hips", **el, "per_weekday": [0] * 7, "rebook_after_days": 7, "max_rebookings": 2},
            {"name": "daycase", **el, "per_weekday": [3, 0, 0, 0, 0, 0, 0], "hour": 8},
        ],
        patient_classes={"el": {"length_of_stay": {"S": FIXED(30)}}},
        length_of_stay={},
        horizon_days=4,
        warmup_days=0,
        escalation_levels={"G": {"units": ["S"], "levels": levels}},
    )
    out = simulate(s)
    np.testing.assert_allclose(out.postponed[:, :3], [[1, 0, 8], [2, 0, 8]])
    assert len(out.rebookings) == 0


def test_a_patient_leaving_the_ed_queue_unseen_lets_the_level_step_down():
    """An ED with one cubicle, held for the whole run by its first patient; every later walk-in waits for it and
    leaves unseen after 0.5 h. The group watches the ED (level 2 from pressure 2: one waiting): it is at level 2
    exactly while someone waits, so its hours at level 2 are the length of the union of the waits."""
    levels = [{"level": 2, "enter_at": 2.0, "leave_below": 1.5}]
    s = scenario(
        units={
            "ED": {
                "beds": 1,
                "kind": "ed",
                "when_full": "queue",
                "ed": {"clinicians": 1, "assessment": {"distribution": "fixed", "value_hours": 0}},
            },
        },
        arrivals=[
            {"name": "walk", "unit": "ED", "per_day": 2.0, "patience": {"distribution": "fixed", "value_hours": 0.5}}
        ],
        length_of_stay={"ED": FIXED(10_000)},
        horizon_days=20,
        warmup_days=0,
        escalation_levels={"G": {"units": ["ED"], "levels": levels}},
    )
    out = simulate(s)
    waits = out.left_unseen[:, 2:4]
    assert len(waits) >= 20  # premise: many walk-ins left unseen
    union_h, end = 0.0, -np.inf
    for t0, t1 in waits[np.argsort(waits[:, 0])]:
        union_h += max(t1 - max(t0, end), 0.0)
        end = max(end, t1)
    assert results.escalation_hours(out)[0][1] == pytest.approx(union_h)


def test_beds_a_level_opens_while_the_staffed_cap_binds_are_logged():
    """A's 4 beds are capped at 4 by its nurses all day: level 2's 2 beds (8 to 56) admit no-one, but they are
    open: the capacity log shows them (capacity 4) and escalation_beds_open_mean = 2 x 48 / 96."""
    levels = [{"level": 2, "enter_at": 0.75, "leave_below": 0.5, "actions": {"open_beds": {"A": 2}}}]
    nurses = {"day": 1, "night": 1}
    out = simulate(
        _four_electives(
            {"levels": levels},
            shifts={"day": {"start": "08:00", "end": "20:00"}, "night": {"start": "20:00", "end": "08:00"}},
            staffing={"policy": "cap_admissions", "units": {"A": {"patients_per_nurse": 4, "nurses": nurses}}},
        )
    )
    np.testing.assert_allclose(out.capacity_log, [[0, 0, 4, 0], [8, 0, 4, 2], [56, 0, 4, 0]])
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("escalation_beds_open_mean", "A")] == pytest.approx(1.0)
