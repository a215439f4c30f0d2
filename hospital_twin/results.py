"""From raw simulation records to tidy tables: the event log, hourly census, KPIs, summaries.

Every KPI is measured over the observation window ``[warmup_h, end_h)``. Patient
counts (``arrivals``, ``admitted``, ``rejected``, waits) count a request for a bed by
the time the patient asked for it (``ready_at``), so that for every unit
``arrivals = admitted + rejected + cancelled + still_waiting`` holds exactly.
Time averages (occupancy, blocked bed hours) integrate over the window.

Unit ``ALL`` is the hospital's inpatient units (every unit that is not an emergency
department), and every metric on it is about one population, inpatient admissions, so
that Little's law holds on the ``ALL`` rows (``occupancy_mean = admitted / window_h x
los_mean_h`` up to edge effects of the window):

* ``arrivals``: requests for an inpatient bed from outside the inpatient units: external
  arrivals and electives at an inpatient unit, and emergency department patients with a
  decision to admit asking for an inpatient bed; ``admitted``: inpatient admissions (the
  first inpatient stay of a spell); ``rejected``, ``cancelled``, ``still_waiting``: the
  same requests turned away, cancelled or still waiting at the end, so that
  ``arrivals = admitted + rejected + cancelled + still_waiting`` holds on ``ALL`` too;
* waits: of admissions, for their first inpatient bed (for an ED patient, the boarding
  time from the decision to admit); transfers between inpatient units are within a spell;
* ``occupancy_*``, ``utilisation``, ``blocked_bed_hours``, ``discharge_delay_bed_hours``:
  inpatient beds; ``los_mean_h``: the inpatient spell (first inpatient bed to leaving the
  inpatient units) of spells that ended, asked for after the warm-up.

Emergency department attendances are not inpatient admissions: they have their own
metric ``ed_attendances`` (per ED and on ``ALL``, the departments together).

Metric catalogue (name: meaning, units) is ``METRICS``; ``METRIC_LABELS`` gives
display labels. This module does no simulation and no file I/O.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hospital_twin._lazy import lazy_module
from hospital_twin.scenario.schema import ESCALATION_ACTIONS
from hospital_twin.sim.pathways import PATHWAY_DEST0, pathway_code
from hospital_twin.sim.records import STAY_FIELDS, SimOutput

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    import pandas as pd
    from scipy import special
else:
    pd = lazy_module("pandas", globals(), "pd")
    special = lazy_module("scipy.special", globals(), "special")

__all__ = [
    "METRICS",
    "ADT_COLUMNS",
    "ALL",
    "adt_log",
    "census",
    "REQUEST_COLUMNS",
    "unmet_requests",
    "rep_kpis",
    "summarise",
    "GRIDLOCK_RULE",
    "GRIDLOCK_SHARE_OF_BEDS",
    "GRIDLOCK_STRETCH_H",
    "bed_queue_path",
    "gridlock_hours",
    "gridlock_threshold",
    "waiting_path",
    "escalation_hours",
    "escalation_path",
    "ambulance_handovers",
    "AMBULANCE_HANDOVER_LIMITS_MIN",
]

ALL = "ALL"

# ---- runaway (gridlock) rule on the number of patients waiting for an inpatient bed
GRIDLOCK_STRETCH_H = 48.0
"""A replication is gridlocked when the bed queue stays above the threshold for more than this many hours."""
GRIDLOCK_SHARE_OF_BEDS = 0.15
"""The threshold: this share of the inpatient units' base beds (at least 1 patient)."""
GRIDLOCK_RULE = (
    "more patients waiting for an inpatient bed (ED boarders, transfers, admissions from outside) than "
    f"{GRIDLOCK_SHARE_OF_BEDS:.0%} of the inpatient beds for more than {GRIDLOCK_STRETCH_H:.0f} h at a stretch"
)
"""The runaway rule in words, for tables and reports."""

