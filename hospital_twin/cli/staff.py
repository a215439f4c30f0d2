"""``hospital-twin staffing`` (levels from simulated demand) and ``hospital-twin staff`` (the closed loop).

``staffing SCENARIO --weeks W --out DIR`` writes the cover requirements a roster needs;
``staff SCENARIO --staff staff.csv --weeks W --out DIR`` also rosters the staff, feeds the
roster back into the scenario and reports the KPIs before and after. Both write their
folder atomically (a temporary sibling renamed into place when complete).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hospital_twin.atomic import atomic_folder
from hospital_twin.cli._app import InputError, app, err_console, out_console, writable_out

StartOpt = Annotated[
    str | None, typer.Option(help="First day of the period, YYYY-MM-DD (default: the first Monday after the warm-up).")
]
WeeksOpt = Annotated[int, typer.Option(min=1, max=12, help="Length of the period in weeks.")]
LevelOpt = Annotated[
    float,
    typer.Option(
        "--service-level", min=0.01, max=1.0, help="Share of shift-hours in which the ratio must hold (target levels)."
    ),
]
MinLevelOpt = Annotated[
    float,
    typer.Option(
        "--min-level", min=0.01, max=1.0, help="Share of hours of every unit, shift and weekday for the minimum levels."
    ),
]
PoolOpt = Annotated[
    str,
    typer.Option(
        help="Where the service level must hold: shift (each unit and shift over the week), unit, or stratum "
        "(every unit, shift and weekday: the quantile rule)."
    ),
]
RepsOpt = Annotated[int | None, typer.Option(min=2, help="Replications (default: the scenario's).")]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="Base seed (default: the scenario's).")]
WorkersOpt = Annotated[int, typer.Option(min=1, help="Worker processes for the replications.")]
EvalRepsOpt = Annotated[
    int | None,
    typer.Option(
        "--eval-replications",
        min=0,
        help="Fresh replications the levels are scored on out of sample (default: as many as planned; 0: none).",
    ),
]
EvalSeedOpt = Annotated[
    int | None,
    typer.Option("--eval-seed", min=0, help="Seed of the out-of-sample replications (default: derived from --seed)."),
]
RatioSkillOpt = Annotated[str, typer.Option(help="Skill that carries the nurse-to-patient ratio.")]
InChargeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--in-charge", help="SKILL=N: N of the ratio nurses on every shift hold SKILL (e.g. NIC=1); repeatable."
    ),
]
PerNurseOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--per-nurse", help="SKILL=K: K staff of SKILL per ratio nurse on top, rounded up (e.g. HCA=0.5); repeatable."
    ),
]


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: a date YYYY-MM-DD is expected (got '{text}')") from None


def _pairs(values: list[str] | None, option: str, cast) -> dict:
    out = {}
    for v in values or []:
        skill, sep, num = v.partition("=")
        try:
            if not sep or not skill.strip():
                raise ValueError
            out[skill.strip()] = cast(num)
        except ValueError:
            raise InputError(f"{option}: SKILL=NUMBER is expected (got '{v}')") from None
    return out


def _skill_mix(ratio_skill: str, in_charge: list[str] | None, per_nurse: list[str] | None):
    from hospital_twin.staffing.levels import SkillMix

    try:
        return SkillMix(ratio_skill, _pairs(per_nurse, "--per-nurse", float), _pairs(in_charge, "--in-charge", int))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _scenario(path: Path, seed: int | None = None, workers: int = 1, *, resolve: bool = True):
    from hospital_twin.scenario.io import load_scenario
    from hospital_twin.staffing.loop import resolve_warmup

    scn = load_scenario(path)
    if scn.staffing is None or not scn.shifts:
        raise InputError(f"{path}: staffing: the scenario needs `shifts` and `staffing.units` with patients_per_nurse")
    if resolve and scn.warmup_is_auto:
        with err_console.status(f"{scn.name}: choosing the warm-up (MSER-5)"):
            scn = resolve_warmup(scn, seed, workers)
    return scn


def _check_options(service_level: float, min_level: float, pool: str) -> None:
    """The level and pool options, checked by the package's own rule before any file is read."""
    from hospital_twin.staffing.loop import PlanSettings

    try:
        PlanSettings(service_level=service_level, min_level=min_level, pool=pool).check()  # type: ignore[arg-type]
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _write_levels(tmp: Path, levels, req) -> list[str]:
    req.to_csv(tmp / "requirements.csv", index=False)
    from hospital_twin.staffing.levels import WEEKDAYS

    lv = levels.levels.copy()
    lv.insert(3, "day", lv["weekday"].map(dict(enumerate(WEEKDAYS))))
    lv.to_csv(tmp / "levels.csv", index=False)
    levels.coverage.to_csv(tmp / "coverage.csv", index=False)
    levels.evaluation.to_csv(tmp / "evaluation.csv", index=False)
    return ["requirements.csv", "levels.csv", "coverage.csv", "evaluation.csv"]


