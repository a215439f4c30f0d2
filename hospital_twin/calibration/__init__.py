"""Calibration: read event logs (ADT schema, MIMIC-IV, XES) and fit the scenario's inputs to them.

- ``adt``: reading logs into :class:`AdtRead` (every row accounted for), format detection (the only module
  that touches files)
- ``dates``: are the dates shifted per patient?
- ``stays``: the prepared stays table, censored samples, Kaplan-Meier
- ``significance``, ``families``, ``bootstrap``: the keep-this-effect rule, censored MLE of the stay
  families, the parametric-bootstrap p-value of a fit's distance D
- ``fit_stays``, ``fit_arrivals``, ``fit_routes``, ``fit_discharges``, ``fit_beds``, ``fit_ed``, ``fit_outliers``: one
  fitter each (``fit_outliers``: outlying from a log's ``home_unit``; ``fit_ed``: the clinician stage and patience)
- ``fit``: :func:`calibrate` runs every fitter -> :class:`Calibration`
- ``scenario_yaml``: the calibrated scenario as a dict and as YAML with its provenance
- ``quality``: how good a calibration is in words (good / usable / poor, and why), rejected rows as the user's
  file counts them
- ``pipeline``: log files -> checked scenario (:func:`calibrate_logs`), the simulated source, the back-test of a
  log (:func:`backtest_log`): what the command line and the app call
- ``backtest``: calibrate on the past, simulate what came next, compare

The names below are imported on first use (PEP 562). Inside the package, import from the defining module.
"""

from hospital_twin._lazy import lazy_exports

_ADT = "hospital_twin.calibration.adt"
_PIPELINE = "hospital_twin.calibration.pipeline"
_EXPORTS = {
    "AdtRead": _ADT,
    "CONTRACT_COLUMNS": _ADT,
    "FORMATS": _ADT,
    "LogError": _ADT,
    "MIMIC_ARRIVAL_SOURCE": _ADT,
    "MIMIC_DISCHARGE_DESTINATION": _ADT,
    "MIMIC_PATIENT_CLASS": _ADT,
    "MIMIC_UNIT_GROUPS": _ADT,
    "OPTIONAL_COLUMNS": _ADT,
    "REQUIRED_COLUMNS": _ADT,
    "SEPSIS_MAPPING": _ADT,
    "TIME_COLUMNS": _ADT,
    "XesAction": _ADT,
    "XesMapping": _ADT,
    "detect_format": _ADT,
    "read_adt": _ADT,
    "read_log": _ADT,
    "read_mimic_iv": _ADT,
    "read_xes": _ADT,
    "DatesCheck": "hospital_twin.calibration.dates",
    "check_dates": "hospital_twin.calibration.dates",
    "Calibration": "hospital_twin.calibration.fit",
    "calibrate": "hospital_twin.calibration.fit",
    "BacktestRun": _PIPELINE,
    "CalibrationError": _PIPELINE,
    "CalibrationRun": _PIPELINE,
    "NoStaysError": _PIPELINE,
    "backtest_log": _PIPELINE,
    "calibrate_logs": _PIPELINE,
    "calibrate_simulated": _PIPELINE,
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
