"""The SimPy simulation of one replication."""

from hospital_twin.sim.model import STAY_FIELDS, HospitalSim, SimOutput, simulate

__all__ = ["HospitalSim", "SimOutput", "STAY_FIELDS", "simulate"]
