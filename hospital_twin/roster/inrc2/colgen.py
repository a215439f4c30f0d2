"""Column generation for static INRC-II: one schedule per nurse, priced by an exact dynamic programme.

The set-partitioning formulation chooses one *column* (a whole 28-day schedule: shift and
skill per day, or off) per nurse. A column's cost is the nurse's own INRC-II cost (S2 work and
same-shift runs, S3 off runs, S4 requests, S5 complete weekends, S6 total assignments, S7 working
weekends, with the history's runs continued at day 0 and a run still open on the last day not
charged, exactly as :func:`hospital_twin.roster.inrc2.evaluate.evaluate` charges them); the master LP adds
the cover: per (day, shift, skill) cell ``sum x + short + art >= optimum`` with the shortage
``short <= optimum - minimum`` at S1 = 30 a nurse and an artificial slack ``art`` at a big cost
(so that the LP is always feasible; a roster with ``art = 0`` meets the minimum cover). Its LP
relaxation is very tight (Legrain et al. report root bounds within ~1% of the optimum).

* **Pricing** (:func:`price_nurse`): for one nurse and cover duals ``mu[d, s, k]``, the schedule
  of least reduced cost ``own cost - sum of the duals it takes`` (per day and shift, the best of
  the nurse's skills). A DP over the days whose state is (last shift or off, current work/off run,
  current same-shift run -- each capped where the cost no longer changes --, total assignments
  capped at the contract maximum, working weekends capped at the maximum); H3 forbidden
  successions (also from the history's last shift) are excluded. Compiled with numba
  (``cache=True``), it takes about 3 ms per nurse (measured on n030w4 and n120w4, machine loaded);
  it returns the best schedules of up to ``n_best`` distinct end states.
* **Master** (:class:`Master`): GLOP (``pywraplp``) over the generated columns, columns added
  incrementally; the duals of the cover rows are priced for every nurse (two threads: the DP
  releases the GIL) and the columns of negative reduced cost added, until none is left (the LP
  value is then a lower bound) or the time runs out (then the best Lagrangian bound
  ``LP + sum of each nurse's least reduced cost`` is used). Wentges dual smoothing (alpha 0.5)
  and an artificial cost of 200 halved the iterations on n030w4 (measured: 14 s against 33 s).
* **Integer roster** (:func:`dive`): CP-SAT or SCIP over the generated columns (price and
  branch) was measured first and found nothing better than the incumbent on n030w4 (the LP mixes
  many columns that do not combine), so the roster comes from a dive on nurse-days instead: fix
  what the LP decides and the most-taken fractional choices, re-price under those restrictions,
  repeat until the LP picks one whole column per nurse (or, when time runs out, each nurse takes
  her column of largest LP value).
* **Best response** (:func:`best_response`): the same DP, with as duals the exact value of one more
  nurse in each cover cell, re-optimises one nurse against the others in a millisecond; the solver
  uses it for local-search sweeps.

:func:`hospital_twin.roster.inrc2.solve.solve` (``method="colgen"``) seeds the loop with the greedy
+ local-search incumbent, dives, and polishes the result with best-response sweeps and its
large-neighbourhood search. On n030w4_1_6-2-9-1 the converged LP equals the published root bound
(1659.5; tested). Pure core: objects and arrays in and out, no file I/O, no printing; the DP is
compiled by numba on first use (cached on disk; the first call of a fresh process loads it in
about half a second).

Owns: the pricing DP, :class:`Master`, :func:`column_generation`, :func:`dive`, :func:`best_response`.
:func:`_dp` stays one long function on purpose: it is the one loop numba compiles, its off and work
transitions share the state layout and a dozen locals, and it is tested against brute force.
Imports ``format`` and ``evaluate`` only; the LP is GLOP (``pywraplp``), never CP-SAT.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numba
import numpy as np
from ortools.linear_solver import pywraplp

from hospital_twin.roster.inrc2.evaluate import WEIGHTS, nurse_own_cost
from hospital_twin.roster.inrc2.format import Assignment, Instance

_log = logging.getLogger(__name__)

__all__ = [
    "NursePricing",
    "Column",
    "Master",
    "ColGenResult",
    "nurse_pricing",
    "price_nurse",
    "column_cost",
    "column_generation",
    "dive",
    "best_response",
    "forbidden_matrix",
    "compile_pricing",
]

_BIG = 10**6
"""An effective maximum that can never be exceeded (the limit is unreachable within the horizon)."""
ART_COST = 200.0
"""Cost per nurse of the artificial slack below the minimum cover in the master LP."""


# --------------------------------------------------------------------------- pricing
@dataclass(frozen=True)
class NursePricing:
    """Everything the pricing DP needs about one nurse, as integers (see :func:`nurse_pricing`).

    Run lengths are capped at ``cap_*`` (beyond it the cost no longer depends on the length);
    ``max_*`` limits that the horizon cannot reach are replaced by a huge number, so never charged.
    """

    nurse: int
    skills: tuple[int, ...]
    last0: int
    """History's last shift (-1: off)."""
    run_a0: int
    """Initial work run (last0 >= 0) or off run (last0 = -1), capped."""
    run_b0: int
    """Initial same-shift run (0 when off), capped."""
    t0: int
    """Initial total assignments (history), capped at ``cap_t``."""
    w0: int
    """Initial working weekends (history), capped at ``cap_w``."""
    const: float
    """Cost already fixed by the history (weekends or assignments beyond the maximum)."""
    params: np.ndarray
    """int64 [min_cw, max_cw, cap_cw, min_co, max_co, cap_co, min_a, max_a, cap_t, max_we, cap_w, complete]."""
    shift_params: np.ndarray
    """int64 (S, 3): min, effective max and cap of each shift's same-shift run."""
    request: np.ndarray
    """float64 (D, S): S4 cost of working shift s on day d."""


