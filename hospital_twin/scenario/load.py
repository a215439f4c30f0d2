"""Offered load per unit from a scenario, without simulating: the analytic sanity band.

For every unit (and every patient class that reaches it) :func:`offered_load` computes

* the arrival rate from the traffic equations ``lambda = lambda_ext + lambda P``, solved per
  patient class (each class has its own routes): external Poisson streams (``per_day`` x class
  share x the stream's rate averaged over the measured period: hour and day profiles average 1,
  dated multipliers count for the time they cover) and elective lists (``per_weekday`` booked,
  averaged over the week); an emergency department's admitted share is its classes' routes out
  of it;
* the mean time a patient holds a bed: mean stay (in an emergency department: clinician
  assessment + stay after it) + P(leaving the hospital from the unit) x (P(P0) x the mean
  discharge hold the unit's rule implies + sum over the discharge pathways k of P(k) x (its
  assessment in the bed + the mean wait in its queue)) + mean cleaning time;
* per discharge pathway (:class:`PathwayLoad`): its demand (ready patients a day taking it: the
  traffic equations x the exit share x the class's and unit's pathway shares), its capacity
  (daily starts, or places / mean place hold for a pool), and the mean wait in its queue: Erlang C
  of M/M/c for a pool (an approximation for non-exponential place stays), for a daily pathway the
  exact mean of the bulk-service queue the simulator runs (Poisson joins, the day's starts at
  ``start_hour``; :func:`daily_pathway_wait_h`), infinite when the demand reaches the capacity;
  its NCTR patients by Little's law: demand x (assessment in the bed + wait);
* the offered load in beds (rate x mean hold, Little's law) and its ratio to the beds;
* the Erlang figures of the unit taken alone with Poisson arrivals: Erlang B (blocking) for
  ``when_full: reject``, Erlang C (probability of waiting and mean wait of M/M/c) for ``queue``.

The discharge hold is exact for the rule given when patients become ready over the week. Ready
times are computed, not assumed: each class's entries to a unit follow its streams' hour-of-day
and day-of-week profiles (electives at their hour on their weekdays) and are carried along the
routes by the stays (circular convolution on a 15-minute grid of the week, solved per frequency
as the same traffic equations). Not included: waits for a bed, blocking (a patient ready to move
keeps its bed while the next unit is full), the wait for an ED clinician, boarding, escalation
beds and capacity changes. The offered load is therefore a lower bound where units queue or
block; where a unit turns patients away, downstream units are offered the full flow.

A pathway's queue is taken as fed by Poisson joins at the demand's rate (exact while beds do not
block, since ready times are then the output of infinite-server stays); a pathway that holds
patients longer holds the beds longer, which the unit loads include (infinite when a pathway is
overloaded: no number of beds is enough).

This module is pure: scenario in, numbers out (no printing, no pandas, no files).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hospital_twin._lazy import lazy_module
from hospital_twin.distributions import Distribution
from hospital_twin.scenario.schema import (
    EXIT,
    DischargeLoungeSpec,
    DischargePathwaySpec,
    DischargeSpec,
    Scenario,
    UnitSpec,
)

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    from scipy import special
else:
    special = lazy_module("scipy.special", globals(), "special")

__all__ = [
    "BIN_H",
    "ClassLoad",
    "LoadReport",
    "PathwayLoad",
    "UnitLoad",
    "erlang_b",
    "erlang_c",
    "erlang_c_mean_wait_h",
    "hold_given_ready_h",
    "day_of_week_for_shares",
    "discharge_shares_by_weekday",
    "mean_discharge_hold_h",
    "mean_lounge_saving_h",
    "daily_pathway_wait_h",
    "offered_load",
]

BIN_H = 0.25
"""Width (hours) of the grid of the week on which ready times are computed."""
_WEEK_H = 168
_N = int(_WEEK_H / BIN_H)
_QUANTILES = 8192
"""Quantile points with which a stay distribution is put on the week grid."""


# --------------------------------------------------------------------------- Erlang formulas
def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/G/c/c with ``servers`` beds and ``load`` Erlangs.

    The stable recursion ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))`` (no factorials: works for
    thousands of beds and any non-integer load). No beds block everyone who comes.
    """
    if servers < 0 or load < 0 or not math.isfinite(load):
        raise ValueError(f"erlang_b needs servers >= 0 and a finite load >= 0 (got {servers}, {load})")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability of waiting in M/M/c with ``servers`` beds and ``load`` Erlangs (1 when ``load >= servers``)."""
    if servers <= 0 or load >= servers:
        return 1.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1.0 - b))


def erlang_c_mean_wait_h(servers: int, load: float, hold_h: float) -> float:
    """Mean wait (hours) in M/M/c: ``C / (c mu - lambda) = C x hold / (c - a)``; infinite when ``load >= servers``."""
    if servers <= 0 or load >= servers:
        return math.inf
    return erlang_c(servers, load) * hold_h / (servers - load)


# --------------------------------------------------------------------------- the discharge hold
def _weekend_skip_days(day: np.ndarray) -> np.ndarray:
    """Days to add to a day of the week (Monday 0) to reach Monday when it is Saturday or Sunday."""
    d = np.mod(day, 7)
    return np.where(d == 5, 2, np.where(d == 6, 1, 0))


def _skip_table(rule: DischargeSpec) -> np.ndarray:
    """``P[d, k]``: probability that a patient whose first chance to leave falls on weekday ``d`` (Monday 0)
    leaves ``k`` days later (k = 0..6): one uniform decides every day, so it leaves on the first day
    whose pass probability exceeds it: ``P[d, k] = max(0, pass[d + k] - max(pass[d .. d + k - 1]))``."""
    ok = np.asarray(rule.day_pass(), dtype=float)
    out = np.zeros((7, 7))
    for d in range(7):
        top = 0.0
        for k in range(7):
            out[d, k] = max(0.0, ok[(d + k) % 7] - top)
            top = max(top, ok[(d + k) % 7])
    return out


def hold_given_ready_h(rule: DischargeSpec, ready_h: np.ndarray) -> np.ndarray:
    """Mean hours a patient ready to go home at hour of the week ``ready_h`` (Monday 00:00 = 0) waits.

    The expectation over the patient's drawn discharge hour (``hourly_profile``, restricted to
    ``window_hours``, uniform within the hour) and its day draw (``weekend_rate`` or
    ``day_of_week``), in closed form, as the simulator applies the rule: the first time the clock
    shows the drawn hour, else the window's next opening; a patient not let go on a day tries the
    next (with ``weekend_rate``, Monday). A patient ready at or after ``ready_cutoff_hour`` is
    taken as ready at the next midnight.
    """
    t = np.asarray(ready_h, dtype=float)
    if rule.ready_cutoff_hour is not None:
        later = np.where(np.mod(t, 24.0) >= rule.ready_cutoff_hour, np.floor(t / 24.0) * 24.0 + 24.0, t)
        return (later - t) + _hold_from(rule, later)
    return _hold_from(rule, t)


def _profile_weights(rule: DischargeSpec) -> np.ndarray:
    """The rule's hourly discharge weights, zero outside its window, summing to 1."""
    w = np.asarray(rule.hourly_profile, dtype=float).copy()
    if rule.window_hours is not None:
        hours = np.arange(24)
        w[(hours < rule.window_hours[0]) | (hours >= rule.window_hours[1])] = 0.0
    return w / w.sum()


