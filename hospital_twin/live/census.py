"""Census snapshots: who is in which bed at a given moment (CONTRACTS section 6).

A snapshot is a table with one row per patient in a bed::

    patient_id, unit, unit_start[, patient_class, admitted_at]

``unit_start`` is when the patient entered its current unit, ``admitted_at`` when its
encounter (hospital spell) began. Optional extras: ``ready_to_leave`` (the patient's stay
is over: it waits for a bed elsewhere or for the discharge hour), ``next_unit`` (where
such a patient is going: a unit, or ``exit`` for home), ``pathway`` (the discharge pathway such a
patient waits for in its bed, not meeting the criteria to reside: NCTR) and patients not yet in a bed: a
row with an empty ``unit_start`` and a ``waiting_since`` is a patient waiting (from
outside the hospital) for a bed in ``unit`` since then. A live twin reads one from the hospital's bed
management system (``read_census``) and starts the simulator from it
(``hospital_twin.live.forecast``); for tests and back-tests, ``census_at`` takes one from an
event log (CONTRACTS section 4), real or simulated, and ``census_counts`` counts the
patients per unit at many moments (the "actuals" a forecast is scored against).

Errors in a snapshot are reported all at once, each with its file, line and field
(:class:`CensusError`, a :class:`~hospital_twin.scenario.ScenarioError`, so the command
line reports it as invalid input with exit status 2). ``census_at``/``census_counts``
are pure (DataFrames in and out); ``read_census`` is the only function that reads a file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hospital_twin.scenario.errors import Issue, ScenarioError
from hospital_twin.scenario.schema import EXIT, Scenario

__all__ = [
    "select_requests",
    "SNAPSHOT_COLUMNS",
    "READY_COLUMN",
    "NEXT_COLUMN",
    "PATHWAY_COLUMN",
    "PATHWAY_SPELLING",
    "SEEN_COLUMN",
    "WAITING_COLUMN",
    "SOURCE_COLUMN",
    "EXIT_NAME",
    "REQUIRED_COLUMNS",
    "CensusError",
    "census_at",
    "census_counts",
    "outliers_at",
    "vacated_beds",
    "read_census",
    "read_requests",
    "read_vacated",
    "validate_census",
]

SNAPSHOT_COLUMNS = ["patient_id", "unit", "unit_start", "patient_class", "admitted_at"]
"""Columns of a census snapshot, in order; the last two are optional in a file."""
READY_COLUMN = "ready_to_leave"
"""Optional extra column: when the patient's stay ended (medically ready, or a decision to admit in an
ED), if it has; such a patient is waiting for a bed elsewhere or for the discharge hour. Same name as
in the event log."""
NEXT_COLUMN = "next_unit"
"""Optional extra column: for a patient with ``ready_to_leave``, the unit it waits to move to, or
:data:`EXIT_NAME` when it goes home; empty when not known (the scenario's route is then drawn)."""
PATHWAY_COLUMN = "pathway"
"""Optional extra column: for a patient with ``ready_to_leave``, the discharge pathway (a name of the
scenario's ``discharge_pathways``, e.g. P2) it waits for in its bed since then (NCTR); empty: none
given. The forecast starts such a patient in the pathway's queue at its place by ready time."""
PATHWAY_SPELLING = re.compile(r"\s*(?:p|pathway)\s*[-_ ]?\s*[1-9]\s*")
"""A destination label that is a pathway without being told the scenario's names: P1..P9, ``pathway 3``
(not P0, home without support; other labels such as ``died`` or ``care home`` need the names)."""
SEEN_COLUMN = "seen_at"
"""Optional column for emergency department patients: when a clinician started the assessment;
empty = not seen yet. Same name as in the event log. Without the column an ED patient is taken
as already assessed."""
SOURCE_COLUMN = "arrival_source"
"""Optional extra column: where the patient came from (as in the event log). For a patient waiting
for a bed it tells a planned admission (which the scenario may cancel after a while) from others."""
WAITING_COLUMN = "waiting_since"
"""Optional extra column: when a patient not yet in a bed asked for one in ``unit`` (its
``unit_start`` is empty). Such rows are the queue, not the census: they never count as occupied beds."""
EXIT_NAME = EXIT
REQUIRED_COLUMNS = ["patient_id", "unit", "unit_start"]


class CensusError(ScenarioError):
    """A census snapshot that cannot be used; ``issues`` lists every problem (file, line, field, message).

    Lines are those of the CSV file: the header is line 1, the first patient line 2.
    """


# --------------------------------------------------------------------------- times
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _timestamp(value) -> pd.Timestamp:
    """A naive timestamp (wall-clock time; an offset, if given, is dropped after reading it)."""
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a timestamp: {value!r}")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _parse_times(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse ISO 8601 timestamps; returns the naive datetimes and a mask of unparseable non-empty cells."""
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        return out.astype("datetime64[ns]"), np.zeros(len(col), dtype=bool)
    text = col.astype("string").str.strip()
    empty = text.isna() | (text == "")
    parsed = []
    for v, e in zip(text.tolist(), empty.tolist(), strict=True):
        if e:
            parsed.append(pd.NaT)
            continue
        if not _ISO_DATE.match(v):
            parsed.append(pd.NaT)
            continue
        try:
            ts = pd.to_datetime(v, format="ISO8601")
            parsed.append(ts.tz_localize(None) if ts.tzinfo is not None else ts)
        except (ValueError, TypeError):
            parsed.append(pd.NaT)
    out = pd.Series(pd.to_datetime(pd.Series(parsed, dtype=object)), index=col.index).astype("datetime64[ns]")
    bad = (out.isna() & ~empty).to_numpy()
    return out, bad


# --------------------------------------------------------------------------- from an event log
def _select_rep(stays: pd.DataFrame, rep: int | None) -> pd.DataFrame:
    if "rep" not in stays.columns:
        if rep is not None:
            raise ValueError("rep= was given but the log has no 'rep' column")
        return stays
    if rep is None:
        reps = pd.unique(stays["rep"].dropna())
        if len(reps) > 1:
            raise ValueError(f"the log holds {len(reps)} replications; choose one with rep= (e.g. rep={reps[0]})")
        return stays
    out = stays[stays["rep"] == rep]
    if out.empty:
        raise ValueError(f"the log has no rows for rep={rep}")
    return out


def _log_times(stays: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    start, bad_s = _parse_times(stays["start"])
    end, bad_e = _parse_times(stays["end"])
    if bad_s.any() or bad_e.any():
        raise ValueError("the log has start/end values that are not ISO 8601 timestamps")
    return start, end


def outliers_at(stays: pd.DataFrame, at) -> pd.DataFrame:
    """Patients in another unit's bed for their home unit (outliers) at time ``at``: ``unit, home_unit, n``.

    Read from the log's ``home_unit`` column (the simulator writes it; empty otherwise). A warm
    start places every census patient in the unit it is in, with that unit's stay and route: an
    outlier is not recognised as one (no repatriation, no home stay), so callers say so.
    """
    cols = ["unit", "home_unit", "n"]
    if "home_unit" not in stays.columns or not len(stays):
        return pd.DataFrame(columns=cols)
    at = _timestamp(at)
    start = pd.to_datetime(stays["start"])
    end = pd.to_datetime(stays["end"])
    home = stays["home_unit"].astype("string").str.strip().replace("", pd.NA)
    here = (start <= at) & (end.isna() | (end > at)) & home.notna()
    if not here.any():
        return pd.DataFrame(columns=cols)
    d = pd.DataFrame({"unit": stays.loc[here, "unit"].astype(str), "home_unit": home[here].astype(str)})
    return d.groupby(["unit", "home_unit"], sort=True).size().rename("n").reset_index()


def census_at(
    stays: pd.DataFrame,
    at,
    *,
    rep: int | None = None,
    waiting: bool = True,
    requests: pd.DataFrame | None = None,
    pathways: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The census snapshot at time ``at`` from an event log (one row per stay, CONTRACTS section 4).

    A stay is in the snapshot when ``start <= at < end`` (an empty ``end`` is still open).
    ``admitted_at`` is the start of the encounter's first stay (encounters by
    ``encounter_id`` where the log has it, else by ``patient_id``); ``patient_class`` is
    copied when the log has it (else empty). A log with a ``rep`` column holding several
    replications needs ``rep=``. Should a messy log put a patient in two units at once,
    the stay that began last is kept.

    What the bed manager knows at ``at`` comes along where the log has it: with
    ``ready_to_leave``, the readiness of patients already ready at ``at`` (later times are
    not known yet) and, for them, ``next_unit``: the unit of the encounter's next stay
    (the bed they wait for), ``exit`` if the encounter ends with this stay, empty if the
    log does not say. With ``ready_to_leave`` and ``discharge_destination``, ``pathway``: for
    a patient already ready at ``at``, the discharge pathway it waits for in its bed (NCTR), the
    stay's ``discharge_destination`` (the simulator's log names the pathway there from the
    moment the patient is ready): with ``pathways`` (e.g. the scenario's ``discharge_pathways``)
    those names, without it only labels that spell a pathway (:data:`PATHWAY_SPELLING`: P1, p2,
    pathway 3; not ``home``, ``died`` or P0) (the column comes only when some stay of the log has a
    pathway). With
    ``ready_at`` and ``waiting=True``, patients waiting at ``at``
    for their first bed (``ready_at <= at < start``, in no bed at ``at``) are added as
    rows with an empty ``unit_start`` and ``waiting_since = ready_at``.

    The log alone shows only the waiting patients who got a bed *later*: a request that
    was cancelled, or is still open when the log ends, has no stay. ``requests`` (the
    table of :func:`hospital_twin.results.unmet_requests`: ``patient_id, unit,
    patient_class, arrival_source, from_unit, ready_at, withdrawn_at``) adds the requests
    from outside that were open at ``at`` (``ready_at <= at`` and ``withdrawn_at`` empty or
    after ``at``), so the queue is the one the bed manager saw, not one selected by
    what happened next.

    Returns the columns of :data:`SNAPSHOT_COLUMNS` (then ``ready_to_leave``,
    ``next_unit``, ``pathway``, ``seen_at``, ``waiting_since``, ``arrival_source`` where the log
    allows), sorted by unit, unit_start, patient_id; waiting rows come last in their unit.
    """
    at = _timestamp(at)
    log = _LogAt.of(_select_rep(stays, rep).reset_index(drop=True), at)
    out = log.in_bed()
    cols = list(SNAPSHOT_COLUMNS)
    if READY_COLUMN in log.df.columns:
        log.add_ready_and_next(out)
        cols += [READY_COLUMN, NEXT_COLUMN]
        if log.add_pathway(out, pathways):
            cols.append(PATHWAY_COLUMN)
    if SEEN_COLUMN in log.df.columns:  # ED: seen by a clinician (a time after `at` is not known yet: not seen)
        log.add_seen(out)
        cols.append(SEEN_COLUMN)
    has_source = SOURCE_COLUMN in log.df.columns or (waiting and requests is not None)
    if has_source:
        out[SOURCE_COLUMN] = log.src[log.present].to_numpy()
    if waiting and ("ready_at" in log.df.columns or requests is not None):
        out = log.with_waiting(out, requests, rep, has_source)
        cols.append(WAITING_COLUMN)
    if has_source:
        out[SOURCE_COLUMN] = out[SOURCE_COLUMN] if SOURCE_COLUMN in out.columns else pd.NA
        out[SOURCE_COLUMN] = out[SOURCE_COLUMN].astype("string")
        cols.append(SOURCE_COLUMN)
    return _one_bed_each(out)[cols]


@dataclass
class _LogAt:
    """An event log read at time ``at``: its columns as text and times, and who is in a bed then."""

    df: pd.DataFrame
    at: pd.Timestamp
    start: pd.Series
    end: pd.Series
    present: np.ndarray
    pid: pd.Series
    enc: pd.Series
    unit: pd.Series
    cls: pd.Series
    src: pd.Series

    @classmethod
    def of(cls, df: pd.DataFrame, at: pd.Timestamp) -> _LogAt:
        start, end = _log_times(df)
        pid = df["patient_id"].astype("string")
        enc = (df["encounter_id"].astype("string") if "encounter_id" in df.columns else pid).fillna(pid)
        klass = (
            df["patient_class"].astype("string")
            if "patient_class" in df.columns
            else pd.Series(pd.NA, index=df.index, dtype="string")
        )
        src = (
            _blank_to_na(df[SOURCE_COLUMN])
            if SOURCE_COLUMN in df.columns
            else pd.Series(pd.NA, index=df.index, dtype="string")
        )
        present = ((start <= at) & (end.isna() | (end > at))).to_numpy()
        return cls(df, at, start, end, present, pid, enc, df["unit"].astype("string"), klass, src)

    def in_bed(self) -> pd.DataFrame:
        """One row per stay open at ``at``; ``admitted_at`` is the encounter's first start."""
        p, began = self.present, (self.start <= self.at).to_numpy()
        first = pd.Series(self.start[began].to_numpy(), index=self.enc[began].to_numpy()).groupby(level=0).min()
        out = pd.DataFrame(
            {
                "patient_id": self.pid[p].to_numpy(),
                "unit": self.unit[p].to_numpy(),
                "unit_start": self.start[p].to_numpy(),
                "patient_class": self.cls[p].to_numpy(),
                "admitted_at": first.reindex(self.enc[p].to_numpy()).to_numpy(),
            }
        )
        return out.astype({"patient_id": "string", "unit": "string", "patient_class": "string"})

    def add_ready_and_next(self, out: pd.DataFrame) -> None:
        """``ready_to_leave`` where known at ``at``, and ``next_unit``: the encounter's next stay, or exit.

        A next stay as an outlier (the log's ``home_unit`` names another unit) counts as its home unit: that is
        the bed the patient waits for (the route's next unit); where it lands is decided when a bed is found."""
        ready, bad = _parse_times(self.df[READY_COLUMN])
        known = (ready <= self.at).to_numpy() & ~bad
        p = self.present
        out[READY_COLUMN] = np.where(known[p], ready.to_numpy()[p], np.datetime64("NaT")).astype("datetime64[ns]")
        order = np.lexsort((self.start.to_numpy(), self.enc.to_numpy()))
        nxt = np.full(len(self.df), None, dtype=object)
        same = self.enc.to_numpy()[order][1:] == self.enc.to_numpy()[order][:-1]
        target = self.unit.to_numpy()
        if "home_unit" in self.df.columns:
            home = _blank_to_na(self.df["home_unit"].astype("string"))
            target = np.where(home.notna().to_numpy(dtype=bool), home.to_numpy(dtype=object), target)
        nxt[order[:-1][same]] = target[order][1:][same]
        closed = self.end.notna().to_numpy()
        nxt[(nxt == None) & closed] = EXIT_NAME  # noqa: E711 - elementwise on an object array
        out[NEXT_COLUMN] = pd.array(np.where(known[p], nxt[p], None), dtype="string")

    def add_pathway(self, out: pd.DataFrame, names: Iterable[str] | None) -> bool:
        """``pathway``: for a patient ready at ``at``, its stay's ``discharge_destination`` when that is a pathway.

        Added (True) only when some stay of the log has a pathway as its destination, so a log without
        pathways gives the snapshot it gave before."""
        if "discharge_destination" not in self.df.columns:
            return False
        dest = _blank_to_na(self.df["discharge_destination"])
        if names is None:
            ok = dest.str.fullmatch(PATHWAY_SPELLING.pattern, case=False)
        else:
            ok = dest.isin(list(names))
        ok = ok.fillna(False).to_numpy(dtype=bool) & dest.notna().to_numpy(dtype=bool)
        if not ok.any():
            return False
        p = self.present
        known = out[READY_COLUMN].notna().to_numpy()
        out[PATHWAY_COLUMN] = pd.array(np.where(known & ok[p], dest.to_numpy(dtype=object)[p], None), dtype="string")
        return True

    def add_seen(self, out: pd.DataFrame) -> None:
        seen, bad = _parse_times(self.df[SEEN_COLUMN])
        known = (seen <= self.at).to_numpy() & ~bad
        p = self.present
        out[SEEN_COLUMN] = np.where(known[p], seen.to_numpy()[p], np.datetime64("NaT")).astype("datetime64[ns]")

    def with_waiting(
        self, out: pd.DataFrame, requests: pd.DataFrame | None, rep: int | None, has_source: bool
    ) -> pd.DataFrame:
        """``out`` and the patients waiting at ``at`` for a first bed (from the log's ``ready_at`` and ``requests``)."""
        inside = set(self.pid[self.present].tolist())
        frames = []
        if "ready_at" in self.df.columns:
            asked, bad = _parse_times(self.df["ready_at"])
            wait = ((asked <= self.at) & (self.start > self.at)).to_numpy() & ~bad & ~self.pid.isin(inside).to_numpy()
            frames.append(
                pd.DataFrame(
                    {
                        "patient_id": self.pid[wait].to_numpy(),
                        "unit": self.unit[wait].to_numpy(),
                        "patient_class": self.cls[wait].to_numpy(),
                        SOURCE_COLUMN: self.src[wait].to_numpy(),
                        WAITING_COLUMN: asked[wait].to_numpy(),
                    }
                )
            )
        if requests is not None:
            frames.append(
                _open_requests(_requests_of_rep(requests, rep, self.df), self.at, inside, self.df, self.start)
            )
        w = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(w):
            w = w.assign(
                unit_start=pd.Series(pd.NaT, index=w.index, dtype="datetime64[ns]"),
                admitted_at=pd.Series(pd.NaT, index=w.index, dtype="datetime64[ns]"),
            )
            w[WAITING_COLUMN] = w[WAITING_COLUMN].astype("datetime64[ns]")
            w = w.sort_values(WAITING_COLUMN, kind="stable").drop_duplicates("patient_id", keep="first")
            if not has_source:
                w = w.drop(columns=SOURCE_COLUMN)
            out = pd.concat(
                [out, w.astype({"patient_id": "string", "unit": "string", "patient_class": "string"})],
                ignore_index=True,
            )
        else:
            out[WAITING_COLUMN] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        out[WAITING_COLUMN] = out[WAITING_COLUMN].astype("datetime64[ns]")
        return out


def _one_bed_each(out: pd.DataFrame) -> pd.DataFrame:
    """Times typed; a patient in two beds at once keeps the stay that began last; sorted by unit, start, id."""
    for c in (READY_COLUMN, SEEN_COLUMN):
        if c in out.columns:
            out[c] = out[c].astype("datetime64[ns]")
    in_bed = out["unit_start"].notna()
    beds = out[in_bed].sort_values("unit_start", kind="stable").drop_duplicates("patient_id", keep="last")
    out = pd.concat([beds, out[~in_bed]]) if (~in_bed).any() else beds
    return out.sort_values(["unit", "unit_start", "patient_id"], kind="stable", ignore_index=True, na_position="last")


def select_requests(requests: pd.DataFrame, *, scenario: str | None = None, rep: str | None = None) -> pd.DataFrame:
    """The rows of a requests table (``requests.*`` of a run or compare) for one scenario and replication.

    ``rep`` is the replication of the log the snapshot is taken from (as text); without it a
    table holding several replications is refused (:class:`ValueError`), since nothing says
    which one belongs to the log. The ``rep`` column is dropped.
    """
    req = requests
    if "scenario" in req.columns and scenario is not None:
        req = req[(req["scenario"].astype("string") == scenario).fillna(False).to_numpy(dtype=bool)]
    if "rep" in req.columns:
        if rep is None and req["rep"].nunique() > 1:
            raise ValueError("the requests table holds several replications but the log does not say which one it is")
        if rep is not None:
            req = req[(req["rep"].astype("string").str.strip() == rep).fillna(False).to_numpy(dtype=bool)]
        req = req.drop(columns="rep")
    return req


def _blank_to_na(col: pd.Series) -> pd.Series:
    """Text column with blank cells (as a CSV gives them) as missing."""
    text = col.astype("string").str.strip()
    return text.mask(text == "")


def _requests_of_rep(requests: pd.DataFrame, rep: int | None, stays: pd.DataFrame) -> pd.DataFrame:
    """The requests of the replication the snapshot is taken from (compared as text: a CSV gives '0', not 0)."""
    if "rep" not in requests.columns:
        return requests
    if rep is None and "rep" in stays.columns:
        reps = pd.unique(stays["rep"].dropna())
        rep = reps[0] if len(reps) == 1 else None
    values = requests["rep"].astype("string").str.strip()
    if rep is None:
        present = pd.unique(values.dropna())
        if len(present) > 1:
            raise ValueError(f"the requests table holds {len(present)} replications; choose one with rep=")
        return requests
    return requests[(values == str(rep)).fillna(False).to_numpy(dtype=bool)]


def _open_requests(
    requests: pd.DataFrame, at: pd.Timestamp, inside: set, stays: pd.DataFrame, stay_start: pd.Series
) -> pd.DataFrame:
    """Requests from outside open at ``at`` (asked by then, not yet withdrawn), as waiting rows.

    A request is open from ``ready_at`` until ``withdrawn_at`` (empty: still open), and never past the
    patient's next stay in that unit (a hand-made table may list a request that was met later); rows
    whose ``outcome`` says the request was met are left out.
    """
    missing = [c for c in ("patient_id", "unit", "ready_at") if c not in requests.columns]
    if missing:
        raise ValueError(f"the requests table lacks column(s) {', '.join(missing)}")
    requests = requests.reset_index(drop=True)
    pid = requests["patient_id"].astype("string")
    unit = requests["unit"].astype("string")
    asked, bad = _parse_times(requests["ready_at"])
    if "withdrawn_at" in requests.columns:
        gone, bad_gone = _parse_times(requests["withdrawn_at"])
    else:
        gone, bad_gone = pd.Series(pd.NaT, index=requests.index, dtype="datetime64[ns]"), np.zeros(len(requests), bool)
    # met later: the patient's first stay in the unit that began at or after the request closes it
    later = pd.DataFrame(
        {
            "patient_id": stays["patient_id"].astype("string").to_numpy(),
            "unit": stays["unit"].astype("string").to_numpy(),
            "_start": stay_start.to_numpy(),
        }
    )
    pairs = requests[["patient_id", "unit"]].astype("string").assign(_asked=asked.to_numpy(), _row=requests.index)
    met = pairs.merge(later, on=["patient_id", "unit"], how="inner")
    met = met[met["_start"] >= met["_asked"]].groupby("_row")["_start"].min()
    first_stay = pd.Series(pd.NaT, index=requests.index, dtype="datetime64[ns]")
    first_stay.loc[met.index] = met.to_numpy()
    gone = gone.where(gone.notna() & (first_stay.isna() | (gone <= first_stay)), first_stay)
    if "from_unit" in requests.columns:  # a patient waiting inside another unit is in the census there
        outside = _blank_to_na(requests["from_unit"]).isna().to_numpy(dtype=bool)
    else:
        outside = np.ones(len(requests), dtype=bool)
    unmet = (
        (~_blank_to_na(requests["outcome"]).isin(["admitted", "met"])).to_numpy(dtype=bool)
        if "outcome" in requests.columns
        else np.ones(len(requests), dtype=bool)
    )
    open_ = ((asked <= at) & (gone.isna() | (gone > at))).to_numpy() & ~bad & ~bad_gone & outside & unmet
    open_ &= ~pid.isin(inside).to_numpy()

    def col(name: str) -> np.ndarray:
        if name in requests.columns:
            return _blank_to_na(requests[name])[open_].to_numpy()
        return pd.array([pd.NA] * int(open_.sum()), dtype="string")

    return pd.DataFrame(
        {
            "patient_id": pid[open_].to_numpy(),
            "unit": unit[open_].to_numpy(),
            "patient_class": col("patient_class"),
            SOURCE_COLUMN: col(SOURCE_COLUMN),
            WAITING_COLUMN: asked[open_].to_numpy(),
        }
    )


def vacated_beds(stays: pd.DataFrame, at, *, rep: int | None = None, window_h: float = 24.0) -> pd.DataFrame:
    """Beds freed in the ``window_h`` hours up to ``at`` (``at - window_h < end <= at``): ``unit, vacated_at``.

    Every stay that ends frees its bed, which may then be cleaned before the next patient
    (the unit's turnaround); a bed manager sees such beds as not ready. The forecast decides
    from the time since each was vacated which are still being cleaned
    (``forecast(vacated=...)``).
    """
    at = _timestamp(at)
    df = _select_rep(stays, rep)
    _start, end = _log_times(df)
    m = ((end <= at) & (end > at - pd.Timedelta(hours=float(window_h)))).to_numpy(dtype=bool)
    return pd.DataFrame(
        {"unit": df["unit"].astype("string").to_numpy()[m], "vacated_at": end.to_numpy()[m]}
    ).sort_values(["unit", "vacated_at"], ignore_index=True)


def census_counts(
    stays: pd.DataFrame, times: Iterable, *, units: Iterable[str] | None = None, rep: int | None = None
) -> pd.DataFrame:
    """Patients per unit at each of ``times`` (``start <= t < end``): ``time, unit, census``.

    The observed series a forecast is scored against in a back-test. ``units`` fixes the
    units listed (zeros included); by default, every unit in the log.
    """
    df = _select_rep(stays, rep)
    start, end = _log_times(df)
    t = np.array([_timestamp(x).to_datetime64() for x in times], dtype="datetime64[ns]")
    unit_col = df["unit"].astype("string").to_numpy()
    names = list(units) if units is not None else sorted(pd.unique(unit_col).tolist())
    s = start.to_numpy(dtype="datetime64[ns]")
    e = end.to_numpy(dtype="datetime64[ns]")
    frames = []
    for name in names:
        m = unit_col == name
        ss = np.sort(s[m])
        ee = e[m]
        ee = np.sort(ee[~np.isnat(ee)])
        n = np.searchsorted(ss, t, side="right") - np.searchsorted(ee, t, side="right")
        frames.append(pd.DataFrame({"time": t, "unit": name, "census": n.astype(np.int64)}))
    if not frames:
        return pd.DataFrame(
            {
                "time": pd.Series(dtype="datetime64[ns]"),
                "unit": pd.Series(dtype="string"),
                "census": pd.Series(dtype=np.int64),
            }
        )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- validating a snapshot
def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}known: {', '.join(known)}"


def validate_census(
    df: pd.DataFrame,
    scenario: Scenario | None = None,
    now=None,
    *,
    source: str = "<census>",
) -> pd.DataFrame:
    """Check a snapshot and return it clean and typed, or raise :class:`CensusError` listing every problem.

    Checks: the required columns exist; every row has a patient_id, a unit and a
    unit_start (or, for a patient waiting for a bed, a waiting_since instead); timestamps
    are ISO 8601; no patient is listed twice; with ``scenario``, every unit and patient
    class exists and the class has a length of stay in that unit, and a next_unit is a
    unit or ``exit`` that the class's route from the unit allows; with ``now``, no
    unit_start (or admitted_at, ready_to_leave, waiting_since) is after it; admitted_at
    is not after unit_start, ready_to_leave not before it; next_unit only with
    ready_to_leave; a pathway is one of the scenario's ``discharge_pathways``, only with
    ready_to_leave and with no next_unit but exit. Other columns are kept as they are.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise CensusError(
            [
                Issue(source, 1, c, f"missing column (a census snapshot needs {', '.join(REQUIRED_COLUMNS)})")
                for c in missing
            ]
        )
    snap = _SnapshotRows.parse(df)
    check = _RowCheck(snap, scenario, _timestamp(now) if now is not None else None, source)
    issues = [issue for i in range(len(snap.df)) for issue in check.row(i)]
    if issues:
        raise CensusError(issues)
    return snap.typed()


@dataclass
class _SnapshotRows:
    """A snapshot's rows without blank lines, with their CSV lines, text cells and parsed times."""

    df: pd.DataFrame
    line: np.ndarray
    times: dict[str, tuple[pd.Series, np.ndarray]]  # column -> (parsed times, not-a-timestamp flags)

    @classmethod
    def parse(cls, df: pd.DataFrame) -> _SnapshotRows:
        df = df.reset_index(drop=True)
        line = np.arange(len(df)) + 2  # CSV line of each row (header is line 1)
        blank = np.ones(len(df), dtype=bool)
        for c in df.columns:
            blank &= (df[c].astype("string").str.strip().fillna("") == "").to_numpy(dtype=bool)
        df, line = df[~blank].reset_index(drop=True).copy(), line[~blank]  # blank lines in a file
        times = {}
        for col in ("unit_start", "admitted_at", READY_COLUMN, WAITING_COLUMN, SEEN_COLUMN):
            if col in df.columns:
                times[col] = _parse_times(df[col])
            else:
                times[col] = (pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]"), np.zeros(len(df), bool))
        return cls(df, line, times)

    def text(self, col: str) -> pd.Series:
        """Stripped text of ``col``, missing where empty (or where the column is absent)."""
        if col not in self.df.columns:
            return pd.Series(pd.NA, index=self.df.index, dtype="string")
        s = self.df[col].astype("string").str.strip()
        return s.mask(s == "")

    def typed(self) -> pd.DataFrame:
        """The rows with text and time columns typed, snapshot columns first."""
        df = self.df
        for col in ("patient_id", "unit", "patient_class"):
            df[col] = self.text(col)
        df["unit_start"] = self.times["unit_start"][0]
        df["admitted_at"] = self.times["admitted_at"][0]
        for col in (READY_COLUMN, WAITING_COLUMN, SEEN_COLUMN):
            if col in df.columns:
                df[col] = self.times[col][0]
        for col in (NEXT_COLUMN, PATHWAY_COLUMN, SOURCE_COLUMN):
            if col in df.columns:
                df[col] = self.text(col)
        rest = [c for c in df.columns if c not in SNAPSHOT_COLUMNS]
        return df[SNAPSHOT_COLUMNS + rest]


class _RowCheck:
    """The checks of :func:`validate_census` for one row at a time, in the order the issues are listed."""

    def __init__(self, snap: _SnapshotRows, scenario: Scenario | None, now_ts, source: str):
        self.snap, self.scenario, self.now, self.source = snap, scenario, now_ts, source
        self.pid, self.unit, self.cls, self.nxt, self.pathway = (
            snap.text(c) for c in ("patient_id", "unit", "patient_class", NEXT_COLUMN, PATHWAY_COLUMN)
        )
        self.pathways = list(scenario.discharge_pathways) if scenario is not None else []
        self.units = list(scenario.units) if scenario is not None else []
        self.classes = scenario.class_names() if scenario is not None else []
        self.first_line: dict[str, int] = {}

    def row(self, i: int) -> list[Issue]:
        self.i, self.ln, self.issues = i, int(self.snap.line[i]), []
        self.at = {col: (values.iloc[i], bool(flags[i])) for col, (values, flags) in self.snap.times.items()}
        self._patient()
        self._unit()
        self._start_and_waiting()
        self._class()
        self._admitted()
        self._ready()
        self._seen()
        self._next_unit()
        self._pathway()
        return self.issues

    def bad(self, field: str, message: str) -> None:
        self.issues.append(Issue(self.source, self.ln, field, message))

    def time(self, col: str):
        """The row's parsed ``col`` and whether its cell was not a timestamp (read once per row in :meth:`row`)."""
        return self.at[col]

    def raw(self, col: str) -> str:
        return f"not an ISO 8601 timestamp: '{self.snap.df[col].iloc[self.i]}'"

    def _patient(self) -> None:
        p = self.pid.iloc[self.i]
        if pd.isna(p):
            self.bad("patient_id", "missing patient_id")
        elif p in self.first_line:
            self.bad(
                "patient_id", f"patient '{p}' is already listed on line {self.first_line[p]} (one bed per patient)"
            )
        else:
            self.first_line[p] = self.ln

    def _unit(self) -> None:
        u = self.unit.iloc[self.i]
        if pd.isna(u):
            self.bad("unit", "missing unit")
        elif self.scenario is not None and u not in self.scenario.units:
            self.bad("unit", f"unknown unit '{u}' ({_did_you_mean(u, self.units)})")

    def _start_and_waiting(self) -> None:
        start, bad_start = self.time("unit_start")
        ws, bad_wait = self.time(WAITING_COLUMN)
        if bad_start:
            self.bad("unit_start", self.raw("unit_start"))
        elif pd.isna(start):
            if pd.isna(ws) and not bad_wait:
                self.bad(
                    "unit_start", f"missing unit_start (for a patient still waiting for a bed, give {WAITING_COLUMN})"
                )
        elif self.now is not None and start > self.now:
            self.bad("unit_start", f"unit_start {start.isoformat()} is after now ({self.now.isoformat()})")
        if bad_wait:
            self.bad(WAITING_COLUMN, self.raw(WAITING_COLUMN))
        elif not pd.isna(ws):
            if not pd.isna(start) and not bad_start:
                self.bad(
                    WAITING_COLUMN,
                    f"{WAITING_COLUMN} is for patients not yet in a bed; leave it empty or leave unit_start empty",
                )
            elif self.now is not None and ws > self.now:
                self.bad(WAITING_COLUMN, f"{WAITING_COLUMN} {ws.isoformat()} is after now ({self.now.isoformat()})")

    def _class(self) -> None:
        c, u, scn = self.cls.iloc[self.i], self.unit.iloc[self.i], self.scenario
        if pd.isna(c) or scn is None:
            return
        if c not in self.classes:
            self.bad("patient_class", f"unknown patient class '{c}' ({_did_you_mean(c, self.classes)})")
        elif not pd.isna(u) and u in scn.units and scn.stay_for(c, u) is None and scn.units[u].ed is None:
            self.bad("patient_class", f"class '{c}' has no length of stay in unit '{u}', so it cannot be there")

    def _admitted(self) -> None:
        adm, bad_adm = self.time("admitted_at")
        start, _ = self.time("unit_start")
        if bad_adm:
            self.bad("admitted_at", self.raw("admitted_at"))
        elif not pd.isna(adm):
            if not pd.isna(start) and adm > start:
                self.bad("admitted_at", f"admitted_at {adm.isoformat()} is after unit_start {start.isoformat()}")
            elif self.now is not None and adm > self.now:
                self.bad("admitted_at", f"admitted_at {adm.isoformat()} is after now ({self.now.isoformat()})")

    def _ready(self) -> None:
        rdy, bad_ready = self.time(READY_COLUMN)
        start, _ = self.time("unit_start")
        ws, _ = self.time(WAITING_COLUMN)
        if bad_ready:
            self.bad(READY_COLUMN, self.raw(READY_COLUMN))
        elif not pd.isna(rdy):
            if not pd.isna(start) and rdy < start:
                self.bad(READY_COLUMN, f"{READY_COLUMN} {rdy.isoformat()} is before unit_start {start.isoformat()}")
            elif self.now is not None and rdy > self.now:
                self.bad(
                    READY_COLUMN,
                    f"{READY_COLUMN} {rdy.isoformat()} is after now ({self.now.isoformat()}); "
                    "leave it empty for patients not ready yet",
                )
            elif not pd.isna(ws):
                self.bad(
                    READY_COLUMN, f"a patient waiting for a bed (with {WAITING_COLUMN}) cannot be ready to leave it"
                )

    def _seen(self) -> None:
        seen, bad_seen = self.time(SEEN_COLUMN)
        start, _ = self.time("unit_start")
        if bad_seen:
            self.bad(SEEN_COLUMN, self.raw(SEEN_COLUMN))
        elif not pd.isna(seen):
            if not pd.isna(start) and seen < start:
                self.bad(SEEN_COLUMN, f"{SEEN_COLUMN} {seen.isoformat()} is before unit_start {start.isoformat()}")
            elif self.now is not None and seen > self.now:
                self.bad(
                    SEEN_COLUMN,
                    f"{SEEN_COLUMN} {seen.isoformat()} is after now ({self.now.isoformat()}); "
                    "leave it empty for patients not seen yet",
                )

    def _next_unit(self) -> None:
        v, c, u, scn = self.nxt.iloc[self.i], self.cls.iloc[self.i], self.unit.iloc[self.i], self.scenario
        if pd.isna(v):
            return
        rdy, bad_ready = self.time(READY_COLUMN)
        if pd.isna(rdy) and not bad_ready:
            self.bad(NEXT_COLUMN, f"{NEXT_COLUMN} is only for patients with {READY_COLUMN}")
        elif scn is not None and v != EXIT_NAME and v not in scn.units:
            self.bad(NEXT_COLUMN, f"unknown unit '{v}' ({_did_you_mean(v, self.units + [EXIT_NAME])})")
        elif scn is not None and not pd.isna(c) and c in self.classes and not pd.isna(u) and u in scn.units:
            allowed = [d for d, p in (scn.routes_for(c).get(u) or {EXIT_NAME: 1.0}).items() if p > 0]
            if v not in allowed:
                self.bad(
                    NEXT_COLUMN, f"class '{c}' does not go from '{u}' to '{v}' (its route allows {', '.join(allowed)})"
                )

    def _pathway(self) -> None:
        v, scn = self.pathway.iloc[self.i], self.scenario
        if pd.isna(v):
            return
        rdy, bad_ready = self.time(READY_COLUMN)
        nxt = self.nxt.iloc[self.i]
        if pd.isna(rdy) and not bad_ready:
            self.bad(PATHWAY_COLUMN, f"{PATHWAY_COLUMN} is only for patients with {READY_COLUMN}")
        elif scn is not None and v not in scn.discharge_pathways:
            same = [n for n in self.pathways if n.lower() == v.lower()]  # P2 for p2: names are case-sensitive
            known = (
                (
                    f"did you mean '{same[0]}'? known: {', '.join(self.pathways)}"
                    if same
                    else _did_you_mean(v, self.pathways)
                )
                if self.pathways
                else "the scenario has no discharge_pathways; add them or leave the column empty"
            )
            self.bad(PATHWAY_COLUMN, f"unknown discharge pathway '{v}' ({known})")
        elif not pd.isna(nxt) and nxt != EXIT_NAME:
            self.bad(
                PATHWAY_COLUMN,
                f"a patient on a discharge pathway leaves the hospital: its {NEXT_COLUMN} must be "
                f"{EXIT_NAME} or empty, not '{nxt}'",
            )
        elif scn is not None and self._is_ed(self.unit.iloc[self.i]):
            self.bad(
                PATHWAY_COLUMN,
                f"'{self.unit.iloc[self.i]}' is an emergency department: discharge pathways are for patients "
                "leaving inpatient units (leave the cell empty)",
            )

    def _is_ed(self, unit: str) -> bool:
        spec = self.scenario.units.get(unit)
        return spec is not None and (spec.ed is not None or spec.kind == "ed")


def _read_table(path: Path, what: str, **csv_options) -> pd.DataFrame:
    """A CSV (every cell as text) or Parquet file (by suffix); unreadable or missing: :class:`CensusError`."""
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, **csv_options)
    except FileNotFoundError:
        raise CensusError([Issue(str(path), None, "", "no such file")]) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise CensusError([Issue(str(path), None, "", f"cannot read {what}: {exc}")]) from None


