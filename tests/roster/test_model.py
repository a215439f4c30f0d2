"""The CP-SAT roster for named staff on small instances whose optimum is known by reasoning.

Every roster returned is also checked by the independent checker: no hard breaches, and
the checker's total penalty equals the solver's objective.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hospital_twin.roster.checker import check_roster
from hospital_twin.roster.model import Roster, RosterError, build_roster
from hospital_twin.roster.rules import RosterRules, RunRule, shift_clocks
from hospital_twin.roster.staff import RosterInputError, validate_staff

MON = dt.date(2025, 1, 6)
SHIFTS = {"early": ("07:00", "15:00"), "late": ("14:00", "22:00"), "night": ("21:30", "07:30")}


def staff_frame(n: int, *, unit: str = "W", hours: float = 37.5, **extra) -> pd.DataFrame:
    rows = [
        {
            "staff_id": f"S{i}",
            "name": f"Nurse {i}",
            "skills": "RN",
            "home_unit": unit,
            "float_pool": False,
            "contract_hours_per_week": hours,
        }
        for i in range(n)
    ]
    for r in rows:
        r.update(extra)
    return pd.DataFrame(rows)


def req_frame(cells: list[tuple[int, str, str, int, int]], skill: str = "RN") -> pd.DataFrame:
    """(day offset, unit, shift, min, target) -> requirement rows."""
    return pd.DataFrame(
        [
            {"date": MON + dt.timedelta(days=d), "unit": u, "shift": k, "skill": skill, "min": lo, "target": hi}
            for d, u, k, lo, hi in cells
        ]
    )


OVERTIME_ONLY = {"tolerance_h": 0, "under_weight_per_h": 0, "over_weight_per_h": 1}


def cover_only(**over) -> RosterRules:
    """Only cover counts: every other soft rule switched off (weights 0)."""
    base = {
        "contract_hours": {"under_weight_per_h": 0, "over_weight_per_h": 0},
        "work_days": RunRule(weight=0),
        "days_off": RunRule(weight=0),
        "night_runs": None,
        "weekends": {"weight": 0, "complete": False},
        "fairness": {"nights_weight": 0, "weekends_weight": 0},
    }
    base.update(over)
    return RosterRules.model_validate(base)


def solve(staff, req, rules, days, **kw) -> Roster:
    kw.setdefault("shifts", SHIFTS)
    kw.setdefault("time_limit_s", 10)
    kw.setdefault("workers", 1)
    roster = build_roster(staff, req, rules, start_date=MON, days=days, **kw)
    assert roster.hard_breaches == []
    assert roster.penalty == pytest.approx(roster.objective, abs=1e-6)
    return roster


def test_model_rest_forbids_late_then_early():
    """With 11 h rest, one nurse cannot work a late (ends 22:00) then an early (07:00): one minimum goes unmet."""
    req = req_frame([(0, "W", "late", 1, 1), (1, "W", "early", 1, 1)])
    roster = solve(staff_frame(1), req, cover_only(), 2)
    assert roster.status == "OPTIMAL"
    assert len(roster.assignments) == 1
    assert roster.cover["shortfall_min"].sum() == 1
    assert roster.objective == pytest.approx(1000 + 20)  # one person short of min (1000) and of target (20)
    relaxed = solve(staff_frame(1), req, cover_only(rest={"min_rest_h": 9}), 2)
    assert len(relaxed.assignments) == 2 and relaxed.objective == 0


def test_model_night_then_early_is_forbidden_by_clock_times():
    """A night ending 07:30 overlaps an early starting 07:00 the next day: never both."""
    req = req_frame([(0, "W", "night", 1, 1), (1, "W", "early", 1, 1)])
    roster = solve(staff_frame(1), req, cover_only(rest={"min_rest_h": 0}), 2)
    assert len(roster.assignments) == 1


def test_model_forbidden_succession_from_rules():
    """A listed forbidden succession applies even when the rest would allow it."""
    req = req_frame([(0, "W", "early", 1, 1), (1, "W", "late", 1, 1)])
    assert len(solve(staff_frame(1), req, cover_only(), 2).assignments) == 2
    rules = cover_only(rest={"forbidden_successions": [["early", "late"]]})
    assert len(solve(staff_frame(1), req, rules, 2).assignments) == 1


def test_model_contract_hours_known_optimum():
    """4 nurses on 28 h contracts, 8 h shifts: nobody can hit 28 h, so each is 4 h out: 16 h x 5 points."""
    req = req_frame([(d, "W", k, 1, 1) for d in range(7) for k in ("early", "late")])
    rules = cover_only(contract_hours={"tolerance_h": 0, "under_weight_per_h": 5, "over_weight_per_h": 5})
    roster = solve(staff_frame(4, hours=28), req, rules, 7)
    assert roster.status == "OPTIMAL"
    assert roster.objective == pytest.approx(80)
    assert (roster.cover["shortfall_min"] == 0).all()
    assert set(roster.hours_by_staff["rostered_h"]) <= {24, 32}
    tolerant = solve(staff_frame(4, hours=28), req, cover_only(contract_hours={"tolerance_h": 4}), 7)
    assert tolerant.objective == 0


def test_model_leave_is_respected_and_shortfall_explained():
    """The only nurse is on leave on day 1: no shift that day, and the note says why cover fails."""
    req = req_frame([(d, "W", "early", 1, 1) for d in range(3)])
    leave = pd.DataFrame(
        [{"staff_id": "S0", "from": MON + dt.timedelta(days=1), "to": MON + dt.timedelta(days=1), "kind": "annual"}]
    )
    roster = solve(staff_frame(1), req, cover_only(), 3, leave=leave)
    assert MON + dt.timedelta(days=1) not in set(roster.assignments["date"])
    assert len(roster.assignments) == 2
    assert any("2025-01-07" in n and "too few staff with skill RN" in n for n in roster.notes)
    short = roster.violations[roster.violations["rule"] == "cover_min"]
    assert list(short["date"]) == [MON + dt.timedelta(days=1)]
    assert "only 0 staff" in short["detail"].iloc[0]


def test_model_float_pool_only_works_other_units_when_allowed():
    """Unit B needs a nurse; only a float-pool member of unit A may go there."""
    req = req_frame([(0, "A", "early", 1, 1), (0, "B", "early", 1, 1)])
    staff = staff_frame(2, unit="A")
    roster = solve(staff, req, cover_only(), 1)
    assert roster.cover["shortfall_min"].sum() == 1
    assert (roster.assignments["unit"] == "A").all()
    staff.loc[1, "float_pool"] = True
    roster = solve(staff, req, cover_only(), 1)
    assert roster.cover["shortfall_min"].sum() == 0
    placed = dict(zip(roster.assignments["staff_id"], roster.assignments["unit"], strict=True))
    assert placed == {"S0": "A", "S1": "B"}


def test_model_skills_count_only_for_their_requirement():
    """A requirement for skill NIC is met only by a member holding NIC; 'any' counts everyone."""
    staff = staff_frame(2)
    staff.loc[0, "skills"] = "RN;NIC"
    req = pd.concat([req_frame([(0, "W", "early", 1, 1)], skill="NIC"), req_frame([(0, "W", "early", 2, 2)], "any")])
    roster = solve(staff, req, cover_only(), 1)
    assert roster.objective == 0
    nic = roster.assignments[roster.assignments["skill"] == "NIC"]
    assert list(nic["staff_id"]) == ["S0"]


def test_model_fairness_spreads_nights():
    """8 nights for 4 equal nurses: with fairness each works exactly 2; the spread costs 0.

    20 h contracts over 8 days expect 22.9 h, so a third 10 h night costs overtime: the
    only cost-free roster is 2 nights each.
    """
    req = req_frame([(d, "W", "night", 1, 1) for d in range(8)])
    rules = cover_only(fairness={"nights_weight": 50, "weekends_weight": 0}, contract_hours=OVERTIME_ONLY)
    roster = solve(staff_frame(4, hours=20), req, rules, 8)
    assert roster.status == "OPTIMAL" and roster.objective == 0
    assert list(roster.hours_by_staff["nights"]) == [2, 2, 2, 2]


def test_model_fairness_is_pro_rata_to_contract():
    """A half-time nurse is fair at half the nights of a full-time one (scores per full-time equivalent).

    Over 10 days a full-timer expects 53.6 h: (4, 4, 2) nights is the only fair split of 10
    nights without overtime.
    """
    staff = staff_frame(3)
    staff.loc[2, "contract_hours_per_week"] = 18.75
    req = req_frame([(d, "W", "night", 1, 1) for d in range(10)])
    rules = cover_only(fairness={"nights_weight": 50, "weekends_weight": 0}, contract_hours=OVERTIME_ONLY)
    roster = solve(staff, req, rules, 10)
    assert list(roster.hours_by_staff["nights"]) == [4, 4, 2]
    assert roster.objective == 0


def test_model_requests_are_granted_when_free():
    """A day-off request is honoured when someone else can cover; an 'on' request for a night is granted."""
    req = req_frame([(0, "W", "early", 1, 1), (1, "W", "night", 1, 1)])
    requests = pd.DataFrame(
        [
            {"staff_id": "S0", "date": MON, "shift": "off", "wish": "off", "weight": 1},
            {"staff_id": "S0", "date": MON + dt.timedelta(days=1), "shift": "night", "wish": "on", "weight": 1},
        ]
    )
    roster = solve(staff_frame(2), req, cover_only(), 2, requests=requests)
    got = {(r.staff_id, r.date): r.shift for r in roster.assignments.itertuples()}
    assert (("S0", MON) not in got) and got[("S0", MON + dt.timedelta(days=1))] == "night"
    assert roster.objective == 0


def test_model_max_consecutive_days_is_a_sliding_window():
    """One nurse, 7 early shifts wanted, max 5 in a row: working all 7 costs 2 windows; the optimum drops them."""
    req = req_frame([(d, "W", "early", 0, 1) for d in range(7)])
    rules = cover_only(work_days=RunRule(max=5, weight=50), cover={"target_weight": 20})
    roster = solve(staff_frame(1), req, rules, 7)
    # 7 worked: 2 windows x 50 = 100; 6 worked (one gap) : run 5 ok + target miss 20; best is one day off
    assert roster.objective == pytest.approx(20)
    assert len(roster.assignments) == 6


def test_model_max_nights_is_hard():
    """max_nights_per_4w caps nights even when cover goes short."""
    req = req_frame([(d, "W", "night", 1, 1) for d in range(7)])
    roster = solve(staff_frame(1, max_nights_per_4w=4), req, cover_only(), 7)
    # 7 days of 28: ceil(4 x 7 / 28) = 1 night allowed
    assert len(roster.assignments) == 1


def test_model_checker_total_equals_objective_on_a_rich_instance():
    """Leave, requests, float pool, weekends, runs, fairness, two units: checker total == objective."""
    staff = pd.DataFrame(
        [
            {
                "staff_id": f"S{i:02d}",
                "name": f"N{i}",
                "grade": "Band 5" if i % 3 else "Band 6",
                "skills": "RN" if i % 4 else "RN;NIC",
                "home_unit": "AB"[i % 2],
                "float_pool": i == 0,
                "contract_hours_per_week": [37.5, 30, 22.5][i % 3],
                "max_nights_per_4w": 0 if i == 5 else None,
            }
            for i in range(10)
        ]
    )
    req = pd.concat(
        [
            req_frame([(d, u, k, 1, 2) for d in range(14) for k in SHIFTS for u in "AB"]),
            req_frame([(d, u, "early", 1, 1) for d in range(14) for u in "AB"], skill="NIC"),
        ]
    )
    leave = pd.DataFrame(
        [{"staff_id": "S03", "from": dt.date(2025, 1, 8), "to": dt.date(2025, 1, 12), "kind": "annual"}]
    )
    requests = pd.DataFrame(
        [
            {"staff_id": "S01", "date": dt.date(2025, 1, 11), "shift": "off", "wish": "off", "weight": 3},
            {"staff_id": "S02", "date": dt.date(2025, 1, 7), "shift": "night", "wish": "on", "weight": 2},
        ]
    )
    rules = RosterRules(shift_runs={"late": RunRule(max=3, weight=7)})
    roster = solve(staff, req, rules, 14, leave=leave, requests=requests, time_limit_s=3, workers=2)
    assert roster.status in ("OPTIMAL", "FEASIBLE")
    assert roster.objective >= roster.bound - 1e-6
    rules_seen = set(roster.violations["rule"])
    assert {"cover_target", "contract_hours_over"} & rules_seen
    # the checker alone, on the returned assignments, agrees
    check = check_roster(
        roster.assignments,
        validate_staff(staff),
        roster.cover[["date", "unit", "shift", "skill", "min", "target"]],
        rules,
        shift_clocks(SHIFTS),
        start_date=MON,
        days=14,
        leave=leave,
        requests=requests,
    )
    assert check.hard == [] and check.penalty == pytest.approx(roster.objective)


def test_model_min_hard_infeasible_says_which_cover_and_why():
    """With hard minimum cover and too few RNs, the error names the date, unit, shift and skill."""
    req = req_frame([(0, "W", "early", 2, 2)])
    with pytest.raises(RosterError) as err:
        solve(staff_frame(1), req, cover_only(cover={"min_hard": True}), 1)
    assert "2025-01-06 W early: too few staff with skill RN: 1 can work it" in str(err.value)


def test_model_bad_inputs_name_the_row_and_field():
    """Unknown shift in a requirement and an unknown staff id in leave are reported, not dropped."""
    req = req_frame([(0, "W", "twilight", 1, 1)])
    with pytest.raises(RosterInputError) as err:
        solve(staff_frame(1), req, cover_only(), 1)
    assert "requirements row 1: shift: unknown shift 'twilight'" in str(err.value)
    leave = pd.DataFrame([{"staff_id": "X9", "from": MON, "to": MON, "kind": "sick"}])
    with pytest.raises(RosterInputError, match="leave row 1: staff_id: unknown staff_id 'X9'"):
        solve(staff_frame(1), req_frame([(0, "W", "early", 1, 1)]), cover_only(), 1, leave=leave)


def test_checker_finds_hard_breaches_in_a_hand_made_roster():
    """Late then early, work on leave, a non-float nurse on another unit: all three reported."""
    staff = validate_staff(staff_frame(1))
    a = pd.DataFrame(
        [
            {"staff_id": "S0", "date": MON, "shift": "late", "unit": "W", "skill": "RN"},
            {"staff_id": "S0", "date": MON + dt.timedelta(days=1), "shift": "early", "unit": "W", "skill": "RN"},
            {"staff_id": "S0", "date": MON + dt.timedelta(days=2), "shift": "early", "unit": "X", "skill": "RN"},
        ]
    )
    leave = pd.DataFrame(
        [{"staff_id": "S0", "from": MON + dt.timedelta(days=1), "to": MON + dt.timedelta(days=1), "kind": "sick"}]
    )
    check = check_roster(
        a, staff, req_frame([]), RosterRules(), shift_clocks(SHIFTS), start_date=MON, days=3, leave=leave
    )
    text = "\n".join(check.hard)
    assert "late on 2025-01-06 then early on 2025-01-07" in text
    assert "while on leave" in text
    assert "works on X, not their home unit W" in text


def test_checker_counts_run_violations_by_hand():
    """6 days worked then 1 off (max 5): one window; a 1-day off run between work (min 2 off): cost 10 x 1."""
    staff = validate_staff(staff_frame(1))
    worked = [0, 1, 2, 3, 4, 5, 7, 8]  # days 0-5, off 6, 7-8 (days 7 and 8 touch... 9 is off, 10 is worked)
    worked.append(10)
    a = pd.DataFrame(
        [
            {"staff_id": "S0", "date": MON + dt.timedelta(days=d), "shift": "early", "unit": "W", "skill": "RN"}
            for d in worked
        ]
    )
    rules = cover_only(work_days=RunRule(min=2, max=5, weight=10), days_off=RunRule(min=2, weight=10))
    check = check_roster(a, staff, req_frame([]), rules, shift_clocks(SHIFTS), start_date=MON, days=12)
    by_rule = check.violations.groupby("rule")["penalty"].sum().to_dict()
    # work runs: 0-5 (6 > 5: 1 window), 7-8 (ok), 10 (length 1, bounded by day 9 off and day 11 off: 1 short)
    # off runs: 6 (1 short of 2), 9 (1 short); day 11 touches the end: not judged
    assert by_rule == {"max_work_days": 10, "min_work_days": 10, "min_days_off": 20}


def _two_units(float_pool: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    staff = pd.concat([staff_frame(4, unit="A"), staff_frame(4, unit="B")], ignore_index=True)
    staff["staff_id"] = [f"{u}{i}" for u in "AB" for i in range(4)]
    if float_pool:
        staff.loc[len(staff)] = {
            "staff_id": "F0",
            "name": "Float",
            "skills": "RN",
            "home_unit": "A",
            "float_pool": True,
            "contract_hours_per_week": 37.5,
        }
    req = req_frame([(d, u, k, 1, 2 if u == "B" else 1) for d in range(7) for u in "AB" for k in ("early", "late")])
    return staff, req


def test_model_decomposed_by_team_matches_the_whole_without_float_pool():
    """Teams that share nothing solve apart to the same optimum (and a valid bound) as together."""
    staff, req = _two_units(float_pool=False)
    rules = cover_only(
        contract_hours={"tolerance_h": 4},
        fairness={"nights_weight": 5, "weekends_weight": 5},
        weekends={"max_per_4w": 1, "weight": 20, "complete": True},
    )
    whole = solve(staff, req, rules, 7, decompose=False, time_limit_s=10, workers=2)
    parts = solve(staff, req, rules, 7, decompose=True, time_limit_s=10, workers=2)
    assert whole.status == parts.status == "OPTIMAL"
    assert parts.objective == pytest.approx(whole.objective)
    assert parts.bound == pytest.approx(parts.objective)


def test_model_decomposed_float_pool_fills_what_teams_leave_short():
    """With a float pool solved last on the residual cover, the checker still agrees with the objective."""
    staff, req = _two_units(float_pool=True)
    roster = solve(staff, req, RosterRules(night_runs=None), 7, decompose=True, time_limit_s=3, workers=2)
    assert any("solved as 3 parts" in n for n in roster.notes)
    f0 = roster.assignments[roster.assignments["staff_id"] == "F0"]
    assert len(f0) > 0 and set(f0["unit"]) <= {"A", "B"}
    assert roster.bound != roster.bound  # NaN: no bound for the whole


def test_model_greedy_roster_kept_when_the_solver_has_no_time_passes_the_checker():
    """With next to no time, every part still returns a roster keeping every hard rule (the greedy one)."""
    staff = pd.DataFrame(
        [
            {
                "staff_id": f"S{i:02d}",
                "name": f"N{i}",
                "grade": "Band 5",
                "skills": "RN" if i % 3 else "RN;NIC",
                "home_unit": "ABC"[i % 3],
                "float_pool": i == 1,
                "contract_hours_per_week": [37.5, 30][i % 2],
                "max_nights_per_4w": [None, 3, 0][i % 3],
            }
            for i in range(24)
        ]
    )
    req = pd.concat(
        [
            req_frame([(d, u, k, 2, 3) for d in range(28) for k in SHIFTS for u in "ABC"]),
            req_frame([(d, u, "early", 1, 1) for d in range(28) for u in "ABC"], skill="NIC"),
        ]
    )
    leave = pd.DataFrame(
        [{"staff_id": "S04", "from": dt.date(2025, 1, 10), "to": dt.date(2025, 1, 20), "kind": "sick"}]
    )
    roster = solve(staff, req, RosterRules(), 28, leave=leave, decompose=True, time_limit_s=0.05, workers=1)
    assert roster.status == "FEASIBLE"
    assert len(roster.assignments) > 100
    nights = roster.hours_by_staff.set_index("staff_id")["nights"]
    assert nights[[f"S{i:02d}" for i in range(2, 24, 3)]].eq(0).all()  # max_nights_per_4w = 0


def test_model_previous_roster_as_hint_is_never_made_worse():
    """Re-rostering from a previous roster with almost no time returns one at least as good."""
    staff = staff_frame(6)
    req = req_frame([(d, "W", k, 1, 2) for d in range(14) for k in SHIFTS])
    first = solve(staff, req, RosterRules(), 14, time_limit_s=2)
    again = solve(staff, req, RosterRules(), 14, time_limit_s=0.01, hint=first.assignments)
    assert again.objective <= first.objective + 1e-9


# --------------------------------------------------------------------------- history before day 1
def history_frame(rows: list[tuple[str, int, str]]) -> pd.DataFrame:
    """(staff_id, day offset before MON (-1 = the Sunday before), shift) -> history rows."""
    return pd.DataFrame([{"staff_id": s, "date": MON + dt.timedelta(days=d), "shift": k} for s, d, k in rows])


def test_model_history_night_before_day_one_forbids_an_early_on_day_one():
    """A night ending 07:30 on day 1 leaves no rest for that day's early (07:00) or late (14:00): min cover goes short."""
    req = req_frame([(0, "W", "early", 1, 1), (0, "W", "late", 1, 1)])
    hist = history_frame([("S0", -1, "night")])
    roster = solve(staff_frame(1), req, cover_only(), 1, history=hist)
    assert len(roster.assignments) == 0
    assert roster.cover["shortfall_min"].sum() == 2
    without = solve(staff_frame(1), req, cover_only(), 1)
    assert len(without.assignments) == 1
    # two days back: a late on the Saturday leaves > 11 h before Monday's early, so nothing is forbidden
    two_back = solve(staff_frame(1), req, cover_only(), 1, history=history_frame([("S0", -2, "late")]))
    assert len(two_back.assignments) == 1
    # the checker charges the same succession as a hard breach
    early = pd.DataFrame([{"staff_id": "S0", "date": MON, "shift": "early", "unit": "W", "skill": "RN"}])
    check = check_roster(
        early,
        validate_staff(staff_frame(1)),
        req,
        cover_only(),
        shift_clocks(SHIFTS),
        start_date=MON,
        days=1,
        history=hist,
    )
    assert check.hard == [
        "S0: night on 2025-01-05 then early on 2025-01-06 (less than 11 h rest or a forbidden succession)"
    ]


