"""What a what-if changes against its base: :func:`scenario_changes` -> a list of :class:`Change`.

Compares two validated scenarios section by section: run settings, units, arrival streams,
elective lists, routes, lengths of stay, discharge rules, discharge pathways (their capacity,
places, stays, assessment, and the shares by unit and class), patient classes, staffing and
escalation levels.
Streams and electives are matched by name, units, routes and stays by unit, so a stream
that a what-if drops shows as removed and a typo'd unit as added. Each change keeps the old
and new values (as in the YAML); ``str(change)`` is one compact line for a terminal.

This module is pure: it reads no files and prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from hospital_twin.scenario.schema import DistributionSpec, Scenario

__all__ = ["SECTIONS", "Change", "change_lines", "scenario_changes"]

SECTIONS = (
    "settings",
    "units",
    "streams",
    "electives",
    "routes",
    "stays",
    "discharge",
    "pathways",
    "classes",
    "staffing",
    "escalation",
)
"""The sections of :func:`scenario_changes`, in the order it lists them."""

Kind = Literal["added", "removed", "changed"]
_SHORT_LIST = 7


@dataclass(frozen=True)
class Change:
    """One difference: ``item`` of ``section`` added, removed, or one ``field`` of it changed.

    ``old`` and ``new`` are the values as the YAML gives them (a one-line summary of the whole
    item when it is added or removed; None where there is nothing).
    """

    section: str
    item: str
    kind: Kind
    field: str = ""
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"+ {self.item}: {_compact(self.new)}"
        if self.kind == "removed":
            return f"- {self.item}: {_compact(self.old)}"
        field = f"{self.field} " if self.field else ""
        return f"~ {self.item}: {field}{_changed(self.field, self.old, self.new)}"


def scenario_changes(base: Scenario, what_if: Scenario) -> list[Change]:
    """Every difference of ``what_if`` from ``base``, section by section (see :data:`SECTIONS`)."""
    out: list[Change] = []
    for section, view, summary in _VIEWS:
        out += _compare(section, view(base), view(what_if), summary)
    return out


def change_lines(changes: list[Change]) -> list[tuple[str, str]]:
    """``(section, text)`` per changed item, its fields on one line: ``~ ICU: beds 13 -> 17, nurses.day 9 -> 12``."""
    grouped: dict[tuple[str, str, str], list[Change]] = {}
    for c in changes:
        grouped.setdefault((c.section, c.item, c.kind), []).append(c)
    out = []
    for (section, item, kind), group in grouped.items():
        if kind != "changed" or len(group) == 1:
            out += [(section, str(c)) for c in group]
        else:
            fields = ", ".join(f"{c.field} {_changed(c.field, c.old, c.new)}".strip() for c in group)
            out.append((section, f"~ {item}: {fields}"))
    return out


# --------------------------------------------------------------------------- views: {item: {field: value}}
def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "distribution" in v:
            out[key] = _distribution(v)
        elif isinstance(v, dict):
            out.update(_flat(v, key + "."))  # an empty mapping (a default such as open_beds: {}) adds nothing
        else:
            out[key] = v
    return out


def _distribution(d: dict[str, Any]) -> str:
    """``lognormal median_hours 10, p90_hours 30 (mean 14.4 h)``."""
    params = ", ".join(f"{k} {_compact(v)}" for k, v in d.items() if k != "distribution")
    mean = DistributionSpec.model_validate(d).to_distribution().mean_h
    return f"{d['distribution']} {params} (mean {mean:.3g} h)"


def _settings(s: Scenario) -> dict[str, dict[str, Any]]:
    d = _dump(s)
    return {"run": {k: d.get(k) for k in ("start", "horizon_days", "warmup_days", "replications", "seed")}}


def _units(s: Scenario) -> dict[str, dict[str, Any]]:
    return {u: _flat({k: v for k, v in _dump(spec).items() if k != "discharge"}) for u, spec in s.units.items()}


def _streams(s: Scenario) -> dict[str, dict[str, Any]]:
    return {a.name: _flat(_dump(a)) for a in s.arrivals}


def _electives(s: Scenario) -> dict[str, dict[str, Any]]:
    return {e.name: _flat(_dump(e)) for e in s.electives}


def _row(dests: dict[str, float]) -> str:
    return ", ".join(f"{v} {p:g}" for v, p in dests.items())


def _routes(s: Scenario) -> dict[str, dict[str, Any]]:
    out = {u: {"": _row(d)} for u, d in s.routes.items()}
    for c, pc in s.patient_classes.items():
        out.update({f"{u} (class {c})": {"": _row(d)} for u, d in pc.routes.items()})
    return out


def _stays(s: Scenario) -> dict[str, dict[str, Any]]:
    out = {u: {"": _distribution(_dump(d))} for u, d in s.length_of_stay.items()}
    for c, pc in s.patient_classes.items():
        out.update({f"{u} (class {c})": {"": _distribution(_dump(d))} for u, d in pc.length_of_stay.items()})
    return out


def _discharge(s: Scenario) -> dict[str, dict[str, Any]]:
    out = {}
    if s.discharge is not None:
        out["inpatient units (scenario-wide)"] = _dump(s.discharge)
    out.update({u: _dump(spec.discharge) for u, spec in s.units.items() if spec.discharge is not None})
    for name, lounge in s.discharge_lounges.items():
        d = _flat({k: v for k, v in _dump(lounge).items() if k != "time_there"})
        d["time_there"] = _distribution(_dump(lounge.time_there))
        out[f"lounge {name}"] = d
    return out


_PATHWAY_FIELDS = {
    "starts_per_day": "starts a day",
    "starts_by_weekday": "starts by weekday",
    "start_hour": "start hour",
    "places": "places",
    "stay": "place stay",
    "assessment": "assessment",
    "assessment_in": "assessment in",
    "order": "order",
    "label": "label",
}


def _pathways(s: Scenario) -> dict[str, dict[str, Any]]:
    """Per discharge pathway its service in words (``starts a day``, ``places``, ``assessment in``, ...), and per
    unit (and class) the shares of the patients leaving the hospital that take each pathway, P0 the rest."""
    out: dict[str, dict[str, Any]] = {}
    for name, spec in s.discharge_pathways.items():
        d = _flat(_dump(spec))
        out[name] = {_PATHWAY_FIELDS.get(k, k): v for k, v in d.items()}
    tables = [("", s.pathway_shares)] + [(f" (class {c})", pc.pathway_shares) for c, pc in s.patient_classes.items()]
    for suffix, table in tables:
        for u, shares in table.items():
            given = {k: v for k, v in shares.items() if k != "P0"}
            rest = max(1.0 - sum(given.values()), 0.0)
            out[f"shares from {u}{suffix}"] = {"": f"{_row(given) or 'none'} (P0 {rest:.3g})"}
    return out


def _summary_pathway(d: dict[str, Any]) -> str:
    if "places" in d:
        text = f"{_compact(d['places'])} places, stay {d.get('place stay', '?')}"
    elif "starts a day" in d:
        text = f"starts {_compact(d['starts a day'])} a day"
    elif "starts by weekday" in d:
        text = f"starts Mon-Sun {_compact(d['starts by weekday'])}"
    elif "" in d:
        return _compact(d[""])
    else:
        text = "no limit"
    if "assessment" in d:
        text += f", assessment {d['assessment']} in {d.get('assessment in', 'hospital')}"
    return text


def _classes(s: Scenario) -> dict[str, dict[str, Any]]:
    return {c: {"priority": pc.priority, "acuity": pc.acuity} for c, pc in s.patient_classes.items()}


def _staffing(s: Scenario) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {f"shift {n}": {"": f"{sh.start}-{sh.end}"} for n, sh in s.shifts.items()}
    if s.staffing is not None:
        out["policy"] = {"": s.staffing.policy}
        out.update({u: _flat(_dump(st)) for u, st in s.staffing.units.items()})
        out["roster"] = {"": f"{len(s.staffing.roster)} dated entries"}
    return out


def _escalation(s: Scenario) -> dict[str, dict[str, Any]]:
    """Per escalation group: its units and hold times, and each level's thresholds and actions."""
    out = {}
    for g, spec in s.escalation_levels.items():
        d = _dump(spec)
        levels = d.pop("levels")
        row = _flat(d)
        for lv in levels:
            row.update(_flat({k: v for k, v in lv.items() if k != "level"}, f"level {lv['level']}."))
        out[g] = row
    return out


