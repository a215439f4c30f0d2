"""``hospital-twin calibrate`` and ``hospital-twin backtest``: a scenario from ADT logs, and its proof on held-out data.

The edge around :mod:`hospital_twin.calibration`: reads the logs (canonical ADT
CSV/Parquet, a MIMIC-IV folder, an XES log), prints how every row was accounted for,
and writes the scenario YAML (with provenance comments), the HTML report and the
rejects file, each atomically. Bad input exits 2 with the file, line and field named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from hospital_twin.atomic import atomic_file, atomic_folder, write_text_atomic
from hospital_twin.cli._app import InputError, app, err_console, out_console

FORMATS = ("auto", "adt", "mimic-iv", "xes")


def _detect(path: Path, fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got '{fmt}'")
    if fmt != "auto":
        return fmt
    name = path.name.lower()
    if path.is_dir():
        return "mimic-iv"
    if name.endswith(".xes") or name.endswith(".xes.gz"):
        return "xes"
    if name.endswith((".csv", ".csv.gz", ".parquet", ".pq")):
        return "adt"
    raise InputError(f"{path}: cannot tell the log's format from its name (a folder is MIMIC-IV, .xes/.xes.gz is XES, "
                     ".csv/.csv.gz/.parquet is the ADT log); give --format")


def read_log(path: Path, fmt: str = "auto", *, group_units: bool = True):
    """Read one log into an :class:`~hospital_twin.calibration.adt.AdtRead` (exit 2 on a log that cannot be read)."""
    from hospital_twin.calibration import (
        MIMIC_UNIT_GROUPS,
        LogError,
        read_adt,
        read_mimic_iv,
        read_xes,
    )

    kind = _detect(path, fmt)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    try:
        if kind == "mimic-iv":
            return read_mimic_iv(path, MIMIC_UNIT_GROUPS if group_units else None)
        if kind == "xes":
            return read_xes(path)
        return read_adt(path)
    except LogError as exc:
        raise InputError(str(exc)) from None


def read_capacity(path: Path) -> dict[str, int]:
    """A capacity table: CSV with columns ``unit, beds`` (one row per unit); errors name the line and field."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in ("unit", "beds") if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected 'unit,beds', found {', '.join(df.columns)}")
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
    for c in ("log", "format", "read", "used", "rejected", "ignored"):
        t.add_column(c, justify="right" if c not in ("log", "format") else "left")
    for r in reads:
        t.add_row(r.source, r.source_format, f"{r.read:,}", f"{r.used:,}", f"{r.rejected:,}", f"{r.ignored:,}")
    out_console.print(t)
    for r in reads:
        for key, n in r.summary()["reasons"].items():
            out_console.print(f"  {Path(r.source).name}: {key}: {n:,}")


def _combined(reads) -> tuple[pd.DataFrame, pd.DataFrame]:
    stays = pd.concat([r.stays for r in reads], ignore_index=True) if len(reads) > 1 else reads[0].stays
    rejects = []
    for r in reads:
        rej = r.rejects.copy()
        rej.insert(0, "source", r.source)
        rejects.append(rej)
    return stays, pd.concat(rejects, ignore_index=True)


