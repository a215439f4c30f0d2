"""Verdicts on a comparison in a board's words: one table the Compare page's sentences and its forest plot both read.

:func:`verdict_table` turns ``comparison.csv`` (paired differences, what-if minus baseline) into one row per
what-if and measure, in this order:

1. the measures a board asks about (:data:`BOARD_MEASURES`): ED 4-hour and 12-hour performance, trolley waits,
   patients who waited for a bed by unit, cancelled operations, outliers, delayed discharges (NCTR), occupancy,
   escalation hours; each with the baseline's and the what-if's central estimate and the interval of the
   difference;
2. the arithmetic consequences of a change in beds (:data:`BED_MEASURES`: the occupancy of a unit whose beds the
   what-if changes falls because the same patients fill more beds);
3. other measures (:data:`OTHER_MEASURES`).

Each row has a ``status``: ``clear`` (the interval excludes 0 and gridlock does not drive it), ``unclear`` (it
includes 0), ``gridlock`` (:func:`hospital_twin.reporting.notes.gridlock_caveat`: gridlocked replications drive the
difference; the sentence gives the difference without them and is never called clear) or ``same`` (identical in
every replication). The forest plot fills a point exactly when ``status == "clear"``
(:func:`hospital_twin.reporting.charts.verdict_forest_chart`). :func:`gridlock_lines` says, per what-if, how many
replications gridlocked on each side. With the KPIs, a side whose replications disagree strongly gets its median
and range (:func:`hospital_twin.reporting.honest.replication_spread`).

Pure: DataFrames and scenarios in, a DataFrame and strings out.
"""

from __future__ import annotations

import math

import pandas as pd

from hospital_twin.reporting.honest import replication_spread
from hospital_twin.reporting.notes import gridlock_caveat
from hospital_twin.results import ALL, GRIDLOCK_RULE
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "BED_MEASURES",
    "BOARD_MEASURES",
    "OTHER_MEASURES",
    "VERDICT_COLUMNS",
    "change_phrase",
    "gridlock_lines",
    "verdict_table",
]

# (metric, where, words, short label, kind, higher is better); where: "ed" per ED, "all" the hospital,
# "inpatient" ALL and every inpatient unit, "groups" every escalation group. Kind "share_flip" shows 1 - value.
BOARD_MEASURES: list[tuple[str, str, str, str, str, bool | None]] = [
    ("ed_4h_breach_share", "ed", "the share of ED patients leaving within 4 hours", "ED within 4 hours", "flip", True),
    (
        "ed_12h_breach_share",
        "ed",
        "the share of ED patients over 12 hours in the department",
        "ED over 12 hours",
        "share",
        False,
    ),
    (
        "ed_dta_12h_waits",
        "ed",
        "12-hour trolley waits from the decision to admit",
        "12-hour trolley waits a day",
        "per_day",
        False,
    ),
    (
        "ed_dta_4h_share",
        "ed",
        "the share of decisions to admit waiting over 4 hours for a bed",
        "Trolley waits over 4 h",
        "share",
        False,
    ),
    (
        "ed_boarding_mean_h",
        "ed",
        "the mean trolley wait from the decision to admit",
        "Trolley wait, mean",
        "hours",
        False,
    ),
    ("waited_share", "inpatient", "the share of {u} patients who waited for a bed", "Waited for a bed", "share", False),
    ("cancelled", "all", "elective operations cancelled for want of a bed", "Operations cancelled", "count", False),
    ("outlier_share", "all", "the share of admissions placed on another ward (outliers)", "Outliers", "share", False),
    (
        "nctr_mean",
        "all",
        "delayed discharges, patients fit to leave still in a bed (NCTR)",
        "Delayed discharges (NCTR)",
        "beds",
        False,
    ),
    ("utilisation", "all", "inpatient bed occupancy", "Bed occupancy", "share", None),
    ("hours_at_level_4", "groups", "hours at OPEL 4{g}", "Hours at OPEL 4", "hours", False),
    ("hours_at_level_3", "groups", "hours at OPEL 3{g}", "Hours at OPEL 3", "hours", False),
]
"""The measures a board asks about, in the order the verdicts give them."""

BED_MEASURES: list[tuple[str, str, str, str, str, bool | None]] = [
    ("utilisation", "all", "inpatient bed occupancy", "Bed occupancy", "share", None),
    ("utilisation", "changed", "bed occupancy in {u}", "Occupancy", "share", None),
]
"""Arithmetic consequences of a change in beds, given after the board's measures."""

