"""The report's figures: its numbers as people read them, and the tidy tables its charts draw.

"Figures" as in numbers, not drawings (the drawings are :mod:`hospital_twin.reporting.charts`):

- :func:`format_value` (a metric value with its unit: percentages, points, hours, beds, counts),
  :func:`metric_label`, :func:`units_in_order`, :func:`is_ed_unit`;
- the census by hour of the week (:func:`census_hour_of_week`) and over the whole run
  (:func:`census_timeline`), from the census table of a results folder;
- the wait for a bed as an ECDF (:func:`wait_ecdf`) and ED 4-hour performance by hour of
  arrival and by week (:func:`ed_four_hours`), from the event log;
- the rows of the comparison's forest plot (:data:`FOREST_METRICS`, :func:`forest_rows`);
- outliers by host unit (:func:`outliers_by_host`), from the event log's ``home_unit`` or the summary;
- patients no longer meeting the criteria to reside (NCTR) over time by discharge pathway
  (:func:`nctr_over_time`, from the event log), the pathways' measures (:func:`pathway_measures`) and
  NCTR in a manager's words beside the peers' figure (:func:`nctr_sentence`, :data:`PEER_NCTR_PER_BED`).

Used by the results report, its charts and the app's pages. Pure pandas and numpy: DataFrames and
scenarios in, DataFrames and strings out. It must not import Altair or build HTML, and it reads
and writes no files (:mod:`hospital_twin.experiment.resultsdir` reads the folder).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

from hospital_twin._lazy import lazy_module
from hospital_twin.reporting.targets import FOUR_HOUR
from hospital_twin.results import ALL, METRIC_LABELS
from hospital_twin.scenario.schema import Scenario

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    import pandas as pd
else:
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "FOREST_METRICS",
    "FOUR_HOUR_STANDARD",
    "format_value",
    "metric_label",
    "units_in_order",
    "is_ed_unit",
    "census_hour_of_week",
    "census_timeline",
    "wait_ecdf",
    "ed_four_hours",
    "forest_rows",
    "outliers_by_host",
    "escalation_level_hours",
    "PEER_NCTR_PER_BED",
    "nctr_over_time",
    "pathway_measures",
    "pathway_capacity_words",
    "nctr_sentence",
]

FOUR_HOUR_STANDARD = FOUR_HOUR.value
"""The current 4-hour standard (78% for 2025/26, :data:`hospital_twin.reporting.targets.FOUR_HOUR`), not the
constitutional 95% no trust is asked to meet this year."""

PEER_NCTR_PER_BED = 0.26
"""Reference figure: patients no longer meeting the criteria to reside (NCTR) per G&A bed, the median of the
baseline's 19 peer trusts (NHS England acute discharge sitrep, ``england_trust_criteria_to_reside``; the
sitrep's daily NCTR count over the trust's G&A beds). Shown beside a run's ``nctr_daily_per_bed`` (ALL), the same
daily count (a time average, ``nctr_per_bed``, is lower: those who leave later in the day are not in it all day)."""

FOREST_METRICS = [
    "utilisation",
    "waited_share",
    "wait_for_bed_mean_h",
    "wait_for_bed_p95_h",
    "rejected_share",
    "cancelled_share",
    "cancelled",
    "blocked_bed_hours",
    "ed_4h_breach_share",
    "ed_12h_breach_share",
    "ed_boarding_mean_h",
    "ed_dta_12h_waits",
    "ratio_breach_hours",
    "escalation_beds_open_mean",
]
"""Metrics shown in the comparison forest plot, in this order, when the folder has them."""


def format_value(value: float, unit: str, *, diff: bool = False) -> str:
    """A metric value for people: shares as percentages (points for differences), hours, counts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if diff and value > 0 else ""
    if unit == "share":
        return f"{sign}{100 * value:.1f}{' pp' if diff else '%'}"
    if unit == "hours":
        return f"{sign}{value:,.2f} h" if abs(value) < 10 else f"{sign}{value:,.1f} h"
    if unit == "days":
        return f"{sign}{value:,.1f} days"
    if unit == "beds":
        return f"{sign}{value:,.2f}" if diff and abs(value) < 1 else f"{sign}{value:,.1f}"
    if unit == "bed-hours":
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{sign}{value:,.1f}"


def metric_label(metric: str) -> tuple[str, str]:
    """``(label, unit)`` of a metric for people (``results.METRIC_LABELS``; the name itself if unknown)."""
    return METRIC_LABELS.get(metric, (metric, ""))


