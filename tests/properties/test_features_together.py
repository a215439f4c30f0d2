"""Issue 13's features together: conservation, Little's law, capacity, a well-formed log, reproducibility.

Each feature of issue 13 has its own tests; these run them all at once in one busy hospital
and check the identities that must hold whatever the features do to each other. The hospital
(:func:`busy_hospital`): an emergency department with two clinicians and a walk-in stream that
leaves without being seen when its patience runs out; an acute medical unit (AMU), medicine
(MED, with cleaning time and escalation beds) and elderly care (ELD) whose patients outlie in
each other's beds (and MED's in surgery's) with caps, a stay factor and repatriation (after
the home queue, before it, never); surgery (SURG) with an elective list whose cancelled
patients are rebooked; an ICU that turns direct arrivals away (``when_full: reject``) while
transfers wait for it (``transfers_when_full: block``); class priorities that rise with the
wait; discharge by day of week (the peers' Mon..Sun profile) with an hourly profile and a
cut-off hour, and a discharge lounge for the wards. Six weeks measured after one of warm-up,
four replications: about 1 s of simulation in all. Every test that takes the replications runs twice: on
that hospital and on the same with issue 14's discharge pathways (:data:`PATHWAYS`: daily starts by weekday,
a pool of places, priority order, an unlimited pathway with its assessment in the community), where patients
ready to leave hold their beds (NCTR) until their pathway starts them.

The terms of the conservation law, as ``hospital_twin.results`` and ``docs/schemas.md`` define
them (requests for a bed are counted by the time they asked, ``ready_at >= warm-up``):

* a unit: ``arrivals = admitted + rejected + cancelled + still_waiting`` plus, for an emergency
  department with patience, the arrivals who left without being seen *while waiting for a
  cubicle* (``SimOutput.left_unseen``); those who left from a cubicle had one, so they are
  ``admitted`` there (a stay with destination -3). ``left_without_being_seen`` is both.
  ``cancelled`` is every cancellation, rebooked or not: a rebooked patient's new date is a
  new request (a new arrival of the unit), so booked requests balance request by request.
* outliers count where their bed is: an outlier's stay is a row of the host, and the host's
  ``admitted`` and ``arrivals`` count it (though it asked for its home unit); a repatriation
  is a new stay of the home unit, asked when it moved, so the home's ``arrivals`` and
  ``admitted`` count it too. ``outlier_admissions`` and ``repatriations`` (unit = home) say
  how many of each.
* ``ALL``: requests for an inpatient bed from outside the inpatient units (external and
  elective arrivals at inpatient units, rebooked electives, ED decisions to admit), with
  ``admitted`` the first inpatient stay of a spell: outlying and repatriation are moves
  inside a spell and never count on ``ALL``. There is no left-unseen term (only ED patients
  leave unseen).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hospital_twin.experiment.resultsdir import write_results
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.results import ALL, adt_log, rep_kpis
from hospital_twin.sim.model import HospitalSim, simulate
from hospital_twin.sim.outlying import OUTLIER_FIELDS
from hospital_twin.sim.pathways import PATHWAY_DEST0, pathway_code
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import scenario, seed, stay

F = {name: i for i, name in enumerate(STAY_FIELDS)}
OF = {name: i for i, name in enumerate(OUTLIER_FIELDS)}
REPS = 4
HOUR_OF_DAY = [0.4] * 7 + [1.3] * 12 + [1.0] * 5
PEERS_BY_WEEKDAY = [12.4, 15.7, 16.5, 16.6, 17.8, 12.3, 8.7]  # % of the week's discharges, Mon..Sun


def busy_hospital(horizon_days: float = 42, warmup_days: float = 7, replications: int = REPS, **extra):
    """Every landed feature of issue 13 at once, busy enough that each one acts (see the module docstring);
    ``extra``: more scenario fields."""
    return scenario(
        units={
            "ED": {
                "beds": 12,
                "kind": "ed",
                "when_full": "queue",
                "ed": {"clinicians": 2, "assessment": stay("exponential", 0.6)},
            },
            "AMU": {
                "beds": 9,
                "kind": "assessment",
                "discharge": {"window_hours": [8, 22]},
                "outlying": {"hosts": ["MED", "ELD"], "after_hours": 2, "repatriate": "never"},
            },
            "MED": {
                "beds": 22,
                "turnaround_hours": 1.0,
                "max_outliers": 3,
                "escalation": {"beds": 2, "open_at": 1.05, "close_below": 0.9},
                "outlying": {
                    "hosts": ["ELD", "SURG"],
                    "after_hours": 4,
                    "stay_factor": 1.3,
                    "repatriate": "after_waiting",
                    "classes": ["medical"],
                },
            },
            "ELD": {
                "beds": 24,
                "max_outliers": 3,
                "outlying": {"hosts": ["MED"], "stay_factor": 1.2, "repatriate": "before_waiting"},
            },
            "SURG": {"beds": 18, "max_outliers": 2},
            "ICU": {
                "beds": 4,
                "kind": "icu",
                "when_full": "reject",
                "transfers_when_full": "block",
                "max_outliers": 0,
                "discharge": {"weekend_rate": 1.0},
            },
        },
        arrivals=[
            {
                "name": "walk_in",
                "unit": "ED",
                "per_day": 34.0,
                "hour_of_day": HOUR_OF_DAY,
                "class_mix": {"medical": 0.8, "surgical": 0.2},
                "patience": stay("exponential", 4.0),
            },
            {"name": "ambulance", "unit": "ED", "per_day": 10.0, "class_mix": {"medical": 0.7, "surgical": 0.3}},
            {"name": "gp", "unit": "AMU", "per_day": 2.0, "patient_class": "medical"},
            {"name": "direct_icu", "unit": "ICU", "per_day": 0.5, "patient_class": "surgical"},
        ],
        electives=[
            {
                "name": "surgery",
                "unit": "SURG",
                "per_weekday": [2, 2, 2, 2, 2, 0, 0],
                "hour": 7,
                "cancel_after_hours": 6,
                "rebook_after_days": 7,
                "max_rebookings": 2,
            }
        ],
        patient_classes={
            "medical": {
                "priority": 1,
                "priority_after": {"hours": 8, "priority": 0},
                "routes": {
                    "ED": {"exit": 0.72, "AMU": 0.22, "ICU": 0.02, "ELD": 0.04},
                    "AMU": {"exit": 0.35, "MED": 0.45, "ELD": 0.2},
                    "MED": {"exit": 0.97, "ICU": 0.03},
                    "ELD": {"exit": 1.0},
                    "ICU": {"MED": 0.8, "exit": 0.2},
                },
            },
            # below the electives in SURG's queue until it has waited 6 h, then above them
            "surgical": {
                "priority": 2,
                "priority_after": {"hours": 6, "priority": 0},
                "routes": {
                    "ED": {"exit": 0.7, "SURG": 0.27, "ICU": 0.03},
                    "SURG": {"exit": 0.95, "ICU": 0.05},
                    "ICU": {"SURG": 0.8, "exit": 0.2},
                },
            },
            "elective": {
                "priority": 1,
                "routes": {"SURG": {"exit": 0.92, "ICU": 0.08}, "ICU": {"SURG": 0.9, "exit": 0.1}},
            },
        },
        length_of_stay={
            "ED": stay("lognormal", 2.0, 1.0),
            "AMU": stay("lognormal", 16, 0.8),
            "MED": stay("gamma", 100, 0.9),
            "ELD": stay("gamma", 150, 0.8),
            "SURG": stay("lognormal", 80, 0.9),
            "ICU": stay("exponential", 48),
        },
        discharge={
            "hourly_profile": [0] * 8 + [1, 2, 3, 4, 4, 3, 3, 2, 2, 1, 1, 1] + [0] * 4,
            "day_of_week": PEERS_BY_WEEKDAY,
            "ready_cutoff_hour": 15,
        },
        discharge_lounges={
            "LOUNGE": {
                "places": 4,
                "time_there": stay("lognormal", 3.0, 0.6),
                "units": ["MED", "ELD", "SURG"],
                "hours": [8, 20],
            }
        },
        horizon_days=horizon_days,
        warmup_days=warmup_days,
        replications=replications,
        seed=seed(1313),
        **extra,
    )


SCENARIO = busy_hospital()

PATHWAYS = {  # issue 14: discharge pathways on top (daily starts by weekday, a pool, priority order, assessments)
    "discharge_pathways": {
        "P1": {"starts_by_weekday": [2.5, 2.5, 2.5, 2.5, 2.5, 0.5, 0.5], "start_hour": 10},
        "P2": {"places": 4, "stay": stay("lognormal", 120, 0.8), "assessment": stay("exponential", 12)},
        "P3": {"starts_per_day": 0.7, "order": "priority", "assessment": stay("gamma", 48, 0.5)},
        "OTHER": {"assessment": stay("exponential", 6), "assessment_in": "community"},
    },
    "pathway_shares": {
        "MED": {"P1": 0.12, "P2": 0.06, "P3": 0.03, "OTHER": 0.02},
        "ELD": {"P1": 0.15, "P2": 0.08, "P3": 0.06},
        "AMU": {"P1": 0.05},
    },
    "patient_classes": {"surgical": {"pathway_shares": {"SURG": {"P1": 0.08, "P2": 0.04}}}},
}
"""Pathways for the busy hospital: P1 and P3 (with priority order) daily, P2 a pool, OTHER unlimited; the
surgical class has its own shares on SURG (merged into the class's spec by :func:`with_pathways`)."""


def with_pathways(**kw):
    """The busy hospital with :data:`PATHWAYS`."""
    s = busy_hospital(**kw)
    data = s.model_dump(mode="json", exclude_unset=True)
    data["discharge_pathways"] = PATHWAYS["discharge_pathways"]
    data["pathway_shares"] = PATHWAYS["pathway_shares"]
    data["patient_classes"]["surgical"]["pathway_shares"] = PATHWAYS["patient_classes"]["surgical"]["pathway_shares"]
    return type(s).model_validate(data)


SCENARIOS = {"plain": SCENARIO, "pathways": with_pathways()}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def scn(request):
    """The busy hospital, without and with discharge pathways: every test taking it runs on both."""
    return SCENARIOS[request.param]


@pytest.fixture(scope="module")
def outputs(scn):
    """Raw records of every replication (no folding: every stay stays in ``SimOutput.stays``)."""
    return [simulate(scn, rep) for rep in range(REPS)]


@pytest.fixture(scope="module")
def kpis(outputs):
    return [rep_kpis(out) for out in outputs]


def _kpi(k: pd.DataFrame, metric: str, unit: str) -> float:
    v = k[(k["metric"] == metric) & (k["unit"] == unit)]["value"]
    return float(v.iloc[0]) if len(v) else 0.0


def _n_ext(out) -> int:
    return len(out.source_names) - len(out.unit_names)


def _inpatient(out) -> np.ndarray:
    return np.array([sp.ed is None and sp.kind != "ed" for sp in out.scenario.units.values()])


def _aging_reorders(out) -> int:
    """Surgical patients given a SURG bed while an elective that asked earlier still waited for one.

    Electives (priority 1) go before surgical patients (2) in SURG's queue: a surgical patient can
    pass a waiting elective only with the priority it gains after 6 h (``priority_after``).
    """
    S, ui, surg, el = out.stays, out.unit_names.index("SURG"), out.class_names.index("surgical"), None
    el = out.class_names.index("elective")
    mine = S[S[:, F["unit"]] == ui]
    granted = mine[(mine[:, F["pclass"]] == surg) & (mine[:, F["start"]] > mine[:, F["ready_at"]])][:, F["start"]]
    waits = [(r[F["ready_at"]], r[F["start"]]) for r in mine if r[F["pclass"]] == el]
    waits += [(r[2], r[3]) for r in out.cancellations if r[1] == ui]
    waits += [(r[2], out.end_h) for r in out.waiting_at_end if r[1] == ui and r[3] == el]
    return sum(any(a < t < b for a, b in waits) for t in granted.tolist())


# --------------------------------------------------------------------------- (1) every mechanism acts
def test_features_together_every_mechanism_acts(outputs, kpis):
    """Premise: in the busy hospital each feature fires (outliers, repatriations, LWBS from the queue and from
    a cubicle, rebookings, the lounge, priority aging, ICU rejections and blocked transfers, patients waiting
    at the end), so the identities below are tested on all of them together."""
    seen = dict.fromkeys(
        [
            "outliers",
            "outliers_from_transfers",
            "repatriations",
            "lwbs_from_queue",
            "lwbs_from_cubicle",
            "rebooked",
            "rebooked_pending_at_end",
            "cancelled_final",
            "lounge_uses",
            "lounge_full",
            "aging_reorders",
            "icu_rejected",
            "icu_transfer_waited",
            "waiting_at_end",
            "waiting_at_end_in_a_bed",
            "escalation_opened",
            "discharged_by_weekday",
        ],
        0,
    )
    for out, k in zip(outputs, kpis, strict=True):
        S, icu = out.stays, out.unit_names.index("ICU")
        seen["outliers"] += _kpi(k, "outlier_admissions", ALL)
        host_rows = {(int(r[OF["patient"]]), int(r[OF["host"]]), r[OF["start"]]) for r in out.outliers}
        seen["outliers_from_transfers"] += sum(
            (int(r[F["patient"]]), int(r[F["unit"]]), r[F["start"]]) in host_rows
            for r in S
            if r[F["source"]] >= _n_ext(out)
        )
        seen["repatriations"] += _kpi(k, "repatriations", ALL)
        seen["lwbs_from_queue"] += len(out.left_unseen)
        seen["lwbs_from_cubicle"] += int((S[:, F["dest"]] == -3).sum())
        seen["rebooked"] += _kpi(k, "elective_rebooked", "SURG")
        seen["rebooked_pending_at_end"] += int((out.rebookings[:, 4] >= out.end_h).sum())
        seen["cancelled_final"] += _kpi(k, "elective_cancelled_final", "SURG")
        seen["lounge_uses"] += _kpi(k, "lounge_uses", "LOUNGE")
        seen["lounge_full"] += _kpi(k, "lounge_full", "LOUNGE")
        seen["aging_reorders"] += _aging_reorders(out)
        seen["icu_rejected"] += int(((out.rejections[:, 1] == icu) & (out.rejections[:, 4] == -1)).sum())
        to_icu = (S[:, F["unit"]] == icu) & (S[:, F["source"]] >= _n_ext(out))
        seen["icu_transfer_waited"] += int((to_icu & (S[:, F["start"]] > S[:, F["ready_at"]])).sum())
        seen["waiting_at_end"] += len(out.waiting_at_end)
        seen["waiting_at_end_in_a_bed"] += int((out.waiting_at_end[:, 4] >= 0).sum())
        seen["escalation_opened"] += int((out.capacity_log[:, 3] > 0).sum())
        seen["discharged_by_weekday"] += int(_kpi(k, "discharge_delay_bed_hours", "MED") > 0)
    assert all(v > 0 for v in seen.values()), seen
    # no transfer into the ICU was turned away: transfers wait (transfers_when_full: block)
    for out in outputs:
        icu = out.unit_names.index("ICU")
        assert not ((out.rejections[:, 1] == icu) & (out.rejections[:, 4] >= 0)).any()


# --------------------------------------------------------------------------- (2) conservation
def test_features_together_conservation_from_the_kpis(outputs, kpis):
    """Per unit and ALL, from the KPIs: arrivals = admitted + rejected + cancelled + still_waiting (+ for the ED,
    left unseen from the queue for a cubicle); LWBS = those + those who left from a cubicle; rebooked +
    cancelled for good = cancelled."""
    for out, k in zip(outputs, kpis, strict=True):
        lo = out.warmup_h
        for unit in [*out.unit_names, ALL]:
            parts = sum(_kpi(k, m, unit) for m in ("admitted", "rejected", "cancelled", "still_waiting"))
            unseen_queue = 0
            if unit == "ED":
                ed = out.unit_names.index("ED")
                unseen_queue = int(((out.left_unseen[:, 1] == ed) & (out.left_unseen[:, 2] >= lo)).sum())
                S = out.stays
                unseen_cubicle = ((S[:, F["unit"]] == ed) & (S[:, F["dest"]] == -3) & (S[:, F["ready_at"]] >= lo)).sum()
                assert _kpi(k, "left_without_being_seen", "ED") == unseen_queue + unseen_cubicle > 0
                assert _kpi(k, "left_without_being_seen", ALL) == _kpi(k, "left_without_being_seen", "ED")
            assert _kpi(k, "arrivals", unit) == parts + unseen_queue, (out.rep, unit)
        for unit in ("SURG", ALL):
            rebooked, final = _kpi(k, "elective_rebooked", unit), _kpi(k, "elective_cancelled_final", unit)
            assert rebooked + final == _kpi(k, "cancelled", unit) > 0, (out.rep, unit)


def test_features_together_unit_arrivals_recomputed_from_raw_records(outputs, kpis):
    """A unit's arrivals from the raw records: requests that asked it (external arrivals and bookings, rebooked
    electives asking again, transfers to it, refused or not) and repatriations into it, with the requests from
    outside placed as outliers moved from their home unit to their host (where the KPIs count them)."""
    for out, k in zip(outputs, kpis, strict=True):
        lo, hi, S = out.warmup_h, out.end_h, out.stays
        n_ext = _n_ext(out)
        dest, ready_h, end = S[:, F["dest"]], S[:, F["ready_h"]], S[:, F["end"]]
        # a repatriation: the host stay ends (into the home unit) before the stay itself ended
        repat_move = np.isnan(ready_h) & ~np.isnan(end) & (dest >= 0) & (end >= lo)
        assert repat_move.sum() == _kpi(k, "repatriations", ALL)
        # outliers whose request came from outside (the host stay's source is not a unit)
        source_of = {(int(r[F["patient"]]), int(r[F["unit"]]), r[F["start"]]): r[F["source"]] for r in S}
        rec = out.outliers
        external = np.array(
            [source_of[(int(r[OF["patient"]]), int(r[OF["host"]]), r[OF["start"]])] < n_ext for r in rec], dtype=bool
        )
        placed = external & (rec[:, OF["ready_at"]] >= lo)
        for ui, name in enumerate(out.unit_names):
            asked_ext = ((out.arrivals[:, 1] == ui) & (out.arrivals[:, 2] >= lo)).sum()
            rb = out.rebookings
            asked_again = ((rb[:, 1] == ui) & (rb[:, 4] >= lo) & (rb[:, 4] < hi)).sum()
            transfers = ((dest == ui) & (ready_h >= lo)).sum()
            refused = ((out.rejections[:, 1] == ui) & (out.rejections[:, 4] >= 0) & (out.rejections[:, 2] >= lo)).sum()
            repatriated_in = (repat_move & (dest == ui)).sum()
            moved_out = (placed & (rec[:, OF["home"]] == ui)).sum()
            moved_in = (placed & (rec[:, OF["host"]] == ui)).sum()
            expected = asked_ext + asked_again + transfers + refused + repatriated_in - moved_out + moved_in
            assert _kpi(k, "arrivals", name) == expected, (out.rep, name)


def test_features_together_all_arrivals_recomputed_from_raw_records(outputs, kpis):
    """ALL from the raw records: arrivals = external and elective requests at inpatient units (rebooked ones
    again) + ED decisions to admit (granted, outlying, waiting or refused); admitted = first inpatient stays,
    never an outlier's move home."""
    for out, k in zip(outputs, kpis, strict=True):
        lo, hi, S = out.warmup_h, out.end_h, out.stays
        ed = out.unit_names.index("ED")
        inp = np.flatnonzero(_inpatient(out))
        external = (np.isin(out.arrivals[:, 1], inp) & (out.arrivals[:, 2] >= lo)).sum()
        rb = out.rebookings
        again = (np.isin(rb[:, 1], inp) & (rb[:, 4] >= lo) & (rb[:, 4] < hi)).sum()
        dta = ((S[:, F["unit"]] == ed) & np.isin(S[:, F["dest"]], inp) & (S[:, F["ready_h"]] >= lo)).sum()
        rej = out.rejections
        refused = ((rej[:, 4] == ed) & np.isin(rej[:, 1], inp) & (rej[:, 2] >= lo)).sum()
        assert _kpi(k, "arrivals", ALL) == external + again + dta + refused, out.rep
        n_ext = _n_ext(out)
        src = S[:, F["source"]]
        first = np.isin(S[:, F["unit"]], inp) & ((src < n_ext) | (src == n_ext + ed)) & (S[:, F["ready_at"]] >= lo)
        assert _kpi(k, "admitted", ALL) == first.sum(), out.rep
        assert _kpi(k, "ed_attendances", ALL) == ((out.arrivals[:, 1] == ed) & (out.arrivals[:, 2] >= lo)).sum()


def _patients_at_the_end(out) -> dict[str, set[int]]:
    """Every patient who arrived, by where it is when the run ends (whole run, warm-up included)."""
    S = out.stays
    pid = S[:, F["patient"]].astype(int)
    open_ = np.isnan(S[:, F["end"]])
    stayed = set(pid.tolist())
    inside = set(pid[open_].tolist())
    wait = out.waiting_at_end
    rb = out.rebookings
    last_rebooking = {int(r[0]): r[4] for r in rb[np.argsort(rb[:, 4], kind="stable")]}
    return {
        "inside": inside,  # in a bed (those waiting there for a bed elsewhere included)
        "waiting_from_outside": set(wait[wait[:, 4] < 0, 0].astype(int).tolist()),
        "rebooked_date_after_the_end": {p for p, t in last_rebooking.items() if t >= out.end_h},
        "left_after_a_stay": stayed - inside,  # home (some from the lounge), out, or unseen from a cubicle
        "rejected": set(out.rejections[out.rejections[:, 4] < 0, 0].astype(int).tolist()),
        "left_unseen_from_the_queue": set(out.left_unseen[:, 0].astype(int).tolist()),
        "cancelled_for_good": {
            int(p) for p in out.cancellations[:, 0] if int(p) not in stayed and int(p) not in last_rebooking
        }
        | {
            p
            for p, t in last_rebooking.items()
            if t < out.end_h and p not in stayed and p not in set(wait[:, 0].astype(int).tolist())
        },
    }


def test_features_together_every_patient_is_in_exactly_one_place_at_the_end(outputs):
    """Patient level: every patient who arrived is, at the end, exactly once: in a bed, waiting for one, waiting
    for its rebooked date, gone after a stay, or gone without one (rejected, left unseen from the queue,
    cancelled for good); and nobody appears in the records without having arrived."""
    for out in outputs:
        arrived = out.arrivals[:, 0].astype(int)
        assert len(set(arrived.tolist())) == len(arrived)  # one arrival per patient, rebooked or not
        groups = _patients_at_the_end(out)
        assert sum(len(g) for g in groups.values()) == len(arrived), {k: len(v) for k, v in groups.items()}
        assert set().union(*groups.values()) == set(arrived.tolist())
        # one open stay per patient inside: nobody holds two beds
        open_ = np.isnan(out.stays[:, F["end"]])
        assert len(groups["inside"]) == open_.sum()
        # a patient waiting for a bed from inside the hospital waits in a bed of the unit named as from_unit
        where = {int(r[F["patient"]]): int(r[F["unit"]]) for r in out.stays[open_]}
        for r in out.waiting_at_end[out.waiting_at_end[:, 4] >= 0]:
            assert where.get(int(r[0])) == int(r[4]), (out.rep, r)
        # the rebooking and unseen records are patients of their own list or department
        assert (out.rebookings[:, 1] == out.unit_names.index("SURG")).all()
        assert (out.left_unseen[:, 1] == out.unit_names.index("ED")).all()


def test_features_together_each_booking_is_done_cancelled_for_good_or_still_waiting(outputs, scn):
    """Electives, per patient: booked = done + cancelled for good + still waiting (for a bed, or for its rebooked
    date); each patient cancelled at most max_rebookings + 1 times and rebooked after all but the last."""
    spec = scn.electives[0]
    used_up = 0
    for out in outputs:
        el = out.class_names.index("elective")
        booked = set(out.arrivals[out.arrivals[:, 3] == el, 0].astype(int).tolist())
        groups = _patients_at_the_end(out)
        done = booked & (groups["inside"] | groups["left_after_a_stay"])
        waiting = booked & (groups["waiting_from_outside"] | groups["rebooked_date_after_the_end"])
        final = booked & groups["cancelled_for_good"]
        assert len(booked) == len(done) + len(waiting) + len(final) and len(done | waiting | final) == len(booked)
        cancels = pd.Series(out.cancellations[:, 0].astype(int)).value_counts()
        rebooks = pd.Series(out.rebookings[:, 0].astype(int)).value_counts().reindex(cancels.index, fill_value=0)
        assert (cancels <= spec.max_rebookings + 1).all()
        assert ((rebooks == cancels) | (rebooks == cancels - 1)).all()
        assert set(cancels.index[rebooks == cancels - 1]) == final  # cancelled for good: the last one not rebooked
        assert (rebooks <= spec.max_rebookings).all()
        used_up += int((cancels == spec.max_rebookings + 1).sum())
    assert used_up > 0  # premise: some patients were cancelled for good after their last rebooking


def test_features_together_an_outlier_routed_on_to_its_host_keeps_its_bed():
    """Hand trace. A (1 bed) outlies into B (1 bed); A's route is A -> B; stays fixed 48 h. Two electives ask A
    at 07:00: the first gets A, the second is placed in B as A's outlier. At 55 both finish their A stay and
    go on to B: the first waits in A for B's bed; the outlier is already in B's bed, so it stays there as B's
    own patient (a new B row from 55, no bed freed) and leaves at 103, when the first moves to B (leaves 151).
    Before the fix the outlier queued for another B bed behind the first, which waited for the bed the
    outlier held: both waited to the end of the run."""
    fixed_48 = {"distribution": "fixed", "mean_hours": 48}
    s = scenario(
        units={"A": {"beds": 1, "outlying": {"hosts": ["B"], "repatriate": "never"}}, "B": {"beds": 1}},
        arrivals=[],
        electives=[{"name": "el", "unit": "A", "patient_class": "general", "per_weekday": [2, 0, 0, 0, 0, 0, 0]}],
        routes={"A": {"B": 1.0}},
        length_of_stay={"A": fixed_48, "B": fixed_48},
        horizon_days=7,
        warmup_days=0,
    )
    out = simulate(s)
    log = adt_log(out)
    rows = [
        (r.patient_id, r.unit, (r.start - log["start"].min()).total_seconds() / 3600 + 7, r.home_unit, r.arrival_source)
        for r in log.itertuples()
    ]
    ends = ((log["end"] - log["start"].min()).dt.total_seconds() / 3600 + 7).tolist()
    assert [(p, u, h, str(hm), src) for p, u, h, hm, src in rows] == [
        ("0-0", "A", 7.0, "<NA>", "elective"),
        ("0-0", "B", 103.0, "<NA>", "A"),
        ("0-1", "B", 7.0, "A", "elective"),
        ("0-1", "B", 55.0, "<NA>", "B"),
    ]
    assert ends == [103.0, 151.0, 55.0, 103.0]
    np.testing.assert_allclose(out.outliers, [[1, 0, 1, 7, 7, 55, 0]])
    assert len(out.waiting_at_end) == 0


# --------------------------------------------------------------------------- (3) Little's law
def _little_terms(starts, ends, asked, lo, hi):
    """Pieces of sample-path Little's law over the window [lo, hi) for stays (or spells) [start, end).

    ``area`` is the in-window bed-hours; with ``A`` the stays asked in the window (``asked >= lo``) and ``C``
    those of them that ended, ``admitted x los_mean = n(A) x mean over C of (end - start)``, and
    ``area - admitted x los_mean = edge_before + edge_open - n_open x los_mean``: the in-window hours of the
    stays asked before the window, plus those of the stays asked in it and still open at ``hi``, minus the
    mean stay counted for each of the latter. No other term: the identity is exact on every sample path.
    """
    closed = ~np.isnan(ends)
    e = np.where(closed, ends, hi)
    overlap = np.clip(np.minimum(e, hi) - np.maximum(starts, lo), 0.0, None)
    a = asked >= lo
    n_closed = (a & closed).sum()
    los = (ends[a & closed] - starts[a & closed]).sum() / n_closed
    return {
        "area": overlap.sum(),
        "admitted": a.sum(),
        "los_mean_h": los,
        "edge": overlap[~a].sum() + overlap[a & ~closed].sum() - (a & ~closed).sum() * los,
    }


def _spells(out):
    """Inpatient spells (runs of inpatient stays of a patient; nobody goes back to the ED here): first start,
    last end (nan if open), first ready_at."""
    S = out.stays[_inpatient(out)[out.stays[:, F["unit"]].astype(int)]]
    df = pd.DataFrame(
        {"p": S[:, F["patient"]], "start": S[:, F["start"]], "end": S[:, F["end"]], "ready": S[:, F["ready_at"]]}
    )
    g = df.groupby("p")
    open_ = g["end"].apply(lambda x: x.isna().any())
    spells = pd.DataFrame({"start": g["start"].min(), "end": g["end"].max().where(~open_), "ready": g["ready"].min()})
    return spells["start"].to_numpy(), spells["end"].to_numpy(), spells["ready"].to_numpy()


LITTLE_EDGE_SD = 0.055
"""Largest standard deviation, per replication, of (relative Little gap - b) over 40 replications (ELD 0.052)."""


def test_features_together_littles_law_per_unit_and_all_up_to_the_window_edges(outputs, kpis):
    """Per unit and ALL: occupancy_mean x T equals the in-window bed-hours of the stays (spells on ALL) recomputed
    from the raw records, and differs from admitted / T x los_mean_h x T by exactly the window-edge terms of
    :func:`_little_terms`.

    Their size: in steady state the stays running across the start and those unfinished at the end each
    weigh ``lambda E[S^2] / 2``, so the relative gap (occupancy above lambda W) is about ``b = E[S] cv^2 / T``
    (``tests/analytic/test_littles_law_hospital.py``), taken from the run's finished stays (censored, so a
    little short). That part is statistical: over 40 replications the mean gap is within 0.02 of ``b`` on every
    row (SURG 0.068 vs 0.049, ELD 0.102 vs 0.093, ALL 0.100 vs 0.090) and the per-replication difference has a
    standard deviation of at most 0.055 (ELD 0.052, ICU 0.051, MED 0.033, ALL 0.023). So the mean over the
    replications must be within ``0.02 + 3 x 0.055 / sqrt(n)`` of ``b`` (0.10 with 4). Measured with 4
    replications, gap vs b: ED 0.011 vs 0.012, AMU 0.005 vs 0.011, MED 0.068 vs 0.076, ELD 0.081 vs 0.089,
    SURG 0.052 vs 0.054, ICU 0.035 vs 0.045, ALL 0.085 vs 0.092. The exact identity above is the strong check.
    """
    figures: dict[str, list[tuple[float, float]]] = {}
    for out, k in zip(outputs, kpis, strict=True):
        lo, hi, S = out.warmup_h, out.end_h, out.stays
        span = hi - lo
        pieces = [
            (name, S[S[:, F["unit"]] == ui][:, [F["start"], F["end"], F["ready_at"]]].T)
            for ui, name in enumerate(out.unit_names)
        ]
        for name, (starts, ends, asked) in [*pieces, (ALL, _spells(out))]:
            t = _little_terms(starts, ends, asked, lo, hi)
            occ, adm, los = (_kpi(k, x, name) for x in ("occupancy_mean", "admitted", "los_mean_h"))
            assert occ * span == pytest.approx(t["area"], rel=1e-9, abs=1e-6), (out.rep, name)
            assert adm == t["admitted"] and los == pytest.approx(t["los_mean_h"], rel=1e-12), (out.rep, name)
            gap = occ * span - adm * los
            assert gap == pytest.approx(t["edge"], rel=1e-9, abs=1e-6), (out.rep, name)
            done = ~np.isnan(ends) & (asked >= lo)
            d = ends[done] - starts[done]
            figures.setdefault(name, []).append((gap / (occ * span), d.var() / d.mean() / span))
    for name, v in figures.items():
        gap, b = np.mean(v, axis=0)
        tol = 0.02 + 3 * LITTLE_EDGE_SD / np.sqrt(len(v))
        assert abs(gap - b) <= tol, f"{name}: relative gap {gap:.4f}, edge term b {b:.4f}, tolerance {tol:.4f}"


def test_features_together_littles_law_in_the_discharge_lounge(outputs, kpis, scn):
    """The lounge: place-hours = uses x mean time there, exactly: it opens 08:00-20:00 and the window starts
    and ends at midnight, when nobody is in it, so no lounge visit crosses an edge."""
    assert scn.warmup_h % 24 == 0 and scn.end_h % 24 == 0
    for out, k in zip(outputs, kpis, strict=True):
        span = out.end_h - out.warmup_h
        occ, uses, time_h = (
            _kpi(k, x, "LOUNGE") for x in ("lounge_occupancy_mean", "lounge_uses", "lounge_time_mean_h")
        )
        assert uses > 0 and occ * span == pytest.approx(uses * time_h, rel=1e-9), out.rep
        assert time_h <= 12.0  # inside one day's opening hours


# --------------------------------------------------------------------------- (4) capacity
def _peak_over_capacity(starts, ends, cap_t, cap_v) -> float:
    """Largest (occupied - capacity in force) over every instant; at one instant beds freed count first, and a
    capacity change made then counts at its largest (a bed is granted after the change that made room)."""
    ends = np.where(np.isnan(ends), np.inf, ends)
    times = np.unique(np.concatenate([starts, cap_t]))
    occupied = (starts[None, :] <= times[:, None]).sum(axis=1) - (ends[None, :] <= times[:, None]).sum(axis=1)
    order = np.argsort(cap_t, kind="stable")
    cap_t, cap_v = cap_t[order], cap_v[order]
    last = np.searchsorted(cap_t, times, side="right") - 1
    at = {
        t: max(v for tt, v in zip(cap_t.tolist(), cap_v.tolist(), strict=True) if tt == t) for t in set(cap_t.tolist())
    }
    cap = np.array([max(at.get(t, -np.inf), cap_v[i]) for t, i in zip(times.tolist(), last.tolist(), strict=True)])
    return float((occupied - cap).max())


def test_features_together_beds_never_above_capacity_nor_hosts_above_their_cap(outputs, scn):
    """At every instant, from the raw records: occupied beds of a unit (outliers included) <= its beds + open
    escalation beds; escalation beds open <= those it has; outliers in a host <= its max_outliers."""
    for out in outputs:
        S, log = out.stays, out.capacity_log
        for ui, (name, spec) in enumerate(out.scenario.units.items()):
            m, c = S[:, F["unit"]] == ui, log[log[:, 1] == ui]
            esc = spec.escalation.beds if spec.escalation else 0
            assert (c[:, 2] == spec.beds + c[:, 3]).all() and (c[:, 3] <= esc).all(), name
            over = _peak_over_capacity(S[m, F["start"]], S[m, F["end"]], c[:, 0], c[:, 2])
            assert over <= 0, (out.rep, name, over)
            if spec.max_outliers is not None:
                r = out.outliers[out.outliers[:, OF["host"]] == ui]
                cap = np.full(1, float(spec.max_outliers))
                assert _peak_over_capacity(r[:, OF["start"]], r[:, OF["end"]], np.zeros(1), cap) <= 0, (out.rep, name)
        assert out.capacity_log[:, 3].max() == scn.units["MED"].escalation.beds  # premise: it opened


def test_features_together_discharge_lounge_never_above_its_places(scn):
    """The lounge's occupancy, followed at every change, never exceeds its places (and reaches them)."""
    sim = HospitalSim(scn, 0)
    lounge = next(iter(sim._lounges.values()))
    seen: list[int] = []
    level = lounge._level

    def watched(delta: int) -> None:
        level(delta)
        seen.append(lounge.occ)

    lounge._level = watched
    sim.run()
    assert min(seen) >= 0 and max(seen) == lounge.places


def test_features_together_every_pathway_patient_is_started_or_still_in_its_bed(outputs, kpis, scn, serial_run):
    """Discharge pathways (issue 14), from the raw records: a patient on a pathway was ready (ready_h) and has
    left its bed when the pathway started it or is still in it at the end, assessed or queueing
    (waiting_at_end + assessing_at_end); starts after the warm-up are the pathway stays that ended then; a daily
    pathway's starts are the starts offered minus those unused; an unlimited one has no queue; a pool never holds
    more than its places, at every change; the NCTR metrics are the stays' NCTR hours; in the log the rows of a
    pathway carry its name as discharge_destination and a ready_to_leave. Each kind of pathway, an outlier
    (a medical patient in a surgical bed) on a pathway and patients still waiting at the end all occur."""
    if not scn.discharge_pathways:
        pytest.skip("the variant without pathways")
    names = list(scn.discharge_pathways)
    seen = {"started": 0, "still_in_bed": 0, "outlier_on_pathway": 0, "pool_full": 0, "lost_starts": 0}
    for out, k in zip(outputs, kpis, strict=True):
        lo, hi, S = out.warmup_h, out.end_h, out.stays
        dest, ready, end = S[:, F["dest"]], S[:, F["ready_h"]], S[:, F["end"]]
        for j, rec in enumerate(out.extra["pathways"]):
            mine = dest == pathway_code(j)
            assert rec["name"] == names[j] and not np.isnan(ready[mine]).any()
            assert (np.where(np.isnan(end[mine]), hi, end[mine]) >= ready[mine]).all()
            assert rec["starts"] == int((mine & (end >= lo)).sum()) == _kpi(k, "pathway_starts", names[j])
            assert rec["waiting_at_end"] + rec["assessing_at_end"] == int((mine & np.isnan(end)).sum())
            if rec["kind"] == "daily":
                assert rec["starts"] == rec["offered_starts"] - rec["lost_starts"]
                seen["lost_starts"] += rec["lost_starts"]
            elif rec["kind"] == "unlimited":
                assert rec["waiting_at_end"] == 0
            else:
                assert 0 <= rec["in_places_at_end"] <= rec["places"]
                assert 0 <= _kpi(k, "pathway_occupancy_mean", names[j]) <= rec["places"]
            seen["started"] += rec["starts"]
            seen["still_in_bed"] += rec["waiting_at_end"]
        on = dest <= pathway_code(0)
        assert set((PATHWAY_DEST0 - dest[on]).astype(int).tolist()) == set(range(len(names)))  # each one used
        hours = np.clip(np.minimum(np.where(np.isnan(end), hi, end), hi) - np.maximum(ready, lo), 0.0, None)
        for ui, unit in enumerate(out.unit_names):
            nctr_h = hours[on & (S[:, F["unit"]] == ui)].sum()
            if _inpatient(out)[ui]:
                assert _kpi(k, "nctr_mean", unit) * (hi - lo) == pytest.approx(nctr_h, abs=1e-6), unit
        assert _kpi(k, "nctr_bed_days", ALL) * 24 == pytest.approx(hours[on].sum(), abs=1e-6)
        medical, surg = out.class_names.index("medical"), out.unit_names.index("SURG")
        seen["outlier_on_pathway"] += int((on & (S[:, F["pclass"]] == medical) & (S[:, F["unit"]] == surg)).sum())
        log = serial_run.adt_log[serial_run.adt_log["rep"] == out.rep]
        on_log = log["discharge_destination"].isin(names)
        assert on_log.sum() == on.sum() and log.loc[on_log, "ready_to_leave"].notna().all()
    sim = HospitalSim(scn, 0)
    pool = next(pw for pw in sim._pathways.pathways if pw.places)
    level = sim._pathways._level

    def watched(pw, delta: int) -> None:
        level(pw, delta)
        assert 0 <= pw.occ <= pw.places
        seen["pool_full"] += pw is pool and pw.occ == pw.places

    sim._pathways._level = watched
    sim.run()
    assert all(v > 0 for v in seen.values()), seen


# --------------------------------------------------------------------------- (5) the event log
@pytest.fixture(scope="module")
def serial_run(scn):
    return run_scenario(scn, workers=1)


def test_features_together_runner_tables_equal_the_raw_records(outputs, kpis, serial_run):
    """The runner folds closed stays away every week (remapping live patients, outliers among them): its kpis
    and event log equal those computed from an unfolded replication."""
    for out, k in zip(outputs, kpis, strict=True):
        r = serial_run.kpis[serial_run.kpis["rep"] == out.rep].reset_index(drop=True)
        pd.testing.assert_frame_equal(r, k.reset_index(drop=True))
        log = serial_run.adt_log[serial_run.adt_log["rep"] == out.rep].reset_index(drop=True)
        pd.testing.assert_frame_equal(log, adt_log(out))


def test_features_together_event_log_is_well_formed(outputs, serial_run, scn):
    """Per patient, the stays follow one another without gap or overlap (one bed at a time, through outlier
    placements, repatriations and moves into the lounge); only the last may be open; home_unit is filled
    exactly on outlier rows: a first stay outside the unit the patient asked for, in a host of it, each
    placement of SimOutput.outliers once."""
    log = serial_run.adt_log
    assert "home_unit" in log.columns
    hosts_of = {u: set(sp.outlying.hosts) for u, sp in scn.units.items() if sp.outlying is not None}
    for out in outputs:
        lg = log[log["rep"] == out.rep].reset_index(drop=True)
        g = lg.groupby("patient_id", sort=False)
        assert (lg["patient_id"] == lg["patient_id"].shift()).sum() == len(lg) - g.ngroups  # rows of a patient together
        same = lg["patient_id"] == lg["patient_id"].shift(-1)
        nxt = lg.shift(-1)
        assert (lg.loc[same, "end"] == nxt.loc[same, "start"]).all()  # no gap, no overlap
        assert lg.loc[same, "end"].notna().all()  # only the last stay may be open
        assert (lg["start"] >= lg["ready_at"]).all() and ((lg["end"] >= lg["start"]) | lg["end"].isna()).all()
        # each transfer asked for its next bed when it was ready to leave this one (not a repatriation: moved
        # while in treatment, ready_to_leave empty)
        moved = same & lg["ready_to_leave"].notna()
        assert (lg.loc[moved, "ready_to_leave"] == nxt.loc[moved, "ready_at"]).all()
        repat = same & lg["ready_to_leave"].isna()
        assert repat.sum() > 0
        assert (lg.loc[repat, "home_unit"].astype(str) == nxt.loc[repat, "unit"].astype(str)).all()
        assert (nxt.loc[repat, "arrival_source"] == lg.loc[repat, "unit"].astype(str)).all()
        # home_unit exactly on outlier rows
        outl = lg["home_unit"].notna()
        assert outl.sum() == len(out.outliers) > 0
        assert all(u in hosts_of[h] for u, h in zip(lg.loc[outl, "unit"], lg.loc[outl, "home_unit"], strict=True))
        t0 = pd.Timestamp(scn.start)
        keys = set(zip(lg.loc[outl, "patient_id"], lg.loc[outl, "start"], strict=True))
        assert keys == {
            (f"{out.rep}-{int(r[0])}", (t0 + pd.Timedelta(hours=r[OF["start"]])).round("s")) for r in out.outliers
        }
        # a first stay is in the unit the patient asked for, or it is an outlier of that unit
        asked = {f"{out.rep}-{int(p)}": out.unit_names[int(u)] for p, u in out.arrivals[:, :2]}
        first = lg[~(lg["patient_id"] == lg["patient_id"].shift())]
        home_or_unit = first["home_unit"].astype(object).where(first["home_unit"].notna(), first["unit"].astype(str))
        assert (home_or_unit == first["patient_id"].map(asked)).all()
        assert (first["unit"].astype(str) != first["patient_id"].map(asked)).sum() == first["home_unit"].notna().sum()


# --------------------------------------------------------------------------- (6) reproducibility
def test_features_together_same_seed_same_bytes_serially_and_with_two_workers(serial_run, tmp_path, scn):
    """One seed: kpis.csv, summary.csv, adt_log.csv and requests.csv are byte-identical whether the replications
    run again in this process or in two worker processes."""
    again = run_scenario(scn, workers=1)
    two = run_scenario(scn, workers=2)
    assert two.provenance["executor"] == "local processes (2)"
    folders = [write_results(r, tmp_path / n, fmt="csv") for r, n in ((serial_run, "a"), (again, "b"), (two, "c"))]
    for name in ("kpis.csv", "summary.csv", "adt_log.csv", "requests.csv"):
        first = (folders[0] / name).read_bytes()
        assert len(first) > 1000, name
        for f in folders[1:]:
            assert (f / name).read_bytes() == first, (f.name, name)


BOARDING_LEVELS = {  # the first ED patient waiting for a full AMU raises level 2, whose beds take it at once
    "GA": {
        "units": ["AMU", "SURG"],
        "levels": [
            {"level": 2, "enter_at": 1.0, "leave_below": 0.9, "boarders_at": 3, "actions": {"open_beds": {"AMU": 2}}},
            {
                "level": 3,
                "enter_at": 1.1,
                "leave_below": 1.0,
                "boarders_at": 6,
                "actions": {"open_beds": {"SURG": 1, "AMU": 1}, "allow_outlying": ["AMU"]},
            },
        ],
    }
}


@pytest.mark.parametrize("rep", [0, 1])
def test_features_together_ed_boarder_count_equals_the_ed_requests_waiting_at_the_end(rep):
    """With escalation levels triggered by ED boarders that open beds on the ED's admitting units (so raising
    a level can grant the very request that raised it) and allow outlying: at the end of the run each group's
    boarder count equals the ED requests still waiting for a bed in its units, and the level went up and down."""
    s = busy_hospital(horizon_days=28, warmup_days=0, replications=2, escalation_levels=BOARDING_LEVELS)
    sim = HospitalSim(s, rep)
    out = sim.run()
    policy = sim._pressure_check.__self__
    ed = sim._unit_index["ED"]
    (g,) = policy.groups
    waiting = sum(1 for u in g.units for *_, req in u.queue if req.active and req.from_unit == ed)
    assert g.boarders == waiting
    levels = out.escalation_path[:, 2]
    assert (levels == 3).any() and (np.diff(levels) < 0).sum() >= 3  # premise: up to 3, and down several times
