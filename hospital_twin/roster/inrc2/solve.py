"""CP-SAT solver for the static INRC-II problem: greedy start, then large-neighbourhood search.

The model (:class:`Inrc2Model`) has one Boolean per nurse, day, shift and skill *the nurse
holds*; everything else is derived from those, and its objective equals the cost computed by
:func:`hospital_twin.roster.inrc2.format.evaluate` for **every** roster that meets the hard
constraints (penalty literals are equivalent to what they charge, slack integers are defined
by max-equalities; the tests check the identity on published and constructed rosters). The
run-length rules continue the history at day 0:

* too long: every window of ``max + 1`` consecutive days (history days included) that is all
  "on" costs one unit, so a run of length L costs ``L - max`` units inside the horizon;
* too short: for a run starting on day b (start = on[b] and not on[b-1]) and r_j = "the j days
  after b are all on", the cost is sum_j [start and not r_j] for j < min - 1. Its LP relaxation
  (pen >= start - r_j, r_j <= on[b + i]) is tighter than one clause per forbidden pattern.
  Missing days beyond the horizon are charged only if the run was broken inside it: a run
  still open on the last day is not charged.

The model can also cover a subset of nurses, the others' assignments counting as fixed cover,
with the minimum cover soft at a dominating cost (:data:`_MIN_COVER_WEIGHT`), so any roster
is a solution of it: that is the LNS sub-problem.

Search (:func:`solve`): a greedy day-by-day construction, then alternating (a) a pure-Python
local search for ``swap_s`` seconds (one nurse's shift on one day changed; two nurses'
assignments exchanged over a block of one to seven days; moves that do not increase the cost
accepted) and (b) one CP-SAT neighbourhood: first a sweep re-optimising each nurse alone
(exact best response), then random ones -- one nurse or two nurses sharing a skill over the
whole horizon, or four to eight nurses over a one-week window, half of them starting from a
nurse drawn by her own cost with partners able to take over her excess assignments and
weekends -- each re-optimised from a hint of the incumbent with a short time limit and
accepted when the whole roster, re-evaluated by the evaluator, is no worse. Each sub-problem gets ``workers`` CP-SAT workers; optionally
(``parallel_neighbourhoods``) two neighbourhoods on disjoint nurses run at once in two threads
with one worker each (measured worse on this loaded 2-core machine, so off by default). For instances of at most 60 nurses the last
share of the time runs CP-SAT on the whole model from the incumbent, which proves a lower
bound (weak: the LP relaxation of these models is loose) and sometimes improves the roster.

Column generation (``method="colgen"``, the default; :mod:`hospital_twin.roster.inrc2.colgen`)
seeds that search with a better roster and proves a far tighter lower bound: see :func:`solve`.

Determinism: with ``workers > 1`` CP-SAT's parallel search and wall-clock limits make runs
differ. ``deterministic=True`` uses one worker, one neighbourhood at a time, a seeded
neighbourhood sequence and deterministic-time limits per sub-problem and a fixed number of local-search moves per
phase instead of a time slice; with ``max_iterations``
set and a wall limit that is not reached, the result then depends on the seed only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from hospital_twin.roster.inrc2.evaluate import nurse_own_cost
from hospital_twin.roster.inrc2.format import WEIGHTS, Assignment, Instance

_log = logging.getLogger(__name__)

__all__ = ["SolveResult", "Inrc2Model", "solve"]


@dataclass(frozen=True)
class SolveResult:
    """The best roster found and what the search proved.

    ``objective`` is the model's cost of ``assignments`` (equal to the evaluator's total);
    ``bound`` the best lower bound CP-SAT proved on the whole model (None if none);
    ``status`` "OPTIMAL" when objective == bound, "FEASIBLE", or "INFEASIBLE" when the roster
    returned still breaks the minimum cover (``objective`` is then None). ``wall_s`` is wall
    seconds, ``iterations`` the CP-SAT neighbourhoods tried and ``improvements`` those that
    lowered the cost.
    """

    assignments: list[Assignment]
    objective: int | None
    bound: int | None
    status: str
    wall_s: float
    iterations: int
    improvements: int

    @property
    def found(self) -> bool:
        return self.objective is not None


class Inrc2Model:
    """The CP-SAT model of a static instance, or of a subset of its nurses with the others fixed.

    ``nurses`` (default all) are the nurses modelled; ``base_cover[d][s][k]`` counts the fixed
    nurses' assignments, which count towards cover. With ``min_cover_weight`` the minimum
    cover (H2) becomes soft at that cost per missing nurse, so that any roster is a solution
    (used by the search, which drives it to zero); otherwise it is a hard constraint.
    ``x[(n, d, s, k)]`` are the decision literals.
    """

    def __init__(self, inst: Instance, nurses: list[int] | None = None, base_cover=None,
                 min_cover_weight: int | None = None) -> None:
        self.inst = inst
        sc = inst.scenario
        m = self.model = cp_model.CpModel()
        D, S = inst.n_days, inst.n_shifts
        self.nurses = list(range(len(sc.nurses))) if nurses is None else list(nurses)
        self.x: dict[tuple[int, int, int, int], cp_model.IntVar] = {}
        terms: list[tuple[int, cp_model.LinearExprT]] = []
        self.work: dict[int, list[cp_model.IntVar]] = {}
        shift_lit: dict[int, list[list[cp_model.IntVar]]] = {}
        for n in self.nurses:
            nurse = sc.nurses[n]
            work_n, sh_n = [], []
            for d in range(D):
                day_sh = []
                for s in range(S):
                    ks = []
                    for k in nurse.skills:
                        v = m.new_bool_var(f"x_{n}_{d}_{s}_{k}")
                        self.x[(n, d, s, k)] = v
                        ks.append(v)
                    if len(ks) == 1:
                        day_sh.append(ks[0])
                    else:
                        w = m.new_bool_var(f"w_{n}_{d}_{s}")
                        m.add(sum(ks) == w)
                        day_sh.append(w)
                wk = m.new_bool_var(f"work_{n}_{d}")
                m.add(sum(day_sh) == wk)  # H1: at most one shift a day
                work_n.append(wk)
                sh_n.append(day_sh)
            self.work[n] = work_n
            shift_lit[n] = sh_n
        self.shift_lit = shift_lit

        # H2 minimum cover and S1 optimal cover (30 per missing nurse)
        self.min_cover_penalty: list[cp_model.IntVar] = []
        for d in range(D):
            for s in range(S):
                for k in range(inst.n_skills):
                    base = 0 if base_cover is None else int(base_cover[d][s][k])
                    lo = max(0, inst.minimum[d][s][k] - base)
                    opt = max(0, inst.optimum[d][s][k] - base)
                    vs = [self.x[(n, d, s, k)] for n in self.nurses if (n, d, s, k) in self.x]
                    if not vs and min_cover_weight is not None:
                        continue  # nothing modelled can change this cover: a constant cost
                    if min_cover_weight is not None and lo > 0:
                        miss = m.new_int_var(0, lo, f"miss_{d}_{s}_{k}")
                        m.add_max_equality(miss, [0, lo - sum(vs)])
                        terms.append((min_cover_weight, miss))
                        self.min_cover_penalty.append(miss)
                    elif lo > len(vs):
                        m.add_bool_or([])  # infeasible: not enough nurses hold skill k
                        continue
                    elif lo > 0:
                        m.add(sum(vs) >= lo)
                    if opt > 0:
                        short = m.new_int_var(0, opt, f"short_{d}_{s}_{k}")
                        m.add_max_equality(short, [0, opt - sum(vs)])
                        terms.append((WEIGHTS["S1"], short))

        for n in self.nurses:
            nurse = sc.nurses[n]
            con = sc.contracts[nurse.contract]
            hist = inst.history.nurses[n]
            sh, wk = shift_lit[n], self.work[n]
            # H3 forbidden successions, also from the history's last shift into day 0
            for s1 in range(S):
                for s2 in sc.forbidden[s1]:
                    for d in range(D - 1):
                        m.add_bool_or([sh[d][s1].Not(), sh[d + 1][s2].Not()])
            if hist.last_shift is not None:
                for s2 in sc.forbidden[hist.last_shift]:
                    m.add(sh[0][s2] == 0)
            # S2 consecutive working days / same shift; S3 consecutive days off
            terms += self._runs(wk, hist.consecutive_work, con.min_consecutive_work, con.max_consecutive_work,
                                WEIGHTS["S2_work"], f"cw{n}")
            terms += self._runs([w.Not() for w in wk], hist.consecutive_off, con.min_consecutive_off,
                                con.max_consecutive_off, WEIGHTS["S3"], f"co{n}")
            for s, st in enumerate(sc.shifts):
                start = hist.consecutive_shift if hist.last_shift == s else 0
                terms += self._runs([sh[d][s] for d in range(D)], start, st.min_consecutive, st.max_consecutive,
                                    WEIGHTS["S2_shift"], f"cs{n}_{s}")
            # S5 complete weekends, S7 working weekends
            weekends = []
            for w in range(len(inst.weeks)):
                sat, sun = wk[7 * w + 5], wk[7 * w + 6]
                ww = m.new_bool_var(f"we_{n}_{w}")
                m.add_max_equality(ww, [sat, sun])
                weekends.append(ww)
                if con.complete_weekends:
                    half = m.new_bool_var(f"half_{n}_{w}")
                    m.add(half == 2 * ww - sat - sun)  # sat xor sun
                    terms.append((WEIGHTS["S5"], half))
            over_we = hist.working_weekends + len(weekends) - con.max_working_weekends
            if over_we > 0:
                e = m.new_int_var(0, over_we, f"wkx_{n}")
                m.add_max_equality(e, [0, sum(weekends) + hist.working_weekends - con.max_working_weekends])
                terms.append((WEIGHTS["S7"], e))
            # S6 total assignments over the horizon, with the history's count
            total = sum(wk) + hist.assignments
            under_ub = max(0, con.min_assignments - hist.assignments)
            if under_ub > 0:
                u = m.new_int_var(0, under_ub, f"under_{n}")
                m.add_max_equality(u, [0, con.min_assignments - total])
                terms.append((WEIGHTS["S6"], u))
            over_ub = max(0, hist.assignments + D - con.max_assignments)
            if over_ub > 0:
                o = m.new_int_var(0, over_ub, f"over_{n}")
                m.add_max_equality(o, [0, total - con.max_assignments])
                terms.append((WEIGHTS["S6"], o))
        # S4 shift-off requests
        for n, s, d in inst.requests:
            if n not in self.work:
                continue
            terms.append((WEIGHTS["S4"], self.work[n][d] if s is None else shift_lit[n][d][s]))
        self.model.minimize(sum(c * v for c, v in terms))

    def _penalty(self, lits: list, name: str) -> cp_model.IntVar:
        """A literal equal to the conjunction of ``lits``."""
        p = self.model.new_bool_var(name)
        self.model.add_bool_or([lit.Not() for lit in lits] + [p])
        for lit in lits:
            self.model.add_implication(p, lit)
        return p

    def _runs(self, on: list, hist_len: int, lo: int, hi: int, weight: int, tag: str) -> list:
        """Objective terms charging runs of ``on`` shorter than ``lo`` or longer than ``hi`` (see module doc)."""
        D = len(on)
        terms = []
        # too long: windows of hi+1 days ending on day e, history days count as on
        if hi < D + hist_len:
            for e in range(D):
                first = e - hi
                if first < -hist_len:
                    continue  # the window reaches a history day that was off
                lits = on[max(0, first): e + 1]
                terms.append((weight, self._penalty(lits, f"{tag}_mx{e}")))
        # too short: a run that starts on day b (or continues the history's run of hist_len
        # days) and breaks before reaching lo days costs one unit per missing day. With
        # r_j = "the j days after the start are all on", the run's cost is
        # sum_j [start and not r_j] over the j inside the horizon: exact, and its LP relaxation
        # (pen >= start - r_j, r_j <= on[b + i]) is far tighter than one clause per pattern.
        if lo > 1:
            if hist_len > 0 and hist_len < lo:
                terms += self._short_run(on, -1, lo - hist_len, None, weight, f"{tag}_h")
            for b in range(D):
                before = on[b - 1] if b > 0 else None
                if b == 0 and hist_len > 0:
                    continue  # day 0 continues the history's run, charged above
                terms += self._short_run(on, b, lo, before, weight, f"{tag}_s{b}")
        return terms

    def _short_run(self, on: list, b: int, lo: int, before, weight: int, tag: str) -> list:
        """Terms charging a run that starts on day ``b`` (b = -1: the history's run, already on
        the day before day 0) and has fewer than ``lo`` days; ``before`` is the literal of the
        day before ``b`` (None when it is known to be off, or for the history run)."""
        m = self.model
        D = len(on)
        if b >= 0:
            start = m.new_bool_var(f"{tag}_st")
            if before is None:
                m.add(start == on[b])
            else:  # start <=> on[b] and not before
                m.add_bool_or([on[b].Not(), before, start])
                m.add_implication(start, on[b])
                m.add_implication(start, before.Not())
            first = b + 1
            need = lo - 1
        else:
            start = None
            first = 0
            need = lo
        terms = []
        prev = None
        for j in range(need):
            day = first + j
            if day >= D:
                # the missing days lie beyond the horizon: charged only if the run was broken
                # inside it (still open on the last day: it may continue, not charged)
                if prev is None:
                    break
                r = prev
            elif prev is None:
                r = on[day]
            else:
                r = m.new_bool_var(f"{tag}_r{j}")
                m.add_implication(r, prev)
                m.add_implication(r, on[day])
                m.add_bool_or([prev.Not(), on[day].Not(), r])
            if start is None:
                terms.append((weight, r.Not()))
            else:
                pen = m.new_bool_var(f"{tag}_p{j}")
                m.add_bool_or([start.Not(), r, pen])
                m.add_implication(pen, start)
                m.add_implication(pen, r.Not())
                terms.append((weight, pen))
            prev = r
        return terms

    def roster(self, values: list[int]) -> list[Assignment]:
        """Assignments from a full solution vector (indexed like the model's variables)."""
        return [Assignment(*key) for key, v in self.x.items() if values[v.index]]


_MIN_COVER_WEIGHT = 10_000
"""Cost per missing nurse below the minimum cover inside the search (H2 is hard in the result)."""


def _params(workers: int, seed: int, limit_s: float, deterministic: bool, light: bool = False) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    if light:  # small sub-problems: presolve costs more than it saves
        p.symmetry_level = 0
        p.cp_model_probing_level = 0
        p.max_presolve_iterations = 1
    p.num_workers = 1 if deterministic else workers
    p.random_seed = seed
    p.max_time_in_seconds = max(0.01, limit_s)
    if deterministic:
        p.max_deterministic_time = max(0.01, limit_s)
    return solver


class _Plan:
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
        return [Assignment(int(n), int(d), int(self.shift[n, d]), int(self.skill[n, d])) for n, d in zip(n_idx, d_idx)]

    def set_from(self, assignments: list[Assignment], nurses: list[int]) -> None:
        self.shift[nurses] = -1
        self.skill[nurses] = -1
        for a in assignments:
            self.shift[a.nurse, a.day] = a.shift
            self.skill[a.nurse, a.day] = a.skill


def _score(inst: Instance, plan: _Plan) -> tuple[int, int]:
    """(hard violations, soft cost) of the incumbent, by the independent evaluator."""
    from hospital_twin.roster.inrc2.format import evaluate

    c = evaluate(inst, plan.assignments())
    return c.hard_violations, c.total


def _greedy(inst: Instance, rng: np.random.Generator) -> _Plan:
    """A first roster: day by day, each minimum-cover slot, then each optimal-cover slot while
    the nurse is below her prorated contract maximum, goes to the qualified nurse with no
    forbidden succession and the lowest score. The score favours nurses below their share of
    the contract, continuing runs shorter than their minimum, off runs that reached theirs,
    same-shift runs, complete weekends and honoured requests (a heuristic, not an optimum)."""
    sc = inst.scenario
    plan = _Plan(inst)
    n_nurses, D = inst.n_nurses, inst.n_days
    hist = inst.history.nurses
    contracts = [sc.contracts[nu.contract] for nu in sc.nurses]
    total = np.array([h.assignments for h in hist], dtype=np.float64)
    run_w = [h.consecutive_work for h in hist]
    run_o = [h.consecutive_off if h.last_shift is None else 0 for h in hist]
    run_s = [h.consecutive_shift for h in hist]
    last = [h.last_shift for h in hist]
    weekends = [h.working_weekends for h in hist]
    req = {}
    for n, s, d in inst.requests:
        req.setdefault((n, d), set()).add(s)
    skill_holders = [sum(k in nu.skills for nu in sc.nurses) for k in range(inst.n_skills)]
    noise = rng.random((D, n_nurses)) * 0.15
    for d in range(D):
        busy = np.zeros(n_nurses, dtype=bool)
        sat_worked = [plan.shift[n, d - 1] >= 0 if d % 7 == 6 else False for n in range(n_nurses)]
        slots = [(s, k) for s in range(inst.n_shifts) for k in sorted(range(inst.n_skills), key=lambda k: skill_holders[k])]

        def score(n: int, s: int) -> float:
            c = contracts[n]
            v = total[n] / max(1, c.max_assignments) + noise[d, n]
            if last[n] is not None:
                if run_w[n] < c.min_consecutive_work:
                    v -= 0.6
                if run_w[n] >= c.max_consecutive_work:
                    v += 1.0
                if last[n] == s:
                    v -= 0.2
                    if run_s[n] >= sc.shifts[s].max_consecutive:
                        v += 0.5
                elif run_s[n] < sc.shifts[last[n]].min_consecutive:
                    v += 0.3
            elif run_o[n] < c.min_consecutive_off:
                v += 0.6
            if d % 7 == 5 and weekends[n] >= c.max_working_weekends:
                v += 0.5
            if d % 7 == 6 and c.complete_weekends:
                v += -0.5 if sat_worked[n] else 0.4
            r = req.get((n, d))
            if r and (None in r or s in r):
                v += 0.4
            return v

        for phase in ("minimum", "optimum"):
            for s, k in slots:
                need = inst.minimum[d][s][k] if phase == "minimum" else inst.optimum[d][s][k] - inst.minimum[d][s][k]
                for _ in range(need):
                    best, best_score = -1, None
                    for n in range(n_nurses):
                        if busy[n] or k not in sc.nurses[n].skills:
                            continue
                        if last[n] is not None and s in sc.forbidden[last[n]]:
                            continue
                        if phase == "optimum" and total[n] >= contracts[n].max_assignments * (d + 1) / D:
                            continue
                        v = score(n, s)
                        if best_score is None or v < best_score:
                            best, best_score = n, v
                    if best < 0:
                        break
                    busy[best] = True
                    plan.shift[best, d], plan.skill[best, d] = s, k
                    total[best] += 1
        for n in range(n_nurses):
            if busy[n]:
                s = int(plan.shift[n, d])
                run_s[n] = run_s[n] + 1 if last[n] == s else 1
                run_w[n] += 1
                run_o[n] = 0
                last[n] = s
            else:
                run_w[n] = run_s[n] = 0
                run_o[n] += 1
                last[n] = None
            if d % 7 == 6 and (busy[n] or sat_worked[n]):
                weekends[n] += 1
    return plan


def _succession_ok(inst: Instance, n: int, shifts: list[int], days: range) -> bool:
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


def _block_swaps(inst: Instance, plan: _Plan, rng: np.random.Generator, until: float,
                 own: np.ndarray, max_moves: int | None = None, temperature: float = 0.0) -> int:
    """Local search with two moves, accepted when they do not increase the cost: change one
    nurse's shift and skill (or day off) on one day, costed by her own cost and the two cover
    cells involved; or exchange two nurses' assignments over a block of 1..7 days when both
    hold the skills involved (cover unchanged, so only their own costs change). Returns the
    number of improving moves.

    With ``temperature`` > 0 a worsening move of ``delta`` is also accepted with probability
    exp(-delta / temperature) (simulated annealing at a fixed temperature); the best roster
    met is restored at the end, so the roster never ends worse than it started."""
    nurses = inst.scenario.nurses
    skills = [set(nu.skills) for nu in nurses]
    D, N = inst.n_days, inst.n_nurses
    improved = 0
    current = 0.0  # cost relative to the start
    best = (0.0, plan.shift.copy(), plan.skill.copy(), own.copy())
    cover = plan.cover([])

    def accept(delta: float) -> bool:
        return delta <= 0 or (temperature > 0 and rng.random() < np.exp(-delta / temperature))
    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)

    def cell_cost(d: int, s: int, k: int, c: int) -> int:
        return WEIGHTS["S1"] * max(0, opts[d, s, k] - c) + _MIN_COVER_WEIGHT * max(0, mins[d, s, k] - c)

    tried = 0
    while time.monotonic() < until and (max_moves is None or tried < max_moves):
        tried += 50
        for _ in range(50):
            w = own + 1.0
            if N < 2 or rng.random() < 0.5:  # change one nurse's assignment on one day (cover changes)
                a = int(rng.choice(N, p=w / w.sum()))
                d = int(rng.integers(D))
                s0, k0 = int(plan.shift[a, d]), int(plan.skill[a, d])
                options = [(-1, -1)] + [(s, k) for s in range(inst.n_shifts) for k in nurses[a].skills]
                s1, k1 = options[int(rng.integers(len(options)))]
                if (s1, k1) == (s0, k0):
                    continue
                sa = plan.shift[a].tolist()
                sa[d] = s1
                if s1 >= 0 and not _succession_ok(inst, a, sa, range(d, d + 1)):
                    continue
                delta = nurse_own_cost(inst, a, sa)[0] - own[a]
                if s0 >= 0:
                    delta += cell_cost(d, s0, k0, cover[d, s0, k0] - 1) - cell_cost(d, s0, k0, cover[d, s0, k0])
                if s1 >= 0:
                    delta += cell_cost(d, s1, k1, cover[d, s1, k1] + 1) - cell_cost(d, s1, k1, cover[d, s1, k1])
                if accept(delta):
                    if s0 >= 0:
                        cover[d, s0, k0] -= 1
                    if s1 >= 0:
                        cover[d, s1, k1] += 1
                    plan.shift[a, d], plan.skill[a, d] = s1, k1
                    own[a] += nurse_own_cost(inst, a, sa)[0] - own[a]
                    improved += delta < 0
                    current += delta
                    if current < best[0]:
                        best = (current, plan.shift.copy(), plan.skill.copy(), own.copy())
                continue
            a = int(rng.choice(N, p=w / w.sum()))
            b = int(rng.integers(N - 1))
            b += b >= a
            length = int(rng.integers(1, 8))
            start = int(rng.integers(0, D - length + 1))
            days = range(start, start + length)
            sa, sb = plan.shift[a].tolist(), plan.shift[b].tolist()
            ka, kb = plan.skill[a].tolist(), plan.skill[b].tolist()
            if all(sa[d] == sb[d] and ka[d] == kb[d] for d in days):
                continue
            if any((sa[d] >= 0 and ka[d] not in skills[b]) or (sb[d] >= 0 and kb[d] not in skills[a]) for d in days):
                continue
            na, nb = sa[:], sb[:]
            for d in days:
                na[d], nb[d] = sb[d], sa[d]
            if not (_succession_ok(inst, a, na, days) and _succession_ok(inst, b, nb, days)):
                continue
            ca, cb = nurse_own_cost(inst, a, na)[0], nurse_own_cost(inst, b, nb)[0]
            delta = ca + cb - own[a] - own[b]
            if accept(delta):
                for d in days:
                    plan.shift[a, d], plan.shift[b, d] = sb[d], sa[d]
                    plan.skill[a, d], plan.skill[b, d] = kb[d], ka[d]
                own[a], own[b] = ca, cb
                improved += delta < 0
                current += delta
                if current < best[0]:
                    best = (current, plan.shift.copy(), plan.skill.copy(), own.copy())
    if current > best[0]:
        plan.shift[:], plan.skill[:], own[:] = best[1], best[2], best[3]
    return improved


