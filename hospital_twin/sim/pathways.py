"""Discharge pathways: patients ready to leave who wait in their bed for a service downstream (NCTR).

The picture: when a patient's stay ends and its route leads out of the hospital, it takes a
pathway by its unit's (and class's) ``pathway_shares``; P0, home without support, is the rest
and leaves by the discharge rules as before. A patient on a pathway is medically ready but no
longer meets the criteria to reside: it keeps its bed (the unit's occupancy; an outlier keeps
its host bed) through the pathway's assessment (unless ``assessment_in: community``), then waits
in the pathway's queue (first ready first, or by class priority with ``order: priority``) until
the service starts it, and then leaves the hospital:

* a **daily** pathway (P1 home with support, P3 a care home) starts up to the day's number of
  patients at its ``start_hour`` (fractions carried to the next day, unused starts lost);
* a **pool** (P2 community or rehabilitation beds) starts a patient as soon as one of its places
  is free; the patient then holds the place for the pool's ``stay`` (plus the assessment when it
  is done in the community). The places are not hospital beds: only pathway measures count them;
* an **unlimited** pathway (no capacity given) starts a patient as soon as its assessment ends.

An escalation level's ``pathway_capacity`` (sim/escalation_policy.py) scales a daily pathway's
starts of the day (at its start hour) and a pool's places (rounded down; places above the new
number close as they free up) while it holds: ``HospitalSim._pathway_scale``, a factor per pathway.

Random numbers: the pathway is chosen with the patient's route uniform, rescaled inside the slice
that chose the exit (so it is independent of the route and needs no new draw), and the
assessment and the pool stay use the patient's two discharge uniforms (``_U_DIS_HOUR``,
``_U_DIS_FRAC``), which a patient on a pathway does not otherwise use: every draw belongs to
the patient, so common random numbers hold across scenarios. A scenario without pathways draws
nothing and runs unchanged (``HospitalSim`` builds this only when ``discharge_pathways`` and a
share are given, or when a warm start's census puts patients on a pathway).

The stay record of a patient on pathway ``k`` has ``dest = PATHWAY_DEST0 - k`` from the moment it
is ready (``ready_h``) to its leaving (``end``), so NCTR time and delays come from the stay
records; :meth:`Pathways.records` adds each pathway's counters after the warm-up
(``SimOutput.extra["pathways"]``). No files, no pandas.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from simpy.events import Timeout

from hospital_twin import rng as _rng

__all__ = ["PATHWAY_DEST0", "Pathways", "pathway_code", "pathway_of_code"]

PATHWAY_DEST0 = -10
"""``dest`` of a stay whose patient takes pathway 0; pathway ``k`` is ``PATHWAY_DEST0 - k``."""

# DNA columns (mirrors hospital_twin.sim.model; a pathway patient does not use the discharge rule's)
_U_DIS_HOUR, _U_DIS_FRAC = 1, 2
_DAILY, _POOL, _UNLIMITED = 0, 1, 2
_KINDS = {"daily": _DAILY, "pool": _POOL, "unlimited": _UNLIMITED}


def pathway_code(k: int) -> int:
    """The stay record's ``dest`` of a patient on pathway ``k``."""
    return PATHWAY_DEST0 - k


def pathway_of_code(dest: float) -> int:
    """Pathway index of a stay record's ``dest``, or -1 when it is not a pathway."""
    return int(PATHWAY_DEST0 - dest) if dest <= PATHWAY_DEST0 else -1


class _Pathway:
    __slots__ = (
        "idx",
        "name",
        "kind",
        "code",
        "week",
        "carry",
        "start_hour",
        "places",
        "occ",
        "stay",
        "assess",
        "assess_in_bed",
        "by_priority",
        "queue",
        "assessing",
        "t_last",
        "area",
        "cap",
        "t_cap",
        "cap_area",
        "starts",
        "offered",
        "lost_starts",
    )


