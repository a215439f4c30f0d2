"""Calibrating a results folder of the simulator (issue 12, points 2 and 10): one replication at a time,
requests that never got a bed counted, the ED's clinician stage fitted from ``seen_at``, and the report
drawing each stay fit against the stays it was fitted to.

The folder is a real run: a small hospital with known parameters (ED with 3 clinicians and a 30-minute
exponential assessment, 120 arrivals a day; an elective list of 8 a weekday into 9 beds, so that about a
third are cancelled), 2 replications written by ``write_results``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hospital_twin.calibration.adt import MixedLogError, read_log
from hospital_twin.calibration.fit import calibrate
from hospital_twin.calibration.fit_arrivals import ArrivalFit
from hospital_twin.calibration.pipeline import CalibrationRun, calibrate_logs, requests_beside
from hospital_twin.cli import main
from hospital_twin.experiment.resultsdir import write_results
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.reporting.calibration_report import stay_curves, stay_histogram
from hospital_twin.scenario.io import load_scenario_text

pytestmark = pytest.mark.slow

TRUTH = """
name: calibration truth
start: 2025-01-06T00:00:00
horizon_days: 56
warmup_days: 0
replications: 2
seed: 5
units:
  ED:
    beds: 60
    kind: ed
    ed:
      clinicians: 3
      assessment: {distribution: exponential, mean_minutes: 30}
  WARD: {beds: 40}
  SURG: {beds: 9}
arrivals:
  - {name: walkins, unit: ED, per_day: 120, patient_class: emergency}
electives:
  - {name: list, unit: SURG, per_weekday: [8, 8, 8, 8, 8, 0, 0], hour: 8, cancel_after_hours: 4}
patient_classes:
  emergency:
    routes:
      ED: {WARD: 0.1, exit: 0.9}
  elective:
    routes:
      SURG: {exit: 1.0}
routes:
  WARD: {exit: 1.0}
length_of_stay:
  ED: {distribution: lognormal, median_hours: 1.5, p90_hours: 4}
  WARD: {distribution: exponential, mean_hours: 72}
  SURG: {distribution: gamma, mean_hours: 36, cv: 0.5}
"""
ED_PER_DAY, CLINICIANS, ASSESS_H, BOOKED = 120.0, 3, 0.5, 8.0


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The results folder of 2 replications (adt_log.parquet and requests.parquet beside it)."""
    scn = load_scenario_text(TRUTH, name="truth.yaml")
    out = tmp_path_factory.mktemp("run") / "res"
    write_results(run_scenario(scn, keep_census=False), out)
    return out


@pytest.fixture(scope="module")
def rep1(folder) -> CalibrationRun:
    log = folder / "adt_log.parquet"
    return calibrate_logs([(log, "auto")], rep=1, requests=[requests_beside(log)], replications=2)


def test_calibrate_refuses_a_log_of_several_replications(folder, capsys):
    """The simulator's own multi-replication log exits 2, naming the file, the column, the values and --rep."""
    log = folder / "adt_log.parquet"
    assert main(["calibrate", str(log)]) == 2
    err = capsys.readouterr().err
    assert str(log) in err and "'rep' column" in err and "(0, 1)" in err and "--rep" in err
    with pytest.raises(MixedLogError) as exc:
        calibrate_logs([(log, "auto")])
    assert (exc.value.column, exc.value.values) == ("rep", ["0", "1"])


def test_a_scenario_column_needs_scenario_chosen_too(folder, tmp_path):
    """A log written by compare (a 'scenario' column, same patient ids in each) is refused without --scenario;
    with it, the other scenario's rows are set aside before any check (not rejected as overlapping stays)."""
    log = pd.read_parquet(folder / "adt_log.parquet")
    log = log[log["rep"] == 0]
    both = pd.concat([log.assign(scenario="base"), log.assign(scenario="more beds")], ignore_index=True)
    path = tmp_path / "adt_log.csv"
    both.to_csv(path, index=False)
    with pytest.raises(MixedLogError, match="'scenario' column"):
        read_log(path)
    r = read_log(path, scenario="more beds")
    assert (r.rejected, r.set_aside, r.used) == (0, len(log), len(log))


def test_one_replication_chosen_calibrates_like_one_hospital(folder, rep1):
    """With rep 1 the rows of rep 0 are set aside (read = used + rejected + ignored + set aside), and the
    arrival rate and beds are those of one hospital (within 4 standard errors of the true rate; beds at most
    the true beds), where the mixed log doubled them."""
    r = rep1.reads[0]
    log = pd.read_parquet(folder / "adt_log.parquet")
    assert r.set_aside == int((log["rep"] != 1).sum()) and r.selection == {"rep": "1"}
    assert r.read == r.used + r.rejected + r.ignored + r.set_aside
    (ed,) = [s for s in rep1.calibration.arrivals.streams_ if s.unit == "ED"]
    assert abs(ed.per_day - ED_PER_DAY) < 4 * math.sqrt(ED_PER_DAY / rep1.calibration.days)
    beds = rep1.calibration.capacity.beds_
    assert beds["SURG"] <= 9 and beds["WARD"] <= 40 and beds["ED"] <= 60
    assert "set aside" in rep1.yaml


