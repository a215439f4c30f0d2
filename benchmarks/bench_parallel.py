"""Parallel speed-up and memory of long runs, measured in one go.

1. Speed-up: the same R replications of a scenario (default: the baseline, 8 replications)
   serially, in local processes (all cores) and on a Dask local cluster; reports wall
   times, the speed-up over serial, and the Dask per-replication overhead
   ((dask wall - process wall) / R). Results are checked to be identical.
2. Memory: peak resident memory of one replication of the baseline run for 1 year and for
   10 years without the event log (each in a fresh interpreter), so the ratio shows
   whether memory grows with the horizon.

Run by hand: .venv/bin/python benchmarks/bench_parallel.py [--replications 8] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hospital_twin.experiment.executors import DaskExecutor, ProcessExecutor, SerialExecutor  # noqa: E402
from hospital_twin.experiment.runner import run_scenario  # noqa: E402
from hospital_twin.scenario import load_scenario  # noqa: E402

_MEMORY_CHILD = """
import resource, sys, time
from hospital_twin import load_scenario
from hospital_twin.experiment.runner import run_replication
s = load_scenario(sys.argv[1]).model_copy(update={"horizon_days": float(sys.argv[2])})
t = time.perf_counter()
run_replication(s, 0, keep_log=False, keep_census=False)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _timed(label, fn):
    t = time.perf_counter()
    res = fn()
    wall = time.perf_counter() - t
    print(f"  {label:<28} {wall:7.2f} s", flush=True)
    return wall, res


def speedup(scenario_path: Path, reps: int) -> dict:
    scn = load_scenario(scenario_path)
    cores = os.cpu_count() or 1
    print(f"speed-up: {scn.name}, {reps} replications x {scn.warmup_days + scn.horizon_days:g} days, {cores} cores")
    kw = {"replications": reps, "keep_log": False, "keep_census": False}
    t_serial, serial = _timed("serial", lambda: run_scenario(scn, executor=SerialExecutor(), **kw))
    t_proc, procs = _timed(
        f"local processes ({cores})", lambda: run_scenario(scn, executor=ProcessExecutor(cores), **kw)
    )
    t0 = time.perf_counter()
    with DaskExecutor(workers=cores) as dask:
        startup = time.perf_counter() - t0
        t_dask, on_dask = _timed(f"dask local cluster ({cores})", lambda: run_scenario(scn, executor=dask, **kw))
    print(f"  (dask cluster start-up {startup:.2f} s, not included)")
    pd.testing.assert_frame_equal(serial.summary, procs.summary)
    pd.testing.assert_frame_equal(serial.summary, on_dask.summary)
    out = {
        "scenario": scn.name,
        "replications": reps,
        "cores": cores,
        "serial_s": t_serial,
        "processes_s": t_proc,
        "dask_s": t_dask,
        "dask_startup_s": startup,
        "speedup_processes": t_serial / t_proc,
        "speedup_dask": t_serial / t_dask,
        "dask_overhead_per_rep_s": (t_dask - t_proc) / reps,
    }
    print(
        f"  speed-up: processes {out['speedup_processes']:.2f}x, dask {out['speedup_dask']:.2f}x; "
        f"dask overhead per replication vs processes {out['dask_overhead_per_rep_s']:+.3f} s; results identical"
    )
    return out


def memory(scenario_path: Path) -> dict:
    print("memory: one replication without the event log, fresh interpreter each")
    out = {}
    for days in (365, 3650):
        proc = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(scenario_path), str(days)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        secs, kb = proc.stdout.split()
        out[f"{days}d"] = {"seconds": float(secs), "peak_rss_mb": int(kb) / 1024}
        print(f"  {days:5d} days: {float(secs):6.1f} s, peak RSS {int(kb) / 1024:6.0f} MB")
    out["ratio_10y_to_1y"] = out["3650d"]["peak_rss_mb"] / out["365d"]["peak_rss_mb"]
    print(f"  peak memory 10 years / 1 year = {out['ratio_10y_to_1y']:.2f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "baseline.yaml")
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "parallel.json"))
    args = ap.parse_args()
    figures = {"load_average_before": os.getloadavg()[0], "speedup": speedup(args.scenario, args.replications)}
    if not args.no_memory:
        figures["memory"] = memory(args.scenario)
    figures["load_average_after"] = os.getloadavg()[0]
    if args.json != "-":
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
