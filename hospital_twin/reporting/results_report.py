"""A results folder as one self-contained HTML report (``hospital-twin report RESULTS_DIR``).

The report reads a folder written by :mod:`hospital_twin.experiment.resultsdir` (a ``run`` or a
``compare``) and writes ``report.html`` beside it:

* at a glance: headline measures with their 95% intervals;
* for a comparison, the paired differences against the baseline as a forest plot and tables;
* KPI tables per unit and for the hospital (``ALL``), with readable labels and units;
* charts: the census by hour of the week (mean and 5th-95th percentile band over
  replications x weeks, bed count as a rule), the census over the whole run, the wait for a
  bed (ECDF, from the event log), and ED 4-hour performance by hour of arrival and by week;
* the scenario in words (STRESS-DES, from :mod:`hospital_twin.reporting.describe`) and provenance.

Offline by construction: the Vega, Vega-Lite and Vega-Embed JavaScript comes from the
``vl-convert-python`` package (``vl_convert.javascript_bundle``, the bundle Altair's own
``to_html(inline=True)`` uses) and is written once into the page head; every chart is
an Altair spec with its (pre-aggregated) data inlined as JSON in a
``<script type="application/json" class="vega-spec">`` block that a few lines of script
hand to ``vegaEmbed``. Nothing is fetched when the page is viewed.

CLI wiring (kept out of ``cli.py`` here)::

    @app.command()
    def report(results_dir: Path, out: Path | None = None) -> None:
        from hospital_twin.reporting.results_report import ReportError, write_report
        try:
            path = write_report(results_dir, out)
        except ReportError as exc:
            raise _InputError(str(exc)) from None
        out_console.print(f"report written to {path}")

This is an edge module: it reads files and writes one; the numbers come from the folder.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from hospital_twin._version import __version__
from hospital_twin.atomic import write_text_atomic
from hospital_twin.experiment.resultsdir import ResultsFolder, ResultsFolderError, load_results
from hospital_twin.reporting.describe import (
    describe_differences,
    describe_scenario,
    relevant_metrics,
)
from hospital_twin.reporting.html import Page, escape, markdown
from hospital_twin.results import ALL, METRIC_LABELS, METRICS
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "ReportError",
    "build_report",
    "write_report",
    "format_value",
    "census_hour_of_week",
    "census_timeline",
    "wait_ecdf",
    "ed_four_hours",
    "census_week_chart",
    "census_timeline_chart",
    "wait_chart",
    "ed_four_hour_chart",
    "forest_chart",
    "FOREST_METRICS",
]

PALETTE = ["#1f5fa8", "#d9822b", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#868e96"]
BED_COLOUR = "#c92a2a"
FOUR_HOUR_STANDARD = 0.95  # NHS England constitutional standard: 95% within 4 hours

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

_GROUPS = [
    ("Demand and flow", ["arrivals", "admitted", "rejected", "rejected_share", "cancelled", "cancelled_share",
                         "still_waiting"]),
    ("Beds", ["occupancy_mean", "occupancy_p95", "utilisation", "escalation_beds_open_mean"]),
    ("Waiting for a bed", ["waited_share", "wait_for_bed_mean_h", "wait_for_bed_p95_h"]),
    ("Stays and delays", ["los_mean_h", "blocked_bed_hours", "discharge_delay_bed_hours"]),
    ("Nurse staffing", ["ratio_breach_hours", "ratio_breach_share"]),
]
_ED_GROUP = ["ed_time_in_dept_mean_h", "ed_4h_breach_share", "ed_12h_breach_share", "ed_time_to_clinician_mean_h",
             "ed_admitted_share", "ed_boarding_mean_h", "ed_dta_12h_waits"]

ReportError = ResultsFolderError
"""The folder is not a readable results folder (a user error, exit 2 in the CLI): the reader's error, by the name
the report has always raised."""


# --------------------------------------------------------------------------- numbers
def format_value(value: float, unit: str, *, diff: bool = False) -> str:
    """A metric value for people: shares as percentages (points for differences), hours, counts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if diff and value > 0 else ""
    if unit == "share":
        return f"{sign}{100 * value:.1f}{' pp' if diff else '%'}"
    if unit == "hours":
        return f"{sign}{value:,.2f} h" if abs(value) < 10 else f"{sign}{value:,.1f} h"
    if unit == "beds":
        return f"{sign}{value:,.2f}" if diff and abs(value) < 1 else f"{sign}{value:,.1f}"
    if unit == "bed-hours":
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{sign}{value:,.1f}"


def _label(metric: str) -> tuple[str, str]:
    return METRIC_LABELS.get(metric, (metric, ""))


def _offset_h(start: dt.datetime) -> float:
    return start.weekday() * 24 + start.hour + start.minute / 60 + start.second / 3600


