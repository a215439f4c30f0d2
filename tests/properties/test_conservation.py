"""Conservation of patients: every arrival is accounted for, every bed-holder is counted.

The scenario is deliberately busy and uses most of the language: an emergency
department, a queueing ICU with escalation beds, a ward with cleaning time, a
discharge window and capacity cuts, a unit that turns patients away, an elective list
with cancellations, and routes with loops. Nothing here is statistical: the
identities hold on every sample path.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hospital_twin.results import ALL, census, rep_kpis
from hospital_twin.sim.model import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import START, scenario, seed, stay

F = {name: i for i, name in enumerate(STAY_FIELDS)}
T0 = dt.datetime.fromisoformat(START)
REPS = 6


def busy_hospital(warmup_days: float):
    return scenario(
        units={
            "ED": {"beds": 4, "kind": "ed", "ed": {"clinicians": 2, "assessment": stay("exponential", 0.3)}},
            "ICU": {
                "beds": 4,
                "when_full": "queue",
                "kind": "icu",
                "escalation": {"beds": 2, "open_at": 1.0, "close_below": 0.75},
            },
            "WARD": {
                "beds": 12,
                "when_full": "queue",
                "turnaround_hours": 1.0,
                "discharge": {"window_hours": [8, 20]},
                "capacity_changes": [
                    {"at": T0 + dt.timedelta(days=20), "beds": 10},
                    {"at": T0 + dt.timedelta(days=40), "beds": 12},
                ],
            },
            "SDU": {"beds": 3, "when_full": "reject", "transfers_when_full": "reject", "kind": "hdu"},
        },
        arrivals=[
            {"name": "walk_in", "unit": "ED", "per_day": 24.0, "hour_of_day": [0.4] * 7 + [1.2] * 12 + [0.9] * 5},
            {"name": "direct_icu", "unit": "ICU", "per_day": 0.4},
            {"name": "direct_sdu", "unit": "SDU", "per_day": 0.8},
        ],
        electives=[
            {
                "name": "surgery",
                "unit": "WARD",
                "per_weekday": [2, 2, 2, 2, 1.5, 0, 0],
                "hour": 7,
                "cancel_after_hours": 4,
            }
        ],
        routes={
            "ED": {"exit": 0.85, "WARD": 0.06, "ICU": 0.02, "SDU": 0.07},
            "ICU": {"WARD": 0.6, "SDU": 0.2, "exit": 0.2},
            "WARD": {"exit": 0.92, "ICU": 0.03, "SDU": 0.05},
            "SDU": {"exit": 0.7, "WARD": 0.3},
        },
        length_of_stay={
            "ED": stay("lognormal", 2.0, 1.0),
            "ICU": stay("exponential", 60),
            "WARD": stay("gamma", 80, 0.8),
            "SDU": stay("lognormal", 30, 0.7),
        },
        horizon_days=60.5,
        warmup_days=warmup_days,
        replications=REPS,
        seed=seed(606),
    )


@pytest.fixture(scope="module")
def outputs_no_warmup():
    s = busy_hospital(0)
    return [simulate(s, rep) for rep in range(REPS)]


@pytest.fixture(scope="module")
def outputs_with_warmup():
    s = busy_hospital(10)
    return [simulate(s, rep) for rep in range(REPS)]


def _kpi(k, metric, unit):
    v = k[(k["metric"] == metric) & (k["unit"] == unit)]["value"]
    return float(v.iloc[0]) if len(v) else 0.0


def test_conservation_scenario_exercises_every_outcome(outputs_no_warmup):
    """The busy hospital really rejects, cancels, leaves patients waiting, transfers and blocks (premise)."""
    seen = {
        "rejected_external": 0,
        "rejected_transfer": 0,
        "cancelled": 0,
        "waiting_external": 0,
        "waiting_transfer": 0,
        "transfers": 0,
        "escalations": 0,
    }
    for out in outputs_no_warmup:
        stayed = set(out.stays[:, F["patient"]].astype(int))
        seen["rejected_external"] += (out.rejections[:, 4] == -1).sum()
        seen["rejected_transfer"] += (out.rejections[:, 4] >= 0).sum()
        seen["cancelled"] += len(out.cancellations)
        seen["waiting_external"] += sum(int(p) not in stayed for p in out.waiting_at_end[:, 0])
        seen["waiting_transfer"] += sum(int(p) in stayed for p in out.waiting_at_end[:, 0])
        seen["transfers"] += (out.stays[:, F["dest"]] >= 0).sum()
        seen["escalations"] += (out.capacity_log[:, 3] > 0).sum()
        k = rep_kpis(out)
        assert _kpi(k, "blocked_bed_hours", ALL) > 0
        assert _kpi(k, "discharge_delay_bed_hours", "WARD") > 0
    assert all(v > 0 for v in seen.values()), seen


@pytest.mark.parametrize("warmup", ["no_warmup", "with_warmup"])
def test_conservation_kpi_arrivals_split_into_outcomes(outputs_no_warmup, outputs_with_warmup, warmup):
    """For every unit and ALL: arrivals = admitted + rejected + cancelled + still_waiting (KPIs)."""
    outs = outputs_no_warmup if warmup == "no_warmup" else outputs_with_warmup
    for out in outs:
        k = rep_kpis(out)
        for unit in out.unit_names + [ALL]:
            parts = sum(_kpi(k, m, unit) for m in ("admitted", "rejected", "cancelled", "still_waiting"))
            assert _kpi(k, "arrivals", unit) == parts, (out.rep, unit)
        assert _kpi(k, "arrivals", ALL) > 0


def test_conservation_unit_arrivals_count_every_request(outputs_with_warmup):
    """A unit's arrivals KPI equals its requests counted from the raw records: external + transfers in."""
    for out in outputs_with_warmup:
        lo = out.warmup_h
        k = rep_kpis(out)
        S = out.stays
        for ui, unit in enumerate(out.unit_names):
            external = ((out.arrivals[:, 1] == ui) & (out.arrivals[:, 2] >= lo)).sum()
            # a transfer request is made when the stay elsewhere ends; dest keeps the target
            # while the patient is blocked or once moved; a refused one is in rejections
            moved_or_blocked = ((S[:, F["dest"]] == ui) & (S[:, F["ready_h"]] >= lo)).sum()
            rej = out.rejections
            refused = ((rej[:, 1] == ui) & (rej[:, 4] >= 0) & (rej[:, 2] >= lo)).sum()
            assert _kpi(k, "arrivals", unit) == external + moved_or_blocked + refused, (out.rep, unit)