def test_model_history_forbidden_succession_across_day_one():
    """A listed forbidden succession (late -> early is fine by the clock at 9 h rest) also holds across day 1."""
    req = req_frame([(0, "W", "early", 1, 1)])
    rules = cover_only(rest={"min_rest_h": 9, "forbidden_successions": [["late", "early"]]})
    assert len(solve(staff_frame(1), req, rules, 1, history=history_frame([("S0", -1, "late")])).assignments) == 0
    assert (
        len(
            solve(
                staff_frame(1), req, cover_only(rest={"min_rest_h": 9}), 1, history=history_frame([("S0", -1, "late")])
            ).assignments
        )
        == 1
    )


def test_model_history_run_of_five_makes_day_one_cost():
    """Five days worked before day 1 with max 5 in a row: working day 1 costs one window (10), as the checker says."""
    req = req_frame([(0, "W", "early", 1, 1)])
    rules = cover_only(work_days=RunRule(max=5, weight=10))
    hist = history_frame([("S0", d, "early") for d in range(-5, 0)])
    roster = solve(staff_frame(1), req, rules, 1, history=hist)
    assert len(roster.assignments) == 1 and roster.objective == pytest.approx(10)
    assert roster.violations["rule"].tolist() == ["max_work_days"]
    assert solve(staff_frame(1), req, rules, 1).objective == 0
    # four days before: the run of 5 is allowed
    assert solve(staff_frame(1), req, rules, 1, history=hist.iloc[1:]).objective == 0


