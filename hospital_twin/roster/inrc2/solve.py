"""Solving static INRC-II: :func:`solve` sequences the search; :class:`SolveConfig` holds its settings.

Search: a greedy day-by-day construction, then alternating (a) a pure-Python local search for
``swap_s`` seconds (one nurse's shift on one day changed; two nurses' assignments exchanged over
a block of one to seven days; moves that do not increase the cost accepted) and (b) one CP-SAT
neighbourhood: first a sweep re-optimising each nurse alone (exact best response), then random
ones -- one nurse or two nurses sharing a skill over the whole horizon, or four to eight nurses
over a one-week window, half of them starting from a nurse drawn by her own cost with partners
able to take over her excess assignments and weekends -- each re-optimised from a hint of the
incumbent with a short time limit and accepted when the whole roster, re-evaluated by the
evaluator, is no worse. Each sub-problem gets ``workers`` CP-SAT workers; optionally
(``parallel_neighbourhoods``) two neighbourhoods on disjoint nurses run at once in two threads
with one worker each (measured worse on this loaded 2-core machine, so off by default). For
instances of at most 60 nurses the last share of the time runs CP-SAT on the whole model from the
incumbent, which proves a lower bound (weak: the LP relaxation of these models is loose) and
sometimes improves the roster. The moves are :mod:`hospital_twin.roster.inrc2.search`, the model
:mod:`hospital_twin.roster.inrc2.model`.

Column generation (``method="colgen"``, the default; :mod:`hospital_twin.roster.inrc2.colgen`)
seeds that search with a better roster and proves a far tighter lower bound: see :func:`solve`.

Determinism: with ``workers > 1`` CP-SAT's parallel search and wall-clock limits make runs
differ. ``deterministic=True`` uses one worker, one neighbourhood at a time, a seeded
neighbourhood sequence and deterministic-time limits per sub-problem and a fixed number of
local-search moves per phase instead of a time slice; with ``max_iterations`` set and a wall
limit that is not reached, the result then depends on the seed only.

Owns: :class:`SolveConfig`, :class:`SolveResult`, :func:`solve` and its phases (column-generation
start, large-neighbourhood search, whole-model phase). CP-SAT is imported only here, in ``model``
and in ``search``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from hospital_twin.roster.inrc2.colgen import Column, column_cost, column_generation, dive
from hospital_twin.roster.inrc2.format import Assignment, Instance
from hospital_twin.roster.inrc2.model import Inrc2Model, cp_solver
from hospital_twin.roster.inrc2.search import (
    Plan,
    best_skills,
    block_swaps,
    dp_sweeps,
    greedy,
    neighbourhood,
    nurse_costs,
    reoptimise,
    score,
)

_log = logging.getLogger(__name__)

__all__ = ["SolveConfig", "SolveResult", "Inrc2Model", "solve"]


@dataclass(frozen=True)
class SolveConfig:
    """The settings of :func:`solve`.

    ``time_limit_s``: wall seconds, model building included. ``seed``: of the greedy noise, the
    moves, the neighbourhoods and CP-SAT. ``workers``: CP-SAT workers per sub-problem.
    ``deterministic``: one worker, deterministic-time limits, a fixed number of local-search moves
    per phase (see the module doc). ``max_iterations``: at most this many CP-SAT neighbourhoods.
    ``sub_limit_s``: seconds per neighbourhood. ``bound_share``: share of the time for the
    whole-model phase (``lns``, at most 60 nurses). ``parallel_neighbourhoods``: two at once in two
    threads. ``mix``: probabilities of one nurse (``mix[0]``) and of up to two (``mix[1]``) per
    neighbourhood, else four to eight over a week. ``swap_s``: seconds of local search before each
    neighbourhood. ``temperature``: of the local search's annealing (0: only moves that do not
    increase the cost). ``method``: ``"colgen"`` or ``"lns"`` (None: ``"lns"`` when deterministic,
    else ``"colgen"``). ``colgen_share`` / ``dive_share``: shares of the time for column
    generation and the dive (``colgen``).
    """

    time_limit_s: float = 60.0
    seed: int = 0
    workers: int = 2
    deterministic: bool = False
    max_iterations: int | None = None
    sub_limit_s: float = 0.4
    bound_share: float = 0.1
    parallel_neighbourhoods: bool = False
    mix: tuple[float, float] = (0.25, 0.6)
    swap_s: float = 1.0
    temperature: float = 0.0
    method: str | None = None
    colgen_share: float = 0.45
    dive_share: float = 0.35

    def __post_init__(self) -> None:
        if self.search_method not in ("colgen", "lns"):
            raise ValueError(f"method must be 'colgen' or 'lns', got {self.method!r}")

    @property
    def search_method(self) -> str:
        """``method``, or its default: ``"lns"`` when deterministic (the dive paces itself by the wall clock)."""
        if self.method is None:
            return "lns" if self.deterministic else "colgen"
        return self.method

    @property
    def threads(self) -> int:
        """Neighbourhoods solved at once: two only with ``parallel_neighbourhoods``, two workers, not deterministic."""
        return 1 if self.deterministic or self.workers < 2 or not self.parallel_neighbourhoods else 2


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


def solve(
    inst: Instance, time_limit_s: float | None = None, *, config: SolveConfig | None = None, **settings: Any
) -> SolveResult:
    """Best roster within ``time_limit_s`` wall seconds, model building included.

    The settings are a :class:`SolveConfig` (``config``, default ``SolveConfig()``), with
    ``time_limit_s`` and any of its fields given as keywords replacing its values:
    ``solve(inst, 60, seed=1, deterministic=True)`` is
    ``solve(inst, config=SolveConfig(time_limit_s=60, seed=1, deterministic=True))``.

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

    ``method="colgen"`` (the default unless ``deterministic``) starts differently: the greedy roster improved by
    local search and best-response sweeps seeds column generation (:mod:`hospital_twin.roster.inrc2.colgen`)
    for ``colgen_share`` of the time -- its LP or Lagrangian bound is returned as ``bound`` --,
    then a nurse-day dive builds a roster for ``dive_share`` of the time; the better of the two
    rosters goes to the search above, where best-response sweeps (the pricing DP against the
    others' cover) replace the CP-SAT single-nurse sweep. ``method="lns"`` is the earlier path and
    the default with ``deterministic=True``: the dive paces itself by the wall clock, so a
    colgen run is not reproducible.
    """
    cfg = config or SolveConfig()
    if time_limit_s is not None:
        settings["time_limit_s"] = time_limit_s
    if settings:
        cfg = replace(cfg, **settings)
    t0 = time.monotonic()
    deadline = t0 + cfg.time_limit_s
    rng = np.random.default_rng(cfg.seed)
    search = _Search(inst, cfg, rng, greedy(inst, rng))
    full_phase_s = cfg.bound_share * cfg.time_limit_s if inst.n_nurses <= 60 else 0.0
    if cfg.search_method == "colgen":
        search.plan, search.bound = _colgen_start(inst, search.plan, rng, t0, cfg)
        search.rescore()
        full_phase_s = 0.0  # the column-generation bound is far tighter than the whole model's
    _large_neighbourhood_search(search, deadline - full_phase_s)
    remaining = deadline - time.monotonic()
    # the whole model only if building it (estimated from the sub-models) leaves time to solve
    if (
        search.bound is None
        and full_phase_s > 0
        and search.hard == 0
        and remaining > 0.5 + 2 * search.build_per_nurse_s * inst.n_nurses
    ):
        _whole_model_phase(search, deadline)
    return search.result(time.monotonic() - t0)


# --------------------------------------------------------------------------- the incumbent and its phases
class _Search:
    """The incumbent of one solve, its (hard violations, cost), the bound and the search's counters."""

    def __init__(self, inst: Instance, cfg: SolveConfig, rng: np.random.Generator, plan: Plan) -> None:
        self.inst, self.cfg, self.rng, self.plan = inst, cfg, rng, plan
        self.hard, self.cost = score(inst, plan)
        self.iterations = self.improvements = 0
        self.bound: int | None = None
        self.own: tuple | None = None  # nurse_costs of the incumbent, refreshed every 10 neighbourhoods
        self.build_per_nurse_s = 0.0  # slowest model building seen, per nurse

    def rescore(self) -> None:
        self.hard, self.cost = score(self.inst, self.plan)

    def polish(self, lns_deadline: float) -> None:
        """``swap_s`` seconds (or, deterministic, ``2000 * swap_s`` moves) of local search, then for
        ``colgen`` best-response sweeps for as long."""
        cfg, inst, plan = self.cfg, self.inst, self.plan
        own_now = nurse_costs(inst, plan)[0]
        block_swaps(
            inst,
            plan,
            self.rng,
            min(lns_deadline, time.monotonic() + cfg.swap_s),
            own_now,
            int(2000 * cfg.swap_s) if cfg.deterministic else None,
            cfg.temperature,
        )
        if cfg.search_method == "colgen":
            dp_sweeps(inst, plan, self.rng, min(lns_deadline, time.monotonic() + cfg.swap_s))
        self.rescore()
        self.own = None

    def pick(self, queue: list[int], busy: set[int]) -> tuple[list[int], tuple[int, int] | None]:
        """The next neighbourhood: the next nurse of the first sweep, else a random one (:func:`neighbourhood`)."""
        if queue and queue[0] not in busy:
            return [queue.pop(0)], None
        if self.own is None or self.iterations % 10 == 0:
            self.own = nurse_costs(self.inst, self.plan)
        return neighbourhood(self.inst, self.rng, busy, self.cfg.mix, self.own)

    def accept(self, chosen: list[int], window: tuple[int, int] | None, outcome: tuple) -> None:
        """Take a neighbourhood's roster (:func:`reoptimise`'s ``outcome``) if the whole roster is no worse."""
        st, roster, per_nurse_s = outcome
        self.build_per_nurse_s = max(self.build_per_nurse_s, per_nurse_s)
        if roster is None:
            return
        plan = self.plan
        old = (plan.shift[chosen].copy(), plan.skill[chosen].copy())
        plan.set_from(roster, chosen)
        new_hard, new_cost = score(self.inst, plan)
        if (new_hard, new_cost) <= (self.hard, self.cost):
            self.improvements += (new_hard, new_cost) < (self.hard, self.cost)
            self.hard, self.cost = new_hard, new_cost
        else:  # stale cover from a concurrent change made it worse: keep the incumbent
            plan.shift[chosen], plan.skill[chosen] = old
        if len(chosen) == self.inst.n_nurses and window is None and st == cp_model.OPTIMAL and self.hard == 0:
            self.bound = self.cost  # the whole instance was one neighbourhood, solved to optimality

    def result(self, wall_s: float) -> SolveResult:
        hard, cost, bound = self.hard, self.cost, self.bound
        status = "FEASIBLE" if hard == 0 else "INFEASIBLE"
        if hard == 0 and bound is not None and bound >= cost:
            status = "OPTIMAL"
        return SolveResult(
            self.plan.assignments(),
            cost if hard == 0 else None,
            bound,
            status,
            wall_s,
            self.iterations,
            self.improvements,
        )


def _large_neighbourhood_search(search: _Search, lns_deadline: float) -> None:
    """Neighbourhoods re-optimised by CP-SAT (one or two at a time), each after a local-search
    phase when none is running, until ``lns_deadline`` or ``max_iterations``."""
    inst, cfg, plan = search.inst, search.cfg, search.plan
    threads = cfg.threads
    # first sweep: each nurse alone (colgen: best-response sweeps by the DP instead, after each local search)
    queue = [int(n) for n in search.rng.permutation(inst.n_nurses)] if cfg.search_method == "lns" else []
    running: dict = {}
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            while len(running) < threads:
                nxt = _next_neighbourhood(search, queue, running, lns_deadline)
                if nxt is None:
                    break
                chosen, window, remaining = nxt
                solver = cp_solver(
                    1 if threads > 1 else cfg.workers,
                    cfg.seed + 1 + search.iterations,
                    min(remaining, cfg.sub_limit_s),
                    cfg.deterministic,
                    light=True,
                )
                fut = pool.submit(
                    reoptimise, inst, plan.shift.copy(), plan.skill.copy(), plan.cover(chosen), chosen, window, solver
                )
                running[fut] = (chosen, window)
                search.iterations += 1
            if not running:
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                chosen, window = running.pop(fut)
                search.accept(chosen, window, fut.result())


def _next_neighbourhood(
    search: _Search, queue: list[int], running: dict, lns_deadline: float
) -> tuple[list[int], tuple[int, int] | None, float] | None:
    """The nurses, days and seconds left for the next neighbourhood (after a local-search phase when
    none is running), or None when the time or ``max_iterations`` is used up."""
    cfg = search.cfg
    remaining = lns_deadline - time.monotonic()
    if remaining < 0.05 or (cfg.max_iterations is not None and search.iterations >= cfg.max_iterations):
        return None
    busy = {n for ch, _ in running.values() for n in ch}
    if cfg.swap_s > 0 and not running:
        search.polish(lns_deadline)
        remaining = lns_deadline - time.monotonic()  # the local search used some of it
        if remaining < 0.05:
            return None
    chosen, window = search.pick(queue, busy)
    if not chosen:
        return None
    return chosen, window, remaining


def _whole_model_phase(search: _Search, deadline: float) -> None:
    """CP-SAT on the whole model from the incumbent until ``deadline``: a proven lower bound, and the
    roster it finds when it is no worse."""
    inst, cfg, plan = search.inst, search.cfg, search.plan
    full = Inrc2Model(inst)
    for (n, d, s, kk), v in full.x.items():
        full.model.add_hint(v, int(plan.shift[n, d] == s and plan.skill[n, d] == kk))
    solver = cp_solver(cfg.workers, cfg.seed, deadline - time.monotonic() - 0.05, cfg.deterministic)
    st = solver.solve(full.model)
    if st != cp_model.INFEASIBLE:  # the proven bound holds even when no solution was found
        search.bound = max(0, int(np.ceil(solver.best_objective_bound - 1e-6)))
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        old = (plan.shift.copy(), plan.skill.copy())
        plan.set_from(full.roster(list(solver.response_proto.solution)), list(range(inst.n_nurses)))
        new_hard, new_cost = score(inst, plan)
        if (new_hard, new_cost) <= (search.hard, search.cost):
            search.hard, search.cost = new_hard, new_cost
        else:
            plan.shift, plan.skill = old


# --------------------------------------------------------------------------- column-generation start
def _colgen_start(
    inst: Instance, plan: Plan, rng: np.random.Generator, t0: float, cfg: SolveConfig
) -> tuple[Plan, int | None]:
    """Greedy + local search + best-response sweeps as the incumbent; column generation seeded with
    it until ``colgen_share`` of the time (its bound is returned, rounded up: costs are integers);
    then a dive on nurse-days until ``colgen_share + dive_share``, its roster repaired by
    best-response sweeps. Returns the better roster (hard violations counted at 1000) and the bound."""
    limit = cfg.time_limit_s
    block_swaps(inst, plan, rng, t0 + 0.03 * limit, nurse_costs(inst, plan)[0])
    dp_sweeps(inst, plan, rng, t0 + 0.05 * limit)
    _log.info("colgen: incumbent %s after %.1f s", score(inst, plan), time.monotonic() - t0)
    seed_cols = [
        Column(
            n,
            tuple(int(x) for x in plan.shift[n]),
            tuple(int(x) for x in plan.skill[n]),
            column_cost(inst, n, tuple(int(x) for x in plan.shift[n])),
        )
        for n in range(inst.n_nurses)
    ]
    try:
        master, res = column_generation(inst, seed_cols, t0 + cfg.colgen_share * limit, threads=max(1, cfg.workers))
    except RuntimeError:  # the master LP failed (GLOP reported it twice): keep the incumbent, no bound
        return plan, None
    bound = int(np.ceil(res.bound - 1e-6)) if np.isfinite(res.bound) and res.bound >= 0 else None
    _log.info(
        "colgen: LP %.1f, bound %s, converged %s, %d LPs, %d columns, pricing %.1f s, LP %.1f s, at %.1f s",
        res.lp_value,
        bound,
        res.converged,
        res.iterations,
        len(res.columns),
        res.pricing_s,
        res.lp_s,
        time.monotonic() - t0,
    )
    dive_end = t0 + (cfg.colgen_share + cfg.dive_share) * limit
    if time.monotonic() < dive_end:
        new = _dive_roster(inst, master, rng, dive_end, t0, cfg)
        h_new, c_new = score(inst, new)
        h_old, c_old = score(inst, plan)
        _log.info(
            "colgen: dive roster (hard, cost) %s against incumbent %s at %.1f s",
            (h_new, c_new),
            (h_old, c_old),
            time.monotonic() - t0,
        )
        if c_new + 1000 * h_new < c_old + 1000 * h_old:
            plan = new
    return plan, bound


def _dive_roster(
    inst: Instance, master, rng: np.random.Generator, dive_end: float, t0: float, cfg: SolveConfig
) -> Plan:
    """The dive's roster (one column per nurse) until ``dive_end``, skills re-chosen, repaired by
    best-response sweeps for at most 5% of the time."""
    chosen = dive(inst, master, dive_end, threads=max(1, cfg.workers))
    new = Plan(inst)
    new.set_from([a for c in chosen for a in c.assignments()], list(range(inst.n_nurses)))
    best_skills(inst, new)
    dp_sweeps(inst, new, rng, min(t0 + 0.9 * cfg.time_limit_s, time.monotonic() + 0.05 * cfg.time_limit_s))
    return new
