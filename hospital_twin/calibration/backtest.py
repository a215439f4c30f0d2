"""Back-testing a calibration on held-out data: calibrate on the past, simulate what came next, compare.

:func:`backtest` splits an ADT log at ``train_until`` (the cut):

* **training**: the stays that started before the cut; a stay still open at the cut is
  right-censored there (its end, and any time stamp after the cut, is not known yet);
  :func:`~hospital_twin.calibration.fit.calibrate` runs on them with
  ``observed_until = cut``;
* **warm start**: the census at the cut (:func:`hospital_twin.live.census.census_at`: who is
  in which bed and since when) seeds every replication of
  :func:`hospital_twin.live.forecast.forecast` (``HospitalSim(initial_patients=...)``, each
  patient drawing its remaining stay from the residual of its unit's fitted law), so no
  warm-up bias enters the test period;
* **test period**: ``[cut, cut + test days)``, whole days up to the log's end (or
  ``test_days``).

And compares with what happened:

* **daily occupancy per unit**: the observed daily mean census (24 hourly counts) against
  the simulated distribution of the same quantity over replications: mean absolute
  error of the simulated mean, and the share of observed days inside the simulated 90%
  band (5th-95th percentile over replications). A unit that is full all day gives the
  same daily mean in many replications, and an observed value tied with the band's end
  counts as inside; ``band_coverage_pit`` counts such ties by halves instead (the mid
  probability integral transform ``P(sim < obs) + P(sim = obs) / 2`` within [0.05, 0.95]),
  which is the honest figure for units at capacity;
* **stays per unit**: the two-sample Kolmogorov-Smirnov distance between the
  Kaplan-Meier curves of the observed stays that started in the test period (open ones
  censored at the log's end) and of stays simulated from the calibrated scenario (a run
  with its warm-up, stays started after it), with the 1% critical value
  ``1.628 sqrt((n + m) / (n m))`` (n, m: completed stays) for scale;
* **throughput per unit**: admissions to the unit (stays starting) and departures from
  it (stays ending) in the test period, observed against the simulated mean and 90%
  interval.

Self-loops (two stays in a row in one unit) are merged before counting, as in the fit.
Dates must be real: with dates shifted per patient there is no census to start from or
compare with, and :func:`backtest` refuses.

Pure: DataFrames in, a :class:`Backtest` out (the command writes backtest.csv and .html).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hospital_twin.calibration.fit import Calibration, calibrate
from hospital_twin.calibration.stays import _km_distance, kaplan_meier, km_mean, prepare_stays
from hospital_twin.experiment.runner import run_replication
from hospital_twin.live.census import census_at, census_counts
from hospital_twin.live.forecast import forecast
from hospital_twin.scenario.schema import Scenario

__all__ = ["Backtest", "backtest", "split_at", "KS_C_01", "TIDY_COLUMNS"]

KS_C_01 = 1.628
"""c(alpha) of the two-sample Kolmogorov-Smirnov test at alpha = 0.01."""

TIDY_COLUMNS = ["section", "unit", "date", "metric", "observed", "sim_mean", "sim_p05", "sim_p95", "value"]

_TIME_COLS = ("start", "end", "ready_at", "ready_to_leave", "seen_at", "last_event_at")


@dataclass
class Backtest:
    """The result of :func:`backtest`.

    ``daily``: date, unit, observed, sim_mean, sim_p05, sim_p95, inside, pit, inside_pit.
    ``stays``: unit, n_observed, n_simulated, ks_d, ks_d_crit_01, observed_km_mean_h, simulated_km_mean_h.
    ``throughput``: unit, metric (admissions, departures), observed, sim_mean, sim_p05, sim_p95, inside.
    ``summary``: unit, days, occupancy_mae, band_coverage, band_coverage_pit, observed_mean, sim_mean.
    """

    train_until: pd.Timestamp
    test_end: pd.Timestamp
    replications: int
    calibration: Calibration
    scenario: Scenario
    snapshot: pd.DataFrame
    daily: pd.DataFrame
    stays: pd.DataFrame
    throughput: pd.DataFrame
    summary: pd.DataFrame
    train_counts: dict[str, int]

    def tidy(self) -> pd.DataFrame:
        """Everything as one long table (the columns of :data:`TIDY_COLUMNS`): backtest.csv."""
        parts = []
        d = self.daily
        parts.append(
            pd.DataFrame(
                {
                    "section": "occupancy_daily",
                    "unit": d["unit"],
                    "date": d["date"].dt.strftime("%Y-%m-%d"),
                    "metric": "occupancy_mean",
                    "observed": d["observed"],
                    "sim_mean": d["sim_mean"],
                    "sim_p05": d["sim_p05"],
                    "sim_p95": d["sim_p95"],
                    "value": d["inside"].astype(float),
                }
            )
        )
        for r in self.summary.itertuples(index=False):
            for metric, value in (
                ("occupancy_mae", r.occupancy_mae),
                ("occupancy_band_coverage", r.band_coverage),
                ("occupancy_band_coverage_pit", r.band_coverage_pit),
                ("days", float(r.days)),
            ):
                parts.append(
                    pd.DataFrame(
                        [
                            {
                                "section": "summary",
                                "unit": r.unit,
                                "metric": metric,
                                "observed": r.observed_mean,
                                "sim_mean": r.sim_mean,
                                "value": value,
                            }
                        ]
                    )
                )
        for r in self.stays.itertuples(index=False):
            parts.append(
                pd.DataFrame(
                    [
                        {
                            "section": "stays",
                            "unit": r.unit,
                            "metric": "ks_d",
                            "value": r.ks_d,
                            "observed": r.n_observed,
                            "sim_mean": r.n_simulated,
                        },
                        {"section": "stays", "unit": r.unit, "metric": "ks_d_crit_01", "value": r.ks_d_crit_01},
                        {
                            "section": "stays",
                            "unit": r.unit,
                            "metric": "km_mean_h",
                            "observed": r.observed_km_mean_h,
                            "sim_mean": r.simulated_km_mean_h,
                        },
                    ]
                )
            )
        t = self.throughput
        parts.append(
            pd.DataFrame(
                {
                    "section": "throughput",
                    "unit": t["unit"],
                    "metric": t["metric"],
                    "observed": t["observed"],
                    "sim_mean": t["sim_mean"],
                    "sim_p05": t["sim_p05"],
                    "sim_p95": t["sim_p95"],
                    "value": t["inside"].astype(float),
                }
            )
        )
        out = pd.concat(parts, ignore_index=True)
        for c in TIDY_COLUMNS:
            if c not in out:
                out[c] = np.nan
        return out[TIDY_COLUMNS]


def _times(stays: pd.DataFrame) -> pd.DataFrame:
    df = stays.copy()
    for c in _TIME_COLS:
        if c in df.columns:
            t = pd.to_datetime(df[c], errors="coerce")
            if getattr(t.dt, "tz", None) is not None:
                t = t.dt.tz_localize(None)
            df[c] = t.astype("datetime64[ns]")
    return df


def split_at(stays: pd.DataFrame, cut: Any) -> pd.DataFrame:
    """The training log: stays that started before ``cut``, with what was not known at the cut removed.

    A stay open at the cut gets an empty ``end`` (right-censored); ``ready_at``,
    ``ready_to_leave``, ``seen_at`` and ``last_event_at`` after the cut are emptied, and so is
    the ``discharge_destination`` of a stay open at the cut unless its patient was already ready
    to leave (a pathway is known from the referral, when the patient is ready; a destination
    otherwise only at the discharge).
    """
    cut = pd.Timestamp(cut)
    df = _times(stays)
    train = df[df["start"] < cut].copy()
    for c in _TIME_COLS[1:]:
        if c in train.columns:
            train[c] = train[c].where(train[c] <= cut)
    if "discharge_destination" in train.columns:
        known = train["end"].notna()
        if "ready_to_leave" in train.columns:
            known |= train["ready_to_leave"].notna()
        train["discharge_destination"] = train["discharge_destination"].where(known)
    return train.reset_index(drop=True)


def _daily(stays: pd.DataFrame, fc, cut: pd.Timestamp, days: int) -> pd.DataFrame:
    units = list(fc.units)
    times = pd.date_range(cut, periods=days * 24, freq="h")
    obs = census_counts(stays, times, units=units)
    rows = []
    dates = pd.date_range(cut.normalize() if cut == cut.normalize() else cut, periods=days, freq="D")
    for ui, u in enumerate(units):
        o = obs.loc[obs["unit"] == u, "census"].to_numpy(float).reshape(days, 24).mean(1)
        sim = fc.census[:, ui, : days * 24].reshape(fc.census.shape[0], days, 24).mean(2)
        lo, hi = np.quantile(sim, [0.05, 0.95], axis=0)
        below = (sim < o - 1e-9).mean(0)
        tie = (np.abs(sim - o) <= 1e-9).mean(0)
        pit = below + tie / 2  # mid-PIT: a value tied with simulated ones counts half below, half above
        rows.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "unit": u,
                    "observed": o,
                    "sim_mean": sim.mean(0),
                    "sim_p05": lo,
                    "sim_p95": hi,
                    "inside": (o >= lo - 1e-9) & (o <= hi + 1e-9),
                    "pit": pit,
                    "inside_pit": (pit >= 0.05) & (pit <= 0.95),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _throughput(prep: pd.DataFrame, fc, cut: pd.Timestamp, days: int) -> pd.DataFrame:
    t1 = cut + pd.Timedelta(days=days)
    rows = []
    for ui, u in enumerate(fc.units):
        r = prep[prep["unit"] == u]
        start, end = r["start"], r["end"]
        observed = {
            "admissions": int(((start >= cut) & (start < t1)).sum()),
            "departures": int(((end >= cut) & (end < t1)).sum()),
        }
        sims = {
            "admissions": fc.admissions[:, ui, : days * 24].sum(1),
            "departures": fc.departures[:, ui, : days * 24].sum(1),
        }
        for metric, o in observed.items():
            s = sims[metric].astype(float)
            lo, hi = np.quantile(s, [0.05, 0.95])
            rows.append(
                {
                    "unit": u,
                    "metric": metric,
                    "observed": o,
                    "sim_mean": float(s.mean()),
                    "sim_p05": float(lo),
                    "sim_p95": float(hi),
                    "inside": bool(lo <= o <= hi),
                }
            )
    return pd.DataFrame(rows, columns=["unit", "metric", "observed", "sim_mean", "sim_p05", "sim_p95", "inside"])


def _stay_ks(
    prep: pd.DataFrame, scenario: Scenario, cut: pd.Timestamp, t1: pd.Timestamp, days: int, reps: int, seed: int
) -> pd.DataFrame:
    sim_scn = scenario.model_copy(update={"horizon_days": float(max(days, 28))})
    frames = []
    for rep in range(reps):
        log = run_replication(sim_scn, rep, seed, keep_census=False).adt_log
        sp = prepare_stays(log)
        warm_end = pd.Timestamp(sim_scn.start) + pd.Timedelta(hours=sim_scn.warmup_h)
        frames.append(sp[sp["start"] >= warm_end][["unit", "dur_h", "closed"]])
    sim = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["unit", "dur_h", "closed"])
    obs = prep[(prep["start"] >= cut) & (prep["start"] < t1)]
    rows = []
    for u in scenario.units:
        o = obs[obs["unit"] == u]
        s = sim[sim["unit"] == u]
        n, m = int(o["closed"].sum()), int(s["closed"].sum())
        if n == 0 or m == 0:
            rows.append(
                {
                    "unit": u,
                    "n_observed": n,
                    "n_simulated": m,
                    "ks_d": math.nan,
                    "ks_d_crit_01": math.nan,
                    "observed_km_mean_h": math.nan,
                    "simulated_km_mean_h": math.nan,
                }
            )
            continue
        d1, e1 = o["dur_h"].to_numpy(float), o["closed"].to_numpy(bool)
        d2, e2 = s["dur_h"].to_numpy(float), s["closed"].to_numpy(bool)
        t_a, s_a = kaplan_meier(d1, e1)
        t_b, s_b = kaplan_meier(d2, e2)
        t_max = min(float(d1.max()), float(d2.max()))
        rows.append(
            {
                "unit": u,
                "n_observed": n,
                "n_simulated": m,
                "ks_d": _km_distance(d1, e1, d2, e2),
                "ks_d_crit_01": KS_C_01 * math.sqrt((n + m) / (n * m)),
                "observed_km_mean_h": km_mean(t_a, s_a, t_max),
                "simulated_km_mean_h": km_mean(t_b, s_b, t_max),
            }
        )
    return pd.DataFrame(rows)


def backtest(
    stays: pd.DataFrame,
    train_until: Any,
    *,
    test_days: int | None = None,
    replications: int = 30,
    seed: int = 0,
    capacity: Mapping[str, int] | None = None,
    stay_replications: int = 3,
    name: str = "Back-test calibration",
    source: str | None = None,
    workers: int = 1,
) -> Backtest:
    """Calibrate on the stays before ``train_until``, simulate the test period warm-started, compare.

    See the module docstring. ``test_days``: length of the test period in whole days
    (default: every whole day up to the log's end). ``replications``: warm-started
    replications for occupancy and throughput; ``stay_replications``: runs of the
    calibrated scenario whose stays are compared with the observed ones.
    """
    cut = pd.Timestamp(train_until)
    if cut.tzinfo is not None:
        cut = cut.tz_convert("UTC").tz_localize(None)
    df = _times(stays)
    if not len(df):
        raise ValueError("the log has no stays")
    first = df["start"].min()
    log_end = max(df["start"].max(), df["end"].max() if df["end"].notna().any() else df["start"].max())
    if cut <= first + pd.Timedelta(days=7):
        raise ValueError(f"--train-until {cut} leaves less than a week of training data (the log starts {first})")
    whole = int((log_end - cut) / pd.Timedelta(days=1))
    days = whole if test_days is None else min(int(test_days), whole)
    if days < 1:
        raise ValueError(f"--train-until {cut} leaves no whole day to test (the log ends {log_end})")
    t1 = cut + pd.Timedelta(days=days)
    train = split_at(df, cut)
    cal = calibrate(train, capacity=capacity, observed_until=cut, name=name, source=source)
    scenario = cal.scenario(replications=replications, seed=seed)
    # the census as the bed manager knew it at the cut: from the training log (stays open at the cut are
    # censored there), so no later fact leaks in (where a ready patient went next, who got a bed later)
    # (a pathway of the log that the calibrated scenario lacks is left out: the patient is ready, without one)
    snap = census_at(train, cut, pathways=list(scenario.discharge_pathways))
    in_model = snap["unit"].isin(list(scenario.units))
    snap_counts = {"snapshot_rows": len(snap), "snapshot_rows_unit_not_in_scenario": int((~in_model).sum())}
    snap = snap[in_model].reset_index(drop=True)
    known = set(scenario.class_names())
    unknown_class = snap["patient_class"].notna() & ~snap["patient_class"].isin(known)
    snap_counts["snapshot_classes_not_in_scenario"] = int(unknown_class.sum())  # drawn from the unit's mix
    snap["patient_class"] = snap["patient_class"].where(~unknown_class)
    fc = forecast(scenario, snap, cut, days * 24, replications=replications, seed=seed, workers=workers)
    prep = prepare_stays(df)
    daily = _daily(df, fc, cut, days)
    through = _throughput(prep, fc, cut, days)
    ks = _stay_ks(prep, scenario, cut, t1, days, stay_replications, seed)
    summ = (
        daily.groupby("unit", sort=False)
        .apply(
            lambda g: pd.Series(
                {
                    "days": len(g),
                    "occupancy_mae": float(np.mean(np.abs(g["observed"] - g["sim_mean"]))),
                    "band_coverage": float(g["inside"].mean()),
                    "band_coverage_pit": float(g["inside_pit"].mean()),
                    "observed_mean": float(g["observed"].mean()),
                    "sim_mean": float(g["sim_mean"].mean()),
                }
            ),
            include_groups=False,
        )
        .reset_index()
    )
    summ["days"] = summ["days"].astype(int)
    return Backtest(
        train_until=cut,
        test_end=t1,
        replications=replications,
        calibration=cal,
        scenario=scenario,
        snapshot=snap,
        daily=daily,
        stays=ks,
        throughput=through,
        summary=summ,
        train_counts={
            **snap_counts,
            "stays_in_log": len(df),
            "training_stays": len(train),
            "open_at_cut": int(train["end"].isna().sum()),
            "snapshot_patients": len(snap),
        },
    )
