"""INRC-II static 4-week benchmark: our CP-SAT roster solver against the best known bounds.

Runs every instance of ``best_known_static_w4.csv`` (20, from the INRC-II data folder) with
:func:`hospital_twin.roster.inrc2.solve.solve` at ``--time-limit`` wall seconds each, checks
each roster with the independent evaluator and writes a table: instance, our cost, best known
upper bound (UB) and lower bound (LB) from the literature, gap to the best known in %, the
lower bound our run proved (column generation's LP or Lagrangian bound with ``--method colgen``,
the default; CP-SAT's with ``lns``), feasibility and wall seconds. The machine's load
average is recorded per instance: on a shared machine the CPU we got is part of the result.

    .venv/bin/python benchmarks/bench_inrc2.py                     # 60 s each, about 21 minutes
    .venv/bin/python benchmarks/bench_inrc2.py --time-limit 10 --only n030w4_1_6-2-9-1

Output: ``benchmarks/results/inrc2_w4_<time-limit>s.csv`` and ``.md`` (git-ignored) and the
table on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from hospital_twin.roster.inrc2.evaluate import evaluate
from hospital_twin.roster.inrc2.format import read_instance
from hospital_twin.roster.inrc2.solve import SolveConfig, solve

DATA = Path("/work/shared/data/inrc2")


def _instance_args(row) -> tuple[Path, int, list[int]]:
    history = int(row.initial_history_file.rsplit("-", 1)[1].split(".")[0])
    weeks = [int(w.rsplit("-", 1)[1].split(".")[0]) for w in row.week_data_files.split()]
    return DATA / row.dataset, history, weeks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0, help="wall seconds per instance (default 60)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--method",
        choices=["colgen", "lns"],
        default="colgen",
        help="solve()'s method: column generation + dive + LNS (default) or the earlier LNS alone",
    )
    ap.add_argument("--data", type=Path, default=DATA, help="INRC-II data folder")
    ap.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args(argv)

    table = pd.read_csv(args.data / "best_known_static_w4.csv")
    if args.only:
        table = table[table["instance"].isin(args.only)]
    rows = []
    for row in table.itertuples():
        folder, history, weeks = _instance_args(row)
        folder = args.data / row.dataset
        load0 = os.getloadavg()[0]
        t0 = time.monotonic()
        inst = read_instance(folder, history, weeks)
        res = solve(inst, config=SolveConfig(time_limit_s=args.time_limit, seed=args.seed, method=args.method))
        wall = time.monotonic() - t0
        cost = evaluate(inst, res.assignments)
        ours = cost.total if cost.feasible else None
        rows.append(
            {
                "instance": row.instance,
                "cost": ours,
                "best_ub": row.best_ub,
                "best_lb": row.best_lb,
                "gap_pct": None if ours is None else round(100.0 * (ours - row.best_ub) / row.best_ub, 1),
                "our_bound": res.bound,
                "feasible": cost.feasible,
                "seconds": round(wall, 1),
                "neighbourhoods": res.iterations,
                "load_avg_1min": round((load0 + os.getloadavg()[0]) / 2, 1),
            }
        )
        print(f"{row.instance}: {ours} vs {row.best_ub} ({rows[-1]['gap_pct']}%), {wall:.1f} s", file=sys.stderr)
    df = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = (
        args.out / f"inrc2_w4_{args.time_limit:g}s"
        if args.method == "colgen"
        else args.out / f"inrc2_w4_{args.time_limit:g}s_{args.method}"
    )
    df.to_csv(stem.with_suffix(".csv"), index=False)
    mean_gap = df["gap_pct"].mean()
    md = df.to_markdown(index=False) if _has_tabulate() else df.to_string(index=False)
    summary = (
        f"\nmean gap to best known: {mean_gap:.1f}% over {df['gap_pct'].notna().sum()} instances; "
        f"feasible {int(df['feasible'].sum())}/{len(df)}; time limit {args.time_limit:g} s, seed {args.seed}, "
        f"method {args.method}, "
        f"cores {os.cpu_count()}"
    )
    stem.with_suffix(".md").write_text(md + "\n" + summary + "\n")
    print(md)
    print(summary)
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
