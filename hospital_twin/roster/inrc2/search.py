"""The moves of the INRC-II search: a greedy first roster, local search, best-response sweeps, LNS neighbourhoods.

Every move works on the incumbent :class:`Plan` (``shift[n, d]``, -1 off, and ``skill[n, d]``) and
never makes it worse by the evaluator's cost:

* :func:`greedy`: a day-by-day construction (a heuristic, not an optimum);
* :func:`block_swaps`: local search -- one nurse's shift on one day changed, or two nurses'
  assignments exchanged over a block of one to seven days -- accepting moves that do not
  increase the cost (or, at a fixed temperature, some that do; the best roster met is kept);
* :func:`dp_sweeps`: each nurse in turn takes her exact best response to the others' cover
  (the pricing DP of :mod:`~hospital_twin.roster.inrc2.colgen`);
* :func:`best_skills`: every assignment's skill re-chosen, shifts kept (an assignment problem);
* :func:`neighbourhood` and :func:`reoptimise`: the large-neighbourhood step -- which nurses and
  days to release, and CP-SAT on them (:class:`~hospital_twin.roster.inrc2.model.Inrc2Model`)
  against the others' cover, warm started from the incumbent.

Owns: :class:`Plan`, :data:`MIN_COVER_WEIGHT` and the moves above. How they are sequenced and
timed is :func:`hospital_twin.roster.inrc2.solve.solve`. Imports ``format``, ``evaluate``,
``model`` and ``colgen``; CP-SAT only through ``model`` and :func:`reoptimise`.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from hospital_twin.roster.inrc2.colgen import (
    ART_COST,
    best_response,
    forbidden_matrix,
    nurse_pricing,
)
from hospital_twin.roster.inrc2.evaluate import WEIGHTS, evaluate, nurse_own_cost
from hospital_twin.roster.inrc2.format import Assignment, Instance
from hospital_twin.roster.inrc2.model import Inrc2Model

__all__ = [
    "MIN_COVER_WEIGHT",
    "Plan",
    "score",
    "greedy",
    "succession_ok",
    "block_swaps",
    "nurse_costs",
    "neighbourhood",
    "reoptimise",
    "best_skills",
    "dp_sweeps",
]

MIN_COVER_WEIGHT = 10_000
"""Cost per missing nurse below the minimum cover inside the search (H2 is hard in the result)."""


class Plan:
    """The incumbent roster: ``shift[n, d]`` (-1 off), ``skill[n, d]`` and cover counts."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.shift = np.full((inst.n_nurses, inst.n_days), -1, dtype=np.int64)
        self.skill = np.full((inst.n_nurses, inst.n_days), -1, dtype=np.int64)

    def cover(self, without: list[int]) -> np.ndarray:
        inst = self.inst
        c = np.zeros((inst.n_days, inst.n_shifts, inst.n_skills), dtype=np.int64)
        mask = np.ones(inst.n_nurses, dtype=bool)
        mask[without] = False
        sh, sk = self.shift[mask], self.skill[mask]
        on = sh >= 0
        days = np.broadcast_to(np.arange(inst.n_days), sh.shape)[on]
        np.add.at(c, (days, sh[on], sk[on]), 1)
        return c

    def assignments(self) -> list[Assignment]:
        n_idx, d_idx = np.nonzero(self.shift >= 0)
        return [
            Assignment(int(n), int(d), int(self.shift[n, d]), int(self.skill[n, d]))
            for n, d in zip(n_idx, d_idx, strict=True)
        ]

    def set_from(self, assignments: list[Assignment], nurses: list[int]) -> None:
        self.shift[nurses] = -1
        self.skill[nurses] = -1
        for a in assignments:
            self.shift[a.nurse, a.day] = a.shift
            self.skill[a.nurse, a.day] = a.skill


def score(inst: Instance, plan: Plan) -> tuple[int, int]:
    """(hard violations, soft cost) of the incumbent, by the independent evaluator."""
    c = evaluate(inst, plan.assignments())
    return c.hard_violations, c.total


