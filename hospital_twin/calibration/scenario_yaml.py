"""The calibrated scenario: as a dict in the scenario language, and as YAML text with its provenance on top.

Owns turning a :class:`~hospital_twin.calibration.fit.Calibration` into a scenario:

* :func:`scenario_dict`: the scenario as a dict that ``Scenario.model_validate`` accepts and
  that runs as is (start on the first Monday of the log, warm-up from the longest stay,
  units with their beds and discharge rules, arrival streams and elective lists, routes,
  stays, class-specific routes and stays). With dates shifted per patient, arrival rates
  cannot be measured: :func:`rates_per_day` scales the streams' shares so that the busiest
  unit's offered load is :data:`TARGET_LOAD` of its beds.
* :func:`provenance_comments`: the fit evidence as comment lines (period, row counts, per
  parameter: family, AIC ranking, distance D with its parametric-bootstrap p-value (B
  resamples, re-estimating the parameters in each) and the Kolmogorov p-value as an upper
  bound, n, censored share; rare routes; how beds were set).
* :func:`reading_comments` and :func:`attribution`: where every number came from: the source
  file(s) with their SHA-256, how the rows were accounted for (``read = used + rejected +
  ignored``, with the reasons), whether the dates are real
  (:mod:`hospital_twin.calibration.dates`), the licence attribution a source asks for.
* :func:`commented_yaml` and :func:`scenario_yaml`: the YAML text. The body is the scenario
  exactly as :func:`hospital_twin.scenario.io.dump_scenario` writes it, so it loads back
  equal; this module parses and dumps no YAML itself (that stays in ``scenario/io``).

Must not fit anything (it reads the fitted objects' attributes) nor import the fitting
modules' :class:`Calibration` at run time (only for type checking: ``fit`` imports this
module). Pure: objects in, dicts and text out (the command writes the file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hospital_twin._version import __version__
from hospital_twin.calibration.adt import AdtRead
from hospital_twin.calibration.dates import DatesCheck
from hospital_twin.calibration.families import _sig
from hospital_twin.calibration.fit_arrivals import POOLED_SOURCE, ArrivalStream
from hospital_twin.calibration.fit_stays import StayEstimate
from hospital_twin.calibration.significance import ALPHA
from hospital_twin.scenario.io import dump_scenario
from hospital_twin.scenario.schema import EXIT, DistributionSpec, Scenario

if TYPE_CHECKING:
    from hospital_twin.calibration.fit import Calibration

__all__ = [
    "KNOWN_SOURCES",
    "TARGET_LOAD",
    "attribution",
    "commented_yaml",
    "provenance_comments",
    "rates_per_day",
    "reading_comments",
    "scenario_dict",
    "scenario_yaml",
    "warmup_days",
]

TARGET_LOAD = 0.85
"""With shifted dates, arrival rates are set so that the busiest unit's offered load is this share of its beds."""

ED_NAME = re.compile(r"(^|[^a-z])(ed|a&e|ae|er)([^a-z]|$)|emergency", re.IGNORECASE)
ICU_NAME = re.compile(r"(^|[^a-z])(icu|itu|ccu|micu|sicu|cvicu|tsicu|nicu)([^a-z]|$)|intensive|critical", re.IGNORECASE)

MIMIC_DEMO_TRANSFERS_SHA256 = "41151539886d12d57159b65ffe4d7df5a7ef8ceb7cd113ea9a56fbfbfd78a87c"
SEPSIS_XES_SHA256 = "709c52340306415952811b9b9c5dc6bcc8f8d47d583eba39df9a538459dc543a"

#: Attribution owed to public logs, by the SHA-256 of the file read (as their licences ask).
KNOWN_SOURCES: dict[str, str] = {
    MIMIC_DEMO_TRANSFERS_SHA256: (
        "MIMIC-IV Clinical Database Demo v2.2 (Johnson A., Bulgarelli L., Pollard T., Horng S., Celi L.A., "
        "Mark R., PhysioNet 2023, https://physionet.org/content/mimic-iv-demo/2.2/), Open Data Commons Open "
        "Database License v1.0; parameters derived from it are shared under the same licence."
    ),
    SEPSIS_XES_SHA256: (
        "Sepsis Cases - Event Log, Felix Mannhardt, Eindhoven University of Technology, 2016, 4TU.ResearchData, "
        "DOI 10.4121/uuid:915d2bfb-7e84-49ad-a286-dc35f063a460, CC BY 4.0."
    ),
}