def _units_in_order(scenarios: list[Scenario]) -> list[str]:
    out: list[str] = []
    for s in scenarios:
        out += [u for u in s.units if u not in out]
    return out


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
        return (pd.DataFrame(columns=["scenario", "unit", "wait_h", "share"]),
                pd.DataFrame(columns=["scenario", "unit", "n", "waited", "p50", "p90", "p95", "max_h"]))
    curves, stats = [], []
    by_unit: dict[str, list[np.ndarray]] = {}
    for (_, u), x in waits.items():
        by_unit.setdefault(u, []).append(x)
    xmax = {u: max(4.0, float(np.ceil(max(np.quantile(x, 0.99) for x in xs)))) for u, xs in by_unit.items()}
    for (name, u), x in waits.items():
        grid = np.linspace(0.0, xmax[u], points)
        share = np.searchsorted(x, grid + 1e-9, side="right") / len(x)
        curves.append(pd.DataFrame({"scenario": name, "unit": u, "wait_h": grid.round(3), "share": share.round(4)}))
        stats.append((name, u, len(x), float((x > 1e-6).mean()), *np.quantile(x, [0.5, 0.9, 0.95]).tolist(), float(x[-1])))
    return (pd.concat(curves, ignore_index=True),
            pd.DataFrame(stats, columns=["scenario", "unit", "n", "waited", "p50", "p90", "p95", "max_h"]))


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
        frame = pd.DataFrame({
            "unit": d["unit"].to_numpy(),
            "rep": d["rep"].to_numpy(),
            "within": (t_in <= 4.0).to_numpy(dtype=float),
            "hour": d["ready_at"].dt.hour.to_numpy(),
            "week": ((d["ready_at"] - warm) // pd.Timedelta(days=7)).to_numpy(),
        })
        for key, out in (("hour", by_hour), ("week", by_week)):
            per_rep = frame.groupby(["unit", key, "rep"])["within"].agg(["mean", "count"])
            g = per_rep.groupby(level=["unit", key])
            agg = pd.DataFrame({
                "share": g["mean"].mean(), "lo": g["mean"].min(), "hi": g["mean"].max(), "n": g["count"].sum(),
            }).reset_index()
            if key == "week":
                full_weeks = math.floor(s.horizon_days / 7)
                agg = agg[agg["week"] < max(full_weeks, 1)]
                agg["date"] = warm + pd.to_timedelta(agg["week"] * 7, unit="D")
                agg = agg.drop(columns="week")
            agg.insert(0, "scenario", s.name)
            out.append(agg)
    cols = ["scenario", "unit", "share", "lo", "hi", "n"]
    return (pd.concat(by_hour, ignore_index=True) if by_hour else pd.DataFrame(columns=cols + ["hour"]),
            pd.concat(by_week, ignore_index=True) if by_week else pd.DataFrame(columns=cols + ["date"]))


# --------------------------------------------------------------------------- charts
def _colour(names: list[str], first: int = 0) -> alt.Scale:
    return alt.Scale(domain=names, range=[PALETTE[(first + i) % len(PALETTE)] for i in range(len(names))])


def _legend(names: list[str]) -> alt.Legend | None:
    if len(names) < 2:
        return None
    return alt.Legend(title=None, orient="top", labelLimit=420, direction="vertical", symbolType="stroke",
                      symbolStrokeWidth=3, symbolOpacity=1, labelFontSize=12)


def _baseline_on_top(chart: alt.Chart, names: list[str]) -> alt.Chart | alt.LayerChart:
    """Draw the what-ifs first and the baseline over them (common random numbers make them overlap)."""
    if len(names) < 2:
        return chart
    first = json.dumps(names[0])
    return alt.layer(chart.transform_filter(f"datum.scenario !== {first}"),
                     chart.transform_filter(f"datum.scenario === {first}"))


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
    label = "cubicles" if any(s.units[unit].kind == "ed" or s.units[unit].ed for s in scenarios if unit in s.units) else "beds"
    data = pd.DataFrame({"beds": beds, "text": [f"{b} {label}" for b in beds]})
    base = alt.Chart(data)
    rule = base.mark_rule(color=BED_COLOUR, strokeDash=[5, 3], strokeWidth=1.5).encode(y="beds:Q")
    text = base.mark_text(color=BED_COLOUR, align="right", baseline="bottom", dy=-2, fontSize=11,
                          fontWeight="bold").encode(y="beds:Q", text="text:N", x=alt.value(width - 4))
    layers = [rule, text]
    esc = sorted({s.units[unit].beds + s.units[unit].escalation.beds for s in scenarios
                  if unit in s.units and s.units[unit].escalation is not None})
    if esc:
        edata = alt.Chart(pd.DataFrame({"beds": esc, "text": [f"{b} with escalation" for b in esc]}))
        layers.append(edata.mark_rule(color="#f08c00", strokeDash=[2, 3], strokeWidth=1.5).encode(y="beds:Q"))
        layers.append(edata.mark_text(color="#e8590c", align="left", baseline="bottom", dy=-2, fontSize=11).encode(
            y="beds:Q", text="text:N", x=alt.value(4)))
    changes = [(s.name, c) for s in scenarios if unit in s.units for c in s.units[unit].capacity_changes]
    if changes:
        cdata = pd.DataFrame({"beds": [c.beds for _, c in changes],
                              "text": [f"{c.beds} from {c.at:%d %b %Y}" for _, c in changes]})
        cc = alt.Chart(cdata)
        layers.append(cc.mark_rule(color=BED_COLOUR, strokeDash=[1, 3], strokeWidth=1.2).encode(y="beds:Q"))
        layers.append(cc.mark_text(color=BED_COLOUR, align="left", baseline="top", dy=2, fontSize=10).encode(
            y="beds:Q", text="text:N", x=alt.value(4)))
    return alt.layer(*layers)


def census_week_chart(df: pd.DataFrame, scenarios: list[Scenario], columns: int = 2) -> alt.ConcatChart:
    """Small multiples: census by hour of the week, mean line, 5th-95th percentile band, bed rule."""
    names = [s.name for s in scenarios if s.name in set(df["scenario"])]
    panels = []
    for u in _units_in_order(scenarios):
        d = _round(df[df["unit"] == u])
        if d.empty:
            continue
        base = alt.Chart(d).encode(
            x=alt.X("how:Q", axis=_week_axis(), scale=alt.Scale(domain=[0, 168], nice=False)),
            color=alt.Color("scenario:N", scale=_colour(names), legend=_legend(names)),
        )
        band = base.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1])).mark_area(
            opacity=0.18).encode(y=alt.Y("p05:Q", title="occupied", scale=alt.Scale(zero=False)), y2="p95:Q")
        line = _baseline_on_top(base.mark_line(strokeWidth=1.6).encode(
            y="mean:Q",
            tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("how:Q", title="hour of week"),
                     alt.Tooltip("mean:Q", format=".1f", title="mean occupied"),
                     alt.Tooltip("p05:Q", format=".0f", title="5th percentile"),
                     alt.Tooltip("p95:Q", format=".0f", title="95th percentile")],
        ), names)
        beds = ", ".join(sorted({str(b) for _, b in _beds(scenarios, u)}))
        panels.append(alt.layer(band, line, _bed_rule(scenarios, u, 520)).properties(
            width=520, height=150, title=alt.TitleParams(f"{u} ({beds} {'cubicles' if _is_ed_unit(scenarios, u) else 'beds'})",
                                                         anchor="start", fontSize=13)))
    return alt.concat(*panels, columns=columns).resolve_scale(y="independent")


