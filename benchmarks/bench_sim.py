"""How fast is the simulator? One run measures, on this machine:

1. ``plain``    an idiomatic plain-SimPy M/M/c script (a process per customer, a
                ``simpy.Resource``, an arrival process, numpy draws one at a time);
2. ``project``  hospital_twin's ``HospitalSim`` on the same queue (one unit of c beds,
                ``when_full: queue``, exponential stays, no warm-up), simulation only,
                plus, separately, the post-processing into tables (``rep_kpis``,
                ``census``, ``adt_log``);
3. a sanity check that both did the same work: mean wait and share who waited, next
   to the Erlang C values;
4. one replication of the baseline hospital (``scenarios/baseline.yaml``, or the
   ``icu_to_ward`` example when there is none), in simulated patient-events per second.

Also measured, for information: ``plain_predrawn``, the same plain-SimPy script with
all random variates drawn up front in two numpy arrays, which removes the per-draw
numpy call overhead from the plain script (the fair "tuned plain SimPy" comparison).

Timings are wall-clock (``time.perf_counter``), best of ``--repeats`` runs, garbage
collector left on (as in real use). Usage::

    .venv/bin/python benchmarks/bench_sim.py            # 200,000 customers, best of 3
    .venv/bin/python benchmarks/bench_sim.py --quick    # 20,000 customers, 1 repeat
    .venv/bin/python benchmarks/bench_sim.py --patients 500000 --repeats 5

Prints a table and writes ``benchmarks/results/latest.json`` (``--json PATH`` to change,
``--json -`` to skip). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from hospital_twin import results as ht_results
from hospital_twin.scenario import Scenario, load_scenario
from hospital_twin.sim.model import HospitalSim
from hospital_twin.sim.records import STAY_FIELDS, SimOutput

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_JSON = HERE / "results" / "latest.json"
BASELINE = REPO / "scenarios" / "baseline.yaml"
FALLBACK = REPO / "scenarios" / "examples" / "icu_to_ward.yaml"

DEFAULT_PATIENTS = 200_000
QUICK_PATIENTS = 20_000
WAIT_EPS_H = 1e-9  # a wait longer than this counts as "waited"

_F = {name: i for i, name in enumerate(STAY_FIELDS)}


# --------------------------------------------------------------------------- the queue
@dataclass(frozen=True)
class MMc:
    """An M/M/c queue: ``servers`` servers, offered load ``rho`` per server, times in hours."""

    servers: int = 20
    rho: float = 0.85
    mean_service_h: float = 24.0  # one-day mean stay: a bed, not a bank teller

    @property
    def arrival_rate_h(self) -> float:
        return self.rho * self.servers / self.mean_service_h

    @property
    def mean_gap_h(self) -> float:
        return 1.0 / self.arrival_rate_h

    @property
    def per_day(self) -> float:
        return self.arrival_rate_h * 24.0

    def horizon_days(self, customers: int) -> float:
        """Simulated days in which ``customers`` arrive on average."""
        return customers / self.per_day


def erlang_c(q: MMc) -> dict[str, float]:
    """Exact steady-state P(wait) and mean wait (hours) of an M/M/c queue (Erlang C)."""
    c, a = q.servers, q.rho * q.servers  # a: offered load in erlangs
    b = 1.0  # Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    p_wait = c * b / (c - a * (1.0 - b))
    mean_wait_h = p_wait * q.mean_service_h / (c - a)
    return {"p_wait": p_wait, "mean_wait_h": mean_wait_h}


def wait_stats(waits: np.ndarray, batches: int = 20) -> dict[str, float]:
    """Mean wait, share who waited, and a batch-means 95% half-width of the mean wait.

    ``waits`` must be in the order the customers arrived or were served (consecutive
    waits are strongly correlated; batch means keep the half-width honest).
    """
    waits = np.asarray(waits, dtype=float)
    n = len(waits)
    out = {
        "customers_served": int(n),
        "mean_wait_h": float(waits.mean()) if n else math.nan,
        "p_wait": float((waits > WAIT_EPS_H).mean()) if n else math.nan,
        "mean_wait_halfwidth_h": math.nan,
    }
    if n >= batches * 50:
        m = n // batches
        means = waits[: m * batches].reshape(batches, m).mean(axis=1)
        out["mean_wait_halfwidth_h"] = float(2.093 * means.std(ddof=1) / math.sqrt(batches))  # t(0.975, 19)
    return out


# --------------------------------------------------------------------------- 1. plain SimPy
def plain_simpy_mmc(customers: int, q: MMc, seed: int = 1) -> dict[str, Any]:
    """The textbook SimPy M/M/c: a process per customer, ``Resource``, draws one at a time.

    Runs until the ``customers``-th customer has arrived (those still waiting or in
    service then are not finished, as in the project model at its horizon).
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=q.servers)
    waits: list[float] = []
    mean_gap, mean_service = q.mean_gap_h, q.mean_service_h

    def customer(env: simpy.Environment):
        arrived = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(mean_service))

    def arrivals(env: simpy.Environment):
        for _ in range(customers):
            yield env.timeout(rng.exponential(mean_gap))
            env.process(customer(env))

    env.run(until=env.process(arrivals(env)))
    return {"arrivals": customers, "waits": waits, "end_h": env.now}


