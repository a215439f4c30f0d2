"""``staffing.roster`` and patient-class ``acuity``: accepted forms and located errors."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import make

SHIFTS = {"day": {"start": "07:30", "end": "20:00"}, "night": {"start": "20:00", "end": "07:30"}}


def staffing(roster: list[dict]) -> dict:
    return {"units": {"WARD": {"patients_per_nurse": 5, "nurses": {"day": 2, "night": 1}}}, "roster": roster}


def test_roster_entries_parse_with_dates():
    """A roster entry is a date, a shift, a staffed unit and a number of nurses."""
    s = make(shifts=SHIFTS, staffing=staffing([{"date": "2025-01-07", "shift": "night", "unit": "WARD", "nurses": 3}]))
    e = s.staffing.roster[0]
    assert (e.date, e.shift, e.unit, e.nurses) == (dt.date(2025, 1, 7), "night", "WARD", 3)


def test_roster_defaults_to_empty_and_acuity_to_one():
    """Without a roster the weekly pattern holds; a class without acuity weighs 1."""
    s = make(shifts=SHIFTS, staffing=staffing([]), patient_classes={"general": {}})
    assert s.staffing.roster == []
    assert s.patient_classes["general"].acuity == 1.0


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"date": "2025-01-07", "shift": "late", "unit": "WARD", "nurses": 3}, "unknown shift 'late'"),
        ({"date": "2025-01-07", "shift": "day", "unit": "ICU", "nurses": 3}, "unknown staffed unit 'ICU'"),
        ({"date": "2024-12-01", "shift": "day", "unit": "WARD", "nurses": 3}, "outside the simulated period"),
        ({"date": "2025-03-01", "shift": "day", "unit": "WARD", "nurses": 3}, "outside the simulated period"),
    ],
)
def test_roster_bad_entry_is_refused_with_its_field(entry, message):
    """An entry naming an unknown shift or unit, or a date the run never reaches, is an error."""
    with pytest.raises(ValueError, match=message):
        make(shifts=SHIFTS, staffing=staffing([entry]))


def test_roster_duplicate_entry_is_refused():
    """The same unit, shift and date twice is ambiguous."""
    e = {"date": "2025-01-07", "shift": "day", "unit": "WARD", "nurses": 3}
    with pytest.raises(ValueError, match="already rostered at entry 0"):
        make(shifts=SHIFTS, staffing=staffing([e, dict(e, nurses=4)]))


def test_roster_negative_nurses_and_nonpositive_acuity_are_refused():
    """Nurses are counts >= 0; acuity is a positive weight."""
    with pytest.raises(ValueError):
        make(shifts=SHIFTS, staffing=staffing([{"date": "2025-01-07", "shift": "day", "unit": "WARD", "nurses": -1}]))
    with pytest.raises(ValueError):
        make(patient_classes={"general": {"acuity": 0}})


def test_roster_error_is_located_in_the_file(tmp_path):
    """The loader names the file, line and field of a bad roster entry."""
    from hospital_twin.scenario import ScenarioError, load_scenario

    f = tmp_path / "s.yaml"
    f.write_text(
        "name: t\nstart: 2025-01-06T00:00:00\nhorizon_days: 30\nunits: {WARD: {beds: 5}}\n"
        "arrivals: [{name: a, unit: WARD, per_day: 2}]\n"
        "length_of_stay: {WARD: {distribution: exponential, mean_hours: 48}}\n"
        "shifts: {day: {start: '07:30', end: '20:00'}, night: {start: '20:00', end: '07:30'}}\n"
        "staffing:\n  units: {WARD: {patients_per_nurse: 5, nurses: {day: 2, night: 1}}}\n  roster:\n"
        "    - {date: 2025-01-07, shift: day, unit: WARD, nurses: 3}\n"
        "    - {date: 2025-01-08, shift: late, unit: WARD, nurses: 3}\n"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    (issue,) = exc.value.issues
    assert (issue.line, issue.field) == (12, "staffing.roster[1].shift")
    assert "unknown shift 'late'" in issue.message
