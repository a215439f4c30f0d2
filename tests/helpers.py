"""Helpers for the analytic and property tests: scenario factories, queueing formulas, CI checks.

Everything analytic is implemented here from first principles (no queueing library),
so that the tests compare the simulator with independent arithmetic:

* :func:`erlang_b` - blocking probability of M/G/c/c, by the numerically stable recursion
  ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))``;
* :func:`erlang_c` - probability of waiting in M/M/c, from Erlang B;
* :func:`mmc_mean_wait` - ``Wq = C / (c mu - lambda)``;
* :func:`erlang_a` - M/M/c+M (exponential patience): probabilities of waiting and of abandoning and
  the mean wait, from the birth-death chain of the number in system truncated far in its tail;
* :func:`mt_inf_periodic_mean` - mean census of an M_t/M/inf queue whose arrival rate is
  piecewise constant per clock hour, in periodic steady state (exact, at any time of day);
* :func:`emw_mean` - the Eick, Massey & Whitt (1993) closed form for a sinusoidal rate.

Statistical tests compare a value with the mean over replications, with a tolerance of
``max(k x standard error, floor)``; :func:`assert_close_to_reps` does that and explains
failures. Seeds: every statistical test takes its seed from :func:`seed`, which adds the
environment variable ``HT_TEST_SEED_OFFSET`` (default 0) so that the whole set can be
re-run under other seeds (``HT_TEST_SEED_OFFSET=1 pytest tests/analytic``) to check that
no test passes by luck; with ``HT_TEST_ZLOG=path`` every comparison appends its z-score
(distance from the expected value in standard errors) to ``path``.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np
import pandas as pd

from hospital_twin.experiment.runner import RunResult
from hospital_twin.scenario.schema import Scenario

START = "2025-01-06T00:00:00"  # a Monday, midnight: simulation hour t is clock hour t % 24


# --------------------------------------------------------------------------- seeds
def seed(base: int) -> int:
    """The seed of a statistical test: ``base`` plus ``$HT_TEST_SEED_OFFSET`` (default 0)."""
    return base + int(os.environ.get("HT_TEST_SEED_OFFSET", "0"))


# --------------------------------------------------------------------------- scenario factories
def stay(distribution: str = "exponential", mean_hours: float = 48.0, cv: float | None = None) -> dict:
    """A length-of-stay spec dict in hours."""
    d: dict[str, Any] = {"distribution": distribution, "mean_hours": mean_hours}
    if cv is not None and distribution != "exponential":
        d["cv"] = cv
    return d


def scenario(
    *,
    units: dict[str, dict],
    arrivals: list[dict],
    length_of_stay: dict[str, dict],
    routes: dict[str, dict[str, float]] | None = None,
    horizon_days: float = 100.0,
    warmup_days: float = 10.0,
    replications: int = 10,
    seed: int = 1,
    name: str = "test",
    **extra: Any,
) -> Scenario:
    """A validated :class:`Scenario` from keyword pieces (dicts as in the YAML files)."""
    data: dict[str, Any] = {
        "name": name,
        "start": START,
        "horizon_days": horizon_days,
        "warmup_days": warmup_days,
        "replications": replications,
        "seed": seed,
        "units": copy.deepcopy(units),
        "arrivals": copy.deepcopy(arrivals),
        "length_of_stay": copy.deepcopy(length_of_stay),
    }
    if routes:
        data["routes"] = copy.deepcopy(routes)
    data.update(copy.deepcopy(extra))
    return Scenario.model_validate(data)


def single_unit(
    *,
    beds: int,
    when_full: str,
    per_day: float,
    los: dict,
    unit: str = "WARD",
    hour_of_day: list[float] | None = None,
    **kw: Any,
) -> Scenario:
    """One unit fed by one Poisson stream."""
    arrival: dict[str, Any] = {"name": "adm", "unit": unit, "per_day": per_day}
    if hour_of_day is not None:
        arrival["hour_of_day"] = list(hour_of_day)
    return scenario(
        units={unit: {"beds": beds, "when_full": when_full}},
        arrivals=[arrival],
        length_of_stay={unit: los},
        **kw,
    )


# --------------------------------------------------------------------------- queueing formulas
def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for ``c`` servers and offered load ``a`` (stable recursion)."""
    if c < 0 or a < 0:
        raise ValueError("c and a must be non-negative")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability of waiting in M/M/c (``a = lambda / mu < c``), from Erlang B."""
    if not a < c:
        raise ValueError("Erlang C needs a < c (a stable queue)")
    b = erlang_b(c, a)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: ``Wq = C(c, a) / (c mu - lambda)`` (time unit of 1/mu)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def erlang_a(c: int, lam: float, mu: float, theta: float, tail: float = 1e-15) -> dict[str, float]:
    """Erlang-A (M/M/c+M): arrivals ``lam``, ``c`` servers of rate ``mu``, patience exponential of rate ``theta``.

    The number in system is a birth-death chain with birth rate ``lam`` and death rate
    ``min(n, c) mu + max(n - c, 0) theta``, so ``pi_n / pi_0 = a^n / n!`` for ``n <= c`` and
    ``pi_c prod_{k=c+1..n} lam / (c mu + (k - c) theta)`` above (Mandelbaum & Zeltyn); it is summed
    until a term falls below ``tail`` of the total (exact to that precision, as the terms fall faster
    than geometrically). By PASTA an arrival waits with probability ``P(N >= c)``; Little's law on
    the queue gives the mean wait of all arrivals, served or not, ``E[Q] / lam``, and since waiting
    customers abandon at rate ``theta`` each, ``P(abandon) = theta E[Q] / lam``.
    Returns ``p_wait``, ``p_abandon``, ``mean_wait`` (time unit of ``1 / mu``) and ``mean_queue``.
    """
    if min(c, lam, mu, theta) <= 0:
        raise ValueError("c, lam, mu and theta must be positive")
    terms = [1.0]
    n = 0
    while True:
        n += 1
        rate_down = min(n, c) * mu + max(n - c, 0) * theta
        terms.append(terms[-1] * lam / rate_down)
        if n > c and terms[-1] < tail * sum(terms):
            break
    pi = np.array(terms) / sum(terms)
    k = np.arange(len(pi))
    queue = float((np.maximum(k - c, 0) * pi).sum())
    return {
        "p_wait": float(pi[c:].sum()),
        "p_abandon": theta * queue / lam,
        "mean_wait": queue / lam,
        "mean_queue": queue,
    }


def mt_inf_periodic_mean(rate_per_hour: np.ndarray, mu: float, t: np.ndarray | None = None) -> np.ndarray:
    """Mean of an M_t/M/inf census in periodic steady state (period ``len(rate_per_hour)`` hours).

    ``rate_per_hour[k]`` is the arrival rate during clock hour ``[k, k+1)``. Over an hour of
    constant rate the mean solves ``m' = lambda - mu m`` exactly, so
    ``m(k+s) = m(k) e^(-mu s) + (lambda_k / mu)(1 - e^(-mu s))``: this is the convolution of
    the piecewise-constant rate with the exponential survival function, done exactly. The
    periodic solution is the fixed point of the map over one period.

    Returns ``m`` at the whole hours ``0..n-1``, or at the times ``t`` (hours, any real) if given.
    """
    lam = np.asarray(rate_per_hour, dtype=float)
    n = len(lam)
    decay = math.exp(-mu)
    # m(n) = m(0) decay^n + sum_k (lam_k/mu)(1-decay) decay^(n-1-k)
    inflow = sum(lam[k] / mu * (1 - decay) * decay ** (n - 1 - k) for k in range(n))
    m = np.empty(n)
    m[0] = inflow / (1 - decay**n)
    for k in range(n - 1):
        m[k + 1] = m[k] * decay + lam[k] / mu * (1 - decay)
    if t is None:
        return m
    t = np.mod(np.asarray(t, dtype=float), n)
    k = np.floor(t).astype(int) % n
    frac = t - np.floor(t)
    return m[k] * np.exp(-mu * frac) + lam[k] / mu * (1 - np.exp(-mu * frac))


def emw_mean(t: np.ndarray | float, lam_bar: float, amp: float, mu: float, period: float = 24.0):
    """Eick-Massey-Whitt mean of M_t/M/inf for ``lambda(t) = lam_bar (1 + amp sin(w t))``."""
    w = 2 * math.pi / period
    t = np.asarray(t, dtype=float)
    damp = mu * mu / (mu * mu + w * w)
    return lam_bar / mu * (1 + amp * damp * (np.sin(w * t) - (w / mu) * np.cos(w * t)))


def first_harmonic(values: np.ndarray, period: float = 24.0) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude and peak time of the first harmonic of equally spaced samples over one period.

    ``values[..., j]`` is the value at ``t_j = j period / n``; the harmonic is
    ``amplitude cos(w (t - peak))`` with ``w = 2 pi / period`` and ``peak`` in ``[0, period)``.
    """
    v = np.asarray(values, dtype=float)
    n = v.shape[-1]
    t = np.arange(n) * period / n
    w = 2 * math.pi / period
    a = 2 / n * (v * np.cos(w * t)).sum(axis=-1)
    b = 2 / n * (v * np.sin(w * t)).sum(axis=-1)
    amplitude = np.hypot(a, b)
    peak = (np.arctan2(b, a) / w) % period
    return amplitude, peak


