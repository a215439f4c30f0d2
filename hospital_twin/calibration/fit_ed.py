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
Pure: prepared stays in, a fitted :class:`EDFit` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospital_twin.calibration.stays import _H, MIN_STAY_H, _window, prepare_stays

__all__ = ["EDEstimate", "EDFit", "erlang_c"]

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
