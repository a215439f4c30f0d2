"""Capacity planning: the least capacity that meets the targets, with stated confidence.

- ``lever``: :class:`Lever`, an integer key of the scenario and its range (``MED.beds=140..170``)
- ``target``: :class:`Target`, a bound on a metric of ``results.METRICS`` with a confidence
- ``feasibility``: the sequential feasibility check of one candidate (one-sided t-bounds per look)
- ``search``: the monotone coarse-to-fine search over the lever grid, and the exhaustive one
- ``plan``: :func:`plan_capacity`, the use case (common random numbers, confirmation, marginal values)

Pure: scenarios and settings in, a :class:`Plan` of tables out (files: ``reporting.plan_report``).
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "Lever": "hospital_twin.planning.lever",
    "parse_lever": "hospital_twin.planning.lever",
    "Target": "hospital_twin.planning.target",
    "parse_target": "hospital_twin.planning.target",
    "Plan": "hospital_twin.planning.plan",
    "PlanSettings": "hospital_twin.planning.plan",
    "plan_capacity": "hospital_twin.planning.plan",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
