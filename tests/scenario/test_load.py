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


def test_load_shipped_baseline_is_flagged_only_where_its_escalation_card_carries_the_load():
    """Since issue 14 the baseline runs at the peers' occupancy with NCTR patients in its beds: the offered load
    (stays, discharge holds and NCTR, without escalation actions) of its wards is a little over their base beds,
    which its OPEL card relieves with escalation beds, outliers, discharge capacity bought and a few postponed
    electives (no replication of 50 gridlocks). Only wards the card opens beds on are flagged, each over its base
    beds by less than the escalation beds the card opens on it (the wards are not overloaded)."""
    warnings = offered_load(load_scenario(SCENARIOS / "baseline.yaml")).warnings
    assert {w.split(":")[0] for w in warnings} <= {"MED", "ELD", "SURG"}, warnings
    for w in warnings:
        over = float(w.split("over its base beds by ")[1].split(";")[0])
        esc = int(w.split("only its ")[1].split()[0])
        assert 0 < over < esc, w


def test_load_counts_the_beds_escalation_levels_open_as_the_units_escalation_beds():
    """A ward with 30 beds and a load of 33: levels opening 2 + 2 beds on it (they add up) cover it, so it is
    flagged as needing its escalation beds, not as overloaded; with 2 only, it is overloaded by 1."""

    def ward(levels):
        return scenario(
            units={"W": {"beds": 30}},
            arrivals=[{"name": "a", "unit": "W", "per_day": 33.0}],
            length_of_stay={"W": stay("exponential", 24.0)},
            escalation_levels={"G": {"levels": levels}},
        )

    two = {"level": 2, "enter_at": 0.9, "leave_below": 0.8, "actions": {"open_beds": {"W": 2}}}
    three = {"level": 3, "enter_at": 0.95, "leave_below": 0.9, "actions": {"open_beds": {"W": 2}}}
    assert offered_load(ward([two, three])).warnings == (
        "W: load 33.0 for 30 beds: over its base beds by 3.0; only its 4 escalation beds cover it",
    )
    assert offered_load(ward([two])).warnings[0].startswith("W: overloaded by 1.0 beds (load 33.0 for 30 beds and 2")


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


# --------------------------------------------------------------------------- discharge pathways
def _with_pathways(pathways: dict, shares: dict, *, per_day: float = 10.0, **kw):
    """AMU -> MED (0.6) or out (0.4); MED out; exponential stays; the given pathways and scenario-wide shares."""
    from tests.helpers import scenario, stay

    base = {
        "units": {"AMU": {"beds": 400}, "MED": {"beds": 400}},
        "arrivals": [{"name": "a", "unit": "AMU", "per_day": per_day}],
        "routes": {"AMU": {"MED": 0.6, "exit": 0.4}},
        "length_of_stay": {"AMU": stay("exponential", 24.0), "MED": stay("exponential", 120.0)},
        "horizon_days": 70,
        "warmup_days": 7,
        "discharge_pathways": pathways,
        "pathway_shares": shares,
    }
    base.update(kw)
    return scenario(**base)


