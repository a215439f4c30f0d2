"""Shared helpers of the app: shipped files, safe uploads, the levers and the session's scenario.

Everything here is about getting inputs safely into the package's own functions
(``load_scenario_text`` validates; the levers only change numbers in the scenario's
YAML, which is then validated again). No model logic lives in the app.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

DEFAULT_HORIZON_DAYS = 28
DEFAULT_REPLICATIONS = 5


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


# --------------------------------------------------------------------------- levers
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


def _ed_streams(scenario_units: dict, arrivals: list) -> list:
    """The arrival streams (specs or dicts) that arrive at an emergency department."""
    eds = {u for u, spec in scenario_units.items() if (spec.ed if hasattr(spec, "ed") else spec.get("ed"))}
    return [a for a in arrivals if (a.unit if hasattr(a, "unit") else a.get("unit")) in eds]


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
    return Levers(
        patience_h=patience_h,
        patience_h_start=patience_h,
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
    if lv.nurses and d.get("staffing"):
        for u, shifts in lv.nurses.items():
            if u in d["staffing"].get("units", {}):
                d["staffing"]["units"][u]["nurses"] = {sh: int(n) for sh, n in shifts.items()}
    return d


def with_run_settings(
    data: dict[str, Any], *, horizon_days: float, warmup_days: float | str, replications: int, seed: int
) -> dict[str, Any]:
    d = copy.deepcopy(data)
    d["horizon_days"] = float(horizon_days)
    d["warmup_days"] = warmup_days if warmup_days == "auto" else float(warmup_days)
    d["replications"] = int(replications)
    d["seed"] = int(seed)
    return d


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
