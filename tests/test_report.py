"""The HTML report of a results folder, and the scenario in words (describe)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from hospital_twin.cli import main
from hospital_twin.reporting.describe import describe_differences, describe_scenario, duration_text
from hospital_twin.reporting.figures import format_value
from hospital_twin.reporting.results_report import ReportError, build_report, write_report
from hospital_twin.results import METRIC_LABELS, METRICS
from hospital_twin.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
ICU = str(REPO / "scenarios" / "examples" / "icu_to_ward.yaml")

TINY_ED = """\
name: Tiny ED
description: An emergency department admitting to one ward.
start: 2025-01-06T00:00:00
horizon_days: 21
warmup_days: 3
replications: 2
seed: 3
units:
  ED:
    beds: 8
    kind: ed
    ed:
      clinicians: {day: 2, night: 1}
      assessment: {distribution: gamma, mean_minutes: 20, cv: 0.5}
  WARD: {beds: 12, turnaround_hours: 1}
arrivals:
  - name: walk_in
    unit: ED
    per_day: 40
    source: ed
    hour_of_day: [0.4,0.3,0.3,0.3,0.3,0.4,0.6,0.9,1.3,1.6,1.7,1.7,1.6,1.5,1.4,1.4,1.3,1.2,1.1,1.0,0.9,0.8,0.6,0.5]
electives:
  - {name: hips, unit: WARD, per_weekday: [2, 2, 2, 2, 2, 0, 0], hour: 9}
routes:
  ED: {exit: 0.8, WARD: 0.2}
length_of_stay:
  ED: {distribution: lognormal, median_hours: 1.5, p90_hours: 4}
  WARD: {distribution: gamma, mean_days: 3, cv: 0.8}
discharge: {window_hours: [8, 20], weekend_rate: 0.5}
shifts:
  day: {start: "08:00", end: "20:00"}
  night: {start: "20:00", end: "08:00"}
staffing:
  units:
    WARD: {patients_per_nurse: 6, nurses: {day: 2, night: 2}}
