"""Staffing levels: the SAA against the Poisson census of M/G/inf, against the quantile rule, out of sample."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hospital_twin.experiment.runner import run_scenario
from hospital_twin.scenario.schema import Scenario
from hospital_twin.staffing import levels as S

TWO_SHIFTS = {"day": {"start": "07:30", "end": "20:00"}, "night": {"start": "20:00", "end": "07:30"}}


def poisson_samples(
    mean: float, ratio: float, strata: list[tuple[str, str, int]], scale: int = 1_000_000
) -> pd.DataFrame:
    """Hour-samples whose census follows Poisson(mean) to within 1e-4 in every stratum (counts = pmf x scale)."""
    k = np.arange(0, int(mean * 4) + 20)
    counts = np.floor(stats.poisson.pmf(k, mean) * scale).astype(int)
    need = np.ceil(k / ratio - 1e-9).astype(int)
    rows = []
    for unit, shift, wd in strata:
        df = pd.DataFrame({"need": need, "count": counts}).groupby("need", as_index=False)["count"].sum()
        df = df[df["count"] > 0]
        rows.append(df.assign(unit=unit, shift=shift, weekday=wd))
    return pd.concat(rows, ignore_index=True)[["unit", "shift", "weekday", "need", "count"]]


@pytest.mark.parametrize("mean, ratio, level", [(20, 1, 0.95), (20, 4, 0.95), (12, 5, 0.95), (25, 6, 0.9), (8, 2, 0.8)])
def test_saa_poisson_census_needs_the_quantile_over_the_ratio(mean, ratio, level):
    """M/G/inf census is Poisson(lambda E[S]): the SAA needs ceil(Poisson quantile / ratio) nurses, exactly."""
    expected = math.ceil(stats.poisson.ppf(level, mean) / ratio)
    strata = [("W", "day", d) for d in range(7)]
    samples = poisson_samples(mean, ratio, strata)
    for pool in ("stratum", "shift", "unit"):
        one = samples[samples["weekday"] == 0] if pool != "stratum" else samples
        got = S.saa_levels(one, {"day": 12.0}, level, pool=pool)
        assert set(got["nurses"]) == {expected}, pool
    rule = S.quantile_levels(samples, level)
    assert set(rule["nurses"]) == {expected}


def mginf_scenario(**extra) -> Scenario:
    data = {
        "name": "mginf",
        "start": "2025-01-06T00:00:00",
        "horizon_days": 280,
        "warmup_days": 30,
        "replications": 4,
        "seed": 5,
        "units": {"W": {"beds": 200}},
        "arrivals": [{"name": "a", "unit": "W", "per_day": 2.4}],
        "length_of_stay": {"W": {"distribution": "lognormal", "mean_hours": 120, "cv": 1.0}},
        "shifts": TWO_SHIFTS,
        "staffing": {"units": {"W": {"patients_per_nurse": 5, "nurses": {"day": 3, "night": 3}}}},
    }
    data.update(extra)
    return Scenario.model_validate(data)


def test_saa_simulated_mginf_ward_needs_the_poisson_quantile():
    """Simulated ward that is never full (census Poisson(2.4/day x 5 d = 12)): 4 nurses at 1:5 in every stratum."""
    scn = mginf_scenario()
    res = run_scenario(scn, keep_log=False)
    load = S.workload(scn, res.census)
    assert load["workload"].mean() == pytest.approx(12, rel=0.1)
    lv = S.staffing_levels(scn, load, pool="stratum")
    assert set(lv.levels["target"]) == {math.ceil(stats.poisson.ppf(0.95, 12) / 5)}


def weekly_scenario(seed: int = 3, replications: int = 8) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "weekly",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 84,
            "warmup_days": 14,
            "replications": replications,
            "seed": seed,
            "units": {"A": {"beds": 60}, "B": {"beds": 40}},
            "arrivals": [
                {
                    "name": "a",
                    "unit": "A",
                    "per_day": 6,
                    "day_of_week": [1.6, 1.3, 1.0, 1.0, 0.9, 0.6, 0.6],
                    "hour_of_day": [0.3] * 8 + [1.5] * 12 + [0.8] * 4,
                },
                {"name": "b", "unit": "B", "per_day": 8},
            ],
            "length_of_stay": {
                "A": {"distribution": "gamma", "mean_hours": 72, "cv": 0.8},
                "B": {"distribution": "exponential", "mean_hours": 48},
            },
            "shifts": TWO_SHIFTS,
            "staffing": {
                "units": {
                    "A": {"patients_per_nurse": 4, "nurses": {"day": 5, "night": 5}},
                    "B": {"patients_per_nurse": 6, "nurses": {"day": 3, "night": 3}},
                }
            },
        }
    )


@pytest.fixture(scope="module")
def weekly_samples():
    scn = weekly_scenario()
    res = run_scenario(scn, keep_log=False)
    return scn, S.need_samples(scn, S.workload(scn, res.census))


@pytest.mark.parametrize("pool", ["stratum", "shift", "unit"])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_saa_never_costs_more_than_the_rule_and_meets_the_level(weekly_samples, pool, level):
    """In-sample: the SAA meets the level in every pool and the floor in every stratum, at no more nurse-hours than the rule."""
    scn, samples = weekly_samples
    cost = S.shift_hours(scn)
    saa = S.saa_levels(samples, cost, level, pool=pool, stratum_floor=0.8)
    rule = S.quantile_levels(samples, level)
    assert S.level_cost_h(saa, cost) <= S.level_cost_h(rule, cost) + 1e-9
    cov = S.coverage(saa, samples, by=S.POOLS[pool])
    assert (cov["service_level"] >= level - 1e-12).all()
    per_stratum = S.coverage(saa, samples, by=("unit", "shift", "weekday"))
    assert (per_stratum["service_level"] >= 0.8 - 1e-12).all()
    assert all(v["status"] == "OPTIMAL" for v in saa.attrs["status"].values())
    if pool == "stratum":
        pd.testing.assert_frame_equal(saa.reset_index(drop=True), rule.reset_index(drop=True))


def test_saa_pooling_saves_on_a_weekly_pattern(weekly_samples):
    """Pooling a shift's hours over the week lets busy and quiet days share the service level: strictly cheaper here."""
    scn, samples = weekly_samples
    cost = S.shift_hours(scn)
    pooled = S.level_cost_h(S.saa_levels(samples, cost, 0.95, pool="unit"), cost)
    rule = S.level_cost_h(S.quantile_levels(samples, 0.95), cost)
    assert pooled < rule


