"""Scenarios side by side against the NHS targets (issue 15, targets and months on Compare and in the report):
hand-made summaries, logs and censuses of two scenarios, every figure and verdict computed by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import pytest

from hospital_twin.reporting.nhs import GA_MIDNIGHT
from hospital_twin.reporting.scorecard import (
    against_targets,
    measure_name,
    months_against_targets,
    side_by_side,
    target_measure,
)
from hospital_twin.reporting.targets import FOUR_HOUR, GA_OCCUPANCY, NHS_TARGETS, TWELVE_HOUR
from hospital_twin.results import ALL
from tests.helpers import scenario

LOS = {"distribution": "fixed", "value_hours": 24}
TARGETS = {t.key: t for t in (FOUR_HOUR, TWELVE_HOUR, GA_OCCUPANCY)}
"""The three targets these hand-made figures are judged against (``NHS_TARGETS`` may hold more)."""


def _hospital(name: str, start: str = "2025-01-30T00:00:00"):
    """An ED and a ward of 10 G&A beds (no escalation); 1 day of warm-up, 2 days measured (31 Jan, 1 Feb)."""
    return scenario(
        name=name,
        units={
            "ED": {
                "beds": 20,
                "kind": "ed",
                "ed": {"clinicians": 1, "assessment": {"distribution": "fixed", "value_hours": 1}},
            },
            "WARD": {"beds": 10},
        },
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 1.0}],
        length_of_stay=dict.fromkeys(("ED", "WARD"), LOS),
        warmup_days=1,
        horizon_days=2,
        start=start,
    )


def _summary(name: str, breach4: float, breach12: float, n: int = 2, hw: float = 0.02) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": name,
            "metric": ["ed_4h_breach_share", "ed_12h_breach_share"],
            "unit": "ED",
            "mean": [breach4, breach12],
            "sd": 0.01,
            "ci_low": [breach4 - hw, breach12 - hw],
            "ci_high": [breach4 + hw, breach12 + hw],
            "n_reps": n,
        }
    )


def _kpis(name: str, reps: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {"scenario": name, "rep": range(reps), "metric": "occupancy_mean", "unit": "WARD", "value": 8.0}
    )


def _census(name: str, at_midnight: dict[int, int], reps: int = 1) -> pd.DataFrame:
    """Hourly census, 72 hours: 5 patients on the ward except at the hours in ``at_midnight``."""
    return pd.DataFrame(
        [
            {"scenario": name, "rep": r, "unit": "WARD", "time_h": float(h), "occupied": at_midnight.get(h, 5)}
            for r in range(reps)
            for h in range(72)
        ]
    )


def test_each_nhs_target_names_the_measure_it_reads():
    """4-hour: one minus the breach share, per ED; 12-hour: the breach share per ED; G&A: midnight, the hospital."""
    four, twelve, ga = (target_measure(t) for t in (FOUR_HOUR, TWELVE_HOUR, GA_OCCUPANCY))
    assert (four.metric, four.per_ed, four.flip) == ("ed_4h_breach_share", True, True)
    assert (twelve.metric, twelve.per_ed, twelve.flip) == ("ed_12h_breach_share", True, False)
    assert (ga.metric, ga.per_ed, ga.flip) == (GA_MIDNIGHT, False, False)
    assert measure_name(FOUR_HOUR, "ED") == "ED: within 4 hours"
    assert measure_name(GA_OCCUPANCY, ALL) == "G&A occupancy at midnight"
    assert all(target_measure(t) is not None for t in NHS_TARGETS), "every NHS target must say what it reads"


@dataclass(frozen=True)
class _NewTarget:
    """A target added later that names its own metric (as ``Target`` may grow a ``metric`` field)."""

    key: str = "elective_cancellations"
    name: str = "Planned admissions cancelled for want of a bed"
    metric: str = "cancelled_share"
    value: float = 0.01
    higher_is_better: bool = False
    text: str = "1% or less"

    def rag(self, x):
        return GA_OCCUPANCY.with_value(self.value).rag(x)


def test_a_target_that_names_its_metric_is_read_and_one_that_names_none_is_not_measured():
    """A new target with a ``metric`` is read from the summary for the hospital; without one it says 'not
    measured' rather than vanish or read zero."""
    new = _NewTarget()
    m = target_measure(new)
    assert (m.metric, m.per_ed, m.flip) == ("cancelled_share", False, False)
    s = _hospital("A")
    summary = pd.DataFrame(
        {
            "scenario": "A",
            "metric": ["cancelled_share"],
            "unit": [ALL],
            "mean": [0.06],
            "sd": 0.0,
            "ci_low": 0.05,
            "ci_high": 0.07,
            "n_reps": 3,
        }
    )
    got = against_targets(summary, None, None, [s], {"elective_cancellations": new})
    assert got.iloc[0][["mean", "status"]].tolist() == [pytest.approx(0.06), "red"]  # 5 points over 1%, amber within 3
    unknown = _NewTarget(key="handover", metric="")
    got = against_targets(summary, None, None, [s], {"handover": unknown})
    assert got.iloc[0]["words"] == "not measured" and math.isnan(got.iloc[0]["mean"])


