"""Every shipped scenario validates and runs on a short horizon, with conservation holding."""

from __future__ import annotations

import pytest

from hospital_twin.experiment.runner import run_replication
from hospital_twin.scenario import load_scenario
from tests.conftest import NOT_SCENARIOS, SCENARIOS

# scenarios/staff/ holds roster inputs (rules.yaml), validated by tests/roster/test_io.py
FILES = sorted(p for p in SCENARIOS.rglob("*.yaml") if p.relative_to(SCENARIOS).parts[0] not in NOT_SCENARIOS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_runs_short(path):
    """Loads, runs 21 days (7 of them warm-up), and every unit's and the hospital's counts reconcile."""
    scn = load_scenario(path).model_copy(update={"horizon_days": 14.0, "warmup_days": 7.0})
    rep = run_replication(scn, 0)
    k = rep.kpis.pivot_table(index="unit", columns="metric", values="value")
    k = k.loc[[*scn.units, "ALL"]]  # not the rows of a discharge lounge (its places are not beds)
    cancelled = k["cancelled"].fillna(0) if "cancelled" in k else 0
    assert (k["arrivals"] == k["admitted"] + k["rejected"] + k["still_waiting"] + cancelled).all()
    assert (rep.census["occupied"] >= 0).all()
    assert k.loc["ALL", "arrivals"] > 0
    assert set(rep.adt_log["unit"].unique()) <= set(scn.units)