def read_census(path: str | Path, scenario: Scenario | None = None, now=None) -> pd.DataFrame:
    """Read a snapshot file (CSV, or Parquet by its suffix) and validate it (:func:`validate_census`)."""
    path = Path(path)
    df = _read_table(path, "the census snapshot", skip_blank_lines=False)
    return validate_census(df, scenario, now, source=str(path))


def read_requests(path: str | Path) -> pd.DataFrame:
    """Read an unmet-requests table (``requests.*`` of a results folder) for ``census_at(requests=)``.

    Needs ``patient_id, unit, ready_at``; ``withdrawn_at`` and ``from_unit`` are optional.
    Times with an offset are converted to UTC, as :func:`hospital_twin.calibration.adt.read_adt`
    does for the log. Every row with a missing id or unit, or a time that is not ISO 8601, is reported with its
    line and field (:class:`CensusError`); nothing is dropped silently.
    """
    path = Path(path)
    df = _read_table(path, "the requests table")
    need = ["patient_id", "unit", "ready_at"]
    issues = [
        Issue(str(path), 1, c, f"missing column (a requests table needs {', '.join(need)})")
        for c in need
        if c not in df.columns
    ]
    if issues:
        raise CensusError(issues)
    df = df.reset_index(drop=True)
    line = np.arange(len(df)) + 2
    for c in ("patient_id", "unit"):
        blank = (df[c].astype("string").str.strip().fillna("") == "").to_numpy(dtype=bool)
        issues += [Issue(str(path), int(ln), c, f"missing {c}") for ln in line[blank]]
    for c, required in (("ready_at", True), ("withdrawn_at", False)):
        if c not in df.columns:
            continue
        parsed, bad = _parse_times(df[c])
        if not pd.api.types.is_datetime64_any_dtype(df[c]):
            # a time with an offset is taken in UTC, as the log reader (read_adt) takes it
            text = df[c].astype("string").str.strip()
            aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False).to_numpy(dtype=bool) & ~bad
            if aware.any():
                utc = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce").dt.tz_localize(None)
                parsed = parsed.copy()
                parsed[aware] = utc.astype("datetime64[ns]").to_numpy()
        elif getattr(df[c].dt, "tz", None) is not None:
            parsed = df[c].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
        if required:
            bad = bad | parsed.isna().to_numpy()
        issues += [
            Issue(str(path), int(ln), c, f"not an ISO 8601 timestamp: '{df[c].iloc[i]}'")
            for i, ln in zip(np.flatnonzero(bad), line[bad], strict=True)
        ]
        df[c] = parsed
    if issues:
        raise CensusError(issues)
    return df


