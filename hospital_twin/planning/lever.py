"""A lever: one integer key of the scenario language the planner may set, with the values it may take.

A lever is written ``PATH=LO..HI`` or ``PATH=LO..HI:STEP`` (``MED.beds=140..170``,
``MED.escalation.beds=0..12:2``, ``P2.places=0..40:5``). ``PATH`` is the key's place in the
scenario, dots between the parts; its first part may be a unit (``MED.beds`` is
``units.MED.beds``), a discharge pathway (``P2.places``) or a discharge lounge, or the path
may start at the top of the scenario (``staffing.units.MED.nurses.day``,
``escalation_levels.ALL.levels.2.actions.open_beds.MED``; list items by their index).
The key must be an integer of the schema; a value below the key's minimum is refused. An
optional block absent from the scenario is created with the lever's value and its defaults
(``MED.escalation.beds=4`` opens an escalation block with the default thresholds), and a
value of 0 for a key that must be positive removes the block (``MED.escalation.beds=0``:
no escalation beds).

Pure: a scenario in, a scenario out; a bad lever is a :class:`LeverError` naming the lever
and the valid keys.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from hospital_twin.scenario.costs import CostRates
from hospital_twin.scenario.schema import Scenario

__all__ = ["DAYS_PER_YEAR", "Lever", "LeverError", "apply_levers", "lever_rate", "parse_lever"]

DAYS_PER_YEAR = 365.0
"""A lever's yearly cost is its daily rate times this many days (a bed is paid for every day, occupied or not)."""

_SHORTCUTS = ("units", "discharge_pathways", "discharge_lounges")
_NOT_LEVERS = ("replications", "seed")


class LeverError(ValueError):
    """A lever that cannot be used: bad syntax, a path that is not an integer key, values out of range."""


@dataclass(frozen=True)
class Lever:
    """An integer key of the scenario (``path`` from its top) and the values the planner may give it, ascending."""

    name: str
    """The lever as written before ``=`` (``MED.beds``): its name in tables and files."""
    path: tuple[str | int, ...]
    """The key's full path in the scenario (``("units", "MED", "beds")``)."""
    values: tuple[int, ...]
    current: int | None
    """The key's value in the scenario (None when its block is absent)."""
    kind: str
    """What a unit of the lever is, for its cost: ``bed``, ``critical_care_bed``, ``escalation_bed`` or ``other``."""

    @property
    def step(self) -> int:
        """The step between neighbouring values (1 for a single value)."""
        return self.values[1] - self.values[0] if len(self.values) > 1 else 1

    def describe(self) -> str:
        """``MED.beds: 140..170 step 5 (now 143)``."""
        lo, hi = self.values[0], self.values[-1]
        now = "absent" if self.current is None else self.current
        return f"{self.name}: {lo}..{hi} step {self.step} (now {now})"


# --------------------------------------------------------------------------- the schema's integer keys
def _unwrap(tp: Any) -> tuple[Any, list[Any], bool]:
    """The bare type, the constraints of ``Annotated`` and whether None was allowed."""
    meta: list[Any] = []
    optional = False
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            args = typing.get_args(tp)
            tp, more = args[0], list(args[1:])
            for m in more:
                meta.extend(getattr(m, "metadata", [m]))
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(tp))
            if len(args) == 1:
                tp = args[0]
                continue
        return tp, meta, optional


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _minimum(meta: list[Any]) -> int | None:
    """The least integer a key with these constraints takes (None: no bound)."""
    low = None
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            low = math.ceil(m.ge)
        elif isinstance(m, annotated_types.Gt):
            low = math.floor(m.gt) + 1
    return low


def _int_keys(model: type[BaseModel], prefix: str = "", depth: int = 0) -> list[str]:
    """The integer keys under ``model`` (sub-models followed two levels down), for error messages."""
    out = []
    for name, f in model.model_fields.items():
        tp, _, _ = _unwrap(f.annotation)
        if tp is int:
            out.append(prefix + name)
        elif _is_model(tp) and depth < 2:
            out.extend(_int_keys(tp, f"{prefix}{name}.", depth + 1))
    return out


