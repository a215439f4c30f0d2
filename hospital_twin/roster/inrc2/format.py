"""INRC-II nurse rostering instances: the competition's text files and the static problem.

The Second International Nurse Rostering Competition (Ceschia et al. 2015, arXiv:1501.04177)
describes a ward by a *scenario* (skills, shift types, forbidden successions, contracts,
nurses), an initial *history* (per nurse: counters and the last run before day 0) and one
*week data* file per week (coverage requirements per day, shift and skill; shift-off
requests). A solution assigns each nurse at most one (shift, skill) per day.

Here the problem is **static**: all weeks are known and the cost is evaluated over the whole
horizon, continuing the history's runs at day 0, as the official validator does when it is
given all weeks at once. Days are numbered 0 .. 7*weeks-1 from the first Monday. What a roster
costs is :mod:`hospital_twin.roster.inrc2.evaluate`.

The parsers take text and a file name (for messages) and the writer returns text: reading
and writing files is left to :func:`read_instance` / :func:`read_solution_files` and the
command line.

Owns: the domain objects (:class:`Scenario`, :class:`History`, :class:`WeekData`,
:class:`Instance`, :class:`Assignment`), the parsers, :class:`Inrc2FormatError`, solution text and
file names. Imports nothing else from the package (every other module builds on it); no OR-Tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "DAY_NAMES",
    "Inrc2FormatError",
    "ShiftType",
    "Contract",
    "Nurse",
    "NurseHistory",
    "Scenario",
    "History",
    "WeekData",
    "Instance",
    "Assignment",
    "parse_scenario",
    "parse_history",
    "parse_week_data",
    "parse_solution",
    "build_instance",
    "read_instance",
    "read_solution_files",
    "solution_text",
    "solution_file_name",
]

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Inrc2FormatError(ValueError):
    """A malformed INRC-II file; the message names the file, the line and what is wrong."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line = file, line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------- domain objects
@dataclass(frozen=True)
class ShiftType:
    """A shift type and its preferred run length of consecutive same-shift days."""

    name: str
    min_consecutive: int
    max_consecutive: int


@dataclass(frozen=True)
class Contract:
    """Contract limits; assignment and weekend totals are over the whole horizon."""

    name: str
    min_assignments: int
    max_assignments: int
    min_consecutive_work: int
    max_consecutive_work: int
    min_consecutive_off: int
    max_consecutive_off: int
    max_working_weekends: int
    complete_weekends: bool


@dataclass(frozen=True)
class Nurse:
    """A nurse: name, contract index and skill indices."""

    name: str
    contract: int
    skills: tuple[int, ...]


@dataclass(frozen=True)
class NurseHistory:
    """A nurse's state before day 0: counters and the run that ends on the last day before it.

    ``last_shift`` is a shift index or ``None`` (day off); ``consecutive_shift`` is the length
    of the run of ``last_shift``, ``consecutive_work`` / ``consecutive_off`` those of the
    working / off run ending the day before day 0 (one of the two is 0).
    """

    assignments: int
    working_weekends: int
    last_shift: int | None
    consecutive_shift: int
    consecutive_work: int
    consecutive_off: int


@dataclass(frozen=True)
class Scenario:
    """The ward: skills, shift types, forbidden successions, contracts and nurses."""

    name: str
    weeks: int
    skills: tuple[str, ...]
    shifts: tuple[ShiftType, ...]
    forbidden: tuple[frozenset[int], ...]
    """``forbidden[s]``: shift indices that may not follow shift ``s`` on the next day."""
    contracts: tuple[Contract, ...]
    nurses: tuple[Nurse, ...]


@dataclass(frozen=True)
class History:
    """An initial history file: its week index and one :class:`NurseHistory` per nurse."""

    week: int
    nurses: tuple[NurseHistory, ...]


@dataclass(frozen=True)
class WeekData:
    """One week: ``minimum[day][shift][skill]``, ``optimum[...]`` and shift-off requests.

    A request is ``(nurse, shift or None for Any, day of week 0..6)``.
    """

    minimum: tuple[tuple[tuple[int, ...], ...], ...]
    optimum: tuple[tuple[tuple[int, ...], ...], ...]
    requests: tuple[tuple[int, int | None, int], ...]


