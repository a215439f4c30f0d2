"""The greedy first roster for named staff: a roster built day by day that keeps every hard rule.

:func:`greedy_roster` is the CP-SAT search's first solution (a complete hint) and the roster a
part keeps when the solver finds nothing in its time. Each day, nights first, each requirement
row is filled up to its minimum and then its target from the members who may work the cell (the
model has a variable for it) and whose rest, night cap and one-shift-a-day allow it, preferring:
no hours beyond contract, whole weekends, runs within their maximum, continuing yesterday's
shift, the largest shortfall of hours against contract so far, the home unit, fewest skills.
Then members still short of their contract hours get extra shifts next to ones they work
(:meth:`_Greedy.top_up`).

Owns: :func:`greedy_roster`. Reads the cells, rules and history of a
:class:`~hospital_twin.roster.model.RosterModel` but never its CP-SAT variables: it imports
no OR-Tools (the model is named for type checking only).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd

from hospital_twin.roster.rules import night_cap_windows
from hospital_twin.roster.staff import ANY_SKILL

if TYPE_CHECKING:
    from hospital_twin.roster.model import RosterModel

__all__ = ["greedy_roster"]


def greedy_roster(model: RosterModel) -> pd.DataFrame:
    """A roster (``staff_id, date, shift, unit, skill``) built day by day that keeps every hard rule,
    used as the solver's first solution (see the module doc for the order of preference)."""
    g = _Greedy(model)
    for d in range(model.D):
        for fill in ("min", "target"):
            for r in g.by_day[d]:
                g.fill_row(d, fill, r)
    g.top_up()
    return pd.DataFrame(
        [(sid, model.dates[d], k, u, s) for sid, d, k, u, s in g.rows],
        columns=["staff_id", "date", "shift", "unit", "skill"],
    )