OTHER_MEASURES: list[tuple[str, str, str, str, str, bool | None]] = [
    ("wait_for_bed_mean_h", "all", "the mean wait for a bed", "Wait for a bed, mean", "hours", False),
    (
        "blocked_bed_hours",
        "all",
        "the bed-hours blocked waiting for the next unit",
        "Bed-hours blocked",
        "bed-hours",
        False,
    ),
    (
        "ratio_breach_hours",
        "all",
        "the hours over the nurse-to-patient ratio",
        "Hours over the nurse ratio",
        "hours",
        False,
    ),
]
"""Other measures, last."""

VERDICT_COLUMNS = [
    "scenario",
    "group",
    "metric",
    "unit",
    "label",
    "axis",
    "status",
    "better",
    "baseline_value",
    "scenario_value",
    "diff",
    "diff_low",
    "diff_high",
    "sentence",
    "lead",
]
"""Columns of :func:`verdict_table`: values in the units people read (shares in %, differences of shares in
percentage points, trolley waits a day); ``better`` is True / False for a clear change, else None; ``lead`` marks
the rows to give first, under their group: every board measure (a unit's waits only for a unit whose beds changed
or that moved clearly or by gridlock) and, in the other groups, the clear and gridlock-driven ones."""


def _staffing_bits(base: Scenario, variant: Scenario) -> list[str] | None:
    """Nurse changes as phrases ('3 more ICU nurses a shift'), one per unit whose every shift changes by the same
    number; None when staffing changes in any other way (policy, ratio, roster, shifts, units added or dropped)."""
    sa, sb = base.staffing, variant.staffing
    if sa is None or sb is None:
        return [] if sa == sb else None
    if sa.model_dump(mode="json", exclude={"units"}) != sb.model_dump(mode="json", exclude={"units"}):
        return None
    if set(sa.units) != set(sb.units):
        return None
    bits = []
    for u, spec in sb.units.items():
        old = sa.units[u]
        if old.patients_per_nurse != spec.patients_per_nurse or set(old.nurses) != set(spec.nurses):
            return None
        deltas = {spec.nurses[k] - old.nurses[k] for k in spec.nurses}
        if deltas <= {0}:
            continue
        if len(deltas) != 1:
            return None
        d = deltas.pop()
        bits.append(f"{abs(d)} {'more' if d > 0 else 'fewer'} {u} {'nurse' if abs(d) == 1 else 'nurses'} a shift")
    return bits


def change_phrase(base: Scenario, variant: Scenario) -> str:
    """What a what-if does, as the subject of a sentence ('4 more ICU beds and 3 more ICU nurses a shift'),
    when it changes only beds and nurses per shift (at most three such changes); else its name in quotes."""
    bits = []
    for u, spec in variant.units.items():
        if u in base.units and spec.beds != base.units[u].beds:
            d = spec.beds - base.units[u].beds
            bits.append(f"{abs(d)} {'more' if d > 0 else 'fewer'} {u} {'bed' if abs(d) == 1 else 'beds'}")
    skip = {"name", "description", "extends", "units", "staffing"}
    a = base.model_dump(mode="json", exclude=skip)
    b = variant.model_dump(mode="json", exclude=skip)
    ua = {u: {k: v for k, v in s.model_dump(mode="json").items() if k != "beds"} for u, s in base.units.items()}
    ub = {u: {k: v for k, v in s.model_dump(mode="json").items() if k != "beds"} for u, s in variant.units.items()}
    staff = _staffing_bits(base, variant)
    if staff is not None and a == b and ua == ub and 0 < len(bits + staff) <= 3:
        bits += staff
        return bits[0] if len(bits) == 1 else ", ".join(bits[:-1]) + " and " + bits[-1]
    return f"“{variant.name}”"


def _is_ed(spec) -> bool:
    return spec.ed is not None or spec.kind == "ed"


def _units(where: str, base: Scenario, variant: Scenario) -> list[str]:
    eds = [u for u, s in base.units.items() if _is_ed(s)]
    if where == "ed":
        return eds
    if where == "inpatient":
        return [ALL, *(u for u in base.units if u not in eds)]
    if where == "changed":
        return [u for u, s in variant.units.items() if u in base.units and s.beds != base.units[u].beds]
    if where == "groups":
        return list(base.escalation_levels)
    return [ALL]