"""

MORE_BEDS = """\
extends: tiny_ed.yaml
name: Tiny ED, two more ward beds
units:
  WARD: {beds: 14}
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Results folders written by the real CLI: a run without an ED (CSV tables), a run with one, compares."""
    root = tmp_path_factory.mktemp("report")
    (root / "tiny_ed.yaml").write_text(TINY_ED, encoding="utf-8")
    (root / "more_beds.yaml").write_text(MORE_BEDS, encoding="utf-8")
    out = {k: root / k for k in ("icu", "ed", "cmp", "cmp_nolog")}
    assert main(["run", ICU, "--replications", "2", "--out", str(out["icu"]), "--format", "csv", "-q"]) == 0
    assert main(["run", str(root / "tiny_ed.yaml"), "--replications", "2", "--out", str(out["ed"]), "-q"]) == 0
    base, variant = str(root / "tiny_ed.yaml"), str(root / "more_beds.yaml")
    assert main(["compare", base, variant, "--replications", "2", "--log", "--out", str(out["cmp"]), "-q"]) == 0
    assert main(["compare", base, variant, "--replications", "2", "--out", str(out["cmp_nolog"]), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def reports(folders) -> dict[str, str]:
    texts = {}
    for key, folder in folders.items():
        path = write_report(folder)
        assert path == folder / "report.html"
        texts[key] = path.read_text(encoding="utf-8")
    return texts


def _specs(text: str) -> dict[str, dict]:
    found = re.findall(
        r'<script type="application/json" class="vega-spec" data-target="([\w-]+)">(.*?)</script>', text, flags=re.S
    )
    return {target: json.loads(body) for target, body in found}


@pytest.mark.parametrize(
    "key, charts",
    [
        ("icu", ["chart-census-week", "chart-census-timeline", "chart-waits"]),
        ("ed", ["chart-census-week", "chart-census-timeline", "chart-waits", "chart-ed-4h"]),
        ("cmp", ["chart-forest", "chart-census-week", "chart-census-timeline", "chart-waits", "chart-ed-4h"]),
        ("cmp_nolog", ["chart-forest", "chart-census-week", "chart-census-timeline"]),
    ],
)
def test_report_embeds_one_vega_lite_spec_per_chart(reports, key, charts):
    text = reports[key]
    specs = _specs(text)
    assert list(specs) == charts
    assert text.count('class="vega-spec"') == len(charts)
    for target, spec in specs.items():
        assert f'<div class="chart" id="{target}"' in text
        assert "vega-lite" in spec["$schema"]
        rows = sum(len(v) for v in spec.get("datasets", {}).values())
        assert 0 < rows < 20_000, (target, rows)


@pytest.mark.parametrize("key", ["icu", "ed", "cmp", "cmp_nolog"])
def test_report_is_self_contained(reports, folders, key):
    text = reports[key]
    assert text.startswith("<!DOCTYPE html>")
    assert "cdn.jsdelivr" not in text
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.I)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?https?:", text, flags=re.I)
    assert "window.vegaEmbed" in text  # the bundle is inlined
    assert (folders[key] / "report.html").stat().st_size < 5_000_000
    assert not [p for p in folders[key].iterdir() if p.name.endswith(".tmp")]


def test_report_sections_and_kpi_tables(reports):
    ed = reports["ed"]
    for section in ("glance", "kpis", "census", "waits", "ed", "model"):
        assert f'<section id="{section}">' in ed
    assert 'id="comparison"' not in ed
    assert ed.count('<table class="kpi">') == 2  # units and ALL, then the emergency department
    for metric in ("utilisation", "wait_for_bed_mean_h", "ed_4h_breach_share", "cancelled_share", "ratio_breach_hours"):
        assert METRIC_LABELS[metric][0] in ed
    assert "Within 4 hours of arrival" in ed
    assert re.search(r"left within 4 hours of arrival \(95% CI [\d.]+% – [\d.]+%\)", ed)
    for heading in ("1. Objectives", "2. Logic: units and beds", "4. Experimentation", "5. Implementation"):
        assert heading in ed
    icu = reports["icu"]
    assert 'id="ed"' not in icu
    assert ">WARD<" in icu and ">ICU<" in icu and ">ALL<" in icu


def test_report_comparison_section(reports):
    cmp = reports["cmp"]
    assert '<section id="comparison">' in cmp
    assert "Tiny ED, two more ward beds minus baseline" in cmp
    assert "units › WARD › beds: 12 → <strong>14</strong>" in cmp
    assert "The event log was not kept" not in cmp
    assert "The event log was not kept" in reports["cmp_nolog"]


def test_report_custom_path_and_errors(folders, tmp_path):
    target = tmp_path / "sub" / "r.html"
    assert write_report(folders["icu"], target) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(ReportError, match="no summary.csv"):
        build_report(tmp_path)
    with pytest.raises(ReportError, match="no such results folder"):
        build_report(tmp_path / "missing")


def test_report_takes_the_warmup_used_from_run_json(folders, tmp_path):
    """A warm-up chosen at run time (warmup_days: auto) is recorded in run.json; the report uses that."""
    import shutil

    copy = tmp_path / "ed"
    shutil.copytree(folders["ed"], copy)
    run = json.loads((copy / "run.json").read_text(encoding="utf-8"))
    run["warmup_days"] = 5.0
    (copy / "run.json").write_text(json.dumps(run), encoding="utf-8")
    text = build_report(copy)
    assert "5 days, to Sat 11 Jan 2025" in text  # the model description
    assert "after a 5-day warm-up" in text  # the header


def test_metric_labels_cover_every_metric():
    assert set(METRIC_LABELS) == set(METRICS)
    units = {"count", "share", "hours", "beds", "bed-hours", "bed-days", "places"}  # places: a lounge's chairs
    assert {u for _, u in METRIC_LABELS.values()} <= units


def test_format_value():
    assert format_value(0.8766, "share") == "87.7%"
    assert format_value(-0.012, "share", diff=True) == "-1.2 pp"
    assert format_value(3.0912, "hours") == "3.09 h"
    assert format_value(96878.5, "count") == "96,878"
    assert format_value(float("nan"), "beds") == "–"


@pytest.mark.parametrize("path", [ICU, str(REPO / "scenarios" / "baseline.yaml")])
def test_describe_scenario_mentions_every_unit_its_beds_and_stay(path):
    s = load_scenario(path)
    sections = describe_scenario(s, {"replications": 7, "seed": 99, "package_version": "9.9"})
    text = "\n".join(f"{h}\n{t}" for h, t in sections)
    units_table = dict(sections)["2. Logic: units and beds"]
    for name, unit in s.units.items():
        assert re.search(rf"\| \*\*{name}\*\* \| [^|]+ \| {unit.beds:,}( cubicles)? \|", units_table), name
        for cls in s.class_names():
            spec = s.stay_for(cls, name)
            if spec is not None:
                assert duration_text(spec.to_distribution().mean_h) in text, (name, cls)
    assert "| replications | 7 |" in text and "99" in text
    for a in s.arrivals:
        assert a.name.replace("_", "\\_") in text


def test_describe_differences_names_the_change():
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    more = load_scenario(REPO / "scenarios" / "whatif" / "more_icu_beds.yaml")
    text = describe_differences(base, more)
    assert "units › ICU › beds: 13 → **17**" in text
    assert describe_differences(base, base).startswith("- no change")


def test_describe_module_is_pure():
    """describe.py is reused by the app: no file access, no printing, no edge imports."""
    tree = ast.parse((REPO / "hospital_twin" / "reporting" / "describe.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not imported & {"pathlib", "os", "io", "yaml", "typer", "rich", "streamlit", "hospital_twin.scenario.io"}
    calls = {getattr(n.func, "id", None) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not calls & {"open", "print"}


# --------------------------------------------------------------------------- issue 13: outliers, lounges, LWBS
PRESSURED = """\
name: Tiny pressured hospital
start: 2025-01-06T00:00:00
horizon_days: 10
warmup_days: 2
replications: 2
seed: 5
units:
  ED:
    beds: 10
    kind: ed
    ed:
      clinicians: 2
      assessment: {distribution: gamma, mean_minutes: 20, cv: 0.5}
  MED:
    beds: 8
    max_outliers: 3
    outlying: {hosts: [SURG], after_hours: 1}
  SURG:
    beds: 8
    max_outliers: 3
    outlying: {hosts: [MED]}