def _hold_from(rule: DischargeSpec, t: np.ndarray) -> np.ndarray:
    if rule.day_of_week is not None:
        return _hold_by_day_pass(rule, t)
    clock = np.mod(t, 24.0)
    day = np.floor(t / 24.0)
    ok = rule.weekend_rate
    if rule.hourly_profile is not None:
        w = _profile_weights(rule)
        out = np.zeros_like(t)
        for h in np.flatnonzero(w):
            q = np.clip(clock - h, 0.0, 1.0)  # share of the drawn hour already past: leaves tomorrow
            today = h + (1.0 + q) / 2.0 - clock
            tomorrow = 24.0 + h + q / 2.0 - clock
            plain = (1.0 - q) * today + q * tomorrow
            skipped = (1.0 - q) * (today + 24.0 * _weekend_skip_days(day)) + q * (
                tomorrow + 24.0 * _weekend_skip_days(day + 1)
            )
            out += w[h] * (ok * plain + (1.0 - ok) * skipped)
        return out
    a, b = rule.window_hours if rule.window_hours is not None else (0.0, 24.0)
    wait = np.where(clock < a, a - clock, np.where(clock >= b, 24.0 - clock + a, 0.0))
    leave = t + wait
    leave_day = np.floor(leave / 24.0)
    skip = _weekend_skip_days(leave_day)
    monday = (leave_day + skip) * 24.0 + a
    held = np.where(skip > 0, monday - t, wait)
    return ok * wait + (1.0 - ok) * held


def _hold_by_day_pass(rule: DischargeSpec, t: np.ndarray) -> np.ndarray:
    """:func:`hold_given_ready_h` for a ``day_of_week`` rule (seven pass probabilities)."""
    skip = _skip_table(rule)
    mean_skip_days = skip @ np.arange(7.0)
    clock = np.mod(t, 24.0)
    day = np.floor(t / 24.0)
    if rule.hourly_profile is not None:
        w = _profile_weights(rule)
        out = np.zeros_like(t)
        d_today = np.mod(day, 7).astype(int)
        d_tomorrow = np.mod(day + 1, 7).astype(int)
        for h in np.flatnonzero(w):
            q = np.clip(clock - h, 0.0, 1.0)
            today = h + (1.0 + q) / 2.0 - clock + 24.0 * mean_skip_days[d_today]
            tomorrow = 24.0 + h + q / 2.0 - clock + 24.0 * mean_skip_days[d_tomorrow]
            out += w[h] * ((1.0 - q) * today + q * tomorrow)
        return out
    a, b = rule.window_hours if rule.window_hours is not None else (0.0, 24.0)
    wait = np.where(clock < a, a - clock, np.where(clock >= b, 24.0 - clock + a, 0.0))
    leave_day = np.floor((t + wait) / 24.0)
    p = skip[np.mod(leave_day, 7).astype(int)]  # (n, 7)
    later = (leave_day[:, None] + np.arange(7)[None, 1:]) * 24.0 + a - t[:, None]
    return p[:, 0] * wait + np.sum(p[:, 1:] * later, axis=1)


