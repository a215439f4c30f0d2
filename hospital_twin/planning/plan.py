"""The capacity plan: the cheapest setting of the levers whose targets hold with their confidence.

:func:`plan_capacity` is the use case the ``plan-capacity`` verb (and later the app) calls:

1. every candidate is simulated under **common random numbers**: replication ``r`` of every
   candidate uses the same ``(seed, r)`` streams, so differences between candidates are the
   levers' and not the dice's, and a candidate's verdict is a fixed function of it;
2. the **search** (:mod:`~hospital_twin.planning.search`) asks for verdicts, each from the
   **sequential feasibility check** (:mod:`~hospital_twin.planning.feasibility`), which adds
   replications only to candidates whose interval straddles a target's bound;
3. the cheapest feasible candidate is **confirmed** on fresh seeds (``seed + CONFIRM_OFFSET``),
   the runners-up are listed with why they were rejected, and the **marginal value** of one
   more step of each lever is measured (same seeds, paired differences).

Replications run through an executor (:mod:`hospital_twin.experiment.executors`), a batch of a
candidate's replications at a time. Pure: scenario and settings in, a :class:`Plan` of tables
and a JSON-ready answer out; the files are written by :mod:`hospital_twin.reporting.plan_report`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hospital_twin import results
from hospital_twin._version import __version__
from hospital_twin.experiment.executors import Executor, make_executor
from hospital_twin.experiment.runner import choose_warmup, run_replication
from hospital_twin.planning.feasibility import (
    MEETS,
    MISSES,
    TargetCheck,
    candidate_verdict,
    check_target,
    looks,
)
from hospital_twin.planning.lever import Lever, apply_levers
from hospital_twin.planning.search import SearchLog, exhaustive_search, monotone_search
from hospital_twin.planning.target import Target
from hospital_twin.scenario.schema import Scenario

__all__ = ["CONFIRM_OFFSET", "Plan", "PlanError", "PlanSettings", "plan_capacity"]

CONFIRM_OFFSET = 1_000_003
"""The confirmation run uses seed ``seed + CONFIRM_OFFSET``: streams none of the search used."""


class PlanError(ValueError):
    """A plan that cannot be made as asked (no cost for a lever, a target the scenario does not report)."""


@dataclass(frozen=True)
class PlanSettings:
    """How the plan is searched: replications at the first look and the cap, the seed, the search."""

    replications: int = 5
    """Replications of a candidate at the first look (n0, at least 2)."""
    max_replications: int = 40
    """Cap on a candidate's replications; one still straddling a bound there is not shown feasible."""
    seed: int | None = None
    """Seed of the search (default: the scenario's); the confirmation uses ``seed + CONFIRM_OFFSET``."""
    search: str = "monotone"
    """``monotone`` (coarse to fine, bisection, monotone implication) or ``exhaustive`` (every candidate)."""
    confirm: bool = True
    marginal: bool = True
    runners_up: int = 5


@dataclass
class _Candidate:
    idx: tuple[int, ...]
    values: tuple[int, ...]
    cost: float
    scenario: Scenario
    measures: dict[int, list[float]] = field(default_factory=dict)  # target index -> values by rep
    checks: list[TargetCheck] = field(default_factory=list)
    verdict: str = "not run"
    phase: str = "search"
    order: int = 0

    @property
    def n(self) -> int:
        return min((len(v) for v in self.measures.values()), default=0)


@dataclass(frozen=True)
class Plan:
    """The answer and everything tried. ``candidates`` is plan.csv; :meth:`to_dict` is plan.json."""

    scenario: str
    levers: tuple[Lever, ...]
    targets: tuple[Target, ...]
    rates: tuple[float, ...]
    settings: PlanSettings
    candidates: pd.DataFrame
    answer: dict[str, Any]

    @property
    def chosen(self) -> dict[str, int] | None:
        """Lever name -> value of the cheapest feasible candidate (None when none was found)."""
        return self.answer.get("chosen", {}).get("levers") if self.answer.get("chosen") else None

    def to_dict(self) -> dict[str, Any]:
        return self.answer


def _cost(rates: tuple[float, ...], values: tuple[int, ...]) -> float:
    return float(sum(r * v for r, v in zip(rates, values, strict=True)))


def _kpis_task(scenario: Scenario, rep: int, seed: int) -> pd.DataFrame:
    return run_replication(scenario, rep, seed, keep_census=False, keep_log=False).kpis


