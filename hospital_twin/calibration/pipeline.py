"""From log files to a checked scenario: the calibration use cases the command line and the app share.

* :func:`calibrate_logs`: read each log (:func:`~hospital_twin.calibration.adt.read_log`) ->
  combine them -> refuse when no stay is usable (:class:`NoStaysError`) -> decide whether the
  dates are real (:func:`~hospital_twin.calibration.dates.check_dates`) -> fit
  (:func:`~hospital_twin.calibration.fit.calibrate`) -> render the YAML with its provenance
  (:func:`~hospital_twin.calibration.scenario_yaml.scenario_yaml`) -> validate that YAML as a
  scenario (:func:`~hospital_twin.scenario.io.load_scenario_text`) -> a :class:`CalibrationRun`.
* :func:`calibrate_simulated`: the event log of one simulated replication of a scenario,
  written as an ADT CSV and calibrated like any other log (the app's "simulated" source).
* :func:`backtest_log`: read one log -> refuse dates shifted per patient -> back-test
  (:func:`~hospital_twin.calibration.backtest.backtest`) -> a :class:`BacktestRun` with the
  scenario YAML of the back-test folder.

Errors the user must fix are raised as the package's exceptions and mapped by the caller (the
command line exits 2): :class:`~hospital_twin.calibration.adt.LogError` (a log cannot be
read), :class:`NoStaysError` and :class:`CalibrationError` (read, but nothing to fit or
compare; the message starts with the log(s)), :class:`~hospital_twin.scenario.errors.ScenarioError`
(the calibrated YAML does not validate, with file, line and field).

Owns the order of the steps and nothing else: it reads no file itself (``adt`` does), prints
nothing (``on_read``/``on_dates`` let the caller show progress between steps), parses no YAML
(``scenario.io`` does) and draws nothing (the HTML reports are ``reporting``'s, which this
package must not import).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hospital_twin.calibration.adt import AdtRead, LogError, combine_reads, read_log, write_adt_csv
from hospital_twin.calibration.backtest import Backtest, backtest
from hospital_twin.calibration.dates import DatesCheck, check_dates
from hospital_twin.calibration.fit import Calibration, calibrate
from hospital_twin.calibration.scenario_yaml import commented_yaml, scenario_yaml
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.live.census import read_requests, select_requests
from hospital_twin.scenario.io import load_scenario_text
from hospital_twin.scenario.schema import Scenario

__all__ = [
    "REQUESTS_STEM",
    "BacktestRun",
    "CalibrationError",
    "CalibrationRun",
    "NoStaysError",
    "backtest_log",
    "calibrate_logs",
    "calibrate_simulated",
    "simulated_log",
]

REQUESTS_STEM = "requests"
"""A results folder's requests for a bed that never got one sit beside ``adt_log.*`` as ``requests.*``."""

LogSpec = tuple[str | Path, str]
"""A log to read: its path and its format (``auto``, ``adt``, ``mimic-iv``, ``xes``; see ``adt.FORMATS``)."""


class CalibrationError(ValueError):
    """Logs that were read but cannot be calibrated or back-tested; ``where`` names the log(s)."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class NoStaysError(CalibrationError):
    """Every row of the log(s) was rejected or ignored: no stay to fit.

    ``reads`` holds the reads (each with its ``rejects``: row, reason, detail), so a caller can show why.
    """

    def __init__(self, where: str, reads: Sequence[AdtRead] = ()):
        super().__init__(where, "no usable stays (every row was rejected or ignored)")
        self.reads = tuple(reads)


@dataclass(frozen=True, eq=False)
class CalibrationRun:
    """Everything one calibration of log files made, in the order it was made."""

    reads: tuple[AdtRead, ...]
    """One read per log: stays, rejects with row and reason, ``read = used + rejected + ignored``, SHA-256."""
    stays: pd.DataFrame
    """The stays of every log, one after another (what was fitted)."""
    rejects: pd.DataFrame
    """Every row not used, with its log in the first column ``source``."""
    dates: DatesCheck
    calibration: Calibration
    yaml: str
    """The scenario YAML with every provenance comment on top (what a user saves)."""
    scenario: Scenario
    """``yaml`` loaded back and validated."""
    requests: tuple[Path, ...] = ()
    """The requests tables read (requests that never got a bed, counted as arrivals)."""


def requests_beside(log: str | Path) -> Path | None:
    """The ``requests.*`` file beside a results folder's ``adt_log.*`` (same suffix), if there is one."""
    p = Path(log)
    name = p.name
    if not name.lower().startswith("adt_log."):
        return None
    sibling = p.with_name(REQUESTS_STEM + name[len("adt_log") :])
    return sibling if sibling.is_file() else None