def test_cancelled_electives_count_into_the_booked_list(rep1):
    """8 booked a weekday, a third cancelled: with the requests beside the log, the list calibrates back to 8
    (the bookings are a fixed number a day, so every complete weekday gives 8 exactly; 0.25 allows for the
    edge days); the requests are said in the YAML."""
    (el,) = [s for s in rep1.calibration.arrivals.streams_ if s.elective]
    assert el.n_unmet > 0.2 * el.n
    assert el.per_weekday is not None
    assert all(abs(x - BOOKED) <= 0.25 for x in el.per_weekday[:5]) and el.per_weekday[5:] == [0.0, 0.0]
    assert "requests that never got a bed" in rep1.yaml and "cancelled" in rep1.yaml


def test_ed_clinician_stage_is_recovered_from_seen_at(rep1):
    """3 clinicians and a 30-minute assessment are recovered (the saturated rate rests on thousands of
    assessments: its standard error is about 1.5%, the tolerance 10%); the calibrated ED has an ``ed`` block,
    hence the 4-hour measures."""
    est = rep1.calibration.ed.units_["ED"]
    assert est.clinicians == CLINICIANS
    assert abs(est.assessment_mean_h - ASSESS_H) < 0.1 * ASSESS_H
    ed = rep1.scenario.units["ED"].ed
    assert ed is not None and ed.clinicians == CLINICIANS


def test_requests_table_rejected_arrivals_count_into_the_rate():
    """Rejected requests from outside (outcome 'rejected') add to their stream's rate; requests from inside the
    hospital (from_unit) and requests met later do not."""
    t0 = pd.Timestamp("2025-01-06")
    n_days = 20
    starts = [t0 + pd.Timedelta(hours=12 * k + 1) for k in range(2 * n_days)]
    stays = pd.DataFrame(
        {
            "patient_id": [f"p{k}" for k in range(len(starts))],
            "unit": "W",
            "start": starts,
            "end": [s + pd.Timedelta(hours=5) for s in starts],
        }
    )
    req = pd.DataFrame(
        {
            "patient_id": ["r1", "r2", "r3", "p3"],
            "unit": "W",
            "ready_at": [t0 + pd.Timedelta(days=d, hours=3) for d in (1, 2, 3, 0)],
            "from_unit": [None, None, "ICU", None],
            "outcome": ["rejected", "rejected", "rejected", "rejected"],
        }
    )
    base = ArrivalFit().fit(stays).streams_[0]
    more = ArrivalFit().fit(stays, req)
    st = more.streams_[0]
    assert (st.n - base.n, st.n_unmet, more.unmet_) == (2, 2, {"rejected": 2})
    assert st.per_day == pytest.approx(base.per_day + 2 / more.days_)


def _two_class_stays(seed: int = 0) -> pd.DataFrame:
    """One ward, a minority class of short stays (mean 10 h) and a majority of long ones (mean 100 h)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-01-06")
    n_a, n_b = 300, 1200
    cls = np.array(["short"] * n_a + ["long"] * n_b)
    dur = np.concatenate([rng.exponential(10, n_a), rng.exponential(100, n_b)])
    start = t0 + pd.to_timedelta(rng.uniform(0, 24 * 365, n_a + n_b), unit="h")
    return pd.DataFrame(
        {
            "patient_id": [f"p{k}" for k in range(n_a + n_b)],
            "unit": "W",
            "start": start,
            "end": start + pd.to_timedelta(dur, unit="h"),
            "patient_class": cls,
        }
    )


def test_report_draws_each_stay_fit_against_its_own_population():
    """A class with its own stay is drawn against its own stays, the unit's fit against the other classes: in
    every panel the Kaplan-Meier curve stays within 0.05 of the fitted survival (a mixed panel is off by ~0.2),
    and every completed stay is in exactly one histogram panel."""
    cal = calibrate(_two_class_stays(), bootstrap_b=0)
    assert ("W", "short") in cal.stays.classes_
    curves = stay_curves(cal)
    assert sorted(curves["unit"].str.split(" \\(").str[0].unique()) == ["W: other classes", "W: short"]
    for _panel, c in curves.groupby("unit"):
        km = c[c["curve"] != "fitted"]["survival"].to_numpy()
        fit = c[c["curve"] == "fitted"]["survival"].to_numpy()
        assert np.abs(km - fit).max() < 0.05
    hist = stay_histogram(cal)
    assert set(hist["unit"]) == {"W: other classes", "W: short"}
