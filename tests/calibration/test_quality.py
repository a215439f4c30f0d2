"""Fit quality in words (``calibration.quality``), rows as the user's file counts them, and errors naming the file.

The grades follow stated rules (the module docstring); each test builds the evidence of one rule and checks the
grade and that the reason says why in words.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hospital_twin.calibration.adt import LogError, read_log
from hospital_twin.calibration.fit_stays import StayEstimate
from hospital_twin.calibration.pipeline import NoStaysError, calibrate_logs
from hospital_twin.calibration.quality import (
    DETAIL_NOTES,
    fit_quality,
    rejected_rows_text,
    rejects_in_words,
    rows_in_file,
    stay_quality,
)

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "scenarios" / "logs"
SAMPLE_YEAR = LOGS / "small_hospital_2025.csv.gz"
MIMIC = LOGS / "mimic-iv-demo-mini"


def _estimate(**kw) -> StayEstimate:
    base = {
        "unit": "MED",
        "patient_class": None,
        "n": 500,
        "n_exact": 490,
        "n_censored": 10,
        "n_interval": 0,
        "fits": {},
        "chosen": "lognormal",
        "ks_d": 0.01,
        "ks_p": 0.5,
        "acceptable": True,
        "km_mean_h": 120.0,
        "spec": {},
    }
    base.update(kw)
    return StayEstimate(**base)


def test_shipped_year_sample_fits_good_in_every_part():
    """The Calibrate page's default sample (a simulated year) grades good: thousands of patients, every stay fits."""
    run = calibrate_logs([(SAMPLE_YEAR, "adt")])
    q = fit_quality(run.calibration)
    assert q.level == "good" and q.usable, q.table()
    assert run.calibration.counts["patients"] > 3000
    assert set(q.table()["quality"]) == {"good"}
    patients = run.calibration.counts["patients"]
    assert q.sentence().startswith(f"Fit quality: good. The fits can be used as a scenario. {patients:,} patients over")


def test_three_patient_log_with_shifted_dates_is_poor_and_says_why():
    """The MIMIC extract (3 patients, dates shifted per patient) is poor: too few patients, rates not measurable."""
    q = fit_quality(calibrate_logs([(MIMIC, "auto")], horizon_days=30, replications=2).calibration)
    assert q.level == "poor" and not q.usable
    assert q.reasons[0].startswith("too few patients: 3 in the log")
    assert any("dates are shifted per patient" in r for r in q.reasons)
    assert "Too few patients: 3" in q.sentence() and "more reasons" in q.sentence()


def test_beds_of_a_unit_never_full_are_usable_and_of_a_full_one_good(tmp_path):
    """Beds estimated as the most patients at once: good where patients waited for a bed (the unit was full at
    times), usable where nobody waited (the unit may have more beds), saying which."""
    from hospital_twin.calibration.pipeline import calibrate_simulated
    from hospital_twin.calibration.quality import beds_quality
    from hospital_twin.scenario import load_scenario

    scn = load_scenario(REPO / "scenarios" / "examples" / "icu_to_ward.yaml").model_copy(update={"horizon_days": 120.0})
    cal = calibrate_simulated(scn, tmp_path).calibration
    parts = {p.part: p for p in beds_quality(cal)}
    assert parts["beds in ICU"].level == "good" and "so it was full at times" in parts["beds in ICU"].why
    ward = parts["beds in WARD"]
    assert ward.level == "usable" and "nobody waited for a bed there" in ward.why and "may have more" in ward.why
    assert fit_quality(cal).level == "usable"


def test_too_few_finished_stays_is_poor():
    """A unit with fewer than 10 finished stays cannot show how long patients stay: poor, with the count."""
    part = stay_quality(_estimate(n=8, n_exact=7, n_censored=1))
    assert part.level == "poor" and part.why == "only 7 finished stays in MED: too few to know how long patients stay"
    one = stay_quality(_estimate(n=1, n_exact=1, n_censored=0))
    assert "only 1 finished stay in MED" in one.why


