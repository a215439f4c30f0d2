"""External arrival streams: :class:`ArrivalFit` (rates, hour-of-day, day-of-week and month effects).

Arrivals (:class:`ArrivalFit`)
    External arrivals are the first stay of each encounter, at ``ready_at`` (the
    request for a bed) when present, else at ``start``; one stream per entry unit, class
    and arrival source, sources with fewer than 10 arrivals into a (unit, class) pooled
    as ``other``. Rates use the complete days of
    the log. Hour-of-day and day-of-week effects are G-tests (the likelihood-ratio test
    of a Poisson GLM with that factor against a constant rate, exposure-weighted; the
    day-of-week and month tests are divided by the over-dispersion of daily counts when
    it exceeds 1, i.e. quasi-Poisson). A profile is kept when p < alpha; cells need an
    expected count of at least 5, otherwise the effect is not tested and not kept. With
    dates shifted per patient, rates and seasonality are not estimated (the scenario sets
    the rates: :func:`hospital_twin.calibration.scenario_yaml.rates_per_day`).

Requests that never got a bed
    A log has one row per stay, so a patient who asked for a bed and was cancelled (an
    elective list's patient finding no bed), turned away, or was still waiting when the log
    ends, is not in it. Given the requests table (``requests.*`` of a results folder: the
    rows of :func:`hospital_twin.results.unmet_requests`, or a hospital's own), every request
    from outside (empty ``from_unit``) whose ``outcome`` is not ``admitted``/``met`` and that
    no later stay of the patient in that unit answers counts as an arrival at its
    ``ready_at``, in the stream of its unit, class and source: booked electives per weekday
    include the cancelled ones, arrival rates the rejected ones. A cancelled request's wait
    (``withdrawn_at - ready_at``) joins the waits behind the list's cancellation time.

Imports the stays and significance modules; no other fitter. Pure: DataFrames in, a fitted
:class:`ArrivalFit` out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.calibration.significance import ALPHA, _g_test, _profile
from hospital_twin.calibration.stays import _clock_h, _window, prepare_stays
from hospital_twin.scenario.schema import DEFAULT_CLASS

__all__ = ["POOLED_SOURCE", "ArrivalFit", "ArrivalStream", "unmet_arrivals"]

POOLED_SOURCE = "other"
"""Arrival source given to rare sources pooled together (see :class:`ArrivalFit`)."""

ELECTIVE = re.compile(r"elective", re.IGNORECASE)


def _name(*parts: object) -> str:
    """A plain stream name (letters, digits, _ and -, starting with a letter, at most 60 characters so that a
    ``_2`` suffix still fits the scenario's 64)."""
    s = "_".join(str(p) for p in parts if p not in (None, ""))
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", s).strip("_-")
    s = s if s[:1].isalpha() else f"stream_{s}".rstrip("_")
    return s[:60].rstrip("_-")


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
    n_unmet: int = 0
    """Arrivals counted from the requests table (never got a bed: cancelled, rejected, still waiting)."""


def unmet_arrivals(requests: pd.DataFrame, prep: pd.DataFrame) -> pd.DataFrame:
    """The requests from outside that never got a bed, as arrivals (see the module docstring).

    ``requests``: ``patient_id, unit, ready_at`` and optionally ``patient_class, arrival_source,
    from_unit, withdrawn_at, outcome``; ``prep``: the prepared stays. Returns ``unit,
    patient_class, arrival_source, arrival, wait_h, outcome`` (``wait_h`` the wait of a cancelled
    request, else missing); classes and sources are dropped when the log has none.
    """
    cols = ["unit", "patient_class", "arrival_source", "arrival", "wait_h", "outcome"]
    if requests is None or not len(requests):
        return pd.DataFrame(columns=cols)
    req = requests.reset_index(drop=True)

    def text(name: str) -> pd.Series:
        if name not in req.columns:
            return pd.Series(pd.NA, index=req.index, dtype="string")
        t = req[name].astype("string").str.strip()
        return t.mask(t == "")

    ready = pd.to_datetime(req["ready_at"], errors="coerce")
    withdrawn = pd.to_datetime(req["withdrawn_at"], errors="coerce") if "withdrawn_at" in req.columns else None
    outcome = text("outcome").fillna("unmet")
    keep = text("from_unit").isna() & ~outcome.isin(["admitted", "met"]) & ready.notna() & text("unit").notna()
    # answered later: the patient's stay in that unit starting at or after the request
    later = pd.DataFrame({"patient_id": prep["patient_id"].astype(str), "unit": prep["unit"].astype(str)})
    later["start"] = prep["start"].to_numpy()
    asked = pd.DataFrame({"patient_id": text("patient_id").astype(str), "unit": text("unit").astype(str)})
    asked["ready"], asked["row"] = ready.to_numpy(), np.arange(len(req))
    met = asked.merge(later, on=["patient_id", "unit"], how="inner")
    met_rows = met.loc[met["start"] >= met["ready"], "row"].unique()
    keep &= ~pd.Series(np.isin(np.arange(len(req)), met_rows), index=req.index)
    rebooked = (outcome == "rebooked").to_numpy(dtype=bool)
    if rebooked.any():
        # a cancellation given a new date is one patient asking once: the new request (a stay, or a row of its
        # own) stands for the arrival; a rebooking with no later request (still pending) counts once itself
        again = asked[keep.to_numpy(dtype=bool) | (outcome == "rebooked").to_numpy(dtype=bool)]
        both = asked[rebooked].merge(again, on=["patient_id", "unit"], suffixes=("", "_next"))
        has_next = both.loc[both["ready_next"] > both["ready"], "row"].unique()
        has_stay = met.loc[met["start"] > met["ready"], "row"].unique()
        drop = np.isin(np.arange(len(req)), np.union1d(has_next, has_stay)) & rebooked
        keep &= ~pd.Series(drop, index=req.index)
    has = prep.attrs.get("has", {})
    k = keep.to_numpy(dtype=bool)
    wait = (
        (withdrawn - ready).dt.total_seconds() / 3600 if withdrawn is not None else pd.Series(np.nan, index=req.index)
    )
    out = pd.DataFrame(
        {
            "unit": text("unit")[k].astype(object),
            "patient_class": text("patient_class")[k].fillna(DEFAULT_CLASS).astype(object)
            if has.get("patient_class")
            else DEFAULT_CLASS,
            "arrival_source": text("arrival_source")[k].astype(object) if has.get("arrival_source") else None,
            "arrival": ready[k].astype("datetime64[ns]"),
            "wait_h": np.where(outcome[k].isin(["cancelled", "rebooked"]), wait[k], np.nan).astype(float),
            "outcome": outcome[k].astype(object),
        }
    )
    out["arrival_source"] = out["arrival_source"].where(out["arrival_source"].notna(), None)
    return out.reset_index(drop=True)[cols]


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

    def __init__(
        self,
        *,
        alpha: float = ALPHA,
        min_expected: float = 5.0,
        dates_shifted: bool = False,
        shift_keeps_clock: bool = True,
        min_stream_arrivals: int = 10,
    ):
        self.min_stream_arrivals = min_stream_arrivals
        self.alpha = alpha
        self.min_expected = min_expected
        self.dates_shifted = dates_shifted
        self.shift_keeps_clock = shift_keeps_clock

    def fit(self, stays: pd.DataFrame, requests: pd.DataFrame | None = None) -> ArrivalFit:
        """Fit every stream; ``requests``: the requests that never got a bed (:func:`unmet_arrivals`), or None.

        Sets ``unmet_`` (outcome -> requests counted as arrivals) besides the streams.
        """
        prep = prepare_stays(stays)
        has = prep.attrs["has"]
        first = prep[prep["is_first"]].assign(unmet=False)
        extra = unmet_arrivals(requests, prep) if requests is not None else unmet_arrivals(pd.DataFrame(), prep)
        self.unmet_: dict[str, int] = {str(k): int(v) for k, v in extra["outcome"].value_counts().sort_index().items()}
        if len(extra):
            first = pd.concat([first, extra.drop(columns="outcome").assign(unmet=True)], ignore_index=True)
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
                sizes = first[rare].groupby(["unit", "patient_class", "arrival_source"], sort=True).size()
                for (u, c, a), n in sizes.items():
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
            st.n_unmet = int(rows["unmet"].to_numpy(dtype=bool).sum())
            self.streams_.append(st)
        return self

    def _stream(self, name, unit, pclass, source, rows, t0, days) -> ArrivalStream:
        """One stream over the complete days from ``t0``: its rate, the hour-of-day, day-of-week, interaction
        and month tests, over-dispersion, and for an elective stream its list (weekday counts, hour, cancel)."""
        times, day_idx = _in_window(rows["arrival"], t0, days)
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
        d = _daily_counts(day_idx, t0, exposure_days, n)
        seasonal_window = days >= 365 and trust_dates
        dispersion, dispersion_p, var_mean = _dispersion(d, n, exposure_days, seasonal_window, trust_dates)
        phi = max(dispersion, 1.0) if math.isfinite(dispersion) else 1.0
        dow_p = self._weekday_p(d, n, phi) if trust_clock else math.nan
        interaction_p = self._interaction_p(times, hours, d, n) if trust_clock else math.nan
        months, month_p = self._months(d, day_idx, n, exposure_days, phi) if seasonal_window and n else ({}, math.nan)
        hour_w = _profile(c_h) if n else [1.0] * 24
        dow_w = _profile(d.rate_wd) if n else [1.0] * 7
        elective = bool(ELECTIVE.search(str(source or "")) or ELECTIVE.search(str(pclass)))
        st = ArrivalStream(
            name=name,
            unit=unit,
            patient_class=pclass,
            source=source,
            n=n,
            per_day=per_day,
            per_day_se=math.sqrt(n) / exposure_days if trust_dates else math.nan,
            hour_weights=hour_w,
            hour_p=hour_p,
            hour_kept=bool(hour_p < self.alpha),
            dow_weights=dow_w,
            dow_p=dow_p,
            dow_kept=bool(dow_p < self.alpha),
            interaction_p=interaction_p,
            month_ratios=months,
            month_p=month_p,
            month_kept=(
                bool(month_p < self.alpha) and max(abs(v - 1) for v in months.values()) >= 0.05 if months else False
            ),
            dispersion=dispersion,
            dispersion_p=dispersion_p,
            var_mean_ratio=var_mean,
            elective=elective,
        )
        if elective and n:
            _add_elective_list(st, times, rows, d.rate_wd, trust_dates)
        return st

    def _weekday_p(self, d: _Days, n: int, phi: float) -> float:
        """Day-of-week G-test (quasi-Poisson: divided by the over-dispersion phi), when all 7 weekdays are seen
        and every one expects at least ``min_expected`` arrivals."""
        expected_wd = n * d.n_wd / d.n_wd.sum()
        if n and expected_wd[d.n_wd > 0].min() >= self.min_expected and (d.n_wd > 0).sum() == 7:
            return float(stats.chi2.sf(_g_test(d.c_wd, expected_wd) / phi, 6))
        return math.nan

    def _interaction_p(self, times: pd.Series, hours: np.ndarray, d: _Days, n: int) -> float:
        """G-test of independence of weekday and hour (every cell expecting at least ``min_expected``)."""
        if not (n and (d.n_wd > 0).sum() == 7):
            return math.nan
        table = np.zeros((7, 24))
        np.add.at(table, (times.dt.day_of_week.to_numpy(), hours), 1.0)
        e = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / max(n, 1)
        if e.min() >= self.min_expected:
            return float(stats.chi2.sf(_g_test(table, e), 6 * 23))
        return math.nan

    def _months(
        self, d: _Days, day_idx: np.ndarray, n: int, exposure_days: int, phi: float
    ) -> tuple[dict[int, float], float]:
        """Rate ratio of each calendar month seen to the whole, and the month G-test (quasi-Poisson)."""
        months: dict[int, float] = {}
        month_p = math.nan
        exp_m = np.bincount(d.month_of_day, minlength=13)[1:].astype(float)
        cnt_m = np.bincount(d.month_of_day[day_idx], minlength=13)[1:].astype(float)
        present = exp_m > 0
        rate = n / exposure_days
        for m in np.flatnonzero(present):
            months[int(m + 1)] = round(float(cnt_m[m] / exp_m[m] / rate), 3)
        e = n * exp_m[present] / exp_m.sum()
        if e.min() >= self.min_expected:
            month_p = float(stats.chi2.sf(_g_test(cnt_m[present], e) / phi, int(present.sum()) - 1))
        return months, month_p


def _in_window(arrival: pd.Series, t0: pd.Timestamp, days: int) -> tuple[pd.Series, np.ndarray]:
    """The arrival times on the complete days from ``t0`` (all of them when there is no complete day), and the
    index of each one's day."""
    times = pd.to_datetime(arrival)
    if days >= 1:
        day_idx = ((times - t0) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        inside = (day_idx >= 0) & (day_idx < days)
        times = times[inside]
        day_idx = np.floor(day_idx[inside]).astype(int)
    else:
        day_idx = np.zeros(len(times), int)
    return times, day_idx


@dataclass
class _Days:
    """Counts per complete day, with each day's weekday and month, and the weekday exposure."""

    daily: np.ndarray  # arrivals per day
    wd_of_day: np.ndarray
    n_wd: np.ndarray  # days of each weekday
    c_wd: np.ndarray  # arrivals on each weekday
    rate_wd: np.ndarray  # arrivals per day of each weekday
    month_of_day: np.ndarray


def _daily_counts(day_idx: np.ndarray, t0: pd.Timestamp, exposure_days: int, n: int) -> _Days:
    daily = np.bincount(day_idx, minlength=exposure_days)[:exposure_days].astype(float)
    wd_of_day = (t0.weekday() + np.arange(exposure_days)) % 7
    n_wd = np.bincount(wd_of_day, minlength=7).astype(float)
    c_wd = np.bincount(wd_of_day[day_idx] if n else np.array([], int), minlength=7).astype(float)
    rate_wd = np.where(n_wd > 0, c_wd / np.maximum(n_wd, 1), 0.0)
    month_of_day = (t0 + pd.to_timedelta(np.arange(exposure_days), unit="D")).month.to_numpy()
    return _Days(daily, wd_of_day, n_wd, c_wd, rate_wd, month_of_day)


def _dispersion(
    d: _Days, n: int, exposure_days: int, seasonal_window: bool, trust_dates: bool
) -> tuple[float, float, float]:
    """Over-dispersion: the Pearson statistic of daily counts around weekday (x month) means over its degrees of
    freedom, its p-value, and the plain variance/mean ratio of daily counts."""
    daily = d.daily
    mu = d.rate_wd[d.wd_of_day].copy()
    k_params = int((d.n_wd > 0).sum())
    if seasonal_window:
        c_m = np.bincount(d.month_of_day, weights=daily, minlength=13)
        e_m = np.bincount(d.month_of_day, weights=mu, minlength=13)
        ratio = np.where(e_m > 0, c_m / np.maximum(e_m, 1e-12), 1.0)
        mu = mu * ratio[d.month_of_day]
        k_params += int((e_m > 0).sum()) - 1
    dof = max(exposure_days - k_params, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.sum(np.where(mu > 0, (daily - mu) ** 2 / mu, 0.0)))
    dispersion = pearson / dof if n else math.nan
    dispersion_p = float(stats.chi2.sf(pearson, dof)) if n and trust_dates else math.nan
    var_mean = float(daily.var(ddof=1) / daily.mean()) if n and exposure_days > 1 and daily.mean() > 0 else math.nan
    return dispersion, dispersion_p, var_mean


def _add_elective_list(
    st: ArrivalStream, times: pd.Series, rows: pd.DataFrame, rate_wd: np.ndarray, trust_dates: bool
) -> None:
    """An elective stream's list: arrivals per weekday (when dates are real), the median clock hour to the
    quarter, and a cancellation time at the 99th percentile of the waits (at least 4 h)."""
    st.per_weekday = [round(float(x), 2) for x in rate_wd] if trust_dates else None
    clock = _clock_h(times)
    st.elective_hour = min(round(float(np.median(clock)) * 4) / 4, 23.75)
    waits = rows["wait_h"].dropna().to_numpy()
    st.cancel_after_hours = float(max(4.0, math.ceil(np.quantile(waits, 0.99)))) if len(waits) else 4.0
