"""The read/calibrate benchmark script runs on a small log and reports both timings and their ratio (never checks time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_read_adt_smoke_reports_read_calibrate_and_ratio():
    """--rows 4000 with 2% bad rows: both formats read, the rejects counted, calibrate timed, the ratio printed."""
    res = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_read_adt.py"),
            "--rows",
            "4000",
            "--repeats",
            "1",
            "--bad-share",
            "0.02",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert ".csv" in out and ".parquet" in out and "rejected 80" in out
    assert "calibrate" in out and "ratio calibrate / read:" in out
