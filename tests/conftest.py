"""Shared fixtures: scenario factories and the repository paths."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from hospital_twin.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
NOT_SCENARIOS = {"staff", "costs.yaml"}
"""Under scenarios/ but not scenarios: roster inputs (staff/, tested by tests/roster/test_io.py), unit costs."""


def tiny(**overrides) -> dict:
    """A minimal valid scenario dict: one ward, Poisson arrivals, lognormal stays."""
    base = {
        "name": "tiny",
        "start": "2025-01-06T00:00:00",
        "horizon_days": 30,
        "warmup_days": 0,
        "replications": 2,
        "seed": 1,
        "units": {"WARD": {"beds": 5, "when_full": "queue"}},
        "arrivals": [{"name": "adm", "unit": "WARD", "per_day": 2.0}],
        "length_of_stay": {"WARD": {"distribution": "lognormal", "mean_hours": 48, "cv": 0.8}},
    }
    out = copy.deepcopy(base)
    out.update(overrides)
    return out


def make(**overrides) -> Scenario:
    return Scenario.model_validate(tiny(**overrides))


@pytest.fixture
def tiny_scenario() -> Scenario:
    return make()


@pytest.fixture(scope="session", autouse=True)
def _vega_bundle_cache(tmp_path_factory):
    """The report's Vega bundle is cached in a folder of the test session, never in the user's ~/.cache."""
    key = "HOSPITAL_TWIN_CACHE_DIR"
    before = os.environ.get(key)
    os.environ[key] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = before