def test_model_history_short_runs_closed_on_day_one_are_judged():
    """One day off (day -1) after work, then work on day 1: a 1-day off run (min 2) costs 10; it is closed by the roster."""
    req = req_frame([(0, "W", "early", 1, 1)])
    rules = cover_only(days_off=RunRule(min=2, weight=10), cover={"target_weight": 0, "min_weight": 100})
    hist = history_frame([("S0", -3, "early"), ("S0", -2, "early")])
    roster = solve(staff_frame(1), req, rules, 2, history=hist)
    # day 1 worked (cover) then day 2 free: the 1-day off run on day -1 costs 10; min cover would cost 100
    assert roster.objective == pytest.approx(10) and roster.violations["rule"].tolist() == ["min_days_off"]


def test_model_checker_equals_objective_with_history():
    """Rich instance with a week of history for every member: no hard breach, checker total == objective."""
    staff = pd.DataFrame(
        [
            {
                "staff_id": f"S{i:02d}",
                "name": f"N{i}",
                "grade": "Band 5",
                "skills": "RN",
                "home_unit": "AB"[i % 2],
                "float_pool": i == 0,
                "contract_hours_per_week": [37.5, 30][i % 2],
                "max_nights_per_4w": [None, None, 4][i % 3],
            }
            for i in range(8)
        ]
    )
    req = req_frame([(d, u, k, 1, 2) for d in range(14) for k in SHIFTS for u in "AB"])
    pattern = ["early", "early", "late", None, "night", "night", "night"]
    hist = history_frame(
        [
            (f"S{i:02d}", d, pattern[(i + d) % 7])
            for i in range(8)
            for d in range(-7, 0)
            if pattern[(i + d) % 7] is not None
        ]
    )
    rules = RosterRules(shift_runs={"late": RunRule(min=2, max=3, weight=7)})
    roster = solve(staff, req, rules, 14, history=hist, time_limit_s=3, workers=2)
    assert roster.status in ("OPTIMAL", "FEASIBLE")
    check = check_roster(
        roster.assignments,
        validate_staff(staff),
        roster.cover[["date", "unit", "shift", "skill", "min", "target"]],
        rules,
        shift_clocks(SHIFTS),
        start_date=MON,
        days=14,
        history=hist,
    )
    assert check.hard == [] and check.penalty == pytest.approx(roster.objective)
    without = check_roster(
        roster.assignments,
        validate_staff(staff),
        roster.cover[["date", "unit", "shift", "skill", "min", "target"]],
        rules,
        shift_clocks(SHIFTS),
        start_date=MON,
        days=14,
    )
    assert without.penalty != pytest.approx(check.penalty)  # the history changed what the roster is charged
    decomposed = solve(staff, req, rules, 14, history=hist, time_limit_s=3, workers=2, decompose=True)
    assert decomposed.hard_breaches == []
    # with next to no time the greedy roster is kept: it too keeps rest and night caps across day 1
    greedy = solve(staff, req, rules, 14, history=hist, time_limit_s=0.01, workers=1, decompose=True)
    assert greedy.status == "FEASIBLE" and len(greedy.assignments) > 0


