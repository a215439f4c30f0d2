"""The closed loop: levels -> roster -> dated staffing in the scenario -> before/after under common random numbers."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from hospital_twin.experiment.runner import run_scenario
from hospital_twin.scenario.schema import Scenario
from hospital_twin.staffing import levels as S
from hospital_twin.staffing import loop as L

SHIFTS = {"day": {"start": "08:00", "end": "20:30"}, "night": {"start": "20:30", "end": "08:00"}}


def ward(policy: str = "count_breaches", **extra) -> Scenario:
    data = {
        "name": "loop-ward",
        "start": "2025-01-06T00:00:00",
        "horizon_days": 56,
        "warmup_days": 14,
        "replications": 3,
        "seed": 8,
        "units": {"W": {"beds": 22}},
        "arrivals": [{"name": "a", "unit": "W", "per_day": 3.0, "day_of_week": [1.3, 1.1, 1.0, 1.0, 1.0, 0.8, 0.8]}],
        "length_of_stay": {"W": {"distribution": "gamma", "mean_hours": 96, "cv": 0.8}},
        "shifts": SHIFTS,
        "staffing": {"policy": policy, "units": {"W": {"patients_per_nurse": 4, "nurses": {"day": 3, "night": 3}}}},
    }
    data.update(extra)
    return Scenario.model_validate(data)


def staff_table(n: int = 30) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_id": [f"S{i:02d}" for i in range(n)],
            "name": [f"Nurse {i}" for i in range(n)],
            "skills": ["RN;NIC" if i < 8 else "RN" for i in range(n)],
            "home_unit": "W",
            "float_pool": False,
            "contract_hours_per_week": [37.5 if i % 3 else 25.0 for i in range(n)],
        }
    )


@pytest.fixture(scope="module")
def loop():
    settings = L.LoopSettings(
        weeks=1, replications=3, roster_time_limit_s=8, skill_mix=S.SkillMix("RN", in_charge={"NIC": 1})
    )
    return L.closed_loop(ward(), staff_table(20), settings)


@pytest.mark.slow
def test_loop_requirements_roster_and_feedback_cover_the_period(loop):
    """Requirements, roster and fed-back staffing cover every date and shift of the week after the warm-up."""
    start = dt.date(2025, 1, 20)  # first Monday after the 14-day warm-up
    req = loop.requirements
    assert list(req.columns) == S.REQUIREMENT_COLUMNS
    assert set(req["date"]) == {start + dt.timedelta(days=i) for i in range(7)}
    assert set(req["skill"]) == {"RN", "NIC"}
    assert (req["min"] <= req["target"]).all()
    assert len(loop.rostered) == 7 * 2
    entries = loop.scenario_after.staffing.roster
    assert len(entries) == 14 and {e.date for e in entries} == set(req["date"])
    a = loop.roster.assignments
    counted = a[a["skill"].isin({"RN", "NIC"})].groupby(["date", "shift"]).size()
    fed = {(e.date, e.shift): e.nurses for e in entries}
    assert all(fed[k] == v for k, v in counted.items())
    assert sum(fed.values()) == int(counted.sum())
    assert loop.scenario_before.warmup_h == 14 * 24 and loop.scenario_before.horizon_days == 7


@pytest.mark.slow
def test_loop_before_after_reports_paired_kpis_and_nurse_hours(loop):
    """before_after pairs the two runs per replication; nurse-hours are the pattern's and the roster's hours."""
    assert set(loop.before_after["scenario"]) == {loop.scenario_after.name, loop.scenario_levels.name}
    ba = loop.before_after[loop.before_after["scenario"] == loop.scenario_after.name].set_index(["metric", "unit"])
    for key in [
        ("ratio_breach_hours", "W"),
        ("ratio_breach_hours", "ALL"),
        ("nurse_hours", "W"),
        ("waited_share", "W"),
        ("wait_for_bed_mean_h", "W"),
    ]:
        assert key in ba.index, key
    assert (ba["n_reps"] == 3).all()
    before_h = 7 * (3 * 12.5 + 3 * 11.5)
    assert ba.loc[("nurse_hours", "W"), "baseline_mean"] == pytest.approx(before_h)
    # the window is the week's calendar days: Sunday 19th's night (pattern, 3 nurses) gives its last 8 h,
    # the last rostered night (Sunday 26th) only its first 3.5 h
    entries = loop.scenario_after.staffing.roster
    last_night = next(e.nurses for e in entries if e.date == dt.date(2025, 1, 26) and e.shift == "night")
    rostered_h = sum(e.nurses * (12.5 if e.shift == "day" else 11.5) for e in entries) + 3 * 8 - last_night * 8
    assert ba.loc[("nurse_hours", "W"), "scenario_mean"] == pytest.approx(rostered_h)
    # count_breaches: the patients are the same under common random numbers, only the staffed level differs
    k = loop.kpis
    occ = k[(k["metric"] == "occupancy_mean") & (k["unit"] == "W")].pivot(
        index="rep", columns="scenario", values="value"
    )
    assert occ.shape[1] == 3 and np.allclose(occ.to_numpy(), occ.iloc[:, [0]].to_numpy())
    # the target levels fed back directly cost exactly the planned nurse-hours over the week's shifts
    lv = loop.before_after[loop.before_after["scenario"] == loop.scenario_levels.name].set_index(["metric", "unit"])
    sunday_night = int(loop.levels.levels.query("shift == 'night' and weekday == 6")["target"].iloc[0])
    planned = loop.levels.cost_h["target"] + 3 * 8 - sunday_night * 8
    assert lv.loc[("nurse_hours", "W"), "scenario_mean"] == pytest.approx(planned)


def test_loop_more_rostered_nurses_never_increase_breach_hours():
    """Metamorphic, common random numbers: adding nurses to any dated shifts never adds ratio-breach hours."""
    period = L.period_scenario(ward(), dt.date(2025, 1, 20), 2)
    rng = np.random.default_rng(4)
    base = L.roster_entries(
        pd.DataFrame(columns=["date", "shift", "unit", "skill"]),
        ["W"],
        ["day", "night"],
        dt.date(2025, 1, 20),
        14,
        {"RN"},
    )
    base["nurses"] = rng.integers(1, 5, len(base))
    more = base.assign(nurses=base["nurses"] + rng.integers(0, 3, len(base)))
    assert (more["nurses"] > base["nurses"]).any()

    def breach(entries):
        res = run_scenario(L.with_roster(period, entries), replications=3, keep_census=False, keep_log=False)
        k = res.kpis
        return k[(k["metric"] == "ratio_breach_hours") & (k["unit"] == "W")].set_index("rep")["value"]

    b, m = breach(base), breach(more)
    assert (m <= b + 1e-9).all()
    assert (m < b).any()


def test_nurse_hours_counts_shift_hours_inside_the_window():
    """One week from Monday 00:00: 7 x (3 x 12.5 + 3 x 11.5) h; Sunday's night at 5 adds 2 x 8 h before 08:00 Monday."""
    period = L.period_scenario(ward(), dt.date(2025, 1, 20), 1)
    assert L.nurse_hours(period) == {"W": pytest.approx(7 * (3 * 12.5 + 3 * 11.5))}
    sunday = pd.DataFrame({"date": [dt.date(2025, 1, 19)], "shift": ["night"], "unit": ["W"], "nurses": [5]})
    assert L.nurse_hours(L.with_roster(period, sunday)) == {"W": pytest.approx(7 * (3 * 12.5 + 3 * 11.5) + 2 * 8.0)}


