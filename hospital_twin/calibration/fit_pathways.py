"""Discharge pathways from an event log: :class:`PathwayFit` (shares by unit, NCTR delays, capacity) and the
sitrep check :func:`nctr_check`.

Which stays are on a pathway
    The last stay of an encounter (the spell's last inpatient unit) whose ``discharge_destination`` names a
    pathway and that has ``ready_to_leave`` (when the patient became medically ready to leave). A label names a
    pathway by the user's mapping (``labels``: label -> pathway name, case-insensitive; ``--pathway-label
    'care home=P3'``), else when it spells P1, P2 or P3 (``P1``, ``p2``, ``pathway 3``; :data:`PATHWAY_LABEL`).
    ``P0`` and every other label (home, died, transferred, ...) is home without support (P0) unless mapped.
    Such a stay that is still open at the end of the log is a patient still waiting (its delay is censored).
    Emergency departments take no pathway (``exclude_units``).
Shares
    Per unit, pathway patients over the patients leaving the hospital from it (closed last stays plus the open
    pathway stays), with a Wilson 95% interval; P0 is the rest.
NCTR delay
    ``end - ready_to_leave`` (open stays: to the end of the log, counted so far, as the ``nctr_delay_mean_h``
    metric counts them): mean, p90, and a censored maximum-likelihood family (AIC best) when its mean is within
    ``mean_tol`` of the delays' mean, else the delays' empirical quantiles.
Capacity
    A pathway whose starts (the ends of its stays) fall mostly (>= ``batch_share``) in one clock hour is *daily*:
    ``start_hour`` = the median start time within that hour, and per weekday the mean starts on the days with a
    queue: more patients waiting at the start of that hour than the weekday ever started (then the service used
    its whole capacity whatever it was that day, so the starts measure it without bias), or, when fewer than
    ``min_queued_days`` such days, the days on which someone was left waiting (starts < waiting; exact for a
    whole number of starts, low for a fractional one, whose days with fewer starts leave a queue more often).
    On days nobody was left waiting the starts are only a lower bound of the capacity; a weekday without a
    queued day gets its largest number of starts (a lower bound, flagged). An assessment done in the hospital
    bed looks like a queue here (the patient is ready but not yet eligible): the estimate is then low.
    Other pathways (starts spread over the day: a pool of places, whose places and stay a hospital log does not
    show) are written as a pathway without a queue whose ``assessment`` is the fitted NCTR delay: the scenario
    reproduces today's delays and NCTR, not their response to capacity. Their equivalent daily capacity
    (``starts_per_day``: mean starts on days with patients waiting at the day's start and end) is reported.
    A daily pathway is replayed (:func:`replay_daily`: its patients' ready times through the fitted starts) to
    check the estimate against the delays seen.

Pure: DataFrames in, a fitted :class:`PathwayFit` out; no files, no printing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hospital_twin.calibration.families import _sig, fit_families
from hospital_twin.calibration.fit_stays import EMPIRICAL_PROBS
from hospital_twin.calibration.stays import CensoredSample
from hospital_twin.scenario.schema import EXIT, PATHWAY_HOME, name_problem

__all__ = [
    "PATHWAY_LABEL",
    "NctrCheck",
    "PathwayEstimate",
    "PathwayFit",
    "nctr_check",
    "parse_pathway_labels",
    "pathway_name",
    "replay_daily",
]

PATHWAY_LABEL = re.compile(r"^\s*(?:p|pathway)\s*[-_ ]?\s*([0-3])\s*$", re.IGNORECASE)
"""A destination label that spells a pathway by itself: P0..P3, ``p2``, ``pathway 3``, ``Pathway-1``."""

_H = pd.Timedelta(hours=1)


def parse_pathway_labels(items: Sequence[str]) -> dict[str, str]:
    """``LABEL=NAME`` items (the ``--pathway-label`` option) as label (case-folded) -> pathway name.

    NAME is a plain name (a pathway of the calibrated scenario, e.g. P3 or other) or P0 (home without support).
    Raises ValueError naming the item and how to fix it.
    """
    out: dict[str, str] = {}
    for item in items:
        label, sep, name = str(item).rpartition("=")
        label, name = label.strip(), name.strip()
        if not sep or not label or not name:
            raise ValueError(f"--pathway-label '{item}': expected LABEL=NAME, e.g. 'care home=P3'")
        if name.upper() == PATHWAY_HOME:
            name = PATHWAY_HOME
        elif problem := name_problem(name, "discharge pathway"):
            raise ValueError(f"--pathway-label '{item}': {problem}")
        out[label.casefold()] = name
    return out


def pathway_name(label: Any, labels: Mapping[str, str] | None = None) -> str | None:
    """The pathway a destination label names (the mapping first, then :data:`PATHWAY_LABEL`); None for P0."""
    if label is None or (not isinstance(label, str) and pd.isna(label)):
        return None
    key = str(label).strip().casefold()
    if labels and key in labels:
        name = labels[key]
    else:
        m = PATHWAY_LABEL.match(key)
        if m is None:
            return None
        name = f"P{m.group(1)}"
    return None if name == PATHWAY_HOME else name


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


@dataclass
class PathwayEstimate:
    """What the log says about one pathway (durations in hours, rates per day)."""

    name: str
    labels: list[str]
    n: int
    """Patients on it (leavers plus those still waiting at the end)."""
    n_open: int
    delay_mean_h: float
    delay_p90_h: float
    delay_family: str | None
    delay_spec: dict[str, Any] | None
    rate_per_day: float
    """Patients ready for it per day (ready_to_leave in the window)."""
    nctr_mean: float
    """Time-average patients waiting on it in the log (ready to leaving, within the window)."""
    kind: str
    """``daily`` (starts batched at one hour) or ``spread`` (written without a queue; a pool's starts)."""
    batched_share: float
    start_hour: float
    starts_by_weekday: list[float] | None
    queued_days_by_weekday: list[int]
    lower_bound_weekdays: list[int]
    starts_per_day: float
    """Equivalent daily capacity: mean starts on the days with a queue (see the module docstring)."""
    queued_days: int
    days: int
    replay_delay_mean_h: float = math.nan
    """Daily pathways: the mean delay when the patients' ready times are replayed through the fitted starts."""
    spec: dict[str, Any] = field(default_factory=dict)


class PathwayFit:
    """Discharge pathways of a log (see the module docstring).

    Attributes
    ----------
    labels_ : DataFrame ``label, pathway, n`` of the destination labels of leavers (pathway empty for P0).
    on_pathway_ : bool per prepared stay: the stay ended on a pathway (its LOS runs to ``ready_to_leave``).
    shares_ : DataFrame ``unit, pathway, n, leavers, share, ci_low, ci_high`` (P0 included).
    pathways_ : name -> :class:`PathwayEstimate`.
    notes_ : why something was not fitted.
    window_ : (start, end, days) the rates and NCTR are measured over.
    """

    def __init__(
        self,
        labels: Mapping[str, str] | None = None,
        *,
        batch_share: float = 0.5,
        min_queued_days: int = 5,
        mean_tol: float = 0.05,
    ):
        self.labels = {str(k).strip().casefold(): v for k, v in (labels or {}).items()}
        self.batch_share = batch_share
        self.min_queued_days = min_queued_days
        self.mean_tol = mean_tol
        self.labels_ = pd.DataFrame({"label": [], "pathway": [], "n": []})
        self.on_pathway_ = np.zeros(0, bool)
        self.shares_ = pd.DataFrame(
            {"unit": [], "pathway": [], "n": [], "leavers": [], "share": [], "ci_low": [], "ci_high": []}
        )
        self.pathways_: dict[str, PathwayEstimate] = {}
        self.notes_: list[str] = []
        self.window_: tuple[pd.Timestamp, pd.Timestamp, float] | None = None
        self._ready: dict[str, pd.Series] = {}  # ready times per pathway (for the replay)
        self._replays: dict[tuple[str, float], float] = {}

    @property
    def fitted(self) -> bool:
        return bool(self.pathways_)

    def fit(self, prep: pd.DataFrame, *, exclude_units: Sequence[str] = ()) -> PathwayFit:
        """Fit from prepared stays (:func:`~hospital_twin.calibration.stays.prepare_stays`)."""
        n = len(prep)
        self.on_pathway_ = np.zeros(n, bool)
        if n == 0 or "discharge_destination" not in prep.columns:
            return self
        dest = prep["discharge_destination"].to_numpy(object)
        is_last = prep["is_last"].to_numpy(bool)
        lookup = {d: pathway_name(d, self.labels) for d in pd.unique(dest[is_last]) if not pd.isna(d)}
        names = np.array(
            [lookup.get(d) if last and not pd.isna(d) else None for d, last in zip(dest, is_last, strict=True)], object
        )
        named = pd.notna(names)
        if not named.any():
            return self
        ready = pd.to_datetime(prep["ready_to_leave"]) if "ready_to_leave" in prep.columns else None
        if ready is None or not ready.notna().any():
            self.notes_.append(
                f"{int(named.sum())} leavers carry a pathway label but the log has no ready_to_leave (when they "
                "became medically ready): pathways not fitted, their wait stays in the length of stay"
            )
            return self
        ready_ok = ready.notna().to_numpy()
        excluded = prep["unit"].isin(list(exclude_units)).to_numpy()
        no_ready = named & ~ready_ok & ~excluded
        if no_ready.any():
            self.notes_.append(
                f"{int(no_ready.sum())} leavers with a pathway label have no ready_to_leave: counted as P0 "
                "(their wait stays in the length of stay)"
            )
        if (named & excluded).any():
            self.notes_.append(
                f"{int((named & excluded).sum())} pathway labels on emergency-department stays ignored (P0)"
            )
        on = named & ready_ok & ~excluded
        self.on_pathway_ = on
        closed = prep["closed"].to_numpy(bool)
        leaver = is_last & ((closed & (prep["next_unit"].to_numpy(object) == EXIT)) | on) & ~excluded
        self._labels_table(dest, names, leaver, on)
        self._shares(prep, names, leaver, on)
        t_obs = pd.Timestamp(prep.attrs["observed_until"])
        t0 = pd.Timestamp(prep["arrival"].min()).floor("D")
        self.window_ = (t0, t_obs, (t_obs - t0) / pd.Timedelta(days=1))
        for name in sorted(set(names[on])):
            m = on & (names == name)
            rows = prep[m]
            self._ready[name] = pd.to_datetime(rows["ready_to_leave"]).reset_index(drop=True)
            self.pathways_[name] = self._estimate(
                name, rows["ready_to_leave"], rows["end"], sorted(set(dest[m].tolist()))
            )
        return self

    def _labels_table(self, dest, names, leaver, on) -> None:
        lab = pd.DataFrame({"label": pd.Series(dest[leaver], dtype="string").fillna("(none)"), "on": on[leaver]})
        lab["pathway"] = np.where(on[leaver], names[leaver], PATHWAY_HOME)
        self.labels_ = lab.groupby(["label", "pathway"], sort=True).size().rename("n").reset_index()

    def _shares(self, prep: pd.DataFrame, names, leaver, on) -> None:
        units = prep["unit"].to_numpy(object)
        rows = []
        pathways = sorted(set(names[on]))
        for u in sorted(set(units[leaver] if leaver.any() else [])):
            mu = leaver & (units == u)
            total = int(mu.sum())
            taken = 0
            for k in pathways:
                c = int((mu & on & (names == k)).sum())
                taken += c
                rows.append((u, k, c, total, c / total, *_wilson(c, total)))
            rows.append(
                (u, PATHWAY_HOME, total - taken, total, (total - taken) / total, *_wilson(total - taken, total))
            )
        self.shares_ = pd.DataFrame(rows, columns=["unit", "pathway", "n", "leavers", "share", "ci_low", "ci_high"])

    def _estimate(self, name: str, ready: pd.Series, end: pd.Series, labels: list[str]) -> PathwayEstimate:
        t0, t_obs, days = self.window_
        ready = pd.to_datetime(ready).reset_index(drop=True)
        end = pd.to_datetime(end).reset_index(drop=True)
        is_open = end.isna().to_numpy()
        delay = ((end.fillna(t_obs) - ready) / _H).clip(lower=0).to_numpy(float)
        family, spec = None, None
        if len(delay) >= 5 and delay.mean() > 0.05:
            fits = fit_families(CensoredSample(delay[~is_open], delay[is_open]))
            best = next(iter(fits.values()), None)
            if best is not None and abs(best.mean_h / delay.mean() - 1) <= self.mean_tol:
                family, spec = best.family, best.spec()
            else:  # no family has the delays' mean (e.g. most start at once, a few wait long): their quantiles
                q = np.maximum.accumulate(np.quantile(delay, EMPIRICAL_PROBS))
                family = "empirical"
                spec = {
                    "distribution": "empirical",
                    "quantiles_hours": {p: _sig(float(v)) for p, v in zip(EMPIRICAL_PROBS, q, strict=True)},
                }
        lo, hi = ready.clip(lower=t0), end.fillna(t_obs).clip(upper=t_obs)
        area_h = float(((hi - lo) / _H).clip(lower=0).sum())
        span_h = (t_obs - t0) / _H
        in_window = ((ready >= t0) & (ready < t_obs)).to_numpy()
        starts = end[~is_open]
        est = PathwayEstimate(
            name=name,
            labels=labels,
            n=len(delay),
            n_open=int(is_open.sum()),
            delay_mean_h=float(delay.mean()),
            delay_p90_h=float(np.percentile(delay, 90)),
            delay_family=family,
            delay_spec=spec,
            rate_per_day=float(in_window.sum() / days) if days > 0 else math.nan,
            nctr_mean=area_h / span_h if span_h > 0 else math.nan,
            kind="spread",
            batched_share=math.nan,
            start_hour=math.nan,
            starts_by_weekday=None,
            queued_days_by_weekday=[0] * 7,
            lower_bound_weekdays=[],
            starts_per_day=math.nan,
            queued_days=0,
            days=0,
        )
        if len(starts):
            clock = (starts.dt.hour + starts.dt.minute / 60 + starts.dt.second / 3600).to_numpy(float)
            hours = starts.dt.hour.to_numpy(int)
            mode = int(np.bincount(hours, minlength=24).argmax())
            est.batched_share = float((hours == mode).mean())
            if est.batched_share >= self.batch_share:
                est.kind = "daily"
                est.start_hour = round(float(np.median(clock[hours == mode])), 2)
                self._daily_capacity(est, ready, end, mode)
            else:
                self._spread_capacity(est, ready, end)
        est.spec = self._spec(est)
        return est

    def _days(self, ready: pd.Series) -> pd.DatetimeIndex:
        """Whole days from the first patient ready to the last day that ends before the end of observation."""
        t_obs = self.window_[1]
        first = pd.Timestamp(ready.min()).floor("D")
        last = (t_obs - pd.Timedelta(days=1)).floor("D")
        return pd.date_range(first, last, freq="D") if last >= first else pd.DatetimeIndex([])

    def _daily_capacity(self, est: PathwayEstimate, ready: pd.Series, end: pd.Series, mode: int) -> None:
        days = self._days(ready)
        r = ready.to_numpy("datetime64[ns]")
        e = end.fillna(pd.Timestamp.max.floor("D")).to_numpy("datetime64[ns]")
        day_of_end = end.dt.floor("D").dropna().value_counts()
        s = np.array([int(day_of_end.get(d, 0)) for d in days], float)
        # patients waiting when the day's starts begin (ready before the start hour, not yet gone)
        w = np.array(
            [int(((r < (b := np.datetime64(d + pd.Timedelta(hours=mode)))) & (e >= b)).sum()) for d in days], float
        )
        wd = days.day_of_week.to_numpy() if len(days) else np.zeros(0, int)
        week, lower, counts = [], [], []
        queued_any = np.zeros(len(days), bool)
        for k in range(7):
            mk = wd == k
            top = s[mk].max() if mk.any() else 0.0
            sure = mk & (w > top)  # more waiting than the weekday ever started: the starts are the capacity
            left = mk & (w > s)  # someone left waiting (biased low for a fractional capacity: see the docstring)
            use = sure if sure.sum() >= self.min_queued_days else left
            queued_any |= use
            counts.append(int(use.sum()))
            if use.any():
                week.append(round(float(s[use].mean()), 3))
            else:
                week.append(float(top))
                lower.append(k)
        est.starts_by_weekday = week
        est.queued_days_by_weekday = counts
        est.lower_bound_weekdays = lower
        est.queued_days = int(queued_any.sum())
        est.days = len(days)
        est.starts_per_day = float(np.mean(week))
        est.replay_delay_mean_h = replay_daily(ready, week, est.start_hour, self.window_[1])[0]

    def _spread_capacity(self, est: PathwayEstimate, ready: pd.Series, end: pd.Series) -> None:
        days = self._days(ready)
        r = ready.to_numpy("datetime64[ns]")
        e = end.fillna(pd.Timestamp.max.floor("D")).to_numpy("datetime64[ns]")
        day_of_end = end.dt.floor("D").dropna().value_counts()
        s, q = [], []
        for d in days:
            a, b = np.datetime64(d), np.datetime64(d + pd.Timedelta(days=1))
            q.append(bool(((r < a) & (e > a)).any() and ((r < b) & (e > b)).any()))
            s.append(int(day_of_end.get(d, 0)))
        s_arr, q_arr = np.array(s, float), np.array(q, bool)
        est.queued_days = int(q_arr.sum())
        est.days = len(days)
        est.starts_per_day = float(s_arr[q_arr].mean()) if q_arr.any() else (float(s_arr.max()) if len(s_arr) else 0.0)

    @staticmethod
    def _spec(est: PathwayEstimate) -> dict[str, Any]:
        label = f"fitted from the log ({', '.join(est.labels)})"
        if est.kind == "daily" and est.starts_by_weekday is not None:
            week = est.starts_by_weekday
            spec: dict[str, Any] = {"label": label, "start_hour": est.start_hour}
            if max(week) - min(week) < 1e-9:
                spec["starts_per_day"] = week[0]
            else:
                spec["starts_by_weekday"] = week
            return spec
        spec = {"label": label}
        if est.delay_spec is not None:
            spec["assessment"] = dict(est.delay_spec)
        return spec

    def scenario_sections(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, float]]]:
        """(``discharge_pathways``, ``pathway_shares``) for the calibrated scenario (empty when nothing fitted)."""
        if not self.pathways_:
            return {}, {}
        pathways = {k: dict(e.spec) for k, e in self.pathways_.items()}
        shares: dict[str, dict[str, float]] = {}
        for r in self.shares_.itertuples(index=False):
            if r.pathway == PATHWAY_HOME or r.n == 0:
                continue
            shares.setdefault(r.unit, {})[r.pathway] = float(f"{r.share:.4g}")
        for row in shares.values():  # rounding may lift a row just above 1 (1:1:4 -> 1.0001): take it off the largest
            excess = sum(row.values()) - 1.0
            if excess > 0:
                top = max(row, key=row.get)
                row[top] = max(round(row[top] - excess, 12), 0.0)
        return pathways, shares

    def expected_nctr(self, capacity_scale: float = 1.0) -> float:
        """Expected NCTR patients at today's demand (Little's law: rate x mean delay per pathway); daily pathways
        replayed at ``capacity_scale`` times their fitted starts when it is not 1."""
        total = 0.0
        for e in self.pathways_.values():
            if e.kind == "daily" and capacity_scale != 1.0 and e.starts_by_weekday is not None:
                mean_h = self._replayed(e, capacity_scale)
            elif e.kind == "daily" and math.isfinite(e.replay_delay_mean_h):
                mean_h = e.replay_delay_mean_h
            else:
                mean_h = e.delay_mean_h
            total += e.rate_per_day * mean_h / 24.0
        return total

    def _replayed(self, e: PathwayEstimate, scale: float) -> float:
        key = (e.name, round(scale, 6))
        if key not in self._replays:
            week = [x * scale for x in e.starts_by_weekday or []]
            self._replays[key] = replay_daily(self._ready[e.name], week, e.start_hour, self.window_[1])[0]
        return self._replays[key]


