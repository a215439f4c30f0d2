"""Calibration where a log shows issue 13's policies: outliers (``home_unit``), discharges by weekday,
patients who left without being seen, rebooked electives.

Round trips: a scenario with the policy is simulated (one short replication), its log calibrated, and the
fitted scenario compared with the truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hospital_twin import results
from hospital_twin.calibration.fit import calibrate
from hospital_twin.calibration.fit_arrivals import unmet_arrivals
from hospital_twin.calibration.stays import prepare_stays
from hospital_twin.scenario.load import discharge_shares_by_weekday
from hospital_twin.scenario.schema import DischargeSpec
from hospital_twin.sim.model import simulate
from tests.helpers import scenario
from tests.sim.test_queues import ed_scenario

SIM_ONLY = ["rep", "ready_to_leave", "seen_at"]

MED_STAY = {"distribution": "lognormal", "mean_hours": 90, "cv": 0.8}


def _outlying_log(factor: float = 1.5, repatriate: str = "after_waiting", seed: int = 3) -> pd.DataFrame:
    """MED (20 beds, load about 19.5) outlies into SURG (cap 4) then ORTHO after 2 h, stays ``factor`` x in a
    host."""
    s = scenario(
        units={
            "MED": {
                "beds": 20,
                "outlying": {
                    "hosts": ["SURG", "ORTHO"],
                    "stay_factor": factor,
                    "after_hours": 2,
                    "repatriate": repatriate,
                },
            },
            "SURG": {"beds": 10, "max_outliers": 4},
            "ORTHO": {"beds": 8},
        },
        arrivals=[
            {"name": "med", "unit": "MED", "per_day": 5.2},
            {"name": "surg", "unit": "SURG", "per_day": 1.5},
            {"name": "ortho", "unit": "ORTHO", "per_day": 1.2},
        ],
        length_of_stay={
            "MED": MED_STAY,
            "SURG": {"distribution": "gamma", "mean_hours": 96, "cv": 0.7},
            "ORTHO": {"distribution": "exponential", "mean_hours": 100},
        },
        horizon_days=300,
        warmup_days=0,
        replications=1,
        seed=seed,
    )
    return results.adt_log(simulate(s)).drop(columns=SIM_ONLY)


@pytest.fixture(scope="module")
def outlying_cal():
    log = _outlying_log()
    return log, calibrate(log, bootstrap_b=0)


def test_outliers_round_trip_recovers_hosts_factor_wait_and_cap(outlying_cal):
    """The calibrated MED outlies into the same hosts (SURG most used), with a stay factor whose 95% interval
    holds the true 1.5, after_hours 2, repatriation after the queue, and SURG's cap of 4 at once."""
    log, cal = outlying_cal
    assert log["home_unit"].notna().sum() > 300
    est = cal.outliers.units_["MED"]
    assert est.hosts == ["SURG", "ORTHO"]
    assert est.factor_lo <= 1.5 <= est.factor_hi and est.factor_p < 0.01
    assert est.stay_factor == pytest.approx(est.factor, abs=1e-3)
    assert est.after_hours == 2.0 and est.repatriate == "after_waiting"
    units = cal.scenario_dict()["units"]
    assert units["MED"]["outlying"]["hosts"] == ["SURG", "ORTHO"]
    assert units["SURG"]["max_outliers"] == 4
    assert "outlying" not in units["SURG"]
    assert any("Outliers (home_unit)" in line for line in cal.provenance_comments())
    cal.scenario()  # validates


def test_home_stays_are_not_biased_by_the_outlier_stays(outlying_cal):
    """With home_unit, every unit's fitted mean stay is within 3 standard errors of the truth (MED from its
    patients who never outlied; the hosts without MED's outliers); the same log read without home_unit (as
    before) puts the outliers' host stays in SURG and the rest after a move back in MED, both biased."""
    log, cal = outlying_cal
    truth = {"MED": 90.0, "SURG": 96.0, "ORTHO": 100.0}
    for unit, mean_h in truth.items():
        fit = cal.stays.units_[unit].best
        assert abs(fit.mean_h - mean_h) < 3 * fit.mean_se_h, unit
    naive = calibrate(log.drop(columns="home_unit"), bootstrap_b=0)
    for unit in ("MED", "SURG"):
        fit = naive.stays.units_[unit].best
        assert abs(fit.mean_h - truth[unit]) > 3 * fit.mean_se_h, unit


