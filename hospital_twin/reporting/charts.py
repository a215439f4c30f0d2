"""Altair chart builders shared by the reports, the CLI and the app.

- warm-up: :func:`warmup_chart` (MSER-5 curves of the pilot runs);
- a results folder: :func:`census_week_chart`, :func:`census_timeline_chart`, :func:`wait_chart`,
  :func:`ed_four_hour_chart`, :func:`outlier_host_chart`, :func:`nctr_chart` and, for a comparison,
  :func:`forest_chart`; they draw the tidy tables
  of :mod:`hospital_twin.reporting.figures` (small multiples per unit, the baseline drawn over the
  what-ifs, bed counts as rules);
- a forecast: :func:`forecast_chart` (fan chart per unit) and :func:`forecast_charts` (every chart
  of ``forecast.html``).

Each function takes the package's result objects or tidy DataFrames and returns an Altair
chart (a Vega-Lite spec with its data inlined). Nothing here computes a measure (that is
``figures``), builds a page (``html`` and the page modules) or reads or writes files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from hospital_twin.experiment.warmup import WarmupChoice
from hospital_twin.live.forecast import ALL as FORECAST_ALL
from hospital_twin.live.forecast import Forecast
from hospital_twin.reporting.figures import (
    FOREST_METRICS,
    FOUR_HOUR_STANDARD,
    forest_rows,
    is_ed_unit,
    metric_label,
    units_in_order,
)
from hospital_twin.results import ALL
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "warmup_chart",
    "census_week_chart",
    "census_timeline_chart",
    "wait_chart",
    "ed_four_hour_chart",
    "forest_chart",
    "verdict_forest_chart",
    "outlier_host_chart",
    "nctr_chart",
    "forecast_chart",
    "forecast_charts",
    "escalation_level_chart",
]


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
        stat = pd.DataFrame({"time_h": stat["time_h"].to_numpy()[keep], "value": stat["mser"].to_numpy()[keep]})
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


# --------------------------------------------------------------------------- results folder
PALETTE = ["#1f5fa8", "#d9822b", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#868e96"]
BED_COLOUR = "#c92a2a"


def _colour(names: list[str], first: int = 0) -> alt.Scale:
    return alt.Scale(domain=names, range=[PALETTE[(first + i) % len(PALETTE)] for i in range(len(names))])


def _legend(names: list[str]) -> alt.Legend | None:
    if len(names) < 2:
        return None
    return alt.Legend(
        title=None,
        orient="top",
        labelLimit=420,
        direction="vertical",
        symbolType="stroke",
        symbolStrokeWidth=3,
        symbolOpacity=1,
        labelFontSize=12,
    )


def _baseline_on_top(chart: alt.Chart, names: list[str]) -> alt.Chart | alt.LayerChart:
    """Draw the what-ifs first and the baseline over them (common random numbers make them overlap)."""
    if len(names) < 2:
        return chart
    first = json.dumps(names[0])
    return alt.layer(
        chart.transform_filter(f"datum.scenario !== {first}"), chart.transform_filter(f"datum.scenario === {first}")
    )


def _week_axis() -> alt.Axis:
    return alt.Axis(
        values=list(range(0, 169, 24)),
        labelExpr="['Mon','Tue','Wed','Thu','Fri','Sat','Sun',''][floor(datum.value / 24)]",
        labelAlign="left",
        title=None,
        grid=True,
    )


def _round(df: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(digits)
    return out


def _beds(scenarios: list[Scenario], unit: str) -> list[tuple[str, int]]:
    return [(s.name, s.units[unit].beds) for s in scenarios if unit in s.units]


def _bed_rule(scenarios: list[Scenario], unit: str, width: int) -> alt.LayerChart:
    beds = sorted({b for _, b in _beds(scenarios, unit)})
    ed = any(s.units[unit].kind == "ed" or s.units[unit].ed for s in scenarios if unit in s.units)
    label = "cubicles" if ed else "beds"
    data = pd.DataFrame({"beds": beds, "text": [f"{b} {label}" for b in beds]})
    base = alt.Chart(data)
    rule = base.mark_rule(color=BED_COLOUR, strokeDash=[5, 3], strokeWidth=1.5).encode(y="beds:Q")
    text = base.mark_text(
        color=BED_COLOUR, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=11, fontWeight="bold"
    ).encode(y="beds:Q", text="text:N", x=alt.value("width"))  # the right edge, whatever the panel's width
    layers = [rule, text]
    esc = sorted(
        {
            s.units[unit].beds + s.units[unit].escalation.beds
            for s in scenarios
            if unit in s.units and s.units[unit].escalation is not None
        }
    )
    if esc:
        edata = alt.Chart(pd.DataFrame({"beds": esc, "text": [f"{b} with escalation" for b in esc]}))
        layers.append(edata.mark_rule(color="#f08c00", strokeDash=[2, 3], strokeWidth=1.5).encode(y="beds:Q"))
        layers.append(
            edata.mark_text(color="#e8590c", align="left", baseline="bottom", dy=-2, fontSize=11).encode(
                y="beds:Q", text="text:N", x=alt.value(4)
            )
        )
    changes = [(s.name, c) for s in scenarios if unit in s.units for c in s.units[unit].capacity_changes]
    if changes:
        cdata = pd.DataFrame(
            {"beds": [c.beds for _, c in changes], "text": [f"{c.beds} from {c.at:%d %b %Y}" for _, c in changes]}
        )
        cc = alt.Chart(cdata)
        layers.append(cc.mark_rule(color=BED_COLOUR, strokeDash=[1, 3], strokeWidth=1.2).encode(y="beds:Q"))
        layers.append(
            cc.mark_text(color=BED_COLOUR, align="left", baseline="top", dy=2, fontSize=10).encode(
                y="beds:Q", text="text:N", x=alt.value(4)
            )
        )
    return alt.layer(*layers)


def census_week_chart(df: pd.DataFrame, scenarios: list[Scenario], columns: int = 2) -> alt.ConcatChart:
    """Small multiples: census by hour of the week, mean line, 5th-95th percentile band, bed rule."""
    names = [s.name for s in scenarios if s.name in set(df["scenario"])]
    panels = []
    for u in units_in_order(scenarios):
        d = _round(df[df["unit"] == u])
        if d.empty:
            continue
        base = alt.Chart(d).encode(
            x=alt.X("how:Q", axis=_week_axis(), scale=alt.Scale(domain=[0, 168], nice=False)),
            color=alt.Color("scenario:N", scale=_colour(names), legend=_legend(names)),
        )
        band = (
            base.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1]))
            .mark_area(opacity=0.18)
            .encode(y=alt.Y("p05:Q", title="occupied", scale=alt.Scale(zero=False)), y2="p95:Q")
        )
        line = _baseline_on_top(
            base.mark_line(strokeWidth=1.6).encode(
                y="mean:Q",
                tooltip=[
                    alt.Tooltip("scenario:N"),
                    alt.Tooltip("how:Q", title="hour of week"),
                    alt.Tooltip("mean:Q", format=".1f", title="mean occupied"),
                    alt.Tooltip("p05:Q", format=".0f", title="5th percentile"),
                    alt.Tooltip("p95:Q", format=".0f", title="95th percentile"),
                ],
            ),
            names,
        )
        beds = ", ".join(sorted({str(b) for _, b in _beds(scenarios, u)}))
        what = "cubicles" if is_ed_unit(scenarios, u) else "beds"
        panels.append(
            alt.layer(band, line, _bed_rule(scenarios, u, 520)).properties(
                width=520, height=150, title=alt.TitleParams(f"{u} ({beds} {what})", anchor="start", fontSize=13)
            )
        )
    return alt.concat(*panels, columns=columns).resolve_scale(y="independent")


def census_timeline_chart(df: pd.DataFrame, scenarios: list[Scenario], columns: int = 2) -> alt.ConcatChart:
    """Small multiples: census over the whole run (period means), band over replications, warm-up shaded."""
    names = [s.name for s in scenarios if s.name in set(df["scenario"])]
    s0 = scenarios[0]
    warm = pd.DataFrame(
        {
            "from": [pd.Timestamp(s0.start)],
            "to": [pd.Timestamp(s0.start) + pd.Timedelta(hours=s0.warmup_h)],
            "text": ["warm-up"],
        }
    )
    panels = []
    for u in units_in_order(scenarios):
        d = _round(df[df["unit"] == u].drop(columns="days"))
        if d.empty:
            continue
        base = alt.Chart(d).encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8)),
            color=alt.Color("scenario:N", scale=_colour(names), legend=_legend(names)),
        )
        layers = []
        if s0.warmup_h > 0:
            layers.append(alt.Chart(warm).mark_rect(color="#e9ecef").encode(x="from:T", x2="to:T"))
            layers.append(
                alt.Chart(warm)
                .mark_text(align="left", baseline="bottom", dx=3, dy=-3, color="#868e96", fontSize=10)
                .encode(x="from:T", y=alt.value(140), text="text:N")
            )
        layers.append(
            base.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1]))
            .mark_area(opacity=0.18)
            .encode(y=alt.Y("lo:Q", title="occupied", scale=alt.Scale(zero=False)), y2="hi:Q")
        )
        layers.append(
            _baseline_on_top(
                base.mark_line(strokeWidth=1.4).encode(
                    y="mean:Q",
                    tooltip=[
                        alt.Tooltip("scenario:N"),
                        alt.Tooltip("date:T", title="period from", format="%d %b %Y"),
                        alt.Tooltip("mean:Q", format=".1f", title="mean occupied"),
                        alt.Tooltip("lo:Q", format=".1f", title="lowest replication"),
                        alt.Tooltip("hi:Q", format=".1f", title="highest replication"),
                    ],
                ),
                names,
            )
        )
        layers.append(_bed_rule(scenarios, u, 520))
        beds = ", ".join(sorted({str(b) for _, b in _beds(scenarios, u)}))
        panels.append(
            alt.layer(*layers).properties(
                width=520,
                height=140,
                title=alt.TitleParams(
                    f"{u} ({beds} {'cubicles' if is_ed_unit(scenarios, u) else 'beds'})", anchor="start", fontSize=13
                ),
            )
        )
    return alt.concat(*panels, columns=columns).resolve_scale(y="independent")


def wait_chart(
    curve: pd.DataFrame, stats: pd.DataFrame, scenarios: list[Scenario], columns: int = 3
) -> alt.ConcatChart:
    """Small multiples: share of admissions placed within x hours of asking for a bed (ECDF)."""
    names = [s.name for s in scenarios if s.name in set(curve["scenario"])]
    panels = []
    for u in units_in_order(scenarios):
        d = curve[curve["unit"] == u]
        if d.empty:
            continue
        st = stats[(stats["unit"] == u) & (stats["scenario"] == names[0])]
        sub = ""
        if len(st):
            r = st.iloc[0]
            sub = f"{100 * (1 - r['waited']):.0f}% placed at once"
            if r["p90"] > 0.05:
                sub += f"; 90% within {r['p90']:.1f} h"
        chart = (
            alt.Chart(d)
            .mark_line(strokeWidth=1.6, interpolate="step-after")
            .encode(
                x=alt.X("wait_h:Q", title="hours waited for a bed", scale=alt.Scale(nice=False)),
                y=alt.Y("share:Q", title="placed within", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("scenario:N", scale=_colour(names), legend=_legend(names)),
                tooltip=[
                    alt.Tooltip("scenario:N"),
                    alt.Tooltip("wait_h:Q", title="within hours", format=".1f"),
                    alt.Tooltip("share:Q", title="share placed", format=".1%"),
                ],
            )
        )
        panels.append(
            _baseline_on_top(chart, names).properties(
                width=300,
                height=150,
                title=alt.TitleParams(u, subtitle=sub, anchor="start", fontSize=13, subtitleColor="#495057"),
            )
        )
    return alt.concat(*panels, columns=columns)


def ed_four_hour_chart(by_hour: pd.DataFrame, by_week: pd.DataFrame, scenarios: list[Scenario]) -> alt.VConcatChart:
    """Per ED: share within 4 h by hour of arrival and by week, mean over replications with their range."""
    names = [s.name for s in scenarios if s.name in set(by_hour["scenario"])]
    std = pd.DataFrame({"y": [FOUR_HOUR_STANDARD], "text": [f"{FOUR_HOUR_STANDARD:.0%} standard"]})
    rows = []
    y = alt.Y("share:Q", title="left within 4 h", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    colour = alt.Color("scenario:N", scale=_colour(names), legend=_legend(names))

    def standard() -> alt.LayerChart:
        base = alt.Chart(std)
        return base.mark_rule(color="#495057", strokeDash=[4, 3]).encode(y="y:Q") + base.mark_text(
            align="left", baseline="bottom", dx=3, dy=-2, color="#495057", fontSize=10
        ).encode(y="y:Q", text="text:N", x=alt.value(0))

    for u in units_in_order(scenarios):
        h = _round(by_hour[by_hour["unit"] == u], 4)
        w = _round(by_week[by_week["unit"] == u], 4)
        if h.empty:
            continue
        tip = [
            alt.Tooltip("scenario:N"),
            alt.Tooltip("share:Q", format=".1%", title="within 4 h (mean)"),
            alt.Tooltip("lo:Q", format=".1%", title="lowest replication"),
            alt.Tooltip("hi:Q", format=".1%", title="highest replication"),
            alt.Tooltip("n:Q", format=",", title="attendances"),
        ]
        hb = alt.Chart(h).encode(x=alt.X("hour:O", title="hour of arrival", axis=alt.Axis(labelAngle=0)), color=colour)
        left = alt.layer(
            hb.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1]))
            .mark_area(opacity=0.15)
            .encode(
                y=alt.Y("lo:Q", title="left within 4 h", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                y2="hi:Q",
            ),
            _baseline_on_top(
                hb.mark_line(point=True, strokeWidth=1.6).encode(
                    y=y, tooltip=[alt.Tooltip("hour:O", title="hour"), *tip]
                ),
                names,
            ),
            standard(),
        ).properties(
            width=470, height=200, title=alt.TitleParams(f"{u}: by hour of arrival", anchor="start", fontSize=13)
        )
        wb = alt.Chart(w).encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)), color=colour
        )
        right = alt.layer(
            wb.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1]))
            .mark_area(opacity=0.15)
            .encode(
                y=alt.Y("lo:Q", title="left within 4 h", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                y2="hi:Q",
            ),
            _baseline_on_top(
                wb.mark_line(strokeWidth=1.4).encode(
                    y=y, tooltip=[alt.Tooltip("date:T", title="week from", format="%d %b %Y"), *tip]
                ),
                names,
            ),
            standard(),
        ).properties(width=470, height=200, title=alt.TitleParams(f"{u}: by week", anchor="start", fontSize=13))
        rows.append(alt.hconcat(left, right))
    return alt.vconcat(*rows)


def forest_chart(comparison: pd.DataFrame, scenarios: list[Scenario], columns: int = 2) -> alt.ConcatChart | None:
    """Forest plot of paired differences (what-if minus baseline), one panel per metric.

    Each row is a unit (``ALL``, and units whose interval excludes zero); a filled point
    marks an interval that excludes zero. Shares are shown in percentage points.
    """
    c = forest_rows(comparison, scenarios)
    if c.empty:
        return None
    names = [s.name for s in scenarios[1:] if s.name in set(c["scenario"])]
    order = units_in_order(scenarios)
    panels = []
    for m in FOREST_METRICS:
        d = c[c["metric"] == m]
        if d.empty:
            continue
        label, unit = metric_label(m)
        k = 100.0 if unit == "share" else 1.0
        d = d.assign(
            diff=d["diff_mean"] * k,
            lo=d["diff_ci_low"] * k,
            hi=d["diff_ci_high"] * k,
            base=d["baseline_mean"] * k,
            var=d["scenario_mean"] * k,
        )[["scenario", "unit", "diff", "lo", "hi", "base", "var", "significant"]]
        d = _round(d, 4)
        units = [u for u in [ALL, *order] if u in set(d["unit"])]
        what = {
            "share": "percentage points",
            "hours": "hours",
            "beds": "beds",
            "bed-hours": "bed-hours",
            "count": "count",
        }.get(unit, unit)
        base = alt.Chart(d).encode(
            y=alt.Y("unit:N", sort=units, title=None, axis=alt.Axis(labelFontWeight="bold")),
            yOffset=alt.YOffset("scenario:N", sort=names, scale=alt.Scale(paddingInner=0.2)),
            color=alt.Color(
                "scenario:N",
                scale=_colour(names, first=1),
                legend=alt.Legend(title="what-if minus baseline", orient="top", direction="vertical", labelLimit=420),
            ),
        )
        fmt = ".2f"
        tip = [
            alt.Tooltip("scenario:N"),
            alt.Tooltip("unit:N"),
            alt.Tooltip("base:Q", title="baseline", format=fmt),
            alt.Tooltip("var:Q", title="what-if", format=fmt),
            alt.Tooltip("diff:Q", title="difference", format=fmt),
            alt.Tooltip("lo:Q", title="interval from", format=fmt),
            alt.Tooltip("hi:Q", title="interval to", format=fmt),
            alt.Tooltip("significant:N", title="excludes 0"),
        ]
        bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("lo:Q", title=f"difference, {what}"), x2="hi:Q")
        points = base.mark_point(size=70, strokeWidth=1.8, filled=False).encode(
            x="diff:Q",
            fill=alt.condition(
                "datum.significant",
                alt.Color("scenario:N", scale=_colour(names, first=1), legend=None),
                alt.value("white"),
            ),
            tooltip=tip,
        )
        zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#343a40", strokeWidth=1).encode(x="x:Q")
        height = max(50, 18 * len(units) * len(names))
        panels.append(
            alt.layer(zero, bars, points).properties(
                width=470, height=height, title=alt.TitleParams(label, anchor="start", fontSize=13)
            )
        )
    if not panels:
        return None
    return alt.concat(*panels, columns=columns).resolve_scale(x="independent", y="independent")


def verdict_forest_chart(table: pd.DataFrame, columns: int = 1) -> alt.ConcatChart | None:
    """Forest plot of the verdicts of :func:`hospital_twin.reporting.verdicts.verdict_table`: one panel per kind of
    figure (percentage points, hours, ...), one row per measure in the verdicts' order, a point per what-if.

    A point is filled exactly when its verdict is ``clear`` (the words and the plot read the same rows), a
    gridlock-driven difference is drawn as a hollow diamond; measures identical in every replication are left out.
    """
    d = table[table["status"] != "same"]
    if d.empty:
        return None
    names = list(dict.fromkeys(d["scenario"]))
    d = d.assign(clear=d["status"] == "clear", gridlock=d["status"] == "gridlock")
    d = d.assign(shape=np.where(d["gridlock"], "diamond", "circle"))
    panels = []
    for axis in dict.fromkeys(d["axis"]):
        p = _round(
            d[d["axis"] == axis][
                [
                    "scenario",
                    "label",
                    "status",
                    "clear",
                    "shape",
                    "baseline_value",
                    "scenario_value",
                    "diff",
                    "diff_low",
                    "diff_high",
                ]
            ],
            3,
        )
        order = list(dict.fromkeys(p["label"]))
        base = alt.Chart(p).encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("scenario:N", sort=names, scale=alt.Scale(paddingInner=0.2)),
            color=alt.Color(
                "scenario:N",
                scale=_colour(names, first=1),
                legend=alt.Legend(title="what-if minus baseline", orient="top", direction="vertical", labelLimit=420),
            ),
        )
        tip = [
            alt.Tooltip("scenario:N"),
            alt.Tooltip("label:N", title="measure"),
            alt.Tooltip("baseline_value:Q", title="baseline", format=",.2f"),
            alt.Tooltip("scenario_value:Q", title="what-if", format=",.2f"),
            alt.Tooltip("diff:Q", title="difference", format=",.2f"),
            alt.Tooltip("diff_low:Q", title="interval from", format=",.2f"),
            alt.Tooltip("diff_high:Q", title="interval to", format=",.2f"),
            alt.Tooltip("status:N", title="verdict"),
        ]
        bars = base.mark_rule(strokeWidth=2).encode(
            x=alt.X("diff_low:Q", title=f"difference, {axis}"), x2="diff_high:Q"
        )
        points = base.mark_point(size=70, strokeWidth=1.8).encode(
            x="diff:Q",
            shape=alt.Shape("shape:N", scale=None),
            fill=alt.condition(
                "datum.clear", alt.Color("scenario:N", scale=_colour(names, first=1), legend=None), alt.value("white")
            ),
            tooltip=tip,
        )
        zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#343a40", strokeWidth=1).encode(x="x:Q")
        height = max(50, 18 * len(order) * len(names))
        panels.append(
            alt.layer(zero, bars, points).properties(
                width=520, height=height, title=alt.TitleParams(axis.capitalize(), anchor="start", fontSize=13)
            )
        )
    return alt.concat(*panels, columns=columns).resolve_scale(x="independent", y="independent")


def outlier_host_chart(df: pd.DataFrame, scenarios: list[Scenario]) -> alt.Chart | alt.FacetChart:
    """Outliers by host unit: average outliers in each host's beds, stacked by home unit (one row per scenario).

    ``df`` is :func:`hospital_twin.reporting.figures.outliers_by_host`.
    """
    names = [s.name for s in scenarios if s.name in set(df["scenario"])]
    homes = list(dict.fromkeys([u for u in units_in_order(scenarios) if u in set(df["home"])] + list(df["home"])))
    hosts = [u for u in units_in_order(scenarios) if u in set(df["host"])]
    chart = (
        alt.Chart(_round(df, 3))
        .mark_bar()
        .encode(
            x=alt.X("outliers_mean:Q", title="outliers in the host's beds, average", stack="zero"),
            y=alt.Y("host:N", title="host unit", sort=hosts),
            color=alt.Color(
                "home:N", title="their home unit", scale=_colour(homes, first=1), legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip("scenario:N"),
                alt.Tooltip("host:N", title="host unit"),
                alt.Tooltip("home:N", title="home unit"),
                alt.Tooltip("outliers_mean:Q", title="outliers, average", format=".2f"),
            ],
        )
        .properties(width=460, height=max(40, 28 * len(hosts)))
    )
    if len(names) > 1:
        return chart.facet(
            row=alt.Row("scenario:N", sort=names, title=None, header=alt.Header(labelAngle=0, labelAlign="left"))
        )
    return chart


def nctr_chart(df: pd.DataFrame, scenarios: list[Scenario]) -> alt.Chart | alt.FacetChart:
    """Patients no longer meeting the criteria to reside (NCTR) over the measured period, stacked by discharge
    pathway: one bar per day (or week), its height the period's average NCTR census (one row per scenario).

    ``df`` is :func:`hospital_twin.reporting.figures.nctr_over_time`.
    """
    names = [s.name for s in scenarios if s.name in set(df["scenario"])]
    order = list(dict.fromkeys(p for s in scenarios for p in s.discharge_pathways if p in set(df["pathway"])))
    labels = {p: spec.label for s in scenarios for p, spec in s.discharge_pathways.items()}
    d = _round(df.assign(what=df["pathway"].map(lambda p: f"{p} ({labels[p]})" if labels.get(p) else p)), 3)
    weekly = bool(len(d)) and int(d["days"].max()) > 1
    whats = list(dict.fromkeys(d.set_index("pathway").loc[order, "what"])) if len(d) else []
    chart = (
        alt.Chart(d.drop(columns="days"))
        .mark_bar()
        .encode(
            x=alt.X(
                "yearmonthdate(date):T" if not weekly else "date:T",
                title=None,
                axis=alt.Axis(format="%d %b" if not weekly else "%b %Y", labelAngle=0),
            ),
            y=alt.Y("nctr_mean:Q", title="patients, average", stack="zero"),
            color=alt.Color(
                "what:N",
                title="waiting for",
                sort=whats,
                scale=_colour(whats, first=1),
                legend=alt.Legend(orient="right", labelLimit=260),
            ),
            order=alt.Order("pathway:N"),
            tooltip=[
                alt.Tooltip("scenario:N"),
                alt.Tooltip("date:T", title="week from" if weekly else "day", format="%a %d %b %Y"),
                alt.Tooltip("what:N", title="pathway"),
                alt.Tooltip("nctr_mean:Q", title="patients, average", format=".2f"),
            ],
        )
        .properties(width=520, height=200)
    )
    if len(names) > 1:
        return chart.facet(
            row=alt.Row("scenario:N", sort=names, title=None, header=alt.Header(labelAngle=0, labelAlign="left"))
        )
    return chart


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
        x=x,
        y=alt.Y("p05:Q", title="patients"),
        y2="p95:Q",
        tooltip=[
            alt.Tooltip("time:T", format="%a %d %b %H:%M"),
            "p05:Q",
            "p50:Q",
            "p95:Q",
            alt.Tooltip("mean:Q", format=".1f"),
            alt.Tooltip("p_full:Q", format=".0%", title="P(full)"),
        ],
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


def forecast_charts(fc: Forecast) -> dict:
    """Altair charts of a forecast: fan charts, P(full), admissions and discharges, ED boarding."""
    h = fc.hourly.copy()
    h["unit"] = h["unit"].astype(str)
    charts = {"fan": forecast_chart(fc)}
    pf = h[h["unit"] != FORECAST_ALL][["time", "unit", "p_full"]]
    charts["p_full"] = (
        alt.Chart(pf)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("time:T", title=None),
            y=alt.Y("p_full:Q", title="P(every bed taken)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("unit:N", title="unit"),
            tooltip=[alt.Tooltip("time:T", format="%a %d %b %H:%M"), "unit:N", alt.Tooltip("p_full:Q", format=".0%")],
        )
        .properties(width=760, height=220)
    )
    flows = (
        h[h["horizon_h"] < fc.hours][["time", "unit", "admissions", "discharges"]]
        .melt(id_vars=["time", "unit"], var_name="flow", value_name="per_hour")
        .dropna()
    )
    if len(flows):
        charts["flows"] = (
            alt.Chart(flows)
            .mark_line(interpolate="step-after")
            .encode(
                x=alt.X("time:T", title=None),
                y=alt.Y("per_hour:Q", title="expected patients per hour"),
                color=alt.Color("flow:N", title=None),
                strokeDash=alt.StrokeDash("flow:N", title=None),
                tooltip=[
                    alt.Tooltip("time:T", format="%a %d %b %H:%M"),
                    "unit:N",
                    "flow:N",
                    alt.Tooltip("per_hour:Q", format=".2f"),
                ],
            )
            .properties(width=260, height=140)
            .facet(facet=alt.Facet("unit:N", title=None), columns=3)
            .resolve_scale(y="independent")
        )
    ed = h[h["unit"].isin([u for u, e in zip(fc.units, fc.is_ed, strict=True) if e])]
    if len(ed):
        base = alt.Chart(ed).encode(x=alt.X("time:T", title=None))
        charts["boarding"] = alt.layer(
            base.mark_area(opacity=0.25, color="#d9822b").encode(
                y=alt.Y("boarding_mean:Q", title="waiting after a decision to admit"), y2=alt.Y2("boarding_p95:Q")
            ),
            base.mark_line(color="#d9822b").encode(
                y="boarding_mean:Q",
                tooltip=[
                    alt.Tooltip("time:T", format="%a %d %b %H:%M"),
                    "unit:N",
                    alt.Tooltip("boarding_mean:Q", format=".1f", title="waiting after a decision to admit, mean"),
                    alt.Tooltip("boarding_p95:Q", title="95th percentile"),
                ],
            ),
        ).properties(width=760, height=200)
    return charts


LEVEL_COLOURS = ["#2f9e44", "#f59f00", "#e8590c", "#c92a2a"]  # OPEL 1-4: green, amber, orange, red


def escalation_level_chart(df: pd.DataFrame) -> alt.Chart:
    """Share of the measured time at each escalation level, one stacked bar per scenario and group."""
    df = _round(df.assign(row=df["scenario"] + " · " + df["group"]), 4)
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title="share of the measured time", axis=alt.Axis(format="%"), stack="zero"),
            y=alt.Y("row:N", title=None, sort=list(dict.fromkeys(df["row"])), axis=alt.Axis(labelLimit=420)),
            color=alt.Color(
                "level:N",
                scale=alt.Scale(domain=[f"level {k}" for k in range(1, 5)], range=LEVEL_COLOURS),
                legend=alt.Legend(title=None, orient="top"),
            ),
            order=alt.Order("level:N"),
            tooltip=[
                "scenario:N",
                "group:N",
                "level:N",
                alt.Tooltip("hours:Q", format=",.0f"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .properties(width=560, height=alt.Step(26))
    )


# --------------------------------------------------------------------------- layout
_CONCATS = ("concat", "hconcat", "vconcat")


def _strip_widths(spec: dict) -> dict:
    """``spec`` without a ``width`` in its layers (the panel's own width is set by the caller)."""
    out = {k: v for k, v in spec.items() if k != "width"}
    if "layer" in out:
        out["layer"] = [_strip_widths(s) for s in out["layer"]]
    return out


def panels_fit_to_width(spec: dict) -> list[dict]:
    """A Vega-Lite spec (``chart.to_dict()``) cut into single panels, each ``width: "container"``, so that each
    panel fills the column it is shown in instead of keeping a fixed width in pixels.

    Concatenated panels (``concat``/``hconcat``/``vconcat``) become one panel each, in order; a faceted chart
    becomes one panel per facet value (sorted, or in the facet's own ``sort`` list), filtered to that value and
    titled with it. The shared ``datasets``, ``config`` and inherited ``data`` go with every panel. Heights are
    kept as the plot's own (``autosize: fit-x``); the top-level title is not repeated (the caller shows it once).
    """
    shared = {k: spec[k] for k in ("$schema", "config", "datasets") if k in spec}
    out: list[dict] = []

    def walk(s: dict, data, transform: list) -> None:
        data = s.get("data", data)
        transform = [*transform, *s.get("transform", [])]
        for key in _CONCATS:
            if key in s:
                for child in s[key]:
                    walk(child, data, transform)
                return
        if "facet" in s and "spec" in s:
            facet = s["facet"]
            fields = [facet] if "field" in facet else [facet[k] for k in ("row", "column") if k in facet]
            rows = spec.get("datasets", {}).get((data or {}).get("name"), (data or {}).get("values", []))
            f = fields[0]
            values = list(dict.fromkeys(r.get(f["field"]) for r in rows))
            order = f.get("sort")
            if isinstance(order, list):
                values = [v for v in order if v in values] + [v for v in values if v not in order]
            else:
                values = sorted(values, key=str, reverse=order == "descending")
            for v in values:
                inner = dict(s["spec"])
                inner["transform"] = [{"filter": {"field": f["field"], "equal": v}}, *inner.get("transform", [])]
                inner.setdefault("title", str(v))
                walk(inner, data, transform)
            return
        # fit the width only: a height is the plot's own, not the whole panel's with its title, legend and axis
        leaf = {
            **shared,
            **_strip_widths(s),
            "width": "container",
            "autosize": {"type": "fit-x", "contains": "padding"},
        }
        if data is not None:
            leaf["data"] = data
        if transform:
            leaf["transform"] = transform
        out.append(leaf)

    walk(spec, spec.get("data"), [])
    return out
