"""Roster inputs: staff, leave, requests and cover requirements, validated row by row.

Each table arrives as records (from a DataFrame, or from :mod:`hospital_twin.roster.io`
which reads CSV or YAML) and leaves as a validated, typed table. Every problem found is
reported as a :class:`Problem` naming the row (0-based record index) and the field, so the
reader can turn it into ``file:line: field: message``; nothing is silently dropped.

Owns: :class:`StaffMember`, :class:`StaffTable`, :class:`LeaveRow`, :class:`RequestRow`,
:class:`RequirementRow` and the ``validate_*`` functions. Must not read files, import YAML or
import OR-Tools.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "Problem",
    "RosterInputError",
    "StaffMember",
    "StaffTable",
    "LeaveRow",
    "RequestRow",
    "RequirementRow",
    "validate_staff",
    "validate_leave",
    "validate_requests",
    "validate_requirements",
    "validate_history",
    "HistoryRow",
    "HISTORY_COLUMNS",
    "DEFAULT_TIME_ZONE",
    "STAFF_COLUMNS",
    "LEAVE_COLUMNS",
    "REQUEST_COLUMNS",
    "REQUIREMENT_COLUMNS",
]

DEFAULT_TIME_ZONE = "Europe/London"
STAFF_COLUMNS = [
    "staff_id",
    "name",
    "grade",
    "skills",
    "home_unit",
    "float_pool",
    "contract_hours_per_week",
    "max_nights_per_4w",
    "time_zone",
]
LEAVE_COLUMNS = ["staff_id", "from", "to", "kind"]
REQUEST_COLUMNS = ["staff_id", "date", "shift", "wish", "weight"]
REQUIREMENT_COLUMNS = ["date", "unit", "shift", "skill", "min", "target"]
HISTORY_COLUMNS = ["staff_id", "name", "date", "shift", "unit", "start", "end"]
"""What each person worked before the roster's first day: the columns of a roster's own ``roster.csv``."""
ANY_SKILL = "any"


@dataclass(frozen=True)
class Problem:
    """One bad input value: the table, the 0-based record index (None for the whole table), the field."""

    table: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.table} row {self.row + 1}" if self.row is not None else self.table
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class RosterInputError(ValueError):
    """Roster inputs that cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------- value parsing
def _blank(v: Any) -> bool:
    return (
        v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or (v is pd.NaT)
    )


def _as_text(v: Any) -> str:
    """A text cell: blank as "", a whole float (a spreadsheet's 1017.0) as its integer, stripped."""
    if _blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _as_date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise ValueError(f"a date YYYY-MM-DD is expected (got {v!r})")


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if _blank(v):
        return False
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    s = str(v).strip().lower()
    if s in {"true", "yes", "y", "1"}:
        return True
    if s in {"false", "no", "n", "0"}:
        return False
    raise ValueError(f"true or false is expected (got {v!r})")


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StaffMember(_Row):
    """One member of staff. ``contract_hours_per_week`` in hours; ``max_nights_per_4w`` a hard cap."""

    staff_id: str = Field(min_length=1)
    name: str = ""
    grade: str = ""
    skills: tuple[str, ...] = Field(min_length=1)
    home_unit: str = Field(min_length=1)
    float_pool: bool = False
    contract_hours_per_week: float = Field(ge=0, le=168)
    max_nights_per_4w: int | None = Field(None, ge=0, le=28)
    time_zone: str = DEFAULT_TIME_ZONE

    @field_validator("staff_id", "name", "grade", "home_unit", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _as_text(v)

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, v: Any) -> Any:
        if _blank(v):
            return ()
        if isinstance(v, str):
            parts = [p.strip() for p in v.split(";")]
        elif isinstance(v, Iterable):
            parts = [str(p).strip() for p in v]
        else:
            raise ValueError(f"semicolon-separated skills are expected (got {v!r})")
        parts = [p for p in parts if p]
        if ANY_SKILL in parts:
            raise ValueError(f"'{ANY_SKILL}' is reserved for requirements that any skill can meet")
        return tuple(dict.fromkeys(parts))

    @field_validator("float_pool", mode="before")
    @classmethod
    def _float_pool(cls, v: Any) -> bool:
        return _as_bool(v)

    @field_validator("max_nights_per_4w", mode="before")
    @classmethod
    def _optional_int(cls, v: Any) -> Any:
        if _blank(v):
            return None
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
        return v

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, v: Any) -> str:
        if _blank(v):
            return DEFAULT_TIME_ZONE
        try:
            ZoneInfo(str(v).strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (an IANA name such as Europe/London is expected)") from None
        return str(v).strip()

    @model_validator(mode="after")
    def _grade_default(self) -> StaffMember:
        if not self.grade:
            object.__setattr__(self, "grade", self.skills[0])
        if not self.name:
            object.__setattr__(self, "name", self.staff_id)
        return self


class StaffTable:
    """The validated staff list, in input order; ``by_id`` maps ``staff_id`` to :class:`StaffMember`."""

    def __init__(self, members: list[StaffMember]):
        self.members = list(members)
        self.by_id = {m.staff_id: m for m in self.members}

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self):
        return iter(self.members)


