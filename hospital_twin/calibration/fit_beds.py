"""Beds per unit (:class:`CapacityFit`), concurrent occupancy, and the waits for a bed (:class:`WaitFit`).

Beds (:class:`CapacityFit`)
    From the ``capacity`` table when given; otherwise the peak of concurrent occupancy
    (an estimate and flagged as one; a lower bound when the unit was never full). When
    the dates were shifted per patient (MIMIC, Sepsis logs), concurrency means nothing:
    beds come from the table or a stated default (and arrival rates are set from the beds:
    :func:`hospital_twin.calibration.scenario_yaml.rates_per_day`).
Waits (:class:`WaitFit`)
    Waits for a bed (start - ready_at) and boarding (ready to move until leaving), per unit:
    evidence for the report, not scenario inputs (the simulator makes its own queues).

Beds and waits share one module because both read the log as a queue (who is in a unit at
once, who waited to get in). Imports the stays module only. Pure: DataFrames in, fitted
objects and tables out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hospital_twin.calibration.stays import _H, prepare_stays
from hospital_twin.scenario.schema import EXIT

__all__ = ["FULL_WAIT_MIN_H", "CapacityFit", "WaitFit", "occupancy_table"]

FULL_WAIT_MIN_H = 1.0
"""A wait for a bed (start - ready_at) counts as a sign of a full unit only when it lasted more than this many
hours and began while the unit held at least its peak minus one patients; shorter waits are the admin, porter
and cleaning lag of a unit with free beds."""


class CapacityFit:
    """Beds per unit: from a capacity table, else from concurrent occupancy (an estimate, flagged).

    Parameters
    ----------
    percentile : None for the peak of concurrent occupancy, else this time-weighted
        percentile (e.g. 99.5) as the bed estimate.
    default_beds : beds for a unit missing from the table when concurrency cannot be used.

    Attributes
    ----------
    beds_ : dict unit -> beds. method_ : dict unit -> 'given' | 'peak' | 'p99.5' | 'DEFAULT'.
    occupancy_ : DataFrame unit, mean, p95, p99_5, peak, waited_share, full_waits (None with shifted dates).
    flags_ : list of warnings.
    """

    def __init__(self, *, percentile: float | None = None, default_beds: int = 20):
        self.percentile = percentile
        self.default_beds = default_beds

    def fit(
        self, stays: pd.DataFrame, capacity: Mapping[str, int] | None = None, dates_shifted: bool = False
    ) -> CapacityFit:
        prep = prepare_stays(stays)
        capacity = dict(capacity or {})
        units = sorted(prep["unit"].unique())
        self.beds_: dict[str, int] = {}
        self.method_: dict[str, str] = {}
        self.flags_: list[str] = []
        self.occupancy_ = None if dates_shifted else occupancy_table(prep)
        for u in units:
            if u in capacity:
                self.beds_[u] = int(capacity[u])
                self.method_[u] = "given"
            elif dates_shifted:
                self.beds_[u] = int(self.default_beds)
                self.method_[u] = "DEFAULT"
                self.flags_.append(
                    f"{u}: {self.default_beds} beds is a DEFAULT, not from data: dates are shifted per patient, "
                    "so concurrent occupancy means nothing; give a capacity table"
                )
            else:
                row = self.occupancy_.set_index("unit").loc[u]
                if self.percentile is None:
                    beds, how = int(row["peak"]), "peak"
                else:
                    beds = int(math.ceil(_weighted_quantile_unit(prep, u, self.percentile)))
                    how = f"p{self.percentile:g}"
                self.beds_[u] = max(beds, 1)
                self.method_[u] = how
                self.flags_.append(
                    f"{u}: {self.beds_[u]} beds ESTIMATED from the {how} of concurrent occupancy "
                    "(a lower bound if the unit was never full)"
                )
        extra = sorted(set(capacity) - set(units))
        if extra:
            self.flags_.append(f"capacity given for unit(s) not in the log, ignored: {', '.join(extra)}")
        return self


def _occupancy_steps(rows: pd.DataFrame, t_end: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Occupancy levels and how long (hours) each lasted, between the first start and ``t_end``."""
    start = rows["start"].to_numpy()
    end = rows["end"].to_numpy().copy()
    end[np.isnat(end)] = t_end
    times = np.concatenate([start, end])
    delta = np.concatenate([np.ones(len(start), int), -np.ones(len(end), int)])
    order = np.lexsort((delta, times))  # leaving before arriving at the same instant
    times, delta = times[order], delta[order]
    level = np.cumsum(delta)
    dur = np.diff(np.append(times, np.datetime64(t_end, "ns"))) / _H
    keep = times <= t_end
    return level[keep], np.clip(dur[keep].astype(float), 0, None)


