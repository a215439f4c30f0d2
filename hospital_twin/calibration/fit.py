"""Fitting a scenario to an ADT log: :func:`calibrate` runs every fitter and returns a :class:`Calibration`.

(This module used to hold every fitter too; it was split by noun and keeps the composition. It is not
named ``calibrate.py`` because a submodule named like the package's ``calibrate`` function would shadow
it: ``from hospital_twin.calibration import calibrate`` would give the module once it is imported.)

Input is the stays table of docs/schemas.md, section 1 (one row per stay of a patient in a
unit: ``patient_id, unit, start, end`` with ``end`` empty = still there, plus the
optional ``encounter_id, patient_class, arrival_source, discharge_destination,
ready_at``), as produced by the readers in :mod:`hospital_twin.calibration.adt` or by
:func:`hospital_twin.results.adt_log`. Output is a set of fitted objects, each holding
its estimates (attributes ending in ``_``) with the evidence behind them, and a
scenario dict in the language of :mod:`hospital_twin.scenario.schema`.

The fitters follow scikit-learn: ``__init__`` stores options, ``fit(stays)`` sets the
learned attributes and returns ``self``. :func:`calibrate` runs them all and returns a
:class:`Calibration`, whose :meth:`~Calibration.scenario_dict` validates and runs as is.

Where the rules live (each module's docstring states its rules; the numbers are the defaults):

* :mod:`~hospital_twin.calibration.stays`: preparing the stays (merging self-loops, censoring,
  clinical ends), censored samples, Kaplan-Meier, the log-rank test;
* :mod:`~hospital_twin.calibration.significance`: the keep-this-effect rule (p < 0.01 *and* an
  effect size above a stated minimum);
* :mod:`~hospital_twin.calibration.families` and :mod:`~hospital_twin.calibration.bootstrap`:
  censored MLE of the stay families and the parametric-bootstrap p-value of the fit distance D;
* the fitters: :mod:`~hospital_twin.calibration.fit_stays` (:class:`StayFit`),
  :mod:`~hospital_twin.calibration.fit_arrivals` (:class:`ArrivalFit`),
  :mod:`~hospital_twin.calibration.fit_routes` (:class:`RouteFit`),
  :mod:`~hospital_twin.calibration.fit_discharges` (:class:`DischargeFit`),
  :mod:`~hospital_twin.calibration.fit_beds` (:class:`CapacityFit`, :class:`WaitFit`),
  :mod:`~hospital_twin.calibration.fit_pathways` (:class:`PathwayFit`, the NCTR check);
* :mod:`~hospital_twin.calibration.scenario_yaml`: the scenario the fits make (dict and YAML
  with its provenance), which :class:`Calibration`'s methods delegate to;
* :mod:`~hospital_twin.calibration.pipeline`: from log files to a checked scenario (what the
  command line and the app call).

This module owns only the composition: which fitter runs with which options, in which order.
It must not read files, print, or parse YAML. Pure: DataFrames in, a :class:`Calibration` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hospital_twin.calibration.bootstrap import BOOTSTRAP_B
from hospital_twin.calibration.fit_arrivals import ArrivalFit
from hospital_twin.calibration.fit_beds import CapacityFit, WaitFit
from hospital_twin.calibration.fit_discharges import DischargeFit
from hospital_twin.calibration.fit_ed import LEFT_UNSEEN, EDFit, PatienceEstimate, fit_patience, left_unseen
from hospital_twin.calibration.fit_outliers import OutlierFit, has_home_unit, home_unit_log, outlier_rows
from hospital_twin.calibration.fit_pathways import NctrCheck, PathwayFit, nctr_check
from hospital_twin.calibration.fit_routes import RouteFit
from hospital_twin.calibration.fit_stays import StayFit
from hospital_twin.calibration.scenario_yaml import TARGET_LOAD, commented_yaml, unit_kind
from hospital_twin.calibration.scenario_yaml import provenance_comments as _provenance_comments
from hospital_twin.calibration.scenario_yaml import scenario_dict as _scenario_dict
from hospital_twin.calibration.scenario_yaml import warmup_days as _warmup_days
from hospital_twin.calibration.stays import MIN_STAY_H, prepare_stays
from hospital_twin.scenario.schema import Scenario

__all__ = ["Calibration", "calibrate"]


@dataclass
class Calibration:
    """Every fit of one ADT log, and the scenario they make.

    The scenario methods delegate to :mod:`hospital_twin.calibration.scenario_yaml`, which owns
    the rendering; they stay here so that ``cal.scenario()``, ``cal.to_yaml()`` read naturally.
    """

    name: str
    source: list[str]
    counts: dict[str, Any]
    period: tuple[pd.Timestamp, pd.Timestamp]
    days: int
    dates_shifted: bool
    arrivals: ArrivalFit
    stays: StayFit
    routes: RouteFit
    discharge: DischargeFit
    capacity: CapacityFit
    waits: WaitFit
    has: dict[str, bool]
    flags: list[str] = field(default_factory=list)
    ed: EDFit = field(default_factory=EDFit)
    """The clinician stage of each emergency department (units whose stays have ``seen_at``)."""
    prepared: pd.DataFrame | None = field(default=None, repr=False)
    """The prepared stays the stay fits used (:func:`prepare_stays`; without outliers and patients who left
    unseen), for reports and checks."""
    outliers: OutlierFit = field(default_factory=OutlierFit)
    """Outlying per home unit (logs with ``home_unit``)."""
    patience: dict[str, PatienceEstimate] = field(default_factory=dict)
    """ED patience per unit whose patients left without being seen."""
    pathways: PathwayFit = field(default_factory=PathwayFit)
    """Discharge pathways (logs with pathway labels in discharge_destination and ready_to_leave)."""
    nctr: NctrCheck | None = None
    """The NCTR-per-bed check against a target (``nctr_target``), when one was given."""

    def warmup_days(self) -> float:
        """Four times the longest mean stay, in whole weeks, at least one week."""
        return _warmup_days(self)

    def scenario_dict(self, *, horizon_days: float = 364, replications: int = 10, seed: int = 0) -> dict[str, Any]:
        """The calibrated scenario as a dict that ``Scenario.model_validate`` accepts and that runs as is."""
        return _scenario_dict(self, horizon_days=horizon_days, replications=replications, seed=seed)

    def scenario(self, **kw: Any) -> Scenario:
        """The validated scenario."""
        return Scenario.model_validate(self.scenario_dict(**kw))

    def provenance_comments(self) -> list[str]:
        """Comment lines (each starting with '# ') for the top of the scenario YAML."""
        return _provenance_comments(self)

    def to_yaml(self, **kw: Any) -> str:
        """The scenario as YAML text, with the provenance comments on top."""
        return commented_yaml(self, self.scenario(**kw))


def calibrate(
    stays_df: pd.DataFrame,
    *,
    capacity: Mapping[str, int] | None = None,
    dates_shifted: bool = False,
    shift_keeps_clock: bool = True,
    name: str = "Calibrated from an ADT log",
    source: str | Sequence[str] | None = None,
    observed_until: Any = None,
    discharge_rules: bool = True,
    random_state: int = 0,
    bootstrap_b: int = BOOTSTRAP_B,
    requests: pd.DataFrame | None = None,
    pathway_labels: Mapping[str, str] | None = None,
    nctr_target: tuple[float, str] | None = None,
) -> Calibration:
    """Fit arrivals, stays, routes, discharges and beds from one stays table.

    Parameters
    ----------
    stays_df : the ADT stays table (docs/schemas.md, section 1); not modified.
    capacity : beds per unit, when known; units missing from it are estimated (or defaulted).
    dates_shifted : dates were shifted per patient (MIMIC, Sepsis): no concurrency,
        arrival rates or seasonality from the log (see the module docstring).
    shift_keeps_clock : with shifted dates, the clock hour and weekday are still real.
    name, source : the scenario name; free-form lines naming the log (file and SHA-256).
    observed_until : end of observation (open stays are censored there); default the latest time in the log.
    discharge_rules : detect discharge-hour rules per unit (and treat those exits as interval-censored).
    random_state : seed of every random step (discharge-rule permutations, bootstrap of the stay fits).
    bootstrap_b : resamples of the parametric bootstrap of each stay fit's D (0: the Kolmogorov upper bound decides).
    requests : requests for a bed that never got one (``requests.*`` of a results folder): counted as arrivals
        (:func:`~hospital_twin.calibration.fit_arrivals.unmet_arrivals`).
    pathway_labels : destination label -> discharge pathway name (or P0), besides the labels that spell P1..P3
        (:class:`~hospital_twin.calibration.fit_pathways.PathwayFit`).
    nctr_target : (NCTR patients per inpatient bed, where the figure comes from): checked against the fitted
        pathways (:func:`~hospital_twin.calibration.fit_pathways.nctr_check`); nothing fitted is changed.

    Patients who left on a discharge pathway (with ``ready_to_leave``) have their stay fitted up to
    ``ready_to_leave`` (the rest is the pathway's NCTR time, which the scenario's pathway adds) and take no part
    in the discharge-hour fit (they leave when the pathway starts them, not by the discharge rules).

    A unit whose stays have ``seen_at`` gets a clinician stage (:class:`~hospital_twin.calibration.fit_ed.EDFit`),
    and its stays are then fitted from the end of the assessment. Patients who left without being seen get a
    patience (:func:`~hospital_twin.calibration.fit_ed.fit_patience`) and are no stays of the stay fit. A log
    with ``home_unit`` is fitted with every outlier in its home unit, the beds on the log as it is, and the
    outlying itself by :class:`~hospital_twin.calibration.fit_outliers.OutlierFit`.
    """
    raw = prepare_stays(stays_df, observed_until, dates_shifted=dates_shifted)
    if len(raw) == 0:
        raise ValueError("no usable stays in the log")
    prep, homes = raw, None
    if has_home_unit(stays_df):  # outliers belong to their home unit (fit_outliers)
        homes = outlier_rows(stays_df)
        prep = prepare_stays(home_unit_log(stays_df), raw.attrs["observed_until"], dates_shifted=dates_shifted)
    counts = prep.attrs["counts"]
    has = prep.attrs["has"]
    cap = CapacityFit().fit(raw, capacity, dates_shifted)
    arr = ArrivalFit(dates_shifted=dates_shifted, shift_keeps_clock=shift_keeps_clock).fit(prep, requests)
    ed = EDFit().fit(prep) if not dates_shifted else EDFit()
    gone = left_unseen(prep) if has["discharge_destination"] else np.zeros(len(prep), dtype=bool)
    patience = {}
    if gone.any() or _has_left_unseen(requests):
        patience = fit_patience(prep, requests, ed)
    # patients who left unseen leave through the scenario's patience where it is fitted: not a route or discharge
    ed_units = set(ed.units_) | {u for u in pd.unique(prep["unit"]) if unit_kind(str(u)) == "ed"}
    pathways = PathwayFit(pathway_labels).fit(prep, exclude_units=sorted(ed_units))
    if pathways.fitted:
        prep = _on_pathway(prep, pathways.on_pathway_)
    fitted_patience = [u for u, p in patience.items() if p.spec is not None and u in ed.units_]
    flows = _without(prep, gone & prep["unit"].isin(fitted_patience).to_numpy()) if fitted_patience else prep
    routes = RouteFit().fit(flows)
    dis = DischargeFit(dates_shifted=dates_shifted, shift_keeps_clock=shift_keeps_clock, random_state=random_state)
    dis.fit(_without(flows, flows["on_pathway"].to_numpy(bool)) if pathways.fitted else flows)
    if not discharge_rules:
        dis.rules_ = {}
    prep = ed.after_assessment(prep) if ed.units_ else prep
    fitted = prep
    if homes is not None:  # a unit's stays from its patients who never outlied
        fitted = _without(fitted, np.array([h is not None for h in homes], dtype=bool)[prep["row"].to_numpy()])
    if gone.any():
        fitted = _without(fitted, left_unseen(fitted))
    stay = StayFit(random_state=random_state, bootstrap_b=bootstrap_b).fit(fitted, dis.rules_)
    outliers = OutlierFit().fit(raw, prep, homes, dis.rules_) if homes is not None else OutlierFit()
    waits = WaitFit().fit(prep)
    flags = []
    if dates_shifted:
        flags.append(
            "ARRIVAL RATES NOT FROM DATA: the streams' shares are scaled so that the busiest unit's offered load is "
            f"{TARGET_LOAD:.2f} of its beds"
        )
    src = [source] if isinstance(source, str) else list(source or [])
    nctr = None
    if nctr_target is not None:
        beds = sum(int(b) for u, b in cap.beds_.items() if u not in ed_units)
        nctr = nctr_check(pathways, beds, float(nctr_target[0]), str(nctr_target[1]))
    return Calibration(
        name=name,
        source=src,
        counts=counts,
        period=arr.period_,
        days=arr.days_,
        dates_shifted=dates_shifted,
        arrivals=arr,
        stays=stay,
        routes=routes,
        discharge=dis,
        capacity=cap,
        waits=waits,
        has=has,
        flags=flags,
        prepared=fitted,
        ed=ed,
        outliers=outliers,
        patience=patience,
        pathways=pathways,
        nctr=nctr,
    )


def _without(prep: pd.DataFrame, drop: np.ndarray) -> pd.DataFrame:
    """The prepared stays less the rows in ``drop`` (the preparation's attributes kept)."""
    out = prep[~np.asarray(drop, dtype=bool)].reset_index(drop=True)
    out.attrs = dict(prep.attrs)
    return out


def _on_pathway(prep: pd.DataFrame, on: np.ndarray) -> pd.DataFrame:
    """The prepared stays with ``on_pathway`` and, for those stays, ``dur_h`` up to ``ready_to_leave`` (the NCTR
    time after it is the pathway's); the preparation's attributes kept."""
    out = prep.copy()
    out["on_pathway"] = on
    ready = pd.to_datetime(out["ready_to_leave"])
    los_h = ((ready - out["start"]) / pd.Timedelta(hours=1)).to_numpy(float)
    out["dur_h"] = np.where(on, np.maximum(np.nan_to_num(los_h), MIN_STAY_H), out["dur_h"].to_numpy(float))
    out.attrs = dict(prep.attrs)
    return out


def _has_left_unseen(requests: pd.DataFrame | None) -> bool:
    if requests is None or not len(requests) or "outcome" not in requests.columns:
        return False
    return bool((requests["outcome"].astype("string").str.strip() == LEFT_UNSEEN).any())
