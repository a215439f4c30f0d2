"""Discharge lounges: where patients going home wait for their departure out of their bed.

The picture: a patient whose stay has ended and whom the discharge rule holds until its
departure hour ``T`` (transport, medicines to take home) would keep its ward bed until then.
With a lounge serving its unit, it moves to the lounge ``L`` hours before ``T`` (``L`` drawn
from the lounge's ``time_there``; not before it is ready, nor before the lounge opens on the day
of ``T``), if a place is free at that moment: its bed frees then, and it leaves the hospital at
``T`` as it would have without the lounge. A patient who finds the lounge full, or whose
departure falls outside the opening hours, waits in its bed as before. The lounge changes where
patients wait, not when they go home: discharge times as the hospital reports them keep the
rule's shape, and only bed-hours change.

The lounge's places are not beds: no occupancy, admission or stay of a unit counts them, and the
event log has no row for a lounge (the ward row ends when the bed frees). Each lounge keeps
counters after the warm-up (:func:`lounge_records`), read by ``hospital_twin.results``.

Time there draws come from the lounge's own named stream (``discharge_lounge``), one per patient
planned, so a scenario without a lounge draws nothing and keeps its random numbers.
"""

from __future__ import annotations

from simpy.events import Timeout

from hospital_twin import rng as _rng

__all__ = ["Lounge", "build_lounges", "lounge_records"]

_EXIT = -1


class Lounge:
    """One discharge lounge of a running :class:`~hospital_twin.sim.model.HospitalSim`."""

    def __init__(self, sim, name: str, places: int, time_there, hours: tuple[float, float] | None):
        self.sim = sim
        self.env = sim.env
        self.name = name
        self.places = places
        self.time_there = time_there
        self.hours = hours
        self.offset_h = sim.calendar.offset_h
        self.warmup_h = sim.scenario.warmup_h
        self.rng = _rng.stream(sim.seed, sim.rep, "discharge_lounge", name)
        self.occ = 0
        self.t_last = 0.0
        self.area = 0.0  # place-hours occupied after the warm-up
        self.uses = 0  # moves into the lounge after the warm-up
        self.time_sum_h = 0.0  # their time in the lounge
        self.planned = 0  # patients held by the discharge rule in the units served, ready after the warm-up
        self.planned_used = 0  # ... of whom went to the lounge
        self.full = 0  # ... of whom found it full

    def _level(self, delta: int) -> None:
        now = self.env.now
        w = self.warmup_h
        self.area += self.occ * (max(now, w) - max(self.t_last, w))
        self.t_last = now
        self.occ += delta

    def plan(self, p, now: float, leave_h: float) -> None:
        """Patient ``p``, ready to go home at ``now``, is held by the rule until ``leave_h``."""
        stay_h = self.time_there.ppf(self.rng.random())
        move = max(now, leave_h - stay_h)
        if self.hours is not None:
            a, b = self.hours
            abs_leave = leave_h + self.offset_h
            clock = abs_leave % 24
            if not a < clock <= b:
                move = leave_h  # departs while the lounge is closed: waits in its bed
            else:
                move = max(move, abs_leave - clock + a - self.offset_h)
        if now >= self.warmup_h:
            self.planned += 1
        if move >= leave_h:
            Timeout(self.env, leave_h - now, p).callbacks.append(self.sim._discharged)
            return
        Timeout(self.env, move - now, (p, leave_h, now)).callbacks.append(self._move)

    def _move(self, ev) -> None:
        p, leave_h, ready = ev._value
        now = self.env.now
        counted = ready >= self.warmup_h
        if self.occ >= self.places:
            if counted:
                self.full += 1
            Timeout(self.env, leave_h - now, p).callbacks.append(self.sim._discharged)
            return
        self.sim._leave(p, _EXIT, now)  # the ward bed frees now
        self._level(1)
        if counted:
            self.planned_used += 1
        if now >= self.warmup_h:
            self.uses += 1
            self.time_sum_h += leave_h - now
        Timeout(self.env, leave_h - now, self).callbacks.append(_left)

    def record(self, end_h: float) -> dict:
        w = self.warmup_h
        area = self.area + self.occ * (max(end_h, w) - max(self.t_last, w))
        return {
            "name": self.name,
            "places": self.places,
            "uses": self.uses,
            "time_sum_h": self.time_sum_h,
            "place_hours": area,
            "planned": self.planned,
            "planned_used": self.planned_used,
            "full": self.full,
        }


def _left(ev) -> None:
    ev._value._level(-1)


def build_lounges(sim) -> dict[int, Lounge]:
    """Unit index -> the lounge serving it, for the scenario's ``discharge_lounges`` (empty without)."""
    s = sim.scenario
    out: dict[int, Lounge] = {}
    for name, spec in s.discharge_lounges.items():
        lounge = Lounge(sim, name, spec.places, spec.time_there.to_distribution(), spec.hours)
        if spec.units is not None:
            served = spec.units
        else:
            served = [u for u, us in s.units.items() if us.ed is None and us.kind != "ed"]
        for u in served:
            out[sim._unit_index[u]] = lounge
    return out


def lounge_records(lounges: dict[int, Lounge], end_h: float) -> list[dict]:
    """Counters of each lounge after the warm-up, in the scenario's order (see :meth:`Lounge.record`)."""
    seen: dict[str, Lounge] = {}
    for lounge in lounges.values():
        seen.setdefault(lounge.name, lounge)
    return [lounge.record(end_h) for lounge in seen.values()]
