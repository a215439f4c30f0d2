"""The candidate stay distributions and their censored maximum-likelihood fit.

Owns :data:`FAMILIES` (exponential, lognormal, gamma, Weibull, on log-parameters), their
log-density and log-survival in closed form (building a frozen scipy.stats object per
likelihood call costs more than the arithmetic), the censored negative log-likelihood of a
:class:`~hospital_twin.calibration.stays.CensoredSample`, :func:`fit_family` (L-BFGS-B,
Nelder-Mead polish, standard errors from the observed information) and
:func:`fit_families` (all of them, ranked by AIC with Akaike weights). A fit knows its
scenario ``DistributionSpec`` dict (:meth:`FamilyFit.spec`).

Imports :mod:`~hospital_twin.calibration.stays` only (for the sample); the stay fitter and
the bootstrap build on this module. Pure: arrays in, fits out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from hospital_twin.calibration.stays import CensoredSample

__all__ = ["FAMILIES", "FamilyFit", "fit_family", "fit_families"]

FAMILIES: tuple[str, ...] = ("exponential", "lognormal", "gamma", "weibull")
"""Candidate stay distributions, fitted by censored maximum likelihood and ranked by AIC."""


def _sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits (plain float for YAML)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def _frozen(family: str, th: np.ndarray):
    if family == "exponential":
        return stats.expon(scale=math.exp(th[0]))
    if family == "lognormal":
        return stats.lognorm(s=math.exp(th[1]), scale=math.exp(th[0]))
    if family == "gamma":
        return stats.gamma(a=math.exp(th[0]), scale=math.exp(th[1]))
    if family == "weibull":
        return stats.weibull_min(c=math.exp(th[0]), scale=math.exp(th[1]))
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


def _mean_cv(family: str, th: np.ndarray) -> tuple[float, float]:
    if family == "exponential":
        return math.exp(th[0]), 1.0
    if family == "lognormal":
        s2 = math.exp(2 * th[1])
        return math.exp(th[0] + s2 / 2), math.sqrt(math.expm1(s2))
    if family == "gamma":
        k = math.exp(th[0])
        return k * math.exp(th[1]), 1 / math.sqrt(k)
    k = math.exp(th[0])
    g1 = special.gammaln(1 + 1 / k)
    g2 = special.gammaln(1 + 2 / k)
    return math.exp(th[1] + g1), math.sqrt(max(math.expm1(g2 - 2 * g1), 0.0))


def _start(family: str, x: np.ndarray) -> np.ndarray:
    x = x[x > 0]
    m = float(np.mean(x))
    cv = float(np.std(x) / m) if len(x) > 1 and m > 0 else 1.0
    cv = min(max(cv, 0.05), 20.0)
    if family == "exponential":
        return np.array([math.log(m)])
    if family == "lognormal":
        lx = np.log(x)
        return np.array([float(lx.mean()), math.log(max(float(lx.std()), 0.05))])
    if family == "gamma":
        k = 1 / cv**2
        return np.array([math.log(k), math.log(m / k)])
    from hospital_twin.distributions import Weibull

    w = Weibull.from_mean_cv(m, min(max(cv, 0.1), 10.0))
    return np.array([math.log(w.shape), math.log(w.scale_h)])


def _logpdf(family: str, th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log density in closed form (building a frozen scipy.stats object per likelihood call cost
    more than the arithmetic: its docstring is formatted on every construction)."""
    lx = np.log(x)
    if family == "exponential":
        return -th[0] - x * math.exp(-th[0])
    if family == "lognormal":
        mu, sg = th[0], math.exp(th[1])
        z = (lx - mu) / sg
        return -lx - th[1] - 0.5 * math.log(2 * math.pi) - 0.5 * z * z
    if family == "gamma":
        a, ls = math.exp(th[0]), th[1]
        return (a - 1) * lx - x * math.exp(-ls) - special.gammaln(a) - a * ls
    if family == "weibull":
        c, ls = math.exp(th[0]), th[1]
        lz = lx - ls
        return th[0] - ls + (c - 1) * lz - np.exp(c * lz)
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