def test_pathway_demand_and_unit_hold_by_hand():
    """Demand = arrivals x exit share x pathway share, per unit and class; the unit's bed hold is stay +
    exit share x (P0 x discharge hold + sum_k P(k) x (assessment in the bed + wait)) + cleaning."""
    fixed = {"distribution": "fixed", "mean_hours": 30.0}
    s = _with_pathways(
        {"P1": {"assessment": fixed}, "P3": {"assessment": fixed, "assessment_in": "community"}},
        {"AMU": {"P1": 0.5}, "MED": {"P1": 0.2, "P3": 0.1}},
        discharge={"window_hours": [8, 20]},
        patient_classes={"general": {}, "frail": {"pathway_shares": {"MED": {"P1": 0.6}}}},
        arrivals=[
            {"name": "a", "unit": "AMU", "per_day": 10.0, "patient_class": "general"},
            {"name": "f", "unit": "AMU", "per_day": 5.0, "patient_class": "frail"},
        ],
    )
    r = offered_load(s)
    # P1: AMU 15 x 0.4 x 0.5 = 3; MED default class 10 x 0.6 x 0.2 = 1.2, frail 5 x 0.6 x 0.6 = 1.8 (its own row)
    assert r.pathway("P1").demand_per_day == pytest.approx(3.0 + 1.2 + 1.8)
    assert r.pathway("P3").demand_per_day == pytest.approx(10 * 0.6 * 0.1)  # the frail row leaves P3 out
    p1, p3 = r.pathway("P1"), r.pathway("P3")
    assert p1.wait_mean_h == 0.0 and p1.nctr_delay_h == pytest.approx(30.0)  # unlimited: the assessment only
    assert p3.nctr_delay_h == 0.0  # assessed in the community: no NCTR time
    assert p1.nctr_beds == pytest.approx(6.0 / 24 * 30.0)  # Little
    med = r.unit("MED")
    frail = next(c for c in med.classes if c.patient_class == "frail")
    assert frail.pathway_share == pytest.approx(0.6)
    assert frail.hold_h == pytest.approx(120.0 + 0.4 * frail.discharge_hold_h + 0.6 * 30.0)
    default = next(c for c in med.classes if c.patient_class != "frail")
    assert default.hold_h == pytest.approx(120.0 + 0.7 * default.discharge_hold_h + 0.2 * 30.0)
    assert default.discharge_hold_h > 0
    assert med.nctr_load_beds == pytest.approx((10 * 0.6 * 0.2 + 5 * 0.6 * 0.6) / 24 * 30.0)
    assert r.unit("AMU").nctr_load_beds == pytest.approx(15 * 0.4 * 0.5 / 24 * 30.0)
    assert r.warnings == ()


def test_pathway_pool_wait_is_erlang_c_of_mmc():
    """A pool of c places: offered load a = demand x place hold (the community assessment included), P(wait)
    Erlang C and mean wait C / (c mu - lambda), from the reference formulas."""
    from tests.helpers import stay

    s = _with_pathways(
        {
            "P2": {
                "places": 12,
                "stay": stay("gamma", 200.0, 0.5),
                "assessment": stay("exponential", 16.0),
                "assessment_in": "community",
            }
        },
        {"MED": {"P2": 0.3}},
        per_day=25.0,
    )
    p = offered_load(s).pathway("P2")
    lam_per_h = 25 * 0.6 * 0.3 / 24
    hold_h = 216.0
    assert p.demand_per_day == pytest.approx(4.5)
    assert p.place_hold_h == pytest.approx(hold_h)
    assert p.places_in_use == pytest.approx(lam_per_h * hold_h)  # 4.5 / 24 x 216 = 40.5 for 12 places
    assert p.overloaded and math.isinf(p.wait_mean_h)
    assert p.capacity_per_day == pytest.approx(12 * 24 / hold_h)
    assert p.utilisation == pytest.approx(p.places_in_use / 12)


def test_pathway_pool_below_capacity_matches_the_reference_erlang_formulas():
    from tests.helpers import stay

    s = _with_pathways({"P2": {"places": 12, "stay": stay("exponential", 96.0)}}, {"MED": {"P2": 0.5}}, per_day=9.0)
    p = offered_load(s).pathway("P2")
    lam, mu = 9 * 0.6 * 0.5 / 24, 1 / 96.0
    assert p.places_in_use == pytest.approx(lam / mu)
    assert p.p_wait == pytest.approx(ref_erlang_c(12, lam / mu), rel=1e-12)
    assert p.wait_mean_h == pytest.approx(mmc_mean_wait(12, lam, mu), rel=1e-12)
    assert p.nctr_beds == pytest.approx(lam * p.wait_mean_h)


