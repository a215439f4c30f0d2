"""In a real browser: the Calibrate page for a manager (issue 15, finding 8).

The default sample is a year of a hospital whose fits are good and may be used as the scenario; a three-patient
extract is graded poor, says why, and is not offered as the scenario; a bad upload is named by the user's own file
name, and the rows that could not be used are listed as the user's file counts them. Playwright in Debian's
chromium, one server for the module; screenshots go to a temporary folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

import tests.app.test_browser as tb

pytestmark = tb.pytestmark
BAD_ROWS = b"patient_id,unit,start,end\n1,WARD,notadate,2025-01-01\n2,WARD,2025-01-02,2025-01-01\n"
NO_PATIENT_ID = b"patient,unit,start,end\n1,WARD,2025-01-01T00:00:00,2025-01-02T00:00:00\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free localhost port for every test of this module; stopped (with its workers) afterwards."""
    folder = tmp_path_factory.mktemp("calibrate-server")
    port = tb._free_port()
    log = open(folder / "streamlit.log", "wb")
    argv = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
    argv += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    argv += ["--server.fileWatcherType", "none"]
    proc = subprocess.Popen(argv, cwd=tb.APP, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
            raise RuntimeError("streamlit did not start:\n" + (folder / "streamlit.log").read_text()[-3000:])
        time.sleep(0.3)
    yield url
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the app's workers it started
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture
def page(server):
    """A fresh browser tab on the Calibrate page."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 2200})
        pg.set_default_timeout(30_000)
        pg.goto(server)
        expect(pg.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)
        tb._go(pg, "Calibrate")
        yield pg
        browser.close()


def test_browser_default_sample_is_a_year_with_good_fits_offered_as_the_scenario(page, tmp_path):
    """The default sample holds thousands of patients; its fits are graded good in words, with the statistics
    under analysts' details, and 'Use it as the current scenario' is offered."""
    from playwright.sync_api import expect

    expect(page.get_by_role("combobox", name="Sample")).to_have_value(
        re.compile("^A year of a small district hospital")
    )
    page.get_by_role("button", name="Fit the scenario").click()
    expect(page.get_by_text("Fit quality: good").first).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name="Use it as the current scenario")).to_be_visible()
    page.get_by_text("Details for analysts").click()
    expect(page.get_by_text("Akaike information criterion").first).to_be_visible()
    expect(page.get_by_text("largest gap between the fitted distribution").first).to_be_visible()
    tb._idle(page)
    tb._shot(page, tmp_path, "81-calibrate-year-good")


def test_browser_three_patients_are_poor_with_reasons_and_not_offered(page, tmp_path):
    """The three-patient MIMIC extract is graded poor, the page says why, and offers no 'use as scenario'."""
    from playwright.sync_api import expect

    page.get_by_role("combobox", name="Sample").click()  # open the sample list
    page.get_by_role("option", name="MIMIC-IV demo extract").first.click()
    tb._idle(page)
    page.get_by_role("button", name="Fit the scenario").click()
    expect(page.get_by_text("Fit quality: poor").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Too few patients: 3 in the log").first).to_be_visible()
    expect(page.get_by_text("Not offered as the current scenario").first).to_be_visible()
    assert page.get_by_role("button", name="Use it as the current scenario").count() == 0
    tb._idle(page)
    tb._shot(page, tmp_path, "82-calibrate-mimic-poor")


def test_browser_bad_logs_are_named_by_their_own_name_with_the_rows_and_reasons(page, tmp_path):
    """A log with no usable row names the uploaded file and lists each row (header = row 1) with its reason; a log
    without patient_id is named by its own name, not the server's stored name."""
    from playwright.sync_api import expect

    page.get_by_text("Upload my ADT log").click()
    tb._idle(page)
    upload = page.locator('input[type="file"]')
    upload.set_input_files(files=[{"name": "ward_log.csv", "mimeType": "text/csv", "buffer": BAD_ROWS}])
    tb._idle(page)
    page.get_by_role("button", name="Fit the scenario").click()
    expect(page.get_by_text("ward_log.csv: no row could be used").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text("row 2: start is not a date and time").first).to_be_visible()
    expect(page.get_by_text("row 3: end before start").first).to_be_visible()
    tb._shot(page, tmp_path, "83-calibrate-bad-rows")

    upload.set_input_files(files=[{"name": "my_adt.csv", "mimeType": "text/csv", "buffer": NO_PATIENT_ID}])
    tb._idle(page)
    page.get_by_role("button", name="Fit the scenario").click()
    expect(page.get_by_text("my_adt.csv: missing required column(s) patient_id").first).to_be_visible(timeout=120_000)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert ".csv:" not in body.replace("my_adt.csv:", ""), body  # no other file named, such as a stored hash name
    tb._shot(page, tmp_path, "84-calibrate-missing-column")