def test_model_history_rows_are_checked():
    """History on or after day 1, an unknown shift and two shifts a day are errors; unknown staff are noted."""
    with pytest.raises(RosterInputError) as err:
        solve(
            staff_frame(1),
            req_frame([(0, "W", "early", 1, 1)]),
            cover_only(),
            1,
            history=pd.DataFrame(
                [
                    {"staff_id": "S0", "date": MON, "shift": "early"},
                    {"staff_id": "S0", "date": MON - dt.timedelta(days=1), "shift": "twilight"},
                    {"staff_id": "S0", "date": MON - dt.timedelta(days=2), "shift": "early"},
                    {"staff_id": "S0", "date": MON - dt.timedelta(days=2), "shift": "late"},
                ]
            ),
        )
    text = str(err.value)
    assert "history row 1: date: 2025-01-06 is not before the roster's first day" in text
    assert "history row 2: shift: unknown shift 'twilight'" in text
    assert "history row 4: date: S0 has two shifts on 2025-01-04 (first in row 3)" in text
    roster = solve(
        staff_frame(1),
        req_frame([(0, "W", "early", 1, 1)]),
        cover_only(),
        1,
        history=history_frame([("X9", -1, "night")]),
    )
    assert any("1 history rows of staff not in the staff table were not used (X9)" in n for n in roster.notes)
    assert len(roster.assignments) == 1


