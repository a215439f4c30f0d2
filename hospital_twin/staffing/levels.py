"""Staffing levels from simulated demand: nurses per unit, shift and weekday at least cost.

The picture: the twin has simulated many weeks of a unit's census (patients per whole
hour, over replications). A ward manager asks how many nurses each shift needs so that
the nurse-to-patient ratio holds in, say, 95% of the hours. Every simulated hour is one
*sample*: at the hour's census ``c`` (acuity-weighted where patient classes carry an
``acuity``), a shift with ``n`` nurses meets the ratio when ``n >= ceil(c / ratio)``,
the hour's *need*.

Sample average approximation (SAA): choose integer nurses ``n_s`` for each stratum
``s`` = (unit, shift, weekday) and a binary ``covered`` indicator per hour-sample,
``covered => n_s >= need``, with the share of covered samples in each pool at least the
service level, minimising nurse-hours (``n_s`` x shift length). Samples of one stratum
with the same need are interchangeable, so they share one indicator weighted by their
count: an exact aggregation that keeps the CP-SAT model small (strata x distinct needs).
The pool decides where the service level must hold:

- ``"stratum"``: in every unit, shift and weekday (the SAA then equals the per-stratum
  quantile rule, :func:`quantile_levels`);
- ``"shift"`` (default): over all hours of each unit and shift type across the week, so
  the solver may staff a quiet weekday a little below its own quantile and a busy one
  above it;
- ``"unit"``: over all shift-hours of a unit.

A pooled constraint alone would happily leave one weekday's shift unstaffed (one day
in seven is 14% of the hours); ``stratum_floor`` (by default the ``min`` level) must
also hold in every stratum. The rule is feasible for every pool and floor, so the SAA
optimum never costs more than the rule. ``min`` levels meet the lower service level
(0.80 by default) in every stratum, never above the ``target`` levels.

The two promises differ: the rule promises the service level in *every* stratum, the
SAA only pooled (plus the floor per stratum), so part of the SAA's saving against the rule
is the weaker promise. :func:`same_promise_levels` is the rule with the SAA's promise (one
common per-stratum quantile per pool, the lowest that meets the level pooled, never below
the floor); the saving against it is the optimisation's own. In-sample figures (measured on
the samples the SAA optimised) are optimistic; :func:`with_out_of_sample` adds the same
figures on fresh replications (:func:`evaluate_levels`, pooled and per stratum).
:func:`requirements` spreads the weekday levels over a period of dates and splits them by
skill (:class:`SkillMix`) into the table ``build_roster`` takes.

Pure: DataFrames and scenarios in, DataFrames out. Imports no CLI, no files.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from hospital_twin.scenario.schema import Scenario

__all__ = [
    "POOLS",
    "REQUIREMENT_COLUMNS",
    "WEEKDAYS",
    "SkillMix",
    "StaffingLevels",
    "EVALUATION_COLUMNS",
    "LEVEL_SETS",
    "coverage",
    "evaluate_levels",
    "level_cost_h",
    "need_samples",
    "quantile_levels",
    "requirements",
    "saa_levels",
    "same_promise_levels",
    "shift_hours",
    "shift_of_hours",
    "staffing_levels",
    "unit_ratios",
    "with_out_of_sample",
    "workload",
]

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
REQUIREMENT_COLUMNS = ["date", "unit", "shift", "skill", "min", "target"]
Pool = Literal["stratum", "shift", "unit"]
POOLS: dict[str, tuple[str, ...]] = {
    "shift": ("unit", "shift"),
    "unit": ("unit",),
    "stratum": ("unit", "shift", "weekday"),
}
"""Columns that group hour-samples into one service-level constraint."""
_STRATUM = ["unit", "shift", "weekday"]


# --------------------------------------------------------------------------- shifts and samples
def shift_hours(scenario: Scenario) -> dict[str, float]:
    """Length of each scenario shift in hours (a shift may cross midnight)."""
    out = {}
    for name, sh in scenario.shifts.items():
        length = (sh.end_h - sh.start_h) % 24
        out[name] = length if length > 0 else 24.0
    return out


def shift_of_hours(scenario: Scenario, time_h: np.ndarray) -> pd.DataFrame:
    """The shift on duty at each simulation time: ``shift``, ``shift_date`` (the date it began), ``weekday`` (0 = Monday).

    A shift owns its start instant and not its end (at 07:30 the day shift is on).
    """
    if not scenario.shifts:
        raise ValueError(f"scenario '{scenario.name}' has no `shifts`; staffing levels are per shift")
    t = np.asarray(time_h, dtype=float)
    origin = scenario.start
    offset_h = origin.hour + origin.minute / 60 + origin.second / 3600
    clock = np.mod(t + offset_h, 24.0)
    lengths = shift_hours(scenario)
    names = np.full(len(t), "", dtype=object)
    back = np.full(len(t), np.nan)
    for name, sh in scenario.shifts.items():
        b = np.mod(clock - sh.start_h, 24.0)
        b = np.where(b > 24 - 1e-7, 0.0, b)
        on = (b < lengths[name] - 1e-7) & np.isnan(back)
        names[on] = name
        back[on] = b[on]
    if np.isnan(back).any():
        raise ValueError("the scenario's shifts do not cover every hour of the day")
    start_abs = np.datetime64(origin.replace(tzinfo=None), "s") + np.round((t - back) * 3600).astype(np.int64).astype(
        "timedelta64[s]"
    )
    dates = start_abs.astype("datetime64[D]")
    weekday = (dates.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday
    return pd.DataFrame({"shift": names, "shift_date": dates.astype(object), "weekday": weekday.astype(np.int64)})


def unit_ratios(scenario: Scenario, ratios: Mapping[str, float] | None = None) -> dict[str, float]:
    """Patients per nurse for each staffed unit: the scenario's ``staffing.units``, overridden by ``ratios``."""
    out = {}
    if scenario.staffing is not None:
        out = {u: float(st.patients_per_nurse) for u, st in scenario.staffing.units.items()}
    for u, r in (ratios or {}).items():
        if u not in scenario.units:
            raise ValueError(f"ratio for unknown unit '{u}' (units: {', '.join(scenario.units)})")
        if not r > 0:
            raise ValueError(f"patients per nurse for '{u}' must be > 0 (got {r})")
        out[u] = float(r)
    if not out:
        raise ValueError(f"scenario '{scenario.name}' has no staffing.units and no ratios were given")
    return out