class Pathways:
    """The discharge pathways of one replication, wired into ``sim`` (a ``HospitalSim``) at build time."""

    def __init__(self, sim):
        self.sim = sim
        self.env = sim.env
        s = sim.scenario
        self.warmup_h = s.warmup_h
        self.pathways: list[_Pathway] = []
        index = {}
        for k, (name, spec) in enumerate(s.discharge_pathways.items()):
            pw = _Pathway()
            pw.idx, pw.name, pw.kind, pw.code = k, name, _KINDS[spec.kind], pathway_code(k)
            pw.week = spec.starts_week() if spec.kind == "daily" else None
            pw.carry = 0.0
            pw.start_hour = spec.start_hour
            pw.places = spec.places or 0
            pw.occ = 0
            pw.stay = spec.stay.to_distribution() if spec.stay is not None else None
            pw.assess = spec.assessment.to_distribution() if spec.assessment is not None else None
            pw.assess_in_bed = spec.assessment_in == "hospital"
            pw.by_priority = spec.order == "priority"
            pw.queue = []
            pw.assessing = 0
            pw.t_last = 0.0
            pw.area = 0.0  # place-hours occupied after the warm-up (pools)
            pw.cap, pw.t_cap, pw.cap_area = pw.places, 0.0, 0.0  # places open now; place-hours open after warm-up
            pw.starts = 0  # patients started after the warm-up
            pw.offered = 0.0  # daily starts offered after the warm-up
            pw.lost_starts = 0.0  # ... of which unused (nobody waiting)
            self.pathways.append(pw)
            index[name] = k
        # per class and unit: (cumulative shares, pathway index or -1 for P0), or None (all P0)
        self.choice: list[list[tuple[list[float], list[int]] | None]] = []
        for c in sim.class_names:
            row: list[tuple[list[float], list[int]] | None] = [None] * len(sim.units)
            for uname, shares in s.pathway_shares_for(c).items():
                cum, targets, acc = [], [], 0.0
                for key, share in shares.items():
                    if share <= 0 or key not in index:
                        continue
                    acc += share
                    cum.append(acc)
                    targets.append(index[key])
                if targets:
                    cum.append(1.0 + 1e-12)
                    targets.append(-1)
                    row[sim._unit_index[uname]] = (cum, targets)
            self.choice.append(row)
        self._seq = 0
        self.scale: list[float] | None = getattr(sim, "_pathway_scale", None)  # escalation factors, or None

    def start(self) -> None:
        """Start the daily pathways' processes (called by ``HospitalSim.run``)."""
        for pw in self.pathways:
            if pw.kind == _DAILY:
                self.env.process(self._daily(pw))

    # ------------------------------------------------------------------ a patient ready to leave
    def choose(self, pclass: int, unit_idx: int, y: float) -> int:
        """The pathway (index) a patient of ``pclass`` leaving the hospital from unit ``unit_idx`` takes, given
        its uniform ``y``; -1 for home without support (P0)."""
        row = self.choice[pclass][unit_idx]
        if row is None:
            return -1
        cum, targets = row
        i = 0
        while y >= cum[i]:
            i += 1
        return targets[i]

    def join(self, p, k: int, t_ready: float, assess_left_h: float | None = None) -> None:
        """Patient ``p`` (its stay record's ``dest`` already set) is ready since ``t_ready`` and takes pathway
        ``k``: its assessment in the bed first (``assess_left_h`` hours of it, default a full draw), then
        the queue."""
        pw = self.pathways[k]
        if pw.assess is not None and pw.assess_in_bed:
            d = pw.assess.ppf(p.dna[_U_DIS_HOUR]) if assess_left_h is None else assess_left_h
            if d > 0:
                pw.assessing += 1
                Timeout(self.env, d, (p, pw, t_ready)).callbacks.append(self._assessed)
                return
        self._queue(p, pw, t_ready)

    def join_census(self, rows: list[tuple]) -> None:
        """Census patients (warm start) on their pathway since before time 0 join it: ``(p, k, ready_h)`` rows,
        each ready ``ready_h`` hours ago, its stay record already on pathway ``k``.

        They join in the order the queue keeps (class priority where the pathway uses it, then ready
        time), so a pool's free places go to the first ready and FIFO order holds. With an assessment
        in the bed, its length is the patient's own uniform's, as for any patient: on an unlimited
        pathway it must still be under way (the patient would have left when it ended), so the rest is
        the residual given ``ready_h`` (``residual_ppf``); on a pathway with a queue an assessment
        shorter than ``ready_h`` is over (the patient waits in the queue) and a longer one has
        ``length - ready_h`` to go. These are the two limits of the exact posterior (being still here
        says the assessment plus the queue wait outlasted ``ready_h``): the queue wait is taken as
        long enough, as it is where patients wait for the pathway. The assessment uses no new draw.

        A pool with a census patient in its queue at time 0 must have every place taken (a free
        place would have started it): its places are filled first by :meth:`_census_places`. A
        pool nobody waits for starts empty.
        """

        def key(row: tuple) -> tuple:
            p, k, ready_h = row
            return (p.prio if self.pathways[k].by_priority else 0, -ready_h, p.pid)

        joins, queued = [], set()
        for p, k, ready_h in sorted(rows, key=key):
            pw = self.pathways[k]
            left = None
            if pw.assess is not None and pw.assess_in_bed:
                x = p.dna[_U_DIS_HOUR]
                if pw.kind == _UNLIMITED:
                    left = pw.assess.residual_ppf(ready_h, x)
                else:
                    left = max(pw.assess.ppf(x) - ready_h, 0.0)
            joins.append((p, k, -ready_h, left))
            if not left:
                queued.add(k)
        for k in sorted(queued):
            if self.pathways[k].kind == _POOL:
                self._census_places(self.pathways[k])
        for p, k, t_ready, left in joins:
            self.join(p, k, t_ready, left)

    _BIASED_SAMPLE = 4096

    def _census_places(self, pw: _Pathway) -> None:
        """Fill the free places of pool ``pw`` at time 0 with patients of the community, each holding its
        place for a forward-recurrence time: the rest of a hold seen at a random moment (a hold drawn in
        proportion to its length, from :attr:`_BIASED_SAMPLE` draws of the stay, plus the assessment when
        done in the community, then a uniform share of it). Draws from the ``initial_census`` stream
        ``pathway/<name>``, so nothing else changes."""
        n = self._places(pw) - pw.occ
        if n <= 0:
            return
        gen = _rng.stream(self.sim.seed, self.sim.rep, "initial_census", f"pathway/{pw.name}")
        holds = pw.stay.ppf_array(gen.random(self._BIASED_SAMPLE))
        if pw.assess is not None and not pw.assess_in_bed:
            holds = holds + pw.assess.ppf_array(gen.random(self._BIASED_SAMPLE))
        total = float(holds.sum())
        picked = gen.choice(holds, size=n, p=holds / total) if total > 0 else np.zeros(n)
        for rest in (picked * gen.random(n)).tolist():
            self._level(pw, 1)
            Timeout(self.env, rest, pw).callbacks.append(self._place_freed)

    def _assessed(self, ev) -> None:
        p, pw, t_ready = ev._value
        pw.assessing -= 1
        self._queue(p, pw, t_ready)

    def _queue(self, p, pw: _Pathway, t_ready: float) -> None:
        if pw.kind == _UNLIMITED:
            self._start(pw, p)
            return
        self._seq += 1
        heapq.heappush(pw.queue, (p.prio if pw.by_priority else 0, t_ready, self._seq, p))
        if pw.kind == _POOL:
            self._fill(pw)

    # ------------------------------------------------------------------ the services
    def _start(self, pw: _Pathway, p) -> None:
        now = self.env.now
        if now >= self.warmup_h:
            pw.starts += 1
        self.sim._leave(p, pw.code, now)  # the hospital bed frees now
        if pw.kind == _POOL:
            self._level(pw, 1)
            hold = pw.stay.ppf(p.dna[_U_DIS_FRAC])
            if pw.assess is not None and not pw.assess_in_bed:
                hold += pw.assess.ppf(p.dna[_U_DIS_HOUR])
            Timeout(self.env, hold, pw).callbacks.append(self._place_freed)

    def _places(self, pw: _Pathway) -> int:
        """Places of pool ``pw`` open now (its places x the escalation factor, rounded down)."""
        return pw.places if self.scale is None else int(pw.places * self.scale[pw.idx] + 1e-9)

    def _fill(self, pw: _Pathway) -> None:
        q = pw.queue
        places = self._places(pw)
        while q and pw.occ < places:
            self._start(pw, heapq.heappop(q)[3])

    def rescaled(self, k: int) -> None:
        """Pathway ``k``'s escalation factor changed: a pool counts its open places from now and, with more, starts
        its queue now."""
        pw = self.pathways[k]
        if pw.kind == _POOL:
            self._cap_until(pw, self.env.now)
            pw.cap = self._places(pw)
            self._fill(pw)

    def _cap_until(self, pw: _Pathway, now: float) -> None:
        w = self.warmup_h
        pw.cap_area += pw.cap * (max(now, w) - max(pw.t_cap, w))
        pw.t_cap = now

    def _place_freed(self, ev) -> None:
        pw = ev._value
        self._level(pw, -1)
        self._fill(pw)

    def _level(self, pw: _Pathway, delta: int) -> None:
        now = self.env.now
        w = self.warmup_h
        pw.area += pw.occ * (max(now, w) - max(pw.t_last, w))
        pw.t_last = now
        pw.occ += delta

    def _daily(self, pw: _Pathway):
        """At ``start_hour`` every day, start up to that weekday's number of patients (first in the queue)."""
        env, sim = self.env, self.sim
        offset = sim.calendar.offset_h
        day_abs = math.floor(offset / 24)
        while True:
            t = day_abs * 24 + pw.start_hour - offset
            weekday = day_abs % 7
            day_abs += 1
            if t < 0:
                continue
            if t >= sim.end_h:
                return
            yield Timeout(env, t - env.now)
            pw.carry += pw.week[weekday] if self.scale is None else pw.week[weekday] * self.scale[pw.idx]
            n = int(pw.carry + 1e-9)
            pw.carry -= n
            used = 0
            q = pw.queue
            while used < n and q:
                self._start(pw, heapq.heappop(q)[3])
                used += 1
            if t >= self.warmup_h:
                pw.offered += n
                pw.lost_starts += n - used

    # ------------------------------------------------------------------ output
    def records(self, end_h: float) -> list[dict]:
        """Counters of each pathway after the warm-up, in the scenario's order."""
        out = []
        w = self.warmup_h
        for pw in self.pathways:
            area = pw.area + pw.occ * (max(end_h, w) - max(pw.t_last, w))
            cap_area = pw.cap_area + pw.cap * (max(end_h, w) - max(pw.t_cap, w))
            out.append(
                {
                    "name": pw.name,
                    "kind": ("daily", "pool", "unlimited")[pw.kind],
                    "places": pw.places,
                    "place_hours": area,
                    "place_hours_open": cap_area,
                    "starts": pw.starts,
                    "offered_starts": pw.offered,
                    "lost_starts": pw.lost_starts,
                    "waiting_at_end": sum(1 for _ in pw.queue),
                    "assessing_at_end": pw.assessing,
                    "in_places_at_end": pw.occ,
                }
            )
        return out
