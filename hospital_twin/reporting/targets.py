"""The NHS standards a manager is held to, as configurable targets with red / amber / green.

Defined once here so that every screen (the Run page's cards today, a capacity planner later) judges a figure
against the same number and names the same source. A target is a plain value: change it with
:meth:`Target.with_value` (a trust's own trajectory), never by editing a page.

- :data:`FOUR_HOUR`: 78% of ED attendances admitted, transferred or discharged within 4 hours of arrival;
- :data:`TWELVE_HOUR`: fewer than 10% of ED attendances over 12 hours in the department;
- :data:`GA_OCCUPANCY`: general and acute (G&A) bed occupancy at midnight 92% or below;
- :data:`AMBULANCE_HANDOVER`: no ambulance handover over 45 minutes;
- :data:`ELECTIVE_CANCELLATIONS`: planned operations cancelled on the day for want of a bed 1% or fewer.

Each target names the measure it reads (:attr:`Target.metric`), so a page or a comparison can judge any
replication's figure against it without a table of its own.

Red / amber / green (:meth:`Target.rag`): green meets the target, amber misses it by no more than
``amber_within``, red misses it by more; judged to the 0.1 point a card shows. Pure: numbers in, words out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

__all__ = [
    "AMBULANCE_HANDOVER",
    "ELECTIVE_CANCELLATIONS",
    "FOUR_HOUR",
    "GA_OCCUPANCY",
    "NHS_TARGETS",
    "TWELVE_HOUR",
    "Rag",
    "Target",
]


@dataclass(frozen=True)
class Rag:
    """How a figure stands against a target: ``status`` is "green", "amber" or "red"; ``words`` says it."""

    status: str
    words: str


def _day(day: dt.date | str) -> dt.date:
    """A date from an ISO string, a date, a datetime or a pandas Timestamp."""
    when = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return when.date() if isinstance(when, dt.datetime) else when


@dataclass(frozen=True)
class Target:
    """One standard. Shares are fractions (0.78 = 78%); ``higher_is_better`` says which side meets it."""

    key: str
    name: str
    """What is measured, in the manager's words ("ED attendances within 4 hours")."""
    value: float
    higher_is_better: bool
    amber_within: float
    """How far on the wrong side of ``value`` a figure is still amber (same units as ``value``)."""
    source: str
    metric: str = ""
    """The measure it judges, a share: a metric of ``results.METRICS`` or a measure of ``reporting.nhs``
    (``ed_within_4h``, ``ga_occupancy_midnight``); an ED measure is judged on each emergency department,
    any other on ``ALL``."""

    trajectory: tuple[tuple[str, float], ...] = ()
    """The standard's stated later values: ``(first day, value)`` in date order (ISO dates), e.g.
    ``(("2026-04-01", 0.82),)``; ``value`` holds before the first day."""

    def with_value(self, value: float) -> Target:
        """The same standard with a local value (a trust's own target), held on every day: the national
        trajectory no longer applies."""
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{self.name}: a target share must be between 0 and 1 (0.78 = 78%), got {value}")
        return replace(self, value=float(value), trajectory=())

    def on(self, day: dt.date | str | None) -> Target:
        """The standard as it stands on ``day`` (a date, a datetime or pandas Timestamp, or an ISO date), following
        its trajectory; itself when ``day`` is None or before the trajectory's first step."""
        if day is None or not self.trajectory:
            return self
        when = _day(day)
        value = self.value
        for first, later in self.trajectory:
            if when >= dt.date.fromisoformat(first):
                value = later
        return self if value == self.value else replace(self, value=value)

    def during(self, first: dt.date | str | None, last: dt.date | str | None) -> Target:
        """The standard over the days ``first`` to ``last`` (inclusive): its trajectory weighted by the days at each
        value (a year half at 78% and half at 82% is judged against 80%); itself without a trajectory."""
        if first is None or last is None or not self.trajectory:
            return self
        a, b = _day(first), _day(last)
        if b < a:
            return self.on(b)
        steps = [(a, self.on(a).value)] + [(d, v) for d, v in ((_day(d), v) for d, v in self.trajectory) if a < d <= b]
        ends = [d for d, _ in steps[1:]] + [b + dt.timedelta(days=1)]
        value = sum(v * (end - d).days for (d, v), end in zip(steps, ends, strict=True)) / ((b - a).days + 1)
        value = round(value, 4)
        return self if value == self.value else replace(self, value=value)

    @property
    def trajectory_text(self) -> str:
        """'78% or more; 82% or more from 1 Apr 2026' (the value alone without a trajectory)."""
        word = "more" if self.higher_is_better else "less"
        steps = [f"{100 * v:g}% or {word} from {dt.date.fromisoformat(d):%-d %b %Y}" for d, v in self.trajectory]
        return "; ".join([self.text, *steps])

    @property
    def text(self) -> str:
        """'78% or more', '10% or less', 'none' (a share of 0 not to be exceeded)."""
        if self.value == 0 and not self.higher_is_better:
            return "none"
        return f"{100 * self.value:g}% or {'more' if self.higher_is_better else 'less'}"

    def rag(self, x: float) -> Rag | None:
        """Green, amber or red for the figure ``x`` (a share); None when ``x`` is not a number. Judged on the figure
        as a card shows it (to 0.1 point), so a card never reads 78.0% beside "short of 78%"; against a target of
        none, any share above 0 misses it, however small."""
        if x is None or not math.isfinite(x):
            return None
        if self.text == "none":
            if x <= 0:
                return Rag("green", "Green: none, as targeted")
            shown = f"{100 * x:.1f}%" if x >= 0.001 else f"{100 * x:.2g}%"
            short, miss = f"{shown} against the target of none", x
        else:
            points = round(100 * x, 1) - round(100 * self.value, 1)
            miss = round(-points if self.higher_is_better else points, 1) / 100
            if miss <= 0:
                return Rag("green", f"Green: meets the target {self.text}")
            side = "short of" if self.higher_is_better else "over"  # 95% against "92% or less" is 3 points over
            short = f"{100 * miss:.1f} points {side} the target {self.text}"
        if miss <= self.amber_within:
            return Rag("amber", f"Amber: {short}")
        return Rag("red", f"Red: {short}")


