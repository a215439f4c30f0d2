"""The p-value of a stay fit's distance D by parametric bootstrap (:func:`bootstrap_ks`).

D is the largest distance between the fitted CDF and the Kaplan-Meier estimate (the KS
distance when nothing is censored; :func:`_km_ks`). Its p-value: resamples drawn from the
fitted law, censored by draws from the reverse Kaplan-Meier estimate of the censoring
times, refitted by the same censored MLE (batched Newton steps for all resamples at once,
:func:`_refit_v`), D* against their own Kaplan-Meier curve, p = (1 + #{D* >= D}) / (B + 1),
B = 199 by default. Resamples hold at most 2000 stays; for larger units sqrt(n) D is
compared with sqrt(m) D* (D's null distribution scales as 1/sqrt(n)). The Kolmogorov
p-value of :func:`_km_ks` ignores that the parameters were estimated from the same stays,
so it is too high (the Lilliefors effect: for 400 lognormal stays the true 1% critical D
is about 0.051, the Kolmogorov one 0.081); the stay fitter keeps it as an upper bound.

Its own module because it is the one numerically heavy piece with its own tests
(``tests/calibration/test_fit_bootstrap.py``). Imports :mod:`~hospital_twin.calibration.stays`
and :mod:`~hospital_twin.calibration.families` only. Pure: arrays in, a :class:`KsBootstrap` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from hospital_twin.calibration.families import FAMILIES, FamilyFit, fit_family
from hospital_twin.calibration.stays import MIN_STAY_H, CensoredSample, kaplan_meier

__all__ = ["BOOTSTRAP_B", "BOOTSTRAP_MAX_N", "KsBootstrap", "bootstrap_ks"]

BOOTSTRAP_B = 199
"""Default number of parametric-bootstrap resamples of the fit distance D (p-values resolve to 1/200)."""

BOOTSTRAP_MAX_N = 2000
"""Resamples of the bootstrap hold at most this many stays. D's null distribution scales as 1/sqrt(n)
(``sqrt(n) D`` has a limit law that depends on the family, the shape and the censoring pattern, not on n), so
for a larger sample the observed ``sqrt(n) D`` is compared with ``sqrt(m) D*`` of resamples of size m."""


def _km_ks(fit: FamilyFit, times: np.ndarray, surv: np.ndarray, n_events: int) -> tuple[float, float]:
    """Sup distance between the fitted CDF and Kaplan-Meier, and the Kolmogorov p-value for n_events."""
    F = fit.dist.cdf(times)
    after = 1.0 - surv
    before = np.concatenate([[0.0], after[:-1]])
    d = float(max(np.max(np.abs(F - after)), np.max(np.abs(F - before))))
    p = float(stats.kstwo.sf(d, max(n_events, 1)))
    return d, p


@dataclass(frozen=True)
class KsBootstrap:
    """A parametric-bootstrap p-value of the fit distance D (see :func:`bootstrap_ks`).

    ``p = (1 + #{sqrt(m) D*_b >= sqrt(n) D}) / (b + 1)`` over the ``b`` resamples that could be refitted.
    """

    p: float
    d: float
    """The observed distance (fitted CDF against Kaplan-Meier), on all ``n`` stays."""
    n: int
    n_resample: int
    """m: stays in each resample (``min(n, max_n)``)."""
    b: int
    """Resamples used (those with at least one observed stay and a converged refit)."""
    d_null: np.ndarray = field(repr=False, compare=False)
    """The b resampled distances D* (each on m stays)."""
    censored_share: float
    """Share of censored stays over all resamples (compare with the data's)."""


def _censoring_law(s: CensoredSample) -> tuple[np.ndarray, np.ndarray]:
    """Reverse Kaplan-Meier: the distribution of the time at which a stay would be censored.

    The censorings are the events and the observed stays the censored ones (a stay that ended at t
    was still open to censoring until t, so it is in the risk set at t). Returns the censoring times
    and the cumulative probability at each; the mass the curve does not reach is "never censored"
    within the observed range.
    """
    d = np.concatenate([s.exact, s.right])
    e = np.concatenate([np.zeros(len(s.exact), bool), np.ones(len(s.right), bool)])
    times, surv = kaplan_meier(d, e)
    return times, 1.0 - surv


def _draw_censoring(times: np.ndarray, cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Censoring times by inversion, ``inf{t: G(t) >= u}``; ``inf`` (never censored) beyond the curve."""
    if not len(times):
        return np.full(u.shape, np.inf)
    i = np.searchsorted(cdf, u, side="left")
    return np.where(i < len(times), times[np.minimum(i, len(times) - 1)], np.inf)


def _cdf_v(family: str, th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """CDF at ``x`` (b, m) under the parameters ``th`` (b, k), one row per resample."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if family == "exponential":
            return -np.expm1(-x * np.exp(-th[:, :1]))
        if family == "lognormal":
            return special.ndtr((np.log(x) - th[:, :1]) / np.exp(th[:, 1:2]))
        if family == "gamma":
            return special.gammainc(np.exp(th[:, :1]), x * np.exp(-th[:, 1:2]))
        if family == "weibull":
            return -np.expm1(-np.exp(np.exp(th[:, :1]) * (np.log(x) - th[:, 1:2])))
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


class _Resamples:
    """b censored samples of m stays each, with what the batched likelihood needs precomputed: per
    resample the number of observed stays and the sums of log x, (log x)^2 and x over them (sufficient for
    the exact part of the lognormal and gamma likelihoods), and the censored stays as flat arrays."""

    def __init__(self, x: np.ndarray, e: np.ndarray):
        self.x, self.e = x, e
        self.b = x.shape[0]
        lx = np.log(x)
        self.n_events = e.sum(axis=1)
        self.s_lx = np.where(e, lx, 0.0).sum(axis=1)
        self.s_lx2 = np.where(e, lx * lx, 0.0).sum(axis=1)
        self.s_x = np.where(e, x, 0.0).sum(axis=1)
        rows = np.broadcast_to(np.arange(self.b)[:, None], x.shape)
        self.lxe, self.re = lx[e], rows[e]
        self.xc, self.rc = x[~e], rows[~e]
        self.lxc = lx[~e]

    def _sum(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(rows, weights=values, minlength=self.b) if len(rows) else np.zeros(self.b)

    def nll(self, family: str, th: np.ndarray) -> np.ndarray:
        """Negative log-likelihood of each resample under its own parameters ``th`` (b, k)."""
        ne, s1 = self.n_events, self.s_lx
        with np.errstate(all="ignore"):
            if family == "lognormal":
                mu, ls = th[:, 0], th[:, 1]
                ss = self.s_lx2 - 2 * mu * s1 + ne * mu * mu
                ll = -s1 - ne * (ls + 0.5 * math.log(2 * math.pi)) - 0.5 * ss * np.exp(-2 * ls)
                z_c = (self.lxc - mu[self.rc]) * np.exp(-ls[self.rc])
                ll += self._sum(self.rc, special.log_ndtr(-z_c))
            elif family == "weibull":
                la, ls = th[:, 0], th[:, 1]
                c = np.exp(la)
                ll = ne * la - s1 + c * (s1 - ne * ls)
                ll -= self._sum(self.re, np.exp(c[self.re] * (self.lxe - ls[self.re])))
                ll -= self._sum(self.rc, np.exp(c[self.rc] * (self.lxc - ls[self.rc])))
            elif family == "gamma":
                a, ls = np.exp(th[:, 0]), th[:, 1]
                ll = (a - 1) * s1 - self.s_x * np.exp(-ls) - ne * (special.gammaln(a) + a * ls)
                q = special.gammaincc(a[self.rc], self.xc * np.exp(-ls[self.rc]))
                ll += self._sum(self.rc, np.log(np.maximum(q, 1e-300)))
            else:
                raise ValueError(f"no batched likelihood for '{family}'")
        ll = np.where(np.isfinite(ll) & np.all(np.abs(th) < 700, axis=1), ll, -np.inf)
        return -ll


def _refit_v(
    family: str, r: _Resamples, th0: np.ndarray, *, max_iter: int = 60, tol: float = 1e-8
) -> tuple[np.ndarray, np.ndarray]:
    """Censored MLE of every resample at once: the same likelihood as :func:`fit_family`, maximised by
    damped Newton steps from ``th0`` (the fit to the data, the resamples' true parameters) with
    finite-difference derivatives computed for all resamples together. Returns the parameters (b, k)
    and whether each converged (resamples without an observed stay do not)."""
    b = r.b
    has_events = r.n_events > 0
    if family == "exponential":
        total = r.s_x + r._sum(r.rc, r.xc)
        with np.errstate(divide="ignore"):
            th = np.log(total / np.maximum(r.n_events, 1))[:, None]
        return th, has_events
    k = len(th0)
    th = np.tile(np.asarray(th0, float), (b, 1))
    f = r.nll(family, th)
    done = ~has_events
    stuck = np.zeros(b, bool)
    h = 1e-4
    eye = np.eye(k) * h
    for _ in range(max_iter):
        fp = np.stack([r.nll(family, th + eye[i]) for i in range(k)], axis=1)
        fm = np.stack([r.nll(family, th - eye[i]) for i in range(k)], axis=1)
        g = (fp - fm) / (2 * h)
        H = np.empty((b, k, k))
        for i in range(k):
            H[:, i, i] = (fp[:, i] - 2 * f + fm[:, i]) / h**2
            for j in range(i + 1, k):
                H[:, i, j] = H[:, j, i] = (
                    r.nll(family, th + eye[i] + eye[j])
                    - r.nll(family, th + eye[i] - eye[j])
                    - r.nll(family, th - eye[i] + eye[j])
                    + r.nll(family, th - eye[i] - eye[j])
                ) / (4 * h * h)
        ok_h = np.all(np.isfinite(H), axis=(1, 2)) & np.all(np.isfinite(g), axis=1)
        pd_h = ok_h & (np.linalg.eigvalsh(np.where(ok_h[:, None, None], H, np.eye(k))).min(axis=1) > 0)
        step = np.zeros_like(th)
        if pd_h.any():
            step[pd_h] = -np.linalg.solve(H[pd_h], g[pd_h][..., None])[..., 0]
        grad_only = ok_h & ~pd_h
        step[grad_only] = -g[grad_only] / np.maximum(np.abs(g[grad_only]).max(axis=1, keepdims=True), 1.0)
        step[done | ~ok_h] = 0.0
        step /= np.maximum(np.abs(step).max(axis=1, keepdims=True), 1.0)  # at most 1 on the log scale, same direction
        t = np.ones(b)
        moving = ~done & ok_h
        for _ in range(30):
            cand = th + t[:, None] * step
            fc = r.nll(family, cand)
            better = moving & (fc <= f + 1e-12 * np.abs(f))
            th = np.where(better[:, None], cand, th)
            f = np.where(better, fc, f)
            moving &= ~better
            if not moving.any():
                break
            t = np.where(moving, t / 2, t)
        small = np.max(np.abs(t[:, None] * step), axis=1) < tol
        # a step that no halving improves is at the optimum to rounding when the gradient is flat there
        flat = np.max(np.abs(g), axis=1) < 1e-6 * np.maximum(r.n_events, 1)
        stuck |= (moving | ~ok_h) & ~done & ~flat
        done |= small | moving | ~ok_h
        if done.all():
            break
    return th, done & ~stuck & has_events & np.isfinite(f)


def _km_d_v(family: str, th: np.ndarray, x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """D of each resample: the largest gap between its fitted CDF and its Kaplan-Meier curve, at its
    observed stays (as :func:`_km_ks`, on (b, m) arrays; events before censorings at ties)."""
    b, m = x.shape
    # events before censorings at ties: a censored stay sorts just after an event at the same time
    order = np.argsort(np.where(e, x, np.nextafter(x, np.inf)), axis=1)
    xs = np.take_along_axis(x, order, axis=1)
    es = np.take_along_axis(e, order, axis=1)
    at_risk = m - np.arange(m)
    after = 1.0 - np.cumprod(1.0 - es / at_risk, axis=1)
    before = np.concatenate([np.zeros((b, 1)), after[:, :-1]], axis=1)
    F = _cdf_v(family, th, xs)
    gap = np.where(es, np.maximum(np.abs(F - after), np.abs(F - before)), 0.0)
    return gap.max(axis=1)


def bootstrap_ks(
    fit: FamilyFit,
    sample: CensoredSample,
    rng: np.random.Generator,
    *,
    b: int = BOOTSTRAP_B,
    max_n: int = BOOTSTRAP_MAX_N,
    d_obs: float | None = None,
) -> KsBootstrap:
    """p-value of the fit distance D by parametric bootstrap, parameters re-estimated in every resample.

    D is the largest gap between the fitted CDF and the Kaplan-Meier curve (:func:`_km_ks`). Each of the
    ``b`` resamples draws m = min(n, ``max_n``) stays from the fitted law and censors them as the data
    were censored: censoring times are drawn from the reverse Kaplan-Meier estimate of the censoring
    distribution (:func:`_censoring_law`). That keeps the censored share and where in the stay censoring
    falls (in a log, an open stay is censored at the log's end, whatever its length, which the
    likelihood and Kaplan-Meier already assume independent of the stay); censoring only the rows that
    were censored, at their own times, would leave the completed rows uncensored and understate it.
    Each resample is refitted by the same censored MLE and family (:func:`_refit_v`, batched) and its
    D* computed against its own Kaplan-Meier curve. With m < n the comparison is on the
    sqrt(n)-scale: ``sqrt(m) D*`` against ``sqrt(n) D``, since D's null distribution shrinks as
    1/sqrt(n). Only right censoring (``sample.lo`` must be empty). ``d_obs``: the observed D when
    already computed (else computed here).
    """
    if len(sample.lo):
        raise ValueError("bootstrap_ks handles right-censored samples only (interval-censored stays use predictive_ks)")
    if b < 1 or max_n < 1:
        raise ValueError(f"bootstrap_ks needs b >= 1 and max_n >= 1 (got b={b}, max_n={max_n})")
    n = sample.n
    if d_obs is None:
        times, surv = kaplan_meier(*sample.km_inputs())
        d_obs, _ = _km_ks(fit, times, surv, sample.n_events)
    m = int(min(n, max_n))
    ct, cc = _censoring_law(sample)
    T = fit.dist.rvs(size=(b, m), random_state=rng)
    C = _draw_censoring(ct, cc, rng.random((b, m)))
    x = np.maximum(np.minimum(T, C), MIN_STAY_H)
    ev = T <= C
    r = _Resamples(x, ev)
    th, ok = _refit_v(fit.family, r, fit.theta)
    for i in np.flatnonzero(~ok & (r.n_events > 0)):
        # the rare resample the batched Newton steps did not settle: the scalar fitter
        try:
            th[i] = fit_family(fit.family, CensoredSample(x[i][ev[i]], x[i][~ev[i]])).theta
            ok[i] = True
        except (ValueError, FloatingPointError):
            continue
    d_star = _km_d_v(fit.family, th[ok], x[ok], ev[ok])
    used = int(len(d_star))
    stat = d_obs * math.sqrt(n)
    exceed = int(np.sum(d_star * math.sqrt(m) >= stat * (1 - 1e-12)))
    p = (1 + exceed) / (used + 1) if used else math.nan
    return KsBootstrap(
        p=float(p), d=float(d_obs), n=int(n), n_resample=m, b=used, d_null=d_star, censored_share=float(1 - ev.mean())
    )
