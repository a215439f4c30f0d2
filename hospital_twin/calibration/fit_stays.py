"""Length of stay per unit (and per class where it differs): :class:`StayFit`.

Stays (:class:`StayFit`)
    Censored maximum likelihood for exponential, lognormal, gamma and Weibull
    (:mod:`~hospital_twin.calibration.families`); the smallest AIC wins. With fewer than 10
    observed stays only the exponential is fitted (and kept whatever its test says: there is
    too little to judge a shape). Fit quality: the largest distance D between the fitted CDF
    and the Kaplan-Meier estimate, with a parametric-bootstrap p-value
    (:func:`~hospital_twin.calibration.bootstrap.bootstrap_ks`, B = 199 resamples; the
    Kolmogorov p-value is kept as ``ks_p_upper``, an upper bound). Units with a
    discharge-hour rule keep the predictive two-sample Kolmogorov p-value
    (:func:`predictive_ks`: an upper bound; not bootstrapped). Acceptable when p >= 0.01,
    or, for large samples where any test rejects, when D <= 0.02 and the fitted mean is
    within 5% of the Kaplan-Meier mean; otherwise the stay is an empirical distribution
    (Kaplan-Meier quantiles). A class gets its own stay in a unit with >= 200 stays there,
    a log-rank test against the unit's other classes with p < alpha, and Kaplan-Meier
    curves at least 0.05 apart somewhere (classes tested smallest first, as for routes).

Imports the stays, families, bootstrap and significance modules; no other fitter. Pure:
DataFrames in, a fitted :class:`StayFit` out.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.calibration.bootstrap import BOOTSTRAP_B, BOOTSTRAP_MAX_N, _km_ks, bootstrap_ks
from hospital_twin.calibration.families import FAMILIES, FamilyFit, _sig, fit_families
from hospital_twin.calibration.significance import ALPHA, MIN_CLASS_STAYS
from hospital_twin.calibration.stays import (
    MIN_STAY_H,
    CensoredSample,
    _km_cdf_at,
    _km_distance,
    censored_sample,
    kaplan_meier,
    km_mean,
    logrank_test,
    prepare_stays,
)

__all__ = ["EMPIRICAL_PROBS", "MIN_SHAPE_EVENTS", "StayEstimate", "StayFit", "predictive_ks"]

MIN_SHAPE_EVENTS = 10
"""Below this many observed stays only the exponential (one parameter) is fitted: a shape
parameter estimated from a handful of stays is noise (one stay gives a cv of zero)."""

EMPIRICAL_PROBS: tuple[float, ...] = (
    (0.0, 0.01, 0.025) + tuple(round(0.05 * i, 2) for i in range(1, 20)) + (0.975, 0.99, 0.995, 0.999, 1.0)
)
"""Probabilities at which an empirical stay is given (Kaplan-Meier quantiles)."""


@dataclass
class StayEstimate:
    """The stay of one unit (and class), with its evidence."""

    unit: str
    patient_class: str | None
    n: int
    n_exact: int
    n_censored: int
    n_interval: int
    fits: dict[str, FamilyFit]
    chosen: str
    """Best family by AIC, or ``empirical`` when it does not fit acceptably."""
    ks_d: float
    ks_p: float
    """p-value of D that decides ``acceptable``: the parametric bootstrap (:func:`bootstrap_ks`) for
    right-censored stays; for stays under a discharge-hour rule, :func:`predictive_ks`'s (an upper bound)."""
    acceptable: bool
    km_mean_h: float
    spec: dict[str, Any]
    note: str = ""
    ks_p_upper: float = math.nan
    """The Kolmogorov p-value of D (parameters taken as known, so too high: an upper bound)."""
    ks_test: str = ""
    """How ``ks_p`` was computed, in words (e.g. ``parametric bootstrap, B=199 resamples of 2000 stays``)."""
    ks_b: int = 0
    """Bootstrap resamples behind ``ks_p`` (0 when not bootstrapped)."""
    ks_n_resample: int = 0
    """Stays in each bootstrap resample (``min(n, bootstrap_max_n)``; 0 when not bootstrapped)."""

    @property
    def best(self) -> FamilyFit | None:
        return next(iter(self.fits.values()), None)

    @property
    def ks_p_at_floor(self) -> bool:
        """No bootstrap resample reached the observed D: ``ks_p`` is 1/(B+1), read it as "at most that"."""
        return self.ks_b > 0 and self.ks_p <= 1.0 / (self.ks_b + 1) * (1 + 1e-9)

    @property
    def mean_h(self) -> float:
        b = self.best
        return b.mean_h if self.chosen != "empirical" and b is not None else self.km_mean_h