def _scale(kind: str, days: float) -> tuple[float, str]:
    """Factor from the metric to the figure people read, and the axis words of a difference."""
    return {
        "share": (100.0, "percentage points"),
        "flip": (100.0, "percentage points"),
        "per_day": (1.0 / days if days > 0 else math.nan, "a day"),
        "hours": (1.0, "hours"),
        "beds": (1.0, "patients"),
        "bed-hours": (1.0, "bed-hours"),
    }.get(kind, (1.0, ""))


def _level(x: float, kind: str) -> str:
    """A central estimate as people read it (x already scaled)."""
    if kind in ("share", "flip"):
        return f"{x:.1f}%"
    if kind == "per_day":
        return f"{x:,.1f} a day"
    if kind == "hours":
        return f"{x:,.2f} h" if abs(x) < 10 else f"{x:,.1f} h"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _bare(x: float, kind: str, extra: int = 0) -> str:
    if kind in ("share", "flip", "per_day"):
        return f"{x:.{1 + extra}f}"
    if kind == "hours":
        return f"{x:.{2 + extra}f}" if abs(x) < 10 else f"{x:.{1 + extra}f}"
    return f"{x:,.{extra}f}" if abs(x) >= 100 else f"{x:,.{1 + extra}f}"


def _interval(lo: float, hi: float, kind: str, axis: str) -> str:
    """'-49.6 to -1.0 percentage points' with enough decimals to tell the ends apart."""
    digits = _digits(lo, hi, kind)
    return f"{_bare(lo, kind, digits)} to {_bare(hi, kind, digits)} {axis}".rstrip()


def _spread_words(kpis, name: str, metric: str, unit: str, kind: str, scale: float, who: str) -> str:
    s = replication_spread(kpis, name, metric, unit)
    if s is None:
        return ""

    def val(x: float) -> float:
        return (1.0 - x) * scale if kind == "flip" else x * scale

    lo, hi = sorted((val(s.low), val(s.high)))
    return f"{who}'s {s.n}: median {_level(val(s.median), kind)}, from {_level(lo, kind)} to {_level(hi, kind)}"


def _row_verdict(r, subject: str, words: str, kind: str, higher_better: bool, scale: float, axis: str, level: float):
    """``(status, better, base, var, diff, lo, hi, sentence)`` for one comparison row (values scaled)."""
    b, v = float(r["baseline_mean"]), float(r["scenario_mean"])
    d, lo, hi = float(r["diff_mean"]), float(r["diff_ci_low"]), float(r["diff_ci_high"])
    if kind == "flip":
        b, v, d, lo, hi = 1 - b, 1 - v, -d, -hi, -lo
    b, v, d, lo, hi = (x * scale for x in (b, v, d, lo, hi))
    both = f"from {_level(b, kind)} to {_level(v, kind)}"
    pct = f"{100 * level:g}%"
    if max(abs(lo), abs(hi)) < 1e-12:
        return "same", None, b, v, d, lo, hi, f"{subject} made no difference to {words} in any replication."
    caveat = gridlock_caveat(r)
    if caveat:
        return (
            "gridlock",
            None,
            b,
            v,
            d,
            lo,
            hi,
            f"{subject}: {words} went {both}, but this is not a clear answer: {caveat} "
            f"({pct} interval of the difference {_interval(lo, hi, kind, axis)}).",
        )
    if lo <= 0 <= hi:
        return (
            "unclear",
            None,
            b,
            v,
            d,
            lo,
            hi,
            f"{subject} made no clear difference to {words}: {_level(b, kind)} in the baseline, {_level(v, kind)} "
            f"with it ({pct} interval of the difference {_interval(lo, hi, kind, axis)}, includes 0).",
        )
    better = None if higher_better is None else (d > 0) == higher_better
    verb = "raised" if d > 0 else "cut"
    a_, b_ = sorted((abs(lo), abs(hi)))
    amount = f"{_bare(abs(d), kind, _digits(a_, b_, kind))} {axis}".rstrip()
    judged = "" if better is None else f": {'better' if better else 'worse'}"
    return (
        "clear",
        better,
        b,
        v,
        d,
        lo,
        hi,
        f"{subject} {verb} {words} {both}, by {amount} ({pct} interval {_interval(a_, b_, kind, axis)}){judged}.",
    )


def _digits(a: float, b: float, kind: str) -> int:
    digits = 0
    while _bare(a, kind, digits) == _bare(b, kind, digits) and digits < 3:
        digits += 1
    return digits


