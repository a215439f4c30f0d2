"""Escalation levels against known results: today's per-unit ``escalation`` written as a level action gives
the same run; Little's law and conservation hold while levels open and close beds; under common random
numbers, an action that opens beds never raises waits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from hospital_twin.results import ALL, rep_kpis
from hospital_twin.scenario.io import load_scenario, load_scenario_text
from hospital_twin.sim.model import simulate
from tests.helpers import START, scenario, seed, stay

ROOT = Path(__file__).resolve().parents[2]

AS_LEVELS = """
extends: ../baseline.yaml
name: Escalation beds as level actions
escalation_levels:
  MED_beds:
    units: [MED]
    levels:
      - {level: 2, enter_at: 0.97, leave_below: 0.92, actions: {open_beds: {MED: 6}}}
  ELD_beds:
    units: [ELD]
    levels:
      - {level: 2, enter_at: 0.97, leave_below: 0.92, actions: {open_beds: {ELD: 4}}}
"""


@pytest.mark.parametrize("rep", [0, 1])
def test_per_unit_escalation_written_as_level_actions_gives_the_same_run(rep):
    """escalation_beds.yaml (per-unit blocks on MED and ELD) and the same trigger as a one-unit group whose
    level 2 opens the beds: every KPI of the first run is equal in the second, and so is the capacity log."""
    short = {"horizon_days": 35}
    old = load_scenario(ROOT / "scenarios/whatif/escalation_beds.yaml").with_warmup(7).model_copy(update=short)
    new = load_scenario_text(AS_LEVELS, "as_levels.yaml", ROOT / "scenarios/whatif").with_warmup(7)
    new = new.model_copy(update=short)
    a, b = simulate(old, rep), simulate(new, rep)
    np.testing.assert_array_equal(a.capacity_log, b.capacity_log)
    assert (a.capacity_log[:, 3] > 0).sum() >= 4  # premise: beds opened (and closed) several times
    ka, kb = rep_kpis(a, "x"), rep_kpis(b, "x")
    merged = ka.merge(kb, on=["metric", "unit"], how="left", suffixes=("", "_new"))
    assert merged["value"].equals(merged["value_new"]), merged[merged["value"] != merged["value_new"]]


def _network(policy: dict | None, horizon_days: float, stop_day: float | None, reps_seed: int, per_day: float = 2.2):
    """ICU (4 beds) -> WARD (10 beds): busy, with a bed queue; a hospital-wide level 2 opens 2 ICU and 3 WARD beds.
    With ``stop_day`` the arrivals stop then (and there is no elective list), so the hospital empties."""
    arrival = {"name": "emergencies", "unit": "ICU", "per_day": per_day}
    electives = [{"name": "list", "unit": "WARD", "per_weekday": [1, 1, 1, 1, 1, 0, 0], "cancel_after_hours": 6}]
    if stop_day is not None:
        electives = []
        stop = dt.datetime.fromisoformat(START) + dt.timedelta(days=stop_day)
        arrival["multipliers"] = [{"from": stop, "to": stop + dt.timedelta(days=400), "factor": 0.0}]
    return scenario(
        units={"ICU": {"beds": 4, "kind": "icu"}, "WARD": {"beds": 10, "turnaround_hours": 1.0}},
        arrivals=[arrival],
        electives=electives,
        routes={"ICU": {"WARD": 0.8, "exit": 0.2}},
        length_of_stay={"ICU": stay("exponential", 40), "WARD": stay("lognormal", 90, 0.9)},
        horizon_days=horizon_days,
        warmup_days=0,
        seed=reps_seed,
        **({"escalation_levels": {"ALL": policy}} if policy else {}),
    )


BEDS = {
    "levels": [
        {"level": 2, "enter_at": 0.95, "leave_below": 0.85, "actions": {"open_beds": {"ICU": 2, "WARD": 3}}},
        {"level": 3, "enter_at": 1.1, "leave_below": 1.0, "actions": {"open_beds": {"WARD": 2}}},
    ],
    "hold_hours": 6,
}


@pytest.fixture(scope="module")
def emptying():
    """Arrivals stop on day 150 of 250: every stay starts and ends inside the window."""
    s = _network(BEDS, 250, 150, seed(731))
    return [simulate(s, rep) for rep in range(3)]


@pytest.mark.parametrize("unit", ["ICU", "WARD", ALL])
def test_littles_law_exact_while_levels_open_and_close_beds(emptying, unit):
    """occupancy_mean x T = admitted x los_mean_h exactly (every stay inside the window), per unit and ALL."""
    for out in emptying:
        k = rep_kpis(out).set_index(["metric", "unit"])["value"]
        assert np.isnan(out.stays[:, 7]).sum() == 0 and k[("still_waiting", unit)] == 0
        bed_hours = k[("occupancy_mean", unit)] * out.end_h
        assert bed_hours == pytest.approx(k[("admitted", unit)] * k[("los_mean_h", unit)], rel=1e-9)


def test_conservation_while_levels_open_and_close_beds(emptying):
    """Every external arrival is admitted or still waiting (a partition of the patients), and
    arrivals = admitted + rejected + cancelled + still_waiting per unit and ALL; premise: beds opened and
    closed many times, levels 2 and 3 both reached."""
    for out in emptying:
        assert (out.capacity_log[:, 3] > 0).sum() >= 5 and (out.capacity_log[:, 3] == 0).sum() >= 5
        assert set(out.escalation_path[:, 2]) == {1, 2, 3}
        arrived = set(out.arrivals[:, 0].astype(int))
        stayed = set(out.stays[:, 0].astype(int))
        cancelled = set(out.cancellations[:, 0].astype(int))
        waiting = {int(p) for p in out.waiting_at_end[:, 0]} - stayed
        assert stayed | cancelled | waiting == arrived
        assert len(stayed) + len(cancelled) + len(waiting) == len(arrived)
        k = rep_kpis(out).set_index(["metric", "unit"])["value"]
        for unit in ["ICU", "WARD", ALL]:
            parts = sum(k.get((m, unit), 0.0) for m in ("admitted", "rejected", "cancelled", "still_waiting"))
            assert k[("arrivals", unit)] == parts
        hours = [k[(f"hours_at_level_{i}", ALL)] for i in range(1, 5)]
        assert sum(hours) == pytest.approx(out.end_h, rel=1e-12)


def test_an_action_that_opens_beds_never_raises_waits():
    """Common random numbers (same arrivals and stays per patient), 6 replications: the policy whose levels
    open beds against the same levels with no action. Each replication's mean and 95th-percentile wait for
    a bed, on each unit and ALL, is no higher with the beds (first come first served, capacity never lower)."""
    no_action = {"levels": [{k: v for k, v in lv.items() if k != "actions"} for lv in BEDS["levels"]]}
    no_action["hold_hours"] = BEDS["hold_hours"]
    plain, beds = _network(no_action, 120, None, seed(732), 1.7), _network(BEDS, 120, None, seed(732), 1.7)
    lower = 0
    for rep in range(6):
        k0 = rep_kpis(simulate(plain, rep)).set_index(["metric", "unit"])["value"]
        k1 = rep_kpis(simulate(beds, rep)).set_index(["metric", "unit"])["value"]
        for unit in ["ICU", "WARD", ALL]:
            for m in ("wait_for_bed_mean_h", "wait_for_bed_p95_h"):
                assert k1[(m, unit)] <= k0[(m, unit)] + 1e-9, (rep, unit, m)
        lower += k1[("wait_for_bed_mean_h", ALL)] < k0[("wait_for_bed_mean_h", ALL)]
        assert k1[("escalation_actions_open_beds", ALL)] > 0
    assert lower >= 5  # premise: the beds make a difference
