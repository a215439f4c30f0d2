"""The CP-SAT roster for named staff: :func:`build_roster` and the :class:`Roster` it returns.

One Boolean per (member, day, shift, unit, skill) where the member may work that cell:
the unit is their home unit (any unit for the float pool), they hold the skill (or the
cover asks for ``any``), they are not on leave, and some cover requirement exists for that
unit and shift on that day. Hard rules: at most one shift a day, rest between shifts and
forbidden successions (from the shifts' real times in each member's time zone, including
night to early and a change of summer time in between), a cap on
nights per 4 weeks where the staff file gives one, and, if ``rules.cover.min_hard``, the
minimum cover (otherwise a very expensive soft rule, so planners always get a roster and a
list of shortfalls with reasons).

Soft rules are encoded *exactly*: every penalty variable equals the violation it stands
for in any solution (runs with sliding windows reified both ways; shortfalls, hours and
fairness spreads as max-equalities), so the solver's objective equals the independent
checker's total for every roster returned, optimal or not (tested).

The search starts from a complete solution hint: a greedy day-by-day roster that keeps every
hard rule (:mod:`hospital_twin.roster.greedy`, or a previous roster). Above
:data:`DECOMPOSE_ABOVE` staff the roster is solved team by team (home unit), then the float pool
on the cover the teams left short; a part that finds nothing in its share of the time keeps its
greedy roster.

:func:`build_roster` runs in named steps: validate the inputs and keep the period's rows
(:func:`_prepare` -> :class:`RosterInputs`), plan the parts (:func:`_plan`), build and solve them
sharing the time (:func:`_solve_parts`), combine their status, objective and bound
(:func:`_combine`), and check the result independently (:func:`_checked_roster`).

Owns: :class:`Roster`, :func:`build_roster`, :class:`RosterError`, :class:`RosterInputs` and the
CP-SAT model of named staff (:class:`RosterModel`). No file I/O, no printing; CP-SAT is imported
here and nowhere else in the package but ``inrc2``'s model, search and solve (the checker and the
greedy roster never import OR-Tools).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import pandas as pd
from ortools.sat.python import cp_model

from hospital_twin.roster.checker import check_roster, eligible_staff, history_grid, leave_days
from hospital_twin.roster.greedy import greedy_roster
from hospital_twin.roster.rules import (
    SCALE,
    RosterRules,
    RunRule,
    ShiftClock,
    dated_conflicts,
    night_cap_windows,
    night_shift_names,
    shift_clocks,
    shift_minutes,
    shift_times,
)
from hospital_twin.roster.rules import (
    fairness_team as _team,
)
from hospital_twin.roster.staff import (
    ANY_SKILL,
    Problem,
    RosterInputError,
    StaffTable,
    validate_history,
    validate_leave,
    validate_requests,
    validate_requirements,
    validate_staff,
)

__all__ = ["Roster", "RosterError", "build_roster", "ASSIGNMENT_COLUMNS", "shift_times"]

log = logging.getLogger(__name__)

ASSIGNMENT_COLUMNS = ["staff_id", "name", "date", "shift", "unit", "skill", "start", "end"]


class RosterError(RuntimeError):
    """No roster could be returned; ``reasons`` says why (e.g. which minimum cover cannot be met)."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        self.reasons = reasons or []
        super().__init__("\n".join([message, *self.reasons]))


@dataclass
class Roster:
    """A roster and how good it is.

    ``assignments``: ``staff_id, name, date, shift, unit, skill, start, end`` (start/end
    timezone-aware in the member's time zone). ``cover``: requirement rows with
    ``assigned, shortfall_min, shortfall_target``. ``violations``: every soft-rule violation
    (``rule, staff_id, date, detail, penalty`` in points) found by the independent checker.
    ``objective`` and ``bound`` in points; ``solve_s`` wall seconds. ``hours_by_staff``:
    contract against rostered hours, nights and weekends per member. ``notes``: why cover
    cannot be met, inputs outside the period. ``hard_breaches``: hard rules the checker
    found broken (always empty for a roster from :func:`build_roster`).
    """

    assignments: pd.DataFrame
    cover: pd.DataFrame
    violations: pd.DataFrame
    objective: float
    bound: float
    status: str
    solve_s: float
    hours_by_staff: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    hard_breaches: list[str] = field(default_factory=list)
    shifts: dict[str, tuple[str, str]] = field(default_factory=dict)
    start_date: dt.date | None = None
    days: int = 0
    leave: pd.DataFrame | None = None
    history: pd.DataFrame | None = None

    @property
    def penalty(self) -> float:
        """Total soft penalty found by the checker (points); equals ``objective``."""
        return float(self.violations["penalty"].sum()) if len(self.violations) else 0.0


# --------------------------------------------------------------------------- inputs
@dataclass
class RosterInputs:
    """The validated inputs of a roster, or of one part of it: what the model, the greedy roster and
    the checker read. ``leave`` holds the leave rows and ``off`` the days each member is on leave;
    ``notes`` collects what planners should know (rows outside the period, cover that cannot be met)."""

    table: StaffTable
    clocks: dict[str, ShiftClock]
    req: pd.DataFrame
    rules: RosterRules
    dates: list[dt.date]
    leave: pd.DataFrame
    off: dict[str, set[dt.date]]
    requests: pd.DataFrame
    history: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _prepare(staff, requirements, rules, shifts, start_date, days, leave, requests, history=None) -> RosterInputs:
    """Validate every input (:class:`RosterInputError` with every problem), keep the rows inside the
    period and note, before solving, which minimum cover cannot be met."""
    table, clocks, req, lv, rq, hist = _validate(
        staff, requirements, rules, shifts, start_date, days, leave, requests, history
    )
    end = start_date + dt.timedelta(days=days - 1)
    req, rq, hist, notes = _within_period(table, req, rq, hist, start_date, end)
    dates = [start_date + dt.timedelta(days=i) for i in range(days)]
    off = leave_days(lv, dates)
    notes += _cover_notes(table, req, off, dates)
    return RosterInputs(table, clocks, req, rules, dates, lv, off, rq, hist, notes)