def test_period_scenario_keeps_a_full_warmup():
    """A period after the warm-up lengthens it; an earlier one moves the clock origin back by the warm-up."""
    late = L.period_scenario(ward(), dt.date(2025, 2, 3), 4)
    assert late.start == dt.datetime(2025, 1, 6) and late.warmup_days == 28 and late.horizon_days == 28
    early = L.period_scenario(ward(), dt.date(2025, 1, 6), 4)
    assert early.start == dt.datetime(2024, 12, 23) and early.warmup_days == 14
    assert L.default_period_start(ward()) == dt.date(2025, 1, 20)


def test_roster_entries_count_ratio_skills_and_fill_zeros():
    """HCAs do not count towards the ratio; a shift nobody works is fed back as 0 nurses, not left to the pattern."""
    a = pd.DataFrame(
        {"date": [dt.date(2025, 1, 6)] * 3, "shift": ["day"] * 3, "unit": ["W"] * 3, "skill": ["RN", "NIC", "HCA"]}
    )
    e = L.roster_entries(a, ["W"], ["day", "night"], dt.date(2025, 1, 6), 2, {"RN", "NIC"})
    assert e.set_index(["date", "shift"])["nurses"].to_dict() == {
        (dt.date(2025, 1, 6), "day"): 2,
        (dt.date(2025, 1, 6), "night"): 0,
        (dt.date(2025, 1, 7), "day"): 0,
        (dt.date(2025, 1, 7), "night"): 0,
    }


def test_plan_levels_uses_unconstrained_demand_under_cap_admissions():
    """With cap_admissions, demand is planned without the staffed-bed cap: the same levels as count_breaches."""
    capped = L.period_scenario(ward("cap_admissions"), dt.date(2025, 1, 20), 2)
    free = L.period_scenario(ward(), dt.date(2025, 1, 20), 2)
    a = L.plan_levels(capped, replications=2, seed=1).levels
    b = L.plan_levels(free, replications=2, seed=1).levels
    pd.testing.assert_frame_equal(a, b)


