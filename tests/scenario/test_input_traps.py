"""Inputs that used to crash or pass silently are refused with file, line and field (issue 12, points 1, 7, 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hospital_twin.cli import main
from hospital_twin.scenario import ScenarioError, load_scenario

WARD = """name: one ward
start: {start}
horizon_days: 10
units:
  {unit}: {{beds: 3}}
arrivals:
  - {{name: a, unit: {unit}, per_day: {per_day}}}
length_of_stay:
  {unit}: {{distribution: exponential, mean_hours: 10}}
"""


def write(tmp_path: Path, start="2025-01-06T00:00:00", unit="WARD", per_day="1") -> Path:
    f = tmp_path / "s.yaml"
    f.write_text(WARD.format(start=start, unit=unit, per_day=per_day))
    return f


@pytest.mark.parametrize(
    ("start", "why"),
    [
        ("2025-13-06T00:00:00", "month must be in 1..12"),
        ("2025-02-30", "day is out of range"),
        ("2025-01-06T25:00:00", "hour must be in 0..23"),
    ],
)
def test_traps_impossible_unquoted_date_is_located(tmp_path, start, why):
    """An unquoted date YAML recognises but the calendar does not is a located problem, not a crash."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(tmp_path, start=start))
    [issue] = exc.value.issues
    assert (issue.line, issue.field) == (2, "start")
    assert why in issue.message and "YYYY-MM-DDTHH:MM:SS" in issue.message


def test_traps_impossible_date_exits_two_without_a_bug_report(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, start="2025-13-06T00:00:00"))]) == 2
    err = capsys.readouterr().err
    assert "s.yaml:2: start:" in err and "bug" not in err


@pytest.mark.parametrize("unit", ["ALL", "all", "exit"])
def test_traps_reserved_unit_names_are_refused(tmp_path, unit):
    """A unit called ALL would merge into the hospital total; one called exit could never be reached."""
    with pytest.raises(ScenarioError, match=f"'{unit}' cannot name a unit") as exc:
        load_scenario(write(tmp_path, unit=unit))
    assert exc.value.issues[0].line == 5


def test_traps_unquoted_boolean_unit_name_gets_quoting_advice(tmp_path):
    """YAML reads an unquoted NO as false: the message says to quote it; quoted, it is a fine name."""
    with pytest.raises(ScenarioError, match="quote it: 'NO'") as exc:
        load_scenario(write(tmp_path, unit="NO"))
    assert exc.value.issues[0].line == 5
    assert "NO" in load_scenario(write(tmp_path, unit="'NO'")).units


def test_traps_arrival_rate_too_large_to_run_is_refused(tmp_path):
    """per_day: 1e9 used to validate and then hang the run; it is refused with the line and the likely slip."""
    with pytest.raises(ScenarioError, match="per day, not per year") as exc:
        load_scenario(write(tmp_path, per_day="1e9"))
    issue = exc.value.issues[0]
    assert (issue.line, issue.field) == (7, "arrivals[0].per_day")


def test_traps_unwritable_output_is_refused_before_simulating(tmp_path, monkeypatch, capsys):
    """`run --out` where nothing can be written exits 2 at once; nothing is simulated first."""
    import hospital_twin.experiment.runner as runner

    def no_run(*_a, **_k):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(runner, "run_scenario", no_run)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["run", str(write(tmp_path)), "--out", str(blocker / "results"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "cannot write there" in err and "bug" not in err


@pytest.mark.parametrize(
    ("unit", "suggested"),
    [
        ("'Medical Intensive Care Unit (MICU)'", "MICU"),
        ("'Ward 3'", "Ward_3"),
        ("'A&E'", "A_E"),
        ("'3rd floor'", "unit_3rd_floor"),
        ("'Café'", "Cafe"),
        ("W" + "x" * 45, "W" + "x" * 39),
    ],
)
def test_traps_unit_name_that_is_not_plain_is_refused_with_a_valid_one(tmp_path, unit, suggested):
    """A unit must be named by a letter then letters, digits, _ or -, at most 40 characters; the message says
    where, the rule, and a name that would do."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(tmp_path, unit=unit))
    [issue] = exc.value.issues
    assert (issue.line, issue.field.split(".")[0]) == (5, "units")
    assert "a letter, then letters, digits, _ or -" in issue.message and f"e.g. {suggested} " in issue.message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("name: a,", "name: ED walk-ins,", "arrivals[0].name"),
        ("per_day: 1}", "per_day: 1, patient_class: day case}", "arrivals[0].patient_class"),
    ],
)
def test_traps_stream_and_class_names_that_are_not_plain_are_refused(tmp_path, old, new, field):
    f = write(tmp_path)
    f.write_text(f.read_text().replace(old, new))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    [issue] = exc.value.issues
    assert (issue.line, issue.field) == (7, field) and "is not a plain name" in issue.message


def test_traps_plain_names_with_digits_dash_and_underscore_are_fine(tmp_path):
    assert "Ward-3_b" in load_scenario(write(tmp_path, unit="Ward-3_b")).units
