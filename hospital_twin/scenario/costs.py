"""Unit costs: what a bed-day, an escalation bed-day and a nurse hour cost (``scenarios/costs.yaml``).

One file of rates for every money figure of the package and the app: the roster's cost and the
cost of its surplus shifts (:mod:`hospital_twin.roster.workforce`), and the cost of a scenario's
beds and of a what-if (:mod:`hospital_twin.reporting.money`). Pure validation (pydantic);
:func:`hospital_twin.scenario.io.read_costs` reads the YAML with every problem located by file, line and field.

Money is in ``currency`` (default GBP) at ``price_year`` prices; hours are paid hours; a
whole-time equivalent (WTE) is ``wte_hours_per_week`` paid hours a week (NHS Agenda for Change:
37.5).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CostRates", "NHS_WTE_HOURS_PER_WEEK"]

NHS_WTE_HOURS_PER_WEEK = 37.5
"""Full-time hours a week under NHS Agenda for Change (section 2 of the NHS Terms and Conditions Handbook)."""


class CostRates(BaseModel):
    """Unit costs (money per unit, in ``currency``). ``nurse_hour_gbp`` maps a grade (as in the staff file's
    ``grade`` column, e.g. ``Band 5``) to the cost of one paid hour of a substantive nurse, with ``default``
    for grades not listed; bank and agency rates are per hour worked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field("GBP", min_length=1, description="currency of every rate")
    price_year: str = Field("", description="the year the rates are priced at, e.g. 2025/26")
    wte_hours_per_week: float = Field(NHS_WTE_HOURS_PER_WEEK, gt=0, le=168, description="paid hours a week of 1 WTE")
    bed_day_gbp: float = Field(ge=0, description="one occupied general and acute bed for one day")
    escalation_bed_day_gbp: float = Field(ge=0, description="one occupied escalation (surge) bed for one day")
    critical_care_bed_day_gbp: float | None = Field(None, ge=0, description="one occupied critical care bed-day")
    nurse_hour_gbp: dict[str, float] = Field(
        description="cost of one paid hour of a substantive registered nurse by grade, with `default`"
    )
    bank_nurse_hour_gbp: float = Field(ge=0, description="one hour of a bank (the trust's own pool) nurse")
    agency_nurse_hour_gbp: float = Field(ge=0, description="one hour of an agency nurse")

    @model_validator(mode="after")
    def _rates(self) -> CostRates:
        if "default" not in self.nurse_hour_gbp:
            raise ValueError("nurse_hour_gbp needs a `default:` rate for grades it does not list")
        bad = [g for g, v in self.nurse_hour_gbp.items() if not v >= 0]
        if bad:
            raise ValueError(f"nurse_hour_gbp: rates must be >= 0 (see {', '.join(bad)})")
        return self

    def nurse_hour(self, grade: str) -> float:
        """Cost of one paid hour of a nurse of ``grade`` (the ``default`` rate for an unlisted grade)."""
        return float(self.nurse_hour_gbp.get(str(grade).strip(), self.nurse_hour_gbp["default"]))
