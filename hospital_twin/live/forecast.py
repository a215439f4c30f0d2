"""The live twin: short-term bed forecasts from a census snapshot (CONTRACTS section 6).

The picture: at 08:00 the bed manager knows who is in which bed and since when. The
simulator starts from exactly that hospital (a *warm start*): every patient in its bed,
its remaining stay drawn from the stay distribution *given the time it has already
spent there* (a patient on day 9 of a stay that usually lasts 4 days is not a fresh
admission), new patients arriving as the scenario says from ``now`` on. Many
replications of the next hours give, per unit and hour, the distribution of the census:
mean, 5th/50th/95th percentiles and the probability that every bed is taken.

``forecast(scenario, census, now, hours)`` is the pure core (scenario + snapshot
DataFrame in, :class:`Forecast` out); ``forecast_table`` gives ``forecast.csv``
(``time, unit, mean, p05, p50, p95, p_full`` then extra columns);
``forecast_chart`` the fan chart (Altair). With discharge pathways, a snapshot row's
``pathway`` starts a ready patient in that pathway's queue (NCTR), and ``nctr_table`` gives
``forecast_nctr.csv`` (NCTR patients per unit and per pathway, hourly). For back-tests, two reference forecasts:
``persistence_forecast`` (the census stays as it is) and
``forecast(..., ignore_elapsed=True)`` (everyone present starts a fresh stay, the usual
mistake of a cold model run from today's census); ``forecast_errors`` lines a forecast
up with the observed census (``hospital_twin.live.census.census_counts``).

Replications run through ``hospital_twin.experiment.executors`` and depend only on ``(scenario,
seed, rep, snapshot)``: serial and parallel runs give identical forecasts. No files,
no printing.
"""

from __future__ import annotations

import datetime as dt
import math
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospital_twin import rng as _rng
from hospital_twin._version import __version__
from hospital_twin.experiment.executors import make_executor
from hospital_twin.live.census import (
    NEXT_COLUMN,
    PATHWAY_COLUMN,
    READY_COLUMN,
    SEEN_COLUMN,
    SOURCE_COLUMN,
    WAITING_COLUMN,
    CensusError,
    validate_census,
)
from hospital_twin.scenario.errors import Issue
from hospital_twin.scenario.schema import EXIT, Scenario
from hospital_twin.sim.model import HospitalSim
from hospital_twin.sim.pathways import PATHWAY_DEST0
from hospital_twin.sim.records import (
    CENSUS_SOURCE,
    NOT_SEEN,
    PATHWAY_NONE,
    SEEN_UNKNOWN,
    STAY_FIELDS,
    InitialPatient,
)

__all__ = [
    "FORECAST_COLUMNS",
    "NCTR_COLUMNS",
    "Forecast",
    "class_mix",
    "forecast",
    "forecast_errors",
    "forecast_scenario",
    "forecast_table",
    "initial_patients",
    "nctr_table",
    "persistence_forecast",
]

FORECAST_COLUMNS = ["time", "unit", "mean", "p05", "p50", "p95", "p_full"]
"""The contract columns of ``forecast.csv``, in order (extra columns follow them)."""
NCTR_COLUMNS = ["time", "horizon_h", "unit", "pathway", "mean", "p05", "p50", "p95"]
"""The columns of ``forecast_nctr.csv`` (scenarios with discharge pathways only)."""
ALL = "ALL"
_NEXT_UNKNOWN = -9
# columns of the array handed to a replication
_R_UNIT, _R_ELAPSED, _R_CLASS, _R_READY, _R_WAITING, _R_NEXT, _R_READY_H, _R_SEEN_H, _R_CANCEL_H, _R_PATHWAY = range(10)
_ROW_COLUMNS = [
    "unit_idx",
    "elapsed_h",
    "pclass",
    "ready",
    "waiting",
    "next_unit",
    "ready_h",
    "seen_h",
    "cancel_h",
    "pathway",
]
_F = {name: i for i, name in enumerate(STAY_FIELDS)}


@dataclass(frozen=True)
class Forecast:
    """Replications of the next ``hours`` from a census snapshot.

    Arrays are per replication (axis 0), unit (axis 1, scenario order) and hour (axis 2):
    ``census[r, u, k]`` is the number of patients in unit ``u`` at ``now + k`` hours
    (``k = 0..hours``; hour 0 is the snapshot); flows are counted over the hour
    ``[now + k, now + k + 1)`` (``k = 0..hours-1``). ``hourly`` is the tidy summary
    (one row per unit and hour, plus ``ALL`` = the inpatient units together). With discharge
    pathways, ``nctr`` and ``nctr_pathway`` count the patients ready to leave who wait in a bed
    for a pathway (NCTR) per unit and per pathway at each hour (:func:`nctr_table`); else None.
    """

    scenario_name: str
    method: str  # "warm_start", "fresh_stays" or "persistence"
    now: pd.Timestamp
    hours: int
    units: list[str]
    beds: np.ndarray  # (units, hours+1): base beds at each hour (after planned capacity changes)
    inpatient: np.ndarray  # (units,) bool: counted in ALL (not an emergency department)
    is_ed: np.ndarray  # (units,) bool
    census: np.ndarray  # (reps, units, hours+1)
    admissions: np.ndarray  # (reps, units, hours): patients entering the unit (from outside or a transfer)
    departures: np.ndarray  # (reps, units, hours): patients leaving the unit (home or to another unit)
    discharges: np.ndarray  # (reps, units, hours): patients leaving the hospital from the unit
    boarding: np.ndarray  # (reps, units, hours+1): ED patients with a decision to admit waiting for a bed
    hospital_admissions: np.ndarray  # (reps, hours): patients entering an inpatient unit from outside them
    initial: pd.DataFrame  # per unit: beds, patients in the snapshot, over_capacity, class_inferred, elapsed
    hourly: pd.DataFrame
    provenance: dict = field(default_factory=dict)
    pathways: list[str] = field(default_factory=list)  # the scenario's discharge pathways (none: no NCTR arrays)
    nctr: np.ndarray | None = None  # (reps, units, hours+1): patients on a pathway (NCTR) in a bed of the unit
    nctr_pathway: np.ndarray | None = None  # (reps, pathways, hours+1): the same per pathway, all units

    @property
    def replications(self) -> int:
        return int(self.census.shape[0])

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.date_range(self.now, periods=self.hours + 1, freq="h")


