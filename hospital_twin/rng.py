"""Named random streams: one seed gives every replication and every purpose its own Generator.

A stream is identified by ``(seed, rep, purpose, name)``. It is built from
``SeedSequence(entropy=seed, spawn_key=(rep, purpose_index, crc32(name)))``, the
same tree that ``SeedSequence(seed).spawn(...)`` builds, so streams are statistically
independent, and a worker process derives exactly the stream a serial run derives.

Keying by the *name* of an arrival stream or unit (not by its position) means that
adding a stream to a scenario leaves every other stream untouched, so two scenarios
run with one seed share their random numbers (common random numbers).

``PURPOSES`` is append-only: never reorder or remove an entry, or results of every
existing seed change.

This module holds no global state and never touches ``random`` or ``np.random.*``.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["PURPOSES", "stream", "stream_seed"]

PURPOSES: tuple[str, ...] = (
    "arrival_times",  # inter-arrival gaps and thinning uniforms of one arrival stream
    "patient_dna",  # per-patient uniforms: class, route choices, stays, discharge hour
    "dna_overflow",  # uniforms for pathways longer than the DNA row
    "elective_counts",  # fractional elective list sizes
    "turnaround",  # bed cleaning times of one unit
    "initial_census",  # warm start: DNA of the patients of one unit in a census snapshot (and their class draws)
    "patience",  # ED: how long each patient of one arrival stream waits for a clinician before leaving unseen
    "discharge_lounge",  # time in one discharge lounge of each patient planned into it
    "escalation_postpone",  # escalation levels: one uniform per elective patient of one unit (postponed or not)
    "ambulance",  # ED arrival streams with ambulance_share: one uniform per arrival (conveyed by ambulance or not)
)


def stream_seed(seed: int, rep: int, purpose: str, name: str = "") -> np.random.SeedSequence:
    """The SeedSequence of one named stream."""
    key = (int(rep), PURPOSES.index(purpose), zlib.crc32(name.encode("utf-8")))
    return np.random.SeedSequence(entropy=int(seed), spawn_key=key)


def stream(seed: int, rep: int, purpose: str, name: str = "") -> np.random.Generator:
    """A fresh PCG64 Generator for ``(seed, rep, purpose, name)``."""
    return np.random.Generator(np.random.PCG64(stream_seed(seed, rep, purpose, name)))
