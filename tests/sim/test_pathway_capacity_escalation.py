"""An escalation level's ``pathway_capacity``: hand traces of a daily pathway's starts and a pool's places bought
while the level holds (and closing as they free up), the metric that counts it, factor 1 changing nothing, and
located errors for pathways that cannot be scaled."""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin import results
from hospital_twin.scenario import ScenarioError, load_scenario
from hospital_twin.sim.model import simulate
from tests.helpers import scenario

FIXED = lambda h: {"distribution": "fixed", "mean_hours": h}  # noqa: E731


def _ready_tuesday(n: int, beds: int, pathway: dict, levels: list | None) -> dict:
    """Unit A: ``n`` elective patients arrive Monday 07:00 and are medically ready 24 h later (Tuesday 07:00);
    all take pathway P (no discharge rule)."""
    data = {
        "units": {"A": {"beds": beds}},
        "arrivals": [],
        "electives": [
            {"name": "e", "unit": "A", "patient_class": "c", "per_weekday": [n, 0, 0, 0, 0, 0, 0], "hour": 7}
        ],
        "patient_classes": {"c": {"length_of_stay": {"A": FIXED(24)}}},
        "length_of_stay": {},
        "discharge_pathways": {"P": pathway},
        "pathway_shares": {"A": {"P": 1.0}},
        "horizon_days": 6,
        "warmup_days": 0,
    }
    if levels is not None:
        data["escalation_levels"] = {"G": {"levels": levels}}
    return data


def _leaving_h(out) -> list[float]:
    """Hours at which the patients left their bed, sorted."""
    return sorted(out.stays[:, 7].tolist())


def _level(factor: float, leave_below: float) -> list:
    return [{"level": 2, "enter_at": 0.75, "leave_below": leave_below, "actions": {"pathway_capacity": {"P": factor}}}]


def test_a_daily_pathway_starts_more_while_the_level_holds_and_its_usual_number_after():
    """8 of 10 beds taken Monday 07:00 (pressure 0.8: level 2). P starts 2 a day at 13:00; at level 2 x2 = 4.
    Tuesday 13:00 (t=37): 4 start, pressure 0.4 < 0.5: level 1. Wednesday (61): 2; Thursday (85): 2.
    Without the action: 2 a day, Tuesday to Friday."""
    daily = {"starts_per_day": 2, "start_hour": 13}
    bought = simulate(scenario(**_ready_tuesday(8, 10, daily, _level(2.0, 0.5))))
    assert _leaving_h(bought) == [37] * 4 + [61] * 2 + [85] * 2
    np.testing.assert_allclose(bought.escalation_path[:, [0, 2]], [(0, 1), (7, 2), (37, 1)])
    plain = simulate(scenario(**_ready_tuesday(8, 10, daily, None)))
    assert _leaving_h(plain) == [37] * 2 + [61] * 2 + [85] * 2 + [109] * 2
    k = results.rep_kpis(bought).set_index(["metric", "unit"])["value"]
    assert k[("escalation_actions_pathway_capacity", "G")] == 1


def test_a_fractional_factor_carries_the_fraction_like_the_starts():
    """P starts 2 a day, x1.25 = 2.5 at level 2 (held: leave_below 0.05 and patients wait in their beds). Monday
    13:00 (level 2 since 07:00, nobody ready): 2 unused, 0.5 carried; Tuesday 3 (0 carried), Wednesday 2 (0.5),
    Thursday 3."""
    daily = {"starts_per_day": 2, "start_hour": 13}
    out = simulate(scenario(**_ready_tuesday(8, 10, daily, _level(1.25, 0.05))))
    assert _leaving_h(out) == [37] * 3 + [61] * 2 + [85] * 3