def _nurse_costs(inst: Instance, plan: _Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _neighbourhood(inst: Instance, rng: np.random.Generator, busy: set[int],
                   mix: tuple[float, float] = (0.25, 0.6),
                   own: tuple | None = None) -> tuple[list[int], tuple[int, int] | None]:
    """Nurses to release and the days (None: all) -- one nurse or two over the whole horizon,
    or four to eight nurses sharing a skill over one week-long window. Nurses in ``busy`` (being
    re-optimised by the other thread) are avoided."""
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
    if targeted and share:
        # partners able to take over (or give away) assignments and weekends come first
        _, excess, wk = own
        sign = 1.0 if excess[first] > 0 or wk[first] > 0 else -1.0
        key = -sign * (excess[share] + 0.5 * wk[share]) + 0.3 * rng.random(len(share))
        share = [share[i] for i in np.argsort(-key)]
        other = [n for n in free if n != first and skill not in nurses[n].skills]
        order = share + [int(n) for n in rng.permutation(other)]
        chosen = sorted([first] + order[: k - 1])
        if window is None or window >= inst.n_days:
            return chosen, None
        start = int(rng.integers(0, inst.n_days - window + 1))
        return chosen, (start, start + window)
    other = [n for n in free if n != first and skill not in nurses[n].skills]
    order = [int(n) for n in rng.permutation(share)] + [int(n) for n in rng.permutation(other)]
    chosen = sorted([first] + order[: k - 1])
    if window is None or window >= inst.n_days:
        return chosen, None
    start = int(rng.integers(0, inst.n_days - window + 1))
    return chosen, (start, start + window)


def _reoptimise(inst: Instance, shift: np.ndarray, skill: np.ndarray, cover: np.ndarray, chosen: list[int],
                window: tuple[int, int] | None, solver: cp_model.CpSolver):
    """CP-SAT on ``chosen`` nurses (days outside ``window`` fixed) against the others' ``cover``;
    returns the status, the nurses' new assignments (None if none) and the model-building
    seconds per nurse."""
    t0 = time.monotonic()
    sub = Inrc2Model(inst, chosen, cover, _MIN_COVER_WEIGHT)
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


def _pick_nurses(k: int, inst: Instance, rng: np.random.Generator) -> list[int]:
    """``k`` nurses: a random one and others preferring those who share one of its skills."""
    nurses = inst.scenario.nurses
    first = int(rng.integers(len(nurses)))
    skill = int(rng.choice(nurses[first].skills))
    pool = [n for n in range(len(nurses)) if n != first and skill in nurses[n].skills]
    rest = [n for n in range(len(nurses)) if n != first and skill not in nurses[n].skills]
    if rng.random() < 0.2:
        pool, rest = pool + rest, []
    order = list(rng.permutation(pool)) + list(rng.permutation(rest)) if rest else list(rng.permutation(pool))
    return sorted([first] + [int(n) for n in order[: k - 1]])


def _best_skills(inst: Instance, plan: _Plan) -> None:
    """Re-choose every assignment's skill with the shifts kept: per day and shift, an assignment
    problem (scipy's ``linear_sum_assignment``) of the nurses working it to unit slots of each skill's
    cover, slot i of a cell worth S1 (30) while i <= optimum plus the dominating weight while
    i <= minimum (decreasing gains, so the slots fill in order). A nurse's own cost does not depend
    on her skills, so this is the exact optimum of the cover cost for the shifts given."""
    from scipy.optimize import linear_sum_assignment

    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)
    skills = [inst.scenario.nurses[n].skills for n in range(inst.n_nurses)]
    big = _MIN_COVER_WEIGHT
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
            for r, c in zip(rows, cols):
                n = nurses[r]
                if c < len(slots) and cost[r, c] < 1e9:
                    plan.skill[n, d] = slots[c][0]
                elif plan.skill[n, d] not in skills[n]:
                    plan.skill[n, d] = skills[n][0]


