"""Clock arithmetic: hour of week, arrival-rate tables, discharge rules, shifts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hospital_twin.sim.calendar import Calendar, DischargeRule, ShiftTable, rate_table

MONDAY = Calendar(dt.datetime(2025, 1, 6))


def test_calendar_hour_of_week_counts_from_monday_midnight():
    """A start on Wednesday 06:30 is hour 54.5 of the week."""
    cal = Calendar(dt.datetime(2025, 1, 8, 6, 30))
    assert cal.hour_of_week(0) == pytest.approx(54.5)
    assert cal.hour_of_week(168) == pytest.approx(54.5)


def test_rate_table_profiles_scale_to_mean_one():
    """Hour-of-day and day-of-week weights are relative: the weekly mean factor is 1."""
    table = rate_table([2.0] * 12 + [1.0] * 12, [1.1, 1, 1, 1, 1, 0.9, 0.9])
    assert len(table) == 168 and np.mean(table) == pytest.approx(1.0)
    assert table[0] / table[12] == pytest.approx(2.0)


def test_discharge_profile_leaves_at_the_drawn_hour():
    """With an hourly profile, a patient leaves at the first occurrence of its drawn hour."""
    profile = [0.0] * 24
    profile[10] = profile[14] = 1.0
    rule = DischargeRule(MONDAY, None, profile, 1.0)
    assert rule.leave_at(9.0, u_hour=0.2, u_frac=0.0, u_weekend=0.0) == pytest.approx(10.0)
    assert rule.leave_at(11.0, u_hour=0.2, u_frac=0.5, u_weekend=0.0) == pytest.approx(34.5)
    assert rule.leave_at(11.0, u_hour=0.7, u_frac=0.0, u_weekend=0.0) == pytest.approx(14.0)


def test_discharge_profile_hours_follow_the_profile():
    """Over many patients, discharge clock hours follow the profile's shares."""
    profile = [0.0] * 8 + [1, 2, 4, 4, 3, 2, 2, 1, 1] + [0.0] * 7
    rule = DischargeRule(MONDAY, None, profile, 1.0)
    rng = np.random.default_rng(1)
    hours = [int(rule.leave_at(float(t), *rng.random(3)) % 24) for t in rng.uniform(0, 24 * 5, 20_000)]
    share = np.bincount(hours, minlength=24) / len(hours)
    assert np.allclose(share, np.array(profile) / sum(profile), atol=0.01)


def test_discharge_weekend_rate_keeps_some_patients_until_monday():
    """weekend_rate 0.3: a Saturday-ready patient with weekend uniform 0.5 waits for Monday."""
    rule = DischargeRule(MONDAY, (8.0, 20.0), None, 0.3)
    saturday_noon = 5 * 24 + 12
    assert rule.leave_at(saturday_noon, 0.0, 0.0, u_weekend=0.1) == saturday_noon
    assert rule.leave_at(saturday_noon, 0.0, 0.0, u_weekend=0.5) == 7 * 24 + 8


def test_shift_table_wraps_midnight():
    """A night shift 20:00-08:00 is on at 02:00 and the next change is at 08:00."""
    table = ShiftTable(MONDAY, {"day": (8.0, 20.0), "night": (20.0, 8.0)})
    assert table.shift_at(2.0) == "night" and table.shift_at(8.0) == "day" and table.shift_at(21) == "night"
    assert table.next_change_after(2.0) == 8.0 and table.next_change_after(8.0) == 20.0
    assert table.next_change_after(21.0) == 32.0


def test_discharge_day_of_week_equal_to_weekend_rate_gives_the_same_times():
    """day_of_week [1, 1, 1, 1, 1, r, r] is weekend_rate r: the same departure for every patient and draw."""
    profile = [0.0] * 8 + [1, 2, 4, 4, 3, 2, 2, 1, 1] + [0.0] * 7
    rng = np.random.default_rng(7)
    for window, prof in (((8.0, 20.0), None), (None, profile), ((9.0, 17.0), profile)):
        old = DischargeRule(MONDAY, window, prof, 0.6)
        new = DischargeRule(MONDAY, window, prof, 1.0, day_pass=[1, 1, 1, 1, 1, 0.6, 0.6])
        for t, a, b, c in zip(rng.uniform(-50, 400, 500), *rng.random((3, 500)), strict=True):
            assert old.leave_at(t, a, b, c) == new.leave_at(t, a, b, c)


def test_discharge_day_pass_holds_a_patient_until_a_day_that_lets_it_go():
    """day_pass Mon 0.5, Tue 0.8, rest 1: a Monday-ready patient with day uniform 0.7 leaves on Tuesday at the
    window's opening, one with 0.9 on Wednesday, one with 0.3 on Monday itself."""
    rule = DischargeRule(MONDAY, (8.0, 20.0), None, 1.0, day_pass=[0.5, 0.8, 1, 1, 1, 1, 1])
    monday_10 = 10.0
    assert rule.leave_at(monday_10, 0.0, 0.0, u_weekend=0.3) == monday_10
    assert rule.leave_at(monday_10, 0.0, 0.0, u_weekend=0.7) == 24 + 8
    assert rule.leave_at(monday_10, 0.0, 0.0, u_weekend=0.9) == 48 + 8


def test_discharge_ready_cutoff_sends_late_ready_patients_to_the_next_day():
    """Cut-off 12:00, window 08-20: ready Mon 11:00 leaves at once; ready Mon 12:00 or 21:00 leaves Tue 08:00.
    With a profile drawn at 16:00: ready 10:00 leaves 16:00 the same day, ready 13:00 the next day at 16:00."""
    rule = DischargeRule(MONDAY, (8.0, 20.0), None, 1.0, ready_cutoff_h=12.0)
    assert rule.leave_at(11.0, 0.0, 0.0, 0.0) == 11.0
    assert rule.leave_at(12.0, 0.0, 0.0, 0.0) == 32.0
    assert rule.leave_at(21.0, 0.0, 0.0, 0.0) == 32.0
    profile = [0.0] * 24
    profile[16] = 1.0
    rule = DischargeRule(MONDAY, None, profile, 1.0, ready_cutoff_h=12.0)
    assert rule.leave_at(10.0, 0.5, 0.25, 0.0) == 16.25
    assert rule.leave_at(13.0, 0.5, 0.25, 0.0) == 40.25
    # with no clock rule, a late-ready patient leaves at the next midnight
    rule = DischargeRule(MONDAY, None, None, 1.0, ready_cutoff_h=18.0)
    assert rule.leave_at(17.5, 0.0, 0.0, 0.0) == 17.5 and rule.leave_at(18.5, 0.0, 0.0, 0.0) == 24.0


def test_a_discharge_rule_with_day_of_week_survives_a_dump_and_validate_round_trip():
    """model_dump writes the default weekend_rate 1.0 beside day_of_week; validating that again must not read it as
    the user giving both (staffing re-validates scenarios this way: the baseline's rule broke it)."""
    from hospital_twin.scenario.schema import DischargeSpec

    rule = DischargeSpec(day_of_week=[1, 1, 1, 1, 1, 0.6, 0.5])
    again = DischargeSpec.model_validate(rule.model_dump())
    assert again.day_pass() == rule.day_pass()