def _promise(levels) -> str:
    """What the target levels and the rules they are compared with promise, in words."""
    pool_words = {
        "shift": "each unit and shift over the week",
        "unit": "each unit over every shift and day",
        "stratum": "every unit, shift and weekday",
    }[levels.pool]
    return (
        f"the quantile rule promises {100 * levels.service_level:g}% in every unit, shift and weekday; the SAA "
        f"promises it pooled over {pool_words} with a floor of {100 * levels.stratum_floor:g}% in every unit, "
        f"shift and weekday"
    )


def _met_summary(levels) -> dict:
    """staffing.json: met shares pooled (per pool and overall) and per stratum, in and out of sample."""
    out: dict = {
        "promise": _promise(levels),
        "stratum_floor": levels.stratum_floor,
        "same_promise_q": levels.status.get("rule_same_promise_q", {}),
        "out_of_sample": levels.out_of_sample,
    }
    for sample in ("in", "out"):
        if not (levels.evaluation["sample"] == sample).any():
            continue
        by_set = {}
        for col in levels.levels.columns.intersection(
            ["target", "min", "rule_target", "rule_same_promise", "rule_floor"]
        ):
            pools = levels.met(sample, col, "pool")
            strata = levels.met(sample, col, "stratum")
            by_set[col] = {
                "pooled": levels.pooled_share(sample, col),
                "by_pool": [
                    {k: v for k, v in r.items() if k in ("unit", "shift") and v is not None and v == v}
                    | {"hours": int(r["hours"]), "met": float(r["service_level"])}
                    for r in pools.to_dict("records")
                ],
                "lowest_stratum": float(strata["service_level"].min()) if len(strata) else None,
                "strata_below_floor": int((strata["service_level"] < levels.stratum_floor - 1e-12).sum()),
            }
        out["in_sample" if sample == "in" else "out_of_sample_met"] = by_set
    return out


def _pct(x: float) -> str:
    return "" if x != x else f"{100 * x:.1f}%"


def _print_levels(levels, title: str) -> None:
    from hospital_twin.staffing.levels import WEEKDAYS

    has_out = levels.out_of_sample is not None
    t = Table(
        title=title,
        title_justify="left",
        caption="met in: share of the simulated shift-hours meeting the ratio "
        "at the target levels, on the samples the levels were chosen on (optimistic)"
        + ("; met out: on fresh replications" if has_out else ""),
        caption_justify="left",
    )
    t.add_column("unit", no_wrap=True)
    t.add_column("shift", no_wrap=True)
    for d in WEEKDAYS:
        t.add_column(d, justify="right", no_wrap=True)
    t.add_column("met in", justify="right", no_wrap=True)
    if has_out:
        t.add_column("met out", justify="right", no_wrap=True)

    def share(sample: str, scope: str, unit, shift, weekday=None) -> str:
        c = levels.met(sample, "target", scope)
        c = c[c["unit"] == unit]
        if "shift" in levels.levels and c["shift"].notna().any():
            c = c[c["shift"] == shift]
        if weekday is not None:
            c = c[c["weekday"] == weekday]
        return _pct(c["covered"].sum() / c["hours"].sum()) if len(c) and c["hours"].sum() else ""

    for (unit, shift), g in levels.levels.groupby(["unit", "shift"], sort=True):
        by_day = {int(r.weekday): f"{r.target}/{r.min}" for r in g.itertuples(index=False)}
        row = [unit, shift, *[by_day.get(i, "") for i in range(7)], share("in", "pool", unit, shift)]
        if has_out:
            row.append(share("out", "pool", unit, shift))
        t.add_row(*row)
    out_console.print(t)
    if has_out:
        o = levels.out_of_sample
        t2 = Table(
            title=f"out of sample ({o['replications']} fresh replications, seed {o['seed']}, {o['hours']:,} "
            f"hour-samples): share of hours meeting the ratio at the target levels, per unit, shift and "
            f"weekday (floor {100 * levels.stratum_floor:g}%)",
            title_justify="left",
        )
        t2.add_column("unit", no_wrap=True)
        t2.add_column("shift", no_wrap=True)
        for d in WEEKDAYS:
            t2.add_column(d, justify="right", no_wrap=True)
        for (unit, shift), _g in levels.levels.groupby(["unit", "shift"], sort=True):
            t2.add_row(unit, shift, *[share("out", "stratum", unit, shift, i) for i in range(7)])
        out_console.print(t2)
    c = levels.cost_h

    def saving(ref: str) -> str:
        return f"{100 * (1 - c['target'] / c[ref]):.1f}%" if c.get(ref) else "n/a"

    met = (
        ""
        if not has_out
        else (
            f"; met out of sample {_pct(levels.pooled_share('out', 'target'))} (in sample "
            f"{_pct(levels.pooled_share('in', 'target'))})"
        )
    )
    out_console.print(f"nurse-hours per week: target {c['target']:,.1f}, min {c['min']:,.1f}{met}", soft_wrap=True)
    out_console.print(
        f"  against the per-stratum quantile rule {c['rule_target']:,.1f}: the SAA saves {saving('rule_target')}, "
        f"but {_promise(levels)}, so part of that saving is the weaker promise",
        soft_wrap=True,
    )
    if "rule_same_promise" in c:
        out_console.print(
            f"  against the quantile rule with the same promise (one quantile per pool, the lowest meeting "
            f"{100 * levels.service_level:g}% pooled, never below {100 * levels.stratum_floor:g}%) "
            f"{c['rule_same_promise']:,.1f}: the SAA saves {saving('rule_same_promise')}; the floor alone "
            f"(rule at {100 * levels.stratum_floor:g}% per stratum) needs {c['rule_floor']:,.1f}",
            soft_wrap=True,
        )