def _wq(levels: np.ndarray, weights: np.ndarray, q: float) -> float:
    if not len(levels) or weights.sum() <= 0:
        return math.nan
    order = np.argsort(levels, kind="stable")
    cw = np.cumsum(weights[order]) / weights.sum()
    return float(levels[order][min(np.searchsorted(cw, q / 100.0), len(cw) - 1)])


def _weighted_quantile_unit(prep: pd.DataFrame, unit: str, q: float) -> float:
    lv, w = _occupancy_steps(prep[prep["unit"] == unit], np.datetime64(prep.attrs["observed_until"], "ns"))
    return _wq(lv, w, q)


def occupancy_table(stays: pd.DataFrame) -> pd.DataFrame:
    """Per unit: time-average, p95, p99.5 and peak of concurrent occupancy, the share who waited (over a minute)
    and ``full_waits``, the waits that show the unit full: longer than :data:`FULL_WAIT_MIN_H` and begun while the
    unit held at least ``peak - 1`` patients (NaN without ``ready_at``).

    Measured from the unit's first admission to the end of observation (open stays count to the end).
    """
    prep = prepare_stays(stays)
    t_end = np.datetime64(prep.attrs["observed_until"], "ns")
    rows = []
    for unit, r in prep.groupby("unit", sort=True):
        lv, w = _occupancy_steps(r, t_end)
        waited = r["wait_h"].dropna()
        rows.append(
            {
                "unit": unit,
                "mean": float(np.sum(lv * w) / w.sum()) if w.sum() > 0 else math.nan,
                "p95": _wq(lv, w, 95),
                "p99_5": _wq(lv, w, 99.5),
                "peak": int(lv.max()) if len(lv) else 0,
                "waited_share": float((waited > 1 / 60).mean()) if len(waited) else math.nan,
                "full_waits": _full_waits(r, t_end, int(lv.max()) if len(lv) else 0) if len(waited) else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["unit", "mean", "p95", "p99_5", "peak", "waited_share", "full_waits"])


def _full_waits(rows: pd.DataFrame, t_end: np.datetime64, peak: int) -> int:
    """Waits longer than :data:`FULL_WAIT_MIN_H` that began (at ``start - wait_h``) while the unit held at least
    ``peak - 1`` patients (a stay counts from its start, inclusive, to its end, exclusive; open ones to ``t_end``)."""
    long = rows[rows["wait_h"] > FULL_WAIT_MIN_H]
    if not len(long):
        return 0
    starts = np.sort(rows["start"].to_numpy())
    ends = rows["end"].to_numpy().copy()
    ends[np.isnat(ends)] = t_end
    ends = np.sort(ends)
    began = (long["start"] - pd.to_timedelta(long["wait_h"], unit="h")).to_numpy()
    held = np.searchsorted(starts, began, side="right") - np.searchsorted(ends, began, side="right")
    return int((held >= peak - 1).sum())


class WaitFit:
    """Waits for a bed (start - ready_at) and boarding (time in a unit after being ready to move), per unit.

    Attributes
    ----------
    waits_ : DataFrame unit, n, mean_h, p90_h, waited_share (empty without ready_at).
    boarding_ : DataFrame unit, n, mean_h, p90_h, share (stays whose next unit has ready_at).
    """

    def fit(self, stays: pd.DataFrame) -> WaitFit:
        prep = prepare_stays(stays)
        cols = ["unit", "n", "mean_h", "p90_h", "waited_share"]
        w = prep.dropna(subset=["wait_h"])
        self.waits_ = pd.DataFrame(
            [
                {
                    "unit": u,
                    "n": len(r),
                    "mean_h": float(r["wait_h"].mean()),
                    "p90_h": float(r["wait_h"].quantile(0.9)),
                    "waited_share": float((r["wait_h"] > 1 / 60).mean()),
                }
                for u, r in w.groupby("unit", sort=True)
            ],
            columns=cols,
        )
        nxt = prep[prep["closed"] & prep["next_unit"].notna() & (prep["next_unit"] != EXIT)]
        self.boarding_ = pd.DataFrame(
            [
                {
                    "unit": u,
                    "n": len(r),
                    "mean_h": float(r["blocked_h"].mean()),
                    "p90_h": float(r["blocked_h"].quantile(0.9)),
                    "share": float((r["blocked_h"] > 1 / 60).mean()),
                }
                for u, r in nxt.groupby("unit", sort=True)
            ],
            columns=["unit", "n", "mean_h", "p90_h", "share"],
        )
        return self
