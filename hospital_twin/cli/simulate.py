"""The simulation verbs: ``validate``, ``schema``, ``run``, ``compare``, ``warmup``, ``report``.

Each parses its options, calls one package function and prints tables; results folders
are written by :mod:`hospital_twin.experiment.resultsdir`.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hospital_twin.cli._app import (
    EXIT_INVALID,
    ClusterOpt,
    InputError,
    MaxRepsOpt,
    PrecisionOpt,
    WorkersOpt,
    app,
    err_console,
    fmt_value,
    load_scenario_file,
    make_cli_executor,
    out_console,
    print_warnings,
    read_scenario_file,
    writable_out,
)


# --------------------------------------------------------------------------- validate
@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files to check.", show_default=False)],
) -> None:
    """Check scenario files and print every problem found."""
    from hospital_twin.scenario.errors import ScenarioError

    bad = 0
    for f in files:
        try:
            loaded = read_scenario_file(f)
        except ScenarioError as exc:
            bad += 1
            n = len(exc.issues)
            err_console.print(f"[red]✗[/red] {f}: {n} problem{'s' if n != 1 else ''}")
            for issue in exc.issues:
                err_console.print(f"  {escape(str(issue))}", soft_wrap=True)  # [open, close] is not markup
            continue
        scn = loaded.scenario
        beds = sum(u.beds for u in scn.units.values())
        out_console.print(
            f"[green]✓[/green] {f}: '{scn.name}', {len(scn.units)} units, {beds} beds, "
            f"{len(scn.arrivals)} arrival streams, {len(scn.electives)} elective lists"
        )
        if loaded.base is not None:
            print_changes(f"changes against {loaded.base_file}", loaded.changes())
        print_warnings(loaded.warnings)
        print_offered_load(scn)
    if bad:
        raise typer.Exit(EXIT_INVALID)


def print_changes(title: str, changes) -> None:
    """What a what-if changes, one line per changed item under its section (``+`` added, ``-`` removed)."""
    from hospital_twin.scenario.diff import change_lines

    lines = change_lines(changes)
    out_console.print(f"  {title}:" if lines else f"  no changes: {title.removeprefix('changes ')}")
    for section, text in lines:
        out_console.print(f"    {section:<10} {text}", soft_wrap=True, highlight=False, markup=False)


_LOAD_HEADERS = {
    "arrivals/day": "per day",
    "disch. hold h": "disch h",
    "offered load": "load",
    "load/beds": "/bed",
    "Erlang wait h": "wait h",
}


_PATHWAY_HEADERS = {
    "demand/day": "demand/d",
    "capacity/day": "capacity/d",
    "NCTR delay h": "delay h",
    "simulated delay h": "sim. delay h",
    "NCTR beds": "NCTR",
}


def print_offered_load(scn, summary=None) -> None:
    """The offered load per unit with its Erlang figures, the discharge pathways' load (when the scenario has
    any), and a warning for each overloaded unit or pathway (exit code unchanged)."""
    from hospital_twin.reporting.notes import load_table, pathway_table

    rows, report = load_table(scn, summary)
    t = Table(
        title="Offered load per unit (a lower bound where units queue or block)",
        title_justify="left",
        box=None,
        pad_edge=False,
        header_style="bold underline",
    )
    for col in rows[0]:
        t.add_column(_LOAD_HEADERS.get(col, col), justify="left" if col == "unit" else "right", no_wrap=True)
    for r in rows:
        t.add_row(*r.values())
    out_console.print(t)
    if any(u.scheduled_share > 0 for u in report.units):
        out_console.print("[dim]* fed partly by elective lists: the Erlang figures are indicative only[/dim]")
    paths = pathway_table(scn, report, summary)
    if paths:
        t = Table(
            title="Discharge pathways (NCTR: patients ready to leave, waiting in their beds)",
            title_justify="left",
            box=None,
            pad_edge=False,
            header_style="bold underline",
        )
        cols = [c for c in paths[0] if c != "service"]  # too wide for a terminal: said under the table
        for col in cols:
            t.add_column(_PATHWAY_HEADERS.get(col, col), justify="left" if col == "pathway" else "right", no_wrap=True)
        for p, r in zip(report.pathways, paths, strict=True):
            t.add_row(p.pathway, *(r[c] for c in cols[1:]))
        out_console.print(t)
        for p, r in zip(report.pathways, paths, strict=True):
            label = f" ({p.label})" if p.label else ""
            out_console.print(f"  {p.pathway}{label}: {r['service']}", soft_wrap=True, highlight=False, markup=False)
        out_console.print(
            "[dim]wait: in the pathway's queue (Erlang C for a pool, the daily-starts queue for a daily pathway); "
            "delay: assessment in the bed + wait; NCTR: beds they hold (demand x delay)[/dim]",
            soft_wrap=True,
        )
    for w in report.warnings:
        out_console.print(f"[yellow]warning:[/yellow] {w}", soft_wrap=True)


def print_points_to_note(result) -> None:
    """The report's points to note (overloaded units first), read off a run's summary and event log."""
    from hospital_twin.reporting.notes import points_to_note

    log = result.adt_log.assign(scenario=result.name) if result.adt_log is not None else None
    notes = points_to_note(result.scenario, result.summary, log, int(result.provenance.get("replications") or 0))
    if notes:
        out_console.print(f"[bold]Points to note[/bold] ({result.name})")
        for n in notes:
            out_console.print(f"  • {n}", soft_wrap=True)


# --------------------------------------------------------------------------- schema
@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Print the JSON Schema of the scenario language (for editor completion and checks)."""
    from hospital_twin.scenario.io import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n", encoding="utf-8")
        out_console.print(f"wrote {out}")