def _dp_sweeps(inst: Instance, plan: _Plan, rng: np.random.Generator, until: float, max_sweeps: int = 50) -> int:
    """Best-response local search: each nurse in turn (random order) takes her exact best schedule
    with the others fixed (:func:`~hospital_twin.roster.inrc2.colgen.best_response`, the pricing DP
    with the marginal value of one more nurse per cover cell), when it lowers the roster's cost;
    sweeps repeat until none changes or ``until`` passes. Returns the number of changes."""
    from hospital_twin.roster.inrc2 import colgen as cg

    forb = cg._forbidden_matrix(inst)
    pricing = [cg.nurse_pricing(inst, n) for n in range(inst.n_nurses)]
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
            val, shifts, skills = cg.best_response(inst, pricing[n], forb, cover)
            mu = WEIGHTS["S1"] * (cover < opts) + (cg.ART_COST + WEIGHTS["S1"]) * (cover < mins)
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


_DIVE: dict = {}


def _colgen_start(inst: Instance, plan: _Plan, rng: np.random.Generator, t0: float, time_limit_s: float,
                  workers: int, colgen_share: float, dive_share: float) -> tuple[_Plan, int | None]:
    """Greedy + local search + best-response sweeps as the incumbent; column generation seeded with
    it until ``colgen_share`` of the time (its bound is returned, rounded up: costs are integers);
    then a dive on nurse-days until ``colgen_share + dive_share``, its roster repaired by
    best-response sweeps. Returns the better roster (hard violations counted at 1000) and the bound."""
    from hospital_twin.roster.inrc2 import colgen as cg

    _block_swaps(inst, plan, rng, t0 + 0.03 * time_limit_s, _nurse_costs(inst, plan)[0])
    _dp_sweeps(inst, plan, rng, t0 + 0.05 * time_limit_s)
    _log.info("colgen: incumbent %s after %.1f s", _score(inst, plan), time.monotonic() - t0)
    seed_cols = [cg.Column(n, tuple(int(x) for x in plan.shift[n]), tuple(int(x) for x in plan.skill[n]),
                           cg.column_cost(inst, n, tuple(int(x) for x in plan.shift[n]))) for n in range(inst.n_nurses)]
    try:
        master, res = cg.column_generation(inst, seed_cols, t0 + colgen_share * time_limit_s,
                                           threads=max(1, workers))
    except RuntimeError:  # the master LP failed (GLOP reported it twice): keep the incumbent, no bound
        return plan, None
    bound = int(np.ceil(res.bound - 1e-6)) if np.isfinite(res.bound) and res.bound >= 0 else None
    _log.info("colgen: LP %.1f, bound %s, converged %s, %d LPs, %d columns, pricing %.1f s, LP %.1f s, at %.1f s",
              res.lp_value, bound, res.converged, res.iterations, len(res.columns), res.pricing_s, res.lp_s,
              time.monotonic() - t0)
    dive_end = t0 + (colgen_share + dive_share) * time_limit_s
    if time.monotonic() < dive_end:
        chosen = cg.dive(inst, master, dive_end, threads=max(1, workers), **_DIVE)
        new = _Plan(inst)
        new.set_from([a for c in chosen for a in c.assignments()], list(range(inst.n_nurses)))
        _best_skills(inst, new)
        _dp_sweeps(inst, new, rng, min(t0 + 0.9 * time_limit_s, time.monotonic() + 0.05 * time_limit_s))
        h_new, c_new = _score(inst, new)
        h_old, c_old = _score(inst, plan)
        _log.info("colgen: dive roster (hard, cost) %s against incumbent %s at %.1f s", (h_new, c_new), (h_old, c_old),
                  time.monotonic() - t0)
        if c_new + 1000 * h_new < c_old + 1000 * h_old:
            plan = new
    return plan, bound