PLAN_REPS, EVAL_REPS = 8, 16


@pytest.fixture(scope="module")
def out_of_sample():
    """Target levels planned on 8 replications (seed 3), evaluated on 16 fresh ones (seed 99: independent streams)."""
    plan = weekly_scenario(seed=3, replications=PLAN_REPS)
    lv = S.staffing_levels(plan, S.workload(plan, run_scenario(plan, keep_log=False).census), pool="shift")
    fresh = weekly_scenario(seed=99, replications=EVAL_REPS)
    fresh_samples = S.need_samples(fresh, S.workload(fresh, run_scenario(fresh, keep_log=False).census))
    return plan, S.with_out_of_sample(lv, fresh_samples, replications=EVAL_REPS, seed=99), fresh_samples


def independent_blocks(scn: Scenario, unit: str, replications: int) -> int:
    """Independent samples behind one unit's hourly shares: blocks of the census's integrated autocorrelation time.

    The census of an M/G/inf unit has autocorrelation P(S_e > h) (S_e: the equilibrium excess
    of the stay), so its integrated autocorrelation time is 2 E[S_e] = E[S](1 + cv^2) hours
    (A: 72 x 1.64 = 118 h, B: 48 x 2 = 96 h). The ratio-met indicator is a function of the
    near-Gaussian census, so its correlation is no larger (Gebelein's inequality): one block of
    that length per replication-window is one independent sample, conservatively.
    """
    los = scn.length_of_stay[unit]
    cv = 1.0 if los.distribution == "exponential" else los.cv
    tau_h = los.mean_hours * (1 + cv**2)
    window_h = scn.end_h - scn.warmup_h
    return replications * math.floor(window_h / tau_h)


def binomial_shortfall_bound(target: float, n_plan: int, n_eval: int, alpha: float = 0.005) -> float:
    """How far below ``target`` an out-of-sample share may fall by chance, one-sided at ``alpha``.

    The levels meet ``target`` on ``n_plan`` independent planning samples and are scored on
    ``n_eval`` fresh ones; the difference of the two shares has the variance of one share of
    ``n = 1 / (1/n_plan + 1/n_eval)`` samples. The bound is ``target`` minus the exact lower
    ``alpha`` quantile of Binomial(n, target) over n.
    """
    n = math.floor(1 / (1 / n_plan + 1 / n_eval))
    return target - stats.binom.ppf(alpha, n, target) / n


