"""The emergency department's clinician stage from ``seen_at``: :class:`EDFit`.

An ADT log that records when a clinician first saw each patient (``seen_at``, as the
simulator writes it and many ED systems do) shows the queue for clinicians. A unit whose
stays have ``seen_at`` is an emergency department; for it the fit gives the scenario's
``ed:`` block (``clinicians``, ``assessment``) and the stay after the assessment.

The estimator (M/G/c with first-come-first-served clinicians, every rule stated):

* Saturated rate. While some patient waits for a clinician (the union of the intervals
  ``[start, seen_at)`` of the patients who waited), every clinician is busy and an
  assessment starts exactly when one ends: assessments started per hour in that time
  (the patients who waited, over its length) estimate ``clinicians / mean assessment``
  (exact for exponential assessments, whose ends then form a Poisson process).
* Clinicians. With the arrival rate of each clock hour ``lambda_h`` (arrivals over the
  complete days), the load per clinician is ``rho_h = lambda_h / saturated rate`` whatever
  the number of clinicians; the share of arrivals who wait is modelled hour by hour by
  Erlang C (a pointwise stationary approximation, 1 when ``rho_h >= 1``), and the number of
  clinicians is the one whose modelled share is closest to the observed share.
* Assessment: exponential with mean ``clinicians / saturated rate`` (its shape is not
  identified by the log: the end of an assessment is not recorded).
* Stay after the assessment (the unit's ``length_of_stay`` in the scenario): the time from
  ``seen_at`` to the clinical end less the mean assessment, at least one minute.

Clinicians that change by shift are fitted as one number (an average); with nobody waiting
the clinicians are no constraint the log can show and no stage is fitted (said in ``note``).

Patients who left without being seen (``discharge_destination`` ``left_without_being_seen``, and the
requests table's outcome of the same name for those who never got a cubicle) are not ordinary stays:
:func:`fit_patience` fits their patience (exponential, censored by the patients seen, see
:class:`PatienceEstimate`), and :func:`hospital_twin.calibration.fit.calibrate` leaves their stays out of
the stay fit (and out of the routes and discharges when the patience is fitted, since the scenario's
``patience`` then makes them leave).
Pure: prepared stays in, a fitted :class:`EDFit` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.calibration.stays import _H, MIN_STAY_H, _window, kaplan_meier, prepare_stays

__all__ = ["LEFT_UNSEEN", "EDEstimate", "EDFit", "PatienceEstimate", "erlang_c", "fit_patience", "left_unseen"]

MIN_SEEN_SHARE = 0.5
"""A unit is an emergency department when at least this share of its stays has ``seen_at``."""
MIN_WAITED = 20
"""Fewer patients who waited for a clinician than this: the saturated rate is not estimated."""
MAX_CLINICIANS = 500


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c with offered load ``a`` (erlangs); 1 when ``a >= c``."""
    if a >= c:
        return 1.0
    if a <= 0:
        return 0.0
    # Erlang B by its stable recursion, then C = B / (1 - rho (1 - B))
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1 - rho * (1 - b))


@dataclass
class EDEstimate:
    """The clinician stage of one emergency department, with its evidence."""

    unit: str
    n: int
    """Arrivals seen by a clinician (stays with ``seen_at``)."""
    n_waited: int
    waited_share: float
    wait_mean_h: float
    """Mean time to clinician over all patients seen (zeros included); hours."""
    queue_hours: float
    """Hours during which some patient waited for a clinician."""
    saturated_per_h: float
    """Assessments started per hour while patients waited: clinicians / mean assessment."""
    arrivals_per_h: float
    clinicians: int | None
    assessment_mean_h: float
    modelled_waited_share: float
    note: str = ""

    @property
    def spec(self) -> dict | None:
        """The scenario's ``ed:`` block, or None when no stage was fitted."""
        if self.clinicians is None:
            return None
        return {
            "clinicians": int(self.clinicians),
            "assessment": {"distribution": "exponential", "mean_minutes": round(self.assessment_mean_h * 60, 2)},
        }


def _union_hours(lo: np.ndarray, hi: np.ndarray) -> float:
    """Total length of the union of the intervals ``[lo, hi)`` (hours, any order)."""
    if not len(lo):
        return 0.0
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], np.maximum.accumulate(hi[order])
    gaps = np.maximum(lo[1:] - hi[:-1], 0.0)
    return float(hi[-1] - lo[0] - gaps.sum())


