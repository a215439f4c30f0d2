"""The shipped baseline's discharge pathways (issue 14) have room for the demand the traffic equations send them."""

from __future__ import annotations

from pathlib import Path

from hospital_twin.scenario.io import load_scenario
from hospital_twin.scenario.load import offered_load

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def _pathway_demand_per_day(s) -> dict[str, float]:
    """Patients a day taking each pathway: per unit and class, arrivals x P(leaving the hospital) x share."""
    demand = dict.fromkeys(s.discharge_pathways, 0.0)
    for u in offered_load(s).units:
        for c in u.classes:
            for k, share in s.pathway_shares_for(c.patient_class).get(u.unit, {}).items():
                if k in demand:
                    demand[k] += c.arrivals_per_day * c.home_share * share
    return demand


def test_baseline_pathway_capacity_exceeds_its_demand_with_a_margin():
    """Each daily pathway starts more patients a week than it is sent (utilisation 0.6-0.9) and the P2 pool's
    offered load (patients a day x mean stay) is under 0.9 of its places: the NCTR queues are stable, so a year's
    run cannot build NCTR without bound (a P3 capacity below its demand did, while the baseline was tuned)."""
    s = load_scenario(BASELINE)
    assert set(s.discharge_pathways) == {"P1", "P2", "P3"}
    demand = _pathway_demand_per_day(s)
    for name, spec in s.discharge_pathways.items():
        assert demand[name] > 0, name
        if spec.kind == "daily":
            rho = 7 * demand[name] / sum(spec.starts_week())
        else:
            rho = demand[name] * spec.stay.mean_days / spec.places
        assert 0.6 < rho < 0.9, (name, round(demand[name], 2), round(rho, 3))
