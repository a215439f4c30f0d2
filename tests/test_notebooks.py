"""Every notebook under notebooks/ is stored with the outputs of its current code, and still runs top to bottom.

Notebooks are committed *with* outputs, so that they read on a code host without running;
``scripts/run_notebooks.py`` (``make notebooks``) is the one way to store them. The fast tests
check what is stored: every code cell executed once, in order, in one kernel; no error output; the
code cells unchanged since their outputs were made (their SHA-256, which the script records);
charts as images; a size a code host shows. The slow test executes every notebook again with
nbclient, in its own folder, in a kernel of *this* interpreter (``sys.executable``, whatever
kernelspecs are installed), and checks that the same cells produce the same kinds of output as
stored. Numbers are not compared: a change of the model that moves them is caught by the
model's own tests, and ``make notebooks`` refreshes them (see notebooks/README.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_notebooks", REPO / "scripts" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_notebooks)

NOTEBOOKS = run_notebooks.notebooks()
MAX_BYTES = 2_000_000
SCRIPTED = ("application/vnd.vega", "application/javascript")
"""Output mimetypes only JavaScript draws (Vega, Vega-Lite, scripts)."""
FIX = "run `make notebooks` (scripts/run_notebooks.py) and commit the result"


def _ids(path: Path) -> str:
    return str(path.relative_to(REPO / "notebooks"))


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _output_kinds(cell) -> list[str]:
    """What a cell showed, without the values: stream names (runs merged) and display mimetypes."""
    kinds: list[str] = []
    for out in cell.outputs:
        kind = out.get("name", "") if out.output_type == "stream" else f"{out.output_type}:{','.join(sorted(out.data))}"
        if not kinds or kinds[-1] != kind or out.output_type != "stream":
            kinds.append(kind)
    return kinds


def test_notebooks_are_found():
    """The three shipped notebooks are there (a renamed folder would silently test nothing)."""
    names = {p.name for p in NOTEBOOKS}
    assert {"whatif_analysis.ipynb", "calibration_walkthrough.ipynb", "hospital_extract_walkthrough.ipynb"} <= names


def test_notebook_kernel_is_this_interpreter():
    """The kernel the notebooks run in is the interpreter running the tests (the venv's)."""
    argv = run_notebooks.kernel_manager().kernel_spec.argv
    assert Path(argv[0]) == Path(sys.executable), argv


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_is_stored_executed_in_order(path):
    """Every code cell has outputs' execution count 1, 2, ..., n: run once, top to bottom, in one fresh kernel."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    counts = [c.execution_count for c in _code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts}; {FIX}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_outputs_belong_to_the_stored_code(path):
    """The code cells are those whose outputs are stored: a cell edited (added, removed) since is caught."""
    nb = nbformat.read(path, as_version=4)
    stored = nb.metadata.get(run_notebooks.METADATA_KEY, {}).get("code_cells_sha256")
    assert stored is not None, f"{path.name}: no record of the executed code; {FIX}"
    now = run_notebooks.code_hashes(nb)
    stale = [i for i, (a, b) in enumerate(zip(stored, now, strict=False)) if a != b]
    assert len(stored) == len(now) and not stale, (
        f"{path.name}: code cells {stale or 'added or removed'} changed since the outputs were stored; {FIX}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_outputs_hold_no_error_and_fit_a_code_host(path):
    """No error or warning output is stored, every chart is an image, and the file stays under 2 MB."""
    nb = nbformat.read(path, as_version=4)
    outputs = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs]
    errors = [i for i, o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert not errors, f"{path.name}: cells {errors} stored an error or stderr output"
    scripted = [i for i, o in outputs if "data" in o and any(m.startswith(SCRIPTED) for m in o.data)]
    for i in scripted:  # drawn by JavaScript, which a code host does not run: an image must come with it
        assert any("image/png" in o.data for j, o in outputs if j == i and "data" in o), f"cell {i}: no image"
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size:,} bytes; aggregate before charting"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_and_shows_what_is_stored(path):
    """Executes every cell in the notebook's own folder (any exception fails with its traceback); each code
    cell shows the same kinds of output as stored."""
    executed = run_notebooks.execute(path)  # raises CellExecutionError, naming the cell, on the first error
    stored = nbformat.read(path, as_version=4)
    differ = [
        (i, _output_kinds(s), _output_kinds(e))
        for i, (s, e) in enumerate(zip(_code_cells(stored), _code_cells(executed), strict=True))
        if _output_kinds(s) != _output_kinds(e)
    ]
    assert not differ, f"{path.name}: code cells show other outputs than stored (cell, stored, now): {differ}; {FIX}"