# --------------------------------------------------------------------------- real clock times across summer time
def test_model_rest_across_the_start_of_summer_time_is_an_hour_shorter():
    """A late ending 20:00 then an early at 07:00 is 11 h rest, except into Sunday 30 March 2025 (BST starts at 01:00):
    10 h, so one nurse cannot work both then, while the week before she can. The checker charges the same."""
    shifts = {"early": ("07:00", "15:00"), "late": ("12:00", "20:00")}
    sat = dt.date(2025, 3, 29)
    for first, expect in ((sat - dt.timedelta(days=7), 2), (sat, 1)):
        req = pd.DataFrame(
            [
                {"date": first, "unit": "W", "shift": "late", "skill": "RN", "min": 1, "target": 1},
                {
                    "date": first + dt.timedelta(days=1),
                    "unit": "W",
                    "shift": "early",
                    "skill": "RN",
                    "min": 1,
                    "target": 1,
                },
            ]
        )
        roster = build_roster(
            staff_frame(1), req, cover_only(), start_date=first, days=2, shifts=shifts, time_limit_s=5, workers=1
        )
        assert roster.hard_breaches == [] and len(roster.assignments) == expect, first
        both = pd.DataFrame(
            [
                {"staff_id": "S0", "date": first, "shift": "late", "unit": "W", "skill": "RN"},
                {"staff_id": "S0", "date": first + dt.timedelta(days=1), "shift": "early", "unit": "W", "skill": "RN"},
            ]
        )
        check = check_roster(
            both, validate_staff(staff_frame(1)), req, cover_only(), shift_clocks(shifts), start_date=first, days=2
        )
        assert len(check.hard) == 2 - expect, first
    # a member in a zone without summer time keeps the 11 h
    utc = build_roster(
        staff_frame(1, time_zone="UTC"),
        req,
        cover_only(),
        start_date=sat,
        days=2,
        shifts=shifts,
        time_limit_s=5,
        workers=1,
    )
    assert len(utc.assignments) == 2


