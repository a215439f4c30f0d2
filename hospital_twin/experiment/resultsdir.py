"""Writing a results folder (CONTRACTS section 5), atomically.

Everything is written into a temporary sibling folder first and moved into place
with ``os.replace``; an existing folder of the same name is swapped out only after
the new one is complete, so a half-written folder never appears under the final name.

This is an I/O edge: it takes finished tables and writes them; it computes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd

from hospital_twin.atomic import atomic_folder
from hospital_twin.experiment.runner import RunResult
from hospital_twin.scenario.io import dump_scenario

__all__ = ["write_results", "read_table"]

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
