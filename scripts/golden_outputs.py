"""Byte-for-byte outputs of the command line on fixed seeds, to prove a refactoring changed nothing.

Runs ``run``, ``compare``, ``calibrate``, ``census``, ``forecast``, ``staffing``,
``roster inrc2 --deterministic`` and a few invalid inputs through ``python -m hospital_twin``
of the checkout given by ``--repo`` (so the commit before a move can be run from a git
worktree with the same virtual environment), and writes ``manifest.json``: the SHA-256 of
every output file whose bytes must not change, the exit codes, and the messages of the
invalid inputs. Files that record wall-clock times (``run.json``, ``report.html``) are left
out. Compare two manifests with ``--compare A B``.

Usage::

    git worktree add /tmp/before <commit>
    python scripts/golden_outputs.py --repo /tmp/before --out /tmp/golden-before
    python scripts/golden_outputs.py --repo . --out /tmp/golden-after
    python scripts/golden_outputs.py --compare /tmp/golden-before /tmp/golden-after

Inputs are copied into ``OUT/inputs`` and every command runs in ``OUT`` with relative
paths, so provenance text that names an input reads the same for both checkouts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

# (name, argv after `python -m hospital_twin`, files whose bytes must not change)
STEPS: list[tuple[str, list[str], list[str]]] = [
    (
        "run-icu",
        [
            "run",
            "inputs/scenarios/examples/icu_to_ward.yaml",
            "--replications",
            "3",
            "--seed",
            "5",
            "--workers",
            "1",
            "--format",
            "csv",
            "--out",
            "out/run-icu",
            "--no-report",
            "-q",
        ],
        [
            "out/run-icu/summary.csv",
            "out/run-icu/kpis.csv",
            "out/run-icu/census.csv",
            "out/run-icu/adt_log.csv",
            "out/run-icu/requests.csv",
            "out/run-icu/scenario.yaml",
        ],
    ),
    (
        "run-baseline",
        [
            "run",
            "inputs/scenarios/baseline.yaml",
            "--replications",
            "2",
            "--seed",
            "3",
            "--workers",
            "2",
            "--format",
            "csv",
            "--out",
            "out/run-baseline",
            "--no-report",
            "-q",
        ],
        [
            "out/run-baseline/summary.csv",
            "out/run-baseline/kpis.csv",
            "out/run-baseline/adt_log.csv",
            "out/run-baseline/requests.csv",
        ],
    ),
    (
        "compare",
        [
            "compare",
            "inputs/scenarios/baseline.yaml",
            "inputs/scenarios/whatif/winter_surge.yaml",
            "inputs/scenarios/whatif/more_icu_beds.yaml",
            "--replications",
            "3",
            "--seed",
            "1",
            "--workers",
            "2",
            "--format",
            "csv",
            "--out",
            "out/compare",
            "--no-report",
        ],
        ["out/compare/summary.csv", "out/compare/kpis.csv", "out/compare/comparison.csv"],
    ),
    (
        "calibrate-adt",
        [
            "calibrate",
            "out/run-icu/adt_log.csv",
            "--out",
            "out/calibrated_icu.yaml",
            "--rejects",
            "out/calibrated_icu_rejects.csv",
            "--seed",
            "2",
        ],
        ["out/calibrated_icu.yaml", "out/calibrated_icu_rejects.csv"],
    ),
    (
        "calibrate-xes",
        ["calibrate", "inputs/sepsis-mini.xes", "--out", "out/calibrated_sepsis.yaml", "--seed", "2"],
        ["out/calibrated_sepsis.yaml"],
    ),
    (
        "calibrate-mimic",
        ["calibrate", "inputs/mimic-iv-demo-mini", "--out", "out/calibrated_mimic.yaml", "--seed", "2"],
        ["out/calibrated_mimic.yaml"],
    ),
    (
        "census",
        ["census", "out/run-icu/adt_log.csv", "--at", "2025-05-01T10:00:00", "--rep", "1", "--out", "out/census.csv"],
        ["out/census.csv"],
    ),
    (
        "forecast",
        [
            "forecast",
            "inputs/scenarios/examples/icu_to_ward.yaml",
            "--census",
            "out/census.csv",
            "--now",
            "2025-05-01T10:00:00",
            "--hours",
            "48",
            "--replications",
            "20",
            "--seed",
            "4",
            "--workers",
            "1",
            "--out",
            "out/forecast",
            "--no-html",
        ],
        ["out/forecast/forecast.csv"],
    ),
    (
        "staffing",
        [
            "staffing",
            "inputs/scenarios/baseline.yaml",
            "--weeks",
            "2",
            "--replications",
            "2",
            "--eval-replications",
            "2",
            "--seed",
            "9",
            "--workers",
            "2",
            "--in-charge",
            "NIC=1",
            "--out",
            "out/staffing",
        ],
        [
            "out/staffing/levels.csv",
            "out/staffing/requirements.csv",
            "out/staffing/coverage.csv",
            "out/staffing/evaluation.csv",
        ],
    ),
    (
        "inrc2",
        [
            "roster",
            "inrc2",
            "inputs/n005w4",
            "--history",
            "0",
            "--weeks",
            "1",
            "2",
            "3",
            "3",
            "--time-limit",
            "2",
            "--seed",
            "0",
            "--deterministic",
            "--out",
            "out/inrc2",
        ],
        [],
    ),
    ("inrc2-fixed-iterations", ["-c", "INRC2"], ["out/inrc2_fixed.txt"]),
    ("invalid-date", ["validate", "inputs/bad_date.yaml"], []),
    ("invalid-route", ["validate", "inputs/bad_route.yaml"], []),
    ("invalid-missing", ["run", "inputs/does_not_exist.yaml"], []),
]

# The CLI's --deterministic still stops on the wall clock, so the byte check solves with a fixed
# number of neighbourhoods through the package (old and new import paths).
INRC2 = """
import json, sys
from pathlib import Path
from hospital_twin.roster.inrc2 import evaluate, read_instance, solution_text
try:
    from hospital_twin.roster.inrc2 import solve
