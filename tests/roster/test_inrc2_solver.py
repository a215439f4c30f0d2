"""CP-SAT model and search for static INRC-II (hospital_twin.roster.inrc2.model, .search, .solve)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from hospital_twin.roster.inrc2.evaluate import evaluate
from hospital_twin.roster.inrc2.format import (
    Assignment,
    build_instance,
    parse_history,
    parse_scenario,
    parse_week_data,
    read_instance,
    read_solution_files,
)
from hospital_twin.roster.inrc2.model import Inrc2Model
from hospital_twin.roster.inrc2.search import block_swaps, greedy, nurse_costs
from hospital_twin.roster.inrc2.solve import SolveConfig, solve

N005 = Path("/work/shared/data/inrc2/n005w4")
needs_data = pytest.mark.skipif(not N005.is_dir(), reason="INRC-II data not present")


def _model_cost(inst, roster, **kw) -> int:
    """The model's objective with every decision fixed to ``roster``."""
    m = Inrc2Model(inst, **kw)
    on = {(a.nurse, a.day, a.shift, a.skill) for a in roster}
    for key, v in m.x.items():
        m.model.add(v == int(key in on))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m.model) == cp_model.OPTIMAL
    return int(round(solver.objective_value))


@needs_data
@pytest.mark.parametrize("history,weeks", [(0, [1, 2, 3, 3]), (1, [5, 3, 1, 0]), (2, [6, 7, 8, 9])])
def test_model_objective_equals_evaluator_on_published_rosters(history, weeks):
    """With the decisions fixed to a published roster, the CP-SAT objective is the evaluator's total
    (1695 for the validator's instance): the encoding of every soft constraint is exact."""
    inst = read_instance(N005, history, weeks)
    folder = next(N005.glob(f"Solution_H_{history}-WD_*"))
    roster = read_solution_files(sorted(folder.glob("Sol-*.txt")), inst)
    assert _model_cost(inst, roster) == evaluate(inst, roster).total


@needs_data
def test_model_objective_equals_evaluator_on_greedy_rosters_of_a_larger_instance():
    """Same identity on constructed rosters of n030w4, with the minimum cover soft (as in the search)."""
    inst = read_instance(N005.parent / "n030w4", 1, [6, 2, 9, 1])
    for seed in (0, 1):
        roster = greedy(inst, np.random.default_rng(seed)).assignments()
        c = evaluate(inst, roster)
        assert c.h3_succession == 0
        assert _model_cost(inst, roster, base_cover=None, min_cover_weight=1000) == c.total + 1000 * c.h2_under


def _one_nurse_week():
    sc = parse_scenario(
        "\n".join(
            [
                "SCENARIO = t1",
                "WEEKS = 1",
                "SKILLS = 1",
                "Nurse",
                "SHIFT_TYPES = 2",
                "Early (2,3)",
                "Night (2,3)",
                "FORBIDDEN_SHIFT_TYPES_SUCCESSIONS",
                "Early 0",
                "Night 1 Early",
                "CONTRACTS = 1",
                "C (3,5) (2,4) (2,3) 0 1",
                "NURSES = 1",
                "Ann C 1 Nurse",
            ]
        )
    )
    hist = parse_history("HISTORY\n0 t1\nNURSE_HISTORY\nAnn 0 0 Night 1 1 0\n", sc)
    wd = parse_week_data(
        "WEEK_DATA\nt1\nREQUIREMENTS\n"
        "Early Nurse (0,1) (0,1) (1,1) (0,0) (0,1) (0,0) (0,1)\n"
        "Night Nurse (0,0) (0,1) (0,0) (0,1) (0,1) (0,1) (0,0)\n"
        "SHIFT_OFF_REQUESTS = 2\nAnn Any Thu\nAnn Night Fri\n",
        sc,
    )
    return build_instance(sc, hist, [wd])


def test_solver_reaches_the_brute_force_optimum_of_a_tiny_instance():
    """One nurse, one week, history ending on a Night: the solver's cost equals the minimum over
    all 3^7 rosters enumerated with the evaluator, among those without hard violations."""
    inst = _one_nurse_week()
    best = None
    for pattern in itertools.product((-1, 0, 1), repeat=7):
        roster = [Assignment(0, d, s, 0) for d, s in enumerate(pattern) if s >= 0]
        c = evaluate(inst, roster)
        if c.feasible and (best is None or c.total < best):
            best = c.total
    res = solve(inst, 5.0, seed=1)
    assert evaluate(inst, res.assignments).feasible
    assert res.objective == evaluate(inst, res.assignments).total == best
    assert res.status == "OPTIMAL" and res.bound == best


