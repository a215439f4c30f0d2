"""Altair chart builders shared by the reports, the CLI and the app.

Each function takes the package's result objects or tidy DataFrames and returns an Altair
chart (a Vega-Lite spec with its data inlined); nothing here reads or writes files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from hospital_twin.experiment.warmup import WarmupChoice
from hospital_twin.live.forecast import Forecast

__all__ = ["forecast_chart", "warmup_chart"]


# --------------------------------------------------------------------------- warm-up
CENSUS_PANEL = "mean census across pilot replications (beds occupied)"
STAT_PANEL = "MSER-5 statistic by truncation point (log scale)"


def warmup_chart(
    choice: WarmupChoice,
    units: Sequence[str] | None = None,
    *,
    max_rows: int = 4500,
    width: int = 320,
    height: int = 110,
):
    """Altair chart of the choice: per series (rows), the mean census and the MSER statistic.

    The red rule is the chosen warm-up, the dashed grey rule the series' own MSER-5
    choice. ``units`` picks and orders the series (default: ``ALL`` then every unit).
    Series are thinned to stay under ``max_rows`` rows in all (Altair's default limit
    is 5000): census as means over equal bins, the statistic sampled at every few
    candidate points.
    """
    names = list(units) if units is not None else list(choice.by_unit)
    unknown = [u for u in names if u not in choice.by_unit]
    if unknown:
        raise ValueError(f"no warm-up curve for {unknown}; known: {list(choice.by_unit)}")
    per_panel = max(10, max_rows // max(1, 2 * len(names)))
    frames = []
    for name in names:
        cur = choice.curves[choice.curves["unit"] == name]
        n = len(cur)
        stride = max(1, math.ceil(n / per_panel))
        grp = np.arange(n) // stride
        census = (
            pd.DataFrame(
                {
                    "time_h": cur["time_h"].to_numpy(),
                    "value": cur["mean_census"].to_numpy(),
                    "g": grp,
                }
            )
            .groupby("g")
            .agg(time_h=("time_h", "first"), value=("value", "mean"))
        )
        census["panel"] = CENSUS_PANEL
        stat = cur.dropna(subset=["mser"])
        m_stride = max(1, math.ceil(len(stat) / per_panel))
        keep = np.zeros(len(stat), dtype=bool)
        keep[::m_stride] = True
        keep[np.argmin(stat["mser"].to_numpy())] = True  # the minimum is always drawn
        stat = pd.DataFrame(
            {"time_h": stat["time_h"].to_numpy()[keep], "value": stat["mser"].to_numpy()[keep]}
        )
        stat["panel"] = STAT_PANEL
        both = pd.concat([census, stat], ignore_index=True)
        both["unit"] = name
        both["first"] = False
        both.loc[both.groupby("panel").head(1).index, "first"] = True
        frames.append(both)
    data = pd.concat(frames, ignore_index=True)
    data["day"] = data["time_h"] / 24.0
    data["chosen_days"] = float(choice.warmup_days)
    data["own_days"] = data["unit"].map(choice.by_unit).astype(float)
    data = data[["unit", "panel", "day", "value", "first", "chosen_days", "own_days"]]

    def panel(label: str, y_title: str | None, scale) -> alt.FacetChart:
        part = data[data["panel"] == label]
        if label == STAT_PANEL:
            part = part[(part["value"] > 0) | part["first"]]  # a log scale drops zeros
        base = alt.Chart()
        line = base.mark_line(strokeWidth=1).encode(
            x=alt.X("day:Q", title="days since the (empty) start"),
            y=alt.Y("value:Q", title=y_title, scale=scale),
            tooltip=[alt.Tooltip("day:Q", format=".1f"), alt.Tooltip("value:Q", format=".4g")],
        )
        marks = base.transform_filter("datum.first")
        own = marks.mark_rule(color="grey", strokeDash=[4, 3]).encode(
            x="own_days:Q",
            tooltip=[alt.Tooltip("own_days:Q", title="this series' MSER-5 choice (days)")],
        )
        chosen = marks.mark_rule(color="#d62728", strokeWidth=2).encode(
            x="chosen_days:Q", tooltip=[alt.Tooltip("chosen_days:Q", title="warm-up (days)")]
        )
        return (
            alt.layer(line, own, chosen, data=part)
            .properties(width=width, height=height)
            .facet(row=alt.Row("unit:N", sort=names, title=None), title=label)
            .resolve_scale(y="independent")
        )

    title = (
        f"Warm-up {choice.warmup_days} days by {choice.method} (set by {choice.driver}); "
        f"{choice.pilot_replications} pilot replications of {choice.pilot_days:g} days"
        + ("; INCONCLUSIVE: run a longer pilot" if choice.inconclusive else "")
    )
    return alt.hconcat(
        panel(CENSUS_PANEL, None, alt.Scale(zero=False)),
        panel(STAT_PANEL, None, alt.Scale(type="log")),
        title=title,
    )


# --------------------------------------------------------------------------- forecast
def forecast_chart(fc: Forecast, units: list[str] | None = None, *, columns: int = 3):
    """Fan chart per unit: 5-95% band, median, mean (dashed) and the base beds (red rule). An Altair chart."""
    d = fc.hourly
    if units is not None:
        d = d[d["unit"].isin(units)]
    d = d[["time", "unit", "mean", "p05", "p50", "p95", "beds", "p_full"]].copy()
    d["unit"] = d["unit"].astype(str)
    x = alt.X("time:T", title=None)
    base = alt.Chart()
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        x=x, y=alt.Y("p05:Q", title="patients"), y2="p95:Q",
        tooltip=[alt.Tooltip("time:T", format="%a %d %b %H:%M"), "p05:Q", "p50:Q", "p95:Q",
                 alt.Tooltip("mean:Q", format=".1f"), alt.Tooltip("p_full:Q", format=".0%", title="P(full)")],
    )
    median = base.mark_line(color="#4c78a8").encode(x=x, y="p50:Q")
    mean = base.mark_line(color="#4c78a8", strokeDash=[4, 3], opacity=0.7).encode(x=x, y="mean:Q")
    beds = base.mark_line(color="#e45756", interpolate="step-after").encode(x=x, y="beds:Q")
    title = f"{fc.scenario_name}: census forecast from {fc.now:%a %d %b %Y %H:%M} ({fc.method}, {fc.replications} runs)"
    return (
        alt.layer(band, median, mean, beds, data=d)
        .properties(width=260, height=150)
        .facet(facet=alt.Facet("unit:N", title=None), columns=columns)
        .resolve_scale(y="independent")
        .properties(title=title)
    )