def _requests_of(
    paths: Sequence[str | Path], reads: Sequence[AdtRead], scenario: str | None, where: str
) -> pd.DataFrame | None:
    """The requests tables at ``paths`` for the scenario and replication the logs were read for.

    Raises :class:`~hospital_twin.live.census.CensusError` (a ScenarioError: file, line, field) for a
    table that cannot be read, :class:`CalibrationError` for one holding several replications when the
    log does not say which.
    """
    if not paths:
        return None
    reps = {r.selection["rep"] for r in reads if "rep" in r.selection}
    if not reps:
        for r in reads:
            if "rep" in r.stays.columns:
                reps |= set(r.stays["rep"].astype("string").str.strip().dropna().unique().tolist())
    rep = next(iter(reps)) if len(reps) == 1 else None
    frames = []
    for path in paths:
        try:
            frames.append(select_requests(read_requests(path), scenario=scenario, rep=rep))
        except ValueError as exc:  # CensusError is a ScenarioError, not a ValueError: it passes through
            raise CalibrationError(f"{where} (requests {path})", str(exc)) from exc
    return pd.concat(frames, ignore_index=True)


def calibrate_logs(
    logs: Sequence[LogSpec],
    *,
    dates_shifted: bool | None = None,
    name: str | None = None,
    sources: Sequence[str] | None = None,
    horizon_days: float = 364,
    replications: int = 10,
    seed: int = 0,
    capacity: Mapping[str, int] | None = None,
    group_units: bool = True,
    yaml_name: str = "calibrated.yaml",
    on_read: Callable[[Sequence[AdtRead]], None] | None = None,
    on_dates: Callable[[DatesCheck], None] | None = None,
    rep: int | None = None,
    scenario: str | None = None,
    requests: Sequence[str | Path] | None = None,
    pathway_labels: Mapping[str, str] | None = None,
    nctr_target: tuple[float, str] | None = None,
    names: Sequence[str] | None = None,
) -> CalibrationRun:
    """Read ``logs``, fit a scenario to them and check that the scenario YAML validates.

    Parameters
    ----------
    logs : (path, format) per log; several logs are fitted together.
    dates_shifted : the user's word on whether dates are shifted per patient (None: decided from the
        readers and the data, :func:`~hospital_twin.calibration.dates.check_dates`).
    name : the scenario's name (default: "Calibrated from" the logs' file names).
    sources : the provenance's ``Source:`` lines (default: each log's path and SHA-256).
    horizon_days, replications, seed : of the written scenario; ``seed`` also seeds the fits' random steps.
    capacity : beds per unit, when known (units missing from it are estimated or defaulted).
    group_units : MIMIC-IV careunits grouped into ED/ICU/WARD/... (else kept as they are).
    yaml_name : the name the YAML is validated under (its errors name it).
    on_read, on_dates : called with the reads, and with the dates decision, as soon as each is known
        (before the fit, which takes longest).
    rep, scenario : the replication and scenario to fit from a log that stacks several (a results folder's
        ``adt_log.*``: its ``rep`` and ``scenario`` columns); such a log with none chosen is refused
        (:class:`~hospital_twin.calibration.adt.MixedLogError`); the other rows are set aside, not rejected.
    requests : requests tables (``requests.*`` of a results folder) whose requests that never got a bed
        (cancelled, rejected, still waiting) count as arrivals; None: none. Rows of other replications or
        scenarios are left out as for the log.
    pathway_labels : destination label -> discharge pathway (or P0), besides labels spelling P1..P3
        (:func:`~hospital_twin.calibration.fit_pathways.parse_pathway_labels` reads ``LABEL=NAME`` items).
    nctr_target : (NCTR patients per inpatient bed, its source): the fitted pathways are checked against it
        (``calibration.nctr``, in the YAML's provenance); nothing fitted changes.
    names : what each log is called in error messages instead of its path (the app passes the uploaded file's
        own name: its copy on disk has a name of its own).

    Raises :class:`~hospital_twin.calibration.adt.LogError`, :class:`NoStaysError`,
    :class:`CalibrationError` (the fit refused the stays), :class:`~hospital_twin.scenario.errors.ScenarioError`.
    """
    if not logs:
        raise ValueError("calibrate_logs needs at least one log")
    shown = [str(n) for n in names] if names is not None else [str(path) for path, _ in logs]
    if len(shown) != len(logs):
        raise ValueError(f"calibrate_logs: {len(logs)} logs but {len(shown)} names")
    where = ", ".join(shown)
    read_list = []
    for (path, fmt), called in zip(logs, shown, strict=True):
        try:
            read_list.append(read_log(path, fmt, group_units=group_units, rep=rep, scenario=scenario))
        except LogError as exc:
            if names is not None:
                _call_it(exc, path, called)
            raise
    reads = tuple(read_list)
    if on_read is not None:
        on_read(reads)
    stays, rejects = combine_reads(reads)
    if not len(stays):
        raise NoStaysError(where, reads)
    unmet = _requests_of(list(requests or []), reads, scenario, where)
    dates = check_dates(stays, reader_says=any(r.dates_shifted for r in reads), flag=dates_shifted)
    if on_dates is not None:
        on_dates(dates)
    src = list(sources) if sources is not None else [f"{r.source} (sha256 {r.sha256})" for r in reads]
    scn_name = name or f"Calibrated from {', '.join(Path(r.source).name for r in reads)}"
    try:
        cal = calibrate(
            stays,
            capacity=capacity,
            dates_shifted=dates.shifted,
            name=scn_name,
            source=src,
            random_state=seed,
            requests=unmet,
            pathway_labels=pathway_labels,
            nctr_target=nctr_target,
        )
    except ValueError as exc:
        raise CalibrationError(where, str(exc)) from exc
    text = scenario_yaml(cal, reads, dates, horizon_days=horizon_days, replications=replications, seed=seed)
    checked = load_scenario_text(text, name=yaml_name)  # what is written must load (a ScenarioError if not)
    return CalibrationRun(
        reads=reads,
        stays=stays,
        rejects=rejects,
        dates=dates,
        calibration=cal,
        yaml=text,
        scenario=checked,
        requests=tuple(Path(p) for p in requests or []),
    )


