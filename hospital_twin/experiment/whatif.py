"""What-if studies: a baseline and its variants run under common random numbers and compared in pairs.

:func:`compare_scenarios` is the one compare flow of the package; the ``compare`` verb, the
app's Compare page and the staffing loop's before/after all call it. Its steps:

1. the scenario names must differ (they key every table) and there must be at least two
   replications (a paired interval needs two);
2. one warm-up for all, the baseline's (chosen by MSER-5 when it is ``auto``), so that the
   paired differences are about the same days; variants with a number keep theirs;
3. every scenario runs replications ``0..n-1`` with the same seed, so replication ``r`` of
   each sees the same arrivals and patients (common random numbers);
4. the paired differences of each variant minus the baseline
   (:func:`hospital_twin.experiment.comparison.paired_differences`).

Pure: scenarios in, a :class:`WhatIf` of DataFrames out; no printing, no files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from hospital_twin.experiment.comparison import paired_differences
from hospital_twin.experiment.executors import Executor, make_executor
from hospital_twin.experiment.runner import RunResult, choose_warmup, run_scenario
from hospital_twin.scenario.schema import Scenario

__all__ = ["ComparisonError", "WhatIf", "common_warmup", "compare_scenarios"]


class ComparisonError(ValueError):
    """Scenarios that cannot be compared as given (repeated names, fewer than two replications)."""


@dataclass(frozen=True)
class WhatIf:
    """A baseline and its variants, run in pairs; ``results[0]`` is the baseline."""

    results: list[RunResult]
    comparison: pd.DataFrame
    """Paired differences, :data:`hospital_twin.experiment.comparison.COMPARISON_COLUMNS`."""
    kpis: pd.DataFrame
    """The KPIs the comparison was computed from, every scenario (``scenario, rep, metric, unit, value``)."""
    seed: int
    replications: int
    warmup_days: float | None = None
    """The common warm-up chosen by MSER-5 when a scenario said ``auto``; ``None`` when none did."""

    @property
    def baseline(self) -> RunResult:
        return self.results[0]


def _check(scenarios: Sequence[Scenario], n: int) -> None:
    if len(scenarios) < 2:
        raise ComparisonError("a comparison needs a baseline and at least one what-if")
    names = [s.name for s in scenarios]
    dupes = {x for x in names if names.count(x) > 1}
    if dupes:
        raise ComparisonError(f"scenario names must differ to be compared; repeated: {', '.join(sorted(dupes))}")
    if n < 2:
        raise ComparisonError("a paired interval needs at least 2 replications (use --replications)")


def common_warmup(scenarios: Sequence[Scenario], *, seed: int, workers: int = 1) -> float | None:
    """The warm-up every ``auto`` scenario gets: the baseline's (MSER-5 when it is ``auto`` too).

    ``None`` when no scenario says ``auto`` (each keeps its own number).
    """
    if not any(s.warmup_is_auto for s in scenarios):
        return None
    base = scenarios[0]
    if base.warmup_is_auto:
        return choose_warmup(base, seed=seed, workers=workers).warmup_days
    return float(base.warmup_days)


def compare_scenarios(
    scenarios: Sequence[Scenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    keep_census: bool = True,
    keep_log: bool = False,
    familywise: bool = True,
    kpis_of: Callable[[RunResult], pd.DataFrame] | None = None,
    on_warmup: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> WhatIf:
    """Run ``scenarios[0]`` (the baseline) and the what-ifs after it in pairs and compare them.

    ``replications`` and ``seed`` default to the baseline's. Replications run on ``executor``
    (or, without one, ``workers`` local processes); results do not depend on where.
    ``familywise`` widens the intervals by Bonferroni across the variants. ``kpis_of(result)``
    gives the KPIs a run contributes to the comparison (default: its own ``kpis``; the staffing
    loop adds nurse-hours). ``on_warmup(name)`` is called before a common warm-up is chosen,
    ``on_progress(k, done, n)`` as replications of scenario ``k`` finish.
    Raises :class:`ComparisonError` for scenarios that cannot be compared.
    """
    scenarios = list(scenarios)
    n = scenarios[0].replications if replications is None else int(replications)
    _check(scenarios, n)
    seed = scenarios[0].seed if seed is None else int(seed)
    warmup_days = None
    if any(s.warmup_is_auto for s in scenarios):
        if on_warmup is not None:
            on_warmup(scenarios[0].name)
        warmup_days = common_warmup(scenarios, seed=seed, workers=workers)
        scenarios = [s.with_warmup(warmup_days) if s.warmup_is_auto else s for s in scenarios]
    own = executor is None
    executor = make_executor(min(workers, n)) if executor is None else executor
    results: list[RunResult] = []
    try:
        for k, scn in enumerate(scenarios):
            progress = None if on_progress is None else (lambda done, total, k=k: on_progress(k, done, total))
            results.append(
                run_scenario(
                    scn,
                    replications=n,
                    seed=seed,
                    executor=executor,
                    keep_census=keep_census,
                    keep_log=keep_log,
                    on_progress=progress,
                )
            )
    finally:
        if own:
            executor.close()
    kpis = pd.concat([r.kpis if kpis_of is None else kpis_of(r) for r in results], ignore_index=True)
    comparison = paired_differences(kpis, results[0].name, familywise=familywise)
    return WhatIf(results=results, comparison=comparison, kpis=kpis, seed=seed, replications=n, warmup_days=warmup_days)
