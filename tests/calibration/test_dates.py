"""Detecting dates shifted per patient: the data tests, the reader's word and the user's flag."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hospital_twin.calibration.dates import check_dates

TODAY = pd.Timestamp("2026-06-01")


def _log(starts: pd.DatetimeIndex, hours: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(len(starts))],
            "unit": "WARD",
            "start": starts,
            "end": starts + pd.to_timedelta(hours, unit="h"),
        }
    )


def test_dates_a_busy_real_looking_log_is_taken_as_real():
    """Two years of 10 admissions a day with 3-day stays (mean census 30) passes both data tests."""
    rng = np.random.default_rng(1)
    starts = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 730 * 24, 7300)), unit="h")
    d = check_dates(_log(starts, rng.exponential(72, 7300)), today=TODAY)
    assert not d.shifted and d.decided_by == "none" and 25 < d.mean_census < 35


def test_dates_patients_scattered_over_a_century_are_detected():
    """MIMIC-like: 300 stays of 2 days spread over 2110-2200: implausible years and a mean census far below 1 (about 0.02)."""
    rng = np.random.default_rng(2)
    starts = pd.Timestamp("2110-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 90 * 365 * 24, 300)), unit="h")
    d = check_dates(_log(starts, rng.exponential(48, 300)), today=TODAY)
    assert d.shifted and d.decided_by == "data" and d.data_says_shifted
    assert len(d.reasons) == 2 and d.mean_census < 0.05 and "SHIFTED PER PATIENT" in d.sentence()


def test_dates_thin_log_in_plausible_years_is_detected_but_a_short_one_is_not():
    """100 two-day stays over 3 years (mean census 0.18) is thin, hence shifted; the same over 60 days is not judged."""
    rng = np.random.default_rng(3)
    long = pd.Timestamp("2015-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 3 * 365 * 24, 100)), unit="h")
    assert check_dates(_log(long, np.full(100, 48.0)), today=TODAY).shifted
    short = pd.Timestamp("2015-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 60 * 24, 100)), unit="h")
    assert not check_dates(_log(short, np.full(100, 48.0)), today=TODAY).shifted


def test_dates_the_reader_and_the_flag_decide_with_the_evidence_kept():
    """A plausible log is shifted when the reader says so (Sepsis); --no-dates-shifted overrides data and reader, noted."""
    rng = np.random.default_rng(4)
    starts = pd.Timestamp("2014-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 500 * 24, 2000)), unit="h")
    log = _log(starts, rng.exponential(48, 2000))
    assert check_dates(log, reader_says=True, today=TODAY).decided_by == "reader"
    forced = check_dates(log, reader_says=True, flag=False, today=TODAY)
    assert not forced.shifted and forced.decided_by == "flag" and any("OVERRIDING" in r for r in forced.reasons)
    on = check_dates(log, flag=True, today=TODAY)
    assert on.shifted and "the data alone would not have shown it" in on.reasons
