"""Charts cut into panels as wide as their column (``reporting.charts.panels_fit_to_width``)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hospital_twin.reporting.charts import panels_fit_to_width

DF = pd.DataFrame({"unit": ["A", "A", "B", "C"], "x": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 4.0]})


def _panel(u: str) -> alt.Chart:
    return alt.Chart(DF[DF["unit"] == u]).mark_line().encode(x="x:Q", y="y:Q").properties(width=520, height=150)


def test_concatenated_panels_each_fill_their_column_in_order():
    spec = alt.concat(_panel("A"), alt.hconcat(_panel("B"), _panel("C")), columns=2).to_dict()
    panels = panels_fit_to_width(spec)
    assert len(panels) == 3
    assert all(p["width"] == "container" and p["height"] == 150 for p in panels)
    assert all(p["autosize"]["type"] == "fit-x" for p in panels)  # the height stays the plot's
    assert [spec["datasets"][p["data"]["name"]][0]["unit"] for p in panels] == ["A", "B", "C"]
    assert all(p["datasets"] == spec["datasets"] for p in panels)


def test_a_facet_becomes_one_filtered_titled_panel_per_value_without_fixed_widths_inside_layers():
    base = alt.Chart().encode(x="x:Q", y="y:Q")
    chart = alt.layer(base.mark_line(), base.mark_point(), data=DF).properties(width=260, height=100)
    spec = chart.facet(facet=alt.Facet("unit:N"), columns=3).properties(title="Forecast").to_dict()
    panels = panels_fit_to_width(spec)
    assert [p["title"] for p in panels] == ["A", "B", "C"]
    assert [p["transform"][0]["filter"] for p in panels] == [{"field": "unit", "equal": u} for u in "ABC"]
    assert all(p["width"] == "container" and all("width" not in layer for layer in p["layer"]) for p in panels)
    assert panels[0]["data"] == spec["data"]


def test_a_single_chart_is_one_panel_as_wide_as_its_column():
    spec = _panel("A").to_dict()
    (panel,) = panels_fit_to_width(spec)
    assert panel["width"] == "container" and panel["mark"] == spec["mark"]
