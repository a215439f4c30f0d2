"""Outlying: patients placed in another unit's bed when their home unit is full, and brought back.

A unit with ``outlying`` (its *home* patients may outlie) lists host units in order. A
request for a home bed that finds none (no free bed, or others already waiting) may be
placed in the first host with a free bed that none of the host's own patients is waiting
for and fewer outliers than the host's ``max_outliers``: at once (``after_hours: 0``),
else once the request has waited ``after_hours`` in the home queue. A waiting request
that is eligible is also taken by a host as soon as one of the host's beds frees and the
host's own queue is empty (the best eligible request of the homes listing that host: class
priority, then time of asking).

An outlier holds a host bed (the host's occupancy) but belongs to its home unit: its stay
is drawn from the home unit's distribution with the patient's own stay uniform (so the
draw is the one it would have had at home: common random numbers hold), scaled by
``stay_factor`` while in the host; when its stay ends, the home unit's route and discharge
rule apply (``HospitalSim._stay_done_now`` reads ``_Patient.home``); when that route leads to the
host itself, the patient keeps its bed as the host's own patient. With ``repatriate``
other than ``never``, an outlier still in treatment moves back to a freed home bed
(oldest placement first; ``before_waiting`` before the home unit's queue,
``after_waiting`` only when nobody waits), and stays there for the rest of its home stay:
``L - e / stay_factor`` hours after ``e`` hours in the host.

The feature is switched on once, at build time, by :class:`Outlying` replacing five of the
simulation's bound methods on the instance (``_request_bed``, ``_dispatch``,
``_begin_treatment``, ``_leave``, ``_output``) with wrappers; a scenario without
``outlying`` runs the unwrapped methods, unchanged. The placements are returned in
``SimOutput.outliers`` (:data:`OUTLIER_FIELDS`). No new random numbers are drawn.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np
from simpy.events import Timeout

__all__ = ["OUTLIER_FIELDS", "Outlying"]

OUTLIER_FIELDS = (
    "patient",  # int id
    "home",  # home unit index
    "host",  # host unit index
    "ready_at",  # when the patient asked for the home bed
    "start",  # when it was placed in the host
    "end",  # when it left the host bed (nan: still there)
    "repatriated",  # 1 if it left the host for a home bed
)

_NEVER, _BEFORE, _AFTER = 0, 1, 2
_MODES = {"never": _NEVER, "before_waiting": _BEFORE, "after_waiting": _AFTER}


class _Outlier:
    """An outlier in a host bed; ``active`` while it is in treatment (it may be repatriated)."""

    __slots__ = ("p", "home", "host", "t0", "stay_h", "row", "active")

    def __init__(self, p, home, host, t0, stay_h, row):
        self.p = p
        self.home = home
        self.host = host
        self.t0 = t0
        self.stay_h = stay_h  # the stay it would have had at home (hours)
        self.row = row
        self.active = True


class Outlying:
    """Outlying rules of one replication, wired into ``sim`` (a ``HospitalSim``) at build time."""

    def __init__(self, sim):
        self.sim = sim
        units = sim.units
        n = len(units)
        specs = list(sim.scenario.units.values())
        self.hosts: list[list | None] = [None] * n
        self.after_h = [0.0] * n
        self.classes: list[set[int] | None] = [None] * n
        self.factor = [1.0] * n
        self.mode = [_NEVER] * n
        self.cap = [math.inf if sp.max_outliers is None else sp.max_outliers for sp in specs]
        self.hosted = [0] * n  # outliers in each unit now
        self.homes_of: list[list] = [[] for _ in range(n)]  # per host: the homes that list it
        self.ready: list[list] = [[] for _ in range(n)]  # per home: eligible waiting requests (heap)
        self.placed: list[deque] = [deque() for _ in range(n)]  # per home: outliers in placement order
        self.current: dict[int, _Outlier] = {}
        self.pending: dict[int, tuple] = {}  # pid -> (home, ready_at) between placement and treatment
        self.records: list[list[float]] = []
        self.allowed = [True] * n  # per home: placements allowed now (an escalation level may gate them)
        for u, sp in zip(units, specs, strict=True):
            o = sp.outlying
            if o is None:
                continue
            self.hosts[u.idx] = [units[sim._unit_index[h]] for h in o.hosts]
            self.after_h[u.idx] = o.after_hours
            if o.classes is not None:
                self.classes[u.idx] = {sim._class_index[c] for c in o.classes}
            self.factor[u.idx] = o.stay_factor
            self.mode[u.idx] = _MODES[o.repatriate]
            for h in self.hosts[u.idx]:
                self.homes_of[h.idx].append(u)
        self._request_bed = sim._request_bed
        self._dispatch = sim._dispatch
        self._begin_treatment = sim._begin_treatment
        self._leave = sim._leave
        self._output = sim._output
        sim._request_bed = self.request_bed
        sim._dispatch = self.dispatch
        sim._begin_treatment = self.begin_treatment
        sim._leave = self.leave
        sim._output = self.output
        sim._reprioritised = self.reprioritised  # priority aging re-keys the eligible requests too

    # ------------------------------------------------------------------ requests
    def request_bed(self, p, u, on_grant, from_unit, ready_at=None):
        """``HospitalSim._request_bed``, trying the hosts when the home unit is full."""
        if p.home is not None and p.unit is u:  # an outlier whose home route leads to its host: it stays put
            self._become_host_patient(p, u, ready_at)
            return None
        hosts = self.hosts[u.idx]
        allowed = self.classes[u.idx]
        if hosts is None or (allowed is not None and p.pclass not in allowed):
            return self._request_bed(p, u, on_grant, from_unit, ready_at)
        if not u.n_waiting and u.occ + u.cleaning < u.cap:
            return self._request_bed(p, u, on_grant, from_unit, ready_at)
        now = self.sim.env.now
        t_req = now if ready_at is None else ready_at
        wait_more = t_req + self.after_h[u.idx] - now
        gate = self.allowed[u.idx]
        if wait_more <= 0:
            h = self._free_host(hosts) if gate else None
            if h is not None:
                self._place(p, u, h, on_grant, t_req)
                return None
        req = self._request_bed(p, u, on_grant, from_unit, ready_at)
        if req is not None:
            if wait_more <= 0:
                heapq.heappush(self.ready[u.idx], (req.prio, t_req, self.sim._seq, req))
                if not gate and self.allowed[u.idx]:  # an escalation level allowed outlying as it queued
                    for h in hosts:
                        self._pull(h)
            else:
                Timeout(self.sim.env, wait_more, req).callbacks.append(self._eligible)
        return req

    def _become_host_patient(self, p, u, ready_at) -> None:
        """An outlier in ``u`` whose home unit's route sends it on to ``u`` keeps its bed as ``u``'s own patient.

        Its outlier stay ends and a stay of ``u`` begins at once in the same bed (no bed frees, no cleaning);
        otherwise it would queue for another bed of the unit whose bed it holds, blocking it meanwhile.
        """
        sim = self.sim
        now = sim.env.now
        self._end(p, now, 0.0)
        stays = sim._stays
        stays[p.stay + 7] = now
        stays[p.stay + 8] = u.idx
        p.source = sim._n_sources + u.idx
        p.stay = len(stays)
        t_req = now if ready_at is None else ready_at
        stays.extend((p.pid, u.idx, p.pclass, p.source, t_req, now, math.nan, math.nan, -9, math.nan))
        self._begin_treatment(p, u, now)

    def _eligible(self, ev) -> None:
        """A queued request has waited ``after_hours``: placed in a host now, or eligible from now on."""
        req = ev._value
        if not req.active:
            return
        home = req.unit
        h = self._free_host(self.hosts[home.idx]) if self.allowed[home.idx] else None
        if h is None:
            self.sim._seq += 1
            heapq.heappush(self.ready[home.idx], (req.prio, req.ready_at, self.sim._seq, req))
            return
        self._take(req)
        self._place(req.patient, home, h, req.on_grant, req.ready_at)

    def reprioritised(self, req) -> None:
        """Priority aging gave the waiting request ``req`` its better priority ``req.prio``: re-key it
        among its home unit's requests eligible for a host (if it is one of them)."""
        heap = self.ready[req.unit.idx]
        for i, entry in enumerate(heap):
            if entry[3] is req:
                heap[i] = (req.prio, *entry[1:])
                heapq.heapify(heap)
                return

    def set_allowed(self, home: int, allowed: bool) -> None:
        """Allow or stop placements of unit ``home``'s patients (escalation levels); allowed, the hosts take
        the eligible waiting ones at once."""
        if self.allowed[home] == allowed:
            return
        self.allowed[home] = allowed
        if allowed:
            for h in self.hosts[home]:
                self._pull(h)

    def _free_host(self, hosts):
        for h in hosts:
            if not h.n_waiting and h.occ + h.cleaning < h.cap and self.hosted[h.idx] < self.cap[h.idx]:
                return h
        return None

    def _take(self, req) -> None:
        """Withdraw a waiting request from its home queue (it is being placed elsewhere)."""
        req.active = False
        home = req.unit
        home.n_waiting -= 1
        if home.esc_watch:
            self.sim._pressure_check(home)

    def _place(self, p, home, h, on_grant, t_req) -> None:
        """Give ``p`` (a patient of ``home``) a bed in host ``h``."""
        self.sim._occ_change(h, 1)
        self.hosted[h.idx] += 1
        self.pending[p.pid] = (home, t_req)
        on_grant(p, h, t_req)  # records the stay in h, then begin_treatment below
        if h.esc_watch:
            self.sim._pressure_check(h)

    def begin_treatment(self, p, u, now) -> None:
        """``HospitalSim._begin_treatment``; an outlier's stay is its home stay times the factor."""
        placed = self.pending.pop(p.pid, None) if self.pending else None
        if placed is None:
            self._begin_treatment(p, u, now)
            return
        sim = self.sim
        home, t_req = placed
        p.home = home
        stay_h = sim._los[p.pclass][home.idx].ppf(sim._u(p, 1))
        st = _Outlier(p, home, u, now, stay_h, len(self.records))
        self.records.append([p.pid, home.idx, u.idx, t_req, now, math.nan, 0.0])
        self.current[p.pid] = st
        if self.mode[home.idx] != _NEVER:
            self.placed[home.idx].append(st)
        Timeout(sim.env, stay_h * self.factor[home.idx], st).callbacks.append(self._stay_over)

    def _stay_over(self, ev) -> None:
        st = ev._value
        if not st.active:  # repatriated: its stay goes on at home
            return
        st.active = False
        self.sim._stay_done_now(st.p)  # home unit's route and discharge rule (p.home)

    def leave(self, p, dest, now) -> None:
        """``HospitalSim._leave``; an outlier leaving its host bed is an outlier no more."""
        if p.home is not None:
            self._end(p, now, 0.0)
        self._leave(p, dest, now)

    def _end(self, p, now: float, repatriated: float) -> _Outlier:
        st = self.current.pop(p.pid)
        st.active = False
        row = self.records[st.row]
        row[5] = now
        row[6] = repatriated
        self.hosted[st.host.idx] -= 1
        p.home = None
        return st

    # ------------------------------------------------------------------ freed beds
    def dispatch(self, u) -> None:
        """``HospitalSim._dispatch``, then repatriation to ``u`` and outliers into ``u`` as its rules say."""
        i = u.idx
        mode = self.mode[i]
        if mode == _BEFORE and self.placed[i]:
            self._repatriate(u)
        self._dispatch(u)
        if mode == _AFTER and self.placed[i] and not u.n_waiting:
            self._repatriate(u)
        if self.homes_of[i]:
            self._pull(u)

    def _pull(self, h) -> None:
        """Host ``h`` has free beds its own patients do not need: take the best eligible outliers."""
        ready = self.ready
        while not h.n_waiting and h.occ + h.cleaning < h.cap and self.hosted[h.idx] < self.cap[h.idx]:
            best = best_home = None
            for home in self.homes_of[h.idx]:
                if not self.allowed[home.idx]:
                    continue
                heap = ready[home.idx]
                while heap and not heap[0][3].active:
                    heapq.heappop(heap)
                if heap and (best is None or heap[0][:3] < best[:3]):
                    best, best_home = heap[0], home
            if best is None:
                return
            heapq.heappop(ready[best_home.idx])
            req = best[3]
            self._take(req)
            self._place(req.patient, best_home, h, req.on_grant, req.ready_at)

    def _repatriate(self, home) -> None:
        q = self.placed[home.idx]
        before = self.mode[home.idx] == _BEFORE
        while q and home.occ + home.cleaning < home.cap and (before or not home.n_waiting):
            st = q.popleft()
            if st.active:
                self._move_home(st)

    def _move_home(self, st: _Outlier) -> None:
        """Move an outlier in treatment from its host bed to a free home bed, with the rest of its home stay."""
        sim = self.sim
        p, home, host = st.p, st.home, st.host
        now = sim.env.now
        remaining = max(st.stay_h - (now - st.t0) / self.factor[home.idx], 0.0)
        sim._occ_change(home, 1)
        self._end(p, now, 1.0)
        self._leave(p, home.idx, now)  # closes the host stay, frees the host bed
        p.source = sim._n_sources + host.idx
        p.stay = len(sim._stays)
        sim._stays.extend((p.pid, home.idx, p.pclass, p.source, now, now, math.nan, math.nan, -9, math.nan))
        p.unit = home
        Timeout(sim.env, remaining, p).callbacks.append(sim._stay_done)
        if home.esc_watch:
            sim._pressure_check(home)

    # ------------------------------------------------------------------ output
    def output(self):
        out = self._output()
        out.outliers = np.asarray(self.records, dtype=float).reshape(-1, len(OUTLIER_FIELDS))
        return out