@dataclass(frozen=True)
class Instance:
    """A static instance: scenario, initial history and the week data of every week in order."""

    scenario: Scenario
    history: History
    weeks: tuple[WeekData, ...]
    week_files: tuple[str, ...] = ()
    """Index of each week's data file (``"1"`` for ``WD-n005w4-1.txt``), used to name solutions."""
    name: str = ""
    minimum: tuple = field(init=False, repr=False, compare=False)
    optimum: tuple = field(init=False, repr=False, compare=False)
    requests: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mins = tuple(day for w in self.weeks for day in w.minimum)
        opts = tuple(day for w in self.weeks for day in w.optimum)
        reqs = tuple((n, s, 7 * k + d) for k, w in enumerate(self.weeks) for n, s, d in w.requests)
        object.__setattr__(self, "minimum", mins)
        object.__setattr__(self, "optimum", opts)
        object.__setattr__(self, "requests", reqs)

    @property
    def n_days(self) -> int:
        """Days in the horizon (7 per week)."""
        return 7 * len(self.weeks)

    @property
    def n_nurses(self) -> int:
        return len(self.scenario.nurses)

    @property
    def n_shifts(self) -> int:
        return len(self.scenario.shifts)

    @property
    def n_skills(self) -> int:
        return len(self.scenario.skills)


class Assignment(NamedTuple):
    """Nurse ``nurse`` works shift ``shift`` with skill ``skill`` on day ``day`` (all indices)."""

    nurse: int
    day: int
    shift: int
    skill: int


