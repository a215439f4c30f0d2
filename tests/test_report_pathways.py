"""The report's discharge pathways: NCTR over time by pathway from the event log, the pathways' table, the headline
beside the peers' figure, and nothing of it for a scenario without pathways."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hospital_twin.experiment.resultsdir import write_results
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.reporting.charts import nctr_chart
from hospital_twin.reporting.figures import PEER_NCTR_PER_BED, nctr_over_time, nctr_sentence, pathway_measures
from hospital_twin.reporting.results_report import build_report
from hospital_twin.scenario import load_scenario, load_scenario_text

PATHWAYS = Path(__file__).resolve().parent / "data" / "pathways_hospital.yaml"


def test_nctr_over_time_is_the_hand_computed_daily_mean_per_pathway():
    """Two replications, two measured days after a 1-day warm-up (hours 24-72). Rep 0: a P1 patient ready at h30
    leaving at h54 (18 h on day 1, 6 h on day 2) and one ready in the warm-up (h14) leaving at h26 (2 h on day 1);
    rep 1: a P2 patient ready at h36 still in its bed at the end (12 h, then 24 h); a patient going home counts
    nowhere. Day means = hours / (24 h x 2 replications)."""
    s = load_scenario(PATHWAYS).model_copy(update={"warmup_days": 1.0, "horizon_days": 2.0})
    t0 = pd.Timestamp(s.start)

    def at(h):
        return pd.NaT if h is None else t0 + pd.Timedelta(hours=h)

    rows = [  # rep, destination, ready_to_leave, end
        (0, "P1", 30, 54),
        (0, "P1", 14, 26),
        (1, "P2", 36, None),
        (1, "home", 40, 41),
    ]
    log = pd.DataFrame(
        {
            "scenario": s.name,
            "rep": [r[0] for r in rows],
            "unit": "MED",
            "discharge_destination": pd.Series([r[1] for r in rows], dtype="string"),
            "ready_to_leave": [at(r[2]) for r in rows],
            "end": [at(r[3]) for r in rows],
        }
    )
    df = nctr_over_time(log, [s])
    got = df.pivot(index="date", columns="pathway", values="nctr_mean")
    assert list(got.index) == [t0 + pd.Timedelta(days=1), t0 + pd.Timedelta(days=2)]
    assert got["P1"].tolist() == pytest.approx([20 / 48, 6 / 48])
    assert got["P2"].tolist() == pytest.approx([12 / 48, 24 / 48])
    assert got["P3"].tolist() == [0.0, 0.0] and got["other"].tolist() == [0.0, 0.0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Results folders of the pathway scenario and of the same hospital without pathways (2 replications)."""
    root = tmp_path_factory.mktemp("pathways")
    s = load_scenario(PATHWAYS)
    data = yaml.safe_load(PATHWAYS.read_text(encoding="utf-8"))
    for key in ("discharge_pathways", "pathway_shares"):
        data.pop(key)
    data["patient_classes"]["surgical"].pop("pathway_shares")
    data["name"] = "Small hospital without pathways"
    plain = load_scenario_text(yaml.safe_dump(data, sort_keys=False), name="plain.yaml")
    out = {}
    for key, scn in (("pathways", s), ("plain", plain)):
        out[key] = write_results(run_scenario(scn, replications=2), root / key)
    return out


def test_nctr_over_time_averages_to_the_nctr_mean_of_the_summary(runs):
    """Two independent computations of the same time average: the daily NCTR census from the event log, summed over
    pathways and averaged over the measured days, equals the summary's nctr_mean for ALL."""
    from hospital_twin.experiment.resultsdir import load_results

    folder = load_results(runs["pathways"])
    df = nctr_over_time(folder.log(), folder.scenarios)
    daily = df.groupby("date")["nctr_mean"].sum()
    assert len(daily) == folder.baseline.horizon_days
    kpi = folder.summary.query("metric == 'nctr_mean' and unit == 'ALL'")["mean"].iloc[0]
    assert kpi > 1
    assert daily.mean() == pytest.approx(kpi, rel=1e-6)


