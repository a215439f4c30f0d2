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
    kpis = results.rep_kpis(simulate(s), s.name)
    days = bed_days_by_rep(kpis, s).set_index("kind")["bed_days"]
    assert days.to_dict() == pytest.approx({GA_BEDS: 4.0, ESCALATION_BEDS: 4.0, CC_BEDS: 1.0})
    cost = bed_cost_by_rep(kpis, s, RATES).set_index("kind")
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
    same occupancy 10, 11, 12; escalation bed-days 20, 30, 40 replace as many G&A bed-days, so each replication's
    year costs (510 - 450) x bed-days x 36.5 more: 43,800, 65,700, 87,600; paired mean 65,700, t-interval from the
    three differences (the unpaired spread of the years, from the occupancy, is far wider)."""
    base, var = _ward("base", 2), _ward("what-if", 4)
    occ = [10.0, 11.0, 12.0]
    kpis = pd.concat(
        [
            _kpis("base", {"occupancy_mean": occ, "escalation_beds_open_mean": [0.0, 0.0, 0.0]}),
            _kpis("what-if", {"occupancy_mean": occ, "escalation_beds_open_mean": [2.0, 3.0, 4.0]}),
        ]
    )
    diff = bed_cost_difference(kpis, [base, var], RATES).set_index("kind")
    d = [60 * x * 36.5 for x in (20, 30, 40)]
    half = stats.t.ppf(0.975, 2) * pd.Series(d).std() / math.sqrt(3)
    total = diff.loc[ALL_BEDS]
    assert total["diff_year"] == pytest.approx(65_700.0)
    assert (total["diff_low"], total["diff_high"]) == pytest.approx((65_700.0 - half, 65_700.0 + half))
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
    diff = bed_cost_difference(kpis, [base, var], RATES)
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
        "interval £96k to £1.02m); all beds (occupied G&A, escalation and critical care) cost about £66k a year more"
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
    kpis = results.rep_kpis(simulate(s), s.name)
    rates = RATES.model_copy(update={"critical_care_bed_day_gbp": None})
    cost = bed_cost_by_rep(kpis, s, rates).set_index("kind")
    assert cost.loc[CC_BEDS, "bed_days"] == pytest.approx(1.0)
    assert math.isnan(cost.loc[CC_BEDS, "cost_gbp"])
    assert cost.loc[ALL_BEDS, "cost_gbp"] == pytest.approx(3840.0)
