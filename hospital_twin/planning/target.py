"""A target: a bound on one metric of :data:`hospital_twin.results.METRICS`, to hold with a stated confidence.

Written ``[UNIT.]METRIC[/beds] OP BOUND[@FROM..TO][@CONFIDENCE%]``, for example
``ED.ed_4h_breach_share<=0.22``, ``ED.ed_within_4h_share>=0.78@2026-01-01..2026-01-31``,
``ALL.occupancy_mean/beds<=0.92``, ``gridlocked_share==0``, ``MED.waited_share<=0.2@90%``.

- ``UNIT`` is a unit, ``ALL`` (the default), or the name a metric is reported under (an
  escalation group, a discharge pathway or lounge).
- ``/beds`` divides the measure by the beds available in the candidate: the unit's base beds
  plus its escalation beds open on average in the replication (``ALL``: the inpatient units'),
  as NHS England's G&A occupancy counts the escalation beds open; so a target on occupancy
  follows the beds a plan adds.
- ``OP`` is ``<=``, ``>=`` or ``==``. ``==`` is exact: every replication must give the bound
  (``gridlocked_share==0``: no replication gridlocked); a single one that does not rules
  the candidate out. Confidence is meaningless for it and is not claimed.
- ``@FROM..TO`` (dates, both included) measures the target over that window only, which
  must lie inside the run's measured window: the replication is simulated from the
  scenario's start to the end of ``TO`` and measured from ``FROM`` (the days before act as
  the warm-up; see :meth:`Target.view`).
- ``@90%`` sets this target's confidence (default: the plan's, 95%).

``ed_within_4h_share`` (the NHS 4-hour standard's measure) is ``1 - ed_4h_breach_share``.
Pure: parsing, checking against a scenario, and reading a target's measure from the KPI
table of one replication.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospital_twin import results
from hospital_twin.scenario.dates import RunWindow
from hospital_twin.scenario.schema import Scenario

__all__ = ["COMPLEMENTS", "Target", "TargetError", "parse_target"]

COMPLEMENTS: dict[str, str] = {"ed_within_4h_share": "ed_4h_breach_share"}
"""Measures the planner accepts as one minus a metric of the catalogue."""

_PER_REP = {"gridlocked_share": "gridlocked", "pathway_growing_share": "pathway_growing"}
"""Summary shares whose per-replication value is a 0/1 metric under another name."""

_PATTERN = re.compile(
    r"^\s*(?:(?P<unit>[A-Za-z][\w-]*)\.)?(?P<metric>[a-z][a-z0-9_]*)(?P<per>\s*/\s*beds)?\s*"
    r"(?P<op><=|>=|==)\s*(?P<bound>[-+0-9.eE]+%?)\s*(?P<rest>(?:@[^@]+)*)$"
)


class TargetError(ValueError):
    """A target that cannot be used: bad syntax, an unknown metric or unit, a window outside the run."""


@dataclass(frozen=True)
class Target:
    """``measure(unit) op bound`` over a window, to hold with probability ``confidence``."""

    text: str
    metric: str
    """As written (``ed_within_4h_share``, ``gridlocked_share``)."""
    unit: str
    op: str
    bound: float
    per_beds: bool = False
    window: tuple[dt.date, dt.date] | None = None
    """First and last day measured (both included); None: the run's measured window."""
    confidence: float = 0.95

    @property
    def label(self) -> str:
        """``ED.ed_within_4h_share`` (with ``/beds`` and the window when given)."""
        s = f"{self.unit}.{self.metric}{'/beds' if self.per_beds else ''}"
        if self.window:
            s += f"@{self.window[0]:%Y-%m-%d}..{self.window[1]:%Y-%m-%d}"
        return s

    @property
    def kpi_metric(self) -> str:
        """The metric of the per-replication KPI table that gives the measure."""
        m = COMPLEMENTS.get(self.metric, self.metric)
        return _PER_REP.get(m, m)

    def view(self, scenario: Scenario) -> Scenario:
        """The scenario to simulate for this target: the same, or re-timed to measure only its window.

        The replication starts at the scenario's start as before; its warm-up ends at the
        window's first day and its horizon at the end of the last one. A replication
        depends only on ``(scenario, seed, rep)``, so the days before the window are the
        same simulation the full run would make of them up to the model's horizon-dependent
        ends (patients still waiting are counted at the window's end).
        """
        if self.window is None:
            return scenario
        first, last = self.window
        start = scenario.start
        begin = dt.datetime.combine(first, dt.time(), tzinfo=start.tzinfo)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=start.tzinfo)
        warmup = (begin - start).total_seconds() / 86400.0
        horizon = (end - begin).total_seconds() / 86400.0
        return scenario.model_copy(update={"warmup_days": warmup, "horizon_days": horizon})

    def check(self, scenario: Scenario) -> None:
        """A :class:`TargetError` when the unit is unknown or the window falls outside the measured run."""
        names = _unit_names(scenario)
        if self.unit not in names:
            close = difflib.get_close_matches(self.unit, names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise TargetError(f"target {self.text}: no unit '{self.unit}'{hint}; units: {', '.join(names)}")
        if self.per_beds and self.unit != results.ALL and self.unit not in scenario.units:
            raise TargetError(f"target {self.text}: /beds needs a unit with beds or ALL, not '{self.unit}'")
        if self.window is not None:
            win = RunWindow.of(scenario)
            if win is None:
                return  # checked again once the warm-up is chosen
            first, last = self.window
            begin = dt.datetime.combine(first, dt.time(), tzinfo=scenario.start.tzinfo)
            end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=scenario.start.tzinfo)
            if begin < win.measured_from:
                raise TargetError(
                    f"target {self.text}: the window starts before the run is measured "
                    f"({win.measured_from:%Y-%m-%d}, after the warm-up); start it then or later"
                )
            if end > win.end:
                raise TargetError(
                    f"target {self.text}: the window ends after the run ends ({win.end:%Y-%m-%d}); end it "
                    f"by {(win.end - dt.timedelta(days=1)):%Y-%m-%d} or lengthen horizon_days"
                )

    def measure(self, kpis: pd.DataFrame, scenario: Scenario) -> float:
        """The target's measure in one replication's KPI table (NaN where the metric is undefined)."""
        rows = kpis[(kpis["metric"] == self.kpi_metric) & (kpis["unit"] == self.unit)]
        if rows.empty:
            have = sorted(kpis.loc[kpis["metric"] == self.kpi_metric, "unit"].unique())
            where = f"it is reported for {', '.join(have)}" if have else "this scenario does not report it"
            raise TargetError(f"target {self.text}: no {self.kpi_metric} for unit {self.unit} ({where})")
        value = float(rows["value"].iloc[0])
        if self.metric in COMPLEMENTS:
            value = 1.0 - value
        if self.per_beds:
            beds = _beds(scenario, self.unit) + _escalation_open(kpis, scenario, self.unit)
            value = value / beds if beds > 0 else math.nan
        return value

    def met(self, value: float) -> bool:
        """Whether one value meets the bound (a point check, no confidence)."""
        if self.op == "<=":
            return value <= self.bound
        if self.op == ">=":
            return value >= self.bound
        return bool(np.isclose(value, self.bound, rtol=0, atol=1e-12))


