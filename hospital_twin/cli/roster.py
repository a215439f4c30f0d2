"""``hospital-twin roster ...``: rosters for named staff (``build``) and INRC-II instances (``inrc2``).

``roster build`` reads the staff files, calls :func:`hospital_twin.roster.model.build_roster`
and writes the roster folder (CSV, Excel, iCalendar); ``roster inrc2`` (CONTRACTS section 7)
solves a static INRC-II instance and writes one ``Sol-*.txt`` per week and ``cost.json``
(hard-violation counts, S1..S7 and total from :func:`hospital_twin.roster.inrc2.evaluate.evaluate`),
both atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hospital_twin.atomic import atomic_folder
from hospital_twin.cli._app import InputError, app, err_console, out_console

roster_app = typer.Typer(
    name="roster",
    help="Build nurse rosters with CP-SAT: INRC-II competition instances and hospital rosters.",
    no_args_is_help=True,
)
app.add_typer(roster_app, name="roster")


# --------------------------------------------------------------------------- roster build
def _start(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--start: a date YYYY-MM-DD is expected (got '{text}')") from None


@roster_app.command("build")
def build(
    *,
    staff: Annotated[Path, typer.Option(help="Staff file (CSV or YAML).", show_default=False)],
    requirements: Annotated[
        Path, typer.Option(help="Cover requirements: date, unit, shift, skill, min, target.", show_default=False)
    ],
    start: Annotated[
        str, typer.Option(help="First day of the roster, YYYY-MM-DD (usually a Monday).", show_default=False)
    ],
    out: Annotated[Path, typer.Option(help="Output folder (written atomically).", show_default=False)],
    leave: Annotated[Path | None, typer.Option(help="Leave file: staff_id, from, to, kind.")] = None,
    requests: Annotated[Path | None, typer.Option(help="Requests file: staff_id, date, shift, wish, weight.")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules YAML (defaults for anything not given).")] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            help="Shifts worked before --start (the previous roster's roster.csv, or staff_id, date, shift): rest, "
            "successions and runs continue across the first day."
        ),
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, max=12, help="Length of the roster in weeks.")] = 4,
    shifts_from: Annotated[
        Path | None,
        typer.Option(
            "--shifts-from", help="Scenario YAML whose `shifts` give the clock times (else `shifts` in the rules)."
        ),
    ] = None,
    time_limit: Annotated[float, typer.Option(min=0.1, help="Solver time limit in seconds.")] = 30.0,
    workers: Annotated[int, typer.Option(min=1, help="CP-SAT search workers.")] = 2,
    seed: Annotated[int, typer.Option(min=0, help="Solver random seed.")] = 0,
) -> None:
    """Roster named staff with CP-SAT and write roster.csv, roster.xlsx, ics/<staff>.ics, cover.csv, violations.csv."""
    from hospital_twin.roster.export import write_roster_folder
    from hospital_twin.roster.io import (
        read_history,
        read_leave,
        read_requests,
        read_requirements,
        read_rules,
        read_shifts,
        read_staff,
    )
    from hospital_twin.roster.model import RosterError, build_roster
    from hospital_twin.roster.rules import RosterRules
    from hospital_twin.roster.staff import RosterInputError

    start_date = _start(start)
    rule_set = read_rules(rules) if rules is not None else RosterRules()
    if shifts_from is not None:
        shifts = read_shifts(shifts_from)
    elif rule_set.shifts:
        shifts = {k: (s.start, s.end) for k, s in rule_set.shifts.items()}
    else:
        raise InputError(
            f"{rules or '--rules'}: shifts: no shift clock times; give --shifts-from SCENARIO.yaml "
            "or `shifts:` in the rules file"
        )
    table = read_staff(staff)
    req = read_requirements(requirements, shifts)
    lv = read_leave(leave, table) if leave is not None else None
    rq = read_requests(requests, table, shifts) if requests is not None else None
    hist = read_history(history, shifts, start_date) if history is not None else None
    days = 7 * weeks
    try:
        with err_console.status(f"rostering {len(table)} staff over {days} days (up to {time_limit:g} s)"):
            roster = build_roster(
                table,
                req,
                rule_set,
                start_date=start_date,
                days=days,
                shifts=shifts,
                leave=lv,
                requests=rq,
                time_limit_s=time_limit,
                seed=seed,
                workers=workers,
                history=hist,
            )
    except RosterInputError as exc:
        raise InputError("\n".join(str(p) for p in exc.problems)) from None
    except RosterError as exc:
        raise InputError(str(exc)) from None
    write_roster_folder(
        roster,
        out,
        provenance={
            "staff": str(staff),
            "requirements": str(requirements),
            "leave": str(leave) if leave else None,
            "requests": str(requests) if requests else None,
            "rules": str(rules) if rules else None,
            "history": str(history) if history else None,
            "time_limit_s": time_limit,
            "workers": workers,
            "seed": seed,
        },
    )
    _print_summary(roster)
    out_console.print(f"roster written to {out}/ (roster.csv, roster.xlsx, ics/, cover.csv, violations.csv, hours.csv)")


def _print_summary(roster) -> None:
    if math.isnan(roster.bound):
        quality = "no lower bound: solved in parts"
    else:
        gap = (roster.objective - roster.bound) / roster.objective if roster.objective > 0 else 0.0
        quality = f"bound {roster.bound:,.1f}, gap {100 * gap:.1f}%"
    out_console.print(
        f"{roster.status}: penalty {roster.objective:,.1f} points ({quality}) "
        f"in {roster.solve_s:.1f} s; {len(roster.assignments)} shifts for {len(roster.hours_by_staff)} staff"
    )
    cov = roster.cover
    short_min = int(cov["shortfall_min"].sum()) if len(cov) else 0
    short_target = int(cov["shortfall_target"].sum()) if len(cov) else 0
    out_console.print(
        f"cover: {short_min} people short of minimum, {short_target} short of target over {len(cov)} requirement rows"
    )
    if len(roster.violations):
        t = Table(title="Soft-rule violations", title_justify="left")
        for col in ("rule", "count", "points"):
            t.add_column(col, justify="left" if col == "rule" else "right")
        g = roster.violations.groupby("rule")["penalty"].agg(["count", "sum"]).sort_values("sum", ascending=False)
        for rule, r in g.iterrows():
            t.add_row(str(rule), str(int(r["count"])), f"{r['sum']:,.1f}")
        out_console.print(t)
    for note in roster.notes[:20]:
        out_console.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)
    if len(roster.notes) > 20:
        out_console.print(f"[yellow]note:[/yellow] ... and {len(roster.notes) - 20} more (roster.json)")


# --------------------------------------------------------------------------- roster inrc2
def write_files_atomically(out_dir: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> text) as the folder ``out_dir``, atomically
    (:func:`hospital_twin.atomic.atomic_folder`)."""
    with atomic_folder(out_dir) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)


