"""The planner's answers against queueing theory and brute force.

- one unit, Poisson arrivals, exponential stays, queue when full (M/M/c), target: share who waited
  for a bed <= 0.2: the answer is the smallest c with Erlang C(c, a) <= 0.2;
- a loss unit (``when_full: reject``, M/M/c/c), target: share turned away <= 1%: the smallest c with
  Erlang B(c, a) <= 1%;
- two units in tandem with a cost per bed: the answer is the brute-force best over the whole grid,
  every point simulated on the same seeds, and the confirmation on fresh seeds meets every target.

Loads are chosen so that neighbouring bed numbers sit well apart from the bound (C(c - 1) and
C(c) are 0.32 and 0.13 at a = 2.5), so the tests are stable; stays are short (hours) so a
replication of 100 days has thousands of patients and runs in a fraction of a second.
"""

from __future__ import annotations

import pytest

from hospital_twin.planning.lever import parse_lever
from hospital_twin.planning.plan import PlanSettings, plan_capacity
from hospital_twin.planning.target import parse_target
from tests.helpers import erlang_b, erlang_c, scenario, seed, single_unit, stay

MEAN_H = 4.0


def _smallest(f, a: float, bound: float) -> int:
    c = 1
    while c <= a or f(c, a) > bound:
        c += 1
    return c


def _single(when_full: str, a: float, mean_h: float = MEAN_H):
    return single_unit(
        beds=3,
        when_full=when_full,
        per_day=a * 24.0 / mean_h,
        los=stay("exponential", mean_h),
        horizon_days=100,
        warmup_days=5,
        seed=seed(11),
    )


@pytest.mark.parametrize("a", [2.5, 4.0])
def test_plan_mmc_answer_is_the_smallest_c_with_erlang_c_at_most_0_2(a):
    """Lever WARD.beds, target WARD.waited_share <= 0.2: the planner answers the Erlang C bed number."""
    s = _single("queue", a)
    expected = _smallest(erlang_c, a, 0.2)
    assert erlang_c(expected - 1, a) > 0.27 and erlang_c(expected, a) < 0.14  # well separated
    plan = plan_capacity(
        s,
        [parse_lever("WARD.beds=3..14", s)],
        [parse_target("WARD.waited_share<=0.2", s)],
        [1.0],
        PlanSettings(replications=4, max_replications=32),
    )
    assert plan.chosen == {"WARD.beds": expected}
    assert plan.answer["confirmation"]["confirmed"]
    assert plan.answer["effort"]["candidates_simulated"] < 12  # bisection, not the whole range


@pytest.mark.slow
def test_plan_mmc_confidence_matters_just_above_the_bound():
    """With the bound a hair above C(c - 1), c - 1 meets it in truth but cannot be shown to: the answer stays c."""
    a = 2.5
    c = _smallest(erlang_c, a, 0.2)
    s = _single("queue", a)
    bound = erlang_c(c - 1, a) + 0.003
    plan = plan_capacity(
        s,
        [parse_lever("WARD.beds=3..14", s)],
        [parse_target(f"WARD.waited_share<={bound:.4f}", s)],
        [1.0],
        PlanSettings(replications=4, max_replications=32),
    )
    assert plan.chosen == {"WARD.beds": c}
    below = plan.candidates[(plan.candidates["WARD.beds"] == c - 1) & (plan.candidates["phase"] == "search")]
    assert below["verdict"].iloc[0] == "undecided"
    assert below["replications"].iloc[0] == 32  # replications were added up to the cap before giving up


@pytest.mark.slow
def test_plan_loss_unit_answer_is_the_smallest_c_with_erlang_b_at_most_1pc():
    """Lever WARD.beds on a loss unit, target WARD.rejected_share <= 0.01: the Erlang B bed number."""
    a = 3.0
    s = _single("reject", a, mean_h=2.0)
    expected = _smallest(erlang_b, a, 0.01)
    assert erlang_b(expected - 1, a) > 0.02
    plan = plan_capacity(
        s,
        [parse_lever("WARD.beds=3..14", s)],
        [parse_target("WARD.rejected_share<=1%", s)],
        [1.0],
        PlanSettings(replications=4, max_replications=32),
    )
    assert plan.chosen == {"WARD.beds": expected}
    assert plan.answer["confirmation"]["confirmed"]


