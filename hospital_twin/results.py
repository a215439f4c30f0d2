"""From raw simulation records to tidy tables: the event log, hourly census, KPIs, summaries.

Every KPI is measured over the observation window ``[warmup_h, end_h)``. Patient
counts (``arrivals``, ``admitted``, ``rejected``, waits) count a request for a bed by
the time the patient asked for it (``ready_at``), so that for every unit
``arrivals = admitted + rejected + cancelled + still_waiting`` holds exactly.
Time averages (occupancy, blocked bed hours) integrate over the window.

Unit ``ALL`` is the hospital: external arrivals, and bed measures summed over the
inpatient units (every unit that is not an emergency department).

Metric catalogue (name: meaning, units) is ``METRICS``; ``METRIC_LABELS`` gives
display labels. This module does no simulation and no file I/O.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.sim.model import STAY_FIELDS, SimOutput

__all__ = [
    "METRICS",
    "ADT_COLUMNS",
    "ALL",
    "adt_log",
    "census",
    "rep_kpis",
    "summarise",
]

ALL = "ALL"

METRICS: dict[str, str] = {
    "arrivals": "requests for a bed (external arrivals for ALL), by the time they asked; count",
    "admitted": "requests that got a bed; count",
    "rejected": "turned away because the unit was full (when_full: reject); count",
    "rejected_share": "rejected / arrivals",
    "cancelled": "elective admissions cancelled for want of a bed; count",
    "cancelled_share": "cancelled / elective arrivals",
    "still_waiting": "requests still waiting for a bed at the end of the run; count",
    "occupancy_mean": "time-average occupied beds",
    "occupancy_p95": "95th percentile of occupied beds over time",
    "utilisation": "occupancy_mean / base beds",
    "waited_share": "share of admitted patients who waited for a bed",
    "wait_for_bed_mean_h": "mean wait for a bed over all admitted patients, zeros included; hours",
    "wait_for_bed_p95_h": "95th percentile of the wait for a bed, zeros included; hours",
    "los_mean_h": "mean time in the unit (start to end) of completed stays; for ALL the inpatient spell; hours",
    "blocked_bed_hours": "bed-hours held by patients whose stay ended, waiting for a bed in the next unit",
    "discharge_delay_bed_hours": "bed-hours held by patients whose stay ended, waiting for the discharge window",
    "escalation_beds_open_mean": "time-average escalation beds open",
    "ratio_breach_hours": "hours in which patients exceeded nurses x patients_per_nurse",
    "ratio_breach_share": "ratio_breach_hours / hours observed",
    "ed_time_in_dept_mean_h": "ED: mean time from arrival to leaving the department; hours",
    "ed_4h_breach_share": "ED: share of attendances spending more than 4 h in the department",
    "ed_12h_breach_share": "ED: share of attendances spending more than 12 h in the department",
    "ed_time_to_clinician_mean_h": "ED: mean time from arrival to the start of the assessment; hours",
    "ed_admitted_share": "ED: share of attendances with a decision to admit",
    "ed_boarding_mean_h": "ED: mean time from decision to admit to leaving for a bed; hours",
    "ed_dta_12h_waits": "ED: decisions to admit waiting more than 12 h for a bed ('trolley waits'); count",
}

ADT_COLUMNS = [
    "patient_id",
    "unit",
    "start",
    "end",
    "encounter_id",
    "patient_class",
    "arrival_source",
    "discharge_destination",
    "ready_at",
    "ready_to_leave",
    "seen_at",
    "rep",
]

_F = {name: i for i, name in enumerate(STAY_FIELDS)}


def _overlap(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Length of [a, b) ∩ [lo, hi), elementwise (b may be nan = still open at hi)."""
    b = np.where(np.isnan(b), hi, b)
    return np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None)


