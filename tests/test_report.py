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
    assert {u for _, u in METRIC_LABELS.values()} <= {
        "count",
        "share",
        "hours",
        "beds",
        "bed-hours",
        "bed-days",
        "places",
    }


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
