"""``hospital-twin roster inrc2``: solve a static INRC-II instance and write the official solution files.

CONTRACTS section 7: one ``Sol-<dataset>-<weekdatafile>-<k>.txt`` per week and ``cost.json``
(hard-violation counts, S1..S7 and total, computed by :func:`hospital_twin.roster.inrc2.evaluate`),
written atomically into ``--out``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hospital_twin.atomic import atomic_folder
from hospital_twin.cli import InputError, err_console, out_console
from hospital_twin.commands.roster import roster_app


def write_files_atomically(out_dir: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> text) as the folder ``out_dir``, atomically (:func:`hospital_twin.atomic.atomic_folder`)."""
    with atomic_folder(out_dir) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)


@roster_app.command(
    "inrc2",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
)
def inrc2(
    ctx: typer.Context,
    dataset_dir: Annotated[Path, typer.Argument(help="INRC-II dataset folder, e.g. .../inrc2/n030w4.", show_default=False)],
    *,
    history: Annotated[int, typer.Option(min=0, help="Initial history index H (file H0-<dataset>-H.txt).")],
    weeks: Annotated[
        int, typer.Option(help="Week data indices W1 W2 ... (files WD-<dataset>-W.txt), one per week.", show_default=False)
    ],
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.5, help="Wall-clock limit in seconds.")] = 60.0,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: results/inrc2/<instance>).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the search.")] = 0,
    deterministic: Annotated[
        bool, typer.Option("--deterministic", help="One CP-SAT worker, one neighbourhood at a time (reproducible).")
    ] = False,
) -> None:
    """Solve a static INRC-II instance (all weeks at once) with CP-SAT and write the solution files and cost.json."""
    from hospital_twin.roster.inrc2 import (
        Inrc2FormatError,
        evaluate,
        parse_scenario,
        read_instance,
        solution_file_name,
        solution_text,
    )
    from hospital_twin.roster.inrc2_solver import solve

    week_list = [weeks]
    for extra in ctx.args:
        try:
            week_list.append(int(extra))
        except ValueError:
            raise InputError(f"--weeks: expected week data indices (integers), got '{extra}'") from None
    if not dataset_dir.is_dir():
        raise InputError(f"{dataset_dir}: no such dataset folder")
    ds = dataset_dir.name
    sc_path = dataset_dir / f"Sc-{ds}.txt"
    if not sc_path.is_file():
        raise InputError(f"{sc_path}: scenario file not found (the folder name must be the dataset name)")
    try:
        scenario = parse_scenario(sc_path.read_text(), str(sc_path))
    except Inrc2FormatError as exc:
        raise InputError(str(exc)) from None
    if len(week_list) != scenario.weeks:
        raise InputError(f"--weeks: scenario {ds} has {scenario.weeks} weeks; got {len(week_list)} week indices")
    available = sorted(int(p.stem.rsplit("-", 1)[1]) for p in dataset_dir.glob(f"WD-{ds}-*.txt")
                       if p.stem.rsplit("-", 1)[1].isdigit())
    for w in week_list:
        if w not in available:
            raise InputError(f"--weeks: week data index {w} out of range: {dataset_dir}/WD-{ds}-{w}.txt not found "
                             f"(available: {', '.join(map(str, available)) or 'none'})")
    if not (dataset_dir / f"H0-{ds}-{history}.txt").is_file():
        raise InputError(f"--history: {dataset_dir}/H0-{ds}-{history}.txt not found")
    try:
        inst = read_instance(dataset_dir, history, week_list)
    except (Inrc2FormatError, ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None

    err_console.print(f"solving {inst.name}: {inst.n_nurses} nurses, {inst.n_days} days, {time_limit:g} s limit")
    result = solve(inst, time_limit, seed=seed, deterministic=deterministic)
    if not result.assignments and result.status == "INFEASIBLE":
        raise InputError(f"{inst.name}: no roster found ({result.status}) within {time_limit:g} s")
    cost = evaluate(inst, result.assignments)
    report = {
        "instance": inst.name,
        **cost.to_dict(),
        "solver": {
            "status": result.status,
            "objective": result.objective,
            "lower_bound": result.bound,
            "wall_s": round(result.wall_s, 3),
            "time_limit_s": time_limit,
            "seed": seed,
            "deterministic": deterministic,
            "neighbourhoods": result.iterations,
            "improvements": result.improvements,
        },
    }
    files = {solution_file_name(inst, k): solution_text(inst, result.assignments, k) for k in range(len(inst.weeks))}
    files["cost.json"] = json.dumps(report, indent=2) + "\n"
    out_dir = out or Path("results") / "inrc2" / inst.name
    write_files_atomically(out_dir, files)

    t = Table(title=f"{inst.name}: cost by constraint", title_justify="left")
    t.add_column("constraint")
    t.add_column("cost", justify="right")
    for name, value in report["hard"].items():
        t.add_row(name, str(value))
    for name, value in report["soft"].items():
        t.add_row(name, str(value))
    t.add_row("[bold]total[/bold]", f"[bold]{cost.total}[/bold]")
    out_console.print(t)
    bound = "none" if result.bound is None else str(result.bound)
    out_console.print(f"status {result.status}, lower bound {bound}, {result.wall_s:.1f} s, "
                      f"{'feasible' if cost.feasible else 'NOT feasible'}")
    out_console.print(f"solution written to {out_dir}/")