@needs_data
def test_solver_returns_a_feasible_roster_whose_cost_is_the_evaluators():
    """n005w4 in 3 s: no hard violation, the reported objective equals the evaluator's total,
    the wall-clock limit holds, and the search improves on its greedy start."""
    inst = read_instance(N005, 0, [1, 2, 3, 3])
    res = solve(inst, 3.0, seed=0)
    cost = evaluate(inst, res.assignments)
    assert cost.feasible
    assert res.objective == cost.total
    assert res.wall_s < 3.5
    assert cost.total < evaluate(inst, greedy(inst, np.random.default_rng(0)).assignments()).total
    assert res.bound is None or res.bound <= cost.total


def test_deterministic_mode_repeats_itself():
    """deterministic=True with a capped number of neighbourhoods gives the same roster twice."""
    inst = _one_nurse_week()
    a = solve(inst, 30.0, seed=3, deterministic=True, max_iterations=4, bound_share=0.0)
    b = solve(inst, 30.0, seed=3, deterministic=True, max_iterations=4, bound_share=0.0)
    assert sorted(a.assignments) == sorted(b.assignments) and a.objective == b.objective


@needs_data
def test_parallel_neighbourhoods_return_a_feasible_roster_costed_by_the_evaluator():
    """Two neighbourhoods at once in two threads: the result is still feasible and exactly costed."""
    inst = read_instance(N005, 1, [5, 3, 1, 0])
    res = solve(inst, 2.0, seed=2, parallel_neighbourhoods=True, bound_share=0.0)
    cost = evaluate(inst, res.assignments)
    assert cost.feasible and res.objective == cost.total


@needs_data
def test_local_search_moves_never_increase_the_cost():
    """The block-swap / one-day-change local search from a greedy roster: the evaluator's cost
    after it is at most the cost before, and no hard violation appears."""
    inst = read_instance(N005.parent / "n030w4", 1, [6, 2, 9, 1])
    plan = greedy(inst, np.random.default_rng(4))
    before = evaluate(inst, plan.assignments())
    block_swaps(inst, plan, np.random.default_rng(5), float("inf"), nurse_costs(inst, plan)[0], max_moves=3000)
    after = evaluate(inst, plan.assignments())
    assert after.feasible and after.total < before.total


@needs_data
def test_annealed_local_search_restores_the_best_roster_it_met():
    """With a temperature worsening moves are taken, yet the roster returned is never worse than the start."""
    inst = read_instance(N005.parent / "n030w4", 1, [6, 2, 9, 1])
    plan = greedy(inst, np.random.default_rng(6))
    block_swaps(inst, plan, np.random.default_rng(7), float("inf"), nurse_costs(inst, plan)[0], max_moves=1000)
    before = evaluate(inst, plan.assignments())
    own = nurse_costs(inst, plan)[0]
    block_swaps(inst, plan, np.random.default_rng(8), float("inf"), own, max_moves=2000, temperature=50.0)
    after = evaluate(inst, plan.assignments())
    assert after.feasible and after.total <= before.total
    assert np.allclose(own, nurse_costs(inst, plan)[0])


def test_solve_config_and_keywords_are_the_same_settings():
    """solve(inst, t, seed=..., ...) is solve(inst, config=SolveConfig(time_limit_s=t, seed=..., ...));
    an unknown setting or method is refused."""
    inst = _one_nurse_week()
    a = solve(inst, 30.0, seed=3, deterministic=True, max_iterations=4, bound_share=0.0)
    b = solve(
        inst, config=SolveConfig(time_limit_s=30.0, seed=3, deterministic=True, max_iterations=4, bound_share=0.0)
    )
    assert sorted(a.assignments) == sorted(b.assignments) and (a.objective, a.iterations) == (b.objective, b.iterations)
    with pytest.raises(TypeError):
        solve(inst, 1.0, seeds=3)
    with pytest.raises(ValueError, match="method must be"):
        solve(inst, 1.0, method="tabu")
    assert SolveConfig(deterministic=True).search_method == "lns" and SolveConfig().search_method == "colgen"


def test_package_names_are_the_functions_whatever_was_imported_first():
    """``evaluate`` and ``solve`` are both modules and the functions they define: the package's
    re-exports are the functions even after the modules were imported (a fresh interpreter)."""
    code = (
        "import hospital_twin.roster.inrc2.solve, hospital_twin.roster.inrc2.evaluate\n"
        "from hospital_twin.roster.inrc2 import evaluate, solve, SolveConfig\n"
        "from hospital_twin.roster.inrc2.solve import SolveConfig as C\n"
        "assert callable(evaluate) and evaluate.__module__ == 'hospital_twin.roster.inrc2.evaluate'\n"
        "assert callable(solve) and solve.__module__ == 'hospital_twin.roster.inrc2.solve'\n"
        "assert C is SolveConfig\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