def plain_simpy_mmc_predrawn(customers: int, q: MMc, seed: int = 1) -> dict[str, Any]:
    """As :func:`plain_simpy_mmc`, but every variate drawn up front in one numpy call each."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(q.mean_gap_h, customers).tolist()
    services = rng.exponential(q.mean_service_h, customers).tolist()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=q.servers)
    waits: list[float] = []

    def customer(env: simpy.Environment, service: float):
        arrived = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def arrivals(env: simpy.Environment):
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(env, service))

    env.run(until=env.process(arrivals(env)))
    return {"arrivals": customers, "waits": waits, "end_h": env.now}


# --------------------------------------------------------------------------- 2. the project
def mmc_scenario(customers: int, q: MMc, seed: int = 1) -> Scenario:
    """One unit of ``q.servers`` beds, Poisson arrivals, exponential stays, no warm-up."""
    return Scenario.model_validate(
        {
            "name": f"bench M/M/{q.servers}",
            "start": "2025-01-06T00:00:00",
            "horizon_days": q.horizon_days(customers),
            "warmup_days": 0,
            "replications": 1,
            "seed": seed,
            "units": {"Q": {"beds": q.servers, "when_full": "queue"}},
            "arrivals": [{"name": "arrivals", "unit": "Q", "per_day": q.per_day}],
            "length_of_stay": {"Q": {"distribution": "exponential", "mean_hours": q.mean_service_h}},
        }
    )


def project_run(scenario: Scenario) -> SimOutput:
    """What is timed for the project: the simulation of replication 0, nothing else."""
    return HospitalSim(scenario, rep=0).run()


def project_waits(out: SimOutput) -> np.ndarray:
    """Waits of every patient who got a bed, in the order they asked for it."""
    s = out.stays
    order = np.argsort(s[:, _F["ready_at"]], kind="stable")
    return (s[:, _F["start"]] - s[:, _F["ready_at"]])[order]


def postprocess(out: SimOutput) -> dict[str, Any]:
    """What ``experiment.run_replication`` does after the simulation."""
    return {
        "rep_kpis": ht_results.rep_kpis(out),
        "census": ht_results.census(out),
        "adt_log": ht_results.adt_log(out),
    }


# --------------------------------------------------------------------------- 4. baseline hospital
def patient_events(out: SimOutput) -> int:
    """Stay starts and ends, ED assessments, rejections and cancellations of one replication."""
    s = out.stays
    ed_units = [i for i, spec in enumerate(out.scenario.units.values()) if spec.ed is not None]
    ed_seen = int((np.isin(s[:, _F["unit"]], ed_units) & ~np.isnan(s[:, _F["seen_at"]])).sum()) if ed_units else 0
    return 2 * len(s) + ed_seen + len(out.rejections) + len(out.cancellations)


def pick_baseline(path: Path | None = None) -> tuple[Scenario, Path, str | None]:
    """The baseline scenario, or the icu_to_ward example with the reason it was used instead."""
    path = BASELINE if path is None else Path(path)
    if path.exists():
        try:
            return load_scenario(path), path, None
        except Exception as exc:  # noqa: BLE001 - any failure means: fall back, and say why
            note = f"{_rel(path)} does not load ({type(exc).__name__}: {str(exc).splitlines()[0]})"
    else:
        note = f"{_rel(path)} does not exist yet"
    return load_scenario(FALLBACK), FALLBACK, f"{note}; used {_rel(FALLBACK)} instead"


def bench_baseline(repeats: int, path: Path | None = None) -> dict[str, Any]:
    scenario, used, note = pick_baseline(path)
    t = time_best(lambda: project_run(scenario), repeats)
    out: SimOutput = t.pop("result")
    events = patient_events(out)
    return {
        "scenario_file": _rel(used),
        "scenario_name": scenario.name,
        "fallback_note": note,
        "simulated_days": scenario.warmup_days + scenario.horizon_days,
        "units": len(scenario.units),
        "patients_per_rep": len(out.arrivals),
        "stays_per_rep": len(out.stays),
        "rejections_per_rep": len(out.rejections),
        "cancellations_per_rep": len(out.cancellations),
        "patient_events_per_rep": events,
        "events_per_s": events / t["best_s"],
        "patients_per_s": len(out.arrivals) / t["best_s"],
        **t,
    }


# --------------------------------------------------------------------------- timing
def time_once(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds (perf_counter), CPU seconds of this process (process_time), result."""
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    t1, c1 = time.perf_counter(), time.process_time()
    return t1 - t0, c1 - c0, result


