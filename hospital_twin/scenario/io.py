"""Reading and writing scenario YAML: the only module that parses YAML.

``load_scenario(path)`` reads a file with PyYAML's safe loader, follows ``extends:``
chains (a what-if is a few lines on top of a baseline; mappings merge key by key,
``arrivals`` and ``electives`` by ``name``, a discharge clock rule replaces the base's,
other lists and scalars replace), validates the result and, when anything is wrong, raises
:class:`ScenarioError` listing every problem with its file, line and field path.
``read_scenario`` also returns the base a what-if extends and the located warnings
(:class:`LoadedScenario`).

This module does not simulate.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

import hospital_twin.scenario.schema as _schema
from hospital_twin.scenario.costs import CostRates
from hospital_twin.scenario.diff import Change, scenario_changes
from hospital_twin.scenario.errors import Issue, ScenarioError
from hospital_twin.scenario.safe_yaml import compose
from hospital_twin.scenario.schema import Scenario, scenario_problems, scenario_warnings

__all__ = [
    "ScenarioError",
    "Issue",
    "LoadedScenario",
    "load_scenario",
    "load_scenario_text",
    "read_scenario",
    "read_scenario_text",
    "dump_scenario",
    "scenario_json_schema",
    "read_costs",
]

Path_ = tuple[str | int, ...]


# --------------------------------------------------------------------------- YAML with line numbers
class _Located:
    """Parsed YAML data plus the (file, line) of every key and list item."""

    def __init__(
        self, data: Any, lines: dict[Path_, tuple[str, int]], notes: list[Issue] | None = None, file: str = ""
    ):
        self.file = file
        self.data = data
        self.lines = lines
        self.notes = notes or []  # warnings found while merging (removed streams, near-miss names)
        self.base: _Located | None = None  # the resolved scenario this one extends


def _parse(text: str, file: str) -> _Located:
    node = compose(text, file)  # size, binary, nesting and alias-bomb checks before anything walks it
    if node is None:
        raise ScenarioError(
            [
                Issue(
                    file,
                    None,
                    "",
                    "the file is empty; a scenario is a YAML mapping (name:, start:, units:, ...); "
                    "start from scenarios/examples/single_ward.yaml",
                )
            ]
        )
    lines: dict[Path_, tuple[str, int]] = {}
    problems: list[Issue] = []
    _walk(node, (), file, lines, problems)
    if problems:
        raise ScenarioError(problems)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise ScenarioError([Issue(file, line, "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Issue(file, None, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Issue(
                    file,
                    node.start_mark.line + 1,
                    "(top level)",
                    f"a scenario must be a YAML mapping of keys to values, not a {type(data).__name__}; "
                    "write key: value lines (name:, start:, units:, ...) without a leading '- '",
                )
            ]
        )
    return _Located(data, lines, file=file)


def _walk(node: yaml.Node, path: Path_, file: str, lines: dict, problems: list[Issue]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Issue(
                        file,
                        line,
                        _schema._dotted(path + (key,)),
                        f"duplicate key (first given on line {seen[key]}); keep one of the two",
                    )
                )
            seen[key] = line
            if key_node.tag in _NOT_A_NAME:
                problems.append(
                    Issue(file, line, _schema._dotted(path + (key,)), _NOT_A_NAME[key_node.tag].format(key=key))
                )
            lines[path + (key,)] = (file, line)
            _walk(value_node, path + (key,), file, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = (file, item.start_mark.line + 1)
            _walk(item, path + (i,), file, lines, problems)
    elif node.tag == _TIMESTAMP_TAG:
        problem = _impossible_time(node)
        if problem:
            problems.append(Issue(file, node.start_mark.line + 1, _schema._dotted(path), problem))


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_NOT_A_NAME = {
    "tag:yaml.org,2002:bool": "YAML reads the unquoted key {key} as true or false, not as a name; quote it: '{key}'",
    "tag:yaml.org,2002:null": "YAML reads the unquoted key {key} as empty (null), not as a name; quote it: '{key}'",
}


def _impossible_time(node: yaml.ScalarNode) -> str | None:
    """Why an unquoted date or time YAML recognises cannot be a date (month 13, 30 February, 25:00), else None.

    PyYAML raises a bare ``ValueError`` for these while building the document; checked here,
    they are located like any other problem.
    """
    try:
        yaml.SafeLoader("").construct_yaml_timestamp(node)
    except ValueError as exc:
        return (
            f"'{node.value}' is not a real date or time ({exc}); write it as YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SS, e.g. 2025-01-06T00:00:00"
        )
    return None


KEYED_LISTS = {("arrivals",): "arrival stream", ("electives",): "elective list"}
"""Lists that merge by ``name`` under ``extends:``; every other list replaces the base's whole."""