def test_report_with_pathways_charts_nctr_by_pathway_and_tables_each_pathway(runs):
    """The report has the pathways section in its contents, the NCTR chart (aggregated: no patient in its data), a
    column per pathway with its capacity in words, and NCTR per bed beside the peers' figure."""
    html = build_report(runs["pathways"])
    assert '<a href="#pathways">Discharge pathways</a>' in html and '<section id="pathways">' in html
    found = re.findall(
        r'<script type="application/json" class="vega-spec" data-target="([\w-]+)">(.*?)</script>', html, flags=re.S
    )
    spec = {target: json.loads(body) for target, body in found}["chart-nctr"]
    values = [v for ds in spec["datasets"].values() for v in ds]
    assert {v["pathway"] for v in values} == {"P1", "P2", "P3", "other"}
    assert set(values[0]) == {"scenario", "pathway", "date", "nctr_mean", "what"}  # no patient-level column
    assert len(values) == 4 * 14  # one bar per pathway and measured day
    for head in ("home with support · 2.5 starts a day", "community bed · 6 places", "transfer or death · no limit"):
        assert head in html, head
    assert "care home · starts Mon 0.8, Tue 0.8, Wed 0.8, Thu 0.8, Fri 0.8" in html
    assert "Delay from ready to leaving, mean (NCTR)" in html and " days</span>" in html
    assert f"per bed (peers {PEER_NCTR_PER_BED:.2f})" in html
    assert "Patients fit to leave, waiting for a service (NCTR)" in html  # the group of the units' table


def test_report_without_pathways_shows_nothing_of_them(runs):
    """The same hospital without pathways: no section, no chart, no table, no card, no words about NCTR."""
    html = build_report(runs["plain"])
    assert 'id="pathways"' not in html and "chart-nctr" not in html
    assert "NCTR" not in html and "fit to leave" not in html and "peers 0.26" not in html


def test_pathway_table_and_sentence_read_the_summary():
    """The table has one row per pathway and measure in the catalogue's order; the sentence rounds as a manager
    reads it: 112 patients, 0.25 per bed, peers 0.26; a scenario without pathways gets neither."""
    s = load_scenario(PATHWAYS)
    rows = [
        (s.name, "nctr_mean", "ALL", 112.4, 100.0, 120.0, 5),
        (s.name, "nctr_daily_per_bed", "ALL", 0.2498, 0.22, 0.27, 5),
        (s.name, "nctr_delay_mean_h", "P1", 40.0, 30.0, 50.0, 5),
        (s.name, "pathway_starts", "P1", 26.0, 20.0, 32.0, 5),
        (s.name, "pathway_occupancy_mean", "P2", 3.2, 2.6, 3.8, 5),
    ]
    summary = pd.DataFrame(rows, columns=["scenario", "metric", "unit", "mean", "ci_low", "ci_high", "n_reps"])
    assert (
        nctr_sentence(summary, s)
        == "Patients medically fit to leave still in a bed: 112 (0.25 a day per bed; peers 0.26)"
    )
    t = pathway_measures(summary, s)
    assert list(zip(t["pathway"], t["metric"], strict=True)) == [
        ("P1", "pathway_starts"),
        ("P1", "nctr_delay_mean_h"),
        ("P2", "pathway_occupancy_mean"),
    ]
    assert t.loc[t["pathway"] == "P2", "capacity"].iloc[0] == "6 places"
    plain = s.model_copy(update={"discharge_pathways": {}, "pathway_shares": {}})
    assert nctr_sentence(summary, plain) is None and pathway_measures(summary, plain).empty
    assert np.isfinite(nctr_chart(nctr_over_time(pd.DataFrame(), [plain]), [plain]).to_dict()["height"])


def test_the_model_in_words_describes_each_pathway_and_who_takes_it():
    """'The model in words' (report and app) lists each pathway's capacity and assessment, and the shares by unit."""
    from hospital_twin.reporting.describe import describe_scenario

    text = dict(describe_scenario(load_scenario(PATHWAYS)))["2. Logic: discharge policy"]
    assert "no longer meeting the criteria to reside (NCTR)" in text
    assert "P1 (home with support): 2.5 starts a day at 11:00; assessment gamma (mean 24 h, cv 0.5) in the bed" in text
    assert "P2 (community bed): 6 places, each held exponential (mean 6 d)" in text
    assert "MED P1 15%, P2 8%, P3 4%, other 3%; surgical from SURG P1 10%; the rest P0" in text
