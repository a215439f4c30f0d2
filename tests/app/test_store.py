"""The app's data folder (app/store.py): page state kept across a refresh, named saved scenarios, and jobs that
a new session finds again or that end themselves when nobody asks about them."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import jobs
import pytest
import store
from job_specs import RunJob

from hospital_twin.scenario import dump_scenario, load_scenario, load_scenario_text

from .conftest import APP

BASELINE = APP.parent / "scenarios" / "baseline.yaml"


def test_session_state_comes_back_as_it_was_dates_tuples_and_lists_included(tmp_path):
    values = {
        "lv_beds_ICU": 20,
        "rs_horizon": 14,
        "lv_surge_from": dt.date(2025, 1, 6),
        "lv_window": (8, 20),
        "cmp_whatifs": ["Saved: winter"],
        "run_args": ("name: x\n", 42, 3),
        "scn_edited": "name: x\n",
    }
    sid = store.new_id()
    store.save_session(tmp_path, sid, store.session_text(values, {"run": {"key": "run-1", "pid": 7}}))
    back, records = store.load_session(tmp_path, sid)
    assert back == values
    assert isinstance(back["run_args"], tuple) and isinstance(back["cmp_whatifs"], list)
    assert records == {"run": {"key": "run-1", "pid": 7}}


def test_session_values_that_cannot_be_stored_are_left_out(tmp_path):
    text = store.session_text({"ok": 1, "upload": object(), "mixed": [1, object()]}, {})
    assert json.loads(text)["values"] == {"ok": {"v": 1}}


@pytest.mark.parametrize("sid", ["../../etc/passwd", "ABCDEF0123456789", "abc", None, 5])
def test_an_id_from_the_address_never_reaches_a_path(tmp_path, sid):
    assert store.load_session(tmp_path, sid) is None
    assert store.get_saved(tmp_path, sid) is None


def test_a_missing_or_damaged_session_file_gives_nothing(tmp_path):
    sid = store.new_id()
    assert store.load_session(tmp_path, sid) is None
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / f"{sid}.json").write_text("{not json")
    assert store.load_session(tmp_path, sid) is None


def test_saved_scenario_is_listed_read_back_by_the_package_and_deleted(tmp_path):
    s = load_scenario(BASELINE)
    saved = store.save_scenario(tmp_path, "  Winter:  four more ICU beds \x07", s)
    assert saved.name == "Winter: four more ICU beds"
    listed = store.list_saved(tmp_path)
    assert [x.id for x in listed] == [saved.id]
    back = load_scenario_text(listed[0].path.read_text(), name="saved")
    assert back.name == saved.name and back.units == s.units
    assert not list((tmp_path / "scenarios").glob(".*"))  # no temporary files left beside it (atomic writes)
    assert store.delete_saved(tmp_path, saved.id)
    assert store.list_saved(tmp_path) == [] and not store.delete_saved(tmp_path, saved.id)


def test_saving_under_a_name_already_saved_replaces_it_and_an_empty_name_is_refused(tmp_path):
    s = load_scenario(BASELINE)
    first = store.save_scenario(tmp_path, "Winter", s)
    again = store.save_scenario(tmp_path, "winter", s.model_copy(update={"seed": 99}))
    assert again.id == first.id and len(store.list_saved(tmp_path)) == 1
    assert load_scenario(again.path).seed == 99
    with pytest.raises(ValueError, match="name"):
        store.save_scenario(tmp_path, " \t", s)


def test_data_dir_follows_the_environment_and_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("HOSPITAL_TWIN_APP_DATA", str(tmp_path / "data"))
    root = store.data_dir()
    assert root == tmp_path / "data" and (root.stat().st_mode & 0o077) == 0


def _spec(days: int = 200) -> RunJob:
    """A run long enough (tens of seconds) to be still running while a test looks at it."""
    s = load_scenario(BASELINE).model_copy(update={"horizon_days": days, "warmup_days": 0})
    return RunJob(yaml=dump_scenario(s), replications=2, seed=1)


def test_a_running_job_is_found_again_from_its_record(tmp_path):
    job = jobs.start(_spec(), "run-test-reattach", "Simulating")
    try:
        again = jobs.reattach(json.loads(json.dumps(jobs.record(job))))
        assert again is not None and again.proc is job.proc and again.state() == "running"
        jobs._LIVE.pop(str(job.folder))  # as in another server process: known by its pid only
        by_pid = jobs.reattach(jobs.record(job))
        assert by_pid.proc.pid == job.proc.pid and by_pid.state() == "running"
        by_pid.cancel()
        assert job.proc.wait(timeout=10) is not None and by_pid.state() == "cancelled"
    finally:
        jobs.stop(job.proc)
    assert jobs.reattach({**jobs.record(job), "folder": str(tmp_path)}) is None  # not this server's folder


def test_a_worker_nobody_asks_about_ends_itself_and_says_why(monkeypatch):
    monkeypatch.setenv(jobs.ABANDON_ENV, "2")
    job = jobs.start(_spec(), "run-test-abandoned", "Simulating")
    try:
        end = time.monotonic() + 30
        while job.proc.poll() is None and time.monotonic() < end:
            time.sleep(0.2)  # nobody calls job.state(): no heartbeat
        assert job.proc.poll() is not None, "the abandoned worker still runs"
        assert job.state() == "failed"
        assert "no page of the app looked at this job" in job.error()["message"]
    finally:
        jobs.stop(job.proc)


def test_a_worker_that_is_asked_about_runs_on(monkeypatch):
    monkeypatch.setenv(jobs.ABANDON_ENV, "2")
    job = jobs.start(_spec(), "run-test-watched", "Simulating")
    try:
        end = time.monotonic() + 5
        while time.monotonic() < end:
            assert job.state() == "running"
            time.sleep(0.5)
    finally:
        jobs.stop(job.proc)
    assert os.path.exists(job.folder / jobs.HEARTBEAT)
