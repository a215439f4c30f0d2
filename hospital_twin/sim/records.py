"""The records one replication produces, and the patients a warm-started run begins with.

:data:`STAY_FIELDS` is the column layout of the stay records (one float64 row per stay of a
patient in a unit; times in hours since the scenario start); :class:`SimOutput` holds every
raw record array of a replication; :class:`InitialPatient` is one patient of a census
snapshot placed at time 0; :class:`RecordSink` receives closed records during a run.
``hospital_twin.results`` turns these into DataFrames. Plain data: no SimPy, no pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np

from hospital_twin.scenario.schema import Scenario

__all__ = [
    "CENSUS_SOURCE",
    "NOT_SEEN",
    "PATHWAY_NONE",
    "SEEN_UNKNOWN",
    "STAY_FIELDS",
    "InitialPatient",
    "RecordSink",
    "SimOutput",
]

STAY_FIELDS = (
    "patient",  # int id, unique in the replication
    "unit",  # unit index
    "pclass",  # class index
    "source",  # arrival source index (the previous unit's index + len(sources) for transfers)
    "ready_at",  # when the patient asked for the bed
    "start",  # when it got the bed
    "ready_h",  # when its stay ended (medically ready to move on); nan while in treatment
    "end",  # when it left the bed; nan if still there
    "dest",  # next unit index, -1 home, -2 turned away by the next unit, -3 left without being seen; -9 inside
    "seen_at",  # ED only: when a clinician started the assessment; nan otherwise
)
CENSUS_SOURCE = "census"
"""Arrival source of the patients a warm-started run begins with (``arrival_source`` in the log)."""


@dataclass
class SimOutput:
    """Raw records of one replication (times in hours since the scenario start)."""

    scenario: Scenario
    rep: int
    unit_names: list[str]
    class_names: list[str]
    source_names: list[str]
    stays: np.ndarray  # (n, len(STAY_FIELDS)) float64
    rejections: np.ndarray  # (n, 5): patient, unit, t, pclass, from_unit (-1 external)
    cancellations: np.ndarray  # (n, 6): patient, unit, ready_at, t_cancel, pclass, source
    waiting_at_end: np.ndarray  # (n, 6): patient, unit, ready_at, pclass, from_unit (-1 external), source
    capacity_log: np.ndarray  # (n, 4): t, unit, capacity (beds admitting), escalation beds open
    staffed_log: np.ndarray  # (n, 3): t, unit, nurses x ratio (staffed patients)
    arrivals: np.ndarray  # (n, 4): patient, unit, t, pclass  (external arrivals, all of them)
    end_h: float = 0.0
    warmup_h: float = 0.0
    level_hours: list[np.ndarray] = field(default_factory=list)  # per unit: hours at occupancy 0, 1, ... after warm-up
    hospital_level_hours: np.ndarray | None = None  # the same for the inpatient units together
    breach_hours: np.ndarray | None = None  # per unit: hours with patients above nurses x ratio, after warm-up
    spell_sum_h: float = 0.0  # ended inpatient spells (runs of inpatient stays), asked after warm-up: total hours
    spell_n: int = 0  # ... and their number
    outliers: np.ndarray | None = (
        None  # with outlying: (n, 7) placements, see hospital_twin.sim.outlying.OUTLIER_FIELDS
    )
    escalation_path: np.ndarray | None = (
        None  # with escalation_levels: (n, 3) t, group, level; see sim.escalation_policy
    )
    postponed: np.ndarray | None = None  # with escalation_levels: (n, 5) elective patients postponed by a level
    extra: dict = field(default_factory=dict)
    left_unseen: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    """(n, 6): patient, unit, ready_at, t_left, pclass, source: ED arrivals who left without being seen
    while still waiting for a cubicle (those who left from a cubicle are stays with dest -3)."""
    rebookings: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    """(n, 6): patient, unit, ready_at, t_cancel, t_rebook, pclass: cancelled electives booked again for
    ``t_rebook`` (on or after ``end_h``: still pending at the end); a row per rebooking."""


PATHWAY_NONE = -2
"""``InitialPatient.pathway`` of a ready census patient known to be on no discharge pathway (a census with a
pathway column that leaves it empty): if it leaves the hospital it goes home by the discharge rules (P0)."""

SEEN_UNKNOWN = -1.0
NOT_SEEN = -2.0


class InitialPatient(NamedTuple):
    """A patient already in a bed when a warm-started run begins (from a census snapshot)."""

    unit: int
    """Index of the unit (scenario order)."""
    elapsed_h: float
    """Hours the patient has already spent in the unit at time 0 (>= 0)."""
    pclass: int = 0
    """Index of the patient class (``Scenario.class_names()`` order)."""
    ready: bool = False
    """True if its stay is already over (medically ready, waiting for a bed elsewhere or to go home):
    it moves on at time 0 instead of drawing a remaining stay."""
    waiting: bool = False
    """True for a patient not yet in a bed who has been waiting ``elapsed_h`` hours for one in
    ``unit`` (from outside the hospital): it joins the unit's queue at time 0, longest wait first."""
    next_unit: int = -9
    """Where a ``ready`` patient is going, when known: a unit index, or -1 for leaving the hospital;
    -9 (unknown) draws it from the route as for any patient."""
    ready_h: float = 0.0
    """Hours since a ``ready`` patient's stay ended. One going home under a discharge rule draws its
    discharge time given that it has not left by time 0 (it was ready ``ready_h`` hours ago)."""
    seen_h: float = SEEN_UNKNOWN
    """Emergency department only: hours since a clinician started its assessment (>= 0; it may
    still be under way, holding the clinician); :data:`NOT_SEEN` if not seen yet (it joins the
    clinician queue at time 0, longest wait first); :data:`SEEN_UNKNOWN` when the snapshot does not say (taken as assessed, its
    remaining stay the residual of the post-assessment stay from its arrival)."""
    cancel_h: float = math.inf
    """For a ``waiting`` patient: hours from time 0 until its request is withdrawn (a planned
    admission cancelled after ``cancel_after_hours`` of waiting; the caller subtracts the wait so far).
    Infinite: it waits until it gets a bed."""
    pathway: int = -1
    """For a ``ready`` patient: the discharge pathway it waits for in its bed (NCTR), an index into the
    scenario's ``discharge_pathways``; it keeps its place in the pathway's queue by its ready time
    (``ready_h`` hours ago). -1: not known (if it leaves the hospital, its pathway is drawn by the
    shares when it is placed, and only a patient going home without one is conditioned on the
    discharge rule); :data:`PATHWAY_NONE`: known to take none (home without support, P0, if it leaves)."""


class RecordSink(Protocol):
    """Receives closed records during a run, so they need not stay in memory."""

    def add_stays(self, block: np.ndarray) -> None: ...

    def add_arrivals(self, block: np.ndarray) -> None: ...
