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
    """validate of the shipped baseline prints each unit's offered load with its Erlang figures, no warning for the
    AMU (its wards' warnings, under 2 beds each, are tested in tests/scenario/test_load.py)."""
    assert main(["validate", str(SCENARIOS / "baseline.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Offered load per unit" in out
    amu = next(line for line in out.splitlines() if line.startswith("AMU "))
    assert re.search(r"52\s+63\.2\s+17\.4\s+4\.2\s+45\.9\s+0\.88\s+wait 28\.8%\s+0\.83", amu), amu
    assert not [w for w in out.splitlines() if w.startswith("warning: AMU")]


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


PATHWAYS = """\
name: pathways draft
start: 2025-01-06T00:00:00
horizon_days: 21
warmup_days: 7
replications: 2
seed: 3
units:
  AMU: {beds: 40}
  MED: {beds: 120, when_full: queue}
arrivals:
  - {name: gp, unit: AMU, per_day: 30}
routes:
  AMU: {MED: 0.6, exit: 0.4}
length_of_stay:
  AMU: {distribution: exponential, mean_hours: 24}
  MED: {distribution: gamma, mean_days: 5, cv: 1}
discharge:
  window_hours: [8, 20]
discharge_pathways:
  P1: {label: home with support, starts_per_day: 4, assessment: {distribution: fixed, mean_hours: 24}}
  P2: {label: community beds, places: 20, stay: {distribution: exponential, mean_days: 6}}
  P3: {label: care home, starts_by_weekday: [1, 1, 1, 1, 1, 0, 0]}
pathway_shares:
  MED: {P1: 0.15, P2: 0.15, P3: 0.05}
"""
"""A draft with the three kinds of discharge pathway: P1 and P2 below capacity, P3 (0.9 a day for 5 starts a week)
overloaded."""


def test_cli_validate_prints_the_pathway_table_and_warns_on_an_overloaded_pathway(tmp_path, capsys):
    """validate prints a row per pathway (demand and capacity a day, use, wait, NCTR delay and beds), each
    pathway's service, and the overloaded P3 and the unit it fills without bound as warnings; exit 0."""
    path = tmp_path / "pathways.yaml"
    path.write_text(PATHWAYS)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Discharge pathways" in out
    # P2: 30 x 0.6 x 0.15 = 2.7 a day for 20 places x 24 / 144 h = 3.3 a day, 81%
    p2 = next(line for line in out.splitlines() if line.startswith("P2 "))
    assert re.search(r"P2\s+2\.7\s+3\.3\s+81%", p2), p2
    p3 = next(line for line in out.splitlines() if line.startswith("P3 "))
    assert re.search(r"P3\s+0\.9\s+0\.7\s+126%\s+∞\s+∞\s+∞", p3), p3
    text = " ".join(out.split())
    assert "P1 (home with support): 4 a day at 11:00; assessment 24 h in the bed" in text
    assert "P2 (community beds): 20 places, 6.0 d each (16.2 in use)" in text
    assert "warning: P3 is overloaded: 0.9 ready patients a day for 0.7 starts a day; NCTR on it grows" in text
    assert "warning: MED: its load grows without bound: its patients ready to leave wait in their beds for P3" in text
