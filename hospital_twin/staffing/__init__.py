"""Staffing: nurse levels from simulated demand and the closed loop through a roster.

- ``levels``: workload, the sample-average approximation on CP-SAT, quantile rules, requirements
- ``loop``: :func:`plan_levels` (the one staffing plan the CLI and the app share), roster, feed back, compare
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "staffing_levels": "hospital_twin.staffing.levels",
    "requirements": "hospital_twin.staffing.levels",
    "plan_levels": "hospital_twin.staffing.loop",
    "closed_loop": "hospital_twin.staffing.loop",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