def test_plan_levels_scores_the_levels_on_independent_replications():
    """Out of sample: fresh replications on their own seed, as many as planned by default; 0 skips them."""
    free = L.period_scenario(ward(), dt.date(2025, 1, 20), 1)
    lv = L.plan_levels(free, replications=2, seed=1)
    assert lv.out_of_sample["replications"] == 2 and lv.out_of_sample["seed"] == L.evaluation_seed(1) != 1
    fresh = run_scenario(
        free.model_copy(update={"staffing": free.staffing.model_copy(update={"policy": "count_breaches"})}),
        replications=2,
        seed=L.evaluation_seed(1),
        keep_log=False,
    )
    expected = S.coverage(
        lv.levels.rename(columns={"target": "nurses"}), S.need_samples(free, S.workload(free, fresh.census))
    )
    got = lv.met("out", "target", "pool")
    assert (
        got["covered"].tolist() == expected["covered"].tolist() and got["hours"].tolist() == expected["hours"].tolist()
    )
    assert L.plan_levels(free, replications=2, seed=1, eval_replications=0).out_of_sample is None
    with pytest.raises(ValueError, match="differ"):
        L.plan_levels(free, replications=2, seed=1, eval_seed=1)


@pytest.mark.slow
def test_cli_staff_runs_the_loop_and_writes_exports(tmp_path, capsys):
    """`hospital-twin staff` writes requirements, the roster exports, before_after.csv and a loadable rostered scenario."""
    from hospital_twin.cli import main
    from hospital_twin.scenario import dump_scenario, load_scenario

    scn_file = tmp_path / "ward.yaml"
    scn_file.write_text(dump_scenario(ward()))
    staff_file = tmp_path / "staff.csv"
    staff_table(20).assign(grade="Band 5").to_csv(staff_file, index=False)
    out = tmp_path / "loop"
    assert (
        main(
            [
                "staff",
                str(scn_file),
                "--staff",
                str(staff_file),
                "--weeks",
                "1",
                "--replications",
                "2",
                "--plan-replications",
                "3",
                "--time-limit",
                "8",
                "--in-charge",
                "NIC=1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    run = json.loads((out / "run.json").read_text())
    assert (run["replications"], run["planning_replications"], run["planning_seed"]) == (2, 3, 9)
    oos = run["levels_out_of_sample"]
    assert oos["replications"] == 3 and oos["seed"] not in (8, 9) and 0 < oos["met_pooled"]["target"] <= 1
    for name in (
        "requirements.csv",
        "levels.csv",
        "before_after.csv",
        "kpis.csv",
        "rostered_nurses.csv",
        "run.json",
        "scenario_rostered.yaml",
        "scenario_before.yaml",
        "roster/roster.csv",
        "roster/roster.xlsx",
    ):
        assert (out / name).exists(), name
    assert list((out / "roster" / "ics").glob("*.ics"))
    rostered = load_scenario(out / "scenario_rostered.yaml")
    fed = pd.read_csv(out / "rostered_nurses.csv", parse_dates=["date"])
    assert len(rostered.staffing.roster) == len(fed) == 14
    assert len(load_scenario(out / "scenario_levels.yaml").staffing.roster) == 14
    assert sum(e.nurses for e in rostered.staffing.roster) == fed["nurses"].sum()
    ba = pd.read_csv(out / "before_after.csv")
    assert {"ratio_breach_hours", "nurse_hours"} <= set(ba["metric"])
    printed = capsys.readouterr().out
    assert "ratio_breach_hours" in printed and "nurse_hours" in printed and "common random numbers" in printed
    assert "met out" in printed
    bad = tmp_path / "bad_staff.csv"
    bad.write_text("staff_id,name,skills,home_unit,contract_hours_per_week\nS1,A,RN,W,-5\n")
    assert main(["staff", str(scn_file), "--staff", str(bad), "--weeks", "1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "bad_staff.csv" in err and "contract_hours_per_week" in err


def test_roster_for_plan_of_one_unit_leaves_a_covered_unit_to_its_team():
    """An ICU-like roster of unit W (one nurse a day shift, three 36 h nurses of W: 9 shifts for 7) does not take
    the float-pool nurse of unit V onto W's covered shifts to fill the float's contract (it took 3 before)."""
    from types import SimpleNamespace

    from hospital_twin.roster.staff import validate_staff

    levels = pd.DataFrame(
        [{"unit": u, "shift": "day", "weekday": wd, "min": 1, "target": 1} for u in ("W", "V") for wd in range(7)]
    )
    start = dt.date(2025, 1, 6)
    scn = ward().model_copy(update={"shifts": {"day": SimpleNamespace(start="07:00", end="19:00")}})
    plan = SimpleNamespace(
        levels=SimpleNamespace(levels=levels), start_date=start, weeks=1, skill_mix=S.SkillMix(), scenario=scn
    )
    staff = validate_staff(
        pd.DataFrame(
            [
                {"staff_id": sid, "skills": "RN", "home_unit": home, "float_pool": fl, "contract_hours_per_week": 36.0}
                for sid, home, fl in (("W0", "W", False), ("W1", "W", False), ("W2", "W", False), ("F0", "V", True))
            ]
        )
    )
    roster, req = L.roster_for_plan(plan, staff, units=["W"], time_limit_s=5, workers=1)
    assert set(req["unit"]) == {"W"}
    a = roster.assignments
    assert (a["staff_id"] == "F0").sum() == 0
    assert roster.cover["shortfall_target"].sum() == 0
