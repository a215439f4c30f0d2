"""Choosing the warm-up: MSER-5 on the mean census of pilot replications.

A run that starts with an empty hospital spends its first days filling the beds; KPIs
measured then are biased low (occupancy, waits, blocking). The warm-up is the time
left out of every KPI. This module chooses it by MSER-5 (White 1997; White, Cobb &
Spratt 2000), which Hoad, Robinson & Davies (2010) recommend for automation after
comparing the published warm-up methods: it needs no parameters from the user.

MSER-5
------
Cut the output series ``y_1..y_n`` into ``k = n // 5`` batches of 5 observations (a
trailing partial batch is dropped) with means ``z_1..z_k``. For each candidate
truncation ``d`` (batches) the statistic is

    MSER(d) = 1 / (k - d)^2 * sum_{j > d} (z_j - mean(z_{d+1..k}))^2,

the squared standard error of the truncated mean: deleting early batches lowers it
while they are biased (they inflate the spread) and raises it once they are not (fewer
batches left). The warm-up is ``5 d*`` observations with ``d* = argmin MSER(d)``.
Candidates are restricted to the first ``max_fraction`` (default half) of the batches:
near the end of the series the statistic is computed from a handful of batches and
falls spuriously. A minimum at (or within 5% of) that boundary means the series has
not settled within the run: the result is flagged ``inconclusive`` - run longer.

How :func:`choose_warmup` applies it
------------------------------------
It runs ``pilot_replications`` pilot replications starting empty (warm-up 0), takes the
hourly census of every unit, averages it across replications (the usual practice: the
mean series has less noise and the same transient), and applies MSER-5 to the
hospital-wide inpatient census (``ALL``: every unit that is not an emergency
department, as in the KPIs) and to each unit's census separately. The warm-up is the
largest of these truncation points, rounded up to whole days, so that no unit is still
filling when measurement starts (a downstream ward fills more slowly than the hospital
total suggests). Each series' own choice is recorded.

Default pilot: 5 replications (a usual pilot size; more make the mean series smoother) of
``max(horizon_days + numeric warmup_days, 4 x the longest mean spell, 60)`` days, where
the mean spell is the expected time from entering the hospital to leaving it along the
routes of the patient class with the longest one (from the mean stays; discharge holds
and queueing come on top). Why: the mean census of a unit that is never full
approaches steady state as the stationary-excess distribution of the stay, which for
an exponential stay is within 2% after 4 means; queues and blocking make it slower,
and MSER only searches the first half of the pilot, so the pilot must be several warm-
ups long. The production horizon is the natural pilot length (the truncated mean then
rests on as much data as the real run) and the model simulates a year of a 450-bed
hospital in about 1.5 s, so it is used whenever it is longer; 60 days is the floor for
short scenarios. A pilot that is still too short shows up as ``inconclusive``.

The pilot uses the scenario's seed unless told otherwise, so its replications follow the
same sample paths as the first replications of the real run (the warm-up only moves the
KPI window); pass another ``seed`` for an independent pilot.

What to expect
--------------
MSER stops once the remaining bias is small next to the noise of the mean series, and
its big errors are on the long side. When the steady-state mean series wanders (a census
driven by stays of days, a unit that is nearly always full), its statistic is flat
over a wide range of truncation points and the minimum can land weeks after the
transient has gone; taking the largest choice over the units adds to that. A warm-up
that is too long costs simulated time only, not precision: ``horizon_days`` is
measured after the warm-up. MSER assumes the series after the warm-up is stationary
apart from short (daily, weekly) cycles: dated multipliers or capacity changes early in
the run are not an initial transient, and a what-if compared with its baseline should
use the baseline's warm-up, so that both are measured over the same window.

When no warm-up is needed
-------------------------
A run started from today's census (the forecast, future work) starts in a realistic
state, not an empty one: there is no initial transient to discard, and its warm-up is
zero. A run started empty, as every scenario here is, always needs one.

Everything here is pure: arrays and scenarios in, objects out; no printing, no files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hospital_twin._lazy import lazy_module
from hospital_twin.results import ALL
from hospital_twin.scenario.schema import Scenario

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    import pandas as pd
else:
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "BATCH_SIZE",
    "BOUNDARY_SHARE",
    "MIN_PILOT_DAYS",
    "SPELL_FACTOR",
    "MserResult",
    "WarmupChoice",
    "default_pilot_days",
    "longest_mean_spell_h",
    "mean_census",
    "mser",
    "mser5",
    "warmup_from_census",
]

BATCH_SIZE = 5
"""Observations per batch in MSER-5."""

BOUNDARY_SHARE = 0.05
"""A minimum in the last 5% of the candidate truncation points counts as at the boundary."""

MIN_PILOT_DAYS = 60.0
"""Shortest default pilot."""

SPELL_FACTOR = 4.0
"""Default pilot is at least this many longest mean spells."""


# --------------------------------------------------------------------------- MSER
@dataclass(frozen=True)
class MserResult:
    """MSER-``batch_size`` applied to one series.

    ``truncation`` is in observations (``batch_size * d_star``): keep ``series[truncation:]``.
    ``statistic[d]`` is MSER(d) for ``d = 0..d_max`` batches truncated.
    """

    truncation: int
    d_star: int
    d_max: int
    batch_size: int
    n_obs: int
    statistic: np.ndarray = field(repr=False)
    inconclusive: bool
    truncated_mean: float

    @property
    def candidates(self) -> np.ndarray:
        """Truncation points (observations) at which ``statistic`` is evaluated."""
        return np.arange(self.d_max + 1) * self.batch_size


def mser(series: np.ndarray, max_fraction: float = 0.5, *, batch_size: int = BATCH_SIZE) -> MserResult:
    """MSER with batches of ``batch_size`` (1 = plain MSER, 5 = MSER-5); see :func:`mser5`."""
    y = np.asarray(series, dtype=float).ravel()
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    if not 0 < max_fraction < 1:
        raise ValueError("max_fraction is a share of the series, between 0 and 1 (usually 0.5)")
    if not np.all(np.isfinite(y)):
        raise ValueError("the series has missing or infinite values")
    k = len(y) // batch_size
    if k < 4:
        raise ValueError(f"MSER-{batch_size} needs at least {4 * batch_size} observations, got {len(y)}")
    z = y[: k * batch_size].reshape(k, batch_size).mean(axis=1)
    z = z - z[k // 2 :].mean()  # centring: no cancellation in the sums of squares below
    d_max = max(1, min(int(math.floor(max_fraction * k)), k - 2))
    s1 = np.cumsum(z[::-1])[::-1]  # sums of z_j over j >= d
    s2 = np.cumsum((z * z)[::-1])[::-1]
    remaining = (k - np.arange(k)).astype(float)
    sq_dev = np.clip(s2 - s1 * s1 / remaining, 0.0, None)
    stat = (sq_dev / remaining**2)[: d_max + 1]
    d_star = int(np.argmin(stat))  # the first minimum: the shortest truncation among ties
    boundary = d_max - int(math.floor(BOUNDARY_SHARE * d_max))
    truncation = d_star * batch_size
    return MserResult(
        truncation=truncation,
        d_star=d_star,
        d_max=d_max,
        batch_size=batch_size,
        n_obs=len(y),
        statistic=stat,
        inconclusive=bool(d_max > 1 and d_star >= boundary),
        truncated_mean=float(y[truncation : k * batch_size].mean()),
    )


def mser5(series: np.ndarray, max_fraction: float = 0.5) -> MserResult:
    """MSER-5 truncation point of ``series`` (one observation per time step).

    Batch means of 5 observations; MSER(d) for every truncation ``d`` over the first
    ``max_fraction`` of the batches; the truncation ``5 d*`` (observations) at the
    minimum. ``inconclusive`` is set when the minimum lies at (or within 5% of) the
    end of that range: the series is still moving, run longer.
    """
    return mser(series, max_fraction, batch_size=BATCH_SIZE)


# --------------------------------------------------------------------------- pilot length
def inpatient_units(scenario: Scenario) -> list[str]:
    names = [u for u, sp in scenario.units.items() if sp.ed is None and sp.kind != "ed"]
    return names or list(scenario.units)


def longest_mean_spell_h(scenario: Scenario) -> float:
    """Longest expected time in hospital (hours) over patient classes and their entry units.

    Expected time to absorption of the route chain, each visit taking the unit's mean
    stay (plus the mean clinician assessment in an emergency department). Waits for
    beds, discharge holds and cleaning are not included.
    """
    units = list(scenario.units)
    index = {u: i for i, u in enumerate(units)}
    longest = 0.0
    for c in scenario.class_names():
        routes = scenario.routes_for(c)
        n = len(units)
        P = np.zeros((n, n))
        visit_h = np.zeros(n)
        for u, i in index.items():
            for v, p in (routes.get(u) or {}).items():
                if v in index:
                    P[i, index[v]] += p
            stay = scenario.stay_for(c, u)
            if stay is not None:
                visit_h[i] += stay.to_distribution().mean_h
            ed = scenario.units[u].ed
            if ed is not None:
                visit_h[i] += ed.assessment.to_distribution().mean_h
        try:
            t = np.linalg.solve(np.eye(n) - P, visit_h)
        except np.linalg.LinAlgError:  # a closed loop; scenario validation rules it out
            continue
        for e in scenario.entry_units(c):
            longest = max(longest, float(t[index[e]]))
    return longest


def default_pilot_days(scenario: Scenario) -> float:
    """``max(horizon_days + warmup_days (0 if 'auto'), 4 x longest mean spell, 60)`` in days."""
    warm = 0.0 if scenario.warmup_is_auto else float(scenario.warmup_days)
    return float(
        max(
            scenario.horizon_days + warm,
            SPELL_FACTOR * longest_mean_spell_h(scenario) / 24.0,
            MIN_PILOT_DAYS,
        )
    )


# --------------------------------------------------------------------------- choosing the warm-up
@dataclass(frozen=True)
class WarmupChoice:
    """The warm-up chosen by MSER-5 on pilot runs, with everything needed to check it.

    ``warmup_days``: the largest choice over the series, whole days. ``by_unit``: each
    series' own choice in days (``ALL`` is the hospital's inpatient census). ``driver``:
    the series that set ``warmup_days``. ``table``: ``unit, truncation_h, warmup_days,
    inconclusive, truncated_mean`` per series. ``curves``: ``unit, time_h, mean_census,
    mser`` - the mean census across pilot replications at every hour, and the MSER
    statistic at each candidate truncation point (NaN at other hours). ``inconclusive``:
    some series had its minimum at the boundary; re-run with a longer ``pilot_days``.
    """

    warmup_days: int
    by_unit: dict[str, int]
    driver: str
    inconclusive: bool
    table: pd.DataFrame = field(repr=False)
    curves: pd.DataFrame = field(repr=False)
    results: dict[str, MserResult] = field(repr=False)
    pilot_days: float
    pilot_replications: int
    seed: int
    step_h: float = 1.0
    method: str = "MSER-5"

    def apply(self, scenario: Scenario) -> Scenario:
        """``scenario`` with this warm-up (``scenario.with_warmup(self.warmup_days)``)."""
        return scenario.with_warmup(self.warmup_days)


def mean_census(census: pd.DataFrame, inpatient_units: Sequence[str]) -> pd.DataFrame:
    """Mean census across replications per unit and hour, plus ``ALL`` (sum of ``inpatient_units``).

    ``census`` has columns ``rep, unit, time_h, occupied`` (``results.census``); the result
    is wide: index ``time_h``, one column per unit, then ``ALL``.
    """
    c = census.copy()
    c["unit"] = c["unit"].astype(str)
    wide = c.pivot_table(index="time_h", columns="unit", values="occupied", aggfunc="mean", sort=True)
    units = list(dict.fromkeys(c["unit"]))
    wide = wide[units]
    wide[ALL] = wide[[u for u in units if u in set(inpatient_units)]].sum(axis=1)
    return wide[[ALL] + units]


def warmup_from_census(
    census: pd.DataFrame,
    inpatient_units: Sequence[str],
    *,
    max_fraction: float = 0.5,
    pilot_days: float = math.nan,
    pilot_replications: int = 0,
    seed: int = 0,
) -> WarmupChoice:
    """MSER-5 on the mean census of each unit and of ``ALL``; the warm-up is the largest, in days.

    ``census``: ``rep, unit, time_h, occupied`` at equally spaced times from 0 (pilot runs
    started empty with no warm-up).
    """
    wide = mean_census(census, inpatient_units)
    times = wide.index.to_numpy(dtype=float)
    if len(times) < 2:
        raise ValueError("the census needs at least two time points")
    step_h = float(times[1] - times[0])
    if not np.allclose(np.diff(times), step_h) or abs(times[0]) > 1e-9:
        raise ValueError("the census must be at equally spaced times starting at 0")
    results: dict[str, MserResult] = {}
    rows = []
    curves = []
    for name in wide.columns:
        y = wide[name].to_numpy(dtype=float)
        r = mser5(y, max_fraction)
        results[name] = r
        trunc_h = r.truncation * step_h
        days = int(math.ceil(trunc_h / 24.0 - 1e-9))
        rows.append((name, trunc_h, days, r.inconclusive, r.truncated_mean))
        stat = np.full(len(y), np.nan)
        stat[r.candidates] = r.statistic
        curves.append(pd.DataFrame({"unit": name, "time_h": times, "mean_census": y, "mser": stat}))
    table = pd.DataFrame(rows, columns=["unit", "truncation_h", "warmup_days", "inconclusive", "truncated_mean"])
    best = int(table["warmup_days"].to_numpy().argmax())  # first maximum: ALL wins ties
    return WarmupChoice(
        warmup_days=int(table["warmup_days"].iloc[best]),
        by_unit={str(u): int(d) for u, d in zip(table["unit"], table["warmup_days"], strict=True)},
        driver=str(table["unit"].iloc[best]),
        inconclusive=bool(table["inconclusive"].any()),
        table=table,
        curves=pd.concat(curves, ignore_index=True),
        results=results,
        pilot_days=float(pilot_days),
        pilot_replications=int(pilot_replications),
        seed=int(seed),
        step_h=step_h,
    )
