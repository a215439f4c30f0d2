"""Nurse rostering with OR-Tools CP-SAT: hospital rosters for named staff and INRC-II instances.

The package is part of the pure core: its modules take objects and DataFrames and return
objects and DataFrames; files are read and written only by the readers and writers at the
edge (``io.py``, ``export.py``) and by the commands in :mod:`hospital_twin.cli`.
"""