def _validate(staff, requirements, rules, shifts, start_date, days, leave, requests, history):
    """Staff, shift clocks, requirements, leave, requests and history, validated row by row."""
    if days < 1:
        raise RosterInputError([Problem("roster", None, "days", f"at least one day is needed (got {days})")])
    try:
        clocks = shift_clocks(shifts)
    except ValueError as exc:
        raise RosterInputError([Problem("shifts", None, "", str(exc))]) from None
    if not clocks:
        raise RosterInputError([Problem("shifts", None, "", "no shifts: give the shifts' clock times")])
    table = staff if isinstance(staff, StaffTable) else validate_staff(staff)
    req = validate_requirements(requirements, clocks)
    lv = validate_leave(leave, table)
    rq = validate_requests(requests, table, clocks)
    hist = validate_history(history, clocks, start_date=start_date)
    problems = _unknown_rule_shifts(rules, clocks)
    if problems:
        raise RosterInputError(problems)
    return table, clocks, req, lv, rq, hist


def _unknown_rule_shifts(rules: RosterRules, clocks: dict[str, ShiftClock]) -> list[Problem]:
    """Shifts the rules name (runs, forbidden successions, nights) that have no clock times."""
    problems = []
    for name in rules.shift_runs:
        if name not in clocks:
            problems.append(Problem("rules", None, f"shift_runs.{name}", f"unknown shift '{name}'"))
    for a, b in rules.rest.forbidden_successions:
        for s in (a, b):
            if s not in clocks:
                problems.append(Problem("rules", None, "rest.forbidden_successions", f"unknown shift '{s}'"))
    for s in rules.night_shifts or []:
        if s not in clocks:
            problems.append(Problem("rules", None, "night_shifts", f"unknown shift '{s}'"))
    return problems


