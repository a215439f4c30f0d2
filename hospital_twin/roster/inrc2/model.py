"""The CP-SAT model of static INRC-II: :class:`Inrc2Model`, and :func:`cp_solver` to solve it.

The model has one Boolean per nurse, day, shift and skill *the nurse holds*; everything else is
derived from those, and its objective equals the cost computed by
:func:`hospital_twin.roster.inrc2.evaluate.evaluate` for **every** roster that meets the hard
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
with the minimum cover soft at a dominating cost (the search uses
:data:`~hospital_twin.roster.inrc2.search.MIN_COVER_WEIGHT`), so any roster is a solution of it:
that is the large-neighbourhood search's sub-problem.

Owns: :class:`Inrc2Model` (one method per constraint block: decisions and H1, H2/S1 cover, H3
successions, S2/S3 runs, S5/S7 weekends, S6 totals, S4 requests) and :func:`cp_solver` (CP-SAT's
parameters for a whole model or a sub-problem). Imports ``format`` and ``evaluate`` only; CP-SAT is
imported only here, in ``search`` and in ``solve``.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from hospital_twin.roster.inrc2.evaluate import WEIGHTS
from hospital_twin.roster.inrc2.format import Assignment, Instance

__all__ = ["Inrc2Model", "cp_solver"]


class Inrc2Model:
    """The CP-SAT model of a static instance, or of a subset of its nurses with the others fixed.

    ``nurses`` (default all) are the nurses modelled; ``base_cover[d][s][k]`` counts the fixed
    nurses' assignments, which count towards cover. With ``min_cover_weight`` the minimum
    cover (H2) becomes soft at that cost per missing nurse, so that any roster is a solution
    (used by the search, which drives it to zero); otherwise it is a hard constraint.
    ``x[(n, d, s, k)]`` are the decision literals; ``work[n][d]`` and ``shift_lit[n][d][s]`` the
    literals "works on day d" and "works shift s on day d".
    """

    def __init__(
        self, inst: Instance, nurses: list[int] | None = None, base_cover=None, min_cover_weight: int | None = None
    ) -> None:
        self.inst = inst
        self.model = cp_model.CpModel()
        self.nurses = list(range(len(inst.scenario.nurses))) if nurses is None else list(nurses)
        self.x: dict[tuple[int, int, int, int], cp_model.IntVar] = {}
        self.work: dict[int, list[cp_model.IntVar]] = {}
        self.shift_lit: dict[int, list[list[cp_model.IntVar]]] = {}
        self.min_cover_penalty: list[cp_model.IntVar] = []
        self._terms: list[tuple[int, cp_model.LinearExprT]] = []  # (weight, variable) of the objective
        # The blocks run in this order so that variables and constraints keep their indices.
        for n in self.nurses:
            self._add_decisions(n)
        self._add_cover(base_cover, min_cover_weight)
        for n in self.nurses:
            self._add_successions(n)
            self._add_runs_of_work_off_and_shifts(n)
            self._add_weekends(n)
            self._add_total_assignments(n)
        self._add_requests()
        self.model.minimize(sum(c * v for c, v in self._terms))

    # ---- constraint blocks
    def _add_decisions(self, n: int) -> None:
        """Nurse ``n``'s literals: one per day, shift and skill she holds; one per day and shift (the
        sum over her skills); one per day (the sum over shifts), which is H1: at most one shift a day."""
        m = self.model
        nurse = self.inst.scenario.nurses[n]
        work_n, sh_n = [], []
        for d in range(self.inst.n_days):
            day_sh = []
            for s in range(self.inst.n_shifts):
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
        self.shift_lit[n] = sh_n

    def _add_cover(self, base_cover, min_cover_weight: int | None) -> None:
        """H2 minimum cover (hard, or soft at ``min_cover_weight``) and S1 optimal cover (30 per missing
        nurse), per day, shift and skill, counting the fixed nurses' ``base_cover``."""
        inst, m = self.inst, self.model
        for d in range(inst.n_days):
            for s in range(inst.n_shifts):
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
                        self._terms.append((min_cover_weight, miss))
                        self.min_cover_penalty.append(miss)
                    elif lo > len(vs):
                        m.add_bool_or([])  # infeasible: not enough nurses hold skill k
                        continue
                    elif lo > 0:
                        m.add(sum(vs) >= lo)
                    if opt > 0:
                        short = m.new_int_var(0, opt, f"short_{d}_{s}_{k}")
                        m.add_max_equality(short, [0, opt - sum(vs)])
                        self._terms.append((WEIGHTS["S1"], short))

    def _add_successions(self, n: int) -> None:
        """H3 forbidden successions, also from the history's last shift into day 0."""
        sc, m = self.inst.scenario, self.model
        sh = self.shift_lit[n]
        for s1 in range(self.inst.n_shifts):
            for s2 in sc.forbidden[s1]:
                for d in range(self.inst.n_days - 1):
                    m.add_bool_or([sh[d][s1].Not(), sh[d + 1][s2].Not()])
        last = self.inst.history.nurses[n].last_shift
        if last is not None:
            for s2 in sc.forbidden[last]:
                m.add(sh[0][s2] == 0)

    def _add_runs_of_work_off_and_shifts(self, n: int) -> None:
        """S2 consecutive working days and same-shift runs; S3 consecutive days off (history continued)."""
        sc = self.inst.scenario
        con = sc.contracts[sc.nurses[n].contract]
        hist = self.inst.history.nurses[n]
        sh, wk = self.shift_lit[n], self.work[n]
        self._terms += self._runs(
            wk, hist.consecutive_work, con.min_consecutive_work, con.max_consecutive_work, WEIGHTS["S2_work"], f"cw{n}"
        )
        self._terms += self._runs(
            [w.Not() for w in wk],
            hist.consecutive_off,
            con.min_consecutive_off,
            con.max_consecutive_off,
            WEIGHTS["S3"],
            f"co{n}",
        )
        for s, st in enumerate(sc.shifts):
            start = hist.consecutive_shift if hist.last_shift == s else 0
            self._terms += self._runs(
                [sh[d][s] for d in range(self.inst.n_days)],
                start,
                st.min_consecutive,
                st.max_consecutive,
                WEIGHTS["S2_shift"],
                f"cs{n}_{s}",
            )

    def _add_weekends(self, n: int) -> None:
        """S5 complete weekends (Saturday xor Sunday costs) and S7 working weekends beyond the maximum."""
        m = self.model
        sc = self.inst.scenario
        con = sc.contracts[sc.nurses[n].contract]
        hist = self.inst.history.nurses[n]
        wk = self.work[n]
        weekends = []
        for w in range(len(self.inst.weeks)):
            sat, sun = wk[7 * w + 5], wk[7 * w + 6]
            ww = m.new_bool_var(f"we_{n}_{w}")
            m.add_max_equality(ww, [sat, sun])
            weekends.append(ww)
            if con.complete_weekends:
                half = m.new_bool_var(f"half_{n}_{w}")
                m.add(half == 2 * ww - sat - sun)  # sat xor sun
                self._terms.append((WEIGHTS["S5"], half))
        over_we = hist.working_weekends + len(weekends) - con.max_working_weekends
        if over_we > 0:
            e = m.new_int_var(0, over_we, f"wkx_{n}")
            m.add_max_equality(e, [0, sum(weekends) + hist.working_weekends - con.max_working_weekends])
            self._terms.append((WEIGHTS["S7"], e))

    def _add_total_assignments(self, n: int) -> None:
        """S6 total assignments over the horizon against the contract range, with the history's count."""
        m = self.model
        sc = self.inst.scenario
        con = sc.contracts[sc.nurses[n].contract]
        hist = self.inst.history.nurses[n]
        total = sum(self.work[n]) + hist.assignments
        under_ub = max(0, con.min_assignments - hist.assignments)
        if under_ub > 0:
            u = m.new_int_var(0, under_ub, f"under_{n}")
            m.add_max_equality(u, [0, con.min_assignments - total])
            self._terms.append((WEIGHTS["S6"], u))
        over_ub = max(0, hist.assignments + self.inst.n_days - con.max_assignments)
        if over_ub > 0:
            o = m.new_int_var(0, over_ub, f"over_{n}")
            m.add_max_equality(o, [0, total - con.max_assignments])
            self._terms.append((WEIGHTS["S6"], o))

    def _add_requests(self) -> None:
        """S4 shift-off requests of the nurses modelled (a day off, or one shift off)."""
        for n, s, d in self.inst.requests:
            if n not in self.work:
                continue
            self._terms.append((WEIGHTS["S4"], self.work[n][d] if s is None else self.shift_lit[n][d][s]))

    # ---- encodings shared by the blocks
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
                lits = on[max(0, first) : e + 1]
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


def cp_solver(workers: int, seed: int, limit_s: float, deterministic: bool, light: bool = False) -> cp_model.CpSolver:
    """A CP-SAT solver with ``workers`` workers (one if ``deterministic``), ``seed`` and a limit of
    ``limit_s`` seconds (also in deterministic time if ``deterministic``); ``light`` for the small
    sub-problems of the search, where presolve costs more than it saves."""
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