# --------------------------------------------------------------------------- greedy first roster
class _GreedyCounters:
    """Each nurse's counters as the greedy construction reaches a day: assignments, current work,
    off and same-shift runs, last shift and working weekends, starting from the history."""

    def __init__(self, inst: Instance) -> None:
        sc = inst.scenario
        hist = inst.history.nurses
        self.inst = inst
        self.contracts = [sc.contracts[nu.contract] for nu in sc.nurses]
        self.total = np.array([h.assignments for h in hist], dtype=np.float64)
        self.run_w = [h.consecutive_work for h in hist]
        self.run_o = [h.consecutive_off if h.last_shift is None else 0 for h in hist]
        self.run_s = [h.consecutive_shift for h in hist]
        self.last = [h.last_shift for h in hist]
        self.weekends = [h.working_weekends for h in hist]
        self.req: dict[tuple[int, int], set] = {}
        for n, s, d in inst.requests:
            self.req.setdefault((n, d), set()).add(s)

    def score(self, n: int, s: int, d: int, noise: float, sat_worked: bool) -> float:
        """Lower is better: below her share of the contract, continuing a run shorter than its
        minimum, an off run that reached its minimum, the same shift, a whole weekend, no request."""
        sc = self.inst.scenario
        c = self.contracts[n]
        last = self.last[n]
        v = self.total[n] / max(1, c.max_assignments) + noise
        if last is not None:
            if self.run_w[n] < c.min_consecutive_work:
                v -= 0.6
            if self.run_w[n] >= c.max_consecutive_work:
                v += 1.0
            if last == s:
                v -= 0.2
                if self.run_s[n] >= sc.shifts[s].max_consecutive:
                    v += 0.5
            elif self.run_s[n] < sc.shifts[last].min_consecutive:
                v += 0.3
        elif self.run_o[n] < c.min_consecutive_off:
            v += 0.6
        if d % 7 == 5 and self.weekends[n] >= c.max_working_weekends:
            v += 0.5
        if d % 7 == 6 and c.complete_weekends:
            v += -0.5 if sat_worked else 0.4
        r = self.req.get((n, d))
        if r and (None in r or s in r):
            v += 0.4
        return v

    def best_nurse(
        self, d: int, s: int, k: int, phase: str, busy: np.ndarray, noise: np.ndarray, sat_worked: list[bool]
    ) -> int:
        """The free nurse holding skill ``k`` with no forbidden succession into ``s`` (and, for the
        optimum phase, below her prorated maximum) of lowest score; -1 if none."""
        sc, D = self.inst.scenario, self.inst.n_days
        best, best_score = -1, None
        for n in range(self.inst.n_nurses):
            if busy[n] or k not in sc.nurses[n].skills:
                continue
            if self.last[n] is not None and s in sc.forbidden[self.last[n]]:
                continue
            if phase == "optimum" and self.total[n] >= self.contracts[n].max_assignments * (d + 1) / D:
                continue
            v = self.score(n, s, d, noise[n], sat_worked[n])
            if best_score is None or v < best_score:
                best, best_score = n, v
        return best

    def end_day(self, d: int, plan: Plan, busy: np.ndarray, sat_worked: list[bool]) -> None:
        """Advance every nurse's runs and weekends past day ``d``."""
        for n in range(self.inst.n_nurses):
            if busy[n]:
                s = int(plan.shift[n, d])
                self.run_s[n] = self.run_s[n] + 1 if self.last[n] == s else 1
                self.run_w[n] += 1
                self.run_o[n] = 0
                self.last[n] = s
            else:
                self.run_w[n] = self.run_s[n] = 0
                self.run_o[n] += 1
                self.last[n] = None
            if d % 7 == 6 and (busy[n] or sat_worked[n]):
                self.weekends[n] += 1


