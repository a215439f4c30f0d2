"""Queues that lose and reorder people: the hooks :class:`~hospital_twin.sim.model.HospitalSim` installs
only for a scenario that asks for them (nothing runs, and nothing is drawn, otherwise).

* **Patience** (``arrivals[].patience``, emergency department streams): every arrival of the stream
  draws how long it will wait for a clinician, counted from its arrival, by inverse transform of one
  uniform from its own ``patience`` stream (named after the arrival stream, so common random
  numbers hold for everything else: the patient's DNA row is untouched). When the patience runs out
  before a clinician has started its assessment, the patient leaves without being seen: from the
  queue for a cubicle (its request is withdrawn and listed in ``SimOutput.left_unseen``), or from a
  cubicle (its stay ends then with destination ``-3``, the cubicle frees, and it leaves the
  clinician queue).
* **Priority that rises with the wait** (``patient_classes.<c>.priority_after``): a bed request of
  the class still waiting ``hours`` after it asked is re-keyed in its unit's queue with the better
  priority (its request time and arrival order kept), by one scheduled event per queued request.
* **Rebooking** (``electives[].rebook_after_days``, ``max_rebookings``): a patient of the list
  cancelled for want of a bed asks again ``rebook_after_days`` days after the day of the
  cancellation, at the list's clock hour, with the same DNA (the same patient), up to
  ``max_rebookings`` times; cancelled once more, it is cancelled for good. Every rebooking is a row of
  ``SimOutput.rebookings`` (a date on or after the end of the run: still pending then).
"""

from __future__ import annotations

import heapq
import math

from simpy.events import Timeout

from hospital_twin import rng as _rng

__all__ = ["DEST_LEFT_UNSEEN", "install"]

DEST_LEFT_UNSEEN = -3
"""Stay destination of an emergency department patient who left without being seen."""

_BLOCK = 256


def install(sim) -> None:
    """Set the hooks the scenario of ``sim`` asks for; without any, ``sim`` is left as it is.

    Fills ``sim._patience_admit`` (arrival stream name -> admit function) and ``sim._rebook_cancel``
    (elective list name -> cancel callback), and wraps ``sim._request_bed`` when a class has
    ``priority_after``.
    """
    s = sim.scenario
    for a in s.arrivals:
        if a.patience is not None:
            sim._patience_admit[a.name] = _Patience(sim, a.patience.to_distribution(), a.name).admit
    for e in s.electives:
        if e.max_rebookings:
            sim._rebook_cancel[e.name] = _Rebooking(sim, e).on_cancel
    rules = []
    for c in sim.class_names:
        pc = s.patient_classes.get(c)
        rule = pc.priority_after if pc is not None else None
        rules.append(None if rule is None else (rule.hours, rule.priority))
    if any(r is not None for r in rules):
        sim._request_bed = _PriorityAging(sim, rules).request_bed


class _Patience:
    """Emergency department patients of one arrival stream who leave when their patience runs out."""

    __slots__ = ("sim", "dist", "rng", "draws")

    def __init__(self, sim, dist, stream_name: str):
        self.sim = sim
        self.dist = dist
        self.rng = _rng.stream(sim.seed, sim.rep, "patience", stream_name)
        self.draws: list[float] = []

    def admit(self, p, u, now: float) -> None:
        """Admit ``p`` at ``now`` as an external arrival and start its patience clock (hours)."""
        sim = self.sim
        req = sim._admit_external(p, u, now)
        if not self.draws:
            self.draws = self.rng.random(_BLOCK).tolist()
            self.draws.reverse()
        patience_h = self.dist.ppf(self.draws.pop())
        Timeout(sim.env, patience_h, (p, u, req, now)).callbacks.append(self._expired)

    def _expired(self, ev) -> None:
        p, u, req, t0 = ev._value
        sim = self.sim
        now = sim.env.now
        if req is not None and req.active:  # still waiting for a cubicle
            req.active = False
            u.n_waiting -= 1
            sim._left_unseen.append((p.pid, u.idx, req.ready_at, now, p.pclass, p.source))
            if u.esc_watch:
                sim._pressure_check(u)
            return
        if p.unit is not u or p.pid not in sim._live:  # turned away, or seen and gone
            return
        k = p.stay
        stays = sim._stays
        if stays[k + 4] != t0 or stays[k + 9] == stays[k + 9]:  # another visit, or seen (seen_at not nan)
            return
        q = u.clin_queue
        for i, entry in enumerate(q):
            if entry[2] is p:
                q[i] = q[-1]
                q.pop()
                heapq.heapify(q)
                sim._leave(p, DEST_LEFT_UNSEEN, now)
                return