def _step_levels(starts: np.ndarray, ends: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Levels of the count of open intervals over [lo, hi) and how long each lasted."""
    ends = ends[~np.isnan(ends)]
    t = np.concatenate([starts, ends])
    d = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    level = np.cumsum(d)
    before = t <= lo
    level_lo = level[before][-1] if before.any() else 0.0
    inside = (t > lo) & (t < hi)
    times = np.concatenate([[lo], t[inside], [hi]])
    levels = np.concatenate([[level_lo], level[inside]])
    return levels, np.diff(times)


def _weighted_quantile(levels: np.ndarray, weights: np.ndarray, q: float) -> float:
    if weights.sum() <= 0:
        return math.nan
    order = np.argsort(levels, kind="stable")
    cum = np.cumsum(weights[order])
    k = np.searchsorted(cum, q * cum[-1], side="left")
    return float(levels[order][min(k, len(order) - 1)])


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def rep_kpis(out: SimOutput, scenario_name: str | None = None) -> pd.DataFrame:
    """KPIs of one replication: ``scenario, rep, metric, unit, value``."""
    scn = out.scenario
    lo, hi = out.warmup_h, out.end_h
    span = hi - lo
    S = out.stays
    unit_col = S[:, _F["unit"]]
    ready_at = S[:, _F["ready_at"]]
    start = S[:, _F["start"]]
    ready_h = S[:, _F["ready_h"]]
    end = S[:, _F["end"]]
    dest = S[:, _F["dest"]]
    seen = S[:, _F["seen_at"]]
    rej, can, wait_end = out.rejections, out.cancellations, out.waiting_at_end
    rows: list[tuple[str, str, float]] = []
    specs = list(scn.units.values())
    inpatient = [i for i, sp in enumerate(specs) if sp.ed is None and sp.kind != "ed"] or list(range(len(specs)))

    def add(metric: str, unit: str, value: float) -> None:
        rows.append((metric, unit, float(value)))

    # per-unit time series of capacity and staffing
    cap_log, staff_log = out.capacity_log, out.staffed_log

    for ui, name in enumerate(out.unit_names):
        spec = specs[ui]
        m = unit_col == ui
        asked = m & (ready_at >= lo)
        n_adm = int(asked.sum())
        n_rej = int(((rej[:, 1] == ui) & (rej[:, 2] >= lo)).sum())
        n_can = int(((can[:, 1] == ui) & (can[:, 2] >= lo)).sum())
        n_wait = int(((wait_end[:, 1] == ui) & (wait_end[:, 2] >= lo)).sum())
        n_arr = n_adm + n_rej + n_can + n_wait
        add("arrivals", name, n_arr)
        add("admitted", name, n_adm)
        add("rejected", name, n_rej)
        add("rejected_share", name, _ratio(n_rej, n_arr))
        add("still_waiting", name, n_wait)
        levels, dur = _step_levels(start[m], end[m], lo, hi)
        occ_mean = float((levels * dur).sum() / span)
        add("occupancy_mean", name, occ_mean)
        add("occupancy_p95", name, _weighted_quantile(levels, dur, 0.95))
        add("utilisation", name, _ratio(occ_mean, spec.beds))
        waits = start[asked] - ready_at[asked]
        add("waited_share", name, _mean((waits > 1e-9).astype(float)) if n_adm else math.nan)
        add("wait_for_bed_mean_h", name, _mean(waits))
        add("wait_for_bed_p95_h", name, float(np.quantile(waits, 0.95)) if n_adm else math.nan)
        done = asked & ~np.isnan(end)
        add("los_mean_h", name, _mean(end[done] - start[done]))
        held = m & ~np.isnan(ready_h)
        to_unit = held & ((dest >= 0) | (dest == -2))
        add("blocked_bed_hours", name, _overlap(ready_h[to_unit], end[to_unit], lo, hi).sum())
        home = held & (dest == -1)
        add("discharge_delay_bed_hours", name, _overlap(ready_h[home], end[home], lo, hi).sum())
        if spec.escalation is not None:
            c = cap_log[cap_log[:, 1] == ui]
            add("escalation_beds_open_mean", name, _step_mean(c[:, 0], c[:, 3], lo, hi))
        if scn.staffing is not None and name in scn.staffing.units:
            st = staff_log[staff_log[:, 1] == ui]
            breach_h = _breach_hours(levels, dur, lo, st[:, 0], st[:, 2])
            add("ratio_breach_hours", name, breach_h)
            add("ratio_breach_share", name, breach_h / span)
        if spec.ed is not None:
            add("cancelled", name, n_can)
            _ed_kpis(add, name, asked, ready_at, start, ready_h, end, dest, seen, hi)
        elif n_can or any(e.unit == name for e in scn.electives):
            add("cancelled", name, n_can)

    # ---- the hospital as a whole
    arr = out.arrivals
    ext_arr = int((arr[:, 2] >= lo).sum())
    ext_rej = int(((rej[:, 4] == -1) & (rej[:, 2] >= lo)).sum())
    n_can_all = int((can[:, 2] >= lo).sum())
    n_wait_ext = 0
    if len(wait_end):
        first_stay = set(S[:, _F["patient"]].astype(int).tolist())
        n_wait_ext = int(sum(1 for p, _u, r, _c in wait_end if r >= lo and int(p) not in first_stay))
    source = S[:, _F["source"]]
    n_ext_sources = len(out.source_names) - len(out.unit_names)
    first = (source < n_ext_sources) & (ready_at >= lo)
    add("arrivals", ALL, ext_arr)
    add("admitted", ALL, int(first.sum()))
    add("rejected", ALL, ext_rej)
    add("rejected_share", ALL, _ratio(ext_rej, ext_arr))
    add("still_waiting", ALL, n_wait_ext)
    if scn.electives:
        n_el = int(sum(((arr[:, 1] == scn_unit) & (arr[:, 2] >= lo) & np.isin(arr[:, 3], el_classes)).sum()
                       for scn_unit, el_classes in _elective_keys(out)))
        add("cancelled", ALL, n_can_all)
        add("cancelled_share", ALL, _ratio(n_can_all, n_el))
    inp = np.isin(unit_col, inpatient)
    levels, dur = _step_levels(start[inp], end[inp], lo, hi)
    occ_mean = float((levels * dur).sum() / span)
    beds = sum(specs[i].beds for i in inpatient)
    add("occupancy_mean", ALL, occ_mean)
    add("occupancy_p95", ALL, _weighted_quantile(levels, dur, 0.95))
    add("utilisation", ALL, _ratio(occ_mean, beds))
    asked = inp & (ready_at >= lo)
    waits = start[asked] - ready_at[asked]
    add("waited_share", ALL, _mean((waits > 1e-9).astype(float)) if len(waits) else math.nan)
    add("wait_for_bed_mean_h", ALL, _mean(waits))
    add("wait_for_bed_p95_h", ALL, float(np.quantile(waits, 0.95)) if len(waits) else math.nan)
    add("los_mean_h", ALL, _spell_mean(S[inp], lo))
    held = inp & ~np.isnan(ready_h)  # ED boarding has its own measures (ed_boarding_mean_h)
    to_unit = held & ((dest >= 0) | (dest == -2))
    add("blocked_bed_hours", ALL, _overlap(ready_h[to_unit], end[to_unit], lo, hi).sum())
    home = held & (dest == -1)
    add("discharge_delay_bed_hours", ALL, _overlap(ready_h[home], end[home], lo, hi).sum())

    df = pd.DataFrame(rows, columns=["metric", "unit", "value"])
    df.insert(0, "rep", out.rep)
    df.insert(0, "scenario", scenario_name or scn.name)
    return df


def _elective_keys(out: SimOutput) -> list[tuple[int, list[int]]]:
    keys = []
    for e in out.scenario.electives:
        keys.append((out.unit_names.index(e.unit), [out.class_names.index(e.patient_class)]))
    return keys


def _ed_kpis(add, name, asked, ready_at, start, ready_h, end, dest, seen, hi) -> None:
    left = asked & ~np.isnan(end)
    t_in = end[left] - ready_at[left]
    add("ed_time_in_dept_mean_h", name, _mean(t_in))
    add("ed_4h_breach_share", name, _mean((t_in > 4.0).astype(float)) if len(t_in) else math.nan)
    add("ed_12h_breach_share", name, _mean((t_in > 12.0).astype(float)) if len(t_in) else math.nan)
    s = asked & ~np.isnan(seen)
    add("ed_time_to_clinician_mean_h", name, _mean(seen[s] - ready_at[s]))
    decided = asked & ~np.isnan(ready_h)
    dta = decided & ((dest >= 0) | (dest == -2))
    add("ed_admitted_share", name, _ratio(float(dta.sum()), float(decided.sum())))
    boarded = dta & ~np.isnan(end)
    add("ed_boarding_mean_h", name, _mean(end[boarded] - ready_h[boarded]))
    board_h = np.where(np.isnan(end[dta]), hi, end[dta]) - ready_h[dta]
    add("ed_dta_12h_waits", name, int((board_h > 12.0).sum()))


def _spell_mean(S: np.ndarray, lo: float) -> float:
    """Mean inpatient spell (first inpatient start to last inpatient end) of patients who left."""
    if not len(S):
        return math.nan
    order = np.argsort(S[:, _F["patient"]], kind="stable")
    S = S[order]
    pid = S[:, _F["patient"]]
    first = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
    ready = np.minimum.reduceat(S[:, _F["ready_at"]], first)
    start = np.minimum.reduceat(S[:, _F["start"]], first)
    end = S[:, _F["end"]]
    still_open = np.add.reduceat(np.isnan(end).astype(int), first) > 0
    last_end = np.fmax.reduceat(end, first)
    keep = (ready >= lo) & ~still_open
    return float((last_end[keep] - start[keep]).mean()) if keep.any() else math.nan


def _step_mean(t: np.ndarray, v: np.ndarray, lo: float, hi: float) -> float:
    """Time-average over [lo, hi) of a right-continuous step function given at change times."""
    if not len(t):
        return 0.0
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    edges = np.clip(np.concatenate([t, [hi]]), lo, hi)
    return float((v * np.diff(edges)).sum() / (hi - lo))


def _breach_hours(levels, dur, lo, staff_t, staff_v) -> float:
    """Hours in which the occupancy step function exceeds the staffed level."""
    if not len(staff_t):
        return 0.0
    # time points of the occupancy segments
    seg_start = lo + np.concatenate([[0.0], np.cumsum(dur)[:-1]])
    seg_end = seg_start + dur
    order = np.argsort(staff_t, kind="stable")
    st, sv = staff_t[order], staff_v[order]
    bounds = np.union1d(np.concatenate([seg_start, seg_end]), st[(st > lo) & (st < seg_end[-1])])
    mids = (bounds[:-1] + bounds[1:]) / 2
    occ = levels[np.searchsorted(seg_start, mids, side="right") - 1]
    staffed = sv[np.clip(np.searchsorted(st, mids, side="right") - 1, 0, None)]
    return float(np.diff(bounds)[occ > staffed + 1e-9].sum())


def census(out: SimOutput, step_h: float = 1.0) -> pd.DataFrame:
    """Occupied beds per unit at every whole hour of the run (warm-up included): ``rep, unit, time_h, occupied``."""
    grid = np.arange(0.0, out.end_h + 1e-9, step_h)
    frames = []
    S = out.stays
    for ui, name in enumerate(out.unit_names):
        m = S[:, _F["unit"]] == ui
        starts = np.sort(S[m, _F["start"]])
        ends = S[m, _F["end"]]
        ends = np.sort(ends[~np.isnan(ends)])
        occ = np.searchsorted(starts, grid, side="right") - np.searchsorted(ends, grid, side="right")
        frames.append(pd.DataFrame({"rep": out.rep, "unit": name, "time_h": grid, "occupied": occ.astype(np.int32)}))
    return pd.concat(frames, ignore_index=True)


def adt_log(out: SimOutput) -> pd.DataFrame:
    """The simulated event log in the ADT schema (CONTRACTS section 4), one row per stay."""
    S = out.stays
    start0 = pd.Timestamp(out.scenario.start)
    n_ext = len(out.source_names) - len(out.unit_names)
    pid = S[:, _F["patient"]].astype(np.int64)
    ids = pd.Series([f"{out.rep}-{p}" for p in pid.tolist()], dtype="string")
    units = np.array(out.unit_names, dtype=object)
    classes = np.array(out.class_names, dtype=object)
    src_idx = S[:, _F["source"]].astype(int)
    source_labels = np.array(out.source_names[:n_ext] + out.unit_names, dtype=object)
    dest = S[:, _F["dest"]]
    end = S[:, _F["end"]]
    dest_label = np.full(len(S), None, dtype=object)
    dest_label[(dest == -1) & ~np.isnan(end)] = "home"
    dest_label[(dest == -2) & ~np.isnan(end)] = "transferred_out"

    def ts(col: np.ndarray) -> pd.Series:
        return (start0 + pd.to_timedelta(col, unit="h")).round("s")

    df = pd.DataFrame(
        {
            "patient_id": ids,
            "unit": pd.Categorical(units[S[:, _F["unit"]].astype(int)], categories=out.unit_names),
            "start": ts(S[:, _F["start"]]),
            "end": ts(end),
            "encounter_id": ids,
            "patient_class": pd.Categorical(classes[S[:, _F["pclass"]].astype(int)], categories=out.class_names),
            "arrival_source": source_labels[src_idx],
            "discharge_destination": dest_label,
            "ready_at": ts(S[:, _F["ready_at"]]),
            "ready_to_leave": ts(S[:, _F["ready_h"]]),
            "seen_at": ts(S[:, _F["seen_at"]]),
            "rep": out.rep,
        }
    )
    df["arrival_source"] = df["arrival_source"].astype("string")
    df["discharge_destination"] = df["discharge_destination"].astype("string")
    return df.sort_values(["patient_id", "start"], kind="stable", ignore_index=True)[ADT_COLUMNS]


def summarise(kpis: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t-interval across replications: ``scenario, metric, unit, mean, sd, ci_low, ci_high, n_reps``."""
    g = kpis.dropna(subset=["value"]).groupby(["scenario", "metric", "unit"], sort=False)["value"]
    out = g.agg(mean="mean", sd="std", n_reps="count").reset_index()
    n = out["n_reps"].to_numpy()
    sd = out["sd"].fillna(0.0).to_numpy()
    tcrit = np.where(n > 1, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)
    half = tcrit * sd / np.sqrt(n)
    out["sd"] = np.where(n > 1, out["sd"], np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out[["scenario", "metric", "unit", "mean", "sd", "ci_low", "ci_high", "n_reps"]]
