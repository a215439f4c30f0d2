"""``hospital-twin census`` and ``hospital-twin forecast``: the live twin at the command line.

``census LOG --at TIME`` takes the census snapshot (CONTRACTS section 6) out of an event
log; ``forecast SCENARIO --census FILE --now TIME --hours H`` warm-starts the scenario
from a snapshot and writes ``forecast.csv``, ``forecast.html`` and ``run.json``. The
edge only: parsing, reading, printing, writing (atomically); the work is done by
:mod:`hospital_twin.live.census` and :mod:`hospital_twin.live.forecast`.

Times are wall-clock times of the hospital (the scenario's clock): ``--now`` and
``--at`` accept ISO 8601 with or without an offset. For ``forecast`` an offset is
dropped after reading (the snapshot's times are read the same way); for ``census`` on a
log whose times carried offsets (read as UTC), ``--at`` is converted to UTC.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from hospital_twin.atomic import atomic_file, atomic_folder
from hospital_twin.cli._app import InputError, app, err_console, out_console, writable_out

if TYPE_CHECKING:  # pandas is imported by the verbs when they run, not at start-up
    import pandas as pd

__all__ = ["census", "forecast", "parse_time"]

_SHOWN_H = (24, 48, 72)


# --------------------------------------------------------------------------- helpers
def parse_time(value: str, option: str) -> pd.Timestamp:
    """An ISO 8601 timestamp from the command line (with or without offset); tz-aware if it had one."""
    import re

    import pandas as pd

    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$", text):
        raise InputError(
            f"{option}: not an ISO 8601 timestamp: '{value}' (e.g. 2025-03-03T08:00 or 2025-03-03T08:00+01:00)"
        )
    try:
        ts = pd.Timestamp(text)
    except ValueError as exc:
        raise InputError(f"{option}: not a valid timestamp: '{value}' ({exc})") from None
    return ts


def _wall_clock(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _atomic_folder(out: Path, write) -> Path:
    """Call ``write(tmp_dir)`` inside :func:`hospital_twin.atomic.atomic_folder` (``out`` must not be a file)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    with atomic_folder(out) as tmp:
        write(tmp)
    return out


def _atomic_file(path: Path, write) -> Path:
    """Call ``write(tmp_path)`` inside :func:`hospital_twin.atomic.atomic_file`."""
    with atomic_file(path) as tmp:
        write(tmp)
    return path


def _one_value(stays: pd.DataFrame, column: str, chosen: str | None, option: str, what: str) -> pd.DataFrame:
    """Keep the rows of one value of ``column`` (a replication or a scenario), as the user chose."""
    import pandas as pd

    if column not in stays.columns:
        if chosen is not None:
            raise InputError(f"{option} {chosen}: the log has no '{column}' column (it holds one {what})")
        return stays
    values = stays[column].astype("string")
    present = sorted(pd.unique(values.dropna()).tolist(), key=lambda v: (len(v), v))
    if chosen is None:
        if len(present) > 1:
            shown = ", ".join(present[:10]) + (", ..." if len(present) > 10 else "")
            raise InputError(
                f"the log holds {len(present)} {what}s in its '{column}' column ({shown}); choose one with {option}"
            )
        return stays.drop(columns=[column])
    if chosen not in present:
        raise InputError(
            f"{option} {chosen}: no such {what} in the log's '{column}' column (found: {', '.join(present[:10])})"
        )
    return stays[values == chosen].drop(columns=[column])


def _columns(path: Path) -> list[str]:
    import pandas as pd

    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        if name.endswith((".csv", ".csv.gz")):
            return list(pd.read_csv(path, nrows=0).columns)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the log: {exc}") from None
    return []


