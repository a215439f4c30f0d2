"""What beds cost (issue 15, money): bed-days by kind from a hand-traced run priced at known rates, a year's figure,
the paired difference of a what-if under common random numbers with its t-interval, and the sentence Compare shows."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from hospital_twin import results
from hospital_twin.reporting.money import (
    ALL_BEDS,
    CC_BEDS,
    ESCALATION_BEDS,
    GA_BEDS,
    bed_cost_by_rep,
    bed_cost_difference,
    bed_cost_summary,
    bed_days_by_rep,
    cost_sentence,
    gbp,
)
from hospital_twin.scenario.costs import CostRates
from hospital_twin.sim.model import simulate
from tests.helpers import scenario

FIXED = lambda h: {"distribution": "fixed", "mean_hours": h}  # noqa: E731
RATES = CostRates(
    bed_day_gbp=450,
    escalation_bed_day_gbp=510,
    critical_care_bed_day_gbp=2000,
    nurse_hour_gbp={"default": 25.2},
    bank_nurse_hour_gbp=28,
    agency_nurse_hour_gbp=45,
)


def _ward_and_icu(extra_beds: int = 2):
    """Ward A (2 beds) and an ICU (2 beds); Monday 07:00: 4 patients for A staying 48 h, 1 for the ICU staying
    24 h; escalation level 2 of group G opens ``extra_beds`` beds on A when A is full (occupied + waiting >= 2),
    until the pressure falls below half. 4 days measured, no warm-up."""
    return scenario(
        units={"A": {"beds": 2}, "ICU": {"beds": 2, "kind": "icu"}},
        arrivals=[],
        electives=[
            {"name": "long", "unit": "A", "patient_class": "c48", "per_weekday": [4, 0, 0, 0, 0, 0, 0], "hour": 7},
            {"name": "icu", "unit": "ICU", "patient_class": "c24", "per_weekday": [1, 0, 0, 0, 0, 0, 0], "hour": 7},
        ],
        patient_classes={"c48": {"length_of_stay": {"A": FIXED(48)}}, "c24": {"length_of_stay": {"ICU": FIXED(24)}}},
        length_of_stay={},
        horizon_days=4,
        warmup_days=0,
        escalation_levels={
            "G": {
                "units": ["A"],
                "levels": [
                    {"level": 2, "enter_at": 1.0, "leave_below": 0.5, "actions": {"open_beds": {"A": extra_beds}}}
                ],
            }
        },
    )


def test_hand_traced_run_gives_known_bed_days_and_cost():
    """At 07:00 A fills its 2 beds and level 2 opens 2 escalation beds for the other 2 patients; all 4 leave at
    55:00 and the beds close. Occupied A: 4 x 48 h = 8 bed-days; escalation beds open 2 x 48 h = 4 bed-days, so
    G&A (base beds) 8 - 4 = 4; ICU 24 h = 1 bed-day. At 450 / 510 / 2000 a bed-day: 1,800 + 2,040 + 2,000 = 5,840
    in the 4 days measured, x 365 / 4 = 532,900 a year."""
    s = _ward_and_icu()
    out = simulate(s)
    kpis, census = results.rep_kpis(out, s.name), results.census(out)
    days = bed_days_by_rep(kpis, s, census).set_index("kind")["bed_days"]
    assert days.to_dict() == pytest.approx({GA_BEDS: 4.0, ESCALATION_BEDS: 4.0, CC_BEDS: 1.0})
    cost = bed_cost_by_rep(kpis, s, RATES, census).set_index("kind")
    assert cost["cost_gbp"].to_dict() == pytest.approx(
        {GA_BEDS: 1800.0, ESCALATION_BEDS: 2040.0, CC_BEDS: 2000.0, ALL_BEDS: 5840.0}
    )
    assert cost.loc[ALL_BEDS, "cost_gbp_year"] == pytest.approx(5840.0 * 365 / 4)
    assert cost.loc[ESCALATION_BEDS, "rate_gbp"] == 510.0


def _kpis(name: str, values: dict[str, list[float]]) -> pd.DataFrame:
    """KPIs of a ward W (10 beds, escalation beds) per replication: ``{metric: [rep 0, rep 1, ...]}``."""
    rows = [
        {"scenario": name, "rep": rep, "metric": metric, "unit": "W", "value": v}
        for metric, vals in values.items()
        for rep, v in enumerate(vals)
    ]
    return pd.DataFrame(rows)


def _flat_census(name: str, occupied: list[float], days: int = 10) -> pd.DataFrame:
    """Hourly census of ward W holding ``occupied[rep]`` patients every hour of ``days`` days."""
    return pd.DataFrame(
        [
            {"scenario": name, "rep": rep, "unit": "W", "time_h": float(h), "occupied": occ}
            for rep, occ in enumerate(occupied)
            for h in range(24 * days)
        ]
    )


def _ward(name: str, escalation_beds: int):
    return scenario(
        name=name,
        units={"W": {"beds": 10, "escalation": {"beds": escalation_beds, "open_at": 0.97, "close_below": 0.9}}},
        arrivals=[{"name": "a", "unit": "W", "per_day": 2.0}],
        length_of_stay={"W": FIXED(24)},
        horizon_days=10,
        warmup_days=0,
    )


def test_a_years_cost_has_the_t_interval_of_the_replications():
    """Three replications of 10 days, occupancy 9, 9.5, 10 beds and no escalation bed open: 90, 95, 100 G&A bed-days
    = 40,500, 42,750, 45,000; a year: x 36.5, mean 42,750 x 36.5 = 1,560,375 with the t-interval (2 degrees of freedom)."""
    s = _ward("base", 2)
    kpis = _kpis("base", {"occupancy_mean": [9.0, 9.5, 10.0], "escalation_beds_open_mean": [0.0, 0.0, 0.0]})
    row = bed_cost_summary(kpis, s, RATES).set_index("kind").loc[ALL_BEDS]
    year = [x * 450 * 36.5 for x in (90, 95, 100)]
    half = stats.t.ppf(0.975, 2) * pd.Series(year).std() / math.sqrt(3)
    assert row["cost_gbp_year"] == pytest.approx(1_560_375.0)
    assert (row["year_low"], row["year_high"]) == pytest.approx((1_560_375.0 - half, 1_560_375.0 + half))
    assert row["n_reps"] == 3


def test_the_difference_of_a_what_if_is_paired_by_replication():
    """The what-if opens 2, 3, 4 escalation beds on average in replications 0, 1, 2 (none in the baseline) with the
    same occupancy 10, 11, 12 on the 10 base beds (0, 1, 2 patients above them every hour: in escalation beds in the
    what-if; none open in the baseline, so none counted there); the what-if's G&A
    bed-days are 100 in each replication, its escalation bed-days 20, 30, 40: the year's difference
    (20 x 510 - 0, 30 x 510 - 10 x 450, 40 x 510 - 20 x 450) x 36.5 = 372,300, 394,200, 416,100; paired mean
    394,200, t-interval from the three differences (the unpaired spread of the years is far wider)."""
    base, var = _ward("base", 2), _ward("what-if", 4)
    occ = [10.0, 11.0, 12.0]
    kpis = pd.concat(
        [
            _kpis("base", {"occupancy_mean": occ, "escalation_beds_open_mean": [0.0, 0.0, 0.0]}),
            _kpis("what-if", {"occupancy_mean": occ, "escalation_beds_open_mean": [2.0, 3.0, 4.0]}),
        ]
    )
    census = pd.concat([_flat_census("base", occ), _flat_census("what-if", occ)])
    diff = bed_cost_difference(kpis, [base, var], RATES, census=census).set_index("kind")
    d = [x * 36.5 for x in (20 * 510, 30 * 510 - 10 * 450, 40 * 510 - 20 * 450)]
    half = stats.t.ppf(0.975, 2) * pd.Series(d).std() / math.sqrt(3)
    total = diff.loc[ALL_BEDS]
    assert total["diff_year"] == pytest.approx(394_200.0)
    assert (total["diff_low"], total["diff_high"]) == pytest.approx((394_200.0 - half, 394_200.0 + half))
    esc = diff.loc[ESCALATION_BEDS]
    assert esc["diff_year"] == pytest.approx(510 * 30 * 36.5)
    assert esc["bed_days_year_diff"] == pytest.approx(30 * 36.5)


def test_the_sentence_says_what_the_beds_cost_and_what_they_buy():
    """The escalation beds' cost a year with its interval, the whole bed cost, what the 2 escalation beds added would
    cost open all year (2 x 365 x 510), then the board measures the verdicts call clearly better ('buys') and
    clearly worse ('But')."""
    base, var = _ward("base", 2), _ward("what-if", 4)
    kpis = pd.concat(
        [
            _kpis("base", {"occupancy_mean": [10.0, 11.0, 12.0], "escalation_beds_open_mean": [0.0, 0.0, 0.0]}),
            _kpis("what-if", {"occupancy_mean": [10.0, 11.0, 12.0], "escalation_beds_open_mean": [2.0, 3.0, 4.0]}),
        ]
    )
    occ = [10.0, 11.0, 12.0]
    census = pd.concat([_flat_census("base", occ), _flat_census("what-if", occ)])
    diff = bed_cost_difference(kpis, [base, var], RATES, census=census)
    verdicts = pd.DataFrame(
        [
            {
                "scenario": "what-if",
                "group": "board",
                "status": "clear",
                "better": True,
                "label": "ED within 4 hours",
                "axis": "percentage points",
                "diff": 2.34,
            },
            {
                "scenario": "what-if",
                "group": "board",
                "status": "clear",
                "better": True,
                "label": "12-hour trolley waits a day",
                "axis": "a day",
                "diff": -0.81,
            },
            {
                "scenario": "what-if",
                "group": "board",
                "status": "unclear",
                "better": None,
                "label": "Outliers",
                "axis": "",
                "diff": -5.0,
            },
            {
                "scenario": "what-if",
                "group": "board",
                "status": "clear",
                "better": False,
                "label": "Time at OPEL 3 or 4",
                "axis": "hours",
                "diff": 12.0,
            },
        ]
    )
    text = cost_sentence(diff, verdicts, base, var)
    assert text.startswith(
        "“what-if”: 3.0 more escalation beds open on average, at £510 a bed-day, cost about £558k a year more (95% "
        "interval £96k to £1.02m); all beds (occupied G&A and escalation) cost about £394k a year more"
    )
    assert (
        "Beds are priced when occupied (escalation beds when open): 2 more escalation beds open all year would be 730 "
        "bed-days, £372k if every bed-day were costed like an occupied one." in text
    )
    assert "It buys: ED within 4 hours +2.3 points; 12-hour trolley waits a day -0.8 a day." in text
    assert "But: Time at OPEL 3 or 4 +12.0 hours." in text
    assert "Outliers" not in text


def test_money_reads_as_a_manager_reads_it():
    """Millions with two decimals, thousands rounded, small sums whole; not a number is a dash."""
    assert [gbp(1_861_500), gbp(450_000), gbp(12_300), gbp(-210_000), gbp(float("nan"))] == [
        "£1.86m",
        "£450k",
        "£12k",
        "-£210k",
        "—",
    ]


def test_critical_care_without_a_rate_is_not_priced_nor_in_the_total():
    """A costs file without critical_care_bed_day_gbp: the ICU's bed-day is counted but has no cost, and the total
    is the G&A and escalation beds' alone (1,800 + 2,040), never a made-up figure for the ICU."""
    s = _ward_and_icu()
    out = simulate(s)
    kpis = results.rep_kpis(out, s.name)
    rates = RATES.model_copy(update={"critical_care_bed_day_gbp": None})
    cost = bed_cost_by_rep(kpis, s, rates, results.census(out)).set_index("kind")
    assert cost.loc[CC_BEDS, "bed_days"] == pytest.approx(1.0)
    assert math.isnan(cost.loc[CC_BEDS, "cost_gbp"])
    assert cost.loc[ALL_BEDS, "cost_gbp"] == pytest.approx(3840.0)


