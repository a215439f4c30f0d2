"""Replications of a scenario, serially or in worker processes, gathered into a RunResult.

A replication's result depends only on ``(scenario, seed, rep)``: each worker derives
its own random streams from those, so ``workers=1`` and ``workers=4`` give identical
tables. No printing and no files here; progress is reported through a callback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from hospital_twin import __version__, results
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim.model import simulate

__all__ = ["RepResult", "RunResult", "run_replication", "run_scenario", "scenario_hash"]


@dataclass(frozen=True)
class RepResult:
    """Tables of one replication."""

    rep: int
    kpis: pd.DataFrame
    census: pd.DataFrame | None
    adt_log: pd.DataFrame | None


@dataclass(frozen=True)
class RunResult:
    """All replications of one scenario, with provenance."""

    scenario: Scenario
    kpis: pd.DataFrame
    summary: pd.DataFrame
    census: pd.DataFrame | None
    adt_log: pd.DataFrame | None
    provenance: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.scenario.name


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON (what was simulated, not how the file looked)."""
    data = scenario.model_dump(mode="json", by_alias=True)
    data.pop("extends", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def run_replication(
    scenario: Scenario, rep: int, seed: int | None = None, *, keep_census: bool = True, keep_log: bool = True
) -> RepResult:
    """Simulate replication ``rep`` and tabulate it."""
    out = simulate(scenario, rep, seed)
    return RepResult(
        rep=rep,
        kpis=results.rep_kpis(out),
        census=results.census(out) if keep_census else None,
        adt_log=results.adt_log(out) if keep_log else None,
    )


def _concat(frames: list[pd.DataFrame | None]) -> pd.DataFrame | None:
    frames = [f for f in frames if f is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


def run_scenario(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    keep_census: bool = True,
    keep_log: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run ``replications`` (default: the scenario's) and summarise them.

    ``workers`` > 1 runs replications in that many processes; results are identical.
    ``on_progress(done, total)`` is called as replications finish.
    """
    n = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if n < 1:
        raise ValueError("replications must be >= 1")
    started = dt.datetime.now(dt.UTC)
    reps: list[RepResult] = []
    workers = max(1, min(workers, n))
    if workers == 1:
        for rep in range(n):
            reps.append(run_replication(scenario, rep, seed, keep_census=keep_census, keep_log=keep_log))
            if on_progress:
                on_progress(len(reps), n)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(run_replication, scenario, rep, seed, keep_census=keep_census, keep_log=keep_log)
                for rep in range(n)
            ]
            for fut in futures:
                reps.append(fut.result())
                if on_progress:
                    on_progress(len(reps), n)
    reps.sort(key=lambda r: r.rep)
    kpis = pd.concat([r.kpis for r in reps], ignore_index=True)
    finished = dt.datetime.now(dt.UTC)
    provenance = {
        "scenario": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "replications": n,
        "workers": workers,
        "warmup_days": scenario.warmup_days,
        "horizon_days": scenario.horizon_days,
        "package_version": __version__,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "cpu_count": os.cpu_count(),
    }
    return RunResult(
        scenario=scenario,
        kpis=kpis,
        summary=results.summarise(kpis),
        census=_concat([r.census for r in reps]),
        adt_log=_concat([r.adt_log for r in reps]),
        provenance=provenance,
    )
