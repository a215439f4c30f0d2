"""HospitalSim: one replication of a scenario on a SimPy environment.

The picture: patients arrive (Poisson streams, thinned to follow the hour of the week
and dated multipliers; elective lists at a clock hour) and ask a unit for a bed. A
free bed is taken at once; otherwise the patient waits first come first served
(within its class priority) or is turned away, as the unit's ``when_full`` says. When
its stay ends the patient's route says where it goes next; it keeps its current bed
until the next unit has one (blocking; or, if the next unit's ``transfers_when_full`` is
``reject``, leaves the hospital from its bed), or, going home, until the discharge
policy lets it leave.
A freed bed may need cleaning before the next patient. In an emergency department
a patient in a cubicle waits for a clinician, is assessed, then either goes home or,
with a decision to admit, boards in the cubicle until a bed is found.

Arrival streams, shift changes and capacity changes are SimPy processes; each
patient's pathway is a chain of callbacks on SimPy timeouts, with plain counters and
heaps for beds, which is 4-5 times faster than a process and ``Resource`` per patient
while keeping SimPy's event ordering.

Every patient gets its "DNA" when it arrives: one row of uniforms from its arrival
stream's own generator, fixing its class, route choices, stays and discharge hour.
Two scenarios run with one seed therefore give the same patient the same draws
(common random numbers), whatever else changes.

A run may start warm (``initial_patients``): the patients of a census snapshot are
in their beds at time 0, each with the time it has already spent in its unit; its
remaining stay is drawn from the stay distribution conditioned on that elapsed time
(``Distribution.residual_ppf``), with uniforms from the ``initial_census`` stream of
its unit, and from there it follows its class's route like any other patient.

The run returns raw records (:class:`SimOutput`); ``hospital_twin.results`` turns them
into tables. No pandas, no logging or printing in the event loop; no files.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import math
from array import array
from collections.abc import Sequence

import numpy as np
import simpy
from simpy.events import Timeout

from hospital_twin import rng as _rng
from hospital_twin.distributions import Distribution, Fixed
from hospital_twin.scenario.schema import EXIT, Scenario
from hospital_twin.sim import ambulance as _ambulance
from hospital_twin.sim import queues as _queues
from hospital_twin.sim.calendar import Calendar, DischargeRule, ShiftTable, rate_table
from hospital_twin.sim.escalation_policy import EscalationPolicy
from hospital_twin.sim.lounge import build_lounges, lounge_records
from hospital_twin.sim.outlying import Outlying
from hospital_twin.sim.pathways import Pathways, pathway_code
from hospital_twin.sim.records import (
    CENSUS_SOURCE,
    NOT_SEEN,
    PATHWAY_NONE,
    SEEN_UNKNOWN,
    STAY_FIELDS,
    InitialPatient,
    RecordSink,
    SimOutput,
)

__all__ = ["DNA_VISITS", "HospitalSim", "simulate"]

DNA_VISITS = 8
"""Visits whose route and stay uniforms are in the DNA row; longer pathways draw from an overflow stream."""

# DNA row layout
_U_CLASS, _U_DIS_HOUR, _U_DIS_FRAC, _U_WEEKEND, _U_ASSESS = range(5)
_U_VISITS = 5
DNA_WIDTH = _U_VISITS + 2 * DNA_VISITS
_BLOCK = 256

_DEST_EXIT = -1
_DEST_REJECTED = -2
_DEST_INSIDE = -9
_NAN = math.nan


class _Unit:
    __slots__ = (
        "idx",
        "name",
        "spec_beds",
        "base_beds",
        "esc_beds",
        "esc_open",
        "esc_logged",
        "esc_open_at",
        "esc_close_below",
        "esc_watch",
        "staffed_cap",
        "cap",
        "occ",
        "cleaning",
        "queue",
        "n_waiting",
        "reject",
        "reject_transfers",
        "turnaround",
        "turn_u",
        "is_ed",
        "discharge",
        "clin_count",
        "clin_busy",
        "clin_queue",
        "assess",
        "level_h",
        "t_last",
        "staffed_level",
        "breach_h",
        "inpatient",
    )

    def __init__(self, idx: int, name: str):
        self.idx = idx
        self.name = name


class _Request:
    __slots__ = ("patient", "unit", "ready_at", "active", "on_grant", "from_unit", "prio")

    def __init__(self, patient, unit, ready_at, on_grant, from_unit):
        self.patient = patient
        self.prio = patient.prio  # the request's priority now (priority aging may lower it while it waits)
        self.unit = unit
        self.ready_at = ready_at
        self.active = True
        self.on_grant = on_grant
        self.from_unit = from_unit


class _Patient:
    __slots__ = (
        "pid",
        "pclass",
        "source",
        "dna",
        "visit",
        "stay",
        "unit",
        "prio",
        "overflow",
        "inp_ready",
        "inp_start",
        "home",
        "elist",
    )
    # stay: offset of the patient's current stay record in HospitalSim._stays; elist: name of its elective list

    def __init__(self, pid, pclass, source, dna, prio, overflow):
        self.pid = pid
        self.pclass = pclass
        self.source = source
        self.dna = dna
        self.visit = 0
        self.stay = None
        self.unit = None
        self.prio = prio
        self.overflow = overflow
        self.elist = None
        # current inpatient spell (a run of stays in inpatient units): when it asked for its first
        # inpatient bed and got it; nan outside a spell
        self.inp_ready = _NAN
        self.inp_start = _NAN
        self.home = None  # an outlier's home unit (its stay, route and discharge rules); None in its own unit


class HospitalSim:
    """One replication of ``scenario`` with streams derived from ``(seed, rep)``.

    With a ``sink``, closed stays and arrivals are handed over every ``fold_every_h``
    simulated hours and dropped, so memory stays bounded on long runs; the returned
    ``SimOutput`` then holds only what was not handed over (the open stays).

    ``initial_patients`` (a sequence of :class:`InitialPatient` or ``(unit, elapsed_h,
    pclass)`` tuples) starts the run warm: see :meth:`_place_initial`. Their stays are
    recorded with ``start = ready_at = -elapsed_h`` (so they never count as admissions in
    the window) and source :data:`CENSUS_SOURCE`; ``SimOutput.extra["initial_over_capacity"]``
    lists, per unit, how many of them were above its capacity at time 0.
    """

    def __init__(
        self,
        scenario: Scenario,
        rep: int = 0,
        seed: int | None = None,
        *,
        sink: RecordSink | None = None,
        fold_every_h: float = 24.0 * 7,
        initial_patients: Sequence[InitialPatient | tuple] | None = None,
        initial_vacated: Sequence[tuple[int, float]] | None = None,
    ):
        self.scenario = scenario
        self.rep = rep
        self.seed = scenario.seed if seed is None else seed
        self.env = simpy.Environment()
        self.calendar = Calendar(scenario.start)
        self.end_h = scenario.end_h
        self.unit_names = list(scenario.units)
        self.class_names = scenario.class_names()
        self.source_names: list[str] = []
        self._unit_index = {n: i for i, n in enumerate(self.unit_names)}
        self._class_index = {n: i for i, n in enumerate(self.class_names)}
        self._next_pid = 0
        self._seq = 0
        self._live: dict[int, _Patient] = {}  # patients holding a bed, by id
        self._warmup_h = scenario.warmup_h
        self._spell_sum_h = 0.0
        self._spell_n = 0
        self._sink = sink
        self._fold_every_h = fold_every_h
        # records
        # Stays and arrivals go into flat float buffers (10 and 4 numbers per record): no
        # Python object per record, so the garbage collector has nothing to walk.
        self._stays = array("d")
        self._rejections: list[tuple] = []
        self._cancellations: list[tuple] = []
        self._capacity_log: list[tuple] = []
        self._staffed_log: list[tuple] = []
        self._arrivals = array("d")
        self._left_unseen: list[tuple] = []
        self._rebookings: list[tuple] = []
        self._build_units()
        self._build_pathways()
        # ED patience, priority aging, rebooking (sim/queues.py): hooks set only when the scenario asks
        self._patience_admit: dict = {}
        self._rebook_cancel: dict = {}
        _queues.install(self)
        self._ambulance = _ambulance.install(self)  # ED streams with ambulance_share: tag, time handovers
        s = scenario
        sources = []
        for a in s.arrivals:
            sources.append(s.arrival_source(a))
        for e in s.electives:
            sources.append(e.source)
        for name in sources:
            self._source_index(name)
        self._initial = self._check_initial(initial_patients)
        self._vacated = self._check_vacated(initial_vacated)
        self._census_source = self._source_index(CENSUS_SOURCE) if self._initial else -1
        self._over_capacity = [0] * len(self.units)
        self._delayed_discharge = [0] * len(self.units)
        self._initial_ready: dict[int, float] = {}  # pid -> when a ready census patient became ready (< 0)
        self._initial_p0: set[int] = set()  # ready census patients found to take no pathway (see _census_pathway)
        self._n_sources = len(self.source_names)
        self.source_names += [f"transfer:{n}" for n in self.unit_names]
        outlying = None
        if any(spec.outlying is not None for spec in scenario.units.values()):
            outlying = Outlying(self)  # wraps the bed-request path; without outlying it runs unchanged
        if scenario.escalation_levels:
            EscalationPolicy(self, outlying)  # takes over _pressure_check; without levels nothing changes
        self._lounges = build_lounges(self)  # unit index -> its discharge lounge; empty without lounges
        self._pathways = None  # discharge pathways (sim/pathways.py): only when the scenario has them and shares
        if scenario.discharge_pathways and any(scenario.pathway_shares_for(c) for c in self.class_names):
            self._pathways = Pathways(self)

    # ------------------------------------------------------------------ set-up
    def _source_index(self, name: str) -> int:
        if name not in self.source_names:
            self.source_names.append(name)
        return self.source_names.index(name)

    def _build_units(self) -> None:
        s = self.scenario
        default_discharge = s.discharge
        self.units: list[_Unit] = []
        for i, (name, spec) in enumerate(s.units.items()):
            u = _Unit(i, name)
            u.spec_beds = spec.beds
            u.base_beds = spec.beds
            u.esc_beds = spec.escalation.beds if spec.escalation else 0
            u.esc_open_at = spec.escalation.open_at if spec.escalation else math.inf
            u.esc_close_below = spec.escalation.close_below if spec.escalation else 0.0
            u.esc_open = 0
            u.esc_logged = 0  # escalation beds open in the capacity log's last row for u
            u.esc_watch = u.esc_beds > 0  # its pressure is looked at (own escalation block or a level group)
            u.staffed_cap = math.inf
            u.occ = 0
            u.cleaning = 0
            u.queue = []
            u.n_waiting = 0
            u.reject = spec.when_full == "reject"
            u.reject_transfers = spec.transfers_when_full == "reject"
            u.turnaround = spec.turnaround_distribution()
            u.turn_u = None
            if u.turnaround is not None and not isinstance(u.turnaround, Fixed):
                u.turn_u = _rng.stream(self.seed, self.rep, "turnaround", name)
            # The scenario-wide policy is for inpatient units; an ED sends people home at any hour
            # unless its own `discharge` says otherwise.
            inpatient = spec.ed is None and spec.kind != "ed"
            policy = spec.discharge or (default_discharge if inpatient else None)
            rule = None
            if policy is not None:
                rule = DischargeRule(
                    self.calendar,
                    policy.window_hours,
                    policy.hourly_profile,
                    policy.weekend_rate,
                    day_pass=policy.day_pass(),
                    ready_cutoff_h=policy.ready_cutoff_hour,
                )
                if rule.is_trivial:
                    rule = None
            u.discharge = rule
            u.is_ed = spec.ed is not None
            u.clin_count = 0
            u.clin_busy = 0
            u.clin_queue = []
            u.assess = spec.ed.assessment.to_distribution() if spec.ed else None
            u.cap = u.base_beds
            # time-at-occupancy-level accumulators (exact occupancy distribution, ratio breaches)
            u.inpatient = spec.ed is None and spec.kind != "ed"
            most = max([spec.beds] + [c.beds for c in spec.capacity_changes]) + u.esc_beds
            u.level_h = [0.0] * (most + 1)
            u.t_last = 0.0
            u.staffed_level = math.inf
            u.breach_h = 0.0
            self.units.append(u)
        self._h_occ = 0
        self._h_last = 0.0
        self._h_level_h = [0.0] * (sum(len(u.level_h) - 1 for u in self.units if u.inpatient) + 1)

    def _build_pathways(self) -> None:
        """Per class and unit: cumulative route probabilities, destinations, stay distribution."""
        s = self.scenario
        n_units = len(self.units)
        self._routes: list[list[tuple[list[float], list[int]] | None]] = []
        self._los: list[list[Distribution | None]] = []
        self._prio: list[int] = []
        for c in self.class_names:
            routes = s.routes_for(c)
            row_r: list[tuple[list[float], list[int]] | None] = [None] * n_units
            row_l: list[Distribution | None] = [None] * n_units
            for name, idx in self._unit_index.items():
                dests = routes.get(name)
                if dests:
                    cum, targets, acc = [], [], 0.0
                    for d, p in dests.items():
                        if p <= 0:
                            continue
                        acc += p
                        cum.append(acc)
                        targets.append(_DEST_EXIT if d == EXIT else self._unit_index[d])
                    cum[-1] = 1.0 + 1e-12
                    row_r[idx] = (cum, targets)
                spec = s.stay_for(c, name)
                row_l[idx] = spec.to_distribution() if spec is not None else None
            self._routes.append(row_r)
            self._los.append(row_l)
            pc = s.patient_classes.get(c)
            self._prio.append(pc.priority if pc else 0)

    def _check_vacated(self, rows: Sequence[tuple] | None) -> list[tuple[int, float, bool]]:
        out = []
        for row in rows or ():
            ui, since = int(row[0]), float(row[1])
            certain = bool(row[2]) if len(row) > 2 else False
            if not 0 <= ui < len(self.units):
                raise ValueError(f"vacated bed {row}: no unit with index {ui}")
            if not since >= 0 or math.isinf(since):
                raise ValueError(f"vacated bed {row}: hours since it was vacated must be a finite number >= 0")
            out.append((ui, since, certain))
        return out

    def _place_vacated(self) -> None:
        """Beds vacated shortly before time 0 may still be being cleaned (``initial_vacated``).

        A bed vacated ``e`` hours ago is still being cleaned with probability ``S(e)`` of the
        unit's turnaround (1 when marked certain: a free bed of a unit with patients waiting can
        only be one being cleaned), and then for the residual time ``residual_ppf(e, u)``
        (uniforms from the ``initial_census`` stream ``<unit>/cleaning``). Without this every
        free bed of a warm start is ready at once, and a unit with a queue admits too early.
        """
        by_unit: dict[int, list[tuple[float, bool]]] = {}
        for ui, since, certain in self._vacated:
            by_unit.setdefault(ui, []).append((since, certain))
        for ui, rows in sorted(by_unit.items()):
            u = self.units[ui]
            if u.turnaround is None:
                continue
            rng = _rng.stream(self.seed, self.rep, "initial_census", u.name + "/cleaning")
            draws = rng.random((len(rows), 2)).tolist()
            for (since, certain), (u1, u2) in zip(sorted(rows), draws, strict=True):
                if not certain and u1 >= u.turnaround.sf(since):
                    continue
                u.cleaning += 1
                Timeout(self.env, u.turnaround.residual_ppf(since, u2), u).callbacks.append(self._cleaned)

    def _check_initial(self, rows: Sequence[InitialPatient | tuple] | None) -> list[InitialPatient]:
        out = []
        for row in rows or ():
            ip = row if isinstance(row, InitialPatient) else InitialPatient(*row)
            ip = InitialPatient(
                int(ip.unit),
                float(ip.elapsed_h),
                int(ip.pclass),
                bool(ip.ready),
                bool(ip.waiting),
                int(ip.next_unit),
                float(ip.ready_h),
                float(ip.seen_h),
                float(ip.cancel_h),
                int(ip.pathway),
            )
            if not ip.cancel_h >= 0 or (math.isfinite(ip.cancel_h) and not ip.waiting):
                raise ValueError(
                    f"initial patient {ip}: cancel_h must be hours >= 0, finite only for a waiting patient"
                )
            if not (ip.seen_h >= 0 or ip.seen_h in (SEEN_UNKNOWN, NOT_SEEN)) or math.isinf(ip.seen_h):
                raise ValueError(f"initial patient {ip}: seen_h must be hours >= 0, SEEN_UNKNOWN or NOT_SEEN")
            if not 0 <= ip.unit < len(self.units):
                raise ValueError(f"initial patient {ip}: no unit with index {ip.unit}")
            if not 0 <= ip.pclass < len(self.class_names):
                raise ValueError(f"initial patient {ip}: no patient class with index {ip.pclass}")
            if not ip.elapsed_h >= 0 or math.isinf(ip.elapsed_h):
                raise ValueError(f"initial patient {ip}: elapsed_h must be a finite number >= 0")
            u = self.units[ip.unit]
            if self._los[ip.pclass][ip.unit] is None and not u.is_ed:
                raise ValueError(
                    f"initial patient {ip}: class '{self.class_names[ip.pclass]}' has no length of stay in unit '{u.name}'"
                )
            if ip.waiting and ip.ready:
                raise ValueError(f"initial patient {ip}: a patient waiting for a bed cannot be ready to leave it")
            n_pw = len(self.scenario.discharge_pathways)
            if ip.pathway == PATHWAY_NONE and not ip.ready:
                raise ValueError(f"initial patient {ip}: pathway PATHWAY_NONE (on none) is for a ready patient")
            if ip.pathway not in (-1, PATHWAY_NONE) and (
                not ip.ready or not 0 <= ip.pathway < n_pw or ip.next_unit >= 0 or not u.inpatient
            ):
                raise ValueError(
                    f"initial patient {ip}: pathway needs ready=True, an inpatient unit, a next_unit of exit or "
                    f"unknown, and the index of one of the scenario's {n_pw} discharge pathways"
                )
            if ip.next_unit != _DEST_INSIDE:
                route = self._routes[ip.pclass][ip.unit]
                targets = route[1] if route is not None else [_DEST_EXIT]
                if not ip.ready or ip.next_unit not in targets:
                    raise ValueError(
                        f"initial patient {ip}: next_unit needs ready=True and a destination on the "
                        f"route of class '{self.class_names[ip.pclass]}' from unit '{u.name}'"
                    )
            out.append(ip)
        return out

    # ------------------------------------------------------------------ capacity
    def _set_capacity(self, u: _Unit) -> None:
        cap = u.base_beds + u.esc_open
        if u.staffed_cap < cap:
            cap = int(u.staffed_cap)
        if cap != u.cap:
            u.cap = cap
            u.esc_logged = u.esc_open
            self._capacity_log.append((self.env.now, u.idx, cap, u.esc_open))
            self._dispatch(u)
        elif u.esc_open != u.esc_logged:  # beds opened or closed while the staffed cap binds: logged all the same
            u.esc_logged = u.esc_open
            self._capacity_log.append((self.env.now, u.idx, cap, u.esc_open))

    def _pressure_check(self, u: _Unit) -> None:
        pressure = (u.occ + u.n_waiting) / u.spec_beds if u.spec_beds else math.inf
        if u.esc_open == 0 and pressure >= u.esc_open_at:
            u.esc_open = u.esc_beds
            self._set_capacity(u)
        elif u.esc_open and pressure < u.esc_close_below:
            u.esc_open = 0
            self._set_capacity(u)

    # ------------------------------------------------------------------ beds
    def _request_bed(
        self, patient: _Patient, u: _Unit, on_grant, from_unit: int, ready_at: float | None = None
    ) -> _Request | None:
        """Ask ``u`` for a bed; returns the queued request, or None if granted or rejected.

        A request that finds no free bed (or others already waiting) is turned away if the unit says
        so: ``when_full: reject`` for a request from outside (``from_unit`` -1: external arrivals,
        electives, census patients waiting for a bed), ``transfers_when_full: reject`` for a transfer
        (``from_unit`` is the unit whose bed the patient keeps meanwhile); otherwise it queues.
        ``ready_at`` (default now) is when the patient asked: earlier only for the patients of a
        census snapshot, who asked before time 0. The queue is served by priority, then by the time
        of asking, so such a patient keeps its place; for every other request that order is the
        order of arrival.
        """
        now = self.env.now
        t_req = now if ready_at is None else ready_at
        if not u.n_waiting and u.occ + u.cleaning < u.cap:
            self._occ_change(u, 1)
            on_grant(patient, u, t_req)
            if u.esc_watch:
                self._pressure_check(u)
            return None
        if u.reject_transfers if from_unit >= 0 else u.reject:
            self._rejections.append((patient.pid, u.idx, now, patient.pclass, from_unit))
            on_grant(patient, None, now)
            return None
        req = _Request(patient, u, t_req, on_grant, from_unit)
        self._seq += 1
        heapq.heappush(u.queue, (patient.prio, t_req, self._seq, req))
        u.n_waiting += 1
        if u.esc_watch:
            self._pressure_check(u)
        return req

    def _dispatch(self, u: _Unit) -> None:
        queue = u.queue
        while queue and u.occ + u.cleaning < u.cap:
            req = heapq.heappop(queue)[3]
            if not req.active:
                continue
            req.active = False
            u.n_waiting -= 1
            self._occ_change(u, 1)
            req.on_grant(req.patient, u, req.ready_at)
        if u.esc_watch:
            self._pressure_check(u)

    def _occ_change(self, u: _Unit, delta: int) -> None:
        """Change ``u``'s occupancy, first adding the time spent at the old level."""
        now = self.env._now
        dt = now - u.t_last
        if dt:
            u.level_h[u.occ] += dt
            if u.occ > u.staffed_level:
                u.breach_h += dt
            u.t_last = now
        if u.inpatient:
            dt = now - self._h_last
            if dt:
                self._h_level_h[self._h_occ] += dt
                self._h_last = now
            self._h_occ += delta
        u.occ += delta

    def _reset_levels(self):
        """At the end of the warm-up, forget the time-at-level accumulated so far."""
        yield Timeout(self.env, self.scenario.warmup_h)
        for u in self.units:
            self._occ_change(u, 0)
            u.level_h = [0.0] * len(u.level_h)
            u.breach_h = 0.0
        self._h_level_h = [0.0] * len(self._h_level_h)

    def _free_bed(self, u: _Unit) -> None:
        self._occ_change(u, -1)
        if u.turnaround is not None:
            u.cleaning += 1
            d = u.turnaround.ppf(u.turn_u.random()) if u.turn_u is not None else u.turnaround.value_h
            Timeout(self.env, d, u).callbacks.append(self._cleaned)
            if u.esc_watch:
                self._pressure_check(u)
        else:
            self._dispatch(u)

    def _cleaned(self, ev) -> None:
        u = ev._value
        u.cleaning -= 1
        self._dispatch(u)

    # ------------------------------------------------------------------ patient pathway
    def _u(self, p: _Patient, offset: int) -> float:
        """The patient's uniform for its current visit (route or stay)."""
        k = p.visit
        if k < DNA_VISITS:
            return p.dna[_U_VISITS + 2 * k + offset]
        return p.overflow.random()

    def _enter(self, p: _Patient, u: _Unit | None, ready_at: float) -> None:
        """Bed granted in ``u`` (or, with u None, turned away) to a patient from outside."""
        if u is None:
            return
        now = self.env.now
        p.stay = len(self._stays)
        self._stays.extend((p.pid, u.idx, p.pclass, p.source, ready_at, now, _NAN, _NAN, _DEST_INSIDE, _NAN))
        p.unit = u
        self._live[p.pid] = p
        if u.inpatient:
            p.inp_ready = ready_at
            p.inp_start = now
        self._begin_treatment(p, u, now)

    def _begin_treatment(self, p: _Patient, u: _Unit, now: float) -> None:
        if u.is_ed:
            if u.clin_busy < u.clin_count and not u.clin_queue:
                self._start_assessment(p, u)
            else:
                self._seq += 1
                heapq.heappush(u.clin_queue, (p.prio, self._seq, p))
            return
        dist = self._los[p.pclass][u.idx]
        Timeout(self.env, dist.ppf(self._u(p, 1)), p).callbacks.append(self._stay_done)

    def _start_assessment(self, p: _Patient, u: _Unit) -> None:
        u.clin_busy += 1
        self._stays[p.stay + 9] = self.env.now
        Timeout(self.env, u.assess.ppf(p.dna[_U_ASSESS]), p).callbacks.append(self._assessed)

    def _assessed(self, ev) -> None:
        p = ev._value
        u = p.unit
        u.clin_busy -= 1
        self._clinician_dispatch(u)
        dist = self._los[p.pclass][u.idx]
        if dist is None:
            self._stay_done_now(p)
        else:
            Timeout(self.env, dist.ppf(self._u(p, 1)), p).callbacks.append(self._stay_done)

    def _clinician_dispatch(self, u: _Unit) -> None:
        q = u.clin_queue
        while q and u.clin_busy < u.clin_count:
            self._start_assessment(heapq.heappop(q)[2], u)

    def _stay_done(self, ev) -> None:
        self._stay_done_now(ev._value)

    def _stay_done_now(self, p: _Patient) -> None:
        now = self.env.now
        u = p.unit if p.home is None else p.home  # an outlier follows its home unit's route and discharge rule
        # a census patient who was ready before time 0 asks for its next bed from when it was ready
        t_ready = self._initial_ready.pop(p.pid, now) if self._initial_ready else now
        self._stays[p.stay + 6] = t_ready
        route = self._routes[p.pclass][u.idx]
        if route is None:
            nxt = _DEST_EXIT
        else:
            x = self._u(p, 0)
            cum, targets = route
            i = 0
            while x >= cum[i]:
                i += 1
            nxt = targets[i]
        if nxt == _DEST_EXIT and self._pathways is not None and not (self._initial_p0 and self._p0_known(p)):
            # the route uniform rescaled inside the exit's slice: a fresh uniform for the pathway
            if route is None:
                y = self._u(p, 0)
            else:
                lo = cum[i - 1] if i else 0.0
                y = (x - lo) / (min(cum[i], 1.0) - lo)
            k = self._pathways.choose(p.pclass, u.idx, y)
            if k >= 0:
                self._stays[p.stay + 8] = pathway_code(k)
                p.visit += 1
                self._pathways.join(p, k, t_ready)
                return
        self._stays[p.stay + 8] = nxt
        p.visit += 1
        if nxt == _DEST_EXIT:
            rule = u.discharge
            if rule is None:
                self._leave(p, _DEST_EXIT, now)
            else:
                dna = p.dna
                t = rule.leave_at(now, dna[_U_DIS_HOUR], dna[_U_DIS_FRAC], dna[_U_WEEKEND])
                if t <= now:
                    self._leave(p, _DEST_EXIT, now)
                elif self._lounges and u.idx in self._lounges:
                    self._lounges[u.idx].plan(p, now, t)  # may wait for its departure in the lounge
                else:
                    Timeout(self.env, t - now, p).callbacks.append(self._discharged)
            return
        v = self.units[nxt]
        # from_unit: the unit whose bed it holds while it waits (for an outlier the host, not its home unit)
        self._request_bed(p, v, self._transfer_granted, p.unit.idx, t_ready)

    def _p0_known(self, p: _Patient) -> bool:
        """True (once) for a census patient already found to go home on no pathway (:meth:`_census_pathway`)."""
        if p.pid in self._initial_p0:
            self._initial_p0.discard(p.pid)
            return True
        return False

    def _discharged(self, ev) -> None:
        self._leave(ev._value, _DEST_EXIT, self.env.now)

    def _transfer_granted(self, p: _Patient, v: _Unit | None, ready_at: float) -> None:
        old = p.unit
        now = self.env.now
        if v is None:  # turned away by the next unit: leaves the hospital from here
            self._leave(p, _DEST_REJECTED, now)
            return
        self._leave(p, v.idx, now)
        p.source = self._n_sources + old.idx
        p.stay = len(self._stays)
        self._stays.extend((p.pid, v.idx, p.pclass, p.source, ready_at, now, _NAN, _NAN, _DEST_INSIDE, _NAN))
        p.unit = v
        if v.inpatient and p.inp_start != p.inp_start:  # first inpatient stay of a spell (nan != nan)
            p.inp_ready = ready_at
            p.inp_start = now
        self._begin_treatment(p, v, now)

    def _leave(self, p: _Patient, dest: int, now: float) -> None:
        stays = self._stays
        stays[p.stay + 7] = now
        stays[p.stay + 8] = dest
        u = p.unit
        if u.inpatient and (dest < 0 or not self.units[dest].inpatient):
            self._end_spell(p, now)
        if dest < 0:  # leaves the hospital
            del self._live[p.pid]
        self._free_bed(u)

    def _end_spell(self, p: _Patient, now: float) -> None:
        """The patient leaves the inpatient units (home, out, or to an ED): its spell ends.

        A spell counts for ``los_mean_h`` on ``ALL`` when its first inpatient request came after
        the warm-up, as its admission counts for ``admitted`` on ``ALL``.
        """
        if p.inp_ready >= self._warmup_h:  # False for nan
            self._spell_sum_h += now - p.inp_start
            self._spell_n += 1
        p.inp_ready = p.inp_start = _NAN

    # ------------------------------------------------------------------ folding closed records
    def _fold_process(self):
        while True:
            yield Timeout(self.env, self._fold_every_h)
            self._fold()

    def _fold(self) -> None:
        """Hand closed stays and the arrivals so far to the sink; keep only open stays."""
        arr = np.frombuffer(self._stays, dtype=np.float64).reshape(-1, len(STAY_FIELDS))
        closed = ~np.isnan(arr[:, 7])
        if closed.any():
            block = arr[closed].copy()
            open_rows = np.flatnonzero(~closed)
            kept = array("d")
            kept.frombytes(arr[~closed].tobytes())
            width = len(STAY_FIELDS)
            remap = {int(old) * width: new * width for new, old in enumerate(open_rows)}
            del arr
            for p in self._live.values():
                p.stay = remap[p.stay]
            self._stays = kept
            self._sink.add_stays(block)
        else:
            del arr
        if len(self._arrivals):
            self._sink.add_arrivals(np.frombuffer(self._arrivals, dtype=np.float64).reshape(-1, 4).copy())
            self._arrivals = array("d")

    # ------------------------------------------------------------------ arrivals
    def _new_patient(self, pclass: int, source: int, dna: list[float], overflow) -> _Patient:
        pid = self._next_pid
        self._next_pid += 1
        return _Patient(pid, pclass, source, dna, self._prio[pclass], overflow)

    def _admit_external(self, p: _Patient, u: _Unit, now: float) -> _Request | None:
        self._arrivals.extend((p.pid, u.idx, now, p.pclass))
        return self._request_bed(p, u, self._enter, -1)

    def _arrival_process(self, spec, class_cum: list[float], class_idx: list[int], source: int):
        env = self.env
        t_rng = _rng.stream(self.seed, self.rep, "arrival_times", spec.name)
        dna_rng = _rng.stream(self.seed, self.rep, "patient_dna", spec.name)
        overflow = _rng.stream(self.seed, self.rep, "dna_overflow", spec.name)
        table = rate_table(spec.hour_of_day, spec.day_of_week)
        mults = sorted(
            (self.calendar.to_sim_h(m.from_), self.calendar.to_sim_h(m.to), m.factor) for m in spec.multipliers
        )
        max_mult = max([1.0] + [m[2] for m in mults])
        base = spec.per_day / 24.0
        lam_max = base * max(table) * max_mult
        if lam_max <= 0:
            return
        unit = self.units[self._unit_index[spec.unit]]
        admit = self._patience_admit.get(spec.name, self._admit_external)
        offset = self.calendar.offset_h
        end = self.end_h
        t = 0.0
        dna_rows: list[list[float]] = []
        while True:
            gaps = t_rng.exponential(1.0 / lam_max, _BLOCK).tolist()
            thin = t_rng.random(_BLOCK).tolist()
            for gap, v in zip(gaps, thin, strict=True):
                t += gap
                if t >= end:
                    return
                lam = base * table[int(t + offset) % 168]
                if mults:
                    for a, b, f in mults:
                        if a <= t < b:
                            lam *= f
                if v * lam_max >= lam:
                    continue
                if not dna_rows:
                    dna_rows = dna_rng.random((_BLOCK, DNA_WIDTH)).tolist()
                    dna_rows.reverse()
                dna = dna_rows.pop()
                k = 0
                if len(class_cum) > 1:
                    while dna[_U_CLASS] >= class_cum[k]:
                        k += 1
                yield Timeout(env, t - env.now)
                p = self._new_patient(class_idx[k], source, dna, overflow)
                admit(p, unit, t)

    def _elective_process(self, spec, source: int):
        env = self.env
        dna_rng = _rng.stream(self.seed, self.rep, "patient_dna", spec.name)
        overflow = _rng.stream(self.seed, self.rep, "dna_overflow", spec.name)
        count_rng = _rng.stream(self.seed, self.rep, "elective_counts", spec.name)
        unit = self.units[self._unit_index[spec.unit]]
        pclass = self._class_index[spec.patient_class]
        on_cancel = self._rebook_cancel.get(spec.name, self._cancel)
        first_day = math.floor(self.calendar.offset_h / 24)
        day_abs = first_day
        while True:
            t = day_abs * 24 + spec.hour - self.calendar.offset_h
            if t >= self.end_h:
                return
            expected = spec.per_weekday[day_abs % 7]
            u = count_rng.random()
            n = int(expected) + (1 if u < expected - int(expected) else 0)
            day_abs += 1
            if t < 0 or n == 0:
                continue
            yield Timeout(env, t - env.now)
            rows = dna_rng.random((n, DNA_WIDTH)).tolist()
            for dna in rows:
                p = self._new_patient(pclass, source, dna, overflow)
                p.elist = spec.name
                self._arrivals.extend((p.pid, unit.idx, t, pclass))
                req = self._request_bed(p, unit, self._enter, -1)
                if req is not None:
                    Timeout(env, spec.cancel_after_hours, req).callbacks.append(on_cancel)

    def _cancel(self, ev) -> None:
        req = ev._value
        if not req.active:
            return
        req.active = False
        u = req.unit
        u.n_waiting -= 1
        p = req.patient
        self._cancellations.append((p.pid, u.idx, req.ready_at, self.env.now, p.pclass, p.source))
        if u.esc_watch:
            self._pressure_check(u)

    # ------------------------------------------------------------------ staff and capacity changes
    def _shift_process(self):
        s = self.scenario
        table = ShiftTable(self.calendar, {n: (sh.start_h, sh.end_h) for n, sh in s.shifts.items()})
        staffing = s.staffing
        cap_policy = staffing is not None and staffing.policy == "cap_admissions"
        # dated roster entries: (unit, shift, date the shift starts) -> nurses, overriding the weekly pattern
        rostered = {(e.unit, e.shift, e.date): e.nurses for e in staffing.roster} if staffing is not None else {}
        t = 0.0
        while True:
            name = table.shift_at(t + 1e-9)
            if staffing is not None:
                date = self._shift_start_date(t, s.shifts[name].start_h) if rostered else None
                for uname, st in staffing.units.items():
                    u = self.units[self._unit_index[uname]]
                    nurses = rostered.get((uname, name, date), st.nurses[name])
                    staffed = nurses * st.patients_per_nurse
                    self._staffed_log.append((t, u.idx, staffed))
                    self._occ_change(u, 0)
                    u.staffed_level = staffed + 1e-9
                    if cap_policy:
                        u.staffed_cap = math.floor(staffed + 1e-9)
                        self._set_capacity(u)
            for u, spec in zip(self.units, s.units.values(), strict=True):
                if spec.ed is not None and isinstance(spec.ed.clinicians, dict):
                    u.clin_count = spec.ed.clinicians[name]
                    self._clinician_dispatch(u)
            t_next = table.next_change_after(t + 1e-9)
            if t_next >= self.end_h:
                return
            yield Timeout(self.env, t_next - self.env.now)
            t = t_next

    def _shift_start_date(self, t_h: float, start_clock_h: float):
        """Calendar date on which the shift on duty at ``t_h`` (starting at clock ``start_clock_h``) began."""
        clock = (t_h + self.calendar.offset_h) % 24
        back_h = (clock - start_clock_h) % 24
        if back_h > 24 - 1e-6:  # at the boundary itself, rounding put us a day back
            back_h = 0.0
        return (self.calendar.start + _dt.timedelta(hours=t_h - back_h)).date()

    def _capacity_change_process(self, u: _Unit, changes: list[tuple[float, int]]):
        for t, beds in changes:
            if t > self.env.now:
                yield Timeout(self.env, t - self.env.now)
            u.base_beds = beds
            self._set_capacity(u)

    # ------------------------------------------------------------------ warm start
    def _place_initial(self) -> None:
        """Put the census patients in their beds at time 0 and start their remaining stays.

        Patients are taken unit by unit (scenario order), and within a unit by elapsed
        time and class, so the result does not depend on the order of the snapshot rows.
        Each draws a DNA row from the ``initial_census`` stream named after its unit; its
        stay uniform gives the remaining stay through the residual distribution
        (``residual_ppf(elapsed_h, u)``), its route uniform the next unit, as for any
        patient; a patient marked ``ready`` moves on at time 0. An ED patient not seen yet
        (``seen_h == NOT_SEEN``) waits for a clinician, longest wait first; one seen ``seen_h``
        hours ago draws its assessment length from the posterior given it is still here
        (:meth:`_posterior_assessment`): if that is longer than ``seen_h`` it is still with a
        clinician, who stays busy until the assessment ends (so the clinicians free at time 0
        are the ones free in the department); else it takes the residual of its
        post-assessment stay. With ``SEEN_UNKNOWN`` it is taken as already assessed.
        A ready patient with a ``pathway`` (NCTR) keeps its bed on that pathway from its ready time
        ``-ready_h`` (its stay's ``dest`` is the pathway's code): once everyone is placed it joins
        the pathway (``Pathways.join_census``: the rest of its assessment, then the queue in order
        of ready time); its DNA row is drawn as for any census patient.
        Patients above the unit's capacity are placed anyway (corridor care, as real
        censuses show); they are counted, and new requests queue (or are turned away)
        until the unit is back below capacity.
        """
        env = self.env
        order = sorted(range(len(self._initial)), key=lambda i: (*self._initial[i], i))
        nctr: list[tuple[_Patient, int, float]] = []  # (patient, pathway, hours since ready): join below
        by_unit: dict[int, list[InitialPatient]] = {}
        queued: dict[int, list[InitialPatient]] = {}
        for i in order:
            ip = self._initial[i]
            (queued if ip.waiting else by_unit).setdefault(ip.unit, []).append(ip)
        for ui, rows in by_unit.items():
            u = self.units[ui]
            dna_rng = _rng.stream(self.seed, self.rep, "initial_census", u.name)
            overflow = _rng.stream(self.seed, self.rep, "initial_census", u.name + "/overflow")
            dna_rows = dna_rng.random((len(rows), DNA_WIDTH)).tolist()
            assess_rng = _rng.stream(self.seed, self.rep, "initial_census", u.name + "/assessment") if u.is_ed else None
            unseen: list[tuple[float, _Patient]] = []
            for ip, dna in zip(rows, dna_rows, strict=True):
                p = self._new_patient(ip.pclass, self._census_source, dna, overflow)
                t0 = -ip.elapsed_h
                p.stay = len(self._stays)
                self._stays.extend((p.pid, u.idx, p.pclass, p.source, t0, t0, _NAN, _NAN, _DEST_INSIDE, _NAN))
                p.unit = u
                self._live[p.pid] = p
                if u.inpatient:
                    p.inp_ready = t0
                    p.inp_start = t0
                self._occ_change(u, 1)
                dist = self._los[p.pclass][u.idx]
                if ip.pathway >= 0:  # NCTR: on its pathway since it became ready (joins it below)
                    self._stays[p.stay + 6] = -ip.ready_h
                    self._stays[p.stay + 8] = pathway_code(ip.pathway)
                    p.visit += 1
                    nctr.append((p, ip.pathway, ip.ready_h))
                    continue
                if u.is_ed and not ip.ready and ip.seen_h == NOT_SEEN:
                    unseen.append((ip.elapsed_h, p))  # waits for a clinician (below)
                    continue
                if u.is_ed and not ip.ready and ip.seen_h >= 0:
                    self._stays[p.stay + 9] = -ip.seen_h
                    a = self._posterior_assessment(u, dist, ip.seen_h, assess_rng)
                    if a > ip.seen_h or dist is None:  # still with the clinician: holds one until it ends
                        u.clin_busy += 1
                        Timeout(env, max(a - ip.seen_h, 0.0), p).callbacks.append(self._assessed)
                        continue
                    remaining = dist.residual_ppf(ip.seen_h - a, self._u(p, 1))
                elif ip.ready or dist is None:
                    remaining = 0.0
                    if ip.next_unit != _DEST_INSIDE:  # known destination: a route uniform inside its slice
                        cum, targets = self._routes[p.pclass][u.idx] or ([1.0 + 1e-12], [_DEST_EXIT])
                        j = targets.index(ip.next_unit)
                        lo, hi = (cum[j - 1] if j else 0.0), min(cum[j], 1.0)
                        dna[_U_VISITS] = lo + (hi - lo) * dna[_U_VISITS]
                    if ip.ready and self._pathways is not None and ip.pathway < 0:
                        k = self._census_pathway(p, u, ip.pathway)
                        if k >= 0:  # drawn onto a pathway: NCTR since it became ready, as a census one
                            self._stays[p.stay + 6] = -ip.ready_h
                            self._stays[p.stay + 8] = pathway_code(k)
                            p.visit += 1
                            nctr.append((p, k, ip.ready_h))
                            continue
                    if ip.ready and ip.ready_h > 0:
                        self._initial_ready[p.pid] = -ip.ready_h
                    if ip.ready and u.discharge is not None and ip.ready_h > 0:
                        known = ip.next_unit != _DEST_INSIDE or p.pid in self._initial_p0  # P0: it goes home
                        if not self._condition_discharge(p, u, ip.ready_h, known):
                            self._delayed_discharge[ui] += 1
                else:
                    remaining = dist.residual_ppf(ip.elapsed_h, self._u(p, 1))
                Timeout(env, remaining, p).callbacks.append(self._stay_done)
            for _e, p in sorted(unseen, key=lambda x: -x[0]):  # longest wait first, as the queue would have it
                if u.clin_busy < u.clin_count and not u.clin_queue:
                    self._start_assessment(p, u)
                else:
                    self._seq += 1
                    heapq.heappush(u.clin_queue, (p.prio, self._seq, p))
            self._over_capacity[ui] = max(u.occ + u.cleaning - u.cap, 0)
            if len(u.level_h) <= u.occ:
                u.level_h += [0.0] * (u.occ + 1 - len(u.level_h))
            if u.esc_watch:
                self._pressure_check(u)
        if len(self._h_level_h) <= self._h_occ:
            self._h_level_h += [0.0] * (self._h_occ + 1 - len(self._h_level_h))
        for ui, rows in queued.items():  # patients waiting for a bed join the queue, longest wait first
            u = self.units[ui]
            dna_rng = _rng.stream(self.seed, self.rep, "initial_census", u.name + "/waiting")
            overflow = _rng.stream(self.seed, self.rep, "initial_census", u.name + "/waiting/overflow")
            dna_rows = dna_rng.random((len(rows), DNA_WIDTH)).tolist()
            for ip, dna in zip(sorted(rows, key=lambda r: -r.elapsed_h), dna_rows, strict=True):
                req = self._request_bed(
                    self._new_patient(ip.pclass, self._census_source, dna, overflow), u, self._enter, -1, -ip.elapsed_h
                )
                if req is not None and math.isfinite(ip.cancel_h):
                    Timeout(env, ip.cancel_h, req).callbacks.append(self._cancel)
        if nctr:  # after everyone is placed: a pool may start (and free a bed) at once
            if self._pathways is None:  # pathways without shares: only the census's patients take them
                self._pathways = Pathways(self)
            self._pathways.join_census(nctr)

    def _census_pathway(self, p: _Patient, u: _Unit, given: int) -> int:
        """The pathway of a ready census patient whose census gives none (``given`` -1: not known; PATHWAY_NONE:
        known to take none), decided when it is placed, before any conditioning on the discharge rule.

        If its route (the DNA's route uniform, inside the slice of a known destination) leaves the
        hospital, the pathway is drawn with the rescaled route uniform as at any patient's exit; a
        patient on none (P0, or PATHWAY_NONE) is remembered so that its exit at time 0 draws no
        pathway (being still here then conditions only its discharge uniforms, which a pathway
        would use for its assessment and place stay). Returns the pathway, or -1.
        """
        route = self._routes[p.pclass][u.idx]
        x = p.dna[_U_VISITS]
        if route is None:
            y = x
        else:
            cum, targets = route
            i = 0
            while x >= cum[i]:
                i += 1
            if targets[i] != _DEST_EXIT:
                return -1  # waits for a bed in another unit
            lo = cum[i - 1] if i else 0.0
            y = (x - lo) / (min(cum[i], 1.0) - lo)
        k = -1 if given == PATHWAY_NONE else self._pathways.choose(p.pclass, u.idx, y)
        if k < 0:
            self._initial_p0.add(p.pid)
        return k

    _ASSESS_BATCH = 64
    _ASSESS_TRIES = 16

    def _posterior_assessment(self, u: _Unit, post, seen_h: float, rng: np.random.Generator) -> float:
        """Assessment length (hours) of an ED patient seen ``seen_h`` hours ago and not yet ready to leave.

        Given the patient is still in the department, assessment A and the stay after it L
        satisfy ``A + L > seen_h``, so A's posterior has density proportional to
        ``f_A(a) P(L > seen_h - a)``, a weight of at most 1: exact rejection sampling (draw A,
        accept with that probability), in batches of :attr:`_ASSESS_BATCH`. A class with no stay
        after the assessment (``post`` None, L = 0) must still be being assessed: A given
        ``A > seen_h``, by the residual quantile. If :attr:`_ASSESS_TRIES` batches all fail (a
        patient far beyond every stay), the candidate of largest weight is taken.
        """
        if post is None:
            return seen_h + u.assess.residual_ppf(seen_h, rng.random())
        best, best_w = u.assess.mean_h, -1.0
        for _ in range(self._ASSESS_TRIES):
            a = u.assess.ppf_array(rng.random(self._ASSESS_BATCH))
            keep = rng.random(self._ASSESS_BATCH)
            for x, k in zip(a.tolist(), keep.tolist(), strict=True):
                w = 1.0 if x >= seen_h else post.sf(seen_h - x)
                if k < w:
                    return x
                if w > best_w:
                    best, best_w = x, w
        return best

    def _condition_discharge(self, p: _Patient, u: _Unit, ready_h: float, route_known: bool = True) -> bool:
        """A ready patient still here at time 0: redraw its discharge uniforms until the rule, applied
        at its ready time ``-ready_h``, lets it leave only after 0 (it would otherwise have gone).

        Whenever ``leave_at(-ready_h) > 0`` the rule gives the same time from 0, so the patient
        then leaves at the time the rule gave it when it became ready. Only for patients going home.
        When the destination is not known (``route_known`` False) the route uniform is redrawn with
        the discharge uniforms: being still here is evidence against going home, so the route is
        drawn from its posterior (a draw going to another unit is kept, as such a patient waits for
        a bed there; a draw going home only if the rule would still hold it).
        Returns False when no draw in 1000 does it: the patient has been ready for longer than the
        discharge rule ever holds anyone (a delayed discharge whose pathway the census did not give);
        it then leaves by the rule from time 0, like a patient ready now, and the caller counts it
        (``SimOutput.extra["initial_delayed_discharge"]``). A census patient given its discharge
        pathway (``InitialPatient.pathway``) does not come here: it waits in its bed for the pathway.
        """
        route = self._routes[p.pclass][u.idx]
        rule, dna = u.discharge, p.dna
        redraw = None
        for _ in range(1000):
            if route is not None:
                cum, targets = route
                i = 0
                while dna[_U_VISITS] >= cum[i]:
                    i += 1
                if targets[i] != _DEST_EXIT:
                    return True
            if rule.leave_at(-ready_h, dna[_U_DIS_HOUR], dna[_U_DIS_FRAC], dna[_U_WEEKEND]) > 0:
                return True
            if redraw is None:
                redraw = _rng.stream(self.seed, self.rep, "initial_census", f"{u.name}/discharge/{p.pid}")
            if route_known:
                dna[_U_DIS_HOUR], dna[_U_DIS_FRAC], dna[_U_WEEKEND] = redraw.random(3).tolist()
            else:
                dna[_U_VISITS], dna[_U_DIS_HOUR], dna[_U_DIS_FRAC], dna[_U_WEEKEND] = redraw.random(4).tolist()
        return False

    # ------------------------------------------------------------------ run
    def run(self) -> SimOutput:
        s = self.scenario
        env = self.env
        for u, spec in zip(self.units, s.units.values(), strict=True):
            self._capacity_log.append((0.0, u.idx, u.cap, 0))
            if spec.ed is not None and isinstance(spec.ed.clinicians, int):
                u.clin_count = spec.ed.clinicians
            if spec.capacity_changes:
                changes = sorted((self.calendar.to_sim_h(c.at), c.beds) for c in spec.capacity_changes)
                env.process(self._capacity_change_process(u, changes))
        if s.shifts and (s.staffing is not None or any(u.ed is not None for u in s.units.values())):
            env.process(self._shift_process())
        for a in s.arrivals:
            classes = a.classes()
            cum, idx, acc = [], [], 0.0
            for c, share in classes.items():
                if share <= 0:
                    continue
                acc += share
                cum.append(acc)
                idx.append(self._class_index[c])
            cum[-1] = 1.0 + 1e-12
            source = self._source_index(s.arrival_source(a))
            env.process(self._arrival_process(a, cum, idx, source))
        for e in s.electives:
            env.process(self._elective_process(e, self._source_index(e.source)))
        if self._vacated:
            self._place_vacated()
        if self._initial:
            self._place_initial()
        if self._pathways is not None:
            self._pathways.start()
        if s.warmup_h > 0:
            env.process(self._reset_levels())
        if self._sink is not None:
            env.process(self._fold_process())
        env.run(until=self.end_h)
        for u in self.units:
            self._occ_change(u, 0)
        return self._output()

    def _output(self) -> SimOutput:
        waiting = []
        for u in self.units:
            for _prio, _t, _seq, req in u.queue:
                if req.active:
                    waiting.append(
                        (req.patient.pid, u.idx, req.ready_at, req.patient.pclass, req.from_unit, req.patient.source)
                    )

        def arr(rows, width):
            if isinstance(rows, array):
                return np.frombuffer(rows, dtype=np.float64).reshape(-1, width).copy()
            return np.asarray(rows, dtype=float).reshape(-1, width)

        out = SimOutput(
            scenario=self.scenario,
            rep=self.rep,
            unit_names=self.unit_names,
            class_names=self.class_names,
            source_names=self.source_names,
            stays=arr(self._stays, len(STAY_FIELDS)),
            rejections=arr(self._rejections, 5),
            cancellations=arr(self._cancellations, 6),
            waiting_at_end=arr(waiting, 6),
            capacity_log=arr(self._capacity_log, 4),
            staffed_log=arr(self._staffed_log, 3),
            arrivals=arr(self._arrivals, 4),
            left_unseen=arr(self._left_unseen, 6),
            rebookings=arr(self._rebookings, 6),
            end_h=self.end_h,
            warmup_h=self.scenario.warmup_h,
            level_hours=[np.asarray(u.level_h) for u in self.units],
            hospital_level_hours=np.asarray(self._h_level_h),
            breach_hours=np.array([u.breach_h for u in self.units]),
            spell_sum_h=self._spell_sum_h,
            spell_n=self._spell_n,
            extra={
                "initial_over_capacity": list(self._over_capacity),
                "initial_delayed_discharge": list(self._delayed_discharge),
            }
            if self._initial
            else {},
        )
        if self._lounges:
            out.extra["lounges"] = lounge_records(self._lounges, self.end_h)
        if self._pathways is not None:
            out.extra["pathways"] = self._pathways.records(self.end_h)
        if self._ambulance is not None:
            out.extra["ambulance"] = self._ambulance.records()
        return out


def simulate(scenario: Scenario, rep: int = 0, seed: int | None = None) -> SimOutput:
    """Run one replication and return its raw records."""
    return HospitalSim(scenario, rep, seed).run()