# --------------------------------------------------------------------------- set-up
def _now(now) -> pd.Timestamp:
    ts = pd.Timestamp(now)
    if ts is pd.NaT:
        raise ValueError(f"now: not a timestamp: {now!r}")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _hours(hours) -> int:
    if isinstance(hours, bool) or not float(hours).is_integer() or hours < 1:
        raise ValueError(f"hours must be a whole number of hours >= 1 (got {hours!r})")
    return int(hours)


def forecast_scenario(scenario: Scenario, now, hours: int) -> Scenario:
    """The scenario re-timed for a forecast: clock origin ``now``, no warm-up, ``hours`` long.

    Arrival profiles, dated multipliers, electives, shifts and planned capacity changes
    keep their calendar meaning (the simulator reads them against the new start).
    """
    now = _now(now)
    return scenario.model_copy(
        update={"start": now.to_pydatetime(), "warmup_days": 0.0, "horizon_days": _hours(hours) / 24.0}
    )


def class_mix(scenario: Scenario, *, waiting: bool = False) -> dict[str, dict[str, float]]:
    """Expected share of each patient class among the patients in each unit, in steady state.

    With ``waiting=True``: the shares among the requests from outside the hospital (external
    arrivals and planned admissions at their mean daily rates), the right prior for a patient
    waiting outside for a bed, whose class does not weigh by its length of stay; a unit with
    no requests from outside falls back to the census shares.

    From the traffic equations per class (external arrivals at their mean daily rate,
    electives at their weekly average, route probabilities) the arrival rate of class
    ``c`` into unit ``u`` is ``lambda_cu``; the class's share of the unit's census is
    proportional to its offered load ``lambda_cu x mean stay`` (Little's law; ED: plus
    the assessment). Used to give a class to snapshot patients whose class is unknown.
    A unit no class reaches gets equal shares among the classes that have a stay there.
    """
    units = list(scenario.units)
    idx = {u: i for i, u in enumerate(units)}
    n = len(units)
    classes = scenario.class_names()
    load = np.zeros((len(classes), n))
    ext_all = np.zeros((len(classes), n))  # requests from outside per day, by class and unit
    for ci, c in enumerate(classes):
        ext = ext_all[ci]
        for a in scenario.arrivals:
            share = a.classes().get(c, 0.0)
            ext[idx[a.unit]] += a.per_day * share
        for e in scenario.electives:
            if e.patient_class == c:
                ext[idx[e.unit]] += sum(e.per_weekday) / 7.0
        P = np.zeros((n, n))
        for u, dests in scenario.routes_for(c).items():
            for v, p in dests.items():
                if v != EXIT and p > 0:
                    P[idx[u], idx[v]] += p
        lam = np.linalg.solve((np.eye(n) - P).T, ext)
        for u in units:
            spec = scenario.stay_for(c, u)
            mean = spec.to_distribution().mean_h if spec is not None else 0.0
            ed = scenario.units[u].ed
            if ed is not None:
                mean += ed.assessment.to_distribution().mean_h
            load[ci, idx[u]] = max(lam[idx[u]], 0.0) * mean
    out: dict[str, dict[str, float]] = {}
    for u in units:
        col = load[:, idx[u]]
        if col.sum() > 0:
            out[u] = {c: float(x / col.sum()) for c, x in zip(classes, col, strict=True) if x > 0}
        else:
            able = [c for c in classes if scenario.stay_for(c, u) is not None or scenario.units[u].ed is not None]
            out[u] = {c: 1.0 / len(able) for c in able}
    if not waiting:
        return out
    out_w: dict[str, dict[str, float]] = {}
    for u in units:
        ok = np.array([scenario.stay_for(c, u) is not None or scenario.units[u].ed is not None for c in classes])
        col = np.where(ok, ext_all[:, idx[u]], 0.0)
        out_w[u] = (
            {c: float(x / col.sum()) for c, x in zip(classes, col, strict=True) if x > 0} if col.sum() > 0 else out[u]
        )
    return out_w


