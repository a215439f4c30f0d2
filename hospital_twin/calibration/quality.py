"""How good a calibration is, in words a manager can act on, and the rows not used as the user's file counts them.

:func:`fit_quality` grades a :class:`~hospital_twin.calibration.fit.Calibration` ``good``, ``usable`` or
``poor`` and says why, from what the fits already hold (no new fitting):

* the log as a whole: how many patients it holds (fewer than :data:`MIN_PATIENTS` is ``poor``, fewer than
  :data:`GOOD_PATIENTS` ``usable``), how many days it covers (fewer than :data:`MIN_DAYS` is ``poor``, fewer
  than :data:`GOOD_DAYS` ``usable``), and whether the dates are shifted per patient (``poor``: arrival rates
  and bed numbers are then assumptions, not measurements);
* the length of stay of each unit (and class with its own): too few finished stays (fewer than
  :data:`MIN_FINISHED_STAYS` is ``poor``, fewer than :data:`GOOD_FINISHED_STAYS` ``usable``), heavy censoring
  (more than :data:`POOR_OPEN_SHARE` of the stays still open when the log ends is ``poor``, more than
  :data:`GOOD_OPEN_SHARE` ``usable``), and whether the best distribution passed the fit test (the KS test of
  :mod:`~hospital_twin.calibration.fit_stays`; if not, the observed stays are used as they are, ``usable``);
* the beds of each unit estimated from the log (the most patients at once): ``good`` when patients waited for a
  bed there over an hour from a moment it held at least its peak minus one patients (so it was full at times),
  ``usable`` otherwise (short waits or waits while beds were free are admin lag; it may have more beds than the
  log shows);
* each arrival stream: fewer than :data:`GOOD_STREAM_ARRIVALS` arrivals is ``usable`` (its rate is rough).

The grade of the calibration is the worst grade of its parts; :attr:`FitQuality.usable` (good or usable) is
what the app asks before it offers the scenario for use. :data:`DETAIL_NOTES` explains, in one line each, the
statistics shown to analysts (AIC, Kaplan-Meier, D, p-value).

:func:`rows_in_file` numbers the rejected rows as the user's own file does: a CSV's header is its row 1, so
data row N of the reader (:mod:`~hospital_twin.calibration.adt`, header not counted) is row N + 1, as a
spreadsheet or a text editor shows it. :func:`rejected_rows_text` lists them in words for an error message.

Pure: a Calibration and DataFrames in, a :class:`FitQuality` and DataFrames out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from hospital_twin.calibration.fit import Calibration
from hospital_twin.calibration.fit_beds import FULL_WAIT_MIN_H
from hospital_twin.calibration.fit_stays import StayEstimate

__all__ = [
    "DETAIL_NOTES",
    "GOOD_DAYS",
    "GOOD_FINISHED_STAYS",
    "GOOD_OPEN_SHARE",
    "GOOD_PATIENTS",
    "GOOD_STREAM_ARRIVALS",
    "LEVELS",
    "MIN_DAYS",
    "MIN_FINISHED_STAYS",
    "MIN_PATIENTS",
    "POOR_OPEN_SHARE",
    "SENTENCE_REASONS",
    "FitQuality",
    "PartQuality",
    "beds_quality",
    "fit_quality",
    "rejected_rows_text",
    "rejects_in_words",
    "rows_in_file",
    "stay_quality",
    "with_file_row",
]

LEVELS = ("good", "usable", "poor")
"""Grades from best to worst."""
MIN_PATIENTS = 100
"""Fewer patients than this in the log: ``poor`` (a year of a small hospital has thousands)."""
GOOD_PATIENTS = 1000
"""Fewer patients than this: ``usable`` at best."""
MIN_DAYS = 14
"""A log covering fewer days than this: ``poor`` (a weekly pattern is seen at most once)."""
GOOD_DAYS = 91
"""A log covering fewer days than this (three months): ``usable`` at best (no seasonal change is seen)."""
MIN_FINISHED_STAYS = 10
"""Fewer finished stays than this in a unit: ``poor`` (below it only an exponential is fitted: no shape)."""
GOOD_FINISHED_STAYS = 100
"""Fewer finished stays than this in a unit: ``usable`` at best."""
GOOD_OPEN_SHARE = 0.2
"""More than this share of a unit's stays still open when the log ends: ``usable`` at best."""
POOR_OPEN_SHARE = 0.5
"""More than this share still open: ``poor`` (the long stays are guesses)."""
GOOD_STREAM_ARRIVALS = 30
"""An arrival stream with fewer arrivals than this: ``usable`` at best (its rate is rough)."""