CLOCK_RULES = ("window_hours", "hourly_profile")
"""The two clock rules of a ``discharge`` block: a what-if that gives either replaces both."""

DAY_RULES = ("weekend_rate", "day_of_week")
"""The two day rules of a ``discharge`` block: a what-if that gives either replaces both."""


def _is_discharge(path: Path_) -> bool:
    return path == ("discharge",) or (len(path) == 3 and path[0] == "units" and path[2] == "discharge")


def _merge(base: _Located, over: _Located) -> _Located:
    """Deep-merge ``over`` (a what-if) onto ``base``.

    Mappings merge key by key; ``arrivals`` and ``electives`` merge entry by entry on ``name``
    (an entry ``{name: x, remove: true}`` drops the base's entry ``x``); in a ``discharge`` block,
    giving ``window_hours`` or ``hourly_profile`` replaces the base's clock rule as a whole, and
    ``weekend_rate`` or ``day_of_week`` its day rule; a duration block that names its
    ``distribution`` replaces the base's block whole (one without it changes only the keys it
    gives, e.g. ``mean_days``); anything else replaces. Line numbers follow the entries; removed streams and new streams
    whose names look like a base stream's become warnings (``notes``).
    """
    lines = dict(base.lines)
    over_lines = dict(over.lines)
    problems: list[Issue] = []
    notes: list[Issue] = list(base.notes)

    def merge(a: Any, b: Any, path: Path_) -> Any:
        if path in KEYED_LISTS and isinstance(b, list) and isinstance(a, list | type(None)):
            return merge_keyed(a or [], b, path)
        if isinstance(a, dict) and isinstance(b, dict) and "distribution" not in b:
            out = dict(a)
            for k, v in b.items():
                keyed = path + (k,) in KEYED_LISTS and isinstance(v, list)
                out[k] = merge(a.get(k), v, path + (k,)) if k in a or keyed else v
                merged = isinstance(a[k], dict) and isinstance(v, dict) and "distribution" not in v if k in a else False
                if k not in a or not (merged or keyed):
                    _drop_below(lines, path + (k,))
            for rules in (CLOCK_RULES, DAY_RULES):
                if _is_discharge(path) and any(b.get(k) is not None for k in rules):
                    for k in rules:
                        if k not in b and k in out:
                            del out[k]
                            _drop_below(lines, path + (k,))
                            lines.pop(path + (k,), None)
            return out
        return b

    def where(path: Path_) -> tuple[str, int | None]:
        return _locate(over.lines, path, over.file)

    def merge_keyed(a: list, b: list, path: Path_) -> list:
        what = KEYED_LISTS[path]
        out = list(a)
        index = {e["name"]: j for j, e in enumerate(a) if isinstance(e, dict) and isinstance(e.get("name"), str)}
        placed: dict[int, int] = {}  # over index -> index in out
        removed: set[int] = set()
        seen: dict[str, int] = {}
        for k, e in enumerate(b):
            name = e.get("name") if isinstance(e, dict) else None
            if not isinstance(name, str):
                out.append(e)  # the schema says what is wrong with it
                placed[k] = len(out) - 1
                continue
            f, line = where(path + (k, "name"))
            field = _schema._dotted(path + (k, "name"))
            if name in seen:
                problems.append(
                    Issue(f, line, field, f"{what} '{name}' is given twice in this file (also entry {seen[name]})")
                )
                continue
            seen[name] = k
            if "remove" in e:
                if _check_remove(e, name, list(index), what, path + (k,), where, problems):
                    removed.add(index[name])
                    f, line = where(path + (k, "remove"))
                    notes.append(
                        Issue(
                            f,
                            line,
                            _schema._dotted(path + (k,)),
                            f"removes the base's {what} '{name}' ({_entry_summary(a[index[name]])})",
                            "warning",
                        )
                    )
                continue
            if name in index:
                placed[k] = index[name]
                out[index[name]] = merge(a[index[name]], e, path + (index[name],))
                continue
            close = difflib.get_close_matches(name, list(index), n=1, cutoff=0.8)
            if close:
                notes.append(
                    Issue(
                        f,
                        line,
                        field,
                        f"adds a new {what} '{name}' beside the base's '{close[0]}'; to change "
                        f"'{close[0]}', write its exact name",
                        "warning",
                    )
                )
            out.append(e)
            placed[k] = len(out) - 1
        kept = [j for j in range(len(out)) if j not in removed]
        new_index = {j: i for i, j in enumerate(kept)}
        _remap(lines, path, {j: new_index[j] for j in range(len(a)) if j in new_index})
        _remap(over_lines, path, {k: new_index[j] for k, j in placed.items()})
        return [out[j] for j in kept]

    data = merge(base.data, over.data, ())
    if problems:
        raise ScenarioError(problems)
    lines.update(over_lines)
    return _Located(data, lines, notes, file=over.file)