def _leave_at(ready_h: np.ndarray, cum: np.ndarray, q: float | np.ndarray, u: np.ndarray) -> np.ndarray:
    """The simulator's discharge-hour rule (hospital_twin.sim.calendar.DischargeRule), vectorised.

    ``ready_h`` in hours since a Monday midnight; ``u`` has three uniforms per patient
    (hour, minute within the hour, weekend permission); ``q`` the weekend rate, or the seven pass
    probabilities of a ``day_of_week`` rule.
    """
    hour = np.minimum(np.searchsorted(cum, u[:, 0], side="right"), 23)
    cand = np.floor(ready_h / 24) * 24 + hour + u[:, 1]
    cand = np.where(cand < ready_h, cand + 24, cand)
    if np.ndim(q):  # day_of_week: seven pass probabilities, one uniform decides every day
        day_pass = np.asarray(q, float)
        for _ in range(6):
            cand = np.where(u[:, 2] >= day_pass[(np.floor(cand / 24) % 7).astype(int)], cand + 24, cand)
        return cand
    held = u[:, 2] >= q
    for _ in range(2):
        cand = np.where(held & ((np.floor(cand / 24) % 7) >= 5), cand + 24, cand)
    return cand


def predictive_ks(
    fit: FamilyFit, s: CensoredSample, rng: np.random.Generator, k: int = 3
) -> tuple[float, float, float]:
    """Distance between the observed stays and stays simulated from ``fit``, and its p-value.

    Each observed stay is simulated ``k`` times in its own way: an exact stay is a draw;
    a right-censored one is a draw censored at the same time; an interval-censored exit
    under a discharge-hour rule is a draw of the time until ready, then held by the rule
    from the stay's own start. D is the largest gap between the Kaplan-Meier curves of
    the observed and the simulated stays; the p-value is the two-sample Kolmogorov
    approximation with n_eff = n m / (n + m) (events). Also returns the ratio of the
    simulated to the observed Kaplan-Meier mean (both up to the shorter of the two longest stays).
    """
    d = fit.dist
    obs_d = np.concatenate([s.exact, s.hi, s.right])
    obs_e = np.concatenate([np.ones(len(s.exact) + len(s.hi), bool), np.zeros(len(s.right), bool)])
    sims_d, sims_e = [], []
    for _ in range(k):
        x = d.rvs(len(s.exact), random_state=rng) if len(s.exact) else np.array([])
        r = d.rvs(len(s.right), random_state=rng) if len(s.right) else np.array([])
        parts = [x]
        if len(s.lo):
            ready = d.rvs(len(s.lo), random_state=rng)
            if s.rule is not None:
                cum, q = s.rule
                t0 = s.start_h
                ready = _leave_at(t0 + ready, cum, q, rng.random((len(t0), 3))) - t0
            parts.append(ready)
        parts.append(np.minimum(r, s.right))
        sims_d.append(np.concatenate(parts))
        sims_e.append(np.concatenate([np.ones(len(s.exact) + len(s.lo), bool), r <= s.right]))
    t1, s1 = kaplan_meier(obs_d, obs_e)
    t2, s2 = kaplan_meier(np.concatenate(sims_d), np.concatenate(sims_e))
    grid = np.union1d(t1, t2)
    D = float(np.max(np.abs(_km_cdf_at(t1, s1, grid) - _km_cdf_at(t2, s2, grid)))) if len(grid) else math.nan
    n1, n2 = int(obs_e.sum()), int(np.concatenate(sims_e).sum())
    n_eff = n1 * n2 / max(n1 + n2, 1)
    p = float(stats.kstwobign.sf(D * math.sqrt(n_eff))) if n_eff > 0 else math.nan
    ratio = math.nan
    if len(t1) and len(t2):
        t_max = min(float(t1[-1]), float(t2[-1]))
        m1 = km_mean(t1, s1, t_max)
        ratio = km_mean(t2, s2, t_max) / m1 if m1 > 0 else math.nan
    return D, p, ratio


