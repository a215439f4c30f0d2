"""Outliers in a log: :class:`OutlierFit` (hosts, stay factor, placement wait, repatriation, caps per host).

A log with the extra column ``home_unit`` (the simulator writes it; a bed board has it as the
patient's specialty or home ward) marks the stays of a patient placed in another unit's bed (the
*host*) for its *home* unit. The rules, in order:

* The patient belongs to its home unit: the stays, routes, arrivals, discharges and waits are
  fitted on the log with ``unit`` replaced by ``home_unit`` where it is given
  (:func:`home_unit_log`), so an outlier stay followed by a move back to the home unit
  (a *repatriation*) becomes one stay of the home unit (the two rows merge as a self-loop). The
  beds are fitted on the log as it is (an outlier occupies a host bed).
* The home unit's stay distribution is fitted from its patients who never outlied (outlying is
  decided by the home unit being full when the patient asks, not by the patient's own stay, so they
  are a fair sample); :func:`outlier_rows` marks the others.
* Stay factor: the outliers' stays in the host against the home stays, as an accelerated failure
  time: the host stay is ``factor`` times a home stay. One censored likelihood over both samples with
  the family that fits the home stays best (AIC among the stay families), the factor a shift of its
  log-scale; an outlier moved back to its home unit is right-censored at its time in the host (the
  move is decided by a home bed freeing, not by the patient). The factor is kept when the
  likelihood-ratio test against 1 gives p < alpha *and* it differs from 1 by at least
  ``min_factor_change`` (else 1), with its 95% interval (observed information on the log-factor).
* Hosts: ordered by how many outliers each took (ties by name). Share: outlier placements over the
  home unit's admissions (its stays in the home-unit log).
* ``after_hours``: the 5th percentile of the waits before placement (start - ``ready_at``; the
  simulator places no outlier before it), rounded down to a quarter hour; 0 without ``ready_at``.
* Repatriation: ``never`` when no outlier moved back to its home unit; otherwise ``before_waiting``
  when more than :data:`BEFORE_WAITING_SHARE` of the moves back happened while a patient was waiting
  for a home bed (``ready_at`` before and ``start`` after the move, a minute's tolerance; under
  ``after_waiting`` a freed home bed goes to the queue first, so none does), else ``after_waiting``.
* ``classes``: a class of the home unit with at least :data:`MIN_CLASS_STAYS` admissions and no
  outlier among them, where the binomial probability of none at the unit's share is below alpha,
  does not outlie; when some class is so excluded the block lists the classes that did.
* ``max_outliers`` of a host: the most outliers (of any home unit) in it at once.

Imports the stays, families and significance modules; no other fitter. Pure: DataFrames in, a fitted
:class:`OutlierFit` out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from hospital_twin.calibration.families import FAMILIES, _hessian, _nll, fit_families
from hospital_twin.calibration.significance import ALPHA, MIN_CLASS_STAYS
from hospital_twin.calibration.stays import CensoredSample, censored_sample

__all__ = ["HOME_UNIT", "OutlierEstimate", "OutlierFit", "has_home_unit", "home_unit_log", "outlier_rows"]

HOME_UNIT = "home_unit"
"""The log's extra column naming an outlier's home unit (empty for the others)."""

BEFORE_WAITING_SHARE = 0.1
"""More than this share of the moves back made while a patient waited for a home bed: ``before_waiting``
(under ``after_waiting`` none is, since a freed home bed goes to the queue first)."""

_SCALE_INDEX = {"exponential": 0, "lognormal": 0, "gamma": 1, "weibull": 1}
"""Which log-parameter of each family is its log-scale (a stay factor f adds log f to it)."""


def _home_values(stays: pd.DataFrame) -> pd.Series:
    """``home_unit`` as text, empty -> missing."""
    h = stays[HOME_UNIT].astype("string").str.strip()
    return h.mask(h == "")


def has_home_unit(stays: pd.DataFrame) -> bool:
    """True when the log has a ``home_unit`` column with at least one value."""
    return HOME_UNIT in stays.columns and bool(_home_values(stays).notna().any())


def home_unit_log(stays: pd.DataFrame) -> pd.DataFrame:
    """The log with ``unit`` replaced by ``home_unit`` where given (same rows, same order)."""
    out = stays.copy()
    home = _home_values(stays)
    unit = stays["unit"].astype("string")
    out["unit"] = home.where(home.notna(), unit).astype(object)
    return out


def outlier_rows(stays: pd.DataFrame) -> np.ndarray:
    """Per input row of the log: its home unit when it is an outlier stay (``home_unit`` given), else None."""
    h = _home_values(stays)
    return np.asarray(h.astype(object).where(h.notna(), None), dtype=object)


@dataclass
class OutlierEstimate:
    """The outlying of one home unit, with the evidence behind each number."""

    unit: str
    admissions: int
    """Stays of the home unit in the home-unit log (a repatriated outlier counts once)."""
    placements: int
    """Outlier stays (placements in a host)."""
    hosts: list[str]
    host_counts: dict[str, int]
    repatriated: int
    repatriated_while_waiting: int
    """Repatriations made while a patient waited for a home bed."""
    after_hours: float
    wait_p05_h: float
    wait_median_h: float
    factor: float
    """The fitted stay factor (host stay / home stay), before the keep-or-drop rule."""
    factor_lo: float
    factor_hi: float
    factor_p: float
    factor_family: str
    n_home: int
    n_outlier_exact: int
    n_outlier_censored: int
    classes: list[str] | None = None
    """The classes that outlie, when some class was found not to (else None: every class)."""
    class_notes: list[str] = field(default_factory=list)
    stay_factor: float = 1.0
    """The factor written in the scenario (1 unless significant)."""

    @property
    def share(self) -> float:
        return self.placements / self.admissions if self.admissions else math.nan

    @property
    def repatriate(self) -> str:
        if self.repatriated == 0:
            return "never"
        share = self.repatriated_while_waiting / self.repatriated
        return "before_waiting" if share > BEFORE_WAITING_SHARE else "after_waiting"

    @property
    def spec(self) -> dict[str, Any]:
        """The unit's ``outlying`` block."""
        out: dict[str, Any] = {"hosts": list(self.hosts)}
        if self.after_hours > 0:
            out["after_hours"] = self.after_hours
        if self.classes is not None:
            out["classes"] = list(self.classes)
        if self.stay_factor != 1.0:
            out["stay_factor"] = self.stay_factor
        out["repatriate"] = self.repatriate
        return out


