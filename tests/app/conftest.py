"""AppTest helpers: start the app from its entry point, wait for background jobs, clean up."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
ENTRY = APP / "streamlit_app.py"
if str(APP) not in sys.path:
    sys.path.insert(0, str(APP))


def wait_for_jobs(at, timeout_s: float = 120.0):
    """Re-run the page until no job progress bar is shown (the page polls its worker on each run)."""
    end = time.monotonic() + timeout_s
    at.run()
    while at.get("progress") and time.monotonic() < end:
        time.sleep(0.3)
        at.run()
    assert not at.get("progress"), "the background job did not finish in time"
    return at


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def short_run_settings(at, prefix: str = "rs_", horizon: int = 7, warmup: int = 7, reps: int = 3) -> None:
    at.number_input(key=f"{prefix}horizon").set_value(horizon)
    at.number_input(key=f"{prefix}warmup").set_value(warmup)
    at.number_input(key=f"{prefix}reps").set_value(reps)
    at.run()


@pytest.fixture
def app():
    """The app at its home page, as on a fresh server; its worker processes and cached results go afterwards."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    at.run()
    yield at
    import jobs

    for job in list((at.session_state["jobs"] if "jobs" in at.session_state else {}).values()):
        jobs.stop(job.proc)
    # results are cached per server process, and one pytest worker runs many tests: without this, a test that
    # runs the settings another test already ran finds them cached and starts no job
    jobs.forget_results()


def charts(at) -> list:
    return [e for e in at.main if e.type == "vega_lite_chart"]


@pytest.fixture(autouse=True)
def _app_data(tmp_path_factory, monkeypatch):
    """The app's data folder (saved scenarios, page state kept across a refresh) in a temporary folder, never ~."""
    monkeypatch.setenv("HOSPITAL_TWIN_APP_DATA", str(tmp_path_factory.mktemp("app-data")))


def charted_tabs(at) -> list:
    """The tabs that show a chart (a chart of several panels shows one element per panel, sized to its column)."""
    return [t for t in at.tabs if t.get("vega_lite_chart")]