def initial_patients(scenario: Scenario, census: pd.DataFrame, now) -> pd.DataFrame:
    """The snapshot as simulator input: ``patient_id, unit, unit_idx, elapsed_h, pclass, ready, waiting, next_unit``.

    ``pclass`` is -1 where the class is unknown; ``ready`` is True where the snapshot's
    optional ``ready_to_leave`` is filled in (the patient's stay is over; it moves on at
    once), ``next_unit`` its destination where known (unit index, -1 exit, -9 unknown);
    ``waiting`` marks a patient not yet in a bed (``waiting_since``), whose ``elapsed_h``
    is the time it has waited; ``cancel_h`` the hours until such a planned admission is
    cancelled (see :func:`_cancel_h`; infinite for everyone else, NaN where it depends on the
    class drawn for a row of unknown class). A waiting row of unknown class whose
    ``arrival_source`` belongs to streams of a single class takes that class. ``pathway`` is the
    index of the discharge pathway a ready patient waits for in its bed (the snapshot's optional
    ``pathway`` column; -1 none given).

    The snapshot is validated against the scenario and ``now`` first
    (:func:`hospital_twin.live.census.validate_census`); rows come sorted by unit, elapsed
    time and patient id, so the forecast does not depend on the order of the file.
    """
    now = _now(now)
    snap = validate_census(census, scenario, now)
    units = list(scenario.units)
    classes = scenario.class_names()
    waiting = (
        snap[WAITING_COLUMN].notna().to_numpy() & snap["unit_start"].isna().to_numpy()
        if WAITING_COLUMN in snap.columns
        else np.zeros(len(snap), dtype=bool)
    )
    since = snap["unit_start"].where(~waiting, snap[WAITING_COLUMN] if WAITING_COLUMN in snap.columns else pd.NaT)
    elapsed = (now - since).dt.total_seconds().to_numpy() / 3600.0
    pclass = np.array([-1 if pd.isna(c) else classes.index(c) for c in snap["patient_class"]], dtype=np.int64)
    ready = snap[READY_COLUMN].notna().to_numpy() if READY_COLUMN in snap.columns else np.zeros(len(snap), dtype=bool)
    nxt = np.full(len(snap), _NEXT_UNKNOWN, dtype=np.int64)
    if NEXT_COLUMN in snap.columns:
        for i, v in enumerate(snap[NEXT_COLUMN].tolist()):
            if ready[i] and not pd.isna(v):
                nxt[i] = -1 if v == EXIT else units.index(v)
    out = pd.DataFrame(
        {
            "patient_id": snap["patient_id"].to_numpy(),
            "unit": snap["unit"].to_numpy(),
            "unit_idx": np.array([units.index(u) for u in snap["unit"]], dtype=np.int64),
            "elapsed_h": elapsed,
            "pclass": pclass,
            "ready": ready,
            "waiting": waiting,
            "next_unit": nxt,
            "ready_h": (
                np.where(ready, (now - snap[READY_COLUMN]).dt.total_seconds().to_numpy() / 3600.0, 0.0)
                if READY_COLUMN in snap.columns
                else np.zeros(len(snap))
            ),
            "seen_h": _seen_h(scenario, snap, now, ready | waiting),
        }
    )
    pw_names = list(scenario.discharge_pathways)
    # with a pathway column, a ready patient whose pathway is empty is known to take none (P0 if it goes
    # home: PATHWAY_NONE); without the column it is not known (-1: drawn by the shares)
    none = PATHWAY_NONE if PATHWAY_COLUMN in snap.columns and pw_names else -1
    out["pathway"] = np.array(
        [
            (pw_names.index(v) if not pd.isna(v) else none) if r else -1
            for v, r in zip(
                snap[PATHWAY_COLUMN] if PATHWAY_COLUMN in snap.columns else [pd.NA] * len(snap), ready, strict=True
            )
        ],
        dtype=np.int64,
    )
    out["pclass"] = _class_from_source(scenario, snap, waiting, out["pclass"].to_numpy())
    out["cancel_h"] = _cancel_h(scenario, snap, waiting, elapsed, out["pclass"].to_numpy())
    mix = class_mix(scenario)
    empty = [u for u in pd.unique(out.loc[out["pclass"] < 0, "unit"]) if not mix.get(u)]
    if empty:
        raise CensusError(
            [
                Issue(
                    "<census>",
                    None,
                    "patient_class",
                    f"unit '{u}': no patient class has a length of stay there, so a patient "
                    "without a class cannot be placed in it",
                )
                for u in empty
            ]
        )
    return out.sort_values(["waiting", "unit_idx", "elapsed_h", "patient_id"], kind="stable", ignore_index=True)


def _source_text(snap: pd.DataFrame) -> pd.Series | None:
    if SOURCE_COLUMN not in snap.columns:
        return None
    text = snap[SOURCE_COLUMN].astype("string").str.strip()
    return text.mask(text == "")


def _class_from_source(scenario: Scenario, snap: pd.DataFrame, waiting: np.ndarray, pclass: np.ndarray) -> np.ndarray:
    """A waiting row of unknown class whose ``arrival_source`` names streams of one class only gets that class."""
    src = _source_text(snap)
    pclass = pclass.copy()
    if src is None:
        return pclass
    classes = scenario.class_names()
    for i in np.flatnonzero(waiting & (pclass < 0)):
        source, unit = src.iloc[i], snap["unit"].iloc[i]
        if pd.isna(source):
            continue
        found = {e.patient_class for e in scenario.electives if e.unit == unit and e.source == source}
        for a in scenario.arrivals:
            if a.unit == unit and scenario.arrival_source(a) == source:
                found |= {c for c, p in a.classes().items() if p > 0}
        if len(found) == 1:
            pclass[i] = classes.index(found.pop())
    return pclass


def cancel_limits(scenario: Scenario) -> dict[tuple[int, int], float]:
    """``(unit index, class index) -> cancel_after_hours`` of the planned admissions (the longest, if several)."""
    units, classes = list(scenario.units), scenario.class_names()
    out: dict[tuple[int, int], float] = {}
    for e in scenario.electives:
        key = (units.index(e.unit), classes.index(e.patient_class))
        out[key] = max(out.get(key, 0.0), float(e.cancel_after_hours))
    return out


def _cancel_h(
    scenario: Scenario, snap: pd.DataFrame, waiting: np.ndarray, waited_h: np.ndarray, pclass: np.ndarray
) -> np.ndarray:
    """Hours from now until a waiting planned admission is cancelled, as the scenario's electives rule it.

    A waiting row is a planned admission of an elective stream when the stream admits to its
    unit, its class is the stream's and its ``arrival_source`` the stream's source (when the
    snapshot says). The request is withdrawn ``cancel_after_hours`` after it was made, so
    ``max(cancel_after_hours - waited, 0)`` from now; a row that fits several streams takes the
    longest wait they allow. A row of unknown class gets NaN: the forecast decides per
    replication from the class drawn for it (:func:`_replication`). Everyone else waits until a
    bed comes (infinite).
    """
    out = np.full(len(snap), np.inf)
    if not waiting.any() or not scenario.electives:
        return out
    src = _source_text(snap)
    classes = scenario.class_names()
    for i in np.flatnonzero(waiting):
        unit = snap["unit"].iloc[i]
        source = None if src is None or pd.isna(src.iloc[i]) else src.iloc[i]
        if pclass[i] < 0:
            out[i] = np.nan
            continue
        limits = [
            e.cancel_after_hours
            for e in scenario.electives
            if e.unit == unit and e.patient_class == classes[pclass[i]] and (source is None or e.source == source)
        ]
        if limits:
            out[i] = max(max(limits) - float(waited_h[i]), 0.0)
    return out