arrivals:
  - name: walk_in
    unit: ED
    per_day: 40
    patience: {distribution: exponential, mean_hours: 2}
  - {name: surg_direct, unit: SURG, per_day: 2}
electives:
  - {name: hips, unit: SURG, per_weekday: [1, 1, 1, 1, 1, 0, 0], hour: 9, cancel_after_hours: 2,
     rebook_after_days: 7, max_rebookings: 1}
routes:
  ED: {exit: 0.85, MED: 0.15}
length_of_stay:
  ED: {distribution: lognormal, median_hours: 1.5, p90_hours: 4}
  MED: {distribution: lognormal, mean_days: 2, cv: 0.8}
  SURG: {distribution: lognormal, mean_days: 2, cv: 0.8}
discharge: {window_hours: [8, 20], day_of_week: [1, 1, 1, 1, 1, 0.6, 0.6]}
discharge_lounges:
  LOUNGE: {places: 3, time_there: {distribution: lognormal, median_hours: 2, p90_hours: 4}, hours: [8, 20]}
"""


@pytest.fixture(scope="module")
def pressured(tmp_path_factory) -> tuple[Path, str]:
    """A run of a tiny hospital with outlying both ways, ED patience, rebooking and a lounge: its folder and report."""
    root = tmp_path_factory.mktemp("pressured")
    (root / "p.yaml").write_text(PRESSURED, encoding="utf-8")
    assert main(["run", str(root / "p.yaml"), "--out", str(root / "out"), "-q", "--no-report"]) == 0
    return root / "out", build_report(root / "out")


def test_report_outliers_chart_by_host_and_home_unit(pressured):
    """The report has an Outliers section with one chart of outliers per host unit, split by home unit."""
    _, text = pressured
    assert '<section id="outliers">' in text and 'href="#outliers"' in text
    spec = _specs(text)["chart-outliers"]
    rows = [r for v in spec["datasets"].values() for r in v]
    assert {(r["host"], r["home"]) for r in rows} <= {("SURG", "MED"), ("MED", "SURG")}
    assert ("SURG", "MED") in {(r["host"], r["home"]) for r in rows}


def test_outliers_by_host_from_the_log_adds_up_to_the_hosted_kpi(pressured):
    """Outlier hours in each host from the event log's home_unit, over replications x measured hours, equal the
    simulator's outliers_hosted_mean for that host (two routes to one number)."""
    from hospital_twin.experiment.resultsdir import load_results
    from hospital_twin.reporting.figures import outliers_by_host

    folder = load_results(pressured[0])
    log = folder.log()
    assert "home_unit" in log.columns
    by_host = outliers_by_host(folder.summary, folder.scenarios, log).groupby("host")["outliers_mean"].sum()
    kpi = folder.summary[folder.summary["metric"] == "outliers_hosted_mean"].set_index("unit")["mean"]
    assert len(by_host) >= 1
    # the log's times are rounded to the second: each outlier stay moves by at most 1 s in the total
    n_stays = int(log["home_unit"].notna().sum())
    s = folder.baseline
    tol = n_stays / 3600 / (log["rep"].nunique() * (s.end_h - s.warmup_h))
    for host, value in by_host.items():
        assert value == pytest.approx(kpi[host], abs=tol)
    without_log = outliers_by_host(folder.summary, folder.scenarios).set_index("host")["outliers_mean"]
    assert without_log.to_dict() == pytest.approx(by_host.to_dict(), abs=tol)


