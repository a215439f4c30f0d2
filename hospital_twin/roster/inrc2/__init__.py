"""The Second International Nurse Rostering Competition (INRC-II): files, evaluator, solver.

One noun per module, each importing only those above it:

- ``format``: parsers of ``Sc-``/``H0-``/``WD-``/``Sol-*.txt``, the static :class:`Instance`, solution text and names
- ``evaluate``: :func:`evaluate` -> :class:`CostReport` (the official validator's costs), weights, one nurse's cost
- ``colgen``: column generation (pricing DP, master LP, dive, best response); GLOP, no CP-SAT
- ``model``: :class:`Inrc2Model`, the CP-SAT model
- ``search``: greedy start, local search, best-response sweeps, LNS neighbourhoods
- ``solve``: :func:`solve` with its :class:`SolveConfig`, the orchestration

Names are re-exported lazily. ``evaluate`` and ``solve`` are both a module and the function it
defines; here they are always the functions, whatever was imported before (reach the modules by
their full names: ``from hospital_twin.roster.inrc2.solve import SolveConfig``).
"""

import sys
import types

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "Instance": "hospital_twin.roster.inrc2.format",
    "Inrc2FormatError": "hospital_twin.roster.inrc2.format",
    "read_instance": "hospital_twin.roster.inrc2.format",
    "parse_scenario": "hospital_twin.roster.inrc2.format",
    "solution_text": "hospital_twin.roster.inrc2.format",
    "solution_file_name": "hospital_twin.roster.inrc2.format",
    "CostReport": "hospital_twin.roster.inrc2.evaluate",
    "evaluate": "hospital_twin.roster.inrc2.evaluate",
    "Inrc2Model": "hospital_twin.roster.inrc2.model",
    "solve": "hospital_twin.roster.inrc2.solve",
    "SolveConfig": "hospital_twin.roster.inrc2.solve",
    "SolveResult": "hospital_twin.roster.inrc2.solve",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


class _FunctionsOverSubmodules(types.ModuleType):
    """Importing a submodule sets it as an attribute of its package; for ``evaluate`` and ``solve``
    that would hide the re-exported function of the same name, depending on what was imported first."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}":
            return  # the submodule stays in sys.modules; the package's name stays the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _FunctionsOverSubmodules
