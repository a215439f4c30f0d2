"""Reading roster inputs: staff, leave, requests and requirements (CSV or YAML) and rules (YAML).

Every problem is reported with the file, the line and the field (``staff.csv:7:
contract_hours_per_week: Input should be a valid number``) through
:class:`RosterFileError`, a :class:`~hospital_twin.scenario.io.ScenarioError`, so the
command line exits with status 2 and no traceback. Nothing is dropped silently: an
unknown column is an error, not ignored.

A table in YAML is a list of mappings, or a mapping with one key (``staff:``,
``leave:``, ``requests:``, ``requirements:``, ``history:``) holding that list.

Owns: ``read_staff``, ``read_leave``, ``read_requests``, ``read_requirements``, ``read_history``,
``read_rules``, ``read_shifts``. This is an edge module: it reads files and validates
through :mod:`hospital_twin.roster.staff` and :mod:`hospital_twin.roster.rules`. Must not
solve (no OR-Tools, no model).
"""

from __future__ import annotations

import csv
import difflib
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from hospital_twin.roster.rules import RosterRules
from hospital_twin.roster.staff import (
    HISTORY_COLUMNS,
    LEAVE_COLUMNS,
    REQUEST_COLUMNS,
    REQUIREMENT_COLUMNS,
    STAFF_COLUMNS,
    RosterInputError,
    StaffTable,
    validate_history,
    validate_leave,
    validate_requests,
    validate_requirements,
    validate_staff,
)
from hospital_twin.scenario.errors import Issue, ScenarioError
from hospital_twin.scenario.safe_yaml import compose

__all__ = [
    "RosterFileError",
    "read_staff",
    "read_leave",
    "read_requests",
    "read_requirements",
    "read_rules",
    "read_shifts",
    "read_records",
    "read_history",
]


class RosterFileError(ScenarioError):
    """A roster input file that cannot be used; ``issues`` lists every problem with file, line and field."""


class _Located:
    """Records read from a file and the line of each record (and of each field, for YAML)."""

    def __init__(self, records: list[dict[str, Any]], record_lines: list[int], field_lines: list[dict[str, int]]):
        self.records = records
        self.record_lines = record_lines
        self.field_lines = field_lines

    def line(self, row: int | None, field: str) -> int | None:
        if row is None or row >= len(self.records):
            return None
        return self.field_lines[row].get(field, self.record_lines[row])


def _read_csv(path: Path, file: str, columns: list[str]) -> _Located:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterFileError([Issue(file, None, "", f"cannot read the file ({exc.strerror or exc})")]) from None
    except UnicodeDecodeError:
        raise RosterFileError([Issue(file, None, "", "not UTF-8 text; save the file as UTF-8 CSV")]) from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise RosterFileError([Issue(file, None, "", "the file is empty; a header line is expected")]) from None
    header = [h.strip() for h in header]
    issues = _header_issues(header, columns, file, 1)
    if issues:
        raise RosterFileError(issues)
    records, lines = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            issues.append(Issue(file, reader.line_num, "", f"{len(row)} values for {len(header)} columns"))
            continue
        records.append({h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h})
        lines.append(reader.line_num)
    if issues:
        raise RosterFileError(issues)
    return _Located(records, lines, [{} for _ in records])


