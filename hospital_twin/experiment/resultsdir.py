"""The results folder (CONTRACTS section 5), both ways: written atomically, read back.

Writing (:func:`write_results`): everything goes into a temporary sibling folder first and is
moved into place with ``os.replace``; an existing folder of the same name is swapped out only
after the new one is complete, so a half-written folder never appears under the final name.

Reading (:func:`load_results` -> :class:`ResultsFolder`): the scenarios (with the warm-up that
was used, from ``run.json``), provenance, ``summary.csv`` and ``comparison.csv``; the big tables
(census, event log) by path, read on demand. A folder that cannot be read raises
:class:`ResultsFolderError` (a user error: exit 2 in the CLI), with the file and what is wrong.

This module owns the folder's format; nothing else reads or writes its files by name. It is an
I/O edge: it takes finished tables and writes them, reads them back, and computes nothing
(no KPIs, no charts, no HTML: those are ``results`` and ``reporting``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from hospital_twin.atomic import atomic_folder
from hospital_twin.experiment.runner import RunResult
from hospital_twin.scenario.io import ScenarioError, dump_scenario, load_scenario
from hospital_twin.scenario.schema import Scenario

__all__ = ["write_results", "read_table", "ResultsFolder", "ResultsFolderError", "load_results"]

TableFormat = Literal["parquet", "csv"]
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _write_table(df: pd.DataFrame, path_stem: Path, fmt: TableFormat) -> Path:
    if fmt == "parquet":
        path = path_stem.with_suffix(".parquet")
        df.to_parquet(path, index=False)
    else:
        path = path_stem.with_suffix(".csv")
        df.to_csv(path, index=False, date_format=_TIME_FORMAT)
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written here (CSV or Parquet, by suffix)."""
    p = Path(path)
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)


def write_results(
    result: RunResult | list[RunResult],
    out_dir: str | Path,
    *,
    fmt: TableFormat = "parquet",
    comparison: pd.DataFrame | None = None,
    extra_json: dict | None = None,
) -> Path:
    """Write ``summary.csv``, ``kpis.csv``, ``census.*``, ``adt_log.*`` (with ``requests.*``: the requests
    for a bed that never got one, which a one-row-per-stay log cannot show), the scenario(s) and ``run.json``.

    Several results (a comparison) share one folder: their tables are stacked with a
    ``scenario`` column, each scenario's YAML is kept as ``scenario-<k>.yaml``, and
    ``comparison.csv`` holds the paired differences.
    """
    results = result if isinstance(result, list) else [result]
    out = Path(out_dir)
    with atomic_folder(out) as tmp:
        pd.concat([r.summary for r in results], ignore_index=True).to_csv(tmp / "summary.csv", index=False)
        pd.concat([r.kpis for r in results], ignore_index=True).to_csv(tmp / "kpis.csv", index=False)
        files = ["summary.csv", "kpis.csv"]
        if comparison is not None:
            from hospital_twin.experiment.comparison import rank_scenarios

            comparison.to_csv(tmp / "comparison.csv", index=False)
            rank_scenarios(comparison).to_csv(tmp / "ranking.csv", index=False)
            files += ["comparison.csv", "ranking.csv"]
        censuses = []
        logs = []
        requests = []
        for r in results:
            if r.census is not None:
                census = r.census.copy()
                census.insert(3, "time", pd.Timestamp(r.scenario.start) + pd.to_timedelta(census["time_h"], unit="h"))
                census.insert(0, "scenario", r.name)
                censuses.append(census)
            if r.adt_log is not None:
                log = r.adt_log
                if len(results) > 1:
                    log = log.assign(scenario=r.name)
                logs.append(log)
                if r.requests is not None:
                    requests.append(r.requests.assign(scenario=r.name) if len(results) > 1 else r.requests)
        if censuses:
            files.append(_write_table(pd.concat(censuses, ignore_index=True), tmp / "census", fmt).name)
        if logs:
            files.append(_write_table(pd.concat(logs, ignore_index=True), tmp / "adt_log", fmt).name)
        if requests:
            files.append(_write_table(pd.concat(requests, ignore_index=True), tmp / "requests", fmt).name)
        for k, r in enumerate(results):
            name = "scenario.yaml" if len(results) == 1 else f"scenario-{k}.yaml"
            (tmp / name).write_text(dump_scenario(r.scenario), encoding="utf-8")
            files.append(name)
        if len(results) == 1:
            run = dict(results[0].provenance)
        else:
            run = {"scenarios": [r.provenance for r in results]}
        run.update(extra_json or {})
        run["files"] = files + ["run.json"]
        (tmp / "run.json").write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------- reading
class ResultsFolderError(ValueError):
    """The folder is not a readable results folder (a user error, exit 2 in the CLI)."""