# --------------------------------------------------------------------------- staffing
@app.command()
def staffing(
    file: Annotated[
        Path, typer.Argument(help="Scenario YAML file with shifts and staffing ratios.", show_default=False)
    ],
    *,
    weeks: WeeksOpt = 4,
    out: Annotated[Path, typer.Option(help="Output folder (written atomically).", show_default=False)],
    start: StartOpt = None,
    service_level: LevelOpt = 0.95,
    min_level: MinLevelOpt = 0.80,
    pool: PoolOpt = "shift",
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = 1,
    ratio_skill: RatioSkillOpt = "RN",
    in_charge: InChargeOpt = None,
    per_nurse: PerNurseOpt = None,
    time_limit: Annotated[float, typer.Option(min=0.1, help="CP-SAT time limit per unit in seconds.")] = 10.0,
    eval_replications: EvalRepsOpt = None,
    eval_seed: EvalSeedOpt = None,
) -> None:
    """Nurses per unit, shift and day meeting a service level at least cost (SAA with CP-SAT): requirements.csv."""
    from hospital_twin.staffing.loop import PlanSettings, staffing_plan

    _check_options(service_level, min_level, pool)
    mix = _skill_mix(ratio_skill, in_charge, per_nurse)
    writable_out(out)
    scn = _scenario(file, resolve=False)
    settings = PlanSettings(
        weeks=weeks,
        start_date=_date(start, "--start"),
        replications=replications,
        seed=seed,
        service_level=service_level,
        min_level=min_level,
        pool=pool,  # type: ignore[arg-type]
        skill_mix=mix,
        time_limit_s=time_limit,
        eval_replications=eval_replications,
        eval_seed=eval_seed,
        workers=workers,
    )
    with err_console.status(f"{scn.name}: replications of {weeks} weeks, then the SAA"):
        try:
            plan = staffing_plan(scn, settings)
        except ValueError as exc:
            if "out-of-sample seed" in str(exc):
                raise InputError(f"--eval-seed: {exc}") from None
            raise InputError(f"{file}: {exc}") from None
    scn, levels, req, start_date, n, seed = (
        plan.scenario,
        plan.levels,
        plan.requirements,
        plan.start_date,
        plan.replications,
        plan.seed,
    )
    with atomic_folder(out) as tmp:
        files = _write_levels(tmp, levels, req)
        info = {
            "scenario": scn.name,
            "source_file": str(file),
            "period_start": start_date.isoformat(),
            "weeks": weeks,
            "replications": n,
            "seed": seed,
            "service_level": service_level,
            "min_level": min_level,
            "pool": pool,
            "stratum_floor": levels.stratum_floor,
            "cost_h_per_week": levels.cost_h,
            "status": levels.status,
            "service_level_met": _met_summary(levels),
            "skill_mix": {
                "ratio_skill": mix.ratio_skill,
                "in_charge": dict(mix.in_charge),
                "per_ratio_nurse": dict(mix.per_ratio_nurse),
            },
            "files": files + ["staffing.json"],
        }
        (tmp / "staffing.json").write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
    _print_levels(
        levels,
        f"{scn.name}: nurses on duty ({mix.ratio_skill} and in charge), target/min; "
        f"{100 * service_level:g}% of shift-hours per {pool}, min {100 * min_level:g}% per day",
    )
    out_console.print(f"requirements for {start_date} + {weeks} weeks written to {out}/")


