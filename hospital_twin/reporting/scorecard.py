"""Scenarios side by side against the NHS targets: the headline figures and the months, with red / amber / green.

- :func:`target_measure`: which measure a target (``reporting.targets.Target``) reads: its metric, one figure per
  ED or one for the hospital, and whether the target reads one minus the metric (the 4-hour standard counts those
  *within* 4 hours; the files count the breaches). Every target in ``NHS_TARGETS`` is looked up here, so a new
  target needs one line in :data:`TARGET_MEASURES` (or a ``metric`` attribute of its own);
- :func:`against_targets`: each scenario's headline figure for each target, with its 95% interval and red / amber
  / green (long: one row a target, unit and scenario); G&A occupancy at midnight from ``reporting.nhs``;
- :func:`months_against_targets`: :func:`hospital_twin.reporting.nhs.by_month` of each scenario, judged;
- :func:`side_by_side`: either of them for a manager: one row a measure (and month), one column a scenario, each
  cell the figure and its red / amber / green in words ("72.1% (70.2% to 74.0%), red"), with a frame of the
  statuses beside it (for colour).

A figure a run did not measure (no ED attendance, no hourly census) is said as such ("not measured"), never left
out or shown as zero. Pure: DataFrames and scenarios in, DataFrames out. The frames may hold several scenarios
(a ``scenario`` column, as in a comparison's results folder) or one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from hospital_twin.reporting.nhs import (
    GA_MIDNIGHT,
    MONTH_MEASURES,
    by_month,
    ed_units,
    ga_occupancy_summary,
    gridlocked_reps,
    never_placed_words,
    not_judged,
)
from hospital_twin.reporting.notes import gridlock_count
from hospital_twin.results import ALL
from hospital_twin.scenario.dates import measured_days
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "TARGET_MEASURES",
    "TargetMeasure",
    "against_targets",
    "measure_name",
    "months_against_targets",
    "side_by_side",
    "target_measure",
]


@dataclass(frozen=True)
class TargetMeasure:
    """What a target reads: ``metric`` (an id of the summary, or ``reporting.nhs.GA_MIDNIGHT``), per ED or for the
    hospital (``ALL``), ``flip`` when the target counts 1 - metric; ``label`` the measure in words (``{unit}`` is
    the ED's name)."""

    metric: str
    per_ed: bool
    flip: bool
    label: str


TARGET_MEASURES: dict[str, TargetMeasure] = {
    "four_hour": TargetMeasure("ed_4h_breach_share", True, True, "{unit}: within 4 hours"),
    "twelve_hour": TargetMeasure("ed_12h_breach_share", True, False, "{unit}: over 12 hours in the ED"),
    "ga_occupancy": TargetMeasure(GA_MIDNIGHT, False, False, "G&A occupancy at midnight"),
}
"""The measure of each target of ``reporting.targets``, by the target's key."""


def target_measure(target) -> TargetMeasure | None:
    """The measure ``target`` reads: :data:`TARGET_MEASURES` by its key, else a ``metric`` the target names itself
    (an attribute, or its entry in ``reporting.nhs.MONTH_MEASURES``), per ED when the metric is an ED one
    (``ed_...``); None when nothing says (the target is then shown as not measured)."""
    known = TARGET_MEASURES.get(target.key)
    if known is not None:
        return known
    metric = getattr(target, "metric", None) or MONTH_MEASURES.get(target.key)
    if not metric:
        return None
    if metric == "ed_within_4h":  # the 4-hour standard's own name in reporting.nhs
        return TargetMeasure("ed_4h_breach_share", True, True, "{unit}: " + target.name)
    per_ed = str(metric).startswith("ed_")
    return TargetMeasure(str(metric), per_ed, False, ("{unit}: " if per_ed else "") + target.name)


def measure_name(target, unit: str) -> str:
    """The measure of ``target`` in words for ``unit`` ("ED: within 4 hours", "G&A occupancy at midnight")."""
    m = target_measure(target)
    label = m.label if m is not None else target.name
    if unit == ALL:
        return label.replace("{unit}: ", "")
    return label.format(unit=unit) if "{unit}" in label else f"{unit}: {label}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _units(m: TargetMeasure | None, scenarios: Sequence[Scenario], look: pd.DataFrame) -> list[str]:
    """The units a target is judged on: each ED for an ED measure, else the hospital (``ALL``), unless the
    summary has the measure only on EDs (an ED measure by another name, e.g. the ambulance handover)."""
    eds = list(dict.fromkeys(u for s in scenarios for u in ed_units(s)))
    if m is None or not eds:
        return [ALL]
    if m.per_ed:
        return eds
    have = set(look.index[look.index.get_level_values("metric") == m.metric].get_level_values("unit"))
    on_eds = [u for u in eds if u in have]
    return on_eds if on_eds and ALL not in have else [ALL]


def _judge(target, mean: float) -> tuple[str, str]:
    """(status, short words): ('red', 'Red: 5.9 points short'), ('', 'not measured') for no figure."""
    rag = target.rag(mean) if mean is not None and math.isfinite(mean) else None
    if rag is None:
        return "", "not measured"
    words = rag.words.replace(f" of the target {target.text}", "").replace(f" over the target {target.text}", " over")
    return rag.status, words.replace(f"the target {target.text}", "the target")


def against_targets(
    summary: pd.DataFrame,
    kpis: pd.DataFrame | None,
    census: pd.DataFrame | None,
    scenarios: Sequence[Scenario],
    targets: dict,
) -> pd.DataFrame:
    """Each scenario's headline figure for each target (``targets``: key -> ``Target``, in the order shown):
    ``target, measure, unit, scenario, mean, ci_low, ci_high, n_reps, status, words``.

    ``mean`` and its 95% interval are as the target reads them (the share *within* 4 hours; shares clipped to
    0-1); G&A occupancy at midnight comes from the hourly ``census`` and ``kpis`` (``reporting.nhs``), so it is
    NaN without a census. ``status`` is "green", "amber", "red" or "" (not measured, or not judged when any
    replication gridlocked: a collapse is never green), ``words`` says it ("Red: 5.9 points short", "Green: meets
    the target", "not measured", "not judged: 2 of 2 replications gridlocked")."""
    frames = [summary]
    if kpis is not None:
        frames += [ga_occupancy_summary(census, kpis, s) for s in scenarios]
    look = pd.concat(frames, ignore_index=True).drop_duplicates(["scenario", "metric", "unit"], keep="last")
    look = look.set_index(["scenario", "metric", "unit"])
    rows = []
    for key, t in targets.items():
        m = target_measure(t)
        for unit in _units(m, scenarios, look):
            for s in scenarios:
                mean = lo = hi = math.nan
                n = 0
                if m is not None and (s.name, m.metric, unit) in look.index:
                    r = look.loc[(s.name, m.metric, unit)]
                    mean, lo, hi, n = float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]), int(r["n_reps"])
                    if m.flip:
                        mean, lo, hi = 1 - mean, 1 - hi, 1 - lo
                    lo, hi = max(0.0, lo), min(1.0, hi)
                status, words = _judge(t.during(*(measured_days(s) or (None, None))), mean)
                stop = not_judged(gridlock_count(summary, s.name))
                if stop and math.isfinite(mean):  # a collapse is not green (nor red): say it
                    status, words = "", stop
                rows.append((key, measure_name(t, unit), unit, s.name, mean, lo, hi, n, status, words))
    cols = ["target", "measure", "unit", "scenario", "mean", "ci_low", "ci_high", "n_reps", "status", "words"]
    return pd.DataFrame(rows, columns=cols)