def _is_ed_unit(scenarios: list[Scenario], unit: str) -> bool:
    return any(unit in s.units and (s.units[unit].kind == "ed" or s.units[unit].ed is not None) for s in scenarios)


def census_timeline_chart(df: pd.DataFrame, scenarios: list[Scenario], columns: int = 2) -> alt.ConcatChart:
    """Small multiples: census over the whole run (period means), band over replications, warm-up shaded."""
    names = [s.name for s in scenarios if s.name in set(df["scenario"])]
    s0 = scenarios[0]
    warm = pd.DataFrame({"from": [pd.Timestamp(s0.start)], "to": [pd.Timestamp(s0.start) + pd.Timedelta(hours=s0.warmup_h)],
                         "text": ["warm-up"]})
    panels = []
    for u in _units_in_order(scenarios):
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
            layers.append(alt.Chart(warm).mark_text(align="left", baseline="bottom", dx=3, dy=-3, color="#868e96",
                                                    fontSize=10).encode(x="from:T", y=alt.value(140), text="text:N"))
        layers.append(base.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1])).mark_area(
            opacity=0.18).encode(y=alt.Y("lo:Q", title="occupied", scale=alt.Scale(zero=False)), y2="hi:Q"))
        layers.append(_baseline_on_top(base.mark_line(strokeWidth=1.4).encode(
            y="mean:Q",
            tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("date:T", title="period from", format="%d %b %Y"),
                     alt.Tooltip("mean:Q", format=".1f", title="mean occupied"),
                     alt.Tooltip("lo:Q", format=".1f", title="lowest replication"),
                     alt.Tooltip("hi:Q", format=".1f", title="highest replication")],
        ), names))
        layers.append(_bed_rule(scenarios, u, 520))
        beds = ", ".join(sorted({str(b) for _, b in _beds(scenarios, u)}))
        panels.append(alt.layer(*layers).properties(
            width=520, height=140,
            title=alt.TitleParams(f"{u} ({beds} {'cubicles' if _is_ed_unit(scenarios, u) else 'beds'})",
                                  anchor="start", fontSize=13)))
    return alt.concat(*panels, columns=columns).resolve_scale(y="independent")


