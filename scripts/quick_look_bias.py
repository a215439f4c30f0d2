"""Measure the bias of the app's quick look on the baseline and store it for the app to quote.

The app's default run is the scenario's own (the baseline: 364 days after 28 days' warm-up); its
"quick look" measures 28 days (``experiment.runlength.quick_look``). This runs both on
``scenarios/baseline.yaml`` (independent seeds: the scenario's for the full run, the scenario's + 1
for the quick look; 10 replications each by default), compares their main measures with
``reporting.quick_look.window_bias`` and writes ``app/quick_look_bias.json``, which the Run and
Compare pages quote when the settings are shorter than the scenario's. Rerun it whenever the
baseline changes (the app says when the stored figures are for an earlier baseline).

Usage::

    python scripts/quick_look_bias.py [--replications 10] [--workers 2]

About 1-2 minutes on two cores (a year of the baseline takes about 5 s a replication).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from hospital_twin import __version__
from hospital_twin.experiment.runlength import default_run_length, quick_look
from hospital_twin.experiment.runner import run_scenario, scenario_hash
from hospital_twin.reporting.quick_look import bias_sentences, main_measures, window_bias
from hospital_twin.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "app" / "quick_look_bias.json"


def _run(scenario, length, replications: int, seed: int, workers: int):
    s = scenario.model_copy(
        update={"horizon_days": float(length.horizon_days), "warmup_days": float(length.warmup_days)}
    )
    r = run_scenario(s, replications=replications, seed=seed, workers=workers, keep_log=False)
    return main_measures(r.kpis, r.census, r.scenario)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    scenario = load_scenario(REPO / "scenarios" / "baseline.yaml")
    full, quick = default_run_length(scenario), quick_look(scenario)
    reference = _run(scenario, full, a.replications, scenario.seed, a.workers)
    short = _run(scenario, quick, a.replications, scenario.seed + 1, a.workers)
    table = window_bias(short, reference)
    out = {
        "scenario": "scenarios/baseline.yaml",
        "scenario_hash": scenario_hash(scenario),
        "measured_on": dt.date.today().isoformat(),
        "package_version": __version__,
        "quick": {"horizon_days": quick.horizon_days, "warmup_days": quick.warmup_days, "seed": scenario.seed + 1},
        "full": {"horizon_days": full.horizon_days, "warmup_days": full.warmup_days, "seed": scenario.seed},
        "replications": a.replications,
        "biased": bias_sentences(table),
        "within": [r.words for r in table.itertuples() if not r.beyond],
        "table": json.loads(table.to_json(orient="records")),
    }
    a.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.out}")
    for line in out["biased"]:
        print(" biased:", line)
    print(" within their intervals:", ", ".join(out["within"]) or "none")


if __name__ == "__main__":
    main()
