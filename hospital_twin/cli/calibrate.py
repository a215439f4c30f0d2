"""``hospital-twin calibrate`` and ``hospital-twin backtest``: a scenario from ADT logs, and its proof on held-out data.

The edge around :mod:`hospital_twin.calibration.pipeline`: parses the options (and the
capacity table), calls :func:`~hospital_twin.calibration.pipeline.calibrate_logs` or
:func:`~hospital_twin.calibration.pipeline.backtest_log` (which read the logs: canonical ADT
CSV/Parquet, a MIMIC-IV folder, an XES log), prints how every row was accounted for, and
writes the scenario YAML (with provenance comments), the HTML report and the rejects file,
each atomically. The package's errors (``LogError``, ``CalibrationError``, ``ScenarioError``)
exit 2 with the file, line and field named. Holds no calibration logic.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hospital_twin.atomic import atomic_file, atomic_folder, write_text_atomic
from hospital_twin.cli._app import InputError, app, err_console, out_console

if TYPE_CHECKING:  # pandas is imported by the verbs that read tables, not at start-up
    import pandas as pd


def _check_format(fmt: str) -> None:
    from hospital_twin.calibration.adt import FORMATS

    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got '{fmt}'")


def read_capacity(path: Path) -> dict[str, int]:
    """A capacity table: CSV with columns ``unit, beds`` (one row per unit); errors name the line and field."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in ("unit", "beds") if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; expected 'unit,beds', found {', '.join(df.columns)}"
        )
    out: dict[str, int] = {}
    for i, (unit, beds) in enumerate(zip(df["unit"], df["beds"], strict=True)):
        line = i + 2
        unit = unit.strip()
        if not unit:
            raise InputError(f"{path}, line {line}, field unit: empty")
        try:
            b = int(beds.strip())
        except ValueError:
            raise InputError(f"{path}, line {line}, field beds: '{beds}' is not a whole number") from None
        if b < 1:
            raise InputError(f"{path}, line {line}, field beds: {b} must be at least 1")
        if unit in out:
            raise InputError(f"{path}, line {line}, field unit: '{unit}' is listed twice")
        out[unit] = b
    return out


def _check_outputs(outputs: list[Path | None], inputs: list[Path]) -> None:
    ins = {p.resolve() for p in inputs}
    for o in outputs:
        if o is not None and o.resolve() in ins:
            raise InputError(f"{o}: refusing to overwrite an input log")


def _write_csv_atomic(df: pd.DataFrame, path: Path) -> Path:
    with atomic_file(path) as tmp:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
    return path


def _print_reads(reads) -> None:
    from rich.table import Table

    t = Table(title="Rows read", title_justify="left")
    aside = any(r.selection for r in reads)
    for c in ("log", "format", "read", "used", "rejected", "ignored") + (("set aside",) if aside else ()):
        t.add_column(c, justify="right" if c not in ("log", "format") else "left")
    for r in reads:
        cells = [r.source, r.source_format, f"{r.read:,}", f"{r.used:,}", f"{r.rejected:,}", f"{r.ignored:,}"]
        t.add_row(*cells, *([f"{r.set_aside:,}"] if aside else []))
    out_console.print(t)
    for r in reads:
        if r.selection:
            chosen = " and ".join(f"{k} {v}" for k, v in r.selection.items())
            out_console.print(
                f"  {Path(r.source).name}: {chosen} chosen; the {r.set_aside:,} rows of the others are set aside "
                "(not rejected): read = used + rejected + ignored + set aside",
                soft_wrap=True,
            )
        for key, n in r.summary()["reasons"].items():
            out_console.print(f"  {Path(r.source).name}: {key}: {n:,}")


