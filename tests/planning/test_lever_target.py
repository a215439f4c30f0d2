"""Levers and targets: parsed against the schema and the metric catalogue, with errors that say what to write."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hospital_twin.planning.lever import LeverError, apply_levers, lever_rate, parse_lever
from hospital_twin.planning.target import TargetError, parse_target
from hospital_twin.scenario.costs import CostRates
from tests.helpers import scenario, stay


@pytest.fixture(scope="module")
def scn():
    return scenario(
        units={
            "MED": {"beds": 20},
            "ICU": {"beds": 6, "kind": "icu"},
            "ED": {"beds": 10, "kind": "ed", "ed": {"clinicians": 2, "assessment": stay(mean_hours=0.5)}},
        },
        arrivals=[{"name": "adm", "unit": "MED", "per_day": 3.0}],
        routes={"MED": {"exit": 1.0}, "ICU": {"exit": 1.0}, "ED": {"MED": 1.0}},
        length_of_stay={"MED": stay(), "ICU": stay(), "ED": stay(mean_hours=3.0)},
        discharge_pathways={"P2": {"places": 10, "stay": {"distribution": "exponential", "mean_days": 10}}},
        pathway_shares={"MED": {"P2": 0.1}},
        horizon_days=60,
        warmup_days=10,
    )


def test_lever_paths_resolve_through_units_and_pathways(scn):
    """A path may start at a unit or a discharge pathway; the range, its step and the current value are kept."""
    lv = parse_lever("MED.beds=16..24:2", scn)
    assert lv.path == ("units", "MED", "beds") and lv.values == (16, 18, 20, 22, 24) and lv.current == 20
    assert parse_lever("P2.places=0..40:10", scn).path == ("discharge_pathways", "P2", "places")
    assert parse_lever("units.ICU.beds=6..8", scn).kind == "critical_care_bed"
    assert parse_lever("MED.escalation.beds=0..4", scn).current is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("MED.bedz=1..3", ["MED.bedz", "no key 'bedz'", "beds", "escalation.beds"]),
        ("XX.beds=1..3", ["XX.beds", "a path starts at a unit (MED, ICU, ED)", "P2"]),
        ("MED.kind=1..2", ["not an integer key"]),
        ("MED.beds=-1..3", ["below the key's minimum 0"]),
        ("MED.beds=9..3", ["reversed"]),
        ("MED.beds=1..3:0", ["step must be 1 or more"]),
        ("MED.beds", ["PATH=LO..HI"]),
        ("seed=1..3", ["setting of the run"]),
    ],
)
def test_lever_errors_name_the_lever_and_what_to_write(scn, text, words):
    """A bad lever is refused with its name and the valid keys or the form to write."""
    with pytest.raises(LeverError) as exc:
        parse_lever(text, scn)
    for w in words:
        assert w in str(exc.value)


def test_lever_escalation_block_is_created_and_removed(scn):
    """An escalation lever opens the block with its defaults for n > 0 and removes it for 0."""
    lv = parse_lever("MED.escalation.beds=0..4", scn)
    with_beds = apply_levers(scn, (lv,), (3,))
    assert with_beds.units["MED"].escalation.beds == 3
    assert apply_levers(with_beds, (lv,), (0,)).units["MED"].escalation is None
    assert apply_levers(scn, (lv,), (0,)) == scn


def test_lever_rates_come_from_the_cost_file_by_kind(scn):
    """A bed costs bed_day_gbp x 365, an ICU bed the critical care rate, an escalation bed its own; others need --cost."""
    rates = CostRates(
        bed_day_gbp=450,
        escalation_bed_day_gbp=510,
        critical_care_bed_day_gbp=2000,
        nurse_hour_gbp={"default": 25},
        bank_nurse_hour_gbp=28,
        agency_nurse_hour_gbp=45,
    )
    assert lever_rate(parse_lever("MED.beds=20..22", scn), rates) == 450 * 365
    assert lever_rate(parse_lever("ICU.beds=6..8", scn), rates) == 2000 * 365
    assert lever_rate(parse_lever("MED.escalation.beds=0..4", scn), rates) == 510 * 365
    places = parse_lever("P2.places=0..40", scn)
    assert lever_rate(places, rates) is None
    assert lever_rate(places, rates, {"P2.places": 40000.0}) == 40000.0


def test_target_parses_unit_metric_bound_window_and_confidence(scn):
    """Unit, metric, /beds (base beds plus escalation beds open), operator, bound (a percentage too), dated window
    and confidence are read."""
    t = parse_target("ED.ed_within_4h_share>=78%@2025-02-01..2025-02-28@90%", scn)
    assert (t.unit, t.metric, t.op, t.bound, t.confidence) == ("ED", "ed_within_4h_share", ">=", 0.78, 0.9)
    assert t.window == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    assert t.kpi_metric == "ed_4h_breach_share"
    g = parse_target("gridlocked_share==0", scn)
    assert (g.unit, g.kpi_metric) == ("ALL", "gridlocked")
    occ = parse_target("ALL.occupancy_mean/beds<=0.92", scn)
    kpis = pd.DataFrame({"metric": ["occupancy_mean"], "unit": ["ALL"], "value": [13.0]})
    assert occ.measure(kpis, scn) == pytest.approx(13.0 / 26.0)  # MED + ICU: the ED's cubicles are not beds
    open_beds = pd.DataFrame({"metric": ["escalation_beds_open_mean"] * 2, "unit": ["MED", "ED"], "value": [1.5, 2.0]})
    with_open = pd.concat([kpis, open_beds], ignore_index=True)
    assert occ.measure(with_open, scn) == pytest.approx(13.0 / 27.5)  # escalation beds open count; the ED's do not


def test_target_window_is_measured_by_retiming_the_run(scn):
    """A dated window becomes the warm-up up to its first day and a horizon to the end of its last."""
    t = parse_target("MED.waited_share<=0.2@2025-02-01..2025-02-10", scn)
    view = t.view(scn)
    assert view.start + dt.timedelta(days=view.warmup_days) == dt.datetime(2025, 2, 1)
    assert view.horizon_days == 10


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("MED.waited_shar<=0.2", ["no metric 'waited_shar'", "waited_share"]),
        ("MDE.waited_share<=0.2", ["no unit 'MDE'", "did you mean MED"]),
        ("MED.waited_share<0.2", ["<=|>=|=="]),
        ("MED.waited_share<=0.2@2024-01-01..2024-02-01", ["starts before the run is measured"]),
        ("MED.waited_share<=0.2@2025-03-01..2026-02-01", ["ends after the run ends"]),
        ("MED.waited_share<=0.2@40%", ["confidence must be at least 50%"]),
        ("MED.waited_share<=0.2@tomorrow", ["neither a window"]),
    ],
)
def test_target_errors_name_the_target_and_the_fix(scn, text, words):
    """A bad target is refused with its text and what is wrong."""
    with pytest.raises(TargetError) as exc:
        parse_target(text, scn)
    for w in words:
        assert w in str(exc.value)