def _check_remove(
    entry: dict, name: str, known: list[str], what: str, path: Path_, where: Any, problems: list[Issue]
) -> bool:
    """Whether ``{name: x, remove: true}`` is a valid removal of a base entry (else a problem is added)."""
    f, line = where(path + ("remove",))
    field = _schema._dotted(path + ("remove",))
    if entry["remove"] is not True:
        problems.append(
            Issue(
                f,
                line,
                field,
                f"write remove: true to drop the base's {what} '{name}', or leave remove out (got {entry['remove']!r})",
            )
        )
        return False
    extra = sorted(str(k) for k in entry if k not in ("name", "remove"))
    if extra:
        problems.append(
            Issue(
                f,
                line,
                field,
                f"an entry that removes a {what} takes only name and remove (found also {', '.join(extra)})",
            )
        )
        return False
    if name not in known:
        problems.append(
            Issue(
                f,
                line,
                field,
                f"cannot remove {what} '{name}': the base has no such one ({_schema._did_you_mean(name, known)})",
            )
        )
        return False
    return True


def _entry_summary(entry: Any) -> str:
    """``AMU, 12/day`` or ``SURG, 40/week``: what a stream brings, for messages."""
    if not isinstance(entry, dict):
        return "?"
    if isinstance(entry.get("per_day"), int | float):
        return f"{entry.get('unit')}, {entry['per_day']:g}/day"
    per = entry.get("per_weekday")
    total = f"{sum(per):g}" if isinstance(per, list) and all(isinstance(x, int | float) for x in per) else "?"
    return f"{entry.get('unit')}, {total} a week"


def _remap(lines: dict[Path_, Any], prefix: Path_, mapping: dict[int, int]) -> None:
    """Move the lines of list items under ``prefix`` from index i to ``mapping[i]`` (dropped if absent)."""
    n = len(prefix)
    moved = {}
    for key in [k for k in lines if len(k) > n and k[:n] == prefix]:
        value = lines.pop(key)
        if key[n] in mapping:
            moved[prefix + (mapping[key[n]],) + key[n + 1 :]] = value
    lines.update(moved)


def _drop_below(lines: dict[Path_, Any], prefix: Path_) -> None:
    n = len(prefix)
    for key in [k for k in lines if len(k) > n and k[:n] == prefix]:
        del lines[key]


MAX_EXTENDS = 16
"""Longest chain of ``extends:`` (a what-if on a what-if on a baseline is three)."""