@pytest.fixture(scope="module")
def tandem():
    """Two queueing units in tandem (A then B), a cost per bed, and the planner and brute force on one grid."""
    s = scenario(
        units={"A": {"beds": 4, "when_full": "queue"}, "B": {"beds": 4}},
        arrivals=[{"name": "adm", "unit": "A", "per_day": 2.5 * 24 / MEAN_H}],
        routes={"A": {"B": 1.0}},
        length_of_stay={"A": stay("exponential", MEAN_H), "B": stay("exponential", 1.5 * MEAN_H)},
        horizon_days=60,
        warmup_days=5,
        seed=seed(21),
    )
    levers = [parse_lever("A.beds=3..8", s), parse_lever("B.beds=4..10", s)]
    targets = [parse_target("A.waited_share<=0.2", s), parse_target("B.waited_share<=0.2", s)]
    rates = [100.0, 130.0]
    settings = PlanSettings(replications=4, max_replications=16)
    planner = plan_capacity(s, levers, targets, rates, settings)
    brute = plan_capacity(
        s,
        levers,
        targets,
        rates,
        PlanSettings(replications=4, max_replications=16, search="exhaustive", confirm=False, marginal=False),
    )
    return planner, brute


@pytest.mark.slow
def test_plan_tandem_answer_equals_brute_force_on_the_same_seeds(tandem):
    """The cheapest feasible candidate of the monotone search is the brute-force best of the whole grid."""
    planner, brute = tandem
    assert brute.answer["effort"]["candidates_simulated"] == 6 * 7
    assert planner.chosen is not None
    assert planner.chosen == brute.chosen
    # the same seeds give the same verdict to every candidate both searches tried
    cols = ["A.beds", "B.beds", "verdict", "replications"]
    p = planner.candidates[planner.candidates["phase"] == "search"][cols]
    b = brute.candidates[cols]
    merged = p.merge(b, on=["A.beds", "B.beds"], suffixes=("", "_brute"))
    assert len(merged) == len(p)
    assert (merged["verdict"] == merged["verdict_brute"]).all()


@pytest.mark.slow
def test_plan_tandem_confirmation_on_fresh_seeds_meets_every_target(tandem):
    """The answer, re-run on seeds the search never used, meets each target at its confidence."""
    planner, _ = tandem
    conf = planner.answer["confirmation"]
    assert conf["seed"] != planner.answer["settings"]["seed"]
    assert conf["confirmed"]
    assert all(f["verdict"] == "meets" for f in conf["figures"])


@pytest.mark.slow
def test_plan_tandem_needs_fewer_replications_than_brute_force(tandem):
    """The planner simulates a fraction of the replications of brute force on the same grid (the saving)."""
    planner, brute = tandem
    used = planner.answer["effort"]["search_simulations"]
    all_ = brute.answer["effort"]["search_simulations"]
    print(f"planner {used} replications, brute force {all_}: saving {1 - used / all_:.0%}")
    assert used < 0.6 * all_


@pytest.mark.slow
def test_plan_dated_window_needs_the_beds_of_its_surge():
    """A target dated to a surge (arrivals x 1.6, a = 4) needs the surge's Erlang C beds; over the run, fewer do."""
    a = 2.5
    surge = {"from": "2025-02-20T00:00:00", "to": "2025-03-27T00:00:00", "factor": 1.6}
    s = scenario(
        units={"WARD": {"beds": 3, "when_full": "queue"}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": a * 24.0 / MEAN_H, "multipliers": [surge]}],
        length_of_stay={"WARD": stay("exponential", MEAN_H)},
        horizon_days=100,
        warmup_days=5,
        seed=seed(31),
    )
    lever = parse_lever("WARD.beds=3..14", s)
    settings = PlanSettings(replications=4, max_replications=16, confirm=False, marginal=False)
    in_surge = plan_capacity(
        s, [lever], [parse_target("WARD.waited_share<=0.2@2025-02-25..2025-03-26", s)], [1.0], settings
    )
    whole = plan_capacity(s, [lever], [parse_target("WARD.waited_share<=0.2", s)], [1.0], settings)
    assert in_surge.chosen == {"WARD.beds": _smallest(erlang_c, 1.6 * a, 0.2)}
    assert whole.chosen["WARD.beds"] < in_surge.chosen["WARD.beds"]
