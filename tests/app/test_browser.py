"""End to end in a real browser: `streamlit run` on a free localhost port, driven by Playwright in Debian's chromium.

A new user's path: home page -> Run (baseline, short horizon) -> KPI cards and charts ->
Scenario (upload a broken YAML, read the error) -> Compare (baseline against four more ICU
beds, read the verdicts) -> Staffing & roster (levels, a roster of the example staff,
downloaded as CSV) -> Scenario (allow outliers). Screenshots go to a temporary folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
APP = Path(__file__).resolve().parents[2] / "app"
SHOTS = Path("/tmp/app-shots")
BROKEN = b"""name: Broken hospital
start: 2025-01-06T00:00:00
horizon_days: 10
units:
  WARD: {beds: -3}
arrivals:
  - {name: a, unit: WARD, per_day: 2}
length_of_stay:
  WARD: {distribution: lognormal, mean_hours: 48, cv: 0.8}
"""
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"no browser at {CHROMIUM} (.ci/run installs Debian's chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """The app served on a free localhost port; stopped (with its workers) afterwards."""
    port = _free_port()
    log = open(tmp_path / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=APP,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise RuntimeError("streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text()[-3000:])
        time.sleep(0.3)
    yield url
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the app's workers it started
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def _shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    try:
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(tmp_path / f"{name}.png", SHOTS / f"{name}.png")
    except OSError:
        pass


def _go(page, label: str) -> None:
    """Follow a sidebar link and wait for that page's title (and the end of its first run)."""
    from playwright.sync_api import expect

    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible(timeout=60_000)
    _idle(page)


def _idle(page) -> None:
    """Wait until Streamlit has finished the rerun a widget change started."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=30_000)


def _short_run(page, days: str = "7", warmup: str = "7", reps: str = "3") -> None:
    from playwright.sync_api import expect

    if not page.get_by_role("spinbutton", name="Days measured").is_visible():
        page.get_by_text("Run length and replications").click()
    for label, value in (("Days measured", days), ("Warm-up days", warmup), ("Replications", reps)):
        box = page.get_by_role("spinbutton", name=label)
        box.fill(value)
        box.press("Enter")
        _idle(page)
        expect(box).to_have_value(value)


def test_browser_new_user_runs_uploads_and_compares(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        page.set_default_timeout(30_000)
        page.goto(server)
        expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)
        _shot(page, tmp_path, "01-home")

        # Run the baseline on a short horizon
        _go(page, "Run")
        _short_run(page)
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("G&A occupancy at midnight", exact=True).first).to_be_visible(timeout=120_000)
        value = page.locator('[data-testid="stMetricValue"]').first.inner_text()
        assert value.endswith("%") and 40 < float(value.rstrip("%")) < 100, value
        expect(page.locator(".vega-embed").first).to_be_visible(timeout=30_000)
        assert page.locator(".vega-embed canvas, .vega-embed svg").count() >= 1
        expect(page.get_by_text("95% interval").first).to_be_visible()
        _shot(page, tmp_path, "02-run")
        page.get_by_role("tab", name="Occupancy heat map").click()
        page.wait_for_timeout(800)
        _shot(page, tmp_path, "03-run-heatmap")

        # Upload a broken scenario on the Scenario page
        _go(page, "Scenario")
        page.get_by_text("My own YAML file").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "broken.yaml", "mimeType": "application/x-yaml", "buffer": BROKEN}]
        )
        expect(page.get_by_text("is not a usable scenario")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("line 5", exact=False).first).to_be_visible()
        _shot(page, tmp_path, "04-scenario-broken-upload")

        # Compare the baseline with four more ICU beds
        _go(page, "Compare")
        _short_run(page)
        page.get_by_role("button", name="Compare 2 scenarios").click()
        expect(page.get_by_role("heading", name="In plain words")).to_be_visible(timeout=180_000)
        expect(page.get_by_text("4 more ICU beds").first).to_be_visible()
        expect(page.locator(".vega-embed").first).to_be_visible(timeout=30_000)
        _shot(page, tmp_path, "05-compare")

        # Staffing levels from a short simulation, then a one-week roster of the example staff, downloaded
        _go(page, "Staffing & roster")
        for label, value in (("Weeks", "1"), ("Replications", "2")):  # the period planned, as `staffing --weeks 1`
            box = page.get_by_role("spinbutton", name=label)
            box.fill(value)
            box.press("Enter")
            _idle(page)
        page.get_by_role("button", name="Derive staffing levels").click()
        expect(page.get_by_role("heading", name="2. Roster")).to_be_visible(timeout=180_000)
        for label, value in (("Solver time limit (s)", "5"),):
            box = page.get_by_role("spinbutton", name=label)
            box.fill(value)
            box.press("Enter")
            _idle(page)
        page.get_by_role("button", name="Build the roster").click()
        button = page.get_by_role("button", name="Download roster (CSV)")
        expect(button).to_be_visible(timeout=180_000)
        _shot(page, tmp_path, "06-roster")
        with page.expect_download() as info:
            button.click()
        path = info.value.path()
        header = Path(path).read_text().splitlines()[0]
        assert header.startswith("staff_id,name,date,shift,unit"), header
        _go(page, "Scenario")
        page.get_by_test_id("stRadioGroup").get_by_text("A shipped scenario").click()
        _idle(page)
        _shot(page, tmp_path, "07-scenario-levers")
        # The baseline outlies: its outliers lever is open and ticked, with the host wards shown; switched off,
        # the host wards go; switched on again, they come back and the scenario stays valid
        hosts = page.get_by_text("Wards that take them, tried in this order")
        expect(hosts).to_be_visible()
        allow = page.get_by_text("Allow outliers (place medical patients on other wards when full)")
        allow.click()
        _idle(page)
        expect(hosts).to_have_count(0)
        allow.click()
        _idle(page)
        expect(hosts).to_be_visible()
        expect(page.get_by_text("Ready:").first).to_be_visible()
        _shot(page, tmp_path, "08-scenario-outliers")
        browser.close()
