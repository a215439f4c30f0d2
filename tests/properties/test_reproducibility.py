"""Reproducibility: a replication depends only on (scenario, seed, rep).

The same seed gives identical tables on two runs; one worker or two give the same
summary.csv; another seed gives other numbers.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hospital_twin.experiment.resultsdir import read_table, write_results
from hospital_twin.experiment.runner import run_scenario
from tests.helpers import scenario, stay

REPS = 4


def _scenario():
    return scenario(
        units={
            "ICU": {"beds": 5, "when_full": "queue", "turnaround": stay("lognormal", 2, 0.5)},
            "WARD": {"beds": 12, "when_full": "queue", "discharge": {"hourly_profile": [0] * 9 + [1] * 9 + [0] * 6}},
            "SDU": {"beds": 2, "when_full": "reject"},
        },
        arrivals=[
            {
                "name": "emergencies",
                "unit": "ICU",
                "per_day": 2.0,
                "hour_of_day": [0.5] * 8 + [1.5] * 8 + [1.0] * 8,
                "day_of_week": [1.2, 1, 1, 1, 1, 0.9, 0.9],
            },
            {"name": "direct", "unit": "SDU", "per_day": 1.0},
        ],
        electives=[{"name": "list", "unit": "WARD", "per_weekday": [1.5, 1.5, 1, 1, 1, 0, 0]}],
        routes={"ICU": {"WARD": 0.6, "SDU": 0.2, "exit": 0.2}, "SDU": {"WARD": 0.5, "exit": 0.5}},
        length_of_stay={
            "ICU": stay("exponential", 50),
            "WARD": stay("weibull", 90, 0.9),
            "SDU": stay("gamma", 24, 1.2),
        },
        horizon_days=60,
        warmup_days=5,
        replications=REPS,
        seed=21,
    )


@pytest.fixture(scope="module")
def first_run():
    return run_scenario(_scenario(), workers=1)


def test_reproducibility_same_seed_gives_identical_tables(first_run):
    """Two runs with one seed give identical kpis, summary, census and ADT log frames."""
    again = run_scenario(_scenario(), workers=1)
    pd.testing.assert_frame_equal(first_run.kpis, again.kpis)
    pd.testing.assert_frame_equal(first_run.summary, again.summary)
    pd.testing.assert_frame_equal(first_run.census, again.census)
    pd.testing.assert_frame_equal(first_run.adt_log, again.adt_log)
    assert len(first_run.adt_log) > 100


def test_reproducibility_workers_do_not_change_results(first_run, tmp_path):
    """workers=1 and workers=2 write identical summary.csv (and kpis.csv) content."""
    two = run_scenario(_scenario(), workers=2)
    assert two.provenance["executor"] == "local processes (2)"
    one_dir = write_results(first_run, tmp_path / "one", fmt="csv")
    two_dir = write_results(two, tmp_path / "two", fmt="csv")
    for name in ("summary.csv", "kpis.csv"):
        pd.testing.assert_frame_equal(read_table(one_dir / name), read_table(two_dir / name))
    pd.testing.assert_frame_equal(first_run.summary, two.summary)
    pd.testing.assert_frame_equal(first_run.adt_log, two.adt_log)


def test_reproducibility_other_seed_gives_other_results(first_run):
    """Another seed gives different KPIs (and a different event log)."""
    other = run_scenario(_scenario(), seed=22)
    a = first_run.kpis.set_index(["rep", "metric", "unit"])["value"]
    b = other.kpis.set_index(["rep", "metric", "unit"])["value"]
    assert not a.equals(b)
    occ = ["occupancy_mean"]
    differs = (a.loc[:, occ, :] != b.loc[:, occ, :]).mean()
    assert differs == 1.0  # every replication's occupancy of every unit differs
    assert not first_run.adt_log["start"].equals(other.adt_log["start"])


def test_reproducibility_replication_does_not_depend_on_the_others(first_run):
    """Replication r of a 2-replication run equals replication r of the 4-replication run."""
    short = run_scenario(_scenario(), replications=2)
    pd.testing.assert_frame_equal(short.kpis, first_run.kpis[first_run.kpis["rep"] < 2].reset_index(drop=True))
