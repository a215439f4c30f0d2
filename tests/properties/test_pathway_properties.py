"""Discharge pathways: nothing changes without them; metamorphic relations under common random numbers.

* without pathways (no ``discharge_pathways``, or pathways but no shares, or only the P0 share)
  the results are those of the scenario without the keys, row for row;
* more places in a P2 pool never raise NCTR. With a hospital that never fills, it is a sample-path
  property, patient by patient: the pool is a FIFO multi-server queue whose arrivals (readiness
  times) do not depend on it and whose service times (place stays) belong to the patients, and by
  the Kiefer-Wolfowitz recursion every patient's wait is non-increasing in the number of servers.
  In a hospital whose beds fill, freeing a bed earlier changes who gets which bed when, so the
  relation is tested on the mean over replications, with a paired interval;
* more daily P1 starts never raise ED boarding, on the mean with a paired interval (not a sample-path
  property: the order in which patients get beds, clinicians and cubicles changes with the capacity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hospital_twin.experiment.comparison import paired_differences
from hospital_twin.reporting.describe import relevant_metrics
from hospital_twin.results import ALL, rep_kpis
from hospital_twin.sim.model import simulate
from hospital_twin.sim.pathways import pathway_code
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import scenario, seed, single_unit, stay
from tests.properties.test_features_together import busy_hospital

F = {name: i for i, name in enumerate(STAY_FIELDS)}


def _kpi(k: pd.DataFrame, metric: str, unit: str) -> float:
    v = k[(k["metric"] == metric) & (k["unit"] == unit)]["value"]
    assert len(v) == 1, (metric, unit)
    return float(v.iloc[0])


# --------------------------------------------------------------------------- off: nothing changes
@pytest.mark.parametrize(
    "keys",
    [
        {"discharge_pathways": {"P1": {"starts_per_day": 2}, "P2": {"places": 3, "stay": stay("exponential", 90)}}},
        {"pathway_shares": {"MED": {"P0": 1.0}}},
    ],
    ids=["pathways_without_shares", "only_home_share"],
)
def test_no_pathway_taken_gives_the_results_of_the_scenario_without_the_keys(keys):
    """A scenario whose patients take no pathway has the kpis and event log of the one without the keys, row
    for row: no pathway metric, no new draw (the busy hospital of test_features_together, two weeks)."""
    plain = busy_hospital(horizon_days=14, warmup_days=3, replications=1)
    other = busy_hospital(horizon_days=14, warmup_days=3, replications=1, **keys)
    a, b = simulate(plain, 0), simulate(other, 0)
    assert "pathways" not in b.extra
    np.testing.assert_array_equal(a.stays, b.stays)
    ka, kb = rep_kpis(a), rep_kpis(b)
    pd.testing.assert_frame_equal(ka, kb)
    assert not kb["metric"].str.startswith(("nctr_", "pathway_")).any()


# --------------------------------------------------------------------------- more P2 places, ample beds
def _pool(places: int, beds: int = 400, replications: int = 4):
    return single_unit(
        beds=beds,
        when_full="queue",
        per_day=4.0,
        los=stay("gamma", 60.0, 0.8),
        discharge_pathways={
            "P2": {"places": places, "stay": stay("lognormal", 60.0, 1.0)},
            "P1": {"starts_per_day": 1.5},
        },
        pathway_shares={"WARD": {"P2": 0.35, "P1": 0.2}},
        horizon_days=120,
        warmup_days=10,
        replications=replications,
        seed=seed(1411),
    )


def _leaving_times(out, k: int) -> dict[int, float]:
    """Patient -> when it left its bed for pathway ``k`` (the end of the run if still there)."""
    S = out.stays
    mine = S[:, F["dest"]] == pathway_code(k)
    end = np.where(np.isnan(S[mine, F["end"]]), out.end_h, S[mine, F["end"]])
    return dict(zip(S[mine, F["patient"]].astype(int).tolist(), end.tolist(), strict=True))


def test_more_pool_places_never_raise_any_patients_nctr_when_beds_are_ample():
    """Ample beds and a P2 pool of 3, 4, 5, 7 places (1.4 patients a day x 2.5 days: offered load 3.5 places,
    so 3 cannot keep up): with the same seed, every P2 patient leaves its bed no later with more places, the
    P1 patients are untouched, and NCTR (per unit and ALL, bed-days, P2's delay) never rises, replication by
    replication."""
    for rep in range(2):
        runs = [simulate(_pool(c), rep) for c in (3, 4, 5, 7)]
        for fewer, more in zip(runs, runs[1:], strict=False):
            a, b = _leaving_times(fewer, 0), _leaving_times(more, 0)
            assert a.keys() == b.keys() and len(a) > 100
            assert all(b[p] <= a[p] + 1e-9 for p in a), rep
            assert _leaving_times(fewer, 1) == _leaving_times(more, 1)
            ka, kb = rep_kpis(fewer), rep_kpis(more)
            for metric, unit in (("nctr_mean", "WARD"), ("nctr_bed_days", ALL), ("nctr_delay_mean_h", "P2")):
                assert _kpi(kb, metric, unit) <= _kpi(ka, metric, unit) + 1e-9, (rep, metric)
        assert _kpi(rep_kpis(runs[0]), "nctr_mean", ALL) > 2 * _kpi(rep_kpis(runs[-1]), "nctr_mean", ALL)


# --------------------------------------------------------------------------- a hospital that fills
def _small_hospital(p1_per_day: float, p2_places: int, name: str, replications: int = 10):
    """An ED (2 clinicians, 10 cubicles) admitting a fifth of its 30 attendances a day to a 24-bed ward that
    queues; 30% of the ward's patients take P1 (daily starts), 10% P2 (a pool of 5-day stays)."""
    return scenario(
        name=name,
        units={
            "ED": {
                "beds": 10,
                "kind": "ed",
                "when_full": "queue",
                "ed": {"clinicians": 2, "assessment": stay("exponential", 0.5)},
            },
            "WARD": {"beds": 24, "when_full": "queue"},
        },
        arrivals=[{"name": "walk_in", "unit": "ED", "per_day": 30.0}],
        routes={"ED": {"exit": 0.8, "WARD": 0.2}},
        length_of_stay={"ED": stay("lognormal", 2.0, 1.0), "WARD": stay("gamma", 72.0, 0.9)},
        discharge_pathways={
            "P1": {"starts_per_day": p1_per_day},
            "P2": {"places": p2_places, "stay": stay("exponential", 120.0)},
        },
        pathway_shares={"WARD": {"P1": 0.3, "P2": 0.1}},
        horizon_days=60,
        warmup_days=10,
        replications=replications,
        seed=seed(1412),
    )


def _kpis(s) -> pd.DataFrame:
    return pd.concat([rep_kpis(simulate(s, rep), s.name) for rep in range(s.replications)], ignore_index=True)


def _diff(kpis: pd.DataFrame, metric: str, unit: str, baseline: str) -> pd.Series:
    c = paired_differences(kpis, baseline)
    return c[(c["metric"] == metric) & (c["unit"] == unit)].iloc[0]


def test_more_pool_places_lower_nctr_on_the_mean_in_a_hospital_that_fills():
    """A ward that fills (ED boarders wait for it): 2 more P2 places (1 -> 3) lower nctr_mean on ALL, the
    paired 95% interval of the difference below 0."""
    kpis = pd.concat([_kpis(_small_hospital(2.5, 1, "p2_1")), _kpis(_small_hospital(2.5, 3, "p2_3"))])
    d = _diff(kpis, "nctr_mean", ALL, "p2_1")
    assert d["diff_ci_high"] < 0, d.to_dict()


def test_more_daily_p1_starts_lower_ed_boarding_on_the_mean():
    """The small hospital with 2 and then 3 P1 starts a day (1.8 patients ready for it a day): ED boarding
    (ed_boarding_mean_h) falls, the paired 95% interval of the difference below 0; NCTR falls too."""
    kpis = pd.concat([_kpis(_small_hospital(2.0, 6, "p1_2")), _kpis(_small_hospital(3.0, 6, "p1_3"))])
    d = _diff(kpis, "ed_boarding_mean_h", "ED", "p1_2")
    assert d["diff_ci_high"] < 0, d.to_dict()
    assert _diff(kpis, "nctr_mean", ALL, "p1_2")["diff_ci_high"] < 0


# --------------------------------------------------------------------------- queue order and daily starts
def _queue(order: str, starts_per_day: float = 2.0):
    """A ward whose 6 patients a day (two classes, urgent priority 0, routine 2) all take a daily P1 with too few
    starts, so that a queue is always there; no assessment: a patient joins the queue when it is ready."""
    return scenario(
        units={"WARD": {"beds": 400, "when_full": "queue"}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 6.0, "class_mix": {"urgent": 0.3, "routine": 0.7}}],
        length_of_stay={"WARD": stay("exponential", 30.0)},
        patient_classes={"urgent": {"priority": 0}, "routine": {"priority": 2}},
        discharge_pathways={"P1": {"starts_per_day": starts_per_day, "order": order}},
        pathway_shares={"WARD": {"P1": 1.0}},
        horizon_days=30,
        warmup_days=0,
        replications=1,
        seed=seed(1413),
    )


