"""AppTest: the Run and Compare pages' default run is the scenario's own (unbiased); a quick look says it is biased
and by how much (the baseline's measured bias, ``app/quick_look_bias.json``)."""

from __future__ import annotations

import math

import pytest

from hospital_twin.scenario import load_scenario
from tests.app.conftest import no_exception

BASELINE = load_scenario("scenarios/baseline.yaml")


def _values(app, prefix: str) -> tuple:
    return tuple(app.number_input(key=f"{prefix}{k}").value for k in ("horizon", "warmup", "reps"))


@pytest.mark.parametrize(("page", "prefix"), [("run", "rs_"), ("compare", "cmp_rs_")])
def test_the_default_run_is_the_scenarios_own_and_says_so(app, page, prefix):
    """The baseline's year after its warm-up, its replications; no claim that the defaults are short."""
    app.switch_page(f"app_pages/{page}.py").run()
    no_exception(app)
    want = (math.ceil(BASELINE.horizon_days), math.ceil(BASELINE.warmup_days), max(BASELINE.replications, 5))
    assert _values(app, prefix) == want
    captions = " ".join(c.value for c in app.caption)
    assert "The scenario's own run" in captions and "Defaults are short" not in captions
    assert not [w for w in app.warning if "biased" in w.value]


def test_a_quick_look_is_labelled_biased_with_the_measured_size_and_can_be_undone(app):
    """Quick look: 28 days, a warning that names the bias of the mean stay in days; Back restores the defaults."""
    app.switch_page("app_pages/run.py").run()
    full = _values(app, "rs_")
    app.button(key="rs_quick_btn").click().run()
    no_exception(app)
    assert _values(app, "rs_") == (28, full[1], 5)
    warnings = [w.value for w in app.warning if "biased" in w.value]
    assert len(warnings) == 1, [w.value for w in app.warning]
    assert "Quick look: these figures are biased" in warnings[0]
    assert "Measured on the baseline" in warnings[0] and "hospital stay, mean" in warnings[0]
    assert "days lower" in warnings[0] or "days higher" in warnings[0]
    app.button(key="rs_full_btn").click().run()
    assert _values(app, "rs_") == full
    assert not [w for w in app.warning if "biased" in w.value]


def test_a_shorter_warm_up_alone_is_called_biased(app):
    app.switch_page("app_pages/run.py").run()
    app.number_input(key="rs_warmup").set_value(7).run()
    warnings = [w.value for w in app.warning if "biased" in w.value]
    assert len(warnings) == 1 and "still filling" in warnings[0] and "Measured on" not in warnings[0]


def test_another_scenario_brings_its_own_run_length(app):
    """A quick look on the baseline, then the single-ward example: the Run page offers that scenario's own run."""
    app.switch_page("app_pages/run.py").run()
    app.button(key="rs_quick_btn").click().run()
    app.switch_page("app_pages/scenario.py").run()
    app.selectbox(key="lv_pick").set_value("Example: Single ward, Erlang loss check").run()
    app.switch_page("app_pages/run.py").run()
    no_exception(app)
    s = load_scenario("scenarios/examples/single_ward.yaml")
    assert _values(app, "rs_") == (math.ceil(s.horizon_days), math.ceil(s.warmup_days), max(s.replications, 5))
    assert not [w for w in app.warning if "biased" in w.value]


def test_a_measurement_of_an_earlier_baseline_is_said_to_be_so(tmp_path, monkeypatch):
    """When the stored measurement's scenario differs from today's baseline, the note says whose bias it quotes."""
    import json

    import ui

    stored = json.loads(ui.QUICK_LOOK_MEASURED.read_text(encoding="utf-8"))
    settings = {"horizon_days": 28, "warmup_days": math.ceil(BASELINE.warmup_days), "replications": 5, "seed": 1}
    assert "earlier version" not in ui.run_length_note(BASELINE, settings)
    (tmp_path / "m.json").write_text(json.dumps(stored | {"scenario_hash": "0" * 64}), encoding="utf-8")
    monkeypatch.setattr(ui, "QUICK_LOOK_MEASURED", tmp_path / "m.json")
    note = ui.run_length_note(BASELINE, settings)
    assert "Measured on an earlier version of the baseline" in note and "may differ" in note
    assert ui.run_length_note(BASELINE, {**settings, "horizon_days": math.ceil(BASELINE.horizon_days)}) is None


def test_the_default_run_shows_replications_done_of_the_defaults(app):
    """Run with the defaults: the progress bar counts replications done of the scenario's own number; Cancel ends it."""
    import time

    app.switch_page("app_pages/run.py").run()
    app.button(key="run_btn").click().run()
    want = f"of {max(BASELINE.replications, 5)} done"
    end = time.monotonic() + 60
    texts: list[str] = []
    while time.monotonic() < end and not any(want in t for t in texts):
        time.sleep(0.5)
        app.run()
        texts = [str(p.proto.text) for p in app.get("progress")]
    assert any(want in t for t in texts), texts
    app.button(key="cancel_run_btn").click().run()
    no_exception(app)
