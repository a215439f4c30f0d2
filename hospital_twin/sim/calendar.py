"""Clock arithmetic for the simulator: hours since ``start`` to clock hour and weekday.

Simulation time is hours from the scenario's ``start``. ``Calendar`` turns it into the
hour of the week (Monday 00:00 = 0), and answers the questions the model asks of the
clock: the arrival-rate factor now, when a patient ready to go home may leave, which
shift is on.

Pure functions of numbers; no SimPy, no random state.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["Calendar", "DischargeRule", "ShiftTable", "rate_table"]

HOURS_PER_WEEK = 168


class Calendar:
    """Maps simulation hours to the clock, given the start datetime."""

    def __init__(self, start: dt.datetime):
        self.start = start
        self.offset_h = start.weekday() * 24 + start.hour + start.minute / 60 + start.second / 3600

    def hour_of_week(self, t_h: float) -> float:
        return (t_h + self.offset_h) % HOURS_PER_WEEK

    def to_sim_h(self, when: dt.datetime) -> float:
        return (when - self.start).total_seconds() / 3600.0


def rate_table(hour_of_day: Sequence[float] | None, day_of_week: Sequence[float] | None) -> list[float]:
    """Relative arrival rate for each of the 168 hours of the week, each profile scaled to mean 1."""
    hod = np.ones(24) if hour_of_day is None else np.asarray(hour_of_day, float)
    dow = np.ones(7) if day_of_week is None else np.asarray(day_of_week, float)
    hod = hod / hod.mean()
    dow = dow / dow.mean()
    return (dow[:, None] * hod[None, :]).ravel().tolist()


class DischargeRule:
    """When a patient whose stay ended at ``t_h`` leaves the hospital.

    With an ``hourly_profile``, each patient carries a drawn discharge hour (from its own
    uniforms) and leaves at the first time after its stay ends when the clock shows
    that hour; with only a window, it leaves at once inside the window, or when the
    window next opens. Day rule: on weekday d a patient may leave only if its weekend
    uniform is below ``day_pass[d]`` (default: 1 on weekdays, ``weekend_rate`` on Saturday and
    Sunday); otherwise it tries the next day, at its drawn hour or when the window opens, so
    one uniform decides every day (a patient held on a day is held on every day that lets
    fewer go). With ``ready_cutoff_h``, a patient ready at or after that clock hour is treated
    as ready at the next midnight.
    """

    def __init__(
        self,
        calendar: Calendar,
        window_h: tuple[float, float] | None,
        hourly_profile: Sequence[float] | None,
        weekend_rate: float,
        *,
        day_pass: Sequence[float] | None = None,
        ready_cutoff_h: float | None = None,
    ):
        self.offset_h = calendar.offset_h
        self.window_h = window_h
        self.weekend_rate = weekend_rate
        self.day_pass = [1.0] * 5 + [weekend_rate] * 2 if day_pass is None else [float(x) for x in day_pass]
        self.ready_cutoff_h = ready_cutoff_h
        self.cum_profile: list[float] | None = None
        if hourly_profile is not None:
            w = np.asarray(hourly_profile, float).copy()
            if window_h is not None:
                hours = np.arange(24)
                w[(hours < window_h[0]) | (hours >= window_h[1])] = 0.0
            self.cum_profile = (np.cumsum(w) / w.sum()).tolist()

    @property
    def is_trivial(self) -> bool:
        return (
            self.window_h is None
            and self.cum_profile is None
            and min(self.day_pass) >= 1.0
            and self.ready_cutoff_h is None
        )

    def leave_at(self, t_h: float, u_hour: float, u_frac: float, u_weekend: float) -> float:
        abs_h = t_h + self.offset_h
        if self.ready_cutoff_h is not None and abs_h % 24 >= self.ready_cutoff_h:
            abs_h = math.floor(abs_h / 24) * 24 + 24.0
        ok = self.day_pass
        if self.cum_profile is not None:
            hour = bisect.bisect_right(self.cum_profile, u_hour)
            hour = min(hour, 23)
            target = hour + u_frac  # clock time within the drawn hour
            day = math.floor(abs_h / 24)
            cand = day * 24 + target
            if cand < abs_h:
                cand += 24
            while u_weekend >= ok[int(cand // 24) % 7]:
                cand += 24
            return cand - self.offset_h
        cand = abs_h
        if self.window_h is not None:
            a, b = self.window_h
            clock = cand % 24
            if clock < a:
                cand += a - clock
            elif clock >= b:
                cand += 24 - clock + a
        while u_weekend >= ok[int(cand // 24) % 7]:
            day_start = math.floor(cand / 24) * 24
            cand = day_start + 24 + (self.window_h[0] if self.window_h else 0.0)
        return cand - self.offset_h


class ShiftTable:
    """Which shift is on at a time; shift boundaries as clock hours."""

    def __init__(self, calendar: Calendar, shifts: dict[str, tuple[float, float]]):
        self.offset_h = calendar.offset_h
        self.starts = sorted((start % 24, name) for name, (start, _end) in shifts.items())

    def shift_at(self, t_h: float) -> str:
        clock = (t_h + self.offset_h) % 24
        names = [n for _, n in self.starts]
        hours = [h for h, _ in self.starts]
        i = bisect.bisect_right(hours, clock) - 1
        return names[i]  # i == -1 wraps to the shift that started the previous evening

    def next_change_after(self, t_h: float) -> float:
        abs_h = t_h + self.offset_h
        clock = abs_h % 24
        for h, _ in self.starts:
            if h > clock + 1e-12:
                return abs_h - clock + h - self.offset_h
        return abs_h - clock + 24 + self.starts[0][0] - self.offset_h
