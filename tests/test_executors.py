"""Executors: serial, local processes and Dask give identical results; dead workers are survived."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from hospital_twin.experiment.executors import (
    DaskExecutor,
    ProcessExecutor,
    ReplicationFailed,
    SerialExecutor,
)
from hospital_twin.experiment.resultsdir import write_results
from hospital_twin.experiment.runner import run_scenario
from tests.conftest import make


def _scenario():
    return make(
        name="exec",
        horizon_days=60,
        warmup_days=5,
        replications=4,
        units={"WARD": {"beds": 6}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 2.5}],
    )


def _square(x: int) -> int:
    return x * x


def _die_once(x: int, marker: str) -> int:
    """Kills its worker process the first time it sees x == 2."""
    flag = Path(marker)
    if x == 2 and not flag.exists():
        flag.write_text("died")
        os._exit(17)
    return x * x


def _always_die(x: int) -> int:
    os._exit(3)


@pytest.mark.slow
def test_executors_serial_processes_and_dask_give_identical_summary(tmp_path):
    """The same scenario and seed give byte-identical summary.csv serially, in processes and on Dask."""
    scn = _scenario()
    serial = run_scenario(scn, executor=SerialExecutor(), keep_log=False)
    procs = run_scenario(scn, executor=ProcessExecutor(2), keep_log=False)
    with DaskExecutor(workers=2) as dask:
        on_dask = run_scenario(scn, executor=dask, keep_log=False)
        assert on_dask.provenance["executor"].startswith("dask local cluster")
    texts = []
    for name, res in (("s", serial), ("p", procs), ("d", on_dask)):
        texts.append((write_results(res, tmp_path / name, fmt="csv") / "summary.csv").read_bytes())
    assert texts[0] == texts[1] == texts[2]
    pd.testing.assert_frame_equal(serial.census, on_dask.census)


def test_executors_process_pool_survives_a_dead_worker(tmp_path):
    """A worker that dies mid-task is replaced and its task resubmitted; every result arrives."""
    marker = str(tmp_path / "died")
    results = dict(ProcessExecutor(2).map_unordered(_die_once, [(x, marker) for x in range(6)]))
    assert results == {i: i * i for i in range(6)}
    assert Path(marker).exists()


def test_executors_process_pool_gives_up_on_a_task_that_always_kills_its_worker():
    """A task that kills every worker it runs on is reported, not retried forever."""
    with pytest.raises(ReplicationFailed, match="dead worker"):
        list(ProcessExecutor(2, retries=1).map_unordered(_always_die, [(1,)]))


def test_executors_serial_yields_in_order():
    """The serial executor yields (index, result) in task order."""
    assert list(SerialExecutor().map_unordered(_square, [(2,), (3,)])) == [(0, 4), (1, 9)]


def test_precision_adds_replications_until_met():
    """--precision keeps adding replications until the relative half-width is reached, and says so."""
    scn = _scenario()
    res = run_scenario(
        scn,
        replications=3,
        precision=0.02,
        precision_metrics=(("occupancy_mean", "ALL"),),
        keep_log=False,
        keep_census=False,
    )
    p = res.provenance["precision"]
    assert res.provenance["replications"] > 3
    assert p["met"] and all(v["relative_half_width"] <= 0.02 for v in p["kpis"].values())


def test_precision_stops_at_the_cap():
    """An unreachable precision stops at max_replications and reports it was not met."""
    res = run_scenario(
        _scenario(), replications=3, precision=0.0001, max_replications=6, keep_log=False, keep_census=False
    )
    assert res.provenance["replications"] == 6 and not res.provenance["precision"]["met"]
