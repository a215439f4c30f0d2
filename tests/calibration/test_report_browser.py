"""The calibration and back-test reports draw every chart in a real browser (Debian's chromium, offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hospital_twin.cli import main
from hospital_twin.experiment.runner import run_replication
from hospital_twin.scenario import load_scenario

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"no browser at {CHROMIUM} (.ci/run installs Debian's chromium)"
    ),
]


def _charts_drawn(html: Path) -> tuple[int, list[str]]:
    """(charts on the page, ids of those that did not become an SVG or reported an error)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1600})
        page.goto(html.as_uri())
        page.wait_for_timeout(500)
        page.wait_for_function(
            "Array.from(document.querySelectorAll('div.chart')).every("
            "d => d.querySelector('svg') || d.textContent.includes('could not be drawn'))",
            timeout=60_000,
        )
        ids = page.eval_on_selector_all("div.chart", "els => els.map(e => e.id)")
        bad = page.eval_on_selector_all(
            "div.chart",
            "els => els.filter(e => !e.querySelector('svg') || e.textContent.includes('could not')).map(e => e.id)",
        )
        browser.close()
    return len(ids), bad


def test_calibration_and_backtest_reports_draw_every_chart(tmp_path):
    """200 simulated days calibrated and back-tested: every chart of both pages renders as SVG, none fails."""
    scn = load_scenario(REPO / "scenarios" / "examples" / "icu_to_ward.yaml").model_copy(update={"horizon_days": 200})
    log = tmp_path / "log.csv"
    run_replication(scn, 0, keep_census=False).adt_log.to_csv(log, index=False)
    assert main(["calibrate", str(log), "--out", str(tmp_path / "s.yaml"), "--report", str(tmp_path / "c.html")]) == 0
    n, bad = _charts_drawn(tmp_path / "c.html")
    assert n == 5 and not bad, bad  # survival, histogram, arrivals, routes, discharges
    assert (
        main(
            [
                "backtest",
                str(log),
                "--train-until",
                "2025-07-20",
                "--replications",
                "4",
                "--test-days",
                "14",
                "--out",
                str(tmp_path / "bt"),
            ]
        )
        == 0
    )
    n, bad = _charts_drawn(tmp_path / "bt" / "backtest.html")
    assert n == 1 and not bad, bad