def _header_issues(header: list[str], columns: list[str], file: str, line: int | None) -> list[Issue]:
    issues = []
    for h in header:
        if h and h not in columns:
            close = difflib.get_close_matches(h, columns, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (expected some of: {', '.join(columns)})"
            issues.append(Issue(file, line, h, f"unknown column{hint}"))
    dupes = {h for h in header if header.count(h) > 1 and h}
    issues += [Issue(file, line, h, "column given twice") for h in sorted(dupes)]
    return issues


def _yaml_node(path: Path, file: str) -> yaml.Node | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RosterFileError([Issue(file, None, "", f"cannot read the file ({exc.strerror or exc})")]) from None
    try:
        return compose(text, file)  # size, nesting and alias-bomb checks, as for scenarios
    except RosterFileError:
        raise
    except ScenarioError as exc:
        raise RosterFileError(exc.issues) from None


def _construct(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_document(node)


def _read_yaml_table(path: Path, file: str, key: str, columns: list[str]) -> _Located:
    node = _yaml_node(path, file)
    if isinstance(node, yaml.MappingNode) and len(node.value) == 1 and node.value[0][0].value == key:
        node = node.value[0][1]
    if not isinstance(node, yaml.SequenceNode):
        line = node.start_mark.line + 1 if node is not None else None
        raise RosterFileError([Issue(file, line, "", f"a list of {key} records is expected (or '{key}:' holding one)")])
    records, lines, fields = [], [], []
    issues = []
    for item in node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            issues.append(Issue(file, line, "", "each record must be a mapping of field: value"))
            continue
        where = {}
        for k, _v in item.value:
            where[str(k.value)] = k.start_mark.line + 1
        rec = _construct(item)
        issues += _header_issues([str(k) for k in rec], columns, file, line)
        records.append({str(k): v for k, v in rec.items()})
        lines.append(line)
        fields.append(where)
    if issues:
        raise RosterFileError(issues)
    return _Located(records, lines, fields)


def read_records(path: str | Path, key: str, columns: list[str]) -> tuple[list[dict[str, Any]], _Located]:
    """Raw records of a CSV or YAML table (by suffix) with their line numbers."""
    p = Path(path)
    file = str(path)
    if p.suffix.lower() in (".yaml", ".yml"):
        located = _read_yaml_table(p, file, key, columns)
    else:
        located = _read_csv(p, file, columns)
    return located.records, located


def _located_error(exc: RosterInputError, located: _Located, file: str) -> RosterFileError:
    issues = [Issue(file, located.line(p.row, p.field), p.field, p.message) for p in exc.problems]
    return RosterFileError(issues)


def read_staff(path: str | Path) -> StaffTable:
    """Staff (``staff_id, name, grade, skills, home_unit, float_pool, contract_hours_per_week,
    max_nights_per_4w, time_zone``)."""
    records, located = read_records(path, "staff", STAFF_COLUMNS)
    try:
        return validate_staff(records)
    except RosterInputError as exc:
        raise _located_error(exc, located, str(path)) from None


def read_leave(path: str | Path, staff: StaffTable | None = None) -> pd.DataFrame:
    """Leave (``staff_id, from, to, kind``; dates inclusive); unknown staff are errors when ``staff`` is given."""
    records, located = read_records(path, "leave", LEAVE_COLUMNS)
    try:
        return validate_leave(records, staff)
    except RosterInputError as exc:
        raise _located_error(exc, located, str(path)) from None


def read_requests(path: str | Path, staff: StaffTable | None = None, shifts=None) -> pd.DataFrame:
    """Requests (``staff_id, date, shift, wish, weight``); ``shift`` a shift name, ``any`` or ``off``."""
    records, located = read_records(path, "requests", REQUEST_COLUMNS)
    try:
        return validate_requests(records, staff, shifts)
    except RosterInputError as exc:
        raise _located_error(exc, located, str(path)) from None


def read_requirements(path: str | Path, shifts=None) -> pd.DataFrame:
    """Cover requirements (``date, unit, shift, skill, min, target``)."""
    records, located = read_records(path, "requirements", REQUIREMENT_COLUMNS)
    try:
        return validate_requirements(records, shifts)
    except RosterInputError as exc:
        raise _located_error(exc, located, str(path)) from None


def read_history(path: str | Path, shifts=None, start_date=None) -> pd.DataFrame:
    """Shifts worked before the roster (``staff_id, date, shift[, name, unit, start, end]``): a previous
    roster's ``roster.csv`` reads as it is. ``shifts`` (clock times) check the shift names and the
    ``start`` times; every date must be before ``start_date``."""
    records, located = read_records(path, "history", HISTORY_COLUMNS)
    clocks = None
    if shifts is not None:
        from hospital_twin.roster.rules import shift_clocks

        clocks = shift_clocks(shifts)
    try:
        return validate_history(records, clocks, start_date=start_date)
    except RosterInputError as exc:
        raise _located_error(exc, located, str(path)) from None


def _lines(node: yaml.Node, path: tuple, out: dict[tuple, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out[path + (str(k.value),)] = k.start_mark.line + 1
            _lines(v, path + (str(k.value),), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _lines(item, path + (i,), out)


def read_rules(path: str | Path) -> RosterRules:
    """Roster rules from YAML; absent keys take their defaults, an empty file gives the defaults."""
    file = str(path)
    node = _yaml_node(Path(path), file)
    if node is None:
        return RosterRules()
    if not isinstance(node, yaml.MappingNode):
        raise RosterFileError([Issue(file, node.start_mark.line + 1, "", "rules must be a YAML mapping")])
    lines: dict[tuple, int] = {}
    _lines(node, (), lines)
    data = _construct(node)
    try:
        return RosterRules.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and ("[" in x or x.startswith("function"))))
            line = None
            for n in range(len(loc), 0, -1):
                line = lines.get(tuple(str(x) if isinstance(x, str) else x for x in loc[:n]))
                if line is not None:
                    break
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
                close = difflib.get_close_matches(str(loc[-1]), list(RosterRules.model_fields), n=1)
                if close and len(loc) == 1:
                    msg += f"; did you mean '{close[0]}'?"
            elif err["type"] == "missing":
                msg = "required field is missing"
            issues.append(Issue(file, line, ".".join(str(x) for x in loc), msg))
        raise RosterFileError(issues) from None


def read_shifts(scenario_path: str | Path) -> dict[str, tuple[str, str]]:
    """Shift clock times from a scenario file's ``shifts`` (``name -> (start, end)``)."""
    from hospital_twin.scenario.io import load_scenario

    scn = load_scenario(scenario_path)
    if not scn.shifts:
        raise RosterFileError([Issue(str(scenario_path), None, "shifts", "the scenario defines no shifts")])
    return {name: (s.start, s.end) for name, s in scn.shifts.items()}
