"""Reading roster inputs: located errors (file, line, field) for bad files; the shipped example reads cleanly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hospital_twin.roster.io import (
    RosterFileError,
    read_history,
    read_leave,
    read_requests,
    read_requirements,
    read_rules,
    read_shifts,
    read_staff,
)
from hospital_twin.roster.rules import RosterRules
from hospital_twin.scenario.io import ScenarioError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "scenarios" / "staff"
HEADER = "staff_id,name,grade,skills,home_unit,float_pool,contract_hours_per_week,max_nights_per_4w,time_zone\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def issues(exc: pytest.ExceptionInfo) -> list[tuple[str, int | None, str]]:
    return [(Path(i.file).name, i.line, i.field) for i in exc.value.issues]


def test_io_staff_csv_reads_types_and_defaults(tmp_path):
    """Skills split on semicolons, grade defaults to the first skill, time zone to Europe/London."""
    p = write(
        tmp_path,
        "staff.csv",
        "staff_id,name,skills,home_unit,float_pool,contract_hours_per_week\n"
        "A1,Ann,RN;NIC,MED,yes,37.5\nA2,Bob,HCA,MED,,22.5\n",
    )
    table = read_staff(p)
    a1, a2 = table.members
    assert a1.skills == ("RN", "NIC") and a1.grade == "RN" and a1.float_pool and a1.time_zone == "Europe/London"
    assert a2.contract_hours_per_week == 22.5 and not a2.float_pool and a2.max_nights_per_4w is None


def test_io_staff_csv_bad_value_is_located(tmp_path):
    """A bad number on data line 3 is reported at line 3 with its column; every bad row is listed."""
    p = write(
        tmp_path,
        "staff.csv",
        HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\n"
        "A2,Bob,Band 5,RN,MED,false,lots,,\n"
        "A3,Cy,Band 5,RN,MED,maybe,30,,Mars/Olympus\n",
    )
    with pytest.raises(RosterFileError) as err:
        read_staff(p)
    assert issues(err) == [
        ("staff.csv", 3, "contract_hours_per_week"),
        ("staff.csv", 4, "float_pool"),
        ("staff.csv", 4, "time_zone"),
    ]
    assert isinstance(err.value, ScenarioError)  # so the command line exits 2 without a traceback
    assert "staff.csv:4: time_zone: unknown time zone 'Mars/Olympus'" in str(err.value)


def test_io_unknown_column_is_an_error_with_a_hint(tmp_path):
    """A misspelt column is not silently ignored."""
    p = write(tmp_path, "staff.csv", "staff_id,skills,home_unit,contract_hours\nA1,RN,MED,37.5\n")
    with pytest.raises(RosterFileError) as err:
        read_staff(p)
    assert issues(err) == [("staff.csv", 1, "contract_hours")]
    assert "did you mean 'contract_hours_per_week'?" in str(err.value)


def test_io_duplicate_staff_id_is_located(tmp_path):
    """The second occurrence of a staff_id is reported at its own line."""
    p = write(tmp_path, "staff.csv", HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\nA1,Bob,Band 5,RN,MED,false,30,,\n")
    with pytest.raises(RosterFileError, match=r"staff.csv:3: staff_id: duplicate staff_id 'A1' \(first in row 1\)"):
        read_staff(p)


def test_io_staff_yaml_errors_point_at_the_key_line(tmp_path):
    """In YAML, the line of the offending key is given."""
    p = write(
        tmp_path,
        "staff.yaml",
        "staff:\n  - staff_id: A1\n    skills: RN\n    home_unit: MED\n"
        "    contract_hours_per_week: 37.5\n  - staff_id: A2\n    skills: RN\n"
        "    home_unit: MED\n    contract_hours_per_week: -3\n",
    )
    with pytest.raises(RosterFileError) as err:
        read_staff(p)
    assert issues(err) == [("staff.yaml", 9, "contract_hours_per_week")]


def test_io_leave_and_requests_checked_against_staff(tmp_path):
    """Leave ending before it starts and a request for an unknown member are located."""
    staff = read_staff(write(tmp_path, "staff.csv", HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\n"))
    lv = write(
        tmp_path,
        "leave.csv",
        "staff_id,from,to,kind\nA1,2025-01-10,2025-01-12,annual\n"
        "A1,2025-01-20,2025-01-18,study\nZZ,2025-01-01,2025-01-01,sick\n",
    )
    with pytest.raises(RosterFileError) as err:
        read_leave(lv, staff)
    assert issues(err) == [("leave.csv", 3, ""), ("leave.csv", 4, "staff_id")]
    ok = read_leave(write(tmp_path, "ok.csv", "staff_id,from,to,kind\nA1,2025-01-10,2025-01-12,annual\n"), staff)
    assert ok.iloc[0]["from"] == dt.date(2025, 1, 10)
    rq = write(
        tmp_path,
        "requests.yaml",
        "- {staff_id: A1, date: 2025-01-07, shift: off, wish: off}\n"
        "- {staff_id: A1, date: 2025-01-08, shift: twilight, wish: on}\n",
    )
    with pytest.raises(RosterFileError) as err:
        read_requests(rq, staff, ["day", "night"])
    assert issues(err) == [("requests.yaml", 2, "shift")]


def test_io_requirements_target_defaults_to_min(tmp_path):
    """``target`` may be left empty; target below min is an error at its line."""
    p = write(
        tmp_path, "req.csv", "date,unit,shift,skill,min,target\n2025-01-06,MED,day,RN,3,\n2025-01-06,MED,night,RN,3,2\n"
    )
    with pytest.raises(RosterFileError) as err:
        read_requirements(p, ["day", "night"])
    assert issues(err) == [("req.csv", 3, "")]
    assert "target (2) is below min (3)" in str(err.value)
    good = read_requirements(write(tmp_path, "r2.csv", "date,unit,shift,skill,min,target\n2025-01-06,MED,day,RN,3,\n"))
    assert good.iloc[0]["target"] == 3


def test_io_rules_yaml_defaults_and_located_errors(tmp_path):
    """An empty rules file is the defaults; a bad value and an unknown key are located."""
    assert read_rules(write(tmp_path, "empty.yaml", "")) == RosterRules()
    p = write(tmp_path, "rules.yaml", "rest:\n  min_rest_h: 11\nwork_days:\n  max: lots\nweekend:\n  max_per_4w: 2\n")
    with pytest.raises(RosterFileError) as err:
        read_rules(p)
    assert sorted(issues(err)) == [("rules.yaml", 4, "work_days.max"), ("rules.yaml", 5, "weekend")]
    assert "did you mean 'weekends'?" in str(err.value)


def test_io_shipped_example_reads_and_fits_the_baseline():
    """The example staff, leave, requests, requirements and rules read cleanly; units and shifts match the baseline."""
    rules = read_rules(EXAMPLE / "rules.yaml")
    shifts = read_shifts(REPO / "scenarios" / "baseline.yaml")
    assert {k: (s.start, s.end) for k, s in rules.shifts.items()} == shifts
    staff = read_staff(EXAMPLE / "staff.csv")
    read_leave(EXAMPLE / "leave.csv", staff)
    read_requests(EXAMPLE / "requests.csv", staff, shifts)
    req = read_requirements(EXAMPLE / "requirements.csv", shifts)
    from hospital_twin.scenario import load_scenario

    units = set(load_scenario(REPO / "scenarios" / "baseline.yaml").staffing.units)
    assert set(req["unit"]) == units
    assert {m.home_unit for m in staff} == units


def _cli(args: list[str]) -> int:
    from hospital_twin.cli import main

    return main(args)


def test_io_cli_roster_build_writes_the_exports(tmp_path, capsys):
    """``roster build`` on tiny files exits 0 and writes every export; shift times come from a scenario."""
    staff = write(
        tmp_path,
        "staff.csv",
        HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\nA2,Bob,Band 5,RN,MED,false,37.5,,\n"
        "A3,Cy,Band 6,RN,MED,false,37.5,,\n",
    )
    req = write(
        tmp_path,
        "req.csv",
        "date,unit,shift,skill,min,target\n"
        + "".join(f"2025-01-{6 + d:02d},MED,{k},RN,1,1\n" for d in range(7) for k in ("day", "night")),
    )
    leave = write(tmp_path, "leave.csv", "staff_id,from,to,kind\nA3,2025-01-06,2025-01-07,annual\n")
    out = tmp_path / "out"
    code = _cli(
        [
            "roster",
            "build",
            "--staff",
            str(staff),
            "--requirements",
            str(req),
            "--leave",
            str(leave),
            "--shifts-from",
            str(REPO / "scenarios" / "baseline.yaml"),
            "--start",
            "2025-01-06",
            "--weeks",
            "1",
            "--time-limit",
            "3",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "penalty" in printed.out and "roster written to" in printed.out
    for name in ("roster.csv", "roster.xlsx", "cover.csv", "violations.csv", "hours.csv", "roster.json"):
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "ics").iterdir()) == ["A1.ics", "A2.ics", "A3.ics"]


def test_io_cli_bad_staff_file_exits_2_with_location(tmp_path, capsys):
    """A bad staff file gives exit 2 and file:line: field, no traceback."""
    staff = write(tmp_path, "staff.csv", HEADER + "A1,Ann,Band 5,RN,MED,false,many,,\n")
    req = write(tmp_path, "req.csv", "date,unit,shift,skill,min,target\n2025-01-06,MED,day,RN,1,1\n")
    code = _cli(
        [
            "roster",
            "build",
            "--staff",
            str(staff),
            "--requirements",
            str(req),
            "--rules",
            str(EXAMPLE / "rules.yaml"),
            "--start",
            "2025-01-06",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "staff.csv:2: contract_hours_per_week:" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_io_cli_without_shift_times_exits_2(tmp_path, capsys):
    """No --shifts-from and no shifts in the rules: a clear error, exit 2."""
    staff = write(tmp_path, "staff.csv", HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\n")
    req = write(tmp_path, "req.csv", "date,unit,shift,skill,min,target\n2025-01-06,MED,day,RN,1,1\n")
    code = _cli(
        [
            "roster",
            "build",
            "--staff",
            str(staff),
            "--requirements",
            str(req),
            "--start",
            "2025-01-06",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "no shift clock times" in capsys.readouterr().err


SHIFT_TIMES = {"day": ("07:30", "20:00"), "night": ("20:00", "07:30")}


def test_io_history_bad_rows_name_file_line_and_field(tmp_path):
    """A history row on the first day, an unknown shift, a start at the wrong clock time: file, line and field each."""
    p = write(
        tmp_path,
        "history.csv",
        "staff_id,name,date,shift,unit,start,end\n"
        "A1,Ann,2025-01-05,night,MED,2025-01-05T20:00:00+00:00,2025-01-06T07:30:00+00:00\n"
        "A1,Ann,2025-01-06,day,MED,,\n"
        "A2,Bob,2025-01-05,twilight,MED,,\n"
        "A3,Cy,2025-01-05,day,MED,2025-01-05T08:00:00+00:00,\n"
        "A4,Di,2025-01-0x,day,MED,,\n",
    )
    with pytest.raises(RosterFileError) as err:
        read_history(p, SHIFT_TIMES, dt.date(2025, 1, 6))
    assert issues(err) == [
        ("history.csv", 6, "date"),
        ("history.csv", 3, "date"),
        ("history.csv", 4, "shift"),
        ("history.csv", 5, "start"),
    ]
    assert "history.csv:4: shift: unknown shift 'twilight'" in str(err.value)
    assert isinstance(err.value, ScenarioError)


def test_io_history_reads_a_previous_roster_csv_export(tmp_path):
    """Week 1's roster.csv, read back as week 2's history, gives every worked shift; a nurse on nights in week 1's last
    day cannot start week 2 with a day shift."""
    from hospital_twin.roster.export import write_roster_csv
    from hospital_twin.roster.model import build_roster

    staff = read_staff(write(tmp_path, "staff.csv", HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\n"))
    mon = dt.date(2025, 1, 6)
    week1 = build_roster(
        staff,
        pd.DataFrame(
            [
                {
                    "date": mon + dt.timedelta(days=6),
                    "unit": "MED",
                    "shift": "night",
                    "skill": "RN",
                    "min": 1,
                    "target": 1,
                }
            ]
        ),
        RosterRules(),
        start_date=mon,
        days=7,
        shifts=SHIFT_TIMES,
        time_limit_s=5,
        workers=1,
    )
    write_roster_csv(week1, tmp_path / "roster.csv")
    hist = read_history(tmp_path / "roster.csv", SHIFT_TIMES, mon + dt.timedelta(days=7))
    assert hist[["staff_id", "date", "shift"]].values.tolist() == [["A1", mon + dt.timedelta(days=6), "night"]]
    day_after = pd.DataFrame(
        [{"date": mon + dt.timedelta(days=7), "unit": "MED", "shift": "day", "skill": "RN", "min": 1, "target": 1}]
    )
    week2 = build_roster(
        staff,
        day_after,
        RosterRules(),
        start_date=mon + dt.timedelta(days=7),
        days=1,
        shifts=SHIFT_TIMES,
        time_limit_s=5,
        workers=1,
        history=hist,
    )
    assert len(week2.assignments) == 0 and week2.cover["shortfall_min"].sum() == 1


def test_io_cli_roster_build_with_history(tmp_path, capsys):
    """``roster build --history`` takes a previous roster.csv; a bad history file exits 2 naming file, line and field."""
    staff = write(tmp_path, "staff.csv", HEADER + "A1,Ann,Band 5,RN,MED,false,37.5,,\n")
    req = write(tmp_path, "req.csv", "date,unit,shift,skill,min,target\n2025-01-06,MED,day,RN,1,1\n")
    hist = write(
        tmp_path,
        "history.csv",
        "staff_id,name,date,shift,unit,start,end\n"
        "A1,Ann,2025-01-05,night,MED,2025-01-05T20:00:00+00:00,"
        "2025-01-06T07:30:00+00:00\n",
    )
    args = [
        "roster",
        "build",
        "--staff",
        str(staff),
        "--requirements",
        str(req),
        "--shifts-from",
        str(REPO / "scenarios" / "baseline.yaml"),
        "--start",
        "2025-01-06",
        "--weeks",
        "1",
        "--time-limit",
        "3",
    ]
    assert _cli([*args, "--history", str(hist), "--out", str(tmp_path / "o")]) == 0
    cover = pd.read_csv(tmp_path / "o" / "cover.csv")
    assert cover["shortfall_min"].sum() == 1  # the night before leaves no rest for Monday's day shift
    capsys.readouterr()
    bad = write(tmp_path, "bad.csv", "staff_id,date,shift\nA1,2025-01-05,night\nA1,2025-01-04,dya\n")
    assert _cli([*args, "--history", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv:3: shift: unknown shift 'dya'" in err and "Traceback" not in err
