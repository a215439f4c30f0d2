"""A gridlocked collapse is never green against the targets (issue 15, finding 1): with gridlocked replications
every judged figure says "not judged", and an ED month nobody got a space in is a row saying so, not dropped.
Hand-made frames (as tests/reporting/test_scorecard.py), then a hospital whose assessment unit has no beds."""

from __future__ import annotations

import math

import pandas as pd

from hospital_twin.reporting.nhs import by_month, month_table
from hospital_twin.reporting.scorecard import against_targets, months_against_targets, side_by_side
from hospital_twin.reporting.targets import FOUR_HOUR, GA_OCCUPANCY, TWELVE_HOUR
from tests.reporting.test_scorecard import _census, _hospital, _summary

TARGETS = {t.key: t for t in (FOUR_HOUR, TWELVE_HOUR, GA_OCCUPANCY)}
STOP = "not judged: 2 of 2 replications gridlocked"


def _kpis(name: str, gridlocked: tuple[int, ...] = (1, 1), ed_waiting: tuple[int, ...] = (0, 0)) -> pd.DataFrame:
    """Two replications: gridlocked 0/1 and attendances still waiting for an ED space at the end, each."""
    rows = []
    for r, (g, w) in enumerate(zip(gridlocked, ed_waiting, strict=True)):
        rows += [(name, r, "occupancy_mean", "WARD", 1.0), (name, r, "gridlocked", "ALL", float(g))]
        rows += [(name, r, "still_waiting", "ED", float(w))]
    return pd.DataFrame(rows, columns=["scenario", "rep", "metric", "unit", "value"])


def _gridlock_summary(name: str, share: float) -> pd.DataFrame:
    row = {"scenario": name, "metric": "gridlocked_share", "unit": "ALL", "mean": share, "sd": 0.0}
    return pd.DataFrame([row | {"ci_low": share, "ci_high": share, "n_reps": 2}])


def test_a_gridlocked_scenario_is_not_green_on_the_headline():
    """G&A at midnight 1 / 10 beds (10%: green on its own) and 95% within 4 hours (green), but both replications
    gridlocked: no colour, the words say why; a scenario that did not gridlock is judged as before."""
    a, b = _hospital("A"), _hospital("B")
    summary = pd.concat(
        [_summary("A", 0.05, 0.0), _gridlock_summary("A", 1.0), _summary("B", 0.05, 0.0), _gridlock_summary("B", 0)],
        ignore_index=True,
    )
    kpis = pd.concat([_kpis("A"), _kpis("B", gridlocked=(0, 0))], ignore_index=True)
    census = pd.concat([_census("A", {24: 1, 48: 1}, reps=2), _census("B", {24: 1, 48: 1}, reps=2)])
    got = against_targets(summary, kpis, census, [a, b], TARGETS)
    mine = got[got["scenario"] == "A"]
    assert set(mine["status"]) == {""} and set(mine["words"]) == {STOP}
    assert set(got.loc[got["scenario"] == "B", "status"]) == {"green"}
    table, status = side_by_side(got, ["A", "B"], TARGETS)
    assert table.iloc[2]["A"] == f"10.0%, {STOP}" and status.iloc[2]["A"] == ""


def test_gridlocked_months_are_not_green_and_an_ed_month_without_a_figure_is_said():
    """Nobody got an ED space in the measured days (the log is empty, 30 and 50 attendances still waiting): each
    month still has its 4-hour and 12-hour rows, saying how many never got a space; G&A is not judged."""
    a = _hospital("A")
    kpis = _kpis("A", ed_waiting=(30, 50))
    monthly = months_against_targets(None, _census("A", {24: 1, 48: 1}, reps=2), kpis, [a], TARGETS)
    table, status = side_by_side(monthly, ["A"], TARGETS)
    assert (
        list(table["Measure"]) == ["ED: within 4 hours", "ED: over 12 hours in the ED", "G&A occupancy at midnight"] * 2
    )
    assert list(table["A"]) == ["not measured: 40 attendances never got an ED space"] * 2 + [f"10.0%, {STOP}"] + [
        "not measured: 40 attendances never got an ED space"
    ] * 2 + [f"10.0%, {STOP}"]
    assert set(status["A"]) == {""}


def test_by_month_keeps_ed_rows_nobody_got_a_space_in():
    a = _hospital("A")
    m = by_month(None, _census("A", {24: 1, 48: 1}, reps=2), _kpis("A", ed_waiting=(30, 50)), a)
    ed = m[m["unit"] == "ED"]
    assert len(ed) == 4 and set(ed["target"]) == {"four_hour", "twelve_hour"}
    assert all(math.isnan(x) for x in ed["mean"]) and set(ed["never_placed"]) == {40.0}


def test_month_table_says_not_judged_when_gridlocked():
    a = _hospital("A")
    kpis = _kpis("A", ed_waiting=(30, 50))
    m = by_month(None, _census("A", {24: 1, 48: 1}, reps=2), kpis, a)
    table = month_table(m, TARGETS, a, gridlocked=(2, 2))
    jan = table.iloc[0]
    assert jan["G&A occupancy at midnight"] == f"10.0%, {STOP}"
    assert jan["ED: within 4 hours"] == "not measured: 40 attendances never got an ED space"