def _scenario_rows(log: Path, chosen: str | None, tmp: Path) -> Path:
    """A log written by ``compare`` stacks scenarios (same patient ids in each): keep the chosen one's rows.

    Returns ``log`` itself when it has no ``scenario`` column, else a file in ``tmp``
    holding that scenario's rows (so the log reader checks one hospital at a time).
    """
    if not log.is_file():
        raise InputError(f"{log}: no such file")
    if "scenario" not in _columns(log):
        if chosen is not None:
            raise InputError(f"--scenario {chosen}: {log} has no 'scenario' column (it holds one scenario)")
        return log
    import pandas as pd

    parquet = log.name.lower().endswith((".parquet", ".pq"))
    raw = pd.read_parquet(log) if parquet else pd.read_csv(log, dtype=str, keep_default_na=False)
    raw = _one_value(raw, "scenario", chosen, "--scenario", "scenario")
    out = tmp / ("log.parquet" if parquet else "log.csv")
    raw.to_parquet(out, index=False) if parquet else raw.to_csv(out, index=False)
    return out


def _write_table(df: pd.DataFrame, path: Path) -> None:
    if path.suffix.lower() in {".parquet", ".pq"}:
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S")


# --------------------------------------------------------------------------- census
@app.command()
def census(
    log: Annotated[
        Path,
        typer.Argument(help="ADT event log (CSV, CSV.gz or Parquet; e.g. adt_log.* of a run).", show_default=False),
    ],
    *,
    at: Annotated[
        str, typer.Option("--at", help="Snapshot time, ISO 8601 (e.g. 2025-03-03T08:00).", show_default=False)
    ],
    rep: Annotated[int | None, typer.Option(help="Replication to use, for a simulated log with several.")] = None,
    scenario: Annotated[
        str | None, typer.Option(help="Scenario to use, for a log written by compare (its 'scenario' column).")
    ] = None,
    table_format: Annotated[str, typer.Option("--format", help="Format of --out: csv or parquet.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write the snapshot to this file (default: print only).")] = None,
    pathway: Annotated[
        list[str] | None,
        typer.Option(
            "--pathway",
            help="A discharge pathway's name as the log's discharge_destination writes it (repeat for each); "
            "without it only labels spelt P1..P9 or 'pathway N' are pathways.",
        ),
    ] = None,
    waiting: Annotated[
        bool,
        typer.Option(
            "--waiting/--no-waiting", help="Include patients waiting for their first bed (rows without unit_start)."
        ),
    ] = True,
    requests: Annotated[
        Path | None,
        typer.Option(
            help="Requests for a bed that never got one (requests.* of a run; found next to adt_log.* by default): "
            "adds the patients waiting at --at who were later cancelled or never placed."
        ),
    ] = None,
    vacated: Annotated[
        Path | None,
        typer.Option(
            help="Also write the beds vacated in the 24 h before --at (unit, vacated_at) to this CSV, for "
            "`forecast --vacated` (some may still be being cleaned)."
        ),
    ] = None,
) -> None:
    """Take the census snapshot at a time from an event log: who is in which bed, since when.

    The snapshot has the contract columns patient_id, unit, unit_start, patient_class,
    admitted_at, then ready_to_leave and next_unit (patients whose stay is over, and
    where they are going), pathway (the discharge pathway such a patient waits for in its
    bed, when the log names one in discharge_destination) and waiting_since (patients waiting for a bed) where the log
    has what they need. It is what `forecast --census` reads.
    """
    from hospital_twin.live.census import (
        CensusError,
        census_at,
        outliers_at,
        read_requests,
        select_requests,
        vacated_beds,
    )

    if table_format not in ("csv", "parquet"):
        raise InputError(f"--format: expected csv or parquet, got '{table_format}'")
    when = parse_time(at, "--at")
    stays, rep_used, when = _census_log(log, scenario, rep, when)
    if requests is not None and not waiting:
        err_console.print(f"note: --requests {requests} is not used with --no-waiting", soft_wrap=True)
    if requests is None and waiting and log.name.lower().startswith("adt_log."):
        sibling = log.with_name("requests" + log.name[len("adt_log") :])
        if sibling.is_file():
            requests = sibling
            err_console.print(
                f"note: waiting patients also from {sibling} (requests that never got a bed)", soft_wrap=True
            )
    req = None
    if requests is not None and waiting:
        try:
            req = select_requests(read_requests(requests), scenario=scenario, rep=rep_used)
        except CensusError as exc:
            raise InputError(str(exc)) from None
        except ValueError as exc:
            raise InputError(f"{requests}: {exc}") from None
    snap = census_at(stays, when, waiting=waiting, requests=req, pathways=pathway or None)
    in_bed = snap[snap["unit_start"].notna()]
    _print_census(snap, when, log.name)
    outl = outliers_at(stays, when)
    if len(outl):
        where = "; ".join(f"{r.n} of {r.home_unit} in {r.unit}" for r in outl.itertuples(index=False))
        err_console.print(
            f"[yellow]warning:[/yellow] {int(outl['n'].sum())} patients in the snapshot are outliers ({where}); "
            "a forecast from this snapshot treats each as a patient of the unit it is in (that unit's stay and "
            "route, no move back to its home unit), so the home units' beds read emptier than they will be",
            soft_wrap=True,
            markup=True,
        )
    if out is not None:
        if out.suffix.lower() not in {".csv", ".parquet", ".pq"}:
            out = out.with_suffix(".parquet" if table_format == "parquet" else ".csv")
        _atomic_file(out, lambda p: _write_table(snap, p))
        out_console.print(
            f"snapshot of {len(in_bed)} patients in a bed"
            + (f" and {len(snap) - len(in_bed)} waiting" if len(snap) > len(in_bed) else "")
            + f" written to {out}"
        )
    if vacated is not None:
        freed = vacated_beds(stays, when)
        _atomic_file(vacated, lambda p: freed.to_csv(p, index=False, date_format="%Y-%m-%dT%H:%M:%S"))
        out_console.print(f"{len(freed)} beds vacated in the 24 h before {when.isoformat()} written to {vacated}")