def replay_daily(
    ready: pd.Series, starts_by_weekday: Sequence[float], start_hour: float, until: pd.Timestamp
) -> tuple[float, int]:
    """Replay patients ready at ``ready`` through a daily service (FIFO, ``starts_by_weekday`` Mon..Sun at
    ``start_hour``, fractions carried as the simulator does): ``(mean delay h, patients still waiting at
    until)``; a patient still waiting counts its wait so far."""
    r = np.sort(pd.to_datetime(ready).dropna().to_numpy("datetime64[ns]"))
    if not len(r):
        return math.nan, 0
    until64 = np.datetime64(pd.Timestamp(until), "ns")
    delay = np.full(len(r), np.nan)
    day = pd.Timestamp(r[0]).floor("D")
    carry, head = 0.0, 0
    while head < len(r):
        t = day + pd.Timedelta(hours=float(start_hour))
        t64 = np.datetime64(t, "ns")
        if t64 >= until64:
            break
        carry += float(starts_by_weekday[t.weekday()])
        k = int(carry + 1e-9)
        carry -= k
        waiting_to = int(np.searchsorted(r, t64, side="right"))
        take = min(k, max(0, waiting_to - head))
        if take:
            delay[head : head + take] = (t64 - r[head : head + take]) / np.timedelta64(3600, "s")
            head += take
        day += pd.Timedelta(days=1)
    left = np.isnan(delay)
    delay[left] = np.maximum((until64 - r[left]) / np.timedelta64(3600, "s"), 0.0)
    return float(delay.mean()), int(left.sum())


