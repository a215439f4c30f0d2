"""The NHS standards a manager is held to, as configurable targets with red / amber / green.

Defined once here so that every screen (the Run page's cards today, a capacity planner later) judges a figure
against the same number and names the same source. A target is a plain value: change it with
:meth:`Target.with_value` (a trust's own trajectory), never by editing a page.

- :data:`FOUR_HOUR`: 78% of ED attendances admitted, transferred or discharged within 4 hours of arrival;
- :data:`TWELVE_HOUR`: fewer than 10% of ED attendances over 12 hours in the department;
- :data:`GA_OCCUPANCY`: general and acute (G&A) bed occupancy at midnight 92% or below.

Red / amber / green (:meth:`Target.rag`): green meets the target, amber misses it by no more than
``amber_within``, red misses it by more; judged to the 0.1 point a card shows. Pure: numbers in, words out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

__all__ = ["FOUR_HOUR", "GA_OCCUPANCY", "NHS_TARGETS", "TWELVE_HOUR", "Rag", "Target"]


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

    def with_value(self, value: float) -> Target:
        """The same standard with a local value (a trust's own target or trajectory)."""
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{self.name}: a target share must be between 0 and 1 (0.78 = 78%), got {value}")
        return replace(self, value=float(value))

    @property
    def text(self) -> str:
        """'78% or more', '10% or less'."""
        return f"{100 * self.value:g}% or {'more' if self.higher_is_better else 'less'}"

    def rag(self, x: float) -> Rag | None:
        """Green, amber or red for the figure ``x`` (a share); None when ``x`` is not a number."""
        if x is None or not math.isfinite(x):
            return None
        miss = (self.value - x) if self.higher_is_better else (x - self.value)
        miss = round(miss, 3)  # to the 0.1 point a card shows: 92.0% meets "92% or less"
        target = f"target {self.text}"
        if miss <= 0:
            return Rag("green", f"Green: meets the {target}")
        points = f"{100 * miss:.1f} points"
        if miss <= self.amber_within:
            return Rag("amber", f"Amber: {points} short of the {target}")
        return Rag("red", f"Red: {points} short of the {target}")


FOUR_HOUR = Target(
    key="four_hour",
    name="ED attendances within 4 hours of arrival",
    value=0.78,
    higher_is_better=True,
    amber_within=0.05,
    source="NHS England, 2025/26 priorities and operational planning guidance: 78% of patients admitted, "
    "transferred or discharged within 4 hours by March 2026 (the constitutional standard is 95%)",
)
TWELVE_HOUR = Target(
    key="twelve_hour",
    name="ED attendances over 12 hours in the department",
    value=0.10,
    higher_is_better=False,
    amber_within=0.02,
    source="NHS England, Urgent and emergency care plan 2025/26 (June 2025): fewer patients waiting over 12 hours "
    "for admission or discharge from the ED than in 2024/25, so that it happens less than 10% of the time",
)
GA_OCCUPANCY = Target(
    key="ga_occupancy",
    name="General and acute (G&A) bed occupancy at midnight",
    value=0.92,
    higher_is_better=False,
    amber_within=0.03,
    source="NHS England, 2023/24 priorities and operational planning guidance: G&A bed occupancy 92% or below",
)
NHS_TARGETS: tuple[Target, ...] = (FOUR_HOUR, TWELVE_HOUR, GA_OCCUPANCY)
"""The standards with their default values, in the order a board reads them."""