def wait_chart(curve: pd.DataFrame, stats: pd.DataFrame, scenarios: list[Scenario], columns: int = 3) -> alt.ConcatChart:
    """Small multiples: share of admissions placed within x hours of asking for a bed (ECDF)."""
    names = [s.name for s in scenarios if s.name in set(curve["scenario"])]
    panels = []
    for u in _units_in_order(scenarios):
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
        chart = alt.Chart(d).mark_line(strokeWidth=1.6, interpolate="step-after").encode(
            x=alt.X("wait_h:Q", title="hours waited for a bed", scale=alt.Scale(nice=False)),
            y=alt.Y("share:Q", title="placed within", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("scenario:N", scale=_colour(names), legend=_legend(names)),
            tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("wait_h:Q", title="within hours", format=".1f"),
                     alt.Tooltip("share:Q", title="share placed", format=".1%")],
        )
        panels.append(_baseline_on_top(chart, names).properties(width=300, height=150, title=alt.TitleParams(
            u, subtitle=sub, anchor="start", fontSize=13, subtitleColor="#495057")))
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
            align="left", baseline="bottom", dx=3, dy=-2, color="#495057", fontSize=10).encode(
            y="y:Q", text="text:N", x=alt.value(0))

    for u in _units_in_order(scenarios):
        h = _round(by_hour[by_hour["unit"] == u], 4)
        w = _round(by_week[by_week["unit"] == u], 4)
        if h.empty:
            continue
        tip = [alt.Tooltip("scenario:N"), alt.Tooltip("share:Q", format=".1%", title="within 4 h (mean)"),
               alt.Tooltip("lo:Q", format=".1%", title="lowest replication"),
               alt.Tooltip("hi:Q", format=".1%", title="highest replication"),
               alt.Tooltip("n:Q", format=",", title="attendances")]
        hb = alt.Chart(h).encode(x=alt.X("hour:O", title="hour of arrival", axis=alt.Axis(labelAngle=0)), color=colour)
        left = alt.layer(
            hb.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1])).mark_area(
                opacity=0.15).encode(y=alt.Y("lo:Q", title="left within 4 h", axis=alt.Axis(format="%"),
                                             scale=alt.Scale(domain=[0, 1])), y2="hi:Q"),
            _baseline_on_top(hb.mark_line(point=True, strokeWidth=1.6).encode(
                y=y, tooltip=[alt.Tooltip("hour:O", title="hour"), *tip]), names),
            standard(),
        ).properties(width=470, height=200, title=alt.TitleParams(f"{u}: by hour of arrival", anchor="start",
                                                                   fontSize=13))
        wb = alt.Chart(w).encode(x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
                                 color=colour)
        right = alt.layer(
            wb.transform_filter(alt.FieldOneOfPredicate(field="scenario", oneOf=names[:1])).mark_area(
                opacity=0.15).encode(y=alt.Y("lo:Q", title="left within 4 h", axis=alt.Axis(format="%"),
                                             scale=alt.Scale(domain=[0, 1])), y2="hi:Q"),
            _baseline_on_top(wb.mark_line(strokeWidth=1.4).encode(
                y=y, tooltip=[alt.Tooltip("date:T", title="week from", format="%d %b %Y"), *tip]), names),
            standard(),
        ).properties(width=470, height=200, title=alt.TitleParams(f"{u}: by week", anchor="start", fontSize=13))
        rows.append(alt.hconcat(left, right))
    return alt.vconcat(*rows)


def _forest_rows(comparison: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
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


def forest_chart(comparison: pd.DataFrame, scenarios: list[Scenario], columns: int = 2) -> alt.ConcatChart | None:
    """Forest plot of paired differences (what-if minus baseline), one panel per metric.

    Each row is a unit (``ALL``, and units whose interval excludes zero); a filled point
    marks an interval that excludes zero. Shares are shown in percentage points.
    """
    c = _forest_rows(comparison, scenarios)
    if c.empty:
        return None
    names = [s.name for s in scenarios[1:] if s.name in set(c["scenario"])]
    order = _units_in_order(scenarios)
    panels = []
    for m in FOREST_METRICS:
        d = c[c["metric"] == m]
        if d.empty:
            continue
        label, unit = _label(m)
        k = 100.0 if unit == "share" else 1.0
        d = d.assign(
            diff=d["diff_mean"] * k, lo=d["diff_ci_low"] * k, hi=d["diff_ci_high"] * k,
            base=d["baseline_mean"] * k, var=d["scenario_mean"] * k,
        )[["scenario", "unit", "diff", "lo", "hi", "base", "var", "significant"]]
        d = _round(d, 4)
        units = [u for u in [ALL, *order] if u in set(d["unit"])]
        what = {"share": "percentage points", "hours": "hours", "beds": "beds", "bed-hours": "bed-hours",
                "count": "count"}.get(unit, unit)
        base = alt.Chart(d).encode(
            y=alt.Y("unit:N", sort=units, title=None, axis=alt.Axis(labelFontWeight="bold")),
            yOffset=alt.YOffset("scenario:N", sort=names, scale=alt.Scale(paddingInner=0.2)),
            color=alt.Color("scenario:N", scale=_colour(names, first=1), legend=alt.Legend(
                title="what-if minus baseline", orient="top", direction="vertical", labelLimit=420)),
        )
        fmt = ".2f"
        tip = [alt.Tooltip("scenario:N"), alt.Tooltip("unit:N"), alt.Tooltip("base:Q", title="baseline", format=fmt),
               alt.Tooltip("var:Q", title="what-if", format=fmt), alt.Tooltip("diff:Q", title="difference", format=fmt),
               alt.Tooltip("lo:Q", title="interval from", format=fmt), alt.Tooltip("hi:Q", title="interval to", format=fmt),
               alt.Tooltip("significant:N", title="excludes 0")]
        bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("lo:Q", title=f"difference, {what}"), x2="hi:Q")
        points = base.mark_point(size=70, strokeWidth=1.8, filled=False).encode(
            x="diff:Q",
            fill=alt.condition("datum.significant", alt.Color("scenario:N", scale=_colour(names, first=1),
                                                              legend=None), alt.value("white")),
            tooltip=tip,
        )
        zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#343a40", strokeWidth=1).encode(x="x:Q")
        height = max(50, 18 * len(units) * len(names))
        panels.append(alt.layer(zero, bars, points).properties(
            width=470, height=height, title=alt.TitleParams(label, anchor="start", fontSize=13)))
    if not panels:
        return None
    return alt.concat(*panels, columns=columns).resolve_scale(x="independent", y="independent")















def _summary_lookup(summary: pd.DataFrame) -> dict[tuple[str, str, str], pd.Series]:
    return {(r.scenario, r.metric, r.unit): r for r in summary.itertuples(index=False)}


