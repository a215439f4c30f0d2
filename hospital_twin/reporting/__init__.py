"""Reports for people: self-contained HTML pages, charts and the model in words.

- ``html``: the offline page kit (style sheet, Vega JavaScript inlined, ``Page``, escaping, tables)
- ``figures``: the numbers for people (``format_value``) and the tidy tables the charts draw (pandas only)
- ``charts``: Altair chart builders shared by the pages, the CLI and the app
- ``results_report``: ``report.html`` of a results folder
- ``forecast_report``: ``forecast.html``
- ``calibration_report``: the calibration and back-test pages (with their own tables and charts)
- ``describe``: the scenario in words (STRESS-DES sections, what a what-if changes)
- ``quick_look``: a short run's bias against the full run, measured (main measures, Welch intervals, words)

This package reads results and draws them; it never simulates or fits. A results folder is read
through ``experiment.resultsdir``, which owns its format. No module here imports another module's
private (``_``) names; ``tests/test_layering.py`` checks it and lists the one exception left.
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "write_report": "hospital_twin.reporting.results_report",
    "build_report": "hospital_twin.reporting.results_report",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