def discharge_shares_by_weekday(rule: DischargeSpec, ready_weights: np.ndarray | None = None) -> np.ndarray:
    """Share of discharges on each weekday Mon..Sun under ``rule`` for patients ready over the week
    (uniform by default, or weights on the week grid of :data:`BIN_H` hours), from the day rule alone.

    With ready times uniform over the week and no cut-off, a patient's first chance to leave is
    uniform over the weekdays whatever the clock rule, and the share of weekday ``d`` is
    ``sum_k P[d - k, k] / 7`` (:func:`_skip_table`); this is the exact figure then.
    """
    skip = _skip_table(rule)
    first = np.full(7, 1.0 / 7.0)
    if ready_weights is not None:
        w = np.clip(np.asarray(ready_weights, dtype=float), 0.0, None)
        first = np.bincount((np.arange(_N) * BIN_H // 24).astype(int) % 7, weights=w, minlength=7)
        first = first / first.sum()
    out = np.zeros(7)
    for d in range(7):
        for k in range(7):
            out[(d + k) % 7] += first[d] * skip[d, k]
    return out / out.sum()


def _weekday_total(x: float, d: int, ok: np.ndarray, solved: set[int]) -> float:
    """7 x the share of weekday ``d`` when its pass probability is ``x``: days not yet solved count as higher."""
    acc, top = 0.0, 0.0
    for j in range(7):
        if j:
            prev = (d - j) % 7
            top = max(top, ok[prev] if prev in solved else math.inf)
        acc += max(0.0, x - top)
    return acc


def day_of_week_for_shares(shares) -> list[float]:
    """The ``day_of_week`` weights (largest 1) whose discharges fall on the weekdays in ``shares``
    (Mon..Sun, any scale) for patients ready uniformly over the week: the inverse of
    :func:`discharge_shares_by_weekday`.

    A patient ready on day ``d`` leaves on the first day from ``d`` whose pass probability exceeds its
    uniform, so ``7 x share[d] = sum_j max(0, pass[d] - max(pass[d - j .. d - 1]))``. Days are solved
    in rising order of their pass probability (each needs only the lower ones): for the m-th lowest,
    ``pass = (7 x share + sum of the passes of the lower days in each of its lookback windows) / n``
    with ``n`` the windows whose days are all lower. A share profile that needs a pass above 1, or no
    day at 1, cannot be reached by holding patients back; that raises ``ValueError``.
    """
    s = np.asarray(shares, dtype=float)
    if s.shape != (7,) or (s < 0).any() or s.sum() <= 0:
        raise ValueError("give seven shares >= 0, Mon..Sun, not all 0")
    target = 7.0 * s / s.sum()
    ok = np.zeros(7)
    # Guess the order from the shares, then solve; repeat with the order of the solution until stable.
    order = list(np.argsort(target, kind="stable"))
    for _ in range(20):
        ok = np.zeros(7)
        solved: set[int] = set()
        for d in order:
            # 7 share[d] = sum_j (pass[d] - M_j)^+, M_j = max of pass over the j days before d (M_0 = 0);
            # with the lower days solved, find pass[d] by a monotone search.
            lo, hi = 0.0, 1.0
            if _weekday_total(hi, d, ok, solved) < target[d] - 1e-12:
                raise ValueError(
                    f"the share of weekday {d} is more than holding patients back can give it ({s[d] / s.sum():.3f})"
                )
            for _ in range(100):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if _weekday_total(mid, d, ok, solved) < target[d] else (lo, mid)
            ok[d] = (lo + hi) / 2
            solved.add(d)
        new_order = list(np.argsort(ok, kind="stable"))
        if new_order == order:
            break
        order = new_order
    ok = ok / ok.max()
    return [float(x) for x in ok]


_FRACTIONS = 8
"""Points of the uniform within the drawn hour with which the lounge saving is integrated."""


def _departures(rule: DischargeSpec, ready_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Departure hours of the week and their probabilities for patients ready at ``ready_h``: arrays
    (n, m) of every outcome of the patient's draws (hour, point within it, day), as the simulator's rule."""
    t = np.asarray(ready_h, dtype=float)
    if rule.ready_cutoff_hour is not None:
        t = np.where(np.mod(t, 24.0) >= rule.ready_cutoff_hour, np.floor(t / 24.0) * 24.0 + 24.0, t)
    skip = _skip_table(rule)
    clock = np.mod(t, 24.0)
    day = np.floor(t / 24.0)
    times, probs = [], []
    if rule.hourly_profile is not None:
        w = _profile_weights(rule)
        for h in np.flatnonzero(w):
            for f in (np.arange(_FRACTIONS) + 0.5) / _FRACTIONS:
                first = day * 24.0 + h + f
                first = np.where(first < t, first + 24.0, first)
                d = np.mod(np.floor(first / 24.0), 7).astype(int)
                for k in range(7):
                    times.append(first + 24.0 * k)
                    probs.append(w[h] / _FRACTIONS * skip[d, k])
    else:
        a, b = rule.window_hours if rule.window_hours is not None else (0.0, 24.0)
        wait = np.where(clock < a, a - clock, np.where(clock >= b, 24.0 - clock + a, 0.0))
        first = t + wait
        leave_day = np.floor(first / 24.0)
        d = np.mod(leave_day, 7).astype(int)
        for k in range(7):
            times.append(first if k == 0 else (leave_day + k) * 24.0 + a)
            probs.append(skip[d, k])
    return np.stack(times, axis=1), np.stack(probs, axis=1)


def lounge_saving_given_ready_h(
    rule: DischargeSpec, lounge: DischargeLoungeSpec, ready_h: np.ndarray, cutoff_from_h: np.ndarray | None = None
) -> np.ndarray:
    """Mean bed-hours a patient ready to go home at ``ready_h`` (hour of the week) gives up to the lounge,
    when the lounge has a place: ``E[min(L, T - max(ready, opening on T's day))]`` over its departure
    ``T`` (the rule) and its time there ``L``, for departures inside the opening hours."""
    t = np.asarray(ready_h, dtype=float)
    times, probs = _departures(rule, t)
    dist = lounge.time_there.to_distribution()
    q = np.sort(np.asarray(dist.ppf_array((np.arange(_QUANTILES) + 0.5) / _QUANTILES), dtype=float))
    grid = np.linspace(0.0, 24.0 * 8, 24 * 8 * 20 + 1)
    # E[min(L, x)] = mean of min(q_i, x): integrate the survival function on the grid
    surv = 1.0 - np.searchsorted(q, grid, side="right") / len(q)
    g = np.concatenate([[0.0], np.cumsum((surv[1:] + surv[:-1]) / 2.0 * np.diff(grid))])
    earliest = np.broadcast_to(t[:, None], times.shape)
    usable = np.ones(times.shape, dtype=bool)
    if lounge.hours is not None:
        a, b = lounge.hours
        clock = np.mod(times, 24.0)
        usable = (clock > a) & (clock <= b)
        earliest = np.maximum(earliest, times - clock + a)
    x = np.clip(times - earliest, 0.0, None)
    saving = np.where(usable, np.interp(x, grid, g), 0.0)
    return np.sum(probs * saving, axis=1)


def mean_lounge_saving_h(
    rule: DischargeSpec | None, lounge: DischargeLoungeSpec | None, ready_weights: np.ndarray | None = None
) -> float:
    """Mean of :func:`lounge_saving_given_ready_h` with ready times weighted over the week grid (uniform by
    default); 0 without a rule that holds or without a lounge."""
    if rule is None or lounge is None:
        return 0.0
    h = lounge_saving_given_ready_h(rule, lounge, _grid_mid_h())
    if ready_weights is None:
        return float(h.mean())
    w = np.clip(np.asarray(ready_weights, dtype=float), 0.0, None)
    return float(np.sum(w * h) / w.sum()) if w.sum() > 0 else float(h.mean())


def _grid_mid_h() -> np.ndarray:
    return (np.arange(_N) + 0.5) * BIN_H


def mean_discharge_hold_h(rule: DischargeSpec | None, ready_weights: np.ndarray | None = None) -> float:
    """Mean discharge hold (hours) of a rule, ready times weighted over the week grid (uniform by default)."""
    if rule is None:
        return 0.0
    h = hold_given_ready_h(rule, _grid_mid_h())
    if ready_weights is None:
        return float(h.mean())
    w = np.clip(np.asarray(ready_weights, dtype=float), 0.0, None)
    return float(np.sum(w * h) / w.sum()) if w.sum() > 0 else float(h.mean())


def _unit_rule(s: Scenario, spec: UnitSpec) -> DischargeSpec | None:
    """The discharge rule the simulator applies to patients going home from a unit (None: at once)."""
    inpatient = spec.ed is None and spec.kind != "ed"
    rule = spec.discharge or (s.discharge if inpatient else None)
    if rule is None or not rule.holds:
        return None
    return rule


def _lounge_of(s: Scenario) -> dict[str, str]:
    """Unit name -> the discharge lounge serving it."""
    out: dict[str, str] = {}
    for name, lounge in s.discharge_lounges.items():
        units = lounge.units
        if units is None:
            units = [u for u, spec in s.units.items() if spec.ed is None and spec.kind != "ed"]
        for u in units:
            out.setdefault(u, name)
    return out


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ClassLoad:
    """One patient class in one unit. Rates per day, times in hours, load in beds."""

    patient_class: str
    arrivals_per_day: float
    stay_mean_h: float
    home_share: float
    discharge_hold_h: float
    hold_h: float
    load_beds: float
    pathway_share: float = 0.0
    nctr_h: float = 0.0
    """``pathway_share``: share of the patients leaving the hospital who take a discharge pathway (the rest
    are P0 and wait ``discharge_hold_h``); ``nctr_h``: their mean hours in the bed after being ready."""


@dataclass(frozen=True)
class PathwayLoad:
    """Offered load of one discharge pathway: rates per day, times in hours.

    ``demand_per_day``: ready patients a day taking it; ``capacity_per_day``: the daily starts (mean
    over the week), ``places x 24 / place_hold_h`` for a pool, infinite without capacity;
    ``wait_mean_h``: mean wait in its queue after the assessment in the bed (infinite when
    overloaded); for a daily pathway ``next_start_wait_h`` is the part of it spent waiting for the
    next start (all of it when the demand is far below the capacity); for a pool ``p_wait`` is
    Erlang C and ``places_in_use`` the offered load of its places.
    """

    pathway: str
    label: str
    kind: str
    demand_per_day: float
    capacity_per_day: float
    starts_per_day: float | None
    places: int | None
    place_hold_h: float | None
    assessment_in_bed_h: float
    wait_mean_h: float
    next_start_wait_h: float | None = None
    p_wait: float | None = None
    places_in_use: float | None = None

    @property
    def utilisation(self) -> float:
        """Demand over capacity (0 for an unlimited pathway; infinite with no capacity and some demand)."""
        if math.isinf(self.capacity_per_day):
            return 0.0
        if self.capacity_per_day > 0:
            return self.demand_per_day / self.capacity_per_day
        return math.inf if self.demand_per_day > 0 else 0.0

    @property
    def overloaded(self) -> bool:
        """True when the demand reaches the capacity: the queue, and NCTR on it, grow without bound."""
        return self.demand_per_day > 0 and self.utilisation >= 1.0

    @property
    def nctr_delay_h(self) -> float:
        """Mean hours from ready to leaving the bed: assessment in the bed + wait in the queue."""
        return self.assessment_in_bed_h + self.wait_mean_h

    @property
    def nctr_beds(self) -> float:
        """Mean patients in a hospital bed waiting for this pathway (Little's law: demand x NCTR delay)."""
        if self.demand_per_day <= 0:
            return 0.0
        return self.demand_per_day / 24.0 * self.nctr_delay_h


@dataclass(frozen=True)
class UnitLoad:
    """Offered load of one unit (rates per day, times in hours, loads in beds) and its Erlang figures.

    ``hold_h`` is the mean time a patient holds a bed (stay + home share x discharge hold +
    cleaning); ``load_beds`` = arrivals per hour x ``hold_h``; ``patient_load_beds`` leaves the
    cleaning out (what the simulated occupancy counts). ``erlang`` is ``"B"`` (``p_block``) for a
    ``reject`` unit, ``"C"`` (``p_wait``, ``wait_mean_h``) for a ``queue`` unit. ``scheduled_share``
    is the share of arrivals from elective lists (not Poisson: the Erlang figures are indicative).
    ``pathway_share``: share of the patients leaving the hospital from it who take a discharge
    pathway (``nctr_pathways``); ``nctr_load_beds``: its beds held by them once ready (NCTR, part of
    ``load_beds``; infinite when one of those pathways is overloaded).
    """

    unit: str
    kind: str
    beds: int
    when_full: str
    escalation_beds: int
    arrivals_per_day: float
    stay_mean_h: float
    home_share: float
    discharge_hold_h: float
    turnaround_h: float
    hold_h: float
    load_beds: float
    patient_load_beds: float
    scheduled_share: float
    erlang: str
    p_block: float | None
    p_wait: float | None
    wait_mean_h: float | None
    classes: tuple[ClassLoad, ...] = ()
    clinicians_mean: float | None = None
    clinician_load: float | None = None
    pathway_share: float = 0.0
    nctr_load_beds: float = 0.0
    nctr_pathways: tuple[str, ...] = ()

    @property
    def load_ratio(self) -> float:
        """Offered load per base bed (infinite for a unit with no beds that receives patients)."""
        if self.beds > 0:
            return self.load_beds / self.beds
        return math.inf if self.load_beds > 0 else 0.0

    @property
    def overloaded_by(self) -> float | None:
        """Beds by which the offered load reaches or exceeds the base beds plus escalation beds (None if it does not)."""
        if self.load_beds <= 0:
            return None
        over = self.load_beds - (self.beds + self.escalation_beds)
        return over if over >= 0 else None


@dataclass(frozen=True)
class LoadReport:
    """The offered load of every unit of a scenario, with warnings in words."""

    scenario: str
    units: tuple[UnitLoad, ...]
    warnings: tuple[str, ...]
    assumptions: tuple[str, ...] = field(default=())
    pathways: tuple[PathwayLoad, ...] = ()

    def unit(self, name: str) -> UnitLoad:
        for u in self.units:
            if u.unit == name:
                return u
        raise KeyError(name)

    def pathway(self, name: str) -> PathwayLoad:
        for p in self.pathways:
            if p.pathway == name:
                return p
        raise KeyError(name)


ASSUMPTIONS = (
    "offered load = arrivals per hour x mean time holding a bed (stay, discharge hold, cleaning), from the "
    "traffic equations per patient class; no waits, blocking, boarding or ED clinician waits (a lower bound "
    "where units queue or block)",
    "Erlang figures treat each unit alone with Poisson arrivals at the average rate (M/G/c/c for reject, "
    "M/M/c for queue: indicative only for non-exponential stays, time-varying arrivals and elective lists)",
)


# --------------------------------------------------------------------------- traffic equations
def _measured_window_h(s: Scenario) -> tuple[float, float]:
    warm = 0.0 if s.warmup_is_auto else s.warmup_h
    return warm, warm + s.horizon_days * 24.0


def _week_offset_h(start: dt.datetime) -> float:
    return start.weekday() * 24 + start.hour + start.minute / 60 + start.second / 3600


def _profile(hour_of_day, day_of_week) -> np.ndarray:
    """Relative rate of each of the 168 hours of the week (each profile scaled to mean 1), Monday 00:00 first."""
    hod = np.ones(24) if hour_of_day is None else np.asarray(hour_of_day, float)
    dow = np.ones(7) if day_of_week is None else np.asarray(day_of_week, float)
    return ((dow / dow.mean())[:, None] * (hod / hod.mean())[None, :]).ravel()


def _mean_rate_factor(s: Scenario, arrival) -> float:
    """Mean multiplier over the measured period, weighted by the stream's profile (1 without multipliers).

    The hour and day profiles count as averaging 1 (over whole weeks); a dated multiplier counts for
    the share of the stream's arrivals it covers in the measured period.
    """
    table = _profile(arrival.hour_of_day, arrival.day_of_week)
    a, b = _measured_window_h(s)
    t = a + (np.arange(max(int((b - a) / BIN_H), 1)) + 0.5) * BIN_H
    base = table[np.floor(t + _week_offset_h(s.start)).astype(int) % _WEEK_H]
    f = base
    for m in arrival.multipliers:
        lo = (m.from_ - s.start).total_seconds() / 3600
        hi = (m.to - s.start).total_seconds() / 3600
        f = np.where((t >= lo) & (t < hi), f * m.factor, f)
    return float(f.sum() / base.sum()) if base.sum() > 0 else 1.0


def _external(s: Scenario, cls: str, units: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """External arrivals of a class per unit: rates per hour (columns: Poisson streams, elective lists) and
    the arrival rate per hour in each bin of the week grid."""
    index = {u: i for i, u in enumerate(units)}
    rate = np.zeros((len(units), 2))
    shape = np.zeros((len(units), _N))
    per_bin = int(round(1 / BIN_H))
    for a in s.arrivals:
        share = a.classes().get(cls, 0.0)
        if share <= 0 or a.per_day <= 0:
            continue
        lam = a.per_day / 24.0 * share * _mean_rate_factor(s, a)
        i = index[a.unit]
        rate[i, 0] += lam
        shape[i] += lam * np.repeat(_profile(a.hour_of_day, a.day_of_week), per_bin)
    for e in s.electives:
        if e.patient_class != cls or sum(e.per_weekday) <= 0:
            continue
        i = index[e.unit]
        rate[i, 1] += sum(e.per_weekday) / _WEEK_H
        for d, n in enumerate(e.per_weekday):
            shape[i, int((d * 24 + e.hour) / BIN_H) % _N] += n / BIN_H
    return rate, shape


def _kernel(dists: list[Distribution]) -> np.ndarray:
    """Fourier transform of the time from taking a bed to being ready, wrapped onto the week grid."""
    out = np.ones(_N, dtype=complex)
    u = (np.arange(_QUANTILES) + 0.5) / _QUANTILES
    for d in dists:
        x = np.asarray(d.ppf_array(u), dtype=float)
        pmf = np.bincount(np.rint(x / BIN_H).astype(np.int64) % _N, minlength=_N) / _QUANTILES
        out = out * np.fft.fft(pmf)
    return out


def _class_flows(s: Scenario, cls: str, units: list[str]):
    """Per unit for one class: (rates per hour: poisson, scheduled; flow in; ready density on the week grid)."""
    n = len(units)
    index = {u: i for i, u in enumerate(units)}
    routes = s.routes_for(cls)
    p = np.zeros((n, n))
    for u, dests in routes.items():
        for v, prob in dests.items():
            if v != EXIT and prob > 0:
                p[index[u], index[v]] += prob
    rate, shape = _external(s, cls, units)
    ext = rate[:, 0] + rate[:, 1]
    lam = np.linalg.solve(np.eye(n) - p.T, ext)  # lambda = lambda_ext + P^T lambda
    # Scheduled share, carried along the routes as its own flow.
    sched = np.linalg.solve(np.eye(n) - p.T, rate[:, 1])
    kernels = np.ones((n, _N), dtype=complex)
    for i, u in enumerate(units):
        if lam[i] <= 0:
            continue
        dists = _stay_parts(s, cls, u)
        kernels[i] = _kernel(dists)
    # Per frequency: X_v = E_v + sum_u P_uv K_u X_u
    e_hat = np.fft.fft(shape, axis=1).T  # (N, n)
    a = p.T[None, :, :] * kernels.T[:, None, :]  # (N, n, n): a[k, v, u] = P_uv K_u(k)
    x_hat = np.linalg.solve(np.eye(n)[None] - a, e_hat[..., None])[..., 0]  # (N, n)
    ready = np.real(np.fft.ifft((x_hat * kernels.T).T, axis=1))
    return lam, sched, ready


def _stay_parts(s: Scenario, cls: str, unit: str) -> list[Distribution]:
    """Durations in a bed before the patient is ready: ED assessment (if any) and the stay."""
    spec = s.units[unit]
    parts = []
    if spec.ed is not None:
        parts.append(spec.ed.assessment.to_distribution())
    stay = s.stay_for(cls, unit)
    if stay is not None:
        parts.append(stay.to_distribution())
    return parts


# --------------------------------------------------------------------------- per unit
def _clinicians_mean(s: Scenario, spec: UnitSpec) -> float | None:
    if spec.ed is None:
        return None
    c = spec.ed.clinicians
    if isinstance(c, int):
        return float(c)
    total = 0.0
    for name, sh in s.shifts.items():
        length = (sh.end_h - sh.start_h) % 24 or 24.0
        total += c.get(name, 0) * length
    return total / 24.0


PATHWAY_ASSUMPTION = (
    "discharge pathways: Poisson joins at the demand's average rate; a pool's wait is Erlang C of M/M/c "
    "(indicative for non-exponential place stays), a daily pathway's the exact mean of its daily-starts queue"
)


def _pathway_shares(s: Scenario, shares: dict[str, float] | None) -> dict[str, float]:
    """The pathway shares the simulator applies: known pathways with a share above 0 (P0 is the rest)."""
    return {k: float(v) for k, v in (shares or {}).items() if v > 0 and k in s.discharge_pathways}


def offered_load(s: Scenario) -> LoadReport:
    """Offered load, mean hold and Erlang figures of every unit of ``s`` and the load of every discharge
    pathway (see the module docstring)."""
    units = list(s.units)
    n = len(units)
    per_class: dict[str, list[ClassLoad]] = {u: [] for u in units}
    sched_rate = np.zeros(n)
    served = _lounge_of(s)
    raw = []
    lounge_load = dict.fromkeys(s.discharge_lounges, 0.0)
    demand = dict.fromkeys(s.discharge_pathways, 0.0)  # ready patients an hour taking each pathway
    ready_week = {k: np.zeros(_N) for k in s.discharge_pathways}  # ... by hour of the week
    for cls in s.class_names():
        lam, sched, ready = _class_flows(s, cls, units)
        sched_rate += sched
        routes = s.routes_for(cls)
        shares_by_unit = s.pathway_shares_for(cls)
        for i, u in enumerate(units):
            if lam[i] <= 1e-15:
                continue
            spec = s.units[u]
            dests = routes.get(u) or {EXIT: 1.0}
            home = float(dests.get(EXIT, 0.0)) / (sum(dests.values()) or 1.0)
            shares = _pathway_shares(s, shares_by_unit.get(u)) if home > 0 else {}
            p0 = max(1.0 - sum(shares.values()), 0.0)
            for k, share in shares.items():
                demand[k] += float(lam[i]) * home * share
                ready_week[k] += ready[i] * home * share
            stay = sum(d.mean_h for d in _stay_parts(s, cls, u))
            rule = _unit_rule(s, spec)
            hold = mean_discharge_hold_h(rule, ready[i]) if home > 0 else 0.0
            saving = 0.0
            if u in served and home > 0 and rule is not None:
                saving = mean_lounge_saving_h(rule, s.discharge_lounges[served[u]], ready[i])
                lounge_load[served[u]] += float(lam[i]) * home * p0 * saving
            raw.append((cls, u, spec, float(lam[i]), stay, home, hold, saving, shares))
    # a lounge with Poisson arrivals is an Erlang loss system: a share B of the patients find it full
    room = {name: 1.0 - erlang_b(spec.places, lounge_load[name]) for name, spec in s.discharge_lounges.items()}
    pathways = tuple(
        _pathway_load(s, k, spec, demand[k] * 24.0, ready_week[k]) for k, spec in s.discharge_pathways.items()
    )
    by_pathway = {p.pathway: p for p in pathways}
    taken: dict[str, list[str]] = {u: [] for u in units}
    for cls, u, spec, rate, stay, home, hold, saving, shares in raw:
        if saving:
            hold -= room[served[u]] * saving
        turn = spec.turnaround_distribution()
        p_share = sum(shares.values())
        nctr = sum(share * by_pathway[k].nctr_delay_h for k, share in shares.items())  # per patient leaving
        taken[u] += [k for k in shares if k not in taken[u]]
        bed_h = stay + home * ((1.0 - p_share) * hold + nctr) + (turn.mean_h if turn is not None else 0.0)
        nctr_h = nctr / p_share if p_share > 0 else 0.0
        per_class[u].append(ClassLoad(cls, rate * 24.0, stay, home, hold, bed_h, rate * bed_h, p_share, nctr_h))
    out = [_unit_load(s, u, per_class[u], float(sched_rate[i]), tuple(taken[u])) for i, u in enumerate(units)]
    over = frozenset(p.pathway for p in pathways if p.overloaded)
    warnings = _pathway_warnings(pathways) + _warnings(out, s, over)
    assumptions = ASSUMPTIONS + ((PATHWAY_ASSUMPTION,) if pathways else ())
    return LoadReport(
        scenario=s.name, units=tuple(out), warnings=tuple(warnings), assumptions=assumptions, pathways=pathways
    )


# --------------------------------------------------------------------------- discharge pathways
def _pathway_load(
    s: Scenario, name: str, spec: DischargePathwaySpec, demand_per_day: float, ready_per_h: np.ndarray
) -> PathwayLoad:
    """The load of one pathway given its demand (a day) and its patients' ready rate on the week grid (per hour)."""
    assess = spec.assessment.to_distribution() if spec.assessment is not None else None
    in_bed = assess is not None and spec.assessment_in == "hospital"
    assess_bed_h = assess.mean_h if in_bed else 0.0
    common = {"pathway": name, "label": spec.label, "kind": spec.kind, "demand_per_day": demand_per_day}
    if spec.kind == "unlimited":
        return PathwayLoad(
            **common,
            capacity_per_day=math.inf,
            starts_per_day=None,
            places=None,
            place_hold_h=None,
            assessment_in_bed_h=assess_bed_h,
            wait_mean_h=0.0,
        )
    if spec.kind == "pool":
        place_h = spec.stay.to_distribution().mean_h + (assess.mean_h if assess is not None and not in_bed else 0.0)
        places = int(spec.places or 0)
        a = demand_per_day / 24.0 * place_h
        if demand_per_day <= 0:
            wait, p_wait = 0.0, 0.0
        elif a >= places:
            wait, p_wait = math.inf, 1.0
        else:
            wait, p_wait = erlang_c_mean_wait_h(places, a, place_h), erlang_c(places, a)
        return PathwayLoad(
            **common,
            capacity_per_day=places * 24.0 / place_h if place_h > 0 else math.inf,
            starts_per_day=None,
            places=places,
            place_hold_h=place_h,
            assessment_in_bed_h=assess_bed_h,
            wait_mean_h=wait,
            p_wait=p_wait,
            places_in_use=a,
        )
    week = spec.starts_week()
    capacity = float(np.mean(week))
    wait = next_start = 0.0
    if demand_per_day > 0 and demand_per_day >= capacity:
        wait = next_start = math.inf
    elif demand_per_day > 0:
        join = ready_per_h
        if in_bed:  # the queue is joined once the assessment in the bed ends
            join = np.real(np.fft.ifft(np.fft.fft(ready_per_h) * _kernel([assess])))
        a, b = _measured_window_h(s)
        wait, next_start = daily_pathway_wait_h(
            week, spec.start_hour, join, offset_h=_week_offset_h(s.start), window_h=(a, b)
        )
    return PathwayLoad(
        **common,
        capacity_per_day=capacity,
        starts_per_day=capacity,
        places=None,
        place_hold_h=None,
        assessment_in_bed_h=assess_bed_h,
        wait_mean_h=wait,
        next_start_wait_h=next_start,
    )


def _daily_starts(week: list[float], start_hour: float, offset_h: float, until_h: float):
    """Times (run hours) and numbers of the daily starts of at least one patient before ``until_h``, as
    ``sim/pathways.py`` gives them: the weekday's starts at ``start_hour``, fractions carried to the next day."""
    day = math.floor(offset_h / 24.0)
    carry = 0.0
    times, counts = [], []
    while True:
        t = day * 24.0 + start_hour - offset_h
        weekday = day % 7
        day += 1
        if t < 0:
            continue
        if t >= until_h:
            break
        carry += week[weekday]
        k = int(carry + 1e-9)
        carry -= k
        if k > 0:
            times.append(t)
            counts.append(k)
    return np.asarray(times), np.asarray(counts, dtype=np.int64)


def _poisson_pmf(mean: float) -> np.ndarray:
    if mean <= 0:
        return np.ones(1)
    k = np.arange(int(math.ceil(mean + 12.0 * math.sqrt(mean) + 20.0)))
    return np.exp(k * math.log(mean) - mean - special.gammaln(k + 1.0))


def daily_pathway_wait_h(
    week: list[float],
    start_hour: float,
    join_per_h: np.ndarray,
    *,
    offset_h: float,
    window_h: tuple[float, float],
    tail: float = 1e-14,
) -> tuple[float, float]:
    """Mean wait (hours) in a daily pathway's queue, and the part of it spent waiting for the next start.

    Patients join the queue as a Poisson process whose rate per hour is ``join_per_h`` on the week
    grid (:data:`BIN_H`-hour bins, Monday 00:00 first); at ``start_hour`` each day the service starts
    up to that weekday's number ``week`` (Mon..Sun; fractions carried over, unused starts lost), first
    come first. Between two starts j-1 and j (days with at least one start) ``A_j ~ Poisson(L_j)``
    patients join, ``L_j`` the integral of the rate; the number left waiting after start j is
    ``Q_j = max(Q_{j-1} + A_j - S_j, 0)``, a Markov chain whose distribution is carried exactly (run
    hour 0 = ``offset_h`` hours into the week, empty at the start, as the simulator). Every patient
    waits until the next start (``W_next``), and the ``Q_j`` left behind wait a whole interval more, so
    over the starts in ``window_h`` (run hours):

        W = W_next + sum_j E[Q_j] (t_{j+1} - t_j) / sum_j L_j.

    With demand far below the capacity ``Q_j`` stays 0 and ``W = W_next``, the mean time from joining
    to the next start: 12 h for joins uniform over the day and a start every day.
    """
    week = [float(x) for x in week]
    a, b = window_h
    rate_week = float(np.mean(week))
    # starts beyond the window, so that the last patients in it have theirs
    until = b + 24.0 * 7.0 * max(4.0, math.ceil(3.0 / rate_week) if rate_week > 0 else 4.0)
    times, counts = _daily_starts(week, start_hour, offset_h, until)
    if len(times) < 2:
        return math.inf, math.inf
    nbins = int(math.ceil(times[-1] / BIN_H))
    t = (np.arange(nbins) + 0.5) * BIN_H
    rate = np.asarray(join_per_h, dtype=float)[np.floor((t + offset_h) / BIN_H).astype(np.int64) % _N]
    rate = np.clip(rate, 0.0, None)
    j = np.searchsorted(times, t)  # the next start of a patient joining at t
    keep = j < len(times)
    t, rate, j = t[keep], rate[keep], j[keep]
    inside = (t >= a) & (t < b)
    joins = rate[inside].sum()
    if joins <= 0:
        return 0.0, 0.0
    w_next = float(np.sum(rate[inside] * (times[j[inside]] - t[inside])) / joins)
    mean_joins = np.bincount(j, weights=rate * BIN_H, minlength=len(times))
    p = np.ones(1)
    carried = 0.0
    arrivals = 0.0
    for i in range(len(times) - 1):
        p = np.convolve(p, _poisson_pmf(float(mean_joins[i])))
        c = int(counts[i])
        p = np.concatenate([[p[: c + 1].sum()], p[c + 1 :]])
        tail_mass = np.cumsum(p[::-1])[::-1]
        p = p[: max(int(np.searchsorted(-tail_mass, -tail)), 1)]
        if a <= times[i] < b:
            carried += float(np.dot(np.arange(len(p)), p)) * (times[i + 1] - times[i])
            arrivals += float(mean_joins[i])
    queue = carried / arrivals if arrivals > 0 else 0.0
    return w_next + queue, w_next


def _pathway_warnings(pathways: tuple[PathwayLoad, ...]) -> list[str]:
    out = []
    for p in pathways:
        if not p.overloaded:
            continue
        if p.kind == "pool":
            days = (p.place_hold_h or 0.0) / 24.0
            cap = f"{p.capacity_per_day:.1f} a day ({p.places} places, {days:.1f} days a place on average)"
        else:
            cap = f"{p.capacity_per_day:.1f} starts a day"
        out.append(
            f"{p.pathway} is overloaded: {p.demand_per_day:.1f} ready patients a day for {cap}; "
            "NCTR on it grows without bound"
        )
    return out


def _unit_load(
    s: Scenario, u: str, classes: list[ClassLoad], sched_per_h: float, pathways: tuple[str, ...] = ()
) -> UnitLoad:
    spec = s.units[u]
    turn = spec.turnaround_distribution()
    turn_h = turn.mean_h if turn is not None else 0.0
    per_day = sum(c.arrivals_per_day for c in classes)
    load = sum(c.load_beds for c in classes)

    def mean(attr: str, weight=lambda c: c.arrivals_per_day) -> float:
        total = sum(weight(c) for c in classes)
        return sum(weight(c) * getattr(c, attr) for c in classes) / total if total > 0 else 0.0

    home = mean("home_share")
    hold_home = mean("discharge_hold_h", lambda c: c.arrivals_per_day * c.home_share * (1.0 - c.pathway_share))
    nctr = sum(c.arrivals_per_day / 24.0 * c.home_share * c.pathway_share * c.nctr_h for c in classes if c.nctr_h)
    hold_h = load / (per_day / 24.0) if per_day > 0 else 0.0
    erlang = "B" if spec.when_full == "reject" else "C"
    p_block = p_wait = wait = None
    if math.isinf(load):  # an overloaded discharge pathway: the beds are held without bound
        p_block, p_wait, wait = (1.0, None, None) if erlang == "B" else (None, 1.0, math.inf)
    elif erlang == "B":
        p_block = erlang_b(spec.beds, load)
    else:
        p_wait = erlang_c(spec.beds, load)
        wait = erlang_c_mean_wait_h(spec.beds, load, hold_h)
    clinicians = _clinicians_mean(s, spec)
    clin_load = None
    if spec.ed is not None:
        clin_load = per_day / 24.0 * spec.ed.assessment.to_distribution().mean_h
    return UnitLoad(
        unit=u,
        kind=spec.kind if spec.ed is None else "ed",
        beds=spec.beds,
        when_full=spec.when_full,
        escalation_beds=(spec.escalation.beds if spec.escalation else 0) + _level_beds(s, u),
        arrivals_per_day=per_day,
        stay_mean_h=mean("stay_mean_h"),
        home_share=home,
        discharge_hold_h=hold_home,
        turnaround_h=turn_h,
        hold_h=hold_h,
        load_beds=load,
        patient_load_beds=load - per_day / 24.0 * turn_h,
        scheduled_share=min(sched_per_h * 24.0 / per_day, 1.0) if per_day > 0 else 0.0,
        erlang=erlang,
        p_block=p_block,
        p_wait=p_wait,
        wait_mean_h=wait,
        classes=tuple(classes),
        clinicians_mean=clinicians,
        clinician_load=clin_load,
        pathway_share=mean("pathway_share", lambda c: c.arrivals_per_day * c.home_share),
        nctr_load_beds=nctr,
        nctr_pathways=pathways,
    )


def _level_beds(s: Scenario, unit: str) -> int:
    """Beds (or ED spaces) the escalation levels open on ``unit`` when every level holds (they add up)."""
    return sum(
        lv.actions.open_beds.get(unit, 0) + lv.actions.ed_spaces.get(unit, 0)
        for spec in s.escalation_levels.values()
        for lv in spec.levels
    )


def _outlying_note(s: Scenario, u: UnitLoad, by_name: dict[str, UnitLoad]) -> str | None:
    """For a unit whose load reaches its beds but which places outliers: what its hosts can take.

    A host's spare load is its beds (escalation included) minus its own load, at most its
    ``max_outliers``; an overflow pool is overloaded only when the unit's excess exceeds that.
    """
    o = s.units[u.unit].outlying
    over = u.load_beds - (u.beds + u.escalation_beds)
    if o is None or over < 0:
        return None
    spare = 0.0
    for h in o.hosts:
        hl = by_name[h]
        free = max(hl.beds + hl.escalation_beds - hl.load_beds, 0.0)
        cap = s.units[h].max_outliers
        spare += free if cap is None else min(free, cap)
    hosts = ", ".join(o.hosts)
    text = f"{u.unit}: load {u.load_beds:.1f} for {u.beds + u.escalation_beds} beds, over by {over:.1f}; "
    if spare > over:
        return text + (
            f"its outlying hosts ({hosts}) have about {spare:.1f} beds of spare load, so outliers can carry the "
            "excess (the unit alone would be overloaded; with its hosts it is not)"
        )
    fate = "it turns many arrivals away" if u.when_full == "reject" else "its queue grows without end"
    return (
        text + f"its outlying hosts ({hosts}) have only about {spare:.1f} beds of spare load: even with outliers {fate}"
    )


def _warnings(units: list[UnitLoad], s: Scenario | None = None, overloaded: frozenset[str] = frozenset()) -> list[str]:
    out = []
    by_name = {u.unit: u for u in units}
    for u in units:
        beds = "bed" if u.beds == 1 else "beds"
        note = _outlying_note(s, u, by_name) if s is not None and math.isfinite(u.load_beds) else None
        if math.isinf(u.load_beds):
            out.append(
                f"{u.unit}: its load grows without bound: its patients ready to leave wait in their beds for "
                f"{' or '.join(k for k in u.nctr_pathways if k in overloaded) or 'a discharge pathway'}, which "
                "cannot start them as fast as they come"
            )
        elif note is not None:
            out.append(note)
        elif u.overloaded_by is not None:
            esc = f" and {u.escalation_beds} escalation beds" if u.escalation_beds else ""
            text = (
                f"{u.unit}: overloaded by {u.overloaded_by:.1f} beds (load {u.load_beds:.1f} for {u.beds} {beds}{esc})"
            )
            if u.beds == 0:
                text += f": it has no beds but receives {u.arrivals_per_day:.1f} patients a day"
            elif u.when_full == "queue":
                text += "; its queue grows without end and waits run to the length of the run"
            else:
                text += f"; it turns away about {100 * (u.p_block or 0):.0f}% of arrivals"
            out.append(text)
        elif u.escalation_beds and u.load_beds >= u.beds:
            out.append(
                f"{u.unit}: load {u.load_beds:.1f} for {u.beds} {beds}: over its base beds by "
                f"{u.load_beds - u.beds:.1f}; only its {u.escalation_beds} escalation beds cover it"
            )
        if u.clinician_load is not None and u.clinicians_mean is not None and u.clinician_load >= u.clinicians_mean:
            out.append(
                f"{u.unit}: clinicians overloaded by {u.clinician_load - u.clinicians_mean:.1f} (assessment load "
                f"{u.clinician_load:.1f} for {u.clinicians_mean:.1f} clinicians on duty on average)"
            )
    return out
