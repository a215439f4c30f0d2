"""The ``hospital-twin`` command line: thin verbs over the package's use cases.

Exit status: 0 success, 2 invalid input (file, line, field and what is wrong; no
traceback), 1 unexpected failure. The verbs (``simulate``, ``live``, ``calibrate``,
``roster``, ``staff``, ``plan``) register on :data:`app` when imported; this module imports them
all. The package below never prints: only this package writes to the terminal.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from hospital_twin.cli import calibrate, live, plan, roster, simulate, staff  # noqa: F401 - registers the verbs
from hospital_twin.cli._app import (
    EXIT_FAILURE,
    EXIT_INVALID,
    InputError,
    app,
    err_console,
    out_console,
)

__all__ = ["EXIT_FAILURE", "EXIT_INVALID", "InputError", "app", "entry", "main", "out_console", "err_console"]


# --------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """Console entry point; turns known errors into exit codes without tracebacks."""
    from hospital_twin.scenario.errors import ScenarioError

    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int):
            return rv
    except ScenarioError as exc:
        for issue in exc.issues:
            err_console.print(f"[red]error:[/red] {escape(str(issue))}", soft_wrap=True)
        return EXIT_INVALID
    except InputError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return EXIT_INVALID
    except OSError as exc:  # the user's files or machine: a path that cannot be read or written, a full disk
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        err_console.print(f"[red]error:[/red] {where}{exc.strerror or exc}", soft_wrap=True)
        return EXIT_INVALID
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence before a user
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()  # a usage error from the argument parser (click)
            return exc.exit_code
        if os.environ.get("HOSPITAL_TWIN_DEBUG"):
            raise
        err_console.print(
            f"[red]unexpected error:[/red] {type(exc).__name__}: {escape(str(exc))}\n"
            "This is a bug in hospital-twin; set HOSPITAL_TWIN_DEBUG=1 to see the traceback."
        )
        return EXIT_FAILURE
    return 0


def entry() -> None:
    """``hospital-twin`` console script."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
