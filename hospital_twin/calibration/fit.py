"""Fitting a scenario to an ADT log: arrivals, stays, routes, discharges, beds.

Input is the stays table of CONTRACTS section 4 (one row per stay of a patient in a
unit: ``patient_id, unit, start, end`` with ``end`` empty = still there, plus the
optional ``encounter_id, patient_class, arrival_source, discharge_destination,
ready_at``), as produced by the readers in :mod:`hospital_twin.calibration.adt` or by
:func:`hospital_twin.results.adt_log`. Output is a set of fitted objects, each holding
its estimates (attributes ending in ``_``) with the evidence behind them, and a
scenario dict in the language of :mod:`hospital_twin.scenario.schema`.

The fitters follow scikit-learn: ``__init__`` stores options, ``fit(stays)`` sets the
learned attributes and returns ``self``. :func:`calibrate` runs them all and returns a
:class:`Calibration`, whose :meth:`~Calibration.scenario_dict` validates and runs as is.

Rules (each documented where it is applied; the numbers are the defaults)
--------------------------------------------------------------------------
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
Significance
    Every "keep this effect" decision needs a test with p < ``alpha`` = 0.01 *and* an
    effect size above a stated minimum, because with years of data tests find effects
    too small to matter, and every kept effect makes the scenario longer.
Arrivals (:class:`ArrivalFit`)
    External arrivals are the first stay of each encounter, at ``ready_at`` (the
    request for a bed) when present, else at ``start``; one stream per entry unit, class
    and arrival source, sources with fewer than 10 arrivals into a (unit, class) pooled
    as ``other``. Rates use the complete days of
    the log. Hour-of-day and day-of-week effects are G-tests (the likelihood-ratio test
    of a Poisson GLM with that factor against a constant rate, exposure-weighted; the
    day-of-week and month tests are divided by the over-dispersion of daily counts when
    it exceeds 1, i.e. quasi-Poisson). A profile is kept when p < alpha; cells need an
    expected count of at least 5, otherwise the effect is not tested and not kept.
Stays (:class:`StayFit`)
    Censored maximum likelihood for exponential, lognormal, gamma and Weibull; the
    smallest AIC wins. With fewer than 10 observed stays only the exponential is fitted
    (and kept whatever its test says: there is too little to judge a shape). Fit quality: the
    largest distance D between the fitted CDF and the Kaplan-Meier estimate (the KS
    distance when nothing is censored), with a parametric-bootstrap p-value
    (:func:`bootstrap_ks`, B = 199 resamples): resamples drawn from the fitted law,
    censored by draws from the reverse Kaplan-Meier estimate of the censoring times,
    refitted by the same censored MLE, D* against their own Kaplan-Meier curve,
    p = (1 + #{D* >= D}) / (B + 1). Resamples hold at most 2000 stays; for larger units
    sqrt(n) D is compared with sqrt(m) D* (D's null distribution scales as 1/sqrt(n)).
    The Kolmogorov p-value is kept as ``ks_p_upper``: it ignores that the parameters were
    estimated from the same stays, so it is too high (the Lilliefors effect: for 400
    lognormal stays the true 1% critical D is about 0.051, the Kolmogorov one 0.081).
    Units with a discharge-hour rule keep the predictive two-sample Kolmogorov p-value
    (an upper bound; not bootstrapped). Acceptable when p >= 0.01, or, for large
    samples where any test rejects, when D <= 0.02 and the fitted mean is within 5% of
    the Kaplan-Meier mean; otherwise the stay is an empirical distribution (Kaplan-Meier
    quantiles). A class gets its own stay in a unit with >= 200 stays there, a log-rank
    test against the unit's other classes with p < alpha, and Kaplan-Meier curves at
    least 0.05 apart somewhere.
Routes (:class:`RouteFit`)
    Transitions between consecutive stays of an encounter; a closed last stay goes to
    ``exit``; an open last stay is censored and not counted. Transitions counted fewer
    than 5 times are flagged rare; in the scenario, a transition with probability below
    0.01 that also brings less than 2% of the destination's admissions is folded into
    the unit's largest route (never a route to ``exit``, so every unit keeps its way out). A class gets its own routes from a unit with >= 200 closed
    stays there, a G-test of homogeneity against the other classes with p < alpha, and
    a total-variation distance of at least 0.02. Classes are tested smallest first, each
    against the classes not yet split off, so the largest class stays on the shorthand
    (the same order decides class-specific stays).
Discharges (:class:`DischargeFit`)
    Leaving the hospital = the end of the last, closed stay. A unit is said to follow a
    discharge-hour rule when the clock hours at which its patients leave are not what
    their start times and stay lengths give if the two are independent: a permutation
    test (199 shuffles of stay lengths against start times) of the total-variation
    distance between the observed leaving hours and their expectation under
    independence (the circular convolution of the start-clock and stay-modulo-24-h
    distributions), p < alpha and distance >= 0.05. Such a unit gets a ``discharge``
    rule in the scenario (``hourly_profile`` = its leaving hours; ``weekend_rate`` =
    Saturday+Sunday leavers per day over Tuesday-Friday leavers per day; Monday carries
    the weekend's catch-up), and its stays ending in ``exit`` enter the stay fit as
    interval-censored: under the simulator's rule the patient was ready at most 24 h
    before leaving (72 h before a Monday departure, for the share 1 - weekend_rate held
    over the weekend).
Beds (:class:`CapacityFit`)
    From the ``capacity`` table when given; otherwise the peak of concurrent occupancy
    (an estimate and flagged as one; a lower bound when the unit was never full). When
    the dates were shifted per patient (MIMIC, Sepsis logs), concurrency means nothing:
    beds come from the table or a stated default, arrival rates are not estimated (they
    are set so that the busiest unit's offered load is 0.85 of its beds, loudly flagged), and neither
    is seasonality.

This module is pure: DataFrames in, objects out; no file access, no printing.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from hospital_twin.scenario.schema import DEFAULT_CLASS, EXIT, Scenario

__all__ = [
    "FAMILIES",
    "MIN_CLASS_STAYS",
    "ALPHA",
    "ArrivalFit",
    "ArrivalStream",
    "StayFit",
    "StayEstimate",
    "FamilyFit",
    "RouteFit",
    "DischargeFit",
    "CapacityFit",
    "WaitFit",
    "Calibration",
    "calibrate",
    "prepare_stays",
    "fit_family",
    "fit_families",
    "kaplan_meier",
    "km_mean",
    "bootstrap_ks",
    "KsBootstrap",
    "BOOTSTRAP_B",
    "BOOTSTRAP_MAX_N",
    "logrank_test",
    "CensoredSample",
]

FAMILIES: tuple[str, ...] = ("exponential", "lognormal", "gamma", "weibull")
"""Candidate stay distributions, fitted by censored maximum likelihood and ranked by AIC."""

MIN_CLASS_STAYS = 200
"""A patient class gets its own stay or route in a unit only with at least this many stays there."""

ALPHA = 0.01
"""Significance level of every keep-or-drop test."""

POOLED_SOURCE = "other"
"""Arrival source given to rare sources pooled together (see :class:`ArrivalFit`)."""

MIN_STAY_H = 1.0 / 60.0
"""Stays shorter than one minute are counted as one minute (the likelihood needs x > 0)."""

MIN_SHAPE_EVENTS = 10
"""Below this many observed stays only the exponential (one parameter) is fitted: a shape
parameter estimated from a handful of stays is noise (one stay gives a cv of zero)."""

BOOTSTRAP_B = 199
"""Default number of parametric-bootstrap resamples of the fit distance D (p-values resolve to 1/200)."""

BOOTSTRAP_MAX_N = 2000
"""Resamples of the bootstrap hold at most this many stays. D's null distribution scales as 1/sqrt(n)
(``sqrt(n) D`` has a limit law that depends on the family, the shape and the censoring pattern, not on n), so
for a larger sample the observed ``sqrt(n) D`` is compared with ``sqrt(m) D*`` of resamples of size m."""

ED_NAME = re.compile(r"(^|[^a-z])(ed|a&e|ae|er)([^a-z]|$)|emergency", re.IGNORECASE)
ICU_NAME = re.compile(r"(^|[^a-z])(icu|itu|ccu|micu|sicu|cvicu|tsicu|nicu)([^a-z]|$)|intensive|critical", re.IGNORECASE)
ELECTIVE = re.compile(r"elective", re.IGNORECASE)

_H = np.timedelta64(3600, "s")
_EPOCH = np.datetime64("1970-01-05T00:00:00", "ns")  # a Monday


def _sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits (plain float for YAML)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def _hours(delta: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(pd.to_timedelta(delta) / pd.Timedelta(hours=1), dtype=float)


def _clock_h(ts: pd.Series) -> np.ndarray:
    ts = pd.to_datetime(ts)
    return (ts.dt.hour + ts.dt.minute / 60 + ts.dt.second / 3600).to_numpy(dtype=float)


def _g_test(observed: np.ndarray, expected: np.ndarray) -> float:
    """Likelihood-ratio (G) statistic 2 sum O ln(O/E) (0 ln 0 = 0)."""
    o = np.asarray(observed, float)
    e = np.asarray(expected, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(o > 0, o * np.log(o / e), 0.0)
    return float(2 * terms.sum())


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    return float(0.5 * np.abs(np.asarray(p, float) - np.asarray(q, float)).sum())


def _profile(weights: np.ndarray, digits: int = 3) -> list[float]:
    """Relative weights scaled to mean 1, rounded."""
    w = np.asarray(weights, float)
    m = w.mean()
    if m <= 0:
        return [1.0] * len(w)
    return [round(float(x), digits) for x in w / m]


def _name(*parts: object) -> str:
    s = "_".join(str(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or "stream"


# =========================================================================== preparation
def prepare_stays(stays: pd.DataFrame, observed_until: Any = None, *, dates_shifted: bool = False) -> pd.DataFrame:
    """The stays table with the derived columns every fitter uses.

    Returns one row per stay after merging self-loops, ordered by encounter and start,
    with ``encounter`` (the grouping key), ``patient_class`` (``general`` when absent),
    ``is_first``, ``is_last``, ``next_unit`` (``exit`` after a closed last stay, missing
    after an open one), ``closed``, ``dur_h`` (to the clinical end; to the end of
    observation when open), ``blocked_h``, ``wait_h`` (start - ready_at), ``arrival``
    (ready_at of a first stay, else start). ``attrs`` holds ``observed_until``,
    ``counts`` (rows read, excluded with reasons, merged) and which optional columns
    the log had.
    """
    if stays.attrs.get("hospital_twin_prepared"):
        return stays
    missing = [c for c in ("patient_id", "unit", "start", "end") if c not in stays.columns]
    if missing:
        raise ValueError(f"the stays table lacks the required column(s) {', '.join(missing)}")
    n_read = len(stays)

    def ts(col: str) -> pd.Series:
        s = pd.to_datetime(stays[col], errors="coerce")
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.astype("datetime64[ns]")

    # A column counts as present when it holds at least one value (readers add absent optional columns empty).
    has = {
        c: c in stays.columns and bool(stays[c].notna().any())
        for c in ("encounter_id", "patient_class", "arrival_source", "discharge_destination", "ready_at")
    }
    df = pd.DataFrame(
        {
            "row": np.arange(n_read),
            "patient_id": stays["patient_id"].astype("string").to_numpy(dtype=object),
            "unit": stays["unit"].astype("string").to_numpy(dtype=object),
            "start": ts("start").to_numpy(),
            "end": ts("end").to_numpy(),
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
    df["ready_at"] = ts("ready_at").to_numpy() if has["ready_at"] else pd.NaT
    has_seen = "last_event_at" in stays.columns and bool(stays["last_event_at"].notna().any())
    df["last_event_at"] = ts("last_event_at").to_numpy() if has_seen else pd.NaT

    excluded: dict[str, int] = {}
    bad_unit = df["unit"].isna() | df["patient_id"].isna()
    no_start = df["start"].isna() & ~bad_unit
    backwards = (df["end"] < df["start"]) & ~no_start & ~bad_unit
    for reason, mask in (("no patient or unit", bad_unit), ("no start", no_start), ("ends before it starts", backwards)):
        if mask.any():
            excluded[reason] = int(mask.sum())
    df = df[~(bad_unit | no_start | backwards)]
    df = df.sort_values(["encounter", "start", "end", "row"], kind="stable", ignore_index=True)

    # An open stay followed by another stay of the same encounter ended when the next began.
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

    # Self-loops: consecutive stays of one encounter in the same unit become one stay.
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
        out["rows_merged"] = np.bincount(gid)
        df = out
    else:
        df["rows_merged"] = 1

    if observed_until is None:
        cands = [df["start"].max(), df["end"].max()]
        if has["ready_at"]:
            cands.append(df["ready_at"].max())
        t_obs = max(c for c in cands if pd.notna(c))
    else:
        t_obs = pd.Timestamp(observed_until)
        if t_obs.tzinfo is not None:
            t_obs = t_obs.tz_localize(None)

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

    start = df["start"].to_numpy()
    end = df["end"].to_numpy()
    use_ready = ~np.isnat(next_ready) & (next_ready >= start) & (next_ready <= np.where(np.isnat(end), next_ready, end))
    clin_end = np.where(use_ready, next_ready, end)
    censor_at = np.full(n, np.datetime64(t_obs, "ns"), dtype="datetime64[ns]")
    if dates_shifted and n:
        # the latest time recorded for each patient (its own end of observation)
        latest = np.where(np.isnat(end), start, end)
        latest = pd.Series(latest).groupby(df["patient_id"].to_numpy()).transform("max").to_numpy()
        censor_at = latest.astype("datetime64[ns]")
    seen = df["last_event_at"].to_numpy().astype("datetime64[ns]")
    censor_at = np.where(~np.isnat(seen), np.maximum(seen, start), censor_at)
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
    df.attrs = {
        "hospital_twin_prepared": True,
        "observed_until": pd.Timestamp(t_obs),
        "has": has,
        "dates_shifted": bool(dates_shifted),
        "counts": {
            "rows_read": n_read,
            "rows_excluded": sum(excluded.values()),
            "excluded_reasons": excluded,
            "rows_merged_self_loops": merged,
            "open_stays_closed_by_next": int(open_not_last.sum()),
            "stays": n,
            "open_stays": int((~closed).sum()),
            "encounters": int(is_first.sum()),
            "patients": int(df["patient_id"].nunique()),
        },
    }
    return df


def _window(prep: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """First midnight, end of observation and the number of complete days between them."""
    t0 = pd.Timestamp(prep["arrival"].min()).floor("D")
    t_obs = prep.attrs["observed_until"]
    days = int((pd.Timestamp(t_obs).floor("D") - t0) / pd.Timedelta(days=1))
    return t0, pd.Timestamp(t_obs), days


# =========================================================================== survival basics
def kaplan_meier(durations: Sequence[float] | np.ndarray, observed: Sequence[bool] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def logrank_test(
    d1: np.ndarray, e1: np.ndarray, d2: np.ndarray, e2: np.ndarray
) -> tuple[float, float]:
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


# =========================================================================== censored MLE
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
    rule: tuple[np.ndarray, float] | None = None

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


def _frozen(family: str, th: np.ndarray):
    if family == "exponential":
        return stats.expon(scale=math.exp(th[0]))
    if family == "lognormal":
        return stats.lognorm(s=math.exp(th[1]), scale=math.exp(th[0]))
    if family == "gamma":
        return stats.gamma(a=math.exp(th[0]), scale=math.exp(th[1]))
    if family == "weibull":
        return stats.weibull_min(c=math.exp(th[0]), scale=math.exp(th[1]))
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


def _mean_cv(family: str, th: np.ndarray) -> tuple[float, float]:
    if family == "exponential":
        return math.exp(th[0]), 1.0
    if family == "lognormal":
        s2 = math.exp(2 * th[1])
        return math.exp(th[0] + s2 / 2), math.sqrt(math.expm1(s2))
    if family == "gamma":
        k = math.exp(th[0])
        return k * math.exp(th[1]), 1 / math.sqrt(k)
    k = math.exp(th[0])
    g1 = special.gammaln(1 + 1 / k)
    g2 = special.gammaln(1 + 2 / k)
    return math.exp(th[1] + g1), math.sqrt(max(math.expm1(g2 - 2 * g1), 0.0))


def _start(family: str, x: np.ndarray) -> np.ndarray:
    x = x[x > 0]
    m = float(np.mean(x))
    cv = float(np.std(x) / m) if len(x) > 1 and m > 0 else 1.0
    cv = min(max(cv, 0.05), 20.0)
    if family == "exponential":
        return np.array([math.log(m)])
    if family == "lognormal":
        lx = np.log(x)
        return np.array([float(lx.mean()), math.log(max(float(lx.std()), 0.05))])
    if family == "gamma":
        k = 1 / cv**2
        return np.array([math.log(k), math.log(m / k)])
    from hospital_twin.distributions import Weibull

    w = Weibull.from_mean_cv(m, min(max(cv, 0.1), 10.0))
    return np.array([math.log(w.shape), math.log(w.scale_h)])


def _logpdf(family: str, th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log density in closed form (building a frozen scipy.stats object per likelihood call cost
    more than the arithmetic: its docstring is formatted on every construction)."""
    lx = np.log(x)
    if family == "exponential":
        return -th[0] - x * math.exp(-th[0])
    if family == "lognormal":
        mu, sg = th[0], math.exp(th[1])
        z = (lx - mu) / sg
        return -lx - th[1] - 0.5 * math.log(2 * math.pi) - 0.5 * z * z
    if family == "gamma":
        a, ls = math.exp(th[0]), th[1]
        return (a - 1) * lx - x * math.exp(-ls) - special.gammaln(a) - a * ls
    if family == "weibull":
        c, ls = math.exp(th[0]), th[1]
        lz = lx - ls
        return th[0] - ls + (c - 1) * lz - np.exp(c * lz)
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