def test_conservation_all_counts_the_requests_for_an_inpatient_bed(outputs_with_warmup):
    """ALL arrivals, from the raw records: external arrivals at inpatient units + ED decisions to admit (granted,
    waiting or refused); ALL admitted: first inpatient stays; ED attendances are their own metric."""
    refused_total = 0
    for out in outputs_with_warmup:
        lo = out.warmup_h
        k = rep_kpis(out)
        ed = out.unit_names.index("ED")
        inp = [i for i in range(len(out.unit_names)) if i != ed]
        S, rej, arr = out.stays, out.rejections, out.arrivals
        external = (np.isin(arr[:, 1], inp) & (arr[:, 2] >= lo)).sum()
        from_ed = ((S[:, F["unit"]] == ed) & np.isin(S[:, F["dest"]], inp) & (S[:, F["ready_h"]] >= lo)).sum()
        refused = ((rej[:, 4] == ed) & np.isin(rej[:, 1], inp) & (rej[:, 2] >= lo)).sum()
        refused_total += refused
        assert _kpi(k, "arrivals", ALL) == external + from_ed + refused, out.rep
        n_ext = len(out.source_names) - len(out.unit_names)
        src = S[:, F["source"]]
        first = np.isin(S[:, F["unit"]], inp) & ((src < n_ext) | (src == n_ext + ed)) & (S[:, F["ready_at"]] >= lo)
        assert _kpi(k, "admitted", ALL) == first.sum(), out.rep
        attendances = ((arr[:, 1] == ed) & (arr[:, 2] >= lo)).sum()
        assert _kpi(k, "ed_attendances", "ED") == attendances == _kpi(k, "ed_attendances", ALL)
        assert from_ed > 0 and attendances > _kpi(k, "arrivals", ALL)
    assert refused_total > 0  # premise: some decisions to admit were refused by the SDU