def _read(path: Path, chain: tuple[Path, ...], within: Path | None = None) -> _Located:
    """Parse ``path`` and the chain of files it extends; ``path`` is shown as given.

    With ``within``, every file of the chain must lie inside that folder (uploads may extend
    only shipped scenarios).
    """
    file = os.path.normpath(str(path))
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(str(p) for p in chain + (real,))
        raise ScenarioError(
            [Issue(file, None, "extends", f"extends loops back on itself: {cycle}; remove extends from one of them")]
        )
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([Issue(file, None, "extends", f"more than {MAX_EXTENDS} files extend each other")])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Issue(file, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError([Issue(file, None, "", "is a folder, not a scenario file")]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [Issue(file, line, "", f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8")]
        ) from None
    located = _parse(text, file)
    parent = located.data.get("extends")
    if parent is None:
        return located
    line = located.lines.get(("extends",), (file, None))[1]
    if not isinstance(parent, str):
        raise ScenarioError(
            [Issue(file, line, "extends", "must be the path of one scenario file, e.g. extends: ../baseline.yaml")]
        )
    parent_path = path.parent / parent
    _check_extends(parent, parent_path, file, line, within)
    if parent_path.resolve() in chain + (real,):
        cycle = " -> ".join(os.path.relpath(p) for p in chain + (real, parent_path.resolve()))
        raise ScenarioError(
            [Issue(file, line, "extends", f"extends loops back on itself: {cycle}; remove extends from one of them")]
        )
    base = _read(parent_path, chain + (real,), within)
    merged = _merge(base, located)
    merged.data.pop("extends", None)
    merged.base = base
    return merged


def _check_extends(target: str, path: Path, file: str, line: int | None, within: Path | None) -> None:
    """``extends:`` names an existing .yaml/.yml file (inside ``within`` when given)."""
    if within is not None and not path.resolve().is_relative_to(Path(within).resolve()):
        raise ScenarioError(
            [
                Issue(
                    file,
                    line,
                    "extends",
                    f"'{target}' is not a shipped scenario; an uploaded what-if "
                    f"may extend only files in {Path(within).name}/ (e.g. extends: baseline.yaml)",
                )
            ]
        )
    if not path.is_file():
        raise ScenarioError(
            [
                Issue(
                    file,
                    line,
                    "extends",
                    f"base scenario '{target}' not found (looked for {os.path.normpath(path)}); the path is "
                    "relative to this file's folder",
                )
            ]
        )
    if path.suffix.lower() not in {".yaml", ".yml"}:
        raise ScenarioError([Issue(file, line, "extends", f"'{target}' is not a scenario file (.yaml or .yml)")])


# --------------------------------------------------------------------------- validation
def _all_field_names() -> list[str]:
    names: set[str] = set()
    for obj in vars(_schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == _schema.__name__:
            for fname, f in obj.model_fields.items():
                names.add(f.alias or fname)
    return sorted(names)


def _locate(lines: dict[Path_, tuple[str, int]], path: Path_, default_file: str) -> tuple[str, int | None]:
    for n in range(len(path), 0, -1):
        hit = lines.get(tuple(path[:n]))
        if hit is not None:
            return hit
    return default_file, None


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else "?"
        hint = ""
        if name in {"mean", "median", "p90", "value", "quantiles", "samples"}:
            hint = f"; put the time unit in the key: {name}_hours, {name}_days or {name}_minutes"
        else:
            close = difflib.get_close_matches(name, _all_field_names(), n=1)
            if close:
                hint = f"; did you mean '{close[0]}'?"
        return f"unknown field '{name}'{hint}"
    if kind == "missing":
        name = str(err["loc"][-1]) if err["loc"] else "?"
        return f"required field is missing; add `{name}: ...` (hospital-twin schema says what it takes)"
    hint = _HINTS.get(kind)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "string_type" and (isinstance(err.get("input"), bool) or err.get("input") is None):
        return (
            f"{msg} (got {err.get('input')!r}): YAML reads an unquoted yes/no/on/off/true/false as a boolean "
            "and null or ~ as empty; quote the name, e.g. 'NO'"
        )
    if "input" in err and kind not in {"value_error", "assertion_error"} and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    field = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "")
    if kind in {"too_short", "too_long"} and field in _LENGTHS:
        hint = _LENGTHS[field]
    return f"{msg}; {hint}" if hint else msg


_HINTS = {
    "dict_type": "write it as a mapping of name: value lines (e.g. MED: {beds: 20}), not as a list of '- ' items",
    "list_type": "write it as a list, each item starting with '- '",
    "datetime_from_date_parsing": "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, e.g. 2025-01-06T00:00:00",
    "datetime_parsing": "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, e.g. 2025-01-06T00:00:00",
    "datetime_type": "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, e.g. 2025-01-06T00:00:00",
    "date_from_datetime_parsing": "write it as YYYY-MM-DD, e.g. 2025-01-06",
    "int_parsing": "write a whole number (digits only, no unit)",
    "int_from_float": "write a whole number",
    "float_parsing": "write a number (digits only, no unit)",
}
"""A fix for the pydantic error kinds whose own message says only what is wrong."""

_LENGTHS = {
    "hour_of_day": "give 24 weights, one per clock hour 00..23",
    "hourly_profile": "give 24 weights, one per clock hour 00..23",
    "day_of_week": "give 7 weights, Mon..Sun",
    "per_weekday": "give 7 numbers, Mon..Sun (0 on days without a list)",
    "units": "give at least one unit, e.g. WARD: {beds: 20}",
}
"""A fix for a list or mapping of the wrong length, by field."""


def _clean_loc(loc: tuple[Any, ...]) -> Path_:
    # pydantic adds the branch of a union ('int', 'dict[str,int]', 'function-after[...]')
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part in {"int", "str", "float", "bool"}):
            continue
        out.append(part)
    return tuple(out)


def _stray_removals(located: _Located, file: str) -> list[Issue]:
    """``remove: true`` entries left after merging: in a file without ``extends:`` there is nothing to remove."""
    out = []
    for path, what in KEYED_LISTS.items():
        entries = located.data.get(path[0])
        for k, e in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(e, dict) and "remove" in e:
                f, line = _locate(located.lines, path + (k, "remove"), file)
                out.append(
                    Issue(
                        f,
                        line,
                        _schema._dotted(path + (k, "remove")),
                        f"remove drops a {what} of the base scenario, so it works only in a what-if (a file with "
                        "extends:); here, delete the entry instead",
                    )
                )
    return out


def _validate(located: _Located, file: str) -> Scenario:
    stray = _stray_removals(located, file)
    if stray:
        raise ScenarioError(stray)
    try:
        scn = Scenario.model_validate(located.data, context={"defer_semantics": True})
    except ValidationError as exc:
        issues = []
        seen = set()
        for err in exc.errors():
            path = _clean_loc(err["loc"])
            f, line = _locate(located.lines, path, file)
            issue = Issue(f, line, _schema._dotted(path), _message(err))
            if (issue.field, issue.message) not in seen:
                seen.add((issue.field, issue.message))
                issues.append(issue)
        raise ScenarioError(issues) from None
    problems = scenario_problems(scn)
    if problems:
        issues = []
        for p in problems:
            f, line = _locate(located.lines, p.path, file)
            issues.append(Issue(f, line, p.where, p.message))
        raise ScenarioError(issues)
    return scn


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with what its reading found besides errors.

    ``base`` is the scenario its ``extends:`` names, resolved and validated on its own
    (None without ``extends:``, or when the base alone is not a valid scenario, e.g. a
    partial file meant only to be extended); ``warnings`` are located issues with
    ``severity="warning"``: streams a what-if removes, new streams named like a base
    stream, units no patient can reach.
    """

    scenario: Scenario
    base: Scenario | None = None
    base_file: str | None = None
    warnings: list[Issue] = dataclass_field(default_factory=list)

    def changes(self) -> list[Change]:
        """What the scenario changes against its base (empty without a base)."""
        return scenario_changes(self.base, self.scenario) if self.base is not None else []


def _loaded(located: _Located, file: str) -> LoadedScenario:
    scenario = _validate(located, file)
    base = base_file = None
    if located.base is not None:
        base_file = located.base.file
        try:
            base = _validate(located.base, base_file)
        except ScenarioError:
            base = None
    warnings = list(located.notes)
    for p in scenario_warnings(scenario):
        f, line = _locate(located.lines, p.path, file)
        warnings.append(Issue(f, line, p.where, p.message, "warning"))
    return LoadedScenario(scenario, base, base_file, warnings)


def read_scenario(path: str | Path) -> LoadedScenario:
    """Read, resolve ``extends`` and validate a scenario file, with its base and warnings.

    Raises :class:`ScenarioError` for every problem; warnings do not raise.
    """
    p = Path(path)
    return _loaded(_read(p, ()), os.path.normpath(str(p)))


def load_scenario(path: str | Path) -> Scenario:
    """Read, resolve ``extends`` and validate a scenario file; raises :class:`ScenarioError`."""
    p = Path(path)
    located = _read(p, ())
    return _validate(located, os.path.normpath(str(p)))


def read_scenario_text(
    text: str,
    name: str = "<scenario>",
    base_dir: str | Path | Sequence[str | Path] | None = None,
    *,
    within: str | Path | None = None,
) -> LoadedScenario:
    """:func:`load_scenario_text` with the base and the warnings (see :class:`LoadedScenario`)."""
    return _loaded(_read_text(text, name, base_dir, within=within), name)


def load_scenario_text(
    text: str,
    name: str = "<scenario>",
    base_dir: str | Path | Sequence[str | Path] | None = None,
    *,
    within: str | Path | None = None,
) -> Scenario:
    """Validate scenario YAML given as text (uploads, the app's edits).

    ``extends`` resolves against ``base_dir`` (or the first of several folders where the file
    exists); without one it is refused. ``within`` keeps every extended file inside that folder.
    """
    return _validate(_read_text(text, name, base_dir, within=within), name)


def _read_text(
    text: str,
    name: str = "<scenario>",
    base_dir: str | Path | Sequence[str | Path] | None = None,
    *,
    within: str | Path | None = None,
) -> _Located:
    """Parse scenario text and merge it onto the file its ``extends:`` names (see :func:`load_scenario_text`)."""
    located = _parse(text, name)
    parent = located.data.get("extends")
    if parent is not None:
        line = located.lines.get(("extends",), (name, None))[1]
        bases = [] if base_dir is None else [base_dir] if isinstance(base_dir, str | Path) else list(base_dir)
        if not bases or not isinstance(parent, str):
            raise ScenarioError([Issue(name, line, "extends", "cannot follow extends here; give the full scenario")])
        path = next((Path(b) / parent for b in bases if (Path(b) / parent).is_file()), Path(bases[0]) / parent)
        _check_extends(parent, path, name, line, Path(within) if within is not None else None)
        base = _read(path, (), Path(within) if within is not None else None)
        located = _merge(base, located)
        located.data.pop("extends", None)
        located.base = base
    return located


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML, leaving out values equal to their defaults."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario language (for editors)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hospital_twin scenario"
    return schema


# --------------------------------------------------------------------------- unit costs
def read_costs(path: str | Path) -> CostRates:
    """Unit costs from a YAML file (``scenarios/costs.yaml``): :class:`~hospital_twin.scenario.costs.CostRates`.

    Raises :class:`ScenarioError` with every problem located by file, line and field.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Issue(file, None, "", f"cannot read the cost file ({exc.strerror or exc})")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Issue(file, None, "", "not UTF-8 text; save the cost file as UTF-8")]) from None
    node = compose(text, file)
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else None
        raise ScenarioError(
            [
                Issue(
                    file,
                    line,
                    "",
                    "a cost file is a YAML mapping (bed_day_gbp:, nurse_hour_gbp:, ...); see scenarios/costs.yaml",
                )
            ]
        )
    lines: dict[Path_, tuple[str, int]] = {}
    problems: list[Issue] = []
    _walk(node, (), file, lines, problems)
    if problems:
        raise ScenarioError(problems)
    try:
        return CostRates.model_validate(yaml.SafeLoader("").construct_document(node))
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            where = _clean_loc(err["loc"])
            f, line = _locate(lines, where, file)
            msg = _message(err)
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(where[-1]), list(CostRates.model_fields), n=1)
                msg = f"unknown field '{where[-1]}'" + (f"; did you mean '{close[0]}'?" if close else "")
            elif err["type"] == "missing":
                msg = f"required field is missing; add `{where[-1]}: ...` (scenarios/costs.yaml shows every rate)"
            issues.append(Issue(f, line, ".".join(str(p) for p in where) or "(top level)", msg))
        raise ScenarioError(issues) from None