def pool_shortfalls(plan: Scenario, met: pd.DataFrame, target: float) -> pd.DataFrame:
    met = met.copy()
    met["bound"] = [
        binomial_shortfall_bound(target, independent_blocks(plan, u, PLAN_REPS), independent_blocks(plan, u, EVAL_REPS))
        for u in met["unit"]
    ]
    met["floor"] = target - met["bound"]
    return met


def test_saa_service_level_holds_out_of_sample(out_of_sample):
    """Fresh replications: every unit-and-shift pool meets 95% less an exact binomial bound (one-sided, alpha 0.5%)."""
    plan, lv, _ = out_of_sample
    met = pool_shortfalls(plan, lv.met("out", "target", "pool"), 0.95)
    assert len(met) == 4 and (met["hours"] == EVAL_REPS * 84 * 12).all()
    assert (met["bound"] < 0.08).all(), met  # the test has power: a bound of a few points, not tens
    assert (met["service_level"] >= met["floor"]).all(), met
    assert lv.out_of_sample["replications"] == EVAL_REPS and lv.out_of_sample["hours"] == EVAL_REPS * 4 * 84 * 12


def test_out_of_sample_check_fails_one_nurse_lower(out_of_sample):
    """The same check rejects the target levels less one nurse in every stratum (which breaks 95% in sample too)."""
    plan, lv, fresh = out_of_sample
    lower = lv.levels.assign(target=(lv.levels["target"] - 1).clip(lower=0))
    in_sample = S.need_samples(plan, S.workload(plan, run_scenario(plan, keep_log=False).census))
    assert (S.coverage(lower.rename(columns={"target": "nurses"}), in_sample)["service_level"] < 0.95).all()
    met = pool_shortfalls(
        plan, S.evaluate_levels(lower, fresh, "shift", "out", ("target",)).query("scope == 'pool'"), 0.95
    )
    assert (met["service_level"] < met["floor"]).all(), met


def test_out_of_sample_reported_pooled_and_per_stratum(out_of_sample):
    """Out-of-sample rows exist for every level set, pooled and for each of the 28 strata; the hours add up."""
    _, lv, fresh = out_of_sample
    for col in S.LEVEL_SETS:
        per = lv.met("out", col, "stratum")
        assert len(per) == 28 and per["hours"].sum() == fresh["count"].sum()
        pooled = lv.met("out", col, "pool")
        assert pooled["covered"].sum() == per["covered"].sum()
    assert lv.out_of_sample["met_pooled"]["target"] == pytest.approx(lv.pooled_share("out"))
    assert len(lv.met("in", "target", "stratum")) == 28


def test_same_promise_rule_keeps_the_saa_promise_and_costs_between(weekly_samples):
    """The rule with the SAA's promise meets 95% per pool and 80% per stratum; rule at 80% <= SAA <= it <= rule at 95%."""
    scn, samples = weekly_samples
    cost = S.shift_hours(scn)
    same = S.same_promise_levels(samples, 0.95, 0.8, "shift")
    assert (S.coverage(same, samples, by=("unit", "shift"))["service_level"] >= 0.95).all()
    assert (S.coverage(same, samples, by=("unit", "shift", "weekday"))["service_level"] >= 0.8).all()
    assert all(0.8 <= q <= 0.95 for q in same.attrs["q"].values())
    saa = S.saa_levels(samples, cost, 0.95, pool="shift", stratum_floor=0.8)
    costs = [
        S.level_cost_h(x, cost) for x in (S.quantile_levels(samples, 0.8), saa, same, S.quantile_levels(samples, 0.95))
    ]
    assert costs == sorted(costs), costs
    pd.testing.assert_frame_equal(
        S.same_promise_levels(samples, 0.95, 0.8, "stratum").reset_index(drop=True),
        S.quantile_levels(samples, 0.95).reset_index(drop=True),
    )


