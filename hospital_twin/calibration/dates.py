"""Are the dates of a log real? Detecting dates shifted per patient.

De-identified logs move each patient's dates by a secret offset (MIMIC: into the years
2110-2201; the 4TU Sepsis log: randomised per case). Intervals inside a patient stay
real, so stay lengths, routes and the clock hour (often) can still be fitted; but dates
of different patients no longer line up, so concurrency (occupancy, beds), arrival
rates per day and seasonality measured from such a log mean nothing.

How it is decided (:func:`check_dates`), in this order:

1. ``flag``: the user says so (``--dates-shifted`` / ``--no-dates-shifted``); the
   evidence below is still computed and a disagreement is noted.
2. The reader knows its source: :func:`~hospital_twin.calibration.adt.read_mimic_iv` and
   the Sepsis XES mapping set ``AdtRead.dates_shifted`` from the sources' documentation.
3. The data, by two tests that a real extract cannot fail:

   * **implausible calendar**: a time stamp after ``now + 25 years`` or before 1900
     (MIMIC's shifted years 2110-2201); a simulated log starts near today and runs at
     most a few decades, so it passes;
   * **too thin to be a hospital**: the log spans at least a year and its mean census
     (total stay hours over the span's hours, Little's law: the time-average number of
     patients present) is below one. A hospital whose extract covers a year or more
     always holds someone; per-patient shifts scatter a few hundred patients over
     decades, and the mean census falls far below one (MIMIC-IV demo: about 0.02).

A per-case randomisation that keeps all dates inside a plausible window (the Sepsis
log: 1,050 cases over 19 months, mean census about 8) cannot be told from real dates by
any test on one log: there the reader's knowledge (2) or the flag (1) decides. That
limit is stated, not hidden.

Pure: a DataFrame in, a :class:`DatesCheck` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DatesCheck", "check_dates", "FUTURE_YEARS", "MIN_SPAN_DAYS", "MIN_MEAN_CENSUS"]

FUTURE_YEARS = 25
"""A time stamp more than this many years after today is implausible in a real log."""
MIN_SPAN_DAYS = 365.0
"""The thinness test applies to logs spanning at least this many days."""
MIN_MEAN_CENSUS = 1.0
"""A log spanning a year or more with a mean census below this is not a real hospital's."""


@dataclass(frozen=True)
class DatesCheck:
    """Whether the dates are shifted per patient, who decided, and the evidence.

    ``decided_by``: ``flag``, ``reader``, ``data`` or ``none`` (dates taken as real).
    ``span_days``: first start to last time stamp. ``mean_census``: total stay hours
    over the span (open stays counted to the end of the span). ``years``: first and last
    calendar year seen.
    """

    shifted: bool
    decided_by: str
    reasons: list[str] = field(default_factory=list)
    span_days: float = math.nan
    mean_census: float = math.nan
    years: tuple[int, int] | None = None
    data_says_shifted: bool = False

    def sentence(self) -> str:
        """One plain sentence for a report or a CLI line."""
        if not self.shifted:
            extra = f" ({'; '.join(self.reasons)})" if self.reasons else ""
            return (
                "Dates are taken as real: concurrency, arrival rates and occupancy are estimated from the log"
                + extra
                + "."
            )
        who = {"flag": "(set by the user)", "reader": "(as the source documents)", "data": "(as the data show)"}.get(
            self.decided_by, ""
        )
        said = ("set by the user", "the source documents per-patient date shifts")
        why = "; ".join(r for r in self.reasons if r not in said)
        return (
            f"Dates are SHIFTED PER PATIENT {who}{': ' + why if why else ''}. Stay lengths and routes are real; "
            "occupancy, beds and arrival rates per day cannot be measured from this log and are stated defaults."
        )


def check_dates(
    stays: pd.DataFrame,
    *,
    reader_says: bool = False,
    flag: bool | None = None,
    today: pd.Timestamp | None = None,
) -> DatesCheck:
    """Decide whether ``stays`` (``start``, ``end``; docs/schemas.md, section 1) has dates shifted per patient.

    See the module docstring for the rules. ``reader_says``: the reader's
    ``AdtRead.dates_shifted``; ``flag``: the user's choice (None = decide).
    """
    today = pd.Timestamp.now() if today is None else pd.Timestamp(today)
    start = pd.to_datetime(stays["start"], errors="coerce")
    end = pd.to_datetime(stays["end"], errors="coerce")
    if getattr(start.dt, "tz", None) is not None:
        start = start.dt.tz_localize(None)
    if getattr(end.dt, "tz", None) is not None:
        end = end.dt.tz_localize(None)
    ok = start.notna().to_numpy()
    data_reasons: list[str] = []
    span_days = mean_census = math.nan
    years = None
    if ok.any():
        s = start[ok]
        e = end[ok]
        t0 = s.min()
        t1 = max(s.max(), e.max() if e.notna().any() else s.max())
        years = (int(t0.year), int(t1.year))
        span_h = (t1 - t0) / pd.Timedelta(hours=1)
        span_days = span_h / 24
        stay_h = ((e.fillna(t1) - s) / pd.Timedelta(hours=1)).clip(lower=0).to_numpy(dtype=float)
        mean_census = float(np.sum(stay_h) / span_h) if span_h > 0 else math.nan
        latest_ok = today.year + FUTURE_YEARS
        if t1.year > latest_ok or t0.year < 1900:
            data_reasons.append(
                f"time stamps run from {t0.year} to {t1.year}, outside any real extract (1900 to {latest_ok})"
            )
        if span_days >= MIN_SPAN_DAYS and mean_census < MIN_MEAN_CENSUS:
            data_reasons.append(
                f"the log spans {span_days / 365.25:.1f} years but holds on average {mean_census:.3f} patients "
                "at a time "
                f"(below {MIN_MEAN_CENSUS:g}: stays are scattered in time, as per-patient shifts do)"
            )
    data_says = bool(data_reasons)
    common = {
        "span_days": float(span_days),
        "mean_census": float(mean_census),
        "years": years,
        "data_says_shifted": data_says,
    }
    if flag is not None:
        reasons = ["set by the user"]
        if flag and not data_says and not reader_says:
            reasons.append("the data alone would not have shown it")
        if not flag and (data_says or reader_says):
            reasons.append("OVERRIDING " + ("the source's documentation" if reader_says else "; ".join(data_reasons)))
        return DatesCheck(bool(flag), "flag", reasons, **common)
    if reader_says:
        return DatesCheck(True, "reader", ["the source documents per-patient date shifts"] + data_reasons, **common)
    if data_says:
        return DatesCheck(True, "data", data_reasons, **common)
    return DatesCheck(False, "none", [], **common)
