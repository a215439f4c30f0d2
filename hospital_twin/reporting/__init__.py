"""Reports for people: self-contained HTML pages, charts and the model in words.

- ``html``: the offline page kit (Vega inlined, tables, sections), atomic writes of a page
- ``charts``: Altair chart builders shared by every page and by the app
- ``results_report``: ``report.html`` of a results folder
- ``forecast_report``: ``forecast.html``
- ``calibration_report``: the calibration and back-test pages
- ``describe``: the scenario in words (STRESS-DES sections, what a what-if changes)

This package reads results and draws them; it never simulates or fits.
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "write_report": "hospital_twin.reporting.results_report",
    "build_report": "hospital_twin.reporting.results_report",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