def test_staffing_levels_min_within_target_and_meets_min_in_every_stratum(weekly_samples):
    """min <= target in every stratum; min meets 80% of each stratum's hours; costs are reported per week."""
    scn, _ = weekly_samples
    load = S.workload(scn, run_scenario(scn, keep_log=False).census)
    lv = S.staffing_levels(scn, load, service_level=0.95, min_level=0.8)
    assert (lv.levels["min"] <= lv.levels["target"]).all()
    samples = S.need_samples(scn, load)
    per = S.coverage(lv.levels.rename(columns={"min": "nurses"}), samples, by=("unit", "shift", "weekday"))
    assert (per["service_level"] >= 0.8).all()
    assert lv.cost_h["target"] <= lv.cost_h["rule_target"]
    assert lv.cost_h["target"] == pytest.approx(float((lv.levels["target"] * lv.levels["shift_h"]).sum()))
    assert len(lv.levels) == 2 * 2 * 7


def test_shift_of_hours_assigns_boundaries_and_night_dates():
    """07:30/20:00 shifts from Monday 00:00: hour 0 is Sunday's night, 7 still night, 8 day, 20 Monday's night."""
    scn = weekly_scenario()
    sh = S.shift_of_hours(scn, np.array([0.0, 7.0, 7.5, 8.0, 19.0, 20.0, 23.0, 24.0 * 6 + 21]))
    assert sh["shift"].tolist() == ["night", "night", "day", "day", "day", "night", "night", "night"]
    assert [str(d) for d in sh["shift_date"]] == [
        "2025-01-05",
        "2025-01-05",
        "2025-01-06",
        "2025-01-06",
        "2025-01-06",
        "2025-01-06",
        "2025-01-06",
        "2025-01-12",
    ]
    assert sh["weekday"].tolist() == [6, 6, 0, 0, 0, 0, 0, 6]
    assert S.shift_hours(scn) == {"day": 12.5, "night": 11.5}


def test_workload_weights_patients_by_class_acuity():
    """Hand trace: a class-1 patient (acuity 1) 08:00-18:00 and a class-2 patient (acuity 2.5) 10:00-14:00."""
    fixed = lambda h: {"distribution": "fixed", "value_hours": h}  # noqa: E731
    scn = Scenario.model_validate(
        {
            "name": "acuity",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 1,
            "replications": 1,
            "seed": 1,
            "units": {"A": {"beds": 5}},
            "electives": [
                {"name": "e1", "unit": "A", "per_weekday": [1, 0, 0, 0, 0, 0, 0], "hour": 8, "patient_class": "light"},
                {"name": "e2", "unit": "A", "per_weekday": [1, 0, 0, 0, 0, 0, 0], "hour": 10, "patient_class": "heavy"},
            ],
            "patient_classes": {
                "light": {"length_of_stay": {"A": fixed(10)}},
                "heavy": {"acuity": 2.5, "length_of_stay": {"A": fixed(4)}},
            },
            "shifts": TWO_SHIFTS,
            "staffing": {"units": {"A": {"patients_per_nurse": 2, "nurses": {"day": 1, "night": 1}}}},
        }
    )
    res = run_scenario(scn)
    load = S.workload(scn, res.census, res.adt_log).set_index("time_h")["workload"]
    expected = {7: 0, 8: 1, 9: 1, 10: 3.5, 13: 3.5, 14: 1, 17: 1, 18: 0}
    assert {h: load[float(h)] for h in expected} == expected
    heads = S.workload(scn.model_copy(update={"patient_classes": {}}), res.census).set_index("time_h")["workload"]
    assert heads[10.0] == 2
    with pytest.raises(ValueError, match="event log"):
        S.workload(scn, res.census, None)


def test_requirements_follow_weekdays_and_split_skills():
    """Every date takes its weekday's levels; HCAs are 1 per 2 RNs rounded up."""
    levels = pd.DataFrame(
        {
            "unit": ["A"] * 14,
            "shift": ["day"] * 7 + ["night"] * 7,
            "weekday": list(range(7)) * 2,
            "min": [3, 3, 3, 3, 3, 2, 2] * 2,
            "target": [5, 4, 4, 4, 4, 3, 3] * 2,
        }
    )
    req = S.requirements(levels, dt.date(2025, 3, 8), 2, S.SkillMix("RN", {"HCA": 0.5}))  # a Saturday
    assert list(req.columns) == S.REQUIREMENT_COLUMNS
    assert len(req) == 14 * 2 * 2
    sat = req[(req["date"] == dt.date(2025, 3, 8)) & (req["shift"] == "day")].set_index("skill")
    assert sat.loc["RN", ["min", "target"]].tolist() == [2, 3]
    assert sat.loc["HCA", ["min", "target"]].tolist() == [1, 2]
    mon = req[(req["date"] == dt.date(2025, 3, 10)) & (req["shift"] == "night") & (req["skill"] == "RN")]
    assert mon[["min", "target"]].values.tolist() == [[3, 5]]
    assert req["date"].min() == dt.date(2025, 3, 8) and req["date"].max() == dt.date(2025, 3, 21)


