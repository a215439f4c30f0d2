"""Transitions between units: :class:`RouteFit` (counts, probabilities, per class where they differ).

Routes (:class:`RouteFit`)
    Transitions between consecutive stays of an encounter; a closed last stay goes to
    ``exit``; an open last stay is censored and not counted. Transitions counted fewer
    than 5 times are flagged rare; in the scenario, a transition with probability below
    0.01 that also brings less than 2% of the destination's admissions is folded into
    the unit's largest route (never a route to ``exit``, so every unit keeps its way out).
    A class gets its own routes from a unit with >= 200 closed
    stays there, a G-test of homogeneity against the other classes with p < alpha, and
    a total-variation distance of at least 0.02. Classes are tested smallest first, each
    against the classes not yet split off, so the largest class stays on the shorthand
    (the same order decides class-specific stays).

Imports the stays and significance modules; no other fitter. Pure: DataFrames in, a fitted
:class:`RouteFit` (with networkx graphs) out.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.calibration.significance import ALPHA, MIN_CLASS_STAYS, _g_test, _tv
from hospital_twin.calibration.stays import prepare_stays
from hospital_twin.scenario.schema import EXIT

__all__ = ["RouteFit"]


class RouteFit:
    """Transitions between units: counts, probabilities, per class where they differ.

    Attributes
    ----------
    counts_ : DataFrame patient_class, from, to, count (closed stays; open last stays are censored).
    transitions_ : DataFrame from, to, count, p, rare (all classes pooled).
    graph_ : networkx DiGraph of the pooled transitions, edges with ``count``, ``p``, ``rare``.
    class_graphs_ : dict class -> DiGraph of that class's transitions.
    class_tests_ : DataFrame unit, patient_class, n, p, tv, own_route.
    censored_ : dict unit -> open last stays (not counted).
    admissions_ : dict unit -> stays in the unit (for the folding rule).
    folded_ : (class or None, from, to, into, p) of each transition folded by :meth:`scenario_routes`.
    """

    def __init__(
        self,
        *,
        min_class_stays: int = MIN_CLASS_STAYS,
        alpha: float = ALPHA,
        min_tv: float = 0.02,
        rare_count: int = 5,
        min_p: float = 0.01,
        min_inflow_share: float = 0.02,
    ):
        self.min_class_stays = min_class_stays
        self.alpha = alpha
        self.min_tv = min_tv
        self.rare_count = rare_count
        self.min_p = min_p
        self.min_inflow_share = min_inflow_share

    def fit(self, stays: pd.DataFrame) -> RouteFit:
        prep = prepare_stays(stays)
        self.admissions_ = prep.groupby("unit").size().astype(int).to_dict()
        known = prep[prep["next_unit"].notna()]
        self.censored_ = prep[prep["next_unit"].isna()].groupby("unit").size().astype(int).to_dict()
        counts = known.groupby(["patient_class", "unit", "next_unit"], sort=True).size().rename("count").reset_index()
        counts = counts.rename(columns={"unit": "from", "next_unit": "to"})
        self.counts_ = counts
        pooled = counts.groupby(["from", "to"], sort=True)["count"].sum().reset_index()
        pooled["p"] = pooled["count"] / pooled.groupby("from")["count"].transform("sum")
        pooled["rare"] = pooled["count"] < self.rare_count
        self.transitions_ = pooled
        self.graph_ = self._graph(pooled)
        self.class_graphs_ = {}
        for c, rows in counts.groupby("patient_class", sort=True):
            t = rows.groupby(["from", "to"])["count"].sum().reset_index()
            t["p"] = t["count"] / t.groupby("from")["count"].transform("sum")
            t["rare"] = t["count"] < self.rare_count
            self.class_graphs_[str(c)] = self._graph(t)
        tests = []
        for unit, rows in counts.groupby("from", sort=True):
            table = rows.pivot_table(index="patient_class", columns="to", values="count", aggfunc="sum", fill_value=0)
            if len(table) < 2:
                continue
            # smallest class first, each against the classes not yet given their own routes;
            # the last one standing is the unit's shorthand
            own: list[str] = []
            for c in table.sum(axis=1).sort_values(kind="stable").index:
                mine = table.loc[c].to_numpy(float)
                rest = table.drop(index=own + [c]).sum().to_numpy(float)
                n = mine.sum()
                if n < self.min_class_stays or rest.sum() == 0:
                    continue
                cols = (mine + rest) > 0
                obs = np.vstack([mine[cols], rest[cols]])
                if obs.shape[1] < 2:
                    p, tv = 1.0, 0.0
                else:
                    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
                    p = float(stats.chi2.sf(_g_test(obs, exp), obs.shape[1] - 1))
                    tv = _tv(obs[0] / obs[0].sum(), obs[1] / obs[1].sum())
                split = bool(p < self.alpha and tv >= self.min_tv)
                if split:
                    own.append(c)
                tests.append({"unit": unit, "patient_class": str(c), "n": int(n), "p": p, "tv": tv, "own_route": split})
        self.class_tests_ = pd.DataFrame(tests, columns=["unit", "patient_class", "n", "p", "tv", "own_route"])
        self.folded_: list[tuple[str | None, str, str, str, float]] = []
        return self

    @staticmethod
    def _graph(t: pd.DataFrame) -> nx.DiGraph:
        g = nx.DiGraph()
        for r in t.itertuples(index=False):
            g.add_edge(r[0], r[1], count=int(r[2]), p=float(r[3]), rare=bool(r[4]))
        return g

    def own_routes(self) -> dict[str, list[str]]:
        """Class -> units from which it has its own routes."""
        out: dict[str, list[str]] = {}
        for r in self.class_tests_.itertuples(index=False):
            if r.own_route:
                out.setdefault(r.patient_class, []).append(r.unit)
        return out

    def _table(self, counts: pd.DataFrame, who: str | None) -> dict[str, dict[str, float]]:
        routes: dict[str, dict[str, float]] = {}
        for unit, rows in counts.groupby("from", sort=True):
            c = rows.groupby("to")["count"].sum()
            total = c.sum()
            p = (c / total).to_dict()
            largest = max(p, key=lambda k: (p[k], k == EXIT))
            for dest in list(p):
                inflow = c[dest] / max(self.admissions_.get(dest, 1), 1)
                if dest != EXIT and dest != largest and p[dest] < self.min_p and inflow < self.min_inflow_share:
                    self.folded_.append((who, str(unit), str(dest), str(largest), float(p[dest])))
                    p[largest] += p.pop(dest)
            routes[str(unit)] = _round_probs(p)
        return routes

    def scenario_routes(self) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[str, float]]]]:
        """(shorthand routes, per-class routes) for the scenario, rare transitions folded.

        The shorthand for a unit comes from the classes without their own routes there
        (all classes when every one has its own). Units whose patients all leave are omitted
        (no route = leave after the stay).
        """
        self.folded_ = []
        own = self.own_routes()
        counts = self.counts_
        overridden = {(c, u) for c, units in own.items() for u in units}
        pairs = zip(counts["patient_class"], counts["from"], strict=True)
        mask = np.array([(c, u) not in overridden for c, u in pairs], bool)
        rest = counts[mask]
        all_units = set(counts["from"])
        fallback_units = all_units - set(rest["from"])
        base = pd.concat([rest, counts[counts["from"].isin(fallback_units)]])
        shorthand = {u: r for u, r in self._table(base, None).items() if r != {EXIT: 1.0}}
        per_class: dict[str, dict[str, dict[str, float]]] = {}
        for c, units in own.items():
            rows = counts[(counts["patient_class"] == c) & counts["from"].isin(units)]
            per_class[c] = self._table(rows, c)
        return shorthand, per_class


def _round_probs(p: Mapping[str, float], digits: int = 4) -> dict[str, float]:
    """Probabilities rounded, the largest adjusted so that they sum to 1; exit first."""
    items = sorted(p.items(), key=lambda kv: (kv[0] != EXIT, kv[0]))
    r = {k: round(float(v), digits) for k, v in items if round(float(v), digits) > 0}
    if not r:
        r = {max(p, key=p.get): 1.0}
    big = max(r, key=r.get)
    r[big] = round(1.0 - sum(v for k, v in r.items() if k != big), digits + 2)
    return r
