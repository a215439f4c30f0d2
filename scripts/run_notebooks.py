"""Execute the notebooks under notebooks/ top to bottom and store them with their outputs.

The notebooks are committed *with* outputs, so that they read on a code host (GitHub, GitLab)
without running. This script is the one way to store them (``make notebooks``)::

    python scripts/run_notebooks.py                   # every notebook
    python scripts/run_notebooks.py notebooks/X.ipynb # some of them

Each notebook runs in its own folder (as Jupyter opens it) in a fresh kernel of *this*
interpreter, with timing metadata left out so that a re-run without changes gives the same
file apart from what the code prints. The SHA-256 of every code cell's source is stored in the
notebook's metadata (``hospital_twin.code_cells_sha256``): ``tests/test_notebooks.py`` compares
it with the sources, so a cell edited after the outputs were stored is caught (run this again).
A notebook that raises is not written, and the script exits 1 naming it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
CELL_TIMEOUT_S = 300
METADATA_KEY = "hospital_twin"
"""Notebook metadata written by this script: ``{"code_cells_sha256": [...]}``."""


def notebooks() -> list[Path]:
    """Every notebook under notebooks/ (checkpoints left out), sorted."""
    return sorted(p for p in NOTEBOOK_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def kernel_manager() -> AsyncKernelManager:
    """A manager for ipykernel's native ``python3`` kernel, which runs ``sys.executable``.

    With no kernel directories to search, the spec manager can only return the spec that
    ipykernel builds for the running interpreter, so installed kernelspecs (user, system,
    ``JUPYTER_PATH``) cannot point the notebook at another Python.
    """
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)


def code_hashes(nb: nbformat.NotebookNode) -> list[str]:
    """SHA-256 of each code cell's source, in order."""
    return [hashlib.sha256(c.source.encode()).hexdigest() for c in nb.cells if c.cell_type == "code"]


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed top to bottom in its folder (raises CellExecutionError on an error)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    NotebookClient(
        nb,
        km=kernel_manager(),
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def store(path: Path) -> nbformat.NotebookNode:
    """Execute the notebook and write it back with its outputs and the hashes of its code cells."""
    nb = execute(path)
    nb.metadata[METADATA_KEY] = {"code_cells_sha256": code_hashes(nb)}
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to store (default: all under notebooks/)")
    args = parser.parse_args(argv)
    failed = []
    for path in args.paths or notebooks():
        try:
            store(path.resolve())
        except CellExecutionError as exc:
            print(f"{path}: FAILED, not written\n{exc}", file=sys.stderr)
            failed.append(path)
            continue
        print(f"{path}: stored, {path.stat().st_size / 1e6:.2f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