# =========================================================================== the scenario as a dict
def scenario_start(cal: Calibration) -> pd.Timestamp:
    """The first Monday midnight of the log (a fixed Monday when dates are shifted)."""
    if cal.dates_shifted:
        return pd.Timestamp("2025-01-06")
    t0 = cal.period[0].floor("D")
    return t0 + pd.Timedelta(days=(7 - t0.weekday()) % 7)


def los_specs(cal: Calibration) -> tuple[dict[str, dict], dict[str, dict[str, dict]]]:
    """(unit -> stay spec, class -> unit -> stay spec) of the fitted stays."""
    unit_los = {u: est.spec for u, est in cal.stays.units_.items()}
    class_los: dict[str, dict[str, dict]] = {}
    for (u, c), est in cal.stays.classes_.items():
        class_los.setdefault(c, {})[u] = est.spec
    return unit_los, class_los


def unit_kind(unit: str) -> str:
    """``ed``, ``icu`` or ``ward``, from the unit's name."""
    if ED_NAME.search(unit):
        return "ed"
    if ICU_NAME.search(unit):
        return "icu"
    return "ward"


def warmup_days(cal: Calibration) -> float:
    """Four times the longest mean stay, in whole weeks, at least one week."""
    means = [e.mean_h for e in list(cal.stays.units_.values()) + list(cal.stays.classes_.values())]
    longest = max([m for m in means if math.isfinite(m)] or [24.0]) / 24
    return float(max(7, 7 * math.ceil(4 * longest / 7)))


def scenario_dict(
    cal: Calibration, *, horizon_days: float = 364, replications: int = 10, seed: int = 0
) -> dict[str, Any]:
    """The calibrated scenario as a dict that ``Scenario.model_validate`` accepts and that runs as is."""
    start = scenario_start(cal)
    warmup = warmup_days(cal)
    end = start + pd.Timedelta(days=warmup + horizon_days)
    units = _units_section(cal)
    arrivals, electives = _arrivals_section(cal, start, end)
    shorthand, class_routes = cal.routes.scenario_routes()
    unit_los, class_los = los_specs(cal)
    data: dict[str, Any] = {
        "name": cal.name,
        "description": f"Calibrated from an ADT log ({', '.join(cal.source) or 'source not given'}), "
        f"{cal.period[0]:%Y-%m-%d} to {cal.period[1]:%Y-%m-%d}.",
        "start": start.to_pydatetime(),
        "horizon_days": float(horizon_days),
        "warmup_days": warmup,
        "replications": int(replications),
        "seed": int(seed),
        "units": units,
        "arrivals": arrivals,
    }
    if electives:
        data["electives"] = electives
    data["routes"] = shorthand
    data["length_of_stay"] = unit_los
    if class_routes or class_los:
        classes = sorted({st.patient_class for st in cal.arrivals.streams_} | set(class_routes) | set(class_los))
        data["patient_classes"] = {
            c: {k: v for k, v in (("routes", class_routes.get(c)), ("length_of_stay", class_los.get(c))) if v}
            for c in classes
        }
    pathways, shares = cal.pathways.scenario_sections()
    if pathways and shares:
        data["discharge_pathways"] = pathways
        data["pathway_shares"] = shares
    return data


def _units_section(cal: Calibration) -> dict[str, Any]:
    """``units``: beds (every unit queues when full), the kind from the name, the discharge-hour rule."""
    units: dict[str, Any] = {}
    for u, beds in cal.capacity.beds_.items():
        spec: dict[str, Any] = {"beds": int(beds), "when_full": "queue"}
        kind = unit_kind(u)
        if kind != "ward":
            spec["kind"] = kind
        if u in cal.discharge.rules_:
            spec["discharge"] = dict(cal.discharge.rules_[u])
        ed = cal.ed.units_.get(u)
        if ed is not None and ed.spec is not None:
            spec["kind"] = "ed"
            spec["ed"] = ed.spec
        out = cal.outliers.units_.get(u)
        if out is not None and all(h in cal.capacity.beds_ for h in out.hosts):
            spec["outlying"] = out.spec
        if u in cal.outliers.max_outliers_:
            spec["max_outliers"] = int(cal.outliers.max_outliers_[u])
        units[u] = spec
    return units