# --------------------------------------------------------------------------- run
_TABLE_METRICS = [
    ("occupancy_mean", "occupied", 1),
    ("utilisation", "util.", "%"),
    ("waited_share", "waited", "%"),
    ("wait_for_bed_mean_h", "wait h", 2),
    ("los_mean_h", "stay h", 1),
    ("rejected_share", "turned away", "%"),
    ("blocked_bed_hours", "blocked bed-h", 0),
]
_ED_METRICS = [
    ("ed_4h_breach_share", "over 4 h", "%"),
    ("ed_12h_breach_share", "over 12 h", "%"),
    ("ed_time_in_dept_mean_h", "in ED h", 2),
    ("ed_time_to_clinician_mean_h", "to doctor h", 2),
    ("ed_boarding_mean_h", "boarding h", 2),
    ("ed_dta_12h_waits", "12h trolley", 1),
]


def _cell(summary, metric: str, unit: str, how) -> str:
    row = summary[(summary["metric"] == metric) & (summary["unit"] == unit)]
    if row.empty:
        return ""
    r = row.iloc[0]
    if r["n_reps"] > 1 and not math.isnan(r["ci_low"]):
        half = (r["ci_high"] - r["ci_low"]) / 2
        return f"{fmt_value(r['mean'], how)}\n[dim]±{fmt_value(half, how)}[/dim]"
    return fmt_value(r["mean"], how)


_DROP_FIRST = ("blocked bed-h", "stay h", "util.", "waited", "in ED h", "to doctor h", "boarding h", "12h trolley")
"""Columns left out, in this order, when a table is wider than the terminal; the unit, its beds, occupancy,
the wait and the share turned away (and the ED's 4 and 12 h breaches) always stay."""


def _cell_width(cell: str) -> int:
    from rich.text import Text

    return max(Text.from_markup(line).cell_len for line in cell.split("\n"))


def _fitted_table(title: str, header: list[tuple[str, str]], rows: list[list[str]], width: int) -> tuple[Table, list]:
    """A table of ``header`` ((label, justify) per column) and ``rows`` that fits ``width`` terminal columns.

    Rich squeezes the columns that may wrap when a table is too wide, which left the unit names and beds
    empty at 80 columns; here the names never wrap, and the columns of :data:`_DROP_FIRST` are left out,
    in that order, until the table fits. Returns the table and the labels left out.
    """
    widths = [max([_cell_width(label)] + [_cell_width(r[i]) for r in rows]) for i, (label, _) in enumerate(header)]
    keep = list(range(len(header)))

    def total() -> int:  # cells with one space either side, a rule between columns and at both edges
        return sum(widths[i] + 3 for i in keep) + 1

    dropped = []
    for label in _DROP_FIRST:
        if total() <= width:
            break
        i = next((i for i in keep if header[i][0] == label), None)
        if i is not None:
            keep.remove(i)
            dropped.append(label)
    t = Table(title=title, title_justify="left")
    for i in keep:
        label, justify = header[i]
        if i == 0:  # the names: whole when they fit, folded (never emptied) when even they do not
            t.add_column(label, min_width=min(widths[0], 12), overflow="fold")
        else:
            t.add_column(label, justify=justify, no_wrap=True, min_width=widths[i])  # type: ignore[arg-type]
    for r in rows:
        t.add_row(*[r[i] for i in keep])
    return t, dropped


