"""The run/compare terminal table at the widths of logs and CI (80) and of a wide terminal (120) (issue 12, point 9)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import hospital_twin.cli.simulate as simulate
from hospital_twin.experiment.executors import SerialExecutor
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.scenario import load_scenario_text

REJECTING = """name: rejecting ICU
start: 2025-01-06T00:00:00
horizon_days: 10
replications: 2
units:
  ICU_cardiothoracic: {beds: 3, when_full: reject}
  WARD_general_medicine: {beds: 12}
arrivals:
  - {name: a, unit: ICU_cardiothoracic, per_day: 2}
  - {name: b, unit: WARD_general_medicine, per_day: 3}
routes:
  ICU_cardiothoracic: {WARD_general_medicine: 0.5, exit: 0.5}
length_of_stay:
  ICU_cardiothoracic: {distribution: exponential, mean_hours: 48}
  WARD_general_medicine: {distribution: exponential, mean_hours: 72}
"""


@pytest.fixture(scope="module")
def result():
    return run_scenario(load_scenario_text(REJECTING), executor=SerialExecutor())


def _printed(result, monkeypatch, width: int) -> str:
    buf = io.StringIO()
    monkeypatch.setattr(simulate, "out_console", Console(file=buf, width=width, color_system=None))
    simulate.print_summary(result)
    return buf.getvalue()


def _row(text: str, unit: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"│ {unit} "))
    return [c.strip() for c in line.strip("│").split("│")]


def test_table_at_80_columns_keeps_unit_names_and_beds_and_says_what_it_left_out(result, monkeypatch):
    """At 80 columns with a rejecting unit the names and beds are whole, occupancy, wait and the share turned
    away stay, and a note names the columns left out and where to see them."""
    text = _printed(result, monkeypatch, 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert _row(text, "ICU_cardiothoracic")[:2] == ["ICU_cardiothoracic", "3"]
    assert _row(text, "WARD_general_medicine")[:2] == ["WARD_general_medicine", "12"]
    assert _row(text, "ALL")[1] == "15"
    header = next(line for line in text.splitlines() if "occupied" in line)
    assert all(label in header for label in ("unit", "beds", "occupied", "wait h", "turned away"))
    assert "blocked bed-h" not in header and "stay h" not in header
    assert "not shown at 80 columns: blocked bed-h, stay h" in text and "summary.csv" in text


def test_table_at_120_columns_shows_every_column_and_no_note(result, monkeypatch):
    text = _printed(result, monkeypatch, 120)
    header = next(line for line in text.splitlines() if "occupied" in line)
    for label in ("unit", "beds", "occupied", "util.", "waited", "wait h", "stay h", "turned away", "blocked bed-h"):
        assert label in header
    assert _row(text, "ICU_cardiothoracic")[:2] == ["ICU_cardiothoracic", "3"]
    assert "not shown" not in text
