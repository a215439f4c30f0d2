"""What a user waits for: the whole ``hospital-twin`` command, timed end to end on this machine.

One run times, alternating round by round (so a busy machine slows every command alike):

1. ``run``       ``hospital-twin run`` with its default outputs (tables on the terminal, the
                 results folder, ``report.html``) on an M/M/20 queue (rho 0.85, one-day mean
                 stay) of about 200,000 patients, one replication;
2. ``validate``  ``hospital-twin validate`` of the same file: the command's start-up and the
                 reading of the scenario, which ``run`` pays too;
3. ``plain``     the idiomatic plain-SimPy script of the same queue
                 (``bench_sim.plain_simpy_mmc``: a process per customer, ``simpy.Resource``,
                 one numpy draw at a time), its simulation time as it reports it.

It prints the medians and the ratio ``plain / (run - validate)``: above 1, the whole
``run`` command, results and report included, beyond its start-up, takes less than the
plain script takes to simulate the queue alone. ``--ref PATH`` also times the same
commands on another checkout (e.g. a worktree of ``main``) in the same rounds, for a
before/after; ``--baseline`` adds ``hospital-twin run scenarios/baseline.yaml`` (and
``--no-report``); ``report`` rows time ``hospital-twin report`` of those results folders. Usage::

    .venv/bin/python benchmarks/bench_cli.py                       # 200,000 patients, 3 rounds
    .venv/bin/python benchmarks/bench_cli.py --rounds 5 --ref ../main --baseline
    .venv/bin/python benchmarks/bench_cli.py --patients 20000 --rounds 1   # smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

SERVERS, RHO, MEAN_STAY_H = 20, 0.85, 24.0  # as bench_sim.MMc()


def mmc_yaml(patients: int) -> str:
    """The M/M/20 queue of ``bench_sim.mmc_scenario`` as a scenario file of about ``patients`` arrivals."""
    per_day = RHO * SERVERS / MEAN_STAY_H * 24.0
    return (
        f"name: bench M/M/{SERVERS}\n"
        "start: '2025-01-06T00:00:00'\n"
        f"horizon_days: {patients / per_day!r}\n"
        "warmup_days: 0\n"
        "replications: 1\n"
        "seed: 1\n"
        f"units:\n  Q: {{beds: {SERVERS}, when_full: queue}}\n"
        f"arrivals:\n  - {{name: arrivals, unit: Q, per_day: {per_day!r}}}\n"
        f"length_of_stay:\n  Q: {{distribution: exponential, mean_hours: {MEAN_STAY_H!r}}}\n"
    )


def _plain_child(patients: int) -> None:
    """Child mode: run the plain-SimPy script once and print its simulation time in seconds."""
    sys.path.insert(0, str(HERE))
    from bench_sim import MMc, plain_simpy_mmc

    t0 = time.perf_counter()
    plain_simpy_mmc(patients, MMc(servers=SERVERS, rho=RHO, mean_service_h=MEAN_STAY_H))
    print(time.perf_counter() - t0)


def _timed(cmd: list[str], repo: Path, cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(repo), "COLUMNS": "120"}
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patients", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every command; medians are reported")
    ap.add_argument("--ref", type=Path, default=None, help="another checkout timed in the same rounds")
    ap.add_argument("--baseline", action="store_true", help="also time `run scenarios/baseline.yaml`")
    ap.add_argument("--plain-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.plain_child is not None:
        _plain_child(args.plain_child)
        return 0

    py = sys.executable
    repos = {"this": REPO} | ({"ref": args.ref.resolve()} if args.ref else {})
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_cli_") as tmp:
        work = Path(tmp)
        scn = work / "mm20.yaml"
        scn.write_text(mmc_yaml(args.patients), encoding="utf-8")
        base = REPO / "scenarios" / "baseline.yaml"
        for r in range(args.rounds):
            for tag, repo in repos.items():
                cli = [py, "-m", "hospital_twin"]
                jobs = {
                    "--help": cli + ["--help"],
                    "validate": cli + ["validate", str(scn)],
                    "validate baseline": cli + ["validate", str(base)],
                    "run": cli + ["run", str(scn), "--out", str(work / f"out-{tag}")],
                    "report": cli + ["report", str(work / f"out-{tag}"), "--out", str(work / f"r-{tag}.html")],
                    "run --no-report": cli + ["run", str(scn), "--no-report", "--out", str(work / f"nr-{tag}")],
                }
                if args.baseline:
                    jobs["baseline run"] = cli + ["run", str(base), "--out", str(work / f"b-{tag}")]
                    jobs["baseline run --no-report"] = jobs["baseline run"][:-2] + [
                        "--no-report",
                        "--out",
                        str(work / f"bn-{tag}"),
                    ]
                    jobs["baseline report"] = cli + [
                        "report",
                        str(work / f"b-{tag}"),
                        "--out",
                        str(work / f"rb-{tag}.html"),
                    ]
                for what, cmd in jobs.items():
                    times.setdefault(f"{tag}: {what}", []).append(_timed(cmd, repo, work))
                    print(f"round {r + 1} {tag}: {what} {times[f'{tag}: {what}'][-1]:.2f} s", file=sys.stderr)
            out = subprocess.run(
                [py, __file__, "--plain-child", str(args.patients)], check=True, capture_output=True, text=True
            )
            times.setdefault("plain", []).append(float(out.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} plain {times['plain'][-1]:.2f} s", file=sys.stderr)

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"median of {args.rounds} rounds, {args.patients:,} patients, wall seconds")
    for k, v in med.items():
        print(f"  {k:<36} {v:7.2f}")
    for tag in repos:
        beyond = med[f"{tag}: run"] - med[f"{tag}: validate"]
        print(
            f"{tag}: run - validate = {beyond:.2f} s; plain / (run - validate) = {med['plain'] / beyond:.2f}"
            f"  (--no-report: {med['plain'] / (med[f'{tag}: run --no-report'] - med[f'{tag}: validate']):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
