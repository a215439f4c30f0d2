"""Back-test of the live twin's forecaster (issue 5): is the forecast calibrated, and does it beat persistence?

A long replication of the scenario (the truth, with its own seed) is cut every 3 days
at a clock hour that moves on 5 hours each time; at each cut the census snapshot is
forecast 72 hours ahead three ways (warm start, fresh stays, persistence) and scored
against the truth's census: coverage of the 90% interval, MAE (and the MAE the
forecast expects of itself), bias, PIT histogram. See hospital_twin/live/backtest.py.

Run by hand:
    .venv/bin/python benchmarks/backtest_forecast.py [--scenario scenarios/baseline.yaml] [--cuts 60]
        [--replications 200] [--workers 2] [--out results/backtest-<scenario>]

Prints the table by horizon (ALL, then each unit) and writes scores.csv, pit.csv,
errors.csv and run.json to --out. Targets (issue 5): coverage of the 90% interval
between 85% and 95%; MAE at least 30% lower than persistence at 24 h and beyond.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hospital_twin.live.backtest import HORIZONS_H, backtest  # noqa: E402
from hospital_twin.scenario import load_scenario  # noqa: E402


def table(scores: pd.DataFrame, unit: str) -> pd.DataFrame:
    """One unit's figures by horizon: coverage and MAE of each method, warm start's MAE ratio to persistence."""
    s = scores[scores["unit"] == unit]
    w = s.pivot_table(
        index="horizon_h", columns="method", values=["coverage_90", "pit_coverage_90", "mae", "expected_mae", "bias"]
    )
    out = pd.DataFrame(
        {
            "n": s[s["method"] == "warm_start"].set_index("horizon_h")["n"],
            "mean_census": s[s["method"] == "persistence"].set_index("horizon_h")["mean_census"],
            "cover90_warm": w["coverage_90"]["warm_start"],
            "pit90_warm": w["pit_coverage_90"]["warm_start"],
            "cover90_fresh": w["coverage_90"].get("fresh_stays"),
            "mae_warm": w["mae"]["warm_start"],
            "mae_expected": w["expected_mae"]["warm_start"],
            "mae_fresh": w["mae"].get("fresh_stays"),
            "mae_persist": w["mae"]["persistence"],
            "bias_warm": w["bias"]["warm_start"],
        }
    )
    out["warm/persist"] = out["mae_warm"] / out["mae_persist"]
    if "fresh_stays" in w["mae"]:
        out["warm/fresh"] = out["mae_warm"] / out["mae_fresh"]
    return out


def _wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``p`` observed in ``n`` trials."""
    if n == 0:
        return float("nan"), float("nan")
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return centre - half, centre + half


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "baseline.yaml"))
    ap.add_argument("--cuts", type=int, default=60)
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--every-h", type=float, default=72.0, help="hours between cuts (default 72)")
    ap.add_argument("--seed", type=int, default=None, help="forecast seed (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=None, help="folder for the tables (default results/backtest-<scenario stem>)")
    args = ap.parse_args(argv)

    scenario = load_scenario(args.scenario)
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} cuts  {time.perf_counter() - t0:6.0f} s", end="", file=sys.stderr, flush=True)

    bt = backtest(
        scenario,
        cuts=args.cuts,
        replications=args.replications,
        every_h=args.every_h,
        seed=args.seed,
        workers=args.workers,
        on_progress=progress,
    )
    print(file=sys.stderr)
    p = bt.provenance
    print(
        f"# {scenario.name}: {p['cuts']} cuts {p['first_cut']} .. {p['last_cut']} every {p['every_h']:g} h, "
        f"{p['replications']} replications per forecast, seeds forecast {p['seed']} / truth {p['truth_seed']}, "
        f"{p['elapsed_s']:.0f} s on {p['executor']}"
    )
    units = ["ALL"] + [u for u in scenario.units if u in set(bt.scores["unit"])]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        for u in units:
            print(f"\n## {u}")
            print(table(bt.scores, u).to_string())
        pit = bt.pit[bt.pit["method"] == "warm_start"].pivot_table(index="unit", columns="bin", values="share")
        print("\n## PIT histogram, warm start, horizons 1-72 h (10 bins; 0.100 each when calibrated)")
        print(pit.reindex([u for u in units if u in pit.index]).to_string())
    h = bt.scores[(bt.scores["method"] == "warm_start") & (bt.scores["horizon_h"] > 0)]
    cov = h.groupby("unit")["coverage_90"].mean()
    pcov = h.groupby("unit")["pit_coverage_90"].mean()
    ratio = h[h["horizon_h"] >= 24].set_index(["unit", "horizon_h"])["mae_vs_persistence"]
    print("\n## Targets (warm start)")
    print(
        "coverage of the 90% interval, mean over horizons 4-72 h: "
        + ", ".join(f"{u} {100 * cov[u]:.1f}%" for u in units if u in cov.index)
        + "  (target 85-95%)"
    )
    print(
        "  the same with the interval's end atoms counted by halves (PIT in [0.05, 0.95]): "
        + ", ".join(f"{u} {100 * pcov[u]:.1f}%" for u in units if u in pcov.index)
    )
    allh = h[h["unit"] == "ALL"].set_index("horizon_h")
    if len(allh):
        print(
            "ALL coverage by horizon with a 95% Wilson interval over cuts (cuts 72 h apart are nearly independent): "
            + "; ".join(
                f"{k} h {100 * c:.1f}% ({100 * lo:.1f}-{100 * hi:.1f})"
                for k, c, (lo, hi) in ((k, r.coverage_90, _wilson(r.coverage_90, int(r.n))) for k, r in allh.iterrows())
            )
        )
    print(
        "MAE / persistence MAE at 24, 48, 72 h: "
        + "; ".join(f"{u} " + "/".join(f"{ratio.get((u, k), float('nan')):.2f}" for k in (24, 48, 72)) for u in units)
        + "  (target <= 0.70)"
    )

    out = Path(args.out) if args.out else REPO / "results" / f"backtest-{Path(args.scenario).stem}"
    out.mkdir(parents=True, exist_ok=True)
    bt.scores.to_csv(out / "scores.csv", index=False)
    bt.pit.to_csv(out / "pit.csv", index=False)
    bt.errors.to_csv(out / "errors.csv", index=False, date_format="%Y-%m-%dT%H:%M:%S")
    (out / "run.json").write_text(
        json.dumps({**p, "scenario_file": str(args.scenario), "horizons_h": list(HORIZONS_H)}, indent=2) + "\n"
    )
    print(f"\ntables written to {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
