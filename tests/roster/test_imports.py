"""Which roster modules may import OR-Tools: CP-SAT only in the models, the search and the solver."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROSTER = Path(__file__).resolve().parents[2] / "hospital_twin" / "roster"
CP_SAT = {"model.py", "inrc2/model.py", "inrc2/search.py", "inrc2/solve.py"}
LINEAR_SOLVER = {"inrc2/colgen.py"}  # GLOP for the master LP


def _ortools_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("ortools")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ortools"):
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


@pytest.mark.parametrize("path", sorted(ROSTER.rglob("*.py")), ids=lambda p: str(p.relative_to(ROSTER)))
def test_only_the_models_search_and_solver_import_cp_sat(path):
    """The checker, the greedy roster, the INRC-II evaluator, parsers, readers and writers import no
    OR-Tools at all (they check or feed the solvers); column generation only its LP solver."""
    rel = str(path.relative_to(ROSTER))
    found = _ortools_imports(path)
    if rel in CP_SAT:
        assert found <= {"ortools.sat.python.cp_model"}, found
    elif rel in LINEAR_SOLVER:
        assert found <= {"ortools.linear_solver.pywraplp"}, found
    else:
        assert not found, f"{rel} imports {found}"
