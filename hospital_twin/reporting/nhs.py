"""The NHS's own words and counts: G&A and critical-care beds, ED spaces, G&A occupancy at midnight, measures in words.

- :func:`ga_units`, :func:`critical_care_units`, :func:`ed_units`: the units as an NHS return counts them: general
  and acute (G&A) = inpatient units that are not critical care (``kind`` icu or hdu) and not an ED;
- :func:`bed_summary`: "450 G&A beds + 13 critical care, ED 90 spaces" (the ED has treatment spaces, not beds);
- :func:`ga_occupancy_by_rep` / :func:`ga_occupancy_summary`: G&A occupancy at midnight (the KH03 / sitrep
  figure: patients in G&A beds at 00:00 over the G&A beds available, escalation beds open included) and its
  24-hour average, per replication and as mean with its 95% interval;
- :func:`measure_help`: what a headline measure means in words, and whether higher is better or worse (tooltips:
  metric ids belong in downloads and details, not in a manager's tooltip);
- :func:`days`: a stay in days ("3.3 days").

Pure: scenarios and DataFrames in, DataFrames and strings out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hospital_twin.results import ALL, METRIC_LABELS, summarise
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "GA_MIDNIGHT",
    "GA_AVERAGE",
    "ambulance_units",
    "bed_summary",
    "critical_care_units",
    "days",
    "ed_units",
    "ga_occupancy_by_rep",
    "ga_occupancy_summary",
    "ga_units",
    "by_month",
    "gridlocked_reps",
    "not_judged",
    "never_placed_words",
    "MONTH_MEASURES",
    "month_table",
    "measure_help",
]

GA_MIDNIGHT = "ga_occupancy_midnight"
"""Name (in :func:`ga_occupancy_summary`) of G&A occupancy at midnight, a share."""
GA_AVERAGE = "ga_occupancy_24h"
"""Name of G&A occupancy averaged over the 24 hours, a share."""

_CRITICAL = ("icu", "hdu")


def ed_units(s: Scenario) -> list[str]:
    """Emergency departments (``kind: ed`` or an ``ed`` block), in the scenario's order."""
    return [u for u, spec in s.units.items() if spec.ed is not None or spec.kind == "ed"]


def ambulance_units(s: Scenario) -> list[str]:
    """Emergency departments with arrivals by ambulance (a stream with an ``ambulance_share``), in stream order."""
    return list(dict.fromkeys(a.unit for a in s.arrivals if a.ambulance_share > 0))


def critical_care_units(s: Scenario) -> list[str]:
    """Critical-care units (``kind`` icu or hdu), in the scenario's order."""
    return [u for u, spec in s.units.items() if spec.kind in _CRITICAL and u not in ed_units(s)]


def ga_units(s: Scenario) -> list[str]:
    """General and acute units: every inpatient unit that is not critical care (wards, assessment units, other)."""
    eds, cc = set(ed_units(s)), set(critical_care_units(s))
    return [u for u in s.units if u not in eds and u not in cc]


def bed_summary(s: Scenario) -> str:
    """'450 G&A beds + 13 critical care, ED 90 spaces': base beds by what NHS returns count (escalation beds, which
    open only under pressure, are not in it)."""
    ga = sum(s.units[u].beds for u in ga_units(s))
    cc = sum(s.units[u].beds for u in critical_care_units(s))
    text = f"{ga:,} G&A beds"
    if cc:
        text += f" + {cc:,} critical care"
    eds = [f"{u} {s.units[u].beds:,} spaces" for u in ed_units(s)]
    return ", ".join([text, *eds])


def days(hours: float) -> str:
    """A stay in hours shown in days: '3.3 days' ('—' when not a number)."""
    if hours is None or not math.isfinite(hours):
        return "—"
    return f"{hours / 24.0:,.1f} days"


def _measured_midnights(s: Scenario, time_h: np.ndarray) -> np.ndarray:
    """Which of the census hours ``time_h`` (hours from the scenario's start) are midnights in the measured days."""
    try:
        warm = float(s.warmup_days)
    except (TypeError, ValueError) as e:
        raise ValueError("the warm-up must be resolved to a number of days (not 'auto') to find its end") from e
    lo, hi = warm * 24.0, (warm + float(s.horizon_days)) * 24.0
    start = pd.Timestamp(s.start)
    clock = (start.hour + start.minute / 60.0 + time_h) % 24.0
    return (time_h >= lo) & (time_h < hi) & np.isclose(clock, 0.0)


