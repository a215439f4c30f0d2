"""What a background job is asked to do: one frozen dataclass per kind of job.

A page builds one of these, :func:`jobs.start` pickles it into the job folder, and the
worker (``worker.py``) dispatches on its type to exactly one package call. Every field is
plain data (text, numbers, dates, DataFrames); nothing here computes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # the worker unpickles a job without pandas unless the job holds a table
    import pandas as pd


@dataclass(frozen=True)
class RunJob:
    """Replications of one scenario (``hospital_twin.run_scenario``) and its results folder as a zip."""

    kind: ClassVar[str] = "run"
    yaml: str
    replications: int
    seed: int
    file: str = "scenario"


@dataclass(frozen=True)
class CompareJob:
    """A baseline and what-ifs under common random numbers (``compare_scenarios``); ``yamls[0]`` is the baseline."""

    kind: ClassVar[str] = "compare"
    yamls: tuple[str, ...]
    files: tuple[str, ...]
    replications: int
    seed: int


@dataclass(frozen=True)
class CalibrateJob:
    """Fit a scenario to a log (``calibrate_logs``), or to a log simulated from ``scenario_yaml`` first."""

    kind: ClassVar[str] = "calibrate"
    source: str  # adt | mimic-iv | xes | simulated
    path: str
    label: str = "uploaded log"
    name: str = "Calibrated from an ADT log"
    dates_shifted: bool | None = None
    scenario_yaml: str | None = None
    horizon_days: float = 28.0
    replications: int = 5
    rep: int | None = None
    """The replication to fit from a log stacking several (a results folder's ``adt_log.*``)."""
    scenario: str | None = None
    """The scenario to fit from a log written by compare (its ``scenario`` column)."""
    pathway_labels: tuple[str, ...] = ()
    """``LABEL=NAME`` items: destination labels that mean a discharge pathway (``--pathway-label``)."""


@dataclass(frozen=True)
class ForecastJob:
    """The next hours from a census snapshot (``hospital_twin.live.forecast.forecast``)."""

    kind: ClassVar[str] = "forecast"
    yaml: str
    census: pd.DataFrame
    now: pd.Timestamp
    hours: int
    replications: int
    seed: int
    vacated: pd.DataFrame | None = None


@dataclass(frozen=True)
class StaffingJob:
    """Nurse levels for a period (``hospital_twin.staffing.loop.staffing_plan``), as ``hospital-twin staffing``."""

    kind: ClassVar[str] = "staffing"
    yaml: str
    start_date: dt.date
    weeks: int
    replications: int
    seed: int
    service_level: float = 0.95
    min_level: float = 0.80


@dataclass(frozen=True)
class RosterJob:
    """A roster of a staff file for the units of a staffing plan (``roster_for_plan``), with its exports."""

    kind: ClassVar[str] = "roster"
    plan: object  # hospital_twin.staffing.loop.StaffingPlan (the staffing job's result)
    staff_path: str
    units: tuple[str, ...]
    ratio_skill: str = "RN"
    nurse_in_charge: bool = False
    time_limit_s: float = 20.0
    leave: str | None = None
    requests: str | None = None
    rules: str | None = None


@dataclass(frozen=True)
class ReportJob:
    """The HTML report of a results zip written by a run or compare job."""

    kind: ClassVar[str] = "report"
    zip: str


JobSpec = RunJob | CompareJob | CalibrateJob | ForecastJob | StaffingJob | RosterJob | ReportJob

KINDS: dict[str, type] = {
    c.kind: c for c in (RunJob, CompareJob, CalibrateJob, ForecastJob, StaffingJob, RosterJob, ReportJob)
}

__all__ = [
    "KINDS",
    "CalibrateJob",
    "CompareJob",
    "ForecastJob",
    "JobSpec",
    "ReportJob",
    "RosterJob",
    "RunJob",
    "StaffingJob",
]