def greedy(inst: Instance, rng: np.random.Generator) -> Plan:
    """A first roster: day by day, each minimum-cover slot, then each optimal-cover slot while
    the nurse is below her prorated contract maximum, goes to the qualified nurse with no
    forbidden succession and the lowest score. The score favours nurses below their share of
    the contract, continuing runs shorter than their minimum, off runs that reached theirs,
    same-shift runs, complete weekends and honoured requests (a heuristic, not an optimum)."""
    sc = inst.scenario
    plan = Plan(inst)
    n_nurses, D = inst.n_nurses, inst.n_days
    counters = _GreedyCounters(inst)
    skill_holders = [sum(k in nu.skills for nu in sc.nurses) for k in range(inst.n_skills)]
    noise = rng.random((D, n_nurses)) * 0.15
    # rarest skills first within each shift
    slots = [(s, k) for s in range(inst.n_shifts) for k in sorted(range(inst.n_skills), key=lambda k: skill_holders[k])]
    for d in range(D):
        busy = np.zeros(n_nurses, dtype=bool)
        sat_worked = [plan.shift[n, d - 1] >= 0 if d % 7 == 6 else False for n in range(n_nurses)]
        for phase in ("minimum", "optimum"):
            for s, k in slots:
                need = inst.minimum[d][s][k] if phase == "minimum" else inst.optimum[d][s][k] - inst.minimum[d][s][k]
                for _ in range(need):
                    best = counters.best_nurse(d, s, k, phase, busy, noise[d], sat_worked)
                    if best < 0:
                        break
                    busy[best] = True
                    plan.shift[best, d], plan.skill[best, d] = s, k
                    counters.total[best] += 1
        counters.end_day(d, plan, busy, sat_worked)
    return plan


# --------------------------------------------------------------------------- local search
def succession_ok(inst: Instance, n: int, shifts: list[int], days: range) -> bool:
    """No forbidden succession into or out of ``days`` for nurse ``n`` (history before day 0)."""
    sc = inst.scenario
    lo, hi = max(0, days.start - 1), min(inst.n_days - 1, days.stop)
    prev = inst.history.nurses[n].last_shift if lo == 0 and days.start == 0 else None
    if prev is not None and shifts[0] >= 0 and shifts[0] in sc.forbidden[prev]:
        return False
    for d in range(lo, hi):
        a, b = shifts[d], shifts[d + 1]
        if a >= 0 and b >= 0 and b in sc.forbidden[a]:
            return False
    return True


