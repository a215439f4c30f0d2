"""What an INRC-II roster costs: the official validator's rules, for a whole roster or one nurse.

Costs (weights from the rules, :data:`WEIGHTS`): hard H1 single assignment per day, H2 minimum
cover, H3 forbidden shift-type successions (also from the history's last shift into day 0),
H4 required skill; soft S1 optimal cover (30 per missing nurse), S2 consecutive working days
(30 per day short of the minimum or beyond the maximum) and same-shift runs (15 per day), S3
consecutive days off (30 per day), S4 shift-off requests (10 each), S5 complete weekends (30),
S6 total assignments against the contract (20 per assignment), S7 working weekends beyond the
maximum (30 per weekend). A run still open at the end of the horizon is not penalised for
being too short (it may continue); a run that ends at day 0 inside the history is.

Owns: :data:`WEIGHTS`, :func:`run_cost`, :func:`evaluate` -> :class:`CostReport` (the whole
roster, as the validator reports it) and :func:`nurse_own_cost` (one nurse's S2..S7, shared by
the local search and column generation). Imports only :mod:`~hospital_twin.roster.inrc2.format`;
never OR-Tools: the solvers are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hospital_twin.roster.inrc2.format import Assignment, Instance

__all__ = ["WEIGHTS", "CostReport", "evaluate", "run_cost", "nurse_own_cost", "inst_requests"]

WEIGHTS = {"S1": 30, "S2_work": 30, "S2_shift": 15, "S3": 30, "S4": 10, "S5": 30, "S6": 20, "S7": 30}
"""Cost per unit of violation of each soft constraint (INRC-II rules, section 2).