def _census_log(log: Path, scenario: str | None, rep: int | None, when: pd.Timestamp):
    """The stays of ``log`` (one scenario and replication), the replication used, and ``--at`` on the log's clock;
    notes on stderr for unusable rows and a time outside the log."""
    import pandas as pd

    from hospital_twin.calibration.adt import LogError, read_adt

    try:
        with tempfile.TemporaryDirectory(prefix="ht-census-") as tmp:
            read = read_adt(_scenario_rows(log, scenario, Path(tmp)))
    except LogError as exc:
        raise InputError(str(exc)) from None
    stays = read.stays
    rep_used = (
        str(rep)
        if rep is not None
        else (
            str(pd.unique(stays["rep"].astype("string").dropna())[0])
            if "rep" in stays.columns and stays["rep"].notna().any()
            else None
        )
    )
    stays = _one_value(stays, "rep", None if rep is None else str(rep), "--rep", "replication")
    if read.rejected:
        reasons = "; ".join(f"{r}: {n}" for _k, r, n in read.reason_counts().itertuples(index=False))
        err_console.print(
            f"[yellow]note:[/yellow] {read.rejected} of {read.read} rows of {log} could not be used "
            f"({reasons}); the snapshot is taken from the {read.used} others",
            soft_wrap=True,
        )
    if when.tzinfo is not None:
        if read.timezone in ("utc", "mixed"):
            when = when.tz_convert("UTC").tz_localize(None)
            err_console.print(f"note: the log's times are UTC; --at is taken as {when.isoformat()} UTC")
        else:
            when = _wall_clock(when)
    lo, hi = read.period
    if lo is not None and (when < lo or when > hi):
        err_console.print(
            f"[yellow]note:[/yellow] --at {when.isoformat()} is outside the log's period "
            f"({lo.isoformat()} to {hi.isoformat()})"
        )
    return stays, rep_used, when