def _small_ward(name: str = "small"):
    """Ward A of 2 base beds (escalation beds opened by a level), 1 day of warm-up then 1 day measured."""
    return scenario(
        name=name,
        units={"A": {"beds": 2}},
        arrivals=[{"name": "a", "unit": "A", "per_day": 2.0}],
        length_of_stay={"A": FIXED(24)},
        horizon_days=1,
        warmup_days=1,
    )


def _small_kpis_and_census(name: str, measured: list[int], escalation_open_mean: float):
    """KPIs and census of ward A: 4 patients every hour of the warm-up (not measured), then ``measured`` (24 hourly
    counts)."""
    census = pd.DataFrame(
        {
            "scenario": name,
            "rep": 0,
            "unit": "A",
            "time_h": [float(h) for h in range(48)],
            "occupied": [4] * 24 + measured,
        }
    )
    kpis = pd.DataFrame(
        [
            {"scenario": name, "rep": 0, "metric": "occupancy_mean", "unit": "A", "value": sum(measured) / 24},
            {
                "scenario": name,
                "rep": 0,
                "metric": "escalation_beds_open_mean",
                "unit": "A",
                "value": escalation_open_mean,
            },
        ]
    )
    return kpis, census


def test_patients_above_the_base_beds_are_the_occupied_escalation_bed_days():
    """Ward A (2 base beds); a level opens 2 escalation beds for 12 of the 24 measured hours (1 escalation bed-day
    open). Occupied: 2 for 12 h, 3 for 6 h, 4 for 6 h = 66 bed-hours = 2.75 bed-days, of which above the base beds
    6 x 1 + 6 x 2 = 18 bed-hours = 0.75 bed-days. Base beds 2.75 - 0.75 = 2 bed-days (both full all day), escalation
    1 bed-day open: 2 x 450 + 1 x 510 = 1,410 (not 2.75 - 1 = 1.75 base bed-days, 1,297.50)."""
    s = _small_ward()
    kpis, census = _small_kpis_and_census(s.name, [2] * 12 + [3] * 6 + [4] * 6, 1.0)
    days = bed_days_by_rep(kpis, s, census).set_index("kind")["bed_days"]
    assert days[GA_BEDS] == pytest.approx(2.0)
    assert days[ESCALATION_BEDS] == pytest.approx(1.0)
    cost = bed_cost_by_rep(kpis, s, RATES, census).set_index("kind")
    assert cost.loc[ALL_BEDS, "cost_gbp"] == pytest.approx(1410.0)