def _arrivals_section(
    cal: Calibration, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(``arrivals``, ``electives``): one arrival stream per fitted stream with its kept profiles, or an
    elective list for an elective stream with arrivals on some weekday."""
    arrivals: list[dict[str, Any]] = []
    electives: list[dict[str, Any]] = []
    rates = rates_per_day(cal)
    for st in cal.arrivals.streams_:
        if st.elective and st.per_weekday is not None and sum(st.per_weekday) > 0:
            electives.append(
                {
                    "name": st.name,
                    "unit": st.unit,
                    "per_weekday": st.per_weekday,
                    "hour": st.elective_hour,
                    "cancel_after_hours": st.cancel_after_hours,
                    "patient_class": st.patient_class,
                    "source": st.source or "elective",
                }
            )
            continue
        a: dict[str, Any] = {"name": st.name, "unit": st.unit, "per_day": _sig(rates[st.name])}
        if cal.has["patient_class"]:
            a["patient_class"] = st.patient_class
        if st.source is not None:
            a["source"] = st.source
        if st.hour_kept:
            a["hour_of_day"] = st.hour_weights
        if st.dow_kept:
            a["day_of_week"] = st.dow_weights
        if st.month_kept:
            a["multipliers"] = _month_multipliers(st.month_ratios, start, end)
        patience = cal.patience.get(st.unit)
        ed = cal.ed.units_.get(st.unit)
        if patience is not None and patience.spec is not None and ed is not None and ed.spec is not None:
            a["patience"] = patience.spec
        arrivals.append(a)
    return arrivals, electives


def rates_per_day(cal: Calibration) -> dict[str, float]:
    """Arrivals per day of each stream: measured, or with shifted dates set from the beds (see the module docstring)."""
    streams = cal.arrivals.streams_
    if not cal.dates_shifted:
        return {s.name: s.per_day for s in streams}
    # Rates cannot be measured: scale the streams' shares so that the busiest unit's offered load is
    # TARGET_LOAD of its beds (a load set on the beds pooled over units overloads the unit with the longest
    # stays and gridlocks the rest behind it).
    unit_los, class_los = los_specs(cal)
    shorthand, class_routes = cal.routes.scenario_routes()
    load_per_rate: dict[str, float] = {}
    for st in streams:
        routes = {**shorthand, **class_routes.get(st.patient_class, {})}
        visits = _expected_visits(st.unit, routes)
        for u, v in visits.items():
            spec = class_los.get(st.patient_class, {}).get(u) or unit_los.get(u)
            load_per_rate[u] = load_per_rate.get(u, 0.0) + st.share * v * _spec_mean_h(spec) / 24.0
    ratios = [
        TARGET_LOAD * cal.capacity.beds_[u] / x for u, x in load_per_rate.items() if x > 0 and u in cal.capacity.beds_
    ]
    total = min(ratios) if ratios else 1.0
    return {s.name: s.share * total for s in streams}


def _spec_mean_h(spec: Mapping[str, Any] | None) -> float:
    if not spec:
        return 0.0
    return DistributionSpec.model_validate(spec).to_distribution().mean_h


def _expected_visits(entry: str, routes: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Expected visits to each unit of a patient entering at ``entry`` (traffic equations)."""
    units = sorted({entry} | set(routes) | {d for r in routes.values() for d in r if d != EXIT})
    idx = {u: i for i, u in enumerate(units)}
    P = np.zeros((len(units), len(units)))
    for u, r in routes.items():
        for d, p in r.items():
            if d != EXIT:
                P[idx[u], idx[d]] = p
    e = np.zeros(len(units))
    e[idx[entry]] = 1.0
    v = np.linalg.solve(np.eye(len(units)) - P.T, e)
    return {u: float(v[i]) for u, i in idx.items()}


def _month_multipliers(ratios: Mapping[int, float], start: pd.Timestamp, end: pd.Timestamp) -> list[dict[str, Any]]:
    out = []
    m = start.to_period("M")
    while m.start_time < end:
        r = ratios.get(int(m.month))
        if r is not None and abs(r - 1) >= 0.005:
            out.append(
                {
                    "from": max(m.start_time, start).to_pydatetime(),
                    "to": (m + 1).start_time.to_pydatetime(),
                    "factor": round(float(r), 3),
                    "label": m.strftime("%b"),
                }
            )
        m += 1
    return out


# =========================================================================== the fit evidence as comments
def provenance_comments(cal: Calibration) -> list[str]:
    """Comment lines (each starting with '# ') for the top of the scenario YAML.

    Sections, separated by empty comment lines: the source and row counts
    (:func:`_source_lines`), arrivals (:func:`_arrival_lines`), stays (:func:`_stay_lines`),
    routes (:func:`_route_lines`), discharges (:func:`_discharge_lines`), discharge pathways and the NCTR check
    (:func:`_pathway_lines`), then waits and the occupancy seen (:func:`_queue_lines`).
    """
    lines = (
        _source_lines(cal)
        + [""]
        + _arrival_lines(cal)
        + [""]
        + _stay_lines(cal)
        + [""]
        + _route_lines(cal)
        + [""]
        + _discharge_lines(cal)
        + _pathway_lines(cal)
        + _outlier_lines(cal)
        + _queue_lines(cal)
    )
    return [("# " + line).rstrip() for line in lines]


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p >= 1e-4 else "<1e-4"


def _source_lines(cal: Calibration) -> list[str]:
    """Who calibrated from what: version, sources, period, row accounting, dates and beds flags."""
    c = cal.counts
    out = [f"Calibrated by hospital_twin {__version__} (hospital_twin.calibration.fit) from an ADT log."]
    out += [f"Source: {s}" for s in cal.source or ["source: not given"]]
    out.append(
        f"Period: {cal.period[0]:%Y-%m-%d %H:%M} to {cal.period[1]:%Y-%m-%d %H:%M} "
        f"({cal.days} complete days used for rates)."
    )
    reasons = ", ".join(f"{k}: {v}" for k, v in c["excluded_reasons"].items()) or "none"
    out.append(
        f"Rows: read {c['rows_read']}, used {c['rows_read'] - c['rows_excluded']}, excluded {c['rows_excluded']} "
        f"({reasons}); {c['rows_merged_self_loops']} merged into the previous stay (same unit twice in a row)."
    )
    out.append(
        f"Stays: {c['stays']} ({c['open_stays']} open at the end, right-censored); encounters {c['encounters']}, "
        f"patients {c['patients']}."
    )
    if cal.dates_shifted:
        out.append("!! DATES SHIFTED PER PATIENT: concurrency, arrival rates and seasonality cannot be measured.")
    out += [f"!! {f}" if ("DEFAULT" in f or "NOT" in f) else f"Beds: {f}" for f in cal.flags + cal.capacity.flags_]
    out.append(
        "Every unit queues when full (when_full: queue, the default). Bed cleaning times are not in the log: none."
    )
    return out


def _arrival_lines(cal: Calibration) -> list[str]:
    """Arrival streams: rate, profile tests, months, dispersion, elective lists; rare sources pooled."""
    arr = cal.arrivals
    out = [f"Arrivals (first stay of each encounter; tests G / quasi-Poisson, keep when p < {ALPHA}):"]
    if getattr(arr, "pooled_", None):
        out.append(
            f"  sources with fewer than {arr.min_stream_arrivals} arrivals pooled as '{POOLED_SOURCE}': "
            + "; ".join(f"{u}/{c}/{a} n={n}" for u, c, a, n in arr.pooled_)
        )
    unmet = getattr(arr, "unmet_", {})
    if unmet:
        out.append(
            "  requests that never got a bed (requests table) counted as arrivals: "
            + ", ".join(f"{k} {n}" for k, n in unmet.items())
        )
    for st in arr.streams_:
        out += _stream_lines(st)
    out += _ed_lines(cal)
    out += _patience_lines(cal)
    return out


def _patience_lines(cal: Calibration) -> list[str]:
    """Patients who left without being seen, and the patience fitted to them (hospital_twin.calibration.fit_ed)."""
    out = []
    for u, p in cal.patience.items():
        head = (
            f"ED {u} left without being seen: {p.n_left} from a cubicle + {p.n_left_queue} before one "
            f"({p.share:.1%} of arrivals); not fitted as stays"
        )
        if p.spec is None:
            out.append(f"{head}; {p.note}")
            continue
        out.append(
            f"{head}; patience from arrival (seen patients censored at seen_at, {p.n_censored} censored): "
            f"exponential mean {p.mean_h:.2f} h (95% {p.mean_lo_h:.2f}-{p.mean_hi_h:.2f}), median "
            f"{p.exp_median_h:.2f} h vs Kaplan-Meier median "
            + (f"{p.km_median_h:.2f} h" if math.isfinite(p.km_median_h) else "not reached")
            + "; the ED's streams get this patience"
        )
    return out


def _outlier_lines(cal: Calibration) -> list[str]:
    """Outlying per home unit (logs with home_unit), with the evidence behind each number."""
    fit = cal.outliers
    if not fit.units_:
        return []
    out = [
        "",
        "Outliers (home_unit): fitted in their home unit (stays from the patients who never outlied); stay factor "
        f"= host stay / home stay (censored AFT likelihood, kept when LR p < {ALPHA} and >= 5% from 1):",
    ]
    for u, e in fit.units_.items():
        hosts = ", ".join(f"{h} {n}" for h, n in e.host_counts.items())
        factor = (
            f"stay factor {e.factor:.3f} (95% {e.factor_lo:.3f}-{e.factor_hi:.3f}, {e.factor_family}, "
            f"LR p={_p(e.factor_p)}; {e.n_outlier_exact} outlier stays ended in the host, {e.n_outlier_censored} "
            f"censored, {e.n_home} home stays) -> {e.stay_factor:g}"
            if math.isfinite(e.factor)
            else "stay factor not estimable -> 1"
        )
        wait = (
            f"wait before placement p05 {e.wait_p05_h:.2f} h median {e.wait_median_h:.2f} h -> after_hours "
            f"{e.after_hours:g}"
            if math.isfinite(e.wait_p05_h)
            else "no ready_at: after_hours 0"
        )
        out.append(
            f"  {u}: {e.placements} placements of {e.admissions} admissions ({e.share:.1%}); hosts {hosts}; {factor}; "
            f"{wait}; repatriated {e.repatriated} ({e.repatriated_while_waiting} while patients waited for a home "
            f"bed) -> repatriate {e.repatriate}"
        )
        out += [f"    {n}" for n in e.class_notes]
    out.append("  max_outliers (most outliers at once): " + ", ".join(f"{h} {n}" for h, n in fit.max_outliers_.items()))
    return out


def _ed_lines(cal: Calibration) -> list[str]:
    """The clinician stage of each emergency department (hospital_twin.calibration.fit_ed)."""
    out = []
    for u, e in cal.ed.units_.items():
        head = (
            f"ED {u} (seen_at): {e.n} seen, {e.waited_share:.1%} waited for a clinician (mean time to clinician "
            f"{e.wait_mean_h * 60:.1f} min); {e.saturated_per_h:.2f} assessments/h started while patients waited"
        )
        if e.clinicians is None:
            out.append(f"{head}; {e.note}")
            continue
        out.append(
            f"{head} -> clinicians {e.clinicians} (Erlang C by clock hour gives {e.modelled_waited_share:.1%} "
            f"waiting), assessment exponential mean {e.assessment_mean_h * 60:.1f} min; the ED's stays are "
            "fitted from the end of the assessment" + (f"; {e.note}" if e.note else "")
        )
    return out


def _stream_lines(st: ArrivalStream) -> list[str]:
    if math.isfinite(st.per_day):
        rate = f"{st.per_day:.3f}/day ±{st.per_day_se:.3f} (se)"
    else:
        rate = f"share {st.share:.3f}"
    unmet = f" ({st.n_unmet} never got a bed)" if st.n_unmet else ""
    out = [
        f"  {st.name}: n={st.n}{unmet}, {rate}; hour-of-day p={_p(st.hour_p)} {'kept' if st.hour_kept else 'not kept'}; "
        f"day-of-week p={_p(st.dow_p)} {'kept' if st.dow_kept else 'not kept'}; "
        f"hour x weekday interaction p={_p(st.interaction_p)}"
    ]
    if st.month_ratios:
        out.append(
            f"    months p={_p(st.month_p)} {'kept as multipliers' if st.month_kept else 'not kept'}: "
            + " ".join(f"{m}:{v:.2f}" for m, v in st.month_ratios.items())
        )
    if math.isfinite(st.dispersion):
        over = st.dispersion_p < ALPHA and st.dispersion > 1.1
        out.append(
            f"    daily counts: variance/mean {st.var_mean_ratio:.2f}, dispersion after weekday/month effects "
            f"{st.dispersion:.2f} (p={_p(st.dispersion_p)}){' OVER-DISPERSED: the scenario is Poisson' if over else ''}"
        )
    if st.elective and st.per_weekday is not None:
        out.append(
            f"    elective list: per weekday {st.per_weekday}, at {st.elective_hour:g} h, "
            f"cancel after {st.cancel_after_hours:g} h"
        )
    return out


def _stay_lines(cal: Calibration) -> list[str]:
    """Stays per unit (and class): family, AIC weights, D and its p-values; the class tests."""
    out = [
        "Length of stay (censored MLE; AIC weights; D = max |fitted CDF - Kaplan-Meier|, p by parametric "
        "bootstrap (B resamples from the fit, censored as the data, refitted), Kolmogorov p_upper (an upper "
        "bound: parameters estimated); for units with a discharge rule D compares observed with simulated "
        "stays and p is the predictive two-sample Kolmogorov one, an upper bound):"
    ]
    stays = cal.stays
    keyed = list(stays.units_.items()) + [(f"{u} [{c}]", e) for (u, c), e in stays.classes_.items()]
    out += [_stay_line(key, est) for key, est in keyed]
    ct = stays.class_tests_
    if len(ct):
        out.append(
            "  class vs rest of the unit (log-rank): "
            + "; ".join(
                f"{r.unit}/{r.patient_class} n={r.n} p={_p(r.logrank_p)} d={r.km_distance:.2f}"
                f"{' own' if r.own_stay else ''}"
                for r in ct.itertuples(index=False)
            )
        )
    return out


def _stay_line(key: str, est: StayEstimate) -> str:
    b = est.best
    a0 = b.aic if b is not None else 0.0
    w = " ".join(f"{f.family} {f.aic_weight:.2f} (dAIC {f.aic - a0:.1f})" for f in est.fits.values())
    fam = (
        f"{est.chosen} mean {b.mean_h:.1f} h ±{b.mean_se_h:.1f} cv {b.cv:.2f}"
        if b is not None and est.chosen != "empirical"
        else f"{est.chosen} (Kaplan-Meier mean {est.km_mean_h:.1f} h)"
    )
    boot = f" (bootstrap B={est.ks_b}, m={est.ks_n_resample}) p_upper={_p(est.ks_p_upper)}" if est.ks_b else ""
    return (
        f"  {key}: {fam}; n={est.n}, censored {est.n_censored} ({est.n_censored / max(est.n, 1):.0%}), "
        f"interval {est.n_interval}; "
        f"AIC weights {w or '-'}; D={est.ks_d:.3f} p{'<=' if est.ks_p_at_floor else '='}{_p(est.ks_p)}"
        + boot
        + f"{'' if est.acceptable else ' NOT acceptable'}"
        + (f"; {est.note}" if est.note else "")
    )


def _route_lines(cal: Calibration) -> list[str]:
    """Transition probabilities per unit, the class tests and the rare transitions folded."""
    routes = cal.routes
    out = ["Routes (transitions between consecutive stays; open last stays censored, not counted):"]
    for u, g in sorted(routes.transitions_.groupby("from")):
        n = int(g["count"].sum())
        parts = ", ".join(f"{r.to} {r.p:.3f}{' RARE' if r.rare else ''}" for r in g.itertuples(index=False))
        out.append(f"  {u} (n={n}, censored {routes.censored_.get(u, 0)}): {parts}")
    own = routes.class_tests_
    if len(own):
        out.append(
            "  class vs rest (G-test): "
            + "; ".join(
                f"{r.unit}/{r.patient_class} n={r.n} p={_p(r.p)} tv={r.tv:.3f}{' own' if r.own_route else ''}"
                for r in own.itertuples(index=False)
            )
        )
    routes.scenario_routes()  # fills folded_
    for who, u, d, into, p in routes.folded_:
        out.append(f"  folded {u} -> {d} (p={p:.4f}{', class ' + who if who else ''}) into {u} -> {into}")
    return out


def _discharge_lines(cal: Calibration) -> list[str]:
    """Leavers, the weekend rate, and per unit the test for a discharge-hour rule."""
    dis = cal.discharge
    out = [
        f"Discharges: n={dis.n_}; weekend rate {dis.weekend_rate_:.2f} of Tue-Fri; hour profile differs between "
        f"units p={_p(dis.homogeneity_p_)}."
    ]
    for r in dis.tests_.itertuples(index=False):
        rule = ""
        if r.rule:
            kept = dis.rules_[r.unit]
            rule = (
                f" -> discharge-hour rule, day_of_week {kept['day_of_week']}"
                if "day_of_week" in kept
                else f" -> discharge-hour rule, weekend rate {kept['weekend_rate']}"
            )
        out.append(f"  {r.unit}: n={r.n}, leaving hours vs independence tv={r.tv:.3f} p={_p(r.p)}" + rule)
        wk = getattr(dis, "weekday_tests_", {}).get(r.unit)
        if wk is not None and wk["kept"]:  # (a weekend rate kept shows its weekday test in the report only)
            out.append(
                f"    leavers by weekday Mon..Sun {' '.join(f'{x:.1%}' for x in wk['shares'])} vs weekend rate "
                f"{' '.join(f'{x:.1%}' for x in wk['rule_shares'])}: G={wk['g']:.1f} (dispersion "
                f"{wk['dispersion']:.2f}) p={_p(wk['p'])} tv={wk['tv']:.3f} -> day_of_week kept"
            )
    return out


def _pathway_lines(cal: Calibration) -> list[str]:
    """Discharge pathways (hospital_twin.calibration.fit_pathways): labels, shares, delays, capacity; the NCTR
    check against a target."""
    fit = cal.pathways
    out: list[str] = []
    if fit.notes_ or fit.fitted:
        out.append("")
    out += [f"Discharge pathways: {n}" for n in fit.notes_]
    if not fit.fitted:
        if cal.nctr is not None:
            out.append(f"!! {cal.nctr.sentence()}")
        return out
    t0, t1, days = fit.window_
    out.append(
        f"Discharge pathways (last stay of a spell with a pathway label and ready_to_leave; {t0:%Y-%m-%d} to "
        f"{t1:%Y-%m-%d}, {days:.0f} days): labels "
        + ", ".join(f"'{r.label}' -> {r.pathway} n={r.n}" for r in fit.labels_.itertuples(index=False))
        + "; these patients' stays are fitted up to ready_to_leave (the rest is the pathway's NCTR time) and they "
        "are not in the discharge-hour fit (the pathway starts them)"
    )
    for u, g in fit.shares_.groupby("unit", sort=True):
        out.append(
            f"  shares {u} (n={int(g['leavers'].iloc[0])} leavers): "
            + ", ".join(
                f"{r.pathway} {r.share:.3f} (95% {r.ci_low:.3f}-{r.ci_high:.3f}, n={r.n})"
                for r in g.itertuples(index=False)
            )
        )
    for name, e in fit.pathways_.items():
        fam = (
            "; empirical (no family has their mean within 5%)"
            if e.delay_family == "empirical"
            else f"; {e.delay_family} by censored MLE (AIC best)"
            if e.delay_family
            else ""
        )
        out.append(
            f"  {name}: n={e.n} ({e.n_open} still waiting at the end, censored); {e.rate_per_day:.2f} ready/day; "
            f"NCTR delay (ready_to_leave to end) mean {e.delay_mean_h:.1f} h p90 {e.delay_p90_h:.1f} h{fam}; "
            f"NCTR seen {e.nctr_mean:.2f} patients on average"
        )
        if e.kind == "daily":
            lb = f"; lower bounds (no queued day): {', '.join(_WEEKDAYS[k] for k in e.lower_bound_weekdays)}"
            out.append(
                f"    daily: {e.batched_share:.0%} of starts in one clock hour -> start_hour {e.start_hour:g}; "
                f"starts Mon..Sun {' '.join(f'{x:g}' for x in e.starts_by_weekday or [])} = mean starts on the "
                f"days with a queue after the start time ({e.queued_days} of {e.days} days; by weekday "
                f"{' '.join(str(k) for k in e.queued_days_by_weekday)}){lb if e.lower_bound_weekdays else ''}; "
                f"replayed through these starts the log's patients wait {e.replay_delay_mean_h:.1f} h on average "
                f"(seen {e.delay_mean_h:.1f} h)"
            )
        else:
            spec = e.spec.get("assessment")
            what = (
                f"written as a pathway without a queue whose assessment is the fitted delay ({spec['distribution']}"
                + (f" mean {spec['mean_hours']:g} h" if "mean_hours" in spec else " quantiles of the delays")
                + "): "
                "today's delays, not their response to capacity"
                if spec
                else "written as a pathway without a queue or delay (patients leave when ready)"
            )
            out.append(
                f"    starts spread over the day ({e.batched_share:.0%} in the busiest hour): a pool, whose places and "
                f"stay the log does not show; {what}. Equivalent daily capacity starts_per_day "
                f"{e.starts_per_day:.2f} (mean starts on the {e.queued_days} of {e.days} days with patients waiting "
                "at the day's start and end); to model the pool give places and stay (places / stay in days = "
                "that rate when full)"
            )
    if cal.nctr is not None:
        out.append(f"  {cal.nctr.sentence()}")
    return out


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _queue_lines(cal: Calibration) -> list[str]:
    """Waits for a bed and boarding (after an empty line, when the log has ready_at); the occupancy seen."""
    out: list[str] = []
    if len(cal.waits.waits_):
        out.append("")
        out.append(
            "Waits for a bed (start - ready_at): "
            + "; ".join(
                f"{r.unit} mean {r.mean_h:.2f} h p90 {r.p90_h:.2f} h waited {r.waited_share:.1%}"
                for r in cal.waits.waits_.itertuples(index=False)
            )
        )
        out.append(
            "Boarding (ready to move until leaving): "
            + "; ".join(
                f"{r.unit} mean {r.mean_h:.2f} h p90 {r.p90_h:.2f} h"
                for r in cal.waits.boarding_.itertuples(index=False)
            )
        )
    if cal.capacity.occupancy_ is not None:
        out.append(
            "Occupancy seen in the log: "
            + "; ".join(
                f"{r.unit} mean {r.mean:.1f} p95 {r.p95:g} peak {r.peak}"
                for r in cal.capacity.occupancy_.itertuples(index=False)
            )
        )
    return out


# =========================================================================== the reading as comments
def attribution(reads: Sequence[AdtRead]) -> list[str]:
    """Attribution lines for the sources read (known files by hash; any MIMIC-IV folder by format)."""
    out: list[str] = []
    for r in reads:
        hit = [KNOWN_SOURCES[h] for h in r.inputs.values() if h in KNOWN_SOURCES]
        if hit:
            out.extend(h for h in hit if h not in out)
        elif r.source_format == "mimic-iv":
            line = (
                "MIMIC-IV (Johnson et al., PhysioNet, https://doi.org/10.13026/07hj-2a80): use is governed by "
                "the PhysioNet licence and data use agreement of the version read."
            )
            if line not in out:
                out.append(line)
    return out


def reading_comments(reads: Sequence[AdtRead], dates: DatesCheck) -> list[str]:
    """Lines (without ``# ``) on the files read, the row accounting and the dates."""
    L: list[str] = []
    for r in reads:
        aside = ""
        if r.selection:
            chosen = ", ".join(f"{k} {v}" for k, v in r.selection.items())
            aside = f" + set aside {r.set_aside} (other replications/scenarios: {chosen} chosen)"
        L.append(
            f"Log: {r.source} ({r.source_format}); read {r.read} = used {r.used} + rejected {r.rejected} "
            f"+ ignored {r.ignored}{aside}."
        )
        for path, digest in r.inputs.items():
            L.append(f"  file {Path(path).name}: SHA-256 {digest}")
        for key, n in r.summary()["reasons"].items():
            L.append(f"  {key}: {n}")
        for note in r.notes:
            L.append(f"  note: {note}")
    lines = [f"Source data: {a}" for a in attribution(reads)]
    L.extend(lines)
    L.append(("!! " if dates.shifted else "") + dates.sentence())
    return L


# =========================================================================== YAML text
def commented_yaml(cal: Calibration, scenario: Scenario) -> str:
    """``scenario`` as YAML text with ``cal``'s provenance comments on top (:meth:`Calibration.to_yaml`)."""
    body = dump_scenario(scenario)
    return "\n".join(provenance_comments(cal)) + "\n" + body


def scenario_yaml(cal: Calibration, reads: Sequence[AdtRead], dates: DatesCheck, **scenario_kw: Any) -> str:
    """The scenario YAML with every provenance comment on top (see the module docstring)."""
    head = [("# " + line).rstrip() for line in reading_comments(reads, dates)]
    return "\n".join(head) + "\n#\n" + cal.to_yaml(**scenario_kw)
