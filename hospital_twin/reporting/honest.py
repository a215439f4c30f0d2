"""Honest headline figures: who was still waiting, who never got a bed, and when replications disagree.

A hospital whose beds cannot be reached looks calm on the usual cards (low occupancy, no trolley waits: nobody
got far enough to wait for a bed). This module reads a run's ``summary`` and ``kpis`` for what those cards hide:

- :func:`unserved`: patients still waiting for an inpatient bed at the end, those who never got one (still
  waiting, turned away or cancelled: ``arrivals - admitted``), ED attendances still waiting to be seen, and the
  gridlocked replications (:class:`Unserved`, with ``stuck`` when any of it is large: :data:`STUCK_SHARE`);
- :func:`stuck_warning`: the sentence to put on a calm-looking card of a stuck run;
- :func:`ed_reason`: why an ED figure about admitted patients (trolley waits) is missing or empty;
- :func:`replication_spread`: the median and range of a measure across replications when they disagree strongly
  (some gridlocked and some not, or a range wider than the mean).

Pure: DataFrames and scenarios in, objects and strings out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospital_twin.results import ALL, METRIC_LABELS, t_half_width
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "STUCK_SHARE",
    "Spread",
    "Unserved",
    "ed_reason",
    "never_bedded_breakdown",
    "replication_spread",
    "stuck_warning",
    "unserved",
]

STUCK_SHARE = 0.05
"""A run is stuck when at least this share of the requests for an inpatient bed (or of an ED's attendances) were
still waiting at the end, or when any replication gridlocked. A full, working hospital leaves well under 1%."""

_SPREAD_FLOOR = {"share": 0.10, "hours": 1.0}
"""Smallest range across replications that counts as strong disagreement, by the metric's kind (else 1)."""


@dataclass(frozen=True)
class Spread:
    """A measure across the replications of one scenario: median, lowest and highest, how many, how many
    gridlocked."""

    median: float
    low: float
    high: float
    n: int
    gridlocked: int


@dataclass(frozen=True)
class Unserved:
    """Means per replication over the measured days, with 95% half-widths (0 with one replication)."""

    requests: float
    """Requests for an inpatient bed (``arrivals`` on ALL)."""
    still_waiting: float
    still_waiting_hw: float
    never_bedded: float
    """Requests that had no bed by the end: still waiting, turned away or cancelled (``arrivals - admitted``)."""
    never_bedded_hw: float
    rejected: float
    cancelled: float
    """Elective operations cancelled; NaN when the scenario has no electives or the run lacks the measure."""
    ed_never_seen: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per ED: ``(still waiting to be seen at the end, attendances)``."""
    gridlocked: tuple[int, int] | None = None
    """``(gridlocked replications, replications)``; None without the measure."""

    @property
    def stuck(self) -> bool:
        """Patients left waiting in numbers a working hospital never shows, or a gridlocked replication."""
        if self.gridlocked is not None and self.gridlocked[0] > 0:
            return True
        if self.requests > 0 and self.still_waiting / self.requests >= STUCK_SHARE:
            return True
        return any(a > 0 and w / a >= STUCK_SHARE for w, a in self.ed_never_seen.values())


def _values(kpis: pd.DataFrame, scenario: str, metric: str, unit: str) -> pd.Series:
    k = kpis[(kpis["metric"] == metric) & (kpis["unit"] == unit)]
    if "scenario" in k.columns:
        k = k[k["scenario"] == scenario]
    return k.set_index("rep")["value"].astype(float)


def _mean_hw(x: pd.Series) -> tuple[float, float]:
    x = x.dropna()
    if x.empty:
        return math.nan, math.nan
    hw = float(t_half_width(np.array([x.std()]), np.array([len(x)]), 0.95)[0]) if len(x) > 1 else 0.0
    return float(x.mean()), hw if math.isfinite(hw) else 0.0


def unserved(kpis: pd.DataFrame, scenario: Scenario) -> Unserved:
    """What the calm cards hide, from a run's per-replication KPIs (``[scenario,] rep, metric, unit, value``)."""
    name = scenario.name

    def get(metric: str, unit: str = ALL) -> pd.Series:
        return _values(kpis, name, metric, unit)

    requests, admitted = get("arrivals"), get("admitted")
    waiting, never = _mean_hw(get("still_waiting")), _mean_hw((requests - admitted).dropna())
    eds = {}
    for u, spec in scenario.units.items():
        if spec.ed is not None or spec.kind == "ed":
            eds[u] = (_mean_hw(get("still_waiting", u))[0], _mean_hw(get("ed_attendances", u))[0])
    g = get("gridlocked")
    return Unserved(
        requests=_mean_hw(requests)[0],
        still_waiting=waiting[0],
        still_waiting_hw=waiting[1],
        never_bedded=never[0],
        never_bedded_hw=never[1],
        rejected=_mean_hw(get("rejected"))[0],
        cancelled=_mean_hw(get("cancelled"))[0] if scenario.electives else math.nan,
        ed_never_seen={u: (w, a) for u, (w, a) in eds.items() if math.isfinite(w) and math.isfinite(a)},
        gridlocked=None if g.empty else (int((g > 0).sum()), len(g)),
    )


def _people(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:,.1f}"


def stuck_warning(u: Unserved) -> str:
    """'Not a calm hospital: 331 patients still waiting for a bed at the end, 7,462 ED patients not yet seen' (means
    over replications) for a stuck run, else ''."""
    if not u.stuck:
        return ""
    bits = []
    if u.still_waiting > 0:
        bits.append(f"{_people(u.still_waiting)} patients still waiting for a bed at the end")
    for ed, (w, _) in u.ed_never_seen.items():
        if w > 0:
            bits.append(f"{_people(w)} {ed} patients not yet seen")
    if u.gridlocked is not None and u.gridlocked[0] > 0:
        k, n = u.gridlocked
        bits.append(f"{k} of {n} replications gridlocked")
    return "Not a calm hospital: " + ", ".join(bits)


def ed_reason(summary: pd.DataFrame, scenario: Scenario, unit: str) -> str | None:
    """Why the ED ``unit``'s figures about admitted patients (trolley waits) mean nothing, or None.

    They count decisions to admit made in the measured days; when there were none (every patient stuck waiting
    to be seen, or no attendance at all) a zero is not good news.
    """
    mine = summary[(summary["unit"] == unit)]
    if "scenario" in mine.columns:
        mine = mine[mine["scenario"] == scenario.name]

    def mean(metric: str) -> float:
        r = mine[mine["metric"] == metric]
        return float(r["mean"].iloc[0]) if len(r) else math.nan

    attendances, admitted = mean("ed_attendances"), mean("ed_admitted_share")
    boarding, unseen = mean("ed_boarding_mean_h"), mean("still_waiting")
    if not (attendances > 0):
        return "no attendance was measured"
    if (math.isfinite(admitted) and admitted > 0) and math.isfinite(boarding):
        return None
    why = "no patient reached a decision to admit in the measured days"
    if unseen > 0:
        why += f": {_people(unseen)} of {_people(attendances)} attendances were still waiting to be seen at the end"
    return why


def replication_spread(kpis: pd.DataFrame | None, scenario: str, metric: str, unit: str) -> Spread | None:
    """Median and range of ``metric`` on ``unit`` across the replications of ``scenario`` when they disagree
    strongly (some gridlocked and some not, or a range wider than the mean and than a floor by kind: 10
    percentage points for a share, 1 h for hours, 1 otherwise); None when they agree or with fewer than 2."""
    if kpis is None:
        return None
    x = _values(kpis, scenario, metric, unit).dropna()
    if len(x) < 2:
        return None
    g = _values(kpis, scenario, "gridlocked", ALL)
    k = int((g > 0).sum())
    kind = METRIC_LABELS.get(metric, (metric, ""))[1]
    width = float(x.max() - x.min())
    split = 0 < k < len(x)
    if not split and not (width > abs(float(x.mean())) and width >= _SPREAD_FLOOR.get(kind, 1.0)):
        return None
    return Spread(float(x.median()), float(x.min()), float(x.max()), len(x), k)


def never_bedded_breakdown(u: Unserved) -> str:
    """Who never got a bed, by reason: '12 still waiting, 3 turned away, 5 operations cancelled' (means over
    replications); a reason whose measure is missing (NaN: no electives, nothing to cancel) is left out."""
    parts = [(u.still_waiting, "still waiting"), (u.rejected, "turned away"), (u.cancelled, "operations cancelled")]
    return ", ".join(f"{_people(x)} {words}" for x, words in parts if math.isfinite(x))