def test_outliers_belong_to_their_home_unit_in_routes_and_beds(outlying_cal):
    """Routes are fitted with outliers at home (a move back from a host is no transfer into MED), every
    placement is a MED admission, and beds are fitted on the log as it is (a host's beds hold outliers)."""
    log, cal = outlying_cal
    t = cal.routes.transitions_
    assert set(t["from"]) == {"MED", "SURG", "ORTHO"}
    assert not (t["to"] == "MED").any()  # nobody transfers into MED in the truth
    med_patients = log.loc[(log["unit"] == "MED") | (log["home_unit"] == "MED"), "patient_id"].nunique()
    assert cal.routes.admissions_["MED"] == med_patients
    assert cal.capacity.beds_["SURG"] == 10  # the host's physical beds, outliers included


def test_no_stay_factor_without_evidence_and_repatriation_before_the_queue():
    """Outliers staying as at home (factor 1) get no stay factor (its test is not significant), and moves back
    made before the patients waiting for a home bed give ``repatriate: before_waiting``."""
    cal = calibrate(_outlying_log(1.0, "before_waiting", seed=4), bootstrap_b=0)
    est = cal.outliers.units_["MED"]
    assert est.factor_p > 0.01 and est.factor_lo <= 1.0 <= est.factor_hi
    assert est.stay_factor == 1.0 and "stay_factor" not in est.spec
    assert est.repatriate == "before_waiting"


PEERS = [0.7385, 0.8587, 0.9184, 0.959, 1.0, 0.861, 0.609]
HOURS = [0] * 8 + [1, 2, 3, 4, 5, 5, 5, 4, 3, 2, 1, 1] + [0] * 4


def _discharge_log(rule: dict) -> pd.DataFrame:
    s = scenario(
        units={"W": {"beds": 200}},
        arrivals=[{"name": "w", "unit": "W", "per_day": 25}],
        length_of_stay={"W": {"distribution": "gamma", "mean_hours": 96, "cv": 0.7}},
        discharge=rule,
        horizon_days=364,
        warmup_days=0,
        replications=1,
        seed=5,
    )
    return results.adt_log(simulate(s)).drop(columns=SIM_ONLY)


def test_peers_weekday_discharge_profile_recovered():
    """A ward discharging with the peers' day_of_week is calibrated with day_of_week (significant), whose
    discharge shares are within 1.5 points of the truth each day and weights within 0.1; its stay is unbiased."""
    cal = calibrate(_discharge_log({"hourly_profile": HOURS, "day_of_week": PEERS}), bootstrap_b=0)
    rule = cal.discharge.rules_["W"]
    assert "weekend_rate" not in rule
    test = cal.discharge.weekday_tests_["W"]
    assert test["kept"] and test["p"] < 1e-6
    truth = discharge_shares_by_weekday(DischargeSpec(day_of_week=PEERS))
    assert np.max(np.abs(np.asarray(test["shares"]) - truth)) < 0.015
    fitted = discharge_shares_by_weekday(DischargeSpec(day_of_week=rule["day_of_week"]))
    assert np.max(np.abs(fitted - truth)) < 0.015
    assert np.max(np.abs(np.asarray(rule["day_of_week"]) - PEERS)) < 0.1
    stay = cal.stays.units_["W"].best
    assert abs(stay.mean_h - 96) < 3 * stay.mean_se_h
    assert any("day_of_week kept" in line for line in cal.provenance_comments())
    assert cal.scenario().units["W"].discharge.day_of_week is not None


