"""The unit-cost file: the shipped scenarios/costs.yaml reads, and a bad one is refused with file, line and field."""

from __future__ import annotations

import pytest

from hospital_twin.scenario import ScenarioError
from hospital_twin.scenario.io import read_costs
from tests.conftest import SCENARIOS


def test_costs_shipped_file_reads_with_a_rate_per_band():
    """scenarios/costs.yaml gives 1 WTE = 37.5 h, bank below agency, and grades not listed costed at the default."""
    c = read_costs(SCENARIOS / "costs.yaml")
    assert c.wte_hours_per_week == 37.5
    assert c.nurse_hour("Band 5") < c.nurse_hour("Band 6") < c.nurse_hour("Band 7")
    assert c.nurse_hour("Healthcare assistant") == c.nurse_hour_gbp["default"]
    assert c.nurse_hour("Band 5") < c.bank_nurse_hour_gbp < c.agency_nurse_hour_gbp
    assert c.bed_day_gbp < c.escalation_bed_day_gbp


def test_costs_bad_file_names_line_and_field(tmp_path):
    """A negative rate, a misspelt key and a missing default: each located by line and field."""
    p = tmp_path / "costs.yaml"
    p.write_text(
        "bed_day_gbp: -5\n"
        "escalation_bed_day: 500\n"
        "nurse_hour_gbp: {Band 5: 25}\n"
        "bank_nurse_hour_gbp: 28\n"
        "agency_nurse_hour_gbp: 45\n"
    )
    with pytest.raises(ScenarioError) as err:
        read_costs(p)
    got = {(i.line, i.field): i.message for i in err.value.issues}
    assert (1, "bed_day_gbp") in got
    assert "did you mean 'escalation_bed_day_gbp'" in got[(2, "escalation_bed_day")]
    assert any(
        i.file == str(p) and "escalation_bed_day_gbp" in i.field and "missing" in i.message for i in err.value.issues
    )
    p.write_text(
        "bed_day_gbp: 1\nescalation_bed_day_gbp: 1\nnurse_hour_gbp: {Band 5: 25}\n"
        "bank_nurse_hour_gbp: 1\nagency_nurse_hour_gbp: 1\n"
    )
    with pytest.raises(ScenarioError, match="default"):
        read_costs(p)