def _call_it(exc: LogError, path: str | Path, name: str) -> None:
    """Name the log ``name`` in ``exc``'s message wherever the message names it by its path or file name."""
    text = str(exc)
    for said in dict.fromkeys((str(path), str(Path(path)), Path(path).name)):
        if said:
            text = text.replace(said, name)
    exc.args = (text, *exc.args[1:])


def simulated_log(scenario: Scenario, seed: int | None = None) -> pd.DataFrame:
    """The event log of one replication of ``scenario`` (seed: the scenario's), in the ADT schema.

    The simulator's own columns (``rep``, ``seen_at``) are dropped, so the log holds what a hospital's ADT
    system would; ``ready_to_leave`` is kept only on the stays of patients on a discharge pathway (their
    medically-ready time, which a hospital records for delayed discharges) and dropped without pathways.
    """
    run = run_scenario(scenario, replications=1, seed=scenario.seed if seed is None else seed, keep_census=False)
    log = run.adt_log
    drop = ["rep", "seen_at"]
    if "ready_to_leave" in log.columns:
        on_pathway = log["discharge_destination"].isin(list(scenario.discharge_pathways)).fillna(False)
        if scenario.discharge_pathways and bool(on_pathway.any()):
            log = log.assign(ready_to_leave=log["ready_to_leave"].where(on_pathway.to_numpy(bool)))
        else:
            drop.append("ready_to_leave")
    return log.drop(columns=[c for c in drop if c in log.columns])


