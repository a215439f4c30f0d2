"""hospital_twin: a discrete-event digital twin of hospital operations.

The public API: load a scenario, run it, read the tables.

>>> from hospital_twin import load_scenario, run_scenario
>>> result = run_scenario(load_scenario("scenarios/examples/single_ward.yaml"), replications=2)
"""

__version__ = "0.1.0"

from hospital_twin.experiment import RunResult, run_scenario  # noqa: E402
from hospital_twin.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from hospital_twin.sim import HospitalSim, simulate  # noqa: E402

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