def test_heavy_censoring_is_poor_and_some_censoring_usable():
    """Over half the stays still open when the log ends is poor; over a fifth is usable, both said as shares."""
    heavy = stay_quality(_estimate(n=400, n_exact=120, n_censored=280))
    assert heavy.level == "poor" and heavy.why.startswith("heavy censoring: 70% of the stays in MED")
    some = stay_quality(_estimate(n=400, n_exact=280, n_censored=120))
    assert some.level == "usable" and "30% of the stays in MED had not ended" in some.why


def test_rejected_by_the_ks_test_is_usable_and_names_the_family():
    """When the best distribution fails the KS test the stays are used as observed: usable, naming the family."""
    from hospital_twin.calibration.families import fit_families
    from hospital_twin.calibration.stays import CensoredSample

    s = CensoredSample(exact=np.arange(10.0, 130.0, 10.0))
    fits = fit_families(s, ("weibull",))
    part = stay_quality(_estimate(fits=fits, chosen="empirical", acceptable=False, ks_p=0.005))
    assert part.level == "usable"
    assert "no standard distribution fits the stays in MED (the closest, Weibull, is rejected by the KS test)" in (
        part.why
    )


def test_good_stay_says_count_mean_in_days_and_family():
    """A good stay is said in a manager's units: finished stays, the mean in days, the family that fits."""
    part = stay_quality(_estimate(fits={}, km_mean_h=120.0))
    assert part.level == "good"
    assert part.why == "490 finished stays in MED, mean 5.0 days; the lognormal distribution fits them (KS test passed)"


def test_detail_notes_explain_each_statistic_in_one_line():
    """AIC, Kaplan-Meier, D and the p-value each have a one-line explanation for the analysts' details."""
    assert set(DETAIL_NOTES) == {"AIC", "Kaplan-Meier", "D", "p-value"}
    assert all("\n" not in v and len(v) < 200 for v in DETAIL_NOTES.values())


def test_rows_are_numbered_as_the_csv_file_counts_them(tmp_path):
    """Reader row N of a CSV (header not counted) is row N + 1 of the file: header row 1, first patient row 2."""
    log = tmp_path / "ward.csv"
    log.write_text("patient_id,unit,start,end\n1,WARD,notadate,2025-01-01\n2,WARD,2025-01-02,2025-01-01\n")
    r = read_log(log, "adt")
    assert rows_in_file(r.rejects, r.source_format)["row"].tolist() == [2, 3]
    assert r.rejects["row"].tolist() == [1, 2]  # the reader's own numbering is unchanged
    assert rows_in_file(r.rejects, "parquet")["row"].tolist() == [1, 2]  # a table without a header row
    assert rejected_rows_text(r.rejects, r.source_format) == [
        "row 2: start is not a date and time (start=notadate); write it as 2025-01-06T08:30:00",
        "row 3: end before start (end is 24.0 h before start)",
    ]
    assert rejected_rows_text(r.rejects, r.source_format, limit=1)[-1] == "... and 1 more rows"
    words = rejects_in_words(r.rejects, r.source_format)
    assert list(words.columns[:2]) == ["row", "why"] and words["row"].tolist() == [2, 3]
    assert words["why"].tolist()[1] == "end before start (end is 24.0 h before start)"


def test_errors_name_the_log_by_the_name_given_not_its_stored_path(tmp_path):
    """A log stored under our own name (an upload) is named in errors by the name the caller gives."""
    stored = tmp_path / "3174e378aa.csv"
    stored.write_text("patient,unit,start,end\n1,WARD,2025-01-01,2025-01-02\n")
    with pytest.raises(LogError) as err:
        calibrate_logs([(stored, "adt")], names=["my ward log.csv"])
    assert str(err.value).startswith("my ward log.csv: missing required column(s) patient_id")
    assert "3174e378" not in str(err.value)
    stored.write_text("patient_id,unit,start,end\n1,WARD,notadate,2025-01-01\n")
    with pytest.raises(NoStaysError) as err2:
        calibrate_logs([(stored, "adt")], names=["my ward log.csv"])
    assert err2.value.where == "my ward log.csv"
    assert rejected_rows_text(err2.value.reads[0].rejects, "csv")[0].startswith("row 2: start is not a date and time")


