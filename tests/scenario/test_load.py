"""Offered load from the traffic equations (hospital_twin.scenario.load), against hand arithmetic, the
reference queueing formulas of tests/helpers.py, the simulator's discharge rule and a simulation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hospital_twin.scenario import load_scenario
from hospital_twin.scenario.load import (
    erlang_b,
    erlang_c,
    erlang_c_mean_wait_h,
    hold_given_ready_h,
    offered_load,
)
from hospital_twin.scenario.schema import DischargeSpec
from hospital_twin.sim.calendar import Calendar, DischargeRule
from tests.helpers import erlang_b as ref_erlang_b
from tests.helpers import erlang_c as ref_erlang_c
from tests.helpers import mmc_mean_wait, scenario, seed, stay

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


# --------------------------------------------------------------------------- Erlang formulas
@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.4), (10, 8.0), (20, 15.0), (30, 35.0), (142, 129.6), (13, 9.5)])
def test_load_erlang_b_equals_reference(c, a):
    """Erlang B of the load module equals the reference recursion of the analytic tests."""
    assert erlang_b(c, a) == pytest.approx(ref_erlang_b(c, a), rel=1e-12)


@pytest.mark.parametrize(("c", "a", "hold_h"), [(1, 0.7, 1.0), (2, 1.4, 24.0), (10, 7.5, 48.0), (54, 45.9, 17.4)])
def test_load_erlang_c_and_wait_equal_reference(c, a, hold_h):
    """Erlang C and the M/M/c mean wait equal the references (Wq = C / (c mu - lambda))."""
    assert erlang_c(c, a) == pytest.approx(ref_erlang_c(c, a), rel=1e-12)
    mu = 1 / hold_h
    assert erlang_c_mean_wait_h(c, a, hold_h) == pytest.approx(mmc_mean_wait(c, a * mu, mu), rel=1e-12)


def test_load_erlang_large_systems_and_edges():
    """Hundreds of beds and non-integer loads stay finite; no beds block all; an overloaded queue always waits."""
    assert 0 < erlang_b(2000, 1900.5) < 0.05
    assert erlang_b(2000, 1900.5) == pytest.approx(ref_erlang_b(2000, 1900.5), rel=1e-12)
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_c(32, 38.0) == 1.0
    assert math.isinf(erlang_c_mean_wait_h(32, 38.0, 20.0))


# --------------------------------------------------------------------------- traffic equations
def test_load_traffic_equations_icu_to_ward_by_hand():
    """ICU 3 a day; WARD 0.8 x 3 = 2.4 a day; loads 3/24 x 60 = 7.5 and 2.4/24 x 140 = 14 beds."""
    r = offered_load(load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml"))
    icu, ward = r.unit("ICU"), r.unit("WARD")
    assert icu.arrivals_per_day == pytest.approx(3.0, rel=1e-9)
    assert ward.arrivals_per_day == pytest.approx(2.4, rel=1e-9)
    assert icu.load_beds == pytest.approx(7.5, rel=1e-9)
    assert ward.load_beds == pytest.approx(14.0, rel=1e-9)
    assert icu.load_ratio == pytest.approx(7.5 / 8)
    assert icu.p_wait == pytest.approx(ref_erlang_c(8, 7.5))
    assert r.warnings == ()


def test_load_ed_admitted_share_and_class_routes_feed_inpatient_units():
    """Per class: the ED's admitted classes feed the AMU and SAU; electives and multipliers count as averages."""
    s = load_scenario(SCENARIOS / "baseline.yaml")
    r = offered_load(s)
    # AMU: 52.0 x 0.985 from the ED + 12 GP = 63.22 a day; SAU: 17.2 x 0.80 + 5 = 18.76
    assert r.unit("AMU").arrivals_per_day == pytest.approx(52.0 * 0.985 + 12.0, rel=1e-9)
    assert r.unit("SAU").arrivals_per_day == pytest.approx(17.2 * 0.80 + 5.0, rel=1e-9)
    assert r.unit("ED").arrivals_per_day == pytest.approx(266.0, rel=1e-9)
    # electives: 14 x 5 / 7 = 10 a day to SURG, and their share of its arrivals
    surg = r.unit("SURG")
    assert {c.patient_class for c in surg.classes} >= {"elective_surgical", "emergency_surgical", "elective_major"}
    elective = next(c for c in surg.classes if c.patient_class == "elective_surgical")
    assert elective.arrivals_per_day == pytest.approx(10.0 * (1 + 0.01 * 0.95 / (1 - 0.01 * 0.95)), rel=1e-9)


