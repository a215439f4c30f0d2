"""Shared helpers of the app: shipped files, safe uploads, the levers and the session's scenario.

Everything here is about getting inputs safely into the package's own functions
(``load_scenario_text`` validates; the levers only change numbers in the scenario's
YAML, which is then validated again). No model logic lives in the app.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from hospital_twin.scenario import (
    Issue,
    Scenario,
    ScenarioError,
    dump_scenario,
    load_scenario,
    load_scenario_text,
)

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"
SAMPLE_LOGS = SCENARIO_DIR / "logs"
"""Small extracts of public event logs (MIMIC-IV demo, Sepsis) offered as samples; see their README."""

MAX_YAML_BYTES = 512 * 1024
"""A scenario is a few kilobytes; anything above half a megabyte is refused."""
MAX_LOG_BYTES = 50 * 1024 * 1024
"""Largest event log or snapshot accepted (also ``server.maxUploadSize`` in .streamlit/config.toml)."""


class UploadError(ValueError):
    """An upload refused before it reaches the package (too big, binary, not UTF-8, empty)."""


# --------------------------------------------------------------------------- shipped scenarios
def shipped_scenarios() -> dict[str, Path]:
    """Label -> path of every scenario in ``scenarios/`` (baseline first, then what-ifs, then examples)."""
    out: dict[str, Path] = {}
    for sub, prefix in (("", ""), ("whatif", "What-if: "), ("examples", "Example: ")):
        folder = SCENARIO_DIR / sub if sub else SCENARIO_DIR
        for p in sorted(folder.glob("*.yaml")):
            try:
                name = load_scenario(p).name
            except ScenarioError:
                continue
            out[f"{prefix}{name}"] = p
    return out


def baseline_path() -> Path:
    return SCENARIO_DIR / "baseline.yaml"


# --------------------------------------------------------------------------- safe uploads
def display_name(name: str | None, default: str = "upload") -> str:
    """A file name fit to show: no folders, no control characters, at most 80 characters."""
    if not name:
        return default
    base = re.split(r"[\\/]", str(name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    base = base.lstrip(".") or default
    return base[:80]


def decode_text(data: bytes, name: str, limit: int = MAX_YAML_BYTES) -> str:
    """UTF-8 text of an upload, or :class:`UploadError` saying why not."""
    shown = display_name(name)
    if len(data) > limit:
        raise UploadError(
            f"{shown} is {len(data) / 1024:,.0f} KB; a scenario file may be at most {limit / 1024:,.0f} KB."
        )
    if b"\x00" in data[:8192]:
        raise UploadError(f"{shown} is a binary file, not a YAML text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(f"{shown} is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8.") from None
    if not text.strip():
        raise UploadError(f"{shown} is empty.")
    return text


def scenario_from_upload(data: bytes, name: str) -> tuple[Scenario, str]:
    """Validate an uploaded scenario; returns it and its YAML text (``UploadError`` / ``ScenarioError``)."""
    text = decode_text(data, name)
    return scenario_from_text(text, name), text


def scenario_from_text(text: str, name: str) -> Scenario:
    """Validate an uploaded scenario: the package's loader refuses YAML bombs, absurd nesting and sizes, and
    lets an uploaded what-if extend only shipped scenarios (``scenarios/whatif/`` first, then ``scenarios/``)."""
    return load_scenario_text(
        text, name=display_name(name), base_dir=[SCENARIO_DIR / "whatif", SCENARIO_DIR], within=SCENARIO_DIR
    )


def issue_text(issue: Issue | dict) -> str:
    """One problem in words: 'line 12, units › ICU › beds: must be 0 or more (got -3)'."""
    if isinstance(issue, dict):
        line, field_, message = issue.get("line"), issue.get("field"), issue.get("message")
    else:
        line, field_, message = issue.line, issue.field, issue.message
    where = []
    if line:
        where.append(f"line {line}")
    if field_:
        where.append(str(field_).replace(".", " › "))
    return (", ".join(where) + ": " if where else "") + str(message)


def issue_words(issue: Issue) -> str:
    """A problem in words for the person: what it concerns ('ICU beds', 'discharge window hours') and the
    message, without the file, line or YAML path (those go under "Details")."""
    text = re.sub(r"^(Value|Assertion) error, ", "", str(issue.message)).replace("`", "'")
    parts = [p for p in re.sub(r"\[\d+\]", "", issue.field or "").split(".") if p]
    if parts and parts[0] in _CONTAINERS:
        parts = parts[1:]
    what = " ".join(parts).replace("_", " ")
    if not what:
        return text[:1].upper() + text[1:]
    return f"{what[:1].upper() + what[1:]}: {text}"


_CONTAINERS = {"units", "arrivals", "electives", "escalation_levels", "patient_classes", "discharge_lounges"}


# --------------------------------------------------------------------------- levers
PEER_DISCHARGE_SHARES = (0.124, 0.157, 0.165, 0.166, 0.178, 0.123, 0.087)
"""The peer trusts' discharges by weekday, Mon..Sun, as shares of the week (NHS England acute discharge
sitrep 2023/24, ``../shared/data/nhs-england-aggregates/SOURCE.md``; scenarios/README.md derives the weights)."""

DAY_PRESETS = {
    "now": "As in the scenario",
    "peers": "Peers' weekday profile (fewer on Mondays and weekends)",
    "seven": "Seven-day discharging (weekends as weekdays)",
    "own": "My own numbers, Monday to Sunday",
}
"""The discharge-by-weekday choices of the Scenario page (key -> words on screen)."""

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LOUNGE_NAME = "LOUNGE"
"""Name given to a discharge lounge opened in the app (a scenario's own lounge keeps its name)."""
LOUNGE_CV = 0.6
"""Spread of the time in a lounge set in the app: lognormal with this cv around the mean (the shipped what-if's
median 2.5 h and p90 5 h have cv 0.58)."""


def peer_day_weights() -> list[float]:
    """``day_of_week`` weights (largest 1) that reproduce the peers' weekday shares of discharges."""
    from hospital_twin.scenario.load import day_of_week_for_shares

    return [round(w, 4) for w in day_of_week_for_shares(PEER_DISCHARGE_SHARES)]


@dataclass
class OutlyingLever:
    """Outlying as the Scenario page sets it: one host list and one cap for every home unit chosen."""

    on: bool = False
    homes: list[str] = field(default_factory=list)
    """Units whose patients may be placed on another unit's beds."""
    hosts: list[str] = field(default_factory=list)
    """Host units, tried in this order (a home unit is never its own host)."""
    max_per_host: int = 6
    """Most outliers a host takes at once; 0: no cap but its free beds."""
    after_hours: float = 4.0
    """Hours waited for a home bed before a patient may be placed elsewhere (0: at once)."""


@dataclass
class LoungeLever:
    """A discharge lounge as the Scenario page sets it."""

    on: bool = False
    places: int = 12
    hours: tuple[int, int] = (8, 20)
    time_h: float = 2.5
    """Mean time there (hours) before leaving the hospital."""
    units: list[str] = field(default_factory=list)
    """Units whose patients going home use it."""


OPEL_CARD = SCENARIO_DIR / "whatif" / "opel_actions.yaml"
"""The shipped OPEL action card: its escalation levels are the Scenario page's preset."""
OPEL_MODES = {
    "off": "No escalation levels",
    "card": "The OPEL action card (opel_actions.yaml)",
    "edit": "My own levels",
}
"""The escalation choices of the Scenario page (key -> words on screen)."""
OPEL_LEVELS = (2, 3, 4)


@dataclass
class OpelLevel:
    """One escalation level as the Scenario page sets it (percentages as shown on screen)."""

    level: int
    on: bool = False
    enter_pct: float = 100.0
    """Starts when (occupied + waiting) reaches this % of the group's base beds."""
    leave_pct: float = 95.0
    """Ends (steps down) when that falls below this %."""
    boarders_at: int = 0
    """Also starts when this many ED patients wait for a bed in the group (0: not used)."""
    boarders_below: int = 0
    """...and ends only when fewer than this wait."""
    open_beds: dict[str, int] = field(default_factory=dict)
    """Escalation beds opened per ward."""
    ed_spaces: dict[str, int] = field(default_factory=dict)
    """Extra spaces per emergency department (corridor care)."""
    postpone_pct: float = 0.0
    """% of the elective patients arriving while the level holds who are postponed."""
    weekend_pct: float = 0.0
    """Discharge push: weekend discharges at this % of the weekday rate (0: no push)."""


@dataclass
class OpelLever:
    """Escalation levels (OPEL 1-4) as the Scenario page sets them: one group of units, levels 2-4."""

    mode: str = "off"
    group: str = "GA"
    units: list[str] = field(default_factory=list)
    """Units whose beds the pressure is measured over."""
    hold_hours: float = 12.0
    """Least hours at a level before stepping down from it."""
    outliers_from: int = 0
    """Outliers (units with an outlying rule) allowed only from this level on; 0: at every level."""
    push_units: list[str] | None = None
    """Units a discharge push applies to (None: every unit of the group)."""
    levels: list[OpelLevel] = field(default_factory=lambda: [OpelLevel(k) for k in OPEL_LEVELS])


@dataclass
class PathwayLever:
    """One discharge pathway as the Scenario page sets it (numbers as shown on screen)."""

    kind: str = "unlimited"
    """``daily`` (starts a day), ``pool`` (places) or ``unlimited`` (no queue), as in the scenario."""
    label: str = ""
    starts_per_day: float = 0.0
    """Daily pathway: starts a day, averaged over the week (a weekday pattern keeps its shape)."""
    places: int = 0
    """Pool: its places (community or rehabilitation beds)."""
    share_pct: float = 100.0
    """The shares of patients taking it, as a % of the scenario's (every unit and class alike)."""
    has_assessment: bool = False
    community: bool = False
    """The assessment happens after the patient has left its bed (discharge to assess)."""


@dataclass
class Levers:
    """The main what-if levers, in the units shown on screen."""

    beds: dict[str, int]
    escalation: dict[str, int]
    volume_pct: float = 100.0
    surge_factor: float = 1.0
    surge_from: dt.date | None = None
    surge_to: dt.date | None = None
    discharge_window: tuple[int, int] | None = None
    nurses: dict[str, dict[str, int]] | None = None
    patience_h: float = 0.0
    """Mean patience (hours, exponential) of every emergency department stream; 0: nobody leaves unseen."""
    patience_h_start: float = 0.0
    """The scenario's own value: the streams' patience is rewritten only when the lever moves from it."""
    outlying: OutlyingLever = field(default_factory=OutlyingLever)
    outlying_start: OutlyingLever = field(default_factory=OutlyingLever)
    """The scenario's own outlying: units are rewritten only when the lever moves from it."""
    discharge_days: tuple[float, ...] | None = None
    """Mon..Sun weights of letting a ready patient go home (inpatient units without their own rule); None: as now."""
    lounge: LoungeLever = field(default_factory=LoungeLever)
    lounge_start: LoungeLever = field(default_factory=LoungeLever)
    """The scenario's own lounge: the lounges are rewritten only when the lever moves from it."""
    opel: OpelLever = field(default_factory=OpelLever)
    opel_start: OpelLever = field(default_factory=OpelLever)
    """The scenario's own escalation levels: ``escalation_levels`` is rewritten only when the lever moves from it."""
    pathways: dict[str, PathwayLever] = field(default_factory=dict)
    pathways_start: dict[str, PathwayLever] = field(default_factory=dict)
    """The scenario's own discharge pathways: a pathway is rewritten only when its lever moves from it."""


def _ed_streams(scenario_units: dict, arrivals: list) -> list:
    """The arrival streams (specs or dicts) that arrive at an emergency department."""
    eds = {u for u, spec in scenario_units.items() if (spec.ed if hasattr(spec, "ed") else spec.get("ed"))}
    return [a for a in arrivals if (a.unit if hasattr(a, "unit") else a.get("unit")) in eds]


def inpatient_units(scenario: Scenario) -> list[str]:
    """Units that are not emergency departments, in the scenario's order."""
    return [u for u, spec in scenario.units.items() if spec.ed is None and spec.kind != "ed"]


def host_candidates(scenario: Scenario) -> list[str]:
    """Units that may host outliers on the Scenario page: inpatient units but critical care."""
    return [u for u in inpatient_units(scenario) if scenario.units[u].kind not in ("icu", "hdu")]


def _medical_wards(scenario: Scenario) -> list[str]:
    """Wards reached by a patient class named medical and by no class named surgical (the baseline's MED, ELD)."""

    def reached(word: str) -> set[str]:
        out: set[str] = set()
        for c in scenario.class_names():
            if word in c.lower() and "non_admitted" not in c.lower():
                g = scenario.route_graph(c)
                for e in scenario.entry_units(c):
                    out |= {e} | (nx.descendants(g, e) if e in g else set())
        return out

    medical, surgical = reached("medical"), reached("surgical")
    return [u for u in inpatient_units(scenario) if scenario.units[u].kind == "ward" and u in medical - surgical]


def _outlying_of(scenario: Scenario) -> OutlyingLever:
    """The outlying lever as the scenario stands; when it has none, sensible values for switching it on."""
    homes = [u for u, spec in scenario.units.items() if spec.outlying is not None]
    if homes:
        hosts = list(dict.fromkeys(h for u in homes for h in scenario.units[u].outlying.hosts))
        caps = [scenario.units[h].max_outliers for h in hosts if h in scenario.units]
        cap = 0 if any(c is None for c in caps) or not caps else max(caps)
        after = float(scenario.units[homes[0]].outlying.after_hours)
        return OutlyingLever(on=True, homes=homes, hosts=hosts, max_per_host=int(cap), after_hours=after)
    wards = [u for u in host_candidates(scenario) if scenario.units[u].kind == "ward"]
    return OutlyingLever(on=False, homes=_medical_wards(scenario) or wards, hosts=wards)


def _pathways_of(scenario: Scenario) -> dict[str, PathwayLever]:
    """The discharge pathway levers as the scenario has them (none without ``discharge_pathways``)."""
    out = {}
    for name, spec in scenario.discharge_pathways.items():
        week = spec.starts_week() if spec.kind == "daily" else [0.0]
        out[name] = PathwayLever(
            kind=spec.kind,
            label=spec.label,
            starts_per_day=round(sum(week) / len(week), 4),
            places=int(spec.places or 0),
            has_assessment=spec.assessment is not None,
            community=spec.assessment_in == "community",
        )
    return out


def pathway_shares_words(scenario: Scenario, name: str) -> str:
    """Who takes pathway ``name`` in words: 'MED 15%; SURG: surgical 10%' (scenario-wide shares by unit, then the
    classes' own), or '' when no share names it."""
    parts = [f"{u} {100 * r[name]:g}%" for u, r in scenario.pathway_shares.items() if r.get(name)]
    for c, pc in scenario.patient_classes.items():
        parts += [f"{u} ({c}) {100 * r[name]:g}%" for u, r in pc.pathway_shares.items() if r.get(name)]
    return "; ".join(parts)


def _lounge_of(scenario: Scenario) -> LoungeLever:
    """The lounge lever from the scenario's first lounge; when it has none, a 12-place lounge for its wards."""
    if scenario.discharge_lounges:
        lounge = next(iter(scenario.discharge_lounges.values()))
        hours = tuple(int(h) for h in lounge.hours) if lounge.hours else (0, 24)
        units = list(lounge.units) if lounge.units is not None else inpatient_units(scenario)
        mean_h = round(lounge.time_there.to_distribution().mean_h, 2)
        return LoungeLever(on=True, places=lounge.places, hours=hours, time_h=mean_h, units=units)
    wards = [u for u in inpatient_units(scenario) if scenario.units[u].kind == "ward"]
    return LoungeLever(on=False, units=wards or inpatient_units(scenario))


def _is_ed(scenario: Scenario, u: str) -> bool:
    return scenario.units[u].ed is not None or scenario.units[u].kind == "ed"


def _opel_from_spec(scenario: Scenario, name: str, spec: Any) -> OpelLever:
    """The escalation lever of one group (``EscalationPolicySpec``) of ``scenario``; levels it lacks are off."""
    from hospital_twin.scenario.schema import escalation_group_units

    own = {lv.level: lv for lv in spec.levels}
    levels = []
    push_units = None
    for k in OPEL_LEVELS:
        lv = own.get(k)
        if lv is None:
            levels.append(
                OpelLevel(k, on=False, enter_pct=84.0 + 4 * k, leave_pct=81.0 + 4 * k)
            )  # 92/89, 96/93, 100/97
            continue
        a = lv.actions
        push = a.discharge_push
        if push is not None and push.units is not None:
            push_units = list(push.units)
        levels.append(
            OpelLevel(
                k,
                on=True,
                enter_pct=round(100 * lv.enter_at, 2),
                leave_pct=round(100 * lv.leave_below, 2),
                boarders_at=int(lv.boarders_at or 0),
                boarders_below=int(lv.boarders_release or 0),
                open_beds=dict(a.open_beds),
                ed_spaces=dict(a.ed_spaces),
                postpone_pct=round(100 * a.postpone_electives, 2),
                weekend_pct=round(100 * push.weekend_rate, 2) if push and push.weekend_rate is not None else 0.0,
            )
        )
    gated = [lv.level for lv in spec.levels if lv.actions.allow_outlying]
    return OpelLever(
        mode="edit",
        group=name,
        units=escalation_group_units(scenario, spec),
        hold_hours=float(spec.hold_hours),
        outliers_from=min(gated) if gated else 0,
        push_units=push_units,
        levels=levels,
    )


@functools.lru_cache(maxsize=2)
def _card(mtime: float) -> Scenario:
    return load_scenario(OPEL_CARD)


def opel_card(scenario: Scenario) -> OpelLever:
    """The OPEL action card of ``opel_actions.yaml`` (its first group) fitted to ``scenario``: units, wards and
    EDs it lacks are left out, boarders only with an ED, postponement only when an elective list admits to the
    group."""
    card = _card(OPEL_CARD.stat().st_mtime)
    name, spec = next(iter(card.escalation_levels.items()))
    o = _opel_from_spec(card, name, spec)
    have = set(scenario.units)
    units = [u for u in o.units if u in have and not _is_ed(scenario, u)]
    o.units = units or host_candidates(scenario) or inpatient_units(scenario)
    has_ed = any(_is_ed(scenario, u) for u in have)
    elective = any(e.unit in o.units for e in scenario.electives)
    if name in have:
        o.group = f"{name}_group"
    if o.push_units is not None:
        o.push_units = [u for u in o.push_units if u in have] or None
    for lv in o.levels:
        lv.open_beds = {u: n for u, n in lv.open_beds.items() if u in have and not _is_ed(scenario, u)}
        lv.ed_spaces = {u: n for u, n in lv.ed_spaces.items() if u in have and _is_ed(scenario, u)}
        if not has_ed:
            lv.boarders_at = lv.boarders_below = 0
        if not elective:
            lv.postpone_pct = 0.0
    o.mode = "card"
    return o


def opel_words(o: OpelLever, outlying: list[str] | None = None) -> list[str]:
    """The levels of the lever in a manager's words, one line per level that is used.

    ``outlying``: the units that have an outlying rule (whose outliers a level may allow).
    """
    out = []
    for lv in o.levels:
        if not lv.on:
            continue
        start = f"from {lv.enter_pct:g}% of the beds occupied or waited for"
        end = f"ends below {lv.leave_pct:g}%"
        if lv.boarders_at > 0:
            start += f" or {lv.boarders_at} ED patients waiting for a bed"
            end += f" and under {lv.boarders_below} waiting"
        acts = []
        if any(n > 0 for n in lv.open_beds.values()):
            acts.append("escalation beds " + ", ".join(f"{u} {n}" for u, n in lv.open_beds.items() if n > 0))
        if any(n > 0 for n in lv.ed_spaces.values()):
            acts.append(", ".join(f"{n} extra spaces in {u}" for u, n in lv.ed_spaces.items() if n > 0))
        if lv.level == o.outliers_from:
            acts.append("outliers allowed" + (f" ({', '.join(outlying)})" if outlying else ""))
        if lv.postpone_pct > 0:
            acts.append(f"{lv.postpone_pct:g}% of planned admissions postponed")
        if lv.weekend_pct > 0:
            on = f" on {', '.join(o.push_units)}" if o.push_units else ""
            acts.append(f"weekend discharges at {lv.weekend_pct:g}% of weekdays{on}")
        text = "; ".join(acts) or "no actions"
        out.append(f"**OPEL {lv.level}** {start}; {end}. {text[0].upper()}{text[1:]}.")
    return out


def _opel_of(scenario: Scenario) -> OpelLever:
    """The escalation lever as the scenario stands (its first group); without levels: off, with the card's
    values ready for editing."""
    if scenario.escalation_levels:
        name, spec = next(iter(scenario.escalation_levels.items()))
        return _opel_from_spec(scenario, name, spec)
    try:
        o = opel_card(scenario)
    except (ScenarioError, OSError):  # the card is shipped; without it, a plain start
        o = OpelLever(units=host_candidates(scenario) or inpatient_units(scenario))
    o.mode = "off"
    return o


def discharge_day_pass(scenario: Scenario) -> list[float]:
    """Mon..Sun share of the patients ready to go home who may leave that day, under the scenario-wide rule."""
    if scenario.discharge is None:
        return [1.0] * 7
    return [round(x, 4) for x in scenario.discharge.day_pass()]


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain YAML data, defaults left out (what ``dump_scenario`` writes)."""
    return yaml.safe_load(dump_scenario(scenario))


def levers_of(scenario: Scenario) -> Levers:
    """The levers as they stand in ``scenario`` (the widgets' starting values)."""
    window = None
    if scenario.discharge is not None and scenario.discharge.window_hours is not None:
        a, b = scenario.discharge.window_hours
        window = (int(a), int(b))
    nurses = None
    if scenario.staffing is not None:
        nurses = {u: dict(st.nurses) for u, st in scenario.staffing.units.items()}
    patience = [a.patience for a in _ed_streams(scenario.units, scenario.arrivals) if a.patience is not None]
    patience_h = round(patience[0].to_distribution().mean_h, 2) if patience else 0.0
    outlying = _outlying_of(scenario)
    lounge = _lounge_of(scenario)
    opel = _opel_of(scenario)
    pathways = _pathways_of(scenario)
    return Levers(
        pathways=copy.deepcopy(pathways),
        pathways_start=pathways,
        opel=copy.deepcopy(opel),
        opel_start=opel,
        patience_h=patience_h,
        patience_h_start=patience_h,
        outlying=replace(outlying, homes=list(outlying.homes), hosts=list(outlying.hosts)),
        outlying_start=outlying,
        lounge=replace(lounge, units=list(lounge.units)),
        lounge_start=lounge,
        beds={u: spec.beds for u, spec in scenario.units.items()},
        escalation={u: (spec.escalation.beds if spec.escalation else 0) for u, spec in scenario.units.items()},
        discharge_window=window,
        nurses=nurses,
    )


def apply_levers(data: dict[str, Any], lv: Levers) -> dict[str, Any]:
    """A copy of the scenario data with the levers applied (validation is the package's job)."""
    d = copy.deepcopy(data)
    for u, beds in lv.beds.items():
        d["units"][u]["beds"] = int(beds)
    for u, n in lv.escalation.items():
        unit = d["units"][u]
        old = unit.get("escalation") or {}
        if n > 0:
            unit["escalation"] = {**old, "beds": int(n)}
        else:
            unit.pop("escalation", None)
    if abs(lv.volume_pct - 100.0) > 1e-9:
        for a in d.get("arrivals", []):
            a["per_day"] = round(float(a["per_day"]) * lv.volume_pct / 100.0, 6)
    if abs(lv.surge_factor - 1.0) > 1e-9 and lv.surge_from is not None and lv.surge_to is not None:
        for a in d.get("arrivals", []):
            a.setdefault("multipliers", [])
            a["multipliers"] = list(a["multipliers"]) + [
                {
                    "from": lv.surge_from.isoformat(),
                    "to": lv.surge_to.isoformat(),
                    "factor": float(lv.surge_factor),
                    "label": "surge set in the app",
                }
            ]
    if lv.discharge_window is not None:
        dis = dict(d.get("discharge") or {})
        dis["window_hours"] = [int(lv.discharge_window[0]), int(lv.discharge_window[1])]
        d["discharge"] = dis
    elif d.get("discharge") and "window_hours" in d["discharge"]:
        d["discharge"] = {k: v for k, v in d["discharge"].items() if k != "window_hours"}
    if abs(lv.patience_h - lv.patience_h_start) > 1e-9:
        for a in _ed_streams(d["units"], d.get("arrivals", [])):
            if lv.patience_h > 0:
                a["patience"] = {"distribution": "exponential", "mean_hours": float(lv.patience_h)}
            else:
                a.pop("patience", None)
    if lv.outlying != lv.outlying_start:
        _apply_outlying(d, lv.outlying, lv.outlying_start)
    if lv.discharge_days is not None:
        dis = {k: v for k, v in (d.get("discharge") or {}).items() if k != "weekend_rate"}
        dis["day_of_week"] = [round(float(w), 4) for w in lv.discharge_days]
        d["discharge"] = dis
    if lv.lounge != lv.lounge_start:
        _apply_lounge(d, lv.lounge, lv.lounge_start)
    if lv.opel != lv.opel_start:
        _apply_opel(d, lv.opel)
    for name, p in lv.pathways.items():
        if p != lv.pathways_start.get(name):
            _apply_pathway(d, name, p, lv.pathways_start.get(name))
    if lv.nurses and d.get("staffing"):
        for u, shifts in lv.nurses.items():
            if u in d["staffing"].get("units", {}):
                d["staffing"]["units"][u]["nurses"] = {sh: int(n) for sh, n in shifts.items()}
    return d


def _apply_outlying(d: dict[str, Any], o: OutlyingLever, start: OutlyingLever) -> None:
    """Write the outlying lever into the units of scenario data ``d`` (off: every unit's outlying and cap go).

    A home unit keeps the rest of its own rule (classes, stay factor, repatriation), and its own host order
    while the host list is left as the scenario had it; the hosts' caps are set from the lever only when the
    cap or the host list moved (a scenario may give each host its own cap).
    """
    units = d["units"]
    old = {u: spec.pop("outlying", None) or {} for u, spec in units.items()}
    if not o.on:
        for spec in units.values():
            spec.pop("max_outliers", None)
        return
    same_hosts = o.hosts == start.hosts and start.on
    for u in o.homes:
        hosts = old[u].get("hosts") if same_hosts and old[u].get("hosts") else [h for h in o.hosts if h != u]
        if u in units and hosts:
            units[u]["outlying"] = {**old[u], "hosts": list(hosts), "after_hours": float(o.after_hours)}
    if same_hosts and o.max_per_host == start.max_per_host:
        return
    for h in o.hosts:
        if h not in units:
            continue
        if o.max_per_host > 0:
            units[h]["max_outliers"] = int(o.max_per_host)
        else:
            units[h].pop("max_outliers", None)


def _apply_pathway(d: dict[str, Any], name: str, p: PathwayLever, start: PathwayLever | None) -> None:
    """Write one discharge pathway's lever into scenario data ``d``: its daily starts (a weekday pattern scaled to
    the new average), places, where its assessment happens, and its shares scaled by ``share_pct`` in every unit
    and class (a row that gives P0 keeps adding up to 1: P0 takes up the change)."""
    entry = d.setdefault("discharge_pathways", {}).setdefault(name, {})
    if p.kind == "daily" and (start is None or abs(p.starts_per_day - start.starts_per_day) > 1e-9):
        week = entry.get("starts_by_weekday")
        old = sum(week) / 7 if week else 0.0
        if week and old > 0:
            entry["starts_by_weekday"] = [round(float(x) * p.starts_per_day / old, 4) for x in week]
        else:
            entry.pop("starts_by_weekday", None)
            entry["starts_per_day"] = round(float(p.starts_per_day), 4)
    if p.kind == "pool":
        entry["places"] = int(p.places)
    if p.has_assessment:
        if p.community:
            entry["assessment_in"] = "community"
        else:
            entry.pop("assessment_in", None)
    if start is None or abs(p.share_pct - start.share_pct) > 1e-9:
        factor = p.share_pct / (start.share_pct if start and start.share_pct > 0 else 100.0)
        tables = [d.get("pathway_shares") or {}]
        tables += [(pc or {}).get("pathway_shares") or {} for pc in (d.get("patient_classes") or {}).values()]
        for table in tables:
            for row in table.values():
                if name not in row:
                    continue
                row[name] = round(float(row[name]) * factor, 6)
                if "P0" in row:
                    row["P0"] = round(max(0.0, 1.0 - sum(float(v) for k, v in row.items() if k != "P0")), 6)


def _apply_lounge(d: dict[str, Any], lounge: LoungeLever, start: LoungeLever) -> None:
    """Write the lounge lever into scenario data ``d``: the scenario's first lounge (under its own name) or a new
    one; off: no lounge at all."""
    old_lounges = d.get("discharge_lounges") or {}
    if not lounge.on:
        d.pop("discharge_lounges", None)
        return
    name = next(iter(old_lounges), LOUNGE_NAME)
    entry = dict(old_lounges.get(name) or {})
    entry["places"] = int(lounge.places)
    a, b = lounge.hours
    if (a, b) == (0, 24):
        entry.pop("hours", None)
    else:
        entry["hours"] = [int(a), int(b)]
    if "time_there" not in entry or abs(lounge.time_h - start.time_h) > 1e-9:
        entry["time_there"] = {"distribution": "lognormal", "mean_hours": float(lounge.time_h), "cv": LOUNGE_CV}
    entry["units"] = list(lounge.units)
    d["discharge_lounges"] = {**old_lounges, name: entry}


def _apply_opel(d: dict[str, Any], o: OpelLever) -> None:
    """Write the escalation lever into scenario data ``d``: off removes ``escalation_levels``; the card replaces
    every group with its own; edit rewrites the first group (keeping what the page does not show, such as a
    push's window or ``hold_hours_up``) and leaves any other group as it is.

    Outliers from a level apply to the units that have an outlying rule in ``d`` (the scenario's own gated
    units when they still have one); with none, nothing is gated (the page says so).
    """
    if o.mode == "off":
        d.pop("escalation_levels", None)
        return
    groups = dict(d.get("escalation_levels") or {})
    first = next(iter(groups), None)
    old = dict(groups.get(first) or {}) if o.mode == "edit" and first == o.group else {}
    old_levels = {int(lv.get("level", 0)): lv for lv in old.get("levels", [])}
    outlying = [u for u, spec in d["units"].items() if spec.get("outlying")]
    own_gated = [u for lv in old_levels.values() for u in (lv.get("actions") or {}).get("allow_outlying", [])]
    gated = own_gated if own_gated and all(u in outlying for u in own_gated) else outlying
    levels = []
    for lv in o.levels:
        if not lv.on:
            continue
        entry = copy.deepcopy(old_levels.get(lv.level, {}))
        entry.update(level=lv.level, enter_at=round(lv.enter_pct / 100, 4), leave_below=round(lv.leave_pct / 100, 4))
        if lv.boarders_at > 0:
            entry["boarders_at"], entry["boarders_below"] = int(lv.boarders_at), int(lv.boarders_below)
        else:
            entry.pop("boarders_at", None)
            entry.pop("boarders_below", None)
        actions = dict(entry.get("actions") or {})
        for key, value in (("open_beds", lv.open_beds), ("ed_spaces", lv.ed_spaces)):
            beds = {u: int(n) for u, n in value.items() if n > 0}
            if beds:
                actions[key] = beds
            else:
                actions.pop(key, None)
        if lv.postpone_pct > 0:
            actions["postpone_electives"] = round(lv.postpone_pct / 100, 4)
        else:
            actions.pop("postpone_electives", None)
        push = dict(actions.pop("discharge_push", None) or {})
        if lv.weekend_pct > 0:
            if o.push_units is not None and "units" not in push:
                push = {"units": list(o.push_units), **push}
            push["weekend_rate"] = round(lv.weekend_pct / 100, 4)
        else:
            push.pop("weekend_rate", None)
        if push.get("weekend_rate") is not None or push.get("window_hours") is not None:
            actions["discharge_push"] = push
        actions.pop("allow_outlying", None)
        if lv.level == o.outliers_from and gated:
            actions["allow_outlying"] = list(gated)
        if actions:
            entry["actions"] = actions
        else:
            entry.pop("actions", None)
        levels.append(entry)
    group = {**old, "units": list(o.units), "hold_hours": float(o.hold_hours), "levels": levels}
    if o.mode == "edit" and first == o.group:
        if "units" not in old:
            group.pop("units")
        groups[first] = group
        d["escalation_levels"] = groups
    else:
        d["escalation_levels"] = {o.group: group}


def with_run_settings(
    data: dict[str, Any], *, horizon_days: float, warmup_days: float | str, replications: int, seed: int
) -> dict[str, Any]:
    d = copy.deepcopy(data)
    d["horizon_days"] = float(horizon_days)
    d["warmup_days"] = warmup_days if warmup_days == "auto" else float(warmup_days)
    d["replications"] = int(replications)
    d["seed"] = int(seed)
    return d


def default_run_settings(scenario: Scenario) -> dict[str, int]:
    """The one source of the run settings' defaults (Run and Compare, and the Scenario page's date checks): the
    run the scenario asks for (its horizon, its warm-up, at least 5 replications; ``experiment.runlength``)."""
    from hospital_twin.experiment.runlength import default_run_length

    d = default_run_length(scenario)
    return {"horizon_days": d.horizon_days, "warmup_days": d.warmup_days, "replications": d.replications}


def quick_look_settings(scenario: Scenario) -> dict[str, int]:
    """A quick look: 28 days after the default warm-up, 5 replications (seconds, and biased)."""
    from hospital_twin.experiment.runlength import quick_look

    d = quick_look(scenario)
    return {"horizon_days": d.horizon_days, "warmup_days": d.warmup_days, "replications": d.replications}


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def validate_data(data: dict[str, Any], name: str = "edited scenario") -> tuple[Scenario | None, list[Issue]]:
    """Validate scenario data with the package; returns the scenario or the located issues."""
    try:
        return load_scenario_text(to_yaml(data), name=name), []
    except ScenarioError as exc:
        return None, list(exc.issues)


LEVER_FIELDS = {
    "beds": re.compile(r"^units\.(?P<unit>[^.\[]+)\.(beds|capacity_changes)"),
    "escalation": re.compile(r"^units\.(?P<unit>[^.\[]+)\.escalation"),
    "surge": re.compile(r"^arrivals\[\d+\]\.multipliers"),
    "outlying": re.compile(r"^units\.(?P<unit>[^.\[]+)\.(outlying|max_outliers)"),
    "lounge": re.compile(r"^discharge_lounges"),
    "opel": re.compile(r"^escalation_levels"),
    "pathways": re.compile(r"^(discharge_pathways|pathway_shares|patient_classes\.[^.]+\.pathway_shares)"),
    "patience": re.compile(r"^arrivals\[\d+\]\.patience"),
    "volume": re.compile(r"^arrivals"),
    "discharge": re.compile(r"^(discharge|units\.[^.]+\.discharge)"),
    "staffing": re.compile(r"^(staffing|shifts)"),
}


def lever_of(issue: Issue) -> tuple[str, str | None]:
    """Which lever (and unit) an issue concerns, so the page can show it next to that widget."""
    for lever, pat in LEVER_FIELDS.items():
        m = pat.match(issue.field or "")
        if m:
            return lever, m.groupdict().get("unit")
    return "other", None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- typed dates and pending lever changes
_DAY_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%a %d %b %Y")


def parse_day(text: str | dt.date | None) -> dt.date | None:
    """A date typed by a person: ``3 Feb 2025``, ``03/02/2025`` (day first, as in the UK), ``2025-02-03``;
    None when it is not one."""
    if isinstance(text, dt.date):
        return text if not isinstance(text, dt.datetime) else text.date()
    words = " ".join(str(text or "").replace(",", " ").split())
    for fmt in _DAY_FORMATS:
        try:
            return dt.datetime.strptime(words, fmt).date()
        except ValueError:
            continue
    return None


def day_words(day: dt.date) -> str:
    """``3 Feb 2025``: how the Scenario page writes a date into a date field."""
    return f"{day.day} {day:%b %Y}"


def levers_signature(session: Any) -> str:
    """A fingerprint of every lever's value in the session (``lv_*`` keys): when it differs from the one the
    Scenario page stored at the end of its last run, a lever changed that the current scenario does not have
    yet (a date typed and sent as the user moved to another page)."""
    items = sorted((k, repr(session[k])) for k in list(session.keys()) if isinstance(k, str) and k.startswith("lv_"))
    return text_hash(repr(items))
