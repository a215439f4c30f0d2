"""Column generation for static INRC-II (hospital_twin.roster.inrc2.colgen): pricing DP, master LP, bound."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hospital_twin.roster.inrc2 import colgen as cg
from hospital_twin.roster.inrc2.evaluate import evaluate
from hospital_twin.roster.inrc2.format import (
    History,
    build_instance,
    parse_history,
    parse_scenario,
    parse_week_data,
    read_instance,
    read_solution_files,
)
from hospital_twin.roster.inrc2.search import (
    MIN_COVER_WEIGHT,
    best_skills,
    dp_sweeps,
    greedy,
    nurse_costs,
)
from hospital_twin.roster.inrc2.solve import solve

DATA = Path("/work/shared/data/inrc2")
N005 = DATA / "n005w4"
needs_data = pytest.mark.skipif(not N005.is_dir(), reason="INRC-II data not present")


def _tiny(history: str = "Ann 0 0 Night 1 1 0"):
    """One nurse, one week, two shifts (Night may not precede Early), requests on Thu and Fri."""
    sc = parse_scenario(
        "\n".join(
            [
                "SCENARIO = t1",
                "WEEKS = 1",
                "SKILLS = 2",
                "Nurse",
                "Head",
                "SHIFT_TYPES = 2",
                "Early (2,3)",
                "Night (2,3)",
                "FORBIDDEN_SHIFT_TYPES_SUCCESSIONS",
                "Early 0",
                "Night 1 Early",
                "CONTRACTS = 1",
                "C (3,5) (2,4) (2,3) 1 1",
                "NURSES = 1",
                "Ann C 2 Nurse Head",
            ]
        )
    )
    hist = parse_history(f"HISTORY\n0 t1\nNURSE_HISTORY\n{history}\n", sc)
    wd = parse_week_data(
        "WEEK_DATA\nt1\nREQUIREMENTS\n"
        "Early Nurse (0,1) (0,1) (1,1) (0,0) (0,1) (0,0) (0,1)\n"
        "Night Nurse (0,0) (0,1) (0,0) (0,1) (0,1) (0,1) (0,0)\n"
        "SHIFT_OFF_REQUESTS = 2\nAnn Any Thu\nAnn Night Fri\n",
        sc,
    )
    return build_instance(sc, hist, [wd])


def _only_nurse(inst, n: int):
    """The instance with nurse ``n`` alone (her history and requests, the same cover)."""
    sc = inst.scenario
    weeks = [replace(w, requests=tuple((0, s, d) for nn, s, d in w.requests if nn == n)) for w in inst.weeks]
    return build_instance(
        replace(sc, nurses=(sc.nurses[n],)), History(inst.history.week, (inst.history.nurses[n],)), weeks
    )


def _brute_force(inst, n: int, mu: np.ndarray) -> float:
    """Least own cost minus duals over every schedule of nurse ``n`` without a forbidden succession."""
    sc = inst.scenario
    skills = list(sc.nurses[n].skills)
    best = np.inf
    for pattern in itertools.product(range(-1, inst.n_shifts), repeat=inst.n_days):
        prev = inst.history.nurses[n].last_shift
        ok = True
        for s in pattern:
            if prev is not None and prev >= 0 and s >= 0 and s in sc.forbidden[prev]:
                ok = False
                break
            prev = s
        if ok:
            gain = sum(max(mu[d, s, k] for k in skills) for d, s in enumerate(pattern) if s >= 0)
            best = min(best, cg.column_cost(inst, n, pattern) - gain)
    return best


@pytest.mark.parametrize("history", ["Ann 0 0 Night 1 1 0", "Ann 0 1 None 0 0 1", "Ann 0 0 Early 3 6 0"])
def test_pricing_equals_brute_force_on_a_tiny_instance(history):
    """For random duals, the DP's least reduced cost equals the minimum over all 3^7 schedules,
    whatever the history (a Night before day 0, an off run, a work run beyond its maximum)."""
    inst = _tiny(history)
    rng = np.random.default_rng(3)
    forb = cg.forbidden_matrix(inst)
    p = cg.nurse_pricing(inst, 0)
    for _ in range(4):
        mu = rng.integers(0, 70, size=(inst.n_days, inst.n_shifts, inst.n_skills)).astype(float)
        value = cg.price_nurse(p, mu, forb)[0][0]
        assert value == pytest.approx(_brute_force(inst, 0, mu))


@needs_data
def test_pricing_equals_brute_force_on_a_week_of_n005():
    """Same identity on one week of n005w4 (three shifts, 4^7 schedules) for a nurse with history."""
    inst = read_instance(N005, 0, [1])
    mu = np.random.default_rng(5).integers(0, 80, size=(inst.n_days, inst.n_shifts, inst.n_skills)).astype(float)
    value = cg.price_nurse(cg.nurse_pricing(inst, 0), mu, cg.forbidden_matrix(inst))[0][0]
    assert value == pytest.approx(_brute_force(inst, 0, mu))


@needs_data
def test_column_cost_is_what_the_evaluator_charges_the_nurse():
    """Columns priced on n030w4 (several per call): the DP value plus the duals taken is the column's
    own cost, and that cost is the evaluator's total, less S1, on the instance cut down to that nurse."""
    inst = read_instance(DATA / "n030w4", 1, [6, 2, 9, 1])
    rng = np.random.default_rng(7)
    forb = cg.forbidden_matrix(inst)
    for n in range(0, inst.n_nurses, 3):
        alone = _only_nurse(inst, n)
        mu = rng.integers(0, 60, size=(inst.n_days, inst.n_shifts, inst.n_skills)).astype(float)
        for value, shifts, skills in cg.price_nurse(cg.nurse_pricing(inst, n), mu, forb, n_best=3):
            col = cg.Column(n, shifts, skills, cg.column_cost(inst, n, shifts))
            taken = sum(mu[d, s, k] for d, (s, k) in enumerate(zip(shifts, skills, strict=True)) if s >= 0)
            assert value == pytest.approx(col.cost - taken)
            rep = evaluate(alone, [a._replace(nurse=0) for a in col.assignments()])
            assert rep.hard_violations - rep.h2_under == 0
            assert col.cost == rep.total - rep.s1
            assert all(k in inst.scenario.nurses[n].skills for s, k in zip(shifts, skills, strict=True) if s >= 0)