# --------------------------------------------------------------------------- staff (closed loop)
_BA_FORMAT = {
    "ratio_breach_hours": 1,
    "ratio_breach_share": "%",
    "nurse_hours": 0,
    "waited_share": "%",
    "wait_for_bed_mean_h": 2,
    "wait_for_bed_p95_h": 1,
    "rejected": 1,
    "blocked_bed_hours": 0,
    "occupancy_mean": 1,
}


_FLOW_METRICS = {
    "waited_share",
    "wait_for_bed_mean_h",
    "wait_for_bed_p95_h",
    "rejected",
    "blocked_bed_hours",
    "occupancy_mean",
}


def _print_before_after(ba, variants: list[tuple[str, str]], title: str) -> None:
    """One table per variant: staffing measures for every staffed unit, flow measures for the hospital and
    where they moved (every row is in before_after.csv). ``variants``: (scenario name, label)."""
    from hospital_twin.cli._app import fmt_value as _fmt

    out_console.print(title)
    for name, label in variants:
        v = ba[ba["scenario"] == name]
        v = v[~v["metric"].isin(_FLOW_METRICS) | (v["unit"] == "ALL") | v["significant"]]
        t = Table(title=f"{label} minus before", title_justify="left")
        t.add_column("metric", no_wrap=True)
        t.add_column("unit", no_wrap=True)
        for col in ("before", label, "diff (95% interval)"):
            t.add_column(col, justify="right", no_wrap=True)
        for r in v.itertuples(index=False):
            h = _BA_FORMAT.get(r.metric, 2)
            t.add_row(
                r.metric,
                r.unit,
                _fmt(r.baseline_mean, h),
                _fmt(r.scenario_mean, h),
                f"{_fmt(r.diff_mean, h)}{'*' if r.significant else ' '} "
                f"({_fmt(r.diff_ci_low, h)}..{_fmt(r.diff_ci_high, h)})",
            )
        out_console.print(t)


@app.command()
def staff(
    file: Annotated[
        Path, typer.Argument(help="Scenario YAML file with shifts and staffing ratios.", show_default=False)
    ],
    *,
    staff_file: Annotated[Path, typer.Option("--staff", help="Staff file (CSV or YAML).", show_default=False)],
    out: Annotated[Path, typer.Option(help="Output folder (written atomically).", show_default=False)],
    weeks: WeeksOpt = 4,
    start: StartOpt = None,
    leave: Annotated[Path | None, typer.Option(help="Leave file: staff_id, from, to, kind.")] = None,
    requests: Annotated[Path | None, typer.Option(help="Requests file: staff_id, date, shift, wish, weight.")] = None,
    rules: Annotated[Path | None, typer.Option(help="Roster rules YAML (defaults for anything not given).")] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            help="Shifts worked before the period (the previous roster.csv): rest and runs continue across it."
        ),
    ] = None,
    replications: RepsOpt = None,
    plan_replications: Annotated[
        int | None,
        typer.Option(min=1, help="Replications the levels are planned on (independent seed; default: --replications)."),
    ] = None,
    eval_replications: EvalRepsOpt = None,
    seed: SeedOpt = None,
    time_limit: Annotated[float, typer.Option(min=0.1, help="Roster solver time limit in seconds.")] = 60.0,
    workers: WorkersOpt = 2,
    service_level: LevelOpt = 0.95,
    min_level: MinLevelOpt = 0.80,
    pool: PoolOpt = "shift",
    ratio_skill: RatioSkillOpt = "RN",
    in_charge: InChargeOpt = None,
    per_nurse: PerNurseOpt = None,
) -> None:
    """Closed loop: simulate, derive staffing levels, roster the staff, feed the roster back, re-simulate, compare."""
    from hospital_twin.roster.io import (
        read_history,
        read_leave,
        read_requests,
        read_rules,
        read_staff,
    )
    from hospital_twin.roster.model import RosterError
    from hospital_twin.roster.rules import RosterRules
    from hospital_twin.roster.staff import RosterInputError
    from hospital_twin.staffing.loop import LoopSettings, closed_loop, default_period_start

    _check_options(service_level, min_level, pool)
    mix = _skill_mix(ratio_skill, in_charge, per_nurse)
    writable_out(out)
    scn = _scenario(file, seed, workers)
    start_date = _date(start, "--start") or default_period_start(scn)
    rule_set = read_rules(rules) if rules is not None else RosterRules()
    table = read_staff(staff_file)
    shifts = {k: (s.start, s.end) for k, s in scn.shifts.items()}
    lv = read_leave(leave, table) if leave is not None else None
    rq = read_requests(requests, table, shifts) if requests is not None else None
    hist = read_history(history, shifts, start_date) if history is not None else None
    n = replications or max(scn.replications, 2)
    status = err_console.status("")
    status.start()
    try:
        settings = LoopSettings(
            weeks=weeks,
            start_date=start_date,
            replications=n,
            seed=seed,
            plan_replications=plan_replications,
            eval_replications=eval_replications,
            service_level=service_level,
            min_level=min_level,
            pool=pool,  # type: ignore[arg-type]
            skill_mix=mix,
            roster_time_limit_s=time_limit,
            workers=workers,
        )
        result = closed_loop(
            scn,
            table,
            settings,
            rules=rule_set,
            leave=lv,
            requests=rq,
            history=hist,
            on_step=lambda msg: status.update(f"{scn.name}: {msg}"),
        )
    except RosterInputError as exc:
        raise InputError("\n".join(str(p) for p in exc.problems)) from None
    except RosterError as exc:
        raise InputError(f"{staff_file}: {exc}") from None
    except ValueError as exc:
        raise InputError(f"{file}: {exc}") from None
    finally:
        status.stop()
    inputs = {"staff": staff_file, "leave": leave, "requests": requests, "rules": rules, "history": history}
    _write_loop_folder(out, result, scn.name, file, inputs)
    _print_loop(result, scn.name, f"{start_date} + {weeks} weeks", n)
    out_console.print(f"results written to {out}/")


