"""Escalation levels with actions (OPEL 1-4) for named groups of units.

A group (``Scenario.escalation_levels``) watches its units' pressure

    x = sum(occupied + waiting for a bed) / sum(base beds)

and, optionally, the ED boarders: patients with a decision to admit waiting in an emergency
department for a bed in one of the group's units. It starts at level 1. Whenever the
occupancy or the bed queue of one of its units changes (the model calls
``_pressure_check``), the group looks at its state at that instant:

* up: if some level k above the current level L is *triggered* (``x >= enter_at`` or
  boarders ``>= boarders_at``), the group goes at once to the highest such k, provided it
  has been at L for ``hold_hours_up``;
* down: otherwise, if L > 1 and L is *released* (``x < leave_below`` and, with a boarders
  trigger, boarders ``< boarders_below``), the group steps down to L - 1, provided it has
  been at L for ``hold_hours``; each step down waits ``hold_hours`` again.

A change held back only by the minimum time is looked at again when that time is up (a
timer), so the level changes at the first instant at which both the condition and the
minimum time hold. Between two looks the state is constant, so no change is missed.

Actions hold while the group is at their level or above: ``open_beds`` and ``ed_spaces``
add beds to a unit (beds of several levels and groups add up; closed beds close as they
free up, as today's per-unit ``escalation``); ``allow_outlying`` lets a unit's patients
outlie only then; ``postpone_electives`` postpones that share of the elective patients
arriving at the group's units (one uniform per elective patient from the new stream
``escalation_postpone``/unit, drawn whether or not a level holds, so variants of a
policy share them); ``discharge_push`` replaces the discharge rule of the named units
for patients whose stay ends while it holds; ``pathway_capacity`` scales a discharge pathway's daily
starts or pool places (``HospitalSim._pathway_scale``, read by ``sim/pathways.py``: the largest
factor of the groups' current levels; a pool's extra places close as they free up). Postponement is a cancellation at arrival
(counted in ``cancelled`` and in ``SimOutput.postponed``), rebooked as any cancellation when the
list has ``rebook_after_days`` (:meth:`EscalationPolicy.postpone`; a rebooked patient asking again
while a level postpones draws a new uniform and may be postponed again).

Switched on at build time only when the scenario has ``escalation_levels``: the policy
replaces ``HospitalSim._pressure_check`` on the instance (which the model calls only for
units marked ``esc_watch``), and wraps ``_request_bed`` only when a level postpones
electives or counts ED boarders. It records the level path (``SimOutput.escalation_path``:
time, group index, level) and the postponements. Today's per-unit ``escalation`` block
keeps its meaning: its beds and the levels' beds are counted apart and added up.
"""

from __future__ import annotations

import math

import numpy as np
from simpy.events import Timeout

from hospital_twin import rng as _rng
from hospital_twin.scenario.schema import escalation_group_units
from hospital_twin.sim.calendar import DischargeRule

__all__ = ["ESCALATION_PATH_FIELDS", "POSTPONED_FIELDS", "EscalationPolicy"]

ESCALATION_PATH_FIELDS = ("t", "group", "level")
"""Columns of ``SimOutput.escalation_path``: hours, group index (``escalation_levels`` order), level 1-4."""
POSTPONED_FIELDS = ("patient", "unit", "t", "pclass", "source")
_EPS_H = 1e-9  # a minimum time counts as over within this (the timer's own time is t_level + hold, rounded)
"""Columns of ``SimOutput.postponed``: elective patients postponed by an escalation level."""


class _Group:
    __slots__ = (
        "idx",
        "name",
        "units",
        "beds",
        "enter",
        "leave",
        "b_at",
        "b_below",
        "hold_down",
        "hold_up",
        "level",
        "t_level",
        "boarders",
        "recheck_at",
        "busy",
        "again",
        "beds_on",
        "gates",
        "share",
        "push",
        "push_units",
        "pw_scale",
    )