# --------------------------------------------------------------------------- parsing
class _Lines:
    """Non-blank lines of a text with their 1-based line numbers, read in order."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.items = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
        self.pos = 0

    def next(self, what: str) -> tuple[int, str]:
        if self.pos >= len(self.items):
            raise Inrc2FormatError(self.file, None, f"unexpected end of file, expected {what}")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def peek(self) -> tuple[int, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def error(self, line: int, message: str) -> Inrc2FormatError:
        return Inrc2FormatError(self.file, line, message)

    def header(self, keyword: str) -> None:
        no, text = self.next(keyword)
        if text.split("=")[0].strip() != keyword:
            raise self.error(no, f"expected '{keyword}', got '{text}'")

    def count(self, keyword: str) -> int:
        no, text = self.next(f"'{keyword} = n'")
        m = re.fullmatch(rf"{keyword}\s*=\s*(\d+)", text)
        if not m:
            raise self.error(no, f"expected '{keyword} = n', got '{text}'")
        return int(m.group(1))


_PAIR = re.compile(r"\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)")


def _pair(lines: _Lines, no: int, token: str, what: str) -> tuple[int, int]:
    m = _PAIR.fullmatch(token)
    if not m:
        raise lines.error(no, f"{what}: expected '(a,b)', got '{token}'")
    return int(m.group(1)), int(m.group(2))


def _int(lines: _Lines, no: int, token: str, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise lines.error(no, f"{what}: expected an integer, got '{token}'") from None


def _index(lines: _Lines, no: int, names: dict[str, int], token: str, what: str) -> int:
    if token not in names:
        raise lines.error(no, f"unknown {what} '{token}' (known: {', '.join(names)})")
    return names[token]


def parse_scenario(text: str, file: str = "scenario") -> Scenario:
    """Parse a scenario file (``Sc-<dataset>.txt``)."""
    ln = _Lines(text, file)
    no, first = ln.next("'SCENARIO = name'")
    m = re.fullmatch(r"SCENARIO\s*=\s*(\S+)", first)
    if not m:
        raise ln.error(no, f"expected 'SCENARIO = name', got '{first}'")
    name = m.group(1)
    weeks = ln.count("WEEKS")
    skills = tuple(ln.next("a skill name")[1].split()[0] for _ in range(ln.count("SKILLS")))
    skill_ix = {s: i for i, s in enumerate(skills)}
    shifts = []
    for _ in range(ln.count("SHIFT_TYPES")):
        no, text_ = ln.next("a shift type")
        parts = text_.split()
        if len(parts) != 2:
            raise ln.error(no, f"shift type: expected 'Name (min,max)', got '{text_}'")
        lo, hi = _pair(ln, no, parts[1], f"shift type {parts[0]}")
        shifts.append(ShiftType(parts[0], lo, hi))
    shift_ix = {s.name: i for i, s in enumerate(shifts)}
    ln.header("FORBIDDEN_SHIFT_TYPES_SUCCESSIONS")
    forbidden: list[frozenset[int]] = [frozenset()] * len(shifts)
    for _ in shifts:
        no, text_ = ln.next("a forbidden succession line")
        parts = text_.split()
        s = _index(ln, no, shift_ix, parts[0], "shift type")
        k = _int(ln, no, parts[1] if len(parts) > 1 else "", "number of forbidden successors")
        if len(parts) != 2 + k:
            raise ln.error(no, f"shift {parts[0]}: announces {k} forbidden successors, lists {len(parts) - 2}")
        forbidden[s] = frozenset(_index(ln, no, shift_ix, t, "shift type") for t in parts[2:])
    contracts = []
    for _ in range(ln.count("CONTRACTS")):
        no, text_ = ln.next("a contract")
        parts = text_.split()
        if len(parts) != 6:
            raise ln.error(no, f"contract: expected 'Name (a,b) (c,d) (e,f) maxWeekends complete', got '{text_}'")
        a = _pair(ln, no, parts[1], "assignments")
        c = _pair(ln, no, parts[2], "consecutive working days")
        o = _pair(ln, no, parts[3], "consecutive days off")
        contracts.append(
            Contract(
                parts[0],
                a[0],
                a[1],
                c[0],
                c[1],
                o[0],
                o[1],
                _int(ln, no, parts[4], "max working weekends"),
                _int(ln, no, parts[5], "complete weekends") == 1,
            )
        )
    contract_ix = {c.name: i for i, c in enumerate(contracts)}
    nurses = []
    for _ in range(ln.count("NURSES")):
        no, text_ = ln.next("a nurse")
        parts = text_.split()
        if len(parts) < 3:
            raise ln.error(no, f"nurse: expected 'Name Contract k skill...', got '{text_}'")
        k = _int(ln, no, parts[2], "number of skills")
        if len(parts) != 3 + k:
            raise ln.error(no, f"nurse {parts[0]}: announces {k} skills, lists {len(parts) - 3}")
        nurses.append(
            Nurse(
                parts[0],
                _index(ln, no, contract_ix, parts[1], "contract"),
                tuple(_index(ln, no, skill_ix, t, "skill") for t in parts[3:]),
            )
        )
    if len({n.name for n in nurses}) != len(nurses):
        raise Inrc2FormatError(file, None, "nurse names repeat")
    return Scenario(name, weeks, skills, tuple(shifts), tuple(forbidden), tuple(contracts), tuple(nurses))


def parse_history(text: str, scenario: Scenario, file: str = "history") -> History:
    """Parse an initial history file (``H0-<dataset>-<i>.txt``) against its scenario."""
    ln = _Lines(text, file)
    ln.header("HISTORY")
    no, text_ = ln.next("'week scenario'")
    parts = text_.split()
    week = _int(ln, no, parts[0], "week")
    if len(parts) < 2 or parts[1] != scenario.name:
        raise ln.error(no, f"history is for scenario '{' '.join(parts[1:])}', expected '{scenario.name}'")
    ln.header("NURSE_HISTORY")
    nurse_ix = {n.name: i for i, n in enumerate(scenario.nurses)}
    shift_ix = {s.name: i for i, s in enumerate(scenario.shifts)}
    found: dict[int, NurseHistory] = {}
    while ln.peek() is not None:
        no, text_ = ln.next("a nurse history")
        parts = text_.split()
        if len(parts) != 7:
            raise ln.error(
                no, f"nurse history: expected 'Nurse assignments weekends lastShift nShift nWork nOff', got '{text_}'"
            )
        n = _index(ln, no, nurse_ix, parts[0], "nurse")
        last = None if parts[3] == "None" else _index(ln, no, shift_ix, parts[3], "shift type")
        fields = (
            "assignments",
            "working weekends",
            "consecutive shifts",
            "consecutive working days",
            "consecutive days off",
        )
        vals = [_int(ln, no, t, f) for t, f in zip(parts[1:3] + parts[4:], fields, strict=False)]
        if n in found:
            raise ln.error(no, f"nurse {parts[0]} appears twice")
        found[n] = NurseHistory(vals[0], vals[1], last, vals[2], vals[3], vals[4])
    missing = [scenario.nurses[i].name for i in range(len(scenario.nurses)) if i not in found]
    if missing:
        raise Inrc2FormatError(file, None, f"no history for nurse(s) {', '.join(missing)}")
    return History(week, tuple(found[i] for i in range(len(scenario.nurses))))


def parse_week_data(text: str, scenario: Scenario, file: str = "week data") -> WeekData:
    """Parse a week data file (``WD-<dataset>-<i>.txt``): requirements and shift-off requests."""
    ln = _Lines(text, file)
    ln.header("WEEK_DATA")
    no, name = ln.next("the scenario name")
    if name != scenario.name:
        raise ln.error(no, f"week data is for scenario '{name}', expected '{scenario.name}'")
    ln.header("REQUIREMENTS")
    n_sh, n_sk = len(scenario.shifts), len(scenario.skills)
    mins = [[[0] * n_sk for _ in range(n_sh)] for _ in range(7)]
    opts = [[[0] * n_sk for _ in range(n_sh)] for _ in range(7)]
    shift_ix = {s.name: i for i, s in enumerate(scenario.shifts)}
    skill_ix = {s: i for i, s in enumerate(scenario.skills)}
    seen = set()
    while (nxt := ln.peek()) is not None and not nxt[1].startswith("SHIFT_OFF_REQUESTS"):
        no, text_ = ln.next("a requirement")
        parts = text_.split()
        if len(parts) != 9:
            raise ln.error(no, f"requirement: expected 'Shift Skill' and 7 '(min,opt)' pairs, got '{text_}'")
        s = _index(ln, no, shift_ix, parts[0], "shift type")
        k = _index(ln, no, skill_ix, parts[1], "skill")
        if (s, k) in seen:
            raise ln.error(no, f"requirement for {parts[0]} {parts[1]} repeated")
        seen.add((s, k))
        for d in range(7):
            lo, hi = _pair(ln, no, parts[2 + d], f"{DAY_NAMES[d]} requirement")
            if lo < 0 or hi < lo:
                raise ln.error(no, f"{DAY_NAMES[d]} requirement ({lo},{hi}): need 0 <= minimum <= optimum")
            mins[d][s][k], opts[d][s][k] = lo, hi
    nurse_ix = {n.name: i for i, n in enumerate(scenario.nurses)}
    day_ix = {d: i for i, d in enumerate(DAY_NAMES)}
    requests = []
    for _ in range(ln.count("SHIFT_OFF_REQUESTS")):
        no, text_ = ln.next("a shift-off request")
        parts = text_.split()
        if len(parts) != 3:
            raise ln.error(no, f"shift-off request: expected 'Nurse Shift|Any Day', got '{text_}'")
        n = _index(ln, no, nurse_ix, parts[0], "nurse")
        s = None if parts[1] == "Any" else _index(ln, no, shift_ix, parts[1], "shift type")
        requests.append((n, s, _index(ln, no, day_ix, parts[2], "day")))
    return WeekData(
        tuple(tuple(tuple(r) for r in day) for day in mins),
        tuple(tuple(tuple(r) for r in day) for day in opts),
        tuple(requests),
    )


def parse_solution(text: str, scenario: Scenario, file: str = "solution") -> tuple[int, list[Assignment]]:
    """Parse one week's solution file; returns its week index and assignments with days 0..6.

    Exactly the ``ASSIGNMENTS = k`` announced lines are read; anything after them (some
    published files end with ``Viol:``/``Cost:``/``Time:`` lines) is ignored.
    """
    ln = _Lines(text, file)
    ln.header("SOLUTION")
    no, text_ = ln.next("'week scenario'")
    parts = text_.split()
    week = _int(ln, no, parts[0], "week")
    if len(parts) < 2 or parts[1] != scenario.name:
        raise ln.error(no, f"solution is for scenario '{' '.join(parts[1:])}', expected '{scenario.name}'")
    nurse_ix = {n.name: i for i, n in enumerate(scenario.nurses)}
    shift_ix = {s.name: i for i, s in enumerate(scenario.shifts)}
    skill_ix = {s: i for i, s in enumerate(scenario.skills)}
    day_ix = {d: i for i, d in enumerate(DAY_NAMES)}
    out = []
    for _ in range(ln.count("ASSIGNMENTS")):
        no, text_ = ln.next("an assignment 'Nurse Day Shift Skill'")
        parts = text_.split()
        if len(parts) != 4:
            raise ln.error(no, f"assignment: expected 'Nurse Day Shift Skill', got '{text_}'")
        out.append(
            Assignment(
                _index(ln, no, nurse_ix, parts[0], "nurse"),
                _index(ln, no, day_ix, parts[1], "day"),
                _index(ln, no, shift_ix, parts[2], "shift type"),
                _index(ln, no, skill_ix, parts[3], "skill"),
            )
        )
    return week, out


def build_instance(
    scenario: Scenario, history: History, weeks: list[WeekData], week_files: list[str] | None = None, name: str = ""
) -> Instance:
    """Check the number of weeks against the scenario and assemble an :class:`Instance`."""
    if not weeks or len(weeks) > scenario.weeks:
        raise ValueError(f"scenario {scenario.name} has {scenario.weeks} weeks; got {len(weeks)} week data files")
    return Instance(scenario, history, tuple(weeks), tuple(week_files or ()), name)


def read_instance(dataset_dir: str | Path, history: int, weeks: list[int]) -> Instance:
    """Read ``Sc-<ds>.txt``, ``H0-<ds>-<history>.txt`` and ``WD-<ds>-<w>.txt`` from a dataset folder.

    The dataset name is the folder name. Raises :class:`FileNotFoundError` for a missing file,
    :class:`Inrc2FormatError` for a malformed one and :class:`ValueError` for a bad week count.
    """
    root = Path(dataset_dir)
    ds = root.name

    def text(name: str) -> tuple[str, str]:
        path = root / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        return path.read_text(), str(path)

    sc = parse_scenario(*text(f"Sc-{ds}.txt"))
    hist = parse_history(*_swap(text(f"H0-{ds}-{history}.txt"), sc))
    wds = [parse_week_data(*_swap(text(f"WD-{ds}-{w}.txt"), sc)) for w in weeks]
    return build_instance(sc, hist, wds, [str(w) for w in weeks], f"{ds}_{history}_{'-'.join(map(str, weeks))}")


def _swap(text_file: tuple[str, str], scenario: Scenario) -> tuple[str, Scenario, str]:
    return text_file[0], scenario, text_file[1]


def read_solution_files(paths: list[str | Path], instance: Instance) -> list[Assignment]:
    """Read one solution file per week (in any order) and return assignments on the horizon's days."""
    out: list[Assignment] = []
    weeks_seen = set()
    for p in paths:
        week, rows = parse_solution(Path(p).read_text(), instance.scenario, str(p))
        if not 0 <= week < len(instance.weeks):
            raise Inrc2FormatError(str(p), None, f"week {week} is outside the horizon 0..{len(instance.weeks) - 1}")
        if week in weeks_seen:
            raise Inrc2FormatError(str(p), None, f"a second solution for week {week}")
        weeks_seen.add(week)
        out += [a._replace(day=7 * week + a.day) for a in rows]
    return out


# --------------------------------------------------------------------------- writing
def solution_file_name(instance: Instance, week: int) -> str:
    """``Sol-<dataset>-<weekdatafile>-<week>.txt`` as in CONTRACTS section 7."""
    wd = instance.week_files[week] if week < len(instance.week_files) else str(week)
    return f"Sol-{instance.scenario.name}-{wd}-{week}.txt"


def solution_text(instance: Instance, assignments: list[Assignment], week: int) -> str:
    """One week's solution in the competition format (days of that week, nurse then day order)."""
    sc = instance.scenario
    rows = sorted(a for a in assignments if 7 * week <= a.day < 7 * week + 7)
    lines = ["SOLUTION", f"{week} {sc.name}", "", f"ASSIGNMENTS = {len(rows)}"]
    lines += [
        f"{sc.nurses[a.nurse].name} {DAY_NAMES[a.day % 7]} {sc.shifts[a.shift].name} {sc.skills[a.skill]}" for a in rows
    ]
    return "\n".join(lines) + "\n"
