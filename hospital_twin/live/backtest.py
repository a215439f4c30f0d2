"""Back-test of the live twin's forecaster against a simulated truth (issue 5, item 4).

The picture: a hospital that behaves exactly as the scenario says runs for months
(one long replication, the *truth*, with its own seed). At many moments ("cut
points", every few days at varying clock hours) we take the census snapshot the
bed manager would have had (:func:`hospital_twin.live.census.census_at`, with the queue
of requests open at the cut and the beds vacated shortly before it, readiness known
up to that moment), forecast the next hours three ways, and compare with what the
truth did next (:func:`hospital_twin.live.census.census_counts`):

* ``warm_start``: the twin (:func:`hospital_twin.live.forecast.forecast`), remaining
  stays from the time already spent;
* ``fresh_stays``: the same, but every patient present starts a fresh stay
  (``ignore_elapsed=True``: what a cold model started from today's census does);
* ``persistence``: the census stays as it is now.

Scores per method, horizon and unit (and ``ALL``, the inpatient units together):
coverage of the 90% interval (``p05 <= actual <= p95``), mean absolute error of the
forecast mean, bias, and the PIT (probability integral transform) histogram, flat for
a calibrated forecast. The truth is simulated by the same model the forecaster uses,
so this checks the forecaster (warm start, residual stays, quantiles), not the
scenario's fit to a real hospital.

Pure: scenario in, DataFrames out; no files, no printing.
"""

from __future__ import annotations

import datetime as dt
import time as _time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospital_twin._version import __version__
from hospital_twin.experiment.executors import make_executor
from hospital_twin.live.census import census_at, census_counts, vacated_beds
from hospital_twin.live.forecast import (
    ALL,
    Forecast,
    forecast,
    forecast_errors,
    persistence_forecast,
)
from hospital_twin.results import adt_log, unmet_requests
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim.model import HospitalSim

__all__ = [
    "HORIZONS_H",
    "METHODS",
    "Backtest",
    "backtest",
    "cut_points",
    "pit_histogram",
    "score_errors",
    "truth_log",
    "truth_log_and_requests",
]

HORIZONS_H = (0, 4, 8, 12, 24, 48, 72)
"""Horizons scored by default, in hours after the cut. Horizon 0 is the snapshot itself, right by
construction (a check that the warm start places everyone): leave it out of any average over horizons
(the PIT histogram and the benchmark's summaries do)."""
METHODS = ("warm_start", "fresh_stays", "persistence")
TRUTH_SEED_OFFSET = 1_000_003
"""The truth's seed is the forecast seed plus this (different streams from every forecast replication)."""


@dataclass(frozen=True)
class Backtest:
    """Result of :func:`backtest`.

    ``errors``: one row per cut, method, unit and scored horizon (``forecast_errors``
    columns plus ``cut`` and ``method``). ``scores``: per method, horizon and unit:
    ``n`` cuts, ``coverage_90``, ``pit_coverage_90`` (share of PIT values in [0.05,
    0.95]: the coverage with the atoms at the interval's ends counted by halves, which
    removes the excess coverage a closed interval of whole numbers has), ``mae``, ``expected_mae`` (the MAE the forecast
    expects of itself: mean absolute deviation of its replications from their mean; a
    calibrated forecast has ``mae`` close to it, and no forecast from the same
    information can do much better: it is the irreducible noise of the next hours),
    ``bias`` (mean of forecast minus actual), ``mean_census``; ``mae_vs_persistence``
    is the MAE as a share of persistence's at the same horizon and unit. ``pit``: PIT histogram per method and unit (10 bins,
    horizons > 0 pooled), ``share`` sums to 1.
    """

    scenario_name: str
    cuts: list[pd.Timestamp]
    errors: pd.DataFrame
    scores: pd.DataFrame
    pit: pd.DataFrame
    provenance: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- the truth
def truth_log(scenario: Scenario, days: float, seed: int, *, warmup_days: float | None = None) -> pd.DataFrame:
    """One long replication of ``scenario`` as an event log: ``days`` after a warm-up (the scenario's by default).

    Starts empty like any run; cut points should lie after the warm-up.
    """
    return truth_log_and_requests(scenario, days, seed, warmup_days=warmup_days)[0]