def test_an_open_empty_escalation_bed_costs_the_escalation_rate_on_top_of_full_base_beds():
    """Ward A's 2 base beds full all day and 2 escalation beds open but empty for 12 hours (1 bed-day): base 2
    bed-days at 450 plus escalation 1 bed-day at 510 = 1,410; an empty escalation bed does not displace a patient
    from a base bed (not 1 x 450 + 1 x 510 = 960)."""
    s = _small_ward()
    kpis, census = _small_kpis_and_census(s.name, [2] * 24, 1.0)
    cost = bed_cost_by_rep(kpis, s, RATES, census).set_index("kind")
    assert cost.loc[GA_BEDS, "bed_days"] == pytest.approx(2.0)
    assert cost.loc[ALL_BEDS, "cost_gbp"] == pytest.approx(2 * 450 + 510)


def test_without_a_census_open_escalation_beds_leave_the_base_bed_days_unknown():
    """Without the hourly census the occupied escalation bed-days of a ward that opened escalation beds are not
    known: its G&A bed-days and the total are NaN, never a guess; a ward that opened none needs no census."""
    s = _small_ward()
    kpis, _ = _small_kpis_and_census(s.name, [2] * 24, 1.0)
    cost = bed_cost_by_rep(kpis, s, RATES).set_index("kind")
    assert math.isnan(cost.loc[GA_BEDS, "bed_days"]) and math.isnan(cost.loc[ALL_BEDS, "cost_gbp"])
    kpis0, _ = _small_kpis_and_census(s.name, [2] * 24, 0.0)
    assert bed_cost_by_rep(kpis0, s, RATES).set_index("kind").loc[ALL_BEDS, "cost_gbp"] == pytest.approx(900.0)