def _logsf(family: str, th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log survival in closed form; the gamma through the regularised incomplete gamma function, with
    scipy.stats in the far tail where that underflows."""
    x = np.asarray(x, float)
    if not len(x):
        return np.zeros(0)
    if family == "exponential":
        return -x * math.exp(-th[0])
    if family == "lognormal":
        with np.errstate(divide="ignore"):
            return special.log_ndtr(-(np.log(np.maximum(x, 1e-300)) - th[0]) / math.exp(th[1]))
    if family == "weibull":
        with np.errstate(divide="ignore"):
            return -np.exp(math.exp(th[0]) * (np.log(np.maximum(x, 1e-300)) - th[1]))
    if family == "gamma":
        a, scale = math.exp(th[0]), math.exp(th[1])
        q = special.gammaincc(a, x / scale)
        out = np.log(np.maximum(q, 1e-300))
        tail = q < 1e-250
        if tail.any():
            out[tail] = _frozen(family, th).logsf(x[tail])
        return out
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


def _nll(family: str, th: np.ndarray, s: CensoredSample) -> float:
    if not np.all(np.isfinite(th)) or np.any(np.abs(th) > 700):
        return math.inf
    with np.errstate(all="ignore"):
        total = 0.0
        if len(s.exact):
            total += float(np.sum(_logpdf(family, th, s.exact)))
        if len(s.right):
            total += float(np.sum(_logsf(family, th, s.right)))
        if len(s.lo):
            # log P = A + log(-expm1(C - A) + (1 - w) expm1(B - A)), A = logsf(lo2) >= B = logsf(lo) >= C = logsf(hi)
            a = np.where(s.lo2 > 0, _logsf(family, th, s.lo2), 0.0)
            b = np.where(s.lo > 0, _logsf(family, th, s.lo), 0.0)
            c = _logsf(family, th, s.hi)
            inner = -np.expm1(c - a) + (1 - s.w2) * np.expm1(b - a)
            total += float(np.sum(a + np.log(np.maximum(inner, 1e-300))))
    return -total if math.isfinite(total) else math.inf


@dataclass
class FamilyFit:
    """One family fitted by censored maximum likelihood (durations in hours)."""

    family: str
    theta: np.ndarray
    """Log-parameters: exponential (log scale); lognormal (mu, log sigma); gamma and Weibull (log shape, log scale)."""
    nll: float
    aic: float
    n_params: int
    mean_h: float
    cv: float
    mean_se_h: float
    cv_se: float
    cov: np.ndarray
    converged: bool
    aic_weight: float = math.nan

    @property
    def dist(self):
        """The frozen scipy.stats distribution."""
        return _frozen(self.family, self.theta)

    def spec(self) -> dict[str, Any]:
        """The scenario's DistributionSpec dict, in hours."""
        if self.family == "exponential":
            return {"distribution": "exponential", "mean_hours": _sig(self.mean_h)}
        return {"distribution": self.family, "mean_hours": _sig(self.mean_h), "cv": _sig(self.cv)}


def _hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    k = len(x)
    H = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                e = np.zeros(k)
                e[i] = h
                H[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h**2
            else:
                ei = np.zeros(k)
                ej = np.zeros(k)
                ei[i] = h
                ej[j] = h
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    return H


def fit_family(family: str, sample: CensoredSample | Sequence[float] | np.ndarray) -> FamilyFit:
    """Censored maximum-likelihood fit of one family, on log-parameters.

    The log-likelihood sums ``logpdf`` of exact durations, ``logsf`` of right-censored
    ones and the log-probability of each interval (scipy.stats); it is minimised with
    L-BFGS-B from moment-based starting values, then polished with Nelder-Mead. Standard
    errors come from the observed information (numerical Hessian) and the delta method.
    """
    s = sample if isinstance(sample, CensoredSample) else CensoredSample(np.asarray(sample, float))
    if s.n_events == 0:
        raise ValueError("no observed (uncensored) duration to fit")
    n = s.n
    th0 = _start(family, s.pseudo())

    def f(th: np.ndarray) -> float:
        v = _nll(family, th, s)
        return v / n if math.isfinite(v) else 1e100

    best = optimize.minimize(f, th0, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 500})
    if not best.success:
        polish = optimize.minimize(
            f, best.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000}
        )
        best = polish if polish.fun <= best.fun else best
    th = np.asarray(best.x, float)
    nll = f(th) * n
    k = len(th)
    cov = np.full((k, k), np.nan)
    mean, cv = _mean_cv(family, th)
    mean_se = cv_se = math.nan
    try:
        H = _hessian(lambda t: _nll(family, t, s), th)
        if np.all(np.isfinite(H)):
            c = np.linalg.inv(H)
            if np.all(np.linalg.eigvalsh((c + c.T) / 2) > 0):
                cov = c
                eps = 1e-6
                g_mean = np.empty(k)
                g_cv = np.empty(k)
                for i in range(k):
                    e = np.zeros(k)
                    e[i] = eps
                    mp, cp = _mean_cv(family, th + e)
                    mm, cm = _mean_cv(family, th - e)
                    g_mean[i] = (mp - mm) / (2 * eps)
                    g_cv[i] = (cp - cm) / (2 * eps)
                mean_se = float(math.sqrt(max(g_mean @ cov @ g_mean, 0.0)))
                cv_se = float(math.sqrt(max(g_cv @ cov @ g_cv, 0.0)))
    except (np.linalg.LinAlgError, OverflowError, ValueError):
        pass
    return FamilyFit(
        family=family,
        theta=th,
        nll=float(nll),
        aic=float(2 * k + 2 * nll),
        n_params=k,
        mean_h=float(mean),
        cv=float(cv),
        mean_se_h=mean_se,
        cv_se=cv_se,
        cov=cov,
        converged=bool(best.success),
    )


def fit_families(sample: CensoredSample, families: Iterable[str] = FAMILIES) -> dict[str, FamilyFit]:
    """Every family fitted, with Akaike weights; ordered by AIC (best first)."""
    fits = {}
    for fam in families:
        try:
            fits[fam] = fit_family(fam, sample)
        except (ValueError, FloatingPointError):
            continue
    if not fits:
        return {}
    aics = np.array([f.aic for f in fits.values()])
    rel = np.exp(-(aics - aics.min()) / 2)
    for f, w in zip(fits.values(), rel / rel.sum(), strict=True):
        f.aic_weight = float(w)
    return dict(sorted(fits.items(), key=lambda kv: kv[1].aic))
