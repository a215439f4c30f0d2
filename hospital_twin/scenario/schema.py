"""The scenario language: pydantic models for one hospital scenario.

A scenario says which units a hospital has (beds, what happens when they are full,
cleaning time, escalation beds, planned capacity changes), how patients arrive
(Poisson streams with hour-of-day, day-of-week and dated multipliers; elective
lists), where they go (routes between units), how long they stay (duration
distributions with the time unit in the key), when they may be discharged, how the
emergency department is staffed and how nurses are rostered against ratios.

Defaults live here. Field names carry their unit (``per_day``, ``mean_hours``,
``cancel_after_hours``). Cross-field rules (every name exists, probabilities sum to 1,
every unit reaches the exit) are in :func:`scenario_problems`, which returns every
problem with the path of the field it concerns, so that the loader can point at the
file and line.

This module does no file access and knows nothing about SimPy.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import numbers
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hospital_twin.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Weibull,
)
from hospital_twin.scenario.dates import date_problems

if TYPE_CHECKING:  # networkx is imported by route_graph, for the callers that walk the graph
    import networkx as nx

__all__ = [
    "EXIT",
    "AUTO_WARMUP",
    "Scenario",
    "WarmupUnresolved",
    "UnitSpec",
    "ArrivalSpec",
    "ElectiveSpec",
    "DistributionSpec",
    "DischargeSpec",
    "DischargeLoungeSpec",
    "DischargePathwaySpec",
    "PATHWAY_HOME",
    "PatientClassSpec",
    "ShiftSpec",
    "StaffingSpec",
    "UnitStaffingSpec",
    "RosterEntrySpec",
    "EDSpec",
    "EscalationSpec",
    "OutlyingSpec",
    "EscalationPolicySpec",
    "EscalationLevelSpec",
    "EscalationActionsSpec",
    "DischargePushSpec",
    "ESCALATION_ACTIONS",
    "CapacityChangeSpec",
    "MultiplierSpec",
    "Problem",
    "ScenarioInvalid",
    "scenario_problems",
    "scenario_warnings",
    "unreachable_units",
    "name_problem",
    "suggest_name",
    "NAME_RULE",
    "MAX_NAME_LENGTH",
    "MAX_STREAM_NAME_LENGTH",
    "DEFAULT_CLASS",
]

EXIT = "exit"
"""Route destination meaning: the patient leaves the hospital."""

DEFAULT_CLASS = "general"
"""Class of patients whose arrival stream names none."""

_TIME_UNITS = {"hours": 1.0, "days": 24.0, "minutes": 1.0 / 60.0}
_PROB_TOL = 1e-6


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Weights24 = Annotated[list[NonNegFloat], Field(min_length=24, max_length=24)]
Weights7 = Annotated[list[NonNegFloat], Field(min_length=7, max_length=7)]


# --------------------------------------------------------------------------- durations
class DistributionSpec(_Spec):
    """A duration distribution; give the time unit in the key (``mean_hours``, ``median_days``)."""

    distribution: Literal["exponential", "lognormal", "gamma", "weibull", "fixed", "empirical"]
    mean_hours: PositiveFloat | None = None
    mean_days: PositiveFloat | None = None
    mean_minutes: PositiveFloat | None = None
    median_hours: PositiveFloat | None = None
    median_days: PositiveFloat | None = None
    median_minutes: PositiveFloat | None = None
    p90_hours: PositiveFloat | None = None
    p90_days: PositiveFloat | None = None
    p90_minutes: PositiveFloat | None = None
    value_hours: NonNegFloat | None = None
    value_days: NonNegFloat | None = None
    value_minutes: NonNegFloat | None = None
    cv: PositiveFloat | None = Field(None, description="coefficient of variation, sd / mean")
    quantiles_hours: dict[float, NonNegFloat] | None = None
    quantiles_days: dict[float, NonNegFloat] | None = None
    quantiles_minutes: dict[float, NonNegFloat] | None = None
    samples_hours: list[NonNegFloat] | None = None
    samples_days: list[NonNegFloat] | None = None
    samples_minutes: list[NonNegFloat] | None = None

    def _in_hours(self, stem: str) -> Any:
        given = [(u, getattr(self, f"{stem}_{u}")) for u in _TIME_UNITS]
        given = [(u, v) for u, v in given if v is not None]
        if len(given) > 1:
            raise ValueError(
                f"give {stem} once, in one time unit (found {', '.join(stem + '_' + u for u, _ in given)})"
            )
        if not given:
            return None
        unit, value = given[0]
        factor = _TIME_UNITS[unit]
        if isinstance(value, dict):
            return {float(p): float(v) * factor for p, v in value.items()}
        if isinstance(value, list):
            return [float(v) * factor for v in value]
        return float(value) * factor

    @model_validator(mode="after")
    def _check_parameters(self) -> DistributionSpec:
        self.to_distribution()
        return self

    def to_distribution(self) -> Distribution:
        """The sampling object, parameters converted to hours."""
        kind = self.distribution
        mean = self._in_hours("mean")
        median = self._in_hours("median")
        p90 = self._in_hours("p90")
        value = self._in_hours("value")
        quantiles = self._in_hours("quantiles")
        samples = self._in_hours("samples")
        cv = self.cv

        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ValueError(f"{kind}: {msg}")

        if kind == "fixed":
            need(value is not None or mean is not None, "give value_hours (or mean_hours)")
            return Fixed(value if value is not None else mean)
        if kind == "empirical":
            need((quantiles is None) != (samples is None), "give either quantiles_hours or samples_hours")
            if samples is not None:
                need(len(samples) >= 1, "samples_hours is empty")
                return Empirical.from_samples(samples)
            probs = sorted(quantiles)
            need(len(probs) >= 2, "quantiles_hours needs at least two points, e.g. {0.0: 2, 1.0: 300}")
            need(probs[0] == 0.0 and probs[-1] == 1.0, "quantiles_hours must include 0.0 and 1.0")
            values = [quantiles[p] for p in probs]
            need(
                all(b >= a for a, b in zip(values, values[1:], strict=False)),
                "quantile values must not decrease as the probability grows",
            )
            return Empirical(probs, values)
        need(value is None, "value_* is only for the fixed distribution")
        if kind == "exponential":
            need(p90 is None, "exponential takes mean_hours (or median_hours) only")
            need(cv is None or abs(cv - 1) < 1e-9, "an exponential always has cv 1; drop cv, or use lognormal or gamma")
            need((mean is None) != (median is None), "give mean_hours or median_hours")
            return Exponential(mean if mean is not None else median / math.log(2))
        builders = {"lognormal": Lognormal, "gamma": Gamma, "weibull": Weibull}
        cls = builders[kind]
        if mean is not None:
            need(median is None and p90 is None, "give mean with cv, or median with p90, not both")
            need(cv is not None, "give cv with mean_hours")
            return cls.from_mean_cv(mean, cv)
        need(median is not None and p90 is not None, "give mean_hours and cv, or median_hours and p90_hours")
        need(cv is None, "cv goes with mean, not with median and p90")
        need(p90 > median, "p90 must be greater than the median")
        return cls.from_median_p90(median, p90)


# --------------------------------------------------------------------------- units
class EscalationSpec(_Spec):
    """Extra beds opened under pressure and closed when it eases (beds close as they free up)."""

    beds: int = Field(gt=0, description="escalation beds that can be opened")
    open_at: float = Field(0.95, gt=0, description="open when (occupied + waiting) / base beds reaches this share")
    close_below: float = Field(0.85, gt=0, description="close when the pressure falls below this share")

    @model_validator(mode="after")
    def _hysteresis(self) -> EscalationSpec:
        if self.close_below > self.open_at:
            raise ValueError("close_below must not exceed open_at")
        return self


class CapacityChangeSpec(_Spec):
    """From ``at`` on, the unit has ``beds`` base beds; a cut closes beds only as patients leave."""

    at: dt.datetime
    beds: int = Field(ge=0)


class EDSpec(_Spec):
    """Makes a unit an emergency department: patients in a cubicle (bed) wait for a clinician.

    The unit's ``length_of_stay`` is the time from the end of the clinician's assessment
    to the decision (tests, observation); then the patient leaves or, with a decision to
    admit, boards in the cubicle until a bed is found.
    """

    clinicians: int | dict[str, int] = Field(
        description="clinicians on duty: a number, or a number per shift named in `shifts`"
    )
    assessment: DistributionSpec = Field(description="clinician time per patient")

    @field_validator("clinicians")
    @classmethod
    def _non_negative(cls, v: int | dict[str, int]) -> int | dict[str, int]:
        values = v.values() if isinstance(v, dict) else [v]
        if any(x < 0 for x in values):
            raise ValueError("clinician numbers must be >= 0")
        return v


class DischargeSpec(_Spec):
    """When patients may leave the hospital (internal transfers happen at any hour).

    ``window_hours: [8, 20]`` holds a patient whose stay ends outside 08:00-20:00 in the
    bed until the window opens. ``hourly_profile`` instead gives relative weights of the
    hour at which discharges happen: a patient leaves at the first occurrence of its
    drawn hour after its stay ends. ``weekend_rate`` is the weekend discharge rate
    relative to weekdays (0 = nobody leaves at weekends). ``day_of_week`` generalises it to
    seven weights, Mon..Sun: on a day of weight w a patient leaves with probability
    w / (largest weight), the others wait for the next day that lets them go (the same
    patients are held on every day of lower weight); ``weekend_rate: r`` is
    ``day_of_week: [1, 1, 1, 1, 1, r, r]``. ``ready_cutoff_hour`` moves patients who become
    ready at or after that clock hour to the next day's window or profile.

    The scenario-wide ``discharge`` applies to inpatient units; an emergency department
    follows only a ``discharge`` given on the unit itself.
    """

    window_hours: tuple[float, float] | None = Field(None, description="[open, close) clock hours, e.g. [8, 20]")
    hourly_profile: Weights24 | None = None
    weekend_rate: float = Field(1.0, ge=0, le=1)
    day_of_week: Weights7 | None = Field(
        None,
        description="Mon..Sun relative weights of letting a patient go that day (instead of weekend_rate): on a "
        "day of weight w a patient ready to leave goes with probability w / (largest weight), the others wait "
        "for the next day that lets them go; [1, 1, 1, 1, 1, 0.6, 0.6] is weekend_rate 0.6",
    )
    ready_cutoff_hour: float | None = Field(
        None,
        description="clock hour (0-24]: a patient who becomes ready at or after it goes out in the next day's "
        "window or profile (at midnight with neither); none: the same day's when still ahead",
    )

    @field_validator("ready_cutoff_hour")
    @classmethod
    def _cutoff(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v <= 24:
            raise ValueError(
                f"ready_cutoff_hour must be a clock hour more than 0 and at most 24 (got {v:g}); e.g. 12 sends "
                "patients ready from noon on out the next day"
            )
        return v

    @model_validator(mode="after")
    def _window(self) -> DischargeSpec:
        if self.window_hours is not None:
            a, b = self.window_hours
            if not (0 <= a < b <= 24):
                raise ValueError("window_hours must be [open, close] with 0 <= open < close <= 24")
        if self.hourly_profile is not None:
            if sum(self.hourly_profile) <= 0:
                raise ValueError("hourly_profile needs at least one positive weight")
            if self.window_hours is not None:
                a, b = self.window_hours
                inside = [w for h, w in enumerate(self.hourly_profile) if a <= h < b]
                if sum(inside) <= 0:
                    raise ValueError("hourly_profile has no weight inside window_hours")
        if self.day_of_week is not None:
            if "weekend_rate" in self.model_fields_set and self.weekend_rate != 1.0:  # 1.0: a dumped default
                raise ValueError(
                    "give weekend_rate or day_of_week, not both (weekend_rate r is day_of_week [1, 1, 1, 1, 1, r, r]); "
                    "delete one of them"
                )
            if max(self.day_of_week) <= 0:
                raise ValueError("day_of_week needs at least one positive weight (a day on which patients may leave)")
        return self

    def day_pass(self) -> tuple[float, ...]:
        """Per weekday Mon..Sun, the probability that a patient ready to leave that day may go (max 1)."""
        if self.day_of_week is None:
            return (1.0,) * 5 + (float(self.weekend_rate),) * 2
        top = max(self.day_of_week)
        return tuple(float(w) / top for w in self.day_of_week)

    @property
    def holds(self) -> bool:
        """True when the rule can keep a patient who is ready to go home in its bed."""
        return (
            self.window_hours is not None
            or self.hourly_profile is not None
            or self.ready_cutoff_hour is not None
            or min(self.day_pass()) < 1.0
        )


class DischargeLoungeSpec(_Spec):
    """A discharge lounge: patients going home from the units it serves wait there for their departure.

    A patient held by its unit's discharge rule moves to the lounge ``time_there`` before its
    departure hour (not before it is ready, nor before the lounge opens on the day of its
    departure), when the lounge has a free place: its bed frees then, and it leaves the hospital
    at the hour the rule gave it. Patients who leave outside the opening hours, or find the
    lounge full, wait in their bed as without a lounge. The lounge's places are chairs, not beds:
    they count in none of the bed measures.
    """

    places: int = Field(gt=0, description="places (chairs or trolleys) in the lounge")
    time_there: DistributionSpec = Field(
        description="time a patient spends in the lounge before its departure (at most its discharge hold)"
    )
    units: list[str] | None = Field(
        None, description="units whose patients going home use the lounge; none: every inpatient unit"
    )
    hours: tuple[float, float] | None = Field(
        None, description="[open, close) clock hours, e.g. [8, 20]; patients leaving outside them stay in their bed"
    )

    @model_validator(mode="after")
    def _hours(self) -> DischargeLoungeSpec:
        if self.hours is not None:
            a, b = self.hours
            if not (0 <= a < b <= 24):
                raise ValueError("hours must be [open, close] with 0 <= open < close <= 24")
        return self


class DischargePathwaySpec(_Spec):
    """A discharge pathway: a service downstream of the hospital that a patient ready to leave waits for.

    When a patient's stay ends and its route leads out of the hospital, it takes a pathway by
    the shares of ``pathway_shares`` (P0, home without support, by the discharge rules, is the
    rest). On a pathway it is medically ready but no longer meets the criteria to reside
    (NCTR): it keeps its hospital bed through the optional ``assessment`` (in the hospital bed,
    unless ``assessment_in: community``) and then the pathway's queue, and leaves when the
    service starts it. The service is one of:

    * daily starts (``starts_per_day``, or ``starts_by_weekday`` Mon..Sun): that many patients
      start each day at ``start_hour`` (home with support, P1; a care-home place, P3); a
      fractional number is carried over (2.5 a day gives 2, 3, 2, 3, ...), unused starts are lost;
    * a pool of ``places`` with its own ``stay`` (a rehabilitation or community bed, P2): a
      patient starts as soon as a place is free; the places are not hospital beds;
    * neither: no queue (the patient leaves when its assessment ends), e.g. ``other`` for
      transfers to another hospital or deaths.
    """

    label: str = Field("", description="what the pathway is, for reports, e.g. 'home with support'")
    starts_per_day: NonNegFloat | None = Field(None, description="patients the service starts each day")
    starts_by_weekday: Weights7 | None = Field(None, description="starts per weekday, Mon..Sun")
    start_hour: float = Field(11.0, ge=0, lt=24, description="clock hour at which the day's starts happen")
    places: int | None = Field(None, ge=0, description="places of a pool (community or rehabilitation beds)")
    stay: DistributionSpec | None = Field(None, description="time a patient holds a place of the pool")
    assessment: DistributionSpec | None = Field(
        None, description="assessment from being ready until the patient can join the pathway's queue"
    )
    assessment_in: Literal["hospital", "community"] = Field(
        "hospital",
        description="where the assessment happens: in the hospital bed (before the queue), or after the patient "
        "has left it (discharge to assess: no time in the bed; in a pool it holds the place)",
    )
    order: Literal["fifo", "priority"] = Field(
        "fifo", description="queue order: first ready first started, or by class priority, then first ready"
    )

    @model_validator(mode="after")
    def _kind(self) -> DischargePathwaySpec:
        given = [k for k in ("starts_per_day", "starts_by_weekday", "places") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"it gives {' and '.join(given)}: give one capacity, daily starts (starts_per_day or "
                "starts_by_weekday) or a pool of places (places with their stay), and remove the other"
            )
        if self.places is not None and self.stay is None:
            raise ValueError(
                "a pool of places needs `stay`, the time a patient holds a place: add e.g. "
                "stay: {distribution: lognormal, median_days: 14, p90_days: 35}"
            )
        if self.places is None and self.stay is not None:
            raise ValueError("`stay` is for a pool of places; add `places` or remove `stay`")
        return self

    @property
    def kind(self) -> str:
        """``daily`` (starts a day), ``pool`` (places) or ``unlimited`` (no queue)."""
        if self.places is not None:
            return "pool"
        if self.starts_per_day is not None or self.starts_by_weekday is not None:
            return "daily"
        return "unlimited"

    def starts_week(self) -> list[float]:
        """Starts per weekday Mon..Sun of a daily pathway."""
        if self.starts_by_weekday is not None:
            return list(self.starts_by_weekday)
        return [float(self.starts_per_day or 0.0)] * 7


class OutlyingSpec(_Spec):
    """Where a unit's patients may be placed (as outliers) when the unit has no bed for them.

    A request that finds its home unit full tries ``hosts`` in order: at once
    (``after_hours: 0``) or once it has waited ``after_hours`` in the home unit's queue;
    a host takes an outlier only into a free bed that none of its own patients is waiting
    for, and only while it hosts fewer than its own ``max_outliers``. The outlier holds a
    host bed (host occupancy) but follows its home unit's stay, route and discharge rules;
    its remaining stay in the host is ``stay_factor`` times the home stay (from the
    patient's own uniform). ``repatriate`` moves an outlier still in treatment back to a
    freed home bed, oldest placement first, with the rest of its home stay.
    """

    hosts: list[str] = Field(min_length=1, description="host units in the order they are tried")
    after_hours: NonNegFloat = Field(
        0.0, description="hours a patient waits for a home bed before it may be placed in a host (0: at once)"
    )
    classes: list[str] | None = Field(None, description="patient classes that may outlie (none given: every class)")
    stay_factor: PositiveFloat = Field(
        1.0, description="an outlier's stay in a host is this many times its home stay (evidence: > 1)"
    )
    repatriate: Literal["never", "before_waiting", "after_waiting"] = Field(
        "after_waiting",
        description="when a home bed frees, an outlier still in treatment moves back to it: before_waiting: before "
        "the patients waiting for a home bed (they wait longer); after_waiting: only when no one waits for it (new "
        "arrivals first); never: outliers stay in the host",
    )


class UnitSpec(_Spec):
    """A ward, ICU, assessment unit or emergency department."""

    beds: int = Field(ge=0, description="staffed base beds (cubicles for an ED)")
    when_full: Literal["queue", "reject"] = Field(
        "queue",
        description="what happens to a request from outside the hospital (an external arrival or an "
        "elective) that finds the unit full: queue: it waits, first come first served; reject: it is turned "
        "away (diverted). Transfers from other units follow transfers_when_full",
    )
    transfers_when_full: Literal["block", "reject"] = Field(
        "block",
        description="what happens to a patient of another unit (an ED patient with a decision to admit "
        "included) whose next unit is full: block: it keeps its current bed until a bed frees, first come first "
        "served with the unit's other waiting requests (blocked bed hours); reject: it leaves the hospital "
        "from its current unit (transferred_out)",
    )
    kind: Literal["ward", "icu", "hdu", "assessment", "ed", "other"] = "ward"
    turnaround_hours: NonNegFloat = Field(0.0, description="cleaning time after a patient leaves a bed")
    turnaround: DistributionSpec | None = Field(None, description="cleaning time as a distribution")
    escalation: EscalationSpec | None = None
    capacity_changes: list[CapacityChangeSpec] = Field(default_factory=list)
    discharge: DischargeSpec | None = Field(None, description="overrides the scenario's discharge policy")
    ed: EDSpec | None = None
    outlying: OutlyingSpec | None = Field(
        None, description="other units where this unit's patients may be placed when it is full (outliers)"
    )
    max_outliers: int | None = Field(
        None,
        ge=0,
        description="most outliers of other units this unit hosts at once (none: no limit but its beds; 0: it never "
        "takes outliers, e.g. an ICU)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> UnitSpec:
        if self.turnaround is not None and self.turnaround_hours:
            raise ValueError("give turnaround_hours or turnaround, not both")
        return self

    def turnaround_distribution(self) -> Distribution | None:
        if self.turnaround is not None:
            return self.turnaround.to_distribution()
        if self.turnaround_hours > 0:
            return Fixed(self.turnaround_hours)
        return None


# --------------------------------------------------------------------------- arrivals
class MultiplierSpec(_Spec):
    """Arrival rate multiplied by ``factor`` from ``from`` (inclusive) to ``to`` (exclusive)."""

    from_: dt.datetime = Field(alias="from")
    to: dt.datetime
    factor: NonNegFloat
    label: str = ""

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _date_to_datetime(cls, v: Any) -> Any:
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return dt.datetime.combine(v, dt.time())
        return v

    @model_validator(mode="after")
    def _ordered(self) -> MultiplierSpec:
        if self.to <= self.from_:
            raise ValueError(f"`to` ({self.to:%Y-%m-%d}) must be after `from` ({self.from_:%Y-%m-%d}); swap them?")
        return self


class ArrivalSpec(_Spec):
    """A Poisson stream of unplanned arrivals to one unit."""

    name: str = Field(
        description="the stream's name: a letter, then letters, digits, _ or - (no spaces), at most 64 characters"
    )
    unit: str
    per_day: NonNegFloat = Field(description="mean arrivals per day")
    patient_class: str | None = None
    class_mix: dict[str, NonNegFloat] | None = Field(
        None, description="share of each patient class in this stream (instead of patient_class)"
    )
    source: str | None = Field(None, description="arrival_source in the event log, e.g. ed, ambulance")
    hour_of_day: Weights24 | None = Field(None, description="relative weights, scaled to mean 1")
    day_of_week: Weights7 | None = Field(None, description="Mon..Sun relative weights, scaled to mean 1")
    multipliers: list[MultiplierSpec] = Field(default_factory=list)
    patience: DistributionSpec | None = Field(
        None,
        description="emergency department streams only: how long a patient of this stream waits for a "
        "clinician (from arrival) before leaving without being seen; absent: nobody leaves",
    )
    ambulance_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="emergency department streams only: share of the stream's arrivals conveyed by ambulance "
        "(0.33 = a third), whose wait from arrival to a treatment space is their ambulance handover; 0: none "
        "(the default). Drawn from its own random stream: every other figure of a run stays the same",
    )

    @model_validator(mode="after")
    def _checks(self) -> ArrivalSpec:
        if self.patient_class is not None and self.class_mix is not None:
            raise ValueError("give patient_class or class_mix, not both")
        if self.class_mix is not None and abs(sum(self.class_mix.values()) - 1) > _PROB_TOL:
            raise ValueError(
                f"class_mix shares sum to {sum(self.class_mix.values()):.6g}, not 1; make them add up to 1"
            )
        for key in ("hour_of_day", "day_of_week"):
            w = getattr(self, key)
            if w is not None and sum(w) <= 0:
                raise ValueError(f"{key} needs at least one positive weight")
        return self

    def classes(self) -> dict[str, float]:
        if self.class_mix is not None:
            return dict(self.class_mix)
        return {self.patient_class or DEFAULT_CLASS: 1.0}


class ElectiveSpec(_Spec):
    """A planned admission list: a number of patients per weekday arriving at a clock hour.

    A patient who finds no bed within ``cancel_after_hours`` is cancelled (and counted).
    """

    name: str = Field(
        description="the list's name: a letter, then letters, digits, _ or - (no spaces), at most 64 characters"
    )
    unit: str
    per_weekday: Weights7 = Field(description="admissions booked per weekday, Mon..Sun")
    hour: float = Field(7.0, ge=0, lt=24, description="clock hour at which they arrive")
    cancel_after_hours: PositiveFloat = 4.0
    patient_class: str = "elective"
    source: str = "elective"
    rebook_after_days: int | None = Field(
        None,
        ge=1,
        description="a cancelled patient is booked again this many days after the day of the cancellation, "
        "at the list's clock hour (give with max_rebookings); absent: cancelled for good",
    )
    max_rebookings: int = Field(
        0, ge=0, description="how many times one patient may be rebooked; cancelled once more, it is cancelled for good"
    )

    @model_validator(mode="after")
    def _rebooking(self) -> ElectiveSpec:
        if self.rebook_after_days is not None and self.max_rebookings == 0:
            raise ValueError("rebook_after_days needs max_rebookings >= 1 (how many times one patient is rebooked)")
        if self.max_rebookings and self.rebook_after_days is None:
            raise ValueError("max_rebookings needs rebook_after_days (days from the cancellation to the new date)")
        return self


# --------------------------------------------------------------------------- classes and staff
class PriorityAfterSpec(_Spec):
    """A bed request of the class that has waited ``hours`` takes the better ``priority`` (lower goes first)."""

    hours: PositiveFloat = Field(description="wait for a bed (from the request) after which the priority changes")
    priority: int = Field(description="the priority from then on; lower than the class's own")


class PatientClassSpec(_Spec):
    """Routes and stays of one patient class; units it does not mention use the shorthands."""

    routes: dict[str, dict[str, NonNegFloat]] = Field(default_factory=dict)
    length_of_stay: dict[str, DistributionSpec] = Field(default_factory=dict)
    priority: int = Field(0, description="lower goes first in a bed queue; ties first come first served")
    priority_after: PriorityAfterSpec | None = Field(
        None,
        description="priority that rises with the wait: e.g. {hours: 12, priority: 0} puts a request that has "
        "waited 12 h among the priority-0 requests, in order of its request time",
    )
    pathway_shares: dict[str, dict[str, NonNegFloat]] = Field(
        default_factory=dict,
        description="the class's own discharge pathway shares by unit (see the scenario's pathway_shares)",
    )
    acuity: PositiveFloat = Field(
        1.0,
        description="nursing workload of one patient of this class relative to a standard patient (1); "
        "staffing levels (hospital_twin.staffing.levels) apply the nurse-to-patient ratio to acuity-weighted "
        "patients; the simulator's ratio_breach_hours count heads",
    )

    @model_validator(mode="after")
    def _aging(self) -> PatientClassSpec:
        if self.priority_after is not None and self.priority_after.priority >= self.priority:
            raise ValueError(
                f"priority_after.priority ({self.priority_after.priority}) must be lower (better) than the class's "
                f"priority ({self.priority}); raise `priority` or lower priority_after.priority"
            )
        return self


_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


class ShiftSpec(_Spec):
    """A named shift by clock time, e.g. ``{start: "07:30", end: "20:00"}``; may cross midnight."""

    start: str
    end: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, v: Any) -> str:
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 24 * 60 * 60:
            # YAML 1.1 reads 07:30 unquoted as a sexagesimal number of minutes
            return f"{v // 60:02d}:{v % 60:02d}"
        if not isinstance(v, str) or not _CLOCK.match(v):
            raise ValueError(f'a clock time "HH:MM" from 00:00 to 24:00 is expected (got {v!r})')
        return v

    @staticmethod
    def _hours(clock: str) -> float:
        h, m = clock.split(":")
        return int(h) + int(m) / 60

    @property
    def start_h(self) -> float:
        return self._hours(self.start) % 24

    @property
    def end_h(self) -> float:
        return self._hours(self.end) % 24


class UnitStaffingSpec(_Spec):
    patients_per_nurse: PositiveFloat
    nurses: dict[str, Annotated[int, Field(ge=0)]] = Field(
        description="nurses on duty per shift name: the weekly pattern, the same every day unless `staffing.roster` "
        "gives a number for a dated shift"
    )


class RosterEntrySpec(_Spec):
    """Nurses rostered on one unit for one dated shift, e.g. ``{date: 2025-02-03, shift: night, unit: MED, nurses: 16}``."""

    date: dt.date = Field(
        description="the calendar date on which the shift starts (a night shift from 20:00 Monday to 07:30 "
        "Tuesday is Monday's)"
    )
    shift: str = Field(description="a shift name from `shifts`")
    unit: str = Field(description="a unit with a ratio under `staffing.units`")
    nurses: int = Field(ge=0, description="nurses on duty for the whole shift (replaces the weekly pattern's number)")


class StaffingSpec(_Spec):
    """Nurses per unit per shift against a nurse-to-patient ratio.

    ``cap_admissions``: a unit admits no more patients than its nurses can take (beds
    above that stay closed; a shift change never sends a patient away).
    ``count_breaches``: admissions are not limited; the hours in which patients exceed
    nurses x ratio are counted.
    """

    policy: Literal["cap_admissions", "count_breaches"] = "count_breaches"
    units: dict[str, UnitStaffingSpec]
    roster: list[RosterEntrySpec] = Field(
        default_factory=list,
        description="nurses per unit per dated shift (e.g. a published roster fed back by `hospital-twin staff`); "
        "each entry overrides `units.<unit>.nurses` for that one shift; dates without an entry follow the weekly "
        "pattern",
    )


# --------------------------------------------------------------------------- escalation levels
class DischargePushSpec(_Spec):
    """A discharge push while a level holds: the discharge rule of the named units, relaxed.

    Applies to patients whose stay ends while the level (or a higher one) holds; those already
    waiting for the discharge window keep the time they were given.
    """

    units: list[str] | None = Field(
        None, description="units whose discharge rule is relaxed (none given: every unit of the group)"
    )
    window_hours: tuple[float, float] | None = Field(
        None, description="discharge window [open, close) clock hours while pushed, e.g. [7, 23] (none: unchanged)"
    )
    weekend_rate: float | None = Field(
        None,
        ge=0,
        le=1,
        description="weekend discharge rate relative to weekdays while pushed: the rule's Saturday and Sunday pass "
        "is raised to at least this, never lowered (none: unchanged)",
    )

    @model_validator(mode="after")
    def _something(self) -> DischargePushSpec:
        if self.window_hours is None and self.weekend_rate is None:
            raise ValueError("a discharge push needs window_hours, weekend_rate or both")
        if self.window_hours is not None:
            a, b = self.window_hours
            if not (0 <= a < b <= 24):
                raise ValueError("window_hours must be [open, close] with 0 <= open < close <= 24")
        return self


class EscalationActionsSpec(_Spec):
    """What a hospital does from an escalation level on (while the level or a higher one holds)."""

    open_beds: dict[str, Annotated[int, Field(gt=0)]] = Field(
        default_factory=dict,
        description="escalation beds opened per inpatient unit, e.g. {MED: 6}; they close as they free up when the "
        "level ends (beds of several levels add up)",
    )
    ed_spaces: dict[str, Annotated[int, Field(gt=0)]] = Field(
        default_factory=dict,
        description="extra treatment spaces per emergency department (corridor care), e.g. {ED: 10}",
    )
    allow_outlying: list[str] = Field(
        default_factory=list,
        description="units (each with an `outlying` block) whose patients may outlie only from this level on",
    )
    postpone_electives: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of elective patients arriving at the group's units who are postponed (cancelled before "
        "they ask for a bed, counted in cancelled and elective_postponed, rebooked when the list has rebook_after_days); "
        "the largest share of the levels reached applies",
    )
    discharge_push: DischargePushSpec | None = Field(
        None,
        description="a relaxed discharge rule (longer window, more weekend discharges); the highest level's applies",
    )
    pathway_capacity: dict[str, Annotated[float, Field(ge=1)]] = Field(
        default_factory=dict,
        description="discharge capacity bought while the level holds, per discharge pathway: a factor >= 1 on a daily "
        "pathway's starts (the day's starts at its start hour) or on a pool's places (rounded down; extra places close "
        "as they free up), e.g. {P1: 1.2, P3: 1.5} (spot-purchased care packages and care-home beds); the largest "
        "factor of the levels reached (and of the groups) applies",
    )

    def names(self) -> list[str]:
        """The actions this level takes, in a fixed order (the metric suffixes)."""
        out = []
        for key in ESCALATION_ACTIONS:
            value = getattr(self, key)
            if key == "pathway_capacity":
                value = any(f > 1 for f in value.values())  # a factor of 1 buys nothing
            if value:
                out.append(key)
        return out


ESCALATION_ACTIONS = (
    "open_beds",
    "ed_spaces",
    "allow_outlying",
    "postpone_electives",
    "discharge_push",
    "pathway_capacity",
)
"""The actions of an escalation level (``escalation_actions_<action>`` counts how often each was taken)."""


class EscalationLevelSpec(_Spec):
    """One escalation level above the steady state (OPEL 1): its triggers, release and actions.

    The group enters the level when the pressure reaches ``enter_at`` (or the ED boarders reach
    ``boarders_at``); it leaves it, one level down, when the pressure is below ``leave_below``
    (and the boarders below ``boarders_below``).
    """

    level: int = Field(ge=2, le=4, description="2, 3 or 4 (OPEL); level 1 is the steady state")
    enter_at: float = Field(
        gt=0, description="enter when (occupied + waiting) / base beds of the group reaches this share"
    )
    leave_below: float = Field(gt=0, description="step down when the pressure falls below this share")
    boarders_at: int | None = Field(
        None,
        ge=1,
        description="second trigger: enter when this many ED patients with a decision to admit wait for a bed in "
        "the group (none: pressure only)",
    )
    boarders_below: int | None = Field(
        None, ge=0, description="step down only when the ED boarders are below this (default: boarders_at)"
    )
    actions: EscalationActionsSpec = Field(default_factory=EscalationActionsSpec)

    @model_validator(mode="after")
    def _hysteresis(self) -> EscalationLevelSpec:
        if self.leave_below > self.enter_at:
            raise ValueError(
                "leave_below must not exceed enter_at: a level ends below the pressure that starts it "
                "(e.g. enter_at 0.95, leave_below 0.90)"
            )
        if self.boarders_below is not None and self.boarders_at is None:
            raise ValueError("boarders_below needs boarders_at")
        if self.boarders_at is not None and self.boarders_below is not None and self.boarders_below > self.boarders_at:
            raise ValueError("boarders_below must not exceed boarders_at")
        return self

    @property
    def boarders_release(self) -> int | None:
        """Boarders below which the level may end (``boarders_below``, else ``boarders_at``)."""
        return self.boarders_below if self.boarders_below is not None else self.boarders_at


class EscalationPolicySpec(_Spec):
    """Escalation levels (OPEL 1-4) of a group of units, with triggers and actions.

    The pressure is (occupied + waiting for a bed) / base beds summed over ``units``; it is
    looked at whenever the occupancy or the bed queue of one of them changes. The group
    starts at level 1 and moves up at once to the highest level whose trigger holds (after
    ``hold_hours_up`` at the current level), and down one level at a time when the current
    level's release holds and it has lasted ``hold_hours``. See scenarios/README.md (escalation levels).
    """

    units: list[str] | None = Field(
        None, description="the units whose pressure is measured (none given: every inpatient unit)"
    )
    levels: list[EscalationLevelSpec] = Field(min_length=1, max_length=3, description="levels 2-4, in order")
    hold_hours: NonNegFloat = Field(
        0.0, description="least hours at a level before stepping down from it (each step down waits again)"
    )
    hold_hours_up: NonNegFloat = Field(0.0, description="least hours at a level before stepping up from it")

    @model_validator(mode="after")
    def _ordered(self) -> EscalationPolicySpec:
        numbers_ = [lv.level for lv in self.levels]
        if numbers_ != sorted(set(numbers_)):
            raise ValueError(f"levels must be listed once each, in rising order (got {numbers_})")
        for a, b in zip(self.levels, self.levels[1:], strict=False):
            if b.enter_at < a.enter_at or b.leave_below < a.leave_below:
                raise ValueError(f"level {b.level} must not enter or leave at a lower pressure than level {a.level}")
        return self


# --------------------------------------------------------------------------- scenario
AUTO_WARMUP = "auto"
"""``warmup_days: auto``: the warm-up is chosen by MSER-5 on pilot runs before the real run."""


class WarmupUnresolved(ValueError):
    """A time that depends on the warm-up was asked of a scenario whose warm-up is still 'auto'."""


class Scenario(_Spec):
    """One hospital scenario. Times are hours from ``start`` inside the simulator."""

    name: str
    description: str = ""
    extends: str | None = Field(None, description="path of a base scenario this file overrides")
    start: dt.datetime = Field(description="simulation clock origin")
    horizon_days: PositiveFloat = Field(description="simulated time after the warm-up")
    warmup_days: NonNegFloat | Literal["auto"] = Field(
        0.0,
        description="days discarded from every KPI, or 'auto' to choose them by MSER-5 on pilot runs "
        "(hospital_twin.experiment.runner.choose_warmup) before the run",
    )
    replications: int = Field(10, ge=1)
    seed: int = Field(0, ge=0)
    units: dict[str, UnitSpec] = Field(
        min_length=1,
        description="the units by name; a name is a letter, then letters, digits, _ or - (no spaces), at most 40 "
        "characters, and not ALL or exit (e.g. MED, ICU, Ward_3)",
    )
    arrivals: list[ArrivalSpec] = Field(default_factory=list)
    electives: list[ElectiveSpec] = Field(default_factory=list)
    routes: dict[str, dict[str, NonNegFloat]] = Field(
        default_factory=dict, description="where a patient goes when its stay in a unit ends"
    )
    length_of_stay: dict[str, DistributionSpec] = Field(default_factory=dict)
    patient_classes: dict[str, PatientClassSpec] = Field(
        default_factory=dict,
        description="routes and stays per patient class; a class name is a letter, then letters, digits, _ or - "
        "(no spaces), at most 40 characters",
    )
    discharge: DischargeSpec | None = None
    discharge_lounges: dict[str, DischargeLoungeSpec] = Field(
        default_factory=dict,
        description="discharge lounges by name (a plain name, not a unit's): places where patients going home "
        "wait for their departure out of their bed",
    )
    discharge_pathways: dict[str, DischargePathwaySpec] = Field(
        default_factory=dict,
        description="discharge pathways by name (e.g. P1, P2, P3; a plain name, not a unit's or P0): services "
        "downstream of the hospital that patients ready to leave wait for in their bed (NCTR)",
    )
    pathway_shares: dict[str, dict[str, NonNegFloat]] = Field(
        default_factory=dict,
        description="per inpatient unit, the share of patients leaving the hospital from it who take each pathway, "
        "e.g. {MED: {P1: 0.12, P2: 0.06, P3: 0.04}}; the rest go home by the discharge rules (P0)",
    )
    shifts: dict[str, ShiftSpec] = Field(default_factory=dict)
    staffing: StaffingSpec | None = None
    escalation_levels: dict[str, EscalationPolicySpec] = Field(
        default_factory=dict,
        description="escalation levels (OPEL 1-4) with triggers and actions, per named group of units; the name is "
        "the unit of the group's metrics (hours_at_level_1..4): ALL for the whole hospital, or a plain name that is "
        "not a unit's",
    )

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("defer_semantics"):
            return self
        problems = scenario_problems(self)
        if problems:
            raise ValueError("; ".join(f"{p.where}: {p.message}" for p in problems))
        return self

    @field_validator("warmup_days", mode="before")
    @classmethod
    def _warmup_number_or_auto(cls, v: Any) -> Any:
        message = f"must be a number of days >= 0 or 'auto' (got {v!r})"
        if isinstance(v, str):
            if v.strip().lower() == AUTO_WARMUP:
                return AUTO_WARMUP
            try:
                v = float(v)
            except ValueError:
                raise ValueError(message) from None
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v >= 0):
            raise ValueError(message)
        return v

    # ---- derived views used by the simulator and reports
    @property
    def warmup_is_auto(self) -> bool:
        """True while ``warmup_days`` is still ``'auto'`` (resolve it with :meth:`with_warmup`)."""
        return self.warmup_days == AUTO_WARMUP

    def _warmup_days_number(self, what: str) -> float:
        if self.warmup_days == AUTO_WARMUP:
            raise WarmupUnresolved(
                f"scenario '{self.name}': warmup_days is 'auto', so {what} is not known yet; choose the "
                "warm-up first, e.g. scenario.with_warmup(hospital_twin.experiment.runner.choose_warmup(scenario)"
                ".warmup_days)"
            )
        return float(self.warmup_days)

    @property
    def warmup_h(self) -> float:
        return self._warmup_days_number("warmup_h") * 24.0

    @property
    def end_h(self) -> float:
        return (self._warmup_days_number("end_h") + self.horizon_days) * 24.0

    def with_warmup(self, days: float) -> Scenario:
        """A copy of the scenario with ``warmup_days`` set to ``days`` (a number >= 0, not 'auto')."""
        if isinstance(days, bool) or not isinstance(days, numbers.Real) or not (math.isfinite(days) and days >= 0):
            raise ValueError(f"a warm-up is a number of days >= 0 (got {days!r})")
        return self.model_copy(update={"warmup_days": float(days)})

    def class_names(self) -> list[str]:
        names: list[str] = list(self.patient_classes)
        for a in self.arrivals:
            names += [c for c in a.classes() if c not in names]
        for e in self.electives:
            if e.patient_class not in names:
                names.append(e.patient_class)
        return names

    def arrival_source(self, arrival: ArrivalSpec) -> str:
        """The ``arrival_source`` an arrival stream's patients carry in the event log: its ``source``,
        else ``ed`` for a stream into an emergency department, else the stream's name."""
        return arrival.source or ("ed" if self.units[arrival.unit].ed is not None else arrival.name)

    def routes_for(self, patient_class: str) -> dict[str, dict[str, float]]:
        """Routes of a class: the class's own, then the shorthand for units it leaves out."""
        merged = {u: dict(r) for u, r in self.routes.items()}
        pc = self.patient_classes.get(patient_class)
        if pc is not None:
            merged.update({u: dict(r) for u, r in pc.routes.items()})
        return merged

    def stay_for(self, patient_class: str, unit: str) -> DistributionSpec | None:
        pc = self.patient_classes.get(patient_class)
        if pc is not None and unit in pc.length_of_stay:
            return pc.length_of_stay[unit]
        return self.length_of_stay.get(unit)

    def pathway_shares_for(self, patient_class: str) -> dict[str, dict[str, float]]:
        """Pathway shares of a class by unit: the class's own, then the scenario's for units it leaves out."""
        merged = {u: dict(r) for u, r in self.pathway_shares.items()}
        pc = self.patient_classes.get(patient_class)
        if pc is not None:
            merged.update({u: dict(r) for u, r in pc.pathway_shares.items()})
        return merged

    def entry_units(self, patient_class: str) -> set[str]:
        units = {e.unit for e in self.electives if e.patient_class == patient_class}
        units |= {a.unit for a in self.arrivals if patient_class in a.classes()}
        return units

    def route_graph(self, patient_class: str) -> nx.DiGraph:
        """Units (and ``exit``) as nodes, route probabilities as edge weight ``p``."""
        import networkx as nx  # only for the callers that draw or walk the graph: not at start-up

        g = nx.DiGraph()
        g.add_nodes_from(self.units)
        g.add_node(EXIT)
        routes = self.routes_for(patient_class)
        for u in self.units:
            dests = routes.get(u)
            if not dests:
                g.add_edge(u, EXIT, p=1.0)
                continue
            for v, p in dests.items():
                if p > 0:
                    g.add_edge(u, v, p=p)
        return g


# --------------------------------------------------------------------------- cross-field checks
class Problem(BaseModel):
    """One thing wrong with a scenario, located by the path of its field."""

    path: tuple[str | int, ...]
    message: str

    @property
    def where(self) -> str:
        return _dotted(self.path)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


class ScenarioInvalid(ValueError):
    """A scenario with problems; ``problems`` holds every one of them, located."""

    def __init__(self, problems: list[Any], source: str | None = None):
        self.problems = problems
        self.source = source
        super().__init__("\n".join(str(p) for p in problems))


def _did_you_mean(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"known: {', '.join(sorted(known)) or 'none'}{hint}"


def _check_route_table(routes: dict[str, dict[str, float]], units: list[str], base: tuple[str, ...]) -> list[Problem]:
    out: list[Problem] = []
    for src, dests in routes.items():
        if src not in units:
            out.append(Problem(path=base + (src,), message=f"unknown unit '{src}' ({_did_you_mean(src, units)})"))
        for dst in dests:
            if dst != EXIT and dst not in units:
                out.append(
                    Problem(
                        path=base + (src, dst),
                        message=f"unknown destination '{dst}' (use '{EXIT}' to leave the hospital; "
                        f"{_did_you_mean(dst, units)})",
                    )
                )
        total = sum(dests.values())
        if dests and abs(total - 1.0) > _PROB_TOL:
            out.append(
                Problem(
                    path=base + (src,),
                    message=f"route probabilities sum to {total:.6g}, not 1; make them add up to 1 (the share that "
                    f"leaves the hospital goes on {EXIT})",
                )
            )
    return out


def _shift_coverage_problems(shifts: dict[str, ShiftSpec]) -> list[Problem]:
    """Shifts must tile the day: every minute covered by exactly one shift."""
    cover = [0] * (24 * 60)
    for s in shifts.values():
        a = round(s.start_h * 60)
        b = round(s.end_h * 60)
        length = (b - a) % (24 * 60) or 24 * 60
        for k in range(length):
            cover[(a + k) % (24 * 60)] += 1
    gaps = [m for m, c in enumerate(cover) if c == 0]
    overlaps = [m for m, c in enumerate(cover) if c > 1]
    out = []
    if gaps:
        out.append(
            Problem(
                path=("shifts",),
                message=f"shifts leave the day uncovered from {gaps[0] // 60:02d}:{gaps[0] % 60:02d}; the shifts must "
                "cover the 24 hours exactly once (a night shift may cross midnight)",
            )
        )
    if overlaps:
        m = overlaps[0]
        out.append(
            Problem(
                path=("shifts",),
                message=f"shifts overlap at {m // 60:02d}:{m % 60:02d}; end one shift where the next starts",
            )
        )
    return out


def scenario_problems(s: Scenario) -> list[Problem]:
    """Every cross-field problem of a parsed scenario (empty when it is sound), in the order of the file."""
    out = _stream_problems(s) + _unit_name_problems(s) + _class_and_stream_name_problems(s)
    out += _outlying_problems(s) + _lounge_problems(s) + _pathway_problems(s)
    out += _escalation_problems(s)
    if any(p.message.startswith("unknown") for p in out):
        return out  # the graph checks would only repeat these
    return out + _reach_problems(s) + _shift_problems(s) + _staffing_problems(s) + _volume_problems(s)


def _lounge_problems(s: Scenario) -> list[Problem]:
    """Discharge lounges: plain names that are not units', serving known inpatient units, each unit one lounge."""
    out: list[Problem] = []
    served: dict[str, str] = {}
    units = list(s.units)
    for name, lounge in s.discharge_lounges.items():
        if name in s.units or name.strip().lower() in RESERVED_UNIT_NAMES:
            out.append(
                Problem(
                    path=("discharge_lounges", name),
                    message=f"'{name}' cannot name a discharge lounge: it is a unit's name or reserved; choose "
                    "another name, e.g. LOUNGE",
                )
            )
        elif problem := name_problem(name, "discharge lounge"):
            out.append(Problem(path=("discharge_lounges", name), message=problem))
        for j, u in enumerate(lounge.units if lounge.units is not None else []):
            path = ("discharge_lounges", name, "units", j)
            if u not in s.units:
                out.append(Problem(path=path, message=f"unknown unit '{u}' ({_did_you_mean(u, units)})"))
                continue
            spec = s.units[u]
            if spec.ed is not None or spec.kind == "ed":
                out.append(
                    Problem(
                        path=path,
                        message=f"'{u}' is an emergency department; a discharge lounge serves inpatient units "
                        "(remove it from units)",
                    )
                )
        names = (
            lounge.units
            if lounge.units is not None
            else [u for u, spec in s.units.items() if spec.ed is None and spec.kind != "ed"]
        )
        for u in names:
            if u in served:
                out.append(
                    Problem(
                        path=("discharge_lounges", name, "units"),
                        message=f"unit '{u}' is already served by discharge lounge '{served[u]}'; a unit's patients "
                        "use one lounge (list each unit under one lounge only)",
                    )
                )
            served.setdefault(u, name)
    return out


PATHWAY_HOME = "P0"
"""The share key of patients going home without support, by the discharge rules (no pathway)."""

LOG_DESTINATIONS = ("home", "transferred_out", "left_without_being_seen")
"""``discharge_destination`` labels the simulator writes for patients not on a pathway: a pathway may not
take one (compared without case), or its patients and those labels would be one in the event log."""


def _pathway_problems(s: Scenario) -> list[Problem]:
    """Discharge pathways: plain names that are not units' or lounges'; shares name inpatient units and
    known pathways and add up to at most 1 (exactly 1 when P0 is given)."""
    out: list[Problem] = []
    taken = set(s.units) | set(s.discharge_lounges) | set(s.escalation_levels)
    for name in s.discharge_pathways:
        lowered = name.strip().lower()
        reserved = lowered in RESERVED_UNIT_NAMES or lowered in LOG_DESTINATIONS
        if name in taken or lowered == PATHWAY_HOME.lower() or reserved:
            if name in s.units:
                why = "it is a unit's name"
            elif name in s.discharge_lounges:
                why = "it is a discharge lounge's name"
            elif name in s.escalation_levels:
                why = "it is an escalation group's name"
            elif lowered == PATHWAY_HOME.lower():
                why = f"{PATHWAY_HOME} is home without support, the share left to the discharge rules"
            elif lowered in LOG_DESTINATIONS:
                why = f"the event log writes '{lowered}' for patients who leave without a pathway"
            else:
                why = "the name is reserved"
            out.append(
                Problem(
                    path=("discharge_pathways", name),
                    message=f"'{name}' cannot name a discharge pathway: {why}; give the pathway a name of its own, "
                    "e.g. P1, and use it in pathway_shares too",
                )
            )
        elif problem := name_problem(name, "discharge pathway"):
            out.append(Problem(path=("discharge_pathways", name), message=problem))
    units = list(s.units)
    known = list(s.discharge_pathways)
    tables: list[tuple[tuple, dict]] = [(("pathway_shares",), s.pathway_shares)]
    tables += [(("patient_classes", c, "pathway_shares"), pc.pathway_shares) for c, pc in s.patient_classes.items()]
    for base, table in tables:
        for u, shares in table.items():
            if u not in s.units:
                out.append(Problem(path=base + (u,), message=f"unknown unit '{u}' ({_did_you_mean(u, units)})"))
                continue
            spec = s.units[u]
            if spec.ed is not None or spec.kind == "ed":
                out.append(
                    Problem(
                        path=base + (u,),
                        message=f"'{u}' is an emergency department: discharge pathways are for patients leaving "
                        "inpatient units; remove its row from pathway_shares",
                    )
                )
            for k in shares:
                if k != PATHWAY_HOME and k not in s.discharge_pathways:
                    out.append(
                        Problem(
                            path=base + (u, k),
                            message=f"unknown discharge pathway '{k}' (define it under discharge_pathways, or use "
                            f"{PATHWAY_HOME} for home without support; {_did_you_mean(k, known)})",
                        )
                    )
            total = sum(shares.values())
            if total > 1.0 + _PROB_TOL:
                out.append(
                    Problem(
                        path=base + (u,),
                        message=f"pathway shares sum to {total:.6g}, more than 1: make them add up to at most 1 "
                        f"(the rest, 1 - the sum, go home without support: {PATHWAY_HOME})",
                    )
                )
            elif PATHWAY_HOME in shares and abs(total - 1.0) > _PROB_TOL:
                out.append(
                    Problem(
                        path=base + (u,),
                        message=f"pathway shares sum to {total:.6g} with {PATHWAY_HOME} given: make them add up to "
                        f"1, or leave {PATHWAY_HOME} out (it is then the rest)",
                    )
                )
    return out


def _route_successors(s: Scenario, patient_class: str) -> dict[str, set[str]]:
    """The edges of :meth:`Scenario.route_graph` as plain sets (validation needs no graph library)."""
    routes = s.routes_for(patient_class)
    out: dict[str, set[str]] = {}
    for u in s.units:
        dests = routes.get(u)
        out[u] = {v for v, p in dests.items() if p > 0} if dests else {EXIT}
    return out


def _reachable(successors: dict[str, set[str]], start: str) -> set[str]:
    """Nodes reachable from ``start`` by one edge or more (``networkx.descendants``; ``start`` only on a cycle)."""
    seen: set[str] = set()
    todo = list(successors.get(start, ()))
    while todo:
        v = todo.pop()
        if v not in seen:
            seen.add(v)
            todo.extend(successors.get(v, ()))
    return seen


def unreachable_units(s: Scenario) -> list[str]:
    """Units that no patient can reach: no arrival stream or elective list starts there and no route of a
    class that enters the hospital leads there (in the order of ``units``)."""
    reach: set[str] = set()
    for c in s.class_names():
        g = _route_successors(s, c)
        for e in s.entry_units(c):
            reach |= {e} | _reachable(g, e)
    for u in list(reach):  # outliers reach the hosts of their home unit
        o = s.units[u].outlying if u in s.units else None
        if o is not None:
            reach |= set(o.hosts)
    return [u for u in s.units if u not in reach]


def scenario_warnings(s: Scenario) -> list[Problem]:
    """Doubts about a sound scenario that do not stop a run (empty when there are none): units no patient
    can reach, whose beds would stay empty; dated inputs inside the warm-up or after the end."""
    out: list[Problem] = []
    units = list(s.units)
    for u in unreachable_units(s):
        others = [v for v in units if v != u]
        close = difflib.get_close_matches(u, others, n=1)
        hint = f"; if you meant to change unit '{close[0]}', use its name" if close else ""
        out.append(
            Problem(
                path=("units", u),
                message=f"no arrival stream, elective list or route leads to unit '{u}', so no patient can reach "
                f"it and its beds stay empty{hint}",
            )
        )
    return out + _dated_warnings(s)


def _dated_warnings(s: Scenario) -> list[Problem]:
    """Dated inputs (arrival multipliers, capacity changes, roster entries) that fall wholly or partly inside
    the warm-up, whose effect no KPI measures, or after the end of the run, which is never simulated: the
    sentences of :func:`hospital_twin.scenario.dates.date_problems` for the scenario's own window, each located
    at its first entry. Silent while the warm-up is 'auto' (its end is not known yet)."""
    return [Problem(path=p.fields[0], message=p.message) for p in date_problems(s) if p.fields]


MAX_ARRIVALS_PER_REPLICATION = 20_000_000
"""External arrivals one replication may be asked to simulate (a few minutes of computing at about
100,000 patients a second; the largest shipped scenario has about 120,000)."""


def _volume_problems(s: Scenario) -> list[Problem]:
    """Refuse a run too large to finish: expected external arrivals of one replication above the limit."""
    days = s.horizon_days + (float(s.warmup_days) if not s.warmup_is_auto else s.horizon_days)
    out = []
    for i, a in enumerate(s.arrivals):
        peak = max([1.0] + [m.factor for m in a.multipliers])
        expected = a.per_day * days
        if expected > MAX_ARRIVALS_PER_REPLICATION or expected * peak > 10 * MAX_ARRIVALS_PER_REPLICATION:
            out.append(
                Problem(
                    path=("arrivals", i, "per_day"),
                    message=f"{a.per_day:,.6g} a day over {days:,.0f} days is about {expected:,.0f} patients in one "
                    f"replication, more than the {MAX_ARRIVALS_PER_REPLICATION:,} a run can hold; is it per day, "
                    "not per year? (lower per_day or horizon_days)",
                )
            )
    return out


def _stream_problems(s: Scenario) -> list[Problem]:
    """Arrival streams and elective lists: known units and classes, periods after the start, unique names."""
    units = list(s.units)
    out: list[Problem] = []
    declared_classes = list(s.patient_classes)

    def check_class(name: str, path: tuple[str | int, ...]) -> None:
        if declared_classes and name not in declared_classes:
            out.append(
                Problem(path=path, message=f"unknown patient class '{name}' ({_did_you_mean(name, declared_classes)})")
            )

    for i, a in enumerate(s.arrivals):
        if a.unit not in units:
            out.append(
                Problem(
                    path=("arrivals", i, "unit"), message=f"unknown unit '{a.unit}' ({_did_you_mean(a.unit, units)})"
                )
            )
        for c in a.classes():
            key = "class_mix" if a.class_mix else "patient_class"
            check_class(c, ("arrivals", i, key))
        if a.ambulance_share > 0 and a.unit in units and s.units[a.unit].ed is None:
            out.append(
                Problem(
                    path=("arrivals", i, "ambulance_share"),
                    message=f"ambulance_share applies only to a stream arriving at an emergency department, and unit "
                    f"'{a.unit}' has no `ed:` block; remove ambulance_share or give the unit an `ed:` block",
                )
            )
        if a.patience is not None and a.unit in units and s.units[a.unit].ed is None:
            out.append(
                Problem(
                    path=("arrivals", i, "patience"),
                    message=f"patience applies only to a stream arriving at an emergency department, and unit "
                    f"'{a.unit}' has no `ed:` block; remove patience or give the unit an `ed:` block",
                )
            )
        for j, m in enumerate(a.multipliers):
            if m.to <= s.start:
                out.append(
                    Problem(
                        path=("arrivals", i, "multipliers", j),
                        message=f"period ends before the scenario starts ({s.start:%Y-%m-%d}); move it into the run "
                        "or delete it",
                    )
                )
    names = [a.name for a in s.arrivals] + [e.name for e in s.electives]
    for i, n in enumerate(names):
        if n in names[:i]:
            idx = i if i < len(s.arrivals) else i - len(s.arrivals)
            where = "arrivals" if i < len(s.arrivals) else "electives"
            out.append(
                Problem(
                    path=(where, idx, "name"), message=f"stream name '{n}' is used twice; give each stream its own name"
                )
            )
    for i, e in enumerate(s.electives):
        if e.unit not in units:
            out.append(
                Problem(
                    path=("electives", i, "unit"), message=f"unknown unit '{e.unit}' ({_did_you_mean(e.unit, units)})"
                )
            )
        check_class(e.patient_class, ("electives", i, "patient_class"))
    if not s.arrivals and not s.electives:
        out.append(Problem(path=("arrivals",), message="no arrivals and no electives: nobody would come"))

    return out


RESERVED_UNIT_NAMES = {
    "all": "it is the hospital total in every results table (unit ALL)",
    EXIT: "routes use it for leaving the hospital",
}
"""Names a unit may not take (compared without case), with the reason."""

NAME_RULE = "a letter, then letters, digits, _ or - (no spaces)"
"""How a unit, patient class, arrival stream or elective list is named (said in every message about a name)."""
MAX_NAME_LENGTH = 40
"""Longest name of a unit or patient class (a column of the terminal table and of summary.csv)."""
MAX_STREAM_NAME_LENGTH = 64
"""Longest name of an arrival stream or elective list (calibration names them unit_class_source)."""
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def name_problem(name: str, what: str = "unit", max_length: int = MAX_NAME_LENGTH) -> str | None:
    """Why ``name`` cannot name a ``what`` (with a valid name to use instead), or None when it can."""
    if _NAME.fullmatch(name) and len(name) <= max_length:
        return None
    hidden = any(not ch.isprintable() for ch in name) or name != name.strip()
    why = "has blank or hidden characters" if hidden or not name.strip() else "is not a plain name"
    if _NAME.fullmatch(name):
        why = f"is longer than {max_length} characters"
    return (
        f"{what} name {name!r} {why}: write {NAME_RULE}, at most {max_length} characters, "
        f"e.g. {suggest_name(name, what.split()[0], max_length=max_length)} (rename it everywhere it is used)"
    )


def suggest_name(
    text: str,
    prefix: str = "unit",
    taken: set[str] | frozenset[str] = frozenset(),
    *,
    max_length: int = MAX_NAME_LENGTH,
) -> str:
    """A valid name for ``text``, deterministic and not in ``taken``.

    A valid name is kept. Otherwise the abbreviation in closing parentheses when there is one
    (``Medical Intensive Care Unit (MICU)`` -> ``MICU``), else ``text`` with accents folded and
    every run of other characters made ``_`` (``Med/Surg`` -> ``Med_Surg``); ``prefix_`` goes in
    front of one that does not start with a letter; cut to ``max_length``; ``_2``, ``_3``, ...
    added until it is not in ``taken``.
    """
    import unicodedata

    name = text
    if not (_NAME.fullmatch(text) and len(text) <= max_length):
        inner = re.search(r"\(([^()]*[A-Za-z][^()]*)\)\s*$", text)
        source = inner.group(1) if inner else text
        ascii_text = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_text).strip("_-")
        if not name[:1].isalpha():
            name = f"{prefix}_{name}".rstrip("_")
        name = name[:max_length].rstrip("_-")
    base, k = name, 2
    while name in taken or name.strip().lower() in RESERVED_UNIT_NAMES:
        tail = f"_{k}"
        name, k = base[: max_length - len(tail)] + tail, k + 1
    return name


def _unit_name_problems(s: Scenario) -> list[Problem]:
    """Unit names are usable (not reserved, plain names); routes and lengths of stay name known units."""
    units = list(s.units)
    out: list[Problem] = []
    for u in units:
        why = RESERVED_UNIT_NAMES.get(u.strip().lower())
        if why:
            out.append(Problem(path=("units", u), message=f"'{u}' cannot name a unit: {why}; choose another name"))
        elif problem := name_problem(u, "unit"):
            out.append(Problem(path=("units", u), message=problem))
    out += _check_route_table(s.routes, units, ("routes",))
    for u in s.length_of_stay:
        if u not in units:
            out.append(Problem(path=("length_of_stay", u), message=f"unknown unit '{u}' ({_did_you_mean(u, units)})"))
    for c, pc in s.patient_classes.items():
        out += _check_route_table(pc.routes, units, ("patient_classes", c, "routes"))
        for u in pc.length_of_stay:
            if u not in units:
                out.append(
                    Problem(
                        path=("patient_classes", c, "length_of_stay", u),
                        message=f"unknown unit '{u}' ({_did_you_mean(u, units)})",
                    )
                )
    return out


def _class_and_stream_name_problems(s: Scenario) -> list[Problem]:
    """Patient classes, arrival streams and elective lists have plain names (each bad name said once, where
    it first appears)."""
    places: list[tuple[tuple[str | int, ...], str, str, int]] = [
        (("patient_classes", c), c, "patient class", MAX_NAME_LENGTH) for c in s.patient_classes
    ]
    for i, a in enumerate(s.arrivals):
        places.append((("arrivals", i, "name"), a.name, "arrival stream", MAX_STREAM_NAME_LENGTH))
        if a.patient_class is not None:
            places.append((("arrivals", i, "patient_class"), a.patient_class, "patient class", MAX_NAME_LENGTH))
        for c in a.class_mix or {}:
            places.append((("arrivals", i, "class_mix", c), c, "patient class", MAX_NAME_LENGTH))
    for i, e in enumerate(s.electives):
        places.append((("electives", i, "name"), e.name, "elective list", MAX_STREAM_NAME_LENGTH))
        places.append((("electives", i, "patient_class"), e.patient_class, "patient class", MAX_NAME_LENGTH))
    out: list[Problem] = []
    said: set[tuple[str, str]] = set()
    for path, name, what, longest in places:
        problem = name_problem(name, what, longest)
        if problem and (what, name) not in said:
            said.add((what, name))
            out.append(Problem(path=path, message=problem))
    return out


def _outlying_problems(s: Scenario) -> list[Problem]:
    """Outlying: hosts are other known inpatient units, named once; the classes exist; no ED outlies."""
    units = list(s.units)
    classes = s.class_names()
    out: list[Problem] = []

    def is_ed(u: UnitSpec) -> bool:
        return u.ed is not None or u.kind == "ed"

    for name, spec in s.units.items():
        o = spec.outlying
        if o is None:
            continue
        base = ("units", name, "outlying")
        if is_ed(spec):
            out.append(
                Problem(
                    path=base,
                    message=f"unit '{name}' is an emergency department: its patients board in it, they do not outlie; "
                    "delete outlying here and give it to the inpatient units they are admitted to",
                )
            )
        for i, h in enumerate(o.hosts):
            where = (*base, "hosts", i)
            if h not in units:
                out.append(Problem(path=where, message=f"unknown unit '{h}' ({_did_you_mean(h, units)})"))
            elif h == name:
                out.append(Problem(path=where, message=f"unit '{name}' cannot host its own outliers; list other units"))
            elif h in o.hosts[:i]:
                out.append(Problem(path=where, message=f"host '{h}' is listed twice; list each host once"))
            elif is_ed(s.units[h]):
                out.append(
                    Problem(
                        path=where,
                        message=f"unit '{h}' is an emergency department and cannot host inpatients; list a ward",
                    )
                )
        for i, c in enumerate(o.classes or []):
            if c not in classes:
                out.append(
                    Problem(
                        path=(*base, "classes", i),
                        message=f"unknown patient class '{c}' ({_did_you_mean(c, classes)})",
                    )
                )
    return out


def _reach_problems(s: Scenario) -> list[Problem]:
    """Every unit a class can reach leads to the exit and has a length of stay."""
    out: list[Problem] = []
    for c in s.class_names():
        g = _route_successors(s, c)
        entries = s.entry_units(c)
        reach: set[str] = set()
        for e in entries:
            reach |= {e} | _reachable(g, e)
        reach.discard(EXIT)
        predecessors: dict[str, set[str]] = {}
        for u, vs in g.items():
            for v in vs:
                predecessors.setdefault(v, set()).add(u)
        can_exit = _reachable(predecessors, EXIT)
        for u in sorted(reach):
            if u not in can_exit:
                route_path = (
                    ("patient_classes", c, "routes", u)
                    if u in s.patient_classes.get(c, PatientClassSpec()).routes
                    else ("routes", u)
                )
                out.append(
                    Problem(
                        path=route_path,
                        message=f"patients of class '{c}' in unit '{u}' can never reach '{EXIT}' (a closed loop); "
                        f"give a unit of the loop a route to {EXIT}",
                    )
                )
            spec = s.units[u]
            if s.stay_for(c, u) is None and spec.ed is None:
                out.append(
                    Problem(
                        path=("length_of_stay",) if s.length_of_stay else ("units", u),
                        message=f"no length of stay for unit '{u}' (reached by class '{c}'); add it under "
                        f"length_of_stay or patient_classes.{c}.length_of_stay",
                    )
                )

    return out


def _shift_problems(s: Scenario) -> list[Problem]:
    """Shifts exist where staffing or ED clinicians need them; clinician numbers per shift; capacity change dates."""
    out: list[Problem] = []
    uses_shifts = s.staffing is not None or any(
        isinstance(u.ed.clinicians, dict) for u in s.units.values() if u.ed is not None
    )
    if uses_shifts:
        if not s.shifts:
            out.append(Problem(path=("shifts",), message="staffing by shift needs `shifts` with clock times"))
        else:
            out += _shift_coverage_problems(s.shifts)
    for u, spec in s.units.items():
        if spec.ed is not None and isinstance(spec.ed.clinicians, dict):
            for sh in spec.ed.clinicians:
                if sh not in s.shifts:
                    out.append(
                        Problem(
                            path=("units", u, "ed", "clinicians", sh),
                            message=f"unknown shift '{sh}' ({_did_you_mean(sh, list(s.shifts))})",
                        )
                    )
            missing = [sh for sh in s.shifts if sh not in spec.ed.clinicians]
            if missing and s.shifts:
                out.append(
                    Problem(
                        path=("units", u, "ed", "clinicians"),
                        message=f"no clinician number for shift(s) {', '.join(missing)}",
                    )
                )
        for j, ch in enumerate(spec.capacity_changes):
            if ch.at < s.start:
                out.append(
                    Problem(
                        path=("units", u, "capacity_changes", j, "at"),
                        message=f"change is before the scenario starts; date it on or after start ({s.start:%Y-%m-%d})",
                    )
                )
    return out


def _staffing_problems(s: Scenario) -> list[Problem]:
    """Staffed units exist, nurse numbers name known shifts and cover every shift; the dated roster."""
    units = list(s.units)
    out: list[Problem] = []
    if s.staffing is not None:
        for u, st in s.staffing.units.items():
            if u not in units:
                out.append(
                    Problem(path=("staffing", "units", u), message=f"unknown unit '{u}' ({_did_you_mean(u, units)})")
                )
            for sh in st.nurses:
                if sh not in s.shifts:
                    out.append(
                        Problem(
                            path=("staffing", "units", u, "nurses", sh),
                            message=f"unknown shift '{sh}' ({_did_you_mean(sh, list(s.shifts))})",
                        )
                    )
            missing = [sh for sh in s.shifts if sh not in st.nurses]
            if missing and s.shifts:
                out.append(
                    Problem(
                        path=("staffing", "units", u, "nurses"),
                        message=f"no nurse number for shift(s) {', '.join(missing)}",
                    )
                )
        out += _roster_problems(s)
    return out


def _roster_problems(s: Scenario) -> list[Problem]:
    """Dated roster entries name a staffed unit and a shift, once each, on a date the run can reach."""
    out: list[Problem] = []
    assert s.staffing is not None
    seen: dict[tuple[dt.date, str, str], int] = {}
    first_date = (s.start - dt.timedelta(days=1)).date()  # a night shift begun the evening before the start
    last_date = None
    if not s.warmup_is_auto:
        last_date = (s.start + dt.timedelta(hours=s.end_h)).date()
    for i, e in enumerate(s.staffing.roster):
        base = ("staffing", "roster", i)
        if e.unit not in s.staffing.units:
            known = list(s.staffing.units)
            hint = " (it has no ratio under staffing.units)" if e.unit in s.units else ""
            out.append(
                Problem(
                    path=base + ("unit",),
                    message=f"unknown staffed unit '{e.unit}'{hint} ({_did_you_mean(e.unit, known)})",
                )
            )
        if s.shifts and e.shift not in s.shifts:
            out.append(
                Problem(
                    path=base + ("shift",),
                    message=f"unknown shift '{e.shift}' ({_did_you_mean(e.shift, list(s.shifts))})",
                )
            )
        if e.date < first_date or (last_date is not None and e.date > last_date):
            out.append(
                Problem(
                    path=base + ("date",),
                    message=f"{e.date} is outside the simulated period "
                    f"{first_date}..{last_date or '?'}, so this entry would never be used",
                )
            )
        key = (e.date, e.shift, e.unit)
        if key in seen:
            out.append(
                Problem(path=base, message=f"{e.unit} {e.shift} on {e.date} is already rostered at entry {seen[key]}")
            )
        else:
            seen[key] = i
    return out


def escalation_group_units(s: Scenario, spec: EscalationPolicySpec) -> list[str]:
    """The units whose pressure an escalation group measures: its ``units``, else every inpatient unit."""
    if spec.units is not None:
        return list(spec.units)
    return [u for u, us in s.units.items() if us.ed is None and us.kind != "ed"]


def _escalation_problems(s: Scenario) -> list[Problem]:
    """Escalation groups: names, known units of the right kind, actions each unit can take."""
    units = list(s.units)
    out: list[Problem] = []

    def is_ed(u: str) -> bool:
        return s.units[u].ed is not None or s.units[u].kind == "ed"

    def known(u: str, where: tuple) -> bool:
        if u in units:
            return True
        out.append(Problem(path=where, message=f"unknown unit '{u}' ({_did_you_mean(u, units)})"))
        return False

    gated: dict[str, str] = {}
    pushed: dict[str, str] = {}
    for g, spec in s.escalation_levels.items():
        base = ("escalation_levels", g)
        if g != "ALL":
            if g in units:
                out.append(
                    Problem(
                        path=base,
                        message=f"group name '{g}' is a unit's name; the group's metrics would mix with the unit's: "
                        f"name the group otherwise (e.g. {g}_group), or ALL for the whole hospital",
                    )
                )
            elif problem := name_problem(g, "escalation group"):
                out.append(Problem(path=base, message=problem))
        for i, u in enumerate(spec.units or []):
            if known(u, (*base, "units", i)) and u in spec.units[:i]:
                out.append(Problem(path=(*base, "units", i), message=f"unit '{u}' is listed twice; list it once"))
        members = [u for u in escalation_group_units(s, spec) if u in units]
        if not members:
            out.append(Problem(path=(*base, "units"), message="the group has no units; list the units to watch"))
        elif not sum(s.units[u].beds for u in members):
            out.append(
                Problem(path=(*base, "units"), message="the group's units have no base beds; list units with beds")
            )
        for j, lv in enumerate(spec.levels):
            where = (*base, "levels", j, "actions")
            a = lv.actions
            if lv.boarders_at is not None and not any(is_ed(u) for u in units):
                out.append(
                    Problem(
                        path=(*base, "levels", j, "boarders_at"),
                        message="ED boarders need an emergency department among the units; delete boarders_at",
                    )
                )
            for u in a.open_beds:
                if known(u, (*where, "open_beds", u)) and is_ed(u):
                    out.append(
                        Problem(
                            path=(*where, "open_beds", u),
                            message=f"unit '{u}' is an emergency department: give its extra spaces under ed_spaces",
                        )
                    )
            for u in a.ed_spaces:
                if known(u, (*where, "ed_spaces", u)) and not is_ed(u):
                    out.append(
                        Problem(
                            path=(*where, "ed_spaces", u),
                            message=f"unit '{u}' is not an emergency department: give its beds under open_beds",
                        )
                    )
            for i, u in enumerate(a.allow_outlying):
                w = (*where, "allow_outlying", i)
                if not known(u, w):
                    continue
                if s.units[u].outlying is None:
                    out.append(
                        Problem(path=w, message=f"unit '{u}' has no outlying block; give it units.{u}.outlying first")
                    )
                elif u in gated:
                    out.append(
                        Problem(path=w, message=f"outlying of unit '{u}' is already allowed from {gated[u]}; once only")
                    )
                else:
                    gated[u] = f"level {lv.level} of group {g}"
            if a.postpone_electives > 0 and not any(e.unit in members for e in s.electives):
                out.append(
                    Problem(
                        path=(*where, "postpone_electives"),
                        message="no elective list admits to the group's units, so nothing would be postponed; "
                        "delete postpone_electives or add the units of the lists to the group",
                    )
                )
            for k in a.pathway_capacity:
                pw = s.discharge_pathways.get(k)
                if pw is None:
                    names = ", ".join(s.discharge_pathways) or "none defined"
                    out.append(
                        Problem(
                            path=(*where, "pathway_capacity", k),
                            message=f"'{k}' is not a discharge pathway (discharge_pathways: {names}); name one of them",
                        )
                    )
                elif pw.kind == "unlimited":
                    out.append(
                        Problem(
                            path=(*where, "pathway_capacity", k),
                            message=f"pathway '{k}' has no capacity to raise (no starts or places): give it "
                            "starts_per_day, starts_by_weekday or places, or delete it here",
                        )
                    )
                elif pw.kind == "pool" and 1 < (f := a.pathway_capacity[k]) and int(pw.places * f + 1e-9) == pw.places:
                    out.append(
                        Problem(
                            path=(*where, "pathway_capacity", k),
                            message=f"x{f:g} adds no place to the {pw.places} places of pool '{k}' (places are rounded "
                            f"down): give at least {(pw.places + 1) / pw.places:.3g}, or delete it here",
                        )
                    )
            if a.discharge_push is not None:
                targets = a.discharge_push.units if a.discharge_push.units is not None else members
                for i, u in enumerate(targets):
                    w = (*where, "discharge_push", "units", i)
                    if a.discharge_push.units is not None and not known(u, w):
                        continue
                    if pushed.setdefault(u, g) != g:
                        out.append(
                            Problem(
                                path=w if a.discharge_push.units is not None else (*where, "discharge_push"),
                                message=f"unit '{u}' is already pushed by group {pushed[u]}; a unit follows one "
                                "group's discharge push",
                            )
                        )
    return out