def _logsf(family: str, th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log survival in closed form; the gamma through the regularised incomplete gamma function, with
    scipy.stats in the far tail where that underflows."""
    x = np.asarray(x, float)
    if not len(x):
        return np.zeros(0)
    if family == "exponential":
        return -x * math.exp(-th[0])
    if family == "lognormal":
        with np.errstate(divide="ignore"):
            return special.log_ndtr(-(np.log(np.maximum(x, 1e-300)) - th[0]) / math.exp(th[1]))
    if family == "weibull":
        with np.errstate(divide="ignore"):
            return -np.exp(math.exp(th[0]) * (np.log(np.maximum(x, 1e-300)) - th[1]))
    if family == "gamma":
        a, scale = math.exp(th[0]), math.exp(th[1])
        q = special.gammaincc(a, x / scale)
        out = np.log(np.maximum(q, 1e-300))
        tail = q < 1e-250
        if tail.any():
            out[tail] = _frozen(family, th).logsf(x[tail])
        return out
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


def _nll(family: str, th: np.ndarray, s: CensoredSample) -> float:
    if not np.all(np.isfinite(th)) or np.any(np.abs(th) > 700):
        return math.inf
    with np.errstate(all="ignore"):
        total = 0.0
        if len(s.exact):
            total += float(np.sum(_logpdf(family, th, s.exact)))
        if len(s.right):
            total += float(np.sum(_logsf(family, th, s.right)))
        if len(s.lo):
            # log P = A + log(-expm1(C - A) + (1 - w) expm1(B - A)), A = logsf(lo2) >= B = logsf(lo) >= C = logsf(hi)
            a = np.where(s.lo2 > 0, _logsf(family, th, s.lo2), 0.0)
            b = np.where(s.lo > 0, _logsf(family, th, s.lo), 0.0)
            c = _logsf(family, th, s.hi)
            inner = -np.expm1(c - a) + (1 - s.w2) * np.expm1(b - a)
            total += float(np.sum(a + np.log(np.maximum(inner, 1e-300))))
    return -total if math.isfinite(total) else math.inf


@dataclass
class FamilyFit:
    """One family fitted by censored maximum likelihood (durations in hours)."""

    family: str
    theta: np.ndarray
    """Log-parameters: exponential (log scale); lognormal (mu, log sigma); gamma and Weibull (log shape, log scale)."""
    nll: float
    aic: float
    n_params: int
    mean_h: float
    cv: float
    mean_se_h: float
    cv_se: float
    cov: np.ndarray
    converged: bool
    aic_weight: float = math.nan

    @property
    def dist(self):
        """The frozen scipy.stats distribution."""
        return _frozen(self.family, self.theta)

    def spec(self) -> dict[str, Any]:
        """The scenario's DistributionSpec dict, in hours."""
        if self.family == "exponential":
            return {"distribution": "exponential", "mean_hours": _sig(self.mean_h)}
        return {"distribution": self.family, "mean_hours": _sig(self.mean_h), "cv": _sig(self.cv)}


def _hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    k = len(x)
    H = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                e = np.zeros(k)
                e[i] = h
                H[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h**2
            else:
                ei = np.zeros(k)
                ej = np.zeros(k)
                ei[i] = h
                ej[j] = h
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    return H


def fit_family(family: str, sample: CensoredSample | Sequence[float] | np.ndarray) -> FamilyFit:
    """Censored maximum-likelihood fit of one family, on log-parameters.

    The log-likelihood sums ``logpdf`` of exact durations, ``logsf`` of right-censored
    ones and the log-probability of each interval (scipy.stats); it is minimised with
    L-BFGS-B from moment-based starting values, then polished with Nelder-Mead. Standard
    errors come from the observed information (numerical Hessian) and the delta method.
    """
    s = sample if isinstance(sample, CensoredSample) else CensoredSample(np.asarray(sample, float))
    if s.n_events == 0:
        raise ValueError("no observed (uncensored) duration to fit")
    n = s.n
    th0 = _start(family, s.pseudo())

    def f(th: np.ndarray) -> float:
        v = _nll(family, th, s)
        return v / n if math.isfinite(v) else 1e100

    best = optimize.minimize(f, th0, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 500})
    if not best.success:
        polish = optimize.minimize(f, best.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000})
        best = polish if polish.fun <= best.fun else best
    th = np.asarray(best.x, float)
    nll = f(th) * n
    k = len(th)
    cov = np.full((k, k), np.nan)
    mean, cv = _mean_cv(family, th)
    mean_se = cv_se = math.nan
    try:
        H = _hessian(lambda t: _nll(family, t, s), th)
        if np.all(np.isfinite(H)):
            c = np.linalg.inv(H)
            if np.all(np.linalg.eigvalsh((c + c.T) / 2) > 0):
                cov = c
                eps = 1e-6
                g_mean = np.empty(k)
                g_cv = np.empty(k)
                for i in range(k):
                    e = np.zeros(k)
                    e[i] = eps
                    mp, cp = _mean_cv(family, th + e)
                    mm, cm = _mean_cv(family, th - e)
                    g_mean[i] = (mp - mm) / (2 * eps)
                    g_cv[i] = (cp - cm) / (2 * eps)
                mean_se = float(math.sqrt(max(g_mean @ cov @ g_mean, 0.0)))
                cv_se = float(math.sqrt(max(g_cv @ cov @ g_cv, 0.0)))
    except (np.linalg.LinAlgError, OverflowError, ValueError):
        pass
    return FamilyFit(
        family=family,
        theta=th,
        nll=float(nll),
        aic=float(2 * k + 2 * nll),
        n_params=k,
        mean_h=float(mean),
        cv=float(cv),
        mean_se_h=mean_se,
        cv_se=cv_se,
        cov=cov,
        converged=bool(best.success),
    )


def fit_families(sample: CensoredSample, families: Iterable[str] = FAMILIES) -> dict[str, FamilyFit]:
    """Every family fitted, with Akaike weights; ordered by AIC (best first)."""
    fits = {}
    for fam in families:
        try:
            fits[fam] = fit_family(fam, sample)
        except (ValueError, FloatingPointError):
            continue
    if not fits:
        return {}
    aics = np.array([f.aic for f in fits.values()])
    rel = np.exp(-(aics - aics.min()) / 2)
    for f, w in zip(fits.values(), rel / rel.sum(), strict=True):
        f.aic_weight = float(w)
    return dict(sorted(fits.items(), key=lambda kv: kv[1].aic))


# =========================================================================== stays
EMPIRICAL_PROBS: tuple[float, ...] = (
    (0.0, 0.01, 0.025) + tuple(round(0.05 * i, 2) for i in range(1, 20)) + (0.975, 0.99, 0.995, 0.999, 1.0)
)
"""Probabilities at which an empirical stay is given (Kaplan-Meier quantiles)."""


@dataclass
class StayEstimate:
    """The stay of one unit (and class), with its evidence."""

    unit: str
    patient_class: str | None
    n: int
    n_exact: int
    n_censored: int
    n_interval: int
    fits: dict[str, FamilyFit]
    chosen: str
    """Best family by AIC, or ``empirical`` when it does not fit acceptably."""
    ks_d: float
    ks_p: float
    """p-value of D that decides ``acceptable``: the parametric bootstrap (:func:`bootstrap_ks`) for
    right-censored stays; for stays under a discharge-hour rule, :func:`predictive_ks`'s (an upper bound)."""
    acceptable: bool
    km_mean_h: float
    spec: dict[str, Any]
    note: str = ""
    ks_p_upper: float = math.nan
    """The Kolmogorov p-value of D (parameters taken as known, so too high: an upper bound)."""
    ks_test: str = ""
    """How ``ks_p`` was computed, in words (e.g. ``parametric bootstrap, B=199 resamples of 2000 stays``)."""
    ks_b: int = 0
    """Bootstrap resamples behind ``ks_p`` (0 when not bootstrapped)."""
    ks_n_resample: int = 0
    """Stays in each bootstrap resample (``min(n, bootstrap_max_n)``; 0 when not bootstrapped)."""

    @property
    def best(self) -> FamilyFit | None:
        return next(iter(self.fits.values()), None)

    @property
    def ks_p_at_floor(self) -> bool:
        """No bootstrap resample reached the observed D: ``ks_p`` is 1/(B+1), read it as "at most that"."""
        return self.ks_b > 0 and self.ks_p <= 1.0 / (self.ks_b + 1) * (1 + 1e-9)

    @property
    def mean_h(self) -> float:
        b = self.best
        return b.mean_h if self.chosen != "empirical" and b is not None else self.km_mean_h


