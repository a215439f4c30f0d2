"""The spare worker (issue 16): a job handed to a worker that imported the package beforehand gives the same result
as a fresh worker, and a spare started in another environment is not used."""

from __future__ import annotations

from pathlib import Path

import jobs
import pytest
from job_specs import RunJob

from hospital_twin.scenario.io import dump_scenario, load_scenario

ICU = Path(__file__).resolve().parents[2] / "scenarios" / "examples" / "icu_to_ward.yaml"


def _spec() -> RunJob:
    s = load_scenario(ICU).model_copy(update={"horizon_days": 20, "warmup_days": 0})
    return RunJob(yaml=dump_scenario(s), replications=1, seed=3)


def _finish(job) -> object:
    try:
        assert job.wait(timeout_s=120) == "done", job.error()
        return job.result()
    finally:
        jobs.stop(job.proc)


@pytest.fixture
def no_spare():
    """No spare worker before or after: one left by an earlier test in this process was started in that test's
    environment (PYTEST_CURRENT_TEST differs), so it would not be used."""
    if jobs._SPARE is not None:
        jobs.stop(jobs._SPARE.proc)
        jobs._SPARE = None
    jobs.forget_results()
    yield
    if jobs._SPARE is not None:
        jobs.stop(jobs._SPARE.proc)
        jobs._SPARE = None
    jobs.forget_results()


def test_a_job_handed_to_the_spare_worker_gives_the_fresh_workers_result(no_spare, monkeypatch):
    """The spare's pid runs the job, and its summary equals that of a worker started for the job alone."""
    monkeypatch.delenv(jobs.WARM_ENV, raising=False)
    jobs.warm_up()
    spare_pid = jobs._SPARE.proc.pid
    warm = jobs.start(_spec(), "run-warm", "Simulating")
    assert warm.proc.pid == spare_pid
    warm_result = _finish(warm)
    assert jobs._SPARE is not None and jobs._SPARE.proc.pid != spare_pid  # the next one waits already
    jobs.stop(jobs._SPARE.proc)
    jobs._SPARE = None

    monkeypatch.setenv(jobs.WARM_ENV, "0")
    cold = jobs.start(_spec(), "run-cold", "Simulating")
    assert jobs._SPARE is None
    cold_result = _finish(cold)
    assert warm_result.summary.equals(cold_result.summary)
    assert warm_result.kpis.equals(cold_result.kpis)
    assert "Traceback" not in (warm.folder / "worker.log").read_text(errors="replace")


def test_a_spare_started_in_another_environment_is_not_used(no_spare, monkeypatch):
    """A changed environment (a test's setting, a new variable) gets a fresh worker; the old spare is stopped."""
    monkeypatch.delenv(jobs.WARM_ENV, raising=False)
    jobs.warm_up()
    old = jobs._SPARE.proc
    monkeypatch.setenv(jobs.ABANDON_ENV, "600")
    job = jobs.start(_spec(), "run-env", "Simulating")
    assert job.proc.pid != old.pid
    assert old.wait(timeout=10) is not None
    _finish(job)