FOUR_HOUR = Target(
    key="four_hour",
    name="ED attendances within 4 hours of arrival",
    value=0.78,
    higher_is_better=True,
    amber_within=0.05,
    source="NHS England, 2025/26 priorities and operational planning guidance: 78% of patients admitted, "
    "transferred or discharged within 4 hours by March 2026; NHS England, Medium term planning framework "
    "2026/27 to 2028/29 (October 2025): 82% by March 2027 (the constitutional standard is 95%)",
    metric="ed_within_4h",
    trajectory=(("2026-04-01", 0.82),),
)
TWELVE_HOUR = Target(
    key="twelve_hour",
    name="ED attendances over 12 hours in the department",
    value=0.10,
    higher_is_better=False,
    amber_within=0.02,
    source="NHS England, Urgent and emergency care plan 2025/26 (June 2025): fewer patients waiting over 12 hours "
    "for admission or discharge from the ED than in 2024/25, so that it happens less than 10% of the time",
    metric="ed_12h_breach_share",
)
GA_OCCUPANCY = Target(
    key="ga_occupancy",
    name="General and acute (G&A) bed occupancy at midnight",
    value=0.92,
    higher_is_better=False,
    amber_within=0.03,
    source="NHS England, 2023/24 priorities and operational planning guidance: G&A bed occupancy 92% or below",
    metric="ga_occupancy_midnight",
)
AMBULANCE_HANDOVER = Target(
    key="ambulance_handover",
    name="Ambulance handovers over 45 minutes",
    value=0.0,
    higher_is_better=False,
    amber_within=0.02,
    source="NHS England, Urgent and emergency care plan 2025/26 (June 2025): a maximum 45-minute ambulance handover "
    "(release to respond); the NHS Standard Contract (2022/23) asks 65% within 15 minutes, 95% within 30 and all "
    "within 60. The model's handover is the wait from arrival for a treatment space; amber up to 2 points over is "
    "an assumption",
    metric="ambulance_handover_over_45min_share",
)
ELECTIVE_CANCELLATIONS = Target(
    key="elective_cancellations",
    name="Planned operations cancelled on the day",
    value=0.01,
    higher_is_better=False,
    amber_within=0.01,
    source="NHS England, cancelled elective operations statistics: operations cancelled at the last minute for "
    "non-clinical reasons run at about 1% of elective admissions (0.8% in April-June 2012, 1.1% in December "
    "2016), and each patient must be offered a new date within 28 days (NHS Constitution). No share is set "
    "nationally: 1% is an assumption from those figures. The model counts planned admissions cancelled for want "
    "of a bed or postponed by escalation, over inpatient bookings only (the national share includes day cases, "
    "so an inpatient share runs higher)",
    metric="cancelled_share",
)
NHS_TARGETS: tuple[Target, ...] = (FOUR_HOUR, TWELVE_HOUR, GA_OCCUPANCY, AMBULANCE_HANDOVER, ELECTIVE_CANCELLATIONS)
"""The standards with their default values, in the order a board reads them."""