def test_model_contract_hours_count_the_longer_night_as_summer_time_ends():
    """Contract 0 h, no tolerance, 1 point per hour over: the night (21:30-07:30, 10 h by the clock) of Saturday 25
    October 2025, when BST ends, lasts 11 h and costs 11 points, as its exported start and end say."""
    req = pd.DataFrame(
        [{"date": dt.date(2025, 10, 25), "unit": "W", "shift": "night", "skill": "RN", "min": 1, "target": 1}]
    )
    roster = build_roster(
        staff_frame(1, hours=0),
        req,
        cover_only(contract_hours=OVERTIME_ONLY),
        start_date=dt.date(2025, 10, 25),
        days=1,
        shifts=SHIFTS,
        time_limit_s=5,
        workers=1,
    )
    assert len(roster.assignments) == 1 and roster.objective == pytest.approx(11)
    a = roster.assignments.iloc[0]
    assert (a["end"].astimezone(dt.UTC) - a["start"].astimezone(dt.UTC)).total_seconds() / 3600 == 11
    assert roster.hours_by_staff["rostered_h"].tolist() == [11]
    week_before = build_roster(
        staff_frame(1, hours=0),
        req.assign(date=dt.date(2025, 10, 18)),
        cover_only(contract_hours=OVERTIME_ONLY),
        start_date=dt.date(2025, 10, 18),
        days=1,
        shifts=SHIFTS,
        time_limit_s=5,
        workers=1,
    )
    assert week_before.objective == pytest.approx(10)


