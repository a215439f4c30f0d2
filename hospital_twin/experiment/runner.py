"""Replications of a scenario, serially or in worker processes, gathered into a RunResult.

A replication's result depends only on ``(scenario, seed, rep)``: each worker derives
its own random streams from those, so ``workers=1`` and ``workers=4`` give identical
tables. No printing and no files here; progress is reported through a callback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hospital_twin import results
from hospital_twin._lazy import lazy_module
from hospital_twin._version import __version__
from hospital_twin.experiment.executors import Executor, make_executor
from hospital_twin.experiment.warmup import (
    WarmupChoice,
    default_pilot_days,
    inpatient_units,
    warmup_from_census,
)
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim.model import HospitalSim

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    import pandas as pd
else:
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "DEFAULT_PRECISION_METRICS",
    "RepResult",
    "RunResult",
    "choose_warmup",
    "run_replication",
    "run_scenario",
    "scenario_hash",
]


@dataclass(frozen=True)
class RepResult:
    """Tables of one replication."""

    rep: int
    kpis: pd.DataFrame
    census: pd.DataFrame | None
    adt_log: pd.DataFrame | None
    requests: pd.DataFrame | None = None
    """Requests that never got a bed (:func:`hospital_twin.results.unmet_requests`), kept with the log."""


@dataclass(frozen=True)
class RunResult:
    """All replications of one scenario, with provenance."""

    scenario: Scenario
    kpis: pd.DataFrame
    summary: pd.DataFrame
    census: pd.DataFrame | None
    adt_log: pd.DataFrame | None
    provenance: dict = field(default_factory=dict)
    requests: pd.DataFrame | None = None
    """Requests that never got a bed, all replications (with ``adt_log``; ``requests.*`` in the results folder)."""

    @property
    def name(self) -> str:
        return self.scenario.name


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON (what was simulated, not how the file looked)."""
    data = scenario.model_dump(mode="json", by_alias=True)
    data.pop("extends", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


class _Collector:
    """Sink for a running replication: adds closed records to the totals, keeps stays for the log if asked."""

    def __init__(self, totals: results.StayTotals, keep_stays: bool):
        self.totals = totals
        self.blocks: list[np.ndarray] = []
        self.keep_stays = keep_stays

    def add_stays(self, block: np.ndarray) -> None:
        self.totals.add_stays(block)
        if self.keep_stays:
            self.blocks.append(block)

    def add_arrivals(self, block: np.ndarray) -> None:
        self.totals.add_arrivals(block)


def run_replication(
    scenario: Scenario,
    rep: int,
    seed: int | None = None,
    *,
    keep_census: bool = True,
    keep_log: bool = True,
    fold_every_h: float = 24.0 * 7,
) -> RepResult:
    """Simulate replication ``rep`` and tabulate it.

    Closed stays are folded into running totals every ``fold_every_h`` simulated hours,
    so memory does not grow with the horizon unless the event log is kept.
    """
    sim = HospitalSim(scenario, rep, seed)
    totals = results.StayTotals(scenario, sim.unit_names, sim.class_names, sim._n_sources)
    collector = _Collector(totals, keep_log)
    sim._sink = collector
    sim._fold_every_h = fold_every_h
    out = sim.run()
    kpis = results.rep_kpis(out, totals=totals)
    log = None
    if keep_log:
        log = results.adt_log(dataclasses.replace(out, stays=np.concatenate(collector.blocks + [out.stays])))
    return RepResult(
        rep=rep,
        kpis=kpis,
        census=results.census(out, totals=totals) if keep_census else None,
        adt_log=log,
        requests=results.unmet_requests(out) if keep_log else None,
    )


def _concat(frames: list[pd.DataFrame | None]) -> pd.DataFrame | None:
    frames = [f for f in frames if f is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


DEFAULT_PRECISION_METRICS: tuple[tuple[str, str], ...] = (
    ("occupancy_mean", "ALL"),
    ("wait_for_bed_mean_h", "ALL"),
)
"""KPIs whose relative half-width ``--precision`` controls unless told otherwise."""


def _precision_status(summary: pd.DataFrame, metrics, target: float) -> dict:
    """Relative half-width of each controlled KPI; KPIs with a zero mean cannot be controlled."""
    status = {}
    for metric, unit in metrics:
        row = summary[(summary["metric"] == metric) & (summary["unit"] == unit)]
        if row.empty:
            continue
        r = row.iloc[0]
        half = (r["ci_high"] - r["ci_low"]) / 2
        if not math.isfinite(half) or abs(r["mean"]) < 1e-12:
            rel = math.nan if abs(r["mean"]) >= 1e-12 else 0.0
        else:
            rel = half / abs(r["mean"])
        status[f"{metric}@{unit}"] = {
            "mean": float(r["mean"]),
            "relative_half_width": float(rel),
            "met": bool(rel <= target),
        }
    return status


def run_scenario(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    keep_census: bool = True,
    keep_log: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    precision: float | None = None,
    precision_metrics: tuple[tuple[str, str], ...] = DEFAULT_PRECISION_METRICS,
    max_replications: int = 200,
) -> RunResult:
    """Run ``replications`` (default: the scenario's) and summarise them.

    ``executor`` (or, without one, ``workers`` > 1 local processes) decides where
    replications run; results are identical either way. With ``precision`` (relative
    95% half-width, e.g. 0.05), replications are added in batches until every KPI in
    ``precision_metrics`` reaches it or ``max_replications`` is hit; the provenance says
    how many were needed and whether the target was met.
    ``on_progress(done, total)`` is called as replications finish.
    """
    n = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if n < 1:
        raise ValueError("replications must be >= 1")
    if precision is not None and not (0 < precision < 1):
        raise ValueError("precision is a relative half-width between 0 and 1, e.g. 0.05")
    started = dt.datetime.now(dt.UTC)
    warmup_note: dict | None = None
    if scenario.warmup_is_auto:
        choice = choose_warmup(scenario, seed=seed, workers=workers)
        scenario = choice.apply(scenario)
        warmup_note = {
            "method": "MSER-5 on the mean hourly census of pilot runs started empty",
            "warmup_days": choice.warmup_days,
            "driver": choice.driver,
            "by_unit": choice.by_unit,
            "inconclusive": choice.inconclusive,
            "pilot_replications": choice.pilot_replications,
            "pilot_days": choice.pilot_days,
        }
    own_executor = executor is None
    if executor is None:
        executor = make_executor(min(workers, max(n, 1)))
    try:
        reps, status = _replications(
            scenario,
            n,
            seed,
            executor,
            keep_census,
            keep_log,
            on_progress,
            precision,
            precision_metrics,
            max_replications,
        )
    finally:
        if own_executor:
            executor.close()
    kpis = pd.concat([r.kpis for r in reps], ignore_index=True)
    finished = dt.datetime.now(dt.UTC)
    provenance = {
        "scenario": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "replications": len(reps),
        "executor": executor.description,
        "warmup_days": scenario.warmup_days,
        "horizon_days": scenario.horizon_days,
        "package_version": __version__,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "cpu_count": os.cpu_count(),
    }
    if warmup_note is not None:
        provenance["warmup_auto"] = warmup_note
    if precision is not None:
        provenance["precision"] = {
            "target_relative_half_width": precision,
            "met": all(v["met"] for v in status.values()),
            "max_replications": max_replications,
            "kpis": status,
        }
    return RunResult(
        scenario=scenario,
        kpis=kpis,
        summary=results.summarise(kpis),
        census=_concat([r.census for r in reps]),
        adt_log=_concat([r.adt_log for r in reps]),
        provenance=provenance,
        requests=_concat([r.requests for r in reps]),
    )


def _replications(
    scenario: Scenario,
    n: int,
    seed: int,
    executor: Executor,
    keep_census: bool,
    keep_log: bool,
    on_progress,
    precision: float | None,
    precision_metrics,
    max_replications: int,
):
    """Replications ``0..n-1`` (more in batches while ``precision`` is not met), sorted by ``rep``, and the
    precision status of the controlled KPIs (empty without ``precision``)."""
    reps: list[RepResult] = []
    target = max(n, 2) if precision is not None else n
    status: dict = {}
    while True:
        tasks = [(scenario, rep, seed, keep_census, keep_log) for rep in range(len(reps), target)]
        for _i, result in executor.map_unordered(_replication_task, tasks):
            reps.append(result)
            if on_progress:
                on_progress(len(reps), target)
        if precision is None:
            break
        kpis = pd.concat([r.kpis for r in reps], ignore_index=True)
        status = _precision_status(results.summarise(kpis), precision_metrics, precision)
        unmet = [v for v in status.values() if not v["met"]]
        if not unmet or target >= max_replications:
            break
        worst = max(
            (v["relative_half_width"] for v in unmet if math.isfinite(v["relative_half_width"])), default=2 * precision
        )
        needed = math.ceil(target * (worst / precision) ** 2)
        target = min(max_replications, max(target + 2, needed))
    reps.sort(key=lambda r: r.rep)
    return reps, status


def _replication_task(scenario: Scenario, rep: int, seed: int, keep_census: bool, keep_log: bool) -> RepResult:
    return run_replication(scenario, rep, seed, keep_census=keep_census, keep_log=keep_log)


# --------------------------------------------------------------------------- the warm-up from pilot runs
def choose_warmup(
    scenario: Scenario,
    *,
    pilot_replications: int = 5,
    pilot_days: float | None = None,
    seed: int | None = None,
    workers: int = 1,
    max_fraction: float = 0.5,
) -> WarmupChoice:
    """The warm-up of ``scenario`` by MSER-5 on ``pilot_replications`` pilot runs started empty.

    The pilot is the scenario with warm-up 0 and a horizon of ``pilot_days`` (default
    :func:`default_pilot_days`); ``seed`` defaults to the scenario's. Works whether
    ``warmup_days`` is a number or ``'auto'``. Use the result with
    ``scenario.with_warmup(choice.warmup_days)`` (or ``choice.apply(scenario)``).
    """
    if pilot_replications < 1:
        raise ValueError("pilot_replications must be >= 1")
    days = default_pilot_days(scenario) if pilot_days is None else float(pilot_days)
    if not (math.isfinite(days) and days > 0):
        raise ValueError(f"pilot_days must be a positive number of days (got {pilot_days!r})")
    seed = scenario.seed if seed is None else int(seed)
    pilot = scenario.model_copy(update={"warmup_days": 0.0, "horizon_days": days, "replications": pilot_replications})
    run = run_scenario(
        pilot,
        replications=pilot_replications,
        seed=seed,
        workers=workers,
        keep_census=True,
        keep_log=False,
    )
    census = run.census
    # every whole hour of the run; the point at the very end is left out
    census = census[census["time_h"] < pilot.end_h]
    return warmup_from_census(
        census,
        inpatient_units(scenario),
        max_fraction=max_fraction,
        pilot_days=days,
        pilot_replications=pilot_replications,
        seed=seed,
    )
