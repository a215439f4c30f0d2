"""Writing a results folder (CONTRACTS section 5), atomically.

Everything is written into a temporary sibling folder first and moved into place
with ``os.replace``; an existing folder of the same name is swapped out only after
the new one is complete, so a half-written folder never appears under the final name.

This is an I/O edge: it takes finished tables and writes them; it computes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import pandas as pd

from hospital_twin.experiment import RunResult
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


def write_results(result: RunResult, out_dir: str | Path, *, fmt: TableFormat = "parquet") -> Path:
    """Write ``summary.csv``, ``kpis.csv``, ``census.*``, ``adt_log.*``, ``scenario.yaml`` and ``run.json``."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        result.summary.to_csv(tmp / "summary.csv", index=False)
        result.kpis.to_csv(tmp / "kpis.csv", index=False)
        files = ["summary.csv", "kpis.csv"]
        if result.census is not None:
            census = result.census.copy()
            census.insert(3, "time", pd.Timestamp(result.scenario.start) + pd.to_timedelta(census["time_h"], unit="h"))
            census.insert(0, "scenario", result.name)
            files.append(_write_table(census, tmp / "census", fmt).name)
        if result.adt_log is not None:
            files.append(_write_table(result.adt_log, tmp / "adt_log", fmt).name)
        (tmp / "scenario.yaml").write_text(dump_scenario(result.scenario), encoding="utf-8")
        files.append("scenario.yaml")
        run = dict(result.provenance)
        run["files"] = files + ["run.json"]
        (tmp / "run.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