def _cell(row: Any, unit: str, *, flip: bool = False) -> str:
    if row is None:
        return '<td class="num"><span class="m">–</span></td>'
    mean, lo, hi = float(row.mean), float(row.ci_low), float(row.ci_high)
    if flip:
        mean, lo, hi = 1 - mean, 1 - hi, 1 - lo
    ci = ""
    if int(row.n_reps) > 1 and not (math.isnan(lo) or math.isnan(hi)):
        ci = f'<span class="ci">{escape(format_value(lo, unit))} – {escape(format_value(hi, unit))}</span>'
    return f'<td class="num"><span class="m">{escape(format_value(mean, unit))}</span>{ci}</td>'


def _metric_cell(metric: str, *, unit_note: str = "") -> str:
    label, unit = _label(metric)
    what = {"share": "%", "hours": "hours", "beds": "beds", "bed-hours": "bed-hours", "count": "count"}.get(unit, unit)
    return (f'<td class="lab" title="{escape(METRICS.get(metric, ""))}">{escape(label)} '
            f'<span class="u">({escape(what)}{escape(unit_note)})</span></td>')


def _kpi_table(summary: pd.DataFrame, s: Scenario) -> str:
    look = _summary_lookup(summary)
    units = [u for u in s.units if not _is_ed_unit([s], u)]
    eds = [u for u in s.units if _is_ed_unit([s], u)]
    cols = eds + units + [ALL]
    inpatient_beds = sum(s.units[u].beds for u in units)
    relevant = set(relevant_metrics(s))
    head = "".join(
        f'<th class="num">{escape(u)}<span class="beds">'
        f'{s.units[u].beds if u in s.units else inpatient_beds} {"cubicles" if u in eds else "beds"}</span></th>'
        for u in cols
    )
    rows = []
    for group, metrics in _GROUPS:
        body = []
        for m in metrics:
            if m not in relevant:
                continue
            cells = [look.get((s.name, m, u)) for u in cols]
            if all(c is None for c in cells):
                continue
            _, unit = _label(m)
            body.append("<tr>" + _metric_cell(m) + "".join(_cell(c, unit) for c in cells) + "</tr>")
        if body:
            rows.append(f'<tr class="group"><td colspan="{len(cols) + 1}">{escape(group)}</td></tr>' + "".join(body))
    out = [f'<table class="kpi"><thead><tr><th>measure</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>']
    if eds:
        erows = []
        for m in _ED_GROUP:
            cells = [look.get((s.name, m, u)) for u in eds]
            if all(c is None for c in cells):
                continue
            _, unit = _label(m)
            erows.append("<tr>" + _metric_cell(m) + "".join(_cell(c, unit) for c in cells) + "</tr>")
            if m == "ed_4h_breach_share":
                erows.append('<tr><td class="lab">Within 4 hours of arrival <span class="u">(%)</span></td>'
                             + "".join(_cell(c, "share", flip=True) for c in cells) + "</tr>")
        ehead = "".join(f'<th class="num">{escape(u)}<span class="beds">{s.units[u].beds} cubicles</span></th>' for u in eds)
        out.append(f'<h4>Emergency department</h4><table class="kpi"><thead><tr><th>measure</th>{ehead}</tr></thead>'
                   f'<tbody>{"".join(erows)}</tbody></table>')
    return "\n".join(out)


def _headline(folder: ResultsFolder, s: Scenario) -> list[tuple[str, str, str]]:
    """(label, value, interval) cards for one scenario."""
    look = _summary_lookup(folder.summary)
    cards = []

    def card(label: str, metric: str, unit: str, fmt_unit: str, flip: bool = False, per_day: bool = False) -> None:
        r = look.get((s.name, metric, unit))
        if r is None or math.isnan(float(r.mean)):
            return
        mean, lo, hi = float(r.mean), float(r.ci_low), float(r.ci_high)
        if flip:
            mean, lo, hi = 1 - mean, 1 - hi, 1 - lo
        if per_day:
            mean, lo, hi = (x / s.horizon_days for x in (mean, lo, hi))
            fmt = lambda x: f"{x:,.1f}/day"  # noqa: E731
        else:
            fmt = lambda x: format_value(x, fmt_unit)  # noqa: E731
        ci = f"95% CI {fmt(lo)} – {fmt(hi)}" if int(r.n_reps) > 1 and not math.isnan(lo) else ""
        cards.append((label, fmt(mean), ci))

    card("Inpatient bed occupancy", "utilisation", ALL, "share")
    card("Occupied inpatient beds, average", "occupancy_mean", ALL, "beds")
    card("Patients who waited for a bed", "waited_share", ALL, "share")
    card("Wait for a bed, mean", "wait_for_bed_mean_h", ALL, "hours")
    for u, spec in s.units.items():
        if spec.ed is not None:
            card(f"{u}: left within 4 hours", "ed_4h_breach_share", u, "share", flip=True)
            card(f"{u}: over 12 hours in the department", "ed_12h_breach_share", u, "share")
            card(f"{u}: decisions to admit waiting > 12 h", "ed_dta_12h_waits", u, "count", per_day=True)
    if s.electives:
        card("Elective admissions cancelled", "cancelled_share", ALL, "share")
    card("Length of hospital spell, mean", "los_mean_h", ALL, "hours")
    return cards


