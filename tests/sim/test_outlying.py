"""Outlying: a hand-computed trace, the host cap, the classes, the wait before placement, Little's law."""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin import results
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.sim.model import simulate
from hospital_twin.sim.outlying import OUTLIER_FIELDS
from tests.helpers import per_rep, scenario, seed, stay

FIXED_48 = {"distribution": "fixed", "mean_hours": 48}
F = {name: i for i, name in enumerate(OUTLIER_FIELDS)}


def _two_electives(outlying: dict, b_beds: int = 1, **kw):
    """Two electives for A (1 bed) at 08:00 on day 0, stays fixed at 48 h; B is the host."""
    return scenario(
        units={"A": {"beds": 1, "outlying": outlying}, "B": {"beds": b_beds, **kw}},
        arrivals=[],
        electives=[{"name": "el", "unit": "A", "patient_class": "general", "per_weekday": [2, 0, 0, 0, 0, 0, 0]}],
        length_of_stay={"A": FIXED_48},
        horizon_days=6,
        warmup_days=0,
    )


def test_hand_trace_of_one_placement_and_one_repatriation():
    """Two patients ask A (1 bed) at 07:00 (hour 7); stays 48 h, factor 1.5.

    The first gets A's bed; the second is placed in B at once (outlier, due to leave B at 7 + 48 x 1.5 = 79).
    At 55 the first goes home, A's bed frees and nobody waits: the outlier moves back after 48 h in B,
    which is 48 / 1.5 = 32 h of its home stay, so it stays 48 - 32 = 16 h more and leaves A at 71.
    """
    out = simulate(_two_electives({"hosts": ["B"], "stay_factor": 1.5}))
    np.testing.assert_allclose(out.outliers, [[1, 0, 1, 7, 7, 55, 1]])
    log = results.adt_log(out)
    rows = [(r.patient_id, r.unit, r.start.hour, r.end.day, r.end.hour, r.home_unit) for r in log.itertuples()]
    assert [(p, u, h, d, e, str(hm)) for p, u, h, d, e, hm in rows] == [
        ("0-0", "A", 7, 8, 7, "<NA>"),
        ("0-1", "B", 7, 8, 7, "A"),
        ("0-1", "A", 7, 8, 23, "<NA>"),
    ]
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("outlier_admissions", "A")] == 1 and k[("repatriations", "A")] == 1
    assert k[("outlier_share", "A")] == 0.5  # 1 of the 2 beds granted to A's requests was a host's
    assert k[("outlier_bed_days", "A")] == 2.0  # 48 h in B
    assert abs(k[("outliers_hosted_mean", "B")] - 48 / 144) < 1e-12


def test_without_repatriation_the_outlier_stays_its_whole_factored_stay_in_the_host():
    """repatriate: never: the outlier leaves B after 48 x 1.5 = 72 h (at 79), home unit's route (exit)."""
    out = simulate(_two_electives({"hosts": ["B"], "stay_factor": 1.5, "repatriate": "never"}))
    np.testing.assert_allclose(out.outliers, [[1, 0, 1, 7, 7, 79, 0]])
    log = results.adt_log(out)
    assert log["discharge_destination"].tolist() == ["home", "home"]


def test_a_host_with_max_outliers_zero_takes_none():
    """max_outliers: 0 on the host (e.g. an ICU): the second patient waits for A's bed and is cancelled."""
    out = simulate(_two_electives({"hosts": ["B"]}, b_beds=3, max_outliers=0))
    assert len(out.outliers) == 0
    assert results.adt_log(out)["unit"].tolist() == ["A"]
    assert len(out.cancellations) == 1


def test_only_the_listed_classes_outlie():
    """classes: [other]: a 'general' patient never outlies."""
    s = _two_electives({"hosts": ["B"]}).model_copy()
    data = s.model_dump(by_alias=True, exclude_none=True)
    data["patient_classes"] = {"general": {}, "other": {}}
    data["units"]["A"]["outlying"]["classes"] = ["other"]
    out = simulate(type(s).model_validate(data))
    assert len(out.outliers) == 0


def test_placement_after_waiting_the_given_hours():
    """after_hours: 3: the second patient waits 3 h in A's queue (electives are cancelled after 4), then takes B's bed at 10."""
    out = simulate(_two_electives({"hosts": ["B"], "after_hours": 3, "repatriate": "never"}))
    np.testing.assert_allclose(out.outliers[:, [F["ready_at"], F["start"], F["end"]]], [[7, 10, 58]])


def _busy_pair(**a_outlying):
    return scenario(
        units={
            "A": {"beds": 5, "outlying": {"hosts": ["B"], **a_outlying}},
            "B": {"beds": 8, "max_outliers": 2},
        },
        arrivals=[{"name": "a", "unit": "A", "per_day": 3.0}, {"name": "b", "unit": "B", "per_day": 3.0}],
        length_of_stay={"A": stay("lognormal", 40.0, 1.0), "B": stay("gamma", 48.0, 0.8)},
        horizon_days=200,
        warmup_days=20,
        replications=4,
        seed=seed(137),
    )


