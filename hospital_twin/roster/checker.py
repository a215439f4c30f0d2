"""An independent, pure-Python checker for any roster of named staff.

Given the assignments (one row per staff member per worked day) and the same inputs the
solver saw, it recomputes from scratch every hard rule (reporting breaches) and every
soft rule of :class:`~hospital_twin.roster.rules.RosterRules` (listing each violation
with its penalty in points). It shares no code with the CP-SAT model beyond the shift
clock arithmetic, so the solver's objective can be checked against it.

:func:`check_roster` runs one step per rule family (methods of a small ``_Checker``): single
assignments, rest and night caps, cover, then per member contract hours, runs and weekends, then
requests and fairness.

Owns: :func:`check_roster` and :class:`RosterCheck`, and the helpers the model shares with it
(:func:`leave_days`, :func:`eligible_staff`, :func:`history_grid`). Must not import OR-Tools (it
checks the solver) or touch files.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from hospital_twin.roster.rules import (
    SCALE,
    RosterRules,
    RunRule,
    ShiftClock,
    dated_conflicts,
    night_cap_windows,
    night_shift_names,
    shift_minutes,
)
from hospital_twin.roster.rules import (
    fairness_team as _team,
)
from hospital_twin.roster.staff import ANY_SKILL, StaffTable

__all__ = [
    "RosterCheck",
    "check_roster",
    "VIOLATION_COLUMNS",
    "COVER_COLUMNS",
    "HOURS_COLUMNS",
    "leave_days",
    "eligible_staff",
    "history_grid",
]

VIOLATION_COLUMNS = ["rule", "staff_id", "date", "detail", "penalty"]
COVER_COLUMNS = ["date", "unit", "shift", "skill", "min", "target", "assigned", "shortfall_min", "shortfall_target"]
HOURS_COLUMNS = [
    "staff_id",
    "name",
    "grade",
    "home_unit",
    "contract_hours_per_week",
    "leave_days",
    "expected_h",
    "rostered_h",
    "difference_h",
    "shifts",
    "nights",
    "weekends_worked",
]


@dataclass
class RosterCheck:
    """What the checker found: soft violations (points), hard breaches (text), cover and hours tables."""

    violations: pd.DataFrame
    hard: list[str]
    cover: pd.DataFrame
    hours: pd.DataFrame
    penalty_units: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def penalty(self) -> float:
        """Total soft penalty in points."""
        return self.penalty_units / SCALE


def _units(weight: float) -> int:
    """Integer objective units of one point-weight (weights are multiples of 0.1)."""
    return round(weight * SCALE)


def leave_days(leave: pd.DataFrame | None, dates: list[dt.date]) -> dict[str, set[dt.date]]:
    """Dates of the horizon each member is on leave (any kind)."""
    out: dict[str, set[dt.date]] = defaultdict(set)
    if leave is None or leave.empty:
        return out
    horizon = set(dates)
    for sid, first, last in leave[["staff_id", "from", "to"]].itertuples(index=False, name=None):
        d = first
        while d <= last:
            if d in horizon:
                out[str(sid)].add(d)
            d += dt.timedelta(days=1)
    return out


def history_grid(
    history: pd.DataFrame | None, staff_ids, start_date: dt.date
) -> tuple[int, dict[str, list[str | None]]]:
    """The days before ``start_date`` as ``(H, grid)``: ``grid[staff_id]`` holds the shift (or None) of each of
    the ``H`` days from the earliest date of ``history`` to the day before ``start_date``.

    A member with no row on a date of that window was off that day; days before the window are
    unknown (runs reaching back to its first day are judged as runs touching the horizon's edge).
    """
    ids = [str(s) for s in staff_ids]
    if history is None or history.empty:
        return 0, {sid: [] for sid in ids}
    first = min(history["date"])
    H = (start_date - first).days
    grid: dict[str, list[str | None]] = {sid: [None] * H for sid in ids}
    for sid, d, k in history[["staff_id", "date", "shift"]].itertuples(index=False, name=None):
        if str(sid) in grid and 0 <= (d - first).days < H:
            grid[str(sid)][(d - first).days] = str(k)
    return H, grid


def eligible_staff(staff: StaffTable, off: dict[str, set[dt.date]], date: dt.date, unit: str, skill: str) -> list[str]:
    """Members who could work ``unit`` with ``skill`` on ``date``: the skill, the unit (home or float pool),
    not on leave."""
    return [
        m.staff_id
        for m in staff
        if (skill == ANY_SKILL or skill in m.skills)
        and (m.float_pool or m.home_unit == unit)
        and date not in off.get(m.staff_id, ())
    ]


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Maximal runs of True as (first index, length)."""
    out, i = [], 0
    while i < len(flags):
        if flags[i]:
            j = i
            while j < len(flags) and flags[j]:
                j += 1
            out.append((i, j - i))
            i = j
        else:
            i += 1
    return out


def _run_violations(
    rule_name: str,
    what: str,
    rule: RunRule,
    flags: list[bool],
    dates: list[dt.date],
    sid: str,
    add,
    past: list[bool] | None = None,
) -> None:
    """Runs over the history days (``past``, judged only where the roster decides: a window over max
    that reaches a roster day, a short run closed by a roster day) followed by the roster's days.

    ``dates`` covers the history days and then the roster's days."""
    H = len(past or [])
    flags = list(past or []) + list(flags)
    n = len(flags)
    for first, length in _runs(flags):
        if rule.max is not None and length > rule.max:
            for k in range(length - rule.max):
                if first + k + rule.max < H:
                    continue  # the window lies wholly before the roster
                add(
                    f"max_{rule_name}",
                    sid,
                    dates[first + k],
                    f"{length} {what} in a row from {dates[first]} (max {rule.max}); window {k + 1}",
                    rule.weight,
                )
        if rule.min is not None and length < rule.min and first > 0 and H <= first + length < n:
            add(
                f"min_{rule_name}",
                sid,
                dates[first],
                f"{length} {what} in a row from {dates[first]} (min {rule.min})",
                rule.weight * (rule.min - length),
            )


def check_roster(
    assignments: pd.DataFrame,
    staff: StaffTable,
    requirements: pd.DataFrame,
    rules: RosterRules,
    clocks: dict[str, ShiftClock],
    *,
    start_date: dt.date,
    days: int,
    leave: pd.DataFrame | None = None,
    requests: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> RosterCheck:
    """Check a roster against every rule; see :mod:`hospital_twin.roster.rules` for what one violation is.

    ``assignments`` needs ``staff_id, date, shift, unit, skill``. Penalties are in points.
    ``history`` (``staff_id, date, shift``, before ``start_date``; see :func:`history_grid`) carries
    rest, forbidden successions, the night cap and runs of working days, days off, shifts and
    nights across the first day; weekends, fairness and contract hours count the roster's days only.

    One step per rule family, in this order (which is the order of ``hard`` and ``violations``):
    single assignments (one shift a day, leave, skill, unit), rest and night caps, cover, then per
    member contract hours, runs and weekends, then requests and fairness.
    """
    c = _Checker(staff, rules, clocks, start_date, days, leave, history)
    c.grid_of(assignments)
    c.rest_and_night_caps()
    cover = c.cover(requirements)
    hours = c.people()
    if requests is not None:
        c.requests(requests)
    c.fairness()
    violations = pd.DataFrame(c.rows, columns=VIOLATION_COLUMNS)
    return RosterCheck(violations=violations, hard=c.hard, cover=cover, hours=hours, penalty_units=c.total)


class _Checker:
    """One check: the horizon (history days first), the roster's grid, and what was found so far
    (``hard`` breaches; soft ``rows`` with their ``total`` in objective units)."""

    def __init__(
        self,
        staff: StaffTable,
        rules: RosterRules,
        clocks: dict[str, ShiftClock],
        start_date: dt.date,
        days: int,
        leave: pd.DataFrame | None,
        history: pd.DataFrame | None,
    ) -> None:
        self.staff, self.rules, self.clocks, self.start_date, self.days = staff, rules, clocks, start_date, days
        self.dates = [start_date + dt.timedelta(days=i) for i in range(days)]
        self.H, self.past = history_grid(history, [m.staff_id for m in staff], start_date)
        self.all_dates = [start_date + dt.timedelta(days=i - self.H) for i in range(self.H)] + self.dates
        self.index = {d: i for i, d in enumerate(self.dates)}
        self.off = leave_days(leave, self.dates)
        self.nights = night_shift_names(clocks, rules)
        self.hard: list[str] = []
        self.rows: list[tuple] = []
        self.total = 0
        self.grid: dict[str, list[str | None]] = {m.staff_id: [None] * days for m in staff}
        self.where: dict[tuple[str, int], tuple[str, str]] = {}
        # per member, for the hours table and fairness
        self.nights_count: dict[str, int] = {}
        self.weekends_count: dict[str, int] = {}
        self.capacity: dict[str, float] = {}

    def add(
        self, rule: str, sid: str, date, detail: str, weight_points: float, amount_units: int | None = None
    ) -> None:
        """A soft violation of ``weight_points`` (or ``amount_units`` objective units)."""
        units = _units(weight_points) if amount_units is None else amount_units
        if units == 0:
            return
        self.total += units
        self.rows.append((rule, sid, date, detail, units / SCALE))

    # ---- hard rules
    def grid_of(self, assignments: pd.DataFrame) -> None:
        """The assignment grid, with the hard rules that concern single assignments: a known member,
        day and shift, one shift a day, not on leave, a skill they hold, their unit or the float pool."""
        staff, grid, hard = self.staff, self.grid, self.hard
        for r in assignments.itertuples(index=False):
            sid, d, k, unit, skill = str(r.staff_id), r.date, str(r.shift), str(r.unit), str(r.skill)
            m = staff.by_id.get(sid)
            if m is None:
                hard.append(f"unknown staff_id {sid}")
                continue
            if d not in self.index:
                hard.append(f"{sid} on {d}: outside the roster period")
                continue
            if k not in self.clocks:
                hard.append(f"{sid} on {d}: unknown shift {k}")
                continue
            i = self.index[d]
            if grid[sid][i] is not None:
                hard.append(f"{sid} on {d}: more than one shift ({grid[sid][i]}, {k})")
                continue
            grid[sid][i] = k
            self.where[(sid, i)] = (unit, skill)
            if d in self.off.get(sid, ()):
                hard.append(f"{sid} on {d}: works {k} while on leave")
            if skill not in m.skills:
                hard.append(f"{sid} on {d}: works as {skill} without that skill ({';'.join(m.skills)})")
            if unit != m.home_unit and not m.float_pool:
                hard.append(
                    f"{sid} on {d}: works on {unit}, not their home unit {m.home_unit}, and is not in the float pool"
                )

    def rest_and_night_caps(self) -> None:
        """Rest and forbidden successions by the real times in each member's zone (summer time
        included), across the first day from the history; the night cap over every window."""
        H, days, all_dates, hard = self.H, self.days, self.all_dates, self.hard
        conflicts_by_zone: dict[str, set] = {}
        for sid, row in self.grid.items():
            tz = self.staff.by_id[sid].time_zone
            if tz not in conflicts_by_zone:
                conflicts_by_zone[tz] = dated_conflicts(self.start_date, -2, days, self.clocks, self.rules, tz)
            conflicts = conflicts_by_zone[tz]
            full = self.past[sid] + row  # history days, then the roster's
            for i, k in enumerate(full):
                if k is None:
                    continue
                for gap in (1, 2):
                    j = i + gap
                    if H <= j < H + days and full[j] is not None and (i - H, k, gap, full[j]) in conflicts:
                        hard.append(
                            f"{sid}: {k} on {all_dates[i]} then {full[j]} on {all_dates[j]} "
                            f"(less than {self.rules.rest.min_rest_h:g} h rest or a forbidden succession)"
                        )
            m = self.staff.by_id[sid]
            if m.max_nights_per_4w is not None:
                is_night = [k in self.nights for k in full]
                for first, length, cap in night_cap_windows(H, days, m.max_nights_per_4w):
                    n = sum(is_night[first : first + length])
                    before = sum(is_night[first : min(first + length, H)])
                    if n > max(cap, before):  # the roster added a night to a window already at its cap
                        hard.append(f"{sid}: {n} nights in {length} days from {all_dates[first]} (max {cap})")

    # ---- cover
    def cover(self, requirements: pd.DataFrame) -> pd.DataFrame:
        """Assigned against min and target per requirement row; shortfalls of the minimum are hard
        breaches or soft violations (by ``rules.cover.min_hard``), with the reason."""
        rules = self.rules
        counts: dict[tuple, int] = defaultdict(int)
        for (sid, i), (unit, skill) in self.where.items():
            k = self.grid[sid][i]
            counts[(self.dates[i], unit, k, skill)] += 1
            counts[(self.dates[i], unit, k, ANY_SKILL)] += 1
        cover_rows = []
        for r in requirements.itertuples(index=False):
            got = counts.get((r.date, r.unit, r.shift, r.skill), 0)
            short_min, short_target = max(0, r.min - got), max(0, r.target - got)
            cover_rows.append((r.date, r.unit, r.shift, r.skill, r.min, r.target, got, short_min, short_target))
            label = f"{r.unit} {r.shift} {r.skill}"
            if short_min:
                n_eligible = len(eligible_staff(self.staff, self.off, r.date, r.unit, r.skill))
                why = (
                    f"only {n_eligible} staff with skill {r.skill} can work {r.unit} on {r.date} (not on leave, "
                    f"home unit or float pool)"
                    if n_eligible < r.min
                    else f"{n_eligible} could, but they are needed on other shifts or blocked by rest, leave or "
                    "night limits"
                )
                if rules.cover.min_hard:
                    self.hard.append(f"{r.date} {label}: {got} assigned, min {r.min}; {why}")
                else:
                    self.add(
                        "cover_min",
                        "",
                        r.date,
                        f"{label}: {got} assigned, min {r.min}; {why}",
                        0,
                        short_min * _units(rules.cover.min_weight),
                    )
            if short_target:
                self.add(
                    "cover_target",
                    "",
                    r.date,
                    f"{label}: {got} assigned, target {r.target}",
                    0,
                    short_target * _units(rules.cover.target_weight),
                )
        return pd.DataFrame(cover_rows, columns=COVER_COLUMNS)

    # ---- per person
    def people(self) -> pd.DataFrame:
        """Each member's contract hours, runs and weekends; the hours table."""
        saturdays = [i for i, d in enumerate(self.dates) if d.weekday() == 5 and i + 1 < self.days]
        hours_rows = []
        for m in self.staff:
            sid = m.staff_id
            row = self.grid[sid]
            works = [k is not None for k in row]
            rostered_min, expected_min, available = self.contract_hours(m, row)
            self.runs(sid, row)
            worked_weekends = self.weekends(sid, works, saturdays)
            self.nights_count[sid] = sum(k in self.nights for k in row if k is not None)
            self.weekends_count[sid] = sum(worked_weekends)
            self.capacity[sid] = m.contract_hours_per_week * available
            hours_rows.append(
                (
                    sid,
                    m.name,
                    m.grade,
                    m.home_unit,
                    m.contract_hours_per_week,
                    self.days - available,
                    round(expected_min / 60, 2),
                    rostered_min / 60,
                    round((rostered_min - expected_min) / 60, 2),
                    sum(works),
                    self.nights_count[sid],
                    self.weekends_count[sid],
                )
            )
        return pd.DataFrame(hours_rows, columns=HOURS_COLUMNS)

    def contract_hours(self, m, row: list[str | None]) -> tuple[int, int, int]:
        """Rostered minutes (real times in the member's zone) against the contract, pro rata of the
        days not on leave, beyond the tolerance; returns (rostered, expected minutes, days available)."""
        c = self.rules.contract_hours
        sid = m.staff_id
        rostered_min = sum(
            shift_minutes(self.dates[i], self.clocks[k], m.time_zone) for i, k in enumerate(row) if k is not None
        )
        available = self.days - len(self.off.get(sid, ()))
        expected_min = round(m.contract_hours_per_week * 60 * available / 7)
        tol_min = round(c.tolerance_h * 60)
        under = max(0, expected_min - tol_min - rostered_min)
        over = max(0, rostered_min - expected_min - tol_min)
        if under:
            self.add(
                "contract_hours_under",
                sid,
                None,
                f"{rostered_min / 60:g} h rostered, {expected_min / 60:.2f} h "
                f"expected (tolerance {c.tolerance_h:g} h): {under / 60:.2f} h under",
                0,
                under * _units(c.under_weight_per_h) // 60,
            )
        if over:
            self.add(
                "contract_hours_over",
                sid,
                None,
                f"{rostered_min / 60:g} h rostered, {expected_min / 60:.2f} h "
                f"expected (tolerance {c.tolerance_h:g} h): {over / 60:.2f} h over",
                0,
                over * _units(c.over_weight_per_h) // 60,
            )
        return rostered_min, expected_min, available

    def runs(self, sid: str, row: list[str | None]) -> None:
        """Runs of working days, days off, each shift and nights, continuing the history's."""
        rules, nights, all_dates, add = self.rules, self.nights, self.all_dates, self.add
        before = self.past[sid]
        works = [k is not None for k in row]
        _run_violations(
            "work_days", "working days", rules.work_days, works, all_dates, sid, add, [x is not None for x in before]
        )
        _run_violations(
            "days_off",
            "days off",
            rules.days_off,
            [not w for w in works],
            all_dates,
            sid,
            add,
            [x is None for x in before],
        )
        for k, rule in rules.shift_runs.items():
            _run_violations(
                f"shift_run:{k}",
                f"{k} shifts",
                rule,
                [x == k for x in row],
                all_dates,
                sid,
                add,
                [x == k for x in before],
            )
        if rules.night_runs is not None:
            _run_violations(
                "night_run",
                "nights",
                rules.night_runs,
                [x in nights for x in row],
                all_dates,
                sid,
                add,
                [x in nights for x in before],
            )

    def weekends(self, sid: str, works: list[bool], saturdays: list[int]) -> list[bool]:
        """Weekends worked beyond the maximum in every 4 (pro rata if fewer), and half weekends;
        returns whether each weekend was worked."""
        worked_weekends = [works[i] or works[i + 1] for i in saturdays]
        w = self.rules.weekends
        dates = self.dates
        if w.max_per_4w is not None and saturdays:
            if len(saturdays) >= 4:
                windows = [(j, 4, w.max_per_4w) for j in range(len(saturdays) - 3)]
            else:
                windows = [(0, len(saturdays), math.ceil(w.max_per_4w * len(saturdays) / 4))]
            for first, length, cap in windows:
                n = sum(worked_weekends[first : first + length])
                if n > cap:
                    self.add(
                        "max_weekends",
                        sid,
                        dates[saturdays[first]],
                        f"{n} weekends worked in {length} from {dates[saturdays[first]]} (max {cap})",
                        w.weight * (n - cap),
                    )
        if w.complete:
            for i in saturdays:
                if works[i] != works[i + 1]:
                    self.add(
                        "complete_weekend",
                        sid,
                        dates[i],
                        f"works only {'Saturday' if works[i] else 'Sunday'} of the weekend of {dates[i]}",
                        w.complete_weight,
                    )
        return worked_weekends

    # ---- requests and fairness
    def requests(self, requests: pd.DataFrame) -> None:
        """Each request broken: a day or shift off worked, a shift wished for not worked."""
        for r in requests.itertuples(index=False):
            if r.date not in self.index or r.staff_id not in self.grid:
                continue
            k = self.grid[r.staff_id][self.index[r.date]]
            if r.wish == "off":
                broken = k is not None if r.shift in ("off", "any") else k == r.shift
            else:
                broken = k is None if r.shift == "any" else k != r.shift
            if broken:
                self.add(
                    "request",
                    r.staff_id,
                    r.date,
                    f"asked {r.wish} {r.shift}; rostered {k or 'off'}",
                    0,
                    _units(r.weight) * _units(self.rules.requests.weight) // SCALE,
                )

    def fairness(self) -> None:
        """Within each team (home unit and grade): the spread of nights and of weekends per
        full-time equivalent."""
        f = self.rules.fairness
        for what, counts_by, weight in (
            ("nights", self.nights_count, f.nights_weight),
            ("weekends", self.weekends_count, f.weekends_weight),
        ):
            by_grade: dict[str, list[str]] = defaultdict(list)  # per team: home unit and grade
            for m in self.staff:
                if self.capacity[m.staff_id] > 0 and not (what == "nights" and m.max_nights_per_4w == 0):
                    by_grade[_team(m)].append(m.staff_id)
            for grade, members in by_grade.items():
                if len(members) < 2:
                    continue
                top = max(self.capacity[s] for s in members)
                scores = {s: counts_by[s] * round(100 * top / self.capacity[s]) for s in members}
                spread = max(scores.values()) - min(scores.values())
                if spread:
                    lo, hi = min(scores, key=scores.get), max(scores, key=scores.get)
                    self.add(
                        f"fairness_{what}",
                        "",
                        None,
                        f"{grade}: {what} per full-time equivalent range from "
                        f"{scores[lo] / 100:.2f} ({lo}) to {scores[hi] / 100:.2f} ({hi})",
                        0,
                        spread * _units(weight) // 100,
                    )
