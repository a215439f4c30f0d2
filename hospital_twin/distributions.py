"""Duration distributions, all in hours, sampled by inverse transform.

Every distribution maps a uniform number ``u`` in [0, 1) to a duration through its
quantile function (``ppf``). The simulator draws the uniforms from a patient's own
stream and transforms them here, so that two scenarios which differ only in a
distribution's parameters stay coupled draw for draw (common random numbers): a
longer mean stay lengthens every patient's stay, it does not reshuffle them.

Each distribution also exposes its analytic ``mean_h`` and ``var_h2`` so that tests
can check samples against them.

This module owns no random state and touches no files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from hospital_twin._lazy import lazy_module

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    from scipy import optimize, special
else:
    special = lazy_module("scipy.special", globals(), "special")
    optimize = lazy_module("scipy.optimize", globals(), "optimize")

__all__ = [
    "Distribution",
    "Exponential",
    "Lognormal",
    "Gamma",
    "Weibull",
    "Fixed",
    "Empirical",
    "TAIL_P",
    "TAIL_SF",
]

_STD_NORMAL = NormalDist()
_Z90 = _STD_NORMAL.inv_cdf(0.9)

TAIL_SF = 1e-12
"""Below this survival probability a residual stay falls back to the tail rule (see ``residual_ppf``)."""
TAIL_P = 0.9
"""The quantile whose mean excess sets the fallback residual stay."""
_TAIL_GRID = 2000


class Distribution:
    """A non-negative duration in hours."""

    mean_h: float
    var_h2: float

    def ppf(self, u: float) -> float:  # pragma: no cover - interface
        """Quantile (hours) at probability ``u``."""
        raise NotImplementedError

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        """Vectorised quantile function."""
        return np.array([self.ppf(float(x)) for x in np.asarray(u).ravel()]).reshape(np.shape(u))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws in hours from ``rng``."""
        return self.ppf_array(rng.random(size))

    def cdf(self, x: float) -> float:  # pragma: no cover - interface
        """Probability that the duration is at most ``x`` hours."""
        raise NotImplementedError

    def sf(self, x: float) -> float:
        """Survival function ``P(duration > x)``; subclasses override it where ``1 - cdf`` loses precision."""
        return 1.0 - self.cdf(x)

    def isf(self, q: float) -> float:
        """Inverse survival function: the duration exceeded with probability ``q``."""
        return self.ppf(1.0 - q)

    def tail_mean_excess(self, p: float = TAIL_P) -> float:
        """Mean excess over the ``p`` quantile, ``E[X - x_p | X > x_p]`` (numerically, on a quantile grid)."""
        q = self.ppf(p)
        grid = p + (1.0 - p) * (np.arange(_TAIL_GRID) + 0.5) / _TAIL_GRID
        return float(max(np.mean(self.ppf_array(grid)) - q, 0.0))

    def residual_ppf(self, elapsed_h: float, u: float) -> float:
        """Remaining duration (hours) of a stay that has already lasted ``elapsed_h``, at uniform ``u``.

        Inverse transform of the residual distribution ``X - e | X > e``:
        ``F^-1(F(e) + u (1 - F(e))) - e``, computed as ``isf(S(e) (1 - u)) - e`` so that it
        stays accurate far into the tail. It is increasing in ``u`` (common random numbers
        keep working). When the stay has outlasted what the distribution allows
        (``S(e) <= TAIL_SF``: beyond a fixed value, past the largest empirical value, or
        numerically in the far tail) the remaining stay is exponential with the mean
        excess of the distribution's top decile (``tail_mean_excess``): a patient who is
        already an outlier stays, on average, as long again as the outliers did beyond
        their 90th percentile. That mean is 0 for ``Fixed`` (the patient leaves at once).
        """
        if elapsed_h <= 0:
            return self.ppf(u)
        s = self.sf(elapsed_h)
        if s > TAIL_SF:
            return max(self.isf(s * (1.0 - u)) - elapsed_h, 0.0)
        return -self.tail_mean_excess() * math.log1p(-u)

    @property
    def cv(self) -> float:
        return math.sqrt(self.var_h2) / self.mean_h if self.mean_h > 0 else 0.0


def _clip_u(u: float) -> float:
    # Inverse transforms are undefined at exactly 0 and 1; Generator.random is in [0, 1).
    if u <= 1e-15:
        return 1e-15
    return u


@dataclass(frozen=True)
class Exponential(Distribution):
    mean_h: float

    @property
    def var_h2(self) -> float:  # type: ignore[override]
        return self.mean_h**2

    def ppf(self, u: float) -> float:
        return -self.mean_h * math.log1p(-u)

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_h * np.log1p(-np.asarray(u, dtype=float))

    def cdf(self, x: float) -> float:
        return -math.expm1(-x / self.mean_h) if x > 0 else 0.0

    def sf(self, x: float) -> float:
        return math.exp(-x / self.mean_h) if x > 0 else 1.0

    def isf(self, q: float) -> float:
        return -self.mean_h * math.log(q) if q > 0 else math.inf

    def tail_mean_excess(self, p: float = TAIL_P) -> float:
        return self.mean_h  # memoryless


