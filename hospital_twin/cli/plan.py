"""The capacity planner's verb: ``plan-capacity``.

Parses levers, targets and costs, calls :func:`hospital_twin.planning.plan.plan_capacity`, prints
each candidate's verdict as it comes and the answer in words, and writes the plan's folder with
:func:`hospital_twin.reporting.plan_report.write_plan`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hospital_twin.cli._app import (
    ClusterOpt,
    InputError,
    WorkersOpt,
    app,
    err_console,
    load_scenario_file,
    make_cli_executor,
    out_console,
    writable_out,
)


def _overrides(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--cost {item}: write LEVER=MONEY_PER_UNIT_A_YEAR, e.g. --cost P2.places=45000")
        name, value = (s.strip() for s in item.split("=", 1))
        try:
            out[name] = float(value)
        except ValueError:
            raise InputError(f"--cost {item}: '{value}' is not a number (money per unit of the lever a year)") from None
        if not out[name] >= 0:
            raise InputError(f"--cost {item}: a cost must be 0 or more")
    return out


@app.command("plan-capacity")
def plan_capacity_cmd(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    *,
    lever: Annotated[
        list[str],
        typer.Option(
            "--lever",
            help="An integer key and its range, PATH=LO..HI[:STEP], e.g. MED.beds=140..170:2, "
            "MED.escalation.beds=0..12, P2.places=0..40:5, ICU.beds=13..20 (repeat for several).",
            show_default=False,
        ),
    ],
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            help="UNIT.METRIC (or METRIC for the hospital), optionally /beds, then <=, >= or ==, a BOUND, optionally "
            "@FROM..TO (a dated window) and @95% (its own confidence), e.g. 'ED.ed_within_4h_share>=0.78', "
            "'ALL.occupancy_mean/beds<=0.92', 'gridlocked_share==0' (repeat for several).",
            show_default=False,
        ),
    ],
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence of each target without its own @NN%.")
    ] = 0.95,
    costs: Annotated[
        Path | None,
        typer.Option(help="Unit costs YAML (default: costs.yaml beside the scenario, if there is one)."),
    ] = None,
    cost: Annotated[
        list[str] | None,
        typer.Option(
            "--cost",
            help="Money a year for one unit of a lever, LEVER=X; needed for levers without a rate in the cost "
            "file (a pathway's places, nurses), and overrides the file's.",
        ),
    ] = None,
    replications: Annotated[int, typer.Option(min=2, help="Replications of a candidate at the first look.")] = 5,
    max_replications: Annotated[
        int, typer.Option(min=2, help="Cap on a candidate's replications (added only near a target's bound).")
    ] = 40,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the search (default: the scenario's).")] = None,
    exhaustive: Annotated[
        bool, typer.Option("--exhaustive", help="Try every candidate (for a model that is not monotone).")
    ] = False,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder of the plan (default: results/plan-<file stem>).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per candidate.")] = False,
) -> None:
    """The least capacity that meets the targets with stated confidence: the cheapest setting of the levers."""
    from hospital_twin.planning.lever import LeverError, lever_rate, parse_lever
    from hospital_twin.planning.plan import PlanError, PlanSettings, plan_capacity
    from hospital_twin.planning.target import TargetError, parse_target
    from hospital_twin.reporting.plan_report import answer_words, write_plan
    from hospital_twin.scenario.io import read_costs

    if max_replications < replications:
        raise InputError(f"--max-replications {max_replications} is below --replications {replications}")
    scn = load_scenario_file(file)
    out_dir = writable_out(out or Path("results") / f"plan-{file.stem}")
    try:
        levers = [parse_lever(x, scn) for x in lever]
        targets = [parse_target(x, scn, confidence) for x in target]
    except (LeverError, TargetError) as exc:
        raise InputError(str(exc)) from None
    cost_file = costs
    if cost_file is None and (file.parent / "costs.yaml").is_file():
        cost_file = file.parent / "costs.yaml"
    rates_file = read_costs(cost_file) if cost_file is not None else None
    overrides = _overrides(cost or [])
    unknown = [k for k in overrides if k not in {lv.name for lv in levers}]
    if unknown:
        raise InputError(f"--cost {unknown[0]}: no such lever (levers: {', '.join(lv.name for lv in levers)})")
    rates = []
    for lv in levers:
        r = lever_rate(lv, rates_file, overrides)
        if r is None:
            where = f"the cost file {cost_file}" if cost_file else "no cost file (--costs)"
            raise InputError(
                f"lever {lv.name}: {where} has no rate for it; give one with --cost {lv.name}=MONEY_PER_UNIT_A_YEAR"
            )
        rates.append(r)
    currency = rates_file.currency if rates_file is not None else "GBP"
    if not quiet:
        for lv, r in zip(levers, rates, strict=True):
            err_console.print(f"lever {escape(lv.describe())}, {currency} {r:,.0f} a unit a year", soft_wrap=True)

    def progress(event: dict) -> None:
        if quiet:
            return
        levers_text = ", ".join(f"{k}={v}" for k, v in event["levers"].items())
        err_console.print(
            f"  {event['phase']:<8} {levers_text}: {event['verdict']} after {event['replications']} replications "
            f"({currency} {event['cost']:,.0f}; {event['simulations']} simulated so far)",
            soft_wrap=True,
            markup=False,
        )

    settings = PlanSettings(
        replications=replications,
        max_replications=max_replications,
        seed=seed,
        search="exhaustive" if exhaustive else "monotone",
    )
    executor = make_cli_executor(workers, cluster, replications)
    try:
        plan = plan_capacity(
            scn, levers, targets, rates, settings, executor=executor, currency=currency, on_progress=progress
        )
    except (LeverError, TargetError, PlanError) as exc:
        raise InputError(str(exc)) from None
    finally:
        executor.close()
    write_plan(plan, out_dir)
    for sentence in answer_words(plan):
        out_console.print(sentence, soft_wrap=True, markup=False)
    out_console.print(f"wrote {out_dir}/plan.csv, plan.json, plan.html", markup=False)
