"""``hospital-twin roster ...``: rostering verbs (INRC-II benchmark instances, hospital rosters).

The sub-commands are registered on :data:`roster_app` by their own modules in this package.
"""

from __future__ import annotations

import typer

from hospital_twin.cli import app

roster_app = typer.Typer(
    name="roster",
    help="Build nurse rosters with CP-SAT: INRC-II competition instances and hospital rosters.",
    no_args_is_help=True,
)
app.add_typer(roster_app, name="roster")
