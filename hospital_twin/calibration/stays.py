"""The stays every fit starts from: the prepared stays table, censored samples, Kaplan-Meier.

Owns :func:`prepare_stays` (the stays table of docs/schemas.md, section 1 -> one row per stay with
the derived columns every fitter uses), :class:`CensoredSample` (durations for a censored
likelihood) and the survival basics (:func:`kaplan_meier`, :func:`km_mean`, the
Kaplan-Meier distance, :func:`logrank_test`). The fitters, the bootstrap and the back-test
build on it; it imports none of them (only :mod:`hospital_twin.scenario.schema`).

Preparation (:func:`prepare_stays`)
    Stays are grouped by ``encounter_id`` (by ``patient_id`` where it is missing) and
    ordered by ``start``. Two stays in a row in the same unit are merged into one (bed
    moves inside a unit are not transfers). The log is observed until the latest time
    it contains (or ``observed_until``); an open stay is right-censored there, or at its
    ``last_event_at`` when the log has that column (the last time the patient was seen,
    as the XES reader gives it: a case whose events stop was not seen to stay until the
    log's end). With dates shifted per patient (``dates_shifted``), the log's end means
    nothing for a patient, so an open stay without ``last_event_at`` is censored at the
    latest time recorded for its own patient. A stay's
    *clinical end* is the next stay's ``ready_at`` when the log has it (the time the
    patient was ready to move; the rest of the stay is blocking, which the simulator
    adds by itself), else its ``end``. Stays shorter than one minute count as one
    minute. Rows without a start, or ending before they start, are left out and counted.
Censored samples (:func:`censored_sample`)
    Closed stays are exact, open ones right-censored; under a discharge-hour rule a stay
    ending in ``exit`` is interval-censored (ready at most 24 h before leaving, 72 h
    before a Monday departure for the share held over the weekend; see
    :mod:`hospital_twin.calibration.fit_discharges`).

Pure: DataFrames in, DataFrames and arrays out; no file access, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.scenario.schema import DEFAULT_CLASS, EXIT

__all__ = [
    "MIN_STAY_H",
    "CensoredSample",
    "kaplan_meier",
    "km_mean",
    "logrank_test",
    "prepare_stays",
]

MIN_STAY_H = 1.0 / 60.0
"""Stays shorter than one minute are counted as one minute (the likelihood needs x > 0)."""

_H = np.timedelta64(3600, "s")
_EPOCH = np.datetime64("1970-01-05T00:00:00", "ns")  # a Monday


def _hours(delta: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(pd.to_timedelta(delta) / pd.Timedelta(hours=1), dtype=float)


def _clock_h(ts: pd.Series) -> np.ndarray:
    ts = pd.to_datetime(ts)
    return (ts.dt.hour + ts.dt.minute / 60 + ts.dt.second / 3600).to_numpy(dtype=float)


# =========================================================================== preparation
_OPTIONAL_COLUMNS = ("encounter_id", "patient_class", "arrival_source", "discharge_destination", "ready_at")


def prepare_stays(stays: pd.DataFrame, observed_until: Any = None, *, dates_shifted: bool = False) -> pd.DataFrame:
    """The stays table with the derived columns every fitter uses.

    Returns one row per stay after merging self-loops, ordered by encounter and start,
    with ``encounter`` (the grouping key), ``patient_class`` (``general`` when absent),
    ``ready_to_leave`` (when the patient became medically ready to leave, where the log has it, else NaT),
    ``is_first``, ``is_last``, ``next_unit`` (``exit`` after a closed last stay, missing
    after an open one), ``seen_at`` (when a clinician first saw the patient, where the log has it),
    ``closed``, ``dur_h`` (to the clinical end; to the end of
    observation when open), ``blocked_h``, ``wait_h`` (start - ready_at), ``arrival``
    (ready_at of a first stay, else start). ``attrs`` holds ``observed_until``,
    ``counts`` (rows read, excluded with reasons, merged) and which optional columns
    the log had.

    The steps, in order (the module docstring gives the rules): :func:`_stay_frame`,
    :func:`_drop_unusable`, :func:`_close_open_stays_before_next`, :func:`_merge_self_loops`,
    :func:`_observation_end`, :func:`_add_derived_columns`.
    """
    if stays.attrs.get("hospital_twin_prepared"):
        return stays
    missing = [c for c in ("patient_id", "unit", "start", "end") if c not in stays.columns]
    if missing:
        raise ValueError(f"the stays table lacks the required column(s) {', '.join(missing)}")
    # A column counts as present when it holds at least one value (readers add absent optional columns empty).
    has = {c: c in stays.columns and bool(stays[c].notna().any()) for c in _OPTIONAL_COLUMNS}
    df = _stay_frame(stays, has)
    df, excluded = _drop_unusable(df)
    open_not_last = _close_open_stays_before_next(df)
    df, merged = _merge_self_loops(df)
    t_obs = _observation_end(df, observed_until, has)
    _add_derived_columns(df, t_obs, dates_shifted)
    df.attrs = {
        "hospital_twin_prepared": True,
        "observed_until": pd.Timestamp(t_obs),
        "has": has,
        "dates_shifted": bool(dates_shifted),
        "counts": {
            "rows_read": len(stays),
            "rows_excluded": sum(excluded.values()),
            "excluded_reasons": excluded,
            "rows_merged_self_loops": merged,
            "open_stays_closed_by_next": int(open_not_last.sum()),
            "stays": len(df),
            "open_stays": int((~df["closed"].to_numpy()).sum()),
            "encounters": int(df["is_first"].to_numpy().sum()),
            "patients": int(df["patient_id"].nunique()),
        },
    }
    return df


def _naive_ns(stays: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as naive ``datetime64[ns]`` (unparseable values -> NaT, time zones dropped)."""
    s = pd.to_datetime(stays[col], errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.astype("datetime64[ns]")


def _stay_frame(stays: pd.DataFrame, has: Mapping[str, bool]) -> pd.DataFrame:
    """The columns the preparation works on, one row per input row (``row`` = its position), in input order.

    ``encounter`` is ``encounter_id``, or ``patient:<patient_id>`` where it is missing; absent
    optional columns are filled (``patient_class`` with the default class, the others empty).
    """
    df = pd.DataFrame(
        {
            "row": np.arange(len(stays)),
            "patient_id": stays["patient_id"].astype("string").to_numpy(dtype=object),
            "unit": stays["unit"].astype("string").to_numpy(dtype=object),
            "start": _naive_ns(stays, "start").to_numpy(),
            "end": _naive_ns(stays, "end").to_numpy(),
        }
    )
    enc = df["patient_id"].astype(object)
    if has["encounter_id"]:
        e = stays["encounter_id"].astype("string").to_numpy(dtype=object)
        ok = pd.notna(e)
        enc = np.where(ok, e, "patient:" + df["patient_id"].astype(str).to_numpy())
    df["encounter"] = np.asarray(enc, dtype=object)
    pc = stays["patient_class"].astype("string").fillna(DEFAULT_CLASS) if has["patient_class"] else DEFAULT_CLASS
    df["patient_class"] = np.asarray(pc, dtype=object) if has["patient_class"] else DEFAULT_CLASS
    df["arrival_source"] = (
        stays["arrival_source"].astype("string").to_numpy(dtype=object) if has["arrival_source"] else None
    )
    df["discharge_destination"] = (
        stays["discharge_destination"].astype("string").to_numpy(dtype=object) if has["discharge_destination"] else None
    )
    df["ready_at"] = _naive_ns(stays, "ready_at").to_numpy() if has["ready_at"] else pd.NaT
    has_seen = "last_event_at" in stays.columns and bool(stays["last_event_at"].notna().any())
    df["last_event_at"] = _naive_ns(stays, "last_event_at").to_numpy() if has_seen else pd.NaT
    # when a clinician first saw the patient (an ED's log; the simulator writes it): the ED's clinician stage
    has_clinician = "seen_at" in stays.columns and bool(stays["seen_at"].notna().any())
    df["seen_at"] = _naive_ns(stays, "seen_at").to_numpy() if has_clinician else pd.NaT
    # when the patient became medically ready to leave (optional; the discharge pathways' NCTR time starts there)
    has_ready = "ready_to_leave" in stays.columns and bool(stays["ready_to_leave"].notna().any())
    df["ready_to_leave"] = _naive_ns(stays, "ready_to_leave").to_numpy() if has_ready else pd.NaT
    return df


def _drop_unusable(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows without a patient or unit, without a start, or ending before they start, left out and counted by
    reason; the rest ordered by encounter, start, end and input row."""
    excluded: dict[str, int] = {}
    bad_unit = df["unit"].isna() | df["patient_id"].isna()
    no_start = df["start"].isna() & ~bad_unit
    backwards = (df["end"] < df["start"]) & ~no_start & ~bad_unit
    reasons = (("no patient or unit", bad_unit), ("no start", no_start), ("ends before it starts", backwards))
    for reason, mask in reasons:
        if mask.any():
            excluded[reason] = int(mask.sum())
    df = df[~(bad_unit | no_start | backwards)]
    df = df.sort_values(["encounter", "start", "end", "row"], kind="stable", ignore_index=True)
    return df, excluded


def _close_open_stays_before_next(df: pd.DataFrame) -> np.ndarray:
    """An open stay followed by another stay of the same encounter ended when the next began (in place).

    Returns the mask of the stays so closed.
    """
    enc_arr = df["encounter"].to_numpy()
    same_next = np.zeros(len(df), bool)
    same_next[:-1] = enc_arr[:-1] == enc_arr[1:]
    start_next = np.empty(len(df), dtype="datetime64[ns]")
    start_next[:-1] = df["start"].to_numpy()[1:]
    start_next[-1:] = np.datetime64("NaT")
    open_not_last = df["end"].isna().to_numpy() & same_next
    if open_not_last.any():
        end = df["end"].to_numpy().copy()
        end[open_not_last] = start_next[open_not_last]
        df["end"] = end
    return open_not_last


def _merge_self_loops(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Consecutive stays of one encounter in the same unit become one stay (bed moves inside a unit are not
    transfers): the first row, with the last row's end, destination and last event. Returns the stays (with
    ``rows_merged``, the input rows behind each) and how many rows were merged away."""
    enc_arr = df["encounter"].to_numpy()
    unit_arr = df["unit"].to_numpy()
    new_group = np.ones(len(df), bool)
    new_group[1:] = (enc_arr[1:] != enc_arr[:-1]) | (unit_arr[1:] != unit_arr[:-1])
    merged = int((~new_group).sum())
    if merged:
        gid = np.cumsum(new_group) - 1
        first = np.flatnonzero(new_group)
        last = np.r_[first[1:] - 1, len(df) - 1]
        out = df.iloc[first].reset_index(drop=True)
        out["end"] = df["end"].to_numpy()[last]
        out["discharge_destination"] = df["discharge_destination"].to_numpy()[last]
        out["last_event_at"] = df["last_event_at"].to_numpy()[last]
        out["ready_to_leave"] = df["ready_to_leave"].to_numpy()[last]
        out["rows_merged"] = np.bincount(gid)
        df = out
    else:
        df["rows_merged"] = 1
    return df, merged


def _observation_end(df: pd.DataFrame, observed_until: Any, has: Mapping[str, bool]) -> pd.Timestamp:
    """``observed_until`` (naive), or else the latest start, end or ready_at in the log."""
    if observed_until is None:
        cands = [df["start"].max(), df["end"].max()]
        if has["ready_at"]:
            cands.append(df["ready_at"].max())
        return max(c for c in cands if pd.notna(c))
    t_obs = pd.Timestamp(observed_until)
    if t_obs.tzinfo is not None:
        t_obs = t_obs.tz_localize(None)
    return t_obs


def _pathway(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per stay: first and last of its encounter, closed, the next unit (``exit`` after a closed last stay,
    ``None`` after an open one) and the next stay's ``ready_at`` (NaT after the last)."""
    enc_arr = df["encounter"].to_numpy()
    n = len(df)
    is_first = np.ones(n, bool)
    is_first[1:] = enc_arr[1:] != enc_arr[:-1]
    is_last = np.ones(n, bool)
    is_last[:-1] = enc_arr[:-1] != enc_arr[1:]
    closed = df["end"].notna().to_numpy()
    next_unit = np.empty(n, dtype=object)
    next_unit[:] = None
    next_unit[:-1] = np.where(is_last[:-1], None, df["unit"].to_numpy()[1:])
    next_unit[is_last & closed] = EXIT
    next_ready = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    next_ready[:-1] = df["ready_at"].to_numpy()[1:]
    next_ready[is_last] = np.datetime64("NaT")
    return is_first, is_last, closed, next_unit, next_ready


def _censor_at(df: pd.DataFrame, start: np.ndarray, end: np.ndarray, t_obs: Any, dates_shifted: bool) -> np.ndarray:
    """Where each stay would be right-censored: the end of observation, or with shifted dates the latest time
    recorded for its own patient; the stay's last event (``last_event_at``) wins where the log has one."""
    n = len(df)
    censor_at = np.full(n, np.datetime64(t_obs, "ns"), dtype="datetime64[ns]")
    if dates_shifted and n:
        # the latest time recorded for each patient (its own end of observation)
        latest = np.where(np.isnat(end), start, end)
        latest = pd.Series(latest).groupby(df["patient_id"].to_numpy()).transform("max").to_numpy()
        censor_at = latest.astype("datetime64[ns]")
    seen = df["last_event_at"].to_numpy().astype("datetime64[ns]")
    return np.where(~np.isnat(seen), np.maximum(seen, start), censor_at)


def _add_derived_columns(df: pd.DataFrame, t_obs: Any, dates_shifted: bool) -> None:
    """The pathway columns and the durations, in place: ``is_first``, ``is_last``, ``closed``, ``next_unit``,
    ``dur_h`` (to the clinical end: the next stay's ready_at when the log has it, else the end; to the
    censoring time when open; at least one minute), ``obs_h``, ``blocked_h``, ``wait_h``, ``arrival``,
    ``end_weekday``."""
    is_first, is_last, closed, next_unit, next_ready = _pathway(df)
    n = len(df)
    start = df["start"].to_numpy()
    end = df["end"].to_numpy()
    use_ready = ~np.isnat(next_ready) & (next_ready >= start) & (next_ready <= np.where(np.isnat(end), next_ready, end))
    clin_end = np.where(use_ready, next_ready, end)
    censor_at = _censor_at(df, start, end, t_obs, dates_shifted)
    end_obs = np.where(closed, clin_end, censor_at)
    dur = (end_obs - start) / _H
    df["is_first"] = is_first
    df["is_last"] = is_last
    df["closed"] = closed
    df["next_unit"] = next_unit
    df["dur_h"] = np.maximum(dur.astype(float), MIN_STAY_H)
    df["obs_h"] = np.where(closed, (np.where(closed, end, start) - start) / _H, dur.astype(float))
    df["blocked_h"] = np.where(closed & use_ready, (end - clin_end) / _H, 0.0).astype(float)
    ready = df["ready_at"].to_numpy()
    wait = (start - ready) / _H
    df["wait_h"] = np.where(np.isnat(ready), np.nan, np.clip(wait.astype(float), 0, None))
    arrival = np.where(~np.isnat(ready) & (ready <= start), ready, start)
    df["arrival"] = arrival
    df["end_weekday"] = pd.DatetimeIndex(end).day_of_week.to_numpy() if n else np.array([], int)


def _window(prep: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """First midnight, end of observation and the number of complete days between them."""
    t0 = pd.Timestamp(prep["arrival"].min()).floor("D")
    t_obs = prep.attrs["observed_until"]
    days = int((pd.Timestamp(t_obs).floor("D") - t0) / pd.Timedelta(days=1))
    return t0, pd.Timestamp(t_obs), days


# =========================================================================== censored samples
@dataclass
class CensoredSample:
    """Durations (hours) for a censored likelihood.

    ``exact``: observed durations. ``right``: right-censored at these durations (still
    there). Interval-censored observations: the duration lies in ``(lo, hi]``, or, with
    weight ``w2``, in ``(lo2, lo]`` (``lo2 <= lo``; use ``lo2 = lo`` for a plain interval).
    For interval-censored stays ended by a discharge-hour rule, ``start_h`` (hours since
    Monday 1970-01-05 00:00) and ``rule`` (the 24 cumulative hour probabilities and the
    weekend rate) let :func:`predictive_ks` simulate the observed stays.
    """

    exact: np.ndarray
    right: np.ndarray = field(default_factory=lambda: np.array([]))
    lo: np.ndarray = field(default_factory=lambda: np.array([]))
    hi: np.ndarray = field(default_factory=lambda: np.array([]))
    lo2: np.ndarray = field(default_factory=lambda: np.array([]))
    w2: np.ndarray = field(default_factory=lambda: np.array([]))
    start_h: np.ndarray = field(default_factory=lambda: np.array([]))
    rule: tuple[np.ndarray, float | np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.exact = np.maximum(np.asarray(self.exact, float), MIN_STAY_H)
        self.right = np.maximum(np.asarray(self.right, float), MIN_STAY_H)
        self.hi = np.maximum(np.asarray(self.hi, float), MIN_STAY_H)
        self.lo = np.clip(np.asarray(self.lo, float), 0, None)
        self.lo2 = np.clip(np.asarray(self.lo2, float), 0, None) if len(self.lo2) else self.lo.copy()
        self.w2 = np.asarray(self.w2, float) if len(self.w2) else np.zeros(len(self.lo))

    @property
    def n(self) -> int:
        return len(self.exact) + len(self.right) + len(self.lo)

    @property
    def n_events(self) -> int:
        return len(self.exact) + len(self.lo)

    def km_inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Durations and event flags for Kaplan-Meier (interval stays at the middle of ``(lo, hi]``)."""
        mid = np.maximum((self.lo + self.hi) / 2, MIN_STAY_H)
        d = np.concatenate([self.exact, mid, self.right])
        e = np.concatenate([np.ones(len(self.exact) + len(mid), bool), np.zeros(len(self.right), bool)])
        return d, e

    def pseudo(self) -> np.ndarray:
        d, _ = self.km_inputs()
        return d


def censored_sample(rows: pd.DataFrame, rules: Mapping[str, float]) -> CensoredSample:
    """Exact, right-censored and (discharge-rule exits) interval-censored stays of ``rows``.

    A stay marked ``on_pathway`` (a column the discharge-pathway fit adds: the patient left on a pathway and its
    ``dur_h`` runs to ``ready_to_leave``) is exact, open or not, and never interval-censored (no discharge rule).
    """
    on_pw = rows["on_pathway"].to_numpy(bool) if "on_pathway" in rows.columns else np.zeros(len(rows), bool)
    closed = rows["closed"].to_numpy() | on_pw
    dur = rows["dur_h"].to_numpy()
    is_exit = (rows["next_unit"].to_numpy() == EXIT) & closed
    in_rule = rows["unit"].isin(list(rules)).to_numpy()
    interval = is_exit & in_rule & ~on_pw
    exact = closed & ~interval
    if not interval.any():
        return CensoredSample(dur[exact], dur[~closed])
    units = rows["unit"].to_numpy()[interval]
    q = np.array([_rule_q(rules[u]) for u in units], dtype=float)
    hi = dur[interval]
    monday = rows["end_weekday"].to_numpy()[interval] == 0
    lo = hi - 24.0
    lo2 = np.where(monday & (q < 1), hi - 72.0, lo)
    w2 = np.where(monday & (q < 1), 1.0 - q, 0.0)
    by_day = {u: _held_back(_rule_pass(rules[u])) for u in set(units) if _rule_pass(rules[u]) is not None}
    if by_day:  # day_of_week rules: the days a leaver may have been held, from its weekday
        wd = np.nan_to_num(rows["end_weekday"].to_numpy(dtype=float)[interval]).astype(int)
        for u, (days_back, weight) in by_day.items():
            m = units == u
            lo2 = np.where(m, hi - 24.0 * (1 + days_back[wd]), lo2)
            w2 = np.where(m, weight[wd], w2)
    rule = None
    first = rules[units[0]]
    if len(set(units)) == 1 and isinstance(first, Mapping) and first.get("hourly_profile") is not None:
        w = np.asarray(first["hourly_profile"], float)
        day_pass = _rule_pass(first)
        rule = (np.cumsum(w) / w.sum(), _rule_q(first) if day_pass is None else day_pass)
    start_h = (rows["start"].to_numpy()[interval] - _EPOCH) / _H
    return CensoredSample(
        dur[exact], dur[~closed], lo=lo, hi=hi, lo2=lo2, w2=w2, start_h=start_h.astype(float), rule=rule
    )


def _rule_q(rule: Any) -> float:
    return float(rule.get("weekend_rate", 1.0)) if isinstance(rule, Mapping) else float(rule)


def _rule_pass(rule: Any) -> np.ndarray | None:
    """The seven pass probabilities (Mon..Sun, largest 1) of a rule with ``day_of_week``, else None."""
    if not isinstance(rule, Mapping) or rule.get("day_of_week") is None:
        return None
    w = np.asarray(rule["day_of_week"], float)
    return w / w.max()


def _held_back(day_pass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per weekday of leaving: how many days back the patient may have been ready (held on the days between)
    and the mean weight of those days relative to the day itself.

    One uniform decides every day (the simulator's rule): a patient whose first chance was ``k`` days
    before leaving on day ``d`` left with probability ``max(0, pass[d] - max(pass[d-k .. d-1]))``, against
    ``pass[d]`` for a patient ready that day; the held days are taken as one interval with their mean
    weight (exact for ``weekend_rate``: Monday, 2 days back, weight 1 - rate)."""
    back = np.zeros(7, dtype=int)
    weight = np.zeros(7)
    for d in range(7):
        top, ws = 0.0, []
        for k in range(1, 7):
            top = max(top, float(day_pass[(d - k) % 7]))
            ws.append(max(0.0, float(day_pass[d]) - top) / float(day_pass[d]) if day_pass[d] > 0 else 0.0)
        n = max((k for k, w in enumerate(ws, start=1) if w > 0), default=0)
        back[d] = n
        weight[d] = float(np.mean(ws[:n])) if n else 0.0
    return back, weight


# =========================================================================== survival basics
def kaplan_meier(
    durations: Sequence[float] | np.ndarray, observed: Sequence[bool] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate: the event times and the survival just after each.

    ``observed`` is False for a right-censored duration. Ties: events come before
    censorings at the same time (a stay censored at t was at risk at t).
    """
    t = np.asarray(durations, float)
    e = np.asarray(observed, bool)
    if len(t) == 0:
        return np.array([]), np.array([])
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    times, first = np.unique(t, return_index=True)
    at_risk = len(t) - first
    deaths = np.add.reduceat(e.astype(np.int64), first)
    keep = deaths > 0
    surv = np.cumprod(1.0 - deaths[keep] / at_risk[keep])
    return times[keep], surv


def km_mean(times: np.ndarray, surv: np.ndarray, t_max: float | None = None) -> float:
    """Area under the Kaplan-Meier curve up to ``t_max`` (default: the last event time)."""
    if len(times) == 0:
        return math.nan
    t_max = float(times[-1]) if t_max is None else float(t_max)
    knots = np.concatenate([[0.0], times[times < t_max], [t_max]])
    s = np.concatenate([[1.0], surv[times < t_max]])
    return float(np.sum(s * np.diff(knots)))


def _km_cdf_at(times: np.ndarray, surv: np.ndarray, x: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(times, x, side="right") - 1
    return np.where(idx >= 0, 1.0 - surv[np.clip(idx, 0, None)], 0.0)


def _km_distance(d1: np.ndarray, e1: np.ndarray, d2: np.ndarray, e2: np.ndarray) -> float:
    t1, s1 = kaplan_meier(d1, e1)
    t2, s2 = kaplan_meier(d2, e2)
    if not len(t1) or not len(t2):
        return 0.0
    grid = np.union1d(t1, t2)
    return float(np.max(np.abs(_km_cdf_at(t1, s1, grid) - _km_cdf_at(t2, s2, grid))))


def logrank_test(d1: np.ndarray, e1: np.ndarray, d2: np.ndarray, e2: np.ndarray) -> tuple[float, float]:
    """Two-sample log-rank test: (chi-square statistic with 1 df, p-value)."""
    t = np.concatenate([d1, d2]).astype(float)
    e = np.concatenate([e1, e2]).astype(bool)
    g = np.concatenate([np.ones(len(d1), bool), np.zeros(len(d2), bool)])
    order = np.argsort(t, kind="stable")
    t, e, g = t[order], e[order], g[order]
    times, first = np.unique(t, return_index=True)
    n = len(t) - first
    n1 = np.cumsum(g[::-1])[::-1][first]
    d = np.add.reduceat(e.astype(np.int64), first).astype(float)
    d_1 = np.add.reduceat((e & g).astype(np.int64), first).astype(float)
    m = d > 0
    n, n1, d, d_1 = n[m].astype(float), n1[m].astype(float), d[m], d_1[m]
    expected = d * n1 / n
    var = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / np.maximum(n - 1, 1), 0.0)
    v = var.sum()
    if v <= 0:
        return 0.0, 1.0
    chi2 = float((d_1.sum() - expected.sum()) ** 2 / v)
    return chi2, float(stats.chi2.sf(chi2, 1))
