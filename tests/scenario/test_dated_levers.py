"""Dated levers against the measured window of a run: where each falls, said once, in days and dates."""

from __future__ import annotations

import datetime as dt

import pytest

from hospital_twin.scenario.dates import RunWindow, date_problems, period_problem, place_period
from tests.helpers import scenario

D = dt.datetime
# The app's default run of the baseline: start Mon 6 Jan 2025, 28 days of warm-up, 28 days measured
W = RunWindow(D(2025, 1, 6), warmup_days=28, horizon_days=28)


def _scn(multipliers=(), capacity_changes=(), streams=1, roster=None, warmup_days=28.0, horizon_days=28.0):
    arrivals = [
        {"name": f"s{k}", "unit": "W", "per_day": 2.0, "multipliers": [dict(m) for m in multipliers]}
        for k in range(streams)
    ]
    extra = {}
    if roster is not None:
        extra = {
            "shifts": {"day": {"start": "08:00", "end": "20:00"}, "night": {"start": "20:00", "end": "08:00"}},
            "staffing": {
                "units": {"W": {"patients_per_nurse": 5, "nurses": {"day": 2, "night": 2}}},
                "roster": roster,
            },
        }
    return scenario(
        units={"W": {"beds": 10, "capacity_changes": list(capacity_changes)}},
        arrivals=arrivals,
        length_of_stay={"W": {"distribution": "exponential", "mean_hours": 48}},
        warmup_days=warmup_days,
        horizon_days=horizon_days,
        **extra,
    )


def test_the_window_starts_measuring_after_the_warm_up_and_run_settings_override_the_scenario():
    """Measurement starts at start + warm-up and ends horizon days later; run settings replace the file's."""
    assert W.measured_from == D(2025, 2, 3) and W.end == D(2025, 3, 3)
    s = _scn(warmup_days=10, horizon_days=100)
    assert RunWindow.of(s) == RunWindow(s.start, 10.0, 100.0)
    assert RunWindow.of(s, warmup_days=28, horizon_days=28).end == s.start + dt.timedelta(days=56)


def test_a_january_surge_inside_the_warm_up_is_never_measured_and_the_message_says_how_to_fix_it():
    """1 Jan - 1 Feb ends before measurement starts on 3 Feb: one warning, in words, with the fix."""
    p = period_problem(dt.date(2025, 1, 1), dt.date(2025, 2, 1), W, what="Your January surge")
    assert p is not None and p.placement == "in_warmup" and p.severity == "warning" and p.measured_days == 0
    assert p.message.startswith("Your January surge (1 Jan 2025 until 1 Feb 2025) ends before measurement starts")
    assert "on 3 Feb 2025: it will not be measured" in p.message
    # the simulation starts on 6 Jan, after the surge starts: no warm-up short enough would measure all of it
    assert "Move its dates into the measured period (3 Feb 2025 to 3 Mar 2025)" in p.message
    p = period_problem(dt.date(2025, 1, 20), dt.date(2025, 2, 1), W)
    assert "Shorten the warm-up to 14 days or less" in p.message


@pytest.mark.parametrize(
    ("start", "end", "placement", "measured"),
    [
        (D(2025, 1, 20), D(2025, 2, 10), "partly_in_warmup", 7.0),
        (D(2025, 2, 24), D(2025, 3, 10), "partly_after_end", 7.0),
        (D(2025, 3, 3), D(2025, 3, 10), "after_end", 0.0),
        (D(2025, 2, 3), D(2025, 3, 3), None, 28.0),  # exactly the measured window
        (D(2025, 1, 1), D(2025, 4, 1), None, 28.0),  # covers the whole window: measured throughout
        (D(2025, 2, 10), D(2025, 2, 1), "reversed", 0.0),
        (D(2025, 2, 10), D(2025, 2, 10), "empty", 0.0),
    ],
)
def test_a_period_is_placed_against_the_window_with_the_days_measured(start, end, placement, measured):
    """Partly in the warm-up, partly after the end, after the end, inside, reversed, empty."""
    assert place_period(start, end, W) == (placement, measured)