class LeaveRow(_Row):
    """Leave or unavailability of one member from ``from_date`` to ``to_date`` inclusive."""

    staff_id: str = Field(min_length=1)
    from_date: dt.date = Field(alias="from")
    to_date: dt.date = Field(alias="to")
    kind: str = "leave"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("staff_id", "kind", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return "" if _blank(v) else str(v).strip()

    @field_validator("from_date", "to_date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> dt.date:
        return _as_date(v)

    @model_validator(mode="after")
    def _order(self) -> LeaveRow:
        if self.to_date < self.from_date:
            raise ValueError(f"'to' ({self.to_date}) is before 'from' ({self.from_date})")
        if not self.kind:
            object.__setattr__(self, "kind", "leave")
        return self


class RequestRow(_Row):
    """A wish to work (``on``) or not to work (``off``) a shift (or any shift: ``any``/``off``) on a date."""

    staff_id: str = Field(min_length=1)
    date: dt.date
    shift: str = Field(min_length=1)
    wish: Literal["on", "off"]
    weight: float = Field(1.0, gt=0, description="points (rounded to 0.1) x rules.requests.weight")

    @field_validator("staff_id", "shift", "wish", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        if _blank(v):
            return ""
        if isinstance(v, bool):  # YAML 1.1 reads unquoted on/off as true/false
            return "on" if v else "off"
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v).strip()
        return s.lower() if s.lower() in {"on", "off", "any"} else s

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> dt.date:
        return _as_date(v)

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, v: Any) -> Any:
        if _blank(v):
            return 1.0
        try:
            return round(float(v) * 10) / 10  # 0.1 point, so the solver's integer objective is exact
        except (TypeError, ValueError):
            return v

    @model_validator(mode="after")
    def _meaning(self) -> RequestRow:
        if self.wish == "on" and self.shift == "off":
            raise ValueError("wish 'on' with shift 'off' means nothing; use shift 'any' to ask to work")
        return self


class RequirementRow(_Row):
    """Cover for one unit, shift, skill and date: ``min`` people (hard) and ``target`` (soft)."""

    date: dt.date
    unit: str = Field(min_length=1)
    shift: str = Field(min_length=1)
    skill: str = Field(min_length=1)
    min: int = Field(ge=0)
    target: int = Field(ge=0)

    @field_validator("unit", "shift", "skill", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return "" if _blank(v) else str(v).strip()

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> dt.date:
        return _as_date(v)

    @field_validator("min", "target", mode="before")
    @classmethod
    def _count(cls, v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
        return v

    @model_validator(mode="after")
    def _target(self) -> RequirementRow:
        if self.target < self.min:
            raise ValueError(f"target ({self.target}) is below min ({self.min})")
        return self


class HistoryRow(_Row):
    """A shift worked before the roster's first day (one row of a previous ``roster.csv``).

    ``name``, ``unit``, ``start`` and ``end`` are optional; ``start`` and ``end``, when given,
    are ISO 8601 times and must agree with the shift's date and clock times.
    """

    staff_id: str = Field(min_length=1)
    name: str = ""
    date: dt.date
    shift: str = Field(min_length=1)
    unit: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    @field_validator("staff_id", "name", "shift", "unit", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _as_text(v)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> dt.date:
        return _as_date(v)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time(cls, v: Any) -> Any:
        if _blank(v):
            return None
        if isinstance(v, str):
            try:
                return dt.datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(
                    f"an ISO 8601 time such as 2025-01-05T21:30:00+00:00 is expected (got {v!r})"
                ) from None
        return v

    @model_validator(mode="after")
    def _order(self) -> HistoryRow:
        if self.start is not None and self.start.date() != self.date:
            raise ValueError(f"start {self.start.isoformat()} is not on the row's date {self.date}")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start {self.start.isoformat()}")
        return self


# --------------------------------------------------------------------------- validation
def _records(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(data, pd.DataFrame):
        return [{str(k): v for k, v in r.items()} for r in data.to_dict(orient="records")]
    return [dict(r) for r in data]


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown column"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if "input" in err and err["type"] not in {"value_error"} and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def _validate_rows(
    table: str,
    model: type[_Row],
    records: list[dict[str, Any]],
    fields: list[str],
    problems: list[Problem],
    defaults: dict[str, Any] | None = None,
) -> list[Any]:
    out = []
    for i, rec in enumerate(records):
        rec = {k: v for k, v in rec.items() if not (k in (defaults or {}) and _blank(v))}
        for k, v in (defaults or {}).items():
            rec.setdefault(k, v)
        try:
            out.append(model.model_validate(rec))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(x) for x in err["loc"] if isinstance(x, str)]
                field = loc[0] if loc else ""
                field = {"from_date": "from", "to_date": "to"}.get(field, field)
                problems.append(Problem(table, i, field, _message(err)))
    return out


def validate_staff(data: pd.DataFrame | Iterable[Mapping[str, Any]], *, table: str = "staff") -> StaffTable:
    """Validate staff records (columns :data:`STAFF_COLUMNS`; ``grade`` or ``skills`` may stand alone).

    ``skills`` is semicolon-separated; without it the grade is the one skill. Without a
    grade, the first skill is the grade. Raises :class:`RosterInputError`.
    """
    records = _records(data)
    problems: list[Problem] = []
    prepared = []
    for rec in records:
        rec = dict(rec)
        if _blank(rec.get("skills")) and not _blank(rec.get("grade")):
            rec["skills"] = rec["grade"]
        prepared.append(rec)
    members = _validate_rows(table, StaffMember, prepared, STAFF_COLUMNS, problems)
    seen: dict[str, int] = {}
    for i, rec in enumerate(prepared):
        sid = rec.get("staff_id")
        sid = None if _blank(sid) else str(int(sid) if isinstance(sid, float) and sid.is_integer() else sid).strip()
        if sid is None:
            continue
        if sid in seen:
            problems.append(Problem(table, i, "staff_id", f"duplicate staff_id '{sid}' (first in row {seen[sid] + 1})"))
        else:
            seen[sid] = i
    if not records:
        problems.append(Problem(table, None, "", "no staff"))
    if problems:
        raise RosterInputError(problems)
    return StaffTable(members)


def _unknown_staff(
    table: str, rows: list[Any], staff: StaffTable | None, problems: list[Problem], index: list[int]
) -> None:
    if staff is None:
        return
    for i, r in zip(index, rows, strict=True):
        if r.staff_id not in staff.by_id:
            problems.append(Problem(table, i, "staff_id", f"unknown staff_id '{r.staff_id}'"))


def _validated(
    table: str,
    model: type[_Row],
    records: list[dict[str, Any]],
    fields: list[str],
    defaults: dict[str, Any] | None = None,
) -> tuple[list[Any], list[int], list[Problem]]:
    problems: list[Problem] = []
    rows: list[Any] = []
    index: list[int] = []
    for i, rec in enumerate(records):
        before = len(problems)
        got = _validate_rows(table, model, [rec], fields, problems, defaults)
        problems[before:] = [Problem(p.table, i, p.field, p.message) for p in problems[before:]]
        if got:
            rows.append(got[0])
            index.append(i)
    return rows, index, problems


def validate_leave(
    data: pd.DataFrame | Iterable[Mapping[str, Any]] | None, staff: StaffTable | None = None, *, table: str = "leave"
) -> pd.DataFrame:
    """Validate leave records (``staff_id, from, to, kind``; dates inclusive) into a DataFrame."""
    if data is None:
        return pd.DataFrame(columns=LEAVE_COLUMNS)
    rows, index, problems = _validated(table, LeaveRow, _records(data), LEAVE_COLUMNS)
    _unknown_staff(table, rows, staff, problems, index)
    if problems:
        raise RosterInputError(problems)
    return pd.DataFrame(
        [{"staff_id": r.staff_id, "from": r.from_date, "to": r.to_date, "kind": r.kind} for r in rows],
        columns=LEAVE_COLUMNS,
    )


def validate_requests(
    data: pd.DataFrame | Iterable[Mapping[str, Any]] | None,
    staff: StaffTable | None = None,
    shifts: Iterable[str] | None = None,
    *,
    table: str = "requests",
) -> pd.DataFrame:
    """Validate requests (``staff_id, date, shift, wish, weight``); ``shift`` is a shift name, ``any`` or ``off``."""
    if data is None:
        return pd.DataFrame(columns=REQUEST_COLUMNS)
    rows, index, problems = _validated(table, RequestRow, _records(data), REQUEST_COLUMNS)
    _unknown_staff(table, rows, staff, problems, index)
    if shifts is not None:
        known = set(shifts) | {"any", "off"}
        for i, r in zip(index, rows, strict=True):
            if r.shift not in known:
                problems.append(
                    Problem(table, i, "shift", f"unknown shift '{r.shift}' (known: {', '.join(sorted(known))})")
                )
    if problems:
        raise RosterInputError(problems)
    return pd.DataFrame([r.model_dump() for r in rows], columns=REQUEST_COLUMNS)


def validate_requirements(
    data: pd.DataFrame | Iterable[Mapping[str, Any]],
    shifts: Iterable[str] | None = None,
    *,
    table: str = "requirements",
) -> pd.DataFrame:
    """Validate cover requirements (``date, unit, shift, skill, min, target``); ``target`` defaults to ``min``.

    ``skill`` is a skill name or ``any`` (anyone on the unit counts). A (date, unit, shift,
    skill) given twice is an error.
    """
    records = _records(data)
    for rec in records:
        if _blank(rec.get("target")) and not _blank(rec.get("min")):
            rec["target"] = rec["min"]
        if _blank(rec.get("skill")):
            rec["skill"] = ANY_SKILL
    rows, index, problems = _validated(table, RequirementRow, records, REQUIREMENT_COLUMNS)
    known = set(shifts) if shifts is not None else None
    seen: dict[tuple, int] = {}
    for i, r in zip(index, rows, strict=True):
        if known is not None and r.shift not in known:
            problems.append(
                Problem(table, i, "shift", f"unknown shift '{r.shift}' (known: {', '.join(sorted(known))})")
            )
        key = (r.date, r.unit, r.shift, r.skill)
        if key in seen:
            problems.append(
                Problem(
                    table,
                    i,
                    "skill",
                    f"{r.date} {r.unit} {r.shift} {r.skill} given twice (first in row {seen[key] + 1})",
                )
            )
        else:
            seen[key] = i
    if problems:
        raise RosterInputError(problems)
    return pd.DataFrame([r.model_dump() for r in rows], columns=REQUIREMENT_COLUMNS)


def validate_history(
    data: pd.DataFrame | Iterable[Mapping[str, Any]] | None,
    shifts: Mapping[str, Any] | Iterable[str] | None = None,
    *,
    start_date: dt.date | None = None,
    table: str = "history",
) -> pd.DataFrame:
    """Validate shifts worked before the roster (``staff_id, date, shift[, name, unit, start, end]``).

    Every date must be before ``start_date``, a person works one shift a day, and the shift
    must be known; with clock times (``shifts``: name -> object with ``start``, ``HH:MM``) a
    given ``start`` must show that clock time. Staff not in the staff table are not an error
    here (a previous roster may name people who have left); :func:`build_roster` notes them.
    Returns ``staff_id, date, shift, unit`` sorted by staff and date.
    """
    cols = ["staff_id", "date", "shift", "unit"]
    if data is None:
        return pd.DataFrame(columns=cols)
    rows, index, problems = _validated(table, HistoryRow, _records(data), HISTORY_COLUMNS)
    known = None if shifts is None else (dict(shifts) if isinstance(shifts, Mapping) else dict.fromkeys(shifts))
    seen: dict[tuple[str, dt.date], int] = {}
    for i, r in zip(index, rows, strict=True):
        if known is not None and r.shift not in known:
            problems.append(
                Problem(table, i, "shift", f"unknown shift '{r.shift}' (known: {', '.join(sorted(known))})")
            )
        elif known is not None and r.start is not None and getattr(known[r.shift], "start", None) is not None:
            clock = known[r.shift].start
            if r.start.strftime("%H:%M") != clock:
                problems.append(
                    Problem(
                        table,
                        i,
                        "start",
                        f"{r.start.isoformat()} does not start at {clock}, the clock time of shift '{r.shift}'",
                    )
                )
        if start_date is not None and r.date >= start_date:
            problems.append(
                Problem(
                    table,
                    i,
                    "date",
                    f"{r.date} is not before the roster's first day {start_date}: history is what was worked before it",
                )
            )
        key = (r.staff_id, r.date)
        if key in seen:
            problems.append(
                Problem(table, i, "date", f"{r.staff_id} has two shifts on {r.date} (first in row {seen[key] + 1})")
            )
        else:
            seen[key] = i
    if problems:
        raise RosterInputError(problems)
    out = pd.DataFrame(
        [{"staff_id": r.staff_id, "date": r.date, "shift": r.shift, "unit": r.unit} for r in rows], columns=cols
    )
    return out.sort_values(["staff_id", "date"], kind="stable").reset_index(drop=True)