class EscalationPolicy:
    """The escalation groups of one replication, wired into ``sim`` (a ``HospitalSim``) at build time."""

    def __init__(self, sim, outlying=None):
        self.sim = sim
        self.outlying = outlying
        s = sim.scenario
        units = sim.units
        n = len(units)
        specs = list(s.units.values())
        self.own_open = [0] * n  # beds of a unit's own `escalation` block open now
        self.act_open = [0] * n  # beds opened by escalation levels now
        self.groups_of: list[list[_Group]] = [[] for _ in range(n)]
        self.groups: list[_Group] = []
        self.path: list[tuple[float, int, int]] = []
        self.postponed: list[tuple] = []
        self.open_at = [sp.escalation.open_at if sp.escalation else math.inf for sp in specs]
        self.close_below = [sp.escalation.close_below if sp.escalation else 0.0 for sp in specs]
        extra = [0] * n
        boarding = False
        postponing = False
        pw_index = {name: k for k, name in enumerate(s.discharge_pathways)}
        scaling = any(lv.actions.pathway_capacity for sp in s.escalation_levels.values() for lv in sp.levels)
        if scaling:  # factor per discharge pathway now (1 at level 1); read by sim/pathways.py
            sim._pathway_scale = [1.0] * len(pw_index)
        for gi, (name, spec) in enumerate(s.escalation_levels.items()):
            g = _Group()
            g.idx, g.name = gi, name
            g.units = [units[sim._unit_index[u]] for u in escalation_group_units(s, spec)]
            g.beds = sum(u.spec_beds for u in g.units)
            g.enter, g.leave = [math.inf] * 5, [0.0] * 5
            g.b_at, g.b_below = [math.inf] * 5, [math.inf] * 5
            g.hold_down, g.hold_up = spec.hold_hours, spec.hold_hours_up
            g.level, g.t_level, g.boarders = 1, 0.0, 0
            g.recheck_at, g.busy, g.again = None, False, False
            g.beds_on, g.gates, g.share, g.push = [], [], [0.0] * 5, [None] * 5
            g.pw_scale = [{} for _ in range(5)]  # level -> {pathway index: factor}
            push_units: list = []
            for lv in spec.levels:
                k = lv.level
                g.enter[k], g.leave[k] = lv.enter_at, lv.leave_below
                if lv.boarders_at is not None:
                    g.b_at[k], g.b_below[k] = lv.boarders_at, lv.boarders_release
                    boarding = True
                a = lv.actions
                for uname, beds in {**a.open_beds, **a.ed_spaces}.items():
                    u = units[sim._unit_index[uname]]
                    g.beds_on.append([k, u, beds, False])
                    extra[u.idx] += beds
                for uname in a.allow_outlying:
                    g.gates.append((k, sim._unit_index[uname]))
                g.share[k] = a.postpone_electives
                g.pw_scale[k] = {pw_index[name]: f for name, f in a.pathway_capacity.items()}
                postponing |= a.postpone_electives > 0
                if a.discharge_push is not None:
                    targets = a.discharge_push.units or [u.name for u in g.units]
                    rules = {}
                    for uname in targets:
                        ui = sim._unit_index[uname]
                        base = specs[ui].discharge or (s.discharge if units[ui].inpatient else None)
                        if base is None or units[ui].discharge is None:
                            continue  # no discharge rule to relax
                        rules[ui] = _pushed_rule(sim.calendar, base, a.discharge_push)
                        if units[ui] not in push_units:
                            push_units.append(units[ui])
                    g.push[k] = rules
            for k in range(
                3, 5
            ):  # the largest share of the levels reached; a push holds above its level unless replaced
                g.share[k] = max(g.share[k], g.share[k - 1])
                for i, f in g.pw_scale[k - 1].items():  # a factor holds above its level; the largest applies
                    g.pw_scale[k][i] = max(g.pw_scale[k].get(i, 1.0), f)
                if g.push[k] is None:
                    g.push[k] = g.push[k - 1]
            g.push_units = [(u, u.discharge) for u in push_units]  # with the rule outside a push
            for u in g.units:
                self.groups_of[u.idx].append(g)
                u.esc_watch = True
            self.groups.append(g)
            self.path.append((0.0, gi, 1))
        for u in units:  # room in the time-at-occupancy tables for the beds the levels may open
            if extra[u.idx]:
                u.level_h += [0.0] * extra[u.idx]
                if u.inpatient:
                    sim._h_level_h += [0.0] * extra[u.idx]
        if outlying is not None:
            for g in self.groups:
                for _k, ui in g.gates:
                    outlying.allowed[ui] = False  # level 1: not yet
        sim._pressure_check = self.pressure_check
        self._output = sim._output
        sim._output = self.output
        self.ed_units = {u.idx for u in units if u.is_ed} if boarding else set()
        self.elective_sources = {sim._source_index(e.source) for e in s.electives} if postponing else set()
        self.postpone_rng = {}
        # elective list name -> its rebooking rule (sim.queues), for the lists that rebook
        self.rebooking = {name: on_cancel.__self__ for name, on_cancel in sim._rebook_cancel.items()}
        if postponing:
            for e in s.electives:
                ui = sim._unit_index[e.unit]
                if any(max(g.share) > 0 for g in self.groups_of[ui]) and ui not in self.postpone_rng:
                    self.postpone_rng[ui] = _rng.stream(sim.seed, sim.rep, "escalation_postpone", e.unit)
        if boarding or self.postpone_rng:
            self._request_bed = sim._request_bed
            sim._request_bed = self.request_bed

    # ------------------------------------------------------------------ the watch
    def pressure_check(self, u) -> None:
        """``HospitalSim._pressure_check``: the unit's own escalation block, then its groups."""
        if u.esc_beds:
            self._own_check(u)
        for g in self.groups_of[u.idx]:
            self.check(g)

    def _own_check(self, u) -> None:
        """Today's per-unit ``escalation`` block (as ``HospitalSim._pressure_check``), beside the levels' beds."""
        i = u.idx
        pressure = (u.occ + u.n_waiting) / u.spec_beds if u.spec_beds else math.inf
        if self.own_open[i] == 0 and pressure >= self.open_at[i]:
            self.own_open[i] = u.esc_beds
        elif self.own_open[i] and pressure < self.close_below[i]:
            self.own_open[i] = 0
        else:
            return
        u.esc_open = self.own_open[i] + self.act_open[i]
        self.sim._set_capacity(u)

    def check(self, g: _Group) -> None:
        """Move ``g`` to the level its state asks for now (re-entrant calls are folded into one more look)."""
        if g.busy:
            g.again = True
            return
        g.busy = True
        try:
            while True:
                g.again = False
                new = self._target(g)
                if new != g.level:
                    now = self.sim.env.now
                    g.level, g.t_level = new, now
                    self.path.append((now, g.idx, new))
                    self._apply(g)
                    continue
                if not g.again:
                    return
        finally:
            g.busy = False

    def _target(self, g: _Group) -> int:
        """The level ``g`` goes to now: one move (up to the highest triggered level, or one down), or none."""
        occ = 0
        for u in g.units:
            occ += u.occ + u.n_waiting
        x = occ / g.beds
        b = g.boarders
        level = g.level
        enter, b_at = g.enter, g.b_at
        for k in range(4, level, -1):
            if x >= enter[k] or b >= b_at[k]:
                if self.sim.env._now - g.t_level >= g.hold_up - _EPS_H:
                    return k
                self._recheck(g, g.t_level + g.hold_up)
                return level
        if level > 1 and x < g.leave[level] and b < g.b_below[level]:
            if self.sim.env._now - g.t_level >= g.hold_down - _EPS_H:
                return level - 1
            self._recheck(g, g.t_level + g.hold_down)
        return level

    def _recheck(self, g: _Group, t: float) -> None:
        if g.recheck_at == t:
            return
        g.recheck_at = t
        Timeout(self.sim.env, max(t - self.sim.env.now, 0.0), g).callbacks.append(self._recheck_due)

    def _recheck_due(self, ev) -> None:
        g = ev._value
        g.recheck_at = None
        self.check(g)

    # ------------------------------------------------------------------ actions
    def _apply(self, g: _Group) -> None:
        """Bring every action of ``g`` in line with its current level (read afresh at each step)."""
        sim = self.sim
        for item in g.beds_on:
            k, u, beds, on = item
            want = g.level >= k
            if want != on:
                item[3] = want
                self.act_open[u.idx] += beds if want else -beds
                u.esc_open = self.own_open[u.idx] + self.act_open[u.idx]
                sim._set_capacity(u)
        if g.gates:
            for k, ui in g.gates:
                self.outlying.set_allowed(ui, g.level >= k)
        if g.push_units:
            rules = g.push[g.level]
            for u, base in g.push_units:
                u.discharge = rules.get(u.idx, base) if rules else base
        if any(g.pw_scale):
            self._scale_pathways()

    def _scale_pathways(self) -> None:
        """Each scaled pathway's factor: the largest over the groups' current levels (1 where none scales it)."""
        sim = self.sim
        scale = sim._pathway_scale
        for i in range(len(scale)):
            f = max((g.pw_scale[g.level].get(i, 1.0) for g in self.groups), default=1.0)
            if f != scale[i]:
                scale[i] = f
                pathways = getattr(sim, "_pathways", None)
                if pathways is not None:
                    pathways.rescaled(i)

    # ------------------------------------------------------------------ requests: ED boarders, postponed electives
    def request_bed(self, p, u, on_grant, from_unit, ready_at=None):
        """``HospitalSim._request_bed``, postponing electives and counting ED boarders for the groups."""
        if from_unit < 0:
            rng = self.postpone_rng.get(u.idx)
            if rng is not None and ready_at is None and p.source in self.elective_sources:
                x = rng.random()
                share = max(g.share[g.level] for g in self.groups_of[u.idx])
                if x < share:
                    self.postpone(p, u)
                    return None
            return self._request_bed(p, u, on_grant, from_unit, ready_at)
        groups = self.groups_of[u.idx] if from_unit in self.ed_units else None
        if not groups:
            return self._request_bed(p, u, on_grant, from_unit, ready_at)
        # counted as a boarder before asking: the level that asking raises may grant this very request, and a
        # grant (or a rejection) takes it off again through `granted`, whenever it comes
        for g in groups:
            g.boarders += 1

        def granted(patient, unit, t, _groups=groups, _on_grant=on_grant):
            for g in _groups:
                g.boarders -= 1
            _on_grant(patient, unit, t)

        req = self._request_bed(p, u, granted, from_unit, ready_at)
        for g in groups:
            self.check(g)
        return req

    def postpone(self, p, u) -> None:
        """An elective patient postponed by a level: cancelled on arrival, and rebooked when its list rebooks
        (``rebook_after_days``, up to ``max_rebookings`` cancellations in all, as any cancellation)."""
        sim = self.sim
        now = sim.env.now
        sim._cancellations.append((p.pid, u.idx, now, now, p.pclass, p.source))
        self.postponed.append((p.pid, u.idx, now, p.pclass, p.source))
        rebooking = self.rebooking.get(p.elist)
        if rebooking is not None:
            rebooking.rebook(p, now)

    # ------------------------------------------------------------------ output
    def output(self):
        out = self._output()
        out.escalation_path = np.asarray(self.path, dtype=float).reshape(-1, len(ESCALATION_PATH_FIELDS))
        out.postponed = np.asarray(self.postponed, dtype=float).reshape(-1, len(POSTPONED_FIELDS))
        return out


def _pushed_rule(calendar, base, push) -> DischargeRule:
    """The discharge rule ``base`` (a ``DischargeSpec``) with the push's window and weekend rate (on Saturday
    and Sunday the larger of the rate and the rule's own day pass for that day)."""
    window = push.window_hours if push.window_hours is not None else base.window_hours
    day_pass = list(base.day_pass())
    if push.weekend_rate is not None:
        for d in (5, 6):  # a push never lowers a day's pass (with day-of-week weights one may exceed the rate)
            day_pass[d] = max(day_pass[d], push.weekend_rate)
    profile = base.hourly_profile
    if (
        profile is not None
        and window is not None
        and not any(profile[h] for h in range(int(window[0]), math.ceil(window[1])))
    ):
        profile = None  # no weight inside the new window: discharge at once inside it
    weekend = push.weekend_rate if push.weekend_rate is not None else base.weekend_rate
    return DischargeRule(calendar, window, profile, weekend, day_pass=day_pass, ready_cutoff_h=base.ready_cutoff_hour)