@dataclass(frozen=True)
class Lognormal(Distribution):
    mu: float
    sigma: float

    @classmethod
    def from_mean_cv(cls, mean_h: float, cv: float) -> Lognormal:
        sigma2 = math.log1p(cv * cv)
        return cls(mu=math.log(mean_h) - sigma2 / 2, sigma=math.sqrt(sigma2))

    @classmethod
    def from_median_p90(cls, median_h: float, p90_h: float) -> Lognormal:
        return cls(mu=math.log(median_h), sigma=math.log(p90_h / median_h) / _Z90)

    @property
    def mean_h(self) -> float:  # type: ignore[override]
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def var_h2(self) -> float:  # type: ignore[override]
        return math.expm1(self.sigma**2) * math.exp(2 * self.mu + self.sigma**2)

    def ppf(self, u: float) -> float:
        return math.exp(self.mu + self.sigma * _STD_NORMAL.inv_cdf(_clip_u(u)))

    def cdf(self, x: float) -> float:
        return float(special.ndtr((math.log(x) - self.mu) / self.sigma)) if x > 0 else 0.0

    def sf(self, x: float) -> float:
        return float(special.ndtr(-(math.log(x) - self.mu) / self.sigma)) if x > 0 else 1.0

    def isf(self, q: float) -> float:
        return math.exp(self.mu - self.sigma * float(special.ndtri(q))) if q > 0 else math.inf

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        return np.exp(self.mu + self.sigma * special.ndtri(np.clip(u, 1e-15, None)))


@dataclass(frozen=True)
class Gamma(Distribution):
    shape: float
    scale_h: float

    @classmethod
    def from_mean_cv(cls, mean_h: float, cv: float) -> Gamma:
        shape = 1.0 / (cv * cv)
        return cls(shape=shape, scale_h=mean_h / shape)

    @classmethod
    def from_median_p90(cls, median_h: float, p90_h: float) -> Gamma:
        ratio = p90_h / median_h

        def gap(log_k: float) -> float:
            k = math.exp(log_k)
            return special.gammaincinv(k, 0.9) / special.gammaincinv(k, 0.5) - ratio

        log_k = optimize.brentq(gap, math.log(1e-3), math.log(1e4))
        k = math.exp(log_k)
        return cls(shape=k, scale_h=median_h / special.gammaincinv(k, 0.5))

    @property
    def mean_h(self) -> float:  # type: ignore[override]
        return self.shape * self.scale_h

    @property
    def var_h2(self) -> float:  # type: ignore[override]
        return self.shape * self.scale_h**2

    def ppf(self, u: float) -> float:
        return float(special.gammaincinv(self.shape, u)) * self.scale_h

    def cdf(self, x: float) -> float:
        return float(special.gammainc(self.shape, x / self.scale_h)) if x > 0 else 0.0

    def sf(self, x: float) -> float:
        return float(special.gammaincc(self.shape, x / self.scale_h)) if x > 0 else 1.0

    def isf(self, q: float) -> float:
        return float(special.gammainccinv(self.shape, q)) * self.scale_h if q > 0 else math.inf

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        return special.gammaincinv(self.shape, np.asarray(u, dtype=float)) * self.scale_h


@dataclass(frozen=True)
class Weibull(Distribution):
    shape: float
    scale_h: float

    @classmethod
    def from_mean_cv(cls, mean_h: float, cv: float) -> Weibull:
        target = cv * cv

        def gap(log_k: float) -> float:
            k = math.exp(log_k)
            g1 = math.lgamma(1 + 1 / k)
            g2 = math.lgamma(1 + 2 / k)
            return math.expm1(g2 - 2 * g1) - target

        k = math.exp(optimize.brentq(gap, math.log(0.05), math.log(200.0)))
        return cls(shape=k, scale_h=mean_h / math.gamma(1 + 1 / k))

    @classmethod
    def from_median_p90(cls, median_h: float, p90_h: float) -> Weibull:
        # F^-1(p) = scale * (-ln(1-p))^(1/k)
        k = math.log(math.log(10) / math.log(2)) / math.log(p90_h / median_h)
        return cls(shape=k, scale_h=median_h / math.log(2) ** (1 / k))

    @property
    def mean_h(self) -> float:  # type: ignore[override]
        return self.scale_h * math.gamma(1 + 1 / self.shape)

    @property
    def var_h2(self) -> float:  # type: ignore[override]
        g1 = math.gamma(1 + 1 / self.shape)
        g2 = math.gamma(1 + 2 / self.shape)
        return self.scale_h**2 * (g2 - g1 * g1)

    def ppf(self, u: float) -> float:
        return self.scale_h * (-math.log1p(-u)) ** (1 / self.shape)

    def cdf(self, x: float) -> float:
        return -math.expm1(-((x / self.scale_h) ** self.shape)) if x > 0 else 0.0

    def sf(self, x: float) -> float:
        return math.exp(-((x / self.scale_h) ** self.shape)) if x > 0 else 1.0

    def isf(self, q: float) -> float:
        return self.scale_h * (-math.log(q)) ** (1 / self.shape) if q > 0 else math.inf

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        return self.scale_h * (-np.log1p(-np.asarray(u, dtype=float))) ** (1 / self.shape)