S2 has two parts with different weights: consecutive working days (30 per day) and
consecutive assignments to the same shift type (15 per day); the validator reports their sum.
"""


@dataclass(frozen=True)
class CostReport:
    """Hard-violation counts and weighted soft costs of a roster, as the official validator reports them.

    ``h1_single``: extra assignments on a day already assigned; ``h2_under``: nurses missing
    below the minimum cover; ``h3_succession``: forbidden successions; ``h4_skill``:
    assignments with a skill the nurse lacks. ``s1`` .. ``s7`` are weighted costs and
    ``total`` their sum (the validator's "Total cost").
    """

    h1_single: int
    h2_under: int
    h3_succession: int
    h4_skill: int
    s1: int
    s2: int
    s3: int
    s4: int
    s5: int
    s6: int
    s7: int

    @property
    def total(self) -> int:
        return self.s1 + self.s2 + self.s3 + self.s4 + self.s5 + self.s6 + self.s7

    @property
    def hard_violations(self) -> int:
        return self.h1_single + self.h2_under + self.h3_succession + self.h4_skill

    @property
    def feasible(self) -> bool:
        return self.hard_violations == 0

    def to_dict(self) -> dict:
        """Flat dict for ``cost.json``: hard counts, S1..S7, total and feasibility."""
        return {
            "hard": {
                "H1_single_assignment": self.h1_single,
                "H2_under_staffing": self.h2_under,
                "H3_shift_succession": self.h3_succession,
                "H4_missing_skill": self.h4_skill,
            },
            "soft": {
                "S1_optimal_coverage": self.s1,
                "S2_consecutive_assignments": self.s2,
                "S3_consecutive_days_off": self.s3,
                "S4_preferences": self.s4,
                "S5_complete_weekends": self.s5,
                "S6_total_assignments": self.s6,
                "S7_total_working_weekends": self.s7,
            },
            "total": self.total,
            "feasible": self.feasible,
        }


def run_cost(seq: list[bool], hist_len: int, lo: int, hi: int) -> int:
    """Units of violation of run-length limits [lo, hi] for the runs of True in ``seq``.

    ``hist_len`` True days precede ``seq`` (the history). Each day of a run beyond ``hi``
    inside the horizon costs 1; a run that ends (inside the horizon, or at day 0 if it
    lies in the history) shorter than ``lo`` costs ``lo - length``; a run still open at
    the end of the horizon is not charged for being short.
    """
    units = 0
    run = hist_len
    for on in seq:
        if on:
            run += 1
            if run > hi:
                units += 1
        else:
            if 0 < run < lo:
                units += lo - run
            run = 0
    return units


# --------------------------------------------------------------------------- one nurse
def _nurse_units(inst: Instance, n: int, shifts: list[int]) -> tuple[int, int, int, int, int, int, int, int]:
    """Nurse ``n``'s units of violation for her day-by-day ``shifts`` (-1 off): S2 working days,
    S2 same-shift runs, S3, S5, S6, S7, then her total assignments and working weekends (history included)."""
    sc = inst.scenario
    con = sc.contracts[sc.nurses[n].contract]
    hist = inst.history.nurses[n]
    work = [x >= 0 for x in shifts]
    s2_work = run_cost(work, hist.consecutive_work, con.min_consecutive_work, con.max_consecutive_work)
    s3 = run_cost([not w for w in work], hist.consecutive_off, con.min_consecutive_off, con.max_consecutive_off)
    s2_shift = 0
    for t, st in enumerate(sc.shifts):
        start = hist.consecutive_shift if hist.last_shift == t else 0
        s2_shift += run_cost([x == t for x in shifts], start, st.min_consecutive, st.max_consecutive)
    total = hist.assignments + sum(work)
    s6 = max(0, con.min_assignments - total) + max(0, total - con.max_assignments)
    weekends = hist.working_weekends
    s5 = 0
    for w in range(len(inst.weeks)):
        sat, sun = work[7 * w + 5], work[7 * w + 6]
        weekends += sat or sun
        s5 += con.complete_weekends and sat != sun
    s7 = max(0, weekends - con.max_working_weekends)
    return s2_work, s2_shift, s3, s5, s6, s7, total, weekends


def nurse_own_cost(inst: Instance, n: int, shifts: list[int]) -> tuple[float, int, int]:
    """Nurse ``n``'s own weighted cost (S2..S7, not cover) for her day-by-day shifts (-1 off),
    with her total assignments and working weekends."""
    s2_work, s2_shift, s3, s5, s6, s7, total, weekends = _nurse_units(inst, n, shifts)
    c = (
        WEIGHTS["S2_work"] * s2_work
        + WEIGHTS["S3"] * s3
        + WEIGHTS["S2_shift"] * s2_shift
        + WEIGHTS["S6"] * s6
        + WEIGHTS["S5"] * s5
        + WEIGHTS["S7"] * s7
    )
    for s, d in inst_requests(inst)[n]:
        if shifts[d] >= 0 and (s is None or shifts[d] == s):
            c += WEIGHTS["S4"]
    return c, total, weekends


_REQ_CACHE: tuple = (None, None)
"""The last instance asked about and its requests per nurse. The instance itself is kept, not its
``id()``: once an instance is freed, CPython may give a new one the same id (a cache keyed by id
returned another instance's requests in 9 of 40 tries)."""


def inst_requests(inst: Instance) -> list[list[tuple[int | None, int]]]:
    """Shift-off requests per nurse: ``[(shift or None, day), ...]`` (cached for the last instance)."""
    global _REQ_CACHE
    cached, per = _REQ_CACHE
    if cached is not inst:
        per = [[] for _ in range(inst.n_nurses)]
        for n, s, d in inst.requests:
            per[n].append((s, d))
        _REQ_CACHE = (inst, per)  # one assignment, so a thread never sees an instance with another's requests
    return per


# --------------------------------------------------------------------------- the whole roster
def evaluate(instance: Instance, assignments: list[Assignment]) -> CostReport:
    """Cost of a roster over the whole horizon, continuing the history at day 0."""
    plan, cover, h1, h4 = _plan_and_cover(instance, assignments)
    h2, s1 = _cover_units(instance, cover)
    h3 = s2w = s2s = s3 = s5 = s6 = s7 = 0
    for n in range(instance.n_nurses):
        shifts = [-1 if x is None else x[0] for x in plan[n]]
        h3 += _successions(instance, n, shifts)
        units = _nurse_units(instance, n, shifts)
        s2w, s2s, s3, s5, s6, s7 = (a + b for a, b in zip((s2w, s2s, s3, s5, s6, s7), units[:6], strict=True))
    s4 = _requests_not_honoured(instance, plan)
    w = WEIGHTS
    return CostReport(
        h1,
        h2,
        h3,
        h4,
        s1 * w["S1"],
        s2w * w["S2_work"] + s2s * w["S2_shift"],
        s3 * w["S3"],
        s4 * w["S4"],
        s5 * w["S5"],
        s6 * w["S6"],
        s7 * w["S7"],
    )


def _plan_and_cover(instance: Instance, assignments: list[Assignment]):
    """Each nurse's (shift, skill) or None per day, the cover per (day, shift, skill), and the H1
    (a second assignment on a day: ignored) and H4 (a skill the nurse lacks) counts."""
    sc = instance.scenario
    n_days, n_sh, n_sk = instance.n_days, instance.n_shifts, instance.n_skills
    plan: list[list[tuple[int, int] | None]] = [[None] * n_days for _ in sc.nurses]
    h1 = h4 = 0
    cover = [[[0] * n_sk for _ in range(n_sh)] for _ in range(n_days)]
    for a in assignments:
        if not (0 <= a.nurse < len(sc.nurses) and 0 <= a.day < n_days and 0 <= a.shift < n_sh and 0 <= a.skill < n_sk):
            raise ValueError(f"assignment {a} is outside the instance")
        if plan[a.nurse][a.day] is not None:
            h1 += 1
            continue
        plan[a.nurse][a.day] = (a.shift, a.skill)
        cover[a.day][a.shift][a.skill] += 1
        if a.skill not in sc.nurses[a.nurse].skills:
            h4 += 1
    return plan, cover, h1, h4


def _cover_units(instance: Instance, cover: list) -> tuple[int, int]:
    """H2: nurses missing below the minimum cover; S1 units: nurses missing below the optimum."""
    h2 = s1 = 0
    for d in range(instance.n_days):
        for s in range(instance.n_shifts):
            for k in range(instance.n_skills):
                c = cover[d][s][k]
                h2 += max(0, instance.minimum[d][s][k] - c)
                s1 += max(0, instance.optimum[d][s][k] - c)
    return h2, s1


def _successions(instance: Instance, n: int, shifts: list[int]) -> int:
    """H3: forbidden successions in nurse ``n``'s shifts (-1 off), from the history's last shift on."""
    forbidden = instance.scenario.forbidden
    h3 = 0
    prev = instance.history.nurses[n].last_shift
    for s in shifts:
        if prev is not None and s >= 0 and s in forbidden[prev]:
            h3 += 1
        prev = s if s >= 0 else None
    return h3


def _requests_not_honoured(instance: Instance, plan: list) -> int:
    """S4 units: shift-off requests the roster does not honour."""
    s4 = 0
    for n, s, d in instance.requests:
        got = plan[n][d]
        if got is not None and (s is None or got[0] == s):
            s4 += 1
    return s4