def test_staffing_bad_inputs_are_refused():
    """Service levels outside (0, 1], min above target, unknown units and a bad skill mix are errors."""
    scn = weekly_scenario()
    with pytest.raises(ValueError, match="service level"):
        S.saa_levels(pd.DataFrame(columns=["unit", "shift", "weekday", "need", "count"]), {}, 1.5)
    with pytest.raises(ValueError, match="above the service level"):
        S.staffing_levels(scn, pd.DataFrame(), service_level=0.8, min_level=0.9)
    with pytest.raises(ValueError, match="below the min level"):
        S.staffing_levels(scn, pd.DataFrame(), service_level=0.95, min_level=0.8, stratum_floor=0.5)
    with pytest.raises(ValueError, match="unknown unit"):
        S.unit_ratios(scn, {"ZZ": 4})
    with pytest.raises(ValueError, match="counts towards the ratio"):
        S.SkillMix("RN", {"RN": 1})
    with pytest.raises(ValueError, match="whole number"):
        S.SkillMix("RN", in_charge={"NIC": 0.5})


def test_skill_mix_nurse_in_charge_counts_towards_the_ratio():
    """Of 5 nurses one is in charge (NIC) and 4 are RN; HCAs 1 per 2 nurses come on top; 0 nurses need no NIC."""
    mix = S.SkillMix("RN", {"HCA": 0.5}, {"NIC": 1})
    assert mix.split(5) == {"RN": 4, "NIC": 1, "HCA": 3}
    assert mix.split(0) == {"RN": 0, "NIC": 0, "HCA": 0}
    assert mix.ratio_skills == {"RN", "NIC"}


def test_cli_staffing_writes_requirements_atomically(tmp_path, capsys):
    """`hospital-twin staffing` writes requirements.csv (a nurse in charge among the RNs) and levels; bad input exits 2."""
    from hospital_twin.cli import main
    from hospital_twin.scenario import dump_scenario

    scn_file = tmp_path / "weekly.yaml"
    scn_file.write_text(dump_scenario(weekly_scenario(replications=3)))
    out = tmp_path / "levels"
    assert main(["staffing", str(scn_file), "--weeks", "2", "--in-charge", "NIC=1", "--out", str(out)]) == 0
    req = pd.read_csv(out / "requirements.csv", parse_dates=["date"])
    assert list(req.columns) == S.REQUIREMENT_COLUMNS
    assert set(req["skill"]) == {"RN", "NIC"} and set(req["unit"]) == {"A", "B"}
    assert req["date"].min() == pd.Timestamp("2025-01-20") and req["date"].nunique() == 14
    levels = pd.read_csv(out / "levels.csv")
    nic = req[req["skill"] == "NIC"].set_index(["date", "unit", "shift"])["target"]
    rn = req[req["skill"] == "RN"].set_index(["date", "unit", "shift"])["target"]
    assert sorted((nic + rn).tolist()) == sorted(levels["target"].tolist() * 2)
    info = json.loads((out / "staffing.json").read_text())
    met = info["service_level_met"]
    assert met["out_of_sample"]["replications"] == 3 and met["out_of_sample"]["seed"] != 3
    assert set(met["out_of_sample_met"]) == set(S.LEVEL_SETS) and "floor of 80%" in met["promise"]
    ev = pd.read_csv(out / "evaluation.csv")
    assert set(ev["sample"]) == {"in", "out"} and len(ev[(ev["scope"] == "stratum") & (ev["levels"] == "target")]) == 56
    printed = capsys.readouterr().out
    assert "written to" in printed and "met out" in printed and "same promise" in printed
    assert main(["staffing", str(scn_file), "--out", str(tmp_path / "x"), "--eval-seed", "3"]) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".levels")]
    assert main(["staffing", str(scn_file), "--out", str(tmp_path / "x"), "--start", "2025-13-01"]) == 2
    assert main(["staffing", str(scn_file), "--out", str(tmp_path / "x"), "--pool", "ward"]) == 2
    assert main(["staffing", str(scn_file), "--out", str(tmp_path / "x"), "--in-charge", "NIC"]) == 2
    assert "SKILL=NUMBER" in capsys.readouterr().err
