"""A full unit turns away external arrivals (``when_full``) and transfers (``transfers_when_full``) separately.

Hand traces on tiny deterministic scenarios (elective lists give exact arrival times,
fixed stays remove randomness; times are hours since Monday 00:00), an analytic check
of the loss seen by external arrivals when transfers wait, and conservation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hospital_twin.results import adt_log, rep_kpis
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import assert_close_to_reps, scenario, seed, stay

F = {n: i for i, n in enumerate(STAY_FIELDS)}


def fixed(h: float) -> dict:
    return {"distribution": "fixed", "value_hours": h}


def _monday(name: str, unit: str, hour: float, pclass: str) -> dict:
    return {
        "name": name,
        "unit": unit,
        "per_weekday": [1, 0, 0, 0, 0, 0, 0],
        "hour": hour,
        "cancel_after_hours": 48,
        "patient_class": pclass,
    }


def step_down(transfers_when_full: str | None = None) -> Scenario:
    """STEP (1 bed, when_full: reject) is taken 08-18 by patient 0; patient 1 in the ICU is ready at 13:00 for it;
    patient 2, an external arrival, asks STEP for a bed at 14:00."""
    step: dict = {"beds": 1, "when_full": "reject"}
    if transfers_when_full is not None:
        step["transfers_when_full"] = transfers_when_full
    return Scenario.model_validate(
        {
            "name": "step-down trace",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 2,
            "seed": 3,
            "units": {"ICU": {"beds": 1, "kind": "icu"}, "STEP": step},
            "electives": [
                _monday("first", "STEP", 8, "direct"),
                _monday("icu", "ICU", 9, "critical"),
                _monday("late", "STEP", 14, "direct"),
            ],
            "patient_classes": {
                "direct": {"length_of_stay": {"STEP": fixed(10)}},
                "critical": {"routes": {"ICU": {"STEP": 1.0}}, "length_of_stay": {"ICU": fixed(4), "STEP": fixed(10)}},
            },
        }
    )


def _rows(scn: Scenario) -> list[tuple]:
    """(patient, unit, ready_at, start, ready_to_leave, end, destination) per stay, in order of start."""
    out = simulate(scn)
    rows = []
    for s in out.stays:
        end = None if np.isnan(s[F["end"]]) else float(s[F["end"]])
        dest = int(s[F["dest"]])
        rows.append(
            (int(s[F["patient"]]), out.unit_names[int(s[F["unit"]])], s[F["ready_at"]], s[F["start"]], s[F["ready_h"]])
            + (end, dest)
        )
    return sorted(rows, key=lambda r: (r[3], r[0]))


def test_transfer_to_a_full_reject_unit_waits_in_its_bed_by_default():
    """Default transfers_when_full (block): the ICU patient keeps its ICU bed until STEP frees; externals are diverted."""
    scn = step_down()
    assert scn.units["STEP"].transfers_when_full == "block"
    assert _rows(scn) == [
        (0, "STEP", 8, 8, 18, 18, -1),
        (1, "ICU", 9, 9, 13, 18, 1),  # ready at 13:00, blocked in the ICU bed until STEP frees at 18:00
        (1, "STEP", 13, 18, 28, 28, -1),
    ]
    out = simulate(scn)
    assert out.rejections[:, [0, 1, 2, 4]].tolist() == [[2, 1, 14, -1]]  # only the external arrival is turned away
    k = rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("blocked_bed_hours", "ICU")] == pytest.approx(5)  # 13:00 -> 18:00
    assert k[("wait_for_bed_mean_h", "STEP")] == pytest.approx(2.5)  # (0 + 5) / 2
    assert k[("rejected", "STEP")] == 1
    assert k[("arrivals", "STEP")] == 3  # two externals and one transfer
    assert "transferred_out" not in set(adt_log(out)["discharge_destination"].dropna())


def test_transfers_when_full_reject_keeps_the_old_behaviour():
    """transfers_when_full: reject: the ICU patient who finds STEP full leaves the hospital from the ICU at 13:00."""
    scn = step_down("reject")
    assert _rows(scn) == [(0, "STEP", 8, 8, 18, 18, -1), (1, "ICU", 9, 9, 13, 13, -2)]
    out = simulate(scn)
    assert out.rejections[:, [0, 1, 2, 4]].tolist() == [[1, 1, 13, 0], [2, 1, 14, -1]]
    log = adt_log(out)
    assert log.loc[log["unit"] == "ICU", "discharge_destination"].tolist() == ["transferred_out"]
    k = rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("blocked_bed_hours", "ICU")] == 0
    assert k[("rejected", "STEP")] == 2


def test_queue_unit_can_still_turn_transfers_away():
    """when_full: queue with transfers_when_full: reject: an external arrival waits, a transfer leaves."""
    scn = step_down("reject")
    scn = scn.model_copy(
        update={"units": {**scn.units, "STEP": scn.units["STEP"].model_copy(update={"when_full": "queue"})}}
    )
    out = simulate(scn)
    assert out.rejections[:, [0, 1, 4]].tolist() == [[1, 1, 0]]  # the ICU patient at 13:00
    assert (2, "STEP", 14, 18, 28, 28, -1) in _rows(scn)  # the external arrival waited for patient 0's bed


def ed_boarding(transfers_when_full: str | None = None) -> Scenario:
    """An ED patient (arrives 09:00, assessed 09-10, decision to admit at 11:00) needs STEP, full 08-18."""
    step: dict = {"beds": 1, "when_full": "reject"}
    if transfers_when_full is not None:
        step["transfers_when_full"] = transfers_when_full
    return Scenario.model_validate(
        {
            "name": "ED boarding trace",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 2,
            "seed": 3,
            "units": {"ED": {"beds": 2, "ed": {"clinicians": 1, "assessment": fixed(1)}}, "STEP": step},
            "electives": [_monday("first", "STEP", 8, "direct"), _monday("ed", "ED", 9, "emergency")],
            "patient_classes": {
                "direct": {"length_of_stay": {"STEP": fixed(10)}},
                "emergency": {"routes": {"ED": {"STEP": 1.0}}, "length_of_stay": {"ED": fixed(1), "STEP": fixed(10)}},
            },
        }
    )


def test_ed_patient_with_a_decision_to_admit_boards_in_the_ed_when_the_ward_is_full():
    """An ED decision to admit is a transfer from the ED: by default it boards in its cubicle until STEP frees."""
    out = simulate(ed_boarding())
    assert len(out.rejections) == 0
    assert _rows(ed_boarding()) == [
        (0, "STEP", 8, 8, 18, 18, -1),
        (1, "ED", 9, 9, 11, 18, 1),  # decision to admit at 11:00, boards until 18:00
        (1, "STEP", 11, 18, 28, 28, -1),
    ]
    k = rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k[("ed_boarding_mean_h", "ED")] == pytest.approx(7)
    assert k[("wait_for_bed_mean_h", "ALL")] == pytest.approx(3.5)  # admissions: 0 h and 7 h of boarding
    # with transfers_when_full: reject, as before: the ED patient is turned away and leaves from the ED
    out = simulate(ed_boarding("reject"))
    assert out.rejections[:, [0, 1, 2, 4]].tolist() == [[1, 1, 11, 0]]


# --------------------------------------------------------------------------- analytic: loss seen by external arrivals
def loss_with_waiting_transfers(lam: float, gamma: float, mu: float, c: int) -> float:
    """P(an external arrival is turned away) at a c-bed unit with exponential stays (rate mu):
    external Poisson arrivals (rate lam) are lost when every bed is taken or transfers wait;
    transfers arrive as a Poisson stream (rate gamma) and wait (FIFO) for a bed.

    Birth-death chain on n = patients in beds + transfers waiting: birth rate lam + gamma
    below c, gamma from c on; death rate min(n, c) mu. So p_n is proportional to
    (a^n / n!) for n <= c (a = (lam + gamma) / mu) and p_c r^(n - c) above, r = gamma / (c mu);
    by PASTA the loss is P(N >= c) = p_c / (1 - r) / norm. With gamma = 0 it is Erlang B; with
    transfers turned away too it would be Erlang B of the total load (0.199 in the test's case).
    """
    a, r = (lam + gamma) / mu, gamma / (c * mu)
    terms = [math.exp(n * math.log(a) - math.lgamma(n + 1)) for n in range(c + 1)]
    tail = terms[-1] / (1 - r)
    return tail / (sum(terms[:-1]) + tail)


def test_external_loss_of_a_reject_unit_fed_by_waiting_transfers_matches_the_birth_death_chain():
    """A reject unit fed by Poisson externals and by transfers that wait: the externals' loss is P(N >= c) of the chain.

    The transfers come from UP, a unit with beds to spare and exponential stays (M/M/inf in
    effect, P(UP full) < 1e-9), so the requests leaving it form a Poisson stream (Burke;
    blocked patients keep their UP beds, which never run short).
    """
    lam, gamma, mean_h, c = 2.0 / 24, 1.0 / 24, 48.0, 6
    s = scenario(
        units={"UP": {"beds": 60}, "DOWN": {"beds": c, "when_full": "reject"}},
        arrivals=[
            {"name": "direct", "unit": "DOWN", "per_day": 24 * lam},
            {"name": "up", "unit": "UP", "per_day": 24 * gamma},
        ],
        routes={"UP": {"DOWN": 1.0}},
        length_of_stay={"UP": stay("exponential", 24), "DOWN": stay("exponential", mean_h)},
        horizon_days=1500,
        warmup_days=30,
        replications=8,
        seed=seed(1101),
    )
    expected = loss_with_waiting_transfers(lam, gamma, 1 / mean_h, c)
    # by hand: a = 6, r = 1/3; a^n/n! = 1, 6, 18, 36, 54, 64.8, 64.8; tail 64.8 / (2/3) = 97.2; 97.2 / 277.0
    assert expected == pytest.approx(97.2 / 277.0)
    lost, blocked_h = [], []
    for rep in range(s.replications):
        out = simulate(s, rep)
        lo, down = out.warmup_h, out.unit_names.index("DOWN")
        external = ((out.arrivals[:, 1] == down) & (out.arrivals[:, 2] >= lo)).sum()
        rej = out.rejections
        assert (rej[:, 4] == -1).all()  # transfers are never turned away
        lost.append(((rej[:, 1] == down) & (rej[:, 2] >= lo)).sum() / external)
        blocked_h.append(rep_kpis(out).set_index(["metric", "unit"])["value"][("blocked_bed_hours", "UP")])
    assert_close_to_reps(np.array(lost), expected, floor=0.005, what="external loss at DOWN")
    assert np.mean(blocked_h) > 0  # transfers did wait in their UP beds


# --------------------------------------------------------------------------- conservation
def test_conservation_with_blocked_transfers_into_a_reject_unit():
    """With transfers blocking, every request to the reject unit is admitted, rejected (externals only) or waiting."""
    s = scenario(
        units={
            "ED": {"beds": 4, "kind": "ed", "ed": {"clinicians": 2, "assessment": stay("exponential", 0.3)}},
            "ICU": {"beds": 3, "kind": "icu"},
            "SDU": {"beds": 2, "when_full": "reject", "kind": "hdu"},
            "WARD": {"beds": 10},
        },
        arrivals=[
            {"name": "walk_in", "unit": "ED", "per_day": 20.0},
            {"name": "direct_sdu", "unit": "SDU", "per_day": 1.0},
        ],
        routes={
            "ED": {"exit": 0.8, "ICU": 0.05, "SDU": 0.1, "WARD": 0.05},
            "ICU": {"SDU": 0.8, "exit": 0.2},
            "SDU": {"WARD": 0.5, "exit": 0.5},
        },
        length_of_stay={
            "ED": stay("lognormal", 2.0, 1.0),
            "ICU": stay("exponential", 48),
            "SDU": stay("exponential", 36),
            "WARD": stay("gamma", 80, 0.8),
        },
        horizon_days=60,
        warmup_days=5,
        seed=seed(1102),
    )
    for rep in range(3):
        out = simulate(s, rep)
        sdu = list(s.units).index("SDU")
        rej = out.rejections
        assert (rej[:, 1] == sdu).sum() > 0 and (rej[:, 4][rej[:, 1] == sdu] == -1).all()  # externals only
        assert (out.stays[:, F["dest"]] != -2).all()  # nobody leaves for want of a bed elsewhere
        k = rep_kpis(out).set_index(["metric", "unit"])["value"]
        assert k[("blocked_bed_hours", "ICU")] + k[("ed_boarding_mean_h", "ED")] > 0
        for unit in [*s.units, "ALL"]:
            parts = sum(k.get((m, unit), 0.0) for m in ("admitted", "rejected", "cancelled", "still_waiting"))
            assert k[("arrivals", unit)] == parts, (rep, unit)
        # every patient who got a bed left it or is still in it: open stays equal the beds taken at the end
        open_by_unit = np.bincount(out.stays[np.isnan(out.stays[:, F["end"]]), F["unit"]].astype(int), minlength=4)
        assert (open_by_unit <= np.array([u.beds for u in s.units.values()])).all()
