"""Ambulance arrivals at an emergency department and their handover: a hook
:class:`~hospital_twin.sim.model.HospitalSim` installs only for a scenario whose ED arrival streams have an
``ambulance_share`` (nothing runs, and nothing is drawn, otherwise).

Every arrival of such a stream draws one uniform from its own ``ambulance`` stream (named after the arrival
stream): below the share, it came by ambulance. Its handover is its wait from arrival to a treatment space
(a queue for a space is the handover delay); the clinical handover itself, minutes once a space is free, is
not modelled. The draw adds no event and touches no other stream, so every other figure of a run is the
same with or without the share.

Records (:meth:`Ambulance.records`, ``SimOutput.extra["ambulance"]``): one row per ambulance arrival,
``patient, unit, arrived_h, space_h`` (hours since the scenario start; ``space_h`` nan while it has no space:
still waiting at the end, left from the queue, or turned away).
"""

from __future__ import annotations

import math

import numpy as np

from hospital_twin import rng as _rng

__all__ = ["AMBULANCE_FIELDS", "Ambulance", "install"]

AMBULANCE_FIELDS = ("patient", "unit", "arrived_h", "space_h")
"""Columns of ``SimOutput.extra["ambulance"]``."""

_BLOCK = 256


def install(sim) -> Ambulance | None:
    """Tag the ambulance arrivals of the streams with a share; None (``sim`` untouched) when no stream has one.

    Wraps the stream's admit function in ``sim._patience_admit`` (the per-stream admit hooks: patience, if any,
    runs inside) and ``sim._enter`` (a space granted to a patient from outside), on this instance only.
    """
    streams = [a for a in sim.scenario.arrivals if a.ambulance_share > 0]
    if not streams:
        return None
    amb = Ambulance(sim)
    for a in streams:
        inner = sim._patience_admit.get(a.name, sim._admit_external)
        sim._patience_admit[a.name] = amb.tagger(a.name, a.ambulance_share, inner)
    amb.enter = sim._enter
    sim._enter = amb.entered
    return amb


class Ambulance:
    """The ambulance arrivals of a run and when each got a treatment space."""

    __slots__ = ("sim", "rows", "waiting", "enter")

    def __init__(self, sim):
        self.sim = sim
        self.rows: list[list[float]] = []
        self.waiting: dict[int, list[float]] = {}  # pid -> its row, until it gets a space
        self.enter = None

    def tagger(self, stream_name: str, share: float, inner):
        """The stream's admit function: one uniform per arrival decides whether it came by ambulance."""
        rng = _rng.stream(self.sim.seed, self.sim.rep, "ambulance", stream_name)
        draws: list[float] = []
        rows, waiting = self.rows, self.waiting

        def admit(p, u, now: float):
            if not draws:
                draws.extend(rng.random(_BLOCK).tolist())
                draws.reverse()
            if draws.pop() < share:
                row = [float(p.pid), float(u.idx), now, math.nan]
                rows.append(row)
                waiting[p.pid] = row
            return inner(p, u, now)

        return admit

    def entered(self, p, u, ready_at: float) -> None:
        """``sim._enter``: a tagged patient's space is granted now (or, with ``u`` None, it was turned away)."""
        if self.waiting:
            row = self.waiting.pop(p.pid, None)
            if row is not None and u is not None:
                row[3] = self.sim.env.now
        self.enter(p, u, ready_at)

    def records(self) -> np.ndarray:
        """(n, 4) ``AMBULANCE_FIELDS``, in order of arrival."""
        return np.asarray(self.rows, dtype=float).reshape(-1, len(AMBULANCE_FIELDS))