def _where(path: list[str | int]) -> str:
    """A path in words for messages: ``unit MED``, ``'units.MED.escalation'``."""
    if len(path) == 2 and path[0] in _SHORTCUTS:
        return f"{str(path[0]).rstrip('s').replace('_', ' ')} {path[1]}"
    return "'" + ".".join(map(str, path)) + "'"


def _resolve(scenario: Scenario, name: str) -> tuple[tuple[str | int, ...], int | None, int | None, bool]:
    """The full path of ``name``, the current value, the key's minimum, and whether its block is optional."""
    parts: list[str] = name.split(".")
    if not all(parts):
        raise LeverError(f"lever {name}: empty part in the path (two dots, or a dot at an end)")
    data = scenario.model_dump(by_alias=True)
    for section in _SHORTCUTS:
        if parts[0] in (data.get(section) or {}) and parts[0] not in Scenario.model_fields:
            parts = [section, *parts]
            break
    path: list[str | int] = []
    tp: Any = Scenario
    here: Any = data
    parent_optional = False
    meta: list[Any] = []
    where = "the scenario"
    for i, part in enumerate(parts):
        bare, meta, optional = _unwrap(tp)
        origin = typing.get_origin(bare)
        if _is_model(bare):
            if part not in bare.model_fields:
                keys = ", ".join(k for k in _int_keys(bare) if k not in _NOT_LEVERS) or "none"
                hint = ""
                if i == 0:
                    hint = f"; a path starts at a unit ({', '.join(scenario.units)})"
                    if scenario.discharge_pathways:
                        hint += f", a discharge pathway ({', '.join(scenario.discharge_pathways)})"
                    hint += " or a key of the scenario"
                raise LeverError(f"lever {name}: {where} has no key '{part}'; its integer keys: {keys}{hint}")
            f = bare.model_fields[part]
            tp = typing.Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation
            parent_optional = optional
            path.append(part)
            here = here.get(part) if isinstance(here, dict) else None
            where = _where(path)
        elif origin is dict:
            if not isinstance(here, dict) or part not in here:
                have = ", ".join(map(str, here)) if isinstance(here, dict) and here else "none"
                raise LeverError(f"lever {name}: {where} has no entry '{part}' (it has: {have})")
            tp = typing.get_args(bare)[1]
            path.append(part)
            here = here[part]
            where = _where(path)
        elif origin is list:
            if not part.isdigit() or not isinstance(here, list) or int(part) >= len(here):
                n = len(here) if isinstance(here, list) else 0
                raise LeverError(f"lever {name}: {where} is a list of {n}; give an index 0..{n - 1}, not '{part}'")
            tp = typing.get_args(bare)[0]
            path.append(int(part))
            here = here[int(part)]
            where = _where(path)
        else:
            raise LeverError(f"lever {name}: '{'.'.join(parts[:i])}' is a value, not a block; it has no '{part}'")
    bare, meta, _ = _unwrap(tp)
    if bare is not int:
        raise LeverError(f"lever {name}: '{parts[-1]}' is not an integer key (a lever sets a whole number)")
    if here is not None and not isinstance(here, int):
        here = None
    return tuple(path), here, _minimum(meta), parent_optional


def _kind(scenario: Scenario, path: tuple[str | int, ...]) -> str:
    if len(path) == 3 and path[0] == "units" and path[2] == "beds":
        unit = scenario.units[str(path[1])]
        return "critical_care_bed" if unit.kind in ("icu", "hdu") else "bed"
    if len(path) == 4 and path[0] == "units" and path[2:] == ("escalation", "beds"):
        return "escalation_bed"
    return "other"