METRICS: dict[str, str] = {
    "arrivals": "requests for a bed, by the time they asked; for ALL, requests for an inpatient bed from "
    "outside the inpatient units (external arrivals and electives at inpatient units, ED patients with a "
    "decision to admit); count",
    "admitted": "requests that got a bed; for ALL, inpatient admissions (first inpatient stay of a spell); count",
    "rejected": "turned away because the unit was full (when_full or transfers_when_full: reject); count",
    "rejected_share": "rejected / arrivals",
    "cancelled": "elective admissions cancelled for want of a bed; count",
    "cancelled_share": "cancelled / elective arrivals (with rebooking: bookings and rebooked requests)",
    "still_waiting": "requests still waiting for a bed at the end of the run; count",
    "occupancy_mean": "time-average occupied beds",
    "occupancy_p95": "95th percentile of occupied beds over time",
    "utilisation": "occupancy_mean / base beds",
    "waited_share": "share of the unit's own patients who waited for a bed (in the unit, or as outliers in "
    "another unit's bed), over those who got one and those still waiting at the end (who all waited; ALL: "
    "inpatient admissions, for their first inpatient bed)",
    "wait_for_bed_mean_h": "mean wait of the unit's own patients for a bed (in the unit, or as outliers in "
    "another unit's bed: an outlier's wait counts for its home unit, not the host), zeros included, over those who "
    "got one and those still waiting at the end, whose wait so far counts (a censored value, so a lower bound) "
    "(ALL: inpatient admissions, for their first inpatient bed; from the ED that is the boarding time); hours",
    "wait_for_bed_p95_h": "95th percentile of the wait of the unit's own patients for a bed (in the unit or as "
    "outliers elsewhere), zeros included, over those who got one and those still waiting at the end with their "
    "wait so far (censored) (ALL: inpatient admissions); hours",
    "unserved_share": "asked for a bed and neither got one nor left (rejected, cancelled) by the end: "
    "still_waiting / arrivals",
    "los_mean_h": "mean time in the unit (start to end) of completed stays; for ALL the inpatient spell "
    "(first inpatient bed to leaving the inpatient units); hours",
    "blocked_bed_hours": "bed-hours held by patients whose stay ended, waiting for a bed in the next unit",
    "discharge_delay_bed_hours": "bed-hours held by patients whose stay ended, waiting for the discharge window",
    "escalation_beds_open_mean": "time-average escalation beds open",
    "ratio_breach_hours": "hours in which patients exceeded nurses x patients_per_nurse",
    "ratio_breach_share": "ratio_breach_hours / hours observed",
    "ed_attendances": "ED: arrivals at the emergency department from outside the hospital (ALL: every "
    "emergency department); count",
    "ed_time_in_dept_mean_h": "ED: mean time from arrival to leaving the department, over every attendance: "
    "those who left before being seen (from a cubicle or from the queue for one) count with their time until "
    "they left, those still in the department at the end with their time so far (censored); hours",
    "ed_4h_breach_share": "ED: share of attendances spending more than 4 h in the department, over every "
    "attendance: those who left before being seen count with their time until they left, those still in the "
    "department at the end with their time so far (censored)",
    "ed_12h_breach_share": "ED: share of attendances spending more than 12 h in the department, over every "
    "attendance: those who left before being seen count with their time until they left, those still in the "
    "department at the end with their time so far (censored)",
    "ed_time_to_clinician_mean_h": "ED: mean time from arrival to the start of the assessment, over every "
    "attendance: those who left before being seen count with their wait until they left and those not yet "
    "seen at the end with their wait so far (both censored, so the mean is a lower bound); hours",
    "ed_admitted_share": "ED: share of attendances with a decision to admit",
    "ed_boarding_mean_h": "ED: mean time from decision to admit to leaving for a bed; patients still boarding at "
    "the end count with their time so far (censored); hours",
    "ed_dta_12h_waits": "ED: decisions to admit waiting more than 12 h for a bed ('trolley waits'), those still "
    "waiting at the end included (censored); count",
    "ed_dta_4h_share": "ED: share of decisions to admit waiting more than 4 h from the decision to leaving the "
    "department for a bed, those still waiting at the end included (censored)",
    "outlier_admissions": "requests for a bed in the unit placed in another unit's bed (outlying) because the unit "
    "had none, by the time they asked; unit = home unit (ALL: every unit); count",
    "outlier_share": "outlier_admissions / beds granted to the unit's requests (its own beds or a host's; "
    "repatriations not counted); unit = home unit",
    "outlier_bed_days": "days spent by the unit's patients in other units' beds as outliers; unit = home unit",
    "repatriations": "outliers moved back to a freed bed of their home unit; unit = home unit; count",
    "outliers_hosted_mean": "time-average outliers of other units in this unit's beds (included in its "
    "occupancy); unit = host unit",
    "left_without_being_seen": "ED (streams with patience): attendances that left before a clinician started "
    "their assessment, from a cubicle or from the queue for one (ALL: every emergency department); count",
    "left_without_being_seen_share": "ED: left_without_being_seen / ed_attendances",
    "elective_rebooked": "cancellations of electives (lists with rebook_after_days) followed by a new date; count",
    "elective_cancelled_final": "cancellations not followed by a new date (cancelled for good): cancelled - "
    "elective_rebooked; count",
    "elective_rebook_pending": "rebookings (counted in elective_rebooked) whose new date falls after the end of "
    "the run: patients still waiting for their new date; booked = admitted + cancelled for good + still waiting + "
    "pending; count",
    "lounge_uses": "discharge lounge (unit = the lounge's name): patients who moved there from their bed to wait "
    "for their departure; count",
    "lounge_share": "discharge lounge: share of the patients held by the discharge rule in the units it serves "
    "who waited in the lounge (by the time they were ready)",
    "lounge_occupancy_mean": "discharge lounge: time-average places occupied (places are not beds: in no bed measure)",
    "lounge_time_mean_h": "discharge lounge: mean time there, from leaving the bed to leaving the hospital; hours",
    "lounge_full": "discharge lounge: patients who would have moved there but found every place taken; count",
    "gridlock_hours": f"ALL: hours of the observed window inside runaway stretches: {GRIDLOCK_RULE}; kpis.csv",
    "gridlocked": "ALL: 1 if the replication has gridlock_hours > 0 (a runaway), else 0; kpis.csv",
    "gridlocked_share": "ALL: share of replications gridlocked (the mean of gridlocked); summary.csv",
    "hours_at_level_1": "hours the escalation group spent at level 1 (steady state, OPEL 1); unit = group name "
    "(escalation_levels)",
    "hours_at_level_2": "hours the escalation group spent at level 2 (OPEL 2); unit = group name",
    "hours_at_level_3": "hours the escalation group spent at level 3 (OPEL 3); unit = group name",
    "hours_at_level_4": "hours the escalation group spent at level 4 (OPEL 4); unit = group name",
    "escalation_actions_open_beds": "times the group reached a level that opens escalation beds (open_beds); "
    "unit = group name; count",
    "escalation_actions_ed_spaces": "times the group reached a level that opens extra ED spaces (ed_spaces, "
    "corridor care); unit = group name; count",
    "escalation_actions_allow_outlying": "times the group reached a level that allows outlying (allow_outlying); "
    "unit = group name; count",
    "escalation_actions_postpone_electives": "times the group reached a level that postpones electives "
    "(postpone_electives); unit = group name; count",
    "escalation_actions_discharge_push": "times the group reached a level with a discharge push; unit = group "
    "name; count",
    "escalation_actions_pathway_capacity": "times the group reached a level that buys discharge pathway capacity "
    "(pathway_capacity); unit = group name; count",
    "elective_postponed": "elective patients postponed by an escalation level (cancelled on arrival; included in "
    "cancelled); count",
    "nctr_mean": "discharge pathways: time-average patients who no longer meet the criteria to reside (NCTR): on a "
    "pathway, from being medically ready (ready_h) to leaving the bed, those still in their bed at the end up to "
    "the end; unit = the inpatient unit whose bed they hold (an outlier: the host; ALL: the inpatient units)",
    "nctr_per_bed": "discharge pathways: nctr_mean / base beds (a time average; ALL: over the inpatient units' base "
    "beds)",
    "nctr_daily_per_bed": "discharge pathways: the sitrep's count: patients on a pathway in the unit's beds at some "
    "time of a calendar day (so those who leave later that day count too, as in the acute discharge sitrep), the "
    "mean over the window's whole days, / base beds (ALL: over the inpatient units' base beds); compare with the "
    "sitrep's NCTR per bed",
    "nctr_bed_days": "discharge pathways: bed-days held by NCTR patients in the window (nctr_mean x days observed); "
    "unit = the unit whose bed they hold",
    "nctr_delay_mean_h": "discharge pathways: mean time from medically ready to leaving the bed, of the pathway's "
    "patients who became ready after the warm-up, those still in their bed at the end with their time so far "
    "(censored, so a lower bound); unit = the pathway's name (ALL: every pathway); hours",
    "nctr_delay_p90_h": "discharge pathways: 90th percentile of that time (ready to leaving the bed, still in the bed "
    "at the end: time so far, censored); unit = the pathway's name (ALL: every pathway); hours",
    "pathway_occupancy_mean": "discharge pathway with a pool of places (unit = its name): time-average places "
    "occupied (places are not hospital beds: in no bed measure)",
    "pathway_places_mean": "discharge pathway with a pool of places (unit = its name): time-average places open "
    "(its places, more while an escalation level buys them: pathway_capacity)",
    "pathway_starts": "discharge pathway (unit = its name): patients it started (who then left the hospital bed); "
    "count",
    "pathway_load_ratio": "discharge pathway with a capacity (unit = its name): patients who became ready for it in "
    "the window / starts it could offer in the window (daily starts: the starts offered; a pool: places x hours "
    "observed / mean time a patient holds a place); 1 or more: it cannot keep up",
    "pathway_growing": "discharge pathway with a capacity (unit = its name): 1 if its NCTR grows without bound in "
    "the replication: pathway_load_ratio is 1 or more and its time-average NCTR patients in the last quarter of "
    "the window exceed those in the first quarter, else 0; kpis.csv",
    "pathway_growing_share": "discharge pathway (unit = its name): share of replications in which its NCTR grew "
    "without bound (the mean of pathway_growing); summary.csv",
    "ambulance_arrivals": "ED (streams with ambulance_share): attendances conveyed by ambulance, by the time they "
    "arrived (ALL: every emergency department); count",
    "ambulance_handover_mean_h": "ED: mean ambulance handover time, from arrival to a treatment space (the queue "
    "for a space; the clinical handover itself, minutes once a space is free, is not modelled), over ambulance "
    "arrivals after the warm-up not turned away: those who left from the queue count with their wait until they "
    "left, those still waiting at the end with their wait so far (censored); hours",
    "ambulance_handover_over_15min_share": "ED: share of those ambulance arrivals whose handover (arrival to a "
    "treatment space, censored as in ambulance_handover_mean_h) took over 15 minutes (the standard: within 15)",
    "ambulance_handover_over_30min_share": "ED: share of those ambulance arrivals whose handover took over 30 "
    "minutes (NHS Standard Contract: 95% within 30)",
    "ambulance_handover_over_45min_share": "ED: share of those ambulance arrivals whose handover took over 45 "
    "minutes (UEC plan 2025/26: none over 45)",
    "ambulance_handover_over_60min_share": "ED: share of those ambulance arrivals whose handover took over 60 "
    "minutes (NHS Standard Contract: all within 60)",
}

AMBULANCE_HANDOVER_LIMITS_MIN = (15, 30, 45, 60)
"""The handover times (minutes) with an ``ambulance_handover_over_<m>min_share`` metric."""

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


def _level_mean(level_h: np.ndarray) -> float:
    """Time-average occupancy from the hours spent at each level 0, 1, 2, ..."""
    total = level_h.sum()
    return float((np.arange(len(level_h)) * level_h).sum() / total) if total > 0 else math.nan


def _level_quantile(level_h: np.ndarray, q: float) -> float:
    """Smallest level at or below which the unit spent at least ``q`` of the time."""
    total = level_h.sum()
    if total <= 0:
        return math.nan
    cum = np.cumsum(level_h)
    return float(np.searchsorted(cum, q * total * (1 - 1e-12), side="left"))


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