def _within_period(
    table: StaffTable, req: pd.DataFrame, rq: pd.DataFrame, hist: pd.DataFrame, start_date: dt.date, end: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Requirements and requests inside ``start_date..end``, history rows of known staff, and notes
    saying what was left out."""
    notes = []
    inside = (req["date"] >= start_date) & (req["date"] <= end) if len(req) else pd.Series([], dtype=bool)
    if len(req) and (~inside).any():
        notes.append(f"{int((~inside).sum())} requirement rows outside {start_date}..{end} were ignored")
        req = req[inside].reset_index(drop=True)
    if len(rq):
        outside = (rq["date"] < start_date) | (rq["date"] > end)
        if outside.any():
            notes.append(f"{int(outside.sum())} requests outside {start_date}..{end} were ignored")
            rq = rq[~outside].reset_index(drop=True)
    if len(hist):
        unknown = ~hist["staff_id"].isin([m.staff_id for m in table])
        if unknown.any():
            names = ", ".join(sorted(set(hist.loc[unknown, "staff_id"])))
            notes.append(f"{int(unknown.sum())} history rows of staff not in the staff table were not used ({names})")
            hist = hist[~unknown].reset_index(drop=True)
    return req, rq, hist, notes


def _cover_notes(table: StaffTable, req: pd.DataFrame, off, dates) -> list[str]:
    """Why a minimum cannot be met, found before solving: too few eligible staff for a row or a day."""
    notes = []
    for r in req.itertuples(index=False):
        if r.min > 0:
            n = len(eligible_staff(table, off, r.date, r.unit, r.skill))
            if n < r.min:
                notes.append(
                    f"{r.date} {r.unit} {r.shift}: too few staff with skill {r.skill}: {n} can work it "
                    f"(skill, unit or float pool, not on leave), min {r.min}"
                )
    need = req[req["skill"] != ANY_SKILL].groupby(["date", "skill"])["min"].sum() if len(req) else {}
    for (d, skill), total in need.items() if len(req) else []:
        avail = sum(1 for m in table if skill in m.skills and d not in off.get(m.staff_id, ()))
        if avail < total:
            notes.append(
                f"{d}: too few staff with skill {skill}: {avail} available (one shift each), "
                f"{int(total)} needed by the minimum cover of all units and shifts"
            )
    return notes


# --------------------------------------------------------------------------- the CP-SAT model
def _neg(lit):
    """The negation of a literal or of a history constant (a Python bool)."""
    return (not lit) if isinstance(lit, bool) else lit.Not()


class RosterModel:
    """The CP-SAT model of one roster (or part): variables in dicts keyed by index tuples; each
    ``add_*`` adds one block of rules (:func:`_build_part` calls them in order).

    ``x[(staff_id, day, shift, unit, skill)]`` are the decisions, ``w[(staff_id, day, shift)]`` and
    ``wd[(staff_id, day)]`` "works that shift" and "works that day"; ``terms`` and ``blocks`` the
    objective's (coefficient, variable) and the rule block of each.
    """

    def __init__(self, inputs: RosterInputs):
        table, dates, history = inputs.table, inputs.dates, inputs.history
        self.m = cp_model.CpModel()
        self.history = history
        self.H, self.past = history_grid(history, [m.staff_id for m in table], dates[0])
        self._conflicts: dict[str, set] = {}
        self._minutes: dict[str, dict[tuple[int, str], int]] = {}
        self.table, self.clocks, self.req, self.rules = table, inputs.clocks, inputs.req, inputs.rules
        self.dates, self.off, self.requests = dates, inputs.off, inputs.requests
        clocks, rules = self.clocks, self.rules
        self.D = len(dates)
        self.shifts = list(clocks)
        self.nights = night_shift_names(clocks, rules)
        self.terms: list[tuple[int, cp_model.IntVar]] = []  # (coefficient, variable) in objective units
        self.blocks: list[str] = []  # the rule block of each term, for explaining the objective
        self.block = ""
        self.offset = 0
        self.x: dict[tuple[str, int, str, str, str], cp_model.IntVar] = {}
        self.w: dict[tuple[str, int, str], cp_model.IntVar] = {}
        self.wd: dict[tuple[str, int], cp_model.IntVar] = {}
        # every auxiliary variable with a function computing its value from those before it,
        # so a first roster (the greedy one, or a previous one) becomes a complete solution hint
        self.derived: list[tuple[cp_model.IntVar, object]] = []
        self.values: dict[int, int] = {}

    def conflicts(self, tz: str) -> set[tuple[int, str, int, str]]:
        """Rest conflicts by day in time zone ``tz`` (:func:`dated_conflicts`), from two history days back."""
        if tz not in self._conflicts:
            self._conflicts[tz] = dated_conflicts(self.dates[0], -2, self.D, self.clocks, self.rules, tz)
        return self._conflicts[tz]

    def minutes(self, tz: str) -> dict[tuple[int, str], int]:
        """Real length in minutes of each (day, shift) in time zone ``tz``, as the exports' start and end give it."""
        if tz not in self._minutes:
            self._minutes[tz] = {
                (d, k): shift_minutes(self.dates[d], c, tz) for d in range(self.D) for k, c in self.clocks.items()
            }
        return self._minutes[tz]

    def _val(self, lit) -> int:
        i = lit.index
        return self.values[i] if i >= 0 else 1 - self.values[-i - 1]

    def _sum(self, lits, coefs=None) -> int:
        if coefs is None:
            return sum(self._val(v) for v in lits)
        return sum(c * self._val(v) for c, v in zip(coefs, lits, strict=True))

    def _derive(self, var, fn) -> None:
        self.derived.append((var, fn))

    @staticmethod
    def units(weight: float) -> int:
        return round(weight * SCALE)

    def _penalise(self, coef: int, var) -> None:
        if coef:
            self.terms.append((coef, var))
            self.blocks.append(self.block)

    def _and(self, lits: list, name: str):
        """A Boolean equal to the conjunction of ``lits`` (both directions)."""
        p = self.m.new_bool_var(name)
        self.m.add_bool_and(lits).only_enforce_if(p)
        self.m.add_bool_or([lit.Not() for lit in lits] + [p])
        self._derive(p, lambda lits=lits: int(all(self._val(v) for v in lits)))
        return p

    # ---- variables and the rules that shape them
    def add_variables(self) -> None:
        """The decisions, then each member's "works that shift" and "works that day" (at most one shift a day)."""
        self._add_assignment_variables()
        self._add_day_variables()

    def _add_assignment_variables(self) -> None:
        """One Boolean per (member, day, shift, unit, skill) the member may work: not on leave, not a
        night if they work none, no rest conflict with the history, a requirement for the unit and
        shift that day, and a skill of theirs it asks for (their first skill for ``any``)."""
        index = {d: i for i, d in enumerate(self.dates)}
        cells: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for r in self.req.itertuples(index=False):
            cells[(index[r.date], r.unit, r.shift)].add(r.skill)
        units = sorted({u for (_, u, _) in cells})
        for mem in self.table:
            sid = mem.staff_id
            conflicts = self.conflicts(mem.time_zone)
            my_units = units if mem.float_pool else [mem.home_unit]
            past = self.past[sid]
            for d in range(self.D):
                if self.dates[d] in self.off.get(sid, ()):
                    continue
                for k in self.shifts:
                    if mem.max_nights_per_4w == 0 and k in self.nights:
                        continue
                    # rest and forbidden successions from the shifts worked before day 1 (hard: no variable)
                    if any(
                        d - gap < 0 <= self.H + d - gap
                        and past[self.H + d - gap] is not None
                        and (d - gap, past[self.H + d - gap], gap, k) in conflicts
                        for gap in (1, 2)
                    ):
                        continue
                    for u in my_units:
                        wanted = cells.get((d, u, k))
                        if not wanted:
                            continue
                        skills = [s for s in mem.skills if s in wanted]
                        if not skills and ANY_SKILL in wanted:
                            skills = [mem.skills[0]]
                        for s in skills:
                            self.x[(sid, d, k, u, s)] = self.m.new_bool_var(f"x[{sid},{d},{k},{u},{s}]")

    def _add_day_variables(self) -> None:
        by_cell: dict[tuple[str, int, str], list] = defaultdict(list)
        for (sid, d, k, _u, _s), var in self.x.items():
            by_cell[(sid, d, k)].append(var)
        for mem in self.table:
            sid = mem.staff_id
            for d in range(self.D):
                day = []
                for k in self.shifts:
                    v = self.m.new_bool_var(f"w[{sid},{d},{k}]")
                    xs = by_cell.get((sid, d, k), [])
                    self.m.add(v == sum(xs))
                    self._derive(v, lambda xs=xs: self._sum(xs))
                    self.w[(sid, d, k)] = v
                    day.append(v)
                wd = self.m.new_bool_var(f"wd[{sid},{d}]")
                self.m.add(wd == sum(day))  # at most one shift a day
                self._derive(wd, lambda day=day: self._sum(day))
                self.wd[(sid, d)] = wd

    def add_rest(self) -> None:
        """No pair of shifts closer than the minimum rest (real times in the member's zone), nor a forbidden
        succession."""
        for mem in self.table:
            for d, a, gap, b in sorted(self.conflicts(mem.time_zone)):
                if d >= 0:
                    self.m.add_bool_or([self.w[(mem.staff_id, d, a)].Not(), self.w[(mem.staff_id, d + gap, b)].Not()])

    def add_night_caps(self) -> None:
        """Hard: at most ``max_nights_per_4w`` nights in every 28 days (pro rata, rounded up, if shorter),
        history nights included (:func:`~hospital_twin.roster.rules.night_cap_windows`)."""
        if not self.nights:
            return
        H = self.H
        for mem in self.table:
            cap = mem.max_nights_per_4w
            if cap is None:
                continue
            past = [x in self.nights for x in self.past[mem.staff_id]]
            for first, length, c in night_cap_windows(H, self.D, cap):
                done = sum(past[first : min(first + length, H)])
                self.m.add(
                    sum(
                        self.w[(mem.staff_id, d, k)]
                        for d in range(max(first - H, 0), first + length - H)
                        for k in self.nights
                    )
                    <= max(0, c - done)
                )

    def add_cover(self) -> None:
        index = {d: i for i, d in enumerate(self.dates)}
        by_row: dict[tuple, list] = defaultdict(list)
        for (_sid, d, k, u, s), var in self.x.items():
            by_row[(d, u, k, s)].append(var)
            by_row[(d, u, k, ANY_SKILL)].append(var)
        c = self.rules.cover
        for r in self.req.itertuples(index=False):
            xs = by_row.get((index[r.date], r.unit, r.shift, r.skill), [])
            got = sum(xs)
            if c.min_hard:
                self.m.add(got >= r.min)
            elif r.min > 0:
                short = self.m.new_int_var(0, r.min, f"short_min[{r.date},{r.unit},{r.shift},{r.skill}]")
                self.m.add_max_equality(short, [r.min - got, 0])
                self._derive(short, lambda xs=xs, n=r.min: max(n - self._sum(xs), 0))
                self._penalise(self.units(c.min_weight), short)
            if r.target > 0:
                short_t = self.m.new_int_var(0, r.target, f"short_target[{r.date},{r.unit},{r.shift},{r.skill}]")
                self.m.add_max_equality(short_t, [r.target - got, 0])
                self._derive(short_t, lambda xs=xs, n=r.target: max(n - self._sum(xs), 0))
                self._penalise(self.units(c.target_weight), short_t)

    def add_contract_hours(self) -> None:
        c = self.rules.contract_hours
        tol = round(c.tolerance_h * 60)
        for mem in self.table:
            sid = mem.staff_id
            ws = [self.w[(sid, d, k)] for d in range(self.D) for k in self.shifts]
            real = self.minutes(mem.time_zone)
            lengths = [real[(d, k)] for d in range(self.D) for k in self.shifts]
            rostered = cp_model.LinearExpr.weighted_sum(ws, lengths)
            available = self.D - len(self.off.get(sid, ()))
            expected = round(mem.contract_hours_per_week * 60 * available / 7)
            top = self.D * max(real.values()) + expected + tol
            under = self.m.new_int_var(0, top, f"under[{sid}]")
            over = self.m.new_int_var(0, top, f"over[{sid}]")
            self.m.add_max_equality(under, [expected - tol - rostered, 0])
            self.m.add_max_equality(over, [rostered - expected - tol, 0])
            self._derive(under, lambda ws=ws, ln=lengths, e=expected: max(e - tol - self._sum(ws, ln), 0))
            self._derive(over, lambda ws=ws, ln=lengths, e=expected: max(self._sum(ws, ln) - e - tol, 0))
            self._penalise(self.units(c.under_weight_per_h) // 60, under)
            self._penalise(self.units(c.over_weight_per_h) // 60, over)

    def _runs(self, name: str, rule: RunRule | None, flags: list, past: list[bool] | None = None) -> None:
        """Sliding windows: each window of max+1 days in the run, each too-short run bounded inside the horizon.

        ``past``: the history days before ``flags`` (constants); only windows reaching a roster day
        and short runs closed by a roster day are judged (as the checker does).
        """
        if rule is None or not rule.weight:
            return
        H = len(past or [])
        flags = list(past or []) + list(flags)
        n = len(flags)
        coef = self.units(rule.weight)
        self.block = name.split("[")[0]
        if rule.max is not None:
            span = rule.max + 1
            for first in range(max(0, H - span + 1), n - span + 1):
                self._penalise_window(coef, flags[first : first + span], f"{name}_max[{first - H}]")
        if rule.min is not None:
            for length in range(1, rule.min):
                for first in range(max(1, H - length), n - length):
                    lits = [_neg(flags[first - 1]), *flags[first : first + length], _neg(flags[first + length])]
                    self._penalise_window(coef * (rule.min - length), lits, f"{name}_min{length}[{first - H}]")

    def _penalise_window(self, coef: int, lits: list, name: str) -> None:
        """Penalise the conjunction of ``lits``, where history days are Python constants."""
        if any(lit is False for lit in lits):
            return
        lits = [lit for lit in lits if lit is not True]
        if not lits:  # decided by history alone (not reached: every judged window has a roster day)
            self.offset += coef
            return
        self._penalise(coef, self._and(lits, name))

    def add_runs(self) -> None:
        for mem in self.table:
            sid = mem.staff_id
            days = [self.wd[(sid, d)] for d in range(self.D)]
            before = self.past[sid]
            self._runs(f"work[{sid}]", self.rules.work_days, days, [x is not None for x in before])
            self._runs(f"off[{sid}]", self.rules.days_off, [v.Not() for v in days], [x is None for x in before])
            for k, rule in self.rules.shift_runs.items():
                self._runs(
                    f"run_{k}[{sid}]", rule, [self.w[(sid, d, k)] for d in range(self.D)], [x == k for x in before]
                )
            if self.rules.night_runs is not None and self.nights:
                flags = []
                for d in range(self.D):
                    if len(self.nights) == 1:
                        flags.append(self.w[(sid, d, next(iter(self.nights)))])
                    else:
                        v = self.m.new_bool_var(f"night[{sid},{d}]")
                        ns = [self.w[(sid, d, k)] for k in self.nights]
                        self.m.add(v == sum(ns))
                        self._derive(v, lambda ns=ns: self._sum(ns))
                        flags.append(v)
                self._runs(f"nightrun[{sid}]", self.rules.night_runs, flags, [x in self.nights for x in before])

    def add_weekends(self) -> dict[str, list]:
        w = self.rules.weekends
        saturdays = [i for i, d in enumerate(self.dates) if d.weekday() == 5 and i + 1 < self.D]
        worked: dict[str, list] = {}
        for mem in self.table:
            sid = mem.staff_id
            we = []
            for i in saturdays:
                v = self.m.new_bool_var(f"weekend[{sid},{i}]")
                sat, sun = self.wd[(sid, i)], self.wd[(sid, i + 1)]
                self.m.add_max_equality(v, [sat, sun])
                self._derive(v, lambda a=sat, b=sun: max(self._val(a), self._val(b)))
                we.append(v)
                if w.complete and w.complete_weight:
                    half = self.m.new_bool_var(f"half_weekend[{sid},{i}]")
                    self.m.add_bool_xor([sat, sun, half.Not()])
                    self._derive(half, lambda a=sat, b=sun: self._val(a) ^ self._val(b))
                    self._penalise(self.units(w.complete_weight), half)
            worked[sid] = we
            if w.max_per_4w is not None and we and w.weight:
                if len(we) >= 4:
                    windows = [(j, 4, w.max_per_4w) for j in range(len(we) - 3)]
                else:
                    windows = [(0, len(we), math.ceil(w.max_per_4w * len(we) / 4))]
                for first, length, cap in windows:
                    if length <= cap:
                        continue
                    ex = self.m.new_int_var(0, length - cap, f"weekends_over[{sid},{first}]")
                    part = we[first : first + length]
                    self.m.add_max_equality(ex, [sum(part) - cap, 0])
                    self._derive(ex, lambda part=part, cap=cap: max(self._sum(part) - cap, 0))
                    self._penalise(self.units(w.weight), ex)
        return worked

    def add_requests(self) -> None:
        index = {d: i for i, d in enumerate(self.dates)}
        rw = self.units(self.rules.requests.weight)
        for r in self.requests.itertuples(index=False):
            d = index[r.date]
            coef = self.units(r.weight) * rw // SCALE
            lit = self.wd[(r.staff_id, d)] if r.shift in ("off", "any") else self.w[(r.staff_id, d, r.shift)]
            if r.wish == "off":
                self._penalise(coef, lit)
            else:  # a wish to work, broken when lit is 0: coef * (1 - lit)
                self.offset += coef
                self._penalise(-coef, lit)

    def add_fairness(self, weekends: dict[str, list]) -> None:
        f = self.rules.fairness
        capacity = {
            m.staff_id: m.contract_hours_per_week * (self.D - len(self.off.get(m.staff_id, ()))) for m in self.table
        }
        for what, weight in (("nights", f.nights_weight), ("weekends", f.weekends_weight)):
            if not weight or (what == "nights" and not self.nights):
                continue
            by_grade: dict[str, list[str]] = defaultdict(list)  # per team: home unit and grade
            for m in self.table:
                if capacity[m.staff_id] > 0 and not (what == "nights" and m.max_nights_per_4w == 0):
                    by_grade[_team(m)].append(m.staff_id)
            for grade, members in by_grade.items():
                if len(members) < 2:
                    continue
                top = max(capacity[s] for s in members)
                scores, parts = [], []
                for s in members:
                    factor = round(100 * top / capacity[s])
                    lits = (
                        [self.w[(s, d, k)] for d in range(self.D) for k in self.nights]
                        if what == "nights"
                        else weekends[s]
                    )
                    scores.append(factor * sum(lits))
                    parts.append((factor, lits))
                hi_bound = max(round(100 * top / capacity[s]) for s in members) * self.D
                hi = self.m.new_int_var(0, hi_bound, f"fair_{what}_max[{grade}]")
                lo = self.m.new_int_var(0, hi_bound, f"fair_{what}_min[{grade}]")
                self.m.add_max_equality(hi, scores)
                self.m.add_min_equality(lo, scores)
                self._derive(hi, lambda parts=parts: max(f * self._sum(ls) for f, ls in parts))
                self._derive(lo, lambda parts=parts: min(f * self._sum(ls) for f, ls in parts))
                coef = self.units(weight) // 100
                self._penalise(coef, hi)
                self._penalise(-coef, lo)

    def objective(self) -> None:
        if self.terms:
            coefs, vars_ = zip(*self.terms, strict=True)
            self.m.minimize(cp_model.LinearExpr.weighted_sum(list(vars_), list(coefs)) + self.offset)

    def hint(self, previous: pd.DataFrame) -> None:
        """Start from ``previous`` (``staff_id, date, shift, unit[, skill]``): a complete hint.

        Cells the model does not have (leave, another unit) are dropped; each worked cell
        takes one skill; every auxiliary variable gets the value its rule gives.
        """
        index = {d: i for i, d in enumerate(self.dates)}
        with_skill = "skill" in previous.columns
        on = {}
        for r in previous.itertuples(index=False):
            on[(str(r.staff_id), index.get(r.date), str(r.shift), str(r.unit))] = str(r.skill) if with_skill else None
        used: set[tuple] = set()
        taken_day: set[tuple[str, int]] = set()
        self.values = {}
        for (sid, d, k, u, s), var in self.x.items():
            key = (sid, d, k, u)
            take = key in on and key not in used and (sid, d) not in taken_day and (on[key] is None or on[key] == s)
            if take:
                used.add(key)
                taken_day.add((sid, d))
            self.values[var.index] = int(take)
        for var, fn in self.derived:
            self.values[var.index] = fn()
        self.m.clear_hints()
        hint = self.m.proto.solution_hint
        hint.vars.extend(self.values.keys())
        hint.values.extend(self.values.values())


# --------------------------------------------------------------------------- solving in parts
DECOMPOSE_ABOVE = 80
"""Staff count above which the roster is solved team by team (home unit), then the float pool."""


@dataclass(frozen=True)
class _SolveSettings:
    """CP-SAT's time limit (seconds, for the whole roster or one part), random seed and search workers."""

    time_limit_s: float
    seed: int
    workers: int


@dataclass
class _Part:
    rows: list[tuple[str, int, str, str, str]]  # (staff_id, day, shift, unit, skill)
    objective_units: int
    bound_units: int
    status: str


def _plan(table: StaffTable, req: pd.DataFrame, decompose: bool | None) -> list[tuple[list, list[str], bool]]:
    """Parts to solve in turn: ``(members, units, residual)``; one part unless decomposing."""
    units = sorted(set(req["unit"])) if len(req) else []
    if decompose is None:
        decompose = len(table) > DECOMPOSE_ABOVE
    homes = sorted({m.home_unit for m in table if not m.float_pool})
    floats = [m for m in table if m.float_pool]
    if not decompose or not homes or (len(homes) < 2 and not floats):
        return [(list(table), units, False)]
    parts = [([m for m in table if not m.float_pool and m.home_unit == u], [u], False) for u in homes]
    if floats:
        parts.append((floats, units, True))
    return parts


def _residual(req: pd.DataFrame, rows: list[tuple], dates: list[dt.date]) -> pd.DataFrame:
    """Requirements less the cover already given by ``rows`` (floored at 0): what is left for the float pool.

    Rows with nothing left are dropped, so the float pool works only where a team left cover short: it is not
    sent to a unit already covered to fill its contracted hours (an ICU roster took 6.3 WTE of MED's float pool
    on top of ICU's own surplus before)."""
    got: dict[tuple, int] = defaultdict(int)
    for _sid, d, k, u, s in rows:
        got[(dates[d], u, k, s)] += 1
        got[(dates[d], u, k, ANY_SKILL)] += 1
    have = [got.get((r.date, r.unit, r.shift, r.skill), 0) for r in req.itertuples(index=False)]
    out = req.copy()
    out["min"] = (out["min"] - have).clip(lower=0)
    out["target"] = (out["target"] - have).clip(lower=0)
    return out[(out["min"] > 0) | (out["target"] > 0)].reset_index(drop=True)


def _part_inputs(inputs: RosterInputs, members: list, units: list[str], rows_so_far=None) -> RosterInputs:
    """The inputs of one part: its members, the requirements of its units (less the cover ``rows_so_far``
    already gives, for the float pool) and its members' requests; the whole history (one window for every part)."""
    sub_req = inputs.req[inputs.req["unit"].isin(units)]
    if rows_so_far is not None:  # the float pool covers what the teams left short
        sub_req = _residual(sub_req, rows_so_far, inputs.dates)
    ids = {m.staff_id for m in members}
    return replace(
        inputs, table=StaffTable(members), req=sub_req, requests=inputs.requests[inputs.requests["staff_id"].isin(ids)]
    )


def _part_hint(hint: pd.DataFrame | None, members: list) -> pd.DataFrame | None:
    ids = {m.staff_id for m in members}
    return None if hint is None else hint[hint["staff_id"].astype(str).isin(ids)]


def _build_part(inputs: RosterInputs, hint: pd.DataFrame | None) -> RosterModel:
    """One CP-SAT model with every rule and a complete solution hint (``hint`` or the greedy roster)."""
    model = RosterModel(inputs)
    model.add_variables()
    model.add_rest()
    model.add_night_caps()
    model.block = "cover"
    model.add_cover()
    model.block = "contract_hours"
    model.add_contract_hours()
    model.block = "runs"
    model.add_runs()
    model.block = "weekends"
    worked_weekends = model.add_weekends()
    model.block = "requests"
    model.add_requests()
    model.block = "fairness"
    model.add_fairness(worked_weekends)
    model.objective()
    model.user_hint = hint is not None
    model.hint(hint if hint is not None else greedy_roster(model))
    log.info(
        "roster model: %d assignment variables, %d staff, %d days", len(model.x), len(inputs.table), len(inputs.dates)
    )
    return model


def _keeps_hard_rules(model: RosterModel) -> bool:
    """Does the hinted roster (``model.values``) keep rest, successions and night caps? (Leave,
    units, skills and one shift a day hold by construction of the hint.)"""
    rows = [(sid, model.dates[d], k, u, s) for (sid, d, k, u, s), var in model.x.items() if model.values.get(var.index)]
    frame = pd.DataFrame(rows, columns=["staff_id", "date", "shift", "unit", "skill"])
    check = check_roster(
        frame,
        model.table,
        model.req,
        model.rules,
        model.clocks,
        start_date=model.dates[0],
        history=model.history,
        days=model.D,
    )
    return not check.hard


def _solve_parts(
    inputs: RosterInputs, parts: list, hint: pd.DataFrame | None, settings: _SolveSettings, t0: float
) -> list[_Part]:
    """Solve the parts in turn: the teams' models are built first so that the time left is shared by
    size (members times units), the float pool's share estimated from the teams' building time; then
    the float pool on the cover the teams left short, with whatever time is left."""
    sizes = [len(members) * len(units) for members, units, _ in parts]
    has_residual = any(r for _, _, r in parts)
    models = [
        _build_part(_part_inputs(inputs, members, units), _part_hint(hint, members))
        for members, units, residual in parts
        if not residual
    ]
    built_s = time.perf_counter() - t0
    team_sizes = [sz for sz, (_, _, r) in zip(sizes, parts, strict=True) if not r]
    team_size = sum(team_sizes)
    float_size = sum(sizes) - team_size
    float_build_s = built_s * float_size / max(1, team_size)
    solved: list[_Part] = []
    for i, model in enumerate(models):
        share = max(
            0.2,
            (settings.time_limit_s - float_build_s - (time.perf_counter() - t0))
            * team_sizes[i]
            / max(1, sum(team_sizes[i:]) + float_size),
        )
        solved.append(_solve_part(model, replace(settings, time_limit_s=share), exclude_cover=has_residual))
    for members, units, residual in parts:
        if residual:
            rows_so_far = [r for part in solved for r in part.rows]
            model = _build_part(_part_inputs(inputs, members, units, rows_so_far), _part_hint(hint, members))
            share = max(0.5, settings.time_limit_s - (time.perf_counter() - t0))
            solved.append(_solve_part(model, replace(settings, time_limit_s=share), exclude_cover=False))
    return solved


def _solve_part(model: RosterModel, settings: _SolveSettings, *, exclude_cover: bool) -> _Part:
    """Solve one model; the part's objective comes from the returned solution's penalty variables.

    ``exclude_cover``: the cover terms are left out of the part's objective contribution
    (the float pool's residual part accounts for the final cover of every row).
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(settings.time_limit_s)
    solver.parameters.num_workers = int(settings.workers)
    solver.parameters.random_seed = int(settings.seed)
    # presolve probing and symmetry detection cost seconds on rosters and bought nothing in tests
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model.m)
    name = solver.status_name(status)
    if status == cp_model.INFEASIBLE or (
        status != cp_model.FEASIBLE and status != cp_model.OPTIMAL and model.rules.cover.min_hard
    ):
        return _Part([], 0, 0, name)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # The objective of the returned solution, from its penalty variables: CP-SAT 9.15 can report
        # in objective_value the cost of an earlier incumbent than the solution it returns.
        values = solver.response_proto.solution
        bound = round(solver.best_objective_bound) if model.terms else 0
    else:
        # No solution within the time (presolve alone can take longer on a large part): keep the
        # greedy roster, which keeps every hard rule when minimum cover is soft.
        if model.user_hint and not _keeps_hard_rules(model):
            model.hint(greedy_roster(model))
        values = [model.values.get(i, 0) for i in range(len(model.m.proto.variables))]
        name, bound = "FEASIBLE", 0
        log.warning(
            "no solver solution for a part of %d staff in %.1f s; the greedy roster is kept",
            len(model.table),
            settings.time_limit_s,
        )
    objective = model.offset + sum(
        c * values[v.index]
        for (c, v), b in zip(model.terms, model.blocks, strict=True)
        if not (exclude_cover and b == "cover")
    )
    return _Part([key for key, var in model.x.items() if values[var.index]], objective, bound, name)


def _combine(solved: list[_Part], parts: list, notes: list[str], time_limit_s: float) -> tuple[str, float, float]:
    """The whole roster's status, objective and bound (points) from its parts (a note when there
    are several); :class:`RosterError` when a part has no roster."""
    statuses = {p.status for p in solved}
    if "INFEASIBLE" in statuses:
        raise RosterError("no roster satisfies the hard rules (minimum cover is hard in the rules)", notes)
    if statuses - {"OPTIMAL", "FEASIBLE"}:
        raise RosterError(
            f"no roster found within {time_limit_s:g} s (solver status {', '.join(sorted(statuses))})", notes
        )
    exact_bound = not any(residual for _, _, residual in parts)
    # independent parts each solved to optimality make an optimal whole
    name = "OPTIMAL" if statuses == {"OPTIMAL"} and exact_bound else "FEASIBLE"
    objective = sum(p.objective_units for p in solved) / SCALE
    bound = sum(p.bound_units for p in solved) / SCALE if exact_bound else float("nan")
    if len(solved) > 1:
        notes.append(
            f"solved as {len(solved)} parts (teams by home unit"
            + (", then the float pool on the cover left short)" if not exact_bound else ")")
            + ("" if exact_bound else "; no lower bound is reported for the whole")
        )
    return name, objective, bound


def _assignment_frame(inputs: RosterInputs, rows: list[tuple[str, int, str, str, str]]) -> pd.DataFrame:
    """``ASSIGNMENT_COLUMNS`` with start and end in each member's time zone, by member and date."""
    rows_out = []
    for sid, d, k, u, s_ in rows:
        mem = inputs.table.by_id[sid]
        start, end = shift_times(inputs.dates[d], inputs.clocks[k], mem.time_zone)
        rows_out.append((sid, mem.name, inputs.dates[d], k, u, s_, start, end))
    assignments = pd.DataFrame(rows_out, columns=ASSIGNMENT_COLUMNS).astype({"start": object, "end": object})
    return assignments.sort_values(["staff_id", "date"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- entry point
def build_roster(
    staff: StaffTable | pd.DataFrame,
    requirements: pd.DataFrame,
    rules: RosterRules,
    *,
    start_date: dt.date,
    days: int,
    shifts: dict[str, tuple[str, str]],
    leave: pd.DataFrame | None = None,
    requests: pd.DataFrame | None = None,
    time_limit_s: float = 30,
    seed: int = 0,
    workers: int = 2,
    hint: pd.DataFrame | None = None,
    decompose: bool | None = None,
    history: pd.DataFrame | None = None,
) -> Roster:
    """Roster named staff over ``days`` days from ``start_date`` with CP-SAT.

    Parameters
    ----------
    staff
        A :class:`StaffTable` or a DataFrame with ``staff_id, name, grade/skills, home_unit,
        float_pool, contract_hours_per_week[, max_nights_per_4w, time_zone]``.
    requirements
        ``date, unit, shift, skill, min, target``: people needed (``skill`` may be ``any``).
    rules
        Hard limits and soft weights (:class:`RosterRules`).
    shifts
        ``name -> ("HH:MM", "HH:MM")``; a shift may cross midnight.
    leave, requests
        ``staff_id, from, to, kind`` (inclusive dates) and ``staff_id, date, shift, wish, weight``.
    time_limit_s, seed, workers
        CP-SAT's time limit (seconds), random seed and number of search workers.
    hint
        A previous roster's assignments (``staff_id, date, shift, unit[, skill]``) to start the
        search from (otherwise a greedy roster that keeps every hard rule).
    history
        Shifts worked before ``start_date`` (``staff_id, date, shift[, name, unit, start, end]``, e.g. the
        previous roster's ``roster.csv``): rest and forbidden successions across day 1 are hard, its nights
        count towards the night cap (:func:`~hospital_twin.roster.rules.night_cap_windows`), and
        runs of working days, days off, one shift and nights continue from it (a run of 5 working days
        ending the day before makes a sixth cost under ``max: 5``). Days from its earliest date up to
        ``start_date`` without a row for a member count as days off.
    decompose
        Solve team by team (staff by home unit, each with its unit's cover), then the float
        pool on the cover left short (and only there: a float-pool member is not rostered onto
        cover its team already gives), sharing the time limit by size. Default: above
        :data:`DECOMPOSE_ABOVE` staff. The parts are exact (a member's rules and fairness
        stay within a team) except that the teams do not see the float pool; no lower bound
        is reported for the whole when there is a float pool.

    Returns
    -------
    Roster
        Always a roster when minimum cover is soft (the default); shortfalls are in
        ``cover`` and ``violations`` with reasons in ``notes``.

    Raises
    ------
    RosterInputError
        Inputs that cannot be used (every problem, by table, row and field).
    RosterError
        ``rules.cover.min_hard`` and a minimum cover that cannot be met (with the reasons),
        or no roster found within the time limit.
    """
    inputs = _prepare(staff, requirements, rules, shifts, start_date, days, leave, requests, history)
    t0 = time.perf_counter()
    parts = _plan(inputs.table, inputs.req, decompose)
    if hint is not None:
        hint = hint.assign(date=[d if isinstance(d, dt.date) else pd.Timestamp(d).date() for d in hint["date"]])
    solved = _solve_parts(inputs, parts, hint, _SolveSettings(time_limit_s, seed, workers), t0)
    solve_s = time.perf_counter() - t0
    status, objective, bound = _combine(solved, parts, inputs.notes, time_limit_s)
    assignments = _assignment_frame(inputs, [r for part in solved for r in part.rows])
    return _checked_roster(inputs, assignments, objective, bound, status, solve_s)


def _checked_roster(
    inputs: RosterInputs, assignments: pd.DataFrame, objective: float, bound: float, status: str, solve_s: float
) -> Roster:
    """The :class:`Roster`, with cover, violations and hours from the independent checker (an error
    is logged if it finds a hard breach or a penalty other than the solver's objective)."""
    start_date, days = inputs.dates[0], len(inputs.dates)
    check = check_roster(
        assignments,
        inputs.table,
        inputs.req,
        inputs.rules,
        inputs.clocks,
        start_date=start_date,
        days=days,
        leave=inputs.leave,
        requests=inputs.requests,
        history=inputs.history,
    )
    if check.hard:
        log.error("the checker found hard-rule breaches in a solver roster: %s", check.hard[:5])
    if abs(check.penalty - objective) > 1e-6:
        log.error("checker penalty %.4f differs from the solver objective %.4f", check.penalty, objective)
    return Roster(
        assignments=assignments,
        cover=check.cover,
        violations=check.violations,
        objective=objective,
        bound=bound,
        status=status,
        solve_s=solve_s,
        hours_by_staff=check.hours,
        notes=inputs.notes,
        hard_breaches=check.hard,
        shifts={k: (c.start, c.end) for k, c in inputs.clocks.items()},
        start_date=start_date,
        days=days,
        leave=inputs.leave,
        history=inputs.history,
    )