def months_against_targets(
    log: pd.DataFrame | None,
    census: pd.DataFrame | None,
    kpis: pd.DataFrame,
    scenarios: Sequence[Scenario],
    targets: dict,
) -> pd.DataFrame:
    """:func:`hospital_twin.reporting.nhs.by_month` of each scenario, judged against ``targets``: ``month, target,
    measure, unit, scenario, mean, lo, hi, n_reps, days, status, words`` (``lo``/``hi`` the lowest and highest
    replication). Only the targets in ``targets`` that ``by_month`` measures; in the order of ``targets``. Not
    judged (status "") in a scenario with gridlocked replications; an ED month nobody got a space in says so."""
    parts = [by_month(log, census, kpis, s).assign(scenario=s.name) for s in scenarios]
    cols = ["month", "target", "measure", "unit", "scenario", "mean", "lo", "hi", "n_reps", "days", "status", "words"]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out = out[out["target"].isin(list(targets))].copy()
    judged = [
        _judge(targets[k].on(m), float(x)) for k, m, x in zip(out["target"], out["month"], out["mean"], strict=True)
    ]
    stops = {s.name: not_judged(gridlocked_reps(kpis, s.name)) for s in scenarios}
    for i, (name, x, n) in enumerate(zip(out["scenario"], out["mean"], out["never_placed"], strict=True)):
        if not math.isfinite(float(x)):
            judged[i] = ("", never_placed_words(float(n)) if math.isfinite(float(n)) else "not measured")
        elif stops.get(name):  # a collapse is not green (nor red): say it
            judged[i] = ("", stops[name])
    out["status"] = [j[0] for j in judged]
    out["words"] = [j[1] for j in judged]
    out["measure"] = [measure_name(targets[k], u) for k, u in zip(out["target"], out["unit"], strict=True)]
    order = {k: i for i, k in enumerate(targets)}
    out = out.assign(_t=out["target"].map(order)).sort_values(["month", "_t", "unit"], kind="stable")
    return out[cols].reset_index(drop=True)


