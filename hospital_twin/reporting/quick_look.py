"""How far a short run's figures sit from the full run's: the bias of a "quick look", measured.

A quick look (``experiment.runlength.quick_look``: 28 days measured) answers in seconds, but
its figures are biased, not merely less precise: stays are counted when patients leave, so a
short window misses the long ones, and the hospital may still be filling. This module puts
numbers on it for the measures a board reads first:

- :func:`main_measures`: those measures per replication of one run (stays in hours, shares,
  trolley waits per day so that windows of different lengths compare);
- :func:`window_bias`: a short run's measures against a reference run's (the scenario's full
  run), each with both 95% intervals and the Welch 95% interval of the difference; ``beyond``
  is True where that interval excludes zero (the two runs disagree by more than chance);
- :func:`bias_sentences`: the differences in words, for the app and reports.

Pure: DataFrames and a scenario in, DataFrames and strings out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.reporting.nhs import ga_occupancy_by_rep
from hospital_twin.results import ALL
from hospital_twin.scenario.schema import Scenario

__all__ = ["MEASURES", "bias_sentences", "main_measures", "window_bias"]

MEASURES: dict[str, tuple[str, str]] = {
    "stay_mean_h": ("hospital stay, mean", "days"),
    "ed_within_4h": ("left the ED within 4 hours", "share"),
    "trolley_waits_12h_per_day": ("trolley waits over 12 hours", "per day"),
    "ga_occupancy_midnight": ("G&A occupancy at midnight", "share"),
    "wait_for_bed_mean_h": ("wait for a bed, mean", "hours"),
}
"""Measure key -> (words, how it is shown). ``stay_mean_h`` is in hours, shown in days."""

_COLUMNS = [
    "measure",
    "unit",
    "words",
    "short_mean",
    "short_low",
    "short_high",
    "reference_mean",
    "reference_low",
    "reference_high",
    "difference",
    "difference_low",
    "difference_high",
    "relative",
    "beyond",
    "n_short",
    "n_reference",
]


def _rows(kpis: pd.DataFrame, metric: str, unit: str) -> pd.Series:
    k = kpis[(kpis["metric"] == metric) & (kpis["unit"] == unit)]
    return k.set_index("rep")["value"].astype(float)


def main_measures(kpis: pd.DataFrame, census: pd.DataFrame | None, scenario: Scenario) -> pd.DataFrame:
    """The board's first measures of one run, per replication: ``rep, measure, unit, value``.

    ``kpis`` and ``census`` are one scenario's (a ``RunResult``'s); ``scenario`` is the one run (its
    ``horizon_days`` turns the window's count of 12-hour trolley waits into a rate per day). Measures: mean
    stay (hours, ``ALL``), share leaving each ED within 4 hours, 12-hour trolley waits a day (each ED), G&A
    occupancy at midnight (``ALL``; the 24-hour average when no census was kept), mean wait for a bed (hours).
    """
    if "scenario" in kpis.columns:
        kpis = kpis[kpis["scenario"] == scenario.name]
    days = float(scenario.horizon_days)
    parts: list[tuple[str, str, pd.Series]] = [
        ("stay_mean_h", ALL, _rows(kpis, "los_mean_h", ALL)),
        ("wait_for_bed_mean_h", ALL, _rows(kpis, "wait_for_bed_mean_h", ALL)),
    ]
    for u, spec in scenario.units.items():
        if spec.ed is None:
            continue
        parts.append(("ed_within_4h", u, 1.0 - _rows(kpis, "ed_4h_breach_share", u)))
        parts.append(("trolley_waits_12h_per_day", u, _rows(kpis, "ed_dta_12h_waits", u) / days))
    ga = ga_occupancy_by_rep(census, kpis, scenario).set_index("rep")
    column = "midnight" if ga["midnight"].notna().any() else "average"
    parts.append(("ga_occupancy_midnight", ALL, ga[column].astype(float)))
    frames = [
        pd.DataFrame({"rep": v.index.to_numpy(), "measure": m, "unit": u, "value": v.to_numpy()})
        for m, u, v in parts
        if len(v)
    ]
    if not frames:
        return pd.DataFrame(columns=["rep", "measure", "unit", "value"])
    return pd.concat(frames, ignore_index=True)


def _interval(v: np.ndarray, confidence: float) -> tuple[float, float, float]:
    mean = float(v.mean()) if len(v) else math.nan
    if len(v) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return mean, mean - half, mean + half


def window_bias(short: pd.DataFrame, reference: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Each measure of ``short`` against ``reference`` (both from :func:`main_measures`, independent runs).

    Returns one row per measure found in both: both means with their t-intervals, ``difference`` (short minus
    reference) with its Welch interval, ``relative`` (difference over the reference mean; NaN when that is 0)
    and ``beyond`` (True where the interval of the difference excludes zero: the short run is biased on that
    measure by more than chance explains). ``n_short``/``n_reference``: replications with a value.
    """
    rows = []
    for (measure, unit), ref in reference.dropna(subset=["value"]).groupby(["measure", "unit"], sort=False):
        s = short[(short["measure"] == measure) & (short["unit"] == unit)]["value"].dropna().to_numpy(float)
        r = ref["value"].to_numpy(float)
        if len(s) == 0 or len(r) == 0:
            continue
        sm, sl, sh = _interval(s, confidence)
        rm, rl, rh = _interval(r, confidence)
        diff = sm - rm
        lo = hi = math.nan
        if len(s) > 1 and len(r) > 1:
            a, b = s.var(ddof=1) / len(s), r.var(ddof=1) / len(r)
            se = math.sqrt(a + b)
            if se > 0:
                dof = (a + b) ** 2 / (a**2 / (len(s) - 1) + b**2 / (len(r) - 1))
                half = float(stats.t.ppf(0.5 + confidence / 2, dof) * se)
                lo, hi = diff - half, diff + half
            else:
                lo = hi = diff
        beyond = bool(math.isfinite(lo) and (lo > 0 or hi < 0))
        relative = diff / rm if rm != 0 else math.nan
        words = MEASURES.get(measure, (measure, ""))[0]
        if unit != ALL:
            words = f"{unit}: {words}"
        rows.append((measure, unit, words, sm, sl, sh, rm, rl, rh, diff, lo, hi, relative, beyond, len(s), len(r)))
    return pd.DataFrame(rows, columns=_COLUMNS)


def _fmt(measure: str, x: float) -> str:
    kind = MEASURES.get(measure, ("", ""))[1]
    if kind == "days":
        return f"{x / 24:.1f} days"
    if kind == "share":
        return f"{100 * x:.1f}%"
    if kind == "per day":
        return f"{x:.1f} a day"
    return f"{x:.1f} h"


def _gap(measure: str, diff: float) -> str:
    kind = MEASURES.get(measure, ("", ""))[1]
    if kind == "share":
        return f"{100 * abs(diff):.1f} points"
    return _fmt(measure, abs(diff))


def bias_sentences(table: pd.DataFrame, *, only_beyond: bool = True) -> list[str]:
    """One phrase per measure of :func:`window_bias`'s ``table`` (those beyond their intervals unless told):
    e.g. "hospital stay, mean 3.6 days against 4.6 days (1.0 days lower, -21%)"."""
    out = []
    for r in table.itertuples(index=False):
        if only_beyond and not r.beyond:
            continue
        direction = "higher" if r.difference > 0 else "lower"
        rel = f", {100 * r.relative:+.0f}%" if math.isfinite(r.relative) else ""
        out.append(
            f"{r.words} {_fmt(r.measure, r.short_mean)} against {_fmt(r.measure, r.reference_mean)} "
            f"({_gap(r.measure, r.difference)} {direction}{rel})"
        )
    return out