class _PriorityAging:
    """Wraps ``_request_bed``: a queued request of a class with ``priority_after`` gets its better priority
    when it has waited the given hours."""

    __slots__ = ("sim", "rules", "request")

    def __init__(self, sim, rules: list[tuple[float, int] | None]):
        self.sim = sim
        self.rules = rules
        self.request = sim._request_bed

    def request_bed(self, patient, u, on_grant, from_unit: int, ready_at: float | None = None):
        req = self.request(patient, u, on_grant, from_unit, ready_at)
        if req is not None:
            rule = self.rules[patient.pclass]
            if rule is not None:
                hours, prio = rule
                delay = max(req.ready_at + hours - self.sim.env.now, 0.0)
                Timeout(self.sim.env, delay, (req, prio)).callbacks.append(self._aged)
        return req

    def _aged(self, ev) -> None:
        """The request has waited long enough: its better priority re-keys it in its unit's queue and,
        with outlying, in the queue of requests waiting to be placed in a host (``sim._reprioritised``)."""
        req, prio = ev._value
        if not req.active or prio >= req.prio:
            return
        req.prio = prio
        q = req.unit.queue
        for i, entry in enumerate(q):
            if entry[3] is req:
                q[i] = (prio, *entry[1:])
                heapq.heapify(q)
                break
        hook = getattr(self.sim, "_reprioritised", None)
        if hook is not None:
            hook(req)


class _Rebooking:
    """Cancelled patients of one elective list asking again later, a limited number of times."""

    __slots__ = ("sim", "spec", "unit", "count")

    def __init__(self, sim, spec):
        self.sim = sim
        self.spec = spec
        self.unit = sim.units[sim._unit_index[spec.unit]]
        self.count: dict[int, int] = {}  # patient id -> rebookings so far

    def on_cancel(self, ev) -> None:
        """The cancel timer of a request of the list: cancel it (if still waiting), then rebook or not."""
        req = ev._value
        if not req.active:
            return
        sim = self.sim
        sim._cancel(ev)
        self.rebook(req.patient, req.ready_at)

    def rebook(self, p, ready_at: float) -> None:
        """``p`` (asked at ``ready_at``) was cancelled now: give it a new date, unless it has had its rebookings
        (also called by the escalation levels for a postponed patient)."""
        sim = self.sim
        n = self.count.get(p.pid, 0)
        if n >= self.spec.max_rebookings:
            return
        self.count[p.pid] = n + 1
        now = sim.env.now
        offset = sim.calendar.offset_h
        day = math.floor((now + offset) / 24 + 1e-9)
        t = (day + self.spec.rebook_after_days) * 24 + self.spec.hour - offset
        sim._rebookings.append((p.pid, self.unit.idx, ready_at, now, t, p.pclass))
        if t < sim.end_h:
            Timeout(sim.env, t - now, p).callbacks.append(self._again)

    def _again(self, ev) -> None:
        sim = self.sim
        req = sim._request_bed(ev._value, self.unit, sim._enter, -1)
        if req is not None:
            Timeout(sim.env, self.spec.cancel_after_hours, req).callbacks.append(self.on_cancel)