# --------------------------------------------------------------------------- reading results
def per_rep(result: RunResult, metric: str, unit: str) -> np.ndarray:
    """One KPI, one value per replication, in replication order."""
    k = result.kpis
    sel = k[(k["metric"] == metric) & (k["unit"] == unit)].sort_values("rep")
    if sel.empty:
        raise KeyError(f"no KPI {metric!r} for unit {unit!r}")
    return sel["value"].to_numpy(dtype=float)


def summary_row(result: RunResult, metric: str, unit: str) -> pd.Series:
    s = result.summary
    sel = s[(s["metric"] == metric) & (s["unit"] == unit)]
    if len(sel) != 1:
        raise KeyError(f"no summary row for {metric!r} / {unit!r}")
    return sel.iloc[0]


def mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error across replications."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < 2:
        raise ValueError("need at least two replications for a standard error")
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))


def assert_close_to_reps(values: np.ndarray, expected: float, *, floor: float, k: float = 3.0, what: str = "") -> None:
    """Assert ``expected`` lies within ``mean +- max(k SE, floor)`` of per-replication ``values``."""
    mean, se = mean_se(values)
    tol = max(k * se, floor)
    log = os.environ.get("HT_TEST_ZLOG")
    if log:  # for checking the margins of every statistical test across seeds
        with open(log, "a", encoding="utf-8") as f:
            z = (mean - expected) / se if se else math.inf
            f.write(f"{what}\tz={z:+.2f}\ttol/SE={tol / se if se else math.inf:.2f}\n")
    assert abs(mean - expected) <= tol, (
        f"{what}: expected {expected:.6g}, simulated mean {mean:.6g} "
        f"(SE {se:.3g}, {len(values)} reps; tolerance {tol:.3g} = max({k} SE, {floor}); "
        f"off by {abs(mean - expected) / se if se else math.inf:.2f} SE)"
    )
