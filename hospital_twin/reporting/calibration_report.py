"""The calibration report and the back-test report: self-contained HTML pages showing observed against fitted.

Sections of the calibration page (one function each, called in order by
:func:`build_calibration_report`): what was read (``read = used + rejected + ignored`` per
log, by reason), the dates (real or shifted per patient, and what that rules out), stays per
unit (survival: Kaplan-Meier against the fitted curve; histogram of completed stays against
the fitted density), the table of fits with their evidence (family, AIC ranking, distance D
with its parametric-bootstrap p-value and the Kolmogorov upper bound, n, censored share),
arrivals by hour of the week (observed mean per hour against the fitted rate), the route graph
(a networkx layout drawn with Altair: nodes, arrows, each edge labelled with its probability
and count; rare ones dashed), the discharge profile by hour and weekday, the discharge pathways
(shares by unit with intervals, NCTR delays, capacity, the NCTR-per-bed check), beds (given,
estimated or defaulted), and the scenario's provenance comments. When dates are shifted per
patient the page says so at the top and shows no arrival rates, occupancy or beds as if they
were real. The back-test page (:func:`build_backtest_report`): daily occupancy bands against
what happened, stays and throughput in the test period.

This module owns these two pages: the tables their charts draw (``stay_curves``, ``fits_table``,
...), the charts (``*_chart``; the app shows some of them) and the layout. The page kit (Vega
JavaScript inlined from vl-convert, specs as JSON blocks) is :mod:`hospital_twin.reporting.html`,
so the files open offline. It fits nothing (the fits are :mod:`hospital_twin.calibration`'s).
The builders are pure; :func:`write_calibration_report` is the only function that writes
(atomically).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import altair as alt
import networkx as nx
import numpy as np
import pandas as pd

from hospital_twin._version import __version__
from hospital_twin.atomic import write_text_atomic
from hospital_twin.calibration.adt import AdtRead
from hospital_twin.calibration.dates import DatesCheck
from hospital_twin.calibration.fit import Calibration
from hospital_twin.calibration.fit_stays import StayEstimate
from hospital_twin.calibration.quality import fit_quality
from hospital_twin.calibration.scenario_yaml import attribution, reading_comments
from hospital_twin.calibration.stays import censored_sample, kaplan_meier
from hospital_twin.reporting.html import Page, escape, table
from hospital_twin.scenario.schema import EXIT, DistributionSpec

__all__ = [
    "stay_populations",
    "stay_curves",
    "stay_histogram",
    "arrivals_hour_of_week",
    "route_layout",
    "discharge_profile",
    "fits_table",
    "pathways_table",
    "pathway_shares_table",
    "survival_chart",
    "histogram_chart",
    "arrivals_chart",
    "route_chart",
    "discharge_chart",
    "build_calibration_report",
    "write_calibration_report",
    "backtest_chart",
    "build_backtest_report",
    "write_text_atomic",
]

_OBS = "#1f5fa8"
_FIT = "#d9822b"
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


# --------------------------------------------------------------------------- data for the charts
def _dist(spec: dict):
    return DistributionSpec.model_validate(spec).to_distribution()


def _cdf(spec: dict, x: np.ndarray) -> np.ndarray:
    d = _dist(spec)
    return np.array([d.cdf(float(v)) for v in x])


def stay_populations(cal: Calibration) -> list[tuple[str, str, StayEstimate, pd.DataFrame]]:
    """Each stay fit with the stays it was fitted to: ``(unit, label, estimate, prepared rows)``.

    A class with its own stay in a unit is its own population (label ``unit: class``); the unit's
    fit covers the other classes (``unit: other classes``, or just ``unit`` when no class has its
    own). A chart drawing a fit against the stays of another population would mislead.
    """
    prep = cal.prepared
    own: dict[str, list[str]] = {}
    for u, c in cal.stays.classes_:
        own.setdefault(u, []).append(c)
    out = []
    for unit, est in cal.stays.units_.items():
        mine = prep["unit"] == unit
        split = own.get(unit, [])
        label = f"{unit}: other classes" if split else unit
        out.append((unit, label, est, prep[mine & ~prep["patient_class"].isin(split)]))
        for c in sorted(split):
            out.append((unit, f"{unit}: {c}", cal.stays.classes_[(unit, c)], prep[mine & (prep["patient_class"] == c)]))
    return out


def stay_curves(cal: Calibration, points: int = 120) -> pd.DataFrame:
    """``unit, hours, curve, survival``: Kaplan-Meier of the observed stays and the fitted survival.

    One panel per fitted population (:func:`stay_populations`): a unit's fit against the stays it
    was fitted to, a class with its own stay against its own stays. The observed curve is built
    from the same sample as the fit (open stays censored; exits under a discharge-hour rule at the
    middle of their 24 h interval, i.e. the time until ready). The grid runs to the 99th
    percentile of the observed stays.
    """
    rows = []
    for _unit, name, est, mine in stay_populations(cal):
        s = censored_sample(mine, cal.stays.discharge_rules_)
        d, e = s.km_inputs()
        if not e.any():
            continue
        t, surv = kaplan_meier(d, e)
        top = float(np.quantile(d, 0.99)) or float(d.max())
        grid = np.linspace(0, max(top, 1e-3), points)
        idx = np.searchsorted(t, grid, side="right") - 1
        km = np.where(idx >= 0, surv[np.clip(idx, 0, None)], 1.0)
        fit = 1 - _cdf(est.spec, grid)
        label = f"{name} ({est.chosen})"
        rows.append(pd.DataFrame({"unit": label, "hours": grid, "curve": "observed (Kaplan-Meier)", "survival": km}))
        rows.append(pd.DataFrame({"unit": label, "hours": grid, "curve": "fitted", "survival": fit}))
    cols = ["unit", "hours", "curve", "survival"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def stay_histogram(cal: Calibration, bins: int = 30) -> pd.DataFrame:
    """``unit, lo_h, hi_h, observed, fitted``: density (per hour) of completed stays and of the fitted law.

    One panel per fitted population (:func:`stay_populations`). Completed stays only (open ones
    are not in a histogram; the survival chart has them); bins are equal-width up to the 97.5th
    percentile of the completed stays.
    """
    rows = []
    for _unit, name, est, mine in stay_populations(cal):
        s = censored_sample(mine, cal.stays.discharge_rules_)
        d, e = s.km_inputs()
        done = d[e]
        if len(done) < 5:
            continue
        top = float(np.quantile(done, 0.975))
        edges = np.linspace(0, max(top, 1e-3), bins + 1)
        counts, _ = np.histogram(done, edges)
        width = np.diff(edges)
        F = _cdf(est.spec, edges)
        rows.append(
            pd.DataFrame(
                {
                    "unit": name,
                    "lo_h": edges[:-1],
                    "hi_h": edges[1:],
                    "observed": counts / len(done) / width,
                    "fitted": np.diff(F) / width,
                }
            )
        )
    cols = ["unit", "lo_h", "hi_h", "observed", "fitted"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def arrivals_hour_of_week(cal: Calibration) -> pd.DataFrame:
    """``hour_of_week, what, per_hour``: external arrivals per hour of the week, observed mean and fitted rate.

    Observed: arrivals (first stays of encounters, at their request time) in each of the
    168 hours, divided by the number of times that hour occurs in the complete days of
    the log. Fitted: the sum over the scenario's streams of ``per_day / 24 x`` hour and
    weekday weights (each scaled to mean 1, as the simulator does); elective lists at
    their hour. Empty when dates are shifted (rates are not real there).
    """
    cols = ["hour_of_week", "what", "per_hour"]
    if cal.dates_shifted or cal.days < 7:
        return pd.DataFrame(columns=cols)
    prep = cal.prepared
    t0, _ = cal.period
    first = prep[prep["is_first"]]
    t = pd.to_datetime(first["arrival"])
    day = np.floor(((t - t0) / pd.Timedelta(days=1)).to_numpy(float))
    inside = (day >= 0) & (day < cal.days)
    how = (t.dt.day_of_week * 24 + t.dt.hour).to_numpy()[inside]
    counts = np.bincount(how, minlength=168).astype(float)
    wd_of_day = (t0.weekday() + np.arange(cal.days)) % 7
    exposure = np.repeat(np.bincount(wd_of_day, minlength=7), 24).astype(float)
    observed = np.where(exposure > 0, counts / np.maximum(exposure, 1), np.nan)
    data = cal.scenario_dict(replications=1)
    fitted = np.zeros(168)
    for a in data["arrivals"]:
        hw = np.asarray(a.get("hour_of_day") or [1.0] * 24, float)
        dw = np.asarray(a.get("day_of_week") or [1.0] * 7, float)
        hw, dw = hw / hw.mean(), dw / dw.mean()
        fitted += a["per_day"] / 24 * np.outer(dw, hw).ravel()
    for e in data.get("electives", []):
        h = int(math.floor(e["hour"]))
        for d, n in enumerate(e["per_weekday"]):
            fitted[d * 24 + h] += n
    hw_idx = np.arange(168)
    return pd.concat(
        [
            pd.DataFrame({"hour_of_week": hw_idx, "what": "observed", "per_hour": observed}),
            pd.DataFrame({"hour_of_week": hw_idx, "what": "fitted", "per_hour": fitted}),
        ],
        ignore_index=True,
    )


def route_layout(cal: Calibration, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(nodes, edges)`` of the pooled route graph laid out by networkx (Kamada-Kawai, else spring).

    nodes: ``node, x, y, stays``; edges: ``source, target, count, p, rare, x, y, x2, y2,
    lx, ly, angle, label``. Edges are shortened at both ends so arrows stop at the node,
    and a pair of opposite edges is pushed apart so both labels can be read.
    """
    g = nx.DiGraph(cal.routes.graph_)
    if not g.number_of_nodes():
        return pd.DataFrame(columns=["node", "x", "y", "stays"]), pd.DataFrame()
    if g.number_of_nodes() > 5:
        # dense graphs (MIMIC) are read more easily on a circle, exit last, largest units first
        order = sorted(g.nodes, key=lambda n: (n == EXIT, -cal.routes.admissions_.get(n, 0), str(n)))
        pos = nx.circular_layout(
            nx.DiGraph([(a, b) for a, b in zip(order, order[1:], strict=False)] or None) if len(order) > 1 else g
        )
        pos = {n: pos[n] for n in order}
    else:
        try:
            pos = nx.kamada_kawai_layout(g.to_undirected())
        except Exception:  # noqa: BLE001 - layout needs scipy; spring layout is the fallback
            pos = nx.spring_layout(g, seed=seed)
    xy = np.array(list(pos.values()))
    lo, hi = xy.min(0), xy.max(0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    pos = {k: (np.asarray(v) - lo) / span for k, v in pos.items()}
    admissions = cal.routes.admissions_
    nodes = pd.DataFrame(
        {
            "node": list(pos),
            "x": [p[0] for p in pos.values()],
            "y": [p[1] for p in pos.values()],
            "stays": [int(admissions.get(n, 0)) for n in pos],
        }
    )
    rows = []
    for u, v, a in g.edges(data=True):
        p0, p1 = np.asarray(pos[u]), np.asarray(pos[v])
        vec = p1 - p0
        length = float(np.hypot(*vec)) or 1.0
        unit_vec = vec / length
        normal = np.array([-unit_vec[1], unit_vec[0]])
        off = 0.025 * normal if g.has_edge(v, u) else np.zeros(2)
        a0 = p0 + 0.07 * unit_vec + off
        a1 = p1 - 0.07 * unit_vec + off
        lab = p0 + 0.4 * vec + (off * 2.2 if g.has_edge(v, u) else 0.035 * normal)
        rows.append(
            {
                "source": u,
                "target": v,
                "count": int(a["count"]),
                "p": float(a["p"]),
                "rare": bool(a["rare"]),
                "x": a0[0],
                "y": a0[1],
                "x2": a1[0],
                "y2": a1[1],
                "lx": lab[0],
                "ly": lab[1],
                "angle": float(np.degrees(np.arctan2(vec[0], vec[1]))),
                "label": "" if a["rare"] else f"{a['p']:.2f} (n={int(a['count'])})",
            }
        )
    return nodes, pd.DataFrame(rows)


def discharge_profile(cal: Calibration) -> pd.DataFrame:
    """``unit, hour, share``: share of each unit's hospital discharges leaving in each clock hour."""
    prep = cal.prepared
    exits = prep[prep["next_unit"] == EXIT]
    rows = []
    for unit, r in exits.groupby("unit", sort=True):
        h = pd.to_datetime(r["end"]).dt.hour.to_numpy()
        c = np.bincount(h, minlength=24).astype(float)
        rows.append(pd.DataFrame({"unit": unit, "hour": np.arange(24), "share": c / c.sum(), "n": len(r)}))
    cols = ["unit", "hour", "share", "n"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def fits_table(cal: Calibration) -> pd.DataFrame:
    """One row per fitted stay (unit, class): the chosen law and the evidence behind it."""
    rows = []
    items = [(u, None, e) for u, e in cal.stays.units_.items()] + [
        (u, c, e) for (u, c), e in cal.stays.classes_.items()
    ]
    for unit, pclass, est in items:
        b = est.best
        a0 = b.aic if b is not None else math.nan
        rows.append(
            {
                "unit": unit,
                "class": pclass or "(all)",
                "n": est.n,
                "censored_share": est.n_censored / max(est.n, 1),
                "interval_censored": est.n_interval,
                "chosen": est.chosen,
                "mean_h": est.mean_h,
                "mean_se_h": b.mean_se_h if b is not None and est.chosen != "empirical" else math.nan,
                "cv": b.cv if b is not None and est.chosen != "empirical" else math.nan,
                "km_mean_h": est.km_mean_h,
                "D": est.ks_d,
                "p": est.ks_p,
                "p_upper": est.ks_p_upper,
                "p_test": est.ks_test,
                "p_at_floor": est.ks_p_at_floor,
                "acceptable": est.acceptable,
                "aic_ranking": ", ".join(
                    f"{f.family} (ΔAIC {f.aic - a0:.1f}, w {f.aic_weight:.2f})" for f in est.fits.values()
                ),
                "note": est.note,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- charts
def survival_chart(curves: pd.DataFrame, columns: int = 3) -> alt.FacetChart | None:
    if not len(curves):
        return None
    return (
        alt.Chart(curves)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("hours:Q", title="hours in the unit"),
            y=alt.Y("survival:Q", title="share still in the unit", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=["observed (Kaplan-Meier)", "fitted"], range=[_OBS, _FIT]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash("curve:N", legend=None),
            tooltip=["unit", "curve", alt.Tooltip("hours:Q", format=".1f"), alt.Tooltip("survival:Q", format=".3f")],
        )
        .properties(width=260, height=170)
        .facet(facet=alt.Facet("unit:N", title=None), columns=columns)
        .resolve_scale(x="independent")
    )


def histogram_chart(hist: pd.DataFrame, columns: int = 3) -> alt.FacetChart | None:
    if not len(hist):
        return None
    base = alt.Chart(hist)
    bars = base.mark_rect(color=_OBS, opacity=0.55).encode(
        x=alt.X("lo_h:Q", title="stay (hours)"),
        x2="hi_h:Q",
        y=alt.Y("observed:Q", title="density (per hour)"),
        y2=alt.datum(0),
        tooltip=[
            "unit",
            alt.Tooltip("lo_h:Q", format=".1f"),
            alt.Tooltip("hi_h:Q", format=".1f"),
            alt.Tooltip("observed:Q", format=".4f"),
            alt.Tooltip("fitted:Q", format=".4f"),
        ],
    )
    line = (
        base.transform_calculate(mid="(datum.lo_h + datum.hi_h) / 2")
        .mark_line(color=_FIT, strokeWidth=2)
        .encode(x="mid:Q", y="fitted:Q")
    )
    return (
        alt.layer(bars, line)
        .properties(width=260, height=160)
        .facet(facet=alt.Facet("unit:N", title=None), columns=columns)
        .resolve_scale(x="independent", y="independent")
    )


def arrivals_chart(df: pd.DataFrame) -> alt.LayerChart | None:
    if not len(df):
        return None
    ticks = list(range(0, 169, 24))
    axis = alt.Axis(
        values=ticks,
        labelExpr="['Mon','Tue','Wed','Thu','Fri','Sat','Sun',''][floor(datum.value / 24)]",
        title="hour of the week (labels at midnight)",
    )
    obs = (
        alt.Chart(df[df["what"] == "observed"])
        .mark_bar(color=_OBS, opacity=0.5)
        .encode(
            x=alt.X("hour_of_week:Q", axis=axis, scale=alt.Scale(domain=[0, 168])),
            y=alt.Y("per_hour:Q", title="external arrivals per hour"),
            tooltip=["hour_of_week", alt.Tooltip("per_hour:Q", format=".2f")],
        )
    )
    fit = (
        alt.Chart(df[df["what"] == "fitted"])
        .mark_line(color=_FIT, strokeWidth=2, interpolate="step-after")
        .encode(x="hour_of_week:Q", y="per_hour:Q")
    )
    return alt.layer(obs, fit).properties(width=900, height=220)


def route_chart(nodes: pd.DataFrame, edges: pd.DataFrame) -> alt.LayerChart | None:
    if not len(nodes):
        return None
    scale_x = alt.Scale(domain=[-0.12, 1.12])
    scale_y = alt.Scale(domain=[-0.12, 1.12])
    ax = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    layers = []
    if len(edges):
        e = alt.Chart(edges)
        layers.append(
            e.mark_rule(color="#495057").encode(
                x=alt.X("x:Q", scale=scale_x, axis=ax),
                y=alt.Y("y:Q", scale=scale_y, axis=ax),
                x2="x2:Q",
                y2="y2:Q",
                strokeWidth=alt.StrokeWidth("p:Q", scale=alt.Scale(domain=[0, 1], range=[0.8, 6]), legend=None),
                strokeDash=alt.condition("datum.rare", alt.value([4, 3]), alt.value([1, 0])),
                tooltip=["source", "target", "count", alt.Tooltip("p:Q", format=".3f"), "rare"],
            )
        )
        layers.append(
            e.mark_point(shape="triangle-up", filled=True, size=90, color="#495057").encode(
                x=alt.X("x2:Q", scale=scale_x, axis=ax),
                y=alt.Y("y2:Q", scale=scale_y, axis=ax),
                angle=alt.Angle("angle:Q", scale=None),
            )
        )
        layers.append(
            e.mark_text(fontSize=11, color="#862e9c", dy=-6).encode(
                x=alt.X("lx:Q", scale=scale_x, axis=ax),
                y=alt.Y("ly:Q", scale=scale_y, axis=ax),
                text="label:N",
            )
        )
    n = alt.Chart(nodes)
    layers.append(
        n.mark_circle(color=_OBS, opacity=0.9).encode(
            x=alt.X("x:Q", scale=scale_x, axis=ax),
            y=alt.Y("y:Q", scale=scale_y, axis=ax),
            size=alt.Size("stays:Q", scale=alt.Scale(range=[400, 2200]), legend=None),
            tooltip=["node", "stays"],
        )
    )
    layers.append(
        n.mark_text(fontSize=12, fontWeight="bold", color="#212529", dy=-24).encode(
            x=alt.X("x:Q", scale=scale_x, axis=ax),
            y=alt.Y("y:Q", scale=scale_y, axis=ax),
            text="node:N",
        )
    )
    return alt.layer(*layers).properties(width=640, height=520)


def discharge_chart(df: pd.DataFrame, columns: int = 3) -> alt.FacetChart | None:
    if not len(df):
        return None
    return (
        alt.Chart(df)
        .mark_bar(color=_OBS)
        .encode(
            x=alt.X("hour:O", title="clock hour of leaving the hospital"),
            y=alt.Y("share:Q", title="share of discharges", axis=alt.Axis(format="%")),
            tooltip=["unit", "hour", alt.Tooltip("share:Q", format=".1%"), "n"],
        )
        .properties(width=260, height=150)
        .facet(facet=alt.Facet("unit:N", title=None), columns=columns)
    )


def backtest_chart(daily: pd.DataFrame, columns: int = 2) -> alt.FacetChart | None:
    """Daily occupancy per unit: the simulated 90% band and mean, the observed days as points (red outside)."""
    if not len(daily):
        return None
    base = alt.Chart(daily)
    band = base.mark_area(color=_FIT, opacity=0.25).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("sim_p05:Q", title="mean patients in the unit that day"),
        y2="sim_p95:Q",
    )
    mean = base.mark_line(color=_FIT, strokeWidth=1.5).encode(x="date:T", y="sim_mean:Q")
    pts = base.mark_circle(size=28, opacity=0.9).encode(
        x="date:T",
        y="observed:Q",
        color=alt.Color(
            "inside:N",
            title="observed day",
            scale=alt.Scale(domain=[True, False], range=[_OBS, "#c92a2a"]),
            legend=alt.Legend(orient="top", labelExpr="datum.value ? 'inside the band' : 'outside the band'"),
        ),
        tooltip=[
            alt.Tooltip("date:T"),
            "unit",
            alt.Tooltip("observed:Q", format=".2f"),
            alt.Tooltip("sim_mean:Q", format=".2f"),
            alt.Tooltip("sim_p05:Q", format=".2f"),
            alt.Tooltip("sim_p95:Q", format=".2f"),
        ],
    )
    return (
        alt.layer(band, mean, pts)
        .properties(width=520, height=210)
        .facet(facet=alt.Facet("unit:N", title=None), columns=columns)
        .resolve_scale(y="independent")
    )


# --------------------------------------------------------------------------- the calibration page
def _num(x: float, fmt: str = ".1f") -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def _p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return f"{p:.2g}" if p >= 1e-4 else "&lt;1e-4"


def build_calibration_report(
    cal: Calibration,
    reads: Sequence[AdtRead],
    dates: DatesCheck,
    *,
    scenario_text: str | None = None,
    title: str | None = None,
) -> str:
    """The report as HTML text (see the module docstring)."""
    page = Page()
    title = title or f"Calibration: {cal.name}"
    _calibration_header(page, cal, reads, dates, title)
    _read_section(page, cal, reads)
    _stays_section(page, cal)
    _fits_section(page, cal)
    _arrivals_section(page, cal, dates)
    _routes_section(page, cal)
    _discharge_section(page, cal, dates)
    _pathways_section(page, cal)
    _outliers_section(page, cal)
    _patience_section(page, cal)
    _beds_section(page, cal, dates)
    _provenance_section(page, cal, reads, dates, scenario_text)
    page.add(
        f"<footer>hospital_twin {escape(__version__)} · calibration report · charts drawn offline with "
        "Vega-Lite (JavaScript embedded in this file).</footer></main>"
    )
    return page.document(f"{title} · hospital_twin")


def _calibration_header(page: Page, cal: Calibration, reads: Sequence[AdtRead], dates: DatesCheck, title: str) -> None:
    """Title band (logs, period, counts), contents, what the dates allow, and the data's attribution."""
    lo, hi = cal.period
    page.add(
        f'<header class="top"><div class="inner"><h1>{escape(title)}</h1>'
        f"<p>{escape(', '.join(r.source for r in reads) or ', '.join(cal.source))}</p>"
        f"<p>log period {lo:%Y-%m-%d} to {hi:%Y-%m-%d} · {cal.counts['stays']} stays, "
        f"{cal.counts['encounters']} encounters, {cal.counts['patients']} patients · "
        f"hospital_twin {escape(__version__)}</p></div></header><main>"
    )
    page.add(
        '<nav class="toc"><a href="#read">What was read</a><a href="#stays">Stays</a><a href="#fits">Fits</a>'
        '<a href="#arrivals">Arrivals</a><a href="#routes">Routes</a><a href="#discharge">Discharges</a>'
        '<a href="#beds">Beds</a><a href="#provenance">Provenance</a></nav>'
    )
    if dates.shifted:
        page.add(
            '<div class="callout">'
            + escape(dates.sentence())
            + "<ul><li>Stay lengths, routes and (where the source keeps it) the clock hour are real and fitted "
            "below.</li><li>Occupancy, peak concurrency, beds and arrivals per day are <b>not</b> estimated: the "
            "scenario uses stated defaults (beds from a capacity table or a default; arrival rates set so the "
            "busiest unit's offered load is 0.85 of its beds), flagged in its provenance comments.</li></ul>"
            "</div>"
        )
    else:
        page.add(f'<p class="note">{escape(dates.sentence())}</p>')
    grade = fit_quality(cal)
    page.add(
        f'<div class="callout" id="quality"><b>{escape(grade.sentence())}</b>'
        + "".join(f"<br>{escape(p.part)}: {escape(p.level)}, {escape(p.why)}" for p in grade.parts)
        + "</div>"
    )
    for a in attribution(reads):
        page.add(f'<p class="note">Source data: {escape(a)}</p>')


def _read_section(page: Page, cal: Calibration, reads: Sequence[AdtRead]) -> None:
    """Rows read per log (``read = used + rejected + ignored + set aside``: rows of replications or scenarios
    not chosen), rows not used by reason, stays merged or open."""
    page.add('<section id="read"><h2>What was read</h2>')
    rows = []
    for r in reads:
        rows.append(
            [
                escape(r.source),
                escape(r.source_format),
                str(r.read),
                str(r.used),
                str(r.rejected),
                str(r.ignored),
                str(r.set_aside) + "".join(f" (other than {k} {v})" for k, v in r.selection.items()),
                "yes" if r.read == r.used + r.rejected + r.ignored + r.set_aside else "NO",
            ]
        )
    page.add(
        table(
            [
                "log",
                "format",
                "rows read",
                "used",
                "rejected",
                "ignored",
                "set aside",
                "read = used + rejected + ignored + set aside",
            ],
            rows,
        )
    )
    reasons = [[escape(r.source), escape(k), str(n)] for r in reads for k, n in r.summary()["reasons"].items()]
    if reasons:
        page.add("<h3>Rows not used, by reason</h3>" + table(["log", "kind: reason", "rows"], reasons))
    c = cal.counts
    page.add(
        f'<p class="note">Fitting: {c["rows_merged_self_loops"]} stays merged into the previous one (the same '
        f"unit twice in a row is a bed move, not a transfer); {c['open_stays']} stays open at the end of the log "
        "(right-censored in every fit).</p></section>"
    )


def _stays_section(page: Page, cal: Calibration) -> None:
    """Observed against fitted stays per unit: survival curves and density histograms."""
    page.add('<section id="stays"><h2>Length of stay per unit: observed against fitted</h2>')
    page.chart(
        "survival",
        survival_chart(stay_curves(cal)),
        "Share of patients still in the unit after a given time: Kaplan-Meier of the observed stays (open stays "
        "censored) as a step line, the fitted law dashed. For a unit with a discharge-hour rule, the observed "
        "curve is the time until ready (exits at the middle of their 24-hour interval), which is what is "
        "fitted.",
    )
    page.chart(
        "histogram",
        histogram_chart(stay_histogram(cal)),
        "Completed stays as a density histogram (bars) with the fitted density (line); the x axis stops at the "
        "97.5th percentile. Open stays are not in the histogram (they are in the survival curves).",
    )
    page.add("</section>")


def _fits_section(page: Page, cal: Calibration) -> None:
    """The table of fits with their evidence, and whether a patient class needs its own stay."""
    page.add(
        '<section id="fits"><h2>Fits and their evidence</h2><p class="note">Censored maximum likelihood per '
        "family, ranked by AIC (ΔAIC from the best, Akaike weight w). D is the largest gap between the fitted CDF "
        "and the Kaplan-Meier estimate. Its p-value is a parametric bootstrap with B resamples (the column "
        "'p test' says how many, of how many stays): stays drawn from the fitted law, censored as the log "
        "censors them, refitted the same way, their D compared with the observed one (on the sqrt(n) scale when "
        "the resamples are capped at fewer stays than the unit has); '≤ 1/(B+1)' means no resample reached the "
        "observed D. The Kolmogorov p-value is shown as an upper "
        "bound: it ignores that the parameters were estimated from the same stays, so it is too high. For a unit "
        "with a discharge rule, D compares observed stays with stays simulated under the rule and p is that "
        "comparison's Kolmogorov p-value, an upper bound (not bootstrapped). A fit is used when p ≥ 0.01, or "
        "D ≤ 0.02 with the mean within 5% of the Kaplan-Meier mean; otherwise the stay is the empirical "
        "Kaplan-Meier quantiles.</p>"
    )
    ft = fits_table(cal)
    rows = [
        [
            escape(r.unit),
            escape(r["class"]),
            str(r.n),
            f"{r.censored_share:.0%}",
            str(r.interval_censored),
            f"<b>{escape(r.chosen)}</b>",
            f"{_num(r.mean_h)} ± {_num(r.mean_se_h)}",
            _num(r.cv, ".2f"),
            _num(r.km_mean_h),
            _num(r.D, ".3f"),
            ("≤ " if r.p_at_floor else "") + _p(r.p),
            _p(r.p_upper),
            escape(r.p_test),
            "yes" if r.acceptable else "<b>no</b>",
            escape(r.aic_ranking),
            escape(r.note),
        ]
        for _, r in ft.iterrows()
    ]
    page.add(
        table(
            [
                "unit",
                "class",
                "n",
                "censored",
                "interval",
                "used",
                "mean h ± se",
                "cv",
                "KM mean h",
                "D",
                "p",
                "Kolmogorov p (upper bound)",
                "p test",
                "fit ok",
                "AIC ranking",
                "note",
            ],
            rows,
        )
    )
    ct = cal.stays.class_tests_
    if len(ct):
        page.add(
            "<h3>Does a patient class need its own stay?</h3>"
            + table(
                ["unit", "class", "n", "log-rank p", "KM distance", "own stay"],
                [
                    [
                        escape(r.unit),
                        escape(r.patient_class),
                        str(r.n),
                        _p(r.logrank_p),
                        f"{r.km_distance:.3f}",
                        "yes" if r.own_stay else "no",
                    ]
                    for r in ct.itertuples(index=False)
                ],
            )
        )
    page.add("</section>")


def _arrivals_section(page: Page, cal: Calibration, dates: DatesCheck) -> None:
    """Arrivals by hour of the week, observed against fitted (not with shifted dates), and the streams."""
    page.add('<section id="arrivals"><h2>Arrivals</h2>')
    if dates.shifted:
        page.add(
            '<p class="note">Not shown as rates: with dates shifted per patient, arrivals per day and per hour of '
            "the week cannot be measured. The streams below keep their shares of arrivals only.</p>"
        )
    else:
        page.chart(
            "arrivals",
            arrivals_chart(arrivals_hour_of_week(cal)),
            "External arrivals (first stay of each encounter) per hour of the week: observed mean over the "
            "log's complete days (bars) and the fitted scenario's rate (line).",
        )
    rows = []
    for s in cal.arrivals.streams_:
        rate = f"{s.per_day:.2f} ± {s.per_day_se:.2f}" if math.isfinite(s.per_day) else f"share {s.share:.1%}"
        rows.append(
            [
                escape(s.name),
                str(s.n),
                rate,
                f"{_p(s.hour_p)} {'kept' if s.hour_kept else ''}",
                f"{_p(s.dow_p)} {'kept' if s.dow_kept else ''}",
                f"{_p(s.month_p)} {'kept' if s.month_kept else ''}",
                "–" if dates.shifted else _num(s.dispersion, ".2f"),
            ]
        )
    page.add(table(["stream", "n", "per day ± se", "hour-of-day p", "weekday p", "month p", "dispersion"], rows))
    page.add("</section>")


def _routes_section(page: Page, cal: Calibration) -> None:
    """The route graph, its transitions, and the rare routes folded into a unit's largest."""
    page.add('<section id="routes"><h2>Routes between units</h2>')
    nodes, edges = route_layout(cal)
    page.chart(
        "routes",
        route_chart(nodes, edges),
        "Transitions between consecutive stays of an encounter (open last stays are censored and not counted). "
        "Edge labels: probability of the move out of the unit and its count; thicker = more likely; dashed and "
        "unlabelled = rare (fewer than 5; hover for the numbers, or see the table). Node size: stays in the "
        "unit. Layout by networkx (Kamada-Kawai, or a circle for more than five units).",
    )
    tr = cal.routes.transitions_
    page.add(
        table(
            ["from", "to", "count", "p", "rare"],
            [
                [escape(r[0]), escape(r[1]), str(r[2]), f"{r[3]:.3f}", "RARE" if r[4] else ""]
                for r in tr.itertuples(index=False)
            ],
        )
    )
    cal.routes.scenario_routes()
    if cal.routes.folded_:
        page.add(
            '<p class="note">Folded into the unit\'s largest route in the scenario: '
            + "; ".join(
                f"{escape(u)} → {escape(d)} (p={p:.4f}) into {escape(u)} → {escape(into)}"
                for _, u, d, into, p in cal.routes.folded_
            )
            + "</p>"
        )
    page.add("</section>")


def _discharge_section(page: Page, cal: Calibration, dates: DatesCheck) -> None:
    """Discharges by clock hour, by weekday (real dates only), and which units have a discharge-hour rule."""
    page.add('<section id="discharge"><h2>Discharges</h2>')
    dis = cal.discharge
    page.chart(
        "discharge",
        discharge_chart(discharge_profile(cal)),
        "Clock hour at which patients left the hospital, per unit they left from.",
    )
    if not dates.shifted:
        wd = dis.weekday_profile_
        page.add(
            "<p>Discharges per weekday (relative, mean 1): "
            + ", ".join(f"{d} {w:.2f}" for d, w in zip(_DAYS, wd, strict=True))
            + f"; weekend rate {_num(dis.weekend_rate_, '.2f')} of Tuesday–Friday.</p>"
        )
    page.add(
        table(
            ["unit", "leavers", "TV vs independence", "p", "discharge-hour rule"],
            [
                [escape(r.unit), str(r.n), _num(r.tv, ".3f"), _p(r.p), "yes" if r.rule else ""]
                for r in dis.tests_.itertuples(index=False)
            ],
        )
    )
    weekday = getattr(dis, "weekday_tests_", {})
    if weekday:
        page.add(
            "<p>Leavers by weekday of the units with a rule, against the shares their weekend rate gives (patients "
            "ready uniformly over the week); seven <code>day_of_week</code> weights replace the weekend rate only "
            "when the difference is significant (quasi-Poisson G-test, p &lt; 0.01, and TV &ge; 0.02).</p>"
        )
        rows = []
        for u, w in weekday.items():
            rows.append(
                [
                    escape(u),
                    " ".join(f"{x:.1%}" for x in w["shares"]),
                    " ".join(f"{x:.1%}" for x in w["rule_shares"]),
                    _num(w["dispersion"], ".2f"),
                    _p(w["p"]),
                    _num(w["tv"], ".3f"),
                    ("day_of_week " + escape(str(w["day_of_week"]))) if w["kept"] else "weekend rate",
                ]
            )
        page.add(table(["unit", "shares Mon..Sun", "weekend-rate shares", "dispersion", "p", "TV", "kept"], rows))
    page.add("</section>")


def pathway_shares_table(cal: Calibration) -> pd.DataFrame:
    """``unit, pathway, n, leavers, share, ci_low, ci_high``: the fitted pathway shares (P0 the rest)."""
    return cal.pathways.shares_.copy()


def pathways_table(cal: Calibration) -> pd.DataFrame:
    """One row per fitted pathway: patients, NCTR delay (mean, p90, fitted form), capacity as written."""
    rows = []
    for name, e in cal.pathways.pathways_.items():
        if e.kind == "daily":
            capacity = (
                f"daily at {e.start_hour:g} h; starts Mon..Sun {' '.join(f'{x:g}' for x in e.starts_by_weekday or [])}"
            )
            check = f"replayed mean delay {e.replay_delay_mean_h:.1f} h"
        else:
            capacity = f"no queue, delay as assessment; equivalent starts_per_day {e.starts_per_day:.2f}"
            check = f"{e.batched_share:.0%} of starts in the busiest hour"
        rows.append(
            {
                "pathway": name,
                "labels": ", ".join(e.labels),
                "patients": e.n,
                "still waiting": e.n_open,
                "ready per day": round(e.rate_per_day, 3),
                "delay mean h": round(e.delay_mean_h, 1),
                "delay p90 h": round(e.delay_p90_h, 1),
                "delay form": e.delay_family or "-",
                "NCTR seen": round(e.nctr_mean, 2),
                "capacity written": capacity,
                "check": check,
            }
        )
    return pd.DataFrame(rows)


def _pathways_section(page: Page, cal: Calibration) -> None:
    """Discharge pathways: labels, shares by unit, delays and capacity, and the NCTR-per-bed check."""
    fit = cal.pathways
    if not fit.fitted and not fit.notes_ and cal.nctr is None:
        return
    page.add('<section id="pathways"><h2>Discharge pathways and delayed discharges (NCTR)</h2>')
    for note in fit.notes_:
        page.add(f'<p class="note">{escape(note)}</p>')
    if fit.fitted:
        page.add(
            "<p>A patient is on a pathway when the last stay of its spell carries a pathway label in "
            "<code>discharge_destination</code> (P1..P3 in any spelling, or a label mapped with "
            "<code>--pathway-label</code>) and a <code>ready_to_leave</code> time. Its stay is fitted up to "
            "<code>ready_to_leave</code>; the rest, until it leaves, is its NCTR delay. A pathway whose starts fall "
            "mostly in one clock hour is daily: its starts per weekday are the mean starts on the days with a "
            "queue (on days without one the starts are only a lower bound of the capacity). Other pathways (a "
            "pool, whose places and stay a hospital log does not show) are written without a queue, with the "
            "delay as their assessment.</p>"
        )
        page.add(
            "<p>Destination labels: "
            + escape(", ".join(f"'{r.label}' → {r.pathway} ({r.n})" for r in fit.labels_.itertuples(index=False)))
            + "</p>"
        )
        shares = [
            [
                escape(r.unit),
                escape(r.pathway),
                f"{r.n} / {r.leavers}",
                f"{r.share:.3f}",
                f"{r.ci_low:.3f}–{r.ci_high:.3f}",
            ]
            for r in fit.shares_.itertuples(index=False)
        ]
        page.add(table(["unit (last of the spell)", "pathway", "patients / leavers", "share", "95% (Wilson)"], shares))
        pw = pathways_table(cal)
        page.add(table(list(pw.columns), [[escape(str(v)) for v in r] for r in pw.itertuples(index=False)]))
    if cal.nctr is not None:
        page.add(f"<p><strong>NCTR per bed.</strong> {escape(cal.nctr.sentence())}</p>")
    page.add("</section>")


def _outliers_section(page: Page, cal: Calibration) -> None:
    """Outlying per home unit (logs with home_unit): hosts, share, stay factor, wait, repatriation, caps."""
    fit = cal.outliers
    if not fit.units_:
        return
    page.add('<section id="outliers"><h2>Outliers</h2>')
    page.add(
        "<p>Stays marked with a <code>home_unit</code> are outliers: fitted in their home unit (its stay from "
        "the patients who never outlied); the stay factor is the host stay over the home stay (censored "
        "accelerated-failure-time likelihood; a move back home censors the host stay), written only when "
        "significant.</p>"
    )
    rows = []
    for u, e in fit.units_.items():
        rows.append(
            [
                escape(u),
                f"{e.placements} / {e.admissions} ({e.share:.1%})",
                escape(", ".join(f"{h} {n}" for h, n in e.host_counts.items())),
                f"{_num(e.factor, '.3f')} ({_num(e.factor_lo, '.3f')}–{_num(e.factor_hi, '.3f')}), p {_p(e.factor_p)}"
                f" → {e.stay_factor:g}",
                f"p05 {_num(e.wait_p05_h, '.2f')} h, median {_num(e.wait_median_h, '.2f')} h → {e.after_hours:g}",
                f"{e.repatriated} ({e.repatriated_while_waiting} while others waited) → {e.repatriate}",
            ]
        )
    page.add(
        table(
            ["home unit", "placements / admissions", "hosts (placements)", "stay factor (95%)", "wait", "repatriated"],
            rows,
        )
    )
    page.add(
        "<p>Most outliers at once per host (its <code>max_outliers</code>): "
        + ", ".join(f"{escape(h)} {n}" for h, n in fit.max_outliers_.items())
        + ".</p></section>"
    )


def _patience_section(page: Page, cal: Calibration) -> None:
    """Patients who left without being seen, and the patience fitted to them."""
    if not cal.patience:
        return
    page.add('<section id="left-unseen"><h2>Left without being seen</h2>')
    page.add(
        "<p>Patience counted from arrival: leavers are events, patients seen are censored at <code>seen_at</code> "
        "(exponential fit; the Kaplan-Meier median as a check). Their stays are not fitted as stays.</p>"
    )
    rows = [
        [
            escape(u),
            f"{p.n_left} + {p.n_left_queue}",
            f"{p.share:.1%}",
            f"{_num(p.mean_h, '.2f')} ({_num(p.mean_lo_h, '.2f')}–{_num(p.mean_hi_h, '.2f')})",
            f"{_num(p.exp_median_h, '.2f')} / {_num(p.km_median_h, '.2f')}",
            escape(p.note),
        ]
        for u, p in cal.patience.items()
    ]
    page.add(
        table(
            [
                "unit",
                "left from a cubicle + before one",
                "share",
                "mean patience h (95%)",
                "median h: exp / KM",
                "note",
            ],
            rows,
        )
    )
    page.add("</section>")


def _beds_section(page: Page, cal: Calibration, dates: DatesCheck) -> None:
    """Beds per unit and how they were found (given, estimated, defaulted), with the occupancy behind them."""
    page.add('<section id="beds"><h2>Beds</h2>')
    occ = cal.capacity.occupancy_
    occ_by = occ.set_index("unit") if occ is not None else None
    rows = []
    for u, b in cal.capacity.beds_.items():
        how = cal.capacity.method_[u]
        label = {"given": "from the capacity table", "DEFAULT": "<b>DEFAULT, not from data</b>"}.get(
            how, f"<b>ESTIMATED</b> ({escape(how)} of concurrent occupancy; a lower bound if never full)"
        )
        o = occ_by.loc[u] if occ_by is not None and u in occ_by.index else None
        rows.append(
            [escape(u), str(b), label]
            + ([_num(o["mean"]), _num(o["p95"], "g"), str(int(o["peak"]))] if o is not None else ["–"] * 3)
        )
    page.add(table(["unit", "beds", "how", "mean occupancy", "p95", "peak"], rows))
    if dates.shifted:
        page.add(
            '<p class="note">Occupancy is not shown: concurrency means nothing with dates shifted per patient.</p>'
        )
    page.add("</section>")


def _provenance_section(
    page: Page, cal: Calibration, reads: Sequence[AdtRead], dates: DatesCheck, scenario_text: str | None
) -> None:
    """The scenario's provenance comments and, when given, the scenario itself."""
    page.add('<section id="provenance"><h2>Provenance</h2>')
    head = reading_comments(reads, dates) + [
        x[2:] if x.startswith("# ") else x.lstrip("#") for x in cal.provenance_comments()
    ]
    page.add(
        "<details><summary>The scenario's provenance comments</summary><pre>"
        + escape("\n".join(head))
        + "</pre></details>"
    )
    if scenario_text is not None:
        page.add("<details><summary>The scenario (YAML)</summary><pre>" + escape(scenario_text) + "</pre></details>")
    page.add("</section>")


def write_calibration_report(
    path: str | Path, cal: Calibration, reads: Sequence[AdtRead], dates: DatesCheck, **kw
) -> Path:
    """Build the report and write it atomically; returns the path."""
    return write_text_atomic(path, build_calibration_report(cal, reads, dates, **kw))


# --------------------------------------------------------------------------- the back-test page
def build_backtest_report(bt, source: str = "") -> str:
    """The back-test as HTML text: occupancy bands, stays, throughput, the calibration it used."""
    page = Page()
    cal = bt.calibration
    title = "Back-test of a calibration"
    page.add(
        f'<header class="top"><div class="inner"><h1>{escape(title)}</h1><p>{escape(source)}</p>'
        f"<p>trained on stays before {bt.train_until:%Y-%m-%d %H:%M} · tested {bt.train_until:%Y-%m-%d} to "
        f"{bt.test_end:%Y-%m-%d} · {bt.replications} warm-started replications · "
        f"hospital_twin {escape(__version__)}</p></div></header><main>"
    )
    tc = bt.train_counts
    page.add(
        f"<p>The scenario was calibrated on the {tc['training_stays']} stays that started before the cut "
        f"({tc['open_at_cut']} still open there, right-censored), then simulated over the test period starting "
        f"from the census at the cut ({tc['snapshot_patients']} patients in their beds, each with the residual "
        "of its unit's fitted stay), taken from the training log alone, so no later fact (where a ready patient "
        "went, who got a bed later) leaks in. What happened in the test period was not used for fitting.</p>"
    )
    dropped = tc.get("snapshot_rows_unit_not_in_scenario", 0)
    reset = tc.get("snapshot_classes_not_in_scenario", 0)
    if dropped or reset:
        page.add(
            f'<p class="note">Of the census at the cut, {dropped} patients were in units the calibrated scenario '
            f"does not have (left out) and {reset} had a class it does not have (drawn from the unit's class mix)."
            "</p>"
        )
    page.add("<h2>Daily occupancy per unit</h2>")
    page.add(
        table(
            [
                "unit",
                "days",
                "observed mean",
                "simulated mean",
                "mean absolute error",
                "observed days inside the 90% band",
                "same, ties with the band's end counted by halves",
            ],
            [
                [
                    escape(r.unit),
                    str(r.days),
                    f"{r.observed_mean:.2f}",
                    f"{r.sim_mean:.2f}",
                    f"{r.occupancy_mae:.2f}",
                    f"{r.band_coverage:.0%}",
                    f"{r.band_coverage_pit:.0%}",
                ]
                for r in bt.summary.itertuples(index=False)
            ],
        )
    )
    page.add(
        '<p class="note">A unit full all day has the same daily mean in many replications; counting a tie with '
        "the band's end as inside flatters it, so the last column counts ties by halves (mid-PIT within "
        "5%–95%).</p>"
    )
    page.chart(
        "backtest-daily",
        backtest_chart(bt.daily),
        "Band: 5th to 95th percentile of the simulated daily mean census over replications; line: simulated "
        "mean; points: what happened (red when outside the band). A well-calibrated model has about 90% of "
        "days inside; neighbouring days are correlated, so over a few weeks the share varies a lot.",
    )
    page.add("<h2>Length of stay in the test period</h2>")
    page.add(
        table(
            [
                "unit",
                "observed stays",
                "simulated stays",
                "KS distance D",
                "1% critical value",
                "observed KM mean h",
                "simulated KM mean h",
            ],
            [
                [
                    escape(r.unit),
                    str(r.n_observed),
                    str(r.n_simulated),
                    _num(r.ks_d, ".3f"),
                    _num(r.ks_d_crit_01, ".3f"),
                    _num(r.observed_km_mean_h),
                    _num(r.simulated_km_mean_h),
                ]
                for r in bt.stays.itertuples(index=False)
            ],
        )
    )
    page.add(
        '<p class="note">D is the largest gap between the Kaplan-Meier curves of the stays that started in the '
        "test period (open ones censored at the log's end) and of stays simulated from the calibrated scenario. "
        "Means are areas under the curves up to the shorter of the two longest stays.</p>"
    )
    page.add("<h2>Throughput</h2>")
    page.add(
        table(
            ["unit", "measure", "observed", "simulated mean", "simulated 90% interval", "inside"],
            [
                [
                    escape(r.unit),
                    escape(r.metric),
                    str(r.observed),
                    f"{r.sim_mean:.1f}",
                    f"{r.sim_p05:.0f} – {r.sim_p95:.0f}",
                    "yes" if r.inside else "<b>no</b>",
                ]
                for r in bt.throughput.itertuples(index=False)
            ],
        )
    )
    page.add(
        "<h2>The calibration used</h2><details><summary>Provenance comments of the trained scenario</summary><pre>"
        + escape("\n".join(x[2:] if x.startswith("# ") else x.lstrip("#") for x in cal.provenance_comments()))
        + "</pre></details>"
    )
    page.add(
        f"<footer>hospital_twin {escape(__version__)} · back-test report · charts drawn offline with Vega-Lite."
        "</footer></main>"
    )
    return page.document(f"{title} · hospital_twin")