def _seen_h(scenario: Scenario, snap: pd.DataFrame, now: pd.Timestamp, moving: np.ndarray) -> np.ndarray:
    """``InitialPatient.seen_h`` per row: hours since an ED patient was seen, NOT_SEEN, or SEEN_UNKNOWN.

    Only with the snapshot's ``seen_at`` column, only for ED units, and not for patients already
    ready to leave or waiting for a bed (those are past, or before, the clinician).
    """
    out = np.full(len(snap), SEEN_UNKNOWN)
    if SEEN_COLUMN not in snap.columns:
        return out
    ed = snap["unit"].map(lambda u: scenario.units[u].ed is not None).to_numpy(dtype=bool) & ~moving
    seen = snap[SEEN_COLUMN]
    hours_since = (now - seen).dt.total_seconds().to_numpy() / 3600.0
    out[ed] = np.where(seen.notna().to_numpy()[ed], hours_since[ed], NOT_SEEN)
    return out


def _capacity_table(scenario: Scenario, now: pd.Timestamp, hours: int) -> np.ndarray:
    """Base beds per unit at ``now + k`` hours, after planned capacity changes."""
    times = pd.date_range(now, periods=hours + 1, freq="h")
    beds = np.zeros((len(scenario.units), hours + 1), dtype=np.int64)
    for i, spec in enumerate(scenario.units.values()):
        beds[i] = spec.beds
        for ch in sorted(spec.capacity_changes, key=lambda c: c.at):
            beds[i, times >= pd.Timestamp(ch.at)] = ch.beds
    return beds


# --------------------------------------------------------------------------- one replication
def _resolve_classes(
    rows: np.ndarray,
    unit_names: list[str],
    mix_cum: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]],
    seed: int,
    rep: int,
) -> np.ndarray:
    """Class index of every initial patient; unknown ones drawn from the unit's class mix (own stream per unit):
    the census mix for a patient in a bed, the mix of requests from outside for one waiting for a bed."""
    pclass = rows[:, _R_CLASS].astype(np.int64).copy()
    waiting = rows[:, _R_WAITING] > 0
    for w in (False, True):
        for ui in np.unique(rows[(pclass < 0) & (waiting == w), _R_UNIT].astype(np.int64)):
            sel = np.flatnonzero((rows[:, _R_UNIT] == ui) & (pclass < 0) & (waiting == w))
            name = f"class:{unit_names[ui]}" + ("/waiting" if w else "")
            u = _rng.stream(seed, rep, "initial_census", name).random(len(sel))
            cum, cls = mix_cum[(int(ui), w)]
            pclass[sel] = cls[np.minimum(np.searchsorted(cum, u, side="right"), len(cls) - 1)]
    return pclass


def _hour_bins(t: np.ndarray, unit: np.ndarray, n_units: int, hours: int) -> np.ndarray:
    """Counts per unit of events at times ``t`` in each hour ``[k, k+1)``, k = 0..hours-1."""
    ok = (t >= 0) & (t < hours)
    k = np.floor(t[ok]).astype(np.int64)
    out = np.zeros((n_units, hours), dtype=np.int32)
    np.add.at(out, (unit[ok], k), 1)
    return out


def _interval_counts(a: np.ndarray, b: np.ndarray, unit: np.ndarray, n_units: int, hours: int) -> np.ndarray:
    """Per unit and whole hour k = 0..hours: intervals with ``a <= k < b`` (b nan: still open)."""
    g = hours + 1
    diff = np.zeros((n_units, g + 1), dtype=np.int64)
    i_a = np.clip(np.ceil(a - 1e-12), 0, g).astype(np.int64)
    np.add.at(diff, (unit, i_a), 1)
    closed = ~np.isnan(b)
    i_b = np.clip(np.ceil(b[closed] - 1e-12), 0, g).astype(np.int64)
    np.add.at(diff, (unit[closed], i_b), -1)
    return np.cumsum(diff, axis=1)[:, :g].astype(np.int32)


def _route_targets(scenario: Scenario) -> set[tuple[int, int, int]]:
    """``(class, unit, destination)`` index triples the routes allow (destination -1: exit)."""
    units = list(scenario.units)
    out = set()
    for ci, c in enumerate(scenario.class_names()):
        routes = scenario.routes_for(c)
        for ui, u in enumerate(units):
            dests = routes.get(u) or {EXIT: 1.0}
            out |= {(ci, ui, -1 if d == EXIT else units.index(d)) for d, p in dests.items() if p > 0}
    return out