def _summary_escalation(d: dict[str, Any]) -> str:
    levels = sorted({k.split(".")[0] for k in d if k.startswith("level ")})
    return f"{', '.join(levels)}" + (f"; units {_compact(d['units'])}" if d.get("units") else "")


def _summary_unit(d: dict[str, Any]) -> str:
    kind = "" if d.get("kind", "ward") == "ward" else f" ({d['kind']})"
    return f"{d.get('beds')} beds{kind}"


def _summary_stream(d: dict[str, Any]) -> str:
    who = d.get("patient_class") or ("mix" if any(k.startswith("class_mix.") for k in d) else None)
    return f"{d.get('unit')}, {d.get('per_day'):g}/day" + (f", class {who}" if who else "")


def _summary_elective(d: dict[str, Any]) -> str:
    return f"{d.get('unit')}, {sum(d.get('per_weekday', [])):g} a week, class {d.get('patient_class')}"


def _summary_fields(d: dict[str, Any]) -> str:
    return "; ".join(f"{k} {_compact(v)}" if k else _compact(v) for k, v in d.items())


_View = Callable[[Scenario], dict[str, dict[str, Any]]]
_VIEWS: list[tuple[str, _View, Callable[[dict[str, Any]], str]]] = [
    ("settings", _settings, _summary_fields),
    ("units", _units, _summary_unit),
    ("streams", _streams, _summary_stream),
    ("electives", _electives, _summary_elective),
    ("routes", _routes, _summary_fields),
    ("stays", _stays, _summary_fields),
    ("discharge", _discharge, _summary_fields),
    ("pathways", _pathways, _summary_pathway),
    ("classes", _classes, _summary_fields),
    ("staffing", _staffing, _summary_fields),
    ("escalation", _escalation, _summary_escalation),
]