def units_in_order(scenarios: list[Scenario]) -> list[str]:
    """Every unit of the scenarios once, in the order the scenarios list them (the baseline's first)."""
    out: list[str] = []
    for s in scenarios:
        out += [u for u in s.units if u not in out]
    return out


def is_ed_unit(scenarios: list[Scenario], unit: str) -> bool:
    """Is ``unit`` an emergency department in any of the scenarios?"""
    return any(unit in s.units and (s.units[unit].kind == "ed" or s.units[unit].ed is not None) for s in scenarios)


def _offset_h(start: dt.datetime) -> float:
    return start.weekday() * 24 + start.hour + start.minute / 60 + start.second / 3600


def census_hour_of_week(census: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
    """Census by hour of the week after the warm-up: ``scenario, unit, how, mean, p05, p95``.

    The band is the 5th-95th percentile of the hourly census over replications x weeks.
    """
    frames = []
    for s in scenarios:
        c = census[(census["scenario"] == s.name) & (census["time_h"] >= s.warmup_h) & (census["time_h"] < s.end_h)]
        if c.empty:
            continue
        how = np.floor((c["time_h"].to_numpy() + _offset_h(s.start)) % 168).astype(int)
        g = c.assign(how=how).groupby(["unit", "how"], sort=False)["occupied"]
        agg = pd.concat({"mean": g.mean(), "p05": g.quantile(0.05), "p95": g.quantile(0.95)}, axis=1).reset_index()
        agg.insert(0, "scenario", s.name)
        frames.append(agg)
    if not frames:
        return pd.DataFrame(columns=["scenario", "unit", "how", "mean", "p05", "p95"])
    return pd.concat(frames, ignore_index=True)


def census_timeline(census: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
    """Census over the whole run (warm-up included), daily or weekly: ``scenario, unit, date, mean, lo, hi``.

    ``mean`` is the mean over replications of the period's average census; ``lo`` and ``hi``
    the lowest and highest replication.
    """
    frames = []
    for s in scenarios:
        c = census[(census["scenario"] == s.name) & (census["time_h"] < s.end_h)]
        if c.empty:
            continue
        days = 1 if s.end_h <= 24 * 120 else 7
        period = np.floor(c["time_h"].to_numpy() / (24 * days)).astype(int)
        per_rep = c.assign(period=period).groupby(["unit", "period", "rep"], sort=False)["occupied"].mean()
        g = per_rep.groupby(level=["unit", "period"], sort=False)
        agg = pd.concat({"mean": g.mean(), "lo": g.min(), "hi": g.max()}, axis=1).reset_index()
        agg["date"] = pd.Timestamp(s.start) + pd.to_timedelta(agg["period"] * days, unit="D")
        agg.insert(0, "scenario", s.name)
        agg["days"] = days
        frames.append(agg.drop(columns="period"))
    if not frames:
        return pd.DataFrame(columns=["scenario", "unit", "mean", "lo", "hi", "date", "days"])
    return pd.concat(frames, ignore_index=True)


def _after_warmup(log: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    lo = pd.Timestamp(s.start) + pd.Timedelta(hours=s.warmup_h)
    return log[(log["scenario"] == s.name) & (log["ready_at"] >= lo)]


def wait_ecdf(log: pd.DataFrame, scenarios: list[Scenario], points: int = 121) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wait for a bed (start - ready_at, hours) per unit after the warm-up, as an ECDF on a grid.

    Returns ``(curve, stats)``: ``curve`` has ``scenario, unit, wait_h, share`` (share of
    admissions placed within ``wait_h``); ``stats`` has ``scenario, unit, n, waited, p50, p90,
    p95, max_h`` (``waited`` is the share who waited at all).
    """
    waits: dict[tuple[str, str], np.ndarray] = {}
    for s in scenarios:
        d = _after_warmup(log, s)
        w = (d["start"] - d["ready_at"]).dt.total_seconds().to_numpy() / 3600.0
        units = d["unit"].to_numpy()
        for u in s.units:
            x = np.sort(w[units == u])
            x = x[~np.isnan(x)]
            if len(x):
                waits[(s.name, u)] = x
    if not waits:
        return (
            pd.DataFrame(columns=["scenario", "unit", "wait_h", "share"]),
            pd.DataFrame(columns=["scenario", "unit", "n", "waited", "p50", "p90", "p95", "max_h"]),
        )
    curves, stats = [], []
    by_unit: dict[str, list[np.ndarray]] = {}
    for (_, u), x in waits.items():
        by_unit.setdefault(u, []).append(x)
    xmax = {u: max(4.0, float(np.ceil(max(np.quantile(x, 0.99) for x in xs)))) for u, xs in by_unit.items()}
    for (name, u), x in waits.items():
        grid = np.linspace(0.0, xmax[u], points)
        share = np.searchsorted(x, grid + 1e-9, side="right") / len(x)
        curves.append(pd.DataFrame({"scenario": name, "unit": u, "wait_h": grid.round(3), "share": share.round(4)}))
        stats.append(
            (name, u, len(x), float((x > 1e-6).mean()), *np.quantile(x, [0.5, 0.9, 0.95]).tolist(), float(x[-1]))
        )
    return (
        pd.concat(curves, ignore_index=True),
        pd.DataFrame(stats, columns=["scenario", "unit", "n", "waited", "p50", "p90", "p95", "max_h"]),
    )


def ed_four_hours(log: pd.DataFrame, scenarios: list[Scenario]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share of ED attendances leaving within 4 h of arrival, by hour of arrival and by week.

    Attendances that arrived after the warm-up and left before the end (as the KPI). Returns
    ``(by_hour, by_week)`` with ``scenario, unit, hour|date, share, lo, hi, n``: ``share`` is
    the mean over replications, ``lo``/``hi`` the lowest and highest replication.
    """
    by_hour, by_week = [], []
    for s in scenarios:
        eds = [u for u, spec in s.units.items() if spec.kind == "ed" or spec.ed is not None]
        if not eds:
            continue
        d = _after_warmup(log, s)
        d = d[d["unit"].isin(eds) & d["end"].notna()]
        if d.empty:
            continue
        t_in = (d["end"] - d["ready_at"]).dt.total_seconds() / 3600.0
        warm = pd.Timestamp(s.start) + pd.Timedelta(hours=s.warmup_h)
        frame = pd.DataFrame(
            {
                "unit": d["unit"].to_numpy(),
                "rep": d["rep"].to_numpy(),
                "within": (t_in <= 4.0).to_numpy(dtype=float),
                "hour": d["ready_at"].dt.hour.to_numpy(),
                "week": ((d["ready_at"] - warm) // pd.Timedelta(days=7)).to_numpy(),
            }
        )
        for key, out in (("hour", by_hour), ("week", by_week)):
            per_rep = frame.groupby(["unit", key, "rep"])["within"].agg(["mean", "count"])
            g = per_rep.groupby(level=["unit", key])
            agg = pd.DataFrame(
                {
                    "share": g["mean"].mean(),
                    "lo": g["mean"].min(),
                    "hi": g["mean"].max(),
                    "n": g["count"].sum(),
                }
            ).reset_index()
            if key == "week":
                full_weeks = math.floor(s.horizon_days / 7)
                agg = agg[agg["week"] < max(full_weeks, 1)]
                agg["date"] = warm + pd.to_timedelta(agg["week"] * 7, unit="D")
                agg = agg.drop(columns="week")
            agg.insert(0, "scenario", s.name)
            out.append(agg)
    cols = ["scenario", "unit", "share", "lo", "hi", "n"]
    return (
        pd.concat(by_hour, ignore_index=True) if by_hour else pd.DataFrame(columns=cols + ["hour"]),
        pd.concat(by_week, ignore_index=True) if by_week else pd.DataFrame(columns=cols + ["date"]),
    )


def forest_rows(comparison: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
    """The rows of ``comparison.csv`` the forest plot shows: :data:`FOREST_METRICS` for the hospital (ALL), the
    emergency department and units whose interval excludes zero; metrics that are zero everywhere left out."""
    eds = {u for s in scenarios for u, spec in s.units.items() if spec.ed is not None or spec.kind == "ed"}
    c = comparison[comparison["metric"].isin(FOREST_METRICS)].copy()
    c["significant"] = c["significant"].astype(str).str.lower().isin(["true", "1"])
    sig_units = c[c["significant"]].groupby("metric")["unit"].agg(set).to_dict()
    keep = (c["unit"] == ALL) | c.apply(lambda r: r["unit"] in sig_units.get(r["metric"], set()), axis=1)
    keep |= c["metric"].str.startswith("ed_") & c["unit"].isin(eds)
    c = c[keep & c["diff_mean"].notna()]
    # a metric that is zero everywhere (no rejections, say) tells nothing
    moving = c.groupby("metric")[["scenario_mean", "baseline_mean"]].transform(lambda x: x.abs().max())
    c = c[(moving["scenario_mean"] > 0) | (moving["baseline_mean"] > 0)]
    return c


def outliers_by_host(summary: pd.DataFrame, scenarios: list[Scenario], log: pd.DataFrame | None = None) -> pd.DataFrame:
    """Average outliers in each host unit's beds after the warm-up: ``scenario, host, home, outliers_mean``.

    With an event log that has the ``home_unit`` column, each outlier stay's hours inside the
    measured window are summed per host and home unit and divided by replications x measured
    hours (so the homes of one host add up to its ``outliers_hosted_mean``). Otherwise the
    summary's ``outliers_hosted_mean`` per host, with ``home`` = ``"all units"``. Scenarios without
    outlying give no rows; hosts that never took an outlier are left out.
    """
    cols = ["scenario", "host", "home", "outliers_mean"]
    frames = []
    for s in scenarios:
        if not any(u.outlying is not None for u in s.units.values()):
            continue
        d = log[log["scenario"] == s.name] if log is not None and "home_unit" in log.columns else None
        if d is not None and len(d):
            reps = d["rep"].nunique()
            o = d[d["home_unit"].notna()]
            a = (o["start"] - pd.Timestamp(s.start)).dt.total_seconds().to_numpy() / 3600.0
            b = (o["end"] - pd.Timestamp(s.start)).dt.total_seconds().to_numpy() / 3600.0
            b = np.where(np.isnan(b), s.end_h, b)
            hours = np.clip(np.minimum(b, s.end_h) - np.maximum(a, s.warmup_h), 0.0, None)
            span = (s.end_h - s.warmup_h) * reps
            g = pd.DataFrame({"host": o["unit"].astype(str).to_numpy(), "home": o["home_unit"].astype(str).to_numpy()})
            agg = g.assign(outliers_mean=hours / span).groupby(["host", "home"], sort=False)["outliers_mean"].sum()
            agg = agg.reset_index()
        else:
            r = summary[
                (summary["metric"] == "outliers_hosted_mean")
                & (summary["unit"] != ALL)
                & ((summary["scenario"] == s.name) if "scenario" in summary.columns else True)
            ]
            agg = pd.DataFrame({"host": r["unit"].astype(str), "home": "all units", "outliers_mean": r["mean"]})
        agg = agg[agg["outliers_mean"] > 0]
        if len(agg):
            order = {u: i for i, u in enumerate(s.units)}
            agg = agg.assign(_k=agg["host"].map(order), _h=agg["home"].map(order))
            agg = agg.sort_values(["_k", "_h"], kind="stable").drop(columns=["_k", "_h"])
            agg.insert(0, "scenario", s.name)
            frames.append(agg[cols])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def escalation_level_hours(summary: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
    """Mean hours at each escalation level per scenario and group, with their share of the measured window:
    ``scenario, group, level, hours, share`` (empty when no scenario has ``escalation_levels``)."""
    rows = []
    for s in scenarios:
        window_h = s.horizon_days * 24.0
        for g in s.escalation_levels:
            for k in range(1, 5):
                sel = summary[(summary["scenario"] == s.name) & (summary["metric"] == f"hours_at_level_{k}")]
                sel = sel[sel["unit"] == g]
                if len(sel):
                    hours = float(sel["mean"].iloc[0])
                    rows.append((s.name, g, f"level {k}", hours, hours / window_h))
    return pd.DataFrame(rows, columns=["scenario", "group", "level", "hours", "share"])


def _hours_since(ts: pd.Series, start: dt.datetime) -> np.ndarray:
    return (ts - pd.Timestamp(start)).dt.total_seconds().to_numpy(dtype=float) / 3600.0


def _integral(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Sum over intervals ``[a_i, b_i)`` of the time each spends before ``t``: the integral of their count up to
    every ``t`` (exact; sorted arrays and cumulative sums, no loop over intervals)."""
    a, b = np.sort(a), np.sort(b)
    ca, cb = np.concatenate([[0.0], np.cumsum(a)]), np.concatenate([[0.0], np.cumsum(b)])
    na, nb = np.searchsorted(a, t, side="left"), np.searchsorted(b, t, side="left")
    return (na * t - ca[na]) - (nb * t - cb[nb])


def nctr_over_time(log: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
    """Patients in the NCTR state per discharge pathway, averaged over each day (weekly for runs over 120
    measured days) of the measured period: ``scenario, pathway, date, days, nctr_mean``.

    A log row whose ``discharge_destination`` is a pathway of the scenario is in the NCTR state from
    ``ready_to_leave`` until ``end`` (the end of the run while still in its bed); ``nctr_mean`` is the
    time in that state inside the period summed over the rows, divided by the period's hours and the
    replications (so the pathways of a day add up to the day's average NCTR census). Scenarios without
    pathways give no rows.
    """
    cols = ["scenario", "pathway", "date", "days", "nctr_mean"]
    frames = []
    for s in scenarios:
        names = list(s.discharge_pathways)
        if not names or log is None or "ready_to_leave" not in log.columns:
            continue
        d = log[log["scenario"] == s.name] if "scenario" in log.columns else log
        if d.empty:
            continue
        reps = max(1, d["rep"].nunique()) if "rep" in d.columns else 1
        dest = d["discharge_destination"].astype("string")
        days = 1 if s.horizon_days <= 120 else 7
        edges = np.arange(s.warmup_h, s.end_h, 24.0 * days)
        edges = np.append(edges, s.end_h)
        for name in names:
            p = d[(dest == name).fillna(False).to_numpy()]
            a = _hours_since(p["ready_to_leave"], s.start)
            b = _hours_since(p["end"], s.start)
            b = np.where(np.isnan(b), s.end_h, b)
            ok = ~np.isnan(a)
            a, b = np.clip(a[ok], 0.0, s.end_h), np.clip(b[ok], 0.0, s.end_h)
            area = np.diff(_integral(a, b, edges))
            frames.append(
                pd.DataFrame(
                    {
                        "scenario": s.name,
                        "pathway": name,
                        "date": pd.Timestamp(s.start) + pd.to_timedelta(edges[:-1], unit="h"),
                        "days": days,
                        "nctr_mean": area / (np.diff(edges) * reps),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


_PATHWAY_ROWS = [
    "pathway_starts",
    "nctr_delay_mean_h",
    "nctr_delay_p90_h",
    "pathway_occupancy_mean",
    "pathway_load_ratio",
    "pathway_growing_share",
]
"""The per-pathway measures of :func:`pathway_measures`, in this order."""
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def pathway_capacity_words(spec) -> str:
    """A pathway's capacity in words: '1.5 starts a day', 'Mon-Fri 0.5 starts', '3 places', 'no limit'."""
    if spec.kind == "pool":
        return f"{spec.places} places"
    if spec.kind == "daily":
        week = spec.starts_week()
        if len(set(week)) == 1:
            return f"{week[0]:g} starts a day"
        return "starts " + ", ".join(f"{d} {w:g}" for d, w in zip(_DAYS, week, strict=True) if w > 0)
    return "no limit"


def pathway_measures(summary: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """The discharge pathways' measures of one scenario: ``pathway, label, capacity, metric, mean, ci_low,
    ci_high, n_reps`` (one row per pathway and measure the summary has, measure by measure; empty without
    pathways)."""
    cols = ["pathway", "label", "capacity", "metric", "mean", "ci_low", "ci_high", "n_reps"]
    if not s.discharge_pathways:
        return pd.DataFrame(columns=cols)
    d = summary[summary["scenario"] == s.name] if "scenario" in summary.columns else summary
    rows = []
    for name, spec in s.discharge_pathways.items():
        for m in _PATHWAY_ROWS:
            r = d[(d["metric"] == m) & (d["unit"] == name)]
            if r.empty:
                continue
            r = r.iloc[0]
            rows.append(
                (name, spec.label, pathway_capacity_words(spec), m)
                + tuple(float(r[c]) for c in ("mean", "ci_low", "ci_high"))
                + (int(r["n_reps"]) if "n_reps" in r.index else 1,)
            )
    out = pd.DataFrame(rows, columns=cols)
    order = {m: i for i, m in enumerate(_PATHWAY_ROWS)}
    return out.sort_values("metric", key=lambda m: m.map(order), kind="stable", ignore_index=True)


def _people(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}"


def nctr_sentence(summary: pd.DataFrame, s: Scenario) -> str | None:
    """NCTR of a run in a manager's words beside the peers' figure, e.g. 'Patients medically fit to leave still
    in a bed: 112 (0.25 per bed; peers 0.26)' (None without pathways or without the measures)."""
    if not s.discharge_pathways:
        return None
    d = summary[summary["scenario"] == s.name] if "scenario" in summary.columns else summary
    d = d[d["unit"] == ALL]

    def mean(metric: str) -> float | None:
        r = d[d["metric"] == metric]
        x = float(r["mean"].iloc[0]) if len(r) else math.nan
        return x if math.isfinite(x) else None

    count, per_bed = mean("nctr_mean"), mean("nctr_daily_per_bed")
    if count is None:
        return None
    ratio = f"{per_bed:.2f} a day per bed; " if per_bed is not None else ""
    return f"Patients medically fit to leave still in a bed: {_people(count)} ({ratio}peers {PEER_NCTR_PER_BED:.2f})"