def _replication(
    scenario: Scenario,
    rep: int,
    seed: int,
    rows: np.ndarray,
    mix_cum: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]],
    hours: int,
    ignore_elapsed: bool,
    targets: set[tuple[int, int, int]] | None = None,
    vacated: np.ndarray | None = None,
) -> dict:
    """One warm-started replication, reduced to hourly arrays (small enough to send between processes).

    ``vacated``: (unit index, hours since the bed was vacated, certain) rows of beds that may still be being
    cleaned (see :func:`_vacated_rows`).
    """
    unit_names = list(scenario.units)
    rows = rows.reshape(-1, len(_ROW_COLUMNS))
    pclass = _resolve_classes(rows, unit_names, mix_cum, seed, rep) if len(rows) else np.zeros(0, np.int64)
    waiting = rows[:, _R_WAITING] > 0
    elapsed = np.where(waiting, rows[:, _R_ELAPSED], 0.0) if ignore_elapsed else rows[:, _R_ELAPSED]
    ready = np.zeros(len(rows), dtype=bool) if ignore_elapsed else rows[:, _R_READY] > 0
    nxt = rows[:, _R_NEXT].astype(np.int64) if not ignore_elapsed else np.full(len(rows), _NEXT_UNKNOWN)
    ready_h = np.where(ready, rows[:, _R_READY_H], 0.0)
    seen_h = np.full(len(rows), SEEN_UNKNOWN) if ignore_elapsed else rows[:, _R_SEEN_H]
    cancel_h = rows[:, _R_CANCEL_H].copy()
    pathway = np.full(len(rows), -1, np.int64) if ignore_elapsed else rows[:, _R_PATHWAY].astype(np.int64)
    decide = np.isnan(cancel_h)  # waiting, class unknown: cancelled as its drawn class would be
    if decide.any():
        limits = cancel_limits(scenario)
        for i in np.flatnonzero(decide):
            lim = limits.get((int(rows[i, _R_UNIT]), int(pclass[i])))
            cancel_h[i] = np.inf if lim is None else max(lim - float(rows[i, _R_ELAPSED]), 0.0)
    initial = []
    for u, e, c, r, w, d, rh, sh, ch, k in zip(
        rows[:, _R_UNIT].astype(np.int64),
        elapsed,
        pclass,
        ready,
        waiting,
        nxt,
        ready_h,
        seen_h,
        cancel_h,
        pathway,
        strict=True,
    ):
        if d != _NEXT_UNKNOWN and targets is not None and (int(c), int(u), int(d)) not in targets:
            d = _NEXT_UNKNOWN  # a class drawn for an unknown one that does not go there: draw the route
        if k >= 0:
            d = _NEXT_UNKNOWN  # on a pathway: it leaves the hospital through it
        initial.append(
            InitialPatient(int(u), float(e), int(c), bool(r), bool(w), int(d), float(rh), float(sh), float(ch), int(k))
        )
    n_in_bed = int((~waiting).sum())
    sim = HospitalSim(
        scenario,
        rep,
        seed,
        initial_patients=initial,
        initial_vacated=None if vacated is None else [(int(u), float(e), bool(c)) for u, e, c in vacated],
    )
    out = sim.run()
    S = out.stays
    n = len(unit_names)
    unit = S[:, _F["unit"]].astype(np.int64)
    start, end, ready_h, dest = S[:, _F["start"]], S[:, _F["end"]], S[:, _F["ready_h"]], S[:, _F["dest"]]
    source = S[:, _F["source"]].astype(np.int64)
    census_src = out.source_names.index(CENSUS_SOURCE) if CENSUS_SOURCE in out.source_names else -1
    # the snapshot's patients in their beds are created first (ids 0..n_in_bed-1); everything else
    # (arrivals, transfers, snapshot patients who were waiting for a bed) is an admission to its unit
    new = ~((source == census_src) & (S[:, _F["patient"]] < n_in_bed))
    n_ext = len(out.source_names) - len(unit_names)
    ended = ~np.isnan(end)
    is_ed = np.array([spec.ed is not None for spec in scenario.units.values()])
    inpatient = np.array([spec.ed is None and spec.kind != "ed" for spec in scenario.units.values()])
    # a stay entering an inpatient unit from outside them: from outside the hospital or from a non-inpatient unit
    prev = np.where(source >= n_ext, source - n_ext, -1)
    from_outside = new & inpatient[unit] & ((prev < 0) | ~inpatient[np.maximum(prev, 0)])
    boarding_rows = is_ed[unit] & ~np.isnan(ready_h) & (dest >= 0)
    leave = ended & (dest < 0)
    census = _interval_counts(start, end, unit, n, hours)
    # hour 0 is the snapshot itself, before ready patients move on at time 0
    census[:, 0] = np.bincount(rows[~waiting, _R_UNIT].astype(np.int64), minlength=n) if len(rows) else 0
    nctr = {}
    if scenario.discharge_pathways:
        nctr = _nctr_counts(S, n, len(scenario.discharge_pathways), hours)
    return {
        **nctr,
        "rep": rep,
        "census": census,
        "admissions": _hour_bins(start[new], unit[new], n, hours),
        "departures": _hour_bins(end[ended], unit[ended], n, hours),
        "discharges": _hour_bins(end[leave], unit[leave], n, hours),
        "boarding": _interval_counts(ready_h[boarding_rows], end[boarding_rows], unit[boarding_rows], n, hours),
        "hospital_admissions": _hour_bins(start[from_outside], np.zeros(int(from_outside.sum()), np.int64), 1, hours)[
            0
        ],
        "over_capacity": out.extra.get("initial_over_capacity", [0] * n),
        "delayed_discharge": out.extra.get("initial_delayed_discharge", [0] * n),
    }


def _nctr_counts(S: np.ndarray, n_units: int, n_pathways: int, hours: int) -> dict[str, np.ndarray]:
    """Patients on a discharge pathway in a bed (NCTR: from ready to leaving) per unit and per pathway, per hour.

    Hour 0 is the snapshot: every stay on a pathway ready by time 0 that had not left before it
    (a pool with a free place starts such a patient at once).
    """
    dest, ready_h, end = S[:, _F["dest"]], S[:, _F["ready_h"]], S[:, _F["end"]]
    on = (dest <= PATHWAY_DEST0) & ~np.isnan(ready_h)
    unit = S[on, _F["unit"]].astype(np.int64)
    k = (PATHWAY_DEST0 - dest[on]).astype(np.int64)
    a, b = ready_h[on], end[on]
    at0 = (a <= 0) & (np.isnan(b) | (b >= 0))
    by_unit = _interval_counts(a, b, unit, n_units, hours)
    by_unit[:, 0] = np.bincount(unit[at0], minlength=n_units)
    by_pathway = _interval_counts(a, b, k, n_pathways, hours)
    by_pathway[:, 0] = np.bincount(k[at0], minlength=n_pathways)
    return {"nctr": by_unit, "nctr_pathway": by_pathway}