@roster_app.command(
    "inrc2",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
)
def inrc2(
    ctx: typer.Context,
    dataset_dir: Annotated[
        Path, typer.Argument(help="INRC-II dataset folder, e.g. .../inrc2/n030w4.", show_default=False)
    ],
    *,
    history: Annotated[int, typer.Option(min=0, help="Initial history index H (file H0-<dataset>-H.txt).")],
    weeks: Annotated[
        int,
        typer.Option(help="Week data indices W1 W2 ... (files WD-<dataset>-W.txt), one per week.", show_default=False),
    ],
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.5, help="Wall-clock limit in seconds.")] = 60.0,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: results/inrc2/<instance>).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the search.")] = 0,
    deterministic: Annotated[
        bool,
        typer.Option(
            "--deterministic",
            help=(
                "One CP-SAT worker, one neighbourhood at a time, deterministic-time limits and a fixed number of "
                "local-search moves. The search still stops at --time-limit: with --max-iterations too, and a time "
                "limit that is not reached, the result depends on the seed only."
            ),
        ),
    ] = False,
    max_iterations: Annotated[
        int | None,
        typer.Option(
            "--max-iterations",
            min=1,
            show_default=False,
            help=(
                "Stop the neighbourhood search after this many CP-SAT neighbourhoods (default: at the time limit). "
                "Instances of at most 60 nurses then solve the whole model for a lower bound until the time limit "
                "unless it proves optimality; that phase stops on the wall clock, so its bound (and a roster it "
                "improves) may vary."
            ),
        ),
    ] = None,
) -> None:
    """Solve a static INRC-II instance (all weeks at once) with CP-SAT and write the solution files and cost.json."""
    from hospital_twin.roster.inrc2.evaluate import evaluate
    from hospital_twin.roster.inrc2.format import solution_file_name, solution_text
    from hospital_twin.roster.inrc2.solve import SolveConfig, solve

    inst = _read_inrc2_instance(dataset_dir, history, _week_indices(weeks, ctx.args))
    err_console.print(f"solving {inst.name}: {inst.n_nurses} nurses, {inst.n_days} days, {time_limit:g} s limit")
    config = SolveConfig(time_limit_s=time_limit, seed=seed, deterministic=deterministic, max_iterations=max_iterations)
    result = solve(inst, config=config)
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
            "max_iterations": max_iterations,
            "neighbourhoods": result.iterations,
            "improvements": result.improvements,
        },
    }
    files = {solution_file_name(inst, k): solution_text(inst, result.assignments, k) for k in range(len(inst.weeks))}
    files["cost.json"] = json.dumps(report, indent=2) + "\n"
    out_dir = out or Path("results") / "inrc2" / inst.name
    write_files_atomically(out_dir, files)
    _print_inrc2_report(inst.name, report, cost, result)
    out_console.print(f"solution written to {out_dir}/")