def _print_fit_notes(cal) -> None:
    """What the requests tables added to the arrivals, and each ED's clinician stage."""
    unmet = cal.arrivals.unmet_
    if unmet:
        out_console.print(
            "arrivals include requests that never got a bed: "
            + ", ".join(f"{k} {n:,}" for k, n in unmet.items())
            + "".join(
                f"; {st.name}: {st.n_unmet:,} of {st.n:,}"
                + (f" (booked per weekday {st.per_weekday})" if st.elective and st.per_weekday else "")
                for st in cal.arrivals.streams_
                if st.n_unmet
            ),
            soft_wrap=True,
        )
    for u, e in cal.ed.units_.items():
        if e.clinicians is None:
            out_console.print(f"ED {u}: {e.note}", soft_wrap=True)
        else:
            out_console.print(
                f"ED {u}: clinician stage from seen_at: {e.clinicians} clinicians, assessment mean "
                f"{e.assessment_mean_h * 60:.1f} min ({e.waited_share:.0%} waited for a clinician, mean time to "
                f"clinician {e.wait_mean_h * 60:.1f} min)",
                soft_wrap=True,
            )
    pw = cal.pathways
    for note in pw.notes_:
        out_console.print(f"discharge pathways: {note}", soft_wrap=True)
    for name, e in pw.pathways_.items():
        cap = (
            f"daily at {e.start_hour:g} h, starts Mon..Sun {' '.join(f'{x:g}' for x in e.starts_by_weekday or [])}"
            if e.kind == "daily"
            else f"starts spread over the day (a pool): equivalent starts_per_day {e.starts_per_day:.2f}"
        )
        out_console.print(
            f"pathway {name}: n={e.n}, NCTR delay mean {e.delay_mean_h:.1f} h p90 {e.delay_p90_h:.1f} h; {cap}",
            soft_wrap=True,
        )
    if cal.nctr is not None:
        out_console.print(cal.nctr.sentence(), soft_wrap=True)