@needs_data
def test_lp_bound_is_below_the_published_roster():
    """Column generation to convergence on n005w4 (history 0, weeks 1 2 3 3): the LP value is a lower
    bound, at most the cost of the validator's published roster (1695)."""
    inst = read_instance(N005, 0, [1, 2, 3, 3])
    roster = read_solution_files(sorted(next(N005.glob("Solution_H_0-WD_*")).glob("Sol-*.txt")), inst)
    plan = greedy(inst, np.random.default_rng(0))
    seed = [
        cg.Column(
            n,
            tuple(map(int, plan.shift[n])),
            tuple(map(int, plan.skill[n])),
            cg.column_cost(inst, n, tuple(map(int, plan.shift[n]))),
        )
        for n in range(inst.n_nurses)
    ]
    _, res = cg.column_generation(inst, seed, time.monotonic() + 60, threads=1)
    assert res.converged
    assert res.bound == pytest.approx(res.lp_value)
    assert res.bound <= evaluate(inst, roster).total == 1695
    assert (res.reduced_cost > -1e-6).all()  # converged: no column prices out


@needs_data
def test_lagrangian_bound_holds_before_convergence():
    """Stopped after a few LPs, the reported bound (Lagrangian) is still at most the optimum's LP value."""
    inst = read_instance(N005, 1, [5, 3, 1, 0])
    plan = greedy(inst, np.random.default_rng(1))
    seed = [
        cg.Column(
            n,
            tuple(map(int, plan.shift[n])),
            tuple(map(int, plan.skill[n])),
            cg.column_cost(inst, n, tuple(map(int, plan.shift[n]))),
        )
        for n in range(inst.n_nurses)
    ]
    _, early = cg.column_generation(inst, seed, time.monotonic() + 60, threads=1, max_iterations=6)
    _, full = cg.column_generation(inst, seed, time.monotonic() + 60, threads=1)
    assert full.converged and not early.converged
    assert early.bound <= full.lp_value + 1e-6


@needs_data
def test_best_response_sweeps_never_increase_the_cost():
    """Each nurse taking her exact best schedule against the others: the evaluator's cost (with
    minimum-cover shortfalls) never goes up, and a second pass from the result changes nothing."""
    inst = read_instance(DATA / "n030w4", 1, [6, 2, 9, 1])
    plan = greedy(inst, np.random.default_rng(2))
    before = evaluate(inst, plan.assignments())
    dp_sweeps(inst, plan, np.random.default_rng(3), float("inf"))
    after = evaluate(inst, plan.assignments())
    assert after.h1_single == after.h3_succession == after.h4_skill == 0
    assert after.total + 1000 * after.h2_under < before.total + 1000 * before.h2_under
    assert dp_sweeps(inst, plan, np.random.default_rng(4), float("inf")) == 0