def solve(
    inst: Instance,
    time_limit_s: float = 60.0,
    *,
    seed: int = 0,
    workers: int = 2,
    deterministic: bool = False,
    max_iterations: int | None = None,
    sub_limit_s: float = 0.4,
    bound_share: float = 0.1,
    parallel_neighbourhoods: bool = False,
    mix: tuple[float, float] = (0.25, 0.6),
    swap_s: float = 1.0,
    temperature: float = 0.0,
    method: str | None = None,
    colgen_share: float = 0.45,
    dive_share: float = 0.35,
) -> SolveResult:
    """Best roster within ``time_limit_s`` wall seconds, model building included.

    Greedy construction, then ``swap_s`` seconds of local search before each
    large-neighbourhood step; each step re-optimises a few nurses
    (over the whole horizon or one week) with the others fixed, by CP-SAT with at most
    ``sub_limit_s`` seconds, warm started from the incumbent; minimum cover is soft with a
    dominating cost until it is met; a result is accepted if the whole roster, re-evaluated,
    is no worse. With ``parallel_neighbourhoods`` and ``workers`` >= 2, two neighbourhoods on
    disjoint nurses are solved at once in two threads (one CP-SAT worker each). For instances
    of at most 60 nurses the last ``bound_share`` of the time runs CP-SAT on the whole model
    from the incumbent for a proven lower bound, when building it (estimated from the
    sub-models) leaves time to solve. ``max_iterations`` caps the neighbourhoods tried.

    ``method="colgen"`` (the default unless ``deterministic``) starts differently: the greedy roster improved by local search
    and best-response sweeps seeds column generation (:mod:`hospital_twin.roster.inrc2.colgen`)
    for ``colgen_share`` of the time -- its LP or Lagrangian bound is returned as ``bound`` --,
    then a nurse-day dive builds a roster for ``dive_share`` of the time; the better of the two
    rosters goes to the search above, where best-response sweeps (the pricing DP against the
    others' cover) replace the CP-SAT single-nurse sweep. ``method="lns"`` is the earlier path and
    the default with ``deterministic=True``: the dive paces itself by the wall clock, so a
    colgen run is not reproducible.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    if method is None:
        method = "lns" if deterministic else "colgen"
    if method not in ("colgen", "lns"):
        raise ValueError(f"method must be 'colgen' or 'lns', got {method!r}")
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    rng = np.random.default_rng(seed)
    n_nurses = inst.n_nurses
    plan = _greedy(inst, rng)
    hard, cost = _score(inst, plan)
    iterations = improvements = 0
    bound: int | None = None
    full_phase_s = bound_share * time_limit_s if n_nurses <= 60 else 0.0
    if method == "colgen":
        plan, bound = _colgen_start(inst, plan, rng, t0, time_limit_s, workers, colgen_share, dive_share)
        hard, cost = _score(inst, plan)
        full_phase_s = 0.0  # the column-generation bound is far tighter than the whole model's
    lns_deadline = deadline - full_phase_s
    threads = 1 if deterministic or workers < 2 or not parallel_neighbourhoods else 2
    # first sweep: each nurse alone (colgen: best-response sweeps by the DP instead, after each local search)
    queue = [int(n) for n in rng.permutation(n_nurses)] if method == "lns" else []
    running: dict = {}
    own = None
    build_per_nurse_s = 0.0  # slowest model building seen, per nurse
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            while len(running) < threads:
                remaining = lns_deadline - time.monotonic()
                if remaining < 0.05 or (max_iterations is not None and iterations >= max_iterations):
                    break
                busy = {n for ch, _ in running.values() for n in ch}
                if swap_s > 0 and not running:
                    own_now = _nurse_costs(inst, plan)[0]
                    _block_swaps(inst, plan, rng, min(lns_deadline, time.monotonic() + swap_s), own_now,
                                 int(2000 * swap_s) if deterministic else None, temperature)
                    if method == "colgen":
                        _dp_sweeps(inst, plan, rng, min(lns_deadline, time.monotonic() + swap_s))
                    hard, cost = _score(inst, plan)
                    own = None
                    remaining = lns_deadline - time.monotonic()  # the local search used some of it
                    if remaining < 0.05:
                        break
                if queue and queue[0] not in busy:
                    chosen, window = [queue.pop(0)], None
                else:
                    if own is None or iterations % 10 == 0:
                        own = _nurse_costs(inst, plan)
                    chosen, window = _neighbourhood(inst, rng, busy, mix, own)
                if not chosen:
                    break
                solver = _params(1 if threads > 1 else workers, seed + 1 + iterations,
                                 min(remaining, sub_limit_s), deterministic, light=True)
                fut = pool.submit(_reoptimise, inst, plan.shift.copy(), plan.skill.copy(), plan.cover(chosen),
                                  chosen, window, solver)
                running[fut] = (chosen, window)
                iterations += 1
            if not running:
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                chosen, window = running.pop(fut)
                st, roster, per_nurse_s = fut.result()
                build_per_nurse_s = max(build_per_nurse_s, per_nurse_s)
                if roster is None:
                    continue
                old = (plan.shift[chosen].copy(), plan.skill[chosen].copy())
                plan.set_from(roster, chosen)
                new_hard, new_cost = _score(inst, plan)
                if (new_hard, new_cost) <= (hard, cost):
                    improvements += (new_hard, new_cost) < (hard, cost)
                    hard, cost = new_hard, new_cost
                else:  # stale cover from a concurrent change made it worse: keep the incumbent
                    plan.shift[chosen], plan.skill[chosen] = old
                if len(chosen) == n_nurses and window is None and st == cp_model.OPTIMAL and hard == 0:
                    bound = cost  # the whole instance was one neighbourhood, solved to optimality
    status = "FEASIBLE" if hard == 0 else "INFEASIBLE"
    remaining = deadline - time.monotonic()
    # the whole model only if building it (estimated from the sub-models) leaves time to solve
    if bound is None and full_phase_s > 0 and hard == 0 and remaining > 0.5 + 2 * build_per_nurse_s * n_nurses:
        full = Inrc2Model(inst)
        for (n, d, s, kk), v in full.x.items():
            full.model.add_hint(v, int(plan.shift[n, d] == s and plan.skill[n, d] == kk))
        solver = _params(workers, seed, deadline - time.monotonic() - 0.05, deterministic)
        st = solver.solve(full.model)
        if st != cp_model.INFEASIBLE:  # the proven bound holds even when no solution was found
            bound = max(0, int(np.ceil(solver.best_objective_bound - 1e-6)))
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            old = (plan.shift.copy(), plan.skill.copy())
            plan.set_from(full.roster(list(solver.response_proto.solution)), list(range(n_nurses)))
            new_hard, new_cost = _score(inst, plan)
            if (new_hard, new_cost) <= (hard, cost):
                hard, cost = new_hard, new_cost
            else:
                plan.shift, plan.skill = old
    if hard == 0 and bound is not None and bound >= cost:
        status = "OPTIMAL"
    return SolveResult(plan.assignments(), cost if hard == 0 else None, bound, status, time.monotonic() - t0,
                       iterations, improvements)