def test_conservation_every_external_arrival_is_accounted_for(outputs_no_warmup):
    """Raw records, whole run: external arrivals = patients with a first stay + rejected + cancelled + waiting at end."""
    for out in outputs_no_warmup:
        arrived = out.arrivals[:, 0].astype(int)
        assert len(set(arrived)) == len(arrived)  # one arrival per patient
        stayed = set(out.stays[:, F["patient"]].astype(int))
        rejected = out.rejections[out.rejections[:, 4] == -1, 0].astype(int)
        cancelled = out.cancellations[:, 0].astype(int)
        waiting = [int(p) for p in out.waiting_at_end[:, 0] if int(p) not in stayed]
        assert len(arrived) == len(stayed) + len(rejected) + len(cancelled) + len(waiting)
        # ... and as a partition of the patients, not only as counts
        groups = [stayed, set(rejected), set(cancelled), set(waiting)]
        assert set().union(*groups) == set(arrived)
        assert sum(len(g) for g in groups) == len(arrived)


def test_conservation_open_stays_equal_final_census(outputs_no_warmup):
    """Stays with no end are the patients inside: per unit, the census at the final hour equals the open stays."""
    for out in outputs_no_warmup:
        S = out.stays
        open_ = np.isnan(S[:, F["end"]])
        # nobody is in two beds at once
        pids = S[open_, F["patient"]].astype(int)
        assert len(set(pids)) == len(pids)
        c = census(out)
        final = c[c["time_h"] == out.end_h].set_index("unit")["occupied"]
        for ui, unit in enumerate(out.unit_names):
            assert final[unit] == (open_ & (S[:, F["unit"]] == ui)).sum(), (out.rep, unit)
        assert final.sum() == open_.sum() > 0


def test_conservation_pathways_are_continuous(outputs_no_warmup):
    """A patient's consecutive stays join up: it enters the next unit when it leaves the last, asking when its stay ended."""
    for out in outputs_no_warmup:
        S = out.stays
        order = np.lexsort((S[:, F["start"]], S[:, F["patient"]]))
        S = S[order]
        same = S[1:, F["patient"]] == S[:-1, F["patient"]]
        prev, nxt = S[:-1][same], S[1:][same]
        assert len(prev) > 0
        np.testing.assert_array_equal(prev[:, F["end"]], nxt[:, F["start"]])
        np.testing.assert_array_equal(prev[:, F["dest"]], nxt[:, F["unit"]])
        np.testing.assert_array_equal(prev[:, F["ready_h"]], nxt[:, F["ready_at"]])
        # times are ordered within every stay
        S = out.stays
        assert (S[:, F["start"]] >= S[:, F["ready_at"]]).all()
        done = ~np.isnan(S[:, F["ready_h"]])
        assert (S[done, F["ready_h"]] >= S[done, F["start"]]).all()
        ended = ~np.isnan(S[:, F["end"]])
        assert (S[ended, F["end"]] >= S[ended, F["ready_h"]]).all()


def test_conservation_admission_never_exceeds_capacity(outputs_no_warmup):
    """When a patient is given a bed, the unit's occupied beds (it included) do not exceed the capacity then in force."""
    for out in outputs_no_warmup:
        S = out.stays
        cap_log = out.capacity_log
        for ui in range(len(out.unit_names)):
            m = S[:, F["unit"]] == ui
            starts, ends = S[m, F["start"]], np.where(np.isnan(S[m, F["end"]]), np.inf, S[m, F["end"]])
            log = cap_log[cap_log[:, 1] == ui]
            for t in np.unique(starts):
                occupied = ((starts <= t) & (ends > t)).sum()
                in_force = log[log[:, 0] < t]
                cap = max(([in_force[-1, 2]] if len(in_force) else []) + list(log[log[:, 0] == t, 2]))
                assert occupied <= cap, (out.rep, out.unit_names[ui], t, occupied, cap)


@pytest.mark.parametrize(
    "metric",
    [
        "occupancy_mean",
        "blocked_bed_hours",
    ],
)
def test_conservation_all_bed_measures_sum_inpatient_units(outputs_no_warmup, metric):
    """A bed measure of ALL is the sum of that measure over the inpatient units (the ED excluded)."""
    for out in outputs_no_warmup:
        k = rep_kpis(out)
        inpatient = [u for u, spec in out.scenario.units.items() if spec.ed is None]
        assert "ED" not in inpatient and _kpi(k, metric, "ED") > 0  # the ED would make a difference
        total = sum(_kpi(k, metric, u) for u in inpatient)
        assert _kpi(k, metric, ALL) == pytest.approx(total, rel=1e-9), (out.rep, metric)