class EDFit:
    """Clinicians and assessment time of each emergency department (units whose stays have ``seen_at``).

    Attributes
    ----------
    units_ : dict unit -> EDEstimate (every unit found to be an ED, fitted or not, with the reason).
    """

    def __init__(self) -> None:
        self.units_: dict[str, EDEstimate] = {}

    def fit(self, stays: pd.DataFrame) -> EDFit:
        prep = prepare_stays(stays)
        self.units_ = {}
        if "seen_at" not in prep.columns or not prep["seen_at"].notna().any():
            return self
        t0, t_obs, days = _window(prep)
        for unit, rows in prep.groupby("unit", sort=True):
            seen = rows["seen_at"].notna()
            if seen.mean() < MIN_SEEN_SHARE:
                continue
            self.units_[str(unit)] = self._estimate(str(unit), rows[seen], t0, days)
        return self

    def _estimate(self, unit: str, rows: pd.DataFrame, t0: pd.Timestamp, days: int) -> EDEstimate:
        start = ((rows["start"] - t0) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
        seen = ((rows["seen_at"] - t0) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
        wait = np.clip(seen - start, 0.0, None)
        waited = wait > 0
        n, n_w = len(rows), int(waited.sum())
        queue_h = _union_hours(start[waited], seen[waited])
        inside = (start >= 0) & (start < days * 24) if days >= 1 else np.ones(n, bool)
        hours = max(days, 1) * 24.0
        lam_h = np.bincount(np.floor(start[inside] % 24).astype(int), minlength=24)[:24] / max(days, 1)
        est = EDEstimate(
            unit=unit,
            n=n,
            n_waited=n_w,
            waited_share=n_w / n if n else math.nan,
            wait_mean_h=float(wait.mean()) if n else math.nan,
            queue_hours=queue_h,
            saturated_per_h=n_w / queue_h if queue_h > 0 else math.nan,
            arrivals_per_h=float(inside.sum()) / hours,
            clinicians=None,
            assessment_mean_h=math.nan,
            modelled_waited_share=math.nan,
        )
        if n_w < MIN_WAITED or not queue_h > 0:
            est.note = (
                f"{n_w} patients waited for a clinician (fewer than {MIN_WAITED}): the clinicians are no constraint "
                "the log can show; no clinician stage fitted"
            )
            return est
        rho_h = lam_h / est.saturated_per_h
        weights = lam_h / lam_h.sum() if lam_h.sum() > 0 else np.full(24, 1 / 24)
        best: tuple[float, int, float] | None = None
        for c in range(1, MAX_CLINICIANS + 1):
            share = float(sum(w * erlang_c(c, c * r) for w, r in zip(weights, rho_h, strict=True)))
            gap = abs(share - est.waited_share)
            if best is None or gap < best[0]:
                best = (gap, c, share)
            if share < est.waited_share:  # the share falls with c: no later c comes closer
                break
        assert best is not None
        _, est.clinicians, est.modelled_waited_share = best
        est.assessment_mean_h = est.clinicians / est.saturated_per_h
        if (rho_h >= 1).any():
            est.note = (
                f"the arrivals of {int((rho_h >= 1).sum())} clock hour(s) exceed what the clinicians can see: "
                "a queue builds up then (the fit is an average over the day)"
            )
        return est

    def after_assessment(self, prep: pd.DataFrame) -> pd.DataFrame:
        """``prep`` with the stays of each fitted ED measured from ``seen_at`` less the mean assessment (the
        scenario's ``length_of_stay`` of an ED is the time after the assessment); other stays unchanged."""
        out = prep.copy()
        out.attrs = dict(prep.attrs)
        for unit, est in self.units_.items():
            if est.clinicians is None:
                continue
            mine = (out["unit"] == unit).to_numpy() & out["seen_at"].notna().to_numpy()
            to_seen = ((out["seen_at"].to_numpy() - out["start"].to_numpy()) / _H).astype(float)
            dur = out["dur_h"].to_numpy(dtype=float)
            after = np.maximum(dur - np.clip(to_seen, 0, None) - est.assessment_mean_h, MIN_STAY_H)
            out["dur_h"] = np.where(mine, after, dur)
        return out


LEFT_UNSEEN = "left_without_being_seen"
"""The ``discharge_destination`` (and requests ``outcome``) of a patient who left before a clinician saw it."""
MIN_LEFT = 20
"""Fewer patients who left unseen than this: their patience is counted and reported, not fitted."""


@dataclass
class PatienceEstimate:
    """How long the patients of one emergency department wait for a clinician before leaving unseen.

    Patience is counted from arrival (``ready_at`` of the stay, else its start): a patient who left
    unseen is an event at its leaving time (``end`` of its stay, or ``withdrawn_at`` of a request that
    never got a cubicle); a patient seen is right-censored at ``seen_at`` (its patience had not run out);
    a patient neither seen nor gone at the end of the log is right-censored there. Exponential: mean =
    exposure / events, its 95% interval exact (chi-square with 2 x events degrees of freedom).
    """

    unit: str
    n_left: int
    """Left unseen from a cubicle (stays with destination ``left_without_being_seen``)."""
    n_left_queue: int
    """Left unseen before getting a cubicle (requests table)."""
    n_censored: int
    exposure_h: float
    mean_h: float = math.nan
    mean_lo_h: float = math.nan
    mean_hi_h: float = math.nan
    km_median_h: float = math.nan
    """Kaplan-Meier median patience (nan when the curve does not reach 0.5)."""
    exp_median_h: float = math.nan
    note: str = ""

    @property
    def share(self) -> float:
        """Left unseen over arrivals (stays and requests of the unit)."""
        total = self.n_censored + self.n_left + self.n_left_queue
        return (self.n_left + self.n_left_queue) / total if total else math.nan

    @property
    def spec(self) -> dict | None:
        """The ED streams' ``patience``, or None when not fitted."""
        if not math.isfinite(self.mean_h):
            return None
        return {"distribution": "exponential", "mean_hours": float(f"{self.mean_h:.4g}")}


def left_unseen(prep: pd.DataFrame) -> np.ndarray:
    """Mask of the prepared stays whose patient left without being seen."""
    dest = prep["discharge_destination"]
    return (dest.astype("string") == LEFT_UNSEEN).fillna(False).to_numpy(dtype=bool)


def fit_patience(prep: pd.DataFrame, requests: pd.DataFrame | None, ed: EDFit) -> dict[str, PatienceEstimate]:
    """Patience per unit whose patients left unseen (see :class:`PatienceEstimate`).

    Fitted only for a unit whose clinician stage is fitted (``ed``: the scenario's ``patience`` needs an
    ``ed:`` block, and ``seen_at`` gives the censoring times) with at least :data:`MIN_LEFT` leavers;
    otherwise the leavers are counted and the reason given in ``note``.
    """
    left = left_unseen(prep)
    t_obs = pd.Timestamp(prep.attrs["observed_until"]).to_datetime64()
    req_left = pd.DataFrame(columns=["unit", "ready_at", "withdrawn_at"])
    if requests is not None and len(requests) and "outcome" in requests.columns:
        r = requests[requests["outcome"].astype("string").str.strip() == LEFT_UNSEEN]
        req_left = pd.DataFrame(
            {
                "unit": r["unit"].astype("string").str.strip().to_numpy(dtype=object),
                "ready_at": pd.to_datetime(r["ready_at"], errors="coerce").to_numpy(dtype="datetime64[ns]"),
                "withdrawn_at": pd.to_datetime(r.get("withdrawn_at"), errors="coerce").to_numpy(dtype="datetime64[ns]"),
            }
        )
    units = sorted(set(prep.loc[left, "unit"].astype(str)) | set(req_left["unit"].astype(str)))
    out: dict[str, PatienceEstimate] = {}
    for unit in units:
        m = (prep["unit"] == unit).to_numpy()
        rows = prep[m]
        gone = left[m]
        arrival = rows["arrival"].to_numpy(dtype="datetime64[ns]")
        seen = rows["seen_at"].to_numpy(dtype="datetime64[ns]")
        end = rows["end"].to_numpy(dtype="datetime64[ns]")
        q = req_left[req_left["unit"] == unit]
        q_h = ((q["withdrawn_at"] - q["ready_at"]) / _H).to_numpy(dtype=float)
        q_h = q_h[np.isfinite(q_h)]
        est = PatienceEstimate(
            unit=unit,
            n_left=int(gone.sum()),
            n_left_queue=len(q_h),
            n_censored=int((~gone).sum()),
            exposure_h=math.nan,
        )
        out[unit] = est
        fitted = ed.units_.get(unit)
        if fitted is None or fitted.clinicians is None:
            est.note = (
                "no clinician stage fitted for this unit (the log needs seen_at): the leavers are counted, "
                "their patience not fitted, and their stays are left out of the unit's stay fit"
            )
            continue
        ev = np.concatenate([((end[gone] - arrival[gone]) / _H).astype(float), q_h])
        open_ = ~gone & np.isnat(seen)
        cens = np.where(open_, np.where(np.isnat(end), t_obs, end), seen)[~gone]
        cens_h = ((cens - arrival[~gone]) / _H).astype(float)
        ev = np.maximum(ev[np.isfinite(ev)], 0.0)
        cens_h = np.maximum(cens_h[np.isfinite(cens_h)], 0.0)
        est.exposure_h = float(ev.sum() + cens_h.sum())
        n = len(ev)
        if n < MIN_LEFT:
            est.note = f"{n} left unseen (fewer than {MIN_LEFT}): patience not fitted"
            continue
        est.mean_h = est.exposure_h / n
        est.mean_lo_h = 2 * est.exposure_h / float(stats.chi2.ppf(0.975, 2 * n))
        est.mean_hi_h = 2 * est.exposure_h / float(stats.chi2.ppf(0.025, 2 * n))
        est.exp_median_h = est.mean_h * math.log(2)
        times, surv = kaplan_meier(np.concatenate([ev, cens_h]), np.r_[np.ones(n, bool), np.zeros(len(cens_h), bool)])
        below = np.flatnonzero(surv <= 0.5)
        est.km_median_h = float(times[below[0]]) if len(below) else math.nan
    return out
