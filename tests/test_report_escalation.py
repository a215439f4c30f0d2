"""The report's chart of time at each escalation level: hours from summary rows, shares of the window."""

from __future__ import annotations

import pandas as pd
import pytest

from hospital_twin.reporting.charts import escalation_level_chart
from hospital_twin.reporting.figures import escalation_level_hours
from tests.helpers import scenario


def test_time_at_each_level_is_read_from_the_summary_per_group():
    """A 10-day window (240 h) with 180 h at level 1, 48 at 2, 12 at 3, 0 at 4: shares 0.75, 0.2, 0.05, 0."""
    s = scenario(
        units={"A": {"beds": 4}},
        arrivals=[{"name": "x", "unit": "A", "per_day": 1}],
        length_of_stay={"A": {"distribution": "fixed", "mean_hours": 24}},
        horizon_days=10,
        escalation_levels={"G": {"levels": [{"level": 2, "enter_at": 0.9, "leave_below": 0.8}]}},
    )
    hours = {1: 180.0, 2: 48.0, 3: 12.0, 4: 0.0}
    summary = pd.DataFrame(
        [(s.name, f"hours_at_level_{k}", "G", h) for k, h in hours.items()] + [(s.name, "occupancy_mean", "A", 2.0)],
        columns=["scenario", "metric", "unit", "mean"],
    )
    df = escalation_level_hours(summary, [s])
    assert df["level"].tolist() == ["level 1", "level 2", "level 3", "level 4"]
    assert df["share"].tolist() == pytest.approx([0.75, 0.2, 0.05, 0.0])
    spec = escalation_level_chart(df).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["x"]["field"] == "share"
