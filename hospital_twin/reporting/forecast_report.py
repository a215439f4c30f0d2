"""``forecast.html``: a warm-started forecast as one self-contained page.

Charts: the fan chart per unit, the chance of every bed being taken, expected admissions
and discharges, ED boarding; then the snapshot it started from. Offline like every page
of :mod:`hospital_twin.reporting` (the Vega bundle inlined).
"""

from __future__ import annotations

import datetime as dt

import altair as alt

from hospital_twin._version import __version__
from hospital_twin.live.forecast import ALL, Forecast
from hospital_twin.reporting.charts import forecast_chart
from hospital_twin.reporting.html import Page, escape

__all__ = ["forecast_charts", "forecast_html"]


def forecast_charts(fc: Forecast) -> dict:
    """Altair charts of a forecast: fan charts, P(full), admissions and discharges, ED boarding."""
    h = fc.hourly.copy()
    h["unit"] = h["unit"].astype(str)
    charts = {"fan": forecast_chart(fc)}
    pf = h[h["unit"] != ALL][["time", "unit", "p_full"]]
    charts["p_full"] = alt.Chart(pf).mark_line(interpolate="step-after").encode(
        x=alt.X("time:T", title=None), y=alt.Y("p_full:Q", title="P(every bed taken)", scale=alt.Scale(domain=[0, 1]),
                                               axis=alt.Axis(format="%")),
        color=alt.Color("unit:N", title="unit"),
        tooltip=[alt.Tooltip("time:T", format="%a %d %b %H:%M"), "unit:N", alt.Tooltip("p_full:Q", format=".0%")],
    ).properties(width=760, height=220)
    flows = h[h["horizon_h"] < fc.hours][["time", "unit", "admissions", "discharges"]].melt(
        id_vars=["time", "unit"], var_name="flow", value_name="per_hour").dropna()
    if len(flows):
        charts["flows"] = alt.Chart(flows).mark_line(interpolate="step-after").encode(
            x=alt.X("time:T", title=None), y=alt.Y("per_hour:Q", title="expected patients per hour"),
            color=alt.Color("flow:N", title=None), strokeDash=alt.StrokeDash("flow:N", title=None),
            tooltip=[alt.Tooltip("time:T", format="%a %d %b %H:%M"), "unit:N", "flow:N",
                     alt.Tooltip("per_hour:Q", format=".2f")],
        ).properties(width=260, height=140).facet(facet=alt.Facet("unit:N", title=None), columns=3).resolve_scale(
            y="independent")
    ed = h[h["unit"].isin([u for u, e in zip(fc.units, fc.is_ed, strict=True) if e])]
    if len(ed):
        base = alt.Chart(ed).encode(x=alt.X("time:T", title=None))
        charts["boarding"] = alt.layer(
            base.mark_area(opacity=0.25, color="#d9822b").encode(y=alt.Y("boarding_mean:Q", title="patients boarding"),
                                                                 y2=alt.Y2("boarding_p95:Q")),
            base.mark_line(color="#d9822b").encode(y="boarding_mean:Q",
                                                   tooltip=[alt.Tooltip("time:T", format="%a %d %b %H:%M"), "unit:N",
                                                            alt.Tooltip("boarding_mean:Q", format=".1f"),
                                                            "boarding_p95:Q"]),
        ).properties(width=760, height=200)
    return charts


def forecast_html(fc: Forecast, *, source: str = "") -> str:
    """The forecast as one self-contained HTML page (charts drawn offline with the inlined Vega bundle)."""
    page = Page()
    title = f"{fc.scenario_name}: forecast from {fc.now:%a %d %b %Y %H:%M}"
    generated = dt.datetime.now().astimezone().strftime("%d %b %Y %H:%M %Z")
    page.add(f'<header class="top"><div class="inner"><h1>{escape(title)}</h1>'
             f"<p>Warm start from a census of {int(fc.initial['patients'].sum())} patients"
             + (f" (and {int(fc.initial['waiting'].sum())} waiting for a bed)" if fc.initial["waiting"].sum() else "")
             + f" · next {fc.hours} hours · {fc.replications} replications · seed {escape(fc.provenance.get('seed'))}</p>"
             f"<p>{escape(source)} · generated {escape(generated)} by hospital_twin {escape(__version__)}</p></div></header><main>")
    charts = forecast_charts(fc)
    page.add('<section><h2>Census by unit</h2>')
    page.chart("fan", charts["fan"], "Patients in a bed per hour: the band holds 90% of the replications (5th to 95th "
               "percentile), the solid line is the median, the dashed line the mean, the red step the beds. Hour 0 "
               "is the snapshot.")
    page.add("</section><section><h2>Chance of running out of beds</h2>")
    page.chart("pfull", charts["p_full"], "Share of replications in which every bed of the unit is taken at that "
               "hour (patients above the beds, placed in the snapshot, count as full).")
    if "flows" in charts:
        page.add("</section><section><h2>Admissions and discharges</h2>")
        page.chart("flows", charts["flows"], "Expected patients per hour entering each unit (from outside or by "
                   "transfer; ALL: admissions to the inpatient units) and leaving the hospital from it.")
    if "boarding" in charts:
        page.add("</section><section><h2>Emergency department boarding</h2>")
        page.chart("boarding", charts["boarding"], "Patients in the emergency department with a decision to admit, "
                   "waiting for a bed: mean (line) up to the 95th percentile (band).")
    page.add("</section><section><h2>The snapshot</h2>")
    page.add(fc.initial.to_html(index=False, float_format=lambda x: f"{x:.1f}", border=0, na_rep=""))
    page.add("</section>")
    page.add(f"<footer>hospital_twin {escape(__version__)} · charts drawn offline with Vega-Lite (JavaScript embedded "
             "in this file).</footer></main>")
    return page.document(title)
