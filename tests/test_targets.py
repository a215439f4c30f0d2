"""The NHS targets (issue 15): ambulance handover and elective cancellations join the 4-hour, 12-hour and G&A
occupancy standards, each with its source and the measure it reads, judged red / amber / green."""

from __future__ import annotations

import pytest

from hospital_twin.reporting.nhs import GA_MIDNIGHT, measure_help
from hospital_twin.reporting.targets import AMBULANCE_HANDOVER, ELECTIVE_CANCELLATIONS, FOUR_HOUR, NHS_TARGETS
from hospital_twin.results import METRICS


def test_ambulance_handover_and_elective_cancellations_are_targets_with_sources():
    """No handover over 45 minutes (UEC plan 2025/26); 1% of planned operations cancelled on the day (an assumption
    from NHS England's cancelled operations statistics, said so); both among the targets a board reads."""
    assert (AMBULANCE_HANDOVER.value, AMBULANCE_HANDOVER.higher_is_better) == (0.0, False)
    assert "45" in AMBULANCE_HANDOVER.source and "Urgent and emergency care plan 2025/26" in AMBULANCE_HANDOVER.source
    assert (ELECTIVE_CANCELLATIONS.value, ELECTIVE_CANCELLATIONS.higher_is_better) == (0.01, False)
    assert "28 days" in ELECTIVE_CANCELLATIONS.source and "assumption" in ELECTIVE_CANCELLATIONS.source
    assert {AMBULANCE_HANDOVER, ELECTIVE_CANCELLATIONS} <= set(NHS_TARGETS)
    assert len({t.key for t in NHS_TARGETS}) == len(NHS_TARGETS)


def test_every_target_names_the_measure_it_reads():
    """A target says which measure it judges: a catalogue metric or one of the NHS measures, each with words."""
    known = set(METRICS) | {"ed_within_4h", GA_MIDNIGHT}
    assert all(t.metric in known for t in NHS_TARGETS), [t.metric for t in NHS_TARGETS]
    assert AMBULANCE_HANDOVER.metric == "ambulance_handover_over_45min_share"
    assert ELECTIVE_CANCELLATIONS.metric == "cancelled_share"
    assert all(t.metric not in measure_help(t.metric) for t in NHS_TARGETS)  # words, not the id


@pytest.mark.parametrize(
    ("target", "x", "status", "words"),
    [
        (AMBULANCE_HANDOVER, 0.0, "green", "Green: none, as targeted"),
        (AMBULANCE_HANDOVER, 0.0004, "amber", "Amber: 0.04% against the target of none"),  # none means none
        (AMBULANCE_HANDOVER, 0.012, "amber", "Amber: 1.2% against the target of none"),
        (AMBULANCE_HANDOVER, 0.05, "red", "Red: 5.0% against the target of none"),
        (ELECTIVE_CANCELLATIONS, 0.01, "green", "Green: meets the target 1% or less"),
        (ELECTIVE_CANCELLATIONS, 0.018, "amber", "Amber: 0.8 points over the target 1% or less"),
        (ELECTIVE_CANCELLATIONS, 0.054, "red", "Red: 4.4 points over the target 1% or less"),
    ],
)
def test_red_amber_green_for_the_new_targets(target, x, status, words):
    rag = target.rag(x)
    assert rag.status == status and rag.words.startswith(words), rag


def test_a_trust_may_allow_some_handovers_over_45_minutes():
    """A local value: 5% allowed over 45 minutes turns 3% from red into green."""
    assert AMBULANCE_HANDOVER.rag(0.03).status == "red"
    mine = AMBULANCE_HANDOVER.with_value(0.05)
    assert mine.text == "5% or less" and mine.rag(0.03).status == "green"


def test_the_four_hour_standard_follows_its_stated_trajectory():
    """78% to March 2026, 82% from April 2026 (the 2026/27 planning framework); a trust's own value holds on every
    day, and the words name both steps."""
    import datetime as dt

    assert FOUR_HOUR.on("2026-03-31").value == 0.78
    assert FOUR_HOUR.on(dt.date(2026, 4, 1)).value == 0.82
    assert FOUR_HOUR.on(dt.datetime(2027, 1, 15, 8)).value == 0.82
    assert FOUR_HOUR.on(None) is FOUR_HOUR
    assert FOUR_HOUR.on("2026-05-01").rag(0.80).status == "amber"  # 80% meets 78% but not 82%
    assert FOUR_HOUR.rag(0.80).status == "green"
    own = FOUR_HOUR.with_value(0.80)
    assert own.on("2026-05-01").value == 0.80 and own.trajectory == ()
    assert FOUR_HOUR.trajectory_text == "78% or more; 82% or more from 1 Apr 2026"


def test_a_month_is_judged_against_that_months_standard():
    """The month table: 80% within 4 hours is green in March 2026 (78%) and amber in April 2026 (82%)."""
    import pandas as pd

    from hospital_twin.reporting.nhs import month_table
    from hospital_twin.scenario.schema import Scenario

    monthly = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-03-01", "2026-04-01"]),
            "target": "four_hour",
            "unit": "ED",
            "mean": 0.80,
            "lo": 0.80,
            "hi": 0.80,
            "n_reps": 1,
            "days": [31.0, 30.0],
        }
    )
    table = month_table(monthly, {"four_hour": FOUR_HOUR}, Scenario.model_construct())
    assert table["ED: within 4 hours"].tolist() == ["80.0%, green", "80.0%, amber"]


def test_a_run_is_judged_against_the_standard_weighted_by_its_days():
    """A year measured from 5 May 2025 to 3 May 2026: 331 days at 78% and 33 at 82% weigh to 78.36%, so 80% meets
    it; a year wholly before April 2026 is judged against 78%; a window after it against 82%."""
    import datetime as dt

    year = FOUR_HOUR.during(dt.date(2025, 5, 5), dt.date(2026, 5, 3))
    assert year.value == pytest.approx((331 * 0.78 + 33 * 0.82) / 364, abs=1e-4)
    assert year.rag(0.80).status == "green"
    assert FOUR_HOUR.during("2025-02-03", "2026-02-02") is FOUR_HOUR
    assert FOUR_HOUR.during("2026-06-01", "2026-06-30").value == 0.82
    assert FOUR_HOUR.with_value(0.78).during("2026-06-01", "2026-06-30").value == 0.78


def test_red_amber_green_judges_the_figure_as_the_card_shows_it():
    """77.95% shows as 78.0% and meets 78%; 77.94% shows as 77.9%, 0.1 short; against a target of none, 0.04% of
    handovers over 45 minutes misses it (amber) and says so, not "none"."""
    assert FOUR_HOUR.rag(0.7795).status == "green"
    assert FOUR_HOUR.rag(0.7794).words == "Amber: 0.1 points short of the target 78% or more"
    rag = AMBULANCE_HANDOVER.rag(0.0004)
    assert rag.status == "amber" and rag.words == "Amber: 0.04% against the target of none"
    assert AMBULANCE_HANDOVER.rag(0.0).status == "green"
