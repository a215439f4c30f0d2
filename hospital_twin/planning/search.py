"""The search over the lever grid for the cheapest feasible candidate.

Candidates are index tuples into the levers' values. Costs are linear in the levers, and the
planner assumes the targets are *monotone*: more of any lever never makes a target worse, so
feasibility is monotone (a candidate with at least as much of every lever as a feasible one is
feasible; one with at most as much as a candidate not shown feasible is not feasible).

:func:`monotone_search` then finds the exact cheapest feasible candidate of the grid (ties:
the smallest index tuple) without trying most of it:

- **coarse to fine**: on a grid of more than ``coarse_above`` points it first searches the
  sub-grid of every ``s``-th value (the top value included); the answer there is a real
  feasible candidate whose cost bounds the fine search from above;
- the candidates are taken as *prefixes* (all levers but the last) in order of cost; on each,
  the most of the last lever cheaper than the best found so far is asked first (if it fails,
  so does the whole prefix, and every prefix below it by implication), then the last lever is
  **bisected** for its least feasible value (a prefix whose least value is dearer than the
  best ends the search);
- every verdict is shared by **monotone implication**: a candidate at or above a feasible one
  is feasible, at or below one not shown feasible is not, without simulating it.

:func:`exhaustive_search` asks every candidate (for models that are not monotone, and as the
brute force the tests compare with). Both take a ``verdict(idx)`` callback returning True
(feasible) or False and a ``cost(idx)``; they are pure and know nothing of simulation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["SearchLog", "coarse_indices", "exhaustive_search", "monotone_search"]

Index = tuple[int, ...]


@dataclass
class SearchLog:
    """What the search asked and what it inferred: ``asked`` in order, ``implied`` verdicts without a run."""

    asked: list[Index] = field(default_factory=list)
    known: dict[Index, bool] = field(default_factory=dict)
    implied: dict[Index, bool] = field(default_factory=dict)


def coarse_indices(size: int, step: int) -> list[int]:
    """Every ``step``-th index of ``range(size)``, the last one included."""
    out = list(range(0, size, step))
    if out[-1] != size - 1:
        out.append(size - 1)
    return out


class _Oracle:
    """Verdicts by simulation (through the callback) or by monotone implication from those already known."""

    def __init__(self, verdict: Callable[[Index], bool], log: SearchLog):
        self.verdict = verdict
        self.log = log

    def __call__(self, idx: Index) -> bool:
        if idx in self.log.known:
            return self.log.known[idx]
        for y, ok in self.log.known.items():
            if ok and all(a >= b for a, b in zip(idx, y, strict=True)):
                self.log.implied[idx] = True
                return True
            if not ok and all(a <= b for a, b in zip(idx, y, strict=True)):
                self.log.implied[idx] = False
                return False
        ok = bool(self.verdict(idx))
        self.log.asked.append(idx)
        self.log.known[idx] = ok
        return ok


def _search(axes: list[list[int]], cost: Callable[[Index], float], oracle: _Oracle, best: Index | None) -> Index | None:
    """The cheapest feasible candidate on the grid ``axes`` (index lists per lever), better than ``best``."""

    def key(idx: Index) -> tuple[float, Index]:
        return (cost(idx), idx)

    *head, last = axes
    prefixes = sorted(itertools.product(*head), key=lambda p: key((*p, last[0])))
    for p in prefixes:
        if best is not None and key((*p, last[0])) >= key(best):
            break  # prefixes are in order of their cheapest candidate: none later can beat the best
        useful = [j for j in last if best is None or key((*p, j)) < key(best)]
        if not oracle((*p, useful[-1])):
            continue  # not even the most of the last lever worth having: no candidate on this prefix
        lo, hi = 0, len(useful) - 1  # the least feasible position in useful[lo..hi]; useful[hi] is feasible
        while lo < hi:
            mid = (lo + hi) // 2
            if oracle((*p, useful[mid])):
                hi = mid
            else:
                lo = mid + 1
        best = (*p, useful[hi])
    return best


def monotone_search(
    sizes: tuple[int, ...],
    cost: Callable[[Index], float],
    verdict: Callable[[Index], bool],
    *,
    coarse_above: int = 64,
    log: SearchLog | None = None,
) -> tuple[Index | None, SearchLog]:
    """The cheapest feasible candidate (None if none) of the grid ``sizes``, assuming monotone feasibility."""
    log = log if log is not None else SearchLog()
    oracle = _Oracle(verdict, log)
    best = None
    n_points = 1
    for s in sizes:
        n_points *= s
    if n_points > coarse_above:
        step = 2
        while True:
            n_coarse = 1
            for s in sizes:
                n_coarse *= len(coarse_indices(s, step))
            if n_coarse <= coarse_above:
                break
            step *= 2
        best = _search([coarse_indices(s, step) for s in sizes], cost, oracle, None)
    best = _search([list(range(s)) for s in sizes], cost, oracle, best)
    return best, log


def exhaustive_search(
    sizes: tuple[int, ...], cost: Callable[[Index], float], verdict: Callable[[Index], bool]
) -> tuple[Index | None, SearchLog]:
    """The cheapest feasible candidate of the grid, every candidate asked (no assumption on the model)."""
    log = SearchLog()
    best = None
    for idx in itertools.product(*(range(s) for s in sizes)):
        ok = bool(verdict(idx))
        log.asked.append(idx)
        log.known[idx] = ok
        if ok and (best is None or (cost(idx), idx) < (cost(best), best)):
            best = idx
    return best, log