@pytest.mark.parametrize("order", ["fifo", "priority"])
def test_daily_pathway_starts_the_first_in_its_order(order):
    """At every start, nobody left waiting comes before the patient started: first ready first (fifo), or by
    class priority then first ready (priority); with priority some routine patient ready earlier is passed."""
    out = simulate(_queue(order), 0)
    S = out.stays
    mine = S[:, F["dest"]] == pathway_code(0)
    ready, end = S[mine, F["ready_h"]], np.where(np.isnan(S[mine, F["end"]]), np.inf, S[mine, F["end"]])
    prio = np.where(S[mine, F["pclass"]] == out.class_names.index("urgent"), 0, 2) if order == "priority" else 0
    key = np.column_stack([np.broadcast_to(prio, ready.shape), ready])
    passed = 0
    for j in np.flatnonzero(np.isfinite(end)):
        t = end[j]
        left_waiting = (ready < t) & (end > t)
        before = (key[left_waiting, 0] < key[j, 0]) | (
            (key[left_waiting, 0] == key[j, 0]) & (ready[left_waiting] < ready[j])
        )
        assert not before.any(), (order, t)
        passed += int((ready[left_waiting] < ready[j]).any())
    assert np.isfinite(end).sum() > 40
    assert (passed > 0) == (order == "priority")