def test_headline_figures_of_two_scenarios_against_the_targets():
    """A: 25% breach 4 hours (75.0% within: amber, 3.0 points short of 78%), 12% over 12 hours (amber, 2.0 points
    over 10%); B: 15% (85.0%: green), 20% (red, 10.0 points). G&A at midnight over 10 beds: A 9 and 10 patients
    at the two measured midnights (95.0%: amber, 3.0 points over 92%), B 8 and 8 (80.0%: green)."""
    a, b = _hospital("A"), _hospital("B")
    summary = pd.concat([_summary("A", 0.25, 0.12), _summary("B", 0.15, 0.20)], ignore_index=True)
    kpis = pd.concat([_kpis("A"), _kpis("B")], ignore_index=True)
    census = pd.concat([_census("A", {24: 9, 48: 10}), _census("B", {24: 8, 48: 8})], ignore_index=True)
    got = against_targets(summary, kpis, census, [a, b], TARGETS)
    look = {(r.target, r.scenario): r for r in got.itertuples()}
    assert look[("four_hour", "A")].mean == pytest.approx(0.75)
    assert (look[("four_hour", "A")].ci_low, look[("four_hour", "A")].ci_high) == pytest.approx((0.73, 0.77))
    assert look[("four_hour", "A")].words == "Amber: 3.0 points short"
    assert look[("four_hour", "B")].status == "green" and look[("four_hour", "B")].words == "Green: meets the target"
    assert look[("twelve_hour", "A")].status == "amber" and look[("twelve_hour", "B")].status == "red"
    assert look[("ga_occupancy", "A")].mean == pytest.approx(0.95) and look[("ga_occupancy", "A")].status == "amber"
    assert look[("ga_occupancy", "B")].mean == pytest.approx(0.80) and look[("ga_occupancy", "B")].status == "green"
    assert list(got["target"].unique()) == ["four_hour", "twelve_hour", "ga_occupancy"]

    table, status = side_by_side(got, ["A", "B"], TARGETS)
    assert list(table.columns) == ["Measure", "Target", "A", "B"]
    assert list(table["Measure"]) == ["ED: within 4 hours", "ED: over 12 hours in the ED", "G&A occupancy at midnight"]
    assert table.iloc[0]["Target"] == "78% or more"
    assert table.iloc[0]["A"] == "75.0% (73.0% to 77.0%), amber: 3.0 points short"
    assert table.iloc[2]["B"] == "80.0%, green: meets the target"  # one replication: no interval
    assert status.to_dict("list") == {"A": ["amber", "amber", "amber"], "B": ["green", "red", "green"]}


def test_a_run_without_a_census_says_midnight_occupancy_was_not_measured():
    s = _hospital("A")
    got = against_targets(_summary("A", 0.25, 0.12), _kpis("A"), None, [s], TARGETS)
    table, status = side_by_side(got, ["A"], TARGETS)
    assert table.iloc[2]["A"] == "not measured" and status.iloc[2]["A"] == ""


def _log(name: str, hours_in_dept: list[tuple[str, float | None]], reps: int = 1) -> pd.DataFrame:
    """ED attendances (arrival, hours in the department; None: still there at the end)."""
    rows = []
    for r in range(reps):
        for arrive, h in hours_in_dept:
            t = pd.Timestamp(arrive)
            rows.append((name, r, "ED", t, t + pd.Timedelta(hours=h) if h is not None else pd.NaT))
    return pd.DataFrame(rows, columns=["scenario", "rep", "unit", "ready_at", "end"])