def time_best(fn: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Run ``fn`` ``repeats`` times; best and all wall times, best CPU time, the last result."""
    times, cpu, result = [], [], None
    for _ in range(max(1, repeats)):
        result = None  # free the previous run's records before the next one
        w, c, result = time_once(fn)
        times.append(w)
        cpu.append(c)
    return {"best_s": min(times), "times_s": times, "best_cpu_s": min(cpu), "result": result}


def gc_cost(fn: Callable[[], Any]) -> dict[str, Any]:
    """One extra, untimed-for-the-table run of ``fn``: wall time and time spent in the cyclic GC."""
    spent = {0: 0.0, 1: 0.0, 2: 0.0}
    count = {0: 0, 1: 0, 2: 0}
    t0 = [0.0]

    def cb(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            t0[0] = time.perf_counter()
        else:
            g = info["generation"]
            spent[g] += time.perf_counter() - t0[0]
            count[g] += 1

    gc.callbacks.append(cb)
    try:
        wall, _cpu, result = time_once(fn)
    finally:
        gc.callbacks.remove(cb)
    del result
    return {
        "run_s": wall,
        "gc_s": sum(spent.values()),
        "gc_gen2_s": spent[2],
        "collections": sum(count.values()),
        "gen2_collections": count[2],
    }


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def run_benchmark(
    patients: int = DEFAULT_PATIENTS,
    repeats: int = 3,
    *,
    seed: int = 1,
    queue: MMc | None = None,
    baseline: bool = True,
    baseline_path: Path | None = None,
    predrawn: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every measurement; returns the JSON-ready figures.

    The M/M/c contenders run interleaved (round 1: plain, pre-drawn, project; round 2:
    ...), so that a change in machine load during the run hits them alike.
    """
    q = queue or MMc()
    say = log or (lambda _msg: None)
    res: dict[str, Any] = {
        "config": {
            "patients": patients,
            "repeats": repeats,
            "seed": seed,
            **asdict(q),
            "per_day": q.per_day,
            "horizon_days": q.horizon_days(patients),
        },
        "erlang_c": erlang_c(q),
        "load_average_before": _load(),
    }
    say("warm-up (imports, first calls) ...")
    warm = project_run(mmc_scenario(500, q, seed))
    plain_simpy_mmc(500, q, seed), plain_simpy_mmc_predrawn(500, q, seed), postprocess(warm)
    del warm
    scenario = mmc_scenario(patients, q, seed)
    contenders: dict[str, Callable[[], Any]] = {"plain": lambda: plain_simpy_mmc(patients, q, seed)}
    if predrawn:
        contenders["plain_predrawn"] = lambda: plain_simpy_mmc_predrawn(patients, q, seed)
    contenders["project"] = lambda: project_run(scenario)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in contenders}
    last: dict[str, Any] = {}
    for r in range(repeats):
        for name, fn in contenders.items():
            say(f"round {r + 1}/{repeats}: {name} ({patients:,} customers) ...")
            last[name] = None  # free the previous round's records first
            w, c, last[name] = time_once(fn)
            times[name].append((w, c))

    def figures(name: str, customers: int, waits: np.ndarray) -> dict[str, Any]:
        wall = [w for w, _ in times[name]]
        best = min(wall)
        return {
            "best_s": best,
            "times_s": wall,
            "best_cpu_s": min(c for _, c in times[name]),
            "customers": customers,
            "customers_per_s": customers / best,
            **wait_stats(waits),
        }

    for name in ("plain", "plain_predrawn"):
        if name in last:
            r = last.pop(name)
            res[name] = figures(name, r["arrivals"], np.asarray(r["waits"]))
            del r
    out: SimOutput = last.pop("project")
    n = len(out.arrivals)
    res["project"] = figures("project", n, project_waits(out))
    say("project once more, measuring garbage-collection time ...")
    res["project"]["gc"] = gc_cost(lambda: project_run(scenario))
    res["plain"]["gc"] = gc_cost(lambda: plain_simpy_mmc(patients, q, seed))
    res["ratio_project_vs_plain"] = res["project"]["customers_per_s"] / res["plain"]["customers_per_s"]
    res["ratio_project_vs_plain_cpu"] = (n / res["project"]["best_cpu_s"]) / (
        res["plain"]["customers"] / res["plain"]["best_cpu_s"]
    )
    if predrawn:
        res["ratio_project_vs_plain_predrawn"] = (
            res["project"]["customers_per_s"] / res["plain_predrawn"]["customers_per_s"]
        )

    say("post-processing (rep_kpis, census, adt_log) ...")
    post: dict[str, Any] = {}
    for name, fn in (("rep_kpis", ht_results.rep_kpis), ("census", ht_results.census), ("adt_log", ht_results.adt_log)):
        tt = time_best(lambda fn=fn, out=out: fn(out), repeats)
        post[name] = {"best_s": tt["best_s"], "times_s": tt["times_s"], "rows": len(tt["result"])}
    post["total_s"] = sum(post[k]["best_s"] for k in ("rep_kpis", "census", "adt_log"))
    res["postprocess"] = post
    full = res["project"]["best_s"] + post["total_s"]
    res["project_with_tables"] = {
        "best_s": full,
        "customers_per_s": n / full,
        "ratio_vs_plain": (n / full) / res["plain"]["customers_per_s"],
    }
    del out

    if baseline:
        say("baseline hospital, one replication ...")
        res["baseline"] = bench_baseline(repeats, baseline_path)
    res["load_average_after"] = _load()
    res["machine"] = machine_facts()
    return res


