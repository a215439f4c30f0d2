"""The reviewer's case (issue 15, finding 1): the baseline with no assessment-unit beds gridlocks, nobody reaches
a ward, so G&A occupancy is low. Nothing may show it green against the targets, and the ED months must still be
there (the attendances who never got an ED space are said, not silently dropped). Short horizon, 2 replications;
no baseline figure is hard-coded (the baseline is being recalibrated)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from hospital_twin.experiment.resultsdir import write_results
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.reporting.nhs import gridlocked_reps
from hospital_twin.reporting.results_report import build_report
from hospital_twin.reporting.scorecard import against_targets, months_against_targets, side_by_side
from hospital_twin.reporting.targets import NHS_TARGETS
from hospital_twin.scenario.io import load_scenario

pytestmark = pytest.mark.slow  # the report's charts take 10 s or more

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
TARGETS = {t.key: t for t in NHS_TARGETS}


@pytest.fixture(scope="module")
def amu0(tmp_path_factory):
    d = tmp_path_factory.mktemp("amu0")
    (d / "amu0.yaml").write_text(
        f"extends: {BASELINE}\nname: AMU zero\nhorizon_days: 8\nwarmup_days: 2\nreplications: 2\n"
        "units:\n  AMU:\n    beds: 0\n"
    )
    s = load_scenario(d / "amu0.yaml")
    result = run_scenario(s, replications=2, seed=1)
    return result, write_results(result, d / "run", fmt="csv")


def test_the_collapse_gridlocks(amu0):
    result, _ = amu0
    assert gridlocked_reps(result.kpis, result.scenario.name) == (2, 2)


def test_no_target_is_green_in_a_gridlocked_run_and_the_ed_months_are_there(amu0):
    result, _ = amu0
    s = result.scenario
    head = against_targets(result.summary, result.kpis, result.census, [s], TARGETS)
    assert "green" not in set(head["status"])
    ga = head[head["target"] == "ga_occupancy"].iloc[0]
    assert ga["words"] == "not judged: 2 of 2 replications gridlocked"
    monthly = months_against_targets(result.adt_log, result.census, result.kpis, [s], TARGETS)
    assert "green" not in set(monthly["status"])
    table, _ = side_by_side(monthly, [s.name], TARGETS)
    for month, rows in table.groupby("Month"):  # every month has its ED rows, each a figure or why there is none
        assert {"ED: within 4 hours", "ED: over 12 hours in the ED"} <= set(rows["Measure"]), month
        ed = rows[rows["Measure"].str.startswith("ED")][s.name]
        assert all(("not judged" in c) or c.startswith("not measured: ") for c in ed), list(ed)


def test_the_report_shows_no_green_card_or_cell(amu0):
    _, folder = amu0
    page = build_report(folder)
    card = re.search(r'<div class="card([^"]*)"><div class="k">G&amp;A occupancy at midnight</div>', page)
    assert card and "rag-green" not in card.group(1)
    section = page.split('<section id="targets">')[1].split("</section>")[0]
    assert "rag-green" not in section and "green: meets" not in html.unescape(section)
    assert "not judged: 2 of 2 replications gridlocked" in html.unescape(section)
