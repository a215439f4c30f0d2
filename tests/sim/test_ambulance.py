"""Ambulance arrivals and their handover (issue 15): ``arrivals[].ambulance_share`` on an emergency department
stream tags arrivals from a dedicated random stream; a tagged arrival's handover is its wait for a treatment space.

Checked against Erlang C (an M/M/c department), PASTA (tagged arrivals wait as all arrivals do), the binomial
count of tagged arrivals, the records themselves, and byte-identical figures with and without the share.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hospital_twin.results import adt_log, ambulance_handovers, rep_kpis
from hospital_twin.scenario import ScenarioError
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import seed

F = {n: i for i, n in enumerate(STAY_FIELDS)}
C, LAM_H, MU_H = 5, 4.0, 1.0  # M/M/5 with offered load 4 (utilisation 0.8)


def mmc(share: float, *, days: float = 60, warmup: float = 5, patience: dict | None = None, s: int = 3) -> Scenario:
    """An ED that is an M/M/c queue for its spaces: as many clinicians as spaces (nobody waits in a space), an
    exponential assessment, no stay after it, no cleaning."""
    arrival = {"name": "walk_in", "unit": "ED", "per_day": 24 * LAM_H, "ambulance_share": share}
    if patience is not None:
        arrival["patience"] = patience
    return Scenario.model_validate(
        {
            "name": "mmc",
            "start": "2025-01-06T00:00:00",
            "horizon_days": days,
            "warmup_days": warmup,
            "seed": seed(s),
            "units": {
                "ED": {
                    "beds": C,
                    "kind": "ed",
                    "ed": {"clinicians": C, "assessment": {"distribution": "exponential", "mean_hours": 1 / MU_H}},
                }
            },
            "arrivals": [arrival],
        }
    )


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a``."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def kpi(k, metric: str, unit: str = "ED") -> float:
    return float(k[(k.metric == metric) & (k.unit == unit)]["value"].iloc[0])


def test_the_share_changes_no_other_figure():
    """Tagging draws from its own stream and adds no event: every record and every other KPI is byte-identical."""
    patience = {"distribution": "exponential", "mean_hours": 3.0}
    a = simulate(mmc(0.0, days=30, patience=patience))
    b = simulate(mmc(0.35, days=30, patience=patience))
    assert "ambulance" not in a.extra and len(b.extra["ambulance"]) > 0
    for f in ("stays", "rejections", "cancellations", "waiting_at_end", "left_unseen", "capacity_log", "arrivals"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    ka, kb = rep_kpis(a), rep_kpis(b)
    assert list(ka.columns) == list(kb.columns)
    assert kb.iloc[: len(ka)].reset_index(drop=True).equals(ka)  # same rows, same order, same values
    assert set(kb.iloc[len(ka) :]["metric"]) == {m for m in kb["metric"] if m.startswith("ambulance_")}


def test_handover_waits_match_erlang_c():
    """M/M/5 at utilisation 0.8: the tagged arrivals' mean wait for a space is C / (c mu - lambda), and the share
    over 45 minutes is C exp(-(c mu - lambda) 0.75) (Erlang C), within a 99.9% interval over replications."""
    p_wait = erlang_c(C, LAM_H / MU_H)
    rate = C * MU_H - LAM_H
    means, over45 = [], []
    for rep in range(8):
        k = rep_kpis(simulate(mmc(0.3), rep=rep))
        means.append(kpi(k, "ambulance_handover_mean_h"))
        over45.append(kpi(k, "ambulance_handover_over_45min_share"))
    t = stats.t.ppf(0.9995, len(means) - 1)
    for values, exact in ((means, p_wait / rate), (over45, p_wait * math.exp(-rate * 0.75))):
        m, half = np.mean(values), t * np.std(values, ddof=1) / math.sqrt(len(values))
        assert abs(m - exact) <= half, (m, half, exact)


def test_tagged_arrivals_wait_as_everyone_does_and_their_count_is_binomial():
    """PASTA: the tagging is independent of the queue, so the ambulance arrivals' mean wait is every arrival's
    (difference within 4 standard errors); their number is Binomial(attendances, share) (within 4 sd)."""
    share = 0.3
    out = simulate(mmc(share, days=120))
    k = rep_kpis(out)
    n, n_amb = kpi(k, "arrivals"), kpi(k, "ambulance_arrivals")
    assert abs(n_amb - n * share) <= 4 * math.sqrt(n * share * (1 - share))
    h = ambulance_handovers(out)["handover_h"].to_numpy()
    ed = out.stays[(out.stays[:, F["ready_at"]] >= out.warmup_h)]
    everyone = ed[:, F["start"]] - ed[:, F["ready_at"]]
    se = everyone.std(ddof=1) * math.sqrt(1 / len(h) + 1 / len(everyone)) * 3  # waits are correlated: 3x
    assert abs(h.mean() - everyone.mean()) <= 4 * se
    assert kpi(k, "ambulance_handover_mean_h") == pytest.approx(h.mean())
    assert kpi(k, "ambulance_arrivals", "ALL") == n_amb


def test_records_agree_with_the_stays_and_the_censored_are_counted():
    """Each tagged arrival that got a space has an ED stay starting then, asked at its arrival; one still queued
    at the end counts with its wait so far, one that left from the queue with its wait until it left."""
    out = simulate(mmc(0.5, days=10, warmup=0, patience={"distribution": "exponential", "mean_hours": 0.5}))
    rec = out.extra["ambulance"]
    stays = {int(r[F["patient"]]): r for r in out.stays}
    served = rec[~np.isnan(rec[:, 3])]
    assert len(served) and all(
        stays[int(p)][F["start"]] == space and stays[int(p)][F["ready_at"]] == t for p, _u, t, space in served
    )
    left = {int(r[0]): r[3] for r in out.left_unseen}
    queued = rec[np.isnan(rec[:, 3])]
    assert any(int(p) in left for p in queued[:, 0])  # some ambulance arrivals left the queue
    h = ambulance_handovers(out)
    assert len(h) == len(rec)  # nobody is turned away in a queueing ED
    expect = (
        np.where(
            np.isnan(rec[:, 3]),
            [left.get(int(p), out.end_h) for p in rec[:, 0]],
            rec[:, 3],
        )
        - rec[:, 2]
    )
    np.testing.assert_allclose(h["handover_h"].to_numpy(), expect)
    assert h["censored"].sum() == len(queued)


def test_event_log_marks_the_ambulance_attendances():
    """The log gains a column arrival_mode, "ambulance" on each such attendance's ED stay; arrival_source is kept."""
    out = simulate(mmc(0.4, days=5, warmup=0))
    log = adt_log(out)
    plain = adt_log(simulate(mmc(0.0, days=5, warmup=0)))
    assert "arrival_mode" not in plain.columns
    assert log.drop(columns="arrival_mode").equals(plain)
    served = out.extra["ambulance"]
    n_served = int((~np.isnan(served[:, 3])).sum())
    assert (log["arrival_mode"] == "ambulance").sum() == n_served
    assert set(log["arrival_source"].astype(str)) == {"ed"}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"ambulance_share": 1.5}, "ambulance_share", "less than or equal to 1"),
        ({"unit": "WARD"}, "ambulance_share", "emergency department"),
    ],
)
def test_bad_share_is_a_located_error(change, field, words):
    data = mmc(0.3).model_dump(mode="json", by_alias=True)
    data["units"]["WARD"] = {"beds": 5}
    data["length_of_stay"] = {"WARD": {"distribution": "exponential", "mean_hours": 10}}
    data["arrivals"][0].update(change)
    import yaml

    from hospital_twin.scenario import load_scenario_text

    with pytest.raises(ScenarioError) as e:
        load_scenario_text(yaml.safe_dump(data))
    text = str(e.value)
    assert field in text and words in text, text
