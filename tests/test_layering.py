"""The pure core never imports the edges, never prints, never uses global random state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "hospital_twin"
CORE = [
    "scenario/schema.py", "distributions.py", "rng.py", "sim/calendar.py", "sim/model.py", "results.py", "experiment.py",
    "executors.py", "comparison.py", "warmup.py", "describe.py", "census.py", "forecast.py", "forecast_backtest.py",
    "calibration/fit.py", "calibration/dates.py", "calibration/scenario_yaml.py", "calibration/backtest.py",
    "staffing.py", "staffing_loop.py",
    "roster/staff.py", "roster/rules.py", "roster/model.py", "roster/checker.py",
    "roster/inrc2.py", "roster/inrc2_solver.py", "roster/inrc2_colgen.py",
]
EDGE_MODULES = {"typer", "rich", "streamlit", "click", "yaml", "hospital_twin.cli", "hospital_twin.resultsdir"}


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_layering_core_module_stays_pure(module):
    """Core modules import no UI/CLI/YAML code and contain no print() calls."""
    tree = ast.parse((PKG / module).read_text())
    bad = {n for n in _imports(tree) if n.split(".")[0] in EDGE_MODULES or n in EDGE_MODULES}
    assert not bad, f"{module} imports {bad}"
    prints = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
    assert not prints, f"{module} prints at lines {prints}"


def test_layering_no_global_random_state():
    """No module uses the random module or numpy's legacy global functions."""
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text())
        assert "random" not in _imports(tree), path
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                if node.value.attr == "random" and getattr(node.value.value, "id", None) == "np":
                    assert node.attr in {"Generator", "PCG64", "SeedSequence", "default_rng"}, f"{path}: np.random.{node.attr}"