class OutlierFit:
    """Outlying per home unit and the most outliers each host held at once (see the module docstring).

    Attributes
    ----------
    units_ : dict home unit -> :class:`OutlierEstimate`.
    max_outliers_ : dict host -> the most outliers in it at once.
    """

    def __init__(
        self, *, alpha: float = ALPHA, min_factor_change: float = 0.05, min_class_stays: int = MIN_CLASS_STAYS
    ):
        self.alpha = alpha
        self.min_factor_change = min_factor_change
        self.min_class_stays = min_class_stays
        self.units_: dict[str, OutlierEstimate] = {}
        self.max_outliers_: dict[str, int] = {}

    def fit(
        self, raw: pd.DataFrame, home: pd.DataFrame, homes: np.ndarray, rules: Mapping[str, Any] | None = None
    ) -> OutlierFit:
        """``raw``: the prepared log as it is; ``home``: the prepared home-unit log; ``homes``: per input row its
        home unit or None (:func:`outlier_rows`); ``rules``: the discharge rules by unit (exits interval-censored)."""
        rules = dict(rules or {})
        self.units_ = {}
        self.max_outliers_ = {}
        homes = np.asarray(homes, dtype=object)
        mark = np.array([h is not None for h in homes], dtype=bool)
        out_raw = raw[mark[raw["row"].to_numpy()]].copy()
        if not len(out_raw):
            return self
        out_raw["home"] = homes[out_raw["row"].to_numpy()]
        from_outlier = mark[home["row"].to_numpy()]
        t_obs = pd.Timestamp(raw.attrs["observed_until"]).to_datetime64()
        self.max_outliers_ = self._max_at_once(out_raw, t_obs)
        for unit, rows in out_raw.groupby("home", sort=True):
            unit = str(unit)
            mine = home[(home["unit"] == unit).to_numpy()]
            self.units_[unit] = self._estimate(unit, rows, mine, from_outlier[(home["unit"] == unit).to_numpy()], rules)
        return self

    @staticmethod
    def _max_at_once(out_raw: pd.DataFrame, t_obs: np.datetime64) -> dict[str, int]:
        res = {}
        for host, rows in out_raw.groupby("unit", sort=True):
            s = rows["start"].to_numpy(dtype="datetime64[ns]")
            e = rows["end"].to_numpy(dtype="datetime64[ns]")
            e = np.where(np.isnat(e), t_obs, e)
            t = np.concatenate([s, e])
            step = np.concatenate([np.ones(len(s), int), -np.ones(len(e), int)])
            order = np.lexsort((step, t))  # at the same time a leaver goes before an arrival
            res[str(host)] = int(np.cumsum(step[order]).max())
        return res

    def _estimate(
        self, unit: str, rows: pd.DataFrame, mine: pd.DataFrame, from_outlier: np.ndarray, rules: Mapping[str, Any]
    ) -> OutlierEstimate:
        counts = rows["unit"].astype(str).value_counts()
        hosts = sorted(counts.index, key=lambda h: (-int(counts[h]), h))
        back = (rows["next_unit"].to_numpy(dtype=object) == unit) & rows["closed"].to_numpy(dtype=bool)
        # repatriations while someone waited for a home bed
        t_back = rows["end"].to_numpy(dtype="datetime64[ns]")[back]
        ready = mine["ready_at"].to_numpy(dtype="datetime64[ns]")
        start = mine["start"].to_numpy(dtype="datetime64[ns]")
        tol = np.timedelta64(60, "s")
        ok = ~np.isnat(ready)
        n_while = sum(bool(np.any(ok & (ready < t - tol) & (start > t + tol))) for t in t_back)
        waits = rows["wait_h"].to_numpy(dtype=float)
        waits = waits[np.isfinite(waits)]
        p05 = float(np.quantile(waits, 0.05)) if len(waits) else math.nan
        after = math.floor(p05 * 4) / 4 if math.isfinite(p05) else 0.0
        # the stay factor: outlier stays (repatriated: censored at the move) against the home stays
        home_sample = censored_sample(mine[~from_outlier], rules)
        o = rows.assign(unit=unit)
        o["closed"] = o["closed"].to_numpy(dtype=bool) & ~back
        o["dur_h"] = np.where(back, o["obs_h"].to_numpy(dtype=float), o["dur_h"].to_numpy(dtype=float))
        o["next_unit"] = np.where(back, None, o["next_unit"].to_numpy(dtype=object))
        out_sample = censored_sample(o, rules)
        est = OutlierEstimate(
            unit=unit,
            admissions=len(mine),
            placements=len(rows),
            hosts=[str(h) for h in hosts],
            host_counts={str(h): int(counts[h]) for h in hosts},
            repatriated=int(back.sum()),
            repatriated_while_waiting=int(n_while),
            after_hours=float(after),
            wait_p05_h=p05,
            wait_median_h=float(np.median(waits)) if len(waits) else math.nan,
            factor=math.nan,
            factor_lo=math.nan,
            factor_hi=math.nan,
            factor_p=math.nan,
            factor_family="",
            n_home=home_sample.n,
            n_outlier_exact=out_sample.n_events,
            n_outlier_censored=len(out_sample.right),
        )
        if home_sample.n_events >= 2 and out_sample.n_events >= 2:
            est.factor_family, est.factor, est.factor_lo, est.factor_hi, est.factor_p = stay_factor(
                home_sample, out_sample
            )
            keep = est.factor_p < self.alpha and abs(est.factor - 1) >= self.min_factor_change
            est.stay_factor = round(est.factor, 3) if keep else 1.0
        self._classes(est, mine, from_outlier)
        return est

    def _classes(self, est: OutlierEstimate, mine: pd.DataFrame, from_outlier: np.ndarray) -> None:
        share = est.share
        if not (0 < share < 1):
            return
        cls = mine["patient_class"].astype(str).to_numpy()
        seen = sorted(set(cls[from_outlier]))
        excluded = []
        for c in sorted(set(cls)):
            n = int((cls == c).sum())
            k = int(((cls == c) & from_outlier).sum())
            if k == 0 and n >= self.min_class_stays:
                p = (1 - share) ** n
                if p < self.alpha:
                    excluded.append(c)
                    est.class_notes.append(f"class {c}: {n} admissions, none outlied (p={p:.2g} at the unit's share)")
        if excluded:
            est.classes = seen


