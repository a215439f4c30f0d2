"""Write the Calibrate page's sample log: one simulated year of a small hospital, as a gzipped ADT CSV.

The hospital is ``scenarios/logs/small_hospital.yaml`` (made up, fixed; not the baseline, whose figures change
as it is recalibrated). One replication of it, in the ADT schema of docs/schemas.md (the columns a hospital's
ADT system holds: ``patient_id, unit, start, end, encounter_id, patient_class, arrival_source,
discharge_destination, ready_at``), goes to ``scenarios/logs/small_hospital_2025.csv.gz``. The gzip header has
no time stamp or file name, so the same code and scenario give the same bytes.

Usage::

    python scripts/make_sample_log.py            # rewrites scenarios/logs/small_hospital_2025.csv.gz
    python scripts/make_sample_log.py --check    # exit 1 if the shipped file differs from a fresh one
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

from hospital_twin.calibration.pipeline import simulated_log
from hospital_twin.scenario import load_scenario

LOGS = Path(__file__).resolve().parents[1] / "scenarios" / "logs"
SCENARIO = LOGS / "small_hospital.yaml"
OUT = LOGS / "small_hospital_2025.csv.gz"


def sample_log_bytes(scenario: Path = SCENARIO) -> bytes:
    """The gzipped CSV of one simulated replication of ``scenario`` (times to the second, no gzip time stamp)."""
    log = simulated_log(load_scenario(scenario))
    text = log.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S", lineterminator="\n")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing it")
    args = ap.parse_args(argv)
    data = sample_log_bytes()
    if args.check:
        same = OUT.is_file() and OUT.read_bytes() == data
        print(f"{OUT.name}: {'up to date' if same else 'differs from a fresh simulation'}")
        return 0 if same else 1
    OUT.write_bytes(data)
    rows = gzip.decompress(data).count(b"\n") - 1
    print(f"wrote {OUT} ({rows:,} stays, {len(data) / 1024:,.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
