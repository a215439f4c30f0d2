"""When patients leave the hospital: :class:`DischargeFit` (hour and weekday profiles, discharge-hour rules).

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
    Such a unit's leavers by weekday are then tested against what its weekend rate gives
    (:meth:`DischargeFit._weekday_rule`); the rule gets seven ``day_of_week`` weights instead
    of ``weekend_rate`` only when the weekday detail is significant (p < alpha, quasi-Poisson,
    and shares at least 0.02 apart in total variation), so a log without that evidence keeps
    its weekend rate.

Imports the stays and significance modules; no other fitter (the stay fitter receives the
rules as a mapping). Pure: DataFrames in, a fitted :class:`DischargeFit` out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.calibration.significance import ALPHA, _g_test, _profile, _tv
from hospital_twin.calibration.stays import _clock_h, _hours, _window, prepare_stays
from hospital_twin.scenario.load import day_of_week_for_shares, discharge_shares_by_weekday
from hospital_twin.scenario.schema import EXIT, DischargeSpec

__all__ = ["DischargeFit"]


class DischargeFit:
    """When patients leave the hospital: hour-of-day and weekday profiles, weekend rate, rules per unit.

    Attributes
    ----------
    n_ : leavers (closed last stays). hour_profile_ (24, mean 1), hour_p_ (against flat),
    weekday_profile_ (7, per day of each weekday, mean 1), weekend_rate_ (Sat+Sun per day
    over Tue-Fri per day), unit_profiles_ (unit -> 24 weights), homogeneity_p_ (the
    units' hour profiles are the same), tests_ (unit, n, tv, p, weekend_rate, rule),
    rules_ (unit -> {hourly_profile, weekend_rate} or {hourly_profile, day_of_week}) for units with a
    discharge-hour rule, weekday_tests_ (unit -> the weekday test of :meth:`_weekday_rule`) for those units.
    """

    def __init__(
        self,
        *,
        alpha: float = ALPHA,
        min_tv: float = 0.05,
        min_exits: int = 100,
        min_weekday_tv: float = 0.02,
        n_permutations: int = 199,
        max_test_exits: int = 50_000,
        random_state: int = 0,
        dates_shifted: bool = False,
        shift_keeps_clock: bool = True,
    ):
        self.alpha = alpha
        self.min_tv = min_tv
        self.min_exits = min_exits
        self.min_weekday_tv = min_weekday_tv
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
        self.weekday_tests_: dict[str, dict[str, Any]] = {}
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
                tests.append(
                    {
                        "unit": unit,
                        "n": len(rows),
                        "tv": math.nan,
                        "p": math.nan,
                        "weekend_rate": math.nan,
                        "rule": False,
                    }
                )
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
                if not self.dates_shifted:
                    test = self._weekday_rule(e, t0, days, q)
                    if test is not None:
                        self.weekday_tests_[str(unit)] = test
                        if test["kept"]:
                            self.rules_[str(unit)] = {
                                "hourly_profile": _profile(ch),
                                "day_of_week": test["day_of_week"],
                            }
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

    def _weekday_rule(self, end: pd.Series, t0: pd.Timestamp, days: int, q: float) -> dict[str, Any] | None:
        """Do a unit's leavers by weekday need seven day weights, or does its weekend rate ``q`` explain them?

        Leavers per weekday (over the complete days) against the shares the rule ``weekend_rate: q`` gives
        patients ready uniformly over the week (:func:`~hospital_twin.scenario.load.discharge_shares_by_weekday`):
        a G-test with 5 degrees of freedom (6 free shares less the fitted rate), divided by the over-dispersion
        of the daily counts about their weekday means when above 1 (quasi-Poisson). ``day_of_week`` (the weights
        whose shares are the observed ones, :func:`~hospital_twin.scenario.load.day_of_week_for_shares`) is kept
        when p < alpha and the total-variation distance of the shares is at least ``min_weekday_tv``, and the
        shares can be given by holding patients back (else the weekend rate is kept, the reason in ``note``).
        Limitation: the null takes patients as ready uniformly over the week; a weekday pattern of readiness
        (e.g. electives admitted on weekdays with short stays) also moves the leavers and can make the test
        significant (the simulated baseline's AMU, SAU and SURG are; their shares cannot be inverted, so they
        keep their weekend rate).
        """
        if days < 14 or not len(end):
            return None
        idx = np.floor(((end - t0) / pd.Timedelta(days=1)).to_numpy(dtype=float))
        inside = (idx >= 0) & (idx < days)
        if inside.sum() < self.min_exits:
            return None
        wd = end.dt.day_of_week.to_numpy()[inside]
        c = np.bincount(wd, minlength=7).astype(float)
        day_wd = (t0.weekday() + np.arange(days)) % 7
        n_wd = np.bincount(day_wd, minlength=7).astype(float)
        shares = (c / np.maximum(n_wd, 1)) / (c / np.maximum(n_wd, 1)).sum()
        null = discharge_shares_by_weekday(DischargeSpec(weekend_rate=min(max(q, 0.0), 1.0)))
        exp = n_wd * null * c.sum() / float((n_wd * null).sum())
        g = _g_test(c, np.maximum(exp, 1e-12))
        daily = np.bincount(idx[inside].astype(int), minlength=days).astype(float)
        mean_wd = (c / np.maximum(n_wd, 1))[day_wd]
        ok = mean_wd > 0
        phi = float(((daily[ok] - mean_wd[ok]) ** 2 / mean_wd[ok]).sum() / max(ok.sum() - 7, 1))
        p = float(stats.chi2.sf(g / max(phi, 1.0), 5))
        tv = _tv(shares, null)
        try:
            weights = [round(w, 4) for w in day_of_week_for_shares(shares)]
            note = ""
        except ValueError as exc:
            weights, note = None, str(exc)
        kept = bool(p < self.alpha and tv >= self.min_weekday_tv and weights is not None)
        return {
            "shares": [float(x) for x in shares],
            "rule_shares": [float(x) for x in null],
            "g": g,
            "dispersion": phi,
            "p": p,
            "tv": tv,
            "day_of_week": weights,
            "kept": kept,
            "note": note,
        }

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