def nurse_pricing(inst: Instance, n: int) -> NursePricing:
    """The DP data of nurse ``n`` (contract, history, requests)."""
    sc = inst.scenario
    nurse = sc.nurses[n]
    con = sc.contracts[nurse.contract]
    h = inst.history.nurses[n]
    D, S = inst.n_days, inst.n_shifts

    def cap(lo: int, hi: int, start: int) -> tuple[int, int]:
        """(effective max, cap) of a run with limits [lo, hi] that may start at ``start``."""
        reachable = start + D > hi
        eff = hi if reachable else _BIG
        return eff, max(1, lo, hi if reachable else lo)

    last0 = -1 if h.last_shift is None else int(h.last_shift)
    cw0 = h.consecutive_work if last0 >= 0 else 0
    co0 = h.consecutive_off if last0 < 0 else 0
    mx_cw, cap_cw = cap(con.min_consecutive_work, con.max_consecutive_work, cw0)
    mx_co, cap_co = cap(con.min_consecutive_off, con.max_consecutive_off, co0)
    sp = np.zeros((S, 3), dtype=np.int64)
    for s, st in enumerate(sc.shifts):
        start = h.consecutive_shift if last0 == s else 0
        eff, c = cap(st.min_consecutive, st.max_consecutive, start)
        sp[s] = (st.min_consecutive, eff, c)
    a0 = h.assignments
    max_a = con.max_assignments
    cap_t = min(max_a, a0 + D) if a0 <= max_a else max_a
    n_weeks = len(inst.weeks)
    max_we, hw = con.max_working_weekends, h.working_weekends
    we_reachable = hw + n_weeks > max_we
    cap_w = max_we if we_reachable else 0
    w0 = min(hw, max_we) if we_reachable else 0
    const = WEIGHTS["S7"] * max(0, hw - max_we) + WEIGHTS["S6"] * max(0, a0 - max_a)
    params = np.array(
        [
            con.min_consecutive_work,
            mx_cw,
            cap_cw,
            con.min_consecutive_off,
            mx_co,
            cap_co,
            con.min_assignments,
            max_a if a0 + D > max_a else _BIG,
            cap_t,
            max_we if we_reachable else _BIG,
            cap_w,
            int(con.complete_weekends),
        ],
        dtype=np.int64,
    )
    req = np.zeros((D, S))
    for nn, s, d in inst.requests:
        if nn == n:
            if s is None:
                req[d, :] += WEIGHTS["S4"]
            else:
                req[d, s] += WEIGHTS["S4"]
    if last0 >= 0:
        run_a0, run_b0 = min(cw0, cap_cw), min(h.consecutive_shift, int(sp[last0, 2]))
    else:
        run_a0, run_b0 = min(co0, cap_co), 0
    return NursePricing(
        n, tuple(nurse.skills), last0, run_a0, run_b0, min(a0, cap_t), w0, float(const), params, sp, req
    )