def _compare(
    section: str,
    old: dict[str, dict[str, Any]],
    new: dict[str, dict[str, Any]],
    summary: Callable[[dict[str, Any]], str],
) -> list[Change]:
    out: list[Change] = []
    for item in _union(old, new):
        if item not in new:
            out.append(Change(section, item, "removed", old=summary(old[item])))
        elif item not in old:
            out.append(Change(section, item, "added", new=summary(new[item])))
        else:
            a, b = old[item], new[item]
            out += [
                Change(section, item, "changed", f, a.get(f), b.get(f)) for f in _union(a, b) if a.get(f) != b.get(f)
            ]
    return out


def _union(a: Iterable[str], b: Iterable[str]) -> list[str]:
    keys = list(a)
    return keys + [k for k in b if k not in keys]


# --------------------------------------------------------------------------- compact text
def _compact(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool) or isinstance(v, str):
        return str(v)
    if isinstance(v, int | float):
        return f"{v:g}"
    if isinstance(v, list):
        if not v:
            return "none"
        if all(isinstance(x, int | float) for x in v) and len(v) <= _SHORT_LIST:
            return "[" + ", ".join(f"{x:g}" for x in v) + "]"
        if all(isinstance(x, int | float) for x in v):
            return f"[{len(v)} values]"
        factors = [x["factor"] for x in v if isinstance(x, dict) and "factor" in x]
        if len(factors) == len(v):
            return f"{len(v)} period{'s' if len(v) > 1 else ''} (factor {min(factors):g}-{max(factors):g})"
        return f"{len(v)} entr{'y' if len(v) == 1 else 'ies'}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_compact(x)}" for k, x in v.items())
    return str(v)


def _changed(field: str, old: Any, new: Any) -> str:
    numeric = all(isinstance(v, list) and all(isinstance(x, int | float) for x in v) for v in (old, new))
    if numeric and len(old) == len(new) and len(old) > _SHORT_LIST:
        n = sum(a != b for a, b in zip(old, new, strict=True))
        text = f"{n} of {len(old)} values changed"
        if field.endswith("hourly_profile") and sum(old) > 0 and sum(new) > 0:
            before = [sum(w[:12]) / sum(w) for w in (old, new)]
            text += f" (weight before noon {before[0]:.1%} -> {before[1]:.1%})"
        return text
    return f"{_compact(old)} -> {_compact(new)}"