def test_load_multiplier_counts_for_the_time_it_covers():
    """A factor 2 over half of the measured period raises the average rate by half."""
    arrivals = [
        {
            "name": "a",
            "unit": "W",
            "per_day": 10.0,
            "multipliers": [{"from": "2025-01-06", "to": "2025-01-16", "factor": 2.0}],
        }
    ]
    s = scenario(
        units={"W": {"beds": 20}},
        arrivals=arrivals,
        length_of_stay={"W": stay("exponential", 24.0)},
        horizon_days=20,
        warmup_days=0,
    )
    assert offered_load(s).unit("W").arrivals_per_day == pytest.approx(15.0, rel=1e-9)


# --------------------------------------------------------------------------- warnings
def test_load_unit_with_no_beds_receiving_patients_is_flagged():
    """A unit with 0 beds receiving 36 patients a day is overloaded (validated cleanly before)."""
    s = scenario(
        units={"AMU": {"beds": 0, "when_full": "reject"}},
        arrivals=[{"name": "a", "unit": "AMU", "per_day": 36.0}],
        length_of_stay={"AMU": stay("exponential", 12.0)},
    )
    r = offered_load(s)
    assert r.unit("AMU").p_block == 1.0
    assert r.warnings == (
        "AMU: overloaded by 18.0 beds (load 18.0 for 0 beds): it has no beds but receives 36.0 patients a day",
    )


def test_load_draft_offering_38_beds_to_32_is_flagged():
    """The issue's draft: about 38 beds of load for an AMU of 32 beds is said, with by how much."""
    s = scenario(
        units={"AMU": {"beds": 32}},
        arrivals=[{"name": "a", "unit": "AMU", "per_day": 48.0}],
        length_of_stay={"AMU": stay("lognormal", 19.0, 1.0)},
    )
    r = offered_load(s)
    assert r.unit("AMU").load_beds == pytest.approx(38.0)
    assert r.warnings[0].startswith("AMU: overloaded by 6.0 beds (load 38.0 for 32 beds)")
    assert r.unit("AMU").p_wait == 1.0


def test_load_shipped_baseline_is_not_flagged():
    assert offered_load(load_scenario(SCENARIOS / "baseline.yaml")).warnings == ()


# --------------------------------------------------------------------------- the discharge hold
RULES = {
    "ward_profile": DischargeSpec(
        hourly_profile=[
            0.3,
            0.2,
            0.2,
            0.2,
            0.2,
            0.2,
            0.3,
            0.5,
            1,
            2,
            4,
            6.5,
            8.5,
            10,
            11,
            12,
            12.5,
            13,
            11,
            8.5,
            6,
            4,
            2,
            1,
        ],
        weekend_rate=0.6,
    ),
    "window_weekend": DischargeSpec(window_hours=(8, 22), weekend_rate=0.8),
    "window_and_profile": DischargeSpec(window_hours=(9.5, 17), hourly_profile=[1.0] * 24, weekend_rate=0.3),
    "weekend_only": DischargeSpec(weekend_rate=0.0),
}


