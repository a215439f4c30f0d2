"""Each flow the command line and the app share is one package function: the edges never rebuild one.

The building blocks of a flow (pairing replications, planning staffing levels, fitting a log,
re-timing a scenario for a roster period) are called only inside the package; ``cli/`` and
``app/`` call the use case that assembles them (``compare_scenarios``, ``staffing_plan``,
``roster_for_plan``, ``closed_loop``, ``calibrate_logs``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EDGES = sorted([*(REPO / "hospital_twin" / "cli").glob("*.py"), *(REPO / "app").rglob("*.py")])

BUILDING_BLOCKS = {
    "paired_differences": "compare_scenarios (experiment/whatif.py)",
    "staffing_levels": "staffing_plan (staffing/loop.py)",
    "workload": "staffing_plan (staffing/loop.py)",
    "need_samples": "staffing_plan (staffing/loop.py)",
    "plan_levels": "staffing_plan (staffing/loop.py)",
    "period_scenario": "staffing_plan or closed_loop (staffing/loop.py)",
    "requirements": "staffing_plan / roster_for_plan (staffing/loop.py)",
    "common_warmup": "compare_scenarios (experiment/whatif.py)",
    "check_dates": "calibrate_logs (calibration/pipeline.py)",
    "scenario_yaml": "calibrate_logs (calibration/pipeline.py)",
    "combine_reads": "calibrate_logs (calibration/pipeline.py)",
    "simulated_log": "calibrate_simulated (calibration/pipeline.py)",
    "monotone_search": "plan_capacity (planning/plan.py)",
    "exhaustive_search": "plan_capacity (planning/plan.py)",
    "check_target": "plan_capacity (planning/plan.py)",
}


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return names


@pytest.mark.parametrize("path", EDGES, ids=lambda p: str(p.relative_to(REPO)))
def test_use_cases_edges_call_no_building_block_of_a_flow(path):
    """A CLI verb or an app page/worker calls the use case, not the steps inside it."""
    bad = {name: use for name, use in BUILDING_BLOCKS.items() if name in _calls(path)}
    assert not bad, f"{path.relative_to(REPO)} rebuilds a flow: " + "; ".join(
        f"{name}() -> call {use}" for name, use in bad.items()
    )


def test_use_cases_app_worker_dispatches_typed_jobs():
    """The worker's handlers are keyed by the job dataclasses, one handler per kind of job."""
    import sys

    sys.path.insert(0, str(REPO / "app"))
    try:
        import job_specs
        import worker
    finally:
        sys.path.remove(str(REPO / "app"))
    assert set(worker.HANDLERS) == set(job_specs.KINDS.values())
