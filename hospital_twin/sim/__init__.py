"""The SimPy simulation of one replication.

- ``calendar``: clock arithmetic (hour of week, arrival-rate table, discharge rule, shift table)
- ``model``: :class:`HospitalSim`, one replication on a SimPy environment
- ``records``: the raw records it produces (:class:`SimOutput`, :data:`STAY_FIELDS`) and :class:`InitialPatient`
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "HospitalSim": "hospital_twin.sim.model",
    "simulate": "hospital_twin.sim.model",
    "InitialPatient": "hospital_twin.sim.records",
    "STAY_FIELDS": "hospital_twin.sim.records",
    "SimOutput": "hospital_twin.sim.records",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