def test_weekend_rate_kept_without_weekday_evidence():
    """A ward with a plain weekend rate (0.6) keeps weekend_rate: the weekday detail is not significant."""
    cal = calibrate(_discharge_log({"hourly_profile": HOURS, "weekend_rate": 0.6}), bootstrap_b=0)
    rule = cal.discharge.rules_["W"]
    assert "day_of_week" not in rule and rule["weekend_rate"] == pytest.approx(0.6, abs=0.05)
    assert not cal.discharge.weekday_tests_["W"]["kept"]


@pytest.fixture(scope="module")
def lwbs_run():
    out = simulate(ed_scenario({"distribution": "exponential", "mean_hours": 2.0}, cubicles=8, days=40))
    log = results.adt_log(out).drop(columns=["rep", "ready_to_leave"])
    return log, results.unmet_requests(out)


def test_patience_fitted_from_those_who_left_unseen(lwbs_run):
    """Exponential patience, mean 2 h: the censored fit (seen patients censored at seen_at) has 2 h in its 95%
    interval; the ED's stream gets it; the leavers are neither ED stays nor ED -> exit routes."""
    log, req = lwbs_run
    left = (log["discharge_destination"] == "left_without_being_seen").fillna(False).astype(bool)
    assert left.sum() > 100
    cal = calibrate(log, bootstrap_b=0, requests=req)
    p = cal.patience["ED"]
    assert p.n_left == left.sum() and p.n_left_queue == (req["outcome"] == "left_without_being_seen").sum()
    assert p.mean_lo_h <= 2.0 <= p.mean_hi_h
    stream = next(a for a in cal.scenario_dict()["arrivals"] if a["unit"] == "ED")
    assert stream["patience"] == {"distribution": "exponential", "mean_hours": pytest.approx(p.mean_h, rel=1e-3)}
    assert cal.stays.units_["ED"].n == len(log[(log["unit"] == "ED") & ~left])
    ed_out = cal.routes.transitions_.query("`from` == 'ED'")["count"].sum()
    assert ed_out == ((log["unit"] == "ED") & ~left & log["end"].notna()).sum()
    cal.scenario()


def test_left_unseen_counted_not_fitted_without_seen_at(lwbs_run):
    """Without seen_at there is no clinician stage: the leavers are counted and left out of the stay fit."""
    log, _ = lwbs_run
    left = (log["discharge_destination"] == "left_without_being_seen").fillna(False).astype(bool)
    cal = calibrate(log.drop(columns="seen_at"), bootstrap_b=0)
    p = cal.patience["ED"]
    assert p.n_left == left.sum() and p.spec is None and "seen_at" in p.note
    assert cal.stays.units_["ED"].n == len(log[(log["unit"] == "ED") & ~left])
    assert "patience" not in cal.scenario_dict()["arrivals"][0]


def test_rebooked_cancellation_counts_once():
    """A patient cancelled (rebooked) then cancelled for good is one arrival; a rebooking still pending at the
    end is one arrival too; a rebooking answered by a stay is none (the stay is the arrival)."""
    stays = pd.DataFrame(
        {
            "patient_id": ["c"],
            "unit": ["W"],
            "start": pd.to_datetime(["2025-01-20 09:00"]),
            "end": pd.to_datetime(["2025-01-22 09:00"]),
        }
    )
    req = pd.DataFrame(
        {
            "patient_id": ["a", "a", "b", "c"],
            "unit": ["W"] * 4,
            "ready_at": pd.to_datetime(
                ["2025-01-06 08:00", "2025-01-13 08:00", "2025-01-07 08:00", "2025-01-08 08:00"]
            ),
            "withdrawn_at": pd.to_datetime(
                ["2025-01-06 12:00", "2025-01-13 12:00", "2025-01-07 12:00", "2025-01-08 12:00"]
            ),
            "outcome": ["rebooked", "cancelled", "rebooked", "rebooked"],
        }
    )
    out = unmet_arrivals(req, prepare_stays(stays))
    assert sorted(out["outcome"]) == ["cancelled", "rebooked"]  # a once (its final cancellation), b once
    assert out["wait_h"].tolist() == [4.0, 4.0]
