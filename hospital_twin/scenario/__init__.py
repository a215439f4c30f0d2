"""The scenario language: schema (pure models) and io (YAML files).

The names below are imported on first use (PEP 562), so ``import hospital_twin.scenario``
(and the command line's ``--help``) does not build the schema; inside hospital_twin,
import from the defining module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hospital_twin._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from hospital_twin.scenario.diff import Change, scenario_changes
    from hospital_twin.scenario.errors import Issue, ScenarioError
    from hospital_twin.scenario.io import (
        LoadedScenario,
        dump_scenario,
        load_scenario,
        load_scenario_text,
        read_scenario,
        read_scenario_text,
        scenario_json_schema,
    )
    from hospital_twin.scenario.schema import EXIT, Scenario, scenario_problems, scenario_warnings

_LAZY = {
    "Change": "hospital_twin.scenario.diff",
    "scenario_changes": "hospital_twin.scenario.diff",
    "Issue": "hospital_twin.scenario.errors",
    "ScenarioError": "hospital_twin.scenario.errors",
    "LoadedScenario": "hospital_twin.scenario.io",
    "dump_scenario": "hospital_twin.scenario.io",
    "load_scenario": "hospital_twin.scenario.io",
    "load_scenario_text": "hospital_twin.scenario.io",
    "read_scenario": "hospital_twin.scenario.io",
    "read_scenario_text": "hospital_twin.scenario.io",
    "scenario_json_schema": "hospital_twin.scenario.io",
    "EXIT": "hospital_twin.scenario.schema",
    "Scenario": "hospital_twin.scenario.schema",
    "scenario_problems": "hospital_twin.scenario.schema",
    "scenario_warnings": "hospital_twin.scenario.schema",
}

__all__ = [
    "EXIT",
    "Change",
    "Issue",
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "dump_scenario",
    "load_scenario",
    "load_scenario_text",
    "read_scenario",
    "read_scenario_text",
    "scenario_changes",
    "scenario_json_schema",
    "scenario_problems",
    "scenario_warnings",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