def test_months_of_two_scenarios_side_by_side_against_the_targets():
    """Measured 31 Jan and 1 Feb. A: January 1 of 2 attendances within 4 hours (50.0%, red), February 2 of 2
    (green); B: 2 of 2 in January, 0 of 1 in February. G&A midnights: A 9/10 (31 Jan, 90.0%, green) and 10/10
    (1 Feb, 100.0%, red); B 8/10 both."""
    a, b = _hospital("A"), _hospital("B")
    log = pd.concat(
        [
            _log(
                "A",
                [("2025-01-31 10:00", 3), ("2025-01-31 12:00", 5), ("2025-02-01 09:00", 1), ("2025-02-01 10:00", 2)],
            ),
            _log("B", [("2025-01-31 10:00", 1), ("2025-01-31 12:00", 2), ("2025-02-01 09:00", 13)]),
        ],
        ignore_index=True,
    )
    kpis = pd.concat([_kpis("A"), _kpis("B")], ignore_index=True)
    census = pd.concat([_census("A", {24: 9, 48: 10}), _census("B", {24: 8, 48: 8})], ignore_index=True)
    monthly = months_against_targets(log, census, kpis, [a, b], TARGETS)
    got = {(f"{r.month:%b}", r.target, r.scenario): (r.mean, r.status) for r in monthly.itertuples()}
    assert got[("Jan", "four_hour", "A")] == (pytest.approx(0.5), "red")
    assert got[("Feb", "four_hour", "A")] == (pytest.approx(1.0), "green")
    assert got[("Feb", "four_hour", "B")] == (pytest.approx(0.0), "red")
    assert got[("Feb", "twelve_hour", "B")] == (pytest.approx(1.0), "red")
    assert got[("Jan", "ga_occupancy", "A")] == (pytest.approx(0.9), "green")
    assert got[("Feb", "ga_occupancy", "A")] == (pytest.approx(1.0), "red")

    table, status = side_by_side(monthly, ["A", "B"], TARGETS)
    assert list(table.columns) == ["Month", "Days measured", "Measure", "Target", "A", "B"]
    assert list(table["Month"]) == ["Jan 2025"] * 3 + ["Feb 2025"] * 3
    assert list(table["Days measured"]) == ["1"] * 6
    jan_4h = table.iloc[0]
    assert (jan_4h["Measure"], jan_4h["A"], jan_4h["B"]) == (
        "ED: within 4 hours",
        "50.0%, red: 28.0 points short",
        "100.0%, green: meets the target",
    )
    assert status.iloc[0].tolist() == ["red", "green"]


def test_months_give_the_range_of_replications_and_keep_only_the_targets_asked():
    """Two replications of A with 9 and 7 patients at the 31 Jan midnight: 80.0% (70.0% to 90.0%)."""
    a = _hospital("A")
    census = _census("A", {24: 9, 48: 8}, reps=2)
    census.loc[(census["rep"] == 1) & (census["time_h"] == 24), "occupied"] = 7
    monthly = months_against_targets(None, census, _kpis("A", reps=2), [a], {"ga_occupancy": GA_OCCUPANCY})
    assert set(monthly["target"]) == {"ga_occupancy"}
    table, _ = side_by_side(monthly, ["A"], {"ga_occupancy": GA_OCCUPANCY})
    assert table.iloc[0]["A"] == "80.0% (70.0% to 90.0%), green: meets the target"


def test_a_measure_kept_only_per_ed_is_judged_on_each_ed():
    """A target whose metric the summary has only on the EDs (the ambulance handover) is judged per ED."""
    handover = _NewTarget(key="ambulance_handover", name="Ambulance handovers over 45 minutes", metric="handover_45")
    summary = pd.DataFrame(
        {
            "scenario": "A",
            "metric": ["handover_45"],
            "unit": ["ED"],
            "mean": [0.004],
            "sd": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.008,
            "n_reps": 2,
        }
    )
    got = against_targets(summary, None, None, [_hospital("A")], {"ambulance_handover": handover})
    assert got[["measure", "unit", "status"]].values.tolist() == [
        ["ED: Ambulance handovers over 45 minutes", "ED", "green"]
    ]


def test_every_nhs_target_has_a_row_for_each_scenario():
    """Whatever NHS_TARGETS holds, each target shows for each scenario, measured or said not to be."""
    a, b = _hospital("A"), _hospital("B")
    summary = pd.concat([_summary("A", 0.25, 0.12), _summary("B", 0.15, 0.20)], ignore_index=True)
    targets = {t.key: t for t in NHS_TARGETS}
    got = against_targets(summary, None, None, [a, b], targets)
    assert list(got["target"].unique()) == list(targets)
    table, status = side_by_side(got, ["A", "B"], targets)
    assert len(table) == len(got) // 2 and table[["A", "B"]].map(bool).all().all()
