"""Roster exports read back: CSV, the Excel workbook (openpyxl) and iCalendar files (icalendar)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pandas as pd
import pytest

from hospital_twin.roster.export import (
    CSV_COLUMNS,
    shift_codes,
    write_calendars,
    write_roster_csv,
    write_roster_folder,
    write_workbook,
)
from hospital_twin.roster.model import build_roster
from hospital_twin.roster.rules import RosterRules, RunRule

LONDON = ZoneInfo("Europe/London")
MON = dt.date(2025, 10, 20)  # British Summer Time ends on Sunday 26 October 2025 at 02:00
SHIFTS = {"early": ("07:00", "15:00"), "night": ("20:00", "07:30")}


@pytest.fixture(scope="module")
def roster():
    """Two nurses over the week BST ends: S0 works an early on Monday and the night of Saturday 25th."""
    staff = pd.DataFrame(
        [
            {
                "staff_id": "S0",
                "name": "Ada Lovelace",
                "skills": "RN",
                "home_unit": "W",
                "float_pool": False,
                "contract_hours_per_week": 0,
            },
            {
                "staff_id": "S1",
                "name": "Mary Seacole",
                "skills": "RN",
                "home_unit": "W",
                "float_pool": False,
                "contract_hours_per_week": 0,
            },
        ]
    )
    req = pd.DataFrame(
        [
            {"date": MON, "unit": "W", "shift": "early", "skill": "RN", "min": 1, "target": 1},
            {"date": dt.date(2025, 10, 25), "unit": "W", "shift": "night", "skill": "RN", "min": 1, "target": 1},
            {"date": dt.date(2025, 10, 22), "unit": "W", "shift": "early", "skill": "RN", "min": 3, "target": 3},
        ]
    )
    requests = pd.DataFrame(
        [
            {"staff_id": "S1", "date": MON, "shift": "off", "wish": "off", "weight": 5},
            {"staff_id": "S1", "date": dt.date(2025, 10, 25), "shift": "off", "wish": "off", "weight": 5},
        ]
    )
    rules = RosterRules(
        work_days=RunRule(weight=0),
        days_off=RunRule(weight=0),
        night_runs=None,
        weekends={"weight": 0, "complete": False},
        fairness={"nights_weight": 0, "weekends_weight": 0},
    )
    return build_roster(
        staff, req, rules, start_date=MON, days=7, shifts=SHIFTS, requests=requests, time_limit_s=5, workers=1
    )


def test_export_csv_has_iso_times_with_offsets(roster, tmp_path):
    """CSV columns as documented; a night crossing midnight and the end of BST has the right offsets."""
    write_roster_csv(roster, tmp_path / "roster.csv")
    df = pd.read_csv(tmp_path / "roster.csv", dtype=str)
    assert list(df.columns) == CSV_COLUMNS
    row = df[(df["staff_id"] == "S0") & (df["shift"] == "night")].iloc[0]
    assert row["date"] == "2025-10-25"
    assert row["start"] == "2025-10-25T20:00:00+01:00"  # BST
    assert row["end"] == "2025-10-26T07:30:00+00:00"  # GMT, after the clocks went back
    real = dt.datetime.fromisoformat(row["end"]) - dt.datetime.fromisoformat(row["start"])
    assert real == dt.timedelta(hours=11, minutes=30) + dt.timedelta(hours=1)  # 11.5 h by the clock, 12.5 h lived
    early = df[(df["staff_id"] == "S0") & (df["date"] == "2025-10-20")].iloc[0]
    assert (early["start"], early["end"]) == ("2025-10-20T07:00:00+01:00", "2025-10-20T15:00:00+01:00")


def test_export_workbook_read_back(roster, tmp_path):
    """Roster grid with coloured codes, legend, shaded weekend, frozen panes; Cover highlights; Violations; Hours."""
    path = write_workbook(roster, tmp_path / "roster.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Roster", "Cover", "Violations", "Hours"]
    ws = wb["Roster"]
    assert ws.freeze_panes == "E2"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["staff_id", "name", "grade", "home_unit"]
    assert [h.date() for h in header[4:]] == [MON + dt.timedelta(days=i) for i in range(7)]
    codes = shift_codes(list(SHIFTS))
    s0 = {header[j].date(): ws.cell(row=2, column=j + 1) for j in range(4, 11)}
    assert ws.cell(row=2, column=1).value == "S0"
    assert s0[MON].value == codes["early"] == "E"
    assert s0[dt.date(2025, 10, 25)].value == "N"
    assert s0[MON].fill.fgColor.rgb.endswith("FFF2CC")
    assert s0[dt.date(2025, 10, 25)].fill.fgColor.rgb.endswith("1F3864")
    s1_sunday = ws.cell(row=3, column=4 + 7)
    assert s1_sunday.value is None and s1_sunday.fill.fgColor.rgb.endswith("E7E6E6")  # weekend shading
    legend = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(5, ws.max_row + 1)}
    assert legend["N"] == "night 20:00-07:30" and legend["E"] == "early 07:00-15:00"

    wc = wb["Cover"]
    cover = pd.DataFrame(list(wc.values)[1:], columns=list(next(wc.values)))
    assert len(cover) == len(roster.cover) == 3
    wed = cover[cover["date"].dt.date == dt.date(2025, 10, 22)].iloc[0]
    assert (wed["min"], wed["assigned"], wed["shortfall_min"]) == (3, 2, 1)
    rules = [r for rng in wc.conditional_formatting for r in rng.rules]
    assert {r.formula[0] for r in rules} == {"$H2>0", "$I2>0"}

    wv = wb["Violations"]
    rows = list(wv.values)
    assert rows[0] == ("rule", "staff_id", "name", "date", "detail", "penalty")
    listed = [r for r in rows[1:] if r and r[0] not in (None, "total")]
    assert len(listed) == len(roster.violations)
    assert rows[-1][0] == "total" and rows[-1][-1] == pytest.approx(roster.objective)

    wh = wb["Hours"]
    hours = pd.DataFrame(list(wh.values)[1:], columns=list(next(wh.values)))
    assert list(hours["staff_id"]) == ["S0", "S1"]
    assert hours.loc[0, "rostered_h"] == pytest.approx(8 + 8 + 12.5)  # the night as BST ends lasts 12.5 h


def test_export_hours_and_contract_penalty_come_from_the_exported_times(roster, tmp_path):
    """Across the end of BST: each member's rostered hours equal the sum of end - start in roster.csv (the night of
    Saturday 25 October is 12.5 h, not its nominal 11.5 h), and the over-hours penalty is charged on them."""
    write_roster_csv(roster, tmp_path / "roster.csv")
    df = pd.read_csv(tmp_path / "roster.csv", dtype=str)
    elapsed_h = (
        df.assign(
            h=[
                (dt.datetime.fromisoformat(e) - dt.datetime.fromisoformat(b)).total_seconds() / 3600
                for b, e in zip(df["start"], df["end"], strict=True)
            ]
        )
        .groupby("staff_id")["h"]
        .sum()
    )
    by_staff = roster.hours_by_staff.set_index("staff_id")["rostered_h"]
    assert by_staff[elapsed_h.index].tolist() == pytest.approx(elapsed_h.tolist())
    night = df[df["date"] == "2025-10-25"]
    assert len(night) == 1 and elapsed_h[night["staff_id"].iloc[0]] >= 12.5
    # contract 0 h, tolerance 8 h, 5 points per hour over: the charge uses the real hours
    over = roster.violations[roster.violations["rule"] == "contract_hours_over"].set_index("staff_id")["penalty"]
    assert over.to_dict() == pytest.approx({s: 5 * (h - 8) for s, h in elapsed_h.items() if h > 8})


def test_export_calendar_times_and_time_zone(roster, tmp_path):
    """One .ics per member; a night over midnight and over the end of BST has TZID times and a VTIMEZONE."""
    paths = write_calendars(roster, tmp_path)
    assert sorted(p.name for p in paths) == ["S0.ics", "S1.ics"]
    cal = icalendar.Calendar.from_ical((tmp_path / "S0.ics").read_bytes())
    zones = list(cal.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Europe/London"]
    events = {e.decoded("DTSTART").date(): e for e in cal.walk("VEVENT")}
    assert len(events) == len(roster.assignments[roster.assignments["staff_id"] == "S0"])
    night = events[dt.date(2025, 10, 25)]
    assert str(night["SUMMARY"]) == "night W"
    assert night["DTSTART"].params["TZID"] == "Europe/London"
    start, end = night.decoded("DTSTART"), night.decoded("DTEND")
    assert start.replace(tzinfo=None) == dt.datetime(2025, 10, 25, 20, 0)
    assert end.replace(tzinfo=None) == dt.datetime(2025, 10, 26, 7, 30)
    assert start.utcoffset() == dt.timedelta(hours=1) and end.utcoffset() == dt.timedelta(0)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=12, minutes=30)  # clocks went back
    raw = (tmp_path / "S0.ics").read_text()
    assert "DTSTART;TZID=Europe/London:20251025T200000" in raw
    assert "DTEND;TZID=Europe/London:20251026T073000" in raw


def test_export_calendar_uid_is_stable_across_exports(roster, tmp_path):
    """Exporting twice gives the same UIDs (calendar apps update instead of duplicating)."""
    a = write_calendars(roster, tmp_path / "a", stamp=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    b = write_calendars(roster, tmp_path / "b", stamp=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))

    def uids(p):
        return sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(p.read_bytes()).walk("VEVENT"))

    assert (
        uids(a[0])
        == uids(b[0])
        == ["S0-20251020@hospital-twin", "S0-20251022@hospital-twin", "S0-20251025@hospital-twin"]
    )


def test_export_folder_is_complete_and_atomic(roster, tmp_path):
    """The folder has every file; rewriting replaces it whole and leaves no temporary folders."""
    out = tmp_path / "out"
    write_roster_folder(roster, out)
    (out / "stale.txt").write_text("x")
    write_roster_folder(roster, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["cover.csv", "hours.csv", "ics", "roster.csv", "roster.json", "roster.xlsx", "violations.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    v = pd.read_csv(out / "violations.csv")
    assert v["penalty"].sum() == pytest.approx(roster.objective)