def stay_factor(home: CensoredSample, outliers: CensoredSample) -> tuple[str, float, float, float, float]:
    """(family, factor, 95% low, 95% high, p against 1): host stays = factor x home stays (accelerated failure time).

    The family is the one whose censored fit to the home stays has the lowest AIC; both samples share its
    shape, the outliers' log-scale is shifted by log factor; the interval is from the observed information
    of log factor, the p-value from the likelihood ratio against factor 1.
    """
    fits = fit_families(home, FAMILIES)
    fam = min(fits, key=lambda f: fits[f].aic)
    th0 = np.asarray(fits[fam].theta, float)
    k = _SCALE_INDEX[fam]
    n = home.n + outliers.n

    def nll(x: np.ndarray) -> float:
        th = x[:-1]
        th_o = th.copy()
        th_o[k] += x[-1]
        v = _nll(fam, th, home) + _nll(fam, th_o, outliers)
        return v if math.isfinite(v) else 1e100

    def nll0(th: np.ndarray) -> float:
        v = _nll(fam, th, home) + _nll(fam, th, outliers)
        return v if math.isfinite(v) else 1e100

    x0 = np.append(th0, 0.0)
    best = optimize.minimize(lambda x: nll(x) / n, x0, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9})
    null = optimize.minimize(lambda t: nll0(t) / n, th0, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9})
    lr = max(2 * (nll0(null.x) - nll(best.x)), 0.0)
    p = float(stats.chi2.sf(lr, 1))
    log_f = float(best.x[-1])
    try:
        cov = np.linalg.inv(_hessian(nll, best.x))
        se = math.sqrt(cov[-1, -1]) if cov[-1, -1] > 0 else math.nan
    except np.linalg.LinAlgError:
        se = math.nan
    z = stats.norm.ppf(0.975)
    return fam, math.exp(log_f), math.exp(log_f - z * se), math.exp(log_f + z * se), p