@needs_data
def test_colgen_solver_returns_a_feasible_roster_costed_by_the_evaluator():
    """solve(method="colgen") on n005w4 in 5 s: feasible, objective = evaluator's total, bound below it."""
    inst = read_instance(N005, 2, [6, 7, 8, 9])
    res = solve(inst, 5.0, seed=0, method="colgen")
    cost = evaluate(inst, res.assignments)
    assert cost.feasible and res.objective == cost.total
    assert res.bound is not None and res.bound <= cost.total


@needs_data
@pytest.mark.slow
def test_lp_at_convergence_is_the_published_root_bound():
    """n030w4_1_6-2-9-1: the converged LP equals Legrain et al.'s root LP bound (1659.5, from
    best_known_static_w4.csv), below the optimum 1670."""
    inst = read_instance(DATA / "n030w4", 1, [6, 2, 9, 1])
    plan = greedy(inst, np.random.default_rng(0))
    seed = [
        cg.Column(
            n,
            tuple(map(int, plan.shift[n])),
            tuple(map(int, plan.skill[n])),
            cg.column_cost(inst, n, tuple(map(int, plan.shift[n]))),
        )
        for n in range(inst.n_nurses)
    ]
    _, res = cg.column_generation(inst, seed, time.monotonic() + 300, threads=2)
    assert res.converged
    assert res.lp_value == pytest.approx(1659.5, abs=0.05)


@needs_data
def test_best_skills_reaches_the_brute_force_cover_cost_per_day_and_shift():
    """With the shifts of a greedy n005w4 roster kept and its skills scrambled, re-choosing skills by the assignment problem
    gives, for every day and shift, the least cover cost (S1 plus the minimum-cover weight) over
    all skill combinations of the nurses working it, and no nurse's own cost changes."""
    inst = read_instance(N005, 1, [5, 3, 1, 0])
    plan = greedy(inst, np.random.default_rng(9))
    rng = np.random.default_rng(1)
    for n, d in zip(*np.nonzero(plan.shift >= 0), strict=True):  # scrambled skills: a cost of 3250 instead of 2680
        plan.skill[n, d] = rng.choice(inst.scenario.nurses[n].skills)
    own_before = nurse_costs(inst, plan)[0]
    best_skills(inst, plan)
    mins, opts = np.asarray(inst.minimum), np.asarray(inst.optimum)

    def cell_cost(d, s, picks):
        c = np.zeros(inst.n_skills, dtype=int)
        for k in picks:
            c[k] += 1
        return sum(
            30 * max(0, opts[d, s, k] - c[k]) + MIN_COVER_WEIGHT * max(0, mins[d, s, k] - c[k])
            for k in range(inst.n_skills)
        )

    for d in range(inst.n_days):
        for s in range(inst.n_shifts):
            nurses = np.nonzero(plan.shift[:, d] == s)[0]
            options = [inst.scenario.nurses[n].skills for n in nurses]
            best = min(cell_cost(d, s, picks) for picks in itertools.product(*options))
            assert cell_cost(d, s, [plan.skill[n, d] for n in nurses]) == best
    assert np.allclose(nurse_costs(inst, plan)[0], own_before)
    assert evaluate(inst, plan.assignments()).h4_skill == 0


@needs_data
def test_rebuilt_master_keeps_its_lp_value():
    """The fallback when GLOP's warm start fails: a master rebuilt from scratch, with a dive's
    restriction in force, has the same LP value as before."""
    inst = read_instance(N005, 0, [1, 2, 3, 3])
    plan = greedy(inst, np.random.default_rng(0))
    seed = [
        cg.Column(
            n,
            tuple(map(int, plan.shift[n])),
            tuple(map(int, plan.skill[n])),
            cg.column_cost(inst, n, tuple(map(int, plan.shift[n]))),
        )
        for n in range(inst.n_nurses)
    ]
    master, _ = cg.column_generation(inst, seed, time.monotonic() + 60, threads=1, max_iterations=15)
    master.fix_days([(0, 3, -1)])
    before = master.solve()[0]
    master._rebuild()
    assert master.solve()[0] == pytest.approx(before)
    assert len(master._vars) == len(master.columns)
