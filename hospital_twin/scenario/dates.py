"""Dated levers of a scenario against the measured window of a run, in a manager's words.

A run simulates from the scenario's ``start``, throws away the warm-up, then measures
``horizon_days``. A surge, a change of beds or a rostered shift dated inside the warm-up
is simulated but never measured; one dated after the end is never simulated at all. Both
fail silently unless someone says so: :func:`date_problems` lists every such dated input
of a scenario once (a multiplier shared by several arrival streams is one problem), and
:func:`period_problem` checks one period a person is typing (reversed or empty dates too).
Each :class:`DateProblem` carries a sentence for the person and, apart, the YAML paths
for the details. Pure: objects in, objects out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from hospital_twin.scenario.schema import Scenario

__all__ = [
    "DateProblem",
    "Placement",
    "RunWindow",
    "date_problems",
    "measured_days",
    "period_problem",
    "place_period",
]

Placement = Literal["reversed", "empty", "in_warmup", "partly_in_warmup", "after_end", "partly_after_end"]
"""Where a dated input falls: ``reversed`` (ends before it starts) and ``empty`` (ends as it starts) are errors;
the others are warnings (``in_warmup`` also covers a period that ends before the simulation starts)."""

Kind = Literal["arrivals", "capacity", "roster"]
"""The lever a dated input belongs to: an arrival multiplier (a surge), a unit's capacity change, dated rostered
shifts."""


@dataclass(frozen=True)
class RunWindow:
    """The period one run simulates: from ``start``, ``warmup_days`` thrown away, then ``horizon_days`` measured."""

    start: dt.datetime
    warmup_days: float
    horizon_days: float

    @property
    def measured_from(self) -> dt.datetime:
        """When measurement starts: the end of the warm-up."""
        return self.start + dt.timedelta(days=self.warmup_days)

    @property
    def end(self) -> dt.datetime:
        """When the run ends (nothing after it is simulated)."""
        return self.measured_from + dt.timedelta(days=self.horizon_days)

    @classmethod
    def of(
        cls, scenario: Scenario, *, warmup_days: float | None = None, horizon_days: float | None = None
    ) -> RunWindow | None:
        """The window of ``scenario``, with run settings that override its ``warmup_days`` and ``horizon_days``;
        None while the warm-up is 'auto' and none is given (its end is not known before the pilot runs)."""
        if warmup_days is None:
            if scenario.warmup_is_auto:
                return None
            warmup_days = float(scenario.warmup_days)
        horizon = float(scenario.horizon_days if horizon_days is None else horizon_days)
        return cls(scenario.start, float(warmup_days), horizon)


def measured_days(scenario: Scenario) -> tuple[dt.date, dt.date] | None:
    """The first and last days ``scenario``'s run measures (the window's end less a moment): the days a target with
    a stated trajectory is weighted over for the whole run; None while the warm-up is 'auto'."""
    window = RunWindow.of(scenario)
    if window is None:
        return None
    return window.measured_from.date(), (window.end - dt.timedelta(seconds=1)).date()


@dataclass(frozen=True)
class DateProblem:
    """One dated input that the run will not measure as meant, said once.

    ``message`` is for the person (days and dates, no field names); ``paths`` are the YAML paths of every
    entry it covers (``arrivals[0].multipliers[2]``, ...), for a "details" section. ``measured_days`` is how
    much of the period the run measures (0 when none of it).
    """

    kind: Kind
    placement: Placement
    message: str
    start: dt.datetime
    end: dt.datetime | None = None
    unit: str | None = None
    label: str = ""
    measured_days: float = 0.0
    paths: tuple[str, ...] = ()
    fields: tuple[tuple[str | int, ...], ...] = ()
    """The same entries as ``paths``, as field paths (``("arrivals", 0, "multipliers", 2)``) for locating them."""

    @property
    def severity(self) -> Literal["error", "warning"]:
        return "error" if self.placement in ("reversed", "empty") else "warning"


def _day(t: dt.datetime | dt.date) -> str:
    """``3 Feb 2025`` (with the clock time when it is not midnight)."""
    if isinstance(t, dt.datetime) and t.time() != dt.time():
        return f"{t.day} {t:%b %Y %H:%M}"
    return f"{t.day} {t:%b %Y}"


def _days(x: float) -> str:
    n = round(x, 1)
    n_txt = f"{n:g}"
    return f"{n_txt} day" if n_txt == "1" else f"{n_txt} days"


def _are(days: float) -> str:
    return "is" if _days(days).endswith(" day") else "are"


def _at_most_warmup(start: dt.datetime, w: RunWindow) -> int | None:
    """The longest warm-up (whole days) whose measurement would start by ``start``; None if none would."""
    days = math.floor((start - w.start).total_seconds() / 86400.0 + 1e-9)
    return days if days >= 0 else None


def _measure_at_least(end: dt.datetime, w: RunWindow) -> int:
    """The fewest whole days measured that reach ``end``."""
    return math.ceil((end - w.measured_from).total_seconds() / 86400.0 - 1e-9)


def place_period(start: dt.datetime, end: dt.datetime, w: RunWindow) -> tuple[Placement | None, float]:
    """Where the period [start, end) falls in the run, and how many of its days are measured.

    None when the measured window holds all of it, or when it covers the whole measured window."""
    if end < start:
        return "reversed", 0.0
    if end == start:
        return "empty", 0.0
    lo, hi = max(start, w.measured_from), min(end, w.end)
    measured = max(0.0, (hi - lo).total_seconds() / 86400.0)
    if end <= w.measured_from:
        return "in_warmup", 0.0
    if start >= w.end:
        return "after_end", 0.0
    if start < w.measured_from and end > w.end:
        return None, measured  # the whole measured window is inside the period: it is measured throughout
    if start < w.measured_from:
        return "partly_in_warmup", measured
    if end > w.end:
        return "partly_after_end", measured
    return None, measured


def _period_sentence(what: str, start: dt.datetime, end: dt.datetime, w: RunWindow) -> tuple[Placement, str, float]:
    placement, measured = place_period(start, end, w)
    span = f"{what} ({_day(start)} until {_day(end)})"
    window = f"the measured period ({_day(w.measured_from)} to {_day(w.end)})"
    if placement == "reversed":
        return placement, f"{what} ends ({_day(end)}) before it starts ({_day(start)}): swap the two dates.", 0.0
    if placement == "empty":
        return placement, f"{what} starts and ends on {_day(start)}, so it lasts no time: end it a day later.", 0.0
    if placement in ("in_warmup", "partly_in_warmup"):
        most = _at_most_warmup(start, w)
        shorten = f"shorten the warm-up to {most} days or less" if most is not None else None
        if placement == "in_warmup":
            if end <= w.start:
                head = f"{span} ends before the simulation starts on {_day(w.start)}: it will not be simulated."
                fix = f"Move its dates into {window}."
            else:
                head = f"{span} ends before measurement starts on {_day(w.measured_from)}: it will not be measured."
                fix = (
                    f"Shorten the warm-up to {most} days or less, or move its dates into {window}."
                    if most is not None
                    else f"Move its dates into {window}."
                )
        else:
            head = (
                f"{span} begins before measurement starts on {_day(w.measured_from)}: only its last "
                f"{_days(measured)} {_are(measured)} measured."
            )
            fix = (
                f"To measure all of it, {shorten}, or move its dates."
                if shorten
                else "To measure all of it, move its dates."
            )
        return placement, f"{head} {fix}", measured
    if placement in ("after_end", "partly_after_end"):
        need = _measure_at_least(end, w)
        if placement == "after_end":
            head = f"{span} starts after the run ends on {_day(w.end)}: it will not be simulated."
        else:
            first = f"{_days(measured)} {_are(measured)}"
            head = f"{span} runs past the end of the run on {_day(w.end)}: only its first {first} measured."
        fix = f"Measure at least {need} days, or move its dates into {window}."
        return placement, f"{head} {fix}", measured
    raise AssertionError(placement)  # pragma: no cover - place_period returns one of the above or None


def period_problem(
    start: dt.date | dt.datetime, end: dt.date | dt.datetime, window: RunWindow, *, what: str = "The surge"
) -> DateProblem | None:
    """The problem with one period [start, end) that a person sets (reversed, empty, in the warm-up, after the
    end), or None when the run measures it. ``what`` names it at the start of the sentence."""
    s, e = _as_datetime(start), _as_datetime(end)
    placement, _ = place_period(s, e, window)
    if placement is None:
        return None
    placement, message, measured = _period_sentence(what, s, e, window)
    return DateProblem("arrivals", placement, message, s, e, measured_days=measured)


def _as_datetime(t: dt.date | dt.datetime) -> dt.datetime:
    return t if isinstance(t, dt.datetime) else dt.datetime.combine(t, dt.time())


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _multiplier_name(label: str, factor: float) -> str:
    change = f"arrivals x{factor:g}"
    return f"'{label}' ({change})" if label else f"the change in arrivals ({change})"


def date_problems(scenario: Scenario, window: RunWindow | None = None) -> list[DateProblem]:
    """Every dated input of ``scenario`` that ``window`` (default: the scenario's own) will not measure as meant.

    Arrival multipliers (one problem per period, however many streams and labels share it), capacity changes
    (a change in the warm-up is measured only as its new number of beds) and dated rostered shifts (one problem
    for those before measurement starts, one for those after the end). Empty while the warm-up is 'auto' and
    no window is given.
    """
    w = window if window is not None else RunWindow.of(scenario)
    if w is None:
        return []
    out: list[DateProblem] = []
    groups: dict[tuple, list[tuple[int, int, str]]] = {}
    for i, a in enumerate(scenario.arrivals):
        for j, m in enumerate(a.multipliers):
            groups.setdefault((m.from_, m.to), []).append((i, j, a.name))
    for (start, end), entries in groups.items():
        placement, _ = place_period(start, end, w)
        if placement is None:
            continue
        kinds = list(
            dict.fromkeys((m.label, m.factor) for m in (scenario.arrivals[i].multipliers[j] for i, j, _ in entries))
        )
        label = kinds[0][0] if len(kinds) == 1 else ""
        if len(kinds) == 1:
            what = _multiplier_name(*kinds[0])
        else:  # one change of several parts, e.g. attendances and admissions of one month
            parts = ", ".join(f"'{lab}' x{f:g}" if lab else f"x{f:g}" for lab, f in kinds[:4])
            what = f"the change in arrivals ({parts}{', ...' if len(kinds) > 4 else ''})"
        placement, message, measured = _period_sentence(what[:1].upper() + what[1:], start, end, w)
        streams = ", ".join(name for _, _, name in entries)
        if len(entries) > 1:
            message += f" It applies to {len(entries)} arrival streams ({streams})."
        fields = tuple(("arrivals", i, "multipliers", j) for i, j, _ in entries)
        paths = tuple(_dotted(f) + f" ({name})" for f, (_, _, name) in zip(fields, entries, strict=True))
        out.append(DateProblem("arrivals", placement, message, start, end, None, label, measured, paths, fields))
    for u, spec in scenario.units.items():
        for j, ch in enumerate(spec.capacity_changes):
            field = ("units", u, "capacity_changes", j, "at")
            path = (_dotted(field),)
            what = f"{u} changes to {ch.beds} beds on {_day(ch.at)}"
            if ch.at < w.measured_from:
                most = _at_most_warmup(ch.at, w)
                fix = (
                    f"To measure the change, shorten the warm-up to {most} days or less, or date it later."
                    if most is not None
                    else "Date it on or after the start of the simulation to measure the change."
                )
                message = (
                    f"{what}, before measurement starts on {_day(w.measured_from)}: the run measures only the new "
                    f"number of beds, not the change. {fix}"
                )
                out.append(DateProblem("capacity", "in_warmup", message, ch.at, None, u, "", 0.0, path, (field,)))
            elif ch.at >= w.end:
                need = _measure_at_least(ch.at, w) + 1
                message = (
                    f"{what}, after the run ends on {_day(w.end)}: it will not be simulated. Measure at least "
                    f"{need} days, or date it earlier."
                )
                out.append(DateProblem("capacity", "after_end", message, ch.at, None, u, "", 0.0, path, (field,)))
    if scenario.staffing is not None and scenario.staffing.roster:
        roster = scenario.staffing.roster
        early = [i for i, e in enumerate(roster) if e.date < w.measured_from.date()]
        late = [i for i, e in enumerate(roster) if _as_datetime(e.date) >= w.end]
        for idx, placement, where in (
            (early, "in_warmup", f"before measurement starts on {_day(w.measured_from)}: they will not be measured"),
            (late, "after_end", f"after the run ends on {_day(w.end)}: they will not be simulated"),
        ):
            if not idx:
                continue
            dates = sorted(roster[i].date for i in idx)
            n = len(idx)
            message = (
                f"{n} rostered shift{'s' if n > 1 else ''} ({_day(dates[0])} to {_day(dates[-1])}) fall{'' if n > 1 else 's'} "
                f"{where}. Change the warm-up or the days measured, or the roster's dates."
            )
            paths = tuple(_dotted(("staffing", "roster", i)) for i in idx)
            out.append(
                DateProblem(
                    "roster",
                    placement,  # type: ignore[arg-type]
                    message,
                    _as_datetime(dates[0]),
                    _as_datetime(dates[-1]),
                    paths=paths,
                    fields=tuple(("staffing", "roster", i) for i in idx),
                )
            )
    return out
