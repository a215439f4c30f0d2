"""Located errors for the discharge pathway keys beyond the bad-input table: a class's own shares and a pathway
named P0. The table's cases are tests/scenario/bad_inputs/9*_pathway_*."""

from __future__ import annotations

import pytest

from hospital_twin.cli import main
from hospital_twin.scenario import ScenarioError, load_scenario

BASE = """\
name: pathways
start: 2025-01-06T00:00:00
horizon_days: 14
units:
  MED: {beds: 30}
arrivals:
  - {name: a, unit: MED, per_day: 5, patient_class: general}
length_of_stay:
  MED: {distribution: exponential, mean_days: 5}
patient_classes:
  general: {}
  frail:
    pathway_shares:
      MED: {P1: 0.3, P9: 0.1}
discharge_pathways:
  P1: {starts_per_day: 2}
"""


def test_a_class_share_naming_an_unknown_pathway_is_located_at_its_line(tmp_path):
    """patient_classes.frail.pathway_shares.MED.P9: file, line 14 and field, and what to do; validate exits 2."""
    path = tmp_path / "s.yaml"
    path.write_text(BASE)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.field) == (14, "patient_classes.frail.pathway_shares.MED.P9")
    assert "unknown discharge pathway 'P9'" in issue.message and "define it under discharge_pathways" in issue.message
    assert main(["validate", str(path)]) == 2


def test_a_pathway_named_p0_is_refused_with_why(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("{P1: 0.3, P9: 0.1}", "{P0: 1}").replace("P1: {starts", "P0: {starts"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert issue.field == "discharge_pathways.P0" and issue.line == 16
    assert "P0 is home without support" in issue.message and "a name of its own" in issue.message


@pytest.mark.parametrize("name", ["home", "Transferred_out", "left_without_being_seen"])
def test_a_pathway_named_like_a_log_destination_is_refused(tmp_path, name):
    """The event log writes these for patients without a pathway: a pathway of that name would merge with them."""
    path = tmp_path / "s.yaml"
    path.write_text(BASE.replace("{P1: 0.3, P9: 0.1}", "{}").replace("P1: {starts", f"{name}: {{starts"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert issue.field == f"discharge_pathways.{name}"
    assert "the event log writes" in issue.message