def test_unpriced_critical_care_makes_the_total_priced_beds_with_its_bed_days_in_words():
    """Four more ICU beds with a costs file without a critical care rate: G&A unchanged, ICU occupied 10 -> 13 beds
    (+3 x 365 = 1,095 bed-days a year): the sentence calls the total 'priced beds', says the critical care
    bed-days' change, and never calls the exactly-0 priced difference 'no clear change' or 'all beds'."""

    def hospital(name: str, icu_beds: int):
        return scenario(
            name=name,
            units={"W": {"beds": 150}, "ICU": {"beds": icu_beds, "kind": "icu"}},
            arrivals=[{"name": "a", "unit": "W", "per_day": 2.0}],
            length_of_stay={"W": FIXED(24), "ICU": FIXED(24)},
            horizon_days=10,
        )

    b, v = hospital("base", 14), hospital("more ICU", 18)
    rows = [
        {"scenario": sc.name, "rep": rep, "metric": "occupancy_mean", "unit": u, "value": val}
        for rep in range(3)
        for sc, icu in ((b, 10.0), (v, 13.0))
        for u, val in (("W", 140.0), ("ICU", icu))
    ]
    rates = RATES.model_copy(update={"critical_care_bed_day_gbp": None})
    diff = bed_cost_difference(pd.DataFrame(rows), [b, v], rates)
    text = cost_sentence(diff, None, b, v)
    assert "priced beds (occupied G&A) cost the same in every replication (£0 a year)" in text
    assert "critical care not priced: +1,095 bed-days a year" in text
    assert "all beds" not in text and "no clear change" not in text
