"""In a real browser: a refresh keeps the edits, the run settings and the running job; a named, saved scenario
outlives a restart of the server and can be compared; a worker whose browser tab was closed ends itself.

Playwright in Debian's chromium, with the helpers of ``test_browser.py``; each server gets its own data folder
(``HOSPITAL_TWIN_APP_DATA``). Screenshots go to a temporary folder and to /tmp/app-shots/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import tests.app.test_browser as tb

pytestmark = tb.pytestmark


@contextmanager
def _server(log: Path, data: Path, **env: str):
    """``streamlit run`` on a free port with the app's data folder ``data``; stopped with its workers after."""
    port = tb._free_port()
    out = open(log, "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
        + ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        + ["--server.fileWatcherType", "none"],
        cwd=tb.APP,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "HOSPITAL_TWIN_APP_DATA": str(data), **env},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.3)
        yield url, proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server; its workers end when their parent goes
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def _stdin(proc_dir: Path) -> str:
    try:
        return os.readlink(proc_dir / "fd" / "0")
    except OSError:
        return ""


def _workers(server_pid: int) -> list[int]:
    """Process ids of the app's job workers started by the server ``server_pid`` (python app/worker.py FOLDER)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if b"--wait" in cmd and _stdin(d) != "/dev/null":
            continue  # the spare worker, waiting for a job (it reads stdin until it has one, then closes it)
        if (
            ppid == server_pid
            and any(c.endswith(b"worker.py") for c in cmd)
            and stat.rsplit(")", 1)[1].split()[0] != "Z"
        ):
            out.append(int(d.name))
    return out


def _open(p, url: str):
    from playwright.sync_api import expect

    browser = p.chromium.launch(executable_path=tb.CHROMIUM, args=tb.ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    page.set_default_timeout(30_000)
    page.goto(url)
    expect(page.get_by_role("heading", name="Hospital twin")).to_be_visible(timeout=90_000)
    return browser, page


def _set(page, label: str, value: str) -> None:
    from playwright.sync_api import expect

    box = page.get_by_role("spinbutton", name=label)
    box.fill(value)
    box.press("Enter")
    tb._idle(page)
    expect(box).to_have_value(value)


def test_browser_refresh_keeps_the_edits_the_settings_and_the_running_job(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with _server(tmp_path / "streamlit.log", tmp_path / "data") as (url, _), sync_playwright() as p:
        browser, page = _open(p, url)
        tb._go(page, "Scenario")
        icu = page.get_by_role("spinbutton", name="ICU beds")
        edited = str(int(icu.input_value()) + 3)
        _set(page, "ICU beds", edited)
        expect(page.get_by_text("Ready:").first).to_be_visible()

        tb._go(page, "Run")
        tb._short_run(page, days="42", warmup="7", reps="3")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("Simulating").first).to_be_visible(timeout=30_000)
        page.reload()

        # the running job is reconnected: its progress first, then its results
        expect(page.get_by_role("heading", name="Run", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Simulating").first).to_be_visible(timeout=30_000)
        tb._shot(page, tmp_path, "refresh-1-run-reconnected")
        expect(page.get_by_text("G&A occupancy at midnight", exact=True).first).to_be_visible(timeout=240_000)
        expect(page.get_by_text("Results:").first).to_be_visible()
        if not page.get_by_role("spinbutton", name="Days measured").is_visible():
            page.get_by_text("Run length and replications").click()
        expect(page.get_by_role("spinbutton", name="Days measured")).to_have_value("42")
        expect(page.get_by_role("spinbutton", name="Replications")).to_have_value("3")
        tb._shot(page, tmp_path, "refresh-2-run-results")

        # the edit is still there after another refresh on the Scenario page
        tb._go(page, "Scenario")
        page.reload()
        expect(page.get_by_role("spinbutton", name="ICU beds")).to_have_value(edited, timeout=60_000)
        browser.close()


def test_browser_saved_scenario_outlives_a_restart_and_is_compared(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    data, log, name = tmp_path / "data", tmp_path / "streamlit.log", "Winter with 6 more ICU beds"
    with sync_playwright() as p:
        with _server(log, data) as (url, _):
            browser, page = _open(p, url)
            tb._go(page, "Scenario")
            icu = page.get_by_role("spinbutton", name="ICU beds")
            _set(page, "ICU beds", str(int(icu.input_value()) + 6))
            box = page.get_by_label("Name to save it under")
            box.fill(name)
            box.press("Enter")
            tb._idle(page)
            page.get_by_role("button", name="Save this scenario").click()
            expect(page.get_by_text(f"Saved as {name}").first).to_be_visible()
            expect(page.get_by_text("?saved=").first).to_be_visible()
            tb._shot(page, tmp_path, "saved-1-scenario")
            browser.close()

        with _server(log, data) as (url, _):  # a restart: a new server process, the same data folder
            browser, page = _open(p, url)
            tb._go(page, "Scenario")
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
            expect(page.get_by_role("button", name="Download (YAML)").first).to_be_visible()

            tb._go(page, "Compare")
            tb._short_run(page, days="7", warmup="7", reps="2")
            page.locator('[data-testid="stMultiSelect"]').first.click()
            page.keyboard.type("Saved: Winter")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            tb._idle(page)
            page.get_by_role("heading", name="Compare").first.click()  # closes the picker's list
            tb._idle(page)
            tb._shot(page, tmp_path, "saved-2-compare-picked")
            # the baseline, the default what-if and the saved one; the unchanged baseline is not offered again
            page.get_by_role("button", name="Compare 3 scenarios").click()
            expect(page.get_by_role("heading", name="In plain words")).to_be_visible(timeout=240_000)
            expect(page.get_by_text(name).first).to_be_visible()
            tb._shot(page, tmp_path, "saved-3-compare-after-restart")
            browser.close()


def test_browser_a_worker_whose_tab_was_closed_ends_itself(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    limit_s = 6
    env = {"HOSPITAL_TWIN_APP_ABANDON_S": str(limit_s)}
    with _server(tmp_path / "streamlit.log", tmp_path / "data", **env) as (url, proc), sync_playwright() as p:
        browser, page = _open(p, url)
        tb._go(page, "Run")
        tb._short_run(page, days="3650", warmup="7", reps="2")  # many minutes of work: far longer than this test
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.get_by_text("Simulating").first).to_be_visible(timeout=30_000)
        end = time.monotonic() + 20  # a spare worker takes the job a moment after the page says so
        while not (workers := _workers(proc.pid)) and time.monotonic() < end:
            time.sleep(0.2)
        assert workers, "no worker process found"
        # watched from another page of the app, the worker runs on past the limit
        tb._go(page, "Scenario")
        page.wait_for_timeout(2_000 * limit_s)
        assert all(pid in _workers(proc.pid) for pid in workers), "a watched worker was stopped"
        browser.close()  # the tab goes: nobody asks about the job any more

        end = time.monotonic() + 10 * limit_s
        while any(pid in _workers(proc.pid) for pid in workers) and time.monotonic() < end:
            time.sleep(0.5)
        left = [pid for pid in workers if pid in _workers(proc.pid)]
        assert not left, f"workers {left} still run {10 * limit_s} s after their tab was closed"
