"""report.html against the NHS targets (issue 15): G&A occupancy at midnight at a glance, and each scenario against
the targets, month by month, with red / amber / green; every figure as ``reporting.nhs`` computes it."""

from __future__ import annotations

import html
import re

import pytest

from hospital_twin.experiment.resultsdir import write_results
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.experiment.whatif import compare_scenarios
from hospital_twin.reporting.figures import format_value
from hospital_twin.reporting.nhs import GA_MIDNIGHT, by_month, ga_occupancy_summary
from hospital_twin.reporting.results_report import build_report
from hospital_twin.reporting.targets import GA_OCCUPANCY
from hospital_twin.scenario.io import load_scenario_text
from tests.test_report import TINY_ED

pytestmark = pytest.mark.slow  # each report takes 10 s or more (its charts)

# 3 days of warm-up from 25 Jan: measured 28 Jan to 11 Feb, across a month end; 40 ward beds for about 28 patients
# (12 gridlock, and a gridlocked run is not judged against the targets: tests/reporting/test_gridlock_amu0.py)
CROSSING = (
    TINY_ED.replace("start: 2025-01-06T00:00:00", "start: 2025-01-25T00:00:00")
    .replace("horizon_days: 21", "horizon_days: 14")
    .replace("WARD: {beds: 12,", "WARD: {beds: 40,")
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    s = load_scenario_text(CROSSING, name="tiny.yaml")
    result = run_scenario(s, replications=2, seed=3)
    folder = write_results(result, tmp_path_factory.mktemp("targets") / "run", fmt="csv")
    return result, build_report(folder)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_report_gives_ga_occupancy_at_midnight_as_nhs_computes_it_with_its_rag(run):
    result, page = run
    ga = ga_occupancy_summary(result.census, result.kpis, result.scenario)
    mean = float(ga.loc[ga["metric"] == GA_MIDNIGHT, "mean"].iloc[0])
    card = re.search(
        r'<div class="card rag-(\w+)"><div class="k">G&amp;A occupancy at midnight</div>'
        r'<div class="v">([^<]+)</div><div class="ci">([^<]+)</div>',
        page,
    )
    assert card, "no G&A occupancy card"
    rag = GA_OCCUPANCY.rag(mean)
    assert card.group(2) == format_value(mean, "share")
    assert card.group(1) == rag.status and card.group(3).endswith(html.escape(rag.words))


def test_report_has_the_months_against_the_targets_as_nhs_counts_them(run):
    result, page = run
    assert '<section id="targets"><h2>Against the NHS targets</h2>' in page
    section = page.split('<section id="targets">')[1].split("</section>")[0]
    monthly = by_month(result.adt_log, result.census, result.kpis, result.scenario)
    assert [f"{m:%b %Y}" for m in monthly["month"].unique()] == ["Jan 2025", "Feb 2025"]
    months = section.split("<h3>Month by month</h3>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", months.split("<tbody>")[1])
    assert len(rows) == len(monthly)  # one row a month and measure
    for r, row in zip(monthly.itertuples(), rows, strict=True):
        cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        assert cells[0] == f"{r.month:%b %Y}" and cells[1] == f"{r.days:g}"
        assert cells[-1].startswith(f"{100 * r.mean:.1f}%"), (cells, r)
        assert re.search(r", (green|amber|red)", cells[-1]), cells
    assert re.search(r'<td class="rag-(green|amber|red)">', months)


def test_comparison_report_sets_the_scenarios_side_by_side_against_the_targets(tmp_path):
    base = load_scenario_text(CROSSING, name="tiny.yaml")
    more = base.model_copy(update={"name": "Two more ward beds"})
    more.units["WARD"] = more.units["WARD"].model_copy(update={"beds": base.units["WARD"].beds + 2})
    study = compare_scenarios([base, more], replications=2, seed=3, keep_log=True)
    folder = write_results(study.results, tmp_path / "cmp", fmt="csv", comparison=study.comparison)
    section = build_report(folder).split('<section id="targets">')[1].split("</section>")[0]
    heads = re.findall(r"<th>(.*?)</th>", section.split("<h3>Month by month</h3>")[1])
    assert heads == ["Month", "Days measured", "Measure", "Target", "Tiny ED", "Two more ward beds"]
    assert "Jan 2025" in section and "Feb 2025" in section
