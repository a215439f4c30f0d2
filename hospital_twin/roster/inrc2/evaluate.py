"""Costs of INRC-II rosters: one nurse's own cost (S2..S7), shared by the search and column generation."""

from __future__ import annotations

from hospital_twin.roster.inrc2.format import WEIGHTS, Instance, _run_cost

__all__ = ["inst_requests", "nurse_own_cost"]


def nurse_own_cost(inst: Instance, n: int, shifts: list[int]) -> tuple[float, int, int]:
    """Nurse ``n``'s own weighted cost (S2..S7, not cover) for her day-by-day shifts (-1 off),
    with her total assignments and working weekends."""
    sc = inst.scenario
    con = sc.contracts[sc.nurses[n].contract]
    hist = inst.history.nurses[n]
    work = [x >= 0 for x in shifts]
    c = WEIGHTS["S2_work"] * _run_cost(work, hist.consecutive_work, con.min_consecutive_work,
                                       con.max_consecutive_work)
    c += WEIGHTS["S3"] * _run_cost([not w for w in work], hist.consecutive_off, con.min_consecutive_off,
                                   con.max_consecutive_off)
    for t, st in enumerate(sc.shifts):
        start = hist.consecutive_shift if hist.last_shift == t else 0
        c += WEIGHTS["S2_shift"] * _run_cost([x == t for x in shifts], start, st.min_consecutive, st.max_consecutive)
    total = hist.assignments + sum(work)
    c += WEIGHTS["S6"] * (max(0, con.min_assignments - total) + max(0, total - con.max_assignments))
    weekends = hist.working_weekends
    for w in range(len(inst.weeks)):
        sat, sun = work[7 * w + 5], work[7 * w + 6]
        weekends += sat or sun
        c += WEIGHTS["S5"] * (con.complete_weekends and sat != sun)
    c += WEIGHTS["S7"] * max(0, weekends - con.max_working_weekends)
    for s, d in inst_requests(inst)[n]:
        if shifts[d] >= 0 and (s is None or shifts[d] == s):
            c += WEIGHTS["S4"]
    return c, total, weekends


_REQ_CACHE: dict[int, list] = {}


def inst_requests(inst: Instance) -> list[list[tuple[int | None, int]]]:
    """Shift-off requests per nurse: ``[(shift or None, day), ...]`` (cached per instance)."""
    key = id(inst)
    if key not in _REQ_CACHE:
        per = [[] for _ in range(inst.n_nurses)]
        for n, s, d in inst.requests:
            per[n].append((s, d))
        _REQ_CACHE.clear()
        _REQ_CACHE[key] = per
    return _REQ_CACHE[key]
