"""hospital_twin: a discrete-event digital twin of hospital operations.

The public API: load a scenario, run it, read the tables.

>>> from hospital_twin import load_scenario, run_scenario
>>> result = run_scenario(load_scenario("scenarios/examples/single_ward.yaml"), replications=2)

The names below are imported on first use (PEP 562), so ``import hospital_twin`` and the
command line's start-up stay light; nothing is read or written at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hospital_twin._lazy import lazy_exports
from hospital_twin._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from hospital_twin.experiment.runner import RunResult, run_scenario
    from hospital_twin.scenario import Scenario, ScenarioError, load_scenario
    from hospital_twin.sim import HospitalSim, simulate

_LAZY = {
    "HospitalSim": "hospital_twin.sim.model",
    "RunResult": "hospital_twin.experiment.runner",
    "Scenario": "hospital_twin.scenario.schema",
    "ScenarioError": "hospital_twin.scenario.errors",
    "load_scenario": "hospital_twin.scenario.io",
    "run_scenario": "hospital_twin.experiment.runner",
    "simulate": "hospital_twin.sim.model",
}

__all__ = [
    "HospitalSim",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_scenario",
    "simulate",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
