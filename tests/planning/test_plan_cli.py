"""The plan-capacity verb: the plan's three files, and exit status 2 with a clear message for bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hospital_twin.cli import main

SCENARIO = """\
name: One ward
start: 2025-01-06T00:00:00
horizon_days: 40
warmup_days: 5
replications: 5
seed: 3
units:
  WARD: {beds: 4, when_full: queue}
arrivals:
  - {name: adm, unit: WARD, per_day: 15.0}
length_of_stay:
  WARD: {distribution: exponential, mean_hours: 4}
"""


@pytest.fixture
def scenario_file(tmp_path):
    f = tmp_path / "ward.yaml"
    f.write_text(SCENARIO, encoding="utf-8")
    return f


def test_plan_cli_writes_csv_json_and_html(scenario_file, tmp_path, capsys):
    """A plan run exits 0 and writes every candidate (csv), the answer (json) and a page with a chart (html)."""
    out = tmp_path / "plan"
    args = ["plan-capacity", str(scenario_file), "--lever", "WARD.beds=3..9", "--target", "WARD.waited_share<=0.2"]
    args += ["--cost", "WARD.beds=164250", "--replications", "3", "--max-replications", "12", "--out", str(out)]
    assert main([*args, "--workers", "1"]) == 0
    answer = json.loads((out / "plan.json").read_text())
    assert answer["chosen"]["levers"] == {"WARD.beds": 5}  # Erlang C(5, 2.5) = 0.13, C(4, 2.5) = 0.32
    table = pd.read_csv(out / "plan.csv")
    assert {"WARD.beds", "cost_per_year", "replications", "WARD.waited_share high", "verdict", "why"} <= set(table)
    assert table["chosen"].sum() == 1
    page = (out / "plan.html").read_text()
    assert "<svg" in page and "cheapest combination" in page
    assert "WARD.beds = 5" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--lever", "WARD.bedz=3..9", "--target", "WARD.waited_share<=0.2"], ["WARD.bedz", "integer keys: beds"]),
        (["--lever", "WARD.beds=3..9", "--target", "WARD.waitd<=0.2"], ["no metric 'waitd'"]),
        (["--lever", "WARD.beds=3..9", "--target", "WARD.waited_share<=0.2"], ["no rate", "--cost WARD.beds="]),
    ],
)
def test_plan_cli_bad_input_exits_2_without_a_traceback(scenario_file, tmp_path, capsys, extra, words):
    """A bad lever, target or a lever without a cost exits 2 with the reason and no traceback."""
    assert main(["plan-capacity", str(scenario_file), *extra, "--out", str(tmp_path / "p"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in " ".join(err.split())