class _LocalSearch:
    """The state of one :func:`block_swaps` call: the roster's cover, each nurse's own cost, the
    cost relative to the start and the best roster met."""

    def __init__(
        self, inst: Instance, plan: Plan, rng: np.random.Generator, own: np.ndarray, temperature: float
    ) -> None:
        self.inst, self.plan, self.rng, self.own, self.temperature = inst, plan, rng, own, temperature
        self.skills = [set(nu.skills) for nu in inst.scenario.nurses]
        self.improved = 0
        self.current = 0.0  # cost relative to the start
        self.best = (0.0, plan.shift.copy(), plan.skill.copy(), own.copy())
        self.cover = plan.cover([])
        self.mins, self.opts = np.asarray(inst.minimum), np.asarray(inst.optimum)

    def accept(self, delta: float) -> bool:
        return delta <= 0 or (self.temperature > 0 and self.rng.random() < np.exp(-delta / self.temperature))

    def cell_cost(self, d: int, s: int, k: int, c: int) -> int:
        return WEIGHTS["S1"] * max(0, self.opts[d, s, k] - c) + MIN_COVER_WEIGHT * max(0, self.mins[d, s, k] - c)

    def _moved(self, delta: float) -> None:
        self.improved += delta < 0
        self.current += delta
        if self.current < self.best[0]:
            self.best = (self.current, self.plan.shift.copy(), self.plan.skill.copy(), self.own.copy())

    def change_one_day(self, w: np.ndarray) -> None:
        """One nurse (drawn by weight ``w``) takes another shift and skill, or the day off, on one
        day: costed by her own cost and the two cover cells involved."""
        inst, plan, rng, own, cover = self.inst, self.plan, self.rng, self.own, self.cover
        N, D = inst.n_nurses, inst.n_days
        a = int(rng.choice(N, p=w / w.sum()))
        d = int(rng.integers(D))
        s0, k0 = int(plan.shift[a, d]), int(plan.skill[a, d])
        options = [(-1, -1)] + [(s, k) for s in range(inst.n_shifts) for k in inst.scenario.nurses[a].skills]
        s1, k1 = options[int(rng.integers(len(options)))]
        if (s1, k1) == (s0, k0):
            return
        sa = plan.shift[a].tolist()
        sa[d] = s1
        if s1 >= 0 and not succession_ok(inst, a, sa, range(d, d + 1)):
            return
        new_own = nurse_own_cost(inst, a, sa)[0]
        delta = new_own - own[a]
        if s0 >= 0:
            delta += self.cell_cost(d, s0, k0, cover[d, s0, k0] - 1) - self.cell_cost(d, s0, k0, cover[d, s0, k0])
        if s1 >= 0:
            delta += self.cell_cost(d, s1, k1, cover[d, s1, k1] + 1) - self.cell_cost(d, s1, k1, cover[d, s1, k1])
        if self.accept(delta):
            if s0 >= 0:
                cover[d, s0, k0] -= 1
            if s1 >= 0:
                cover[d, s1, k1] += 1
            plan.shift[a, d], plan.skill[a, d] = s1, k1
            own[a] += new_own - own[a]
            self._moved(delta)

    def swap_block(self, w: np.ndarray) -> None:
        """Two nurses (the first drawn by weight ``w``) exchange their assignments over 1..7 days
        when both hold the skills involved: the cover is unchanged, only their own costs change."""
        inst, plan, rng, own = self.inst, self.plan, self.rng, self.own
        N, D = inst.n_nurses, inst.n_days
        a = int(rng.choice(N, p=w / w.sum()))
        b = int(rng.integers(N - 1))
        b += b >= a
        length = int(rng.integers(1, 8))
        start = int(rng.integers(0, D - length + 1))
        days = range(start, start + length)
        sa, sb = plan.shift[a].tolist(), plan.shift[b].tolist()
        ka, kb = plan.skill[a].tolist(), plan.skill[b].tolist()
        if all(sa[d] == sb[d] and ka[d] == kb[d] for d in days):
            return
        skills = self.skills
        if any((sa[d] >= 0 and ka[d] not in skills[b]) or (sb[d] >= 0 and kb[d] not in skills[a]) for d in days):
            return
        na, nb = sa[:], sb[:]
        for d in days:
            na[d], nb[d] = sb[d], sa[d]
        if not (succession_ok(inst, a, na, days) and succession_ok(inst, b, nb, days)):
            return
        ca, cb = nurse_own_cost(inst, a, na)[0], nurse_own_cost(inst, b, nb)[0]
        delta = ca + cb - own[a] - own[b]
        if self.accept(delta):
            for d in days:
                plan.shift[a, d], plan.shift[b, d] = sb[d], sa[d]
                plan.skill[a, d], plan.skill[b, d] = kb[d], ka[d]
            own[a], own[b] = ca, cb
            self._moved(delta)

    def restore_best(self) -> None:
        if self.current > self.best[0]:
            self.plan.shift[:], self.plan.skill[:], self.own[:] = self.best[1], self.best[2], self.best[3]


def block_swaps(
    inst: Instance,
    plan: Plan,
    rng: np.random.Generator,
    until: float,
    own: np.ndarray,
    max_moves: int | None = None,
    temperature: float = 0.0,
) -> int:
    """Local search with two moves, accepted when they do not increase the cost: change one
    nurse's shift and skill (or day off) on one day, costed by her own cost and the two cover
    cells involved; or exchange two nurses' assignments over a block of 1..7 days when both
    hold the skills involved (cover unchanged, so only their own costs change). Moves are drawn
    in batches of 50 until ``until`` (``time.monotonic()``) or ``max_moves``; the first nurse of
    a move is drawn by her own cost ``own`` (updated in place). Returns the number of improving moves.

    With ``temperature`` > 0 a worsening move of ``delta`` is also accepted with probability
    exp(-delta / temperature) (simulated annealing at a fixed temperature); the best roster
    met is restored at the end, so the roster never ends worse than it started."""
    search = _LocalSearch(inst, plan, rng, own, temperature)
    N = inst.n_nurses
    tried = 0
    while time.monotonic() < until and (max_moves is None or tried < max_moves):
        tried += 50
        for _ in range(50):
            w = own + 1.0
            if N < 2 or rng.random() < 0.5:  # change one nurse's assignment on one day (cover changes)
                search.change_one_day(w)
            else:
                search.swap_block(w)
    search.restore_best()
    return search.improved