def verdict_table(
    comparison: pd.DataFrame, scenarios: list[Scenario], kpis: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Verdicts per what-if and measure, board measures first (:data:`VERDICT_COLUMNS`).

    ``comparison`` is :func:`hospital_twin.experiment.comparison.paired_differences` of ``scenarios`` (the
    baseline first); measures missing from it, not finite, or zero in both scenarios are left out. With
    ``kpis`` (``scenario, rep, metric, unit, value``), a side whose replications disagree strongly gets its
    median and range in the sentence.
    """
    base = scenarios[0]
    by_name = {s.name: s for s in scenarios}
    level = float(comparison["confidence"].iloc[0]) if len(comparison) else 0.95
    rows = []
    for variant in scenarios[1:]:
        subject = change_phrase(base, variant)
        c = comparison[comparison["scenario"] == variant.name]
        index = {
            (m, u): r for (m, u), r in zip(zip(c["metric"], c["unit"], strict=True), c.to_dict("records"), strict=True)
        }
        groups = (("board", BOARD_MEASURES), ("beds", BED_MEASURES), ("other", OTHER_MEASURES))
        for group, measures in groups:
            for metric, where, words, label, kind, higher_better in measures:
                units = _units(where, base, by_name[variant.name])
                changed_units = _units("changed", base, by_name[variant.name])
                changed = bool(changed_units)
                if metric == "utilisation" and where == "all" and (group == "board") == changed:
                    continue  # with a change in beds, the hospital's occupancy is an arithmetic consequence too
                for u in units:
                    r = index.get((metric, u))
                    if r is None:
                        continue
                    vals = [float(r[k]) for k in ("diff_mean", "diff_ci_low", "diff_ci_high")]
                    if not all(math.isfinite(x) for x in vals):
                        continue
                    if abs(float(r["baseline_mean"])) < 1e-12 and abs(float(r["scenario_mean"])) < 1e-12:
                        continue
                    if where == "inpatient" and u != ALL:
                        w = words.format(u=u)
                    elif where == "inpatient":
                        w = words.replace("{u} ", "")
                    else:
                        w = words.format(u=u, g=f" ({u})" if len(units) > 1 else "")
                    if where == "ed" and len(units) > 1:
                        w += f" in {u}"
                    scale, axis = _scale(kind, base.horizon_days)
                    status, better, b, v, d, lo, hi, sentence = _row_verdict(
                        r, subject, w, kind, higher_better, scale, axis, level
                    )
                    if kpis is not None:
                        extra = [
                            _spread_words(kpis, name, metric, u, kind, scale, who)
                            for name, who in ((variant.name, "the what-if"), (base.name, "the baseline"))
                        ]
                        extra = [e for e in extra if e]
                        if extra:
                            sentence += " Replications disagree strongly: " + "; ".join(extra) + "."
                    rows.append(
                        {
                            "scenario": variant.name,
                            "group": group,
                            "metric": metric,
                            "unit": u,
                            "label": label + (f" ({u})" if u != ALL and where != "ed" else ""),
                            "axis": "percentage points" if kind in ("share", "flip") else axis,
                            "status": status,
                            "better": better,
                            "baseline_value": b,
                            "scenario_value": v,
                            "diff": d,
                            "diff_low": lo,
                            "diff_high": hi,
                            "sentence": sentence,
                            "lead": status in ("clear", "gridlock")
                            or (group == "board" and (where != "inpatient" or u == ALL or u in changed_units)),
                        }
                    )
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def gridlock_lines(comparison: pd.DataFrame, scenarios: list[Scenario]) -> list[str]:
    """Per what-if with a gridlocked replication on either side: how many on each side, in words."""
    if "scenario_gridlocked_reps" not in comparison.columns or comparison.empty:
        return []
    base = scenarios[0]
    out = []
    for variant in scenarios[1:]:
        c = comparison[comparison["scenario"] == variant.name]
        if c.empty:
            continue
        k_var, k_base = int(c["scenario_gridlocked_reps"].max()), int(c["baseline_gridlocked_reps"].max())
        if k_var == 0 and k_base == 0:
            continue
        n = int(c["n_reps"].max())
        reps = f"replication{'s' if n != 1 else ''}"
        line = (
            f"{change_phrase(base, variant)}: {k_var} of {n} {reps} gridlocked with it, {k_base} of {n} in the "
            f"baseline (the queue for beds ran away: {GRIDLOCK_RULE})."
        )
        if k_var != k_base:
            worse = "more" if k_var > k_base else "fewer"
            line += f" Gridlock itself is a difference: {worse} runaway replications with the what-if."
        line += (
            " No mean below silently includes them: a measure they drive says so and gives the difference without them."
        )
        out.append(line)
    return out
