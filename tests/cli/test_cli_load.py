"""The offered load in the terminal: validate's table and overload warnings, run's and compare's points to note."""

from __future__ import annotations

import re

from hospital_twin.cli import main
from tests.conftest import SCENARIOS

DRAFT = """\
name: first draft
start: 2025-01-06T00:00:00
horizon_days: 10
warmup_days: 2
replications: 2
seed: 3
units:
  AMU: {beds: 32}
  WARD: {beds: 0, when_full: reject}
arrivals:
  - {name: gp, unit: AMU, per_day: 48}
routes:
  AMU: {WARD: 0.75, exit: 0.25}
length_of_stay:
  AMU: {distribution: exponential, mean_hours: 19}
  WARD: {distribution: exponential, mean_hours: 24}
"""


def _draft(tmp_path):
    path = tmp_path / "draft.yaml"
    path.write_text(DRAFT)
    return path


def test_cli_validate_baseline_prints_offered_load_and_erlang(capsys):
    """validate of the shipped baseline prints each unit's offered load with its Erlang figures, no warning."""
    assert main(["validate", str(SCENARIOS / "baseline.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Offered load per unit" in out
    amu = next(line for line in out.splitlines() if line.startswith("AMU "))
    assert re.search(r"54\s+63\.2\s+17\.4\s+4\.2\s+45\.9\s+0\.85\s+wait 17\.6%\s+0\.38", amu), amu
    assert "warning" not in out


def test_cli_validate_warns_on_overload_and_exits_zero(tmp_path, capsys):
    """An AMU offered 38 beds for 32 and a unit with 0 beds receiving patients are said, by how much; exit 0."""
    assert main(["validate", str(_draft(tmp_path))]) == 0
    out = capsys.readouterr().out
    text = " ".join(out.split())
    assert "AMU: overloaded by 6.0 beds (load 38.0 for 32 beds)" in text
    assert (
        "WARD: overloaded by 36.0 beds (load 36.0 for 0 beds): it has no beds but receives 36.0 patients a day" in text
    )


def test_cli_run_prints_points_to_note_with_the_overload(tmp_path, capsys):
    """run prints the report's points to note in the terminal, the overload warnings first."""
    out_dir = tmp_path / "res"
    assert main(["run", str(_draft(tmp_path)), "--out", str(out_dir), "--no-report", "--no-log"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Points to note (first draft)" in out
    assert "AMU: overloaded by 6.0 beds (load 38.0 for 32 beds)" in out
    assert "Full at least 5% of the time" in out


def test_cli_compare_prints_points_to_note(tmp_path, capsys):
    """compare prints the points to note of every scenario."""
    draft = _draft(tmp_path)
    more = tmp_path / "more.yaml"
    more.write_text(f"extends: {draft.name}\nname: more beds\nunits:\n  AMU: {{beds: 50}}\n  WARD: {{beds: 60}}\n")
    args = ["compare", str(draft), str(more), "--out", str(tmp_path / "cmp"), "--no-report", "--workers", "1"]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Points to note (first draft)" in out and "AMU: overloaded by 6.0 beds" in out