SENTENCE_REASONS = 3
"""Reasons spelled out in :meth:`FitQuality.sentence`; the rest are counted (every one is in the table)."""
FAMILY_NAMES = {"exponential": "exponential", "lognormal": "lognormal", "gamma": "gamma", "weibull": "Weibull"}

DETAIL_NOTES: dict[str, str] = {
    "AIC": "Akaike information criterion: how well a distribution explains the stays, with a penalty for each "
    "parameter; the smallest wins.",
    "Kaplan-Meier": "the observed length-of-stay curve (and its mean), counting the stays still open when the log "
    "ends for as long as they were seen.",
    "D": "the largest gap between the fitted distribution and the Kaplan-Meier curve (0.05 = 5 patients in 100).",
    "p-value": "how often a gap as large as D would appear if the fitted distribution were right (the KS test); "
    "below 0.01 the fit is rejected and the observed stays are used as they are (empirical).",
}
"""One line per statistic of the analysts' details: what it is, in words."""


@dataclass(frozen=True)
class PartQuality:
    """The grade of one part of a calibration (the log, a unit's stay, an arrival stream) and why."""

    part: str
    """What is graded, in words: ``the log``, ``length of stay in MED``, ``arrivals 'ed_medical'``."""
    level: str
    """``good``, ``usable`` or ``poor``."""
    why: str
    """The reason in plain words (a number and what it means)."""


@dataclass(frozen=True)
class FitQuality:
    """The grade of a calibration: the worst of its parts, with every part's grade and reason."""

    level: str
    parts: tuple[PartQuality, ...]

    @property
    def usable(self) -> bool:
        """Good or usable: the scenario may be used (with its warnings read)."""
        return self.level != "poor"

    @property
    def reasons(self) -> list[str]:
        """The reasons of the parts that set the grade (those at the worst level), in order."""
        return [p.why for p in self.parts if p.level == self.level]

    def sentence(self) -> str:
        """One line: the grade and the reasons behind it."""
        head = {
            "good": "Fit quality: good. The fits can be used as a scenario.",
            "usable": "Fit quality: usable, with care.",
            "poor": "Fit quality: poor. Do not use this scenario for decisions.",
        }[self.level]
        if self.level == "good":
            log = next((p.why for p in self.parts if p.part == "the log"), "")
            return head + (
                f" {_capital(log)}; every unit's length of stay fits a standard distribution." if log else ""
            )
        reasons = self.reasons
        text = head + " " + " ".join(_capital(r) + "." for r in reasons[:SENTENCE_REASONS])
        if len(reasons) > SENTENCE_REASONS:
            more = len(reasons) - SENTENCE_REASONS
            text += f" And {more} more {'reason' if more == 1 else 'reasons'}, part by part, in the table."
        return text

    def table(self) -> pd.DataFrame:
        """``part, quality, why``: one row per part graded."""
        return pd.DataFrame(
            [{"part": p.part, "quality": p.level, "why": p.why} for p in self.parts],
            columns=["part", "quality", "why"],
        )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVELS.index, default="good")


def _stays(n: int) -> str:
    return f"{n:,} finished stay" + ("" if n == 1 else "s")


def _days(hours: float) -> str:
    return f"{hours / 24:.1f} days" if math.isfinite(hours) else "unknown"


def stay_quality(est: StayEstimate, part: str | None = None) -> PartQuality:
    """The grade of one unit's (and class's) length of stay, from its fit and its evidence."""
    where = est.unit + (f" ({est.patient_class})" if est.patient_class else "")
    part = part or f"length of stay in {where}"
    finished = int(est.n - est.n_censored)
    open_share = est.n_censored / est.n if est.n else 0.0
    if finished == 0:
        return PartQuality(part, "poor", f"every stay in {where} was still open when the log ends: no stay length seen")
    if finished < MIN_FINISHED_STAYS:
        return PartQuality(part, "poor", f"only {_stays(finished)} in {where}: too few to know how long patients stay")
    if open_share > POOR_OPEN_SHARE:
        return PartQuality(
            part,
            "poor",
            f"heavy censoring: {open_share:.0%} of the stays in {where} had not ended when the log stops, "
            "so the long stays are guesses",
        )
    problems: list[str] = []
    if finished < GOOD_FINISHED_STAYS:
        problems.append(f"only {_stays(finished)} in {where}: the length of stay is rough")
    if open_share > GOOD_OPEN_SHARE:
        problems.append(
            f"{open_share:.0%} of the stays in {where} had not ended when the log stops: the long stays are uncertain"
        )
    if not est.acceptable:
        best = est.best
        family = FAMILY_NAMES.get(best.family, best.family) if best is not None else ""
        named = f" (the closest, {family}, is rejected by the KS test)" if best is not None else ""
        problems.append(
            f"no standard distribution fits the stays in {where}{named}: the observed stays are used as they are"
        )
    if problems:
        return PartQuality(part, "usable", "; ".join(problems))
    return PartQuality(
        part,
        "good",
        f"{_stays(finished)} in {where}, mean {_days(est.mean_h)}; the "
        f"{FAMILY_NAMES.get(est.chosen, est.chosen)} distribution fits them (KS test passed)",
    )


