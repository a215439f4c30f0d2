"""The live twin: census snapshots, warm-started forecasts and their back-test.

- ``census``: a snapshot from an event log (:func:`census_at`), reading and checking snapshot files
- ``forecast``: replications started from a snapshot (:func:`forecast`), ``forecast.csv``
- ``backtest``: the forecaster scored against a simulated truth
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "census_at": "hospital_twin.live.census",
    "read_census": "hospital_twin.live.census",
    "forecast": "hospital_twin.live.forecast",
    "forecast_table": "hospital_twin.live.forecast",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