class StayTotals:
    """Additive totals of stays and arrivals, fed block by block (a :class:`RecordSink`).

    Everything ``rep_kpis`` and ``census`` need from individual stays is a sum over
    stays (counts, hours, overlaps with the window, the hourly census as a difference
    array), except the wait quantiles, for which the waits themselves are kept (8 bytes
    per admission). Feeding all stays in one block or in many gives the same totals, so a
    long run can hand over closed stays as it goes and keep memory bounded.
    """

    def __init__(self, scenario, unit_names: list[str], class_names: list[str], n_ext_sources: int):
        self.scenario = scenario
        self.unit_names = unit_names
        self.n_units = n = len(unit_names)
        self.lo, self.hi = scenario.warmup_h, scenario.end_h
        self.n_ext_sources = n_ext_sources
        specs = list(scenario.units.values())
        self.is_ed = np.array([sp.ed is not None for sp in specs])
        self.inpatient = np.array([sp.ed is None and sp.kind != "ed" for sp in specs])
        if not self.inpatient.any():
            self.inpatient[:] = True
        z = lambda: np.zeros(n)  # noqa: E731
        self.admitted, self.wait_sum, self.waited = z(), z(), z()
        self.los_sum, self.los_n, self.blocked_h, self.delay_h = z(), z(), z(), z()
        self.ed = {
            k: z()
            for k in (
                "left",
                "t_in",
                "over4",
                "over12",
                "seen",
                "to_clin",
                "decided",
                "dta",
                "boarded",
                "board_h",
                "dta12",
                "dta4",
                "lwbs",
            )
        }
        # the ALL population: inpatient admissions (first inpatient stay of a spell) and their waits
        self.admissions = 0
        self.adm_wait_sum = 0.0
        self.adm_waited = 0
        self.adm_waits: list[np.ndarray] = []
        self.waits: list[list[np.ndarray]] = [[] for _ in range(n)]
        self.bed_wait_iv: list[np.ndarray] = []  # (ready_at, start) of inpatient stays that waited: the queue's path
        self.grid_n = int(math.floor(self.hi + 1e-9)) + 1
        self.census_diff = np.zeros((n, self.grid_n + 1), dtype=np.int64)
        self.arrivals_ext = 0
        self.arrivals_by_unit_class = np.zeros((n, len(class_names)), dtype=np.int64)
        # discharge pathways: NCTR bed-hours per unit; per pathway, NCTR hours in the window's first and last
        # quarter (the growth rule) and the delays (ready to leaving) of those ready after the warm-up
        self.n_pathways = n_pw = len(scenario.discharge_pathways)
        self.nctr_h = z()
        self.nctr_patient_days = z()  # per unit: (NCTR patient, calendar day) pairs over the window's whole days
        start = scenario.start
        self.h0 = start.hour + start.minute / 60 + start.second / 3600  # clock hour at time 0
        self.day_lo = math.ceil((self.lo + self.h0) / 24 - 1e-9)  # first whole calendar day of the window
        self.day_hi = math.floor((self.hi + self.h0) / 24 + 1e-9)  # ... and the day after the last
        self.pw_quarter_h = np.zeros((n_pw, 2))
        self.pw_delays: list[list[np.ndarray]] = [[] for _ in range(n_pw)]

    def _by_unit(self, unit: np.ndarray, mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(unit[mask], weights=w, minlength=self.n_units).astype(float)

    def add_stays(self, S: np.ndarray) -> None:
        if not len(S):
            return
        lo, hi = self.lo, self.hi
        unit = S[:, _F["unit"]].astype(np.int64)
        ready_at, start, end = S[:, _F["ready_at"]], S[:, _F["start"]], S[:, _F["end"]]
        ready_h, dest, seen = S[:, _F["ready_h"]], S[:, _F["dest"]], S[:, _F["seen_at"]]
        closed = ~np.isnan(end)
        asked = ready_at >= lo
        wait = start - ready_at
        self.admitted += self._by_unit(unit, asked)
        self.wait_sum += self._by_unit(unit, asked, wait)
        self.waited += self._by_unit(unit, asked & (wait > 1e-9))
        for ui in np.unique(unit[asked]):
            self.waits[ui].append(wait[asked & (unit == ui)])
        done = asked & closed
        self.los_sum += self._by_unit(unit, done, end - start)
        self.los_n += self._by_unit(unit, done)
        held = ~np.isnan(ready_h)
        to_unit = held & ((dest >= 0) | (dest == -2))
        home = held & (dest == -1)
        self.blocked_h += self._by_unit(unit, to_unit, _overlap(ready_h, end, lo, hi))
        self.delay_h += self._by_unit(unit, home, _overlap(ready_h, end, lo, hi))
        src = S[:, _F["source"]].astype(np.int64)
        from_unit = src - self.n_ext_sources  # the unit a transfer came from; < 0 from outside
        from_inpatient = np.zeros(len(S), dtype=bool)
        moved = from_unit >= 0
        from_inpatient[moved] = self.inpatient[from_unit[moved]]
        admission = asked & self.inpatient[unit] & ~from_inpatient
        self.admissions += int(admission.sum())
        self.adm_wait_sum += float(wait[admission].sum())
        self.adm_waited += int((admission & (wait > 1e-9)).sum())
        self.adm_waits.append(wait[admission])
        queued = self.inpatient[unit] & (wait > 1e-9)
        if queued.any():
            self.bed_wait_iv.append(np.column_stack([ready_at[queued], start[queued]]))
        # hourly census: +1 from the first whole hour at or after start, -1 from the one at or after end
        # (a warm start's census patients began before time 0: they count from hour 0)
        g = self.grid_n
        flat = self.census_diff.reshape(-1)
        i_start = np.clip(np.ceil(start - 1e-12).astype(np.int64), 0, g)
        np.add.at(flat, unit * (g + 1) + i_start, 1)
        i_end = np.minimum(np.ceil(end[closed] - 1e-12).astype(np.int64), g)
        np.add.at(flat, unit[closed] * (g + 1) + i_end, -1)
        if self.is_ed.any():
            self._add_ed(unit, asked, closed, ready_at, end, ready_h, dest, seen)
        if self.n_pathways:
            self._add_pathways(unit, ready_h, end, dest)

    def _add_pathways(self, unit, ready_h, end, dest) -> None:
        """NCTR of the stays on a discharge pathway (``dest`` a pathway code): from ``ready_h`` to ``end``, an
        open stay (still in its bed) up to ``hi``."""
        on = dest <= PATHWAY_DEST0
        if not on.any():
            return
        lo, hi = self.lo, self.hi
        unit, ready, end = unit[on], ready_h[on], end[on]
        k = (PATHWAY_DEST0 - dest[on]).astype(np.int64)
        self.nctr_h += np.bincount(unit, weights=_overlap(ready, end, lo, hi), minlength=self.n_units)
        # calendar days each NCTR spell touches, inside the window's whole days (an open one up to the end)
        e = np.where(np.isnan(end), hi, end)
        first = np.maximum(np.floor((ready + self.h0) / 24), self.day_lo)
        last = np.minimum(np.ceil((e + self.h0) / 24) - 1, self.day_hi - 1)
        days = np.where(e > ready, np.maximum(last - first + 1, 0), 0)
        self.nctr_patient_days += np.bincount(unit, weights=days, minlength=self.n_units)
        quarter = (hi - lo) / 4
        for j, (a, b) in enumerate(((lo, lo + quarter), (hi - quarter, hi))):
            self.pw_quarter_h[:, j] += np.bincount(k, weights=_overlap(ready, end, a, b), minlength=self.n_pathways)
        after = ready >= lo
        delay = np.where(np.isnan(end), hi, end) - ready
        for kk in np.unique(k[after]):
            self.pw_delays[kk].append(delay[after & (k == kk)])

    def _add_ed(self, unit, asked, closed, ready_at, end, ready_h, dest, seen) -> None:
        """ED measures over every attendance in a cubicle, those still in the department at the end
        counted with their time so far (censored at ``hi``): time in the department, 4 h and 12 h,
        time to clinician (not yet seen: the wait so far; left from the cubicle unseen: the wait until
        leaving, a censored value), boarding (still boarding: so far)."""
        hi, ed = self.hi, self.ed
        e = self.is_ed[unit] & asked
        t_in = np.where(closed, end, hi) - ready_at
        ed["left"] += self._by_unit(unit, e)
        ed["t_in"] += self._by_unit(unit, e, t_in)
        ed["over4"] += self._by_unit(unit, e & (t_in > 4.0))
        ed["over12"] += self._by_unit(unit, e & (t_in > 12.0))
        # not seen: still inside (waiting so far) or left unseen (waited until leaving); a closed stay
        # never seen that did not leave unseen (a census patient taken as assessed) has no time to clinician
        s = e & (~np.isnan(seen) | ~closed | (dest == -3))
        ed["seen"] += self._by_unit(unit, s)
        ed["to_clin"] += self._by_unit(unit, s, np.where(np.isnan(seen), np.where(closed, end, hi), seen) - ready_at)
        held = ~np.isnan(ready_h)
        decided = e & held
        dta = decided & ((dest >= 0) | (dest == -2))
        ed["decided"] += self._by_unit(unit, decided)
        ed["dta"] += self._by_unit(unit, dta)
        board_h = np.where(closed, end, hi) - ready_h
        ed["boarded"] += self._by_unit(unit, dta)
        ed["board_h"] += self._by_unit(unit, dta, board_h)
        ed["dta12"] += self._by_unit(unit, dta & (board_h > 12.0))
        ed["dta4"] += self._by_unit(unit, dta & (board_h > 4.0))
        ed["lwbs"] += self._by_unit(unit, e & (dest == -3))

    def add_arrivals(self, A: np.ndarray) -> None:
        after = A[:, 2] >= self.lo
        self.arrivals_ext += int(after.sum())
        np.add.at(self.arrivals_by_unit_class, (A[after, 1].astype(np.int64), A[after, 3].astype(np.int64)), 1)

    def waits_of(self, units: np.ndarray) -> np.ndarray:
        parts = [w for ui in np.flatnonzero(units) for w in self.waits[ui]]
        return np.concatenate(parts) if parts else np.zeros(0)

    def census_counts(self) -> np.ndarray:
        """Occupied beds per unit (rows) at hours 0, 1, ..., floor(end_h) (columns)."""
        return np.cumsum(self.census_diff, axis=1)[:, : self.grid_n]


def totals_for(out: SimOutput) -> StayTotals:
    """Fresh totals sized for the replication ``out`` came from."""
    return StayTotals(out.scenario, out.unit_names, out.class_names, len(out.source_names) - len(out.unit_names))


def _totals(out: SimOutput, totals: StayTotals | None) -> StayTotals:
    """Totals including what is still in ``out`` (all of it when nothing was folded during the run)."""
    if totals is None:
        totals = totals_for(out)
    if not getattr(totals, "_final_added", False):
        totals.add_stays(out.stays)
        totals.add_arrivals(out.arrivals)
        totals._final_added = True
    return totals


def rep_kpis(out: SimOutput, scenario_name: str | None = None, totals: StayTotals | None = None) -> pd.DataFrame:
    """KPIs of one replication: ``scenario, rep, metric, unit, value``.

    ``totals`` holds what a sink received during the run; without it, ``out`` must hold
    every stay.
    """
    scn = out.scenario
    t = _totals(out, totals)
    lo, hi = out.warmup_h, out.end_h
    span = hi - lo
    rej, can, wait_end = out.rejections, out.cancellations, out.waiting_at_end
    unseen, rebooked = out.left_unseen, out.rebookings
    patience_units = {a.unit for a in scn.arrivals if a.patience is not None}
    rebook_units = {e.unit for e in scn.electives if e.max_rebookings}
    rows: list[tuple[str, str, float]] = []
    specs = list(scn.units.values())

    def add(metric: str, unit: str, value: float) -> None:
        rows.append((metric, unit, float(value)))

    def quantile(w: np.ndarray) -> float:
        return float(np.quantile(w, 0.95)) if len(w) else math.nan

    outlier_waits = _OutlierWaits(out) if out.outliers is not None else None
    cap_log = out.capacity_log
    level_beds = _level_bed_units(scn, out.unit_names)
    for ui, name in enumerate(out.unit_names):
        spec = specs[ui]
        n_adm = int(t.admitted[ui])
        n_rej = int(((rej[:, 1] == ui) & (rej[:, 2] >= lo)).sum())
        n_can = int(((can[:, 1] == ui) & (can[:, 2] >= lo)).sum())
        n_wait = int(((wait_end[:, 1] == ui) & (wait_end[:, 2] >= lo)).sum())
        n_arr = n_adm + n_rej + n_can + n_wait
        if name in patience_units:  # ED arrivals who left while waiting for a cubicle asked for one too
            n_unseen = int(((unseen[:, 1] == ui) & (unseen[:, 2] >= lo)).sum())
            n_arr += n_unseen
        add("arrivals", name, n_arr)
        add("admitted", name, n_adm)
        add("rejected", name, n_rej)
        add("rejected_share", name, _ratio(n_rej, n_arr))
        add("still_waiting", name, n_wait)
        level_h = out.level_hours[ui]
        occ_mean = _level_mean(level_h)
        add("occupancy_mean", name, occ_mean)
        add("occupancy_p95", name, _level_quantile(level_h, 0.95))
        add("utilisation", name, _ratio(occ_mean, spec.beds))
        w_end = _waits_so_far(wait_end, hi, (wait_end[:, 1] == ui) & (wait_end[:, 2] >= lo))
        n_got, n_waited, wait_sum = n_adm, t.waited[ui], t.wait_sum[ui]
        waits = t.waits_of(np.arange(t.n_units) == ui)
        if outlier_waits is not None:  # outliers' waits belong to their home unit, not to the host
            n_got, n_waited, wait_sum, waits = outlier_waits.unit(ui, n_got, n_waited, wait_sum, waits)
        add("waited_share", name, _ratio(n_waited + len(w_end), n_got + len(w_end)))
        add("wait_for_bed_mean_h", name, _ratio(wait_sum + w_end.sum(), n_got + len(w_end)))
        add("wait_for_bed_p95_h", name, quantile(_with(waits, w_end)))
        add("unserved_share", name, _ratio(n_wait, n_arr))
        add("los_mean_h", name, _ratio(t.los_sum[ui], t.los_n[ui]))
        add("blocked_bed_hours", name, t.blocked_h[ui])
        add("discharge_delay_bed_hours", name, t.delay_h[ui])
        if spec.escalation is not None or ui in level_beds:
            c = cap_log[cap_log[:, 1] == ui]
            add("escalation_beds_open_mean", name, _step_mean(c[:, 0], c[:, 3], lo, hi))
        if scn.staffing is not None and name in scn.staffing.units:
            breach_h = float(out.breach_hours[ui])
            add("ratio_breach_hours", name, breach_h)
            add("ratio_breach_share", name, breach_h / span)
        if not t.inpatient[ui]:
            add("ed_attendances", name, t.arrivals_by_unit_class[ui].sum())
        if spec.ed is not None:
            add("cancelled", name, n_can)
            ed = {k: v[ui] for k, v in t.ed.items()}
            if name in patience_units:  # left while waiting for a cubicle: their hours in the department
                gone = unseen[(unseen[:, 1] == ui) & (unseen[:, 2] >= lo)]
                ed = _ed_with_waiting_room(ed, gone[:, 3] - gone[:, 2])
            ed = _ed_with_waiting_room(ed, w_end)
            add("ed_time_in_dept_mean_h", name, _ratio(ed["t_in"], ed["left"]))
            add("ed_4h_breach_share", name, _ratio(ed["over4"], ed["left"]))
            add("ed_12h_breach_share", name, _ratio(ed["over12"], ed["left"]))
            add("ed_time_to_clinician_mean_h", name, _ratio(ed["to_clin"], ed["seen"]))
            add("ed_admitted_share", name, _ratio(ed["dta"], ed["decided"]))
            add("ed_boarding_mean_h", name, _ratio(ed["board_h"], ed["boarded"]))
            add("ed_dta_12h_waits", name, ed["dta12"])
            add("ed_dta_4h_share", name, _ratio(ed["dta4"], ed["boarded"]))
            if name in patience_units:
                n_lwbs = ed["lwbs"] + n_unseen
                add("left_without_being_seen", name, n_lwbs)
                add("left_without_being_seen_share", name, _ratio(n_lwbs, t.arrivals_by_unit_class[ui].sum()))
        elif n_can or any(e.unit == name for e in scn.electives):
            add("cancelled", name, n_can)
        if name in rebook_units:
            n_rebooked = int(((rebooked[:, 1] == ui) & (rebooked[:, 2] >= lo)).sum())
            add("elective_rebooked", name, n_rebooked)
            add("elective_cancelled_final", name, n_can - n_rebooked)
            pending = (rebooked[:, 1] == ui) & (rebooked[:, 2] >= lo) & (rebooked[:, 4] >= hi)
            add("elective_rebook_pending", name, int(pending.sum()))

    # ---- the hospital: the inpatient units, one population (inpatient admissions)
    inp = t.inpatient
    outside = np.append(~inp, True)  # by from_unit: -1 (outside the hospital, the last entry) or a non-inpatient unit

    def inpatient_request(rows: np.ndarray, unit_col: int, from_col: int | None, t_col: int) -> int:
        """Rows asking an inpatient unit for a bed after the warm-up, from outside the inpatient units."""
        if not len(rows):
            return 0
        mask = inp[rows[:, unit_col].astype(np.int64)] & (rows[:, t_col] >= lo)
        if from_col is not None:
            mask &= outside[rows[:, from_col].astype(np.int64)]
        return int(mask.sum())

    all_rej = inpatient_request(rej, 1, 4, 2)
    all_can = inpatient_request(can, 1, None, 2)  # electives: requests from outside
    all_wait = inpatient_request(wait_end, 1, 4, 2)
    all_arr = t.admissions + all_rej + all_can + all_wait
    add("arrivals", ALL, all_arr)
    add("admitted", ALL, t.admissions)
    add("rejected", ALL, all_rej)
    add("rejected_share", ALL, _ratio(all_rej, all_arr))
    add("still_waiting", ALL, all_wait)
    if scn.electives:
        n_el = sum(
            int(t.arrivals_by_unit_class[out.unit_names.index(e.unit), out.class_names.index(e.patient_class)])
            for e in {(e.unit, e.patient_class): e for e in scn.electives}.values()
            if inp[out.unit_names.index(e.unit)]
        )
        if rebook_units:  # a rebooked patient asks again: one more elective request
            t_again = rebooked[:, 4] if len(rebooked) else np.zeros(0)
            n_el += int((inp[rebooked[:, 1].astype(np.int64)] & (t_again >= lo) & (t_again < hi)).sum())
        add("cancelled", ALL, all_can)
        add("cancelled_share", ALL, _ratio(all_can, n_el))
        if rebook_units:
            all_rebooked = inpatient_request(rebooked, 1, None, 2)
            add("elective_rebooked", ALL, all_rebooked)
            add("elective_cancelled_final", ALL, all_can - all_rebooked)
            add("elective_rebook_pending", ALL, inpatient_request(rebooked[rebooked[:, 4] >= hi], 1, None, 2))
    if not inp.all():
        add("ed_attendances", ALL, t.arrivals_by_unit_class[~inp].sum())
    if patience_units:
        ed_units = np.flatnonzero(t.is_ed)
        n_lwbs = t.ed["lwbs"][ed_units].sum() + int((np.isin(unseen[:, 1], ed_units) & (unseen[:, 2] >= lo)).sum())
        add("left_without_being_seen", ALL, n_lwbs)
        add("left_without_being_seen_share", ALL, _ratio(n_lwbs, t.arrivals_by_unit_class[ed_units].sum()))
    occ_mean = _level_mean(out.hospital_level_hours)
    beds = sum(sp.beds for sp, i in zip(specs, inp, strict=True) if i)
    add("occupancy_mean", ALL, occ_mean)
    add("occupancy_p95", ALL, _level_quantile(out.hospital_level_hours, 0.95))
    add("utilisation", ALL, _ratio(occ_mean, beds))
    w_end = _waits_so_far(wait_end, hi, _inpatient_requests(wait_end, inp, outside, lo))
    n_all = t.admissions + len(w_end)
    add("waited_share", ALL, _ratio(t.adm_waited + len(w_end), n_all))
    add("wait_for_bed_mean_h", ALL, _ratio(t.adm_wait_sum + w_end.sum(), n_all))
    add("wait_for_bed_p95_h", ALL, quantile(_with(np.concatenate(t.adm_waits) if t.adm_waits else np.zeros(0), w_end)))
    add("unserved_share", ALL, _ratio(all_wait, all_arr))
    add("los_mean_h", ALL, _ratio(out.spell_sum_h, out.spell_n))
    add("blocked_bed_hours", ALL, t.blocked_h[inp].sum())  # ED boarding has its own measures
    add("discharge_delay_bed_hours", ALL, t.delay_h[inp].sum())
    if out.outliers is not None:
        _outlier_kpis(out, t, add)
    if out.escalation_path is not None:
        _escalation_kpis(out, add)

    for lounge in out.extra.get("lounges", ()):
        _lounge_kpis(lounge, span, add)
    if "pathways" in out.extra:
        _pathway_kpis(out, t, add)

    g_hours = gridlock_hours(*bed_queue_path(t, out), gridlock_threshold(scn), lo, hi)
    add("gridlock_hours", ALL, g_hours)
    add("gridlocked", ALL, float(g_hours > 0))
    if "ambulance" in out.extra:  # last, so that every other row keeps its place in kpis.csv
        _ambulance_kpis(out, add)

    df = pd.DataFrame(rows, columns=["metric", "unit", "value"])
    df.insert(0, "rep", out.rep)
    df.insert(0, "scenario", scenario_name or scn.name)
    return df


class _OutlierWaits:
    """Moves the waits of outliers from the host's stays to their home unit.

    An outlier's stay in its host records the wait since it asked for a home bed: the unit's wait
    measures count it for the home unit (``out.outliers``: ``ready_at`` to ``start``), not for the host.
    A repatriation is a move, not a new request: its zero-wait stay in the home unit is left out.
    """

    def __init__(self, out: SimOutput):
        rec, lo, n = out.outliers, out.warmup_h, len(out.unit_names)
        home, host = rec[:, 1].astype(np.int64), rec[:, 2].astype(np.int64)
        asked = rec[:, 3] >= lo
        wait = rec[:, 4] - rec[:, 3]
        back = (rec[:, 6] > 0) & (rec[:, 5] >= lo)  # the repatriation stay asked (and started) at the end

        def count(units, mask, weights=None):
            return np.bincount(units[mask], weights=None if weights is None else weights[mask], minlength=n)

        self.d_n = count(home, asked) - count(host, asked) - count(home, back)
        self.d_waited = count(home, asked & (wait > 1e-9)) - count(host, asked & (wait > 1e-9))
        self.d_sum = count(home, asked, wait) - count(host, asked, wait)
        self.add = [wait[asked & (home == u)] for u in range(n)]
        self.drop = [np.concatenate([wait[asked & (host == u)], np.zeros(int(count(home, back)[u]))]) for u in range(n)]

    def unit(self, ui: int, n: float, waited: float, wait_sum: float, waits: np.ndarray):
        """Requests granted, those that waited, total hours and the waits of unit ``ui``, with the moves."""
        waits = _with(_without(waits, self.drop[ui]), self.add[ui])
        return n + self.d_n[ui], waited + self.d_waited[ui], wait_sum + self.d_sum[ui], waits


def _without(values: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """``values`` with one occurrence of each of ``drop`` (all present in ``values``) removed (sorted)."""
    if not len(drop):
        return values
    v, d = np.sort(values), np.sort(drop)
    _, first, counts = np.unique(d, return_index=True, return_counts=True)
    rank = np.arange(len(d)) - np.repeat(first, counts)  # the k-th copy of a value removes the k-th match
    keep = np.ones(len(v), dtype=bool)
    keep[np.searchsorted(v, d) + rank] = False
    return v[keep]


def _outlier_kpis(out: SimOutput, t: StayTotals, add) -> None:
    """Outlying metrics: per home unit (those with ``outlying``) and ALL; ``outliers_hosted_mean`` per host."""
    lo, hi = out.warmup_h, out.end_h
    rec = out.outliers
    home, host = rec[:, 1].astype(np.int64), rec[:, 2].astype(np.int64)
    ready, start, end, back = rec[:, 3], rec[:, 4], rec[:, 5], rec[:, 6] > 0
    n = len(out.unit_names)
    asked = ready >= lo
    placed = np.bincount(home[asked], minlength=n)
    repat = np.bincount(home[back & (end >= lo)], minlength=n)
    hosted_asked = np.bincount(host[asked], minlength=n)
    hours = _overlap(start, end, lo, hi)
    bed_days = np.bincount(home, weights=hours, minlength=n) / 24.0
    hosted_h = np.bincount(host, weights=hours, minlength=n)
    specs = list(out.scenario.units.values())
    homes = [i for i, sp in enumerate(specs) if sp.outlying is not None]
    hosts = sorted({out.unit_names.index(h) for sp in specs if sp.outlying is not None for h in sp.outlying.hosts})
    # a unit's admitted counts the stays in its beds: its own patients (repatriations are moves, not new
    # grants) and the outliers it hosts; a home unit's grants are its own stays plus its outlier placements
    granted = t.admitted - hosted_asked - repat + placed
    for ui in homes:
        name = out.unit_names[ui]
        add("outlier_admissions", name, placed[ui])
        add("outlier_share", name, _ratio(placed[ui], granted[ui]))
        add("outlier_bed_days", name, bed_days[ui])
        add("repatriations", name, repat[ui])
    for ui in hosts:
        add("outliers_hosted_mean", out.unit_names[ui], hosted_h[ui] / (hi - lo))
    inp = t.inpatient
    add("outlier_admissions", ALL, placed.sum())
    add("outlier_share", ALL, _ratio(placed.sum(), granted[inp].sum()))
    add("outlier_bed_days", ALL, bed_days.sum())
    add("repatriations", ALL, repat.sum())
    add("outliers_hosted_mean", ALL, hosted_h.sum() / (hi - lo))


def _level_bed_units(scn, unit_names: list[str]) -> set[int]:
    """Units where an escalation level may open beds or ED spaces."""
    out: set[int] = set()
    for spec in scn.escalation_levels.values():
        for lv in spec.levels:
            out |= {unit_names.index(u) for u in (*lv.actions.open_beds, *lv.actions.ed_spaces)}
    return out


def escalation_hours(out: SimOutput) -> np.ndarray:
    """Hours each escalation group spent at levels 1-4 in the window: shape (groups, 4)."""
    lo, hi = out.warmup_h, out.end_h
    path = out.escalation_path
    n = len(out.scenario.escalation_levels)
    hours = np.zeros((n, 4))
    for g in range(n):
        p = path[path[:, 1] == g]
        edges = np.clip(np.append(p[:, 0], hi), lo, hi)
        np.add.at(hours[g], p[:, 2].astype(np.int64) - 1, np.diff(edges))
    return hours


def _escalation_kpis(out: SimOutput, add) -> None:
    """Escalation levels: hours at each level and actions taken per group; postponed electives."""
    lo, hi = out.warmup_h, out.end_h
    scn = out.scenario
    path = out.escalation_path
    hours = escalation_hours(out)
    for g, (name, spec) in enumerate(scn.escalation_levels.items()):
        for k in range(4):
            add(f"hours_at_level_{k + 1}", name, hours[g, k])
        p = path[path[:, 1] == g]
        prev = np.concatenate([[1.0], p[:-1, 2]])
        inside = (p[:, 0] >= lo) & (p[:, 0] < hi)
        first = {
            a: min((lv.level for lv in spec.levels if a in lv.actions.names()), default=None)
            for a in ESCALATION_ACTIONS
        }
        for a in ESCALATION_ACTIONS:
            k = first[a]
            if k is not None:
                add(f"escalation_actions_{a}", name, int((inside & (prev < k) & (p[:, 2] >= k)).sum()))
    if out.postponed is not None and any(
        lv.actions.postpone_electives for sp in scn.escalation_levels.values() for lv in sp.levels
    ):
        post = out.postponed
        post = post[post[:, 2] >= lo]
        units = sorted({e.unit for e in scn.electives}, key=out.unit_names.index)
        for u in units:
            add("elective_postponed", u, int((post[:, 1] == out.unit_names.index(u)).sum()))
        inp = [ui for ui, sp in enumerate(scn.units.values()) if sp.ed is None and sp.kind != "ed"]
        add("elective_postponed", ALL, int(np.isin(post[:, 1], inp).sum()))


def escalation_path(out: SimOutput) -> pd.DataFrame:
    """The level path of every escalation group: ``rep, group, time_h, level`` (one row per change, from 0)."""
    path = out.escalation_path if out.escalation_path is not None else np.zeros((0, 3))
    names = list(out.scenario.escalation_levels)
    return pd.DataFrame(
        {
            "rep": out.rep,
            "group": [names[int(g)] for g in path[:, 1]],
            "time_h": path[:, 0],
            "level": path[:, 2].astype(np.int64),
        }
    )


def _lounge_kpis(lounge: dict, span_h: float, add) -> None:
    """The ``lounge_*`` metrics of one discharge lounge (``SimOutput.extra["lounges"]``), unit = its name."""
    name = lounge["name"]
    add("lounge_uses", name, lounge["uses"])
    add("lounge_share", name, _ratio(lounge["planned_used"], lounge["planned"]))
    add("lounge_occupancy_mean", name, _ratio(lounge["place_hours"], span_h))
    add("lounge_time_mean_h", name, _ratio(lounge["time_sum_h"], lounge["uses"]))
    add("lounge_full", name, lounge["full"])


def _pathway_capacity(spec, rec: dict, span_h: float) -> float:
    """Starts a pathway with a capacity could offer in the window: a daily pathway's offered starts (escalation's
    extra starts included); a pool's place-hours open (its places, and those escalation bought while they were
    open) / mean time a patient holds a place (its stay, and the assessment when done in the community)."""
    if rec["kind"] == "daily":
        return rec["offered_starts"]
    hold_h = spec.stay.to_distribution().mean_h
    if spec.assessment is not None and spec.assessment_in == "community":
        hold_h += spec.assessment.to_distribution().mean_h
    return rec.get("place_hours_open", rec["places"] * span_h) / hold_h if hold_h > 0 else math.inf


def _pathway_kpis(out: SimOutput, t: StayTotals, add) -> None:
    """Discharge pathway metrics: NCTR per inpatient unit and ALL, delays per pathway and ALL, each pathway's starts,
    a pool's occupancy, and for a pathway with a capacity its load and whether its NCTR grows without bound."""
    lo, hi = out.warmup_h, out.end_h
    span = hi - lo
    scn = out.scenario
    specs = list(scn.units.values())
    inp = t.inpatient
    n_days = t.day_hi - t.day_lo
    for ui in np.flatnonzero(inp):
        name, h = out.unit_names[ui], t.nctr_h[ui]
        add("nctr_mean", name, h / span)
        add("nctr_per_bed", name, _ratio(h / span, specs[ui].beds))
        add("nctr_daily_per_bed", name, _ratio(_ratio(t.nctr_patient_days[ui], n_days), specs[ui].beds))
        add("nctr_bed_days", name, h / 24.0)
    h = t.nctr_h[inp].sum()
    beds = sum(specs[ui].beds for ui in np.flatnonzero(inp))
    add("nctr_mean", ALL, h / span)
    add("nctr_per_bed", ALL, _ratio(h / span, beds))
    add("nctr_daily_per_bed", ALL, _ratio(_ratio(t.nctr_patient_days[inp].sum(), n_days), beds))
    add("nctr_bed_days", ALL, h / 24.0)

    def delays(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0)

    for k, rec in enumerate(out.extra["pathways"]):
        name = rec["name"]
        d = delays(t.pw_delays[k])
        add("nctr_delay_mean_h", name, d.mean() if len(d) else math.nan)
        add("nctr_delay_p90_h", name, np.quantile(d, 0.9) if len(d) else math.nan)
        add("pathway_starts", name, rec["starts"])
        if rec["kind"] == "pool":
            add("pathway_occupancy_mean", name, rec["place_hours"] / span)
            add("pathway_places_mean", name, rec.get("place_hours_open", rec["places"] * span) / span)
        if rec["kind"] != "unlimited":
            capacity = _pathway_capacity(scn.discharge_pathways[name], rec, span)
            first_h, last_h = t.pw_quarter_h[k]
            add("pathway_load_ratio", name, _ratio(len(d), capacity))
            add("pathway_growing", name, float(len(d) >= capacity and last_h > first_h))
    d = delays([x for parts in t.pw_delays for x in parts])
    add("nctr_delay_mean_h", ALL, d.mean() if len(d) else math.nan)
    add("nctr_delay_p90_h", ALL, np.quantile(d, 0.9) if len(d) else math.nan)


# ---- patients still waiting at the end: their wait so far, a censored value
def ambulance_handovers(out: SimOutput) -> pd.DataFrame:
    """Handover of each ambulance arrival after the warm-up (``SimOutput.extra["ambulance"]``): ``unit`` (index),
    ``handover_h`` from arrival to a treatment space, ``censored`` True for one that had no space by the end (its
    wait so far) or left from the queue (its wait until it left). Those turned away (``when_full: reject``) have
    no handover and are left out."""
    rec = out.extra.get("ambulance")
    if rec is None or not len(rec):
        return pd.DataFrame({"unit": np.zeros(0, dtype=np.int64), "handover_h": np.zeros(0), "censored": []})
    rec = rec[rec[:, 2] >= out.warmup_h]
    pid, arrived, space = rec[:, 0], rec[:, 2], rec[:, 3].copy()
    censored = np.isnan(space)
    left_at = dict(zip(out.left_unseen[:, 0].tolist(), out.left_unseen[:, 3].tolist(), strict=True))
    still = set(out.waiting_at_end[:, 0].tolist())
    keep = ~censored
    for i in np.flatnonzero(censored):
        p = float(pid[i])
        if p in left_at:
            space[i], keep[i] = left_at[p], True
        elif p in still:
            space[i], keep[i] = out.end_h, True
    return pd.DataFrame(
        {"unit": rec[keep, 1].astype(np.int64), "handover_h": (space - arrived)[keep], "censored": censored[keep]}
    )


def _ambulance_kpis(out: SimOutput, add) -> None:
    """The ``ambulance_*`` metrics per emergency department with ambulance arrivals and on ``ALL``."""
    scn = out.scenario
    h = ambulance_handovers(out)
    rec = out.extra["ambulance"]
    arrived = rec[rec[:, 2] >= out.warmup_h]
    units = sorted({out.unit_names.index(a.unit) for a in scn.arrivals if a.ambulance_share > 0})

    def measures(unit: str, waits: np.ndarray, n_arr: int) -> None:
        add("ambulance_arrivals", unit, n_arr)
        add("ambulance_handover_mean_h", unit, float(waits.mean()) if len(waits) else math.nan)
        for m in AMBULANCE_HANDOVER_LIMITS_MIN:
            add(f"ambulance_handover_over_{m}min_share", unit, _ratio(float((waits > m / 60).sum()), len(waits)))

    for ui in units:
        measures(
            out.unit_names[ui], h["handover_h"].to_numpy()[h["unit"].to_numpy() == ui], int((arrived[:, 1] == ui).sum())
        )
    measures(ALL, h["handover_h"].to_numpy(), len(arrived))


def _waits_so_far(wait_end: np.ndarray, hi: float, mask: np.ndarray) -> np.ndarray:
    """Hours waited by the end of the run ``hi`` of the requests in ``waiting_at_end`` selected by ``mask``."""
    return hi - wait_end[mask, 2] if len(wait_end) else np.zeros(0)


def _with(waits: np.ndarray, more: np.ndarray) -> np.ndarray:
    return np.concatenate([waits, more]) if len(more) else waits


def _inpatient_requests(rows: np.ndarray, inp: np.ndarray, outside: np.ndarray, lo: float) -> np.ndarray:
    """Mask of ``waiting_at_end`` rows asking an inpatient unit for a bed after ``lo``, from outside the inpatient units."""
    if not len(rows):
        return np.zeros(0, dtype=bool)
    return inp[rows[:, 1].astype(np.int64)] & (rows[:, 2] >= lo) & outside[rows[:, 4].astype(np.int64)]


def _ed_with_waiting_room(ed: dict[str, float], waits: np.ndarray) -> dict[str, float]:
    """ED totals with patients who never had a cubicle added (``waits``: their hours in the department):
    those still waiting for one at the end (hours so far) or who left unseen while waiting (hours until
    they left). Not seen by a clinician: their time to clinician is censored at that value."""
    if not len(waits):
        return ed
    ed = dict(ed)
    ed["left"] += len(waits)
    ed["t_in"] += float(waits.sum())
    ed["over4"] += int((waits > 4.0).sum())
    ed["over12"] += int((waits > 12.0).sum())
    ed["seen"] += len(waits)
    ed["to_clin"] += float(waits.sum())
    return ed


def gridlock_threshold(scenario) -> float:
    """Patients waiting for an inpatient bed above which the hospital counts as gridlocked (while it lasts)."""
    specs = list(scenario.units.values())
    inpatient = [sp.beds for sp in specs if sp.ed is None and sp.kind != "ed"] or [sp.beds for sp in specs]
    return max(1.0, GRIDLOCK_SHARE_OF_BEDS * sum(inpatient))


def bed_queue_path(t: StayTotals, out: SimOutput) -> tuple[np.ndarray, np.ndarray]:
    """Patients waiting for an inpatient bed over the whole run, as a step function (see :func:`waiting_path`):
    requests that got a bed (asked to granted), were cancelled (asked to withdrawn) or still wait (asked to end)."""
    inp = t.inpatient
    can, wait = out.cancellations, out.waiting_at_end
    c = can[inp[can[:, 1].astype(np.int64)]] if len(can) else np.zeros((0, 6))
    w = wait[inp[wait[:, 1].astype(np.int64)]] if len(wait) else np.zeros((0, 6))
    iv = t.bed_wait_iv + [c[:, [2, 3]], np.column_stack([w[:, 2], np.full(len(w), out.end_h)])]
    both = np.concatenate(iv)
    return waiting_path(both[:, 0], both[:, 1])


def waiting_path(asked_h: np.ndarray, left_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number waiting from intervals ``[asked_h, left_h)``: ``(times_h, counts)``, the count being
    ``counts[i]`` from ``times_h[i]`` until the next time (0 before the first)."""
    times, inv = np.unique(np.concatenate([asked_h, left_h]), return_inverse=True)
    delta = np.bincount(
        inv, weights=np.concatenate([np.ones(len(asked_h)), -np.ones(len(left_h))]), minlength=len(times)
    )
    return times, np.cumsum(delta)


def gridlock_hours(
    times_h: np.ndarray,
    counts: np.ndarray,
    threshold: float,
    lo: float,
    hi: float,
    stretch_h: float = GRIDLOCK_STRETCH_H,
) -> float:
    """Hours of ``[lo, hi)`` inside stretches where the count stays above ``threshold`` for more than
    ``stretch_h`` hours; a stretch is measured whole (it may begin in the warm-up), up to ``hi`` at most."""
    if not len(times_h):
        return 0.0
    above = np.concatenate([[False], counts > threshold, [False]])
    edges = np.diff(above.astype(np.int8))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # segment indices, last exclusive
    seg_end = np.append(times_h[1:], max(hi, times_h[-1]))
    t0, t1 = times_h[first], np.minimum(seg_end[last - 1], hi)
    long = (t1 - t0) > stretch_h
    return float(np.clip(np.minimum(t1[long], hi) - np.maximum(t0[long], lo), 0.0, None).sum())


def _step_mean(t: np.ndarray, v: np.ndarray, lo: float, hi: float) -> float:
    """Time-average over [lo, hi) of a right-continuous step function given at change times."""
    if not len(t):
        return 0.0
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    edges = np.clip(np.concatenate([t, [hi]]), lo, hi)
    return float((v * np.diff(edges)).sum() / (hi - lo))


def census(out: SimOutput, totals: StayTotals | None = None) -> pd.DataFrame:
    """Occupied beds per unit at every whole hour of the run (warm-up included): ``rep, unit, time_h, occupied``."""
    counts = _totals(out, totals).census_counts()
    grid = np.arange(counts.shape[1], dtype=float)
    frames = [
        pd.DataFrame({"rep": out.rep, "unit": name, "time_h": grid, "occupied": counts[ui].astype(np.int32)})
        for ui, name in enumerate(out.unit_names)
    ]
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
    dest_label[dest == -3] = "left_without_being_seen"
    pathways = list(out.scenario.discharge_pathways)
    for k, name in enumerate(pathways):  # a pathway patient carries its pathway from the moment it is ready
        dest_label[dest == pathway_code(k)] = name

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
    columns = ADT_COLUMNS
    if out.outliers is not None:  # the extra column home_unit: an outlier's home unit, empty for the others
        rec = out.outliers
        home_of = {(int(r[0]), int(r[2]), float(r[4])): out.unit_names[int(r[1])] for r in rec.tolist()}
        keys = zip(pid.tolist(), S[:, _F["unit"]].astype(int).tolist(), S[:, _F["start"]].tolist(), strict=True)
        df["home_unit"] = pd.Series([home_of.get(k) for k in keys], dtype="string")
        columns = [*ADT_COLUMNS[:-1], "home_unit", ADT_COLUMNS[-1]]
    if "ambulance" in out.extra:  # the extra column arrival_mode: "ambulance" on such an attendance's ED stay
        amb = np.isin(pid, out.extra["ambulance"][:, 0].astype(np.int64)) & (src_idx < n_ext)
        df["arrival_mode"] = pd.Series(np.where(amb, "ambulance", None), dtype="string")
        columns = [*columns[:-1], "arrival_mode", columns[-1]]
    return df.sort_values(["patient_id", "start"], kind="stable", ignore_index=True)[columns]


REQUEST_COLUMNS = [
    "patient_id",
    "unit",
    "patient_class",
    "arrival_source",
    "from_unit",
    "ready_at",
    "withdrawn_at",
    "outcome",
    "rep",
]
"""Columns of :func:`unmet_requests`."""


def unmet_requests(out: SimOutput) -> pd.DataFrame:
    """Requests for a bed that never got one: the part of the bed queue the event log cannot show.

    The event log has one row per stay, so a patient who waited and was cancelled, or is
    still waiting when the run ends, leaves no trace in it. This table lists them, one row
    per request, in the log's vocabulary (ids as in :func:`adt_log`): ``unit`` asked for,
    ``from_unit`` empty for a request from outside the hospital (else the unit the patient
    waits in, which the log shows as an open or long stay), ``ready_at`` when it asked,
    ``withdrawn_at`` when it was cancelled (empty: still waiting at the end of the run),
    ``outcome`` ``cancelled`` or ``waiting``. With the log it gives the whole queue at any
    moment (:func:`hospital_twin.live.census.census_at`, ``requests=``). Rejected arrivals never
    queued and are not listed. With the queue features of ``hospital_twin.sim.queues``: a
    cancellation followed by a new date is ``rebooked`` (the new request is a row or a stay of its
    own, the same ``patient_id``), and an emergency department arrival that left without being
    seen while waiting for a cubicle is ``left_without_being_seen`` (``withdrawn_at`` when it left).
    """
    start0 = pd.Timestamp(out.scenario.start)
    n_ext = len(out.source_names) - len(out.unit_names)
    source_labels = np.array(out.source_names[:n_ext] + out.unit_names, dtype=object)
    units = np.array(out.unit_names, dtype=object)
    classes = np.array(out.class_names, dtype=object)
    can, wait, left = out.cancellations, out.waiting_at_end, out.left_unseen
    outcome = np.array(["cancelled"] * len(can) + ["waiting"] * len(wait) + ["left_without_being_seen"] * len(left))
    if len(out.rebookings):
        again = set(zip(out.rebookings[:, 0].tolist(), out.rebookings[:, 3].tolist(), strict=True))
        is_rebooked = [(p, t) in again for p, t in zip(can[:, 0].tolist(), can[:, 3].tolist(), strict=True)]
        outcome[: len(can)][np.array(is_rebooked, dtype=bool)] = "rebooked"
    pid = np.concatenate([can[:, 0], wait[:, 0], left[:, 0]]).astype(np.int64)
    unit = np.concatenate([can[:, 1], wait[:, 1], left[:, 1]]).astype(np.int64)
    ready = np.concatenate([can[:, 2], wait[:, 2], left[:, 2]])
    withdrawn = np.concatenate([can[:, 3], np.full(len(wait), np.nan), left[:, 3]])
    pclass = np.concatenate([can[:, 4], wait[:, 3], left[:, 4]]).astype(np.int64)
    source = np.concatenate([can[:, 5], wait[:, 5], left[:, 5]]).astype(np.int64)
    from_unit = np.concatenate([np.full(len(can), -1.0), wait[:, 4], np.full(len(left), -1.0)]).astype(np.int64)

    def ts(col: np.ndarray) -> pd.Series:
        return (start0 + pd.to_timedelta(col, unit="h")).round("s")

    df = pd.DataFrame(
        {
            "patient_id": pd.Series([f"{out.rep}-{p}" for p in pid.tolist()], dtype="string"),
            "unit": pd.Series(units[unit], dtype="string"),
            "patient_class": pd.Series(classes[pclass], dtype="string"),
            "arrival_source": pd.Series(source_labels[source], dtype="string"),
            "from_unit": pd.Series(np.where(from_unit >= 0, units[np.maximum(from_unit, 0)], None), dtype="string"),
            "ready_at": ts(ready),
            "withdrawn_at": ts(withdrawn),
            "outcome": pd.Series(outcome, dtype="string"),
            "rep": out.rep,
        }
    )
    return df.sort_values(["ready_at", "patient_id"], kind="stable", ignore_index=True)[REQUEST_COLUMNS]


def t_half_width(sd: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Half-width of the two-sided t-interval of a mean: ``t(0.5 + confidence / 2, n - 1) * sd / sqrt(n)``.

    ``sd`` is the sample standard deviation of ``n`` values; NaN where ``n < 2``. The one
    t-interval of the package: summaries across replications and paired differences.
    """
    n = np.asarray(n)
    # the t quantile itself (scipy.stats.t.ppf computes exactly this, behind an import of scipy.stats that
    # costs a CLI run more than its whole summary)
    tcrit = special.stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2)
    return np.where(n > 1, tcrit * np.asarray(sd, dtype=float) / np.sqrt(np.maximum(n, 1)), np.nan)


def summarise(kpis: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t-interval across replications: ``scenario, metric, unit, mean, sd, ci_low, ci_high, n_reps``."""
    shares = {"gridlocked": "gridlocked_share", "pathway_growing": "pathway_growing_share"}  # mean of 0/1 = share
    kpis = kpis.assign(metric=kpis["metric"].replace(shares))
    g = kpis.dropna(subset=["value"]).groupby(["scenario", "metric", "unit"], sort=False)["value"]
    out = g.agg(mean="mean", sd="std", n_reps="count").reset_index()
    n = out["n_reps"].to_numpy()
    half = t_half_width(out["sd"].fillna(0.0).to_numpy(), n, confidence)
    out["sd"] = np.where(n > 1, out["sd"], np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out[["scenario", "metric", "unit", "mean", "sd", "ci_low", "ci_high", "n_reps"]]


# Display labels for reports and apps: metric -> (label, unit). Units: "count" (total over
# the observation window), "share" (0..1, shown as a percentage), "hours", "beds",
# "bed-hours", "bed-days".
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "arrivals": ("Requests for a bed (ALL: for an inpatient bed)", "count"),
    "admitted": ("Admitted (ALL: inpatient admissions)", "count"),
    "rejected": ("Turned away, unit full", "count"),
    "rejected_share": ("Share turned away", "share"),
    "cancelled": ("Elective admissions cancelled, no bed", "count"),
    "cancelled_share": ("Share of elective admissions cancelled", "share"),
    "still_waiting": ("Still waiting for a bed at the end", "count"),
    "occupancy_mean": ("Occupied beds, average", "beds"),
    "occupancy_p95": ("Occupied beds, 95th percentile over time", "beds"),
    "utilisation": ("Bed occupancy (of base beds)", "share"),
    "waited_share": ("Share of admissions who waited for a bed", "share"),
    "wait_for_bed_mean_h": ("Wait for a bed, mean (zeros included)", "hours"),
    "unserved_share": ("Still waiting for a bed at the end, share", "share"),
    "wait_for_bed_p95_h": ("Wait for a bed, 95th percentile", "hours"),
    "los_mean_h": ("Length of stay, mean (ALL: hospital spell)", "hours"),
    "blocked_bed_hours": ("Bed-hours blocked, waiting for the next unit", "bed-hours"),
    "discharge_delay_bed_hours": ("Bed-hours waiting for the discharge hour", "bed-hours"),
    "escalation_beds_open_mean": ("Escalation beds open, average", "beds"),
    "ratio_breach_hours": ("Hours above the nurse-to-patient ratio", "hours"),
    "ratio_breach_share": ("Share of hours above the nurse ratio", "share"),
    "ed_attendances": ("Emergency department attendances", "count"),
    "ed_time_in_dept_mean_h": ("Time in the department, mean", "hours"),
    "ed_4h_breach_share": ("Over 4 hours in the department", "share"),
    "ed_12h_breach_share": ("Over 12 hours in the department", "share"),
    "ed_time_to_clinician_mean_h": ("Time to clinician, mean", "hours"),
    "ed_admitted_share": ("Share admitted (decision to admit)", "share"),
    "ed_boarding_mean_h": ("Decision-to-admit wait, to leaving the ED, mean", "hours"),
    "ed_dta_12h_waits": ("Trolley waits over 12 h from the decision to admit", "count"),
    "ed_dta_4h_share": ("Decisions to admit waiting over 4 h", "share"),
    "outlier_admissions": ("Placed in another unit's bed (outliers)", "count"),
    "outlier_share": ("Share of admissions placed as outliers", "share"),
    "outlier_bed_days": ("Outlier bed-days in other units", "bed-days"),
    "repatriations": ("Outliers moved back to their home unit", "count"),
    "outliers_hosted_mean": ("Outliers hosted from other units, average", "beds"),
    "left_without_being_seen": ("Left without being seen", "count"),
    "left_without_being_seen_share": ("Share who left without being seen", "share"),
    "elective_rebooked": ("Cancelled electives given a new date", "count"),
    "elective_cancelled_final": ("Electives cancelled for good", "count"),
    "elective_rebook_pending": ("Electives awaiting a new date at the end", "count"),
    "lounge_uses": ("Discharge lounge: patients who waited there", "count"),
    "lounge_share": ("Discharge lounge: share of held discharges using it", "share"),
    "lounge_occupancy_mean": ("Discharge lounge: places occupied, average", "places"),
    "lounge_time_mean_h": ("Discharge lounge: time there, mean", "hours"),
    "lounge_full": ("Discharge lounge: found full", "count"),
    "gridlock_hours": ("Hours in gridlock (runaway bed queue)", "hours"),
    "gridlocked": ("Gridlocked (runaway bed queue)", "share"),
    "gridlocked_share": ("Replications gridlocked", "share"),
    "hours_at_level_1": ("Hours at escalation level 1 (steady state)", "hours"),
    "hours_at_level_2": ("Hours at escalation level 2", "hours"),
    "hours_at_level_3": ("Hours at escalation level 3", "hours"),
    "hours_at_level_4": ("Hours at escalation level 4", "hours"),
    "escalation_actions_open_beds": ("Escalation: beds opened (times)", "count"),
    "escalation_actions_ed_spaces": ("Escalation: extra ED spaces opened (times)", "count"),
    "escalation_actions_allow_outlying": ("Escalation: outlying allowed (times)", "count"),
    "escalation_actions_postpone_electives": ("Escalation: electives postponed (times)", "count"),
    "escalation_actions_discharge_push": ("Escalation: discharge push (times)", "count"),
    "escalation_actions_pathway_capacity": ("Escalation: discharge capacity bought (times)", "count"),
    "elective_postponed": ("Elective admissions postponed by escalation", "count"),
    "nctr_mean": ("Patients not meeting criteria to reside (NCTR), average", "beds"),
    "nctr_per_bed": ("NCTR patients per bed", "share"),
    "nctr_daily_per_bed": ("NCTR patients per bed, daily count (sitrep)", "share"),
    "nctr_bed_days": ("Bed-days held by NCTR patients", "bed-days"),
    "nctr_delay_mean_h": ("Delay from ready to leaving, mean (NCTR)", "hours"),
    "nctr_delay_p90_h": ("Delay from ready to leaving, 90th percentile", "hours"),
    "pathway_occupancy_mean": ("Pathway places occupied, average", "places"),
    "pathway_places_mean": ("Pathway places open, average", "places"),
    "pathway_starts": ("Patients started by the pathway", "count"),
    "pathway_load_ratio": ("Pathway load: ready patients / starts it could offer", "share"),
    "pathway_growing": ("Pathway NCTR growing without bound", "share"),
    "pathway_growing_share": ("Replications with pathway NCTR growing", "share"),
    "ambulance_arrivals": ("Arrivals by ambulance", "count"),
    "ambulance_handover_mean_h": ("Ambulance handover (arrival to a space), mean", "hours"),
    "ambulance_handover_over_15min_share": ("Ambulance handovers over 15 minutes", "share"),
    "ambulance_handover_over_30min_share": ("Ambulance handovers over 30 minutes", "share"),
    "ambulance_handover_over_45min_share": ("Ambulance handovers over 45 minutes", "share"),
    "ambulance_handover_over_60min_share": ("Ambulance handovers over 60 minutes", "share"),
}
__all__ += ["METRIC_LABELS"]