def _points_to_note(folder: ResultsFolder, s: Scenario, log: pd.DataFrame | None) -> list[str]:
    """Plain statements a manager should see first, read off the summary and the log (HTML)."""
    look = _summary_lookup(folder.summary)
    notes = []
    full = []
    for u, spec in s.units.items():
        r = look.get((s.name, "occupancy_p95", u))
        if r is not None and spec.ed is None and spec.kind != "ed" and float(r.mean) >= spec.beds:
            full.append(u)
    if full:
        notes.append(f"Full at least 5% of the time (95th percentile of occupied beds at the bed count): "
                     f"<b>{escape(', '.join(full))}</b>.")
    for u, spec in s.units.items():
        r = look.get((s.name, "ed_4h_breach_share", u))
        if spec.ed is not None and r is not None:
            within = 1 - float(r.mean)
            notes.append(f"{escape(u)}: {100 * within:.1f}% of attendances left within 4 hours, "
                         f"{'below' if within < FOUR_HOUR_STANDARD else 'meeting'} the 95% standard.")
    if log is not None:
        _, weeks = ed_four_hours(log, [s])
        bad = weeks[weeks["lo"] < 0.25]
        if len(bad):
            notes.append(
                f"In at least one replication the emergency department locked up: in {len(bad)} week(s) "
                f"(first from {bad['date'].min():%d %b %Y}) fewer than 25% of attendances left within 4 hours, "
                "with admitted patients boarding in the cubicles. Such episodes widen every interval; see the "
                "weekly charts below.")
    wide = folder.summary[(folder.summary["scenario"] == s.name) & (folder.summary["ci_low"] < 0)
                          & (folder.summary["mean"] > 0)]
    if len(wide):
        notes.append(f"{len(wide)} interval(s) reach below zero for quantities that cannot be negative: the "
                     f"{folder.replications()} replications are too few for them; more replications narrow them.")
    return notes