def nurse_costs(inst: Instance, plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each nurse's own weighted cost (S2, S3, S4, S5, S6, S7; not cover) in the incumbent, her
    assignments above (+) or below (-) her contract range, and her working weekends minus her maximum."""
    sc = inst.scenario
    out = np.zeros(inst.n_nurses)
    excess = np.zeros(inst.n_nurses)
    weekend_excess = np.zeros(inst.n_nurses)
    for n, nurse in enumerate(sc.nurses):
        con = sc.contracts[nurse.contract]
        out[n], total, weekends = nurse_own_cost(inst, n, plan.shift[n].tolist())
        excess[n] = max(0, total - con.max_assignments) - max(0, con.min_assignments - total)
        if excess[n] == 0:  # inside the range: negative = room to take more
            excess[n] = (total - con.max_assignments) / max(1, con.max_assignments)
        weekend_excess[n] = weekends - con.max_working_weekends
    return out, excess, weekend_excess


# --------------------------------------------------------------------------- skills and best responses
def best_skills(inst: Instance, plan: Plan) -> None:
    """Re-choose every assignment's skill with the shifts kept: per day and shift, an assignment
    problem (scipy's ``linear_sum_assignment``) of the nurses working it to unit slots of each skill's
    cover, slot i of a cell worth S1 (30) while i <= optimum plus the dominating weight while
    i <= minimum (decreasing gains, so the slots fill in order). A nurse's own cost does not depend
    on her skills, so this is the exact optimum of the cover cost for the shifts given."""
    from scipy.optimize import linear_sum_assignment

    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)
    skills = [inst.scenario.nurses[n].skills for n in range(inst.n_nurses)]
    big = MIN_COVER_WEIGHT
    for d in range(inst.n_days):
        for s in range(inst.n_shifts):
            nurses = np.nonzero(plan.shift[:, d] == s)[0]
            if len(nurses) == 0:
                continue
            slots = [(k, i) for k in range(inst.n_skills) for i in range(1, int(opts[d, s, k]) + 1)]
            m = len(nurses)
            cost = np.zeros((m, len(slots) + m))  # the last m columns: a slot worth nothing
            for r, n in enumerate(nurses):
                for c, (k, i) in enumerate(slots):
                    if k in skills[n]:
                        cost[r, c] = -(WEIGHTS["S1"] + (big if i <= mins[d, s, k] else 0))
                    else:
                        cost[r, c] = 1e9
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols, strict=True):
                n = nurses[r]
                if c < len(slots) and cost[r, c] < 1e9:
                    plan.skill[n, d] = slots[c][0]
                elif plan.skill[n, d] not in skills[n]:
                    plan.skill[n, d] = skills[n][0]


def dp_sweeps(inst: Instance, plan: Plan, rng: np.random.Generator, until: float, max_sweeps: int = 50) -> int:
    """Best-response local search: each nurse in turn (random order) takes her exact best schedule
    with the others fixed (:func:`~hospital_twin.roster.inrc2.colgen.best_response`, the pricing DP
    with the marginal value of one more nurse per cover cell), when it lowers the roster's cost;
    sweeps repeat until none changes or ``until`` passes. Returns the number of changes."""
    forb = forbidden_matrix(inst)
    pricing = [nurse_pricing(inst, n) for n in range(inst.n_nurses)]
    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)
    cover = plan.cover([])
    days = np.arange(inst.n_days)
    changes = 0
    for _ in range(max_sweeps):
        changed = False
        for n in rng.permutation(inst.n_nurses):
            if time.monotonic() >= until:
                return changes
            on = plan.shift[n] >= 0
            cells = (days[on], plan.shift[n][on], plan.skill[n][on])
            np.subtract.at(cover, cells, 1)
            val, shifts, skills = best_response(inst, pricing[n], forb, cover)
            mu = WEIGHTS["S1"] * (cover < opts) + (ART_COST + WEIGHTS["S1"]) * (cover < mins)
            current = nurse_own_cost(inst, int(n), plan.shift[n].tolist())[0] - float(mu[cells].sum())
            if val < current - 1e-6:
                plan.shift[n], plan.skill[n] = shifts, skills
                on = plan.shift[n] >= 0
                cells = (days[on], plan.shift[n][on], plan.skill[n][on])
                changes += 1
                changed = True
            np.add.at(cover, cells, 1)
        if not changed:
            break
    return changes


# --------------------------------------------------------------------------- large neighbourhoods
def neighbourhood(
    inst: Instance,
    rng: np.random.Generator,
    busy: set[int],
    mix: tuple[float, float] = (0.25, 0.6),
    own: tuple | None = None,
) -> tuple[list[int], tuple[int, int] | None]:
    """Nurses to release and the days (None: all) -- one nurse (probability ``mix[0]``) or two
    (up to ``mix[1]``) over the whole horizon, or four to eight nurses sharing a skill over one
    week-long window. With the nurses' costs ``own`` (:func:`nurse_costs`), half the time the
    first nurse is drawn by her own cost and partners able to take over (or give away) her
    excess assignments and weekends come first. Nurses in ``busy`` (being re-optimised by the
    other thread) are avoided."""
    nurses = inst.scenario.nurses
    free = [n for n in range(len(nurses)) if n not in busy]
    if not free:
        return [], None
    u = rng.random()
    k, window = (1, None) if u < mix[0] else (2, None) if u < mix[1] else (int(rng.integers(4, 9)), 7)
    targeted = own is not None and rng.random() < 0.5 and own[0][free].sum() > 0
    if targeted:
        w = own[0][free] / own[0][free].sum()  # the nurses that cost most, more often
        first = int(rng.choice(free, p=w))
    else:
        first = int(rng.choice(free))
    skill = int(rng.choice(nurses[first].skills))
    share = [n for n in free if n != first and skill in nurses[n].skills]
    other = [n for n in free if n != first and skill not in nurses[n].skills]
    if targeted and share:
        # partners able to take over (or give away) assignments and weekends come first
        _, excess, wk = own
        sign = 1.0 if excess[first] > 0 or wk[first] > 0 else -1.0
        key = -sign * (excess[share] + 0.5 * wk[share]) + 0.3 * rng.random(len(share))
        share = [share[i] for i in np.argsort(-key)]
        order = share + [int(n) for n in rng.permutation(other)]
    else:
        order = [int(n) for n in rng.permutation(share)] + [int(n) for n in rng.permutation(other)]
    chosen = sorted([first] + order[: k - 1])
    if window is None or window >= inst.n_days:
        return chosen, None
    start = int(rng.integers(0, inst.n_days - window + 1))
    return chosen, (start, start + window)


def reoptimise(
    inst: Instance,
    shift: np.ndarray,
    skill: np.ndarray,
    cover: np.ndarray,
    chosen: list[int],
    window: tuple[int, int] | None,
    solver: cp_model.CpSolver,
):
    """CP-SAT on ``chosen`` nurses (days outside ``window`` fixed) against the others' ``cover``;
    returns the status, the nurses' new assignments (None if none) and the model-building
    seconds per nurse."""
    t0 = time.monotonic()
    sub = Inrc2Model(inst, chosen, cover, MIN_COVER_WEIGHT)
    proto = sub.model.proto
    for (n, d, s, kk), v in sub.x.items():
        val = int(shift[n, d] == s and skill[n, d] == kk)
        if window is not None and not window[0] <= d < window[1]:
            dom = proto.variables[v.index].domain
            dom[0] = dom[1] = val
        else:
            sub.model.add_hint(v, val)
    build_s = (time.monotonic() - t0) / len(chosen)
    st = solver.solve(sub.model)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return st, None, build_s
    return st, sub.roster(list(solver.response_proto.solution)), build_s