def read_vacated(path: str | Path, scenario: Scenario | None = None, now=None) -> pd.DataFrame:
    """Read a table of recently vacated beds (``unit, vacated_at``; what ``census --vacated`` writes).

    A bed manager who knows which beds are still being cleaned can list them here with the
    time their patient left. Every bad row (missing or unknown unit, a time that is not ISO
    8601 or after ``now``) is reported with its line and field (:class:`CensusError`).
    """
    path = Path(path)
    df = _read_table(path, "the vacated beds")
    issues = [
        Issue(str(path), 1, c, "missing column (vacated beds need unit, vacated_at)")
        for c in ("unit", "vacated_at")
        if c not in df.columns
    ]
    if issues:
        raise CensusError(issues)
    df = df.reset_index(drop=True)
    unit = _blank_to_na(df["unit"])
    at, bad = _parse_times(df["vacated_at"])
    now_ts = _timestamp(now) if now is not None else None
    units = list(scenario.units) if scenario is not None else []
    for i in range(len(df)):
        ln = i + 2
        u = unit.iloc[i]
        if pd.isna(u):
            issues.append(Issue(str(path), ln, "unit", "missing unit"))
        elif scenario is not None and u not in scenario.units:
            issues.append(Issue(str(path), ln, "unit", f"unknown unit '{u}' ({_did_you_mean(u, units)})"))
        if bad[i] or pd.isna(at.iloc[i]):
            issues.append(
                Issue(str(path), ln, "vacated_at", f"not an ISO 8601 timestamp: '{df['vacated_at'].iloc[i]}'")
            )
        elif now_ts is not None and at.iloc[i] > now_ts:
            issues.append(
                Issue(
                    str(path),
                    ln,
                    "vacated_at",
                    f"vacated_at {at.iloc[i].isoformat()} is after now ({now_ts.isoformat()})",
                )
            )
    if issues:
        raise CensusError(issues)
    return pd.DataFrame({"unit": unit.to_numpy(), "vacated_at": at.to_numpy()})