def _week_indices(first: int, extra: list[str]) -> list[int]:
    """``--weeks W1 W2 ...``: Typer takes the first, the others arrive as extra arguments."""
    week_list = [first]
    for text in extra:
        try:
            week_list.append(int(text))
        except ValueError:
            raise InputError(f"--weeks: expected week data indices (integers), got '{text}'") from None
    return week_list


def _read_inrc2_instance(dataset_dir: Path, history: int, week_list: list[int]):
    """The static instance, after checking the folder, the number of weeks and that every file
    exists (a message naming the file and what is available otherwise)."""
    from hospital_twin.roster.inrc2.format import Inrc2FormatError, parse_scenario, read_instance

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
    available = sorted(
        int(p.stem.rsplit("-", 1)[1]) for p in dataset_dir.glob(f"WD-{ds}-*.txt") if p.stem.rsplit("-", 1)[1].isdigit()
    )
    for w in week_list:
        if w not in available:
            raise InputError(
                f"--weeks: week data index {w} out of range: {dataset_dir}/WD-{ds}-{w}.txt not found "
                f"(available: {', '.join(map(str, available)) or 'none'})"
            )
    if not (dataset_dir / f"H0-{ds}-{history}.txt").is_file():
        raise InputError(f"--history: {dataset_dir}/H0-{ds}-{history}.txt not found")
    try:
        return read_instance(dataset_dir, history, week_list)
    except (Inrc2FormatError, ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None


def _print_inrc2_report(name: str, report: dict, cost, result) -> None:
    t = Table(title=f"{name}: cost by constraint", title_justify="left")
    t.add_column("constraint")
    t.add_column("cost", justify="right")
    for key, value in report["hard"].items():
        t.add_row(key, str(value))
    for key, value in report["soft"].items():
        t.add_row(key, str(value))
    t.add_row("[bold]total[/bold]", f"[bold]{cost.total}[/bold]")
    out_console.print(t)
    bound = "none" if result.bound is None else str(result.bound)
    out_console.print(
        f"status {result.status}, lower bound {bound}, {result.wall_s:.1f} s, "
        f"{'feasible' if cost.feasible else 'NOT feasible'}"
    )
