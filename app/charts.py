"""Presentation helpers: the occupancy heat map and KPI tables (the verdicts are ``hospital_twin.reporting.verdicts``).

Numbers come from the package's tables (``summary``, ``comparison``, the census); this
module only arranges and words them.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from hospital_twin.reporting.figures import format_value
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