# --------------------------------------------------------------------------- report
def machine_facts() -> dict[str, Any]:
    import pandas

    facts: dict[str, Any] = {
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        facts["git_commit"] = commit + ("+dirty" if dirty else "") if commit else None
    except (OSError, subprocess.SubprocessError):
        facts["git_commit"] = None
    return facts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(REPO))
    except ValueError:
        return str(p)


def format_report(res: dict[str, Any]) -> str:
    cfg, ec = res["config"], res["erlang_c"]
    lines: list[str] = []
    add = lines.append
    m = res.get("machine", {})
    add(
        f"hospital_twin simulator benchmark  ({m.get('python_implementation', '')} {m.get('python', '')}, "
        f"SimPy {m.get('simpy', '')}, {m.get('cpu_count', '?')} CPUs, {m.get('processor', '')})"
    )
    add(
        f"M/M/{cfg['servers']} queue, rho = {cfg['rho']}, mean service {cfg['mean_service_h']:g} h, "
        f"{cfg['patients']:,} arrivals, best of {cfg['repeats']}"
    )
    add("")
    hdr = f"{'':<38}{'customers':>10}{'best s':>9}{'cpu s':>8}{'cust/s':>11}{'mean wait h':>18}{'P(wait)':>9}"
    add(hdr)
    add("-" * len(hdr))

    def row(label: str, r: dict[str, Any]) -> None:
        hw = r.get("mean_wait_halfwidth_h", math.nan)
        w = f"{r['mean_wait_h']:.3f}" + (f" ±{hw:.3f}" if not math.isnan(hw) else "")
        add(
            f"{label:<38}{r['customers']:>10,}{r['best_s']:>9.3f}{r['best_cpu_s']:>8.3f}{r['customers_per_s']:>11,.0f}{w:>18}"
            f"{r['p_wait']:>9.4f}"
        )

    row("plain SimPy (process + Resource)", res["plain"])
    if "plain_predrawn" in res:
        row("plain SimPy, variates pre-drawn *", res["plain_predrawn"])
    row("hospital_twin HospitalSim.run()", res["project"])
    add(f"{'Erlang C (exact, steady state)':<38}{'':>27}{'':>11}{ec['mean_wait_h']:>18.3f}{ec['p_wait']:>9.4f}")
    add("")
    ratio = res["ratio_project_vs_plain"]
    verdict = "meets the 1.5 aim" if ratio >= 1.5 else ("meets target >= 1.0" if ratio >= 1.0 else "BELOW target 1.0")
    add(f"ratio project / plain SimPy (customers/s):           {ratio:6.2f}   ({verdict})")
    add(f"  same ratio from CPU time (process_time):           {res['ratio_project_vs_plain_cpu']:6.2f}")
    if "ratio_project_vs_plain_predrawn" in res:
        add(
            f"ratio project / plain SimPy with pre-drawn variates: {res['ratio_project_vs_plain_predrawn']:6.2f}   (*information)"
        )
    add("time in the cyclic garbage collector (one extra run each):")
    for key, label in (("project", "hospital_twin"), ("plain", "plain SimPy")):
        g = res[key].get("gc")
        if g:
            add(
                f"  {label:<14}{g['gc_s']:6.3f} s of {g['run_s']:.3f} s  ({g['collections']} collections, "
                f"{g['gen2_collections']} full ones taking {g['gc_gen2_s']:.3f} s)"
            )
    la, lb, ncpu = res.get("load_average_before"), res.get("load_average_after"), m.get("cpu_count") or 1
    if la and lb:
        busy = max(la[0], lb[0]) > 0.5 * ncpu
        add(
            f"load average before/after: {la[0]:.2f} / {lb[0]:.2f} on {ncpu} CPUs"
            + ("  -- machine busy: wall times may be noisy; rerun, or compare the CPU-time ratio" if busy else "")
        )
    add("")
    post = res["postprocess"]
    add("post-processing of that replication (not in the ratio):")
    for k in ("rep_kpis", "census", "adt_log"):
        add(f"  results.{k:<10}{post[k]['best_s']:>8.3f} s   ({post[k]['rows']:,} rows)")
    add(f"  {'total':<18}{post['total_s']:>8.3f} s")
    pw = res["project_with_tables"]
    add(
        f"simulation + tables: {pw['best_s']:.3f} s = {pw['customers_per_s']:,.0f} customers/s "
        f"({pw['ratio_vs_plain']:.2f} x plain SimPy, which makes no tables)"
    )
    if "baseline" in res:
        b = res["baseline"]
        add("")
        add(
            f"baseline hospital: {b['scenario_file']}  ('{b['scenario_name']}', {b['units']} units, "
            f"{b['simulated_days']:g} days)"
        )
        if b["fallback_note"]:
            add(f"  NOTE: {b['fallback_note']}")
        add(f"  one replication (simulation only), best of {len(b['times_s'])}: {b['best_s']:.3f} s")
        add(
            f"  patients {b['patients_per_rep']:,}, stays {b['stays_per_rep']:,}, rejections "
            f"{b['rejections_per_rep']:,}, cancellations {b['cancellations_per_rep']:,}"
        )
        add(
            f"  patient-events {b['patient_events_per_rep']:,}  ->  {b['events_per_s']:,.0f} events/s "
            f"({b['patients_per_s']:,.0f} patients/s)"
        )
    return "\n".join(lines)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, np.generic):
        return x.item()
    return x


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--patients",
        type=int,
        default=None,
        help=f"customers arriving in the M/M/c runs (default {DEFAULT_PATIENTS:,}; --quick {QUICK_PATIENTS:,})",
    )
    ap.add_argument("--repeats", type=int, default=None, help="runs per measurement, best kept (default 3; --quick 1)")
    ap.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_PATIENTS:,} customers, 1 repeat")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--baseline", type=Path, default=None, help="scenario file for part 4 (default scenarios/baseline.yaml)"
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip part 4 (the baseline hospital)")
    ap.add_argument("--no-predrawn", action="store_true", help="skip the informational pre-drawn plain-SimPy variant")
    ap.add_argument("--json", default=str(DEFAULT_JSON), help="where to write the figures ('-' = don't)")
    args = ap.parse_args(argv)
    patients = args.patients if args.patients is not None else (QUICK_PATIENTS if args.quick else DEFAULT_PATIENTS)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if patients < 1 or repeats < 1:
        ap.error("--patients and --repeats must be >= 1")

    res = run_benchmark(
        patients,
        repeats,
        seed=args.seed,
        baseline=not args.no_baseline,
        baseline_path=args.baseline,
        predrawn=not args.no_predrawn,
        log=lambda s: print(s, file=sys.stderr, flush=True),
    )
    res["config"]["argv"] = sys.argv[1:] if argv is None else list(argv)
    print(format_report(res))
    if args.json != "-":
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_jsonable(res), indent=2) + "\n")
        print(f"\nfigures written to {_rel(path)}")
    return res


if __name__ == "__main__":
    main()
