"""Experiments: replications of a scenario, what-if comparisons, warm-up, results folders.

- ``runner``: :func:`run_scenario` (replications through an executor, ``--precision``) -> :class:`RunResult`
- ``executors``: where replications run (serial, local processes, Dask)
- ``warmup``: MSER-5 warm-up from pilot runs
- ``runlength``: the default run of a scenario (its own horizon, warm-up, >= 5 replications) and the quick look
- ``comparison``: paired differences under common random numbers, ranking
- ``whatif``: :func:`compare_scenarios`, the baseline-and-variants use case the CLI and the app share
- ``resultsdir``: the results folder, written atomically and read back

Pure except ``resultsdir``, which writes and reads the folder.
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "RunResult": "hospital_twin.experiment.runner",
    "run_scenario": "hospital_twin.experiment.runner",
    "paired_differences": "hospital_twin.experiment.comparison",
    "make_executor": "hospital_twin.experiment.executors",
    "choose_warmup": "hospital_twin.experiment.runner",
    "write_results": "hospital_twin.experiment.resultsdir",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
