"""How fast does ``calibration.read_adt`` read a large canonical ADT log, and how long does calibrating it take?

Writes a synthetic log (patients with back-to-back stays in five units, ISO 8601 time
stamps, every contract column) as CSV and Parquet into a temporary folder, then times
``read_adt`` on each, best of ``--repeats``. ``--bad-share`` replaces that share of rows
with bad ones (duplicates, overlaps, unparseable or missing times) so the reject paths
are timed too. Then times ``calibration.fit.calibrate`` on the stays read from the CSV
(best of ``--repeats``) and prints the ratio calibrate / read (CSV) measured in the
same run; ``--no-calibrate`` skips it. Usage::

    .venv/bin/python benchmarks/bench_read_adt.py                    # 1,000,000 rows
    .venv/bin/python benchmarks/bench_read_adt.py --rows 200000 --repeats 1 --bad-share 0.05
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hospital_twin.calibration import read_adt
from hospital_twin.calibration.fit import calibrate


def synthetic_log(n: int, bad_share: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_pat = max(1, n // 4)
    pid = np.sort(rng.integers(0, n_pat, n))
    dur_h = rng.exponential(48.0, n)
    first = np.r_[True, pid[1:] != pid[:-1]]
    cum = np.cumsum(dur_h)
    offset = cum - dur_h - np.maximum.accumulate(np.where(first, cum - dur_h, 0.0))
    base_h = rng.uniform(0, 365 * 24, n_pat)[pid]
    t0 = pd.Timestamp("2024-01-01")
    start = (t0 + pd.to_timedelta(base_h + offset, unit="h")).floor("s")
    last = np.r_[pid[1:] != pid[:-1], True]
    end = pd.DatetimeIndex(np.where(last, start + pd.to_timedelta(dur_h, unit="h"), np.r_[start[1:], start[:1]]))
    end = end.floor("s")  # back to back: a stay ends when the patient's next one starts
    units = np.array(["ED", "ICU", "HDU", "WARD_A", "WARD_B"])
    fmt = "%Y-%m-%dT%H:%M:%S"
    df = pd.DataFrame(
        {
            "patient_id": pd.Series(pid).map("p{}".format),
            "unit": units[rng.integers(0, len(units), n)],
            "start": start.strftime(fmt),
            "end": end.strftime(fmt),
            "encounter_id": pd.Series(pid).map("e{}".format),
            "patient_class": "emergency",
            "arrival_source": "ed",
            "discharge_destination": np.where(last, "home", ""),
            "ready_at": start.strftime(fmt),
        }
    )
    k = int(n * bad_share)
    if k:
        idx = rng.choice(np.arange(1, n), size=k, replace=False)
        kind = rng.integers(0, 4, k)
        src = df.iloc[idx - 1].reset_index(drop=True)
        bad = df.iloc[idx].reset_index(drop=True).copy()
        dup = kind == 0  # an exact copy of the previous row
        bad.loc[dup] = src.loc[dup].to_numpy()
        ovl = kind == 1  # the previous row's patient, starting inside its stay
        bad.loc[ovl, "patient_id"] = src.loc[ovl, "patient_id"].to_numpy()
        for c in ("start", "end", "ready_at"):
            bad.loc[ovl, c] = src.loc[ovl, c].to_numpy()
        bad.loc[ovl, "unit"] = "OTHER"
        bad.loc[kind == 2, "start"] = "not a time"
        bad.loc[kind == 3, "end"] = "2024-99-99"
        df.iloc[idx] = bad.to_numpy()
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bad-share", type=float, default=0.0)
    ap.add_argument("--no-calibrate", action="store_true", help="time reading only")
    args = ap.parse_args()
    df = synthetic_log(args.rows, args.bad_share)
    read_s: dict[str, float] = {}
    stays = None
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv", ".parquet"):
            path = Path(tmp) / f"adt{suffix}"
            df.to_parquet(path, index=False) if suffix == ".parquet" else df.to_csv(path, index=False)
            times = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                r = read_adt(path)
                times.append(time.perf_counter() - t)
            read_s[suffix] = min(times)
            if suffix == ".csv":
                stays = r.stays
            mb = path.stat().st_size / 1e6
            print(
                f"{suffix:9s} {args.rows:>10,} rows {mb:7.1f} MB  best {min(times):6.2f} s  "
                f"read {r.read:,} used {r.used:,} rejected {r.rejected:,}"
            )
            for kind, reason, n in r.reason_counts().itertuples(index=False):
                print(f"{'':12s}{kind}: {reason}: {n:,}")
    if args.no_calibrate or stays is None:
        return
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        cal = calibrate(stays, source="synthetic benchmark log")
        times.append(time.perf_counter() - t)
    best = min(times)
    print(
        f"calibrate {len(stays):>10,} stays            best {best:6.2f} s  "
        f"({sum(len(s) for s in [cal.stays.units_])} units, {len(cal.arrivals.streams_)} arrival streams)"
    )
    print(f"ratio calibrate / read: {best / read_s['.csv']:.2f} (CSV), {best / read_s['.parquet']:.2f} (Parquet)")


if __name__ == "__main__":
    main()
