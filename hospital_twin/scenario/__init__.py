"""The scenario language: schema (pure models) and io (YAML files)."""

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