def test_report_tables_and_words_for_outliers_lounges_lwbs_and_rebooking(pressured):
    """KPI rows, the lounge table and the STRESS-DES sections appear for a scenario that configures them."""
    _, text = pressured
    for metric in (
        "outlier_share",
        "outliers_hosted_mean",
        "left_without_being_seen_share",
        "elective_rebooked",
        "lounge_occupancy_mean",
        "unserved_share",
        "gridlocked_share",
    ):
        assert METRIC_LABELS[metric][0] in text, metric
    assert "<h4>Discharge lounges</h4>" in text and "3 places</span>" in text
    assert "2. Logic: outlying (patients placed on other units)" in text
    assert "leave without being seen when no clinician" in text
    assert "booked again 7 days after" in text
    assert "Discharge lounge LOUNGE: 3 places" in text
    assert "Sat 60%" in text  # the weekday rule


def test_report_without_those_features_has_no_outlier_chart_or_words(reports):
    """A scenario without outlying, lounges, patience or rebooking gets none of their sections, rows or outputs."""
    text = reports["ed"]
    assert 'id="outliers"' not in text and "chart-outliers" not in text
    assert "<h4>Discharge lounges</h4>" not in text
    assert "2. Logic: outlying" not in text and "without being seen" not in text.lower()
    for metric in ("outlier_share", "lounge_uses", "left_without_being_seen_share", "elective_rebooked"):
        assert METRIC_LABELS[metric][0] not in text, metric


def test_relevant_metrics_follow_the_configured_features():
    """The STRESS-DES outputs list the outlier, lounge, LWBS and rebooking measures only when configured.

    The baseline outlies; no_outlying.yaml is the baseline without any of these features (all three without the
    baseline's OPEL card, whose postponed electives are an elective measure of their own).
    """
    from hospital_twin.reporting.describe import relevant_metrics

    def load(name: str):
        return load_scenario(REPO / "scenarios" / name).model_copy(update={"escalation_levels": {}})

    plain = set(relevant_metrics(load("whatif/no_outlying.yaml")))
    outlying = set(relevant_metrics(load("baseline.yaml")))
    lounge = set(relevant_metrics(load("whatif/discharge_lounge.yaml")))
    new = {m for m in METRICS if m.startswith(("outlier", "repatriations", "lounge_", "left_without", "elective_"))}
    outliers = {m for m in new if m.startswith(("outlier", "repatriations"))}
    assert not plain & new
    assert outlying - plain == outliers
    assert lounge - plain == outliers | {m for m in new if m.startswith("lounge_")}
    assert {"unserved_share", "gridlock_hours", "gridlocked_share"} <= plain


def test_describe_differences_lists_pathway_changes_in_words():
    """The app's and report's 'what changes' give a pathway's capacity, places, assessment place and shares in
    words (P0 the rest), as validate and compare do, not as raw field paths."""
    from hospital_twin.scenario import load_scenario_text
    from tests.cli.test_cli_load import PATHWAYS

    base = load_scenario_text(PATHWAYS)
    more = load_scenario_text(
        PATHWAYS.replace("starts_per_day: 4, assessment", "starts_per_day: 6, assessment_in: community, assessment")
        .replace("places: 20", "places: 40")
        .replace("MED: {P1: 0.15,", "MED: {P1: 0.2,")
    )
    lines = describe_differences(base, more).splitlines()
    assert lines == [
        "- discharge pathways › P1: starts a day 4 → 6, assessment in hospital → community",
        "- discharge pathways › P2: places 20 → 40",
        "- discharge pathways › shares from MED: P1 0.15, P2 0.15, P3 0.05 (P0 0.65) → P1 0.2, P2 0.15, P3 0.05 "
        "(P0 0.6)",
    ]
