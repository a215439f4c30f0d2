"""Back-testing a calibration: train before a cut, simulate after it warm-started, compare with what happened.

The known truth is ``scenarios/examples/icu_to_ward.yaml`` simulated for a year. The
calibration, trained on the first ten months, must predict the last two and a half:

* **band coverage >= 0.70** per unit. A correct model puts an observed day inside the
  simulated 90% band with probability about 0.9, but neighbouring days are strongly
  correlated (ward stays last about six days), so ~80 test days carry only ~10-15
  independent looks: with n_eff = 10 the binomial sd of the share is 0.095, and
  0.9 - 2 sd = 0.71. Plug-in parameters (estimated, not true) widen the gap a little.
  A calibration with a mean stay 30% off fails it (checked below);
* **stay KS distance below the two-sample 1% critical value** per unit;
* **throughput within 3 simulated sds** (the 90% interval's width / 3.29 is one sd).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hospital_twin.calibration.backtest import TIDY_COLUMNS, backtest, split_at
from hospital_twin.cli import main
from hospital_twin.experiment.runner import run_replication
from hospital_twin.live.census import census_at
from hospital_twin.scenario import load_scenario
from tests.helpers import seed

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[2] / "scenarios" / "logs"  # sample logs, shared with the app
CUT = "2025-11-03"


@pytest.fixture(scope="module")
def year_log() -> pd.DataFrame:
    scn = load_scenario(REPO / "scenarios" / "examples" / "icu_to_ward.yaml")
    scn = scn.model_copy(update={"horizon_days": 365, "seed": seed(11)})
    return run_replication(scn, 0, keep_census=False).adt_log


@pytest.fixture(scope="module")
def result(year_log):
    return backtest(year_log, CUT, replications=40, seed=seed(3))


def test_backtest_split_censors_stays_open_at_the_cut():
    """Training keeps stays that started before the cut; an end (or ready time) after the cut is not known yet."""
    t = pd.Timestamp("2025-03-01")
    h = pd.Timedelta(hours=1)
    log = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "unit": ["W", "W", "W"],
            "start": [t - 10 * h, t - 2 * h, t + h],
            "end": [t - 5 * h, t + 3 * h, t + 9 * h],
            "ready_to_leave": [t - 6 * h, t + 2 * h, t + 8 * h],
        }
    )
    train = split_at(log, t)
    assert train["patient_id"].tolist() == ["a", "b"]
    assert train["end"].isna().tolist() == [False, True]
    assert train["ready_to_leave"].isna().tolist() == [False, True]


def test_backtest_split_keeps_a_destination_only_once_it_was_known():
    """A closed stay keeps its destination, an open one only if its patient was ready (a pathway is known from the
    referral); the home of a patient discharged after the cut is not known at the cut."""
    t = pd.Timestamp("2025-03-01")
    h = pd.Timedelta(hours=1)
    log = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "unit": ["W", "W", "W"],
            "start": [t - 10 * h, t - 9 * h, t - 8 * h],
            "end": [t - 5 * h, t + 30 * h, t + 3 * h],
            "ready_to_leave": [t - 6 * h, t - 2 * h, t + 1 * h],
            "discharge_destination": ["home", "P2", "home"],
        }
    )
    train = split_at(log, t)
    assert train["discharge_destination"].fillna("").tolist() == ["home", "P2", ""]


def test_backtest_snapshot_knows_only_what_was_known_at_the_cut(year_log):
    """The warm start's census comes from the training log: where a ready patient goes next is not known yet.

    The cut is taken while an ICU patient is ready for the ward and still in the ICU: the full log
    would name its next unit, the back-test's snapshot must not.
    """
    log = year_log.copy().reset_index(drop=True)
    for c in ("start", "end", "ready_at", "ready_to_leave"):
        log[c] = pd.to_datetime(log[c])
    # one ICU patient ready for the ward waits 5 h for its bed (its ward stay starts 5 h later)
    icu = log.index[
        (log["unit"] == "ICU")
        & (log["start"] > pd.Timestamp("2025-06-01"))
        & log["encounter_id"].isin(log.loc[log["unit"] == "WARD", "encounter_id"])
    ][0]
    ward = log.index[(log["encounter_id"] == log.at[icu, "encounter_id"]) & (log["unit"] == "WARD")][0]
    late = pd.Timedelta(hours=5)
    log.at[icu, "end"] += late
    log.at[ward, "start"] += late
    cut = (log.at[icu, "ready_to_leave"] + pd.Timedelta(hours=1)).floor("min")
    full = census_at(log, cut)
    assert (full["next_unit"] == "WARD").any()  # the full log knows where the ready patient went
    bt = backtest(log, cut, test_days=1, replications=3, seed=seed(4), stay_replications=1)
    ready = bt.snapshot[bt.snapshot["ready_to_leave"].notna()]
    assert len(ready) and ready["next_unit"].isna().all()
    assert bt.snapshot["unit_start"].notna().all()  # nobody known only from a later admission
    assert bt.train_counts["snapshot_rows_unit_not_in_scenario"] == 0


def test_backtest_daily_occupancy_band_covers_the_observed_days(result):
    """Every unit: at least 70% of observed days inside the simulated 90% band (see the module docstring), and a
    mean absolute error below the band's mean half-width (1.645 simulated sds; a right model's is about 0.8 sd)."""
    s = result.summary.set_index("unit")
    assert set(s.index) == {"ICU", "WARD"} and (s["days"] >= 80).all()
    assert (s["band_coverage"] >= 0.70).all() and (s["band_coverage_pit"] >= 0.70).all(), s
    d = result.daily
    half = ((d["sim_p95"] - d["sim_p05"]) / 2).groupby(d["unit"]).mean()
    assert (s["occupancy_mae"] <= half.reindex(s.index)).all(), (s, half)


def test_backtest_stay_distributions_match(result):
    """KS distance between observed and simulated stays of the test period below the 1% critical value per unit."""
    k = result.stays.set_index("unit")
    assert (k["n_observed"] > 100).all()
    assert (k["ks_d"] < k["ks_d_crit_01"]).all(), k


def test_backtest_throughput_within_three_simulated_sds(result):
    """Admissions and departures per unit: observed within 3 sds of the simulated mean."""
    t = result.throughput
    sd = (t["sim_p95"] - t["sim_p05"]) / 3.29
    assert (np.abs(t["observed"] - t["sim_mean"]) <= 3 * sd).all(), t


def test_backtest_tidy_table_has_every_section(result):
    """backtest.csv is long and tidy: daily rows for each unit, a summary, stays and throughput."""
    tidy = result.tidy()
    assert list(tidy.columns) == TIDY_COLUMNS
    assert set(tidy["section"]) == {"occupancy_daily", "summary", "stays", "throughput"}
    assert len(tidy[tidy["section"] == "occupancy_daily"]) == result.summary["days"].sum()


def test_backtest_detects_a_wrong_stay(year_log):
    """Metamorphic: a log whose test period has ward stays 40% longer than training fails the coverage or KS checks."""
    log = year_log.copy()
    cut = pd.Timestamp(CUT)
    late = (log["unit"] == "WARD") & (log["start"] >= cut) & log["end"].notna()
    log.loc[late, "end"] = log.loc[late, "start"] + (log.loc[late, "end"] - log.loc[late, "start"]) * 1.4
    bad = backtest(log, CUT, replications=20, seed=seed(4))
    ward = bad.summary.set_index("unit").loc["WARD"]
    ks = bad.stays.set_index("unit").loc["WARD"]
    assert ward["band_coverage"] < 0.70 or ks["ks_d"] > ks["ks_d_crit_01"]


def test_backtest_cli_writes_the_folder(year_log, tmp_path, capsys):
    """backtest LOG --train-until --out DIR writes backtest.csv, backtest.html and scenario.yaml; exit 0."""
    path = tmp_path / "log.csv"
    year_log.to_csv(path, index=False)
    out = tmp_path / "bt"
    assert (
        main(
            ["backtest", str(path), "--train-until", CUT, "--replications", "8", "--test-days", "20", "--out", str(out)]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["backtest.csv", "backtest.html", "scenario.yaml"]
    assert list(pd.read_csv(out / "backtest.csv").columns) == TIDY_COLUMNS
    load_scenario(out / "scenario.yaml")
    assert "observed days inside the simulated 90% band" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--train-until", "2024-01-01"], "less than a week of training data"),
        (["--train-until", "not-a-date"], "is not an ISO 8601 time"),
        (["--train-until", "2030-01-01"], "no whole day to test"),
    ],
)
def test_backtest_cli_bad_cut_exits_2(year_log, tmp_path, capsys, argv, needle):
    """A cut outside the log, or not a time, exits 2 with a message naming the option."""
    path = tmp_path / "log.csv"
    year_log.head(300).to_csv(path, index=False)
    assert main(["backtest", str(path), *argv, "--out", str(tmp_path / "o")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert needle in err and "Traceback" not in err


def test_backtest_cli_refuses_shifted_dates(tmp_path, capsys):
    """A MIMIC-IV folder (dates shifted per patient) cannot be back-tested: exit 2, saying why."""
    assert (
        main(
            [
                "backtest",
                str(FIXTURES / "mimic-iv-demo-mini"),
                "--train-until",
                "2150-01-01",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "SHIFTED PER PATIENT" in " ".join(capsys.readouterr().err.split())