class _Evaluator:
    """Simulates candidates (cached by index), runs their checks, and counts the replications."""

    def __init__(self, scenario, levers, targets, rates, settings, seed, executor, on_progress):
        self.base = scenario
        self.levers = levers
        self.targets = targets
        self.rates = rates
        self.settings = settings
        self.seed = seed
        self.executor = executor
        self.on_progress = on_progress
        self.looks = looks(settings.replications, settings.max_replications)
        self.cache: dict[tuple[int, ...], _Candidate] = {}
        self.simulations = 0
        self.order = 0

    def candidate(self, idx: tuple[int, ...]) -> _Candidate:
        if idx not in self.cache:
            values = tuple(lv.values[i] for lv, i in zip(self.levers, idx, strict=True))
            scn = apply_levers(self.base, self.levers, values)
            self.cache[idx] = _Candidate(idx, values, _cost(self.rates, values), scn)
        return self.cache[idx]

    def simulate(self, cand: _Candidate, n: int, seed: int) -> dict[int, list[float]]:
        """Replications ``len(have)..n-1`` of ``cand`` (every window view of its targets) added to its measures."""
        have = cand.n if seed == self.seed else 0
        measures = cand.measures if seed == self.seed else {i: [] for i in range(len(self.targets))}
        if n <= have:
            return measures
        views: dict[Any, Scenario] = {}
        for t in self.targets:
            views.setdefault(t.window, t.view(cand.scenario))
        keys = list(views)
        tasks = [(views[k], rep, seed) for rep in range(have, n) for k in keys]
        out: dict[tuple[int, Any], pd.DataFrame] = {}
        for i, kpis in self.executor.map_unordered(_kpis_task, tasks):
            rep = have + i // len(keys)
            out[(rep, keys[i % len(keys)])] = kpis
        self.simulations += len(tasks)
        for ti, t in enumerate(self.targets):
            vals = measures.setdefault(ti, [])
            vals.extend(t.measure(out[(rep, t.window)], cand.scenario) for rep in range(have, n))
        return measures

    def verdict(self, idx: tuple[int, ...], phase: str = "search") -> bool:
        """The sequential check of candidate ``idx``: True when feasible."""
        cand = self.candidate(idx)
        if cand.verdict == "not run":
            self.order += 1
            cand.order, cand.phase = self.order, phase
            for n in self.looks:
                self.simulate(cand, n, self.seed)
                cand.checks = [
                    check_target(np.array(cand.measures[i]), t, len(self.looks)) for i, t in enumerate(self.targets)
                ]
                cand.verdict = candidate_verdict(cand.checks)
                if cand.verdict != "undecided":
                    break
            if self.on_progress:
                self.on_progress(self._event(cand))
        return cand.verdict == "feasible"

    def _event(self, cand: _Candidate) -> dict[str, Any]:
        return {
            "phase": cand.phase,
            "levers": dict(zip((lv.name for lv in self.levers), cand.values, strict=True)),
            "cost": cand.cost,
            "replications": cand.n,
            "verdict": cand.verdict,
            "simulations": self.simulations,
        }


def _reason(cand: _Candidate, targets: tuple[Target, ...], chosen: _Candidate | None, currency: str) -> str:
    """Why a candidate is not the answer, in words."""
    if cand.verdict == "infeasible":
        bad = [(t, c) for t, c in zip(targets, cand.checks, strict=True) if c.verdict == MISSES]
        return "; ".join(
            f"misses {t.label} {t.op} {t.bound:g}: {c.estimate:.4g} ({c.low:.4g}..{c.high:.4g})" for t, c in bad
        )
    if cand.verdict == "undecided":
        open_ = [t for t, c in zip(targets, cand.checks, strict=True) if c.verdict != MEETS]
        return (
            f"not shown to meet {', '.join(t.label for t in open_)} with the stated confidence after "
            f"{cand.n} replications (the interval straddles the bound)"
        )
    if chosen is not None and cand.verdict == "feasible":
        return f"meets every target but costs {currency} {cand.cost - chosen.cost:,.0f} a year more"
    return cand.verdict


def _rows(ev: _Evaluator, cands: list[_Candidate], chosen: _Candidate | None, currency: str) -> pd.DataFrame:
    rows = []
    for c in cands:
        row: dict[str, Any] = {"order": c.order, "phase": c.phase}
        row.update({lv.name: v for lv, v in zip(ev.levers, c.values, strict=True)})
        row["cost_per_year"] = c.cost
        row["replications"] = max((chk.n for chk in c.checks), default=c.n)  # behind the verdict shown
        for t, chk in zip(ev.targets, c.checks, strict=True):
            row[f"{t.label} estimate"] = chk.estimate
            row[f"{t.label} low"] = chk.low
            row[f"{t.label} high"] = chk.high
            row[f"{t.label} verdict"] = chk.verdict
        row["verdict"] = c.verdict
        row["chosen"] = chosen is not None and c.idx == chosen.idx and c.phase != "confirm"
        row["why"] = "the answer" if row["chosen"] else _reason(c, ev.targets, chosen, currency)
        rows.append(row)
    return pd.DataFrame(rows)


