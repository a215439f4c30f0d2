"""The scenario language: schema (pure models) and io (YAML files)."""

from hospital_twin.scenario.errors import Issue, ScenarioError
from hospital_twin.scenario.io import (
    dump_scenario,
    load_scenario,
    load_scenario_text,
    scenario_json_schema,
)
from hospital_twin.scenario.schema import EXIT, Scenario, scenario_problems

__all__ = [
    "EXIT",
    "Issue",
    "Scenario",
    "ScenarioError",
    "dump_scenario",
    "load_scenario",
    "load_scenario_text",
    "scenario_json_schema",
    "scenario_problems",
]
