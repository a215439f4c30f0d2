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

    def with_value(self, value: float) -> Target:
        """The same standard with a local value (a trust's own target or trajectory)."""
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{self.name}: a target share must be between 0 and 1 (0.78 = 78%), got {value}")
        return replace(self, value=float(value))

    @property
    def text(self) -> str:
        """'78% or more', '10% or less', 'none' (a share of 0 not to be exceeded)."""
        if self.value == 0 and not self.higher_is_better:
            return "none"
        return f"{100 * self.value:g}% or {'more' if self.higher_is_better else 'less'}"

    def rag(self, x: float) -> Rag | None:
        """Green, amber or red for the figure ``x`` (a share); None when ``x`` is not a number."""
        if x is None or not math.isfinite(x):
            return None
        miss = (self.value - x) if self.higher_is_better else (x - self.value)
        miss = round(miss, 3)  # to the 0.1 point a card shows: 92.0% meets "92% or less"
        target = f"target {self.text}"
        if miss <= 0:
            return Rag("green", f"Green: meets the {target}" if self.text != "none" else "Green: none, as targeted")
        side = "short of" if self.higher_is_better else "over"  # 95% against "92% or less" is 3 points over
        short = f"{100 * miss:.1f} points {side} the {target}"
        if self.text == "none":  # a share not to be exceeded at all: say the figure against "none"
            short = f"{100 * miss:.1f}% against the target of none"
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
    "transferred or discharged within 4 hours by March 2026 (the constitutional standard is 95%)",
    metric="ed_within_4h",
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