def test_reversed_and_empty_periods_are_errors_that_say_what_to_do():
    """Until before from: swap them; until equal to from: it lasts no time."""
    p = period_problem(dt.date(2025, 3, 1), dt.date(2025, 2, 1), W)
    assert p.severity == "error"
    assert p.message == "The surge ends (1 Feb 2025) before it starts (1 Mar 2025): swap the two dates."
    p = period_problem(dt.date(2025, 2, 10), dt.date(2025, 2, 10), W)
    assert p.severity == "error" and "lasts no time" in p.message


def test_a_surge_after_the_end_names_the_days_to_measure():
    """Starting after 3 Mar it is never simulated; measuring 42 days would reach its end on 17 Mar."""
    p = period_problem(dt.date(2025, 3, 10), dt.date(2025, 3, 17), W)
    assert p.placement == "after_end"
    assert "starts after the run ends on 3 Mar 2025: it will not be simulated" in p.message
    assert "Measure at least 42 days" in p.message


def test_a_multiplier_shared_by_five_streams_is_one_problem_with_five_paths():
    """The same period on five streams (the app's surge, a YAML anchor) is said once; the paths go to details."""
    s = _scn(multipliers=[{"from": "2025-01-10", "to": "2025-02-01", "factor": 1.2, "label": "January"}], streams=5)
    problems = date_problems(s, W)
    assert len(problems) == 1
    p = problems[0]
    assert p.kind == "arrivals" and p.placement == "in_warmup"
    assert p.message.startswith("'January' (arrivals x1.2) (10 Jan 2025 until 1 Feb 2025) ends before measurement")
    assert "It applies to 5 arrival streams (s0, s1, s2, s3, s4)." in p.message
    assert p.paths == tuple(f"arrivals[{k}].multipliers[0] (s{k})" for k in range(5))
    assert "arrivals[" not in p.message


def test_the_run_settings_decide_what_is_a_problem():
    """A surge measured by the scenario's own year is a problem under the app's short run, and not otherwise."""
    s = _scn(multipliers=[{"from": "2025-06-01", "to": "2025-07-01", "factor": 1.3}], warmup_days=28, horizon_days=364)
    assert date_problems(s) == []
    (p,) = date_problems(s, RunWindow.of(s, warmup_days=28, horizon_days=28))
    assert p.placement == "after_end" and p.message.startswith("The change in arrivals (arrivals x1.3)")


def test_capacity_changes_in_the_warm_up_or_after_the_end_are_named_by_unit():
    """A change before measurement is measured only as its new beds; one after the end is never simulated."""
    s = _scn(
        capacity_changes=[
            {"at": "2025-01-20T00:00:00", "beds": 12},
            {"at": "2025-02-10T00:00:00", "beds": 11},
            {"at": "2025-03-10T00:00:00", "beds": 8},
        ]
    )
    problems = date_problems(s, W)
    assert [(p.kind, p.unit, p.placement) for p in problems] == [
        ("capacity", "W", "in_warmup"),
        ("capacity", "W", "after_end"),
    ]
    assert problems[0].message.startswith("W changes to 12 beds on 20 Jan 2025, before measurement starts")
    assert "shorten the warm-up to 14 days or less" in problems[0].message
    assert problems[1].paths == ("units.W.capacity_changes[2].at",)


def test_rostered_shifts_outside_the_window_are_one_problem_each_side():
    """Three shifts before measurement starts are one warning, with one path each."""
    roster = [{"date": f"2025-01-{d}", "shift": "day", "unit": "W", "nurses": 3} for d in (20, 21, 22)]
    roster.append({"date": "2025-02-10", "shift": "day", "unit": "W", "nurses": 3})
    (p,) = date_problems(_scn(roster=roster, horizon_days=60), W)
    assert p.kind == "roster" and p.placement == "in_warmup"
    assert p.message.startswith("3 rostered shifts (20 Jan 2025 to 22 Jan 2025) fall before measurement starts")
    assert p.paths == ("staffing.roster[0]", "staffing.roster[1]", "staffing.roster[2]")


def test_an_auto_warm_up_without_run_settings_gives_no_window_and_no_problems():
    """While the warm-up is 'auto' its end is unknown: nothing is claimed."""
    s = _scn(multipliers=[{"from": "2025-01-10", "to": "2025-02-01", "factor": 1.2}]).model_copy(
        update={"warmup_days": "auto"}
    )
    assert RunWindow.of(s) is None and date_problems(s) == []
    assert len(date_problems(s, RunWindow.of(s, warmup_days=28))) == 1
