"""Surplus shifts, WTE, the establishment gap and money of a roster, on instances small enough to count by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from hospital_twin.roster.staff import validate_staff
from hospital_twin.roster.workforce import UNIT_COLUMNS, cover_by_shift, shift_hours, workforce_by_unit
from hospital_twin.scenario.costs import CostRates
from tests.roster.test_model import cover_only, req_frame, solve, staff_frame

DAY = {"day": ("07:00", "19:00")}  # 12 h
EXACT = {"tolerance_h": 0, "under_weight_per_h": 100, "over_weight_per_h": 100}  # contracts worked to the hour
COSTS = CostRates(
    bed_day_gbp=450,
    escalation_bed_day_gbp=510,
    nurse_hour_gbp={"default": 25.0, "Band 6": 30.0},
    bank_nurse_hour_gbp=28,
    agency_nurse_hour_gbp=45,
)


def _three_nurses_one_needed():
    """Three 36 h nurses (3 twelve-hour days a week each, to the hour) on a unit that needs one nurse a day."""
    staff = validate_staff(staff_frame(3, hours=36.0, grade="Band 5"))
    req = req_frame([(d, "W", "day", 1, 1) for d in range(7)])
    return staff, solve(staff, req, cover_only(contract_hours=EXACT), 7, shifts=DAY)


def test_workforce_shift_hours_are_clock_lengths_across_midnight():
    """A night 20:00-07:30 lasts 11.5 h, a long day 07:30-20:00 12.5 h."""
    assert shift_hours({"day": ("07:30", "20:00"), "night": ("20:00", "07:30")}) == {"day": 12.5, "night": 11.5}


def test_workforce_surplus_is_rostered_minus_target_per_shift():
    """9 shifts worked (3 contracts x 3) where 7 are needed: 2 surplus people, summed over the days."""
    _, roster = _three_nurses_one_needed()
    by_shift = cover_by_shift(roster)
    assert by_shift["rostered"].sum() == 9 and by_shift["target"].sum() == 7
    assert (by_shift["surplus"] == (by_shift["rostered"] - 1).clip(lower=0)).all()
    assert by_shift["surplus"].sum() == 2 and by_shift["short"].sum() == 0
    assert by_shift["surplus_h"].sum() == 24


def test_workforce_wte_cost_and_establishment_by_hand():
    """WTE at 37.5 h: need 7 x 12 / 37.5 = 2.24, rostered 108 / 37.5 = 2.88, surplus 0.64; cost 108 h x 25;
    an establishment of 2 a day is 168 h = 4.48 WTE, 2.24 above the need."""
    staff, roster = _three_nurses_one_needed()
    w = workforce_by_unit(roster, staff, costs=COSTS, establishment={"W": {"day": 2}})
    assert list(w.columns) == UNIT_COLUMNS
    r = w.iloc[0]
    assert r["needed_wte"] == pytest.approx(2.24)
    assert r["rostered_wte"] == pytest.approx(2.88)
    assert r["surplus_wte"] == pytest.approx(0.64)
    assert r["contracted_wte"] == pytest.approx(108 / 37.5)
    assert r["contracts_beyond_need_wte"] == pytest.approx(0.64)
    assert r["establishment_wte"] == pytest.approx(4.48)
    assert r["need_minus_establishment_wte"] == pytest.approx(-2.24)
    assert r["roster_cost"] == pytest.approx(108 * 25.0)
    assert r["surplus_cost"] == pytest.approx(24 * 25.0)
    assert r["surplus_cost_per_year"] == pytest.approx(24 * 25.0 * 52)
    assert "contracted hours beyond the need" in r["source"]
    assert r["action"].startswith("0.6 WTE more than needed on W (£600 over 1 week,")
    assert "reduce contracted hours or redeploy" in r["action"]


def test_workforce_surplus_reconciles_with_its_sources():
    """surplus - short = (available - needed) + float + over contract - under contract, in WTE."""
    staff, roster = _three_nurses_one_needed()
    r = workforce_by_unit(roster, staff).iloc[0]
    sources = r["available_wte"] - r["needed_wte"] + r["float_wte"] + r["over_contract_wte"] - r["under_contract_wte"]
    assert r["surplus_wte"] - r["short_wte"] == pytest.approx(sources)


def test_workforce_short_unit_is_costed_at_bank_and_agency_rates_and_named_for_redeployment():
    """One 36 h nurse where one a day is needed: 4 days short (48 h) at 28 (bank) or 45 (agency) an hour."""
    staff = validate_staff(
        pd.concat([staff_frame(3, hours=36.0), staff_frame(1, unit="V", hours=36.0)], ignore_index=True).assign(
            staff_id=["S0", "S1", "S2", "V0"]
        )
    )
    req = req_frame([(d, u, "day", 1, 1) for d in range(7) for u in ("W", "V")])
    roster = solve(staff, req, cover_only(contract_hours=EXACT), 7, shifts=DAY)
    w = workforce_by_unit(roster, staff, costs=COSTS).set_index("unit")
    assert w.at["V", "short_shifts"] == 4
    assert w.at["V", "short_cost_bank"] == pytest.approx(48 * 28)
    assert w.at["V", "short_cost_agency"] == pytest.approx(48 * 45)
    assert "(short of staff: V)" in w.at["W", "action"]


def test_workforce_without_costs_or_establishment_says_nothing_about_money():
    """No cost file, no establishment: those columns are NaN, not a made-up zero."""
    staff, roster = _three_nurses_one_needed()
    r = workforce_by_unit(roster, staff).iloc[0]
    assert pd.isna(r["roster_cost"]) and pd.isna(r["surplus_cost"]) and pd.isna(r["establishment_wte"])
    assert "£" not in r["action"]


def test_workforce_verdict_leads_with_a_shortage_and_is_never_green():
    """One 36 h nurse (3 days a week) where one is needed every day: 4 people short and none above the target.
    The verdict starts with the shortage and its tone is "error", not the green "success" of a fine roster."""
    from hospital_twin.roster.workforce import workforce_totals

    staff = validate_staff(staff_frame(1, hours=36.0))
    req = req_frame([(d, "W", "day", 1, 1) for d in range(7)])
    roster = solve(staff, req, cover_only(contract_hours=EXACT), 7, shifts=DAY)
    t = workforce_totals(workforce_by_unit(roster, staff))
    assert (t["surplus_shifts"], t["short_shifts"]) == (0, 4)
    assert t["tone"] == "error"
    assert t["verdict"].startswith("Short-staffed: 4 people short of the target")


def test_workforce_verdict_tone_is_warning_when_only_over_staffed():
    """Three nurses where one is needed: 2 shifts above the target and none short: a warning, over-staffing first."""
    from hospital_twin.roster.workforce import workforce_totals

    staff, roster = _three_nurses_one_needed()
    t = workforce_totals(workforce_by_unit(roster, staff))
    assert t["short_shifts"] == 0 and t["tone"] == "warning" and t["verdict"].startswith("Over-staffed: 2 shifts")
