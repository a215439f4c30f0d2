"""The Second International Nurse Rostering Competition (INRC-II): files, evaluator, solver.

- ``format``: parsers of ``Sc-``/``H0-``/``WD-``/``Sol-*.txt`` and the static :class:`Instance`, solution files
- ``colgen``: column generation (pricing DP, master LP, dive)
- ``solve``: :func:`solve`, the whole search
"""

from hospital_twin._lazy import lazy_exports

_EXPORTS = {
    "Instance": "hospital_twin.roster.inrc2.format",
    "Inrc2FormatError": "hospital_twin.roster.inrc2.format",
    "evaluate": "hospital_twin.roster.inrc2.format",
    "read_instance": "hospital_twin.roster.inrc2.format",
    "parse_scenario": "hospital_twin.roster.inrc2.format",
    "solution_text": "hospital_twin.roster.inrc2.format",
    "solution_file_name": "hospital_twin.roster.inrc2.format",
    "solve": "hospital_twin.roster.inrc2.solve",
    "SolveResult": "hospital_twin.roster.inrc2.solve",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
