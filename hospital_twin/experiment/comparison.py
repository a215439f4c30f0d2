"""Paired comparison of scenarios run with common random numbers.

Replication ``r`` of every scenario uses the same seed and named streams, so the
difference ``variant_r - baseline_r`` cancels most of the noise the two runs share.
The interval of the mean difference is a t-interval on those paired differences.

Gridlocked replications (``gridlocked`` = 1 in the KPIs, ``results.GRIDLOCK_RULE``) can carry a
difference on their own. For each pair, the replications gridlocked in either scenario are set
aside and the paired comparison is repeated on the others (same interval level); a metric's
difference is ``gridlock_driven`` when some replication gridlocked and either the two scenarios
gridlock in different numbers of replications (the gridlock is then itself a difference between
them, and every mean mixes it in), or the conclusion changes without those replications: the
mean difference changes sign, or the interval excludes 0 with them and not without (or the other
way round), or fewer than 2 replications remain.

With more than one variant, ``familywise=True`` widens each interval by Bonferroni
(level ``1 - alpha / k`` for ``k`` variants), so that all intervals hold together with
probability at least ``1 - alpha``; ``significant`` is then judged on the wider interval.

Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hospital_twin.results import t_half_width

__all__ = [
    "COMPARISON_COLUMNS",
    "RANKING_METRICS",
    "independent_interval_ratio",
    "paired_differences",
    "rank_scenarios",
]

COMPARISON_COLUMNS = [
    "metric",
    "unit",
    "scenario",
    "baseline",
    "scenario_mean",
    "baseline_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "significant",
    "n_reps",
    "confidence",
    "scenario_gridlocked_reps",
    "baseline_gridlocked_reps",
    "diff_mean_without_gridlocked",
    "gridlock_driven",
]


def paired_differences(
    kpis: pd.DataFrame, baseline: str, *, confidence: float = 0.95, familywise: bool = True
) -> pd.DataFrame:
    """Paired differences of every other scenario against ``baseline``.

    ``kpis`` holds ``scenario, rep, metric, unit, value`` for all scenarios. Pairs are
    matched on ``rep``; a replication missing or NaN on either side is left out of that
    metric's pair count.
    """
    names = [s for s in pd.unique(kpis["scenario"]) if s != baseline]
    if baseline not in set(kpis["scenario"]):
        raise ValueError(f"baseline '{baseline}' not among the scenarios")
    level = confidence
    if familywise and len(names) > 1:
        level = 1 - (1 - confidence) / len(names)
    base = kpis[kpis["scenario"] == baseline].set_index(["metric", "unit", "rep"])["value"]
    frames = []
    for name in names:
        var = kpis[kpis["scenario"] == name].set_index(["metric", "unit", "rep"])["value"]
        both = pd.concat({"v": var, "b": base}, axis=1, join="inner").dropna()
        both["d"] = both["v"] - both["b"]
        g = both.groupby(level=["metric", "unit"], sort=False)
        agg = g.agg(
            scenario_mean=("v", "mean"),
            baseline_mean=("b", "mean"),
            diff_mean=("d", "mean"),
            diff_sd=("d", "std"),
            n_reps=("d", "count"),
        ).reset_index()
        half = t_half_width(agg["diff_sd"].fillna(0).to_numpy(), agg["n_reps"].to_numpy(), level)
        agg["diff_ci_low"] = agg["diff_mean"] - half
        agg["diff_ci_high"] = agg["diff_mean"] + half
        agg["significant"] = (agg["diff_ci_low"] > 0) | (agg["diff_ci_high"] < 0)
        agg["scenario"] = name
        agg["baseline"] = baseline
        agg["confidence"] = level
        frames.append(
            _gridlock_columns(agg, both, _gridlocked_reps(kpis, name), _gridlocked_reps(kpis, baseline), level)
        )
    if not frames:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out[COMPARISON_COLUMNS]


def _gridlocked_reps(kpis: pd.DataFrame, scenario: str) -> set:
    """Replications of ``scenario`` flagged ``gridlocked`` (metric on unit ALL); empty without that metric."""
    g = kpis[(kpis["scenario"] == scenario) & (kpis["metric"] == "gridlocked") & (kpis["unit"] == "ALL")]
    return set(g.loc[g["value"] > 0, "rep"])


def _gridlock_columns(agg: pd.DataFrame, both: pd.DataFrame, g_var: set, g_base: set, level: float) -> pd.DataFrame:
    """Add the gridlock columns to one pair's paired differences (see the module's docstring for the rule)."""
    agg["scenario_gridlocked_reps"] = len(g_var)
    agg["baseline_gridlocked_reps"] = len(g_base)
    flagged = g_var | g_base
    if not flagged:
        agg["diff_mean_without_gridlocked"] = agg["diff_mean"]
        agg["gridlock_driven"] = False
        return agg
    clean = both[~both.index.get_level_values("rep").isin(flagged)]
    g = clean.groupby(level=["metric", "unit"], sort=False)["d"].agg(["mean", "std", "count"])
    g = g.reindex(pd.MultiIndex.from_frame(agg[["metric", "unit"]]))
    n = g["count"].fillna(0).to_numpy()
    mean = g["mean"].to_numpy()
    half = t_half_width(g["std"].fillna(0).to_numpy(), n, level)
    sig = ((mean - half) > 0) | ((mean + half) < 0)
    changed = (np.sign(mean) != np.sign(agg["diff_mean"].to_numpy())) | (sig != agg["significant"].to_numpy())
    agg["diff_mean_without_gridlocked"] = mean
    agg["gridlock_driven"] = (len(g_var) != len(g_base)) | (n < 2) | changed
    return agg


def independent_interval_ratio(
    kpis: pd.DataFrame, comparison: pd.DataFrame, *, confidence: float = 0.95
) -> pd.DataFrame:
    """How much narrower the paired interval is than a Welch interval from independent runs.

    Returns ``metric, unit, scenario, paired_half_width, independent_half_width, ratio``;
    a ratio of 0.3 means the paired interval is 30% as wide. The independent interval is
    computed as if the two scenarios' replications had been run with unrelated seeds
    (Welch's t-interval from the two sample variances).
    """
    g = kpis.dropna(subset=["value"]).groupby(["scenario", "metric", "unit"])["value"]
    moments = g.agg(["mean", "var", "count"])
    rows = []
    for r in comparison.itertuples(index=False):
        try:
            a = moments.loc[(r.scenario, r.metric, r.unit)]
            b = moments.loc[(r.baseline, r.metric, r.unit)]
        except KeyError:
            continue
        se2_a, se2_b = a["var"] / a["count"], b["var"] / b["count"]
        se = np.sqrt(se2_a + se2_b)
        if not np.isfinite(se) or se == 0:
            continue
        dof = (se2_a + se2_b) ** 2 / ((se2_a**2) / (a["count"] - 1) + (se2_b**2) / (b["count"] - 1))
        ind_half = stats.t.ppf(0.5 + r.confidence / 2, dof) * se
        paired_half = (r.diff_ci_high - r.diff_ci_low) / 2
        rows.append((r.metric, r.unit, r.scenario, paired_half, ind_half, paired_half / ind_half))
    return pd.DataFrame(
        rows, columns=["metric", "unit", "scenario", "paired_half_width", "independent_half_width", "ratio"]
    )


RANKING_METRICS: tuple[tuple[str, str], ...] = (
    ("wait_for_bed_mean_h", "ALL"),
    ("wait_for_bed_p95_h", "ALL"),
    ("ed_4h_breach_share", "ED"),
    ("ed_boarding_mean_h", "ED"),
    ("cancelled", "ALL"),
    ("blocked_bed_hours", "ALL"),
)
"""KPIs (all lower-is-better) by which ``rank_scenarios`` orders the scenarios of a comparison."""


def rank_scenarios(comparison: pd.DataFrame, metrics=RANKING_METRICS) -> pd.DataFrame:
    """Scenarios ranked per KPI (1 = lowest), baseline included.

    ``better_than_baseline`` / ``worse_than_baseline`` are judged on the (Bonferroni-adjusted)
    paired intervals of ``comparison``, so together they hold with at least the comparison's
    familywise confidence; scenarios whose interval includes zero are not distinguishable from
    the baseline. Columns: ``metric, unit, rank, scenario, is_baseline, mean, diff_mean,
    diff_ci_low, diff_ci_high, better_than_baseline, worse_than_baseline``.
    """
    rows = []
    for metric, unit in metrics:
        c = comparison[(comparison["metric"] == metric) & (comparison["unit"] == unit)]
        if c.empty:
            continue
        base = c.iloc[0]
        entries = [(base["baseline"], base["baseline_mean"], 0.0, 0.0, 0.0)]
        entries += [(r.scenario, r.scenario_mean, r.diff_mean, r.diff_ci_low, r.diff_ci_high) for r in c.itertuples()]
        entries.sort(key=lambda e: e[1])
        for k, (name, mean, d, lo, hi) in enumerate(entries, start=1):
            rows.append((metric, unit, k, name, name == base["baseline"], mean, d, lo, hi, bool(hi < 0), bool(lo > 0)))
    return pd.DataFrame(
        rows,
        columns=[
            "metric",
            "unit",
            "rank",
            "scenario",
            "is_baseline",
            "mean",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
            "better_than_baseline",
            "worse_than_baseline",
        ],
    )
