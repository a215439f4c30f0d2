"""What a scenario's beds cost: bed-days by kind priced at the unit costs of ``scenarios/costs.yaml``, a year's
cost with its 95% interval, and the difference a what-if makes under common random numbers, in words.

Bed-days of the measured period, per replication (``days`` = the scenario's ``horizon_days``):

- **escalation beds**: escalation beds *open* on G&A units, ``escalation_beds_open_mean`` x days, occupied or not
  (an open escalation bed is staffed; the model opens them under pressure and closes them as they empty), at
  ``escalation_bed_day_gbp``;
- **G&A beds**: occupied G&A bed-days in *base* beds: occupied bed-days (``occupancy_mean`` x days, outliers in their
  host's beds included) less the occupied escalation bed-days (the patients above the unit's base beds, from the
  hourly census of the measured period: the sum over hours of max(0, occupied - base beds) / 24, at most the
  escalation bed-days open), at ``bed_day_gbp``. So a patient in an escalation bed is priced once (at the escalation
  rate) and an open but empty escalation bed still costs the escalation rate. Without a census the split cannot be
  made: a unit with escalation beds open then has NaN G&A bed-days (and total), never a guess;
- **critical care beds**: occupied critical-care bed-days (units of ``kind`` icu or hdu, their escalation beds
  included), at ``critical_care_bed_day_gbp``; not priced (and left out of the total) when the costs file has no
  such rate.

ED spaces, discharge lounge places and discharge pathway places are not beds and are not priced here. When a kind
the scenario uses (bed-days above 0) has no rate, the total is the *priced* beds' alone (:func:`total_label` names it
so). A year's figure is the measured period's x 365 / days measured (so a measured period shorter than a year misses
the seasons it does not contain). Means and t-intervals are over replications (:func:`hospital_twin.results.summarise`);
a difference pairs each replication of a what-if with the baseline's replication of the same number (common random
numbers), like :func:`hospital_twin.experiment.comparison.paired_differences`.

Pure: DataFrames, scenarios and :class:`~hospital_twin.scenario.costs.CostRates` in, DataFrames and strings out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hospital_twin.reporting.nhs import critical_care_units, ga_units
from hospital_twin.reporting.verdicts import change_phrase
from hospital_twin.results import summarise, t_half_width
from hospital_twin.scenario.costs import CostRates
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "ALL_BEDS",
    "BED_KINDS",
    "CC_BEDS",
    "COST_COLUMNS",
    "DAYS_A_YEAR",
    "ESCALATION_BEDS",
    "GA_BEDS",
    "bed_cost_by_rep",
    "bed_cost_difference",
    "bed_cost_summary",
    "bed_days_by_rep",
    "cost_sentence",
    "gbp",
    "occupied_escalation_bed_days",
    "total_label",
]

GA_BEDS = "G&A beds"
ESCALATION_BEDS = "escalation beds"
CC_BEDS = "critical care beds"
ALL_BEDS = "all beds"
BED_KINDS = (GA_BEDS, ESCALATION_BEDS, CC_BEDS)
"""The kinds of bed-day priced, in the order shown; :data:`ALL_BEDS` is their total (the priced ones)."""
DAYS_A_YEAR = 365.0
"""A year's figure is the measured period's x ``DAYS_A_YEAR`` / days measured."""
COST_COLUMNS = ["scenario", "rep", "kind", "bed_days", "rate_gbp", "cost_gbp", "cost_gbp_year"]
"""Columns of :func:`bed_cost_by_rep` (money in the costs file's currency; ``rate_gbp`` NaN = not priced)."""


def occupied_escalation_bed_days(census: pd.DataFrame, scenario: Scenario, units: list[str]) -> pd.DataFrame:
    """``rep x unit`` table of occupied escalation bed-days of the measured period: per hour of the hourly census
    (``rep, unit, time_h, occupied``, warm-up included; a ``scenario`` column, if any, is filtered to
    ``scenario.name``) from ``warmup_h`` to the end of the horizon, max(0, occupied - the unit's base beds), summed and
    divided by 24."""
    c = census[census["scenario"] == scenario.name] if "scenario" in census.columns else census
    lo = float(scenario.warmup_h)
    hi = lo + 24.0 * float(scenario.horizon_days)
    c = c[c["unit"].isin(units) & (c["time_h"] >= lo - 1e-9) & (c["time_h"] < hi - 1e-9)]
    base = c["unit"].map({u: float(scenario.units[u].beds) for u in units})
    above = (c["occupied"].astype(float) - base).clip(lower=0.0) / 24.0
    table = above.groupby([c["rep"], c["unit"]]).sum().unstack("unit")
    return table.reindex(columns=units).fillna(0.0)


def bed_days_by_rep(kpis: pd.DataFrame, scenario: Scenario, census: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bed-days of the measured period per replication and kind: ``scenario, rep, kind, bed_days`` (definitions in
    the module's docstring). ``kpis`` holds ``rep, metric, unit, value`` (a ``scenario`` column, if any, is filtered
    to ``scenario.name``); ``census`` the hourly census (``rep, unit, time_h, occupied``), needed to split occupied
    G&A bed-days of a unit that opened escalation beds (without it that unit's G&A bed-days are NaN)."""
    k = kpis[kpis["scenario"] == scenario.name] if "scenario" in kpis.columns else kpis
    days = float(scenario.horizon_days)
    reps = sorted(k["rep"].unique())
    ga, cc = ga_units(scenario), critical_care_units(scenario)

    def per_rep(metric: str, units: list[str]) -> pd.DataFrame:
        """``rep x unit`` table of ``metric`` (0 where not measured: no escalation beds, say)."""
        rows = k[(k["metric"] == metric) & k["unit"].isin(units)]
        table = rows.pivot_table(index="rep", columns="unit", values="value", aggfunc="sum")
        return table.reindex(index=reps, columns=units).fillna(0.0)

    occ_ga = per_rep("occupancy_mean", ga) * days
    esc_ga = per_rep("escalation_beds_open_mean", ga) * days
    occ_cc = per_rep("occupancy_mean", cc) * days
    if census is not None:
        esc_occupied = occupied_escalation_bed_days(census, scenario, ga).reindex(index=reps).fillna(0.0)
        esc_occupied = esc_occupied.where(esc_occupied <= esc_ga, esc_ga)  # never more than were open
    else:  # no census: a unit that opened escalation beds cannot be split; one that never did has none occupied
        esc_occupied = esc_ga.where(esc_ga <= 0.0, math.nan).clip(upper=0.0)
    kinds = {
        GA_BEDS: (occ_ga - esc_occupied).clip(lower=0.0).sum(axis=1, skipna=False),
        ESCALATION_BEDS: esc_ga.sum(axis=1),
        CC_BEDS: occ_cc.sum(axis=1),
    }
    frames = [
        pd.DataFrame({"scenario": scenario.name, "rep": reps, "kind": kind, "bed_days": v.to_numpy(dtype=float)})
        for kind, v in kinds.items()
    ]
    return pd.concat(frames, ignore_index=True)


def _rate(kind: str, rates: CostRates) -> float:
    r = {GA_BEDS: rates.bed_day_gbp, ESCALATION_BEDS: rates.escalation_bed_day_gbp}
    r[CC_BEDS] = rates.critical_care_bed_day_gbp
    value = r[kind]
    return math.nan if value is None else float(value)


def bed_cost_by_rep(
    kpis: pd.DataFrame, scenario: Scenario, rates: CostRates, census: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Cost of the measured period and of a year per replication and kind, with the total (:data:`ALL_BEDS`, the
    priced kinds): :data:`COST_COLUMNS`. A kind without a rate has ``rate_gbp`` and its costs NaN. ``census``: see
    :func:`bed_days_by_rep`."""
    out = bed_days_by_rep(kpis, scenario, census)
    out["rate_gbp"] = out["kind"].map(lambda kind: _rate(kind, rates))
    out["cost_gbp"] = out["bed_days"] * out["rate_gbp"]
    priced = out[out["rate_gbp"].notna()]
    total = priced.groupby("rep", sort=True)[["bed_days", "cost_gbp"]].agg(lambda x: x.sum(skipna=False)).reset_index()
    total = total.assign(scenario=scenario.name, kind=ALL_BEDS, rate_gbp=math.nan)
    out = pd.concat([out, total], ignore_index=True)
    out["cost_gbp_year"] = out["cost_gbp"] * DAYS_A_YEAR / float(scenario.horizon_days)
    order = {kind: i for i, kind in enumerate((*BED_KINDS, ALL_BEDS))}
    out = out.sort_values(["kind", "rep"], key=lambda c: c.map(order) if c.name == "kind" else c, kind="stable")
    return out[COST_COLUMNS].reset_index(drop=True)


def bed_cost_summary(
    kpis: pd.DataFrame,
    scenario: Scenario,
    rates: CostRates,
    confidence: float = 0.95,
    census: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per kind (and :data:`ALL_BEDS`): ``scenario, kind, rate_gbp, bed_days, bed_days_year, cost_gbp,
    cost_gbp_year, year_low, year_high, n_reps``: means over replications, the year's cost with its t-interval
    (``confidence``). Kinds without a rate keep their bed-days and have NaN costs. ``census``: see
    :func:`bed_days_by_rep`."""
    by_rep = bed_cost_by_rep(kpis, scenario, rates, census)
    scale = DAYS_A_YEAR / float(scenario.horizon_days)
    rows = []
    for kind, g in by_rep.groupby("kind", sort=False):
        year = summarise(
            g.assign(metric="cost_gbp_year", unit=kind, value=g["cost_gbp_year"])[
                ["scenario", "rep", "metric", "unit", "value"]
            ],
            confidence,
        )
        y = year.iloc[0] if len(year) else None
        rows.append(
            {
                "scenario": scenario.name,
                "kind": kind,
                "rate_gbp": float(g["rate_gbp"].iloc[0]),
                "bed_days": float(g["bed_days"].mean()),
                "bed_days_year": float(g["bed_days"].mean()) * scale,
                "cost_gbp": float(g["cost_gbp"].mean()),
                "cost_gbp_year": math.nan if y is None else float(y["mean"]),
                "year_low": math.nan if y is None else float(y["ci_low"]),
                "year_high": math.nan if y is None else float(y["ci_high"]),
                "n_reps": int(g["rep"].nunique()),
            }
        )
    return pd.DataFrame(rows)


def bed_cost_difference(
    kpis: pd.DataFrame,
    scenarios: list[Scenario],
    rates: CostRates,
    confidence: float = 0.95,
    census: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A year's bed cost of each what-if minus the baseline's (``scenarios[0]``), paired by replication number
    (common random numbers): ``scenario, baseline, kind, rate_gbp, bed_days_year_diff, baseline_bed_days_year,
    scenario_bed_days_year, baseline_year, scenario_year,
    diff_year, diff_low, diff_high, n_reps, confidence`` per what-if and kind (and :data:`ALL_BEDS`); the interval is the
    t-interval of the paired differences at ``confidence`` (the Compare page passes its own, widened for several
    what-ifs). Replications present on one side only are left out. ``census`` (all scenarios', with a ``scenario``
    column): see :func:`bed_days_by_rep`."""
    base = scenarios[0]
    b = bed_cost_by_rep(kpis, base, rates, census)
    rows = []
    for variant in scenarios[1:]:
        v = bed_cost_by_rep(kpis, variant, rates, census)
        for kind in (*BED_KINDS, ALL_BEDS):
            pair = b[b["kind"] == kind].merge(v[v["kind"] == kind], on="rep", suffixes=("_b", "_v"))
            d = (pair["cost_gbp_year_v"] - pair["cost_gbp_year_b"]).to_numpy(dtype=float)
            days_d = (pair["bed_days_v"] * DAYS_A_YEAR / float(variant.horizon_days)) - (
                pair["bed_days_b"] * DAYS_A_YEAR / float(base.horizon_days)
            )
            n = len(d)
            mean = float(d.mean()) if n else math.nan
            sd = float(d.std(ddof=1)) if n > 1 else math.nan
            half = float(t_half_width(np.array([0.0 if math.isnan(sd) else sd]), np.array([n]), confidence)[0])
            rows.append(
                {
                    "scenario": variant.name,
                    "baseline": base.name,
                    "kind": kind,
                    "rate_gbp": float(v.loc[v["kind"] == kind, "rate_gbp"].iloc[0]) if len(v) else math.nan,
                    "bed_days_year_diff": float(days_d.mean()) if n else math.nan,
                    "baseline_bed_days_year": float(pair["bed_days_b"].mean()) * DAYS_A_YEAR / float(base.horizon_days)
                    if n
                    else math.nan,
                    "scenario_bed_days_year": float(pair["bed_days_v"].mean())
                    * DAYS_A_YEAR
                    / float(variant.horizon_days)
                    if n
                    else math.nan,
                    "baseline_year": float(pair["cost_gbp_year_b"].mean()) if n else math.nan,
                    "scenario_year": float(pair["cost_gbp_year_v"].mean()) if n else math.nan,
                    "diff_year": mean,
                    "diff_low": mean - half,
                    "diff_high": mean + half,
                    "n_reps": n,
                    "confidence": confidence,
                }
            )
    return pd.DataFrame(rows)


def total_label(unpriced: list[str] | tuple[str, ...]) -> str:
    """What the total is called: 'all beds' when every kind the scenario uses is priced, 'priced beds' when some
    (``unpriced``: kinds with bed-days but no rate) are left out of it."""
    return "priced beds" if unpriced else ALL_BEDS


def gbp(x: float, symbol: str = "£") -> str:
    """Money as a manager reads it: '£1.86m', '£450k', '£12k', '£9,800' ('—' when not a number); the sign of a negative
    amount is kept ('-£0.2m')."""
    if x is None or not math.isfinite(x):
        return "—"
    sign, a = ("-" if x < 0 else ""), abs(x)
    if a >= 1e6:
        return f"{sign}{symbol}{a / 1e6:,.{2 if a < 1e7 else 1}f}m"
    if a >= 1e4:
        return f"{sign}{symbol}{a / 1e3:,.0f}k"
    return f"{sign}{symbol}{a:,.0f}"


def _added_beds(base: Scenario, variant: Scenario, d: pd.DataFrame, currency: str = "£") -> list[str]:
    """What the beds a what-if adds would cost open all year (base beds by G&A or critical care unit, escalation
    beds of units' ``escalation`` blocks), as phrases: '10 more escalation beds open all year would be 3,650
    bed-days, £1.86m'."""
    rate = {kind: float(d.loc[kind, "rate_gbp"]) for kind in BED_KINDS if kind in d.index}
    cc = set(critical_care_units(variant))
    out = []
    for u, spec in variant.units.items():
        if u not in base.units or u not in set(ga_units(variant)) | cc:
            continue
        extra = spec.beds - base.units[u].beds
        kind = CC_BEDS if u in cc else GA_BEDS
        if extra > 0 and math.isfinite(rate.get(kind, math.nan)):
            days = extra * DAYS_A_YEAR
            out.append(
                f"{extra} more {u} {'bed' if extra == 1 else 'beds'} open all year would be {days:,.0f} bed-days, "
                f"{gbp(days * rate[kind], currency)}"
            )
    esc = sum(
        (spec.escalation.beds if spec.escalation else 0)
        - (base.units[u].escalation.beds if base.units[u].escalation else 0)
        for u, spec in variant.units.items()
        if u in base.units and u in ga_units(variant)
    )
    if esc > 0 and math.isfinite(rate.get(ESCALATION_BEDS, math.nan)):
        days = esc * DAYS_A_YEAR
        out.append(
            f"{esc} more escalation {'bed' if esc == 1 else 'beds'} open all year would be {days:,.0f} bed-days, "
            f"{gbp(days * rate[ESCALATION_BEDS], currency)}"
        )
    return out


def _points(r) -> str:
    """'ED within 4 hours +2.3 points' from a verdict row (its ``diff`` already in the reader's units)."""
    axis = "points" if r["axis"] == "percentage points" else r["axis"]
    d = float(r["diff"])
    amount = f"{d:+,.1f}" if abs(d) < 100 else f"{d:+,.0f}"
    return f"{r['label']} {amount} {axis}".rstrip()


def cost_sentence(
    difference: pd.DataFrame,
    verdicts: pd.DataFrame | None,
    base: Scenario,
    variant: Scenario,
    currency: str = "£",
) -> str:
    """What a what-if costs a year and what it buys, in words, from :func:`bed_cost_difference` and (optional)
    :func:`hospital_twin.reporting.verdicts.verdict_table`: the escalation beds' cost first when they change, then
    the whole bed cost; for beds the what-if adds (base beds, units' escalation beds), what they would cost open all
    year (occupied bed-days alone do not price an empty bed); 'buys' lists the board measures the verdicts call
    clearly better, 'but' the clearly worse."""
    d = difference[difference["scenario"] == variant.name].set_index("kind")
    if d.empty:
        return ""
    subject = change_phrase(base, variant)
    level = f"{100 * float(d['confidence'].iloc[0]):g}%"

    def money(kind: str) -> tuple[str, bool]:
        r = d.loc[kind]
        mean, lo, hi = float(r["diff_year"]), float(r["diff_low"]), float(r["diff_high"])
        if not math.isfinite(mean):
            return "", False
        if math.isfinite(lo) and lo == hi == mean == 0.0:
            return f"the same in every replication ({gbp(0.0, currency)} a year)", False
        interval = f"{level} interval {gbp(lo, currency)} to {gbp(hi, currency)}"
        if math.isfinite(lo) and lo <= 0 <= hi:
            return f"no clear change ({gbp(mean, currency)} a year, {interval}, includes 0)", False
        more = "more" if mean > 0 else "less"
        return f"about {gbp(abs(mean), currency)} a year {more} ({interval})", True

    def used(kind: str) -> bool:
        r = d.loc[kind]
        return any(
            math.isfinite(x) and abs(x) > 1e-9
            for x in (
                float(r.get("baseline_bed_days_year", math.nan)),
                float(r.get("scenario_bed_days_year", math.nan)),
                float(r["bed_days_year_diff"]),
            )
        )

    unpriced = [k for k in BED_KINDS if k in d.index and not math.isfinite(float(d.loc[k, "rate_gbp"])) and used(k)]
    priced = [k for k in BED_KINDS if k in d.index and math.isfinite(float(d.loc[k, "rate_gbp"]))]
    names = {GA_BEDS: "occupied G&A", ESCALATION_BEDS: "escalation", CC_BEDS: "critical care"}
    parts = []
    esc = d.loc[ESCALATION_BEDS] if ESCALATION_BEDS in d.index else None
    if esc is not None and ESCALATION_BEDS not in unpriced and abs(float(esc["bed_days_year_diff"])) > 1e-9:
        text, _ = money(ESCALATION_BEDS)
        open_beds = float(esc["bed_days_year_diff"]) / DAYS_A_YEAR
        parts.append(
            f"{abs(open_beds):.1f} {'more' if open_beds > 0 else 'fewer'} escalation beds open on average, at "
            f"{gbp(float(esc['rate_gbp']), currency)} a bed-day, cost {text}"
        )
    text, _ = money(ALL_BEDS)
    listed = [names[k] for k in ([k for k in priced if used(k)] or priced)]
    listed = ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)
    parts.append(f"{total_label(unpriced)} ({listed}) cost {text}")
    for k in unpriced:
        diff_days = float(d.loc[k, "bed_days_year_diff"])
        parts.append(f"{names[k]} not priced: {diff_days:+,.0f} bed-days a year")
    sentence = f"{subject}: " + "; ".join(parts) + "."
    added = _added_beds(base, variant, d, currency)
    if added:
        sentence += (
            " Beds are priced when occupied (escalation beds when open): "
            + "; ".join(added)
            + " if every bed-day were costed like an occupied one."
        )
    if verdicts is not None and len(verdicts):
        v = verdicts[(verdicts["scenario"] == variant.name) & (verdicts["status"] == "clear")]
        v = v[v["group"] == "board"]
        good = [_points(r) for r in v[v["better"] == True].to_dict("records")]  # noqa: E712 (None = not judged)
        bad = [_points(r) for r in v[v["better"] == False].to_dict("records")]  # noqa: E712
        if good:
            sentence += " It buys: " + "; ".join(good[:5]) + "."
        else:
            sentence += " It buys no clear improvement in the measures a board asks about."
        if bad:
            sentence += " But: " + "; ".join(bad[:3]) + "."
    return sentence