@pytest.mark.parametrize("name", list(RULES))
def test_load_hold_given_ready_matches_the_simulators_rule(name):
    """The closed-form expected hold equals the mean of DischargeRule.leave_at over the patient's uniforms."""
    rule = RULES[name]
    sim_rule = DischargeRule(
        Calendar(load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml").start),
        rule.window_hours,
        rule.hourly_profile,
        rule.weekend_rate,
    )
    rng = np.random.default_rng(seed(12))
    ready = rng.uniform(0, 168, 12)
    expected = hold_given_ready_h(rule, ready)
    n = 20_000
    for t, e in zip(ready, expected, strict=True):
        u = rng.random((n, 3))
        holds = np.array([sim_rule.leave_at(t, a, b, c) - t for a, b, c in u])
        assert e == pytest.approx(holds.mean(), abs=max(4 * holds.std() / math.sqrt(n), 1e-9)), t


@pytest.mark.slow
def test_load_matches_unconstrained_simulation():
    """Baseline with ample beds and clinicians: simulated occupancy and discharge hold per unit match the
    offered load (without cleaning) and the computed hold, within the replications' 95% interval (plus 1%)."""
    from hospital_twin.experiment.runner import run_scenario

    s = load_scenario(SCENARIOS / "baseline.yaml")
    units = {u: spec.model_copy(update={"beds": spec.beds * 5 + 50}) for u, spec in s.units.items()}
    ed = units["ED"]
    units["ED"] = ed.model_copy(update={"ed": ed.ed.model_copy(update={"clinicians": {"day": 200, "night": 200}})})
    big = s.model_copy(update={"units": units, "horizon_days": 140, "warmup_days": 28.0, "staffing": None})
    res = run_scenario(big, replications=3, seed=seed(5), keep_log=True)
    report = offered_load(big)
    sm = res.summary
    log = res.adt_log
    log = log[(log["discharge_destination"] == "home") & (log["ready_to_leave"] >= log["start"].min())]
    for u in report.units:
        row = sm[(sm["metric"] == "occupancy_mean") & (sm["unit"] == u.unit)].iloc[0]
        slack = 0.01 * u.patient_load_beds
        assert row["ci_low"] - slack <= u.patient_load_beds <= row["ci_high"] + slack, (u.unit, row.to_dict())
        home = log[log["unit"] == u.unit]
        hold = (home["end"] - home["ready_to_leave"]).dt.total_seconds() / 3600
        se = hold.std() / math.sqrt(len(hold))
        assert u.discharge_hold_h == pytest.approx(hold.mean(), abs=4 * se + 0.05), u.unit


def _overflowing(max_outliers=None):
    from tests.helpers import scenario, stay

    units = {"A": {"beds": 4, "outlying": {"hosts": ["B"]}}, "B": {"beds": 10}}
    if max_outliers is not None:
        units["B"]["max_outliers"] = max_outliers
    arrivals = [{"name": "a", "unit": "A", "per_day": 3.0}, {"name": "b", "unit": "B", "per_day": 2.0}]
    los = {"A": stay("exponential", 40.0), "B": stay("exponential", 48.0)}
    return scenario(units=units, arrivals=arrivals, length_of_stay=los)


def test_an_overloaded_unit_with_outlying_hosts_that_have_spare_load_is_said_to_be_carried():
    """A (load 5 for 4 beds) overflows into B (load 4 for 10 beds): the warning says the hosts carry it."""
    (w,) = offered_load(_overflowing()).warnings
    assert w.startswith("A: load 5.0 for 4 beds, over by 1.0") and "spare load, so outliers can carry" in w
    assert "without end" not in w


def test_an_overloaded_unit_whose_hosts_are_capped_is_still_overloaded():
    """With B taking at most 1 outlier, the spare load (1) does not exceed A's excess (1)."""
    (w,) = offered_load(_overflowing(max_outliers=1)).warnings
    assert "only about 1.0 beds of spare load" in w and "grows without end" in w


_PEAK = [0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1, 2, 4, 6.5, 8.5, 10, 11, 12, 12.5, 13, 11, 8.5, 6, 4, 2, 1]
NEW_RULES = {
    "profile_day_of_week": DischargeSpec(hourly_profile=_PEAK, day_of_week=[0.74, 0.86, 0.92, 0.96, 1, 0.86, 0.61]),
    "window_day_of_week": DischargeSpec(window_hours=(8, 20), day_of_week=[1, 2, 2, 2, 3, 1, 0]),
    "profile_cutoff": DischargeSpec(hourly_profile=_PEAK, weekend_rate=0.6, ready_cutoff_hour=12),
    "window_cutoff_days": DischargeSpec(window_hours=(9, 17), day_of_week=[3, 3, 3, 3, 3, 1, 1], ready_cutoff_hour=15),
    "cutoff_only": DischargeSpec(ready_cutoff_hour=18),
}


def _sim_rule(rule: DischargeSpec) -> DischargeRule:
    return DischargeRule(
        Calendar(load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml").start),
        rule.window_hours,
        rule.hourly_profile,
        rule.weekend_rate,
        day_pass=rule.day_pass(),
        ready_cutoff_h=rule.ready_cutoff_hour,
    )


@pytest.mark.parametrize("name", list(NEW_RULES))
def test_load_hold_with_day_weights_and_cutoff_matches_the_simulators_rule(name):
    """With day_of_week weights and ready_cutoff_hour, the closed-form hold equals the mean of leave_at."""
    rule = NEW_RULES[name]
    sim_rule = _sim_rule(rule)
    rng = np.random.default_rng(seed(13))
    ready = rng.uniform(0, 168, 12)
    expected = hold_given_ready_h(rule, ready)
    n = 20_000
    for t, e in zip(ready, expected, strict=True):
        u = rng.random((n, 3))
        holds = np.array([sim_rule.leave_at(t, a, b, c) - t for a, b, c in u])
        assert e == pytest.approx(holds.mean(), abs=max(4 * holds.std() / math.sqrt(n), 1e-9)), t


@pytest.mark.parametrize("name", ["profile_day_of_week", "window_day_of_week", "profile_cutoff"])
def test_load_lounge_saving_matches_a_monte_carlo_of_the_rule_and_the_lounge(name):
    """The bed-hours a patient gives up to a lounge with a free place (open 08-20, time there lognormal)
    equal the mean over draws of T - max(ready, T - L, opening on T's day) for departures T inside the hours."""
    from hospital_twin.scenario.load import lounge_saving_given_ready_h
    from hospital_twin.scenario.schema import DischargeLoungeSpec, DistributionSpec

    rule = NEW_RULES[name]
    lounge = DischargeLoungeSpec(
        places=5,
        time_there=DistributionSpec(distribution="lognormal", median_hours=3, p90_hours=7),
        hours=(8, 20),
    )
    sim_rule = _sim_rule(rule)
    dist = lounge.time_there.to_distribution()
    rng = np.random.default_rng(seed(14))
    ready = rng.uniform(0, 168, 8)
    expected = lounge_saving_given_ready_h(rule, lounge, ready)
    n = 20_000
    offset = sim_rule.offset_h
    for t, e in zip(ready, expected, strict=True):
        u = rng.random((n, 4))
        saved = np.zeros(n)
        for i, (a, b, c, d) in enumerate(u):
            leave = sim_rule.leave_at(t, a, b, c)
            clock = (leave + offset) % 24
            if 8 < clock <= 20:
                move = max(t, leave - dist.ppf(d), leave - clock + 8)
                saved[i] = max(leave - move, 0.0)
        assert e == pytest.approx(saved.mean(), abs=max(4 * saved.std() / math.sqrt(n), 0.02)), t


def test_day_of_week_for_shares_inverts_the_weekday_shares():
    """The weights derived from the peers' discharge shares give back those shares (uniform ready times), and
    weekend_rate 0.6 puts a quarter of the week's discharges on Monday."""
    from hospital_twin.scenario.load import day_of_week_for_shares, discharge_shares_by_weekday

    peers = [12.4, 15.7, 16.5, 16.6, 17.8, 12.3, 8.7]
    weights = day_of_week_for_shares(peers)
    assert max(weights) == 1.0
    shares = discharge_shares_by_weekday(DischargeSpec(day_of_week=weights))
    assert shares == pytest.approx(np.array(peers) / sum(peers), abs=1e-9)
    assert discharge_shares_by_weekday(DischargeSpec(weekend_rate=0.6))[0] == pytest.approx(1.8 / 7)