@dataclass(frozen=True)
class NctrCheck:
    """The calibrated scenario's NCTR per bed against a target (the sitrep's measure)."""

    target_per_bed: float
    target_source: str
    beds: int
    """Inpatient beds of the calibrated scenario (not the emergency departments)."""
    nctr_expected: float
    """Expected NCTR patients (Little's law: per pathway, patients ready per day x mean delay; daily pathways at
    their replayed delay)."""
    nctr_seen: float
    """Time-average NCTR patients in the log."""
    capacity_scale: float | None
    """Factor on every daily pathway's starts that meets the target (replayed), or None."""
    note: str

    @property
    def per_bed(self) -> float:
        return self.nctr_expected / self.beds if self.beds else math.nan

    @property
    def gap(self) -> float:
        """Calibrated minus target, NCTR per bed."""
        return self.per_bed - self.target_per_bed

    def sentence(self) -> str:
        head = (
            f"NCTR per bed: calibrated {self.per_bed:.3f} (expected {self.nctr_expected:.1f} NCTR patients on "
            f"{self.beds} inpatient beds, Little's law; {self.nctr_seen:.1f} seen in the log) vs target "
            f"{self.target_per_bed:.3f} ({self.target_source}): gap {self.gap:+.3f}."
        )
        if abs(self.gap) < 0.005:
            return head + " Within 0.005 of the target: nothing to change."
        want = self.target_per_bed * self.beds
        delay = (
            f" At today's demand the NCTR delays would need to be x{want / self.nctr_expected:.2f}."
            if (self.nctr_expected > 0)
            else ""
        )
        scale = (
            f" Suggestion (not applied; the fitted numbers are the log's): scale every daily pathway's starts by "
            f"{self.capacity_scale:.2f} (replayed through the log's ready times)."
            if self.capacity_scale is not None
            else f" {self.note}"
        )
        return head + delay + scale


