"""Every notebook under notebooks/ runs top to bottom without an error, and is stored without outputs.

Each notebook is executed with nbclient in its own folder (as Jupyter would open it), so
a notebook has to find the repository root itself (see notebooks/README.md). The kernel
is ipykernel's built-in ``python3`` for *this* interpreter (``sys.executable``), not
whatever kernelspec named ``python3`` the user or the system may have installed: on a
fresh machine, ``pip install -e '.[test]'`` is all it needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
CELL_TIMEOUT_S = 300


def _ids(path: Path) -> str:
    return str(path.relative_to(REPO / "notebooks"))


def _kernel_manager() -> AsyncKernelManager:
    """A manager for ipykernel's native ``python3`` kernel, which runs ``sys.executable``.

    With no kernel directories to search, the spec manager can only return the spec that
    ipykernel builds for the running interpreter, so installed kernelspecs (user, system,
    ``JUPYTER_PATH``) cannot point the notebook at another Python.
    """
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)


def test_notebook_kernel_is_this_interpreter():
    """The kernel the notebooks run in is the interpreter running the tests (the venv's)."""
    argv = _kernel_manager().kernel_spec.argv
    assert Path(argv[0]) == Path(sys.executable), argv


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_is_stored_without_outputs(path):
    """Notebooks are committed with outputs cleared, so that diffs show only the source."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: code cells {dirty} hold outputs; clear them before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_without_errors(path):
    """Executes every cell in the notebook's own folder; any exception fails the test with its traceback."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        km=_kernel_manager(),
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