def _print_census(snap: pd.DataFrame, when: pd.Timestamp, source: str) -> None:
    """Per unit: patients in a bed, median and longest stay so far, ready to leave, waiting for a bed."""
    import pandas as pd

    from hospital_twin.live.census import READY_COLUMN, WAITING_COLUMN

    in_bed = snap[snap["unit_start"].notna()]
    t = Table(title=f"Census at {when:%a %d %b %Y %H:%M} from {source}", title_justify="left")
    for col, right in (
        ("unit", False),
        ("patients", True),
        ("median stay so far (h)", True),
        ("longest (h)", True),
        ("ready to leave", True),
        ("waiting for a bed", True),
    ):
        t.add_column(col, justify="right" if right else "left")
    for u in sorted(pd.unique(snap["unit"].dropna()).tolist()):
        r = in_bed[in_bed["unit"] == u]
        e = (when - r["unit_start"]).dt.total_seconds() / 3600.0
        ready = int(r[READY_COLUMN].notna().sum()) if READY_COLUMN in r.columns else 0
        wait = int((snap["unit"] == u).sum() - len(r)) if WAITING_COLUMN in snap.columns else 0
        t.add_row(
            u,
            str(len(r)),
            f"{e.median():.1f}" if len(r) else "",
            f"{e.max():.1f}" if len(r) else "",
            str(ready),
            str(wait),
        )
    t.add_row("total", str(len(in_bed)), "", "", "", str(len(snap) - len(in_bed)))
    out_console.print(t)


# --------------------------------------------------------------------------- forecast
def _print_forecast(fc) -> None:
    from hospital_twin.live.forecast import ALL

    shown = [k for k in _SHOWN_H if k <= fc.hours] or [fc.hours]
    h = fc.hourly
    t = Table(
        title=f"{fc.scenario_name}: census forecast from {fc.now:%a %d %b %Y %H:%M} "
        f"({fc.replications} replications); mean [90% interval] and P(full)",
        title_justify="left",
    )
    t.add_column("unit")
    t.add_column("beds", justify="right")
    t.add_column("now", justify="right")
    for k in shown:
        t.add_column(f"+{k} h", justify="right")
        t.add_column("P(full)", justify="right")
    for u in list(fc.units) + ([ALL] if fc.inpatient.any() else []):
        rows = h[h["unit"] == u].set_index("horizon_h")
        cells = [u, str(int(rows.loc[0, "beds"])), f"{rows.loc[0, 'mean']:.0f}"]
        for k in shown:
            r = rows.loc[k]
            cells += [f"{r['mean']:.1f} [{r['p05']:.0f}-{r['p95']:.0f}]", f"{100 * r['p_full']:.0f}%"]
        t.add_row(*cells)
    out_console.print(t)


def _print_nctr(fc, nctr: pd.DataFrame, scn) -> None:
    """One line per pathway: patients waiting for it in a bed (NCTR) now and at the shown horizons."""
    shown = [0] + [k for k in _SHOWN_H if k <= fc.hours]
    for name in ["ALL", *fc.pathways]:
        rows = nctr[(nctr["unit"] == "ALL") & (nctr["pathway"] == name)].set_index("horizon_h")
        if rows.empty:
            continue
        cells = ", ".join(
            f"{'now' if k == 0 else f'+{k} h'} {rows.loc[k, 'mean']:.1f} [{rows.loc[k, 'p05']:.0f}-{rows.loc[k, 'p95']:.0f}]"
            for k in shown
        )
        label = "all pathways" if name == "ALL" else f"pathway {name}"
        out_console.print(f"NCTR (ready, waiting in a bed), {label}: {cells}")
    pools = [name for name, spec in scn.discharge_pathways.items() if spec.kind == "pool"]
    if pools:
        err_console.print(
            f"[yellow]note:[/yellow] {', '.join(pools)}: a pool with patients of the census waiting for it is "
            "taken as full at --now (each place with the rest of a stay seen at a random moment); one nobody "
            "waits for as empty"
        )


