"""AppTest (issue 15, targets): the Run page judges ambulance handovers and planned operations cancelled on the day
against their targets, each changeable in the Targets expander."""

from __future__ import annotations

import pytest

from tests.app.conftest import no_exception, short_run_settings, wait_for_jobs


@pytest.mark.slow
def test_ambulance_handover_and_cancellation_cards_are_judged_against_their_targets(app):
    """A short baseline run: an ED card for handovers over 45 minutes (target none) with the mean handover in
    minutes, a card for planned operations cancelled on the day (target 1% or less); each target set in the
    expander judges its card."""
    app.switch_page("app_pages/run.py").run()
    short_run_settings(app)
    app.button(key="run_btn").click().run()
    wait_for_jobs(app)
    no_exception(app)
    labels = [m.label for m in app.metric]
    assert "ED: ambulance handovers over 45 minutes" in labels and "Planned operations cancelled on the day" in labels
    text = " ".join(c.value for c in app.caption)
    assert "mean handover" in text and " minutes" in text
    assert "target of none" in text or "none, as targeted" in text
    assert "target 1% or less" in text
    app.number_input(key="rs_target_ambulance_handover").set_value(100.0).run()
    app.number_input(key="rs_target_elective_cancellations").set_value(100.0).run()
    no_exception(app)
    text = " ".join(c.value for c in app.caption)
    assert text.count("Green: meets the target 100% or less") == 2, text