# --------------------------------------------------------------------------- calibrate
@app.command()
def calibrate(
    logs: Annotated[list[Path], typer.Argument(help="ADT log(s): CSV/Parquet, a MIMIC-IV folder, or an XES file.",
                                               show_default=False)],
    *,
    fmt: Annotated[str, typer.Option("--format", help="auto | adt | mimic-iv | xes (auto: by name).")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Scenario YAML to write (default: print it).")] = None,
    report: Annotated[Path | None, typer.Option(help="HTML report to write (observed vs fitted, evidence).")] = None,
    rejects: Annotated[Path | None, typer.Option(help="CSV (or .parquet) of every row not used, with row and reason.")] = None,
    capacity: Annotated[Path | None, typer.Option(help="CSV 'unit,beds' with the real bed numbers.")] = None,
    dates_shifted: Annotated[
        bool | None,
        typer.Option("--dates-shifted/--no-dates-shifted",
                     help="Dates shifted per patient (MIMIC, Sepsis)? Default: detected (source, implausible years, "
                          "a multi-year log holding under one patient on average)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Scenario name (default: from the log's file name).")] = None,
    group_units: Annotated[bool, typer.Option("--group-units/--careunits",
                                              help="MIMIC-IV: group careunits into ED/ICU/WARD/... (default) or keep them.")] = True,
    horizon_days: Annotated[float, typer.Option(min=1, help="horizon_days of the written scenario.")] = 364,
    replications: Annotated[int, typer.Option(min=1, help="replications of the written scenario.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the written scenario and of the fits' simulations.")] = 0,
) -> None:
    """Fit a scenario (arrivals, stays, routes, discharges, beds) to ADT logs, with its evidence."""
    from hospital_twin.calibration.dates import check_dates
    from hospital_twin.calibration.fit import calibrate as fit_calibration
    from hospital_twin.calibration.scenario_yaml import scenario_yaml
    from hospital_twin.reporting.calibration_report import build_calibration_report
    from hospital_twin.scenario import load_scenario_text

    _check_outputs([out, report, rejects], logs)
    cap = read_capacity(capacity) if capacity is not None else None
    reads = [read_log(p, fmt, group_units=group_units) for p in logs]
    _print_reads(reads)
    stays, rej = _combined(reads)
    if not len(stays):
        raise InputError(f"{', '.join(map(str, logs))}: no usable stays (every row was rejected or ignored; "
                         "see --rejects)")
    dates = check_dates(stays, reader_says=any(r.dates_shifted for r in reads), flag=dates_shifted)
    (err_console if dates.shifted else out_console).print(("[yellow]" if dates.shifted else "") + dates.sentence(),
                                                           soft_wrap=True)
    sources = [f"{r.source} (sha256 {r.sha256})" for r in reads]
    scn_name = name or f"Calibrated from {', '.join(Path(r.source).name for r in reads)}"
    try:
        cal = fit_calibration(stays, capacity=cap, dates_shifted=dates.shifted, name=scn_name, source=sources,
                              random_state=seed)
    except ValueError as exc:
        raise InputError(f"{', '.join(map(str, logs))}: {exc}") from None
    text = scenario_yaml(cal, reads, dates, horizon_days=horizon_days, replications=replications, seed=seed)
    load_scenario_text(text, name=str(out or "calibrated.yaml"))  # validates what is written (a ScenarioError exits 2)
    if rejects is not None:
        _write_csv_atomic(rej, rejects)
        out_console.print(f"rejects written to {rejects} ({len(rej):,} rows)")
    elif len(rej):
        out_console.print(f"{len(rej):,} rows not used (counts above); --rejects FILE lists each with its row and reason")
    if report is not None:
        write_text_atomic(report, build_calibration_report(cal, reads, dates, scenario_text=text))
        out_console.print(f"report written to {report}")
    if out is not None:
        write_text_atomic(out, text)
        out_console.print(f"scenario written to {out}: {len(cal.capacity.beds_)} units, "
                          f"{len(cal.arrivals.streams_)} arrival streams")
    else:
        typer.echo(text, nl=False)


# --------------------------------------------------------------------------- backtest
@app.command()
def backtest(
    log: Annotated[Path, typer.Argument(help="ADT log (CSV/Parquet, MIMIC-IV folder or XES) with real dates.",
                                        show_default=False)],
    *,
    train_until: Annotated[str, typer.Option(help="The cut: fit on stays starting before it (ISO 8601 time).",
                                             show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder to write backtest.csv, backtest.html and scenario.yaml into.")],
    fmt: Annotated[str, typer.Option("--format", help="auto | adt | mimic-iv | xes.")] = "auto",
    replications: Annotated[int, typer.Option(min=2, help="Warm-started replications of the test period.")] = 30,
    test_days: Annotated[int | None, typer.Option(min=1, help="Days to test (default: up to the log's end).")] = None,
    capacity: Annotated[Path | None, typer.Option(help="CSV 'unit,beds' with the real bed numbers.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulations.")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Local worker processes for the replications.")] = 1,
) -> None:
    """Calibrate on the log before --train-until, simulate the rest from the census at the cut, and compare."""
    from hospital_twin.calibration.backtest import backtest as run_backtest
    from hospital_twin.calibration.dates import check_dates
    from hospital_twin.reporting.calibration_report import build_backtest_report
    from hospital_twin.scenario.io import dump_scenario

    try:
        cut = pd.Timestamp(train_until)
    except (ValueError, TypeError):
        raise InputError(f"--train-until: '{train_until}' is not an ISO 8601 time (e.g. 2025-10-01 or 2025-10-01T08:00)") from None
    if pd.isna(cut):
        raise InputError(f"--train-until: '{train_until}' is not a time")
    _check_outputs([out], [log])
    cap = read_capacity(capacity) if capacity is not None else None
    r = read_log(log, fmt)
    _print_reads([r])
    dates = check_dates(r.stays, reader_says=r.dates_shifted)
    if dates.shifted:
        raise InputError(f"{log}: {dates.sentence()} A back-test compares occupancy over calendar time, which such a "
                         "log does not have.")
    try:
        bt = run_backtest(r.stays, cut, test_days=test_days, replications=replications, seed=seed, capacity=cap,
                          source=f"{r.source} (sha256 {r.sha256})", workers=workers)
    except ValueError as exc:
        raise InputError(f"{log}: {exc}") from None
    with atomic_folder(out) as tmp:
        bt.tidy().to_csv(tmp / "backtest.csv", index=False)
        (tmp / "backtest.html").write_text(build_backtest_report(bt, source=r.source), encoding="utf-8")
        (tmp / "scenario.yaml").write_text("\n".join(bt.calibration.provenance_comments()) + "\n"
                                           + dump_scenario(bt.scenario), encoding="utf-8")
    from rich.table import Table

    t = Table(title=f"Back-test: trained before {bt.train_until}, tested to {bt.test_end} ({replications} replications)",
              title_justify="left")
    for c in ("unit", "days", "MAE", "in band", "ties ½", "KS D", "KS 1%"):
        t.add_column(c, justify="left" if c == "unit" else "right")
    ks = bt.stays.set_index("unit")
    for s in bt.summary.itertuples(index=False):
        k = ks.loc[s.unit] if s.unit in ks.index else None
        t.add_row(s.unit, str(s.days), f"{s.occupancy_mae:.2f}", f"{s.band_coverage:.0%}", f"{s.band_coverage_pit:.0%}",
                  "–" if k is None else f"{k.ks_d:.3f}", "–" if k is None else f"{k.ks_d_crit_01:.3f}")
    out_console.print(t)
    out_console.print("MAE: mean absolute error of the daily mean census; in band: observed days inside the simulated "
                      "90% band (ties with its ends counted by halves in the next column); KS D: stay distance, "
                      "with its 1% critical value.", soft_wrap=True)
    out_console.print(f"back-test written to {out} (backtest.csv, backtest.html, scenario.yaml)")
