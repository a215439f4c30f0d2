"""Roster rules: the hard limits and the weighted soft rules a planner sets in ``rules.yaml``.

Every key has a default, so an empty file (or ``RosterRules()``) is a working rule set
close to NHS practice: 11 hours' rest between shifts (Working Time Regulations 1998,
reg. 10), at most 5 working days in a row, at least 2 days off together, nights in runs of
2 to 4, at most 2 working weekends in 4 and whole weekends off.

Penalties are in *points*: a weight is the cost of one unit of violation (one window, one
missing person, one hour outside the tolerance). Weights are rounded to 0.1 point so the
solver's integer objective (points x :data:`SCALE`) is exact.

The meaning of each soft rule (what one violation is) is written once here and
implemented twice, independently: by the CP-SAT model (:mod:`hospital_twin.roster.model`)
and by the pure checker (:mod:`hospital_twin.roster.checker`).

Owns: :class:`RosterRules` and shift clock arithmetic (:class:`ShiftClock`). Must not read files
or import OR-Tools (the model and the checker both build on it).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "SCALE",
    "RosterRules",
    "RunRule",
    "CoverRules",
    "RestRules",
    "ContractRules",
    "WeekendRules",
    "RequestRules",
    "FairnessRules",
    "ShiftClock",
    "shift_clocks",
    "night_shift_names",
    "conflicting_successions",
    "dated_conflicts",
    "night_cap_windows",
    "shift_minutes",
    "shift_times",
    "fairness_team",
]

SCALE = 6000
"""Integer objective units per penalty point: weights are multiples of 0.1 point, hours are
counted in minutes and fairness scores in hundredths, so every coefficient is an integer."""

_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def _weight(v: Any) -> float:
    """A non-negative weight rounded to 0.1 point."""
    w = float(v)
    if w < 0:
        raise ValueError("a weight cannot be negative")
    return round(w * 10) / 10


Weight = Annotated[float, BeforeValidator(_weight)]


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunRule(_Rules):
    """Bounds on runs of consecutive days: below ``min`` or above ``max`` costs ``weight`` per day short or over.

    ``max`` M: every window of M+1 consecutive days that are all in the run is one
    violation (a run of L > M days gives L - M). ``min`` m: a run of l < m days with a
    day outside the run on both sides *inside the horizon* costs m - l (runs touching the
    first or last day are not judged: their other end is outside the roster). With a history
    of the days before the roster, the run continues from it: a window over ``max`` that reaches
    a roster day counts, and a short run closed by a roster day is judged from its first day in
    the history (runs wholly in the history are the past and cost nothing).
    """

    min: int | None = Field(None, ge=1, le=28)
    max: int | None = Field(None, ge=1, le=28)
    weight: Weight = Field(10.0, description="points per day short of min or per window over max")

    @model_validator(mode="after")
    def _order(self) -> RunRule:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class CoverRules(_Rules):
    """Minimum cover is hard in meaning but enforced with a very high penalty by default.

    ``min_hard: false`` (default): a roster is always returned, each person missing from
    a minimum costs ``min_weight`` and is listed with the reason. ``min_hard: true``: a
    minimum that cannot be met makes the model infeasible (the reasons are still given).
    Each person below ``target`` costs ``target_weight`` (also when below min).
    """

    min_hard: bool = False
    min_weight: Weight = 1000.0
    target_weight: Weight = 20.0


class RestRules(_Rules):
    """Hard: ``min_rest_h`` hours from the end of one shift to the start of the next (elapsed time
    between the shifts' real start and end in the member's time zone, so a change of summer time
    between them counts),
    and no shift ``b`` the day after a shift ``a`` for every ``[a, b]`` in ``forbidden_successions``."""

    min_rest_h: float = Field(11.0, ge=0, le=48)
    forbidden_successions: list[tuple[str, str]] = Field(default_factory=list)


class ContractRules(_Rules):
    """Rostered hours against contract over the whole period, with a tolerance either way.

    Expected minutes = contract hours per week x 60 x (days not on leave) / 7, rounded to
    the minute (leave is paid at the contracted rate). Each hour under (over) the expected
    hours beyond ``tolerance_h`` costs ``under_weight_per_h`` (``over_weight_per_h``),
    pro rata by the minute. A shift lasts from its start to its end in the member's time zone
    (:func:`shift_times`, as the exports show it): a night across the end of summer time is an
    hour longer than its clock times say, one across the start an hour shorter.
    """

    tolerance_h: float = Field(8.0, ge=0)
    under_weight_per_h: Weight = 5.0
    over_weight_per_h: Weight = 5.0


class WeekendRules(_Rules):
    """Weekends (Saturday and Sunday, by the shift's start date; only weekends wholly inside the horizon).

    A weekend is worked if either day is. ``max_per_4w``: in every 4 consecutive weekends
    (all of them if the horizon has fewer than 4, against ceil(max x n / 4)), each weekend
    over costs ``weight``. ``complete``: working exactly one of the two days costs
    ``complete_weight``.
    """

    max_per_4w: int | None = Field(2, ge=0, le=4)
    weight: Weight = 20.0
    complete: bool = True
    complete_weight: Weight = 15.0


class RequestRules(_Rules):
    """A request not granted costs its own ``weight`` times ``weight`` here."""

    weight: Weight = 10.0


class FairnessRules(_Rules):
    """Spread nights and weekends evenly within each team (home unit and grade; the float pool
    is a team of its own per grade), pro rata to capacity.

    A member's capacity is contract hours x days not on leave; their score is the count
    (nights, or weekends worked) x round(100 x largest capacity in the team / their
    capacity). The cost is ``weight`` x (max score - min score) / 100 per team, i.e.
    ``weight`` per night (weekend) of spread between full-time equivalents. Staff with no
    capacity, and for nights those with ``max_nights_per_4w`` 0, are left out.
    """

    nights_weight: Weight = 5.0
    weekends_weight: Weight = 5.0


class ShiftTimes(_Rules):
    """Clock times of a shift, ``HH:MM``; the end may be earlier than the start (crosses midnight)."""

    start: str
    end: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, v: Any) -> str:
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 24 * 60:
            return f"{v // 60:02d}:{v % 60:02d}"  # YAML 1.1 reads 07:30 unquoted as minutes
        if not isinstance(v, str) or not _CLOCK.match(v.strip()):
            raise ValueError('a clock time "HH:MM" is expected')
        return v.strip()


class RosterRules(_Rules):
    """All roster rules with their defaults (see each section's docstring for what one violation is)."""

    shifts: dict[str, ShiftTimes] = Field(default_factory=dict, description="shift clock times, if not given elsewhere")
    night_shifts: list[str] | None = Field(
        None, description="shifts that count as nights (default: those crossing midnight)"
    )
    rest: RestRules = Field(default_factory=RestRules)
    cover: CoverRules = Field(default_factory=CoverRules)
    contract_hours: ContractRules = Field(default_factory=ContractRules)
    work_days: RunRule = Field(default_factory=lambda: RunRule(min=2, max=5, weight=10))
    days_off: RunRule = Field(default_factory=lambda: RunRule(min=2, weight=10))
    shift_runs: dict[str, RunRule] = Field(
        default_factory=dict,
        description="runs of one shift, by shift name; e.g. night: {min: 2, max: 4}. A name that is not a shift "
        "of the roster is an error when the roster is built.",
    )
    night_runs: RunRule | None = Field(
        default_factory=lambda: RunRule(min=2, max=4, weight=10),
        description="runs of nights (any night shift counts); null to switch off",
    )
    weekends: WeekendRules = Field(default_factory=WeekendRules)
    requests: RequestRules = Field(default_factory=RequestRules)
    fairness: FairnessRules = Field(default_factory=FairnessRules)


# --------------------------------------------------------------------------- shift clocks
@dataclass(frozen=True)
class ShiftClock:
    """A shift by clock time: ``start_min`` minutes after midnight, ``length_min`` long (nominal, no DST)."""

    name: str
    start: str
    end: str
    start_min: int
    length_min: int

    @property
    def crosses_midnight(self) -> bool:
        return self.start_min + self.length_min > 24 * 60


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def shift_clocks(shifts: dict[str, tuple[str, str]] | dict[str, Any]) -> dict[str, ShiftClock]:
    """Shift clock times from ``name -> ("HH:MM", "HH:MM")`` (or objects with ``start``/``end``).

    A shift whose end is not after its start ends the next day; a zero-length shift is an error.
    """
    out = {}
    for name, spec in shifts.items():
        start, end = (spec.start, spec.end) if hasattr(spec, "start") else spec
        start, end = ShiftTimes(start=start, end=end).start, ShiftTimes(start=start, end=end).end
        s, e = _minutes(start) % 1440, _minutes(end) % 1440
        length = (e - s) % 1440
        if length == 0:
            raise ValueError(f"shift '{name}': start and end are the same clock time")
        out[str(name)] = ShiftClock(str(name), start, end, s, length)
    return out


def night_shift_names(clocks: dict[str, ShiftClock], rules: RosterRules) -> set[str]:
    """The shifts that count as nights: ``rules.night_shifts``, or those crossing midnight."""
    if rules.night_shifts is not None:
        return set(rules.night_shifts)
    return {k for k, c in clocks.items() if c.crosses_midnight}


def conflicting_successions(clocks: dict[str, ShiftClock], rules: RosterRules) -> set[tuple[str, int, str]]:
    """Pairs ``(a, gap_days, b)``: shift ``a`` on day d forbids shift ``b`` on day d + gap_days (1 or 2).

    From the clock times (rest from the end of ``a`` to the start of ``b`` below
    ``rules.rest.min_rest_h``, or overlapping) and the listed forbidden successions (gap 1).
    """
    rest_min = round(rules.rest.min_rest_h * 60)
    out = set()
    for a, ca in clocks.items():
        for b, cb in clocks.items():
            for gap in (1, 2):
                rest = gap * 1440 + cb.start_min - (ca.start_min + ca.length_min)
                if rest < rest_min:
                    out.add((a, gap, b))
    out |= {(a, 1, b) for a, b in rules.rest.forbidden_successions}
    return out


def fairness_team(member) -> str:
    """The team a member's nights and weekends are compared within: ``"<home unit> <grade>"``."""
    unit = "float pool" if member.float_pool else member.home_unit
    return f"{unit} {member.grade}"


# --------------------------------------------------------------------------- dated shifts in a time zone
def shift_times(date: dt.date, clock: ShiftClock, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a shift starting on ``date`` as timezone-aware datetimes (wall clock in ``tz``).

    The one clock computation behind the exports, contract hours and rest: subtract them in UTC
    (:func:`shift_minutes`) for the real length.
    """
    zone = ZoneInfo(tz)
    h, m = divmod(clock.start_min, 60)
    start = dt.datetime.combine(date, dt.time(h, m), tzinfo=zone)
    end_day, end_min = divmod(clock.start_min + clock.length_min, 1440)
    eh, em = divmod(end_min, 60)
    end = dt.datetime.combine(date + dt.timedelta(days=end_day), dt.time(eh, em), tzinfo=zone)
    return start, end


def _utc_minutes(t: dt.datetime) -> int:
    return round(t.astimezone(dt.UTC).timestamp()) // 60


@lru_cache(maxsize=65536)
def _interval(date: dt.date, clock: ShiftClock, tz: str) -> tuple[int, int]:
    start, end = shift_times(date, clock, tz)
    return _utc_minutes(start), _utc_minutes(end)


def shift_minutes(date: dt.date, clock: ShiftClock, tz: str) -> int:
    """Real length of the shift starting on ``date`` in minutes (its clock length, +-60 across a change of
    summer time)."""
    a, b = _interval(date, clock, tz)
    return b - a


def dated_conflicts(
    start_date: dt.date, first: int, days: int, clocks: dict[str, ShiftClock], rules: RosterRules, tz: str
) -> set[tuple[int, str, int, str]]:
    """``(i, a, gap, b)``: shift ``a`` on day ``start_date + i`` forbids ``b`` on day ``i + gap`` (gap 1 or 2),
    for ``first <= i`` and ``i + gap < days``.

    From the real times in ``tz`` (rest from the end of ``a`` to the start of ``b`` below
    ``rules.rest.min_rest_h``, or overlapping) and the forbidden successions (gap 1).
    """
    rest_min = round(rules.rest.min_rest_h * 60)
    out = set()
    forbidden = {(a, b) for a, b in rules.rest.forbidden_successions}
    for i in range(first, days - 1):
        day = start_date + dt.timedelta(days=i)
        for a, ca in clocks.items():
            end_a = _interval(day, ca, tz)[1]
            for gap in (1, 2):
                if i + gap >= days:
                    continue
                later = day + dt.timedelta(days=gap)
                for b, cb in clocks.items():
                    if _interval(later, cb, tz)[0] - end_a < rest_min or (gap == 1 and (a, b) in forbidden):
                        out.add((i, a, gap, b))
    return out


def night_cap_windows(history_days: int, days: int, cap: int) -> list[tuple[int, int, int]]:
    """The windows of the hard night cap as ``(first, length, cap)`` over the history days then the roster's
    (index 0 = the first history day): every 28 consecutive days that reach a roster day, or, with fewer
    than 28 days known, all of them against the cap pro rata, rounded up.

    Nights worked in the history count, but the history cannot make a roster infeasible: a window
    breaks the cap when its nights exceed ``max(cap, nights in its history days)``, i.e. the roster
    may add no night to a window the history has already filled.
    """
    total = history_days + days
    if total >= 28:
        return [(i, 28, cap) for i in range(max(0, history_days - 27), total - 27)]
    return [(0, total, math.ceil(cap * total / 28))]