def _sample_of(rows: pd.DataFrame, rules: Mapping[str, float]) -> CensoredSample:
    """Exact, right-censored and (discharge-rule exits) interval-censored stays of ``rows``."""
    closed = rows["closed"].to_numpy()
    dur = rows["dur_h"].to_numpy()
    is_exit = (rows["next_unit"].to_numpy() == EXIT) & closed
    in_rule = rows["unit"].isin(list(rules)).to_numpy()
    interval = is_exit & in_rule
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
    rule = None
    first = rules[units[0]]
    if len(set(units)) == 1 and isinstance(first, Mapping) and first.get("hourly_profile") is not None:
        w = np.asarray(first["hourly_profile"], float)
        rule = (np.cumsum(w) / w.sum(), _rule_q(first))
    start_h = (rows["start"].to_numpy()[interval] - _EPOCH) / _H
    return CensoredSample(dur[exact], dur[~closed], lo=lo, hi=hi, lo2=lo2, w2=w2, start_h=start_h.astype(float), rule=rule)


def _rule_q(rule: Any) -> float:
    return float(rule.get("weekend_rate", 1.0)) if isinstance(rule, Mapping) else float(rule)


def _leave_at(ready_h: np.ndarray, cum: np.ndarray, q: float, u: np.ndarray) -> np.ndarray:
    """The simulator's discharge-hour rule (hospital_twin.sim.calendar.DischargeRule), vectorised.

    ``ready_h`` in hours since a Monday midnight; ``u`` has three uniforms per patient
    (hour, minute within the hour, weekend permission).
    """
    hour = np.minimum(np.searchsorted(cum, u[:, 0], side="right"), 23)
    cand = np.floor(ready_h / 24) * 24 + hour + u[:, 1]
    cand = np.where(cand < ready_h, cand + 24, cand)
    held = u[:, 2] >= q
    for _ in range(2):
        cand = np.where(held & ((np.floor(cand / 24) % 7) >= 5), cand + 24, cand)
    return cand


def predictive_ks(fit: FamilyFit, s: CensoredSample, rng: np.random.Generator, k: int = 3) -> tuple[float, float, float]:
    """Distance between the observed stays and stays simulated from ``fit``, and its p-value.

    Each observed stay is simulated ``k`` times in its own way: an exact stay is a draw;
    a right-censored one is a draw censored at the same time; an interval-censored exit
    under a discharge-hour rule is a draw of the time until ready, then held by the rule
    from the stay's own start. D is the largest gap between the Kaplan-Meier curves of
    the observed and the simulated stays; the p-value is the two-sample Kolmogorov
    approximation with n_eff = n m / (n + m) (events). Also returns the ratio of the
    simulated to the observed Kaplan-Meier mean (both up to the shorter of the two longest stays).
    """
    d = fit.dist
    obs_d = np.concatenate([s.exact, s.hi, s.right])
    obs_e = np.concatenate([np.ones(len(s.exact) + len(s.hi), bool), np.zeros(len(s.right), bool)])
    sims_d, sims_e = [], []
    for _ in range(k):
        x = d.rvs(len(s.exact), random_state=rng) if len(s.exact) else np.array([])
        r = d.rvs(len(s.right), random_state=rng) if len(s.right) else np.array([])
        parts = [x]
        if len(s.lo):
            ready = d.rvs(len(s.lo), random_state=rng)
            if s.rule is not None:
                cum, q = s.rule
                t0 = s.start_h
                ready = _leave_at(t0 + ready, cum, q, rng.random((len(t0), 3))) - t0
            parts.append(ready)
        parts.append(np.minimum(r, s.right))
        sims_d.append(np.concatenate(parts))
        sims_e.append(np.concatenate([np.ones(len(s.exact) + len(s.lo), bool), r <= s.right]))
    t1, s1 = kaplan_meier(obs_d, obs_e)
    t2, s2 = kaplan_meier(np.concatenate(sims_d), np.concatenate(sims_e))
    grid = np.union1d(t1, t2)
    D = float(np.max(np.abs(_km_cdf_at(t1, s1, grid) - _km_cdf_at(t2, s2, grid)))) if len(grid) else math.nan
    n1, n2 = int(obs_e.sum()), int(np.concatenate(sims_e).sum())
    n_eff = n1 * n2 / max(n1 + n2, 1)
    p = float(stats.kstwobign.sf(D * math.sqrt(n_eff))) if n_eff > 0 else math.nan
    ratio = math.nan
    if len(t1) and len(t2):
        t_max = min(float(t1[-1]), float(t2[-1]))
        m1 = km_mean(t1, s1, t_max)
        ratio = km_mean(t2, s2, t_max) / m1 if m1 > 0 else math.nan
    return D, p, ratio


class StayFit:
    """Length of stay per unit (and per class where it differs), by censored maximum likelihood.

    Parameters
    ----------
    min_class_stays : a class is fitted on its own in a unit with at least this many stays there.
    alpha, min_km_distance : the class must differ from the unit's other classes by a
        log-rank test (p < alpha) and by at least this sup-distance between Kaplan-Meier curves.
    ks_alpha, ks_d_ok, mean_tol : a fit is acceptable when the p-value of its distance D
        is at least ``ks_alpha``, or D is at most ``ks_d_ok`` with the fitted mean within
        ``mean_tol`` (relative) of the Kaplan-Meier mean; otherwise the stay is empirical.
        The p-value is a parametric bootstrap (:func:`bootstrap_ks`) for right-censored stays.
        With interval-censored stays (discharge-hour rules), D and p come from
        :func:`predictive_ks` (observed stays against stays simulated from the fit and the rule;
        a Kolmogorov approximation, so an upper bound).
    bootstrap_b : resamples of the parametric bootstrap (0: no bootstrap, the Kolmogorov upper bound decides);
        otherwise at least 1/ks_alpha, since the smallest bootstrap p-value is 1/(B+1).
    bootstrap_max_n : stays per bootstrap resample at most (see :data:`BOOTSTRAP_MAX_N`).
    random_state : seed of the simulation in :func:`predictive_ks` and of the bootstrap; each (unit, class)
        bootstraps from its own stream ``SeedSequence(random_state, spawn_key=crc32 of the purpose, unit and
        class)``, so a unit's p-value does not depend on which other units the log has.

    Attributes
    ----------
    units_ : dict unit -> StayEstimate, the unit's stay for classes without their own.
    classes_ : dict (unit, class) -> StayEstimate.
    class_tests_ : DataFrame unit, patient_class, n, logrank_p, km_distance, own_stay.
    """

    def __init__(
        self,
        *,
        families: Sequence[str] = FAMILIES,
        min_class_stays: int = MIN_CLASS_STAYS,
        alpha: float = ALPHA,
        min_km_distance: float = 0.05,
        ks_alpha: float = 0.01,
        ks_d_ok: float = 0.02,
        mean_tol: float = 0.05,
        bootstrap_b: int = BOOTSTRAP_B,
        bootstrap_max_n: int = BOOTSTRAP_MAX_N,
        random_state: int = 0,
    ):
        if bootstrap_b < 0 or bootstrap_max_n < 1:
            raise ValueError(f"bootstrap_b must be >= 0 and bootstrap_max_n >= 1 (got {bootstrap_b}, {bootstrap_max_n})")
        if bootstrap_b and 1.0 / (bootstrap_b + 1) >= ks_alpha:
            raise ValueError(
                f"bootstrap_b={bootstrap_b} cannot reject at ks_alpha={ks_alpha}: the smallest bootstrap p-value is "
                f"1/(B+1); use B >= {math.ceil(1 / ks_alpha)} (or 0 for the Kolmogorov upper bound)"
            )
        self.random_state = random_state
        self.bootstrap_b = int(bootstrap_b)
        self.bootstrap_max_n = int(bootstrap_max_n)
        self.families = tuple(families)
        self.min_class_stays = min_class_stays
        self.alpha = alpha
        self.min_km_distance = min_km_distance
        self.ks_alpha = ks_alpha
        self.ks_d_ok = ks_d_ok
        self.mean_tol = mean_tol

    def fit(self, stays: pd.DataFrame, discharge_rules: Mapping[str, Any] | None = None) -> StayFit:
        """Fit every unit.

        ``discharge_rules`` maps a unit with a discharge-hour rule to the rule
        (``DischargeFit.rules_[unit]``: ``{hourly_profile, weekend_rate}``; a bare number is
        taken as the weekend rate): its exits enter the likelihood as interval-censored.
        """
        prep = prepare_stays(stays)
        rules = dict(discharge_rules or {})
        self._rng = np.random.default_rng(self.random_state)
        self.discharge_rules_ = rules
        self.units_: dict[str, StayEstimate] = {}
        self.classes_: dict[tuple[str, str], StayEstimate] = {}
        tests = []
        for unit, rows in prep.groupby("unit", sort=True):
            own: list[str] = []
            classes = rows["patient_class"].value_counts()
            if len(classes) > 1:
                # smallest class first, each against the classes not yet given their own stay;
                # the last one standing is the unit's shorthand
                for c, n in classes.sort_values(kind="stable").items():
                    others = ~rows["patient_class"].isin(own + [c])
                    if n < self.min_class_stays or not others.any():
                        continue
                    mine = rows["patient_class"] == c
                    d1, e1 = _sample_of(rows[mine], rules).km_inputs()
                    d2, e2 = _sample_of(rows[others], rules).km_inputs()
                    _, p = logrank_test(d1, e1, d2, e2)
                    dist = _km_distance(d1, e1, d2, e2)
                    split = p < self.alpha and dist >= self.min_km_distance
                    tests.append({"unit": unit, "patient_class": c, "n": int(n), "logrank_p": p, "km_distance": dist, "own_stay": split})
                    if split:
                        own.append(str(c))
            for c in own:
                self.classes_[(unit, c)] = self._estimate(unit, c, _sample_of(rows[rows["patient_class"] == c], rules))
            rest = rows[~rows["patient_class"].isin(own)] if len(own) < len(classes) else rows
            self.units_[unit] = self._estimate(unit, None, _sample_of(rest, rules))
        self.class_tests_ = pd.DataFrame(tests, columns=["unit", "patient_class", "n", "logrank_p", "km_distance", "own_stay"])
        return self

    def _bootstrap_rng(self, unit: str, pclass: str | None) -> np.random.Generator:
        key = tuple(zlib.crc32(str(v).encode("utf-8")) for v in ("stay_bootstrap", unit, pclass or ""))
        return np.random.default_rng(np.random.SeedSequence(entropy=int(self.random_state), spawn_key=key))

    def _estimate(self, unit: str, pclass: str | None, s: CensoredSample) -> StayEstimate:
        d, e = s.km_inputs()
        times, surv = kaplan_meier(d, e)
        t_max = float(d.max()) if len(d) else math.nan
        kmm = km_mean(times, surv, t_max) if len(times) else math.nan
        base = dict(unit=unit, patient_class=pclass, n=s.n, n_exact=len(s.exact), n_censored=len(s.right), n_interval=len(s.lo))
        if s.n_events == 0:
            mean = float(np.mean(s.right)) if len(s.right) else 24.0
            return StayEstimate(
                **base, fits={}, chosen="exponential", ks_d=math.nan, ks_p=math.nan, acceptable=False, km_mean_h=math.nan,
                spec={"distribution": "exponential", "mean_hours": _sig(mean)},
                note="every stay is still open: exponential with the mean time observed so far (a lower bound)",
            )
        families = self.families if s.n_events >= MIN_SHAPE_EVENTS else tuple(f for f in self.families if f == "exponential")
        fits = fit_families(s, families or ("exponential",))
        best = next(iter(fits.values()))
        ks_b = ks_m = 0
        if len(s.lo):
            ks_d, ks_p, ratio = predictive_ks(best, s, self._rng)
            ks_p_upper = ks_p
            ks_test = "predictive two-sample Kolmogorov (discharge rule; upper bound, not bootstrapped)"
        else:
            ks_d, ks_p_upper = _km_ks(best, times, surv, s.n_events)
            ratio = best.mean_h / kmm if kmm > 0 else math.nan
            if self.bootstrap_b > 0:
                boot = bootstrap_ks(best, s, self._bootstrap_rng(unit, pclass), b=self.bootstrap_b,
                                    max_n=self.bootstrap_max_n, d_obs=ks_d)
                ks_p, ks_b, ks_m = boot.p, boot.b, boot.n_resample
                ks_test = f"parametric bootstrap, B={boot.b} resamples of {boot.n_resample} stays"
            else:
                ks_p = ks_p_upper
                ks_test = "Kolmogorov (parameters taken as known: an upper bound)"
        base.update(ks_p_upper=ks_p_upper, ks_test=ks_test, ks_b=ks_b, ks_n_resample=ks_m)
        mean_ok = abs(ratio - 1) <= self.mean_tol if math.isfinite(ratio) else False
        acceptable = (ks_p >= self.ks_alpha) or (ks_d <= self.ks_d_ok and mean_ok)
        if s.n_events < MIN_SHAPE_EVENTS:
            # too few stays to judge a shape: the exponential with the censored-MLE mean, whatever the test says
            note = f"only {s.n_events} observed stays (< {MIN_SHAPE_EVENTS}): exponential, no shape estimated"
            return StayEstimate(**base, fits=fits, chosen=best.family, ks_d=ks_d, ks_p=ks_p, acceptable=acceptable,
                                km_mean_h=kmm, spec=best.spec(), note=note)
        if acceptable:
            return StayEstimate(**base, fits=fits, chosen=best.family, ks_d=ks_d, ks_p=ks_p, acceptable=True, km_mean_h=kmm, spec=best.spec())
        note = ""
        if len(s.lo):
            # interval-censored stays at their conditional median under the best parametric fit
            dist = best.dist
            lo_p, hi_p = dist.cdf(s.lo), dist.cdf(s.hi)
            imputed = np.clip(dist.ppf((lo_p + hi_p) / 2), s.lo, s.hi)
            imputed = np.where(np.isfinite(imputed), imputed, (s.lo + s.hi) / 2)
            d = np.concatenate([s.exact, np.maximum(imputed, MIN_STAY_H), s.right])
            e = np.concatenate([np.ones(len(s.exact) + len(s.lo), bool), np.zeros(len(s.right), bool)])
            times, surv = kaplan_meier(d, e)
            note = "stays held by the discharge rule imputed at their conditional median under the " + best.family + "; "
        spec, note2 = _empirical_spec(times, surv, d, e)
        note += note2
        return StayEstimate(**base, fits=fits, chosen="empirical", ks_d=ks_d, ks_p=ks_p, acceptable=False, km_mean_h=kmm, spec=spec, note=note)