def calibrate_simulated(
    scenario: Scenario,
    folder: str | Path,
    *,
    seed: int | None = None,
    dates_shifted: bool | None = None,
    name: str | None = None,
    sources: Sequence[str] | None = None,
    horizon_days: float = 364,
    replications: int = 10,
    capacity: Mapping[str, int] | None = None,
    yaml_name: str = "calibrated.yaml",
    on_read: Callable[[Sequence[AdtRead]], None] | None = None,
    on_dates: Callable[[DatesCheck], None] | None = None,
    pathway_labels: Mapping[str, str] | None = None,
    nctr_target: tuple[float, str] | None = None,
) -> CalibrationRun:
    """Calibrate the event log of one simulated replication of ``scenario``.

    The log (:func:`simulated_log`, ``seed`` default the scenario's) is written to
    ``folder/simulated_log.csv`` and read back like any uploaded log, then :func:`calibrate_logs`
    runs on it with the other arguments (the written scenario's seed is 0, as for any log).
    """
    path = write_adt_csv(simulated_log(scenario, seed), Path(folder) / "simulated_log.csv")
    return calibrate_logs(
        [(path, "adt")],
        dates_shifted=dates_shifted,
        name=name,
        sources=sources,
        horizon_days=horizon_days,
        replications=replications,
        capacity=capacity,
        yaml_name=yaml_name,
        on_read=on_read,
        on_dates=on_dates,
        pathway_labels=pathway_labels,
        nctr_target=nctr_target,
    )


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """One back-test of a log file."""

    read: AdtRead
    dates: DatesCheck
    backtest: Backtest
    yaml: str
    """The scenario calibrated on the training part, with its fit provenance on top (``scenario.yaml``)."""


def backtest_log(
    log: str | Path,
    train_until: Any,
    *,
    fmt: str = "auto",
    test_days: int | None = None,
    replications: int = 30,
    seed: int = 0,
    capacity: Mapping[str, int] | None = None,
    workers: int = 1,
    on_read: Callable[[Sequence[AdtRead]], None] | None = None,
    rep: int | None = None,
    scenario: str | None = None,
) -> BacktestRun:
    """Read ``log``, calibrate on the stays before ``train_until`` and compare what came next
    (:func:`~hospital_twin.calibration.backtest.backtest`).

    A log whose dates are shifted per patient has no calendar to compare occupancy over:
    :class:`CalibrationError`, as is a cut that leaves too little to train or test on.
    Raises :class:`~hospital_twin.calibration.adt.LogError` for a log that cannot be read
    (:class:`~hospital_twin.calibration.adt.MixedLogError` for several replications or scenarios
    and ``rep``/``scenario`` not given).
    """
    r = read_log(log, fmt, rep=rep, scenario=scenario)
    if on_read is not None:
        on_read([r])
    dates = check_dates(r.stays, reader_says=r.dates_shifted)
    if dates.shifted:
        raise CalibrationError(
            str(log),
            f"{dates.sentence()} A back-test compares occupancy over calendar time, which such a log does not have.",
        )
    try:
        bt = backtest(
            r.stays,
            train_until,
            test_days=test_days,
            replications=replications,
            seed=seed,
            capacity=capacity,
            source=f"{r.source} (sha256 {r.sha256})",
            workers=workers,
        )
    except ValueError as exc:
        raise CalibrationError(str(log), str(exc)) from exc
    return BacktestRun(read=r, dates=dates, backtest=bt, yaml=commented_yaml(bt.calibration, bt.scenario))