def workload(scenario: Scenario, census: pd.DataFrame, adt_log: pd.DataFrame | None = None) -> pd.DataFrame:
    """Acuity-weighted patients per unit per whole hour after the warm-up: ``rep, unit, time_h, workload``.

    With every class at acuity 1 this is the census (``hospital_twin.results.census``).
    Otherwise it is counted from the event log (``adt_log``, kept by ``run_scenario``) with
    the census's rule (a stay counts at whole hour ``t`` when ``ceil(start) <= t < ceil(end)``)
    on times rounded to the second, weighting each stay by its class's ``acuity``.
    """
    lo, hi = scenario.warmup_h, scenario.end_h
    acuity = {c: pc.acuity for c, pc in scenario.patient_classes.items()}
    if all(a == 1.0 for a in acuity.values()):
        w = census[(census["time_h"] >= lo) & (census["time_h"] < hi)]
        out = w[["rep", "unit", "time_h"]].copy()
        out["unit"] = out["unit"].astype(str)
        out["workload"] = w["occupied"].to_numpy(dtype=float)
        return out.reset_index(drop=True)
    if adt_log is None:
        raise ValueError("patient classes carry acuity weights: the event log is needed (run with keep_log=True)")
    origin = pd.Timestamp(scenario.start)
    grid = np.arange(math.ceil(lo - 1e-9), math.floor(hi - 1e-9) + 1, dtype=float)
    grid = grid[grid < hi]
    start_h = ((adt_log["start"] - origin) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    end_h = ((adt_log["end"] - origin) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    end_h = np.where(np.isnan(end_h), np.inf, end_h)
    weight = adt_log["patient_class"].astype(str).map(lambda c: acuity.get(c, 1.0)).to_numpy(dtype=float)
    i0 = np.ceil(start_h - 1e-12)
    i1 = np.ceil(end_h - 1e-12)
    frames = []
    reps = adt_log["rep"].to_numpy()
    units = adt_log["unit"].astype(str).to_numpy()
    g0, n = grid[0] if len(grid) else 0.0, len(grid)
    for rep in np.unique(census["rep"]):
        for unit in pd.unique(census["unit"].astype(str)):
            m = (reps == rep) & (units == unit)
            a = np.clip(i0[m] - g0, 0, n).astype(np.int64)
            b = np.clip(i1[m] - g0, 0, n).astype(np.int64)
            diff = np.zeros(n + 1)
            np.add.at(diff, a, weight[m])
            np.add.at(diff, b, -weight[m])
            frames.append(pd.DataFrame({"rep": rep, "unit": unit, "time_h": grid, "workload": np.cumsum(diff)[:n]}))
    return pd.concat(frames, ignore_index=True)


def need_samples(scenario: Scenario, load: pd.DataFrame, ratios: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Hour-samples grouped by the nurses they need: ``unit, shift, weekday, need, count``.

    ``need = ceil(workload / patients_per_nurse)``; only units with a ratio are kept.
    """
    r = unit_ratios(scenario, ratios)
    load = load[load["unit"].isin(list(r))]
    if load.empty:
        raise ValueError("no hour-samples for the staffed units after the warm-up")
    sh = shift_of_hours(scenario, load["time_h"].to_numpy())
    ratio = load["unit"].map(r).to_numpy(dtype=float)
    need = np.ceil(load["workload"].to_numpy(dtype=float) / ratio - 1e-9).clip(min=0).astype(np.int64)
    df = pd.DataFrame(
        {
            "unit": load["unit"].to_numpy(),
            "shift": sh["shift"].to_numpy(),
            "weekday": sh["weekday"].to_numpy(),
            "need": need,
        }
    )
    return df.groupby(_STRATUM + ["need"], sort=True).size().rename("count").reset_index()


# --------------------------------------------------------------------------- the rule and the SAA
def _required_count(n: int, level: float) -> int:
    return math.ceil(level * n - 1e-9)


def quantile_levels(samples: pd.DataFrame, service_level: float) -> pd.DataFrame:
    """The per-stratum quantile rule: the fewest nurses meeting the need in ``service_level`` of each stratum's hours."""
    _check_level(service_level)
    rows = []
    for key, g in samples.groupby(_STRATUM, sort=True):
        g = g.sort_values("need")
        need_covered = _required_count(int(g["count"].sum()), service_level)
        cum = g["count"].cumsum().to_numpy()
        k = int(np.searchsorted(cum, need_covered))
        n = int(g["need"].to_numpy()[min(k, len(g) - 1)]) if need_covered > 0 else 0
        rows.append((*key, n))
    return pd.DataFrame(rows, columns=_STRATUM + ["nurses"])


def same_promise_levels(
    samples: pd.DataFrame, service_level: float, floor: float, pool: Pool = "shift", tol: float = 1e-6
) -> pd.DataFrame:
    """The quantile rule with the SAA's promise: ``service_level`` pooled, ``floor`` in every stratum.

    In each pool every stratum takes its own quantile at one common level ``q`` in
    ``[floor, service_level]``: the lowest ``q`` whose levels meet ``service_level`` over the
    pool's hour-samples (found by bisection to ``tol``; coverage never falls as ``q`` rises, and
    ``q = service_level`` always meets it). Returns ``unit, shift, weekday, nurses`` with
    ``attrs["q"]`` (pool key -> ``q``).
    """
    _check_level(service_level)
    _check_level(floor)
    if floor > service_level:
        raise ValueError(f"stratum floor {floor} is above the service level {service_level}")
    keys = list(POOLS[pool])
    frames, chosen = [], {}
    for key, g in samples.groupby(keys, sort=True):
        total = int(g["count"].sum())

        def meets(q: float, g=g, total=total) -> bool:
            return int(coverage(quantile_levels(g, q), g, by=tuple(keys))["covered"].sum()) >= _required_count(
                total, service_level
            )

        lo, hi = floor, service_level
        if meets(lo):
            hi = lo
        while hi - lo > tol:
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if meets(mid) else (mid, hi)
        chosen[key if isinstance(key, tuple) else (key,)] = hi
        frames.append(quantile_levels(g, hi))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["q"] = {" ".join(str(k) for k in key): q for key, q in chosen.items()}
    return out


def _check_level(level: float) -> None:
    if not 0 < level <= 1:
        raise ValueError(f"a service level is a share of hours in (0, 1] (got {level})")


@dataclass(frozen=True)
class _Solve:
    levels: pd.DataFrame
    status: str
    objective_h: float
    bound_h: float


def saa_levels(
    samples: pd.DataFrame,
    cost_h: Mapping[str, float],
    service_level: float,
    *,
    pool: Pool = "shift",
    stratum_floor: float | None = None,
    upper: pd.DataFrame | None = None,
    time_limit_s: float = 10.0,
    workers: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """Cheapest nurses per stratum meeting ``service_level`` of the hour-samples in each pool (CP-SAT).

    Parameters
    ----------
    samples : DataFrame
        ``unit, shift, weekday, need, count`` from :func:`need_samples`.
    cost_h : mapping
        Nurse-hours of one nurse on each shift (:func:`shift_hours`).
    service_level : float
        Share of hour-samples of each pool in which the ratio must hold.
    pool : {"stratum", "shift", "unit"}
        Where the service level must hold (see the module docstring).
    stratum_floor : float, optional
        A lower service level that must also hold in every stratum, so that a pooled
        constraint cannot leave one weekday's shift nearly unstaffed.
    upper : DataFrame, optional
        ``unit, shift, weekday, nurses`` caps (e.g. the target levels when solving ``min``).

    Returns
    -------
    DataFrame
        ``unit, shift, weekday, nurses`` with ``attrs["status"]`` (per unit: OPTIMAL, or the
        rule's levels when the solver did not prove a cheaper solution in time).
    """
    _check_level(service_level)
    if stratum_floor is not None:
        _check_level(stratum_floor)
        if stratum_floor > service_level:
            raise ValueError(f"stratum floor {stratum_floor} is above the service level {service_level}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(POOLS)} (got {pool!r})")
    frames, status = [], {}
    for unit, g in samples.groupby("unit", sort=True):
        up = None if upper is None else upper[upper["unit"] == unit]
        res = _solve_unit(g, cost_h, service_level, pool, stratum_floor, up, time_limit_s, workers, seed)
        frames.append(res.levels)
        status[str(unit)] = {"status": res.status, "cost_h": res.objective_h, "bound_h": res.bound_h}
    out = pd.concat(frames, ignore_index=True)
    out.attrs["status"] = status
    return out


def _solve_unit(g, cost_h, level, pool, floor, upper, time_limit_s, workers, seed) -> _Solve:
    from ortools.sat.python import cp_model

    strata = sorted({tuple(k) for k in g[_STRATUM].itertuples(index=False, name=None)})
    caps = {}
    if upper is not None:
        caps = {(r.unit, r.shift, int(r.weekday)): int(r.nurses) for r in upper.itertuples(index=False)}
    minutes = {s: round(60 * cost_h[s]) for s in cost_h}
    m = cp_model.CpModel()
    n_var, covered_terms = {}, {}
    by_stratum = {k: sub.sort_values("need") for k, sub in g.groupby(_STRATUM, sort=True)}
    for s in strata:
        sub = by_stratum[s]
        needs = sub["need"].to_numpy()
        counts = sub["count"].to_numpy()
        ub = int(needs.max())
        if s in caps:
            ub = min(ub, caps[s])
        n = m.new_int_var(0, ub, f"n[{s}]")
        n_var[s] = n
        terms: list = [int(counts[needs == 0].sum())]
        prev = None
        for need, cnt in zip(needs, counts, strict=True):
            if need == 0 or need > ub:
                continue
            y = m.new_bool_var(f"covered[{s},{need}]")  # all hour-samples of s needing `need` nurses
            m.add(n >= int(need)).only_enforce_if(y)
            if prev is not None:
                m.add_implication(y, prev)  # covering a higher need covers the lower ones
            prev = y
            terms.append(int(cnt) * y)
        covered_terms[s] = terms
    keys = POOLS[pool]
    idx = {c: i for i, c in enumerate(_STRATUM)}
    groups: dict[tuple, list] = {}
    for s in strata:
        groups.setdefault(tuple(s[idx[c]] for c in keys), []).append(s)
    for members in groups.values():
        total = int(sum(by_stratum[s]["count"].sum() for s in members))
        m.add(sum(t for s in members for t in covered_terms[s]) >= _required_count(total, level))
    if floor is not None and pool != "stratum":
        for s in strata:
            m.add(sum(covered_terms[s]) >= _required_count(int(by_stratum[s]["count"].sum()), floor))
    m.minimize(sum(minutes[s[1]] * n_var[s] for s in strata))
    rule = quantile_levels(g, level)
    rule_n = {(r.unit, r.shift, int(r.weekday)): int(r.nurses) for r in rule.itertuples(index=False)}
    for s in strata:
        m.add_hint(n_var[s], min(rule_n[s], caps.get(s, rule_n[s])))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    code = solver.solve(m)
    name = solver.status_name(code)
    rule_cost = sum(minutes[s[1]] * rule_n[s] for s in strata) / 60
    rule_ok = not caps or all(rule_n[s] <= caps.get(s, rule_n[s]) for s in strata)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (
        not rule_ok or solver.objective_value / 60 <= rule_cost + 1e-9
    ):
        chosen = {s: int(solver.value(n_var[s])) for s in strata}
        obj, bound = solver.objective_value / 60, solver.best_objective_bound / 60
    elif rule_ok:
        chosen, obj, bound, name = (
            rule_n,
            rule_cost,
            (solver.best_objective_bound / 60 if code != cp_model.UNKNOWN else math.nan),
            f"RULE ({name})",
        )
    else:
        raise RuntimeError(f"staffing SAA for unit {strata[0][0]}: no solution within {time_limit_s} s ({name})")
    levels = pd.DataFrame([(*s, chosen[s]) for s in strata], columns=_STRATUM + ["nurses"])
    return _Solve(levels, name, float(obj), float(bound))


# --------------------------------------------------------------------------- evaluation
def coverage(levels: pd.DataFrame, samples: pd.DataFrame, by: tuple[str, ...] = ("unit", "shift")) -> pd.DataFrame:
    """Share of hour-samples in which ``levels`` (``unit, shift, weekday, nurses``) meet the need, grouped ``by``.

    Strata missing from ``levels`` count as staffed with zero nurses.
    """
    df = samples.merge(levels[_STRATUM + ["nurses"]], on=_STRATUM, how="left")
    df["nurses"] = df["nurses"].fillna(0)
    df["covered"] = np.where(df["need"] <= df["nurses"], df["count"], 0)
    agg = df.groupby(list(by), sort=True)[["covered", "count"]].sum().reset_index()
    agg["service_level"] = agg["covered"] / agg["count"]
    return agg.rename(columns={"count": "hours"})[list(by) + ["hours", "covered", "service_level"]]


def level_cost_h(levels: pd.DataFrame, cost_h: Mapping[str, float], column: str = "nurses") -> float:
    """Nurse-hours of one week of ``levels`` (one shift per stratum)."""
    return float((levels[column] * levels["shift"].map(cost_h)).sum())


EVALUATION_COLUMNS = ["sample", "levels", "scope", "unit", "shift", "weekday", "hours", "covered", "service_level"]
"""Columns of :func:`evaluate_levels`: ``scope`` is ``pool`` (grouped by the pool's columns, the others
empty) or ``stratum`` (unit, shift, weekday); ``sample`` is ``in`` or ``out`` (of sample)."""
LEVEL_SETS = ("target", "min", "rule_target", "rule_same_promise", "rule_floor")


def evaluate_levels(
    levels: pd.DataFrame, samples: pd.DataFrame, pool: Pool, sample: str, columns: tuple[str, ...] = LEVEL_SETS
) -> pd.DataFrame:
    """Met share of ``samples`` for each level column of ``levels``, pooled and per stratum (:data:`EVALUATION_COLUMNS`)."""
    frames = []
    for col in columns:
        if col not in levels.columns:
            continue
        lv = levels.rename(columns={col: "nurses"})
        for scope, by in (("pool", POOLS[pool]), ("stratum", tuple(_STRATUM))):
            c = coverage(lv, samples, by=by)
            for k in _STRATUM:
                if k not in c.columns:
                    c[k] = None
            c["sample"], c["levels"], c["scope"] = sample, col, scope
            frames.append(c[EVALUATION_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    out["weekday"] = out["weekday"].astype("Int64")
    return out


# --------------------------------------------------------------------------- levels and requirements
@dataclass(frozen=True)
class SkillMix:
    """Skills on a shift, from the nurses the ratio needs.

    ``ratio_skill`` carries the nurse-to-patient ratio. ``in_charge`` names skills held by
    some of those nurses (e.g. ``{"NIC": 1}``: one nurse in charge per shift, who counts
    towards the ratio, so the ``ratio_skill`` rows are reduced by as many).
    ``per_ratio_nurse`` adds staff who do not count towards the ratio, per ratio nurse,
    rounded up (``{"HCA": 0.5}``: one healthcare assistant per two nurses).
    """

    ratio_skill: str = "RN"
    per_ratio_nurse: Mapping[str, float] = field(default_factory=dict)
    in_charge: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for skill, k in self.per_ratio_nurse.items():
            if skill == self.ratio_skill or skill in self.in_charge:
                raise ValueError(f"skill mix: '{skill}' counts towards the ratio; per-nurse skills are the others")
            if not (k >= 0 and math.isfinite(k)):
                raise ValueError(f"skill mix: {skill} per {self.ratio_skill} must be a number >= 0 (got {k})")
        for skill, k in self.in_charge.items():
            if skill == self.ratio_skill:
                raise ValueError(f"skill mix: '{skill}' is the ratio skill; in-charge skills are the others")
            if not (isinstance(k, int) and k >= 0):
                raise ValueError(f"skill mix: {skill} in charge per shift must be a whole number >= 0 (got {k})")

    @property
    def ratio_skills(self) -> set[str]:
        """Skills whose rostered staff count as nurses against the ratio."""
        return {self.ratio_skill, *self.in_charge}

    def split(self, nurses: int) -> dict[str, int]:
        """Staff of each skill when ``nurses`` nurses count towards the ratio."""
        left = int(nurses)
        out: dict[str, int] = {}
        for skill, k in self.in_charge.items():
            out[skill] = min(k, left)
            left -= out[skill]
        out = {self.ratio_skill: left, **out}
        for skill, k in self.per_ratio_nurse.items():
            out[skill] = math.ceil(k * nurses - 1e-9)
        return out


@dataclass(frozen=True)
class StaffingLevels:
    """Nurses of the ratio skill per unit, shift and weekday, with how they were found.

    ``levels``: ``unit, shift, weekday, min, target, rule_target, rule_same_promise, rule_floor,
    shift_h`` (``rule_target``: the quantile rule at the service level in every stratum;
    ``rule_same_promise``: :func:`same_promise_levels`; ``rule_floor``: the rule at the floor
    alone); ``coverage``: in-sample service level of each pool (``min``, ``target`` and the
    rule's); ``cost_h``: nurse-hours per week of each level column. ``evaluation``: met shares
    pooled and per stratum (:data:`EVALUATION_COLUMNS`), in sample, and out of sample once
    :func:`with_out_of_sample` has added them (``out_of_sample`` then says on what).
    """

    levels: pd.DataFrame
    coverage: pd.DataFrame
    cost_h: dict[str, float]
    service_level: float
    min_level: float
    pool: str
    stratum_floor: float
    status: dict
    evaluation: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EVALUATION_COLUMNS))
    out_of_sample: dict | None = None

    def met(self, sample: str, levels: str = "target", scope: str = "pool") -> pd.DataFrame:
        """Rows of :attr:`evaluation` for one sample (``in``/``out``), level column and scope."""
        e = self.evaluation
        return e[(e["sample"] == sample) & (e["levels"] == levels) & (e["scope"] == scope)].reset_index(drop=True)

    def pooled_share(self, sample: str, levels: str = "target") -> float:
        """Met share over every hour-sample of every unit (NaN without that sample)."""
        e = self.met(sample, levels, "pool")
        return float(e["covered"].sum() / e["hours"].sum()) if len(e) and e["hours"].sum() else math.nan


def with_out_of_sample(levels: StaffingLevels, samples: pd.DataFrame, **provenance) -> StaffingLevels:
    """``levels`` with their met shares on fresh hour-samples (``need_samples`` of independent replications).

    ``provenance`` (e.g. ``replications``, ``seed``) is kept in ``out_of_sample`` with the pooled
    shares; strata absent from ``samples`` are not evaluated.
    """
    from dataclasses import replace

    ev = evaluate_levels(levels.levels, samples, levels.pool, "out")  # type: ignore[arg-type]
    both = pd.concat([levels.evaluation[levels.evaluation["sample"] != "out"], ev], ignore_index=True)
    out = replace(levels, evaluation=both)
    info = dict(provenance)
    info["hours"] = int(samples["count"].sum())
    info["met_pooled"] = {c: out.pooled_share("out", c) for c in LEVEL_SETS if c in levels.levels.columns}
    return replace(out, out_of_sample=info)


def staffing_levels(
    scenario: Scenario,
    load: pd.DataFrame,
    *,
    service_level: float = 0.95,
    min_level: float = 0.80,
    pool: Pool = "shift",
    stratum_floor: float | None = None,
    ratios: Mapping[str, float] | None = None,
    time_limit_s: float = 10.0,
    workers: int = 1,
) -> StaffingLevels:
    """SAA staffing levels from simulated hourly workload (:func:`workload`).

    ``target`` meets ``service_level`` in each ``pool`` and ``stratum_floor`` (default:
    ``min_level``) in every unit, shift and weekday; ``min`` meets ``min_level`` in every
    unit, shift and weekday and never exceeds ``target``.
    """
    _check_level(service_level)
    _check_level(min_level)
    if min_level > service_level:
        raise ValueError(f"min level {min_level} is above the service level {service_level}")
    floor = min_level if stratum_floor is None else stratum_floor
    _check_level(floor)
    if floor < min_level:
        # `min` meets min_level in every stratum without exceeding `target`: a target with a lower floor
        # may leave no such level (the min solve would then be infeasible)
        raise ValueError(
            f"stratum floor {floor} is below the min level {min_level}: the target must meet "
            "the min level in every unit, shift and weekday"
        )
    samples = need_samples(scenario, load, ratios)
    cost = shift_hours(scenario)
    target = saa_levels(
        samples, cost, service_level, pool=pool, stratum_floor=floor, time_limit_s=time_limit_s, workers=workers
    )
    low = saa_levels(samples, cost, min_level, pool="stratum", upper=target, time_limit_s=time_limit_s, workers=workers)
    rule = quantile_levels(samples, service_level)
    same = same_promise_levels(samples, service_level, floor, pool)
    at_floor = quantile_levels(samples, floor)
    levels = (
        target.rename(columns={"nurses": "target"})
        .merge(low.rename(columns={"nurses": "min"}), on=_STRATUM)
        .merge(rule.rename(columns={"nurses": "rule_target"}), on=_STRATUM)
        .merge(same.rename(columns={"nurses": "rule_same_promise"}), on=_STRATUM)
        .merge(at_floor.rename(columns={"nurses": "rule_floor"}), on=_STRATUM)
    )
    levels["shift_h"] = levels["shift"].map(cost)
    levels = levels[_STRATUM + ["min", "target", "rule_target", "rule_same_promise", "rule_floor", "shift_h"]]
    by = POOLS[pool]
    cov = []
    for col in ("min", "target", "rule_target"):
        c = coverage(levels.rename(columns={col: "nurses"}), samples, by=by)
        c.insert(0, "levels", col)
        cov.append(c)
    return StaffingLevels(
        levels=levels,
        coverage=pd.concat(cov, ignore_index=True),
        cost_h={c: level_cost_h(levels, cost, c) for c in LEVEL_SETS},
        service_level=service_level,
        min_level=min_level,
        pool=pool,
        stratum_floor=floor,
        status={
            "target": target.attrs.get("status", {}),
            "min": low.attrs.get("status", {}),
            "rule_same_promise_q": same.attrs["q"],
        },
        evaluation=evaluate_levels(levels, samples, pool, "in"),
    )


def requirements(
    levels: pd.DataFrame, start_date: dt.date, weeks: int, skill_mix: SkillMix | None = None
) -> pd.DataFrame:
    """Cover requirements ``date, unit, shift, skill, min, target`` for ``weeks`` weeks from ``start_date``.

    Each date takes its weekday's levels (``unit, shift, weekday, min, target``); every
    skill of ``skill_mix`` gets its own rows. Ready for ``hospital_twin.roster.model.build_roster``.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1 (got {weeks})")
    mix = skill_mix or SkillMix()
    rows = []
    lv = levels.sort_values(["unit", "shift", "weekday"])
    by_weekday = {wd: g for wd, g in lv.groupby("weekday")}  # noqa: C416 - dict(groupby) calls its .keys, a str
    for k in range(7 * weeks):
        day = start_date + dt.timedelta(days=k)
        g = by_weekday.get(day.weekday())
        if g is None:
            continue
        for r in g.itertuples(index=False):
            lo, hi = mix.split(int(r.min)), mix.split(int(r.target))
            for skill in lo:
                rows.append((day, r.unit, r.shift, skill, lo[skill], hi[skill]))
    out = pd.DataFrame(rows, columns=REQUIREMENT_COLUMNS)
    out["min"] = out["min"].astype(np.int64)
    out["target"] = out["target"].astype(np.int64)
    return out