def side_by_side(judged: pd.DataFrame, names: Sequence[str], targets: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`against_targets` or :func:`months_against_targets` for a manager: ``(table, status)``.

    ``table``: one row a measure (a month and measure for the months: "Jan 2025" and its days measured first),
    then the target in words ("78% or more"), then one column a scenario (``names``, in order) with the figure,
    its range ("(70.2% to 74.0%)": the 95% interval for the headline, the lowest to the highest replication for a
    month) and red / amber / green in words, or "not measured". ``status``: the same rows, a column a scenario,
    "green" / "amber" / "red" / "" (for colour)."""
    monthly = "month" in judged.columns
    lo_col, hi_col = ("lo", "hi") if monthly else ("ci_low", "ci_high")
    keys = (["month"] if monthly else []) + ["target", "measure"]
    rows, status = [], []
    for _, g in judged.groupby(keys, sort=False):
        first = g.iloc[0]
        row: dict[str, str] = {}
        if monthly:
            row["Month"] = f"{first['month']:%b %Y}"
            row["Days measured"] = f"{float(first['days']):g}"
        row["Measure"] = first["measure"]
        goal = targets[first["target"]]  # a month shows its own standard, the headline the whole trajectory
        row["Target"] = goal.on(first["month"]).text if monthly else goal.trajectory_text
        st: dict[str, str] = {}
        for name in names:
            r = g[g["scenario"] == name]
            if r.empty or not math.isfinite(float(r.iloc[0]["mean"])):
                said = "" if r.empty else str(r.iloc[0]["words"])
                row[name], st[name] = (said if said.startswith("not measured") else "not measured"), ""
                continue
            r = r.iloc[0]
            cell = _pct(float(r["mean"]))
            lo, hi = float(r[lo_col]), float(r[hi_col])
            if int(r["n_reps"]) > 1 and math.isfinite(lo) and math.isfinite(hi) and hi - lo >= 0.0005:
                cell += f" ({_pct(lo)} to {_pct(hi)})"
            said = str(r["words"])
            row[name] = f"{cell}, {said[0].lower()}{said[1:]}" if r["status"] or said.startswith("not judged") else cell
            st[name] = r["status"]
        rows.append(row)
        status.append(st)
    return pd.DataFrame(rows), pd.DataFrame(status, columns=list(names))