def parse_lever(text: str, scenario: Scenario) -> Lever:
    """``PATH=LO..HI[:STEP]`` checked against ``scenario`` and the schema (a :class:`LeverError` otherwise)."""
    raw = text.strip()
    if "=" not in raw:
        raise LeverError(f"lever {raw!r}: write PATH=LO..HI or PATH=LO..HI:STEP, e.g. MED.beds=140..170:2")
    name, spec = (s.strip() for s in raw.split("=", 1))
    step = 1
    if ":" in spec:
        spec, step_text = spec.split(":", 1)
        try:
            step = int(step_text)
        except ValueError:
            raise LeverError(f"lever {name}: step '{step_text}' is not a whole number") from None
        if step < 1:
            raise LeverError(f"lever {name}: step must be 1 or more (got {step})")
    try:
        if ".." in spec:
            lo_text, hi_text = spec.split("..", 1)
            lo, hi = int(lo_text), int(hi_text)
        else:
            lo = hi = int(spec)
    except ValueError:
        raise LeverError(f"lever {name}: '{spec}' is not a range of whole numbers LO..HI, e.g. 140..170") from None
    if hi < lo:
        raise LeverError(f"lever {name}: the range {lo}..{hi} is reversed; write {hi}..{lo}")
    path, current, minimum, optional = _resolve(scenario, name)
    if path[0] in _NOT_LEVERS:
        raise LeverError(f"lever {name}: '{path[0]}' is a setting of the run, not of the hospital")
    floor = minimum
    if optional and minimum is not None and minimum > 0:
        floor = 0  # 0 removes the optional block
    if floor is not None and lo < floor:
        raise LeverError(f"lever {name}: {lo} is below the key's minimum {floor}")
    values = tuple(range(lo, hi + 1, step))
    return Lever(name=name, path=path, values=values, current=current, kind=_kind(scenario, path))


def _set(data: Any, path: tuple[str | int, ...], value: int, minimum_positive: bool) -> None:
    """Set ``path`` in the dumped scenario, creating an absent block, removing it for 0 of a positive key."""
    *head, key = path
    node = data
    for i, part in enumerate(head):
        nxt = node[part]
        if nxt is None:
            if value == 0 and minimum_positive and i == len(head) - 1:
                return  # absent and asked to be absent
            nxt = node[part] = {}
        node = nxt
    if value == 0 and minimum_positive and len(head) >= 1:
        parent = data
        for part in head[:-1]:
            parent = parent[part]
        parent[head[-1]] = None
        return
    node[key] = value


def apply_levers(scenario: Scenario, levers: tuple[Lever, ...], values: tuple[int, ...]) -> Scenario:
    """``scenario`` with each lever's key set to its value (a :class:`LeverError` if the result is invalid)."""
    data = scenario.model_dump(by_alias=True)
    for lever, v in zip(levers, values, strict=True):
        _, _, minimum, optional = _resolve(scenario, lever.name)
        _set(data, lever.path, int(v), bool(optional and minimum is not None and minimum > 0))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        settings = ", ".join(f"{lv.name}={v}" for lv, v in zip(levers, values, strict=True))
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise LeverError(f"levers {settings} make an invalid scenario: {where}: {first.get('msg')}") from None


def lever_rate(lever: Lever, costs: CostRates | None, overrides: dict[str, float] | None = None) -> float | None:
    """Money a year for one unit of ``lever``: an override, else the daily rate of its kind x 365; None if unknown.

    A bed costs ``bed_day_gbp``, an ICU or HDU bed ``critical_care_bed_day_gbp``, an escalation bed
    ``escalation_bed_day_gbp``, each for every day of the year; other keys need an override.
    """
    if overrides and lever.name in overrides:
        return float(overrides[lever.name])
    if costs is None:
        return None
    daily = {
        "bed": costs.bed_day_gbp,
        "critical_care_bed": costs.critical_care_bed_day_gbp,
        "escalation_bed": costs.escalation_bed_day_gbp,
    }.get(lever.kind)
    return None if daily is None else float(daily) * DAYS_PER_YEAR
