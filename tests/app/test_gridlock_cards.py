"""The Run page's cards and month table (issue 15, finding 1): a gridlocked run is not judged against the targets,
however calm its G&A occupancy looks. Hand-made frames as tests/reporting/test_gridlock_not_green.py."""

from __future__ import annotations

import pandas as pd
from ui import kpi_cards  # app/ui.py (tests/app/conftest.py puts app/ on sys.path)

from hospital_twin.reporting.nhs import by_month, gridlocked_reps, month_table
from hospital_twin.reporting.targets import NHS_TARGETS
from tests.reporting.test_gridlock_not_green import STOP, _gridlock_summary, _kpis
from tests.reporting.test_scorecard import _census, _hospital, _summary


def test_a_gridlocked_run_has_no_green_card_and_says_why():
    s = _hospital("A")
    summary = pd.concat([_summary("A", 0.05, 0.0), _gridlock_summary("A", 1.0)], ignore_index=True)
    kpis, census = _kpis("A"), _census("A", {24: 1, 48: 1}, reps=2)
    cards = {label: ci for label, _, ci, _ in kpi_cards(summary, s, kpis, census)}
    ga = cards["G&A occupancy at midnight"]
    assert "Green" not in ga and STOP[0].upper() + STOP[1:] in ga
    assert not any("Green" in ci for ci in cards.values())


def test_the_run_month_table_is_not_judged_when_gridlocked():
    s = _hospital("A")
    kpis = _kpis("A", ed_waiting=(30, 50))
    table = month_table(
        by_month(None, _census("A", {24: 1, 48: 1}, reps=2), kpis, s),
        {t.key: t for t in NHS_TARGETS},
        s,
        gridlocked=gridlocked_reps(kpis, "A"),
    )
    assert set(table["G&A occupancy at midnight"]) == {f"10.0%, {STOP}"}
    assert set(table["ED: over 12 hours"]) == {"not measured: 40 attendances never got an ED space"}