def test_model_history_nights_count_towards_the_night_cap():
    """Cap 4 nights in 28 days; 3 weeks of history with 4 nights leave none for the week, 3 nights leave one."""
    req = req_frame([(d, "W", "night", 1, 1) for d in range(7)])
    rules = cover_only()
    staff = staff_frame(1, max_nights_per_4w=4)
    four = history_frame([("S0", d, "night") for d in (-21, -20, -12, -11)])
    assert len(solve(staff, req, rules, 7, history=four).assignments) == 0
    assert len(solve(staff, req, rules, 7, history=four.iloc[1:]).assignments) == 1
    # the same window in the checker: a night on day 1 after 4 in the history breaks the cap
    one = pd.DataFrame([{"staff_id": "S0", "date": MON, "shift": "night", "unit": "W", "skill": "RN"}])
    check = check_roster(
        one, validate_staff(staff), req, rules, shift_clocks(SHIFTS), start_date=MON, days=7, history=four
    )
    assert check.hard == ["S0: 5 nights in 28 days from 2024-12-16 (max 4)"]
    assert (
        check_roster(
            one, validate_staff(staff), req, rules, shift_clocks(SHIFTS), start_date=MON, days=7, history=four.iloc[1:]
        ).hard
        == []
    )


def _one_team_and_a_float(team: int) -> pd.DataFrame:
    """``team`` nurses of unit W (36 h: 3 twelve-hour days a week) and one float-pool nurse of another unit."""
    staff = staff_frame(team + 1, hours=36.0)
    staff.loc[team, ["staff_id", "home_unit", "float_pool"]] = ["F0", "V", True]
    return staff


