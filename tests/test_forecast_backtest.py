"""The forecaster's back-test: cut points, scores against hand-computed values, and a small run end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hospital_twin.live.backtest import (
    HORIZONS_H,
    METHODS,
    backtest,
    cut_points,
    pit_histogram,
    score_errors,
)
from hospital_twin.scenario.io import load_scenario
from tests.conftest import SCENARIOS
from tests.helpers import seed


def test_cut_points_walk_through_every_clock_hour():
    """Cuts are every 72 h plus 5 more clock hours each time: 24 cuts cover the 24 hours of the day once."""
    first = pd.Timestamp("2025-02-03T00:30")
    cuts = cut_points(first, 24)
    assert cuts[0] == pd.Timestamp("2025-02-03T00:00") and len(cuts) == 24
    assert sorted(c.hour for c in cuts) == list(range(24))
    gaps = np.diff([c.value for c in cuts]) / 3.6e12
    assert (gaps >= 72 - 19).all() and (gaps <= 72 + 5).all()


def _errors(method: str, census: list[int], mean: list[float], lo: list[float], hi: list[float]) -> pd.DataFrame:
    n = len(census)
    c, m = np.array(census, float), np.array(mean)
    return pd.DataFrame(
        {
            "cut": pd.date_range("2025-01-01", periods=n, freq="3D"),
            "method": method,
            "time": pd.NaT,
            "horizon_h": 24,
            "unit": "WARD",
            "census": c,
            "mean": m,
            "p05": lo,
            "p50": m,
            "p95": hi,
            "error": m - c,
            "abs_error": np.abs(m - c),
            "covered": (np.array(lo) <= c) & (c <= np.array(hi)),
            "pit": np.linspace(0.0, 1.0, n),
            "mad": 1.0,
        }
    )


def test_score_errors_by_hand():
    """Coverage, MAE, bias and the ratio to persistence come out as computed by hand."""
    e = pd.concat(
        [
            _errors("warm_start", [10, 12, 14, 16], [11, 12, 13, 18], [9, 10, 13, 17], [13, 14, 15, 19]),
            _errors("persistence", [10, 12, 14, 16], [14, 14, 14, 14], [14] * 4, [14] * 4),
        ]
    )
    s = score_errors(e).set_index("method")
    assert s.loc["warm_start", "coverage_90"] == 0.75  # 16 is outside [17, 19]
    assert s.loc["warm_start", "pit_coverage_90"] == 0.5  # PIT 0, 1/3, 2/3, 1: two inside [0.05, 0.95]
    assert s.loc["warm_start", "mae"] == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert s.loc["warm_start", "bias"] == pytest.approx((1 + 0 - 1 + 2) / 4)
    assert s.loc["persistence", "mae"] == pytest.approx((4 + 2 + 0 + 2) / 4)
    assert s.loc["warm_start", "mae_vs_persistence"] == pytest.approx(1.0 / 2.0)
    assert s.loc["warm_start", "expected_mae"] == 1.0 and s.loc["warm_start", "n"] == 4
    assert list(s.index) == ["warm_start", "persistence"]  # METHODS order


def test_pit_histogram_of_uniform_values_is_flat():
    """Evenly spread PIT values give every bin the same share; the shares sum to 1."""
    e = _errors("warm_start", [1] * 10, [1.0] * 10, [0] * 10, [2] * 10)
    h = pit_histogram(e, bins=5)
    assert h["share"].tolist() == [0.2] * 5 and h["n"].iloc[0] == 10


@pytest.mark.slow
def test_small_backtest_on_icu_to_ward_has_the_table_shape_and_sensible_values():
    """A small back-test: every method, horizon and unit scored; hour 0 exact; the warm start beats fresh stays."""
    s = load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml")
    bt = backtest(s, cuts=16, replications=40, seed=seed(3), workers=2)
    sc = bt.scores
    assert len(sc) == len(METHODS) * len(HORIZONS_H) * 3 and set(sc["unit"]) == {"ICU", "WARD", "ALL"}
    assert (sc["n"] == 16).all() and len(bt.cuts) == 16
    h0 = sc[sc["horizon_h"] == 0]
    assert (h0["mae"] == 0).all() and (h0["coverage_90"] == 1).all()
    w = sc[sc["method"] == "warm_start"].set_index(["unit", "horizon_h"])
    f = sc[sc["method"] == "fresh_stays"].set_index(["unit", "horizon_h"])
    later = [(u, k) for u in ("WARD", "ALL") for k in (24, 48, 72)]
    # fresh stays keep long-stay ward patients too long: biased upwards, worse than the warm start
    assert (f.loc[later, "bias"] > w.loc[later, "bias"]).all()
    assert f.loc[later, "mae"].sum() > w.loc[later, "mae"].sum()
    assert w.loc[[(u, k) for u in ("ICU", "WARD", "ALL") for k in (24, 48, 72)], "coverage_90"].mean() > 0.75
    pit = bt.pit[(bt.pit["method"] == "warm_start") & (bt.pit["unit"] == "ALL")]
    assert len(pit) == 10 and pit["share"].sum() == pytest.approx(1.0)
    assert bt.provenance["truth_seed"] != bt.provenance["seed"]