def _print_fitted(title: str, header: list[tuple[str, str]], rows: list[list[str]], results_hint: bool) -> None:
    t, dropped = _fitted_table(title, header, rows, out_console.width)
    out_console.print(t)
    if dropped:
        where = "summary.csv in the results folder, or " if results_hint else ""
        out_console.print(
            f"[dim]not shown at {out_console.width} columns: {', '.join(dropped)}; see {where}a wider "
            "terminal (COLUMNS=140)[/dim]"
        )


def print_gridlock(summary, name: str) -> None:
    """'k of n replications gridlocked (rule ...)': red when most are, yellow when some, dim when none."""
    from hospital_twin.reporting.notes import gridlock_count, gridlock_line

    count = gridlock_count(summary, name)
    if count is None:
        return
    k, n = count
    colour = "red" if 2 * k > n else "yellow" if k else "dim"
    out_console.print(f"[{colour}]{escape(gridlock_line(summary, name))}[/{colour}]")  # wrapped to the terminal


def print_summary(result) -> None:
    """KPI tables with 95% confidence intervals, fitted to the terminal's width (see :func:`_fitted_table`)."""
    s = result.summary
    scn = result.scenario
    n = result.provenance.get("replications")
    title = (
        f"{scn.name}\n{n} replications x {scn.horizon_days:g} days after {float(scn.warmup_days):g} days warm-up; "
        "mean and ± 95% CI half-width"
    )
    shown = [
        m
        for m in _TABLE_METRICS
        if not (
            m[0] == "rejected_share"
            and all(u.when_full == "queue" and u.transfers_when_full == "block" for u in scn.units.values())
        )
        and not (m[0] == "blocked_bed_hours" and not scn.routes and not scn.patient_classes)
    ]
    header = [("unit", "left"), ("beds", "right")] + [(label, "right") for _, label, _ in shown]
    inpatient_beds = sum(u.beds for u in scn.units.values() if u.ed is None)
    rows = [
        [unit, str(spec.beds) if spec is not None else str(inpatient_beds)]
        + [_cell(s, m, unit, how) for m, _, how in shown]
        for unit, spec in list(scn.units.items()) + [("ALL", None)]
    ]
    _print_fitted(title, header, rows, results_hint=True)
    print_gridlock(s, result.name)
    eds = [u for u, spec in scn.units.items() if spec.ed is not None]
    if eds:
        header = [("unit", "left")] + [(label, "right") for _, label, _ in _ED_METRICS]
        rows = [[u] + [_cell(s, m, u, how) for m, _, how in _ED_METRICS] for u in eds]
        _print_fitted("Emergency department", header, rows, results_hint=True)
    extra = []
    if scn.electives:
        extra.append(("electives cancelled", _cell(s, "cancelled", "ALL", 1), _cell(s, "cancelled_share", "ALL", "%")))
    if scn.staffing is not None:
        for u in scn.staffing.units:
            extra.append(
                (
                    f"{u}: hours over nurse ratio",
                    _cell(s, "ratio_breach_hours", u, 0),
                    _cell(s, "ratio_breach_share", u, "%"),
                )
            )
    for u, spec in scn.units.items():
        if spec.escalation is not None:
            extra.append((f"{u}: escalation beds open (mean)", _cell(s, "escalation_beds_open_mean", u, 2), ""))
    if extra:
        t = Table(title="Electives, staffing and escalation", title_justify="left")
        t.add_column("measure")
        t.add_column("value", justify="right")
        t.add_column("share", justify="right")
        for row in extra:
            t.add_row(*row)
        out_console.print(t)


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    *,
    replications: Annotated[int | None, typer.Option(min=1, help="Replications (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Base seed (default: the scenario's).")] = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    precision: PrecisionOpt = None,
    max_replications: MaxRepsOpt = 200,
    out: Annotated[Path | None, typer.Option(help="Results folder (default: results/<file stem>).")] = None,
    table_format: Annotated[
        str, typer.Option("--format", help="Format of census and adt_log: parquet or csv.")
    ] = "parquet",
    no_log: Annotated[bool, typer.Option("--no-log", help="Do not keep the simulated event log.")] = False,
    html_report: Annotated[bool, typer.Option("--report/--no-report", help="Also write report.html.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or tables.")] = False,
) -> None:
    """Simulate a scenario and write its results folder (summary, KPIs, census, event log, report, provenance)."""
    from hospital_twin.experiment.resultsdir import write_results
    from hospital_twin.experiment.runner import run_scenario

    if table_format not in ("parquet", "csv"):
        raise InputError(f"--format: expected parquet or csv, got '{table_format}'")
    scn = load_scenario_file(file)
    n = replications or scn.replications
    out_dir = writable_out(out or Path("results") / file.stem)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{scn.name}: replications", total=n)
        executor = make_cli_executor(workers, cluster, n if precision is None else max_replications)
        try:
            result = run_scenario(
                scn,
                replications=n,
                seed=seed,
                executor=executor,
                keep_log=not no_log,
                precision=precision,
                max_replications=max_replications,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        finally:
            executor.close()
    result.provenance["source_file"] = str(file)
    write_results(result, out_dir, fmt=table_format)  # type: ignore[arg-type]
    if not quiet:
        print_summary(result)
        print_points_to_note(result)
    _print_precision(result)
    if html_report:
        out_console.print(f"report written to {_write_report(out_dir)}")
    out_console.print(f"results written to {out_dir}/")


def _print_precision(result) -> None:
    p = result.provenance.get("precision")
    if not p:
        return
    n = result.provenance["replications"]
    worst = ", ".join(f"{k} ±{100 * v['relative_half_width']:.1f}%" for k, v in p["kpis"].items())
    if p["met"]:
        out_console.print(
            f"precision {100 * p['target_relative_half_width']:.1f}% reached with {n} replications ({worst})"
        )
    else:
        out_console.print(
            f"[yellow]precision {100 * p['target_relative_half_width']:.1f}% NOT reached after {n} replications "
            f"(cap {p['max_replications']}): {worst}[/yellow]"
        )


# --------------------------------------------------------------------------- compare
_COMPARE_METRICS = [
    ("occupancy_mean", 1),
    ("utilisation", "%"),
    ("waited_share", "%"),
    ("wait_for_bed_mean_h", 2),
    ("wait_for_bed_p95_h", 1),
    ("rejected_share", "%"),
    ("cancelled", 1),
    ("blocked_bed_hours", 0),
    ("ed_4h_breach_share", "%"),
    ("ed_12h_breach_share", "%"),
    ("ed_boarding_mean_h", 2),
    ("ratio_breach_hours", 0),
]


def print_comparison(comparison, results) -> None:
    """Paired differences as a table: key metrics, hospital-wide and per unit where they move."""
    how = dict(_COMPARE_METRICS)
    base = results[0].scenario
    for name in [r.name for r in results[1:]]:
        c = comparison[(comparison["scenario"] == name) & comparison["metric"].isin(how)]
        c = c[(c["unit"] == "ALL") | c["significant"] | c["unit"].isin([u for u, s in base.units.items() if s.ed])]
        level = c["confidence"].iloc[0] if len(c) else 0.95
        t = Table(
            title=f"{name} minus {base.name}\npaired over {int(c['n_reps'].max()) if len(c) else 0} replications "
            f"(common random numbers); {100 * level:.1f}% intervals; * = interval excludes 0",
            title_justify="left",
        )
        for col in ("metric", "unit", "baseline", "what-if", "diff", "interval", ""):
            t.add_column(col, justify="left" if col in ("metric", "unit") else "right", no_wrap=col != "metric")
        order = {m: i for i, (m, _) in enumerate(_COMPARE_METRICS)}
        c = c.assign(_o=c["metric"].map(order)).sort_values(["_o", "unit"])
        for r in c.itertuples(index=False):
            h = how[r.metric]
            interval = f"{fmt_value(r.diff_ci_low, h)}..{fmt_value(r.diff_ci_high, h)}"
            t.add_row(
                r.metric,
                r.unit,
                fmt_value(r.baseline_mean, h),
                fmt_value(r.scenario_mean, h),
                fmt_value(r.diff_mean, h),
                interval,
                ("*" if r.significant else "") + ("g" if getattr(r, "gridlock_driven", False) else ""),
            )
        out_console.print(t)
        _print_gridlock_pair(c, name, results)


def _print_gridlock_pair(c, name: str, results) -> None:
    """Under a comparison table: how many replications gridlocked on each side, and which rows that drives."""
    from hospital_twin.reporting.notes import gridlock_count

    counts = [gridlock_count(r.summary, r.name) for r in (results[0], *[r for r in results if r.name == name])]
    if any(x is None for x in counts) or not (counts[0][0] or counts[1][0]):
        return
    (kb, n), (kv, _) = counts
    driven = c[c["gridlock_driven"].astype(bool)] if "gridlock_driven" in c.columns else c.iloc[:0]
    colour = "red" if kb != kv else "yellow"
    out_console.print(
        f"[{colour}]gridlocked replications: {kv} of {n} in {escape(name)}, {kb} of {n} in the baseline; "
        f"g = difference driven by them ({len(driven)} row(s) shown): without them it changes sign or "
        f"significance, or the two sides gridlock in different numbers of replications[/{colour}]"
    )


def print_ranking(comparison) -> None:
    """Scenarios ranked on a few lower-is-better KPIs, with what the paired intervals support."""
    from hospital_twin.experiment.comparison import rank_scenarios

    ranking = rank_scenarios(comparison)
    level = comparison["confidence"].iloc[0]
    t = Table(
        title=f"Ranking (1 = lowest); better/worse than the baseline at {100 * level:.1f}% per comparison "
        "(Bonferroni: all hold together with 95%)",
        title_justify="left",
    )
    for col in ("measure", "rank", "scenario", "mean", "vs baseline"):
        t.add_column(col, justify="right" if col in ("rank", "mean") else "left")
    how = dict(_COMPARE_METRICS)
    for r in ranking.itertuples(index=False):
        verdict = (
            "baseline"
            if r.is_baseline
            else "better"
            if r.better_than_baseline
            else ("worse" if r.worse_than_baseline else "no clear difference")
        )
        t.add_row(
            f"{r.metric} ({r.unit})" if r.rank == 1 else "",
            str(r.rank),
            r.scenario,
            fmt_value(r.mean, how.get(r.metric, 2)),
            verdict,
        )
    out_console.print(t)


@app.command()
def compare(
    baseline: Annotated[Path, typer.Argument(help="Baseline scenario YAML.", show_default=False)],
    variants: Annotated[list[Path], typer.Argument(help="What-if scenario files.", show_default=False)],
    *,
    replications: Annotated[int | None, typer.Option(min=2, help="Replications (default: the baseline's).")] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed shared by all scenarios (default: the baseline's).")
    ] = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    out: Annotated[Path | None, typer.Option(help="Results folder (default: results/compare-<baseline stem>).")] = None,
    table_format: Annotated[
        str, typer.Option("--format", help="Format of census and adt_log: parquet or csv.")
    ] = "parquet",
    log: Annotated[bool, typer.Option("--log/--no-log", help="Keep the simulated event logs.")] = False,
    html_report: Annotated[bool, typer.Option("--report/--no-report", help="Also write report.html.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or tables.")] = False,
) -> None:
    """Paired comparison of what-ifs against a baseline with common random numbers."""
    from hospital_twin.experiment.resultsdir import write_results
    from hospital_twin.experiment.whatif import ComparisonError, compare_scenarios
    from hospital_twin.scenario.diff import scenario_changes

    if table_format not in ("parquet", "csv"):
        raise InputError(f"--format: expected parquet or csv, got '{table_format}'")
    paths = [baseline, *variants]
    scenarios = [load_scenario_file(p) for p in paths]
    if not quiet:
        for p, variant in zip(variants, scenarios[1:], strict=True):
            print_changes(f"{p}: changes against {baseline}", scenario_changes(scenarios[0], variant))
    out_dir = writable_out(out or Path("results") / f"compare-{baseline.stem}")
    n = replications or scenarios[0].replications
    executor = make_cli_executor(workers, cluster, n)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=quiet,
        ) as progress:
            tasks: dict[int, int] = {}

            def on_progress(k: int, done: int, total: int) -> None:
                if k not in tasks:
                    tasks[k] = progress.add_task(scenarios[k].name, total=total)
                progress.update(tasks[k], completed=done)

            def on_warmup(name: str) -> None:
                err_console.print(f"{name}: choosing the warm-up (MSER-5) from pilot runs")

            study = compare_scenarios(
                scenarios,
                replications=n,
                seed=seed,
                workers=workers or os.cpu_count() or 1,
                executor=executor,
                keep_log=log,
                on_warmup=on_warmup,
                on_progress=on_progress,
            )
    except ComparisonError as exc:
        raise InputError(str(exc)) from None
    finally:
        executor.close()
    results, comparison = study.results, study.comparison
    for res, path in zip(results, paths, strict=True):
        res.provenance["source_file"] = str(path)
    seed = study.seed
    write_results(
        results,
        out_dir,
        fmt=table_format,
        comparison=comparison,  # type: ignore[arg-type]
        extra_json={"baseline": results[0].name, "seed": seed, "replications": n},
    )
    if not quiet:
        print_summary(results[0])
        print_comparison(comparison, results)
        for res in results:
            print_points_to_note(res)
        if len(results) > 2:
            print_ranking(comparison)
    if html_report:
        out_console.print(f"report written to {_write_report(out_dir)}")
    out_console.print(f"results written to {out_dir}/")