def ga_occupancy_by_rep(census: pd.DataFrame | None, kpis: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """G&A occupancy per replication: ``rep, occupied_midnight, occupied_mean, beds_available, midnight, average``.

    ``occupied_midnight`` is the mean over the measured midnights of the patients in G&A beds at 00:00 (from the
    hourly ``census``: ``[scenario,] rep, unit, time_h, occupied``; NaN without one); ``occupied_mean`` the
    24-hour average (``occupancy_mean`` of the G&A units in ``kpis``); ``beds_available`` the G&A base beds plus
    the escalation beds open on them on average (``escalation_beds_open_mean``): KH03 divides the average occupied
    at midnight by the average beds available over the period, escalation beds included. ``midnight`` and
    ``average`` are the two occupied figures over ``beds_available`` (shares). Outliers count in their host's bed.
    """
    units = ga_units(s)
    base = float(sum(s.units[u].beds for u in units))
    k = kpis
    if "scenario" in k.columns:
        k = k[k["scenario"] == s.name]
    k = k[k["unit"].isin(units)]
    reps = sorted(kpis["rep"].unique()) if "rep" in kpis.columns else []
    occ = k[k["metric"] == "occupancy_mean"].groupby("rep")["value"].sum()
    esc = k[k["metric"] == "escalation_beds_open_mean"].groupby("rep")["value"].sum()
    out = pd.DataFrame({"rep": reps}).set_index("rep")
    out["occupied_mean"] = occ.reindex(out.index)
    out["beds_available"] = base + esc.reindex(out.index).fillna(0.0)
    out["occupied_midnight"] = np.nan
    if census is not None and len(census):
        c = census
        if "scenario" in c.columns:
            c = c[c["scenario"] == s.name]
        c = c[c["unit"].isin(units)]
        c = c[_measured_midnights(s, c["time_h"].to_numpy(dtype=float))]
        per_midnight = c.groupby(["rep", "time_h"])["occupied"].sum()
        out["occupied_midnight"] = per_midnight.groupby(level="rep").mean().reindex(out.index)
    out["midnight"] = out["occupied_midnight"] / out["beds_available"]
    out["average"] = out["occupied_mean"] / out["beds_available"]
    return out.reset_index()[["rep", "occupied_midnight", "occupied_mean", "beds_available", "midnight", "average"]]


def ga_occupancy_summary(census: pd.DataFrame | None, kpis: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """G&A occupancy at midnight (:data:`GA_MIDNIGHT`) and over 24 hours (:data:`GA_AVERAGE`) as
    :func:`hospital_twin.results.summarise` gives them: ``scenario, metric, unit (ALL), mean, sd, ci_low, ci_high,
    n_reps`` (shares). A figure with no value in any replication is left out."""
    per_rep = ga_occupancy_by_rep(census, kpis, s)
    long = pd.concat(
        [
            pd.DataFrame(
                {"scenario": s.name, "rep": per_rep["rep"], "metric": name, "unit": ALL, "value": per_rep[col]}
            )
            for name, col in ((GA_MIDNIGHT, "midnight"), (GA_AVERAGE, "average"))
        ],
        ignore_index=True,
    )
    return summarise(long)


_WORSE, _BETTER = "Higher is worse.", "Higher is better."
_MEASURE_WORDS: dict[str, tuple[str, str]] = {
    GA_MIDNIGHT: (
        "Patients in general and acute (G&A) beds at midnight, over the G&A beds available (escalation beds open "
        "included), as NHS England's KH03 and daily sitrep count it. G&A: every inpatient ward that is not critical "
        "care.",
        _WORSE,
    ),
    GA_AVERAGE: (
        "Patients in general and acute (G&A) beds averaged over all 24 hours, over the G&A beds available "
        "(escalation beds open included). Lower than the midnight figure when beds empty in the day and fill at "
        "night.",
        _WORSE,
    ),
    "utilisation": ("Beds occupied on average over all 24 hours, as a share of the unit's beds.", _WORSE),
    "occupancy_mean": ("Patients in beds, averaged over all 24 hours.", _WORSE),
    "waited_share": (
        "Of the patients admitted to a ward, the share who had to wait for a bed to be free (those still waiting at "
        "the end included).",
        _WORSE,
    ),
    "wait_for_bed_mean_h": (
        "Hours from asking for a ward bed to getting one, on average over every admission (no wait counts as 0).",
        _WORSE,
    ),
    "unserved_share": ("Patients still waiting for a bed when the simulated period ended.", _WORSE),
    "ed_4h_breach_share": ("Share of ED attendances spending more than 4 hours in the department.", _WORSE),
    "ed_within_4h": (
        "Share of ED attendances admitted, transferred or discharged within 4 hours of arrival (the 4-hour standard).",
        _BETTER,
    ),
    "ed_12h_breach_share": ("Share of ED attendances spending more than 12 hours in the department.", _WORSE),
    "ed_boarding_mean_h": (
        "Decision-to-admit wait: hours from the decision to admit to leaving the ED for a ward bed, on average; a "
        "patient still waiting at the end counts with the wait so far.",
        _WORSE,
    ),
    "ed_dta_12h_waits": (
        "Trolley waits: patients waiting more than 12 hours in the ED from the decision to admit to getting a bed, "
        "per day.",
        _WORSE,
    ),
    "ed_dta_4h_share": (
        "Share of decisions to admit waiting more than 4 hours for a bed (trolley waits over 4 hours).",
        _WORSE,
    ),
    "left_without_being_seen_share": ("Share of ED attendances who left before a clinician saw them.", _WORSE),
    "outlier_share": (
        "Share of admissions placed on another specialty's ward because their own was full (outliers).",
        _WORSE,
    ),
    "lounge_uses": ("Patients who waited in the discharge lounge, per day.", _BETTER),
    "lounge_occupancy_mean": ("Discharge lounge places in use on average (places are not beds).", ""),
    "cancelled_share": ("Share of planned (elective) admissions cancelled because no bed was free.", _WORSE),
    "los_mean_h": ("Time in hospital from admission to a bed until leaving it, in days, on average.", _WORSE),
    "ambulance_handover_over_45min_share": (
        "Share of patients arriving by ambulance who waited more than 45 minutes from arrival for a space in the ED "
        "(the ambulance handover delay: the crew cannot leave until then; the clinical handover itself, minutes "
        "once a space is free, is not modelled).",
        _WORSE,
    ),
    "ambulance_handover_mean_h": (
        "Minutes from an ambulance's arrival to a space in the ED for its patient, on average (the handover delay).",
        _WORSE,
    ),
}


def measure_help(metric: str) -> str:
    """What ``metric`` means in words and which way is good, for a tooltip (never the metric's id).

    Besides the catalogue's metrics: ``ed_within_4h`` (1 - ``ed_4h_breach_share``), :data:`GA_MIDNIGHT`,
    :data:`GA_AVERAGE`. A metric without words here gets its label from the catalogue.
    """
    words, direction = _MEASURE_WORDS.get(metric, (METRIC_LABELS.get(metric, (metric, ""))[0] + ".", ""))
    return f"{words} {direction}".strip()


MONTH_MEASURES = {"four_hour": "ed_within_4h", "twelve_hour": "ed_12h_breach_share", "ga_occupancy": GA_MIDNIGHT}
"""The measures :func:`by_month` gives, by the key of their target (``reporting.targets``)."""


def _ed_months(log: pd.DataFrame, s: Scenario, lo: pd.Timestamp, hi: pd.Timestamp) -> list[pd.DataFrame]:
    """Per ED, replication and month of arrival: the share within 4 hours and over 12 hours in the department."""
    eds = ed_units(s)
    d = log[log["unit"].astype(str).isin(eds)]
    if "scenario" in d.columns:
        d = d[d["scenario"] == s.name]
    d = d[(d["ready_at"] >= lo) & (d["ready_at"] < hi)]
    if d.empty:
        return []
    t_h = (d["end"].fillna(hi).clip(upper=hi) - d["ready_at"]).dt.total_seconds() / 3600.0
    f = pd.DataFrame(
        {
            "unit": d["unit"].astype(str).to_numpy(),
            "rep": d["rep"].to_numpy(),
            "month": d["ready_at"].dt.to_period("M").dt.to_timestamp().to_numpy(),
            "four_hour": (t_h <= 4.0).to_numpy(dtype=float),
            "twelve_hour": (t_h > 12.0).to_numpy(dtype=float),
        }
    )
    per = f.groupby(["unit", "rep", "month"])[["four_hour", "twelve_hour"]].mean().reset_index()
    return [
        per[["unit", "rep", "month", key]].rename(columns={key: "value"}).assign(target=key)
        for key in ("four_hour", "twelve_hour")
    ]


def _never_placed(kpis: pd.DataFrame | None, s: Scenario) -> dict[str, float]:
    """ED -> attendances still waiting for an ED space at the end (mean over replications, from ``kpis``'
    ``still_waiting``), for the EDs where any replication left someone waiting: they are not in the event log."""
    if kpis is None or not len(kpis) or "metric" not in kpis.columns:
        return {}
    k = kpis if "scenario" not in kpis.columns else kpis[kpis["scenario"] == s.name]
    k = k[(k["metric"] == "still_waiting") & k["unit"].astype(str).isin(ed_units(s))]
    mean = k.groupby(k["unit"].astype(str))["value"].mean()
    return {u: float(v) for u, v in mean.items() if v > 0}


def gridlocked_reps(kpis: pd.DataFrame | None, scenario: str | None = None) -> tuple[int, int] | None:
    """``(gridlocked replications, replications)`` from ``kpis``' ``gridlocked`` (unit ALL) of ``scenario`` (every
    row when None or without a scenario column); None without the measure."""
    if kpis is None or not len(kpis) or "metric" not in kpis.columns:
        return None
    k = kpis if scenario is None or "scenario" not in kpis.columns else kpis[kpis["scenario"] == scenario]
    g = k[(k["metric"] == "gridlocked") & (k["unit"] == ALL)]["value"]
    return None if g.empty else (int((g > 0).sum()), len(g))


def not_judged(gridlocked: tuple[int, int] | None) -> str:
    """'not judged: 2 of 2 replications gridlocked' when any replication gridlocked (a red / amber / green against
    a target would then hide a collapse, e.g. G&A occupancy low because nobody reaches a ward), else ''."""
    if gridlocked is None or gridlocked[0] <= 0:
        return ""
    k, n = gridlocked
    return f"not judged: {k} of {n} replication{'s' if n != 1 else ''} gridlocked"


def never_placed_words(n: float) -> str:
    """'not measured: 9,371 attendances never got an ED space' (``n`` the mean over replications)."""
    return f"not measured: {n:,.0f} attendance{'s' if round(n) != 1 else ''} never got an ED space"


def by_month(log: pd.DataFrame | None, census: pd.DataFrame | None, kpis: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """The target measures month by month over the measured days: ``month, target, unit, mean, lo, hi, n_reps,
    days`` (``month`` its first day; ``mean`` over replications, ``lo``/``hi`` the lowest and highest replication;
    ``days`` measured in that month).

    - ``four_hour`` / ``twelve_hour`` per ED: of the attendances that arrived that month (from the event ``log``),
      the share out of the department within 4 hours and the share over 12 hours; a patient still there at the
      end counts with the time so far (patients still waiting for a space at the end are not in the log: each
      measured month an ED has no figure for is still a row, with ``mean`` NaN, and ``never_placed`` says how
      many attendances of the run never got an ED space, the mean over replications from ``kpis``);
    - ``ga_occupancy`` (unit ALL): G&A occupancy at midnight over that month's midnights (from the ``census``),
      over the run's G&A beds available (base beds + escalation beds open on average over the run, per
      replication, as :func:`ga_occupancy_by_rep`).
    """
    warm = float(s.warmup_days)
    start = pd.Timestamp(s.start)
    lo = start + pd.Timedelta(days=warm)
    hi = lo + pd.Timedelta(days=float(s.horizon_days))
    parts = _ed_months(log, s, lo, hi) if log is not None and len(log) else []
    if census is not None and len(census):
        c = census
        if "scenario" in c.columns:
            c = c[c["scenario"] == s.name]
        c = c[c["unit"].isin(ga_units(s))]
        c = c[_measured_midnights(s, c["time_h"].to_numpy(dtype=float))]
        night = c.groupby(["rep", "time_h"])["occupied"].sum().reset_index()
        beds = ga_occupancy_by_rep(None, kpis, s).set_index("rep")["beds_available"]
        night["value"] = night["occupied"] / night["rep"].map(beds)
        night["month"] = (start + pd.to_timedelta(night["time_h"], unit="h")).dt.to_period("M").dt.to_timestamp()
        per = night.groupby(["rep", "month"])["value"].mean().reset_index()
        parts.append(per.assign(unit=ALL, target="ga_occupancy"))
    cols = ["month", "target", "unit", "mean", "lo", "hi", "n_reps", "days", "never_placed"]
    hours = pd.date_range(lo, hi, freq="h", inclusive="left")
    days_in = pd.Series(1.0 / 24.0, index=hours).groupby(hours.to_period("M").to_timestamp()).sum()
    unplaced = _never_placed(kpis, s)
    if not parts and not unplaced:
        return pd.DataFrame(columns=cols)
    per_rep = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["month", "target", "unit"])
    g = per_rep.groupby(["month", "target", "unit"])["value"]
    out = g.agg(mean="mean", lo="min", hi="max", n_reps="count").reset_index() if parts else per_rep
    # an ED month nobody got a space in is said (never_placed), not dropped
    have = set(zip(out["month"], out["target"], out["unit"], strict=True))
    gaps = [
        (m, key, u, math.nan, math.nan, math.nan, 0)
        for m in days_in.index
        for u in unplaced
        for key in ("four_hour", "twelve_hour")
        if (m, key, u) not in have
    ]
    if gaps:
        out = pd.concat([out, pd.DataFrame(gaps, columns=list(out.columns[:7]))], ignore_index=True)
    out["days"] = out["month"].map(days_in).fillna(0.0).round(1)
    out["never_placed"] = [
        unplaced.get(u, math.nan) if t in ("four_hour", "twelve_hour") else math.nan
        for t, u in zip(out["target"], out["unit"], strict=True)
    ]
    order = {k: i for i, k in enumerate(MONTH_MEASURES)}
    return out.sort_values(["month", "target"], key=lambda x: x.map(order) if x.name == "target" else x)[
        cols
    ].reset_index(drop=True)


def month_table(
    monthly: pd.DataFrame, targets: dict, s: Scenario, gridlocked: tuple[int, int] | None = None
) -> pd.DataFrame:
    """:func:`by_month` for a manager: one row a month ("Jan 2026", days measured), one column a measure, each cell
    the mean over replications, their range when they differ, and red / amber / green against ``targets`` (key ->
    ``reporting.targets.Target``), e.g. "72.1% (65.0% to 80.2%), red". With ``gridlocked`` replications
    (:func:`gridlocked_reps`) nothing is judged ("..., not judged: 2 of 2 replications gridlocked"); an ED month
    with no figure says why ("not measured: 9,371 attendances never got an ED space")."""
    names = {"four_hour": "{u}: within 4 hours", "twelve_hour": "{u}: over 12 hours", "ga_occupancy": ""}
    stop = not_judged(gridlocked)
    rows: dict[pd.Timestamp, dict[str, str]] = {}
    for r in monthly.itertuples(index=False):
        row = rows.setdefault(r.month, {"month": f"{r.month:%b %Y}", "days measured": f"{r.days:g}"})
        col = names[r.target].format(u=r.unit) or "G&A occupancy at midnight"
        unplaced = float(getattr(r, "never_placed", math.nan))
        if not math.isfinite(float(r.mean)):
            row[col] = never_placed_words(unplaced) if math.isfinite(unplaced) else "not measured"
            continue
        cell = f"{100 * r.mean:.1f}%"
        if r.n_reps > 1 and r.hi - r.lo >= 0.0005:
            cell += f" ({100 * r.lo:.1f}% to {100 * r.hi:.1f}%)"
        goal = targets.get(r.target)
        rag = goal.on(r.month).rag(float(r.mean)) if goal is not None else None  # the standard of that month
        if stop:
            cell += f", {stop}"
        elif rag is not None:
            cell += f", {rag.status}"
        row[col] = cell
    return pd.DataFrame(list(rows.values()))