class StayFit:
    """Length of stay per unit (and per class where it differs), by censored maximum likelihood.

    Parameters
    ----------
    min_class_stays : a class is fitted on its own in a unit with at least this many stays there.
    alpha, min_km_distance : the class must differ from the unit's other classes by a
        log-rank test (p < alpha) and by at least this sup-distance between Kaplan-Meier curves.
    ks_alpha, ks_d_ok, mean_tol : a fit is acceptable when the p-value of its distance D
        is at least ``ks_alpha``, or D is at most ``ks_d_ok`` with the fitted mean within
        ``mean_tol`` (relative) of the Kaplan-Meier mean; otherwise the stay is empirical.
        The p-value is a parametric bootstrap (:func:`bootstrap_ks`) for right-censored stays.
        With interval-censored stays (discharge-hour rules), D and p come from
        :func:`predictive_ks` (observed stays against stays simulated from the fit and the rule;
        a Kolmogorov approximation, so an upper bound).
    bootstrap_b : resamples of the parametric bootstrap (0: no bootstrap, the Kolmogorov upper bound decides);
        otherwise at least 1/ks_alpha, since the smallest bootstrap p-value is 1/(B+1).
    bootstrap_max_n : stays per bootstrap resample at most (see :data:`BOOTSTRAP_MAX_N`).
    random_state : seed of the simulation in :func:`predictive_ks` and of the bootstrap; each (unit, class)
        bootstraps from its own stream ``SeedSequence(random_state, spawn_key=crc32 of the purpose, unit and
        class)``, so a unit's p-value does not depend on which other units the log has.

    Attributes
    ----------
    units_ : dict unit -> StayEstimate, the unit's stay for classes without their own.
    classes_ : dict (unit, class) -> StayEstimate.
    class_tests_ : DataFrame unit, patient_class, n, logrank_p, km_distance, own_stay.
    """

    def __init__(
        self,
        *,
        families: Sequence[str] = FAMILIES,
        min_class_stays: int = MIN_CLASS_STAYS,
        alpha: float = ALPHA,
        min_km_distance: float = 0.05,
        ks_alpha: float = 0.01,
        ks_d_ok: float = 0.02,
        mean_tol: float = 0.05,
        bootstrap_b: int = BOOTSTRAP_B,
        bootstrap_max_n: int = BOOTSTRAP_MAX_N,
        random_state: int = 0,
    ):
        if bootstrap_b < 0 or bootstrap_max_n < 1:
            raise ValueError(
                f"bootstrap_b must be >= 0 and bootstrap_max_n >= 1 (got {bootstrap_b}, {bootstrap_max_n})"
            )
        if bootstrap_b and 1.0 / (bootstrap_b + 1) >= ks_alpha:
            raise ValueError(
                f"bootstrap_b={bootstrap_b} cannot reject at ks_alpha={ks_alpha}: the smallest bootstrap p-value is "
                f"1/(B+1); use B >= {math.ceil(1 / ks_alpha)} (or 0 for the Kolmogorov upper bound)"
            )
        self.random_state = random_state
        self.bootstrap_b = int(bootstrap_b)
        self.bootstrap_max_n = int(bootstrap_max_n)
        self.families = tuple(families)
        self.min_class_stays = min_class_stays
        self.alpha = alpha
        self.min_km_distance = min_km_distance
        self.ks_alpha = ks_alpha
        self.ks_d_ok = ks_d_ok
        self.mean_tol = mean_tol

    def fit(self, stays: pd.DataFrame, discharge_rules: Mapping[str, Any] | None = None) -> StayFit:
        """Fit every unit.

        ``discharge_rules`` maps a unit with a discharge-hour rule to the rule
        (``DischargeFit.rules_[unit]``: ``{hourly_profile, weekend_rate}``; a bare number is
        taken as the weekend rate): its exits enter the likelihood as interval-censored.
        """
        prep = prepare_stays(stays)
        rules = dict(discharge_rules or {})
        self._rng = np.random.default_rng(self.random_state)
        self.discharge_rules_ = rules
        self.units_: dict[str, StayEstimate] = {}
        self.classes_: dict[tuple[str, str], StayEstimate] = {}
        tests = []
        for unit, rows in prep.groupby("unit", sort=True):
            own: list[str] = []
            classes = rows["patient_class"].value_counts()
            if len(classes) > 1:
                # smallest class first, each against the classes not yet given their own stay;
                # the last one standing is the unit's shorthand
                for c, n in classes.sort_values(kind="stable").items():
                    others = ~rows["patient_class"].isin(own + [c])
                    if n < self.min_class_stays or not others.any():
                        continue
                    mine = rows["patient_class"] == c
                    d1, e1 = censored_sample(rows[mine], rules).km_inputs()
                    d2, e2 = censored_sample(rows[others], rules).km_inputs()
                    _, p = logrank_test(d1, e1, d2, e2)
                    dist = _km_distance(d1, e1, d2, e2)
                    split = p < self.alpha and dist >= self.min_km_distance
                    tests.append(
                        {
                            "unit": unit,
                            "patient_class": c,
                            "n": int(n),
                            "logrank_p": p,
                            "km_distance": dist,
                            "own_stay": split,
                        }
                    )
                    if split:
                        own.append(str(c))
            for c in own:
                self.classes_[(unit, c)] = self._estimate(
                    unit, c, censored_sample(rows[rows["patient_class"] == c], rules)
                )
            rest = rows[~rows["patient_class"].isin(own)] if len(own) < len(classes) else rows
            self.units_[unit] = self._estimate(unit, None, censored_sample(rest, rules))
        self.class_tests_ = pd.DataFrame(
            tests, columns=["unit", "patient_class", "n", "logrank_p", "km_distance", "own_stay"]
        )
        return self

    def _bootstrap_rng(self, unit: str, pclass: str | None) -> np.random.Generator:
        key = tuple(zlib.crc32(str(v).encode("utf-8")) for v in ("stay_bootstrap", unit, pclass or ""))
        return np.random.default_rng(np.random.SeedSequence(entropy=int(self.random_state), spawn_key=key))

    def _estimate(self, unit: str, pclass: str | None, s: CensoredSample) -> StayEstimate:
        d, e = s.km_inputs()
        times, surv = kaplan_meier(d, e)
        t_max = float(d.max()) if len(d) else math.nan
        kmm = km_mean(times, surv, t_max) if len(times) else math.nan
        base = {
            "unit": unit,
            "patient_class": pclass,
            "n": s.n,
            "n_exact": len(s.exact),
            "n_censored": len(s.right),
            "n_interval": len(s.lo),
        }
        if s.n_events == 0:
            mean = float(np.mean(s.right)) if len(s.right) else 24.0
            return StayEstimate(
                **base,
                fits={},
                chosen="exponential",
                ks_d=math.nan,
                ks_p=math.nan,
                acceptable=False,
                km_mean_h=math.nan,
                spec={"distribution": "exponential", "mean_hours": _sig(mean)},
                note="every stay is still open: exponential with the mean time observed so far (a lower bound)",
            )
        if s.n_events >= MIN_SHAPE_EVENTS:
            families = self.families
        else:
            families = tuple(f for f in self.families if f == "exponential")
        fits = fit_families(s, families or ("exponential",))
        best = next(iter(fits.values()))
        ks_b = ks_m = 0
        if len(s.lo):
            ks_d, ks_p, ratio = predictive_ks(best, s, self._rng)
            ks_p_upper = ks_p
            ks_test = "predictive two-sample Kolmogorov (discharge rule; upper bound, not bootstrapped)"
        else:
            ks_d, ks_p_upper = _km_ks(best, times, surv, s.n_events)
            ratio = best.mean_h / kmm if kmm > 0 else math.nan
            if self.bootstrap_b > 0:
                boot = bootstrap_ks(
                    best,
                    s,
                    self._bootstrap_rng(unit, pclass),
                    b=self.bootstrap_b,
                    max_n=self.bootstrap_max_n,
                    d_obs=ks_d,
                )
                ks_p, ks_b, ks_m = boot.p, boot.b, boot.n_resample
                ks_test = f"parametric bootstrap, B={boot.b} resamples of {boot.n_resample} stays"
            else:
                ks_p = ks_p_upper
                ks_test = "Kolmogorov (parameters taken as known: an upper bound)"
        base.update(ks_p_upper=ks_p_upper, ks_test=ks_test, ks_b=ks_b, ks_n_resample=ks_m)
        mean_ok = abs(ratio - 1) <= self.mean_tol if math.isfinite(ratio) else False
        acceptable = (ks_p >= self.ks_alpha) or (ks_d <= self.ks_d_ok and mean_ok)
        if s.n_events < MIN_SHAPE_EVENTS:
            # too few stays to judge a shape: the exponential with the censored-MLE mean, whatever the test says
            note = f"only {s.n_events} observed stays (< {MIN_SHAPE_EVENTS}): exponential, no shape estimated"
            return StayEstimate(
                **base,
                fits=fits,
                chosen=best.family,
                ks_d=ks_d,
                ks_p=ks_p,
                acceptable=acceptable,
                km_mean_h=kmm,
                spec=best.spec(),
                note=note,
            )
        if acceptable:
            return StayEstimate(
                **base,
                fits=fits,
                chosen=best.family,
                ks_d=ks_d,
                ks_p=ks_p,
                acceptable=True,
                km_mean_h=kmm,
                spec=best.spec(),
            )
        note = ""
        if len(s.lo):
            # interval-censored stays at their conditional median under the best parametric fit
            dist = best.dist
            lo_p, hi_p = dist.cdf(s.lo), dist.cdf(s.hi)
            imputed = np.clip(dist.ppf((lo_p + hi_p) / 2), s.lo, s.hi)
            imputed = np.where(np.isfinite(imputed), imputed, (s.lo + s.hi) / 2)
            d = np.concatenate([s.exact, np.maximum(imputed, MIN_STAY_H), s.right])
            e = np.concatenate([np.ones(len(s.exact) + len(s.lo), bool), np.zeros(len(s.right), bool)])
            times, surv = kaplan_meier(d, e)
            note = (
                "stays held by the discharge rule imputed at their conditional median under the " + best.family + "; "
            )
        spec, note2 = _empirical_spec(times, surv, d, e)
        note += note2
        return StayEstimate(
            **base,
            fits=fits,
            chosen="empirical",
            ks_d=ks_d,
            ks_p=ks_p,
            acceptable=False,
            km_mean_h=kmm,
            spec=spec,
            note=note,
        )


def _empirical_spec(times: np.ndarray, surv: np.ndarray, d: np.ndarray, e: np.ndarray) -> tuple[dict[str, Any], str]:
    F = 1.0 - surv
    lo = float(d[e].min()) if e.any() else float(d.min())
    hi = float(d.max())
    q: dict[float, float] = {}
    capped = False
    for p in EMPIRICAL_PROBS:
        if p == 0.0:
            v = lo
        elif p == 1.0:
            v = hi
        else:
            i = int(np.searchsorted(F, p - 1e-12, side="left"))
            if i >= len(times):
                v, capped = hi, True
            else:
                v = float(times[i])
        q[p] = v
    vals = np.maximum.accumulate([q[p] for p in EMPIRICAL_PROBS])
    quantiles = {p: _sig(float(v)) for p, v in zip(EMPIRICAL_PROBS, vals, strict=True)}
    spec = {"distribution": "empirical", "quantiles_hours": quantiles}
    note = "Kaplan-Meier quantiles"
    if capped:
        note += "; the curve does not reach the top quantiles (censoring), capped at the longest stay seen"
    return spec, note