def _km_distance(d1: np.ndarray, e1: np.ndarray, d2: np.ndarray, e2: np.ndarray) -> float:
    t1, s1 = kaplan_meier(d1, e1)
    t2, s2 = kaplan_meier(d2, e2)
    if not len(t1) or not len(t2):
        return 0.0
    grid = np.union1d(t1, t2)
    return float(np.max(np.abs(_km_cdf_at(t1, s1, grid) - _km_cdf_at(t2, s2, grid))))


def _km_ks(fit: FamilyFit, times: np.ndarray, surv: np.ndarray, n_events: int) -> tuple[float, float]:
    """Sup distance between the fitted CDF and Kaplan-Meier, and the Kolmogorov p-value for n_events."""
    F = fit.dist.cdf(times)
    after = 1.0 - surv
    before = np.concatenate([[0.0], after[:-1]])
    d = float(max(np.max(np.abs(F - after)), np.max(np.abs(F - before))))
    p = float(stats.kstwo.sf(d, max(n_events, 1)))
    return d, p


# =========================================================================== parametric bootstrap of D
@dataclass(frozen=True)
class KsBootstrap:
    """A parametric-bootstrap p-value of the fit distance D (see :func:`bootstrap_ks`).

    ``p = (1 + #{sqrt(m) D*_b >= sqrt(n) D}) / (b + 1)`` over the ``b`` resamples that could be refitted.
    """

    p: float
    d: float
    """The observed distance (fitted CDF against Kaplan-Meier), on all ``n`` stays."""
    n: int
    n_resample: int
    """m: stays in each resample (``min(n, max_n)``)."""
    b: int
    """Resamples used (those with at least one observed stay and a converged refit)."""
    d_null: np.ndarray = field(repr=False, compare=False)
    """The b resampled distances D* (each on m stays)."""
    censored_share: float
    """Share of censored stays over all resamples (compare with the data's)."""


def _censoring_law(s: CensoredSample) -> tuple[np.ndarray, np.ndarray]:
    """Reverse Kaplan-Meier: the distribution of the time at which a stay would be censored.

    The censorings are the events and the observed stays the censored ones (a stay that ended at t
    was still open to censoring until t, so it is in the risk set at t). Returns the censoring times
    and the cumulative probability at each; the mass the curve does not reach is "never censored"
    within the observed range.
    """
    d = np.concatenate([s.exact, s.right])
    e = np.concatenate([np.zeros(len(s.exact), bool), np.ones(len(s.right), bool)])
    times, surv = kaplan_meier(d, e)
    return times, 1.0 - surv