@numba.njit(cache=True, nogil=True)
def _dp(day_cost, off_cost, forbidden, params, sp, last0, a0, b0, t0, w0, n_best):  # pragma: no cover - compiled
    """Exact DP; returns (values of the best end states, their shift sequences (n_best, D)).

    A state is (l, a, b, t, w): l = 0 off / s + 1 on shift s yesterday; a = off run (l = 0) or
    work run (capped); b = same-shift run (capped per shift); t = total assignments (capped);
    w = working weekends (capped). Layout: base index off[l] + a * nb[l] + b, then t, then w.
    """
    D, S = day_cost.shape
    min_cw, mx_cw, cap_cw, min_co, mx_co, cap_co = params[0], params[1], params[2], params[3], params[4], params[5]
    min_a, max_a, cap_t, max_we, cap_w, complete = params[6], params[7], params[8], params[9], params[10], params[11]
    w_s2w, w_s2s, w_s3, w_s5, w_s6, w_s7 = 30.0, 15.0, 30.0, 30.0, 20.0, 30.0
    off = np.zeros(S + 2, dtype=np.int64)
    nb = np.ones(S + 1, dtype=np.int64)
    off[1] = cap_co + 1
    for s in range(S):
        nb[s + 1] = sp[s, 2] + 1
        off[s + 2] = off[s + 1] + (cap_cw + 1) * nb[s + 1]
    NB = off[S + 1]
    L_of = np.empty(NB, dtype=np.int64)
    A_of = np.empty(NB, dtype=np.int64)
    B_of = np.empty(NB, dtype=np.int64)
    for l in range(S + 1):  # noqa: E741 - l as in the state (l, a, b, t, w) above
        na_l = cap_co + 1 if l == 0 else cap_cw + 1
        for a in range(na_l):
            for b in range(nb[l]):
                i = off[l] + a * nb[l] + b
                L_of[i] = l
                A_of[i] = a
                B_of[i] = b
    nT = cap_t + 1
    nW = cap_w + 1
    NS = NB * nT * nW
    INF = 1e18
    V = np.full(NS, INF)
    pred = np.full((D, NS), -1, dtype=np.int32)
    V[((off[last0 + 1] + a0 * nb[last0 + 1] + b0) * nT + t0) * nW + w0] = 0.0
    NV = np.empty(NS)
    for d in range(D):
        NV[:] = INF
        sunday = d % 7 == 6
        for st in range(NS):
            v = V[st]
            if v >= INF:
                continue
            w = st % nW
            t = (st // nW) % nT
            base = st // (nW * nT)
            l = L_of[base]  # noqa: E741 - the state's l
            a = A_of[base]
            b = B_of[base]
            # ---- off
            c = v + off_cost[d]
            if off_cost[d] > 1e11:
                c = INF
            elif l > 0:
                if 0 < a < min_cw:
                    c += w_s2w * (min_cw - a)
                smin = sp[l - 1, 0]
                if 0 < b < smin:
                    c += w_s2s * (smin - b)
                na = 1
                if 1 > mx_co:
                    c += w_s3
            else:
                na = a + 1 if a + 1 <= cap_co else cap_co
                if a + 1 > mx_co:
                    c += w_s3
            nw = w
            if sunday and l > 0:  # Saturday worked, Sunday off
                if complete == 1:
                    c += w_s5
                if w >= max_we:
                    c += w_s7
                else:
                    nw = w + 1 if w + 1 <= cap_w else cap_w
            ns = ((off[0] + na) * nT + t) * nW + nw
            if c < NV[ns]:
                NV[ns] = c
                pred[d, ns] = st
            # ---- work shift s
            if t >= max_a:
                c6 = w_s6
                nt = t
            else:
                c6 = 0.0
                nt = t + 1 if t + 1 <= cap_t else cap_t
            for s in range(S):
                if l > 0 and forbidden[l - 1, s]:
                    continue
                if day_cost[d, s] > 1e11:
                    continue
                c = v + day_cost[d, s] + c6
                if l == 0:
                    if 0 < a < min_co:
                        c += w_s3 * (min_co - a)
                    na = 1
                    if 1 > mx_cw:
                        c += w_s2w
                    nbb = 1
                    if 1 > sp[s, 1]:
                        c += w_s2s
                else:
                    na = a + 1 if a + 1 <= cap_cw else cap_cw
                    if a + 1 > mx_cw:
                        c += w_s2w
                    if l - 1 == s:
                        nbb = b + 1 if b + 1 <= sp[s, 2] else sp[s, 2]
                        if b + 1 > sp[s, 1]:
                            c += w_s2s
                    else:
                        smin = sp[l - 1, 0]
                        if 0 < b < smin:
                            c += w_s2s * (smin - b)
                        nbb = 1
                        if 1 > sp[s, 1]:
                            c += w_s2s
                nw = w
                if sunday:
                    if complete == 1 and l == 0:
                        c += w_s5
                    if w >= max_we:
                        c += w_s7
                    else:
                        nw = w + 1 if w + 1 <= cap_w else cap_w
                ns = ((off[s + 1] + na * nb[s + 1] + nbb) * nT + nt) * nW + nw
                if c < NV[ns]:
                    NV[ns] = c
                    pred[d, ns] = st
        V, NV = NV, V
    # end: S6 below the minimum
    for st in range(NS):
        if V[st] < INF:
            t = (st // nW) % nT
            if t < min_a:
                V[st] += w_s6 * (min_a - t)
    order = np.argsort(V)
    k = 0
    vals = np.full(n_best, INF)
    paths = np.full((n_best, D), -1, dtype=np.int64)
    for i in range(min(n_best, NS)):
        st = order[i]
        if V[st] >= INF:
            break
        vals[k] = V[st]
        cur = st
        for d in range(D - 1, -1, -1):
            paths[k, d] = L_of[cur // (nW * nT)] - 1
            cur = pred[d, cur]
        k += 1
    return vals[:k], paths[:k]


@dataclass(frozen=True)
class Column:
    """One nurse's schedule: ``shift[d]`` (-1 off) and ``skill[d]``; ``cost`` is her own INRC-II cost."""

    nurse: int
    shift: tuple[int, ...]
    skill: tuple[int, ...]
    cost: float

    def assignments(self) -> list[Assignment]:
        return [
            Assignment(self.nurse, d, s, k)
            for d, (s, k) in enumerate(zip(self.shift, self.skill, strict=True))
            if s >= 0
        ]


def forbidden_matrix(inst: Instance) -> np.ndarray:
    S = inst.n_shifts
    f = np.zeros((S, S), dtype=np.bool_)
    for s1 in range(S):
        for s2 in inst.scenario.forbidden[s1]:
            f[s1, s2] = True
    return f


def price_nurse(
    np_: NursePricing, mu: np.ndarray, forbidden: np.ndarray, n_best: int = 1, allowed: np.ndarray | None = None
) -> list[tuple[float, tuple[int, ...], tuple[int, ...]]]:
    """Schedules of least ``own cost - sum of cover duals`` for one nurse.

    ``mu[d, s, k]`` >= 0 are the cover duals (per nurse taken on each day and shift with her
    skill of largest dual); ``allowed[d, a]`` (a = 0 off, s + 1 shift s), if given, restricts
    each day's choice. Returns up to ``n_best`` ``(reduced cost without the convexity dual,
    shifts, skills)``, best first, from distinct end states of the DP.
    """
    sk = list(np_.skills)
    sub = mu[:, :, sk]  # (D, S, |skills|)
    best_k = np.argmax(sub, axis=2)
    gain = np.take_along_axis(sub, best_k[:, :, None], axis=2)[:, :, 0]
    day_cost = np.ascontiguousarray(np_.request - gain)
    off_cost = np.zeros(day_cost.shape[0])
    if allowed is not None:
        day_cost[~allowed[:, 1:]] = _BLOCKED
        off_cost[~allowed[:, 0]] = _BLOCKED
    vals, paths = _dp(
        day_cost,
        off_cost,
        forbidden,
        np_.params,
        np_.shift_params,
        np_.last0,
        np_.run_a0,
        np_.run_b0,
        np_.t0,
        np_.w0,
        n_best,
    )
    out = []
    skills_arr = np.asarray(sk)
    for v, p in zip(vals, paths, strict=True):
        if v > 1e11:
            break
        shifts = tuple(int(x) for x in p)
        skills = tuple(int(skills_arr[best_k[d, s]]) if s >= 0 else -1 for d, s in enumerate(shifts))
        out.append((float(v) + np_.const, shifts, skills))
    return out


_BLOCKED = 1e12
"""Day cost of a choice a dive has excluded (the DP skips it)."""


def compile_pricing() -> float:
    """Compile the pricing programme now; returns wall seconds.

    numba compiles it on its first call (about 9 s in a fresh checkout) and caches it on disk
    (about 0.5 s to load in a new process). Pricing a dummy two-day nurse triggers that, for
    callers that must not charge it to a timed solve (tests with short limits).
    """
    t0 = time.perf_counter()
    dummy = NursePricing(
        0,
        (0,),
        -1,
        1,
        0,
        0,
        0,
        0.0,
        np.array([1, 5, 5, 1, 5, 5, 0, 2, 2, 1, 1, 1], dtype=np.int64),
        np.array([[1, 5, 5]], dtype=np.int64),
        np.zeros((2, 1)),
    )
    price_nurse(dummy, np.zeros((2, 1, 1)), np.zeros((1, 1), dtype=np.bool_))
    return time.perf_counter() - t0


def column_cost(inst: Instance, n: int, shifts: tuple[int, ...]) -> float:
    """Nurse ``n``'s own INRC-II cost (S2..S7) for the day-by-day ``shifts`` (-1 off), as the evaluator charges it."""
    return float(nurse_own_cost(inst, n, list(shifts))[0])


# --------------------------------------------------------------------------- master LP
@dataclass
class Master:
    """The restricted master LP (GLOP) over the columns generated so far.

    One row per (day, shift, skill) cell with a positive optimum cover; one convexity row per nurse.
    """

    inst: Instance
    backend: str = "GLOP"
    """An LP solver ``pywraplp`` knows (GLOP, CLP, HIGHS...)."""
    solver: pywraplp.Solver = field(init=False)
    columns: list[Column] = field(default_factory=list)
    _vars: list = field(default_factory=list)
    _keys: set = field(default_factory=set)

    def _rebuild(self) -> None:
        """A fresh solver with the same rows, columns and bounds (no warm start left)."""
        columns, dropped, allowed = self.columns, self._dropped, self.allowed
        self.columns, self._vars, self._keys = [], [], set()
        self.__post_init__()
        self.allowed = allowed
        for col in columns:
            self.add(col)
        for j in dropped:
            self._vars[j].SetUb(0.0)
        self._dropped = set(dropped)

    def __post_init__(self) -> None:
        inst = self.inst
        self.solver = pywraplp.Solver.CreateSolver(self.backend)
        s = self.solver
        self.objective = s.Objective()
        self.objective.SetMinimization()
        D, S, K = inst.n_days, inst.n_shifts, inst.n_skills
        self.rows: dict[tuple[int, int, int], pywraplp.Constraint] = {}
        mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)
        for d in range(D):
            for sh in range(S):
                for k in range(K):
                    opt, lo = int(opts[d, sh, k]), int(mins[d, sh, k])
                    if opt <= 0:
                        continue
                    row = s.Constraint(float(opt), s.infinity(), f"cov_{d}_{sh}_{k}")
                    if opt > lo:
                        short = s.NumVar(0.0, float(opt - lo), f"short_{d}_{sh}_{k}")
                        row.SetCoefficient(short, 1.0)
                        self.objective.SetCoefficient(short, float(WEIGHTS["S1"]))
                    if lo > 0:
                        art = s.NumVar(0.0, float(lo), f"art_{d}_{sh}_{k}")
                        row.SetCoefficient(art, 1.0)
                        self.objective.SetCoefficient(art, ART_COST + WEIGHTS["S1"])
                    self.rows[(d, sh, k)] = row
        self.convex = [s.Constraint(1.0, 1.0, f"one_{n}") for n in range(inst.n_nurses)]
        self.forbidden = forbidden_matrix(inst)
        self.pricing = [nurse_pricing(inst, n) for n in range(inst.n_nurses)]
        self._dropped: set[int] = set()
        self.allowed = np.ones((inst.n_nurses, inst.n_days, inst.n_shifts + 1), dtype=bool)
        """``allowed[n, d, a]``: nurse n may take a (0 off, s + 1 shift s) on day d (a dive restricts it)."""

    def fix_days(self, fixes: list[tuple[int, int, int]]) -> None:
        """Each ``(n, d, action)``: nurse n takes ``action`` (-1 off, else a shift) on day d. Other
        choices are excluded from pricing and the columns that disagree get an upper bound of 0."""
        if not fixes:
            return
        for n, d, a in fixes:
            self.allowed[n, d, :] = False
            self.allowed[n, d, a + 1] = True
        shifts = np.array([c.shift for c in self.columns])
        nurse = np.array([c.nurse for c in self.columns])
        ok = self.allowed[nurse[:, None], np.arange(shifts.shape[1])[None, :], shifts + 1].all(axis=1)
        for j in np.nonzero(~ok)[0]:
            if j not in self._dropped:
                self._vars[j].SetUb(0.0)
                self._dropped.add(int(j))

    def add(self, col: Column) -> bool:
        """Add a column unless the same schedule is already there; True if added."""
        key = (col.nurse, col.shift, col.skill)
        if key in self._keys:
            return False
        self._keys.add(key)
        v = self.solver.NumVar(0.0, self.solver.infinity(), f"c{len(self.columns)}")
        self.objective.SetCoefficient(v, col.cost)
        self.convex[col.nurse].SetCoefficient(v, 1.0)
        for d, (s, k) in enumerate(zip(col.shift, col.skill, strict=True)):
            if s >= 0 and (d, s, k) in self.rows:
                self.rows[(d, s, k)].SetCoefficient(v, 1.0)
        self.columns.append(col)
        self._vars.append(v)
        return True

    def solve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """LP value, cover duals ``mu[d, s, k]`` (>= 0) and convexity duals ``pi[n]``."""
        st = self.solver.Solve()
        if st != pywraplp.Solver.OPTIMAL:  # GLOP's warm start sometimes reports ABNORMAL: solve afresh
            _log.warning("master LP status %s; rebuilding it", st)
            self._rebuild()
            st = self.solver.Solve()
        if st != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"master LP not solved to optimality (status {st})")
        inst = self.inst
        mu = np.zeros((inst.n_days, inst.n_shifts, inst.n_skills))
        for key, row in self.rows.items():
            mu[key] = max(0.0, row.dual_value())
        pi = np.array([c.dual_value() for c in self.convex])
        return self.objective.Value(), mu, pi

    def values(self) -> np.ndarray:
        return np.array([v.solution_value() for v in self._vars])


# --------------------------------------------------------------------------- the loop
@dataclass(frozen=True)
class ColGenResult:
    """What column generation found: the LP value, a valid lower bound, the columns and statistics."""

    lp_value: float
    bound: float
    """A valid lower bound on the optimum (LP value at convergence, else the Lagrangian bound)."""
    converged: bool
    columns: list[Column]
    lp_x: np.ndarray
    """LP value of each column (same order as ``columns``)."""
    reduced_cost: np.ndarray
    """Each column's reduced cost at the last duals (>= 0 up to tolerance at convergence)."""
    iterations: int
    pricing_s: float
    lp_s: float


def column_generation(
    inst: Instance,
    seed_columns: list[Column],
    deadline: float,
    *,
    n_best: int = 3,
    threads: int = 2,
    tol: float = 1e-6,
    master: Master | None = None,
    smoothing: float = 0.5,
    fixed: set[int] | frozenset = frozenset(),
    max_iterations: int | None = None,
) -> tuple[Master, ColGenResult]:
    """Price and add columns until no nurse has a column of negative reduced cost, ``deadline``
    (``time.monotonic()``) passes or ``max_iterations`` LPs were solved. ``seed_columns`` should
    hold one column per nurse (an incumbent) so that the integer steps have a roster. With
    ``smoothing`` alpha > 0 pricing uses the duals ``alpha * best-bound duals + (1 - alpha) *
    current duals`` (Wentges), falling back to the current duals when that prices out nothing (so
    convergence is still exact). Nurses in ``fixed`` (a dive fixed their column) are not priced;
    the bound is then that of the restricted problem and is not reported (-inf)."""
    from concurrent.futures import ThreadPoolExecutor

    master = master or Master(inst)
    for col in seed_columns:
        master.add(col)
    forb = master.forbidden
    pricing = [p for p in master.pricing if p.nurse not in fixed]
    restricted = bool(fixed) or not master.allowed.all()
    bound = -np.inf
    it = 0
    pricing_s = lp_s = 0.0
    converged = False
    lp_val = np.inf
    center = None
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None

    def price_all(mu: np.ndarray) -> list[tuple[int, list[tuple[float, tuple, tuple]]]]:
        if pool is None:
            return [(p.nurse, price_nurse(p, mu, forb, n_best, master.allowed[p.nurse])) for p in pricing]
        return list(
            zip(
                [p.nurse for p in pricing],
                pool.map(lambda p: price_nurse(p, mu, forb, n_best, master.allowed[p.nurse]), pricing),
                strict=True,
            )
        )

    def add_negative(res, pi) -> int:
        added = 0
        for n, cols in res:
            for rc, shifts, skills in cols:
                if rc - pi[n] < -tol:
                    added += master.add(Column(n, shifts, skills, column_cost(inst, n, shifts)))
        return added

    try:
        while True:
            t0 = time.monotonic()
            lp_val, mu, pi = master.solve()
            lp_s += time.monotonic() - t0
            it += 1
            _log.debug("colgen it %d: LP %.1f, bound %.1f, %d columns", it, lp_val, bound, len(master.columns))
            if time.monotonic() >= deadline or (max_iterations is not None and it >= max_iterations) or not pricing:
                converged = not pricing
                break
            t0 = time.monotonic()
            use_center = smoothing > 0 and center is not None
            mu_p = smoothing * center + (1 - smoothing) * mu if use_center else mu
            res = price_all(mu_p)
            pricing_s += time.monotonic() - t0
            if not restricted:  # Lagrangian bound from the priced duals
                lag = _lagrangian(inst, master, mu_p, [r[0][0] if r else np.inf for _, r in res])
                if lag > bound:
                    bound, center = lag, mu_p.copy()
            if center is None:
                center = mu_p.copy()
            added = add_negative(res, pi)
            if added == 0 and use_center:
                center = mu.copy()  # mis-price: price the true duals
                t0 = time.monotonic()
                res = price_all(mu)
                pricing_s += time.monotonic() - t0
                if not restricted:
                    bound = max(bound, _lagrangian(inst, master, mu, [r[0][0] if r else np.inf for _, r in res]))
                added = add_negative(res, pi)
            if added == 0:
                converged = True
                if not restricted:
                    bound = max(bound, lp_val)
                break
    finally:
        if pool is not None:
            pool.shutdown()
    rc = _reduced_costs(master, mu, pi)
    return master, ColGenResult(
        lp_val,
        bound if not restricted else -np.inf,
        converged,
        list(master.columns),
        master.values(),
        rc,
        it,
        pricing_s,
        lp_s,
    )


def dive(
    inst: Instance,
    master: Master,
    deadline: float,
    *,
    fix_share: float = 0.04,
    step_iterations: int = 10,
    threads: int = 2,
    stop_free_share: float = 0.0,
    fix_sure: bool = False,
) -> list[Column]:
    """A roster by diving on nurse-days: after column generation, take the LP's aggregate
    ``y[n, d, a]`` (how much of nurse n's schedule takes a -- off or a shift -- on day d); fix
    every nurse-day the LP already decides (y = 1) and the ``fix_share`` of the others with the
    largest y (more if needed to finish by ``deadline`` at the pace of the steps so far) to their
    most taken choice; re-generate columns (at most ``step_iterations`` LPs)
    under these restrictions and repeat until the LP picks one whole column per nurse. When
    ``deadline`` passes each remaining nurse takes her column of largest LP value. Returns one
    column per nurse (the minimum cover may still be short where the artificial slack is used)."""
    N, D, S = inst.n_nurses, inst.n_days, inst.n_shifts
    x = master.values()
    k = max(1, int(np.ceil(fix_share * N * D)))
    lp = float("nan")
    start, steps = time.monotonic(), 0
    while True:
        if time.monotonic() < deadline:
            try:
                _, res = column_generation(
                    inst, [], deadline, master=master, max_iterations=step_iterations, threads=threads
                )
            except RuntimeError:  # the LP failed twice: round what the last one gave
                _log.warning("dive: master LP failed; rounding the last LP solution")
                deadline = time.monotonic()
            else:
                x, lp = res.lp_x, res.lp_value
        x = np.concatenate([x, np.zeros(len(master.columns) - len(x))])  # columns added since
        best: dict[int, int] = {}
        y = np.zeros((N, D, S + 1))
        days = np.arange(D)
        for j, col in enumerate(master.columns):
            n = col.nurse
            if x[j] > 1e-9:
                y[n, days, np.asarray(col.shift) + 1] += x[j]
            if n not in best or x[j] > x[best[n]]:
                best[n] = j
        free = master.allowed.sum(axis=2) > 1
        val, act = y.max(axis=2), y.argmax(axis=2) - 1
        if (val > 1 - 1e-6).all() or time.monotonic() >= deadline or free.sum() < stop_free_share * N * D:
            _log.debug("dive ends: %s", "integral" if time.monotonic() < deadline else "time out, rounded")
            return [master.columns[best[n]] for n in range(N)]
        sure = free & (val > 1 - 1e-6)
        frac = np.argwhere(free & ~sure)
        # enough per step to finish before the deadline at the pace of the steps so far
        step_s = (time.monotonic() - start) / max(1, steps)
        pace = int(np.ceil(1.5 * free.sum() * step_s / max(1e-3, deadline - time.monotonic())))
        k_now = min(max(k, pace), max(1, int(np.ceil(0.3 * len(frac)))))  # few left: they are the hard ones
        steps += 1
        top = frac[np.argsort(-val[frac[:, 0], frac[:, 1]])[:k_now]]
        fixes = [(int(n), int(d), int(act[n, d])) for n, d in np.argwhere(sure)] if fix_sure else []
        fixes += [(int(n), int(d), int(act[n, d])) for n, d in top]
        fixes = _feasible_fixes(inst, master, fixes)
        if not fixes:
            return [master.columns[best[n]] for n in range(N)]
        master.fix_days([f for f, _ in fixes])
        for _, col in fixes:
            if col is not None:
                master.add(col)
        _log.debug(
            "dive: LP %.1f; fixed %d sure + %d fractional nurse-days; %d free left",
            lp,
            int(sure.sum()),
            len(top),
            int(free.sum()) - len(fixes),
        )


def _feasible_fixes(
    inst: Instance, master: Master, fixes: list[tuple[int, int, int]]
) -> list[tuple[tuple[int, int, int], Column | None]]:
    """The fixes of the nurses for whom some schedule still meets all of them (H3 successions can
    rule a combination out), each nurse's first one paired with such a schedule (so that the
    restricted LP keeps a column per nurse)."""
    by_nurse: dict[int, list[tuple[int, int, int]]] = {}
    for f in fixes:
        by_nurse.setdefault(f[0], []).append(f)
    zero = np.zeros((inst.n_days, inst.n_shifts, inst.n_skills))
    out: list[tuple[tuple[int, int, int], Column | None]] = []
    for n, fs in by_nurse.items():
        trial = master.allowed[n].copy()
        for _, d, a in fs:
            trial[d, :] = False
            trial[d, a + 1] = True
        r = price_nurse(master.pricing[n], zero, master.forbidden, 1, trial)
        if not r:
            continue
        col = Column(n, r[0][1], r[0][2], column_cost(inst, n, r[0][1]))
        out += [(f, col if i == 0 else None) for i, f in enumerate(fs)]
    return out


def _reduced_costs(master: Master, mu: np.ndarray, pi: np.ndarray) -> np.ndarray:
    out = np.empty(len(master.columns))
    for j, col in enumerate(master.columns):
        taken = sum(mu[d, s, k] for d, (s, k) in enumerate(zip(col.shift, col.skill, strict=True)) if s >= 0)
        out[j] = col.cost - taken - pi[col.nurse]
    return out


def _lagrangian(inst: Instance, master: Master, mu: np.ndarray, min_rc: list[float]) -> float:
    """Lagrangian lower bound for cover duals ``mu`` (>= 0): sum over nurses of their least
    ``cost - mu`` schedule plus, per cell, the best of covering with slacks or taking the dual."""
    total = float(np.sum(min_rc))
    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)
    for d, s, k in master.rows:
        m = mu[d, s, k]
        opt, lo = opts[d, s, k], mins[d, s, k]
        # min over short in [0, opt-lo], art in [0, lo] of 30 short + (ART+30) art + m (opt - short - art)
        total += m * opt + min(0.0, WEIGHTS["S1"] - m) * (opt - lo) + min(0.0, ART_COST + WEIGHTS["S1"] - m) * lo
    return total


def best_response(
    inst: Instance,
    pricing: NursePricing,
    forbidden: np.ndarray,
    cover_others: np.ndarray,
    min_weight: float = ART_COST + WEIGHTS["S1"],
) -> tuple[float, tuple[int, ...], tuple[int, ...]]:
    """Nurse ``pricing.nurse``'s best schedule with every other nurse fixed (``cover_others[d, s, k]``
    counts their assignments): the DP with, as duals, the exact value of one more nurse in each cell
    (S1 = 30 below the optimum, plus ``min_weight`` below the minimum). Returns (her own cost minus
    the cover cost she saves, shifts, skills): the change of the roster's cost is this value minus
    the same quantity for her current schedule."""
    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)
    mu = WEIGHTS["S1"] * (cover_others < opts) + min_weight * (cover_others < mins)
    return price_nurse(pricing, mu.astype(float), forbidden, 1)[0]
