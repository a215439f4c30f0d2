"""Presentation helpers: the occupancy heat map, KPI tables and plain-words verdicts.

Numbers come from the package's tables (``summary``, ``comparison``, the census); this
module only arranges and words them.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from hospital_twin.reporting.figures import format_value
from hospital_twin.reporting.notes import gridlock_caveat
from hospital_twin.results import ALL, METRIC_LABELS
from hospital_twin.scenario import Scenario

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def heatmap_chart(how: pd.DataFrame, scenario: Scenario, columns: int = 3) -> alt.ConcatChart | None:
    """Mean occupancy (share of base beds) by day of week and hour, one panel per unit.

    ``how`` is ``hospital_twin.reporting.figures.census_hour_of_week`` (hour of the week counted
    from Monday 00:00).
    """
    d = how[how["scenario"] == scenario.name].copy()
    if d.empty:
        return None
    d["beds"] = d["unit"].map({u: spec.beds for u, spec in scenario.units.items()})
    d = d[d["beds"] > 0]
    d["occupancy"] = (d["mean"] / d["beds"]).round(3)
    d["day"] = [DAYS[int(h) // 24] for h in d["how"]]
    d["hour"] = d["how"].astype(int) % 24
    d["mean"] = d["mean"].round(1)
    panels = []
    for u in scenario.units:
        du = d[d["unit"] == u]
        if du.empty:
            continue
        panels.append(
            alt.Chart(du)
            .mark_rect()
            .encode(
                x=alt.X("hour:O", title="hour of day", axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
                y=alt.Y("day:O", sort=DAYS, title=None),
                color=alt.Color(
                    "occupancy:Q",
                    title="occupied / beds",
                    scale=alt.Scale(scheme="yelloworangered", domain=[0.5, 1.0], clamp=True),
                    legend=alt.Legend(format="%"),
                ),
                tooltip=[
                    alt.Tooltip("day:O"),
                    alt.Tooltip("hour:O"),
                    alt.Tooltip("mean:Q", title="occupied, mean"),
                    alt.Tooltip("beds:Q"),
                    alt.Tooltip("occupancy:Q", format=".0%"),
                ],
            )
            .properties(
                width=260, height=140, title=alt.TitleParams(f"{u} ({int(du['beds'].iloc[0])} beds)", anchor="start")
            )
        )
    if not panels:
        return None
    return alt.concat(*panels, columns=columns)


def kpi_table(summary: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Every KPI of one scenario in words: measure, unit, mean and the 95% interval, formatted."""
    s = summary[summary["scenario"] == scenario.name]
    order = {u: i for i, u in enumerate([ALL, *scenario.units])}
    rows = []
    for r in s.itertuples(index=False):
        label, kind = METRIC_LABELS.get(r.metric, (r.metric, ""))
        if not math.isfinite(float(r.mean)):
            continue
        low = max(0.0, float(r.ci_low))  # no KPI is negative; few replications can give a t-interval below 0
        high = min(1.0, float(r.ci_high)) if kind == "share" else float(r.ci_high)
        ci = (
            f"{format_value(low, kind)} to {format_value(high, kind)}"
            if int(r.n_reps) > 1 and math.isfinite(float(r.ci_low))
            else ""
        )
        rows.append(
            {
                "measure": label,
                "unit": r.unit,
                "mean": format_value(r.mean, kind),
                "95% interval": ci,
                "_u": order.get(r.unit, 99),
                "metric": r.metric,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(["_u"], kind="stable").drop(columns="_u").reset_index(drop=True)


# --------------------------------------------------------------------------- verdicts
VERDICT_METRICS = [
    ("ed_boarding_mean_h", "the mean ED boarding time"),
    ("ed_4h_breach_share", "the share of ED patients staying over 4 hours"),
    ("ed_12h_breach_share", "the share of ED patients staying over 12 hours"),
    ("wait_for_bed_mean_h", "the mean wait for a bed"),
    ("utilisation", "bed occupancy"),
    ("cancelled_share", "the share of elective admissions cancelled"),
    ("blocked_bed_hours", "the bed-hours blocked waiting for the next unit"),
    ("ratio_breach_hours", "the hours over the nurse-to-patient ratio"),
]
"""Measures a verdict speaks about, with their names in a sentence (hospital-wide or per ED)."""
_UNIT_VERDICT_METRICS = {"utilisation", "wait_for_bed_mean_h"}
"""Measures also given for each unit whose beds a what-if changes."""


def _amount(x: float, kind: str) -> str:
    if kind == "share":
        return f"{100 * x:.1f} percentage points"
    if kind == "hours":
        return f"{x:.2f} h" if x < 10 else f"{x:.1f} h"
    if kind == "bed-hours":
        return f"{x:,.0f} bed-hours"
    return f"{x:,.1f}"


def _bare(x: float, kind: str, extra: int = 0) -> str:
    """A number for an interval's end; ``extra`` more decimals where the two ends would look alike."""
    if kind == "share":
        return f"{100 * x:.{1 + extra}f}"
    if kind == "hours":
        return f"{x:.{2 + extra}f}" if abs(x) < 10 else f"{x:.{1 + extra}f}"
    return f"{x:,.{extra}f}" if abs(x) >= 100 else f"{x:,.{1 + extra}f}"


def change_phrase(base: Scenario, variant: Scenario) -> str:
    """What a what-if does, as the subject of a sentence ('4 more ICU beds'), else its name in quotes."""
    bits = []
    for u, spec in variant.units.items():
        if u in base.units and spec.beds != base.units[u].beds:
            d = spec.beds - base.units[u].beds
            bits.append(f"{abs(d)} {'more' if d > 0 else 'fewer'} {u} {'bed' if abs(d) == 1 else 'beds'}")
    a = base.model_dump(mode="json", exclude={"name", "description", "extends", "units", "staffing"})
    b = variant.model_dump(mode="json", exclude={"name", "description", "extends", "units", "staffing"})
    ua = {u: {k: v for k, v in s.model_dump(mode="json").items() if k != "beds"} for u, s in base.units.items()}
    ub = {u: {k: v for k, v in s.model_dump(mode="json").items() if k != "beds"} for u, s in variant.units.items()}
    if bits and a == b and ua == ub:
        return " and ".join(bits)
    return f"“{variant.name}”"


def verdicts(comparison: pd.DataFrame, scenarios: list[Scenario]) -> list[tuple[str, bool]]:
    """Plain-words verdicts, one per what-if and headline measure: ``(sentence, clear difference?)``.

    "4 more ICU beds cut the mean ED boarding time by 1.2 h (0.8 to 1.6 h)"; when the
    interval of the paired difference spans 0: "... made no clear difference to ...".
    """
    base = scenarios[0]
    by_name = {s.name: s for s in scenarios}
    eds = [u for u, spec in base.units.items() if spec.ed is not None or spec.kind == "ed"]
    out = []
    for name in [s.name for s in scenarios[1:]]:
        variant = by_name[name]
        subject = change_phrase(base, variant)
        c = comparison[comparison["scenario"] == name]
        # units whose beds the what-if changes get their own bed measures too ("ICU bed occupancy")
        changed = [u for u, spec in variant.units.items() if u in base.units and spec.beds != base.units[u].beds]
        for metric, words in VERDICT_METRICS:
            units = eds if metric.startswith("ed_") else [ALL]
            if metric in _UNIT_VERDICT_METRICS:
                units = units + changed
            for u in units:
                r = c[(c["metric"] == metric) & (c["unit"] == u)]
                if r.empty:
                    continue
                r = r.iloc[0]
                d, lo, hi = float(r["diff_mean"]), float(r["diff_ci_low"]), float(r["diff_ci_high"])
                if not all(math.isfinite(x) for x in (d, lo, hi)):
                    continue
                if abs(float(r["baseline_mean"])) < 1e-12 and abs(float(r["scenario_mean"])) < 1e-12:
                    continue  # zero in both: nothing to say
                _, kind = METRIC_LABELS.get(metric, (metric, ""))
                what = words + (f" in {u}" if (metric.startswith("ed_") and len(eds) > 1) or u in changed else "")
                unit_word = {"share": " percentage points", "hours": " h", "bed-hours": " bed-hours"}.get(kind, "")
                if max(abs(lo), abs(hi)) < 1e-12:
                    out.append((f"{subject} made no difference to {what} in any replication.", False))
                    continue
                caveat = gridlock_caveat(r)
                caveat = f" Careful: {caveat}." if caveat else ""
                if lo <= 0 <= hi:
                    out.append(
                        (
                            f"{subject} made no clear difference to {what} "
                            f"({_bare(lo, kind)} to {_bare(hi, kind)}{unit_word}; the interval includes 0).{caveat}",
                            False,
                        )
                    )
                    continue
                verb = "cut" if d < 0 else "raised"
                a, b = sorted((abs(lo), abs(hi)))
                digits = 0
                while _bare(a, kind, digits) == _bare(b, kind, digits) and digits < 3:
                    digits += 1  # show enough decimals to tell the two ends apart
                amount = _amount(abs(d), kind) if digits == 0 else f"{_bare(abs(d), kind, digits)}{unit_word}"
                out.append(
                    (
                        f"{subject} {verb} {what} by {amount} "
                        f"({_bare(a, kind, digits)} to {_bare(b, kind, digits)}{unit_word}).{caveat}",
                        True,
                    )
                )
    return out
