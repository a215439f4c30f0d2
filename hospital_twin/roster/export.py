"""Roster exports for planners: CSV, an Excel workbook and one iCalendar file per member of staff.

- CSV: ``staff_id, name, date, shift, unit, start, end`` with ISO 8601 times and their UTC offset.
- Workbook (openpyxl): "Roster" (staff by date, coloured shift codes, a legend, weekends
  shaded, frozen panes), "Cover" (assigned against min and target per unit, shift, skill
  and date, shortfalls highlighted by conditional fills), "Violations" (every soft-rule
  violation) and "Hours" (contract against rostered hours).
- iCalendar: one ``VCALENDAR`` per member, one ``VEVENT`` per shift, times with a ``TZID``
  and the matching ``VTIMEZONE`` (so a night across a clock change is right), a ``UID``
  that depends only on member and date (re-exports update events instead of duplicating
  them), ``SUMMARY`` "<shift> <unit>".

:func:`write_roster_folder` writes everything into a folder atomically.

Owns the file formats of a :class:`~hospital_twin.roster.model.Roster` (:func:`write_workbook` writes one
sheet per step). Edge module: writes files; computes nothing new; never imports OR-Tools.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from pathlib import Path

import pandas as pd

from hospital_twin.atomic import atomic_folder
from hospital_twin.roster.model import Roster

__all__ = [
    "CSV_COLUMNS",
    "roster_csv_table",
    "write_roster_csv",
    "write_workbook",
    "staff_calendar",
    "write_calendars",
    "write_roster_folder",
    "shift_codes",
    "calendar_file_name",
]

CSV_COLUMNS = ["staff_id", "name", "date", "shift", "unit", "start", "end"]

# Fills by shift order; nights get the dark one. Colour-blind safe enough with the codes written in the cells.
_PALETTE = ["FFF2CC", "FCE4D6", "DDEBF7", "E2EFDA", "EDE2F6", "FFE699", "C6E0B4"]
_NIGHT_FILL = "1F3864"
_WEEKEND_FILL = "E7E6E6"
_LEAVE_FILL = "BFBFBF"
_SHORT_MIN_FILL = "F8696B"
_SHORT_TARGET_FILL = "FFEB84"


def _py(t) -> dt.datetime:
    return t.to_pydatetime() if isinstance(t, pd.Timestamp) else t


def roster_csv_table(roster: Roster) -> pd.DataFrame:
    """The CSV table: ``staff_id, name, date, shift, unit, start, end`` (ISO dates and times with offset)."""
    a = roster.assignments
    return pd.DataFrame(
        {
            "staff_id": a["staff_id"].astype(str),
            "name": a["name"],
            "date": [d.isoformat() for d in a["date"]],
            "shift": a["shift"],
            "unit": a["unit"],
            "start": [_py(t).isoformat() for t in a["start"]],
            "end": [_py(t).isoformat() for t in a["end"]],
        },
        columns=CSV_COLUMNS,
    )


def write_roster_csv(roster: Roster, path: str | Path) -> Path:
    """Write :func:`roster_csv_table` to ``path``."""
    roster_csv_table(roster).to_csv(path, index=False)
    return Path(path)


def shift_codes(shifts: list[str]) -> dict[str, str]:
    """Short unique codes for the grid: the first letter in capitals, more letters where two clash."""
    out: dict[str, str] = {}
    for n in range(1, 1 + max((len(s) for s in shifts), default=1)):
        out = {s: s[:n].upper() for s in shifts}
        if len(set(out.values())) == len(out):
            return out
    return {s: s.upper() for s in shifts}


def _night_names(roster: Roster) -> set[str]:
    out = set()
    for k, (start, end) in roster.shifts.items():
        if end <= start:
            out.add(k)
    return out


def write_workbook(roster: Roster, path: str | Path) -> Path:
    """Write the planner's workbook (sheets Roster, Cover, Violations, Hours) to ``path``: one step per sheet."""
    from openpyxl import Workbook

    style = _Styles()
    wb = Workbook()
    ws = wb.active
    ws.title = "Roster"
    leave_codes = _roster_sheet(ws, roster, style)
    _roster_legend(ws, roster, style, leave_codes)
    _cover_sheet(wb.create_sheet("Cover"), roster.cover, style)
    _violations_sheet(wb.create_sheet("Violations"), roster, style)
    _hours_sheet(wb.create_sheet("Hours"), roster.hours_by_staff, style)
    wb.save(path)
    return Path(path)