@dataclass
class ResultsFolder:
    """A results folder read back: scenarios, provenance and the small tables; big tables by path."""

    path: Path
    scenarios: list[Scenario]
    provenance: list[dict]
    run: dict
    summary: pd.DataFrame
    comparison: pd.DataFrame | None = None
    census_path: Path | None = None
    log_path: Path | None = None
    _log: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    @property
    def is_comparison(self) -> bool:
        return self.comparison is not None and len(self.scenarios) > 1

    @property
    def baseline(self) -> Scenario:
        return self.scenarios[0]

    def replications(self) -> int:
        n = self.run.get("replications")
        if n is None and self.provenance:
            n = self.provenance[0].get("replications")
        if n is None:
            n = int(self.summary["n_reps"].max()) if len(self.summary) else 0
        return int(n)

    def census(self) -> pd.DataFrame | None:
        if self.census_path is None:
            return None
        return _read(self.census_path, ["scenario", "rep", "unit", "time_h", "occupied"])

    def kpis(self) -> pd.DataFrame | None:
        """``kpis.csv`` (``scenario, rep, metric, unit, value``: each replication's measures), None without it."""
        p = self.path / "kpis.csv"
        return pd.read_csv(p) if p.is_file() else None

    def log(self) -> pd.DataFrame | None:
        """The event log's timing columns (``scenario, rep, unit, ready_at, start, end``), ``home_unit``
        when the log has it (runs with outlying), and ``ready_to_leave, discharge_destination`` when a
        scenario has discharge pathways."""
        if self.log_path is None:
            return None
        if self._log is None:
            wanted = ["scenario", "rep", "unit", "ready_at", "start", "end", "home_unit"]
            if any(s.discharge_pathways for s in self.scenarios):
                wanted += ["ready_to_leave", "discharge_destination"]
            df = _read(self.log_path, wanted)
            if "scenario" not in df.columns:
                df["scenario"] = self.names[0]
            for col in ("ready_at", "start", "end", "ready_to_leave"):
                if col in df.columns and not pd.api.types.is_datetime64_any_dtype(df[col]):
                    df[col] = pd.to_datetime(df[col])
            df["unit"] = df["unit"].astype(str)
            self._log = df
        return self._log


def _read(path: Path, wanted: list[str]) -> pd.DataFrame:
    """The ``wanted`` columns that the table at ``path`` has (CSV or Parquet, by suffix)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        have = set(pq.read_schema(path).names)
        return pd.read_parquet(path, columns=[c for c in wanted if c in have])
    have = set(pd.read_csv(path, nrows=0).columns)
    return pd.read_csv(path, usecols=[c for c in wanted if c in have])


def _table_path(folder: Path, stem: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        p = folder / f"{stem}{suffix}"
        if p.exists():
            return p
    return None


def load_results(results_dir: str | Path) -> ResultsFolder:
    """Read a results folder's scenarios, ``run.json``, ``summary.csv`` and ``comparison.csv``."""
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ResultsFolderError(f"{folder}: no such results folder")
    if not (folder / "summary.csv").exists():
        raise ResultsFolderError(f"{folder}: not a results folder (no summary.csv); write one with `hospital-twin run`")
    files = sorted(folder.glob("scenario-*.yaml"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    if not files and (folder / "scenario.yaml").exists():
        files = [folder / "scenario.yaml"]
    if not files:
        raise ResultsFolderError(f"{folder}: no scenario.yaml or scenario-<k>.yaml in the results folder")
    try:
        scenarios = [load_scenario(f) for f in files]
    except ScenarioError as exc:
        raise ResultsFolderError(f"{folder}: cannot read the scenario: {exc}") from None
    run: dict = {}
    if (folder / "run.json").exists():
        try:
            run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ResultsFolderError(f"{folder / 'run.json'}: not valid JSON ({exc})") from None
    provenance = run.get("scenarios") or [run]
    provenance = list(provenance) + [{}] * (len(scenarios) - len(provenance))
    # A warm-up chosen at run time ('auto') is in run.json; the charts need it as a number.
    for k, (s, prov) in enumerate(zip(scenarios, provenance, strict=False)):
        warm = prov.get("warmup_days") if isinstance(prov, dict) else None
        if isinstance(warm, int | float) and not isinstance(warm, bool) and s.warmup_days != warm:
            scenarios[k] = s.model_copy(update={"warmup_days": float(warm)})
        if isinstance(scenarios[k].warmup_days, str):
            raise ResultsFolderError(
                f"{folder}: the warm-up of '{s.name}' is '{s.warmup_days}' and run.json does not say which was used"
            )
    try:
        summary = pd.read_csv(folder / "summary.csv")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ResultsFolderError(f"{folder / 'summary.csv'}: cannot read ({exc})") from None
    missing = {"scenario", "metric", "unit", "mean", "ci_low", "ci_high", "n_reps"} - set(summary.columns)
    if missing:
        raise ResultsFolderError(f"{folder / 'summary.csv'}: missing columns {', '.join(sorted(missing))}")
    comparison = None
    if (folder / "comparison.csv").exists():
        comparison = pd.read_csv(folder / "comparison.csv")
    return ResultsFolder(
        path=folder,
        scenarios=scenarios,
        provenance=provenance[: len(scenarios)],
        run=run,
        summary=summary,
        comparison=comparison,
        census_path=_table_path(folder, "census"),
        log_path=_table_path(folder, "adt_log"),
    )
