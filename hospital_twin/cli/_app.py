"""The Typer application every verb registers on, its consoles, and what the verbs share.

Shared: the error that exits 2 (:class:`InputError`), loading a scenario file, options and
executors for replications, number formatting. The verbs live in the sibling modules
(``simulate``, ``live``, ``calibrate``, ``roster``, ``staff``); :mod:`hospital_twin.cli`
imports them all and turns errors into exit codes.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hospital_twin._version import __version__

app = typer.Typer(
    name="hospital-twin",
    help="A discrete-event digital twin of hospital operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_INVALID = 2
EXIT_FAILURE = 1


class InputError(Exception):
    """Bad input that is the user's to fix (exit 2)."""


def _version(value: bool) -> None:
    if value:
        out_console.print(f"hospital-twin {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Simulate hospital scenarios written in YAML and summarise their KPIs."""


def read_scenario_file(path: Path):
    """The scenario in ``path`` with its base and warnings, a :class:`~hospital_twin.scenario.LoadedScenario`
    (a :class:`~hospital_twin.scenario.ScenarioError` exits 2)."""
    from hospital_twin.scenario.io import read_scenario

    return read_scenario(path)


def print_warnings(warnings) -> None:
    """One line per warning on standard error, ``warning: file:line: field: message``; the verb carries on."""
    for w in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {w}", soft_wrap=True)


def load_scenario_file(path: Path):
    """The scenario in ``path``, its warnings printed (a :class:`~hospital_twin.scenario.ScenarioError` exits 2)."""
    loaded = read_scenario_file(path)
    print_warnings(loaded.warnings)
    return loaded.scenario


# --------------------------------------------------------------------------- shared options
WorkersOpt = Annotated[
    int | None, typer.Option(min=1, help="Local worker processes (default: all cores); results do not depend on it.")
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(help="Run on Dask: 'local' for a local cluster, or a scheduler address such as tcp://host:8786."),
]
PrecisionOpt = Annotated[
    float | None,
    typer.Option(
        min=0.001,
        max=0.99,
        help="Add replications until the relative 95%% half-width of occupancy_mean and wait_for_bed_mean_h "
        "(ALL) is at most this, e.g. 0.05.",
    ),
]
MaxRepsOpt = Annotated[int, typer.Option(min=2, help="Cap on replications when --precision is given.")]


def make_cli_executor(workers: int | None, cluster: str | None, n: int):
    from hospital_twin.experiment.executors import make_executor

    if cluster:
        try:
            return make_executor(workers, cluster)
        except ImportError as exc:
            raise InputError(str(exc)) from None
        except OSError as exc:
            raise InputError(f"--cluster {cluster}: cannot reach the Dask scheduler ({exc})") from None
    return make_executor(min(workers or os.cpu_count() or 1, n), None)


def fmt_value(value: float, how) -> str:
    """``value`` for a table: ``how`` is ``"%"`` or a number of decimals; NaN and None as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if how == "%":
        return f"{100 * value:.1f}%"
    return f"{value:,.{how}f}"


def writable_out(path: Path, option: str = "--out") -> Path:
    """``path``, checked writable before any long work (``InputError`` naming the option otherwise)."""
    from hospital_twin.atomic import check_writable

    try:
        return check_writable(path)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write there ({exc.strerror or exc})") from None