class _Styles:
    """Fonts, alignment and fills of the workbook; one fill object per colour (openpyxl dedups
    styles by lookup, which is slow per cell)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Font

        self._fills: dict = {}
        self.bold = Font(bold=True)
        self.white_bold = Font(color="FFFFFF", bold=True)
        self.italic = Font(italic=True)
        self.centre = Alignment(horizontal="center")

    def fill(self, rgb: str):
        from openpyxl.styles import PatternFill

        if rgb not in self._fills:
            self._fills[rgb] = PatternFill(start_color=rgb, end_color=rgb, fill_type="solid")
        return self._fills[rgb]


_FIXED = ["staff_id", "name", "grade", "home_unit"]
"""The Roster sheet's first columns; the dates follow."""


def _roster_sheet(ws, roster: Roster, style: _Styles) -> dict[str, str]:
    """Staff by date: coloured shift codes (nights in white on dark; the unit added when not the
    home unit), leave codes in grey italics, weekends shaded, frozen panes. Returns the leave codes used."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    codes, nights, colours = _shift_looks(roster)
    dates = (
        [roster.start_date + dt.timedelta(days=i) for i in range(roster.days)]
        if roster.start_date
        else sorted(set(roster.assignments["date"]))
    )
    ws.append(_FIXED + list(dates))
    for j, d in enumerate(dates):
        c = ws.cell(row=1, column=len(_FIXED) + 1 + j)
        c.number_format = "ddd dd mmm"
        c.alignment = Alignment(horizontal="center", text_rotation=90)
        c.font = style.bold
        if d.weekday() >= 5:
            c.fill = style.fill(_WEEKEND_FILL)
    for c in ws[1][: len(_FIXED)]:
        c.font = style.bold
    cell_of = {(r.staff_id, r.date): (r.shift, r.unit) for r in roster.assignments.itertuples(index=False)}
    on_leave = _leave_by_day(roster)
    leave_codes: dict[str, str] = {}
    for i, p in enumerate(roster.hours_by_staff.itertuples(index=False)):
        row = 2 + i
        for j, v in enumerate((p.staff_id, p.name, p.grade, p.home_unit)):
            ws.cell(row=row, column=1 + j, value=v)
        for j, d in enumerate(dates):
            c = ws.cell(row=row, column=len(_FIXED) + 1 + j)
            c.alignment = style.centre
            got = cell_of.get((p.staff_id, d))
            if got is not None:
                shift, unit = got
                c.value = codes[shift] if unit == p.home_unit else f"{codes[shift]} {unit}"
                c.fill = style.fill(colours[shift])
                if shift in nights:
                    c.font = style.white_bold
            elif (p.staff_id, d) in on_leave:
                kind = on_leave[(p.staff_id, d)]
                leave_codes.setdefault(kind, re.sub(r"[^A-Z]", "", kind.title())[:2] or "L")
                c.value = leave_codes[kind]
                c.fill = style.fill(_LEAVE_FILL)
                c.font = style.italic
            elif d.weekday() >= 5:
                c.fill = style.fill(_WEEKEND_FILL)
    ws.freeze_panes = ws.cell(row=2, column=len(_FIXED) + 1)
    for j in range(len(_FIXED) + 1, len(_FIXED) + 1 + len(dates)):
        ws.column_dimensions[get_column_letter(j)].width = 6
    ws.column_dimensions["B"].width = 22
    return leave_codes


def _shift_looks(roster: Roster) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """Each shift's code, the night shifts, and each shift's fill colour (nights the dark one)."""
    shifts = list(roster.shifts)
    nights = _night_names(roster)
    colours = {k: (_NIGHT_FILL if k in nights else _PALETTE[i % len(_PALETTE)]) for i, k in enumerate(shifts)}
    return shift_codes(shifts), nights, colours


def _leave_by_day(roster: Roster) -> dict[tuple[str, dt.date], str]:
    """The kind of leave of each (member, day) on leave."""
    on_leave: dict[tuple[str, dt.date], str] = {}
    if roster.leave is not None:
        for sid, first, last, kind in roster.leave[["staff_id", "from", "to", "kind"]].itertuples(
            index=False, name=None
        ):
            d = first
            while d <= last:
                on_leave[(sid, d)] = kind
                d += dt.timedelta(days=1)
    return on_leave


def _roster_legend(ws, roster: Roster, style: _Styles, leave_codes: dict[str, str]) -> None:
    """Below the grid: each shift's code and times, each leave code, a float-pool cell and a weekend."""
    from openpyxl.styles import Font

    codes, nights, colours = _shift_looks(roster)
    row = len(roster.hours_by_staff) + 3
    ws.cell(row=row, column=1, value="Legend").font = style.bold
    for k in roster.shifts:
        row += 1
        c = ws.cell(row=row, column=1, value=codes[k])
        c.fill = style.fill(colours[k])
        if k in nights:
            c.font = Font(color="FFFFFF", bold=True)
        start, end = roster.shifts[k]
        ws.cell(row=row, column=2, value=f"{k} {start}-{end}")
    for kind, code in leave_codes.items():
        row += 1
        c = ws.cell(row=row, column=1, value=code)
        c.fill = style.fill(_LEAVE_FILL)
        c.font = Font(italic=True)
        ws.cell(row=row, column=2, value=f"{kind} (leave)")
    row += 1
    ws.cell(row=row, column=1, value="X UNIT").fill = style.fill(_PALETTE[0])
    ws.cell(row=row, column=2, value="shift X worked on another unit (float pool)")
    row += 1
    ws.cell(row=row, column=1).fill = style.fill(_WEEKEND_FILL)
    ws.cell(row=row, column=2, value="weekend")