def _draw_censoring(times: np.ndarray, cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Censoring times by inversion, ``inf{t: G(t) >= u}``; ``inf`` (never censored) beyond the curve."""
    if not len(times):
        return np.full(u.shape, np.inf)
    i = np.searchsorted(cdf, u, side="left")
    return np.where(i < len(times), times[np.minimum(i, len(times) - 1)], np.inf)


def _cdf_v(family: str, th: np.ndarray, x: np.ndarray) -> np.ndarray:
    """CDF at ``x`` (b, m) under the parameters ``th`` (b, k), one row per resample."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if family == "exponential":
            return -np.expm1(-x * np.exp(-th[:, :1]))
        if family == "lognormal":
            return special.ndtr((np.log(x) - th[:, :1]) / np.exp(th[:, 1:2]))
        if family == "gamma":
            return special.gammainc(np.exp(th[:, :1]), x * np.exp(-th[:, 1:2]))
        if family == "weibull":
            return -np.expm1(-np.exp(np.exp(th[:, :1]) * (np.log(x) - th[:, 1:2])))
    raise ValueError(f"unknown family '{family}' (known: {', '.join(FAMILIES)})")


class _Resamples:
    """b censored samples of m stays each, with what the batched likelihood needs precomputed: per
    resample the number of observed stays and the sums of log x, (log x)^2 and x over them (sufficient for
    the exact part of the lognormal and gamma likelihoods), and the censored stays as flat arrays."""

    def __init__(self, x: np.ndarray, e: np.ndarray):
        self.x, self.e = x, e
        self.b = x.shape[0]
        lx = np.log(x)
        self.n_events = e.sum(axis=1)
        self.s_lx = np.where(e, lx, 0.0).sum(axis=1)
        self.s_lx2 = np.where(e, lx * lx, 0.0).sum(axis=1)
        self.s_x = np.where(e, x, 0.0).sum(axis=1)
        rows = np.broadcast_to(np.arange(self.b)[:, None], x.shape)
        self.lxe, self.re = lx[e], rows[e]
        self.xc, self.rc = x[~e], rows[~e]
        self.lxc = lx[~e]

    def _sum(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(rows, weights=values, minlength=self.b) if len(rows) else np.zeros(self.b)

    def nll(self, family: str, th: np.ndarray) -> np.ndarray:
        """Negative log-likelihood of each resample under its own parameters ``th`` (b, k)."""
        ne, s1 = self.n_events, self.s_lx
        with np.errstate(all="ignore"):
            if family == "lognormal":
                mu, ls = th[:, 0], th[:, 1]
                ss = self.s_lx2 - 2 * mu * s1 + ne * mu * mu
                ll = -s1 - ne * (ls + 0.5 * math.log(2 * math.pi)) - 0.5 * ss * np.exp(-2 * ls)
                z_c = (self.lxc - mu[self.rc]) * np.exp(-ls[self.rc])
                ll += self._sum(self.rc, special.log_ndtr(-z_c))
            elif family == "weibull":
                la, ls = th[:, 0], th[:, 1]
                c = np.exp(la)
                ll = ne * la - s1 + c * (s1 - ne * ls)
                ll -= self._sum(self.re, np.exp(c[self.re] * (self.lxe - ls[self.re])))
                ll -= self._sum(self.rc, np.exp(c[self.rc] * (self.lxc - ls[self.rc])))
            elif family == "gamma":
                a, ls = np.exp(th[:, 0]), th[:, 1]
                ll = (a - 1) * s1 - self.s_x * np.exp(-ls) - ne * (special.gammaln(a) + a * ls)
                q = special.gammaincc(a[self.rc], self.xc * np.exp(-ls[self.rc]))
                ll += self._sum(self.rc, np.log(np.maximum(q, 1e-300)))
            else:
                raise ValueError(f"no batched likelihood for '{family}'")
        ll = np.where(np.isfinite(ll) & np.all(np.abs(th) < 700, axis=1), ll, -np.inf)
        return -ll


def _refit_v(family: str, r: _Resamples, th0: np.ndarray, *, max_iter: int = 60, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Censored MLE of every resample at once: the same likelihood as :func:`fit_family`, maximised by
    damped Newton steps from ``th0`` (the fit to the data, the resamples' true parameters) with
    finite-difference derivatives computed for all resamples together. Returns the parameters (b, k)
    and whether each converged (resamples without an observed stay do not)."""
    b = r.b
    has_events = r.n_events > 0
    if family == "exponential":
        total = r.s_x + r._sum(r.rc, r.xc)
        with np.errstate(divide="ignore"):
            th = np.log(total / np.maximum(r.n_events, 1))[:, None]
        return th, has_events
    k = len(th0)
    th = np.tile(np.asarray(th0, float), (b, 1))
    f = r.nll(family, th)
    done = ~has_events
    stuck = np.zeros(b, bool)
    h = 1e-4
    eye = np.eye(k) * h
    for _ in range(max_iter):
        fp = np.stack([r.nll(family, th + eye[i]) for i in range(k)], axis=1)
        fm = np.stack([r.nll(family, th - eye[i]) for i in range(k)], axis=1)
        g = (fp - fm) / (2 * h)
        H = np.empty((b, k, k))
        for i in range(k):
            H[:, i, i] = (fp[:, i] - 2 * f + fm[:, i]) / h**2
            for j in range(i + 1, k):
                H[:, i, j] = H[:, j, i] = (
                    r.nll(family, th + eye[i] + eye[j]) - r.nll(family, th + eye[i] - eye[j])
                    - r.nll(family, th - eye[i] + eye[j]) + r.nll(family, th - eye[i] - eye[j])
                ) / (4 * h * h)
        ok_h = np.all(np.isfinite(H), axis=(1, 2)) & np.all(np.isfinite(g), axis=1)
        pd_h = ok_h & (np.linalg.eigvalsh(np.where(ok_h[:, None, None], H, np.eye(k))).min(axis=1) > 0)
        step = np.zeros_like(th)
        if pd_h.any():
            step[pd_h] = -np.linalg.solve(H[pd_h], g[pd_h][..., None])[..., 0]
        grad_only = ok_h & ~pd_h
        step[grad_only] = -g[grad_only] / np.maximum(np.abs(g[grad_only]).max(axis=1, keepdims=True), 1.0)
        step[done | ~ok_h] = 0.0
        step /= np.maximum(np.abs(step).max(axis=1, keepdims=True), 1.0)  # at most 1 on the log scale, same direction
        t = np.ones(b)
        moving = ~done & ok_h
        for _ in range(30):
            cand = th + t[:, None] * step
            fc = r.nll(family, cand)
            better = moving & (fc <= f + 1e-12 * np.abs(f))
            th = np.where(better[:, None], cand, th)
            f = np.where(better, fc, f)
            moving &= ~better
            if not moving.any():
                break
            t = np.where(moving, t / 2, t)
        small = np.max(np.abs(t[:, None] * step), axis=1) < tol
        # a step that no halving improves is at the optimum to rounding when the gradient is flat there
        flat = np.max(np.abs(g), axis=1) < 1e-6 * np.maximum(r.n_events, 1)
        stuck |= (moving | ~ok_h) & ~done & ~flat
        done |= small | moving | ~ok_h
        if done.all():
            break
    return th, done & ~stuck & has_events & np.isfinite(f)


def _km_d_v(family: str, th: np.ndarray, x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """D of each resample: the largest gap between its fitted CDF and its Kaplan-Meier curve, at its
    observed stays (as :func:`_km_ks`, on (b, m) arrays; events before censorings at ties)."""
    b, m = x.shape
    # events before censorings at ties: a censored stay sorts just after an event at the same time
    order = np.argsort(np.where(e, x, np.nextafter(x, np.inf)), axis=1)
    xs = np.take_along_axis(x, order, axis=1)
    es = np.take_along_axis(e, order, axis=1)
    at_risk = m - np.arange(m)
    after = 1.0 - np.cumprod(1.0 - es / at_risk, axis=1)
    before = np.concatenate([np.zeros((b, 1)), after[:, :-1]], axis=1)
    F = _cdf_v(family, th, xs)
    gap = np.where(es, np.maximum(np.abs(F - after), np.abs(F - before)), 0.0)
    return gap.max(axis=1)


def bootstrap_ks(
    fit: FamilyFit,
    sample: CensoredSample,
    rng: np.random.Generator,
    *,
    b: int = BOOTSTRAP_B,
    max_n: int = BOOTSTRAP_MAX_N,
    d_obs: float | None = None,
) -> KsBootstrap:
    """p-value of the fit distance D by parametric bootstrap, parameters re-estimated in every resample.

    D is the largest gap between the fitted CDF and the Kaplan-Meier curve (:func:`_km_ks`). Each of the
    ``b`` resamples draws m = min(n, ``max_n``) stays from the fitted law and censors them as the data
    were censored: censoring times are drawn from the reverse Kaplan-Meier estimate of the censoring
    distribution (:func:`_censoring_law`). That keeps the censored share and where in the stay censoring
    falls (in a log, an open stay is censored at the log's end, whatever its length, which the
    likelihood and Kaplan-Meier already assume independent of the stay); censoring only the rows that
    were censored, at their own times, would leave the completed rows uncensored and understate it.
    Each resample is refitted by the same censored MLE and family (:func:`_refit_v`, batched) and its
    D* computed against its own Kaplan-Meier curve. With m < n the comparison is on the
    sqrt(n)-scale: ``sqrt(m) D*`` against ``sqrt(n) D``, since D's null distribution shrinks as
    1/sqrt(n). Only right censoring (``sample.lo`` must be empty). ``d_obs``: the observed D when
    already computed (else computed here).
    """
    if len(sample.lo):
        raise ValueError("bootstrap_ks handles right-censored samples only (interval-censored stays use predictive_ks)")
    if b < 1 or max_n < 1:
        raise ValueError(f"bootstrap_ks needs b >= 1 and max_n >= 1 (got b={b}, max_n={max_n})")
    n = sample.n
    if d_obs is None:
        times, surv = kaplan_meier(*sample.km_inputs())
        d_obs, _ = _km_ks(fit, times, surv, sample.n_events)
    m = int(min(n, max_n))
    ct, cc = _censoring_law(sample)
    T = fit.dist.rvs(size=(b, m), random_state=rng)
    C = _draw_censoring(ct, cc, rng.random((b, m)))
    x = np.maximum(np.minimum(T, C), MIN_STAY_H)
    ev = T <= C
    r = _Resamples(x, ev)
    th, ok = _refit_v(fit.family, r, fit.theta)
    for i in np.flatnonzero(~ok & (r.n_events > 0)):
        # the rare resample the batched Newton steps did not settle: the scalar fitter
        try:
            th[i] = fit_family(fit.family, CensoredSample(x[i][ev[i]], x[i][~ev[i]])).theta
            ok[i] = True
        except (ValueError, FloatingPointError):
            continue
    d_star = _km_d_v(fit.family, th[ok], x[ok], ev[ok])
    used = int(len(d_star))
    stat = d_obs * math.sqrt(n)
    exceed = int(np.sum(d_star * math.sqrt(m) >= stat * (1 - 1e-12)))
    p = (1 + exceed) / (used + 1) if used else math.nan
    return KsBootstrap(p=float(p), d=float(d_obs), n=int(n), n_resample=m, b=used, d_null=d_star,
                       censored_share=float(1 - ev.mean()))


def _empirical_spec(times: np.ndarray, surv: np.ndarray, d: np.ndarray, e: np.ndarray) -> tuple[dict[str, Any], str]:
    F = 1.0 - surv
    lo = float(d[e].min()) if e.any() else float(d.min())
    hi = float(d.max())
    q: dict[float, float] = {}
    capped = False
    for p in EMPIRICAL_PROBS:
        if p == 0.0:
            v = lo
        elif p == 1.0:
            v = hi
        else:
            i = int(np.searchsorted(F, p - 1e-12, side="left"))
            if i >= len(times):
                v, capped = hi, True
            else:
                v = float(times[i])
        q[p] = v
    vals = np.maximum.accumulate([q[p] for p in EMPIRICAL_PROBS])
    spec = {"distribution": "empirical", "quantiles_hours": {p: _sig(float(v)) for p, v in zip(EMPIRICAL_PROBS, vals, strict=True)}}
    note = "Kaplan-Meier quantiles"
    if capped:
        note += "; the curve does not reach the top quantiles (censoring), capped at the longest stay seen"
    return spec, note


# =========================================================================== arrivals
@dataclass
class ArrivalStream:
    """External arrivals of one (entry unit, class, source), with the evidence behind each number."""

    name: str
    unit: str
    patient_class: str
    source: str | None
    n: int
    per_day: float
    per_day_se: float
    hour_weights: list[float]
    hour_p: float
    hour_kept: bool
    dow_weights: list[float]
    dow_p: float
    dow_kept: bool
    interaction_p: float
    month_ratios: dict[int, float]
    month_p: float
    month_kept: bool
    dispersion: float
    dispersion_p: float
    var_mean_ratio: float
    elective: bool = False
    per_weekday: list[float] | None = None
    elective_hour: float | None = None
    cancel_after_hours: float | None = None
    share: float = math.nan


class ArrivalFit:
    """External arrival streams: rates, hour-of-day, day-of-week and month effects, over-dispersion.

    Parameters
    ----------
    alpha : keep a profile when its test has p < alpha.
    min_expected : test an effect only when every cell expects at least this many arrivals.
    dates_shifted : dates were shifted per patient; rates and seasonality are not estimated.
    shift_keeps_clock : with shifted dates, whether the clock hour and weekday survived the shift.
    min_stream_arrivals : an arrival source with fewer arrivals than this into a (unit, class)
        is pooled there with the other rare ones as source ``other`` (listed in ``pooled_``).

    Attributes
    ----------
    streams_ : list of ArrivalStream.
    period_ : (first midnight, end of observation); days_ : complete days used for rates.
    """

    def __init__(self, *, alpha: float = ALPHA, min_expected: float = 5.0, dates_shifted: bool = False, shift_keeps_clock: bool = True,
                 min_stream_arrivals: int = 10):
        self.min_stream_arrivals = min_stream_arrivals
        self.alpha = alpha
        self.min_expected = min_expected
        self.dates_shifted = dates_shifted
        self.shift_keeps_clock = shift_keeps_clock

    def fit(self, stays: pd.DataFrame) -> ArrivalFit:
        prep = prepare_stays(stays)
        has = prep.attrs["has"]
        first = prep[prep["is_first"]]
        t0, t_obs, days = _window(prep)
        self.period_ = (t0, t_obs)
        self.days_ = days
        keys = ["unit", "patient_class"] + (["arrival_source"] if has["arrival_source"] else [])
        self.pooled_: list[tuple[str, str, str, int]] = []
        if has["arrival_source"] and self.min_stream_arrivals > 1:
            # a source with a handful of arrivals into a (unit, class) is pooled into 'other' there: a stream
            # fitted from three arrivals is noise, and dozens of them make the scenario unreadable (MIMIC)
            src = first["arrival_source"].astype(object).where(first["arrival_source"].notna(), None)
            size = first.groupby(["unit", "patient_class", src.fillna("\x00")], sort=False)["unit"].transform("size")
            rare = (size < self.min_stream_arrivals).to_numpy() & src.notna().to_numpy()
            if rare.any():
                for (u, c, a), n in first[rare].groupby(["unit", "patient_class", "arrival_source"], sort=True).size().items():
                    self.pooled_.append((str(u), str(c), str(a), int(n)))
                first = first.copy()
                first["arrival_source"] = np.where(rare, POOLED_SOURCE, first["arrival_source"].astype(object))
        groups = first.groupby(keys, sort=True, dropna=False)
        self.streams_: list[ArrivalStream] = []
        total = len(first)
        used_names: set[str] = set()
        for key, rows in groups:
            key = key if isinstance(key, tuple) else (key,)
            unit, pclass = str(key[0]), str(key[1])
            source = key[2] if len(key) > 2 and pd.notna(key[2]) else None
            name = _name(unit, pclass if has["patient_class"] else None, source)
            base, k = name, 2
            while name in used_names:
                name, k = f"{base}_{k}", k + 1
            used_names.add(name)
            st = self._stream(name, unit, pclass, source, rows, t0, days)
            st.share = len(rows) / total if total else math.nan
            self.streams_.append(st)
        return self

    def _stream(self, name, unit, pclass, source, rows, t0, days) -> ArrivalStream:
        times = pd.to_datetime(rows["arrival"])
        if days >= 1:
            day_idx = ((times - t0) / pd.Timedelta(days=1)).to_numpy(dtype=float)
            inside = (day_idx >= 0) & (day_idx < days)
            times = times[inside]
            day_idx = np.floor(day_idx[inside]).astype(int)
        else:
            day_idx = np.zeros(len(times), int)
        n = len(times)
        exposure_days = max(days, 1)
        trust_dates = not self.dates_shifted
        trust_clock = trust_dates or self.shift_keeps_clock
        per_day = n / exposure_days if trust_dates else math.nan
        # hour of day: equal exposure per hour over whole days
        hours = times.dt.hour.to_numpy()
        c_h = np.bincount(hours, minlength=24).astype(float)
        hour_p = math.nan
        if trust_clock and n / 24 >= self.min_expected:
            hour_p = float(stats.chi2.sf(_g_test(c_h, np.full(24, n / 24)), 23))
        # days: counts per complete day, weekday exposure
        daily = np.bincount(day_idx, minlength=exposure_days)[:exposure_days].astype(float)
        wd_of_day = (t0.weekday() + np.arange(exposure_days)) % 7
        n_wd = np.bincount(wd_of_day, minlength=7).astype(float)
        c_wd = np.bincount(wd_of_day[day_idx] if n else np.array([], int), minlength=7).astype(float)
        rate_wd = np.where(n_wd > 0, c_wd / np.maximum(n_wd, 1), 0.0)
        month_of_day = (t0 + pd.to_timedelta(np.arange(exposure_days), unit="D")).month.to_numpy()
        seasonal_window = days >= 365 and trust_dates
        # over-dispersion: Pearson statistic of daily counts around weekday (x month) means
        mu = rate_wd[wd_of_day].copy()
        k_params = int((n_wd > 0).sum())
        if seasonal_window:
            c_m = np.bincount(month_of_day, weights=daily, minlength=13)
            e_m = np.bincount(month_of_day, weights=mu, minlength=13)
            ratio = np.where(e_m > 0, c_m / np.maximum(e_m, 1e-12), 1.0)
            mu = mu * ratio[month_of_day]
            k_params += int((e_m > 0).sum()) - 1
        dof = max(exposure_days - k_params, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson = float(np.sum(np.where(mu > 0, (daily - mu) ** 2 / mu, 0.0)))
        dispersion = pearson / dof if n else math.nan
        dispersion_p = float(stats.chi2.sf(pearson, dof)) if n and trust_dates else math.nan
        var_mean = float(daily.var(ddof=1) / daily.mean()) if n and exposure_days > 1 and daily.mean() > 0 else math.nan
        phi = max(dispersion, 1.0) if math.isfinite(dispersion) else 1.0
        dow_p = math.nan
        expected_wd = n * n_wd / n_wd.sum()
        if trust_clock and n and expected_wd[n_wd > 0].min() >= self.min_expected and (n_wd > 0).sum() == 7:
            dow_p = float(stats.chi2.sf(_g_test(c_wd, expected_wd) / phi, 6))
        interaction_p = math.nan
        if trust_clock and n and (n_wd > 0).sum() == 7:
            table = np.zeros((7, 24))
            np.add.at(table, (times.dt.day_of_week.to_numpy(), hours), 1.0)
            e = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / max(n, 1)
            if e.min() >= self.min_expected:
                interaction_p = float(stats.chi2.sf(_g_test(table, e), 6 * 23))
        months: dict[int, float] = {}
        month_p = math.nan
        if seasonal_window and n:
            exp_m = np.bincount(month_of_day, minlength=13)[1:].astype(float)
            cnt_m = np.bincount(month_of_day[day_idx], minlength=13)[1:].astype(float)
            present = exp_m > 0
            rate = n / exposure_days
            for m in np.flatnonzero(present):
                months[int(m + 1)] = round(float(cnt_m[m] / exp_m[m] / rate), 3)
            e = n * exp_m[present] / exp_m.sum()
            if e.min() >= self.min_expected:
                month_p = float(stats.chi2.sf(_g_test(cnt_m[present], e) / phi, int(present.sum()) - 1))
        hour_w = _profile(c_h) if n else [1.0] * 24
        dow_w = _profile(rate_wd) if n else [1.0] * 7
        elective = bool(ELECTIVE.search(str(source or "")) or ELECTIVE.search(str(pclass)))
        st = ArrivalStream(
            name=name, unit=unit, patient_class=pclass, source=source, n=n, per_day=per_day,
            per_day_se=math.sqrt(n) / exposure_days if trust_dates else math.nan,
            hour_weights=hour_w, hour_p=hour_p, hour_kept=bool(hour_p < self.alpha),
            dow_weights=dow_w, dow_p=dow_p, dow_kept=bool(dow_p < self.alpha),
            interaction_p=interaction_p, month_ratios=months, month_p=month_p,
            month_kept=bool(month_p < self.alpha) and max(abs(v - 1) for v in months.values()) >= 0.05 if months else False,
            dispersion=dispersion, dispersion_p=dispersion_p, var_mean_ratio=var_mean, elective=elective,
        )
        if elective and n:
            st.per_weekday = [round(float(x), 2) for x in rate_wd] if trust_dates else None
            clock = _clock_h(times)
            st.elective_hour = min(round(float(np.median(clock)) * 4) / 4, 23.75)
            waits = rows["wait_h"].dropna().to_numpy()
            st.cancel_after_hours = float(max(4.0, math.ceil(np.quantile(waits, 0.99)))) if len(waits) else 4.0
        return st


# =========================================================================== routes
class RouteFit:
    """Transitions between units: counts, probabilities, per class where they differ.

    Attributes
    ----------
    counts_ : DataFrame patient_class, from, to, count (closed stays; open last stays are censored).
    transitions_ : DataFrame from, to, count, p, rare (all classes pooled).
    graph_ : networkx DiGraph of the pooled transitions, edges with ``count``, ``p``, ``rare``.
    class_graphs_ : dict class -> DiGraph of that class's transitions.
    class_tests_ : DataFrame unit, patient_class, n, p, tv, own_route.
    censored_ : dict unit -> open last stays (not counted).
    admissions_ : dict unit -> stays in the unit (for the folding rule).
    folded_ : (class or None, from, to, into, p) of each transition folded by :meth:`scenario_routes`.
    """

    def __init__(
        self,
        *,
        min_class_stays: int = MIN_CLASS_STAYS,
        alpha: float = ALPHA,
        min_tv: float = 0.02,
        rare_count: int = 5,
        min_p: float = 0.01,
        min_inflow_share: float = 0.02,
    ):
        self.min_class_stays = min_class_stays
        self.alpha = alpha
        self.min_tv = min_tv
        self.rare_count = rare_count
        self.min_p = min_p
        self.min_inflow_share = min_inflow_share

    def fit(self, stays: pd.DataFrame) -> RouteFit:
        prep = prepare_stays(stays)
        self.admissions_ = prep.groupby("unit").size().astype(int).to_dict()
        known = prep[prep["next_unit"].notna()]
        self.censored_ = prep[prep["next_unit"].isna()].groupby("unit").size().astype(int).to_dict()
        counts = known.groupby(["patient_class", "unit", "next_unit"], sort=True).size().rename("count").reset_index()
        counts = counts.rename(columns={"unit": "from", "next_unit": "to"})
        self.counts_ = counts
        pooled = counts.groupby(["from", "to"], sort=True)["count"].sum().reset_index()
        pooled["p"] = pooled["count"] / pooled.groupby("from")["count"].transform("sum")
        pooled["rare"] = pooled["count"] < self.rare_count
        self.transitions_ = pooled
        self.graph_ = self._graph(pooled)
        self.class_graphs_ = {}
        for c, rows in counts.groupby("patient_class", sort=True):
            t = rows.groupby(["from", "to"])["count"].sum().reset_index()
            t["p"] = t["count"] / t.groupby("from")["count"].transform("sum")
            t["rare"] = t["count"] < self.rare_count
            self.class_graphs_[str(c)] = self._graph(t)
        tests = []
        for unit, rows in counts.groupby("from", sort=True):
            table = rows.pivot_table(index="patient_class", columns="to", values="count", aggfunc="sum", fill_value=0)
            if len(table) < 2:
                continue
            # smallest class first, each against the classes not yet given their own routes;
            # the last one standing is the unit's shorthand
            own: list[str] = []
            for c in table.sum(axis=1).sort_values(kind="stable").index:
                mine = table.loc[c].to_numpy(float)
                rest = table.drop(index=own + [c]).sum().to_numpy(float)
                n = mine.sum()
                if n < self.min_class_stays or rest.sum() == 0:
                    continue
                cols = (mine + rest) > 0
                obs = np.vstack([mine[cols], rest[cols]])
                if obs.shape[1] < 2:
                    p, tv = 1.0, 0.0
                else:
                    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
                    p = float(stats.chi2.sf(_g_test(obs, exp), obs.shape[1] - 1))
                    tv = _tv(obs[0] / obs[0].sum(), obs[1] / obs[1].sum())
                split = bool(p < self.alpha and tv >= self.min_tv)
                if split:
                    own.append(c)
                tests.append({"unit": unit, "patient_class": str(c), "n": int(n), "p": p, "tv": tv, "own_route": split})
        self.class_tests_ = pd.DataFrame(tests, columns=["unit", "patient_class", "n", "p", "tv", "own_route"])
        self.folded_: list[tuple[str | None, str, str, str, float]] = []
        return self

    @staticmethod
    def _graph(t: pd.DataFrame) -> nx.DiGraph:
        g = nx.DiGraph()
        for r in t.itertuples(index=False):
            g.add_edge(r[0], r[1], count=int(r[2]), p=float(r[3]), rare=bool(r[4]))
        return g

    def own_routes(self) -> dict[str, list[str]]:
        """Class -> units from which it has its own routes."""
        out: dict[str, list[str]] = {}
        for r in self.class_tests_.itertuples(index=False):
            if r.own_route:
                out.setdefault(r.patient_class, []).append(r.unit)
        return out

    def _table(self, counts: pd.DataFrame, who: str | None) -> dict[str, dict[str, float]]:
        routes: dict[str, dict[str, float]] = {}
        for unit, rows in counts.groupby("from", sort=True):
            c = rows.groupby("to")["count"].sum()
            total = c.sum()
            p = (c / total).to_dict()
            largest = max(p, key=lambda k: (p[k], k == EXIT))
            for dest in list(p):
                inflow = c[dest] / max(self.admissions_.get(dest, 1), 1)
                if dest != EXIT and dest != largest and p[dest] < self.min_p and inflow < self.min_inflow_share:
                    self.folded_.append((who, str(unit), str(dest), str(largest), float(p[dest])))
                    p[largest] += p.pop(dest)
            routes[str(unit)] = _round_probs(p)
        return routes

    def scenario_routes(self) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[str, float]]]]:
        """(shorthand routes, per-class routes) for the scenario, rare transitions folded.

        The shorthand for a unit comes from the classes without their own routes there
        (all classes when every one has its own). Units whose patients all leave are omitted
        (no route = leave after the stay).
        """
        self.folded_ = []
        own = self.own_routes()
        counts = self.counts_
        overridden = {(c, u) for c, units in own.items() for u in units}
        mask = np.array([(c, u) not in overridden for c, u in zip(counts["patient_class"], counts["from"], strict=True)], bool)
        rest = counts[mask]
        all_units = set(counts["from"])
        fallback_units = all_units - set(rest["from"])
        base = pd.concat([rest, counts[counts["from"].isin(fallback_units)]])
        shorthand = {u: r for u, r in self._table(base, None).items() if r != {EXIT: 1.0}}
        per_class: dict[str, dict[str, dict[str, float]]] = {}
        for c, units in own.items():
            rows = counts[(counts["patient_class"] == c) & counts["from"].isin(units)]
            per_class[c] = self._table(rows, c)
        return shorthand, per_class


def _round_probs(p: Mapping[str, float], digits: int = 4) -> dict[str, float]:
    """Probabilities rounded, the largest adjusted so that they sum to 1; exit first."""
    items = sorted(p.items(), key=lambda kv: (kv[0] != EXIT, kv[0]))
    r = {k: round(float(v), digits) for k, v in items if round(float(v), digits) > 0}
    if not r:
        r = {max(p, key=p.get): 1.0}
    big = max(r, key=r.get)
    r[big] = round(1.0 - sum(v for k, v in r.items() if k != big), digits + 2)
    return r


# =========================================================================== discharges
class DischargeFit:
    """When patients leave the hospital: hour-of-day and weekday profiles, weekend rate, rules per unit.

    Attributes
    ----------
    n_ : leavers (closed last stays). hour_profile_ (24, mean 1), hour_p_ (against flat),
    weekday_profile_ (7, per day of each weekday, mean 1), weekend_rate_ (Sat+Sun per day
    over Tue-Fri per day), unit_profiles_ (unit -> 24 weights), homogeneity_p_ (the
    units' hour profiles are the same), tests_ (unit, n, tv, p, weekend_rate, rule),
    rules_ (unit -> {hourly_profile, weekend_rate}) for units with a discharge-hour rule.
    """

    def __init__(
        self,
        *,
        alpha: float = ALPHA,
        min_tv: float = 0.05,
        min_exits: int = 100,
        n_permutations: int = 199,
        max_test_exits: int = 50_000,
        random_state: int = 0,
        dates_shifted: bool = False,
        shift_keeps_clock: bool = True,
    ):
        self.alpha = alpha
        self.min_tv = min_tv
        self.min_exits = min_exits
        self.n_permutations = n_permutations
        self.max_test_exits = max_test_exits
        self.random_state = random_state
        self.dates_shifted = dates_shifted
        self.shift_keeps_clock = shift_keeps_clock

    def fit(self, stays: pd.DataFrame) -> DischargeFit:
        prep = prepare_stays(stays)
        exits = prep[(prep["next_unit"] == EXIT)]
        self.n_ = len(exits)
        t0, t_obs, days = _window(prep)
        end = pd.to_datetime(exits["end"])
        hours = end.dt.hour.to_numpy()
        c_h = np.bincount(hours, minlength=24).astype(float)
        self.hour_profile_ = _profile(c_h)
        self.hour_p_ = float(stats.chi2.sf(_g_test(c_h, np.full(24, c_h.sum() / 24)), 23)) if self.n_ else math.nan
        self.weekday_profile_, self.weekend_rate_ = self._weekdays(end, t0, days)
        usable_clock = not self.dates_shifted or self.shift_keeps_clock
        self.unit_profiles_ = {}
        tests = []
        self.rules_: dict[str, dict[str, Any]] = {}
        rng = np.random.default_rng(self.random_state)
        table = []
        for unit, rows in exits.groupby("unit", sort=True):
            e = pd.to_datetime(rows["end"])
            ch = np.bincount(e.dt.hour.to_numpy(), minlength=24).astype(float)
            self.unit_profiles_[str(unit)] = _profile(ch)
            if len(rows) >= self.min_exits:
                table.append(ch)
            if len(rows) < self.min_exits or not usable_clock:
                tests.append({"unit": unit, "n": len(rows), "tv": math.nan, "p": math.nan, "weekend_rate": math.nan, "rule": False})
                continue
            tv, p = self._rule_test(rows, rng)
            _, q = self._weekdays(e, t0, days)
            if self.dates_shifted and not self.shift_keeps_clock:
                q = 1.0
            rule = bool(p < self.alpha and tv >= self.min_tv)
            tests.append({"unit": unit, "n": len(rows), "tv": tv, "p": p, "weekend_rate": q, "rule": rule})
            if rule:
                q = 1.0 if not math.isfinite(q) or q >= 0.95 else round(max(q, 0.0), 3)
                self.rules_[str(unit)] = {"hourly_profile": _profile(ch), "weekend_rate": q}
        self.tests_ = pd.DataFrame(tests, columns=["unit", "n", "tv", "p", "weekend_rate", "rule"])
        self.homogeneity_p_ = math.nan
        if len(table) >= 2:
            obs = np.vstack(table)
            obs = obs[:, obs.sum(0) > 0]
            exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
            self.homogeneity_p_ = float(stats.chi2.sf(_g_test(obs, exp), (obs.shape[0] - 1) * (obs.shape[1] - 1)))
        return self

    @staticmethod
    def _weekdays(end: pd.Series, t0: pd.Timestamp, days: int) -> tuple[list[float], float]:
        if days < 7 or not len(end):
            return [1.0] * 7, math.nan
        idx = np.floor(((end - t0) / pd.Timedelta(days=1)).to_numpy(dtype=float))
        inside = (idx >= 0) & (idx < days)
        wd = end.dt.day_of_week.to_numpy()[inside]
        n_wd = np.bincount((t0.weekday() + np.arange(days)) % 7, minlength=7).astype(float)
        rate = np.bincount(wd, minlength=7) / np.maximum(n_wd, 1)
        mid = rate[1:5].mean()
        q = float(rate[5:7].mean() / mid) if mid > 0 else math.nan
        return _profile(rate), q

    def _rule_test(self, rows: pd.DataFrame, rng: np.random.Generator) -> tuple[float, float]:
        """Total-variation distance of leaving hours from independence of start clock and stay; permutation p."""
        s = _clock_h(rows["start"])
        d = _hours(pd.to_datetime(rows["end"]) - pd.to_datetime(rows["start"]))
        if len(s) > self.max_test_exits:
            pick = rng.choice(len(s), self.max_test_exits, replace=False)
            s, d = s[pick], d[pick]
        bins = 1440
        hs = np.bincount(np.floor(s * 60).astype(int) % bins, minlength=bins).astype(float)
        hd = np.bincount(np.floor(np.mod(d, 24.0) * 60).astype(int) % bins, minlength=bins).astype(float)
        conv = np.real(np.fft.ifft(np.fft.fft(hs) * np.fft.fft(hd)))
        conv = np.clip(conv, 0, None)
        expected = conv.reshape(24, 60).sum(1)
        expected /= expected.sum()

        def stat(dd: np.ndarray) -> float:
            h = np.floor(np.mod(s + dd, 24.0)).astype(int) % 24
            return _tv(np.bincount(h, minlength=24) / len(h), expected)

        t_obs = stat(d)
        perms = [stat(rng.permutation(d)) for _ in range(self.n_permutations)]
        p = (1 + sum(t >= t_obs for t in perms)) / (self.n_permutations + 1)
        return t_obs, float(p)


# =========================================================================== beds
class CapacityFit:
    """Beds per unit: from a capacity table, else from concurrent occupancy (an estimate, flagged).

    Parameters
    ----------
    percentile : None for the peak of concurrent occupancy, else this time-weighted
        percentile (e.g. 99.5) as the bed estimate.
    default_beds : beds for a unit missing from the table when concurrency cannot be used.

    Attributes
    ----------
    beds_ : dict unit -> beds. method_ : dict unit -> 'given' | 'peak' | 'p99.5' | 'DEFAULT'.
    occupancy_ : DataFrame unit, mean, p95, p99_5, peak, waited_share (None with shifted dates).
    flags_ : list of warnings.
    """

    def __init__(self, *, percentile: float | None = None, default_beds: int = 20):
        self.percentile = percentile
        self.default_beds = default_beds

    def fit(self, stays: pd.DataFrame, capacity: Mapping[str, int] | None = None, dates_shifted: bool = False) -> CapacityFit:
        prep = prepare_stays(stays)
        capacity = dict(capacity or {})
        units = sorted(prep["unit"].unique())
        self.beds_: dict[str, int] = {}
        self.method_: dict[str, str] = {}
        self.flags_: list[str] = []
        self.occupancy_ = None if dates_shifted else occupancy_table(prep)
        for u in units:
            if u in capacity:
                self.beds_[u] = int(capacity[u])
                self.method_[u] = "given"
            elif dates_shifted:
                self.beds_[u] = int(self.default_beds)
                self.method_[u] = "DEFAULT"
                self.flags_.append(
                    f"{u}: {self.default_beds} beds is a DEFAULT, not from data: dates are shifted per patient, "
                    "so concurrent occupancy means nothing; give a capacity table"
                )
            else:
                row = self.occupancy_.set_index("unit").loc[u]
                if self.percentile is None:
                    beds, how = int(row["peak"]), "peak"
                else:
                    beds = int(math.ceil(_weighted_quantile_unit(prep, u, self.percentile)))
                    how = f"p{self.percentile:g}"
                self.beds_[u] = max(beds, 1)
                self.method_[u] = how
                self.flags_.append(f"{u}: {self.beds_[u]} beds ESTIMATED from the {how} of concurrent occupancy (a lower bound if the unit was never full)")
        extra = sorted(set(capacity) - set(units))
        if extra:
            self.flags_.append(f"capacity given for unit(s) not in the log, ignored: {', '.join(extra)}")
        return self


def _occupancy_steps(rows: pd.DataFrame, t_end: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Occupancy levels and how long (hours) each lasted, between the first start and ``t_end``."""
    start = rows["start"].to_numpy()
    end = rows["end"].to_numpy().copy()
    end[np.isnat(end)] = t_end
    times = np.concatenate([start, end])
    delta = np.concatenate([np.ones(len(start), int), -np.ones(len(end), int)])
    order = np.lexsort((delta, times))  # leaving before arriving at the same instant
    times, delta = times[order], delta[order]
    level = np.cumsum(delta)
    dur = np.diff(np.append(times, np.datetime64(t_end, "ns"))) / _H
    keep = times <= t_end
    return level[keep], np.clip(dur[keep].astype(float), 0, None)


def _wq(levels: np.ndarray, weights: np.ndarray, q: float) -> float:
    if not len(levels) or weights.sum() <= 0:
        return math.nan
    order = np.argsort(levels, kind="stable")
    cw = np.cumsum(weights[order]) / weights.sum()
    return float(levels[order][min(np.searchsorted(cw, q / 100.0), len(cw) - 1)])


def _weighted_quantile_unit(prep: pd.DataFrame, unit: str, q: float) -> float:
    lv, w = _occupancy_steps(prep[prep["unit"] == unit], np.datetime64(prep.attrs["observed_until"], "ns"))
    return _wq(lv, w, q)


def occupancy_table(stays: pd.DataFrame) -> pd.DataFrame:
    """Per unit: time-average, p95, p99.5 and peak of concurrent occupancy, and the share who waited.

    Measured from the unit's first admission to the end of observation (open stays count to the end).
    """
    prep = prepare_stays(stays)
    t_end = np.datetime64(prep.attrs["observed_until"], "ns")
    rows = []
    for unit, r in prep.groupby("unit", sort=True):
        lv, w = _occupancy_steps(r, t_end)
        waited = r["wait_h"].dropna()
        rows.append(
            {
                "unit": unit,
                "mean": float(np.sum(lv * w) / w.sum()) if w.sum() > 0 else math.nan,
                "p95": _wq(lv, w, 95),
                "p99_5": _wq(lv, w, 99.5),
                "peak": int(lv.max()) if len(lv) else 0,
                "waited_share": float((waited > 1 / 60).mean()) if len(waited) else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["unit", "mean", "p95", "p99_5", "peak", "waited_share"])


# =========================================================================== waits
class WaitFit:
    """Waits for a bed (start - ready_at) and boarding (time in a unit after being ready to move), per unit.

    Attributes
    ----------
    waits_ : DataFrame unit, n, mean_h, p90_h, waited_share (empty without ready_at).
    boarding_ : DataFrame unit, n, mean_h, p90_h, share (stays whose next unit has ready_at).
    """

    def fit(self, stays: pd.DataFrame) -> WaitFit:
        prep = prepare_stays(stays)
        cols = ["unit", "n", "mean_h", "p90_h", "waited_share"]
        w = prep.dropna(subset=["wait_h"])
        self.waits_ = pd.DataFrame(
            [
                {"unit": u, "n": len(r), "mean_h": float(r["wait_h"].mean()), "p90_h": float(r["wait_h"].quantile(0.9)),
                 "waited_share": float((r["wait_h"] > 1 / 60).mean())}
                for u, r in w.groupby("unit", sort=True)
            ],
            columns=cols,
        )
        nxt = prep[prep["closed"] & prep["next_unit"].notna() & (prep["next_unit"] != EXIT)]
        self.boarding_ = pd.DataFrame(
            [
                {"unit": u, "n": len(r), "mean_h": float(r["blocked_h"].mean()), "p90_h": float(r["blocked_h"].quantile(0.9)),
                 "share": float((r["blocked_h"] > 1 / 60).mean())}
                for u, r in nxt.groupby("unit", sort=True)
            ],
            columns=["unit", "n", "mean_h", "p90_h", "share"],
        )
        return self


# =========================================================================== everything
TARGET_LOAD = 0.85
"""With shifted dates, arrival rates are set so that the busiest unit's offered load is this share of its beds."""


@dataclass
class Calibration:
    """Every fit of one ADT log, and the scenario they make."""

    name: str
    source: list[str]
    counts: dict[str, Any]
    period: tuple[pd.Timestamp, pd.Timestamp]
    days: int
    dates_shifted: bool
    arrivals: ArrivalFit
    stays: StayFit
    routes: RouteFit
    discharge: DischargeFit
    capacity: CapacityFit
    waits: WaitFit
    has: dict[str, bool]
    flags: list[str] = field(default_factory=list)
    prepared: pd.DataFrame | None = field(default=None, repr=False)
    """The prepared stays every fit used (:func:`prepare_stays`), for reports and checks."""

    # ------------------------------------------------------------------ scenario
    def _start(self) -> pd.Timestamp:
        if self.dates_shifted:
            return pd.Timestamp("2025-01-06")
        t0 = self.period[0].floor("D")
        return t0 + pd.Timedelta(days=(7 - t0.weekday()) % 7)

    def _los_specs(self) -> tuple[dict[str, dict], dict[str, dict[str, dict]]]:
        unit_los = {u: est.spec for u, est in self.stays.units_.items()}
        class_los: dict[str, dict[str, dict]] = {}
        for (u, c), est in self.stays.classes_.items():
            class_los.setdefault(c, {})[u] = est.spec
        return unit_los, class_los

    def _unit_kind(self, unit: str) -> str:
        if ED_NAME.search(unit):
            return "ed"
        if ICU_NAME.search(unit):
            return "icu"
        return "ward"

    def warmup_days(self) -> float:
        """Four times the longest mean stay, in whole weeks, at least one week."""
        means = [e.mean_h for e in list(self.stays.units_.values()) + list(self.stays.classes_.values())]
        longest = max([m for m in means if math.isfinite(m)] or [24.0]) / 24
        return float(max(7, 7 * math.ceil(4 * longest / 7)))

    def scenario_dict(self, *, horizon_days: float = 364, replications: int = 10, seed: int = 0) -> dict[str, Any]:
        """The calibrated scenario as a dict that ``Scenario.model_validate`` accepts and that runs as is."""
        start = self._start()
        warmup = self.warmup_days()
        end = start + pd.Timedelta(days=warmup + horizon_days)
        units: dict[str, Any] = {}
        for u, beds in self.capacity.beds_.items():
            spec: dict[str, Any] = {"beds": int(beds), "when_full": "queue"}
            kind = self._unit_kind(u)
            if kind != "ward":
                spec["kind"] = kind
            if u in self.discharge.rules_:
                spec["discharge"] = dict(self.discharge.rules_[u])
            units[u] = spec
        arrivals: list[dict[str, Any]] = []
        electives: list[dict[str, Any]] = []
        rates = self._per_day()
        for st in self.arrivals.streams_:
            if st.elective and st.per_weekday is not None and sum(st.per_weekday) > 0:
                electives.append(
                    {
                        "name": st.name, "unit": st.unit, "per_weekday": st.per_weekday, "hour": st.elective_hour,
                        "cancel_after_hours": st.cancel_after_hours, "patient_class": st.patient_class,
                        "source": st.source or "elective",
                    }
                )
                continue
            a: dict[str, Any] = {"name": st.name, "unit": st.unit, "per_day": _sig(rates[st.name])}
            if self.has["patient_class"]:
                a["patient_class"] = st.patient_class
            if st.source is not None:
                a["source"] = st.source
            if st.hour_kept:
                a["hour_of_day"] = st.hour_weights
            if st.dow_kept:
                a["day_of_week"] = st.dow_weights
            if st.month_kept:
                a["multipliers"] = _month_multipliers(st.month_ratios, start, end)
            arrivals.append(a)
        shorthand, class_routes = self.routes.scenario_routes()
        unit_los, class_los = self._los_specs()
        data: dict[str, Any] = {
            "name": self.name,
            "description": f"Calibrated from an ADT log ({', '.join(self.source) or 'source not given'}), "
            f"{self.period[0]:%Y-%m-%d} to {self.period[1]:%Y-%m-%d}.",
            "start": start.to_pydatetime(),
            "horizon_days": float(horizon_days),
            "warmup_days": warmup,
            "replications": int(replications),
            "seed": int(seed),
            "units": units,
            "arrivals": arrivals,
        }
        if electives:
            data["electives"] = electives
        data["routes"] = shorthand
        data["length_of_stay"] = unit_los
        if class_routes or class_los:
            classes = sorted({st.patient_class for st in self.arrivals.streams_} | set(class_routes) | set(class_los))
            data["patient_classes"] = {
                c: {k: v for k, v in (("routes", class_routes.get(c)), ("length_of_stay", class_los.get(c))) if v}
                for c in classes
            }
        return data

    def scenario(self, **kw: Any) -> Scenario:
        """The validated scenario."""
        return Scenario.model_validate(self.scenario_dict(**kw))

    def _per_day(self) -> dict[str, float]:
        streams = self.arrivals.streams_
        if not self.dates_shifted:
            return {s.name: s.per_day for s in streams}
        # Rates cannot be measured: scale the streams' shares so that the busiest unit's offered load is
        # TARGET_LOAD of its beds (a load set on the beds pooled over units overloads the unit with the longest
        # stays and gridlocks the rest behind it).
        unit_los, class_los = self._los_specs()
        shorthand, class_routes = self.routes.scenario_routes()
        load_per_rate: dict[str, float] = {}
        for st in streams:
            routes = {**shorthand, **class_routes.get(st.patient_class, {})}
            visits = _expected_visits(st.unit, routes)
            for u, v in visits.items():
                spec = class_los.get(st.patient_class, {}).get(u) or unit_los.get(u)
                load_per_rate[u] = load_per_rate.get(u, 0.0) + st.share * v * _spec_mean_h(spec) / 24.0
        ratios = [TARGET_LOAD * self.capacity.beds_[u] / x for u, x in load_per_rate.items()
                  if x > 0 and u in self.capacity.beds_]
        total = min(ratios) if ratios else 1.0
        return {s.name: s.share * total for s in streams}

    # ------------------------------------------------------------------ provenance
    def provenance_comments(self) -> list[str]:
        """Comment lines (each starting with '# ') for the top of the scenario YAML."""
        from hospital_twin._version import __version__

        c = self.counts
        L: list[str] = []
        add = L.append
        add(f"Calibrated by hospital_twin {__version__} (hospital_twin.calibration.fit) from an ADT log.")
        for s in self.source or ["source: not given"]:
            add(f"Source: {s}")
        add(
            f"Period: {self.period[0]:%Y-%m-%d %H:%M} to {self.period[1]:%Y-%m-%d %H:%M} "
            f"({self.days} complete days used for rates)."
        )
        reasons = ", ".join(f"{k}: {v}" for k, v in c["excluded_reasons"].items()) or "none"
        add(
            f"Rows: read {c['rows_read']}, used {c['rows_read'] - c['rows_excluded']}, excluded {c['rows_excluded']} ({reasons}); "
            f"{c['rows_merged_self_loops']} merged into the previous stay (same unit twice in a row)."
        )
        add(
            f"Stays: {c['stays']} ({c['open_stays']} open at the end, right-censored); encounters {c['encounters']}, "
            f"patients {c['patients']}."
        )
        if self.dates_shifted:
            add("!! DATES SHIFTED PER PATIENT: concurrency, arrival rates and seasonality cannot be measured.")
        for f in self.flags + self.capacity.flags_:
            add(f"!! {f}" if ("DEFAULT" in f or "NOT" in f) else f"Beds: {f}")
        add("Every unit queues when full (when_full: queue, the default). Bed cleaning times are not in the log: none.")
        add("")
        add(f"Arrivals (first stay of each encounter; tests G / quasi-Poisson, keep when p < {ALPHA}):")
        if getattr(self.arrivals, "pooled_", None):
            add(f"  sources with fewer than {self.arrivals.min_stream_arrivals} arrivals pooled as '{POOLED_SOURCE}': " + "; ".join(
                f"{u}/{c}/{a} n={n}" for u, c, a, n in self.arrivals.pooled_))
        for st in self.arrivals.streams_:
            rate = f"{st.per_day:.3f}/day ±{st.per_day_se:.3f} (se)" if math.isfinite(st.per_day) else f"share {st.share:.3f}"
            add(
                f"  {st.name}: n={st.n}, {rate}; hour-of-day p={_p(st.hour_p)} {'kept' if st.hour_kept else 'not kept'}; "
                f"day-of-week p={_p(st.dow_p)} {'kept' if st.dow_kept else 'not kept'}; "
                f"hour x weekday interaction p={_p(st.interaction_p)}"
            )
            if st.month_ratios:
                add(
                    f"    months p={_p(st.month_p)} {'kept as multipliers' if st.month_kept else 'not kept'}: "
                    + " ".join(f"{m}:{v:.2f}" for m, v in st.month_ratios.items())
                )
            disp = "" if not math.isfinite(st.dispersion) else (
                f"    daily counts: variance/mean {st.var_mean_ratio:.2f}, dispersion after weekday/month effects "
                f"{st.dispersion:.2f} (p={_p(st.dispersion_p)}){' OVER-DISPERSED: the scenario is Poisson' if st.dispersion_p < ALPHA and st.dispersion > 1.1 else ''}"
            )
            if disp:
                add(disp)
            if st.elective and st.per_weekday is not None:
                add(f"    elective list: per weekday {st.per_weekday}, at {st.elective_hour:g} h, cancel after {st.cancel_after_hours:g} h")
        add("")
        add(
            "Length of stay (censored MLE; AIC weights; D = max |fitted CDF - Kaplan-Meier|, p by parametric "
            "bootstrap (B resamples from the fit, censored as the data, refitted), Kolmogorov p_upper (an upper "
            "bound: parameters estimated); for units with a discharge rule D compares observed with simulated "
            "stays and p is the predictive two-sample Kolmogorov one, an upper bound):"
        )
        for key, est in list(self.stays.units_.items()) + [(f"{u} [{c}]", e) for (u, c), e in self.stays.classes_.items()]:
            a0 = est.best.aic if est.best is not None else 0.0
            w = " ".join(f"{f.family} {f.aic_weight:.2f} (dAIC {f.aic - a0:.1f})" for f in est.fits.values())
            b = est.best
            fam = (
                f"{est.chosen} mean {b.mean_h:.1f} h ±{b.mean_se_h:.1f} cv {b.cv:.2f}"
                if b is not None and est.chosen != "empirical"
                else f"{est.chosen} (Kaplan-Meier mean {est.km_mean_h:.1f} h)"
            )
            add(
                f"  {key}: {fam}; n={est.n}, censored {est.n_censored} ({est.n_censored / max(est.n, 1):.0%}), "
                f"interval {est.n_interval}; "
                f"AIC weights {w or '-'}; D={est.ks_d:.3f} p{'<=' if est.ks_p_at_floor else '='}{_p(est.ks_p)}"
                + (f" (bootstrap B={est.ks_b}, m={est.ks_n_resample}) p_upper={_p(est.ks_p_upper)}" if est.ks_b else "")
                + f"{'' if est.acceptable else ' NOT acceptable'}"
                + (f"; {est.note}" if est.note else "")
            )
        ct = self.stays.class_tests_
        if len(ct):
            add("  class vs rest of the unit (log-rank): " + "; ".join(
                f"{r.unit}/{r.patient_class} n={r.n} p={_p(r.logrank_p)} d={r.km_distance:.2f}{' own' if r.own_stay else ''}"
                for r in ct.itertuples(index=False)
            ))
        add("")
        add("Routes (transitions between consecutive stays; open last stays censored, not counted):")
        for u, g in sorted(self.routes.transitions_.groupby("from")):
            n = int(g["count"].sum())
            parts = ", ".join(f"{r.to} {r.p:.3f}{' RARE' if r.rare else ''}" for r in g.itertuples(index=False))
            add(f"  {u} (n={n}, censored {self.routes.censored_.get(u, 0)}): {parts}")
        own = self.routes.class_tests_
        if len(own):
            add("  class vs rest (G-test): " + "; ".join(
                f"{r.unit}/{r.patient_class} n={r.n} p={_p(r.p)} tv={r.tv:.3f}{' own' if r.own_route else ''}"
                for r in own.itertuples(index=False)
            ))
        self.routes.scenario_routes()
        for who, u, d, into, p in self.routes.folded_:
            add(f"  folded {u} -> {d} (p={p:.4f}{', class ' + who if who else ''}) into {u} -> {into}")
        add("")
        dis = self.discharge
        add(
            f"Discharges: n={dis.n_}; weekend rate {dis.weekend_rate_:.2f} of Tue-Fri; hour profile differs between units "
            f"p={_p(dis.homogeneity_p_)}."
        )
        for r in dis.tests_.itertuples(index=False):
            add(
                f"  {r.unit}: n={r.n}, leaving hours vs independence tv={r.tv:.3f} p={_p(r.p)}"
                + (f" -> discharge-hour rule, weekend rate {dis.rules_[r.unit]['weekend_rate']}" if r.rule else "")
            )
        if len(self.waits.waits_):
            add("")
            add("Waits for a bed (start - ready_at): " + "; ".join(
                f"{r.unit} mean {r.mean_h:.2f} h p90 {r.p90_h:.2f} h waited {r.waited_share:.1%}" for r in self.waits.waits_.itertuples(index=False)
            ))
            add("Boarding (ready to move until leaving): " + "; ".join(
                f"{r.unit} mean {r.mean_h:.2f} h p90 {r.p90_h:.2f} h" for r in self.waits.boarding_.itertuples(index=False)
            ))
        if self.capacity.occupancy_ is not None:
            add("Occupancy seen in the log: " + "; ".join(
                f"{r.unit} mean {r.mean:.1f} p95 {r.p95:g} peak {r.peak}" for r in self.capacity.occupancy_.itertuples(index=False)
            ))
        return [("# " + line).rstrip() for line in L]

    def to_yaml(self, **kw: Any) -> str:
        """The scenario as YAML text, with the provenance comments on top."""
        from hospital_twin.scenario.io import dump_scenario

        body = dump_scenario(self.scenario(**kw))
        return "\n".join(self.provenance_comments()) + "\n" + body


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p >= 1e-4 else "<1e-4"


def _spec_mean_h(spec: Mapping[str, Any] | None) -> float:
    if not spec:
        return 0.0
    from hospital_twin.scenario.schema import DistributionSpec

    return DistributionSpec.model_validate(spec).to_distribution().mean_h


def _expected_visits(entry: str, routes: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Expected visits to each unit of a patient entering at ``entry`` (traffic equations)."""
    units = sorted({entry} | set(routes) | {d for r in routes.values() for d in r if d != EXIT})
    idx = {u: i for i, u in enumerate(units)}
    P = np.zeros((len(units), len(units)))
    for u, r in routes.items():
        for d, p in r.items():
            if d != EXIT:
                P[idx[u], idx[d]] = p
    e = np.zeros(len(units))
    e[idx[entry]] = 1.0
    v = np.linalg.solve(np.eye(len(units)) - P.T, e)
    return {u: float(v[i]) for u, i in idx.items()}


def _month_multipliers(ratios: Mapping[int, float], start: pd.Timestamp, end: pd.Timestamp) -> list[dict[str, Any]]:
    out = []
    m = start.to_period("M")
    while m.start_time < end:
        r = ratios.get(int(m.month))
        if r is not None and abs(r - 1) >= 0.005:
            out.append(
                {"from": max(m.start_time, start).to_pydatetime(), "to": (m + 1).start_time.to_pydatetime(),
                 "factor": round(float(r), 3), "label": m.strftime("%b")}
            )
        m += 1
    return out


def calibrate(
    stays_df: pd.DataFrame,
    *,
    capacity: Mapping[str, int] | None = None,
    dates_shifted: bool = False,
    shift_keeps_clock: bool = True,
    name: str = "Calibrated from an ADT log",
    source: str | Sequence[str] | None = None,
    observed_until: Any = None,
    discharge_rules: bool = True,
    random_state: int = 0,
    bootstrap_b: int = BOOTSTRAP_B,
) -> Calibration:
    """Fit arrivals, stays, routes, discharges and beds from one stays table.

    Parameters
    ----------
    stays_df : the ADT stays table (CONTRACTS section 4); not modified.
    capacity : beds per unit, when known; units missing from it are estimated (or defaulted).
    dates_shifted : dates were shifted per patient (MIMIC, Sepsis): no concurrency,
        arrival rates or seasonality from the log (see the module docstring).
    shift_keeps_clock : with shifted dates, the clock hour and weekday are still real.
    name, source : the scenario name; free-form lines naming the log (file and SHA-256).
    observed_until : end of observation (open stays are censored there); default the latest time in the log.
    discharge_rules : detect discharge-hour rules per unit (and treat those exits as interval-censored).
    random_state : seed of every random step (discharge-rule permutations, bootstrap of the stay fits).
    bootstrap_b : resamples of the parametric bootstrap of each stay fit's D (0: the Kolmogorov upper bound decides).
    """
    prep = prepare_stays(stays_df, observed_until, dates_shifted=dates_shifted)
    if len(prep) == 0:
        raise ValueError("no usable stays in the log")
    counts = prep.attrs["counts"]
    has = prep.attrs["has"]
    cap = CapacityFit().fit(prep, capacity, dates_shifted)
    arr = ArrivalFit(dates_shifted=dates_shifted, shift_keeps_clock=shift_keeps_clock).fit(prep)
    routes = RouteFit().fit(prep)
    dis = DischargeFit(dates_shifted=dates_shifted, shift_keeps_clock=shift_keeps_clock, random_state=random_state).fit(prep)
    if not discharge_rules:
        dis.rules_ = {}
    stay = StayFit(random_state=random_state, bootstrap_b=bootstrap_b).fit(prep, dis.rules_)
    waits = WaitFit().fit(prep)
    flags = []
    if dates_shifted:
        flags.append(
            f"ARRIVAL RATES NOT FROM DATA: the streams' shares are scaled so that the busiest unit's offered load is {TARGET_LOAD:.2f} of its beds"
        )
    src = [source] if isinstance(source, str) else list(source or [])
    return Calibration(
        name=name, source=src, counts=counts, period=arr.period_, days=arr.days_, dates_shifted=dates_shifted,
        arrivals=arr, stays=stay, routes=routes, discharge=dis, capacity=cap, waits=waits, has=has, flags=flags,
        prepared=prep,
    )
