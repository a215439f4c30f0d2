"""Smoke test of benchmarks/bench_sim.py: it runs, and both simulators do the same work.

No wall-time assertion (that would be flaky); the benchmark itself reports speed.
Seeds are fixed, so the statistical checks are deterministic; the tolerances are
loose because a few thousand customers of an M/M/20 at rho = 0.85 (mean stay 24 h)
are only a few hundred service times: across seeds the mean wait of 5,000
customers has a coefficient of variation of about 40%, P(wait) an sd of about 0.06.
They still catch gross errors (no queueing, waits in the wrong unit, a wrong load).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_sim.py"


def _load_bench():
    name = "bench_sim"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look the module up while the class is built
    spec.loader.exec_module(mod)
    return mod


bench = _load_bench()
PATIENTS = 5000


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    res = bench.main(["--quick", "--patients", str(PATIENTS), "--no-baseline", "--json", str(out)])
    return res, out


def test_erlang_c_known_values():
    # c = 1 is M/M/1: P(wait) = rho, Wq = rho / (mu - lambda)
    ec = bench.erlang_c(bench.MMc(servers=1, rho=0.5, mean_service_h=1.0))
    assert ec["p_wait"] == pytest.approx(0.5)
    assert ec["mean_wait_h"] == pytest.approx(1.0)
    # c = 20, a = 17 erlangs (tables: C ~ 0.385)
    ec = bench.erlang_c(bench.MMc())
    assert ec["p_wait"] == pytest.approx(0.38506, abs=1e-4)
    assert ec["mean_wait_h"] == pytest.approx(ec["p_wait"] * 24.0 / 3.0)


def test_mmc_scenario_matches_the_queue():
    q = bench.MMc()
    sc = bench.mmc_scenario(10_000, q)
    assert sc.warmup_days == 0
    assert sc.units["Q"].beds == q.servers and sc.units["Q"].when_full == "queue"
    assert sc.arrivals[0].per_day * sc.horizon_days == pytest.approx(10_000)
    los = sc.length_of_stay["Q"].to_distribution()
    assert los.mean_h == pytest.approx(q.mean_service_h)
    # offered load per bed
    assert sc.arrivals[0].per_day / 24.0 * los.mean_h / q.servers == pytest.approx(q.rho)


def test_quick_run_throughput_and_equal_work(quick):
    res, _ = quick
    ec = res["erlang_c"]
    for key in ("plain", "plain_predrawn", "project"):
        r = res[key]
        assert r["customers_per_s"] > 0 and r["best_s"] > 0, key
        assert abs(r["customers"] - PATIENTS) < 5 * math.sqrt(PATIENTS), key
        assert r["customers_served"] > 0.95 * r["customers"], key
        # against Erlang C
        assert abs(r["p_wait"] - ec["p_wait"]) < 0.2, (key, r["p_wait"], ec["p_wait"])
        assert ec["mean_wait_h"] / 3 < r["mean_wait_h"] < 3 * ec["mean_wait_h"], (key, r["mean_wait_h"])
    # against each other
    p, s = res["plain"], res["project"]
    assert abs(p["p_wait"] - s["p_wait"]) < 0.25
    assert 1 / 3 < s["mean_wait_h"] / p["mean_wait_h"] < 3
    assert res["ratio_project_vs_plain"] > 0
    assert res["postprocess"]["total_s"] > 0
    assert res["postprocess"]["adt_log"]["rows"] == s["customers_served"]


def test_quick_run_writes_json(quick):
    res, path = quick
    data = json.loads(path.read_text())
    assert data["config"]["patients"] == PATIENTS and data["config"]["repeats"] == 1
    for key in ("python", "simpy", "cpu_count"):
        assert data["machine"][key], key
    assert data["project"]["customers_per_s"] == pytest.approx(res["project"]["customers_per_s"])
    assert "baseline" not in data


def test_baseline_falls_back_to_the_example(tmp_path):
    b = bench.bench_baseline(1, tmp_path / "no_such_baseline.yaml")
    assert b["scenario_file"].endswith("icu_to_ward.yaml")
    assert "does not exist" in b["fallback_note"]
    assert b["patients_per_rep"] > 0 and b["stays_per_rep"] > 0
    assert b["patient_events_per_rep"] >= 2 * b["stays_per_rep"]
    assert b["events_per_s"] > 0