def test_make_sample_log_is_reproducible(tmp_path):
    """scripts/make_sample_log.py gives the same bytes twice (no gzip time stamp), an ADT CSV the reader takes."""
    spec = importlib.util.spec_from_file_location("make_sample_log", REPO / "scripts" / "make_sample_log.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    small = tmp_path / "small.yaml"
    text = (LOGS / "small_hospital.yaml").read_text().replace("horizon_days: 364", "horizon_days: 10")
    small.write_text(text)
    a, b = mod.sample_log_bytes(small), mod.sample_log_bytes(small)
    assert a == b
    df = pd.read_csv(io.BytesIO(gzip.decompress(a)))
    assert list(df.columns[:4]) == ["patient_id", "unit", "start", "end"] and len(df) > 50


def test_calibration_report_leads_with_the_fit_quality():
    """The HTML calibration report says the same grade and reasons as the app, from the same function."""
    from hospital_twin.reporting.calibration_report import build_calibration_report

    run = calibrate_logs([(MIMIC, "auto")], horizon_days=30, replications=2)
    html = build_calibration_report(run.calibration, list(run.reads), run.dates)
    assert "Fit quality: poor. Do not use this scenario for decisions. Too few patients: 3 in the log" in html


def test_full_waits_count_long_waits_begun_near_the_peak():
    """A 2-bed unit, hand-traced: c waits 8 h from 2 h while a and b fill it (a full-unit wait); d waits 3 h from
    20 h with the unit empty and e waits 30 min at the peak (admin lag): 1 full wait, though everyone waited."""
    from hospital_twin.calibration.fit_beds import occupancy_table

    t0 = pd.Timestamp("2025-01-06")
    stays = [("a", 0, 10, None), ("b", 0, 12, None), ("c", 10, 15, 2), ("d", 23, 25, 20), ("e", 12, 13, 11.5)]
    df = pd.DataFrame(
        [
            {
                "patient_id": p,
                "unit": "W",
                "start": t0 + pd.Timedelta(hours=s),
                "end": t0 + pd.Timedelta(hours=e),
                "ready_at": t0 + pd.Timedelta(hours=r) if r is not None else pd.NaT,
            }
            for p, s, e, r in stays
        ]
    )
    row = occupancy_table(df).iloc[0]
    assert (row["peak"], row["waited_share"], row["full_waits"]) == (2, 1.0, 1)


def test_beds_of_a_unit_with_only_admin_lag_waits_are_usable(tmp_path):
    """Every patient's ready_at is 30 min before the start (porter / admin lag) on a 20-bed unit about a third full:
    all waited, none while it was full, so the peak is graded usable, saying why, never 'full at times'."""
    from hospital_twin.calibration.quality import beds_quality

    rng = np.random.default_rng(1)
    n = 600
    arr = pd.Timestamp("2025-01-06") + pd.to_timedelta(np.sort(rng.uniform(0, 80 * 24, n)), unit="h")
    los = pd.to_timedelta(rng.gamma(2.0, 12.0, n), unit="h")
    log = pd.DataFrame(
        {"patient_id": [f"p{i}" for i in range(n)], "unit": "WARD", "start": arr, "end": arr + los}
    ).assign(ready_at=arr - pd.Timedelta(minutes=30))
    path = tmp_path / "lag.csv"
    log.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    cal = calibrate_logs([(str(path), "adt")], group_units=False).calibration
    (ward,) = beds_quality(cal)
    assert ward.level == "usable", ward.why
    assert "full at times" not in ward.why and "admin lag, not a full unit" in ward.why
    assert "100% of its patients waited for a bed" in ward.why


def test_rejects_file_row_is_the_row_the_app_shows():
    """A bad row on line 2 of a CSV (after the header) is reader row 1 and file row 2, as the app numbers it
    (rows_in_file); a Parquet row keeps its number; the reader's ``row`` is left as it was."""
    from hospital_twin.calibration.quality import rows_in_file, with_file_row

    rej = pd.DataFrame(
        {"source": ["a.csv", "b.parquet"], "row": [1, 7], "kind": "rejected", "reason": "unparseable start"}
    )
    out = with_file_row(rej, {"a.csv": "csv", "b.parquet": "parquet"})
    assert out["row"].tolist() == [1, 7] and list(out.columns) == [*rej.columns, "file_row"]
    assert out["file_row"].tolist() == [2, 7]
    assert out["file_row"].iloc[0] == rows_in_file(rej.iloc[:1], "csv")["row"].iloc[0]