def test_model_float_pool_not_sent_to_a_unit_its_team_already_covers():
    """Three W nurses give 9 shifts for 7 needed: the float nurse (solved after the team) works none there,
    even with a contract of 3 shifts to fill; a roster of W alone does not take another unit's float pool."""
    req = req_frame([(d, "W", "day", 1, 1) for d in range(7)])
    rules = cover_only(contract_hours={"tolerance_h": 0, "under_weight_per_h": 100, "over_weight_per_h": 100})
    roster = solve(_one_team_and_a_float(3), req, rules, 7, shifts={"day": ("07:00", "19:00")}, decompose=True)
    a = roster.assignments
    assert len(a[a["staff_id"] == "F0"]) == 0
    assert len(a) == 9 and roster.cover["shortfall_target"].sum() == 0


def test_model_float_pool_still_covers_what_the_team_leaves_short():
    """One W nurse gives 3 of 7 shifts: the float nurse covers 3 more (its contract), one day stays short."""
    req = req_frame([(d, "W", "day", 1, 1) for d in range(7)])
    rules = cover_only(contract_hours={"tolerance_h": 0, "under_weight_per_h": 100, "over_weight_per_h": 100})
    roster = solve(_one_team_and_a_float(1), req, rules, 7, shifts={"day": ("07:00", "19:00")}, decompose=True)
    a = roster.assignments
    assert len(a[a["staff_id"] == "F0"]) == 3
    assert roster.cover["shortfall_target"].sum() == 1