def test_fractional_daily_starts_are_carried_over():
    """2.5 starts a day with a queue always waiting: 2, 3, 2, 3, ... patients a day (the fraction carried)."""
    out = simulate(_queue("fifo", 2.5), 0)
    S = out.stays
    mine = (S[:, F["dest"]] == pathway_code(0)) & ~np.isnan(S[:, F["end"]])
    per_day = np.bincount((S[mine, F["end"]] // 24).astype(int), minlength=30)
    assert per_day[2:].tolist() == [2 if d % 2 == 0 else 3 for d in range(2, 30)]
    assert out.extra["pathways"][0]["offered_starts"] == 75 and out.extra["pathways"][0]["lost_starts"] <= 2


def test_pathway_metrics_are_described_only_for_scenarios_with_pathways():
    """The model description (describe) lists the NCTR measures for a scenario whose patients take pathways, the
    pool's occupancy only with a pool, the load and growth only with a capacity; none without pathways."""
    with_pool = relevant_metrics(_pool(3))
    assert {"nctr_mean", "nctr_delay_p90_h", "pathway_occupancy_mean", "pathway_places_mean"} <= set(with_pool)
    assert "pathway_growing_share" in with_pool
    unlimited = relevant_metrics(
        single_unit(
            beds=5,
            when_full="queue",
            per_day=1.0,
            los=stay(),
            discharge_pathways={"OTHER": {}},
            pathway_shares={"WARD": {"OTHER": 0.1}},
        )
    )
    assert "nctr_mean" in unlimited and not [m for m in unlimited if m.startswith("pathway_") and m != "pathway_starts"]
    plain = relevant_metrics(busy_hospital(discharge_pathways={"P1": {"starts_per_day": 2}}))
    assert not [m for m in plain if m.startswith(("nctr_", "pathway_"))]
