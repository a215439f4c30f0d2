"""``hospital-twin roster build``: a roster for named staff from files, exported for planners."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hospital_twin.cli import InputError, err_console, out_console
from hospital_twin.commands.roster import roster_app


def _start(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--start: a date YYYY-MM-DD is expected (got '{text}')") from None


@roster_app.command("build")
def build(
    *,
    staff: Annotated[Path, typer.Option(help="Staff file (CSV or YAML).", show_default=False)],
    requirements: Annotated[Path, typer.Option(help="Cover requirements: date, unit, shift, skill, min, target.",
                                               show_default=False)],
    start: Annotated[str, typer.Option(help="First day of the roster, YYYY-MM-DD (usually a Monday).",
                                       show_default=False)],
    out: Annotated[Path, typer.Option(help="Output folder (written atomically).", show_default=False)],
    leave: Annotated[Path | None, typer.Option(help="Leave file: staff_id, from, to, kind.")] = None,
    requests: Annotated[Path | None, typer.Option(help="Requests file: staff_id, date, shift, wish, weight.")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules YAML (defaults for anything not given).")] = None,
    history: Annotated[Path | None, typer.Option(
        help="Shifts worked before --start (the previous roster's roster.csv, or staff_id, date, shift): rest, "
             "successions and runs continue across the first day.")] = None,
    weeks: Annotated[int, typer.Option(min=1, max=12, help="Length of the roster in weeks.")] = 4,
    shifts_from: Annotated[Path | None, typer.Option(
        "--shifts-from", help="Scenario YAML whose `shifts` give the clock times (else `shifts` in the rules).")] = None,
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
        raise InputError(f"{rules or '--rules'}: shifts: no shift clock times; give --shifts-from SCENARIO.yaml "
                         "or `shifts:` in the rules file")
    table = read_staff(staff)
    req = read_requirements(requirements, shifts)
    lv = read_leave(leave, table) if leave is not None else None
    rq = read_requests(requests, table, shifts) if requests is not None else None
    hist = read_history(history, shifts, start_date) if history is not None else None
    days = 7 * weeks
    try:
        with err_console.status(f"rostering {len(table)} staff over {days} days (up to {time_limit:g} s)"):
            roster = build_roster(table, req, rule_set, start_date=start_date, days=days, shifts=shifts, leave=lv,
                                  requests=rq, time_limit_s=time_limit, seed=seed, workers=workers, history=hist)
    except RosterInputError as exc:
        raise InputError("\n".join(str(p) for p in exc.problems)) from None
    except RosterError as exc:
        raise InputError(str(exc)) from None
    write_roster_folder(roster, out, provenance={
        "staff": str(staff), "requirements": str(requirements), "leave": str(leave) if leave else None,
        "requests": str(requests) if requests else None, "rules": str(rules) if rules else None,
        "history": str(history) if history else None,
        "time_limit_s": time_limit, "workers": workers, "seed": seed,
    })
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
    out_console.print(f"cover: {short_min} people short of minimum, {short_target} short of target "
                      f"over {len(cov)} requirement rows")
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