class _Greedy:
    """The roster under construction (``grid[staff_id][day]`` = shift or None, minutes worked, rows)
    and the model's cells it may use."""

    def __init__(self, model: RosterModel) -> None:
        self.model = model
        rules, D = model.rules, model.D
        index = {d: i for i, d in enumerate(model.dates)}
        self.zone = {m.staff_id: m.time_zone for m in model.table}
        self.cells: dict[tuple[int, str, str, str], list[str]] = defaultdict(list)
        for sid, d, k, u, s in model.x:
            self.cells[(d, u, k, s)].append(sid)
        self.any_cells: dict[tuple[int, str, str], list[tuple[str, str]]] = defaultdict(list)
        for sid, d, k, u, s in model.x:
            self.any_cells[(d, u, k)].append((sid, s))
        self.grid: dict[str, list[str | None]] = {m.staff_id: [None] * D for m in model.table}
        self.minutes = dict.fromkeys(self.grid, 0)
        self.rows: list[tuple[str, int, str, str, str]] = []
        self.expected = {m.staff_id: m.contract_hours_per_week * 60 / 7 for m in model.table}
        self.tol = rules.contract_hours.tolerance_h * 60
        self.max_run = rules.work_days.max or D
        self.max_nights_run = rules.night_runs.max if rules.night_runs is not None and rules.night_runs.max else D
        self.caps = {m.staff_id: m.max_nights_per_4w for m in model.table}
        self.members = model.table.by_id
        self.weekday = [day.weekday() for day in model.dates]
        self.max_weekends = rules.weekends.max_per_4w
        order = sorted(
            model.req.itertuples(index=False),
            key=lambda r: (index[r.date], r.shift not in model.nights, r.skill == ANY_SKILL),
        )
        self.by_day: dict[int, list] = defaultdict(list)
        for r in order:
            self.by_day[index[r.date]].append(r)

    # ---- hard rules
    def allowed(self, sid: str, d: int, k: str) -> bool:
        """May ``sid`` work shift ``k`` on day ``d``: free that day, rest and successions with the
        days around (two each side), and the night cap with the history's nights?"""
        model = self.model
        row = self.grid[sid]
        if row[d] is not None:
            return False
        conflicts = model.conflicts(self.zone[sid])
        D = model.D
        for gap in (1, 2):
            if d - gap >= 0 and row[d - gap] is not None and (d - gap, row[d - gap], gap, k) in conflicts:
                return False
            if d + gap < D and row[d + gap] is not None and (d, k, gap, row[d + gap]) in conflicts:
                return False
        cap = self.caps[sid]
        if cap is not None and k in model.nights:
            H = model.H
            full = model.past[sid] + row  # history days, then the roster's
            for first, length, limit in night_cap_windows(H, D, cap):
                if not first <= H + d < first + length:
                    continue
                done = sum(x in model.nights for x in full[first : min(first + length, H)])
                mine = sum(x in model.nights for x in full[max(first, H) : first + length])
                if mine >= max(0, limit - done):
                    return False
        return True

    # ---- preferences
    def score(self, sid: str, d: int, k: str, unit: str) -> tuple:
        """Sort key of a candidate (lower first); its first item, beyond contract hours, also stops
        filling up to the target."""
        model = self.model
        row = self.grid[sid]
        run = 0
        while d - run - 1 >= 0 and row[d - run - 1] is not None:
            run += 1
        behind = self.expected[sid] * (d + 1) - self.minutes[sid]
        over_total = self.minutes[sid] + model.clocks[k].length_min > self.expected[sid] * model.D + self.tol
        nights_before = 0
        while d - nights_before - 1 >= 0 and row[d - nights_before - 1] in model.nights:
            nights_before += 1
        too_long = run >= self.max_run or (k in model.nights and nights_before >= self.max_nights_run)
        member = self.members[sid]
        return (
            over_total,
            self.weekend_cost(sid, d),
            too_long,
            not (d > 0 and row[d - 1] == k),
            -behind,
            member.home_unit != unit,
            len(member.skills),
        )

    def weekend_cost(self, sid: str, d: int) -> int:
        """Whole weekends: Sunday goes to who worked Saturday; Saturday to who can work Sunday
        and has not had their share of the last weekends."""
        model = self.model
        row = self.grid[sid]
        if self.weekday[d] == 6:
            return 0 if d > 0 and row[d - 1] is not None else 1
        if self.weekday[d] != 5:
            return 0
        cost = 1 if d + 1 < model.D and model.dates[d + 1] in model.off.get(sid, ()) else 0
        if self.max_weekends is not None:
            recent = sum(
                1 for w in (7, 14, 21) if d - w >= 0 and (row[d - w] is not None or row[d - w + 1] is not None)
            )
            cost += recent >= self.max_weekends
        return cost

    # ---- filling
    def fill_row(self, d: int, fill: str, r) -> None:
        """Requirement row ``r`` of day ``d`` up to its ``fill`` (``"min"`` or ``"target"``), best candidates first."""
        cands = (
            self.cells.get((d, r.unit, r.shift, r.skill), [])
            if r.skill != ANY_SKILL
            else [sid for sid, _ in self.any_cells.get((d, r.unit, r.shift), [])]
        )
        have = sum(
            1
            for x in self.rows
            if x[1] == d and x[3] == r.unit and x[2] == r.shift and (r.skill == ANY_SKILL or x[4] == r.skill)
        )
        need = getattr(r, fill) - have
        if need <= 0:
            return
        ok = sorted(
            {sid for sid in cands if self.allowed(sid, d, r.shift)}, key=lambda sid: self.score(sid, d, r.shift, r.unit)
        )
        for sid in ok[:need]:
            if fill == "target" and self.score(sid, d, r.shift, r.unit)[0]:
                break
            skill = (
                r.skill
                if r.skill != ANY_SKILL
                else next(s for s2, s in self.any_cells[(d, r.unit, r.shift)] if s2 == sid)
            )
            self.grid[sid][d] = r.shift
            self.minutes[sid] += self.model.clocks[r.shift].length_min
            self.rows.append((sid, d, r.shift, r.unit, skill))

    def top_up(self) -> None:
        """Extra shifts (above target cover) for members short of their contract hours beyond the tolerance.

        A shift is added only next to a worked day with the same shift, within the maximum run,
        never leaving a single day off between two worked days, and on a weekend only to complete
        one already half worked.
        """
        model = self.model
        D = model.D
        cells: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
        for sid, d, k, u, s in model.x:
            if u == model.table.by_id[sid].home_unit:
                cells[sid].append((d, k, u, s))
        for mem in model.table:
            sid = mem.staff_id
            available = D - len(model.off.get(sid, ()))
            floor = mem.contract_hours_per_week * 60 * available / 7 - self.tol
            row = self.grid[sid]
            changed = True
            while self.minutes[sid] < floor and changed:
                changed = False
                for d, k, u, s in cells[sid]:
                    if row[d] is not None or not self.allowed(sid, d, k):
                        continue
                    if self._extends_a_run(row, d, k):
                        self.minutes[sid] += model.clocks[k].length_min
                        self.rows.append((sid, d, k, u, s))
                        changed = True
                        break

    def _extends_a_run(self, row: list[str | None], d: int, k: str) -> bool:
        """Put ``k`` on free day ``d`` of ``row`` if it continues a run of ``k``, completes a half-worked
        weekend (on a weekend), keeps the run within its maximum and leaves no single day off
        between worked days; otherwise leave ``row`` as it was. True if put."""
        D = self.model.D
        next_to = (d > 0 and row[d - 1] == k) or (d + 1 < D and row[d + 1] == k)
        if not next_to:
            return False
        if self.weekday[d] == 5 and not (d + 1 < D and row[d + 1] is not None):
            return False
        if self.weekday[d] == 6 and not (d > 0 and row[d - 1] is not None):
            return False
        row[d] = k
        lonely_off = (d + 2 < D and row[d + 1] is None and row[d + 2] is not None) or (
            d - 2 >= 0 and row[d - 1] is None and row[d - 2] is not None
        )
        if _run_through(row, d) > self.max_run or lonely_off:
            row[d] = None
            return False
        return True


def _run_through(row: list[str | None], d: int) -> int:
    """Length of the run of worked days through day ``d``."""
    a = d
    while a - 1 >= 0 and row[a - 1] is not None:
        a -= 1
    b = d
    while b + 1 < len(row) and row[b + 1] is not None:
        b += 1
    return b - a + 1