def nctr_check(fit: PathwayFit, beds: int, target_per_bed: float, target_source: str) -> NctrCheck:
    """Compare the fitted pathways' expected NCTR per inpatient bed with a target; find the scale of the daily
    pathways' starts that meets it (bisection on the replay, which is monotone in the scale)."""
    expected = fit.expected_nctr()
    seen = sum(e.nctr_mean for e in fit.pathways_.values())
    want = target_per_bed * beds
    daily = [e for e in fit.pathways_.values() if e.kind == "daily" and e.starts_by_weekday is not None]
    scale, note = None, ""
    if not fit.pathways_:
        note = "No pathways fitted (the log has no pathway labels with ready_to_leave): nothing to compare."
    elif not daily:
        note = "No daily pathway to scale: change the delays (the pathways' assessment) or model the pools' places."
    else:
        lo, hi = 0.05, 20.0
        f_lo, f_hi = fit.expected_nctr(lo), fit.expected_nctr(hi)
        if not (f_hi <= want <= f_lo):
            note = (
                f"Scaling the daily pathways' starts (x{lo:g} to x{hi:g}) gives {f_hi / beds:.3f} to {f_lo / beds:.3f} "
                "per bed: the target is out of reach by daily capacity alone."
            )
        else:
            for _ in range(40):
                mid = math.sqrt(lo * hi)
                if fit.expected_nctr(mid) > want:
                    lo = mid
                else:
                    hi = mid
                if hi / lo < 1.005:
                    break
            scale = math.sqrt(lo * hi)
    return NctrCheck(
        target_per_bed=float(target_per_bed),
        target_source=target_source,
        beds=int(beds),
        nctr_expected=float(expected),
        nctr_seen=float(seen),
        capacity_scale=scale,
        note=note,
    )