except ImportError:
    from hospital_twin.roster.inrc2_solver import solve
inst = read_instance(Path("inputs/n005w4"), 0, [1, 2, 3, 3])
res = solve(inst, 120.0, seed=0, deterministic=True, max_iterations=12)
cost = evaluate(inst, res.assignments).to_dict()
text = json.dumps({"cost": cost, "objective": res.objective, "bound": res.bound, "status": res.status,
                   "iterations": res.iterations, "improvements": res.improvements}, indent=1, sort_keys=True)
sols = [solution_text(inst, res.assignments, k) for k in range(len(inst.weeks))]
Path("out/inrc2_fixed.txt").write_text(text + "\\n" + "\\n".join(sols))
"""

BAD_DATE = """name: bad date
start: "2025-13-06T00:00:00"
horizon_days: 10
units:
  WARD: {beds: 3}
arrivals:
  - {name: a, unit: WARD, per_day: 1}
length_of_stay:
  WARD: {distribution: exponential, mean_hours: 10}
"""
BAD_ROUTE = """name: bad route
start: 2025-01-06T00:00:00
horizon_days: 10
units:
  WARD: {beds: 3}
arrivals:
  - {name: a, unit: WARD, per_day: 1}
routes:
  WARD: {NOWHERE: 0.5, exit: 0.4}
length_of_stay:
  WARD: {distribution: exponential, mean_hours: 10}
"""


def _copy_inputs(repo: Path, out: Path) -> None:
    inputs = out / "inputs"
    shutil.copytree(repo / "scenarios", inputs / "scenarios")
    fixtures = repo / "scenarios" / "logs"
    if not fixtures.is_dir():  # before the samples moved out of tests/
        fixtures = repo / "tests" / "calibration" / "fixtures"
    shutil.copy(fixtures / "sepsis-mini.xes", inputs / "sepsis-mini.xes")
    shutil.copytree(fixtures / "mimic-iv-demo-mini", inputs / "mimic-iv-demo-mini")
    shutil.copytree(SHARED / "inrc2" / "n005w4", inputs / "n005w4")
    (inputs / "bad_date.yaml").write_text(BAD_DATE)
    (inputs / "bad_route.yaml").write_text(BAD_ROUTE)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def produce(repo: Path, out: Path, python: str) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    _copy_inputs(repo, out)
    env = {
        **os.environ,
        "PYTHONPATH": str(repo.resolve()),
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "PYTHONHASHSEED": "0",
    }
    manifest: dict = {"steps": {}}
    probe = subprocess.run(
        [python, "-c", "import hospital_twin; print(hospital_twin.__file__)"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    manifest["package"] = probe.stdout.strip()
    for name, argv, files in STEPS:
        cmd = [python, "-c", INRC2] if argv == ["-c", "INRC2"] else [python, "-m", "hospital_twin", *argv]
        proc = subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True)
        step = {"exit": proc.returncode, "files": {}}
        if not files:
            step["stderr"] = proc.stderr
        for f in files:
            p = out / f
            step["files"][f] = _sha(p) if p.exists() else "MISSING"
        if name == "inrc2":  # wall-clock bound: only that it wrote one file per week and cost.json
            step["written"] = sorted(p.name for p in (out / "out" / "inrc2").iterdir())
        manifest["steps"][name] = step
        print(f"{name}: exit {proc.returncode}", file=sys.stderr)
        if proc.returncode not in (0, 2):
            print(proc.stderr[-2000:], file=sys.stderr)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def compare(a: Path, b: Path) -> int:
    ma = json.loads((a / "manifest.json").read_text())
    mb = json.loads((b / "manifest.json").read_text())
    bad = 0
    for name, sa in ma["steps"].items():
        sb = mb["steps"].get(name)
        if sb is None:
            print(f"{name}: missing in {b}")
            bad += 1
            continue
        for key in ("exit", "stderr", "written"):
            if sa.get(key) != sb.get(key):
                print(f"{name}: {key} differs:\n  {sa.get(key)!r}\n  {sb.get(key)!r}")
                bad += 1
        for f, h in sa["files"].items():
            if sb["files"].get(f) != h:
                print(f"{name}: {f} differs")
                bad += 1
        n = len(sa["files"])
        print(f"{name}: exit {sa['exit']}, {n} file{'s' if n != 1 else ''} compared")
    print("IDENTICAL" if not bad else f"{bad} DIFFERENCES")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        ap.error("--out is required unless --compare is given")
    m = produce(args.repo, args.out, args.python)
    print(f"package: {m['package']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