def _cover_sheet(wc, cover: pd.DataFrame, style: _Styles) -> None:
    """Assigned against min/target, shortfalls highlighted by conditional fills."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.utils import get_column_letter

    wc.append(list(cover.columns))
    for c in wc[1]:
        c.font = style.bold
    for r in cover.itertuples(index=False):
        wc.append(list(r))
    n = len(cover)
    if n:
        cols = list(cover.columns)
        last = get_column_letter(len(cols))
        smin = get_column_letter(cols.index("shortfall_min") + 1)
        stgt = get_column_letter(cols.index("shortfall_target") + 1)
        area = f"A2:{last}{n + 1}"
        wc.conditional_formatting.add(
            area, FormulaRule(formula=[f"${smin}2>0"], fill=style.fill(_SHORT_MIN_FILL), stopIfTrue=True)
        )
        wc.conditional_formatting.add(area, FormulaRule(formula=[f"${stgt}2>0"], fill=style.fill(_SHORT_TARGET_FILL)))
        for i in range(n):
            wc.cell(row=2 + i, column=1).number_format = "yyyy-mm-dd"
    wc.freeze_panes = "A2"
    wc.auto_filter.ref = f"A1:{get_column_letter(len(cover.columns))}{n + 1}"


def _violations_sheet(wv, roster: Roster, style: _Styles) -> None:
    """Every soft-rule violation with the member's name, then the total, status and bound."""
    people = roster.hours_by_staff
    names = dict(zip(people["staff_id"], people["name"], strict=True))
    wv.append(["rule", "staff_id", "name", "date", "detail", "penalty"])
    for c in wv[1]:
        c.font = style.bold
    for r in roster.violations.itertuples(index=False):
        wv.append(
            [
                r.rule,
                r.staff_id or None,
                names.get(r.staff_id) if r.staff_id else None,
                r.date,
                r.detail,
                float(r.penalty),
            ]
        )
    wv.append([])
    wv.append(["total", None, None, None, f"status {roster.status}; bound {roster.bound:g}", float(roster.penalty)])
    wv.freeze_panes = "A2"
    wv.column_dimensions["E"].width = 80


