"""How long and how often to simulate by default, and what a shorter "quick look" is.

The default run of a scenario is the run its file asks for: ``horizon_days`` measured
after ``warmup_days``, with at least :data:`MIN_REPLICATIONS` replications so that every
figure has a 95% interval. Anything shorter is biased, not merely less precise: a stay
is counted when the patient leaves, so a short window misses the long stays (a 28-day
window after a 28-day warm-up cannot see a stay longer than 56 days), and a hospital
that started empty is still filling. ``reporting.quick_look`` measures by how much.

A scenario with ``warmup_days: auto`` lets the run choose its warm-up (MSER-5 on pilot
runs, :mod:`experiment.warmup`); where a number is needed before any run (a form's
default), :func:`default_run_length` gives the rule of thumb of that module's pilot:
four times the longest mean spell in hospital, at least :data:`MIN_WARMUP_DAYS`, rounded
up to whole weeks.

Pure: scenarios in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hospital_twin.experiment.warmup import SPELL_FACTOR, longest_mean_spell_h
from hospital_twin.scenario.schema import Scenario

MIN_REPLICATIONS = 5
"""Fewest replications of a default run: fewer give 95% intervals too wide to read (t(0.975, 4) = 2.8)."""
MIN_WARMUP_DAYS = 28
"""Shortest warm-up offered for a ``warmup_days: auto`` scenario before its run chooses one."""
QUICK_LOOK_DAYS = 28
"""Days measured by a quick look: answers in seconds, figures biased (``reporting.quick_look``)."""
QUICK_LOOK_REPLICATIONS = 5


@dataclass(frozen=True)
class RunLength:
    """Days measured (``horizon_days``) after ``warmup_days`` days thrown away, ``replications`` times."""

    horizon_days: int
    warmup_days: int
    replications: int


def default_warmup_days(scenario: Scenario) -> int:
    """The scenario's own warm-up in whole days; for ``auto``, 4 x the longest mean spell (at least 28 days),
    rounded up to whole weeks."""
    if not scenario.warmup_is_auto:
        return int(math.ceil(float(scenario.warmup_days) - 1e-9))
    days = max(MIN_WARMUP_DAYS, SPELL_FACTOR * longest_mean_spell_h(scenario) / 24.0)
    return int(7 * math.ceil(days / 7 - 1e-9))


def default_run_length(scenario: Scenario) -> RunLength:
    """The run a scenario asks for: its horizon, its warm-up, its replications (at least 5)."""
    return RunLength(
        horizon_days=int(math.ceil(float(scenario.horizon_days) - 1e-9)),
        warmup_days=default_warmup_days(scenario),
        replications=max(int(scenario.replications), MIN_REPLICATIONS),
    )


def quick_look(scenario: Scenario) -> RunLength:
    """28 days after the default warm-up, 5 replications: seconds, and biased (``reporting.quick_look``)."""
    full = default_run_length(scenario)
    return RunLength(
        horizon_days=min(QUICK_LOOK_DAYS, full.horizon_days),
        warmup_days=full.warmup_days,
        replications=QUICK_LOOK_REPLICATIONS,
    )