@dataclass(frozen=True)
class Fixed(Distribution):
    value_h: float

    @property
    def mean_h(self) -> float:  # type: ignore[override]
        return self.value_h

    @property
    def var_h2(self) -> float:  # type: ignore[override]
        return 0.0

    def ppf(self, u: float) -> float:
        return self.value_h

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value_h)

    def cdf(self, x: float) -> float:
        return 1.0 if x >= self.value_h else 0.0

    def isf(self, q: float) -> float:
        return self.value_h

    def tail_mean_excess(self, p: float = TAIL_P) -> float:
        return 0.0


class Empirical(Distribution):
    """Piecewise-linear quantile function through ``(probs, values_h)``.

    Built from quantiles (``{0.0: 2, 0.5: 48, 1.0: 600}``) or from raw samples (each
    sample at its plotting position ``(i + 0.5) / n``, with the minimum and maximum at
    0 and 1), so that the distribution never produces a value outside what was seen.
    """

    def __init__(self, probs: list[float] | np.ndarray, values_h: list[float] | np.ndarray):
        self.probs = np.asarray(probs, dtype=float)
        self.values_h = np.asarray(values_h, dtype=float)
        self._probs_list = self.probs.tolist()
        self._values_list = self.values_h.tolist()
        # Mean and variance of the piecewise-uniform distribution between knots.
        p, v = self.probs, self.values_h
        w = np.diff(p)
        a, b = v[:-1], v[1:]
        self.mean_h = float(np.sum(w * (a + b) / 2))
        second = float(np.sum(w * (a * a + a * b + b * b) / 3))
        self.var_h2 = max(second - self.mean_h**2, 0.0)

    @classmethod
    def from_samples(cls, samples_h: list[float] | np.ndarray) -> Empirical:
        x = np.sort(np.asarray(samples_h, dtype=float))
        n = len(x)
        if n == 1:
            return cls([0.0, 1.0], [x[0], x[0]])
        probs = (np.arange(n) + 0.5) / n
        probs = np.concatenate([[0.0], probs, [1.0]])
        values = np.concatenate([[x[0]], x, [x[-1]]])
        return cls(probs, values)

    def ppf(self, u: float) -> float:
        probs = self._probs_list
        # bisect on the knots, then linear interpolation
        lo, hi = 0, len(probs) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if probs[mid] <= u:
                lo = mid
            else:
                hi = mid
        p0, p1 = probs[lo], probs[hi]
        v0, v1 = self._values_list[lo], self._values_list[hi]
        if p1 <= p0:
            return v1
        return v0 + (v1 - v0) * (u - p0) / (p1 - p0)

    def ppf_array(self, u: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(u, dtype=float), self.probs, self.values_h)

    def cdf(self, x: float) -> float:
        """Inverse of the piecewise-linear quantile function; a flat stretch of it is an atom."""
        v = self._values_list
        if x < v[0]:
            return 0.0
        if x >= v[-1]:
            return 1.0
        j = int(np.searchsorted(self.values_h, x, side="right"))  # v[j-1] <= x < v[j]
        p0, p1, v0, v1 = self._probs_list[j - 1], self._probs_list[j], v[j - 1], v[j]
        return p0 + (p1 - p0) * (x - v0) / (v1 - v0)

    def tail_mean_excess(self, p: float = TAIL_P) -> float:
        if p == TAIL_P:  # asked once per census patient in a warm start: keep it
            if not hasattr(self, "_tail_mean_excess"):
                self._tail_mean_excess = super().tail_mean_excess(p)
            return self._tail_mean_excess
        return super().tail_mean_excess(p)

    def residual_ppf(self, elapsed_h: float, u: float) -> float:
        """Remaining duration after ``elapsed_h`` hours, at uniform ``u``.

        Below the ``TAIL_P`` quantile, the residual of the piecewise-linear distribution
        itself (see :meth:`Distribution.residual_ppf`). From there on it is exponential
        with the top decile's mean excess: an empirical distribution ends at the longest
        stay seen, so its own residual would shrink to nothing as the elapsed time nears
        that value (a patient on day 39 of a stay whose longest sample was 40 days would
        be sent home within hours), while a real patient in the tail has, on average, as
        long to go as the tail's mean excess. At the ``TAIL_P`` quantile both give the same
        mean remaining stay, so the switch is continuous in the mean.
        """
        if elapsed_h > 0 and self.cdf(elapsed_h) >= TAIL_P:
            return -self.tail_mean_excess() * math.log1p(-u)
        return super().residual_ppf(elapsed_h, u)

    def __repr__(self) -> str:
        return f"Empirical(mean_h={self.mean_h:.3g}, knots={len(self.probs)})"