@pytest.mark.parametrize(
    ("capacity", "expected_h"),
    [
        ({"starts_per_day": 40}, 12.0),  # a start every day at 11:00, joins uniform over the day
        ({"starts_per_day": 0.5}, 24.0),  # 0.5 carried: a start every second day
        ({"starts_by_weekday": [9, 9, 9, 9, 9, 0, 0]}, (4 * 24 * 12 + 72 * 36) / 168),  # Friday to Monday: 72 h
    ],
)
def test_daily_pathway_far_below_capacity_waits_for_the_next_start(capacity, expected_h):
    """Demand far below capacity: the wait is the time from being ready (uniform over the week, exponential
    stays) to the next start, by hand; the queue adds nothing."""
    s = _with_pathways({"P1": capacity}, {"MED": {"P1": 0.0005}}, per_day=5.0)
    p = offered_load(s).pathway("P1")
    assert p.demand_per_day == pytest.approx(0.0015)
    assert p.next_start_wait_h == pytest.approx(expected_h, rel=1e-9)
    assert p.wait_mean_h == pytest.approx(expected_h, rel=1e-2)


def test_daily_pathway_wait_to_next_start_follows_the_ready_times():
    """Joins only between 06:00 and 10:00 (a fixed-hour ready time) with starts at 11:00: 3 h, not 12 h."""
    from hospital_twin.scenario.load import BIN_H, daily_pathway_wait_h

    join = np.zeros(int(168 / BIN_H))
    hour = (np.arange(len(join)) * BIN_H) % 24
    join[(hour >= 6) & (hour < 10)] = 1.0
    wait, nxt = daily_pathway_wait_h([30] * 7, 11.0, 0.01 * join, offset_h=0.0, window_h=(168.0, 168.0 * 9))
    assert nxt == pytest.approx(3.0)
    assert wait == pytest.approx(3.0, abs=1e-6)


def test_daily_pathway_queue_term_matches_a_monte_carlo_of_the_daily_queue():
    """Near capacity (2.5 joins a day for 3 starts), W = W_next + E[Q] x 24 / joins a day: the chain's E[Q]
    against a plain Monte Carlo of Q_j = max(Q_{j-1} + Poisson(2.5) - 3, 0)."""
    from hospital_twin.scenario.load import BIN_H, daily_pathway_wait_h

    join = np.full(int(168 / BIN_H), 2.5 / 24)
    wait, nxt = daily_pathway_wait_h([3] * 7, 11.0, join, offset_h=0.0, window_h=(24.0 * 70, 24.0 * 770))
    rng = np.random.default_rng(seed(14))
    q, total, n = 0, 0, 400_000
    arrivals = rng.poisson(2.5, n)
    for i in range(n):
        q = max(q + arrivals[i] - 3, 0)
        total += q
    mean_q = total / n
    assert nxt == pytest.approx(12.0)
    assert wait == pytest.approx(12.0 + mean_q * 24 / 2.5, rel=0.03)


def test_overloaded_pathway_is_said_and_its_units_load_is_unbounded():
    """Demand at or above the capacity: infinite wait, the issue's warning, and the units feeding it say why."""
    s = _with_pathways({"P1": {"starts_per_day": 2.0}}, {"MED": {"P1": 0.5}}, per_day=10.0)  # 3 a day
    r = offered_load(s)
    p = r.pathway("P1")
    assert p.overloaded and math.isinf(p.wait_mean_h) and math.isinf(p.nctr_beds)
    assert p.utilisation == pytest.approx(1.5)
    assert (
        r.warnings[0]
        == "P1 is overloaded: 3.0 ready patients a day for 2.0 starts a day; NCTR on it grows without bound"
    )
    assert math.isinf(r.unit("MED").load_beds) and r.unit("MED").p_wait == 1.0
    assert r.warnings[1].startswith("MED: its load grows without bound: its patients ready to leave wait in their")
    assert "for P1," in r.warnings[1]
    assert math.isfinite(r.unit("AMU").load_beds)


