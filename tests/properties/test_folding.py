"""Folding closed stays into running totals during a run changes no result."""

from __future__ import annotations

import pandas as pd

from hospital_twin import results
from hospital_twin.experiment.runner import run_replication
from hospital_twin.scenario import load_scenario
from hospital_twin.sim import simulate
from tests.conftest import SCENARIOS


def test_folding_gives_the_same_tables_as_keeping_every_stay():
    """KPIs, census and ADT log are the same whether stays are folded daily, weekly or only at the end."""
    scn = load_scenario(SCENARIOS / "baseline.yaml").model_copy(update={"horizon_days": 45.0, "warmup_days": 10.0})
    out = simulate(scn, 1)
    whole = (results.rep_kpis(out), results.census(out), results.adt_log(out))
    for every_h in (24.0, 24.0 * 7):
        folded = run_replication(scn, 1, fold_every_h=every_h)
        pd.testing.assert_frame_equal(folded.kpis, whole[0], rtol=1e-9)
        pd.testing.assert_frame_equal(folded.census, whole[1])
        pd.testing.assert_frame_equal(folded.adt_log, whole[2])


def test_folding_keeps_only_open_stays_in_memory():
    """With a sink, the records left at the end are only the stays still open."""
    scn = load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml")
    from hospital_twin.sim.model import HospitalSim

    sim = HospitalSim(scn, 0)
    totals = results.StayTotals(scn, sim.unit_names, sim.class_names, sim._n_sources)
    sim._sink = totals
    out = sim.run()
    assert len(out.stays) < 60  # open stays only (beds: 38), not the ~1,200 of the run
    assert int(totals.admitted.sum()) > 1000