# --------------------------------------------------------------------------- summaries
def _quantiles(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
    return q[0], q[1], q[2]


def _hourly(
    units: list[str],
    now: pd.Timestamp,
    hours: int,
    census: np.ndarray,
    beds: np.ndarray,
    inpatient: np.ndarray,
    is_ed: np.ndarray,
    admissions: np.ndarray,
    departures: np.ndarray,
    discharges: np.ndarray,
    boarding: np.ndarray,
    hospital_admissions: np.ndarray,
) -> pd.DataFrame:
    times = pd.date_range(now, periods=hours + 1, freq="h")
    k = np.arange(hours + 1)
    reps = census.shape[0]

    def flow(a: np.ndarray) -> np.ndarray:  # mean per hour, nan for the last row (no hour after the horizon)
        if reps == 0 or a.size == 0 or np.isnan(a).all():
            return np.full(hours + 1, np.nan)
        return np.append(a.mean(axis=0), np.nan)

    frames = []

    def add(name: str, c: np.ndarray, b: np.ndarray, adm, dep, dis, board) -> None:
        p05, p50, p95 = _quantiles(c)
        frames.append(
            pd.DataFrame(
                {
                    "time": times,
                    "unit": name,
                    "mean": c.mean(axis=0),
                    "p05": p05,
                    "p50": p50,
                    "p95": p95,
                    "p_full": (c >= b[None, :]).mean(axis=0),
                    "horizon_h": k,
                    "sd": c.std(axis=0, ddof=1) if reps > 1 else np.nan,
                    "beds": b,
                    "admissions": adm,
                    "departures": dep,
                    "discharges": dis,
                    "boarding_mean": board.mean(axis=0) if board is not None else np.nan,
                    "boarding_p95": np.quantile(board, 0.95, axis=0) if board is not None else np.nan,
                }
            )
        )

    for ui, name in enumerate(units):
        add(
            name,
            census[:, ui].astype(float),
            beds[ui],
            flow(admissions[:, ui]),
            flow(departures[:, ui]),
            flow(discharges[:, ui]),
            boarding[:, ui].astype(float) if is_ed[ui] else None,
        )
    if inpatient.any():
        add(
            ALL,
            census[:, inpatient].sum(axis=1).astype(float),
            beds[inpatient].sum(axis=0),
            flow(hospital_admissions),
            np.full(hours + 1, np.nan),
            flow(discharges[:, inpatient].sum(axis=1)),
            None,
        )
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = out["unit"].astype("string")
    return out


def _initial_table(scenario: Scenario, rows: pd.DataFrame) -> pd.DataFrame:
    rec = []
    for name, spec in scenario.units.items():
        everyone = rows[rows["unit"] == name]
        r = everyone[~everyone["waiting"]]
        rec.append(
            {
                "unit": name,
                "beds": spec.beds,
                "patients": len(r),
                "over_capacity": max(len(r) - spec.beds, 0),
                "waiting": int(everyone["waiting"].sum()),
                "class_inferred": int((everyone["pclass"] < 0).sum()),
                "ready": int(r["ready"].sum()),
                "elapsed_mean_h": float(r["elapsed_h"].mean()) if len(r) else math.nan,
                "elapsed_max_h": float(r["elapsed_h"].max()) if len(r) else math.nan,
            }
        )
        if scenario.discharge_pathways:  # patients waiting in their bed for a pathway the snapshot names
            rec[-1]["nctr"] = int((r["pathway"] >= 0).sum())
    return pd.DataFrame(rec)


# --------------------------------------------------------------------------- public entry points
def forecast(
    scenario: Scenario,
    census: pd.DataFrame,
    now,
    hours: int,
    replications: int = 200,
    seed: int | None = None,
    workers: int = 1,
    *,
    ignore_elapsed: bool = False,
    executor=None,
    vacated: pd.DataFrame | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Forecast:
    """Forecast the census of every unit for the next ``hours`` from a snapshot taken at ``now``.

    ``census`` is a snapshot (``patient_id, unit, unit_start[, patient_class,
    admitted_at]``; see :mod:`hospital_twin.live.census`); it is validated against the
    scenario and ``now`` (:class:`~hospital_twin.live.census.CensusError` lists every bad row).
    Each replication places the snapshot's patients in their beds with their remaining
    stays (``HospitalSim(initial_patients=...)``) and runs the scenario from ``now``
    (:func:`forecast_scenario`). Patients without a class get one drawn from the
    unit's class mix (:func:`class_mix`) in every replication.

    ``ignore_elapsed=True`` gives every patient present a fresh stay, ignoring elapsed
    time and ``ready_to_leave`` (the comparison for a back-test). ``seed`` defaults to
    the scenario's. ``workers`` > 1 (or an ``executor``) runs replications in parallel;
    the forecast is the same.

    ``vacated`` (``unit, vacated_at``: beds whose patient left shortly before ``now``, e.g.
    :func:`hospital_twin.live.census.vacated_beds`) lets each replication decide which of the
    beds free at ``now`` are still being cleaned (the unit's turnaround given the time since;
    see :func:`_vacated_rows`); without it every free bed is ready at ``now``.
    ``on_progress(done, total)`` is called as replications finish.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    now = _now(now)
    hours = _hours(hours)
    seed = scenario.seed if seed is None else int(seed)
    rows = initial_patients(scenario, census, now)
    sc = forecast_scenario(scenario, now, hours)
    mix_cum = _class_mix_table(sc)
    arr = rows[_ROW_COLUMNS].to_numpy(dtype=float)
    targets = _route_targets(sc)
    vac = _vacated_rows(sc, vacated, now, rows)
    started = dt.datetime.now(dt.UTC)
    t0 = _time.perf_counter()
    own = executor is None
    if executor is None:
        executor = make_executor(min(workers, replications))
    tasks = [(sc, rep, seed, arr, mix_cum, hours, ignore_elapsed, targets, vac) for rep in range(replications)]
    results: list[dict] = []
    try:
        for _i, res in executor.map_unordered(_replication, tasks):
            results.append(res)
            if on_progress is not None:
                on_progress(len(results), replications)
    finally:
        if own:
            executor.close()
    results.sort(key=lambda r: r["rep"])
    method = "fresh_stays" if ignore_elapsed else "warm_start"
    return _assemble(
        sc,
        results,
        rows,
        now,
        hours,
        scenario_name=scenario.name,
        method=method,
        provenance={
            "scenario": scenario.name,
            "method": method,
            "now": now.isoformat(),
            "hours": hours,
            "replications": replications,
            "seed": seed,
            "executor": executor.description,
            "snapshot_patients": int((~rows["waiting"]).sum()),
            "snapshot_waiting": int(rows["waiting"].sum()),
            "classes_inferred": int((rows["pclass"] < 0).sum()),
            "package_version": __version__,
            "started_at": started.isoformat(),
            "elapsed_s": round(_time.perf_counter() - t0, 3),
        },
    )


def _class_mix_table(sc: Scenario) -> dict:
    """(unit index, waiting) -> cumulative class shares and class indices, for patients of unknown class."""
    units, classes = list(sc.units), sc.class_names()
    mix_cum = {}
    for w in (False, True):
        mix = class_mix(sc, waiting=w)
        for ui, u in enumerate(units):
            shares = mix.get(u) or {}
            if shares:
                p = np.array(list(shares.values()))
                mix_cum[(ui, w)] = (
                    np.cumsum(p) / p.sum(),
                    np.array([classes.index(c) for c in shares], dtype=np.int64),
                )
    return mix_cum


def _assemble(sc: Scenario, results: list[dict], rows: pd.DataFrame, now, hours: int, **about) -> Forecast:
    """The replications' hourly arrays stacked, the hourly table and the snapshot table, as a :class:`Forecast`."""
    units = list(sc.units)
    stack = {
        k: np.stack([r[k] for r in results])
        for k in ("census", "admissions", "departures", "discharges", "boarding", "hospital_admissions")
    }
    beds = _capacity_table(sc, now, hours)
    is_ed = np.array([spec.ed is not None for spec in sc.units.values()])
    inpatient = np.array([spec.ed is None and spec.kind != "ed" for spec in sc.units.values()])
    hourly = _hourly(
        units,
        now,
        hours,
        stack["census"],
        beds,
        inpatient,
        is_ed,
        stack["admissions"],
        stack["departures"],
        stack["discharges"],
        stack["boarding"],
        stack["hospital_admissions"],
    )
    initial = _initial_table(sc, rows)
    # ready patients held longer than the discharge rule ever holds anyone (delayed discharges): they
    # leave by the rule from now; mean count over replications (a class drawn per replication may vary)
    initial["delayed_discharge"] = np.mean([r["delayed_discharge"] for r in results], axis=0) if results else 0.0
    pathways = list(sc.discharge_pathways)
    if pathways and results:
        about["pathways"] = pathways
        about["nctr"] = np.stack([r["nctr"] for r in results])
        about["nctr_pathway"] = np.stack([r["nctr_pathway"] for r in results])
    return Forecast(
        now=now,
        hours=hours,
        units=units,
        beds=beds,
        inpatient=inpatient,
        is_ed=is_ed,
        census=stack["census"],
        admissions=stack["admissions"],
        departures=stack["departures"],
        discharges=stack["discharges"],
        boarding=stack["boarding"],
        hospital_admissions=stack["hospital_admissions"],
        initial=initial,
        hourly=hourly,
        **about,
    )


def _vacated_rows(
    scenario: Scenario, vacated: pd.DataFrame | None, now: pd.Timestamp, rows: pd.DataFrame
) -> np.ndarray | None:
    """``vacated`` as (unit index, hours since, certain) rows for ``HospitalSim(initial_vacated=)``.

    Only beds that are free now can be being cleaned: per unit, the ``beds - patients in a bed``
    most recently vacated (the earlier ones were taken again since, cleaned beds going first).
    In a unit with patients waiting for it (snapshot rows waiting there, or ready elsewhere with
    it as ``next_unit``) every free bed must be one being cleaned, so those are certain.
    Units not in the scenario or times after ``now`` are refused.
    """
    if vacated is None or len(vacated) == 0:
        return None
    units = list(scenario.units)
    unknown = sorted(set(vacated["unit"].astype(str)) - set(units))
    if unknown:
        raise CensusError([Issue("<vacated beds>", None, "unit", f"unknown unit '{u}'") for u in unknown])
    at = pd.to_datetime(vacated["vacated_at"])
    if (at > now).any():
        raise CensusError([Issue("<vacated beds>", None, "vacated_at", f"a bed vacated after now ({now.isoformat()})")])
    since = (now - at).dt.total_seconds().to_numpy() / 3600.0
    idx = np.array([units.index(u) for u in vacated["unit"].astype(str)], dtype=np.int64)
    beds = _capacity_table(scenario, now, 0)[:, 0]
    in_bed = np.bincount(rows.loc[~rows["waiting"], "unit_idx"].to_numpy(dtype=np.int64), minlength=len(units))
    queued = np.bincount(rows.loc[rows["waiting"], "unit_idx"].to_numpy(dtype=np.int64), minlength=len(units))
    moving = rows.loc[rows["ready"] & (rows["next_unit"] >= 0), "next_unit"].to_numpy(dtype=np.int64)
    queued += np.bincount(moving, minlength=len(units))
    out = []
    for ui in np.unique(idx):
        free = int(max(beds[ui] - in_bed[ui], 0))
        recent = np.sort(since[idx == ui])[:free]  # the most recently vacated first
        out += [(float(ui), float(e), float(queued[ui] > 0)) for e in recent]
    return np.array(out, dtype=float).reshape(-1, 3) if out else None


def persistence_forecast(scenario: Scenario, census: pd.DataFrame, now, hours: int) -> Forecast:
    """The naive reference: every unit keeps the census of the snapshot for the next ``hours``.

    Mean, percentiles and census are the snapshot count at every hour; ``p_full`` is 0 or
    1; flows are unknown (nan). A useful forecast must beat it at the horizons that matter.
    """
    now = _now(now)
    hours = _hours(hours)
    rows = initial_patients(scenario, census, now)
    sc = forecast_scenario(scenario, now, hours)
    units = list(sc.units)
    counts = np.bincount(rows.loc[~rows["waiting"], "unit_idx"].to_numpy(), minlength=len(units))
    cen = np.repeat(counts[None, :, None], hours + 1, axis=2).astype(np.int32)
    nan_flows = np.full((1, len(units), hours), np.nan)
    beds = _capacity_table(sc, now, hours)
    is_ed = np.array([spec.ed is not None for spec in sc.units.values()])
    inpatient = np.array([spec.ed is None and spec.kind != "ed" for spec in sc.units.values()])
    boarding = np.zeros((1, len(units), hours + 1), dtype=np.int32)
    hosp = np.full((1, hours), np.nan)
    hourly = _hourly(units, now, hours, cen, beds, inpatient, is_ed, nan_flows, nan_flows, nan_flows, boarding, hosp)
    hourly[["boarding_mean", "boarding_p95"]] = np.nan
    return Forecast(
        scenario_name=scenario.name,
        method="persistence",
        now=now,
        hours=hours,
        units=units,
        beds=beds,
        inpatient=inpatient,
        is_ed=is_ed,
        census=cen,
        admissions=nan_flows,
        departures=nan_flows,
        discharges=nan_flows,
        boarding=boarding,
        hospital_admissions=hosp,
        initial=_initial_table(sc, rows),
        hourly=hourly,
        provenance={
            "scenario": scenario.name,
            "method": "persistence",
            "now": now.isoformat(),
            "hours": hours,
            "replications": 0,
            "snapshot_patients": int((~rows["waiting"]).sum()),
            "package_version": __version__,
        },
    )


def forecast_table(fc: Forecast, *, include_all: bool = True) -> pd.DataFrame:
    """``forecast.csv``: ``time, unit, mean, p05, p50, p95, p_full`` (hourly; time ISO 8601), then extras.

    Extras: ``horizon_h``, ``sd``, ``beds`` (base beds that hour), ``admissions``,
    ``departures`` and ``discharges`` (expected number in the hour starting at ``time``;
    empty at the last hour), ``boarding_mean``/``boarding_p95`` (ED units: patients with
    a decision to admit waiting for a bed). ``unit`` ``ALL`` is the inpatient units
    together (its admissions are admissions to them from outside, its discharges
    patients leaving the hospital from them).
    """
    h = fc.hourly if include_all else fc.hourly[fc.hourly["unit"] != ALL]
    out = h.copy()
    out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    rest = [c for c in out.columns if c not in FORECAST_COLUMNS]
    return out[FORECAST_COLUMNS + rest].reset_index(drop=True)


def nctr_table(fc: Forecast) -> pd.DataFrame | None:
    """``forecast_nctr.csv``: patients on a discharge pathway in a bed (NCTR), hourly; None without pathways.

    Columns :data:`NCTR_COLUMNS`: ``time`` (ISO 8601), ``horizon_h``, ``unit``, ``pathway``, then the
    mean and the 5th, 50th and 95th percentiles over the replications, as for the census. Rows:
    each unit (``pathway`` ``ALL``: patients in its beds on any pathway), ``unit`` ``ALL`` (the
    inpatient units together, as in ``forecast.csv``), and each pathway (``unit`` ``ALL``: its
    patients in any bed). Hour 0 is the snapshot as the replications read it (patients given a
    pathway, and ready patients without one who drew one at once).
    """
    if fc.nctr is None or fc.nctr_pathway is None:
        return None
    times = fc.times.strftime("%Y-%m-%dT%H:%M:%S")
    k = np.arange(fc.hours + 1)
    frames = []

    def add(unit: str, pathway: str, c: np.ndarray) -> None:
        p05, p50, p95 = _quantiles(c)
        frames.append(
            pd.DataFrame(
                {
                    "time": times,
                    "horizon_h": k,
                    "unit": unit,
                    "pathway": pathway,
                    "mean": c.mean(axis=0),
                    "p05": p05,
                    "p50": p50,
                    "p95": p95,
                }
            )
        )

    for ui, name in enumerate(fc.units):
        add(name, ALL, fc.nctr[:, ui].astype(float))
    if fc.inpatient.any():
        add(ALL, ALL, fc.nctr[:, fc.inpatient].sum(axis=1).astype(float))
    for j, name in enumerate(fc.pathways):
        add(ALL, name, fc.nctr_pathway[:, j].astype(float))
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = out["unit"].astype("string")
    out["pathway"] = out["pathway"].astype("string")
    return out[NCTR_COLUMNS]


def forecast_errors(fc: Forecast, actual: pd.DataFrame) -> pd.DataFrame:
    """A forecast next to what happened: one row per unit and hour with an observation.

    ``actual`` has ``time, unit, census`` (e.g. ``census_counts(log, fc.times)``). Adds
    ``error = mean - census``, ``abs_error``, ``covered`` (p05 <= census <= p95) and
    ``pit`` (share of replications below the observation plus half of those equal to
    it: uniform on [0, 1] for a calibrated forecast) and ``mad`` (mean absolute
    deviation of the replications from their mean: the absolute error the forecast
    expects of itself). Aggregate by ``horizon_h`` and ``unit`` for the back-test.
    """
    act = actual[["time", "unit", "census"]].copy()
    act["time"] = pd.to_datetime(act["time"])
    act["unit"] = act["unit"].astype("string")
    h = fc.hourly.merge(act, on=["time", "unit"], how="inner")
    h["error"] = h["mean"] - h["census"]
    h["abs_error"] = h["error"].abs()
    h["covered"] = (h["p05"] <= h["census"]) & (h["census"] <= h["p95"])
    pit = np.full(len(h), np.nan)
    mad = np.full(len(h), np.nan)
    unit_idx = {u: i for i, u in enumerate(fc.units)}
    for j, (u, k, y) in enumerate(zip(h["unit"], h["horizon_h"], h["census"], strict=True)):
        if u in unit_idx:
            c = fc.census[:, unit_idx[u], int(k)]
        elif u == ALL:
            c = fc.census[:, fc.inpatient, int(k)].sum(axis=1)
        else:
            continue
        pit[j] = float((c < y).mean() + 0.5 * (c == y).mean())
        mad[j] = float(np.abs(c - c.mean()).mean())
    h["pit"] = pit
    h["mad"] = mad
    cols = [
        "time",
        "horizon_h",
        "unit",
        "census",
        "mean",
        "p05",
        "p50",
        "p95",
        "error",
        "abs_error",
        "covered",
        "pit",
        "mad",
    ]
    return h[cols]
