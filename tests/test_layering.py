"""The architecture, checked: no import cycles, the layering table of docs/architecture.md, a pure core.

The import graph counts every import in a module, at the top or inside a function: a
cycle through a function-level import is still a cycle for a reader. ``from pkg import
sub`` counts as an import of ``pkg.sub`` only (Python imports ``pkg`` for any ``pkg.x``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "hospital_twin"

# The layering table: which capability package may import which. Keep in step with the table
# in docs/architecture.md (test_layering_table_is_the_one_in_the_docs checks it).
# "base" is the package root and its top-level modules (rng, distributions, atomic, _version, _lazy).
BASE = "base"
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "scenario": {"base"},
    "sim": {"base", "scenario"},
    "results": {"base", "scenario", "sim"},
    "experiment": {"base", "scenario", "sim", "results"},
    "live": {"base", "scenario", "sim", "results", "experiment"},
    "roster": {"base", "scenario"},
    "staffing": {"base", "scenario", "sim", "results", "experiment", "roster"},
    "calibration": {"base", "scenario", "sim", "results", "experiment", "live"},
    "planning": {"base", "scenario", "sim", "results", "experiment"},
    "reporting": {
        "base",
        "scenario",
        "sim",
        "results",
        "experiment",
        "live",
        "calibration",
        "staffing",
        "roster",
        "planning",
    },
    "cli": {
        "base",
        "scenario",
        "sim",
        "results",
        "experiment",
        "live",
        "calibration",
        "staffing",
        "roster",
        "planning",
        "reporting",
    },
}
# Modules that may touch files, the terminal or the environment (the edges). Everything else is pure.
EDGE_MODULES = {
    "scenario.io",
    "scenario.safe_yaml",
    "calibration.adt",
    "experiment.resultsdir",
    "roster.io",
    "roster.export",
    "atomic",
}
EDGE_PACKAGES = {"cli", "reporting"}
UI_LIBRARIES = {"typer", "rich", "click", "streamlit"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module named by an import statement anywhere in ``path``."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING"
        for b in block.body
        for n in ast.walk(b)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES}
            names |= subs
            if len(subs) < len(node.names):
                names.add(node.module)
    return names


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for name, path in MODULES.items():
        g.add_edges_from((name, t) for t in _imports(path) if t in MODULES and t != name)
    return g


def capability(module: str) -> str:
    """The capability package of ``hospital_twin.x.y``: ``x`` for a sub-package, else ``base``/``results``."""
    parts = module.split(".")
    if module == "hospital_twin.__main__":
        return "cli"
    if len(parts) == 1:
        return BASE
    if (PKG / parts[1]).is_dir():
        return parts[1]
    return "results" if parts[1] == "results" else BASE


def test_layering_no_import_cycles():
    """No module reaches itself through imports, function-level imports included."""
    cycles = sorted(sorted(c) for c in nx.simple_cycles(_graph()))
    assert not cycles, f"import cycles: {cycles}"


def test_layering_every_import_follows_the_table():
    """A module imports only from its own package and the packages the layering table allows."""
    bad = []
    for a, b in _graph().edges:
        pa, pb = capability(a), capability(b)
        if pa != pb and pb not in ALLOWED[pa]:
            bad.append(f"{a} -> {b} ({pa} may not import {pb})")
    assert not bad, "\n".join(bad)


def test_layering_every_package_is_in_the_table():
    """Each capability package has a row, so a new package cannot slip past the check."""
    assert {capability(m) for m in MODULES} <= set(ALLOWED)


def test_layering_table_is_the_one_in_the_docs():
    """docs/architecture.md shows the same table: one row per package with what it may import."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]*) \|", text, re.M))
    documented = {
        pkg: {x.strip(" `") for x in deps.split(",") if x.strip(" `-")} for pkg, deps in rows.items() if pkg in ALLOWED
    }
    assert documented == ALLOWED


def test_layering_inside_the_package_no_import_goes_through_a_reexport():
    """Modules import names from the module that defines them, never through a package's lazy re-exports."""
    lazy = {name for name, p in MODULES.items() if p.name == "__init__.py" and "lazy_exports" in p.read_text()}
    bad = [f"{name} imports {t}" for name, path in MODULES.items() for t in _imports(path) if t in lazy]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if capability(m) not in EDGE_PACKAGES))
def test_layering_core_module_stays_pure(module):
    """Outside cli/ and reporting/, no module imports UI libraries, and none prints."""
    path = MODULES[module]
    bad = {n for n in _imports(path) if n.split(".")[0] in UI_LIBRARIES}
    assert not bad, f"{module} imports {bad}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    prints = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
    assert not prints, f"{module} prints at lines {prints}"


@pytest.mark.parametrize(
    "module",
    sorted(
        m
        for m in MODULES
        if capability(m) not in EDGE_PACKAGES and m.removeprefix("hospital_twin.") not in EDGE_MODULES
    ),
)
def test_layering_core_module_draws_no_charts_and_parses_no_yaml(module):
    """Charts belong to reporting/, YAML to the readers at the edge (scenario/io, roster/io)."""
    bad = {n for n in _imports(MODULES[module]) if n.split(".")[0] in {"altair", "yaml", "vl_convert"}}
    assert not bad, f"{module} imports {bad}"


def test_layering_no_global_random_state():
    """No module uses the random module or numpy's legacy global functions."""
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert "random" not in _imports(path), path
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                if node.value.attr == "random" and getattr(node.value.value, "id", None) == "np":
                    assert node.attr in {"Generator", "PCG64", "SeedSequence", "default_rng"}, (
                        f"{path}: np.random.{node.attr}"
                    )


def test_layering_app_reaches_only_use_cases():
    """The app imports the package, never the command line, and never edits sys.path to find it."""
    for path in (REPO / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "sys.path.insert" not in text, f"{path}: the app reaches the package as an installed package"
        assert not any(n.startswith("hospital_twin.cli") for n in _imports(path)), f"{path} imports the CLI"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_layering_no_private_name_crosses_a_package(module):
    """A ``_private`` name is shared at most inside its capability package; other packages use public names
    (the page kit is ``reporting.html``'s public API, the CLI's helpers ``cli._app``'s)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    bad = [
        f"{node.module}.{a.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.level == 0
        and node.module in MODULES
        and capability(node.module) != capability(module)
        for a in node.names
        if a.name.startswith("_") and not a.name.startswith("__")
    ]
    assert not bad, f"{module} imports private names of another package: {bad}"