def _share(x: float) -> str:
    """A share above 0 as people read it, never '0.0%': 'under 0.1%', '0.4%', '12%'."""
    return "under 0.1%" if x < 0.001 else f"{x:.{1 if x < 0.01 else 0}%}"


def beds_quality(cal: Calibration) -> list[PartQuality]:
    """The grade of each unit's bed count estimated from the log (given counts and shifted dates are not graded
    here: given ones are known, and shifted dates are graded once for the whole log).

    The most patients a unit held at once is its bed count only if the unit was full at times: ``good`` when some
    patients waited for a bed there (the log's ``ready_at``) for more than
    :data:`~hospital_twin.calibration.fit_beds.FULL_WAIT_MIN_H` hours from a moment it held at least its peak
    minus one patients, ``usable`` otherwise (short waits, or waits while beds were free, are admin lag: the unit
    may have more beds).
    """
    occ = cal.capacity.occupancy_
    if occ is None or not len(occ):
        return []
    waited = occ.set_index("unit")["waited_share"]
    full = occ.set_index("unit")["full_waits"]
    parts = []
    for unit, how in cal.capacity.method_.items():
        if how == "given" or how == "DEFAULT":
            continue
        beds = cal.capacity.beds_[unit]
        share = float(waited.get(unit, math.nan))
        n_full = float(full.get(unit, math.nan))
        part = f"beds in {unit}"
        near = f"at least {max(beds - 1, 1)}"
        lag = f"{FULL_WAIT_MIN_H:g} hour" + ("" if FULL_WAIT_MIN_H == 1 else "s")
        if math.isfinite(n_full) and n_full > 0:
            n = int(n_full)
            parts.append(
                PartQuality(
                    part,
                    "good",
                    f"{beds} beds, the most patients {unit} held at once; {n:,} {'patient' if n == 1 else 'patients'} "
                    f"waited over {lag} for a bed while it held {near} patients, so it was full at times",
                )
            )
        else:
            if not math.isfinite(share):
                seen = "the log has no ready_at to show waits"
            elif share > 0:
                seen = (
                    f"{_share(share)} of its patients waited for a bed, but none over {lag} "
                    f"while it held {near} patients: admin lag, not a full unit"
                )
            else:
                seen = "nobody waited for a bed there"
            parts.append(
                PartQuality(
                    part,
                    "usable",
                    f"{beds} beds is only the most patients {unit} held at once ({seen}): it may have more; "
                    "check it against your bed base on the Scenario page",
                )
            )
    return parts


def fit_quality(cal: Calibration) -> FitQuality:
    """Grade ``cal`` good / usable / poor, part by part (see the module docstring for the rules)."""
    parts: list[PartQuality] = []
    patients = int(cal.counts.get("patients") or cal.counts.get("encounters") or 0)
    days = int(cal.days or 0)
    if patients < MIN_PATIENTS:
        parts.append(
            PartQuality(
                "the log",
                "poor",
                f"too few patients: {patients:,} in the log, where a year of a small hospital has thousands",
            )
        )
    elif patients < GOOD_PATIENTS:
        parts.append(PartQuality("the log", "usable", f"{patients:,} patients in the log: the fits are rough"))
    if cal.dates_shifted:
        parts.append(
            PartQuality(
                "dates",
                "poor",
                "dates are shifted per patient, so arrival rates and bed numbers cannot be measured: "
                "the scenario's are assumptions",
            )
        )
    elif days < MIN_DAYS:
        parts.append(
            PartQuality("dates", "poor", f"the log covers only {days} days: too short to see a week's pattern")
        )
    elif days < GOOD_DAYS:
        parts.append(PartQuality("dates", "usable", f"the log covers {days} days: no seasonal change (winter) is seen"))
    if not any(p.part == "the log" for p in parts):
        parts.insert(0, PartQuality("the log", "good", f"{patients:,} patients over {days:,} days"))
    for est in cal.stays.units_.values():
        parts.append(stay_quality(est))
    for est in cal.stays.classes_.values():
        parts.append(stay_quality(est))
    parts.extend(beds_quality(cal))
    for s in cal.arrivals.streams_:
        if s.n < GOOD_STREAM_ARRIVALS:
            parts.append(
                PartQuality(
                    f"arrivals '{s.name}'", "usable", f"only {s.n} arrivals in stream '{s.name}': its rate is rough"
                )
            )
    return FitQuality(_worst(p.level for p in parts), tuple(parts))