def _figures(targets: tuple[Target, ...], checks: list[TargetCheck]) -> list[dict[str, Any]]:
    return [
        {
            "target": t.text,
            "measure": t.label,
            "op": t.op,
            "bound": t.bound,
            "confidence": t.confidence,
            "estimate": c.estimate,
            "low": c.low,
            "high": c.high,
            "replications": c.n,
            "verdict": c.verdict,
        }
        for t, c in zip(targets, checks, strict=True)
    ]


def _marginal(ev: _Evaluator, chosen: _Candidate) -> list[dict[str, Any]]:
    """Per lever: the target measures one step above the answer, as paired differences on the same seeds."""
    out = []
    for li, lever in enumerate(ev.levers):
        i = chosen.idx[li]
        entry: dict[str, Any] = {"lever": lever.name, "from": chosen.values[li]}
        if i + 1 >= len(lever.values):
            entry["note"] = "at the top of its range"
            out.append(entry)
            continue
        up = (*chosen.idx[:li], i + 1, *chosen.idx[li + 1 :])
        cand = ev.candidate(up)
        if cand.verdict == "not run":
            ev.order += 1
            cand.order, cand.phase = ev.order, "marginal"
        ev.simulate(cand, chosen.n, ev.seed)
        if cand.verdict == "not run":
            cand.checks = [check_target(np.array(cand.measures[k]), t, len(ev.looks)) for k, t in enumerate(ev.targets)]
            cand.verdict = candidate_verdict(cand.checks)
        entry.update({"to": cand.values[li], "extra_cost_per_year": cand.cost - chosen.cost, "targets": []})
        n = chosen.n
        for k, t in enumerate(ev.targets):
            a = np.array(chosen.measures[k][:n])
            b = np.array(cand.measures[k][:n])
            d = b - a
            d = d[np.isfinite(d)]
            half = float(
                results.t_half_width(np.array([d.std(ddof=1) if len(d) > 1 else np.nan]), np.array([len(d)]))[0]
            )
            entry["targets"].append(
                {
                    "measure": t.label,
                    "at_answer": float(np.nanmean(a)),
                    "one_step_more": float(np.nanmean(b)),
                    "change": float(d.mean()) if len(d) else math.nan,
                    "change_low": float(d.mean() - half) if len(d) else math.nan,
                    "change_high": float(d.mean() + half) if len(d) else math.nan,
                    "replications": int(len(d)),
                }
            )
        out.append(entry)
    return out


