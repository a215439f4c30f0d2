"""``forecast.html``: a warm-started forecast as one self-contained page.

Sections: the fan chart per unit, the chance of every bed being taken, expected admissions
and discharges, ED boarding; then the snapshot it started from. The charts come from
:func:`hospital_twin.reporting.charts.forecast_charts`, the page kit from
:mod:`hospital_twin.reporting.html` (offline: the Vega bundle inlined).

This module lays out the page and returns its text; it computes nothing (the forecast is
:mod:`hospital_twin.live.forecast`'s) and writes nothing (the ``forecast`` verb writes the folder).
"""

from __future__ import annotations

import datetime as dt

from hospital_twin._version import __version__
from hospital_twin.live.forecast import Forecast, nctr_table
from hospital_twin.reporting.charts import forecast_charts
from hospital_twin.reporting.html import Page, escape

__all__ = ["forecast_html"]


def _nctr_html(fc: Forecast) -> str:
    """The NCTR line and table (scenarios with discharge pathways), or an empty string."""
    table = nctr_table(fc)
    if table is None:
        return ""
    shown = [k for k in (0, 24, 48, 72) if k <= fc.hours] + ([fc.hours] if fc.hours not in (0, 24, 48, 72) else [])
    rows = []
    for (unit, pathway), g in table.groupby(["unit", "pathway"], sort=False):
        g = g.set_index("horizon_h")
        cells = "".join(f"<td>{g.loc[k, 'mean']:.1f} [{g.loc[k, 'p05']:.0f}-{g.loc[k, 'p95']:.0f}]</td>" for k in shown)
        rows.append(f"<tr><td>{escape(unit)}</td><td>{escape(pathway)}</td>{cells}</tr>")
    head = "".join(f"<th>{'now' if k == 0 else f'+{k} h'}</th>" for k in shown)
    now_all = table[(table["unit"] == "ALL") & (table["pathway"] == "ALL") & (table["horizon_h"] == 0)]
    last = table[(table["unit"] == "ALL") & (table["pathway"] == "ALL") & (table["horizon_h"] == fc.hours)]
    line = (
        f"<p>Patients medically ready to leave who wait in their bed for a discharge pathway "
        f"({escape(', '.join(fc.pathways))}): {now_all['mean'].iloc[0]:.0f} at the snapshot, "
        f"{last['mean'].iloc[0]:.1f} expected after {fc.hours} hours. Mean [5th-95th percentile] over the "
        "replications; a census row's <code>pathway</code> starts a patient in that pathway's queue by its "
        "ready time; a pool with census patients waiting for it starts full, one nobody waits for empty.</p>"
        if len(now_all) and len(last)
        else ""
    )
    return (
        line
        + f"<table><thead><tr><th>unit</th><th>pathway</th>{head}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def forecast_html(fc: Forecast, *, source: str = "") -> str:
    """The forecast as one self-contained HTML page (charts drawn offline with the inlined Vega bundle)."""
    page = Page()
    title = f"{fc.scenario_name}: forecast from {fc.now:%a %d %b %Y %H:%M}"
    generated = dt.datetime.now().astimezone().strftime("%d %b %Y %H:%M %Z")
    page.add(
        f'<header class="top"><div class="inner"><h1>{escape(title)}</h1>'
        f"<p>Warm start from a census of {int(fc.initial['patients'].sum())} patients"
        + (f" (and {int(fc.initial['waiting'].sum())} waiting for a bed)" if fc.initial["waiting"].sum() else "")
        + f" · next {fc.hours} hours · {fc.replications} replications · seed {escape(fc.provenance.get('seed'))}"
        f"</p><p>{escape(source)} · generated {escape(generated)} by hospital_twin {escape(__version__)}</p>"
        "</div></header><main>"
    )
    charts = forecast_charts(fc)
    page.add("<section><h2>Census by unit</h2>")
    page.chart(
        "fan",
        charts["fan"],
        "Patients in a bed per hour: the band holds 90% of the replications (5th to 95th "
        "percentile), the solid line is the median, the dashed line the mean, the red step the beds. Hour 0 "
        "is the snapshot.",
    )
    page.add("</section><section><h2>Chance of running out of beds</h2>")
    page.chart(
        "pfull",
        charts["p_full"],
        "Share of replications in which every bed of the unit is taken at that "
        "hour (patients above the beds, placed in the snapshot, count as full).",
    )
    if "flows" in charts:
        page.add("</section><section><h2>Admissions and discharges</h2>")
        page.chart(
            "flows",
            charts["flows"],
            "Expected patients per hour entering each unit (from outside or by "
            "transfer; ALL: admissions to the inpatient units) and leaving the hospital from it.",
        )
    if "boarding" in charts:
        page.add("</section><section><h2>Emergency department: decision-to-admit waits (trolley waits)</h2>")
        page.chart(
            "boarding",
            charts["boarding"],
            "Patients in the emergency department with a decision to admit, "
            "waiting for a bed: mean (line) up to the 95th percentile (band).",
        )
    nctr = _nctr_html(fc)
    if nctr:
        page.add("</section><section><h2>Patients waiting for a discharge pathway (NCTR)</h2>")
        page.add(nctr)
    page.add("</section><section><h2>The snapshot</h2>")
    page.add(fc.initial.to_html(index=False, float_format=lambda x: f"{x:.1f}", border=0, na_rep=""))
    page.add("</section>")
    page.add(
        f"<footer>hospital_twin {escape(__version__)} · charts drawn offline with Vega-Lite (JavaScript "
        "embedded in this file).</footer></main>"
    )
    return page.document(title)
