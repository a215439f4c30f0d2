"""Reading and writing scenario YAML: the only module that parses YAML.

``load_scenario(path)`` reads a file with PyYAML's safe loader, follows ``extends:``
chains (a what-if is a few lines on top of a baseline; mappings merge key by key,
lists and scalars replace), validates the result and, when anything is wrong, raises
:class:`ScenarioError` listing every problem with its file, line and field path.

This module does not simulate.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

import hospital_twin.scenario.schema as _schema
from hospital_twin.scenario.errors import Issue, ScenarioError
from hospital_twin.scenario.safe_yaml import compose
from hospital_twin.scenario.schema import Scenario, scenario_problems

__all__ = ["ScenarioError", "Issue", "load_scenario", "load_scenario_text", "dump_scenario", "scenario_json_schema"]

Path_ = tuple[str | int, ...]


# --------------------------------------------------------------------------- YAML with line numbers
class _Located:
    """Parsed YAML data plus the (file, line) of every key and list item."""

    def __init__(self, data: Any, lines: dict[Path_, tuple[str, int]]):
        self.data = data
        self.lines = lines


def _parse(text: str, file: str) -> _Located:
    node = compose(text, file)  # size, binary, nesting and alias-bomb checks before anything walks it
    if node is None:
        raise ScenarioError([Issue(file, None, "", "the file is empty; a scenario is a YAML mapping")])
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
        raise ScenarioError([Issue(file, 1, "", "a scenario must be a YAML mapping of keys to values")])
    return _Located(data, lines)


def _walk(node: yaml.Node, path: Path_, file: str, lines: dict, problems: list[Issue]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Issue(
                        file, line, _schema._dotted(path + (key,)), f"duplicate key (first given on line {seen[key]})"
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


def _merge(base: _Located, over: _Located) -> _Located:
    """Deep-merge ``over`` onto ``base``: mappings key by key; anything else replaces."""
    lines = dict(base.lines)

    def merge(a: Any, b: Any, path: Path_) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for k, v in b.items():
                out[k] = merge(a[k], v, path + (k,)) if k in a else v
                if k not in a or not (isinstance(a[k], dict) and isinstance(v, dict)):
                    _drop_below(lines, path + (k,))
            return out
        return b

    data = merge(base.data, over.data, ())
    lines.update(over.lines)
    return _Located(data, lines)


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
        raise ScenarioError([Issue(file, None, "extends", f"extends loops back on itself: {cycle}")])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([Issue(file, None, "extends", f"more than {MAX_EXTENDS} files extend each other")])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Issue(file, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError([Issue(file, None, "", "is a folder, not a scenario file")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Issue(file, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    located = _parse(text, file)
    parent = located.data.get("extends")
    if parent is None:
        return located
    line = located.lines.get(("extends",), (file, None))[1]
    if not isinstance(parent, str):
        raise ScenarioError([Issue(file, line, "extends", "must be the path of a scenario file")])
    parent_path = path.parent / parent
    _check_extends(parent, parent_path, file, line, within)
    base = _read(parent_path, chain + (real,), within)
    merged = _merge(base, located)
    merged.data.pop("extends", None)
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
            [Issue(file, line, "extends", f"base scenario '{target}' not found (looked for {os.path.normpath(path)})")]
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
        return "required field is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "string_type" and (isinstance(err.get("input"), bool) or err.get("input") is None):
        return (
            f"{msg} (got {err.get('input')!r}): YAML reads an unquoted yes/no/on/off/true/false as a boolean "
            "and null or ~ as empty; quote the name, e.g. 'NO'"
        )
    if "input" in err and kind not in {"value_error", "assertion_error"} and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def _clean_loc(loc: tuple[Any, ...]) -> Path_:
    # pydantic adds the branch of a union ('int', 'dict[str,int]', 'function-after[...]')
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part in {"int", "str", "float", "bool"}):
            continue
        out.append(part)
    return tuple(out)


def _validate(located: _Located, file: str) -> Scenario:
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


def load_scenario(path: str | Path) -> Scenario:
    """Read, resolve ``extends`` and validate a scenario file; raises :class:`ScenarioError`."""
    p = Path(path)
    located = _read(p, ())
    return _validate(located, os.path.normpath(str(p)))


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
    return _validate(located, name)


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