def test_overloaded_pool_warning_gives_its_places_and_stay():
    from tests.helpers import stay

    s = _with_pathways({"P2": {"places": 5, "stay": stay("exponential", 96.0)}}, {"MED": {"P2": 0.5}})
    (w, _) = offered_load(s).warnings
    assert w == (
        "P2 is overloaded: 3.0 ready patients a day for 1.2 a day (5 places, 4.0 days a place on average); "
        "NCTR on it grows without bound"
    )


def test_pathways_without_shares_change_nothing():
    """Pathways defined but taken by nobody: zero demand, and every unit's figures as without them."""
    plain = _with_pathways({}, {})
    defined = _with_pathways({"P1": {"starts_per_day": 1}}, {})
    a, b = offered_load(plain), offered_load(defined)
    assert b.pathway("P1").demand_per_day == 0.0 and b.pathway("P1").wait_mean_h == 0.0
    assert a.units == b.units and b.warnings == ()


def test_pool_and_daily_pathways_match_simulation():
    """Exponential stays, Poisson arrivals, ample beds: a pool of 22 places (offered 18) and a daily pathway
    (2.4 a day for 3 starts at 11:00): simulated pool occupancy, NCTR census and NCTR delay per pathway,
    and the MED occupancy, within 3 standard errors of the replications (plus a small floor) of the formulas."""
    from hospital_twin.sim.model import simulate
    from tests.helpers import assert_close_to_reps, stay

    s = _with_pathways(
        {"P1": {"starts_per_day": 3}, "P2": {"places": 22, "stay": stay("exponential", 72.0)}},
        {"MED": {"P1": 0.2, "P2": 0.5}},
        per_day=20.0,
        horizon_days=500,
        warmup_days=30,
    )
    r = offered_load(s)
    occ, nctr, delay, med = [], {0: [], 1: []}, {0: [], 1: []}, []
    for rep in range(10):
        o = simulate(s, rep=rep, seed=seed(1414))
        w, end = o.warmup_h, o.end_h
        st = o.stays
        occ.append(o.extra["pathways"][1]["place_hours"] / (end - w))
        for k in (0, 1):
            on = st[st[:, 8] == -10 - k]
            left = np.where(np.isnan(on[:, 7]), end, on[:, 7])
            nctr[k].append(np.sum(np.clip(np.minimum(left, end) - np.maximum(on[:, 6], w), 0, None)) / (end - w))
            done = on[(on[:, 6] >= w) & ~np.isnan(on[:, 7])]
            delay[k].append(np.mean(done[:, 7] - done[:, 6]))
        m = st[st[:, 1] == 1]
        left = np.where(np.isnan(m[:, 7]), end, m[:, 7])
        med.append(np.sum(np.clip(np.minimum(left, end) - np.maximum(m[:, 5], w), 0, None)) / (end - w))
    p1, p2 = r.pathway("P1"), r.pathway("P2")
    assert p2.places_in_use == pytest.approx(20 * 0.6 * 0.5 / 24 * 72)  # 18 of 22
    assert_close_to_reps(np.array(occ), p2.places_in_use, floor=0.2, what="P2 occupancy")
    assert_close_to_reps(np.array(nctr[1]), p2.nctr_beds, floor=0.1, what="P2 NCTR census")
    assert_close_to_reps(np.array(delay[1]), p2.nctr_delay_h, floor=0.5, what="P2 NCTR delay")
    assert_close_to_reps(np.array(nctr[0]), p1.nctr_beds, floor=0.1, what="P1 NCTR census")
    assert_close_to_reps(np.array(delay[0]), p1.nctr_delay_h, floor=0.5, what="P1 NCTR delay")
    assert_close_to_reps(np.array(med), r.unit("MED").patient_load_beds, floor=0.3, what="MED occupancy")