def _hours_sheet(wh, people: pd.DataFrame, style: _Styles) -> None:
    """Contract against rostered hours, one row per member."""
    wh.append(list(people.columns))
    for c in wh[1]:
        c.font = style.bold
    for r in people.itertuples(index=False):
        wh.append([v.item() if hasattr(v, "item") else v for v in r])
    wh.freeze_panes = "C2"


def calendar_file_name(staff_id: str) -> str:
    """A safe file name for a member's calendar: ``<staff_id>.ics``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(staff_id)) + ".ics"


@functools.lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``tzid`` covering the years, built once (icalendar takes ~25 ms per build)."""
    import icalendar

    tz = icalendar.Timezone.from_tzid(tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year, 12, 31))
    return tz.to_ical()


def staff_calendar(roster: Roster, staff_id: str, *, stamp: dt.datetime | None = None):
    """One member's shifts as an ``icalendar.Calendar`` (times with TZID and VTIMEZONE)."""
    import icalendar

    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hospital_twin//roster//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Roster {staff_id}")
    mine = roster.assignments[roster.assignments["staff_id"] == staff_id]
    zones = sorted({str(_py(t).tzinfo) for t in list(mine["start"]) + list(mine["end"])})
    if zones:  # VTIMEZONE first, as calendar programs expect
        years = [d.year for d in mine["date"]]
        for tzid in zones:
            cal.add_component(icalendar.Timezone.from_ical(_vtimezone(tzid, min(years) - 1, max(years) + 1)))
    for r in mine.itertuples(index=False):
        ev = icalendar.Event()
        ev.add("uid", f"{staff_id}-{r.date:%Y%m%d}@hospital-twin")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", _py(r.start))
        ev.add("dtend", _py(r.end))
        ev.add("summary", f"{r.shift} {r.unit}")
        ev.add("description", f"{r.name}: {r.shift} on {r.unit} as {r.skill}")
        cal.add_component(ev)
    return cal


def write_calendars(roster: Roster, folder: str | Path, *, stamp: dt.datetime | None = None) -> list[Path]:
    """One ``<staff_id>.ics`` per member of staff (an empty calendar for someone not rostered)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for sid in roster.hours_by_staff["staff_id"]:
        p = out / calendar_file_name(sid)
        p.write_bytes(staff_calendar(roster, sid, stamp=stamp).to_ical())
        paths.append(p)
    return paths


def write_roster_folder(roster: Roster, out_dir: str | Path, *, provenance: dict | None = None) -> Path:
    """Write ``roster.csv, roster.xlsx, ics/, cover.csv, violations.csv, hours.csv, roster.json`` atomically.

    Everything goes into a temporary sibling folder that replaces ``out_dir`` only when complete.
    """
    out = Path(out_dir)
    with atomic_folder(out) as tmp:
        write_roster_csv(roster, tmp / "roster.csv")
        write_workbook(roster, tmp / "roster.xlsx")
        write_calendars(roster, tmp / "ics")
        roster.cover.to_csv(tmp / "cover.csv", index=False)
        roster.violations.to_csv(tmp / "violations.csv", index=False)
        roster.hours_by_staff.to_csv(tmp / "hours.csv", index=False)
        info = {
            "status": roster.status,
            "objective": roster.objective,
            "bound": None if math.isnan(roster.bound) else roster.bound,
            "penalty_checked": roster.penalty,
            "solve_s": round(roster.solve_s, 3),
            "start_date": roster.start_date.isoformat() if roster.start_date else None,
            "days": roster.days,
            "shifts": roster.shifts,
            "notes": roster.notes,
            "hard_breaches": roster.hard_breaches,
            **(provenance or {}),
        }
        (tmp / "roster.json").write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
    return out
