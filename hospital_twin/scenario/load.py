"""Offered load per unit from a scenario, without simulating: the analytic sanity band.

For every unit (and every patient class that reaches it) :func:`offered_load` computes

* the arrival rate from the traffic equations ``lambda = lambda_ext + lambda P``, solved per
  patient class (each class has its own routes): external Poisson streams (``per_day`` x class
  share x the stream's rate averaged over the measured period: hour and day profiles average 1,
  dated multipliers count for the time they cover) and elective lists (``per_weekday`` booked,
  averaged over the week); an emergency department's admitted share is its classes' routes out
  of it;
* the mean time a patient holds a bed: mean stay (in an emergency department: clinician
  assessment + stay after it) + P(going home from the unit) x the mean discharge hold the unit's
  rule implies + mean cleaning time;
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

This module is pure: scenario in, numbers out (no printing, no pandas, no files).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from hospital_twin.distributions import Distribution
from hospital_twin.scenario.schema import EXIT, DischargeLoungeSpec, DischargeSpec, Scenario, UnitSpec

__all__ = [
    "BIN_H",
    "ClassLoad",
    "LoadReport",
    "UnitLoad",
    "erlang_b",
    "erlang_c",
    "erlang_c_mean_wait_h",
    "hold_given_ready_h",
    "day_of_week_for_shares",
    "discharge_shares_by_weekday",
    "mean_discharge_hold_h",
    "mean_lounge_saving_h",
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


@dataclass(frozen=True)
class UnitLoad:
    """Offered load of one unit (rates per day, times in hours, loads in beds) and its Erlang figures.

    ``hold_h`` is the mean time a patient holds a bed (stay + home share x discharge hold +
    cleaning); ``load_beds`` = arrivals per hour x ``hold_h``; ``patient_load_beds`` leaves the
    cleaning out (what the simulated occupancy counts). ``erlang`` is ``"B"`` (``p_block``) for a
    ``reject`` unit, ``"C"`` (``p_wait``, ``wait_mean_h``) for a ``queue`` unit. ``scheduled_share``
    is the share of arrivals from elective lists (not Poisson: the Erlang figures are indicative).
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

    def unit(self, name: str) -> UnitLoad:
        for u in self.units:
            if u.unit == name:
                return u
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


def offered_load(s: Scenario) -> LoadReport:
    """Offered load, mean hold and Erlang figures of every unit of ``s`` (see the module docstring)."""
    units = list(s.units)
    n = len(units)
    per_class: dict[str, list[ClassLoad]] = {u: [] for u in units}
    sched_rate = np.zeros(n)
    served = _lounge_of(s)
    raw = []
    lounge_load = dict.fromkeys(s.discharge_lounges, 0.0)
    for cls in s.class_names():
        lam, sched, ready = _class_flows(s, cls, units)
        sched_rate += sched
        routes = s.routes_for(cls)
        for i, u in enumerate(units):
            if lam[i] <= 1e-15:
                continue
            spec = s.units[u]
            dests = routes.get(u) or {EXIT: 1.0}
            home = float(dests.get(EXIT, 0.0)) / (sum(dests.values()) or 1.0)
            stay = sum(d.mean_h for d in _stay_parts(s, cls, u))
            rule = _unit_rule(s, spec)
            hold = mean_discharge_hold_h(rule, ready[i]) if home > 0 else 0.0
            saving = 0.0
            if u in served and home > 0 and rule is not None:
                saving = mean_lounge_saving_h(rule, s.discharge_lounges[served[u]], ready[i])
                lounge_load[served[u]] += float(lam[i]) * home * saving
            raw.append((cls, u, spec, float(lam[i]), stay, home, hold, saving))
    # a lounge with Poisson arrivals is an Erlang loss system: a share B of the patients find it full
    room = {name: 1.0 - erlang_b(spec.places, lounge_load[name]) for name, spec in s.discharge_lounges.items()}
    for cls, u, spec, rate, stay, home, hold, saving in raw:
        if saving:
            hold -= room[served[u]] * saving
        turn = spec.turnaround_distribution()
        bed_h = stay + home * hold + (turn.mean_h if turn is not None else 0.0)
        per_class[u].append(ClassLoad(cls, rate * 24.0, stay, home, hold, bed_h, rate * bed_h))
    out = [_unit_load(s, u, per_class[u], float(sched_rate[i])) for i, u in enumerate(units)]
    return LoadReport(scenario=s.name, units=tuple(out), warnings=tuple(_warnings(out, s)), assumptions=ASSUMPTIONS)


def _unit_load(s: Scenario, u: str, classes: list[ClassLoad], sched_per_h: float) -> UnitLoad:
    spec = s.units[u]
    turn = spec.turnaround_distribution()
    turn_h = turn.mean_h if turn is not None else 0.0
    per_day = sum(c.arrivals_per_day for c in classes)
    load = sum(c.load_beds for c in classes)

    def mean(attr: str, weight=lambda c: c.arrivals_per_day) -> float:
        total = sum(weight(c) for c in classes)
        return sum(weight(c) * getattr(c, attr) for c in classes) / total if total > 0 else 0.0

    home = mean("home_share")
    hold_home = mean("discharge_hold_h", lambda c: c.arrivals_per_day * c.home_share)
    hold_h = load / (per_day / 24.0) if per_day > 0 else 0.0
    erlang = "B" if spec.when_full == "reject" else "C"
    p_block = p_wait = wait = None
    if erlang == "B":
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
        escalation_beds=spec.escalation.beds if spec.escalation else 0,
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


def _warnings(units: list[UnitLoad], s: Scenario | None = None) -> list[str]:
    out = []
    by_name = {u.unit: u for u in units}
    for u in units:
        beds = "bed" if u.beds == 1 else "beds"
        note = _outlying_note(s, u, by_name) if s is not None else None
        if note is not None:
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