def plan_capacity(
    scenario: Scenario,
    levers: list[Lever] | tuple[Lever, ...],
    targets: list[Target] | tuple[Target, ...],
    rates: list[float] | tuple[float, ...],
    settings: PlanSettings | None = None,
    *,
    executor: Executor | None = None,
    workers: int = 1,
    currency: str = "GBP",
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> Plan:
    """The cheapest feasible setting of ``levers`` (unit costs ``rates`` a year) meeting every ``target``.

    ``on_progress(event)`` is called after each candidate's verdict (phase, levers, cost,
    replications, verdict, simulations so far). Raises :class:`PlanError` for a plan that
    cannot be made as asked.
    """
    settings = settings or PlanSettings()
    levers, targets, rates = tuple(levers), tuple(targets), tuple(float(r) for r in rates)
    if not levers:
        raise PlanError("give at least one lever, e.g. --lever MED.beds=140..170")
    if not targets:
        raise PlanError("give at least one target, e.g. --target 'ALL.occupancy_mean/beds<=0.92'")
    if len(rates) != len(levers) or any(not (math.isfinite(r) and r >= 0) for r in rates):
        raise PlanError("every lever needs a cost per unit a year >= 0")
    names = [lv.name for lv in levers]
    if len(set(names)) < len(names):
        raise PlanError(f"a lever is given twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    if settings.search not in ("monotone", "exhaustive"):
        raise PlanError(f"search must be monotone or exhaustive, not {settings.search!r}")
    looks(settings.replications, settings.max_replications)  # checks n0 >= 2 and the cap
    seed = scenario.seed if settings.seed is None else int(settings.seed)
    started = time.perf_counter()
    warmup_note = None
    if scenario.warmup_is_auto:
        choice = choose_warmup(scenario, seed=seed, workers=workers)
        scenario = choice.apply(scenario)
        warmup_note = choice.warmup_days
    for t in targets:
        t.check(scenario)
    own = executor is None
    executor = executor or make_executor(workers)
    try:
        ev = _Evaluator(scenario, levers, targets, rates, settings, seed, executor, on_progress)
        sizes = tuple(len(lv.values) for lv in levers)

        def cost(idx):
            return _cost(rates, tuple(lv.values[i] for lv, i in zip(levers, idx, strict=True)))

        if settings.search == "exhaustive":
            best, log = exhaustive_search(sizes, cost, ev.verdict)
        else:
            best, log = monotone_search(sizes, cost, ev.verdict)
        search_sims = ev.simulations
        chosen = ev.cache[best] if best is not None else None
        top = tuple(s - 1 for s in sizes)
        if chosen is None and top not in ev.cache:
            ev.verdict(top, phase="search")
        confirmation = None
        confirm_cand = None
        if chosen is not None and settings.confirm:
            n_conf = max(chosen.n, 2 * settings.replications)
            measures = ev.simulate(chosen, n_conf, seed + CONFIRM_OFFSET)
            checks = [check_target(np.array(measures[i]), t, 1) for i, t in enumerate(targets)]
            confirmation = {
                "seed": seed + CONFIRM_OFFSET,
                "replications": n_conf,
                "confirmed": all(c.verdict == MEETS for c in checks),
                "figures": _figures(targets, checks),
            }
            confirm_cand = _Candidate(chosen.idx, chosen.values, chosen.cost, chosen.scenario, measures, checks)
            confirm_cand.verdict = candidate_verdict(checks)
            confirm_cand.phase = "confirm"
            ev.order += 1
            confirm_cand.order = ev.order
        marginal = _marginal(ev, chosen) if chosen is not None and settings.marginal else []
    finally:
        if own:
            executor.close()
    tried = sorted((c for c in ev.cache.values() if c.verdict != "not run"), key=lambda c: c.order)
    if confirm_cand is not None:
        tried.append(confirm_cand)
    table = _rows(ev, tried, chosen, currency)
    others = sorted(
        (c for c in ev.cache.values() if c.phase == "search" and c.verdict != "not run" and c is not chosen),
        key=lambda c: (c.cost, c.idx),
    )
    ruled_out = sorted(
        idx
        for idx, ok in log.implied.items()
        if not ok and idx not in log.known and (chosen is None or cost(idx) < chosen.cost)
    )
    grid = int(np.prod(sizes))
    answer: dict[str, Any] = {
        "scenario": scenario.name,
        "package_version": __version__,
        "currency": currency,
        "levers": [
            {
                "name": lv.name,
                "path": list(lv.path),
                "values": list(lv.values),
                "now": lv.current,
                "cost_per_unit_year": r,
            }
            for lv, r in zip(levers, rates, strict=True)
        ],
        "targets": [
            {"target": t.text, "measure": t.label, "op": t.op, "bound": t.bound, "confidence": t.confidence}
            for t in targets
        ],
        "settings": {
            "first_look_replications": settings.replications,
            "max_replications": settings.max_replications,
            "looks": list(ev.looks),
            "seed": seed,
            "search": settings.search,
            "warmup_days_auto": warmup_note,
        },
        "chosen": None,
        "confirmation": confirmation,
        "runners_up": [
            {
                "levers": dict(zip(names, c.values, strict=True)),
                "cost_per_year": c.cost,
                "verdict": c.verdict,
                "why_rejected": _reason(c, targets, chosen, currency),
            }
            for c in others[: settings.runners_up]
        ],
        "ruled_out_without_simulation": len(ruled_out),
        "marginal": marginal,
        "effort": {
            "grid_candidates": grid,
            "candidates_simulated": sum(1 for c in ev.cache.values() if c.phase == "search" and c.verdict != "not run"),
            "search_simulations": search_sims,
            "simulations": ev.simulations,
            "exhaustive_at_least": grid * settings.replications * len({t.window for t in targets}),
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    if chosen is not None:
        answer["chosen"] = {
            "levers": dict(zip(names, chosen.values, strict=True)),
            "cost_per_year": chosen.cost,
            "extra_cost_per_year": chosen.cost - _cost(rates, tuple(lv.current or 0 for lv in levers)),
            "replications": chosen.n,
            "figures": _figures(targets, chosen.checks),
        }
    else:
        top_c = ev.cache[top]
        answer["best_available"] = {
            "levers": dict(zip(names, top_c.values, strict=True)),
            "verdict": top_c.verdict,
            "figures": _figures(targets, top_c.checks),
        }
    answer["search_log"] = {"asked": [list(i) for i in log.asked]} if isinstance(log, SearchLog) else {}
    return Plan(scenario.name, levers, targets, rates, settings, table, answer)