def truth_log_and_requests(
    scenario: Scenario, days: float, seed: int, *, warmup_days: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`truth_log` and the truth's requests that never got a bed (:func:`hospital_twin.results.unmet_requests`).

    The log alone would show a waiting patient only if it got a bed later; with the requests,
    a snapshot's queue holds exactly the patients waiting at the cut, whatever happened next.
    """
    warm = scenario.warmup_days if warmup_days is None else warmup_days
    if not isinstance(warm, int | float):  # warmup_days: auto has no number here
        raise ValueError("the truth needs a numeric warm-up (warmup_days=)")
    sc = scenario.model_copy(update={"horizon_days": float(days), "warmup_days": float(warm)})
    out = HospitalSim(sc, 0, int(seed)).run()
    return adt_log(out), unmet_requests(out)


def cut_points(first, n: int, every_h: float = 72.0, *, hour_step: int = 5) -> list[pd.Timestamp]:
    """``n`` cut times from ``first``: every ``every_h`` hours, shifted by ``hour_step`` more clock hours each time.

    With the defaults (3 days, +5 h) the cuts walk through every hour of the day
    (5 and 24 are coprime) and every day of the week.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    first = pd.Timestamp(first).floor("h")
    return [first + pd.Timedelta(hours=k * every_h + (k * hour_step) % 24) for k in range(n)]


# --------------------------------------------------------------------------- scores
def score_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """Coverage, MAE and bias per method, horizon and unit from ``errors`` (see :class:`Backtest`)."""
    errors = errors.assign(_pit90=errors["pit"].between(0.05, 0.95).where(errors["pit"].notna()))
    g = errors.groupby(["method", "horizon_h", "unit"], sort=False)
    out = g.agg(
        n=("census", "size"),
        coverage_90=("covered", "mean"),
        pit_coverage_90=("_pit90", "mean"),
        mae=("abs_error", "mean"),
        expected_mae=("mad", "mean"),
        bias=("error", "mean"),
        mean_census=("census", "mean"),
    ).reset_index()
    ref = out[out["method"] == "persistence"].set_index(["horizon_h", "unit"])["mae"]
    key = pd.MultiIndex.from_frame(out[["horizon_h", "unit"]])
    base = ref.reindex(key).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mae_vs_persistence"] = np.where(base > 0, out["mae"].to_numpy() / base, np.nan)
    order = {m: i for i, m in enumerate(METHODS)}
    out["_m"] = out["method"].map(order).fillna(len(order))
    out = out.sort_values(["_m", "unit", "horizon_h"], kind="stable").drop(columns="_m")
    return out.reset_index(drop=True)


def pit_histogram(errors: pd.DataFrame, bins: int = 10, *, min_horizon_h: int = 1) -> pd.DataFrame:
    """PIT histogram per method and unit (``bin``, ``lo``, ``hi``, ``share``) over horizons >= ``min_horizon_h``.

    A calibrated forecast has every share near ``1/bins``; a U shape means intervals
    too narrow, a hump too wide, a slope a bias.
    """
    e = errors[(errors["horizon_h"] >= min_horizon_h) & errors["pit"].notna()]
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for (m, u), d in e.groupby(["method", "unit"], sort=False):
        k = np.clip(np.floor(d["pit"].to_numpy() * bins).astype(int), 0, bins - 1)
        counts = np.bincount(k, minlength=bins)
        for b in range(bins):
            rows.append(
                {
                    "method": m,
                    "unit": u,
                    "bin": b,
                    "lo": edges[b],
                    "hi": edges[b + 1],
                    "share": counts[b] / max(len(d), 1),
                    "n": len(d),
                }
            )
    return pd.DataFrame(rows, columns=["method", "unit", "bin", "lo", "hi", "share", "n"])


# --------------------------------------------------------------------------- the back-test
def _errors(fc: Forecast, actual: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    e = forecast_errors(fc, actual)
    e.insert(0, "method", fc.method)
    e.insert(0, "cut", cut)
    return e


def _cut(
    scenario: Scenario,
    snap: pd.DataFrame,
    cut: pd.Timestamp,
    hours: int,
    replications: int,
    seed: int,
    methods: tuple[str, ...],
    actual: pd.DataFrame,
    vacated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every method's forecast from one cut, lined up with the actual census (one task for a worker)."""
    frames = []
    for m in methods:
        if m == "persistence":
            fc = persistence_forecast(scenario, snap, cut, hours)
        else:
            fc = forecast(
                scenario,
                snap,
                cut,
                hours,
                replications=replications,
                seed=seed,
                ignore_elapsed=(m == "fresh_stays"),
                vacated=vacated,
            )
        frames.append(_errors(fc, actual, cut))
    return pd.concat(frames, ignore_index=True)


def backtest(
    scenario: Scenario,
    *,
    cuts: int = 60,
    replications: int = 200,
    horizons_h: tuple[int, ...] = HORIZONS_H,
    seed: int | None = None,
    truth_seed: int | None = None,
    every_h: float = 72.0,
    warmup_days: float | None = None,
    methods: tuple[str, ...] = METHODS,
    workers: int = 1,
    executor=None,
    log: pd.DataFrame | None = None,
    requests: pd.DataFrame | None = None,
    on_progress=None,
) -> Backtest:
    """Back-test the forecaster on a simulated truth: ``cuts`` snapshots, each forecast ``max(horizons_h)`` hours.

    ``seed`` (default the scenario's) plus the cut's index seeds each cut's forecasts; the truth uses
    ``truth_seed`` (default ``seed + TRUTH_SEED_OFFSET``) and runs ``warmup_days``
    (default the scenario's) plus ``cuts x every_h`` hours plus the longest horizon.
    ``log`` replaces the simulated truth by a given event log (cuts then start at
    its first start plus the warm-up), with ``requests`` its unmet requests if known (without
    them a snapshot's queue lists only the patients who got a bed later). ``on_progress(done, total)`` is called after
    each cut. The same arguments give the same result, whatever ``workers``.
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}; known: {', '.join(METHODS)}")
    hours = int(max(horizons_h))
    if hours < 1:
        raise ValueError("the longest horizon must be at least 1 hour")
    seed = scenario.seed if seed is None else int(seed)
    truth_seed = seed + TRUTH_SEED_OFFSET if truth_seed is None else int(truth_seed)
    warm = scenario.warmup_days if warmup_days is None else warmup_days
    if not isinstance(warm, int | float):
        raise ValueError("the back-test needs a numeric warm-up: pass warmup_days=")
    started = dt.datetime.now(dt.UTC)
    t0 = _time.perf_counter()
    if log is None:
        days = (cuts * every_h + hours + 24) / 24.0
        log, requests = truth_log_and_requests(scenario, days, truth_seed, warmup_days=warm)
        origin = pd.Timestamp(scenario.start)
    else:
        origin = pd.to_datetime(log["start"]).min().floor("h")
    first = origin + pd.Timedelta(days=float(warm))
    times = cut_points(first, cuts, every_h)
    units = list(scenario.units)
    inpatient = [u for u, s in scenario.units.items() if s.ed is None and s.kind != "ed"]
    tasks = []
    for k, cut in enumerate(times):
        at = [cut + pd.Timedelta(hours=int(h)) for h in horizons_h]
        actual = census_counts(log, at, units=units)
        tot = actual[actual["unit"].isin(inpatient)].groupby("time", as_index=False)["census"].sum()
        actual = pd.concat([actual, tot.assign(unit=ALL)], ignore_index=True)
        # cut k forecasts with seed + k: one seed for every cut would repeat the same arrival streams
        # after each cut, correlating the forecasts' errors across cuts (the truth's seed is far away)
        snap = census_at(log, cut, requests=requests, pathways=list(scenario.discharge_pathways))
        tasks.append(
            (scenario, snap, cut, hours, replications, seed + k, tuple(methods), actual, vacated_beds(log, cut))
        )
    own = executor is None
    if executor is None:
        executor = make_executor(min(workers, len(tasks)))
    frames: dict[int, pd.DataFrame] = {}
    try:  # one task per cut: a worker runs every method's replications for its cut
        for i, res in executor.map_unordered(_cut, tasks):
            frames[i] = res
            if on_progress is not None:
                on_progress(len(frames), len(tasks))
    finally:
        if own:
            executor.close()
    errors = pd.concat([frames[i] for i in range(len(tasks))], ignore_index=True)
    errors["unit"] = errors["unit"].astype("string")
    return Backtest(
        scenario_name=scenario.name,
        cuts=times,
        errors=errors,
        scores=score_errors(errors),
        pit=pit_histogram(errors),
        provenance={
            "scenario": scenario.name,
            "cuts": len(times),
            "every_h": every_h,
            "first_cut": times[0].isoformat(),
            "last_cut": times[-1].isoformat(),
            "horizons_h": list(map(int, horizons_h)),
            "replications": replications,
            "seed": seed,
            "truth_seed": truth_seed,
            "warmup_days": float(warm),
            "methods": list(methods),
            "executor": executor.description,
            "package_version": __version__,
            "started_at": started.isoformat(),
            "elapsed_s": round(_time.perf_counter() - t0, 3),
        },
    )