@app.command()
def forecast(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.", show_default=False)],
    *,
    census_file: Annotated[
        Path, typer.Option("--census", help="Census snapshot (CSV or Parquet; see `census`).", show_default=False)
    ],
    now: Annotated[
        str,
        typer.Option(help="Time of the snapshot, ISO 8601 with or without offset (wall clock).", show_default=False),
    ],
    hours: Annotated[int, typer.Option(min=1, max=24 * 60, help="Hours to forecast.", show_default=False)],
    replications: Annotated[int, typer.Option(min=1, help="Replications.")] = 200,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Local worker processes (default: all cores); the forecast does not depend on it."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder to write (default: results/forecast-<scenario>).")] = None,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Also write forecast.html.")] = True,
    vacated: Annotated[
        Path | None,
        typer.Option(
            help="Beds vacated shortly before --now (unit, vacated_at; see `census --vacated`): those still free "
            "may still be being cleaned, by the unit's turnaround."
        ),
    ] = None,
) -> None:
    """Forecast the census of every unit for the next hours, warm-started from a census snapshot.

    Writes OUT/forecast.csv (time, unit, mean, p05, p50, p95, p_full per hour, then
    admissions, discharges and ED boarding), OUT/forecast.html (fan charts) and
    OUT/run.json (provenance). No warm-up: the run starts from the snapshot. With discharge
    pathways, also OUT/forecast_nctr.csv: patients ready to leave waiting in a bed for a pathway
    (NCTR) per unit and per pathway; a census row's pathway column starts such a patient in its queue.
    """
    from hospital_twin.cli._app import load_scenario_file as _load
    from hospital_twin.live.census import read_census, read_vacated
    from hospital_twin.live.forecast import forecast as run_forecast
    from hospital_twin.live.forecast import forecast_table, nctr_table

    when = _wall_clock(parse_time(now, "--now"))
    scn = _load(scenario_file)
    snap = read_census(census_file, scn, when)  # CensusError: file, line, field (exit 2)
    freed = read_vacated(vacated, scn, when) if vacated is not None else None
    out_dir = writable_out(out or Path("results") / f"forecast-{scenario_file.stem}")
    n_workers = min(workers or os.cpu_count() or 1, replications)
    fc = run_forecast(scn, snap, when, hours, replications=replications, seed=seed, workers=n_workers, vacated=freed)
    table = forecast_table(fc)
    nctr = nctr_table(fc)  # None without discharge pathways
    from hospital_twin.reporting.forecast_report import forecast_html

    page = forecast_html(fc, source=f"{scenario_file} + {census_file}") if html else None
    run = dict(fc.provenance)
    run.update(
        {
            "scenario_file": str(scenario_file),
            "census_file": str(census_file),
            "vacated_file": None if vacated is None else str(vacated),
            "snapshot": fc.initial.replace({float("nan"): None}).to_dict(orient="records"),
        }
    )

    def write(tmp: Path) -> None:
        files = ["forecast.csv"]
        table.to_csv(tmp / "forecast.csv", index=False)
        if nctr is not None:
            nctr.to_csv(tmp / "forecast_nctr.csv", index=False)
            files.append("forecast_nctr.csv")
        if page is not None:
            (tmp / "forecast.html").write_text(page, encoding="utf-8")
            files.append("forecast.html")
        run["files"] = files + ["run.json"]
        (tmp / "run.json").write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")

    _atomic_folder(out_dir, write)
    _print_forecast(fc)
    over = fc.initial[fc.initial["over_capacity"] > 0]
    for r in over.itertuples():
        err_console.print(f"[yellow]note:[/yellow] {r.unit}: the snapshot has {r.patients} patients for {r.beds} beds")
    if "delayed_discharge" in fc.initial.columns:
        hint = (
            f"; if they wait for a discharge pathway, give it in the census's pathway column "
            f"({', '.join(scn.discharge_pathways)}) and the forecast keeps them in its queue"
            if scn.discharge_pathways
            else ""
        )
        for r in fc.initial[fc.initial["delayed_discharge"] > 0].itertuples():
            err_console.print(
                f"[yellow]note:[/yellow] {r.unit}: {r.delayed_discharge:g} patients have been ready to "
                "leave for longer than the discharge rule holds anyone (delayed discharges); the "
                "forecast lets them leave by the rule from now" + hint
            )
    if nctr is not None:
        _print_nctr(fc, nctr, scn)
    out_console.print(f"forecast written to {out_dir}/")
