"""The monotone search returns exactly what asking every candidate returns, on monotone feasibility."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hospital_twin.planning.search import coarse_indices, exhaustive_search, monotone_search


def _monotone_map(rng: np.random.Generator, sizes: tuple[int, ...]):
    """A random up-set of the grid: feasible when a random positive weighting of the indices clears a threshold."""
    w = rng.uniform(0.2, 1.0, len(sizes))
    total = sum(wi * (s - 1) for wi, s in zip(w, sizes, strict=True))
    threshold = rng.uniform(0.2, 1.1) * total

    def feasible(idx):
        return float(np.dot(w, idx)) >= threshold

    return feasible


@pytest.mark.parametrize("case", range(40))
def test_search_monotone_equals_exhaustive_on_monotone_maps(case):
    """On any monotone feasibility map and linear costs, the monotone search finds the brute-force answer."""
    rng = np.random.default_rng(1000 + case)
    k = int(rng.integers(1, 4))
    sizes = tuple(int(rng.integers(2, 12)) for _ in range(k))
    rates = rng.uniform(0.0, 5.0, k).round(1)
    feasible = _monotone_map(rng, sizes)

    def cost(idx):
        return float(np.dot(rates, idx))

    best, _ = exhaustive_search(sizes, cost, feasible)
    got, log = monotone_search(sizes, cost, feasible)
    assert got == best
    assert len(log.asked) <= int(np.prod(sizes))
    assert len(set(log.asked)) == len(log.asked), "a candidate is never asked twice"


def test_search_asks_few_candidates_on_a_large_grid():
    """Coarse to fine with monotone implication asks a small share of a 31 x 13 grid (403 candidates)."""
    sizes = (31, 13)

    def feasible(idx):
        return idx[0] + 2 * idx[1] >= 30

    def cost(idx):
        return 3.0 * idx[0] + 5.0 * idx[1]

    best, _ = exhaustive_search(sizes, cost, feasible)
    got, log = monotone_search(sizes, cost, feasible)
    assert got == best
    assert len(log.asked) < 60


def test_search_without_a_feasible_candidate_returns_none():
    """When nothing on the grid is feasible, the answer is None."""
    got, log = monotone_search((5, 5), lambda i: float(sum(i)), lambda i: False)
    assert got is None
    assert log.asked[0] == (4, 4) or (4, 4) in log.implied or (4, 4) in log.known


def test_search_coarse_indices_keep_both_ends():
    """A coarse axis starts at the first value and ends at the last."""
    assert coarse_indices(10, 4) == [0, 4, 8, 9]
    assert coarse_indices(9, 4) == [0, 4, 8]
    assert all(coarse_indices(n, s)[-1] == n - 1 for n, s in itertools.product(range(1, 20), range(1, 6)))