def _plain(reason: str, detail: str) -> str:
    """A reader's reason (:mod:`~hospital_twin.calibration.adt`) in plain words, with how to fix it."""
    if reason.startswith("unparseable "):
        columns = reason.removeprefix("unparseable ")
        return (
            f"{columns} is not a date and time ({detail}); write it as 2025-01-06T08:30:00"
            if "," not in columns
            else f"{columns} are not dates and times ({detail}); write them as 2025-01-06T08:30:00"
        )
    if reason.startswith("missing "):
        columns = reason.removeprefix("missing ")
        return f"{columns} {'is' if ',' not in columns else 'are'} empty; every stay needs patient_id, unit and start"
    if reason == "blank row":
        return "an empty row"
    if reason == "malformed CSV row":
        return f"not as many values as the header has columns ({detail})"
    return reason + (f" ({detail})" if detail and detail != reason else "")


_HEADER_ROW = {"csv": 1, "mimic-iv": 1}
"""Formats whose reader counts data rows after a header line: the file's own row is one more."""


def rows_in_file(rejects: pd.DataFrame, source_format: str) -> pd.DataFrame:
    """``rejects`` with ``row`` renumbered as the user's file counts its rows (a CSV's header is row 1).

    CSV (and MIMIC-IV's transfers CSV): reader row N is row N + 1 of the file, as a spreadsheet or a text
    editor shows it; Parquet rows and XES events keep their 1-based position.
    """
    out = rejects.copy()
    if "row" in out.columns:
        out["row"] = out["row"].astype("int64") + _HEADER_ROW.get(source_format, 0)
    return out


def with_file_row(rejects: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """``rejects`` of several logs (first column ``source``) with a last column ``file_row``: each row's number as
    its own file counts rows (a CSV's header is row 1, as :func:`rows_in_file`), by the format of its ``source``
    (``formats``: source -> format); ``row`` and the other columns stay as the reader gave them."""
    out = rejects.copy()
    if "row" not in out.columns:
        return out.assign(file_row=pd.Series(dtype="int64"))
    shift = out["source"].map(lambda s: _HEADER_ROW.get(formats.get(s, ""), 0)) if "source" in out.columns else 0
    out["file_row"] = out["row"].astype("int64") + pd.Series(shift, index=out.index).astype("int64")
    return out


def rejects_in_words(rejects: pd.DataFrame, source_format: str) -> pd.DataFrame:
    """:func:`rows_in_file` of ``rejects`` with a first column ``why``: each row's reason in plain words."""
    out = rows_in_file(rejects, source_format)
    reasons = out["reason"] if "reason" in out.columns else pd.Series("", index=out.index)
    details = out["detail"] if "detail" in out.columns else pd.Series(None, index=out.index)
    why = [_plain(str(r), "" if d is None or pd.isna(d) else str(d)) for r, d in zip(reasons, details, strict=True)]
    cols = ["row", "why"] + [c for c in out.columns if c != "row"]
    return out.assign(why=why)[cols]


def rejected_rows_text(rejects: pd.DataFrame, source_format: str, limit: int = 20) -> list[str]:
    """Each rejected row in words, as the file counts rows: ``row 3: unparseable start ('notadate')``.

    At most ``limit`` lines; a last line says how many more there are.
    """
    shown = rows_in_file(rejects, source_format)
    lines = []
    for r in shown.head(limit).itertuples(index=False):
        detail = getattr(r, "detail", None)
        detail = "" if detail is None or pd.isna(detail) else str(detail)
        lines.append(f"row {int(r.row)}: {_plain(str(getattr(r, 'reason', '')), detail)}")
    if len(shown) > limit:
        lines.append(f"... and {len(shown) - limit:,} more rows")
    return lines
