"""The sitrep's NCTR per G&A bed as a calibration target (``calibrate --nctr-target``).

A target is a number (NCTR patients per G&A bed, e.g. 0.26) or an NHS trust code looked up in NHS England's
acute discharge situation report (``england_trust_criteria_to_reside.csv.gz``: trust, date,
``do_not_meet_criteria_to_reside``) and the bed sitrep (``england_critical_general_acute_beds.csv.gz``: trust,
month as "April 2022", ``general_acute_beds_available``), both in the folder described by its ``SOURCE.md``
(``../shared/data/nhs-england-aggregates`` beside the repository by default). The trust's figure is the median
over the file's dates of its daily count over its G&A beds available that month; days reported as zero and
months without beds are left out (non-reporting, as SOURCE.md advises).

An I/O edge like :mod:`~hospital_twin.calibration.adt`: reads the two files, prints nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

__all__ = ["CTR_FILE", "BEDS_FILE", "SITREP_DIR", "nctr_target", "trust_nctr_per_bed"]

CTR_FILE = "england_trust_criteria_to_reside.csv.gz"
BEDS_FILE = "england_critical_general_acute_beds.csv.gz"
SITREP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nhs-england-aggregates"
"""Where the NHS England aggregates sit beside the repository (``../shared/data/nhs-england-aggregates``)."""


def trust_nctr_per_bed(code: str, folder: str | Path = SITREP_DIR) -> tuple[float, str]:
    """``(median NCTR per G&A bed, where it comes from)`` of trust ``code``; ValueError when the files are not
    there or the trust has no day with both figures."""
    folder = Path(folder)
    ctr_path, beds_path = folder / CTR_FILE, folder / BEDS_FILE
    for p in (ctr_path, beds_path):
        if not p.is_file():
            raise ValueError(f"--nctr-target {code}: {p} not found (give the folder with --sitrep-data)")
    key = code.strip().upper()
    ctr = pd.read_csv(ctr_path, dtype={"nhs_trust22_code": "string"})
    ctr = ctr[ctr["nhs_trust22_code"].str.upper() == key]
    if not len(ctr):
        raise ValueError(
            f"--nctr-target {code}: no trust '{key}' in {CTR_FILE} (give an NHS trust code such as RAJ, or a number "
            "of NCTR patients per G&A bed such as 0.26)"
        )
    beds = pd.read_csv(beds_path, dtype={"nhs_trust22_code": "string"})
    beds = beds[beds["nhs_trust22_code"].str.upper() == key]
    beds = beds.assign(month=pd.to_datetime(beds["date"], format="%B %Y").dt.to_period("M"))
    beds = beds[beds["general_acute_beds_available"] > 0][["month", "general_acute_beds_available"]]
    ctr = ctr.assign(day=pd.to_datetime(ctr["date"]))
    ctr = ctr[ctr["do_not_meet_criteria_to_reside"] > 0].assign(month=lambda d: d["day"].dt.to_period("M"))
    both = ctr.merge(beds, on="month", how="inner")
    if not len(both):
        raise ValueError(f"--nctr-target {code}: trust '{key}' has no day with both an NCTR count and G&A beds")
    ratio = both["do_not_meet_criteria_to_reside"] / both["general_acute_beds_available"]
    value = float(ratio.median())
    where = (
        f"trust {key}: median over {len(both)} days {both['day'].min():%Y-%m-%d} to {both['day'].max():%Y-%m-%d} "
        f"of the NCTR count over the month's G&A beds available (NHS England acute discharge and bed sitreps, "
        f"{CTR_FILE}, {BEDS_FILE}; OGL v3.0)"
    )
    return value, where


def nctr_target(text: str, folder: str | Path = SITREP_DIR) -> tuple[float, str]:
    """``--nctr-target``: a number of NCTR patients per bed, or a trust code (:func:`trust_nctr_per_bed`)."""
    try:
        value = float(text)
    except ValueError:
        return trust_nctr_per_bed(text, folder)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"--nctr-target {text}: expected a number of NCTR patients per bed >= 0, or a trust code")
    return value, "given with --nctr-target"
