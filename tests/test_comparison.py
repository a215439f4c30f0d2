"""Paired comparison: intervals on paired differences, CRN narrowing, Bonferroni, the CLI verb."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hospital_twin.cli import main
from hospital_twin.experiment.comparison import independent_interval_ratio, paired_differences
from hospital_twin.experiment.runner import run_scenario
from tests.conftest import SCENARIOS, make


def _kpis(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [(s, r, "m", "ALL", v) for s, vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["scenario", "rep", "metric", "unit", "value"])


def test_paired_differences_hand_computed():
    """The interval is the t-interval of the per-replication differences."""
    k = _kpis({"base": [10, 12, 11, 13], "var": [8, 11, 9, 10]})
    c = paired_differences(k, "base").iloc[0]
    d = np.array([-2, -1, -2, -3])
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert c["diff_mean"] == pytest.approx(-2.0)
    assert (c["diff_ci_low"], c["diff_ci_high"]) == pytest.approx((-2 - half, -2 + half))
    assert bool(c["significant"])


def test_paired_differences_bonferroni_widens_for_several_variants():
    """With two variants each interval is at level 1 - 0.05/2."""
    k = _kpis({"base": [10, 12, 11, 13], "a": [8, 11, 9, 10], "b": [10, 13, 11, 13]})
    c = paired_differences(k, "base")
    assert set(c["confidence"]) == {0.975}
    single = paired_differences(k[k["scenario"] != "b"], "base").iloc[0]
    wide = c[c["scenario"] == "a"].iloc[0]
    assert wide["diff_ci_high"] - wide["diff_ci_low"] > single["diff_ci_high"] - single["diff_ci_low"]


def test_paired_differences_crn_narrows_interval():
    """Under common random numbers, the paired interval on a bed change is much narrower than independent runs'."""
    base = make(
        name="base",
        horizon_days=120,
        warmup_days=10,
        units={"WARD": {"beds": 12}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 4.5}],
    )
    more = make(
        name="more",
        horizon_days=120,
        warmup_days=10,
        units={"WARD": {"beds": 13}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 4.5}],
    )
    kpis = pd.concat([run_scenario(s, replications=8, keep_census=False, keep_log=False).kpis for s in (base, more)])
    comp = paired_differences(kpis, "base")
    ratio = independent_interval_ratio(kpis, comp).set_index(["metric", "unit"])["ratio"]
    assert ratio[("occupancy_mean", "WARD")] < 0.5
    # identical arrivals in both scenarios: the difference in arrivals is exactly zero
    arr = comp[(comp["metric"] == "arrivals") & (comp["unit"] == "ALL")].iloc[0]
    assert arr["diff_mean"] == 0 and not arr["significant"]


def test_cli_compare_writes_comparison_csv(tmp_path):
    """compare writes comparison.csv with the contract's columns next to the summary."""
    variant = tmp_path / "icu10.yaml"
    variant.write_text(
        f"extends: {SCENARIOS / 'examples' / 'icu_to_ward.yaml'}\nname: ICU 10\nunits:\n  ICU: {{beds: 10}}\n"
    )
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                str(SCENARIOS / "examples" / "icu_to_ward.yaml"),
                str(variant),
                "--replications",
                "4",
                "--out",
                str(out),
                "-q",
                "--no-report",
            ]
        )
        == 0
    )
    comp = pd.read_csv(out / "comparison.csv")
    assert ["metric", "unit", "scenario", "baseline", "diff_mean", "diff_ci_low", "diff_ci_high", "significant"] == [
        c
        for c in comp.columns
        if c in {"metric", "unit", "scenario", "baseline", "diff_mean", "diff_ci_low", "diff_ci_high", "significant"}
    ]
    wait = comp[(comp["metric"] == "wait_for_bed_mean_h") & (comp["unit"] == "ICU")].iloc[0]
    assert wait["diff_mean"] < 0
    assert set(pd.read_csv(out / "summary.csv")["scenario"]) == {"ICU stepping down to a ward", "ICU 10"}


def test_cli_compare_same_names_is_an_input_error(tmp_path):
    """Two scenarios with one name cannot be told apart: exit 2."""
    f = str(SCENARIOS / "examples" / "icu_to_ward.yaml")
    assert main(["compare", f, f, "--out", str(tmp_path / "x"), "-q"]) == 2


def test_rank_scenarios_orders_and_judges_against_baseline():
    """Scenarios are ranked by mean; better/worse only where the paired interval excludes zero."""
    from hospital_twin.experiment.comparison import rank_scenarios

    k = _kpis({"base": [10, 12, 11, 13], "a": [8, 11, 9, 10], "b": [10.5, 12, 11.2, 12.9]})
    k["metric"] = "wait_for_bed_mean_h"
    r = rank_scenarios(paired_differences(k, "base"))
    assert r["scenario"].tolist() == ["a", "base", "b"]
    a, b = r.set_index("scenario").loc["a"], r.set_index("scenario").loc["b"]
    assert a["better_than_baseline"] and not a["worse_than_baseline"]
    assert not b["better_than_baseline"] and not b["worse_than_baseline"]
