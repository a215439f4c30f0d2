"""Nurse rostering with OR-Tools CP-SAT: hospital rosters for named staff and INRC-II instances.

The package is part of the pure core: its modules take objects and DataFrames and return
objects and DataFrames; files are read and written only by the readers and writers at the
edge (``io.py``, ``export.py``) and by the commands in :mod:`hospital_twin.cli`.

Rosters for named staff, one noun per module:

- ``staff``: the input tables validated row by row; ``rules``: :class:`RosterRules` and shift clock arithmetic
- ``io``: reading staff, leave, requests, requirements, history and rules (edge)
- ``checker``: the independent checker of any roster (never imports OR-Tools)
- ``greedy``: the greedy first roster (no OR-Tools)
- ``model``: :func:`build_roster` -> :class:`Roster`, the CP-SAT model and solving in parts
- ``export``: CSV, workbook and iCalendar files of a roster (edge)
- ``inrc2``: the INRC-II competition (its own ``__init__`` lists its modules)

CP-SAT is imported only by ``model`` and by ``inrc2``'s ``model``, ``search`` and ``solve``
(``tests/roster/test_imports.py`` checks it). Inside the package, names are imported from the
module that defines them, never through a package ``__init__``.
"""