def test_a_pool_opens_places_while_the_level_holds_and_they_close_as_they_free_up():
    """4 of 4 beds taken Monday 07:00 (level 2). P2: 2 places x1.5 = 3 at level 2, stays 100 h. Tuesday 07:00
    (t=31): three start (pressure 1/4 < 0.5 after the third: level 1, back to 2 places with 3 taken); the fourth
    waits until the places free at 131 and one is under 2 again. Without the action: two at 31, two at 131."""
    pool = {"places": 2, "stay": FIXED(100)}
    bought = simulate(scenario(**_ready_tuesday(4, 4, pool, _level(1.5, 0.5))))
    assert _leaving_h(bought) == [31, 31, 31, 131]
    plain = simulate(scenario(**_ready_tuesday(4, 4, pool, None)))
    assert _leaving_h(plain) == [31, 31, 131, 131]


def test_a_factor_of_one_changes_nothing():
    """The same level with pathway_capacity 1 runs exactly as without the action (no draw, no change)."""
    daily = {"starts_per_day": 1.5, "start_hour": 13}
    with_one = simulate(scenario(**_ready_tuesday(8, 10, daily, _level(1.0, 0.5))))
    no_action = [{"level": 2, "enter_at": 0.75, "leave_below": 0.5}]
    without = simulate(scenario(**_ready_tuesday(8, 10, daily, no_action)))
    np.testing.assert_array_equal(with_one.stays, without.stays)
    np.testing.assert_array_equal(with_one.escalation_path, without.escalation_path)


YAML = """\
name: capacity bought
start: 2025-01-06T00:00:00
horizon_days: 14
units:
  MED: {beds: 30}
arrivals:
  - {name: a, unit: MED, per_day: 5}
length_of_stay:
  MED: {distribution: exponential, mean_days: 5}
discharge_pathways:
  P1: {starts_per_day: 2}
  other: {}
pathway_shares:
  MED: {P1: 0.3, other: 0.1}
escalation_levels:
  G:
    levels:
      - level: 3
        enter_at: 0.95
        leave_below: 0.9
        actions:
          pathway_capacity: {NAME: 1.5}
"""


@pytest.mark.parametrize(
    ("name", "words"),
    [("P3", "'P3' is not a discharge pathway (discharge_pathways: P1, other)"), ("other", "has no capacity to raise")],
)
def test_a_pathway_that_cannot_be_scaled_is_located_at_its_line(tmp_path, name, words):
    path = tmp_path / "s.yaml"
    path.write_text(YAML.replace("NAME", name))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.field) == (22, f"escalation_levels.G.levels[0].actions.pathway_capacity.{name}")
    assert words in issue.message


def test_a_factor_below_one_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(YAML.replace("NAME: 1.5", "P1: 0.5"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert issue.field == "escalation_levels.G.levels[0].actions.pathway_capacity.P1" and issue.line == 22


def test_a_factor_that_adds_no_place_to_a_pool_is_refused(tmp_path):
    """3 places x1.2 = 3.6, rounded down to 3: the action would buy nothing, so the file is refused with the least
    factor that buys a place."""
    path = tmp_path / "s.yaml"
    text = YAML.replace("P1: {starts_per_day: 2}", "P1: {places: 3, stay: {distribution: fixed, mean_hours: 48}}")
    path.write_text(text.replace("NAME: 1.5", "P1: 1.2"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert issue.field == "escalation_levels.G.levels[0].actions.pathway_capacity.P1"
    assert "adds no place to the 3 places" in issue.message and "at least 1.33" in issue.message


def test_a_pool_counts_the_places_escalation_opened_in_its_capacity():
    """The pool of the hand trace: 2 places, 3 from t=7 to t=31 at level 2 (x1.5), over 6 days (144 h): places open
    on average (2 x 144 + 1 x 24) / 144 = 2.1667, and the load ratio divides by that capacity, not by 2 places."""
    pool = {"places": 2, "stay": FIXED(100)}
    out = simulate(scenario(**_ready_tuesday(4, 4, pool, _level(1.5, 0.5))))
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("pathway_places_mean", "P")] == pytest.approx((2 * 144 + 24) / 144)
    assert k[("pathway_load_ratio", "P")] == pytest.approx(4 / ((2 * 144 + 24) / 100))