# --------------------------------------------------------------------------- calibrate
@app.command()
def calibrate(
    logs: Annotated[
        list[Path],
        typer.Argument(help="ADT log(s): CSV/Parquet, a MIMIC-IV folder, or an XES file.", show_default=False),
    ],
    *,
    fmt: Annotated[str, typer.Option("--format", help="auto | adt | mimic-iv | xes (auto: by name).")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Scenario YAML to write (default: print it).")] = None,
    report: Annotated[Path | None, typer.Option(help="HTML report to write (observed vs fitted, evidence).")] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="CSV (or .parquet) of every row not used, with its reason: 'file_row' is the row as the file "
            "counts it (a CSV's header is row 1, so the first data row is 2; Parquet rows and XES events from 1), "
            "'row' the reader's count of data rows (from 1, header not counted)."
        ),
    ] = None,
    capacity: Annotated[Path | None, typer.Option(help="CSV 'unit,beds' with the real bed numbers.")] = None,
    dates_shifted: Annotated[
        bool | None,
        typer.Option(
            "--dates-shifted/--no-dates-shifted",
            help="Dates shifted per patient (MIMIC, Sepsis)? Default: detected (source, implausible years, "
            "a multi-year log holding under one patient on average).",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Scenario name (default: from the log's file name).")] = None,
    group_units: Annotated[
        bool,
        typer.Option(
            "--group-units/--careunits",
            help="MIMIC-IV: group careunits into ED/ICU/WARD/... (default) or keep them.",
        ),
    ] = True,
    horizon_days: Annotated[float, typer.Option(min=1, help="horizon_days of the written scenario.")] = 364,
    replications: Annotated[int, typer.Option(min=1, help="replications of the written scenario.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the written scenario and of the fits' simulations.")] = 0,
    rep: Annotated[
        int | None, typer.Option(help="Replication to fit, for a simulated log with several (its 'rep' column).")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option(help="Scenario to fit, for a log written by compare (its 'scenario' column).")
    ] = None,
    requests: Annotated[
        list[Path] | None,
        typer.Option(
            help="Requests for a bed that never got one (requests.* of a run; found next to adt_log.* by default): "
            "cancelled, rejected and still-waiting requests count as arrivals (booked electives included)."
        ),
    ] = None,
    pathway_label: Annotated[
        list[str] | None,
        typer.Option(
            help="LABEL=NAME: a discharge_destination label that means discharge pathway NAME (e.g. 'care home=P3', "
            "'died=other', 'home=P0'); repeatable. Labels spelling P1..P3 ('P1', 'pathway 2') need none; other "
            "labels are home without support (P0). Needs ready_to_leave in the log (when the patient became "
            "medically ready)."
        ),
    ] = None,
    nctr_target: Annotated[
        str | None,
        typer.Option(
            help="NCTR patients per inpatient bed to check the fitted pathways against: a number (e.g. 0.26) or an "
            "NHS trust code looked up in the acute discharge sitrep (median over its days of NCTR / G&A beds). "
            "The gap and a suggested capacity scale are reported; nothing fitted changes."
        ),
    ] = None,
    sitrep_data: Annotated[
        Path | None,
        typer.Option(help="Folder of the NHS England aggregates (default: ../shared/data/nhs-england-aggregates)."),
    ] = None,
) -> None:
    """Fit a scenario (arrivals, stays, routes, discharges, beds, discharge pathways) to ADT logs, with its
    evidence."""
    from hospital_twin.calibration.adt import LogError
    from hospital_twin.calibration.fit_pathways import parse_pathway_labels
    from hospital_twin.calibration.pipeline import CalibrationError, NoStaysError, calibrate_logs, requests_beside
    from hospital_twin.calibration.sitrep import SITREP_DIR
    from hospital_twin.calibration.sitrep import nctr_target as read_nctr_target
    from hospital_twin.reporting.calibration_report import build_calibration_report

    try:
        labels = parse_pathway_labels(pathway_label or [])
        target = read_nctr_target(nctr_target, sitrep_data or SITREP_DIR) if nctr_target is not None else None
    except ValueError as exc:
        raise InputError(str(exc)) from None

    _check_outputs([out, report, rejects], logs + list(requests or []))
    cap = read_capacity(capacity) if capacity is not None else None
    _check_format(fmt)
    for path in requests or []:
        if not path.is_file():
            raise InputError(f"--requests {path}: no such file")
    if not requests:
        requests = [p for p in (requests_beside(log) for log in logs) if p is not None]
        for path in requests:
            out_console.print(
                f"note: requests that never got a bed also from {path} (beside the log; they count as arrivals)",
                soft_wrap=True,
            )

    def print_dates(dates) -> None:
        (err_console if dates.shifted else out_console).print(
            ("[yellow]" if dates.shifted else "") + dates.sentence(), soft_wrap=True
        )

    try:  # a ScenarioError (the calibrated YAML does not validate) exits 2 with its file, line and field
        run = calibrate_logs(
            [(p, fmt) for p in logs],
            dates_shifted=dates_shifted,
            name=name,
            horizon_days=horizon_days,
            replications=replications,
            seed=seed,
            capacity=cap,
            group_units=group_units,
            yaml_name=str(out or "calibrated.yaml"),
            on_read=_print_reads,
            on_dates=print_dates,
            rep=rep,
            scenario=scenario,
            requests=requests,
            pathway_labels=labels,
            nctr_target=target,
        )
    except NoStaysError as exc:
        raise InputError(f"{exc.where}: no usable stays (every row was rejected or ignored; see --rejects)") from None
    except (LogError, CalibrationError) as exc:
        raise InputError(str(exc)) from None
    cal, text, rej = run.calibration, run.yaml, run.rejects
    _print_fit_notes(cal)
    if rejects is not None:
        from hospital_twin.calibration.quality import with_file_row

        rej = with_file_row(rej, {r.source: r.source_format for r in run.reads})
        _write_csv_atomic(rej, rejects)
        out_console.print(f"rejects written to {rejects} ({len(rej):,} rows)")
    elif len(rej):
        out_console.print(
            f"{len(rej):,} rows not used (counts above); --rejects FILE lists each with its row and reason"
        )
    if report is not None:
        write_text_atomic(report, build_calibration_report(cal, list(run.reads), run.dates, scenario_text=text))
        out_console.print(f"report written to {report}")
    if out is not None:
        write_text_atomic(out, text)
        out_console.print(
            f"scenario written to {out}: {len(cal.capacity.beds_)} units, {len(cal.arrivals.streams_)} arrival streams"
        )
    else:
        typer.echo(text, nl=False)


# --------------------------------------------------------------------------- backtest
@app.command()
def backtest(
    log: Annotated[
        Path, typer.Argument(help="ADT log (CSV/Parquet, MIMIC-IV folder or XES) with real dates.", show_default=False)
    ],
    *,
    train_until: Annotated[
        str, typer.Option(help="The cut: fit on stays starting before it (ISO 8601 time).", show_default=False)
    ],
    out: Annotated[Path, typer.Option(help="Folder to write backtest.csv, backtest.html and scenario.yaml into.")],
    fmt: Annotated[str, typer.Option("--format", help="auto | adt | mimic-iv | xes.")] = "auto",
    replications: Annotated[int, typer.Option(min=2, help="Warm-started replications of the test period.")] = 30,
    test_days: Annotated[int | None, typer.Option(min=1, help="Days to test (default: up to the log's end).")] = None,
    capacity: Annotated[Path | None, typer.Option(help="CSV 'unit,beds' with the real bed numbers.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulations.")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Local worker processes for the replications.")] = 1,
    rep: Annotated[
        int | None, typer.Option(help="Replication to use, for a simulated log with several (its 'rep' column).")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option(help="Scenario to use, for a log written by compare (its 'scenario' column).")
    ] = None,
) -> None:
    """Calibrate on the log before --train-until, simulate the rest from the census at the cut, and compare."""
    import pandas as pd

    from hospital_twin.calibration.adt import LogError
    from hospital_twin.calibration.pipeline import CalibrationError, backtest_log
    from hospital_twin.reporting.calibration_report import build_backtest_report

    try:
        cut = pd.Timestamp(train_until)
    except (ValueError, TypeError):
        raise InputError(
            f"--train-until: '{train_until}' is not an ISO 8601 time (e.g. 2025-10-01 or 2025-10-01T08:00)"
        ) from None
    if pd.isna(cut):
        raise InputError(f"--train-until: '{train_until}' is not a time")
    _check_outputs([out], [log])
    cap = read_capacity(capacity) if capacity is not None else None
    _check_format(fmt)
    try:
        run = backtest_log(
            log,
            cut,
            fmt=fmt,
            test_days=test_days,
            replications=replications,
            seed=seed,
            capacity=cap,
            workers=workers,
            on_read=_print_reads,
            rep=rep,
            scenario=scenario,
        )
    except (LogError, CalibrationError) as exc:
        raise InputError(str(exc)) from None
    bt = run.backtest
    with atomic_folder(out) as tmp:
        bt.tidy().to_csv(tmp / "backtest.csv", index=False)
        (tmp / "backtest.html").write_text(build_backtest_report(bt, source=run.read.source), encoding="utf-8")
        (tmp / "scenario.yaml").write_text(run.yaml, encoding="utf-8")
    from rich.table import Table

    t = Table(
        title=f"Back-test: trained before {bt.train_until}, tested to {bt.test_end} ({replications} replications)",
        title_justify="left",
    )
    for c in ("unit", "days", "MAE", "in band", "ties ½", "KS D", "KS 1%"):
        t.add_column(c, justify="left" if c == "unit" else "right")
    ks = bt.stays.set_index("unit")
    for s in bt.summary.itertuples(index=False):
        k = ks.loc[s.unit] if s.unit in ks.index else None
        t.add_row(
            s.unit,
            str(s.days),
            f"{s.occupancy_mae:.2f}",
            f"{s.band_coverage:.0%}",
            f"{s.band_coverage_pit:.0%}",
            "–" if k is None else f"{k.ks_d:.3f}",
            "–" if k is None else f"{k.ks_d_crit_01:.3f}",
        )
    out_console.print(t)
    out_console.print(
        "MAE: mean absolute error of the daily mean census; in band: observed days inside the simulated "
        "90% band (ties with its ends counted by halves in the next column); KS D: stay distance, "
        "with its 1% critical value.",
        soft_wrap=True,
    )
    out_console.print(f"back-test written to {out} (backtest.csv, backtest.html, scenario.yaml)")