def test_host_never_holds_more_outliers_than_its_cap():
    """At every instant B hosts at most max_outliers (2) outliers: from the placement records."""
    out = simulate(_busy_pair(stay_factor=1.3))
    o = out.outliers
    assert len(o) > 20
    ends = np.where(np.isnan(o[:, F["end"]]), np.inf, o[:, F["end"]])
    events = sorted([(t, 1) for t in o[:, F["start"]]] + [(t, -1) for t in ends])  # a leave sorts before a join
    level = np.cumsum([d for _t, d in events])
    assert level.max() == 2


def test_littles_law_and_conservation_with_outliers_and_repatriation():
    """On ALL: external arrivals = arrivals = admitted + still_waiting; occupancy = admitted / window x spell."""
    s = _busy_pair(stay_factor=1.3, repatriate="before_waiting")
    r = run_scenario(s, keep_census=False, keep_log=False)
    assert per_rep(r, "repatriations", "ALL").min() > 10
    window_h = 200 * 24
    occ = per_rep(r, "occupancy_mean", "ALL")
    little = per_rep(r, "admitted", "ALL") / window_h * per_rep(r, "los_mean_h", "ALL")
    np.testing.assert_allclose(occ, little, rtol=0.03)
    adm, wait = per_rep(r, "admitted", "ALL"), per_rep(r, "still_waiting", "ALL")
    np.testing.assert_array_equal(per_rep(r, "arrivals", "ALL"), adm + wait)
    out = simulate(s, rep=0)
    external = int((out.arrivals[:, 2] >= s.warmup_h).sum())  # counted independently of the stays
    assert external == adm[0] + wait[0]


def _fixed(h: float) -> dict:
    return {"distribution": "fixed", "mean_hours": h}


@pytest.mark.parametrize("after_h", [0.0, 1.5])
def test_priority_aging_reranks_the_requests_waiting_for_a_host(after_h):
    """H (1 bed) outlies into X (1 bed) after ``after_h``; both beds are full from hour 0 (X's own patient
    until 10).

    a (priority 2, priority 0 after 1 h) asks H at 1, b (priority 1) at 2; at 2 a has priority 0 (aged while
    eligible for a host, or before it became eligible at 2.5), so when X's bed frees at 10, a takes it (until
    60) and b follows at 60.
    """
    once = [1, 0, 0, 0, 0, 0, 0]
    s = scenario(
        units={
            "H": {"beds": 1, "outlying": {"hosts": ["X"], "after_hours": after_h, "repatriate": "never"}},
            "X": {"beds": 1},
        },
        arrivals=[],
        electives=[
            {"name": "fillH", "unit": "H", "patient_class": "fill", "per_weekday": once, "hour": 0},
            {"name": "fillX", "unit": "X", "patient_class": "fill", "per_weekday": once, "hour": 0},
            {
                "name": "a",
                "unit": "H",
                "patient_class": "a",
                "per_weekday": once,
                "hour": 1,
                "cancel_after_hours": 1000,
            },
            {
                "name": "b",
                "unit": "H",
                "patient_class": "b",
                "per_weekday": once,
                "hour": 2,
                "cancel_after_hours": 1000,
            },
        ],
        patient_classes={
            "fill": {"priority": 0, "length_of_stay": {"H": _fixed(100), "X": _fixed(10)}},
            "a": {"priority": 2, "priority_after": {"hours": 1, "priority": 0}, "length_of_stay": {"H": _fixed(50)}},
            "b": {"priority": 1, "length_of_stay": {"H": _fixed(50)}},
        },
        length_of_stay={},
        horizon_days=6,
        warmup_days=0,
    )
    out = simulate(s)
    np.testing.assert_allclose(out.outliers[:, [F["patient"], F["ready_at"], F["start"]]], [[2, 1, 10], [3, 2, 60]])


def test_an_outliers_wait_is_booked_to_its_home_unit_not_the_host():
    """after_hours: 3: the second patient asks A at 7, waits 3 h, is placed in B at 10 and moves back to A at 55.

    A's own patients waited 0 h (the first) and 3 h (the outlier); the move back is not a new request.
    B's own patients asked for nothing: no wait to report.
    """
    out = simulate(_two_electives({"hosts": ["B"], "after_hours": 3}))
    np.testing.assert_allclose(out.outliers, [[1, 0, 1, 7, 10, 55, 1]])
    k = results.rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("wait_for_bed_mean_h", "A")] == 1.5 and k[("waited_share", "A")] == 0.5
    assert k[("wait_for_bed_p95_h", "A")] == np.quantile([0.0, 3.0], 0.95)
    assert np.isnan(k[("wait_for_bed_mean_h", "B")]) and np.isnan(k[("waited_share", "B")])
    assert np.isnan(k[("wait_for_bed_p95_h", "B")])
    assert k[("wait_for_bed_mean_h", "ALL")] == 1.5  # the hospital's figure was right already