def _write_loop_folder(out: Path, result, name: str, file: Path, inputs: dict[str, Path | None]) -> None:
    """The `staff` folder, atomically: levels, requirements, roster exports, before/after, scenarios, run.json."""
    from hospital_twin.roster.export import write_roster_folder
    from hospital_twin.scenario.io import dump_scenario

    with atomic_folder(out) as tmp:
        files = _write_levels(tmp, result.levels, result.requirements)
        write_roster_folder(result.roster, tmp / "roster", provenance={"staff": str(inputs["staff"])})
        result.rostered.to_csv(tmp / "rostered_nurses.csv", index=False)
        result.before_after.to_csv(tmp / "before_after.csv", index=False)
        result.kpis.to_csv(tmp / "kpis.csv", index=False)
        (tmp / "scenario_before.yaml").write_text(dump_scenario(result.scenario_before), encoding="utf-8")
        (tmp / "scenario_rostered.yaml").write_text(dump_scenario(result.scenario_after), encoding="utf-8")
        (tmp / "scenario_levels.yaml").write_text(dump_scenario(result.scenario_levels), encoding="utf-8")
        files += [
            "roster/",
            "rostered_nurses.csv",
            "before_after.csv",
            "kpis.csv",
            "scenario_before.yaml",
            "scenario_levels.yaml",
            "scenario_rostered.yaml",
            "run.json",
        ]
        info = {
            "scenario": name,
            "source_file": str(file),
            **{k: str(v) if v else None for k, v in inputs.items()},
            **result.provenance,
            "service_level_met": _met_summary(result.levels),
            "files": files,
        }
        (tmp / "run.json").write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")


def _print_loop(result, name: str, period: str, n: int) -> None:
    """Levels, the roster's outcome and the paired before/after tables."""
    _print_levels(
        result.levels,
        f"{name}: nurses on duty, target/min, planned on {result.provenance['planning_replications']} replications",
    )
    p = result.provenance
    out_console.print(
        f"roster: {p['roster_status']} in {p['roster_solve_s']:.1f} s, penalty {p['roster_objective']:,.1f} "
        f"(bound {p['roster_bound']:,.1f}); cover short of min {p['roster_shortfall_min']}, "
        f"of target {p['roster_shortfall_target']} person-shifts"
    )
    for note in getattr(result.roster, "notes", [])[:5]:
        out_console.print(f"  note: {note}", soft_wrap=True)
    variants = [(result.scenario_levels.name, "levels"), (result.scenario_after.name, "roster")]
    _print_before_after(
        result.before_after,
        variants,
        f"{period}: before (weekly pattern), at the target levels, with the roster; "
        f"differences paired over {n} replications (common random numbers), * = interval excludes 0; "
        "every row in before_after.csv",
    )