# --------------------------------------------------------------------------- warmup
@app.command()
def warmup(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    *,
    pilot_replications: Annotated[int, typer.Option(min=2, help="Pilot replications started empty.")] = 5,
    pilot_days: Annotated[float | None, typer.Option(min=1, help="Pilot length in days (default: see docs).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Pilot seed (default: the scenario's).")] = None,
    workers: WorkersOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write the MSER-5 curves as a self-contained HTML chart.")] = None,
) -> None:
    """Choose the warm-up by MSER-5 on the hourly census of pilot runs, per unit and for the hospital."""
    from hospital_twin.experiment.runner import choose_warmup
    from hospital_twin.reporting.charts import warmup_chart

    scn = load_scenario_file(file)
    with err_console.status(f"{scn.name}: {pilot_replications} pilot replications"):
        choice = choose_warmup(
            scn,
            pilot_replications=pilot_replications,
            pilot_days=pilot_days,
            seed=seed,
            workers=workers or os.cpu_count() or 1,
        )
    t = Table(
        title=f"{scn.name}: MSER-5 warm-up over a {choice.pilot_days:g}-day pilot "
        f"({choice.pilot_replications} replications)",
        title_justify="left",
    )
    for col in ("series", "warm-up days", "mean after warm-up", "note"):
        t.add_column(col, justify="left" if col in ("series", "note") else "right")
    for r in choice.table.itertuples(index=False):
        note = (
            "inconclusive: run a longer pilot"
            if r.inconclusive
            else ("sets the warm-up" if r.unit == choice.driver else "")
        )
        t.add_row(str(r.unit), f"{r.warmup_days:g}", f"{r.truncated_mean:.1f}", note)
    out_console.print(t)
    current = "auto" if scn.warmup_is_auto else f"{scn.warmup_days:g}"
    out_console.print(
        f"chosen warm-up: {choice.warmup_days:g} days (the scenario says {current}); "
        f"use warmup_days: {choice.warmup_days:g} or warmup_days: auto"
    )
    if out is not None:
        warmup_chart(choice).save(str(out), inline=True)
        out_console.print(f"curves written to {out}")


# --------------------------------------------------------------------------- report
def _write_report(results_dir: Path) -> Path:
    from hospital_twin.reporting.html import PageError
    from hospital_twin.reporting.results_report import ReportError, write_report

    try:
        return write_report(results_dir)
    except (ReportError, PageError) as exc:
        raise InputError(str(exc)) from None


@app.command()
def report(
    results_dir: Annotated[Path, typer.Argument(help="A folder written by run or compare.", show_default=False)],
    *,
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: RESULTS_DIR/report.html).")] = None,
) -> None:
    """Write a self-contained HTML report (KPI tables, charts, the model in words) for a results folder."""
    from hospital_twin.reporting.html import PageError
    from hospital_twin.reporting.results_report import ReportError, write_report

    try:
        path = write_report(results_dir, out)
    except (ReportError, PageError) as exc:
        raise InputError(str(exc)) from None
    out_console.print(f"report written to {path}")
