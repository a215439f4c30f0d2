"""Calibration: read event logs (ADT schema, MIMIC-IV, XES) and fit the scenario's inputs to them."""

from hospital_twin.calibration.adt import (
    CONTRACT_COLUMNS,
    MIMIC_ARRIVAL_SOURCE,
    MIMIC_DISCHARGE_DESTINATION,
    MIMIC_PATIENT_CLASS,
    MIMIC_UNIT_GROUPS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SEPSIS_MAPPING,
    TIME_COLUMNS,
    AdtRead,
    LogError,
    XesAction,
    XesMapping,
    read_adt,
    read_mimic_iv,
    read_xes,
)

__all__ = [
    "AdtRead",
    "CONTRACT_COLUMNS",
    "LogError",
    "MIMIC_ARRIVAL_SOURCE",
    "MIMIC_DISCHARGE_DESTINATION",
    "MIMIC_PATIENT_CLASS",
    "MIMIC_UNIT_GROUPS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEPSIS_MAPPING",
    "TIME_COLUMNS",
    "XesAction",
    "XesMapping",
    "read_adt",
    "read_mimic_iv",
    "read_xes",
]
