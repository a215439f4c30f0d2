"""How good a roster does ``build_roster`` make of the example staff in a given time?

On the shipped example (``scenarios/staff/``: 432 nurses, six units, 4 weeks, the
baseline's long day and night), one run measures with the same time limit:

1. ``greedy``      the greedy day-by-day roster alone (the solver's first solution);
2. ``whole``       one CP-SAT model of every nurse (``decompose=False``);
3. ``by_team``     team by team then the float pool (``decompose=True``, the default above 80 staff).

For each: total penalty (points, from the independent checker), people short of minimum
cover, wall seconds, and the ratio of its penalty to ``whole`` measured in the same run.
Usage::

    .venv/bin/python benchmarks/bench_roster.py                 # 60 s each
    .venv/bin/python benchmarks/bench_roster.py --time-limit 20

Prints a table and writes ``benchmarks/results/roster.json`` (``--json -`` to skip).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from hospital_twin.roster.io import (
    read_leave,
    read_requests,
    read_requirements,
    read_rules,
    read_staff,
)
from hospital_twin.roster.model import build_roster

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "scenarios" / "staff"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=str(HERE / "results" / "roster.json"))
    args = ap.parse_args()
    rules = read_rules(EXAMPLE / "rules.yaml")
    shifts = {k: (s.start, s.end) for k, s in rules.shifts.items()}
    staff = read_staff(EXAMPLE / "staff.csv")
    inputs = {
        "requirements": read_requirements(EXAMPLE / "requirements.csv", shifts),
        "leave": read_leave(EXAMPLE / "leave.csv", staff),
        "requests": read_requests(EXAMPLE / "requests.csv", staff, shifts),
    }
    runs = {
        "greedy": {"time_limit_s": 0.01, "decompose": True},
        "whole": {"time_limit_s": args.time_limit, "decompose": False},
        "by_team": {"time_limit_s": args.time_limit, "decompose": True},
    }
    out = {}
    for name, kw in runs.items():
        t0 = time.perf_counter()
        r = build_roster(
            staff,
            inputs["requirements"],
            rules,
            start_date=dt.date(2025, 1, 6),
            days=28,
            shifts=shifts,
            leave=inputs["leave"],
            requests=inputs["requests"],
            workers=args.workers,
            **kw,
        )
        wall = time.perf_counter() - t0
        out[name] = {
            "penalty": round(r.penalty, 2),
            "objective": round(r.objective, 2),
            "status": r.status,
            "short_of_min": int(r.cover["shortfall_min"].sum()),
            "wall_s": round(wall, 1),
            "time_limit_s": kw["time_limit_s"],
            "hard_breaches": len(r.hard_breaches),
        }
    ref = out["whole"]["penalty"]
    print(f"{'run':10s} {'penalty':>10s} {'short':>6s} {'wall s':>7s} {'vs whole':>9s}")
    for name, o in out.items():
        o["ratio_to_whole"] = round(o["penalty"] / ref, 3) if ref else None
        print(f"{name:10s} {o['penalty']:10,.1f} {o['short_of_min']:6d} {o['wall_s']:7.1f} {o['ratio_to_whole']:9.3f}")
    if args.json != "-":
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({"staff": len(staff), "days": 28, "workers": args.workers, "runs": out}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