def _unit_names(scenario: Scenario) -> list[str]:
    return [
        *scenario.units,
        results.ALL,
        *scenario.escalation_levels,
        *scenario.discharge_pathways,
        *scenario.discharge_lounges,
    ]


def _beds(scenario: Scenario, unit: str) -> float:
    if unit == results.ALL:
        return float(sum(u.beds for u in scenario.units.values() if u.kind != "ed" and u.ed is None))
    return float(scenario.units[unit].beds)


def _escalation_open(kpis: pd.DataFrame, scenario: Scenario, unit: str) -> float:
    """Escalation beds open on average in the replication (the unit's, or the inpatient units' for ALL)."""
    rows = kpis[kpis["metric"] == "escalation_beds_open_mean"]
    if unit == results.ALL:
        inpatient = [n for n, u in scenario.units.items() if u.kind != "ed" and u.ed is None]
        rows = rows[rows["unit"].isin(inpatient)]
    else:
        rows = rows[rows["unit"] == unit]
    return float(rows["value"].fillna(0.0).sum())


def _date(text: str, what: str, target: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise TargetError(f"target {target}: {what} '{text}' is not a date YYYY-MM-DD") from None


def parse_target(text: str, scenario: Scenario, confidence: float = 0.95) -> Target:
    """A :class:`Target` from its text, checked against the metric catalogue and ``scenario``."""
    raw = text.strip()
    m = _PATTERN.match(raw)
    if not m:
        raise TargetError(
            f"target {raw!r}: write [UNIT.]METRIC[/beds] <=|>=|== BOUND[@FROM..TO][@95%], "
            "e.g. ED.ed_within_4h_share>=0.78 or ALL.occupancy_mean/beds<=0.92"
        )
    metric = m["metric"]
    known = set(results.METRICS) | set(COMPLEMENTS)
    if metric not in known:
        close = difflib.get_close_matches(metric, sorted(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise TargetError(f"target {raw}: no metric '{metric}'{hint}; the catalogue is hospital_twin.results.METRICS")
    bound_text = m["bound"]
    try:
        bound = float(bound_text.rstrip("%")) / (100.0 if bound_text.endswith("%") else 1.0)
    except ValueError:
        raise TargetError(f"target {raw}: bound '{bound_text}' is not a number") from None
    if not math.isfinite(bound):
        raise TargetError(f"target {raw}: bound must be a finite number")
    window = None
    conf = confidence
    for part in filter(None, (p.strip() for p in (m["rest"] or "").split("@"))):
        if part.endswith("%"):
            try:
                conf = float(part[:-1]) / 100.0
            except ValueError:
                raise TargetError(f"target {raw}: confidence '{part}' is not a percentage such as 95%") from None
        elif ".." in part:
            a, b = part.split("..", 1)
            first, last = _date(a, "window start", raw), _date(b, "window end", raw)
            if last < first:
                raise TargetError(f"target {raw}: the window {first}..{last} is reversed")
            window = (first, last)
        else:
            raise TargetError(f"target {raw}: '@{part}' is neither a window FROM..TO nor a confidence such as 95%")
    if not (0.5 <= conf < 1.0):
        raise TargetError(f"target {raw}: confidence must be at least 50% and below 100% (got {conf:.3g})")
    target = Target(
        text=raw,
        metric=metric,
        unit=m["unit"] or results.ALL,
        op=m["op"],
        bound=bound,
        per_beds=bool(m["per"]),
        window=window,
        confidence=conf,
    )
    target.check(scenario)
    return target
