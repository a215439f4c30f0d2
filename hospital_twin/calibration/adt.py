"""Reading ADT event logs: the canonical log (docs/schemas.md, section 1) and adapters for MIMIC-IV and XES.

This is an I/O edge: it reads files (never writes to them: a file is opened read-only
and its SHA-256 is recorded) and hands back tidy DataFrames. Everything downstream
(fitting, forecasting) works on :class:`AdtRead` and never touches the files again.

Every source row is accounted for
---------------------------------
``read == used + rejected + ignored`` always holds (checked when an :class:`AdtRead` is
built). ``rejects`` lists every row that did not become (part of) a stay, with

* ``row``: the 1-based number of the row in its source. For CSV this is the data record
  number, **the header not counted**, so data row N sits on line N + 1 of the file
  (blank lines count as rows and are rejected as ``blank row``; only a quoted value
  holding a line break would make the two differ). For Parquet it is the 1-based
  position in the table; for MIMIC-IV the data row of ``transfers.csv(.gz)``; for XES
  the 1-based number of the ``<event>`` element in document order.
* ``kind``: ``rejected`` (the row cannot be used) or ``ignored`` (the row is fine but
  carries no unit change, e.g. a MIMIC ``discharge`` event or a lab test in an XES log).
* ``reason``: a short, stable text (counting by reason is meaningful), and ``detail``:
  the specifics (which row it duplicates or overlaps, the offending value).
* the original values of the row, as read.

Checks on stays, in this order (a row gets the first reason that applies):

1. ``blank row`` (CSV), ``malformed CSV row`` (wrong number of fields);
2. ``missing patient_id`` / ``unit`` / ``start`` (several are joined: ``missing unit, start``);
3. ``unparseable <column>`` for any timestamp column present (start, end, ready_at,
   and the simulator's ready_to_leave, seen_at);
4. ``end before start``; ``ready_at after start``; ``ready_to_leave before start`` and
   ``ready_to_leave after end`` (the time the patient became medically ready to leave, an
   optional column: see :data:`READY_TO_LEAVE_ALIASES`; a stay whose ready time is not inside
   it cannot say how long the patient waited after being ready);
5. ``duplicate row``: identical in every column to an earlier row (which is kept);
6. ``open stay before a later stay``: no ``end`` although the same patient has a later
   stay (a missing end, not a patient in two places: only this row is rejected);
7. ``overlapping stay``: the patient is in two units at once. Stays of a patient are
   taken in order of start (then end, then row); a stay starting before the end of an
   earlier *kept* stay is rejected, the earlier one is kept. Touching stays
   (end == next start) do not overlap. The result is what a sequential scan would give,
   computed vectorised.

Timestamps
----------
ISO 8601, with or without a time zone. Values with an offset (``Z``, ``+02:00``) are
converted to UTC; values without one are kept as written. The result is always naive
``datetime64[us]``: **naive UTC** when the log carries offsets, the log's own clock
when it does not. ``AdtRead.timezone`` says which (``utc``, ``naive`` or ``mixed``: a
mix is legal but suspicious and adds a note). Parquet timestamp columns are treated
the same way (tz-aware -> naive UTC).

Performance: all checks are vectorised (pandas/numpy); CSV is parsed by pyarrow.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hospital_twin.scenario.schema import RESERVED_UNIT_NAMES, name_problem, suggest_name

__all__ = [
    "FORMATS",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "CONTRACT_COLUMNS",
    "TIME_COLUMNS",
    "READY_TO_LEAVE_ALIASES",
    "LogError",
    "MixedLogError",
    "SELECT_COLUMNS",
    "AdtRead",
    "read_adt",
    "read_mimic_iv",
    "MIMIC_UNIT_GROUPS",
    "MIMIC_PATIENT_CLASS",
    "MIMIC_ARRIVAL_SOURCE",
    "MIMIC_DISCHARGE_DESTINATION",
    "read_xes",
    "XesAction",
    "XesMapping",
    "SEPSIS_MAPPING",
    "combine_reads",
    "detect_format",
    "read_log",
    "write_adt_csv",
]

REQUIRED_COLUMNS = ("patient_id", "unit", "start", "end")
OPTIONAL_COLUMNS = ("encounter_id", "patient_class", "arrival_source", "discharge_destination", "ready_at")
CONTRACT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: Columns parsed as timestamps when present (the last two are written by the simulator).
TIME_COLUMNS = ("start", "end", "ready_at", "ready_to_leave", "seen_at")
#: Other names a hospital's log may give ``ready_to_leave`` (when the patient became medically ready to leave,
#: e.g. a medically optimised or fit-for-discharge date): read as ``ready_to_leave`` when that column is absent.
READY_TO_LEAVE_ALIASES = ("medically_ready_at", "medically_ready", "medically_optimised_at", "fit_for_discharge_at")
_STR_COLUMNS = ("patient_id", "unit", "encounter_id", "patient_class", "arrival_source", "discharge_destination")
_META = ("row", "kind", "reason", "detail")
_TS = "datetime64[us]"
_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"
_I64_MAX = np.iinfo(np.int64).max
_I64_MIN = np.iinfo(np.int64).min


class LogError(ValueError):
    """A log that cannot be read at all (missing file or column, not a CSV/Parquet/XES)."""


#: Columns that stack several hospitals in one log (the simulator's ``rep``, ``compare``'s ``scenario``),
#: with the command-line option that chooses one value and what a value is.
SELECT_COLUMNS: dict[str, tuple[str, str]] = {"scenario": ("--scenario", "scenario"), "rep": ("--rep", "replication")}


class MixedLogError(LogError):
    """A log holding several replications or scenarios (a ``rep`` or ``scenario`` column with several values)
    and none chosen: fitted together, their arrivals and beds would add up."""

    def __init__(self, path: str | Path, column: str, values: Sequence[str]):
        option, what = SELECT_COLUMNS[column]
        shown = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
        super().__init__(
            f"{path}: the log holds {len(values)} {what}s in its '{column}' column ({shown}); fitted together their "
            f"arrivals and beds would add up. Choose one with {option} {values[0]} (in the app: the "
            f"'{what.capitalize()}' box)"
        )
        self.path, self.column, self.values = str(path), column, list(values)


# ----------------------------------------------------------------------------- result


@dataclass
class AdtRead:
    """A log read into the ADT schema, with everything that did not make it.

    ``stays``: one row per used stay, sorted by ``patient_id, start``; the contract
    columns first (absent optional ones added empty), then any extra source columns,
    then ``source_row`` (the stay's row in the source, as in ``rejects.row``).
    ``end`` NaT means the patient is still there (right-censored). ``set_aside`` rows belong to
    replications or scenarios other than the one chosen (``selection``): they are neither used nor
    rejected, and ``read == used + rejected + ignored + set_aside``.
    """

    stays: pd.DataFrame
    rejects: pd.DataFrame
    read: int
    used: int
    rejected: int
    ignored: int
    source: str
    source_format: str
    sha256: str
    inputs: dict[str, str] = field(default_factory=dict)
    timezone: Literal["utc", "naive", "mixed", "none"] = "none"
    dates_shifted: bool = False
    concurrency_reliable: bool = True
    notes: list[str] = field(default_factory=list)
    set_aside: int = 0
    """Rows of the other replications or scenarios, left out by ``selection``."""
    selection: dict[str, str] = field(default_factory=dict)
    """The value chosen per stacking column (``rep``, ``scenario``), e.g. ``{"rep": "1"}``."""

    def __post_init__(self) -> None:
        assert self.read == self.used + self.rejected + self.ignored + self.set_aside, (
            f"counts do not reconcile: read {self.read} != used {self.used} + rejected {self.rejected}"
            f" + ignored {self.ignored} + set aside {self.set_aside}"
        )
        assert len(self.rejects) == self.rejected + self.ignored, "rejects table does not match the counts"

    @property
    def n_stays(self) -> int:
        """Rows in ``stays`` (equals ``used`` for the canonical log and MIMIC-IV)."""
        return len(self.stays)

    @property
    def period(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """``(min start, max of end and start)`` over the used stays; ``(None, None)`` when empty."""
        if not len(self.stays):
            return None, None
        lo = self.stays["start"].min()
        hi = max(self.stays["start"].max(), self.stays["end"].max() if self.stays["end"].notna().any() else lo)
        return lo, hi

    def reason_counts(self) -> pd.DataFrame:
        """``kind, reason, n``: how many rows were rejected or ignored for each reason."""
        if not len(self.rejects):
            return pd.DataFrame({"kind": [], "reason": [], "n": []}).astype({"n": int})
        out = self.rejects.groupby(["kind", "reason"], sort=True).size().rename("n").reset_index()
        return out.sort_values(["kind", "n"], ascending=[False, False], ignore_index=True)

    def summary(self) -> dict:
        """Counts and provenance as plain values (for run.json or a CLI table)."""
        lo, hi = self.period
        return {
            "source": self.source,
            "format": self.source_format,
            "sha256": self.sha256,
            "inputs": dict(self.inputs),
            "read": self.read,
            "used": self.used,
            "rejected": self.rejected,
            "ignored": self.ignored,
            "set_aside": self.set_aside,
            "selection": dict(self.selection),
            "stays": self.n_stays,
            "period": [None if lo is None else lo.isoformat(), None if hi is None else hi.isoformat()],
            "timezone": self.timezone,
            "dates_shifted": self.dates_shifted,
            "concurrency_reliable": self.concurrency_reliable,
            "reasons": {f"{k}: {r}": int(n) for k, r, n in self.reason_counts().itertuples(index=False)},
            "notes": list(self.notes),
        }

    def write_rejects(self, path: str | Path) -> Path:
        """Write ``rejects`` to CSV (any suffix but ``.parquet``; ``.csv.gz`` compresses) or Parquet."""
        p = Path(path)
        if p.exists() and any(p.resolve() == Path(src).resolve() for src in self.inputs):
            raise LogError(f"{p}: refusing to overwrite an input file of this read")
        if p.suffix == ".parquet":
            self.rejects.to_parquet(p, index=False)
        else:
            self.rejects.to_csv(p, index=False)
        return p


# ----------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _clean_str(col: pd.Series) -> pd.Series:
    """As a nullable string column, stripped, with empty strings as missing."""
    s = col.astype("string").str.strip()
    return s.mask(s == "")


def _parse_time(col: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, int, int]:
    """``(naive timestamps, missing, unparseable, n with offset, n without)``; see the module docstring."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        t = col.dt.tz_convert("UTC").dt.tz_localize(None).astype(_TS)
        miss = t.isna().to_numpy()
        return t, miss, np.zeros(len(t), bool), int((~miss).sum()), 0
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        t = col.astype(_TS)
        miss = t.isna().to_numpy()
        return t, miss, np.zeros(len(t), bool), 0, int((~miss).sum())
    s = _clean_str(col)
    miss = s.isna().to_numpy()
    t = pd.to_datetime(s, format="ISO8601", utc=True, errors="coerce").dt.tz_localize(None).astype(_TS)
    bad = ~miss & t.isna().to_numpy()
    aware = s.str.contains(_OFFSET, regex=True).fillna(False).to_numpy(bool) & ~bad
    return t, miss, bad, int(aware.sum()), int((~miss & ~bad & ~aware).sum())


def _combine(masks: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """Per row, ``prefix`` + the names whose mask is set (``None`` when none is)."""
    names = list(masks)
    code = np.zeros(len(next(iter(masks.values()))) if masks else 0, dtype=np.int64)
    for i, n in enumerate(names):
        code |= masks[n].astype(np.int64) << i
    out = np.full(len(code), None, dtype=object)
    for c in np.unique(code[code > 0]):
        out[code == c] = prefix + ", ".join(n for i, n in enumerate(names) if c >> i & 1)
    return out


def _fmt_ts(t: pd.Series) -> pd.Series:
    return t.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("open")


# ----------------------------------------------------------------------------- the checks


@dataclass
class _Checked:
    tidy: pd.DataFrame  # every input row, normalised (stripped strings, parsed times)
    reason: np.ndarray  # object; None = used
    detail: np.ndarray
    timezone: str
    notes: list[str]
    order: np.ndarray  # positions of the used rows, in stay order


def _validate(
    frame: pd.DataFrame,
    rows: np.ndarray,
    dup_frame: pd.DataFrame,
    reason: np.ndarray | None = None,
    detail: np.ndarray | None = None,
) -> _Checked:
    """Run the stay checks of the module docstring on ``frame`` (contract columns, strings or times).

    ``rows`` are the source row numbers (for details such as "same as row N"),
    ``dup_frame`` the values compared for exact duplicates, and ``reason``/``detail``
    any rejections the caller already made (those rows take no part in later checks).
    A row keeps the first reason it gets; the checks run in the docstring's order:
    missing values and unparseable times, the time order within a row
    (:func:`_reject_time_order`), exact duplicates (:func:`_reject_duplicates`), then
    open stays and overlaps (:func:`_reject_overlaps`).
    """
    n = len(frame)
    reason = np.full(n, None, dtype=object) if reason is None else reason.copy()
    detail = np.full(n, None, dtype=object) if detail is None else detail.copy()
    notes: list[str] = []

    tidy = _tidy_frame(frame)
    missing = {c: tidy[c].isna().to_numpy() for c in ("patient_id", "unit")}
    times, bad, n_aware, n_naive = _parse_times(frame, tidy, missing)
    _reject(reason, detail, np.logical_or.reduce(list(missing.values())), _combine(missing, "missing "))
    if bad:
        _reject(
            reason,
            detail,
            np.logical_or.reduce(list(bad.values())),
            _combine(bad, "unparseable "),
            _bad_values(frame, bad),
        )
    timezone = "mixed" if n_aware and n_naive else "utc" if n_aware else "naive" if n_naive else "none"
    if timezone == "mixed":
        notes.append(
            f"{n_aware} timestamps carry a UTC offset (converted to UTC) and {n_naive} do not (kept as written)"
        )
    _reject_time_order(tidy, times, reason, detail)

    # sort keys: patient (codes in sorted order of the ids), start, end (open = last), row
    pcode, _ = pd.factorize(tidy["patient_id"].to_numpy(), sort=True)
    s_key = tidy["start"].to_numpy().astype(np.int64)
    e_open = tidy["end"].isna().to_numpy()
    e_key = np.where(e_open, _I64_MAX, tidy["end"].to_numpy().astype(np.int64))
    _reject_duplicates(dup_frame, rows, reason, detail, pcode, s_key, e_key)
    order = _reject_overlaps(tidy, rows, reason, detail, pcode, s_key, e_key, e_open)
    return _Checked(tidy, reason, detail, timezone, notes, order)


def _reject(reason: np.ndarray, detail: np.ndarray, mask: np.ndarray, why, what=None) -> None:
    """Give the rows in ``mask`` that have no reason yet ``why`` (and ``what`` as detail), in place.

    ``why`` and ``what`` are one value for all, or arrays over every row.
    """
    sel = mask & pd.isna(reason)
    if not sel.any():
        return
    reason[sel] = why[sel] if isinstance(why, np.ndarray) else why
    if what is not None:
        detail[sel] = what[sel] if isinstance(what, np.ndarray) else what


def _tidy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the text columns cleaned: contract strings stripped (empty -> missing, absent ones added
    empty); extra text columns with empty -> missing (the rejects keep the raw values)."""
    tidy = frame.copy()
    for c in tidy.columns:
        if c not in CONTRACT_COLUMNS and c not in TIME_COLUMNS and pd.api.types.is_string_dtype(tidy[c].dtype):
            tidy[c] = tidy[c].mask(tidy[c] == "")
    for c in _STR_COLUMNS:
        tidy[c] = _clean_str(frame[c]) if c in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
    return tidy


def _parse_times(
    frame: pd.DataFrame, tidy: pd.DataFrame, missing: dict[str, np.ndarray]
) -> tuple[dict[str, pd.Series], dict[str, np.ndarray], int, int]:
    """Parse every time column present into ``tidy`` (absent contract ones added empty), in place.

    Returns the parsed columns, their unparseable masks, and how many values carried a UTC
    offset and how many did not; a missing ``start`` is added to ``missing``.
    """
    times: dict[str, pd.Series] = {}
    bad: dict[str, np.ndarray] = {}
    n_aware = n_naive = 0
    for c in TIME_COLUMNS:
        if c not in frame:
            if c in CONTRACT_COLUMNS:
                tidy[c] = pd.Series(pd.NaT, index=frame.index, dtype=_TS)
            continue
        t, miss, b, a, nv = _parse_time(frame[c])
        tidy[c] = t
        times[c] = t
        bad[c] = b
        n_aware += a
        n_naive += nv
        if c == "start":
            missing["start"] = miss
    return times, bad, n_aware, n_naive


def _bad_values(frame: pd.DataFrame, bad: dict[str, np.ndarray]) -> np.ndarray:
    """Per row, the unparseable values as ``column=value`` joined by ``; `` (the detail of the rejection)."""
    bad_values = pd.Series("", index=frame.index, dtype="string")
    for c, b in bad.items():
        if b.any():
            raw = frame[c].astype("string").str.strip()
            bad_values = bad_values.mask(b, bad_values + np.where(bad_values == "", "", "; ") + f"{c}=" + raw)
    return bad_values.to_numpy(object)


def _reject_time_order(tidy: pd.DataFrame, times: dict[str, pd.Series], reason, detail) -> None:
    """Check 4 of the module docstring, in place: ``end before start``, ``ready_at after start``,
    ``ready_to_leave`` before start or after end."""
    start, end = tidy["start"], tidy["end"]
    eb = (end < start).fillna(False).to_numpy(bool)
    if eb.any():
        hours = ((start - end).dt.total_seconds() / 3600).round(3).astype("string")
        _reject(reason, detail, eb, "end before start", ("end is " + hours + " h before start").to_numpy(object))
    if "ready_at" in times:
        ra = (tidy["ready_at"] > start).fillna(False).to_numpy(bool)
        if ra.any():
            hours = ((tidy["ready_at"] - start).dt.total_seconds() / 3600).round(3).astype("string")
            _reject(
                reason, detail, ra, "ready_at after start", ("ready_at is " + hours + " h after start").to_numpy(object)
            )
    if "ready_to_leave" in times:
        ready = tidy["ready_to_leave"]
        rb = (ready < start).fillna(False).to_numpy(bool)
        if rb.any():
            hours = ((start - ready).dt.total_seconds() / 3600).round(3).astype("string")
            what = ("ready_to_leave is " + hours + " h before start").to_numpy(object)
            _reject(reason, detail, rb, "ready_to_leave before start", what)
        re_ = (ready > end).fillna(False).to_numpy(bool)
        if re_.any():
            hours = ((ready - end).dt.total_seconds() / 3600).round(3).astype("string")
            _reject(
                reason,
                detail,
                re_,
                "ready_to_leave after end",
                ("ready_to_leave is " + hours + " h after end").to_numpy(object),
            )


def _reject_duplicates(dup_frame: pd.DataFrame, rows, reason, detail, pcode, s_key, e_key) -> None:
    """Check 5 of the module docstring, in place: rows identical in every column of ``dup_frame`` to an
    earlier row still standing. Equal keys (patient, start, end) first, then the candidates compared exactly."""
    n = len(reason)
    alive = np.flatnonzero(pd.isna(reason))
    if len(alive) <= 1:
        return
    keys = pd.DataFrame({"p": pcode[alive], "s": s_key[alive], "e": e_key[alive]})
    cand = keys.duplicated(keep=False).to_numpy()
    if not cand.any():
        return
    sub = dup_frame.iloc[alive]
    sub = sub.iloc[np.flatnonzero(cand)].astype("string").fillna("\x00<NA>")
    pos = alive[cand]
    grp = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_row = pd.Series(rows[pos]).groupby(grp).transform("first").to_numpy()
    dup = sub.duplicated(keep="first").to_numpy()
    m = np.zeros(n, bool)
    m[pos[dup]] = True
    what = np.full(n, None, dtype=object)
    what[pos[dup]] = [f"same as row {r}" for r in first_row[dup]]
    _reject(reason, detail, m, "duplicate row", what)


def _reject_overlaps(tidy, rows, reason, detail, pcode, s_key, e_key, e_open) -> np.ndarray:
    """Checks 6 and 7 of the module docstring, in place on ``reason``/``detail``.

    Returns the positions of the rows still standing, in stay order (patient, start, end, row).
    """
    alive = np.flatnonzero(pd.isna(reason))
    o = np.lexsort((rows[alive], e_key[alive], s_key[alive], pcode[alive]))
    pos = alive[o]
    if len(pos) < 2:
        return pos
    p, s, e, e_nat, r = pcode[pos], s_key[pos], e_key[pos], e_open[pos], rows[pos]

    def txt(col: str, i: np.ndarray) -> np.ndarray:
        return _fmt_ts(tidy[col].iloc[pos[i]]).to_numpy(object)

    # 6. an open stay followed by another stay of the same patient
    nxt_same = np.r_[p[1:] == p[:-1], False]
    open_bad = e_nat & nxt_same
    if open_bad.any():
        i = np.flatnonzero(open_bad)
        reason[pos[i]] = "open stay before a later stay"
        later = zip(r[i + 1], txt("start", i + 1), strict=True)
        detail[pos[i]] = [f"no end, but row {rr} starts at {st}" for rr, st in later]
    keep = np.flatnonzero(~open_bad)
    rejected = open_bad.copy()

    # 7. overlaps, in rounds: the first flagged stay of each patient overlaps a stay that is surely kept
    cand = keep
    while len(cand) > 1:
        pc, sc, ec = p[cand], s[cand], e[cand]
        first = np.r_[True, pc[1:] != pc[:-1]]
        cm = pd.Series(ec).groupby(pc).cummax().to_numpy()
        at = pd.Series(np.where(ec == cm, np.arange(len(cand)), np.nan)).groupby(pc).ffill().to_numpy()
        prev_max = np.r_[_I64_MIN, cm[:-1]]
        prev_at = np.r_[-1, at[:-1]]
        prev_max[first] = _I64_MIN
        flag = sc < prev_max
        if not flag.any():
            break
        f = np.flatnonzero(flag)
        f = f[np.r_[True, pc[f][1:] != pc[f][:-1]]]  # first flagged stay per patient
        partner = cand[prev_at[f].astype(np.int64)]
        me = cand[f]
        reason[pos[me]] = "overlapping stay"
        unit = tidy["unit"].to_numpy(object)[pos[partner]]
        detail[pos[me]] = [
            f"overlaps row {rr} ({u} {a} to {b})"
            for rr, u, a, b in zip(r[partner], unit, txt("start", partner), txt("end", partner), strict=True)
        ]
        rejected[me] = True
        touched = np.isin(pc, pc[f])
        drop = np.zeros(len(cand), bool)
        drop[f] = True
        cand = cand[touched & ~drop]
    return pos[~rejected]


def _assemble(
    checked: _Checked,
    rows: np.ndarray,
    original: pd.DataFrame,
    extra_rejects: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(stays, rejects)`` from a validation. ``original`` holds the source values of the checked rows."""
    used = pd.isna(checked.reason)
    tidy = checked.tidy.iloc[checked.order].copy()
    tidy["source_row"] = rows[checked.order]
    extras = [c for c in tidy.columns if c not in CONTRACT_COLUMNS and c != "source_row"]
    stays = tidy[list(CONTRACT_COLUMNS) + extras + ["source_row"]].reset_index(drop=True)

    bad = np.flatnonzero(~used)
    rej = _reject_frame(
        rows[bad],
        np.where(pd.isna(checked.reason[bad]), "", checked.reason[bad]),
        checked.detail[bad],
        original.iloc[bad],
        kind="rejected",
    )
    if extra_rejects is not None and len(extra_rejects):
        rej = pd.concat([rej, extra_rejects], ignore_index=True) if len(rej) else extra_rejects
    rej = rej.sort_values("row", kind="stable", ignore_index=True)
    return stays, rej


def _reject_frame(rows, reason, detail, original: pd.DataFrame, kind) -> pd.DataFrame:
    """Rejects in the published layout: ``row, kind, reason, detail`` then the original values."""
    orig = original.reset_index(drop=True)
    orig = orig.rename(columns={c: f"{c}_original" for c in orig.columns if c in _META})
    m = len(orig)

    def col(v) -> pd.Series:
        v = np.asarray(v, dtype=object)
        return pd.Series(np.broadcast_to(v, (m,)) if v.ndim == 0 else v, index=range(m), dtype="string")

    meta = pd.DataFrame(
        {"row": np.asarray(rows, dtype=np.int64), "kind": col(kind), "reason": col(reason), "detail": col(detail)}
    )
    return pd.concat([meta, orig], axis=1)


# ----------------------------------------------------------------------------- the canonical log


def _text_values(col: pd.Series) -> pd.Series:
    """A column as stripped text, blank -> missing (a CSV gives '1', a Parquet 1: both are '1')."""
    text = col.astype("string").str.strip()
    return text.mask(text == "")


def _select(
    raw: pd.DataFrame, path: Path, chosen: Mapping[str, str | None], refuse_stacked: bool
) -> tuple[np.ndarray, dict[str, str]]:
    """Which rows of ``raw`` belong to the chosen replication and scenario, and the choice made.

    A stacking column (:data:`SELECT_COLUMNS`) with several values and nothing chosen is a
    :class:`MixedLogError` when ``refuse_stacked`` (else every row is kept); a choice the log
    cannot meet (no such column, no such value) a :class:`LogError`. A column with one value keeps every row.
    """
    keep = np.ones(len(raw), bool)
    made: dict[str, str] = {}
    for column, (option, what) in SELECT_COLUMNS.items():
        value = chosen.get(column)
        if column not in raw.columns:
            if value is not None:
                raise LogError(f"{path}: {option} {value}: the log has no '{column}' column (it holds one {what})")
            continue
        text = _text_values(raw[column])
        present = sorted(pd.unique(text[keep].dropna()).tolist(), key=lambda v: (len(v), v))
        if value is None:
            if len(present) > 1 and refuse_stacked:
                raise MixedLogError(path, column, present)
            continue
        if str(value) not in present:
            raise LogError(
                f"{path}: {option} {value}: no such {what} in the log's '{column}' column "
                f"(found: {', '.join(present[:10]) or 'none'})"
            )
        keep &= (text == str(value)).fillna(False).to_numpy(dtype=bool)
        made[column] = str(value)
    return keep, made


def _read_csv_strings(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Every field as a string (``""`` when empty): ``(frame, data row numbers, malformed rows)``.

    Uses pyarrow single-threaded, so the parser knows line numbers; rows with the wrong
    number of fields are collected (``row, fields, text``) instead of failing the file.
    """
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError as exc:
        raise LogError(f"{path.name}: not UTF-8 text: {exc}") from exc
    except (OSError, EOFError, csv.Error) as exc:
        raise LogError(f"{path.name}: cannot read the header: {exc}") from exc
    if not header or not any(h.strip() for h in header):
        raise LogError(f"{path.name}: the file is empty (no header line)")
    names = [h.strip() for h in header]
    dupes = sorted({h for h in names if names.count(h) > 1})
    if dupes:
        raise LogError(f"{path.name}: duplicate column name(s) in the header: {', '.join(dupes)}")
    malformed: list[tuple[int, int, str]] = []

    def on_invalid(row) -> str:
        malformed.append((int(row.number) - 1, int(row.actual_columns), row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise LogError(f"{path.name}: not a readable CSV file: {exc}") from exc
    df = table.to_pandas()
    bad_rows = np.array([m[0] for m in malformed], dtype=np.int64)
    total = len(df) + len(bad_rows)
    rows = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), bad_rows, assume_unique=True)
    bad = pd.DataFrame({"row": bad_rows, "fields": [m[1] for m in malformed], "text": [m[2] for m in malformed]})
    return df, rows, bad


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def read_adt(
    path: str | Path, *, rep: int | str | None = None, scenario: str | None = None, refuse_stacked: bool = False
) -> AdtRead:
    """Read a canonical ADT log (CSV, CSV.gz or Parquet, by suffix) into an :class:`AdtRead`.

    A log with a ``rep`` (or ``scenario``) column holding several values stacks several
    simulated hospitals (a results folder's ``adt_log.*``): ``rep`` (``scenario``) keeps one;
    with ``refuse_stacked`` and none chosen such a log is a :class:`MixedLogError` (a caller that
    picks replications itself, as the census does, reads them all). The other rows are set aside before any check
    (``AdtRead.set_aside``), so patient ids repeated across scenarios are not overlaps.

    The file is only read. A missing required column (``patient_id, unit, start, end``)
    fails the whole file with :class:`LogError`; every other problem rejects single
    rows (see the module docstring for the checks, the row numbering and the time
    zone rule). Extra columns are kept; the simulator's ``ready_to_leave`` and
    ``seen_at`` are parsed as timestamps like ``start``.
    """
    p = Path(path)
    if not p.is_file():
        raise LogError(f"{p}: no such file")
    name = p.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        fmt = "parquet"
        try:
            raw = pq.read_table(p).to_pandas()
        except (pa.ArrowInvalid, OSError) as exc:
            raise LogError(f"{p.name}: not a readable Parquet file: {exc}") from exc
        raw = raw.reset_index(drop=True)
        rows = np.arange(1, len(raw) + 1, dtype=np.int64)
        malformed = pd.DataFrame({"row": np.zeros(0, np.int64), "fields": [], "text": []})
    elif name.endswith(".csv") or name.endswith(".csv.gz"):
        fmt = "csv"
        raw, rows, malformed = _read_csv_strings(p)
    else:
        raise LogError(f"{p.name}: unknown file type (expected .csv, .csv.gz or .parquet)")
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise LogError(
            f"{p.name}: missing required column(s) {', '.join(missing)}; found {', '.join(map(str, raw.columns))}"
        )
    raw, alias_note = _ready_alias(raw)
    keep, selection = _select(raw, p, {"rep": None if rep is None else str(rep), "scenario": scenario}, refuse_stacked)
    set_aside = int((~keep).sum())
    if set_aside:
        raw, rows = raw[keep].reset_index(drop=True), rows[keep]
    reason = np.full(len(raw), None, dtype=object)
    blank = np.ones(len(raw), bool)
    for c in raw.columns:
        blank &= _clean_str(raw[c]).isna().to_numpy()
    reason[blank] = "blank row"
    checked = _validate(raw, rows, raw, reason)
    extra = None
    if len(malformed):
        orig = pd.DataFrame({c: pd.Series(pd.NA, index=range(len(malformed)), dtype="string") for c in raw.columns})
        orig["raw_text"] = malformed["text"].astype("string")
        extra = _reject_frame(
            malformed["row"].to_numpy(),
            "malformed CSV row",
            [f"{k} fields, expected {len(raw.columns)}" for k in malformed["fields"]],
            orig,
            kind="rejected",
        )
    stays, rejects = _assemble(checked, rows, raw, extra)
    n_read = len(raw) + len(malformed) + set_aside
    digest = _sha256(p)
    return AdtRead(
        stays=stays,
        rejects=rejects,
        read=n_read,
        used=len(stays),
        rejected=len(rejects),
        ignored=0,
        source=str(p),
        source_format=fmt,
        sha256=digest,
        inputs={str(p): digest},
        timezone=checked.timezone,
        notes=checked.notes + alias_note,
        set_aside=set_aside,
        selection=selection,
    )


def _ready_alias(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``raw`` with the first column named in :data:`READY_TO_LEAVE_ALIASES` read as ``ready_to_leave`` (when the
    log has no ``ready_to_leave``), and the note saying so."""
    if "ready_to_leave" in raw.columns:
        return raw, []
    for alias in READY_TO_LEAVE_ALIASES:
        if alias in raw.columns:
            note = f"column '{alias}' read as ready_to_leave (when the patient became medically ready to leave)"
            return raw.rename(columns={alias: "ready_to_leave"}), [note]
    return raw, []


# ----------------------------------------------------------------------------- MIMIC-IV

#: A suggested coarse grouping of MIMIC-IV ``careunit`` names into unit types (pass as
#: ``unit_map``). Our reading of the unit names, not an official MIMIC field: ED
#: (with ED observation), ICU (all intensive care units), STEPDOWN (intermediate and
#: step-down units), WARD (medical and surgical wards, including Med/Surg, transplant,
#: oncology, neurology, psychiatry), OBSTETRICS, NURSERY, PACU (post-anaesthesia
#: recovery), DISCHARGE_LOUNGE (in MIMIC also a pre-operative holding area), OBSERVATION,
#: UNKNOWN. Careunits not listed are kept as they are (and named in ``notes``).
MIMIC_UNIT_GROUPS: dict[str, str] = {
    "Emergency Department": "ED",
    "Emergency Department Observation": "ED",
    "Cardiac Vascular Intensive Care Unit (CVICU)": "ICU",
    "Coronary Care Unit (CCU)": "ICU",
    "Medical Intensive Care Unit (MICU)": "ICU",
    "Medical/Surgical Intensive Care Unit (MICU/SICU)": "ICU",
    "Neuro Surgical Intensive Care Unit (Neuro SICU)": "ICU",
    "Surgical Intensive Care Unit (SICU)": "ICU",
    "Trauma SICU (TSICU)": "ICU",
    "Cardiology Surgery Intermediate": "STEPDOWN",
    "Hematology/Oncology Intermediate": "STEPDOWN",
    "Medicine/Cardiology Intermediate": "STEPDOWN",
    "Neuro Intermediate": "STEPDOWN",
    "Neuro Stepdown": "STEPDOWN",
    "Surgery/Vascular/Intermediate": "STEPDOWN",
    "Cardiac Surgery": "WARD",
    "Cardiology": "WARD",
    "Hematology/Oncology": "WARD",
    "Oncology": "WARD",
    "Med/Surg": "WARD",
    "Med/Surg/GYN": "WARD",
    "Med/Surg/Trauma": "WARD",
    "Medicine": "WARD",
    "Medicine/Cardiology": "WARD",
    "Neurology": "WARD",
    "Psychiatry": "WARD",
    "Surgery": "WARD",
    "Surgery/Pancreatic/Biliary/Bariatric": "WARD",
    "Surgery/Trauma": "WARD",
    "Thoracic Surgery": "WARD",
    "Transplant": "WARD",
    "Vascular": "WARD",
    "Labor & Delivery": "OBSTETRICS",
    "Obstetrics (Postpartum & Antepartum)": "OBSTETRICS",
    "Obstetrics Antepartum": "OBSTETRICS",
    "Obstetrics Postpartum": "OBSTETRICS",
    "Nursery": "NURSERY",
    "Nursery - Well Babies": "NURSERY",
    "Special Care Nursery (SCN)": "NURSERY",
    "Neonatal Intensive Care Unit (NICU)": "NURSERY",
    "PACU": "PACU",
    "Discharge Lounge": "DISCHARGE_LOUNGE",
    "Observation": "OBSERVATION",
    "Unknown": "UNKNOWN",
    "UNKNOWN": "UNKNOWN",
}

#: ``admissions.admission_type`` -> ``patient_class``. Emergency: EW EMER. (emergency
#: ward), DIRECT EMER., URGENT; elective: ELECTIVE, SURGICAL SAME DAY ADMISSION;
#: observation: the four observation types (EU = emergency unit). Unlisted values are
#: kept as written. ED visits without an admission get ``emergency``.
MIMIC_PATIENT_CLASS: dict[str, str] = {
    "EW EMER.": "emergency",
    "DIRECT EMER.": "emergency",
    "URGENT": "emergency",
    "ELECTIVE": "elective",
    "SURGICAL SAME DAY ADMISSION": "elective",
    "OBSERVATION ADMIT": "observation",
    "EU OBSERVATION": "observation",
    "DIRECT OBSERVATION": "observation",
    "AMBULATORY OBSERVATION": "observation",
}

#: ``admissions.admission_location`` -> ``arrival_source`` of an admission's first stay
#: (later stays get the previous stay's unit). ``INFORMATION NOT AVAILABLE`` -> missing;
#: unlisted values are kept as written.
MIMIC_ARRIVAL_SOURCE: dict[str, str | None] = {
    "EMERGENCY ROOM": "ed",
    "PHYSICIAN REFERRAL": "referral",
    "CLINIC REFERRAL": "referral",
    "WALK-IN/SELF REFERRAL": "walk_in",
    "TRANSFER FROM HOSPITAL": "other_hospital",
    "TRANSFER FROM SKILLED NURSING FACILITY": "nursing_facility",
    "INTERNAL TRANSFER TO OR FROM PSYCH": "psychiatry",
    "PROCEDURE SITE": "procedure_site",
    "PACU": "pacu",
    "AMBULATORY SURGERY TRANSFER": "ambulatory_surgery",
    "INFORMATION NOT AVAILABLE": None,
}

#: ``admissions.discharge_location`` -> ``discharge_destination`` of an admission's last
#: stay. Blank -> missing (unknown); unlisted values kept as written. ED visits without
#: an admission get ``not_admitted``.
MIMIC_DISCHARGE_DESTINATION: dict[str, str | None] = {
    "HOME": "home",
    "HOME HEALTH CARE": "home_with_care",
    "SKILLED NURSING FACILITY": "nursing_facility",
    "REHAB": "rehab",
    "CHRONIC/LONG TERM ACUTE CARE": "long_term_care",
    "HOSPICE": "hospice",
    "DIED": "died",
    "AGAINST ADVICE": "against_advice",
    "PSYCH FACILITY": "psych_facility",
    "ACUTE HOSPITAL": "other_hospital",
    "OTHER FACILITY": "other_facility",
    "HEALTHCARE FACILITY": "other_facility",
    "ASSISTED LIVING": "assisted_living",
}

_MIMIC_TRANSFERS = ("subject_id", "hadm_id", "transfer_id", "eventtype", "careunit", "intime", "outtime")
_MIMIC_ADMISSIONS = ("hadm_id", "admission_type", "admission_location", "discharge_location")


def _find(folder: Path, stem: str) -> Path:
    for sub in ("hosp", "."):
        for suffix in (".csv.gz", ".csv"):
            cand = folder / sub / f"{stem}{suffix}"
            if cand.is_file():
                return cand
    raise LogError(f"{folder}: no {stem}.csv or {stem}.csv.gz (looked in hosp/ and the folder itself)")


def _require(df: pd.DataFrame, cols, path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise LogError(f"{path.name}: missing required column(s) {', '.join(missing)}; found {', '.join(df.columns)}")


def _map(values: pd.Series, mapping: Mapping[str, str | None]) -> tuple[pd.Series, list[str]]:
    """Map stripped values; unlisted ones kept as written (and returned), missing stays missing."""
    s = _clean_str(values)
    known = s.isin(list(mapping.keys())).to_numpy(bool)
    mapped = s.map(lambda v: mapping.get(v, v) if not pd.isna(v) else v).astype("string")
    mapped = mapped.where(known | s.isna(), s)
    unlisted = sorted(s[~known & s.notna().to_numpy()].unique().tolist())
    return mapped, unlisted


def _int_text(s: pd.Series) -> pd.Series:
    """Identifier text: stripped, a trailing ``.0`` (float export) dropped, empty -> missing."""
    return _clean_str(s).str.replace(r"\.0+$", "", regex=True)


def read_mimic_iv(
    folder: str | Path,
    unit_map: Mapping[str, str] | None = None,
    *,
    class_map: Mapping[str, str] = MIMIC_PATIENT_CLASS,
    source_map: Mapping[str, str | None] = MIMIC_ARRIVAL_SOURCE,
    destination_map: Mapping[str, str | None] = MIMIC_DISCHARGE_DESTINATION,
) -> AdtRead:
    """MIMIC-IV ``hosp/transfers`` (+ ``admissions``) as an ADT log; one stay per ED/admit/transfer row.

    ``read`` counts rows of ``transfers.csv(.gz)``; ``rejects.row`` is their data row
    number (header not counted). Mapping:

    * ``patient_id`` = ``subject_id``; ``encounter_id`` = ``hadm_id``, or ``ed-<transfer_id>``
      for an ED visit that did not lead to an admission;
    * ``unit`` = ``careunit``, or ``unit_map[careunit]`` when a map is given (e.g.
      :data:`MIMIC_UNIT_GROUPS`; unlisted careunits are kept and named in ``notes``), made a
      plain scenario name when it is not one (``Medical Intensive Care Unit (MICU)`` -> ``MICU``,
      ``Med/Surg`` -> ``Med_Surg``; listed in ``notes``); the original ``careunit`` is kept as an
      extra column, with ``eventtype``, ``transfer_id`` and ``hadm_id``;
    * ``start``/``end`` = ``intime``/``outtime``;
    * ``patient_class`` from ``admission_type`` (:data:`MIMIC_PATIENT_CLASS`);
    * ``arrival_source``: on an admission's first stay from ``admission_location``
      (:data:`MIMIC_ARRIVAL_SOURCE`), on later stays the previous stay's unit;
    * ``discharge_destination`` on an admission's last stay from ``discharge_location``
      (:data:`MIMIC_DISCHARGE_DESTINATION`); ``not_admitted`` for ED-only visits.

    ``discharge`` rows end the pathway and are not stays: they are listed in
    ``rejects`` as ``ignored``. Rows with another eventtype are rejected.

    MIMIC dates are shifted per patient (years 2110-2201): within a patient, stay
    lengths, intervals and routing are real, but dates of different patients do not
    line up, so the log is fine for stay lengths and routing and **not** for
    concurrency (census, occupancy, arrival rates over calendar time). The result has
    ``dates_shifted=True`` and ``concurrency_reliable=False``.

    The steps: read both tables, sort the rows by eventtype, join each stay row to its
    admission (:func:`_mimic_admissions`), map the values (:func:`_mimic_mapped`), place each
    stay in its admission (:func:`_mimic_sequence`), run the stay checks, and list the
    other rows (:func:`_mimic_other_rows`).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LogError(f"{folder}: no such folder")
    tpath, apath = _find(folder, "transfers"), _find(folder, "admissions")
    tr, rows, malformed = _read_csv_strings(tpath)
    _require(tr, _MIMIC_TRANSFERS, tpath)
    adm, _, adm_bad = _read_csv_strings(apath)
    _require(adm, _MIMIC_ADMISSIONS, apath)
    notes: list[str] = []
    if len(adm_bad):
        notes.append(f"{apath.name}: {len(adm_bad)} malformed rows skipped (their admissions are unknown)")

    et = _clean_str(tr["eventtype"]).str.lower()
    is_dis = (et == "discharge").fillna(False).to_numpy(bool)
    is_stay = et.isin(["ed", "admit", "transfer"]).fillna(False).to_numpy(bool)
    other = ~is_dis & ~is_stay

    S = np.flatnonzero(is_stay)
    t = tr.iloc[S].reset_index(drop=True)
    h, a = _mimic_admissions(tr, adm, is_stay, S, apath.name, notes)
    m = _mimic_mapped(t, h, a, unit_map, class_map, source_map, destination_map, notes)
    arrival, destination = _mimic_sequence(m["encounter"], m["unit"], m["source"], m["destination"], t, rows[S])
    frame = pd.DataFrame(
        {
            "patient_id": _int_text(t["subject_id"]),
            "unit": m["unit"],
            "start": t["intime"],
            "end": t["outtime"],
            "encounter_id": m["encounter"],
            "patient_class": m["patient_class"],
            "arrival_source": arrival,
            "discharge_destination": destination,
            "careunit": m["careunit"],
            "eventtype": _clean_str(t["eventtype"]),
            "transfer_id": _int_text(t["transfer_id"]),
            "hadm_id": h,
        }
    )
    checked = _validate(frame, rows[S], t)
    checked.notes[:0] = notes

    extra = _mimic_other_rows(tr, rows, is_dis, other, malformed)
    stays, rejects = _assemble(checked, rows[S], t, pd.concat(extra, ignore_index=True) if extra else None)
    n_ignored = int((rejects["kind"] == "ignored").sum())
    return AdtRead(
        stays=stays,
        rejects=rejects,
        read=len(tr) + len(malformed),
        used=len(stays),
        rejected=len(rejects) - n_ignored,
        ignored=n_ignored,
        source=str(folder),
        source_format="mimic-iv",
        sha256=(digest := _sha256(tpath)),
        inputs={str(tpath): digest, str(apath): _sha256(apath)},
        timezone=checked.timezone,
        dates_shifted=True,
        concurrency_reliable=False,
        notes=checked.notes,
    )


def _mimic_admissions(
    tr: pd.DataFrame, adm: pd.DataFrame, is_stay: np.ndarray, S: np.ndarray, adm_name: str, notes: list[str]
) -> tuple[pd.Series, pd.DataFrame]:
    """Each stay row's ``hadm_id`` (text; missing for an ED-only visit) and its admission row (all missing
    when unknown). Stays whose hadm_id is not in the admissions table are counted in ``notes``."""
    hadm = _int_text(tr["hadm_id"])
    adm = adm.assign(hadm_id=_int_text(adm["hadm_id"]))
    adm = adm[adm["hadm_id"].notna()].drop_duplicates("hadm_id", keep="first").set_index("hadm_id")
    known = hadm.isin(adm.index).to_numpy(bool)
    n_unknown = int((is_stay & hadm.notna().to_numpy() & ~known).sum())
    if n_unknown:
        notes.append(f"{n_unknown} stays have a hadm_id not in {adm_name} (class, source and destination unknown)")
    h = hadm.iloc[S].reset_index(drop=True)
    return h, adm.reindex(h.fillna("").to_numpy())


def _mimic_mapped(
    t: pd.DataFrame,
    h: pd.Series,
    a: pd.DataFrame,
    unit_map: Mapping[str, str] | None,
    class_map: Mapping[str, str],
    source_map: Mapping[str, str | None],
    destination_map: Mapping[str, str | None],
    notes: list[str],
) -> dict[str, pd.Series]:
    """The stay rows' ``unit``, ``careunit``, ``encounter``, ``patient_class``, admission ``source`` and
    ``destination`` through the maps (values not in a map kept as written and named in ``notes``)."""
    careunit = _clean_str(t["careunit"])
    if unit_map is not None:
        unit, unlisted = _map(t["careunit"], unit_map)
        if unlisted:
            notes.append(f"careunits not in unit_map, kept as written: {', '.join(unlisted)}")
    else:
        unit = careunit
    unit = _plain_unit_names(unit, notes)
    ed_only = h.isna().to_numpy()
    encounter = h.copy()
    encounter[ed_only] = "ed-" + _int_text(t["transfer_id"])[ed_only]
    pclass, unl = _map(pd.Series(a["admission_type"].to_numpy(), dtype="string"), class_map)
    pclass[ed_only] = "emergency"
    if unl:
        notes.append(f"admission_type values not in class_map, kept as written: {', '.join(unl)}")
    src, unl = _map(pd.Series(a["admission_location"].to_numpy(), dtype="string"), source_map)
    if unl:
        notes.append(f"admission_location values not in source_map, kept as written: {', '.join(unl)}")
    dest, unl = _map(pd.Series(a["discharge_location"].to_numpy(), dtype="string"), destination_map)
    if unl:
        notes.append(f"discharge_location values not in destination_map, kept as written: {', '.join(unl)}")
    dest[ed_only] = "not_admitted"
    return {
        "unit": unit,
        "careunit": careunit,
        "encounter": encounter,
        "patient_class": pclass,
        "source": src,
        "destination": dest,
    }


def _plain_unit_names(unit: pd.Series, notes: list[str], what: str = "unit") -> pd.Series:
    """``unit`` with every name a scenario cannot use (``Medical Intensive Care Unit (MICU)``) made a plain one
    (``MICU``; see :func:`hospital_twin.scenario.schema.suggest_name`), unique and the same for the same log;
    the renaming is listed in ``notes`` (a comment of the calibrated YAML). ``what``: ``unit`` or ``class``."""
    names = sorted(unit.dropna().unique().tolist())
    reserved = RESERVED_UNIT_NAMES if what == "unit" else frozenset()
    taken = {n for n in names if name_problem(n) is None and n.lower() not in reserved}
    renamed: dict[str, str] = {}
    for n in names:
        if n not in taken:
            renamed[n] = suggest_name(n, what, taken)
            taken.add(renamed[n])
    if not renamed:
        return unit
    label = "unit names" if what == "unit" else "patient classes"
    notes.append(f"{label} made plain for the scenario: " + "; ".join(f"{v} = {k}" for k, v in renamed.items()))
    return unit.map(lambda v: renamed.get(v, v) if not pd.isna(v) else v).astype("string")


def _plain_names(read: AdtRead) -> AdtRead:
    """``read`` with its units and patient classes made names a scenario accepts (``Ward 3`` -> ``Ward_3``,
    ``day case`` -> ``day_case``), each renaming listed in ``notes``; the read unchanged when all are plain."""
    stays, notes = read.stays, list(read.notes)
    for col, what in (("unit", "unit"), ("patient_class", "class")):
        if col in stays.columns:
            new = _plain_unit_names(stays[col], notes, what)
            if new is not stays[col]:
                stays = stays.assign(**{col: new.to_numpy()})
    if stays is read.stays:
        return read
    return replace(read, stays=stays, notes=notes)


def _mimic_sequence(
    encounter: pd.Series, unit: pd.Series, src: pd.Series, dest: pd.Series, t: pd.DataFrame, rows: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    """(``arrival_source``, ``discharge_destination``) per stay row, from its place in its admission (ordered by
    intime, outtime, row): the admission's source on its first stay, else the previous stay's unit; the
    admission's destination on its last stay only."""
    t_in = pd.to_datetime(_clean_str(t["intime"]), format="ISO8601", errors="coerce")
    t_out = pd.to_datetime(_clean_str(t["outtime"]), format="ISO8601", errors="coerce")
    ecode, _ = pd.factorize(encounter.to_numpy())
    o = np.lexsort((rows, t_out.to_numpy(), t_in.to_numpy(), ecode))
    ec = ecode[o]
    first = np.r_[True, ec[1:] != ec[:-1]] if len(o) else np.zeros(0, bool)
    last = np.r_[ec[1:] != ec[:-1], True] if len(o) else np.zeros(0, bool)
    arrival = pd.Series(pd.NA, index=range(len(t)), dtype="string")
    prev_unit = np.r_[[None], unit.to_numpy(object)[o][:-1]] if len(o) else np.zeros(0, object)
    arrival.iloc[o[first]] = src.to_numpy(object)[o[first]]
    arrival.iloc[o[~first]] = prev_unit[~first]
    destination = pd.Series(pd.NA, index=range(len(t)), dtype="string")
    destination.iloc[o[last]] = dest.to_numpy(object)[o[last]]
    return arrival, destination


def _mimic_other_rows(
    tr: pd.DataFrame, rows: np.ndarray, is_dis: np.ndarray, other: np.ndarray, malformed: pd.DataFrame
) -> list[pd.DataFrame]:
    """Rejects for the rows that are not stays: discharge rows (ignored), unknown eventtypes and malformed
    CSV rows (rejected)."""
    extra = []
    D = np.flatnonzero(is_dis)
    if len(D):
        extra.append(
            _reject_frame(
                rows[D], "discharge event (ends the admission, not a stay)", [None] * len(D), tr.iloc[D], kind="ignored"
            )
        )
    X = np.flatnonzero(other)
    if len(X):
        what = ("eventtype=" + tr["eventtype"].iloc[X]).to_numpy(object)
        extra.append(_reject_frame(rows[X], "unknown eventtype", what, tr.iloc[X], kind="rejected"))
    if len(malformed):
        orig = pd.DataFrame({c: pd.Series(pd.NA, index=range(len(malformed)), dtype="string") for c in tr.columns})
        orig["raw_text"] = malformed["text"].astype("string")
        extra.append(
            _reject_frame(
                malformed["row"].to_numpy(),
                "malformed CSV row",
                [f"{k} fields, expected {len(tr.columns)}" for k in malformed["fields"]],
                orig,
                kind="rejected",
            )
        )
    return extra


# ----------------------------------------------------------------------------- XES


@dataclass(frozen=True)
class XesAction:
    """What an activity does to a case's pathway.

    ``kind="enter"``: the patient enters ``unit`` (ending the stay it was in; a new
    stay even when the unit is the same, e.g. a ward-to-ward move). ``new_encounter``
    starts a new encounter (a new arrival at the hospital), with ``arrival_source`` on
    its first stay. ``kind="leave"``: the patient leaves the hospital; ``destination``
    becomes the ``discharge_destination`` of the stay it ends.
    """

    kind: Literal["enter", "leave"]
    unit: str | None = None
    destination: str | None = None
    new_encounter: bool = False
    arrival_source: str | None = None

    @classmethod
    def enter(cls, unit: str, *, new_encounter: bool = False, arrival_source: str | None = None) -> XesAction:
        return cls("enter", unit=unit, new_encounter=new_encounter, arrival_source=arrival_source)

    @classmethod
    def leave(cls, destination: str) -> XesAction:
        return cls("leave", destination=destination)


@dataclass(frozen=True)
class XesMapping:
    """How to turn an XES log into stays.

    ``actions``: activity name (``concept:name``) -> :class:`XesAction`; every other
    activity is an event without a unit change. ``patient_class`` is set on every stay.
    ``keep_attributes``: event attributes of the entering event kept as stay columns
    (``:`` becomes ``_``). ``lifecycle``: only events with this ``lifecycle:transition``
    (or none) count; others are ignored. ``dates_shifted``/``concurrency_reliable``
    describe the log's time stamps and are copied to the result.
    """

    actions: Mapping[str, XesAction]
    patient_class: str | None = None
    keep_attributes: tuple[str, ...] = ("org:group",)
    lifecycle: str | None = "complete"
    dates_shifted: bool = False
    concurrency_reliable: bool = True


#: The 4TU Sepsis Cases log (Mannhardt 2016). "ER Registration" enters ER and starts an
#: encounter; "Admission NC" (normal care ward) and "Admission IC" (intensive care)
#: move the patient to NC or IC (each a new stay: a later admission is a transfer, also
#: NC -> NC between wards, whose anonymised letter is kept in ``org_group``);
#: "Release A".."Release E" leave the hospital with ``discharge_destination`` the release
#: type; "Return ER" starts a new encounter in ER (``arrival_source="return_er"``; the log
#: does not follow the return visit, so that ER stay stays open). Lab tests, triage and
#: IV events are events without a unit change. Every case is an emergency.
#: Time stamps were randomised per case by the publisher (intervals inside a case are
#: real), so ``dates_shifted=True`` and ``concurrency_reliable=False``.
SEPSIS_MAPPING = XesMapping(
    actions={
        "ER Registration": XesAction.enter("ER", new_encounter=True),
        "Admission NC": XesAction.enter("NC"),
        "Admission IC": XesAction.enter("IC"),
        **{f"Release {x}": XesAction.leave(f"Release {x}") for x in "ABCDE"},
        "Return ER": XesAction.enter("ER", new_encounter=True, arrival_source="return_er"),
    },
    patient_class="emergency",
    keep_attributes=("org:group",),
    lifecycle="complete",
    dates_shifted=True,
    concurrency_reliable=False,
)


def _col(attribute: str) -> str:
    """Column name of a kept XES attribute (``org:group`` -> ``org_group``)."""
    return attribute.replace(":", "_")


def _xes_events(path: Path, keep: tuple[str, ...]) -> pd.DataFrame:
    """One row per ``<event>`` in document order: trace number, case id, activity, time, lifecycle, kept attributes."""
    cols: dict[str, list] = {k: [] for k in ("trace", "activity", "timestamp", "lifecycle", *map(_col, keep))}
    case_of_trace: list[str | None] = [None]  # trace 0 = events outside any trace
    trace = 0
    depth_trace = False
    try:
        stream = gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")
        with stream as f:
            root = None
            for ev, el in ET.iterparse(f, events=("start", "end")):
                tag = el.tag.rpartition("}")[2]
                if ev == "start":
                    if root is None:
                        root = el
                    if tag == "trace":
                        trace += 1
                        depth_trace = True
                        case_of_trace.append(None)
                    continue
                if tag == "event":
                    attrs = {c.get("key"): c.get("value") for c in el}
                    cols["trace"].append(trace if depth_trace else 0)
                    cols["activity"].append(attrs.get("concept:name"))
                    cols["timestamp"].append(attrs.get("time:timestamp"))
                    cols["lifecycle"].append(attrs.get("lifecycle:transition"))
                    for k in keep:
                        cols[_col(k)].append(attrs.get(k))
                    el.clear()
                elif tag == "trace":
                    for c in el:
                        if c.tag.rpartition("}")[2] == "string" and c.get("key") == "concept:name":
                            case_of_trace[trace] = c.get("value")
                    depth_trace = False
                    el.clear()
                    if root is not None:
                        root.clear()
    except ET.ParseError as exc:
        raise LogError(f"{path.name}: not well-formed XML: {exc}") from exc
    except (OSError, EOFError) as exc:
        raise LogError(f"{path.name}: cannot read: {exc}") from exc
    if root is None or root.tag.rpartition("}")[2] != "log":
        raise LogError(f"{path.name}: not an XES log (the root element is not <log>)")
    df = pd.DataFrame(cols)
    df.insert(1, "case_id", pd.Series(np.array(case_of_trace, dtype=object)[df["trace"].to_numpy(int)], dtype="string"))
    for c in df.columns:
        if c != "trace":
            df[c] = df[c].astype("string")
    return df


def read_xes(path: str | Path, mapping: XesMapping = SEPSIS_MAPPING) -> AdtRead:
    """An XES event log (gzip or plain XML) as an ADT log, through ``mapping`` (default: the Sepsis log).

    Per case (trace), in file order (not re-sorted by time: a stay whose events are out
    of time order is then rejected as ``end before start``), each *enter* event starts a
    stay that ends at the case's next enter or leave event, or stays open (end NaT) when
    there is none. ``patient_id`` is the case id; ``encounter_id`` is ``<case>-<k>``, a new
    encounter starting at an action with ``new_encounter``, at the case's first entry
    and at any entry after a leave. ``arrival_source`` of a later stay is the previous
    stay's unit. Extra stay columns: the kept attributes of the entering event,
    ``activity`` (the entering activity) and ``last_event_at`` (the latest time stamp of
    the case's events during the stay: for an open stay, the last time the patient was
    seen, a censoring time).

    ``read`` counts ``<event>`` elements and ``rejects.row`` is their 1-based number in
    the file. Every event is *used* (it starts a used stay, or ends one), *ignored* with
    a reason (no unit change; before the first entry; while outside the hospital;
    another lifecycle transition) or *rejected*: stays failing the checks of the module
    docstring, a leave while not in a unit, a leave ending a rejected stay, events of a
    case that never enters a unit (no pathway) or outside any trace.

    The steps: parse the events (:func:`_xes_events`), what each does (:func:`_xes_kinds`),
    mark the events that make no stay (:meth:`_XesEvents.mark_non_stays`), build the stays
    (:func:`_xes_stays`), run the stay checks, mark the stays and the leaves that end them
    (:meth:`_XesEvents.mark_stays`).
    """
    p = Path(path)
    if not p.is_file():
        raise LogError(f"{p}: no such file")
    keep = tuple(mapping.keep_attributes)
    ev = _xes_events(p, keep)
    n = len(ev)
    rows = np.arange(1, n + 1, dtype=np.int64)
    kind, other_lc = _xes_kinds(ev, mapping)
    marks = _XesEvents(ev, kind)
    has_entry = marks.mark_non_stays(other_lc, mapping.lifecycle)
    x = _xes_stays(ev, mapping, kind, marks, has_entry)
    checked = _validate(x.frame, rows[x.stay_ev], x.frame.drop(columns=["last_event_at"]))
    marks.mark_stays(checked, rows, x)
    status = marks.status
    assert not pd.isna(status).any(), "an XES event was left unaccounted for"

    stays, _ = _assemble(checked, rows[x.stay_ev], x.frame)
    out_rows = np.flatnonzero(status != "used")
    original = ev.drop(columns=["trace"]).copy()
    original.insert(1, "event_in_case", ev.groupby("trace").cumcount() + 1)
    rejects = _reject_frame(
        rows[out_rows], marks.reason[out_rows], marks.detail[out_rows], original.iloc[out_rows], kind=status[out_rows]
    )
    n_ignored = int((status == "ignored").sum())
    n_rejected = int((status == "rejected").sum())
    notes = list(checked.notes)
    n_open = int(stays["end"].isna().sum())
    if n_open:
        notes.append(f"{n_open} stays have no end (no later unit change in their case): right-censored")
    return AdtRead(
        stays=stays,
        rejects=rejects,
        read=n,
        used=int((status == "used").sum()),
        rejected=n_rejected,
        ignored=n_ignored,
        source=str(p),
        source_format="xes",
        sha256=(digest := _sha256(p)),
        inputs={str(p): digest},
        timezone=checked.timezone,
        dates_shifted=mapping.dates_shifted,
        concurrency_reliable=mapping.concurrency_reliable,
        notes=notes,
    )


def _xes_kinds(ev: pd.DataFrame, mapping: XesMapping) -> tuple[pd.Series, np.ndarray]:
    """Per event, ``enter``, ``leave`` or missing (no unit change, or another lifecycle transition), and the
    mask of events with another lifecycle transition than the mapping's."""
    n = len(ev)
    kind = ev["activity"].map(lambda a: mapping.actions[a].kind if a in mapping.actions else None)
    if mapping.lifecycle is not None:
        other_lc = ev["lifecycle"].notna().to_numpy() & (ev["lifecycle"] != mapping.lifecycle).fillna(False).to_numpy()
    else:
        other_lc = np.zeros(n, bool)
    return kind.where(~other_lc, None), other_lc


class _XesEvents:
    """The events of an XES log with what became of each: ``status`` (``used``, ``ignored``, ``rejected``),
    ``reason`` and ``detail``. An event keeps the first status it is given."""

    def __init__(self, ev: pd.DataFrame, kind: pd.Series):
        n = len(ev)
        self.ev = ev
        self.kind = kind
        self.trace = ev["trace"].to_numpy(np.int64)
        self.is_enter = (kind == "enter").fillna(False).to_numpy(bool)
        self.is_leave = (kind == "leave").fillna(False).to_numpy(bool)
        self.is_action = self.is_enter | self.is_leave
        self.status = np.full(n, None, dtype=object)
        self.reason = np.full(n, None, dtype=object)
        self.detail = np.full(n, None, dtype=object)

    def mark(self, mask, st, why, what=None) -> None:
        sel = mask & pd.isna(self.status)
        self.status[sel] = st
        self.reason[sel] = why
        if what is not None:
            self.detail[sel] = what[sel] if isinstance(what, np.ndarray) else what

    def mark_non_stays(self, other_lc: np.ndarray, lifecycle: str | None) -> np.ndarray:
        """Reject or ignore every event that cannot start or end a stay; returns whether each event's case
        ever enters a unit."""
        trace, is_action = self.trace, self.is_action
        self.mark(trace == 0, "rejected", "event outside a trace")
        self.mark(self.ev["case_id"].isna().to_numpy(), "rejected", "trace without a case id")
        has_entry = pd.Series(self.is_enter).groupby(trace).transform("any").to_numpy(bool)
        self.mark(~has_entry, "rejected", "case never enters a unit (no pathway)")

        # state before each event: the last action of its case so far (None, enter or leave)
        act = pd.Series(np.where(is_action, self.kind.to_numpy(object), None), dtype="object")
        state_after = act.groupby(trace).ffill()
        state_before = state_after.groupby(trace).shift(1).to_numpy(object)
        none_yet = pd.isna(state_before)
        self.mark(other_lc, "ignored", f"lifecycle transition is not {lifecycle!r}")
        self.mark(
            self.is_leave & (none_yet | (state_before == "leave")),
            "rejected",
            "leave while not in a unit",
            np.where(none_yet, "before any unit entry", "after an earlier leave"),
        )
        self.mark(~is_action & none_yet, "ignored", "event before the first unit entry")
        self.mark(~is_action & (state_before == "leave"), "ignored", "event while outside the hospital")
        self.mark(~is_action, "ignored", "event without a unit change")
        return has_entry

    def mark_stays(self, checked: _Checked, rows: np.ndarray, x: _XesStays) -> None:
        """Each entering event as its stay fared in the checks; a leave is used when it ends a used stay
        (enter events also end the previous stay; nothing more to mark: their status is their own stay's)."""
        stay_ok = pd.isna(checked.reason)
        self.status[x.stay_ev] = np.where(stay_ok, "used", "rejected")
        self.reason[x.stay_ev] = checked.reason
        self.detail[x.stay_ev] = checked.detail
        L = x.end_ev[x.ends_with_leave]
        ok_end = stay_ok[x.ends_with_leave]
        self.status[L[ok_end]] = "used"
        self.status[L[~ok_end]] = "rejected"
        self.reason[L[~ok_end]] = "leave ends a rejected stay"
        self.detail[L[~ok_end]] = [f"stay of row {r}" for r in rows[x.stay_ev[x.ends_with_leave][~ok_end]]]


@dataclass
class _XesStays:
    frame: pd.DataFrame  # one row per entering event: the contract columns (as text), kept attributes, activity
    stay_ev: np.ndarray  # the entering event of each stay
    end_ev: np.ndarray  # the event that ends it (the case's next action), -1 when open
    ends_with_leave: np.ndarray  # the stay ends with a leave event


def _xes_stays(
    ev: pd.DataFrame, mapping: XesMapping, kind: pd.Series, marks: _XesEvents, has_entry: np.ndarray
) -> _XesStays:
    """One stay per enter event of a case with a pathway: to the case's next action, with its encounter
    (numbered per case), arrival source, discharge destination and last event time."""
    trace, is_enter, is_leave, is_action = marks.trace, marks.is_enter, marks.is_leave, marks.is_action
    A = np.flatnonzero(is_action & (trace > 0) & has_entry & ev["case_id"].notna().to_numpy())
    at = trace[A]
    nxt_same = np.r_[at[1:] == at[:-1], False]
    nxt = np.r_[A[1:], -1]
    prev_same = np.r_[False, at[1:] == at[:-1]]
    prev = np.r_[-1, A[:-1]]
    E = is_enter[A]
    stay_ev = A[E]
    end_ev = np.where(nxt_same[E], nxt[E], -1)
    ends_with_leave = (end_ev >= 0) & is_leave[np.maximum(end_ev, 0)]
    act_of = [mapping.actions[a] for a in ev["activity"].to_numpy(object)[stay_ev]]
    prev_kind = np.where(prev_same[E], np.array(kind.to_numpy(object))[np.maximum(prev[E], 0)], None)
    new_enc = np.array([x.new_encounter for x in act_of], bool) | pd.isna(prev_kind) | (prev_kind == "leave")
    enc_no = pd.Series(new_enc.astype(int)).groupby(trace[stay_ev]).cumsum().to_numpy()
    case = ev["case_id"].to_numpy(object)[stay_ev]
    unit = np.array([x.unit for x in act_of], dtype=object)
    prev_unit = np.r_[[None], unit[:-1]]
    arrival = np.where(new_enc, np.array([x.arrival_source for x in act_of], dtype=object), prev_unit)
    dest = np.full(len(stay_ev), None, dtype=object)
    if ends_with_leave.any():
        leaving = ev["activity"].to_numpy(object)[end_ev[ends_with_leave]]
        dest[ends_with_leave] = [mapping.actions[a].destination for a in leaving]
    ts = ev["timestamp"].to_numpy(object)
    end_raw = np.where(end_ev >= 0, ts[np.maximum(end_ev, 0)], None)

    # the latest time stamp seen while in each stay (events between the entry and the next action)
    seg = pd.Series(is_action.astype(int)).groupby(trace).cumsum().to_numpy()
    tparsed = pd.to_datetime(ev["timestamp"].str.strip(), format="ISO8601", utc=True, errors="coerce")
    tparsed = tparsed.dt.tz_localize(None).astype(_TS)
    last_seen = pd.Series(tparsed.to_numpy()).groupby([trace, seg]).transform("max").to_numpy()

    frame = pd.DataFrame(
        {
            "patient_id": pd.Series(case, dtype="string"),
            "unit": pd.Series(unit, dtype="string"),
            "start": pd.Series(ts[stay_ev], dtype="string"),
            "end": pd.Series(end_raw, dtype="string"),
            "encounter_id": pd.Series([f"{c}-{k}" for c, k in zip(case, enc_no, strict=True)], dtype="string"),
            "patient_class": pd.Series(mapping.patient_class, index=range(len(stay_ev)), dtype="string"),
            "arrival_source": pd.Series(arrival, dtype="string"),
            "discharge_destination": pd.Series(dest, dtype="string"),
        }
    )
    for k in map(_col, mapping.keep_attributes):
        frame[k] = pd.Series(ev[k].to_numpy(object)[stay_ev], dtype="string")
    frame["activity"] = pd.Series(ev["activity"].to_numpy(object)[stay_ev], dtype="string")
    frame["last_event_at"] = last_seen[stay_ev]
    return _XesStays(frame, stay_ev, end_ev, ends_with_leave)


# ----------------------------------------------------------------------------- any log

#: Log formats :func:`read_log` knows (``auto``: by the path, see :func:`detect_format`).
FORMATS = ("auto", "adt", "mimic-iv", "xes")


def detect_format(path: str | Path, fmt: str = "auto") -> str:
    """The format of the log at ``path``: ``fmt`` itself unless it is ``auto``, else by the path.

    A folder is MIMIC-IV, ``.xes``/``.xes.gz`` is XES, ``.csv``/``.csv.gz``/``.parquet``/``.pq``
    is the canonical ADT log. Raises :class:`LogError` for an unknown ``fmt`` or a name that
    tells nothing (the message names the command line's ``--format``, where users meet it).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise LogError(f"format: expected one of {', '.join(FORMATS)}, got '{fmt}'")
    if fmt != "auto":
        return fmt
    name = path.name.lower()
    if path.is_dir():
        return "mimic-iv"
    if name.endswith(".xes") or name.endswith(".xes.gz"):
        return "xes"
    if name.endswith((".csv", ".csv.gz", ".parquet", ".pq")):
        return "adt"
    raise LogError(
        f"{path}: cannot tell the log's format from its name (a folder is MIMIC-IV, .xes/.xes.gz is XES, "
        ".csv/.csv.gz/.parquet is the ADT log); give --format"
    )


def read_log(
    path: str | Path,
    fmt: str = "auto",
    *,
    group_units: bool = True,
    rep: int | str | None = None,
    scenario: str | None = None,
) -> AdtRead:
    """Read one log of any known format (:data:`FORMATS`) into an :class:`AdtRead`.

    ``group_units``: for MIMIC-IV, group careunits with :data:`MIMIC_UNIT_GROUPS` (else keep
    them). ``rep``, ``scenario``: the replication and scenario to keep from an ADT log that stacks
    several (:func:`read_adt`; a stacked log with none chosen is refused: a calibration must fit
    one hospital). Units and patient classes a scenario could not name (``Ward 3``) are made plain
    names (``Ward_3``), listed in ``notes``. Raises :class:`LogError` when the format cannot be told, the path does not
    exist or the log cannot be read, :class:`MixedLogError` for several replications or
    scenarios and none chosen.
    """
    path = Path(path)
    kind = detect_format(path, fmt)
    if not path.exists():
        raise LogError(f"{path}: no such file or folder")
    if kind != "adt" and (rep is not None or scenario is not None):
        option = "--rep" if rep is not None else "--scenario"
        raise LogError(f"{path}: {option} applies to an ADT log (CSV or Parquet with a 'rep'/'scenario' column)")
    if kind == "adt":
        read = read_adt(path, rep=rep, scenario=scenario, refuse_stacked=True)
    elif kind == "mimic-iv":
        read = read_mimic_iv(path, MIMIC_UNIT_GROUPS if group_units else None)
    else:
        read = read_xes(path)
    return _plain_names(read)


def combine_reads(reads: Sequence[AdtRead]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(stays, rejects) of several reads: the stays one after another, the rejects with a first column
    ``source`` (the log each came from)."""
    stays = pd.concat([r.stays for r in reads], ignore_index=True) if len(reads) > 1 else reads[0].stays
    rejects = []
    for r in reads:
        rej = r.rejects.copy()
        rej.insert(0, "source", r.source)
        rejects.append(rej)
    return stays, pd.concat(rejects, ignore_index=True)


def write_adt_csv(log: pd.DataFrame, path: str | Path) -> Path:
    """Write an event log as the canonical ADT CSV :func:`read_adt` reads (times ISO 8601 to the second).

    For a log made in memory (a simulated one) that should be read like any other: the read
    records its rows, rejects and SHA-256. Never called on a file that was read.
    """
    p = Path(path)
    log.to_csv(p, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    return p
