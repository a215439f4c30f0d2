"""Start-up stays light: the command line and the scenario package import no heavy library (issue 16).

Each check runs in a fresh interpreter (a subprocess), because this test process has long
since imported pandas and friends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "pyarrow", "scipy", "altair", "vl_convert", "ortools", "numba", "openpyxl", "networkx")


def _heavy_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy libraries then in ``sys.modules``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["hospital_twin", "hospital_twin.cli", "hospital_twin.scenario"])
def test_importing_the_entry_points_imports_no_heavy_library(module):
    """``import hospital_twin.cli`` / ``hospital_twin.scenario`` load none of pandas, scipy, pyarrow, altair..."""
    assert _heavy_after(f"import {module}") == []


def test_help_answers_without_a_heavy_library():
    """``hospital-twin --help`` prints the verbs and exits 0 without importing the heavy set."""
    code = (
        "import sys\nsys.argv = ['hospital-twin', '--help']\nfrom hospital_twin.cli import main\n"
        "assert main() == 0, 'exit status'\n"
    )
    assert _heavy_after(code) == []


def test_reading_a_one_unit_scenario_imports_no_heavy_library():
    """Reading and checking a scenario (what ``validate`` does before its load table) needs no heavy library."""
    path = REPO / "scenarios" / "examples" / "single_ward.yaml"
    code = f"from hospital_twin.scenario.io import read_scenario\nread_scenario({str(path)!r})"
    assert _heavy_after(code) == []


def test_help_lists_the_verbs(tmp_path):
    """The lazy imports keep every verb registered: ``--help`` names run, validate, report and forecast."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "hospital_twin", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    for verb in ("run", "validate", "report", "forecast", "calibrate", "roster", "staff"):
        assert verb in out.stdout


def test_a_lazy_module_becomes_the_module_on_first_use():
    """``lazy_module`` imports on the first attribute read and then leaves the real module in the namespace."""
    from hospital_twin._lazy import lazy_module

    ns: dict = {}
    ns["j"] = lazy_module("json", ns, "j")
    assert ns["j"].dumps([1]) == "[1]"
    assert ns["j"] is json