def _cards_html(cards: list[tuple[str, str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{escape(v)}</div><div class="ci">{escape(ci)}</div></div>'
        for k, v, ci in cards) + "</div>"


def _comparison_tables(folder: ResultsFolder) -> str:
    c = folder.comparison
    assert c is not None
    c = c.copy()
    c["significant"] = c["significant"].astype(str).str.lower().isin(["true", "1"])
    base = folder.baseline
    eds = [u for u, spec in base.units.items() if spec.ed is not None]
    out = []
    for k, name in enumerate(folder.names[1:], start=1):
        d = c[(c["scenario"] == name) & c["metric"].isin(FOREST_METRICS + ["occupancy_mean", "los_mean_h"])]
        d = d[(d["unit"] == ALL) | d["significant"] | (d["metric"].str.startswith("ed_") & d["unit"].isin(eds))]
        d = d[(d["scenario_mean"].abs() > 0) | (d["baseline_mean"].abs() > 0)]
        order = {m: i for i, m in enumerate(["occupancy_mean", *FOREST_METRICS, "los_mean_h"])}
        units = {u: i for i, u in enumerate([ALL, *_units_in_order(folder.scenarios)])}
        d = d.assign(_m=d["metric"].map(order), _u=d["unit"].map(units)).sort_values(["_m", "_u"])
        level = float(d["confidence"].iloc[0]) if len(d) else 0.95
        rows = []
        for r in d.itertuples(index=False):
            label, unit = _label(r.metric)
            rows.append(
                f"<tr><td>{escape(label)}</td><td>{escape(r.unit)}</td>"
                f'<td class="num">{escape(format_value(r.baseline_mean, unit))}</td>'
                f'<td class="num">{escape(format_value(r.scenario_mean, unit))}</td>'
                f'<td class="num">{escape(format_value(r.diff_mean, unit, diff=True))}</td>'
                f'<td class="num">{escape(format_value(r.diff_ci_low, unit, diff=True))} to '
                f'{escape(format_value(r.diff_ci_high, unit, diff=True))}</td>'
                f'<td class="{"sig" if r.significant else ""}">{"yes" if r.significant else ""}</td></tr>'
            )
        n = int(d["n_reps"].max()) if len(d) else 0
        out.append(
            f"<details{' open' if k == 1 else ''}><summary>{escape(name)} minus baseline</summary>"
            f'<p class="note">Paired over {n} replications with common random numbers; {100 * level:.1f}% intervals '
            f"(Bonferroni across {len(folder.names) - 1} what-if(s)). Rows: the hospital (ALL), the emergency department, "
            f"and units whose interval excludes zero.</p>"
            f'<table class="kpi"><thead><tr><th>measure</th><th>unit</th><th class="num">baseline</th>'
            f'<th class="num">what-if</th><th class="num">difference</th><th class="num">interval</th>'
            f"<th>excludes 0</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
        )
    return "\n".join(out)


def _headline_compare(folder: ResultsFolder) -> str:
    look = _summary_lookup(folder.summary)
    base = folder.baseline
    eds = [u for u, spec in base.units.items() if spec.ed is not None]
    items = [("utilisation", ALL), ("occupancy_mean", ALL), ("waited_share", ALL), ("wait_for_bed_mean_h", ALL),
             ("wait_for_bed_p95_h", ALL)]
    items += [(m, u) for u in eds for m in ("ed_4h_breach_share", "ed_12h_breach_share", "ed_boarding_mean_h",
                                            "ed_dta_12h_waits")]
    if any(s.electives for s in folder.scenarios):
        items.append(("cancelled_share", ALL))
    items.append(("los_mean_h", ALL))
    head = "".join(f'<th class="num">{escape(n)}</th>' for n in folder.names)
    rows = []
    for m, u in items:
        cells = [look.get((n, m, u)) for n in folder.names]
        if all(c is None for c in cells):
            continue
        _, unit = _label(m)
        rows.append("<tr>" + _metric_cell(m, unit_note=f", {u}") + "".join(_cell(c, unit) for c in cells) + "</tr>")
    return (f'<table class="kpi"><thead><tr><th>measure</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            '<p class="note">Mean over replications; below it the 95% interval of each scenario on its own. '
            "Whether a what-if really differs is judged on the paired differences below, which are much narrower.</p>")


def build_report(results_dir: str | Path) -> str:
    """The report of a results folder as one self-contained HTML document."""
    folder = load_results(results_dir)
    scenarios = folder.scenarios
    s0 = folder.baseline
    n_reps = folder.replications()
    page = Page()
    compare = folder.is_comparison
    title = f"Comparison: {len(scenarios) - 1} what-if(s) against {s0.name}" if compare else s0.name
    has_ed = any(_is_ed_unit(scenarios, u) for u in _units_in_order(scenarios))

    # ---- header and contents
    generated = dt.datetime.now().astimezone().strftime("%d %b %Y %H:%M %Z")
    warm_end = pd.Timestamp(s0.start) + pd.Timedelta(hours=s0.warmup_h)
    end = pd.Timestamp(s0.start) + pd.Timedelta(hours=s0.end_h)
    page.add(
        f'<header class="top"><div class="inner"><h1>{escape(title)}</h1>'
        f"<p>Hospital digital twin report · {n_reps} replication(s) × {s0.horizon_days:g} days measured "
        f"({warm_end:%d %b %Y} – {end:%d %b %Y}) after a {s0.warmup_days:g}-day warm-up · seed "
        f"{escape(folder.run.get('seed', folder.provenance[0].get('seed', s0.seed)))}</p>"
        f"<p>Results folder <code style=\"background:#0e2a4b;color:#fff\">{escape(folder.path.resolve())}</code> · "
        f"generated {escape(generated)} by hospital_twin {escape(__version__)}</p></div></header><main>"
    )
    toc = [("glance", "At a glance")]
    if compare:
        toc.append(("comparison", "What-ifs against the baseline"))
    toc += [("kpis", "Results by unit"), ("census", "Bed census"), ("waits", "Waiting for a bed")]
    if has_ed:
        toc.append(("ed", "Emergency department"))
    toc.append(("model", "The model in words"))
    page.add('<nav class="toc">' + "".join(f'<a href="#{k}">{escape(v)}</a>' for k, v in toc) + "</nav>")

    # ---- at a glance
    page.add('<section id="glance"><h2>At a glance</h2>')
    if s0.description:
        page.add(f'<p class="scen-desc">{escape(s0.description)}</p>')
    if compare:
        page.add(f"<p>Baseline <b>{escape(s0.name)}</b> against: "
                 + "; ".join(f"<b>{escape(s.name)}</b>" for s in scenarios[1:]) + ".</p>")
        page.add(f"<h3>Baseline: {escape(s0.name)}</h3>")
    page.add(_cards_html(_headline(folder, s0)))
    notes = _points_to_note(folder, s0, folder.log())
    if notes:
        page.add('<div class="callout"><b>Points to note</b><ul>' + "".join(f"<li>{n}</li>" for n in notes)
                 + "</ul></div>")
    page.add('<p class="note">Means over replications with 95% confidence intervals (t-interval across '
             "replications), measured after the warm-up. Inpatient measures exclude the emergency department. "
             f"With only {n_reps} replications intervals are wide and, for skewed measures, can reach below zero; "
             "more replications narrow them.</p>" if n_reps < 10 else
             '<p class="note">Means over replications with 95% confidence intervals (t-interval across '
             "replications), measured after the warm-up. Inpatient measures exclude the emergency department.</p>")
    page.add("</section>")

    # ---- comparison
    if compare:
        assert folder.comparison is not None
        page.add('<section id="comparison"><h2>What-ifs against the baseline</h2>')
        for s in scenarios[1:]:
            page.add(f"<h4>{escape(s.name)}: what changes</h4>"
                     f'<div class="md">{markdown(describe_differences(s0, s))}</div>')
        page.add("<h3>Headline measures</h3>" + _headline_compare(folder))
        page.add("<h3>Paired differences</h3>")
        level = float(folder.comparison["confidence"].iloc[0]) if len(folder.comparison) else 0.95
        page.chart("forest", forest_chart(folder.comparison, scenarios),
                   f"What-if minus baseline, replication by replication (common random numbers), with "
                   f"{100 * level:.1f}% intervals (Bonferroni across what-ifs). A filled point: the interval excludes "
                   "zero, the difference is unlikely to be noise. Shares in percentage points. Rows: the hospital (ALL), "
                   "the emergency department and units where the difference is clear.")
        page.add(_comparison_tables(folder))
        page.add("</section>")

    # ---- KPI tables
    page.add('<section id="kpis"><h2>Results by unit</h2>'
             f'<p class="note">Mean over {n_reps} replication(s) with the 95% interval below it. Counts are totals over '
             f"the {s0.horizon_days:g} measured days of one replication. ALL is the hospital: external arrivals, and "
             "bed measures over the inpatient units. Hover a measure for its exact definition.</p>")
    for k, s in enumerate(scenarios):
        if compare:
            page.add(f"<details{' open' if k == 0 else ''}><summary>{escape(s.name)}"
                     f"{' (baseline)' if k == 0 else ''}</summary>")
        page.add(_kpi_table(folder.summary, s))
        if compare:
            page.add("</details>")
    page.add("</section>")

    # ---- census
    page.add('<section id="census"><h2>Bed census</h2>')
    census = folder.census()
    if census is None:
        page.add('<div class="callout">This results folder has no census table, so the census charts are left out.</div>')
    else:
        page.add("<h3>Through the week</h3>")
        page.chart(
            "census-week", census_week_chart(census_hour_of_week(census, scenarios), scenarios),
            "Occupied beds at each hour of the week after the warm-up: the line is the mean over replications and "
            "weeks, the band the 5th to 95th percentile of the hourly census over replications × weeks"
            + (" (drawn for the baseline only)" if compare else "") + ". The dashed red line is the unit's base bed "
            "count (cubicles for the emergency department)"
            + ("; an orange dotted line, the beds with escalation beds open" if any(
                u.escalation is not None for s in scenarios for u in s.units.values()) else "") + ".",
        )
        page.add("<h3>Over the run</h3>")
        tl = census_timeline(census, scenarios)
        days = int(tl["days"].iloc[0]) if len(tl) else 7
        page.chart(
            "census-timeline", census_timeline_chart(tl, scenarios),
            f"{'Daily' if days == 1 else 'Weekly'} average occupied beds over the whole run: the line is the mean over "
            "replications, the band the lowest to highest replication" + (" (baseline only)" if compare else "")
            + ". The grey area is the warm-up, left out of every measure. A band that widens shows replications "
            "that drifted into long queues.",
        )
    page.add("</section>")

    # ---- waits and ED from the log
    log = folder.log()
    no_log = (
        '<div class="callout"><b>The event log was not kept for this run</b>, so the distribution of waits '
        f"{'and the ED 4-hour charts are' if has_ed else 'is'} not available; the tables above still give the "
        "measures. Re-run with the log (<code>hospital-twin run</code> keeps it unless <code>--no-log</code>; "
        "<code>hospital-twin compare --log</code>) to see them.</div>"
    )
    page.add('<section id="waits"><h2>Waiting for a bed</h2>')
    if log is None:
        page.add(no_log)
    else:
        curve, stats = wait_ecdf(log, scenarios)
        page.chart(
            "waits", wait_chart(curve, stats, scenarios),
            "Share of admissions to each unit placed in a bed within the number of hours on the axis (pooled over "
            "replications, after the warm-up). The curve starts at the share placed at once; the axis ends at the "
            "99th percentile. For the emergency department this is the wait for a cubicle.",
        )
    page.add("</section>")

    if has_ed:
        page.add('<section id="ed"><h2>Emergency department: 4-hour performance</h2>')
        look = _summary_lookup(folder.summary)
        for s in scenarios:
            for u, spec in s.units.items():
                r = look.get((s.name, "ed_4h_breach_share", u))
                if spec.ed is None or r is None:
                    continue
                lo, hi = 1 - float(r.ci_high), 1 - float(r.ci_low)
                page.add(f"<p><b>{escape(s.name)} · {escape(u)}</b>: {100 * (1 - float(r.mean)):.1f}% of attendances left "
                         f"within 4 hours of arrival (95% CI {100 * lo:.1f}% – {100 * hi:.1f}%).</p>")
        if log is None:
            page.add(no_log)
        else:
            by_hour, by_week = ed_four_hours(log, scenarios)
            if len(by_hour):
                page.chart(
                    "ed-4h", ed_four_hour_chart(by_hour, by_week, scenarios),
                    "Share of attendances leaving the department within 4 hours of arrival, by the hour they arrived "
                    "and by week of the run: the line is the mean over replications, the band the lowest to highest "
                    "replication" + (" (baseline only)" if compare else "") + ". The dashed line is the 95% NHS "
                    "England standard.",
                )
        page.add("</section>")

    # ---- the model in words
    page.add('<section id="model"><h2>The model in words</h2>'
             '<p class="note">A description following the STRESS-DES reporting guideline (Monks et al., Journal of '
             "Simulation 2019), generated from the scenario that was simulated.</p>")
    if compare:
        page.add(f"<h3>Baseline: {escape(s0.name)}</h3>")
    for heading, text in describe_scenario(s0, {**folder.provenance[0], "replications": n_reps}):
        page.add(f'<h4>{escape(heading)}</h4><div class="md">{markdown(text)}</div>')
    for k, s in enumerate(scenarios[1:], start=1):
        page.add(f"<details><summary>What-if: {escape(s.name)}</summary>")
        page.add(f'<div class="md">{markdown(describe_differences(s0, s))}</div>')
        for heading, text in describe_scenario(s, {**folder.provenance[k], "replications": n_reps}):
            page.add(f'<h4>{escape(heading)}</h4><div class="md">{markdown(text)}</div>')
        page.add("</details>")
    page.add("</section>")
    page.add(f"<footer>hospital_twin {escape(__version__)} · report of {escape(folder.path.resolve())} · "
             "charts drawn offline with Vega-Lite (JavaScript embedded in this file).</footer></main>")

    return page.document(f"{title} · hospital_twin report")


def write_report(results_dir: str | Path, out_html: str | Path | None = None) -> Path:
    """Write the report of ``results_dir`` (default ``<results_dir>/report.html``) atomically; return its path."""
    text = build_report(results_dir)
    out = Path(out_html) if out_html is not None else Path(results_dir) / "report.html"
    return write_text_atomic(out, text)
