"""The statistical error rate of the capacity planner's feasibility check (issue 17), over repeated plans.

One M/M/c unit (Poisson arrivals, exponential stays of 4 h, queue when full) at offered load a = 2.5,
lever WARD.beds = 3..14, target WARD.waited_share <= BOUND at 95%. The truth is Erlang C: a candidate c
is feasible when C(c, a) <= BOUND. Each repetition plans with a different seed (and confirms on fresh
seeds); the script counts, over every candidate the repetitions simulated:

- false feasible: declared feasible although C(c, a) > BOUND (what the confidence controls: <= 5%);
- false infeasible: declared infeasible although C(c, a) <= BOUND;
- undecided at the cap (not shown either way: never accepted);

and over repetitions: how often the answer is the Erlang answer, one above it (the confidence held a
feasible c back) or below it (a wrong answer), and how often the confirmation failed.

Two cases: ``separated`` (BOUND 0.2: C(4) = 0.32, C(5) = 0.13) and ``near`` (BOUND 0.30: c = 4 misses
by 0.02 only, the hard case for false feasibility). A finite run of 100 days is a biased estimate of
the steady state; at this horizon the bias is well under the margins (the Erlang C tests of the suite).

Run by hand:
    .venv/bin/python benchmarks/plan_error_rate.py [--repetitions 100] [--workers 2] [--case near]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hospital_twin.planning.lever import parse_lever  # noqa: E402
from hospital_twin.planning.plan import PlanSettings, plan_capacity  # noqa: E402
from hospital_twin.planning.target import parse_target  # noqa: E402
from hospital_twin.scenario.schema import Scenario  # noqa: E402

A, MEAN_H = 2.5, 4.0
CASES = {"separated": 0.20, "near": 0.30}


def erlang_c(c: int, a: float) -> float:
    """Erlang C from the Erlang B recursion (1 for an unstable queue)."""
    if a >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def scenario(seed: int) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "mmc",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 100,
            "warmup_days": 5,
            "seed": seed,
            "units": {"WARD": {"beds": 3, "when_full": "queue"}},
            "arrivals": [{"name": "adm", "unit": "WARD", "per_day": A * 24 / MEAN_H}],
            "length_of_stay": {"WARD": {"distribution": "exponential", "mean_hours": MEAN_H}},
        }
    )


def one(args: tuple[int, float]) -> dict:
    seed, bound = args
    s = scenario(seed)
    plan = plan_capacity(
        s,
        [parse_lever("WARD.beds=3..14", s)],
        [parse_target(f"WARD.waited_share<={bound}", s)],
        [1.0],
        PlanSettings(replications=4, max_replications=32),
    )
    t = plan.candidates[plan.candidates["phase"] == "search"]
    rows = [(int(c), str(v), int(n)) for c, v, n in zip(t["WARD.beds"], t["verdict"], t["replications"], strict=True)]
    conf = plan.answer["confirmation"]
    return {
        "chosen": (plan.chosen or {}).get("WARD.beds"),
        "rows": rows,
        "confirmed": conf["confirmed"] if conf else None,
        "sims": plan.answer["effort"]["search_simulations"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repetitions", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--case", choices=[*CASES, "both"], default="both")
    args = ap.parse_args()
    for case in CASES if args.case == "both" else [args.case]:
        bound = CASES[case]
        truth = min(c for c in range(3, 15) if erlang_c(c, A) <= bound)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            reps = list(pool.map(one, [(10_000 + i, bound) for i in range(args.repetitions)]))
        secs = time.perf_counter() - t0
        ff = fi = und = n = 0
        for r in reps:
            for c, verdict, _ in r["rows"]:
                n += 1
                feasible = erlang_c(c, A) <= bound
                ff += verdict == "feasible" and not feasible
                fi += verdict == "infeasible" and feasible
                und += verdict == "undecided"
        right = sum(r["chosen"] == truth for r in reps)
        above = sum(r["chosen"] is not None and r["chosen"] > truth for r in reps)
        below = sum(r["chosen"] is not None and r["chosen"] < truth for r in reps)
        unconfirmed = sum(r["confirmed"] is False for r in reps)
        sims = sum(r["sims"] for r in reps) / len(reps)
        print(
            f"{case}: bound {bound}, Erlang answer c = {truth} (C({truth - 1}) = {erlang_c(truth - 1, A):.3f}, "
            f"C({truth}) = {erlang_c(truth, A):.3f}); {len(reps)} plans in {secs:.0f} s"
        )
        print(f"  answers: right {right}, above {above}, below {below}; confirmation failed {unconfirmed}")
        print(
            f"  verdicts on {n} candidates: false feasible {ff} ({ff / n:.1%}), false infeasible {fi} "
            f"({fi / n:.1%}), undecided at the cap {und}; replications per plan {sims:.1f} "
            f"(every candidate at the first look alone: {12 * 4})"
        )


if __name__ == "__main__":
    main()
